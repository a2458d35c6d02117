/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libkmod.h>
#include <sys/uio.h>

/* libkmod and libsystemd are loaded on first use, not at start-up. Together with what they pull in (libcrypto,
 * libgcrypt, lz4, zstd, xz) they triple the memory and a third of the instructions of every run, while only a
 * module load needs libkmod and only the root stage's journal report needs libsystemd. status, check and most
 * applies never touch either. */

extern __typeof__(kmod_new) *sym_kmod_new;
extern __typeof__(kmod_unref) *sym_kmod_unref;
extern __typeof__(kmod_module_new_from_name) *sym_kmod_module_new_from_name;
extern __typeof__(kmod_module_unref) *sym_kmod_module_unref;
extern __typeof__(kmod_module_probe_insert_module) *sym_kmod_module_probe_insert_module;
extern __typeof__(kmod_set_log_priority) *sym_kmod_set_log_priority;
/* After dlopen_kmod(): is kmod_new another library's than libkmod's own (LD_PRELOAD)? */
bool kmod_interposed(void);

extern int (*sym_sd_journal_sendv)(const struct iovec *iov, int n);

/* 0 when the library and every symbol are there; -EOPNOTSUPP when the library is not installed. */
int dlopen_kmod(void);
int dlopen_journal(void);

/* The libraries loaded at run time, for the initramfs hooks: they cannot see them in the binary's ELF header
 * the way they see linked ones, so they ask the binary which files it would load. */
typedef enum OptionalLibrary {
        OPTIONAL_LIBRARY_KMOD,    /* module loading: needed wherever vfio-pci is not loaded yet */
        OPTIONAL_LIBRARY_JOURNAL, /* the root stage's journal report; the initramfs stage writes kmsg */
        _OPTIONAL_LIBRARY_MAX,
} OptionalLibrary;

const char *optional_library_purpose(OptionalLibrary lib);
const char *optional_library_soname(OptionalLibrary lib);

/* Loads LIB and returns the file the dynamic loader took it from; -EOPNOTSUPP when it cannot be loaded. */
int optional_library_path(OptionalLibrary lib, char **ret_path);
