/*
 * Persistent memory at setup: each node's device ranges from the NUMA
 * table's validated pmem ranges, the node span grown to cover them, and the
 * vmemmap of every device mapped.  Boot CPU only, called by mm_setup()
 * before memblock_freeze() (every page used here comes from memblock, so the
 * DRAM accounting sees it as early reserved).
 *
 * Where a device's struct pages live (struct mm_device_config):
 *  - DRAM, 4 KiB device pages: the device's vmemmap backed by memblock
 *    memory of its node, a 2 MiB page per whole section, else 4 KiB pages;
 *  - DRAM, 2 MiB / 1 GiB compound pages: per compound page two 4 KiB pages
 *    (head's and first tail's vmemmap page); every further vmemmap page of
 *    the compound page maps the first-tail page again (Linux's device-dax
 *    vmemmap deduplication, vmemmap_populate_compound_pages(), since 5.19);
 *  - the device itself (altmap): its first altmap_pfns pages back the
 *    whole device's vmemmap, mapped in order; no sharing (as in Linux,
 *    vmemmap_can_optimize() is false with an altmap).
 * The one vmemmap mapper (mm/vmemmap.c) maps them; page-table pages come
 * from memblock, not the early heap, which is sized for DRAM only.
 */
#include <stdint.h>
#include "internal.h"
#include "kprintf.h"
#include "meminit.h"
#include "paging.h"
#include "vmemmap.h"

/* memblock memory of the device's node (else the nearest) for its page
 * tables, counted in struct mm_devices. */
struct device_tables {
	struct paging_table_src tables;	/* first: paging hands it back */
	struct mm_state *mm;
	uint32_t nid;
};

/* The same for its memmap. */
struct device_vmemmap_src {
	struct mm_vmemmap_src src;	/* first: the mapper hands it back */
	struct device_tables t;
};

static uint64_t device_memmap_alloc(struct mm_vmemmap_src *src, uint64_t bytes, uint64_t align)
{
	const struct device_vmemmap_src *c = (const struct device_vmemmap_src *)src;

	return mm_alloc_near(c->t.mm, c->t.nid, bytes, align);
}

static uint64_t device_table_alloc(const struct paging_table_src *tables)
{
	const struct device_tables *t = (const struct device_tables *)tables;
	uint64_t pa = mm_alloc_near(t->mm, t->nid, PAGE_SIZE, PAGE_SIZE);

	if (pa)
		t->mm->devs.table_bytes += PAGE_SIZE;
	return pa;
}

/* The layout of the device's memmap (file header). */
static struct mm_vmemmap_range device_vmemmap_range(const struct mm_device *d)
{
	enum mm_vmemmap_layout how = d->memmap_loc == MM_MEMMAP_DEVICE ? MM_VMEMMAP_ALTMAP :
				     mm_device_vmemmap_shared(d) ? MM_VMEMMAP_COMPOUND :
				     MM_VMEMMAP_DISTINCT;

	return (struct mm_vmemmap_range){ d->start_pfn, d->end_pfn, how, d->compound_order };
}

static int map_device(struct mm_state *mm, uint32_t nid, const struct mm_device *d)
{
	struct device_vmemmap_src c = {
		.src = { .alloc = device_memmap_alloc },
		.t = { .tables = { .alloc_page = device_table_alloc }, .mm = mm, .nid = nid },
	};
	const struct mm_vmemmap_range r = device_vmemmap_range(d);
	int err;

	c.src.tables = &c.t.tables;
	err = mm_vmemmap_map(mm, &r, &c.src) < 0;
	mm->devs.memmap_dram_bytes += c.src.memmap_bytes;
	mm->devs.memmap_device_bytes += c.src.altmap_bytes;
	if (err)
		kprintf("mm: node %u: cannot map the memmap of device %u\n", nid, d->id);
	return err ? -1 : 0;
}

/* The device for pm under cfg, trimmed inward to its alignment; 0 if empty. */
static int make_device(const struct numa_pmem *pm, const struct mm_device_config *cfg,
		       struct mm_device *d)
{
	uint64_t align = 1ULL << cfg->compound_order;
	uint64_t s, e;

	align = align > MM_DEVICE_ALIGN_PAGES ? align : MM_DEVICE_ALIGN_PAGES;
	s = ((pm->start >> PAGE_SHIFT) + align - 1) & ~(align - 1);
	e = (pm->end >> PAGE_SHIFT) & ~(align - 1);
	if (s >= e) {
		kprintf("mm: pmem device %u: smaller than its %llu KiB alignment, skipped\n", pm->id,
			(unsigned long long)(align << PAGE_SHIFT >> 10));
		return 0;
	}
	*d = (struct mm_device){ .id = pm->id, .start_pfn = s, .end_pfn = e,
				 .compound_order = cfg->compound_order, .memmap_loc = cfg->memmap_loc };
	if (d->memmap_loc == MM_MEMMAP_DEVICE) {
		d->altmap_pfns = memmap_device_altmap_pfns(s, e, d->compound_order);
		if (d->altmap_pfns >= e - s) {
			kprintf("mm: pmem device %u: too small to hold its own memmap; memmap in DRAM\n",
				pm->id);
			d->memmap_loc = MM_MEMMAP_DRAM;
			d->altmap_pfns = 0;
		}
	}
	return 1;
}

static int shares_mapped_section(const struct mm_state *mm, const struct mm_device *d)
{
	for (uint64_t sec = pfn_to_section_nr(d->start_pfn);
	     sec <= pfn_to_section_nr(d->end_pfn - 1); sec++)
		if (mm_section_mapped(mm, sec))
			return 1;
	return 0;
}

/* Append pm to node nid's devices if memmap_node_set_devices() accepts it
 * with the span grown to cover it. */
static void add_device(struct mm_state *mm, uint32_t nid, const struct numa_pmem *pm,
		       const struct mm_device_config *cfg)
{
	struct mm_devices *ds = &mm->devs;
	struct mm_node *node = &mm->plan[nid].node;
	struct mm_device *d = &ds->dev[ds->ndev];
	uint64_t s = node->start_pfn, e = node->end_pfn;
	int empty = !mm->plan[nid].has_memory && !ds->count[nid];

	if (!make_device(pm, cfg, d))
		return;
	if (shares_mapped_section(mm, d)) {
		kprintf("mm: pmem device %u shares a memory section with RAM, skipped\n", d->id);
		return;
	}
	node->start_pfn = empty || d->start_pfn < s ? d->start_pfn : s;
	node->end_pfn = empty || d->end_pfn > e ? d->end_pfn : e;
	if (memmap_node_set_devices(node, &ds->dev[ds->first[nid]], ds->count[nid] + 1)) {
		node->start_pfn = s;
		node->end_pfn = e;
		return;		/* reported by name */
	}
	ds->count[nid]++;
	ds->ndev++;
}

static int alloc_device_only_bitmap(struct mm_state *mm, uint32_t nid)
{
	const struct mm_node *node = &mm->plan[nid].node;
	uint64_t pa = mm_alloc_near(mm, nid, memmap_pageblock_bytes(node->start_pfn, node->end_pfn),
				    64);

	if (!pa) {
		kprintf("mm: node %u: no memory for its pageblock bits\n", nid);
		return -1;
	}
	mm->devs.pageblock_mt[nid] = (uint8_t *)pa;
	return 0;
}

static void report_device(uint32_t nid, const struct mm_device *d)
{
	static const char *const size[] = { [0] = "4 KiB", [9] = "2 MiB", [18] = "1 GiB" };

	kprintf("mm: node %u: pmem device %u [0x%llx, 0x%llx) %llu MiB, %s pages, memmap in %s%s\n",
		nid, d->id, (unsigned long long)d->start_pfn << PAGE_SHIFT,
		(unsigned long long)d->end_pfn << PAGE_SHIFT,
		(unsigned long long)((d->end_pfn - d->start_pfn) >> (20 - PAGE_SHIFT)),
		size[d->compound_order], d->memmap_loc == MM_MEMMAP_DEVICE ? "the device" : "DRAM",
		mm_device_vmemmap_shared(d) ? " (shared tail pages)" : "");
}

int mm_setup_devices(struct mm_state *mm, const struct numa_topology *numa,
		     const struct mm_device_config *cfg)
{
	struct mm_devices *ds = &mm->devs;

	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		ds->first[nid] = ds->ndev;
		for (uint32_t i = 0; i < numa->npmem && ds->ndev < NUMA_MAX_PMEM; i++)
			if (numa->pmem[i].node == nid)
				add_device(mm, nid, &numa->pmem[i], cfg);
		if (ds->count[nid] && !mm->plan[nid].has_memory && alloc_device_only_bitmap(mm, nid))
			return -1;
		for (uint32_t k = 0; k < ds->count[nid]; k++) {
			report_device(nid, &ds->dev[ds->first[nid] + k]);
			if (map_device(mm, nid, &ds->dev[ds->first[nid] + k]))
				return -1;
		}
	}
	if (ds->ndev)
		kprintf("mm: %u pmem devices: memmap %llu KiB in DRAM, %llu KiB on devices, %llu KiB of page tables\n",
			ds->ndev, (unsigned long long)(ds->memmap_dram_bytes >> 10),
			(unsigned long long)(ds->memmap_device_bytes >> 10),
			(unsigned long long)(ds->table_bytes >> 10));
	return 0;
}

int mm_describe_devices(struct mm_state *mm)
{
	const struct mm_devices *ds = &mm->devs;

	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node *node = &mm->plan[nid].node;

		if (!ds->count[nid])
			continue;
		if (!mm->plan[nid].has_memory &&
		    memmap_node_init(node, nid, node->start_pfn, node->end_pfn, NULL, 0, NULL, 0, 0, 0,
				     ds->pageblock_mt[nid]))
			return -1;
		if (memmap_node_set_devices(node, &ds->dev[ds->first[nid]], ds->count[nid]))
			return -1;
	}
	return 0;
}
