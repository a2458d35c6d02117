/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "stage.h"
#include "alloc-util.h"
#include "string-util.h"

/* Did the device reach its driver in the initramfs? Its state says so, and the device is still on it. */
static bool claimed_in_initramfs(const BootContext *ctx, const DeviceReport *d, const StateDevice *early) {
        bool on_driver = d->dev && streq_ptr(d->dev->driver, d->wanted_driver);

        if (ctx->stage == STAGE_INITRAMFS)
                return on_driver;
        return early && streq_ptr(early->driver_after, d->wanted_driver) && on_driver;
}

/* Warnings the initramfs stage saw that this stage cannot see any more (its own claim removed the cause, as
 * with a firmware framebuffer) belong in the report the user reads. */
static int carry_notes(const StateFile *early, const DeviceReport *d, DeviceOutcome *o) {
        for (size_t i = 0; early && i < early->n_notes; i++) {
                const StateNote *sn = &early->notes[i];
                if (!streq(sn->name, d->name) || note_list_has(&d->notes, sn->code) ||
                    note_list_has(&o->carried, sn->code))
                        continue;
                Severity sev = sn->severity == SEVERITY_ERROR ? SEVERITY_ERROR : SEVERITY_WARNING;
                int r = note_add(&o->carried, sev, sn->code, strdup_or_null(sn->message), strdup_or_null(sn->fix));
                if (r < 0)
                        return r;
                if (sev > o->severity)
                        o->severity = sev;
        }
        return 0;
}

static int device_outcome_build(const BootContext *ctx, const DeviceReport *d, DeviceOutcome *o) {
        const StateFile *early_state = ctx->stage == STAGE_ROOT ? ctx->initramfs_state : NULL;
        const StateDevice *early = early_state ? state_file_find(early_state, d->name) : NULL;
        bool in_initramfs = claimed_in_initramfs(ctx, d, early);

        *o = (DeviceOutcome){
                .in_initramfs = in_initramfs,
                .claimed_in = in_initramfs ? STAGE_INITRAMFS : ctx->stage,
                .result = d->result,
                /* The user wants the whole story: the first stage that saw the device knows what it was on. */
                .previous_driver = early ? early->driver_before : d->driver_before,
                .usec = in_initramfs && early ? early->usec : d->usec,
                .severity = device_report_severity(d),
                .early_reason = early ? early->reason : REASON_NONE,
                .early_message = early ? early->message : NULL,
        };
        if (in_initramfs && early && early->result == RESULT_CLAIMED)
                o->result = RESULT_CLAIMED;
        return carry_notes(early_state, d, o);
}

int boot_outcome_build(const Run *run, const BootContext *ctx, BootOutcome *ret) {
        _cleanup_boot_outcome_ BootOutcome o = {};
        int r;

        o.early_udev = ctx->stage == STAGE_INITRAMFS ? run->facts.udev_running
                                                     : ctx->initramfs_state && ctx->initramfs_state->udev_running;
        if (ctx->stage == STAGE_ROOT && ctx->initramfs_state)
                o.initramfs_usec = ctx->initramfs_state->duration_usec;
        if (run->n_devices > 0) {
                o.devices = calloc(run->n_devices, sizeof(*o.devices));
                if (!o.devices)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                o.n_devices++;
                r = device_outcome_build(ctx, d, &o.devices[i]);
                if (r < 0)
                        // cppcheck-suppress memleak ; o is _cleanup_boot_outcome_: freed on this return
                        return r;
                o.n_ok += device_report_ok(d);
                o.n_in_initramfs += o.devices[i].in_initramfs;
        }
        *ret = o;
        o = (BootOutcome){};
        return 0;
}

void boot_outcome_done(BootOutcome *o) {
        for (size_t i = 0; i < o->n_devices; i++)
                note_list_done(&o->devices[i].carried);
        free(o->devices);
        *o = (BootOutcome){};
}
