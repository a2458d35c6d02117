/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conflicts.h"
#include "cmdline.h"
#include "fileio.h"
#include "macro.h"
#include "string-util.h"
#include "sysroot.h"

/* Options that bind by vendor:device id, as the kernel accepts them ('-' and '_' both). */
static const char *const id_options[] = { "vfio-pci.ids", "vfio_pci.ids", "pci-stub.ids", "pci_stub.ids" };

static int note_cmdline(Run *run) {
        for (size_t i = 0; i < ELEMENTSOF(id_options); i++) {
                _cleanup_free_ char *ids = NULL;
                int r = cmdline_get_value(run->facts.cmdline, id_options[i], &ids);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                r = note_add(&run->notes, SEVERITY_INFO, NOTE_VENDOR_IDS_CMDLINE,
                             format_alloc("the kernel command line has '%s=%s': it binds every device with those "
                                          "vendor:device ids, identical cards the host needs included",
                                          id_options[i], ids),
                             strdup("remove it once vfio-bind claims the devices by address"));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int note_modprobe_d(Run *run) {
        _cleanup_closedir_ DIR *d = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        int r;

        d = opendir(root_path(path, run->root, "/etc/modprobe.d"));
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                size_t n = strlen(de->d_name);
                if (n < 6 || !streq(de->d_name + n - 5, ".conf"))
                        continue;
                if (read_full_file(root_path(path, run->root, "/etc/modprobe.d/%s", de->d_name), &text, NULL) < 0)
                        continue;
                unsigned line_no = 0;
                for (char *line = text, *next; line && *line; line = next) {
                        next = strchr(line, '\n');
                        if (next)
                                *next++ = 0;
                        line_no++;
                        while (*line == ' ' || *line == '\t')
                                line++;
                        if (strncmp(line, "options", 7) != 0 || !strstr(line, " ids="))
                                continue;
                        if (!strstr(line, "vfio-pci") && !strstr(line, "vfio_pci") && !strstr(line, "pci-stub") &&
                            !strstr(line, "pci_stub"))
                                continue;
                        char *msg = NULL;
                        if (asprintf(&msg,
                                     "/etc/modprobe.d/%s:%u binds by vendor:device ids ('%s'): identical cards "
                                     "the host needs are captured too",
                                     de->d_name, line_no, line) < 0)
                                return -ENOMEM;
                        r = note_add(&run->notes, SEVERITY_INFO, NOTE_VENDOR_IDS_MODPROBE, msg,
                                     strdup("remove the line once vfio-bind claims the devices by address"));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int note_driverctl(Run *run) {
        char path[PATH_MAX];
        int r;

        for (size_t i = 0; i < run->n_devices; i++) {
                DeviceReport *d = &run->devices[i];
                _cleanup_free_ char *driver = NULL;
                if (read_attr(root_path(path, run->root, "/etc/driverctl.d/pci-%s", d->name), &driver) < 0)
                        continue;
                r = note_add(
                        &d->notes, SEVERITY_INFO, NOTE_DRIVERCTL_OVERRIDE,
                        format_alloc("driverctl also overrides %s (to '%s'), from the real root only", d->name, driver),
                        format_alloc("remove it with 'driverctl unset-override %s' to leave the device to "
                                     "vfio-bind",
                                     d->name));
                if (r < 0)
                        return r;
        }
        return 0;
}

int conflicts_add_notes(Run *run) {
        int r = note_cmdline(run);
        if (r >= 0)
                r = note_modprobe_d(run);
        if (r >= 0)
                r = note_driverctl(run);
        return r;
}
