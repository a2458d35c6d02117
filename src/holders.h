/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Who holds VFIO group nodes open (a running or stale VM): one scan of /proc per run. */
typedef struct VfioHolder {
        int group;
        char *holder; /* "qemu-system-x86 (pid 4242)" */
} VfioHolder;

typedef struct VfioHolders {
        VfioHolder *items;
        size_t n;
} VfioHolders;

/* Processes that exit while we look are skipped. */
int vfio_holders_scan(const char *root, VfioHolders *ret);
void vfio_holders_done(VfioHolders *h);
/* "qemu-system-x86 (pid 4242), ..." for GROUP, or NULL when nobody holds it. */
char *vfio_holders_of(const VfioHolders *h, int group);
