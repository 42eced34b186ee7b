/*
 * FADT (ACPI 6.5 §5.2.9) and HPET (IA-PC HPET spec 1.0a §3.2.4) parsers:
 * where the ACPI PM timer and the HPET live, for TSC calibration.
 * Pure functions of the table bytes; boot CPU or host.
 */
#include "internal.h"
#include "kprintf.h"

/* FADT field offsets, §5.2.9 Table 5.9. */
#define FADT_PM_TMR_BLK		76	/* 4: I/O port of the PM timer, 0 if none */
#define FADT_PM_TMR_LEN		91	/* 1: 4 when the timer is supported */
#define FADT_FLAGS		112	/* 4 */
#define FADT_X_PM_TMR_BLK	208	/* 12: GAS, ACPI 2.0+ */
#define FADT_MIN_LEN		116	/* through Flags: ACPI 1.0 tables */

#define FADT_TMR_VAL_EXT	(1u << 8)	/* PM timer counts 32 bits, else 24 */
#define FADT_HW_REDUCED_ACPI	(1u << 20)	/* no fixed hardware, no PM timer */

#define HPET_BASE_GAS		40	/* 12: Base Address (GAS) */
#define HPET_LEN		56

/* X_PM_TMR_BLK when the table has it and it names a port or MMIO address. */
static bool fadt_xpm(const uint8_t *t, size_t len, struct acpi_timer_info *out)
{
	struct acpi_gas g;

	if (len < FADT_X_PM_TMR_BLK + sizeof(g))
		return false;
	memcpy(&g, t + FADT_X_PM_TMR_BLK, sizeof(g));
	if (g.address == 0 || (g.space_id != ACPI_SPACE_IO && g.space_id != ACPI_SPACE_MEMORY))
		return false;
	if (g.space_id == ACPI_SPACE_IO && g.address > 0xffff) {
		kprintf("acpi: FACP: X_PM_TMR_BLK port 0x%llx impossible, ignored\n",
			(unsigned long long)g.address);
		return false;
	}
	out->pm_space = g.space_id;
	out->pm_addr = g.address;
	return true;
}

int acpi_parse_fadt(const void *table, size_t len, struct acpi_timer_info *out)
{
	struct acpi_sdt_header hdr;
	const uint8_t *t = table;
	uint32_t flags, port;

	out->fadt_present = out->pm_present = out->pm_32bit = out->hw_reduced = false;
	out->pm_space = 0;
	out->pm_addr = 0;
	if (acpi_table_check(table, len, "FACP", FADT_MIN_LEN, &hdr) < 0)
		return -1;
	out->fadt_present = true;
	flags = acpi_rd32(t + FADT_FLAGS);
	out->hw_reduced = flags & FADT_HW_REDUCED_ACPI;
	if (out->hw_reduced)
		return 0;
	if (fadt_xpm(t, hdr.length, out)) {
		out->pm_present = true;
	} else {
		port = acpi_rd32(t + FADT_PM_TMR_BLK);
		if (port != 0 && port <= 0xffff && t[FADT_PM_TMR_LEN] == 4) {
			out->pm_space = ACPI_SPACE_IO;
			out->pm_addr = port;
			out->pm_present = true;
		}
	}
	out->pm_32bit = out->pm_present && (flags & FADT_TMR_VAL_EXT);
	return 0;
}

int acpi_parse_hpet(const void *table, size_t len, struct acpi_timer_info *out)
{
	struct acpi_sdt_header hdr;
	struct acpi_gas g;

	out->hpet_present = false;
	out->hpet_base = 0;
	if (acpi_table_check(table, len, "HPET", HPET_LEN, &hdr) < 0)
		return -1;
	memcpy(&g, (const uint8_t *)table + HPET_BASE_GAS, sizeof(g));
	if (g.space_id != ACPI_SPACE_MEMORY || g.address == 0) {
		kprintf("acpi: HPET: base in space %u at 0x%llx unusable, ignored\n", g.space_id,
			(unsigned long long)g.address);
		return -1;
	}
	out->hpet_base = g.address;
	out->hpet_present = true;
	return 0;
}
