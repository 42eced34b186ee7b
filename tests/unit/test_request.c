/*
 * Host test of the init-request protocol (mm/request.c) with real threads
 * (issue 16, item 7): worker threads take one request's chunks through
 * meminit_request_work() while a reader waits for the request to be
 * complete (meminit_request_complete(), acquire) and copies at once what
 * serve/hotplug_step.c hot_step_init() and mm/meminit.c collect() copy: the CPUs
 * that ran it, its first start and last end, its fastest chunk.  Everything a reader copies
 * after seeing complete must already be written: the CPU list non-empty,
 * end_tsc set and not before start_tsc.  Many trials, each a fresh run of
 * the same request over a node reset in between.
 *
 * NUMABOOT_REQUEST_TRIALS sets the number of trials (default below).
 */
#include <pthread.h>
#include "hot_fixture.h"
#include "meminit.h"
#include "host_smp.h"

#define RQ_TRIALS	2000
#define RQ_WORKERS	3
#define RQ_CHUNKS	2
#define RQ_MID		(4 * GiB + 64 * MiB)		/* a MAX_ORDER boundary */
#define RQ_S		(RQ_MID - 8 * PAGE_SIZE)	/* two chunks of 8 pages */
#define RQ_E		(RQ_MID + 8 * PAGE_SIZE)

struct rq {
	struct ht *t;
	struct meminit_request req;
	struct mm_range chunks[RQ_CHUNKS];
	struct memmap_chunk_result res[RQ_CHUNKS];
	uint8_t done[RQ_CHUNKS];
};

struct rq_worker {
	struct rq *q;
	uint32_t cpu;
};

static void *rq_work(void *arg)
{
	struct rq_worker *w = arg;

	host_smp_set_cpu(w->cpu);
	meminit_request_work(&w->q->req);
	return NULL;
}

/* What a reader sees of one run; true when it saw all of it. */
static bool rq_trial(struct rq *q, uint32_t *empty_cpus, uint32_t *bad_times)
{
	struct rq_worker w[RQ_WORKERS];
	pthread_t th[RQ_WORKERS];
	uint64_t start, end, chunk;
	cpumask_t ran;
	bool ok = true;

	memmap_node_reset(&q->t->node);
	meminit_request_reset(&q->req);
	assert_true(q->req.chunk_tsc_per_gib == UINT64_MAX);
	for (uint32_t i = 0; i < RQ_WORKERS; i++) {
		w[i] = (struct rq_worker){ q, i + 1 };
		cpumask_set(&q->req.assigned, i + 1);
	}
	for (uint32_t i = 0; i < RQ_WORKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, rq_work, &w[i]), 0);
	while (!meminit_request_complete(&q->req))
		cpu_relax();
	/* what hot_step_init() copies, at once */
	ran = q->req.ran;
	start = q->req.start_tsc;
	end = q->req.end_tsc;
	chunk = q->req.chunk_tsc_per_gib;	/* what collect() copies */
	for (uint32_t i = 0; i < RQ_WORKERS; i++)
		pthread_join(th[i], NULL);
	if (!cpumask_weight(&ran)) {
		++*empty_cpus;
		ok = false;
	}
	if (!end || start == UINT64_MAX || end < start || chunk == UINT64_MAX || !chunk) {
		++*bad_times;
		ok = false;
	}
	/* after the workers are gone the figures are whole in any case */
	assert_true(cpumask_weight(&q->req.ran) >= 1 && q->req.end_tsc >= q->req.start_tsc);
	assert_int_equal(q->t->node.nr_chunks_spliced, RQ_CHUNKS);
	return ok;
}

/* The node (DRAM [RQ_S, RQ_E)) and its request of two chunks. */
static void rq_setup(struct rq *q)
{
	q->t = ht_create(RQ_S, RQ_E);
	q->chunks[0] = (struct mm_range){ PFN(RQ_S), PFN(RQ_MID) };
	q->chunks[1] = (struct mm_range){ PFN(RQ_MID), PFN(RQ_E) };
	q->req = (struct meminit_request){
		.node = &q->t->node, .kind = MEMINIT_KIND_DRAM, .chunks = q->chunks,
		.nchunks = RQ_CHUNKS, .pages = PFN(RQ_E - RQ_S), .results = q->res, .done = q->done,
		.phase = "test",
	};
}

static void test_figures_written_before_complete(void **state)
{
	struct rq *q = calloc(1, sizeof(*q));
	const char *env = getenv("NUMABOOT_REQUEST_TRIALS");
	uint64_t trials = env ? strtoull(env, NULL, 0) : RQ_TRIALS;
	uint32_t empty_cpus = 0, bad_times = 0, bad = 0;
	struct memmap_verify_result vr;

	(void)state;
	assert_non_null(q);
	rq_setup(q);
	for (uint64_t i = 0; i < trials; i++)
		bad += !rq_trial(q, &empty_cpus, &bad_times);
	printf("test_request: %llu trials, %u workers: CPU list empty %u times, start/end "
	       "not both written %u times\n", (unsigned long long)trials, RQ_WORKERS, empty_cpus,
	       bad_times);
	assert_int_equal(ht_verify(q->t, &vr), 0);
	assert_int_equal(vr.free_pages, PFN(RQ_E - RQ_S) - 1);
	assert_int_equal(bad, 0);
	ht_destroy(q->t);
	free(q);
}

/* The fastest chunk of a run with slow_pct P: each chunk spins P percent of
 * its own time after it, so no slowed chunk is faster than (1 + P/100)
 * times its own initialization, which an unslowed run's fastest chunk
 * approaches from above.  One worker, the minimum of many runs a side. */
static uint64_t rq_fastest_chunk(struct rq *q, uint32_t slow_pct, uint32_t runs)
{
	uint64_t best = UINT64_MAX;

	for (uint32_t i = 0; i < runs; i++) {
		memmap_node_reset(&q->t->node);
		meminit_request_reset(&q->req);
		q->req.slow_pct = slow_pct;
		cpumask_set(&q->req.assigned, 1);
		host_smp_set_cpu(1);
		meminit_request_work(&q->req);
		assert_true(meminit_request_complete(&q->req));
		if (q->req.chunk_tsc_per_gib < best)
			best = q->req.chunk_tsc_per_gib;
	}
	return best;
}

static void test_slow_pct_slows_every_chunk(void **state)
{
	struct rq *q = calloc(1, sizeof(*q));
	uint64_t plain, slowed;

	(void)state;
	assert_non_null(q);
	rq_setup(q);
	plain = rq_fastest_chunk(q, 0, 200);
	slowed = rq_fastest_chunk(q, 400, 200);
	printf("test_request: fastest chunk %llu ticks/GiB, with slow_pct=400 %llu\n",
	       (unsigned long long)plain, (unsigned long long)slowed);
	assert_true(plain > 0 && plain != UINT64_MAX);
	assert_true(slowed >= 2 * plain);
	ht_destroy(q->t);
	free(q);
}

/* Tables for max chunks, as the hot-plug service gets them (one block). */
static struct meminit_tables rq_tables(uint32_t max)
{
	void *mem = aligned_alloc(64, (meminit_tables_bytes(max) + 63) & ~63ULL);

	assert_non_null(mem);
	return meminit_tables_carve(mem, max);
}

/* The constructors build the same request for every kind: chunks from the
 * one chunker, pages, kind and index, reset for a first run; the hot one
 * refuses a bad range by name (what mm_hot_chunks() refused) and too many
 * chunks, and limits the worker set to hot_cpus. */
static void test_constructors(void **state)
{
	struct ht *t = ht_create(4 * GiB, 4 * GiB + 256 * MiB + 4 * MiB);
	struct mm_hot_region *a = ht_region(t, 0, 5 * GiB, 5 * GiB + 64 * MiB, BLK, MM_MEMMAP_DRAM);
	struct mm_hot_region *b = ht_region(t, 1, 6 * GiB, 6 * GiB + 512 * MiB, BLK,
					    MM_MEMMAP_DEVICE);
	struct meminit_tables t4 = rq_tables(4), t3 = rq_tables(3);
	struct meminit_request r;
	struct mm_range plain[4];
	cpumask_t workers;

	(void)state;
	cpumask_clear(&workers);
	for (uint32_t c = 1; c <= 3; c++)
		cpumask_set(&workers, c);
	assert_int_equal(meminit_request_dram(&r, &t->node, &t4), 0);
	assert_int_equal(r.kind, MEMINIT_KIND_DRAM);
	assert_int_equal(r.nchunks, 3);		/* two whole sections and 4 MiB */
	assert_int_equal(memmap_chunks(&t->node, NULL, 0, plain, 4), 3);
	assert_memory_equal(r.chunks, plain, 3 * sizeof(plain[0]));
	assert_int_equal(r.pages, PFN(256 * MiB + 4 * MiB));
	assert_false(meminit_request_complete(&r));
	assert_int_equal(r.start_tsc, UINT64_MAX);

	host_console_reset();
	assert_int_equal(meminit_request_hot(&r, &t->node, 5, a->start_pfn, a->end_pfn, &t4,
					     &workers, 0), -1);
	assert_true(host_console_contains("no such hot region"));
	assert_int_equal(r.nchunks, 0);
	ht_online(t, 0, a->start_pfn, a->start_pfn + BLK);
	assert_int_equal(meminit_request_hot(&r, &t->node, 0, a->start_pfn, a->end_pfn, &t4,
					     &workers, 0), -1);
	assert_true(host_console_contains("a block is not OFFLINE"));
	assert_int_equal(meminit_request_hot(&r, &t->node, 1, b->start_pfn, b->start_pfn + BLK,
					     &t4, &workers, 0), -1);
	assert_true(host_console_contains("not section aligned"));
	assert_int_equal(meminit_request_hot(&r, &t->node, 1, b->start_pfn, b->end_pfn, &t3,
					     &workers, 0), -1);	/* 4 sections, room for 3 */
	assert_int_equal(r.nchunks, 0);

	assert_int_equal(meminit_request_hot(&r, &t->node, 1, b->start_pfn, b->end_pfn, &t4,
					     &workers, 2), 0);
	assert_int_equal(r.kind, MEMINIT_KIND_HOTPLUG);
	assert_int_equal(r.dev, 1);
	assert_int_equal(r.nchunks, 4);
	assert_int_equal(r.pages, b->end_pfn - b->start_pfn);
	for (uint32_t c = 0; c < 4; c++)
		assert_int_equal(r.chunks[c].start_pfn, b->start_pfn + c * PAGES_PER_SECTION);
	assert_int_equal(cpumask_weight(&r.assigned), 2);	/* hot_cpus=2: CPUs 1 and 2 */
	assert_true(cpumask_test(&r.assigned, 1) && cpumask_test(&r.assigned, 2));
	assert_int_equal(meminit_request_hot(&r, &t->node, 1, b->start_pfn, b->end_pfn, &t4,
					     &workers, 0), 0);
	assert_int_equal(cpumask_weight(&r.assigned), 3);
	/* the one wait: pending until the deadline, then the one message */
	assert_int_equal(meminit_request_poll(&r, 5, 5, 7), MEMINIT_POLL_PENDING);
	host_console_reset();
	assert_int_equal(meminit_request_poll(&r, 6, 5, 7), MEMINIT_POLL_TIMED_OUT);
	assert_true(host_console_contains("meminit: node 1 hotplug request: 0 of 4 chunks "
					  "published after 7 ms"));
	meminit_request_work(&r);	/* the boot CPU's shim id: not in assigned, helps anyway */
	assert_true(meminit_request_complete(&r));
	assert_int_equal(meminit_request_poll(&r, 6, 5, 7), MEMINIT_POLL_DONE);
	assert_int_equal(r.failures, 0);
	assert_int_equal(t->node.nr_hot_chunks_spliced, 1 + 4);
	assert_int_equal(ht_verify(t, NULL), 0);
	free(t4.results);
	free(t3.results);
	ht_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constructors),
		cmocka_unit_test(test_figures_written_before_complete),
		cmocka_unit_test(test_slow_pct_slows_every_chunk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
