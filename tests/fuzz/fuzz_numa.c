/*
 * libFuzzer: tables -> numa_build() -> numa_print() and numa_emit_json(),
 * checking the node table's invariants (ranges, CPUs, persistent memory).
 * Input: byte 0 = n memory map entries (n & 31, 0: no map), n x 16 bytes
 * (phys u64, pages u32, type u32, little-endian), then ACPI tables back to
 * back, each as long as its header says.  Seeds: build/seeds/fuzz_numa.
 */
#include "fuzz_common.inc"
#include "numa.h"

static struct acpi_info info;
static struct numa_topology topo;
static char json[NUMA_JSON_BUF_SIZE];

/* Persistent memory: sorted, disjoint, page-aligned, below 2^46, on a
 * node, and the per-node sums match. */
static void check_pmem(void)
{
	uint64_t total = 0;

	if (topo.npmem > NUMA_MAX_PMEM)
		__builtin_trap();
	for (uint32_t i = 0; i < topo.npmem; i++) {
		const struct numa_pmem *p = &topo.pmem[i];

		if (p->start >= p->end || p->end > (1ull << 46) || ((p->start | p->end) & 4095) ||
		    p->node >= topo.nnodes || p->id != i || (i && p->start < topo.pmem[i - 1].end))
			__builtin_trap();
		total += p->end - p->start;
	}
	for (uint32_t i = 0; i < topo.nnodes; i++)
		total -= topo.nodes[i].pmem_bytes;
	if (total != 0)
		__builtin_trap();
}

static void check(void)
{
	uint64_t total = 0;

	if (topo.nnodes == 0 || topo.nnodes > NUMA_MAX_NODES)
		__builtin_trap();
	for (uint32_t i = 0; i < topo.nranges; i++) {
		if (topo.ranges[i].start >= topo.ranges[i].end || topo.ranges[i].node >= topo.nnodes)
			__builtin_trap();
		total += topo.ranges[i].end - topo.ranges[i].start;
	}
	for (uint32_t i = 0; i < topo.nnodes; i++)
		total -= topo.nodes[i].bytes;
	for (uint32_t i = 0; i < topo.ncpus; i++)
		if (topo.cpus[i].node >= topo.nnodes)
			__builtin_trap();
	if (total != 0)
		__builtin_trap();
	check_pmem();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_mem_range map[31];
	size_t n, off;

	if (size < 1)
		return 0;
	n = data[0] & 31;
	off = 1;
	for (size_t i = 0; i < n; i++, off += 16) {
		if (off + 16 > size)
			return 0;
		memset(&map[i], 0, sizeof(map[i]));
		memcpy(&map[i].phys, data + off, 8);
		memcpy(&map[i].pages, data + off + 8, 4);
		memcpy(&map[i].type, data + off + 12, 4);
	}
	acpi_info_init(&info);
	while (off + 36 <= size) {
		uint32_t len;

		memcpy(&len, data + off + 4, 4);
		if (len < 36 || len > size - off)
			break;
		acpi_parse_table(data + off, len, &info);
		off += len;
	}
	numa_build(&info, n ? map : NULL, n, &topo);
	check();
	numa_print(&topo);
	numa_emit_json(&topo, json, sizeof(json));
	return 0;
}
