/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "state-file.h"

/* `vfio-bind boot --stage=initramfs|root`: claim, record and report, for the initramfs scripts and the boot
 * unit. Never blocks boot for longer than the per-device timeouts; returns an exit status. */
/* The boot unit's TimeoutStartSec= must exceed this by the time the report takes (a few seconds): after
 * it no new work starts, and the step in progress is given up at the latest then. */
#define BOOT_TIME_BUDGET_SEC 50
#define MAX_TIME_BUDGET_SEC  3600U

int boot_stage(const char *root, const char *config_path, Stage stage);
