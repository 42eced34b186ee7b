/*
 * Hot-pluggable memory of a node: its regions (virtio-mem devices) and
 * what the one splice does to a region when one of its chunks goes online.
 * Taking memory offline is in mm/hot_offline.c.
 *
 * A hot chunk is built like every other (meminit_request_hot() in
 * mm/request.c checks the range with mm_hot_range_problem() here and cuts it
 * with the one chunker), goes through the one range initializer (its one
 * chunk validator says "hot chunk of region h"; the pages are written like
 * DRAM's) and the one splice, memmap_splice_chunk(), which in one critical
 * section of the node lock puts its free blocks at the head of the node's
 * lists, merges them with free buddies in adjacent ONLINE blocks of the
 * region, and calls mm_hot_online() here: the chunk's blocks become ONLINE,
 * the region's counts and the node span move.  The region set and the
 * block states are (L); the initializer reads them without the lock, which
 * is safe because regions are only ever appended (release store of nr_hot)
 * and a chunk's blocks stay OFFLINE until its splice.  docs/mm.md,
 * "Hot-pluggable memory". */
#include "mm.h"
#include "internal.h"
#include "kassert.h"
#include "kprintf.h"
#include "kstring.h"

uint64_t mm_hot_state_bytes(uint64_t start_pfn, uint64_t end_pfn, uint64_t block_pages)
{
	if (end_pfn <= start_pfn || !block_pages)
		return 0;
	return (end_pfn - start_pfn + block_pages - 1) / block_pages;
}

uint64_t mm_hot_pageblock_bytes(uint64_t start_pfn, uint64_t end_pfn)
{
	uint64_t pageblocks;

	if (end_pfn <= start_pfn)
		return 0;
	pageblocks = (end_pfn - start_pfn + PAGEBLOCK_NR_PAGES - 1) / PAGEBLOCK_NR_PAGES;
	return (pageblocks * PAGEBLOCK_BITS + 7) / 8;
}

static const char *region_problem(uint64_t s, uint64_t e, uint64_t block_pages,
				  enum mm_memmap_loc loc, const uint8_t *state, const uint8_t *bits)
{
	if (block_pages < PAGEBLOCK_NR_PAGES || (block_pages & (block_pages - 1)))
		return "block size not a power of 2 of at least 2 MiB";
	if (s >= e || e > MAX_PFN)
		return "empty or beyond the physical address space";
	if ((s | e) & (block_pages - 1))
		return "start or end not a multiple of the block size";
	if (loc != MM_MEMMAP_DRAM && loc != MM_MEMMAP_DEVICE)
		return "unknown memmap location";
	if (loc == MM_MEMMAP_DEVICE && (((s | e) & (PAGES_PER_SECTION - 1)) ||
					block_pages > PAGES_PER_SECTION))
		return "memmap on the region needs section-aligned ends and blocks of at most a section";
	if (!state || !bits)
		return "no storage for block states or pageblock bits";
	return NULL;
}

int mm_hot_region_init(struct mm_hot_region *r, uint32_t id, uint64_t start_pfn,
		       uint64_t end_pfn, uint64_t block_pages, enum mm_memmap_loc loc,
		       uint8_t *state, uint8_t *pageblock_mt)
{
	const char *why = region_problem(start_pfn, end_pfn, block_pages, loc, state, pageblock_mt);

	if (why) {
		kprintf("memmap: hot region %u [0x%llx, 0x%llx) rejected: %s\n", id,
			(unsigned long long)start_pfn, (unsigned long long)end_pfn, why);
		return -1;
	}
	*r = (struct mm_hot_region){
		.id = id, .start_pfn = start_pfn, .end_pfn = end_pfn, .block_pages = block_pages,
		.memmap_loc = loc, .state = state, .pageblock_mt = pageblock_mt,
	};
	memset(state, MM_HOT_OFFLINE, mm_hot_state_bytes(start_pfn, end_pfn, block_pages));
	return 0;
}

void mm_hot_region_set_lazy(struct mm_hot_region *r, uint8_t *states)
{
	r->lazy = states;
	mm_hot_lazy_clear(r);
}

static int overlaps(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return a < d && c < b;
}

/* Why node cannot take r (lock held), or NULL. */
static const char *add_problem(const struct mm_node *node, const struct mm_hot_region *r)
{
	if (node->nr_hot >= MM_MAX_HOT_REGIONS)
		return "the node has MM_MAX_HOT_REGIONS regions";
	if (r->online_pages || !mm_hot_all(r, r->start_pfn, r->end_pfn, MM_HOT_OFFLINE))
		return "a block is not OFFLINE";
	for (uint64_t sec = pfn_to_section_nr(r->start_pfn);
	     sec <= pfn_to_section_nr(r->end_pfn - 1); sec++)
		if (memmap_section_present(node, sec))
			return "overlaps a section of the node's RAM";
	for (uint32_t d = 0; d < node->nr_dev; d++)
		if (overlaps(r->start_pfn, r->end_pfn, node->dev[d].start_pfn, node->dev[d].end_pfn))
			return "overlaps a device";
	for (uint32_t i = 0; i < node->nr_hot; i++)
		if (overlaps(r->start_pfn, r->end_pfn, node->hot[i]->start_pfn, node->hot[i]->end_pfn))
			return "overlaps another hot region";
	return NULL;
}

int memmap_node_add_hot(struct mm_node *node, struct mm_hot_region *r)
{
	uint64_t irq = spin_lock_irqsave(&node->lock);
	const char *why = add_problem(node, r);

	if (!why) {
		node->hot[node->nr_hot] = r;
		/* pairs with the acquire in mm_hot_find(): the entry before the count */
		__atomic_store_n(&node->nr_hot, node->nr_hot + 1, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&node->lock, irq);
	if (why)
		kprintf("memmap: node %u: hot region %u [0x%llx, 0x%llx) rejected: %s\n", node->nid,
			r->id, (unsigned long long)r->start_pfn, (unsigned long long)r->end_pfn, why);
	return why ? -1 : 0;
}

const char *mm_hot_range_problem(const struct mm_node *node, uint32_t h, uint64_t s, uint64_t e,
				 unsigned want)
{
	static const char *const not_in[] = { [MM_HOT_OFFLINE] = "a block is not OFFLINE",
					      [MM_HOT_ONLINE] = "a block is not ONLINE",
					      [MM_HOT_ISOLATED] = "a block is not ISOLATED" };
	const struct mm_hot_region *r;

	if (h >= __atomic_load_n(&node->nr_hot, __ATOMIC_ACQUIRE))	/* append-only */
		return "no such hot region";
	r = node->hot[h];
	if (s >= e || s < r->start_pfn || e > r->end_pfn)
		return "not inside the region";
	if ((s | e) & (r->block_pages - 1))
		return "not block aligned";
	if (r->memmap_loc == MM_MEMMAP_DEVICE && ((s | e) & (PAGES_PER_SECTION - 1)))
		return "not section aligned (memmap on the region)";
	if (!mm_hot_all(r, s, e, want))
		return not_in[want];
	return NULL;
}

void mm_hot_reset(struct mm_node *node)
{
	for (uint32_t i = 0; i < node->nr_hot; i++) {
		struct mm_hot_region *r = node->hot[i];

		mm_hot_set_state(r, r->start_pfn, r->end_pfn, MM_HOT_OFFLINE);
		r->online_pages = r->altmap_pages = r->free_pages = 0;
		r->allocated_pages = r->isolated_free_pages = 0;
		if (r->lazy)
			mm_hot_lazy_clear(r);
	}
}

static void span_add(struct mm_node *node, uint64_t s, uint64_t e)
{
	if (node->span_start_pfn >= node->span_end_pfn) {
		node->span_start_pfn = s;
		node->span_end_pfn = e;
		return;
	}
	node->span_start_pfn = mm_min(node->span_start_pfn, s);
	node->span_end_pfn = mm_max(node->span_end_pfn, e);
}

void mm_hot_span_recompute(struct mm_node *node)
{
	node->span_start_pfn = node->start_pfn;
	node->span_end_pfn = node->end_pfn;
	for (uint32_t i = 0; i < node->nr_hot; i++) {
		const struct mm_hot_region *r = node->hot[i];

		for (uint64_t b = r->start_pfn; b < r->end_pfn; b += r->block_pages)
			if (mm_hot_state(r, b) != MM_HOT_OFFLINE)
				span_add(node, b, b + r->block_pages);
	}
}

void mm_hot_online(struct mm_node *node, const struct memmap_chunk_result *res)
{
	uint64_t s = res->start_pfn, e = res->end_pfn;
	struct mm_hot_region *r;

	kassert(res->hot < node->nr_hot);
	r = node->hot[res->hot];
	kassert(s >= r->start_pfn && e <= r->end_pfn && mm_hot_all(r, s, e, MM_HOT_OFFLINE));
	mm_hot_set_state(r, s, e, MM_HOT_ONLINE);
	r->free_pages += res->free_pages;
	r->online_pages += e - s;
	r->altmap_pages += res->hot_altmap_pages;
	span_add(node, s, e);
}
