/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pci-address.h"

/* Which PCI functions carry the host's own network: the interface that holds the default route, or the
 * address of an inbound session (the admin's SSH), followed down through bridges, bonds and VLANs to the
 * physical ports. Passing such a function to a VM cuts the host off, as taking the root disk's controller
 * takes its storage.
 *
 * Everything is read from files, so that it works under --root on a simulated tree: the routes from
 * /proc/net/route and /proc/net/ipv6_route, the sessions from /proc/net/tcp and /proc/net/tcp6, IPv6
 * addresses from /proc/net/if_inet6, and the stacking of interfaces from /sys/class/net (lower_* links,
 * brif/). An IPv4 session's local address is placed on the interface whose route covers it best. */

typedef struct ManagementNic {
        char name[PCI_ADDRESS_MAX];
        char *why; /* "the default route on vmbr0 > bond0 > enp4s0" */
} ManagementNic;

typedef struct NetworkFacts {
        ManagementNic *nics;
        size_t n_nics;
        /* Whether the host's network is known: routes other than loopback are up, or a record of this
         * machine says which functions carry it. Before the network is configured nothing can be told. */
        bool known;
        bool recorded; /* the functions come from the build-time record */
} NetworkFacts;

/* The initramfs hooks record the management functions when the image is built, as they do for storage:
 * "ADDRESS<TAB>VENDOR:DEVICE<TAB>WHY" per function. */
#define NETWORK_RECORD "/etc/vfio-bind.network"
/* Where the initramfs stage leaves a record it found valid, for the root stage: that one runs before the
 * host's network is configured too. */
#define NETWORK_RECORD_HANDOFF "/run/vfio-bind/network.record"

/* One IPv4 route of /proc/net/route. Addresses are kept as the kernel prints them (network order read as a
 * host-order number), so masks apply without conversion. */
typedef struct Route4 {
        char iface[32];
        uint32_t destination;
        uint32_t mask;
        unsigned flags;
} Route4;

/* One socket of /proc/net/tcp or tcp6: the local address as 16 bytes (IPv4 in the first 4), its port, and
 * the state (1 established, 10 listening). */
typedef struct TcpSocket {
        bool ipv6;
        uint8_t local[16];
        unsigned local_port;
        unsigned state;
} TcpSocket;

#define TCP_ESTABLISHED 0x01
#define TCP_LISTEN      0x0a

/* Parsers of one line; false for a header or a line that is not one. */
bool route4_parse(const char *line, Route4 *ret);
/* A default IPv6 route of /proc/net/ipv6_route that is up and not a reject route: its interface. */
bool ipv6_default_route_parse(const char *line, char *ret_iface, size_t size);
bool tcp_socket_parse(const char *line, bool ipv6, TcpSocket *ret);
/* One line of /proc/net/if_inet6: the address and its interface. */
bool inet6_address_parse(const char *line, uint8_t ret_address[16], char *ret_iface, size_t size);

/* What the host's network is now (the live routes and sessions). */
int network_load_live(NetworkFacts *n, const char *root);
/* The record at PATH below ROOT: -ENOENT when there is none, -ESTALE when it does not describe this machine
 * (a line names a function that is not here with those ids, or there is no line). Adds nothing then. */
int network_load_record(NetworkFacts *n, const char *root, const char *path);
void network_done(NetworkFacts *n);

/* Why DEVICE carries the host's network, or NULL. */
const char *network_use_of(const NetworkFacts *n, const char *device);
/* The record for the initramfs: one line per function. */
int network_write_record(const NetworkFacts *n, const char *root, FILE *out);

/* Keyboards, from /proc/bus/input/devices: a handler "kbd" on a device with LEDs (a keyboard has Caps Lock;
 * a mouse or a power button that reports a key does not). The sysfs path of each. */
typedef struct Keyboards {
        char **paths;
        char **names;
        size_t n;
} Keyboards;

int keyboards_load(Keyboards *k, const char *root);
/* Parse the text of /proc/bus/input/devices (modified in place). */
int keyboards_parse(Keyboards *k, char *text);
void keyboards_done(Keyboards *k);
/* How many keyboards sit behind DEVICE (a USB controller), and how many elsewhere. */
void keyboards_count(const Keyboards *k, const char *device, size_t *ret_behind, size_t *ret_elsewhere);
