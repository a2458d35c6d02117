/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "run.h"
#include "stage.h"

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

/* Format the boot report: the outcome (stage.h) is decided already, this only says it. */
int report_build(const Run *run, const BootContext *ctx, const BootOutcome *outcome, Report *ret);
void report_done(Report *r);
#define _cleanup_report_ _cleanup_(report_done)
/* The value of FIELD in an entry, or NULL: for tests and for the text fallback. */
const char *report_entry_field(const ReportEntry *e, const char *field);
