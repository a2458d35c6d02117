/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <syslog.h>

#include "boot.h"
#include "bounded.h"
#include "config.h"
#include "engine.h"
#include "fileio.h"
#include "host-facts.h"
#include "journal.h"
#include "macro.h"
#include "output.h"
#include "report.h"
#include "state-file.h"
#include "sysroot.h"

/* The command that rebuilds the initramfs with the tool this system uses. */
static const char *rebuild_command(const char *root) {
        char path[PATH_MAX];
        if (path_exists(root_path(path, root, "/usr/sbin/update-initramfs")))
                return "update-initramfs -u -k all";
        if (path_exists(root_path(path, root, "/usr/bin/dracut")) || path_exists(root_path(path, root, "/sbin/dracut")))
                return "dracut -f --regenerate-all";
        return "update-initramfs -u -k all (initramfs-tools) or dracut -f --regenerate-all (dracut)";
}

/* Warnings the initramfs stage saw that this stage cannot see any more (its own claim removed the cause,
 * as with a firmware framebuffer) belong in the report the user reads. */
static void carry_over_notes(Run *run, const StateFile *early) {
        for (size_t i = 0; i < early->n_notes; i++) {
                const StateNote *sn = &early->notes[i];
                for (size_t j = 0; j < run->n_devices; j++) {
                        DeviceReport *d = &run->devices[j];
                        if (!streq(d->name, sn->name))
                                continue;
                        if (note_list_has(&d->notes, sn->code))
                                continue;
                        /* Note codes are static strings: take ours for a code we know. */
                        static const char *const known[] = { "firmware-framebuffer", "boot-vga", "reset-method",
                                                             "no-reset", "forced" };
                        const char *code = "initramfs-note";
                        for (size_t k = 0; k < ELEMENTSOF(known); k++)
                                if (streq(sn->code, known[k]))
                                        code = known[k];
                        (void) note_add(&d->notes, sn->severity == SEVERITY_ERROR ? SEVERITY_ERROR : SEVERITY_WARNING,
                                        code, strdup_or_null(sn->message), strdup_or_null(sn->fix));
                }
        }
}

int boot_stage(const char *root, const char *config_path, const char *stage) {
        _cleanup_config_ Config *config = NULL;
        _cleanup_free_ char *cmdline = NULL;
        char path[PATH_MAX];
        bool initramfs = streq(stage, "initramfs");
        uint64_t start = now_usec();
        StateFile early = {};
        Report report = {};
        Run run;
        int r, status = 0;

        (void) read_attr(root_path(path, root, "/proc/cmdline"), &cmdline);
        bool disabled = cmdline_get_bool(cmdline, "vfio_bind") == 0;
        bool initramfs_disabled = cmdline_get_bool(cmdline, "rd.vfio_bind") == 0;

        r = config_load(config_path, &config);
        if (r < 0) {
                /* Not even readable: say so wherever we can, and let boot go on. */
                fprintf(stderr, "vfio-bind: cannot read %s: %s\n", config_path, strerror(-r));
                return initramfs ? 0 : 1;
        }

        r = run_init(&run, root, config);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot read the host's state: %s\n", strerror(-r));
                return initramfs ? 0 : 1;
        }

        run.facts.udev_running = host_udev_running(root);
        if (initramfs) {
                r = host_facts_add_recorded_storage(&run.facts, root);
                if (r < 0 && r != -ENOENT && r != -ESTALE)
                        fprintf(stderr, "vfio-bind: cannot read %s%s: %s\n", root, STORAGE_RECORD, strerror(-r));
        }

        bool skip = disabled || (initramfs && initramfs_disabled) || config->missing;
        if (!skip) {
                r = run_lock(&run, lock_timeout_sec(config));
                if (r >= 0)
                        r = run_apply(&run, false);
                if (r < 0)
                        fprintf(stderr, "vfio-bind: claiming failed: %s\n", strerror(-r));
        }

        BootContext ctx = {
                .stage = stage,
                .disabled = disabled,
                .initramfs = INITRAMFS_RAN,
                .rebuild_command = rebuild_command(root),
        };

        if (initramfs) {
                r = state_file_write(root_path(path, root, STATE_FILE_INITRAMFS), &run, stage,
                                     disabled || initramfs_disabled, now_usec() - start);
                if (r < 0)
                        fprintf(stderr, "vfio-bind: cannot write %s: %s\n", path, strerror(-r));
                if (initramfs_disabled && !disabled)
                        ctx.initramfs = INITRAMFS_DISABLED;
        } else {
                r = state_file_read(root_path(path, root, STATE_FILE_INITRAMFS), &early);
                if (r == -ENOENT)
                        ctx.initramfs = INITRAMFS_MISSING;
                else if (r < 0) {
                        fprintf(stderr, "vfio-bind: cannot read %s: %s\n", path, strerror(-r));
                        ctx.initramfs = INITRAMFS_MISSING;
                } else {
                        ctx.initramfs_state = &early;
                        if (early.disabled) {
                                /* It claimed nothing and saw nothing worth reporting: this stage's view wins. */
                                ctx.initramfs = INITRAMFS_DISABLED;
                                ctx.initramfs_state = NULL;
                        }
                        else if (early.config_hash != config->hash || early.config_present != !config->missing)
                                ctx.initramfs = INITRAMFS_STALE;
                }
        }

        if (ctx.initramfs_state)
                carry_over_notes(&run, ctx.initramfs_state);

        r = report_build(&run, &ctx, &report);
        if (r >= 0) {
                if (initramfs)
                        (void) kmsg_send_report(root, &report, KMSG_REPORT_LINES);
                else if (*root)
                        /* A tree under --root is not this host: keep its report out of the host's journal. */
                        report_print_export(stdout, &report);
                else if (journal_send_report(&report) < (int) report.n)
                        (void) kmsg_send_report(root, &report, KMSG_REPORT_LINES);
        }

        if (!initramfs)
                for (size_t i = 0; i < run.n_devices; i++)
                        if (!device_report_ok(&run.devices[i]))
                                status = 1;
        report_clear(&report);
        state_file_clear(&early);
        run_done(&run);
        /* The initramfs stage never fails boot; the root unit fails visibly when a device is not claimed. */
        return status;
}
