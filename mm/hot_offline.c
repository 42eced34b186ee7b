/*
 * Taking hot-added memory offline, as Linux's offline_pages() without
 * migration: isolate a block-aligned range of a region (its free pages off
 * the lists, nothing allocated from it again), wait until nothing in it is
 * allocated (mm_hot_busy_pages()), then offline it, or give it back
 * (unisolate).  Any CPU; each entry takes the node lock.
 *
 * Isolated free blocks: head PG_isolated with its order, tails plain, never
 * on a list, never larger than a plug block (so a block-aligned range is
 * offlined or given back without splitting one); pages freed into an
 * ISOLATED block join them (mm_merge_isolated_block(), mm/buddy.c).
 * docs/mm.md, "Hot-pluggable memory".
 */
#include "mm.h"
#include "internal.h"
#include "kprintf.h"

static void say_why(char *why, uint32_t size, const char *what, uint32_t h, uint64_t s,
		    uint64_t e, const char *problem)
{
	if (why && size)
		ksnprintf(why, size, "%s [0x%llx, 0x%llx) of hot region %u: %s", what,
			  (unsigned long long)s, (unsigned long long)e, h, problem);
}

static unsigned isolated_cap(const struct mm_hot_region *r)
{
	unsigned o = (unsigned)__builtin_ctzll(r->block_pages);

	return o < MAX_ORDER ? o : MAX_ORDER;
}

/* [s, e) back on the lists as maximal aligned blocks (still free). */
static void free_run(struct mm_node *node, unsigned zone, uint64_t s, uint64_t e)
{
	while (s < e) {
		unsigned o = mm_fit_order(s, e, MAX_ORDER);

		mm_make_free_block(node, zone, o, s);
		s += 1ULL << o;
	}
}

/* Free block [b, +2^o) overlapping [s, e): off its list; the part inside
 * becomes isolated free blocks, the parts outside go back on the lists as
 * maximal aligned blocks (still free: no counter moves for them).  Returns
 * the pages isolated. */
static uint64_t isolate_block(struct mm_node *node, const struct mm_hot_region *r, uint64_t b,
			      unsigned o, uint64_t s, uint64_t e)
{
	unsigned zone = page_zone_id(pfn_to_page(b));
	uint64_t end = b + (1ULL << o), a = mm_max(b, s), z = mm_min(end, e);

	mm_list_del(node, zone, o, b);
	free_run(node, zone, b, a);
	free_run(node, zone, z, end);
	for (uint64_t p = a; p < z;) {
		unsigned po = mm_fit_order(p, z, isolated_cap(r));

		mm_write_page(p, page_flags_make(PG_isolated, zone, node->nid), 0, PFN_NONE, PFN_NONE,
			      po);
		p += 1ULL << po;
	}
	return z - a;
}

/* A free block starting before s that reaches into [s, e) (possible when a
 * block is smaller than MAX_ORDER_NR_PAGES).  Its head is read only when its
 * plug block is ONLINE. */
static uint64_t isolate_left_straddler(struct mm_node *node, const struct mm_hot_region *r,
				       uint64_t s, uint64_t e)
{
	for (unsigned o = 1; o <= MAX_ORDER; o++) {
		uint64_t b = s & ~((1ULL << o) - 1);
		const struct page *p;

		if (b == s || b < r->start_pfn || mm_hot_state(r, b) != MM_HOT_ONLINE)
			continue;
		p = pfn_to_page(b);
		if ((p->flags & PG_buddy) && p->order == o)
			return isolate_block(node, r, b, o, s, e);
	}
	return 0;
}

int mm_hot_isolate(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e, char *why,
		   uint32_t why_size)
{
	uint64_t irq, taken;
	const char *problem;
	struct mm_hot_region *r;

	/* Lazy blocks (hot_lazy): the walk below reads every struct page of
	 * [s, e) and of a block straddling its ends: complete them all first
	 * (ONLINE ones only: the range is checked under the lock). */
	if (h < __atomic_load_n(&node->nr_hot, __ATOMIC_ACQUIRE) && node->hot[h]->lazy &&
	    !mm_hot_range_problem(node, h, s, e, MM_HOT_ONLINE))
		mm_lazy_complete_hot(node, h, s & ~(MAX_ORDER_NR_PAGES - 1),
				     (e + MAX_ORDER_NR_PAGES - 1) & ~(MAX_ORDER_NR_PAGES - 1), true);
	irq = spin_lock_irqsave(&node->lock);
	problem = mm_hot_range_problem(node, h, s, e, MM_HOT_ONLINE);
	if (problem) {
		spin_unlock_irqrestore(&node->lock, irq);
		say_why(why, why_size, "cannot isolate", h, s, e, problem);
		return -1;
	}
	r = node->hot[h];
	mm_hot_set_state(r, s, e, MM_HOT_ISOLATED);
	taken = isolate_left_straddler(node, r, s, e);
	for (uint64_t pfn = s; pfn < e;) {
		const struct page *p = pfn_to_page(pfn);
		uint64_t flags = p->flags;
		unsigned o = p->order;

		if (flags & PG_buddy)
			taken += isolate_block(node, r, pfn, o, s, e);
		pfn += (flags & (PG_buddy | PG_isolated)) ? 1ULL << o : 1;
	}
	node->nr_free_pages -= taken;
	r->free_pages -= taken;
	r->isolated_free_pages += taken;
	spin_unlock_irqrestore(&node->lock, irq);
	return 0;
}

/* Allocated pages of [s, e) (no free head, no altmap page), the first one in
 * *first; OFFLINE plug blocks are skipped unread.  Lock held. */
static uint64_t range_busy(const struct mm_hot_region *r, uint64_t s, uint64_t e, uint64_t *first)
{
	uint64_t n = 0;

	*first = PFN_NONE;
	for (uint64_t pfn = s; pfn < e;) {
		const struct page *p;

		if (!((pfn - r->start_pfn) & (r->block_pages - 1)) &&
		    mm_hot_state(r, pfn) == MM_HOT_OFFLINE) {
			pfn += r->block_pages;
			continue;
		}
		p = pfn_to_page(pfn);
		if (p->flags & (PG_buddy | PG_isolated)) {
			pfn += 1ULL << p->order;
			continue;
		}
		if (!(p->flags & PG_reserved) && !n++)
			*first = pfn;
		pfn++;
	}
	return n;
}

uint64_t mm_hot_busy_pages(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e)
{
	uint64_t irq = spin_lock_irqsave(&node->lock), n = 0, first;
	const struct mm_hot_region *r = h < node->nr_hot ? node->hot[h] : NULL;

	if (r && s < e && s >= r->start_pfn && e <= r->end_pfn &&
	    !((s | e) & (r->block_pages - 1)))
		n = range_busy(r, s, e, &first);
	spin_unlock_irqrestore(&node->lock, irq);
	return n;
}

/* Every struct page of [s, e): offline, reserved, no links (blocks OFFLINE). */
static void write_offline(const struct mm_node *node, uint64_t s, uint64_t e)
{
	while (s < e) {
		uint64_t zend = mm_min(e, mm_zone_end(s));

		mm_fill_pages(s, zend - s, page_flags_make(PG_reserved | PG_offline, mm_zone_of(s),
							   node->nid), 1, 0, 0);
		s = zend;
	}
	mm_fill_fence();
}

/*
 * The blocks go OFFLINE and the counts and span move in one critical
 * section; the struct pages are then written PG_offline outside the lock
 * (16 MiB per GiB: allocators of the node do not wait for it).  Nobody reads
 * them meanwhile: merges and frees check the block state first, and the
 * caller onlines the range again only after this returns.
 */
int mm_hot_offline(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e, char *why,
		   uint32_t why_size)
{
	uint64_t irq = spin_lock_irqsave(&node->lock), busy = 0, first = PFN_NONE, altmap;
	const char *problem = mm_hot_range_problem(node, h, s, e, MM_HOT_ISOLATED);
	struct mm_hot_region *r;
	char msg[96];

	if (!problem && (busy = range_busy(node->hot[h], s, e, &first))) {
		ksnprintf(msg, sizeof(msg), "%llu pages still allocated, the first at pfn 0x%llx",
			  (unsigned long long)busy, (unsigned long long)first);
		problem = msg;
	}
	if (problem) {
		spin_unlock_irqrestore(&node->lock, irq);
		say_why(why, why_size, "cannot offline", h, s, e, problem);
		return -1;
	}
	r = node->hot[h];
	altmap = mm_hot_altmap_in(r, s, e);
	mm_hot_set_state(r, s, e, MM_HOT_OFFLINE);
	r->online_pages -= e - s;
	r->altmap_pages -= altmap;
	r->isolated_free_pages -= e - s - altmap;
	mm_hot_span_recompute(node);
	spin_unlock_irqrestore(&node->lock, irq);
	write_offline(node, s, e);
	return 0;
}

void mm_hot_unisolate(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e)
{
	uint64_t irq = spin_lock_irqsave(&node->lock), back = 0;
	const char *problem = mm_hot_range_problem(node, h, s, e, MM_HOT_ISOLATED);
	struct mm_hot_region *r;

	if (problem) {
		spin_unlock_irqrestore(&node->lock, irq);
		kprintf("memmap: node %u: cannot unisolate [0x%llx, 0x%llx) of hot region %u: %s\n",
			node->nid, (unsigned long long)s, (unsigned long long)e, h, problem);
		return;
	}
	r = node->hot[h];
	mm_hot_set_state(r, s, e, MM_HOT_ONLINE);
	for (uint64_t pfn = s; pfn < e;) {
		const struct page *p = pfn_to_page(pfn);
		unsigned o = p->order;

		if (!(p->flags & PG_isolated)) {
			pfn++;
			continue;
		}
		back += 1ULL << o;
		mm_merge_free_block(node, h, pfn, page_zone_id(p), o);
		pfn += 1ULL << o;
	}
	r->isolated_free_pages -= back;
	r->free_pages += back;
	node->nr_free_pages += back;
	spin_unlock_irqrestore(&node->lock, irq);
}
