/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run.h"

/* What vfio-bind tells the admin about a device that is not (or cannot be) on its driver: the message and
 * the fix, from one table keyed by explanation, each tied to its reason code. Texts are templates that name
 * their values as the journal catalog does (@DEVICE@), so the wording lives in one place and no call site
 * formats a message of its own. */

typedef enum Explanation {
        EXPLAIN_ON_DRIVER,
        EXPLAIN_OUT_OF_MEMORY,
        EXPLAIN_MISSING,
        EXPLAIN_MISSING_RELEASE,
        EXPLAIN_AMBIGUOUS,
        EXPLAIN_CONFIG_INVALID,
        EXPLAIN_ID_MISMATCH,
        EXPLAIN_HOLDS_FILESYSTEM,
        EXPLAIN_ROOT_NOT_PLACED,
        EXPLAIN_ROOT_NOT_MOUNTED,
        EXPLAIN_IOMMU_OFF,
        EXPLAIN_BRIDGE,
        EXPLAIN_DENYLISTED,
        EXPLAIN_SRIOV_ENABLED,
        EXPLAIN_DRIVER_UNAVAILABLE,
        EXPLAIN_DRIVER_NOT_LOADED,
        EXPLAIN_GROUP_REFUSED,
        EXPLAIN_HOST_DRIVER,
        EXPLAIN_UNBOUND,
        EXPLAIN_MODULE_STUCK,
        EXPLAIN_MODULE_FAILED,
        EXPLAIN_OVERRIDE_FAILED,
        EXPLAIN_UNBIND_FAILED,
        EXPLAIN_PROBE_INVALID,
        EXPLAIN_PROBE_BUSY,
        EXPLAIN_PROBE_NO_MATCH,
        EXPLAIN_PROBE_REFUSED,
        EXPLAIN_CLAIM_ABNORMAL,
        EXPLAIN_CLAIM_NOT_STARTED,
        EXPLAIN_CLAIM_STUCK,
        EXPLAIN_WRONG_DRIVER,
        EXPLAIN_NOT_BOUND,
        EXPLAIN_VANISHED,
        EXPLAIN_VANISHED_CLAIMING,
        EXPLAIN_VANISHED_RELEASING,
        EXPLAIN_IN_USE,
        EXPLAIN_OVERRIDE_NOT_CLEARED,
        EXPLAIN_OVERRIDE_GONE,
        EXPLAIN_STILL_ON_VFIO,
        EXPLAIN_RELEASE_STUCK,
        EXPLAIN_NOT_CLAIMED,
        EXPLAIN_NOT_CLAIMED_UNBOUND,
        EXPLAIN_NOTHING_TO_RELEASE,
        EXPLAIN_NOT_VFIO_DRIVER,
        EXPLAIN_DRIVER_MODULE_NAME,
        EXPLAIN_MODULE_NOT_LOADED_ROOT,
        EXPLAIN_RESET_METHOD_FAILED,
        EXPLAIN_NO_VFIO_INTERFACE,
        EXPLAIN_SUBSYSTEM_MISMATCH,
        EXPLAIN_SERIAL_MISMATCH,
        EXPLAIN_DRIFT_REFUSED,
        EXPLAIN_SRIOV_SHARED_GROUP,
        EXPLAIN_MANAGEMENT_NIC,
        EXPLAIN_NETWORK_UNKNOWN,
        EXPLAIN_NETWORK_DEFERRED,
        _EXPLAIN_MAX,
} Explanation;

/* The values a template may name beyond what the device report and the run say themselves (@DEVICE@,
 * @LABEL@, @SECTION@, @CONFIG@, @WANTED@, @ID@, @CLASS@, @EXPECT@, @GROUP@, @BLOCKERS@, @MOUNTS@, @VFS@,
 * @SECONDS@, @WANT@). */
typedef struct ExplainArgs {
        const char *current; /* @CURRENT@: the driver the device is on */
        const char *module;  /* @MODULE@ */
        const char *detail;  /* @DETAIL@: namesakes, holders, the unplaced root filesystem, what went wrong */
        const char *step;    /* @STEP@: where a bounded write was when it gave up */
        const char *hint;    /* @HINT@: a fix that depends on the host */
        const char *want;    /* @WANT@: the value a guard (subsystem =, serial =) asks for */
        int error;           /* @ERROR@: a positive errno, said in words */
} ExplainArgs;

/* Set D's reason, message and fix from the table. Returns the reason. */
Reason explain(DeviceReport *d, const Run *run, Explanation e, const ExplainArgs *args);

/* The reason code an explanation stands for. */
Reason explanation_reason(Explanation e);

/* A kernel taint flag, bit BIT of /proc/sys/kernel/tainted: its letter and what it means, as the kernel's
 * Documentation/admin-guide/tainted-kernels.rst lists them; '?' for a bit this version does not know. */
typedef struct TaintFlag {
        char letter;
        const char *meaning;
} TaintFlag;

TaintFlag taint_flag(unsigned bit);

/* What the VM-configuration cross-check and the pre-start guards say: one entry per finding, with its
 * severity and note code. Templates name @VM@, @OTHER@ (a second VM), @DEVICE@, @ORIGIN@ (the VM's
 * config key: hostpci0, hostdev), @FILE@, @LINE@, @GROUP@, @MEMBERS@, @LABEL@, @CONFIG@, @CURRENT@,
 * @SUGGEST@ (a section name to propose) and @DETAIL@. */
typedef enum Finding {
        FINDING_VM_CONFIG_UNREADABLE,
        FINDING_VM_DEVICE_NOT_CLAIMED,
        FINDING_VM_PARTIAL_GROUP,
        FINDING_VM_GROUP_SPLIT,
        FINDING_VM_AUTOSTART_SHARED,
        FINDING_VM_DEVICE_UNUSED,
        FINDING_GUARD_MISSING,
        FINDING_GUARD_NOT_VFIO_CONFIGURED,
        FINDING_GUARD_NOT_VFIO,
        FINDING_GUARD_MANAGED,
        FINDING_GUARD_NO_GROUP,
        FINDING_GUARD_GROUP_NOT_VIABLE,
        FINDING_GUARD_IN_USE,
        FINDING_GUARD_NO_RESET,
        _FINDING_MAX,
} Finding;

typedef struct FindingArgs {
        const char *vm, *other, *device, *origin, *file, *line, *group, *members, *label, *config, *current,
                *suggest, *detail;
} FindingArgs;

/* Add finding F to L, its message and fix filled from A. */
int explain_finding(NoteList *l, Finding f, const FindingArgs *a);
