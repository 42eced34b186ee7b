/*
 * The one splice (include/mm.h, memmap_splice_chunk()): a chunk's free
 * lists into its node's, appended for boot DRAM and devices, in front and
 * merged with free neighbours for hot memory, with the node's counts, in
 * one critical section of the node lock.  Kept apart from the initializer
 * (mm/memmap_init.c), which writes struct pages and never calls the buddy
 * lists: the splice does, through mm/buddy.c's list helpers.
 */
#include <stdbool.h>
#include "mm.h"
#include "internal.h"
#include "kassert.h"

/* A chunk block whose buddy is not entirely inside the chunk: the only ones
 * that may merge with memory outside it (at most one per order and side). */
struct edge_block {
	uint64_t pfn;
	unsigned zone, order;
};
#define MAX_EDGE_BLOCKS	(2 * NR_ORDERS)

/* Reads the chunk's own pages, not yet published: no lock needed. */
static uint32_t chunk_edge_blocks(const struct memmap_chunk_result *res, struct edge_block *out)
{
	uint32_t n = 0;

	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < MAX_ORDER; o++)
			for (uint64_t pfn = res->lists[z][o].head; pfn != PFN_NONE;
			     pfn = pfn_to_page(pfn)->next_pfn) {
				uint64_t buddy = pfn ^ (1ULL << o);

				if (buddy >= res->start_pfn && buddy + (1ULL << o) <= res->end_pfn)
					continue;
				kassert(n < MAX_EDGE_BLOCKS);
				out[n++] = (struct edge_block){ pfn, z, o };
			}
	return n;
}

/* Link a chunk's list c into the node's list n: after its tail, or in front
 * of its head (lock held). */
static void splice_list(struct mm_free_list *n, const struct mm_free_list *c, bool at_head)
{
	if (!c->nr_free)
		return;
	if (at_head) {
		pfn_to_page(c->tail)->next_pfn = n->head;
		if (n->head == PFN_NONE)
			n->tail = c->tail;
		else
			pfn_to_page(n->head)->prev_pfn = c->tail;
		n->head = c->head;
	} else {
		if (n->tail == PFN_NONE) {
			n->head = c->head;
		} else {
			pfn_to_page(n->tail)->next_pfn = c->head;
			pfn_to_page(c->head)->prev_pfn = n->tail;
		}
		n->tail = c->tail;
	}
	n->nr_free += c->nr_free;
}

void memmap_splice_chunk(struct mm_node *node, struct memmap_chunk_result *res)
{
	struct edge_block edge[MAX_EDGE_BLOCKS];
	uint32_t nedge = res->at_head ? chunk_edge_blocks(res, edge) : 0;
	uint64_t irq = spin_lock_irqsave(&node->lock);

	if (res->hot != MM_NO_HOT)
		mm_hot_online(node, res);	/* blocks ONLINE, the region's counts, the span */
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o < NR_ORDERS; o++)
			splice_list(&node->free_area[z][o], &res->lists[z][o], res->at_head);
	node->nr_free_pages += res->free_pages;
	node->nr_device_pages += res->device_pages;
	node->nr_device_altmap_pages += res->altmap_pages;
	node->nr_device_chunks_spliced += res->dev != MM_NO_DEVICE;
	node->nr_hot_chunks_spliced += res->hot != MM_NO_HOT;
	node->nr_chunks_spliced++;
	for (uint32_t i = 0; i < nedge; i++) {
		const struct page *p = pfn_to_page(edge[i].pfn);

		if (!(p->flags & PG_buddy) || p->order != edge[i].order)
			continue;	/* absorbed by an earlier edge block's merge */
		mm_list_del(node, edge[i].zone, edge[i].order, edge[i].pfn);
		mm_merge_free_block(node, res->hot, edge[i].pfn, edge[i].zone, edge[i].order);
	}
	spin_unlock_irqrestore(&node->lock, irq);
}
