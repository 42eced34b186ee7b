/*
 * Init requests (mm/request.c): the unit of memory-init work.  A request is
 * one node's ranges of one kind of memory (boot DRAM, a persistent-memory
 * device, a hot-added range), cut by the one chunker into chunks that the
 * node's worker CPUs take through cross-calls, each run through the one
 * range initializer and published (spliced) in chunk order.  A request
 * carries its own run state, so requests of different nodes may be in
 * flight at once; nothing of a run is file-static.  It is built by a
 * constructor here (meminit_request_dram, _device, _hot) and waited for by
 * meminit_request_poll()/_wait(); nobody else writes its fields.
 * docs/mm.md ("Locking rules") says who writes what and when.
 *
 * Lock letters: include/locking.h.  (D) here: written by workers with
 * relaxed atomics before the release of a done[] flag, final once complete
 * is acquired.
 */
#ifndef NUMABOOT_MEMINIT_REQUEST_H
#define NUMABOOT_MEMINIT_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include "mm.h"
#include "numa.h"
#include "smp.h"
#include "spinlock.h"
#include "timeline.h"

struct mm_state;
struct meminit_config;

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
	uint64_t chunk_tsc_per_gib;		/* (D) the fastest chunk's TSC ticks per GiB of
						 * its pfns (UINT64_MAX: none yet): a figure a
						 * descheduled vCPU moves only if it hits every chunk */
	cpumask_t ran;				/* (D) CPUs that initialized at least one chunk */
	struct spinlock splice_lock;
	uint32_t next_splice;			/* (S) chunks published so far; stored relaxed
						 * for meminit_request_poll()'s message, which
						 * loads it (relaxed) without the lock */
	uint64_t complete_tsc;			/* (S) when the last chunk was published */
	uint32_t complete;			/* (A) release-set with the last chunk published;
						 * pairs with meminit_request_complete() */
	uint32_t part;				/* (R) enum mm_init_part its chunks run: FULL
						 *     (reset), or lazy's HEADS then TAILS; a
						 *     TAILS chunk is not spliced (no lists) */
	uint32_t init_repeat;			/* (R) debug_init_repeat: initializer runs per chunk, 0 = 1 */
	uint32_t slow_pct;			/* (R) debug_slow_pct: each chunk then spins this
						 * percent of its time (0 = off) */
	struct timeline *timeline;		/* (R) per-CPU spans go there, or NULL */
	const char *phase;			/* (R) the spans' name: the mode, "warmup" */
} __attribute__((aligned(64)));

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
	struct meminit_request *dram_req[NUMA_MAX_NODES];	/* lazy: every node's DRAM */
	struct meminit_job job;			/* the cross-call argument */
	const char *phase;			/* the mode or "warmup", for the timeline */
};

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

#endif
