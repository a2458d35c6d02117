/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "host-facts.h"
#include "pci-address.h"

/* Every PCI function of the host, by IOMMU group, with what the host uses it for: what `list` shows and
 * `suggest` starts from. Read-only. */

typedef struct ListedFunction {
        char name[PCI_ADDRESS_MAX];
        PciAddress address;
        uint16_t vendor, device;
        uint16_t subsystem_vendor, subsystem_device; /* 0 when the function has none */
        uint32_t class;
        char *driver;          /* NULL: unbound */
        char *driver_override; /* NULL: unset */
        int group;             /* -1: no IOMMU group */
        bool boot_display;
        char *mounts;            /* filesystems on it, "/, /boot/efi"; NULL when none */
        char *interfaces;        /* its network interfaces, "enp4s0, enp4s0d1"; NULL when none */
        const char *network_use; /* why it carries the host's network (points into the host facts) */
        size_t keyboards;        /* keyboards behind it (USB controllers) */
        bool only_keyboards;     /* ...and none elsewhere */
        const char *section;     /* the configuration section that names it */
} ListedFunction;

/* A group's passthrough verdict, from its members other than bridges. */
typedef enum GroupVerdict {
        GROUP_ISOLATED,        /* one endpoint: pass it alone */
        GROUP_NEEDS_ALL,       /* several endpoints: a VM must take them all */
        GROUP_SHARES_CRITICAL, /* an endpoint the host needs shares the group */
        GROUP_HOST_CRITICAL,   /* its only endpoint is one the host needs */
        GROUP_BRIDGES_ONLY,    /* nothing a VM could take */
        GROUP_NO_IOMMU,        /* the functions without a group (IOMMU off) */
        _GROUP_VERDICT_MAX,
} GroupVerdict;

typedef struct ListedGroup {
        int number;
        GroupVerdict verdict;
        size_t first; /* index of its first function; the group's functions follow it */
        size_t n;
} ListedGroup;

typedef struct Discovery {
        ListedFunction *functions; /* by group (no group last), then address */
        size_t n;
        ListedGroup *groups;
        size_t n_groups;
} Discovery;

int discovery_load(Discovery *d, const char *root, const HostFacts *facts, const Config *config);
void discovery_done(Discovery *d);

/* The section of CONFIG that names the function at A (by its address, or by functions = all); NULL. */
const char *config_section_naming(const Config *config, const PciAddress *a);

/* Does the host need F (it would refuse to claim it): filesystems or its network. */
bool listed_function_critical(const ListedFunction *f);
const char *group_verdict_to_string(GroupVerdict v);
/* In words, for the table. */
const char *group_verdict_to_text(GroupVerdict v);

/* --class NAME: the class names `list` knows, and whether F is of that class. -EINVAL for an unknown name. */
int list_class_lookup(const char *name, uint32_t *ret_value, uint32_t *ret_mask);
/* "storage, network, ..." for a usage message. */
const char *list_class_names(void);

/* What to show. */
typedef struct ListFilter {
        bool all;
        bool has_class;
        uint32_t class_value, class_mask;
        int group; /* -1: any */
} ListFilter;

bool list_group_shown(const Discovery *d, const ListedGroup *g, const ListFilter *filter);

void output_list_text(FILE *f, const Discovery *d, const ListFilter *filter);
void output_list_json(FILE *f, const Discovery *d, const ListFilter *filter);
