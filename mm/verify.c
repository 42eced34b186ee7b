/*
 * Memmap verifier and checksum.
 *
 * Written apart from the initializer on purpose: the expected state of each
 * pfn is derived here from the node's usable ranges and the zone boundaries
 * (16 MiB, 4 GiB) without calling mm/memmap_init.c or mm/internal.h helpers,
 * so a bug in one is not silently mirrored by the other.  Both walk only the
 * pfns the node owns (node->owned; without it, its span's present
 * sections), never another node's struct pages, and the verifier checks
 * each page's node id against the owner.  Both functions read a quiescent
 * node (no CPU allocating or initializing it) and write
 * nothing but their result.  Definitions: docs/mm.md.
 */
#include <stdarg.h>
#include "kstring.h"
#include "mm.h"
#include "kprintf.h"
#include "verify.h"

#define VERIFY_MAX_REPORTS	8

void verr(struct vctx *v, uint64_t pfn, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	if (v->res->errors++ >= VERIFY_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("verify: node %u pfn 0x%llx: %s\n", v->node->nid, (unsigned long long)pfn, msg);
}

unsigned verify_expected_zone(uint64_t pfn)
{
	uint64_t addr = pfn << 12;

	return addr < (16ULL << 20) ? ZONE_DMA : addr < (4ULL << 30) ? ZONE_DMA32 : ZONE_NORMAL;
}

/* Whether the section of pfn has struct pages for the node (holds its RAM). */
static int section_has_ram(const struct mm_node *node, uint64_t pfn)
{
	uint64_t sec_start = pfn & ~((1ULL << 15) - 1), sec_end = sec_start + (1ULL << 15);

	for (uint32_t i = 0; i < node->nr_present; i++)
		if (node->present[i].start_pfn < sec_end && node->present[i].end_pfn > sec_start)
			return 1;
	return 0;
}

/* Owned range i: the node's owned list, or without one its span. */
static uint32_t owned_count(const struct mm_node *node)
{
	return node->owned ? node->nr_owned : node->start_pfn < node->end_pfn;
}

static struct mm_range owned_range(const struct mm_node *node, uint32_t i)
{
	return node->owned ? node->owned[i] : (struct mm_range){ node->start_pfn, node->end_pfn };
}

/* Whether the node owns DRAM pfn pfn: the only struct pages it may read. */
static int has_page(const struct mm_node *node, uint64_t pfn)
{
	uint32_t lo = 0, hi = owned_count(node);

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		struct mm_range r = owned_range(node, mid);

		if (r.end_pfn <= pfn)
			lo = mid + 1;
		else if (r.start_pfn > pfn)
			hi = mid;
		else
			return section_has_ram(node, pfn);
	}
	return 0;
}

/* End of the piece of owned range r that starts at s: the section's end or
 * the range's. */
static uint64_t piece_end(struct mm_range r, uint64_t s)
{
	uint64_t e = (s | ((1ULL << 15) - 1)) + 1;

	return e < r.end_pfn ? e : r.end_pfn;
}

/* Index of the usable range holding pfn, or -1.  Ranges are sorted. */
static int64_t usable_index(const struct mm_node *node, uint64_t pfn)
{
	uint32_t lo = 0, hi = node->nr_usable;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (node->usable[mid].end_pfn <= pfn)
			lo = mid + 1;
		else if (node->usable[mid].start_pfn > pfn)
			hi = mid;
		else
			return mid;
	}
	return -1;
}

/* Whether [pfn, end) is entirely usable (adjacent ranges count as one). */
static int all_usable(const struct mm_node *node, uint64_t pfn, uint64_t end)
{
	int64_t i = usable_index(node, pfn);

	if (i < 0)
		return 0;
	while (node->usable[i].end_pfn < end) {
		if ((uint32_t)i + 1 >= node->nr_usable ||
		    node->usable[i + 1].start_pfn != node->usable[i].end_pfn)
			return 0;
		i++;
	}
	return 1;
}

static unsigned pageblock_mt(const struct mm_node *node, uint64_t pfn)
{
	const struct mm_hot_region *r;
	uint64_t idx;

	if ((r = verify_hot_region(node, pfn)))
		return verify_hot_pageblock_mt(r, pfn);
	idx = (pfn - (node->start_pfn & ~((1ULL << 15) - 1))) / 512;

	return (node->pageblock_mt[idx / 2] >> ((idx & 1) * 4)) & 0xf;
}

void verify_check_fields(struct vctx *v, uint64_t pfn, const struct page *p, uint64_t pg,
			 int32_t refcount)
{
	if ((p->flags & ~((1ULL << 52) - 1)) !=
	    (((uint64_t)v->node->nid << 54) | ((uint64_t)verify_expected_zone(pfn) << 52)))
		verr(v, pfn, "zone/node bits 0x%llx", (unsigned long long)p->flags);
	if ((p->flags & ((1ULL << 52) - 1)) != pg)
		verr(v, pfn, "flags 0x%llx, want 0x%llx", (unsigned long long)p->flags,
		     (unsigned long long)pg);
	if (refcount >= 0 && p->refcount != refcount)
		verr(v, pfn, "refcount %d, want %d", p->refcount, refcount);
	if (p->mapcount != -1)
		verr(v, pfn, "mapcount %d", p->mapcount);
	if (!(pg & PG_buddy) && (p->next_pfn != PFN_NONE || p->prev_pfn != PFN_NONE))
		verr(v, pfn, "links set on a page that is no free head");
	if (!(pg & PG_buddy) && p->order)
		verr(v, pfn, "order %u on a page that is no free head", p->order);
	if (p->_unused || (refcount >= 0 && (p->private || p->mapping || p->index)))
		verr(v, pfn, "owner fields not zero");
}

/* A free head: alignment, extent, zone, and that its buddy is not also a free
 * head of the same order (the two would have had to merge). */
static uint64_t check_head(struct vctx *v, uint64_t pfn, const struct page *p)
{
	unsigned order = p->order > MAX_ORDER ? 0 : p->order;
	uint64_t end = pfn + (1ULL << order), buddy = pfn ^ (1ULL << order);

	verify_check_fields(v, pfn, p, PG_buddy, 0);
	if (p->order > MAX_ORDER)
		verr(v, pfn, "order %u > MAX_ORDER", p->order);
	if (pfn & ((1ULL << order) - 1))
		verr(v, pfn, "block of order %u not aligned", order);
	if (!all_usable(v->node, pfn, end) || end > v->node->end_pfn)
		verr(v, pfn, "block of order %u leaves usable memory", order);
	if (verify_expected_zone(pfn) != verify_expected_zone(end - 1))
		verr(v, pfn, "block of order %u crosses a zone boundary", order);
	if (order < MAX_ORDER && has_page(v->node, buddy) && verify_expected_zone(buddy) == verify_expected_zone(pfn) &&
	    (pfn_to_page(buddy)->flags & PG_buddy) && pfn_to_page(buddy)->order == order)
		verr(v, pfn, "free buddy 0x%llx of order %u not merged", (unsigned long long)buddy, order);
	v->heads[verify_expected_zone(pfn)][order]++;
	v->res->free_blocks++;
	v->res->free_pages += 1ULL << order;
	return end;
}

/* Every page of one section piece [s, e), in pfn order; block_end carries a
 * free block's extent across calls. */
static void walk_pages(struct vctx *v, uint64_t s, uint64_t e, uint64_t *block_end)
{
	for (uint64_t pfn = s; pfn < e; pfn++) {
		const struct page *p = pfn_to_page(pfn);

		v->res->pages_checked++;
		if (page_nid(p) != v->node->nid) {
			verr(v, pfn, "struct page of node %u on a pfn node %u owns", page_nid(p),
			     v->node->nid);
		} else if (usable_index(v->node, pfn) < 0) {
			verify_check_fields(v, pfn, p, PG_reserved, 1);
			v->res->reserved_pages++;
		} else if (pfn < *block_end) {
			verify_check_fields(v, pfn, p, 0, 0);
		} else if (p->flags & PG_buddy) {
			*block_end = check_head(v, pfn, p);
		} else {
			verify_check_fields(v, pfn, p, 0, -1);		/* allocated: owner's fields */
			v->res->allocated_pages++;
		}
		if ((pfn & 511) == 0 || pfn == s)
			if (pageblock_mt(v->node, pfn) != MIGRATE_MOVABLE)
				verr(v, pfn, "pageblock migratetype %u", pageblock_mt(v->node, pfn));
	}
}

/* ---- device pages ------------------------------------------------------------ */

/* Whether pfn lies in one of the node's device ranges. */
static int is_device_pfn(const struct mm_node *node, uint64_t pfn)
{
	for (uint32_t d = 0; d < node->nr_dev; d++)
		if (pfn >= node->dev[d].start_pfn && pfn < node->dev[d].end_pfn)
			return 1;
	return 0;
}

/* The state a device page must have, derived from the description alone. */
static struct page device_page_expected(const struct mm_node *node, const struct mm_device *d,
					uint64_t pfn, int *tail)
{
	uint64_t size = 1ULL << d->compound_order, head = pfn & ~(size - 1);
	struct page p = {
		.flags = (1ULL << 0) | (3ULL << 52) | ((uint64_t)node->nid << 54),
		.refcount = 1, .mapcount = -1, .next_pfn = UINT64_MAX, .prev_pfn = UINT64_MAX,
		.private = d->id,
	};

	*tail = 0;
	if (pfn < d->start_pfn + d->altmap_pfns) {
		p.flags |= 1ULL << 3;			/* PG_vmemmap_self_hosted */
	} else if (size > 1 && pfn == head) {
		p.flags |= 1ULL << 2;			/* PG_head */
		p.order = d->compound_order;
	} else if (size > 1) {
		p.refcount = 0;
		p.index = head;				/* compound_head */
		*tail = 1;
	}
	return p;
}

/* Report the first field of a device page that differs from want. */
static void verr_device_page(struct vctx *v, uint64_t pfn, const struct page *p,
			     const struct page *want, int aliased)
{
	static const char *const names[8] = {
		"flags", "refcount/mapcount", "next_pfn", "prev_pfn", "order", "private",
		"mapping", "compound_head/index",
	};
	const uint64_t *got = (const uint64_t *)p, *exp = (const uint64_t *)want;
	unsigned w = 0;

	while (w < 7 && got[w] == exp[w])
		w++;
	verr(v, pfn, "device page%s: %s 0x%llx, want 0x%llx",
	     aliased ? " (via shared vmemmap)" : "", names[w], (unsigned long long)got[w],
	     (unsigned long long)exp[w]);
}

/* Every page of one device: its state, and each pageblock MOVABLE. */
static void walk_device(struct vctx *v, const struct mm_device *d)
{
	uint64_t size = 1ULL << d->compound_order;
	int shared = d->memmap_loc == MM_MEMMAP_DRAM && size > 1;

	for (uint64_t pfn = d->start_pfn; pfn < d->end_pfn; pfn++) {
		int tail, aliased = shared && (pfn & (size - 1)) >= 128;
		struct page want = device_page_expected(v->node, d, pfn, &tail);
		const struct page *p = pfn_to_page(pfn);

		if (memcmp(p, &want, sizeof(want)))
			verr_device_page(v, pfn, p, &want, aliased);
		v->res->device_pages++;
		v->res->altmap_pages += pfn < d->start_pfn + d->altmap_pfns;
		v->res->compound_heads += !!(want.flags & (1ULL << 2));
		v->res->aliased_pages += aliased;
		if ((pfn & 511) == 0 && pageblock_mt(v->node, pfn) != MIGRATE_MOVABLE)
			verr(v, pfn, "device pageblock migratetype %u", pageblock_mt(v->node, pfn));
	}
}

static void check_device_totals(struct vctx *v)
{
	const struct mm_node *node = v->node;
	uint64_t pages = 0, altmap = 0;

	for (uint32_t d = 0; d < node->nr_dev; d++) {
		pages += node->dev[d].end_pfn - node->dev[d].start_pfn;
		altmap += node->dev[d].altmap_pfns;
	}
	if (pages != node->nr_device_pages || pages != v->res->device_pages)
		verr(v, 0, "device pages: described %llu, page walk %llu, counter %llu",
		     (unsigned long long)pages, (unsigned long long)v->res->device_pages,
		     (unsigned long long)node->nr_device_pages);
	if (altmap != node->nr_device_altmap_pages || altmap != v->res->altmap_pages)
		verr(v, 0, "altmap pages: described %llu, page walk %llu, counter %llu",
		     (unsigned long long)altmap, (unsigned long long)v->res->altmap_pages,
		     (unsigned long long)node->nr_device_altmap_pages);
}

static void walk_list(struct vctx *v, unsigned zone, unsigned order)
{
	const struct mm_free_list *l = &v->node->free_area[zone][order];
	uint64_t prev = PFN_NONE, cur = l->head, n = 0;

	while (cur != PFN_NONE) {
		const struct page *p;

		if (n >= l->nr_free) {
			verr(v, cur, "list (zone %u, order %u) longer than nr_free %llu", zone, order,
			     (unsigned long long)l->nr_free);
			return;
		}
		if (is_device_pfn(v->node, cur)) {
			verr(v, cur, "device page on free list (zone %u, order %u)", zone, order);
			return;
		}
		if (!has_page(v->node, cur) && !verify_hot_online(v->node, cur)) {
			verr(v, cur, "list (zone %u, order %u) leaves the node's present and online "
				     "hot memory", zone, order);
			return;
		}
		p = pfn_to_page(cur);
		if (!(p->flags & PG_buddy) || p->order != order || verify_expected_zone(cur) != zone)
			verr(v, cur, "on list (zone %u, order %u) but not such a free head", zone, order);
		if (p->prev_pfn != prev)
			verr(v, cur, "prev link 0x%llx, want 0x%llx", (unsigned long long)p->prev_pfn,
			     (unsigned long long)prev);
		prev = cur;
		cur = p->next_pfn;
		n++;
	}
	if (n != l->nr_free || l->tail != prev)
		verr(v, prev, "list (zone %u, order %u): %llu blocks, nr_free %llu, tail 0x%llx",
		     zone, order, (unsigned long long)n, (unsigned long long)l->nr_free,
		     (unsigned long long)l->tail);
	if (n != v->heads[zone][order])
		verr(v, prev, "list (zone %u, order %u): %llu blocks, page walk found %llu", zone,
		     order, (unsigned long long)n, (unsigned long long)v->heads[zone][order]);
}

static void check_totals(struct vctx *v)
{
	const struct mm_node *node = v->node;
	uint64_t usable = 0, listed = 0;

	for (uint32_t i = 0; i < node->nr_usable; i++)
		usable += node->usable[i].end_pfn - node->usable[i].start_pfn;
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o <= MAX_ORDER; o++)
			listed += node->free_area[z][o].nr_free << o;
	if (usable != node->ram_usable_pages - node->early_reserved_pages)
		verr(v, 0, "usable ranges hold %llu pages, memory map says %llu - %llu reserved",
		     (unsigned long long)usable, (unsigned long long)node->ram_usable_pages,
		     (unsigned long long)node->early_reserved_pages);
	if (v->res->free_pages + v->res->hot_free_pages != node->nr_free_pages ||
	    listed != node->nr_free_pages)
		verr(v, 0, "free pages: page walk %llu (hot %llu), lists %llu, counter %llu",
		     (unsigned long long)(v->res->free_pages + v->res->hot_free_pages),
		     (unsigned long long)v->res->hot_free_pages, (unsigned long long)listed,
		     (unsigned long long)node->nr_free_pages);
	/* DRAM's share: the node's counters minus the regions' */
	if (v->res->allocated_pages != node->nr_allocated_pages - v->hot_allocated_counted ||
	    v->res->free_pages != node->nr_free_pages - v->hot_free_counted ||
	    v->res->free_pages + v->res->allocated_pages != usable)
		verr(v, 0, "DRAM free %llu + allocated %llu (counters %llu, %llu) != usable %llu",
		     (unsigned long long)v->res->free_pages,
		     (unsigned long long)v->res->allocated_pages,
		     (unsigned long long)(node->nr_free_pages - v->hot_free_counted),
		     (unsigned long long)(node->nr_allocated_pages - v->hot_allocated_counted),
		     (unsigned long long)usable);
}

int memmap_verify(const struct mm_node *node, struct memmap_verify_result *res)
{
	struct vctx v = { .node = node, .res = res };
	uint64_t block_end = 0;

	*res = (struct memmap_verify_result){ 0 };
	for (uint32_t i = 0; i < owned_count(node); i++) {	/* owned pfns only */
		struct mm_range r = owned_range(node, i);

		for (uint64_t s = r.start_pfn; s < r.end_pfn; s = piece_end(r, s))
			if (section_has_ram(node, s))
				walk_pages(&v, s, piece_end(r, s), &block_end);
	}
	for (uint32_t d = 0; d < node->nr_dev; d++)
		walk_device(&v, &node->dev[d]);
	verify_hot_walk(&v);
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o <= MAX_ORDER; o++)
			walk_list(&v, z, o);
	check_totals(&v);
	check_device_totals(&v);
	if (res->errors > VERIFY_MAX_REPORTS)
		kprintf("verify: node %u: %llu errors in all\n", node->nid,
			(unsigned long long)res->errors);
	return res->errors ? -1 : 0;
}

/* ---- checksum --------------------------------------------------------------- */

#define mix64		verify_mix64
#define hash_word	verify_hash_word

static uint64_t block_hash(uint64_t pfn, unsigned order, unsigned zone, unsigned mt)
{
	return mix64(pfn ^ mix64(order | ((uint64_t)zone << 8) | ((uint64_t)mt << 16)));
}

/* Every present page of [s, e) minus its link words, and the free heads met. */
void verify_checksum_pages(const struct mm_node *node, uint64_t s, uint64_t e, uint64_t *pages,
			   uint64_t *blocks)
{
	for (uint64_t pfn = s; pfn < e; pfn++) {
		const struct page *p = pfn_to_page(pfn);
		uint64_t h = *pages;

		h = hash_word(h, p->flags);
		h = hash_word(h, (uint32_t)p->refcount | ((uint64_t)(uint32_t)p->mapcount << 32));
		h = hash_word(h, p->order | ((uint64_t)p->_unused << 32));
		h = hash_word(h, p->private);
		h = hash_word(h, p->mapping);
		*pages = hash_word(h, p->index);
		if ((pfn & 511) == 0 || pfn == s)
			*pages = hash_word(*pages, pageblock_mt(node, pfn));
		if (p->flags & PG_buddy)
			*blocks = hash_word(*blocks, block_hash(pfn, p->order, page_zone_id(p),
								  pageblock_mt(node, pfn)));
	}
}

/* Every device page in pfn order, each device prefixed by its description,
 * pageblock bits at each pageblock start, and the device counters. */
static uint64_t checksum_devices(const struct mm_node *node)
{
	uint64_t h = 0x646576696365ULL;

	for (uint32_t d = 0; d < node->nr_dev; d++) {
		const struct mm_device *dev = &node->dev[d];
		uint64_t heads = 0;	/* PG_buddy heads: none on a sane device */

		h = hash_word(h, dev->start_pfn);
		h = hash_word(h, dev->end_pfn ^ ((uint64_t)dev->id << 32));
		h = hash_word(h, dev->compound_order | ((uint64_t)dev->memmap_loc << 8));
		h = hash_word(h, dev->altmap_pfns);
		verify_checksum_pages(node, dev->start_pfn, dev->end_pfn, &h, &heads);
		h = hash_word(h, heads);
	}
	h = hash_word(h, node->nr_device_pages);
	return hash_word(h, node->nr_device_altmap_pages);
}

/* The free lists as a multiset (sum of block hashes: list order drops out). */
static uint64_t checksum_lists(const struct mm_node *node)
{
	uint64_t sum = 0;

	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o <= MAX_ORDER; o++) {
			const struct mm_free_list *l = &node->free_area[z][o];
			uint64_t cur = l->head, n = 0;

			for (; cur != PFN_NONE && n < l->nr_free &&
			       (has_page(node, cur) || verify_hot_online(node, cur)); n++) {
				sum += block_hash(cur, o, z, pageblock_mt(node, cur));
				cur = pfn_to_page(cur)->next_pfn;
			}
			sum += mix64(((uint64_t)z << 56) ^ ((uint64_t)o << 48) ^ l->nr_free ^
				     (cur == PFN_NONE ? 0 : 0xbad));
		}
	return sum;
}

uint64_t memmap_checksum(const struct mm_node *node)
{
	uint64_t pages = 0x6e756d61626f6f74ULL, blocks = 0, h, hot;

	for (uint32_t i = 0; i < owned_count(node); i++) {
		struct mm_range r = owned_range(node, i);

		for (uint64_t s = r.start_pfn; s < r.end_pfn; s = piece_end(r, s))
			if (section_has_ram(node, s)) {
				pages = hash_word(pages, s);
				verify_checksum_pages(node, s, piece_end(r, s), &pages, &blocks);
			}
	}
	h = hash_word(mix64(pages), mix64(blocks));
	h = hash_word(h, checksum_lists(node));
	h = hash_word(h, node->nr_free_pages);
	h = hash_word(h, node->nr_allocated_pages);
	if (node->nr_dev)	/* DRAM-only nodes keep their checksum */
		h = hash_word(h, checksum_devices(node));
	hot = verify_hot_checksum(node);
	if (hot)		/* so do nodes with no online hot memory */
		h = hash_word(h, hot);
	return mix64(hash_word(h, node->nid));
}
