/* libFuzzer: acpi_parse_slit() on arbitrary bytes (checksum fixed up so the
 * walk is reached).  Seeds: build/seeds/fuzz_slit. */
#include "fuzz_common.inc"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_slit_info out;
	uint8_t *t = fuzz_table(data, size, "SLIT");

	acpi_parse_slit(t, size, &out);
	free(t);
	return 0;
}
