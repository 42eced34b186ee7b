/*
 * The live system (docs/hotplug.md): with serve_s=N the kernel stays up N
 * seconds after its report.  Every CPU runs a bounded allocation/free
 * workload on every node (serve/workload.c); the boot CPU also watches each
 * live virtio-mem device and serves changes of its requested size
 * (serve/hotplug.c): a plug becomes a MEMINIT_KIND_HOTPLUG init request
 * that the node's own worker CPUs pick up between their allocations, and
 * whose chunks are spliced into the live node; an unplug isolates the top
 * blocks, waits (bounded) for the workload to free them, takes them
 * offline and tells the device.  No CPU ever waits for another node's work.
 *
 * Lock letters: include/locking.h.  (W) here: the CPU that owns the slot
 * writes it; the boot CPU reads it while that CPU is paused or after it
 * left (the pause handshake orders them).
 */
#ifndef NUMABOOT_HOTPLUG_H
#define NUMABOOT_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>
#include "meminit.h"
#include "serve_limits.h"
#include "smp.h"
#include "tsc.h"
#include "virtio_mem.h"

#define HOT_MAX_EVENTS		64	/* event records kept (later ones: counted only) */
#define HOT_EVENT_MAX_CHUNKS	64	/* sections one event onlines: larger requests
					 * are served in several events */
#define HOT_DRAIN_MS		2000	/* unplug: how long the workload gets to free */
#define HOT_INIT_TIMEOUT_MS	60000	/* plug: the node's CPUs finishing its chunks */
#define HOT_BUSY_RETRIES	8	/* BUSY answers retried per step, then given up */
#define HOT_BUSY_FIRST_MS	1	/* first wait after a BUSY; doubles each time */
#define HOT_BUSY_MAX_MS		256	/* longest wait between two tries */
#define SERVE_HELD		32	/* blocks each CPU's workload holds at most */
#define SERVE_PAUSE_MS		10000	/* every CPU parked for a check */
#define SERVE_HIST		48	/* log2 buckets of one operation's TSC ticks */

enum hot_op { HOT_PLUG, HOT_UNPLUG };
enum hot_status { HOT_OK, HOT_REFUSED, HOT_NACK, HOT_FAILED, HOT_DOUBT };

/* ms in TSC ticks (tsc_hz is known before any of this runs). */
static inline uint64_t serve_ms_to_tsc(uint64_t ms)
{
	return tsc_hz * ms / 1000;
}

/* One served change of one device. */
struct hot_event {
	uint32_t seq;			/* (B) */
	uint32_t dev;			/* (B) index in the virtio-mem set */
	uint32_t node;			/* (B) */
	uint32_t op;			/* (B) enum hot_op */
	uint32_t status;		/* (B) enum hot_status */
	char reason[128];		/* (B) refused / failed: why */
	uint64_t addr, bytes;		/* (B) the range plugged or unplugged */
	uint64_t requested_size;	/* (B) the device's request it served */
	uint64_t plugged_size;		/* (B) what the device says afterwards */
	uint64_t seen_tsc;		/* (B) when the boot CPU saw the change */
	uint64_t posted_tsc;		/* (B) plug: the init request published */
	uint64_t first_start_tsc;	/* (B) plug: the first worker started a chunk */
	uint64_t done_tsc;		/* (B) allocatable (plug) / offline and unplugged */
	uint64_t complete_tsc;		/* (B) plug: every struct page complete (= done_tsc
					 * unless lazy) */
	uint64_t tails_ns;		/* (B) lazy plug: first to last worker of the rest */
	bool lazy;			/* (B) plug onlined in two parts (hot_lazy) */
	uint64_t init_ns;		/* (B) first worker's start to last worker's end */
	uint32_t chunks;		/* (B) */
	cpumask_t cpus;			/* (B) CPUs that initialized a chunk */
	uint64_t max_stall_tsc;		/* (A) longest workload operation while it ran;
					 * final once its slot is cleared (slot_clear()
					 * drains the CPUs charging it) */
	uint64_t hist[SERVE_HIST];	/* (A) its operations by log2 of their TSC ticks */
	bool at_boot;			/* (B) served during boot-time deferred init */
	uint32_t nboot_pending;		/* (B) at_boot: nodes whose boot DRAM init was still */
	uint32_t boot_pending[8];	/*     running when this one was allocatable */
};

/* What the workload CPUs see of an event in flight. */
struct hot_slot {
	struct meminit_request *req;	/* (A) release-published by the boot CPU; NULL: none */
	struct hot_event *ev;		/* (A) the event whose stall the workload records */
	uint32_t users;			/* (A) CPUs between loading req or ev and done with it */
};

/* One device as the service drives it. */
struct hot_dev {
	struct virtio_mem_dev *vd;	/* (B) */
	uint32_t idx;			/* (B) index in the virtio-mem set */
	uint32_t node;			/* (B) dense node id */
	uint32_t hot;			/* (B) index in node->hot[] */
	uint32_t meta_node;		/* (B) where its metadata and DRAM memmap come from */
	uint64_t meta_pa;		/* (B) its metadata block */
	unsigned meta_order;		/* (B) */
	struct mm_hot_region region;	/* (L) of the node, once added */
	uint64_t unit;			/* (B) bytes one plug step is a multiple of */
	uint64_t online_bytes;		/* (B) [addr, addr + online_bytes) is online */
	uint64_t served;		/* (B) requested size last reached or refused */
	uint64_t doubt_bytes;		/* (B) [addr + online_bytes, + doubt_bytes) kept offline:
					 * a request the device left unanswered, whose
					 * effect it could not say (docs/hotplug.md) */
	bool stopped;			/* (B) served no more (in doubt, or a configuration
					 * that broke a rule); what is online stays */
	uint32_t busy_tries;		/* (B) BUSY answers to the step in flight */
	enum { HOT_IDLE, HOT_INIT, HOT_DRAIN, HOT_BUSY } state;	/* (B) */
	uint64_t range_s, range_e;	/* (B) pfns of the step in flight */
	uint64_t deadline_tsc;		/* (B) */
	uint64_t budget_ms;		/* (B) HOT_INIT: the plug's budget, deadline_tsc =
					 * posted_tsc + it (hot_step_budget()) */
	struct hot_event *ev;		/* (B) the event in flight */
	struct hot_event scratch;	/* (B) its record once HOT_MAX_EVENTS are kept */
	struct meminit_tables tables;	/* (B) its request's chunk tables, in the metadata */
	struct meminit_request req;	/* (B) built by meminit_request_hot() for each plug */
	uint8_t *lazy_states;		/* (C) the region's lazy block states (metadata) */
	/* The boot-time plug's cross-call argument (hotplug_during_boot_init):
	 * here, not on a stack, so it outlives a CPU that runs it late. */
	struct meminit_request *boot_req;	/* (R) &req */
	struct meminit_job boot_job;		/* (R) { &boot_req, 1 } */
};

/* Per-CPU workload state, cache-line aligned. */
struct serve_cpu {
	uint64_t ops, allocs, frees, failed, hot_allocs;	/* (W) */
	uint64_t max_stall_tsc;		/* (W) longest op with no event in flight */
	uint64_t hist[SERVE_HIST];	/* (W) ops with no event in flight, log2 of ticks */
	uint64_t held_pfn[SERVE_HELD];	/* (W) blocks it holds, ring */
	uint32_t held_nid[SERVE_HELD];	/* (W) */
	uint8_t held_order[SERVE_HELD];	/* (W) */
	uint32_t nheld, head;		/* (W) */
	uint32_t pause_timeouts;	/* (W) times it gave up waiting for a resume */
} __attribute__((aligned(64)));
_Static_assert(SMP_MAX_CPUS * sizeof(struct serve_cpu) <= (PAGE_SIZE << MAX_ORDER),
	       "every CPU's workload state fits one buddy block");

struct hot_ops;

/* The live system: owned by kernel_main, shared with the workload CPUs. */
struct serve_ctx {
	struct mm_state *mm;		/* (C) */
	const struct hot_ops *ops;	/* (C) the step logic's device, mappings, clock
					 * (serve/internal.h); hotplug_register()
					 * sets the kernel's */
	uint32_t ncpus;			/* (C) */
	uint32_t hot_cpus;		/* (C) a hot-add's CPUs: the node's first N workers, 0 = all */
	struct serve_cpu *cpu;		/* (C) pointer; entries (W) */
	uint64_t end_tsc;		/* (C) the workload stops then */
	uint32_t stop;			/* (A) boot CPU: leave now */
	uint32_t pause;			/* (A) boot CPU: park for a check */
	uint32_t parked;		/* (A) CPUs parked */
	struct hot_slot slot[VIRTIO_MEM_MAX];	/* (A) */

	struct hot_dev dev[VIRTIO_MEM_MAX];	/* (B) */
	uint32_t ndev;			/* (B) */
	uint64_t meta_pages[NUMA_MAX_NODES];	/* (B) pages the service took from the buddy */
	struct hot_event event[HOT_MAX_EVENTS];	/* (B) */
	uint32_t nevents;		/* (B) events served (records kept: up to HOT_MAX_EVENTS) */
	uint32_t checks, checks_failed;	/* (B) */
	bool unchecked;			/* (B) an event ended since the last check */
	uint32_t pin;			/* (C) debug_hot_pin: pages to pin after each plug */
	uint32_t npinned;		/* (B) pages pinned (freed at the end of the phase) */
	uint64_t pinned_pfn[SERVE_MAX_PINNED];	/* (B) */
	uint32_t pinned_nid[SERVE_MAX_PINNED];	/* (B) */
	uint64_t pinned_pages[NUMA_MAX_NODES];	/* (B) per node, for the accounting */
	bool registered;		/* (B) hotplug_register() ran */
	struct virtio_mem_set *vset;	/* (C) the devices discovered */
	enum mm_memmap_loc loc;		/* (C) hot_memmap */
	bool lazy;			/* (C) hot_lazy: plugs onlined in two parts (heads,
					 * then the rest: docs/hotplug.md) */
	bool failed;			/* (B) a failure that ends the boot check_failed */
	uint64_t start_tsc;		/* (B) serve_begin */
};

/* serve/hotplug_setup.c, boot CPU.  Register every problem-free device
 * (start it, give its node the region); devices that fail are reported and
 * left alone.  Before the workload starts.  ops: how the step logic reaches
 * the device, page tables, clock and slots: the kernel passes
 * hotplug_kernel_ops, host tests a fake device's. */
void hotplug_register(struct serve_ctx *s, const struct hot_ops *ops);
/* The kernel's ops: virtio/mem.c, paging, rdtsc, the slots (serve/hotplug.c). */
extern const struct hot_ops hotplug_kernel_ops;
/* s->cpu for s->ncpus CPUs, zeroed, from boot memory (node 0 first), counted
 * as the service's pages.  0, or -1 (reported).  Boot CPU, before the phase. */
int hotplug_alloc_workload(struct serve_ctx *s);
/* meminit=deferred with serve_s: serve each device's requested size while
 * the nodes' CPUs still run boot-time init (the meminit_config hook):
 * the plug's chunks go to the node's workers as a cross-call of their own,
 * queued behind their boot-time chunks; the boot CPU waits for them (it
 * does not help unless it is one of them) before it helps its own node. */
void hotplug_during_boot_init(void *serve_ctx);
/* One pass of the boot CPU's service: poll each device, advance its event
 * (the check after an event is the workload loop's, serve/workload.c). */
void hotplug_poll(struct serve_ctx *s);
/* Whether any device has an event in flight. */
bool hotplug_busy(const struct serve_ctx *s);
/* The check after an event and at the end: every CPU parked (the caller
 * arranges it), every node verified, accounting exact.  seq: the last
 * event it covers, -1 none.  true when it holds. */
bool serve_check(struct serve_ctx *s, const char *when, int64_t seq);

/* Upper bound (ns) of the bucket holding the pct-th percentile of hist, and
 * the number of operations in it (serve/hist.c). */
uint64_t serve_hist_pct_ns(const uint64_t *hist, unsigned pct);
uint64_t serve_hist_count(const uint64_t *hist);

/* debug_hot_pin: free what the pins hold (the end of the phase). */
void hotplug_unpin(struct serve_ctx *s);

/* serve/workload.c.  The whole live phase: serve_s seconds, then every CPU
 * frees what it holds and the final check runs.  Returns 0, or -1 (a check
 * failed, a CPU did not answer, an event failed). */
int serve_run(struct serve_ctx *s, uint64_t serve_s);
/* Park every other CPU (bounded), for a check; resume them. */
bool serve_pause(struct serve_ctx *s);
void serve_resume(struct serve_ctx *s);
/* The workload step and the request help, as the boot CPU runs them too. */
void serve_step(struct serve_ctx *s, uint32_t cpu, uint64_t i);

#endif
