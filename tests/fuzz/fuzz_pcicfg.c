/* libFuzzer: a PCI function's configuration space snapshot (up to 256
 * arbitrary bytes, the rest zero) through BAR decoding, the capability walk
 * and the virtio capability search, checking what they return stays inside
 * the snapshot and its BARs. */
#include <stdlib.h>
#include <string.h>
#include "virtio.h"

#include "fuzz_quiet.inc"

static void check_region(const struct pci_func *f, const struct virtio_pci_region *r)
{
	if (r->present && (r->bar >= PCI_NBARS || r->addr < f->bar[r->bar].base ||
			   r->addr + r->length <= r->addr))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pci_func f;
	struct virtio_pci_transport t;
	char why[96];

	memset(&f, 0, sizeof(f));
	memcpy(f.cfg, data, size < sizeof(f.cfg) ? size : sizeof(f.cfg));
	pci_bars_decode(f.cfg, sizeof(f.cfg), "fuzz", f.bar);
	f.ncaps = pci_caps_walk(f.cfg, sizeof(f.cfg), "fuzz", f.caps, PCI_MAX_CAPS,
				&f.caps_truncated);
	if (f.ncaps > PCI_MAX_CAPS)
		__builtin_trap();
	for (uint32_t i = 0; i < f.ncaps; i++)
		if (f.caps[i].off < 0x40 || f.caps[i].off & 3)
			__builtin_trap();
	if (virtio_pci_find_caps(&f, &t, why, sizeof(why)) == 0 &&
	    !(t.common.present && t.notify.present && t.device.present))
		__builtin_trap();
	check_region(&f, &t.common);
	check_region(&f, &t.notify);
	check_region(&f, &t.device);
	return 0;
}
