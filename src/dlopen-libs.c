/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>

#include "dlopen-libs.h"
#include "macro.h"

__typeof__(kmod_new) *sym_kmod_new;
__typeof__(kmod_unref) *sym_kmod_unref;
__typeof__(kmod_module_new_from_name) *sym_kmod_module_new_from_name;
__typeof__(kmod_module_unref) *sym_kmod_module_unref;
__typeof__(kmod_module_probe_insert_module) *sym_kmod_module_probe_insert_module;
int (*sym_sd_journal_sendv)(const struct iovec *iov, int n);

typedef struct Symbol {
        void **slot;
        const char *name;
} Symbol;

/* Symbols are looked up in the global scope rather than in the library's handle, so that an interposing
 * library (LD_PRELOAD) wins exactly as it would for a linked library. */
static int load(const char *soname, const Symbol *symbols, size_t n, int *cached) {
        if (*cached != 0)
                return *cached < 0 ? *cached : 0;

        if (!dlopen(soname, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE)) {
                *cached = -EOPNOTSUPP;
                return *cached;
        }
        for (size_t i = 0; i < n; i++) {
                *symbols[i].slot = dlsym(RTLD_DEFAULT, symbols[i].name);
                if (!*symbols[i].slot) {
                        *cached = -EOPNOTSUPP;
                        return *cached;
                }
        }
        *cached = 1;
        return 0;
}

int dlopen_kmod(void) {
        static int cached;
        const Symbol symbols[] = {
                { (void **) &sym_kmod_new, "kmod_new" },
                { (void **) &sym_kmod_unref, "kmod_unref" },
                { (void **) &sym_kmod_module_new_from_name, "kmod_module_new_from_name" },
                { (void **) &sym_kmod_module_unref, "kmod_module_unref" },
                { (void **) &sym_kmod_module_probe_insert_module, "kmod_module_probe_insert_module" },
        };
        return load("libkmod.so.2", symbols, ELEMENTSOF(symbols), &cached);
}

int dlopen_journal(void) {
        static int cached;
        const Symbol symbols[] = {
                { (void **) &sym_sd_journal_sendv, "sd_journal_sendv" },
        };
        return load("libsystemd.so.0", symbols, ELEMENTSOF(symbols), &cached);
}
