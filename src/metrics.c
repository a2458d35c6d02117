/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "build-config.h"
#include "fileio.h"
#include "metrics.h"
#include "sysroot.h"
#include "utf8.h"

static const char *const claim_stage_names[_CLAIM_STAGE_MAX] = {
        [CLAIM_STAGE_NONE] = "none",
        [CLAIM_STAGE_INITRAMFS] = "initramfs",
        [CLAIM_STAGE_ROOT] = "root",
        [CLAIM_STAGE_LATER] = "later",
};

const char *claim_stage_to_string(ClaimStage s) {
        return s >= 0 && s < _CLAIM_STAGE_MAX ? claim_stage_names[s] : "none";
}

static bool state_claimed(const StateFile *s, const char *name) {
        const StateDevice *d = s ? state_file_find(s, name) : NULL;
        return d && (d->result == RESULT_CLAIMED || d->result == RESULT_ALREADY) && driver_is_vfio(d->driver_after);
}

int metrics_context_from_state(const Run *run, const StateFile *initramfs, const StateFile *root,
                               uint64_t boot_report_usec, MetricsContext *ret) {
        ClaimStage *stages = calloc(run->n_devices ?: 1, sizeof(ClaimStage));
        if (!stages)
                return -ENOMEM;
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                /* The records say what a stage did; only the device as it is now says whether it still holds. */
                if (!d->dev || !driver_is_vfio(d->dev->driver))
                        stages[i] = CLAIM_STAGE_NONE;
                else if (state_claimed(initramfs, d->name))
                        stages[i] = CLAIM_STAGE_INITRAMFS;
                else if (state_claimed(root, d->name))
                        stages[i] = CLAIM_STAGE_ROOT;
                else
                        stages[i] = CLAIM_STAGE_LATER;
        }
        *ret = (MetricsContext){ .stages = stages, .boot_report_usec = boot_report_usec };
        return 0;
}

void metrics_context_done(MetricsContext *m) {
        free(m->stages);
        *m = (MetricsContext){};
}

/* A label value: UTF-8 only (a byte that is not part of well-formed UTF-8 becomes U+FFFD), with backslash,
 * double quote and newline escaped as the format asks. Labels come from the configuration file: any bytes. */
static void label_value(FILE *f, const char *s) {
        fputc('"', f);
        for (const char *p = s ?: ""; *p;) {
                uint32_t c;
                size_t n = utf8_sequence_length(p, &c);
                if (n == 0) {
                        fputs("\xEF\xBF\xBD", f);
                        p++;
                        continue;
                }
                if (c == '\\')
                        fputs("\\\\", f);
                else if (c == '"')
                        fputs("\\\"", f);
                else if (c == '\n')
                        fputs("\\n", f);
                else
                        fwrite(p, 1, n, f);
                p += n;
        }
        fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A sample's name and the labels every device sample has; the caller adds its own and closes the brace. */
static void device_labels(FILE *f, const char *metric, const DeviceReport *d) {
        fprintf(f, "%s{address=", metric);
        label_value(f, d->name);
        fputs(",label=", f);
        label_value(f, device_report_label(d));
}

void output_prometheus(FILE *f, const Run *run, const MetricsContext *m) {
        family(f, "vfio_bind_build_info", "gauge", "The vfio-bind version that wrote these metrics; always 1.");
        fputs("vfio_bind_build_info{version=", f);
        label_value(f, PACKAGE_VERSION);
        fputs("} 1\n", f);

        family(f, "vfio_bind_devices_configured", "gauge", "PCI functions named in the configuration.");
        fprintf(f, "vfio_bind_devices_configured %zu\n", run->n_devices);

        family(f, "vfio_bind_device_on_vfio", "gauge",
               "1 when the configured function is bound to a VFIO driver now, 0 when not; driver is the one it is "
               "bound to (empty: none).");
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                const char *driver = d->dev ? d->dev->driver : NULL;
                device_labels(f, "vfio_bind_device_on_vfio", d);
                fputs(",driver=", f);
                label_value(f, driver);
                fprintf(f, "} %d\n", driver_is_vfio(driver));
        }

        family(f, "vfio_bind_device_group_viable", "gauge",
               "1 when every member of the function's IOMMU group is on a VFIO driver (or a bridge port), so a VM "
               "can open the group.");
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                device_labels(f, "vfio_bind_device_group_viable", d);
                fprintf(f, "} %d\n", d->dev && d->dev->iommu_group >= 0 && d->group_viable);
        }

        family(f, "vfio_bind_device_claimed_stage", "gauge",
               "The stage that put the function on its VFIO driver: initramfs, root (the boot unit), later (after "
               "boot) or none (not on it now); always 1.");
        for (size_t i = 0; i < run->n_devices; i++) {
                device_labels(f, "vfio_bind_device_claimed_stage", &run->devices[i]);
                fputs(",stage=", f);
                label_value(f, claim_stage_to_string(m && m->stages ? m->stages[i] : CLAIM_STAGE_NONE));
                fputs("} 1\n", f);
        }

        family(f, "vfio_bind_device_reason", "gauge",
               "Why the function is not (or cannot be) on its VFIO driver, as the reason code of 'vfio-bind "
               "status --json' (none: no problem); always 1.");
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                device_labels(f, "vfio_bind_device_reason", d);
                fputs(",reason=", f);
                label_value(f, reason_to_string(d->reason));
                fputs("} 1\n", f);
        }

        family(f, "vfio_bind_device_ok", "gauge",
               "1 when the function is where it should be, as the exit status of 'vfio-bind status' counts it.");
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                device_labels(f, "vfio_bind_device_ok", d);
                fprintf(f, "} %d\n", device_report_ok(d));
        }

        if (m && m->boot_report_usec > 0) {
                family(f, "vfio_bind_boot_report_timestamp_seconds", "gauge",
                       "When the boot unit wrote its report this boot, in seconds since the epoch.");
                fprintf(f, "vfio_bind_boot_report_timestamp_seconds %" PRIu64 ".%03" PRIu64 "\n",
                        m->boot_report_usec / 1000000, m->boot_report_usec / 1000 % 1000);
        }
}

int metrics_write_dir(const char *root, const char *dir, const Run *run, const MetricsContext *m) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t size = 0;
        int dir_fd, fd, r = 0;

        FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        output_prometheus(f, run, m);
        if (fclose(f) != 0)
                return -ENOMEM;

        dir_fd = open(root_path(path, root, "%s", dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        /* The collector reads only *.prom: the temp file's name keeps it out until the rename. */
        static const char tmp[] = "." METRICS_FILE ".tmp";
        (void)unlinkat(dir_fd, tmp, 0);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                r = -errno;
        if (r >= 0) {
                r = write_all_fd(fd, text, size);
                /* The unit's UMask= is 0077; a collector running as its own user must read the file. */
                if (r >= 0 && fchmod(fd, 0644) < 0)
                        r = -errno;
                if (close(fd) < 0 && r >= 0)
                        r = -errno;
                if (r >= 0 && renameat(dir_fd, tmp, dir_fd, METRICS_FILE) < 0)
                        r = -errno;
                if (r < 0)
                        (void)unlinkat(dir_fd, tmp, 0);
        }
        close(dir_fd);
        return r;
}
