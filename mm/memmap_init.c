/*
 * The one range initializer, the node description it reads, the one
 * chunker and the one chunk validator.
 *
 * Every meminit mode (serial, per-node local, per-node parallel cross-calls,
 * deferred, lazy) and every kind of memory calls memmap_init_range() (or,
 * lazily, its parts: memmap_init_range_part() in mm/lazy.c) on the chunks
 * the one chunker memmap_chunks() cuts, checked by the one chunk validator
 * chunk_kind(), and publishes them with the one splice
 * memmap_splice_chunk() (mm/splice.c); modes differ only in which CPU runs
 * which chunk and when the chunk is spliced.  A chunk is a sequence of
 * runs: free runs, reserved runs and device runs (mm/memmap_device.c).
 * This file writes struct pages and calls no buddy list.  The contract is
 * in docs/mm.md and include/mm.h.
 */
#include <stdbool.h>
#include "mm.h"
#include "internal.h"
#include "kassert.h"
#include "kprintf.h"

#ifdef NUMABOOT_HOST
struct page *memmap_host_vmemmap;
#endif

static int ranges_sorted(const struct mm_range *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].start_pfn >= r[i].end_pfn)
			return 0;
		if (i && r[i].start_pfn < r[i - 1].end_pfn)
			return 0;
	}
	return 1;
}

static int usable_inside_present(const struct mm_node *node)
{
	for (uint32_t i = 0; i < node->nr_usable; i++) {
		const struct mm_range *u = &node->usable[i];

		if (u->start_pfn < node->start_pfn || u->end_pfn > node->end_pfn)
			return 0;
		for (uint64_t sec = pfn_to_section_nr(u->start_pfn);
		     sec <= pfn_to_section_nr(u->end_pfn - 1); sec++)
			if (!memmap_section_present(node, sec))
				return 0;
	}
	return 1;
}

void memmap_node_reset(struct mm_node *node)
{
	node->lock = (struct spinlock)SPINLOCK_INIT;
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < NR_ORDERS; o++)
			node->free_area[z][o] = (struct mm_free_list){ PFN_NONE, PFN_NONE, 0 };
	node->nr_free_pages = 0;
	node->nr_allocated_pages = 0;
	node->nr_chunks_spliced = 0;
	node->nr_device_chunks_spliced = 0;
	node->nr_device_pages = 0;
	node->nr_device_altmap_pages = 0;
	node->nr_hot_chunks_spliced = 0;
	node->span_start_pfn = node->start_pfn;
	node->span_end_pfn = node->end_pfn;
	mm_hot_reset(node);
	if (node->lazy)
		mm_lazy_clear(node->lazy);
}

int memmap_node_init(struct mm_node *node, uint32_t nid, uint64_t start_pfn, uint64_t end_pfn,
		     const struct mm_range *present, uint32_t nr_present,
		     const struct mm_range *usable, uint32_t nr_usable,
		     uint64_t ram_usable_pages, uint64_t early_reserved_pages,
		     uint8_t *pageblock_mt)
{
	*node = (struct mm_node){
		.nid = nid, .start_pfn = start_pfn, .end_pfn = end_pfn,
		.present = present, .nr_present = nr_present,
		.usable = usable, .nr_usable = nr_usable,
		.ram_usable_pages = ram_usable_pages,
		.early_reserved_pages = early_reserved_pages,
		.pageblock_mt = pageblock_mt,
	};
	memmap_node_reset(node);

	if (nid >= MM_MAX_NODES || start_pfn > end_pfn || end_pfn > MAX_PFN ||
	    !pageblock_mt || !ranges_sorted(present, nr_present) ||
	    !ranges_sorted(usable, nr_usable) || !usable_inside_present(node)) {
		kprintf("memmap_node_init: node %u: inconsistent description\n", nid);
		return -1;
	}
	return 0;
}

uint64_t memmap_pageblock_bytes(uint64_t start_pfn, uint64_t end_pfn)
{
	uint64_t first = pfn_to_section_nr(start_pfn);
	uint64_t last = pfn_to_section_nr(end_pfn + PAGES_PER_SECTION - 1);
	uint64_t per_section = PAGES_PER_SECTION / PAGEBLOCK_NR_PAGES * PAGEBLOCK_BITS / 8;

	return (last - first) * per_section;
}

/* ---- ownership ---------------------------------------------------------------- */

int memmap_node_set_owned(struct mm_node *node, const struct mm_range *owned, uint32_t n)
{
	const char *why = NULL;

	if (!ranges_sorted(owned, n))
		why = "not sorted and disjoint";
	for (uint32_t i = 0; i < n && !why; i++) {
		if (i && owned[i].start_pfn == owned[i - 1].end_pfn)
			why = "adjacent ranges not merged";
		else if (owned[i].start_pfn < node->start_pfn || owned[i].end_pfn > node->end_pfn)
			why = "outside the span";
		for (uint64_t sec = pfn_to_section_nr(owned[i].start_pfn);
		     !why && sec <= pfn_to_section_nr(owned[i].end_pfn - 1); sec++)
			if (!memmap_section_present(node, sec))
				why = "in a section without RAM of the node";
	}
	for (uint32_t u = 0, i = 0; u < node->nr_usable && !why; u++) {
		while (i < n && owned[i].end_pfn <= node->usable[u].start_pfn)
			i++;
		if (i == n || owned[i].start_pfn > node->usable[u].start_pfn ||
		    owned[i].end_pfn < node->usable[u].end_pfn)
			why = "a usable range is not owned";
	}
	if (why) {
		kprintf("memmap_node_set_owned: node %u: owned list rejected: %s\n", node->nid, why);
		return -1;
	}
	node->owned = owned;
	node->nr_owned = n;
	return 0;
}

/* Cut r at section boundaries into out[n..]; with present_only, pieces in
 * sections without RAM of the node are dropped.  Returns the new count. */
static uint32_t cut_at_sections(const struct mm_node *node, struct mm_range r, bool present_only,
				struct mm_range *out, uint32_t max, uint32_t n)
{
	for (uint64_t s = r.start_pfn; s < r.end_pfn;) {
		uint64_t sec = pfn_to_section_nr(s), e = mm_min(section_nr_to_pfn(sec + 1), r.end_pfn);

		if (!present_only || memmap_section_present(node, sec)) {
			if (n < max)
				out[n] = (struct mm_range){ s, e };
			n++;
		}
		s = e;
	}
	return n;
}

uint32_t memmap_chunks(const struct mm_node *node, const struct mm_range *ranges, uint32_t nr,
		       struct mm_range *out, uint32_t max)
{
	uint32_t n = 0;

	if (ranges) {
		for (uint32_t i = 0; i < nr; i++)
			n = cut_at_sections(node, ranges[i], false, out, max, n);
		return n;
	}
	for (uint32_t i = 0; i < mm_owned_count(node); i++)
		n = cut_at_sections(node, mm_owned_range(node, i), true, out, max, n);
	return n;
}

/* The pageblock bitmap holding pfn and its origin: the node's, or for a hot
 * pfn its region's (origin: the region start). */
static uint8_t *pageblock_bitmap(const struct mm_node *node, uint64_t pfn, uint64_t *origin)
{
	uint32_t h;

	h = mm_hot_find(node, pfn);
	if (h == MM_NO_HOT) {	/* not the node's: the node's bitmap, as before regions */
		*origin = mm_pageblock_origin(node);
		return node->pageblock_mt;
	}
	*origin = node->hot[h]->start_pfn;
	return node->hot[h]->pageblock_mt;
}

unsigned memmap_pageblock_migratetype(const struct mm_node *node, uint64_t pfn)
{
	uint64_t origin;
	const uint8_t *bits = pageblock_bitmap(node, pfn, &origin);
	uint64_t idx = (pfn - origin) >> PAGEBLOCK_ORDER;

	return (bits[idx / 2] >> ((idx & 1) * 4)) & 0xf;
}

/* A bitmap byte holds two pageblocks, and two device or hot chunks may each
 * own one of them (2 MiB aligned): update the byte atomically. */
static void set_pageblocks_movable(const struct mm_node *node, uint64_t start, uint64_t end)
{
	uint64_t origin;
	uint8_t *bits = pageblock_bitmap(node, start, &origin);

	for (uint64_t pfn = start & ~(PAGEBLOCK_NR_PAGES - 1); pfn < end; pfn += PAGEBLOCK_NR_PAGES) {
		uint64_t idx = (pfn - origin) >> PAGEBLOCK_ORDER;
		uint8_t *b = &bits[idx / 2];
		unsigned shift = (idx & 1) * 4;
		uint8_t old = __atomic_load_n(b, __ATOMIC_RELAXED), new;

		do
			new = (uint8_t)((old & ~(0xf << shift)) | (MIGRATE_MOVABLE << shift));
		while (!__atomic_compare_exchange_n(b, &old, new, 0, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED));
	}
}

/* chunk_kind() of a pfn that is not a boot pfn: a hot chunk or none.  Its
 * blocks must be OFFLINE, but ONLINE for the TAILS part (lazy: its HEADS
 * part onlined them). */
static unsigned chunk_kind_hot(const struct mm_node *node, uint64_t s, uint64_t e,
			       enum mm_init_part part, uint32_t *idx, const char **why)
{
	uint32_t h = mm_hot_find(node, s);

	if (h == MM_NO_HOT) {
		*why = "outside the node's span and hot regions";
		return MM_CHUNK_NONE;
	}
	if (pfn_to_section_nr(s) != pfn_to_section_nr(e - 1)) {
		*why = "not inside one section";
		return MM_CHUNK_NONE;
	}
	*why = mm_hot_range_problem(node, h, s, e,
				    part == MM_INIT_TAILS ? MM_HOT_ONLINE : MM_HOT_OFFLINE);
	*idx = h;
	return *why ? MM_CHUNK_NONE : MM_CHUNK_HOT;
}

/*
 * The one chunk validator: what [s, e) is as a chunk of the node, or why it
 * is none (*why).  A chunk lies inside one section and is
 *   - MM_CHUNK_HOT (*idx = region): not a boot pfn, inside one region,
 *     block aligned, every block OFFLINE (memmap on the region: the whole
 *     section), mm_hot_range_problem();
 *   - MM_CHUNK_DEVICE (*idx = device): inside one device, ends 2 MiB aligned;
 *   - MM_CHUNK_DRAM: inside one owned range (so a chunk never writes another
 *     node's page), each end MAX_ORDER-aligned or an end of the owned range
 *     (so it never splits a max-order block).
 * Reads (C) fields and relaxed block states only: any CPU, no lock.
 */
static unsigned chunk_kind(const struct mm_node *node, uint64_t s, uint64_t e,
			   enum mm_init_part part, uint32_t *idx, const char **why)
{
	struct mm_range r;
	uint32_t d;

	*why = "not a DRAM or device chunk of the node";
	*idx = 0;
	if (s >= e)
		return MM_CHUNK_NONE;
	if (!mm_pfn_initialized_at_boot(node, s))
		return chunk_kind_hot(node, s, e, part, idx, why);
	if (e > node->end_pfn || pfn_to_section_nr(s) != pfn_to_section_nr(e - 1))
		return MM_CHUNK_NONE;
	d = mm_device_at(node, s);
	if (d != MM_NO_DEVICE) {
		*idx = d;
		return e <= node->dev[d].end_pfn && !(s & (MM_DEVICE_ALIGN_PAGES - 1)) &&
		       !(e & (MM_DEVICE_ALIGN_PAGES - 1)) ? MM_CHUNK_DEVICE : MM_CHUNK_NONE;
	}
	if (!mm_owned_range_at(node, s, &r) || e > r.end_pfn ||
	    ((s & (MAX_ORDER_NR_PAGES - 1)) && s != r.start_pfn) ||
	    ((e & (MAX_ORDER_NR_PAGES - 1)) && e != r.end_pfn))
		return MM_CHUNK_NONE;
	return MM_CHUNK_DRAM;
}

static void result_reset(struct memmap_chunk_result *res, uint64_t s, uint64_t e)
{
	*res = (struct memmap_chunk_result){ .start_pfn = s, .end_pfn = e, .dev = MM_NO_DEVICE,
					     .hot = MM_NO_HOT };
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < NR_ORDERS; o++) {
			res->lists[z][o] = (struct mm_free_list){ PFN_NONE, PFN_NONE, 0 };
			res->tail_prev[z][o] = PFN_NONE;
		}
}

/*
 * Append block pfn to the chunk's (zone, order) list.  A head page is written
 * only once its successor is known, so the list's last block stays pending
 * until chunk_finish_lists(); every head is thus written exactly once.
 */
static void chunk_add_block(const struct mm_node *node, struct memmap_chunk_result *res,
			    unsigned zone, unsigned order, uint64_t pfn)
{
	struct mm_free_list *l = &res->lists[zone][order];
	uint64_t flags = page_flags_make(PG_buddy, zone, node->nid);

	if (l->tail == PFN_NONE)
		l->head = pfn;
	else
		mm_write_page(l->tail, flags, 0, pfn, res->tail_prev[zone][order], order);
	res->tail_prev[zone][order] = l->tail;
	l->tail = pfn;
	l->nr_free++;
	res->free_pages += 1ULL << order;
}

static void chunk_finish_lists(const struct mm_node *node, struct memmap_chunk_result *res)
{
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < NR_ORDERS; o++) {
			struct mm_free_list *l = &res->lists[z][o];

			if (l->tail != PFN_NONE)
				mm_write_page(l->tail, page_flags_make(PG_buddy, z, node->nid), 0,
					      PFN_NONE, res->tail_prev[z][o], o);
		}
}

/* Whether the part writes the heads of free blocks (and their lists), and
 * every other struct page. */
static bool part_heads(enum mm_init_part part)
{
	return part != MM_INIT_TAILS;
}

static bool part_tails(enum mm_init_part part)
{
	return part != MM_INIT_HEADS;
}

/* [s, e) is free and inside one zone: maximal aligned blocks, tails plain.
 * Returns the struct pages written. */
static uint64_t init_free_zone_run(const struct mm_node *node, struct memmap_chunk_result *res,
				   enum mm_init_part part, uint64_t s, uint64_t e)
{
	unsigned zone = mm_zone_of(s);
	uint64_t tail_flags = page_flags_make(0, zone, node->nid), written = 0;

	while (s < e) {
		unsigned order = mm_fit_order(s, e, MAX_ORDER);

		if (part_heads(part)) {
			chunk_add_block(node, res, zone, order, s);
			written++;
		}
		if (part_tails(part)) {
			mm_fill_pages(s + 1, (1ULL << order) - 1, tail_flags, 0, 0, 0);
			written += (1ULL << order) - 1;
		}
		s += 1ULL << order;
	}
	return written;
}

static uint64_t init_free_run(const struct mm_node *node, struct memmap_chunk_result *res,
			      enum mm_init_part part, uint64_t s, uint64_t e)
{
	uint64_t written = 0;

	while (s < e) {
		uint64_t zend = mm_min(e, mm_zone_end(s));

		written += init_free_zone_run(node, res, part, s, zend);
		s = zend;
	}
	return written;
}

/* Reserved pages are no buddy's business: the tails part writes them. */
static uint64_t init_reserved_run(const struct mm_node *node, struct memmap_chunk_result *res,
				  enum mm_init_part part, uint64_t s, uint64_t e)
{
	if (res)
		res->reserved_pages += e - s;
	if (!part_tails(part))
		return 0;
	for (uint64_t z = s; z < e;) {
		uint64_t zend = mm_min(e, mm_zone_end(z));

		mm_fill_pages(z, zend - z, page_flags_make(PG_reserved, mm_zone_of(z), node->nid), 1,
			      0, 0);
		z = zend;
	}
	return e - s;
}

/* End of the free run that starts in usable[*i] (adjacent ranges coalesced,
 * so the blocks are the same however the usable list was cut). */
static uint64_t free_run_end(const struct mm_node *node, uint32_t i)
{
	uint64_t end = node->usable[i].end_pfn;

	while (i + 1 < node->nr_usable && node->usable[i + 1].start_pfn == end)
		end = node->usable[++i].end_pfn;
	return end;
}

/* Write (the part of) the run of one kind starting at pfn (< end): a
 * device run (MM_INIT_FULL only: chunk_start() refuses other parts of a
 * device chunk), a free run, or a reserved run up to the next usable or
 * device pfn.  Returns the run's end; *written grows by the struct pages
 * written.  *i is the usable range cursor. */
static uint64_t init_run(const struct mm_node *node, struct memmap_chunk_result *res,
			 enum mm_init_part part, uint64_t pfn, uint64_t end, uint32_t *i,
			 uint64_t *written)
{
	uint32_t d = mm_device_at(node, pfn);
	uint64_t next;

	if (d != MM_NO_DEVICE) {
		kassert(part == MM_INIT_FULL);
		next = mm_min(node->dev[d].end_pfn, end);
		mm_init_device_run(node, d, res, pfn, next);
		return next;
	}
	while (*i < node->nr_usable && node->usable[*i].end_pfn <= pfn)
		(*i)++;
	if (*i < node->nr_usable && node->usable[*i].start_pfn <= pfn) {
		next = mm_min(free_run_end(node, *i), end);
		*written += init_free_run(node, res, part, pfn, next);
		return next;
	}
	next = *i < node->nr_usable ? mm_min(node->usable[*i].start_pfn, end) : end;
	next = mm_min(next, mm_next_device_start(node, pfn));
	*written += init_reserved_run(node, res, part, pfn, next);
	return next;
}

/* A hot range (mm/hot_region.c checked it): with the memmap on the region,
 * the section's first MM_HOT_ALTMAP_PAGES hold it (reserved, self-hosted;
 * no buddy's business: the tails part writes them); every other page is
 * free, in maximal aligned blocks cut at zone boundaries.  res: NULL for
 * the tails part.  Returns the pages written. */
static uint64_t init_hot_range(const struct mm_node *node, uint32_t h, enum mm_init_part part,
			       struct memmap_chunk_result *res, uint64_t s, uint64_t e)
{
	uint64_t altmap = mm_hot_altmap_in(node->hot[h], s, e), written = 0;

	if (res) {
		res->hot = h;
		res->hot_altmap_pages = altmap;
	}
	for (uint64_t z = s; part_tails(part) && z < s + altmap;) {
		uint64_t zend = mm_min(s + altmap, mm_zone_end(z));

		mm_fill_pages(z, zend - z, page_flags_make(PG_reserved | PG_vmemmap_self_hosted,
							   mm_zone_of(z), node->nid), 1, 0, 0);
		written += zend - z;
		z = zend;
	}
	return written + init_free_run(node, res, part, s + altmap, e);
}

uint64_t mm_init_hot_tails(const struct mm_node *node, uint32_t h, uint64_t s, uint64_t e,
			   bool all_tails)
{
	uint64_t written = e - s;

	if (all_tails)	/* inside one zone: zones begin 4 MiB aligned */
		mm_fill_pages(s, e - s, page_flags_make(0, mm_zone_of(s), node->nid), 0, 0, 0);
	else
		written = init_hot_range(node, h, MM_INIT_TAILS, NULL, s, e);

	mm_fill_fence();	/* the pages are complete before the block is marked so */
	return written;
}

/*
 * Arm the blocks of a hot chunk [s, e) before its HEADS part runs.  A block
 * is completed on its own later, so it must know which of its pages are the
 * heads HEADS writes: with plug blocks of 2 MiB a free block of MAX_ORDER
 * (4 MiB) covers two of them, and the upper one holds only tails of it
 * (MM_LAZY_LAZY_TAIL); every other block begins with a head (or with the
 * region's own memmap pages) and its blocks follow from its start
 * (MM_LAZY_LAZY).  The chunk's free blocks are those of the initializer:
 * maximal aligned blocks from the end of the memmap pages, cut at zones.
 */
static void arm_hot(const struct mm_node *node, uint32_t h, uint64_t s, uint64_t e)
{
	struct mm_hot_region *r = node->hot[h];
	uint64_t bp = r->block_pages, n = 0, pfn = s + mm_hot_altmap_in(r, s, e);

	kassert(r->lazy && !((s | e) & (bp - 1)));
	/* relaxed: the chunk's splice publishes the states with its blocks */
	for (uint64_t b = s; b < e; b += bp) {
		uint8_t old = __atomic_exchange_n(&r->lazy[(b - r->start_pfn) / bp],
						  (uint8_t)MM_LAZY_LAZY_TAIL, __ATOMIC_RELAXED);

		n += old == MM_LAZY_COMPLETE;
		if (b < pfn)	/* memmap pages first: written from the block's start */
			__atomic_store_n(&r->lazy[(b - r->start_pfn) / bp], (uint8_t)MM_LAZY_LAZY,
					 __ATOMIC_RELAXED);
	}
	while (pfn < e) {
		uint64_t zend = mm_min(e, mm_zone_end(pfn));
		unsigned order = mm_fit_order(pfn, zend, MAX_ORDER);

		if (!(pfn & (bp - 1)))
			__atomic_store_n(&r->lazy[(pfn - r->start_pfn) / bp], (uint8_t)MM_LAZY_LAZY,
					 __ATOMIC_RELAXED);
		pfn += 1ULL << order;
	}
	__atomic_fetch_add(&r->lazy_pending, n, __ATOMIC_RELAXED);
}

/* Reset res (also when the chunk is refused: a refused chunk splices as an
 * empty one) and return what the chunk is (chunk_kind()), reporting a
 * refused one.  A hot chunk's blocks go to the head of the lists at its
 * splice, merged with their neighbours; boot chunks are appended. */
static unsigned chunk_start(const struct mm_node *node, uint64_t s, uint64_t e,
			    enum mm_init_part part, struct memmap_chunk_result *res, uint32_t *idx)
{
	const char *why;
	unsigned kind = chunk_kind(node, s, e, part, idx, &why);

	result_reset(res, s, e);
	res->at_head = kind == MM_CHUNK_HOT;
	if (kind != MM_CHUNK_NONE && part != MM_INIT_FULL) {
		if (kind == MM_CHUNK_DEVICE)
			why = "device memory is never initialized lazily";
		else if (kind == MM_CHUNK_DRAM && !node->lazy)
			why = "the node has no lazy unit states";
		else if (kind == MM_CHUNK_HOT && !node->hot[*idx]->lazy)
			why = "the region has no lazy block states";
		else
			why = NULL;
		kind = why ? MM_CHUNK_NONE : kind;
	}
	if (kind == MM_CHUNK_NONE)
		kprintf("memmap_init_range: node %u: bad chunk [0x%llx, 0x%llx): %s\n", node->nid,
			(unsigned long long)s, (unsigned long long)e, why);
	return kind;
}

int memmap_init_range(const struct mm_node *node, uint64_t start_pfn, uint64_t end_pfn,
		      struct memmap_chunk_result *res)
{
	uint32_t hot;

	return mm_init_range_part(node, start_pfn, end_pfn, MM_INIT_FULL, res, &hot);
}

uint64_t mm_init_tails(const struct mm_node *node, uint64_t s, uint64_t e)
{
	uint64_t written = 0;
	uint32_t i = 0;

	for (uint64_t pfn = s; pfn < e;)
		pfn = init_run(node, NULL, MM_INIT_TAILS, pfn, e, &i, &written);
	mm_fill_fence();	/* the pages are complete before the unit is marked so */
	return written;
}

int mm_init_range_part(const struct mm_node *node, uint64_t start_pfn, uint64_t end_pfn,
		       enum mm_init_part part, struct memmap_chunk_result *res, uint32_t *hot)
{
	uint32_t i = 0, idx;
	uint64_t written = 0;
	unsigned kind = chunk_start(node, start_pfn, end_pfn, part, res, &idx);

	*hot = kind == MM_CHUNK_HOT ? idx : MM_NO_HOT;
	if (kind == MM_CHUNK_NONE)
		return -1;
	res->pages_initialized = end_pfn - start_pfn;
	if (part == MM_INIT_TAILS)	/* checked only: mm/lazy.c completes it */
		return 0;
	if (kind == MM_CHUNK_HOT && part == MM_INIT_HEADS)
		arm_hot(node, idx, start_pfn, end_pfn);
	if (kind == MM_CHUNK_HOT)
		written = init_hot_range(node, idx, part, res, start_pfn, end_pfn);
	for (uint64_t pfn = start_pfn; kind != MM_CHUNK_HOT && pfn < end_pfn;)
		pfn = init_run(node, res, part, pfn, end_pfn, &i, &written);
	chunk_finish_lists(node, res);
	mm_fill_fence();	/* the pages are complete before the caller publishes them */
	set_pageblocks_movable(node, start_pfn, end_pfn);
	res->pages_written = part == MM_INIT_FULL ? res->pages_initialized - res->pages_aliased :
			     written;
	return 0;
}
