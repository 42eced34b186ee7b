/*
 * The ACPI table override folder (docs/acpi.md, "Table override"): every
 * regular file in the folder BOOT_ACPI_OVERRIDE_DIR beside the image
 * (\EFI\BOOT\acpi\ for the removable-media path) is read into pages of
 * EfiLoaderData of its own, which survive ExitBootServices, and listed in
 * bi->acpi_override.  Nothing is judged here: acpi/ checks each table as it
 * checks a firmware table and reports every file (kernel console and JSON).
 *
 * Limits (include/boot_info.h): at most BOOT_ACPI_OVERRIDE_MAX_FILES files
 * are listed (later ones are counted in nbeyond) and at most
 * BOOT_ACPI_OVERRIDE_MAX_BYTES bytes read in all (a file that does not fit
 * is listed TOO_LARGE and not read).  Subdirectories are ignored.
 * efi_main only, before ExitBootServices.
 */
#include "internal.h"
#include "kstring.h"

#define DIR_NAME		L"acpi"
/* EFI_FILE_INFO with a file name of up to 255 UCS-2 characters (FAT's
 * long-name limit) and its NUL. */
#define FILE_INFO_BUF_BYTES	(SIZE_OF_EFI_FILE_INFO + 256 * sizeof(CHAR16))
#define PAGE_BYTES		4096
#define ANY_ADDR		(~0ULL)

/* UCS-2 name to ASCII, '?' for anything else, cut to the room there is. */
static void copy_name(const CHAR16 *in, char *out)
{
	size_t i = 0;

	for (; in[i] && i < BOOT_ACPI_OVERRIDE_NAME_MAX - 1; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? (char)in[i] : '?';
	out[i] = 0;
}

static EFI_FILE_HANDLE open_dir(EFI_LOADED_IMAGE *li, EFI_FILE_HANDLE root)
{
	CHAR16 path[EFI_PATH_MAX_CHARS];
	EFI_FILE_HANDLE dir = NULL;

	efi_image_path(li, DIR_NAME, path);
	if (root->Open(root, &dir, path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
		return NULL;
	return dir;
}

/* Read the file named info->FileName in dir into fresh pages; f->status
 * says how it went. */
static void read_file(EFI_SYSTEM_TABLE *st, EFI_FILE_HANDLE dir, const EFI_FILE_INFO *info,
		      struct boot_acpi_file *f)
{
	EFI_FILE_HANDLE file = NULL;
	uint64_t buf, n = 0;

	f->status = BOOT_ACPI_FILE_UNREADABLE;
	if (dir->Open(dir, &file, (CHAR16 *)info->FileName, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
		return;
	buf = efi_alloc_pages(st, (f->length + PAGE_BYTES - 1) / PAGE_BYTES + !f->length, ANY_ADDR);
	while (buf && n < f->length) {
		UINTN chunk = f->length - n;

		if (file->Read(file, &chunk, (void *)(buf + n)) != EFI_SUCCESS || !chunk)
			break;
		n += chunk;
	}
	file->Close(file);
	if (!buf || n != f->length)
		return;
	f->phys = buf;
	f->status = BOOT_ACPI_FILE_READ;
}

/* One directory entry: list it (and read it) unless a limit says no. */
static void take_entry(EFI_SYSTEM_TABLE *st, EFI_FILE_HANDLE dir, const EFI_FILE_INFO *info,
		       struct boot_acpi_override *ov, uint64_t *bytes)
{
	struct boot_acpi_file *f;

	if (info->Attribute & EFI_FILE_DIRECTORY)
		return;
	if (ov->nfiles == BOOT_ACPI_OVERRIDE_MAX_FILES) {
		ov->nbeyond++;
		return;
	}
	f = &ov->file[ov->nfiles++];
	copy_name(info->FileName, f->name);
	f->length = info->FileSize;
	if (f->length > BOOT_ACPI_OVERRIDE_MAX_BYTES - *bytes) {
		f->status = BOOT_ACPI_FILE_TOO_LARGE;
		return;
	}
	read_file(st, dir, info, f);
	if (f->status == BOOT_ACPI_FILE_READ)
		*bytes += f->length;
}

void efi_read_acpi_override(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li = NULL;
	EFI_FILE_HANDLE root, dir;
	uint64_t info_buf[(FILE_INFO_BUF_BYTES + 7) / 8];
	struct boot_acpi_override *ov = &bi->acpi_override;
	uint64_t bytes = 0;

	if (st->BootServices->HandleProtocol(image, &li_guid, (void **)&li) != EFI_SUCCESS || !li)
		return;
	root = efi_open_root(st, li->DeviceHandle);
	if (!root)
		return;
	dir = open_dir(li, root);
	if (dir) {
		ov->dir_found = 1;
		for (;;) {
			UINTN size = sizeof(info_buf);

			if (dir->Read(dir, &size, info_buf) != EFI_SUCCESS || !size)
				break;	/* the end, or a name past FAT's limit: stop listing */
			take_entry(st, dir, (const EFI_FILE_INFO *)info_buf, ov, &bytes);
		}
		dir->Close(dir);
		efi_puts(st, "numaboot: read the ACPI table override folder\n");
	}
	root->Close(root);
}
