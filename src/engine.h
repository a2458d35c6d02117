/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "host-facts.h"
#include "pci-device.h"

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
        _REASON_MAX,
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
} Result;

typedef enum Severity {
        SEVERITY_INFO,
        SEVERITY_WARNING,
        SEVERITY_ERROR,
} Severity;

typedef struct Note {
        Severity severity;
        const char *code;
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
        PciDevice *dev; /* NULL when there is no device at that address */
        char *driver_before;
        Result result;
        Reason reason;
        char *message;
        char *fix;
        NoteList notes;
        PciDeviceList group;
        bool group_viable;
        char *group_blockers; /* "0000:01:00.1 (snd_hda_intel)" */
        char *mounts;         /* filesystems on this controller */
        uint64_t usec;
} DeviceReport;

typedef struct Run {
        const char *root;
        const Config *config;
        HostFacts facts;
        DeviceReport *devices;
        size_t n_devices;
        NoteList notes; /* about the host, not one device */
        int lock_fd;
} Run;

const char *reason_to_string(Reason r);
const char *result_to_string(Result r);
const char *severity_to_string(Severity s);

int run_init(Run *run, const char *root, const Config *config);
void run_done(Run *run);

/* Read-only look at every configured function: identity, blockers, group, notes. What `check` reports. */
int run_check(Run *run);
/* What is true now. What `status` reports. */
int run_status(Run *run);
/* Claim. With dry_run only the plan (RESULT_PLANNED) is filled. */
int run_apply(Run *run, bool dry_run);
/* Give ADDRESSES (canonical) back to the host; all configured functions when n == 0. */
int run_release(Run *run, char **addresses, size_t n);

/* Is this device where it should be (apply/status) or able to get there (check)? */
bool device_report_ok(const DeviceReport *d);
Severity device_report_severity(const DeviceReport *d);

int note_add(NoteList *l, Severity sev, const char *code, char *message, char *fix);
void note_list_clear(NoteList *l);

/* Serialise concurrent runs (a unit and an admin): a lock file below ROOT/run/vfio-bind. */
int run_lock(Run *run, unsigned timeout_sec);

/* How many per-device timeouts a second run waits for the lock: the first run may be in the middle of a
 * module load and a claim, each with its own limit. */
#define LOCK_WAIT_DEVICE_TIMEOUTS 3
static inline unsigned lock_timeout_sec(const Config *config) {
        return config->timeout_sec * LOCK_WAIT_DEVICE_TIMEOUTS;
}
