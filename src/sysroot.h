/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <limits.h>

#include "macro.h"

/* Every file the tool touches lives below a root: "" on a real host, a directory for captured or simulated
 * trees (--root). Paths are built in caller-provided PATH_MAX buffers: this runs thousands of times per scan. */
_printf_(3, 4) char *root_path(char buf[static PATH_MAX], const char *root, const char *fmt, ...);

/* "/sys/bus/pci/devices/ADDR/ATTR" below root. */
char *device_attr_path(char buf[static PATH_MAX], const char *root, const char *device, const char *attr);
