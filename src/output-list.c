/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "discover.h"
#include "macro.h"
#include "output.h"
#include "pci-device.h"
#include "string-util.h"

/* `list`: one block per IOMMU group, its verdict in the heading, one aligned row per function. */

enum { COL_ADDRESS, COL_ID, COL_SUBSYSTEM, COL_CLASS, COL_DRIVER, _COL_MAX };

static const char *const headers[_COL_MAX] = { "ADDRESS", "ID", "SUBSYSTEM", "CLASS", "DRIVER" };

/* The width of each cell, without formatting it: on a large host the table has thousands of rows, and
 * formatting each cell twice (to measure, then to print) was most of list's own time. */
static void cell_widths(const ListedFunction *f, size_t width[_COL_MAX]) {
        width[COL_ADDRESS] = strlen(f->name);
        width[COL_ID] = 9;
        width[COL_SUBSYSTEM] = f->subsystem_vendor || f->subsystem_device ? 9 : 1;
        width[COL_CLASS] = strlen(pci_class_name(f->class));
        width[COL_DRIVER] = f->driver ? strlen(f->driver) : 1;
        if (f->driver_override)
                width[COL_DRIVER] += strlen(" (override )") + strlen(f->driver_override);
}

static void print_row(FILE *out, const ListedFunction *f, const size_t width[_COL_MAX], const char *uses) {
        char subsystem[16] = "-", driver[160];

        if (f->subsystem_vendor || f->subsystem_device)
                snprintf(subsystem, sizeof(subsystem), "%04x:%04x", f->subsystem_vendor, f->subsystem_device);
        if (f->driver_override)
                snprintf(driver, sizeof(driver), "%s (override %s)", f->driver ?: "-", f->driver_override);
        else
                snprintf(driver, sizeof(driver), "%s", f->driver ?: "-");
        fprintf(out, "  %-*s  %04x:%04x  %-*s  %-*s  %-*s  %s\n", (int)width[COL_ADDRESS], f->name, f->vendor,
                f->device, (int)width[COL_SUBSYSTEM], subsystem, (int)width[COL_CLASS], pci_class_name(f->class),
                (int)width[COL_DRIVER], driver, uses ?: "-");
}

/* What the host uses F for, in words; NULL when nothing. */
static char *uses_of(const ListedFunction *f) {
        char *s = NULL;
        int r = 0;

        if (f->mounts)
                r = strextendf_with_separator(&s, "; ", "holds filesystems %s", f->mounts);
        if (r >= 0 && f->boot_display)
                r = strextendf_with_separator(&s, "; ", "boot display");
        if (r >= 0 && f->network_use)
                r = strextendf_with_separator(&s, "; ", "host network: %s", f->network_use);
        else if (r >= 0 && f->interfaces)
                r = strextendf_with_separator(&s, "; ", "network %s", f->interfaces);
        if (r >= 0 && f->keyboards > 0 && f->only_keyboards)
                r = strextendf_with_separator(&s, "; ", "every keyboard of the host (%zu) behind it", f->keyboards);
        else if (r >= 0 && f->keyboards > 0)
                r = strextendf_with_separator(&s, "; ", "%zu keyboard%s behind it", f->keyboards,
                                              f->keyboards == 1 ? "" : "s");
        if (r >= 0 && f->section)
                r = strextendf_with_separator(&s, "; ", "configured [%s]", f->section);
        if (r < 0) {
                free(s);
                return NULL;
        }
        return s;
}

void output_list_text(FILE *f, const Discovery *d, const ListFilter *filter) {
        size_t width[_COL_MAX] = {}, hidden = 0, shown = 0;

        for (size_t c = 0; c < _COL_MAX; c++)
                width[c] = strlen(headers[c]);
        for (size_t g = 0; g < d->n_groups; g++) {
                if (!list_group_shown(d, &d->groups[g], filter))
                        continue;
                for (size_t i = d->groups[g].first; i < d->groups[g].first + d->groups[g].n; i++) {
                        size_t w[_COL_MAX];
                        cell_widths(&d->functions[i], w);
                        for (size_t c = 0; c < _COL_MAX; c++)
                                if (w[c] > width[c])
                                        width[c] = w[c];
                }
        }

        for (size_t g = 0; g < d->n_groups; g++) {
                const ListedGroup *group = &d->groups[g];
                if (!list_group_shown(d, group, filter)) {
                        hidden++;
                        continue;
                }
                if (shown++ == 0) {
                        fputs("  ", f);
                        for (size_t c = 0; c < _COL_MAX; c++)
                                fprintf(f, "%-*s  ", (int)width[c], headers[c]);
                        fputs("USE\n", f);
                }
                if (group->number >= 0)
                        fprintf(f, "\nIOMMU group %d: %s\n", group->number, group_verdict_to_text(group->verdict));
                else
                        fprintf(f, "\n%s\n", group_verdict_to_text(group->verdict));
                for (size_t i = group->first; i < group->first + group->n; i++) {
                        _cleanup_free_ char *uses = uses_of(&d->functions[i]);
                        print_row(f, &d->functions[i], width, uses);
                }
        }
        if (shown == 0)
                fputs("No PCI function matches.\n", f);
        if (hidden > 0 && !filter->all && !filter->has_class && filter->group < 0)
                fprintf(f,
                        "\n%zu more group%s: bridges only, or needed by the host; 'vfio-bind list --all' shows "
                        "them.\n",
                        hidden, hidden == 1 ? "" : "s");
}

static void json_hex(FILE *f, const char *key, unsigned value, int digits, bool *first) {
        char hex[16];
        snprintf(hex, sizeof(hex), "%0*x", digits, value);
        json_kv_str(f, key, hex, first);
}

/* "a, b" as a JSON array of strings. */
static void json_list(FILE *f, const char *key, const char *list, bool *first) {
        json_key(f, key, first);
        fputc('[', f);
        for (const char *p = list; p && *p;) {
                const char *end = strstr(p, ", ");
                size_t n = end ? (size_t)(end - p) : strlen(p);
                char item[256];
                snprintf(item, sizeof(item), "%.*s", (int)n, p);
                if (p != list)
                        fputc(',', f);
                json_string(f, item);
                p = end ? end + 2 : p + n;
        }
        fputc(']', f);
}

static void json_function(FILE *f, const ListedFunction *fn) {
        bool first = true;

        fputc('{', f);
        json_kv_str(f, "address", fn->name, &first);
        json_hex(f, "vendor", fn->vendor, 4, &first);
        json_hex(f, "device", fn->device, 4, &first);
        json_hex(f, "subsystem_vendor", fn->subsystem_vendor, 4, &first);
        json_hex(f, "subsystem_device", fn->subsystem_device, 4, &first);
        json_hex(f, "class", fn->class, 6, &first);
        json_kv_str(f, "class_name", pci_class_name(fn->class), &first);
        json_kv_str(f, "driver", fn->driver, &first);
        json_kv_str(f, "driver_override", fn->driver_override, &first);
        json_list(f, "filesystems", fn->mounts, &first);
        json_kv_bool(f, "boot_display", fn->boot_display, &first);
        json_list(f, "network_interfaces", fn->interfaces, &first);
        json_kv_str(f, "host_network", fn->network_use, &first);
        json_kv_int(f, "keyboards", (long long)fn->keyboards, &first);
        json_kv_bool(f, "only_keyboards", fn->only_keyboards, &first);
        json_kv_str(f, "configured", fn->section, &first);
        json_kv_bool(f, "host_critical", listed_function_critical(fn), &first);
        fputc('}', f);
}

void output_list_json(FILE *f, const Discovery *d, const ListFilter *filter) {
        size_t hidden = 0;
        bool first_group = true, first = true;

        fputc('{', f);
        json_key(f, "groups", &first);
        fputc('[', f);
        for (size_t g = 0; g < d->n_groups; g++) {
                const ListedGroup *group = &d->groups[g];
                bool gfirst = true;
                if (!list_group_shown(d, group, filter)) {
                        hidden++;
                        continue;
                }
                fputs(first_group ? "{" : ",{", f);
                first_group = false;
                json_key(f, "group", &gfirst);
                if (group->number >= 0)
                        fprintf(f, "%d", group->number);
                else
                        fputs("null", f);
                json_kv_str(f, "verdict", group_verdict_to_string(group->verdict), &gfirst);
                json_key(f, "functions", &gfirst);
                fputc('[', f);
                for (size_t i = group->first; i < group->first + group->n; i++) {
                        if (i != group->first)
                                fputc(',', f);
                        json_function(f, &d->functions[i]);
                }
                fputs("]}", f);
        }
        fputc(']', f);
        json_kv_int(f, "hidden_groups", (long long)hidden, &first);
        fputs("}\n", f);
}
