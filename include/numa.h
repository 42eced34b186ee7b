/*
 * NUMA node table (numa/numa.c): the SRAT's proximity domains turned into
 * dense node ids, each node's usable memory as sorted [start, end) ranges,
 * each CPU's node, the distances, which node's CPUs initialize a node
 * that has none, and the persistent-memory ranges (NFIT, EFI) per node.  Built once by the boot CPU from struct acpi_info and the
 * memory map; read-only afterwards (any CPU may read it).
 *
 * struct numa_topology is about 250 KiB: keep it static.  See docs/acpi.md
 * for the rules (fallbacks, CPUs missing from the SRAT, memory outside it)
 * and the "topology" JSON record.
 */
#ifndef NUMABOOT_NUMA_H
#define NUMABOOT_NUMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi.h"
#include "boot_info.h"

#define NUMA_MAX_NODES		ACPI_MAX_DOMAINS
#define NUMA_MAX_CPUS		ACPI_MAX_CPUS
#define NUMA_MAX_RANGES		4096	/* all nodes together, after merging */
#define NUMA_NO_NODE		UINT32_MAX
#define NUMA_DIST_LOCAL		10	/* distances without a (trusted) SLIT */
#define NUMA_DIST_REMOTE	20
#define NUMA_REASON_MAX		128
#define NUMA_MAX_PMEM		64	/* persistent-memory ranges kept, all nodes */

/* Large enough for numa_emit_json() at every limit above. */
#define NUMA_JSON_BUF_SIZE	(2048 + NUMA_MAX_NODES * (232 + NUMA_MAX_NODES * 4 + 4) + \
				 NUMA_MAX_CPUS * 12 + NUMA_MAX_RANGES * 48 + NUMA_MAX_PMEM * 200)

enum numa_source {
	NUMA_SRC_SRAT,		/* nodes from the SRAT */
	NUMA_SRC_NONE,		/* no SRAT: one node */
	NUMA_SRC_FALLBACK,	/* SRAT present but not trusted: one node, see reason */
};

struct numa_range {
	uint64_t start, end;	/* [start, end), bytes */
	uint32_t node;
};

/* Where a persistent-memory range was found. */
enum numa_pmem_source {
	NUMA_PMEM_NFIT,		/* ACPI NFIT SPA range, persistent-memory type */
	NUMA_PMEM_EFI,		/* EfiPersistentMemory descriptor in the UEFI memory map */
};

/*
 * A persistent-memory (device) range that passed every check: non-empty,
 * below 1 << MAX_PHYSMEM_BITS, overlapping no RAM and no other device, its
 * proximity domain a known node.  Ranges that fail are reported by name
 * and not kept (numa_topology.npmem_skipped counts them).
 */
struct numa_pmem {
	uint64_t start, end;	/* [start, end), bytes */
	uint32_t node;		/* dense node id */
	uint32_t id;		/* dense device id: its index in numa_topology.pmem */
	uint32_t source;	/* enum numa_pmem_source */
	uint32_t spa_index;	/* NFIT SPA range structure index; 0 for EFI */
	uint32_t pxm;		/* proximity domain as the firmware gave it */
	uint32_t flags;		/* NFIT SPA flags (ACPI 6.5 §5.2.26.2); 0 for EFI */
};

struct numa_node {
	uint32_t id;		/* dense, 0..nnodes-1, ascending proximity domain */
	uint32_t pxm;		/* ACPI proximity domain */
	uint32_t range_first;	/* ranges[range_first .. range_first + nranges) */
	uint32_t nranges;
	uint64_t bytes;		/* sum of its ranges */
	uint32_t ncpus;		/* enabled CPUs */
	uint32_t ncpus_offline;	/* online-capable, not enabled */
	bool memless;		/* has CPUs, no memory */
	bool cpuless;		/* has memory (DRAM or persistent), no enabled CPU */
	uint32_t helps;		/* memless: nearest node with memory, else NUMA_NO_NODE */
	uint32_t init_by;	/* cpuless: nearest node with CPUs, else NUMA_NO_NODE */
	uint64_t pmem_bytes;	/* persistent memory of this node (sum of its pmem[]) */
	uint32_t npmem;		/* its persistent-memory ranges */
};

struct numa_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
	uint32_t node;
	bool enabled;		/* start it; else online_capable only */
	bool online_capable;
	bool x2apic;		/* MADT x2APIC entry */
	bool in_srat;		/* false: not in the SRAT, placed on node 0 */
};

struct numa_topology {
	enum numa_source source;
	char reason[NUMA_REASON_MAX];	/* why, when source != NUMA_SRC_SRAT */
	bool slit_used;		/* every distance came from the SLIT */
	bool slit_partial;	/* some did, the rest are 10/20 defaults */
	char distance_reason[NUMA_REASON_MAX];	/* why 10/20 defaults were used, if any */
	uint32_t nnodes;
	uint32_t ncpus;		/* MADT order; the BSP may be anywhere */
	uint32_t nranges;
	uint32_t ncpus_not_in_srat;
	uint64_t bytes_outside_srat;	/* usable memory no SRAT range covered */
	uint64_t bytes_dropped;		/* only if NUMA_MAX_RANGES overflowed (reported) */
	struct numa_node nodes[NUMA_MAX_NODES];
	struct numa_cpu cpus[NUMA_MAX_CPUS];
	struct numa_range ranges[NUMA_MAX_RANGES];	/* by node, then start */
	uint8_t distance[NUMA_MAX_NODES][NUMA_MAX_NODES];	/* by node id */
	uint32_t npmem;
	uint32_t npmem_skipped;		/* ranges reported and left out */
	struct numa_pmem pmem[NUMA_MAX_PMEM];	/* sorted by start */
};

/*
 * Build *out from the parsed tables and the memory map.  mmap may be NULL
 * (host tool): the SRAT's non-hot-pluggable ranges are then taken as they
 * are.  Never fails: a missing or untrustworthy SRAT gives one node, with
 * the reason in out->reason and on the console.  Boot CPU, once.
 */
void numa_build(const struct acpi_info *acpi, const struct boot_mem_range *mmap, size_t n,
		struct numa_topology *out);

/* Node of a CPU by APIC id, NUMA_NO_NODE when unknown. */
uint32_t numa_node_of_apic(const struct numa_topology *t, uint32_t apic_id);

/* Human table in the style of `numactl --hardware`, via kprintf. */
void numa_print(const struct numa_topology *t);

/* One "kind":"topology" JSON line (docs/acpi.md) built in buf (size
 * NUMA_JSON_BUF_SIZE suffices) and written to the console. */
void numa_emit_json(const struct numa_topology *t, char *buf, size_t size);

#endif
