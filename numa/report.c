/*
 * The node table's report: the human table in the style of
 * `numactl --hardware` and the "topology" JSON record (docs/acpi.md).
 * Read-only on a built struct numa_topology; boot CPU or host.
 */
#include "numa.h"
#include "json.h"
#include "kprintf.h"

static const char *const numa_source_names[] = {
	[NUMA_SRC_SRAT] = "srat", [NUMA_SRC_NONE] = "none", [NUMA_SRC_FALLBACK] = "fallback",
};

static const char *const numa_pmem_source_names[] = {
	[NUMA_PMEM_NFIT] = "nfit", [NUMA_PMEM_EFI] = "efi",
};

/* "node K cpus: 0 1 2", enabled CPUs in MADT order; online-capable apart. */
static void print_node_cpus(const struct numa_topology *t, uint32_t node, bool enabled)
{
	for (uint32_t i = 0; i < t->ncpus; i++)
		if (t->cpus[i].node == node && t->cpus[i].enabled == enabled)
			kprintf(" %u", t->cpus[i].apic_id);
}

static void print_node(const struct numa_topology *t, const struct numa_node *nd)
{
	kprintf("node %u cpus:", nd->id);
	print_node_cpus(t, nd->id, true);
	kprintf("\n");
	if (nd->ncpus_offline) {
		kprintf("node %u online-capable cpus:", nd->id);
		print_node_cpus(t, nd->id, false);
		kprintf("\n");
	}
	kprintf("node %u size: %llu MB\n", nd->id, (unsigned long long)(nd->bytes >> 20));
	for (uint32_t r = nd->range_first; r < nd->range_first + nd->nranges; r++)
		kprintf("node %u range: [0x%llx, 0x%llx)\n", nd->id,
			(unsigned long long)t->ranges[r].start, (unsigned long long)t->ranges[r].end);
	if (nd->npmem)
		kprintf("node %u pmem: %llu MB in %u range%s\n", nd->id,
			(unsigned long long)(nd->pmem_bytes >> 20), nd->npmem, nd->npmem == 1 ? "" : "s");
	for (uint32_t i = 0; i < t->npmem; i++)
		if (t->pmem[i].node == nd->id)
			kprintf("node %u pmem range: [0x%llx, 0x%llx) %s\n", nd->id,
				(unsigned long long)t->pmem[i].start, (unsigned long long)t->pmem[i].end,
				numa_pmem_source_names[t->pmem[i].source]);
	if (nd->memless)
		kprintf("node %u: memory-less (pxm %u); its CPUs help node %d\n", nd->id, nd->pxm,
			nd->helps == NUMA_NO_NODE ? -1 : (int)nd->helps);
	if (nd->cpuless)
		kprintf("node %u: CPU-less (pxm %u); initialized by node %d\n", nd->id, nd->pxm,
			nd->init_by == NUMA_NO_NODE ? -1 : (int)nd->init_by);
}

void numa_print(const struct numa_topology *t)
{
	kprintf("available: %u nodes (0", t->nnodes);
	if (t->nnodes > 1)
		kprintf("-%u", t->nnodes - 1);
	kprintf(")\n");
	for (uint32_t i = 0; i < t->nnodes; i++)
		print_node(t, &t->nodes[i]);
	kprintf("node distances:\nnode ");
	for (uint32_t j = 0; j < t->nnodes; j++)
		kprintf(" %3u", j);
	kprintf("\n");
	for (uint32_t i = 0; i < t->nnodes; i++) {
		kprintf("%3u: ", i);
		for (uint32_t j = 0; j < t->nnodes; j++)
			kprintf(" %3u", t->distance[i][j]);
		kprintf("\n");
	}
	kprintf("source: %s%s%s%s\n", numa_source_names[t->source],
		t->source != NUMA_SRC_SRAT ? " (" : "", t->source != NUMA_SRC_SRAT ? t->reason : "",
		t->source != NUMA_SRC_SRAT ? ")" : "");
	if (t->npmem || t->npmem_skipped)
		kprintf("persistent memory: %u range%s kept, %u skipped\n", t->npmem,
			t->npmem == 1 ? "" : "s", t->npmem_skipped);
	if (t->ncpus_not_in_srat || t->bytes_outside_srat)
		kprintf("warning: %u CPUs not in the SRAT (on node 0), %llu MB outside SRAT ranges\n",
			t->ncpus_not_in_srat, (unsigned long long)(t->bytes_outside_srat >> 20));
}

/* "key":<node>, or "key":null for NUMA_NO_NODE. */
static void json_node_or_null(struct json *j, const char *key, uint32_t node)
{
	if (node == NUMA_NO_NODE)
		json_null(j, key);
	else
		json_u64(j, key, node);
}

static void json_node(struct json *j, const struct numa_topology *t, const struct numa_node *nd)
{
	json_obj_begin(j, NULL);
	json_u64(j, "id", nd->id);
	json_u64(j, "pxm", nd->pxm);
	json_arr_begin(j, "cpus");
	for (uint32_t i = 0; i < t->ncpus; i++)
		if (t->cpus[i].node == nd->id && t->cpus[i].enabled)
			json_u64(j, NULL, t->cpus[i].apic_id);
	json_arr_end(j);
	json_arr_begin(j, "online_capable_cpus");
	for (uint32_t i = 0; i < t->ncpus; i++)
		if (t->cpus[i].node == nd->id && !t->cpus[i].enabled)
			json_u64(j, NULL, t->cpus[i].apic_id);
	json_arr_end(j);
	json_arr_begin(j, "ranges");
	for (uint32_t r = nd->range_first; r < nd->range_first + nd->nranges; r++) {
		json_arr_begin(j, NULL);
		json_hex(j, NULL, t->ranges[r].start);
		json_hex(j, NULL, t->ranges[r].end);
		json_arr_end(j);
	}
	json_arr_end(j);
	json_u64(j, "bytes", nd->bytes);
	json_bool(j, "memless", nd->memless);
	json_bool(j, "cpuless", nd->cpuless);
	json_node_or_null(j, "helps", nd->helps);
	json_node_or_null(j, "init_by", nd->init_by);
	json_u64(j, "pmem_bytes", nd->pmem_bytes);
	json_arr_begin(j, "pmem");
	for (uint32_t i = 0; i < t->npmem; i++)
		if (t->pmem[i].node == nd->id)
			json_u64(j, NULL, t->pmem[i].id);
	json_arr_end(j);
	json_obj_end(j);
}

static void json_pmem(struct json *j, const struct numa_pmem *p)
{
	json_obj_begin(j, NULL);
	json_u64(j, "id", p->id);
	json_u64(j, "node", p->node);
	json_u64(j, "pxm", p->pxm);
	json_str(j, "source", numa_pmem_source_names[p->source]);
	json_hex(j, "start", p->start);
	json_hex(j, "end", p->end);
	json_u64(j, "bytes", p->end - p->start);
	json_u64(j, "spa_index", p->spa_index);
	json_hex(j, "flags", p->flags);
	json_obj_end(j);
}

void numa_emit_json(const struct numa_topology *t, char *buf, size_t size)
{
	struct json j;

	json_begin(&j, buf, size, "topology");
	json_str(&j, "source", numa_source_names[t->source]);
	if (t->source != NUMA_SRC_SRAT)
		json_str(&j, "reason", t->reason);
	json_bool(&j, "slit", t->slit_used);
	json_str(&j, "distances_from", t->slit_used ? "slit" : t->slit_partial ? "slit+default" : "default");
	if (!t->slit_used)
		json_str(&j, "distances_reason", t->distance_reason);
	json_u64(&j, "cpus_not_in_srat", t->ncpus_not_in_srat);
	json_u64(&j, "bytes_outside_srat", t->bytes_outside_srat);
	json_arr_begin(&j, "nodes");
	for (uint32_t i = 0; i < t->nnodes; i++)
		json_node(&j, t, &t->nodes[i]);
	json_arr_end(&j);
	json_arr_begin(&j, "distances");
	for (uint32_t i = 0; i < t->nnodes; i++) {
		json_arr_begin(&j, NULL);
		for (uint32_t k = 0; k < t->nnodes; k++)
			json_u64(&j, NULL, t->distance[i][k]);
		json_arr_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "pmem");
	for (uint32_t i = 0; i < t->npmem; i++)
		json_pmem(&j, &t->pmem[i]);
	json_arr_end(&j);
	json_u64(&j, "pmem_skipped", t->npmem_skipped);
	json_emit(&j);
}
