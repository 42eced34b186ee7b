/*
 * Device (persistent) memory in the memmap: the node's device ranges and
 * the device run of the one range initializer
 * (memmap_init_range() in mm/memmap_init.c calls mm_init_device_run() for
 * the device pfns of a chunk, beside its free and reserved runs).
 *
 * Page states (docs/mm.md, "Device pages"): every device page is ZONE_DEVICE,
 * PG_reserved, with the device id in private, never on a free list.  Pages
 * holding the device's own memmap (altmap) add PG_vmemmap_self_hosted.
 * Compound pages: the head has PG_head, refcount 1 and the compound order;
 * tails refcount 0 and compound_head = the head's pfn, so every tail of one
 * compound page is the same 64 bytes and the vmemmap may map one page of
 * tails many times (mm_device_vmemmap_shared()).
 */
#include "mm.h"
#include "internal.h"
#include "kprintf.h"
#include "kstring.h"

uint64_t memmap_device_altmap_pfns(uint64_t start_pfn, uint64_t end_pfn, unsigned compound_order)
{
	uint64_t bytes = (end_pfn - start_pfn) * sizeof(struct page);
	uint64_t align = mm_max(MM_DEVICE_ALIGN_PAGES, 1ULL << compound_order);
	uint64_t pfns = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;

	return (pfns + align - 1) & ~(align - 1);
}

static int section_has_present(const struct mm_node *node, uint64_t s, uint64_t e)
{
	for (uint64_t sec = pfn_to_section_nr(s); sec <= pfn_to_section_nr(e - 1); sec++)
		if (memmap_section_present(node, sec))
			return 1;
	return 0;
}

/* Why device d of the list cannot be used, or NULL. */
static const char *device_problem(const struct mm_node *node, const struct mm_device *dev,
				  uint32_t i)
{
	const struct mm_device *d = &dev[i];
	unsigned o = d->compound_order;
	uint64_t align = o <= 18 ? mm_max(MM_DEVICE_ALIGN_PAGES, 1ULL << o) : 1;

	if (o != 0 && o != 9 && o != 18)
		return "compound order not 0, 9 or 18";
	if (d->start_pfn >= d->end_pfn)
		return "empty range";
	if ((d->start_pfn | d->end_pfn) & (align - 1))
		return "not aligned to 2 MiB and to its compound page size";
	if (i && d->start_pfn < dev[i - 1].end_pfn)
		return "unsorted or overlapping the previous device";
	if (d->start_pfn < node->start_pfn || d->end_pfn > node->end_pfn)
		return "outside the node's span";
	if (section_has_present(node, d->start_pfn, d->end_pfn))
		return "shares a memory section with the node's RAM";
	if (d->memmap_loc == MM_MEMMAP_DRAM)
		return d->altmap_pfns ? "altmap pages with the memmap in DRAM" : NULL;
	if (d->memmap_loc != MM_MEMMAP_DEVICE)
		return "unknown memmap location";
	if (d->altmap_pfns != memmap_device_altmap_pfns(d->start_pfn, d->end_pfn, o))
		return "altmap size is not memmap_device_altmap_pfns()";
	if (d->altmap_pfns >= d->end_pfn - d->start_pfn)
		return "too small to hold its own memmap";
	return NULL;
}

int memmap_node_set_devices(struct mm_node *node, const struct mm_device *dev, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const char *why = device_problem(node, dev, i);

		if (why) {
			kprintf("memmap: node %u: device %u [0x%llx, 0x%llx) rejected: %s\n",
				node->nid, dev[i].id, (unsigned long long)dev[i].start_pfn,
				(unsigned long long)dev[i].end_pfn, why);
			return -1;
		}
	}
	node->dev = n ? dev : NULL;
	node->nr_dev = n;
	return 0;
}

/*
 * The part [s, e) of one compound page with head h.  With a shared vmemmap
 * only the first MM_COMPOUND_DISTINCT_PAGES struct pages are written; the
 * others are read through vmemmap pages that map the first tail page again.
 */
static void init_compound_piece(const struct mm_device *d, uint64_t flags,
				struct memmap_chunk_result *res, uint64_t h, uint64_t s, uint64_t e)
{
	uint64_t limit = e;

	if (s == h) {
		mm_write_device_page(h, flags | PG_head, 1, d->compound_order, d->id, 0);
		s++;
	}
	if (mm_device_vmemmap_shared(d))
		limit = mm_min(e, h + MM_COMPOUND_DISTINCT_PAGES);
	if (s < limit)
		mm_fill_pages(s, limit - s, flags, 0, d->id, h);
	res->pages_aliased += e - mm_max(s, limit);
}

void mm_init_device_run(const struct mm_node *node, uint32_t di, struct memmap_chunk_result *res,
			uint64_t s, uint64_t e)
{
	const struct mm_device *d = &node->dev[di];
	uint64_t data = d->start_pfn + d->altmap_pfns, n = 1ULL << d->compound_order;
	uint64_t flags = page_flags_make(PG_reserved, ZONE_DEVICE, node->nid);

	res->dev = di;
	res->device_pages += e - s;
	if (s < data) {
		uint64_t ae = mm_min(e, data);

		mm_fill_pages(s, ae - s, flags | PG_vmemmap_self_hosted, 1, d->id, 0);
		res->altmap_pages += ae - s;
		s = ae;
	}
	if (n == 1) {
		mm_fill_pages(s, e - s, flags, 1, d->id, 0);
		return;
	}
	while (s < e) {
		uint64_t h = s & ~(n - 1), ce = mm_min(h + n, e);

		init_compound_piece(d, flags, res, h, s, ce);
		s = ce;
	}
}

void memmap_poison_range(const struct mm_node *node, uint64_t s, uint64_t e, int byte)
{
	uint32_t di = mm_device_at(node, s);
	uint64_t n;

	if (di == MM_NO_DEVICE || !mm_device_vmemmap_shared(&node->dev[di])) {
		memset(pfn_to_page(s), byte, (e - s) * sizeof(struct page));
		return;
	}
	n = 1ULL << node->dev[di].compound_order;
	for (uint64_t h = s & ~(n - 1); h < e; h += n) {
		uint64_t a = mm_max(s, h), b = mm_min(e, h + MM_COMPOUND_DISTINCT_PAGES);

		if (a < b)
			memset(pfn_to_page(a), byte, (b - a) * sizeof(struct page));
	}
}
