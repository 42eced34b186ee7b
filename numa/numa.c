/*
 * NUMA node table: SRAT domains -> dense node ids, node memory = SRAT
 * ranges ∩ usable memory map, CPUs -> nodes, SLIT distances, and for nodes
 * without CPUs or memory the nearest node that stands in (the plan Xen's
 * scrub_heap_pages() follows).  Boot CPU only, once, before SMP bring-up;
 * also built on the host by tools/numaboot-topo and the tests.
 *
 * Policy (docs/acpi.md): never trust the SRAT blindly.  No SRAT, or one
 * whose ranges of different domains overlap, with no enabled memory entry,
 * with more domains than NUMA_MAX_NODES or more entries than acpi/ keeps,
 * gives one node 0 with everything.  A CPU missing from the SRAT goes to
 * node 0 (the lowest domain); usable memory outside every SRAT range goes
 * to the domain of the nearest range by address.  Each case is reported.
 * Persistent memory (NFIT, EFI) is checked and placed by numa/pmem.c;
 * hot-pluggable and non-volatile SRAT ranges are not RAM.
 */
#include "internal.h"
#include "kprintf.h"
#include "kstring.h"

#define PAGE_SIZE 4096ull

static void set_reason(struct numa_topology *t, enum numa_source src, const char *why)
{
	t->source = src;
	ksnprintf(t->reason, sizeof(t->reason), "%s", why);
}

static void add_range(struct numa_topology *t, uint64_t start, uint64_t end, uint32_t node)
{
	if (start >= end)
		return;
	if (t->nranges == NUMA_MAX_RANGES) {
		if (!t->bytes_dropped)
			kprintf("numa: more than %u memory ranges; [0x%llx, 0x%llx) and later not used\n",
				NUMA_MAX_RANGES, (unsigned long long)start, (unsigned long long)end);
		t->bytes_dropped += end - start;
		return;
	}
	t->ranges[t->nranges++] = (struct numa_range){ .start = start, .end = end, .node = node };
}

static bool range_before(const struct numa_range *a, const struct numa_range *b)
{
	return a->node < b->node || (a->node == b->node && a->start < b->start);
}

/* Sort by (node, start), merge overlapping and adjacent ranges of a node,
 * and index each node's ranges. */
static void ranges_finish(struct numa_topology *t)
{
	uint32_t n = 0;

	for (uint32_t i = 1; i < t->nranges; i++) {
		struct numa_range r = t->ranges[i];
		uint32_t j = i;

		for (; j > 0 && range_before(&r, &t->ranges[j - 1]); j--)
			t->ranges[j] = t->ranges[j - 1];
		t->ranges[j] = r;
	}
	for (uint32_t i = 0; i < t->nranges; i++) {
		struct numa_range *last = n ? &t->ranges[n - 1] : NULL;

		if (last && last->node == t->ranges[i].node && t->ranges[i].start <= last->end) {
			if (t->ranges[i].end > last->end)
				last->end = t->ranges[i].end;
		} else {
			t->ranges[n++] = t->ranges[i];
		}
	}
	t->nranges = n;
	for (uint32_t i = 0; i < t->nnodes; i++) {
		t->nodes[i].nranges = 0;
		t->nodes[i].bytes = 0;
	}
	for (uint32_t i = n; i-- > 0;) {
		struct numa_node *nd = &t->nodes[t->ranges[i].node];

		nd->range_first = i;
		nd->nranges++;
		nd->bytes += t->ranges[i].end - t->ranges[i].start;
	}
}

/* [start, end) of a usable memory map entry; false when unusable or empty. */
static bool mmap_usable(const struct boot_mem_range *m, uint64_t *start, uint64_t *end)
{
	if (!boot_mem_usable(m->type) || m->pages == 0 || m->pages > (UINT64_MAX - m->phys) / PAGE_SIZE)
		return false;
	*start = m->phys;
	*end = m->phys + m->pages * PAGE_SIZE;
	return true;
}

static void copy_cpus(const struct acpi_info *acpi, struct numa_topology *t)
{
	if (!acpi->madt.present)
		kprintf("numa: no MADT; no CPUs known\n");
	for (uint32_t i = 0; i < acpi->madt.ncpus && i < NUMA_MAX_CPUS; i++) {
		const struct acpi_cpu *c = &acpi->madt.cpus[i];

		t->cpus[t->ncpus++] = (struct numa_cpu){
			.apic_id = c->apic_id, .acpi_uid = c->uid, .node = 0,
			.enabled = c->enabled, .online_capable = c->online_capable,
			.x2apic = c->x2apic, .in_srat = false,
		};
	}
}

/* An SRAT range that is RAM: neither a hot-pluggable window nor persistent
 * memory. */
static bool srat_is_ram(const struct acpi_mem_affinity *m)
{
	return !m->hotplug && !m->nonvolatile;
}

/* One node 0 with all usable memory (or, without a memory map, every SRAT
 * RAM range), every CPU and all persistent memory. */
static void build_single(struct numa_build_ctx *c, const struct boot_mem_range *mmap,
			 size_t n, enum numa_source src, const char *why)
{
	const struct acpi_info *acpi = c->acpi;
	struct numa_topology *t = c->out;
	uint64_t s, e;

	set_reason(t, src, why);
	kprintf("numa: %s; one node with all memory and CPUs\n", why);
	t->nnodes = 1;
	t->nodes[0] = (struct numa_node){ .id = 0, .pxm = 0, .helps = NUMA_NO_NODE,
					  .init_by = NUMA_NO_NODE };
	t->nranges = 0;
	for (size_t i = 0; mmap && i < n; i++)
		if (mmap_usable(&mmap[i], &s, &e))
			add_range(t, s, e, 0);
	for (uint32_t i = 0; !mmap && i < acpi->srat.nmem; i++)
		if (srat_is_ram(&acpi->srat.mem[i]))
			add_range(t, acpi->srat.mem[i].base,
				  acpi->srat.mem[i].base + acpi->srat.mem[i].length, 0);
	ranges_finish(t);
	c->single = true;
	numa_pmem_collect(c, mmap, n);
	numa_pmem_finish(c);
	for (uint32_t i = 0; i < t->ncpus; i++) {
		t->cpus[i].node = 0;
		t->nodes[0].ncpus += t->cpus[i].enabled;
		t->nodes[0].ncpus_offline += !t->cpus[i].enabled;
	}
	t->nodes[0].memless = t->nodes[0].bytes == 0 && t->ncpus > 0;
	t->nodes[0].cpuless = (t->nodes[0].bytes > 0 || t->nodes[0].pmem_bytes > 0) &&
			      t->nodes[0].ncpus == 0;
	t->distance[0][0] = NUMA_DIST_LOCAL;
}

/* Insert domain d into the sorted set; false when the set is full. */
static bool dom_add(struct numa_build_ctx *c, uint32_t d)
{
	uint32_t i = 0;

	while (i < c->ndom && c->dom[i] < d)
		i++;
	if (i < c->ndom && c->dom[i] == d)
		return true;
	if (c->ndom == NUMA_MAX_NODES)
		return false;
	memmove(&c->dom[i + 1], &c->dom[i], (c->ndom - i) * sizeof(c->dom[0]));
	c->dom[i] = d;
	c->ndom++;
	return true;
}

/* The sorted set of domains of enabled SRAT entries; false past the limit. */
static bool collect_domains(struct numa_build_ctx *c)
{
	const struct acpi_srat_info *s = &c->acpi->srat;

	for (uint32_t i = 0; i < s->ncpus; i++)
		if (!dom_add(c, s->cpus[i].domain))
			return false;
	for (uint32_t i = 0; i < s->nmem; i++)
		if (!dom_add(c, s->mem[i].domain))
			return false;
	return true;
}

/* Why the SRAT cannot be trusted (written to why), or false when it can. */
static bool srat_distrusted(struct numa_build_ctx *c, char *why, size_t size)
{
	const struct acpi_srat_info *s = &c->acpi->srat;

	if (s->cpu_overflow || s->mem_overflow) {
		ksnprintf(why, size, "SRAT has more entries than numaboot keeps");
		return true;
	}
	if (s->nmem == 0) {
		ksnprintf(why, size, "SRAT has no enabled memory range");
		return true;
	}
	if (!collect_domains(c)) {
		ksnprintf(why, size, "SRAT names more than %u proximity domains", NUMA_MAX_NODES);
		return true;
	}
	for (uint32_t i = 0; i < s->nmem; i++) {
		for (uint32_t j = i + 1; j < s->nmem; j++) {
			const struct acpi_mem_affinity *a = &s->mem[i], *b = &s->mem[j];

			if (a->base >= b->base + b->length || b->base >= a->base + a->length)
				continue;
			/* A hot-pluggable window (QEMU: all of its device memory, the
			 * last node's domain) may hold ranges of other domains, such as
			 * its NVDIMMs' non-volatile entries; the narrower entry wins. */
			if (a->hotplug != b->hotplug)
				continue;
			if (a->domain != b->domain) {
				ksnprintf(why, size, "SRAT ranges of domains %u and %u overlap at 0x%llx",
					  a->domain, b->domain,
					  (unsigned long long)(a->base > b->base ? a->base : b->base));
				return true;
			}
			kprintf("numa: SRAT lists [0x%llx, 0x%llx) of domain %u twice; merged\n",
				(unsigned long long)b->base, (unsigned long long)(b->base + b->length),
				b->domain);
		}
	}
	return false;
}

/* SRAT range index containing addr (one that is not hot-pluggable first:
 * a window may overlap the ranges of other domains), or the first one
 * starting after it (*inside false), or NUMA_NO_NODE. */
static uint32_t srat_range_at(const struct acpi_srat_info *s, uint64_t addr, bool *inside)
{
	uint32_t next = NUMA_NO_NODE, window = NUMA_NO_NODE;

	for (uint32_t i = 0; i < s->nmem; i++) {
		const struct acpi_mem_affinity *m = &s->mem[i];

		if (addr >= m->base && addr - m->base < m->length) {
			if (!m->hotplug) {
				*inside = true;
				return i;
			}
			window = window == NUMA_NO_NODE ? i : window;
		}
		if (m->base > addr && (next == NUMA_NO_NODE || m->base < s->mem[next].base))
			next = i;
	}
	*inside = window != NUMA_NO_NODE;
	return *inside ? window : next;
}

/* Domain of the SRAT range nearest [start, end) by address. */
static uint32_t nearest_domain(const struct acpi_srat_info *s, uint64_t start, uint64_t end)
{
	uint64_t best_gap = UINT64_MAX;
	uint32_t best = s->mem[0].domain;

	for (uint32_t i = 0; i < s->nmem; i++) {
		const struct acpi_mem_affinity *m = &s->mem[i];
		uint64_t gap = m->base >= end ? m->base - end : start - (m->base + m->length);

		if (gap < best_gap) {
			best_gap = gap;
			best = m->domain;
		}
	}
	return best;
}

/* Split usable [start, end) along the SRAT ranges into per-domain pieces
 * (range .node holds the domain index until nodes are numbered). */
static void split_usable(struct numa_build_ctx *c, uint64_t start, uint64_t end)
{
	const struct acpi_srat_info *s = &c->acpi->srat;

	while (start < end) {
		bool inside;
		uint32_t i = srat_range_at(s, start, &inside);
		uint64_t stop = end;
		uint32_t dom;

		if (inside) {
			if (s->mem[i].base + s->mem[i].length < stop)
				stop = s->mem[i].base + s->mem[i].length;
			dom = s->mem[i].domain;
		} else {
			if (i != NUMA_NO_NODE && s->mem[i].base < stop)
				stop = s->mem[i].base;
			dom = nearest_domain(s, start, stop);
			kprintf("numa: usable [0x%llx, 0x%llx) is in no SRAT range; given to domain %u\n",
				(unsigned long long)start, (unsigned long long)stop, dom);
			c->out->bytes_outside_srat += stop - start;
		}
		add_range(c->out, start, stop, numa_dom_index(c, dom));
		start = stop;
	}
}

static void collect_memory(struct numa_build_ctx *c, const struct boot_mem_range *mmap, size_t n)
{
	const struct acpi_srat_info *s = &c->acpi->srat;
	uint64_t start, end;

	if (!mmap) {
		for (uint32_t i = 0; i < s->nmem; i++)
			if (srat_is_ram(&s->mem[i]))
				add_range(c->out, s->mem[i].base, s->mem[i].base + s->mem[i].length,
					  numa_dom_index(c, s->mem[i].domain));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (mmap_usable(&mmap[i], &start, &end))
			split_usable(c, start, end);
}

/* Domain index of each CPU by APIC id, kept in .node until the nodes are
 * numbered; CPUs missing from the SRAT go to index 0, the lowest domain,
 * which therefore becomes node 0. */
static void place_cpus(struct numa_build_ctx *c)
{
	const struct acpi_srat_info *s = &c->acpi->srat;
	struct numa_topology *t = c->out;

	for (uint32_t i = 0; i < t->ncpus; i++) {
		t->cpus[i].node = 0;
		for (uint32_t j = 0; j < s->ncpus; j++) {
			if (s->cpus[j].apic_id == t->cpus[i].apic_id) {
				t->cpus[i].node = numa_dom_index(c, s->cpus[j].domain);
				t->cpus[i].in_srat = true;
				break;
			}
		}
		if (!t->cpus[i].in_srat) {
			kprintf("numa: CPU with APIC id %u is not in the SRAT; placed on node 0\n",
				t->cpus[i].apic_id);
			t->ncpus_not_in_srat++;
		}
	}
}

/* Number the domains that have CPUs, memory or persistent memory (in
 * .node of out->pmem[] as a domain index until now), ascending; drop the
 * rest. */
static void number_nodes(struct numa_build_ctx *c)
{
	struct numa_topology *t = c->out;

	for (uint32_t d = 0; d < c->ndom; d++) {
		bool used = false;

		for (uint32_t i = 0; i < t->ncpus && !used; i++)
			used = t->cpus[i].node == d;
		for (uint32_t i = 0; i < t->nranges && !used; i++)
			used = t->ranges[i].node == d;
		for (uint32_t i = 0; i < t->npmem && !used; i++)
			used = t->pmem[i].node == d;
		c->node_of_dom[d] = used ? t->nnodes : NUMA_NO_NODE;
		if (!used) {
			kprintf("numa: proximity domain %u has no usable memory, persistent memory or CPUs; no node\n",
				c->dom[d]);
			continue;
		}
		t->nodes[t->nnodes] = (struct numa_node){ .id = t->nnodes, .pxm = c->dom[d],
							  .helps = NUMA_NO_NODE,
							  .init_by = NUMA_NO_NODE };
		t->nnodes++;
	}
	for (uint32_t i = 0; i < t->nranges; i++)
		t->ranges[i].node = c->node_of_dom[t->ranges[i].node];
	for (uint32_t i = 0; i < t->ncpus; i++) {
		struct numa_node *nd = &t->nodes[c->node_of_dom[t->cpus[i].node]];

		t->cpus[i].node = nd->id;
		nd->ncpus += t->cpus[i].enabled;
		nd->ncpus_offline += !t->cpus[i].enabled;
	}
}

/* SLIT distances, or 10 local / 20 remote where the SLIT is missing,
 * distrusted or too small; slit_used only when every distance is the
 * SLIT's, distance_reason says why when not. */
static void fill_distances(const struct acpi_slit_info *slit, struct numa_topology *t)
{
	t->slit_used = slit->present;
	if (!slit->present)
		ksnprintf(t->distance_reason, sizeof(t->distance_reason), "%s",
			  slit->found ? slit->reason : "no SLIT");
	for (uint32_t i = 0; i < t->nnodes; i++) {
		for (uint32_t j = 0; j < t->nnodes; j++) {
			uint32_t a = t->nodes[i].pxm, b = t->nodes[j].pxm;

			t->distance[i][j] = i == j ? NUMA_DIST_LOCAL : NUMA_DIST_REMOTE;
			if (slit->present && a < slit->n && b < slit->n) {
				t->distance[i][j] = slit->dist[a][b];
			} else if (t->slit_used) {
				ksnprintf(t->distance_reason, sizeof(t->distance_reason),
					  "SLIT has %u localities, domain %u is past them",
					  slit->n, a >= slit->n ? a : b);
				kprintf("numa: %s; 10/20 used for it\n", t->distance_reason);
				t->slit_used = false;
				t->slit_partial = true;
			}
		}
	}
}

/* Nearest node to `from` for which want(node) holds; ties: lowest id. */
static uint32_t nearest_node(const struct numa_topology *t, uint32_t from, bool with_memory)
{
	uint32_t best = NUMA_NO_NODE;

	for (uint32_t j = 0; j < t->nnodes; j++) {
		bool ok = with_memory ? t->nodes[j].bytes > 0 : t->nodes[j].ncpus > 0;

		if (j == from || !ok)
			continue;
		if (best == NUMA_NO_NODE || t->distance[from][j] < t->distance[from][best])
			best = j;
	}
	return best;
}

/* Memory-less nodes' CPUs help the nearest node with memory; CPU-less
 * nodes (DRAM or persistent memory, no CPUs) are initialized by the nearest
 * node with CPUs. */
static void assign_helpers(struct numa_topology *t)
{
	for (uint32_t i = 0; i < t->nnodes; i++) {
		struct numa_node *nd = &t->nodes[i];

		nd->memless = nd->bytes == 0 && nd->ncpus + nd->ncpus_offline > 0;
		nd->cpuless = (nd->bytes > 0 || nd->pmem_bytes > 0) && nd->ncpus == 0;
		if (nd->memless) {
			nd->helps = nearest_node(t, i, true);
			kprintf("numa: node %u has CPUs but no memory; its CPUs help node %d\n", i,
				nd->helps == NUMA_NO_NODE ? -1 : (int)nd->helps);
		}
		if (nd->cpuless) {
			nd->init_by = nearest_node(t, i, false);
			kprintf("numa: node %u has %smemory but no CPUs; initialized by node %d\n", i,
				nd->bytes ? "" : "only persistent ",
				nd->init_by == NUMA_NO_NODE ? -1 : (int)nd->init_by);
		}
	}
}

void numa_build(const struct acpi_info *acpi, const struct boot_mem_range *mmap, size_t n,
		struct numa_topology *out)
{
	struct numa_build_ctx c = { .acpi = acpi, .out = out };
	char why[NUMA_REASON_MAX];

	memset(out, 0, sizeof(*out));
	copy_cpus(acpi, out);
	if (!acpi->srat.present) {
		build_single(&c, mmap, n, NUMA_SRC_NONE, "no SRAT");
		return;
	}
	if (srat_distrusted(&c, why, sizeof(why))) {
		build_single(&c, mmap, n, NUMA_SRC_FALLBACK, why);
		return;
	}
	collect_memory(&c, mmap, n);
	place_cpus(&c);
	numa_pmem_collect(&c, mmap, n);
	number_nodes(&c);
	if (out->nnodes == 0) {
		memset(out, 0, sizeof(*out));
		copy_cpus(acpi, out);
		build_single(&c, mmap, n, NUMA_SRC_FALLBACK,
			     "SRAT leaves no domain with CPUs or usable memory");
		return;
	}
	ranges_finish(out);
	numa_pmem_finish(&c);
	fill_distances(&acpi->slit, out);
	assign_helpers(out);
	out->source = NUMA_SRC_SRAT;
}

uint32_t numa_node_of_apic(const struct numa_topology *t, uint32_t apic_id)
{
	for (uint32_t i = 0; i < t->ncpus; i++)
		if (t->cpus[i].apic_id == apic_id)
			return t->cpus[i].node;
	return NUMA_NO_NODE;
}
