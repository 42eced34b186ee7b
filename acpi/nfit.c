/*
 * NFIT parser (ACPI 6.5 §5.2.26, NVDIMM Firmware Interface Table): the
 * System Physical Address Range structures of the persistent-memory type,
 * with their proximity domain and flags.  NFIT is a static table (its _DSM
 * methods are AML, which numaboot does not need).  Every other structure
 * type (region mappings, interleave, SMBIOS, control regions, block data
 * windows, flush hints, platform capabilities) is skipped by its length.
 * What the ranges mean next to RAM and the SRAT is judged by numa/pmem.c.
 * Pure function of the table bytes; boot CPU or host.
 */
#include "internal.h"
#include "kprintf.h"

#define NFIT_ENTRIES_OFFSET	40	/* header, reserved (4) */
#define NFIT_TYPE_SPA		0	/* §5.2.26.2 System Physical Address Range */
#define NFIT_SPA_DOMAIN_VALID	(1u << 1)	/* §5.2.26.2 Table 5.137 flags */

/* §5.2.26 Table 5.135: NFIT structures start with a 16-bit type and length,
 * unlike the 8-bit ones of MADT and SRAT subtables. */
struct nfit_header {
	uint16_t type;
	uint16_t length;
} __attribute__((packed));
_Static_assert(sizeof(struct nfit_header) == 4, "ACPI 6.5 §5.2.26");

/* §5.2.26.2 Table 5.136.  ACPI 6.4 appended an 8-byte SPA Location Cookie
 * (length 64); structures of 56 bytes (ACPI 6.0-6.3) are as valid. */
struct nfit_spa {
	struct nfit_header h;
	uint16_t index;
	uint16_t flags;
	uint32_t reserved;
	uint32_t domain;
	uint8_t type_guid[16];
	uint64_t base;
	uint64_t length;
	uint64_t attributes;	/* EFI memory attributes of the range */
} __attribute__((packed));
_Static_assert(sizeof(struct nfit_spa) == 56, "ACPI 6.5 §5.2.26.2");

/* Persistent Memory Region GUID 66F0D379-B4F3-4074-AC43-0D3318B78CDB in
 * its byte order in the table (first three fields little-endian). */
static const uint8_t nfit_pmem_guid[16] = {
	0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
	0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
};

/*
 * Length of the structure at off in [off, end), or 0 when the walk must
 * stop: fewer than 4 bytes left, a length below 4 (0 would loop forever)
 * or past end; each stop is reported and sets out->truncated.
 */
static size_t nfit_struct_len(const uint8_t *t, size_t off, size_t end, struct acpi_nfit_info *out)
{
	size_t len;

	if (off >= end)
		return 0;
	if (end - off < sizeof(struct nfit_header)) {
		kprintf("acpi: NFIT: %zu trailing bytes at offset %zu, walk stopped\n", end - off, off);
		out->truncated = true;
		return 0;
	}
	len = acpi_rd16(t + off + 2);
	if (len < sizeof(struct nfit_header) || len > end - off) {
		kprintf("acpi: NFIT: structure type %u at offset %zu has bad length %zu "
			"(%zu bytes left), walk stopped\n", acpi_rd16(t + off), off, len, end - off);
		out->truncated = true;
		return 0;
	}
	return len;
}

static void nfit_spa(const uint8_t *p, size_t len, size_t off, struct acpi_nfit_info *out)
{
	struct nfit_spa e;

	if (len < sizeof(e)) {
		kprintf("acpi: NFIT: SPA range structure at offset %zu is truncated "
			"(%zu bytes, need %zu), rejected\n", off, len, sizeof(e));
		out->nrejected++;
		return;
	}
	memcpy(&e, p, sizeof(e));
	if (memcmp(e.type_guid, nfit_pmem_guid, sizeof(nfit_pmem_guid)) != 0) {
		out->nother++;
		return;
	}
	if (out->nspa == ACPI_MAX_NFIT_SPA) {
		if (!out->overflow)
			kprintf("acpi: NFIT: more than %u persistent-memory ranges; SPA range %u "
				"and later not used\n", ACPI_MAX_NFIT_SPA, e.index);
		out->overflow = true;
		return;
	}
	out->spa[out->nspa++] = (struct acpi_nfit_spa){
		.base = e.base, .length = e.length, .domain = e.domain,
		.domain_valid = e.flags & NFIT_SPA_DOMAIN_VALID, .index = e.index, .flags = e.flags,
	};
}

int acpi_parse_nfit(const void *table, size_t len, struct acpi_nfit_info *out)
{
	struct acpi_sdt_header hdr;
	const uint8_t *t = table;
	size_t off, n;

	memset(out, 0, sizeof(*out));
	if (acpi_table_check(table, len, "NFIT", NFIT_ENTRIES_OFFSET, &hdr) < 0)
		return -1;
	for (off = NFIT_ENTRIES_OFFSET; (n = nfit_struct_len(t, off, hdr.length, out)) != 0; off += n)
		if (acpi_rd16(t + off) == NFIT_TYPE_SPA)
			nfit_spa(t + off, n, off, out);
	out->present = true;
	return 0;
}
