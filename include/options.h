/*
 * Kernel options: whitespace-separated name=value words from numaboot.cfg
 * on the ESP and the image's load options (later words win).  '#' starts a
 * comment that runs to the end of the line.  Unknown names and malformed
 * values are errors, reported by name; the kernel then exits with
 * EXIT_BAD_OPTION before doing anything else.  docs/options.md lists them.
 */
#ifndef NUMABOOT_OPTIONS_H
#define NUMABOOT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "meminit_mode.h"

enum fault_kind { FAULT_NONE, FAULT_PF, FAULT_UD, FAULT_GP, FAULT_DE };
enum fault_where { FAULT_ON_BSP, FAULT_ON_AP };
enum exit_how { EXIT_HOW_AUTO, EXIT_HOW_RESET, EXIT_HOW_HALT };
enum pmem_memmap { PMEM_MEMMAP_DRAM, PMEM_MEMMAP_DEVICE };
enum pmem_compound { PMEM_COMPOUND_4K, PMEM_COMPOUND_2M, PMEM_COMPOUND_1G };
enum hot_memmap { HOT_MEMMAP_DRAM, HOT_MEMMAP_MEMORY };
/* hot_lazy: hot-added blocks allocatable once their heads are written
 * (docs/hotplug.md); auto = on with meminit=lazy. */
enum hot_lazy { HOT_LAZY_AUTO, HOT_LAZY_ON, HOT_LAZY_OFF };

struct options {
	uint32_t meminit;		/* enum meminit_mode */
	uint32_t fault;			/* enum fault_kind: deliberate fault, for tests */
	uint32_t fault_cpu;		/* enum fault_where */
	uint64_t ap_timeout_ms;		/* per-AP check-in timeout */
	uint64_t call_timeout_ms;	/* cross-call completion timeout */
	uint64_t smp_stress;		/* cross-call stress rounds, 0 = off */
	uint64_t max_cpus;		/* 0 = all the firmware lists */
	uint64_t deferred_sync_mb;	/* per node, initialized before the first allocation */
	uint64_t bw_mb;			/* per-node store-bandwidth sample size, 0 = skip */
	uint64_t ignore_apic;		/* test hook: pretend this APIC id never answers; ~0 = none */
	bool json;			/* print the machine-readable lines */
	bool warmup;			/* untimed memory-init pass before the timed modes */
	bool save_efivar;		/* store the result records in a UEFI variable */
	bool x2apic;			/* allow x2APIC mode */
	uint32_t exit_how;		/* enum exit_how */
	uint64_t exit_delay_s;		/* keep the report on screen before a real machine powers off */
	uint32_t pmem_memmap;		/* enum pmem_memmap: where persistent memory's memmap lives */
	uint32_t pmem_compound;		/* enum pmem_compound: persistent memory's page size */
	uint64_t debug_init_repeat;	/* test aid: run each chunk's range initializer N times */
	uint32_t debug_repeat_mode;	/* test aid: 0 = repeat in every mode, else in mode N-1 only */
	uint64_t meminit_rounds;	/* runs of each timed mode in one boot, the fastest reported */
	uint64_t debug_slow_pct;	/* test aid: each worker spins this percent of its own time */
	bool lava;			/* print LAVA test signals on the console (docs/lava.md) */
	uint64_t serve_s;		/* stay up this long after the report, serving hot-plug */
	uint32_t hot_memmap;		/* enum hot_memmap: where hot-added memory's memmap lives */
	uint32_t hot_lazy;		/* enum hot_lazy */
	uint64_t hot_cpus;		/* CPUs of the node that initialize a hot-add, 0 = all */
	uint64_t debug_hot_pin;		/* test aid: pages pinned in each plugged range until the end */
	uint64_t debug_stuck_cpu;	/* test aid: this logical CPU never finishes a call; 0 = off */
};

void options_defaults(struct options *o);
/* Parse text into o (on top of what it holds).  Returns the number of
 * errors, each reported with kprintf naming the word at fault. */
int options_parse(struct options *o, const char *text, size_t len);
/* Print "name=value" for every option, space separated, into buf. */
void options_format(const struct options *o, char *buf, size_t size);

#endif
