/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <syslog.h>

#include "alloc-util.h"
#include "macro.h"
#include "message-ids.h"
#include "output.h"
#include "report.h"

_printf_(2, 3) static int entry_field(ReportEntry *e, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (e->n_fields >= REPORT_MAX_FIELDS)
                return -E2BIG;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        /* Journal field values are single entries; keep them on one line for the text fallback too. */
        for (char *p = strchr(s, '='); p && *p; p++)
                if (*p == '\n')
                        *p = ' ';
        e->fields[e->n_fields++] = s;
        return 0;
}

static ReportEntry *entry_new(Report *r, int priority, const char *message_id) {
        if (!GREEDY_REALLOC(r->entries, r->n + 1))
                return NULL;
        ReportEntry *e = &r->entries[r->n++];
        *e = (ReportEntry) { .priority = priority, .message_id = message_id };
        return e;
}

const char *report_entry_field(const ReportEntry *e, const char *field) {
        size_t n = strlen(field);
        for (size_t i = 0; i < e->n_fields; i++)
                if (strncmp(e->fields[i], field, n) == 0 && e->fields[i][n] == '=')
                        return e->fields[i] + n + 1;
        return NULL;
}

static const char *message_id_for(Result r, bool ok) {
        switch (r) {
        case RESULT_CLAIMED:
                return MESSAGE_ID_CLAIMED;
        case RESULT_ALREADY:
                return ok ? MESSAGE_ID_ALREADY : MESSAGE_ID_FAILED;
        case RESULT_REFUSED:
                return MESSAGE_ID_REFUSED;
        case RESULT_STUCK:
                return MESSAGE_ID_STUCK;
        default:
                return ok ? MESSAGE_ID_ALREADY : MESSAGE_ID_FAILED;
        }
}

/* Where did the device reach its driver? The initramfs stage if its state says so and the device is still
 * there now; otherwise this (root) stage. */
static bool claimed_in_initramfs(const BootContext *ctx, const DeviceReport *d, const StateDevice **ret) {
        if (streq(ctx->stage, "initramfs")) {
                *ret = NULL;
                return d->dev && streq_ptr(d->dev->driver, d->wanted_driver);
        }
        const StateDevice *s = ctx->initramfs_state ? state_file_find(ctx->initramfs_state, d->name) : NULL;
        *ret = s;
        return s && streq_ptr(s->driver_after, d->wanted_driver) && d->dev &&
               streq_ptr(d->dev->driver, d->wanted_driver);
}

/* Was udev already running when the initramfs stage ran? Then host drivers may have won the race. */
static bool early_udev(const BootContext *ctx, const Run *run) {
        if (streq(ctx->stage, "initramfs"))
                return run->facts.udev_running;
        return ctx->initramfs_state && ctx->initramfs_state->udev_running;
}

static int add_device_entry(Report *r, const Run *run, const BootContext *ctx, const DeviceReport *d) {
        const StateDevice *early = NULL;
        bool in_initramfs = claimed_in_initramfs(ctx, d, &early);
        bool ok = device_report_ok(d);
        Severity sev = device_report_severity(d);
        /* The user wants the whole story: the first stage that saw the device knows what it was on. */
        const char *previous = early ? early->driver_before : d->driver_before;
        Result result = d->result;
        if (in_initramfs && early && streq(early->result, "claimed"))
                result = RESULT_CLAIMED;

        ReportEntry *e = entry_new(r, ok ? (sev == SEVERITY_WARNING ? LOG_WARNING : LOG_INFO) : LOG_ERR,
                                   message_id_for(result, ok));
        if (!e)
                return -ENOMEM;

        const char *label = d->section ? d->section->name : "-";
        const char *where = in_initramfs ? (early_udev(ctx, run) ? "in the initramfs, after udev had started"
                                                                                 : "in the initramfs before udev")
                                         : "in the root stage";
        char ids[64] = "";
        if (d->dev)
                snprintf(ids, sizeof(ids), " (%04x:%04x %s)", d->dev->vendor, d->dev->device,
                         pci_class_name(d->dev->class));

        int n;
        if (ok && (result == RESULT_CLAIMED || result == RESULT_ALREADY))
                n = asprintf(&e->message, "%s %s%s: on %s, %s %s (previous driver: %s)", label, d->name, ids,
                             d->wanted_driver, result == RESULT_CLAIMED ? "claimed" : "already claimed",
                             in_initramfs || result == RESULT_CLAIMED ? where : "before this boot's stages",
                             previous ?: "none");
        else if (ok)
                n = asprintf(&e->message, "%s %s%s: %s", label, d->name, ids, result_to_string(result));
        else
                n = asprintf(&e->message, "%s %s%s: %s: %s%s%s", label, d->name, ids, result_to_string(result),
                             d->message ?: reason_to_string(d->reason), d->fix ? ". Fix: " : "", d->fix ?: "");
        if (n < 0)
                return -ENOMEM;
        /* Warnings (group not viable, boot VGA) belong in the same line a person reads. */
        for (size_t i = 0; i < d->notes.n; i++) {
                if (d->notes.notes[i].severity < SEVERITY_WARNING)
                        continue;
                char *m;
                const Note *note = &d->notes.notes[i];
                if (asprintf(&m, "%s. Warning: %s%s%s", e->message, note->message, note->fix ? ". Fix: " : "",
                             note->fix ?: "") < 0)
                        return -ENOMEM;
                free(e->message);
                e->message = m;
        }

        int k = 0;
        k = k ?: entry_field(e, "VFIO_BIND_DEVICE=%s", d->name);
        k = k ?: entry_field(e, "VFIO_BIND_LABEL=%s", label);
        k = k ?: entry_field(e, "VFIO_BIND_RESULT=%s", result_to_string(result));
        k = k ?: entry_field(e, "VFIO_BIND_DRIVER=%s", d->dev && d->dev->driver ? d->dev->driver : "none");
        k = k ?: entry_field(e, "VFIO_BIND_PREVIOUS_DRIVER=%s", previous ?: "none");
        k = k ?: entry_field(e, "VFIO_BIND_STAGE=%s", in_initramfs ? "initramfs" : ctx->stage);
        if (d->dev && d->dev->iommu_group >= 0)
                k = k ?: entry_field(e, "VFIO_BIND_IOMMU_GROUP=%d", d->dev->iommu_group);
        k = k ?: entry_field(e, "VFIO_BIND_GROUP_VIABLE=%s", d->group_viable ? "yes" : "no");
        k = k ?: entry_field(e, "VFIO_BIND_REASON=%s", reason_to_string(d->reason));
        if (d->fix && !ok)
                k = k ?: entry_field(e, "VFIO_BIND_FIX=%s", d->fix);
        if (d->dev)
                k = k ?: entry_field(e, "VFIO_BIND_ID=%04x:%04x", d->dev->vendor, d->dev->device);
        k = k ?: entry_field(e, "VFIO_BIND_USEC=%llu",
                             (unsigned long long) (in_initramfs && early ? early->usec : d->usec));
        return k;
}

static int add_simple(Report *r, int priority, const char *id, const char *kind, char *message) {
        if (!message)
                return -ENOMEM;
        ReportEntry *e = entry_new(r, priority, id);
        if (!e) {
                free(message);
                return -ENOMEM;
        }
        e->message = message;
        return entry_field(e, "VFIO_BIND_KIND=%s", kind);
}

int report_build(const Run *run, const BootContext *ctx, Report *ret) {
        Report r = {};
        int k = 0;

        if (ctx->disabled) {
                k = add_simple(&r, LOG_NOTICE, MESSAGE_ID_DISABLED, "disabled",
                               format_alloc("vfio-bind is disabled by vfio_bind=0 on the kernel command line: "
                                             "nothing was claimed"));
                goto done;
        }
        if (run->config && run->config->n_errors > 0)
                for (size_t i = 0; i < run->config->n_errors && k == 0; i++)
                        k = add_simple(&r, LOG_ERR, MESSAGE_ID_HOST_NOTE, "config-error",
                                       run->config->errors[i].line
                                               ? format_alloc("%s:%u: %s", run->config->path,
                                                               run->config->errors[i].line,
                                                               run->config->errors[i].message)
                                               : format_alloc("%s: %s", run->config->path,
                                                               run->config->errors[i].message));

        for (size_t i = 0; i < run->n_devices && k == 0; i++)
                k = add_device_entry(&r, run, ctx, &run->devices[i]);

        for (size_t i = 0; i < run->notes.n && k == 0; i++) {
                const Note *n = &run->notes.notes[i];
                if (streq(n->code, "config-invalid"))
                        continue; /* each error has its own entry above */
                k = add_simple(&r, n->severity == SEVERITY_ERROR ? LOG_ERR : n->severity == SEVERITY_WARNING ? LOG_WARNING : LOG_INFO,
                               MESSAGE_ID_HOST_NOTE, n->code,
                               n->fix ? format_alloc("%s. Fix: %s", n->message, n->fix) : strdup(n->message));
        }

        bool configured = run->n_devices > 0;
        if (k == 0 && configured && ctx->initramfs == INITRAMFS_MISSING)
                k = add_simple(&r, LOG_WARNING, MESSAGE_ID_INITRAMFS_STALE, "initramfs-missing",
                               format_alloc("the initramfs stage of vfio-bind did not run (the initramfs was built before "
                                             "vfio-bind was installed or before the configuration named a device), so "
                                             "host drivers inside the initramfs could bind first: rebuild the "
                                             "initramfs with '%s' and reboot",
                                             ctx->rebuild_command));
        else if (k == 0 && configured && ctx->initramfs == INITRAMFS_STALE)
                k = add_simple(&r, LOG_WARNING, MESSAGE_ID_INITRAMFS_STALE, "initramfs-stale",
                               format_alloc("the initramfs holds another version of %s than the one in use now: "
                                             "rebuild it with '%s' so early boot claims the same devices",
                                             run->config ? run->config->path : "the configuration",
                                             ctx->rebuild_command));
        else if (k == 0 && configured && ctx->initramfs == INITRAMFS_DISABLED)
                k = add_simple(&r, LOG_NOTICE, MESSAGE_ID_DISABLED, "initramfs-disabled",
                               format_alloc("the initramfs stage was disabled by rd.vfio_bind=0 on the kernel "
                                             "command line; devices were claimed in the root stage"));

        if (k == 0) {
                char summary[160];
                size_t ok = 0, early = 0;
                for (size_t i = 0; i < run->n_devices; i++) {
                        const StateDevice *s;
                        ok += device_report_ok(&run->devices[i]);
                        early += claimed_in_initramfs(ctx, &run->devices[i], &s);
                }
                summary_line(summary, sizeof(summary), run, VERB_BOOT);
                const char *where = "";
                if (ok > 0 && early == ok)
                        where = early_udev(ctx, run)
                                        ? ", claimed in the initramfs (after udev had started)"
                                        : ", claimed in the initramfs before udev";
                else if (ok > 0 && early == 0)
                        where = ", claimed in the root stage";
                else if (ok > 0)
                        where = ", claimed partly in the initramfs, partly in the root stage";
                ReportEntry *e = entry_new(&r, ok == run->n_devices ? LOG_INFO : LOG_ERR, MESSAGE_ID_SUMMARY);
                if (!e)
                        k = -ENOMEM;
                else {
                        e->message = run->n_devices == 0 ? strdup("no devices configured: nothing to claim")
                                                         : format_alloc("%s%s", summary, where);
                        k = e->message ? 0 : -ENOMEM;
                        k = k ?: entry_field(e, "VFIO_BIND_KIND=summary");
                        k = k ?: entry_field(e, "VFIO_BIND_FUNCTIONS=%zu", run->n_devices);
                        k = k ?: entry_field(e, "VFIO_BIND_OK=%zu", ok);
                        k = k ?: entry_field(e, "VFIO_BIND_STAGE=%s", ctx->stage);
                }
        }
done:
        if (k < 0) {
                report_clear(&r);
                return k;
        }
        *ret = r;
        return 0;
}

void report_clear(Report *r) {
        for (size_t i = 0; i < r->n; i++) {
                free(r->entries[i].message);
                for (size_t j = 0; j < r->entries[i].n_fields; j++)
                        free(r->entries[i].fields[j]);
        }
        free(r->entries);
        *r = (Report) {};
}
