/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pci-device.h"
#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "sysroot.h"

static int read_id(const char *root, const char *name, const char *attr, unsigned long *ret) {
        char path[PATH_MAX];
        return read_attr_hex(device_attr_path(path, root, name, attr), ret);
}

static int read_int_attr(const char *root, const char *name, const char *attr, int *ret) {
        char path[PATH_MAX];
        _cleanup_free_ char *s = NULL;
        char *end;
        int r;

        r = read_attr(device_attr_path(path, root, name, attr), &s);
        if (r < 0)
                return r;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > INT32_MAX)
                return -EBADMSG;
        *ret = (int)v;
        return 0;
}

int pci_device_read_driver(const char *root, const char *name, char **ret) {
        char path[PATH_MAX];
        int r;

        r = read_link_basename(device_attr_path(path, root, name, "driver"), ret);
        if (r == -ENOENT) {
                /* No link: unbound, unless the whole device is gone. */
                if (!pci_device_exists(root, name))
                        return -ENODEV;
                *ret = NULL;
                return 0;
        }
        return r;
}

int pci_device_read_override(const char *root, const char *name, char **ret) {
        char path[PATH_MAX];
        char *s = NULL;
        int r;

        r = read_attr(device_attr_path(path, root, name, "driver_override"), &s);
        if (r < 0)
                return errno_is_gone(r) ? -ENODEV : r;
        /* The kernel shows an unset override as "(null)". */
        if (streq(s, "(null)") || !*s) {
                free(s);
                s = NULL;
        }
        *ret = s;
        return 0;
}

bool pci_device_exists(const char *root, const char *name) {
        char path[PATH_MAX];
        return path_exists(root_path(path, root, "/sys/bus/pci/devices/%s/vendor", name));
}

int pci_device_load(const char *root, const char *name, PciDevice **ret) {
        _cleanup_pci_device_ PciDevice *d = NULL;
        unsigned long v;
        char path[PATH_MAX];
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->iommu_group = -1;
        d->boot_vga = -1;
        d->sriov_numvfs = -1;

        r = pci_address_parse(name, &d->address);
        if (r < 0)
                return r;
        pci_address_format(&d->address, d->name);

        static const struct {
                const char *attr;
                size_t offset;
                bool is_class;
        } ids[] = {
                { "vendor", offsetof(PciDevice, vendor), false },
                { "device", offsetof(PciDevice, device), false },
                { "class", offsetof(PciDevice, class), true },
        };
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                r = read_id(root, d->name, ids[i].attr, &v);
                if (r < 0) {
                        if (errno_is_gone(r))
                                return -ENODEV;
                        return r;
                }
                if (ids[i].is_class)
                        *(uint32_t *)((char *)d + ids[i].offset) = (uint32_t)v;
                else
                        *(uint16_t *)((char *)d + ids[i].offset) = (uint16_t)v;
        }

        r = pci_device_read_driver(root, d->name, &d->driver);
        if (r < 0)
                return r;
        r = pci_device_read_override(root, d->name, &d->driver_override);
        if (r < 0 && r != -ENODEV)
                return r;

        _cleanup_free_ char *group = NULL;
        r = read_link_basename(device_attr_path(path, root, d->name, "iommu_group"), &group);
        if (r >= 0)
                d->iommu_group = atoi(group);

        (void)read_int_attr(root, d->name, "boot_vga", &d->boot_vga);

        r = read_attr(device_attr_path(path, root, d->name, "reset_method"), &d->reset_method);
        if (r < 0 && r != -ENOENT && !errno_is_gone(r))
                d->reset_method = NULL;

        /* Only a physical function has sriov_numvfs. */
        (void)read_int_attr(root, d->name, "sriov_numvfs", &d->sriov_numvfs);

        /* Gone while we read: say so rather than report half a device. */
        if (!pci_device_exists(root, d->name))
                return -ENODEV;

        *ret = TAKE_PTR(d);
        return 0;
}

int pci_device_load_brief(const char *root, const char *name, PciDevice **ret) {
        _cleanup_pci_device_ PciDevice *d = NULL;
        unsigned long class;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        *d = (PciDevice){ .iommu_group = -1, .boot_vga = -1, .sriov_numvfs = -1 };
        r = pci_address_parse(name, &d->address);
        if (r < 0)
                return r;
        pci_address_format(&d->address, d->name);
        r = read_id(root, d->name, "class", &class);
        if (r < 0)
                return errno_is_gone(r) ? -ENODEV : r;
        d->class = (uint32_t) class;
        r = pci_device_read_driver(root, d->name, &d->driver);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

PciDevice *pci_device_free(PciDevice *d) {
        if (!d)
                return NULL;
        free(d->driver);
        free(d->driver_override);
        free(d->reset_method);
        free(d);
        return NULL;
}

void pci_device_freep(PciDevice **d) {
        pci_device_free(*d);
}

bool pci_class_is_bridge(uint32_t class) {
        return (class >> 16) == 0x06 && ((class >> 8) & 0xff) == 0x04;
}

bool pci_class_is_storage(uint32_t class) {
        return (class >> 16) == 0x01; /* mass storage: SATA, NVMe, SAS, RAID... */
}

bool pci_class_is_network(uint32_t class) {
        return (class >> 16) == 0x02;
}

bool pci_class_is_usb(uint32_t class) {
        return (class >> 8) == 0x0c03;
}

bool driver_is_vfio(const char *driver) {
        return driver && (streq(driver, "vfio-pci") || strstr(driver, "vfio_pci") || strstr(driver, "vfio-pci"));
}

bool driver_is_bridge_port(const char *driver) {
        return driver && (streq(driver, "pcieport") || streq(driver, "shpchp"));
}

const char *pci_class_name(uint32_t class) {
        static const struct {
                uint32_t value;
                uint32_t mask;
                const char *name;
        } table[] = {
                { 0x030000, 0xffff00, "VGA compatible controller" },
                { 0x030200, 0xffff00, "3D controller" },
                { 0x030000, 0xff0000, "Display controller" },
                { 0x040300, 0xffff00, "Audio device" },
                { 0x040100, 0xffff00, "Multimedia audio controller" },
                { 0x040000, 0xff0000, "Multimedia controller" },
                { 0x0c0330, 0xffffff, "USB controller (xHCI)" },
                { 0x0c0300, 0xffff00, "USB controller" },
                { 0x0c0500, 0xffff00, "SMBus" },
                { 0x0c8000, 0xffff00, "Serial bus controller" },
                { 0x0c0000, 0xff0000, "Serial bus controller" },
                { 0x020000, 0xffff00, "Ethernet controller" },
                { 0x028000, 0xffff00, "Network controller" },
                { 0x020000, 0xff0000, "Network controller" },
                { 0x010800, 0xffff00, "Non-Volatile memory controller" },
                { 0x010600, 0xffff00, "SATA controller" },
                { 0x010700, 0xffff00, "SAS controller" },
                { 0x010400, 0xffff00, "RAID controller" },
                { 0x010000, 0xffff00, "SCSI storage controller" },
                { 0x010100, 0xffff00, "IDE interface" },
                { 0x010000, 0xff0000, "Mass storage controller" },
                { 0x060000, 0xffff00, "Host bridge" },
                { 0x060100, 0xffff00, "ISA bridge" },
                { 0x060400, 0xffff00, "PCI bridge" },
                { 0x060000, 0xff0000, "Bridge" },
                { 0x080000, 0xff0000, "System peripheral" },
                { 0x0b0000, 0xff0000, "Processor" },
                { 0x120000, 0xff0000, "Processing accelerator" },
                { 0x0d0000, 0xff0000, "Wireless controller" },
                { 0x070000, 0xff0000, "Communication controller" },
                { 0x100000, 0xff0000, "Encryption controller" },
                { 0x110000, 0xff0000, "Signal processing controller" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if ((class & table[i].mask) == table[i].value)
                        return table[i].name;
        return "Unclassified device";
}

void pci_device_list_done(PciDeviceList *l) {
        for (size_t i = 0; i < l->n; i++)
                pci_device_free(l->devices[i]);
        free(l->devices);
        *l = (PciDeviceList){};
}

int pci_device_list_add(PciDeviceList *l, PciDevice *d) {
        if (!GREEDY_REALLOC(l->devices, l->n + 1))
                return -ENOMEM;
        l->devices[l->n++] = d;
        return 0;
}

static int compare_devices(const void *a, const void *b) {
        const PciDevice *const *x = a, *const *y = b;
        return pci_address_compare(&(*x)->address, &(*y)->address);
}

int iommu_group_load(const char *root, int group, PciDeviceList *ret) {
        _cleanup_closedir_ DIR *dir = NULL;
        PciDeviceList l = {};
        char path[PATH_MAX];
        struct dirent *de;
        int r;

        dir = opendir(root_path(path, root, "/sys/kernel/iommu_groups/%d/devices", group));
        if (!dir)
                return -errno;
        while ((de = readdir(dir))) {
                PciDevice *d;
                if (de->d_name[0] == '.')
                        continue;
                r = pci_device_load_brief(root, de->d_name, &d);
                if (r == -ENODEV || r == -EINVAL)
                        continue; /* went away, or not a PCI function */
                if (r < 0)
                        goto fail;
                r = pci_device_list_add(&l, d);
                if (r < 0) {
                        pci_device_free(d);
                        goto fail;
                }
        }
        if (l.n > 1)
                qsort(l.devices, l.n, sizeof(*l.devices), compare_devices);
        *ret = l;
        return 0;
fail:
        pci_device_list_done(&l);
        return r;
}

int pci_slot_functions(const char *root, const PciAddress *address, PciAddress **ret, size_t *ret_n) {
        _cleanup_free_ PciAddress *list = NULL;
        size_t n = 0;

        /* A slot has at most eight functions: look them up by name instead of scanning every device. */
        list = calloc(8, sizeof(*list));
        if (!list)
                return -ENOMEM;
        for (unsigned f = 0; f < 8; f++) {
                PciAddress a = *address;
                char name[PCI_ADDRESS_MAX];
                a.function = f;
                if (pci_device_exists(root, pci_address_format(&a, name)))
                        list[n++] = a;
        }
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}
