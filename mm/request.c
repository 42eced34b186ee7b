/*
 * Init requests: the one worker and the chunk protocol every kind of memory
 * and every mode goes through.
 *
 * A CPU in a request's assigned set takes chunks from the request's atomic
 * counter, runs the one range initializer (memmap_init_range) on each, marks
 * the chunk done (release) and publishes every finished chunk that is next in
 * chunk order (splice_ready, under the request's splice_lock, which takes the
 * node lock inside memmap_splice_chunk).  So the node's free lists and
 * counters grow one whole chunk at a time, in the same order whichever CPUs
 * ran which chunk, and never show a half-initialized chunk.
 *
 * Every request is built here, one constructor per kind of memory
 * (meminit_request_dram, _device, _hot: chunks from the one chunker
 * memmap_chunks()), and every wait for one goes through the one poll,
 * meminit_request_poll(), with its one timeout message.
 *
 * All run state lives in the request; the cross-call argument is a
 * struct meminit_job naming the requests.  Requests of different nodes share
 * nothing but the cross-call machinery.  docs/mm.md, "Requests" and
 * "Locking rules".
 */
#include <stdint.h>
#include "atomic.h"
#include "kassert.h"
#include "kprintf.h"
#include "kstring.h"
#include "internal.h"
#include "meminit.h"
#include "smp.h"
#include "tsc.h"
#include "x86.h"

#define GIB_PAGES	((1ULL << 30) >> PAGE_SHIFT)

const char *const meminit_kind_names[MEMINIT_NKINDS] = { "dram", "device", "hotplug" };

/* ---- constructors: every request is built here ---------------------------------- */

uint64_t meminit_tables_bytes(uint32_t max)
{
	return (uint64_t)max * (sizeof(struct memmap_chunk_result) + sizeof(struct mm_range) + 1);
}

struct meminit_tables meminit_tables_carve(void *mem, uint32_t max)
{
	uint8_t *p = mem;
	struct meminit_tables t = { .results = mem, .max = max };

	p += (uint64_t)max * sizeof(struct memmap_chunk_result);
	t.chunks = (struct mm_range *)p;
	t.done = p + (uint64_t)max * sizeof(struct mm_range);
	return t;
}

/* The request of the chunks memmap_chunks() cuts from ranges (NULL: the
 * node's boot DRAM) into t, reset for its first run; -1 (nchunks 0) when
 * they do not fit. */
static int request_build(struct meminit_request *r, struct mm_node *node, uint32_t kind,
			 uint32_t idx, const struct mm_range *ranges, uint32_t nr,
			 const struct meminit_tables *t)
{
	uint32_t n = memmap_chunks(node, ranges, nr, t->chunks, t->max);

	*r = (struct meminit_request){ .node = node, .kind = kind, .dev = idx, .chunks = t->chunks,
				       .results = t->results, .done = t->done };
	if (n > t->max)
		return -1;
	r->nchunks = n;
	for (uint32_t c = 0; c < n; c++)
		r->pages += r->chunks[c].end_pfn - r->chunks[c].start_pfn;
	meminit_request_reset(r);
	return 0;
}

int meminit_request_dram(struct meminit_request *r, struct mm_node *node,
			 const struct meminit_tables *t)
{
	return request_build(r, node, MEMINIT_KIND_DRAM, 0, NULL, 0, t);
}

int meminit_request_device(struct meminit_request *r, struct mm_node *node, uint32_t dev,
			   const struct meminit_tables *t)
{
	kassert(dev < node->nr_dev);
	return request_build(r, node, MEMINIT_KIND_DEVICE, dev,
			     &(struct mm_range){ node->dev[dev].start_pfn, node->dev[dev].end_pfn }, 1,
			     t);
}

int meminit_request_hot(struct meminit_request *r, struct mm_node *node, uint32_t h, uint64_t s,
			uint64_t e, const struct meminit_tables *t, const cpumask_t *workers,
			uint32_t max_cpus)
{
	const char *why = mm_hot_range_problem(node, h, s, e, MM_HOT_OFFLINE);

	if (why) {
		kprintf("memmap: node %u: hot range [0x%llx, 0x%llx) of region %u refused: %s\n",
			node->nid, (unsigned long long)s, (unsigned long long)e, h, why);
		*r = (struct meminit_request){ .node = node, .kind = MEMINIT_KIND_HOTPLUG, .dev = h };
		return -1;
	}
	if (request_build(r, node, MEMINIT_KIND_HOTPLUG, h, &(struct mm_range){ s, e }, 1, t))
		return -1;
	r->assigned = *workers;
	if (max_cpus)	/* hot_cpus=N (a bench aid): the first N workers */
		for (uint32_t c = 0, n = 0; c < SMP_MAX_CPUS; c++)
			if (cpumask_test(&r->assigned, c) && ++n > max_cpus)
				cpumask_unset(&r->assigned, c);
	return 0;
}

/* Plain stores: the request is quiescent (no worker on it), and the
 * requester publishes it afterwards with a release (the cross-call's queue
 * unlock, or a hot slot's release store) that orders them all. */
void meminit_request_reset(struct meminit_request *r)
{
	kassert(!r->nchunks || r->done);
	cpumask_clear(&r->assigned);
	r->next_chunk = 0;
	r->failures = 0;
	r->start_tsc = UINT64_MAX;
	r->end_tsc = 0;
	r->chunk_tsc_per_gib = UINT64_MAX;
	cpumask_clear(&r->ran);
	r->splice_lock = (struct spinlock)SPINLOCK_INIT;
	r->next_splice = 0;
	r->complete_tsc = 0;
	r->complete = r->nchunks == 0;
	r->part = MM_INIT_FULL;
	if (r->nchunks)
		memset(r->done, 0, r->nchunks);
}

/*
 * Publish every finished chunk that is next in chunk order.  Any CPU.
 * Pairs: the acquire load of done[c] pairs with the release store in
 * run_chunk() (results[c], the chunk's pages and the figures its worker
 * wrote are visible here); the release store of complete pairs with the
 * acquire load in meminit_request_complete().  Since every chunk's done[]
 * release was acquired by this CPU or by an earlier holder of splice_lock
 * (whose unlock this lock acquired), a reader that sees complete sees every
 * chunk, start_tsc, end_tsc and ran in their final state.
 */
static void splice_ready(struct meminit_request *r)
{
	spin_lock(&r->splice_lock);
	while (r->next_splice < r->nchunks &&
	       __atomic_load_n(&r->done[r->next_splice], __ATOMIC_ACQUIRE)) {
		if (r->part != MM_INIT_TAILS)	/* completed units publish nothing */
			memmap_splice_chunk(r->node, &r->results[r->next_splice]);
		/* relaxed store: a failed wait reports it without the lock */
		__atomic_store_n(&r->next_splice, r->next_splice + 1, __ATOMIC_RELAXED);
		if (r->next_splice == r->nchunks) {
			r->complete_tsc = rdtsc();
			__atomic_store_n(&r->complete, 1, __ATOMIC_RELEASE);
		}
	}
	spin_unlock(&r->splice_lock);
}

/* debug_slow_pct (a test aid): spin pct percent of the ticks since t0. */
static void spin_pct_since(uint64_t t0, uint32_t pct)
{
	uint64_t spin = (rdtsc() - t0) * pct / 100, t1 = rdtsc();

	while (rdtsc() - t1 < spin)
		cpu_relax();
}

/*
 * Initialize chunk c (with debug_slow_pct, then spin that percent of the
 * time it took: the chunk is that much slower, its memory the same), keep
 * its ticks per GiB of pfns if it is the request's fastest chunk so far,
 * stretch the request's end to now and mark the chunk done: the fastest
 * chunk and the end are written before the release that hands the chunk
 * to its publisher, so they are final once the request is complete.
 */
static void run_chunk(struct meminit_request *r, uint32_t c)
{
	uint64_t pages = r->chunks[c].end_pfn - r->chunks[c].start_pfn, t0 = rdtsc(), t1;

	for (uint32_t i = 0; i < (r->init_repeat ? r->init_repeat : 1); i++)	/* a test aid */
		if (memmap_init_range_part(r->node, r->chunks[c].start_pfn, r->chunks[c].end_pfn,
					   r->part, &r->results[c]))
			__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
	if (r->slow_pct)
		spin_pct_since(t0, r->slow_pct);
	t1 = rdtsc();
	atomic_min_u64(&r->chunk_tsc_per_gib, (t1 - t0) * GIB_PAGES / pages);
	atomic_max_u64(&r->end_tsc, t1);
	/* release: pairs with the acquire load of done[c] in splice_ready() */
	__atomic_store_n(&r->done[c], 1, __ATOMIC_RELEASE);
	splice_ready(r);
}

/* The next chunk below limit, or UINT32_MAX when none is left. */
static uint32_t take_chunk(struct meminit_request *r, uint32_t limit)
{
	uint32_t c = __atomic_load_n(&r->next_chunk, __ATOMIC_RELAXED);

	do {
		if (c >= limit)
			return UINT32_MAX;
	} while (!__atomic_compare_exchange_n(&r->next_chunk, &c, c + 1, 0, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return c;
}

/*
 * Only a CPU that initializes something moves the request's figures (a
 * live CPU polling a finished request must not stretch them), and it moves
 * them before it marks its chunks done: its start and its bit in ran when
 * it takes its first chunk, the end in run_chunk() before each done[]
 * release.  So nothing of the request is written after complete is set
 * but this CPU's timeline span (ordered for the timeline's reader by the
 * cross-call's completion, not by complete).
 */
void meminit_request_work_first(struct meminit_request *r, uint32_t limit)
{
	uint32_t cpu = smp_this_cpu(), c;
	uint64_t t0 = 0;

	if (limit > r->nchunks)
		limit = r->nchunks;
	while ((c = take_chunk(r, limit)) != UINT32_MAX) {
		if (!t0) {
			t0 = rdtsc();
			atomic_min_u64(&r->start_tsc, t0);
			cpumask_set_atomic(&r->ran, cpu);
		}
		run_chunk(r, c);
	}
	if (t0)
		timeline_span_cpu(r->timeline, "meminit", r->phase, cpu, t0, rdtsc());
}

void meminit_request_work(struct meminit_request *r)
{
	meminit_request_work_first(r, r->nchunks);
}

void meminit_worker(void *arg)
{
	const struct meminit_job *job = arg;
	uint32_t cpu = smp_this_cpu();

	for (uint32_t i = 0; i < job->nreq; i++)
		if (cpumask_test(&job->req[i]->assigned, cpu))
			meminit_request_work(job->req[i]);
}

bool meminit_request_complete(const struct meminit_request *r)
{
	return __atomic_load_n(&r->complete, __ATOMIC_ACQUIRE);
}

enum meminit_poll meminit_request_poll(const struct meminit_request *r, uint64_t now,
				      uint64_t deadline, uint64_t budget_ms)
{
	if (meminit_request_complete(r))
		return MEMINIT_POLL_DONE;
	if (now <= deadline)
		return MEMINIT_POLL_PENDING;
	/* next_splice is (S), stored relaxed so that this unlocked read is an atomic one */
	kprintf("meminit: node %u %s request: %u of %u chunks published after %llu ms\n",
		r->node->nid, meminit_kind_names[r->kind],
		__atomic_load_n(&r->next_splice, __ATOMIC_RELAXED), r->nchunks,
		(unsigned long long)budget_ms);
	return MEMINIT_POLL_TIMED_OUT;
}

int meminit_request_wait(struct meminit_request *r, uint64_t timeout_ms)
{
	enum meminit_poll st;
	uint64_t deadline;

	meminit_request_work(r);
	deadline = now_ns() + timeout_ms * 1000000ULL;
	while ((st = meminit_request_poll(r, now_ns(), deadline, timeout_ms)) ==
	       MEMINIT_POLL_PENDING)
		cpu_relax();
	return st == MEMINIT_POLL_DONE ? 0 : -1;
}
