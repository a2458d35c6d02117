/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "config.h"
#include "pci-address.h"

/* The configuration sections for the functions at ADDRESSES: label from the class (unique against CONFIG),
 * the address with its domain, functions = all when other functions of the slot share its group, expect.
 * -ENODEV (naming it in *ret_missing) when an address holds no function. */
int suggest_sections(const char *root, const Config *config, const PciAddress *addresses, size_t n, char **ret,
                     char **ret_missing);
