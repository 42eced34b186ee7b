/*
 * Persistent memory in the node table: the NFIT's persistent-memory SPA
 * ranges and the memory map's EfiPersistentMemory descriptors, checked and
 * given a node.  Part of numa_build() (numa/internal.h); boot CPU, once,
 * or the host tool and the tests.
 *
 * Rules (docs/acpi.md, "Persistent memory"): a range with zero length,
 * beyond 1 << MAX_PHYSMEM_BITS, not 4 KiB aligned, overlapping RAM or a
 * device kept before it, or whose proximity domain the SRAT does not know,
 * is reported by name ("numa: NFIT SPA range 3 [0x.., 0x..) overlaps RAM:
 * skipped") and left out.  The node: the NFIT's proximity domain when its
 * valid flag is set, else the SRAT range containing the start (non-volatile
 * first, then RAM, then hot-pluggable).  An EFI range the NFIT's ranges
 * cover is the same device: the NFIT's description wins.
 */
#include "internal.h"
#include "kprintf.h"
#include "kstring.h"
#include "page.h"

#define PMEM_LIMIT	(1ull << MAX_PHYSMEM_BITS)
#define PMEM_NAME_MAX	48
#define PMEM_WHY_MAX	96

/* One range as a source describes it, before the checks. */
struct pmem_desc {
	uint32_t source;	/* enum numa_pmem_source */
	uint32_t spa_index;
	uint32_t flags;
	bool domain_valid;
	uint32_t domain;
	uint64_t start, length;
};

static void pmem_name(const struct pmem_desc *d, char *buf, size_t size)
{
	if (d->source == NUMA_PMEM_NFIT)
		ksnprintf(buf, size, "NFIT SPA range %u", d->spa_index);
	else
		ksnprintf(buf, size, "EFI persistent memory");
}

/* Report d by name with the reason, and count it. */
static void pmem_skip(struct numa_topology *t, const struct pmem_desc *d, const char *why)
{
	char name[PMEM_NAME_MAX];
	uint64_t end = d->length > UINT64_MAX - d->start ? UINT64_MAX : d->start + d->length;

	pmem_name(d, name, sizeof(name));
	kprintf("numa: %s [0x%llx, 0x%llx) %s: skipped\n", name, (unsigned long long)d->start,
		(unsigned long long)end, why);
	t->npmem_skipped++;
}

/* Memory map types that are RAM in use or to be used: everything but
 * reserved, unusable, MMIO and persistent memory itself. */
static bool mmap_is_ram(uint32_t type)
{
	return type < BOOT_MEM_NTYPES && type != BOOT_MEM_RESERVED && type != BOOT_MEM_UNUSABLE &&
	       type != BOOT_MEM_MMIO && type != BOOT_MEM_MMIO_PORT && type != BOOT_MEM_PERSISTENT;
}

static bool overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* [start, end) of a memory map entry; false when its end wraps. */
static bool mmap_span(const struct boot_mem_range *m, uint64_t *start, uint64_t *end)
{
	if (m->pages > (UINT64_MAX - m->phys) / PAGE_SIZE)
		return false;
	*start = m->phys;
	*end = m->phys + m->pages * PAGE_SIZE;
	return true;
}

/* RAM: the memory map's RAM entries; without a map, the node ranges (the
 * SRAT's RAM ranges, already collected). */
static bool overlaps_ram(const struct numa_build_ctx *c, const struct boot_mem_range *mmap,
			 size_t n, uint64_t start, uint64_t end)
{
	uint64_t s, e;

	for (uint32_t i = 0; !mmap && i < c->out->nranges; i++)
		if (overlap(start, end, c->out->ranges[i].start, c->out->ranges[i].end))
			return true;
	for (size_t i = 0; mmap && i < n; i++)
		if (mmap_is_ram(mmap[i].type) && mmap_span(&mmap[i], &s, &e) && overlap(start, end, s, e))
			return true;
	return false;
}

/* Domain of the SRAT range containing addr, the most specific kind first:
 * non-volatile, then RAM, then a hot-pluggable window.  False when none. */
static bool srat_domain_at(const struct acpi_srat_info *s, uint64_t addr, uint32_t *dom)
{
	unsigned best = 3;

	for (uint32_t i = 0; i < s->nmem; i++) {
		const struct acpi_mem_affinity *m = &s->mem[i];
		unsigned rank = m->nonvolatile ? 0 : !m->hotplug ? 1 : 2;

		if (addr >= m->base && addr - m->base < m->length && rank < best) {
			best = rank;
			*dom = m->domain;
		}
	}
	return best < 3;
}

/* Domain index of d's range into *idx and its domain into *pxm; a reason
 * in why when there is none. */
static bool pmem_domain(const struct numa_build_ctx *c, const struct pmem_desc *d, uint32_t *idx,
			uint32_t *pxm, char *why, size_t size)
{
	*pxm = d->domain_valid ? d->domain : 0;
	if (c->single) {
		*idx = 0;
		return true;
	}
	if (!d->domain_valid && !srat_domain_at(&c->acpi->srat, d->start, pxm)) {
		ksnprintf(why, size, "has no proximity domain and lies in no SRAT range");
		return false;
	}
	*idx = numa_dom_index(c, *pxm);
	if (*idx == NUMA_NO_NODE)
		ksnprintf(why, size, "names unknown proximity domain %u", *pxm);
	return *idx != NUMA_NO_NODE;
}

/* Why [start, end) cannot be kept beside the devices kept so far. */
static bool overlaps_device(const struct numa_topology *t, uint64_t start, uint64_t end, char *why,
			    size_t size)
{
	for (uint32_t i = 0; i < t->npmem; i++) {
		const struct numa_pmem *p = &t->pmem[i];

		if (!overlap(start, end, p->start, p->end))
			continue;
		if (p->source == NUMA_PMEM_NFIT)
			ksnprintf(why, size, "overlaps NFIT SPA range %u", p->spa_index);
		else
			ksnprintf(why, size, "overlaps EFI persistent memory [0x%llx, 0x%llx)",
				  (unsigned long long)p->start, (unsigned long long)p->end);
		return true;
	}
	return false;
}

/* Why d cannot be kept (in why), or false when it can: *idx and *pxm
 * then hold its domain index and proximity domain. */
static bool pmem_bad(const struct numa_build_ctx *c, const struct boot_mem_range *mmap, size_t n,
		     const struct pmem_desc *d, uint32_t *idx, uint32_t *pxm, char *why, size_t size)
{
	uint64_t end = d->start + d->length;

	if (d->length == 0) {
		ksnprintf(why, size, "has zero length");
		return true;
	}
	if (d->length > UINT64_MAX - d->start || end > PMEM_LIMIT) {
		ksnprintf(why, size, "lies beyond the %u-bit physical address limit", MAX_PHYSMEM_BITS);
		return true;
	}
	if ((d->start | end) & (PAGE_SIZE - 1)) {
		ksnprintf(why, size, "is not 4 KiB aligned");
		return true;
	}
	if (overlaps_ram(c, mmap, n, d->start, end)) {
		ksnprintf(why, size, "overlaps RAM");
		return true;
	}
	if (!pmem_domain(c, d, idx, pxm, why, size) ||
	    overlaps_device(c->out, d->start, end, why, size))
		return true;
	if (c->out->npmem == NUMA_MAX_PMEM) {
		ksnprintf(why, size, "is past the %u ranges numaboot keeps", NUMA_MAX_PMEM);
		return true;
	}
	return false;
}

/* Check one range; keep it in out->pmem[] or report and count it. */
static void pmem_add(struct numa_build_ctx *c, const struct boot_mem_range *mmap, size_t n,
		     const struct pmem_desc *d)
{
	struct numa_topology *t = c->out;
	char why[PMEM_WHY_MAX];
	uint32_t idx = 0, pxm = 0;

	if (pmem_bad(c, mmap, n, d, &idx, &pxm, why, sizeof(why))) {
		pmem_skip(t, d, why);
		return;
	}
	t->pmem[t->npmem++] = (struct numa_pmem){
		.start = d->start, .end = d->start + d->length, .node = idx, .source = d->source,
		.spa_index = d->spa_index, .pxm = pxm, .flags = d->flags,
	};
}

/* Whether an SPA range is one [base, base + length) can describe: not
 * empty, and its end does not wrap past 2^64.  Every walk over the NFIT's
 * ranges asks this first (issue 16 item 2: a walk that followed a wrapped
 * end went backwards and never ended); pmem_bad() reports such a range. */
static bool spa_valid(const struct acpi_nfit_spa *s)
{
	return s->length != 0 && s->length <= UINT64_MAX - s->base;
}

/*
 * How the NFIT describes [start, end): 1 when its persistent-memory ranges
 * cover all of it (the same device), 0 when they miss it entirely, -1 when
 * they cover part of it (*spa: the index of one that does).  Ranges that
 * are not spa_valid() cover nothing; each step moves at forward, so the
 * walk ends.
 */
static int nfit_covers(const struct acpi_nfit_info *nfit, uint64_t start, uint64_t end,
		       uint32_t *spa)
{
	uint64_t at = start;
	bool any = false;

	for (uint32_t i = 0; i < nfit->nspa; i++) {
		const struct acpi_nfit_spa *s = &nfit->spa[i];

		if (spa_valid(s) && overlap(start, end, s->base, s->base + s->length)) {
			any = true;
			*spa = s->index;
		}
	}
	while (any && at < end) {
		uint32_t i = 0;

		for (; i < nfit->nspa; i++) {
			const struct acpi_nfit_spa *s = &nfit->spa[i];

			if (spa_valid(s) && at >= s->base && at - s->base < s->length)
				break;
		}
		if (i == nfit->nspa)
			return -1;
		at = nfit->spa[i].base + nfit->spa[i].length;
	}
	return any;
}

/* EfiPersistentMemory descriptors, adjacent ones merged (the map is
 * sorted by address), each unless the NFIT already describes it. */
static void collect_efi(struct numa_build_ctx *c, const struct boot_mem_range *mmap, size_t n)
{
	for (size_t i = 0; mmap && i < n; i++) {
		struct pmem_desc d = { .source = NUMA_PMEM_EFI, .start = mmap[i].phys };
		uint64_t s, e, end;
		uint32_t spa = 0;
		char why[PMEM_WHY_MAX];
		int covered;

		if (mmap[i].type != BOOT_MEM_PERSISTENT || !mmap_span(&mmap[i], &s, &end))
			continue;
		while (i + 1 < n && mmap[i + 1].type == BOOT_MEM_PERSISTENT && mmap[i + 1].phys == end &&
		       mmap_span(&mmap[i + 1], &s, &e))
			end = e, i++;
		d.length = end - d.start;
		covered = nfit_covers(&c->acpi->nfit, d.start, end, &spa);
		if (covered == 1)
			continue;
		if (covered < 0) {
			ksnprintf(why, sizeof(why), "overlaps NFIT SPA range %u", spa);
			pmem_skip(c->out, &d, why);
			continue;
		}
		pmem_add(c, mmap, n, &d);
	}
}

void numa_pmem_collect(struct numa_build_ctx *c, const struct boot_mem_range *mmap, size_t n)
{
	const struct acpi_nfit_info *nfit = &c->acpi->nfit;

	for (uint32_t i = 0; i < nfit->nspa; i++) {
		const struct acpi_nfit_spa *s = &nfit->spa[i];
		struct pmem_desc d = {
			.source = NUMA_PMEM_NFIT, .spa_index = s->index, .flags = s->flags,
			.domain_valid = s->domain_valid, .domain = s->domain,
			.start = s->base, .length = s->length,
		};

		pmem_add(c, mmap, n, &d);
	}
	collect_efi(c, mmap, n);
}

void numa_pmem_finish(struct numa_build_ctx *c)
{
	struct numa_topology *t = c->out;

	for (uint32_t i = 0; i < t->npmem; i++)
		t->pmem[i].node = c->single ? 0 : c->node_of_dom[t->pmem[i].node];
	for (uint32_t i = 1; i < t->npmem; i++) {
		struct numa_pmem p = t->pmem[i];
		uint32_t j = i;

		for (; j > 0 && t->pmem[j - 1].start > p.start; j--)
			t->pmem[j] = t->pmem[j - 1];
		t->pmem[j] = p;
	}
	for (uint32_t i = 0; i < t->npmem; i++) {
		struct numa_node *nd = &t->nodes[t->pmem[i].node];

		t->pmem[i].id = i;
		nd->pmem_bytes += t->pmem[i].end - t->pmem[i].start;
		nd->npmem++;
	}
}
