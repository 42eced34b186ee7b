/*
 * The kernel command line: the config file numaboot.cfg next to the image on
 * the ESP (so a real machine needs no UEFI shell), then the image's load
 * options (from the shell or a boot entry), joined by a newline.  The kernel
 * parses and validates the result (kernel/options.c); here it is only
 * gathered and turned into ASCII.
 *
 * Load options set by a boot manager may be binary data rather than text;
 * anything that is not printable UCS-2 is ignored with a message.
 */
#include "internal.h"
#include "kstring.h"

#define CFG_NAME	L"numaboot.cfg"
#define PATH_MAX_CHARS	256

static void append(struct boot_info *bi, const char *s, size_t n)
{
	if (bi->cmdline_len && bi->cmdline_len < BOOT_CMDLINE_MAX - 1)
		bi->cmdline[bi->cmdline_len++] = '\n';
	for (size_t i = 0; i < n && bi->cmdline_len < BOOT_CMDLINE_MAX - 1; i++)
		bi->cmdline[bi->cmdline_len++] = s[i];
	bi->cmdline[bi->cmdline_len] = 0;
}

/* Directory of the image, from the last file-path node of its device path. */
static void image_dir(EFI_LOADED_IMAGE *li, CHAR16 *out)
{
	EFI_DEVICE_PATH *dp = li->FilePath;
	size_t n = 0, last_sep = 0;

	out[0] = 0;
	while (dp && !IsDevicePathEndType(dp)) {
		uint16_t len = DevicePathNodeLength(dp);

		if (len < 4)
			break;
		if (DevicePathType(dp) == MEDIA_DEVICE_PATH && DevicePathSubType(dp) == MEDIA_FILEPATH_DP) {
			const CHAR16 *p = ((FILEPATH_DEVICE_PATH *)dp)->PathName;
			size_t chars = (len - 4) / 2;

			for (size_t i = 0; i < chars && p[i] && n < PATH_MAX_CHARS - 16; i++) {
				if (p[i] == L'\\' && n && out[n - 1] == L'\\')
					continue;
				out[n++] = p[i] == L'/' ? L'\\' : p[i];
			}
		}
		dp = (EFI_DEVICE_PATH *)((uint8_t *)dp + len);
	}
	for (size_t i = 0; i < n; i++)
		if (out[i] == L'\\')
			last_sep = i + 1;
	out[last_sep] = 0;
}

static EFI_FILE_HANDLE open_root(EFI_SYSTEM_TABLE *st, EFI_HANDLE device)
{
	EFI_GUID fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs = NULL;
	EFI_FILE_HANDLE root = NULL;

	if (st->BootServices->HandleProtocol(device, &fs_guid, (void **)&fs) != EFI_SUCCESS || !fs)
		return NULL;
	if (fs->OpenVolume(fs, &root) != EFI_SUCCESS)
		return NULL;
	return root;
}

static void read_config(EFI_SYSTEM_TABLE *st, EFI_LOADED_IMAGE *li, struct boot_info *bi)
{
	CHAR16 path[PATH_MAX_CHARS];
	const CHAR16 *name = CFG_NAME;
	EFI_FILE_HANDLE root = open_root(st, li->DeviceHandle), file = NULL;
	char text[BOOT_CMDLINE_MAX];
	UINTN size = sizeof(text) - 1;
	size_t n;

	if (!root)
		return;
	image_dir(li, path);
	n = 0;
	while (path[n])
		n++;
	if (!n)
		path[n++] = L'\\';
	for (size_t i = 0; name[i]; i++)
		path[n++] = name[i];
	path[n] = 0;
	if (root->Open(root, &file, path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS) {
		root->Close(root);
		return;
	}
	if (file->Read(file, &size, text) == EFI_SUCCESS) {
		append(bi, text, size);
		efi_puts(st, "numaboot: read numaboot.cfg\n");
	}
	file->Close(file);
	root->Close(root);
}

static void read_load_options(EFI_SYSTEM_TABLE *st, EFI_LOADED_IMAGE *li, struct boot_info *bi)
{
	const CHAR16 *opt = li->LoadOptions;
	size_t chars = li->LoadOptionsSize / 2, start = 0;
	char text[BOOT_CMDLINE_MAX];
	size_t n = 0;

	if (!opt || !chars)
		return;
	while (chars && opt[chars - 1] == 0)
		chars--;
	for (size_t i = 0; i < chars; i++) {
		if (opt[i] != L'\t' && opt[i] != L'\n' && opt[i] != L'\r' &&
		    (opt[i] < 0x20 || opt[i] >= 0x7f)) {
			efi_puts(st, "numaboot: load options are not text; ignored\n");
			return;
		}
	}
	/* The UEFI shell passes the image name as the first word. */
	while (start < chars && opt[start] == L' ')
		start++;
	for (size_t i = start; i < chars && opt[i] != L' '; i++) {
		if (i >= start + 3 && (opt[i] == L'i' || opt[i] == L'I') && opt[i - 3] == L'.' &&
		    (i + 1 == chars || opt[i + 1] == L' ')) {
			start = i + 1;
			break;
		}
	}
	for (size_t i = start; i < chars && n < sizeof(text) - 1; i++)
		text[n++] = (char)opt[i];
	append(bi, text, n);
}

void efi_read_cmdline(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li = NULL;

	if (st->BootServices->HandleProtocol(image, &li_guid, (void **)&li) != EFI_SUCCESS || !li)
		return;
	read_config(st, li, bi);
	read_load_options(st, li, bi);
}
