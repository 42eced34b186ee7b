/*
 * LAVA test signals on the console (option lava=on): one line
 *   <LAVA_SIGNAL_TESTCASE TEST_CASE_ID=id RESULT=pass|fail MEASUREMENT=m UNITS=u>
 * per test case (ids use [a-z0-9_] only: LAVA turns other characters of a
 * test case name into '_'), which a LAVA job's monitors test action turns
 * into test results (docs/lava.md).  Boot CPU only, at the reporting points
 * of kernel_main.
 */
#ifndef NUMABOOT_LAVA_H
#define NUMABOOT_LAVA_H

#include "meminit.h"
#include "options.h"

/* From the memory-init results (the data of the meminit and
 * meminit_summary records), per mode that ran:
 *   meminit_<mode>_node<N>     the node's init time (ms), pass when verified
 *   meminit_<mode>_node<N>_bw  its fraction of the node's store bandwidth
 *   meminit_<mode>             the mode's wall time (ms), pass when verified
 *                              and its checksums equal the first mode's
 *   meminit_<mode>_speedup     speedup vs serial (x), when serial ran */
void lava_report_meminit(const struct options *o, const struct mm_state *mm,
			 const struct meminit_results *res);
/* numaboot_verdict: the boot's end status, pass when "ok". */
void lava_verdict(const struct options *o, const char *status);

#endif
