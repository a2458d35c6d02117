/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* vfs = N: an SR-IOV NIC whose PF stays on igb while its virtual functions are created at boot and handed
 * to vfio-pci before igbvf can take them. The simulator creates VFs at offset 128, stride 2: 01:10.0,
 * 01:10.2, 01:10.4, 01:10.6. */

#define PF "0000:01:00.0"

static char *host(const char *pf_extra, const char *knobs) {
        char *text = NULL;
        ck_assert_int_ge(asprintf(&text,
                                  "host iommu=on ir=on cpu=intel cpus=2\n"
                                  "cmdline console=ttyS0 root=/dev/vda rw intel_iommu=on\n"
                                  "module vfio state=loadable\n"
                                  "module vfio_iommu_type1 state=loadable deps=vfio\n"
                                  "module vfio_pci_core state=loadable deps=vfio\n"
                                  "module vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                                  "module pcieportdrv state=builtin\n"
                                  "module igbvf state=live\n"
                                  "driver pcieport module=pcieportdrv classes=060400\n"
                                  "driver igb module=igb ids=8086:1521\n"
                                  "driver igbvf module=igbvf ids=8086:1520\n"
                                  "driver virtio-pci module=virtio_pci ids=1af4:1001\n"
                                  "driver vfio-pci module=vfio_pci\n"
                                  "device 0000:00:00.0 id=8086:29c0 class=0x060000 group=0\n"
                                  "device 0000:00:02.0 id=1b36:000c class=0x060400 group=2 driver=pcieport\n"
                                  "device " PF " parent=0000:00:02.0 id=8086:1521 class=0x020000 group=7 %s\n"
                                  "knob " PF " vf_device=1520 %s\n"
                                  "device 0000:00:05.0 id=1af4:1001 class=0x010000 group=5 driver=virtio-pci\n"
                                  "block 0000:00:05.0 path=virtio1/block/vda dev=254:0 mount=/ fstype=ext4\n",
                                  pf_extra, knobs),
                         0);
        return text;
}

static void setup_host(const char *pf_extra, const char *knobs) {
        _cleanup_free_ char *h = host(pf_extra, knobs);
        scenario_setup_with(h);
}

static void assert_driver(const char *addr, const char *want) {
        _cleanup_free_ char *d = scenario_driver(addr);
        ck_assert_str_eq(d, want);
}

static const char *const two_vfs = "[vfs]\naddress = " PF "\nvfs = 2\n";

START_TEST(test_vfs_created_and_claimed) {
        _cleanup_free_ char *out = NULL, *log = NULL, *json = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "2 of 2 functions on vfio-pci");
        assert_contains(out, "[vfs]: " PF " has 2 virtual functions, created now; 2 of them configured to be claimed; "
                             "the PF stays on igb");
        assert_driver("0000:01:10.0", "vfio-pci");
        assert_driver("0000:01:10.2", "vfio-pci");
        assert_driver(PF, "igb");
        _cleanup_free_ char *numvfs = scenario_read_file("sys/bus/pci/devices/" PF "/sriov_numvfs");
        ck_assert_str_eq(numvfs, "2\n");
        /* Autoprobe off before the VFs exist: igbvf never had them, nothing was unbound. */
        ck_assert_int_eq(sim_log_read(scenario_root, &log), 0);
        char *autoprobe = strstr(log, "sriov_drivers_autoprobe len=1 data=\"0\" ret=1");
        char *create = strstr(log, "sriov_numvfs len=1 data=\"2\" ret=1");
        ck_assert_ptr_nonnull(autoprobe);
        ck_assert_ptr_nonnull(create);
        ck_assert(autoprobe < create);
        ck_assert_int_eq(sim_log_count(scenario_root, "igbvf/unbind"), 0);
        ck_assert_int_eq(sim_log_count(scenario_root, PF "/driver_override"), 0);
        /* The VFs are reported under the PF's label. */
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_contains(json, "\"label\":\"vfs\",\"address\":\"0000:01:10.0\"");
        assert_contains(json, "\"label\":\"vfs\",\"address\":\"0000:01:10.2\"");
        assert_contains(json, "\"code\":\"sriov\"");
}
END_TEST

START_TEST(test_check_before_the_vfs_exist) {
        _cleanup_free_ char *out = NULL, *status = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "[vfs]: " PF " has 0 of 2 virtual functions; they are created by 'vfio-bind apply'");
        ck_assert_int_eq(sim_log_count(scenario_root, "sriov"), 0);
        /* status is about now: missing VFs are a problem. */
        ck_assert_int_eq(scenario_tool(&status, NULL, "status", NULL), 1);
        assert_contains(status, "[vfs]: " PF " has 0 of 2 virtual functions");
}
END_TEST

START_TEST(test_unlisted_vf_stays_unbound) {
        /* With autoprobe off no VF driver takes a VF vfio-bind was not told to claim: it waits, unbound. */
        _cleanup_free_ char *out = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config("[vfs]\naddress = " PF "\nvfs = 2\nvf = 1\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_driver("0000:01:10.2", "vfio-pci");
        assert_driver("0000:01:10.0", "(none)");
        assert_contains(out, "1 of 1 function on vfio-pci");
}
END_TEST

START_TEST(test_vf_list_claims_only_those) {
        _cleanup_free_ char *out = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config("[vfs]\naddress = " PF "\nvfs = 4\nvf = 1,3\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "2 of 2 functions on vfio-pci");
        assert_driver("0000:01:10.2", "vfio-pci");
        assert_driver("0000:01:10.6", "vfio-pci");
        assert_driver("0000:01:10.0", "(none)");
        assert_driver("0000:01:10.4", "(none)");
}
END_TEST

START_TEST(test_other_count_goes_through_zero) {
        _cleanup_free_ char *out = NULL, *again = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        scenario_write_config("[vfs]\naddress = " PF "\nvfs = 3\n");
        ck_assert_int_eq(sim_log_clear(scenario_root), 0);
        ck_assert_int_eq(scenario_tool(&again, NULL, "apply", NULL), 0);
        assert_contains(again, "3 of 3 functions on vfio-pci");
        ck_assert_int_eq(sim_log_count(scenario_root, "sriov_numvfs len=1 data=\"0\" ret=1"), 1);
        ck_assert_int_eq(sim_log_count(scenario_root, "sriov_numvfs len=1 data=\"3\" ret=1"), 1);
        assert_driver("0000:01:10.4", "vfio-pci");
}
END_TEST

START_TEST(test_same_count_is_left_alone) {
        _cleanup_free_ char *out = NULL, *again = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        ck_assert_int_eq(sim_log_clear(scenario_root), 0);
        ck_assert_int_eq(scenario_tool(&again, NULL, "apply", NULL), 0);
        ck_assert_int_eq(sim_log_count(scenario_root, "sriov_numvfs"), 0);
        assert_contains(again, "2 of 2 functions on vfio-pci");
}
END_TEST

START_TEST(test_not_sriov_capable) {
        _cleanup_free_ char *out = NULL;
        setup_host("driver=igb", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "[vfs]: " PF " is not an SR-IOV physical function (no sriov_totalvfs)");
        assert_contains(out, "Single Root I/O Virtualization");
        assert_driver(PF, "igb");
}
END_TEST

START_TEST(test_more_than_total) {
        _cleanup_free_ char *out = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config("[vfs]\naddress = " PF "\nvfs = 7\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "[vfs]: vfs = 7, but " PF " offers at most 4 virtual functions (sriov_totalvfs)");
        assert_contains(out, "set vfs to 4 or fewer");
        ck_assert_int_eq(sim_log_count(scenario_root, "sriov_numvfs"), 0);
}
END_TEST

static void driver_refuses(const char *err, const char *fix) {
        _cleanup_free_ char *out = NULL;
        setup_host("driver=igb sriov_total=4", "");
        ck_assert_int_eq(sim_knob_set(scenario_root, PF, "fail_sriov_numvfs", err), 0);
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "[vfs]: " PF " (driver igb) refused sriov_numvfs = 2: ");
        assert_contains(out, fix);
        assert_driver(PF, "igb");
}

START_TEST(test_driver_refuses_busy) {
        driver_refuses("EBUSY", "the PF's driver is busy");
}
END_TEST

START_TEST(test_driver_refuses_no_memory) {
        driver_refuses("ENOMEM", "lacks resources for that many VFs");
}
END_TEST

START_TEST(test_vfs_share_the_pf_group) {
        _cleanup_free_ char *out = NULL;
        setup_host("driver=igb sriov_total=4", "vf_group=shared");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "virtual function 0000:01:10.0 shares IOMMU group 7 with its physical function " PF);
        assert_contains(out, "no ACS");
        assert_driver("0000:01:10.0", "(none)");
        assert_driver(PF, "igb");
}
END_TEST

START_TEST(test_release_removes_the_vfs) {
        _cleanup_free_ char *out = NULL, *rel = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        ck_assert_int_eq(scenario_tool(&rel, NULL, "release", NULL), 0);
        assert_contains(rel, "[vfs]: the virtual functions of " PF " are removed (sriov_numvfs = 0)");
        _cleanup_free_ char *numvfs = scenario_read_file("sys/bus/pci/devices/" PF "/sriov_numvfs");
        ck_assert_str_eq(numvfs, "0\n");
        ck_assert(!sim_device_exists(scenario_root, "0000:01:10.0"));
        assert_driver(PF, "igb");
}
END_TEST

START_TEST(test_release_of_one_vf_keeps_the_others) {
        _cleanup_free_ char *out = NULL, *rel = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        ck_assert_int_eq(scenario_tool(&rel, NULL, "release", "0000:01:10.2", NULL), 0);
        assert_driver("0000:01:10.0", "vfio-pci");
        ck_assert(sim_device_exists(scenario_root, "0000:01:10.2"));
        _cleanup_free_ char *d = scenario_driver("0000:01:10.2");
        ck_assert_str_ne(d, "vfio-pci");
}
END_TEST

START_TEST(test_release_of_the_pf_takes_its_vfs) {
        _cleanup_free_ char *out = NULL, *rel = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        ck_assert_int_eq(scenario_tool(&rel, NULL, "release", PF, NULL), 0);
        assert_contains(rel, "[vfs]: the virtual functions of " PF " are removed (sriov_numvfs = 0)");
        ck_assert(!sim_device_exists(scenario_root, "0000:01:10.0"));
        assert_driver(PF, "igb");
        /* The VFs were handed back before the PF dropped them. */
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(sim_log_read(scenario_root, &log), 0);
        char *unbind = strstr(log, "vfio-pci/unbind");
        char *zero = strstr(log, "sriov_numvfs len=1 data=\"0\"");
        ck_assert_ptr_nonnull(unbind);
        ck_assert_ptr_nonnull(zero);
        ck_assert(unbind < zero);
}
END_TEST

START_TEST(test_initramfs_without_the_pf_driver_leaves_it_to_root) {
        _cleanup_free_ char *early = NULL, *late = NULL;
        setup_host("sriov_total=4", "");
        scenario_write_config(two_vfs);
        scenario_write_file("dev/kmsg", "");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *kmsg = scenario_read_file("dev/kmsg");
        assert_contains(kmsg, "no function to claim: the virtual functions that vfs = asks for do not exist");
        ck_assert_int_eq(sim_log_count(scenario_root, "sriov_numvfs"), 0);
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        ck_assert_ptr_nonnull(state);
        /* The root stage has no PF driver either: that is an error there. */
        ck_assert_int_eq(scenario_tool(&late, NULL, "boot", "--stage=root", NULL), 1);
        assert_contains(late, "has no driver, and only its driver can create virtual functions");
}
END_TEST

START_TEST(test_initramfs_with_the_pf_driver_creates_them_there) {
        _cleanup_free_ char *early = NULL, *late = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        scenario_write_file("dev/kmsg", "");
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        assert_driver("0000:01:10.0", "vfio-pci");
        assert_driver("0000:01:10.2", "vfio-pci");
        _cleanup_free_ char *kmsg = scenario_read_file("dev/kmsg");
        assert_contains(kmsg, "2 of 2 functions on vfio-pci, claimed in the initramfs");
        /* The root stage finds them there and creates nothing. */
        ck_assert_int_eq(sim_log_clear(scenario_root), 0);
        ck_assert_int_eq(scenario_tool(&late, NULL, "boot", "--stage=root", NULL), 0);
        ck_assert_int_eq(sim_log_count(scenario_root, "sriov_numvfs"), 0);
        assert_contains(late, "VFIO_BIND_STAGE=initramfs");
}
END_TEST

START_TEST(test_root_stage_creates_and_reports_under_the_label) {
        _cleanup_free_ char *out = NULL;
        setup_host("driver=igb sriov_total=4", "");
        scenario_write_config(two_vfs);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "VFIO_BIND_LABEL=vfs");
        assert_contains(out, "VFIO_BIND_DEVICE=0000:01:10.0");
        assert_contains(out, "VFIO_BIND_DEVICE=0000:01:10.2");
        assert_contains(out, "created now");
}
END_TEST

static void teardown(void) {
        if (scenario_root)
                scenario_teardown();
}

int main(void) {
        Suite *s = suite_create("sriov");
        TCase *tc = tcase_create("sriov");
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_add_test(tc, test_vfs_created_and_claimed);
        tcase_add_test(tc, test_check_before_the_vfs_exist);
        tcase_add_test(tc, test_unlisted_vf_stays_unbound);
        tcase_add_test(tc, test_vf_list_claims_only_those);
        tcase_add_test(tc, test_other_count_goes_through_zero);
        tcase_add_test(tc, test_same_count_is_left_alone);
        tcase_add_test(tc, test_not_sriov_capable);
        tcase_add_test(tc, test_more_than_total);
        tcase_add_test(tc, test_driver_refuses_busy);
        tcase_add_test(tc, test_driver_refuses_no_memory);
        tcase_add_test(tc, test_vfs_share_the_pf_group);
        tcase_add_test(tc, test_release_removes_the_vfs);
        tcase_add_test(tc, test_release_of_one_vf_keeps_the_others);
        tcase_add_test(tc, test_release_of_the_pf_takes_its_vfs);
        tcase_add_test(tc, test_initramfs_without_the_pf_driver_leaves_it_to_root);
        tcase_add_test(tc, test_initramfs_with_the_pf_driver_creates_them_there);
        tcase_add_test(tc, test_root_stage_creates_and_reports_under_the_label);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
