/*
 * numaboot-topo: pre-flight check on a Linux host.  Reads ACPI tables and
 * prints the NUMA topology numaboot would use on that machine, through the
 * kernel's own parsers (acpi/) and node table (numa/numa.c) built for the
 * host.  Sources, any mix of:
 *   - a directory of tables: /sys/firmware/acpi/tables (APIC, SRAT, SLIT,
 *     FACP, HPET, NFIT) or what `acpixtract -a` writes (apic.dat, ...);
 *   - an `acpidump` text file ("SRAT @ 0x..." then "    0000: 53 52 ..." lines);
 *   - a binary table file.
 * No RSDP or XSDT is needed; missing tables are allowed.  There is no memory
 * map on the host, so node memory is the SRAT's RAM ranges as they are and
 * persistent memory comes from the NFIT alone.
 * --acpi-override FILE (repeatable) applies table files as the kernel
 * applies the boot disk's "acpi" folder (acpi/override.c): each checked and
 * parsed first, files sorted by name, within the loader's limits, and a
 * used one stands for every source table of its signature.
 * Parser messages go to stderr, the topology to stdout.  See docs/acpi.md.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "acpi.h"
#include "kprintf.h"
#include "numa.h"

#define MAX_FILE_BYTES (64u << 20)

static FILE *console_out;
static struct acpi_info info;
static struct numa_topology topo;
static char json_buf[NUMA_JSON_BUF_SIZE];
static char override_json[ACPI_OVERRIDE_JSON_BUF_SIZE];
static struct boot_acpi_override overrides;	/* as boot/ would list the folder */
static unsigned ntables;

void console_write(const char *s, size_t len)
{
	fwrite(s, 1, len, console_out ? console_out : stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: numaboot-topo [--json] [--acpi-override FILE]... SOURCE...\n"
		"Print the NUMA topology numaboot would use, from ACPI tables.\n"
		"SOURCE: a directory of tables (/sys/firmware/acpi/tables, or acpixtract -a\n"
		"        output: apic.dat srat.dat slit.dat facp.dat hpet.dat nfit.dat), an\n"
		"        acpidump text file, or one binary table.\n"
		"  --json   one {\"kind\":\"topology\"} JSON line (docs/acpi.md) instead of the table,\n"
		"           after an {\"kind\":\"acpi_override\"} line with --acpi-override\n"
		"  --acpi-override FILE  one binary table applied as the kernel applies a file of\n"
		"           the boot disk's acpi folder (docs/acpi.md); repeatable, at most %u\n"
		"  --help   this text\n"
		"Exit: 0 ok, 1 unreadable input or no table found, 2 bad usage.\n",
		BOOT_ACPI_OVERRIDE_MAX_FILES);
}

/* A source table at phys (0: not known), unless a used override stands
 * for its signature. */
static void feed(const unsigned char *t, size_t len, uint64_t phys, const char *from)
{
	int r;

	if (len >= 4 && acpi_override_claims(&info, (const char *)t, phys))
		return;
	r = acpi_parse_table(t, len, &info);

	if (r == 0)
		ntables++;
	else if (r < 0)
		fprintf(stderr, "numaboot-topo: %s: table refused (see the acpi: message)\n", from);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n = 0, cap = 1 << 16;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap || cap >= MAX_FILE_BYTES)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* "    0010: 53 52 41 54 ...  SRAT..." -> bytes at their offset. */
static int dump_line(const char *line, unsigned char *tbl, size_t cap, size_t *len)
{
	char *end;
	unsigned long off = strtoul(line, &end, 16);
	const char *p = end;
	size_t k = 0;

	if (p == line || *p != ':')
		return -1;
	p++;
	while (k < 16 && p[0] == ' ' && isxdigit((unsigned char)p[1]) &&
	       isxdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '\n' || p[3] == 0 || p[3] == '\r')) {
		if (off + k >= cap)
			return -1;
		tbl[off + k] = (unsigned char)strtoul((char[]){ p[1], p[2], 0 }, NULL, 16);
		k++;
		p += 3;
	}
	if (off + k > *len)
		*len = off + k;
	return 0;
}

/* "0010: ..." (hex offset, colon) */
static bool is_dump_line(const char *s)
{
	const char *p = s;

	while (isxdigit((unsigned char)*p))
		p++;
	return p > s && *p == ':';
}

/* "SRAT @ 0x0000000000000000" (the name may hold a space: "RSD PTR") */
static bool is_header_line(const char *s)
{
	const char *at = strstr(s, " @ 0x");
	const char *nl = strchr(s, '\n');

	return at && at != s && (!nl || at < nl);
}

/* acpidump text: "SIG @ 0xADDR" headers, each followed by hex lines. */
static int parse_acpidump(const char *text, const char *path)
{
	static unsigned char tbl[ACPI_MAX_TABLE_LEN];
	const char *line = text;
	size_t len = 0;
	bool in_table = false, any = false;
	char from[600];
	uint64_t phys = 0;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *s = line;

		while (*s == ' ' || *s == '\t')
			s++;
		if (is_dump_line(s)) {
			if (in_table && dump_line(s, tbl, sizeof(tbl), &len) < 0) {
				fprintf(stderr, "numaboot-topo: %s: bad hex dump line: %.40s\n", path, s);
				in_table = false;
			}
		} else if (is_header_line(s)) {
			if (in_table && len)
				feed(tbl, len, phys, from);
			snprintf(from, sizeof(from), "%s: %.*s", path, (int)(strstr(s, " @ ") - s), s);
			phys = strtoull(strstr(s, " @ 0x") + 3, NULL, 16);
			memset(tbl, 0, len);
			len = 0;
			in_table = any = true;
		}
	}
	if (in_table && len)
		feed(tbl, len, phys, from);
	return any ? 0 : -1;
}

static int load_dir(const char *dir)
{
	static const char *const sigs[] = { "APIC", "SRAT", "SLIT", "FACP", "HPET", "NFIT" };
	static const char *const names[] = { "%s/%s", "%s/%s1", "%s/%s.dat", "%s/%s.aml" };
	unsigned found = 0;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			char path[4096], lower[5];
			unsigned char *t;
			size_t len;

			for (int c = 0; c < 5; c++)
				lower[c] = (char)tolower((unsigned char)sigs[i][c]);
			snprintf(path, sizeof(path), names[k], dir, k < 2 ? sigs[i] : lower);
			t = read_file(path, &len);
			if (!t) {
				if (errno != ENOENT)
					fprintf(stderr, "numaboot-topo: %s: %s\n", path, strerror(errno));
				continue;
			}
			feed(t, len, 0, path);
			free(t);
			found++;
			break;
		}
	}
	return found ? 0 : -1;
}

static int load_source(const char *path)
{
	struct stat st;
	unsigned char *buf;
	size_t len;
	int r;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "numaboot-topo: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (load_dir(path) < 0) {
			fprintf(stderr, "numaboot-topo: %s: no APIC, SRAT, SLIT, FACP, HPET or NFIT table "
				"(looked for SIG, sig.dat, sig.aml)\n", path);
			return -1;
		}
		return 0;
	}
	buf = read_file(path, &len);
	if (!buf) {
		fprintf(stderr, "numaboot-topo: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (len >= 36 && (buf[4] | buf[5] << 8 | buf[6] << 16 | (size_t)buf[7] << 24) == len) {
		feed(buf, len, 0, path);	/* a binary table: its header length is the file's */
		free(buf);
		return 0;
	}
	buf = realloc(buf, len + 1);
	buf[len] = 0;
	r = parse_acpidump((const char *)buf, path);
	if (r < 0)
		fprintf(stderr, "numaboot-topo: %s: neither an ACPI table nor acpidump output\n", path);
	free(buf);
	return r;
}

static void print_extras(void)
{
	const struct acpi_timer_info *tm = &info.timer;

	if (info.madt.present)
		printf("local APIC: 0x%llx, %u CPUs listed (%u unusable, %u duplicate)\n",
		       (unsigned long long)info.madt.lapic_addr, info.madt.ncpus, info.madt.nunusable,
		       info.madt.nduplicate);
	if (tm->pm_present)
		printf("PM timer: %s 0x%llx, %s\n", tm->pm_space == ACPI_SPACE_IO ? "port" : "mmio",
		       (unsigned long long)tm->pm_addr, tm->pm_32bit ? "32-bit" : "24-bit");
	else if (tm->fadt_present)
		printf("PM timer: none%s\n", tm->hw_reduced ? " (hardware-reduced ACPI)" : "");
	if (tm->hpet_present)
		printf("HPET: 0x%llx\n", (unsigned long long)tm->hpet_base);
}

/* The override files' bytes are host memory: their "physical address" is
 * the pointer. */
static const void *host_map(uint64_t phys, size_t len, void *ctx)
{
	(void)len, (void)ctx;
	return (const void *)(uintptr_t)phys;
}

/* List one --acpi-override file as boot/ lists a file of the folder: read
 * while the byte limit allows, else listed and not read; past the file
 * limit only counted.  -1 when the file cannot be read at all. */
static int add_override(const char *path)
{
	struct boot_acpi_file *f;
	static uint64_t bytes;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	unsigned char *buf;
	size_t len;

	overrides.dir_found = 1;
	buf = read_file(path, &len);
	if (!buf) {
		fprintf(stderr, "numaboot-topo: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (overrides.nfiles == BOOT_ACPI_OVERRIDE_MAX_FILES) {
		overrides.nbeyond++;
		free(buf);
		return 0;
	}
	f = &overrides.file[overrides.nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", base);
	f->length = len;
	if (bytes + len > BOOT_ACPI_OVERRIDE_MAX_BYTES) {
		f->status = BOOT_ACPI_FILE_TOO_LARGE;
		free(buf);
		return 0;
	}
	bytes += len;
	f->status = BOOT_ACPI_FILE_READ;
	f->phys = (uint64_t)(uintptr_t)buf;	/* kept until exit, as the loader's pages */
	return 0;
}

static unsigned overrides_used(void)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < info.override.nfiles; i++)
		n += info.override.rec[i].status == ACPI_OVERRIDE_ADDED ||
		     info.override.rec[i].status == ACPI_OVERRIDE_REPLACED;
	return n;
}

static int bad_usage(const char *why, const char *arg)
{
	fprintf(stderr, "numaboot-topo: %s%s\n", why, arg);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *src[argc], *ovr[argc];
	bool json = false;
	int nsrc = 0, novr = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--acpi-override")) {
			if (++i == argc)
				return bad_usage("--acpi-override needs a FILE", "");
			ovr[novr++] = argv[i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return bad_usage("unknown option ", argv[i]);
		} else {
			src[nsrc++] = argv[i];
		}
	}
	if (nsrc == 0)
		return bad_usage("no SOURCE given", "");
	acpi_info_init(&info);
	console_out = stderr;
	for (i = 0; i < novr; i++)
		if (add_override(ovr[i]) < 0)
			return 1;
	acpi_override_apply(&overrides, host_map, NULL, &info);	/* first, as acpi_scan() */
	for (i = 0; i < nsrc; i++)
		if (load_source(src[i]) < 0)
			return 1;
	acpi_override_report(&info.override);
	if (ntables + overrides_used() == 0) {
		fprintf(stderr, "numaboot-topo: no usable APIC, SRAT, SLIT, FACP, HPET or NFIT table found\n");
		return 1;
	}
	numa_build(&info, NULL, 0, &topo);
	fflush(stderr);
	console_out = stdout;
	if (json) {
		acpi_override_emit_json(&info.override, override_json, sizeof(override_json));
		numa_emit_json(&topo, json_buf, sizeof(json_buf));
	} else {
		numa_print(&topo);
		print_extras();
	}
	return 0;
}
