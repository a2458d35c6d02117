/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>

#include "alloc-util.h"
#include "cmdline.h"
#include "fileio.h"
#include "host-facts.h"
#include "macro.h"
#include "sysroot.h"

/* A PCI function has six BARs: the first six lines of its resource file. */
#define PCI_STD_NUM_BARS 6

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
                size_t have = keep + (size_t)n;
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

int host_taint_read(const char *root, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX], *end = NULL;
        int r;

        r = read_attr(root_path(path, root, "/proc/sys/kernel/tainted"), &text);
        if (r < 0)
                return r;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno != 0 || end == text || *end != 0 || text[0] == '-')
                return -EBADMSG;
        *ret = v;
        return 0;
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

/* One line of /proc/iomem: "  START-END : NAME", kept when NAME is a firmware framebuffer. */
/* The name belongs to f->framebuffers, freed by host_facts_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_framebuffer_line(char *line, void *userdata) {
        static const char *const names[] = { "BOOTFB", "efifb", "vesafb", "simpledrm", "simple-framebuffer" };
        HostFacts *f = userdata;
        uint64_t start, end;
        bool fb = false;
        int n = 0;

        if (sscanf(line, " %" SCNx64 "-%" SCNx64 " : %n", &start, &end, &n) < 2 || n == 0)
                return 0;
        const char *name = line + n;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                fb = fb || strstr(name, names[i]);
        if (!fb || end == 0)
                return 0;
        if (!GREEDY_REALLOC(f->framebuffers, f->n_framebuffers + 1))
                return -ENOMEM;
        f->framebuffers[f->n_framebuffers] = (FramebufferRange){ start, end, strdup(name) };
        if (!f->framebuffers[f->n_framebuffers].name)
                return -ENOMEM;
        f->n_framebuffers++;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

static int load_framebuffers(HostFacts *f, const char *root) {
        char path[PATH_MAX];
        int r;

        r = read_file_lines(root_path(path, root, "/proc/iomem"), add_framebuffer_line, f);
        return r == -ENOENT ? 0 : r;
}

/* Storage: what is mounted, and in the initramfs what the image recorded. A record that is missing or not
 * of this machine is no error: the decisions then know less, and say so. */
static int load_storage(HostFacts *f, const char *root, HostFactsFlags flags) {
        int r;

        r = storage_load_mounts(&f->storage, root);
        if (r < 0)
                return r;
        if (flags & HOST_FACTS_RECORDED_STORAGE) {
                r = storage_load_record(&f->storage, root);
                if (r < 0 && r != -ENOENT && r != -ESTALE)
                        f->recorded_storage_error = r;
        }
        return 0;
}

/* The network: what carries it now, and in the boot stages, before it is configured, the record of the
 * initramfs image when it describes this machine. */
static int load_network(HostFacts *f, const char *root, HostFactsFlags flags) {
        int r;

        f->boot = flags & HOST_FACTS_BOOT;
        f->initramfs = flags & HOST_FACTS_RECORDED_NETWORK;
        r = network_load_live(&f->network, root);
        if (r < 0)
                return r;
        f->recorded_network_error = -ENOENT;
        if (f->network.known)
                return 0;
        if (flags & (HOST_FACTS_RECORDED_NETWORK | HOST_FACTS_NETWORK_HANDOFF)) {
                r = network_load_record(&f->network, root,
                                        flags & HOST_FACTS_RECORDED_NETWORK ? NETWORK_RECORD : NETWORK_RECORD_HANDOFF);
                if (r == -ENOMEM)
                        return r;
                f->recorded_network_error = r;
        }
        return 0;
}

int host_facts_load(const char *root, HostFactsFlags flags, HostFacts *ret) {
        _cleanup_host_facts_ HostFacts f = {};
        char path[PATH_MAX];
        int r;

        f.iommu_enabled = dir_has_entries(root_path(path, root, "/sys/kernel/iommu_groups")) ||
                          dir_has_entries(root_path(path, root, "/sys/class/iommu"));
        f.cpu_vendor = read_cpu_vendor(root);
        f.interrupt_remapping = file_contains(root_path(path, root, "/proc/interrupts"), "IR-");

        r = cmdline_read(root, &f.cmdline);
        if (r < 0 && r != -ENOENT)
                return r;
        f.unsafe_interrupts_allowed = cmdline_get_bool(f.cmdline, "vfio_iommu_type1.allow_unsafe_interrupts") == 1;

        if (flags & HOST_FACTS_UDEV)
                f.udev_running = host_udev_running(root);
        r = load_storage(&f, root, flags);
        if (r < 0)
                return r;
        r = load_framebuffers(&f, root);
        if (r < 0)
                return r;
        r = load_network(&f, root, flags);
        if (r < 0)
                return r;
        r = keyboards_load(&f.keyboards, root);
        if (r < 0)
                return r;

        *ret = f;
        f = (HostFacts){};
        return 0;
}

void host_facts_done(HostFacts *f) {
        storage_done(&f->storage);
        network_done(&f->network);
        keyboards_done(&f->keyboards);
        for (size_t i = 0; i < f->n_framebuffers; i++)
                free(f->framebuffers[i].name);
        free(f->framebuffers);
        free(f->cmdline);
        *f = (HostFacts){};
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
        /* The BARs: "start end flags" in hex. */
        for (char *line = strtok_r(text, "\n", &save); line && bar < PCI_STD_NUM_BARS;
             line = strtok_r(NULL, "\n", &save), bar++) {
                uint64_t start, end, flags;
                if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &start, &end, &flags) != 3 || end == 0)
                        continue;
                /* /proc/iomem lists a region before the regions inside it: the last match is the innermost,
                 * the driver's own claim ("efifb", "simpledrm") inside the firmware's "BOOTFB". The driver
                 * is what the advice has to name. */
                const FramebufferRange *found = NULL;
                for (size_t i = 0; i < f->n_framebuffers; i++)
                        if (f->framebuffers[i].start >= start && f->framebuffers[i].start <= end)
                                found = &f->framebuffers[i];
                if (found)
                        return found;
        }
        return NULL;
}
