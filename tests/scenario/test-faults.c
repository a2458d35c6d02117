/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* The fault matrix: every failure the kernel can answer at every store, a device vanishing at each step,
 * the worker dying at each step. Each row asserts invariants, not wording: the report says what the kernel
 * shows, every device not on its VFIO driver is reported as a problem, an override is left only as the
 * hold of a claim that started, and a second run once the fault is gone repairs. */

#define GPU   "0000:01:00.0"
#define AUDIO "0000:01:00.1"
#define USB   "0000:00:04.0"

static const char *const addresses[] = { GPU, AUDIO, USB };

static const char *const plain_config = "[gpu]\naddress = 01:00.0\nfunctions = all\n[usb]\naddress = 00:04.0\n";
static const char *const reset_config =
        "[gpu]\naddress = 01:00.0\nfunctions = all\nreset_method = flr\n[usb]\naddress = 00:04.0\n";

typedef struct Fault {
        const char *target; /* knob target */
        const char *knob;
        const char *value;
        const char *config; /* NULL: plain_config */
} Fault;

static const Fault faults[] = {
        /* driver_override */
        { GPU, "fail_driver_override", "EIO", NULL },
        { GPU, "fail_driver_override", "EINVAL", NULL },
        { GPU, "fail_driver_override", "ENOMEM", NULL },
        { GPU, "fail_driver_override", "ENODEV", NULL },
        { GPU, "vanish_on", "driver_override", NULL },
        /* reset_method */
        { GPU, "fail_reset_method", "EINVAL", reset_config },
        { GPU, "fail_reset_method", "EIO", reset_config },
        { GPU, "vanish_on", "reset_method", reset_config },
        /* the module */
        { "module:vfio_pci", "load_errno", "ENOENT", NULL },
        { "module:vfio_pci", "load_errno", "EIO", NULL },
        /* unbind */
        { GPU, "fail_unbind", "EBUSY", NULL },
        { GPU, "fail_unbind", "EIO", NULL },
        { GPU, "fail_unbind", "ENODEV", NULL },
        { GPU, "unbind_errno", "EBUSY", NULL },
        { GPU, "vanish_on", "unbind", NULL },
        { GPU, "crash_on", "unbind", NULL },
        /* bind */
        { GPU, "fail_bind", "ENODEV", NULL },
        { GPU, "fail_bind", "EBUSY", NULL },
        { GPU, "fail_bind", "EAGAIN", NULL },
        { GPU, "fail_bind", "EINVAL", NULL },
        { GPU, "fail_bind", "EIO", NULL },
        { GPU, "probe_errno", "vfio-pci:EIO", NULL },
        { GPU, "probe_errno", "vfio-pci:EINVAL", NULL },
        { GPU, "vanish_on", "bind", NULL },
        { GPU, "crash_on", "bind", NULL },
};

/* The value of FIELD in the JSON object of device ADDR, up to the next ',' or '}' ("null" included). */
static char *json_field(const char *json, const char *addr, const char *field) {
        char key[128], needle[128];
        snprintf(needle, sizeof(needle), "\"address\":\"%s\",\"sibling\"", addr);
        const char *start = strstr(json, needle);
        ck_assert_msg(start, "no device %s in:\n%s", addr, json);
        const char *next = strstr(start, "{\"label\":");
        snprintf(key, sizeof(key), "\"%s\":", field);
        const char *at = strstr(start, key);
        ck_assert_msg(at && (!next || at < next), "no %s for %s", field, addr);
        at += strlen(key);
        size_t n = *at == '"' ? strcspn(at + 1, "\"") + 2 : strcspn(at, ",}");
        char *v = strndup(at, n);
        ck_assert_ptr_nonnull(v);
        return v;
}

static bool device_present(const char *addr) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", scenario_root, addr);
        return access(path, F_OK) == 0;
}

static char *quoted_or_null(const char *kernel_value, const char *absent) {
        char *v = NULL;
        if (streq(kernel_value, absent))
                v = strdup("null");
        else
                ck_assert_int_ge(asprintf(&v, "\"%s\"", kernel_value), 0);
        return v;
}

/* The reasons a claim that started and did not finish may leave its override behind as a hold. */
static bool is_hold_reason(const char *reason) {
        static const char *const holds[] = { "\"probe-failed\"", "\"unbind-failed\"", "\"stuck\"",
                                             "\"not-bound\"",    "\"wrong-driver\"",  "\"driver-unavailable\"",
                                             "\"module-failed\"" };
        for (size_t i = 0; i < ELEMENTSOF(holds); i++)
                if (streq(reason, holds[i]))
                        return true;
        return false;
}

static void assert_invariants(const char *json) {
        for (size_t i = 0; i < ELEMENTSOF(addresses); i++) {
                const char *addr = addresses[i];
                _cleanup_free_ char *ok = json_field(json, addr, "ok"), *reason = json_field(json, addr, "reason"),
                                    *present = json_field(json, addr, "present");
                if (!device_present(addr)) {
                        ck_assert_str_eq(ok, "false");
                        ck_assert_str_eq(present, "false");
                        continue;
                }
                _cleanup_free_ char *driver = json_field(json, addr, "driver");
                _cleanup_free_ char *kdrv = scenario_driver(addr), *kov = scenario_override(addr);
                _cleanup_free_ char *want_drv = quoted_or_null(kdrv, "(none)"),
                                    *want_ov = quoted_or_null(kov, "(null)");
                _cleanup_free_ char *override = json_field(json, addr, "driver_override");
                /* The report is what the kernel shows now. */
                ck_assert_msg(streq(driver, want_drv), "%s: report says driver %s, kernel %s", addr, driver, want_drv);
                ck_assert_msg(streq(override, want_ov), "%s: report says override %s, kernel %s", addr, override,
                              want_ov);
                /* Not on the VFIO driver: a problem, with its reason. */
                if (!streq(kdrv, "vfio-pci")) {
                        ck_assert_msg(streq(ok, "false"), "%s is on %s but reported ok", addr, kdrv);
                        ck_assert_msg(!streq(reason, "null"), "%s is on %s without a reason", addr, kdrv);
                }
                /* An override without the claim is only a started claim's hold. */
                if (streq(kov, "vfio-pci") && !streq(kdrv, "vfio-pci"))
                        ck_assert_msg(is_hold_reason(reason), "%s keeps override vfio-pci on %s with reason %s", addr,
                                      kdrv, reason);
        }
}

START_TEST(test_fault_matrix) {
        const Fault *f = &faults[_i];
        _cleanup_free_ char *json = NULL, *again = NULL;

        if (streq(f->knob, "fail_reset_method") || (streq(f->knob, "vanish_on") && streq(f->value, "reset_method")))
                for (size_t i = 0; i < 2; i++)
                        ck_assert_int_eq(sim_knob_set(scenario_root, addresses[i], "reset_methods", "bus flr"), 0);
        scenario_write_config(f->config ?: plain_config);
        ck_assert_int_eq(sim_knob_set(scenario_root, f->target, f->knob, f->value), 0);
        int r = scenario_tool(&json, NULL, "apply", "--json", NULL);
        ck_assert_msg(r == 0 || r == 1, "exit status %d", r);
        assert_invariants(json);
        if (r == 0)
                for (size_t i = 0; i < ELEMENTSOF(addresses); i++) {
                        _cleanup_free_ char *d = scenario_driver(addresses[i]);
                        ck_assert_str_eq(d, "vfio-pci");
                }

        /* The fault did happen. */
        if (streq(f->knob, "crash_on"))
                ck_assert_int_ge(sim_log_count(scenario_root, "crash "), 1);
        else if (streq(f->knob, "vanish_on"))
                ck_assert(!device_present(GPU));
        else if (streq(f->knob, "load_errno"))
                ck_assert_int_ge(sim_log_count(scenario_root, "kmod probe_insert vfio_pci"), 1);
        else {
                char needle[64];
                const char *e = strchr(f->value, ':') ? strchr(f->value, ':') + 1 : f->value;
                snprintf(needle, sizeof(needle), "ret=-%s", e);
                ck_assert_msg(sim_log_count(scenario_root, needle) >= 1, "no store failed with %s", e);
        }

        /* The fault gone, a second run repairs whatever is still there. */
        ck_assert_int_eq(sim_knob_set(scenario_root, f->target, f->knob, ""), 0);
        r = scenario_tool(&again, NULL, "apply", "--json", NULL);
        assert_invariants(again);
        bool all_present = true;
        for (size_t i = 0; i < ELEMENTSOF(addresses); i++) {
                if (!device_present(addresses[i])) {
                        all_present = false;
                        continue;
                }
                _cleanup_free_ char *d = scenario_driver(addresses[i]);
                ck_assert_msg(streq(d, "vfio-pci"), "%s still on %s after the second run", addresses[i], d);
        }
        ck_assert_int_eq(r, all_present ? 0 : 1);
}
END_TEST

/* Release, with the same promise: what the report says is what the kernel shows. */
static const Fault release_faults[] = {
        { GPU, "fail_unbind", "EBUSY", NULL },        { GPU, "fail_drivers_probe", "ENODEV", NULL },
        { GPU, "fail_driver_override", "EIO", NULL }, { GPU, "crash_on", "unbind", NULL },
        { GPU, "vanish_on", "unbind", NULL },
};

START_TEST(test_release_fault_matrix) {
        const Fault *f = &release_faults[_i];
        _cleanup_free_ char *json = NULL, *again = NULL;

        scenario_write_config(plain_config);
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        ck_assert_int_eq(sim_knob_set(scenario_root, f->target, f->knob, f->value), 0);
        int r = scenario_tool(&json, NULL, "release", "--json", NULL);
        ck_assert_msg(r == 0 || r == 1, "exit status %d", r);
        for (size_t i = 0; i < ELEMENTSOF(addresses); i++) {
                const char *addr = addresses[i];
                if (!device_present(addr))
                        continue;
                _cleanup_free_ char *ok = json_field(json, addr, "ok"), *driver = json_field(json, addr, "driver");
                _cleanup_free_ char *kdrv = scenario_driver(addr), *want = quoted_or_null(kdrv, "(none)");
                ck_assert_msg(streq(driver, want), "%s: report says driver %s, kernel %s", addr, driver, want);
                if (streq(kdrv, "vfio-pci"))
                        ck_assert_msg(streq(ok, "false"), "%s is still on vfio-pci but reported released", addr);
        }
        ck_assert_int_eq(sim_knob_set(scenario_root, f->target, f->knob, ""), 0);
        ck_assert_int_eq(scenario_tool(&again, NULL, "release", "--json", NULL), device_present(GPU) ? 0 : 1);
}
END_TEST

/* The run directory and the lock, at boot: nothing is claimed, every device says so as an error, no
 * override is left behind, and the next boot (the fault gone) claims. */
typedef enum RunFault {
        RUN_DIR_A_FILE,
        RUN_DIR_FULL,
        RUN_DIR_READ_ONLY,
        LOCK_HELD,
        _RUN_FAULT_MAX,
} RunFault;

static void run_fault_set(RunFault fault, int *lock_fd) {
        char path[4096];
        switch (fault) {
        case RUN_DIR_A_FILE:
                scenario_write_file("run/vfio-bind", "");
                break;
        case RUN_DIR_FULL:
                ck_assert_int_eq(sim_knob_set(scenario_root, "run", "write_errno", "ENOSPC"), 0);
                break;
        case RUN_DIR_READ_ONLY:
                ck_assert_int_eq(sim_knob_set(scenario_root, "run", "write_errno", "EROFS"), 0);
                break;
        case LOCK_HELD:
                scenario_write_file("run/vfio-bind/lock", "");
                snprintf(path, sizeof(path), "%s/run/vfio-bind/lock", scenario_root);
                *lock_fd = open(path, O_RDWR | O_CLOEXEC);
                ck_assert_int_ge(*lock_fd, 0);
                ck_assert_int_eq(flock(*lock_fd, LOCK_EX), 0);
                break;
        default:
                break;
        }
}

static void run_fault_clear(RunFault fault, int lock_fd) {
        char path[4096];
        switch (fault) {
        case RUN_DIR_A_FILE:
                snprintf(path, sizeof(path), "%s/run/vfio-bind", scenario_root);
                ck_assert_int_eq(unlink(path), 0);
                break;
        case RUN_DIR_FULL:
        case RUN_DIR_READ_ONLY:
                ck_assert_int_eq(sim_knob_set(scenario_root, "run", "write_errno", ""), 0);
                break;
        case LOCK_HELD:
                close(lock_fd);
                break;
        default:
                break;
        }
}

START_TEST(test_run_dir_fault_matrix) {
        _cleanup_free_ char *early = NULL, *out = NULL, *again = NULL;
        int lock_fd = -1;

        scenario_write_config("[global]\ntimeout = 1\n[gpu]\naddress = 01:00.0\nfunctions = all\n"
                              "[usb]\naddress = 00:04.0\n");
        scenario_write_file("dev/kmsg", "");
        run_fault_set((RunFault)_i, &lock_fd);
        ck_assert_int_eq(scenario_tool(&early, NULL, "boot", "--stage=initramfs", NULL), 0);
        int r = scenario_tool(&out, NULL, "boot", "--stage=root", NULL);
        for (size_t i = 0; i < ELEMENTSOF(addresses); i++) {
                _cleanup_free_ char *d = scenario_driver(addresses[i]), *ov = scenario_override(addresses[i]);
                if (streq(d, "vfio-pci"))
                        continue;
                /* Not claimed: said at error level, and nothing half-done left on the device. */
                ck_assert_int_eq(r, 1);
                char needle[64];
                snprintf(needle, sizeof(needle), "VFIO_BIND_DEVICE=%s\n", addresses[i]);
                const char *entry = strstr(out, needle);
                ck_assert_msg(entry, "no report for %s in:\n%s", addresses[i], out);
                const char *start = entry;
                while (start > out && !(start[-1] == '\n' && start[-2] == '\n'))
                        start--;
                ck_assert_msg(strncmp(strstr(start, "PRIORITY="), "PRIORITY=3", 10) == 0 ||
                                      strncmp(strstr(start, "PRIORITY="), "PRIORITY=4", 10) == 0,
                              "%s is not on vfio-pci but not reported as a problem", addresses[i]);
                ck_assert_msg(streq(ov, "(null)"), "%s was left with override %s", addresses[i], ov);
        }
        run_fault_clear((RunFault)_i, lock_fd);
        ck_assert_int_eq(scenario_tool(&again, NULL, "boot", "--stage=root", NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(addresses); i++) {
                _cleanup_free_ char *d = scenario_driver(addresses[i]);
                ck_assert_str_eq(d, "vfio-pci");
        }
}
END_TEST

int main(void) {
        Suite *s = suite_create("faults");
        TCase *tc = tcase_create("faults");
        tcase_set_timeout(tc, 120);
        tcase_add_checked_fixture(tc, scenario_setup, scenario_teardown);
        tcase_add_loop_test(tc, test_fault_matrix, 0, ELEMENTSOF(faults));
        tcase_add_loop_test(tc, test_release_fault_matrix, 0, ELEMENTSOF(release_faults));
        tcase_add_loop_test(tc, test_run_dir_fault_matrix, 0, _RUN_FAULT_MAX);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
