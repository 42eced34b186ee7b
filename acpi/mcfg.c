/*
 * MCFG parser (PCI Firmware Specification 3.2 §4.1.2; ACPI 6.5 §5.2.6
 * lists the signature): where each PCI segment group's ECAM (enhanced
 * configuration access mechanism) window lies.  The table is the header,
 * 8 reserved bytes, then 16-byte allocations.  An allocation whose bus
 * range is reversed, whose base is not 1 MiB aligned or whose window wraps
 * the address space is reported and not kept.  Pure; any caller.
 */
#include "internal.h"
#include "kprintf.h"

#define MCFG_ENTRIES_OFFSET	44	/* header + 8 reserved bytes */
#define MCFG_BUS_SHIFT		20	/* 1 MiB of config space per bus */

/* §4.1.2 Table 4-3: Configuration Space Base Address Allocation Structure. */
struct mcfg_alloc {
	uint64_t base;		/* ECAM address of bus 0 of this segment */
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mcfg_alloc) == 16, "PCI Firmware 3.2 §4.1.2 allocation");

/* Why allocation e cannot be used, or NULL. */
static const char *mcfg_alloc_bad(const struct mcfg_alloc *e)
{
	uint64_t end = ((uint64_t)e->bus_end + 1) << MCFG_BUS_SHIFT;

	if (e->bus_start > e->bus_end)
		return "bus range reversed";
	if (e->base & ((1ull << MCFG_BUS_SHIFT) - 1))
		return "base not 1 MiB aligned";
	if (e->base == 0)
		return "base is 0";
	if (e->base + end < e->base)
		return "window wraps the address space";
	return NULL;
}

static void mcfg_alloc(const uint8_t *p, size_t off, struct acpi_mcfg_info *out)
{
	struct mcfg_alloc e;
	const char *why;

	memcpy(&e, p, sizeof(e));
	why = mcfg_alloc_bad(&e);
	if (why) {
		kprintf("acpi: MCFG: allocation at offset %zu (segment %u, buses %u-%u, base "
			"0x%llx): %s, rejected\n", off, e.segment, e.bus_start, e.bus_end,
			(unsigned long long)e.base, why);
		out->nrejected++;
		return;
	}
	if (out->nseg == ACPI_MAX_MCFG) {
		if (!out->overflow)
			kprintf("acpi: MCFG: more than %u allocations; segment %u and later "
				"not used\n", ACPI_MAX_MCFG, e.segment);
		out->overflow = true;
		return;
	}
	out->seg[out->nseg++] = (struct acpi_mcfg_seg){
		.base = e.base, .segment = e.segment,
		.bus_start = e.bus_start, .bus_end = e.bus_end,
	};
}

int acpi_parse_mcfg(const void *table, size_t len, struct acpi_mcfg_info *out)
{
	struct acpi_sdt_header hdr;
	const uint8_t *t = table;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (acpi_table_check(table, len, "MCFG", MCFG_ENTRIES_OFFSET, &hdr) < 0)
		return -1;
	for (off = MCFG_ENTRIES_OFFSET; hdr.length - off >= sizeof(struct mcfg_alloc);
	     off += sizeof(struct mcfg_alloc))
		mcfg_alloc(t + off, off, out);
	if (off != hdr.length) {
		kprintf("acpi: MCFG: %zu trailing bytes at offset %zu ignored\n",
			hdr.length - off, off);
		out->truncated = true;
	}
	out->present = true;
	return 0;
}
