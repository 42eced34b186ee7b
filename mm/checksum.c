/*
 * The memmap checksum (include/mm.h memmap_checksum(); docs/mm.md
 * "Checksum"): a 64-bit hash of every struct page of a node the verifier
 * walks (links excluded), its pageblock bits and its free block set, equal
 * across init modes, runs and the order hot memory was onlined in.  Reads a
 * quiescent node through the verifier's own description readers
 * (mm/verify.h), never the initializer's.
 */
#include <stdbool.h>
#include "mm.h"
#include "verify.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static uint64_t block_hash(uint64_t pfn, unsigned order, unsigned zone, unsigned mt)
{
	return mix64(pfn ^ mix64(order | ((uint64_t)zone << 8) | ((uint64_t)mt << 16)));
}

/* Every page of [s, e) minus its link words, and the free heads met. */
static void checksum_pages(const struct mm_node *node, uint64_t s, uint64_t e, uint64_t *pages,
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
		if ((pfn & (PAGEBLOCK_PAGES - 1)) == 0 || pfn == s)
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
		checksum_pages(node, dev->start_pfn, dev->end_pfn, &h, &heads);
		h = hash_word(h, heads);
	}
	h = hash_word(h, node->nr_device_pages);
	return hash_word(h, node->nr_device_altmap_pages);
}

/* Each ONLINE run of each region and the regions' counters, or 0 when no
 * block is online (nodes without online hot memory keep their checksum). */
static uint64_t checksum_hot(const struct mm_node *node)
{
	uint64_t pages = 0x686f74ULL, blocks = 0, online = 0;

	for (uint32_t i = 0; i < node->nr_hot; i++) {
		const struct mm_hot_region *r = node->hot[i];

		for (uint64_t b = r->start_pfn; b < r->end_pfn; b = block_run_end(r, b)) {
			uint64_t e = block_run_end(r, b);

			if (block_state(r, b) != MM_HOT_ONLINE)
				continue;
			online += e - b;
			pages = hash_word(pages, b ^ ((uint64_t)r->id << 48));
			pages = hash_word(pages, e);
			checksum_pages(node, b, e, &pages, &blocks);
		}
		pages = hash_word(pages, r->online_pages ^ (r->altmap_pages << 32));
		pages = hash_word(pages, r->free_pages ^ (r->allocated_pages << 32));
	}
	if (!online)
		return 0;
	return hash_word(mix64(pages), mix64(blocks)) | 1;
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
			       (has_page(node, cur) || hot_online(node, cur)); n++) {
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
				checksum_pages(node, s, piece_end(r, s), &pages, &blocks);
			}
	}
	h = hash_word(mix64(pages), mix64(blocks));
	h = hash_word(h, checksum_lists(node));
	h = hash_word(h, node->nr_free_pages);
	h = hash_word(h, node->nr_allocated_pages);
	if (node->nr_dev)	/* DRAM-only nodes keep their checksum */
		h = hash_word(h, checksum_devices(node));
	hot = checksum_hot(node);
	if (hot)		/* so do nodes with no online hot memory */
		h = hash_word(h, hot);
	return mix64(hash_word(h, node->nid));
}
