/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "run.h"
#include "state-file.h"

/* The boot report as journal entries, built without sending so that tests can assert every field. */

#define REPORT_MAX_FIELDS 16

typedef struct ReportEntry {
        int priority; /* syslog level */
        const char *message_id;
        char *message;
        char *fields[REPORT_MAX_FIELDS]; /* "VFIO_BIND_DEVICE=0000:01:00.0" */
        size_t n_fields;
} ReportEntry;

typedef struct Report {
        ReportEntry *entries;
        size_t n;
} Report;

typedef enum InitramfsStage {
        INITRAMFS_RAN,
        INITRAMFS_MISSING,  /* no state file: not rebuilt since vfio-bind was installed, or the hook is absent */
        INITRAMFS_STALE,    /* ran with another configuration than /etc has now */
        INITRAMFS_DISABLED, /* rd.vfio_bind=0 */
} InitramfsStage;

typedef struct BootContext {
        const char *stage;            /* "root" or "initramfs" */
        bool disabled;                /* vfio_bind=0: nothing claimed anywhere */
        InitramfsStage initramfs;
        const StateFile *initramfs_state; /* NULL when missing */
        const char *rebuild_command;  /* "update-initramfs -u -k all" */
} BootContext;

int report_build(const Run *run, const BootContext *ctx, Report *ret);
void report_clear(Report *r);
/* The value of FIELD in an entry, or NULL: for tests and for the text fallback. */
const char *report_entry_field(const ReportEntry *e, const char *field);
