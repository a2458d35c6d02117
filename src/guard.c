/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "alloc-util.h"
#include "explain.h"
#include "guard.h"
#include "holders.h"
#include "macro.h"
#include "pci-device.h"
#include "string-util.h"
#include "vm-check.h"

/* The members of GROUP that keep it from a VM: on a host driver that is neither VFIO nor a bridge port.
 * A member this VM passes with managed='yes' is one libvirt moves itself. */
static int group_blockers(const Run *run, const Vm *vm, int group, char **ret) {
        _cleanup_(pci_device_list_done) PciDeviceList members = {};
        _cleanup_free_ char *list = NULL;
        int r;

        r = iommu_group_load(run->root, group, &members);
        if (r < 0)
                return r;
        for (size_t i = 0; i < members.n; i++) {
                const PciDevice *m = members.devices[i];
                const VmDevice *passed = vm_find_device(vm, m->name);
                if (!m->driver || driver_is_vfio(m->driver) || driver_is_bridge_port(m->driver) ||
                    pci_class_is_bridge(m->class) || (passed && passed->managed && vm->kind == VM_KIND_LIBVIRT))
                        continue;
                if (strextendf_with_separator(&list, ", ", "%s (%s)", m->name, m->driver) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static int check_device(const Run *run, const Vm *vm, const VmDevice *vd, const VfioHolders *holders,
                        NoteList *ret) {
        _cleanup_pci_device_ PciDevice *dev = NULL;
        const DeviceReport *configured = run_find_device(run, vd->name);
        char name[128], suggest[64], group[16];
        int r;

        vm_describe(vm, name, sizeof(name));
        vm_suggest_label(vm, suggest, sizeof(suggest));
        FindingArgs a = { .vm = name, .device = vd->name, .origin = vd->origin, .file = vm->path,
                          .config = run_config_path(run), .suggest = suggest,
                          .label = configured ? device_report_label(configured) : NULL };

        r = pci_device_load(run->root, vd->name, &dev);
        if (r == -ENODEV || r == -ENOENT)
                return explain_finding(ret, FINDING_GUARD_MISSING, &a);
        if (r < 0)
                return r;
        a.current = dev->driver ?: "no driver";

        if (!driver_is_vfio(dev->driver)) {
                /* libvirt detaches a managed device itself; only its timing is the problem. */
                if (!configured && vd->managed && vm->kind == VM_KIND_LIBVIRT)
                        return explain_finding(ret, FINDING_GUARD_MANAGED, &a);
                return explain_finding(ret, configured ? FINDING_GUARD_NOT_VFIO_CONFIGURED : FINDING_GUARD_NOT_VFIO,
                                       &a);
        }
        if (dev->iommu_group < 0)
                return explain_finding(ret, FINDING_GUARD_NO_GROUP, &a);

        snprintf(group, sizeof(group), "%d", dev->iommu_group);
        a.group = group;
        _cleanup_free_ char *blockers = NULL;
        r = group_blockers(run, vm, dev->iommu_group, &blockers);
        if (r < 0)
                return r;
        if (blockers) {
                a.members = blockers;
                r = explain_finding(ret, FINDING_GUARD_GROUP_NOT_VIABLE, &a);
                if (r < 0)
                        return r;
        }

        char nodes[2][VFIO_NODE_MAX];
        size_t n = vfio_device_nodes(run->root, vd->name, dev->iommu_group, nodes);
        _cleanup_free_ char *who = vfio_holders_of(holders, nodes, n);
        if (who) {
                a.detail = who;
                r = explain_finding(ret, FINDING_GUARD_IN_USE, &a);
                if (r < 0)
                        return r;
        }

        /* NULL: a kernel without the attribute, which says nothing either way. */
        if (dev->reset_method && !*dev->reset_method)
                return explain_finding(ret, FINDING_GUARD_NO_RESET, &a);
        return 0;
}

int guard_check_vm(const Run *run, const Vm *vm, NoteList *ret) {
        VfioHolders holders = {};
        int r;

        /* The VM's own QEMU is not running yet at pre-start and prepare: any holder is someone else. */
        r = vfio_holders_scan(run->root, &holders);
        if (r < 0)
                return r;
        for (size_t i = 0; i < vm->n_devices && r >= 0; i++)
                r = check_device(run, vm, &vm->devices[i], &holders, ret);
        vfio_holders_done(&holders);
        return r;
}
