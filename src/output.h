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
        VERB_NETWORK,
        VERB_LIST,
        VERB_SUGGEST,
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

/* JSON writing, shared by the outputs: strings are always valid UTF-8 and escaped; NULL is null. FIRST
 * tracks the commas of one object. */
void json_string(FILE *f, const char *s);
void json_key(FILE *f, const char *key, bool *first);
void json_kv_str(FILE *f, const char *key, const char *value, bool *first);
void json_kv_bool(FILE *f, const char *key, bool value, bool *first);
void json_kv_int(FILE *f, const char *key, long long value, bool *first);
