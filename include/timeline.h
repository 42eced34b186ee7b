/*
 * Boot timeline: every phase from efi_main to the verdict, timestamped on
 * the boot CPU's TSC, reported as one "timeline" JSON record (docs/output.md)
 * that tools/timeline.py draws.
 *
 * A mark starts a phase on the boot CPU; the phase ends where the next mark
 * starts (the last one at timeline_emit).  A span is a per-CPU interval of a
 * parallel phase (a worker's share of a meminit mode), given as TSC values
 * the CPU read itself.
 *
 * Owner: kernel_main (kernel/main.c) holds the one struct timeline and
 * passes it explicitly: to meminit in struct meminit_config, which hands it
 * to each init request for the workers' spans (mm/request.c).
 * Every function accepts tl == NULL and then does nothing.  Marks: boot CPU
 * only (F: nmarks is the boot CPU's).  Spans: any CPU (A: a slot is claimed
 * with an atomic add on nspans).
 */
#ifndef NUMABOOT_TIMELINE_H
#define NUMABOOT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"
#include "x86.h"

#define TIMELINE_MAX_MARKS	64
#define TIMELINE_MAX_SPANS	512

struct timeline_mark {
	const char *phase;		/* static string */
	const char *sub;		/* static string or NULL (e.g. the meminit mode) */
	uint64_t tsc;
};

struct timeline_span {
	const char *phase;
	const char *sub;
	uint32_t cpu;			/* logical CPU number (smp_this_cpu) */
	uint64_t start_tsc, end_tsc;
};

struct timeline {
	uint64_t efi_main_tsc;		/* (C) 0: unknown (boot_info without it) */
	uint32_t nmarks;		/* (B) */
	uint32_t nspans;		/* (A) slots claimed, may exceed TIMELINE_MAX_SPANS */
	struct timeline_mark marks[TIMELINE_MAX_MARKS];
	struct timeline_span spans[TIMELINE_MAX_SPANS];
};

/* Start the timeline with boot/'s marks (firmware hand-off at efi_main,
 * ExitBootServices) from bi and a "kernel_main" mark at now_tsc.  bi may
 * be NULL or not match BOOT_INFO_MAGIC: then only "kernel_main". */
void timeline_init(struct timeline *tl, const struct boot_info *bi, uint64_t now_tsc);
/* Start phase "phase" (or "phase:sub") at tsc.  Boot CPU only. */
void timeline_mark_at(struct timeline *tl, const char *phase, const char *sub, uint64_t tsc);
/* Record CPU cpu's share [start_tsc, end_tsc) of a parallel phase.  Any CPU. */
void timeline_span_cpu(struct timeline *tl, const char *phase, const char *sub, uint32_t cpu,
		       uint64_t start_tsc, uint64_t end_tsc);
/* Close the last phase at end_tsc and write the "timeline" record (times in
 * microseconds since TSC 0, i.e. since reset on most machines) into buf. */
void timeline_emit(const struct timeline *tl, uint64_t end_tsc, uint64_t tsc_hz, char *buf, size_t size);

static inline void timeline_mark(struct timeline *tl, const char *phase)
{
	timeline_mark_at(tl, phase, NULL, rdtsc());
}

static inline void timeline_mark_sub(struct timeline *tl, const char *phase, const char *sub)
{
	timeline_mark_at(tl, phase, sub, rdtsc());
}

#endif
