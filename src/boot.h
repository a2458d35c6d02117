/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "state-file.h"

/* `vfio-bind boot --stage=initramfs|root`: claim, record and report, for the initramfs scripts and the boot
 * unit. Never blocks boot for longer than the per-device timeouts; returns an exit status. */
int boot_stage(const char *root, const char *config_path, Stage stage);
