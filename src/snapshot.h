/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "macro.h"
#include "pci-address.h"

/* What each configured function was when the admin last said "this works" (vfio-bind snapshot): its ids,
 * revision, serial number, place in the topology and IOMMU group. Every stage compares the functions it
 * is about to claim against it, so that a renumbered bus or a regrouped IOMMU after a kernel, firmware or
 * hardware change is told instead of silently claiming the wrong function. */

#define SNAPSHOT_FILE    "/var/lib/vfio-bind/snapshot"
#define SNAPSHOT_DIR     "/var/lib/vfio-bind"
#define SNAPSHOT_VERSION 1
/* Where the root stage leaves the snapshot of a first good boot when /var is not writable yet (early boot:
 * a read-only root, the unit's sandbox); vfio-bind-snapshot.service stores it later. */
#define SNAPSHOT_PENDING "/run/vfio-bind/snapshot"

typedef enum SerialState {
        SERIAL_NONE,       /* the device has no Device Serial Number capability */
        SERIAL_KNOWN,      /* read from its extended configuration space */
        SERIAL_UNREADABLE, /* the config space past 64 bytes is root's only: not known, never compared */
} SerialState;

typedef struct SnapshotEntry {
        char *label;
        char name[PCI_ADDRESS_MAX];
        uint16_t vendor, device;
        uint16_t subsystem_vendor, subsystem_device;
        int revision; /* -1: not read */
        SerialState serial_state;
        uint64_t serial;
        char *path;    /* the kernel's device path form, "0000:00:1c.0/00.0"; NULL when unknown */
        char *members; /* "0000:01:00.0=10de:2684,0000:01:00.1=10de:22ba"; "none" without an IOMMU group */
} SnapshotEntry;

typedef struct Snapshot {
        SnapshotEntry *entries;
        size_t n;
} Snapshot;

/* One field that differs, with both values as text. */
typedef struct Drift {
        const char *field; /* "id", "subsystem", "revision", "serial", "path", "group" */
        char *was;
        char *now;
} Drift;

typedef struct DriftList {
        Drift *drifts;
        size_t n;
} DriftList;

/* Read what the function NAME is now; LABEL is copied in. -ENODEV when it does not exist. */
int snapshot_entry_read(const char *root, const char *label, const char *name, SnapshotEntry *ret);
void snapshot_entry_done(SnapshotEntry *e);

/* ROOT/var/lib/vfio-bind/snapshot: -ENOENT when there is none, -EPROTONOSUPPORT for another version,
 * -EBADMSG (with *ret_line) for a line this version cannot read. */
int snapshot_load(const char *root, Snapshot *ret, unsigned *ret_line);
int snapshot_load_path(const char *path, Snapshot *ret, unsigned *ret_line);
/* Replace the file atomically (a temporary file renamed over it), creating the directory. */
int snapshot_save(const char *root, const Snapshot *s);
/* The same, as the file "snapshot" in the directory DIR_FD. */
int snapshot_save_at(int dir_fd, const Snapshot *s);
int snapshot_add(Snapshot *s, SnapshotEntry *e); /* takes E's contents */
void snapshot_done(Snapshot *s);
#define _cleanup_snapshot_ _cleanup_(snapshot_done)

/* The entry for LABEL at NAME; else, with BY_LABEL_ALONE (a section named by path, whose address may move),
 * the only entry of LABEL. NULL when none. */
const SnapshotEntry *snapshot_find(const Snapshot *s, const char *label, const char *name, bool by_label_alone);

/* Each field of NOW that differs from WAS. A serial that cannot be read now (or could not then) is not
 * compared. */
int snapshot_compare(const SnapshotEntry *was, const SnapshotEntry *now, DriftList *ret);
/* "id 10de:2684 -> 10de:2782, path 0000:00:01.0/00.0 -> 0000:00:1c.0/00.0" */
char *drift_list_summary(const DriftList *l);
void drift_list_done(DriftList *l);

typedef struct Run Run;
/* What every function of RUN is now. Functions that are not there are left out and listed in
 * *ret_missing ("0000:01:00.0 [gpu], ..."; NULL when none). */
int snapshot_take(const Run *run, Snapshot *ret, char **ret_missing);

/* The device path of NAME ("0000:00:1c.0/00.0"), read from where sysfs places it. */
int pci_device_path(const char *root, const char *name, char **ret);
/* The function at the end of device path PATH, or -ENODEV. */
int pci_path_resolve(const char *root, const PciPath *path, PciAddress *ret);
/* The PCIe Device Serial Number from config space (extended capability 0x0003). */
int pci_device_serial(const char *root, const char *name, SerialState *ret_state, uint64_t *ret_serial);
