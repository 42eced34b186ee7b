/*
 * Per-node store bandwidth (mm/bandwidth.c): the node's own CPUs write the
 * node's own free memory with plain stores, non-temporal stores and
 * rep stosq, all CPUs at once; the best of the three is the limit memory
 * init is compared against.  Boot CPU only, before any init mode runs (it
 * scribbles over free memory).
 */
#ifndef NUMABOOT_BANDWIDTH_H
#define NUMABOOT_BANDWIDTH_H

#include <stdint.h>
#include "smp.h"

enum bw_method { BW_PLAIN, BW_NONTEMPORAL, BW_REP_STOS, BW_NMETHODS };

struct bw_result {
	uint64_t bytes;			/* written per method */
	uint32_t cpus;
	uint64_t ns[BW_NMETHODS];	/* first worker's start to last worker's end */
	uint64_t best_bytes_per_s;
	uint32_t best;			/* enum bw_method */
};

extern const char *const bw_method_names[BW_NMETHODS];

/* Measure node memory [base, base + bytes) with the CPUs of mask.
 * Returns 0, or -1 when a cross-call failed. */
int bw_measure(uint64_t base, uint64_t bytes, const cpumask_t *mask, struct bw_result *out);

#endif
