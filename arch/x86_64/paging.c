/*
 * 4-level paging (Intel SDM vol 3 §4.5).  The identity map uses 1 GiB
 * pages when CPUID.80000001H:EDX[26] says the CPU has them, else 2 MiB
 * pages.  Caching comes from the MTRRs the firmware programmed (MMIO ranges
 * are UC there), so every mapping is plain write-back in the PTEs, except
 * the MMIO windows paging_map_mmio() adds above the identity map (PCI BARs
 * in the firmware's 64-bit aperture), which are PCD|PWT: no MTRR is known
 * to cover them.
 */
#include <stdint.h>
#include "kprintf.h"
#include "kstring.h"
#include "paging.h"
#include "spinlock.h"
#include "x86.h"

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PS		(1ULL << 7)
#define PTE_ADDR	0x000ffffffffff000ULL
#define CPUID_EXT_PDPE1GB (1u << 26)
#define PT_INDEX(va, level) (((va) >> (12 + 9 * (level))) & 511)

static struct {
	struct spinlock lock;
	uint64_t heap, heap_size, heap_used;
	uint64_t *pml4;
	uint64_t identity_top;
	uint32_t page_size;
} pg;

uint64_t early_alloc_page(void)
{
	uint64_t flags = spin_lock_irqsave(&pg.lock), page = 0;

	if (pg.heap_used + PAGE_SIZE <= pg.heap_size) {
		page = pg.heap + pg.heap_used;
		pg.heap_used += PAGE_SIZE;
	}
	spin_unlock_irqrestore(&pg.lock, flags);
	if (page)
		memset((void *)page, 0, PAGE_SIZE);
	return page;
}

/* A zeroed page-table page from src, or from the early heap when src is NULL. */
static uint64_t alloc_table_page(const struct paging_table_src *src)
{
	uint64_t page;

	if (!src)
		return early_alloc_page();
	page = src->alloc_page(src);
	if (page)
		memset((void *)page, 0, PAGE_SIZE);
	return page;
}

/* The table the entry at `level` of va points to, created if absent. */
static uint64_t *next_table(uint64_t *table, uint64_t va, int level,
			    const struct paging_table_src *src)
{
	uint64_t *e = &table[PT_INDEX(va, level)];

	if (*e & PTE_PS)
		return NULL;
	if (!(*e & PTE_P)) {
		uint64_t page = alloc_table_page(src);

		if (!page)
			return NULL;
		*e = page | PTE_P | PTE_W;
	}
	return (uint64_t *)(*e & PTE_ADDR);
}

static int map_large(uint64_t va, uint64_t pa, uint64_t size, const struct paging_table_src *src,
		     uint64_t attr)
{
	uint64_t *pdpt = next_table(pg.pml4, va, 3, src), *pd;

	if (!pdpt)
		return -1;
	if (size == SIZE_1G) {
		pdpt[PT_INDEX(va, 2)] = pa | PTE_P | PTE_W | PTE_PS | attr;
		return 0;
	}
	pd = next_table(pdpt, va, 2, src);
	if (!pd)
		return -1;
	if ((pd[PT_INDEX(va, 1)] & PTE_P) && (pd[PT_INDEX(va, 1)] & PTE_ADDR) != pa)
		return -1;
	pd[PT_INDEX(va, 1)] = pa | PTE_P | PTE_W | PTE_PS | attr;
	return 0;
}

static uint64_t identity_top(const struct boot_info *bi)
{
	uint64_t top = 4 * SIZE_1G;	/* LAPIC, IOAPIC and HPET sit below 4 GiB */

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		uint64_t end = bi->mmap[i].phys + bi->mmap[i].pages * PAGE_SIZE;

		if (end > top)
			top = end;
	}
	if (bi->fb.base + bi->fb.size > top)
		top = bi->fb.base + bi->fb.size;
	return (top + SIZE_1G - 1) & ~(SIZE_1G - 1);
}

void paging_init(const struct boot_info *bi)
{
	uint32_t a, b, c, d;
	uint64_t step;

	pg.heap = bi->early_heap;
	pg.heap_size = bi->early_heap_size;
	pg.pml4 = (uint64_t *)early_alloc_page();
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000001)
		cpuid(0x80000001, 0, &a, &b, &c, &d);
	else
		d = 0;
	step = (d & CPUID_EXT_PDPE1GB) ? SIZE_1G : SIZE_2M;
	pg.page_size = (uint32_t)step;
	pg.identity_top = identity_top(bi);
	for (uint64_t va = 0; va < pg.identity_top; va += step) {
		if (!pg.pml4 || map_large(va, va, step, NULL, 0)) {
			kprintf("paging: early heap too small for the identity map at 0x%llx\n",
				(unsigned long long)va);
			pg.identity_top = va;
			break;
		}
	}
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3((uint64_t)pg.pml4);
}

int paging_map_2m_from(uint64_t va, uint64_t pa, const struct paging_table_src *src)
{
	int ret = map_large(va, pa, SIZE_2M, src, 0);

	if (!ret)
		invlpg(va);
	return ret;
}

int paging_map_2m(uint64_t va, uint64_t pa)
{
	return paging_map_2m_from(va, pa, NULL);
}

int paging_map_4k(uint64_t va, uint64_t pa)
{
	return paging_map_4k_from(va, pa, NULL);
}

int paging_map_4k_from(uint64_t va, uint64_t pa, const struct paging_table_src *src)
{
	uint64_t *pdpt = next_table(pg.pml4, va, 3, src), *pd = NULL, *pt = NULL, *e;

	if (pdpt)
		pd = next_table(pdpt, va, 2, src);
	if (pd)
		pt = next_table(pd, va, 1, src);
	if (!pt)
		return -1;
	e = &pt[PT_INDEX(va, 0)];
	if ((*e & PTE_P) && (*e & PTE_ADDR) != pa)
		return -1;
	*e = pa | PTE_P | PTE_W;
	invlpg(va);
	return 0;
}

/* Identity-map [va, end) (va 2 MiB aligned) with 2 MiB pages of attr where
 * the identity map does not cover it already. */
static int map_identity_2m(uint64_t va, uint64_t end, const struct paging_table_src *src,
			   uint64_t attr)
{
	for (; va < end; va += SIZE_2M) {
		if (va + SIZE_2M <= pg.identity_top)
			continue;
		if (map_large(va, va, SIZE_2M, src, attr))
			return -1;
		invlpg(va);
	}
	return 0;
}

int paging_map_mmio(uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len;

	if (len == 0 || end < pa || end > (1ULL << 52))
		return -1;
	return map_identity_2m(pa & ~(SIZE_2M - 1), end, NULL, PTE_PCD | PTE_PWT);
}

int paging_map_ram(uint64_t pa, uint64_t len, const struct paging_table_src *src)
{
	uint64_t end = pa + len;

	if (len == 0 || end < pa || end > (1ULL << 52) || ((pa | len) & (SIZE_2M - 1)))
		return -1;
	return map_identity_2m(pa, end, src, 0);
}

uint64_t paging_root(void)
{
	return (uint64_t)pg.pml4;
}

void paging_get_stats(struct paging_stats *st)
{
	st->identity_top = pg.identity_top;
	st->page_size = pg.page_size;
	st->heap_used = pg.heap_used;
	st->heap_size = pg.heap_size;
}
