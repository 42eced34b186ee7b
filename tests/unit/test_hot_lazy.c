/*
 * Host tests of lazily onlined hot-added memory (hot_lazy; mm/lazy.c's
 * per-plug-block states, the HEADS and TAILS parts of a hot chunk, the
 * allocator's and isolation's on-demand completion; docs/mm.md "Lazy
 * struct pages").  Every lazy online starts from struct pages scribbled
 * over (0xa5); every end state is held against the checksum of the same
 * onlines done eagerly.  The race test is also built under ThreadSanitizer.
 */
#include <pthread.h>
#include <sched.h>
#include "hot_fixture.h"
#include "../../mm/internal.h"

#define REG_S		(4 * GiB)
#define REG_E		(4 * GiB + 512 * MiB)
#define RACE_HEAD_START	4	/* allocations before the drain thread starts */

static uint8_t *lazy_states(struct mm_hot_region *r)
{
	uint8_t *st = malloc(mm_hot_state_bytes(r->start_pfn, r->end_pfn, r->block_pages));

	assert_non_null(st);
	mm_hot_region_set_lazy(r, st);
	return st;
}

/* Online [s, e) of region h in one part: chunks run, then spliced in order
 * (HEADS, FULL), or run only (TAILS: nothing to splice). */
static uint64_t online_part(struct ht *t, uint32_t h, uint64_t s, uint64_t e,
			    enum mm_init_part part)
{
	uint32_t n = memmap_chunks(&t->node, &(struct mm_range){ s, e }, 1, t->chunks, HT_MAX_CHUNKS);
	uint64_t written = 0;

	assert_true(n > 0 && n <= HT_MAX_CHUNKS);
	for (uint32_t c = 0; c < n; c++) {
		assert_int_equal(memmap_init_range_part(&t->node, t->chunks[c].start_pfn,
							t->chunks[c].end_pfn, part, &t->res[c]), 0);
		written += t->res[c].pages_written;
	}
	for (uint32_t c = 0; part != MM_INIT_TAILS && c < n; c++) {
		assert_int_equal(t->res[c].hot, h);
		memmap_splice_chunk(&t->node, &t->res[c]);
	}
	return written;
}

static void poison(uint64_t s, uint64_t e)
{
	memset(pfn_to_page(s), 0xa5, (e - s) * sizeof(struct page));
}

/* The eager reference: the same onlines, in the same order, FULL. */
static uint64_t eager_checksum(enum mm_memmap_loc loc, const uint64_t (*steps)[2], int nsteps)
{
	struct ht *t = ht_create(0, 1 * GiB);
	uint64_t sum;

	ht_region(t, 0, REG_S, REG_E, BLK, loc);
	for (int i = 0; i < nsteps; i++)
		ht_online(t, 0, steps[i][0], steps[i][1]);
	assert_int_equal(ht_verify(t, NULL), 0);
	sum = memmap_checksum(&t->node);
	ht_destroy(t);
	return sum;
}

/* Each step in two parts, heads spliced first: a few struct pages written,
 * the verifier refusing the node until the tails run, then the eager
 * state.  With the memmap on the region too (whole sections). */
static void check_heads_then_tails(enum mm_memmap_loc loc, const uint64_t (*steps)[2], int nsteps)
{
	uint64_t want = eager_checksum(loc, steps, nsteps);
	struct ht *t = ht_create(0, 1 * GiB);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, loc);
	uint8_t *st = lazy_states(r);
	struct memmap_verify_result vr;

	for (int i = 0; i < nsteps; i++) {
		uint64_t s = steps[i][0], e = steps[i][1];

		poison(s, e);
		assert_true(online_part(t, 0, s, e, MM_INIT_HEADS) * 100 < e - s);
		assert_true(r->lazy_pending > 0);
		assert_int_not_equal(ht_verify(t, &vr), 0);
		online_part(t, 0, s, e, MM_INIT_TAILS);
		assert_int_equal(r->lazy_pending, 0);
	}
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), want);
	ht_destroy(t);
	free(st);
}

static void test_heads_then_tails_equals_eager(void **state)
{
	const uint64_t blocks[][2] = { { PFN(REG_S + 128 * MiB), PFN(REG_S + 160 * MiB) },
				       { PFN(REG_S), PFN(REG_S + 2 * MiB) },
				       { PFN(REG_S + 2 * MiB), PFN(REG_S + 128 * MiB) } };
	const uint64_t sections[][2] = { { PFN(REG_S + 128 * MiB), PFN(REG_S + 256 * MiB) },
					 { PFN(REG_S), PFN(REG_S + 128 * MiB) } };

	(void)state;
	check_heads_then_tails(MM_MEMMAP_DRAM, blocks, 3);
	check_heads_then_tails(MM_MEMMAP_DEVICE, sections, 2);
}

/* A 2 MiB block onlined lazily next to a lazy one merges with it at its
 * splice (one order-10 block over two lazy blocks); allocating that block
 * completes both, and the drain has nothing left of them. */
static void test_merged_block_completes_both(void **state)
{
	const uint64_t steps[][2] = { { PFN(REG_S), PFN(REG_S + 2 * MiB) },
				      { PFN(REG_S + 2 * MiB), PFN(REG_S + 4 * MiB) } };
	uint64_t want = eager_checksum(MM_MEMMAP_DRAM, steps, 2), pfn;
	struct ht *t = ht_create(0, 1 * GiB);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	uint8_t *st = lazy_states(r);

	(void)state;
	poison(steps[0][0], steps[1][1]);
	online_part(t, 0, steps[0][0], steps[0][1], MM_INIT_HEADS);
	online_part(t, 0, steps[1][0], steps[1][1], MM_INIT_HEADS);
	assert_int_equal(r->lazy_pending, 2);
	pfn = buddy_alloc_pages(&t->node, MAX_ORDER);
	assert_int_equal(pfn, steps[0][0]);	/* hot memory first, merged */
	assert_int_equal(r->lazy_pending, 0);
	assert_int_equal(r->lazy_on_demand, 2);
	assert_int_equal(pfn_to_page(pfn + MAX_ORDER_NR_PAGES - 1)->refcount, 0);
	assert_int_equal(pfn_to_page(pfn + MAX_ORDER_NR_PAGES - 1)->next_pfn, PFN_NONE);
	buddy_free_pages(&t->node, pfn, MAX_ORDER);
	online_part(t, 0, steps[0][0], steps[1][1], MM_INIT_TAILS);	/* nothing left */
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), want);
	ht_destroy(t);
	free(st);
}

/* Taking lazy blocks offline completes them first (isolation walks their
 * struct pages), also the lazy neighbour of a block straddling the range. */
static void test_isolate_completes_lazy_blocks(void **state)
{
	struct ht *t = ht_create(0, 1 * GiB);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	uint8_t *st = lazy_states(r);
	uint64_t s = PFN(REG_S), e = PFN(REG_S + 64 * MiB);
	char why[128];

	(void)state;
	poison(s, e);
	online_part(t, 0, s, e, MM_INIT_HEADS);
	assert_int_equal(mm_hot_isolate(&t->node, 0, s + BLK, s + 3 * BLK, why, sizeof(why)), 0);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, s + BLK, s + 3 * BLK), 0);
	assert_int_equal(mm_hot_offline(&t->node, 0, s + BLK, s + 3 * BLK, why, sizeof(why)), 0);
	/* [s, s + 4 blocks): the two offlined and their two buddies */
	assert_int_equal(r->lazy_on_demand, 4);
	/* a TAILS chunk over blocks not ONLINE is refused */
	assert_int_equal(memmap_init_range_part(&t->node, s, e, MM_INIT_TAILS, &t->res[0]), -1);
	assert_true(r->lazy_pending > 0);
	online_part(t, 0, s + 4 * BLK, e, MM_INIT_TAILS);
	assert_int_equal(r->lazy_pending, 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_destroy(t);
	free(st);
}

/* ---- the race: a drain thread against allocator threads --------------------- */

struct race {
	struct ht *t;
	uint64_t s, e;
	uint32_t drained;	/* (A) */
	uint32_t allocs;	/* (A) blocks the allocators took; the drain starts after a few */
	int failures;		/* (A) */
};

static void *race_drain(void *arg)
{
	struct race *rc = arg;
	struct memmap_chunk_result *res = malloc(sizeof(*res));

	assert_non_null(res);
	while (__atomic_load_n(&rc->allocs, __ATOMIC_ACQUIRE) < RACE_HEAD_START)
		sched_yield();	/* so the allocators meet lazy blocks whatever the scheduler does */
	for (uint64_t s = rc->s; s < rc->e; s += PAGES_PER_SECTION)
		if (memmap_init_range_part(&rc->t->node, s, s + PAGES_PER_SECTION, MM_INIT_TAILS, res))
			__atomic_fetch_add(&rc->failures, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&rc->drained, 1, __ATOMIC_RELEASE);
	free(res);
	return NULL;
}

static void *race_alloc(void *arg)
{
	struct race *rc = arg;
	uint64_t pfn[256], seed = (uint64_t)(uintptr_t)&pfn | 1;
	unsigned order[256], n = 0, after = 0;

	while (after < 500) {
		uint64_t x = ht_rnd(&seed);

		if (n < 256 && (x & 3)) {
			unsigned o = (unsigned)(x >> 8) % (MAX_ORDER + 1);
			uint64_t p = buddy_alloc_pages(&rc->t->node, o);

			if (p != PFN_NONE) {
				if (__atomic_load_n(&pfn_to_page(p)->refcount, __ATOMIC_RELAXED) != 1)
					__atomic_fetch_add(&rc->failures, 1, __ATOMIC_RELAXED);
				pfn[n] = p;
				order[n++] = o;
				__atomic_fetch_add(&rc->allocs, 1, __ATOMIC_RELEASE);
			}
		} else if (n) {
			unsigned i = (unsigned)(x >> 20) % n;

			buddy_free_pages(&rc->t->node, pfn[i], order[i]);
			pfn[i] = pfn[--n];
			order[i] = order[n];
		}
		after += __atomic_load_n(&rc->drained, __ATOMIC_ACQUIRE);
	}
	while (n--)
		buddy_free_pages(&rc->t->node, pfn[n], order[n]);
	return NULL;
}

static void test_drain_races_allocators(void **state)
{
	const uint64_t steps[][2] = { { PFN(REG_S), PFN(REG_S + 256 * MiB) } };
	uint64_t want = eager_checksum(MM_MEMMAP_DRAM, steps, 1);
	struct ht *t = ht_create(0, 1 * GiB);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	uint8_t *st = lazy_states(r);
	struct race rc = { .t = t, .s = steps[0][0], .e = steps[0][1] };
	pthread_t th[3];

	(void)state;
	poison(rc.s, rc.e);
	online_part(t, 0, rc.s, rc.e, MM_INIT_HEADS);
	pthread_create(&th[0], NULL, race_alloc, &rc);
	pthread_create(&th[1], NULL, race_alloc, &rc);
	pthread_create(&th[2], NULL, race_drain, &rc);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(rc.failures, 0);
	assert_int_equal(r->lazy_pending, 0);
	assert_true(r->lazy_on_demand > 0);	/* the allocators had a head start */
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), want);
	ht_destroy(t);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heads_then_tails_equals_eager),
		cmocka_unit_test(test_merged_block_completes_both),
		cmocka_unit_test(test_isolate_completes_lazy_blocks),
		cmocka_unit_test(test_drain_races_allocators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
