/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>

#include "report.h"

/* The unit users ask journalctl about. Entries name it themselves (OBJECT_SYSTEMD_UNIT) because the boot unit
 * runs before journald: lines journald reads after the sender exited can no longer be tied to the unit. */
#define REPORT_UNIT "vfio-bind.service"

/* Send every entry to the journal; where there is no journal, write them to stderr. Returns how many
 * entries reached the journal. */
int journal_send_report(const Report *r);

/* For --root runs: the entries as "FIELD=value" blocks on F, never into the host's journal. */
void report_print_export(FILE *f, const Report *r);

/* A few lines for the kernel log (the initramfs-tools stage has no journald): "<6>vfio-bind: ...". */
int kmsg_send_report(const char *root, const Report *r, unsigned max_lines);

/* /dev/kmsg rate-limits writers to about 10 lines per 5 s: stay under it, with room for the kernel's own. */
#define KMSG_REPORT_LINES 8
