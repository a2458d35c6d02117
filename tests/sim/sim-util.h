/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the tree builder and the kernel simulator. Every file
 * write here goes through sim_raw_write() so that the simulator, which
 * interposes write(), never sees its own stores. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static inline void freep(void *p) {
        free(*(void **) p);
}
static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

static inline void *sim_take_ptr(void *pp) {
        void **p = pp, *v = *p;
        *p = NULL;
        return v;
}
#define TAKE_PTR(p) ((__typeof__(p)) sim_take_ptr(&(p)))

/* Returns a malloc'd string or NULL on allocation failure. */
char *sim_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

ssize_t sim_raw_write(int fd, const void *buf, size_t len);
int sim_write_file(const char *path, const void *data, size_t len, mode_t mode);
int sim_write_str(const char *path, const char *s, mode_t mode);
int sim_write_strf(const char *path, mode_t mode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sim_append_str(const char *path, const char *s);
/* Reads a whole (small) file; NUL-terminated. */
int sim_read_file(const char *path, char **ret, size_t *ret_len);
/* First line of a file without its newline. */
int sim_read_line(const char *path, char **ret);
int sim_mkdir_p(const char *path, mode_t mode);
int sim_mkdir_parents(const char *path, mode_t mode);
/* Creates LINK pointing at TARGET, both absolute, as a relative symlink. */
int sim_symlink_rel(const char *target, const char *link);
char *sim_relative_path(const char *from_dir, const char *to);
int sim_rm_rf(const char *path);
bool sim_exists(const char *path);
/* Basename of a symlink's target, or NULL. */
int sim_readlink_base(const char *link, char **ret);

/* "EBUSY" or "16" -> 16. Returns -EINVAL when unknown. */
int sim_errno_from_string(const char *s);
const char *sim_errno_name(int err);

/* A PCI address "DDDD:BB:SS.F" (domain may be wider). */
bool sim_is_pci_addr(const char *s);
/* Parses "0x..."/decimal with K/M/G suffix. */
int sim_parse_u64(const char *s, uint64_t *ret);
/* Appends s to the growing buffer *buf (used for C-escaping log data). */
char *sim_cescape(const void *data, size_t len);
