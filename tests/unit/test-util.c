/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "check-run.h"
#include <malloc.h>
#include <stdlib.h>

#include "alloc-util.h"
#include "macro.h"
#include "string-util.h"

/* Appending one element at a time keeps every element, and the block grows in steps: most appends find
 * room already there. */
START_TEST(test_greedy_realloc_appends) {
        int *a = NULL;
        size_t n = 0, grown = 0;

        for (int i = 0; i < 1000; i++) {
                size_t room = a ? malloc_usable_size(a) / sizeof(*a) : 0;
                ck_assert_ptr_nonnull(GREEDY_REALLOC(a, n + 1));
                grown += room < n + 1;
                a[n++] = i;
        }
        ck_assert_uint_le(grown, 12);
        for (int i = 0; i < 1000; i++)
                ck_assert_int_eq(a[i], i);
        ck_assert_uint_ge(malloc_usable_size(a) / sizeof(*a), 1000);
        free(a);
}
END_TEST

/* A request the size cannot express fails and leaves the array to its owner. */
START_TEST(test_greedy_realloc_overflow) {
        char *a = NULL;
        ck_assert_ptr_nonnull(GREEDY_REALLOC(a, 3));
        strcpy(a, "ab");
        ck_assert_ptr_null(GREEDY_REALLOC(a, SIZE_MAX));
        ck_assert_str_eq(a, "ab");
        uint64_t *w = NULL;
        ck_assert_ptr_null(GREEDY_REALLOC(w, SIZE_MAX / 4));
        ck_assert_ptr_null(w);
        free(a);
}
END_TEST

START_TEST(test_strextendf_with_separator) {
        _cleanup_free_ char *s = NULL;

        ck_assert_int_eq(strextendf_with_separator(&s, ", ", "%s", "0000:01:00.1"), 0);
        ck_assert_str_eq(s, "0000:01:00.1");
        ck_assert_int_eq(strextendf_with_separator(&s, ", ", "%s (%s)", "0000:01:00.2", "xhci_hcd"), 0);
        ck_assert_str_eq(s, "0000:01:00.1, 0000:01:00.2 (xhci_hcd)");
        ck_assert_int_eq(strextendf_with_separator(&s, NULL, "%d", 7), 0);
        ck_assert_str_eq(s, "0000:01:00.1, 0000:01:00.2 (xhci_hcd)7");
}
END_TEST

int main(void) {
        Suite *s = suite_create("util");
        TCase *tc = tcase_create("util");
        tcase_add_test(tc, test_greedy_realloc_appends);
        tcase_add_test(tc, test_greedy_realloc_overflow);
        tcase_add_test(tc, test_strextendf_with_separator);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
