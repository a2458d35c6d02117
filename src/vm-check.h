/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run.h"
#include "vm-config.h"

/* The VM configurations against vfio-bind's and the host's IOMMU groups, as host notes on RUN: devices a
 * VM passes that are not claimed at boot, groups passed in part or split between VMs, devices two
 * autostarting VMs share, and claimed devices that no VM passes. */
int run_check_vms(Run *run, const VmList *vms);

/* The IOMMU group of NAME under ROOT; -1 when it has none or does not exist. */
int vm_device_group(const char *root, const char *name);
/* The configured device NAME in RUN, or NULL. */
const DeviceReport *run_find_device(const Run *run, const char *name);
/* A section name to propose for a device a VM passes: "vm100", "win11", letters, digits, '-' and '_'. */
void vm_suggest_label(const Vm *vm, char *buf, size_t size);
