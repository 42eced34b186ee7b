/*
 * Per-node store bandwidth (mm/bandwidth.c): the node's own CPUs write the
 * node's own memory with plain stores, non-temporal stores and rep stosq,
 * all of them at once; the best of the three is the limit memory init is
 * compared against.  Several jobs (nodes) can be measured at the same time,
 * as the all-nodes-at-once modes run.  Boot CPU only, before any init mode
 * runs (it scribbles over memory that holds nothing yet).
 */
#ifndef NUMABOOT_BANDWIDTH_H
#define NUMABOOT_BANDWIDTH_H

#include <stdint.h>
#include "bw_store.h"
#include "numa.h"
#include "smp.h"

/* The loops of include/bw_store.h, numbered as bw_store() takes them. */
enum bw_method {
	BW_PLAIN = BW_STORE_PLAIN,
	BW_NONTEMPORAL = BW_STORE_NONTEMPORAL,
	BW_REP_STOS = BW_STORE_REP_STOS,
	BW_NMETHODS
};

struct bw_result {
	uint64_t bytes;			/* written per method */
	uint32_t cpus;
	uint64_t ns[BW_NMETHODS];	/* first worker's start to last worker's end */
	uint64_t best_bytes_per_s;
	uint32_t best;			/* enum bw_method */
};

extern const char *const bw_method_names[BW_NMETHODS];

/* One node's measurement: [base, base + bytes) written by the CPUs of cpus. */
struct bw_job {
	uint64_t base, bytes;		/* in */
	cpumask_t cpus;			/* in: no CPU in two jobs of one call */
	struct bw_result out;		/* out */
};

/* One timed pass of one method over every job at once: the cross-call's
 * argument, so it must outlive the call (include/smp.h): never on the
 * stack.  Lock letters: include/locking.h. */
struct bw_pass {
	struct bw_job *jobs;		/* (R) the boot CPU's, before the call */
	uint32_t njobs;			/* (R) */
	uint32_t method;		/* (R) */
	uint32_t nworkers;		/* (R) all jobs together */
	uint32_t arrived;		/* (A) barrier */
	uint32_t ticket[NUMA_MAX_NODES];	/* (A) slice index per job */
	uint64_t start[NUMA_MAX_NODES];	/* (A) min start TSC per job */
	uint64_t end[NUMA_MAX_NODES];	/* (A) max end TSC per job */
};

/* Measure every job at once (one barrier for all their CPUs; each job's
 * time runs from its first worker's start to its last worker's end), with
 * pass as the cross-calls' state.  Returns 0, or -1 for an empty or
 * overlapping job or a failed cross-call. */
int bw_measure(struct bw_job *jobs, uint32_t njobs, struct bw_pass *pass);

#endif
