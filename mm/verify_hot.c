/*
 * The verifier and checksum over hot-pluggable memory (mm/hotplug.c): every
 * run of adjacent ONLINE blocks of each region of the node, page by page,
 * against the state derived from the region's description alone.  Like
 * mm/verify.c it reads a quiescent node and writes nothing but its result;
 * an ISOLATED block is an error (the kernel verifies only when nothing is
 * being taken offline), OFFLINE blocks are not read.  docs/mm.md,
 * "Hot-pluggable memory".
 */
#include "mm.h"
#include "verify.h"

#define SECTION_PAGES	(1ULL << 15)	/* 128 MiB */
#define ALTMAP_PAGES	512ULL		/* 2 MiB of struct pages per section */
#define PAGEBLOCK_PAGES	512ULL

const struct mm_hot_region *verify_hot_region(const struct mm_node *node, uint64_t pfn)
{
	for (uint32_t i = 0; i < node->nr_hot; i++)
		if (pfn >= node->hot[i]->start_pfn && pfn < node->hot[i]->end_pfn)
			return node->hot[i];
	return NULL;
}

static unsigned block_state(const struct mm_hot_region *r, uint64_t pfn)
{
	return r->state[(pfn - r->start_pfn) / r->block_pages];
}

int verify_hot_online(const struct mm_node *node, uint64_t pfn)
{
	const struct mm_hot_region *r = verify_hot_region(node, pfn);

	return r && block_state(r, pfn) == MM_HOT_ONLINE;
}

unsigned verify_hot_pageblock_mt(const struct mm_hot_region *r, uint64_t pfn)
{
	uint64_t idx = (pfn - r->start_pfn) / PAGEBLOCK_PAGES;

	return (r->pageblock_mt[idx / 2] >> ((idx & 1) * 4)) & 0xf;
}

/* Pages holding the memmap: the first 2 MiB of each section of a region
 * whose memmap lives on itself. */
static int in_altmap(const struct mm_hot_region *r, uint64_t pfn)
{
	return r->memmap_loc == MM_MEMMAP_DEVICE && (pfn & (SECTION_PAGES - 1)) < ALTMAP_PAGES;
}

/* What the page walk of one region found. */
struct hot_count {
	uint64_t online, altmap, free, allocated;
};

/* A free head in the ONLINE run [s, e) of r: order, alignment, extent (in
 * the run, no altmap page), zone, and no free buddy of the same order in an
 * ONLINE block of the region left unmerged.  Returns the block's end. */
static uint64_t check_hot_head(struct vctx *v, const struct mm_hot_region *r, uint64_t s,
			       uint64_t e, uint64_t pfn, const struct page *p)
{
	unsigned order = p->order > MAX_ORDER ? 0 : p->order, zone = verify_expected_zone(pfn);
	uint64_t end = pfn + (1ULL << order), buddy = pfn ^ (1ULL << order);

	verify_check_fields(v, pfn, p, PG_buddy, 0);
	if (p->order > MAX_ORDER)
		verr(v, pfn, "hot block order %u > MAX_ORDER", p->order);
	if (pfn & ((1ULL << order) - 1))
		verr(v, pfn, "hot block of order %u not aligned", order);
	if (end > e || in_altmap(r, pfn) || in_altmap(r, end - 1))
		verr(v, pfn, "hot block of order %u leaves the online run [0x%llx, 0x%llx)", order,
		     (unsigned long long)s, (unsigned long long)e);
	if (zone != verify_expected_zone(end - 1))
		verr(v, pfn, "hot block of order %u crosses a zone boundary", order);
	if (order < MAX_ORDER && buddy >= r->start_pfn && buddy < r->end_pfn &&
	    block_state(r, buddy) == MM_HOT_ONLINE && verify_expected_zone(buddy) == zone &&
	    (pfn_to_page(buddy)->flags & PG_buddy) && pfn_to_page(buddy)->order == order)
		verr(v, pfn, "free hot buddy 0x%llx of order %u not merged",
		     (unsigned long long)buddy, order);
	v->heads[zone][order]++;
	return end;
}

static void walk_hot_run(struct vctx *v, const struct mm_hot_region *r, uint64_t s, uint64_t e,
			 struct hot_count *c)
{
	uint64_t block_end = 0;

	for (uint64_t pfn = s; pfn < e; pfn++) {
		const struct page *p = pfn_to_page(pfn);

		c->online++;
		if (in_altmap(r, pfn)) {
			verify_check_fields(v, pfn, p, PG_reserved | PG_vmemmap_self_hosted, 1);
			c->altmap++;
		} else if (pfn < block_end) {
			verify_check_fields(v, pfn, p, 0, 0);
			c->free++;
		} else if (p->flags & PG_buddy) {
			block_end = check_hot_head(v, r, s, e, pfn, p);
			c->free++;
		} else {
			verify_check_fields(v, pfn, p, 0, -1);	/* allocated: owner's fields */
			c->allocated++;
		}
		if (!(pfn & (PAGEBLOCK_PAGES - 1)) && verify_hot_pageblock_mt(r, pfn) != MIGRATE_MOVABLE)
			verr(v, pfn, "hot pageblock migratetype %u", verify_hot_pageblock_mt(r, pfn));
	}
}

static void check_region_counts(struct vctx *v, const struct mm_hot_region *r,
				const struct hot_count *c)
{
	if (c->online != r->online_pages || c->altmap != r->altmap_pages ||
	    c->free != r->free_pages || c->allocated != r->allocated_pages)
		verr(v, r->start_pfn, "hot region %u: page walk online %llu altmap %llu free %llu "
		     "allocated %llu, counters %llu %llu %llu %llu", r->id,
		     (unsigned long long)c->online, (unsigned long long)c->altmap,
		     (unsigned long long)c->free, (unsigned long long)c->allocated,
		     (unsigned long long)r->online_pages, (unsigned long long)r->altmap_pages,
		     (unsigned long long)r->free_pages, (unsigned long long)r->allocated_pages);
	if (r->isolated_free_pages ||
	    r->online_pages - r->altmap_pages != r->free_pages + r->allocated_pages)
		verr(v, r->start_pfn, "hot region %u: online %llu - altmap %llu != free %llu + "
		     "allocated %llu (isolated free %llu)", r->id,
		     (unsigned long long)r->online_pages, (unsigned long long)r->altmap_pages,
		     (unsigned long long)r->free_pages, (unsigned long long)r->allocated_pages,
		     (unsigned long long)r->isolated_free_pages);
}

/* End of the run of blocks in the same state as the one at b. */
static uint64_t run_end(const struct mm_hot_region *r, uint64_t b)
{
	unsigned st = block_state(r, b);
	uint64_t e = b + r->block_pages;

	while (e < r->end_pfn && block_state(r, e) == st)
		e += r->block_pages;
	return e;
}

void verify_hot_walk(struct vctx *v)
{
	for (uint32_t i = 0; i < v->node->nr_hot; i++) {
		const struct mm_hot_region *r = v->node->hot[i];
		struct hot_count c = { 0 };

		for (uint64_t b = r->start_pfn; b < r->end_pfn; b = run_end(r, b)) {
			if (block_state(r, b) == MM_HOT_ONLINE)
				walk_hot_run(v, r, b, run_end(r, b), &c);
			else if (block_state(r, b) != MM_HOT_OFFLINE)
				verr(v, b, "hot region %u: block state %u at verify time (only ONLINE "
				     "and OFFLINE are allowed)", r->id, block_state(r, b));
		}
		check_region_counts(v, r, &c);
		v->res->hot_pages += c.online;
		v->res->hot_altmap_pages += c.altmap;
		v->res->hot_free_pages += c.free;
		v->res->hot_allocated_pages += c.allocated;
		v->hot_free_counted += r->free_pages;
		v->hot_allocated_counted += r->allocated_pages;
	}
}

uint64_t verify_hot_checksum(const struct mm_node *node)
{
	uint64_t pages = 0x686f74ULL, blocks = 0, online = 0;

	for (uint32_t i = 0; i < node->nr_hot; i++) {
		const struct mm_hot_region *r = node->hot[i];

		for (uint64_t b = r->start_pfn; b < r->end_pfn; b = run_end(r, b)) {
			uint64_t e = run_end(r, b);

			if (block_state(r, b) != MM_HOT_ONLINE)
				continue;
			online += e - b;
			pages = verify_hash_word(pages, b ^ ((uint64_t)r->id << 48));
			pages = verify_hash_word(pages, e);
			verify_checksum_pages(node, b, e, &pages, &blocks);
		}
		pages = verify_hash_word(pages, r->online_pages ^ (r->altmap_pages << 32));
		pages = verify_hash_word(pages, r->free_pages ^ (r->allocated_pages << 32));
	}
	if (!online)
		return 0;
	return verify_hash_word(verify_mix64(pages), verify_mix64(blocks)) | 1;
}
