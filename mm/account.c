/*
 * The accounting rule of a node's pages, stated once (docs/mm.md,
 * "Verifier"): used by the verifier (mm/verify.c), which adds what its
 * page walk counted, and by the live checks (serve/check.c), which
 * add the pages the kernel's users hold.  Reads the node's counters and
 * descriptions only; the node must be quiescent (no CPU allocating,
 * initializing or offlining it).  Uses nothing of mm/internal.h, like the
 * verifier.
 */
#include <stdarg.h>
#include "kassert.h"
#include "kprintf.h"
#include "mm.h"

void memmap_account(const struct mm_node *node, uint64_t held, struct memmap_account *a)
{
	*a = (struct memmap_account){ .held = held, .nr_regions = node->nr_hot };
	for (uint32_t i = 0; i < node->nr_usable; i++)
		a->usable_ranges += node->usable[i].end_pfn - node->usable[i].start_pfn;
	for (unsigned z = 0; z < MM_NR_ZONES; z++)
		for (unsigned o = 0; o <= MAX_ORDER; o++)
			a->listed_free += node->free_area[z][o].nr_free << o;
	for (uint32_t d = 0; d < node->nr_dev; d++) {
		a->device_described += node->dev[d].end_pfn - node->dev[d].start_pfn;
		a->device_memmap_described += node->dev[d].altmap_pfns;
	}
	a->device = (struct memmap_pages){ .total = node->nr_device_pages,
					   .set_aside = node->nr_device_altmap_pages };
	for (uint32_t h = 0; h < node->nr_hot; h++) {
		const struct mm_hot_region *r = node->hot[h];
		struct memmap_pages *p = &a->region[h];

		*p = (struct memmap_pages){ .total = r->online_pages, .set_aside = r->altmap_pages,
					    .free = r->free_pages, .allocated = r->allocated_pages,
					    .isolated_free = r->isolated_free_pages };
		a->hot.total += p->total;
		a->hot.set_aside += p->set_aside;
		a->hot.free += p->free;
		a->hot.allocated += p->allocated;
		a->hot.isolated_free += p->isolated_free;
	}
	/* nr_free_pages and nr_allocated_pages count DRAM and hot pages
	 * together: DRAM's share is the node's minus the regions'. */
	a->dram = (struct memmap_pages){
		.total = node->ram_usable_pages - node->early_reserved_pages,
		.free = node->nr_free_pages - a->hot.free,
		.allocated = node->nr_allocated_pages - a->hot.allocated,
	};
}

/* Format one broken rule and hand it to the caller's reporter. */
KPRINTF_FMT(5, 6)
static void broken(unsigned *n, memmap_account_report_fn *report, void *arg, uint64_t pfn,
		   const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(arg, pfn, msg);
	(*n)++;
}

#define U(x)	((unsigned long long)(x))

/* DRAM: free + allocated = usable (the pages the memory map calls usable,
 * minus memblock's); reserved pages lie outside usable. */
static void dram_rule(const struct mm_node *node, const struct memmap_account *a,
		      const struct memmap_walk *w, unsigned *n, memmap_account_report_fn *report,
		      void *arg)
{
	if (w && a->usable_ranges != a->dram.total)
		broken(n, report, arg, 0, "usable ranges hold %llu pages, memory map says %llu - "
		       "%llu reserved", U(a->usable_ranges), U(node->ram_usable_pages),
		       U(node->early_reserved_pages));
	if (w && (w->dram.free + w->hot.free != node->nr_free_pages ||
		  a->listed_free != node->nr_free_pages))
		broken(n, report, arg, 0, "free pages: page walk %llu (hot %llu), lists %llu, "
		       "counter %llu", U(w->dram.free + w->hot.free), U(w->hot.free),
		       U(a->listed_free), U(node->nr_free_pages));
	if (w && (a->dram.free + a->dram.allocated != a->dram.total ||
		  w->dram.free != a->dram.free || w->dram.allocated != a->dram.allocated))
		broken(n, report, arg, 0, "DRAM free %llu + allocated %llu (counters %llu, %llu) "
		       "!= usable %llu", U(w->dram.free), U(w->dram.allocated), U(a->dram.free),
		       U(a->dram.allocated), U(a->dram.total));
	else if (!w && a->dram.free + a->dram.allocated != a->dram.total)
		broken(n, report, arg, 0, "DRAM free %llu + allocated %llu != usable %llu",
		       U(a->dram.free), U(a->dram.allocated), U(a->dram.total));
}

/* Device: every described page initialized, of which the altmap's hold the
 * memmap; none is free or allocated (they are never on a list). */
static void device_rule(const struct memmap_account *a, const struct memmap_walk *w,
			unsigned *n, memmap_account_report_fn *report, void *arg)
{
	uint64_t walked = w ? w->device.total : a->device_described;
	uint64_t walked_memmap = w ? w->device.set_aside : a->device_memmap_described;

	if (a->device_described != a->device.total || a->device_described != walked)
		broken(n, report, arg, 0, "device pages: described %llu, %s %llu, counter %llu",
		       U(a->device_described), w ? "page walk" : "described", U(walked),
		       U(a->device.total));
	if (a->device_memmap_described != a->device.set_aside ||
	    a->device_memmap_described != walked_memmap)
		broken(n, report, arg, 0, "altmap pages: described %llu, %s %llu, counter %llu",
		       U(a->device_memmap_described), w ? "page walk" : "described",
		       U(walked_memmap), U(a->device.set_aside));
}

/* Hot region: online = altmap + free + allocated + isolated free, and with
 * nothing being offlined isolated free = 0. */
static void region_rule(const struct mm_hot_region *r, const struct memmap_pages *c,
			const struct memmap_pages *wr, unsigned *n,
			memmap_account_report_fn *report, void *arg)
{
	if (wr && (wr->total != c->total || wr->set_aside != c->set_aside ||
		   wr->free != c->free || wr->allocated != c->allocated))
		broken(n, report, arg, r->start_pfn, "hot region %u: page walk online %llu altmap "
		       "%llu free %llu allocated %llu, counters %llu %llu %llu %llu", r->id,
		       U(wr->total), U(wr->set_aside), U(wr->free), U(wr->allocated), U(c->total),
		       U(c->set_aside), U(c->free), U(c->allocated));
	if (c->isolated_free || c->total - c->set_aside != c->free + c->allocated)
		broken(n, report, arg, r->start_pfn, "hot region %u: online %llu - altmap %llu != "
		       "free %llu + allocated %llu (isolated free %llu)", r->id, U(c->total),
		       U(c->set_aside), U(c->free), U(c->allocated), U(c->isolated_free));
}

unsigned memmap_account_check(const struct mm_node *node, const struct memmap_account *a,
			      const struct memmap_walk *w, memmap_account_report_fn *report,
			      void *arg)
{
	unsigned n = 0;

	kassert(node && a && report && a->nr_regions == node->nr_hot);
	dram_rule(node, a, w, &n, report, arg);
	device_rule(a, w, &n, report, arg);
	for (uint32_t h = 0; h < node->nr_hot; h++)
		region_rule(node->hot[h], &a->region[h], w ? &w->region[h] : NULL, &n, report,
			    arg);
	/* Every allocated page is held by someone the caller knows of. */
	if (a->held != MEMMAP_HELD_UNKNOWN && a->held != node->nr_allocated_pages)
		broken(&n, report, arg, 0, "allocated %llu pages, the kernel holds %llu",
		       U(node->nr_allocated_pages), U(a->held));
	return n;
}
