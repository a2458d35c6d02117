/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "macro.h"
#include "output.h"
#include "utf8.h"

#define COLOR_RED    "\033[31;1m"
#define COLOR_YELLOW "\033[33;1m"
#define COLOR_GREEN  "\033[32m"
#define COLOR_DIM    "\033[2m"
#define COLOR_OFF    "\033[0m"

/* Text from the config file or the kernel goes to a terminal: a carriage return, an escape sequence or a
 * stray byte could rewrite what the admin sees. Controls (C1 ones too) and bytes that are not well-formed
 * UTF-8 are shown as \xNN. Takes the next character of *S and returns how it is shown: the character itself
 * (in *S) or its escapes (in ESC), with its length in *RET_LEN. */
static const char *printable_next(const char **s, char esc[static 16], size_t *ret_len) {
        const char *c = *s;
        uint32_t u;
        size_t n = utf8_sequence_length(c, &u);

        if (n > 0 && !unichar_is_control(u)) {
                *s += n;
                *ret_len = n;
                return c;
        }
        n = n ?: 1;
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(esc + len, 16 - len, "\\x%02x", (unsigned char)c[i]);
        *s += n;
        *ret_len = len;
        return esc;
}

static void fput_printable(FILE *f, const char *s) {
        char esc[16];
        size_t len;
        while (*s) {
                const char *shown = printable_next(&s, esc, &len);
                fwrite(shown, 1, len, f);
        }
}

/* S made printable into BUF, cut at a whole character or escape when it does not fit. */
static void printable(const char *s, char *buf, size_t size) {
        char esc[16];
        size_t used = 0, len;
        while (*s) {
                const char *shown = printable_next(&s, esc, &len);
                if (len >= size - used)
                        break;
                memcpy(buf + used, shown, len);
                used += len;
        }
        buf[used] = 0;
}

const char *verb_to_string(Verb v) {
        static const char *const names[] = {
                [VERB_APPLY] = "apply",         [VERB_CHECK] = "check",     [VERB_STATUS] = "status",
                [VERB_RELEASE] = "release",     [VERB_BOOT] = "boot",       [VERB_STORAGE] = "storage",
                [VERB_LIBRARIES] = "libraries", [VERB_MODULES] = "modules", [VERB_GUARD] = "guard",
                [VERB_SNAPSHOT] = "snapshot",   [VERB_NETWORK] = "network", [VERB_LIST] = "list",
                [VERB_SUGGEST] = "suggest",
        };
        return names[v];
}

const char *device_verdict(const DeviceReport *d, Verb verb) {
        if (d->reason != REASON_NONE)
                return reason_to_string(d->reason);
        switch (verb) {
        case VERB_CHECK:
                return d->dev && streq_ptr(d->dev->driver, d->wanted_driver) ? "ok" : "ready";
        case VERB_APPLY:
        case VERB_BOOT:
        case VERB_RELEASE:
                return result_to_string(d->result);
        default:
                return "ok";
        }
}

void output_config_errors(FILE *f, const Config *c) {
        for (size_t i = 0; i < c->n_errors; i++) {
                fput_printable(f, c->path);
                if (c->errors[i].line > 0)
                        fprintf(f, ":%u", c->errors[i].line);
                fputs(": ", f);
                fput_printable(f, c->errors[i].message);
                fputc('\n', f);
        }
}

void summary_line(char *buf, size_t size, const Run *run, Verb verb) {
        size_t ok = 0, planned = 0, released = 0, never_claimed = 0;
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                /* A plan is not a fact: only what the kernel shows now counts as on the driver. */
                ok += device_report_ok(d) && d->result != RESULT_PLANNED;
                planned += d->result == RESULT_PLANNED;
                released += d->result == RESULT_RELEASED;
                never_claimed += verb == VERB_RELEASE && device_report_ok(d) && d->result == RESULT_NONE;
        }
        const char *driver = run->n_devices > 0 ? run->devices[0].wanted_driver : DEFAULT_VFIO_DRIVER;
        bool one_driver = true;
        for (size_t i = 1; i < run->n_devices; i++)
                one_driver = one_driver && streq(run->devices[i].wanted_driver, driver);

        switch (verb) {
        case VERB_CHECK:
                snprintf(buf, size, "%zu of %zu function%s can be claimed", ok, run->n_devices,
                         run->n_devices == 1 ? "" : "s");
                break;
        case VERB_RELEASE:
                if (never_claimed > 0)
                        snprintf(buf, size, "%zu of %zu function%s released, %zu not on a VFIO driver", released,
                                 run->n_devices, run->n_devices == 1 ? "" : "s", never_claimed);
                else
                        snprintf(buf, size, "%zu of %zu function%s released", released, run->n_devices,
                                 run->n_devices == 1 ? "" : "s");
                break;
        default:
                if (planned > 0)
                        snprintf(buf, size,
                                 "%zu of %zu function%s on %s now, %zu would be claimed (dry run: nothing "
                                 "changed)",
                                 ok, run->n_devices, run->n_devices == 1 ? "" : "s",
                                 one_driver ? driver : "their VFIO drivers", planned);
                else
                        snprintf(buf, size, "%zu of %zu function%s on %s", ok, run->n_devices,
                                 run->n_devices == 1 ? "" : "s", one_driver ? driver : "their VFIO drivers");
        }
}

static const char *severity_color(Severity s, bool color) {
        if (!color)
                return "";
        return s == SEVERITY_ERROR ? COLOR_RED : s == SEVERITY_WARNING ? COLOR_YELLOW : COLOR_GREEN;
}

static void print_note(FILE *f, const char *message, const char *fix, Severity sev, bool color) {
        fprintf(f, "  %s%s%s: ", severity_color(sev, color), severity_to_string(sev), color ? COLOR_OFF : "");
        fput_printable(f, message);
        fputc('\n', f);
        if (fix) {
                fputs("    fix: ", f);
                fput_printable(f, fix);
                fputc('\n', f);
        }
}

enum {
        COL_LABEL,
        COL_ADDRESS,
        COL_ID,
        COL_CLASS,
        COL_BEFORE,
        COL_DRIVER,
        COL_GROUP,
        COL_VFIO,
        COL_RESET,
        COL_VERDICT,
        _COL_MAX
};

/* A table cell is short: an address, an id, a driver name, a verdict. */
#define CELL_MAX 256

static const char *const headers[_COL_MAX] = { "LABEL",  "ADDRESS", "ID",   "CLASS", "BEFORE",
                                               "DRIVER", "GROUP",   "VFIO", "RESET", "VERDICT" };

/* Which interfaces a VMM can open: "group+cdev", "group", "cdev", "none", or "-" when not looked at (the
 * device is not on its VFIO driver). */
static const char *interfaces_cell(const DeviceReport *d) {
        if (!d->interfaces_read)
                return "-";
        if (d->group_node.exists && d->cdev_node.exists)
                return "group+cdev";
        return d->group_node.exists ? "group" : d->cdev_node.exists ? "cdev" : "none";
}

static void device_cells(const DeviceReport *d, Verb verb, char cells[_COL_MAX][CELL_MAX]) {
        const PciDevice *dev = d->dev;

        printable(d->section ? d->section->name : "-", cells[COL_LABEL], CELL_MAX);
        snprintf(cells[COL_ADDRESS], CELL_MAX, "%s", d->name);
        if (dev) {
                snprintf(cells[COL_ID], CELL_MAX, "%04x:%04x", dev->vendor, dev->device);
                snprintf(cells[COL_CLASS], CELL_MAX, "%s", pci_class_name(dev->class));
                printable(dev->driver ?: "(none)", cells[COL_DRIVER], CELL_MAX);
                if (dev->iommu_group >= 0)
                        snprintf(cells[COL_GROUP], CELL_MAX, "%d%s", dev->iommu_group, d->group_viable ? "" : "!");
                else
                        snprintf(cells[COL_GROUP], CELL_MAX, "-");
                snprintf(cells[COL_VFIO], CELL_MAX, "%s", interfaces_cell(d));
                snprintf(cells[COL_RESET], CELL_MAX, "%s",
                         !dev->reset_method   ? "-"
                         : *dev->reset_method ? dev->reset_method
                                              : "none");
                for (char *p = cells[COL_RESET]; *p; p++)
                        if (*p == ' ')
                                *p = ',';
        } else
                for (int c = COL_ID; c <= COL_RESET; c++)
                        snprintf(cells[c], CELL_MAX, "-");
        printable(d->driver_before ?: "(none)", cells[COL_BEFORE], CELL_MAX);
        snprintf(cells[COL_VERDICT], CELL_MAX, "%s", device_verdict(d, verb));
}

/* One line per device, columns as wide as their widest cell. */
static void print_table(FILE *f, const Run *run, Verb verb, bool color) {
        bool show_before = verb == VERB_APPLY || verb == VERB_RELEASE || verb == VERB_BOOT;
        char cells[_COL_MAX][CELL_MAX];
        size_t width[_COL_MAX];

        for (int c = 0; c < _COL_MAX; c++)
                width[c] = strlen(headers[c]);
        for (size_t i = 0; i < run->n_devices; i++) {
                device_cells(&run->devices[i], verb, cells);
                for (int c = 0; c < _COL_MAX; c++)
                        if (strlen(cells[c]) > width[c])
                                width[c] = strlen(cells[c]);
        }

        for (int c = 0; c < _COL_MAX; c++) {
                if (c == COL_BEFORE && !show_before)
                        continue;
                fprintf(f, "%s%-*s%s", color ? COLOR_DIM : "", c == COL_VERDICT ? 0 : (int)width[c], headers[c],
                        color ? COLOR_OFF : "");
                fputs(c == COL_VERDICT ? "\n" : "  ", f);
        }
        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                device_cells(d, verb, cells);
                for (int c = 0; c < _COL_MAX; c++) {
                        if (c == COL_BEFORE && !show_before)
                                continue;
                        if (c == COL_VERDICT)
                                fprintf(f, "%s%s%s\n", severity_color(device_report_severity(d), color), cells[c],
                                        color ? COLOR_OFF : "");
                        else
                                fprintf(f, "%-*s  ", (int)width[c], cells[c]);
                }
        }
}

/* Details: what is wrong and how to fix it, device by device. */
static void print_details(FILE *f, const Run *run, bool color) {
        bool first = true;

        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                if (d->reason == REASON_NONE && d->notes.n == 0)
                        continue;
                if (first)
                        fputc('\n', f);
                first = false;
                fprintf(f, "%s (", d->name);
                fput_printable(f, d->section ? d->section->name : "not configured");
                fputs("):\n", f);
                if (d->reason != REASON_NONE)
                        print_note(f, d->message ?: reason_to_string(d->reason), d->fix, SEVERITY_ERROR, color);
                for (size_t j = 0; j < d->notes.n; j++)
                        print_note(f, d->notes.notes[j].message, d->notes.notes[j].fix, d->notes.notes[j].severity,
                                   color);
        }
}

/* Every IOMMU group involved, with each member's driver: the thing admins otherwise script by hand. */
static void print_groups(FILE *f, const Run *run) {
        bool groups_header = false;

        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                if (!d->dev || d->dev->iommu_group < 0 || d->group.n == 0)
                        continue;
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = run->devices[j].dev && run->devices[j].dev->iommu_group == d->dev->iommu_group;
                if (seen)
                        continue;
                if (!groups_header)
                        fputc('\n', f);
                groups_header = true;
                fprintf(f, "IOMMU group %d%s:", d->dev->iommu_group, d->group_viable ? "" : " (not viable)");
                for (size_t j = 0; j < d->group.n; j++) {
                        fprintf(f, "%s %s ", j ? "," : "", d->group.devices[j]->name);
                        fput_printable(f, d->group.devices[j]->driver ?: "(none)");
                }
                fputc('\n', f);
        }
}

/* driver = auto: the admin did not name the driver, so say which one was taken and why. */
static void print_driver_choices(FILE *f, const Run *run) {
        bool header = false;

        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                if (!d->driver_choice)
                        continue;
                if (!header)
                        fputs("\nDriver chosen (driver = auto):\n", f);
                header = true;
                fprintf(f, "  %s ", d->name);
                fput_printable(f, d->wanted_driver);
                fputs(": ", f);
                fput_printable(f, d->driver_choice);
                fputc('\n', f);
        }
}

static void print_node(FILE *f, const VfioNode *n) {
        fprintf(f, "  %s %04o %u:%u\n", n->path, (unsigned)n->mode, (unsigned)n->uid, (unsigned)n->gid);
}

/* The nodes a VMM opens and who may open them: the usual reason a VM cannot start as a non-root user. */
static void print_interfaces(FILE *f, const Run *run) {
        bool header = false;

        for (size_t i = 0; i < run->n_devices; i++) {
                const DeviceReport *d = &run->devices[i];
                const VfioNode *nodes[] = { &d->group_node, &d->cdev_node };
                for (size_t k = 0; d->interfaces_read && k < ELEMENTSOF(nodes); k++) {
                        bool seen = false;
                        if (!nodes[k]->exists)
                                continue;
                        /* Functions of one group share the group node: list it once. */
                        for (size_t j = 0; j < i && !seen; j++)
                                seen = run->devices[j].interfaces_read &&
                                       streq(run->devices[j].group_node.path, nodes[k]->path);
                        if (seen)
                                continue;
                        if (!header)
                                fputs("\nVFIO nodes:\n", f);
                        header = true;
                        print_node(f, nodes[k]);
                }
        }
        if (header && run->iommufd_read) {
                if (run->iommufd.exists)
                        print_node(f, &run->iommufd);
                else
                        fputs("  /dev/iommu absent: a device cdev is of use only with it (CONFIG_IOMMUFD)\n", f);
        }
}

void output_text(FILE *f, const Run *run, Verb verb, bool color) {
        char summary[SUMMARY_MAX];

        if (run->n_devices == 0 && !run_has_unresolved(run) && run->n_sriov == 0) {
                if (run->config && run->config->n_errors > 0) {
                        fputs("No valid device section in ", f);
                        fput_printable(f, run->config->path);
                        fputs(": correct the errors above.\n", f);
                } else {
                        fputs("No devices configured in ", f);
                        fput_printable(f, run->config ? run->config->path : "-");
                        fputs(": nothing to do.\n", f);
                }
                return;
        }
        print_table(f, run, verb, color);
        print_details(f, run, color);
        print_groups(f, run);
        print_driver_choices(f, run);
        print_interfaces(f, run);
        if (run->notes.n > 0) {
                fputc('\n', f);
                fprintf(f, "host:\n");
                for (size_t i = 0; i < run->notes.n; i++)
                        print_note(f, run->notes.notes[i].message, run->notes.notes[i].fix,
                                   run->notes.notes[i].severity, color);
        }
        summary_line(summary, sizeof(summary), run, verb);
        fprintf(f, "\n%s\n", summary);
}
