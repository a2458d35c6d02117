/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* Which controllers hold what the host needs: only real block devices count, swap included. */

static void storage_setup(void) {
        _cleanup_free_ char *host = NULL;
        /* A SATA controller with a disk nothing is mounted from, and a second virtio disk. */
        ck_assert_int_ge(asprintf(&host,
                                  "%s"
                                  "driver ahci module=ahci classes=010601\n"
                                  "device 0000:00:07.0 id=8086:2922 class=0x010601 group=7 driver=ahci\n"
                                  "block 0000:00:07.0 path=ata1/host0/target0:0:0/0:0:0:0/block/sda dev=8:0\n"
                                  "device 0000:00:08.0 id=1af4:1001 class=0x010000 group=8 driver=virtio-pci\n"
                                  "block 0000:00:08.0 path=virtio2/block/vdb dev=254:16\n",
                                  scenario_host),
                         0);
        scenario_setup_with(host);
}

static void append_file(const char *relative, const char *text) {
        _cleanup_free_ char *old = scenario_read_file(relative), *all = NULL;
        ck_assert_int_ge(asprintf(&all, "%s%s", old ? old : "", text), 0);
        scenario_write_file(relative, all);
}

START_TEST(test_fuse_fsname_does_not_hold_a_controller) {
        _cleanup_free_ char *out = NULL;
        append_file("proc/self/mountinfo", "99 1 0:55 / /mnt/remote rw,nosuid,nodev - fuse.sshfs /dev/sda rw\n");
        scenario_write_config("[sata]\naddress = 00:07.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_not_contains(out, "holds-filesystem");
}
END_TEST

START_TEST(test_btrfs_still_names_its_device) {
        _cleanup_free_ char *out = NULL;
        append_file("proc/self/mountinfo", "99 1 0:56 / /data rw - btrfs /dev/sda rw\n");
        scenario_write_config("[sata]\naddress = 00:07.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 1);
        assert_contains(out, "holds-filesystem");
}
END_TEST

START_TEST(test_active_swap_holds_its_controller) {
        _cleanup_free_ char *out = NULL;
        scenario_write_file("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                                          "/dev/vdb                                partition\t1048572\t\t0\t\t-2\n");
        scenario_write_config("[disk2]\naddress = 00:08.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        assert_contains(out, "holds-filesystem");
        assert_contains(out, "[swap]");
        _cleanup_free_ char *drv = scenario_driver("0000:00:08.0");
        ck_assert_str_eq(drv, "virtio-pci");
}
END_TEST

START_TEST(test_long_driver_name_is_not_cut) {
        _cleanup_free_ char *out = NULL, *config = NULL;
        /* 64 characters: longer than any kernel module name. It is refused whole, never cut to fit. */
        const char *name = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabc_vfio_pci";
        ck_assert_uint_eq(strlen(name), 64);
        ck_assert_int_ge(asprintf(&config, "[usb]\naddress = 00:04.0\ndriver = %s\n", name), 0);
        scenario_write_config(config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 2);
        char expected[160];
        snprintf(expected, sizeof(expected), "driver '%s' is longer than a kernel module name can be", name);
        assert_contains(out, expected);
        ck_assert_int_eq(sim_log_count(scenario_root, "write"), 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("storage");
        TCase *tc = tcase_create("storage");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, storage_setup, scenario_teardown);
        tcase_add_test(tc, test_fuse_fsname_does_not_hold_a_controller);
        tcase_add_test(tc, test_btrfs_still_names_its_device);
        tcase_add_test(tc, test_active_swap_holds_its_controller);
        tcase_add_test(tc, test_long_driver_name_is_not_cut);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
