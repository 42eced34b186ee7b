/*
 * Memory map handling shared by boot/ (conversion from the firmware's
 * descriptors) and the kernel (summaries).  Pure functions: host tests
 * link lib/memmap.c directly.
 */
#ifndef NUMABOOT_MEMMAP_H
#define NUMABOOT_MEMMAP_H

#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

/* EFI_MEMORY_DESCRIPTOR field offsets (UEFI 2.10 §7.2.3); the stride
 * between descriptors is the size GetMemoryMap returned, never sizeof. */
#define EFI_MD_TYPE		0
#define EFI_MD_PHYS		8
#define EFI_MD_PAGES		24
#define EFI_MD_ATTR		32
#define EFI_MD_MIN_SIZE		40

/*
 * Convert raw descriptors [raw, raw + size) of desc_size bytes each into
 * out (capacity cap), dropping empty ones, sorted by address.  Returns the
 * number written; *overflow is set when cap was too small; *bad counts
 * descriptors whose end lies beyond 2^64 (dropped).  Returns 0 for a
 * desc_size below EFI_MD_MIN_SIZE.
 */
uint32_t memmap_convert(const uint8_t *raw, size_t size, size_t desc_size,
			struct boot_mem_range *out, uint32_t cap, int *overflow, uint32_t *bad);

/*
 * Usable RAM at or above limit (1 << MAX_PHYSMEM_BITS: the sparse memmap
 * has no sections there) is retyped BOOT_MEM_UNUSABLE, a range crossing the
 * limit split at it (when m has room for one more entry; else retyped
 * whole).  m stays sorted.  Returns the bytes refused; *first is the first
 * refused range [first[0], first[1]).  Pure.
 */
uint64_t memmap_refuse_above(struct boot_mem_range *m, uint32_t *n, uint32_t cap, uint64_t limit,
			     uint64_t first[2]);

struct memmap_summary {
	uint64_t bytes[BOOT_MEM_NTYPES + 1];	/* by type; [BOOT_MEM_NTYPES] = other */
	uint32_t entries[BOOT_MEM_NTYPES + 1];
	uint64_t usable;	/* boot_mem_usable() types */
	uint64_t ram;		/* RAM of any use (not MMIO, reserved or unusable) */
	uint64_t ram_top;	/* end of the highest RAM range */
	uint64_t top;		/* end of the highest range of any type */
	uint32_t overlaps;	/* ranges that overlap their predecessor */
	/* Sums saturate at UINT64_MAX rather than wrap. */
};

void memmap_summarize(const struct boot_mem_range *m, uint32_t n, struct memmap_summary *s);
const char *memmap_type_name(uint32_t type);

#endif
