/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "bounded.h"

/* The kernel writes that may block, each reported to the bounded runner as a step before it starts. They
 * run in the bounded child: no logging, only a negative errno back. */

typedef enum WorkStep {
        STEP_UNBIND = 1,
        STEP_BIND,
        STEP_PROBE,
        STEP_MODULE,
} WorkStep;

/* Unbind NAME from DRIVER. ENODEV means it was unbound meanwhile: what we wanted, so 0. */
int step_unbind(BoundedStep *s, const char *root, const char *name, const char *driver);
int step_bind(BoundedStep *s, const char *root, const char *name, const char *driver);
/* Let the kernel pick a host driver for NAME. Its success says nothing: re-read the driver link. */
int step_probe(BoundedStep *s, const char *root, const char *name);
int step_load_module(BoundedStep *s, const char *root, const char *module);

/* Moving a function from one driver to another: what claim and release hand to the bounded runner. */
typedef struct DriverMove {
        const char *root;
        const char *name;
        const char *from_driver; /* NULL when unbound */
        const char *to_driver;   /* NULL: let the kernel probe a host driver */
} DriverMove;

/* Unbind from FROM_DRIVER (if any), then bind to TO_DRIVER or have the kernel probe. A BoundedWork. */
int step_move(BoundedStep *s, void *userdata);
