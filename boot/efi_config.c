/*
 * The kernel command line: the config file numaboot.cfg next to the image on
 * the ESP (so a real machine needs no UEFI shell), then the image's load
 * options (from the shell or a boot entry), joined by a newline.  The kernel
 * parses and validates the result (kernel/options.c); here it is only
 * gathered and turned into ASCII.
 *
 * Load options set by a boot manager may be binary data rather than text;
 * anything that is not printable UCS-2 is ignored with a message.  A config
 * file over BOOT_CONFIG_MAX bytes or load options over BOOT_LOAD_OPTIONS_MAX
 * characters end the boot with bad_option, naming the limit: cutting them
 * would split a word and hide every option after the cut.
 */
#include "internal.h"
#include "kprintf.h"
#include "kstring.h"

#define CFG_NAME	L"numaboot.cfg"

/* Room: BOOT_CMDLINE_MAX holds both limits, the separator and the NUL. */
static void append(struct boot_info *bi, const char *s, size_t n)
{
	if (bi->cmdline_len)
		bi->cmdline[bi->cmdline_len++] = '\n';
	for (size_t i = 0; i < n; i++)
		bi->cmdline[bi->cmdline_len++] = s[i];
	bi->cmdline[bi->cmdline_len] = 0;
}

static void too_long(EFI_SYSTEM_TABLE *st, const char *what, unsigned limit)
{
	char msg[160];

	ksnprintf(msg, sizeof(msg), "%s is longer than its limit of %u (%s); nothing was cut: "
		  "shorten it", what, limit,
		  limit == BOOT_CONFIG_MAX ? "bytes, BOOT_CONFIG_MAX" : "characters, BOOT_LOAD_OPTIONS_MAX");
	efi_fail(st, EXIT_BAD_OPTION, msg, 1);
}

/* Read all of an open file, up to BOOT_CONFIG_MAX + 1 bytes (one more than
 * allowed, to tell a file at the limit from a longer one). */
static size_t read_all(EFI_FILE_HANDLE file, char *text)
{
	size_t n = 0;

	while (n <= BOOT_CONFIG_MAX) {
		UINTN chunk = BOOT_CONFIG_MAX + 1 - n;

		if (file->Read(file, &chunk, text + n) != EFI_SUCCESS || !chunk)
			break;
		n += chunk;
	}
	return n;
}

void efi_image_dir(EFI_LOADED_IMAGE *li, CHAR16 *out)
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

			for (size_t i = 0; i < chars && p[i] && n < EFI_PATH_MAX_CHARS - 16; i++) {
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

void efi_image_path(EFI_LOADED_IMAGE *li, const CHAR16 *name, CHAR16 *out)
{
	size_t n = 0;

	efi_image_dir(li, out);
	while (out[n])
		n++;
	if (!n)
		out[n++] = L'\\';
	for (size_t i = 0; name[i] && n < EFI_PATH_MAX_CHARS - 1; i++)
		out[n++] = name[i];
	out[n] = 0;
}

EFI_FILE_HANDLE efi_open_root(EFI_SYSTEM_TABLE *st, EFI_HANDLE device)
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
	CHAR16 path[EFI_PATH_MAX_CHARS];
	const CHAR16 *name = CFG_NAME;
	EFI_FILE_HANDLE root = efi_open_root(st, li->DeviceHandle), file = NULL;
	char *text = bi->cmdline + bi->cmdline_len;	/* read in place: it is the first part */
	size_t n;

	if (!root)
		return;
	efi_image_path(li, name, path);
	if (root->Open(root, &file, path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS) {
		root->Close(root);
		return;
	}
	n = read_all(file, text);
	file->Close(file);
	root->Close(root);
	if (n > BOOT_CONFIG_MAX)
		too_long(st, "numaboot.cfg", BOOT_CONFIG_MAX);
	bi->cmdline_len = (uint32_t)n;
	bi->cmdline[n] = 0;
	efi_puts(st, "numaboot: read numaboot.cfg\n");
}

static void read_load_options(EFI_SYSTEM_TABLE *st, EFI_LOADED_IMAGE *li, struct boot_info *bi)
{
	const CHAR16 *opt = li->LoadOptions;
	size_t chars = li->LoadOptionsSize / 2, start = 0;
	char text[BOOT_LOAD_OPTIONS_MAX];
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
	if (chars - start > BOOT_LOAD_OPTIONS_MAX)
		too_long(st, "the load options", BOOT_LOAD_OPTIONS_MAX);
	for (size_t i = start; i < chars; i++)
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
