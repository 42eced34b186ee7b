/* libFuzzer: acpi_parse_nfit() on arbitrary bytes (checksum fixed up so the
 * structure walk is reached), checking what it keeps.  Seeds:
 * build/seeds/fuzz_nfit. */
#include "fuzz_common.inc"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_nfit_info out;
	uint8_t *t = fuzz_table(data, size, "NFIT");

	if (acpi_parse_nfit(t, size, &out) == 0 && out.nspa > ACPI_MAX_NFIT_SPA)
		__builtin_trap();
	if (out.nspa && !out.present)
		__builtin_trap();
	free(t);
	return 0;
}
