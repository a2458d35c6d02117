/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <syslog.h>

#include "alloc-util.h"
#include "macro.h"
#include "message-ids.h"
#include "output.h"
#include "report.h"
#include "string-util.h"

/* The field belongs to e->fields, an entry of r->entries, freed by report_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
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
ANALYZER_OWNED_BY_ARRAY_END

/* "/dev/vfio/7 0600 0:0", or "none": the node a VMM opens and who may open it. */
static int node_field(ReportEntry *e, const char *field, const VfioNode *n) {
        if (!n->exists)
                return entry_field(e, "%s=none", field);
        return entry_field(e, "%s=%s %04o %u:%u", field, n->path, (unsigned)n->mode, (unsigned)n->uid,
                           (unsigned)n->gid);
}

static ReportEntry *entry_new(Report *r, int priority, const char *message_id) {
        if (!GREEDY_REALLOC(r->entries, r->n + 1))
                return NULL;
        ReportEntry *e = &r->entries[r->n++];
        *e = (ReportEntry){ .priority = priority, .message_id = message_id };
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

/* "gpu 0000:01:00.0 (10de:2684 VGA controller): on vfio-pci, claimed in the initramfs before udev (previous
 * driver: none)", with the fix or the warnings a person needs on the same line. */
static char *device_message(const DeviceReport *d, const DeviceOutcome *o, bool early_udev) {
        const char *label = device_report_label(d);
        const char *where = o->in_initramfs ? (early_udev ? "in the initramfs, after udev had started"
                                                          : "in the initramfs before udev")
                                            : "in the root stage";
        char ids[64] = "";
        char *m = NULL;

        if (d->dev)
                snprintf(ids, sizeof(ids), " (%04x:%04x %s)", d->dev->vendor, d->dev->device,
                         pci_class_name(d->dev->class));
        if (device_report_ok(d) && (o->result == RESULT_CLAIMED || o->result == RESULT_ALREADY))
                m = format_alloc("%s %s%s: on %s, %s %s (previous driver: %s)", label, d->name, ids, d->wanted_driver,
                                 o->result == RESULT_CLAIMED ? "claimed" : "already claimed",
                                 o->in_initramfs || o->result == RESULT_CLAIMED ? where : "before this boot's stages",
                                 o->previous_driver ?: "none");
        else if (device_report_ok(d))
                m = format_alloc("%s %s%s: %s", label, d->name, ids, result_to_string(o->result));
        else
                m = format_alloc("%s %s%s: %s: %s%s%s", label, d->name, ids, result_to_string(o->result),
                                 d->message ?: reason_to_string(d->reason), d->fix ? ". Fix: " : "", d->fix ?: "");
        return m;
}

/* Warnings (group not viable, boot VGA) belong in the same line a person reads. */
static int append_warnings(char **message, const NoteList *notes) {
        for (size_t i = 0; i < notes->n; i++) {
                const Note *note = &notes->notes[i];
                if (note->severity < SEVERITY_WARNING)
                        continue;
                if (strextendf_with_separator(message, ". ", "Warning: %s%s%s", note->message,
                                              note->fix ? ". Fix: " : "", note->fix ?: "") < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int add_device_entry(Report *r, const BootOutcome *outcome, const DeviceReport *d, const DeviceOutcome *o) {
        bool ok = device_report_ok(d);
        int k;

        /* A network function the initramfs leaves to the root stage is no failure: the root stage decides. */
        int priority = ok || d->reason == REASON_NETWORK_DEFERRED
                               ? (o->severity == SEVERITY_WARNING && ok ? LOG_WARNING : LOG_INFO)
                               : LOG_ERR;
        ReportEntry *e = entry_new(r, priority, message_id_for(o->result, ok));
        if (!e)
                return -ENOMEM;
        e->message = device_message(d, o, outcome->early_udev);
        if (!e->message)
                return -ENOMEM;
        k = append_warnings(&e->message, &d->notes);
        k = k ?: append_warnings(&e->message, &o->carried);

        k = k ?: entry_field(e, "VFIO_BIND_DEVICE=%s", d->name);
        k = k ?: entry_field(e, "VFIO_BIND_LABEL=%s", device_report_label(d));
        k = k ?: entry_field(e, "VFIO_BIND_RESULT=%s", result_to_string(o->result));
        k = k ?: entry_field(e, "VFIO_BIND_DRIVER=%s", d->dev && d->dev->driver ? d->dev->driver : "none");
        k = k ?: entry_field(e, "VFIO_BIND_PREVIOUS_DRIVER=%s", o->previous_driver ?: "none");
        k = k ?: entry_field(e, "VFIO_BIND_STAGE=%s", stage_to_string(o->claimed_in));
        if (d->dev && d->dev->iommu_group >= 0)
                k = k ?: entry_field(e, "VFIO_BIND_IOMMU_GROUP=%d", d->dev->iommu_group);
        k = k ?: entry_field(e, "VFIO_BIND_GROUP_VIABLE=%s", d->group_viable ? "yes" : "no");
        if (d->interfaces_read) {
                k = k ?: node_field(e, "VFIO_BIND_GROUP_NODE", &d->group_node);
                k = k ?: node_field(e, "VFIO_BIND_CDEV", &d->cdev_node);
        }
        k = k ?: entry_field(e, "VFIO_BIND_REASON=%s", reason_to_string(d->reason));
        if (d->fix && !ok)
                k = k ?: entry_field(e, "VFIO_BIND_FIX=%s", d->fix);
        if (d->dev)
                k = k ?: entry_field(e, "VFIO_BIND_ID=%04x:%04x", d->dev->vendor, d->dev->device);
        k = k ?: entry_field(e, "VFIO_BIND_USEC=%llu", (unsigned long long)o->usec);
        if (o->early_reason != REASON_NONE) {
                k = k ?: entry_field(e, "VFIO_BIND_INITRAMFS_REASON=%s", reason_to_string(o->early_reason));
                if (o->early_message)
                        k = k ?: entry_field(e, "VFIO_BIND_INITRAMFS_MESSAGE=%s", o->early_message);
        }
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

static int add_config_errors(Report *r, const Config *config) {
        int k = 0;

        for (size_t i = 0; config && i < config->n_errors && k == 0; i++)
                k = add_simple(r, LOG_ERR, MESSAGE_ID_HOST_NOTE, "config-error",
                               config->errors[i].line
                                       ? format_alloc("%s:%u: %s", config->path, config->errors[i].line,
                                                      config->errors[i].message)
                                       : format_alloc("%s: %s", config->path, config->errors[i].message));
        return k;
}

static int add_host_notes(Report *r, const NoteList *notes) {
        int k = 0;

        for (size_t i = 0; i < notes->n && k == 0; i++) {
                const Note *n = &notes->notes[i];
                if (n->code == NOTE_CONFIG_INVALID)
                        continue; /* each error has its own entry */
                k = add_simple(r,
                               n->severity == SEVERITY_ERROR     ? LOG_ERR
                               : n->severity == SEVERITY_WARNING ? LOG_WARNING
                                                                 : LOG_INFO,
                               MESSAGE_ID_HOST_NOTE, note_code_to_string(n->code),
                               n->fix ? format_alloc("%s. Fix: %s", n->message, n->fix) : strdup(n->message));
        }
        return k;
}

/* What to do about a record that could not be written or read: never "rebuild the initramfs", which would
 * not help. */
static const char *state_error_fix(int error) {
        switch (error) {
        case ENOSPC:
        case EDQUOT:
                return "/run is full: see 'df -h /run' and what fills it";
        case EROFS:
                return "/run is mounted read-only: it must be a writable tmpfs";
        case ENOTDIR:
        case ELOOP:
                return "/run/vfio-bind is not a directory: remove what is there and reboot";
        case EPERM:
        case EACCES:
                return "/run/vfio-bind must be owned by root and writable only by it: remove it and reboot";
        default:
                return "check /run/vfio-bind and 'journalctl -b -k -t vfio-bind'";
        }
}

/* Why the initramfs stage did not do its part, when it did not. */
static int add_initramfs_entry(Report *r, const Run *run, const BootContext *ctx) {
        switch (ctx->initramfs) {
        case INITRAMFS_MISSING:
                return add_simple(r, LOG_WARNING, MESSAGE_ID_INITRAMFS_STALE, "initramfs-missing",
                                  format_alloc("the initramfs stage of vfio-bind did not run (the initramfs was built "
                                               "before vfio-bind was installed or before the configuration named a "
                                               "device), so host drivers inside the initramfs could bind first: "
                                               "rebuild the initramfs with '%s' and reboot",
                                               ctx->rebuild_command));
        case INITRAMFS_STALE:
                return add_simple(r, LOG_WARNING, MESSAGE_ID_INITRAMFS_STALE, "initramfs-stale",
                                  format_alloc("the initramfs holds another version of %s than the one in use now: "
                                               "rebuild it with '%s' so early boot claims the same devices",
                                               run_config_path(run), ctx->rebuild_command));
        case INITRAMFS_OTHER_VERSION:
                return add_simple(r, LOG_WARNING, MESSAGE_ID_INITRAMFS_STALE, "initramfs-version",
                                  format_alloc("the initramfs stage was built from another version of vfio-bind: its "
                                               "record (state file version other than %d) cannot be read, so this "
                                               "report only knows the root stage: rebuild the initramfs with '%s'",
                                               STATE_FILE_VERSION, ctx->rebuild_command));
        case INITRAMFS_UNRECORDED:
                return add_simple(r, LOG_ERR, MESSAGE_ID_INITRAMFS_STALE, "initramfs-unrecorded",
                                  format_alloc("the initramfs stage of vfio-bind ran, but could not write its record "
                                               "%s: %s; this report only knows the root stage. Fix: %s",
                                               STATE_FILE_INITRAMFS, strerror(ctx->initramfs_error),
                                               state_error_fix(ctx->initramfs_error)));
        case INITRAMFS_UNREADABLE:
                return add_simple(r, LOG_ERR, MESSAGE_ID_INITRAMFS_STALE, "initramfs-unreadable",
                                  format_alloc("cannot read the initramfs stage's record %s: %s; this report only "
                                               "knows the root stage. Fix: %s",
                                               STATE_FILE_INITRAMFS, strerror(ctx->initramfs_error),
                                               state_error_fix(ctx->initramfs_error)));
        case INITRAMFS_DISABLED:
                return add_simple(r, LOG_NOTICE, MESSAGE_ID_DISABLED, "initramfs-disabled",
                                  format_alloc("the initramfs stage was disabled by rd.vfio_bind=0 on the kernel "
                                               "command line; devices were claimed in the root stage"));
        default:
                return 0;
        }
}

/* The message belongs to the entry in r->entries, freed by report_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_summary(Report *r, const Run *run, const BootContext *ctx, const BootOutcome *o) {
        char summary[SUMMARY_MAX];
        const char *where = "";

        summary_line(summary, sizeof(summary), run, VERB_BOOT);
        if (o->n_ok > 0 && o->n_in_initramfs == o->n_ok)
                where = o->early_udev ? ", claimed in the initramfs (after udev had started)"
                                      : ", claimed in the initramfs before udev";
        else if (o->n_ok > 0 && o->n_in_initramfs == 0)
                where = ", claimed in the root stage";
        else if (o->n_ok > 0)
                where = ", claimed partly in the initramfs, partly in the root stage";
        /* Network functions the initramfs leaves to the root stage are not failures of this one. */
        size_t deferred = 0;
        for (size_t i = 0; i < run->n_devices; i++)
                deferred += run->devices[i].reason == REASON_NETWORK_DEFERRED;
        char later[96] = "";
        if (deferred > 0)
                snprintf(later, sizeof(later), "; %zu network function%s left to the root stage", deferred,
                         deferred == 1 ? "" : "s");
        ReportEntry *e = entry_new(r, o->n_ok + deferred == run->n_devices ? LOG_INFO : LOG_ERR, MESSAGE_ID_SUMMARY);
        if (!e)
                return -ENOMEM;
        e->message = run->n_devices == 0 && run->n_sriov > 0
                             ? strdup("no function to claim: the virtual functions that vfs = asks for do not exist")
                     : run->n_devices == 0 ? strdup("no devices configured: nothing to claim")
                                           : format_alloc("%s%s%s", summary, where, later);
        int k = e->message ? 0 : -ENOMEM;
        k = k ?: entry_field(e, "VFIO_BIND_KIND=summary");
        k = k ?: entry_field(e, "VFIO_BIND_FUNCTIONS=%zu", run->n_devices);
        k = k ?: entry_field(e, "VFIO_BIND_OK=%zu", o->n_ok);
        k = k ?: entry_field(e, "VFIO_BIND_STAGE=%s", stage_to_string(ctx->stage));
        if (o->initramfs_usec > 0)
                k = k ?: entry_field(e, "VFIO_BIND_INITRAMFS_USEC=%llu", (unsigned long long)o->initramfs_usec);
        return k;
}
ANALYZER_OWNED_BY_ARRAY_END

int report_build(const Run *run, const BootContext *ctx, const BootOutcome *outcome, Report *ret) {
        _cleanup_report_ Report r = {};
        int k;

        if (ctx->disabled)
                k = add_simple(&r, LOG_NOTICE, MESSAGE_ID_DISABLED, "disabled",
                               format_alloc("vfio-bind is disabled by vfio_bind=0 on the kernel command line: "
                                            "nothing was claimed"));
        else {
                k = add_config_errors(&r, run->config);
                for (size_t i = 0; i < run->n_devices && k == 0; i++)
                        k = add_device_entry(&r, outcome, &run->devices[i], &outcome->devices[i]);
                k = k ?: add_host_notes(&r, &run->notes);
                if (k == 0 && run->n_devices > 0)
                        k = add_initramfs_entry(&r, run, ctx);
                k = k ?: add_summary(&r, run, ctx, outcome);
        }
        if (k < 0)
                return k;
        *ret = r;
        r = (Report){};
        return 0;
}

void report_done(Report *r) {
        for (size_t i = 0; i < r->n; i++) {
                free(r->entries[i].message);
                for (size_t j = 0; j < r->entries[i].n_fields; j++)
                        free(r->entries[i].fields[j]);
        }
        free(r->entries);
        *r = (Report){};
}
