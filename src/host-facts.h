/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "network.h"
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
        HOST_FACTS_RECORDED_NETWORK = 1 << 2, /* the network record of the initramfs image */
        HOST_FACTS_NETWORK_HANDOFF = 1 << 3,  /* the network record the initramfs stage found valid */
        /* A boot stage runs before the host's network is configured: no routes is no answer there, while
         * for the admin's verbs it means that no function carries the host's network. */
        HOST_FACTS_BOOT = 1 << 4,
} HostFactsFlags;

#define HOST_FACTS_BOOT_ROOT (HOST_FACTS_UDEV | HOST_FACTS_NETWORK_HANDOFF | HOST_FACTS_BOOT)
#define HOST_FACTS_BOOT_INITRAMFS                                                                                      \
        (HOST_FACTS_UDEV | HOST_FACTS_RECORDED_STORAGE | HOST_FACTS_RECORDED_NETWORK | HOST_FACTS_BOOT)

typedef struct HostFacts {
        bool iommu_enabled;
        bool interrupt_remapping;
        bool unsafe_interrupts_allowed;
        CpuVendor cpu_vendor;
        bool udev_running; /* only with HOST_FACTS_UDEV */
        char *cmdline;     /* the kernel command line, NULL when there is none */
        Storage storage;
        int recorded_storage_error; /* why the storage record could not be read, for the caller to say */
        NetworkFacts network;
        bool boot;                  /* HOST_FACTS_BOOT */
        bool initramfs;             /* HOST_FACTS_RECORDED_NETWORK: no live network to look at yet */
        int recorded_network_error; /* -ESTALE: a record of another machine; -ENOENT: none */
        Keyboards keyboards;
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
