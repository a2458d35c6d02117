/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "storage.h"
#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "string-util.h"
#include "sysroot.h"

/* How deep device-mapper and md stacks are followed: LVM on dm-crypt on md on a partition is four. */
#define BLOCK_STACK_MAX_DEPTH 8

static void mounted_block_done(MountedBlock *m) {
        for (size_t i = 0; i < m->n_pci_paths; i++)
                free(m->pci_paths[i]);
        free(m->pci_paths);
        free(m->mountpoint);
        free(m->source);
        *m = (MountedBlock){};
}

/* The copy belongs to m->pci_paths, freed by mounted_block_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_path(MountedBlock *m, const char *path) {
        if (!GREEDY_REALLOC(m->pci_paths, m->n_pci_paths + 1))
                return -ENOMEM;
        if (!(m->pci_paths[m->n_pci_paths] = strdup(path)))
                return -ENOMEM;
        m->n_pci_paths++;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

/* Follow a block device down to the hardware: device-mapper and md devices are virtual, their slaves/
 * are the disks (possibly virtual again: LVM on dm-crypt on a partition). */
static int resolve_block(const char *root, const char *syspath, MountedBlock *m, unsigned depth) {
        char real[PATH_MAX], path[PATH_MAX];
        _cleanup_closedir_ DIR *slaves = NULL;
        struct dirent *de;
        int r;

        if (depth > BLOCK_STACK_MAX_DEPTH || !realpath(syspath, real))
                return 0;
        if (!strstr(real, "/devices/virtual/"))
                return add_path(m, real);

        if (strlen(real) + sizeof("/slaves") > sizeof(path))
                return 0;
        strcpy(path, real);
        strcat(path, "/slaves");
        slaves = opendir(path);
        if (!slaves)
                return 0;
        while ((de = readdir(slaves))) {
                if (de->d_name[0] == '.')
                        continue;
                char slave[PATH_MAX];
                r = resolve_block(root, root_path(slave, root, "/sys/class/block/%s", de->d_name), m, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_mountinfo(const char *s) {
        char *out = malloc(strlen(s) + 1), *o = out;
        if (!out)
                return NULL;
        while (*s) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
                        s += 4;
                } else
                        *o++ = *s++;
        }
        *o = 0;
        return out;
}

/* One line of mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS". */
typedef struct MountLine {
        unsigned major, minor;
        char mountpoint[PATH_MAX];
        char fstype[64];
        char source[PATH_MAX];
} MountLine;

static bool parse_mount_line(const char *line, MountLine *ret) {
        *ret = (MountLine){};
        if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &ret->major, &ret->minor, ret->mountpoint) < 3)
                return false;
        const char *dash = strstr(line, " - ");
        if (dash)
                sscanf(dash + 3, "%63s %4095s", ret->fstype, ret->source);
        return true;
}

/* A mount that names no block device: tmpfs, proc, overlay... and zfs or nfs, which do not say where
 * they live. Only "/" matters then: without knowing its controller, no storage controller is safe. */
static int note_unplaced_root(Storage *s, const MountLine *ml) {
        if (!streq(ml->mountpoint, "/") || streq(ml->fstype, "rootfs") || streq(ml->fstype, "tmpfs") ||
            streq(ml->fstype, "ramfs"))
                return 0;
        free(s->root_unknown);
        s->root_unknown = format_alloc("%s '%s'", ml->fstype, ml->source);
        return s->root_unknown ? 0 : -ENOMEM;
}

/* Filesystems on block devices that report an anonymous device number in mountinfo, and name the real
 * device as their source. */
static bool names_its_device(const char *fstype) {
        return streq(fstype, "btrfs") || streq(fstype, "bcachefs");
}

typedef struct MountsLoad {
        Storage *storage;
        const char *root;
} MountsLoad;

static int add_mount_line(char *line, void *userdata) {
        MountsLoad *load = userdata;
        Storage *s = load->storage;
        MountedBlock m = {};
        char dev[PATH_MAX];
        MountLine ml;
        int r;

        if (!parse_mount_line(line, &ml))
                return 0;
        if (ml.major != 0)
                r = resolve_block(load->root, root_path(dev, load->root, "/sys/dev/block/%u:%u", ml.major, ml.minor),
                                  &m, 0);
        else if (names_its_device(ml.fstype) && strncmp(ml.source, "/dev/", 5) == 0 && !strchr(ml.source + 5, '/'))
                /* btrfs shows an anonymous device number, but names its device as the source. Any other
                 * filesystem with an anonymous number has no device: its source is whatever the mounter chose
                 * (a FUSE fsname of /dev/sda says nothing about /dev/sda). */
                r = resolve_block(load->root, root_path(dev, load->root, "/sys/class/block/%s", ml.source + 5), &m, 0);
        else
                return note_unplaced_root(s, &ml);
        if (r < 0 || m.n_pci_paths == 0) {
                mounted_block_done(&m);
                return r;
        }
        if (streq(ml.mountpoint, "/"))
                s->root_located = true;
        m.mountpoint = unescape_mountinfo(ml.mountpoint);
        m.source = strdup(ml.source);
        if (!m.mountpoint || !m.source || !GREEDY_REALLOC(s->mounts, s->n_mounts + 1)) {
                mounted_block_done(&m);
                return -ENOMEM;
        }
        s->mounts[s->n_mounts++] = m;
        return 0;
}

/* The block device /dev/NAME (or a symlink to it, as /dev/mapper/NAME is) under ROOT, as its name in
 * /sys/class/block. */
static int block_name(const char *root, const char *dev, char *buf, size_t size) {
        char path[PATH_MAX], target[PATH_MAX];
        const char *name = dev + 5;

        if (strncmp(dev, "/dev/", 5) != 0)
                return -EINVAL;
        ssize_t n = readlink(root_path(path, root, "%s", dev), target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = 0;
                name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
        } else if (strchr(name, '/'))
                return -EINVAL;
        if (!*name || strlen(name) >= size)
                return -EINVAL;
        snprintf(buf, size, "%s", name);
        return 0;
}

/* One line of /proc/swaps: "Filename Type Size Used Priority". A swap partition holds the host's memory as
 * much as a mount holds its files; a swap file lives on a filesystem that is mounted anyway. */
static int add_swap_line(char *line, void *userdata) {
        MountsLoad *load = userdata;
        Storage *s = load->storage;
        char filename[PATH_MAX], type[32], name[NAME_MAX + 1], dev[PATH_MAX];
        MountedBlock m = {};
        int r;

        if (sscanf(line, "%4095s %31s", filename, type) != 2 || !streq(type, "partition"))
                return 0;
        _cleanup_free_ char *unescaped = unescape_mountinfo(filename);
        if (!unescaped)
                return -ENOMEM;
        if (block_name(load->root, unescaped, name, sizeof(name)) < 0)
                return 0;
        r = resolve_block(load->root, root_path(dev, load->root, "/sys/class/block/%s", name), &m, 0);
        if (r < 0 || m.n_pci_paths == 0) {
                mounted_block_done(&m);
                return r;
        }
        m.mountpoint = strdup("[swap]");
        m.source = strdup(unescaped);
        if (!m.mountpoint || !m.source || !GREEDY_REALLOC(s->mounts, s->n_mounts + 1)) {
                mounted_block_done(&m);
                return -ENOMEM;
        }
        s->mounts[s->n_mounts++] = m;
        return 0;
}

int storage_load_mounts(Storage *s, const char *root) {
        MountsLoad load = { .storage = s, .root = root };
        char path[PATH_MAX];
        int r;

        r = read_file_lines(root_path(path, root, "/proc/self/mountinfo"), add_mount_line, &load);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_file_lines(root_path(path, root, "/proc/swaps"), add_swap_line, &load);
        return r == -ENOENT ? 0 : r;
}

static bool path_has_component(const char *path, const char *component) {
        size_t n = strlen(component);
        for (const char *p = strstr(path, component); p; p = strstr(p + 1, component))
                if (p > path && p[-1] == '/' && (p[n] == '/' || p[n] == 0))
                        return true;
        return false;
}

int storage_mounts_on(const Storage *f, const char *device, char **ret) {
        char *list = NULL;

        for (size_t i = 0; i < f->n_mounts; i++) {
                bool on = false;
                for (size_t j = 0; j < f->mounts[i].n_pci_paths && !on; j++)
                        on = path_has_component(f->mounts[i].pci_paths[j], device);
                if (!on)
                        continue;
                if (strextendf_with_separator(&list, ", ", "%s", f->mounts[i].mountpoint) < 0) {
                        free(list);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < f->n_recorded; i++) {
                if (!streq(f->recorded[i].name, device))
                        continue;
                if (strextendf_with_separator(&list, ", ", "%s (recorded when the initramfs was built)",
                                              f->recorded[i].mountpoints) < 0) {
                        free(list);
                        return -ENOMEM;
                }
        }
        *ret = list;
        return 0;
}

/* The PCI functions in a sysfs device path: every component shaped like a canonical address. */
/* The copies belong to *list, which the caller frees. */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_functions_of_path(const char *path, char ***list, size_t *n) {
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (!pci_address_is_canonical(c))
                        continue;
                bool seen = false;
                for (size_t i = 0; i < *n && !seen; i++)
                        seen = streq((*list)[i], c);
                if (seen)
                        continue;
                if (!GREEDY_REALLOC(*list, *n + 1))
                        return -ENOMEM;
                if (!((*list)[*n] = strdup(c)))
                        return -ENOMEM;
                (*n)++;
        }
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

int storage_write_record(const Storage *f, const char *root, FILE *out) {
        char **functions = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < f->n_mounts && r >= 0; i++)
                for (size_t j = 0; j < f->mounts[i].n_pci_paths && r >= 0; j++)
                        r = add_functions_of_path(f->mounts[i].pci_paths[j], &functions, &n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *mounts = NULL;
                unsigned long vendor = 0, device = 0;
                char path[PATH_MAX];
                if (r >= 0)
                        r = storage_mounts_on(f, functions[i], &mounts);
                /* The ids let the initramfs tell a record of this machine from one made elsewhere. */
                if (r >= 0 && mounts &&
                    read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/vendor", functions[i]), &vendor) >=
                            0 &&
                    read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/device", functions[i]), &device) >= 0)
                        fprintf(out, "%s\t%04lx:%04lx\t%s\n", functions[i], vendor, device, mounts);
                free(functions[i]);
        }
        free(functions);
        return r;
}

/* Does the record's line name a function that is here now, with the ids it had when recorded? */
static bool record_line_matches(const char *root, const char *line) {
        char addr[PCI_ADDRESS_MAX + 8], path[PATH_MAX];
        unsigned vendor, device;
        unsigned long v, d;

        if (sscanf(line, "%31s %4x:%4x", addr, &vendor, &device) != 3 || !pci_address_is_canonical(addr))
                return false;
        return read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/vendor", addr), &v) >= 0 &&
               read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/device", addr), &d) >= 0 && v == vendor &&
               d == device;
}

/* The mount points belong to s->recorded, freed by storage_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_recorded(Storage *s, char *line) {
        char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;

        if (!tab2)
                return -ESTALE;
        *tab1 = 0;
        if (!GREEDY_REALLOC(s->recorded, s->n_recorded + 1))
                return -ENOMEM;
        RecordedController *c = &s->recorded[s->n_recorded];
        *c = (RecordedController){ .mountpoints = strdup(tab2 + 1) };
        if (!c->mountpoints)
                return -ENOMEM;
        snprintf(c->name, sizeof(c->name), "%s", line);
        s->n_recorded++;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

int storage_load_record(Storage *s, const char *root) {
        _cleanup_free_ char *text = NULL, *copy = NULL;
        char path[PATH_MAX];
        char *save = NULL;
        size_t added = 0;
        int r;

        r = read_full_file(root_path(path, root, STORAGE_RECORD), &text, NULL);
        if (r < 0)
                return r;

        /* Check every line first: one that does not match this machine means the image was built
         * elsewhere (a chroot, another host), and then none of it can be trusted. */
        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (!record_line_matches(root, line))
                        return -ESTALE;

        save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                r = add_recorded(s, line);
                if (r < 0)
                        return r;
                added++;
        }
        /* An empty record says the builder could not see where "/" lives: no better than none. */
        if (added == 0)
                return -ESTALE;
        s->root_located = true;
        return 0;
}

void storage_done(Storage *s) {
        for (size_t i = 0; i < s->n_mounts; i++)
                mounted_block_done(&s->mounts[i]);
        free(s->mounts);
        for (size_t i = 0; i < s->n_recorded; i++)
                free(s->recorded[i].mountpoints);
        free(s->recorded);
        free(s->root_unknown);
        *s = (Storage){};
}
