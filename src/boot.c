/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <syslog.h>

#include "boot.h"
#include "bounded.h"
#include "cmdline.h"
#include "config.h"
#include "engine.h"
#include "fileio.h"
#include "host-facts.h"
#include "journal.h"
#include "lock.h"
#include "macro.h"
#include "metrics.h"
#include "output.h"
#include "report.h"
#include "snapshot.h"
#include "stage.h"
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

/* The error the initramfs stage left in the name of an empty file when it could not write its state, or 0. */
static int initramfs_write_error(const char *root) {
        _cleanup_closedir_ DIR *d = NULL;
        char path[PATH_MAX];
        struct dirent *de;

        d = opendir(root_path(path, root, RUN_DIR));
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, STATE_FILE_FAILED_PREFIX, strlen(STATE_FILE_FAILED_PREFIX)) == 0) {
                        int e = atoi(de->d_name + strlen(STATE_FILE_FAILED_PREFIX));
                        if (e > 0)
                                return e;
                }
        return 0;
}

/* The root stage's view of what the initramfs stage left behind. */
static void read_initramfs_state(const char *root, const Config *config, StateFile *early, BootContext *ctx) {
        char path[PATH_MAX];
        int r;

        r = state_file_read(root_path(path, root, STATE_FILE_INITRAMFS), early);
        if (r == -ENOENT) {
                /* No record: it did not run, unless it said it could not write one. */
                ctx->initramfs_error = initramfs_write_error(root);
                ctx->initramfs = ctx->initramfs_error > 0 ? INITRAMFS_UNRECORDED : INITRAMFS_MISSING;
        } else if (r == -EPROTONOSUPPORT)
                ctx->initramfs = INITRAMFS_OTHER_VERSION;
        else if (r < 0) {
                ctx->initramfs = INITRAMFS_UNREADABLE;
                ctx->initramfs_error = -r;
        } else if (early->disabled)
                /* It claimed nothing and saw nothing worth reporting: this stage's view wins. */
                ctx->initramfs = INITRAMFS_DISABLED;
        else {
                ctx->initramfs_state = early;
                if (early->config_hash != config->hash || early->config_present != !config->missing)
                        ctx->initramfs = INITRAMFS_STALE;
        }
}

/* The initramfs stage's record, in the checked run directory; when it cannot be written, the error in the
 * name of an empty file, which needs no space on a full /run. */
static int write_initramfs_state(const char *root, const Run *run, bool disabled, uint64_t usec) {
        int dir_fd, r;

        dir_fd = run_dir_open(root);
        if (dir_fd < 0)
                return dir_fd;
        r = state_file_write_at(dir_fd, "initramfs.state", run, STAGE_INITRAMFS, disabled, usec);
        if (r < 0) {
                char name[64];
                snprintf(name, sizeof(name), STATE_FILE_FAILED_PREFIX "%d", -r);
                int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
                if (fd >= 0)
                        close(fd);
        }
        close(dir_fd);
        return r;
}

/* The journal when there is one; the kernel log in the initramfs, or when journald is not there. */
static void send_report(const char *root, Stage stage, const Report *report) {
        if (stage == STAGE_INITRAMFS)
                (void)kmsg_send_report(root, report, KMSG_REPORT_LINES);
        else if (*root)
                /* A tree under --root is not this host: keep its report out of the host's journal. */
                report_print_export(stdout, report);
        else if (journal_send_report(report) < (int)report->n)
                (void)kmsg_send_report(root, report, KMSG_REPORT_LINES);
}

/* The metrics file for node_exporter's textfile collector, when [global] metrics_dir asks for one. Its
 * stages come from the outcome just reported, so file and journal tell the same story. */
static void write_metrics(const Run *run, const BootOutcome *outcome) {
        _cleanup_metrics_context_ MetricsContext m = {};
        const char *dir = run->config->metrics_dir;
        int r;

        m.stages = calloc(run->n_devices ?: 1, sizeof(ClaimStage));
        if (!m.stages) {
                fprintf(stderr, "vfio-bind: cannot write the metrics: %s\n", strerror(ENOMEM));
                return;
        }
        for (size_t i = 0; i < run->n_devices; i++) {
                const PciDevice *dev = run->devices[i].dev;
                if (!dev || !driver_is_vfio(dev->driver))
                        m.stages[i] = CLAIM_STAGE_NONE;
                else
                        m.stages[i] = outcome->devices[i].claimed_in == STAGE_INITRAMFS ? CLAIM_STAGE_INITRAMFS
                                                                                       : CLAIM_STAGE_ROOT;
        }
        m.boot_report_usec = realtime_usec();
        r = metrics_write_dir(run->root, dir, run, &m);
        if (r < 0)
                fprintf(stderr, "vfio-bind: cannot write %s/%s (metrics_dir in [global]): %s\n", dir, METRICS_FILE,
                        strerror(-r));
}

static int report_run(const Run *run, const BootContext *ctx) {
        _cleanup_boot_outcome_ BootOutcome outcome = {};
        _cleanup_report_ Report report = {};
        int r;

        r = boot_outcome_build(run, ctx, &outcome);
        if (r < 0)
                return r;
        r = report_build(run, ctx, &outcome, &report);
        if (r < 0)
                return r;
        send_report(run->root, ctx->stage, &report);
        if (ctx->stage == STAGE_ROOT && run->config->metrics_dir)
                write_metrics(run, &outcome);
        return 0;
}

/* The root stage's record: status reads it to tell which stage claimed a device, and when boot reported. */
static void write_root_state(const char *root, const Run *run, bool disabled, uint64_t usec) {
        char path[PATH_MAX];
        int dir_fd, r;

        dir_fd = run_dir_open(root);
        r = dir_fd < 0 ? dir_fd : state_file_write_at(dir_fd, "root.state", run, STAGE_ROOT, disabled, usec);
        if (dir_fd >= 0)
                close(dir_fd);
        if (r < 0)
                fprintf(stderr, "vfio-bind: cannot write %s: %s\n", root_path(path, root, STATE_FILE_ROOT),
                        strerror(-r));
}

/* The first root-stage boot that claimed everything with no snapshot on disk takes one, so that later boots
 * have something to compare with, and says so. Only a success is recorded: a snapshot of a failing setup
 * would make its failure the norm. */
static void snapshot_first_boot(Run *run, const char *rebuild) {
        _cleanup_snapshot_ Snapshot snap = {};
        _cleanup_free_ char *missing = NULL;
        char path[PATH_MAX];
        int r;

        if (run->snapshot_error != -ENOENT || run->n_devices == 0 || run_has_unresolved(run))
                return;
        for (size_t i = 0; i < run->n_devices; i++)
                if (!device_report_ok(&run->devices[i]))
                        return;
        root_path(path, run->root, SNAPSHOT_FILE);
        r = snapshot_take(run, &snap, &missing);
        if (r >= 0 && missing)
                return;
        if (r < 0) {
                note_add(&run->notes, SEVERITY_WARNING, NOTE_SNAPSHOT,
                         format_alloc("no snapshot to compare with, and taking one failed: %s", strerror(-r)),
                         strdup("run 'vfio-bind snapshot'"));
                return;
        }
        r = snapshot_save(run->root, &snap);
        if (r >= 0) {
                note_add(&run->notes, SEVERITY_INFO, NOTE_SNAPSHOT,
                         format_alloc("no snapshot existed: took one of %zu function%s in %s; later boots report "
                                      "what changes",
                                      snap.n, snap.n == 1 ? "" : "s", path),
                         format_alloc("the initramfs stage compares too once its image is made again (%s)",
                                      rebuild));
                return;
        }
        /* This early /var is often not writable (a root still mounted read-only, the unit's sandbox): keep
         * it in the run directory for vfio-bind-snapshot.service, which runs once the file systems are. */
        int save_error = r, dir_fd = run_dir_open(run->root);
        r = dir_fd < 0 ? dir_fd : snapshot_save_at(dir_fd, &snap);
        if (dir_fd >= 0)
                close(dir_fd);
        if (r < 0) {
                note_add(&run->notes, SEVERITY_WARNING, NOTE_SNAPSHOT,
                         format_alloc("no snapshot to compare with, and taking one failed: cannot write %s (%s) nor "
                                      "%s%s (%s)",
                                      path, strerror(-save_error), run->root, SNAPSHOT_PENDING, strerror(-r)),
                         strdup("run 'vfio-bind snapshot' once the cause is fixed"));
                return;
        }
        note_add(&run->notes, SEVERITY_INFO, NOTE_SNAPSHOT,
                 format_alloc("no snapshot existed: took one of %zu function%s; %s is not writable yet (%s), so "
                              "vfio-bind-snapshot.service stores it there from %s%s",
                              snap.n, snap.n == 1 ? "" : "s", path, strerror(-save_error), run->root,
                              SNAPSHOT_PENDING),
                 format_alloc("the initramfs stage compares too once its image is made again (%s)", rebuild));
}

/* The root stage runs before the host's network is configured too: it reads the record the initramfs stage
 * found valid here. Without it the root stage leaves network functions alone. */
static void hand_over_network_record(const char *root, const NetworkFacts *network) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[PATH_MAX];
        int dir_fd;

        dir_fd = run_dir_open(root);
        if (dir_fd < 0)
                return;
        close(dir_fd);
        f = fopen(root_path(path, root, NETWORK_RECORD_HANDOFF), "we");
        if (!f || network_write_record(network, root, f) < 0 || fflush(f) != 0)
                fprintf(stderr, "vfio-bind: cannot write %s: %m\n", path);
}

static void claim(Run *run, const Config *config) {
        _cleanup_free_ char *why = NULL;
        const char *fix;
        int r;

        r = run_lock(run, lock_timeout_sec(config));
        if (r >= 0) {
                r = run_apply(run, false);
                if (r >= 0)
                        return;
                why = format_alloc("claiming failed: %s", strerror(-r));
                fix = "see the messages of vfio-bind above, then run 'vfio-bind apply'";
        } else if (r == -EWOULDBLOCK) {
                why = format_alloc("another vfio-bind holds %s%s", run->root, LOCK_FILE);
                fix = "wait for the other vfio-bind to finish, then run 'vfio-bind apply'";
        } else {
                why = format_alloc("cannot take the lock %s%s: %s", run->root, LOCK_FILE, strerror(-r));
                fix = "/run/vfio-bind must be a directory owned by root: remove what is there, then run "
                      "'vfio-bind apply'";
        }
        fprintf(stderr, "vfio-bind: %s\n", strna(why));
        r = run_not_claimed(run, strna(why), fix);
        if (r < 0)
                fprintf(stderr, "vfio-bind: cannot read the host's state: %s\n", strerror(-r));
}

int boot_stage(const char *root, const char *config_path, Stage stage) {
        _cleanup_config_ Config *config = NULL;
        _cleanup_state_file_ StateFile early = {};
        _cleanup_run_ Run run = { .lock_fd = -1 };
        char path[PATH_MAX];
        bool initramfs = stage == STAGE_INITRAMFS;
        uint64_t start = now_usec();
        int r;

        r = config_load(config_path, &config);
        if (r < 0) {
                /* Not even readable: say so wherever we can, and let boot go on. */
                fprintf(stderr, "vfio-bind: cannot read %s: %s\n", config_path, strerror(-r));
                return initramfs ? 0 : 1;
        }

        r = run_init(&run, root, config, initramfs ? HOST_FACTS_BOOT_INITRAMFS : HOST_FACTS_BOOT_ROOT);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot read the host's state: %s\n", strerror(-r));
                return initramfs ? 0 : 1;
        }
        if (run.facts.recorded_storage_error < 0)
                fprintf(stderr, "vfio-bind: cannot read %s%s: %s\n", root, STORAGE_RECORD,
                        strerror(-run.facts.recorded_storage_error));

        if (initramfs && run.facts.network.recorded)
                hand_over_network_record(root, &run.facts.network);

        bool disabled = cmdline_get_bool(run.facts.cmdline, "vfio_bind") == 0;
        bool initramfs_disabled = cmdline_get_bool(run.facts.cmdline, "rd.vfio_bind") == 0;
        if (!disabled && !(initramfs && initramfs_disabled) && !config->missing)
                claim(&run, config);

        BootContext ctx = {
                .stage = stage,
                .disabled = disabled,
                .initramfs = INITRAMFS_RAN,
                .rebuild_command = rebuild_command(root),
        };
        if (initramfs) {
                r = write_initramfs_state(root, &run, disabled || initramfs_disabled, now_usec() - start);
                root_path(path, root, STATE_FILE_INITRAMFS);
                if (r < 0)
                        fprintf(stderr, "vfio-bind: cannot write %s: %s\n", path, strerror(-r));
                if (initramfs_disabled && !disabled)
                        ctx.initramfs = INITRAMFS_DISABLED;
        } else {
                read_initramfs_state(root, config, &early, &ctx);
                if (!disabled && !config->missing)
                        snapshot_first_boot(&run, ctx.rebuild_command);
                write_root_state(root, &run, disabled, now_usec() - start);
        }

        r = report_run(&run, &ctx);
        if (r < 0)
                fprintf(stderr, "vfio-bind: cannot build the boot report: %s\n", strerror(-r));

        /* The initramfs stage never fails boot; the root unit fails visibly when a device is not claimed. */
        if (!initramfs && run_has_unresolved(&run))
                return 1;
        if (!initramfs)
                for (size_t i = 0; i < run.n_devices; i++)
                        if (!device_report_ok(&run.devices[i]))
                                return 1;
        return 0;
}
