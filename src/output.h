/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

typedef enum Verb {
        VERB_APPLY,
        VERB_CHECK,
        VERB_STATUS,
        VERB_RELEASE,
        VERB_BOOT,
        VERB_STORAGE,
        VERB_LIBRARIES,
        VERB_MODULES,
        VERB_GUARD,
        VERB_SNAPSHOT,
} Verb;

const char *verb_to_string(Verb v);

/* The one-word verdict shown for a device: "ok", "ready", "claimed", or the reason code. */
const char *device_verdict(const DeviceReport *d, Verb verb);

void output_text(FILE *f, const Run *run, Verb verb, bool color);
void output_json(FILE *f, const Run *run, Verb verb);
void output_config_errors(FILE *f, const Config *c);

/* "2 of 3 functions on vfio-pci" and friends. */
void summary_line(char *buf, size_t size, const Run *run, Verb verb);
/* Room for any summary line. */
#define SUMMARY_MAX 160
