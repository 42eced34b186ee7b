/*
 * Host tests of taking hot-added memory offline (mm/hot_offline.c):
 * isolation (free blocks split at the range's edges, nothing allocated from
 * it again, frees into it kept off the lists), the busy count, offline
 * refused while a page is allocated (the pfn named) and done once it is
 * free, unisolate, both memmap locations, the span, and frees racing with
 * the busy count.
 */
#include <pthread.h>
#include "hot_fixture.h"

#define REG_S		(5 * GiB)
#define REG_E		(5 * GiB + 256 * MiB)	/* 2 sections */

/* A node with no DRAM and region [REG_S, REG_E) all online. */
static struct ht *hot_only(enum mm_memmap_loc loc, struct mm_hot_region **r)
{
	struct ht *t = ht_create(0, 0);

	*r = ht_region(t, 0, REG_S, REG_E, BLK, loc);
	ht_online(t, 0, (*r)->start_pfn, (*r)->end_pfn);
	assert_int_equal(ht_verify(t, NULL), 0);
	return t;
}

static void assert_offline_pages(uint64_t s, uint64_t e)
{
	for (uint64_t pfn = s; pfn < e; pfn++) {
		const struct page *p = pfn_to_page(pfn);

		assert_int_equal(p->flags & PG_FLAGS_MASK, PG_reserved | PG_offline);
		assert_int_equal(p->next_pfn, PFN_NONE);
	}
}

/* Allocated pages keep a range from going offline; freed, it goes. */
static void test_isolate_busy_offline(void **state)
{
	struct mm_hot_region *r;
	struct ht *t = hot_only(MM_MEMMAP_DRAM, &r);
	uint64_t ref = memmap_checksum(&t->node), free0 = t->node.nr_free_pages, p0, p5, s, x;
	char why[160], pat[64];

	(void)state;
	p0 = buddy_alloc_pages(&t->node, 0);
	p5 = buddy_alloc_pages(&t->node, 5);
	s = p0 & ~(BLK - 1);
	assert_true(p5 >= s && p5 < s + BLK);
	assert_int_equal(mm_hot_isolate(&t->node, 0, s, s + BLK, why, sizeof(why)), 0);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, s, s + BLK), 33);
	assert_int_equal(r->isolated_free_pages, BLK - 33);
	assert_int_equal(t->node.nr_free_pages, free0 - BLK);
	assert_int_equal(mm_hot_offline(&t->node, 0, s, s + BLK, why, sizeof(why)), -1);
	snprintf(pat, sizeof(pat), "33 pages still allocated, the first at pfn 0x%llx",
		 (unsigned long long)p0);
	assert_non_null(strstr(why, pat));
	for (int i = 0; i < 300; i++) {			/* nothing comes from [s, s + BLK) */
		x = buddy_alloc_pages(&t->node, (unsigned)(i % 4));
		assert_true(x < s || x >= s + BLK);
		buddy_free_pages(&t->node, x, (unsigned)(i % 4));
	}
	buddy_free_pages(&t->node, p5, 5);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, s, s + BLK), 1);
	buddy_free_pages(&t->node, p0, 0);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, s, s + BLK), 0);
	assert_true(pfn_to_page(s)->flags & PG_isolated);		/* merged, off the lists */
	assert_int_equal(pfn_to_page(s)->order, 9);
	assert_int_equal(r->isolated_free_pages, BLK);
	host_console_reset();
	buddy_free_pages(&t->node, s, 9);				/* not allocated */
	assert_true(host_console_contains("bad free"));
	assert_int_equal(mm_hot_offline(&t->node, 0, s, s + BLK, why, sizeof(why)), 0);
	assert_offline_pages(s, s + BLK);
	assert_int_equal(r->online_pages, PFN(REG_E - REG_S) - BLK);
	assert_int_equal(r->isolated_free_pages, 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	host_console_reset();
	buddy_free_pages(&t->node, s, 0);				/* an OFFLINE block */
	assert_true(host_console_contains("bad free"));
	ht_online(t, 0, s, s + BLK);					/* plug it again */
	assert_int_equal(memmap_checksum(&t->node), ref);
	ht_destroy(t);
}

/* Free blocks straddling the range's edges are split; the outside parts
 * stay on the lists; plugging back gives the canonical blocks again. */
static void test_isolate_splits_straddlers(void **state)
{
	struct mm_hot_region *r;
	struct ht *t = hot_only(MM_MEMMAP_DRAM, &r);
	uint64_t ref = memmap_checksum(&t->node), z = r->start_pfn + 8 * BLK;
	char why[160];

	(void)state;
	assert_int_equal(pfn_to_page(z)->order, 10);
	/* left straddler: [z, z + 2 BLK) is one order-10 block, isolate its upper half */
	assert_int_equal(mm_hot_isolate(&t->node, 0, z + BLK, z + 2 * BLK, why, sizeof(why)), 0);
	assert_true(pfn_to_page(z)->flags & PG_buddy);
	assert_int_equal(pfn_to_page(z)->order, 9);
	assert_true(pfn_to_page(z + BLK)->flags & PG_isolated);
	/* right straddler: the lower half of the next order-10 block */
	assert_int_equal(mm_hot_isolate(&t->node, 0, z + 2 * BLK, z + 3 * BLK, why, sizeof(why)), 0);
	assert_int_equal(pfn_to_page(z + 3 * BLK)->order, 9);
	assert_true(pfn_to_page(z + 3 * BLK)->flags & PG_buddy);
	assert_int_equal(r->isolated_free_pages, 2 * BLK);
	assert_int_equal(mm_hot_offline(&t->node, 0, z + BLK, z + 3 * BLK, why, sizeof(why)), 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(mm_hot_isolate(&t->node, 0, z, z + 2 * BLK, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "a block is not ONLINE"));
	assert_int_equal(mm_hot_offline(&t->node, 0, z, z + BLK, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "a block is not ISOLATED"));
	assert_int_equal(mm_hot_isolate(&t->node, 3, z, z + BLK, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no such hot region"));
	assert_int_equal(mm_hot_isolate(&t->node, 0, z + 1, z + BLK, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not block aligned"));
	ht_online(t, 0, z + 2 * BLK, z + 3 * BLK);
	ht_online(t, 0, z + BLK, z + 2 * BLK);
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), ref);
	ht_destroy(t);
}

/* An allocated order-10 block half inside an isolated range: freed, its
 * halves go one to the lists, one to the isolated blocks. */
static void test_free_straddling_isolated(void **state)
{
	struct mm_hot_region *r;
	struct ht *t = hot_only(MM_MEMMAP_DRAM, &r);
	uint64_t ref = memmap_checksum(&t->node), y = buddy_alloc_pages(&t->node, 10);
	char why[160];

	(void)state;
	assert_true(y >= r->start_pfn && y < r->end_pfn);
	assert_int_equal(mm_hot_isolate(&t->node, 0, y + BLK, y + 2 * BLK, why, sizeof(why)), 0);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, y + BLK, y + 2 * BLK), BLK);
	buddy_free_pages(&t->node, y, 10);
	assert_true(pfn_to_page(y)->flags & PG_buddy);
	assert_int_equal(pfn_to_page(y)->order, 9);
	assert_true(pfn_to_page(y + BLK)->flags & PG_isolated);
	assert_int_equal(r->allocated_pages, 0);
	assert_int_equal(mm_hot_offline(&t->node, 0, y + BLK, y + 2 * BLK, why, sizeof(why)), 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_online(t, 0, y + BLK, y + 2 * BLK);
	assert_int_equal(pfn_to_page(y)->order, 10);			/* merged at the splice */
	assert_int_equal(memmap_checksum(&t->node), ref);
	ht_destroy(t);
}

/* Giving an isolated range back: its free pages on the lists, merged. */
static void test_unisolate(void **state)
{
	struct mm_hot_region *r;
	struct ht *t = hot_only(MM_MEMMAP_DRAM, &r);
	uint64_t ref = memmap_checksum(&t->node), free0 = t->node.nr_free_pages, p, s;
	char why[160];

	(void)state;
	p = buddy_alloc_pages(&t->node, 3);
	s = p & ~(4 * BLK - 1);
	assert_int_equal(mm_hot_isolate(&t->node, 0, s, s + 4 * BLK, why, sizeof(why)), 0);
	buddy_free_pages(&t->node, p, 3);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, s, s + 4 * BLK), 0);
	mm_hot_unisolate(&t->node, 0, s, s + 4 * BLK);
	assert_int_equal(r->isolated_free_pages, 0);
	assert_int_equal(t->node.nr_free_pages, free0);
	assert_int_equal(pfn_to_page(s)->order, 10);
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), ref);
	host_console_reset();
	mm_hot_unisolate(&t->node, 0, s, s + BLK);
	assert_true(host_console_contains("a block is not ISOLATED"));
	ht_destroy(t);
}

/* Memmap on the region: a section goes whole, altmap pages included; the
 * span shrinks when the last section goes. */
static void test_offline_memmap_on_region(void **state)
{
	struct mm_hot_region *r;
	struct ht *t = hot_only(MM_MEMMAP_DEVICE, &r);
	uint64_t last = r->end_pfn - PAGES_PER_SECTION;
	char why[160];

	(void)state;
	assert_int_equal(t->node.span_end_pfn, r->end_pfn);
	assert_int_equal(mm_hot_isolate(&t->node, 0, last, last + BLK, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not section aligned"));
	assert_int_equal(mm_hot_isolate(&t->node, 0, last, r->end_pfn, why, sizeof(why)), 0);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, last, r->end_pfn), 0);
	assert_int_equal(mm_hot_offline(&t->node, 0, last, r->end_pfn, why, sizeof(why)), 0);
	assert_offline_pages(last, r->end_pfn);
	assert_int_equal(r->altmap_pages, MM_HOT_ALTMAP_PAGES);
	assert_int_equal(r->online_pages, PAGES_PER_SECTION);
	assert_int_equal(t->node.span_start_pfn, r->start_pfn);
	assert_int_equal(t->node.span_end_pfn, last);
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(mm_hot_isolate(&t->node, 0, r->start_pfn, last, why, sizeof(why)), 0);
	assert_int_equal(mm_hot_offline(&t->node, 0, r->start_pfn, last, why, sizeof(why)), 0);
	assert_int_equal(t->node.span_start_pfn, t->node.span_end_pfn);	/* nothing left */
	assert_int_equal(t->node.nr_free_pages + r->online_pages + r->altmap_pages, 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_destroy(t);
}

/* A DRAM node whose region went online and offline again has the checksum
 * it had before. */
static void test_dram_checksum_after_unplug(void **state)
{
	struct ht *t = ht_create(4 * GiB, 4 * GiB + 256 * MiB);
	uint64_t dram = memmap_checksum(&t->node);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	char why[160];

	(void)state;
	ht_online(t, 0, r->start_pfn, r->end_pfn);
	assert_int_equal(mm_hot_isolate(&t->node, 0, r->start_pfn, r->end_pfn, why, sizeof(why)), 0);
	assert_int_equal(mm_hot_offline(&t->node, 0, r->start_pfn, r->end_pfn, why, sizeof(why)), 0);
	assert_int_equal(t->node.span_end_pfn, PFN(4 * GiB + 256 * MiB));
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), dram);
	ht_destroy(t);
}

/* Threads free hot blocks of an isolated range while the busy count is
 * read: it never grows, ends at 0, and the range goes offline. */
struct fr {
	struct ht *t;
	const uint64_t *pfns;
	uint32_t first, n;
};

static void *fr_free(void *arg)
{
	const struct fr *f = arg;

	for (uint32_t i = f->first; i < f->first + f->n; i++)
		buddy_free_pages(&f->t->node, f->pfns[i], 2);
	return NULL;
}

static void test_frees_race_busy_count(void **state)
{
	struct mm_hot_region *r;
	struct ht *t = hot_only(MM_MEMMAP_DRAM, &r);
	uint64_t ref = memmap_checksum(&t->node), pfns[512], busy, prev = UINT64_MAX;
	struct fr f[2];
	pthread_t th[2];
	char why[160];

	(void)state;
	for (int i = 0; i < 512; i++)
		pfns[i] = buddy_alloc_pages(&t->node, 2);		/* 2048 pages: 4 blocks */
	assert_int_equal(r->allocated_pages, 2048);
	assert_int_equal(mm_hot_isolate(&t->node, 0, r->start_pfn, r->end_pfn, why, sizeof(why)), 0);
	for (int i = 0; i < 2; i++) {
		f[i] = (struct fr){ t, pfns, (uint32_t)i * 256, 256 };
		assert_int_equal(pthread_create(&th[i], NULL, fr_free, &f[i]), 0);
	}
	do {
		busy = mm_hot_busy_pages(&t->node, 0, r->start_pfn, r->end_pfn);
		assert_true(busy <= prev);
		prev = busy;
	} while (busy);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(r->isolated_free_pages, PFN(REG_E - REG_S));
	assert_int_equal(mm_hot_offline(&t->node, 0, r->start_pfn, r->end_pfn, why, sizeof(why)), 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_online(t, 0, r->start_pfn, r->end_pfn);
	assert_int_equal(memmap_checksum(&t->node), ref);
	ht_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolate_busy_offline),
		cmocka_unit_test(test_isolate_splits_straddlers),
		cmocka_unit_test(test_free_straddling_isolated),
		cmocka_unit_test(test_unisolate),
		cmocka_unit_test(test_offline_memmap_on_region),
		cmocka_unit_test(test_dram_checksum_after_unplug),
		cmocka_unit_test(test_frees_race_busy_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
