/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests of the tree builder and of the preloaded kernel simulator. Stores are
 * done with plain open/write/close so they go through the simulator's write();
 * run with LD_PRELOAD=libvfio-bind-kernel-sim.so (meson test does). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim-util.h"
#include "simtree.h"

static char *root;

#define GPU "0000:01:00.0"
#define AUDIO "0000:01:00.1"
#define GPU_DIR "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0"

/* A small host; %s is the IOMMU state, the second %s vfio_pci's module state. */
static const char small_host[] =
        "host iommu=%s ir=on cpu=intel\n"
        "module pcieportdrv state=builtin\n"
        "module vfio state=live\n"
        "module vfio_pci state=%s deps=vfio\n"
        "driver pcieport module=pcieportdrv classes=060400\n"
        "driver nouveau ids=10de:2684\n"
        "driver snd_hda_intel ids=10de:22ba classes=040300/ffff00\n"
        "driver qat_c62x ids=8086:37c8\n"
        "driver vfio-pci module=vfio_pci\n"
        "device 0000:00:01.0 id=8086:a70d class=0x060400 group=1 driver=pcieport\n"
        "device 0000:01:00.0 parent=0000:00:01.0 id=10de:2684 class=0x030000 group=1 driver=nouveau reset=flr,bus "
        "bar0=0x82000000,16M,mem bar1=0x4200000000,256M,pref\n"
        "device 0000:01:00.1 parent=0000:00:01.0 id=10de:22ba class=0x040300 group=1 driver=snd_hda_intel\n"
        "device 0000:00:05.0 id=8086:37c8 class=0x0b4000 group=3 driver=qat_c62x\n";

static void build_small(const char *iommu, const char *vfio_state) {
        char text[sizeof(small_host) + 64];
        snprintf(text, sizeof(text), small_host, iommu, vfio_state);
        ck_assert_int_eq(sim_tree_build(root, text), 0);
}

static void build_example(void) {
        const char *dir = getenv("SIM_HOSTS_DIR");
        _cleanup_free_ char *p = sim_path("%s/example.host", dir ?: "hosts");
        ck_assert_int_eq(sim_tree_build_file(root, p), 0);
}

static void setup(void) {
        ck_assert_int_eq(sim_tree_mkdtemp(&root), 0);
        ck_assert_int_eq(setenv("VFIO_SIM_ROOT", root, 1), 0);
}

static void teardown(void) {
        unsetenv("VFIO_SIM_ROOT");
        (void) sim_tree_remove(root);
        free(root);
        root = NULL;
}

/* One store of exactly LEN bytes; 0 or -errno. */
static int store_n(const char *rel, const void *value, size_t len) {
        _cleanup_free_ char *p = sim_path("%s%s", root, rel);
        int fd, r = 0;
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, value, len);
        if (n < 0)
                r = -errno;
        else if ((size_t) n != len)
                r = -EIO;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

static int store(const char *rel, const char *value) {
        return store_n(rel, value, strlen(value));
}

static char *read_rel(const char *rel) {
        _cleanup_free_ char *p = sim_path("%s%s", root, rel);
        char *s = NULL;
        if (sim_read_file(p, &s, NULL) < 0)
                return NULL;
        return s;
}

static bool exists_rel(const char *rel) {
        _cleanup_free_ char *p = sim_path("%s%s", root, rel);
        return sim_exists(p);
}

static void assert_driver(const char *addr, const char *expected) {
        _cleanup_free_ char *d = NULL;
        ck_assert_int_eq(sim_device_driver(root, addr, &d), 0);
        if (expected)
                ck_assert_str_eq(d ?: "(unbound)", expected);
        else
                ck_assert_msg(!d, "%s unexpectedly bound to %s", addr, d);
}

static int load_module(const char *name) {
        struct kmod_ctx *ctx = kmod_new(NULL, NULL);
        struct kmod_list *list = NULL, *i;
        int r = -ENOENT;
        ck_assert_ptr_nonnull(ctx);
        ck_assert_int_eq(kmod_module_new_from_lookup(ctx, name, &list), 0);
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);
                r = kmod_module_probe_insert_module(m, 0, NULL, NULL, NULL, NULL);
                kmod_module_unref(m);
        }
        kmod_module_unref_list(list);
        kmod_unref(ctx);
        return r;
}

START_TEST(test_tree_layout) {
        _cleanup_free_ char *v = NULL, *ov = NULL, *rm = NULL, *bv = NULL, *mi = NULL, *it = NULL;
        char buf[4096];
        ssize_t n;

        build_example();
        v = read_rel(GPU_DIR "/vendor");
        ck_assert_str_eq(v, "0x10de\n");
        ov = read_rel(GPU_DIR "/driver_override");
        ck_assert_str_eq(ov, "(null)\n");
        rm = read_rel(GPU_DIR "/reset_method");
        ck_assert_str_eq(rm, "flr\n");
        bv = read_rel(GPU_DIR "/boot_vga");
        ck_assert_str_eq(bv, "0\n");
        ck_assert(!exists_rel("/sys/devices/pci0000:00/0000:00:17.0/reset_method"));
        ck_assert(!exists_rel("/sys/devices/pci0000:00/0000:00:17.0/boot_vga"));
        char link[4096];
        snprintf(link, sizeof(link), "%s" GPU_DIR "/iommu_group", root);
        n = readlink(link, buf, sizeof(buf) - 1);
        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        ck_assert_str_eq(buf, "../../../../kernel/iommu_groups/2");
        snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/" GPU "/driver", root);
        n = readlink(link, buf, sizeof(buf) - 1);
        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        ck_assert_str_eq(buf, "../../../../bus/pci/drivers/nouveau");
        assert_driver(AUDIO, "snd_hda_intel");
        ck_assert(exists_rel("/sys/kernel/iommu_groups/2/devices/" AUDIO));
        ck_assert(exists_rel("/sys/class/iommu/dmar0"));
        ck_assert(exists_rel("/sys/dev/block/259:2"));
        ck_assert(exists_rel("/sys/bus/pci/drivers/nouveau/module"));
        ck_assert(!exists_rel("/sys/bus/pci/drivers/vfio-pci"));
        ck_assert(!exists_rel("/sys/module/vfio_pci"));
        ck_assert(exists_rel("/sys/module/pcieportdrv/parameters"));
        ck_assert(!exists_rel("/sys/module/pcieportdrv/initstate"));
        mi = read_rel("/proc/self/mountinfo");
        ck_assert_ptr_nonnull(strstr(mi, " 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 "));
        it = read_rel("/proc/interrupts");
        ck_assert_ptr_nonnull(strstr(it, "IR-PCI-MSI"));
}
END_TEST

START_TEST(test_override_then_bind) {
        _cleanup_free_ char *ov = NULL, *raw = NULL;

        build_small("on", "live");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU "\n"), 0);
        assert_driver(GPU, NULL);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci\n"), 0);
        ck_assert_int_eq(sim_device_override(root, GPU, &ov), 0);
        ck_assert_str_eq(ov, "vfio-pci");
        raw = read_rel(GPU_DIR "/driver_override");
        ck_assert_str_eq(raw, "vfio-pci\n");
        /* Setting the override neither unbinds nor binds. */
        assert_driver(GPU, NULL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", GPU), 0);
        assert_driver(GPU, "vfio-pci");
        ck_assert(exists_rel("/sys/bus/pci/drivers/vfio-pci/" GPU));
        ck_assert(sim_vfio_group_exists(root, "1"));
        ck_assert(sim_vfio_group_exists(root, "vfio"));
        /* Unbinding the last vfio device of the group removes its node. */
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/unbind", GPU "\n"), 0);
        assert_driver(GPU, NULL);
        ck_assert(!sim_vfio_group_exists(root, "1"));
        ck_assert(!exists_rel("/sys/bus/pci/drivers/vfio-pci/" GPU));
}
END_TEST

START_TEST(test_override_clear_and_split_write) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        build_small("on", "live");
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci\nrest"), 0);
        a = read_rel(GPU_DIR "/driver_override");
        ck_assert_str_eq(a, "vfio-pci\n");
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "\n"), 0);
        b = read_rel(GPU_DIR "/driver_override");
        ck_assert_str_eq(b, "(null)\n");
        /* Two write() calls are two stores: the second, "\n", clears. */
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "\n"), 0);
        c = read_rel(GPU_DIR "/driver_override");
        ck_assert_str_eq(c, "(null)\n");
        /* An empty write never reaches store(): nothing changes. */
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "nouveau"), 0);
        ck_assert_int_eq(store_n(GPU_DIR "/driver_override", "", 0), 0);
        free(c);
        c = read_rel(GPU_DIR "/driver_override");
        ck_assert_str_eq(c, "nouveau\n");
        ck_assert_int_eq(sim_log_count(root, "driver_override len=9 data=\"vfio-pci\\n\" ret=9"), 0);
        ck_assert_int_eq(sim_log_count(root, "driver_override len=8 data=\"vfio-pci\" ret=8"), 1);
        ck_assert_int_eq(sim_log_count(root, "driver_override len=1 data=\"\\n\" ret=1"), 2);
        ck_assert_int_eq(sim_log_count(root, "driver_override len=0 data=\"\" ret=0"), 1);
}
END_TEST

START_TEST(test_bind_wrong_override_enodev) {
        build_small("on", "live");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), 0);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci\n"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/bind", GPU), -ENODEV);
        assert_driver(GPU, NULL);
        /* Unknown address, or one without its domain. */
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", "0000:09:00.0"), -ENODEV);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", "01:00.0"), -ENODEV);
        /* A driver whose table does not match and no override. */
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), -ENODEV);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/snd_hda_intel/unbind", AUDIO), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/bind", AUDIO), -ENODEV);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", AUDIO), -ENODEV);
        ck_assert_int_eq(sim_log_count(root, "drivers/nouveau/bind len=12 data=\"0000:01:00.0\" ret=-ENODEV"), 1);
}
END_TEST

START_TEST(test_bind_when_bound_ebusy) {
        build_small("on", "live");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/bind", GPU "\n"), -EBUSY);
        assert_driver(GPU, "nouveau");
}
END_TEST

START_TEST(test_drivers_probe_lies) {
        build_small("on", "live");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), 0);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "no-such-driver"), 0);
        /* Success although nothing bound: re-read the driver link. */
        ck_assert_int_eq(store("/sys/bus/pci/drivers_probe", GPU), 0);
        assert_driver(GPU, NULL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers_probe", "0000:0a:00.0"), -ENODEV);
        /* Cleared override: the id table brings the host driver back. */
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "\n"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers_probe", GPU "\n"), 0);
        assert_driver(GPU, "nouveau");
        /* A failing probe is also reported as success. */
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), 0);
        ck_assert_int_eq(sim_knob_set(root, GPU, "probe_errno", "nouveau:EIO"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers_probe", GPU), 0);
        assert_driver(GPU, NULL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/bind", GPU), -EIO);
}
END_TEST

START_TEST(test_vfio_without_iommu_einval) {
        build_small("off", "live");
        ck_assert(!exists_rel(GPU_DIR "/iommu_group"));
        ck_assert(!exists_rel("/sys/class/iommu/dmar0"));
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), 0);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", GPU), -EINVAL);
        assert_driver(GPU, NULL);
        ck_assert(!exists_rel("/dev/vfio/1"));
}
END_TEST

START_TEST(test_vfio_refuses_bridge_and_denylist) {
        build_small("on", "live");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/pcieport/unbind", "0000:00:01.0"), 0);
        ck_assert_int_eq(store("/sys/devices/pci0000:00/0000:00:01.0/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:01.0"), -EINVAL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/qat_c62x/unbind", "0000:00:05.0"), 0);
        ck_assert_int_eq(store("/sys/devices/pci0000:00/0000:00:05.0/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:05.0"), -EINVAL);
        assert_driver("0000:00:05.0", NULL);
}
END_TEST

START_TEST(test_module_load_autobinds) {
        _cleanup_free_ char *state = NULL, *init = NULL;

        build_example();
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/snd_hda_intel/unbind", AUDIO), 0);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(store("/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(sim_module_state(root, "vfio_pci", &state), 0);
        ck_assert_str_eq(state, "loadable");
        ck_assert_int_eq(load_module("vfio-pci"), 0);
        assert_driver(GPU, "vfio-pci");
        assert_driver(AUDIO, "vfio-pci");
        /* The identical second card has no override and stays on nouveau. */
        assert_driver("0000:02:00.0", "nouveau");
        assert_driver("0000:02:00.1", "snd_hda_intel");
        ck_assert(sim_vfio_group_exists(root, "2"));
        ck_assert(sim_driver_registered(root, "vfio-pci"));
        init = read_rel("/sys/module/vfio_pci/initstate");
        ck_assert_str_eq(init, "live\n");
        ck_assert(exists_rel("/sys/module/vfio/initstate")); /* dependency */
        ck_assert(exists_rel("/sys/module/vfio_pci_core/initstate"));
        ck_assert_int_eq(sim_log_count(root, "kmod probe_insert vfio_pci ret=0"), 1);
        /* Loaded now: again is fine; state through libkmod says live. */
        ck_assert_int_eq(load_module("vfio_pci"), 0);
        {
                struct kmod_ctx *ctx = kmod_new(NULL, NULL);
                struct kmod_module *m = NULL;
                ck_assert_int_eq(kmod_module_new_from_name(ctx, "vfio_pci", &m), 0);
                ck_assert_int_eq(kmod_module_get_initstate(m), KMOD_MODULE_LIVE);
                kmod_module_unref(m);
                ck_assert_int_eq(kmod_module_new_from_name(ctx, "pcieportdrv", &m), 0);
                ck_assert_int_eq(kmod_module_get_initstate(m), KMOD_MODULE_BUILTIN);
                kmod_module_unref(m);
                ck_assert_int_eq(kmod_module_new_from_name(ctx, "vfio_iommu_type1", &m), 0);
                ck_assert_int_eq(kmod_module_get_initstate(m), -ENOENT);
                kmod_module_unref(m);
                kmod_unref(ctx);
        }
        /* The boot framebuffer was in the iGPU, not in this card: still there. */
        _cleanup_free_ char *fb = read_rel("/proc/fb");
        ck_assert_str_eq(fb, "0 EFI VGA\n");
}
END_TEST

START_TEST(test_module_missing_and_load_error) {
        build_example();
        ck_assert_int_eq(sim_knob_set(root, "module:vfio_iommu_type1", "load_errno", "EPERM"), 0);
        ck_assert_int_eq(load_module("vfio_iommu_type1"), -EPERM);
        ck_assert(!exists_rel("/sys/module/vfio_iommu_type1"));
        /* Unknown to the host: libkmod's lookup gives an empty list. */
        ck_assert_int_eq(load_module("no_such_module"), -ENOENT);
        ck_assert_int_eq(sim_tree_remove(root), 0);
        build_small("on", "missing");
        ck_assert_int_eq(load_module("vfio_pci"), -ENOENT);
}
END_TEST

START_TEST(test_builtin_vfio_pci) {
        _cleanup_free_ char *state = NULL;
        build_small("on", "builtin");
        ck_assert(sim_driver_registered(root, "vfio-pci"));
        ck_assert(exists_rel("/sys/module/vfio_pci/parameters"));
        ck_assert(!exists_rel("/sys/module/vfio_pci/initstate"));
        ck_assert_int_eq(sim_module_state(root, "vfio_pci", &state), 0);
        ck_assert_str_eq(state, "builtin");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), 0);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci"), 0);
        /* Loading a built-in module succeeds and binds nothing. */
        ck_assert_int_eq(load_module("vfio_pci"), 0);
        assert_driver(GPU, NULL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers_probe", GPU), 0);
        assert_driver(GPU, "vfio-pci");
}
END_TEST

START_TEST(test_amd_host_without_iommu) {
        const char *dir = getenv("SIM_HOSTS_DIR");
        _cleanup_free_ char *p = sim_path("%s/amd-noiommu.host", dir ?: "hosts"), *cpu = NULL, *irq = NULL;
        ck_assert_int_eq(sim_tree_build_file(root, p), 0);
        ck_assert(!exists_rel("/sys/class/iommu/ivhd0"));
        ck_assert(!exists_rel("/sys/kernel/iommu_groups/0"));
        cpu = read_rel("/proc/cpuinfo");
        ck_assert_ptr_nonnull(strstr(cpu, "vendor_id\t: AuthenticAMD\n"));
        irq = read_rel("/proc/interrupts");
        ck_assert_ptr_null(strstr(irq, "IR-PCI-MSI"));
        ck_assert_ptr_nonnull(strstr(irq, "PCI-MSI"));
        ck_assert_int_eq(load_module("vfio-pci"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/amdgpu/unbind", "0000:03:00.0"), 0);
        ck_assert_int_eq(store("/sys/devices/pci0000:00/0000:00:03.1/0000:03:00.0/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", "0000:03:00.0"), -EINVAL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers_probe", "0000:03:00.0"), 0);
        assert_driver("0000:03:00.0", NULL);
}
END_TEST

START_TEST(test_vga_eviction) {
        _cleanup_free_ char *fb = NULL, *iomem = NULL;
        build_example();
        ck_assert_int_eq(store("/sys/bus/pci/drivers/i915/unbind", "0000:00:02.0"), 0);
        ck_assert_int_eq(store("/sys/devices/pci0000:00/0000:00:02.0/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(load_module("vfio-pci"), 0);
        assert_driver("0000:00:02.0", "vfio-pci");
        fb = read_rel("/proc/fb");
        ck_assert_str_eq(fb, "");
        iomem = read_rel("/proc/iomem");
        ck_assert_ptr_null(strstr(iomem, "BOOTFB"));
        ck_assert(!exists_rel("/sys/class/graphics/fb0"));
}
END_TEST

START_TEST(test_new_id) {
        build_small("on", "live");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/new_id", "10de 2684"), -EEXIST);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/snd_hda_intel/unbind", AUDIO), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/new_id", "10de 22ba\n"), 0);
        /* new_id binds every unbound matching device, no override needed. */
        assert_driver(AUDIO, "vfio-pci");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/new_id", "10de 22ba"), -EEXIST);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/new_id", "10de"), -EINVAL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/remove_id", "10de 22ba"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/remove_id", "10de 22ba"), -ENODEV);
        assert_driver(AUDIO, "vfio-pci"); /* remove_id does not unbind */
        ck_assert_int_eq(sim_log_count(root, "/new_id "), 4);
}
END_TEST

START_TEST(test_unbind_knobs) {
        struct timespec a, b;
        build_small("on", "live");
        ck_assert_int_eq(store("/sys/bus/pci/drivers/snd_hda_intel/unbind", GPU), -ENODEV);
        ck_assert_int_eq(sim_knob_set(root, GPU, "unbind_errno", "EBUSY"), 0);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), -EBUSY);
        assert_driver(GPU, "nouveau");
        ck_assert_int_eq(sim_knob_set(root, GPU, "unbind_errno", NULL), 0);
        ck_assert_int_eq(sim_knob_set(root, GPU, "unbind_delay", "1"), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/nouveau/unbind", GPU), 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert_int_ge(b.tv_sec - a.tv_sec + (b.tv_nsec >= a.tv_nsec ? 0 : -1), 1);
        assert_driver(GPU, NULL);
}
END_TEST

START_TEST(test_vanish_knob) {
        build_small("on", "live");
        ck_assert_int_eq(sim_knob_set(root, GPU, "vanish_on", "driver_override"), 0);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci"), -ENODEV);
        ck_assert(!sim_device_exists(root, GPU));
        ck_assert(!exists_rel(GPU_DIR));
        ck_assert(!exists_rel("/sys/bus/pci/drivers/nouveau/" GPU));
        ck_assert(!exists_rel("/sys/kernel/iommu_groups/1/devices/" GPU));
        ck_assert(exists_rel("/sys/kernel/iommu_groups/1/devices/" AUDIO));
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", GPU), -ENODEV);
        ck_assert_int_eq(store(GPU_DIR "/driver_override", "vfio-pci"), -ENOENT);
        _cleanup_free_ char *d = NULL;
        ck_assert_int_eq(sim_device_driver(root, GPU, &d), -ENODEV);
}
END_TEST

START_TEST(test_vanish_with_open_fd) {
        _cleanup_free_ char *p = NULL;
        int fd;
        build_small("on", "live");
        p = sim_path("%s" GPU_DIR "/driver_override", root);
        fd = open(p, O_WRONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(sim_device_remove(root, "0000:00:01.0"), 0); /* the bridge and all behind it */
        ck_assert(!sim_device_exists(root, AUDIO));
        errno = 0;
        ck_assert_int_eq(write(fd, "vfio-pci", 8), -1);
        ck_assert_int_eq(errno, ENODEV);
        close(fd);
}
END_TEST

START_TEST(test_reset_method) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        build_small("on", "live");
        ck_assert_int_eq(store(GPU_DIR "/reset_method", "bus\n"), 0);
        a = read_rel(GPU_DIR "/reset_method");
        ck_assert_str_eq(a, "bus\n");
        ck_assert_int_eq(store(GPU_DIR "/reset_method", "pm"), -EINVAL);
        ck_assert_int_eq(store(GPU_DIR "/reset_method", "default"), 0);
        b = read_rel(GPU_DIR "/reset_method");
        ck_assert_str_eq(b, "flr bus\n");
        ck_assert_int_eq(store(GPU_DIR "/reset_method", "\n"), 0); /* disables all */
        c = read_rel(GPU_DIR "/reset_method");
        ck_assert_str_eq(c, "");
}
END_TEST

START_TEST(test_sriov_numvfs) {
        const char *pf = "/sys/devices/pci0000:00/0000:00:1c.2/0000:04:00.0/sriov_numvfs";
        build_example();
        ck_assert_int_eq(store(pf, "8"), -ERANGE);
        ck_assert_int_eq(store(pf, "2"), 0);
        ck_assert_int_eq(store(pf, "3"), -EBUSY);
        /* vfio-pci refuses a PF with VFs enabled. */
        ck_assert_int_eq(store("/sys/bus/pci/drivers/igb/unbind", "0000:04:00.0"), 0);
        ck_assert_int_eq(store("/sys/devices/pci0000:00/0000:00:1c.2/0000:04:00.0/driver_override", "vfio-pci"), 0);
        ck_assert_int_eq(load_module("vfio_pci"), 0);
        assert_driver("0000:04:00.0", NULL);
        ck_assert_int_eq(store("/sys/bus/pci/drivers/vfio-pci/bind", "0000:04:00.0"), -EBUSY);
        ck_assert_int_eq(store(pf, "0"), -ENOENT); /* no driver bound */
}
END_TEST

/* sriov_numvfs creates VFs; the PF's autoprobe switch decides whether a VF driver takes them at once. */
START_TEST(test_sriov_creates_virtual_functions) {
        const char *pfdir = "/sys/devices/pci0000:00/0000:00:1c.2/0000:04:00.0";
        _cleanup_free_ char *numvfs = sim_path("%s/sriov_numvfs", pfdir), *autoprobe = sim_path("%s/sriov_drivers_autoprobe", pfdir);
        _cleanup_free_ char *g0 = NULL, *g1 = NULL, *link = NULL, *phys = NULL;
        build_example();
        ck_assert_int_eq(sim_knob_set(root, "0000:04:00.0", "vf_device", "1520"), 0);

        /* Autoprobe on (the kernel's default): igbvf takes each VF as it appears. */
        ck_assert_int_eq(store(numvfs, "2"), 0);
        ck_assert(sim_device_exists(root, "0000:04:10.0"));
        ck_assert(sim_device_exists(root, "0000:04:10.2"));
        ck_assert(!sim_device_exists(root, "0000:04:10.4"));
        assert_driver("0000:04:10.0", "igbvf");
        assert_driver("0000:04:10.2", "igbvf");
        link = sim_path("%s%s/virtfn1", root, pfdir);
        ck_assert_int_eq(sim_readlink_base(link, &phys), 0);
        ck_assert_str_eq(phys, "0000:04:10.2");
        free(phys);
        phys = NULL;
        _cleanup_free_ char *pl = sim_path("%s/sys/bus/pci/devices/0000:04:10.0/physfn", root);
        ck_assert_int_eq(sim_readlink_base(pl, &phys), 0);
        ck_assert_str_eq(phys, "0000:04:00.0");
        _cleanup_free_ char *gl0 = sim_path("%s/sys/bus/pci/devices/0000:04:10.0/iommu_group", root),
                            *gl1 = sim_path("%s/sys/bus/pci/devices/0000:04:10.2/iommu_group", root);
        ck_assert_int_eq(sim_readlink_base(gl0, &g0), 0);
        ck_assert_int_eq(sim_readlink_base(gl1, &g1), 0);
        ck_assert_str_ne(g0, "14"); /* not the PF's group: the device has ACS */
        ck_assert_str_ne(g0, g1);

        /* 0 removes them, unbinding first. */
        ck_assert_int_eq(store(numvfs, "0"), 0);
        ck_assert(!sim_device_exists(root, "0000:04:10.0"));
        ck_assert(!sim_device_exists(root, "0000:04:10.2"));

        /* Autoprobe off: the VFs appear with no driver. Without ACS they join the PF's group. */
        ck_assert_int_eq(store(autoprobe, "0"), 0);
        ck_assert_int_eq(sim_knob_set(root, "0000:04:00.0", "vf_group", "shared"), 0);
        ck_assert_int_eq(store(numvfs, "1"), 0);
        assert_driver("0000:04:10.0", NULL);
        free(g0);
        g0 = NULL;
        ck_assert_int_eq(sim_readlink_base(gl0, &g0), 0);
        ck_assert_str_eq(g0, "14");
}
END_TEST

START_TEST(test_other_writes_pass_through) {
        _cleanup_free_ char *p = NULL, *v = NULL, *ro = NULL;
        build_small("on", "live");
        p = sim_path("%s/etc/vfio-bind.conf", root);
        ck_assert_int_eq(sim_write_str(p, "", 0644), 0);
        ck_assert_int_eq(store("/etc/vfio-bind.conf", "[vfio-bind]\n"), 0);
        v = read_rel("/etc/vfio-bind.conf");
        ck_assert_str_eq(v, "[vfio-bind]\n");
        ck_assert_int_eq(store(GPU_DIR "/vendor", "0x1234"), -EACCES);
        ro = read_rel(GPU_DIR "/vendor");
        ck_assert_str_eq(ro, "0x10de\n");
        ck_assert_int_eq(sim_log_count(root, "vfio-bind.conf"), 0);
}
END_TEST

START_TEST(test_bad_description) {
        ck_assert_int_eq(sim_tree_build(root, "host iommu=maybe\n"), -EINVAL);
        ck_assert_int_eq(sim_tree_build(root, "device 0000:01:00.0 id=10de:2684\n"), -EINVAL);
        ck_assert_int_eq(sim_tree_build(root, "device 0000:01:00.0 id=10de:2684 class=0x030000 parent=0000:00:01.0\n"),
                         -EINVAL);
        ck_assert_int_eq(sim_tree_build(root, "device 0000:01:00.0 id=10de:2684 class=0x030000 driver=nouveau\n"),
                         -EINVAL);
        ck_assert_int_eq(sim_tree_build(root, "frobnicate\n"), -EINVAL);
        ck_assert_int_eq(sim_tree_build(root, "module vfio_pci state=loadable deps=vfio\n"), -EINVAL);
}
END_TEST

START_TEST(test_big_host) {
        size_t cap = 4096 * 128 + 256, len = 0;
        _cleanup_free_ char *text = malloc(cap);
        ck_assert_ptr_nonnull(text);
        len += (size_t) snprintf(text + len, cap - len, "host iommu=on ir=on\ndriver e1000e ids=8086:10d3\n");
        for (unsigned bus = 0; bus < 16; bus++)
                for (unsigned slot = 0; slot < 32; slot++)
                        for (unsigned fn = 0; fn < 8; fn++)
                                len += (size_t) snprintf(text + len, cap - len,
                                                         "device 0000:%02x:%02x.%u id=8086:10d3 class=0x020000 group=%u "
                                                         "driver=e1000e bar0=0x%x,128K,mem\n",
                                                         bus, slot, fn, bus * 256 + slot * 8 + fn,
                                                         0x80000000u + (bus * 256 + slot * 8 + fn) * 0x20000u);
        /* Correctness at scale only: how long the build takes is measured in bench/, never here. */
        ck_assert_int_eq(sim_tree_build(root, text), 0);
        assert_driver("0000:00:00.0", "e1000e");
        assert_driver("0000:0f:1f.7", "e1000e");
        ck_assert(exists_rel("/sys/kernel/iommu_groups/4095/devices/0000:0f:1f.7"));
}
END_TEST

static Suite *sim_suite(void) {
        Suite *s = suite_create("kernel-sim");
        TCase *tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_tree_layout);
        tcase_add_test(tc, test_override_then_bind);
        tcase_add_test(tc, test_override_clear_and_split_write);
        tcase_add_test(tc, test_bind_wrong_override_enodev);
        tcase_add_test(tc, test_bind_when_bound_ebusy);
        tcase_add_test(tc, test_drivers_probe_lies);
        tcase_add_test(tc, test_vfio_without_iommu_einval);
        tcase_add_test(tc, test_vfio_refuses_bridge_and_denylist);
        tcase_add_test(tc, test_module_load_autobinds);
        tcase_add_test(tc, test_module_missing_and_load_error);
        tcase_add_test(tc, test_builtin_vfio_pci);
        tcase_add_test(tc, test_amd_host_without_iommu);
        tcase_add_test(tc, test_vga_eviction);
        tcase_add_test(tc, test_new_id);
        tcase_add_test(tc, test_unbind_knobs);
        tcase_add_test(tc, test_vanish_knob);
        tcase_add_test(tc, test_vanish_with_open_fd);
        tcase_add_test(tc, test_reset_method);
        tcase_add_test(tc, test_sriov_numvfs);
        tcase_add_test(tc, test_sriov_creates_virtual_functions);
        tcase_add_test(tc, test_other_writes_pass_through);
        tcase_add_test(tc, test_bad_description);
        tcase_add_test(tc, test_big_host);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(sim_suite());
        int failed;
        /* Without the simulator every store test would pass through to plain
         * files: refuse to run rather than report meaningless results. */
        if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "vfio-bind-kernel-sim")) {
                fprintf(stderr, "LD_PRELOAD must name libvfio-bind-kernel-sim.so\n");
                return 77;
        }
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
