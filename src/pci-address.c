/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "macro.h"
#include "pci-address.h"

static int parse_hex_field(const char *s, size_t len, size_t max_digits, unsigned long max, unsigned long *ret) {
        unsigned long v = 0;

        if (len == 0 || len > max_digits)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0)
                        return -EINVAL;
                v = v * 16 + d;
        }
        if (v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int pci_address_parse(const char *s, PciAddress *ret) {
        unsigned long domain = 0, bus, slot, function;
        const char *dot, *colon2, *colon1;
        int r;

        if (!s)
                return -EINVAL;
        dot = strrchr(s, '.');
        if (!dot)
                return -EINVAL;
        r = parse_hex_field(dot + 1, strlen(dot + 1), 1, 7, &function);
        if (r < 0)
                return r;

        colon2 = memrchr(s, ':', dot - s);
        if (!colon2)
                return -EINVAL;
        r = parse_hex_field(colon2 + 1, dot - colon2 - 1, 2, 0x1f, &slot);
        if (r < 0)
                return r;

        colon1 = memrchr(s, ':', colon2 - s);
        if (colon1) {
                r = parse_hex_field(colon1 + 1, colon2 - colon1 - 1, 2, 0xff, &bus);
                if (r < 0)
                        return r;
                /* Linux domains are 16 bits, except VMD's synthetic ones (10000 and up): allow 8 digits. */
                r = parse_hex_field(s, colon1 - s, 8, UINT32_MAX, &domain);
                if (r < 0)
                        return r;
        } else {
                r = parse_hex_field(s, colon2 - s, 2, 0xff, &bus);
                if (r < 0)
                        return r;
        }

        *ret = (PciAddress) {
                .domain = domain,
                .bus = bus,
                .slot = slot,
                .function = function,
        };
        return 0;
}

char *pci_address_format(const PciAddress *a, char buf[static PCI_ADDRESS_MAX]) {
        snprintf(buf, PCI_ADDRESS_MAX, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->function);
        return buf;
}

bool pci_address_is_canonical(const char *s) {
        char buf[PCI_ADDRESS_MAX];
        PciAddress a;

        if (pci_address_parse(s, &a) < 0)
                return false;
        return streq(pci_address_format(&a, buf), s);
}

bool pci_address_equal(const PciAddress *a, const PciAddress *b) {
        return pci_address_compare(a, b) == 0;
}

bool pci_address_same_slot(const PciAddress *a, const PciAddress *b) {
        return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

int pci_address_compare(const PciAddress *a, const PciAddress *b) {
        uint64_t ka = ((uint64_t) a->domain << 16) | (a->bus << 8) | (a->slot << 3) | a->function;
        uint64_t kb = ((uint64_t) b->domain << 16) | (b->bus << 8) | (b->slot << 3) | b->function;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
}

bool pci_address_has_domain(const char *s) {
        const char *colon = strchr(s, ':');
        return colon && strchr(colon + 1, ':');
}
