/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run.h"

/* Older ways of binding that are still configured change who binds what: vendor-wide ids on the kernel
 * command line or in modprobe.d, driverctl overrides. Each becomes a host note (information: vfio-bind
 * works anyway, but the admin should know). */
int conflicts_add_notes(Run *run);
