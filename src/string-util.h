/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "macro.h"

/* Append SEPARATOR (unless *S is still empty) and the formatted text to the heap string *S, which may be
 * NULL. Lists such as "0000:01:00.1 (snd_hda_intel), 0000:01:00.2 (xhci_hcd)" are built this way.
 * Returns 0, or -ENOMEM with *S unchanged. */
int strextendf_with_separator(char **s, const char *separator, const char *fmt, ...) _printf_(3, 4);
