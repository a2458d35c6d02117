/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "storage.h"

/* What the platform says once per run, shared by every configured device. Loaded in one go and not
 * changed afterwards. */

typedef enum CpuVendor {
        CPU_VENDOR_UNKNOWN,
        CPU_VENDOR_INTEL,
        CPU_VENDOR_AMD,
} CpuVendor;

typedef struct FramebufferRange {
        uint64_t start;
        uint64_t end;
        char *name;
} FramebufferRange;

typedef enum HostFactsFlags {
        HOST_FACTS_UDEV = 1 << 0,             /* whether udev runs: a scan of /proc, for the boot stages */
        HOST_FACTS_RECORDED_STORAGE = 1 << 1, /* the storage record of the initramfs image */
} HostFactsFlags;

#define HOST_FACTS_BOOT_ROOT      HOST_FACTS_UDEV
#define HOST_FACTS_BOOT_INITRAMFS (HOST_FACTS_UDEV | HOST_FACTS_RECORDED_STORAGE)

typedef struct HostFacts {
        bool iommu_enabled;
        bool interrupt_remapping;
        bool unsafe_interrupts_allowed;
        CpuVendor cpu_vendor;
        bool udev_running; /* only with HOST_FACTS_UDEV */
        char *cmdline;     /* the kernel command line, NULL when there is none */
        Storage storage;
        int recorded_storage_error; /* why the storage record could not be read, for the caller to say */
        FramebufferRange *framebuffers;
        size_t n_framebuffers;
} HostFacts;

int host_facts_load(const char *root, HostFactsFlags flags, HostFacts *ret);
void host_facts_done(HostFacts *f);
#define _cleanup_host_facts_ _cleanup_(host_facts_done)

/* The firmware framebuffer that sits inside one of DEVICE's memory BARs, or NULL. */
const FramebufferRange *host_facts_framebuffer_on(const HostFacts *f, const char *root, const char *device);

/* Is a udev daemon running (is this run late for the initramfs)? */
bool host_udev_running(const char *root);

/* The kernel's taint mask, /proc/sys/kernel/tainted. */
int host_taint_read(const char *root, uint64_t *ret);

/* The kernel option that turns the IOMMU on for this CPU vendor. */
const char *iommu_enable_hint(CpuVendor v);
