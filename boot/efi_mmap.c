/*
 * The memory map and ExitBootServices (UEFI 2.10 §7.2 GetMemoryMap, §7.4
 * ExitBootServices).  Descriptors are walked with the descriptor size the
 * firmware returns, never sizeof(EFI_MEMORY_DESCRIPTOR): firmware may append
 * fields.  After a failed ExitBootServices only GetMemoryMap and
 * ExitBootServices may be called, so every buffer is allocated up front with
 * slack for the allocations that follow.
 */
#include "internal.h"
#include "memmap.h"
#include "page.h"

#define MMAP_SLACK_DESCS	64
#define EXIT_MAX_ATTEMPTS	8
#define GIB			(1ULL << 30)
#define PT_ENTRIES		512ULL
#define EARLY_HEAP_EXTRA_PAGES	4096ULL

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Highest physical address any memory map entry reaches. */
static uint64_t map_top(EFI_SYSTEM_TABLE *st)
{
	UINTN size = 0, key, desc_size = 0;
	UINT32 version;
	uint64_t top = 0;
	uint8_t *buf = NULL;

	st->BootServices->GetMemoryMap(&size, NULL, &key, &desc_size, &version);
	size += MMAP_SLACK_DESCS * desc_size;
	if (st->BootServices->AllocatePool(EfiLoaderData, size, (void **)&buf) != EFI_SUCCESS)
		return 4 * GIB;
	if (st->BootServices->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)buf, &key,
					   &desc_size, &version) == EFI_SUCCESS) {
		for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
			EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(buf + off);
			uint64_t end = d->PhysicalStart + d->NumberOfPages * 4096;

			if (end > top)
				top = end;
		}
	}
	st->BootServices->FreePool(buf);
	return top;
}

/*
 * Page-table pages for the kernel's identity map of [0, top) at 2 MiB
 * granularity (the worst case; 1 GiB pages need fewer), for the vmemmap
 * (64 bytes of struct page per 4 KiB, mapped with 2 MiB pages), and 1 MiB
 * for descriptor tables and other early structures.
 */
uint64_t efi_early_heap_pages(EFI_SYSTEM_TABLE *st)
{
	uint64_t top = map_top(st), memmap;

	if (top < 4 * GIB)
		top = 4 * GIB;	/* LAPIC, IOAPIC, HPET live just below 4 GiB */
	memmap = top / 64;
	return 1 + div_round_up(top, GIB) + div_round_up(top, PT_ENTRIES * GIB) +
	       div_round_up(memmap, GIB) + div_round_up(memmap, PT_ENTRIES * GIB) + 2 +
	       EARLY_HEAP_EXTRA_PAGES;
}

/* Room for the map as it is now plus MMAP_SLACK_DESCS: the raw buffer and
 * the converted copy.  Any number of descriptors is supported: the buffers
 * are sized from the firmware's answer, never from a fixed count. */
static uint64_t alloc_map_buffers(EFI_SYSTEM_TABLE *st, struct boot_info *bi, UINTN *desc_size,
				  uint8_t **raw, UINTN *capacity)
{
	UINTN size = 0, key;
	UINT32 version;
	uint64_t raw_pages;

	st->BootServices->GetMemoryMap(&size, NULL, &key, desc_size, &version);
	if (*desc_size < EFI_MD_MIN_SIZE)
		efi_fail(st, EXIT_PANIC, "GetMemoryMap gave no usable descriptor size", 1);
	*capacity = size / *desc_size + MMAP_SLACK_DESCS;
	raw_pages = div_round_up(*capacity * *desc_size, 4096);
	*raw = (uint8_t *)efi_alloc_pages(st, raw_pages, ~0ULL);
	bi->mmap = (struct boot_mem_range *)efi_alloc_pages(
		st, div_round_up(*capacity * sizeof(struct boot_mem_range), 4096), ~0ULL);
	if (!*raw || !bi->mmap)
		efi_fail(st, EXIT_PANIC, "cannot allocate room for the memory map", 1);
	return raw_pages * 4096;
}

/*
 * GetMemoryMap, then ExitBootServices with its key; when the key is stale
 * (EFI_INVALID_PARAMETER: an event callback allocated or freed memory in
 * between) read the map again into the same buffer and retry.  Each retry
 * needs a firmware callback to run in that short window again, so a map
 * that keeps changing means firmware that never lets go: after
 * EXIT_MAX_ATTEMPTS the boot ends.  After the first failed call only
 * GetMemoryMap and ExitBootServices are allowed, so the buffers were
 * allocated before and every failure from here ends through efi_fail().
 */
void efi_exit_boot_services(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	UINTN size, key, desc_size = 0, capacity;
	UINT32 version = 0;
	uint64_t raw_bytes;
	uint8_t *raw;
	EFI_STATUS status = EFI_INVALID_PARAMETER;
	int overflow;

	raw_bytes = alloc_map_buffers(st, bi, &desc_size, &raw, &capacity);
	efi_puts(st, "numaboot: exiting boot services\n");
	for (uint32_t attempt = 1; attempt <= EXIT_MAX_ATTEMPTS && status != EFI_SUCCESS; attempt++) {
		size = raw_bytes;
		if (bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)raw, &key, &desc_size,
				     &version) != EFI_SUCCESS)
			efi_fail(st, EXIT_PANIC, "GetMemoryMap failed (the map outgrew its slack)",
				 attempt == 1);
		status = bs->ExitBootServices(image, key);
		bi->exit_attempts = attempt;
	}
	if (status != EFI_SUCCESS)
		efi_fail(st, EXIT_PANIC, "ExitBootServices kept failing", 0);
	bi->mmap_desc_size = (uint32_t)desc_size;
	bi->mmap_desc_version = version;
	bi->mmap_count = memmap_convert(raw, size, desc_size, bi->mmap, (uint32_t)capacity,
					&overflow, &bi->mmap_bad);
	bi->mmap_overflow = (uint32_t)overflow;
	bi->phys_refused_bytes = memmap_refuse_above(bi->mmap, &bi->mmap_count, (uint32_t)capacity,
						     1ULL << MAX_PHYSMEM_BITS, bi->phys_refused_first);
}
