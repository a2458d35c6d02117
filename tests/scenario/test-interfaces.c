/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* The VFIO user interfaces: a device is claimed when it is on its VFIO driver and a VMM can open it through
 * the group node, the device cdev, or both. Each kind of kernel is one simulator setting. */

#define GPU "0000:01:00.0"

static const char *const gpu_config = "[gpu]\naddress = 01:00.0\nfunctions = all\n";

/* The JSON object vfio-bind must print for the node at PATH, from what the tree says about it. */
static char *expected_node(const char *path) {
        char full[4096];
        struct stat st;
        char *s = NULL;

        snprintf(full, sizeof(full), "%s%s", scenario_root, path);
        ck_assert_int_eq(stat(full, &st), 0);
        ck_assert_int_ge(asprintf(&s, "{\"path\":\"%s\",\"mode\":\"%04o\",\"uid\":%u,\"gid\":%u}", path,
                                  (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid),
                         0);
        return s;
}

/* The device's cdev as the kernel lists it in sysfs, or NULL. */
static char *cdev_of(const char *addr) {
        char dir[4096];
        struct dirent *de;
        char *s = NULL;

        snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices/%s/vfio-dev", scenario_root, addr);
        DIR *d = opendir(dir);
        while (d && (de = readdir(d)))
                if (strncmp(de->d_name, "vfio", 4) == 0) {
                        ck_assert_int_ge(asprintf(&s, "/dev/vfio/devices/%s", de->d_name), 0);
                        break;
                }
        if (d)
                closedir(d);
        return s;
}

static void assert_gpu_interfaces(const char *json, const char *group, const char *cdev) {
        _cleanup_free_ char *want = NULL;
        ck_assert_int_ge(asprintf(&want, "\"vfio_interfaces\":{\"group\":%s,\"cdev\":%s}", group, cdev), 0);
        assert_contains(json, want);
}

/* Both interfaces (a 6.6+ kernel with CONFIG_VFIO_GROUP): each is reported with the permissions the tree
 * has, so a changed mode or owner shows. /dev/iommu is reported for the host. */
START_TEST(test_group_and_cdev) {
        _cleanup_free_ char *out = NULL, *json = NULL, *text = NULL;
        char path[4096];

        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        snprintf(path, sizeof(path), "%s/dev/vfio/2", scenario_root);
        ck_assert_int_eq(chmod(path, 0660), 0);
        scenario_write_file("dev/iommu", "");
        snprintf(path, sizeof(path), "%s/dev/iommu", scenario_root);
        ck_assert_int_eq(chmod(path, 0666), 0);

        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        _cleanup_free_ char *cdev = cdev_of(GPU);
        ck_assert_ptr_nonnull(cdev);
        _cleanup_free_ char *g = expected_node("/dev/vfio/2"), *c = expected_node(cdev),
                            *iommu = expected_node("/dev/iommu");
        assert_contains(g, "\"mode\":\"0660\"");
        assert_gpu_interfaces(json, g, c);
        _cleanup_free_ char *host = NULL;
        ck_assert_int_ge(asprintf(&host, "\"iommufd\":%s", iommu), 0);
        assert_contains(json, host);
        assert_contains(json, "\"ok\":true");

        ck_assert_int_eq(scenario_tool(&text, NULL, "status", NULL), 0);
        assert_contains(text, "VFIO");
        assert_contains(text, "group+cdev");
        assert_contains(text, "/dev/vfio/2 0660");
        assert_contains(text, "/dev/iommu 0666");
}
END_TEST

/* A kernel without CONFIG_VFIO_DEVICE_CDEV (6.1): the group node alone makes the claim. No /dev/iommu:
 * the host reports null. */
START_TEST(test_group_only) {
        _cleanup_free_ char *out = NULL, *json = NULL;

        ck_assert_int_eq(sim_knob_set(scenario_root, "kernel", "vfio_nodes", "group"), 0);
        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", "--json", NULL), 0);
        _cleanup_free_ char *cdev = cdev_of(GPU), *g = expected_node("/dev/vfio/2");
        ck_assert_ptr_null(cdev);
        assert_gpu_interfaces(out, g, "null");
        assert_contains(out, "\"result\":\"claimed\"");
        assert_not_contains(out, "\"ok\":false");
        assert_contains(out, "\"iommufd\":null");

        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_gpu_interfaces(json, g, "null");
}
END_TEST

/* A kernel without CONFIG_VFIO_GROUP: no /dev/vfio/GROUP at all, and that is not a failure. */
START_TEST(test_cdev_only) {
        _cleanup_free_ char *out = NULL, *json = NULL, *text = NULL;

        ck_assert_int_eq(sim_knob_set(scenario_root, "kernel", "vfio_nodes", "cdev"), 0);
        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", "--json", NULL), 0);
        ck_assert(!sim_vfio_group_exists(scenario_root, "2"));
        _cleanup_free_ char *cdev = cdev_of(GPU);
        ck_assert_ptr_nonnull(cdev);
        _cleanup_free_ char *c = expected_node(cdev);
        assert_gpu_interfaces(out, "null", c);
        assert_contains(out, "\"result\":\"claimed\"");
        assert_not_contains(out, "\"ok\":false");

        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 0);
        assert_gpu_interfaces(json, "null", c);
        ck_assert_int_eq(scenario_tool(&text, NULL, "status", NULL), 0);
        assert_contains(text, " cdev ");
        assert_not_contains(text, "does not exist");
}
END_TEST

/* On the driver with nothing to open (no devtmpfs, or neither kernel option): a failure, with the reason,
 * in apply and in status alike. */
START_TEST(test_neither_is_a_failure) {
        _cleanup_free_ char *out = NULL, *json = NULL, *text = NULL;

        ck_assert_int_eq(sim_knob_set(scenario_root, "kernel", "vfio_nodes", "none"), 0);
        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", "--json", NULL), 1);
        _cleanup_free_ char *gpu = scenario_driver(GPU);
        ck_assert_str_eq(gpu, "vfio-pci");
        assert_gpu_interfaces(out, "null", "null");
        assert_contains(out, "\"result\":\"failed\"");
        assert_contains(out, "\"ok\":false");
        assert_contains(out, "\"reason\":\"no-vfio-interface\"");
        assert_contains(out, "neither /dev/vfio/2 nor a VFIO device cdev exists");
        assert_contains(out, "CONFIG_VFIO_GROUP or CONFIG_VFIO_DEVICE_CDEV");

        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 1);
        assert_contains(json, "\"reason\":\"no-vfio-interface\"");
        ck_assert_int_eq(scenario_tool(&text, NULL, "status", NULL), 1);
        assert_contains(text, " none ");
}
END_TEST

/* The journal entry of a claimed device names each node, or says there is none. */
START_TEST(test_journal_fields) {
        _cleanup_free_ char *early = NULL, *out = NULL;

        ck_assert_int_eq(sim_knob_set(scenario_root, "kernel", "vfio_nodes", "cdev"), 0);
        scenario_write_config(gpu_config);
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(out, "VFIO_BIND_GROUP_NODE=none\n");
        assert_contains(out, "VFIO_BIND_CDEV=/dev/vfio/devices/vfio");
}
END_TEST

int main(void) {
        Suite *s = suite_create("interfaces");
        TCase *tc = tcase_create("interfaces");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, scenario_setup, scenario_teardown);
        tcase_add_test(tc, test_group_and_cdev);
        tcase_add_test(tc, test_group_only);
        tcase_add_test(tc, test_cdev_only);
        tcase_add_test(tc, test_neither_is_a_failure);
        tcase_add_test(tc, test_journal_fields);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
