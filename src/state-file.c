/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "state-file.h"

/* Values go into tab-separated fields: no tabs or newlines inside. */
static void put_field(FILE *f, const char *s) {
        if (!s || !*s) {
                fputc('-', f);
                return;
        }
        for (; *s; s++)
                fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
}

int state_file_write(const char *path, const Run *run, const char *stage, bool disabled, uint64_t duration_usec) {
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int fd, r;

        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash) {
                *slash = 0;
                (void) mkdir(dir, 0755);
        }

        r = strdup_printf(&tmp, "%s.tmp", path);
        if (r < 0)
                return r;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -errno;
        }

        fprintf(f, "version=1\nstage=%s\nconfig_hash=%016" PRIx64 "\nconfig_present=%d\nudev_running=%d\n"
                   "disabled=%d\nduration_usec=%" PRIu64 "\n",
                stage, run->config ? run->config->hash : 0, run->config && !run->config->missing,
                run->facts.udev_running, disabled, duration_usec);
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                fprintf(f, "device\t%s\t", d->name);
                put_field(f, d->driver_before);
                fputc('\t', f);
                put_field(f, d->dev ? d->dev->driver : NULL);
                fprintf(f, "\t%s\t%s\t%" PRIu64 "\t", result_to_string(d->result), reason_to_string(d->reason),
                        d->usec);
                put_field(f, d->message);
                fputc('\n', f);
                for (size_t j = 0; j < d->notes.n; j++) {
                        const Note *n = &d->notes.notes[j];
                        if (n->severity < SEVERITY_WARNING)
                                continue;
                        fprintf(f, "note\t%s\t%d\t%s\t", d->name, n->severity, n->code);
                        put_field(f, n->message);
                        fputc('\t', f);
                        put_field(f, n->fix);
                        fputc('\n', f);
                }
        }
        if (fflush(f) != 0 || ferror(f)) {
                r = -errno ?: -EIO;
                unlink(tmp);
                return r;
        }
        /* Readers never see half a file. */
        if (rename(tmp, path) < 0) {
                r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}

static char *field_dup(const char *s) {
        return streq(s, "-") ? NULL : strdup(s);
}

int state_file_read(const char *path, StateFile *ret) {
        _cleanup_free_ char *text = NULL;
        StateFile s = {};
        char *save = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, "device\t", 7) == 0) {
                        char *fields[8] = {};
                        size_t n = 0;
                        char *p = line + 7;
                        while (n < 7) {
                                fields[n++] = p;
                                char *tab = strchr(p, '\t');
                                if (!tab)
                                        break;
                                *tab = 0;
                                p = tab + 1;
                        }
                        if (n < 7)
                                continue; /* a line from another version: skip, do not fail the report */
                        if (!GREEDY_REALLOC(s.devices, s.n_devices + 1)) {
                                state_file_clear(&s);
                                return -ENOMEM;
                        }
                        StateDevice *d = &s.devices[s.n_devices++];
                        *d = (StateDevice) {
                                .driver_before = field_dup(fields[1]),
                                .driver_after = field_dup(fields[2]),
                                .result = strdup(fields[3]),
                                .reason = strdup(fields[4]),
                                .usec = strtoull(fields[5], NULL, 10),
                                .message = field_dup(fields[6]),
                        };
                        snprintf(d->name, sizeof(d->name), "%s", fields[0]);
                        continue;
                }
                if (strncmp(line, "note\t", 5) == 0) {
                        char *fields[5] = {};
                        size_t n = 0;
                        for (char *p = line + 5; p && n < 5; n++) {
                                fields[n] = p;
                                p = strchr(p, '\t');
                                if (p)
                                        *p++ = 0;
                        }
                        if (n < 5 || !fields[4])
                                continue;
                        if (!GREEDY_REALLOC(s.notes, s.n_notes + 1)) {
                                state_file_clear(&s);
                                return -ENOMEM;
                        }
                        StateNote *sn = &s.notes[s.n_notes++];
                        *sn = (StateNote) {
                                .severity = atoi(fields[1]),
                                .code = strdup(fields[2]),
                                .message = field_dup(fields[3]),
                                .fix = field_dup(fields[4]),
                        };
                        snprintf(sn->name, sizeof(sn->name), "%s", fields[0]);
                        continue;
                }
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = 0;
                const char *key = line, *value = eq + 1;
                if (streq(key, "stage")) {
                        free(s.stage);
                        s.stage = strdup(value);
                } else if (streq(key, "config_hash"))
                        s.config_hash = strtoull(value, NULL, 16);
                else if (streq(key, "config_present"))
                        s.config_present = streq(value, "1");
                else if (streq(key, "udev_running"))
                        s.udev_running = streq(value, "1");
                else if (streq(key, "disabled"))
                        s.disabled = streq(value, "1");
                else if (streq(key, "duration_usec"))
                        s.duration_usec = strtoull(value, NULL, 10);
        }
        *ret = s;
        return 0;
}

void state_file_clear(StateFile *s) {
        for (size_t i = 0; i < s->n_devices; i++) {
                free(s->devices[i].driver_before);
                free(s->devices[i].driver_after);
                free(s->devices[i].result);
                free(s->devices[i].reason);
                free(s->devices[i].message);
        }
        free(s->devices);
        for (size_t i = 0; i < s->n_notes; i++) {
                free(s->notes[i].code);
                free(s->notes[i].message);
                free(s->notes[i].fix);
        }
        free(s->notes);
        free(s->stage);
        *s = (StateFile) {};
}

const StateDevice *state_file_find(const StateFile *s, const char *name) {
        for (size_t i = 0; i < s->n_devices; i++)
                if (streq(s->devices[i].name, name))
                        return &s->devices[i];
        return NULL;
}
