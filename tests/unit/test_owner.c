/*
 * Host tests of per-pfn node ownership (mm/memmap_owner.c, the owned list
 * of struct mm_node, docs/mm.md "Node ownership per pfn"): interleaved
 * nodes whose span hulls overlap, a section shared by two nodes at a
 * boundary that is only page aligned, the verifier's per-pfn owner check,
 * and the owned lists computed from every node's RAM (holes in a shared
 * section included).
 *
 * The machine is given as RAM ranges (bytes, sorted, each with its node)
 * and reserved pfn ranges; usable = RAM minus reserved.  The host vmemmap
 * is an mmap(MAP_NORESERVE) area up to the top of RAM; before each init the
 * struct pages of every section holding RAM are filled with garbage.
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
#include "../../mm/internal.h"

#define GiB		(1ULL << 30)
#define MiB		(1ULL << 20)
#define KiB		(1ULL << 10)
#define PFN(bytes)	((bytes) >> PAGE_SHIFT)
#define OM_NODES	2
#define OM_MAX		8	/* ranges per node and per list */
#define OM_MAX_CHUNKS	64
#define NID_SHIFT	54	/* page->flags node bits (include/page.h) */

struct om_ram {
	uint64_t start, end;	/* bytes */
	uint32_t nid;
};

struct om_node {
	struct mm_range present[OM_MAX], usable[OM_MAX], owned[OM_MAX];
	uint32_t np, nu, no;
	struct mm_range chunks[OM_MAX_CHUNKS];
	uint32_t nc;
	struct memmap_chunk_result res[OM_MAX_CHUNKS];
	uint8_t *bits;
	uint64_t bits_bytes;
	struct mm_node node;
};

struct om {
	struct memblock_region mem[OM_MAX];	/* every node's RAM */
	uint32_t nmem;
	const struct mm_range *reserved;
	uint32_t nres;
	struct mm_range span[OM_NODES];
	struct om_node n[OM_NODES];
	uint64_t top_pfn;
};

/* RAM range [s, e) minus the reserved ranges, appended to fn's usable list. */
static void om_add_usable(struct om *m, struct om_node *fn, uint64_t s, uint64_t e)
{
	for (uint32_t r = 0; r < m->nres && s < e; r++) {
		const struct mm_range *x = &m->reserved[r];

		if (x->end_pfn <= s || x->start_pfn >= e)
			continue;
		if (x->start_pfn > s) {
			assert_true(fn->nu < OM_MAX);
			fn->usable[fn->nu++] = (struct mm_range){ s, x->start_pfn };
		}
		s = x->end_pfn;
	}
	if (s < e) {
		assert_true(fn->nu < OM_MAX);
		fn->usable[fn->nu++] = (struct mm_range){ s, e };
	}
}

/* Describe node nid (span = hull of its RAM) and give it its owned list. */
static void om_describe(struct om *m, uint32_t nid)
{
	struct om_node *fn = &m->n[nid];
	uint64_t ram = 0, usable = 0;

	for (uint32_t i = 0; i < m->nmem; i++) {
		uint64_t s = PFN(m->mem[i].base), e = PFN(m->mem[i].end);

		if (m->mem[i].nid != nid)
			continue;
		assert_true(fn->np < OM_MAX);
		fn->present[fn->np++] = (struct mm_range){ s, e };
		om_add_usable(m, fn, s, e);
		ram += e - s;
	}
	for (uint32_t u = 0; u < fn->nu; u++)
		usable += fn->usable[u].end_pfn - fn->usable[u].start_pfn;
	fn->bits_bytes = memmap_pageblock_bytes(m->span[nid].start_pfn, m->span[nid].end_pfn);
	fn->bits = malloc(fn->bits_bytes);
	assert_non_null(fn->bits);
	memset(fn->bits, 0xee, fn->bits_bytes);
	assert_int_equal(memmap_node_init(&fn->node, nid, m->span[nid].start_pfn,
					  m->span[nid].end_pfn, fn->present, fn->np, fn->usable,
					  fn->nu, ram, ram - usable, fn->bits), 0);
	fn->no = memmap_owned_ranges(nid, m->mem, m->nmem, m->span, OM_NODES, fn->owned, OM_MAX);
	assert_true(fn->no <= OM_MAX);
	assert_int_equal(memmap_node_set_owned(&fn->node, fn->owned, fn->no), 0);
	fn->nc = memmap_chunks(&fn->node, NULL, 0, fn->chunks, OM_MAX_CHUNKS);
	assert_true(fn->nc <= OM_MAX_CHUNKS);
}

static struct om *om_create(const struct om_ram *ram, uint32_t nram, const struct mm_range *res,
			    uint32_t nres)
{
	struct om *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	assert_true(nram <= OM_MAX);
	for (uint32_t i = 0; i < nram; i++) {
		struct mm_range *sp = &m->span[ram[i].nid];

		m->mem[i] = (struct memblock_region){ ram[i].start, ram[i].end, ram[i].nid, 0 };
		if (sp->start_pfn == sp->end_pfn)
			*sp = (struct mm_range){ PFN(ram[i].start), PFN(ram[i].end) };
		sp->end_pfn = PFN(ram[i].end);		/* sorted: the hull grows upwards */
		if (PFN(ram[i].end) > m->top_pfn)
			m->top_pfn = PFN(ram[i].end);
	}
	m->nmem = nram;
	m->reserved = res;
	m->nres = nres;
	memmap_host_vmemmap = mmap(NULL, m->top_pfn * sizeof(struct page), PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(memmap_host_vmemmap != MAP_FAILED);
	for (uint32_t nid = 0; nid < OM_NODES; nid++)
		om_describe(m, nid);
	return m;
}

static void om_destroy(struct om *m)
{
	for (uint32_t nid = 0; nid < OM_NODES; nid++)
		free(m->n[nid].bits);
	munmap(memmap_host_vmemmap, m->top_pfn * sizeof(struct page));
	memmap_host_vmemmap = NULL;
	free(m);
}

/* Fresh nodes over a memmap of garbage: every section holding RAM. */
static void om_reset(struct om *m)
{
	for (uint32_t i = 0; i < m->nmem; i++)
		for (uint64_t sec = pfn_to_section_nr(PFN(m->mem[i].base));
		     sec <= pfn_to_section_nr(PFN(m->mem[i].end) - 1); sec++)
			memset(pfn_to_page(section_nr_to_pfn(sec)), 0xa5,
			       PAGES_PER_SECTION * sizeof(struct page));
	for (uint32_t nid = 0; nid < OM_NODES; nid++) {
		memset(m->n[nid].bits, 0xee, m->n[nid].bits_bytes);
		memmap_node_reset(&m->n[nid].node);
	}
}

static void om_init_chunk(struct om *m, uint32_t nid, uint32_t c)
{
	struct om_node *fn = &m->n[nid];

	assert_int_equal(memmap_init_range(&fn->node, fn->chunks[c].start_pfn,
					   fn->chunks[c].end_pfn, &fn->res[c]), 0);
}

static void om_splice_all(struct om *m, uint32_t nid)
{
	for (uint32_t c = 0; c < m->n[nid].nc; c++)
		memmap_splice_chunk(&m->n[nid].node, &m->n[nid].res[c]);
}

/* Every chunk of node nid, in chunk order, spliced. */
static void om_run(struct om *m, uint32_t nid)
{
	for (uint32_t c = 0; c < m->n[nid].nc; c++)
		om_init_chunk(m, nid, c);
	om_splice_all(m, nid);
}

/* Verify both nodes (exact free counts: nothing allocated) and take their
 * checksums. */
static void om_check(struct om *m, uint64_t *sum)
{
	for (uint32_t nid = 0; nid < OM_NODES; nid++) {
		struct mm_node *node = &m->n[nid].node;
		struct memmap_verify_result vr;

		host_console_reset();
		assert_int_equal(memmap_verify(node, &vr), 0);
		assert_int_equal(vr.errors, 0);
		assert_int_equal(vr.free_pages, node->ram_usable_pages - node->early_reserved_pages);
		assert_int_equal(vr.allocated_pages, 0);
		sum[nid] = memmap_checksum(node);
	}
}

static void assert_ranges(const struct mm_range *got, uint32_t n, const struct mm_range *want,
			  uint32_t nwant)
{
	assert_int_equal(n, nwant);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(got[i].start_pfn, want[i].start_pfn);
		assert_int_equal(got[i].end_pfn, want[i].end_pfn);
	}
}

/* ---- the trigger ------------------------------------------------------ */

/* Node 0 [0, 1G+64M) and [3G, 4G), node 1 [1G+64M, 3G): the section at 1G
 * holds both nodes' pages, node 0's hull covers all of node 1.  A few
 * reserved pages sit right at both ends of the ownership boundary. */
static const struct om_ram trigger_ram[] = {
	{ 0, GiB + 64 * MiB, 0 }, { GiB + 64 * MiB, 3 * GiB, 1 }, { 3 * GiB, 4 * GiB, 0 },
};
static const struct mm_range trigger_res[] = {
	{ 0, 1 },
	{ PFN(GiB + 64 * MiB) - 3, PFN(GiB + 64 * MiB) + 5 },
	{ PFN(2 * GiB), PFN(2 * GiB) + 7 },
};

struct om_thread {
	struct om *m;
	uint32_t nid;
};

static void *om_thread_run(void *arg)
{
	struct om_thread *t = arg;

	for (uint32_t c = 0; c < t->m->n[t->nid].nc; c++)
		if (memmap_init_range(&t->m->n[t->nid].node, t->m->n[t->nid].chunks[c].start_pfn,
				      t->m->n[t->nid].chunks[c].end_pfn, &t->m->n[t->nid].res[c]))
			return (void *)1;
	return NULL;
}

static void test_interleaved_nodes(void **state)
{
	static const struct mm_range own0[] = {
		{ 0, PFN(GiB + 64 * MiB) }, { PFN(3 * GiB), PFN(4 * GiB) },
	};
	static const struct mm_range own1[] = { { PFN(GiB + 64 * MiB), PFN(3 * GiB) } };
	struct om *m = om_create(trigger_ram, 3, trigger_res, 3);
	uint64_t first[OM_NODES], sum[OM_NODES];
	struct om_thread th[OM_NODES];
	pthread_t tid[OM_NODES];
	void *ret;

	(void)state;
	assert_ranges(m->n[0].owned, m->n[0].no, own0, 2);
	assert_ranges(m->n[1].owned, m->n[1].no, own1, 1);
	/* node 0: sections 0..7, [1G, 1G+64M), sections 24..31; node 1: the
	 * rest of section 8, sections 9..23 */
	assert_int_equal(m->n[0].nc, 17);
	assert_int_equal(m->n[0].chunks[8].start_pfn, PFN(GiB));
	assert_int_equal(m->n[0].chunks[8].end_pfn, PFN(GiB + 64 * MiB));
	assert_int_equal(m->n[1].nc, 16);
	assert_int_equal(m->n[1].chunks[0].start_pfn, PFN(GiB + 64 * MiB));
	assert_int_equal(m->n[1].chunks[0].end_pfn, PFN(GiB + 128 * MiB));

	om_reset(m);				/* node 1 first, then node 0 */
	om_run(m, 1);
	om_run(m, 0);
	om_check(m, first);
	assert_int_equal(page_nid(pfn_to_page(PFN(GiB + 64 * MiB) - 1)), 0);
	assert_int_equal(page_nid(pfn_to_page(PFN(GiB + 64 * MiB))), 1);

	om_reset(m);				/* node 0 first, then node 1 */
	om_run(m, 0);
	om_run(m, 1);
	om_check(m, sum);
	assert_memory_equal(first, sum, sizeof(sum));

	om_reset(m);				/* chunks of both nodes alternating */
	for (uint32_t c = 0; c < OM_MAX_CHUNKS; c++)
		for (uint32_t nid = OM_NODES; nid-- > 0;)
			if (c < m->n[nid].nc)
				om_init_chunk(m, nid, c);
	om_splice_all(m, 0);
	om_splice_all(m, 1);
	om_check(m, sum);
	assert_memory_equal(first, sum, sizeof(sum));

	om_reset(m);				/* both nodes' workers at once */
	for (uint32_t nid = 0; nid < OM_NODES; nid++) {
		th[nid] = (struct om_thread){ m, nid };
		assert_int_equal(pthread_create(&tid[nid], NULL, om_thread_run, &th[nid]), 0);
	}
	for (uint32_t nid = 0; nid < OM_NODES; nid++) {
		assert_int_equal(pthread_join(tid[nid], &ret), 0);
		assert_null(ret);
		om_splice_all(m, nid);
	}
	om_check(m, sum);
	assert_memory_equal(first, sum, sizeof(sum));
	assert_int_not_equal(first[0], first[1]);
	om_destroy(m);
}

/* The chunk of the old plan (node 0's whole section at 1G) is refused and
 * writes nothing; so is a chunk of node 1's pfns given to node 0. */
static void test_foreign_chunk_refused(void **state)
{
	struct om *m = om_create(trigger_ram, 3, trigger_res, 3);
	struct memmap_chunk_result res;
	uint64_t sum[OM_NODES], again[OM_NODES];

	(void)state;
	om_reset(m);
	om_run(m, 0);
	om_run(m, 1);
	om_check(m, sum);
	assert_int_equal(memmap_init_range(&m->n[0].node, PFN(GiB), PFN(GiB + 128 * MiB), &res), -1);
	assert_int_equal(memmap_init_range(&m->n[0].node, PFN(2 * GiB), PFN(2 * GiB + 4 * MiB),
					   &res), -1);
	assert_int_equal(memmap_init_range(&m->n[1].node, PFN(GiB), PFN(GiB + 4 * MiB), &res), -1);
	om_check(m, again);
	assert_memory_equal(sum, again, sizeof(sum));
	om_destroy(m);
}

/* ---- a boundary that is only page aligned ------------------------------------- */

#define B_BYTES		(GiB + 65 * MiB + 4 * KiB)
#define B		PFN(B_BYTES)

struct om_alloc {
	uint64_t pfn;
	unsigned order;
};

/* Take every page of the node, largest blocks first; returns the count. */
static uint32_t drain(struct mm_node *node, struct om_alloc *a, uint32_t max)
{
	uint32_t n = 0;

	for (int o = MAX_ORDER; o >= 0; o--) {
		uint64_t pfn;

		while ((pfn = buddy_alloc_pages(node, (unsigned)o)) != PFN_NONE) {
			assert_true(n < max);
			a[n++] = (struct om_alloc){ pfn, (unsigned)o };
		}
	}
	assert_int_equal(node->nr_free_pages, 0);
	return n;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Free every block of a in a shuffled order. */
static void free_shuffled(struct mm_node *node, struct om_alloc *a, uint32_t n, uint64_t seed)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i + (uint32_t)(rnd(&seed) % (n - i));
		struct om_alloc t = a[i];

		a[i] = a[j];
		a[j] = t;
		buddy_free_pages(node, a[i].pfn, a[i].order);
	}
	assert_int_equal(node->nr_allocated_pages, 0);
}

/* pfn's struct page made to look like a free head of order 0 of node nid: a
 * node that reads another node's struct page would merge with it. */
static struct page decoy(uint64_t pfn, uint32_t nid)
{
	struct page saved = *pfn_to_page(pfn);

	*pfn_to_page(pfn) = (struct page){
		.flags = page_flags_make(PG_buddy, ZONE_DMA32, nid), .mapcount = -1,
		.next_pfn = PFN_NONE, .prev_pfn = PFN_NONE,
	};
	return saved;
}

static void test_boundary_page_aligned(void **state)
{
	static const struct om_ram ram[] = {
		{ 0, B_BYTES, 0 }, { B_BYTES, 3 * GiB, 1 }, { 3 * GiB, 3 * GiB + 512 * MiB, 0 },
	};
	static const struct mm_range res[] = { { 0, 1 } };
	struct om *m = om_create(ram, 3, res, 1);
	struct om_alloc *a = calloc(8192, sizeof(*a));
	uint64_t sum[OM_NODES], again[OM_NODES];
	struct page saved;
	uint32_t n;

	(void)state;
	assert_non_null(a);
	assert_int_equal(m->n[0].chunks[8].start_pfn, PFN(GiB));
	assert_int_equal(m->n[0].chunks[8].end_pfn, B);
	assert_int_equal(m->n[1].chunks[0].start_pfn, B);
	om_reset(m);
	om_run(m, 1);
	om_run(m, 0);
	om_check(m, sum);
	/* free blocks on both sides: B - 1 and B are buddies of order 0 */
	assert_true(pfn_to_page(B - 1)->flags & PG_buddy);
	assert_int_equal(pfn_to_page(B - 1)->order, 0);
	assert_int_equal(page_nid(pfn_to_page(B - 1)), 0);
	assert_true(pfn_to_page(B)->flags & PG_buddy);
	assert_int_equal(pfn_to_page(B)->order, 0);
	assert_int_equal(page_nid(pfn_to_page(B)), 1);
	assert_int_equal(memmap_pageblock_migratetype(&m->n[0].node, B - 1), MIGRATE_MOVABLE);
	assert_int_equal(memmap_pageblock_migratetype(&m->n[1].node, B), MIGRATE_MOVABLE);

	/* Node 0 takes everything and gives it back while node 1's page B
	 * looks like a node-0 free head: never read, never merged. */
	n = drain(&m->n[0].node, a, 8192);
	saved = decoy(B, 0);
	free_shuffled(&m->n[0].node, a, n, 0x5eed);
	*pfn_to_page(B) = saved;
	/* and the other way round */
	n = drain(&m->n[1].node, a, 8192);
	saved = decoy(B - 1, 1);
	free_shuffled(&m->n[1].node, a, n, 0xfeed);
	*pfn_to_page(B - 1) = saved;
	assert_int_equal(pfn_to_page(B - 1)->order, 0);
	assert_int_equal(pfn_to_page(B)->order, 0);
	om_check(m, again);
	assert_memory_equal(sum, again, sizeof(sum));
	/* the boot-only allocator of node 0 never hands out node 1's pages */
	n = 0;
	for (uint64_t pfn; (pfn = buddy_alloc_pages_boot(&m->n[0].node, MAX_ORDER)) != PFN_NONE;)
		a[n++] = (struct om_alloc){ pfn, MAX_ORDER };
	for (uint32_t i = 0; i < n; i++) {
		assert_true(a[i].pfn + MAX_ORDER_NR_PAGES <= B || a[i].pfn >= PFN(3 * GiB));
		buddy_free_pages(&m->n[0].node, a[i].pfn, MAX_ORDER);
	}
	om_check(m, again);
	assert_memory_equal(sum, again, sizeof(sum));
	free(a);
	om_destroy(m);
}

/* A free names the node and a block; the node's ownership of every pfn of
 * the block, not what their struct pages say, decides whether the free is
 * the node's: node 0 freeing its page B - 1 with order 1 would reach node
 * 1's page B.  With B forged to look like a plain tail (so the struct-page
 * checks alone would accept it) the free is still refused, no page or
 * counter changed. */
static void test_free_reaching_foreign_pfn_refused(void **state)
{
	static const struct om_ram ram[] = {
		{ 0, B_BYTES, 0 }, { B_BYTES, 3 * GiB, 1 }, { 3 * GiB, 3 * GiB + 512 * MiB, 0 },
	};
	static const struct mm_range res[] = { { 0, 1 } };
	struct om *m = om_create(ram, 3, res, 1);
	struct mm_node *n0 = &m->n[0].node, *n1 = &m->n[1].node;
	uint64_t pfn = PFN_NONE, free0, alloc0, free1, alloc1;
	struct page head, saved;

	(void)state;
	om_reset(m);
	om_run(m, 0);
	om_run(m, 1);
	assert_true(mm_pfn_owned(n0, B - 1) && !mm_pfn_owned(n0, B) && mm_pfn_owned(n1, B));
	assert_int_equal((B - 1) & 1, 0);	/* B - 1 heads an order-1 block reaching B */
	for (int i = 0; i < 64 && pfn != B - 1; i++)	/* B - 1 is an order-0 free block */
		pfn = buddy_alloc_pages_zone(n0, ZONE_DMA32, 0);
	assert_int_equal(pfn, B - 1);
	saved = *pfn_to_page(B);
	pfn_to_page(B)->flags = page_flags_make(0, ZONE_DMA32, 1);	/* a plain tail */
	pfn_to_page(B)->refcount = 0;
	head = *pfn_to_page(B - 1);
	free0 = n0->nr_free_pages, alloc0 = n0->nr_allocated_pages;
	free1 = n1->nr_free_pages, alloc1 = n1->nr_allocated_pages;
	buddy_free_pages(n0, B - 1, 1);
	assert_int_equal(n0->nr_free_pages, free0);
	assert_int_equal(n0->nr_allocated_pages, alloc0);
	assert_int_equal(n1->nr_free_pages, free1);
	assert_int_equal(n1->nr_allocated_pages, alloc1);
	assert_memory_equal(pfn_to_page(B - 1), &head, sizeof(head));
	*pfn_to_page(B) = saved;
	buddy_free_pages(n0, B - 1, 0);	/* the right free still works */
	assert_int_equal(n0->nr_allocated_pages, alloc0 - 1);
	om_destroy(m);
}

/* ---- the verifier checks the owner of every pfn ------------------------------- */

static void set_nid(uint64_t pfn, uint32_t nid)
{
	struct page *p = pfn_to_page(pfn);

	p->flags = (p->flags & ~(~0ULL << NID_SHIFT)) | ((uint64_t)nid << NID_SHIFT);
}

static void test_verifier_foreign_page(void **state)
{
	struct om *m = om_create(trigger_ram, 3, trigger_res, 3);
	struct memmap_verify_result vr;
	uint64_t sum[OM_NODES], pfn1 = PFN(GiB + 64 * MiB) + 100, pfn0 = PFN(GiB + 64 * MiB) - 100;

	(void)state;
	om_reset(m);
	om_run(m, 0);
	om_run(m, 1);
	om_check(m, sum);
	set_nid(pfn1, 0);			/* node 1's pfn, a node-0 page */
	host_console_reset();
	assert_int_equal(memmap_verify(&m->n[1].node, &vr), -1);
	assert_int_equal(vr.errors, 1);
	assert_true(host_console_contains("struct page of node 0 on a pfn node 1 owns"));
	assert_int_equal(memmap_verify(&m->n[0].node, &vr), 0);	/* not node 0's pfn */
	assert_int_not_equal(memmap_checksum(&m->n[1].node), sum[1]);
	set_nid(pfn1, 1);
	set_nid(pfn0, 1);			/* node 0's pfn, a node-1 page */
	host_console_reset();
	assert_int_equal(memmap_verify(&m->n[0].node, &vr), -1);
	assert_int_equal(vr.errors, 1);
	assert_true(host_console_contains("struct page of node 1 on a pfn node 0 owns"));
	assert_int_equal(memmap_verify(&m->n[1].node, &vr), 0);
	set_nid(pfn0, 0);
	om_check(m, sum);
	om_destroy(m);
}

/* A firmware hole inside node 1's RAM in the shared section: node 0 (the
 * section's owner, whose span holds it) writes it as its reserved pages,
 * node 1 never touches it; memblock, fed the memory map and interleaved
 * node ranges, gives the same owned lists. */
static void test_hole_in_shared_section(void **state)
{
	static const struct om_ram ram[] = {
		{ 0, GiB + 64 * MiB, 0 }, { GiB + 64 * MiB, GiB + 100 * MiB, 1 },
		{ GiB + 104 * MiB, 3 * GiB, 1 }, { 3 * GiB, 4 * GiB, 0 },
	};
	static const struct mm_range res[] = { { 0, 1 } };
	static const struct mm_range own0[] = {
		{ 0, PFN(GiB + 64 * MiB) }, { PFN(GiB + 100 * MiB), PFN(GiB + 104 * MiB) },
		{ PFN(3 * GiB), PFN(4 * GiB) },
	};
	static const struct boot_mem_range map[] = {
		{ .phys = 0, .pages = PFN(GiB + 100 * MiB), .type = BOOT_MEM_CONVENTIONAL },
		{ .phys = GiB + 100 * MiB, .pages = PFN(4 * MiB), .type = BOOT_MEM_RESERVED },
		{ .phys = GiB + 104 * MiB, .pages = PFN(3 * GiB - 104 * MiB), .type = BOOT_MEM_CONVENTIONAL },
	};
	static const struct memblock_node_range nodes[] = {
		{ 0, GiB + 64 * MiB, 0, 0 }, { GiB + 64 * MiB, 3 * GiB, 1, 0 }, { 3 * GiB, 4 * GiB, 0, 0 },
	};
	struct memblock_region mstore[16], rstore[16];
	struct mm_range out[OM_MAX];
	struct memblock mb;
	struct om *m = om_create(ram, 4, res, 1);
	uint64_t first[OM_NODES], sum[OM_NODES];
	uint64_t hole = PFN(GiB + 100 * MiB);

	(void)state;
	assert_ranges(m->n[0].owned, m->n[0].no, own0, 3);
	assert_int_equal(m->n[1].no, 2);
	assert_int_equal(memblock_init(&mb, map, 3, nodes, 3, NULL, 0, 2, mstore, 16, rstore, 16), 0);
	assert_int_equal(mb.memory.cnt, 4);
	for (uint32_t nid = 0; nid < OM_NODES; nid++)
		assert_ranges(out, memmap_owned_ranges(nid, mb.memory.regions, mb.memory.cnt, m->span,
						       OM_NODES, out, OM_MAX),
			      m->n[nid].owned, m->n[nid].no);
	om_reset(m);
	om_run(m, 1);
	om_run(m, 0);
	om_check(m, first);
	assert_true(pfn_to_page(hole)->flags & PG_reserved);
	assert_int_equal(page_nid(pfn_to_page(hole)), 0);
	assert_int_equal(page_nid(pfn_to_page(hole - 1)), 1);
	om_reset(m);
	om_run(m, 0);
	om_run(m, 1);
	om_check(m, sum);
	assert_memory_equal(first, sum, sizeof(sum));
	om_destroy(m);
}

/* ---- the owned lists themselves ----------------------------------------------- */

#define R(s, e)		{ PFN(s), PFN(e) }
#define MEM(s, e, n)	{ (s), (e), (n), 0 }

/*
 * Node 0: [0, 1G+10M), [1G+20M, 1G+40M), [3G, 3G+64M).
 * Node 1: [1G+64M, 1G+100M), [1G+110M, 2G), [2G+4K, 2G+128M).
 * Section 8 (at 1G) is node 0's (its lowest RAM pfn); its holes
 * [1G+10M, 1G+20M), [1G+40M, 1G+64M) and [1G+100M, 1G+110M) lie in node
 * 0's span, so they are node 0's, even the one between node 1's ranges.
 * The hole at 2G lies in a section of node 1's RAM only: node 1's.
 * The rest of section 24 above 3G+64M is past node 0's span: nobody's.
 */
static void test_owned_ranges(void **state)
{
	static const struct memblock_region mem[] = {
		MEM(0, GiB + 10 * MiB, 0), MEM(GiB + 20 * MiB, GiB + 40 * MiB, 0),
		MEM(GiB + 64 * MiB, GiB + 100 * MiB, 1), MEM(GiB + 110 * MiB, 2 * GiB, 1),
		MEM(2 * GiB + 4 * KiB, 2 * GiB + 128 * MiB, 1), MEM(3 * GiB, 3 * GiB + 64 * MiB, 0),
	};
	static const struct mm_range span[] = {
		R(0, 3 * GiB + 64 * MiB), R(GiB + 64 * MiB, 2 * GiB + 128 * MiB),
	};
	static const struct mm_range own0[] = {
		R(0, GiB + 64 * MiB), R(GiB + 100 * MiB, GiB + 110 * MiB), R(3 * GiB, 3 * GiB + 64 * MiB),
	};
	static const struct mm_range own1[] = {
		R(GiB + 64 * MiB, GiB + 100 * MiB), R(GiB + 110 * MiB, 2 * GiB + 128 * MiB),
	};
	struct mm_range out[OM_MAX];

	(void)state;
	assert_int_equal(memmap_section_owner(mem, 6, 8), 0);
	assert_int_equal(memmap_section_owner(mem, 6, 9), 1);
	assert_int_equal(memmap_section_owner(mem, 6, 16), 1);
	assert_int_equal(memmap_section_owner(mem, 6, 17), MM_NO_NODE);
	assert_int_equal(memmap_section_owner(mem, 6, 24), 0);
	assert_int_equal(memmap_section_owner(mem, 6, 100), MM_NO_NODE);
	assert_int_equal(memmap_owned_ranges(0, mem, 6, span, 2, NULL, 0), 3);
	assert_ranges(out, memmap_owned_ranges(0, mem, 6, span, 2, out, OM_MAX), own0, 3);
	assert_ranges(out, memmap_owned_ranges(1, mem, 6, span, 2, out, OM_MAX), own1, 2);
	/* a short array: the count stays the total, only max entries written */
	out[1] = (struct mm_range){ 7, 7 };
	assert_int_equal(memmap_owned_ranges(0, mem, 6, span, 2, out, 1), 3);
	assert_int_equal(out[0].end_pfn, own0[0].end_pfn);
	assert_int_equal(out[1].start_pfn, 7);
	assert_int_equal(memmap_owned_ranges(2, mem, 6, span, 2, out, OM_MAX), 0);
}

/* Spans that do not overlap keep the old rule (each hole of a node's span
 * in a section of its RAM is its own), even where a section's owner is the
 * other node: the hole between node 1's ranges in section 8 lies outside
 * node 0's span, so it stays node 1's, and the gap between the two spans
 * is nobody's. */
static void test_owned_ranges_disjoint_spans(void **state)
{
	static const struct memblock_region mem[] = {
		MEM(0, GiB + 10 * MiB, 0), MEM(GiB + 64 * MiB, GiB + 100 * MiB, 1),
		MEM(GiB + 110 * MiB, 2 * GiB, 1),
	};
	static const struct mm_range span[] = { R(0, GiB + 10 * MiB), R(GiB + 64 * MiB, 2 * GiB) };
	static const struct mm_range own0[] = { R(0, GiB + 10 * MiB) };
	static const struct mm_range own1[] = { R(GiB + 64 * MiB, 2 * GiB) };
	struct mm_range out[OM_MAX];

	(void)state;
	assert_int_equal(memmap_section_owner(mem, 3, 8), 0);
	assert_ranges(out, memmap_owned_ranges(0, mem, 3, span, 2, out, OM_MAX), own0, 1);
	assert_ranges(out, memmap_owned_ranges(1, mem, 3, span, 2, out, OM_MAX), own1, 1);
}

/* A node alone: its owned list is its span cut to its present sections, and
 * its chunks with that list are the chunks of a node without one. */
static void test_owned_ranges_one_node(void **state)
{
	static const struct memblock_region mem[] = {
		MEM(4 * KiB, 100 * MiB, 0), MEM(GiB, GiB + 10 * MiB, 0), MEM(GiB + 20 * MiB, 2 * GiB, 0),
	};
	static const struct mm_range present[] = {
		R(4 * KiB, 100 * MiB), R(GiB, GiB + 10 * MiB), R(GiB + 20 * MiB, 2 * GiB),
	};
	static const struct mm_range span[] = { R(4 * KiB, 2 * GiB) };
	static const struct mm_range own[] = { R(4 * KiB, 128 * MiB), R(GiB, 2 * GiB) };
	struct mm_range out[OM_MAX], plain[32], owned_chunks[32];
	uint8_t bits[512];
	struct mm_node node;
	uint32_t n, nc;

	(void)state;
	n = memmap_owned_ranges(0, mem, 3, span, 1, out, OM_MAX);
	assert_ranges(out, n, own, 2);
	assert_int_equal(memmap_node_init(&node, 0, span[0].start_pfn, span[0].end_pfn, present, 3,
					  present, 3, 0, 0, bits), 0);
	nc = memmap_chunks(&node, NULL, 0, plain, 32);
	assert_int_equal(nc, 9);
	assert_int_equal(memmap_node_set_owned(&node, out, n), 0);
	assert_ranges(owned_chunks, memmap_chunks(&node, NULL, 0, owned_chunks, 32), plain, nc);
}

static void test_set_owned_rules(void **state)
{
	static const struct mm_range present[] = { R(0, 100 * MiB), R(GiB, GiB + 64 * MiB) };
	static const struct mm_range usable[] = { R(4 * KiB, 100 * MiB), R(GiB, GiB + 64 * MiB) };
	static const struct mm_range good[] = { R(0, 128 * MiB), R(GiB, GiB + 64 * MiB) };
	static const struct mm_range unsorted[] = { R(GiB, GiB + 64 * MiB), R(0, 128 * MiB) };
	static const struct mm_range outside[] = { R(0, 128 * MiB), R(GiB, GiB + 128 * MiB) };
	static const struct mm_range absent[] = { R(0, 256 * MiB), R(GiB, GiB + 64 * MiB) };
	static const struct mm_range uncovered[] = { R(0, 50 * MiB), R(GiB, GiB + 64 * MiB) };
	static const struct mm_range adjacent[] = {
		R(0, 50 * MiB), R(50 * MiB, 128 * MiB), R(GiB, GiB + 64 * MiB),
	};
	uint8_t bits[512];
	struct mm_node node;

	(void)state;
	assert_int_equal(memmap_node_init(&node, 0, 0, PFN(GiB + 64 * MiB), present, 2, usable, 2,
					  0, 0, bits), 0);
	assert_int_equal(memmap_node_set_owned(&node, unsorted, 2), -1);
	assert_true(host_console_contains("not sorted"));
	assert_int_equal(memmap_node_set_owned(&node, outside, 2), -1);
	assert_true(host_console_contains("outside the span"));
	assert_int_equal(memmap_node_set_owned(&node, absent, 2), -1);
	assert_true(host_console_contains("in a section without RAM"));
	assert_int_equal(memmap_node_set_owned(&node, uncovered, 2), -1);
	assert_true(host_console_contains("a usable range is not owned"));
	assert_int_equal(memmap_node_set_owned(&node, adjacent, 3), -1);
	assert_true(host_console_contains("adjacent"));
	assert_null(node.owned);
	assert_int_equal(memmap_node_set_owned(&node, good, 2), 0);
	assert_ptr_equal(node.owned, good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_nodes),
		cmocka_unit_test(test_foreign_chunk_refused),
		cmocka_unit_test(test_boundary_page_aligned),
		cmocka_unit_test(test_free_reaching_foreign_pfn_refused),
		cmocka_unit_test(test_verifier_foreign_page),
		cmocka_unit_test(test_hole_in_shared_section),
		cmocka_unit_test(test_owned_ranges),
		cmocka_unit_test(test_owned_ranges_disjoint_spans),
		cmocka_unit_test(test_owned_ranges_one_node),
		cmocka_unit_test(test_set_owned_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
