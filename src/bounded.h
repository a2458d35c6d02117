/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes to sysfs can block in the kernel (unbinding a GPU that backs the console, a wedged probe), and a
 * process blocked there cannot be interrupted. So risky steps run in a child process: the parent waits
 * for a bounded time, and if the child does not finish it is reported stuck with the step it was on,
 * and the parent carries on with the other devices. Boot is never held hostage by one device. */

typedef struct BoundedStep {
        int fd; /* progress pipe to the parent */
} BoundedStep;

/* Longest step description kept, with its terminating NUL. */
#define BOUNDED_STEP_MAX 128

/* Called by the work function before each step that could block. CODE is the work's own name for the
 * step (say, 1 for unbind, 2 for bind): the parent hands back the code of the last step reported, so a
 * failure can be told apart by where it happened. WHAT is for people: "unbinding from nouveau". */
void bounded_step(BoundedStep *s, unsigned code, const char *what);

typedef int (*BoundedWork)(BoundedStep *s, void *userdata);

typedef struct BoundedResult {
        bool timed_out;
        int error;                   /* the work function's return value (negative errno or 0) */
        unsigned step_code;          /* the code of the last step reported, 0 before the first */
        char step[BOUNDED_STEP_MAX]; /* the last step reported */
        uint64_t usec;               /* from the item's start to its end (or to giving up) */
        bool not_started;            /* the run was stopped (or out of time) before this item began */
} BoundedResult;

/* Run WORK in a child for at most TIMEOUT_MSEC. CLOSE_FD (if >= 0) is closed in the child: the caller's
 * lock must not be kept alive by a child that never comes back. */
int bounded_run(BoundedWork work, void *userdata, unsigned timeout_msec, int close_fd, BoundedResult *ret);

/* Run WORK for items 0..N-1 with a time limit per item, using as few child processes as possible: one child
 * works through the items in order (a fork per item costs more than the work itself); when an item overruns,
 * it is reported stuck and a fresh child goes on with the next. Each item's limit runs from that item's own
 * start. RET is an array of N results. */
typedef int (*BoundedItemWork)(BoundedStep *s, size_t index, void *userdata);
int bounded_run_each(BoundedItemWork work, size_t n, void *userdata, unsigned timeout_msec, int close_fd,
                     BoundedResult *ret);

uint64_t now_usec(void);
/* Wall-clock time, for timestamps others read (metrics); never for measuring durations. */
uint64_t realtime_usec(void);

/* The whole run's limits: systemd kills a unit that overruns TimeoutStartSec=, and SIGTERM asks it to stop.
 * Either way no new work starts, the current step finishes (or is given up at its own limit) and the run
 * still writes its state and report. */
void run_budget_start(uint64_t budget_usec);
/* The time left in the budget, 0 when spent; UINT64_MAX when there is no budget. */
uint64_t run_budget_left_usec(void);
/* SIGTERM and SIGINT set a flag instead of killing the process. */
int run_stop_on_signals(void);
bool run_should_stop(void);
bool run_stop_requested(void);
