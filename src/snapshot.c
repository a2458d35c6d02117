/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "fileio.h"
#include "pci-device.h"
#include "run.h"
#include "snapshot.h"
#include "string-util.h"
#include "sysroot.h"

/* The extended configuration space starts here; capability 0x0003 is the Device Serial Number. */
#define EXT_CAP_START  0x100
#define EXT_CAP_DSN    0x0003
#define CONFIG_SPACE   4096
/* What sysfs gives a user other than root of a device's config file. */
#define CONFIG_UNPRIVILEGED 64

static int read_hex16(const char *root, const char *name, const char *attr, uint16_t *ret) {
        char path[PATH_MAX];
        unsigned long v;
        int r = read_attr_hex(device_attr_path(path, root, name, attr), &v);
        if (r < 0)
                return r;
        *ret = (uint16_t) v;
        return 0;
}

static uint32_t le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

int pci_device_serial(const char *root, const char *name, SerialState *ret_state, uint64_t *ret_serial) {
        _cleanup_close_ int fd = -1;
        unsigned char config[CONFIG_SPACE];
        char path[PATH_MAX];
        size_t size = 0;

        fd = open(device_attr_path(path, root, name, "config"), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        while (size < sizeof(config)) {
                ssize_t n = pread(fd, config + size, sizeof(config) - size, (off_t) size);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        /* A user other than root sees only the standard header: the capability may be there, unseen. */
        if (size <= CONFIG_UNPRIVILEGED) {
                *ret_state = SERIAL_UNREADABLE;
                *ret_serial = 0;
                return 0;
        }
        *ret_state = SERIAL_NONE;
        *ret_serial = 0;
        /* Conventional PCI has no extended space; a walk is bounded by the space's size, not by trust in
         * the next pointers. */
        unsigned at = EXT_CAP_START;
        for (unsigned hops = 0; hops < (CONFIG_SPACE - EXT_CAP_START) / 4 && at + 12 <= size; hops++) {
                uint32_t header = le32(config + at);
                if (header == 0 || header == UINT32_MAX)
                        break;
                if ((header & 0xffff) == EXT_CAP_DSN) {
                        *ret_state = SERIAL_KNOWN;
                        *ret_serial = (uint64_t) le32(config + at + 8) << 32 | le32(config + at + 4);
                        break;
                }
                unsigned next = (header >> 20) & 0xffc;
                if (next < EXT_CAP_START || next <= at)
                        break;
                at = next;
        }
        return 0;
}

/* The function directories from the root bus down to NAME, out of the real path of its sysfs link. */
int pci_device_path(const char *root, const char *name, char **ret) {
        char path[PATH_MAX], real[PATH_MAX];
        _cleanup_free_ char *out = NULL;
        bool started = false;

        if (!realpath(root_path(path, root, "/sys/bus/pci/devices/%s", name), real))
                return -errno;
        for (char *save = NULL, *tok = strtok_r(real, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
                PciAddress a;
                if (strncmp(tok, "pci", 3) == 0 && strchr(tok, ':')) {
                        /* A root bus: the path starts again below it (a root bus inside a VMD domain). */
                        free(out);
                        out = NULL;
                        started = true;
                        continue;
                }
                if (!started || pci_address_parse(tok, &a) < 0 || !pci_address_is_canonical(tok))
                        continue;
                int r = out ? strextendf_with_separator(&out, "/", "%02x.%u", a.slot, a.function)
                            : strextendf_with_separator(&out, NULL, "%s", tok);
                if (r < 0)
                        return r;
        }
        if (!out)
                return -ENODEV;
        *ret = TAKE_PTR(out);
        return 0;
}

/* The one child function SLOT.FUNCTION in the device directory DIR (a bridge's secondary bus). */
static int find_child(const char *dir, uint8_t slot, uint8_t function, PciAddress *ret) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        int found = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                PciAddress a;
                if (pci_address_parse(de->d_name, &a) < 0 || !pci_address_is_canonical(de->d_name))
                        continue;
                if (a.slot == slot && a.function == function) {
                        /* A VF of a device behind the bridge sits here too, on a higher bus: the child is
                         * the one with the lowest bus number. */
                        if (found && pci_address_compare(&a, ret) > 0)
                                continue;
                        *ret = a;
                        found = 1;
                }
        }
        return found ? 0 : -ENODEV;
}

int pci_path_resolve(const char *root, const PciPath *p, PciAddress *ret) {
        char path[PATH_MAX], dir[PATH_MAX], name[PCI_ADDRESS_MAX];
        PciAddress a = p->start;

        if (!realpath(root_path(path, root, "/sys/bus/pci/devices/%s", pci_address_format(&a, name)), dir))
                return errno == ENOENT ? -ENODEV : -errno;
        /* The first function must hang off a root bus, as the kernel's path form means. */
        char *slash = strrchr(dir, '/');
        if (!slash)
                return -ENODEV;
        *slash = 0;
        char *parent = strrchr(dir, '/');
        if (!parent || strncmp(parent + 1, "pci", 3) != 0)
                return -ENODEV;
        *slash = '/';
        for (size_t i = 0; i < p->n_hops; i++) {
                int r = find_child(dir, p->slot[i], p->function[i], &a);
                if (r < 0)
                        return r;
                size_t n = strlen(dir);
                if (n + 1 + PCI_ADDRESS_MAX >= sizeof(dir))
                        return -ENAMETOOLONG;
                dir[n] = '/';
                pci_address_format(&a, dir + n + 1);
        }
        *ret = a;
        return 0;
}

/* "ADDR=VVVV:DDDD,..." of the group's members, sorted; "none" without a group. */
static int group_members(const char *root, const char *name, char **ret) {
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_free_ char *group = NULL, *out = NULL;
        _cleanup_free_ PciAddress *members = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        size_t n = 0;
        int r;

        r = read_link_basename(device_attr_path(path, root, name, "iommu_group"), &group);
        if (r == -ENOENT)
                return (*ret = strdup("none")) ? 0 : -ENOMEM;
        if (r < 0)
                return r;
        d = opendir(root_path(path, root, "/sys/kernel/iommu_groups/%s/devices", group));
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                PciAddress a;
                if (pci_address_parse(de->d_name, &a) < 0)
                        continue;
                if (!GREEDY_REALLOC(members, n + 1))
                        return -ENOMEM;
                members[n++] = a;
        }
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && pci_address_compare(&members[j - 1], &members[j]) > 0; j--) {
                        PciAddress t = members[j];
                        members[j] = members[j - 1];
                        members[j - 1] = t;
                }
        for (size_t i = 0; i < n; i++) {
                char m[PCI_ADDRESS_MAX];
                uint16_t vendor = 0, device = 0;
                pci_address_format(&members[i], m);
                /* A member that vanishes while listed is not a member. */
                if (read_hex16(root, m, "vendor", &vendor) < 0 || read_hex16(root, m, "device", &device) < 0)
                        continue;
                if (strextendf_with_separator(&out, ",", "%s=%04x:%04x", m, vendor, device) < 0)
                        return -ENOMEM;
        }
        *ret = out ? TAKE_PTR(out) : strdup("none");
        return *ret ? 0 : -ENOMEM;
}

/* The entry's strings move to *ret, which the caller stores in the snapshot's array. */
ANALYZER_OWNED_BY_ARRAY_BEGIN
int snapshot_entry_read(const char *root, const char *label, const char *name, SnapshotEntry *ret) {
        _cleanup_(snapshot_entry_done) SnapshotEntry e = { .revision = -1 };
        char path[PATH_MAX];
        unsigned long rev;
        int r;

        if (!pci_device_exists(root, name))
                return -ENODEV;
        snprintf(e.name, sizeof(e.name), "%s", name);
        if (!(e.label = strdup(label)))
                return -ENOMEM;
        if ((r = read_hex16(root, name, "vendor", &e.vendor)) < 0 || (r = read_hex16(root, name, "device", &e.device)) < 0)
                return r == -ENOENT ? -ENODEV : r;
        /* Older or captured trees may lack the subsystem ids; 0000:0000 then stands for "not read". */
        (void) read_hex16(root, name, "subsystem_vendor", &e.subsystem_vendor);
        (void) read_hex16(root, name, "subsystem_device", &e.subsystem_device);
        if (read_attr_hex(device_attr_path(path, root, name, "revision"), &rev) >= 0)
                e.revision = (int) (rev & 0xff);
        if (pci_device_serial(root, name, &e.serial_state, &e.serial) < 0)
                e.serial_state = SERIAL_UNREADABLE;
        r = pci_device_path(root, name, &e.path);
        if (r == -ENOMEM)
                return r;
        r = group_members(root, name, &e.members);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && !(e.members = strdup("none")))
                return -ENOMEM;
        *ret = e;
        e = (SnapshotEntry) {};
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

void snapshot_entry_done(SnapshotEntry *e) {
        free(e->label);
        free(e->path);
        free(e->members);
        *e = (SnapshotEntry) {};
}

int snapshot_add(Snapshot *s, SnapshotEntry *e) {
        if (!GREEDY_REALLOC(s->entries, s->n + 1)) {
                snapshot_entry_done(e);
                return -ENOMEM;
        }
        s->entries[s->n++] = *e;
        *e = (SnapshotEntry) {};
        return 0;
}

void snapshot_done(Snapshot *s) {
        for (size_t i = 0; i < s->n; i++)
                snapshot_entry_done(&s->entries[i]);
        free(s->entries);
        *s = (Snapshot) {};
}

static void serial_text(const SnapshotEntry *e, char buf[static PCI_SERIAL_MAX]) {
        if (e->serial_state == SERIAL_KNOWN)
                pci_serial_format(e->serial, buf);
        else
                snprintf(buf, PCI_SERIAL_MAX, "%s", e->serial_state == SERIAL_NONE ? "none" : "unreadable");
}

static char *entry_format(const SnapshotEntry *e) {
        char serial[PCI_SERIAL_MAX], rev[16];
        serial_text(e, serial);
        if (e->revision >= 0)
                snprintf(rev, sizeof(rev), "%02x", (unsigned) e->revision & 0xffu);
        else
                snprintf(rev, sizeof(rev), "unknown");
        return format_alloc("function label=%s address=%s id=%04x:%04x subsystem=%04x:%04x revision=%s serial=%s "
                            "path=%s group=%s\n",
                            e->label, e->name, e->vendor, e->device, e->subsystem_vendor, e->subsystem_device, rev,
                            serial, e->path ?: "unknown", e->members ?: "none");
}

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

static int snapshot_format(const Snapshot *s, char **ret) {
        _cleanup_free_ char *text = NULL;
        int r = strdup_printf(&text,
                              "# vfio-bind snapshot: what each configured function was when it was taken. Every boot\n"
                              "# compares against it; take a new one with 'vfio-bind snapshot' after checking the\n"
                              "# hardware.\nversion %d\n",
                              SNAPSHOT_VERSION);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_free_ char *line = entry_format(&s->entries[i]);
                if (!line || strextendf_with_separator(&text, NULL, "%s", line) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(text);
        return 0;
}

int snapshot_save_at(int dir_fd, const Snapshot *s) {
        _cleanup_free_ char *text = NULL;
        int fd, r;

        r = snapshot_format(s, &text);
        if (r < 0)
                return r;
        /* Readers (the next boot, the initramfs hooks) never see half a file. */
        (void) unlinkat(dir_fd, ".snapshot.tmp", 0);
        fd = openat(dir_fd, ".snapshot.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        r = write_all(fd, text, strlen(text));
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        if (r >= 0 && renameat(dir_fd, ".snapshot.tmp", dir_fd, "snapshot") < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, ".snapshot.tmp", 0);
        return r;
}

int snapshot_save(const char *root, const Snapshot *s) {
        _cleanup_close_ int dir_fd = -1;
        char path[PATH_MAX];

        /* /var/lib exists on any installed system; under --root it may not. */
        static const char *const dirs[] = { "/var", "/var/lib", SNAPSHOT_DIR };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdir(root_path(path, root, "%s", dirs[i]), 0755) < 0 && errno != EEXIST)
                        return -errno;
        dir_fd = open(path, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return snapshot_save_at(dir_fd, s);
}

static int parse_ids(const char *v, uint16_t *a, uint16_t *b) {
        unsigned x, y;
        int n = 0;
        if (strlen(v) != 9 || sscanf(v, "%4x:%4x%n", &x, &y, &n) != 2 || n != 9)
                return -EBADMSG;
        *a = (uint16_t) x;
        *b = (uint16_t) y;
        return 0;
}

static bool value_is_token(const char *v) {
        if (!*v)
                return false;
        for (; *v; v++)
                if (!isgraph((unsigned char) *v))
                        return false;
        return true;
}

static int parse_entry(char *line, SnapshotEntry *ret) {
        _cleanup_(snapshot_entry_done) SnapshotEntry e = { .revision = -1 };
        unsigned seen = 0;

        for (char *save = NULL, *tok = strtok_r(line + strlen("function "), " ", &save); tok;
             tok = strtok_r(NULL, " ", &save)) {
                char *v = strchr(tok, '=');
                if (!v)
                        return -EBADMSG;
                *v++ = 0;
                if (!value_is_token(v))
                        return -EBADMSG;
                if (streq(tok, "label")) {
                        if (!(e.label = strdup(v)))
                                return -ENOMEM;
                        seen |= 1;
                } else if (streq(tok, "address")) {
                        PciAddress a;
                        if (pci_address_parse(v, &a) < 0)
                                return -EBADMSG;
                        pci_address_format(&a, e.name);
                        seen |= 2;
                } else if (streq(tok, "id")) {
                        if (parse_ids(v, &e.vendor, &e.device) < 0)
                                return -EBADMSG;
                        seen |= 4;
                } else if (streq(tok, "subsystem")) {
                        if (parse_ids(v, &e.subsystem_vendor, &e.subsystem_device) < 0)
                                return -EBADMSG;
                } else if (streq(tok, "revision")) {
                        char *end;
                        unsigned long r = strtoul(v, &end, 16);
                        if (streq(v, "unknown"))
                                e.revision = -1;
                        else if (*end || r > 0xff)
                                return -EBADMSG;
                        else
                                e.revision = (int) r;
                } else if (streq(tok, "serial")) {
                        if (streq(v, "none"))
                                e.serial_state = SERIAL_NONE;
                        else if (streq(v, "unreadable"))
                                e.serial_state = SERIAL_UNREADABLE;
                        else if (pci_serial_parse(v, &e.serial) >= 0)
                                e.serial_state = SERIAL_KNOWN;
                        else
                                return -EBADMSG;
                } else if (streq(tok, "path")) {
                        if (!streq(v, "unknown") && !(e.path = strdup(v)))
                                return -ENOMEM;
                } else if (streq(tok, "group")) {
                        if (!(e.members = strdup(v)))
                                return -ENOMEM;
                }
                /* Other keys are from a newer minor revision of the format: kept compatible by ignoring. */
        }
        if (seen != 7)
                return -EBADMSG;
        *ret = e;
        e = (SnapshotEntry) {};
        return 0;
}

int snapshot_load(const char *root, Snapshot *ret, unsigned *ret_line) {
        char path[PATH_MAX];
        return snapshot_load_path(root_path(path, root, SNAPSHOT_FILE), ret, ret_line);
}

int snapshot_load_path(const char *path, Snapshot *ret, unsigned *ret_line) {
        _cleanup_snapshot_ Snapshot s = {};
        _cleanup_free_ char *text = NULL;
        size_t size;
        unsigned line = 0;
        bool versioned = false;
        int r;

        r = read_full_file(path, &text, &size);
        if (r < 0)
                return r;
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                line++; /* blank lines are folded by strtok_r: the file has none of its own */
                if (*l == '#')
                        continue;
                if (!versioned) {
                        int v;
                        if (sscanf(l, "version %d", &v) != 1)
                                goto bad;
                        if (v != SNAPSHOT_VERSION)
                                return -EPROTONOSUPPORT;
                        versioned = true;
                        continue;
                }
                if (strncmp(l, "function ", strlen("function ")) != 0)
                        goto bad;
                SnapshotEntry e;
                r = parse_entry(l, &e);
                if (r == -EBADMSG)
                        goto bad;
                if (r < 0)
                        return r;
                r = snapshot_add(&s, &e);
                if (r < 0)
                        return r;
        }
        if (!versioned)
                goto bad;
        *ret = s;
        s = (Snapshot) {};
        return 0;
bad:
        if (ret_line)
                *ret_line = line;
        return -EBADMSG;
}

const SnapshotEntry *snapshot_find(const Snapshot *s, const char *label, const char *name, bool by_label_alone) {
        const SnapshotEntry *only = NULL;
        size_t n_label = 0;

        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++) {
                if (!streq(s->entries[i].label, label))
                        continue;
                if (streq(s->entries[i].name, name))
                        return &s->entries[i];
                only = &s->entries[i];
                n_label++;
        }
        return by_label_alone && n_label == 1 ? only : NULL;
}

/* WAS and NOW move into the list's array (freed here on failure). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int drift_add(DriftList *l, const char *field, char *was, char *now) {
        if (!was || !now || !GREEDY_REALLOC(l->drifts, l->n + 1)) {
                free(was);
                free(now);
                return -ENOMEM;
        }
        l->drifts[l->n++] = (Drift) { .field = field, .was = was, .now = now };
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

/* The strings it makes move into the drift list's array through drift_add(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
int snapshot_compare(const SnapshotEntry *was, const SnapshotEntry *now, DriftList *ret) {
        _cleanup_(drift_list_done) DriftList l = {};
        int r = 0;

        if (was->vendor != now->vendor || was->device != now->device)
                r = drift_add(&l, "id", format_alloc("%04x:%04x", was->vendor, was->device),
                              format_alloc("%04x:%04x", now->vendor, now->device));
        if (r >= 0 && (was->subsystem_vendor != now->subsystem_vendor || was->subsystem_device != now->subsystem_device))
                r = drift_add(&l, "subsystem", format_alloc("%04x:%04x", was->subsystem_vendor, was->subsystem_device),
                              format_alloc("%04x:%04x", now->subsystem_vendor, now->subsystem_device));
        if (r >= 0 && was->revision >= 0 && now->revision >= 0 && was->revision != now->revision)
                r = drift_add(&l, "revision", format_alloc("%02x", (unsigned) was->revision),
                              format_alloc("%02x", (unsigned) now->revision));
        if (r >= 0 && was->serial_state != SERIAL_UNREADABLE && now->serial_state != SERIAL_UNREADABLE &&
            (was->serial_state != now->serial_state || was->serial != now->serial)) {
                char a[PCI_SERIAL_MAX], b[PCI_SERIAL_MAX];
                serial_text(was, a);
                serial_text(now, b);
                r = drift_add(&l, "serial", strdup(a), strdup(b));
        }
        if (r >= 0 && was->path && now->path && !streq(was->path, now->path))
                r = drift_add(&l, "path", strdup(was->path), strdup(now->path));
        if (r >= 0 && !streq_ptr(was->members, now->members))
                r = drift_add(&l, "group", strdup(strna(was->members)), strdup(strna(now->members)));
        if (r < 0)
                return r;
        *ret = l;
        l = (DriftList) {};
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

char *drift_list_summary(const DriftList *l) {
        char *out = NULL;
        for (size_t i = 0; i < l->n; i++)
                if (strextendf_with_separator(&out, "; ", "%s was %s, now %s", l->drifts[i].field, l->drifts[i].was,
                                              l->drifts[i].now) < 0) {
                        free(out);
                        return NULL;
                }
        return out;
}

void drift_list_done(DriftList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->drifts[i].was);
                free(l->drifts[i].now);
        }
        free(l->drifts);
        *l = (DriftList) {};
}

int snapshot_take(const Run *run, Snapshot *ret, char **ret_missing) {
        _cleanup_snapshot_ Snapshot s = {};
        _cleanup_free_ char *missing = NULL;
        int r;

        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                SnapshotEntry e;
                r = snapshot_entry_read(run->root, device_report_label(d), d->name, &e);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (strextendf_with_separator(&missing, ", ", "%s [%s]", d->name, device_report_label(d)) < 0)
                                return -ENOMEM;
                        continue;
                }
                r = snapshot_add(&s, &e);
                if (r < 0)
                        return r;
        }
        *ret = s;
        s = (Snapshot) {};
        *ret_missing = TAKE_PTR(missing);
        return 0;
}
