/*
 * Descriptor tables and traps (arch/x86_64/desc.c, trap.c, isr.S).
 *
 * One IDT is shared by all CPUs (it is read-only once the boot CPU has
 * filled it); each CPU has its own GDT and TSS (struct cpu_desc), whose IST1
 * stack takes double faults, NMIs and machine checks so that a kernel stack
 * overflow still produces a register dump.
 */
#ifndef NUMABOOT_TRAP_H
#define NUMABOOT_TRAP_H

#include <stdint.h>

#define GDT_KERNEL_CS	0x08
#define GDT_KERNEL_DS	0x10
#define GDT_TSS		0x18	/* 16-byte system descriptor */
#define GDT_ENTRIES	5

#define VEC_DE		0
#define VEC_NMI		2
#define VEC_UD		6
#define VEC_DF		8
#define VEC_GP		13
#define VEC_PF		14
#define VEC_MC		18
#define VEC_FIRST_IRQ	32
#define IST_EMERGENCY	1

/* Pushed by isr.S; field order is the push order reversed. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* hardware frame (Intel SDM vol 3 §6.14.1) */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_frame must match isr.S");

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "TSS layout (Intel SDM vol 3 §8.7)");

struct cpu_desc {
	uint64_t gdt[GDT_ENTRIES];
	struct tss64 tss;
} __attribute__((aligned(64)));

typedef void (*trap_handler_t)(struct trap_frame *tf);

/* Boot CPU, once, before anything can fault: build the IDT. */
void idt_init(void);
/* Any CPU: install handler for an interrupt vector (>= VEC_FIRST_IRQ). */
void idt_set_handler(uint8_t vector, trap_handler_t fn);
/* Each CPU, on itself: build and load its GDT/TSS (ist_top = top of a
 * dedicated emergency stack), reload segments, load the shared IDT. */
void desc_init_cpu(struct cpu_desc *d, uint64_t ist_top);

/* Called from isr.S for every vector. */
void trap_dispatch(struct trap_frame *tf);

/* Print the register dump for tf and exit with the panic code. */
__attribute__((noreturn)) void trap_panic(const struct trap_frame *tf, const char *why);

/* Who is this CPU, for dumps: set by smp/ once per-CPU data exists. */
extern int (*trap_cpu_id_hook)(void);

#endif
