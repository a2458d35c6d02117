/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run.h"
#include "vm-config.h"

/* The pre-start check of one VM, run by a Proxmox hookscript or libvirt's qemu hook where the user starts
 * the VM: every PCI function it passes must be on a VFIO driver, its IOMMU group usable, no other process
 * holding it; a missing reset method is a warning. RUN holds the configured devices (for their labels);
 * the findings go to RET, errors among them refuse the start. */
int guard_check_vm(const Run *run, const Vm *vm, NoteList *ret);
