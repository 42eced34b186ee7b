/*
 * SRAT parser (ACPI 6.5 §5.2.16): which proximity domain each processor
 * and each memory range belongs to.  Disabled entries are skipped; what the
 * entries mean together (overlaps, too many domains) is judged by numa/numa.c.
 * Pure function of the table bytes; boot CPU or host.
 */
#include "internal.h"
#include "kprintf.h"

#define SRAT_ENTRIES_OFFSET	48	/* header, table revision (4), reserved (8) */

enum srat_type {
	SRAT_CPU	= 0,	/* §5.2.16.1 Processor Local APIC/SAPIC Affinity */
	SRAT_MEM	= 1,	/* §5.2.16.2 Memory Affinity */
	SRAT_X2APIC	= 2,	/* §5.2.16.3 Processor Local x2APIC Affinity */
};

#define SRAT_ENABLED		(1u << 0)	/* all three entry types */
#define SRAT_MEM_HOTPLUG	(1u << 1)	/* §5.2.16.2 Table 5.59 */
#define SRAT_MEM_NONVOLATILE	(1u << 2)

struct srat_cpu {
	struct acpi_subtable_header h;
	uint8_t domain_lo;
	uint8_t apic_id;
	uint32_t flags;
	uint8_t sapic_eid;
	uint8_t domain_hi[3];
	uint32_t clock_domain;
} __attribute__((packed));
_Static_assert(sizeof(struct srat_cpu) == 16, "ACPI 6.5 §5.2.16.1");

struct srat_mem {
	struct acpi_subtable_header h;
	uint32_t domain;
	uint16_t reserved1;
	uint64_t base;
	uint64_t length;
	uint32_t reserved2;
	uint32_t flags;
	uint64_t reserved3;
} __attribute__((packed));
_Static_assert(sizeof(struct srat_mem) == 40, "ACPI 6.5 §5.2.16.2");

struct srat_x2apic {
	struct acpi_subtable_header h;
	uint16_t reserved1;
	uint32_t domain;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t clock_domain;
	uint32_t reserved2;
} __attribute__((packed));
_Static_assert(sizeof(struct srat_x2apic) == 24, "ACPI 6.5 §5.2.16.3");

static void add_cpu(struct acpi_srat_info *out, uint32_t apic_id, uint32_t domain, bool x2apic)
{
	if (out->ncpus == ACPI_MAX_CPUS) {
		if (!out->cpu_overflow)
			kprintf("acpi: SRAT: more than %u processor entries\n", ACPI_MAX_CPUS);
		out->cpu_overflow = true;
		return;
	}
	out->cpus[out->ncpus++] = (struct acpi_cpu_affinity){
		.apic_id = apic_id, .domain = domain, .x2apic = x2apic,
	};
}

static void add_mem(struct acpi_srat_info *out, const struct srat_mem *e, uint32_t domain)
{
	if (e->length == 0)
		return;
	if (e->base + e->length < e->base) {
		kprintf("acpi: SRAT: memory range 0x%llx + 0x%llx wraps around, ignored\n",
			(unsigned long long)e->base, (unsigned long long)e->length);
		return;
	}
	if (out->nmem == ACPI_MAX_MEM_RANGES) {
		if (!out->mem_overflow)
			kprintf("acpi: SRAT: more than %u memory ranges\n", ACPI_MAX_MEM_RANGES);
		out->mem_overflow = true;
		return;
	}
	out->mem[out->nmem++] = (struct acpi_mem_affinity){
		.base = e->base, .length = e->length, .domain = domain,
		.hotplug = e->flags & SRAT_MEM_HOTPLUG,
		.nonvolatile = e->flags & SRAT_MEM_NONVOLATILE,
	};
}

/*
 * Revision 1 SRATs (ACPI 2.0) had 8-bit proximity domains and put other
 * data in what later became the high bits: mask them, as Linux does for
 * processor and memory entries.  Revision >= 2 uses all 32 bits.
 */
static uint32_t domain_of(const struct acpi_srat_info *out, uint32_t domain)
{
	return out->revision < 2 ? domain & 0xff : domain;
}

static void srat_entry(const uint8_t *p, size_t sublen, struct acpi_srat_info *out)
{
	static const size_t need[] = { [SRAT_CPU] = sizeof(struct srat_cpu),
				       [SRAT_MEM] = sizeof(struct srat_mem),
				       [SRAT_X2APIC] = sizeof(struct srat_x2apic) };

	if (p[0] > SRAT_X2APIC)
		return;	/* GICC, ITS, generic initiators: not x86 processors or memory */
	if (sublen < need[p[0]]) {
		kprintf("acpi: SRAT: subtable type %u too short (%zu bytes), ignored\n", p[0], sublen);
		return;
	}
	if (p[0] == SRAT_CPU) {
		struct srat_cpu e;

		memcpy(&e, p, sizeof(e));
		if (e.flags & SRAT_ENABLED)
			add_cpu(out, e.apic_id, domain_of(out, e.domain_lo | (uint32_t)e.domain_hi[0] << 8 |
				(uint32_t)e.domain_hi[1] << 16 | (uint32_t)e.domain_hi[2] << 24), false);
	} else if (p[0] == SRAT_X2APIC) {
		struct srat_x2apic e;

		memcpy(&e, p, sizeof(e));
		if (e.flags & SRAT_ENABLED)
			add_cpu(out, e.x2apic_id, e.domain, true);
	} else {
		struct srat_mem e;

		memcpy(&e, p, sizeof(e));
		if (e.flags & SRAT_ENABLED)
			add_mem(out, &e, domain_of(out, e.domain));
	}
}

int acpi_parse_srat(const void *table, size_t len, struct acpi_srat_info *out)
{
	struct acpi_sdt_header hdr;
	const uint8_t *t = table;
	size_t off, sublen;

	memset(out, 0, sizeof(*out));
	if (acpi_table_check(table, len, "SRAT", SRAT_ENTRIES_OFFSET, &hdr) < 0)
		return -1;
	out->revision = hdr.revision;
	for (off = SRAT_ENTRIES_OFFSET;
	     (sublen = acpi_subtable_len(t, off, hdr.length, "SRAT", &out->truncated)) != 0;
	     off += sublen)
		srat_entry(t + off, sublen, out);
	out->present = true;
	return 0;
}
