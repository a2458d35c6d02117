/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* Kernel taint: the flags the kernel sets while vfio-bind claims are reported, each with its letter and
 * meaning; flags that were set before are not vfio-bind's news. */

static const char *const gpu_config = "[gpu]\naddress = 01:00.0\nfunctions = all\n";

/* A flag set before (P) and one the bind sets (O): only O is new, and the numbers are the tree's. */
START_TEST(test_new_taint_is_reported) {
        _cleanup_free_ char *out = NULL, *text = NULL;

        scenario_write_file("proc/sys/kernel/tainted", "1\n");
        ck_assert_int_eq(sim_knob_set(scenario_root, "kernel", "taint_on_bind", "4096"), 0);
        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", "--json", NULL), 0);
        _cleanup_free_ char *now = scenario_read_file("proc/sys/kernel/tainted");
        ck_assert_str_eq(now, "4097\n");
        assert_contains(out, "\"taint_before\":1,\"taint_after\":4097,\"new_taint\":[{\"bit\":12,\"letter\":\"O\","
                             "\"meaning\":\"an externally-built (out-of-tree) module was loaded\"}]");
        assert_contains(out, "\"severity\":\"warning\",\"code\":\"kernel-taint\"");
        assert_not_contains(out, "\"bit\":0");

        /* The second run binds nothing: nothing new. */
        ck_assert_int_eq(scenario_tool(&text, NULL, "apply", NULL), 0);
        assert_not_contains(text, "tainted");
}
END_TEST

/* The text output warns with the flag's letter and meaning. */
START_TEST(test_taint_warning_in_text) {
        _cleanup_free_ char *out = NULL;

        ck_assert_int_eq(sim_knob_set(scenario_root, "kernel", "taint_on_bind", "8192"), 0);
        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "the kernel became tainted while devices were claimed: flag E (bit 13), an unsigned "
                             "module was loaded");
}
END_TEST

/* No change: empty list; status claims nothing, so it reads no taint. */
START_TEST(test_no_taint_change) {
        _cleanup_free_ char *out = NULL, *st = NULL;

        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", "--json", NULL), 0);
        assert_contains(out, "\"taint_before\":0,\"taint_after\":0,\"new_taint\":[]");
        assert_not_contains(out, "kernel-taint");
        ck_assert_int_eq(scenario_tool(&st, NULL, "status", "--json", NULL), 0);
        assert_contains(st, "\"taint_before\":null,\"taint_after\":null,\"new_taint\":[]");
}
END_TEST

/* The boot path warns in the journal. */
START_TEST(test_taint_in_boot_journal) {
        _cleanup_free_ char *out = NULL;

        ck_assert_int_eq(sim_knob_set(scenario_root, "kernel", "taint_on_bind", "32768"), 0);
        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "flag K (bit 15), the kernel was live-patched");
        /* The taint entry itself is a warning: find its block (entries are separated by a blank line). */
        const char *kind = strstr(out, "VFIO_BIND_KIND=kernel-taint\n");
        ck_assert_ptr_nonnull(kind);
        const char *start = kind;
        while (start > out && !(start[-1] == '\n' && start > out + 1 && start[-2] == '\n'))
                start--;
        const char *end = strstr(kind, "\n\n");
        _cleanup_free_ char *entry = strndup(start, end ? (size_t)(end - start) : strlen(start));
        ck_assert_ptr_nonnull(entry);
        assert_contains(entry, "PRIORITY=4\n");
}
END_TEST

int main(void) {
        Suite *s = suite_create("taint");
        TCase *tc = tcase_create("taint");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, scenario_setup, scenario_teardown);
        tcase_add_test(tc, test_new_taint_is_reported);
        tcase_add_test(tc, test_taint_warning_in_text);
        tcase_add_test(tc, test_no_taint_change);
        tcase_add_test(tc, test_taint_in_boot_journal);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
