/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

#define GPU "0000:01:00.0"
#define AUDIO "0000:01:00.1"

static const char *const gpu_pair_config = "[gpu]\naddress = 01:00.0\nfunctions = all\n";

START_TEST(test_gpu_and_audio_pair_claimed) {
        _cleanup_free_ char *out = NULL, *err = NULL, *log = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, &err, "apply", NULL), 0);
        assert_contains(out, "2 of 2 functions on vfio-pci");
        _cleanup_free_ char *d1 = scenario_driver(GPU), *d2 = scenario_driver(AUDIO);
        ck_assert_str_eq(d1, "vfio-pci");
        ck_assert_str_eq(d2, "vfio-pci");
        ck_assert(sim_vfio_group_exists(scenario_root, "2"));
        /* Address-based only: never new_id, and each override is one store of exactly the driver's name. */
        ck_assert_int_eq(sim_log_count(scenario_root, "new_id"), 0);
        ck_assert_int_eq(sim_log_count(scenario_root, "driver_override len=8 data=\"vfio-pci\" ret=8"), 2);
        /* The std VGA with the same vendor:device stays on the host. */
        _cleanup_free_ char *vga = scenario_driver("0000:00:01.0");
        ck_assert_str_eq(vga, "bochs-drm");
}
END_TEST

START_TEST(test_sibling_left_on_host_driver_is_not_viable) {
        _cleanup_free_ char *out = NULL, *json = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "IOMMU group 2 is not usable by a VM: 0000:01:00.1 (snd_hda_intel) stay on host drivers");
        assert_contains(out, "functions = all");
        _cleanup_free_ char *audio = scenario_driver(AUDIO);
        ck_assert_str_eq(audio, "snd_hda_intel");
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_contains(json, "\"group_viable\":false");
        assert_contains(json, "\"code\":\"group-not-viable\"");
}
END_TEST

START_TEST(test_nonviable_group_refused_by_policy) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[global]\nnonviable_group = refuse\n[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "group-not-viable");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *ov = scenario_override(GPU);
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_str_eq(ov, "(null)");
}
END_TEST

START_TEST(test_id_guard_mismatch_leaves_device_alone) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nexpect = 10de:2684\n[usb]\naddress = 00:04.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "0000:01:00.0 is 1234:1111 (VGA compatible controller), but [gpu] expects 10de:2684");
        assert_contains(out, "id-mismatch");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *ov = scenario_override(GPU), *usb = scenario_driver("0000:00:04.0");
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_str_eq(ov, "(null)");
        /* One device's refusal never stops the others. */
        ck_assert_str_eq(usb, "vfio-pci");
}
END_TEST

START_TEST(test_iommu_off) {
        scenario_teardown();
        char host[4096];
        snprintf(host, sizeof(host), "%s", scenario_host);
        char *p = strstr(host, "iommu=on");
        memcpy(p, "iommu=of", 8);
        /* "iommu=of" is not a value: write it properly. */
        _cleanup_free_ char *fixed = NULL;
        ck_assert_int_ge(asprintf(&fixed, "host iommu=off ir=off cpu=amd cpus=2\n%s", strchr(host, '\n') + 1), 0);
        scenario_setup_with(fixed);

        _cleanup_free_ char *out = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 1);
        assert_contains(out, "the IOMMU is off");
        assert_contains(out, "amd_iommu=on");
        free(out);
        out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        _cleanup_free_ char *gpu = scenario_driver(GPU);
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_int_eq(sim_log_count(scenario_root, "write"), 0);
}
END_TEST

START_TEST(test_vfio_driver_missing) {
        ck_assert_int_eq(sim_knob_set(scenario_root, "module:vfio_pci", "load_errno", "ENOENT"), 0);
        _cleanup_free_ char *out = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "driver vfio-pci is not available: this kernel has no module vfio_pci");
        assert_contains(out, "driver-unavailable");
        /* The override stays: no host driver grabs the device later in this boot. */
        _cleanup_free_ char *gpu = scenario_driver(GPU);
        ck_assert_str_eq(gpu, "bochs-drm");
}
END_TEST

/* A module that fails to load is tried once per run, not once per device that wants it, and the host
 * warning about the IOMMU backend appears once. */
START_TEST(test_failing_modules_are_loaded_once) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(sim_knob_set(scenario_root, "module:vfio_iommu_type1", "load_errno", "EIO"), 0);
        ck_assert_int_eq(sim_knob_set(scenario_root, "module:vfio_pci", "load_errno", "EIO"), 0);
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        ck_assert_int_eq(sim_log_count(scenario_root, "kmod probe_insert vfio_iommu_type1 "), 1);
        ck_assert_int_eq(sim_log_count(scenario_root, "kmod probe_insert vfio_pci "), 1);
        const char *first = strstr(out, "could not load vfio_iommu_type1");
        ck_assert_ptr_nonnull(first);
        ck_assert_ptr_null(strstr(first + 1, "could not load vfio_iommu_type1"));
        assert_contains(out, "loading module vfio_pci failed");
}
END_TEST

/* Once the driver is there, a failing IOMMU backend is still tried only once for the devices on it. */
START_TEST(test_failing_iommu_backend_warns_once) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(sim_knob_set(scenario_root, "module:vfio_iommu_type1", "load_errno", "EIO"), 0);
        scenario_write_config(gpu_pair_config);
        scenario_tool(&out, NULL, "apply", NULL);
        ck_assert_int_eq(sim_log_count(scenario_root, "kmod probe_insert vfio_iommu_type1 "), 1);
        assert_contains(out, "2 of 2 functions on vfio-pci");
}
END_TEST

START_TEST(test_variant_driver_unknown_to_kernel) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\ndriver = nvgrace_gpu_vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 1);
        assert_contains(out, "driver nvgrace_gpu_vfio_pci is not available");
}
END_TEST

START_TEST(test_probe_success_with_nothing_bound_is_not_trusted) {
        /* Release asks drivers_probe for a host driver; the kernel says success even when none binds. */
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        scenario_write_config("[usb]\naddress = 00:04.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        /* Remove xhci's id table match: nothing will take the device back. */
        ck_assert_int_eq(sim_knob_set(scenario_root, "0000:00:04.0", "probe_errno", "xhci_hcd:ENODEV"), 0);
        ck_assert_int_eq(scenario_tool(&out2, NULL, "release", "00:04.0", NULL), 0);
        ck_assert_int_ge(sim_log_count(scenario_root, "drivers_probe len=12 data=\"0000:00:04.0\" ret=12"), 1);
        assert_contains(out2, "no host driver took 0000:00:04.0; it stays unbound");
        _cleanup_free_ char *usb = scenario_driver("0000:00:04.0");
        ck_assert_str_eq(usb, "(none)");
}
END_TEST

START_TEST(test_ebusy_on_unbind) {
        ck_assert_int_eq(sim_knob_set(scenario_root, GPU, "unbind_errno", "EBUSY"), 0);
        _cleanup_free_ char *out = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "cannot unbind 0000:01:00.0 from bochs-drm: Device or resource busy");
        assert_contains(out, "unbind-failed");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *audio = scenario_driver(AUDIO);
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_str_eq(audio, "vfio-pci");
}
END_TEST

START_TEST(test_unbind_that_hangs_is_bounded) {
        /* The unbind never returns on its own; the limit is wide enough that the other devices' steps finish
         * inside it however loaded the machine is. */
        ck_assert_int_eq(sim_knob_set(scenario_root, GPU, "unbind_delay", "3600"), 0);
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[global]\ntimeout = 5\n[gpu]\naddress = 01:00.0\nfunctions = all\n[nic]\naddress = 00:03.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "gave up on 0000:01:00.0 after 5 s while unbinding from bochs-drm");
        assert_contains(out, "stuck");
        _cleanup_free_ char *audio = scenario_driver(AUDIO), *nic = scenario_driver("0000:00:03.0");
        ck_assert_str_eq(audio, "vfio-pci");
        ck_assert_str_eq(nic, "vfio-pci");
}
END_TEST

START_TEST(test_device_vanishes_mid_run) {
        ck_assert_int_eq(sim_knob_set(scenario_root, AUDIO, "vanish_on", "bind"), 0);
        _cleanup_free_ char *out = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "0000:01:00.1 disappeared");
        _cleanup_free_ char *gpu = scenario_driver(GPU);
        ck_assert_str_eq(gpu, "vfio-pci");
        ck_assert(!sim_device_exists(scenario_root, AUDIO));
}
END_TEST

START_TEST(test_second_run_is_a_no_op) {
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        ck_assert_int_eq(sim_log_clear(scenario_root), 0);
        ck_assert_int_eq(scenario_tool(&out2, NULL, "apply", NULL), 0);
        assert_contains(out2, "already-claimed");
        assert_not_contains(out2, " claimed\n");
        _cleanup_free_ char *log = NULL;
        (void) sim_log_read(scenario_root, &log);
        ck_assert_msg(!log || !*log, "second run wrote to sysfs:\n%s", log);
}
END_TEST

START_TEST(test_release_round_trip) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&a, NULL, "apply", NULL), 0);
        ck_assert_int_eq(scenario_tool(&b, NULL, "release", NULL), 0);
        assert_contains(b, "2 of 2 functions released");
        /* The table shows the driver after the release, not before. */
        assert_contains(b, "vfio-pci  bochs-drm ");
        assert_contains(b, "still in");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *audio = scenario_driver(AUDIO), *ov = scenario_override(GPU);
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_str_eq(audio, "snd_hda_intel");
        ck_assert_str_eq(ov, "(null)");
        ck_assert(!sim_vfio_group_exists(scenario_root, "2"));
        ck_assert_int_eq(scenario_tool(&c, NULL, "apply", NULL), 0);
        _cleanup_free_ char *gpu2 = scenario_driver(GPU);
        ck_assert_str_eq(gpu2, "vfio-pci");
}
END_TEST

START_TEST(test_root_filesystem_controller_refused) {
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        scenario_write_config("[disk]\naddress = 00:05.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "0000:00:05.0 is the controller of the mounted filesystems /;");
        assert_contains(out, "force = yes");
        _cleanup_free_ char *disk = scenario_driver("0000:00:05.0");
        ck_assert_str_eq(disk, "virtio-pci");
        ck_assert_int_eq(sim_log_count(scenario_root, "0000:00:05.0"), 0);

        scenario_write_config("[disk]\naddress = 00:05.0\nforce = yes\n");
        ck_assert_int_eq(scenario_tool(&out2, NULL, "apply", NULL), 0);
        assert_contains(out2, "claimed anyway (force = yes)");
        _cleanup_free_ char *disk2 = scenario_driver("0000:00:05.0");
        ck_assert_str_eq(disk2, "vfio-pci");
}
END_TEST

START_TEST(test_dry_run_touches_nothing) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", "--dry-run", NULL), 0);
        assert_contains(out, "planned");
        _cleanup_free_ char *log = NULL;
        (void) sim_log_read(scenario_root, &log);
        ck_assert_msg(!log || !*log, "dry run wrote:\n%s", log);
}
END_TEST

START_TEST(test_reset_method_and_boot_vga_notes) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(sim_knob_set(scenario_root, GPU, "reset_methods", "bus"), 0);
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\nreset_method = flr\n[console]\naddress = 00:01.0\n");
        /* A reset method the kernel refused is an error for that device: not claimed, override taken back. */
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "cannot set reset_method of 0000:01:00.0 to 'flr'");
        assert_contains(out, "reset-method-failed");
        assert_contains(out, "0000:00:01.0 is the firmware's boot display");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *ov = scenario_override(GPU);
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_str_eq(ov, "(null)");
}
END_TEST

START_TEST(test_release_refused_while_a_vm_holds_the_group) {
        _cleanup_free_ char *a = NULL, *st = NULL, *rel = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&a, NULL, "apply", NULL), 0);
        /* A VM process with the group node open, as /proc shows it. */
        scenario_write_file("proc/4242/comm", "qemu-system-x86\n");
        scenario_write_file("proc/4242/fd/.keep", "");
        char link[4096];
        snprintf(link, sizeof(link), "%s/proc/4242/fd/17", scenario_root);
        ck_assert_int_eq(symlink("/dev/vfio/2", link), 0);

        ck_assert_int_eq(scenario_tool(&st, NULL, "status", NULL), 0);
        assert_contains(st, "/dev/vfio/2 is open by qemu-system-x86 (pid 4242)");
        ck_assert_int_eq(scenario_tool(&rel, NULL, "release", NULL), 1);
        assert_contains(rel, "0000:01:00.0 is in use: /dev/vfio/2 is open by qemu-system-x86 (pid 4242)");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *ov = scenario_override(GPU);
        ck_assert_str_eq(gpu, "vfio-pci");
        ck_assert_str_eq(ov, "vfio-pci");
}
END_TEST

START_TEST(test_older_binding_setups_are_reported) {
        _cleanup_free_ char *out = NULL;
        scenario_write_file("proc/cmdline", "root=/dev/vda intel_iommu=on vfio-pci.ids=1234:1111,8086:293e\n");
        scenario_write_file("etc/modprobe.d/vfio.conf", "# passthrough\noptions vfio-pci ids=1234:1111\n");
        scenario_write_file("etc/driverctl.d/pci-0000:01:00.0", "vfio-pci\n");
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "the kernel command line has 'vfio-pci.ids=1234:1111,8086:293e'");
        assert_contains(out, "/etc/modprobe.d/vfio.conf:2 binds by vendor:device ids");
        assert_contains(out, "driverctl also overrides 0000:01:00.0");
}
END_TEST

START_TEST(test_zfs_root_keeps_storage_controllers) {
        /* A zfs root names a dataset, not a device: no storage controller is safe to take. */
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        scenario_write_file("proc/self/mountinfo",
                            "24 1 0:23 / / rw,relatime shared:1 - zfs rpool/ROOT/pve-1 rw,xattr,noacl\n");
        scenario_write_config("[disk]\naddress = 00:05.0\n[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "the root filesystem (zfs 'rpool/ROOT/pve-1') does not say which controller holds it");
        assert_contains(out, "root-unknown");
        _cleanup_free_ char *disk = scenario_driver("0000:00:05.0"), *gpu = scenario_driver(GPU);
        ck_assert_str_eq(disk, "virtio-pci");
        ck_assert_str_eq(gpu, "vfio-pci");
        scenario_write_config("[disk]\naddress = 00:05.0\nforce = yes\n");
        ck_assert_int_eq(scenario_tool(&out2, NULL, "apply", NULL), 0);
        _cleanup_free_ char *disk2 = scenario_driver("0000:00:05.0");
        ck_assert_str_eq(disk2, "vfio-pci");
}
END_TEST

START_TEST(test_address_without_domain_is_ambiguous_on_multi_domain_hosts) {
        scenario_teardown();
        _cleanup_free_ char *host = NULL;
        ck_assert_int_ge(asprintf(&host, "%sdevice 0001:01:00.0 id=8086:10d3 class=0x020000 group=9 driver=e1000e\n",
                                  scenario_host), 0);
        scenario_setup_with(host);
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "the address without a domain names 0000:01:00.0, but this host has 0001:01:00.0 too");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *nic = scenario_driver("0001:01:00.0");
        ck_assert_str_eq(gpu, "bochs-drm");
        ck_assert_str_eq(nic, "e1000e");
        scenario_write_config("[gpu]\naddress = 0000:01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&out2, NULL, "apply", NULL), 0);
}
END_TEST


/* A failed probe leaves the device on no driver, with its override as a hold: the report says so (the
 * driver link, not the driver it had), and the next run repairs once the cause is gone. */
START_TEST(test_failed_probe_reports_no_driver_and_holds) {
        _cleanup_free_ char *json = NULL, *again = NULL;
        ck_assert_int_eq(sim_knob_set(scenario_root, GPU, "probe_errno", "vfio-pci:EIO"), 0);
        scenario_write_config("[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(scenario_tool(&json, NULL, "apply", "--json", NULL), 1);
        assert_contains(json, "\"driver\":null");
        assert_contains(json, "\"driver_before\":\"bochs-drm\"");
        assert_contains(json, "\"reason\":\"probe-failed\"");
        assert_not_contains(json, "\"driver\":\"bochs-drm\"");
        _cleanup_free_ char *gpu = scenario_driver(GPU), *ov = scenario_override(GPU);
        ck_assert_str_eq(gpu, "(none)");
        ck_assert_str_eq(ov, "vfio-pci");

        ck_assert_int_eq(sim_knob_set(scenario_root, GPU, "probe_errno", ""), 0);
        ck_assert_int_eq(scenario_tool(&again, NULL, "apply", "--json", NULL), 0);
        _cleanup_free_ char *now = scenario_driver(GPU);
        ck_assert_str_eq(now, "vfio-pci");
}
END_TEST

/* A VM that opened the device's own cdev (iommufd) holds it as much as one with the group node: release
 * refuses. Its comm is escaped before it is printed. */
START_TEST(test_release_refused_while_a_vm_holds_the_cdev) {
        _cleanup_free_ char *a = NULL, *rel = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&a, NULL, "apply", NULL), 0);
        _cleanup_free_ char *cdev = scenario_read_file("dev/vfio/devices/vfio0");
        ck_assert_ptr_nonnull(cdev);
        scenario_write_file("proc/4343/comm", "qemu\033[31mred\n");
        scenario_write_file("proc/4343/fd/.keep", "");
        char link[4096];
        snprintf(link, sizeof(link), "%s/proc/4343/fd/21", scenario_root);
        ck_assert_int_eq(symlink("/dev/vfio/devices/vfio0", link), 0);

        ck_assert_int_eq(scenario_tool(&rel, NULL, "release", GPU, NULL), 1);
        assert_contains(rel, "0000:01:00.0 is in use: /dev/vfio/devices/vfio0 is open by qemu\\x1b[31mred (pid 4343)");
        assert_not_contains(rel, "\033");
        _cleanup_free_ char *gpu = scenario_driver(GPU);
        ck_assert_str_eq(gpu, "vfio-pci");
}
END_TEST

/* Only VFIO drivers: anything else would move the device from one host driver to another. A name that
 * cannot be a VFIO driver is a configuration error; a variant-looking name whose module does not use
 * vfio_pci_core is refused for that device. Neither writes anything. */
START_TEST(test_driver_that_is_not_vfio_is_refused) {
        _cleanup_free_ char *check = NULL, *out = NULL, *host = NULL, *variant = NULL;
        scenario_write_config("[usb]\naddress = 00:04.0\ndriver = snd_hda_intel\n");
        ck_assert_int_eq(scenario_tool(&check, NULL, "check", NULL), 2);
        assert_contains(check, "driver must be vfio-pci, auto or a VFIO variant driver");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 2);
        ck_assert_int_eq(sim_log_count(scenario_root, "write"), 0);

        ck_assert_int_ge(asprintf(&host, "%smodule fake_vfio_pci state=loadable deps=vfio_iommu_type1\n", scenario_host),
                         0);
        scenario_teardown();
        scenario_setup_with(host);
        scenario_write_config("[usb]\naddress = 00:04.0\ndriver = fake_vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&variant, NULL, "check", NULL), 1);
        assert_contains(variant, "is not a VFIO driver");
        assert_contains(variant, "not-vfio-driver");
        free(out);
        out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "is not a VFIO driver");
        _cleanup_free_ char *usb = scenario_driver("0000:00:04.0"), *ov = scenario_override("0000:00:04.0");
        ck_assert_str_eq(usb, "xhci_hcd");
        ck_assert_str_eq(ov, "(null)");
        ck_assert_int_eq(sim_log_count(scenario_root, "write"), 0);
}
END_TEST

/* The module's spelling of vfio-pci is read as vfio-pci. */
START_TEST(test_module_spelling_of_vfio_pci) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[usb]\naddress = 00:04.0\ndriver = vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        _cleanup_free_ char *usb = scenario_driver("0000:00:04.0");
        ck_assert_str_eq(usb, "vfio-pci");
}
END_TEST

START_TEST(test_variant_driver_using_vfio_pci_core_is_accepted) {
        _cleanup_free_ char *host = NULL, *out = NULL;
        ck_assert_int_ge(asprintf(&host, "%smodule mlx5_vfio_pci state=loadable deps=vfio_pci_core,vfio\n",
                                  scenario_host),
                         0);
        scenario_teardown();
        scenario_setup_with(host);
        scenario_write_config("[usb]\naddress = 00:04.0\ndriver = mlx5_vfio_pci\n");
        scenario_tool(&out, NULL, "check", NULL);
        assert_not_contains(out, "not-vfio-driver");
}
END_TEST

int main(void) {
        Suite *s = suite_create("claim");
        TCase *tc = tcase_create("claim");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, scenario_setup, scenario_teardown);
        tcase_add_test(tc, test_gpu_and_audio_pair_claimed);
        tcase_add_test(tc, test_failed_probe_reports_no_driver_and_holds);
        tcase_add_test(tc, test_release_refused_while_a_vm_holds_the_cdev);
        tcase_add_test(tc, test_driver_that_is_not_vfio_is_refused);
        tcase_add_test(tc, test_module_spelling_of_vfio_pci);
        tcase_add_test(tc, test_variant_driver_using_vfio_pci_core_is_accepted);
        tcase_add_test(tc, test_sibling_left_on_host_driver_is_not_viable);
        tcase_add_test(tc, test_nonviable_group_refused_by_policy);
        tcase_add_test(tc, test_id_guard_mismatch_leaves_device_alone);
        tcase_add_test(tc, test_iommu_off);
        tcase_add_test(tc, test_vfio_driver_missing);
        tcase_add_test(tc, test_failing_modules_are_loaded_once);
        tcase_add_test(tc, test_failing_iommu_backend_warns_once);
        tcase_add_test(tc, test_variant_driver_unknown_to_kernel);
        tcase_add_test(tc, test_probe_success_with_nothing_bound_is_not_trusted);
        tcase_add_test(tc, test_ebusy_on_unbind);
        tcase_add_test(tc, test_unbind_that_hangs_is_bounded);
        tcase_add_test(tc, test_device_vanishes_mid_run);
        tcase_add_test(tc, test_second_run_is_a_no_op);
        tcase_add_test(tc, test_release_round_trip);
        tcase_add_test(tc, test_root_filesystem_controller_refused);
        tcase_add_test(tc, test_dry_run_touches_nothing);
        tcase_add_test(tc, test_reset_method_and_boot_vga_notes);
        tcase_add_test(tc, test_release_refused_while_a_vm_holds_the_group);
        tcase_add_test(tc, test_older_binding_setups_are_reported);
        tcase_add_test(tc, test_zfs_root_keeps_storage_controllers);
        tcase_add_test(tc, test_address_without_domain_is_ambiguous_on_multi_domain_hosts);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
