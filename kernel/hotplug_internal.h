/* kernel/hotplug.c and kernel/hotplug_setup.c: the service's own interface. */
#ifndef NUMABOOT_KERNEL_HOTPLUG_INTERNAL_H
#define NUMABOOT_KERNEL_HOTPLUG_INTERNAL_H

#include "hotplug.h"

/* Identity-map [addr, addr + bytes) of d's region and the vmemmap of its
 * sections (page tables and DRAM memmap pages from boot memory, counted in
 * meta_pages).  0, or -1 when memory or page tables ran out. */
int hotplug_map(struct serve_ctx *s, struct hot_dev *d, uint64_t addr, uint64_t bytes);

#endif
