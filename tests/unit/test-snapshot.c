/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"


static SnapshotEntry entry(const char *label, const char *name) {
        SnapshotEntry e = { .vendor = 0x10de, .device = 0x2684, .subsystem_vendor = 0x1043, .subsystem_device = 0x889c,
                            .revision = 0xa1, .serial_state = SERIAL_KNOWN, .serial = 0x0011223344556677ULL };
        e.label = strdup(label);
        snprintf(e.name, sizeof(e.name), "%s", name);
        e.path = strdup("0000:00:01.0/00.0");
        e.members = strdup("0000:01:00.0=10de:2684,0000:01:00.1=10de:22ba");
        return e;
}

START_TEST(test_round_trip) {
        char root[] = "/tmp/vfio-bind-snapshot.XXXXXX";
        _cleanup_snapshot_ Snapshot s = {}, back = {};
        SnapshotEntry e = entry("gpu", "0000:01:00.0"), f = entry("gpu", "0000:01:00.1");
        f.serial_state = SERIAL_NONE;
        f.revision = -1;
        ck_assert_int_eq(snapshot_add(&s, &e), 0);
        ck_assert_int_eq(snapshot_add(&s, &f), 0);
        ck_assert(mkdtemp(root));
        ck_assert_int_eq(snapshot_save(root, &s), 0);
        ck_assert_int_eq(snapshot_load(root, &back, NULL), 0);
        ck_assert_uint_eq(back.n, 2);
        ck_assert_str_eq(back.entries[0].label, "gpu");
        ck_assert_str_eq(back.entries[0].name, "0000:01:00.0");
        ck_assert_uint_eq(back.entries[0].serial, 0x0011223344556677ULL);
        ck_assert_int_eq(back.entries[0].revision, 0xa1);
        ck_assert_int_eq(back.entries[1].serial_state, SERIAL_NONE);
        ck_assert_int_eq(back.entries[1].revision, -1);
        ck_assert_str_eq(back.entries[1].members, "0000:01:00.0=10de:2684,0000:01:00.1=10de:22ba");
        ck_assert_ptr_eq(snapshot_find(&back, "gpu", "0000:01:00.1", false), &back.entries[1]);
        ck_assert_ptr_null(snapshot_find(&back, "gpu", "0000:02:00.0", false));
        /* By label alone only when the label has one entry. */
        ck_assert_ptr_null(snapshot_find(&back, "gpu", "0000:02:00.0", true));
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_versions_and_bad_lines) {
        char root[] = "/tmp/vfio-bind-snapshot.XXXXXX", path[256];
        unsigned line = 0;
        _cleanup_snapshot_ Snapshot s = {};
        ck_assert(mkdtemp(root));
        snprintf(path, sizeof(path), "%s/var/lib/vfio-bind", root);
        char cmd[320];
        snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
        ck_assert_int_eq(system(cmd), 0);
        strcat(path, "/snapshot");
        FILE *f = fopen(path, "w");
        fputs("# comment\nversion 2\n", f);
        fclose(f);
        ck_assert_int_eq(snapshot_load(root, &s, &line), -EPROTONOSUPPORT);
        f = fopen(path, "w");
        fputs("version 1\nfunction label=a address=0000:01:00.0 id=10de:2684\nfunction label=b id=1:2\n", f);
        fclose(f);
        ck_assert_int_eq(snapshot_load(root, &s, &line), -EBADMSG);
        ck_assert_uint_eq(line, 3);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_compare_each_field) {
        SnapshotEntry was = entry("gpu", "0000:01:00.0"), now = entry("gpu", "0000:01:00.0");
        _cleanup_(drift_list_done) DriftList none = {}, all = {}, unread = {};
        ck_assert_int_eq(snapshot_compare(&was, &now, &none), 0);
        ck_assert_uint_eq(none.n, 0);
        now.device = 0x2782;
        now.subsystem_device = 0x1111;
        now.revision = 0xa2;
        now.serial = 1;
        free(now.path);
        now.path = strdup("0000:00:1c.0/00.0");
        free(now.members);
        now.members = strdup("0000:01:00.0=10de:2782");
        ck_assert_int_eq(snapshot_compare(&was, &now, &all), 0);
        ck_assert_uint_eq(all.n, 6);
        char *summary = drift_list_summary(&all);
        ck_assert_str_eq(summary, "id was 10de:2684, now 10de:2782; subsystem was 1043:889c, now 1043:1111; revision was "
                                  "a1, now a2; serial was 00-11-22-33-44-55-66-77, now 00-00-00-00-00-00-00-01; path was "
                                  "0000:00:01.0/00.0, now 0000:00:1c.0/00.0; group was "
                                  "0000:01:00.0=10de:2684,0000:01:00.1=10de:22ba, now 0000:01:00.0=10de:2782");
        free(summary);
        /* A serial that cannot be read (not root) is never a drift. */
        SnapshotEntry again = entry("gpu", "0000:01:00.0");
        again.serial_state = SERIAL_UNREADABLE;
        ck_assert_int_eq(snapshot_compare(&was, &again, &unread), 0);
        ck_assert_uint_eq(unread.n, 0);
        snapshot_entry_done(&was);
        snapshot_entry_done(&now);
        snapshot_entry_done(&again);
}
END_TEST

int main(void) {
        Suite *s = suite_create("snapshot");
        TCase *tc = tcase_create("snapshot");
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_versions_and_bad_lines);
        tcase_add_test(tc, test_compare_each_field);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
