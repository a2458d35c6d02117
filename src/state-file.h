/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "run.h"

/* The initramfs stage's outcome, handed to the root stage through /run (which the initramfs moves into the
 * real root). Plain "key=value" lines and one tab-separated line per function: readable with cat. */

#define STATE_FILE_INITRAMFS "/run/vfio-bind/initramfs.state"

typedef struct StateDevice {
        char name[PCI_ADDRESS_MAX];
        char *driver_before;
        char *driver_after;
        char *result;
        char *reason;
        uint64_t usec;
        char *message;
} StateDevice;

/* A warning the initramfs stage saw (a framebuffer that its claim removed, for one): the root stage may no
 * longer see the cause, so it repeats it. */
typedef struct StateNote {
        char name[PCI_ADDRESS_MAX];
        int severity;
        char *code;
        char *message;
        char *fix;
} StateNote;

typedef struct StateFile {
        char *stage;
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

int state_file_write(const char *path, const Run *run, const char *stage, bool disabled, uint64_t duration_usec);
/* -ENOENT when the stage left no file. */
int state_file_read(const char *path, StateFile *ret);
void state_file_clear(StateFile *s);
const StateDevice *state_file_find(const StateFile *s, const char *name);
