/*
 * Firmware tables to topology, and its report.  Boot CPU only.
 */
#include <stdint.h>
#include "kprintf.h"
#include "paging.h"
#include "topology.h"

static char topology_json[NUMA_JSON_BUF_SIZE];
static char override_json[ACPI_OVERRIDE_JSON_BUF_SIZE];

/* ACPI tables are read in place through the identity map. */
static const void *identity_map(uint64_t phys, size_t len, void *ctx)
{
	uint64_t top = *(const uint64_t *)ctx;

	if (!phys || phys + len < phys || phys + len > top)
		return NULL;
	return (const void *)phys;
}

void topology_init(const struct boot_info *bi, struct machine *m)
{
	struct paging_stats ps;

	paging_get_stats(&ps);
	acpi_info_init(&m->acpi);
	if (!bi->rsdp)
		kprintf("acpi: firmware gave no RSDP; one node, boot CPU only\n");
	else if (acpi_scan(bi->rsdp, identity_map, &ps.identity_top, &bi->acpi_override, &m->acpi))
		kprintf("acpi: table scan reported problems (see above)\n");
	acpi_override_emit_json(&m->acpi.override, override_json, sizeof(override_json));
	numa_build(&m->acpi, bi->mmap, bi->mmap_count, &m->numa);
	numa_print(&m->numa);
	numa_emit_json(&m->numa, topology_json, sizeof(topology_json));
}
