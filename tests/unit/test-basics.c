/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "check-run.h"
#include <stdlib.h>

#include "bounded.h"
#include "cmdline.h"
#include "host-facts.h"
#include "macro.h"
#include "modules.h"
#include "pci-address.h"
#include "pci-device.h"
#include "utf8.h"

static void assert_parses(const char *s, const char *canonical) {
        PciAddress a;
        char buf[PCI_ADDRESS_MAX];
        ck_assert_msg(pci_address_parse(s, &a) == 0, "'%s' should parse", s);
        ck_assert_str_eq(pci_address_format(&a, buf), canonical);
}

static void assert_rejected(const char *s) {
        PciAddress a;
        ck_assert_msg(pci_address_parse(s, &a) == -EINVAL, "'%s' should be rejected", s);
}

START_TEST(test_address_parse) {
        assert_parses("0000:01:00.0", "0000:01:00.0");
        assert_parses("01:00.1", "0000:01:00.1");
        assert_parses("0000:ff:1f.7", "0000:ff:1f.7");
        assert_parses("10000:e1:00.0", "10000:e1:00.0"); /* VMD domain */
        assert_parses("0000:0A:1F.3", "0000:0a:1f.3");
        assert_rejected("0000:01:20.0");  /* slot > 1f */
        assert_rejected("0000:01:00.8");  /* function > 7 */
        assert_rejected("0000:100:00.0"); /* bus > ff */
        assert_rejected("01:00");
        assert_rejected("0000:01:00.0 ");
        assert_rejected("g0:00.0");
        assert_rejected("");
        assert_rejected(":01:00.0");
        assert_rejected("123456789:01:00.0");
        ck_assert(pci_address_is_canonical("0000:01:00.0"));
        ck_assert(!pci_address_is_canonical("01:00.0"));
}
END_TEST

START_TEST(test_address_compare) {
        PciAddress a, b;
        ck_assert_int_eq(pci_address_parse("01:00.0", &a), 0);
        ck_assert_int_eq(pci_address_parse("0000:01:00.1", &b), 0);
        ck_assert(pci_address_same_slot(&a, &b));
        ck_assert_int_lt(pci_address_compare(&a, &b), 0);
        ck_assert(!pci_address_equal(&a, &b));
}
END_TEST

START_TEST(test_cmdline_switches) {
        ck_assert_int_eq(cmdline_get_bool("quiet vfio_bind=0 splash", "vfio_bind"), 0);
        ck_assert_int_eq(cmdline_get_bool("vfio_bind=0 vfio_bind=yes", "vfio_bind"), 1); /* last one wins */
        ck_assert_int_eq(cmdline_get_bool("vfio_bind", "vfio_bind"), 1);
        ck_assert_int_eq(cmdline_get_bool("rd.vfio_bind=off", "vfio_bind"), -ENOENT);
        ck_assert_int_eq(cmdline_get_bool("rd.vfio_bind=off", "rd.vfio_bind"), 0);
        ck_assert_int_eq(cmdline_get_bool("vfio_bindx=0", "vfio_bind"), -ENOENT);
        ck_assert_int_eq(cmdline_get_bool("vfio_bind=perhaps", "vfio_bind"), -EINVAL);
        ck_assert_int_eq(cmdline_get_bool(NULL, "vfio_bind"), -ENOENT);
}
END_TEST

START_TEST(test_policy_helpers) {
        ck_assert(driver_is_vfio("vfio-pci"));
        ck_assert(driver_is_vfio("mlx5_vfio_pci"));
        ck_assert(!driver_is_vfio("nouveau"));
        ck_assert(!driver_is_vfio(NULL));
        ck_assert(driver_is_bridge_port("pcieport"));
        ck_assert(pci_class_is_bridge(0x060400));
        ck_assert(!pci_class_is_bridge(0x060100));
        ck_assert_str_eq(pci_class_name(0x030000), "VGA compatible controller");
        ck_assert_str_eq(pci_class_name(0x040300), "Audio device");
        ck_assert_str_eq(pci_class_name(0x0c0330), "USB controller (xHCI)");
        char m[64];
        driver_to_module_name("vfio-pci", m, sizeof(m));
        ck_assert_str_eq(m, "vfio_pci");
        ck_assert_str_eq(iommu_enable_hint(CPU_VENDOR_AMD) + strlen(iommu_enable_hint(CPU_VENDOR_AMD)) -
                                 strlen("amd_iommu=on to the kernel command line"),
                         "amd_iommu=on to the kernel command line");
        ck_assert_ptr_nonnull(strstr(iommu_enable_hint(CPU_VENDOR_INTEL), "intel_iommu=on"));
}
END_TEST

/* Item 1 blocks past its limit, item 3 dies without reporting: both are told apart, and every other item
 * still runs, in as few children as that allows. The limit is far above what a trivial item needs on a
 * loaded machine; only item 1 ever reaches it. */
static int each_work(BoundedStep *s, size_t index, void *userdata) {
        bounded_step(s, 1, index == 1 ? "sleeping" : "working");
        if (index == 1)
                pause(); /* blocks until the runner kills it */
        if (index == 3)
                _exit(9);
        return -(int)index;
}

START_TEST(test_bounded_run_each) {
        BoundedResult res[5];
        ck_assert_int_eq(bounded_run_each(each_work, 5, NULL, 5000, -1, res), 0);
        ck_assert(!res[0].timed_out);
        ck_assert_int_eq(res[0].error, 0);
        ck_assert(res[1].timed_out);
        ck_assert_str_eq(res[1].step, "sleeping");
        ck_assert(!res[2].timed_out);
        ck_assert_int_eq(res[2].error, -2);
        ck_assert(!res[3].timed_out);
        ck_assert_int_eq(res[3].error, -ECHILD);
        ck_assert_int_eq(res[4].error, -4);
        ck_assert_str_eq(res[4].step, "working");
}
END_TEST

/* Together the items run past one limit, yet none is late, because each item's limit runs from its own
 * start. Each item leaves more than half the limit unused, so only a machine that stalls a process for
 * seconds could make one late; nothing here asserts how fast anything runs. */
#define SLOW_ITEMS      3
#define SLOW_ITEM_MSEC  1500
#define SLOW_LIMIT_MSEC 4000
_Static_assert(SLOW_ITEMS * SLOW_ITEM_MSEC > SLOW_LIMIT_MSEC, "the items together must outlast one limit");

static int slow_work(BoundedStep *s, size_t index, void *userdata) {
        bounded_step(s, 1, "working");
        usleep(SLOW_ITEM_MSEC * 1000);
        return 0;
}

START_TEST(test_bounded_deadline_per_item) {
        BoundedResult res[SLOW_ITEMS];
        ck_assert_int_eq(bounded_run_each(slow_work, SLOW_ITEMS, NULL, SLOW_LIMIT_MSEC, -1, res), 0);
        for (size_t i = 0; i < SLOW_ITEMS; i++) {
                ck_assert_msg(!res[i].timed_out, "item %zu reported stuck", i);
                ck_assert_int_eq(res[i].error, 0);
                /* Measured by the parent, from when it reads the start to when it reads the end. */
                ck_assert_uint_ge(res[i].usec, SLOW_ITEM_MSEC * 1000 / 2);
        }
}
END_TEST

/* The step a failure happened in travels beside the error, not inside it. */
static int failing_work(BoundedStep *s, size_t index, void *userdata) {
        bounded_step(s, 1, "unbinding");
        if (index == 0)
                return -EBUSY;
        bounded_step(s, 2, "binding");
        return -EINVAL;
}

START_TEST(test_bounded_step_code) {
        BoundedResult res[2];
        ck_assert_int_eq(bounded_run_each(failing_work, 2, NULL, 5000, -1, res), 0);
        ck_assert_int_eq(res[0].error, -EBUSY);
        ck_assert_uint_eq(res[0].step_code, 1);
        ck_assert_str_eq(res[0].step, "unbinding");
        ck_assert_int_eq(res[1].error, -EINVAL);
        ck_assert_uint_eq(res[1].step_code, 2);
        ck_assert_str_eq(res[1].step, "binding");
}
END_TEST

/* One parser for the kernel command line: the last occurrence wins, a bare key has an empty value. */
START_TEST(test_cmdline_values) {
        const char *cmdline = "root=/dev/vda vfio-pci.ids=10de:2684 quiet vfio-pci.ids=1234:1111,8086:293e "
                              "vfio-pci.idsx=1 vfio-pci";
        _cleanup_free_ char *ids = NULL, *quiet = NULL, *missing = NULL;

        ck_assert_int_eq(cmdline_get_value(cmdline, "vfio-pci.ids", &ids), 0);
        ck_assert_str_eq(ids, "1234:1111,8086:293e");
        ck_assert_int_eq(cmdline_get_value(cmdline, "quiet", &quiet), 0);
        ck_assert_str_eq(quiet, "");
        ck_assert_int_eq(cmdline_get_value(cmdline, "vfio_pci.ids", &missing), -ENOENT);
        ck_assert_ptr_null(missing);
        ck_assert_int_eq(cmdline_get_value(NULL, "quiet", &missing), -ENOENT);
        ck_assert_int_eq(cmdline_get_bool(cmdline, "vfio-pci"), 1);
        ck_assert_int_eq(cmdline_get_bool(cmdline, "root"), -EINVAL);
}
END_TEST

START_TEST(test_utf8_sequences) {
        uint32_t c = 0;
        ck_assert_uint_eq(utf8_sequence_length("a", &c), 1);
        ck_assert_uint_eq(c, 'a');
        ck_assert_uint_eq(utf8_sequence_length("\xc3\xa9", &c), 2); /* é */
        ck_assert_uint_eq(c, 0xe9);
        ck_assert_uint_eq(utf8_sequence_length("\xe2\x82\xac", &c), 3); /* € */
        ck_assert_uint_eq(c, 0x20ac);
        ck_assert_uint_eq(utf8_sequence_length("\xf0\x9f\x98\x80", &c), 4);
        ck_assert_uint_eq(c, 0x1f600);
        ck_assert(unichar_is_control(0x9b)); /* C1 CSI */
        ck_assert(unichar_is_control('\r'));
        ck_assert(!unichar_is_control(0xe9));
        c = 42;
        ck_assert_uint_eq(utf8_sequence_length("\xff", &c), 0);             /* never in UTF-8 */
        ck_assert_uint_eq(utf8_sequence_length("\x80", &c), 0);             /* a lone continuation */
        ck_assert_uint_eq(utf8_sequence_length("\xc0\xaf", &c), 0);         /* overlong '/' */
        ck_assert_uint_eq(utf8_sequence_length("\xe0\x80\xaf", &c), 0);     /* overlong '/' */
        ck_assert_uint_eq(utf8_sequence_length("\xed\xa0\x80", &c), 0);     /* a surrogate */
        ck_assert_uint_eq(utf8_sequence_length("\xf4\x90\x80\x80", &c), 0); /* above U+10FFFF */
        ck_assert_uint_eq(utf8_sequence_length("\xe2\x82", &c), 0);         /* cut short by the NUL */
        ck_assert_uint_eq(c, 42);
}
END_TEST

int main(void) {
        Suite *s = suite_create("basics");
        TCase *tc = tcase_create("basics");
        tcase_add_test(tc, test_address_parse);
        tcase_add_test(tc, test_utf8_sequences);
        tcase_add_test(tc, test_address_compare);
        tcase_add_test(tc, test_cmdline_switches);
        tcase_add_test(tc, test_cmdline_values);
        tcase_add_test(tc, test_policy_helpers);
        tcase_add_test(tc, test_bounded_run_each);
        tcase_add_test(tc, test_bounded_deadline_per_item);
        tcase_add_test(tc, test_bounded_step_code);
        tcase_set_timeout(tc, 30);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
