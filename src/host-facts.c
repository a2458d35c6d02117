/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>

#include "alloc-util.h"
#include "fileio.h"
#include "host-facts.h"
#include "macro.h"
#include "string-util.h"
#include "sysroot.h"

static bool dir_has_entries(const char *path) {
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return false;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        return true;
        return false;
}

/* Does the file at PATH contain NEEDLE? Reads in fixed chunks and stops at the first match: on a
 * large host /proc/interrupts runs to megabytes (a line per vector, a column per CPU), and the
 * interrupt-remapping marker is in its first lines. */
static bool file_contains(const char *path, const char *needle) {
        _cleanup_close_ int fd = -1;
        char buf[16384];
        size_t keep = 0, nlen = strlen(needle);

        if (nlen == 0 || nlen >= sizeof(buf) / 2)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return false;
        for (;;) {
                ssize_t n = read(fd, buf + keep, sizeof(buf) - keep);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                size_t have = keep + (size_t) n;
                if (memmem(buf, have, needle, nlen))
                        return true;
                /* A match may straddle two reads: carry the tail over. */
                keep = have < nlen - 1 ? have : nlen - 1;
                memmove(buf, buf + have - keep, keep);
        }
}

/* Is a udev daemon running? Its control socket is no answer: in a systemd initrd the socket unit listens
 * long before systemd-udevd starts, so look for the process itself. */
bool host_udev_running(const char *root) {
        _cleanup_closedir_ DIR *d = NULL;
        char path[PATH_MAX];
        struct dirent *de;

        d = opendir(root_path(path, root, "/proc"));
        if (!d)
                return false;
        while ((de = readdir(d))) {
                _cleanup_free_ char *comm = NULL;
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                if (read_attr(root_path(path, root, "/proc/%s/comm", de->d_name), &comm) < 0)
                        continue; /* exited meanwhile */
                if (streq(comm, "systemd-udevd") || streq(comm, "udevd"))
                        return true;
        }
        return false;
}

static CpuVendor read_cpu_vendor(const char *root) {
        _cleanup_close_ int fd = -1;
        char path[PATH_MAX], buf[4096];
        ssize_t n;

        /* vendor_id is on the first lines: no need to read the whole file, which is large on big hosts. */
        fd = open(root_path(path, root, "/proc/cpuinfo"), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return CPU_VENDOR_UNKNOWN;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return CPU_VENDOR_UNKNOWN;
        buf[n] = 0;
        if (strstr(buf, "GenuineIntel"))
                return CPU_VENDOR_INTEL;
        if (strstr(buf, "AuthenticAMD") || strstr(buf, "HygonGenuine"))
                return CPU_VENDOR_AMD;
        return CPU_VENDOR_UNKNOWN;
}

const char *iommu_enable_hint(CpuVendor v) {
        switch (v) {
        case CPU_VENDOR_INTEL:
                return "enable VT-d in the firmware setup and add intel_iommu=on to the kernel command line";
        case CPU_VENDOR_AMD:
                return "enable AMD-Vi/IOMMU in the firmware setup and add amd_iommu=on to the kernel command line";
        default:
                return "enable the IOMMU in the firmware setup and add intel_iommu=on (Intel) or amd_iommu=on (AMD) "
                       "to the kernel command line";
        }
}

int cmdline_get_bool(const char *cmdline, const char *key) {
        size_t klen = strlen(key);
        int result = -ENOENT;

        if (!cmdline)
                return -ENOENT;
        for (const char *p = cmdline; *p;) {
                while (isspace((unsigned char) *p))
                        p++;
                const char *word = p;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                size_t wlen = p - word;
                if (wlen < klen || memcmp(word, key, klen) != 0)
                        continue;
                if (wlen == klen) {
                        result = 1;
                        continue;
                }
                if (word[klen] != '=')
                        continue;
                char value[16];
                size_t vlen = wlen - klen - 1;
                if (vlen >= sizeof(value)) {
                        result = -EINVAL;
                        continue;
                }
                memcpy(value, word + klen + 1, vlen);
                value[vlen] = 0;
                if (strcasecmp(value, "1") == 0 || strcasecmp(value, "yes") == 0 || strcasecmp(value, "y") == 0 ||
                    strcasecmp(value, "true") == 0 || strcasecmp(value, "on") == 0)
                        result = 1;
                else if (strcasecmp(value, "0") == 0 || strcasecmp(value, "no") == 0 ||
                         strcasecmp(value, "n") == 0 || strcasecmp(value, "false") == 0 ||
                         strcasecmp(value, "off") == 0)
                        result = 0;
                else
                        result = -EINVAL;
        }
        return result;
}

static void mounted_block_done(MountedBlock *m) {
        for (size_t i = 0; i < m->n_pci_paths; i++)
                free(m->pci_paths[i]);
        free(m->pci_paths);
        free(m->mountpoint);
        free(m->source);
        *m = (MountedBlock) {};
}

static int add_path(MountedBlock *m, const char *path) {
        if (!GREEDY_REALLOC(m->pci_paths, m->n_pci_paths + 1))
                return -ENOMEM;
        if (!(m->pci_paths[m->n_pci_paths] = strdup(path)))
                return -ENOMEM;
        m->n_pci_paths++;
        return 0;
}

/* Follow a block device down to the hardware: device-mapper and md devices are virtual, their slaves/
 * are the disks (possibly virtual again: LVM on dm-crypt on a partition). */
static int resolve_block(const char *root, const char *syspath, MountedBlock *m, unsigned depth) {
        char real[PATH_MAX], path[PATH_MAX];
        _cleanup_closedir_ DIR *slaves = NULL;
        struct dirent *de;
        int r;

        if (depth > 8 || !realpath(syspath, real))
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
                        *o++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
                        s += 4;
                } else
                        *o++ = *s++;
        }
        *o = 0;
        return out;
}

static int load_mounts(const char *root, HostFacts *f) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        char *save = NULL;
        int r;

        r = read_full_file(root_path(path, root, "/proc/self/mountinfo"), &text, NULL);
        if (r < 0)
                return r == -ENOENT ? 0 : r;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned major, minor;
                char mnt[PATH_MAX], fstype[64] = "", source[PATH_MAX] = "";
                int n = 0;

                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
                if (sscanf(line, "%*u %*u %u:%u %*s %4095s %n", &major, &minor, mnt, &n) < 3)
                        continue;
                const char *dash = strstr(line, " - ");
                if (dash)
                        sscanf(dash + 3, "%63s %4095s", fstype, source);
                bool is_root = streq(mnt, "/");

                MountedBlock m = {};
                char dev[PATH_MAX];
                if (major != 0)
                        r = resolve_block(root, root_path(dev, root, "/sys/dev/block/%u:%u", major, minor), &m, 0);
                else if (strncmp(source, "/dev/", 5) == 0 && !strchr(source + 5, '/'))
                        /* btrfs shows an anonymous device number, but names its device as the source. */
                        r = resolve_block(root, root_path(dev, root, "/sys/class/block/%s", source + 5), &m, 0);
                else {
                        /* tmpfs, proc, overlay... and zfs or nfs, which do not say where they live. Only "/"
                         * matters then: without knowing its controller, no storage controller is safe. */
                        if (is_root && !streq(fstype, "rootfs") && !streq(fstype, "tmpfs") &&
                            !streq(fstype, "ramfs")) {
                                free(f->root_unknown);
                                f->root_unknown = format_alloc("%s '%s'", fstype, source);
                                if (!f->root_unknown)
                                        return -ENOMEM;
                        }
                        continue;
                }
                if (r < 0 || m.n_pci_paths == 0) {
                        mounted_block_done(&m);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (is_root)
                        f->root_located = true;
                m.mountpoint = unescape_mountinfo(mnt);
                m.source = strdup(source);
                if (!m.mountpoint || !m.source || !GREEDY_REALLOC(f->mounts, f->n_mounts + 1)) {
                        mounted_block_done(&m);
                        return -ENOMEM;
                }
                f->mounts[f->n_mounts++] = m;
        }
        return 0;
}

static int load_framebuffers(const char *root, HostFacts *f) {
        static const char *const names[] = { "BOOTFB", "efifb", "vesafb", "simpledrm", "simple-framebuffer" };
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        char *save = NULL;
        int r;

        r = read_full_file(root_path(path, root, "/proc/iomem"), &text, NULL);
        if (r < 0)
                return r == -ENOENT ? 0 : r;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                uint64_t start, end;
                int n = 0;
                if (sscanf(line, " %" SCNx64 "-%" SCNx64 " : %n", &start, &end, &n) < 2 || n == 0)
                        continue;
                const char *name = line + n;
                bool fb = false;
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        fb = fb || strstr(name, names[i]);
                if (!fb || end == 0)
                        continue;
                if (!GREEDY_REALLOC(f->framebuffers, f->n_framebuffers + 1))
                        return -ENOMEM;
                f->framebuffers[f->n_framebuffers] = (FramebufferRange) { start, end, strdup(name) };
                if (!f->framebuffers[f->n_framebuffers].name)
                        return -ENOMEM;
                f->n_framebuffers++;
        }
        return 0;
}

int host_facts_load(const char *root, HostFacts *ret) {
        HostFacts f = {};
        char path[PATH_MAX];
        int r;

        f.iommu_enabled = dir_has_entries(root_path(path, root, "/sys/kernel/iommu_groups")) ||
                          dir_has_entries(root_path(path, root, "/sys/class/iommu"));
        f.cpu_vendor = read_cpu_vendor(root);

        f.interrupt_remapping = file_contains(root_path(path, root, "/proc/interrupts"), "IR-");

        r = read_attr(root_path(path, root, "/proc/cmdline"), &f.cmdline);
        if (r < 0 && r != -ENOENT)
                goto fail;
        f.unsafe_interrupts_allowed =
                cmdline_get_bool(f.cmdline, "vfio_iommu_type1.allow_unsafe_interrupts") == 1;

        r = load_mounts(root, &f);
        if (r < 0)
                goto fail;
        r = load_framebuffers(root, &f);
        if (r < 0)
                goto fail;

        *ret = f;
        return 0;
fail:
        host_facts_clear(&f);
        return r;
}

void host_facts_clear(HostFacts *f) {
        for (size_t i = 0; i < f->n_mounts; i++)
                mounted_block_done(&f->mounts[i]);
        free(f->mounts);
        for (size_t i = 0; i < f->n_framebuffers; i++)
                free(f->framebuffers[i].name);
        free(f->framebuffers);
        free(f->cmdline);
        free(f->root_unknown);
        *f = (HostFacts) {};
}

static bool path_has_component(const char *path, const char *component) {
        size_t n = strlen(component);
        for (const char *p = strstr(path, component); p; p = strstr(p + 1, component))
                if (p > path && p[-1] == '/' && (p[n] == '/' || p[n] == 0))
                        return true;
        return false;
}

int host_facts_mounts_on(const HostFacts *f, const char *device, char **ret) {
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
        *ret = list;
        return 0;
}

const FramebufferRange *host_facts_framebuffer_on(const HostFacts *f, const char *root, const char *device) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        char *save = NULL;
        unsigned bar = 0;

        if (f->n_framebuffers == 0)
                return NULL;
        if (read_full_file(device_attr_path(path, root, device, "resource"), &text, NULL) < 0)
                return NULL;
        /* Lines 0-5 are the BARs: "start end flags" in hex. */
        for (char *line = strtok_r(text, "\n", &save); line && bar < 6; line = strtok_r(NULL, "\n", &save), bar++) {
                uint64_t start, end, flags;
                if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &start, &end, &flags) != 3 || end == 0)
                        continue;
                for (size_t i = 0; i < f->n_framebuffers; i++)
                        if (f->framebuffers[i].start >= start && f->framebuffers[i].start <= end)
                                return &f->framebuffers[i];
        }
        return NULL;
}

/* The PCI functions in a sysfs device path: every component shaped like a canonical address. */
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

int host_facts_write_storage(const HostFacts *f, const char *root, FILE *out) {
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
                        r = host_facts_mounts_on(f, functions[i], &mounts);
                /* The ids let the initramfs tell a record of this machine from one made elsewhere. */
                if (r >= 0 && mounts &&
                    read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/vendor", functions[i]), &vendor) >= 0 &&
                    read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/device", functions[i]), &device) >= 0)
                        fprintf(out, "%s\t%04lx:%04lx\t%s\n", functions[i], vendor, device, mounts);
                free(functions[i]);
        }
        free(functions);
        return r;
}

int host_facts_add_recorded_storage(HostFacts *f, const char *root) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        char *save = NULL;
        size_t added = 0;
        int r;

        r = read_full_file(root_path(path, root, STORAGE_RECORD), &text, NULL);
        if (r < 0)
                return r;

        /* Check every line first: one that does not match this machine means the image was built
         * elsewhere (a chroot, another host), and then none of it can be trusted. */
        _cleanup_free_ char *copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char addr[PCI_ADDRESS_MAX + 8];
                unsigned vendor, device;
                unsigned long v, d;
                if (sscanf(line, "%31s %4x:%4x", addr, &vendor, &device) != 3 || !pci_address_is_canonical(addr))
                        return -ESTALE;
                if (read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/vendor", addr), &v) < 0 ||
                    read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/device", addr), &d) < 0 ||
                    v != vendor || d != device)
                        return -ESTALE;
        }

        save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
                if (!tab2)
                        return -ESTALE;
                *tab1 = 0;
                MountedBlock m = {};
                /* A path whose only PCI component is the function: what host_facts_mounts_on() matches. */
                char *fake = format_alloc("/recorded/%s", line);
                m.mountpoint = format_alloc("%s (recorded when the initramfs was built)", tab2 + 1);
                m.source = strdup("");
                m.pci_paths = calloc(1, sizeof(char *));
                MountedBlock *a = realloc(f->mounts, (f->n_mounts + 1) * sizeof(*a));
                if (!fake || !m.mountpoint || !m.source || !m.pci_paths || !a) {
                        free(fake);
                        free(m.mountpoint);
                        free(m.source);
                        free(m.pci_paths);
                        if (a)
                                f->mounts = a;
                        return -ENOMEM;
                }
                m.pci_paths[0] = fake;
                m.n_pci_paths = 1;
                f->mounts = a;
                f->mounts[f->n_mounts++] = m;
                added++;
        }
        /* An empty record says the builder could not see where "/" lives: no better than none. */
        if (added == 0)
                return -ESTALE;
        f->root_located = true;
        return 0;
}
