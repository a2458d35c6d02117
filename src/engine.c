/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "bounded.h"
#include "conflicts.h"
#include "holders.h"
#include "engine.h"
#include "fileio.h"
#include "macro.h"
#include "modules.h"
#include "string-util.h"
#include "sysroot.h"

static const char *const reason_names[_REASON_MAX] = {
        [REASON_NONE] = "none",
        [REASON_CONFIG_INVALID] = "config-invalid",
        [REASON_MISSING] = "missing",
        [REASON_ID_MISMATCH] = "id-mismatch",
        [REASON_HOLDS_FILESYSTEM] = "holds-filesystem",
        [REASON_IOMMU_OFF] = "iommu-off",
        [REASON_BRIDGE] = "bridge",
        [REASON_DENYLISTED] = "denylisted",
        [REASON_SRIOV_ENABLED] = "sriov-enabled",
        [REASON_DRIVER_UNAVAILABLE] = "driver-unavailable",
        [REASON_MODULE_FAILED] = "module-failed",
        [REASON_OVERRIDE_FAILED] = "override-failed",
        [REASON_UNBIND_FAILED] = "unbind-failed",
        [REASON_STUCK] = "stuck",
        [REASON_PROBE_FAILED] = "probe-failed",
        [REASON_NOT_BOUND] = "not-bound",
        [REASON_WRONG_DRIVER] = "wrong-driver",
        [REASON_HOST_DRIVER] = "host-driver",
        [REASON_UNBOUND] = "unbound",
        [REASON_VANISHED] = "vanished",
        [REASON_GROUP_NOT_VIABLE] = "group-not-viable",
        [REASON_RELEASE_FAILED] = "release-failed",
        [REASON_ROOT_UNKNOWN] = "root-unknown",
        [REASON_AMBIGUOUS] = "ambiguous-address",
};

static const char *const result_names[_RESULT_MAX] = {
        [RESULT_NONE] = "none",         [RESULT_CLAIMED] = "claimed", [RESULT_ALREADY] = "already-claimed",
        [RESULT_PLANNED] = "planned",   [RESULT_REFUSED] = "refused", [RESULT_FAILED] = "failed",
        [RESULT_STUCK] = "stuck",       [RESULT_RELEASED] = "released",
};

const char *reason_to_string(Reason r) {
        return r < _REASON_MAX ? reason_names[r] : "unknown";
}

const char *result_to_string(Result r) {
        return r < _RESULT_MAX ? result_names[r] : "unknown";
}

const char *severity_to_string(Severity s) {
        return s == SEVERITY_ERROR ? "error" : s == SEVERITY_WARNING ? "warning" : "info";
}

int note_add(NoteList *l, Severity sev, const char *code, char *message, char *fix) {
        if (!GREEDY_REALLOC(l->notes, l->n + 1)) {
                free(message);
                free(fix);
                return -ENOMEM;
        }
        l->notes[l->n++] = (Note) { .severity = sev, .code = code, .message = message, .fix = fix };
        return 0;
}

void note_list_clear(NoteList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->notes[i].message);
                free(l->notes[i].fix);
        }
        free(l->notes);
        *l = (NoteList) {};
}

/* Set the device's main problem. Fix may be NULL. Returns false so callers can `return fail(...)`. */
_printf_(4, 5) static bool set_reason(DeviceReport *d, Reason reason, const char *fix, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        d->reason = reason;
        free(d->message);
        d->message = s;
        free(d->fix);
        d->fix = fix ? strdup(fix) : NULL;
        return false;
}

static void set_fix(DeviceReport *d, char *fix) {
        free(d->fix);
        d->fix = fix;
}

static DeviceReport *find_device(Run *run, const char *name) {
        for (size_t i = 0; i < run->n_devices; i++)
                if (streq(run->devices[i].name, name))
                        return &run->devices[i];
        return NULL;
}

static int add_device(Run *run, const DeviceSection *s, const PciAddress *a, bool sibling, bool domain_given) {
        char name[PCI_ADDRESS_MAX];

        pci_address_format(a, name);
        if (find_device(run, name))
                return 0; /* an explicit name wins over a functions = all expansion */

        if (!GREEDY_REALLOC(run->devices, run->n_devices + 1))
                return -ENOMEM;
        DeviceReport *d = &run->devices[run->n_devices++];
        *d = (DeviceReport) {
                .section = s,
                .sibling = sibling,
                .domain_given = domain_given,
                .wanted_driver = s ? device_section_driver(s) : DEFAULT_VFIO_DRIVER,
                .group_viable = true,
        };
        memcpy(d->name, name, sizeof(name));
        return 0;
}

static const Config *run_sort_config;

static size_t section_index(const DeviceReport *d) {
        if (!d->section || !run_sort_config)
                return SIZE_MAX;
        return (size_t) (d->section - run_sort_config->sections);
}

static int compare_reports(const void *a, const void *b) {
        const DeviceReport *x = a, *y = b;
        size_t i = section_index(x), j = section_index(y);
        if (i != j)
                return i < j ? -1 : 1;
        PciAddress pa, pb;
        (void) pci_address_parse(x->name, &pa);
        (void) pci_address_parse(y->name, &pb);
        return pci_address_compare(&pa, &pb);
}

int run_init(Run *run, const char *root, const Config *config) {
        int r;

        *run = (Run) { .root = root, .config = config, .lock_fd = -1 };
        r = host_facts_load(root, &run->facts);
        if (r < 0)
                return r;

        /* Explicit addresses first, so that their sections own them. */
        for (size_t i = 0; config && i < config->n_sections; i++)
                for (size_t j = 0; j < config->sections[i].n_addresses; j++) {
                        r = add_device(run, &config->sections[i], &config->sections[i].addresses[j], false,
                                       config->sections[i].address_domain_given[j]);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; config && i < config->n_sections; i++) {
                const DeviceSection *s = &config->sections[i];
                if (!s->all_functions || s->invalid)
                        continue;
                for (size_t j = 0; j < s->n_addresses; j++) {
                        _cleanup_free_ PciAddress *fns = NULL;
                        size_t n = 0;
                        if (pci_slot_functions(root, &s->addresses[j], &fns, &n) < 0)
                                continue;
                        for (size_t k = 0; k < n; k++) {
                                r = add_device(run, s, &fns[k], true, s->address_domain_given[j]);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        /* Report in the order of the file, each section's functions by address. */
        run_sort_config = config;
        if (run->n_devices > 1)
                qsort(run->devices, run->n_devices, sizeof(*run->devices), compare_reports);
        return 0;
}

static void device_report_clear(DeviceReport *d) {
        pci_device_free(d->dev);
        free(d->driver_before);
        free(d->message);
        free(d->fix);
        free(d->group_blockers);
        free(d->mounts);
        note_list_clear(&d->notes);
        pci_device_list_clear(&d->group);
}

void run_done(Run *run) {
        for (size_t i = 0; i < run->n_devices; i++)
                device_report_clear(&run->devices[i]);
        free(run->devices);
        note_list_clear(&run->notes);
        host_facts_clear(&run->facts);
        if (run->lock_fd >= 0)
                close(run->lock_fd);
        *run = (Run) { .lock_fd = -1 };
}

int run_lock(Run *run, unsigned timeout_sec) {
        char path[PATH_MAX];
        int fd;

        (void) mkdir(root_path(path, run->root, "/run"), 0755);
        (void) mkdir(root_path(path, run->root, "/run/vfio-bind"), 0755);
        fd = open(root_path(path, run->root, "/run/vfio-bind/lock"), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        uint64_t deadline = now_usec() + (uint64_t) timeout_sec * 1000000;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                if (now_usec() >= deadline) {
                        close(fd);
                        return -EWOULDBLOCK;
                }
                usleep(20 * 1000);
        }
        run->lock_fd = fd;
        return 0;
}

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

static const char *config_path(const Run *run) {
        return run->config ? run->config->path : "the configuration";
}

static const char *label(const DeviceReport *d) {
        return d->section ? d->section->name : "-";
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

/* Load the device and decide whether it may be claimed at all. Fills dev, mounts, notes. */
static bool assess(Run *run, DeviceReport *d) {
        int r;

        pci_device_free(d->dev);
        d->dev = NULL;
        r = pci_device_load(run->root, d->name, &d->dev);
        if (r < 0)
                return set_reason(d, REASON_MISSING,
                                  "check 'lspci -D': addresses change when cards move and after firmware updates",
                                  "no PCI device at %s", d->name);
        PciDevice *dev = d->dev;

        free(d->mounts);
        d->mounts = NULL;
        if (host_facts_mounts_on(&run->facts, d->name, &d->mounts) < 0)
                return set_reason(d, REASON_MISSING, NULL, "out of memory");

        _cleanup_free_ char *elsewhere = d->domain_given ? NULL : same_address_in_other_domains(run->root, dev);
        if (elsewhere) {
                set_reason(d, REASON_AMBIGUOUS, NULL,
                           "the address without a domain names %s, but this host has %s too", d->name, elsewhere);
                set_fix(d, format_alloc("write the full address with its domain in [%s], e.g. %s", label(d),
                                        d->name));
                return false;
        }

        if (d->section && d->section->invalid)
                return set_reason(d, REASON_CONFIG_INVALID, "run 'vfio-bind check' and correct the errors it names",
                                  "section [%s] of %s has errors, so it claims nothing", d->section->name,
                                  config_path(run));

        if (d->section && d->section->has_expect && !d->sibling &&
            (dev->vendor != d->section->expect_vendor || dev->device != d->section->expect_device)) {
                set_reason(d, REASON_ID_MISMATCH, NULL,
                           "%s is %04x:%04x (%s), but [%s] expects %04x:%04x", d->name, dev->vendor, dev->device,
                           pci_class_name(dev->class), d->section->name, d->section->expect_vendor,
                           d->section->expect_device);
                set_fix(d, format_alloc(
                                  "the slot holds another device now: check 'lspci -nn -s %s' and correct address "
                                  "or expect in %s",
                                  d->name, config_path(run)));
                return false;
        }

        if (d->mounts && !(d->section && d->section->force)) {
                set_reason(d, REASON_HOLDS_FILESYSTEM, NULL,
                           "%s is the controller of the mounted filesystems %s; the host would lose its storage",
                           d->name, d->mounts);
                set_fix(d, format_alloc(
                                  "name another controller, or set force = yes in [%s] if the host truly does not "
                                  "need it",
                                  label(d)));
                return false;
        }

        /* A storage controller may hold "/" without anything saying so: in the initramfs before the root is
         * mounted (and with no valid record of it), or with a zfs or nfs root. Never guess there. */
        if (pci_class_is_storage(dev->class) && !run->facts.root_located && !(d->section && d->section->force)) {
                if (run->facts.root_unknown)
                        set_reason(d, REASON_ROOT_UNKNOWN, NULL,
                                   "%s is a storage controller, and the root filesystem (%s) does not say which "
                                   "controller holds it",
                                   d->name, run->facts.root_unknown);
                else
                        set_reason(d, REASON_ROOT_UNKNOWN, NULL,
                                   "%s is a storage controller, and the root filesystem is not mounted yet: "
                                   "whether it holds it is decided in the root stage",
                                   d->name);
                set_fix(d, format_alloc("set force = yes in [%s] if this controller holds nothing the host needs",
                                        label(d)));
                return false;
        }

        if (!run->facts.iommu_enabled || dev->iommu_group < 0)
                return set_reason(d, REASON_IOMMU_OFF, iommu_enable_hint(run->facts.cpu_vendor),
                                  "the IOMMU is off: %s has no IOMMU group, so no VFIO driver can take it",
                                  d->name);

        if (pci_class_is_bridge(dev->class))
                return set_reason(d, REASON_BRIDGE, "name the devices behind the bridge instead",
                                  "%s is a PCI bridge; VFIO drivers take endpoint devices only", d->name);

        if (streq(d->wanted_driver, "vfio-pci") && vfio_pci_denylisted(dev))
                return set_reason(d, REASON_DENYLISTED,
                                  "use the vendor's VFIO variant driver (driver = ...) or keep it on the host",
                                  "vfio-pci refuses %04x:%04x: it is on vfio-pci's device denylist", dev->vendor,
                                  dev->device);

        if (dev->sriov_numvfs > 0 && !driver_is_vfio(dev->driver)) {
                set_reason(d, REASON_SRIOV_ENABLED, NULL,
                           "%s is an SR-IOV physical function with %d virtual functions enabled; a VFIO driver "
                           "cannot take it while they exist",
                           d->name, dev->sriov_numvfs);
                set_fix(d, format_alloc(
                                  "write 0 to /sys/bus/pci/devices/%s/sriov_numvfs first, or pass the virtual "
                                  "functions instead",
                                  d->name));
                return false;
        }
        return true;
}

static void add_device_notes(Run *run, DeviceReport *d) {
        const PciDevice *dev = d->dev;

        note_list_clear(&d->notes);
        if (!dev)
                return;

        if (dev->boot_vga == 1)
                note_add(&d->notes, SEVERITY_WARNING, "boot-vga",
                         format_alloc("%s is the firmware's boot display: claiming it takes the host's console away",
                                      d->name),
                         strdup("keep a second display device for the host, or plan for a headless host"));

        const FramebufferRange *fb = host_facts_framebuffer_on(&run->facts, run->root, d->name);
        if (fb && !driver_is_vfio(dev->driver))
                note_add(&d->notes, SEVERITY_WARNING, "firmware-framebuffer",
                         format_alloc(
                                "firmware framebuffer '%s' lives in a BAR of %s: it keeps the memory busy, and since "
                                "Linux 6.0 binding a VFIO driver removes it and the console with it",
                                fb->name, d->name),
                         strdup("add video=efifb:off (or initcall_blacklist=sysfb_init) to the kernel command line"));

        if (dev->reset_method && !*dev->reset_method)
                note_add(&d->notes, SEVERITY_WARNING, "no-reset",
                         format_alloc("%s offers no reset method: restarting its VM may need a host reboot",
                                d->name),
                         strdup("check for a vendor-reset module, and set reset_method = device_specific"));

        if (d->mounts && d->section && d->section->force)
                note_add(&d->notes, SEVERITY_WARNING, "forced",
                         format_alloc("%s holds mounted filesystem %s and is claimed anyway (force = yes)", d->name,
                                d->mounts),
                         NULL);
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
static int evaluate_group(Run *run, DeviceReport *d, bool predict) {
        char *list = NULL;
        int r;

        pci_device_list_clear(&d->group);
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

static void note_group(Run *run, DeviceReport *d, Severity sev) {
        if (d->group_viable)
                return;
        note_add(&d->notes, sev, reason_to_string(REASON_GROUP_NOT_VIABLE),
                 format_alloc("IOMMU group %d is not usable by a VM: %s stay on host drivers",
                        d->dev->iommu_group, d->group_blockers),
                 format_alloc(
                        "name them in %s too (functions = all takes every function of the card), or move the "
                        "card to a slot with its own group",
                        config_path(run)));
}

static void add_host_notes(Run *run) {
        note_list_clear(&run->notes);
        if (run->config && run->config->n_errors > 0)
                note_add(&run->notes, SEVERITY_ERROR, "config-invalid",
                         format_alloc("%s has %zu error%s", run->config->path, run->config->n_errors,
                                run->config->n_errors == 1 ? "" : "s"),
                         strdup("run 'vfio-bind check' and correct them"));
        if (run->n_devices == 0)
                return;
        if (!run->facts.iommu_enabled)
                note_add(&run->notes, SEVERITY_ERROR, "iommu-off",
                         strdup("the IOMMU is off: there are no IOMMU groups, so no device can go to a VM"),
                         strdup(iommu_enable_hint(run->facts.cpu_vendor)));
        else if (!run->facts.interrupt_remapping && !run->facts.unsafe_interrupts_allowed)
                note_add(&run->notes, SEVERITY_WARNING, "no-interrupt-remapping",
                         strdup("no interrupt remapping seen in /proc/interrupts: starting a VM with these devices "
                                "may fail with 'Operation not permitted'"),
                         strdup("enable interrupt remapping in the firmware, or accept the risk with "
                                "vfio_iommu_type1.allow_unsafe_interrupts=1"));
}

int run_check(Run *run) {
        int r;

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (assess(run, d)) {
                        char module[MODULE_NAME_MAX];
                        driver_to_module_name(d->wanted_driver, module, sizeof(module));
                        if (!driver_is_vfio(d->dev->driver) && !pci_driver_registered(run->root, d->wanted_driver) &&
                            module_state(run->root, module) == MODULE_MISSING)
                                set_reason(d, REASON_DRIVER_UNAVAILABLE,
                                           "install this kernel's modules, or build the kernel with the driver",
                                           "driver %s is not available: this kernel has no module %s",
                                           d->wanted_driver, module);
                }
                add_device_notes(run, d);
        }
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                r = evaluate_group(run, d, true);
                if (r < 0)
                        return r;
                if (d->reason == REASON_NONE && !d->group_viable &&
                    run->config->group_policy == GROUP_POLICY_REFUSE)
                        set_reason(d, REASON_GROUP_NOT_VIABLE, NULL,
                                   "IOMMU group %d would not be usable by a VM: %s stay on host drivers "
                                   "(nonviable_group = refuse)",
                                   d->dev->iommu_group, d->group_blockers);
                else
                        note_group(run, d, SEVERITY_WARNING);
        }
        add_host_notes(run);
        return conflicts_add_notes(run);
}

/* After apply (or for status): what is true now. */
static int settle(Run *run, DeviceReport *d) {
        if (d->reason == REASON_NONE || d->reason == REASON_HOST_DRIVER || d->reason == REASON_UNBOUND) {
                PciDevice *dev = NULL;
                int r = pci_device_load(run->root, d->name, &dev);
                if (r < 0) {
                        pci_device_free(d->dev);
                        d->dev = NULL;
                        if (d->result == RESULT_NONE)
                                set_reason(d, REASON_MISSING,
                                           "check 'lspci -D': addresses change when cards move and after firmware "
                                           "updates",
                                           "no PCI device at %s", d->name);
                        else
                                set_reason(d, REASON_VANISHED, NULL, "%s disappeared (hot-unplug or bus rescan)",
                                           d->name);
                        return 0;
                }
                pci_device_free(d->dev);
                d->dev = dev;
        }
        return evaluate_group(run, d, false);
}

int run_status(Run *run) {
        int r;

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                bool claimable = assess(run, d);
                add_device_notes(run, d);
                if (!d->dev)
                        continue;
                if (streq_ptr(d->dev->driver, d->wanted_driver)) {
                        /* On its driver: earlier blockers (force, a mount) no longer matter for the verdict. */
                        if (d->reason != REASON_ID_MISMATCH && d->reason != REASON_CONFIG_INVALID)
                                set_reason(d, REASON_NONE, NULL, "on %s", d->wanted_driver);
                } else if (claimable) {
                        if (d->dev->driver)
                                set_reason(d, REASON_HOST_DRIVER,
                                           "run 'vfio-bind apply'; if a host driver keeps winning at boot, rebuild "
                                           "the initramfs (update-initramfs -u, or dracut -f)",
                                           "%s is on %s, not %s", d->name, d->dev->driver, d->wanted_driver);
                        else
                                set_reason(d, REASON_UNBOUND, "run 'vfio-bind apply'", "%s has no driver", d->name);
                }
        }
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                /* Nothing changed since assess(): no reload, only the group's verdict. */
                r = evaluate_group(run, d, false);
                if (r < 0)
                        return r;
                if (d->reason == REASON_NONE)
                        note_group(run, d, SEVERITY_WARNING);
        }
        add_host_notes(run);

        /* Who uses the claimed devices now: the first thing to know before a release or a VM start. */
        VfioHolders holders = {};
        r = vfio_holders_scan(run->root, &holders);
        if (r < 0)
                return r;
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (!d->dev || d->dev->iommu_group < 0 || !driver_is_vfio(d->dev->driver))
                        continue;
                char *who = vfio_holders_of(&holders, d->dev->iommu_group);
                if (who)
                        note_add(&d->notes, SEVERITY_INFO, "in-use",
                                 format_alloc("/dev/vfio/%d is open by %s", d->dev->iommu_group, who), NULL);
                free(who);
        }
        vfio_holders_clear(&holders);
        return conflicts_add_notes(run);
}

typedef struct ClaimWork {
        const char *root;
        const char *name;
        const char *from_driver; /* NULL when unbound */
        const char *to_driver;
} ClaimWork;

/* The steps of the bounded work, as the worker reports them to the parent. */
typedef enum WorkStep {
        STEP_UNBIND = 1,
        STEP_BIND,
        STEP_PROBE,
        STEP_MODULE,
} WorkStep;

/* Unbind NAME from DRIVER as a reported step. ENODEV means it was unbound meanwhile: what we wanted. */
static int unbind_step(BoundedStep *s, const char *root, const char *name, const char *driver) {
        char path[PATH_MAX], what[BOUNDED_STEP_MAX];
        int r;

        snprintf(what, sizeof(what), "unbinding from %s", driver);
        bounded_step(s, STEP_UNBIND, what);
        r = write_attr(root_path(path, root, "/sys/bus/pci/drivers/%s/unbind", driver), name);
        return r == -ENODEV ? 0 : r;
}

/* Runs in the bounded child. Returns a negative errno; the parent learns which step failed from the last
 * step reported. */
static int claim_work(BoundedStep *s, void *userdata) {
        ClaimWork *w = userdata;
        char path[PATH_MAX], what[BOUNDED_STEP_MAX];
        int r;

        if (w->from_driver) {
                r = unbind_step(s, w->root, w->name, w->from_driver);
                if (r < 0)
                        return r;
        }
        snprintf(what, sizeof(what), "binding to %s", w->to_driver);
        bounded_step(s, STEP_BIND, what);
        return write_attr(root_path(path, w->root, "/sys/bus/pci/drivers/%s/bind", w->to_driver), w->name);
}

typedef struct ModuleWork {
        const char *module;
} ModuleWork;

static int module_work(BoundedStep *s, void *userdata) {
        ModuleWork *w = userdata;
        char what[BOUNDED_STEP_MAX];
        snprintf(what, sizeof(what), "loading module %s", w->module);
        bounded_step(s, STEP_MODULE, what);
        return module_load(w->module);
}

static unsigned timeout_msec(const Run *run) {
        return (run->config && run->config->timeout_sec ? run->config->timeout_sec : DEFAULT_DEVICE_TIMEOUT_SEC) *
               1000;
}

static void fail_with(DeviceReport *d, Result result) {
        d->result = result;
}

/* Make the driver (and the VFIO IOMMU backend) available. Loading the driver's module also binds every
 * unbound device whose override names it: the fastest way to claim, before any host driver can. */
static int ensure_driver(Run *run, const char *driver, BoundedResult *ret) {
        char module[MODULE_NAME_MAX];
        ModuleWork w = { .module = module };
        int r;

        *ret = (BoundedResult) {};
        if (module_state(run->root, "vfio_iommu_type1") < MODULE_LIVE) {
                BoundedResult b;
                w.module = "vfio_iommu_type1";
                r = bounded_run(module_work, &w, timeout_msec(run), run->lock_fd, &b);
                if (r >= 0 && (b.timed_out || b.error < 0))
                        note_add(&run->notes, SEVERITY_WARNING, "iommu-backend",
                                 format_alloc("could not load vfio_iommu_type1 (%s): VMs cannot use VFIO devices",
                                        b.timed_out ? "timed out" : strerror(-b.error)),
                                 strdup("check 'journalctl -k' and that the kernel has CONFIG_VFIO_IOMMU_TYPE1"));
        }
        if (pci_driver_registered(run->root, driver))
                return 0;

        driver_to_module_name(driver, module, sizeof(module));
        w.module = module;
        r = bounded_run(module_work, &w, timeout_msec(run), run->lock_fd, ret);
        if (r < 0)
                return r;
        if (ret->timed_out)
                return -ETIME;
        if (ret->error < 0)
                return ret->error;
        /* A module may be live yet register its driver under another name: that is a mistake in driver =. */
        return pci_driver_registered(run->root, driver) ? 0 : -ENOENT;
}

static void explain_bind_failure(Run *run, DeviceReport *d, int error, WorkStep step, const char *from_driver) {
        const char *to = d->wanted_driver;

        if (step == STEP_UNBIND) {
                set_reason(d, REASON_UNBIND_FAILED,
                           "stop what uses the device (display manager, audio server, a VM), then run "
                           "'vfio-bind apply'",
                           "cannot unbind %s from %s: %s", d->name, strna(from_driver), strerror(error));
                return;
        }
        switch (error) {
        case EINVAL:
                set_reason(d, REASON_PROBE_FAILED, NULL,
                           "%s refused %s (Invalid argument): no IOMMU group, a bridge, or a device it does not "
                           "support",
                           to, d->name);
                set_fix(d, format_alloc("see 'journalctl -k | grep %s' for the kernel's reason", to));
                break;
        case EBUSY:
                set_reason(d, REASON_PROBE_FAILED, NULL,
                           "%s could not take %s (Device or resource busy): another driver bound it first, or it is "
                           "an SR-IOV physical function with virtual functions",
                           to, d->name);
                set_fix(d, format_alloc("see 'journalctl -k'; run 'vfio-bind apply' again once the holder is gone"));
                break;
        case ENODEV:
                set_reason(d, REASON_PROBE_FAILED,
                           "another tool may have changed driver_override; run 'vfio-bind apply' again",
                           "%s does not match %s (No such device): its driver_override names another driver", to,
                           d->name);
                break;
        default:
                set_reason(d, REASON_PROBE_FAILED, NULL, "%s refused %s: %s", to, d->name, strerror(error));
                set_fix(d, format_alloc("see 'journalctl -k' for %s's message", to));
        }
}

/* Before the claim: is there anything to do? Fills the work item when there is. */
static bool claim_prepare(Run *run, DeviceReport *d, ClaimWork *ret) {
        char *driver = NULL;
        int r;

        r = pci_device_read_driver(run->root, d->name, &driver);
        if (r < 0) {
                set_reason(d, REASON_VANISHED, NULL, "%s disappeared while it was being claimed", d->name);
                fail_with(d, RESULT_FAILED);
                return false;
        }
        if (streq_ptr(driver, d->wanted_driver)) {
                /* Loading the module bound it already, through its override. */
                d->result = streq_ptr(d->driver_before, d->wanted_driver) ? RESULT_ALREADY : RESULT_CLAIMED;
                free(driver);
                return false;
        }
        *ret = (ClaimWork) { .root = run->root, .name = d->name, .from_driver = driver, .to_driver = d->wanted_driver };
        return true;
}

/* After the claim: the driver link is the only truth, since a write can succeed with nothing bound. */
static void claim_finish(Run *run, DeviceReport *d, const ClaimWork *w, const BoundedResult *b) {
        _cleanup_free_ char *now = NULL;
        int r;

        d->usec += b->usec;
        if (b->timed_out) {
                set_reason(d, REASON_STUCK, NULL, "gave up on %s after %u s while %s; the kernel is still at it",
                           d->name, timeout_msec(run) / 1000, b->step);
                set_fix(d, strdup("the host driver may be in use (console or display on this GPU?): keep the host "
                                  "driver out of the initramfs, add video=efifb:off, and reboot"));
                fail_with(d, RESULT_STUCK);
                return;
        }

        r = pci_device_read_driver(run->root, d->name, &now);
        if (r < 0) {
                set_reason(d, REASON_VANISHED, NULL, "%s disappeared while it was being claimed", d->name);
                fail_with(d, RESULT_FAILED);
                return;
        }
        if (streq_ptr(now, d->wanted_driver)) {
                d->result = RESULT_CLAIMED;
                return;
        }
        fail_with(d, RESULT_FAILED);
        if (b->error == -ECHILD)
                set_reason(d, REASON_PROBE_FAILED, "see 'journalctl -k'", "the claim of %s ended abnormally while %s",
                           d->name, b->step);
        else if (b->error < 0)
                explain_bind_failure(run, d, -b->error, b->step_code, w->from_driver);
        else if (now)
                set_reason(d, REASON_WRONG_DRIVER,
                           "rebuild the initramfs so vfio-bind runs before that driver (update-initramfs -u, or "
                           "dracut -f)",
                           "%s is on %s instead of %s", d->name, now, d->wanted_driver);
        else
                set_reason(d, REASON_NOT_BOUND, "see 'journalctl -k' for the driver's message",
                           "the kernel accepted the request, but no driver is bound to %s", d->name);
}

typedef struct ClaimBatch {
        ClaimWork *works;
} ClaimBatch;

static int claim_item(BoundedStep *s, size_t index, void *userdata) {
        ClaimBatch *batch = userdata;
        return claim_work(s, &batch->works[index]);
}

/* Unbind and bind every device that still needs it, each with its own time limit. */
static int claim_pending(Run *run) {
        _cleanup_free_ ClaimWork *works = calloc(run->n_devices, sizeof(ClaimWork));
        _cleanup_free_ BoundedResult *results = calloc(run->n_devices, sizeof(BoundedResult));
        _cleanup_free_ size_t *index = calloc(run->n_devices, sizeof(size_t));
        size_t n = 0;
        int r;

        if (run->n_devices == 0)
                return 0;
        if (!works || !results || !index)
                return -ENOMEM;
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (d->reason != REASON_NONE || d->result != RESULT_NONE)
                        continue;
                if (claim_prepare(run, d, &works[n]))
                        index[n++] = i;
        }
        if (n == 0)
                return 0;

        ClaimBatch batch = { .works = works };
        r = bounded_run_each(claim_item, n, &batch, timeout_msec(run), run->lock_fd, results);
        for (size_t k = 0; k < n; k++) {
                DeviceReport *d = &run->devices[index[k]];
                if (r < 0) {
                        set_reason(d, REASON_PROBE_FAILED, NULL, "cannot start the claim: %s", strerror(-r));
                        fail_with(d, RESULT_FAILED);
                } else
                        claim_finish(run, d, &works[k], &results[k]);
                free((char *) works[k].from_driver);
        }
        return 0;
}

static int set_override(Run *run, DeviceReport *d) {
        char path[PATH_MAX];
        int r;

        if (streq_ptr(d->dev->driver_override, d->wanted_driver))
                return 0;
        r = write_attr(device_attr_path(path, run->root, d->name, "driver_override"), d->wanted_driver);
        if (r < 0) {
                if (errno_is_gone(r))
                        set_reason(d, REASON_VANISHED, NULL, "%s disappeared while it was being claimed", d->name);
                else
                        set_reason(d, REASON_OVERRIDE_FAILED, "check 'journalctl -k'",
                                   "cannot set driver_override of %s: %s", d->name, strerror(-r));
                fail_with(d, RESULT_FAILED);
                return r;
        }
        return 0;
}

static void set_reset_method(Run *run, DeviceReport *d) {
        const char *want = d->section ? d->section->reset_method : NULL;
        char path[PATH_MAX];
        int r;

        if (!want || streq_ptr(d->dev->reset_method, want))
                return;
        r = write_attr(device_attr_path(path, run->root, d->name, "reset_method"), want);
        if (r < 0)
                note_add(&d->notes, SEVERITY_WARNING, "reset-method",
                         format_alloc("cannot set reset_method of %s to '%s': %s (supported now: %s)", d->name, want,
                                strerror(-r), d->dev->reset_method ? d->dev->reset_method : "none listed"),
                         strdup("load the module that provides the method (e.g. vendor-reset) before vfio-bind, "
                                "or change reset_method"));
}

int run_apply(Run *run, bool dry_run) {
        int r;

        r = run_check(run);
        if (r < 0)
                return r;

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
        if (dry_run)
                return 0;

        /* Overrides first, for every device: from this moment no host driver can bind them, whatever udev or
         * a module load does next. */
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (d->reason != REASON_NONE)
                        continue;
                uint64_t start = now_usec();
                if (set_override(run, d) >= 0)
                        set_reset_method(run, d);
                d->usec += now_usec() - start;
        }

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                if (d->reason != REASON_NONE || d->result != RESULT_NONE)
                        continue;

                BoundedResult b;
                r = ensure_driver(run, d->wanted_driver, &b);
                if (r < 0) {
                        /* Fail every device that wants this driver, with the same explanation. */
                        for (size_t j = i; j < run->n_devices; j++) {
                                DeviceReport *e = &run->devices[j];
                                if (e->reason != REASON_NONE || e->result != RESULT_NONE ||
                                    !streq(e->wanted_driver, d->wanted_driver))
                                        continue;
                                char module[MODULE_NAME_MAX];
                                driver_to_module_name(e->wanted_driver, module, sizeof(module));
                                if (r == -ETIME) {
                                        set_reason(e, REASON_STUCK, "check 'journalctl -k' for what the module waits on",
                                                   "gave up after %u s while loading module %s",
                                                   timeout_msec(run) / 1000, module);
                                        e->result = RESULT_STUCK;
                                } else if (r == -ENOENT) {
                                        set_reason(e, REASON_DRIVER_UNAVAILABLE,
                                                   "install this kernel's modules (and rebuild the initramfs), or "
                                                   "check the driver = name",
                                                   "driver %s is not available: this kernel has no module %s",
                                                   e->wanted_driver, module);
                                        e->result = RESULT_FAILED;
                                } else {
                                        set_reason(e, REASON_MODULE_FAILED,
                                                   "see 'journalctl -k' for the kernel's reason",
                                                   "loading module %s failed: %s", module, strerror(-r));
                                        e->result = RESULT_FAILED;
                                }
                        }
                        continue;
                }
        }

        r = claim_pending(run);
        if (r < 0)
                return r;

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                r = settle(run, d);
                if (r < 0)
                        return r;

                /* The group node is what QEMU opens; its absence means the claim is not usable yet. */
                if ((d->result == RESULT_CLAIMED || d->result == RESULT_ALREADY) && d->dev &&
                    d->dev->iommu_group >= 0) {
                        char path[PATH_MAX];
                        if (!path_exists(root_path(path, run->root, "/dev/vfio/%d", d->dev->iommu_group)))
                                note_add(&d->notes, SEVERITY_WARNING, "no-group-node",
                                         format_alloc("/dev/vfio/%d does not exist although %s is on %s",
                                                d->dev->iommu_group, d->name, d->wanted_driver),
                                         strdup("check that devtmpfs is mounted on /dev"));
                }
        }
        /* Group verdicts only once every device had its turn. */
        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                bool had_note = false;
                for (size_t j = 0; j < d->notes.n; j++)
                        had_note = had_note || streq(d->notes.notes[j].code, "group-not-viable");
                if (had_note) {
                        /* Replace the prediction with what is true now. */
                        NoteList keep = {};
                        for (size_t j = 0; j < d->notes.n; j++) {
                                Note *n = &d->notes.notes[j];
                                if (streq(n->code, "group-not-viable")) {
                                        free(n->message);
                                        free(n->fix);
                                } else
                                        note_add(&keep, n->severity, n->code, n->message, n->fix);
                        }
                        free(d->notes.notes);
                        d->notes = keep;
                }
                if (d->result == RESULT_CLAIMED || d->result == RESULT_ALREADY)
                        note_group(run, d, SEVERITY_WARNING);
        }
        return 0;
}

typedef struct ReleaseWork {
        const char *root;
        const char *name;
        const char *from_driver;
} ReleaseWork;

static int release_work(BoundedStep *s, void *userdata) {
        ReleaseWork *w = userdata;
        char path[PATH_MAX];
        int r;

        if (w->from_driver) {
                r = unbind_step(s, w->root, w->name, w->from_driver);
                if (r < 0)
                        return r;
        }
        /* Let the kernel pick the host driver. Its success says nothing: the caller re-reads the link. */
        bounded_step(s, STEP_PROBE, "asking the kernel to probe host drivers");
        r = write_attr(root_path(path, w->root, "/sys/bus/pci/drivers_probe"), w->name);
        return r;
}

static void release_one(Run *run, DeviceReport *d) {
        char path[PATH_MAX];
        int r;

        r = pci_device_load(run->root, d->name, &d->dev);
        if (r < 0) {
                set_reason(d, REASON_MISSING, "check the address with 'lspci -D'", "no PCI device at %s", d->name);
                d->result = RESULT_FAILED;
                return;
        }
        d->driver_before = strdup_or_null(d->dev->driver);

        if (driver_is_vfio(d->dev->driver) && d->dev->iommu_group >= 0) {
                /* Unbinding a device a VM still has open blocks until the VM lets go: say who it is. */
                VfioHolders holders = {};
                _cleanup_free_ char *who = NULL;
                if (vfio_holders_scan(run->root, &holders) >= 0)
                        who = vfio_holders_of(&holders, d->dev->iommu_group);
                vfio_holders_clear(&holders);
                if (who) {
                        set_reason(d, REASON_RELEASE_FAILED, "stop the VM (or the stale process) first",
                                   "%s is in use: /dev/vfio/%d is open by %s", d->name, d->dev->iommu_group, who);
                        d->result = RESULT_REFUSED;
                        return;
                }
        }

        if (d->dev->driver_override) {
                /* An empty value would be no write at all; a lone newline is how the kernel clears it. */
                r = write_attr(device_attr_path(path, run->root, d->name, "driver_override"), "\n");
                if (r < 0) {
                        set_reason(d, errno_is_gone(r) ? REASON_VANISHED : REASON_RELEASE_FAILED, NULL,
                                   "cannot clear driver_override of %s: %s", d->name, strerror(-r));
                        d->result = RESULT_FAILED;
                        return;
                }
        }

        ReleaseWork w = {
                .root = run->root,
                .name = d->name,
                .from_driver = driver_is_vfio(d->dev->driver) ? d->dev->driver : NULL,
        };
        if (d->dev->driver && !w.from_driver) {
                d->result = RESULT_RELEASED; /* already on a host driver: nothing to give back */
                return;
        }
        BoundedResult b;
        r = bounded_run(release_work, &w, timeout_msec(run), run->lock_fd, &b);
        d->usec = b.usec;
        if (r < 0 || b.timed_out) {
                set_reason(d, REASON_STUCK, "check 'journalctl -k', and whether a VM still holds the device",
                           "gave up on %s after %u s while %s", d->name, timeout_msec(run) / 1000,
                           r < 0 ? "starting" : b.step);
                d->result = RESULT_STUCK;
                return;
        }

        _cleanup_free_ char *driver = NULL;
        r = pci_device_read_driver(run->root, d->name, &driver);
        if (r < 0) {
                set_reason(d, REASON_VANISHED, NULL, "%s disappeared while it was being released", d->name);
                d->result = RESULT_FAILED;
                return;
        }
        if (driver_is_vfio(driver)) {
                set_reason(d, REASON_RELEASE_FAILED,
                           "a VM may still hold /dev/vfio; stop it, then run 'vfio-bind release' again",
                           "%s is still on %s: %s", d->name, driver,
                           b.error < 0 ? strerror(-b.error) : "the unbind did not take");
                d->result = RESULT_FAILED;
                return;
        }
        d->result = RESULT_RELEASED;
        pci_device_free(d->dev);
        d->dev = NULL;
        (void) pci_device_load(run->root, d->name, &d->dev);
        if (!driver)
                note_add(&d->notes, SEVERITY_INFO, "no-host-driver",
                         format_alloc("no host driver took %s; it stays unbound", d->name),
                         strdup("load the host driver's module (modprobe NAME) and run 'vfio-bind release' again"));
        if (d->section)
                note_add(&d->notes, SEVERITY_INFO, "still-configured",
                         format_alloc("%s is still in %s: the next boot claims it again", d->name, config_path(run)),
                         NULL);
}

int run_release(Run *run, char **addresses, size_t n) {
        if (n > 0) {
                /* Only the named devices: keep their sections (if any) for the report. */
                DeviceReport *configured = run->devices;
                size_t n_configured = run->n_devices;
                run->devices = NULL;
                run->n_devices = 0;
                for (size_t i = 0; i < n; i++) {
                        PciAddress a;
                        const DeviceSection *s = NULL;
                        if (pci_address_parse(addresses[i], &a) < 0)
                                continue;
                        char name[PCI_ADDRESS_MAX];
                        pci_address_format(&a, name);
                        for (size_t j = 0; j < n_configured; j++)
                                if (streq(configured[j].name, name))
                                        s = configured[j].section;
                        int r = add_device(run, s, &a, false, pci_address_has_domain(addresses[i]));
                        if (r < 0)
                                return r;
                }
                for (size_t j = 0; j < n_configured; j++)
                        device_report_clear(&configured[j]);
                free(configured);
        }
        for (size_t i = 0; i < run->n_devices; i++)
                release_one(run, &run->devices[i]);
        return 0;
}

Severity device_report_severity(const DeviceReport *d) {
        Severity s = d->reason != REASON_NONE ? SEVERITY_ERROR : SEVERITY_INFO;
        for (size_t i = 0; i < d->notes.n; i++)
                if (d->notes.notes[i].severity > s)
                        s = d->notes.notes[i].severity;
        return s;
}

bool device_report_ok(const DeviceReport *d) {
        return d->reason == REASON_NONE;
}
