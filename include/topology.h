/*
 * The machine as the kernel will use it: ACPI tables parsed (acpi/) and
 * turned into the NUMA node table (numa/numa.c).  Boot CPU, once, after
 * paging_init (the tables are read through the identity map).
 */
#ifndef NUMABOOT_TOPOLOGY_H
#define NUMABOOT_TOPOLOGY_H

#include "acpi.h"
#include "boot_info.h"
#include "numa.h"

struct machine {
	struct acpi_info acpi;
	struct numa_topology numa;
};

/* Parse firmware tables into m and report the topology.  Never fails: no
 * ACPI at all degrades to one node with the boot CPU only. */
void topology_init(const struct boot_info *bi, struct machine *m);

#endif
