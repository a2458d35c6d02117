/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"
#include "utf8.h"

START_TEST(test_usage_errors_exit_2) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        ck_assert_int_eq(scenario_tool(NULL, &e1, NULL), 2);
        assert_contains(e1, "missing verb");
        ck_assert_int_eq(scenario_tool(NULL, &e2, "frobnicate", NULL), 2);
        assert_contains(e2, "unknown verb 'frobnicate'");
        ck_assert_int_eq(scenario_tool(NULL, &e3, "status", "--dry-run", NULL), 2);
        assert_contains(e3, "--dry-run goes with apply");
        ck_assert_int_eq(scenario_tool(NULL, &e4, "release", "01:00.9", NULL), 2);
        assert_contains(e4, "'01:00.9' is not a PCI address");
}
END_TEST

START_TEST(test_help) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "--help", NULL), 0);
        assert_contains(out, "Usage: vfio-bind VERB");
        assert_contains(out, "Exit status");
}
END_TEST

START_TEST(test_missing_config_is_nothing_to_do) {
        _cleanup_free_ char *out = NULL, *json = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "does not exist: no devices to claim, nothing to do");
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_contains(json, "\"config_present\":false");
        assert_contains(json, "\"devices\":[]");
}
END_TEST

START_TEST(test_config_errors_name_file_and_line) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n[nic]\naddress = 00:03.0\nspeed = fast\n");
        ck_assert_int_eq(scenario_tool(&out, &err, "apply", NULL), 2);
        char expected[4096];
        snprintf(expected, sizeof(expected), "%s/etc/vfio-bind.conf:6: unknown key 'speed' in [nic]", scenario_root);
        assert_contains(out, expected);
        /* The valid section still gets its turn; the broken one claims nothing. */
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0"), *nic = scenario_driver("0000:00:03.0");
        ck_assert_str_eq(gpu, "vfio-pci");
        ck_assert_str_eq(nic, "e1000e");
        assert_contains(out, "config-invalid");
}
END_TEST

START_TEST(test_writable_config_refused) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\n");
        char path[4096];
        snprintf(path, sizeof(path), "%s/etc/vfio-bind.conf", scenario_root);
        ck_assert_int_eq(chmod(path, 0666), 0);
        ck_assert_int_eq(scenario_tool(&out, &err, "apply", NULL), 2);
        assert_contains(out, "is writable by group or others");
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(gpu, "bochs-drm");
}
END_TEST

START_TEST(test_fifo_config_refused_at_once) {
        /* Nothing ever writes into the FIFO: reading it would block check, apply and boot for ever. */
        _cleanup_free_ char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
        char path[4096];
        scenario_write_config("");
        snprintf(path, sizeof(path), "%s/etc/vfio-bind.conf", scenario_root);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        /* Configuration errors come first on stdout, where the report is read. */
        ck_assert_int_eq(scenario_tool(&out, &err, "check", NULL), 2);
        assert_contains(out, "is a FIFO, not a regular file");
        ck_assert_int_eq(scenario_tool(&out2, &err2, "check", "--config", "/dev/zero", NULL), 2);
        assert_contains(out2, "/dev/zero is a character device, not a regular file");
}
END_TEST

START_TEST(test_check_then_status_json) {
        _cleanup_free_ char *check = NULL, *before = NULL, *after = NULL, *apply = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&check, NULL, "check", NULL), 0);
        assert_contains(check, "ready");
        assert_contains(check, "2 of 2 functions can be claimed");
        assert_contains(check, "IOMMU group 2: 0000:00:02.0 pcieport, 0000:01:00.0 bochs-drm, 0000:01:00.1 snd_hda_intel");

        ck_assert_int_eq(scenario_tool(&before, NULL, "status", "--json", NULL), 1);
        assert_contains(before, "\"address\":\"0000:01:00.0\"");
        assert_contains(before, "\"driver\":\"bochs-drm\"");
        assert_contains(before, "\"verdict\":\"host-driver\"");
        assert_contains(before, "\"iommu_group\":2");

        ck_assert_int_eq(scenario_tool(&apply, NULL, "apply", "--json", NULL), 0);
        assert_contains(apply, "\"result\":\"claimed\"");
        assert_contains(apply, "\"driver_before\":\"bochs-drm\"");

        ck_assert_int_eq(scenario_tool(&after, NULL, "status", "--json", NULL), 0);
        assert_contains(after, "\"verdict\":\"ok\"");
        assert_contains(after, "\"driver\":\"vfio-pci\"");
        assert_contains(after, "\"group_viable\":true");
        assert_contains(after, "\"summary\":{\"functions\":2,\"ok\":2,\"errors\":0");
}
END_TEST

/* Well-formed UTF-8 with no control character but newlines: safe for a terminal and for a JSON parser. */
static void assert_clean_output(const char *s) {
        for (const char *p = s; *p;) {
                uint32_t c;
                size_t n = utf8_sequence_length(p, &c);
                ck_assert_msg(n > 0, "not UTF-8 at: %.20s", p);
                ck_assert_msg(c == '\n' || !unichar_is_control(c), "control character %#x at: %.20s", c, p);
                p += n;
        }
}

START_TEST(test_output_escapes_what_the_file_holds) {
        _cleanup_free_ char *json = NULL, *out = NULL, *err = NULL;
        /* A label with a stray byte and a C1 CSI, a value with a carriage return and an escape sequence. */
        scenario_write_config("[g\xffpu\xc2\x9b]\naddress = 01:00.0\nforce = ma\rybe\033[2J\n");
        ck_assert_int_eq(scenario_tool(&json, NULL, "check", "--json", NULL), 2);
        assert_clean_output(json);
        assert_contains(json, "\"label\":\"g\\ufffdpu\\u009b\"");
        assert_contains(json, "got 'ma\\u000dybe\\u001b[2J'");
        ck_assert_int_eq(scenario_tool(&out, &err, "check", NULL), 2);
        assert_clean_output(out);
        assert_clean_output(err);
        assert_contains(out, "got 'ma\\x0dybe\\x1b[2J'");
        assert_contains(out, "g\\xffpu\\xc2\\x9b");
}
END_TEST

START_TEST(test_status_table_is_aligned_without_color) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n[usb]\naddress = 00:04.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "status", NULL), 1);
        assert_not_contains(out, "\033[");
        /* Every row starts its ADDRESS column at the same offset as the header. */
        const char *header = strstr(out, "LABEL");
        ck_assert_ptr_nonnull(header);
        size_t col = strstr(header, "ADDRESS") - header;
        for (const char *line = strchr(header, '\n') + 1; *line && *line != '\n'; line = strchr(line, '\n') + 1)
                ck_assert_msg(strncmp(line + col, "0000:", 5) == 0, "misaligned row: %.60s", line);
}
END_TEST

START_TEST(test_release_named_address_only) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&a, NULL, "apply", NULL), 0);
        ck_assert_int_eq(scenario_tool(&b, NULL, "release", "01:00.1", NULL), 0);
        assert_contains(b, "1 of 1 function released");
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0"), *audio = scenario_driver("0000:01:00.1");
        ck_assert_str_eq(gpu, "vfio-pci");
        ck_assert_str_eq(audio, "snd_hda_intel");
}
END_TEST

int main(void) {
        Suite *s = suite_create("cli");
        TCase *tc = tcase_create("cli");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, scenario_setup, scenario_teardown);
        tcase_add_test(tc, test_usage_errors_exit_2);
        tcase_add_test(tc, test_help);
        tcase_add_test(tc, test_missing_config_is_nothing_to_do);
        tcase_add_test(tc, test_config_errors_name_file_and_line);
        tcase_add_test(tc, test_writable_config_refused);
        tcase_add_test(tc, test_fifo_config_refused_at_once);
        tcase_add_test(tc, test_output_escapes_what_the_file_holds);
        tcase_add_test(tc, test_check_then_status_json);
        tcase_add_test(tc, test_status_table_is_aligned_without_color);
        tcase_add_test(tc, test_release_named_address_only);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
