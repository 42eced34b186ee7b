/*
 * The one range initializer, the node description it reads, and the splice
 * that appends a chunk's free lists to its node.
 *
 * Every meminit mode (serial, per-node local, per-node parallel cross-calls,
 * deferred) calls memmap_init_range() on the chunks memmap_node_chunks()
 * and memmap_device_chunks() give; modes differ only in which CPU runs which
 * chunk and when the chunk is spliced.  A chunk is a sequence of runs: free
 * runs, reserved runs and device runs (mm/memmap_device.c).  The contract is
 * in docs/mm.md and include/mm.h.
 */
#include "mm.h"
#include "internal.h"
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

int memmap_section_present(const struct mm_node *node, uint64_t sec)
{
	uint64_t s = section_nr_to_pfn(sec), e = s + PAGES_PER_SECTION;

	for (uint32_t i = 0; i < node->nr_present; i++)
		if (node->present[i].start_pfn < e && node->present[i].end_pfn > s)
			return 1;
	return 0;
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

/* Owned range i of the node; without an owned list, the span (its pfns in
 * present sections). */
static struct mm_range owned_range(const struct mm_node *node, uint32_t i)
{
	return node->owned ? node->owned[i] : (struct mm_range){ node->start_pfn, node->end_pfn };
}

static uint32_t owned_count(const struct mm_node *node)
{
	return node->owned ? node->nr_owned : node->start_pfn < node->end_pfn;
}

/* The owned range holding pfn into *r; 0 when the node does not own pfn. */
static int owned_range_at(const struct mm_node *node, uint64_t pfn, struct mm_range *r)
{
	uint32_t lo = 0, hi = owned_count(node);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		*r = owned_range(node, mid);
		if (r->end_pfn <= pfn)
			lo = mid + 1;
		else if (r->start_pfn > pfn)
			hi = mid;
		else	/* an owned list lies in present sections; the span needs the check */
			return node->owned || memmap_section_present(node, pfn_to_section_nr(pfn));
	}
	return 0;
}

int mm_pfn_owned(const struct mm_node *node, uint64_t pfn)
{
	struct mm_range r;

	return owned_range_at(node, pfn, &r);
}

int mm_block_owned(const struct mm_node *node, uint64_t s, uint64_t e)
{
	struct mm_range r;

	return s < e && owned_range_at(node, s, &r) && e <= r.end_pfn &&
	       pfn_to_section_nr(s) == pfn_to_section_nr(e - 1);
}

uint32_t memmap_node_chunks(const struct mm_node *node, struct mm_range *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < owned_count(node); i++) {
		struct mm_range r = owned_range(node, i);

		for (uint64_t sec = pfn_to_section_nr(r.start_pfn);
		     r.start_pfn < r.end_pfn && sec <= pfn_to_section_nr(r.end_pfn - 1); sec++) {
			if (!memmap_section_present(node, sec))
				continue;
			if (n < max)
				out[n] = (struct mm_range){
					mm_max(section_nr_to_pfn(sec), r.start_pfn),
					mm_min(section_nr_to_pfn(sec + 1), r.end_pfn),
				};
			n++;
		}
	}
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

/* A device chunk, or a DRAM chunk: inside one owned range and one present
 * section, each end MAX_ORDER-aligned or an end of the owned range (so a
 * chunk never writes another node's page, nor splits a max-order block). */
static int chunk_valid(const struct mm_node *node, uint64_t s, uint64_t e)
{
	struct mm_range r;

	if (s >= e || s < node->start_pfn || e > node->end_pfn)
		return 0;
	if (mm_device_chunk_valid(node, s, e))
		return 1;
	if (pfn_to_section_nr(s) != pfn_to_section_nr(e - 1) || !owned_range_at(node, s, &r) ||
	    e > r.end_pfn)
		return 0;
	if ((s & (MAX_ORDER_NR_PAGES - 1)) && s != r.start_pfn)
		return 0;
	return !(e & (MAX_ORDER_NR_PAGES - 1)) || e == r.end_pfn;
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

/* [s, e) is free and inside one zone: maximal aligned blocks, tails plain. */
static void init_free_zone_run(const struct mm_node *node, struct memmap_chunk_result *res,
			       uint64_t s, uint64_t e)
{
	unsigned zone = mm_zone_of(s);
	uint64_t tail_flags = page_flags_make(0, zone, node->nid);

	while (s < e) {
		unsigned order = mm_fit_order(s, e, MAX_ORDER);

		chunk_add_block(node, res, zone, order, s);
		mm_fill_pages(s + 1, (1ULL << order) - 1, tail_flags, 0, 0, 0);
		s += 1ULL << order;
	}
}

static void init_free_run(const struct mm_node *node, struct memmap_chunk_result *res,
			  uint64_t s, uint64_t e)
{
	while (s < e) {
		uint64_t zend = mm_min(e, mm_zone_end(s));

		init_free_zone_run(node, res, s, zend);
		s = zend;
	}
}

static void init_reserved_run(const struct mm_node *node, struct memmap_chunk_result *res,
			      uint64_t s, uint64_t e)
{
	res->reserved_pages += e - s;
	while (s < e) {
		uint64_t zend = mm_min(e, mm_zone_end(s));

		mm_fill_pages(s, zend - s, page_flags_make(PG_reserved, mm_zone_of(s), node->nid), 1,
			      0, 0);
		s = zend;
	}
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

/* Write the run of one kind starting at pfn (< end): a device run, a free
 * run, or a reserved run up to the next usable or device pfn.  Returns the
 * run's end.  *i is the usable range cursor. */
static uint64_t init_run(const struct mm_node *node, struct memmap_chunk_result *res,
			 uint64_t pfn, uint64_t end, uint32_t *i)
{
	uint32_t d = mm_device_at(node, pfn);
	uint64_t next;

	if (d != MM_NO_DEVICE) {
		next = mm_min(node->dev[d].end_pfn, end);
		mm_init_device_run(node, d, res, pfn, next);
		return next;
	}
	while (*i < node->nr_usable && node->usable[*i].end_pfn <= pfn)
		(*i)++;
	if (*i < node->nr_usable && node->usable[*i].start_pfn <= pfn) {
		next = mm_min(free_run_end(node, *i), end);
		init_free_run(node, res, pfn, next);
		return next;
	}
	next = *i < node->nr_usable ? mm_min(node->usable[*i].start_pfn, end) : end;
	next = mm_min(next, mm_next_device_start(node, pfn));
	init_reserved_run(node, res, pfn, next);
	return next;
}

/* A hot chunk (mm/hotplug.c checked it): with the memmap on the region, the
 * section's first MM_HOT_ALTMAP_PAGES hold it (reserved, self-hosted); every
 * other page is free, in maximal aligned blocks cut at zone boundaries. */
static void init_hot_chunk(const struct mm_node *node, uint32_t h,
			   struct memmap_chunk_result *res, uint64_t s, uint64_t e)
{
	uint64_t altmap = mm_hot_altmap_in(node->hot[h], s, e);

	res->hot = h;
	res->hot_altmap_pages = altmap;
	for (uint64_t z = s; z < s + altmap;) {
		uint64_t zend = mm_min(s + altmap, mm_zone_end(z));

		mm_fill_pages(z, zend - z, page_flags_make(PG_reserved | PG_vmemmap_self_hosted,
							   mm_zone_of(z), node->nid), 1, 0, 0);
		z = zend;
	}
	init_free_run(node, res, s + altmap, e);
}

/* Check the chunk, reset res (also when the chunk is refused: a refused
 * chunk splices as an empty one), and return the hot region or MM_NO_HOT;
 * -1 in *bad when refused. */
static uint32_t chunk_start(const struct mm_node *node, uint64_t s, uint64_t e,
			    struct memmap_chunk_result *res, int *bad)
{
	const char *why = "not a DRAM or device chunk of the node";
	uint32_t h = MM_NO_HOT;

	result_reset(res, s, e);
	*bad = 0;
	if (s < e && !mm_pfn_boot(node, s))
		h = mm_hot_chunk_check(node, s, e, &why);
	else if (chunk_valid(node, s, e))
		return MM_NO_HOT;
	if (h == MM_NO_HOT) {
		kprintf("memmap_init_range: node %u: bad chunk [0x%llx, 0x%llx): %s\n", node->nid,
			(unsigned long long)s, (unsigned long long)e, why);
		*bad = 1;
	}
	return h;
}

int memmap_init_range(const struct mm_node *node, uint64_t start_pfn, uint64_t end_pfn,
		      struct memmap_chunk_result *res)
{
	uint32_t i = 0;
	int bad;
	uint32_t h = chunk_start(node, start_pfn, end_pfn, res, &bad);

	if (bad)
		return -1;
	if (h != MM_NO_HOT)
		init_hot_chunk(node, h, res, start_pfn, end_pfn);
	for (uint64_t pfn = start_pfn; h == MM_NO_HOT && pfn < end_pfn;)
		pfn = init_run(node, res, pfn, end_pfn, &i);
	chunk_finish_lists(node, res);
	mm_fill_fence();	/* the pages are complete before the caller publishes them */
	set_pageblocks_movable(node, start_pfn, end_pfn);
	res->pages_initialized = end_pfn - start_pfn;
	res->pages_written = res->pages_initialized - res->pages_aliased;
	return 0;
}

void memmap_splice_chunk(struct mm_node *node, struct memmap_chunk_result *res)
{
	uint64_t irq;

	if (res->hot != MM_NO_HOT) {
		mm_hot_splice(node, res);
		return;
	}
	irq = spin_lock_irqsave(&node->lock);

	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < NR_ORDERS; o++) {
			struct mm_free_list *c = &res->lists[z][o];
			struct mm_free_list *n = &node->free_area[z][o];

			if (!c->nr_free)
				continue;
			if (n->tail == PFN_NONE) {
				n->head = c->head;
			} else {
				pfn_to_page(n->tail)->next_pfn = c->head;
				pfn_to_page(c->head)->prev_pfn = n->tail;
			}
			n->tail = c->tail;
			n->nr_free += c->nr_free;
		}
	node->nr_free_pages += res->free_pages;
	node->nr_device_pages += res->device_pages;
	node->nr_device_altmap_pages += res->altmap_pages;
	node->nr_device_chunks_spliced += res->dev != MM_NO_DEVICE;
	node->nr_chunks_spliced++;
	spin_unlock_irqrestore(&node->lock, irq);
}
