/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "run.h"
#include "alloc-util.h"
#include "sriov.h"
#include "string-util.h"

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
        [REASON_NOT_CLAIMED] = "not-claimed",
        [REASON_NOT_VFIO_DRIVER] = "not-vfio-driver",
        [REASON_RESET_METHOD_FAILED] = "reset-method-failed",
        [REASON_NO_VFIO_INTERFACE] = "no-vfio-interface",
        [REASON_DRIFT] = "drift",
        [REASON_SRIOV_FAILED] = "sriov-failed",
        [REASON_SRIOV_SHARED_GROUP] = "sriov-shared-group",
        [REASON_MANAGEMENT_NIC] = "management-nic",
        [REASON_NETWORK_UNKNOWN] = "network-unknown",
        [REASON_NETWORK_DEFERRED] = "network-deferred",
};

static const char *const result_names[_RESULT_MAX] = {
        [RESULT_NONE] = "none",       [RESULT_CLAIMED] = "claimed",   [RESULT_ALREADY] = "already-claimed",
        [RESULT_PLANNED] = "planned", [RESULT_REFUSED] = "refused",   [RESULT_FAILED] = "failed",
        [RESULT_STUCK] = "stuck",     [RESULT_RELEASED] = "released",
};

static const char *const note_code_names[_NOTE_CODE_MAX] = {
        [NOTE_BOOT_VGA] = "boot-vga",
        [NOTE_FIRMWARE_FRAMEBUFFER] = "firmware-framebuffer",
        [NOTE_NO_RESET] = "no-reset",
        [NOTE_FORCED] = "forced",
        [NOTE_RESET_METHOD] = "reset-method",
        [NOTE_GROUP_NOT_VIABLE] = "group-not-viable",
        [NOTE_NO_GROUP_NODE] = "no-group-node",
        [NOTE_IN_USE] = "in-use",
        [NOTE_NO_HOST_DRIVER] = "no-host-driver",
        [NOTE_STILL_CONFIGURED] = "still-configured",
        [NOTE_DRIVERCTL_OVERRIDE] = "driverctl-override",
        [NOTE_CONFIG_INVALID] = "config-invalid",
        [NOTE_IOMMU_OFF] = "iommu-off",
        [NOTE_NO_INTERRUPT_REMAPPING] = "no-interrupt-remapping",
        [NOTE_IOMMU_BACKEND] = "iommu-backend",
        [NOTE_VENDOR_IDS_CMDLINE] = "vendor-ids-cmdline",
        [NOTE_VENDOR_IDS_MODPROBE] = "vendor-ids-modprobe",
        [NOTE_INITRAMFS_NOTE] = "initramfs-note",
        [NOTE_KERNEL_TAINT] = "kernel-taint",
        [NOTE_VM_CONFIG_UNREADABLE] = "vm-config-unreadable",
        [NOTE_VM_DEVICE_NOT_CLAIMED] = "vm-device-not-claimed",
        [NOTE_VM_PARTIAL_GROUP] = "vm-partial-group",
        [NOTE_VM_GROUP_SPLIT] = "vm-group-split",
        [NOTE_VM_AUTOSTART_SHARED] = "vm-autostart-shared",
        [NOTE_VM_DEVICE_UNUSED] = "vm-device-unused",
        [NOTE_GUARD_MISSING] = "guard-missing",
        [NOTE_GUARD_NOT_VFIO] = "guard-not-vfio",
        [NOTE_GUARD_NO_GROUP] = "guard-no-group",
        [NOTE_GUARD_MANAGED] = "guard-managed",
        [NOTE_DRIFT] = "drift",
        [NOTE_SNAPSHOT] = "snapshot",
        [NOTE_PATH] = "path",
        [NOTE_PATH_UNRESOLVED] = "path-unresolved",
        [NOTE_SRIOV] = "sriov",
        [NOTE_ONLY_KEYBOARD] = "only-keyboard",
};

const char *reason_to_string(Reason r) {
        return r >= 0 && r < _REASON_MAX ? reason_names[r] : "unknown";
}

const char *result_to_string(Result r) {
        return r >= 0 && r < _RESULT_MAX ? result_names[r] : "unknown";
}

const char *note_code_to_string(NoteCode c) {
        return c >= 0 && c < _NOTE_CODE_MAX ? note_code_names[c] : "unknown";
}

static int lookup_name(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; s && i < n; i++)
                if (names[i] && streq(names[i], s))
                        return (int)i;
        return -EINVAL;
}

Reason reason_from_string(const char *s) {
        return (Reason)lookup_name(reason_names, ELEMENTSOF(reason_names), s);
}

Result result_from_string(const char *s) {
        return (Result)lookup_name(result_names, ELEMENTSOF(result_names), s);
}

NoteCode note_code_from_string(const char *s) {
        return (NoteCode)lookup_name(note_code_names, ELEMENTSOF(note_code_names), s);
}

const char *severity_to_string(Severity s) {
        return s == SEVERITY_ERROR ? "error" : s == SEVERITY_WARNING ? "warning" : "info";
}

int note_add(NoteList *l, Severity sev, NoteCode code, char *message, char *fix) {
        if (!GREEDY_REALLOC(l->notes, l->n + 1)) {
                free(message);
                free(fix);
                return -ENOMEM;
        }
        l->notes[l->n++] = (Note){ .severity = sev, .code = code, .message = message, .fix = fix };
        return 0;
}

void note_list_done(NoteList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->notes[i].message);
                free(l->notes[i].fix);
        }
        free(l->notes);
        *l = (NoteList){};
}

void note_list_drop(NoteList *l, NoteCode code) {
        size_t kept = 0;

        for (size_t j = 0; j < l->n; j++) {
                Note *n = &l->notes[j];
                if (n->code == code) {
                        free(n->message);
                        free(n->fix);
                } else
                        l->notes[kept++] = *n;
        }
        l->n = kept;
}

bool note_list_has(const NoteList *l, NoteCode code) {
        for (size_t i = 0; i < l->n; i++)
                if (l->notes[i].code == code)
                        return true;
        return false;
}

static DeviceReport *find_device(Run *run, const char *name) {
        for (size_t i = 0; i < run->n_devices; i++)
                if (streq(run->devices[i].name, name))
                        return &run->devices[i];
        return NULL;
}

int run_add_device(Run *run, const DeviceSection *s, const PciAddress *a, bool sibling, bool domain_given) {
        char name[PCI_ADDRESS_MAX];

        pci_address_format(a, name);
        if (find_device(run, name))
                return 0; /* an explicit name wins over a functions = all expansion */

        if (!GREEDY_REALLOC(run->devices, run->n_devices + 1))
                return -ENOMEM;
        DeviceReport *d = &run->devices[run->n_devices++];
        *d = (DeviceReport){
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
        return (size_t)(d->section - run_sort_config->sections);
}

static int compare_reports(const void *a, const void *b) {
        const DeviceReport *x = a, *y = b;
        size_t i = section_index(x), j = section_index(y);
        if (i != j)
                return i < j ? -1 : 1;
        PciAddress pa, pb;
        (void)pci_address_parse(x->name, &pa);
        (void)pci_address_parse(y->name, &pb);
        return pci_address_compare(&pa, &pb);
}

int run_init(Run *run, const char *root, const Config *config, HostFactsFlags flags) {
        int r;

        *run = (Run){ .root = root, .config = config, .lock_fd = -1,
                      .initramfs_stage = flags & HOST_FACTS_RECORDED_STORAGE };
        r = host_facts_load(root, flags, &run->facts);
        if (r < 0)
                return r;

        /* The snapshot is only of interest when there is something to compare. */
        if (config && config->n_sections > 0) {
                run->snapshot_error = snapshot_load(root, &run->snapshot, &run->snapshot_bad_line);
                if (run->snapshot_error == -ENOMEM)
                        return -ENOMEM;
        } else
                run->snapshot_error = -ENOENT;

        /* Explicit addresses first, so that their sections own them. */
        for (size_t i = 0; config && i < config->n_sections; i++)
                for (size_t j = 0; config->sections[i].vfs <= 0 && j < config->sections[i].n_addresses; j++) {
                        r = run_add_device(run, &config->sections[i], &config->sections[i].addresses[j], false,
                                           config->sections[i].address_domain_given[j]);
                        if (r < 0)
                                return r;
                }
        /* Then paths, resolved to where the function is today. */
        for (size_t i = 0; config && i < config->n_sections; i++) {
                const DeviceSection *s = &config->sections[i];
                PciAddress a;
                if (!s->has_path || s->vfs > 0)
                        continue;
                r = pci_path_resolve(root, &s->path, &a);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (!GREEDY_REALLOC(run->unresolved, run->n_unresolved + 1))
                                return -ENOMEM;
                        run->unresolved[run->n_unresolved++] = s;
                        continue;
                }
                r = run_add_device(run, s, &a, false, true);
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
                                r = run_add_device(run, s, &fns[k], true, s->address_domain_given[j]);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        /* A physical function with vfs = N is not claimed: its virtual functions are. */
        r = sriov_add_existing(run);
        if (r < 0)
                return r;
        /* Report in the order of the file, each section's functions by address. */
        run_sort_config = config;
        if (run->n_devices > 1)
                qsort(run->devices, run->n_devices, sizeof(*run->devices), compare_reports);
        return 0;
}

void device_report_done(DeviceReport *d) {
        pci_device_free(d->dev);
        free(d->driver_before);
        free(d->override_before);
        free(d->chosen_driver);
        free(d->driver_choice);
        free(d->message);
        free(d->fix);
        free(d->group_blockers);
        free(d->mounts);
        free(d->drift);
        note_list_done(&d->notes);
        pci_device_list_done(&d->group);
}

void run_done(Run *run) {
        for (size_t i = 0; i < run->n_devices; i++)
                device_report_done(&run->devices[i]);
        free(run->devices);
        note_list_done(&run->notes);
        snapshot_done(&run->snapshot);
        free(run->unresolved);
        for (size_t i = 0; i < run->n_sriov; i++) {
                free(run->sriov[i].problem);
                free(run->sriov[i].fix);
        }
        free(run->sriov);
        host_facts_done(&run->facts);
        if (run->lock_fd >= 0)
                close(run->lock_fd);
        *run = (Run){ .lock_fd = -1 };
}

Severity device_report_severity(const DeviceReport *d) {
        Severity s = d->reason != REASON_NONE ? SEVERITY_ERROR : SEVERITY_INFO;
        for (size_t i = 0; i < d->notes.n; i++)
                if (d->notes.notes[i].severity > s)
                        s = d->notes.notes[i].severity;
        return s;
}

bool run_has_unresolved(const Run *run) {
        if (run->n_unresolved > 0)
                return true;
        for (size_t i = 0; i < run->notes.n; i++)
                if (run->notes.notes[i].severity == SEVERITY_ERROR &&
                    (run->notes.notes[i].code == NOTE_SRIOV || run->notes.notes[i].code == NOTE_PATH_UNRESOLVED))
                        return true;
        return false;
}

bool device_report_ok(const DeviceReport *d) {
        return d->reason == REASON_NONE;
}

const char *run_config_path(const Run *run) {
        return run->config ? run->config->path : "the configuration";
}

const char *device_report_label(const DeviceReport *d) {
        return d->section ? d->section->name : "-";
}

unsigned run_timeout_msec(const Run *run) {
        return (run->config && run->config->timeout_sec ? run->config->timeout_sec : DEFAULT_DEVICE_TIMEOUT_SEC) * 1000;
}
