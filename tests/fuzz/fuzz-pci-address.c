/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the PCI address parser. An address that parses prints in the kernel's form, and that
 * form parses back to the same address. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pci-address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char buf[PCI_ADDRESS_MAX], *s;
        PciAddress a, b;

        if (size > 256)
                return 0; /* nothing longer can be an address; keep the runs fast */
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        if (pci_address_parse(s, &a) == 0) {
                assert(a.bus <= 0xff && a.slot <= 0x1f && a.function <= 7);
                pci_address_format(&a, buf);
                assert(strlen(buf) < PCI_ADDRESS_MAX);
                assert(pci_address_parse(buf, &b) == 0);
                assert(pci_address_equal(&a, &b));
                assert(pci_address_is_canonical(buf));
                assert(pci_address_has_domain(buf));
                (void) pci_address_has_domain(s);
        } else
                assert(!pci_address_is_canonical(s));
        free(s);
        return 0;
}
