/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run.h"

/* Is D's IOMMU group usable by a VM: every other member on a VFIO driver, unbound, or a bridge? With
 * PREDICT, members this run is about to claim count as claimed. Fills group, group_viable and
 * group_blockers. */
int assess_group(Run *run, DeviceReport *d, bool predict);
/* A note of severity SEV on D when its group is not usable. */
void assess_note_group(Run *run, DeviceReport *d, Severity sev);
/* D is on its VFIO driver: read what a VMM can open for it (group node, device cdev) and fail D with a
 * reason when there is neither. Returns whether D is usable. */
bool assess_interfaces(Run *run, DeviceReport *d);
/* The host-wide /dev/iommu, which a VMM opens next to a device cdev. */
void assess_iommufd(Run *run);
