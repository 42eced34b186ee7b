/*
 * Memory initialization as a service (mm/setup.c, mm/plan.c,
 * mm/request.c, mm/meminit.c, mm/meminit_bw.c): from the NUMA table to
 * per-node memmaps and buddy free lists, in one of the modes of
 * include/meminit_mode.h, verified and timed.
 *
 * The unit of work is an init request: one node's ranges of one kind of
 * memory (boot DRAM, a persistent-memory device, a hot-added block), cut
 * into chunks that the node's worker CPUs take through cross-calls, each
 * run through the one range initializer and published (spliced) in chunk
 * order.  A request carries its own run state, so requests of different
 * nodes may be in flight at once; nothing of a run is file-static.
 * docs/mm.md ("Locking rules") says who writes what and when.
 *
 * Lock letters: (C) constant once mm_setup()/mm_plan_workers() returned;
 * (R) written by the requester (the CPU that starts the request) before it
 * starts the cross-call, read by workers after (the call's release/acquire
 * orders them); (A) atomic; (S) the request's splice_lock; (W) the CPU that
 * took the chunk writes it, the splicer reads it after done[c] (acquire);
 * (B) boot CPU only; (L) the node lock (include/mm.h); (D) see below:
 * done before complete.
 */
#ifndef NUMABOOT_MEMINIT_H
#define NUMABOOT_MEMINIT_H

#include <stdbool.h>
#include <stdint.h>
#include "bandwidth.h"
#include "boot_info.h"
#include "meminit_mode.h"
#include "mm.h"
#include "numa.h"
#include "smp.h"
#include "spinlock.h"
#include "timeline.h"

#define MM_RANGE_POOL		8192	/* pfn ranges for all nodes' present/usable lists */
#define MM_MEMBLOCK_REGIONS	4096

/* Kinds of memory a request may carry. */
enum meminit_kind {
	MEMINIT_KIND_DRAM,	/* boot-time RAM from the memory map: free lists */
	MEMINIT_KIND_DEVICE,	/* persistent memory: ZONE_DEVICE pages, no free lists */
	MEMINIT_KIND_HOTPLUG,	/* blocks plugged while the kernel runs (serve/hotplug.c) */
	MEMINIT_NKINDS
};
extern const char *const meminit_kind_names[MEMINIT_NKINDS];

/*
 * One init request, built by a constructor below (meminit_request_dram,
 * _device, _hot), never field by field elsewhere.  Its chunk tables come
 * from memblock at setup (hot-added memory: the service's metadata); the
 * per-run part is reset by meminit_request_reset() before each run.
 */
struct meminit_request {
	struct mm_node *node;			/* (C) the node it initializes */
	uint32_t kind;				/* (C) enum meminit_kind */
	uint32_t dev;				/* (C) DEVICE: index in node->dev[];
						 *     HOTPLUG: index in node->hot[] */
	struct mm_range *chunks;		/* (C) chunk (= publish) order */
	uint32_t nchunks;			/* (C) */
	uint64_t pages;				/* (C) pfns its chunks cover */
	struct memmap_chunk_result *results;	/* (W) one per chunk */
	uint8_t *done;				/* (A) per chunk: 1 once results[c] is complete */

	cpumask_t assigned;			/* (R) CPUs that take its chunks in this run */
	uint32_t next_chunk;			/* (A) next chunk to take */
	/* (D) written by workers with relaxed atomics, each before the
	 * release of done[] of a chunk it ran; final once complete is seen
	 * (acquire): readers then copy them plainly. */
	uint32_t failures;			/* (D) chunks the initializer refused */
	uint64_t start_tsc, end_tsc;		/* (D) first chunk taken, last chunk finished */
	cpumask_t ran;				/* (D) CPUs that initialized at least one chunk */
	struct spinlock splice_lock;
	uint32_t next_splice;			/* (S) chunks published so far; stored relaxed
						 * for meminit_request_poll()'s message, which
						 * loads it (relaxed) without the lock */
	uint64_t complete_tsc;			/* (S) when the last chunk was published */
	uint32_t complete;			/* (A) release-set with the last chunk published;
						 * pairs with meminit_request_complete() */
	uint32_t init_repeat;			/* (R) debug_init_repeat: initializer runs per chunk, 0 = 1 */
	struct timeline *timeline;		/* (R) per-CPU spans go there, or NULL */
	const char *phase;			/* (R) the spans' name: the mode, "warmup" */
} __attribute__((aligned(64)));

/* One node's memory as meminit drives it. */
struct mm_node_plan {
	struct mm_node node;
	int has_memory;				/* (C) DRAM or device memory to initialize */
	struct meminit_request dram;		/* (C) its boot DRAM (nchunks 0: none) */
	struct meminit_request *dev_req;	/* (C) one per node.dev[] entry */
	uint32_t ndev_req;			/* (C) */
	uint64_t sections;			/* (C) present DRAM sections (memmap pages of 2 MiB) */
	uint32_t init_node;			/* (C) whose CPUs initialize it (itself unless CPU-less) */
	cpumask_t workers;			/* (C) its worker CPU set, mm_plan_workers() */
	uint32_t first_worker;			/* (C) lowest CPU of workers */
};

/* How persistent memory gets its memmap (options pmem_memmap, pmem_compound). */
struct mm_device_config {
	enum mm_memmap_loc memmap_loc;	/* DRAM of the device's node, or the device (altmap) */
	unsigned compound_order;	/* 0 (4 KiB), 9 (2 MiB) or 18 (1 GiB) */
};

/* Every node's device ranges (mm/setup_device.c); node nid's are
 * dev[first[nid] .. first[nid] + count[nid]), sorted. */
struct mm_devices {
	struct mm_device dev[NUMA_MAX_PMEM];
	uint32_t ndev;
	uint32_t first[NUMA_MAX_NODES], count[NUMA_MAX_NODES];
	uint8_t *pageblock_mt[NUMA_MAX_NODES];	/* device-only nodes' bitmaps */
	uint64_t memmap_dram_bytes;	/* DRAM backing device memmaps (distinct pages only) */
	uint64_t memmap_device_bytes;	/* device pages backing their own memmap (altmap) */
	uint64_t table_bytes;		/* page-table pages of the device vmemmap */
};

/* Whether the node has anything to initialize: DRAM or a device. */
static inline bool mm_plan_has_work(const struct mm_node_plan *p)
{
	return p->dram.nchunks || p->ndev_req;
}

#define MEMINIT_MAX_REQ		(NUMA_MAX_NODES + NUMA_MAX_PMEM)

/* A batch of requests one cross-call works on: every CPU that runs it
 * takes chunks of the requests whose assigned set holds it. */
struct meminit_job {
	struct meminit_request **req;
	uint32_t nreq;
};

/*
 * The state of meminit_run() (mm/meminit.c): the requests of one mode run,
 * in node order (DRAM, then devices), and the job its cross-calls are
 * given.  It lives in struct mm_state, for the whole boot, never on a
 * stack: a CPU that missed a call's deadline may still run the job after
 * the mode returned (include/smp.h).  (B) boot CPU only; the job and the
 * arrays it points at are (R) for the workers.
 */
struct meminit_run {
	struct mm_state *mm;
	const struct meminit_config *cfg;	/* (B) read by the boot CPU only */
	struct meminit_request *req[MEMINIT_MAX_REQ];
	uint32_t nreq;
	struct meminit_request *hop_req[1 + NUMA_MAX_PMEM];	/* hop: one node's */
	struct meminit_job job;			/* the cross-call argument */
	const char *phase;			/* the mode or "warmup", for the timeline */
	uint32_t slow_pct;			/* debug_slow_pct of this phase (0 = off); (R) for
						 * the workers, which find it from &job */
};

struct mm_state {
	struct memblock mb;
	struct memblock_region mem_regions[MM_MEMBLOCK_REGIONS];
	struct memblock_region res_regions[MM_MEMBLOCK_REGIONS];
	struct mm_range range_pool[MM_RANGE_POOL];
	uint32_t range_used;
	uint32_t nnodes;
	struct mm_node_plan plan[NUMA_MAX_NODES];
	uint64_t sections_mapped;		/* boot DRAM vmemmap 2 MiB pages mapped */
	/* (B) sections whose memmap is one 2 MiB page, mapped: boot DRAM, whole
	 * device sections, hot-added sections (mm/vmemmap.c) */
	uint8_t vmemmap_sections[NR_MEM_SECTIONS / 8];
	uint64_t early_alloc_bytes;		/* memblock allocations for the memmap & plans */
	bool workers_planned;			/* (B) mm_plan_workers() ran */
	struct mm_devices devs;			/* (C) persistent memory per node */
	uint32_t fenced_seen;			/* (B) smp_nfenced() the plans last dropped */
	struct meminit_run run;			/* (B) meminit_run()'s, for the boot */
};

/* What a boot asks of meminit (kernel_main fills it from the options). */
struct meminit_config {
	uint32_t mode;			/* enum meminit_mode */
	bool warmup;			/* untimed parallel pass before the timed modes */
	uint64_t deferred_sync_mb;	/* deferred: per node, before the first allocation */
	uint64_t bw_mb;			/* store-bandwidth sample per node, 0 = skip */
	uint32_t rounds;		/* meminit_rounds: runs of each timed mode, the fastest
					 * reported (0 = 1; at most MEMINIT_MAX_ROUNDS) */
	uint32_t init_repeat;		/* debug_init_repeat: initializer runs per chunk (0 = 1) */
	uint32_t slow_pct;		/* debug_slow_pct: each worker CPU spins this percent of
					 * its own time in the worker after it (0 = off) */
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
	uint64_t written[MEMINIT_NKINDS];	/* struct pages written (the rest aliased) */
	uint64_t checksum;
	int verified;
	struct memmap_verify_result v;
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

/* ---- setup and plan (boot CPU) --------------------------------------------- */

/* Build memblock, map the vmemmap with node-local memory (device memmaps as
 * dcfg says) and allocate every node's requests; memblock stays open for
 * mm_alloc_node() (per-CPU areas) until mm_setup_finish().  Returns 0, or
 * -1 (reported) when memory for the memmap is short.  Boot CPU, once,
 * before smp_init(). */
int mm_setup(const struct boot_info *bi, const struct numa_topology *numa,
	     const struct mm_device_config *dcfg, struct mm_state *mm);

/* mm/setup_device.c, called by mm_setup(): each node's device ranges from
 * numa->pmem (bad ones reported and skipped), node spans grown to cover
 * them, device memmaps mapped; before memblock_freeze(). */
int mm_setup_devices(struct mm_state *mm, const struct numa_topology *numa,
		     const struct mm_device_config *dcfg);
/* After each node's memmap_node_init(): give it its devices (device-only
 * nodes get their node description here). */
int mm_describe_devices(struct mm_state *mm);

/* size bytes of memblock memory on nid, else on the nearest node with
 * room; *got_nid (if not NULL) = the node used.  0 when nothing fits or
 * after mm_setup_finish().  Boot CPU, between the two (mm/alloc.c). */
uint64_t mm_alloc_node(struct mm_state *mm, uint32_t nid, uint64_t size, uint64_t align,
		       uint32_t *got_nid);
/* The same, as smp_init()'s per-CPU memory source. */
struct smp_mem mm_smp_mem(struct mm_state *mm);

/* Freeze memblock and describe every node's usable memory (everything
 * allocated until now stays reserved).  Returns 0 or -1 (reported).  Boot
 * CPU, once, after smp_init() and before mm_plan_workers(). */
int mm_setup_finish(struct mm_state *mm);

/* After SMP bring-up: each node's worker set (its own online CPUs plus
 * those of memory-less nodes that help it; a CPU-less node takes its
 * init_by node's set; the boot CPU when nobody is left).  Boot CPU, once. */
void mm_plan_workers(struct mm_state *mm, const struct numa_topology *numa);

/* Take every CPU smp/ has fenced (it missed a cross-call deadline) out of
 * every worker set; a set left empty gets the boot CPU, which is never
 * fenced.  Cheap when nothing changed.  Boot CPU, before each phase that
 * computes CPU sets from the plans. */
void mm_plan_drop_fenced(struct mm_state *mm);

/* ---- requests (mm/request.c) -------------------------------------------------- */

/* A request's per-chunk tables (caller storage: memblock at setup, the
 * hot-plug service's metadata block for hot-added memory). */
struct meminit_tables {
	struct mm_range *chunks;
	struct memmap_chunk_result *results;
	uint8_t *done;
	uint32_t max;			/* chunks they hold */
};

/* Bytes of tables for max chunks in one block, and those tables carved from
 * mem (results first: mem 64-byte aligned keeps every result aligned). */
uint64_t meminit_tables_bytes(uint32_t max);
struct meminit_tables meminit_tables_carve(void *mem, uint32_t max);

/*
 * The constructors: every request is built by one of them, in mm/, and
 * nowhere else assigns a request's fields (kernel/ asks for a request,
 * starts it and polls it).  Each cuts its chunks with the one chunker
 * (memmap_chunks()) into t and resets the request for its first run.
 *   dram:   the node's boot DRAM (its owned pfns in present sections);
 *   device: node->dev[dev], whole;
 *   hot:    [s, e) of region h of the node (block aligned, every block
 *           OFFLINE; memmap on the region: whole sections; else refused and
 *           reported), assigned = workers, only the first max_cpus of them
 *           when max_cpus (hot_cpus=N), 0 = all.
 * Return 0, or -1 (nchunks 0) when the range is refused or its chunks do
 * not fit in t->max.  Requester, with r quiescent (no worker on it).
 */
int meminit_request_dram(struct meminit_request *r, struct mm_node *node,
			 const struct meminit_tables *t);
int meminit_request_device(struct meminit_request *r, struct mm_node *node, uint32_t dev,
			   const struct meminit_tables *t);
int meminit_request_hot(struct meminit_request *r, struct mm_node *node, uint32_t h, uint64_t s,
			uint64_t e, const struct meminit_tables *t, const cpumask_t *workers,
			uint32_t max_cpus);

/* Forget the previous run: counters, flags, assigned set.  Requester, with
 * the request quiescent (no worker on it). */
void meminit_request_reset(struct meminit_request *r);

/* Take chunks of r until none is left (any CPU in r->assigned, or the
 * requester helping). */
void meminit_request_work(struct meminit_request *r);

/* Take chunks of r whose index is below limit (the synchronous first part
 * of deferred init).  Any CPU. */
void meminit_request_work_first(struct meminit_request *r, uint32_t limit);

/* The one worker: the cross-call function, arg a struct meminit_job. */
void meminit_worker(void *arg);

/* Whether every chunk of r is published (acquire; pairs with the release
 * in splice_ready()): when true, the chunks, start_tsc, end_tsc, ran,
 * failures and complete_tsc are final and may be read plainly. */
bool meminit_request_complete(const struct meminit_request *r);

/*
 * The one wait, as a non-blocking poll: DONE once r is complete (acquire,
 * meminit_request_complete()); else TIMED_OUT when now > deadline (now and
 * deadline in one clock, any unit), after the one timeout message
 * "meminit: node N KIND request: P of C chunks published after B ms" (P an
 * atomic load of next_splice, B = budget_ms: the caller's real budget);
 * else PENDING.  Any CPU, no lock.  meminit_request_wait() (boot devices),
 * the hot-plug service's hot_step_init() and its boot-time plug
 * (hotplug_during_boot_init()) all wait through it.
 */
enum meminit_poll { MEMINIT_POLL_PENDING, MEMINIT_POLL_DONE, MEMINIT_POLL_TIMED_OUT };
enum meminit_poll meminit_request_poll(const struct meminit_request *r, uint64_t now,
				      uint64_t deadline, uint64_t budget_ms);

/* Requester: help r, then poll it (meminit_request_poll(), now_ns()) until
 * it is complete, at most timeout_ms.  Returns 0 or -1 (reported: a worker
 * never finished). */
int meminit_request_wait(struct meminit_request *r, uint64_t timeout_ms);

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
