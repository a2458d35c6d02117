/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "holders.h"
#include "host-facts.h"
#include "macro.h"
#include "pci-device.h"
#include "snapshot.h"

/* The run model: what one run of vfio-bind knows about each configured function and about the host. The
 * verbs (engine.h) fill it, the outputs (output.h, report.h) read it. */

/* Why a device is not (or cannot be) on its VFIO driver. Codes are stable: they appear in JSON and in the
 * journal (VFIO_BIND_REASON). */
typedef enum Reason {
        REASON_NONE,
        REASON_CONFIG_INVALID,
        REASON_MISSING,
        REASON_ID_MISMATCH,
        REASON_HOLDS_FILESYSTEM,
        REASON_IOMMU_OFF,
        REASON_BRIDGE,
        REASON_DENYLISTED,
        REASON_SRIOV_ENABLED,
        REASON_DRIVER_UNAVAILABLE,
        REASON_MODULE_FAILED,
        REASON_OVERRIDE_FAILED,
        REASON_UNBIND_FAILED,
        REASON_STUCK,
        REASON_PROBE_FAILED,
        REASON_NOT_BOUND,
        REASON_WRONG_DRIVER,
        REASON_HOST_DRIVER,
        REASON_UNBOUND,
        REASON_VANISHED,
        REASON_GROUP_NOT_VIABLE,
        REASON_RELEASE_FAILED,
        REASON_ROOT_UNKNOWN,
        REASON_AMBIGUOUS,
        REASON_NOT_CLAIMED,
        REASON_NOT_VFIO_DRIVER,
        REASON_RESET_METHOD_FAILED,
        REASON_NO_VFIO_INTERFACE,
        REASON_DRIFT,           /* differs from the snapshot, and drift = refuse */
        REASON_SRIOV_FAILED,    /* vfs = N: the virtual functions could not be created */
        REASON_SRIOV_SHARED_GROUP, /* a virtual function shares its IOMMU group with its physical function */
        REASON_MANAGEMENT_NIC,
        REASON_NETWORK_UNKNOWN,
        REASON_NETWORK_DEFERRED,
        _REASON_MAX,
        _REASON_INVALID = -EINVAL,
} Reason;

typedef enum Result {
        RESULT_NONE,     /* status/check: nothing was attempted */
        RESULT_CLAIMED,  /* moved onto the VFIO driver by this run */
        RESULT_ALREADY,  /* was on the VFIO driver already */
        RESULT_PLANNED,  /* --dry-run: would be claimed */
        RESULT_REFUSED,  /* left alone on purpose, see reason */
        RESULT_FAILED,   /* tried, did not end on the VFIO driver */
        RESULT_STUCK,    /* a kernel write did not return in time */
        RESULT_RELEASED, /* given back to the host */
        _RESULT_MAX,
        _RESULT_INVALID = -EINVAL,
} Result;

typedef enum Severity {
        SEVERITY_INFO,
        SEVERITY_WARNING,
        SEVERITY_ERROR,
} Severity;

/* What a note is about. Codes are stable: they appear in JSON, in the journal and in the state file. */
typedef enum NoteCode {
        NOTE_BOOT_VGA,
        NOTE_FIRMWARE_FRAMEBUFFER,
        NOTE_NO_RESET,
        NOTE_FORCED,
        NOTE_RESET_METHOD,
        NOTE_GROUP_NOT_VIABLE,
        NOTE_NO_GROUP_NODE, /* no longer raised (see REASON_NO_VFIO_INTERFACE): known so older state files parse */
        NOTE_IN_USE,
        NOTE_NO_HOST_DRIVER,
        NOTE_STILL_CONFIGURED,
        NOTE_DRIVERCTL_OVERRIDE,
        NOTE_CONFIG_INVALID,
        NOTE_IOMMU_OFF,
        NOTE_NO_INTERRUPT_REMAPPING,
        NOTE_IOMMU_BACKEND,
        NOTE_VENDOR_IDS_CMDLINE,
        NOTE_VENDOR_IDS_MODPROBE,
        NOTE_INITRAMFS_NOTE,
        NOTE_KERNEL_TAINT,
        NOTE_VM_CONFIG_UNREADABLE,
        NOTE_VM_DEVICE_NOT_CLAIMED,
        NOTE_VM_PARTIAL_GROUP,
        NOTE_VM_GROUP_SPLIT,
        NOTE_VM_AUTOSTART_SHARED,
        NOTE_VM_DEVICE_UNUSED,
        NOTE_GUARD_MISSING,
        NOTE_GUARD_NOT_VFIO,
        NOTE_GUARD_NO_GROUP,
        NOTE_GUARD_MANAGED,
        NOTE_DRIFT,            /* differs from the snapshot (drift = warn) */
        NOTE_SNAPSHOT,         /* the snapshot was taken, or cannot be read */
        NOTE_PATH,             /* path = resolved to this address */
        NOTE_PATH_UNRESOLVED,  /* path = leads to no device */
        NOTE_SRIOV,            /* vfs = N: what was done to the physical function */
        NOTE_ONLY_KEYBOARD,
        _NOTE_CODE_MAX,
        _NOTE_CODE_INVALID = -EINVAL,
} NoteCode;

typedef struct Note {
        Severity severity;
        NoteCode code;
        char *message;
        char *fix;
} Note;

typedef struct NoteList {
        Note *notes;
        size_t n;
} NoteList;

typedef struct DeviceReport {
        const DeviceSection *section;
        char name[PCI_ADDRESS_MAX];
        bool sibling; /* added by functions = all */
        bool domain_given;
        const char *wanted_driver;
        /* driver = auto: the driver chosen for this device (WANTED_DRIVER points here) and why. */
        char *chosen_driver;
        char *driver_choice;
        PciDevice *dev; /* NULL when there is no device at that address */
        char *driver_before;
        bool override_written; /* this run set driver_override; OVERRIDE_BEFORE is what it was */
        char *override_before;
        Result result;
        Reason reason;
        char *message;
        char *fix;
        NoteList notes;
        PciDeviceList group;
        bool group_viable;
        char *group_blockers; /* "0000:01:00.1 (snd_hda_intel)" */
        char *mounts;         /* filesystems on this controller */
        char *drift;          /* how it differs from the snapshot, "id was ..., now ..."; NULL: it does not */
        bool virtual_function; /* created by its section's vfs = N; the section's address is its PF */
        char physfn[PCI_ADDRESS_MAX]; /* with virtual_function */
        const char *network_use; /* why it carries the host's network (points into the run's facts) */
        /* What a VMM can open, read once the device is on its VFIO driver: the group node and the device
         * cdev. Either is enough; a kernel without CONFIG_VFIO_GROUP has only the cdev. */
        bool interfaces_read;
        VfioNode group_node;
        VfioNode cdev_node;
        uint64_t usec;
} DeviceReport;

/* One vfs = N section: its physical function, and what this run did to it or found wrong with it. */
typedef struct SriovRequest {
        const DeviceSection *section;
        char pf[PCI_ADDRESS_MAX]; /* "" when its path leads nowhere */
        bool created;             /* this run wrote sriov_numvfs */
        bool release_asked;       /* release named the PF */
        bool released;            /* this run set sriov_numvfs back to 0 */
        Severity severity;
        char *problem; /* why the VFs are not there, or NULL */
        char *fix;
} SriovRequest;

typedef struct Run {
        const char *root;
        const Config *config;
        HostFacts facts;
        DeviceReport *devices;
        size_t n_devices;
        NoteList notes; /* about the host, not one device */
        bool iommufd_read;
        VfioNode iommufd; /* /dev/iommu, which a VMM needs next to a device cdev */
        bool taint_read;  /* apply read the taint mask before and after its claim */
        uint64_t taint_before;
        uint64_t taint_after;
        int lock_fd;
        /* What the functions were when the admin took the snapshot; snapshot_error is why there is none
         * (-ENOENT: never taken). */
        Snapshot snapshot;
        int snapshot_error;
        unsigned snapshot_bad_line;
        /* Sections named by path = whose path leads to no device now. */
        const DeviceSection **unresolved;
        size_t n_unresolved;
        SriovRequest *sriov;
        size_t n_sriov;
        bool initramfs_stage; /* the boot stage before the root is mounted */
} Run;

const char *reason_to_string(Reason r);
const char *result_to_string(Result r);
const char *severity_to_string(Severity s);
const char *note_code_to_string(NoteCode c);
/* The enum values back from their names (the state file): _*_INVALID for a name this version does not know. */
Reason reason_from_string(const char *s);
Result result_from_string(const char *s);
NoteCode note_code_from_string(const char *s);

/* The configured functions (functions = all expanded), in the order of the file, and the host's facts. */
int run_init(Run *run, const char *root, const Config *config, HostFactsFlags flags);
void run_done(Run *run);
#define _cleanup_run_ _cleanup_(run_done)

/* Add the function at A to the run, unless it is there already. */
int run_add_device(Run *run, const DeviceSection *s, const PciAddress *a, bool sibling, bool domain_given);
void device_report_done(DeviceReport *d);

/* Does something keep the run from being a success besides its devices: a path that leads nowhere, virtual
 * functions that could not be created? */
bool run_has_unresolved(const Run *run);

/* Is this device where it should be (apply/status) or able to get there (check)? */
bool device_report_ok(const DeviceReport *d);
Severity device_report_severity(const DeviceReport *d);

/* Takes MESSAGE and FIX, also on failure. */
int note_add(NoteList *l, Severity sev, NoteCode code, char *message, char *fix);
void note_list_done(NoteList *l);
bool note_list_has(const NoteList *l, NoteCode code);
/* Drop the notes with CODE from L. */
void note_list_drop(NoteList *l, NoteCode code);

/* What the configuration calls itself and the device, for messages. */
const char *run_config_path(const Run *run);
const char *device_report_label(const DeviceReport *d);
/* The per-device time limit for kernel writes and module loads. */
unsigned run_timeout_msec(const Run *run);
