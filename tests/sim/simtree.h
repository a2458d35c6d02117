/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds a fake root (sys, proc, dev, run, etc) shaped like a Linux 6.1 host
 * from a line-based host description (see README.md), and gives tests small
 * accessors to the simulated kernel state kept in that tree. All functions
 * return 0 or a negative errno; ret_ parameters are untouched on failure. */
#pragma once

#include <stdbool.h>

/* Builds the tree under ROOT (created if needed; should be empty). Parse
 * errors are reported on stderr as "DESC:LINE: message" and return -EINVAL. */
int sim_tree_build(const char *root, const char *description_text);
/* Same, reading the description from a file (its name is used in messages). */
int sim_tree_build_file(const char *root, const char *description_path);

/* Creates a fresh directory under $TMPDIR (or /tmp) for a tree. */
int sim_tree_mkdtemp(char **ret_root);
/* Removes a whole tree (rm -rf). */
int sim_tree_remove(const char *root);

/* Current driver name of ADDR ("0000:01:00.0"), *ret_driver = NULL when unbound.
 * -ENODEV when the device does not exist. */
int sim_device_driver(const char *root, const char *addr, char **ret_driver);
/* Current driver_override, *ret_override = NULL when unset ("(null)"). */
int sim_device_override(const char *root, const char *addr, char **ret_override);
bool sim_device_exists(const char *root, const char *addr);
/* Hot-removes a device (and any devices behind it) like a surprise removal:
 * tree, bus and driver links, IOMMU group link, /dev/vfio node if last. */
int sim_device_remove(const char *root, const char *addr);

/* Sets a fault knob. TARGET is a PCI address or "module:NAME". VALUE NULL
 * removes the knob. See README.md for the knob names. */
int sim_knob_set(const char *root, const char *target, const char *knob, const char *value);

/* Current module state: "builtin", "live", "loadable" or "missing". */
int sim_module_state(const char *root, const char *module, char **ret_state);
/* Whether ROOT/sys/bus/pci/drivers/NAME exists. */
bool sim_driver_registered(const char *root, const char *driver);
/* Whether ROOT/dev/vfio/GROUP exists. */
bool sim_vfio_group_exists(const char *root, const char *group);

/* The write log (ROOT/sim/log), one line per intercepted store. */
int sim_log_read(const char *root, char **ret_text);
/* Number of log lines that contain NEEDLE (0 when the log is absent). */
int sim_log_count(const char *root, const char *needle);
/* Truncates the log. */
int sim_log_clear(const char *root);
