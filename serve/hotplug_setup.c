/*
 * The hot-plug service's memory (docs/hotplug.md): registration of each
 * virtio-mem device as a hot-pluggable region of its node, the metadata it
 * takes from boot memory, and the mappings a plug step needs (the blocks in
 * the identity map, their sections' vmemmap).  Boot CPU only.
 */
#include "hotplug.h"
#include "internal.h"
#include "kprintf.h"
#include "kstring.h"
#include "kassert.h"
#include "paging.h"
#include "vmemmap.h"

/* ---- memory the service takes from the buddy allocator ----------------------- */

/* 2^order pages of boot memory (never hot-added: it would pin it) from node
 * pref, else any node; 0 when none.  Counted in meta_pages, which the
 * accounting checks against the node's counters. */
static uint64_t meta_alloc(struct serve_ctx *s, uint32_t pref, unsigned order, uint32_t *got,
			   bool zero)
{
	for (uint32_t k = 0; k <= s->mm->nnodes; k++) {
		uint32_t nid = k == 0 ? pref : k - 1;
		uint64_t pfn = buddy_alloc_pages_boot(&s->mm->plan[nid].node, order);

		if (pfn == PFN_NONE)
			continue;
		s->meta_pages[nid] += 1ULL << order;
		if (got)
			*got = nid;
		if (zero)
			memset((void *)(pfn << PAGE_SHIFT), 0, PAGE_SIZE << order);
		return pfn << PAGE_SHIFT;
	}
	return 0;
}

/* Boot memory of the device's meta node (else any) for the page tables of
 * its mappings and its DRAM memmap, counted in meta_pages. */
struct hot_tables {
	struct paging_table_src tables;	/* first: paging hands it back */
	struct serve_ctx *s;
	uint32_t nid;
};

struct hot_vmemmap_src {
	struct mm_vmemmap_src src;	/* first: the mapper hands it back */
	struct hot_tables t;
};

static uint64_t hot_table_alloc(const struct paging_table_src *tables)
{
	const struct hot_tables *t = (const struct hot_tables *)tables;

	return meta_alloc(t->s, t->nid, 0, NULL, false);	/* paging zeroes it */
}

/* A section's memmap (2 MiB: order PAGEBLOCK_ORDER), kept mapped for the
 * next plug.  Not zeroed: the initializer writes every struct page of the
 * blocks it onlines, and nothing reads the struct pages of an offline block. */
static uint64_t hot_memmap_alloc(struct mm_vmemmap_src *src, uint64_t bytes, uint64_t align)
{
	const struct hot_vmemmap_src *h = (const struct hot_vmemmap_src *)src;

	kassert(bytes == PAGE_SIZE << PAGEBLOCK_ORDER && align <= bytes);
	return meta_alloc(h->t.s, h->t.nid, PAGEBLOCK_ORDER, NULL, false);
}

static unsigned order_for(uint64_t bytes)
{
	unsigned o = 0;

	while ((PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

int hotplug_alloc_workload(struct serve_ctx *s)
{
	unsigned order = order_for(s->ncpus * sizeof(struct serve_cpu));

	s->cpu = (struct serve_cpu *)meta_alloc(s, 0, order, NULL, true);
	if (!s->cpu) {
		kprintf("serve: no memory for %u CPUs' workload state\n", s->ncpus);
		return -1;
	}
	return 0;
}

/* ---- registration ---------------------------------------------------------------- */

/* The device's metadata: block states, pageblock bits, the init request's
 * chunk tables (mm/ carves them: meminit_tables_carve()).  -1 when it does
 * not fit in MAX_ORDER. */
static int carve_metadata(struct serve_ctx *s, struct hot_dev *d, uint64_t sp, uint64_t ep,
			  uint64_t bp)
{
	uint64_t st = mm_hot_state_bytes(sp, ep, bp), pb = mm_hot_pageblock_bytes(sp, ep);
	uint64_t tables = meminit_tables_bytes(HOT_EVENT_MAX_CHUNKS);
	uint64_t bytes = 2 * ((st + 7) & ~7ULL) + ((pb + 7) & ~7ULL) + tables + 64;
	unsigned order = order_for(bytes);
	uint8_t *p;

	if (order > MAX_ORDER)
		return -1;
	p = (uint8_t *)meta_alloc(s, d->node, order, &d->meta_node, true);
	if (!p)
		return -1;
	d->meta_pa = (uint64_t)p;
	d->meta_order = order;
	d->tables = meminit_tables_carve(p, HOT_EVENT_MAX_CHUNKS);
	p += tables;
	d->region.state = p;	/* provisional: mm_hot_region_init() keeps these */
	d->region.pageblock_mt = p + ((st + 7) & ~7ULL);
	d->lazy_states = p + ((st + 7) & ~7ULL) + ((pb + 7) & ~7ULL);
	return 0;
}

/* hot_lazy: the region gets its block states before its node sees it. */
static struct mm_hot_region *lazy_region(struct serve_ctx *s, struct hot_dev *d)
{
	if (s->lazy)
		mm_hot_region_set_lazy(&d->region, d->lazy_states);
	return &d->region;
}

static int register_one(struct serve_ctx *s, struct virtio_mem_dev *vd, uint32_t idx,
			enum mm_memmap_loc loc)
{
	struct hot_dev *d = &s->dev[s->ndev];
	const struct virtio_mem_config *c = &vd->cfg;
	uint64_t sp = c->addr >> PAGE_SHIFT, ep = (c->addr + c->region_size) >> PAGE_SHIFT;
	uint64_t bp = c->block_size >> PAGE_SHIFT;
	struct mm_node_plan *plan = &s->mm->plan[vd->node];
	uint8_t *state, *pbits;
	char why[160];

	*d = (struct hot_dev){ .vd = vd, .idx = idx, .node = vd->node, .unit = c->block_size };
	if (loc == MM_MEMMAP_DEVICE) {
		if ((sp | ep) & (PAGES_PER_SECTION - 1) || bp > PAGES_PER_SECTION) {
			kprintf("virtio-mem %s: hot_memmap=memory needs a region of whole 128 MiB "
				"sections and blocks of at most one: its memmap goes to DRAM\n", vd->loc);
			loc = MM_MEMMAP_DRAM;
		} else {
			d->unit = PAGES_PER_SECTION << PAGE_SHIFT;
		}
	}
	if (hot_region_conflict(s->mm, sp, ep, why, sizeof(why))) {
		kprintf("virtio-mem %s: region [0x%llx, 0x%llx) %s: device left alone\n", vd->loc,
			(unsigned long long)c->addr, (unsigned long long)(c->addr + c->region_size),
			why);
		return -1;
	}
	if (carve_metadata(s, d, sp, ep, bp)) {
		kprintf("virtio-mem %s: no memory for its metadata: device left alone\n", vd->loc);
		return -1;
	}
	state = d->region.state;
	pbits = d->region.pageblock_mt;
	if (mm_hot_region_init(&d->region, idx, sp, ep, bp, loc, state, pbits) ||
	    memmap_node_add_hot(&plan->node, lazy_region(s, d))) {
		kprintf("virtio-mem %s: its region cannot be a region of node %u: device left alone\n",
			vd->loc, vd->node);
		buddy_free_pages(&s->mm->plan[d->meta_node].node, d->meta_pa >> PAGE_SHIFT,
				 d->meta_order);
		s->meta_pages[d->meta_node] -= 1ULL << d->meta_order;
		return -1;
	}
	d->hot = plan->node.nr_hot - 1;
	s->ndev++;
	return 0;
}

void hotplug_register(struct serve_ctx *s, const struct hot_ops *ops)
{
	if (s->registered)
		return;
	s->registered = true;
	s->ops = ops;
	mm_plan_drop_fenced(s->mm);
	for (uint32_t i = 0; i < s->vset->ndevs; i++) {
		struct virtio_mem_dev *vd = &s->vset->dev[i];

		/* The region first: a device numaboot cannot take is never started
		 * (left as probe left it); one that fails to start keeps an empty
		 * region and is not served (virtio_mem_start() reset it). */
		if (vd->problems || register_one(s, vd, i, s->loc))
			continue;
		virtio_mem_start(vd);
	}
}

/* The blocks in the identity map, then the vmemmap of their sections by
 * the one mapper (mm/vmemmap.c): a 2 MiB page of boot memory per section,
 * or, with the memmap on the memory, the section's own first 2 MiB.  A
 * section mapped by an earlier plug stays mapped. */
int hotplug_map(struct serve_ctx *s, struct hot_dev *d, uint64_t addr, uint64_t bytes)
{
	struct hot_vmemmap_src h = {
		.src = { .alloc = hot_memmap_alloc },
		.t = { .tables = { .alloc_page = hot_table_alloc }, .s = s, .nid = d->meta_node },
	};
	uint64_t sp = addr >> PAGE_SHIFT, ep = (addr + bytes) >> PAGE_SHIFT;
	const struct mm_vmemmap_range r = {
		.start_pfn = sp & ~(PAGES_PER_SECTION - 1),
		.end_pfn = (ep + PAGES_PER_SECTION - 1) & ~(PAGES_PER_SECTION - 1),
		.layout = d->region.memmap_loc == MM_MEMMAP_DEVICE ? MM_VMEMMAP_SECTION_ALTMAP :
								     MM_VMEMMAP_DISTINCT,
	};

	h.src.tables = &h.t.tables;
	if (paging_map_ram(addr, bytes, &h.t.tables))
		return -1;
	return mm_vmemmap_map(s->mm, &r, &h.src) < 0 ? -1 : 0;
}
