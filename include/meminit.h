/*
 * Memory initialization modes (mm/meminit.c, mm/meminit_bw.c): every node's
 * requests run in one of the modes of include/meminit_mode.h, verified,
 * checksummed and timed against the node's store bandwidth; the results
 * the report reads.  Setup is include/mm_setup.h, requests
 * include/meminit_request.h.
 *
 * Lock letters: include/locking.h.
 */
#ifndef NUMABOOT_MEMINIT_H
#define NUMABOOT_MEMINIT_H

#include <stdbool.h>
#include <stdint.h>
#include "bandwidth.h"
#include "boot_info.h"
#include "meminit_mode.h"
#include "mm.h"
#include "mm_setup.h"
#include "meminit_request.h"
#include "numa.h"
#include "smp.h"
#include "spinlock.h"
#include "timeline.h"






/* What a boot asks of meminit (kernel_main fills it from the options). */
struct meminit_config {
	uint32_t mode;			/* enum meminit_mode */
	bool warmup;			/* untimed parallel pass before the timed modes */
	uint64_t deferred_sync_mb;	/* deferred: per node, before the first allocation */
	uint64_t bw_mb;			/* store-bandwidth sample per node, 0 = skip */
	uint32_t rounds;		/* meminit_rounds: runs of each timed mode, the fastest
					 * reported (0 = 1; at most MEMINIT_MAX_ROUNDS) */
	uint32_t init_repeat;		/* debug_init_repeat: initializer runs per chunk (0 = 1) */
	uint32_t slow_pct;		/* debug_slow_pct: each chunk is followed by a spin of
					 * this percent of its own time (0 = off) */
	const char *init_repeat_mode;	/* debug_repeat_mode: the one mode both slow, NULL = all */
	struct timeline *timeline;	/* kernel_main's (include/timeline.h), or NULL */
	/* deferred: called on the boot CPU once it has allocated and waited for
	 * its devices, while the nodes' CPUs still initialize the rest and
	 * before it helps them (memory hot-added during boot-time init,
	 * serve/hotplug.c); NULL: none. */
	void (*deferred_hook)(void *ctx);
	void *deferred_ctx;
};

/* ---- results (owned by the caller of meminit_run, read by the report) ---- */

struct meminit_node_result {
	uint64_t ns;			/* first worker's start to last worker's end, all kinds */
	cpumask_t cpus_ran;		/* CPUs that initialized a chunk */
	uint32_t cpus_assigned;		/* the most any of its requests had */
	uint64_t pages[MEMINIT_NKINDS];	/* pfns initialized, by kind */
	uint64_t kind_ns[MEMINIT_NKINDS];	/* the longest request of each kind */
	uint64_t chunk_ns_per_gib;	/* DRAM: its fastest chunk's ns per GiB of pfns, the
					 * minimum over chunks and rounds (0: none) */
	uint64_t written[MEMINIT_NKINDS];	/* struct pages written (the rest aliased) */
	uint64_t checksum;
	int verified;
	struct memmap_verify_result v;
	/* lazy: mode start to the node's heads spliced (every free page
	 * allocatable) and to its last unit complete; units completed by an
	 * allocation; struct pages the heads part wrote */
	uint64_t lazy_allocatable_ns, lazy_complete_ns, lazy_on_demand, lazy_heads_written;
};

struct meminit_device_wait {
	uint32_t nid, dev;
	uint64_t ready_ns;		/* mode start to the device's last chunk published */
	uint64_t waited_ns;		/* how long the boot CPU waited for it */
};

struct meminit_deferred_stats {
	uint64_t first_alloc_ns;	/* mode start to the boot CPU's first allocation */
	uint64_t allocs;		/* blocks allocated while the rest initialized */
	uint64_t failed_allocs;
	uint32_t ndev_waits;
	struct meminit_device_wait dev_wait[NUMA_MAX_PMEM];	/* devices, in wait order */
};

/* Allocation latencies of the boot CPU's workload (ns). */
struct meminit_latency {
	uint32_t n;
	uint64_t p50, p99, max;
};

/*
 * meminit=lazy: what the boot CPU saw.  The heads part runs on every
 * node's worker CPUs through one cross-call while the boot CPU waits
 * (its time on the critical path: boot_cpu_ns); then the nodes' workers
 * complete the units in the background while the boot CPU allocates and
 * frees on every node (during), helps, and once every unit is complete
 * allocates and frees the same again (after).
 */
struct meminit_lazy_stats {
	uint64_t allocatable_ns;	/* mode start to every node's heads spliced */
	uint64_t complete_ns;		/* mode start to every unit of every node complete */
	uint64_t boot_cpu_ns;		/* the boot CPU's wait for the heads part */
	uint64_t heads_written;		/* struct pages the heads part wrote, all nodes */
	uint64_t on_demand;		/* units completed by an allocation, all nodes */
	uint64_t allocs_while_lazy;	/* allocations made while the node had lazy units */
	struct meminit_latency during;	/* the boot CPU's allocations while units were lazy */
	struct meminit_latency after;	/* the same workload once every unit is complete */
};

struct meminit_mode_result {
	uint32_t mode;
	bool ran;
	bool ok;			/* every round verified */
	bool sums_equal;		/* every node's checksum equals the first mode's, in every round */
	uint64_t ns;			/* the fastest round's; the rest of the result is that round's */
	uint32_t rounds;		/* rounds run (meminit_rounds) */
	uint32_t best_round;		/* the one reported, 0-based */
	uint64_t ns_rounds[MEMINIT_MAX_ROUNDS];	/* each round's ns, in order */
	struct meminit_deferred_stats deferred;
	struct meminit_lazy_stats lazy;
	struct meminit_node_result node[NUMA_MAX_NODES];
};

struct meminit_bw {
	struct bw_result alone[NUMA_MAX_NODES];	/* each node with its worker set */
	struct bw_result conc[NUMA_MAX_NODES];	/* every node at once */
	struct bw_job jobs[NUMA_MAX_NODES];	/* the measurement's scratch */
	struct bw_pass pass;			/* its cross-calls' state (outlives them) */
};

struct meminit_warmup {
	bool ran;
	uint64_t ns;
	uint32_t cpus;
	uint64_t node_ns[NUMA_MAX_NODES];
	uint32_t node_cpus[NUMA_MAX_NODES];
};

struct meminit_results {
	uint32_t first, last;		/* modes run, in order */
	struct meminit_bw bw;
	struct meminit_warmup warmup;
	struct meminit_mode_result mode[MEMINIT_ALL];
	struct meminit_mode_result round;	/* scratch: the round being run after the first */
};

/* ---- modes (mm/meminit.c) ----------------------------------------------------- */

/* Run the mode(s) of cfg over every node's requests, each cfg->rounds
 * times, verify every round and fill *res (per mode its fastest round and
 * every round's time).  Returns 0 when every round verified and all
 * checksums agree, else -1.  Boot CPU, after mm_plan_workers(), interrupts on. */
int meminit_run(struct mm_state *mm, const struct meminit_config *cfg,
		struct meminit_results *res);

/* Each node's store bandwidth alone and all at once (mm/meminit_bw.c). */
void meminit_measure_bandwidth(struct mm_state *mm, uint64_t bw_mb, struct meminit_bw *out);

/* Fraction (x1000) of the node's store bandwidth that init of memmap_bytes
 * in ns reached, against the every-node-at-once figure for modes that run
 * nodes at once; -1 when unknown. */
int64_t meminit_bw_fraction_milli(const struct meminit_bw *bw, uint32_t nid, uint32_t mode,
				  uint64_t memmap_bytes, uint64_t ns);
/* Whether that fraction is taken against the concurrent figure. */
bool meminit_bw_basis_concurrent(const struct meminit_bw *bw, uint32_t nid, uint32_t mode);

#endif
