/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci-address.h"

typedef struct PciDevice {
        char name[PCI_ADDRESS_MAX]; /* canonical "0000:01:00.0" */
        PciAddress address;
        uint16_t vendor;
        uint16_t device;
        uint32_t class;
        char *driver;          /* NULL when unbound */
        char *driver_override; /* NULL when unset */
        int iommu_group;       /* -1: no group (IOMMU off) */
        int boot_vga;          /* -1: not a VGA device */
        char *reset_method;    /* NULL: no attribute; "" none available */
        int sriov_numvfs;      /* -1: not an SR-IOV physical function */
} PciDevice;

/* Load what sysfs says about one function. -ENODEV when there is no such device (also when it vanishes
 * while being read). */
int pci_device_load(const char *root, const char *name, PciDevice **ret);
/* Only address, class and driver: what a group's verdict needs about the other members. */
int pci_device_load_brief(const char *root, const char *name, PciDevice **ret);
PciDevice *pci_device_free(PciDevice *d);
void pci_device_freep(PciDevice **d);
#define _cleanup_pci_device_ __attribute__((cleanup(pci_device_freep)))

/* Only the driver link: cheap, used to verify after each write. ret is NULL when unbound. */
int pci_device_read_driver(const char *root, const char *name, char **ret);
int pci_device_read_override(const char *root, const char *name, char **ret);
bool pci_device_exists(const char *root, const char *name);

bool pci_class_is_bridge(uint32_t class);
bool pci_class_is_storage(uint32_t class);
bool pci_class_is_network(uint32_t class);
bool pci_class_is_usb(uint32_t class);
const char *pci_class_name(uint32_t class);

/* vfio-pci and its variant drivers (mlx5_vfio_pci, ...). */
bool driver_is_vfio(const char *driver);
/* Drivers that may stay in a group without making it unusable: PCIe port services of bridges. */
bool driver_is_bridge_port(const char *driver);

typedef struct PciDeviceList {
        PciDevice **devices;
        size_t n;
} PciDeviceList;

void pci_device_list_done(PciDeviceList *l);
int pci_device_list_add(PciDeviceList *l, PciDevice *d);

/* Members of IOMMU group N (loaded brief), sorted by address. Members that vanish while listed are skipped. */
int iommu_group_load(const char *root, int group, PciDeviceList *ret);

/* All functions in the same slot as ADDRESS (01:00.*), sorted. */
int pci_slot_functions(const char *root, const PciAddress *address, PciAddress **ret, size_t *ret_n);
