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

/* What to do with a function that differs from the snapshot (vfio-bind snapshot) taken when it worked. */
typedef enum DriftPolicy {
        DRIFT_POLICY_WARN,   /* claim it and report each field that changed */
        DRIFT_POLICY_REFUSE, /* leave it alone until the admin checks the hardware and takes a new snapshot */
} DriftPolicy;

/* The kernel's device path form, "[DOMAIN:]BUS:DEV.FN/DEV.FN/...": the first function hangs off a root bus,
 * each next one behind the bridge before it. It survives bus renumbering. */
#define PCI_PATH_DEPTH_MAX 16
typedef struct PciPath {
        PciAddress start;
        uint8_t n_hops;
        uint8_t slot[PCI_PATH_DEPTH_MAX];
        uint8_t function[PCI_PATH_DEPTH_MAX];
} PciPath;

/* Printed like the kernel's pci= option: "0000:00:1c.0/00.0"; bigger than any path we print. */
#define PCI_PATH_MAX (PCI_ADDRESS_MAX + PCI_PATH_DEPTH_MAX * 5)

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
        bool has_subsystem;
        uint16_t subsystem_vendor;
        uint16_t subsystem_device;
        bool has_serial;
        uint64_t serial; /* the PCIe Device Serial Number */
        bool has_path;   /* path = instead of address =: resolved at run time */
        PciPath path;
        unsigned path_line;
        unsigned vfs_line;
        unsigned vf_line;
        int vfs;              /* vfs = N on an SR-IOV physical function; -1 when not given */
        unsigned *vf_indexes; /* vf = 0-3,6, sorted, no repeats; NULL: all of them */
        size_t n_vf_indexes;
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
        DriftPolicy drift_policy;
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

/* Strict parse of the device path form: hex only, the same limits as an address, at most
 * PCI_PATH_DEPTH_MAX hops. Returns 0 or -EINVAL. */
int pci_path_parse(const char *s, PciPath *ret);
char *pci_path_format(const PciPath *p, char buf[static PCI_PATH_MAX]);
/* A Device Serial Number as 16 hex digits, in groups of two separated by '-' or ':' or not at all
 * ("00-11-22-33-44-55-66-77", as lspci prints it). */
int pci_serial_parse(const char *s, uint64_t *ret);
/* "00-11-22-33-44-55-66-77". */
#define PCI_SERIAL_MAX 24
char *pci_serial_format(uint64_t serial, char buf[static PCI_SERIAL_MAX]);
size_t config_count_valid_sections(const Config *c);
uint64_t config_hash_bytes(const char *data, size_t size);
