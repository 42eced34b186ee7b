/* libFuzzer: acpi_scan() over a fake physical memory = the input, RSDP at
 * physical 0.  Every map() outside the input returns NULL.
 * Seeds: build/seeds/fuzz_scan (images made by mkseeds.py). */
#include "fuzz_common.inc"

struct fake_mem {
	const uint8_t *data;
	size_t size;
};

static const void *fake_map(uint64_t phys, size_t len, void *ctx)
{
	const struct fake_mem *m = ctx;

	if (phys > m->size || len > m->size - phys)
		return NULL;
	return m->data + phys;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_info info;
	struct fake_mem m = { data, size };

	acpi_scan(0, fake_map, &m, &info);
	return 0;
}
