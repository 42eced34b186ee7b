/*
 * Private to boot/: the UEFI client.  Only boot/ includes <efi.h>.
 * Everything here runs on the BSP before ExitBootServices, single-threaded,
 * with boot services available (except efi_exit_boot_services' tail).
 */
#ifndef BOOT_INTERNAL_H
#define BOOT_INTERNAL_H

#include <efi.h>
#include "boot_info.h"
#include "exit.h"

/* Print an ASCII message on ConOut (boot services only). */
void efi_puts(EFI_SYSTEM_TABLE *st, const char *msg);

/* End the boot with an exit code (include/exit.h) because the kernel
 * cannot be started: print why (only while boot_services is true) as text
 * and as a "loader_error" JSON line, then isa-debug-exit under QEMU, else
 * ResetSystem after a delay on screen.  Never returns. */
__attribute__((noreturn)) void efi_fail(EFI_SYSTEM_TABLE *st, enum exit_code code, const char *why,
					int boot_services);

/* Allocate pages of EfiLoaderData below max_addr (inclusive); 0 on failure. */
uint64_t efi_alloc_pages(EFI_SYSTEM_TABLE *st, uint64_t pages, uint64_t max_addr);

/* Fill bi->cmdline from the config file next to the image, then the load
 * options (later words override earlier ones in the kernel's parser). */
void efi_read_cmdline(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi);

#define EFI_PATH_MAX_CHARS	256	/* a path on the boot volume, NUL included */

/* Directory of the image ("\\EFI\\BOOT\\", with its trailing backslash; empty
 * when unknown), from the last file-path node of its device path; at most
 * EFI_PATH_MAX_CHARS - 16 characters, leaving room for a file name. */
void efi_image_dir(EFI_LOADED_IMAGE *li, CHAR16 *out);

/* out = the image's directory (the root when unknown) followed by name: the
 * path of a file or folder beside the image, cut at EFI_PATH_MAX_CHARS. */
void efi_image_path(EFI_LOADED_IMAGE *li, const CHAR16 *name, CHAR16 *out);

/* The root directory of the file system on device, or NULL. */
EFI_FILE_HANDLE efi_open_root(EFI_SYSTEM_TABLE *st, EFI_HANDLE device);

/* Read the ACPI table override folder beside the image into
 * bi->acpi_override (include/boot_info.h), each file into pages of its own. */
void efi_read_acpi_override(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi);

/* Size of the identity map and vmemmap page tables the kernel will build,
 * derived from the current memory map, in pages. */
uint64_t efi_early_heap_pages(EFI_SYSTEM_TABLE *st);

/* Exit boot services, retrying with a fresh map while the key is stale
 * (at most EXIT_MAX_ATTEMPTS calls), and leave the final map in bi->mmap.
 * Ends the boot through efi_fail() when it cannot. */
void efi_exit_boot_services(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi);

#endif
