/*
 * memblock: the early physical allocator, used before the memmap exists
 * (page tables, vmemmap backing, per-node tables).
 *
 * memory   = usable RAM (boot_mem_usable()) cut by node range, whole pages;
 * reserved = every allocation plus explicit memblock_reserve() ranges.
 * A node's "usable" list for the memmap is its memory minus reserved, page
 * granular (memblock_node_free_ranges()), so every memblock allocation ends
 * up as reserved struct pages and the verifier accounts for it exactly.
 *
 * Single CPU (the BSP, before SMP bring-up); no lock.  Storage is the
 * caller's; nothing here allocates.
 */
#include "mm.h"
#include "internal.h"
#include "kprintf.h"

static int region_insert(struct memblock_type *t, uint32_t idx, uint64_t base, uint64_t end,
			 uint32_t nid)
{
	if (t->cnt >= t->max)
		return -1;
	for (uint32_t i = t->cnt; i > idx; i--)
		t->regions[i] = t->regions[i - 1];
	t->regions[idx] = (struct memblock_region){ base, end, nid, 0 };
	t->cnt++;
	return 0;
}

static void region_remove(struct memblock_type *t, uint32_t idx)
{
	for (uint32_t i = idx; i + 1 < t->cnt; i++)
		t->regions[i] = t->regions[i + 1];
	t->cnt--;
}

/* Remove [base, end) from every region (splitting where needed). */
static int region_subtract(struct memblock_type *t, uint64_t base, uint64_t end)
{
	for (uint32_t i = 0; i < t->cnt; i++) {
		struct memblock_region r = t->regions[i];

		if (r.end <= base || r.base >= end)
			continue;
		if (r.base < base && r.end > end) {
			t->regions[i].end = base;
			return region_insert(t, i + 1, end, r.end, r.nid);
		}
		if (r.base < base) {
			t->regions[i].end = base;
		} else if (r.end > end) {
			t->regions[i].base = end;
		} else {
			region_remove(t, i);
			i--;
		}
	}
	return 0;
}

/* Add [base, end) for nid; a later add wins where ranges overlap. */
static int memory_add(struct memblock_type *t, uint64_t base, uint64_t end, uint32_t nid)
{
	uint32_t i = 0;

	if (base >= end || region_subtract(t, base, end))
		return base >= end ? 0 : -1;
	while (i < t->cnt && t->regions[i].base < base)
		i++;
	/* Join a neighbour of the same node at once, so a firmware map of
	 * many small adjacent entries needs no more regions than it has holes. */
	if (i && t->regions[i - 1].end == base && t->regions[i - 1].nid == nid) {
		t->regions[i - 1].end = end;
		if (i < t->cnt && t->regions[i].base == end && t->regions[i].nid == nid) {
			t->regions[i - 1].end = t->regions[i].end;
			region_remove(t, i);
		}
		return 0;
	}
	if (i < t->cnt && t->regions[i].base == end && t->regions[i].nid == nid) {
		t->regions[i].base = base;
		return 0;
	}
	return region_insert(t, i, base, end, nid);
}

static void memory_merge_adjacent(struct memblock_type *t)
{
	for (uint32_t i = 1; i < t->cnt; i++)
		if (t->regions[i - 1].end == t->regions[i].base &&
		    t->regions[i - 1].nid == t->regions[i].nid) {
			t->regions[i - 1].end = t->regions[i].end;
			region_remove(t, i);
			i--;
		}
}

/* Entry e as bytes [*base, *end); 0 when empty or overflowing. */
static int map_entry_bytes(const struct boot_mem_range *e, uint64_t *base, uint64_t *end)
{
	if (!e->pages || e->pages > (UINT64_MAX - e->phys) >> PAGE_SHIFT)
		return 0;
	*base = e->phys;
	*end = e->phys + (e->pages << PAGE_SHIFT);
	return 1;
}

static int add_usable_entry(struct memblock *mb, uint64_t base, uint64_t end,
			    const struct memblock_node_range *nodes, uint32_t nr_node_ranges)
{
	uint64_t assigned = 0;

	base = (base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	end &= ~(PAGE_SIZE - 1);
	if (base >= end)
		return 0;
	if (!nr_node_ranges)
		return memory_add(&mb->memory, base, end, 0);
	for (uint32_t n = 0; n < nr_node_ranges; n++) {
		uint64_t s = mm_max(base, (nodes[n].start + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
		uint64_t e = mm_min(end, nodes[n].end & ~(PAGE_SIZE - 1));

		if (s >= e || nodes[n].nid >= mb->nr_nodes)
			continue;
		if (memory_add(&mb->memory, s, e, nodes[n].nid))
			return -1;
		assigned += e - s;
	}
	if (assigned < end - base)
		mb->unassigned_bytes += end - base - assigned;
	return 0;
}

/* memory = usable entries by node, then minus whatever any entry calls
 * unusable (firmware maps can overlap). */
static int memory_from_map(struct memblock *mb, const struct boot_mem_range *map,
			   uint32_t map_count, const struct memblock_node_range *nodes,
			   uint32_t nr_node_ranges)
{
	uint64_t base, end;

	for (uint32_t i = 0; i < map_count; i++)
		if (boot_mem_usable(map[i].type) && map_entry_bytes(&map[i], &base, &end) &&
		    add_usable_entry(mb, base, end, nodes, nr_node_ranges))
			return -1;
	for (uint32_t i = 0; i < map_count; i++)
		if (!boot_mem_usable(map[i].type) && map_entry_bytes(&map[i], &base, &end) &&
		    region_subtract(&mb->memory, base & ~(PAGE_SIZE - 1),
				    (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)))
			return -1;
	memory_merge_adjacent(&mb->memory);
	return 0;
}

int memblock_init(struct memblock *mb, const struct boot_mem_range *map, uint32_t map_count,
		  const struct memblock_node_range *nodes, uint32_t nr_node_ranges,
		  const uint8_t *distance, uint32_t distance_stride, uint32_t nr_nodes,
		  struct memblock_region *memory_storage, uint32_t memory_max,
		  struct memblock_region *reserved_storage, uint32_t reserved_max)
{
	*mb = (struct memblock){
		.memory = { memory_storage, 0, memory_max },
		.reserved = { reserved_storage, 0, reserved_max },
		.distance = distance, .distance_stride = distance_stride,
		.nr_nodes = nr_nodes ? nr_nodes : 1,
	};
	if (memory_from_map(mb, map, map_count, nodes, nr_node_ranges)) {
		kprintf("memblock_init: region storage (%u) too small\n", memory_max);
		return -1;
	}
	return 0;
}

int memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size)
{
	struct memblock_type *t = &mb->reserved;
	uint64_t end = size > UINT64_MAX - base ? UINT64_MAX : base + size;
	uint32_t i = 0, overlaps = 0;

	if (!size)
		return 0;
	for (uint32_t j = 0; j < t->cnt; j++)
		overlaps += t->regions[j].end >= base && t->regions[j].base <= end;
	if (!overlaps && t->cnt >= t->max) {
		kprintf("memblock_reserve: reserved storage (%u) full\n", t->max);
		return -1;
	}
	while (i < t->cnt) {
		struct memblock_region r = t->regions[i];

		if (r.end >= base && r.base <= end) {
			base = mm_min(base, r.base);
			end = mm_max(end, r.end);
			region_remove(t, i);
		} else {
			i++;
		}
	}
	for (i = 0; i < t->cnt && t->regions[i].base < base; i++)
		;
	return region_insert(t, i, base, end, 0);
}

/* Highest aligned [addr, addr + size) inside [b, e) clear of reserved; 0 if none. */
static uint64_t find_top_down(const struct memblock *mb, uint64_t b, uint64_t e, uint64_t size,
			      uint64_t align)
{
	const struct memblock_region *r = mb->reserved.regions;
	int64_t j = (int64_t)mb->reserved.cnt - 1;
	uint64_t hi = e;

	for (;;) {
		uint64_t lo;

		while (j >= 0 && r[j].base >= hi)
			j--;
		lo = (j >= 0 && r[j].end > b) ? r[j].end : b;
		if (lo < hi && hi - lo >= size) {
			uint64_t cand = (hi - size) & ~(align - 1);

			if (cand >= lo && cand)
				return cand;
		}
		if (j < 0 || r[j].end <= b || r[j].base <= b)
			return 0;
		hi = r[j--].base;
	}
}

uint64_t memblock_alloc_exact_nid(struct memblock *mb, uint32_t nid, uint64_t size,
				  uint64_t align)
{
	if (!align)
		align = PAGE_SIZE;
	if (mb->frozen || !size || (align & (align - 1)))
		return 0;
	for (int64_t i = (int64_t)mb->memory.cnt - 1; i >= 0; i--) {
		const struct memblock_region *m = &mb->memory.regions[i];
		uint64_t addr;

		if (m->nid != nid)
			continue;
		addr = find_top_down(mb, m->base, m->end, size, align);
		if (addr)
			return memblock_reserve(mb, addr, size) ? 0 : addr;
	}
	return 0;
}

unsigned memblock_distance(const struct memblock *mb, uint32_t a, uint32_t b)
{
	if (!mb->distance || a >= mb->nr_nodes || b >= mb->nr_nodes || mb->distance_stride < mb->nr_nodes)
		return a == b ? 10 : 20;
	return mb->distance[a * mb->distance_stride + b];
}

/* Next node after (last_d, last_id) in (distance from nid, id) order, skipping
 * nid itself; -1 when none is left. */
static int64_t next_nearest(const struct memblock *mb, uint32_t nid, int64_t last_d,
			    int64_t last_id)
{
	int64_t best = -1, best_d = 0;

	for (uint32_t n = 0; n < mb->nr_nodes; n++) {
		int64_t d = memblock_distance(mb, nid, n);

		if (n == nid || d < last_d || (d == last_d && (int64_t)n <= last_id))
			continue;
		if (best < 0 || d < best_d) {
			best = n;
			best_d = d;
		}
	}
	return best;
}

uint64_t memblock_alloc(struct memblock *mb, uint32_t nid, uint64_t size, uint64_t align)
{
	uint64_t addr = memblock_alloc_exact_nid(mb, nid, size, align);
	int64_t d = -1, n = -1;

	while (!addr) {
		n = next_nearest(mb, nid, d, n);
		if (n < 0)
			return 0;
		d = memblock_distance(mb, nid, (uint32_t)n);
		addr = memblock_alloc_exact_nid(mb, (uint32_t)n, size, align);
	}
	return addr;
}

void memblock_freeze(struct memblock *mb)
{
	mb->frozen = 1;
}

/* Emit pfn range [s, e) into out, merging with the previous one when adjacent. */
static void emit_range(struct mm_range *out, uint32_t max, uint32_t *n, uint64_t s, uint64_t e)
{
	if (s >= e)
		return;
	if (*n && *n <= max && out[*n - 1].end_pfn == s) {
		out[*n - 1].end_pfn = e;
		return;
	}
	if (*n < max)
		out[*n] = (struct mm_range){ s, e };
	(*n)++;
}

/*
 * Walk memory region m minus reserved, page-granular (a partly reserved page
 * is reserved).  Free pieces go to out (when out) and the count of reserved
 * pages is returned.
 */
static uint64_t region_minus_reserved(const struct memblock *mb, const struct memblock_region *m,
				      struct mm_range *out, uint32_t max, uint32_t *n)
{
	uint64_t s = m->base >> PAGE_SHIFT, e = m->end >> PAGE_SHIFT, cur = s, reserved = 0;

	for (uint32_t i = 0; i < mb->reserved.cnt && cur < e; i++) {
		const struct memblock_region *r = &mb->reserved.regions[i];
		uint64_t rs = r->base >> PAGE_SHIFT;
		uint64_t re = (r->end >> PAGE_SHIFT) + !!(r->end & (PAGE_SIZE - 1));

		if (re <= cur || rs >= e)
			continue;
		if (rs > cur && out)
			emit_range(out, max, n, cur, rs);
		reserved += mm_min(re, e) - mm_max(rs, cur);
		cur = mm_min(re, e);
	}
	if (out)
		emit_range(out, max, n, cur, e);
	return reserved;
}

uint32_t memblock_node_free_ranges(const struct memblock *mb, uint32_t nid,
				   struct mm_range *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < mb->memory.cnt; i++)
		if (mb->memory.regions[i].nid == nid)
			region_minus_reserved(mb, &mb->memory.regions[i], out, max, &n);
	return n;
}

uint32_t memblock_node_memory_ranges(const struct memblock *mb, uint32_t nid,
				     struct mm_range *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *m = &mb->memory.regions[i];

		if (m->nid == nid)
			emit_range(out, max, &n, m->base >> PAGE_SHIFT, m->end >> PAGE_SHIFT);
	}
	return n;
}

uint64_t memblock_node_usable_pages(const struct memblock *mb, uint32_t nid)
{
	uint64_t pages = 0;

	for (uint32_t i = 0; i < mb->memory.cnt; i++)
		if (mb->memory.regions[i].nid == nid)
			pages += (mb->memory.regions[i].end - mb->memory.regions[i].base) >> PAGE_SHIFT;
	return pages;
}

uint64_t memblock_node_reserved_pages(const struct memblock *mb, uint32_t nid)
{
	uint64_t pages = 0;
	uint32_t unused = 0;

	for (uint32_t i = 0; i < mb->memory.cnt; i++)
		if (mb->memory.regions[i].nid == nid)
			pages += region_minus_reserved(mb, &mb->memory.regions[i], NULL, 0, &unused);
	return pages;
}
