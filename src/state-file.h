/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "run.h"

/* The initramfs stage's outcome, handed to the root stage through /run (which the initramfs moves into the
 * real root). Plain "key=value" lines and one tab-separated line per function: readable with cat. */

#define STATE_FILE_INITRAMFS "/run/vfio-bind/initramfs.state"
/* The boot unit's outcome, in the same format: which stage claimed a device, and when the boot report was
 * written (its modification time), for status --format=prometheus. */
#define STATE_FILE_ROOT "/run/vfio-bind/root.state"

/* The layout below. The initramfs image may come from another vfio-bind than the root: a reader takes only
 * its own version, and says so otherwise. */
#define STATE_FILE_VERSION 1

typedef enum Stage {
        STAGE_INITRAMFS,
        STAGE_ROOT,
        _STAGE_MAX,
        _STAGE_INVALID = -EINVAL,
} Stage;

const char *stage_to_string(Stage s);
Stage stage_from_string(const char *s);

typedef struct StateDevice {
        char name[PCI_ADDRESS_MAX];
        char *driver_before;
        char *driver_after;
        Result result;
        Reason reason;
        uint64_t usec;
        char *message;
} StateDevice;

/* A warning the initramfs stage saw (a framebuffer that its claim removed, for one): the root stage may no
 * longer see the cause, so it repeats it. */
typedef struct StateNote {
        char name[PCI_ADDRESS_MAX];
        Severity severity;
        NoteCode code;
        char *message;
        char *fix;
} StateNote;

typedef struct StateFile {
        Stage stage;
        uint64_t config_hash;
        bool config_present;
        bool udev_running;
        bool disabled; /* a kill switch stopped this stage */
        uint64_t duration_usec;
        StateDevice *devices;
        size_t n_devices;
        StateNote *notes;
        size_t n_notes;
} StateFile;

/* Write atomically (a temp file renamed over NAME) in the directory DIR_FD, which the caller checked. */
int state_file_write_at(int dir_fd, const char *name, const Run *run, Stage stage, bool disabled,
                        uint64_t duration_usec);
/* The same in PATH's directory, for tools and tests. */
int state_file_write(const char *path, const Run *run, Stage stage, bool disabled, uint64_t duration_usec);
/* The initramfs stage could not write its state file: an empty file whose name holds the error (it needs no
 * space on a full /run), so the root stage can say what failed instead of guessing. */
#define STATE_FILE_FAILED_PREFIX "initramfs.state.failed-"
/* -ENOENT when the stage left no file, -EPROTONOSUPPORT when it has another version (or none), -EBADMSG
 * when a line does not parse. RET is untouched on failure. */
int state_file_read(const char *path, StateFile *ret);
void state_file_done(StateFile *s);
#define _cleanup_state_file_ _cleanup_(state_file_done)
const StateDevice *state_file_find(const StateFile *s, const char *name);
