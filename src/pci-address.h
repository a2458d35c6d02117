/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct PciAddress {
        uint32_t domain; /* VMD domains are wider than 16 bits, e.g. 10000 */
        uint8_t bus;
        uint8_t slot;
        uint8_t function;
} PciAddress;

/* "DDDD:BB:SS.F", the domain wider when it needs to be; bigger than any address we print. */
#define PCI_ADDRESS_MAX 24

/* Strict parse: hex only, bus <= ff, slot <= 1f, function <= 7, domain optional (then 0000).
 * Returns 0 or -EINVAL. */
int pci_address_parse(const char *s, PciAddress *ret);

/* A string of the kernel's canonical form "0000:01:00.0", without domain shortening. */
bool pci_address_is_canonical(const char *s);

/* Did the text name the domain ("0000:01:00.0") or leave it out ("01:00.0")? */
bool pci_address_has_domain(const char *s);

char *pci_address_format(const PciAddress *a, char buf[static PCI_ADDRESS_MAX]);

bool pci_address_equal(const PciAddress *a, const PciAddress *b);
bool pci_address_same_slot(const PciAddress *a, const PciAddress *b);
int pci_address_compare(const PciAddress *a, const PciAddress *b);
