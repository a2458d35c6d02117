/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "fileio.h"
#include "initramfs-modules.h"
#include "macro.h"
#include "modules.h"
#include "pci-device.h"
#include "sysroot.h"

void initramfs_modules_done(InitramfsModules *m) {
        for (size_t i = 0; i < m->n; i++) {
                free(m->items[i].module);
                free(m->items[i].reason);
        }
        free(m->items);
        *m = (InitramfsModules){};
}

/* Takes REASON (even on failure): it moves into the list's array. */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_module(InitramfsModules *m, const char *module, char *reason) {
        _cleanup_free_ char *why = reason;

        if (!why)
                return -ENOMEM;
        for (size_t i = 0; i < m->n; i++)
                if (streq(m->items[i].module, module))
                        return 0;
        if (!GREEDY_REALLOC(m->items, m->n + 1))
                return -ENOMEM;
        char *name = strdup(module);
        if (!name)
                return -ENOMEM;
        m->items[m->n++] = (InitramfsModule){ .module = name, .reason = TAKE_PTR(why) };
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

/* driver = auto for the function ADDRESS: the variant its modules.alias entry names, if any. A function
 * that is not there now (or an index that is missing) adds nothing: vfio-pci, always packed, is then what
 * the stage would choose anyway. */
static int add_auto_variant(InitramfsModules *m, const char *root, const char *kernel_release,
                            const DeviceSection *s, const PciAddress *address) {
        _cleanup_free_ char *modalias = NULL, *module = NULL, *alias = NULL;
        char name[PCI_ADDRESS_MAX], path[PATH_MAX];
        int r;

        pci_address_format(address, name);
        r = read_attr(device_attr_path(path, root, name, "modalias"), &modalias);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        r = vfio_variant_lookup_for(root, kernel_release, modalias, &module, &alias);
        if (r == -ENOMEM)
                return r;
        if (r <= 0 || !module)
                return 0;
        char *why = NULL;
        (void)strdup_printf(&why, "[%s] driver = auto: %s matches %s", s->name, name, alias);
        return add_module(m, module, why);
}

static int add_section(InitramfsModules *m, const char *root, const char *kernel_release,
                       const DeviceSection *s) {
        const char *driver = device_section_driver(s);
        int r;

        if (!streq(driver, AUTO_VFIO_DRIVER)) {
                char module[MODULE_NAME_MAX];
                driver_to_module_name(driver, module, sizeof module);
                char *why = NULL;
                (void)strdup_printf(&why, "[%s] driver = %s", s->name, driver);
                return add_module(m, module, why);
        }

        for (size_t j = 0; j < s->n_addresses; j++) {
                _cleanup_free_ PciAddress *functions = NULL;
                size_t n = 0;

                r = add_auto_variant(m, root, kernel_release, s, &s->addresses[j]);
                if (r < 0)
                        return r;
                if (!s->all_functions)
                        continue;
                r = pci_slot_functions(root, &s->addresses[j], &functions, &n);
                if (r == -ENOMEM)
                        return r;
                for (size_t k = 0; r >= 0 && k < n; k++) {
                        r = add_auto_variant(m, root, kernel_release, s, &functions[k]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int initramfs_modules_collect(const char *root, const Config *config, const char *kernel_release,
                              InitramfsModules *ret) {
        InitramfsModules m = {};
        int r;

        /* vfio_pci_core (5.15 and later) comes along as a dependency of vfio_pci and of every variant. */
        r = add_module(&m, "vfio", strdup("VFIO core"));
        if (r >= 0)
                r = add_module(&m, "vfio_iommu_type1", strdup("IOMMU backend of the VFIO group interface"));
        if (r >= 0)
                r = add_module(&m, "vfio_pci", strdup("default VFIO driver"));
        for (size_t i = 0; r >= 0 && config && i < config->n_sections; i++)
                if (!config->sections[i].invalid)
                        r = add_section(&m, root, kernel_release, &config->sections[i]);
        if (r < 0) {
                initramfs_modules_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}
