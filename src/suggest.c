/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "alloc-util.h"
#include "discover.h"
#include "fileio.h"
#include "macro.h"
#include "pci-device.h"
#include "string-util.h"
#include "suggest.h"
#include "sysroot.h"

/* `suggest`: configuration sections for devices the admin names, ready to append. Reads only. */

/* A label for a new section, from the class: "gpu", "nic"... */
static const char *class_label(uint32_t class) {
        if ((class >> 16) == 0x03)
                return "gpu";
        if ((class >> 8) == 0x0403)
                return "audio";
        if (pci_class_is_network(class))
                return "nic";
        if (pci_class_is_usb(class))
                return "usb";
        if ((class >> 8) == 0x0108)
                return "nvme";
        if (pci_class_is_storage(class))
                return "storage";
        return "device";
}

static bool label_taken(const Config *config, char **taken, size_t n_taken, const char *label) {
        for (size_t i = 0; config && i < config->n_sections; i++)
                if (streq(config->sections[i].name, label))
                        return true;
        for (size_t i = 0; i < n_taken; i++)
                if (streq(taken[i], label))
                        return true;
        return false;
}

static int device_group(const char *root, const char *name) {
        _cleanup_free_ char *group = NULL;
        char path[PATH_MAX];

        if (read_link_basename(device_attr_path(path, root, name, "iommu_group"), &group) < 0)
                return -1;
        return atoi(group);
}

/* Do other functions of A's slot share its IOMMU group? */
static bool slot_shares_group(const char *root, const PciAddress *a) {
        _cleanup_free_ PciAddress *fns = NULL;
        char name[PCI_ADDRESS_MAX];
        size_t n = 0;

        int group = device_group(root, pci_address_format(a, name));
        if (group < 0 || pci_slot_functions(root, a, &fns, &n) < 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char other[PCI_ADDRESS_MAX];
                if (!pci_address_equal(&fns[i], a) && device_group(root, pci_address_format(&fns[i], other)) == group)
                        return true;
        }
        return false;
}

int suggest_sections(const char *root, const Config *config, const PciAddress *addresses, size_t n, char **ret,
                     char **ret_missing) {
        _cleanup_free_ char *out = NULL;
        char **taken = calloc(n + 1, sizeof(char *));
        PciAddress *whole_slots = calloc(n + 1, sizeof(PciAddress));
        size_t n_taken = 0, n_whole = 0;
        int r = 0;

        if (!taken || !whole_slots) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                char name[PCI_ADDRESS_MAX], path[PATH_MAX], label[64];
                unsigned long vendor = 0, device = 0, class = 0;
                bool covered = false;

                pci_address_format(&addresses[i], name);
                if (read_attr_hex(device_attr_path(path, root, name, "vendor"), &vendor) < 0 ||
                    read_attr_hex(device_attr_path(path, root, name, "device"), &device) < 0 ||
                    read_attr_hex(device_attr_path(path, root, name, "class"), &class) < 0) {
                        *ret_missing = strdup(name);
                        r = *ret_missing ? -ENODEV : -ENOMEM;
                        break;
                }
                /* A slot suggested with functions = all already holds this one. */
                for (size_t j = 0; j < n_whole; j++)
                        covered = covered || pci_address_same_slot(&whole_slots[j], &addresses[i]);
                if (covered)
                        continue;
                const char *configured = config_section_naming(config, &addresses[i]);
                if (configured) {
                        r = strextendf_with_separator(&out, "\n", "# %s is configured in [%s] already\n", name,
                                                      configured);
                        continue;
                }

                /* A section that takes the whole slot is named after its first function: a GPU's audio
                 * function brings the GPU with it. */
                bool all = slot_shares_group(root, &addresses[i]);
                if (all) {
                        PciAddress first = addresses[i];
                        unsigned long v, d, c;
                        first.function = 0;
                        pci_address_format(&first, path);
                        char first_name[PCI_ADDRESS_MAX];
                        memcpy(first_name, path, sizeof(first_name));
                        if (read_attr_hex(device_attr_path(path, root, first_name, "vendor"), &v) >= 0 &&
                            read_attr_hex(device_attr_path(path, root, first_name, "device"), &d) >= 0 &&
                            read_attr_hex(device_attr_path(path, root, first_name, "class"), &c) >= 0) {
                                memcpy(name, first_name, sizeof(first_name));
                                vendor = v, device = d, class = c;
                        }
                }
                const char *base = class_label((uint32_t) class);
                snprintf(label, sizeof(label), "%s", base);
                for (unsigned k = 2; label_taken(config, taken, n_taken, label); k++)
                        snprintf(label, sizeof(label), "%s-%u", base, k);
                if (!(taken[n_taken] = strdup(label))) {
                        r = -ENOMEM;
                        break;
                }
                n_taken++;

                if (all)
                        whole_slots[n_whole++] = addresses[i];
                r = strextendf_with_separator(&out, "\n", "# %s\n[%s]\naddress = %s\n%sexpect = %04lx:%04lx\n",
                                              pci_class_name((uint32_t) class), label, name,
                                              all ? "functions = all\n" : "", vendor, device);
        }
        if (r >= 0)
                *ret = TAKE_PTR(out);
finish:
        for (size_t i = 0; i < n_taken; i++)
                free(taken[i]);
        free(taken);
        free(whole_slots);
        return r;
}
