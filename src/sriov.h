/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run.h"

/* vfs = N on a physical function: create its virtual functions at boot and claim them (all, or those of
 * vf =). The PF stays on its host driver, which creating VFs needs. What is done to the PF, and what went
 * wrong with it, is said in host notes; the VFs are devices of the run under the PF section's label. */

/* Add the section's VFs that exist now to the run (run_init). */
int sriov_add_existing(Run *run);
/* Create what is missing: sriov_drivers_autoprobe = 0 first, so that no VF driver probes the VFs, then
 * sriov_numvfs (0 first when another count is set), then add the new VFs to the run. (apply) */
int sriov_create(Run *run);
/* Host notes for each request: done, not done and why (check, status, apply). */
void sriov_add_notes(Run *run, bool predict);
/* After a release of every configured function (EVERY), or of a PF by its address: sriov_numvfs = 0 on
 * each such PF whose VFs all went back. */
void sriov_release(Run *run, bool every);
