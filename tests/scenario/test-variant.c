/* SPDX-License-Identifier: GPL-2.0-or-later */
/* driver = auto: the variant driver is chosen from the kernel's vfio_pci: aliases, as libvirt chooses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* 00:04.0 is 1b36:000d, class 0c0330: its modalias is pci:v00001B36d0000000Dsv...bc0Csc03i30. */
#define XHCI_EXACT   "vfio_pci:v00001B36d0000000Dsv*sd*bc*sc*i*"
#define XHCI_VENDOR  "vfio_pci:v00001B36d*sv*sd*bc*sc*i*"
#define OTHER_DEVICE "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"

static void setup_host(const char *extra) {
        _cleanup_free_ char *host = NULL;
        ck_assert_int_ge(asprintf(&host, "%s%s", scenario_host, extra), 0);
        scenario_teardown();
        scenario_setup_with(host);
        scenario_write_config("[usb]\naddress = 00:04.0\ndriver = auto\n");
}

/* A matching alias names the driver: check plans it, apply binds it, status and JSON say why. */
START_TEST(test_matching_alias_chooses_and_binds_variant) {
        _cleanup_free_ char *check = NULL, *out = NULL, *json = NULL, *drv = NULL, *ov = NULL;
        setup_host("module mlx5_vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                   "alias " XHCI_EXACT " mlx5_vfio_pci\n"
                   "alias pci:v00001B36d0000000Dsv*sd*bc*sc*i* xhci_pci\n");
        ck_assert_int_eq(scenario_tool(&check, NULL, "check", NULL), 0);
        assert_contains(check, "0000:00:04.0 mlx5_vfio_pci: modules.alias " XHCI_EXACT);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        drv = scenario_driver("0000:00:04.0");
        ov = scenario_override("0000:00:04.0");
        ck_assert_str_eq(drv, "mlx5_vfio_pci");
        ck_assert_str_eq(ov, "mlx5_vfio_pci");
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_contains(json, "\"wanted_driver\":\"mlx5_vfio_pci\"");
        assert_contains(json, "\"driver_choice\":\"modules.alias " XHCI_EXACT "\"");

        /* The chosen variant is a VFIO driver like any other: release hands the device back. */
        _cleanup_free_ char *status = NULL, *released = NULL, *back = NULL;
        ck_assert_int_eq(scenario_tool(&status, NULL, "status", NULL), 0);
        assert_contains(status, "Driver chosen (driver = auto)");
        ck_assert_int_eq(scenario_tool(&released, NULL, "release", NULL), 0);
        back = scenario_driver("0000:00:04.0");
        ck_assert_str_eq(back, "xhci_hcd");
}
END_TEST

/* No alias for this device (only for another one): vfio-pci, and the reason says so. */
START_TEST(test_no_alias_falls_back_to_vfio_pci) {
        _cleanup_free_ char *out = NULL, *json = NULL, *drv = NULL;
        setup_host("module mlx5_vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                   "alias " OTHER_DEVICE " mlx5_vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        drv = scenario_driver("0000:00:04.0");
        ck_assert_str_eq(drv, "vfio-pci");
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_contains(json, "\"wanted_driver\":\"vfio-pci\"");
        assert_contains(json, "\"driver_choice\":\"no variant driver matches; vfio-pci\"");
}
END_TEST

/* Two aliases match: the one with fewer wildcards wins even though the other module sorts first; equal
 * patterns go to the first name alphabetically. */
START_TEST(test_two_matches_choose_the_more_specific) {
        _cleanup_free_ char *out = NULL, *json = NULL, *drv = NULL;
        setup_host("module aaa_vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                   "module zzz_vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                   "alias " XHCI_VENDOR " aaa_vfio_pci\n"
                   "alias " XHCI_EXACT " zzz_vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "the most specific of 2 matching aliases");
        drv = scenario_driver("0000:00:04.0");
        ck_assert_str_eq(drv, "zzz_vfio_pci");

        free(json);
        json = NULL;
        setup_host("module bbb_vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                   "module aaa_vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                   "alias " XHCI_EXACT " bbb_vfio_pci\n"
                   "alias " XHCI_EXACT " aaa_vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&json, NULL, "check", "--json", NULL), 0);
        assert_contains(json, "\"wanted_driver\":\"aaa_vfio_pci\"");
}
END_TEST


/* The initramfs hooks pack what `modules` lists: the VFIO modules, and the variant driver = auto would
 * choose for the kernel the image is built for. An image built for a kernel without the alias index falls
 * back to vfio-pci, which is always listed. */
START_TEST(test_modules_lists_the_chosen_variant_for_the_initramfs) {
        _cleanup_free_ char *out = NULL, *other = NULL, *err = NULL;
        setup_host("module mlx5_vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                   "alias " XHCI_EXACT " mlx5_vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "modules", NULL), 0);
        assert_contains(out, "vfio VFIO core\n");
        assert_contains(out, "vfio_iommu_type1 ");
        assert_contains(out, "vfio_pci default VFIO driver\n");
        assert_contains(out, "mlx5_vfio_pci [usb] driver = auto: 0000:00:04.0 matches " XHCI_EXACT "\n");

        ck_assert_int_eq(scenario_tool(&other, NULL, "modules", "--kernel=9.9.9-other", NULL), 0);
        assert_contains(other, "vfio_pci default VFIO driver\n");
        ck_assert_ptr_null(strstr(other, "mlx5_vfio_pci"));

        ck_assert_int_eq(scenario_tool(&err, NULL, "modules", "--kernel=../../etc", NULL), 2);
}
END_TEST

/* A driver named in the configuration is packed as its module, whatever the device. */
START_TEST(test_modules_lists_an_explicit_variant) {
        _cleanup_free_ char *out = NULL;
        setup_host("module virtio_vfio_pci state=loadable deps=vfio_pci_core,vfio\n");
        scenario_write_config("[usb]\naddress = 00:04.0\ndriver = virtio_vfio_pci\n\n"
                              "[broken]\naddress = 00:99.9.9\ndriver = zzz_vfio_pci\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "modules", NULL), 0);
        assert_contains(out, "virtio_vfio_pci [usb] driver = virtio_vfio_pci\n");
        /* An invalid section claims nothing, so it needs nothing in the image. */
        ck_assert_ptr_null(strstr(out, "zzz_vfio_pci"));
}
END_TEST

int main(void) {
        Suite *s = suite_create("variant");
        TCase *tc = tcase_create("variant");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, scenario_setup, scenario_teardown);
        tcase_add_test(tc, test_matching_alias_chooses_and_binds_variant);
        tcase_add_test(tc, test_no_alias_falls_back_to_vfio_pci);
        tcase_add_test(tc, test_two_matches_choose_the_more_specific);
        tcase_add_test(tc, test_modules_lists_the_chosen_variant_for_the_initramfs);
        tcase_add_test(tc, test_modules_lists_an_explicit_variant);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
