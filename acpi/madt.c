/*
 * MADT parser (ACPI 6.5 §5.2.12): the processors, in table order, and the
 * local APIC base.  Pure function of the table bytes; boot CPU or host.
 */
#include "internal.h"
#include "kprintf.h"

#define MADT_ENTRIES_OFFSET	44	/* after header, LAPIC address, flags */

enum madt_type {
	MADT_LAPIC		= 0,	/* §5.2.12.2 Processor Local APIC */
	MADT_LAPIC_OVERRIDE	= 5,	/* §5.2.12.8 Local APIC Address Override */
	MADT_X2APIC		= 9,	/* §5.2.12.12 Processor Local x2APIC */
};

/* Local APIC flags, §5.2.12.2 Table 5.23 (same bits for x2APIC). */
#define MADT_CPU_ENABLED		(1u << 0)
#define MADT_CPU_ONLINE_CAPABLE		(1u << 1)

struct madt_lapic {
	struct acpi_subtable_header h;
	uint8_t uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic) == 8, "ACPI 6.5 §5.2.12.2");

struct madt_lapic_override {
	struct acpi_subtable_header h;
	uint16_t reserved;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic_override) == 12, "ACPI 6.5 §5.2.12.8");

struct madt_x2apic {
	struct acpi_subtable_header h;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t uid;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_x2apic) == 16, "ACPI 6.5 §5.2.12.12");

static bool apic_id_seen(const struct acpi_madt_info *out, uint32_t apic_id)
{
	for (uint32_t i = 0; i < out->ncpus; i++)
		if (out->cpus[i].apic_id == apic_id)
			return true;
	return false;
}

/*
 * Keep one processor.  Entries that are neither enabled nor online capable
 * can never run (§5.2.12.2) and are only counted: firmware lists many of
 * them, often all with APIC id 0xff.  The first entry of an APIC id wins.
 */
static void add_cpu(struct acpi_madt_info *out, uint32_t apic_id, uint32_t uid,
		    uint32_t flags, bool x2apic)
{
	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE))) {
		out->nunusable++;
		return;
	}
	if (apic_id_seen(out, apic_id)) {
		kprintf("acpi: APIC: duplicate APIC id %u (uid %u), entry ignored\n", apic_id, uid);
		out->nduplicate++;
		return;
	}
	if (out->ncpus == ACPI_MAX_CPUS) {
		if (!out->overflow)
			kprintf("acpi: APIC: more than %u processors, APIC id %u and later ignored\n",
				ACPI_MAX_CPUS, apic_id);
		out->overflow = true;
		return;
	}
	out->cpus[out->ncpus++] = (struct acpi_cpu){
		.apic_id = apic_id,
		.uid = uid,
		.enabled = flags & MADT_CPU_ENABLED,
		.online_capable = !(flags & MADT_CPU_ENABLED) && (flags & MADT_CPU_ONLINE_CAPABLE),
		.x2apic = x2apic,
	};
}

static void madt_entry(const uint8_t *p, size_t sublen, struct acpi_madt_info *out)
{
	static const size_t need[] = { [MADT_LAPIC] = sizeof(struct madt_lapic),
				       [MADT_LAPIC_OVERRIDE] = sizeof(struct madt_lapic_override),
				       [MADT_X2APIC] = sizeof(struct madt_x2apic) };

	if (p[0] >= sizeof(need) / sizeof(need[0]) || need[p[0]] == 0)
		return;	/* I/O APICs, source overrides, NMIs...: not ours */
	if (sublen < need[p[0]]) {
		kprintf("acpi: APIC: subtable type %u too short (%zu bytes), ignored\n", p[0], sublen);
		return;
	}
	if (p[0] == MADT_LAPIC) {
		struct madt_lapic e;

		memcpy(&e, p, sizeof(e));
		add_cpu(out, e.apic_id, e.uid, e.flags, false);
	} else if (p[0] == MADT_X2APIC) {
		struct madt_x2apic e;

		memcpy(&e, p, sizeof(e));
		add_cpu(out, e.x2apic_id, e.uid, e.flags, true);
	} else {
		struct madt_lapic_override e;

		memcpy(&e, p, sizeof(e));
		out->lapic_addr = e.address;
	}
}

int acpi_parse_madt(const void *table, size_t len, struct acpi_madt_info *out)
{
	struct acpi_sdt_header hdr;
	const uint8_t *t = table;
	size_t off, sublen;

	memset(out, 0, sizeof(*out));
	if (acpi_table_check(table, len, "APIC", MADT_ENTRIES_OFFSET, &hdr) < 0)
		return -1;
	out->lapic_addr = acpi_rd32(t + 36);
	out->flags = acpi_rd32(t + 40);
	for (off = MADT_ENTRIES_OFFSET;
	     (sublen = acpi_subtable_len(t, off, hdr.length, "APIC", &out->truncated)) != 0;
	     off += sublen)
		madt_entry(t + off, sublen, out);
	out->present = true;
	return 0;
}
