/*
 * Host tests of onlining hot-pluggable memory (mm/hot_region.c): regions of a
 * node, hot chunks through the one range initializer, the splice into a
 * live allocator (list heads, merging across plug boundaries, counts and
 * span in one step), the verifier and checksum over online hot runs, and
 * the refusals.  Offlining: test_hotplug_offline.c.
 */
#include <pthread.h>
#include "hot_fixture.h"

#define DRAM_S		(4 * GiB)
#define DRAM_E		(4 * GiB + 512 * MiB)
#define REG_S		(5 * GiB)
#define REG_E		(5 * GiB + 512 * MiB)	/* 4 sections */

/* Checksum of a DRAM node with region [REG_S, REG_E) onlined in one go. */
static uint64_t online_whole(enum mm_memmap_loc loc)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, loc);
	struct memmap_verify_result vr;
	uint64_t pages = PFN(REG_E - REG_S), altmap = loc == MM_MEMMAP_DEVICE ? 4 * 512 : 0, sum;

	ht_online(t, 0, r->start_pfn, r->end_pfn);
	assert_int_equal(ht_verify(t, &vr), 0);
	assert_int_equal(vr.hot_pages, pages);
	assert_int_equal(vr.hot_altmap_pages, altmap);
	assert_int_equal(vr.hot_free_pages, pages - altmap);
	assert_int_equal(vr.hot_allocated_pages, 0);
	assert_int_equal(r->online_pages, pages);
	assert_int_equal(r->altmap_pages, altmap);
	assert_int_equal(t->node.nr_hot_chunks_spliced, 4);
	if (loc == MM_MEMMAP_DEVICE) {		/* the section's first 2 MiB hold its memmap */
		const struct page *p = pfn_to_page(r->start_pfn + 511);

		assert_int_equal(p->flags & PG_FLAGS_MASK, PG_reserved | PG_vmemmap_self_hosted);
		assert_int_equal(p->refcount, 1);
		assert_true(pfn_to_page(r->start_pfn + 512)->flags & PG_buddy);
	}
	sum = memmap_checksum(&t->node);
	ht_destroy(t);
	return sum;
}

/* Per section, out of order, both memmap locations: verify after each, the
 * same checksum as in one go, counts and span moving with each splice. */
static void test_online_sections_out_of_order(void **state)
{
	static const unsigned order[4] = { 2, 0, 3, 1 };

	(void)state;
	for (int loc = MM_MEMMAP_DRAM; loc <= MM_MEMMAP_DEVICE; loc++) {
		uint64_t ref = online_whole((enum mm_memmap_loc)loc), dram_free, end = 0;
		struct ht *t = ht_create(DRAM_S, DRAM_E);
		struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, (enum mm_memmap_loc)loc);

		dram_free = t->node.nr_free_pages;
		assert_int_equal(t->node.span_end_pfn, PFN(DRAM_E));
		for (int i = 0; i < 4; i++) {
			uint64_t s = r->start_pfn + order[i] * PAGES_PER_SECTION;

			ht_online(t, 0, s, s + PAGES_PER_SECTION);
			assert_int_equal(ht_verify(t, NULL), 0);
			end = s + PAGES_PER_SECTION > end ? s + PAGES_PER_SECTION : end;
			assert_int_equal(t->node.span_start_pfn, PFN(DRAM_S));
			assert_int_equal(t->node.span_end_pfn, end);
			assert_int_equal(t->node.nr_free_pages, dram_free + r->free_pages);
		}
		assert_int_equal(memmap_checksum(&t->node), ref);
		ht_destroy(t);
	}
}

/* Per 2 MiB block in a shuffled order: the same blocks as in one go. */
static void test_online_blocks_shuffled(void **state)
{
	uint64_t ref = online_whole(MM_MEMMAP_DRAM), seed = 0x5eed, nb = PFN(REG_E - REG_S) / BLK;
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	uint64_t *perm = malloc(nb * sizeof(*perm)), o10 = t->node.free_area[ZONE_NORMAL][10].nr_free;
	uint64_t o9 = t->node.free_area[ZONE_NORMAL][9].nr_free;

	(void)state;
	for (uint64_t i = 0; i < nb; i++)
		perm[i] = i;
	for (uint64_t i = 0; i < nb; i++) {
		uint64_t j = i + ht_rnd(&seed) % (nb - i), x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
		ht_online(t, 0, r->start_pfn + perm[i] * BLK, r->start_pfn + (perm[i] + 1) * BLK);
		if (i % 32 == 31)
			assert_int_equal(ht_verify(t, NULL), 0);
	}
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(t->node.free_area[ZONE_NORMAL][10].nr_free, o10 + nb / 2);
	assert_int_equal(t->node.free_area[ZONE_NORMAL][9].nr_free, o9);	/* all merged */
	assert_int_equal(t->node.nr_hot_chunks_spliced, nb);
	assert_int_equal(memmap_checksum(&t->node), ref);
	free(perm);
	ht_destroy(t);
}

/* New memory is at the head of the lists; frees merge across plug blocks
 * spliced separately, whichever side came first. */
static void test_alloc_first_and_merge_across_plugs(void **state)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E), *ref_t;
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	struct memmap_verify_result vr;
	uint64_t x = r->start_pfn, pfn, ref;

	(void)state;
	ht_online(t, 0, x, x + BLK);
	assert_int_equal(buddy_alloc_pages(&t->node, 9), x);		/* hot first */
	assert_int_equal(r->allocated_pages, BLK);
	assert_int_equal(r->free_pages, 0);
	assert_int_equal(ht_verify(t, &vr), 0);
	assert_int_equal(vr.hot_allocated_pages, BLK);
	ht_online(t, 0, x + BLK, x + 2 * BLK);				/* buddy allocated */
	assert_int_equal(pfn_to_page(x + BLK)->order, 9);
	buddy_free_pages(&t->node, x, 9);				/* merges into order 10 */
	assert_true(pfn_to_page(x)->flags & PG_buddy);
	assert_int_equal(pfn_to_page(x)->order, 10);
	assert_false(pfn_to_page(x + BLK)->flags & PG_buddy);
	ht_online(t, 0, x + 3 * BLK, x + 4 * BLK);			/* right half first */
	ht_online(t, 0, x + 2 * BLK, x + 3 * BLK);			/* splice merges */
	assert_int_equal(pfn_to_page(x + 2 * BLK)->order, 10);
	assert_int_equal(r->free_pages, 4 * BLK);
	assert_int_equal(ht_verify(t, NULL), 0);
	pfn = buddy_alloc_pages(&t->node, 10);
	assert_true(pfn == x || pfn == x + 2 * BLK);
	buddy_free_pages(&t->node, pfn, 10);
	assert_int_equal(ht_verify(t, NULL), 0);
	ref = memmap_checksum(&t->node);
	assert_int_equal(buddy_self_test(&t->node, NULL), 0);	/* hot blocks come first */
	assert_int_equal(memmap_checksum(&t->node), ref);
	ht_destroy(t);
	ref_t = ht_create(DRAM_S, DRAM_E);
	ht_region(ref_t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	ht_online(ref_t, 0, x, x + 4 * BLK);
	assert_int_equal(memmap_checksum(&ref_t->node), ref);
	ht_destroy(ref_t);
}

/* buddy_alloc_pages_boot() walks past the hot blocks at the lists' heads:
 * kernel metadata never pins hot-added memory; the plain allocation still
 * gets hot memory first. */
static void test_alloc_boot_skips_hot(void **state)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	uint64_t got[3];

	(void)state;
	ht_online(t, 0, r->start_pfn, r->end_pfn);
	for (unsigned i = 0; i < 3; i++) {
		got[i] = buddy_alloc_pages_boot(&t->node, i * 4);	/* orders 0, 4, 8 */
		assert_true(got[i] >= PFN(DRAM_S) && got[i] < PFN(DRAM_E));
	}
	assert_int_equal(r->allocated_pages, 0);
	/* order 10: the split remainders of the boot allocations (orders < 10,
	 * at their lists' heads) are not in the way */
	assert_true(buddy_alloc_pages(&t->node, 10) >= r->start_pfn);
	assert_int_equal(r->allocated_pages, 1024);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_destroy(t);
}

/* A region sharing a section with the node's RAM is refused (the section's
 * memmap is the RAM's, written by its boot chunk); a region in a hole of
 * the node's span (between its RAM and a device above it, where QEMU puts
 * a virtio-mem region created before an NVDIMM) is taken: its pfns are hot,
 * not boot pfns, for the initializer, the allocator and the verifier. */
static void test_region_in_a_span_hole(void **state)
{
	struct ht *t = ht_create_span(DRAM_S, DRAM_E + 2 * MiB, 7 * GiB);
	struct mm_hot_region bad;
	uint8_t st[64], bits[64];
	struct mm_hot_region *r;
	struct memmap_verify_result vr;
	uint64_t pfn, sum;
	char why[128];

	(void)state;
	assert_int_equal(mm_hot_region_init(&bad, 9, PFN(DRAM_E + 2 * MiB), PFN(DRAM_E + 128 * MiB),
					    BLK, MM_MEMMAP_DRAM, st, bits), 0);
	host_console_reset();
	assert_int_equal(memmap_node_add_hot(&t->node, &bad), -1);
	assert_true(host_console_contains("overlaps a section of the node's RAM"));
	r = ht_region(t, 0, 5 * GiB, 5 * GiB + 256 * MiB, BLK, MM_MEMMAP_DRAM);
	ht_online(t, 0, r->start_pfn, r->end_pfn);
	assert_int_equal(ht_verify(t, &vr), 0);
	assert_int_equal(vr.hot_free_pages, PFN(256 * MiB));
	pfn = buddy_alloc_pages(&t->node, 10);				/* hot first */
	assert_true(pfn >= r->start_pfn && pfn < r->end_pfn);
	assert_int_equal(r->allocated_pages, 1024);
	assert_true(buddy_alloc_pages_boot(&t->node, 10) < PFN(DRAM_E + 2 * MiB));
	buddy_free_pages(&t->node, pfn, 10);
	assert_int_equal(r->allocated_pages, 0);
	assert_int_equal(r->free_pages, PFN(256 * MiB));
	assert_int_equal(ht_verify(t, NULL), 0);
	sum = memmap_checksum(&t->node);
	assert_int_equal(mm_hot_isolate(&t->node, 0, r->start_pfn, r->end_pfn, why, sizeof(why)), 0);
	assert_int_equal(mm_hot_busy_pages(&t->node, 0, r->start_pfn, r->end_pfn), 0);
	assert_int_equal(mm_hot_offline(&t->node, 0, r->start_pfn, r->end_pfn, why, sizeof(why)), 0);
	assert_int_equal(r->online_pages, 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_online(t, 0, r->start_pfn, r->end_pfn);		/* back as it was */
	assert_int_equal(memmap_checksum(&t->node), sum);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_destroy(t);
}

static void expect_bad_chunk(struct ht *t, uint64_t s, uint64_t e, const char *why)
{
	struct memmap_chunk_result *res = &t->res[HT_MAX_CHUNKS - 1];

	host_console_reset();
	assert_int_equal(memmap_init_range(&t->node, s, e, res), -1);
	assert_true(host_console_contains("bad chunk"));
	assert_true(host_console_contains(why));
	assert_int_equal(res->hot, MM_NO_HOT);		/* a refused chunk splices as empty */
	assert_int_equal(res->free_pages, 0);
}

static void test_bad_chunks_refused(void **state)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	struct mm_hot_region *a = ht_region(t, 0, REG_S, REG_S + 64 * MiB, BLK, MM_MEMMAP_DRAM);
	struct mm_hot_region *b = ht_region(t, 1, 6 * GiB, 6 * GiB + 512 * MiB, BLK,
					    MM_MEMMAP_DEVICE);
	uint64_t sum;

	(void)state;
	ht_online(t, 0, a->start_pfn, a->start_pfn + BLK);
	sum = memmap_checksum(&t->node);
	expect_bad_chunk(t, a->start_pfn + 1, a->start_pfn + 2 * BLK, "not block aligned");
	expect_bad_chunk(t, a->end_pfn - BLK, a->end_pfn + BLK, "not inside the region");
	expect_bad_chunk(t, a->start_pfn, a->start_pfn + 2 * BLK, "not OFFLINE");
	expect_bad_chunk(t, b->start_pfn, b->start_pfn + BLK, "not section aligned");
	expect_bad_chunk(t, b->start_pfn + PAGES_PER_SECTION - BLK,
			 b->start_pfn + PAGES_PER_SECTION + BLK, "not inside one section");
	expect_bad_chunk(t, PFN(7 * GiB), PFN(7 * GiB) + BLK, "outside the node");
	memmap_splice_chunk(&t->node, &t->res[HT_MAX_CHUNKS - 1]);	/* empty: no change */
	assert_int_equal(memmap_chunks(&t->node, &(struct mm_range){ b->start_pfn, b->end_pfn }, 1,
				       NULL, 0), 4);
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), sum);
	ht_destroy(t);
}

static void expect_region_refused(uint64_t s, uint64_t e, uint64_t block, enum mm_memmap_loc loc,
				  const char *why)
{
	static uint8_t state[4096], bits[4096];
	struct mm_hot_region r;

	host_console_reset();
	assert_int_equal(mm_hot_region_init(&r, 9, s, e, block, loc, state, bits), -1);
	assert_true(host_console_contains("hot region 9"));
	assert_true(host_console_contains(why));
}

static void test_region_and_add_refusals(void **state)
{
	static uint8_t st[MM_MAX_HOT_REGIONS + 1][32], bits[MM_MAX_HOT_REGIONS + 1][16];
	struct mm_hot_region extra[MM_MAX_HOT_REGIONS + 1];
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	uint64_t s = PFN(6 * GiB);

	(void)state;
	expect_region_refused(s, s + 4 * BLK, 256, MM_MEMMAP_DRAM, "power of 2");
	expect_region_refused(s, s + 6 * BLK, 3 * BLK, MM_MEMMAP_DRAM, "power of 2");
	expect_region_refused(s + BLK, s + 4 * BLK, 2 * BLK, MM_MEMMAP_DRAM, "multiple of the block");
	expect_region_refused(s, s, BLK, MM_MEMMAP_DRAM, "empty");
	expect_region_refused(MAX_PFN - BLK, MAX_PFN + BLK, BLK, MM_MEMMAP_DRAM, "beyond");
	expect_region_refused(s, s + BLK, BLK, MM_MEMMAP_DEVICE, "section-aligned");
	expect_region_refused(s, s + 4 * PAGES_PER_SECTION, 2 * PAGES_PER_SECTION, MM_MEMMAP_DEVICE,
			      "at most a section");
	host_console_reset();
	assert_int_equal(mm_hot_region_init(&extra[0], 1, s, s + BLK, BLK, MM_MEMMAP_DRAM, NULL,
					    bits[0]), -1);
	assert_true(host_console_contains("no storage"));
	for (uint32_t i = 0; i <= MM_MAX_HOT_REGIONS; i++)
		assert_int_equal(mm_hot_region_init(&extra[i], i, s + i * 16 * BLK,
						    s + (i + 1) * 16 * BLK, BLK, MM_MEMMAP_DRAM, st[i],
						    bits[i]), 0);
	extra[0].state[3] = MM_HOT_ONLINE;
	host_console_reset();
	assert_int_equal(memmap_node_add_hot(&t->node, &extra[0]), -1);
	assert_true(host_console_contains("a block is not OFFLINE"));
	extra[0].state[3] = MM_HOT_OFFLINE;
	for (uint32_t i = 0; i < MM_MAX_HOT_REGIONS; i++)
		assert_int_equal(memmap_node_add_hot(&t->node, &extra[i]), 0);
	assert_int_equal(memmap_node_add_hot(&t->node, &extra[MM_MAX_HOT_REGIONS]), -1);
	assert_true(host_console_contains("MM_MAX_HOT_REGIONS"));
	t->node.nr_hot = 1;		/* room again, region 0 stays */
	host_console_reset();
	assert_int_equal(memmap_node_add_hot(&t->node, &extra[0]), -1);
	assert_true(host_console_contains("overlaps another hot region"));
	assert_int_equal(mm_hot_region_init(&extra[1], 1, PFN(DRAM_S) - 4 * BLK, PFN(DRAM_S) + BLK,
					    BLK, MM_MEMMAP_DRAM, st[1], bits[1]), 0);
	assert_int_equal(memmap_node_add_hot(&t->node, &extra[1]), -1);
	assert_true(host_console_contains("overlaps a section of the node's RAM"));
	assert_int_equal(mm_hot_find(&t->node, s), 0);
	assert_int_equal(mm_hot_find(&t->node, PFN(DRAM_S)), MM_NO_HOT);
	ht_destroy(t);
}

/* A region that has no online block changes nothing in the checksum, and
 * memmap_node_reset() takes every hot block offline again. */
static void test_empty_region_checksum_and_reset(void **state)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	uint64_t dram = memmap_checksum(&t->node), dram_free = t->node.nr_free_pages;
	struct memmap_verify_result vr;
	struct mm_hot_region *r;

	(void)state;
	r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	assert_int_equal(memmap_checksum(&t->node), dram);
	assert_int_equal(ht_verify(t, &vr), 0);
	assert_int_equal(vr.hot_pages, 0);
	ht_online(t, 0, r->start_pfn, r->start_pfn + PAGES_PER_SECTION);
	assert_int_not_equal(memmap_checksum(&t->node), dram);
	memmap_node_reset(&t->node);
	assert_int_equal(t->node.nr_hot, 1);
	assert_int_equal(r->online_pages + r->free_pages + r->altmap_pages, 0);
	assert_int_equal(r->state[0], MM_HOT_OFFLINE);
	assert_int_equal(t->node.span_end_pfn, PFN(DRAM_E));
	ht_init_dram(t);
	assert_int_equal(t->node.nr_free_pages, dram_free);
	assert_int_equal(memmap_checksum(&t->node), dram);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_destroy(t);
}

/* The verifier is not blind to hot memory: each corruption is caught, and
 * undoing it passes again. */
static void expect_caught(struct ht *t, const char *what)
{
	host_console_reset();
	assert_int_equal(ht_verify(t, NULL), -1);
	assert_true(host_console_contains(what));
}

/* One field of a free head, then one of its tail, in an online hot run:
 * exactly one error each. */
static void test_hot_head_and_tail_field(void **state)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DEVICE);
	uint64_t s = r->start_pfn, head = s + 1024, sum;
	struct memmap_verify_result vr;

	(void)state;
	ht_online(t, 0, s, s + PAGES_PER_SECTION);
	sum = memmap_checksum(&t->node);
	assert_true(pfn_to_page(head)->flags & PG_buddy);
	pfn_to_page(head)->refcount = 1;			/* a free head's field */
	host_console_reset();
	assert_int_equal(ht_verify(t, &vr), -1);
	assert_int_equal(vr.errors, 1);
	assert_true(host_console_contains("refcount 1, want 0"));
	assert_int_not_equal(memmap_checksum(&t->node), sum);
	pfn_to_page(head)->refcount = 0;
	pfn_to_page(head + 5)->next_pfn = head;		/* a tail's field */
	host_console_reset();
	assert_int_equal(ht_verify(t, &vr), -1);
	assert_int_equal(vr.errors, 1);
	assert_true(host_console_contains("links set on a page that is no free head"));
	pfn_to_page(head + 5)->next_pfn = PFN_NONE;
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), sum);
	ht_destroy(t);
}

static void test_verifier_catches_hot(void **state)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DEVICE);
	uint64_t s = r->start_pfn, sum;
	struct page saved;

	(void)state;
	ht_online(t, 0, s, s + PAGES_PER_SECTION);
	sum = memmap_checksum(&t->node);
	saved = *pfn_to_page(s + 3);				/* an altmap page */
	pfn_to_page(s + 3)->flags &= ~PG_vmemmap_self_hosted;
	expect_caught(t, "flags");
	assert_int_not_equal(memmap_checksum(&t->node), sum);
	*pfn_to_page(s + 3) = saved;
	pfn_to_page(s + 700)->refcount = 1;			/* a free block's tail */
	expect_caught(t, "refcount");
	pfn_to_page(s + 700)->refcount = 0;
	r->free_pages--;
	expect_caught(t, "hot region 20");
	r->free_pages++;
	r->state[PAGES_PER_SECTION / BLK - 1] = MM_HOT_ISOLATED;
	expect_caught(t, "block state 2");
	r->state[PAGES_PER_SECTION / BLK - 1] = MM_HOT_ONLINE;
	r->pageblock_mt[1] = 0;					/* pageblock 2 not MOVABLE */
	expect_caught(t, "hot pageblock migratetype");
	r->pageblock_mt[1] = 0x11;
	pfn_to_page(s + 1024)->order = 9;			/* order-10 block as two 9s */
	pfn_to_page(s + 1536)->flags |= PG_buddy;
	pfn_to_page(s + 1536)->order = 9;
	expect_caught(t, "not merged");
	pfn_to_page(s + 1536)->flags &= ~PG_buddy;
	pfn_to_page(s + 1536)->order = 0;
	pfn_to_page(s + 1024)->order = 10;
	r->state[2] = MM_HOT_OFFLINE;				/* a listed head offline */
	expect_caught(t, "leaves the node's present and online hot memory");
	r->state[2] = MM_HOT_ONLINE;
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), sum);
	ht_destroy(t);
}

/* A double free of a hot page after its buddy merged is refused with a
 * message; the node's and the region's counts stay (issue 16, item 9). */
static void test_hot_double_free_refused(void **state)
{
	struct ht *t = ht_create(0, 0);				/* hot memory only */
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	uint64_t a, b, sum, nfree;

	(void)state;
	ht_online(t, 0, r->start_pfn, r->start_pfn + BLK);
	a = buddy_alloc_pages(&t->node, 0);
	b = buddy_alloc_pages(&t->node, 0);
	assert_true(a >= r->start_pfn && b == (a ^ 1));
	buddy_free_pages(&t->node, b, 0);
	buddy_free_pages(&t->node, a, 0);			/* merged again */
	sum = memmap_checksum(&t->node);
	nfree = t->node.nr_free_pages;
	host_console_reset();
	buddy_free_pages(&t->node, a | 1, 0);
	assert_true(host_console_contains("bad free"));
	assert_int_equal(t->node.nr_allocated_pages, 0);
	assert_int_equal(t->node.nr_free_pages, nfree);
	assert_int_equal(r->allocated_pages, 0);
	assert_int_equal(r->free_pages, BLK);
	assert_int_equal(memmap_checksum(&t->node), sum);
	assert_int_equal(ht_verify(t, NULL), 0);
	ht_destroy(t);
}

/* Allocators on two threads while the main thread onlines the region a
 * section at a time: afterwards everything freed gives the checksum of the
 * same memory onlined with nobody allocating. */
struct cc {
	struct ht *t;
	uint32_t stop;		/* (A) */
	uint64_t hot_seen;	/* (A) allocations that returned a hot pfn */
};

static void *cc_allocator(void *arg)
{
	struct cc *c = arg;
	uint64_t pfns[64], seed = (uint64_t)(uintptr_t)&pfns | 1;
	unsigned orders[64], n = 0, seen = 0;
	int stopping = 0;

	/* until the region is all online and this thread got hot memory */
	while (!(stopping && seen) || n) {
		stopping = (int)__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
		if (!(stopping && seen) && n < 64 && ht_rnd(&seed) % 3) {
			orders[n] = (unsigned)(ht_rnd(&seed) % (MAX_ORDER + 1));
			pfns[n] = buddy_alloc_pages(&c->t->node, orders[n]);
			if (pfns[n] == PFN_NONE)
				continue;
			if (pfns[n] >= PFN(REG_S)) {
				seen = 1;
				__atomic_fetch_add(&c->hot_seen, 1, __ATOMIC_RELAXED);
			}
			n++;
		} else if (n) {
			unsigned i = (unsigned)(ht_rnd(&seed) % n);

			buddy_free_pages(&c->t->node, pfns[i], orders[i]);
			pfns[i] = pfns[--n];
			orders[i] = orders[n];
		}
	}
	return NULL;
}

static void test_concurrent_splice(void **state)
{
	struct ht *t = ht_create(DRAM_S, DRAM_E);
	struct mm_hot_region *r = ht_region(t, 0, REG_S, REG_E, BLK, MM_MEMMAP_DRAM);
	struct cc c = { .t = t };
	pthread_t th[2];
	uint64_t ref;

	(void)state;
	ht_online(t, 0, r->start_pfn, r->end_pfn);
	ref = memmap_checksum(&t->node);
	memmap_node_reset(&t->node);
	ht_init_dram(t);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, cc_allocator, &c), 0);
	for (uint64_t s = r->start_pfn; s < r->end_pfn; s += PAGES_PER_SECTION)
		ht_online(t, 0, s, s + PAGES_PER_SECTION);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_true(c.hot_seen >= 2);
	assert_int_equal(t->node.nr_allocated_pages, 0);
	assert_int_equal(r->allocated_pages, 0);
	assert_int_equal(ht_verify(t, NULL), 0);
	assert_int_equal(memmap_checksum(&t->node), ref);
	ht_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_online_sections_out_of_order),
		cmocka_unit_test(test_online_blocks_shuffled),
		cmocka_unit_test(test_alloc_first_and_merge_across_plugs),
		cmocka_unit_test(test_alloc_boot_skips_hot),
		cmocka_unit_test(test_region_in_a_span_hole),
		cmocka_unit_test(test_bad_chunks_refused),
		cmocka_unit_test(test_region_and_add_refusals),
		cmocka_unit_test(test_empty_region_checksum_and_reset),
		cmocka_unit_test(test_verifier_catches_hot),
		cmocka_unit_test(test_hot_head_and_tail_field),
		cmocka_unit_test(test_hot_double_free_refused),
		cmocka_unit_test(test_concurrent_splice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
