/*
 * hostbench: a synthetic node 0 shaped like a real machine's memory map,
 * described the way mm/setup.c describes a node (memblock from the map, the
 * memmap backing and chunk tables allocated from the node itself, then the
 * present and usable pfn ranges), and its memmap: an mmap(MAP_NORESERVE)
 * area with MADV_HUGEPAGE, so the host backs it with 2 MiB pages where it
 * offers them, as the kernel maps each section's memmap with one 2 MiB page.
 *
 * The map of ram_gib GiB (G = GiB, M = MiB, K = KiB):
 *   [0, 4K) reserved, [4K, 636K) free, [636K, 1M) legacy hole;
 *   [16M, 48M) loader data (the kernel image); a 64 KiB reserved island at
 *   512 MiB; the firmware's runtime code/data and ACPI tables in the 32 MiB
 *   below low_top - 8M, then 8 MiB free; low_top = min(ram_gib, 3) GiB;
 *   past 3 GiB: the PCI hole up to 4 GiB (no RAM, an MMIO entry), then RAM
 *   from 4 GiB with a reserved page every 64 GiB, a 2 MiB + 12 KiB unusable
 *   range every 256 GiB and 1 MiB reserved at the top.
 * Main thread only.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hostbench.h"

#define KiB	(1ULL << 10)
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)
#define HB_MAX_RAM_GIB	(1ULL << 15)	/* 32 TiB: the span stays inside MAX_PFN */

struct map_cursor {
	struct hb_layout *l;
	uint64_t at;		/* end of the last entry */
	int overflow;
};

static void map_entry(struct map_cursor *c, uint64_t start, uint64_t end, uint32_t type)
{
	if (end <= start)
		return;
	if (c->l->map_count >= HB_MAX_MAP) {
		c->overflow = 1;
		return;
	}
	c->l->map[c->l->map_count++] = (struct boot_mem_range){
		.phys = start, .pages = (end - start) / PAGE_SIZE, .type = type,
	};
	c->at = end;
}

/* Free RAM from the cursor to end, then [end, end + size) of type. */
static void map_island(struct map_cursor *c, uint64_t end, uint64_t size, uint32_t type)
{
	map_entry(c, c->at, end, BOOT_MEM_CONVENTIONAL);
	map_entry(c, end, end + size, type);
}

static void map_low(struct map_cursor *c, uint64_t low_top)
{
	map_entry(c, 0, 4 * KiB, BOOT_MEM_RESERVED);
	map_entry(c, 4 * KiB, 636 * KiB, BOOT_MEM_CONVENTIONAL);
	map_entry(c, 636 * KiB, 1 * MiB, BOOT_MEM_RESERVED);
	map_island(c, 16 * MiB, 32 * MiB, BOOT_MEM_LOADER_DATA);
	map_island(c, 512 * MiB, 64 * KiB, BOOT_MEM_RESERVED);
	map_island(c, low_top - 40 * MiB, 4 * MiB, BOOT_MEM_RUNTIME_CODE);
	map_entry(c, c->at, c->at + 12 * MiB, BOOT_MEM_RUNTIME_DATA);
	map_entry(c, c->at, c->at + 256 * KiB, BOOT_MEM_ACPI_RECLAIM);
	map_entry(c, c->at, low_top - 8 * MiB, BOOT_MEM_ACPI_NVS);
	map_entry(c, c->at, low_top, BOOT_MEM_CONVENTIONAL);
}

static void map_high(struct map_cursor *c, uint64_t top)
{
	map_entry(c, 0xfe000000ULL, 4 * GiB, BOOT_MEM_MMIO);	/* APICs, flash: the PCI hole's top */
	c->at = 4 * GiB;
	for (uint64_t g = 64; 4 * GiB + g * GiB < top - 2 * GiB; g += 64) {
		map_island(c, 4 * GiB + g * GiB, 4 * KiB, BOOT_MEM_RESERVED);
		if (!(g % 256))
			map_island(c, c->at + 1 * GiB, 2 * MiB + 12 * KiB, BOOT_MEM_UNUSABLE);
	}
	map_island(c, top - 1 * MiB, 1 * MiB, BOOT_MEM_RESERVED);
}

/* Pfns of section sec inside the span. */
static uint64_t section_pages(const struct hb_layout *l, uint64_t sec)
{
	uint64_t s = section_nr_to_pfn(sec), e = section_nr_to_pfn(sec + 1);

	return (e < l->end_pfn ? e : l->end_pfn) - (s > l->start_pfn ? s : l->start_pfn);
}

/* The kernel's node-local early allocations (mm/setup.c): one 2 MiB
 * memmap page per present section, then the chunk tables. */
static int early_allocations(struct hb_layout *l)
{
	struct mm_node tmp = { .present = l->present, .nr_present = l->nr_present,
			       .start_pfn = l->start_pfn, .end_pfn = l->end_pfn };
	uint64_t sizes[4];

	for (uint64_t sec = pfn_to_section_nr(l->start_pfn); sec <= pfn_to_section_nr(l->end_pfn - 1);
	     sec++) {
		if (!memmap_section_present(&tmp, sec))
			continue;
		if (!memblock_alloc_exact_nid(&l->mb, 0, SECTION_MEMMAP_BYTES, SECTION_MEMMAP_BYTES))
			return -1;
		l->sections++;
		l->pages += section_pages(l, sec);
	}
	l->nchunks = memmap_chunks(&tmp, NULL, 0, NULL, 0);
	sizes[0] = l->nchunks * sizeof(struct mm_range);
	sizes[1] = l->nchunks * sizeof(struct memmap_chunk_result);
	sizes[2] = memmap_pageblock_bytes(l->start_pfn, l->end_pfn);
	sizes[3] = l->nchunks;
	for (unsigned i = 0; i < 4; i++)
		if (!memblock_alloc_exact_nid(&l->mb, 0, sizes[i], 64))
			return -1;
	return 0;
}

static int describe(struct hb_layout *l)
{
	uint32_t np = memblock_node_memory_ranges(&l->mb, 0, NULL, 0), cap;

	l->present = calloc(np ? np : 1, sizeof(*l->present));
	if (!np || !l->present)
		return -1;
	l->nr_present = memblock_node_memory_ranges(&l->mb, 0, l->present, np);
	l->start_pfn = l->present[0].start_pfn;
	l->end_pfn = l->present[l->nr_present - 1].end_pfn;
	if (early_allocations(l))
		return -1;
	memblock_freeze(&l->mb);
	cap = l->mb.memory.cnt + l->mb.reserved.cnt + 1;
	l->usable = calloc(cap, sizeof(*l->usable));
	if (!l->usable)
		return -1;
	l->nr_usable = memblock_node_free_ranges(&l->mb, 0, l->usable, cap);
	l->ram_bytes = memblock_node_usable_pages(&l->mb, 0) * PAGE_SIZE;
	return 0;
}

int hb_layout_build(struct hb_layout *l, uint64_t ram_gib)
{
	struct map_cursor c = { .l = l };
	uint64_t low_top = (ram_gib < 3 ? ram_gib : 3) * GiB;
	struct memblock_node_range node;

	memset(l, 0, sizeof(*l));
	l->ram_gib = ram_gib;
	if (!ram_gib || ram_gib > HB_MAX_RAM_GIB)
		return -1;
	map_low(&c, low_top);
	if (ram_gib > 3)
		map_high(&c, 4 * GiB + (ram_gib - 3) * GiB);
	if (c.overflow)
		return -1;
	node = (struct memblock_node_range){ 0, c.at, 0, 0 };
	if (memblock_init(&l->mb, l->map, l->map_count, &node, 1, NULL, 0, 1, l->mem, HB_MAX_REGIONS,
			  l->res, HB_MAX_REGIONS))
		return -1;
	return describe(l);
}

void hb_layout_free(struct hb_layout *l)
{
	free(l->present);
	free(l->usable);
	l->present = l->usable = NULL;
}

uint64_t hb_memmap_bytes(const struct hb_layout *l)
{
	return l->sections * SECTION_MEMMAP_BYTES;
}

/* The node's DRAM request, built by mm/'s constructor as mm/setup.c has it
 * built (the tables from the heap here): its chunks in chunk order and the
 * pfns they cover. */
static int node_request(struct hb_node *n)
{
	uint32_t nchunks = n->lay->nchunks;
	struct meminit_tables t = { .chunks = calloc(nchunks, sizeof(struct mm_range)),
				    .results = calloc(nchunks, sizeof(struct memmap_chunk_result)),
				    .done = calloc(nchunks, 1), .max = nchunks };

	n->req = (struct meminit_request){ .chunks = t.chunks, .results = t.results,
					   .done = t.done };	/* what to free; no chunk yet */
	if (!t.chunks || !t.results || !t.done || hb_node_reset(n) ||
	    meminit_request_dram(&n->req, &n->node, &t) || n->req.nchunks != nchunks)
		return -1;
	return 0;
}

/* Map the memmap (pfn 0 at a 2 MiB boundary) and allocate the tables. */
int hb_node_map(struct hb_node *n, const struct hb_layout *l)
{
	size_t bytes = (l->end_pfn * sizeof(struct page) + SECTION_MEMMAP_BYTES - 1) &
		       ~(SECTION_MEMMAP_BYTES - 1);
	uintptr_t base;

	memset(n, 0, sizeof(*n));
	n->lay = l;
	n->map_bytes = bytes + SECTION_MEMMAP_BYTES;
	n->map = mmap(NULL, n->map_bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (n->map == MAP_FAILED) {
		n->map = NULL;
		return -1;
	}
	base = ((uintptr_t)n->map + SECTION_MEMMAP_BYTES - 1) & ~(uintptr_t)(SECTION_MEMMAP_BYTES - 1);
	madvise((void *)base, bytes, MADV_HUGEPAGE);	/* advice: no THP is not an error */
	memmap_host_vmemmap = (struct page *)base;
	n->pageblock_bytes = memmap_pageblock_bytes(l->start_pfn, l->end_pfn);
	n->pageblock_mt = malloc(n->pageblock_bytes);
	n->lazy_states = malloc(memmap_lazy_bytes(l->start_pfn, l->end_pfn));
	return n->pageblock_mt && n->lazy_states ? node_request(n) : -1;
}

void hb_node_unmap(struct hb_node *n)
{
	if (n->map)
		munmap(n->map, n->map_bytes);
	memmap_host_vmemmap = NULL;
	free(n->pageblock_mt);
	free(n->lazy_states);
	free(n->req.chunks);
	free(n->req.results);
	free(n->req.done);
	memset(n, 0, sizeof(*n));
}

/* Before every init pass: empty lists, garbage pageblock bits, the request
 * reset (no chunk taken or done, nothing assigned). */
int hb_node_reset(struct hb_node *n)
{
	const struct hb_layout *l = n->lay;

	memset(n->pageblock_mt, 0xee, n->pageblock_bytes);
	meminit_request_reset(&n->req);
	return memmap_node_init(&n->node, 0, l->start_pfn, l->end_pfn, l->present, l->nr_present,
				l->usable, l->nr_usable, memblock_node_usable_pages(&l->mb, 0),
				memblock_node_reserved_pages(&l->mb, 0), n->pageblock_mt);
}
