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
 */
#include "mm.h"
#include "internal.h"
#include "kprintf.h"

static void list_add_head(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn)
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

static void list_del(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn)
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

/* Make pfn a free head of (zone, order) and put it on its list. */
static void make_free_block(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn)
{
	mm_write_page(pfn, page_flags_make(PG_buddy, zone, node->nid), 0, PFN_NONE, PFN_NONE,
		      order);
	list_add_head(node, zone, order, pfn);
}

/* The plain state of a free block's tail page (and of a page being freed). */
static void make_plain(const struct mm_node *node, unsigned zone, uint64_t pfn)
{
	mm_write_page(pfn, page_flags_make(0, zone, node->nid), 0, PFN_NONE, PFN_NONE, 0);
}

static uint64_t alloc_from_zone_locked(struct mm_node *node, unsigned zone, unsigned order)
{
	for (unsigned o = order; o <= MAX_ORDER; o++) {
		uint64_t pfn = node->free_area[zone][o].head;

		if (pfn == PFN_NONE)
			continue;
		list_del(node, zone, o, pfn);
		while (o > order) {
			o--;
			make_free_block(node, zone, o, pfn + (1ULL << o));
		}
		make_plain(node, zone, pfn);
		pfn_to_page(pfn)->refcount = 1;
		node->nr_free_pages -= 1ULL << order;
		node->nr_allocated_pages += 1ULL << order;
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
	pfn = alloc_from_zone_locked(node, zone, order);
	spin_unlock_irqrestore(&node->lock, irq);
	return pfn;
}

/* Normal first, DMA last: keep low memory for devices that can only reach it
 * (Linux's zonelist fallback order). */
uint64_t buddy_alloc_pages(struct mm_node *node, unsigned order)
{
	uint64_t pfn = PFN_NONE, irq;

	if (order > MAX_ORDER)
		return PFN_NONE;
	irq = spin_lock_irqsave(&node->lock);
	for (int zone = ZONE_NORMAL; zone >= ZONE_DMA && pfn == PFN_NONE; zone--)
		pfn = alloc_from_zone_locked(node, (unsigned)zone, order);
	spin_unlock_irqrestore(&node->lock, irq);
	return pfn;
}

static int free_args_ok(const struct mm_node *node, uint64_t pfn, unsigned order)
{
	const struct page *p;

	if (order > MAX_ORDER || (pfn & ((1ULL << order) - 1)) || pfn < node->start_pfn ||
	    pfn + (1ULL << order) > node->end_pfn)
		return 0;
	p = pfn_to_page(pfn);
	return !(p->flags & (PG_reserved | PG_buddy)) && page_nid(p) == node->nid;
}

void buddy_free_pages(struct mm_node *node, uint64_t pfn, unsigned order)
{
	uint64_t irq;
	unsigned zone;

	if (!free_args_ok(node, pfn, order)) {
		kprintf("buddy_free_pages: node %u: bad free of pfn 0x%llx order %u\n", node->nid,
			(unsigned long long)pfn, order);
		return;
	}
	zone = page_zone_id(pfn_to_page(pfn));
	irq = spin_lock_irqsave(&node->lock);
	node->nr_free_pages += 1ULL << order;
	node->nr_allocated_pages -= 1ULL << order;
	make_plain(node, zone, pfn);
	while (order < MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ULL << order);
		const struct page *b = pfn_to_page(buddy);

		if (buddy < node->start_pfn || buddy >= node->end_pfn || !(b->flags & PG_buddy) ||
		    b->order != order || page_zone_id(b) != zone || page_nid(b) != node->nid)
			break;
		list_del(node, zone, order, buddy);
		make_plain(node, zone, buddy);
		pfn &= ~(1ULL << order);
		order++;
	}
	make_free_block(node, zone, order, pfn);
	spin_unlock_irqrestore(&node->lock, irq);
}

#define SELF_TEST_BLOCKS	3	/* blocks per order */
#define SELF_TEST_PATTERN	0x6e756d61626f6f74ULL	/* "numaboot" */

static int self_test_block(const struct mm_node *node, uint64_t pfn, unsigned order,
			   void *(*phys_to_virt)(uint64_t))
{
	const struct page *p = pfn_to_page(pfn);
	uint64_t *mem, words = (PAGE_SIZE << order) / 8;

	if ((pfn & ((1ULL << order) - 1)) || pfn < node->start_pfn || pfn >= node->end_pfn ||
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
