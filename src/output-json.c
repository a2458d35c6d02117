/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "explain.h"
#include "macro.h"
#include "modules.h"
#include "output.h"
#include "utf8.h"

/* Always valid JSON: labels and messages may carry any bytes the config file had. A byte that is not part of
 * well-formed UTF-8 becomes U+FFFD; controls, C1 ones included, are written as escapes. */
void json_string(FILE *f, const char *s) {
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        for (const char *p = s; *p;) {
                uint32_t c;
                size_t n = utf8_sequence_length(p, &c);
                if (n == 0) {
                        fputs("\\ufffd", f);
                        p++;
                        continue;
                }
                switch (c) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (unichar_is_control(c))
                                fprintf(f, "\\u%04x", (unsigned)c);
                        else
                                fwrite(p, 1, n, f);
                }
                p += n;
        }
        fputc('"', f);
}

void json_key(FILE *f, const char *key, bool *first) {
        if (!*first)
                fputc(',', f);
        *first = false;
        json_string(f, key);
        fputc(':', f);
}

void json_kv_str(FILE *f, const char *key, const char *value, bool *first) {
        json_key(f, key, first);
        json_string(f, value);
}

void json_kv_bool(FILE *f, const char *key, bool value, bool *first) {
        json_key(f, key, first);
        fputs(value ? "true" : "false", f);
}

void json_kv_int(FILE *f, const char *key, long long value, bool *first) {
        json_key(f, key, first);
        fprintf(f, "%lld", value);
}

static void json_notes(FILE *f, const NoteList *l) {
        fputc('[', f);
        for (size_t i = 0; i < l->n; i++) {
                bool first = true;
                fputs(i ? ",{" : "{", f);
                json_kv_str(f, "severity", severity_to_string(l->notes[i].severity), &first);
                json_kv_str(f, "code", note_code_to_string(l->notes[i].code), &first);
                json_kv_str(f, "message", l->notes[i].message, &first);
                json_kv_str(f, "fix", l->notes[i].fix, &first);
                fputc('}', f);
        }
        fputc(']', f);
}

/* {"path":"/dev/vfio/7","mode":"0600","uid":0,"gid":0}, or null when the node is not there. */
static void json_vfio_node(FILE *f, const VfioNode *n) {
        char mode[8];
        bool first = true;

        if (!n->exists) {
                fputs("null", f);
                return;
        }
        snprintf(mode, sizeof(mode), "%04o", (unsigned)n->mode);
        fputc('{', f);
        json_kv_str(f, "path", n->path, &first);
        json_kv_str(f, "mode", mode, &first);
        json_kv_int(f, "uid", (long long)n->uid, &first);
        json_kv_int(f, "gid", (long long)n->gid, &first);
        fputc('}', f);
}

static void json_device(FILE *f, const DeviceReport *d, Verb verb) {
        const PciDevice *dev = d->dev;
        char hex[16];
        bool first = true;

        fputc('{', f);
        json_kv_str(f, "label", d->section ? d->section->name : NULL, &first);
        json_kv_str(f, "address", d->name, &first);
        json_kv_bool(f, "sibling", d->sibling, &first);
        json_kv_bool(f, "present", dev != NULL, &first);
        if (dev) {
                snprintf(hex, sizeof(hex), "%04x", dev->vendor);
                json_kv_str(f, "vendor", hex, &first);
                snprintf(hex, sizeof(hex), "%04x", dev->device);
                json_kv_str(f, "device", hex, &first);
                snprintf(hex, sizeof(hex), "%06x", dev->class);
                json_kv_str(f, "class", hex, &first);
                json_kv_str(f, "class_name", pci_class_name(dev->class), &first);
                json_kv_str(f, "driver", dev->driver, &first);
                json_kv_str(f, "driver_override", dev->driver_override, &first);
                json_key(f, "iommu_group", &first);
                if (dev->iommu_group >= 0)
                        fprintf(f, "%d", dev->iommu_group);
                else
                        fputs("null", f);
                json_kv_bool(f, "boot_vga", dev->boot_vga == 1, &first);
                json_key(f, "reset_methods", &first);
                if (!dev->reset_method)
                        fputs("null", f);
                else {
                        _cleanup_free_ char *copy = strdup(dev->reset_method);
                        char *save = NULL;
                        bool f2 = true;
                        fputc('[', f);
                        for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save)) {
                                if (!f2)
                                        fputc(',', f);
                                f2 = false;
                                json_string(f, t);
                        }
                        fputc(']', f);
                }
        }
        json_kv_str(f, "wanted_driver", d->wanted_driver, &first);
        if (d->driver_choice)
                json_kv_str(f, "driver_choice", d->driver_choice, &first);
        if (verb == VERB_APPLY || verb == VERB_RELEASE || verb == VERB_BOOT) {
                json_kv_str(f, "driver_before", d->driver_before, &first);
                json_kv_str(f, "result", result_to_string(d->result), &first);
                json_kv_int(f, "usec", (long long)d->usec, &first);
        }
        json_kv_bool(f, "group_viable", d->group_viable, &first);
        json_key(f, "group_members", &first);
        fputc('[', f);
        for (size_t i = 0; i < d->group.n; i++) {
                const PciDevice *m = d->group.devices[i];
                bool f2 = true;
                fputs(i ? ",{" : "{", f);
                json_kv_str(f, "address", m->name, &f2);
                snprintf(hex, sizeof(hex), "%06x", m->class);
                json_kv_str(f, "class", hex, &f2);
                json_kv_str(f, "driver", m->driver, &f2);
                fputc('}', f);
        }
        fputc(']', f);
        json_kv_str(f, "mounts", d->mounts, &first);
        json_kv_str(f, "drift", d->drift, &first);
        json_key(f, "vfio_interfaces", &first);
        if (!d->interfaces_read)
                fputs("null", f);
        else {
                bool f2 = true;
                fputc('{', f);
                json_key(f, "group", &f2);
                json_vfio_node(f, &d->group_node);
                json_key(f, "cdev", &f2);
                json_vfio_node(f, &d->cdev_node);
                fputc('}', f);
        }
        json_kv_str(f, "verdict", device_verdict(d, verb), &first);
        json_kv_bool(f, "ok", device_report_ok(d), &first);
        json_kv_str(f, "reason", d->reason == REASON_NONE ? NULL : reason_to_string(d->reason), &first);
        json_kv_str(f, "message", d->reason == REASON_NONE ? NULL : d->message, &first);
        json_kv_str(f, "fix", d->reason == REASON_NONE ? NULL : d->fix, &first);
        json_key(f, "notes", &first);
        json_notes(f, &d->notes);
        fputc('}', f);
}

/* [{"bit":12,"letter":"O","meaning":"..."}]: the taint flags the kernel set during this run's claim. */
static void json_new_taint(FILE *f, const Run *run) {
        uint64_t added = run->taint_read ? run->taint_after & ~run->taint_before : 0;
        bool any = false;

        fputc('[', f);
        for (unsigned bit = 0; bit < 64; bit++) {
                if (!(added & (UINT64_C(1) << bit)))
                        continue;
                TaintFlag t = taint_flag(bit);
                char letter[2] = { t.letter, 0 };
                bool first = true;
                fputs(any ? ",{" : "{", f);
                any = true;
                json_kv_int(f, "bit", bit, &first);
                json_kv_str(f, "letter", letter, &first);
                json_kv_str(f, "meaning", t.meaning, &first);
                fputc('}', f);
        }
        fputc(']', f);
}

void output_json(FILE *f, const Run *run, Verb verb) {
        bool first = true;
        size_t ok = 0, errors = 0, warnings = 0;

        fputc('{', f);
        json_kv_int(f, "version", 1, &first);
        json_kv_str(f, "command", verb_to_string(verb), &first);
        json_kv_str(f, "config", run->config ? run->config->path : NULL, &first);
        json_kv_bool(f, "config_present", run->config && !run->config->missing, &first);
        json_key(f, "config_errors", &first);
        fputc('[', f);
        for (size_t i = 0; run->config && i < run->config->n_errors; i++) {
                bool f2 = true;
                fputs(i ? ",{" : "{", f);
                json_kv_int(f, "line", run->config->errors[i].line, &f2);
                json_kv_str(f, "message", run->config->errors[i].message, &f2);
                fputc('}', f);
        }
        fputc(']', f);

        json_key(f, "host", &first);
        {
                bool f2 = true;
                const char *vendor = run->facts.cpu_vendor == CPU_VENDOR_INTEL ? "intel"
                                     : run->facts.cpu_vendor == CPU_VENDOR_AMD ? "amd"
                                                                               : NULL;
                fputc('{', f);
                json_kv_bool(f, "iommu", run->facts.iommu_enabled, &f2);
                json_kv_bool(f, "interrupt_remapping", run->facts.interrupt_remapping, &f2);
                json_kv_str(f, "cpu_vendor", vendor, &f2);
                json_key(f, "taint_before", &f2);
                if (run->taint_read)
                        fprintf(f, "%llu", (unsigned long long)run->taint_before);
                else
                        fputs("null", f);
                json_key(f, "taint_after", &f2);
                if (run->taint_read)
                        fprintf(f, "%llu", (unsigned long long)run->taint_after);
                else
                        fputs("null", f);
                json_key(f, "new_taint", &f2);
                json_new_taint(f, run);
                json_key(f, "iommufd", &f2);
                if (run->iommufd_read)
                        json_vfio_node(f, &run->iommufd);
                else
                        fputs("null", f);
                fputc('}', f);
        }

        json_key(f, "devices", &first);
        fputc('[', f);
        for (size_t i = 0; i < run->n_devices; i++) {
                if (i)
                        fputc(',', f);
                json_device(f, &run->devices[i], verb);
                Severity s = device_report_severity(&run->devices[i]);
                ok += device_report_ok(&run->devices[i]);
                errors += s == SEVERITY_ERROR;
                warnings += s == SEVERITY_WARNING;
        }
        fputc(']', f);
        json_key(f, "notes", &first);
        json_notes(f, &run->notes);

        char summary[SUMMARY_MAX];
        summary_line(summary, sizeof(summary), run, verb);
        json_key(f, "summary", &first);
        {
                bool f2 = true;
                fputc('{', f);
                json_kv_int(f, "functions", (long long)run->n_devices, &f2);
                json_kv_int(f, "ok", (long long)ok, &f2);
                json_kv_int(f, "errors", (long long)errors, &f2);
                json_kv_int(f, "warnings", (long long)warnings, &f2);
                json_kv_str(f, "text", summary, &f2);
                fputc('}', f);
        }
        fputs("}\n", f);
}
