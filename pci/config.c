/*
 * Pure decoding of a PCI function's configuration space snapshot (PCI Local
 * Bus 3.0 §6.1, §6.2.5.1 BARs, §6.7 capability list).  Every offset is
 * checked against the snapshot length; a capability list that loops or
 * points outside it is cut and reported.  Any caller, any CPU.
 */
#include "kprintf.h"
#include "pci.h"

#define BAR_IO		0x1u
#define BAR_TYPE_MASK	0x6u
#define BAR_TYPE_64	0x4u
#define BAR_PREFETCH	0x8u
#define CAP_MIN_OFF	0x40	/* capabilities live after the standard header */

void pci_bars_decode(const uint8_t *cfg, size_t len, const char *loc, struct pci_bar bar[PCI_NBARS])
{
	uint32_t n = (cfg[PCI_HEADER_TYPE] & PCI_HEADER_LAYOUT) == 1 ? 2 : PCI_NBARS;

	for (uint32_t i = 0; i < PCI_NBARS; i++)
		bar[i] = (struct pci_bar){ 0 };
	if ((cfg[PCI_HEADER_TYPE] & PCI_HEADER_LAYOUT) > 1 || len < PCI_BAR0 + 4 * PCI_NBARS)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = pci_cfg32(cfg, PCI_BAR0 + 4 * i);

		if (v & BAR_IO) {
			bar[i] = (struct pci_bar){ .base = v & ~3u, .io = true };
			continue;
		}
		bar[i].prefetch = v & BAR_PREFETCH;
		bar[i].base = v & ~0xfu;
		if ((v & BAR_TYPE_MASK) != BAR_TYPE_64)
			continue;
		if (i + 1 == n) {
			kprintf("pci: %s: 64-bit BAR%u in the last slot, ignored\n", loc, i);
			bar[i] = (struct pci_bar){ 0 };
			break;
		}
		bar[i].mem64 = true;
		bar[i].base |= (uint64_t)pci_cfg32(cfg, PCI_BAR0 + 4 * (i + 1)) << 32;
		i++;	/* the upper half is not a BAR of its own */
	}
}

uint32_t pci_caps_walk(const uint8_t *cfg, size_t len, const char *loc, struct pci_cap *caps,
		       uint32_t max, bool *truncated)
{
	uint32_t n = 0;
	size_t off;

	*truncated = false;
	if (len < CAP_MIN_OFF || !(pci_cfg16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	for (off = cfg[PCI_CAP_PTR] & ~3u; off; off = cfg[off + 1] & ~3u) {
		if (off < CAP_MIN_OFF || off + 2 > len) {
			kprintf("pci: %s: capability pointer 0x%zx outside config space, "
				"list cut\n", loc, off);
			*truncated = true;
			break;
		}
		if (n == max) {
			kprintf("pci: %s: more than %u capabilities (a loop?), list cut\n", loc, max);
			*truncated = true;
			break;
		}
		caps[n++] = (struct pci_cap){ .id = cfg[off], .off = (uint8_t)off };
	}
	return n;
}

void pci_func_name(const struct pci_func *f, char *buf, size_t size)
{
	ksnprintf(buf, size, "%04x:%02x:%02x.%x", f->segment, f->bus, f->dev, f->fn);
}
