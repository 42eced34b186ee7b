/*
 * Host tests of the buddy allocator (mm/buddy.c) on the fake machine of
 * test_memmap.c: round trips restore the identical checksum, merging gives
 * back the initializer's canonical blocks, exhaustion fails cleanly.
 */
#define MM_FIXTURE_ONLY
#include "test_memmap.c"

/* Deterministic pseudo-random sequence (xorshift64). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct alloc_rec {
	uint64_t pfn;
	unsigned order;
};

static void test_round_trip_restores_checksum(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[0].node;
	struct alloc_rec *recs = calloc(4000, sizeof(*recs));
	uint64_t good, seed = 0x1234567, n = 0, pages = 0;

	(void)state;
	fm_init_all_serial(m);
	good = memmap_checksum(node);
	for (int i = 0; i < 4000; i++) {
		unsigned order = (unsigned)(rnd(&seed) % (MAX_ORDER + 1));
		uint64_t pfn = buddy_alloc_pages(node, order);

		if (pfn == PFN_NONE)
			continue;
		assert_int_equal(pfn & ((1ULL << order) - 1), 0);
		recs[n++] = (struct alloc_rec){ pfn, order };
		pages += 1ULL << order;
	}
	assert_true(n > 100);
	assert_int_equal(node->nr_allocated_pages, pages);
	assert_int_equal(fm_verify(m, 0), 0);			/* verifier accounts allocations */
	assert_int_not_equal(memmap_checksum(node), good);
	for (uint64_t i = 0; i < n; i++) {			/* free in shuffled order */
		uint64_t j = i + rnd(&seed) % (n - i);
		struct alloc_rec t = recs[i];

		recs[i] = recs[j];
		recs[j] = t;
		buddy_free_pages(node, recs[i].pfn, recs[i].order);
	}
	assert_int_equal(node->nr_allocated_pages, 0);
	assert_int_equal(fm_verify(m, 0), 0);
	assert_int_equal(memmap_checksum(node), good);
	free(recs);
	fm_destroy(m);
}

static void test_zone_order(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[0].node;
	uint64_t good, pfn;

	(void)state;
	fm_init_serial(m, 0);
	good = memmap_checksum(node);
	pfn = buddy_alloc_pages(node, 3);
	assert_true(pfn >= ZONE_NORMAL_START_PFN);		/* Normal first */
	buddy_free_pages(node, pfn, 3);
	pfn = buddy_alloc_pages_zone(node, ZONE_DMA, 0);
	assert_true(pfn != PFN_NONE && pfn < ZONE_DMA32_START_PFN);
	assert_int_equal(page_zone_id(pfn_to_page(pfn)), ZONE_DMA);
	buddy_free_pages(node, pfn, 0);
	assert_int_equal(memmap_checksum(node), good);
	fm_destroy(m);
}

static void test_exhaustion(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[2].node;
	uint64_t good, free0, n = 0, *pfns;

	(void)state;
	fm_init_serial(m, 2);
	good = memmap_checksum(node);
	free0 = node->nr_free_pages;
	pfns = calloc(free0 + 1, sizeof(*pfns));
	assert_non_null(pfns);
	while ((pfns[n] = buddy_alloc_pages(node, 0)) != PFN_NONE)
		assert_true(++n <= free0);
	assert_int_equal(n, free0);
	assert_int_equal(node->nr_free_pages, 0);
	assert_int_equal(buddy_alloc_pages(node, MAX_ORDER), PFN_NONE);
	assert_int_equal(buddy_alloc_pages(node, MAX_ORDER + 1), PFN_NONE);
	assert_int_equal(fm_verify(m, 2), 0);
	while (n--)
		buddy_free_pages(node, pfns[n], 0);
	assert_int_equal(fm_verify(m, 2), 0);
	assert_int_equal(memmap_checksum(node), good);
	free(pfns);
	fm_destroy(m);
}

static void test_bad_free_ignored(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[1].node;
	uint64_t good, head;

	(void)state;
	fm_init_serial(m, 1);
	good = memmap_checksum(node);
	head = node->free_area[ZONE_NORMAL][MAX_ORDER].head;
	host_console_reset();
	buddy_free_pages(node, head, MAX_ORDER);		/* already free */
	buddy_free_pages(node, (8 * GiB + 200 * MiB) >> PAGE_SHIFT, 0);	/* reserved */
	buddy_free_pages(node, head + 1, 1);			/* misaligned */
	assert_true(host_console_contains("buddy_free_pages: node 1: bad free"));
	assert_int_equal(memmap_checksum(node), good);
	fm_destroy(m);
}

/* Item 9 of issue 16: an order-0 page and its buddy, freed so that they
 * merge, then one of them freed again.  The second free must be refused
 * with a message and leave every counter and struct page as it was; so
 * must a free with an order larger than was allocated, and a free of a
 * page inside a block that is free. */
static void test_double_free_after_merge_refused(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[1].node;
	uint64_t a, b, lo, hi, sum, free_pages, alloc_pages, big, c, held[16], good;
	unsigned n_held = 0;

	(void)state;
	fm_init_serial(m, 1);
	good = memmap_checksum(node);
	do {		/* a page whose buddy a split left free (the lists may hold lone pages) */
		a = buddy_alloc_pages(node, 0);
		assert_true(a != PFN_NONE && n_held < 16);
		held[n_held++] = a;
	} while (!(pfn_to_page(a ^ 1)->flags & PG_buddy));
	n_held--;
	b = a ^ 1;
	assert_int_equal(buddy_alloc_pages(node, 0), b);
	lo = a < b ? a : b;
	hi = a ^ b ^ lo;
	buddy_free_pages(node, a, 0);
	buddy_free_pages(node, b, 0);		/* merges: lo heads a free block */
	sum = memmap_checksum(node);
	free_pages = node->nr_free_pages;
	alloc_pages = node->nr_allocated_pages;
	assert_int_equal(alloc_pages, n_held);
	for (int i = 0; i < 2; i++) {
		host_console_reset();
		buddy_free_pages(node, i ? lo : hi, 0);		/* a tail of a free block; its head */
		assert_true(host_console_contains("buddy_free_pages: node 1: bad free"));
		assert_int_equal(node->nr_free_pages, free_pages);
		assert_int_equal(node->nr_allocated_pages, alloc_pages);
		assert_int_equal(memmap_checksum(node), sum);
	}
	/* freed with a larger order than allocated: its buddy half is free */
	big = buddy_alloc_pages(node, 0);
	host_console_reset();
	buddy_free_pages(node, big & ~1ULL, 1);
	assert_true(host_console_contains("bad free"));
	assert_int_equal(node->nr_allocated_pages, n_held + 1);
	/* ... or allocated to someone else */
	c = buddy_alloc_pages(node, 0);
	assert_int_equal(c, big ^ 1);
	host_console_reset();
	buddy_free_pages(node, big & ~1ULL, 1);
	assert_true(host_console_contains("bad free"));
	assert_int_equal(node->nr_allocated_pages, n_held + 2);
	buddy_free_pages(node, big, 0);
	buddy_free_pages(node, c, 0);
	assert_int_equal(node->nr_allocated_pages, n_held);
	while (n_held)
		buddy_free_pages(node, held[--n_held], 0);
	assert_int_equal(node->nr_allocated_pages, 0);
	assert_int_equal(memmap_checksum(node), good);
	assert_int_equal(fm_verify(m, 1), 0);
	fm_destroy(m);
}

/* The self-test writes the blocks through a fake direct map of node 2. */
static uint8_t *fake_ram;

static void *fake_phys_to_virt(uint64_t phys)
{
	return fake_ram + (phys - 16 * GiB);
}

static void test_self_test(void **state)
{
	struct fake_machine *m = fm_create();
	uint64_t good;

	(void)state;
	fm_init_all_serial(m);
	good = memmap_checksum(&m->n[2].node);
	fake_ram = mmap(NULL, 256 * MiB, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(fake_ram != MAP_FAILED);
	assert_int_equal(buddy_self_test(&m->n[2].node, fake_phys_to_virt), 0);
	assert_int_equal(buddy_self_test(&m->n[0].node, NULL), 0);
	assert_int_equal(memmap_checksum(&m->n[2].node), good);
	assert_int_equal(fm_verify(m, 0), 0);
	munmap(fake_ram, 256 * MiB);
	fm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_restores_checksum),
		cmocka_unit_test(test_zone_order),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_bad_free_ignored),
		cmocka_unit_test(test_double_free_after_merge_refused),
		cmocka_unit_test(test_self_test),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
