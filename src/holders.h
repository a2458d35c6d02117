/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who holds VFIO nodes open (a running or stale VM): one scan of /proc per run. Both kinds of node count:
 * the group node /dev/vfio/GROUP and the device's own cdev /dev/vfio/devices/vfioN (iommufd). */
typedef struct VfioHolder {
        char *node;   /* "/dev/vfio/2", "/dev/vfio/devices/vfio0" */
        char *holder; /* "qemu-system-x86 (pid 4242)", control characters escaped */
} VfioHolder;

typedef struct VfioHolders {
        VfioHolder *items;
        size_t n;
} VfioHolders;

/* Longest node path kept. */
#define VFIO_NODE_MAX 64

/* Processes that exit while we look are skipped. */
int vfio_holders_scan(const char *root, VfioHolders *ret);
void vfio_holders_done(VfioHolders *h);

/* The nodes through which a VM can reach device NAME in GROUP (< 0: none): the group node, and the cdev
 * when the kernel lists one in NAME's vfio-dev directory. Returns how many were filled. */
size_t vfio_device_nodes(const char *root, const char *name, int group, char nodes[2][VFIO_NODE_MAX]);

/* "/dev/vfio/2 is open by qemu-system-x86 (pid 4242); ..." for any of NODES, or NULL when nobody holds
 * them (or out of memory). */
char *vfio_holders_of(const VfioHolders *h, char nodes[][VFIO_NODE_MAX], size_t n_nodes);

/* One node a VMM can open, as stat() sees it (not access(): a unit's device policy refuses that on device
 * nodes it may not open, and the question here is whether the node is there, not whether we may open it). */
typedef struct VfioNode {
        bool exists;
        char path[VFIO_NODE_MAX];
        mode_t mode; /* permission bits only */
        uid_t uid;
        gid_t gid;
} VfioNode;

/* Fill RET for PATH (relative to ROOT); RET->exists is false when it is not there. */
void vfio_node_stat(const char *root, const char *path, VfioNode *ret);

/* The interfaces through which a VMM reaches device NAME in GROUP: the group node /dev/vfio/GROUP and the
 * device cdev /dev/vfio/devices/vfioN that NAME's vfio-dev directory names. */
void vfio_interfaces_read(const char *root, const char *name, int group, VfioNode *ret_group, VfioNode *ret_cdev);
