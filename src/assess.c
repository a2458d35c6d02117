/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "assess.h"
#include "conflicts.h"
#include "engine.h"
#include "explain.h"
#include "fileio.h"
#include "holders.h"
#include "modules.h"
#include "sriov.h"
#include "string-util.h"
#include "sysroot.h"

/* The read-only decisions: may each configured function be claimed, is its IOMMU group usable, what
 * should the admin know about it and about the host. Nothing here writes to the kernel. */

/* vfio-pci's own denylist (drivers/vfio/pci/vfio_pci.c): Intel QAT and DSA/IAX devices. */
static bool vfio_pci_denylisted(const PciDevice *dev) {
        static const uint16_t intel[] = { 0x0435, 0x0443, 0x19e2, 0x19e3, 0x37c8, 0x37c9, 0x0b25, 0x0cfe };
        if (dev->vendor != 0x8086)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(intel); i++)
                if (dev->device == intel[i])
                        return true;
        return false;
}

/* Hosts with several PCI domains (VMD, multi-segment servers) can have "01:00.0" more than once: an
 * address without its domain is then not an unambiguous name. Returns the other devices, or NULL. */
static char *same_address_in_other_domains(const char *root, const PciDevice *dev) {
        _cleanup_closedir_ DIR *dir = NULL;
        char path[PATH_MAX], *list = NULL;
        struct dirent *de;

        dir = opendir(root_path(path, root, "/sys/bus/pci/devices"));
        if (!dir)
                return NULL;
        while ((de = readdir(dir))) {
                PciAddress a;
                if (pci_address_parse(de->d_name, &a) < 0 || a.domain == dev->address.domain ||
                    a.bus != dev->address.bus || a.slot != dev->address.slot || a.function != dev->address.function)
                        continue;
                if (strextendf_with_separator(&list, ", ", "%s", de->d_name) < 0)
                        break;
        }
        return list;
}

/* driver = auto: the variant driver this kernel offers for the device through its vfio_pci: aliases, as
 * libvirt chooses one, else vfio-pci. The reason is kept for status, check and JSON, because the admin
 * did not name the driver and has to learn which one was taken. */
static int assess_choose_driver(Run *run, DeviceReport *d) {
        _cleanup_free_ char *modalias = NULL, *module = NULL, *alias = NULL, *why = NULL;
        char path[PATH_MAX];
        int r, n;

        if (!d->section || !streq_ptr(d->section->driver, AUTO_VFIO_DRIVER))
                return 0;

        r = read_attr(device_attr_path(path, run->root, d->name, "modalias"), &modalias);
        if (r == -ENOMEM)
                return r;
        n = r < 0 ? r : vfio_variant_lookup(run->root, modalias, &module, &alias);
        if (n == -ENOMEM)
                return n;
        if (n > 1)
                r = asprintf(&why, "modules.alias %s (the most specific of %d matching aliases)", alias, n);
        else if (n == 1)
                r = asprintf(&why, "modules.alias %s", alias);
        else if (n == 0)
                r = asprintf(&why, "no variant driver matches; " DEFAULT_VFIO_DRIVER);
        else
                /* Without the index (a captured tree, a broken module tree) vfio-pci is the safe choice. */
                r = asprintf(&why, "no modules.alias to look at (%s); " DEFAULT_VFIO_DRIVER, strerror(-n));
        if (r < 0)
                return -ENOMEM;
        if (n <= 0 && !(module = strdup(DEFAULT_VFIO_DRIVER)))
                return -ENOMEM;

        free(d->chosen_driver);
        free(d->driver_choice);
        d->chosen_driver = TAKE_PTR(module);
        d->driver_choice = TAKE_PTR(why);
        d->wanted_driver = d->chosen_driver;
        return 0;
}

/* Everything the decisions about one device need, read in one pass: the device itself, the filesystems
 * on it, and its namesakes in other PCI domains. */
static int assess_load(Run *run, DeviceReport *d, char **ret_elsewhere) {
        int r;

        pci_device_free(d->dev);
        d->dev = NULL;
        free(d->mounts);
        d->mounts = NULL;
        r = pci_device_load(run->root, d->name, &d->dev);
        if (r < 0)
                return r;
        r = assess_choose_driver(run, d);
        if (r < 0)
                return r;
        r = storage_mounts_on(&run->facts.storage, d->name, &d->mounts);
        if (r < 0)
                return r;
        *ret_elsewhere = d->domain_given ? NULL : same_address_in_other_domains(run->root, d->dev);
        return 0;
}

/* subsystem = and serial = work like expect =: the function at the address must be that one. */
static Reason assess_guards(Run *run, DeviceReport *d) {
        const DeviceSection *s = d->section;
        char path[PATH_MAX], now[64], want[PCI_SERIAL_MAX];
        unsigned long sv = 0, sd = 0;

        if (s->has_subsystem) {
                (void) read_attr_hex(device_attr_path(path, run->root, d->name, "subsystem_vendor"), &sv);
                (void) read_attr_hex(device_attr_path(path, run->root, d->name, "subsystem_device"), &sd);
                if (sv != s->subsystem_vendor || sd != s->subsystem_device) {
                        char have[16];
                        snprintf(have, sizeof(have), "%04lx:%04lx", sv & 0xffff, sd & 0xffff);
                        snprintf(want, sizeof(want), "%04x:%04x", s->subsystem_vendor, s->subsystem_device);
                        return explain(d, run, EXPLAIN_SUBSYSTEM_MISMATCH,
                                       &(ExplainArgs){ .detail = have, .want = want });
                }
        }
        if (s->has_serial) {
                SerialState state = SERIAL_UNREADABLE;
                uint64_t serial = 0;
                (void) pci_device_serial(run->root, d->name, &state, &serial);
                /* Unreadable (not root): check cannot tell, the boot stages, which run as root, will. */
                if (state == SERIAL_UNREADABLE)
                        return REASON_NONE;
                if (state == SERIAL_NONE)
                        snprintf(now, sizeof(now), "none (no serial number capability)");
                else
                        pci_serial_format(serial, now);
                if (state != SERIAL_KNOWN || serial != s->serial)
                        return explain(d, run, EXPLAIN_SERIAL_MISMATCH,
                                       &(ExplainArgs){ .detail = now, .want = pci_serial_format(s->serial, want) });
        }
        return REASON_NONE;
}

/* Is the device there the one the configuration means? */
static Reason assess_identity(Run *run, DeviceReport *d, const char *elsewhere) {
        const PciDevice *dev = d->dev;

        if (elsewhere) {
                return explain(d, run, EXPLAIN_AMBIGUOUS, &(ExplainArgs){ .detail = elsewhere });
        }

        if (d->section && d->section->invalid)
                return explain(d, run, EXPLAIN_CONFIG_INVALID, NULL);

        if (d->section && d->section->has_expect && !d->sibling &&
            (dev->vendor != d->section->expect_vendor || dev->device != d->section->expect_device)) {
                return explain(d, run, EXPLAIN_ID_MISMATCH, NULL);
        }
        /* The guards name one function: a sibling or a virtual function is not it. */
        if (d->section && !d->sibling && !d->virtual_function)
                return assess_guards(run, d);
        return REASON_NONE;
}

/* Compare with the snapshot: a function that changed is reported field by field, and with drift = refuse it
 * is left alone. Fills d->drift. */
static Reason assess_drift(Run *run, DeviceReport *d) {
        _cleanup_(snapshot_entry_done) SnapshotEntry now = {};
        _cleanup_(drift_list_done) DriftList drifts = {};
        const SnapshotEntry *was;

        free(d->drift);
        d->drift = NULL;
        if (!d->section || run->snapshot_error < 0)
                return REASON_NONE;
        was = snapshot_find(&run->snapshot, d->section->name, d->name, d->section->has_path && !d->sibling);
        if (!was)
                return REASON_NONE; /* named after the snapshot was taken: nothing to compare with */
        if (snapshot_entry_read(run->root, d->section->name, d->name, &now) < 0 ||
            snapshot_compare(was, &now, &drifts) < 0 || drifts.n == 0)
                return REASON_NONE;
        d->drift = drift_list_summary(&drifts);
        if (d->drift && run->config && run->config->drift_policy == DRIFT_POLICY_REFUSE)
                return explain(d, run, EXPLAIN_DRIFT_REFUSED, &(ExplainArgs){ .detail = d->drift });
        return REASON_NONE;
}

/* Would claiming it take storage the host needs? */
static Reason assess_storage(Run *run, DeviceReport *d) {
        const PciDevice *dev = d->dev;

        if (d->mounts && !(d->section && d->section->force)) {
                return explain(d, run, EXPLAIN_HOLDS_FILESYSTEM, NULL);
        }

        /* A storage controller may hold "/" without anything saying so: in the initramfs before the root is
         * mounted (and with no valid record of it), or with a zfs or nfs root. Never guess there. */
        if (pci_class_is_storage(dev->class) && !run->facts.storage.root_located &&
            !(d->section && d->section->force)) {
                if (run->facts.storage.root_unknown)
                        return explain(d, run, EXPLAIN_ROOT_NOT_PLACED,
                                       &(ExplainArgs){ .detail = run->facts.storage.root_unknown });
                return explain(d, run, EXPLAIN_ROOT_NOT_MOUNTED, NULL);
        }
        return REASON_NONE;
}

/* Would claiming it cut the host off its network? Like storage: refuse what carries it, and where that cannot
 * be known yet (a boot stage before the network is up, without a record of this machine) never guess. */
static Reason assess_network(Run *run, DeviceReport *d) {
        const NetworkFacts *net = &run->facts.network;
        bool force = d->section && d->section->force;

        d->network_use = network_use_of(net, d->name);
        if (force)
                return REASON_NONE;
        if (d->network_use)
                return explain(d, run, EXPLAIN_MANAGEMENT_NIC, &(ExplainArgs){ .detail = d->network_use });
        /* On a VFIO driver already, it has no interface and carries nothing; neither has a virtual function
         * its section's vfs = created with driver autoprobe off. */
        if (!pci_class_is_network(d->dev->class) || net->known || !run->facts.boot || driver_is_vfio(d->dev->driver) ||
            d->virtual_function)
                return REASON_NONE;
        if (run->facts.initramfs)
                return explain(d, run, EXPLAIN_NETWORK_DEFERRED, NULL);
        return explain(d, run, EXPLAIN_NETWORK_UNKNOWN, NULL);
}

/* Can a VFIO driver take it at all? */
static Reason assess_capability(Run *run, DeviceReport *d) {
        const PciDevice *dev = d->dev;

        if (!run->facts.iommu_enabled || dev->iommu_group < 0)
                return explain(d, run, EXPLAIN_IOMMU_OFF,
                               &(ExplainArgs){ .hint = iommu_enable_hint(run->facts.cpu_vendor) });

        if (pci_class_is_bridge(dev->class))
                return explain(d, run, EXPLAIN_BRIDGE, NULL);

        if (streq(d->wanted_driver, "vfio-pci") && vfio_pci_denylisted(dev))
                return explain(d, run, EXPLAIN_DENYLISTED, NULL);

        if (dev->sriov_numvfs > 0 && !driver_is_vfio(dev->driver))
                return explain(d, run, EXPLAIN_SRIOV_ENABLED, NULL);

        /* Without ACS a VF lands in its PF's group: a VM would share DMA with the PF the host keeps. */
        if (d->virtual_function) {
                _cleanup_free_ char *pf_group = NULL;
                char path[PATH_MAX], group[16];
                snprintf(group, sizeof(group), "%d", dev->iommu_group);
                if (read_link_basename(device_attr_path(path, run->root, d->physfn, "iommu_group"), &pf_group) >= 0 &&
                    streq(pf_group, group))
                        return explain(d, run, EXPLAIN_SRIOV_SHARED_GROUP, &(ExplainArgs){ .detail = d->physfn });
        }
        return REASON_NONE;
}

/* Load the device and decide whether it may be claimed at all. Fills dev, mounts, message and fix; returns
 * the reason it may not, or REASON_NONE. */
static Reason assess(Run *run, DeviceReport *d) {
        _cleanup_free_ char *elsewhere = NULL;
        Reason reason;
        int r;

        r = assess_load(run, d, &elsewhere);
        if (r == -ENOMEM)
                return explain(d, run, EXPLAIN_OUT_OF_MEMORY, NULL);
        if (r < 0 || !d->dev)
                return explain(d, run, EXPLAIN_MISSING, NULL);
        reason = assess_identity(run, d, elsewhere);
        if (reason == REASON_NONE)
                reason = assess_drift(run, d);
        if (reason == REASON_NONE)
                reason = assess_storage(run, d);
        if (reason == REASON_NONE)
                reason = assess_network(run, d);
        if (reason == REASON_NONE)
                reason = assess_capability(run, d);
        return reason;
}

/* Does this kernel have the wanted driver, built in, loaded or as a module? */
static Reason assess_driver_available(Run *run, DeviceReport *d) {
        char module[MODULE_NAME_MAX];

        if (!d->dev)
                return REASON_NONE; /* assess() said why already */
        driver_to_module_name(d->wanted_driver, module, sizeof(module));
        /* Only a VFIO driver makes the device a VM's: anything else would hand it to another host driver. */
        int r = vfio_driver_check(run->root, d->wanted_driver);
        if (r == -EADDRNOTAVAIL)
                return explain(d, run, EXPLAIN_DRIVER_MODULE_NAME, &(ExplainArgs){ .module = module });
        if (r == 0)
                return explain(d, run, EXPLAIN_NOT_VFIO_DRIVER, &(ExplainArgs){ .module = module });
        if (driver_is_vfio(d->dev->driver) || pci_driver_registered(run->root, d->wanted_driver) ||
            module_state(run->root, module) != MODULE_MISSING)
                return REASON_NONE;
        return explain(d, run, EXPLAIN_DRIVER_UNAVAILABLE, &(ExplainArgs){ .module = module });
}

/* The kernel option that keeps the framebuffer driver NAME (an /proc/iomem name) off the device. efifb and
 * vesafb each have their own off switch; simpledrm has none, and neither has a region the firmware handed
 * over that no driver took yet ("BOOTFB"): not creating the firmware's framebuffer device at all
 * (sysfb_init) stops whichever driver would take it. */
static const char *framebuffer_off_fix(const char *name) {
        if (strstr(name, "efifb"))
                return "add video=efifb:off (or initcall_blacklist=sysfb_init) to the kernel command line";
        if (strstr(name, "vesafb"))
                return "add video=vesafb:off (or initcall_blacklist=sysfb_init) to the kernel command line";
        return "add initcall_blacklist=sysfb_init to the kernel command line (video=efifb:off does not stop "
               "simpledrm or a framebuffer not yet taken)";
}

static void add_device_notes(Run *run, DeviceReport *d) {
        const PciDevice *dev = d->dev;

        note_list_done(&d->notes);
        if (!dev)
                return;

        if (dev->boot_vga == 1)
                note_add(&d->notes, SEVERITY_WARNING, NOTE_BOOT_VGA,
                         format_alloc("%s is the firmware's boot display: claiming it takes the host's console away",
                                      d->name),
                         strdup("keep a second display device for the host, or plan for a headless host"));

        const FramebufferRange *fb = host_facts_framebuffer_on(&run->facts, run->root, d->name);
        if (fb && !driver_is_vfio(dev->driver))
                note_add(&d->notes, SEVERITY_WARNING, NOTE_FIRMWARE_FRAMEBUFFER,
                         format_alloc(
                                 "firmware framebuffer '%s' lives in a BAR of %s: it keeps the memory busy, and since "
                                 "Linux 6.0 binding a VFIO driver removes it and the console with it",
                                 fb->name, d->name),
                         strdup(framebuffer_off_fix(fb->name)));

        if (dev->reset_method && !*dev->reset_method)
                note_add(&d->notes, SEVERITY_WARNING, NOTE_NO_RESET,
                         format_alloc("%s offers no reset method: restarting its VM may need a host reboot", d->name),
                         strdup("check for a vendor-reset module, and set reset_method = device_specific"));

        if (d->drift && d->reason != REASON_DRIFT)
                note_add(&d->notes, SEVERITY_WARNING, NOTE_DRIFT,
                         format_alloc("%s is not what it was when the snapshot was taken: %s", d->name, d->drift),
                         strdup("check the hardware; if the change is expected, run 'vfio-bind snapshot' and rebuild "
                                "the initramfs (drift = refuse would leave it alone)"));

        if (d->section && d->section->has_path && !d->sibling) {
                char p[PCI_PATH_MAX];
                note_add(&d->notes, SEVERITY_INFO, NOTE_PATH,
                         format_alloc("path %s leads to %s", pci_path_format(&d->section->path, p), d->name), NULL);
        }

        if (d->mounts && d->section && d->section->force)
                note_add(&d->notes, SEVERITY_WARNING, NOTE_FORCED,
                         format_alloc("%s holds mounted filesystem %s and is claimed anyway (force = yes)", d->name,
                                      d->mounts),
                         NULL);
        if (d->network_use && d->section && d->section->force)
                note_add(&d->notes, SEVERITY_WARNING, NOTE_FORCED,
                         format_alloc("%s carries the host's network (%s) and is claimed anyway (force = yes)", d->name,
                                      d->network_use),
                         NULL);

        size_t behind = 0, elsewhere = 0;
        if (pci_class_is_usb(dev->class))
                keyboards_count(&run->facts.keyboards, d->name, &behind, &elsewhere);
        if (behind > 0 && elsewhere == 0 && !driver_is_vfio(dev->driver))
                note_add(&d->notes, SEVERITY_WARNING, NOTE_ONLY_KEYBOARD,
                         format_alloc("every keyboard of the host (%zu) is behind %s: claiming it leaves the host "
                                      "console without one",
                                      behind, d->name),
                         strdup("plug a keyboard into another USB controller, or make sure the host is reachable "
                                "over the network"));
}

static bool member_is_fine(const Run *run, const PciDevice *m, bool predict) {
        if (!m->driver || driver_is_vfio(m->driver) || driver_is_bridge_port(m->driver) ||
            pci_class_is_bridge(m->class))
                return true;
        if (predict) {
                /* check/plan: a member we are about to claim will be fine. */
                for (size_t i = 0; i < run->n_devices; i++)
                        if (streq(run->devices[i].name, m->name) && run->devices[i].reason == REASON_NONE)
                                return true;
        }
        return false;
}

/* Is D's IOMMU group usable by a VM: every other member on a VFIO driver, unbound, or a bridge? */
int assess_group(Run *run, DeviceReport *d, bool predict) {
        char *list = NULL;
        int r;

        pci_device_list_done(&d->group);
        free(d->group_blockers);
        d->group_blockers = NULL;
        d->group_viable = true;
        if (!d->dev || d->dev->iommu_group < 0)
                return 0;

        r = iommu_group_load(run->root, d->dev->iommu_group, &d->group);
        if (r < 0)
                return errno_is_gone(r) ? 0 : r;

        for (size_t i = 0; i < d->group.n; i++) {
                const PciDevice *m = d->group.devices[i];
                if (streq(m->name, d->name) || member_is_fine(run, m, predict))
                        continue;
                d->group_viable = false;
                if (strextendf_with_separator(&list, ", ", "%s (%s)", m->name, m->driver) < 0) {
                        free(list);
                        return -ENOMEM;
                }
        }
        d->group_blockers = list;
        return 0;
}

void assess_note_group(Run *run, DeviceReport *d, Severity sev) {
        if (d->group_viable)
                return;
        note_add(&d->notes, sev, NOTE_GROUP_NOT_VIABLE,
                 format_alloc("IOMMU group %d is not usable by a VM: %s stay on host drivers", d->dev->iommu_group,
                              d->group_blockers),
                 format_alloc("name them in %s too (functions = all takes every function of the card), or move the "
                              "card to a slot with its own group",
                              run_config_path(run)));
}

bool assess_interfaces(Run *run, DeviceReport *d) {
        if (!d->dev)
                return false;
        vfio_interfaces_read(run->root, d->name, d->dev->iommu_group, &d->group_node, &d->cdev_node);
        d->interfaces_read = true;
        /* A kernel without CONFIG_VFIO_GROUP has only the cdev, one without CONFIG_VFIO_DEVICE_CDEV only the
         * group node: either lets a VMM in. */
        if (d->group_node.exists || d->cdev_node.exists)
                return true;
        explain(d, run, EXPLAIN_NO_VFIO_INTERFACE, NULL);
        return false;
}

void assess_iommufd(Run *run) {
        vfio_node_stat(run->root, "/dev/iommu", &run->iommufd);
        run->iommufd_read = true;
}

static void add_host_notes(Run *run, bool predict) {
        note_list_done(&run->notes);
        if (run->config && run->config->n_errors > 0)
                note_add(&run->notes, SEVERITY_ERROR, NOTE_CONFIG_INVALID,
                         format_alloc("%s has %zu error%s", run->config->path, run->config->n_errors,
                                      run->config->n_errors == 1 ? "" : "s"),
                         strdup("run 'vfio-bind check' and correct them"));
        for (size_t i = 0; i < run->n_unresolved; i++) {
                char p[PCI_PATH_MAX];
                note_add(&run->notes, SEVERITY_ERROR, NOTE_PATH_UNRESOLVED,
                         format_alloc("path %s of [%s] leads to no PCI function on this host",
                                      pci_path_format(&run->unresolved[i]->path, p), run->unresolved[i]->name),
                         format_alloc("check 'lspci -PP' (it prints device paths), then correct the path at line %u of "
                                      "%s",
                                      run->unresolved[i]->path_line, run_config_path(run)));
        }
        if (run->snapshot_error == -EBADMSG)
                note_add(&run->notes, SEVERITY_WARNING, NOTE_SNAPSHOT,
                         format_alloc("%s%s line %u cannot be read: nothing is compared with it", run->root,
                                      SNAPSHOT_FILE, run->snapshot_bad_line),
                         strdup("run 'vfio-bind snapshot' to take it again"));
        else if (run->snapshot_error == -EPROTONOSUPPORT)
                note_add(&run->notes, SEVERITY_WARNING, NOTE_SNAPSHOT,
                         format_alloc("%s%s was written by another version of vfio-bind: nothing is compared with it",
                                      run->root, SNAPSHOT_FILE),
                         strdup("run 'vfio-bind snapshot' to take it again"));
        else if (run->snapshot_error < 0 && run->snapshot_error != -ENOENT)
                note_add(&run->notes, SEVERITY_WARNING, NOTE_SNAPSHOT,
                         format_alloc("cannot read %s%s: %s; nothing is compared with it", run->root, SNAPSHOT_FILE,
                                      strerror(-run->snapshot_error)),
                         NULL);
        sriov_add_notes(run, predict);
        if (run->n_devices == 0)
                return;
        if (!run->facts.iommu_enabled)
                note_add(&run->notes, SEVERITY_ERROR, NOTE_IOMMU_OFF,
                         strdup("the IOMMU is off: there are no IOMMU groups, so no device can go to a VM"),
                         strdup(iommu_enable_hint(run->facts.cpu_vendor)));
        else if (!run->facts.interrupt_remapping && !run->facts.unsafe_interrupts_allowed)
                note_add(&run->notes, SEVERITY_WARNING, NOTE_NO_INTERRUPT_REMAPPING,
                         strdup("no interrupt remapping seen in /proc/interrupts: starting a VM with these devices "
                                "may fail with 'Operation not permitted'"),
                         strdup("enable interrupt remapping in the firmware, or accept the risk with "
                                "vfio_iommu_type1.allow_unsafe_interrupts=1"));
}

int run_check(Run *run) {
        int r;

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (assess(run, d) == REASON_NONE)
                        (void)assess_driver_available(run, d);
                add_device_notes(run, d);
        }
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                r = assess_group(run, d, true);
                if (r < 0)
                        return r;
                if (d->reason == REASON_NONE && !d->group_viable && run->config->group_policy == GROUP_POLICY_REFUSE)
                        explain(d, run, EXPLAIN_GROUP_REFUSED, NULL);
                else
                        assess_note_group(run, d, SEVERITY_WARNING);
        }
        add_host_notes(run, true);
        return conflicts_add_notes(run);
}

int run_status(Run *run) {
        int r;

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                bool claimable = assess(run, d) == REASON_NONE;
                add_device_notes(run, d);
                if (!d->dev)
                        continue;
                if (streq_ptr(d->dev->driver, d->wanted_driver)) {
                        /* On its driver: earlier blockers (force, a mount) no longer matter for the verdict. */
                        if (d->reason != REASON_ID_MISMATCH && d->reason != REASON_CONFIG_INVALID) {
                                explain(d, run, EXPLAIN_ON_DRIVER, NULL);
                                (void)assess_interfaces(run, d);
                        }
                } else if (claimable) {
                        if (d->dev->driver)
                                explain(d, run, EXPLAIN_HOST_DRIVER, &(ExplainArgs){ .current = d->dev->driver });
                        else
                                explain(d, run, EXPLAIN_UNBOUND, NULL);
                }
        }
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                /* Nothing changed since assess(): no reload, only the group's verdict. */
                r = assess_group(run, d, false);
                if (r < 0)
                        return r;
                if (d->reason == REASON_NONE)
                        assess_note_group(run, d, SEVERITY_WARNING);
        }
        add_host_notes(run, false);
        assess_iommufd(run);

        /* Who uses the claimed devices now: the first thing to know before a release or a VM start. */
        VfioHolders holders = {};
        r = vfio_holders_scan(run->root, &holders);
        if (r < 0)
                return r;
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                char nodes[2][VFIO_NODE_MAX];
                if (!d->dev || !driver_is_vfio(d->dev->driver))
                        continue;
                size_t n = vfio_device_nodes(run->root, d->name, d->dev->iommu_group, nodes);
                char *who = vfio_holders_of(&holders, nodes, n);
                if (who)
                        note_add(&d->notes, SEVERITY_INFO, NOTE_IN_USE, who, NULL);
        }
        vfio_holders_done(&holders);
        return conflicts_add_notes(run);
}
