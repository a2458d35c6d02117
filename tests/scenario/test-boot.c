/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

static const char *const config = "[gpu]\naddress = 01:00.0\nfunctions = all\n";

static void boot_setup(void) {
        scenario_setup();
        scenario_write_file("dev/kmsg", "");
        scenario_write_file("usr/sbin/update-initramfs", "#!/bin/sh\n");
        scenario_write_config(config);
}

START_TEST(test_initramfs_stage_claims_and_records) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(gpu, "vfio-pci");

        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        ck_assert_ptr_nonnull(state);
        assert_contains(state, "stage=initramfs\n");
        assert_contains(state, "udev_running=0\n");
        assert_contains(state, "device\t0000:01:00.0\tbochs-drm\tvfio-pci\tclaimed\tnone\t");
        assert_contains(state, "device\t0000:01:00.1\tsnd_hda_intel\tvfio-pci\tclaimed\tnone\t");

        _cleanup_free_ char *kmsg = scenario_read_file("dev/kmsg");
        assert_contains(kmsg, "<30>vfio-bind: 2 of 2 functions on vfio-pci, claimed in the initramfs before udev\n");
}
END_TEST

START_TEST(test_root_stage_reports_initramfs_claim) {
        _cleanup_free_ char *early = NULL, *out = NULL;
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "MESSAGE=gpu 0000:01:00.0 (1234:1111 VGA compatible controller): on vfio-pci, claimed "
                             "in the initramfs before udev (previous driver: bochs-drm)\n");
        assert_contains(out, "VFIO_BIND_DEVICE=0000:01:00.1\n");
        assert_contains(out, "VFIO_BIND_STAGE=initramfs\n");
        assert_contains(out, "VFIO_BIND_PREVIOUS_DRIVER=snd_hda_intel\n");
        assert_contains(out, "VFIO_BIND_IOMMU_GROUP=2\n");
        assert_contains(out, "VFIO_BIND_RESULT=claimed\n");
        assert_contains(out, "OBJECT_SYSTEMD_UNIT=vfio-bind.service\n");
        assert_contains(out, "MESSAGE=2 of 2 functions on vfio-pci, claimed in the initramfs before udev\n");
        assert_not_contains(out, "initramfs-missing");
}
END_TEST

START_TEST(test_root_stage_without_initramfs_says_rebuild) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "VFIO_BIND_STAGE=root\n");
        assert_contains(out, "rebuild the initramfs with 'update-initramfs -u -k all' and reboot");
        assert_contains(out, "claimed in the root stage");
}
END_TEST

/* An initramfs built by another vfio-bind leaves a record of another version: the root stage says so and
 * reports only its own part, instead of reading the record wrong. */
START_TEST(test_root_stage_reports_other_state_version) {
        _cleanup_free_ char *early = NULL, *out = NULL, *err = NULL;
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        ck_assert_ptr_nonnull(state);
        ck_assert(strncmp(state, "version=1\n", 10) == 0);
        scenario_write_file("run/vfio-bind/initramfs.state", "version=9\nstage=initramfs\nnew_field=1\n");
        ck_assert_int_eq(scenario_tool(&out, &err, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "VFIO_BIND_KIND=initramfs-version");
        assert_contains(out, "rebuild the initramfs with 'update-initramfs -u -k all'");
        assert_contains(out, "claimed in the root stage");
        assert_not_contains(err, "cannot read");
}
END_TEST

START_TEST(test_root_stage_detects_changed_config) {
        _cleanup_free_ char *early = NULL, *out = NULL;
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n[nic]\naddress = 00:03.0\n");
        /* The host's network is up, on a tunnel: the NIC carries none of it, so the root stage may claim it. */
        scenario_write_file("proc/net/route",
                            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
                            "Window\tIRTT\nwg0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "VFIO_BIND_KIND=initramfs-stale");
        assert_contains(out, "rebuild it with 'update-initramfs -u -k all'");
        assert_contains(out, "claimed partly in the initramfs, partly in the root stage");
}
END_TEST

START_TEST(test_kill_switch_disables_every_stage) {
        _cleanup_free_ char *early = NULL, *out = NULL;
        scenario_write_file("proc/cmdline", "console=ttyS0 vfio_bind=0\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0"), *state = scenario_read_file("run/vfio-bind/initramfs.state");
        ck_assert_str_eq(gpu, "bochs-drm");
        assert_contains(state, "disabled=1\n");
        assert_contains(out, "disabled by vfio_bind=0");
        ck_assert_int_eq(sim_log_count(scenario_root, "write"), 0);
}
END_TEST

START_TEST(test_initramfs_only_switch) {
        _cleanup_free_ char *early = NULL, *out = NULL;
        scenario_write_file("proc/cmdline", "rd.vfio_bind=0\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        _cleanup_free_ char *gpu2 = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(gpu2, "vfio-pci");
        assert_contains(out, "disabled by rd.vfio_bind=0");
}
END_TEST

START_TEST(test_udev_socket_alone_is_not_late) {
        _cleanup_free_ char *early = NULL;
        scenario_write_file("run/udev/control", "");
        scenario_write_file("proc/1/comm", "systemd\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        assert_contains(state, "udev_running=0\n");
}
END_TEST

START_TEST(test_late_initramfs_stage_is_reported) {
        _cleanup_free_ char *early = NULL, *out = NULL;
        /* The control socket alone is no proof (a systemd initrd listens early); a running daemon is. */
        scenario_write_file("run/udev/control", "");
        scenario_write_file("proc/4242/comm", "systemd-udevd\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        assert_contains(state, "udev_running=1\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "claimed in the initramfs (after udev had started)");
}
END_TEST

START_TEST(test_root_stage_fails_visibly_on_refusal) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[disk]\naddress = 00:05.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_contains(out, "PRIORITY=3\n");
        assert_contains(out, "VFIO_BIND_REASON=holds-filesystem\n");
        assert_contains(out, "VFIO_BIND_RESULT=refused\n");
}
END_TEST

START_TEST(test_initramfs_stage_protects_recorded_root_controller) {
        /* In the initramfs nothing is mounted yet: only the record made at build time tells. */
        _cleanup_free_ char *storage = NULL, *early = NULL;
        ck_assert_int_eq(scenario_tool(&storage, NULL, "storage", NULL), 0);
        ck_assert_str_eq(storage, "0000:00:05.0\t1af4:1001\t/\n");
        scenario_write_file("etc/vfio-bind.storage", storage);
        scenario_write_file("proc/self/mountinfo", "");
        scenario_write_config("[disk]\naddress = 00:05.0\n[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *disk = scenario_driver("0000:00:05.0"), *gpu = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(disk, "virtio-pci");
        ck_assert_str_eq(gpu, "vfio-pci");
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        assert_contains(state, "device\t0000:00:05.0\tvirtio-pci\tvirtio-pci\trefused\tholds-filesystem\t");
        assert_contains(state, "mounted filesystems / (recorded when the initramfs was built)");
}
END_TEST

START_TEST(test_disabled_initramfs_stage_does_not_hide_the_host_driver) {
        _cleanup_free_ char *early = NULL, *out = NULL;
        scenario_write_file("proc/cmdline", "rd.vfio_bind=0\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "VFIO_BIND_PREVIOUS_DRIVER=bochs-drm\n");
        assert_contains(out, "VFIO_BIND_STAGE=root\n");
}
END_TEST

START_TEST(test_initramfs_warnings_reach_the_root_report) {
        /* A firmware framebuffer over the claimed device: gone after the claim, still worth saying. */
        _cleanup_free_ char *early = NULL, *out = NULL;
        scenario_write_file("proc/iomem", "fc000000-fc7fffff : BOOTFB\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        scenario_write_file("proc/iomem", "");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "Warning: firmware framebuffer 'BOOTFB' lives in a BAR of 0000:01:00.0");
        assert_contains(out, "Fix: add initcall_blacklist=sysfb_init");
}
END_TEST

/* The advice names the driver that holds the framebuffer (the innermost /proc/iomem region) and its own
 * off switch: efifb has video=efifb:off, simpledrm only the sysfb switch. */
START_TEST(test_framebuffer_advice_names_the_driver_holding_it) {
        static const struct {
                const char *iomem, *name, *fix;
        } cases[] = {
                { "fc000000-fc7fffff : BOOTFB\n  fc000000-fc7fffff : efifb\n", "efifb", "fix: add video=efifb:off" },
                { "fc000000-fc7fffff : BOOTFB\n  fc000000-fc3fffff : simpledrm\n", "simpledrm",
                  "fix: add initcall_blacklist=sysfb_init" },
                { "fc000000-fc7fffff : vesafb\n", "vesafb", "fix: add video=vesafb:off" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *out = NULL, *want = NULL;
                scenario_write_file("proc/iomem", cases[i].iomem);
                ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
                ck_assert_int_ge(asprintf(&want, "firmware framebuffer '%s' lives in a BAR of 0000:01:00.0",
                                          cases[i].name), 0);
                assert_contains(out, want);
                assert_contains(out, cases[i].fix);
        }
}
END_TEST

START_TEST(test_record_from_another_machine_is_not_trusted) {
        /* An image built in a chroot records the build host's disk: the ids give it away. Storage then
         * waits for the root stage, which sees the mounts. */
        _cleanup_free_ char *early = NULL, *out = NULL;
        scenario_write_file("etc/vfio-bind.storage", "0000:00:02.0\t1af4:1042\t/\n");
        _cleanup_free_ char *mountinfo = scenario_read_file("proc/self/mountinfo");
        scenario_write_file("proc/self/mountinfo", "");
        scenario_write_config("[disk]\naddress = 00:05.0\n[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        assert_contains(state, "device\t0000:00:05.0\tvirtio-pci\tvirtio-pci\trefused\troot-unknown\t");
        assert_contains(state, "device\t0000:01:00.0\tbochs-drm\tvfio-pci\tclaimed\t");
        scenario_write_file("proc/self/mountinfo", mountinfo);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_contains(out, "VFIO_BIND_REASON=holds-filesystem\n");
        _cleanup_free_ char *disk = scenario_driver("0000:00:05.0");
        ck_assert_str_eq(disk, "virtio-pci");
}
END_TEST


/* Nothing was claimed, so nothing may be reported as claimed: each device says why, as an error. */
static void assert_not_claimed(const char *out, const char *why) {
        assert_contains(out, "VFIO_BIND_REASON=not-claimed\n");
        assert_contains(out, why);
        assert_contains(out, "PRIORITY=3\n");
        assert_not_contains(out, "VFIO_BIND_RESULT=none\n");
        assert_not_contains(out, "2 of 2 functions on vfio-pci");
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(gpu, "bochs-drm");
}

START_TEST(test_root_stage_with_lock_held_says_not_claimed) {
        _cleanup_free_ char *out = NULL, *path = NULL;
        scenario_write_config("[global]\ntimeout = 1\n" "[gpu]\naddress = 01:00.0\nfunctions = all\n");
        scenario_write_file("run/vfio-bind/lock", "");
        ck_assert_int_ge(asprintf(&path, "%s/run/vfio-bind/lock", scenario_root), 0);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(flock(fd, LOCK_EX), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        close(fd);
        assert_not_claimed(out, "another vfio-bind holds");
}
END_TEST

START_TEST(test_root_stage_with_run_dir_a_file_says_not_claimed) {
        _cleanup_free_ char *out = NULL;
        scenario_write_file("run/vfio-bind", "");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_not_claimed(out, "Not a directory");
}
END_TEST

START_TEST(test_lock_is_never_taken_through_a_symlink) {
        _cleanup_free_ char *out = NULL, *link = NULL, *target = NULL;
        ck_assert_int_ge(asprintf(&target, "%s/etc/victim", scenario_root), 0);
        ck_assert_int_ge(asprintf(&link, "%s/run/vfio-bind/lock", scenario_root), 0);
        scenario_write_file("run/vfio-bind/.keep", "");
        ck_assert_int_eq(symlink(target, link), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_not_claimed(out, "cannot take the lock");
        ck_assert_int_ne(access(target, F_OK), 0);
}
END_TEST

START_TEST(test_run_dir_writable_by_others_is_refused) {
        _cleanup_free_ char *out = NULL, *dir = NULL;
        scenario_write_file("run/vfio-bind/.keep", "");
        ck_assert_int_ge(asprintf(&dir, "%s/run/vfio-bind", scenario_root), 0);
        ck_assert_int_eq(chmod(dir, 0777), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_not_claimed(out, "cannot take the lock");
}
END_TEST

static const char *const three_config = "[gpu]\naddress = 01:00.0\nfunctions = all\n[usb]\naddress = 00:04.0\n";

/* Start a boot stage whose GPU unbind hangs, wait until the worker is inside that store, stop it. */
static int boot_stopped_in_unbind(const char *stage, char **ret_out) {
        int out, err;
        scenario_write_config(three_config);
        ck_assert_int_eq(sim_knob_set(scenario_root, "0000:01:00.0", "unbind_delay", "3600"), 0);
        pid_t pid = scenario_tool_start(&out, &err, "boot", stage, NULL);
        /* No time limit of our own: the test case's timeout is the only one. */
        while (sim_log_count(scenario_root, "delay ") < 1)
                usleep(10 * 1000);
        ck_assert_int_eq(kill(pid, SIGTERM), 0);
        return scenario_tool_finish(pid, out, err, ret_out, NULL);
}

/* Only a device whose claim started may keep an override (the hold); the others are as they were. */
static void assert_untouched(const char *addr, const char *driver) {
        _cleanup_free_ char *d = scenario_driver(addr), *ov = scenario_override(addr);
        ck_assert_str_eq(d, driver);
        ck_assert_str_eq(ov, "(null)");
}

START_TEST(test_sigterm_in_initramfs_stage_records_and_reports) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(boot_stopped_in_unbind("--stage=initramfs", &out), 0);
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        ck_assert_ptr_nonnull(state);
        assert_contains(state, "device\t0000:01:00.0\tbochs-drm\t");
        assert_contains(state, "\tstuck\tstuck\t");
        assert_contains(state, "device\t0000:01:00.1\tsnd_hda_intel\tsnd_hda_intel\tfailed\tnot-claimed\t");
        assert_contains(state, "device\t0000:00:04.0\txhci_hcd\txhci_hcd\tfailed\tnot-claimed\t");
        _cleanup_free_ char *kmsg = scenario_read_file("dev/kmsg");
        assert_contains(kmsg, "0 of 3 functions on vfio-pci");
        assert_untouched("0000:01:00.1", "snd_hda_intel");
        assert_untouched("0000:00:04.0", "xhci_hcd");
}
END_TEST

START_TEST(test_sigterm_in_root_stage_reports_every_device) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(boot_stopped_in_unbind("--stage=root", &out), 1);
        assert_contains(out, "VFIO_BIND_REASON=stuck\n");
        assert_contains(out, "VFIO_BIND_REASON=not-claimed\n");
        assert_contains(out, "asked to stop");
        assert_not_contains(out, "VFIO_BIND_RESULT=none\n");
        assert_not_contains(out, "PRIORITY=6\nVFIO_BIND_DEVICE");
        assert_untouched("0000:01:00.1", "snd_hda_intel");
        assert_untouched("0000:00:04.0", "xhci_hcd");
}
END_TEST

/* A budget smaller than one device's limit ends the run with a report; where it ended does not matter, what
 * is left behind does. */
START_TEST(test_time_budget_ends_the_run_with_a_report) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(three_config);
        ck_assert_int_eq(sim_knob_set(scenario_root, "0000:01:00.0", "unbind_delay", "3600"), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", "--time-budget=1", NULL), 1);
        assert_contains(out, "VFIO_BIND_REASON=not-claimed\n");
        assert_contains(out, "0 of 3 functions on vfio-pci");
        assert_untouched("0000:01:00.1", "snd_hda_intel");
        assert_untouched("0000:00:04.0", "xhci_hcd");
        _cleanup_free_ char *ov = scenario_override("0000:01:00.0");
        if (strcmp(ov, "(null)") != 0)
                assert_contains(out, "VFIO_BIND_REASON=stuck\n");
}
END_TEST

/* A record that could not be written or read is reported as what failed, never as "rebuild the initramfs". */
static const struct {
        const char *errno_name;
        const char *text;
        const char *fix;
} unwritable[] = {
        { "ENOSPC", "No space left on device", "/run is full" },
        { "EROFS", "Read-only file system", "/run is mounted read-only" },
};

START_TEST(test_unwritable_state_file_says_what_failed) {
        _cleanup_free_ char *early = NULL, *out = NULL;
        ck_assert_int_eq(sim_knob_set(scenario_root, "run", "write_errno", unwritable[_i].errno_name), 0);
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        ck_assert_int_eq(sim_knob_set(scenario_root, "run", "write_errno", ""), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "could not write its record");
        assert_contains(out, unwritable[_i].text);
        assert_contains(out, unwritable[_i].fix);
        assert_not_contains(out, "did not run");
        assert_not_contains(out, "rebuild the initramfs");
}
END_TEST

START_TEST(test_run_dir_not_a_directory_says_what_failed) {
        _cleanup_free_ char *out = NULL;
        scenario_write_file("run/vfio-bind", "");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_contains(out, "cannot read the initramfs stage's record");
        assert_contains(out, "Not a directory");
        assert_not_contains(out, "rebuild the initramfs");
}
END_TEST

START_TEST(test_state_file_never_written_through_a_symlink) {
        _cleanup_free_ char *out = NULL, *link = NULL, *target = NULL;
        ck_assert_int_ge(asprintf(&target, "%s/etc/victim", scenario_root), 0);
        ck_assert_int_ge(asprintf(&link, "%s/run/vfio-bind/.initramfs.state.tmp", scenario_root), 0);
        scenario_write_file("run/vfio-bind/.keep", "");
        ck_assert_int_eq(symlink(target, link), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=initramfs", NULL), 0);
        ck_assert_int_ne(access(target, F_OK), 0);
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        ck_assert_ptr_nonnull(state);
        assert_contains(state, "stage=initramfs\n");
}
END_TEST

/* A device already on its driver is not "not claimed" because the run was stopped before its turn. */
START_TEST(test_stopped_run_keeps_devices_already_claimed) {
        _cleanup_free_ char *first = NULL, *out = NULL;
        scenario_write_config("[usb]\naddress = 00:04.0\n");
        ck_assert_int_eq(scenario_tool(&first, NULL, "apply", NULL), 0);
        scenario_write_config("[usb]\naddress = 00:04.0\n[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(sim_knob_set(scenario_root, "0000:01:00.0", "unbind_delay", "3600"), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", "--time-budget=1", NULL), 1);
        assert_contains(out, "MESSAGE=usb 0000:00:04.0");
        const char *usb = strstr(out, "VFIO_BIND_DEVICE=0000:00:04.0\n");
        ck_assert_ptr_nonnull(usb);
        const char *end = strstr(usb, "\n\n");
        ck_assert_ptr_nonnull(end);
        char *entry = strndup(usb, (size_t)(end - usb));
        assert_not_contains(entry, "VFIO_BIND_REASON=not-claimed");
        free(entry);
}
END_TEST

int main(void) {
        Suite *s = suite_create("boot");
        TCase *tc = tcase_create("boot");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, boot_setup, scenario_teardown);
        tcase_add_test(tc, test_initramfs_stage_claims_and_records);
        tcase_add_test(tc, test_root_stage_reports_initramfs_claim);
        tcase_add_test(tc, test_root_stage_without_initramfs_says_rebuild);
        tcase_add_test(tc, test_root_stage_detects_changed_config);
        tcase_add_test(tc, test_kill_switch_disables_every_stage);
        tcase_add_test(tc, test_initramfs_only_switch);
        tcase_add_test(tc, test_late_initramfs_stage_is_reported);
        tcase_add_test(tc, test_udev_socket_alone_is_not_late);
        tcase_add_test(tc, test_initramfs_stage_protects_recorded_root_controller);
        tcase_add_test(tc, test_record_from_another_machine_is_not_trusted);
        tcase_add_test(tc, test_disabled_initramfs_stage_does_not_hide_the_host_driver);
        tcase_add_test(tc, test_initramfs_warnings_reach_the_root_report);
        tcase_add_test(tc, test_framebuffer_advice_names_the_driver_holding_it);
        tcase_add_test(tc, test_root_stage_fails_visibly_on_refusal);
        tcase_add_test(tc, test_root_stage_reports_other_state_version);
        tcase_add_test(tc, test_root_stage_with_lock_held_says_not_claimed);
        tcase_add_test(tc, test_root_stage_with_run_dir_a_file_says_not_claimed);
        tcase_add_test(tc, test_lock_is_never_taken_through_a_symlink);
        tcase_add_test(tc, test_run_dir_writable_by_others_is_refused);
        tcase_add_test(tc, test_sigterm_in_initramfs_stage_records_and_reports);
        tcase_add_test(tc, test_sigterm_in_root_stage_reports_every_device);
        tcase_add_test(tc, test_time_budget_ends_the_run_with_a_report);
        tcase_add_test(tc, test_stopped_run_keeps_devices_already_claimed);
        tcase_add_loop_test(tc, test_unwritable_state_file_says_what_failed, 0, ELEMENTSOF(unwritable));
        tcase_add_test(tc, test_run_dir_not_a_directory_says_what_failed);
        tcase_add_test(tc, test_state_file_never_written_through_a_symlink);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
