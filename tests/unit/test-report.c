/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "check-run.h"
#include <stdlib.h>
#include <syslog.h>

#include "config.h"
#include "engine.h"
#include "explain.h"
#include "macro.h"
#include "message-ids.h"
#include "report.h"
#include "state-file.h"

/* A run as the engine leaves it after apply: a GPU pair claimed, an HBA refused by its id guard. */
static Config *config;
static Run run;

static PciDevice *device(const char *name, uint16_t vendor, uint16_t dev, uint32_t class, const char *driver,
                         int group) {
        PciDevice *d = calloc(1, sizeof(*d));
        ck_assert_ptr_nonnull(d);
        snprintf(d->name, sizeof(d->name), "%s", name);
        ck_assert_int_eq(pci_address_parse(name, &d->address), 0);
        d->vendor = vendor;
        d->device = dev;
        d->class = class;
        d->driver = driver ? strdup(driver) : NULL;
        d->iommu_group = group;
        d->boot_vga = -1;
        return d;
}

static void setup(void) {
        static const char text[] = "[gpu]\naddress = 01:00.0\nfunctions = all\n[hba]\naddress = 05:00.0\n"
                                   "expect = 1000:0097\n";
        ck_assert_int_eq(config_parse_string("/etc/vfio-bind.conf", text, sizeof(text) - 1, &config), 0);
        run = (Run){ .root = "", .config = config, .lock_fd = -1 };
        run.n_devices = 3;
        run.devices = calloc(3, sizeof(DeviceReport));
        DeviceReport *d = run.devices;
        d[0] = (DeviceReport){ .section = &config->sections[0],
                               .name = "0000:01:00.0",
                               .wanted_driver = "vfio-pci",
                               .dev = device("0000:01:00.0", 0x10de, 0x2684, 0x030000, "vfio-pci", 14),
                               .driver_before = NULL,
                               .result = RESULT_CLAIMED,
                               .group_viable = true,
                               .usec = 1500 };
        d[1] = (DeviceReport){ .section = &config->sections[0],
                               .name = "0000:01:00.1",
                               .sibling = true,
                               .wanted_driver = "vfio-pci",
                               .dev = device("0000:01:00.1", 0x10de, 0x22ba, 0x040300, "vfio-pci", 14),
                               .result = RESULT_CLAIMED,
                               .group_viable = true };
        d[2] = (DeviceReport){ .section = &config->sections[1],
                               .name = "0000:05:00.0",
                               .wanted_driver = "vfio-pci",
                               .dev = device("0000:05:00.0", 0x1000, 0x0087, 0x010700, "mpt3sas", 17),
                               .driver_before = strdup("mpt3sas"),
                               .result = RESULT_REFUSED,
                               .reason = REASON_ID_MISMATCH,
                               .message = strdup("0000:05:00.0 is 1000:0087"),
                               .fix = strdup("correct expect"),
                               .group_viable = true };
}

static void teardown(void) {
        config_free(config);
        config = NULL;
        run.config = NULL;
        run_done(&run);
}

/* Merge the stages, then format: what the boot stage does. */
static int build_report(const Run *r, const BootContext *ctx, Report *ret) {
        _cleanup_boot_outcome_ BootOutcome o = {};
        int k = boot_outcome_build(r, ctx, &o);
        return k < 0 ? k : report_build(r, ctx, &o, ret);
}

static const ReportEntry *entry_for(const Report *r, const char *device) {
        for (size_t i = 0; i < r->n; i++) {
                const char *v = report_entry_field(&r->entries[i], "VFIO_BIND_DEVICE");
                if (v && streq(v, device))
                        return &r->entries[i];
        }
        ck_abort_msg("no entry for %s", device);
        return NULL;
}

static const ReportEntry *entry_kind(const Report *r, const char *kind) {
        for (size_t i = 0; i < r->n; i++) {
                const char *v = report_entry_field(&r->entries[i], "VFIO_BIND_KIND");
                if (v && streq(v, kind))
                        return &r->entries[i];
        }
        return NULL;
}

/* What the initramfs stage writes for RUN, read back as the root stage reads it. */
static void write_and_read_back(uint64_t duration_usec, StateFile *ret) {
        char path[] = "/tmp/vfio-bind-state-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        close(fd);
        ck_assert_int_eq(state_file_write(path, &run, STAGE_INITRAMFS, false, duration_usec), 0);
        ck_assert_int_eq(state_file_read(path, ret), 0);
        unlink(path);
}

START_TEST(test_state_file_round_trip) {
        StateFile s = {};
        write_and_read_back(4242, &s);
        ck_assert_int_eq(s.stage, STAGE_INITRAMFS);
        ck_assert_uint_eq(s.config_hash, config->hash);
        ck_assert(s.config_present);
        ck_assert(!s.disabled);
        ck_assert_uint_eq(s.duration_usec, 4242);
        ck_assert_uint_eq(s.n_devices, 3);
        const StateDevice *gpu = state_file_find(&s, "0000:01:00.0");
        ck_assert_ptr_nonnull(gpu);
        ck_assert_ptr_null(gpu->driver_before);
        ck_assert_str_eq(gpu->driver_after, "vfio-pci");
        ck_assert_int_eq(gpu->result, RESULT_CLAIMED);
        ck_assert_int_eq(gpu->reason, REASON_NONE);
        ck_assert_uint_eq(gpu->usec, 1500);
        const StateDevice *hba = state_file_find(&s, "0000:05:00.0");
        ck_assert_str_eq(hba->driver_before, "mpt3sas");
        ck_assert_int_eq(hba->result, RESULT_REFUSED);
        ck_assert_int_eq(hba->reason, REASON_ID_MISMATCH);
        ck_assert_str_eq(hba->message, "0000:05:00.0 is 1000:0087");
        ck_assert_ptr_null(state_file_find(&s, "0000:09:00.0"));
        state_file_done(&s);
}
END_TEST

/* A state file of another version (or of none) is refused, not misread; RET stays untouched. */
static int read_text(const char *text, StateFile *ret) {
        char path[] = "/tmp/vfio-bind-state-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        int r = state_file_read(path, ret);
        unlink(path);
        return r;
}

START_TEST(test_state_file_version_checked) {
        StateFile s = { .config_hash = 77 };
        ck_assert_int_eq(read_text("version=2\nstage=initramfs\n", &s), -EPROTONOSUPPORT);
        ck_assert_int_eq(read_text("version=0\nstage=initramfs\n", &s), -EPROTONOSUPPORT);
        ck_assert_int_eq(read_text("version=1x\nstage=initramfs\n", &s), -EPROTONOSUPPORT);
        ck_assert_int_eq(read_text("stage=initramfs\nversion=1\n", &s), -EPROTONOSUPPORT);
        ck_assert_int_eq(read_text("", &s), -EPROTONOSUPPORT);
        /* The right version with values it does not know is a damaged file. */
        ck_assert_int_eq(read_text("version=1\nstage=early\n", &s), -EBADMSG);
        ck_assert_int_eq(
                read_text("version=1\nstage=initramfs\ndevice\t0000:01:00.0\t-\tvfio-pci\tgrabbed\tnone\t1\t-\n", &s),
                -EBADMSG);
        ck_assert_int_eq(read_text("version=1\nstage=initramfs\nnote\t0000:01:00.0\t1\tsparkles\tm\t-\n", &s),
                         -EBADMSG);
        ck_assert_uint_eq(s.config_hash, 77);
        ck_assert_ptr_null(s.devices);

        ck_assert_int_eq(read_text("version=1\nstage=initramfs\nudev_running=1\n"
                                   "device\t0000:01:00.0\t-\tvfio-pci\tclaimed\tnone\t12\t-\n"
                                   "note\t0000:01:00.0\t1\tboot-vga\tthe console\t-\n",
                                   &s),
                         0);
        ck_assert_int_eq(s.stage, STAGE_INITRAMFS);
        ck_assert(s.udev_running);
        ck_assert_uint_eq(s.n_devices, 1);
        ck_assert_int_eq(s.devices[0].result, RESULT_CLAIMED);
        ck_assert_uint_eq(s.n_notes, 1);
        ck_assert_int_eq(s.notes[0].code, NOTE_BOOT_VGA);
        ck_assert_int_eq(s.notes[0].severity, SEVERITY_WARNING);
        state_file_done(&s);
}
END_TEST

/* The root stage says why it cannot tell the initramfs stage's part. */
START_TEST(test_report_initramfs_other_version) {
        BootContext ctx = { .stage = STAGE_ROOT, .initramfs = INITRAMFS_OTHER_VERSION, .rebuild_command = "dracut -f" };
        Report r = {};
        ck_assert_int_eq(build_report(&run, &ctx, &r), 0);
        const ReportEntry *e = entry_kind(&r, "initramfs-version");
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->message_id, MESSAGE_ID_INITRAMFS_STALE);
        ck_assert_int_eq(e->priority, LOG_WARNING);
        ck_assert_ptr_nonnull(strstr(e->message, "'dracut -f'"));
        report_done(&r);
}
END_TEST

/* Every explanation fills its message (and fix) from the table, with no field left unfilled. */
START_TEST(test_explanations_complete) {
        DeviceReport *hba = &run.devices[2];
        ExplainArgs args = { .current = "mpt3sas",
                             .module = "vfio_pci",
                             .detail = "0001:05:00.0",
                             .step = "binding",
                             .hint = "enable the IOMMU",
                             .error = EBUSY };
        for (Explanation e = 0; e < _EXPLAIN_MAX; e++) {
                ck_assert_int_eq(explain(hba, &run, e, &args), explanation_reason(e));
                ck_assert_int_eq(hba->reason, explanation_reason(e));
                ck_assert_ptr_nonnull(hba->message);
                ck_assert_msg(!strchr(hba->message, '@'), "unfilled field in '%s'", hba->message);
                ck_assert_msg(!hba->fix || !strchr(hba->fix, '@'), "unfilled field in '%s'", hba->fix);
        }
        explain(hba, &run, EXPLAIN_ID_MISMATCH, NULL);
        ck_assert_str_eq(hba->message, "0000:05:00.0 is 1000:0087 (SAS controller), but [hba] expects 1000:0097");
        ck_assert_str_eq(hba->fix, "the slot holds another device now: check 'lspci -nn -s 0000:05:00.0' and correct "
                                   "address or expect in /etc/vfio-bind.conf");
        explain(hba, &run, EXPLAIN_UNBIND_FAILED, &args);
        ck_assert_str_eq(hba->message, "cannot unbind 0000:05:00.0 from mpt3sas: Device or resource busy");
        explain(hba, &run, EXPLAIN_ON_DRIVER, NULL);
        ck_assert_str_eq(hba->message, "on vfio-pci");
        ck_assert_ptr_null(hba->fix);
}
END_TEST

/* What the initramfs stage recorded and nothing else says reaches the journal: how long it took, and why it
 * left a device for the root stage. */
START_TEST(test_report_keeps_initramfs_record) {
        StateFile early = {};
        write_and_read_back(900, &early);

        BootContext ctx = { .stage = STAGE_ROOT,
                            .initramfs = INITRAMFS_RAN,
                            .initramfs_state = &early,
                            .rebuild_command = "update-initramfs -u -k all" };
        Report r = {};
        ck_assert_int_eq(build_report(&run, &ctx, &r), 0);
        ck_assert_str_eq(report_entry_field(entry_kind(&r, "summary"), "VFIO_BIND_INITRAMFS_USEC"), "900");
        const ReportEntry *hba = entry_for(&r, "0000:05:00.0");
        ck_assert_str_eq(report_entry_field(hba, "VFIO_BIND_INITRAMFS_REASON"), "id-mismatch");
        ck_assert_str_eq(report_entry_field(hba, "VFIO_BIND_INITRAMFS_MESSAGE"), "0000:05:00.0 is 1000:0087");
        ck_assert_ptr_null(report_entry_field(entry_for(&r, "0000:01:00.0"), "VFIO_BIND_INITRAMFS_REASON"));
        report_done(&r);
        state_file_done(&early);
}
END_TEST

START_TEST(test_report_after_initramfs_claim) {
        StateFile early = {};
        /* The initramfs saw the GPU on no driver and claimed it; the root stage finds it already claimed. */
        write_and_read_back(900, &early);
        run.devices[0].result = RESULT_ALREADY;
        run.devices[1].result = RESULT_ALREADY;

        BootContext ctx = { .stage = STAGE_ROOT,
                            .initramfs = INITRAMFS_RAN,
                            .initramfs_state = &early,
                            .rebuild_command = "update-initramfs -u -k all" };
        Report r = {};
        ck_assert_int_eq(build_report(&run, &ctx, &r), 0);

        const ReportEntry *gpu = entry_for(&r, "0000:01:00.0");
        ck_assert_str_eq(gpu->message_id, MESSAGE_ID_CLAIMED);
        ck_assert_int_eq(gpu->priority, LOG_INFO);
        ck_assert_str_eq(report_entry_field(gpu, "VFIO_BIND_RESULT"), "claimed");
        ck_assert_str_eq(report_entry_field(gpu, "VFIO_BIND_DRIVER"), "vfio-pci");
        ck_assert_str_eq(report_entry_field(gpu, "VFIO_BIND_PREVIOUS_DRIVER"), "none");
        ck_assert_str_eq(report_entry_field(gpu, "VFIO_BIND_STAGE"), "initramfs");
        ck_assert_str_eq(report_entry_field(gpu, "VFIO_BIND_IOMMU_GROUP"), "14");
        ck_assert_str_eq(report_entry_field(gpu, "VFIO_BIND_REASON"), "none");
        ck_assert_str_eq(report_entry_field(gpu, "VFIO_BIND_LABEL"), "gpu");
        ck_assert_ptr_nonnull(strstr(gpu->message, "claimed in the initramfs before udev"));

        const ReportEntry *hba = entry_for(&r, "0000:05:00.0");
        ck_assert_str_eq(hba->message_id, MESSAGE_ID_REFUSED);
        ck_assert_int_eq(hba->priority, LOG_ERR);
        ck_assert_str_eq(report_entry_field(hba, "VFIO_BIND_RESULT"), "refused");
        ck_assert_str_eq(report_entry_field(hba, "VFIO_BIND_REASON"), "id-mismatch");
        ck_assert_str_eq(report_entry_field(hba, "VFIO_BIND_DRIVER"), "mpt3sas");
        ck_assert_str_eq(report_entry_field(hba, "VFIO_BIND_STAGE"), "root");
        ck_assert_str_eq(report_entry_field(hba, "VFIO_BIND_FIX"), "correct expect");
        ck_assert_ptr_nonnull(strstr(hba->message, "Fix: correct expect"));

        const ReportEntry *sum = entry_kind(&r, "summary");
        ck_assert_ptr_nonnull(sum);
        ck_assert_str_eq(sum->message_id, MESSAGE_ID_SUMMARY);
        ck_assert_str_eq(sum->message, "2 of 3 functions on vfio-pci, claimed in the initramfs before udev");
        ck_assert_int_eq(sum->priority, LOG_ERR);
        ck_assert_ptr_null(entry_kind(&r, "initramfs-missing"));
        report_done(&r);
        state_file_done(&early);
}
END_TEST

START_TEST(test_report_without_initramfs_stage) {
        run.devices[2].reason = REASON_NONE;
        run.devices[2].result = RESULT_CLAIMED;
        free(run.devices[2].dev->driver);
        run.devices[2].dev->driver = strdup("vfio-pci");
        BootContext ctx = { .stage = STAGE_ROOT,
                            .initramfs = INITRAMFS_MISSING,
                            .rebuild_command = "dracut -f --regenerate-all" };
        Report r = {};
        ck_assert_int_eq(build_report(&run, &ctx, &r), 0);
        const ReportEntry *missing = entry_kind(&r, "initramfs-missing");
        ck_assert_ptr_nonnull(missing);
        ck_assert_str_eq(missing->message_id, MESSAGE_ID_INITRAMFS_STALE);
        ck_assert_ptr_nonnull(strstr(missing->message, "'dracut -f --regenerate-all'"));
        ck_assert_str_eq(report_entry_field(entry_for(&r, "0000:05:00.0"), "VFIO_BIND_STAGE"), "root");
        ck_assert_str_eq(report_entry_field(entry_for(&r, "0000:05:00.0"), "VFIO_BIND_PREVIOUS_DRIVER"), "mpt3sas");
        ck_assert_str_eq(entry_kind(&r, "summary")->message, "3 of 3 functions on vfio-pci, claimed in the root stage");
        report_done(&r);

        ctx.initramfs = INITRAMFS_STALE;
        ck_assert_int_eq(build_report(&run, &ctx, &r), 0);
        ck_assert_ptr_nonnull(strstr(entry_kind(&r, "initramfs-stale")->message, "rebuild it with"));
        report_done(&r);
}
END_TEST

START_TEST(test_report_disabled) {
        BootContext ctx = { .stage = STAGE_ROOT, .disabled = true, .rebuild_command = "x" };
        Report r = {};
        ck_assert_int_eq(build_report(&run, &ctx, &r), 0);
        ck_assert_uint_eq(r.n, 1);
        ck_assert_str_eq(r.entries[0].message_id, MESSAGE_ID_DISABLED);
        ck_assert_ptr_nonnull(strstr(r.entries[0].message, "vfio_bind=0"));
        report_done(&r);
}
END_TEST

int main(void) {
        Suite *s = suite_create("report");
        TCase *tc = tcase_create("report");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_state_file_round_trip);
        tcase_add_test(tc, test_report_after_initramfs_claim);
        tcase_add_test(tc, test_report_without_initramfs_stage);
        tcase_add_test(tc, test_state_file_version_checked);
        tcase_add_test(tc, test_report_initramfs_other_version);
        tcase_add_test(tc, test_explanations_complete);
        tcase_add_test(tc, test_report_keeps_initramfs_record);
        tcase_add_test(tc, test_report_disabled);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
