/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "pci-device.h"
#include "sysroot.h"
#include "vm-config.h"
#include "xml.h"

/* A VM configuration is small; this only bounds what a mistake makes us read. */
#define VM_CONFIG_SIZE_MAX (4u * 1024u * 1024u)

_printf_(4, 5) static int add_problem(VmList *l, const char *path, unsigned line, const char *fmt, ...) {
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        int n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        if (!GREEDY_REALLOC(l->problems, l->n_problems + 1)) {
                free(msg);
                return -ENOMEM;
        }
        char *p = strdup(path);
        if (!p) {
                free(msg);
                return -ENOMEM;
        }
        l->problems[l->n_problems++] = (VmProblem){ .path = p, .line = line, .message = msg };
        return 0;
}

/* The strings belong to the list's new element, freed by vm_list_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static Vm *add_vm(VmList *l, VmKind kind, const char *id, const char *path) {
        if (!GREEDY_REALLOC(l->vms, l->n + 1))
                return NULL;
        Vm *vm = &l->vms[l->n];
        *vm = (Vm){ .kind = kind, .id = strdup(id), .path = strdup(path) };
        if (!vm->id || !vm->path) {
                free(vm->id);
                free(vm->path);
                return NULL;
        }
        l->n++;
        return vm;
}
ANALYZER_OWNED_BY_ARRAY_END

static int add_device(Vm *vm, const PciAddress *a, const char *origin, unsigned line, bool managed) {
        char name[PCI_ADDRESS_MAX];
        pci_address_format(a, name);
        /* The same function twice in one VM is the VMM's error to report; here it counts once. */
        if (vm_find_device(vm, name))
                return 0;
        if (!GREEDY_REALLOC(vm->devices, vm->n_devices + 1))
                return -ENOMEM;
        VmDevice *d = &vm->devices[vm->n_devices++];
        *d = (VmDevice){ .address = *a, .line = line, .managed = managed };
        memcpy(d->name, name, sizeof(name));
        snprintf(d->origin, sizeof(d->origin), "%s", origin);
        return 0;
}

const VmDevice *vm_find_device(const Vm *vm, const char *name) {
        for (size_t i = 0; i < vm->n_devices; i++)
                if (streq(vm->devices[i].name, name))
                        return &vm->devices[i];
        return NULL;
}

void vm_describe(const Vm *vm, char *buf, size_t size) {
        snprintf(buf, size, "%s %s", vm->kind == VM_KIND_PROXMOX ? "Proxmox VM" : "libvirt domain", vm->id);
}

/* One Proxmox PCI id: "0000:01:00.0", "01:00.0", or a slot without function ("01:00", "0000:01:00"),
 * which means every function in it, as this host has them. */
static int add_proxmox_id(VmList *l, Vm *vm, const char *root, const char *path, unsigned line, const char *origin,
                          const char *id) {
        PciAddress a;
        int r;

        if (pci_address_parse(id, &a) >= 0)
                return add_device(vm, &a, origin, line, true);

        char with_function[PCI_ADDRESS_MAX + 4];
        snprintf(with_function, sizeof(with_function), "%s.0", id);
        if (strchr(id, '.') || pci_address_parse(with_function, &a) < 0)
                return add_problem(l, path, line, "%s: '%s' is not a PCI address", origin, id);

        _cleanup_free_ PciAddress *functions = NULL;
        size_t n = 0;
        r = pci_slot_functions(root, &a, &functions, &n);
        if (r < 0)
                return r;
        if (n == 0)
                return add_problem(l, path, line, "%s: no PCI device in slot %s on this host", origin, id);
        for (size_t i = 0; i < n; i++) {
                r = add_device(vm, &functions[i], origin, line, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* IDS joined by ';'. */
static int add_proxmox_ids(VmList *l, Vm *vm, const char *root, const char *path, unsigned line, const char *origin,
                           const char *ids) {
        _cleanup_free_ char *copy = strdup(ids);
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *id = strtok_r(copy, ";", &save); id; id = strtok_r(NULL, ";", &save)) {
                r = add_proxmox_id(l, vm, root, path, line, origin, id);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* This node's name as Proxmox uses it in mappings: the short host name. */
static char *node_name(const char *root) {
        char path[PATH_MAX];
        _cleanup_free_ char *text = NULL;

        if (read_full_file(root_path(path, root, "/etc/hostname"), &text, NULL) < 0)
                return NULL;
        text[strcspn(text, ". \t\n")] = 0;
        return *text ? TAKE_PTR(text) : NULL;
}

/* The value of KEY in a comma-separated "key=value" list, copied; NULL when absent. */
static char *option_value(const char *list, const char *key) {
        size_t klen = strlen(key);
        for (const char *p = list; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
                        return strndup(p + klen + 1, len - klen - 1);
                p = comma ? comma + 1 : NULL;
        }
        return NULL;
}

/* mapping=NAME: the "map" line of section NAME in pci.cfg for this node. */
static int add_proxmox_mapping(VmList *l, Vm *vm, const char *root, const char *path, unsigned line,
                               const char *origin, const char *mapping) {
        _cleanup_free_ char *text = NULL, *node = NULL, *paths = NULL;
        char cfg[PATH_MAX];
        bool in_section = false, found = false;
        int r;

        r = read_full_file(root_path(cfg, root, PROXMOX_PCI_MAPPING), &text, NULL);
        if (r == -ENOENT)
                return add_problem(l, path, line, "%s: mapping=%s, but %s does not exist", origin, mapping,
                                   PROXMOX_PCI_MAPPING);
        if (r < 0)
                return add_problem(l, path, line, "%s: cannot read %s: %s", origin, PROXMOX_PCI_MAPPING,
                                   strerror(-r));
        node = node_name(root);

        char *save = NULL;
        for (char *s = strtok_r(text, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
                if (*s == '#' || !*s)
                        continue;
                if (*s != ' ' && *s != '\t') {
                        /* A section header: the mapping's name, alone on its line. */
                        s[strcspn(s, " \t\r")] = 0;
                        in_section = streq(s, mapping);
                        found = found || in_section;
                        continue;
                }
                if (!in_section)
                        continue;
                s += strspn(s, " \t");
                if (strncmp(s, "map ", 4) != 0)
                        continue;
                _cleanup_free_ char *map_node = option_value(s + 4, "node");
                if (node && map_node && streq(node, map_node)) {
                        free(paths);
                        paths = option_value(s + 4, "path");
                        if (!paths)
                                return -ENOMEM;
                }
        }
        if (!found)
                return add_problem(l, path, line, "%s: mapping '%s' is not defined in %s", origin, mapping,
                                   PROXMOX_PCI_MAPPING);
        if (!paths)
                return add_problem(l, path, line, "%s: mapping '%s' has no entry for this node (%s) in %s", origin,
                                   mapping, node ?: "unknown: no /etc/hostname", PROXMOX_PCI_MAPPING);
        return add_proxmox_ids(l, vm, root, path, line, origin, paths);
}

static bool is_hostpci_key(const char *key) {
        if (strncmp(key, "hostpci", 7) != 0 || !key[7])
                return false;
        for (const char *p = key + 7; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return true;
}

static int parse_proxmox(VmList *l, const char *root, const char *vmid, const char *path, char *text) {
        unsigned line = 0;
        int r;

        Vm *vm = add_vm(l, VM_KIND_PROXMOX, vmid, path);
        if (!vm)
                return -ENOMEM;
        for (char *s = text, *next; s && *s; s = next) {
                next = strchr(s, '\n');
                if (next)
                        *next++ = 0;
                line++;
                /* Snapshots and pending changes follow in [sections]: not what starts now. */
                if (*s == '[')
                        break;
                if (*s == '#' || !*s)
                        continue;
                char *colon = strchr(s, ':');
                if (!colon)
                        continue;
                *colon = 0;
                char *value = colon + 1;
                value += strspn(value, " \t");
                value[strcspn(value, "\r")] = 0;
                if (streq(s, "onboot"))
                        vm->autostart = streq(value, "1");
                else if (is_hostpci_key(s)) {
                        _cleanup_free_ char *host = NULL, *mapping = NULL;
                        /* The first item may leave out "host=". */
                        size_t first = strcspn(value, ",");
                        if (!memchr(value, '=', first))
                                host = strndup(value, first);
                        else
                                host = option_value(value, "host");
                        mapping = option_value(value, "mapping");
                        if (host)
                                r = add_proxmox_ids(l, vm, root, path, line, s, host);
                        else if (mapping)
                                r = add_proxmox_mapping(l, vm, root, path, line, s, mapping);
                        else
                                r = add_problem(l, path, line, "%s: neither a host address nor a mapping", s);
                        if (r < 0)
                                return r;
                }
                /* The Vm array may have moved: problems never add VMs, devices only to this one. */
        }
        return 0;
}

int vm_list_add_proxmox(VmList *l, const char *root, const char *vmid) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        char full[PATH_MAX];
        int r;

        r = strdup_printf(&path, "%s/%s.conf", PROXMOX_VM_DIR, vmid);
        if (r < 0)
                return r;
        r = read_full_file(root_path(full, root, "%s", path), &text, NULL);
        if (r < 0)
                return r;
        return parse_proxmox(l, root, vmid, path, text);
}

typedef struct DomainParse {
        VmList *list;
        Vm *vm;
        const char *path;
        bool in_pci_hostdev; /* inside <hostdev mode='subsystem' type='pci'> */
        bool managed;
        bool in_source;
        unsigned line;
        int error;
} DomainParse;

static int parse_hex_attr(const char *s, unsigned long max, unsigned long *ret) {
        char *end = NULL;
        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 0);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int domain_start(const char *name, const XmlAttribute *attrs, size_t n_attrs, unsigned depth, void *userdata) {
        DomainParse *p = userdata;

        if (depth == 0 && !streq(name, "domain"))
                return add_problem(p->list, p->path, 0, "the root element is <%s>, not <domain>", name) ?: -EBADMSG;
        if (depth == 2 && streq(name, "hostdev")) {
                const char *mode = xml_attribute(attrs, n_attrs, "mode"), *type = xml_attribute(attrs, n_attrs, "type");
                const char *managed = xml_attribute(attrs, n_attrs, "managed");
                p->in_pci_hostdev = streq_ptr(mode ?: "subsystem", "subsystem") && streq_ptr(type, "pci");
                /* libvirt's default is managed='no'. */
                p->managed = managed && streq(managed, "yes");
        } else if (p->in_pci_hostdev && depth == 3 && streq(name, "source"))
                p->in_source = true;
        else if (p->in_source && depth == 4 && streq(name, "address")) {
                unsigned long domain, bus, slot, function;
                if (parse_hex_attr(xml_attribute(attrs, n_attrs, "domain") ?: "0", 0xffffffff, &domain) < 0 ||
                    parse_hex_attr(xml_attribute(attrs, n_attrs, "bus"), 0xff, &bus) < 0 ||
                    parse_hex_attr(xml_attribute(attrs, n_attrs, "slot"), 0x1f, &slot) < 0 ||
                    parse_hex_attr(xml_attribute(attrs, n_attrs, "function") ?: "0", 7, &function) < 0)
                        return add_problem(p->list, p->path, 0,
                                           "a <hostdev> source address is not a PCI address (domain, bus, slot, "
                                           "function)");
                PciAddress a = { .domain = domain, .bus = bus, .slot = slot, .function = function };
                return add_device(p->vm, &a, "hostdev", 0, p->managed);
        }
        return 0;
}

static int domain_end(const char *name, unsigned depth, void *userdata) {
        DomainParse *p = userdata;
        if (depth == 2 && streq(name, "hostdev"))
                p->in_pci_hostdev = false;
        else if (depth == 3 && streq(name, "source"))
                p->in_source = false;
        return 0;
}

int vm_list_add_libvirt_xml(VmList *l, const char *root, const char *domain, const char *path, const char *xml,
                            size_t size) {
        char autostart[PATH_MAX];
        unsigned line = 0;
        const char *error = NULL;
        int r;

        Vm *vm = add_vm(l, VM_KIND_LIBVIRT, domain, path);
        if (!vm)
                return -ENOMEM;
        /* The link's own presence: its absolute target names the host's /etc, not the one under --root. */
        struct stat st;
        vm->autostart = lstat(root_path(autostart, root, "%s/%s.xml", LIBVIRT_AUTOSTART, domain), &st) >= 0;
        DomainParse p = { .list = l, .vm = vm, .path = path };
        r = xml_parse(xml, size, domain_start, domain_end, &p, &line, &error);
        if (r == -EBADMSG && error)
                return add_problem(l, path, line, "not well-formed XML: %s", error);
        if (r == -EBADMSG)
                return 0; /* the root element was wrong: said already */
        return r;
}

static int compare_names(const void *a, const void *b) {
        return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* NAMES owns its strings: they are freed at the end, whichever way the loop ends. */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int scan_dir(VmList *l, const char *root, const char *dir, const char *suffix, VmKind kind) {
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_free_ char **names = NULL;
        size_t n = 0;
        char path[PATH_MAX];
        struct dirent *de;
        int r = 0;

        d = opendir(root_path(path, root, "%s", dir));
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name), slen = strlen(suffix);
                if (de->d_name[0] == '.' || len <= slen || !streq(de->d_name + len - slen, suffix))
                        continue;
                if (!GREEDY_REALLOC(names, n + 1) || !(names[n] = strndup(de->d_name, len - slen))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        /* Findings in a stable order: by name. */
        if (n > 0)
                qsort(names, n, sizeof(char *), compare_names);
        for (size_t i = 0; i < n && r >= 0; i++) {
                if (kind == VM_KIND_PROXMOX) {
                        r = vm_list_add_proxmox(l, root, names[i]);
                } else {
                        _cleanup_free_ char *xml = NULL, *file = NULL;
                        size_t size = 0;
                        r = strdup_printf(&file, "%s/%s.xml", dir, names[i]);
                        if (r >= 0)
                                r = read_full_file(root_path(path, root, "%s", file), &xml, &size);
                        if (r >= 0 && size > VM_CONFIG_SIZE_MAX)
                                r = -EFBIG;
                        if (r >= 0)
                                r = vm_list_add_libvirt_xml(l, root, names[i], file, xml, size);
                }
                if (r < 0 && r != -ENOMEM) {
                        char file[PATH_MAX];
                        snprintf(file, sizeof(file), "%s/%s%s", dir, names[i], suffix);
                        r = add_problem(l, file, 0, "cannot read it: %s", strerror(-r));
                }
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        return r;
}
ANALYZER_OWNED_BY_ARRAY_END

int vm_list_load(const char *root, VmList *ret) {
        VmList l = {};
        int r;

        r = scan_dir(&l, root, PROXMOX_VM_DIR, ".conf", VM_KIND_PROXMOX);
        if (r >= 0)
                r = scan_dir(&l, root, LIBVIRT_VM_DIR, ".xml", VM_KIND_LIBVIRT);
        if (r < 0) {
                vm_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

void vm_list_done(VmList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->vms[i].id);
                free(l->vms[i].path);
                free(l->vms[i].devices);
        }
        for (size_t i = 0; i < l->n_problems; i++) {
                free(l->problems[i].path);
                free(l->problems[i].message);
        }
        free(l->vms);
        free(l->problems);
        *l = (VmList){};
}
