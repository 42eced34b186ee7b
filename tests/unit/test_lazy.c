/*
 * Host tests of lazy struct pages (mm/lazy.c, the HEADS and TAILS parts of
 * the range initializer, the allocator's on-demand completion; docs/mm.md
 * "Lazy struct pages") on the fake machine of test_memmap.c.
 *
 * Every lazy init starts from struct pages scribbled over (0xa5), so a page
 * neither part writes is caught by the verifier; every end state is held
 * against the checksum of a full (eager) init of the same node.  The race
 * test (also built under ThreadSanitizer, make tsan) runs background
 * drain threads against allocator threads on the same node.
 */
#define MM_FIXTURE_ONLY
#include <sched.h>
#include "test_memmap.c"
#include "../../mm/internal.h"

#define LZ_ALLOCS	512
#define RACE_HEAD_START	4	/* allocations before the drain threads start */

struct lazy_store {
	struct mm_lazy lz[FM_NODES];
	uint8_t *states[FM_NODES];
};

static struct lazy_store *lazy_store_new(struct fake_machine *m)
{
	struct lazy_store *ls = calloc(1, sizeof(*ls));

	assert_non_null(ls);
	for (uint32_t nid = 0; nid < FM_NODES; nid++) {
		struct mm_node *n = &m->n[nid].node;

		ls->states[nid] = malloc(memmap_lazy_bytes(n->start_pfn, n->end_pfn));
		assert_non_null(ls->states[nid]);
	}
	return ls;
}

static void lazy_store_free(struct lazy_store *ls)
{
	for (uint32_t nid = 0; nid < FM_NODES; nid++)
		free(ls->states[nid]);
	free(ls);
}

/* Fresh node, lazy states given, every struct page of its chunks
 * scribbled over, units armed.  fm_node_reset() re-describes the node
 * (its owned list too: callers that set one set it again before this). */
static void lazy_prepare(struct fake_machine *m, struct lazy_store *ls, uint32_t nid)
{
	struct fm_node *fn = &m->n[nid];

	memmap_node_set_lazy(&fn->node, &ls->lz[nid], ls->states[nid]);
	for (uint32_t c = 0; c < fn->nr_chunks; c++)
		memmap_poison_range(&fn->node, fn->chunks[c].start_pfn, fn->chunks[c].end_pfn, 0xa5);
	assert_int_equal(memmap_lazy_arm(&fn->node), 0);
	assert_true(memmap_lazy_pending(&fn->node) > 0);
}

/* The HEADS part of chunks [from, to), spliced in chunk order; returns the
 * struct pages written. */
static uint64_t lazy_heads(struct fm_node *fn, uint32_t from, uint32_t to)
{
	uint64_t written = 0;

	for (uint32_t c = from; c < to; c++) {
		assert_int_equal(memmap_init_range_part(&fn->node, fn->chunks[c].start_pfn,
							fn->chunks[c].end_pfn, MM_INIT_HEADS,
							&fn->res[c]), 0);
		written += fn->res[c].pages_written;
		memmap_splice_chunk(&fn->node, &fn->res[c]);
	}
	return written;
}

static void lazy_drain(struct fm_node *fn)
{
	struct memmap_chunk_result res;

	for (uint32_t c = 0; c < fn->nr_chunks; c++)
		assert_int_equal(memmap_init_range_part(&fn->node, fn->chunks[c].start_pfn,
							fn->chunks[c].end_pfn, MM_INIT_TAILS,
							&res), 0);
}

static uint64_t full_checksum(struct fake_machine *m, uint32_t nid)
{
	fm_init_serial(m, nid);
	assert_int_equal(fm_verify(m, nid), 0);
	return memmap_checksum(&m->n[nid].node);
}

static uint64_t node_pages(const struct fm_node *fn)
{
	uint64_t n = 0;

	for (uint32_t c = 0; c < fn->nr_chunks; c++)
		n += fn->chunks[c].end_pfn - fn->chunks[c].start_pfn;
	return n;
}

/* HEADS then TAILS gives the full init's state; before TAILS the verifier
 * refuses the node, and HEADS wrote a small fraction of the pages. */
static void test_heads_then_tails_equals_full(void **state)
{
	struct fake_machine *m = fm_create();
	struct lazy_store *ls = lazy_store_new(m);

	(void)state;
	for (uint32_t nid = 0; nid < FM_NODES; nid++) {
		struct fm_node *fn = &m->n[nid];
		uint64_t full = full_checksum(m, nid), heads, free_full = fn->node.nr_free_pages;

		fm_node_reset(m, nid);
		lazy_prepare(m, ls, nid);
		heads = lazy_heads(fn, 0, fn->nr_chunks);
		assert_int_equal(fn->node.nr_free_pages, free_full);	/* all allocatable */
		assert_true(heads * 100 < node_pages(fn));		/* < 1 % written */
		assert_false(memmap_lazy_done(&fn->node));
		assert_int_not_equal(fm_verify(m, nid), 0);		/* tails unwritten */
		lazy_drain(fn);
		assert_true(memmap_lazy_done(&fn->node));
		assert_int_equal(fm_verify(m, nid), 0);
		assert_int_equal(memmap_checksum(&fn->node), full);
	}
	lazy_store_free(ls);
	fm_destroy(m);
}

/* An allocation from a LAZY unit completes that unit first (exactly the
 * unit: the others stay LAZY); alloc, free, drain: the full init's state. */
static void test_alloc_completes_its_unit(void **state)
{
	struct fake_machine *m = fm_create();
	struct lazy_store *ls = lazy_store_new(m);
	struct fm_node *fn = &m->n[0];
	struct mm_node *node = &fn->node;
	uint64_t full = full_checksum(m, 0), pfns[NR_ORDERS][3], pending;

	(void)state;
	fm_node_reset(m, 0);
	lazy_prepare(m, ls, 0);
	lazy_heads(fn, 0, fn->nr_chunks);
	pending = memmap_lazy_pending(node);
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		for (unsigned i = 0; i < 3; i++) {
			uint64_t pfn = buddy_alloc_pages(node, o);
			const struct page *p = pfn_to_page(pfn);

			assert_int_not_equal(pfn, PFN_NONE);
			assert_true(mm_lazy_unit_complete(node, mm_lazy_unit(node, pfn)));
			assert_int_equal(p->refcount, 1);
			assert_int_equal(p->flags & PG_FLAGS_MASK, 0);
			if (o)	/* the last page of the block: a tail, written by the unit */
				assert_int_equal(pfn_to_page(pfn + (1ULL << o) - 1)->refcount, 0);
			pfns[o][i] = pfn;
		}
	assert_true(__atomic_load_n(&ls->lz[0].on_demand, __ATOMIC_RELAXED) > 0);
	assert_int_equal(memmap_lazy_pending(node),
			 pending - __atomic_load_n(&ls->lz[0].on_demand, __ATOMIC_RELAXED));
	assert_true(memmap_lazy_pending(node) > 0);
	for (int o = MAX_ORDER; o >= 0; o--)
		for (int i = 2; i >= 0; i--)
			buddy_free_pages(node, pfns[o][i], (unsigned)o);
	lazy_drain(fn);
	assert_int_equal(fm_verify(m, 0), 0);
	assert_int_equal(memmap_checksum(node), full);
	lazy_store_free(ls);
	fm_destroy(m);
}

/* A drain that misses one unit leaves a node the verifier refuses. */
static void test_unit_left_lazy_is_caught(void **state)
{
	struct fake_machine *m = fm_create();
	struct lazy_store *ls = lazy_store_new(m);
	struct fm_node *fn = &m->n[2];
	struct memmap_chunk_result res;
	struct memmap_verify_result vr;

	(void)state;
	fm_node_reset(m, 2);
	lazy_prepare(m, ls, 2);
	lazy_heads(fn, 0, fn->nr_chunks);
	for (uint32_t c = 0; c < fn->nr_chunks; c++) {
		uint64_t s = fn->chunks[c].start_pfn + (c == 0 ? MM_LAZY_UNIT_PAGES : 0);

		assert_int_equal(memmap_init_range_part(&fn->node, s, fn->chunks[c].end_pfn,
							MM_INIT_TAILS, &res), 0);
	}
	assert_int_equal(memmap_lazy_pending(&fn->node), 1);
	assert_int_not_equal(memmap_verify(&fn->node, &vr), 0);
	/* the one lazy unit, and its 1023 unwritten tails */
	assert_true(vr.errors >= MM_LAZY_UNIT_PAGES);
	lazy_store_free(ls);
	fm_destroy(m);
}

/* Parts other than FULL are refused where laziness is undefined: a node
 * without unit states. */
static void test_parts_refused_without_states(void **state)
{
	struct fake_machine *m = fm_create();
	struct fm_node *fn = &m->n[1];
	struct memmap_chunk_result res;

	(void)state;
	fm_node_reset(m, 1);
	assert_int_equal(memmap_init_range_part(&fn->node, fn->chunks[0].start_pfn,
						fn->chunks[0].end_pfn, MM_INIT_HEADS, &res), -1);
	assert_int_equal(res.free_pages, 0);
	assert_int_equal(memmap_lazy_arm(&fn->node), -1);
	fm_destroy(m);
}

/* Two owned ranges of one node sharing a unit (another node's 2 MiB
 * between them): an allocation from the first completes the unit, the
 * second's tails too, before the second's heads are written; the end
 * state is the full init's. */
static void test_unit_shared_by_two_owned_ranges(void **state)
{
	struct fake_machine *m = fm_create();
	struct lazy_store *ls = lazy_store_new(m);
	struct fm_node *fn = &m->n[2];
	uint64_t s = 16 * GiB >> PAGE_SHIFT, full, pfn;
	struct mm_range owned[2] = { { s, s + (1 * MiB >> PAGE_SHIFT) },
				     { s + (3 * MiB >> PAGE_SHIFT), fn->usable[0].end_pfn } };

	(void)state;
	assert_int_equal(fn->nr_usable, 1);
	fn->usable[1] = owned[1];
	fn->usable[0] = owned[0];
	fn->nr_usable = 2;
	fm_node_reset(m, 2);
	/* the 2 MiB between the ranges is another node's: not this one's RAM */
	assert_int_equal(memmap_node_init(&fn->node, 2, fn->node.start_pfn, fn->node.end_pfn,
					  fn->present, fn->nr_present, fn->usable, fn->nr_usable,
					  fn->node.ram_usable_pages - (2 * MiB >> PAGE_SHIFT),
					  fn->node.early_reserved_pages, fn->pageblock_mt), 0);
	assert_int_equal(memmap_node_set_owned(&fn->node, owned, 2), 0);
	fn->nr_chunks = memmap_chunks(&fn->node, NULL, 0, fn->chunks, FM_MAX_CHUNKS);
	for (uint32_t c = 0; c < fn->nr_chunks; c++) {
		assert_int_equal(memmap_init_range(&fn->node, fn->chunks[c].start_pfn,
						   fn->chunks[c].end_pfn, &fn->res[c]), 0);
		memmap_splice_chunk(&fn->node, &fn->res[c]);
	}
	assert_int_equal(fm_verify(m, 2), 0);
	full = memmap_checksum(&fn->node);

	memmap_node_reset(&fn->node);
	lazy_prepare(m, ls, 2);
	assert_int_equal(fn->chunks[0].end_pfn, owned[0].end_pfn);
	lazy_heads(fn, 0, 1);
	pfn = buddy_alloc_pages_zone(&fn->node, ZONE_NORMAL, 0);
	assert_true(pfn >= owned[0].start_pfn && pfn < owned[0].end_pfn);
	/* the second range's first pages are tails of its first block: written */
	assert_int_equal(pfn_to_page(owned[1].start_pfn + 1)->refcount, 0);
	assert_int_equal(pfn_to_page(owned[1].start_pfn + 1)->next_pfn, PFN_NONE);
	lazy_heads(fn, 1, fn->nr_chunks);
	buddy_free_pages(&fn->node, pfn, 0);
	lazy_drain(fn);
	assert_int_equal(fm_verify(m, 2), 0);
	assert_int_equal(memmap_checksum(&fn->node), full);
	lazy_store_free(ls);
	fm_destroy(m);
}

/* ---- the race: drain threads against allocator threads ---------------------- */

struct race {
	struct fm_node *fn;
	uint32_t next_chunk;		/* (A) the drain's next chunk */
	uint32_t drained;		/* (A) drain threads finished */
	uint32_t allocs;		/* (A) blocks the allocators took; the drain starts after a few */
	int failures;			/* (A) */
	uint64_t seed[2];
};

static void *race_drain(void *arg)
{
	struct race *r = arg;
	struct memmap_chunk_result *res = malloc(sizeof(*res));
	uint32_t c;

	assert_non_null(res);
	while (__atomic_load_n(&r->allocs, __ATOMIC_ACQUIRE) < RACE_HEAD_START)
		sched_yield();	/* so the allocators meet lazy units whatever the scheduler does */
	while ((c = __atomic_fetch_add(&r->next_chunk, 1, __ATOMIC_RELAXED)) < r->fn->nr_chunks)
		if (memmap_init_range_part(&r->fn->node, r->fn->chunks[c].start_pfn,
					   r->fn->chunks[c].end_pfn, MM_INIT_TAILS, res))
			__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->drained, 1, __ATOMIC_RELEASE);
	free(res);
	return NULL;
}

/* Allocate and free (random orders, up to LZ_ALLOCS held) until the drain
 * is over and a little after; every block taken lies in a COMPLETE unit
 * and looks allocated.  Frees everything at the end. */
static void *race_alloc(void *arg)
{
	struct race *r = ((struct race **)arg)[0];
	uint64_t *seed = ((uint64_t **)arg)[1];
	uint64_t pfn[LZ_ALLOCS];
	unsigned order[LZ_ALLOCS], n = 0, after = 0;
	struct mm_node *node = &r->fn->node;

	while (after < 2000) {
		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		if (n < LZ_ALLOCS && (*seed & 3)) {
			unsigned o = (unsigned)(*seed >> 8) % (MAX_ORDER + 1);
			uint64_t p = buddy_alloc_pages(node, o);

			if (p != PFN_NONE) {
				if (!mm_lazy_unit_complete(node, mm_lazy_unit(node, p)) ||
				    __atomic_load_n(&pfn_to_page(p)->refcount, __ATOMIC_RELAXED) != 1)
					__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
				pfn[n] = p;
				order[n++] = o;
				__atomic_fetch_add(&r->allocs, 1, __ATOMIC_RELEASE);
			}
		} else if (n) {
			unsigned i = (unsigned)(*seed >> 20) % n;

			buddy_free_pages(node, pfn[i], order[i]);
			pfn[i] = pfn[--n];
			order[i] = order[n];
		}
		if (__atomic_load_n(&r->drained, __ATOMIC_ACQUIRE) == 2)
			after++;
	}
	while (n--)
		buddy_free_pages(node, pfn[n], order[n]);
	return NULL;
}

static void test_drain_races_allocators(void **state)
{
	struct fake_machine *m = fm_create();
	struct lazy_store *ls = lazy_store_new(m);
	struct race r = { .fn = &m->n[0], .seed = { 0x9e3779b97f4a7c15ULL, 0x2545f4914f6cdd1dULL } };
	void *args[2][2] = { { &r, &r.seed[0] }, { &r, &r.seed[1] } };
	uint64_t full = full_checksum(m, 0), on_demand = 0;

	(void)state;
	for (int round = 0; round < 3; round++) {
		pthread_t t[4];

		fm_node_reset(m, 0);
		lazy_prepare(m, ls, 0);
		lazy_heads(r.fn, 0, r.fn->nr_chunks);
		r.next_chunk = 0;
		r.drained = 0;
		r.allocs = 0;
		pthread_create(&t[0], NULL, race_alloc, args[0]);
		pthread_create(&t[1], NULL, race_alloc, args[1]);
		pthread_create(&t[2], NULL, race_drain, &r);
		pthread_create(&t[3], NULL, race_drain, &r);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(r.failures, 0);
		assert_true(memmap_lazy_done(&r.fn->node));
		assert_int_equal(fm_verify(m, 0), 0);
		assert_int_equal(memmap_checksum(&r.fn->node), full);
		on_demand += ls->lz[0].on_demand;
	}
	/* the allocators had a head start: they completed units the drain had not */
	assert_true(on_demand > 0);
	lazy_store_free(ls);
	fm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heads_then_tails_equals_full),
		cmocka_unit_test(test_alloc_completes_its_unit),
		cmocka_unit_test(test_unit_left_lazy_is_caught),
		cmocka_unit_test(test_parts_refused_without_states),
		cmocka_unit_test(test_unit_shared_by_two_owned_ranges),
		cmocka_unit_test(test_drain_races_allocators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
