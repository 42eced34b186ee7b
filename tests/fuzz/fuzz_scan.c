/* libFuzzer: acpi_scan() over a fake physical memory = the input, RSDP at
 * physical 0, with table override files described by the input's last
 * OV_TAIL bytes (see overrides_from_tail(): how many files, where each
 * lies in the input, its length, the loader's status and a name), so the
 * override's bytes are fuzzed through the same walk.  Every map() outside
 * the input returns NULL; the JSON record is built and checked for size.
 * Seeds: build/seeds/fuzz_scan (images made by mkseeds.py). */
#include "fuzz_common.inc"

#define OV_FILES	4	/* override files a case may describe */
#define OV_ENTRY	9	/* u32 phys, u32 length, u8 status/name */
#define OV_TAIL		(1 + OV_FILES * OV_ENTRY)

struct fake_mem {
	const uint8_t *data;
	size_t size;
};

static const void *fake_map(uint64_t phys, size_t len, void *ctx)
{
	const struct fake_mem *m = ctx;

	if (phys > m->size || len > m->size - phys)
		return NULL;
	return m->data + phys;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Tail byte 0: bit 7 the folder exists, bits 0-2 the number of files (at
 * most OV_FILES), bits 3-6 files past the limit; then per file its
 * physical address and length in the input and a byte whose low 2 bits
 * are the loader's status and the next 2 pick one of 4 names (equal names
 * are allowed). */
static void overrides_from_tail(const uint8_t *data, size_t size, struct boot_acpi_override *ov)
{
	static const char *const names[] = { "a.aml", "b.aml", "srat.aml", "b.aml" };
	const uint8_t *t = data + size - OV_TAIL;

	memset(ov, 0, sizeof(*ov));
	if (size < OV_TAIL)
		return;
	ov->dir_found = t[0] >> 7;
	ov->nfiles = t[0] & 7;
	if (ov->nfiles > OV_FILES)
		ov->nfiles = OV_FILES;
	ov->nbeyond = (t[0] >> 3) & 15;
	for (uint32_t i = 0; i < ov->nfiles; i++) {
		const uint8_t *e = t + 1 + i * OV_ENTRY;
		struct boot_acpi_file *f = &ov->file[i];

		f->phys = rd32(e);
		f->length = rd32(e + 4);
		f->status = e[8] & 3;
		strcpy(f->name, names[(e[8] >> 2) & 3]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_info info;
	static struct boot_acpi_override ov;
	static char json[ACPI_OVERRIDE_JSON_BUF_SIZE];
	struct fake_mem m = { data, size };

	overrides_from_tail(data, size, &ov);
	acpi_scan(0, fake_map, &m, &ov, &info);
	if (info.override.nfiles > ACPI_OVERRIDE_MAX)
		abort();
	for (uint32_t i = 0; i < info.override.nfiles; i++)
		if (info.override.rec[i].status > ACPI_OVERRIDE_REJECTED)
			abort();
	acpi_override_emit_json(&info.override, json, sizeof(json));
	if (info.override.dir_found && strstr(json, "\"kind\":\"error\""))
		abort();	/* the buffer is sized for the worst record */
	return 0;
}
