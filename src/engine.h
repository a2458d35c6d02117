/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lock.h"
#include "run.h"

/* The verbs. Each fills the run's device reports and host notes; none of them logs: the caller decides
 * what to print, send to the journal, or record. */

/* Read-only look at every configured function: identity, blockers, group, notes. What `check` reports. */
int run_check(Run *run);
/* What is true now. What `status` reports. */
int run_status(Run *run);
/* Claim. With dry_run only the plan (RESULT_PLANNED) is filled. */
int run_apply(Run *run, bool dry_run);
/* Give ADDRESSES (canonical) back to the host; all configured functions when n == 0. */
int run_release(Run *run, char **addresses, size_t n);
/* The claim did not run (the lock, the run directory): what is true now, and every device that is not on
 * its driver says why, in WHY, with FIX. */
int run_not_claimed(Run *run, const char *why, const char *fix);
