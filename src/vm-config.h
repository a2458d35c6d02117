/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci-address.h"

/* The PCI functions that VM configurations pass through, as Proxmox VE and libvirt keep them:
 *   Proxmox: /etc/pve/qemu-server/VMID.conf, "hostpciN: [host=]IDS[,mapping=NAME][,pcie=1,x-vga=1,...]"
 *            with IDS "0000:01:00.0", "01:00.0", "01:00" (every function of the slot) joined by ';',
 *            mappings in /etc/pve/mapping/pci.cfg, autostart "onboot: 1";
 *   libvirt: /etc/libvirt/qemu/NAME.xml, <hostdev mode='subsystem' type='pci'> with <source><address/>,
 *            autostart when /etc/libvirt/qemu/autostart/NAME.xml exists.
 * Only the configuration is read, nothing of the running VMs. */

#define PROXMOX_VM_DIR      "/etc/pve/qemu-server"
#define PROXMOX_PCI_MAPPING "/etc/pve/mapping/pci.cfg"
#define LIBVIRT_VM_DIR      "/etc/libvirt/qemu"
#define LIBVIRT_AUTOSTART   "/etc/libvirt/qemu/autostart"

typedef enum VmKind {
        VM_KIND_PROXMOX,
        VM_KIND_LIBVIRT,
} VmKind;

typedef struct VmDevice {
        char name[PCI_ADDRESS_MAX];
        PciAddress address;
        char origin[32]; /* "hostpci0", "hostdev" */
        unsigned line;
        bool managed; /* the VMM moves it to vfio-pci itself at start: libvirt managed='yes', Proxmox always */
} VmDevice;

typedef struct Vm {
        VmKind kind;
        char *id;   /* Proxmox VMID, libvirt domain name */
        char *path; /* the configuration file, as the host names it (without --root) */
        bool autostart;
        VmDevice *devices;
        size_t n_devices;
} Vm;

/* A line of a VM configuration that cannot be read: the VM is still checked with what could. */
typedef struct VmProblem {
        char *path;
        unsigned line; /* 0: the file as a whole */
        char *message;
} VmProblem;

typedef struct VmList {
        Vm *vms;
        size_t n;
        VmProblem *problems;
        size_t n_problems;
} VmList;

/* Every Proxmox and libvirt VM configured below ROOT. No directories: an empty list. */
int vm_list_load(const char *root, VmList *ret);
/* One Proxmox VM, added to L; -ENOENT when it has no configuration file. */
int vm_list_add_proxmox(VmList *l, const char *root, const char *vmid);
/* One libvirt domain from its XML (a file's, or what libvirt hands a hook on stdin), added to L; PATH names
 * the XML in problems. */
int vm_list_add_libvirt_xml(VmList *l, const char *root, const char *domain, const char *path, const char *xml,
                            size_t size);
void vm_list_done(VmList *l);
#define _cleanup_vm_list_ _cleanup_(vm_list_done)

/* "Proxmox VM 100" or "libvirt domain win11": how the admin calls it. */
void vm_describe(const Vm *vm, char *buf, size_t size);
const VmDevice *vm_find_device(const Vm *vm, const char *name);
