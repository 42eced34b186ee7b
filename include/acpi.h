/*
 * ACPI table parsers (acpi/): bytes and a length in, neutral structs out.
 *
 * No ACPI structure type leaves acpi/; callers see only the plain arrays
 * below.  Every parser is a pure function of its input: it bounds-checks
 * each read against the table length, verifies the checksum, skips disabled
 * entries, and reports anything it refuses with a kprintf line that starts
 * "acpi: ".  A refused table leaves its part of struct acpi_info marked not
 * present, never half-filled with data that was not checked.
 *
 * Callers: the boot CPU, once, before SMP bring-up (acpi_scan()), and the
 * host tool tools/numaboot-topo.c and the tests (the per-table entry
 * points).  struct acpi_info is about 200 KiB: keep it static, not on a
 * stack.  See docs/acpi.md.
 */
#ifndef NUMABOOT_ACPI_H
#define NUMABOOT_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

#define ACPI_MAX_CPUS		4096	/* MADT / SRAT processor entries kept */
#define ACPI_MAX_MEM_RANGES	512	/* SRAT memory affinity entries kept */
#define ACPI_MAX_DOMAINS	256	/* distinct proximity domains; SLIT localities */
#define ACPI_MAX_TABLE_LEN	(16u << 20)	/* longer tables are refused as impossible */
#define ACPI_MAX_NFIT_SPA	64	/* NFIT persistent-memory SPA ranges kept */
#define ACPI_MAX_MCFG		16	/* MCFG ECAM allocations kept */

/* A processor from the MADT, in MADT order (ACPI 6.5 §5.2.12.2, §5.2.12.12). */
struct acpi_cpu {
	uint32_t apic_id;	/* xAPIC id (type 0) or x2APIC id (type 9) */
	uint32_t uid;		/* ACPI processor UID */
	bool enabled;		/* usable now */
	bool online_capable;	/* not enabled, may be brought online later */
	bool x2apic;		/* came from an x2APIC (type 9) entry */
};

struct acpi_madt_info {
	bool present;		/* a MADT passed the checks */
	uint64_t lapic_addr;	/* local APIC base, after any type 5 override */
	uint32_t flags;		/* MADT flags; bit 0 PC-AT compatible 8259s */
	uint32_t ncpus;		/* entries in cpus[] */
	uint32_t nunusable;	/* entries neither enabled nor online capable, not kept */
	uint32_t nduplicate;	/* entries whose APIC id was seen before, not kept */
	bool overflow;		/* more than ACPI_MAX_CPUS usable entries; rest dropped */
	bool truncated;		/* subtable walk stopped at a bad length */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
};

/* SRAT processor affinity: type 0 (xAPIC) or type 2 (x2APIC), enabled only. */
struct acpi_cpu_affinity {
	uint32_t apic_id;
	uint32_t domain;	/* proximity domain */
	bool x2apic;
};

/* SRAT memory affinity (type 1), enabled only: [base, base + length). */
struct acpi_mem_affinity {
	uint64_t base;
	uint64_t length;
	uint32_t domain;
	bool hotplug;		/* hot-pluggable */
	bool nonvolatile;
};

struct acpi_srat_info {
	bool present;
	uint8_t revision;	/* table header revision; 1 means 8-bit domains */
	uint32_t ncpus;
	uint32_t nmem;
	bool cpu_overflow;	/* more processor entries than ACPI_MAX_CPUS */
	bool mem_overflow;	/* more memory entries than ACPI_MAX_MEM_RANGES */
	bool truncated;		/* subtable walk stopped at a bad length */
	struct acpi_cpu_affinity cpus[ACPI_MAX_CPUS];
	struct acpi_mem_affinity mem[ACPI_MAX_MEM_RANGES];
};

/* SLIT (§5.2.17): dist[i][j] for localities (= proximity domains) i, j < n. */
struct acpi_slit_info {
	bool present;		/* table found and trustworthy; else ignore it */
	bool found;		/* a SLIT was there (trusted or not) */
	char reason[96];	/* why a found SLIT is not present (distrusted) */
	uint32_t n;
	uint8_t dist[ACPI_MAX_DOMAINS][ACPI_MAX_DOMAINS];
};

/*
 * NFIT System Physical Address Range structure (ACPI 6.5 §5.2.26.2) of the
 * persistent-memory type, as the firmware gave it: [base, base + length)
 * unchecked (zero length, wrap-around, overlaps are judged by numa/numa.c).
 */
struct acpi_nfit_spa {
	uint64_t base;
	uint64_t length;
	uint32_t domain;	/* proximity domain; meaningful only when domain_valid */
	bool domain_valid;	/* flag bit 1, Proximity Domain valid */
	uint16_t index;		/* SPA Range Structure Index */
	uint16_t flags;		/* SPA flags as given (bit 0 add/online only, bit 1 domain valid) */
};

struct acpi_nfit_info {
	bool present;		/* an NFIT passed the table checks */
	uint32_t nspa;		/* entries in spa[] */
	uint32_t nother;	/* SPA ranges of other types (volatile, control region...), not kept */
	uint32_t nrejected;	/* SPA structures refused: shorter than the layout (message) */
	bool overflow;		/* more than ACPI_MAX_NFIT_SPA persistent-memory ranges */
	bool truncated;		/* structure walk stopped at a bad length */
	struct acpi_nfit_spa spa[ACPI_MAX_NFIT_SPA];
};

/*
 * One MCFG configuration space base address allocation (PCI Firmware 3.2
 * §4.1.2): buses [bus_start, bus_end] of a segment group, 1 MiB of ECAM
 * config space per bus from base (the address of bus 0, even when bus_start
 * is not 0).  Checked by acpi/mcfg.c: bus_start <= bus_end, base 1 MiB
 * aligned, the window does not wrap.
 */
struct acpi_mcfg_seg {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
};

struct acpi_mcfg_info {
	bool present;		/* an MCFG passed the table checks */
	uint32_t nseg;		/* entries in seg[] */
	uint32_t nrejected;	/* allocations refused (message says why) */
	bool overflow;		/* more than ACPI_MAX_MCFG allocations */
	bool truncated;		/* trailing bytes not a whole allocation */
	struct acpi_mcfg_seg seg[ACPI_MAX_MCFG];
};

enum acpi_space {
	ACPI_SPACE_MEMORY = 0,	/* GAS address space ids, §5.2.3.2 */
	ACPI_SPACE_IO = 1,
};

/* Timers for TSC calibration: FADT PM timer (§5.2.9, §4.8.3.3) and HPET. */
struct acpi_timer_info {
	bool pm_present;	/* FADT gave a usable PM timer */
	uint8_t pm_space;	/* enum acpi_space: I/O port or MMIO */
	uint64_t pm_addr;	/* port number or physical address */
	bool pm_32bit;		/* TMR_VAL_EXT: counter is 32 bits, else 24 */
	bool fadt_present;
	bool hw_reduced;	/* HW_REDUCED_ACPI: no PM timer by definition */
	bool hpet_present;
	uint64_t hpet_base;	/* physical address of the HPET registers */
};

/*
 * The table override (docs/acpi.md, "Table override"): one record per file
 * of the boot disk's folder, sorted by file name.  A used override replaces
 * every firmware table of its signature (REPLACED) or adds one (ADDED); a
 * table numaboot does not read is UNUSED; a refused one (why) leaves the
 * firmware's tables of its signature in use.
 */
#define ACPI_OVERRIDE_MAX	BOOT_ACPI_OVERRIDE_MAX_FILES
#define ACPI_OVERRIDE_WHY_MAX	80
/* The JSON record: ~120 bytes of fields, each record at most ~430 (names
 * and reasons with every character escaped twice over). */
#define ACPI_OVERRIDE_JSON_BUF_SIZE	(256 + ACPI_OVERRIDE_MAX * \
					 (128 + 2 * (BOOT_ACPI_OVERRIDE_NAME_MAX + ACPI_OVERRIDE_WHY_MAX)))

enum acpi_override_status {
	ACPI_OVERRIDE_ADDED = 0,
	ACPI_OVERRIDE_REPLACED,
	ACPI_OVERRIDE_UNUSED,
	ACPI_OVERRIDE_REJECTED,
};

struct acpi_override_rec {
	char file[BOOT_ACPI_OVERRIDE_NAME_MAX];
	char signature[5];	/* the first 4 bytes, '?' for unprintable or missing ones */
	uint64_t length;	/* of the file */
	uint32_t status;	/* enum acpi_override_status */
	uint32_t nfirmware;	/* firmware tables of this signature the root table lists */
	char why[ACPI_OVERRIDE_WHY_MAX];	/* REJECTED: the reason, as the console says it */
};

struct acpi_override_info {
	bool dir_found;		/* the folder exists (possibly empty) */
	uint32_t nfiles;	/* records in rec[] */
	uint32_t nbeyond;	/* files past BOOT_ACPI_OVERRIDE_MAX_FILES, not read */
	struct acpi_override_rec rec[ACPI_OVERRIDE_MAX];
};

struct acpi_info {
	uint8_t rsdp_revision;	/* 0 for ACPI 1.0 (RSDT), >= 2 with an XSDT */
	bool used_rsdt;		/* the XSDT was missing or bad; the RSDT was walked */
	struct acpi_madt_info madt;
	struct acpi_srat_info srat;
	struct acpi_slit_info slit;
	struct acpi_timer_info timer;
	struct acpi_nfit_info nfit;
	struct acpi_mcfg_info mcfg;
	struct acpi_override_info override;
};

/* map(): a pointer to len readable bytes at physical address phys, or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len, void *ctx);

/* Clear *out (nothing present). */
void acpi_info_init(struct acpi_info *out);

/*
 * Walk RSDP -> XSDT (RSDT when the XSDT is absent or bad) and parse every
 * table numaboot knows (APIC, SRAT, SLIT, FACP, HPET, NFIT, MCFG) into *out, which is
 * initialized first.  ov (NULL: none) lists the boot disk's override files
 * (physical addresses, reached through map() like the firmware's tables):
 * each is checked and parsed first, and a used one stands for every
 * firmware table of its signature; out->override reports each file.
 * Returns 0 when the RSDP and a root table were valid, -1 otherwise (out
 * then holds only the overrides' tables).  Boot CPU only.
 */
int acpi_scan(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, const struct boot_acpi_override *ov,
	      struct acpi_info *out);

/*
 * Table override (acpi/override.c), the steps acpi_scan() takes and
 * tools/numaboot-topo.c takes on a host's tables: check and parse the
 * override files into out before any other table (nothing when ov is NULL
 * or its folder was not found); whether a table of signature sig (its
 * first 4 bytes) at phys (0: address unknown) is replaced by a used
 * override (true: do not read it; counted either way, and reported when
 * true); the per-file report, after every other table.
 */
void acpi_override_apply(const struct boot_acpi_override *ov, acpi_map_fn map, void *ctx,
			 struct acpi_info *out);
bool acpi_override_claims(struct acpi_info *out, const char *sig, uint64_t phys);
void acpi_override_report(const struct acpi_override_info *o);

/* The "acpi_override" JSON record (docs/output.md) into buf, emitted;
 * nothing when the folder does not exist. */
void acpi_override_emit_json(const struct acpi_override_info *o, char *buf, size_t size);

/*
 * Check one table (header length within len, checksum) and parse it by its
 * signature into the matching part of *out.  Returns 0 when parsed, 1 when
 * the signature is not one numaboot uses, -1 when the table was refused.
 * A second table of a kind already present is refused.
 */
int acpi_parse_table(const void *table, size_t len, struct acpi_info *out);

/* Per-table parsers: same checks; each clears and fills only its own part
 * (the FADT the pm_* / fadt_present / hw_reduced fields of the timer info,
 * the HPET the hpet_* fields).  0 when parsed, -1 when refused. */
int acpi_parse_madt(const void *table, size_t len, struct acpi_madt_info *out);
int acpi_parse_srat(const void *table, size_t len, struct acpi_srat_info *out);
int acpi_parse_slit(const void *table, size_t len, struct acpi_slit_info *out);
int acpi_parse_fadt(const void *table, size_t len, struct acpi_timer_info *out);
int acpi_parse_hpet(const void *table, size_t len, struct acpi_timer_info *out);
int acpi_parse_nfit(const void *table, size_t len, struct acpi_nfit_info *out);
int acpi_parse_mcfg(const void *table, size_t len, struct acpi_mcfg_info *out);

#endif
