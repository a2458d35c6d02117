/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <link.h>

#include "dlopen-libs.h"
#include "macro.h"

__typeof__(kmod_new) *sym_kmod_new;
__typeof__(kmod_unref) *sym_kmod_unref;
__typeof__(kmod_module_new_from_name) *sym_kmod_module_new_from_name;
__typeof__(kmod_module_unref) *sym_kmod_module_unref;
__typeof__(kmod_module_probe_insert_module) *sym_kmod_module_probe_insert_module;
__typeof__(kmod_set_log_priority) *sym_kmod_set_log_priority;
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
                { (void **)&sym_kmod_new, "kmod_new" },
                { (void **)&sym_kmod_unref, "kmod_unref" },
                { (void **)&sym_kmod_module_new_from_name, "kmod_module_new_from_name" },
                { (void **)&sym_kmod_module_unref, "kmod_module_unref" },
                { (void **)&sym_kmod_module_probe_insert_module, "kmod_module_probe_insert_module" },
                { (void **)&sym_kmod_set_log_priority, "kmod_set_log_priority" },
        };
        return load(optional_library_soname(OPTIONAL_LIBRARY_KMOD), symbols, ELEMENTSOF(symbols), &cached);
}

bool kmod_interposed(void) {
        void *handle = dlopen(optional_library_soname(OPTIONAL_LIBRARY_KMOD), RTLD_NOW | RTLD_NOLOAD);
        bool interposed = false;

        if (handle) {
                interposed = sym_kmod_new && dlsym(handle, "kmod_new") != (void *)sym_kmod_new;
                dlclose(handle);
        }
        return interposed;
}

int dlopen_journal(void) {
        static int cached;
        const Symbol symbols[] = {
                { (void **)&sym_sd_journal_sendv, "sd_journal_sendv" },
        };
        return load(optional_library_soname(OPTIONAL_LIBRARY_JOURNAL), symbols, ELEMENTSOF(symbols), &cached);
}

static const struct {
        const char *purpose;
        const char *soname;
        int (*load)(void);
} optional_libraries[_OPTIONAL_LIBRARY_MAX] = {
        [OPTIONAL_LIBRARY_KMOD] = { "module-loading", "libkmod.so.2", dlopen_kmod },
        [OPTIONAL_LIBRARY_JOURNAL] = { "journal", "libsystemd.so.0", dlopen_journal },
};

const char *optional_library_purpose(OptionalLibrary lib) {
        return optional_libraries[lib].purpose;
}

const char *optional_library_soname(OptionalLibrary lib) {
        return optional_libraries[lib].soname;
}

int optional_library_path(OptionalLibrary lib, char **ret_path) {
        struct link_map *map = NULL;
        void *handle;
        char *path;
        int r;

        r = optional_libraries[lib].load();
        if (r < 0)
                return r;
        /* Already loaded by the call above: this only takes another reference to find its file. */
        handle = dlopen(optional_libraries[lib].soname, RTLD_NOW | RTLD_NOLOAD);
        if (!handle)
                return -EOPNOTSUPP;
        if (dlinfo(handle, RTLD_DI_LINKMAP, &map) < 0 || !map || !map->l_name || map->l_name[0] != '/') {
                dlclose(handle);
                return -EOPNOTSUPP;
        }
        path = strdup(map->l_name);
        dlclose(handle);
        if (!path)
                return -ENOMEM;
        *ret_path = path;
        return 0;
}
