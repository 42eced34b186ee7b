/*
 * efi_main: the UEFI entry point and the only UEFI client (with the rest of
 * boot/).  It captures what the kernel needs into one struct boot_info,
 * exits boot services and jumps to kernel_main on a stack of its own.
 *
 * GNU-EFI's crt0 relocates the image and calls efi_main with the SysV ABI,
 * so efi_main is not EFIAPI; with GNU_EFI_USE_MS_ABI the protocol function
 * pointers are ms_abi and are called directly.
 */
#include "internal.h"
#include "kstring.h"
#include "x86.h"

#define BOOT_STACK_PAGES	16		/* 64 KiB BSP stack */
#define BOOT_LOW_MEM_MAX	0xfffffULL	/* SIPI vectors address pages below 1 MiB */
#define BOOT_ANY_ADDR		(~0ULL)
#define BOOT_BELOW_4G		0xffffffffULL	/* APs load CR3 while still in 32-bit mode */

extern char __image_start[], __image_end[];

void efi_puts(EFI_SYSTEM_TABLE *st, const char *msg)
{
	CHAR16 buf[128];
	size_t i = 0;

	while (*msg) {
		if (*msg == '\n' && i < 126)
			buf[i++] = L'\r';
		buf[i++] = (CHAR16)*msg++;
		if (i >= 126 || !*msg) {
			buf[i] = 0;
			st->ConOut->OutputString(st->ConOut, buf);
			i = 0;
		}
	}
}

uint64_t efi_alloc_pages(EFI_SYSTEM_TABLE *st, uint64_t pages, uint64_t max_addr)
{
	EFI_PHYSICAL_ADDRESS addr = max_addr;
	EFI_ALLOCATE_TYPE how = max_addr == BOOT_ANY_ADDR ? AllocateAnyPages : AllocateMaxAddress;

	if (st->BootServices->AllocatePages(how, EfiLoaderData, pages, &addr) != EFI_SUCCESS)
		return 0;
	memset((void *)addr, 0, pages * 4096);
	return addr;
}

static uint64_t find_rsdp(EFI_SYSTEM_TABLE *st, uint32_t *revision)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t rsdp1 = 0;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];

		if (!memcmp(&t->VendorGuid, &acpi20, sizeof(EFI_GUID))) {
			*revision = 2;
			return (uint64_t)t->VendorTable;
		}
		if (!memcmp(&t->VendorGuid, &acpi10, sizeof(EFI_GUID)))
			rsdp1 = (uint64_t)t->VendorTable;
	}
	*revision = rsdp1 ? 1 : 0;
	return rsdp1;
}

static void find_framebuffer(EFI_SYSTEM_TABLE *st, struct boot_framebuffer *fb)
{
	EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;

	if (st->BootServices->LocateProtocol(&gop_guid, NULL, (void **)&gop) != EFI_SUCCESS ||
	    !gop || !gop->Mode || !gop->Mode->Info)
		return;
	info = gop->Mode->Info;
	switch (info->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor: fb->format = BOOT_FB_RGBX; break;
	case PixelBlueGreenRedReserved8BitPerColor: fb->format = BOOT_FB_BGRX; break;
	case PixelBitMask:
		fb->format = BOOT_FB_BITMASK;
		fb->red_mask = info->PixelInformation.RedMask;
		fb->green_mask = info->PixelInformation.GreenMask;
		fb->blue_mask = info->PixelInformation.BlueMask;
		break;
	default:
		return;	/* PixelBltOnly: no linear framebuffer */
	}
	fb->base = gop->Mode->FrameBufferBase;
	fb->size = gop->Mode->FrameBufferSize;
	fb->width = info->HorizontalResolution;
	fb->height = info->VerticalResolution;
	fb->pixels_per_line = info->PixelsPerScanLine;
}

static void copy_vendor(EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	const CHAR16 *v = st->FirmwareVendor;
	size_t i = 0;

	for (; v && v[i] && i < BOOT_VENDOR_MAX - 1; i++)
		bi->vendor[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	bi->vendor[i] = 0;
	bi->firmware_revision = st->FirmwareRevision;
}

static void image_bounds(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li = NULL;

	if (st->BootServices->HandleProtocol(image, &li_guid, (void **)&li) == EFI_SUCCESS && li) {
		bi->image_base = (uint64_t)li->ImageBase;
		bi->image_size = li->ImageSize;
	} else {
		bi->image_base = (uint64_t)__image_start;
		bi->image_size = (uint64_t)(__image_end - __image_start);
	}
}

static __attribute__((noreturn)) void jump_to_kernel(struct boot_info *bi)
{
	uint64_t top = bi->stack_base + bi->stack_size;

	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "call kernel_main\n\t"
			 "ud2"
			 : : "r"(top), "D"(bi) : "memory");
	__builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	uint64_t entry_tsc = rdtsc();	/* the firmware hand-off, for the timeline */
	struct boot_info *bi;
	uint64_t heap_pages;

	efi_puts(st, "numaboot: UEFI loader\n");
	bi = (struct boot_info *)efi_alloc_pages(st, (sizeof(*bi) + 4095) / 4096, BOOT_ANY_ADDR);
	if (!bi)
		efi_fail(st, EXIT_PANIC, "cannot allocate boot_info", 1);
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->efi_main_tsc = entry_tsc;
	copy_vendor(st, bi);
	image_bounds(image, st, bi);
	bi->rsdp = find_rsdp(st, &bi->acpi_revision);
	bi->efi_runtime = (uint64_t)st->RuntimeServices;
	find_framebuffer(st, &bi->fb);
	efi_read_cmdline(image, st, bi);
	efi_read_acpi_override(image, st, bi);

	bi->trampoline_page = efi_alloc_pages(st, 1, BOOT_LOW_MEM_MAX);
	if (!bi->trampoline_page)
		efi_puts(st, "numaboot: no free page below 1 MiB; APs will not be started\n");
	bi->stack_size = BOOT_STACK_PAGES * 4096;
	bi->stack_base = efi_alloc_pages(st, BOOT_STACK_PAGES, BOOT_ANY_ADDR);
	heap_pages = efi_early_heap_pages(st);
	bi->early_heap = efi_alloc_pages(st, heap_pages, BOOT_BELOW_4G);
	bi->early_heap_size = heap_pages * 4096;
	if (!bi->stack_base || !bi->early_heap)
		efi_fail(st, EXIT_PANIC, "cannot allocate the kernel stack or early heap", 1);
	bi->exit_bs_start_tsc = rdtsc();
	efi_exit_boot_services(image, st, bi);
	bi->exit_bs_done_tsc = rdtsc();
	jump_to_kernel(bi);
}
