/*
 * Buddy allocator over the per-node, per-zone, per-order free lists that
 * memmap_splice_chunk() seeds.  Any CPU; every entry point takes the node
 * lock (interrupts off while held).
 *
 * Canonical form: the initializer gives each free run (inside one zone) as
 * its maximal naturally aligned blocks of order <= MAX_ORDER.  Freeing merges
 * a block with its buddy whenever the buddy is a free head of the same order
 * and zone, so once everything is freed again the block set, and every
 * struct page but the list links, is exactly what the initializer wrote.
 * A buddy lies in the same MAX_ORDER block, hence the same chunk, so merging
 * never reaches into a chunk that is not spliced yet (deferred mode).
 *
 * Hot pfns (outside the node's [start_pfn, end_pfn), in a region of
 * node->hot[]): each region's free and allocated counts move with the
 * node's; a hot block merges only within its region's ONLINE blocks, and a
 * page freed into an ISOLATED block becomes an isolated free block (head
 * PG_isolated, off the lists) instead.  docs/mm.md, "Hot-pluggable memory".
 */
#include <stdbool.h>
#include "mm.h"
#include "internal.h"
#include "kprintf.h"

void mm_list_add_head(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn)
{
	struct mm_free_list *l = &node->free_area[zone][order];
	struct page *p = pfn_to_page(pfn);

	p->prev_pfn = PFN_NONE;
	p->next_pfn = l->head;
	if (l->head == PFN_NONE)
		l->tail = pfn;
	else
		pfn_to_page(l->head)->prev_pfn = pfn;
	l->head = pfn;
	l->nr_free++;
}

void mm_list_del(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn)
{
	struct mm_free_list *l = &node->free_area[zone][order];
	struct page *p = pfn_to_page(pfn);

	if (p->prev_pfn == PFN_NONE)
		l->head = p->next_pfn;
	else
		pfn_to_page(p->prev_pfn)->next_pfn = p->next_pfn;
	if (p->next_pfn == PFN_NONE)
		l->tail = p->prev_pfn;
	else
		pfn_to_page(p->next_pfn)->prev_pfn = p->prev_pfn;
	l->nr_free--;
}

void mm_make_free_block(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn)
{
	mm_write_page(pfn, page_flags_make(PG_buddy, zone, node->nid), 0, PFN_NONE, PFN_NONE,
		      order);
	mm_list_add_head(node, zone, order, pfn);
}

/* The plain state of a free block's tail page (and of a page being freed). */
static void make_plain(const struct mm_node *node, unsigned zone, uint64_t pfn)
{
	mm_write_page(pfn, page_flags_make(0, zone, node->nid), 0, PFN_NONE, PFN_NONE, 0);
}

/* Whether buddy, of a block of region h (MM_NO_HOT: DRAM), is a free head
 * that the block merges with.  A DRAM block merges only with a pfn the node
 * owns: another node's struct page in a shared section is not even read (its
 * node's workers may be writing it); a hot block only with an ONLINE block
 * of its own region, whose struct pages are the only ones outside the owned
 * pfns that may be read (an OFFLINE block's vmemmap may be unmapped), so a
 * block never mixes two nodes, DRAM and hot pages, or two regions, and each
 * region's counts stay exact. */
static int buddy_mergeable(const struct mm_node *node, uint32_t h, uint64_t buddy, unsigned zone,
			   unsigned order)
{
	const struct page *b;

	if (h == MM_NO_HOT) {
		if (!mm_pfn_owned(node, buddy))
			return 0;
	} else {
		const struct mm_hot_region *r = node->hot[h];

		if (buddy < r->start_pfn || buddy >= r->end_pfn ||
		    mm_hot_state(r, buddy) != MM_HOT_ONLINE)
			return 0;
	}
	b = pfn_to_page(buddy);
	return (b->flags & PG_buddy) && b->order == order && page_zone_id(b) == zone &&
	       page_nid(b) == node->nid;
}

void mm_merge_free_block(struct mm_node *node, uint32_t h, uint64_t pfn, unsigned zone,
			 unsigned order)
{
	make_plain(node, zone, pfn);
	while (order < MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ULL << order);

		if (!buddy_mergeable(node, h, buddy, zone, order))
			break;
		mm_list_del(node, zone, order, buddy);
		make_plain(node, zone, buddy);
		pfn &= ~(1ULL << order);
		order++;
	}
	mm_make_free_block(node, zone, order, pfn);
}

/* Isolated free blocks never grow past their plug block, so that any
 * block-aligned range can be offlined or given back without splitting one. */
void mm_merge_isolated_block(struct mm_node *node, uint32_t h, uint64_t pfn, unsigned zone,
			     unsigned order)
{
	const struct mm_hot_region *r = node->hot[h];

	make_plain(node, zone, pfn);
	while (order < MAX_ORDER && (2ULL << order) <= r->block_pages) {
		uint64_t buddy = pfn ^ (1ULL << order);
		const struct page *b = pfn_to_page(buddy);

		if (!(b->flags & PG_isolated) || b->order != order || page_zone_id(b) != zone)
			break;
		make_plain(node, zone, buddy);
		pfn &= ~(1ULL << order);
		order++;
	}
	mm_write_page(pfn, page_flags_make(PG_isolated, zone, node->nid), 0, PFN_NONE, PFN_NONE,
		      order);
}

/* A block taken from the lists in a hot region: charge the region. */
static void charge_hot(struct mm_node *node, uint64_t pfn, uint64_t pages)
{
	uint32_t h;

	h = mm_hot_find(node, pfn);
	if (h != MM_NO_HOT) {
		node->hot[h]->free_pages -= pages;
		node->hot[h]->allocated_pages += pages;
	}
}

/* The list's first block, or with boot_only its first block of the node's
 * owned DRAM pfns (a list holds no device pfn): hot-added blocks sit at the
 * head, so that is a walk past them (bounded by the list). */
static uint64_t list_pick(const struct mm_node *node, unsigned zone, unsigned o, bool boot_only)
{
	uint64_t pfn = node->free_area[zone][o].head;

	while (boot_only && pfn != PFN_NONE && !mm_pfn_owned(node, pfn))
		pfn = pfn_to_page(pfn)->next_pfn;
	return pfn;
}

/* A block of a lazy node (meminit=lazy) or region (hot_lazy) is taken
 * only when every unit or plug block it covers is COMPLETE: its split, its
 * allocated head and every later free and merge read and write struct pages
 * beyond the heads.  A DRAM block lies in one unit; a hot block may cover
 * two plug blocks (merged at a splice).  Lock held (mm/lazy.c: the wait for
 * a unit another CPU is completing cannot deadlock). */
static void lazy_complete(const struct mm_node *node, uint64_t pfn, unsigned order)
{
	const struct mm_lazy *lz = node->lazy;
	uint64_t origin = mm_pageblock_origin(node);
	uint32_t h;

	if (lz && pfn >= origin && mm_lazy_unit(node, pfn) < lz->nunits &&
	    !mm_lazy_unit_complete(node, mm_lazy_unit(node, pfn)))
		mm_lazy_complete_pfn(node, pfn);
	if (node->nr_hot && (h = mm_hot_find(node, pfn)) != MM_NO_HOT && node->hot[h]->lazy)
		mm_lazy_complete_hot(node, h, pfn, pfn + (1ULL << order), true);
}

static uint64_t alloc_from_zone_locked(struct mm_node *node, unsigned zone, unsigned order,
				       bool boot_only)
{
	for (unsigned o = order; o <= MAX_ORDER; o++) {
		uint64_t pfn = list_pick(node, zone, o, boot_only);

		if (pfn == PFN_NONE)
			continue;
		lazy_complete(node, pfn, o);
		mm_list_del(node, zone, o, pfn);
		while (o > order) {
			o--;
			mm_make_free_block(node, zone, o, pfn + (1ULL << o));
		}
		make_plain(node, zone, pfn);
		pfn_to_page(pfn)->refcount = 1;
		node->nr_free_pages -= 1ULL << order;
		node->nr_allocated_pages += 1ULL << order;
		charge_hot(node, pfn, 1ULL << order);
		return pfn;
	}
	return PFN_NONE;
}

uint64_t buddy_alloc_pages_zone(struct mm_node *node, unsigned zone, unsigned order)
{
	uint64_t irq, pfn;

	if (zone >= MM_NR_ZONES || order > MAX_ORDER)
		return PFN_NONE;
	irq = spin_lock_irqsave(&node->lock);
	pfn = alloc_from_zone_locked(node, zone, order, false);
	spin_unlock_irqrestore(&node->lock, irq);
	return pfn;
}

/* Normal first, DMA last: keep low memory for devices that can only reach it
 * (Linux's zonelist fallback order). */
static uint64_t alloc_pages(struct mm_node *node, unsigned order, bool boot_only)
{
	uint64_t pfn = PFN_NONE, irq;

	if (order > MAX_ORDER)
		return PFN_NONE;
	irq = spin_lock_irqsave(&node->lock);
	for (int zone = ZONE_NORMAL; zone >= ZONE_DMA && pfn == PFN_NONE; zone--)
		pfn = alloc_from_zone_locked(node, (unsigned)zone, order, boot_only);
	spin_unlock_irqrestore(&node->lock, irq);
	return pfn;
}

uint64_t buddy_alloc_pages(struct mm_node *node, unsigned order)
{
	return alloc_pages(node, order, false);
}

uint64_t buddy_alloc_pages_boot(struct mm_node *node, unsigned order)
{
	return alloc_pages(node, order, true);
}

/*
 * Whether [pfn, pfn + 2^order) is a block the allocator handed out, as far
 * as its struct pages can tell (a double free, or a free of the wrong
 * order, must change nothing): its head is an allocated head (refcount 1
 * as alloc_from_zone_locked() sets it; a page inside a free block has 0,
 * a free head PG_buddy or PG_isolated), and the first page of each buddy
 * half inside it (pfn + 2^k, k < order) is a plain tail (refcount 0, no
 * flag): a smaller block freed with a larger order has a free or allocated
 * head there.  A larger block freed with a smaller order looks like a
 * valid free (its tails are plain too).  Node lock held: the pages' (L)
 * fields are stable.
 */
static int allocated_block(const struct mm_node *node, uint64_t pfn, unsigned order)
{
	const struct page *p = pfn_to_page(pfn);

	if ((p->flags & (PG_reserved | PG_buddy | PG_isolated)) || page_nid(p) != node->nid ||
	    p->refcount != 1)
		return 0;
	for (unsigned k = 0; k < order; k++) {
		const struct page *t = pfn_to_page(pfn + (1ULL << k));

		if ((t->flags & PG_FLAGS_MASK) || t->refcount != 0)
			return 0;
	}
	return 1;
}

/* A boot-memory free: aligned, inside one range of pfns the node owns (checked
 * before any struct page is read: another node's pages are under its lock,
 * not ours), allocated.  Lock held. */
static int free_args_ok(const struct mm_node *node, uint64_t pfn, unsigned order)
{
	if (order > MAX_ORDER || (pfn & ((1ULL << order) - 1)) ||
	    !mm_block_owned(node, pfn, pfn + (1ULL << order)))
		return 0;
	return allocated_block(node, pfn, order);
}

static void bad_free(const struct mm_node *node, uint64_t pfn, unsigned order)
{
	kprintf("buddy_free_pages: node %u: bad free of pfn 0x%llx order %u\n", node->nid,
		(unsigned long long)pfn, order);
}

/* Whether a free of [pfn, +2^order) of region h is valid: inside the region,
 * every plug block ONLINE or ISOLATED (checked before the struct page is
 * read: an OFFLINE block's may be unmapped), an allocated page.  Lock held. */
static int hot_free_ok(const struct mm_node *node, uint32_t h, uint64_t pfn, unsigned order)
{
	const struct mm_hot_region *r;
	uint64_t end = pfn + (1ULL << order);

	if (h == MM_NO_HOT || (pfn & ((1ULL << order) - 1)))
		return 0;
	r = node->hot[h];
	if (end > r->end_pfn)
		return 0;
	for (uint64_t b = pfn; b < end; b += r->block_pages)
		if (mm_hot_state(r, b) == MM_HOT_OFFLINE)
			return 0;
	return allocated_block(node, pfn, order);
}

/* Free a hot block: the part in ONLINE plug blocks goes on the lists
 * (merged), the part in ISOLATED ones becomes isolated free blocks. */
static void hot_free(struct mm_node *node, uint64_t pfn, unsigned order)
{
	uint64_t irq = spin_lock_irqsave(&node->lock), n = 1ULL << order, piece;
	uint32_t h = mm_hot_find(node, pfn);
	struct mm_hot_region *r;
	unsigned zone;

	if (!hot_free_ok(node, h, pfn, order)) {
		spin_unlock_irqrestore(&node->lock, irq);
		bad_free(node, pfn, order);
		return;
	}
	r = node->hot[h];
	zone = page_zone_id(pfn_to_page(pfn));
	node->nr_allocated_pages -= n;
	r->allocated_pages -= n;
	piece = mm_hot_all(r, pfn, pfn + n, MM_HOT_ONLINE) ? n : mm_min(n, r->block_pages);
	for (uint64_t p = pfn; p < pfn + n; p += piece) {
		unsigned po = (unsigned)__builtin_ctzll(piece);

		if (mm_hot_state(r, p) == MM_HOT_ONLINE) {
			node->nr_free_pages += piece;
			r->free_pages += piece;
			mm_merge_free_block(node, h, p, zone, po);
		} else {
			r->isolated_free_pages += piece;
			mm_merge_isolated_block(node, h, p, zone, po);
		}
	}
	spin_unlock_irqrestore(&node->lock, irq);
}

/* Boot pfns (DRAM) take the path without the region checks; pfns of a hot
 * region (or outside the node: bad) take hot_free().  Either checks under
 * the node lock that the block is allocated (allocated_block()) and refuses
 * anything else with a message, every counter untouched. */
void buddy_free_pages(struct mm_node *node, uint64_t pfn, unsigned order)
{
	uint64_t irq;
	unsigned zone;

	if (order <= MAX_ORDER && !mm_pfn_initialized_at_boot(node, pfn)) {
		hot_free(node, pfn, order);
		return;
	}
	irq = spin_lock_irqsave(&node->lock);
	if (!free_args_ok(node, pfn, order)) {
		spin_unlock_irqrestore(&node->lock, irq);
		bad_free(node, pfn, order);
		return;
	}
	zone = page_zone_id(pfn_to_page(pfn));
	node->nr_free_pages += 1ULL << order;
	node->nr_allocated_pages -= 1ULL << order;
	mm_merge_free_block(node, MM_NO_HOT, pfn, zone, order);
	spin_unlock_irqrestore(&node->lock, irq);
}

#define SELF_TEST_BLOCKS	3	/* blocks per order */
#define SELF_TEST_PATTERN	0x6e756d61626f6f74ULL	/* "numaboot" */

static int self_test_block(const struct mm_node *node, uint64_t pfn, unsigned order,
			   void *(*phys_to_virt)(uint64_t))
{
	const struct page *p = pfn_to_page(pfn);
	uint64_t *mem, words = (PAGE_SIZE << order) / 8;
	int dram = mm_pfn_initialized_at_boot(node, pfn);	/* else hot */

	if ((pfn & ((1ULL << order) - 1)) || (!dram && mm_hot_find(node, pfn) == MM_NO_HOT) ||
	    (p->flags & (PG_reserved | PG_buddy)) || page_nid(p) != node->nid || p->refcount != 1)
		return -1;
	if (!phys_to_virt)
		return 0;
	mem = phys_to_virt(pfn << PAGE_SHIFT);
	for (uint64_t i = 0; i < words; i++)
		mem[i] = SELF_TEST_PATTERN ^ (pfn + i);
	for (uint64_t i = 0; i < words; i++)
		if (mem[i] != (SELF_TEST_PATTERN ^ (pfn + i)))
			return -1;
	return 0;
}

int buddy_self_test(struct mm_node *node, void *(*phys_to_virt)(uint64_t phys))
{
	uint64_t pfns[NR_ORDERS][SELF_TEST_BLOCKS];
	uint64_t free_before = node->nr_free_pages, alloc_before = node->nr_allocated_pages;
	uint64_t lists_before[MM_NR_ZONES][NR_ORDERS];
	int bad = 0;

	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < NR_ORDERS; o++)
			lists_before[z][o] = node->free_area[z][o].nr_free;
	for (unsigned o = 0; o < NR_ORDERS; o++)
		for (unsigned i = 0; i < SELF_TEST_BLOCKS; i++) {
			pfns[o][i] = buddy_alloc_pages(node, o);
			if (pfns[o][i] != PFN_NONE && self_test_block(node, pfns[o][i], o, phys_to_virt)) {
				kprintf("buddy_self_test: node %u: bad block pfn 0x%llx order %u\n",
					node->nid, (unsigned long long)pfns[o][i], o);
				bad = 1;
			}
		}
	for (int o = MAX_ORDER; o >= 0; o--)
		for (int i = SELF_TEST_BLOCKS - 1; i >= 0; i--)
			if (pfns[o][i] != PFN_NONE)
				buddy_free_pages(node, pfns[o][i], (unsigned)o);
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < NR_ORDERS; o++)
			bad |= lists_before[z][o] != node->free_area[z][o].nr_free;
	if (bad || free_before != node->nr_free_pages || alloc_before != node->nr_allocated_pages) {
		kprintf("buddy_self_test: node %u: FAILED (free %llu -> %llu)\n", node->nid,
			(unsigned long long)free_before, (unsigned long long)node->nr_free_pages);
		return -1;
	}
	return 0;
}
