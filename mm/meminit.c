/*
 * The memory-init modes: who runs which chunk of which request.
 *
 * Every node has one request per kind of memory it holds (its boot DRAM,
 * each persistent-memory device); every mode runs the same worker,
 * meminit_worker() (mm/request.c), over the same requests and chunks.  Modes
 * differ only in which CPUs a request is assigned to and when they start:
 *
 *   serial    the boot CPU, every request, no cross-call
 *   hop       node after node, each by the first CPU of its worker set
 *   node      the first CPU of every node's worker set, all nodes at once
 *   parallel  every CPU of every worker set, all at once
 *   deferred  the boot CPU does the first deferred_sync_mb of each node's
 *             DRAM, then the worker sets (less the boot CPU) do the rest
 *             and every device while the boot CPU allocates; it then waits
 *             for each device on its own (no global flush) and helps
 *
 * Worker sets come from the node plans (mm_plan_workers()).  With
 * meminit_rounds=K each mode runs K times on the same memory, every round
 * reset, verified and checksummed as a new mode is; the fastest round is
 * reported (run_rounds()).  Results go to the caller's struct
 * meminit_results; the report is kernel/'s business.
 * Boot CPU only (meminit_run); workers run in cross-call context.
 */
#include <stddef.h>
#include <stdint.h>
#include "kassert.h"
#include "kprintf.h"
#include "kstring.h"
#include "meminit.h"
#include "smp.h"
#include "timeline.h"
#include "tsc.h"
#include "x86.h"

#define DEFERRED_ALLOCS		256	/* blocks the boot CPU allocates per node, deferred */
#define DEFERRED_ALLOCS_MAX	512	/* all nodes together */
#define DEVICE_WAIT_MS		60000	/* deferred: longest wait for one device */

/* The node's requests, appended to out; returns how many. */
static uint32_t node_requests(struct mm_node_plan *p, struct meminit_request **out)
{
	uint32_t n = 0;

	if (p->dram.nchunks)
		out[n++] = &p->dram;
	for (uint32_t d = 0; d < p->ndev_req; d++)
		out[n++] = &p->dev_req[d];
	return n;
}

/* Whether the test aids (debug_init_repeat, debug_slow_pct) act on the
 * phase starting: the one mode debug_repeat_mode names, or every phase. */
static bool test_aid_applies(const struct meminit_run *run)
{
	return !run->cfg->init_repeat_mode || run->phase == run->cfg->init_repeat_mode;
}

/*
 * Forget the previous mode (or round): empty free lists and counters, every
 * request reset; with poison, scribble over every struct page so a mode
 * that skipped a page is caught by the verifier.
 */
static void reset_all(struct meminit_run *run, bool poison)
{
	run->nreq = 0;
	for (uint32_t nid = 0; nid < run->mm->nnodes; nid++) {
		struct mm_node_plan *p = &run->mm->plan[nid];

		if (!mm_plan_has_work(p))
			continue;
		memmap_node_reset(&p->node);
		run->nreq += node_requests(p, &run->req[run->nreq]);
	}
	for (uint32_t i = 0; i < run->nreq; i++) {
		struct meminit_request *r = run->req[i];

		meminit_request_reset(r);
		r->init_repeat = test_aid_applies(run) ? run->cfg->init_repeat : 1;	/* a test aid */
		r->slow_pct = test_aid_applies(run) ? run->cfg->slow_pct : 0;		/* a test aid */
		r->timeline = run->cfg->timeline;
		r->phase = run->phase;
		for (uint32_t c = 0; poison && c < r->nchunks; c++)
			memmap_poison_range(r->node, r->chunks[c].start_pfn, r->chunks[c].end_pfn, 0xa5);
	}
}

/* run->job over req[0..nreq), and the function that runs it. */
static smp_call_fn set_job(struct meminit_run *run, struct meminit_request **req, uint32_t nreq)
{
	run->job = (struct meminit_job){ req, nreq };
	return meminit_worker;
}

/* The cross-call of every request of the run on mask (run->job: it lives
 * in mm_state, so outlives a CPU that finishes late). */
static int call_and_wait(struct meminit_run *run, const cpumask_t *mask)
{
	smp_call_fn fn = set_job(run, run->req, run->nreq);
	int err;

	err = smp_call(mask, fn, &run->job);

	if (err)
		kprintf("meminit: cross-call failed (%d)\n", err);
	return err;
}

enum pick { PICK_FIRST, PICK_ALL, PICK_ALL_BUT_ME };

/* Assign requests req[0..n) to CPUs of their node's worker set (the
 * first, all, or all but this CPU) and collect those CPUs in mask. */
static void assign_requests(struct meminit_run *run, struct meminit_request **req, uint32_t n,
			    enum pick pick, cpumask_t *mask)
{
	uint32_t me = smp_this_cpu();

	cpumask_clear(mask);
	for (uint32_t i = 0; i < n; i++) {
		struct meminit_request *r = req[i];
		const struct mm_node_plan *p = &run->mm->plan[r->node->nid];

		for (uint32_t c = 0; c < smp_ncpus(); c++) {
			if (!cpumask_test(&p->workers, c) || (pick == PICK_FIRST && c != p->first_worker) ||
			    (pick == PICK_ALL_BUT_ME && c == me))
				continue;
			cpumask_set(&r->assigned, c);
			cpumask_set(mask, c);
		}
	}
}

/* Every request of the run. */
static void assign_worker_sets(struct meminit_run *run, enum pick pick, cpumask_t *mask)
{
	assign_requests(run, run->req, run->nreq, pick, mask);
}

/* ---- the modes ------------------------------------------------------------ */

static int mode_serial(struct meminit_run *run)
{
	smp_call_fn fn = set_job(run, run->req, run->nreq);

	for (uint32_t i = 0; i < run->nreq; i++)
		cpumask_set(&run->req[i]->assigned, smp_this_cpu());
	fn(&run->job);
	return 0;
}

/* A late CPU that finished (-SMP_ETIMEDOUT) is fenced and its node done:
 * the hop goes on with the next node's plan, without it; the mode fails. */
static int mode_hop(struct meminit_run *run)
{
	int ret = 0;

	for (uint32_t nid = 0; nid < run->mm->nnodes; nid++) {
		struct mm_node_plan *p = &run->mm->plan[nid];
		smp_call_fn fn = set_job(run, run->hop_req, node_requests(p, run->hop_req));
		int err;

		if (!run->job.nreq)
			continue;
		mm_plan_drop_fenced(run->mm);
		for (uint32_t i = 0; i < run->job.nreq; i++)
			cpumask_set(&run->hop_req[i]->assigned, p->first_worker);
		err = smp_call_cpu(p->first_worker, fn, &run->job);
		if (err) {
			kprintf("meminit: hop to cpu %u for node %u failed (%d)\n", p->first_worker,
				nid, err);
			ret = err;
			if (err != -SMP_ETIMEDOUT)
				return err;
		}
	}
	return ret;
}

/* node: first CPU of each worker set; parallel: all of them. */
static int mode_spread(struct meminit_run *run, bool all_cpus)
{
	cpumask_t mask;

	assign_worker_sets(run, all_cpus ? PICK_ALL : PICK_FIRST, &mask);
	return call_and_wait(run, &mask);
}

/* After the boot CPU's own work in deferred and lazy: help the requests of
 * every node it is a worker of (all of them when no call was started: it
 * is alone), then wait for the call h (NULL: none).  Returns err, or the
 * call's error when err is 0. */
static int help_and_wait(struct meminit_run *run, struct smp_call *h, int err)
{
	uint32_t me = smp_this_cpu();

	for (uint32_t i = 0; i < run->nreq; i++) {
		const struct mm_node_plan *p = &run->mm->plan[run->req[i]->node->nid];

		if (cpumask_test(&p->workers, me) || !h)
			meminit_request_work(run->req[i]);
	}
	if (h) {
		int werr = smp_call_wait(h, 0);

		err = err ? err : werr;
	}
	return err;
}

struct deferred_alloc {
	uint64_t pfn;
	uint32_t nid;
	uint32_t order;
};

/* The boot CPU's first deferred_sync_mb of every node's DRAM, published. */
static void deferred_sync_part(struct meminit_run *run)
{
	uint64_t sec_mb = PAGES_PER_SECTION * PAGE_SIZE >> 20;
	uint32_t sync = (uint32_t)((run->cfg->deferred_sync_mb + sec_mb - 1) / sec_mb);

	for (uint32_t i = 0; i < run->nreq; i++)
		if (run->req[i]->kind == MEMINIT_KIND_DRAM)
			meminit_request_work_first(run->req[i], sync ? sync : 1);
}

/* What the boot CPU does while the nodes' CPUs initialize: allocate from
 * the DRAM published so far. */
static uint32_t deferred_allocate(struct meminit_run *run, struct deferred_alloc *a,
				  struct meminit_deferred_stats *st, uint64_t t0)
{
	uint32_t n = 0;

	for (uint32_t nid = 0; nid < run->mm->nnodes; nid++) {
		struct mm_node_plan *p = &run->mm->plan[nid];

		for (uint32_t i = 0; p->dram.nchunks && i < DEFERRED_ALLOCS && n < DEFERRED_ALLOCS_MAX; i++) {
			uint32_t order = i % 4;
			uint64_t pfn = buddy_alloc_pages(&p->node, order);

			if (!st->allocs && !st->failed_allocs)
				st->first_alloc_ns = now_ns() - t0;
			if (pfn == PFN_NONE) {
				st->failed_allocs++;
				continue;
			}
			a[n++] = (struct deferred_alloc){ pfn, nid, order };
			st->allocs++;
		}
	}
	return n;
}

/*
 * Each device in turn, when the boot CPU "needs" it: wait for that device
 * alone (helping it), never for all init work at once (Dan Williams'
 * memmap_init_async() point: no global flush).
 */
static int deferred_wait_devices(struct meminit_run *run, struct meminit_deferred_stats *st,
				 uint64_t t0_tsc)
{
	int err = 0;

	for (uint32_t i = 0; i < run->nreq; i++) {
		struct meminit_request *r = run->req[i];
		struct meminit_device_wait *w;
		uint64_t t = now_ns();

		if (r->kind != MEMINIT_KIND_DEVICE || st->ndev_waits == NUMA_MAX_PMEM)
			continue;
		bool ok;

		w = &st->dev_wait[st->ndev_waits++];
		ok = meminit_request_wait(r, DEVICE_WAIT_MS) == 0;
		if (!ok)
			err = -1;
		/* complete_tsc is final once the request is complete (acquire,
		 * inside meminit_request_wait()); unread otherwise */
		*w = (struct meminit_device_wait){
			.nid = r->node->nid, .dev = r->dev, .waited_ns = now_ns() - t,
			.ready_ns = ok && r->complete_tsc > t0_tsc ?
				    tsc_to_ns(r->complete_tsc - t0_tsc) : 0,
		};
	}
	return err;
}

static int mode_deferred(struct meminit_run *run, struct meminit_deferred_stats *st)
{
	struct deferred_alloc allocs[DEFERRED_ALLOCS_MAX];
	uint32_t nallocs;
	uint64_t t0 = now_ns(), t0_tsc = rdtsc();
	struct smp_call *h = NULL;
	cpumask_t mask;
	int err = 0;

	smp_call_fn fn;

	deferred_sync_part(run);
	assign_worker_sets(run, PICK_ALL_BUT_ME, &mask);
	fn = set_job(run, run->req, run->nreq);
	if (cpumask_weight(&mask))
		h = smp_call_start(&mask, fn, &run->job, &err);
	nallocs = deferred_allocate(run, allocs, st, t0);
	if (deferred_wait_devices(run, st, t0_tsc))
		err = err ? err : -1;
	if (run->cfg->deferred_hook)
		run->cfg->deferred_hook(run->cfg->deferred_ctx);
	err = help_and_wait(run, h, err);
	for (uint32_t i = 0; i < nallocs; i++)
		buddy_free_pages(&run->mm->plan[allocs[i].nid].node, allocs[i].pfn, allocs[i].order);
	return err;
}

/* ---- lazy ------------------------------------------------------------------ */

#define LAZY_ALLOCS		128	/* blocks the boot CPU allocates per node, per phase */
#define LAZY_ALLOCS_MAX		256	/* all nodes together */

/* Percentiles of n samples (sorted here; n small). */
static struct meminit_latency latency_of(uint64_t *ns, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j && ns[j - 1] > ns[j]; j--) {
			uint64_t t = ns[j];

			ns[j] = ns[j - 1];
			ns[j - 1] = t;
		}
	if (!n)
		return (struct meminit_latency){ 0 };
	return (struct meminit_latency){ .n = n, .p50 = ns[(n - 1) / 2],
					 .p99 = ns[(n * 99 + 99) / 100 - 1], .max = ns[n - 1] };
}

/*
 * The boot CPU's workload: LAZY_ALLOCS blocks (orders 0..3) from every
 * node with DRAM, each allocation timed, then all freed.  *while_lazy
 * counts allocations begun while their node still had lazy units.
 */
static struct meminit_latency lazy_workload(struct meminit_run *run, uint64_t *while_lazy)
{
	struct deferred_alloc a[LAZY_ALLOCS_MAX];
	uint64_t ns[LAZY_ALLOCS_MAX];
	uint32_t n = 0;

	for (uint32_t nid = 0; nid < run->mm->nnodes; nid++) {
		struct mm_node_plan *p = &run->mm->plan[nid];

		for (uint32_t i = 0; p->dram.nchunks && i < LAZY_ALLOCS && n < LAZY_ALLOCS_MAX; i++) {
			uint32_t order = i % 4;
			bool lazy = memmap_lazy_pending(&p->node) != 0;
			uint64_t t0 = rdtsc(), pfn = buddy_alloc_pages(&p->node, order);

			if (pfn == PFN_NONE)
				continue;
			ns[n] = tsc_to_ns(rdtsc() - t0);
			*while_lazy += lazy;
			a[n++] = (struct deferred_alloc){ pfn, nid, order };
		}
	}
	for (uint32_t i = n; i-- > 0;)
		buddy_free_pages(&run->mm->plan[a[i].nid].node, a[i].pfn, a[i].order);
	return latency_of(ns, n);
}

/* Arm every node with DRAM and collect its DRAM request into run->dram_req;
 * returns how many, or -1 when a node cannot be lazy. */
static int lazy_arm(struct meminit_run *run, uint32_t *n)
{
	*n = 0;
	for (uint32_t nid = 0; nid < run->mm->nnodes; nid++) {
		struct mm_node_plan *p = &run->mm->plan[nid];

		if (!mm_plan_has_work(p) || !p->dram.nchunks)
			continue;
		if (memmap_lazy_arm(&p->node))
			return -1;
		p->dram.part = MM_INIT_HEADS;
		run->dram_req[(*n)++] = &p->dram;
	}
	return 0;
}

/* The nodes' figures once the drain is over (every request complete). */
static void lazy_figures(struct meminit_run *run, uint32_t ndram, uint64_t t0_tsc,
			 const uint64_t *heads_tsc, struct meminit_mode_result *r)
{
	for (uint32_t i = 0; i < ndram; i++) {
		const struct meminit_request *q = run->dram_req[i];
		struct meminit_node_result *nr = &r->node[q->node->nid];

		nr->lazy_allocatable_ns = heads_tsc[i] > t0_tsc ? tsc_to_ns(heads_tsc[i] - t0_tsc) : 0;
		nr->lazy_complete_ns = q->complete_tsc > t0_tsc ? tsc_to_ns(q->complete_tsc - t0_tsc) : 0;
		nr->lazy_on_demand = __atomic_load_n(&q->node->lazy->on_demand, __ATOMIC_RELAXED);
		r->lazy.on_demand += nr->lazy_on_demand;
		if (nr->lazy_complete_ns > r->lazy.complete_ns)
			r->lazy.complete_ns = nr->lazy_complete_ns;
	}
}

/*
 * lazy: the heads part of every node's DRAM on its worker CPUs (one
 * cross-call, the boot CPU waits: every free page is then allocatable);
 * then the rest of every unit (TAILS, the same requests and chunks) and
 * every device, on the worker sets less the boot CPU, while the boot CPU
 * allocates and frees on every node, then helps; the same workload again
 * once every unit is complete.  Each node completes on its own: nothing
 * waits for all nodes but the end of the mode.
 */
static int mode_lazy(struct meminit_run *run, struct meminit_mode_result *r)
{
	struct meminit_lazy_stats *st = &r->lazy;
	uint64_t t0 = now_ns(), t0_tsc = rdtsc(), heads_tsc[NUMA_MAX_NODES];
	uint32_t ndram;
	struct smp_call *h = NULL;
	smp_call_fn fn;
	cpumask_t mask;
	int err = 0;

	if (lazy_arm(run, &ndram))
		return -1;
	assign_requests(run, run->dram_req, ndram, PICK_ALL, &mask);
	fn = set_job(run, run->dram_req, ndram);
	err = smp_call(&mask, fn, &run->job);
	st->boot_cpu_ns = now_ns() - t0;
	for (uint32_t i = 0; i < ndram; i++) {
		struct meminit_request *q = run->dram_req[i];

		if (!meminit_request_complete(q))
			err = err ? err : -1;
		heads_tsc[i] = q->complete_tsc;
		/* the heads part's CPUs count as the node's initializers too */
		cpumask_or(&r->node[q->node->nid].cpus_ran, &q->ran);
		r->node[q->node->nid].cpus_assigned = cpumask_weight(&q->assigned);
		for (uint32_t c = 0; c < q->nchunks; c++) {
			r->node[q->node->nid].lazy_heads_written += q->results[c].pages_written;
			st->heads_written += q->results[c].pages_written;
		}
	}
	st->allocatable_ns = st->boot_cpu_ns;
	if (err) {
		kprintf("meminit: lazy: heads part failed (%d)\n", err);
		return err;
	}
	for (uint32_t i = 0; i < ndram; i++) {
		meminit_request_reset(run->dram_req[i]);
		run->dram_req[i]->part = MM_INIT_TAILS;	/* the reset kept its test aids */
	}
	assign_worker_sets(run, PICK_ALL_BUT_ME, &mask);
	fn = set_job(run, run->req, run->nreq);
	if (cpumask_weight(&mask))
		h = smp_call_start(&mask, fn, &run->job, &err);
	st->during = lazy_workload(run, &st->allocs_while_lazy);
	err = help_and_wait(run, h, err);
	for (uint32_t i = 0; i < run->nreq; i++)
		if (!meminit_request_complete(run->req[i]))
			err = err ? err : -1;
	if (err)
		return err;
	lazy_figures(run, ndram, t0_tsc, heads_tsc, r);
	for (uint32_t nid = 0; nid < run->mm->nnodes; nid++)
		if (!memmap_lazy_done(&run->mm->plan[nid].node)) {
			kprintf("meminit: lazy: node %u: %llu units not complete after the drain\n", nid,
				(unsigned long long)memmap_lazy_pending(&run->mm->plan[nid].node));
			err = -1;
		}
	st->after = lazy_workload(run, &(uint64_t){ 0 });
	return err;
}

/* ---- driver: reset, run, verify ---------------------------------------------- */

/* The kernel's phys-to-virt: every RAM page is identity mapped. */
static void *phys_to_virt_identity(uint64_t phys)
{
	return (void *)phys;
}

/* Verify every node, checksum it, and (self_test) check that an alloc/free
 * round trip leaves the checksum unchanged. */
static bool check_nodes(struct mm_state *mm, struct meminit_mode_result *r, bool self_test)
{
	bool ok = true;

	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node_plan *p = &mm->plan[nid];
		struct meminit_node_result *nr = &r->node[nid];

		if (!mm_plan_has_work(p))
			continue;
		nr->verified = memmap_verify(&p->node, &nr->v) == 0;
		nr->checksum = memmap_checksum(&p->node);
		if (self_test && p->dram.nchunks && (buddy_self_test(&p->node, phys_to_virt_identity) ||
					memmap_checksum(&p->node) != nr->checksum)) {
			kprintf("meminit: node %u: allocator self-test failed\n", nid);
			nr->verified = 0;
		}
		ok &= nr->verified;
	}
	return ok;
}

/* Per-node figures of a finished run from its requests. */
static int collect(struct meminit_run *run, struct meminit_mode_result *r)
{
	int err = 0;

	for (uint32_t i = 0; i < run->nreq; i++) {
		const struct meminit_request *q = run->req[i];
		struct meminit_node_result *nr = &r->node[q->node->nid];
		uint64_t ns = q->end_tsc > q->start_tsc ? tsc_to_ns(q->end_tsc - q->start_tsc) : 0;

		if (ns > nr->ns)	/* requests of a node run side by side: the longest */
			nr->ns = ns;
		if (ns > nr->kind_ns[q->kind])
			nr->kind_ns[q->kind] = ns;
		/* not for lazy's parts: a TAILS chunk whose units allocations
		 * completed takes no time, so its "fastest chunk" says nothing */
		if (q->kind == MEMINIT_KIND_DRAM && q->part == MM_INIT_FULL &&
		    q->chunk_tsc_per_gib != UINT64_MAX)
			nr->chunk_ns_per_gib = tsc_to_ns(q->chunk_tsc_per_gib);
		for (uint32_t c = 0; c < q->nchunks; c++)
			nr->written[q->kind] += q->results[c].pages_written;
		if (cpumask_weight(&q->assigned) > nr->cpus_assigned)
			nr->cpus_assigned = cpumask_weight(&q->assigned);
		cpumask_or(&nr->cpus_ran, &q->ran);
		nr->pages[q->kind] += q->pages;
		if (!meminit_request_complete(q) || __atomic_load_n(&q->failures, __ATOMIC_RELAXED)) {
			kprintf("meminit: node %u %s: %u of %u chunks published, %u refused\n",
				q->node->nid, meminit_kind_names[q->kind],
				__atomic_load_n(&q->next_splice, __ATOMIC_RELAXED), q->nchunks,
				__atomic_load_n(&q->failures, __ATOMIC_RELAXED));
			err = -1;
		}
	}
	return err;
}

/* The fastest chunk of either round, in both: a round is kept whole for
 * its wall time, the chunk figure is the minimum over every round. */
static void keep_fastest_chunk(struct mm_state *mm, struct meminit_mode_result *a,
			       struct meminit_mode_result *b)
{
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		uint64_t x = a->node[nid].chunk_ns_per_gib, y = b->node[nid].chunk_ns_per_gib;

		a->node[nid].chunk_ns_per_gib = b->node[nid].chunk_ns_per_gib = !x || (y && y < x) ? y : x;
	}
}

/* Round `round` of `rounds` of mode into *r: reset, run, collect, verify.
 * The allocator self-test runs in the first round only (every round ends in
 * the same state, the checksums say); the timeline gets a "verify" mark in
 * the last round only (its marks are few). */
static bool run_mode(struct meminit_run *run, uint32_t mode, bool poison, uint32_t round,
		     uint32_t rounds, struct meminit_mode_result *r)
{
	uint64_t t0;
	int err;

	run->phase = meminit_mode_names[mode];
	reset_all(run, poison);
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->ran = true;
	t0 = now_ns();
	switch (mode) {
	case MEMINIT_SERIAL: err = mode_serial(run); break;
	case MEMINIT_HOP: err = mode_hop(run); break;
	case MEMINIT_NODE: err = mode_spread(run, false); break;
	case MEMINIT_PARALLEL: err = mode_spread(run, true); break;
	case MEMINIT_DEFERRED: err = mode_deferred(run, &r->deferred); break;
	default: err = mode_lazy(run, r); break;
	}
	r->ns = mode == MEMINIT_LAZY && !err ? r->lazy.complete_ns : now_ns() - t0;
	if (collect(run, r))
		err = err ? err : -1;
	if (round == rounds - 1)
		timeline_mark_sub(run->cfg->timeline, "verify", meminit_mode_names[mode]);
	r->ok = check_nodes(run->mm, r, round == 0) && !err;
	return r->ok;
}

/*
 * Before a phase reuses run state (requests, free lists, the memmap): a
 * late CPU has finished on it (smp_call_wait() waited for that) and is
 * planned no more.  One that never finished may still write: stop.
 */
static int fence_check(struct mm_state *mm)
{
	if (smp_nstuck()) {
		kprintf("meminit: %u fenced CPUs never finished their late call: "
			"no further phase runs\n", smp_nstuck());
		return -1;
	}
	mm_plan_drop_fenced(mm);
	return 0;
}

/* Checksums of every node equal between two modes. */
static bool same_checksums(const struct mm_state *mm, const struct meminit_mode_result *a,
			   const struct meminit_mode_result *b)
{
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (mm_plan_has_work(&mm->plan[nid]) && a->node[nid].checksum != b->node[nid].checksum)
			return false;
	return true;
}

/*
 * meminit_rounds=K: mode K times on the same memory, each round reset
 * (poisoned when K > 1) as a new mode is, verified and checksummed into
 * scratch; every round's checksums must equal the first round's.  *r keeps
 * the fastest round whole (its node figures too) -- the minimum is the
 * estimator least moved by a vCPU descheduled during one round -- or the
 * first failed one, and every round's time.  Returns whether every round
 * verified; *r's sums_equal says whether all rounds agreed.
 */
static bool run_rounds(struct meminit_run *run, uint32_t mode, bool poison, uint32_t rounds,
		       struct meminit_mode_result *r, struct meminit_mode_result *scratch)
{
	uint64_t ns[MEMINIT_MAX_ROUNDS];
	uint32_t k, best = 0;
	bool ok, same = true;

	kassert(rounds >= 1 && rounds <= MEMINIT_MAX_ROUNDS);
	ok = run_mode(run, mode, poison, 0, rounds, r);
	ns[0] = r->ns;
	for (k = 1; k < rounds; k++) {
		if (fence_check(run->mm)) {
			ok = false;
			break;
		}
		ok &= run_mode(run, mode, poison, k, rounds, scratch);
		ns[k] = scratch->ns;
		keep_fastest_chunk(run->mm, r, scratch);
		if (!same_checksums(run->mm, r, scratch)) {
			kprintf("meminit: mode %s: round %u checksums differ from round 1\n",
				meminit_mode_names[mode], k + 1);
			same = false;
		}
		/* a failed round displaces a good one; among good ones the fastest */
		if (scratch->ok ? r->ok && scratch->ns < r->ns : r->ok) {
			*r = *scratch;
			best = k;
		}
	}
	r->rounds = k;
	r->best_round = best;
	memcpy(r->ns_rounds, ns, k * sizeof(ns[0]));
	r->ok = ok;
	r->sums_equal = same;
	return ok && same;
}

/*
 * An untimed parallel pass of the initializer over all memory before the
 * first timed mode.  Every mode is then timed on memory the CPUs have
 * written before, as the bandwidth figure is: under emulation the first
 * write to each guest page costs tens of microseconds (TCG, measured in
 * docs/bench.md), and the first-run code path is translated; on hardware
 * it is one extra pass.  Its own time is reported: it is the cold figure.
 */
static void warm_up(struct meminit_run *run, struct meminit_warmup *w)
{
	uint64_t t0;
	cpumask_t mask;

	run->phase = "warmup";
	reset_all(run, false);
	assign_worker_sets(run, PICK_ALL, &mask);
	t0 = now_ns();
	call_and_wait(run, &mask);
	w->ns = now_ns() - t0;
	w->cpus = cpumask_weight(&mask);
	w->ran = true;
	for (uint32_t i = 0; i < run->nreq; i++) {
		const struct meminit_request *q = run->req[i];
		uint32_t nid = q->node->nid;
		uint64_t ns = q->end_tsc > q->start_tsc ? tsc_to_ns(q->end_tsc - q->start_tsc) : 0;

		if (ns > w->node_ns[nid])
			w->node_ns[nid] = ns;
		w->node_cpus[nid] = cpumask_weight(&q->assigned);
	}
}

int meminit_run(struct mm_state *mm, const struct meminit_config *cfg,
		struct meminit_results *res)
{
	struct meminit_run *run = &mm->run;
	bool all = cfg->mode == MEMINIT_ALL, ok = true;
	uint32_t rounds = cfg->rounds ? cfg->rounds : 1;

	kassert(smp_this_cpu() == 0 && mm->workers_planned);
	kassert(cfg->mode <= MEMINIT_ALL && rounds <= MEMINIT_MAX_ROUNDS);
	if (rounds > 1 && cfg->deferred_hook) {
		kprintf("meminit: meminit_rounds=%u ignored: memory is hot-added during deferred init\n",
			rounds);
		rounds = 1;
	}
	*run = (struct meminit_run){ .mm = mm, .cfg = cfg };
	res->first = all ? MEMINIT_SERIAL : cfg->mode;
	res->last = all ? MEMINIT_LAZY : cfg->mode;
	for (uint32_t mode = 0; mode < MEMINIT_ALL; mode++)
		res->mode[mode].ran = false;
	timeline_mark(cfg->timeline, "bandwidth");
	meminit_measure_bandwidth(mm, cfg->bw_mb, &res->bw);
	memset(&res->warmup, 0, sizeof(res->warmup));
	if (fence_check(mm))
		return -1;
	timeline_mark(cfg->timeline, "warmup");
	if (cfg->warmup)
		warm_up(run, &res->warmup);
	for (uint32_t mode = res->first; mode <= res->last; mode++) {
		struct meminit_mode_result *r = &res->mode[mode];

		if (fence_check(mm))
			return -1;	/* the modes not run keep ran = false */
		timeline_mark_sub(cfg->timeline, "meminit", meminit_mode_names[mode]);
		run_rounds(run, mode, all || rounds > 1, rounds, r, &res->round);
		if (!same_checksums(mm, &res->mode[res->first], r)) {
			kprintf("meminit: mode %s: checksums differ from mode %s\n",
				meminit_mode_names[mode], meminit_mode_names[res->first]);
			r->sums_equal = false;
		}
		ok &= r->ok && r->sums_equal;
	}
	return ok ? 0 : -1;
}
