/* libFuzzer: acpi_parse_srat() on arbitrary bytes (checksum fixed up so the
 * walk is reached).  Seeds: build/seeds/fuzz_srat. */
#include "fuzz_common.inc"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_srat_info out;
	uint8_t *t = fuzz_table(data, size, "SRAT");

	acpi_parse_srat(t, size, &out);
	free(t);
	return 0;
}
