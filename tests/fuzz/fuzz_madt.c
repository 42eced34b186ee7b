/* libFuzzer: acpi_parse_madt() on arbitrary bytes (checksum fixed up so the
 * walk is reached).  Seeds: build/seeds/fuzz_madt. */
#include "fuzz_common.inc"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_madt_info madt;
	uint8_t *t = fuzz_table(data, size, "APIC");

	acpi_parse_madt(t, size, &madt);
	if (madt.present && madt.ncpus > ACPI_MAX_CPUS)
		__builtin_trap();
	free(t);
	return 0;
}
