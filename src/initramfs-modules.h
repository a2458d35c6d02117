/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "config.h"

/* The kernel modules the initramfs stage needs to claim what CONFIG names, for the initramfs hooks: an
 * image without a variant driver's module can only hand the device to vfio-pci, or leave it to the root
 * stage. */
typedef struct InitramfsModule {
        char *module; /* module name as modprobe takes it ("vfio_pci") */
        char *reason; /* why it is needed, for the hook's verbose output */
} InitramfsModule;

typedef struct InitramfsModules {
        InitramfsModule *items;
        size_t n;
} InitramfsModules;

/* The VFIO modules every claim needs, then each driver a valid section names, and for `driver = auto` the
 * variant driver that kernel KERNEL_RELEASE's modules.alias matches for each of the section's functions
 * present now (NULL: the running kernel). Each module once, the first reason kept. */
int initramfs_modules_collect(const char *root, const Config *config, const char *kernel_release,
                              InitramfsModules *ret);
void initramfs_modules_done(InitramfsModules *m);
