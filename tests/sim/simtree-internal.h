/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Layout of the simulator's own state under ROOT/sim, shared by the tree
 * builder (which writes it) and the preloaded kernel simulator (which reads and
 * updates it). Plain text so that a test or a human can look at it. */
#pragma once

/* ROOT/sim/modules/NAME: "builtin", "live", "loadable" or "missing" (the
 * state the host started with; "loadable" becomes "live" once loaded). */
#define SIM_MODULES_DIR "sim/modules"
/* ROOT/sim/drivers/NAME/{module,ids,classes,dynids}: a PCI driver's module and
 * id table; ids/dynids lines "vvvv dddd", classes lines "cccccc mmmmmm". */
#define SIM_DRIVERS_DIR "sim/drivers"
/* Registration order of PCI drivers, one name a line (drivers_probe tries
 * them in this order, as the kernel walks its driver list). */
#define SIM_DRIVERS_ORDER "sim/drivers.order"
/* ROOT/sim/knobs/TARGET/KNOB: fault knobs, TARGET an address or module:NAME. */
#define SIM_KNOBS_DIR "sim/knobs"
/* Firmware framebuffers: lines "INDEX START END IOMEM-NAME FB-NAME". */
#define SIM_FB_FILE "sim/fb"
#define SIM_LOG_FILE "sim/log"
#define SIM_LOCK_FILE "sim/lock"
/* A modprobe.d and an empty modules dir for the simulated libkmod context. */
#define SIM_MODPROBE_DIR "sim/modprobe.d"
#define SIM_KMOD_DIR "sim/kmod"

#include <stdbool.h>

/* Canonical directory of a device (ROOT/sys/devices/...); -ENODEV if absent. */
int sim_device_dir(const char *root, const char *addr, char **ret_dir);
/* IOMMU group number of a device, -ENOENT when it has none. */
int sim_device_group(const char *dev_dir, int *ret_group);
/* Reads a knob; -ENOENT when unset. */
int sim_knob_get(const char *root, const char *target, const char *knob, char **ret_value);
/* Removes /dev/vfio/GROUP unless a member of the group is still on a vfio driver. */
int sim_vfio_group_release(const char *root, int group);
bool sim_is_vfio_driver(const char *name);
