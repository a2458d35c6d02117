/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "assess.h"
#include "bounded.h"
#include "engine.h"
#include "explain.h"
#include "fileio.h"
#include "modules.h"
#include "sriov.h"
#include "steps.h"
#include "string-util.h"
#include "sysroot.h"

/* The claim: overrides first, then the drivers' modules, then unbind and bind what is still on another
 * driver, each device within its own time limit, and last a look at what is true now. */

/* The backend that lets a VM open a VFIO group. */
#define VFIO_IOMMU_BACKEND "vfio_iommu_type1"

/* Why the run stops starting new work, for the devices it did not get to. */
static const char *stop_reason(void) {
        return run_stop_requested() ? "vfio-bind was asked to stop (SIGTERM) before its turn"
                                    : "the run's time budget was spent before its turn";
}

/* A device whose claim never started gets back the override it had: only a started claim leaves a hold. */
/* What the kernel shows now, after the last write; a device that is gone is a failed claim. */
static int read_back_driver(Run *run, DeviceReport *d, char **ret_driver) {
        int r = pci_device_read_driver(run->root, d->name, ret_driver);
        if (r < 0) {
                explain(d, run, EXPLAIN_VANISHED_CLAIMING, NULL);
                d->result = RESULT_FAILED;
        }
        return r;
}

static void claim_abandon(Run *run, DeviceReport *d, const char *why) {
        _cleanup_free_ char *now = NULL;
        char path[PATH_MAX];
        int r;

        if (d->override_written) {
                r = write_attr(device_attr_path(path, run->root, d->name, "driver_override"),
                               d->override_before ?: "\n");
                if (r >= 0)
                        d->override_written = false;
        }
        if (read_back_driver(run, d, &now) < 0)
                return;
        if (streq_ptr(now, d->wanted_driver)) {
                /* On its driver already (or bound by the module load): nothing was left undone. */
                explain(d, run, EXPLAIN_ON_DRIVER, NULL);
                d->result = streq_ptr(d->driver_before, d->wanted_driver) ? RESULT_ALREADY : RESULT_CLAIMED;
                return;
        }
        ExplainArgs args = { .current = now, .detail = why, .hint = "run 'vfio-bind apply'" };
        explain(d, run, now ? EXPLAIN_NOT_CLAIMED : EXPLAIN_NOT_CLAIMED_UNBOUND, &args);
        d->result = RESULT_FAILED;
}

/* Still to be claimed: nothing refused it, nothing has happened to it yet. */
static bool claim_pending_on(const DeviceReport *d) {
        return d->reason == REASON_NONE && d->result == RESULT_NONE;
}

typedef struct ModuleWork {
        const char *root;
        const char *module;
} ModuleWork;

static int module_work(BoundedStep *s, void *userdata) {
        const ModuleWork *w = userdata;
        return step_load_module(s, w->root, w->module);
}

/* Load MODULE within the per-device limit. -ETIME when it did not finish in time. */
static int load_module_bounded(Run *run, const char *module) {
        BoundedResult b;
        int r;

        ModuleWork w = { .root = run->root, .module = module };
        r = bounded_run(module_work, &w, run_timeout_msec(run), run->lock_fd, &b);
        if (r < 0)
                return r;
        if (b.not_started)
                return -ECANCELED;
        if (b.timed_out)
                return -ETIME;
        return b.error;
}

/* The VFIO IOMMU backend is what lets a VM open the group: without it the claim works, VMs do not. Tried
 * once per run, so a failing load warns once. */
static void load_iommu_backend(Run *run) {
        int r;

        if (module_state(run->root, VFIO_IOMMU_BACKEND) >= MODULE_LIVE)
                return;
        r = load_module_bounded(run, VFIO_IOMMU_BACKEND);
        if (r == -EXDEV)
                note_add(&run->notes, SEVERITY_WARNING, NOTE_IOMMU_BACKEND,
                         strdup(VFIO_IOMMU_BACKEND " was not loaded: modules are not loaded under --root, whose "
                                                   "tree is not this host"),
                         strdup("load it on the host the tree describes"));
        else if (r < 0)
                note_add(&run->notes, SEVERITY_WARNING, NOTE_IOMMU_BACKEND,
                         format_alloc("could not load " VFIO_IOMMU_BACKEND " (%s): VMs cannot use VFIO devices",
                                      r == -ETIME ? "timed out" : strerror(-r)),
                         strdup("check 'journalctl -k' and that the kernel has CONFIG_VFIO_IOMMU_TYPE1"));
}

/* Make the driver available. Loading the driver's module also binds every unbound device whose override
 * names it: the fastest way to claim, before any host driver can. */
static int ensure_driver(Run *run, const char *driver) {
        char module[MODULE_NAME_MAX];
        int r;

        if (pci_driver_registered(run->root, driver))
                return 0;
        driver_to_module_name(driver, module, sizeof(module));
        r = load_module_bounded(run, module);
        if (r < 0)
                return r;
        /* A module may be live yet register its driver under another name: that is a mistake in driver =. */
        return pci_driver_registered(run->root, driver) ? 0 : -ENOENT;
}

/* Every device still waiting for DRIVER fails with the same explanation of why it is not there. */
static void fail_driver_users(Run *run, const char *driver, int error) {
        char module[MODULE_NAME_MAX];

        driver_to_module_name(driver, module, sizeof(module));
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (!claim_pending_on(d) || !streq(d->wanted_driver, driver))
                        continue;
                ExplainArgs args = { .module = module, .error = -error };
                if (error == -ECANCELED) {
                        claim_abandon(run, d, stop_reason());
                        continue;
                }
                if (error == -EXDEV) {
                        explain(d, run, EXPLAIN_MODULE_NOT_LOADED_ROOT, &args);
                        d->result = RESULT_FAILED;
                        continue;
                }
                if (error == -ETIME) {
                        explain(d, run, EXPLAIN_MODULE_STUCK, &args);
                        d->result = RESULT_STUCK;
                } else {
                        explain(d, run, error == -ENOENT ? EXPLAIN_DRIVER_NOT_LOADED : EXPLAIN_MODULE_FAILED, &args);
                        d->result = RESULT_FAILED;
                }
        }
}

/* Each distinct driver once, whatever the number of devices that want it: a failing load then costs one
 * time limit and gives one explanation, shared by its devices. */
static int claim_load_drivers(Run *run) {
        _cleanup_free_ const char **tried = NULL;
        size_t n_tried = 0;

        if (run->n_devices == 0)
                return 0;
        tried = calloc(run->n_devices, sizeof(*tried));
        if (!tried)
                return -ENOMEM;
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                bool seen = false;
                if (!claim_pending_on(d))
                        continue;
                for (size_t k = 0; k < n_tried && !seen; k++)
                        seen = streq(tried[k], d->wanted_driver);
                if (seen)
                        continue;
                if (run_should_stop()) {
                        fail_driver_users(run, d->wanted_driver, -ECANCELED);
                        continue;
                }
                if (n_tried == 0)
                        load_iommu_backend(run);
                tried[n_tried++] = d->wanted_driver;
                int r = ensure_driver(run, d->wanted_driver);
                if (r < 0)
                        fail_driver_users(run, d->wanted_driver, r);
        }
        return 0;
}

static void explain_bind_failure(Run *run, DeviceReport *d, int error, WorkStep step, const char *from_driver) {
        ExplainArgs args = { .current = from_driver, .error = error };

        if (step == STEP_UNBIND)
                explain(d, run, EXPLAIN_UNBIND_FAILED, &args);
        else if (error == EINVAL)
                explain(d, run, EXPLAIN_PROBE_INVALID, &args);
        else if (error == EBUSY)
                explain(d, run, EXPLAIN_PROBE_BUSY, &args);
        else if (error == ENODEV)
                explain(d, run, EXPLAIN_PROBE_NO_MATCH, &args);
        else
                explain(d, run, EXPLAIN_PROBE_REFUSED, &args);
}

/* Before the claim: is there anything to do? Fills the work item when there is. */
static bool claim_prepare(Run *run, DeviceReport *d, DriverMove *ret) {
        char *driver = NULL;
        int r;

        r = pci_device_read_driver(run->root, d->name, &driver);
        if (r < 0) {
                explain(d, run, EXPLAIN_VANISHED_CLAIMING, NULL);
                d->result = RESULT_FAILED;
                return false;
        }
        if (streq_ptr(driver, d->wanted_driver)) {
                /* Loading the module bound it already, through its override. */
                d->result = streq_ptr(d->driver_before, d->wanted_driver) ? RESULT_ALREADY : RESULT_CLAIMED;
                free(driver);
                return false;
        }
        *ret = (DriverMove){ .root = run->root, .name = d->name, .from_driver = driver, .to_driver = d->wanted_driver };
        return true;
}

/* After the claim: the driver link is the only truth, since a write can succeed with nothing bound. */
static void claim_finish(Run *run, DeviceReport *d, const DriverMove *w, const BoundedResult *b) {
        _cleanup_free_ char *now = NULL;

        d->usec += b->usec;
        if (b->timed_out) {
                explain(d, run, EXPLAIN_CLAIM_STUCK, &(ExplainArgs){ .step = b->step });
                d->result = RESULT_STUCK;
                return;
        }

        if (read_back_driver(run, d, &now) < 0)
                return;
        if (streq_ptr(now, d->wanted_driver)) {
                d->result = RESULT_CLAIMED;
                return;
        }
        d->result = RESULT_FAILED;
        if (b->error == -ECHILD)
                explain(d, run, EXPLAIN_CLAIM_ABNORMAL, &(ExplainArgs){ .step = b->step });
        else if (b->error < 0)
                explain_bind_failure(run, d, -b->error, b->step_code, w->from_driver);
        else if (now)
                explain(d, run, EXPLAIN_WRONG_DRIVER, &(ExplainArgs){ .current = now });
        else
                explain(d, run, EXPLAIN_NOT_BOUND, NULL);
}

typedef struct ClaimBatch {
        DriverMove *works;
} ClaimBatch;

static int claim_item(BoundedStep *s, size_t index, void *userdata) {
        ClaimBatch *batch = userdata;
        return step_move(s, &batch->works[index]);
}

/* Unbind and bind every device that still needs it, each with its own time limit. */
static int claim_pending(Run *run) {
        _cleanup_free_ DriverMove *works = calloc(run->n_devices, sizeof(DriverMove));
        _cleanup_free_ BoundedResult *results = calloc(run->n_devices, sizeof(BoundedResult));
        _cleanup_free_ size_t *index = calloc(run->n_devices, sizeof(size_t));
        size_t n = 0;
        int r;

        if (run->n_devices == 0)
                // cppcheck-suppress memleak ; works, results and index are _cleanup_free_
                return 0;
        if (!works || !results || !index)
                // cppcheck-suppress memleak ; works, results and index are _cleanup_free_
                return -ENOMEM;
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (!claim_pending_on(d))
                        continue;
                if (claim_prepare(run, d, &works[n]))
                        index[n++] = i;
        }
        if (n == 0)
                return 0;

        ClaimBatch batch = { .works = works };
        r = bounded_run_each(claim_item, n, &batch, run_timeout_msec(run), run->lock_fd, results);
        for (size_t k = 0; k < n; k++) {
                DeviceReport *d = &run->devices[index[k]];
                if (r < 0) {
                        explain(d, run, EXPLAIN_CLAIM_NOT_STARTED, &(ExplainArgs){ .error = -r });
                        d->result = RESULT_FAILED;
                } else if (results[k].not_started)
                        claim_abandon(run, d, stop_reason());
                else
                        claim_finish(run, d, &works[k], &results[k]);
                free((char *)works[k].from_driver);
        }
        return 0;
}

static int set_override(Run *run, DeviceReport *d) {
        char path[PATH_MAX];
        int r;

        if (streq_ptr(d->dev->driver_override, d->wanted_driver))
                return 0;
        free(d->override_before);
        d->override_before = strdup_or_null(d->dev->driver_override);
        if (d->dev->driver_override && !d->override_before)
                return -ENOMEM;
        r = write_attr(device_attr_path(path, run->root, d->name, "driver_override"), d->wanted_driver);
        if (r >= 0)
                d->override_written = true;
        if (r < 0) {
                if (errno_is_gone(r))
                        explain(d, run, EXPLAIN_VANISHED_CLAIMING, NULL);
                else
                        explain(d, run, EXPLAIN_OVERRIDE_FAILED, &(ExplainArgs){ .error = -r });
                d->result = RESULT_FAILED;
                return r;
        }
        return 0;
}

/* The reset method the user asked for is part of the claim: a VM that cannot reset the device the way it
 * was told may hang the host at its next start, so a failed write fails the device, and the override that
 * was set for it is taken back (its claim never started). */
static int set_reset_method(Run *run, DeviceReport *d) {
        const char *want = d->section ? d->section->reset_method : NULL;
        char path[PATH_MAX];
        int r;

        if (!want || streq_ptr(d->dev->reset_method, want))
                return 0;
        r = write_attr(device_attr_path(path, run->root, d->name, "reset_method"), want);
        if (r < 0) {
                ExplainArgs args = { .detail = want, .current = d->dev->reset_method ?: "none listed", .error = -r };
                claim_abandon(run, d, NULL);
                explain(d, run, errno_is_gone(r) ? EXPLAIN_VANISHED_CLAIMING : EXPLAIN_RESET_METHOD_FAILED, &args);
                d->result = RESULT_FAILED;
        }
        return r;
}

/* After apply: what is true now. Every device that was there is read again, whatever its result: a failed
 * probe leaves it on no driver at all, and the report must say what the kernel says, not what it was. */
static int settle(Run *run, DeviceReport *d) {
        if (d->dev || d->reason == REASON_NONE || d->reason == REASON_HOST_DRIVER || d->reason == REASON_UNBOUND) {
                PciDevice *dev = NULL;
                int r = pci_device_load(run->root, d->name, &dev);
                if (r < 0) {
                        pci_device_free(d->dev);
                        d->dev = NULL;
                        if (d->result == RESULT_NONE)
                                explain(d, run, EXPLAIN_MISSING, NULL);
                        else
                                explain(d, run, EXPLAIN_VANISHED, NULL);
                        return 0;
                }
                pci_device_free(d->dev);
                d->dev = dev;
        }
        return assess_group(run, d, false);
}

/* What each device's result will be if nothing goes wrong; with DRY_RUN, that is the answer. */
static void claim_plan(Run *run, bool dry_run) {
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (d->dev)
                        d->driver_before = strdup_or_null(d->dev->driver);
                if (d->reason != REASON_NONE)
                        d->result = RESULT_REFUSED;
                else if (streq_ptr(d->driver_before, d->wanted_driver))
                        d->result = dry_run ? RESULT_ALREADY : RESULT_NONE;
                else if (dry_run)
                        d->result = RESULT_PLANNED;
        }
}

/* Overrides first, for every device: from this moment no host driver can bind them, whatever udev or a
 * module load does next. */
static void claim_set_overrides(Run *run) {
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (d->reason != REASON_NONE)
                        continue;
                if (run_should_stop()) {
                        claim_abandon(run, d, stop_reason());
                        continue;
                }
                uint64_t start = now_usec();
                if (set_override(run, d) >= 0)
                        (void)set_reset_method(run, d);
                d->usec += now_usec() - start;
        }
}

/* What is true now, and whether a VMM can use it: a device on its driver with no node to open is not
 * claimed, whatever the driver link says. */
static int claim_settle(Run *run) {
        int r;

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                r = settle(run, d);
                if (r < 0)
                        return r;
                if ((d->result == RESULT_CLAIMED || d->result == RESULT_ALREADY) && !assess_interfaces(run, d))
                        d->result = RESULT_FAILED;
        }
        assess_iommufd(run);
        return 0;
}

/* Group verdicts only once every device had its turn: they replace the prediction made before. */
static void claim_refresh_group_notes(Run *run) {
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                note_list_drop(&d->notes, NOTE_GROUP_NOT_VIABLE);
                if (d->result == RESULT_CLAIMED || d->result == RESULT_ALREADY)
                        assess_note_group(run, d, SEVERITY_WARNING);
        }
}

/* One warning per taint flag the kernel set while we claimed: a kernel may taint (or refuse) when
 * driver_override binds a driver that does not declare support for it, and a VMM vendor asks first
 * whether the kernel is tainted. */
static void claim_note_taint(Run *run) {
        uint64_t added = run->taint_after & ~run->taint_before;

        for (unsigned bit = 0; bit < 64; bit++) {
                if (!(added & (UINT64_C(1) << bit)))
                        continue;
                TaintFlag t = taint_flag(bit);
                note_add(&run->notes, SEVERITY_WARNING, NOTE_KERNEL_TAINT,
                         format_alloc("the kernel became tainted while devices were claimed: flag %c (bit %u), %s",
                                      t.letter, bit, t.meaning),
                         strdup("see 'journalctl -k' for the message that set it"));
        }
}

int run_apply(Run *run, bool dry_run) {
        uint64_t taint_before = 0;
        int r;

        /* Virtual functions first: they are what is claimed. */
        if (!dry_run) {
                r = sriov_create(run);
                if (r < 0)
                        return r;
        }
        r = run_check(run);
        if (r < 0)
                return r;
        claim_plan(run, dry_run);
        if (dry_run)
                return 0;

        /* A kernel without the file (or a tree without it) is told from one that did not change. */
        bool taint_known = host_taint_read(run->root, &taint_before) >= 0;
        claim_set_overrides(run);
        r = claim_load_drivers(run);
        if (r < 0)
                return r;
        r = claim_pending(run);
        if (r < 0)
                return r;
        r = claim_settle(run);
        if (r < 0)
                return r;
        claim_refresh_group_notes(run);
        if (taint_known && host_taint_read(run->root, &run->taint_after) >= 0) {
                run->taint_before = taint_before;
                run->taint_read = true;
                claim_note_taint(run);
        }
        return 0;
}

int run_not_claimed(Run *run, const char *why, const char *fix) {
        int r;

        /* What the kernel says now, not what a half-run claim planned. */
        r = run_status(run);
        if (r < 0)
                return r;
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                ExplainArgs args = { .detail = why, .hint = fix };
                if (d->reason == REASON_HOST_DRIVER) {
                        args.current = d->dev->driver;
                        explain(d, run, EXPLAIN_NOT_CLAIMED, &args);
                } else if (d->reason == REASON_UNBOUND)
                        explain(d, run, EXPLAIN_NOT_CLAIMED_UNBOUND, &args);
                else if (d->reason == REASON_NONE) {
                        d->result = RESULT_ALREADY;
                        continue;
                }
                d->result = d->reason == REASON_NOT_CLAIMED ? RESULT_FAILED : RESULT_REFUSED;
        }
        return 0;
}
