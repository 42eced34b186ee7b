/*
 * hostbench: one timed pass with pinned threads.  An init pass is the
 * kernel's chunk worker (mm/request.c take_chunk/run_chunk/splice_ready/
 * meminit_request_work): every thread takes the node's chunks from one
 * atomic counter, runs
 * memmap_init_range() on each, marks it done (release) and splices every
 * finished chunk that is next in chunk order under the splice lock.  A
 * bandwidth pass writes the node's memmap (its present sections, 2 MiB
 * each) with one of the kernel's store loops (bw_store.h), each thread a
 * contiguous share of the sections, as mm/bandwidth.c gives each CPU a
 * slice.  Both time from the earliest thread start after a start barrier
 * to the latest thread end, as the kernel does.
 *
 * Called by the main thread; the pass state lives on its stack.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include "atomic.h"
#include "bw_store.h"
#include "hostbench.h"
#include "kprintf.h"
#include "spinlock.h"

#define HB_BARRIER_TIMEOUT_NS	(10ULL * 1000 * 1000 * 1000)

const char *const hb_store_names[HB_NSTORES] = { "plain", "nontemporal", "rep_stos" };

struct hb_pass {
	struct hb_node *n;
	int init;			/* (C) 1: init pass, 0: bandwidth pass */
	enum hb_store method;		/* (C) bandwidth pass */
	uint32_t threads;		/* (C) */
	uint32_t arrived;		/* (A) start barrier */
	uint32_t next_chunk;		/* (A) next chunk to take */
	uint32_t next_splice;		/* under splice_lock */
	struct spinlock splice_lock;
	uint32_t failures;		/* (A) chunks refused, barrier timeouts */
	uint64_t start_ns;		/* (A) min over threads */
	uint64_t end_ns;		/* (A) max over threads */
};

struct hb_thread {
	struct hb_pass *p;
	uint32_t idx;
	pthread_t tid;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* splice_ready() of mm/request.c: the acquire load of done[] pairs with the
 * release store in run_chunk(). */
static void splice_ready(struct hb_pass *p)
{
	struct hb_node *n = p->n;

	spin_lock(&p->splice_lock);
	while (p->next_splice < n->lay->nchunks &&
	       __atomic_load_n(&n->done[p->next_splice], __ATOMIC_ACQUIRE)) {
		memmap_splice_chunk(&n->node, &n->results[p->next_splice]);
		p->next_splice++;
	}
	spin_unlock(&p->splice_lock);
}

static void run_chunk(struct hb_pass *p, uint32_t c)
{
	struct hb_node *n = p->n;

	if (memmap_init_range(&n->node, n->chunks[c].start_pfn, n->chunks[c].end_pfn,
			      &n->results[c]))
		__atomic_fetch_add(&p->failures, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&n->done[c], 1, __ATOMIC_RELEASE);
	splice_ready(p);
}

/* take_chunk() of mm/request.c: the next chunk, UINT32_MAX when none is left. */
static uint32_t take_chunk(struct hb_pass *p, uint32_t limit)
{
	uint32_t c = __atomic_load_n(&p->next_chunk, __ATOMIC_RELAXED);

	do {
		if (c >= limit)
			return UINT32_MAX;
	} while (!__atomic_compare_exchange_n(&p->next_chunk, &c, c + 1, 0, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return c;
}

/* meminit_request_work() of mm/request.c. */
static void work_node(struct hb_pass *p)
{
	uint32_t c;

	while ((c = take_chunk(p, p->n->lay->nchunks)) != UINT32_MAX)
		run_chunk(p, c);
}

/* Thread idx's share of the present sections, written with one loop. */
static void bw_share(struct hb_pass *p, uint32_t idx)
{
	const struct hb_node *n = p->n;
	uint64_t s = n->lay->sections, first = s * idx / p->threads, last = s * (idx + 1) / p->threads;
	uint64_t sec = pfn_to_section_nr(n->lay->start_pfn), k = 0;

	for (; sec <= pfn_to_section_nr(n->lay->end_pfn - 1) && k < last; sec++) {
		uint64_t a = section_memmap_vaddr(sec);

		if (!memmap_section_present(&n->node, sec) || k++ < first)
			continue;
		if (p->method == HB_PLAIN)
			bw_store_plain(a, a + SECTION_MEMMAP_BYTES);
		else if (p->method == HB_NONTEMPORAL)
			bw_store_nontemporal(a, a + SECTION_MEMMAP_BYTES);
		else
			bw_store_rep_stos(a, a + SECTION_MEMMAP_BYTES);
	}
}

static void *hb_worker(void *arg)
{
	struct hb_thread *t = arg;
	struct hb_pass *p = t->p;
	uint64_t deadline = now_ns() + HB_BARRIER_TIMEOUT_NS;

	__atomic_fetch_add(&p->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&p->arrived, __ATOMIC_ACQUIRE) < p->threads)
		if (now_ns() > deadline) {
			__atomic_fetch_add(&p->failures, 1, __ATOMIC_RELAXED);
			break;
		}
	atomic_min_u64(&p->start_ns, now_ns());
	if (p->init)
		work_node(p);
	else
		bw_share(p, t->idx);
	atomic_max_u64(&p->end_ns, now_ns());
	return NULL;
}

static int start_thread(struct hb_thread *t, const struct hb_cpus *cpus)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int rc;

	CPU_ZERO(&set);
	CPU_SET(cpus->cpu[t->idx % cpus->n], &set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	rc = pthread_create(&t->tid, &attr, hb_worker, t);
	pthread_attr_destroy(&attr);
	return rc;
}

static uint64_t run_pass(struct hb_pass *p, const struct hb_cpus *cpus)
{
	struct hb_thread *th;
	uint32_t started = 0;

	p->start_ns = UINT64_MAX;
	p->splice_lock = (struct spinlock)SPINLOCK_INIT;
	if (!p->threads || p->threads > HB_MAX_CPUS || !cpus->n)
		return 0;
	th = calloc(p->threads, sizeof(*th));
	if (!th)
		return 0;
	for (; started < p->threads; started++) {
		th[started] = (struct hb_thread){ .p = p, .idx = started };
		if (start_thread(&th[started], cpus))
			break;
	}
	if (started < p->threads)	/* those started time out at the barrier */
		kprintf("hostbench: cannot start thread %u of %u\n", started, p->threads);
	for (uint32_t i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	free(th);
	if (p->failures || started < p->threads) {
		kprintf("hostbench: pass failed (%u chunk or barrier failures)\n", p->failures);
		return 0;
	}
	return p->end_ns > p->start_ns ? p->end_ns - p->start_ns : 1;
}

uint64_t hb_init_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads)
{
	struct hb_pass p = { .n = n, .init = 1, .threads = threads };
	uint64_t ns;

	if (hb_node_reset(n))
		return 0;
	ns = run_pass(&p, cpus);
	if (ns && p.next_splice != n->lay->nchunks) {
		kprintf("hostbench: %u of %u chunks spliced\n", p.next_splice, n->lay->nchunks);
		return 0;
	}
	return ns;
}

uint64_t hb_bw_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads,
		    enum hb_store method)
{
	struct hb_pass p = { .n = n, .init = 0, .method = method, .threads = threads };

	return run_pass(&p, cpus);
}
