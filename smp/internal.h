/*
 * smp/ private interfaces: the trampoline parameter block, the bring-up
 * table, the shared SMP state, and the pieces the files of smp/ share.
 */
#ifndef NUMABOOT_SMP_INTERNAL_H
#define NUMABOOT_SMP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "percpu.h"
#include "spinlock.h"
#include "smp.h"

/* ---- trampoline (arch/x86_64/trampoline.asm) ---- */

#define TRAMPOLINE_PARAMS_OFFSET	0x10		/* PARAMS */
#define TRAMPOLINE_MAGIC		0x5254424eu	/* "NBTR" */

/* The parameter block at PARAMS in the blob.  The gdt/pm32/lm64 addresses
 * are page-relative in the blob; smp_copy_trampoline() makes them
 * absolute.  Every offset is fixed by trampoline.asm (TP_*). */
struct trampoline_params {
	uint32_t magic;
	uint32_t size;
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint16_t reserved0;
	uint32_t pm32_offset;
	uint16_t pm32_selector;
	uint16_t reserved1;
	uint32_t lm64_offset;
	uint16_t lm64_selector;
	uint16_t reserved2;
	uint32_t cr3;
	uint32_t efer_set;
	uint64_t entry;		/* void smp_ap_entry(struct percpu *) */
	uint64_t slots;		/* struct smp_slot[nslots] */
	uint32_t nslots;
	uint32_t slot_size;
} __attribute__((packed));

_Static_assert(offsetof(struct trampoline_params, magic) == 0x00, "TP_MAGIC");
_Static_assert(offsetof(struct trampoline_params, size) == 0x04, "TP_SIZE");
_Static_assert(offsetof(struct trampoline_params, gdt_limit) == 0x08, "TP_GDT_LIMIT");
_Static_assert(offsetof(struct trampoline_params, gdt_base) == 0x0a, "TP_GDT_BASE");
_Static_assert(offsetof(struct trampoline_params, pm32_offset) == 0x10, "TP_PM32");
_Static_assert(offsetof(struct trampoline_params, pm32_selector) == 0x14, "TP_PM32 selector");
_Static_assert(offsetof(struct trampoline_params, lm64_offset) == 0x18, "TP_LM64");
_Static_assert(offsetof(struct trampoline_params, lm64_selector) == 0x1c, "TP_LM64 selector");
_Static_assert(offsetof(struct trampoline_params, cr3) == 0x20, "TP_CR3");
_Static_assert(offsetof(struct trampoline_params, efer_set) == 0x24, "TP_EFER");
_Static_assert(offsetof(struct trampoline_params, entry) == 0x28, "TP_ENTRY");
_Static_assert(offsetof(struct trampoline_params, slots) == 0x30, "TP_SLOTS");
_Static_assert(offsetof(struct trampoline_params, nslots) == 0x38, "TP_NSLOTS");
_Static_assert(offsetof(struct trampoline_params, slot_size) == 0x3c, "TP_SLOT_SIZE");
_Static_assert(sizeof(struct trampoline_params) == 0x40, "TP_END");

/* One AP's entry in the table the trampoline scans by APIC id (all 32 bits:
 * x2APIC ids may be sparse anywhere in them). */
struct smp_slot {
	uint32_t apic_id;
	uint32_t reserved0;
	uint64_t stack_top;
	uint64_t arg;		/* struct percpu * */
	uint64_t reserved1;
};
_Static_assert(offsetof(struct smp_slot, apic_id) == 0x00, "SLOT_APIC_ID");
_Static_assert(offsetof(struct smp_slot, stack_top) == 0x08, "SLOT_STACK_TOP");
_Static_assert(offsetof(struct smp_slot, arg) == 0x10, "SLOT_ARG");
_Static_assert(sizeof(struct smp_slot) == 0x20, "SLOT_SIZE");

_Static_assert(SMP_MAX_CPUS - 1 <= UINT32_MAX, "TP_NSLOTS is 32 bits");
_Static_assert(sizeof(((struct smp_slot *)0)->apic_id) == 4, "x2APIC ids are 32 bits (CPUID 0Bh EDX)");
_Static_assert(SMP_QUEUE_LEN >= SMP_MAX_CALLS, "a call queue can hold every call in flight");

extern const uint8_t trampoline_blob[], trampoline_blob_end[];

/* ---- CPU states (struct percpu.state) ---- */

enum smp_cpu_state {
	CPU_UNUSED = 0,
	CPU_WAITING,		/* kicked; BSP waits for it (WAITING -> ONLINE by the AP) */
	CPU_ONLINE,		/* checked in */
	CPU_FAILED,		/* timed out (WAITING -> FAILED by the BSP); never used */
};

/* ---- shared state ---- */

struct smp_state {
	uint32_t ncpus;				/* online, dense ids */
	struct percpu *cpus[SMP_MAX_CPUS];	/* by logical id; (C) after bring-up */
	const struct smp_topology *topo;	/* (C) the caller's, for the boot */
	uint64_t call_timeout_ms;		/* (C) */
	bool percpu_ready;			/* (A) the boot CPU's GS base is set */
	bool ready;				/* (A) cross-calls usable: release-set
						 * after ncpus and cpus[] (smp_init) */
	cpumask_t fenced;			/* (A) missed a call deadline; bits only set */
	cpumask_t stuck;			/* (A) fenced and not finished within
						 * SMP_FENCE_ACK_MS; bits only set */
};
extern struct smp_state smp;

/* One bring-up, the boot CPU's working state (smp/init.c fills the
 * inputs, smp/boot.c the rest).  Slot 0 is the boot CPU, then the APs to
 * start in MADT order; slots[] in boot.c holds the APs only. */
struct smp_bringup {
	uint64_t trampoline;			/* page below 1 MiB */
	uint64_t ap_timeout_ms;
	uint64_t ignore_apic;			/* test hook: never kick this APIC id */
	uint32_t nslots;
	uint32_t init_delay_us;			/* out: 0 or the legacy 10 ms */
	uint64_t t_first_init, t_kicked, t_done;	/* TSC; t_done: all ONLINE or FAILED */
	struct percpu *pcs[SMP_MAX_CPUS];	/* by slot */
	uint64_t online_ns[SMP_MAX_CPUS];	/* by slot: first INIT -> check-in */
};

/* smp/boot.c: start the APs of b; 0, or -1 when none could be started. */
int smp_bringup(struct smp_bringup *b);

/* smp/percpu.c: an area with guard-paged stacks for slot, from mem on node
 * (or the nearest node with room); NULL when nothing fits. */
struct percpu *smp_percpu_alloc(uint32_t slot, uint32_t node, const struct smp_mem *mem);
/* Bytes of memory one CPU's area and stacks take. */
uint64_t smp_percpu_bytes(void);
/* Point this CPU's GS base at pc. */
void smp_percpu_install(struct percpu *pc);

/* smp/call.c */
void smp_call_init(void);
void smp_call_drain(struct percpu *self);

#endif
