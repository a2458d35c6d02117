/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* A card that the snapshot records, and the same host after something changed: each test builds the host
 * as it was, takes the snapshot, then builds it again with one field changed and hands it the snapshot. */

typedef struct Card {
        const char *port; /* the root port the card hangs off */
        const char *id;
        const char *subsys;
        const char *rev;
        const char *dsn;
        bool neighbour; /* a second function in the card's group, on a host driver */
} Card;

static const Card original = {
        .port = "0000:00:02.0", .id = "144d:a80a", .subsys = "144d:a801", .rev = "0x01", .dsn = "0011223344556677",
};

static char *host_text(const Card *c) {
        char *text = NULL;
        ck_assert_int_ge(
                asprintf(&text,
                         "host iommu=on ir=on cpu=intel cpus=2\n"
                         "cmdline console=ttyS0 root=/dev/vda rw intel_iommu=on\n"
                         "module vfio state=loadable\n"
                         "module vfio_iommu_type1 state=loadable deps=vfio\n"
                         "module vfio_pci_core state=loadable deps=vfio\n"
                         "module vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
                         "module pcieportdrv state=builtin\n"
                         "driver pcieport module=pcieportdrv classes=060400\n"
                         "driver e1000e module=e1000e ids=8086:10d3,144d:a80a,144d:a80b\n"
                         "driver virtio-pci module=virtio_pci ids=1af4:1001\n"
                         "driver vfio-pci module=vfio_pci\n"
                         "device 0000:00:00.0 id=8086:29c0 class=0x060000 group=0\n"
                         "device 0000:00:02.0 id=1b36:000c class=0x060400 group=2 driver=pcieport\n"
                         "device 0000:00:03.0 id=1b36:000c class=0x060400 group=3 driver=pcieport\n"
                         "device 0000:01:00.0 parent=%s id=%s subsys=%s rev=%s dsn=%s class=0x020000 group=7 "
                         "driver=e1000e reset=flr\n"
                         "%s"
                         "device 0000:00:05.0 id=1af4:1001 class=0x010000 group=5 driver=virtio-pci\n"
                         "block 0000:00:05.0 path=virtio1/block/vda dev=254:0 mount=/ fstype=ext4\n"
                         /* The host's own network is on another interface: the card is free to claim. */
                         "netdev wg0\n"
                         "route wg0 default gw=10.0.0.1\n",
                         c->port, c->id, c->subsys, c->rev, c->dsn,
                         c->neighbour ? "device 0000:01:00.1 parent=0000:00:02.0 id=8086:10d3 class=0x020000 "
                                        "group=7 driver=e1000e\n"
                                      : ""),
                0);
        return text;
}

static char *snapshot_of_original(const char *config) {
        _cleanup_free_ char *host = host_text(&original), *out = NULL;
        scenario_setup_with(host);
        scenario_write_config(config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "snapshot", NULL), 0);
        assert_contains(out, "Recorded 1 function");
        char *snap = scenario_read_file("var/lib/vfio-bind/snapshot");
        ck_assert_ptr_nonnull(snap);
        scenario_teardown();
        return snap;
}

/* The host after the change, with the snapshot of the original; returns what status says. */
static void changed_host(const Card *c, const char *config, const char *snap) {
        _cleanup_free_ char *host = host_text(c);
        scenario_setup_with(host);
        scenario_write_config(config);
        scenario_write_file("var/lib/vfio-bind/snapshot", snap);
}

static const char *const warn_config = "[nic]\naddress = 0000:01:00.0\n";
static const char *const refuse_config = "[global]\ndrift = refuse\n[nic]\naddress = 0000:01:00.0\n";

static void check_field(const Card *c, const char *expected) {
        _cleanup_free_ char *snap = snapshot_of_original(warn_config), *out = NULL, *json = NULL;
        _cleanup_free_ char *refused = NULL, *driver = NULL;

        changed_host(c, warn_config, snap);
        /* warn: reported, and claimed anyway. */
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "0000:01:00.0 is not what it was when the snapshot was taken");
        assert_contains(out, expected);
        driver = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(driver, "vfio-pci");
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_contains(json, "\"code\":\"drift\"");
        assert_contains(json, "\"drift\":\"");
        scenario_teardown();

        /* refuse: left on its host driver, with the reason and the fix. */
        changed_host(c, refuse_config, snap);
        ck_assert_int_eq(scenario_tool(&refused, NULL, "apply", NULL), 1);
        assert_contains(refused, expected);
        assert_contains(refused, "(drift = refuse)");
        assert_contains(refused, "then run 'vfio-bind snapshot'");
        free(driver);
        driver = scenario_driver("0000:01:00.0");
        ck_assert_str_ne(driver, "vfio-pci");
        ck_assert_int_eq(sim_log_count(scenario_root, "driver_override"), 0);
}

START_TEST(test_drift_id) {
        Card c = original;
        c.id = "144d:a80b";
        check_field(&c, "id was 144d:a80a, now 144d:a80b");
}
END_TEST

START_TEST(test_drift_subsystem) {
        Card c = original;
        c.subsys = "1028:1fff";
        check_field(&c, "subsystem was 144d:a801, now 1028:1fff");
}
END_TEST

START_TEST(test_drift_revision) {
        Card c = original;
        c.rev = "0x02";
        check_field(&c, "revision was 01, now 02");
}
END_TEST

START_TEST(test_drift_serial) {
        Card c = original;
        c.dsn = "00112233445566ff";
        check_field(&c, "serial was 00-11-22-33-44-55-66-77, now 00-11-22-33-44-55-66-ff");
}
END_TEST

START_TEST(test_drift_path) {
        /* Another root port, the same bus number: the address alone would not tell. */
        Card c = original;
        c.port = "0000:00:03.0";
        check_field(&c, "path was 0000:00:02.0/00.0, now 0000:00:03.0/00.0");
}
END_TEST

START_TEST(test_drift_group) {
        Card c = original;
        c.neighbour = true;
        check_field(&c, "group was 0000:01:00.0=144d:a80a, now 0000:01:00.0=144d:a80a,0000:01:00.1=8086:10d3");
}
END_TEST

START_TEST(test_no_drift_is_silent) {
        _cleanup_free_ char *snap = snapshot_of_original(refuse_config), *out = NULL;
        changed_host(&original, refuse_config, snap);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_not_contains(out, "snapshot");
        assert_contains(out, "1 of 1 function on vfio-pci");
}
END_TEST

START_TEST(test_snapshot_records_every_field) {
        _cleanup_free_ char *snap = snapshot_of_original(warn_config);
        assert_contains(snap, "version 1\n");
        assert_contains(snap, "function label=nic address=0000:01:00.0 id=144d:a80a subsystem=144d:a801 revision=01 "
                              "serial=00-11-22-33-44-55-66-77 path=0000:00:02.0/00.0 group=0000:01:00.0=144d:a80a\n");
}
END_TEST

START_TEST(test_unprivileged_read_leaves_serial_unknown) {
        /* A user other than root reads 64 bytes of config space: the serial is not known, and not compared. */
        _cleanup_free_ char *host = host_text(&original), *out = NULL, *snap = NULL, *config = NULL;
        scenario_setup_with(host);
        scenario_write_config(warn_config);
        config = scenario_read_file("sys/bus/pci/devices/0000:01:00.0/config");
        ck_assert_ptr_nonnull(config);
        _cleanup_free_ char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/sys/bus/pci/devices/0000:01:00.0/config", scenario_root), 0);
        ck_assert_int_eq(truncate(path, 64), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "snapshot", NULL), 0);
        snap = scenario_read_file("var/lib/vfio-bind/snapshot");
        assert_contains(snap, "serial=unreadable");
}
END_TEST

START_TEST(test_first_root_boot_takes_the_snapshot) {
        _cleanup_free_ char *host = host_text(&original), *out = NULL, *again = NULL, *snap = NULL;
        scenario_setup_with(host);
        scenario_write_config(warn_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "no snapshot existed: took one of 1 function in");
        snap = scenario_read_file("var/lib/vfio-bind/snapshot");
        ck_assert_ptr_nonnull(snap);
        assert_contains(snap, "label=nic address=0000:01:00.0");
        /* Only the first time. */
        ck_assert_int_eq(scenario_tool(&again, NULL, "boot", "--stage=root", NULL), 0);
        assert_not_contains(again, "no snapshot existed");
}
END_TEST

START_TEST(test_first_boot_snapshot_waits_for_a_writable_var) {
        /* /var/lib/vfio-bind/snapshot cannot be written (here: a directory where its temporary file goes; at
         * boot: a read-only root or the unit's sandbox): the root stage keeps the snapshot in /run, and
         * vfio-bind-snapshot.service stores it. */
        _cleanup_free_ char *host = host_text(&original), *out = NULL, *stored = NULL, *again = NULL;
        _cleanup_free_ char *pending = NULL, *snap = NULL;
        scenario_setup_with(host);
        scenario_write_config(warn_config);
        _cleanup_free_ char *blocker = NULL;
        ck_assert_int_ge(asprintf(&blocker, "%s/var/lib/vfio-bind/.snapshot.tmp", scenario_root), 0);
        scenario_write_file("var/lib/vfio-bind/.keep", "");
        ck_assert_int_eq(mkdir(blocker, 0755), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "no snapshot existed: took one of 1 function;");
        assert_contains(out, "so vfio-bind-snapshot.service stores it there from");
        pending = scenario_read_file("run/vfio-bind/snapshot");
        ck_assert_ptr_nonnull(pending);
        assert_contains(pending, "function label=nic address=0000:01:00.0");

        ck_assert_int_eq(rmdir(blocker), 0);
        ck_assert_int_eq(scenario_tool(&stored, NULL, "snapshot", "--from-boot", NULL), 0);
        assert_contains(stored, "Stored the snapshot of 1 function that this boot took in");
        snap = scenario_read_file("var/lib/vfio-bind/snapshot");
        ck_assert_ptr_nonnull(snap);
        ck_assert_str_eq(snap, pending);
        ck_assert_ptr_null(scenario_read_file("run/vfio-bind/snapshot"));
        /* Once there, it is never replaced by a boot's. */
        scenario_write_file("run/vfio-bind/snapshot", pending);
        ck_assert_int_eq(scenario_tool(&again, NULL, "snapshot", "--from-boot", NULL), 0);
        assert_contains(again, "exists already");
}
END_TEST

START_TEST(test_failed_boot_takes_no_snapshot) {
        _cleanup_free_ char *host = host_text(&original), *out = NULL;
        scenario_setup_with(host);
        scenario_write_config("[nic]\naddress = 0000:01:00.0\nexpect = 8086:10d3\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_not_contains(out, "no snapshot existed");
        ck_assert_ptr_null(scenario_read_file("var/lib/vfio-bind/snapshot"));
}
END_TEST

START_TEST(test_initramfs_stage_compares_too) {
        _cleanup_free_ char *snap = snapshot_of_original(refuse_config), *out = NULL, *driver = NULL;
        Card c = original;
        c.id = "144d:a80b";
        changed_host(&c, refuse_config, snap);
        scenario_write_file("dev/kmsg", "");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=initramfs", NULL), 0);
        driver = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(driver, "e1000e");
        _cleanup_free_ char *kmsg = scenario_read_file("dev/kmsg");
        ck_assert_ptr_nonnull(kmsg);
        assert_contains(kmsg, "id was 144d:a80a, now 144d:a80b");
}
END_TEST

START_TEST(test_unreadable_snapshot_is_said) {
        _cleanup_free_ char *host = host_text(&original), *out = NULL;
        scenario_setup_with(host);
        scenario_write_config(warn_config);
        scenario_write_file("var/lib/vfio-bind/snapshot", "version 1\nfunction label=nic id=zz\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "status", NULL), 1);
        assert_contains(out, "var/lib/vfio-bind/snapshot line 2 cannot be read");
}
END_TEST

START_TEST(test_path_identity) {
        _cleanup_free_ char *host = host_text(&original), *out = NULL, *json = NULL, *bad = NULL, *driver = NULL;
        scenario_setup_with(host);
        scenario_write_config("[nic]\npath = 00:02.0/0.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "path 0000:00:02.0/00.0 leads to 0000:01:00.0");
        driver = scenario_driver("0000:01:00.0");
        ck_assert_str_eq(driver, "vfio-pci");
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_contains(json, "\"address\":\"0000:01:00.0\"");
        scenario_write_config("[nic]\npath = 00:03.0/0.0\n");
        ck_assert_int_eq(scenario_tool(&bad, NULL, "status", NULL), 1);
        assert_contains(bad, "path 0000:00:03.0/00.0 of [nic] leads to no PCI function on this host");
}
END_TEST

static void teardown(void) {
        if (scenario_root)
                scenario_teardown();
}

int main(void) {
        Suite *s = suite_create("drift");
        TCase *tc = tcase_create("drift");
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_add_test(tc, test_drift_id);
        tcase_add_test(tc, test_drift_subsystem);
        tcase_add_test(tc, test_drift_revision);
        tcase_add_test(tc, test_drift_serial);
        tcase_add_test(tc, test_drift_path);
        tcase_add_test(tc, test_drift_group);
        tcase_add_test(tc, test_no_drift_is_silent);
        tcase_add_test(tc, test_snapshot_records_every_field);
        tcase_add_test(tc, test_unprivileged_read_leaves_serial_unknown);
        tcase_add_test(tc, test_first_root_boot_takes_the_snapshot);
        tcase_add_test(tc, test_first_boot_snapshot_waits_for_a_writable_var);
        tcase_add_test(tc, test_failed_boot_takes_no_snapshot);
        tcase_add_test(tc, test_initramfs_stage_compares_too);
        tcase_add_test(tc, test_unreadable_snapshot_is_said);
        tcase_add_test(tc, test_path_identity);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
