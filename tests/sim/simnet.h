/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's network and input devices in a fake tree: what the refusal of the management NIC and the
 * keyboard warning read. Statements (see README.md): netdev, route, route6, inet6, tcp, input. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct SimNet SimNet;

SimNet *sim_net_new(void);
void sim_net_free(SimNet *n);

/* Is WORD one of the statements parsed here? */
bool sim_net_keyword(const char *word);
/* Parse one statement (TOK[0] is the keyword). On an error, writes the message into ERR and returns
 * -EINVAL. */
int sim_net_parse(SimNet *n, char **tok, size_t n_tok, char *err, size_t err_size);

/* The absolute sysfs directory of the PCI function ADDR, or NULL when it is not declared. */
typedef const char *(*SimDevicePath)(void *userdata, const char *addr);
/* Write sys/class/net, sys/devices/virtual/net, proc/net/{route,ipv6_route,if_inet6,tcp,tcp6} and
 * proc/bus/input/devices under ROOT. Errors are printed on stderr. */
int sim_net_build(const SimNet *n, const char *root, SimDevicePath path_of, void *userdata);
