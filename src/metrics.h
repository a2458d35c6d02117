/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "run.h"
#include "state-file.h"

/* The run as Prometheus metrics, in the text exposition format node_exporter's textfile collector reads:
 * every family with HELP and TYPE, no timestamps (the collector stamps its scrape), a final newline. */

/* Which boot stage put a device on its driver. */
typedef enum ClaimStage {
        CLAIM_STAGE_NONE,      /* not on its VFIO driver now */
        CLAIM_STAGE_INITRAMFS, /* the initramfs stage */
        CLAIM_STAGE_ROOT,      /* the boot unit in the real root */
        CLAIM_STAGE_LATER,     /* after boot: 'vfio-bind apply' or another tool */
        _CLAIM_STAGE_MAX,
} ClaimStage;

const char *claim_stage_to_string(ClaimStage s);

typedef struct MetricsContext {
        ClaimStage *stages;        /* one per run->devices */
        uint64_t boot_report_usec; /* CLOCK_REALTIME of the root stage's report; 0: none this boot */
} MetricsContext;

/* What the state files of this boot (INITRAMFS and ROOT, either may be NULL) say about the run's devices,
 * as they are now. */
int metrics_context_from_state(const Run *run, const StateFile *initramfs, const StateFile *root,
                               uint64_t boot_report_usec, MetricsContext *ret);
void metrics_context_done(MetricsContext *m);
#define _cleanup_metrics_context_ _cleanup_(metrics_context_done)

void output_prometheus(FILE *f, const Run *run, const MetricsContext *m);

/* Write the metrics as DIR/vfio-bind.prom below ROOT, atomically: a collector never reads half a file. */
#define METRICS_FILE "vfio-bind.prom"
int metrics_write_dir(const char *root, const char *dir, const Run *run, const MetricsContext *m);
