/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* What the summaries and exit statuses promise: never more than the kernel shows. */

static const char *const gpu_pair_config = "[gpu]\naddress = 01:00.0\nfunctions = all\n";

static bool root_has(const char *relative) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", scenario_root, relative);
        return access(path, F_OK) == 0;
}

START_TEST(test_dry_run_claims_nothing_says_nothing_claimed_and_takes_no_lock) {
        _cleanup_free_ char *out = NULL, *json = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", "--dry-run", NULL), 0);
        assert_contains(out, "0 of 2 functions on vfio-pci now, 2 would be claimed (dry run: nothing changed)");
        assert_not_contains(out, "2 of 2 functions on vfio-pci");
        ck_assert(!root_has("run/vfio-bind/lock"));
        ck_assert_int_eq(sim_log_count(scenario_root, "write"), 0);
        ck_assert_int_eq(scenario_tool(&json, NULL, "apply", "--dry-run", "--json", NULL), 0);
        assert_not_contains(json, "2 of 2 functions on vfio-pci\"");
        ck_assert(!root_has("run/vfio-bind/lock"));
}
END_TEST

START_TEST(test_release_of_unclaimed_and_host_gpu_is_not_released) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(gpu_pair_config);
        /* The host's own boot GPU and a configured pair never claimed. */
        ck_assert_int_eq(scenario_tool(&out, NULL, "release", "0000:00:01.0", "0000:01:00.0", NULL), 0);
        assert_contains(out, "0 of 2 functions released, 2 not on a VFIO driver");
        assert_not_contains(out, "2 of 2 functions released");
        _cleanup_free_ char *vga = scenario_driver("0000:00:01.0");
        ck_assert_str_eq(vga, "bochs-drm");
}
END_TEST

START_TEST(test_release_after_claim_says_released) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(gpu_pair_config);
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "release", NULL), 0);
        assert_contains(out, "2 of 2 functions released");
}
END_TEST

START_TEST(test_config_with_only_errors_is_not_nothing_to_do) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[global]\nspeed = fast\n[nic]\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 2);
        assert_not_contains(out, "nothing to do");
        assert_contains(out, "correct the errors above");
}
END_TEST

START_TEST(test_explicit_missing_config_is_an_error) {
        _cleanup_free_ char *out = NULL, *err = NULL, *missing = NULL;
        ck_assert_int_ge(asprintf(&missing, "%s/etc/nonexistent.conf", scenario_root), 0);
        ck_assert_int_eq(scenario_tool(&out, &err, "apply", "--config", missing, NULL), 2);
        assert_contains(err, "No such file or directory");
        assert_not_contains(out, "nothing to do");
        /* The default path may be absent: nothing is configured. */
        _cleanup_free_ char *out2 = NULL;
        ck_assert_int_eq(scenario_tool(&out2, NULL, "check", NULL), 0);
        assert_contains(out2, "nothing to do");
}
END_TEST

START_TEST(test_config_errors_come_before_the_table_on_stdout) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n[nic]\naddress = 00:03.0\nspeed = fast\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 2);
        const char *error = strstr(out, ":6: unknown key 'speed'");
        const char *table = strstr(out, "0000:01:00.0");
        ck_assert_ptr_nonnull(error);
        ck_assert_ptr_nonnull(table);
        ck_assert(error < table);
}
END_TEST

/* A captured tree is not this host: without a simulator serving it, no module is loaded (the real libkmod
 * would load it into the running kernel), and the report says so in its own words. */
START_TEST(test_root_tree_never_loads_modules_on_the_host) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        scenario_write_config(gpu_pair_config);
        setenv("SCENARIO_NO_SIM", "1", 1);
        int r = scenario_tool(&out, &err, "apply", NULL);
        unsetenv("SCENARIO_NO_SIM");
        ck_assert_int_eq(r, 1);
        assert_contains(out, "modules are not loaded under --root");
        assert_contains(out, "vfio_iommu_type1 was not loaded");
        assert_not_contains(out, "libkmod");
        assert_not_contains(err, "libkmod");
}
END_TEST

static void summary_setup(void) {
        scenario_setup();
}

int main(void) {
        Suite *s = suite_create("summary");
        TCase *tc = tcase_create("summary");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, summary_setup, scenario_teardown);
        tcase_add_test(tc, test_dry_run_claims_nothing_says_nothing_claimed_and_takes_no_lock);
        tcase_add_test(tc, test_release_of_unclaimed_and_host_gpu_is_not_released);
        tcase_add_test(tc, test_release_after_claim_says_released);
        tcase_add_test(tc, test_config_with_only_errors_is_not_nothing_to_do);
        tcase_add_test(tc, test_explicit_missing_config_is_an_error);
        tcase_add_test(tc, test_config_errors_come_before_the_table_on_stdout);
        tcase_add_test(tc, test_root_tree_never_loads_modules_on_the_host);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
