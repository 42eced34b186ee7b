/*
 * Private to the node table (numa/numa.c, numa/pmem.c): the scratch state
 * of one numa_build() call.  It lives on numa_build()'s stack; nothing of a
 * build is kept in file statics.
 */
#ifndef NUMABOOT_NUMA_INTERNAL_H
#define NUMABOOT_NUMA_INTERNAL_H

#include "numa.h"

struct numa_build_ctx {
	const struct acpi_info *acpi;
	struct numa_topology *out;
	bool single;				/* one node 0: no SRAT, or not trusted */
	uint32_t ndom;
	uint32_t dom[NUMA_MAX_NODES];		/* sorted proximity domains */
	uint32_t node_of_dom[NUMA_MAX_NODES];	/* dense id or NUMA_NO_NODE */
};

/* Index of proximity domain d in c->dom, NUMA_NO_NODE when the SRAT has none.
 * Here, not in numa.c, so that pmem.c depends on this header only (numa.c
 * calls pmem.c; nothing calls back). */
static inline uint32_t numa_dom_index(const struct numa_build_ctx *c, uint32_t d)
{
	for (uint32_t i = 0; i < c->ndom; i++)
		if (c->dom[i] == d)
			return i;
	return NUMA_NO_NODE;
}

/*
 * Persistent memory (numa/pmem.c).  numa_pmem_collect() runs after the
 * node memory ranges were collected and before the nodes are numbered: it
 * checks every NFIT and EFI range, reports and counts the bad ones, and
 * keeps the good ones in out->pmem[] with .node holding the domain index
 * (0 when c->single).  numa_pmem_finish() runs once the nodes are
 * numbered: node ids, sorting by start, device ids, per-node totals.
 */
void numa_pmem_collect(struct numa_build_ctx *c, const struct boot_mem_range *mmap, size_t n);
void numa_pmem_finish(struct numa_build_ctx *c);

#endif
