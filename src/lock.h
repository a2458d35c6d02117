/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run.h"

#define RUN_DIR "/run/vfio-bind"
#define LOCK_FILE RUN_DIR "/lock"

/* ROOT/run/vfio-bind, created when absent, as an O_DIRECTORY fd: -ENOTDIR when it is not a directory (or a
 * symlink), -EPERM when someone else owns it or may write to it. */
int run_dir_open(const char *root);

/* Serialise concurrent runs (a unit and an admin): a lock file below ROOT/run/vfio-bind, held in
 * RUN->lock_fd until run_done(). -EWOULDBLOCK when another run still holds it after TIMEOUT_SEC. */
int run_lock(Run *run, unsigned timeout_sec);

/* How many per-device timeouts a second run waits for the lock: the first run may be in the middle of a
 * module load and a claim, each with its own limit. */
#define LOCK_WAIT_DEVICE_TIMEOUTS 3
static inline unsigned lock_timeout_sec(const Config *config) {
        return config->timeout_sec * LOCK_WAIT_DEVICE_TIMEOUTS;
}
