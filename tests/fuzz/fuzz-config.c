/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the configuration parser, on any bytes. Beyond "no crash, no leak, no undefined
 * behaviour" it checks what the rest of the program relies on. */
#include <assert.h>
#include <stdint.h>

#include "config.h"
#include "fuzz.h"
#include "macro.h"
#include "utf8.h"

/* Everything the output code will walk must be a terminated string it can step through. */
static void walk(const char *s) {
        assert(s);
        for (const char *p = s; *p;) {
                uint32_t c;
                size_t n = utf8_sequence_length(p, &c);
                p += n ?: 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_config_ Config *c = NULL;

        if (config_parse_string("fuzz.conf", (const char *) data, size, &c) < 0)
                return 0; /* out of memory */

        assert(c->timeout_sec >= 1 && c->timeout_sec <= 600);
        for (size_t i = 0; i < c->n_errors; i++) {
                walk(c->errors[i].message);
                assert(c->errors[i].line <= size + 1);
        }
        for (size_t i = 0; i < c->n_sections; i++) {
                const DeviceSection *s = &c->sections[i];
                walk(s->name);
                /* A function is stored once in the whole file, whatever else is wrong. */
                for (size_t j = 0; j < s->n_addresses; j++)
                        for (size_t k = i; k < c->n_sections; k++)
                                for (size_t l = k == i ? j + 1 : 0; l < c->sections[k].n_addresses; l++)
                                        assert(!pci_address_equal(&s->addresses[j], &c->sections[k].addresses[l]));
                if (s->invalid)
                        continue;
                /* A section that claims names something (addresses, or one device path and no address), and
                 * only a VFIO driver. */
                assert(s->has_path ? s->n_addresses == 0 : s->n_addresses > 0);
                const char *driver = device_section_driver(s);
                assert(streq(driver, "vfio-pci") || strstr(driver, "_vfio_pci"));
                if (s->reset_method) {
                        assert(!strchr(s->reset_method, ','));
                        assert(s->reset_method[0] != ' ');
                        assert(!strstr(s->reset_method, "  "));
                }
        }
        return 0;
}
