/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "check-run.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "macro.h"

static Config *parse(const char *text) {
        Config *c = NULL;
        ck_assert_int_eq(config_parse_string("/etc/vfio-bind.conf", text, strlen(text), &c), 0);
        ck_assert_ptr_nonnull(c);
        return c;
}

/* The error on LINE must contain NEEDLE. */
static void assert_error(const Config *c, unsigned line, const char *needle) {
        for (size_t i = 0; i < c->n_errors; i++)
                if (c->errors[i].line == line && strstr(c->errors[i].message, needle))
                        return;
        for (size_t i = 0; i < c->n_errors; i++)
                fprintf(stderr, "  line %u: %s\n", c->errors[i].line, c->errors[i].message);
        ck_abort_msg("no error on line %u containing '%s'", line, needle);
}

START_TEST(test_minimal_syntax) {
        _cleanup_config_ Config *c = parse(
                "# one section per device handed to VMs; the section name is the admin's label\n"
                "[gpu]\n"
                "address = 0000:01:00.0     # PCI address; the domain may be omitted (01:00.0)\n"
                "functions = all            # optional: also claim every other function of the slot (01:00.*)\n"
                "expect = 10de:2684         # optional: refuse unless the device at that address is this vendor:device\n"
                "driver = vfio-pci          # optional: VFIO driver to hand it to (variant drivers such as mlx5_vfio_pci)\n"
                "force = no                 # optional: claim even a device the host depends on (root filesystem's controller)\n"
                "\n"
                "[hba]\n"
                "address = 0000:05:00.0\n");
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_uint_eq(c->n_sections, 2);
        const DeviceSection *gpu = &c->sections[0];
        ck_assert_str_eq(gpu->name, "gpu");
        ck_assert_uint_eq(gpu->n_addresses, 1);
        ck_assert_uint_eq(gpu->addresses[0].bus, 1);
        ck_assert(gpu->all_functions);
        ck_assert(gpu->has_expect);
        ck_assert_uint_eq(gpu->expect_vendor, 0x10de);
        ck_assert_uint_eq(gpu->expect_device, 0x2684);
        ck_assert_str_eq(device_section_driver(gpu), "vfio-pci");
        ck_assert(!gpu->force);
        ck_assert(!gpu->invalid);
        const DeviceSection *hba = &c->sections[1];
        ck_assert_str_eq(hba->name, "hba");
        ck_assert_uint_eq(hba->addresses[0].bus, 5);
        ck_assert(!hba->all_functions);
        ck_assert_str_eq(device_section_driver(hba), "vfio-pci");
        ck_assert_uint_eq(c->timeout_sec, DEFAULT_DEVICE_TIMEOUT_SEC);
        ck_assert_int_eq(c->group_policy, GROUP_POLICY_WARN);
}
END_TEST

START_TEST(test_global_and_lists) {
        _cleanup_config_ Config *c = parse("[global]\n"
                                           "nonviable_group = refuse ; inline comment\n"
                                           "timeout = 5\n"
                                           "[usb]\n"
                                           "address = 03:00.0, 04:00.0\n"
                                           "address = 0000:05:00.0\n"
                                           "  reset_method = bus\n"
                                           "driver = mlx5_vfio_pci\n");
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_int_eq(c->group_policy, GROUP_POLICY_REFUSE);
        ck_assert_uint_eq(c->timeout_sec, 5);
        ck_assert_uint_eq(c->sections[0].n_addresses, 3);
        ck_assert_uint_eq(c->sections[0].address_lines[2], 6);
        ck_assert_str_eq(c->sections[0].reset_method, "bus");
        ck_assert_str_eq(device_section_driver(&c->sections[0]), "mlx5_vfio_pci");
}
END_TEST

START_TEST(test_every_error_reported) {
        _cleanup_config_ Config *c = parse("orphan = 1\n"                 /* 1 */
                                           "[gpu]\n"                      /* 2 */
                                           "address = 0000:01:20.0\n"     /* 3 slot > 1f */
                                           "expect = 10de2684\n"          /* 4 */
                                           "colour = blue\n"              /* 5 */
                                           "force = maybe\n"              /* 6 */
                                           "[nic]\n"                      /* 7 */
                                           "address = 02:00.0\n"          /* 8 */
                                           "this line is junk\n"          /* 9 */
                                           "[hba]\n"                      /* 10 */
                                           "address = 0000:02:00.0\n"     /* 11 duplicate function */
                                           "[empty]\n"                    /* 12 no address */
                                           "[global]\n"                   /* 13 */
                                           "nonviable_group = sometimes\n" /* 14 */
                                           "[nic]\n"                      /* 15 duplicate section */
                                           "address = 06:00.0\n"          /* 16 */
                                           "[x\n");                       /* 17 */
        assert_error(c, 1, "outside of any section");
        assert_error(c, 3, "'0000:01:20.0' is not a PCI address");
        assert_error(c, 4, "expect must be VENDOR:DEVICE");
        assert_error(c, 5, "unknown key 'colour' in [gpu]");
        assert_error(c, 6, "force must be yes or no");
        assert_error(c, 9, "expected 'key = value' or '[section]'");
        assert_error(c, 11, "0000:02:00.0 is already named in [nic] at line 8");
        assert_error(c, 12, "section [empty] has no address");
        assert_error(c, 14, "nonviable_group must be 'warn' or 'refuse'");
        assert_error(c, 15, "section [nic] already defined at line 7");
        assert_error(c, 17, "expected ']'");
        ck_assert_uint_eq(c->n_errors, 11);
        /* A section with an error claims nothing; clean ones stay valid. */
        ck_assert(c->sections[0].invalid);  /* gpu */
        ck_assert(c->sections[1].invalid);  /* nic: junk line inside it */
        ck_assert(c->sections[2].invalid);  /* hba */
        ck_assert(c->sections[3].invalid);  /* empty */
}
END_TEST

START_TEST(test_duplicate_key_and_overlong) {
        char text[600];
        char longname[80];
        memset(longname, 'a', 60);
        longname[60] = 0;
        snprintf(text, sizeof(text),
                 "[gpu]\naddress = 01:00.0\nexpect = 10de:2684\nexpect = 10de:2685\n[%s]\naddress = 02:00.0\n"
                 "[nic]\naddress = 03:00.0 # %0200d\n",
                 longname, 0);
        _cleanup_config_ Config *c = parse(text);
        assert_error(c, 4, "key 'expect' given twice");
        assert_error(c, 5, "section name is longer than 50");
        assert_error(c, 8, "line is longer than 190");
}
END_TEST

START_TEST(test_indented_lines_are_not_continuations) {
        /* inih's multi-line mode would glue an indented line to the previous value. */
        _cleanup_config_ Config *c = parse("[gpu]\n    address = 01:00.0\n    functions = all\n");
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_uint_eq(c->sections[0].n_addresses, 1);
        ck_assert(c->sections[0].all_functions);
}
END_TEST

START_TEST(test_missing_file_means_nothing_to_do) {
        _cleanup_config_ Config *c = NULL;
        ck_assert_int_eq(config_load("/nonexistent/vfio-bind.conf", &c), 0);
        ck_assert(c->missing);
        ck_assert_uint_eq(c->n_sections, 0);
        ck_assert_uint_eq(c->n_errors, 0);
}
END_TEST

START_TEST(test_world_writable_file_refused) {
        char dir[] = "/tmp/vfio-bind-test-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof(path), "%s/vfio-bind.conf", dir);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("[gpu]\naddress = 01:00.0\n", f);
        fclose(f);
        ck_assert_int_eq(chmod(path, 0666), 0);

        _cleanup_config_ Config *c = NULL;
        ck_assert_int_eq(config_load(path, &c), 0);
        ck_assert_uint_eq(c->n_errors, 1);
        ck_assert_uint_eq(c->errors[0].line, 0);
        ck_assert_ptr_nonnull(strstr(c->errors[0].message, "writable by group or others"));
        ck_assert(c->sections[0].invalid);

        ck_assert_int_eq(chmod(path, 0644), 0);
        _cleanup_config_ Config *ok = NULL;
        ck_assert_int_eq(config_load(path, &ok), 0);
        ck_assert_uint_eq(ok->n_errors, 0);
        ck_assert(!ok->sections[0].invalid);
        unlink(path);
        rmdir(dir);
}
END_TEST

START_TEST(test_hash_tells_files_apart) {
        ck_assert_uint_ne(config_hash_bytes("a", 1), config_hash_bytes("b", 1));
        ck_assert_uint_eq(config_hash_bytes("same", 4), config_hash_bytes("same", 4));
}
END_TEST

int main(void) {
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("parse");
        tcase_add_test(tc, test_minimal_syntax);
        tcase_add_test(tc, test_global_and_lists);
        tcase_add_test(tc, test_every_error_reported);
        tcase_add_test(tc, test_duplicate_key_and_overlong);
        tcase_add_test(tc, test_indented_lines_are_not_continuations);
        tcase_add_test(tc, test_missing_file_means_nothing_to_do);
        tcase_add_test(tc, test_world_writable_file_refused);
        tcase_add_test(tc, test_hash_tells_files_apart);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
