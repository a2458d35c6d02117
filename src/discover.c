/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "alloc-util.h"
#include "discover.h"
#include "fileio.h"
#include "macro.h"
#include "pci-device.h"
#include "string-util.h"
#include "sysroot.h"

/* `list` reads every function of the host, thousands on a large one: each is read through one directory
 * descriptor, with openat() and readlinkat() on short names, and only the attributes shown. */

static ssize_t read_small_at(int dfd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        buf[n] = 0;
        return n;
}

static bool read_hex_at(int dfd, const char *name, unsigned long *ret) {
        char buf[32], *end = NULL;

        if (read_small_at(dfd, name, buf, sizeof(buf)) <= 0)
                return false;
        errno = 0;
        *ret = strtoul(buf, &end, 16);
        return errno == 0 && end != buf && *end == 0;
}

/* The last component of a link's target, or NULL. */
static char *link_basename_at(int dfd, const char *name) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

        if (n <= 0)
                return NULL;
        target[n] = 0;
        const char *base = strrchr(target, '/');
        return strdup(base ? base + 1 : target);
}

static void listed_function_done(ListedFunction *f) {
        free(f->driver);
        free(f->driver_override);
        free(f->mounts);
        free(f->interfaces);
}

const char *config_section_naming(const Config *config, const PciAddress *a) {
        for (size_t i = 0; config && i < config->n_sections; i++) {
                const DeviceSection *s = &config->sections[i];
                for (size_t j = 0; j < s->n_addresses; j++)
                        if (pci_address_equal(&s->addresses[j], a) ||
                            (s->all_functions && pci_address_same_slot(&s->addresses[j], a)))
                                return s->name;
        }
        return NULL;
}

/* ATTR of the function NAME, through the devices directory: "NAME/ATTR", one lookup less than a directory
 * descriptor per function would cost. */
static char *attr_name(char buf[static 64], const char *name, const char *attr) {
        snprintf(buf, 64, "%s/%s", name, attr);
        return buf;
}

/* Ids and class from the standard header, one read instead of five attribute files: the first 64 bytes of
 * config are readable by anyone. Little-endian, as PCI is. */
static bool read_header(int devices_fd, const char *name, ListedFunction *f) {
        uint8_t c[64];
        char path[64];
        _cleanup_close_ int fd = openat(devices_fd, attr_name(path, name, "config"), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return false;
        ssize_t got = pread(fd, c, sizeof(c), 0);
        if (got < 0x30 || (c[0] == 0xff && c[1] == 0xff))
                return false;
        f->vendor = (uint16_t)(c[0] | c[1] << 8);
        f->device = (uint16_t)(c[2] | c[3] << 8);
        f->class = (uint32_t)(c[9] | c[10] << 8 | c[11] << 16);
        /* Type 0 headers hold the subsystem ids; bridges keep theirs in a capability: the attributes say. */
        if ((c[0x0e] & 0x7f) != 0)
                return true;
        f->subsystem_vendor = (uint16_t)(c[0x2c] | c[0x2d] << 8);
        f->subsystem_device = (uint16_t)(c[0x2e] | c[0x2f] << 8);
        return true;
}

/* What one directory scan says about many functions: address -> driver (from the drivers' directories),
 * address -> network interface (from /sys/class/net). A few scans instead of a lookup per function. */
typedef struct AddressValue {
        char address[PCI_ADDRESS_MAX];
        char *value;
} AddressValue;

typedef struct AddressMap {
        AddressValue *items;
        size_t n;
} AddressMap;

static void address_map_done(AddressMap *m) {
        for (size_t i = 0; i < m->n; i++)
                free(m->items[i].value);
        free(m->items);
        *m = (AddressMap){};
}

/* The copy of VALUE belongs to m->items, freed by address_map_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int address_map_add(AddressMap *m, const char *address, const char *value) {
        if (strlen(address) >= PCI_ADDRESS_MAX)
                return 0;
        if (!GREEDY_REALLOC(m->items, m->n + 1))
                return -ENOMEM;
        AddressValue *v = &m->items[m->n];
        memcpy(v->address, address, strlen(address) + 1);
        if (!(v->value = strdup(value)))
                return -ENOMEM;
        m->n++;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

static int compare_address_values(const void *a, const void *b) {
        const AddressValue *x = a, *y = b;
        int c = strcmp(x->address, y->address);
        return c ?: strcmp(x->value, y->value);
}

/* The values of ADDRESS (the map sorted), joined with ", "; NULL when none. */
static int address_map_get(const AddressMap *m, const char *address, char **ret) {
        size_t lo = 0, hi = m->n;
        char *joined = NULL;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(m->items[mid].address, address) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < m->n && streq(m->items[i].address, address); i++)
                if (strextendf_with_separator(&joined, ", ", "%s", m->items[i].value) < 0) {
                        free(joined);
                        return -ENOMEM;
                }
        *ret = joined;
        return 0;
}

/* Which driver has which function: the links in each driver's directory, as the driver core makes them
 * next to each device's driver link. */
static int scan_drivers(const char *root, AddressMap *m) {
        _cleanup_closedir_ DIR *drivers = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        int r;

        drivers = opendir(root_path(path, root, "/sys/bus/pci/drivers"));
        while (drivers && (de = readdir(drivers))) {
                if (de->d_name[0] == '.')
                        continue;
                int fd = openat(dirfd(drivers), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                _cleanup_closedir_ DIR *d = fdopendir(fd);
                if (!d) {
                        close(fd);
                        continue;
                }
                struct dirent *e;
                while ((e = readdir(d)))
                        if (pci_address_is_canonical(e->d_name) && (r = address_map_add(m, e->d_name, de->d_name)) < 0)
                                return r;
        }
        if (m->n > 1)
                qsort(m->items, m->n, sizeof(m->items[0]), compare_address_values);
        return 0;
}

/* Which function each network interface is on: the class link points into the device's directory
 * ("../../devices/pci0000:00/0000:00:1c.2/0000:04:00.0/net/enp4s0"); virtual interfaces have none. */
static int scan_interfaces(const char *root, AddressMap *m) {
        _cleanup_closedir_ DIR *net = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        int r;

        net = opendir(root_path(path, root, "/sys/class/net"));
        while (net && (de = readdir(net))) {
                char target[PATH_MAX], function[PCI_ADDRESS_MAX] = "";
                char *save = NULL;
                if (de->d_name[0] == '.')
                        continue;
                ssize_t n = readlinkat(dirfd(net), de->d_name, target, sizeof(target) - 1);
                if (n <= 0)
                        continue;
                target[n] = 0;
                for (char *c = strtok_r(target, "/", &save); c; c = strtok_r(NULL, "/", &save))
                        if (pci_address_is_canonical(c) && strlen(c) < sizeof(function))
                                memcpy(function, c, strlen(c) + 1);
                if (function[0] && (r = address_map_add(m, function, de->d_name)) < 0)
                        return r;
        }
        if (m->n > 1)
                qsort(m->items, m->n, sizeof(m->items[0]), compare_address_values);
        return 0;
}

typedef struct Scans {
        AddressMap drivers;
        AddressMap interfaces;
} Scans;

/* F is an element of the discovery's array: what it holds is freed by discovery_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int load_function(const Scans *scans, const HostFacts *facts, const Config *config, int devices_fd,
                         const char *name, ListedFunction *f) {
        unsigned long v;
        char buf[64], path[64];
        int r;

        *f = (ListedFunction){ .group = -1 };
        if (pci_address_parse(name, &f->address) < 0 || strlen(name) >= PCI_ADDRESS_MAX)
                return 0;
        pci_address_format(&f->address, f->name);
        if (!read_header(devices_fd, name, f)) {
                if (!read_hex_at(devices_fd, attr_name(path, name, "vendor"), &v))
                        return 0; /* gone meanwhile */
                f->vendor = (uint16_t)v;
                if (read_hex_at(devices_fd, attr_name(path, name, "device"), &v))
                        f->device = (uint16_t)v;
                if (read_hex_at(devices_fd, attr_name(path, name, "class"), &v))
                        f->class = (uint32_t)v;
        }
        if (!f->subsystem_vendor && !f->subsystem_device) {
                if (read_hex_at(devices_fd, attr_name(path, name, "subsystem_vendor"), &v))
                        f->subsystem_vendor = (uint16_t)v;
                if (read_hex_at(devices_fd, attr_name(path, name, "subsystem_device"), &v))
                        f->subsystem_device = (uint16_t)v;
        }
        r = address_map_get(&scans->drivers, f->name, &f->driver);
        if (r < 0)
                return r;
        if (read_small_at(devices_fd, attr_name(path, name, "driver_override"), buf, sizeof(buf)) > 0 &&
            !streq(buf, "(null)") && !(f->driver_override = strdup(buf)))
                return -ENOMEM;
        _cleanup_free_ char *group = link_basename_at(devices_fd, attr_name(path, name, "iommu_group"));
        if (group)
                f->group = atoi(group);
        if ((f->class >> 8) == 0x0300 &&
            read_small_at(devices_fd, attr_name(path, name, "boot_vga"), buf, sizeof(buf)) > 0)
                f->boot_display = streq(buf, "1");

        /* Any endpoint may hold them (a USB disk is behind its controller); a bridge above is no holder. */
        if (!pci_class_is_bridge(f->class)) {
                r = storage_mounts_on(&facts->storage, f->name, &f->mounts);
                if (r < 0)
                        return r;
        }
        r = address_map_get(&scans->interfaces, f->name, &f->interfaces);
        if (r < 0)
                return r;
        f->network_use = network_use_of(&facts->network, f->name);
        if (pci_class_is_usb(f->class)) {
                size_t elsewhere;
                keyboards_count(&facts->keyboards, f->name, &f->keyboards, &elsewhere);
                f->only_keyboards = f->keyboards > 0 && elsewhere == 0;
        }
        f->section = config_section_naming(config, &f->address);
        return 1;
}
ANALYZER_OWNED_BY_ARRAY_END

static int compare_functions(const void *a, const void *b) {
        const ListedFunction *x = a, *y = b;
        if (x->group != y->group) {
                /* No group last. */
                if (x->group < 0 || y->group < 0)
                        return x->group < 0 ? 1 : -1;
                return x->group < y->group ? -1 : 1;
        }
        return pci_address_compare(&x->address, &y->address);
}

bool listed_function_critical(const ListedFunction *f) {
        return f->mounts || f->network_use;
}

/* PCI bridges, and host bridges: a VM takes neither. */
static bool is_bridge(uint32_t class) {
        return pci_class_is_bridge(class) || (class >> 8) == 0x0600;
}

static GroupVerdict group_verdict(const ListedFunction *fns, size_t n) {
        size_t endpoints = 0, critical = 0;

        if (fns[0].group < 0)
                return GROUP_NO_IOMMU;
        for (size_t i = 0; i < n; i++) {
                if (is_bridge(fns[i].class))
                        continue;
                endpoints++;
                critical += listed_function_critical(&fns[i]);
        }
        if (endpoints == 0)
                return GROUP_BRIDGES_ONLY;
        if (critical > 0)
                return endpoints == critical && endpoints == 1 ? GROUP_HOST_CRITICAL : GROUP_SHARES_CRITICAL;
        return endpoints == 1 ? GROUP_ISOLATED : GROUP_NEEDS_ALL;
}

int discovery_load(Discovery *d, const char *root, const HostFacts *facts, const Config *config) {
        _cleanup_(address_map_done) AddressMap drivers = {}, interfaces = {};
        _cleanup_closedir_ DIR *dir = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        int r;

        *d = (Discovery){};
        r = scan_drivers(root, &drivers);
        if (r >= 0)
                r = scan_interfaces(root, &interfaces);
        if (r < 0)
                return r;
        Scans scans = { drivers, interfaces };
        dir = opendir(root_path(path, root, "/sys/bus/pci/devices"));
        if (!dir)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(dir))) {
                if (de->d_name[0] == '.')
                        continue;
                if (!GREEDY_REALLOC(d->functions, d->n + 1))
                        return -ENOMEM;
                r = load_function(&scans, facts, config, dirfd(dir), de->d_name, &d->functions[d->n]);
                if (r < 0) {
                        listed_function_done(&d->functions[d->n]);
                        return r;
                }
                if (r > 0)
                        d->n++;
                else
                        listed_function_done(&d->functions[d->n]);
        }
        if (d->n == 0)
                return 0;
        qsort(d->functions, d->n, sizeof(d->functions[0]), compare_functions);

        for (size_t i = 0; i < d->n;) {
                size_t j = i + 1;
                while (j < d->n && d->functions[j].group == d->functions[i].group)
                        j++;
                if (!GREEDY_REALLOC(d->groups, d->n_groups + 1))
                        return -ENOMEM;
                d->groups[d->n_groups++] = (ListedGroup){
                        .number = d->functions[i].group,
                        .verdict = group_verdict(d->functions + i, j - i),
                        .first = i,
                        .n = j - i,
                };
                i = j;
        }
        return 0;
}

void discovery_done(Discovery *d) {
        for (size_t i = 0; i < d->n; i++)
                listed_function_done(&d->functions[i]);
        free(d->functions);
        free(d->groups);
        *d = (Discovery){};
}

static const char *const verdict_names[_GROUP_VERDICT_MAX] = {
        [GROUP_ISOLATED] = "isolated",
        [GROUP_NEEDS_ALL] = "needs-all-functions",
        [GROUP_SHARES_CRITICAL] = "shares-with-host-critical",
        [GROUP_HOST_CRITICAL] = "host-critical",
        [GROUP_BRIDGES_ONLY] = "bridges-only",
        [GROUP_NO_IOMMU] = "no-iommu-group",
};

static const char *const verdict_texts[_GROUP_VERDICT_MAX] = {
        [GROUP_ISOLATED] = "isolated: can go to a VM on its own",
        [GROUP_NEEDS_ALL] = "a VM needs all its functions (bridges excepted)",
        [GROUP_SHARES_CRITICAL] = "shares with a device the host needs: not for a VM",
        [GROUP_HOST_CRITICAL] = "the host needs it: not for a VM",
        [GROUP_BRIDGES_ONLY] = "bridges only",
        [GROUP_NO_IOMMU] = "no IOMMU group: the IOMMU is off, nothing can go to a VM",
};

const char *group_verdict_to_string(GroupVerdict v) {
        return verdict_names[v];
}

const char *group_verdict_to_text(GroupVerdict v) {
        return verdict_texts[v];
}

static const struct {
        const char *name;
        uint32_t value, mask;
} classes[] = {
        { "storage", 0x010000, 0xff0000 },     { "network", 0x020000, 0xff0000 },
        { "display", 0x030000, 0xff0000 },     { "multimedia", 0x040000, 0xff0000 },
        { "audio", 0x040300, 0xffff00 },       { "bridge", 0x060000, 0xff0000 },
        { "usb", 0x0c0300, 0xffff00 },         { "serial-bus", 0x0c0000, 0xff0000 },
        { "accelerator", 0x120000, 0xff0000 },
};

int list_class_lookup(const char *name, uint32_t *ret_value, uint32_t *ret_mask) {
        for (size_t i = 0; i < ELEMENTSOF(classes); i++)
                if (streq(classes[i].name, name)) {
                        *ret_value = classes[i].value;
                        *ret_mask = classes[i].mask;
                        return 0;
                }
        return -EINVAL;
}

const char *list_class_names(void) {
        return "storage, network, display, multimedia, audio, bridge, usb, serial-bus, accelerator";
}

bool list_group_shown(const Discovery *d, const ListedGroup *g, const ListFilter *filter) {
        if (filter->group >= 0 && g->number != filter->group)
                return false;
        if (filter->has_class) {
                for (size_t i = g->first; i < g->first + g->n; i++)
                        if ((d->functions[i].class & filter->class_mask) == filter->class_value)
                                return true;
                return false;
        }
        /* By default: what could go to a VM. A filter or --all shows the rest. */
        return filter->all || filter->group >= 0 || g->verdict == GROUP_ISOLATED || g->verdict == GROUP_NEEDS_ALL;
}
