/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "alloc-util.h"
#include "bounded.h"
#include "fileio.h"
#include "sriov.h"
#include "sysroot.h"

static bool vf_wanted(const DeviceSection *s, unsigned index) {
        if (index >= (unsigned) s->vfs)
                return false;
        if (s->n_vf_indexes == 0)
                return true;
        for (size_t i = 0; i < s->n_vf_indexes; i++)
                if (s->vf_indexes[i] == index)
                        return true;
        return false;
}

static int read_count(const char *root, const char *pf, const char *attr, int *ret) {
        _cleanup_free_ char *v = NULL;
        char path[PATH_MAX], *end;
        int r = read_attr(device_attr_path(path, root, pf, attr), &v);
        if (r < 0)
                return r;
        long n = strtol(v, &end, 10);
        if (end == v || *end || n < 0)
                return -EBADMSG;
        *ret = (int) n;
        return 0;
}

/* The strings move into the request, an element of run->sriov, freed with the run. */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static void request_problem(SriovRequest *q, Severity sev, char *problem, char *fix) {
        free(q->problem);
        free(q->fix);
        q->severity = sev;
        q->problem = problem;
        q->fix = fix;
}
ANALYZER_OWNED_BY_ARRAY_END

/* The wanted VFs of Q that exist now, into the run under Q's section. */
static int add_vfs(Run *run, SriovRequest *q) {
        char path[PATH_MAX];
        int r;

        for (unsigned i = 0; i < (unsigned) q->section->vfs; i++) {
                _cleanup_free_ char *vf = NULL;
                PciAddress a;
                char link[32];
                if (!vf_wanted(q->section, i))
                        continue;
                snprintf(link, sizeof(link), "virtfn%u", i);
                r = read_link_basename(device_attr_path(path, run->root, q->pf, link), &vf);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || pci_address_parse(vf, &a) < 0)
                        continue;
                size_t before = run->n_devices;
                r = run_add_device(run, q->section, &a, false, true);
                if (r < 0)
                        return r;
                if (run->n_devices > before) {
                        DeviceReport *d = &run->devices[run->n_devices - 1];
                        d->virtual_function = true;
                        memcpy(d->physfn, q->pf, sizeof(d->physfn));
                }
        }
        return 0;
}

int sriov_add_existing(Run *run) {
        const Config *c = run->config;
        int r;

        for (size_t i = 0; c && i < c->n_sections; i++) {
                const DeviceSection *s = &c->sections[i];
                PciAddress a;
                if (s->vfs <= 0 || s->invalid)
                        continue;
                if (!GREEDY_REALLOC(run->sriov, run->n_sriov + 1))
                        return -ENOMEM;
                SriovRequest *q = &run->sriov[run->n_sriov++];
                *q = (SriovRequest) { .section = s };
                if (s->has_path) {
                        r = pci_path_resolve(run->root, &s->path, &a);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                if (!GREEDY_REALLOC(run->unresolved, run->n_unresolved + 1))
                                        return -ENOMEM;
                                run->unresolved[run->n_unresolved++] = s;
                                continue;
                        }
                } else
                        a = s->addresses[0];
                pci_address_format(&a, q->pf);
                r = add_vfs(run, q);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Why the PF at Q cannot get its VFs, without writing anything; NULL problem when it can (or has them). Its
 * problem strings move into the request through request_problem(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int request_check(Run *run, SriovRequest *q, int *ret_numvfs, char **ret_driver) {
        const DeviceSection *s = q->section;
        int total = 0, r;

        *ret_numvfs = -1;
        *ret_driver = NULL;
        if (!pci_device_exists(run->root, q->pf)) {
                request_problem(q, SEVERITY_ERROR,
                                format_alloc("[%s]: no PCI device at %s to create virtual functions on", s->name,
                                             q->pf),
                                strdup("check 'lspci -D' and the address of the physical function"));
                return 0;
        }
        r = read_count(run->root, q->pf, "sriov_totalvfs", &total);
        if (r == -ENOENT) {
                request_problem(q, SEVERITY_ERROR,
                                format_alloc("[%s]: %s is not an SR-IOV physical function (no sriov_totalvfs): it "
                                             "cannot create virtual functions",
                                             s->name, q->pf),
                                strdup("name the physical function of an SR-IOV device (lspci -vv shows 'Single Root "
                                       "I/O Virtualization'), and enable SR-IOV in the firmware"));
                return 0;
        }
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (s->vfs > total) {
                request_problem(q, SEVERITY_ERROR,
                                format_alloc("[%s]: vfs = %d, but %s offers at most %d virtual functions "
                                             "(sriov_totalvfs)",
                                             s->name, s->vfs, q->pf, total),
                                format_alloc("set vfs to %d or fewer in %s", total, run_config_path(run)));
                return 0;
        }
        (void) read_count(run->root, q->pf, "sriov_numvfs", ret_numvfs);
        r = pci_device_read_driver(run->root, q->pf, ret_driver);
        return r == -ENOMEM ? r : 0;
}
ANALYZER_OWNED_BY_ARRAY_END

typedef struct PfWrite {
        const char *path;
        const char *value;
        char what[BOUNDED_STEP_MAX];
} PfWrite;

static int pf_write_work(BoundedStep *s, void *userdata) {
        const PfWrite *w = userdata;
        bounded_step(s, 1, w->what);
        return write_attr(w->path, w->value);
}

/* Write VALUE to the PF's ATTR within the per-device limit: creating VFs runs the PF driver's SR-IOV setup,
 * which may block. The error explained in Q. */
static int write_pf(Run *run, SriovRequest *q, const char *attr, const char *value, const char *driver) {
        char path[PATH_MAX];
        PfWrite w = { .path = device_attr_path(path, run->root, q->pf, attr), .value = value };
        BoundedResult b = {};
        snprintf(w.what, sizeof(w.what), "writing %s to %s of %s", value, attr, q->pf);
        int r = bounded_run(pf_write_work, &w, run_timeout_msec(run), run->lock_fd, &b);
        if (r >= 0 && b.timed_out) {
                request_problem(q, SEVERITY_ERROR,
                                format_alloc("[%s]: gave up after %u s while %s; the kernel is still at it",
                                             q->section->name, run_timeout_msec(run) / 1000, b.step),
                                strdup("see 'journalctl -k' for what the PF's driver waits on"));
                return -ETIME;
        }
        if (r >= 0)
                r = b.not_started ? -ECANCELED : b.error;
        if (r >= 0)
                return 0;
        if (streq(attr, "sriov_drivers_autoprobe"))
                request_problem(q, SEVERITY_ERROR,
                                format_alloc("[%s]: cannot turn off sriov_drivers_autoprobe of %s: %s; no virtual "
                                             "function was created, so that no VF driver can take one",
                                             q->section->name, q->pf, strerror(-r)),
                                strdup("check 'journalctl -k'"));
        else
                request_problem(q, SEVERITY_ERROR,
                                format_alloc("[%s]: %s (driver %s) refused sriov_numvfs = %s: %s", q->section->name,
                                             q->pf, strna(driver), value, strerror(-r)),
                                strdup(r == -EBUSY ? "the PF's driver is busy or has VFs in use: stop what uses them, "
                                                     "then run 'vfio-bind apply'"
                                       : r == -ENOMEM || r == -ENOSPC
                                               ? "the device or its driver lacks resources for that many VFs "
                                                 "(bus numbers, MMIO, queues): ask for fewer, or check 'journalctl -k'"
                                               : "see 'journalctl -k' for the driver's message"));
        return r;
}

int sriov_create(Run *run) {
        int r;

        for (size_t i = 0; i < run->n_sriov; i++) {
                SriovRequest *q = &run->sriov[i];
                _cleanup_free_ char *driver = NULL;
                int numvfs;
                char value[16];

                if (!q->pf[0])
                        continue;
                r = request_check(run, q, &numvfs, &driver);
                if (r < 0)
                        return r;
                if (q->problem)
                        continue;
                if (!driver) {
                        /* Only the PF's own driver creates VFs. In the initramfs it is often not there yet. */
                        if (!run->initramfs_stage)
                                request_problem(q, SEVERITY_ERROR,
                                                format_alloc("[%s]: %s has no driver, and only its driver can create "
                                                             "virtual functions",
                                                             q->section->name, q->pf),
                                                strdup("load the PF's driver (see 'lspci -k'), then run 'vfio-bind "
                                                       "apply'"));
                        continue;
                }
                /* First, so that no VF driver ever probes a new VF: the claim then has nothing to unbind. */
                if (write_pf(run, q, "sriov_drivers_autoprobe", "0", driver) < 0)
                        continue;
                if (numvfs == q->section->vfs)
                        continue;
                /* The kernel changes a count only through 0. */
                if (numvfs > 0 && write_pf(run, q, "sriov_numvfs", "0", driver) < 0)
                        continue;
                snprintf(value, sizeof(value), "%d", q->section->vfs);
                if (write_pf(run, q, "sriov_numvfs", value, driver) < 0)
                        continue;
                q->created = true;
                r = add_vfs(run, q);
                if (r < 0)
                        return r;
        }
        return 0;
}

void sriov_add_notes(Run *run, bool predict) {
        for (size_t i = 0; i < run->n_sriov; i++) {
                SriovRequest *q = &run->sriov[i];
                _cleanup_free_ char *driver = NULL;
                int numvfs = -1;
                size_t n = 0;

                if (!q->pf[0])
                        continue;
                if (!q->problem && request_check(run, q, &numvfs, &driver) == -ENOMEM)
                        return;
                if (q->problem) {
                        note_add(&run->notes, q->severity, NOTE_SRIOV, strdup(q->problem), strdup_or_null(q->fix));
                        continue;
                }
                for (size_t k = 0; k < run->n_devices; k++)
                        n += run->devices[k].virtual_function && streq(run->devices[k].physfn, q->pf);
                if (numvfs == q->section->vfs)
                        note_add(&run->notes, SEVERITY_INFO, NOTE_SRIOV,
                                 format_alloc("[%s]: %s has %d virtual function%s%s; %zu of them configured to be "
                                              "claimed; the PF stays on %s",
                                              q->section->name, q->pf, numvfs, numvfs == 1 ? "" : "s",
                                              q->created ? ", created now" : "", n, strna(driver)),
                                 NULL);
                else if (predict || (run->initramfs_stage && !driver))
                        note_add(&run->notes, SEVERITY_INFO, NOTE_SRIOV,
                                 format_alloc("[%s]: %s has %d of %d virtual functions; they are created %s",
                                              q->section->name, q->pf, numvfs < 0 ? 0 : numvfs, q->section->vfs,
                                              driver ? "by 'vfio-bind apply'" : "once the PF's driver is loaded"),
                                 NULL);
                else
                        note_add(&run->notes, SEVERITY_ERROR, NOTE_SRIOV,
                                 format_alloc("[%s]: %s has %d of %d virtual functions", q->section->name, q->pf,
                                              numvfs < 0 ? 0 : numvfs, q->section->vfs),
                                 strdup("run 'vfio-bind apply'"));
        }
}

void sriov_release(Run *run, bool every) {
        char path[PATH_MAX];

        for (size_t i = 0; i < run->n_sriov; i++) {
                SriovRequest *q = &run->sriov[i];
                bool all = true;
                if (!q->pf[0] || !(every || q->release_asked))
                        continue;
                for (size_t k = 0; k < run->n_devices; k++) {
                        const DeviceReport *d = &run->devices[k];
                        if (d->virtual_function && streq(d->physfn, q->pf) && d->result != RESULT_RELEASED &&
                            d->reason != REASON_NONE)
                                all = false;
                }
                if (!all)
                        continue;
                int r = write_attr(device_attr_path(path, run->root, q->pf, "sriov_numvfs"), "0");
                if (r >= 0) {
                        q->released = true;
                        note_add(&run->notes, SEVERITY_INFO, NOTE_SRIOV,
                                 format_alloc("[%s]: the virtual functions of %s are removed (sriov_numvfs = 0)",
                                              q->section->name, q->pf),
                                 NULL);
                } else
                        note_add(&run->notes, SEVERITY_WARNING, NOTE_SRIOV,
                                 format_alloc("[%s]: cannot remove the virtual functions of %s: %s", q->section->name,
                                              q->pf, strerror(-r)),
                                 strdup("stop what uses them, then write 0 to its sriov_numvfs"));
        }
}
