/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Largest sysfs attribute we read; a longer one is an error, not silently cut. */
#define ATTR_MAX 4096

/* Read a small virtual file with a single read(). One trailing newline is stripped.
 * Returns 0, -EFBIG when it does not fit, or the negative errno of open()/read(). */
int read_attr(const char *path, char **ret);

/* Read an attribute that holds a number written in hex (0x prefix optional). */
int read_attr_hex(const char *path, unsigned long *ret);

/* Store exactly strlen(value) bytes with one write(), then check close().
 * A short write is reported as -EIO: the kernel took only part of the value. */
int write_attr(const char *path, const char *value);

/* Last path component of a symlink's target (a device's driver or iommu_group). -ENOENT when there is no link. */
int read_link_basename(const char *path, char **ret);

/* Read a whole regular file (mountinfo, iomem, cpuinfo) into memory. */
int read_full_file(const char *path, char **ret, size_t *ret_size);
/* The rest of FD, NUL-terminated; -EFBIG past MAX_SIZE bytes. */
int read_full_fd(int fd, size_t max_size, char **ret, size_t *ret_size);
#define READ_FULL_FILE_MAX (64u * 1024u * 1024u)

/* Call FN for each non-empty line of the file at PATH, without its newline; FN may change the line. Stops at
 * FN's first negative return and returns it. -ENOENT when there is no file. */
typedef int (*LineFunc)(char *line, void *userdata);
int read_file_lines(const char *path, LineFunc fn, void *userdata);

int path_exists(const char *path);

/* All of BUF, however many writes it takes; -EIO when the file takes no more. */
int write_all_fd(int fd, const char *buf, size_t len);
