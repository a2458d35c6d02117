/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <syslog.h>

#include "dlopen-libs.h"
#include "fileio.h"
#include "macro.h"
#include "modules.h"
#include "sysroot.h"

void driver_to_module_name(const char *driver, char *buf, size_t size) {
        snprintf(buf, size, "%s", driver);
        for (char *p = buf; *p; p++)
                if (*p == '-')
                        *p = '_';
}

bool pci_driver_registered(const char *root, const char *driver) {
        char path[PATH_MAX];
        return path_exists(root_path(path, root, "/sys/bus/pci/drivers/%s", driver));
}

/* Does an index file (modules.dep or modules.builtin: one "dir/name.ko[.xz]" per line, maybe ": deps")
 * list MODULE? Names compare with - and _ folded, like the kernel does. */
static const char *index_line(const char *text, const char *module) {
        size_t mlen = strlen(module);
        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                const char *end = line + strcspn(line, ":\n");
                const char *base = end;
                while (base > line && base[-1] != '/')
                        base--;
                const char *ko = strstr(base, ".ko");
                if (!ko || ko > end || (size_t)(ko - base) != mlen)
                        continue;
                bool same = true;
                for (size_t i = 0; i < mlen && same; i++) {
                        char a = base[i] == '-' ? '_' : base[i];
                        same = a == module[i];
                }
                if (same)
                        return line;
        }
        return NULL;
}

static bool index_lists(const char *text, const char *module) {
        return index_line(text, module) != NULL;
}

/* The kernel release whose module index describes ROOT; NULL when none can be told. */
static char *module_release(const char *root) {
        _cleanup_free_ char *release = NULL;
        char path[PATH_MAX];
        struct utsname u;

        if (read_attr(root_path(path, root, "/proc/sys/kernel/osrelease"), &release) >= 0)
                return TAKE_PTR(release);
        if (*root || uname(&u) < 0)
                return NULL;
        return strdup(u.release);
}

/* Does the modules.dep line LINE (up to its newline) list vfio_pci_core among its dependencies? */
static bool dep_line_uses_vfio_pci_core(const char *line) {
        const char *colon = strchr(line, ':'), *end = line + strcspn(line, "\n");
        char deps[4096];

        if (!colon || colon > end)
                return false;
        snprintf(deps, sizeof(deps), "%.*s\n", (int)(end - colon - 1), colon + 1);
        for (char *p = deps; *p; p++)
                if (*p == ' ')
                        *p = '\n';
        return index_lists(deps, "vfio_pci_core");
}

int vfio_driver_check(const char *root, const char *driver) {
        _cleanup_free_ char *release = NULL, *text = NULL, *registered_module = NULL;
        char module[MODULE_NAME_MAX], path[PATH_MAX];

        if (streq(driver, "vfio-pci"))
                return 1;
        driver_to_module_name(driver, module, sizeof(module));
        if (streq(module, "vfio_pci"))
                return -EADDRNOTAVAIL; /* the module's name, not the driver's */

        /* The kernel's own word: a loaded module that uses vfio_pci_core is listed among its holders. */
        if (path_exists(root_path(path, root, "/sys/module/vfio_pci_core/holders/%s", module)))
                return 1;
        if (read_link_basename(root_path(path, root, "/sys/bus/pci/drivers/%s/module", driver), &registered_module) >=
                    0 &&
            path_exists(root_path(path, root, "/sys/module/vfio_pci_core/holders/%s", registered_module)))
                return 1;

        release = module_release(root);
        if (release &&
            read_full_file(root_path(path, root, "/lib/modules/%s/modules.dep", release), &text, NULL) >= 0) {
                const char *line = index_line(text, module);
                if (line)
                        return dep_line_uses_vfio_pci_core(line) ? 1 : 0;
        }
        /* Registered but neither a holder of vfio_pci_core nor in modules.dep (built in): not a variant. */
        if (pci_driver_registered(root, driver))
                return 0;
        return -ENOENT;
}

ModuleState module_state(const char *root, const char *module) {
        _cleanup_free_ char *initstate = NULL, *release = NULL, *text = NULL;
        char path[PATH_MAX];
        int r;

        r = read_attr(root_path(path, root, "/sys/module/%s/initstate", module), &initstate);
        if (r >= 0 && (streq(initstate, "live") || streq(initstate, "coming")))
                return MODULE_LIVE;

        if (read_attr(root_path(path, root, "/proc/sys/kernel/osrelease"), &release) < 0) {
                struct utsname u;
                if (*root || uname(&u) < 0)
                        return MODULE_UNKNOWN;
                release = strdup(u.release);
                if (!release)
                        return MODULE_UNKNOWN;
        }

        if (read_full_file(root_path(path, root, "/lib/modules/%s/modules.builtin", release), &text, NULL) >= 0 &&
            index_lists(text, module))
                return MODULE_BUILTIN;
        free(text);
        text = NULL;

        /* A built-in module with parameters shows up in /sys/module without initstate. */
        if (r == -ENOENT && path_exists(root_path(path, root, "/sys/module/%s/parameters", module)))
                return MODULE_BUILTIN;

        if (read_full_file(root_path(path, root, "/lib/modules/%s/modules.dep", release), &text, NULL) < 0)
                return MODULE_UNKNOWN;
        return index_lists(text, module) ? MODULE_LOADABLE : MODULE_MISSING;
}

int module_load(const char *root, const char *module) {
        struct kmod_ctx *ctx;
        struct kmod_module *mod = NULL;
        int r;

        r = dlopen_kmod();
        if (r < 0)
                return r;
        /* A captured tree is not this host: the real libkmod would insert into the running kernel. */
        if (*root && !kmod_interposed())
                return -EXDEV;

        ctx = sym_kmod_new(NULL, NULL);
        if (!ctx)
                return -ENOMEM;
        /* Its messages are ours to word: no raw "libkmod: ERROR" lines next to the report. */
        sym_kmod_set_log_priority(ctx, LOG_EMERG);

        r = sym_kmod_module_new_from_name(ctx, module, &mod);
        if (r >= 0) {
                /* Ignore modprobe.d "install" commands: they are how older setups bind vendor-wide, which is
                 * exactly what this tool replaces, and the scripts they name are often absent in the initramfs. */
                r = sym_kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_COMMAND, NULL, NULL, NULL, NULL);
                /* kmod says ENOENT when there is no such module file for this kernel, as we do. */
                if (r > 0)
                        r = -EPERM; /* blacklisted: not possible with these flags, but never report it as success */
        }
        if (mod)
                sym_kmod_module_unref(mod);
        sym_kmod_unref(ctx);
        return r;
}

static size_t count_wildcards(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                n += *s == '*' || *s == '?';
        return n;
}

int vfio_variant_lookup(const char *root, const char *modalias, char **ret_module, char **ret_alias) {
        return vfio_variant_lookup_for(root, NULL, modalias, ret_module, ret_alias);
}

int vfio_variant_lookup_for(const char *root, const char *kernel_release, const char *modalias, char **ret_module,
                            char **ret_alias) {
        _cleanup_free_ char *release = NULL, *text = NULL, *want = NULL, *best_module = NULL, *best_alias = NULL;
        char path[PATH_MAX];
        size_t best_wild = SIZE_MAX;
        int n_matches = 0, r;

        /* vfio_pci: aliases describe the same ids as the device's pci: modalias. */
        if (strncmp(modalias, "pci:", 4) != 0)
                return -EINVAL;
        if (asprintf(&want, "vfio_%s", modalias) < 0)
                return -ENOMEM;

        release = kernel_release ? strdup(kernel_release) : module_release(root);
        if (!release)
                return kernel_release ? -ENOMEM : -ENOENT;
        r = read_full_file(root_path(path, root, "/lib/modules/%s/modules.alias", release), &text, NULL);
        if (r < 0)
                return r;

        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *keyword, *pattern, *module, *save_words = NULL;
                keyword = strtok_r(line, " \t", &save_words);
                pattern = strtok_r(NULL, " \t", &save_words);
                module = strtok_r(NULL, " \t", &save_words);
                if (!keyword || !pattern || !module || !streq(keyword, "alias") ||
                    strncmp(pattern, "vfio_pci:", 9) != 0)
                        continue;
                if (fnmatch(pattern, want, 0) != 0)
                        continue;
                n_matches++;
                size_t wild = count_wildcards(pattern);
                if (best_module && (wild > best_wild || (wild == best_wild && strcmp(module, best_module) >= 0)))
                        continue;
                free(best_module);
                free(best_alias);
                best_module = strdup(module);
                best_alias = strdup(pattern);
                if (!best_module || !best_alias)
                        return -ENOMEM;
                best_wild = wild;
        }

        if (ret_module)
                *ret_module = TAKE_PTR(best_module);
        if (ret_alias)
                *ret_alias = TAKE_PTR(best_alias);
        return n_matches;
}
