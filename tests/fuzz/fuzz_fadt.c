/* libFuzzer: acpi_parse_fadt() and acpi_parse_hpet() on arbitrary bytes.
 * Seeds: build/seeds/fuzz_fadt (FACP and HPET tables). */
#include "fuzz_common.inc"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acpi_timer_info tm;
	uint8_t *t = fuzz_table(data, size, size > 100 ? "FACP" : "HPET");

	memset(&tm, 0, sizeof(tm));
	acpi_parse_fadt(t, size, &tm);
	acpi_parse_hpet(t, size, &tm);
	acpi_parse_fadt(data, size, &tm);
	free(t);
	return 0;
}
