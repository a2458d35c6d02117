/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum ModuleState {
        MODULE_UNKNOWN, /* no module index to look at (captured tree without /lib/modules) */
        MODULE_MISSING, /* this kernel has no such module */
        MODULE_LOADABLE,
        MODULE_LIVE,
        MODULE_BUILTIN,
} ModuleState;

/* Room for a module name derived from any driver name (a file name in sysfs), kept whole: a name cut to the
 * kernel's MODULE_NAME_LEN would look up, load and report another module than the one named. A name that
 * long simply names no module. */
#define MODULE_NAME_MAX (NAME_MAX + 1)

/* A driver name as the kernel registers it ("vfio-pci") turned into its module's name ("vfio_pci"). */
void driver_to_module_name(const char *driver, char *buf, size_t size);

/* Read-only: what state MODULE is in below ROOT (sysfs for live/built-in, modules.dep/.builtin otherwise). */
ModuleState module_state(const char *root, const char *module);

bool pci_driver_registered(const char *root, const char *driver);

/* Load MODULE with libkmod (dependencies included). Returns 0 when it is live or built in afterwards,
 * -ENOENT when this kernel does not have it, another negative errno when insertion failed. */
int module_load(const char *root, const char *module);
/* Under --root (ROOT not ""), -EXDEV: loading would change the running host, not the tree. Only a module
 * loader interposed for the tree (a kernel simulator, preloaded) is used there. */

/* Is DRIVER a VFIO driver: vfio-pci, or a variant driver, whose module uses vfio_pci_core (the kernel lists
 * it among vfio_pci_core's holders, or modules.dep among its dependencies)? 1 yes, 0 no, -EADDRNOTAVAIL
 * for "vfio_pci" (the module's name, not the driver's), -ENOENT when this kernel has no such driver. */
int vfio_driver_check(const char *root, const char *driver);

/* The VFIO variant driver this kernel offers for a device, chosen as libvirt chooses: every modules.alias
 * line "alias vfio_pci:PATTERN MODULE" whose pattern (with * wildcards) matches the device's modalias
 * (its "pci:v..." read as "vfio_pci:v..."). The most specific pattern (fewest wildcards) wins, a tie goes
 * to the first module name alphabetically. Returns how many aliases matched (0: none, the caller keeps
 * vfio-pci), -ENOENT when this kernel has no modules.alias to look at. */
int vfio_variant_lookup(const char *root, const char *modalias, char **ret_module, char **ret_alias);
/* The same for the kernel KERNEL_RELEASE (NULL: the running one), whose modules an initramfs is built for. */
int vfio_variant_lookup_for(const char *root, const char *kernel_release, const char *modalias, char **ret_module,
                            char **ret_alias);
