/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The kernel command line: read once per run (HostFacts.cmdline), asked through one parser. */

/* ROOT/proc/cmdline, without its newline. -ENOENT when there is none (a captured tree). */
int cmdline_read(const char *root, char **ret);

/* The value of the last KEY=VALUE word ("" for a bare KEY). -ENOENT when KEY is absent. */
int cmdline_get_value(const char *cmdline, const char *key, char **ret);

/* Kernel command line boolean KEY: last occurrence wins; "KEY" alone means true.
 * Returns 1/0 when present, -ENOENT when absent, -EINVAL for a value that is not a boolean. */
int cmdline_get_bool(const char *cmdline, const char *key);
