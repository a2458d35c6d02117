/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "alloc-util.h"
#include "explain.h"
#include "macro.h"
#include "pci-device.h"
#include "string-util.h"
#include "vm-check.h"

int vm_device_group(const char *root, const char *name) {
        _cleanup_pci_device_ PciDevice *dev = NULL;
        if (pci_device_load(root, name, &dev) < 0)
                return -1;
        return dev->iommu_group;
}

const DeviceReport *run_find_device(const Run *run, const char *name) {
        for (size_t i = 0; i < run->n_devices; i++)
                if (streq(run->devices[i].name, name))
                        return &run->devices[i];
        return NULL;
}

void vm_suggest_label(const Vm *vm, char *buf, size_t size) {
        size_t n = 0;
        if (vm->kind == VM_KIND_PROXMOX)
                n = snprintf(buf, size, "vm");
        for (const char *p = vm->id; *p && n + 1 < size; p++)
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                    *p == '_')
                        buf[n++] = *p;
        buf[n < size ? n : size - 1] = 0;
}

/* One passed device with what the host says about it. */
typedef struct Passed {
        const Vm *vm;
        const VmDevice *dev;
        int group;
} Passed;

static int members_not_passed(const Run *run, const Vm *vm, int group, char **ret) {
        _cleanup_(pci_device_list_done) PciDeviceList members = {};
        _cleanup_free_ char *list = NULL;
        int r;

        r = iommu_group_load(run->root, group, &members);
        if (r < 0)
                return r;
        for (size_t i = 0; i < members.n; i++) {
                const PciDevice *m = members.devices[i];
                /* Bridges stay with the host; a VMM cannot take them anyway. */
                if (pci_class_is_bridge(m->class) || vm_find_device(vm, m->name))
                        continue;
                if (strextendf_with_separator(&list, ", ", "%s", m->name) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static bool vm_passes_group(const Passed *p, size_t n, const Vm *vm, int group, const Passed *before) {
        for (const Passed *q = p; q < before && q < p + n; q++)
                if (q->vm == vm && q->group == group)
                        return true;
        return false;
}

int run_check_vms(Run *run, const VmList *vms) {
        _cleanup_free_ Passed *passed = NULL;
        const char *config = run_config_path(run);
        size_t n = 0;
        int r;

        for (size_t i = 0; i < vms->n_problems; i++) {
                char line[16];
                snprintf(line, sizeof(line), "%u", vms->problems[i].line);
                r = explain_finding(&run->notes, FINDING_VM_CONFIG_UNREADABLE,
                                    &(FindingArgs){ .file = vms->problems[i].path,
                                                    .line = vms->problems[i].line ? line : "0",
                                                    .detail = vms->problems[i].message });
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < vms->n; i++)
                for (size_t k = 0; k < vms->vms[i].n_devices; k++) {
                        if (!GREEDY_REALLOC(passed, n + 1))
                                return -ENOMEM;
                        passed[n++] = (Passed){ .vm = &vms->vms[i], .dev = &vms->vms[i].devices[k],
                                                .group = vm_device_group(run->root, vms->vms[i].devices[k].name) };
                }

        for (size_t i = 0; i < n; i++) {
                const Passed *p = &passed[i];
                char vm[128], suggest[64], group[16];
                vm_describe(p->vm, vm, sizeof(vm));
                vm_suggest_label(p->vm, suggest, sizeof(suggest));
                snprintf(group, sizeof(group), "%d", p->group);
                FindingArgs a = { .vm = vm, .device = p->dev->name, .origin = p->dev->origin, .file = p->vm->path,
                                  .config = config, .suggest = suggest, .group = group };

                if (!run_find_device(run, p->dev->name)) {
                        r = explain_finding(&run->notes, FINDING_VM_DEVICE_NOT_CLAIMED, &a);
                        if (r < 0)
                                return r;
                }

                /* Once per VM and group, at its first device there. */
                if (p->group >= 0 && !vm_passes_group(passed, n, p->vm, p->group, p)) {
                        _cleanup_free_ char *missing = NULL;
                        r = members_not_passed(run, p->vm, p->group, &missing);
                        if (r < 0)
                                return r;
                        if (missing) {
                                a.members = missing;
                                r = explain_finding(&run->notes, FINDING_VM_PARTIAL_GROUP, &a);
                                if (r < 0)
                                        return r;
                                a.members = NULL;
                        }
                }

                for (size_t j = i + 1; j < n; j++) {
                        const Passed *q = &passed[j];
                        char other[128];
                        if (q->vm == p->vm)
                                continue;
                        vm_describe(q->vm, other, sizeof(other));
                        a.other = other;
                        if (streq(q->dev->name, p->dev->name)) {
                                if (p->vm->autostart && q->vm->autostart) {
                                        r = explain_finding(&run->notes, FINDING_VM_AUTOSTART_SHARED, &a);
                                        if (r < 0)
                                                return r;
                                }
                        } else if (p->group >= 0 && q->group == p->group &&
                                   !vm_passes_group(passed, n, p->vm, p->group, p) &&
                                   !vm_passes_group(passed, n, q->vm, q->group, q)) {
                                /* Once per pair of VMs and group: at the first device of each there. */
                                a.detail = q->dev->name;
                                r = explain_finding(&run->notes, FINDING_VM_GROUP_SPLIT, &a);
                                if (r < 0)
                                        return r;
                                a.detail = NULL;
                        }
                }
        }

        /* Without any VM configuration this is no Proxmox or libvirt host: nothing to say about use. */
        if (vms->n == 0)
                return 0;
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                bool used = false;
                for (size_t k = 0; k < n && !used; k++)
                        used = streq(passed[k].dev->name, d->name);
                if (used)
                        continue;
                r = explain_finding(&run->notes, FINDING_VM_DEVICE_UNUSED,
                                    &(FindingArgs){ .device = d->name, .label = device_report_label(d),
                                                    .config = config });
                if (r < 0)
                        return r;
        }
        return 0;
}
