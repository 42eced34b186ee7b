/*
 * The hand-off from boot/ (the only UEFI client) to kernel_main().
 *
 * Everything the kernel needs from firmware is in here, captured before
 * ExitBootServices; after the hand-off nothing calls boot services again.
 * All pointers are physical addresses, valid under the identity map.  All
 * memory that boot/ allocated for the kernel (this structure, the memory map
 * copy, the early heap, the BSP stack, the trampoline page) is of type
 * EfiLoaderData and therefore never counted as usable RAM (see mm/).
 */
#ifndef NUMABOOT_BOOT_INFO_H
#define NUMABOOT_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC		0x746f6f42616d754eULL	/* "NumaBoot" */
#define BOOT_INFO_VERSION	3
/* numaboot.cfg may hold up to BOOT_CONFIG_MAX bytes and the load options up
 * to BOOT_LOAD_OPTIONS_MAX characters; boot/ refuses longer ones by name
 * (exit bad_option) rather than cutting them. */
#define BOOT_CONFIG_MAX		8192
#define BOOT_LOAD_OPTIONS_MAX	1024
#define BOOT_CMDLINE_MAX	(BOOT_CONFIG_MAX + 1 + BOOT_LOAD_OPTIONS_MAX + 1)
#define BOOT_VENDOR_MAX		64

/*
 * Memory types, numbered as the UEFI specification numbers EFI_MEMORY_TYPE
 * (UEFI 2.10 §7.2, Table 7-6); kept as plain numbers so no EFI header leaks.
 */
enum boot_mem_type {
	BOOT_MEM_RESERVED		= 0,
	BOOT_MEM_LOADER_CODE		= 1,
	BOOT_MEM_LOADER_DATA		= 2,
	BOOT_MEM_BOOT_SERVICES_CODE	= 3,
	BOOT_MEM_BOOT_SERVICES_DATA	= 4,
	BOOT_MEM_RUNTIME_CODE		= 5,
	BOOT_MEM_RUNTIME_DATA		= 6,
	BOOT_MEM_CONVENTIONAL		= 7,
	BOOT_MEM_UNUSABLE		= 8,
	BOOT_MEM_ACPI_RECLAIM		= 9,
	BOOT_MEM_ACPI_NVS		= 10,
	BOOT_MEM_MMIO			= 11,
	BOOT_MEM_MMIO_PORT		= 12,
	BOOT_MEM_PAL_CODE		= 13,
	BOOT_MEM_PERSISTENT		= 14,
	BOOT_MEM_UNACCEPTED		= 15,
	BOOT_MEM_NTYPES			= 16,	/* anything above is counted as "other" */
};

/* One memory map entry: [phys, phys + pages * 4 KiB). */
struct boot_mem_range {
	uint64_t phys;
	uint64_t pages;
	uint64_t attr;		/* EFI_MEMORY_* attribute bits, as firmware gave them */
	uint32_t type;		/* enum boot_mem_type, or the firmware's raw value */
	uint32_t reserved;
};
_Static_assert(sizeof(struct boot_mem_range) == 32, "boot_mem_range layout");

enum boot_fb_format {
	BOOT_FB_NONE = 0,
	BOOT_FB_RGBX = 1,	/* byte 0 red */
	BOOT_FB_BGRX = 2,	/* byte 0 blue */
	BOOT_FB_BITMASK = 3,
};

struct boot_framebuffer {
	uint64_t base;
	uint64_t size;
	uint32_t width, height;
	uint32_t pixels_per_line;
	uint32_t format;	/* enum boot_fb_format */
	uint32_t red_mask, green_mask, blue_mask;
	uint32_t reserved;
};

/*
 * ACPI table override files (docs/acpi.md, "Table override"): every regular
 * file in BOOT_ACPI_OVERRIDE_DIR, the folder "acpi" beside the image, is one
 * binary table.  boot/ reads at most BOOT_ACPI_OVERRIDE_MAX_FILES files and
 * BOOT_ACPI_OVERRIDE_MAX_BYTES bytes in all; a file past either limit is
 * listed with its status and not read (its firmware table stays).  acpi/
 * checks and applies them (acpi_scan()).
 */
#define BOOT_ACPI_OVERRIDE_DIR		"acpi"
#define BOOT_ACPI_OVERRIDE_MAX_FILES	16
#define BOOT_ACPI_OVERRIDE_MAX_BYTES	(1u << 20)
#define BOOT_ACPI_OVERRIDE_NAME_MAX	64	/* file name bytes kept, NUL included */

enum boot_acpi_file_status {
	BOOT_ACPI_FILE_READ		= 0,	/* bytes at phys, length of them */
	BOOT_ACPI_FILE_TOO_LARGE	= 1,	/* over what is left of BOOT_ACPI_OVERRIDE_MAX_BYTES */
	BOOT_ACPI_FILE_UNREADABLE	= 2,	/* open, allocation or read failed */
};

struct boot_acpi_file {
	uint64_t phys;		/* the file's bytes (EfiLoaderData), 0 unless READ */
	uint64_t length;	/* file size in bytes, as the file system gave it */
	uint32_t status;	/* enum boot_acpi_file_status */
	uint32_t reserved;
	char name[BOOT_ACPI_OVERRIDE_NAME_MAX];	/* ASCII ('?' for others), NUL-terminated, cut to fit */
};

struct boot_acpi_override {
	uint32_t dir_found;	/* 1: the folder exists */
	uint32_t nfiles;	/* entries in file[], in directory order */
	uint32_t nbeyond;	/* regular files past BOOT_ACPI_OVERRIDE_MAX_FILES, not read */
	uint32_t reserved;
	struct boot_acpi_file file[BOOT_ACPI_OVERRIDE_MAX_FILES];
};

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t acpi_revision;		/* 2 when rsdp came from the ACPI 2.0 GUID, 1 for 1.0 */

	/* Memory map as of ExitBootServices, sorted by phys, copied descriptor by
	 * descriptor with the firmware's descriptor size. */
	struct boot_mem_range *mmap;
	uint32_t mmap_count;
	uint32_t mmap_desc_size;	/* as firmware reported them */
	uint32_t mmap_desc_version;
	uint32_t exit_attempts;		/* ExitBootServices calls until the key matched */
	uint32_t mmap_overflow;		/* 1: more descriptors than boot/ had room for */
	uint32_t mmap_bad;		/* descriptors dropped: end beyond 2^64 */
	uint32_t mmap_reserved0;
	uint64_t phys_refused_bytes;	/* usable RAM at or above 1 << MAX_PHYSMEM_BITS, */
	uint64_t phys_refused_first[2];	/* retyped unusable; the first such range */

	uint64_t rsdp;			/* physical address, 0 when firmware has none */
	uint64_t efi_runtime;		/* EFI_RUNTIME_SERVICES *, for ResetSystem */

	struct boot_framebuffer fb;

	uint64_t trampoline_page;	/* 4 KiB below 1 MiB for the AP trampoline, 0 if none */
	uint64_t early_heap;		/* page-aligned scratch for page tables etc. */
	uint64_t early_heap_size;
	uint64_t stack_base;		/* BSP stack [base, base + size) */
	uint64_t stack_size;
	uint64_t image_base;		/* this image as loaded */
	uint64_t image_size;

	char vendor[BOOT_VENDOR_MAX];	/* firmware vendor, ASCII */
	uint32_t firmware_revision;
	uint32_t cmdline_len;
	char cmdline[BOOT_CMDLINE_MAX];	/* config file, then load options; ASCII, NUL-terminated */

	/* Boot CPU TSC at efi_main entry (the firmware hand-off) and around
	 * the ExitBootServices loop: the first phases of the timeline. */
	uint64_t efi_main_tsc;
	uint64_t exit_bs_start_tsc;
	uint64_t exit_bs_done_tsc;

	struct boot_acpi_override acpi_override;	/* the table override folder */
};

/*
 * RAM the kernel may hand out once boot services are gone: free memory and
 * what boot services used.  Loader code/data (this image, boot_info, the
 * early heap, stacks) and everything else stay reserved.
 */
static inline int boot_mem_usable(uint32_t type)
{
	return type == BOOT_MEM_CONVENTIONAL || type == BOOT_MEM_BOOT_SERVICES_CODE ||
	       type == BOOT_MEM_BOOT_SERVICES_DATA;
}

/* Entered on the BSP with interrupts disabled, on boot_info->stack, under the
 * firmware's identity-mapped page tables.  Never returns. */
__attribute__((noreturn)) void kernel_main(const struct boot_info *bi);

/* Provided by boot/: store data in the non-volatile UEFI variable
 * name-4e554d41-424f-4f54-8d1e-4f5a2b3c1107 (readable from Linux through
 * efivarfs).  Returns 0, or -1 when the firmware refused. */
int boot_efi_set_variable(uint64_t efi_runtime, const char *name, const void *data, uint64_t len);

/* Provided by boot/: power off through UEFI runtime ResetSystem. */
__attribute__((noreturn)) void boot_efi_poweroff(uint64_t efi_runtime, uint64_t status);

#endif
