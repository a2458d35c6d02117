/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "pci-address.h"

/* Which PCI functions hold the host's filesystems: the mounts seen now, and in the initramfs the record
 * made when the image was built. A controller that holds them must not be claimed. */

typedef struct MountedBlock {
        char *mountpoint;
        char *source;     /* device path as mountinfo names it */
        char **pci_paths; /* resolved sysfs paths of the physical block devices under it */
        size_t n_pci_paths;
} MountedBlock;

/* A controller the initramfs hooks recorded as holding mounted filesystems. */
typedef struct RecordedController {
        char name[PCI_ADDRESS_MAX];
        char *mountpoints; /* as recorded: "/, /home" */
} RecordedController;

typedef struct Storage {
        MountedBlock *mounts;
        size_t n_mounts;
        RecordedController *recorded;
        size_t n_recorded;
        /* Whether we know which controller holds "/": not in the initramfs (nothing mounted yet) unless a
         * valid record says, and not for zfs or nfs roots, whose mounts do not name a device. */
        bool root_located;
        char *root_unknown; /* "zfs 'rpool/ROOT/pve-1'", when "/" is mounted but cannot be located */
} Storage;

/* The initramfs runs before the root filesystem is mounted, and usually before the disk driver is loaded:
 * it cannot see which controller will hold "/". So the initramfs hooks record, when the image is built, which
 * PCI functions hold mounted filesystems (STORAGE_RECORD below the root); the initramfs stage treats them as
 * holding those filesystems. */
#define STORAGE_RECORD "/etc/vfio-bind.storage"

/* What is mounted now (ROOT/proc/self/mountinfo), down to the PCI functions under each mount. */
int storage_load_mounts(Storage *s, const char *root);
/* Add the record's controllers. -ENOENT when there is no record, -ESTALE when it was not made on this
 * machine (or could not see "/"): then it adds nothing. */
int storage_load_record(Storage *s, const char *root);
void storage_done(Storage *s);

/* The mount points that live on the controller DEVICE, comma separated; NULL when none. */
int storage_mounts_on(const Storage *s, const char *device, char **ret);

/* "ADDRESS<TAB>VENDOR:DEVICE<TAB>MOUNTPOINTS" per controller holding mounted filesystems: the record. */
int storage_write_record(const Storage *s, const char *root, FILE *out);
