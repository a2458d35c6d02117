/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/uio.h>
#include <syslog.h>

#include "dlopen-libs.h"
#include "journal.h"
#include "macro.h"
#include "sysroot.h"

static int send_entry(const ReportEntry *e) {
        struct iovec iov[REPORT_MAX_FIELDS + 6];
        char priority[16], *message = NULL, *id = NULL;
        size_t n = 0;
        int r;

        if (asprintf(&message, "MESSAGE=%s", e->message) < 0)
                return -ENOMEM;
        if (asprintf(&id, "MESSAGE_ID=%s", e->message_id) < 0) {
                free(message);
                return -ENOMEM;
        }
        snprintf(priority, sizeof(priority), "PRIORITY=%d", e->priority);

#define ADD(s) iov[n++] = (struct iovec) { .iov_base = (void *) (s), .iov_len = strlen(s) }
        ADD(message);
        ADD(id);
        ADD(priority);
        ADD("SYSLOG_IDENTIFIER=vfio-bind");
        ADD("OBJECT_SYSTEMD_UNIT=" REPORT_UNIT);
        for (size_t i = 0; i < e->n_fields; i++)
                ADD(e->fields[i]);
#undef ADD

        r = sym_sd_journal_sendv(iov, (int) n);
        free(message);
        free(id);
        return r;
}

int journal_send_report(const Report *r) {
        int sent = 0;
        bool journal = dlopen_journal() >= 0;
        for (size_t i = 0; i < r->n; i++) {
                if (!journal) {
                        fprintf(stderr, "vfio-bind: %s\n", r->entries[i].message);
                        continue;
                }
                if (send_entry(&r->entries[i]) >= 0)
                        sent++;
                else
                        fprintf(stderr, "vfio-bind: %s\n", r->entries[i].message);
        }
        return sent;
}

void report_print_export(FILE *f, const Report *r) {
        for (size_t i = 0; i < r->n; i++) {
                const ReportEntry *e = &r->entries[i];
                fprintf(f, "MESSAGE=%s\nMESSAGE_ID=%s\nPRIORITY=%d\nSYSLOG_IDENTIFIER=vfio-bind\n"
                           "OBJECT_SYSTEMD_UNIT=" REPORT_UNIT "\n",
                        e->message, e->message_id, e->priority);
                for (size_t j = 0; j < e->n_fields; j++)
                        fprintf(f, "%s\n", e->fields[j]);
                fputc('\n', f);
        }
}

int kmsg_send_report(const char *root, const Report *r, unsigned max_lines) {
        char path[PATH_MAX];
        int fd = open(root_path(path, root, "/dev/kmsg"), O_WRONLY | O_CLOEXEC | O_NOCTTY);
        unsigned lines = 0;

        if (fd < 0)
                return -errno;
        /* /dev/kmsg rate-limits writers (about 10 lines per 5 s): the summary goes first, then problems. */
        for (int pass = 0; pass < 2 && lines < max_lines; pass++)
                for (size_t i = 0; i < r->n && lines < max_lines; i++) {
                        const ReportEntry *e = &r->entries[i];
                        const char *kind = report_entry_field(e, "VFIO_BIND_KIND");
                        bool summary = kind && streq(kind, "summary");
                        if (pass == 0 ? !summary : summary || e->priority > LOG_WARNING)
                                continue;
                        char line[1024];
                        int n = snprintf(line, sizeof(line), "<%d>vfio-bind: %s\n", LOG_DAEMON | e->priority,
                                         e->message);
                        if (n >= (int) sizeof(line)) {
                                n = sizeof(line) - 1;
                                line[n - 1] = '\n';
                        }
                        /* One record per write(). */
                        if (write(fd, line, n) < 0)
                                break;
                        lines++;
                }
        close(fd);
        return (int) lines;
}
