/*
 * hostbench: one timed pass with pinned threads.  An init pass (full, or
 * meminit=lazy's heads or tails part) runs the kernel's own chunk worker: every thread calls meminit_request_work() of
 * mm/request.c on the node's DRAM request, as each worker CPU does in the
 * kernel's cross-call, so chunks come from the request's atomic counter,
 * go through memmap_init_range() and are spliced in chunk order.  A
 * bandwidth pass writes the node's memmap (its present sections, 2 MiB
 * each) with one of the kernel's store loops (bw_store.h), each thread a
 * contiguous share of the sections, as mm/bandwidth.c gives each CPU a
 * slice.  Both time (CLOCK_MONOTONIC) from the earliest thread start after
 * a start barrier to the latest thread end, as the kernel does.
 *
 * Called by the main thread; the pass state lives on its stack.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include "atomic.h"
#include "bw_store.h"
#include "host_smp.h"
#include "hostbench.h"
#include "kprintf.h"
#include "meminit.h"
#include "tsc.h"

#define HB_BARRIER_TIMEOUT_NS	(10ULL * 1000 * 1000 * 1000)

const char *const hb_store_names[HB_NSTORES] = { "plain", "nontemporal", "rep_stos" };

struct hb_pass {
	struct hb_node *n;
	int init;			/* (C) 1: init pass, 0: bandwidth pass */
	enum hb_store method;		/* (C) bandwidth pass */
	uint32_t threads;		/* (C) */
	uint32_t arrived;		/* (A) start barrier */
	uint32_t failures;		/* (A) barrier timeouts */
	uint64_t start_ns;		/* (A) min over threads */
	uint64_t end_ns;		/* (A) max over threads */
};

struct hb_thread {
	struct hb_pass *p;
	uint32_t idx;
	pthread_t tid;
};

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
		bw_store(p->method, a, a + SECTION_MEMMAP_BYTES);
	}
}

static void *hb_worker(void *arg)
{
	struct hb_thread *t = arg;
	struct hb_pass *p = t->p;
	uint64_t deadline = now_ns() + HB_BARRIER_TIMEOUT_NS;

	host_smp_set_cpu(t->idx);
	__atomic_fetch_add(&p->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&p->arrived, __ATOMIC_ACQUIRE) < p->threads)
		if (now_ns() > deadline) {
			__atomic_fetch_add(&p->failures, 1, __ATOMIC_RELAXED);
			break;
		}
	atomic_min_u64(&p->start_ns, now_ns());
	if (p->init)
		meminit_request_work(&p->n->req);
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
		kprintf("hostbench: pass failed (%u barrier timeouts)\n", p->failures);
		return 0;
	}
	return p->end_ns > p->start_ns ? p->end_ns - p->start_ns : 1;
}

/* The request's logical CPUs 0..threads-1 take its chunks (pass thread i
 * is logical CPU i, tests/unit/host_smp.c). */
uint64_t hb_init_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads)
{
	struct hb_pass p = { .n = n, .init = 1, .threads = threads };
	struct meminit_request *r = &n->req;
	uint64_t ns;

	if (hb_node_reset(n))
		return 0;
	for (uint32_t i = 0; i < threads && i < SMP_MAX_CPUS; i++)
		cpumask_set(&r->assigned, i);
	ns = run_pass(&p, cpus);
	if (ns && (r->failures || !meminit_request_complete(r))) {
		kprintf("hostbench: %u of %u chunks spliced, %u refused\n", r->next_splice,
			r->nchunks, r->failures);
		return 0;
	}
	return ns;
}

uint64_t hb_lazy_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads,
		      enum mm_init_part part, uint64_t *written)
{
	struct hb_pass p = { .n = n, .init = 1, .threads = threads };
	struct meminit_request *r = &n->req;
	uint64_t ns;

	*written = 0;
	if (part == MM_INIT_HEADS) {
		if (hb_node_reset(n))
			return 0;
		memmap_node_set_lazy(&n->node, &n->lz, n->lazy_states);
		if (memmap_lazy_arm(&n->node))
			return 0;
	} else {
		if (part != MM_INIT_TAILS || !n->node.lazy || !meminit_request_complete(r))
			return 0;	/* tails only after this node's heads */
		meminit_request_reset(r);
	}
	r->part = part;
	for (uint32_t i = 0; i < threads && i < SMP_MAX_CPUS; i++)
		cpumask_set(&r->assigned, i);
	ns = run_pass(&p, cpus);
	if (ns && (r->failures || !meminit_request_complete(r) ||
		   (part == MM_INIT_TAILS && !memmap_lazy_done(&n->node)))) {
		kprintf("hostbench: lazy %s: %u of %u chunks done, %u refused, %llu units pending\n",
			part == MM_INIT_HEADS ? "heads" : "tails", r->next_splice, r->nchunks,
			r->failures, (unsigned long long)memmap_lazy_pending(&n->node));
		return 0;
	}
	for (uint32_t c = 0; c < r->nchunks; c++)
		*written += r->results[c].pages_written;
	return ns;
}

uint64_t hb_bw_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads,
		    enum hb_store method)
{
	struct hb_pass p = { .n = n, .init = 0, .method = method, .threads = threads };

	return run_pass(&p, cpus);
}
