/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <check.h>

#include "check-run.h"
#include <stdbool.h>
#include <sys/types.h>

/* Scenario tests: a fake sysfs tree per test, the built vfio-bind run on it with the kernel simulator
 * preloaded, and assertions on its output, exit status and the tree afterwards. */

/* A host shaped like the real-kernel test guest: std VGA boot console, a GPU-like pair (bochs-display +
 * HDA audio) behind a root port in one IOMMU group, e1000e, xHCI, and a virtio-blk root disk. */
extern const char *const scenario_host;

extern char *scenario_root;

void scenario_setup_with(const char *host_description);
void scenario_setup(void);
void scenario_teardown(void);

void scenario_write_config(const char *text);
void scenario_write_file(const char *relative_path, const char *text);
char *scenario_read_file(const char *relative_path); /* NULL when absent */

/* Runs vfio-bind with ARGS (NULL-terminated) plus --root; captures stdout and stderr. Returns the exit
 * status. */
int scenario_tool(char **ret_stdout, char **ret_stderr, ...) __attribute__((sentinel));

/* The same in two halves: start it, do something to it (a signal), collect what it said. */
pid_t scenario_tool_start(int *ret_out_fd, int *ret_err_fd, ...) __attribute__((sentinel));
int scenario_tool_finish(pid_t pid, int out, int err, char **ret_stdout, char **ret_stderr);

/* Driver of ADDR now ("(none)" when unbound). */
char *scenario_driver(const char *addr);
char *scenario_override(const char *addr);

void assert_contains(const char *haystack, const char *needle);
void assert_not_contains(const char *haystack, const char *needle);
