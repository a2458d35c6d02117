/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci-address.h"

#define DEFAULT_VFIO_DRIVER "vfio-pci"
#define DEFAULT_DEVICE_TIMEOUT_SEC 10

/* What to do with a function whose IOMMU group would still have members on host drivers. */
typedef enum GroupPolicy {
        GROUP_POLICY_WARN,   /* claim it and report the members that keep the group from being usable */
        GROUP_POLICY_REFUSE, /* leave the whole request alone and say why */
} GroupPolicy;

typedef struct DeviceSection {
        char *name;
        unsigned line;
        PciAddress *addresses;
        unsigned *address_lines;
        bool *address_domain_given; /* "01:00.0" leaves it to us to assume domain 0000 */
        size_t n_addresses;
        bool all_functions;
        bool has_expect;
        uint16_t expect_vendor;
        uint16_t expect_device;
        char *driver;       /* NULL means DEFAULT_VFIO_DRIVER */
        bool force;
        char *reset_method; /* NULL leaves the kernel's choice alone */
        bool invalid;       /* a section with an error claims nothing */
        unsigned seen_keys; /* bit per key, to catch duplicates */
} DeviceSection;

typedef struct ConfigError {
        unsigned line; /* 0: about the file as a whole */
        char *message;
} ConfigError;

typedef struct Config {
        char *path;
        bool missing; /* no file: nothing to do */
        GroupPolicy group_policy;
        unsigned timeout_sec;
        DeviceSection *sections;
        size_t n_sections;
        ConfigError *errors;
        size_t n_errors;
        uint64_t hash; /* of the file's bytes, so the root stage can tell the initramfs used another file */
} Config;

/* Parse PATH. Returns 0 with *ret filled even when the file has errors (see n_errors) or is missing;
 * negative errno only for failures unrelated to the contents (out of memory). */
int config_load(const char *path, Config **ret);
int config_parse_string(const char *path, const char *text, size_t size, Config **ret);
Config *config_free(Config *c);
void config_freep(Config **c);
#define _cleanup_config_ __attribute__((cleanup(config_freep)))

const char *device_section_driver(const DeviceSection *s);
size_t config_count_valid_sections(const Config *c);
uint64_t config_hash_bytes(const char *data, size_t size);
const char *group_policy_to_string(GroupPolicy p);
