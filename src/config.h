/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pci-address.h"

#define DEFAULT_VFIO_DRIVER "vfio-pci"
/* driver = auto: the variant driver modules.alias offers for the device, else vfio-pci (run time). */
#define AUTO_VFIO_DRIVER           "auto"
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
        unsigned functions_line;
        bool has_expect;
        uint16_t expect_vendor;
        uint16_t expect_device;
        char *driver; /* NULL means DEFAULT_VFIO_DRIVER; AUTO_VFIO_DRIVER is chosen per device */
        bool force;
        char *reset_method; /* NULL leaves the kernel's choice alone; else names separated by single spaces */
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
        char *metrics_dir; /* NULL: the boot unit writes no metrics file */
        DeviceSection *sections;
        size_t n_sections;
        ConfigError *errors;
        size_t n_errors;
        uint64_t hash; /* of the file's bytes, so the root stage can tell the initramfs used another file */
} Config;

/* Parse PATH. Returns 0 with *ret filled even when the file has errors (see n_errors), is missing, or is not
 * to be trusted (then one error, no sections: its bytes are not even read); negative errno when the file or a
 * directory on the way cannot be examined (which refuses it as well) or on out of memory. */
int config_load(const char *path, Config **ret);

/* config_load() with PATH resolved below ROOT ("/" for the real root: symlinks and ".." never leave it), and
 * TRUSTED_UID trusted as an owner next to root. The file and every directory and symlink on the way, from
 * ROOT itself down, must be owned by root or TRUSTED_UID and not writable by group or others (a sticky
 * directory of root's, such as /tmp, excepted); the file must be a regular file. */
int config_load_at(const char *root, const char *path, uid_t trusted_uid, Config **ret);

/* The checking half of config_load_at(): returns 0 with either *ret_fd (open for reading, the file that was
 * checked) or *ret_problem (why it is refused) set; -ENOENT when some component does not exist. */
int config_open_trusted(const char *root, const char *path, uid_t trusted_uid, int *ret_fd, char **ret_problem);
int config_parse_string(const char *path, const char *text, size_t size, Config **ret);
Config *config_free(Config *c);
void config_freep(Config **c);
#define _cleanup_config_ __attribute__((cleanup(config_freep)))

const char *device_section_driver(const DeviceSection *s);
size_t config_count_valid_sections(const Config *c);
uint64_t config_hash_bytes(const char *data, size_t size);
