/* libFuzzer: memmap_convert() on arbitrary descriptor bytes with a
 * descriptor size taken from the input; the result must be sorted, hold no
 * empty range, and its summary must not count more usable than RAM. */
#include <stdint.h>
#include <stdlib.h>
#include "memmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_mem_range out[64];
	struct memmap_summary s;
	size_t desc_size;
	uint32_t n, bad;
	int overflow;

	if (size < 1)
		return 0;
	desc_size = data[0];
	n = memmap_convert(data + 1, size - 1, desc_size, out, 64, &overflow, &bad);
	for (uint32_t i = 0; i < n; i++) {
		if (!out[i].pages || (i && out[i - 1].phys > out[i].phys))
			abort();
	}
	memmap_summarize(out, n, &s);
	if (s.usable > s.ram)
		abort();
	return 0;
}
