/*
 * Host tests of the range initializer, splice, verifier and checksum on a
 * fake three-node machine (mm/memmap_init.c, mm/verify.c mm/checksum.c).
 *
 * The first part (up to MM_FIXTURE_ONLY) is the fake machine, shared with
 * test_buddy.c, which includes this file with MM_FIXTURE_ONLY defined.
 *
 * Machine (bytes):
 *   node 0 [0, 4.5 GiB): page 0 reserved; [4 KiB, 636 KiB) free (unaligned end);
 *          [1 MiB, 512 MiB) with loader data at 32..36 MiB and ACPI at the top;
 *          no RAM 512 MiB..3.75 GiB (sections absent); [3.75 GiB + 28 KiB, 4.5 GiB)
 *          free across the 4 GiB zone boundary.  DMA/DMA32 boundary at 16 MiB.
 *   node 1 [8 GiB, 8.5 GiB): an MMIO hole and an overlapping bogus reserved entry.
 *   node 2 [16 GiB, 16.25 GiB): plain.
 * memblock then allocates each present section's 2 MiB memmap backing on its
 * node plus some odd-sized buffers, so the memmap has reserved holes inside
 * free runs.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "host_console.h"
#include "mm.h"

#define FM_NODES	3
#define FM_MAX_RANGES	64
#define FM_MAX_CHUNKS	64
#define GiB		(1ULL << 30)
#define MiB		(1ULL << 20)
#define KiB		(1ULL << 10)

struct fm_node {
	struct mm_range present[FM_MAX_RANGES], usable[FM_MAX_RANGES];
	uint32_t nr_present, nr_usable;
	struct mm_range chunks[FM_MAX_CHUNKS];
	uint32_t nr_chunks;
	struct memmap_chunk_result res[FM_MAX_CHUNKS];
	uint8_t *pageblock_mt;
	uint64_t pageblock_bytes;
	struct mm_node node;
};

struct fake_machine {
	struct boot_mem_range map[32];
	uint32_t map_count;
	struct memblock_node_range nodes[FM_NODES];
	uint8_t distance[FM_NODES * FM_NODES];
	struct memblock_region mem_storage[64], res_storage[128];
	struct memblock mb;
	struct fm_node n[FM_NODES];
	size_t vmemmap_bytes;
};

static void fm_map(struct fake_machine *m, uint64_t start, uint64_t end, uint32_t type)
{
	m->map[m->map_count++] = (struct boot_mem_range){
		.phys = start, .pages = (end - start) / PAGE_SIZE, .type = type,
	};
}

static void fm_layout(struct fake_machine *m)
{
	static const uint8_t dist[FM_NODES * FM_NODES] = { 10, 21, 31, 21, 10, 21, 31, 21, 10 };

	fm_map(m, 0, 4 * KiB, BOOT_MEM_RESERVED);
	fm_map(m, 4 * KiB, 636 * KiB, BOOT_MEM_CONVENTIONAL);
	fm_map(m, 636 * KiB, 1 * MiB, BOOT_MEM_RESERVED);
	fm_map(m, 1 * MiB, 32 * MiB, BOOT_MEM_CONVENTIONAL);
	fm_map(m, 32 * MiB, 36 * MiB, BOOT_MEM_LOADER_DATA);
	fm_map(m, 36 * MiB, 512 * MiB - 20 * KiB, BOOT_MEM_BOOT_SERVICES_DATA);
	fm_map(m, 512 * MiB - 20 * KiB, 512 * MiB, BOOT_MEM_ACPI_RECLAIM);
	fm_map(m, 3840 * MiB + 28 * KiB, 4608 * MiB, BOOT_MEM_CONVENTIONAL);
	fm_map(m, 8 * GiB, 8 * GiB + 100 * MiB + 12 * KiB, BOOT_MEM_CONVENTIONAL);
	fm_map(m, 8 * GiB + 100 * MiB + 12 * KiB, 8 * GiB + 101 * MiB, BOOT_MEM_MMIO);
	fm_map(m, 8 * GiB + 101 * MiB, 8 * GiB + 512 * MiB - 4 * KiB, BOOT_MEM_CONVENTIONAL);
	fm_map(m, 8 * GiB + 200 * MiB, 8 * GiB + 200 * MiB + 8 * KiB, BOOT_MEM_RESERVED); /* overlaps */
	fm_map(m, 16 * GiB, 16 * GiB + 256 * MiB, BOOT_MEM_CONVENTIONAL);
	m->nodes[0] = (struct memblock_node_range){ 0, 4608 * MiB, 0, 0 };
	m->nodes[1] = (struct memblock_node_range){ 8 * GiB, 8 * GiB + 512 * MiB, 1, 0 };
	m->nodes[2] = (struct memblock_node_range){ 16 * GiB, 16 * GiB + 256 * MiB, 2, 0 };
	memcpy(m->distance, dist, sizeof(dist));
}

/* The kernel's early allocations: each present section's memmap, node-local,
 * plus odd buffers and an explicit sub-page reservation. */
static void fm_early_allocations(struct fake_machine *m)
{
	for (uint32_t nid = 0; nid < FM_NODES; nid++) {
		struct mm_range present[FM_MAX_RANGES];
		uint32_t np = memblock_node_memory_ranges(&m->mb, nid, present, FM_MAX_RANGES);
		uint64_t last = UINT64_MAX;

		for (uint32_t i = 0; i < np; i++)
			for (uint64_t s = pfn_to_section_nr(present[i].start_pfn);
			     s <= pfn_to_section_nr(present[i].end_pfn - 1); s++)
				if (s != last) {
					assert_int_not_equal(memblock_alloc_exact_nid(&m->mb, nid,
							SECTION_MEMMAP_BYTES, SECTION_MEMMAP_BYTES), 0);
					last = s;
				}
		assert_int_not_equal(memblock_alloc(&m->mb, nid, 100 + nid, 8), 0);
		assert_int_not_equal(memblock_alloc(&m->mb, nid, 3 * PAGE_SIZE + 1, PAGE_SIZE), 0);
	}
	assert_int_equal(memblock_reserve(&m->mb, 48 * MiB + 0x800, 0x2000), 0);
}

static void fm_node_describe(struct fake_machine *m, uint32_t nid)
{
	struct fm_node *fn = &m->n[nid];
	uint64_t s = m->nodes[nid].start >> PAGE_SHIFT, e = m->nodes[nid].end >> PAGE_SHIFT;

	fn->nr_present = memblock_node_memory_ranges(&m->mb, nid, fn->present, FM_MAX_RANGES);
	fn->nr_usable = memblock_node_free_ranges(&m->mb, nid, fn->usable, FM_MAX_RANGES);
	assert_true(fn->nr_present <= FM_MAX_RANGES && fn->nr_usable <= FM_MAX_RANGES);
	fn->pageblock_bytes = memmap_pageblock_bytes(s, e);
	fn->pageblock_mt = malloc(fn->pageblock_bytes);
	assert_non_null(fn->pageblock_mt);
}

/* (Re)describe node nid for a fresh init: empty lists, garbage pageblock bits. */
static void fm_node_reset(struct fake_machine *m, uint32_t nid)
{
	struct fm_node *fn = &m->n[nid];

	memset(fn->pageblock_mt, 0xee, fn->pageblock_bytes);
	assert_int_equal(memmap_node_init(&fn->node, nid, m->nodes[nid].start >> PAGE_SHIFT,
					  m->nodes[nid].end >> PAGE_SHIFT, fn->present,
					  fn->nr_present, fn->usable, fn->nr_usable,
					  memblock_node_usable_pages(&m->mb, nid),
					  memblock_node_reserved_pages(&m->mb, nid),
					  fn->pageblock_mt), 0);
	fn->nr_chunks = memmap_chunks(&fn->node, NULL, 0, fn->chunks, FM_MAX_CHUNKS);
	assert_true(fn->nr_chunks <= FM_MAX_CHUNKS);
}

static struct fake_machine *fm_create(void)
{
	struct fake_machine *m = calloc(1, sizeof(*m));
	uint64_t max_pfn = 0;

	assert_non_null(m);
	fm_layout(m);
	for (uint32_t i = 0; i < m->map_count; i++)
		if (m->map[i].phys / PAGE_SIZE + m->map[i].pages > max_pfn)
			max_pfn = m->map[i].phys / PAGE_SIZE + m->map[i].pages;
	m->vmemmap_bytes = max_pfn * sizeof(struct page);
	memmap_host_vmemmap = mmap(NULL, m->vmemmap_bytes, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(memmap_host_vmemmap != MAP_FAILED);
	assert_int_equal(memblock_init(&m->mb, m->map, m->map_count, m->nodes, FM_NODES,
				       m->distance, FM_NODES, FM_NODES, m->mem_storage, 64,
				       m->res_storage, 128), 0);
	fm_early_allocations(m);
	memblock_freeze(&m->mb);
	for (uint32_t nid = 0; nid < FM_NODES; nid++) {
		fm_node_describe(m, nid);
		fm_node_reset(m, nid);
	}
	return m;
}

static void fm_destroy(struct fake_machine *m)
{
	for (uint32_t nid = 0; nid < FM_NODES; nid++)
		free(m->n[nid].pageblock_mt);
	munmap(memmap_host_vmemmap, m->vmemmap_bytes);
	memmap_host_vmemmap = NULL;
	free(m);
}

/* Mode 1: chunk by chunk in order, each spliced as it completes. */
static void fm_init_serial(struct fake_machine *m, uint32_t nid)
{
	struct fm_node *fn = &m->n[nid];

	fm_node_reset(m, nid);
	for (uint32_t c = 0; c < fn->nr_chunks; c++) {
		assert_int_equal(memmap_init_range(&fn->node, fn->chunks[c].start_pfn,
						   fn->chunks[c].end_pfn, &fn->res[c]), 0);
		memmap_splice_chunk(&fn->node, &fn->res[c]);
	}
}

static __attribute__((unused)) void fm_init_all_serial(struct fake_machine *m)
{
	for (uint32_t nid = 0; nid < FM_NODES; nid++)
		fm_init_serial(m, nid);
}

static int fm_verify(struct fake_machine *m, uint32_t nid)
{
	struct memmap_verify_result vr;

	return memmap_verify(&m->n[nid].node, &vr);
}

#ifndef MM_FIXTURE_ONLY

/* Mode 2: chunks in reverse order, spliced afterwards in chunk order. */
static void fm_init_reverse(struct fake_machine *m, uint32_t nid)
{
	struct fm_node *fn = &m->n[nid];

	fm_node_reset(m, nid);
	for (uint32_t c = fn->nr_chunks; c-- > 0;)
		assert_int_equal(memmap_init_range(&fn->node, fn->chunks[c].start_pfn,
						   fn->chunks[c].end_pfn, &fn->res[c]), 0);
	for (uint32_t c = 0; c < fn->nr_chunks; c++)
		memmap_splice_chunk(&fn->node, &fn->res[c]);
}

/* Mode 3: worker threads take chunks of all nodes at once; a splicer splices
 * each node's chunks in chunk order as they complete, while an allocator
 * thread allocates and frees on the node being spliced (deferred mode). */
struct par_ctx {
	struct fake_machine *m;
	uint32_t next;				/* (A) next work item */
	uint32_t done[FM_NODES][FM_MAX_CHUNKS];	/* (A) chunk initialized */
	uint32_t splicing_over;			/* (A) */
	int failures;				/* (A) */
};

static void *par_worker(void *arg)
{
	struct par_ctx *p = arg;
	uint32_t item;

	while ((item = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < FM_NODES * FM_MAX_CHUNKS) {
		uint32_t nid = item % FM_NODES, c = item / FM_NODES;
		struct fm_node *fn = &p->m->n[nid];

		if (c >= fn->nr_chunks)
			continue;
		if (memmap_init_range(&fn->node, fn->chunks[c].start_pfn, fn->chunks[c].end_pfn,
				      &fn->res[c]))
			__atomic_fetch_add(&p->failures, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&p->done[nid][c], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *par_splicer(void *arg)
{
	struct par_ctx *p = arg;

	for (uint32_t nid = 0; nid < FM_NODES; nid++)
		for (uint32_t c = 0; c < p->m->n[nid].nr_chunks; c++) {
			while (!__atomic_load_n(&p->done[nid][c], __ATOMIC_ACQUIRE))
				;
			memmap_splice_chunk(&p->m->n[nid].node, &p->m->n[nid].res[c]);
		}
	__atomic_store_n(&p->splicing_over, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *par_allocator(void *arg)
{
	struct par_ctx *p = arg;
	struct mm_node *node = &p->m->n[1].node;

	while (!__atomic_load_n(&p->splicing_over, __ATOMIC_ACQUIRE)) {
		uint64_t pfn[4];

		for (unsigned o = 0; o < 4; o++)
			pfn[o] = buddy_alloc_pages(node, o * 3);
		for (unsigned o = 4; o-- > 0;)
			if (pfn[o] != PFN_NONE)
				buddy_free_pages(node, pfn[o], o * 3);
	}
	return NULL;
}

static void fm_init_parallel(struct fake_machine *m, unsigned nthreads)
{
	struct par_ctx *p = calloc(1, sizeof(*p));
	pthread_t t[8], splicer, allocator;

	assert_non_null(p);
	p->m = m;
	for (uint32_t nid = 0; nid < FM_NODES; nid++)
		fm_node_reset(m, nid);
	pthread_create(&allocator, NULL, par_allocator, p);
	pthread_create(&splicer, NULL, par_splicer, p);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, par_worker, p);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	pthread_join(splicer, NULL);
	pthread_join(allocator, NULL);
	assert_int_equal(p->failures, 0);
	free(p);
}

static void fm_checksums(struct fake_machine *m, uint64_t *sums)
{
	for (uint32_t nid = 0; nid < FM_NODES; nid++) {
		assert_int_equal(fm_verify(m, nid), 0);
		sums[nid] = memmap_checksum(&m->n[nid].node);
	}
}

static void test_serial_verifies(void **state)
{
	struct fake_machine *m = fm_create();
	struct memmap_verify_result vr;

	(void)state;
	fm_init_all_serial(m);
	for (uint32_t nid = 0; nid < FM_NODES; nid++) {
		struct mm_node *node = &m->n[nid].node;

		assert_int_equal(memmap_verify(node, &vr), 0);
		assert_int_equal(vr.free_pages, node->ram_usable_pages - node->early_reserved_pages);
		assert_int_equal(vr.allocated_pages, 0);
		assert_int_equal(vr.pages_checked, m->n[nid].nr_chunks * PAGES_PER_SECTION);
		assert_int_equal(vr.free_pages + vr.reserved_pages, vr.pages_checked);
		assert_true(vr.free_blocks > 50);
		assert_true(node->early_reserved_pages >= 512);	/* memmap backing */
	}
	/* 12 sections in node 0 less 14 absent ones: 0..3 and 30..35. */
	assert_int_equal(m->n[0].nr_chunks, 10);
	assert_int_equal(m->n[1].nr_chunks, 4);
	assert_int_equal(m->n[2].nr_chunks, 2);
	fm_destroy(m);
}

static void test_page_states(void **state)
{
	struct fake_machine *m = fm_create();
	const struct page *p;

	(void)state;
	fm_init_all_serial(m);
	p = pfn_to_page(0);				/* page 0: reserved, DMA */
	assert_true(p->flags & PG_reserved);
	assert_int_equal(p->refcount, 1);
	p = pfn_to_page(1);				/* pfn 1 only aligned to order 0 */
	assert_true(p->flags & PG_buddy);
	assert_int_equal(p->order, 0);
	assert_int_equal(page_zone_id(p), ZONE_DMA);
	p = pfn_to_page(0x9e);				/* last page of the 636 KiB run */
	assert_true(p->flags & PG_buddy);
	assert_int_equal(p->order, 0);
	p = pfn_to_page(ZONE_DMA32_START_PFN - 1024);	/* max order, last DMA block */
	assert_true(p->flags & PG_buddy);
	assert_int_equal(p->order, MAX_ORDER);
	assert_int_equal(page_zone_id(p), ZONE_DMA);
	p = pfn_to_page(ZONE_DMA32_START_PFN);
	assert_true(p->flags & PG_buddy);
	assert_int_equal(page_zone_id(p), ZONE_DMA32);
	p = pfn_to_page(ZONE_NORMAL_START_PFN - 1024);
	assert_int_equal(p->order, MAX_ORDER);
	assert_int_equal(page_zone_id(p), ZONE_DMA32);
	p = pfn_to_page(ZONE_NORMAL_START_PFN);
	assert_int_equal(page_zone_id(p), ZONE_NORMAL);
	assert_int_equal(page_nid(p), 0);
	p = pfn_to_page((3840 * MiB + 28 * KiB) >> PAGE_SHIFT);	/* unaligned run start */
	assert_true(p->flags & PG_buddy);
	assert_int_equal(p->order, 0);
	p = pfn_to_page((32 * MiB) >> PAGE_SHIFT);	/* loader data */
	assert_true(p->flags & PG_reserved);
	p = pfn_to_page((48 * MiB) >> PAGE_SHIFT);	/* partly reserved page */
	assert_true(p->flags & PG_reserved);
	p = pfn_to_page((8 * GiB + 200 * MiB) >> PAGE_SHIFT);	/* bogus overlap wins */
	assert_true(p->flags & PG_reserved);
	assert_int_equal(page_nid(p), 1);
	assert_int_equal(memmap_pageblock_migratetype(&m->n[2].node, (16 * GiB) >> PAGE_SHIFT),
			 MIGRATE_MOVABLE);
	fm_destroy(m);
}

static void test_modes_same_checksum(void **state)
{
	struct fake_machine *m = fm_create();
	uint64_t serial[FM_NODES], reverse[FM_NODES], par[FM_NODES], again[FM_NODES];

	(void)state;
	fm_init_all_serial(m);
	fm_checksums(m, serial);
	for (uint32_t nid = 0; nid < FM_NODES; nid++)
		fm_init_reverse(m, nid);
	fm_checksums(m, reverse);
	for (int run = 0; run < 3; run++) {
		fm_init_parallel(m, 4);
		fm_checksums(m, par);
		assert_memory_equal(serial, par, sizeof(serial));
	}
	fm_init_all_serial(m);
	fm_checksums(m, again);
	assert_memory_equal(serial, reverse, sizeof(serial));
	assert_memory_equal(serial, again, sizeof(serial));
	assert_int_not_equal(serial[0], serial[1]);
	fm_destroy(m);
}

/* The same free memory cut into adjacent usable pieces gives the same state. */
static void test_split_usable_same_checksum(void **state)
{
	struct fake_machine *m = fm_create();
	struct fm_node *fn = &m->n[2];
	uint64_t before, after;

	(void)state;
	fm_init_serial(m, 2);
	before = memmap_checksum(&fn->node);
	assert_int_equal(fn->nr_usable, 1);
	fn->usable[1] = fn->usable[0];
	fn->usable[0].end_pfn = fn->usable[0].start_pfn + 1234567 % 40000;
	fn->usable[1].start_pfn = fn->usable[0].end_pfn;
	fn->nr_usable = 2;
	fm_init_serial(m, 2);
	assert_int_equal(fm_verify(m, 2), 0);
	after = memmap_checksum(&fn->node);
	assert_int_equal(before, after);
	fm_destroy(m);
}

static void test_bad_chunks_rejected(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[0].node;
	struct memmap_chunk_result res;

	(void)state;
	assert_int_equal(memmap_init_range(node, 100, 2048, &res), -1);	/* unaligned */
	assert_int_equal(memmap_init_range(node, 0, 2 * PAGES_PER_SECTION, &res), -1);
	assert_int_equal(memmap_init_range(node, 5 * PAGES_PER_SECTION,
					   6 * PAGES_PER_SECTION, &res), -1);	/* absent */
	assert_int_equal(memmap_init_range(&m->n[1].node, 0, 1024, &res), -1);	/* not its node */
	fm_destroy(m);
}

static void expect_detected(struct fake_machine *m, uint32_t nid, uint64_t good)
{
	host_console_reset();
	assert_int_equal(fm_verify(m, nid), -1);
	assert_true(host_console_contains("verify: node "));
	assert_int_not_equal(memmap_checksum(&m->n[nid].node), good);
	fm_init_serial(m, nid);
	assert_int_equal(fm_verify(m, nid), 0);
	assert_int_equal(memmap_checksum(&m->n[nid].node), good);
}

static void test_corruption_detected(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[1].node;
	uint64_t good, head;

	(void)state;
	fm_init_serial(m, 1);
	good = memmap_checksum(node);
	pfn_to_page((8 * GiB + 200 * MiB) >> PAGE_SHIFT)->refcount = 0;	/* reserved page */
	expect_detected(m, 1, good);
	head = node->free_area[ZONE_NORMAL][MAX_ORDER].head;
	pfn_to_page(head)->next_pfn += MAX_ORDER_NR_PAGES;	/* list link */
	expect_detected(m, 1, good);
	head = node->free_area[ZONE_NORMAL][MAX_ORDER].head;
	pfn_to_page(head)->prev_pfn = head + 5;			/* back link */
	assert_int_equal(fm_verify(m, 1), -1);
	fm_init_serial(m, 1);
	head = node->free_area[ZONE_NORMAL][0].head;
	pfn_to_page(head)->flags &= ~PG_buddy;			/* lost head */
	expect_detected(m, 1, good);
	pfn_to_page(head + 1)->mapping = 1;			/* a tail's field */
	expect_detected(m, 1, good);
	node->nr_free_pages--;					/* accounting */
	expect_detected(m, 1, good);
	m->n[1].pageblock_mt[3] = 0;				/* migratetype */
	expect_detected(m, 1, good);
	fm_destroy(m);
}

/* One field of a free head, then one of its tail: the walk reports each as
 * exactly one error, and the checksum moves. */
static void expect_errors(struct fake_machine *m, uint32_t nid, uint64_t good, uint64_t errors,
			  const char *what)
{
	struct memmap_verify_result vr;

	host_console_reset();
	assert_int_equal(memmap_verify(&m->n[nid].node, &vr), -1);
	assert_int_equal(vr.errors, errors);
	assert_true(host_console_contains(what));
	assert_int_not_equal(memmap_checksum(&m->n[nid].node), good);
}

static void test_dram_head_and_tail_field(void **state)
{
	struct fake_machine *m = fm_create();
	struct mm_node *node = &m->n[1].node;
	uint64_t good, head;

	(void)state;
	fm_init_serial(m, 1);
	good = memmap_checksum(node);
	head = node->free_area[ZONE_NORMAL][MAX_ORDER].head;
	pfn_to_page(head)->mapcount = 0;			/* a free head's field */
	expect_errors(m, 1, good, 1, "mapcount 0");
	pfn_to_page(head)->mapcount = -1;
	pfn_to_page(head + 7)->index = 3;			/* a tail's field */
	expect_errors(m, 1, good, 1, "owner fields not zero");
	pfn_to_page(head + 7)->index = 0;
	assert_int_equal(fm_verify(m, 1), 0);
	assert_int_equal(memmap_checksum(node), good);
	fm_destroy(m);
}

/* Two nodes sharing one section, the boundary not MAX_ORDER-aligned: each
 * node initializes its part, buddies never merge across the boundary. */
static void test_nodes_share_a_section(void **state)
{
	static const struct mm_range pa[] = { { 0x10000, 0x12345 } }, ua[] = { { 0x10010, 0x12345 } };
	static const struct mm_range pb[] = { { 0x12345, 0x18000 } }, ub[] = { { 0x12345, 0x17ff0 } };
	struct mm_node a, b;
	struct memmap_chunk_result ra, rb;
	struct memmap_verify_result vr;
	uint8_t bits_a[32], bits_b[32];
	uint64_t sum, pfn[64];

	(void)state;
	memmap_host_vmemmap = mmap(NULL, 0x18000 * sizeof(struct page), PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(memmap_host_vmemmap != MAP_FAILED);
	assert_int_equal(memmap_node_init(&a, 0, 0x10000, 0x12345, pa, 1, ua, 1, 0x2335, 0,
					  bits_a), 0);
	assert_int_equal(memmap_node_init(&b, 1, 0x12345, 0x18000, pb, 1, ub, 1, 0x5cab, 0,
					  bits_b), 0);
	assert_int_equal(memmap_chunks(&b, NULL, 0, NULL, 0), 1);
	assert_int_equal(memmap_init_range(&b, 0x12345, 0x18000, &rb), 0);
	assert_int_equal(memmap_init_range(&a, 0x10000, 0x12345, &ra), 0);
	memmap_splice_chunk(&a, &ra);
	memmap_splice_chunk(&b, &rb);
	assert_int_equal(memmap_verify(&a, &vr), 0);
	assert_int_equal(vr.free_pages, 0x2335);
	assert_int_equal(memmap_verify(&b, &vr), 0);
	assert_int_equal(vr.free_pages, 0x5cab);
	assert_int_equal(pfn_to_page(0x12345)->order, 0);
	assert_int_equal(page_nid(pfn_to_page(0x12345)), 1);
	sum = memmap_checksum(&b);
	for (int i = 0; i < 64; i++)
		pfn[i] = buddy_alloc_pages(&b, 0);
	for (int i = 0; i < 64; i++)
		buddy_free_pages(&b, pfn[i], 0);
	assert_int_equal(memmap_checksum(&b), sum);
	assert_int_equal(memmap_verify(&a, &vr), 0);
	munmap(memmap_host_vmemmap, 0x18000 * sizeof(struct page));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_verifies),
		cmocka_unit_test(test_page_states),
		cmocka_unit_test(test_modes_same_checksum),
		cmocka_unit_test(test_split_usable_same_checksum),
		cmocka_unit_test(test_bad_chunks_rejected),
		cmocka_unit_test(test_corruption_detected),
		cmocka_unit_test(test_dram_head_and_tail_field),
		cmocka_unit_test(test_nodes_share_a_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* MM_FIXTURE_ONLY */
