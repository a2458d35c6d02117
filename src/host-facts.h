/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pci-address.h"

typedef enum CpuVendor {
        CPU_VENDOR_UNKNOWN,
        CPU_VENDOR_INTEL,
        CPU_VENDOR_AMD,
} CpuVendor;

typedef struct MountedBlock {
        char *mountpoint;
        char *source;      /* device path as mountinfo names it */
        char **pci_paths;  /* resolved sysfs paths of the physical block devices under it */
        size_t n_pci_paths;
} MountedBlock;

typedef struct FramebufferRange {
        uint64_t start;
        uint64_t end;
        char *name;
} FramebufferRange;

/* What the platform says once per run, shared by every configured device. */
typedef struct HostFacts {
        bool iommu_enabled;
        bool interrupt_remapping;
        bool unsafe_interrupts_allowed;
        CpuVendor cpu_vendor;
        bool udev_running; /* filled by the boot stage only: host_udev_running() scans /proc */
        char *cmdline;
        MountedBlock *mounts;
        size_t n_mounts;
        FramebufferRange *framebuffers;
        size_t n_framebuffers;
        /* Whether we know which controller holds "/": not in the initramfs (nothing mounted yet) unless a
         * valid record says, and not for zfs or nfs roots, whose mounts do not name a device. */
        bool root_located;
        char *root_unknown; /* "zfs 'rpool/ROOT/pve-1'", when "/" is mounted but cannot be located */
} HostFacts;

int host_facts_load(const char *root, HostFacts *ret);
void host_facts_clear(HostFacts *f);

/* The initramfs runs before the root filesystem is mounted, and usually before the disk driver is loaded:
 * it cannot see which controller will hold "/". So the initramfs hooks record, when the image is built, which
 * PCI functions hold mounted filesystems (STORAGE_RECORD below the root); the initramfs stage treats them as
 * holding those filesystems. */
#define STORAGE_RECORD "/etc/vfio-bind.storage"

/* "ADDRESS<TAB>VENDOR:DEVICE<TAB>MOUNTPOINTS" per controller holding mounted filesystems. */
int host_facts_write_storage(const HostFacts *f, const char *root, FILE *out);
/* Add the record's controllers as holders of their filesystems. -ENOENT when there is no record, -ESTALE
 * when it was not made on this machine (or could not see "/"): then it adds nothing. */
int host_facts_add_recorded_storage(HostFacts *f, const char *root);

/* The mount points that live on the controller DEVICE, comma separated; NULL when none. */
int host_facts_mounts_on(const HostFacts *f, const char *device, char **ret);

/* The firmware framebuffer that sits inside one of DEVICE's memory BARs, or NULL. */
const FramebufferRange *host_facts_framebuffer_on(const HostFacts *f, const char *root, const char *device);

/* Is a udev daemon running (is this run late for the initramfs)? */
bool host_udev_running(const char *root);

/* The kernel option that turns the IOMMU on for this CPU vendor. */
const char *iommu_enable_hint(CpuVendor v);

/* Kernel command line boolean KEY: last occurrence wins; "KEY" alone means true.
 * Returns 1/0 when present, -ENOENT when absent, -EINVAL for a value that is not a boolean. */
int cmdline_get_bool(const char *cmdline, const char *key);
