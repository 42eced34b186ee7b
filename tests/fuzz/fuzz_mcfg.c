/* libFuzzer: acpi_parse_mcfg() on arbitrary bytes (checksum fixed up so the
 * allocation walk is reached), checking what it keeps.  Seeds:
 * build/seeds/fuzz_mcfg. */
#include "fuzz_common.inc"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_mcfg_info out;
	uint8_t *t = fuzz_table(data, size, "MCFG");

	if (acpi_parse_mcfg(t, size, &out) == 0 && out.nseg > ACPI_MAX_MCFG)
		__builtin_trap();
	if (out.nseg && !out.present)
		__builtin_trap();
	for (uint32_t i = 0; i < out.nseg; i++)
		if (out.seg[i].bus_start > out.seg[i].bus_end || (out.seg[i].base & 0xfffff) ||
		    out.seg[i].base == 0)
			__builtin_trap();
	free(t);
	return 0;
}
