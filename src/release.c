/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bounded.h"
#include "engine.h"
#include "explain.h"
#include "fileio.h"
#include "holders.h"
#include "sriov.h"
#include "steps.h"
#include "string-util.h"
#include "sysroot.h"

/* Giving functions back to the host: clear the override, unbind from the VFIO driver, let the kernel probe
 * a host driver, and check what it chose. */

/* Unbinding a device a VM still has open blocks until the VM lets go: refuse, and say who it is. */
static bool release_refused_in_use(Run *run, DeviceReport *d) {
        VfioHolders holders = {};
        _cleanup_free_ char *who = NULL;

        char nodes[2][VFIO_NODE_MAX];
        size_t n;

        if (!driver_is_vfio(d->dev->driver))
                return false;
        /* The group node and the device's cdev alike: a VM holding either keeps the device. */
        n = vfio_device_nodes(run->root, d->name, d->dev->iommu_group, nodes);
        if (n > 0 && vfio_holders_scan(run->root, &holders) >= 0)
                who = vfio_holders_of(&holders, nodes, n);
        vfio_holders_done(&holders);
        if (!who)
                return false;
        explain(d, run, EXPLAIN_IN_USE, &(ExplainArgs){ .detail = who });
        d->result = RESULT_REFUSED;
        return true;
}

static int release_clear_override(Run *run, DeviceReport *d) {
        char path[PATH_MAX];
        int r;

        if (!d->dev->driver_override)
                return 0;
        /* An empty value would be no write at all; a lone newline is how the kernel clears it. */
        r = write_attr(device_attr_path(path, run->root, d->name, "driver_override"), "\n");
        if (r < 0) {
                explain(d, run, errno_is_gone(r) ? EXPLAIN_OVERRIDE_GONE : EXPLAIN_OVERRIDE_NOT_CLEARED,
                        &(ExplainArgs){ .error = -r });
                d->result = RESULT_FAILED;
        }
        return r;
}

/* After the unbind and probe: the driver link says whether the host has the device back. */
static void release_verify(Run *run, DeviceReport *d, const BoundedResult *b) {
        _cleanup_free_ char *driver = NULL;

        if (pci_device_read_driver(run->root, d->name, &driver) < 0) {
                explain(d, run, EXPLAIN_VANISHED_RELEASING, NULL);
                d->result = RESULT_FAILED;
                return;
        }
        if (driver_is_vfio(driver)) {
                explain(d, run, EXPLAIN_STILL_ON_VFIO,
                        &(ExplainArgs){ .current = driver,
                                        .detail = b->error < 0 ? strerror(-b->error) : "the unbind did not take" });
                d->result = RESULT_FAILED;
                return;
        }
        d->result = RESULT_RELEASED;
        pci_device_free(d->dev);
        d->dev = NULL;
        (void)pci_device_load(run->root, d->name, &d->dev);
        if (!driver)
                note_add(&d->notes, SEVERITY_INFO, NOTE_NO_HOST_DRIVER,
                         format_alloc("no host driver took %s; it stays unbound", d->name),
                         strdup("load the host driver's module (modprobe NAME) and run 'vfio-bind release' again"));
        if (d->section)
                note_add(
                        &d->notes, SEVERITY_INFO, NOTE_STILL_CONFIGURED,
                        format_alloc("%s is still in %s: the next boot claims it again", d->name, run_config_path(run)),
                        NULL);
}

static void release_one(Run *run, DeviceReport *d) {
        int r;

        r = pci_device_load(run->root, d->name, &d->dev);
        if (r < 0) {
                explain(d, run, EXPLAIN_MISSING_RELEASE, NULL);
                d->result = RESULT_FAILED;
                return;
        }
        d->driver_before = strdup_or_null(d->dev->driver);
        if (release_refused_in_use(run, d) || release_clear_override(run, d) < 0)
                return;

        /* To no driver: the kernel probes for a host driver. Its success says nothing; the link does. */
        DriverMove w = {
                .root = run->root,
                .name = d->name,
                .from_driver = driver_is_vfio(d->dev->driver) ? d->dev->driver : NULL,
        };
        if (d->dev->driver && !w.from_driver) {
                /* On a host driver already: only a cleared override (a hold) was given back. Never claimed,
                 * or the host's own device, is nothing released, and the report must not say it was. */
                if (d->dev->driver_override)
                        d->result = RESULT_RELEASED;
                else
                        explain(d, run, EXPLAIN_NOTHING_TO_RELEASE, &(ExplainArgs){ .current = d->dev->driver });
                return;
        }
        BoundedResult b;
        r = bounded_run(step_move, &w, run_timeout_msec(run), run->lock_fd, &b);
        d->usec = b.usec;
        if (r < 0 || b.timed_out) {
                explain(d, run, EXPLAIN_RELEASE_STUCK, &(ExplainArgs){ .step = r < 0 ? "starting" : b.step });
                d->result = RESULT_STUCK;
                return;
        }
        release_verify(run, d, &b);
}

/* Replace the configured devices with the named ones, keeping their sections (if any) for the report. */
static int release_select(Run *run, char **addresses, size_t n) {
        DeviceReport *configured = run->devices;
        size_t n_configured = run->n_devices;
        int r = 0;

        run->devices = NULL;
        run->n_devices = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                char name[PCI_ADDRESS_MAX];
                const DeviceSection *s = NULL;
                PciAddress a;
                if (pci_address_parse(addresses[i], &a) < 0)
                        continue;
                pci_address_format(&a, name);
                /* The PF of a vfs = section stands for the section: its virtual functions go back, then the
                 * PF gives them up (sriov_release). */
                bool pf = false;
                for (size_t k = 0; k < run->n_sriov; k++)
                        if (streq(run->sriov[k].pf, name)) {
                                run->sriov[k].release_asked = true;
                                pf = true;
                        }
                for (size_t j = 0; pf && j < n_configured && r >= 0; j++) {
                        PciAddress v;
                        if (!configured[j].virtual_function || !streq(configured[j].physfn, name) ||
                            pci_address_parse(configured[j].name, &v) < 0)
                                continue;
                        size_t before = run->n_devices;
                        r = run_add_device(run, configured[j].section, &v, false, true);
                        if (r >= 0 && run->n_devices > before) {
                                run->devices[run->n_devices - 1].virtual_function = true;
                                memcpy(run->devices[run->n_devices - 1].physfn, name, sizeof(name));
                        }
                }
                if (pf)
                        continue;
                for (size_t j = 0; j < n_configured; j++)
                        if (streq(configured[j].name, name))
                                s = configured[j].section;
                r = run_add_device(run, s, &a, false, pci_address_has_domain(addresses[i]));
        }
        for (size_t j = 0; j < n_configured; j++)
                device_report_done(&configured[j]);
        free(configured);
        return r;
}

int run_release(Run *run, char **addresses, size_t n) {
        int r;

        if (n > 0) {
                r = release_select(run, addresses, n);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < run->n_devices; i++)
                release_one(run, &run->devices[i]);
        /* The whole configuration, or a PF named: the virtual functions vfs = N created go too. */
        sriov_release(run, n == 0);
        return 0;
}
