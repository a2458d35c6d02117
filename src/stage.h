/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run.h"
#include "state-file.h"

/* The two boot stages as one story: the initramfs stage claims early and leaves its state file; the root
 * stage claims what is left and merges that file with its own run into one outcome per device, which the
 * report then only formats. */

typedef enum InitramfsStage {
        INITRAMFS_RAN,
        INITRAMFS_MISSING,       /* no state file: not rebuilt since vfio-bind was installed, or the hook is absent */
        INITRAMFS_STALE,         /* ran with another configuration than /etc has now */
        INITRAMFS_DISABLED,      /* rd.vfio_bind=0 */
        INITRAMFS_OTHER_VERSION, /* its state file has a version this one does not read */
        INITRAMFS_UNRECORDED,    /* it ran but could not write its state file (initramfs_error says why) */
        INITRAMFS_UNREADABLE,    /* its state file (or /run/vfio-bind) cannot be read (initramfs_error) */
} InitramfsStage;

typedef struct BootContext {
        Stage stage;
        bool disabled; /* vfio_bind=0: nothing claimed anywhere */
        InitramfsStage initramfs;
        const StateFile *initramfs_state; /* NULL when missing */
        const char *rebuild_command;      /* "update-initramfs -u -k all" */
        int initramfs_error;              /* positive errno, with INITRAMFS_UNRECORDED and _UNREADABLE */
} BootContext;

/* One device over both stages. */
typedef struct DeviceOutcome {
        bool in_initramfs;           /* reached its driver in the initramfs stage, and is still on it */
        Stage claimed_in;            /* the stage it reached its driver in (this one when it did not) */
        Result result;               /* the initramfs stage's claim counts as a claim */
        const char *previous_driver; /* what the first stage that saw it found it on */
        uint64_t usec;               /* the time the claiming stage spent on it */
        Severity severity;           /* over this stage's notes and the carried ones */
        Reason early_reason;         /* why the initramfs stage did not get it there (REASON_NONE: it did, or no
                                      * record), so that a claim the root stage made up for is told */
        const char *early_message;
        NoteList carried; /* warnings the initramfs stage saw that this stage cannot see any more */
} DeviceOutcome;

typedef struct BootOutcome {
        DeviceOutcome *devices; /* one per run->devices, in the same order */
        size_t n_devices;
        bool early_udev;         /* udev was already running when the initramfs stage ran */
        uint64_t initramfs_usec; /* how long the initramfs stage took, 0 when it left no record */
        size_t n_ok;             /* devices where they should be */
        size_t n_in_initramfs;   /* devices the initramfs stage put on their driver */
} BootOutcome;

int boot_outcome_build(const Run *run, const BootContext *ctx, BootOutcome *ret);
void boot_outcome_done(BootOutcome *o);
#define _cleanup_boot_outcome_ _cleanup_(boot_outcome_done)
