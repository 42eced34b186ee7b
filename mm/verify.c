/*
 * Memmap verifier: one walk over every struct page of a node.
 *
 * Written apart from the initializer on purpose: the expected state of each
 * pfn is derived here from the node's descriptions (usable ranges, zone
 * boundaries at 16 MiB and 4 GiB, device and hot region descriptions)
 * without calling mm/memmap_init.c or mm/internal.h helpers, so a bug in one
 * is not silently mirrored by the other.
 *
 * A node's pfns come in runs of three kinds: DRAM pieces (an owned range cut
 * at sections, in sections holding the node's RAM: never another node's
 * struct pages), device ranges, and runs of adjacent ONLINE blocks of a
 * hot-pluggable region (OFFLINE blocks are not read; an ISOLATED one is an
 * error, the kernel verifies only when nothing is being offlined).  One
 * walker, walk_run(), checks every page of every run; what differs by kind
 * is the kind's table (struct run_kind): which pfns are set aside and the
 * flags they carry, whether the other pages are the buddy allocator's (free
 * heads, their tails, allocated pages) or a device's compound pages, and
 * where its pageblock bits live.  The counts go through the one accounting
 * rule, memmap_account_check() (mm/account.c).
 *
 * memmap_verify() reads a quiescent node (no CPU allocating, initializing or
 * offlining it) and writes nothing but its result; the checksum
 * (mm/checksum.c) reads the node the same way, through the same
 * description readers (mm/verify.h).  Callers: the boot CPU (meminit), the
 * live checks, host tests.  Definitions: docs/mm.md, "Verifier" and
 * "Checksum".
 */
#include <stdarg.h>
#include <stdbool.h>
#include "kstring.h"
#include "mm.h"
#include "kprintf.h"
#include "verify.h"

#define VERIFY_MAX_REPORTS	8
#define HOT_ALTMAP_PAGES	512ULL		/* memmap_on_memory: 2 MiB of struct pages
						 * at the start of each section */

struct run;

/* What one kind of run expects of its pages: the data the one walker reads. */
struct run_kind {
	const char *name;		/* message prefix: "", "hot ", "device " */
	uint64_t set_aside_flags;	/* PG_* of a set-aside page (refcount 1, owner
					 * fields 0); device: its own image */
	bool compound;			/* not the buddy's: each page a device page whose
					 * whole image follows from the description */
	bool shares_sections;		/* its sections may hold another node's pfns: a
					 * page with another node's id is one error of
					 * its own (else the id is checked as a field) */
	const char *free_space;		/* where a free block must lie */
	bool counts_blocks;		/* its free heads feed free_blocks (DRAM's only,
					 * as struct memmap_verify_result says) */
	/* End of the stretch of the run from pfn whose pages are all set aside
	 * or all not (*set_aside says which). */
	uint64_t (*stretch)(const struct run *r, uint64_t pfn, bool *set_aside);
};

/* Adjacent pfns of one kind whose expected state follows from one description. */
struct run {
	const struct run_kind *kind;
	uint64_t start_pfn, end_pfn;
	const struct mm_node *node;
	const struct mm_device *dev;		/* device run */
	const struct mm_hot_region *region;	/* hot run */
};

/* One verification in progress: the node, its result, what the walk found. */
struct verify_walk {
	const struct mm_node *node;
	struct memmap_verify_result *res;
	uint64_t heads[MM_NR_ZONES][NR_ORDERS];	/* free heads met, per list */
	struct memmap_walk counted;		/* pages by kind and state */
};

/* Report a verification error at pfn (the first few are printed). */
KPRINTF_FMT(3, 4)
static void verify_error(struct verify_walk *w, uint64_t pfn, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	if (w->res->errors++ >= VERIFY_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("verify: node %u pfn 0x%llx: %s\n", w->node->nid, (unsigned long long)pfn, msg);
}

static void account_error(void *arg, uint64_t pfn, const char *msg)
{
	verify_error(arg, pfn, "%s", msg);
}

/* A lazy node (meminit=lazy) is verified once every unit is complete: a
 * unit left LAZY or BUSY has struct pages nobody wrote (each is one error,
 * named by its first pfn; the page walk then finds its pages too). */
static void check_lazy_units(struct verify_walk *w)
{
	const struct mm_lazy *lz = w->node->lazy;
	uint64_t origin = w->node->start_pfn & ~(SECTION_PAGES - 1);

	for (uint64_t u = 0; lz && u < lz->nunits; u++) {
		uint8_t st = __atomic_load_n(&lz->state[u], __ATOMIC_ACQUIRE);

		if (st != MM_LAZY_COMPLETE)
			verify_error(w, origin + u * MM_LAZY_UNIT_PAGES,
				     "lazy unit not complete (state %u)", st);
	}
	for (uint32_t h = 0; h < __atomic_load_n(&w->node->nr_hot, __ATOMIC_ACQUIRE); h++) {
		const struct mm_hot_region *r = w->node->hot[h];
		uint64_t nblocks = (r->end_pfn - r->start_pfn) / r->block_pages;

		for (uint64_t b = 0; r->lazy && b < nblocks; b++) {
			uint8_t st = __atomic_load_n(&r->lazy[b], __ATOMIC_ACQUIRE);

			if (st != MM_LAZY_COMPLETE && r->state[b] != MM_HOT_OFFLINE)
				verify_error(w, r->start_pfn + b * r->block_pages,
					     "hot block online but not complete (lazy state %u)", st);
		}
	}
}

static unsigned expected_zone(uint64_t pfn)
{
	uint64_t addr = pfn << 12;

	return addr < (16ULL << 20) ? ZONE_DMA : addr < (4ULL << 30) ? ZONE_DMA32 : ZONE_NORMAL;
}

/* ---- the node's pfns (mm/verify.h has the rest) -------------------------------- */

static int is_device_pfn(const struct mm_node *node, uint64_t pfn)
{
	for (uint32_t d = 0; d < node->nr_dev; d++)
		if (pfn >= node->dev[d].start_pfn && pfn < node->dev[d].end_pfn)
			return 1;
	return 0;
}

/* ---- the kinds of run --------------------------------------------------------- */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* DRAM: pages outside the usable ranges are reserved (adjacent ranges count
 * as one stretch).  Ranges are sorted. */
static uint64_t dram_stretch(const struct run *r, uint64_t pfn, bool *set_aside)
{
	const struct mm_node *node = r->node;
	uint32_t lo = 0, hi = node->nr_usable;

	while (lo < hi) {			/* first range ending after pfn */
		uint32_t mid = (lo + hi) / 2;

		if (node->usable[mid].end_pfn <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	*set_aside = lo == node->nr_usable || node->usable[lo].start_pfn > pfn;
	if (*set_aside)
		return lo == node->nr_usable ? r->end_pfn
					     : min_u64(node->usable[lo].start_pfn, r->end_pfn);
	while (lo + 1 < node->nr_usable && node->usable[lo + 1].start_pfn == node->usable[lo].end_pfn)
		lo++;
	return min_u64(node->usable[lo].end_pfn, r->end_pfn);
}

/* Device: its first altmap_pfns pages hold its memmap. */
static uint64_t device_stretch(const struct run *r, uint64_t pfn, bool *set_aside)
{
	uint64_t altmap_end = r->dev->start_pfn + r->dev->altmap_pfns;

	*set_aside = pfn < altmap_end;
	return *set_aside ? altmap_end : r->end_pfn;
}

/* Hot, memmap on the region: each section's first pages hold its memmap. */
static uint64_t hot_stretch(const struct run *r, uint64_t pfn, bool *set_aside)
{
	uint64_t sec = pfn & ~(SECTION_PAGES - 1);

	*set_aside = r->region->memmap_loc == MM_MEMMAP_DEVICE && pfn - sec < HOT_ALTMAP_PAGES;
	if (r->region->memmap_loc != MM_MEMMAP_DEVICE)
		return r->end_pfn;
	return min_u64(*set_aside ? sec + HOT_ALTMAP_PAGES : sec + SECTION_PAGES, r->end_pfn);
}

static const struct run_kind kind_dram = {
	.name = "", .set_aside_flags = PG_reserved, .shares_sections = true,
	.free_space = "usable memory", .counts_blocks = true, .stretch = dram_stretch,
};
static const struct run_kind kind_device = {
	.name = "device ", .compound = true, .stretch = device_stretch,
};
static const struct run_kind kind_hot = {
	.name = "hot ", .set_aside_flags = PG_reserved | PG_vmemmap_self_hosted,
	.free_space = "the online run", .stretch = hot_stretch,
};

/* ---- the one page walker --------------------------------------------------- */

/* A buddy page: flags low bits pg, zone and node bits, refcount (< 0: any,
 * owner fields free), mapcount -1, links and order only on free heads. */
static void check_fields(struct verify_walk *w, uint64_t pfn, const struct page *p, uint64_t pg,
			 int32_t refcount)
{
	if ((p->flags & ~((1ULL << 52) - 1)) !=
	    (((uint64_t)w->node->nid << 54) | ((uint64_t)expected_zone(pfn) << 52)))
		verify_error(w, pfn, "zone/node bits 0x%llx", (unsigned long long)p->flags);
	if ((p->flags & ((1ULL << 52) - 1)) != pg)
		verify_error(w, pfn, "flags 0x%llx, want 0x%llx", (unsigned long long)p->flags,
			     (unsigned long long)pg);
	if (refcount >= 0 && p->refcount != refcount)
		verify_error(w, pfn, "refcount %d, want %d", p->refcount, refcount);
	if (p->mapcount != -1)
		verify_error(w, pfn, "mapcount %d", p->mapcount);
	if (!(pg & PG_buddy) && (p->next_pfn != PFN_NONE || p->prev_pfn != PFN_NONE))
		verify_error(w, pfn, "links set on a page that is no free head");
	if (!(pg & PG_buddy) && p->order)
		verify_error(w, pfn, "order %u on a page that is no free head", p->order);
	if (p->_unused || (refcount >= 0 && (p->private || p->mapping || p->index)))
		verify_error(w, pfn, "owner fields not zero");
}

/* A free head at pfn, its free stretch ending at free_end: order, alignment,
 * extent (inside the stretch), one zone, and no free buddy of the same order
 * in the run left unmerged.  Returns the block's end inside the stretch. */
static uint64_t check_free_head(struct verify_walk *w, const struct run *r, uint64_t pfn,
				const struct page *p, uint64_t free_end, struct memmap_pages *c)
{
	const char *k = r->kind->name;
	unsigned order = p->order > MAX_ORDER ? 0 : p->order, zone = expected_zone(pfn);
	uint64_t end = pfn + (1ULL << order), buddy = pfn ^ (1ULL << order);

	check_fields(w, pfn, p, PG_buddy, 0);
	if (p->order > MAX_ORDER)
		verify_error(w, pfn, "%sblock order %u > MAX_ORDER", k, p->order);
	if (pfn & ((1ULL << order) - 1))
		verify_error(w, pfn, "%sblock of order %u not aligned", k, order);
	if (end > free_end)
		verify_error(w, pfn, "%sblock of order %u leaves %s [0x%llx, 0x%llx)", k, order,
			     r->kind->free_space, (unsigned long long)r->start_pfn,
			     (unsigned long long)r->end_pfn);
	if (zone != expected_zone(end - 1))
		verify_error(w, pfn, "%sblock of order %u crosses a zone boundary", k, order);
	if (order < MAX_ORDER && buddy >= r->start_pfn && buddy < r->end_pfn &&
	    expected_zone(buddy) == zone && (pfn_to_page(buddy)->flags & PG_buddy) &&
	    pfn_to_page(buddy)->order == order)
		verify_error(w, pfn, "free %sbuddy 0x%llx of order %u not merged", k,
			     (unsigned long long)buddy, order);
	w->heads[zone][order]++;
	end = min_u64(end, free_end);
	c->free += end - pfn;
	w->res->free_blocks += r->kind->counts_blocks;
	return end;
}

/* The state a device page must have, derived from the description alone. */
static struct page device_page_expected(const struct mm_node *node, const struct mm_device *d,
					uint64_t pfn, bool set_aside)
{
	uint64_t size = 1ULL << d->compound_order, head = pfn & ~(size - 1);
	struct page p = {
		.flags = PG_reserved | ((uint64_t)ZONE_DEVICE << 52) | ((uint64_t)node->nid << 54),
		.refcount = 1, .mapcount = -1, .next_pfn = PFN_NONE, .prev_pfn = PFN_NONE,
		.private = d->id,
	};

	if (set_aside) {
		p.flags |= PG_vmemmap_self_hosted;
	} else if (size > 1 && pfn == head) {
		p.flags |= PG_head;
		p.order = d->compound_order;
	} else if (size > 1) {
		p.refcount = 0;
		p.compound_head = head;
	}
	return p;
}

/* Whether device pfn's struct page is read through a shared vmemmap page:
 * a compound tail past the distinct first ones (its alias). */
static bool device_aliased(const struct mm_device *d, uint64_t pfn)
{
	return mm_device_vmemmap_shared(d) &&
	       (pfn & ((1ULL << d->compound_order) - 1)) >= MM_COMPOUND_DISTINCT_PAGES;
}

/* A device page: all 64 bytes; reports the first word that differs.  An
 * aliased page is read through its alias, so a vmemmap page mapped to the
 * wrong place is caught. */
static void check_device_page(struct verify_walk *w, const struct run *r, uint64_t pfn,
			      const struct page *p, bool set_aside)
{
	static const char *const names[8] = {
		"flags", "refcount/mapcount", "next_pfn", "prev_pfn", "order", "private",
		"mapping", "compound_head/index",
	};
	struct page want = device_page_expected(w->node, r->dev, pfn, set_aside);
	const uint64_t *got = (const uint64_t *)p, *exp = (const uint64_t *)&want;
	unsigned i = 0;

	if (!memcmp(p, &want, sizeof(want)))
		return;
	while (i < 7 && got[i] == exp[i])
		i++;
	verify_error(w, pfn, "%spage%s: %s 0x%llx, want 0x%llx", r->kind->name,
		     device_aliased(r->dev, pfn) ? " (via shared vmemmap)" : "", names[i],
		     (unsigned long long)got[i], (unsigned long long)exp[i]);
}

/*
 * Every page of run r, in pfn order, against what its kind expects; counts
 * into *c.  Pages of a run: a DRAM page with another node's id is one error
 * of its own; a set-aside page has the kind's flags (device: its whole image);
 * the others are device pages, or the buddy's: a tail of the current free
 * block, a free head, or an allocated page.  Every pageblock MOVABLE.
 */
static void walk_run(struct verify_walk *w, const struct run *r, struct memmap_pages *c)
{
	uint64_t stretch_end = r->start_pfn, block_end = r->start_pfn;
	bool set_aside = false;

	for (uint64_t pfn = r->start_pfn; pfn < r->end_pfn; pfn++) {
		const struct page *p = pfn_to_page(pfn);

		if (pfn == stretch_end)
			stretch_end = r->kind->stretch(r, pfn, &set_aside);
		c->total++;					/* from the description */
		c->set_aside += set_aside;
		if (r->kind->compound) {
			w->res->compound_heads += r->dev->compound_order && !set_aside &&
						  !(pfn & ((1ULL << r->dev->compound_order) - 1));
			w->res->aliased_pages += device_aliased(r->dev, pfn);
		}
		if (r->kind->shares_sections && page_nid(p) != w->node->nid) {
			verify_error(w, pfn, "struct page of node %u on a pfn node %u owns",
				     page_nid(p), w->node->nid);
		} else if (r->kind->compound) {
			check_device_page(w, r, pfn, p, set_aside);
		} else if (set_aside) {
			check_fields(w, pfn, p, r->kind->set_aside_flags, 1);
		} else if (pfn < block_end) {
			check_fields(w, pfn, p, 0, 0);			/* a free block's tail */
		} else if (p->flags & PG_buddy) {
			block_end = check_free_head(w, r, pfn, p, stretch_end, c);
		} else {
			check_fields(w, pfn, p, 0, -1);			/* allocated: owner's fields */
			c->allocated++;
		}
		if (((pfn & (PAGEBLOCK_PAGES - 1)) == 0 || pfn == r->start_pfn) &&
		    pageblock_mt(w->node, pfn) != MIGRATE_MOVABLE)
			verify_error(w, pfn, "%spageblock migratetype %u", r->kind->name,
				     pageblock_mt(w->node, pfn));
	}
}

/* Every run of the node: DRAM pieces, devices, each region's ONLINE runs. */
static void walk_node(struct verify_walk *w)
{
	const struct mm_node *node = w->node;
	struct memmap_walk *c = &w->counted;

	for (uint32_t i = 0; i < owned_count(node); i++) {	/* owned pfns only */
		struct mm_range o = owned_range(node, i);

		for (uint64_t s = o.start_pfn; s < o.end_pfn; s = piece_end(o, s))
			if (section_has_ram(node, s))
				walk_run(w, &(struct run){ .kind = &kind_dram, .start_pfn = s,
							   .end_pfn = piece_end(o, s),
							   .node = node }, &c->dram);
	}
	for (uint32_t d = 0; d < node->nr_dev; d++) {
		const struct mm_device *dev = &node->dev[d];

		walk_run(w, &(struct run){ .kind = &kind_device, .start_pfn = dev->start_pfn,
					   .end_pfn = dev->end_pfn, .node = node, .dev = dev },
			 &c->device);
	}
	for (uint32_t h = 0; h < node->nr_hot; h++) {
		const struct mm_hot_region *r = node->hot[h];

		for (uint64_t b = r->start_pfn; b < r->end_pfn; b = block_run_end(r, b)) {
			if (block_state(r, b) == MM_HOT_ONLINE)
				walk_run(w, &(struct run){ .kind = &kind_hot, .start_pfn = b,
							   .end_pfn = block_run_end(r, b),
							   .node = node, .region = r },
					 &c->region[h]);
			else if (block_state(r, b) != MM_HOT_OFFLINE)
				verify_error(w, b, "hot region %u: block state %u at verify time "
					     "(only ONLINE and OFFLINE are allowed)", r->id,
					     block_state(r, b));
		}
		c->hot.total += c->region[h].total;
		c->hot.set_aside += c->region[h].set_aside;
		c->hot.free += c->region[h].free;
		c->hot.allocated += c->region[h].allocated;
	}
}

/* A free list: doubly linked, each element a free head of the node of the
 * list's order and zone (never a device page), length = nr_free = the heads
 * the page walk found, tail right. */
static void walk_list(struct verify_walk *w, unsigned zone, unsigned order)
{
	const struct mm_free_list *l = &w->node->free_area[zone][order];
	uint64_t prev = PFN_NONE, cur = l->head, n = 0;

	while (cur != PFN_NONE) {
		const struct page *p;

		if (n >= l->nr_free) {
			verify_error(w, cur, "list (zone %u, order %u) longer than nr_free %llu", zone,
				     order, (unsigned long long)l->nr_free);
			return;
		}
		if (is_device_pfn(w->node, cur)) {
			verify_error(w, cur, "device page on free list (zone %u, order %u)", zone,
				     order);
			return;
		}
		if (!has_page(w->node, cur) && !hot_online(w->node, cur)) {
			verify_error(w, cur, "list (zone %u, order %u) leaves the node's present and "
				     "online hot memory", zone, order);
			return;
		}
		p = pfn_to_page(cur);
		if (!(p->flags & PG_buddy) || p->order != order || expected_zone(cur) != zone)
			verify_error(w, cur, "on list (zone %u, order %u) but not such a free head",
				     zone, order);
		if (p->prev_pfn != prev)
			verify_error(w, cur, "prev link 0x%llx, want 0x%llx",
				     (unsigned long long)p->prev_pfn, (unsigned long long)prev);
		prev = cur;
		cur = p->next_pfn;
		n++;
	}
	if (n != l->nr_free || l->tail != prev)
		verify_error(w, prev, "list (zone %u, order %u): %llu blocks, nr_free %llu, tail "
			     "0x%llx", zone, order, (unsigned long long)n,
			     (unsigned long long)l->nr_free, (unsigned long long)l->tail);
	if (n != w->heads[zone][order])
		verify_error(w, prev, "list (zone %u, order %u): %llu blocks, page walk found %llu",
			     zone, order, (unsigned long long)n,
			     (unsigned long long)w->heads[zone][order]);
}

int memmap_verify(const struct mm_node *node, struct memmap_verify_result *res)
{
	struct verify_walk w = { .node = node, .res = res };
	const struct memmap_walk *c = &w.counted;
	struct memmap_account a;

	*res = (struct memmap_verify_result){ 0 };
	check_lazy_units(&w);
	walk_node(&w);
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o <= MAX_ORDER; o++)
			walk_list(&w, z, o);
	memmap_account(node, MEMMAP_HELD_UNKNOWN, &a);
	memmap_account_check(node, &a, c, account_error, &w);
	res->pages_checked = c->dram.total;
	res->reserved_pages = c->dram.set_aside;
	res->free_pages = c->dram.free;
	res->allocated_pages = c->dram.allocated;
	res->device_pages = c->device.total;
	res->altmap_pages = c->device.set_aside;
	res->hot_pages = c->hot.total;
	res->hot_altmap_pages = c->hot.set_aside;
	res->hot_free_pages = c->hot.free;
	res->hot_allocated_pages = c->hot.allocated;
	if (res->errors > VERIFY_MAX_REPORTS)
		kprintf("verify: node %u: %llu errors in all\n", node->nid,
			(unsigned long long)res->errors);
	return res->errors ? -1 : 0;
}
