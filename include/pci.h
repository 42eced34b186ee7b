/*
 * PCI Express configuration space through ECAM (pci/).
 *
 * pci/config.c is pure: it decodes a snapshot of a function's first 256
 * bytes of configuration space (BARs, the capability list), bounds-checking
 * every offset, so the host tests run it over a byte array.  pci/ecam.c is
 * the kernel side: it walks every bus, device and function of the MCFG's
 * ECAM windows (PCI Express Base 6.0 §7.2.2) on the identity map, taking a
 * snapshot of each function it finds.  Boot CPU only, before SMP bring-up
 * or with no other CPU touching PCI.  See docs/hotplug.md.
 */
#ifndef NUMABOOT_PCI_H
#define NUMABOOT_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi.h"

#define PCI_CFG_SNAPSHOT	256	/* bytes of config space kept per function */
#define PCI_MAX_FUNCS		64	/* functions kept by pci_enumerate() */
#define PCI_MAX_CAPS		48	/* (256 - 64) / 4: more means a loop */
#define PCI_NBARS		6	/* type 0 header */

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34
#define PCI_STATUS_CAP_LIST	(1u << 4)
#define PCI_COMMAND_MEMORY	(1u << 1)
#define PCI_HEADER_MULTIFUNC	0x80
#define PCI_HEADER_LAYOUT	0x7f	/* 0: endpoint (type 0), 1: bridge */
#define PCI_CAP_ID_VENDOR	0x09

/* A BAR as the firmware assigned it (PCI Local Bus 3.0 §6.2.5.1); the size
 * is not probed (that would need writes to a live BAR). */
struct pci_bar {
	uint64_t base;		/* 0: not assigned */
	bool io;		/* I/O space; base is a port */
	bool mem64;		/* 64-bit memory BAR: it used the next BAR slot too */
	bool prefetch;
};

/* One capability: id and its offset in config space. */
struct pci_cap {
	uint8_t id;
	uint8_t off;
};

struct pci_func {
	uint16_t segment;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t header_type;	/* layout bits only */
	uint64_t ecam;		/* physical address of its 4 KiB of config space */
	uint32_t ncaps;
	bool caps_truncated;	/* the list looped or pointed outside the snapshot */
	struct pci_bar bar[PCI_NBARS];
	struct pci_cap caps[PCI_MAX_CAPS];
	uint8_t cfg[PCI_CFG_SNAPSHOT];	/* snapshot taken by pci_enumerate() */
};

struct pci_scan {
	bool present;		/* an MCFG gave at least one window */
	uint32_t nfuncs;
	uint32_t nbuses;	/* buses walked */
	uint32_t nwindows_unmapped;	/* windows that could not be mapped (message) */
	bool overflow;		/* more than PCI_MAX_FUNCS functions; rest not kept */
	struct pci_func funcs[PCI_MAX_FUNCS];
};

static inline uint16_t pci_cfg16(const uint8_t *cfg, size_t off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static inline uint32_t pci_cfg32(const uint8_t *cfg, size_t off)
{
	return (uint32_t)pci_cfg16(cfg, off) | (uint32_t)pci_cfg16(cfg, off + 2) << 16;
}

/* Decode the BARs of a type 0 header in cfg[0, len) into bar[]; a bridge
 * (type 1) has two, the rest are left zero.  A 64-bit BAR in the last slot
 * is refused (message naming loc) and left zero.  Pure. */
void pci_bars_decode(const uint8_t *cfg, size_t len, const char *loc, struct pci_bar bar[PCI_NBARS]);

/* Walk the capability list of cfg[0, len) into caps[] (at most max).
 * Returns the number found; *truncated is set, with a message naming loc,
 * when a pointer leaves [0x40, len - 2) or the list is longer than max
 * (a loop).  Pure. */
uint32_t pci_caps_walk(const uint8_t *cfg, size_t len, const char *loc, struct pci_cap *caps,
		       uint32_t max, bool *truncated);

/* "SSSS:BB:DD.F" into buf (at least 13 bytes). */
void pci_func_name(const struct pci_func *f, char *buf, size_t size);

/* Kernel: enumerate every function of the MCFG windows into *out (cleared
 * first), mapping the windows if the identity map does not cover them.  A
 * missing MCFG is reported and leaves out->present false. */
void pci_enumerate(const struct acpi_mcfg_info *mcfg, struct pci_scan *out);

#endif
