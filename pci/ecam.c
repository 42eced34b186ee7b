/*
 * PCI Express enumeration through ECAM (PCI Express Base 6.0 §7.2.2): the
 * 4 KiB of configuration space of segment s, bus b, device d, function f
 * sits at base(s) + (b << 20 | d << 15 | f << 12).  Every bus of every MCFG
 * window is walked (a brute-force scan: no bridge programming is needed,
 * the firmware assigned buses and BARs); a function exists when its vendor
 * id is not 0xffff.  Boot CPU only, before SMP bring-up or with no other
 * CPU touching PCI; reads only.
 */
#include "kprintf.h"
#include "kstring.h"
#include "paging.h"
#include "pci.h"

#define ECAM_BUS_SHIFT	20
#define ECAM_DEV_SHIFT	15
#define ECAM_FN_SHIFT	12
#define PCI_NDEVS	32
#define PCI_NFNS	8
#define PCI_NO_VENDOR	0xffff

static uint32_t ecam_read32(uint64_t addr)
{
	return *(const volatile uint32_t *)addr;
}

/* Copy the first PCI_CFG_SNAPSHOT bytes with aligned 32-bit reads (ECAM
 * accesses must be naturally aligned and at most 4 bytes wide). */
static void ecam_snapshot(uint64_t ecam, uint8_t *cfg)
{
	for (uint32_t off = 0; off < PCI_CFG_SNAPSHOT; off += 4) {
		uint32_t v = ecam_read32(ecam + off);

		memcpy(cfg + off, &v, sizeof(v));
	}
}

static void pci_func_add(const struct acpi_mcfg_seg *w, uint32_t bus, uint32_t dev, uint32_t fn,
			 uint64_t ecam, struct pci_scan *out)
{
	struct pci_func *f;
	char loc[16];

	if (out->nfuncs == PCI_MAX_FUNCS) {
		if (!out->overflow)
			kprintf("pci: more than %u functions; %04x:%02x:%02x.%x and later not kept\n",
				PCI_MAX_FUNCS, w->segment, bus, dev, fn);
		out->overflow = true;
		return;
	}
	f = &out->funcs[out->nfuncs++];
	*f = (struct pci_func){ .segment = w->segment, .bus = (uint8_t)bus, .dev = (uint8_t)dev,
				.fn = (uint8_t)fn, .ecam = ecam };
	ecam_snapshot(ecam, f->cfg);
	f->vendor = pci_cfg16(f->cfg, PCI_VENDOR_ID);
	f->device = pci_cfg16(f->cfg, PCI_DEVICE_ID);
	f->header_type = f->cfg[PCI_HEADER_TYPE] & PCI_HEADER_LAYOUT;
	pci_func_name(f, loc, sizeof(loc));
	pci_bars_decode(f->cfg, sizeof(f->cfg), loc, f->bar);
	f->ncaps = pci_caps_walk(f->cfg, sizeof(f->cfg), loc, f->caps, PCI_MAX_CAPS,
				 &f->caps_truncated);
}

/* Every device and function of one bus. */
static void pci_scan_bus(const struct acpi_mcfg_seg *w, uint32_t bus, struct pci_scan *out)
{
	for (uint32_t dev = 0; dev < PCI_NDEVS; dev++) {
		for (uint32_t fn = 0; fn < PCI_NFNS; fn++) {
			uint64_t ecam = w->base + ((uint64_t)bus << ECAM_BUS_SHIFT |
						   dev << ECAM_DEV_SHIFT | fn << ECAM_FN_SHIFT);
			uint32_t id = ecam_read32(ecam);

			if ((id & 0xffff) == PCI_NO_VENDOR) {
				if (fn == 0)
					break;	/* no device: functions 1-7 cannot exist */
				continue;
			}
			pci_func_add(w, bus, dev, fn, ecam, out);
			if (fn == 0 && !(ecam_read32(ecam + 0xc) >> 16 & PCI_HEADER_MULTIFUNC))
				break;
		}
	}
}

void pci_enumerate(const struct acpi_mcfg_info *mcfg, struct pci_scan *out)
{
	memset(out, 0, sizeof(*out));
	if (!mcfg->present || mcfg->nseg == 0) {
		kprintf("pci: no usable MCFG (ECAM) table: PCI devices not enumerated, "
			"virtio-mem not looked for\n");
		return;
	}
	out->present = true;
	for (uint32_t i = 0; i < mcfg->nseg; i++) {
		const struct acpi_mcfg_seg *w = &mcfg->seg[i];
		uint64_t start = w->base + ((uint64_t)w->bus_start << ECAM_BUS_SHIFT);
		uint64_t len = ((uint64_t)w->bus_end - w->bus_start + 1) << ECAM_BUS_SHIFT;

		if (paging_map_mmio(start, len)) {
			kprintf("pci: segment %u ECAM window [0x%llx, 0x%llx) cannot be mapped, "
				"not walked\n", w->segment, (unsigned long long)start,
				(unsigned long long)(start + len));
			out->nwindows_unmapped++;
			continue;
		}
		for (uint32_t bus = w->bus_start; bus <= w->bus_end; bus++, out->nbuses++)
			pci_scan_bus(w, bus, out);
	}
	kprintf("pci: %u functions on %u buses of %u ECAM window(s)\n", out->nfuncs, out->nbuses,
		mcfg->nseg);
}
