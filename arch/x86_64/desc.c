/*
 * GDT, TSS and IDT (Intel SDM vol 3 §3.4.5 segment descriptors, §8.2.3
 * 64-bit TSS descriptor, §6.14.1 64-bit IDT gates).
 */
#include <stdint.h>
#include "trap.h"
#include "kstring.h"

#define SEG_CODE64	0x00209a0000000000ULL	/* P, DPL0, code, exec/read, L */
#define SEG_DATA	0x0000920000000000ULL	/* P, DPL0, data, read/write */
#define TSS_AVAILABLE	0x89
#define GATE_INTERRUPT	0x8e			/* P, DPL0, 64-bit interrupt gate */

struct idt_gate {
	uint16_t off_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t isr_stubs[256];
static struct idt_gate idt[256] __attribute__((aligned(16)));

static void set_gate(uint8_t vec, uint64_t handler, uint8_t ist)
{
	idt[vec] = (struct idt_gate){
		.off_lo = (uint16_t)handler,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type = GATE_INTERRUPT,
		.off_mid = (uint16_t)(handler >> 16),
		.off_hi = (uint32_t)(handler >> 32),
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint8_t ist = (v == VEC_DF || v == VEC_NMI || v == VEC_MC) ? IST_EMERGENCY : 0;

		set_gate((uint8_t)v, isr_stubs[v], ist);
	}
}

static void load_idt(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

static void load_gdt(struct cpu_desc *d)
{
	struct desc_ptr p = { sizeof(d->gdt) - 1, (uint64_t)d->gdt };

	/* Reload CS with a far return, then the data segments and TR. */
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "movw %w3, %%ax\n\t"
			 "ltr %%ax"
			 : : "m"(p), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS), "i"(GDT_TSS)
			 : "rax", "memory");
}

void desc_init_cpu(struct cpu_desc *d, uint64_t ist_top)
{
	uint64_t base = (uint64_t)&d->tss, limit = sizeof(d->tss) - 1;

	memset(d, 0, sizeof(*d));
	d->gdt[1] = SEG_CODE64;
	d->gdt[2] = SEG_DATA;
	d->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		    ((uint64_t)TSS_AVAILABLE << 40) | (((limit >> 16) & 0xf) << 48) |
		    (((base >> 24) & 0xff) << 56);
	d->gdt[4] = base >> 32;
	d->tss.ist[IST_EMERGENCY - 1] = ist_top;
	d->tss.iomap_base = sizeof(d->tss);
	load_gdt(d);
	load_idt();
}
