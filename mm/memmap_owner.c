/*
 * Which node owns which pfn, decided per pfn from every node's RAM, never
 * by a span's hull (docs/mm.md, "Node ownership per pfn").  Node ranges may
 * interleave and a 128 MiB section may hold the pages of two nodes; each
 * pfn still has exactly one node that writes, verifies and merges its
 * struct page.
 *
 * Pure functions over arrays of ranges: the boot CPU calls them in
 * mm_setup() (mm/setup.c) once every node's RAM and span are known, host
 * tests call them directly.  No state between calls.
 */
#include "mm.h"
#include "internal.h"

static uint64_t region_start_pfn(const struct memblock_region *r)
{
	return r->base >> PAGE_SHIFT;
}

static uint64_t region_end_pfn(const struct memblock_region *r)
{
	return r->end >> PAGE_SHIFT;
}

/* Index of the first region ending after pfn (nr_mem when none): regions
 * are sorted and disjoint, so their ends are sorted too. */
static uint32_t first_region_after(const struct memblock_region *mem, uint32_t nr_mem,
				   uint64_t pfn)
{
	uint32_t lo = 0, hi = nr_mem;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (region_end_pfn(&mem[mid]) <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t memmap_section_owner(const struct memblock_region *mem, uint32_t nr_mem, uint64_t sec)
{
	uint32_t j = first_region_after(mem, nr_mem, section_nr_to_pfn(sec));

	if (j == nr_mem || region_start_pfn(&mem[j]) >= section_nr_to_pfn(sec + 1))
		return MM_NO_NODE;
	return mem[j].nid;
}

/* The output list: pieces come in pfn order; adjacent ones are merged.  n
 * counts every range, written or not (max 0 sizes the list). */
struct owned_out {
	struct mm_range *out;
	uint32_t max, n;
	uint64_t last_end;	/* end of range n - 1 */
};

static void emit(struct owned_out *o, uint64_t s, uint64_t e)
{
	if (s >= e)
		return;
	if (o->n && o->last_end == s) {
		if (o->n <= o->max)
			o->out[o->n - 1].end_pfn = e;
	} else {
		if (o->n < o->max)
			o->out[o->n] = (struct mm_range){ s, e };
		o->n++;
	}
	o->last_end = e;
}

/* One section of nid's RAM, as the nodes holding RAM in it see it. */
struct section_view {
	const struct memblock_region *mem;
	uint32_t first, last;	/* regions [first, last) intersect the section */
	uint64_t start, end;	/* the section's pfns */
	uint64_t nid_first;	/* nid's lowest RAM pfn in the section */
	const struct mm_range *span;
	uint32_t nr_nodes;
};

/* A node's lowest RAM pfn in the section: where it stands in the order of
 * the section's nodes. */
static uint64_t lowest_in_section(const struct section_view *v, uint32_t nid)
{
	for (uint32_t j = v->first; j < v->last; j++)
		if (v->mem[j].nid == nid)
			return mm_max(region_start_pfn(&v->mem[j]), v->start);
	return UINT64_MAX;
}

/* The span of a node before nid in the section's order that holds pfn (its
 * end), else 0; *next: the lowest start of such a span above pfn. */
static uint64_t earlier_span_at(const struct section_view *v, uint32_t nid, uint64_t pfn,
				uint64_t *next)
{
	*next = UINT64_MAX;
	for (uint32_t j = v->first; j < v->last; j++) {
		uint32_t m = v->mem[j].nid;
		const struct mm_range *sp;

		if (m == nid || m >= v->nr_nodes ||
		    mm_max(region_start_pfn(&v->mem[j]), v->start) >= v->nid_first)
			continue;
		sp = &v->span[m];
		if (sp->start_pfn <= pfn && pfn < sp->end_pfn)
			return sp->end_pfn;
		if (sp->start_pfn > pfn)
			*next = mm_min(*next, sp->start_pfn);
	}
	return 0;
}

/* The hole [s, e) (inside nid's span and the section): nid's except where
 * the span of a node before it in the section's order holds it. */
static void emit_hole(struct owned_out *o, const struct section_view *v, uint32_t nid,
		      uint64_t s, uint64_t e)
{
	while (s < e) {
		uint64_t next, end = earlier_span_at(v, nid, s, &next);

		if (end) {
			s = mm_min(end, e);
			continue;
		}
		emit(o, s, mm_min(next, e));
		s = mm_min(next, e);
	}
}

/* nid's pfns of section sec, clipped to its span. */
static void owned_in_section(struct owned_out *o, uint32_t nid, const struct memblock_region *mem,
			     uint32_t nr_mem, const struct mm_range *span, uint32_t nr_nodes,
			     uint64_t sec)
{
	struct section_view v = {
		.mem = mem, .start = section_nr_to_pfn(sec), .end = section_nr_to_pfn(sec + 1),
		.span = span, .nr_nodes = nr_nodes,
	};
	uint64_t s = mm_max(v.start, span[nid].start_pfn), e = mm_min(v.end, span[nid].end_pfn);
	uint64_t pos = s;

	v.first = first_region_after(mem, nr_mem, v.start);
	for (v.last = v.first; v.last < nr_mem && region_start_pfn(&mem[v.last]) < v.end; v.last++)
		;
	v.nid_first = lowest_in_section(&v, nid);
	for (uint32_t j = v.first; j < v.last; j++) {
		uint64_t rs = mm_max(region_start_pfn(&mem[j]), s), re = mm_min(region_end_pfn(&mem[j]), e);

		if (rs >= re)
			continue;
		emit_hole(o, &v, nid, pos, rs);
		if (mem[j].nid == nid)
			emit(o, rs, re);
		pos = re;
	}
	emit_hole(o, &v, nid, pos, e);
}

uint32_t memmap_owned_ranges(uint32_t nid, const struct memblock_region *mem, uint32_t nr_mem,
			     const struct mm_range *span, uint32_t nr_nodes, struct mm_range *out,
			     uint32_t max)
{
	struct owned_out o = { .out = out, .max = max };
	uint64_t done = UINT64_MAX;	/* last section handled */

	if (nid >= nr_nodes || span[nid].start_pfn >= span[nid].end_pfn)
		return 0;
	for (uint32_t i = 0; i < nr_mem; i++) {
		if (mem[i].nid != nid || mem[i].base >= mem[i].end)
			continue;
		for (uint64_t sec = pfn_to_section_nr(region_start_pfn(&mem[i]));
		     sec <= pfn_to_section_nr(region_end_pfn(&mem[i]) - 1); sec++) {
			if (sec == done)
				continue;
			owned_in_section(&o, nid, mem, nr_mem, span, nr_nodes, sec);
			done = sec;
		}
	}
	return o.n;
}
