/*
 * Trap dispatch and the panic register dump.
 *
 * Exceptions (vectors 0-31) are always fatal here: the kernel has no user
 * mode and no demand paging, so any fault is a bug or bad firmware.  The
 * first CPU to panic prints vector, error code, RIP, CR2, the general
 * registers and which CPU it was, then exits with EXIT_PANIC; any other CPU
 * that faults meanwhile stops quietly so the dump stays readable.
 */
#include <stdint.h>
#include "console.h"
#include "exit.h"
#include "kprintf.h"
#include "trap.h"
#include "x86.h"

static trap_handler_t handlers[256];
static uint32_t panicking;
int (*trap_cpu_id_hook)(void);

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

void idt_set_handler(uint8_t vector, trap_handler_t fn)
{
	__atomic_store_n(&handlers[vector], fn, __ATOMIC_RELEASE);
}

/* Initial APIC id from CPUID: works on any CPU before smp/ knows it. */
static uint32_t cpuid_apic_id(void)
{
	uint32_t a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	if (a >= 0xb) {
		cpuid(0xb, 0, &a, &b, &c, &d);
		if (b)
			return d;	/* x2APIC id */
	}
	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

static void dump_line(const char *fmt, ...) KPRINTF_FMT(1, 2);
static void dump_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf_to(console_panic_write, fmt, ap);
	va_end(ap);
}

void trap_panic(const struct trap_frame *tf, const char *why)
{
	uint32_t was = __atomic_fetch_add(&panicking, 1, __ATOMIC_ACQ_REL);
	int cpu = trap_cpu_id_hook ? trap_cpu_id_hook() : -1;

	irq_disable();
	if (was)
		for (;;)
			halt();	/* another CPU is already dumping and will exit */
	dump_line("\nPANIC: %s on cpu %d (apic id %u)\n", why, cpu, cpuid_apic_id());
	dump_line("  vector %llu error 0x%llx  rip %016llx  cs %llx  rflags %016llx\n",
		  (unsigned long long)tf->vector, (unsigned long long)tf->error,
		  (unsigned long long)tf->rip, (unsigned long long)tf->cs,
		  (unsigned long long)tf->rflags);
	dump_line("  rsp %016llx ss %llx  cr0 %016llx cr2 %016llx\n",
		  (unsigned long long)tf->rsp, (unsigned long long)tf->ss,
		  (unsigned long long)read_cr0(), (unsigned long long)read_cr2());
	dump_line("  cr3 %016llx cr4 %016llx\n", (unsigned long long)read_cr3(),
		  (unsigned long long)read_cr4());
	dump_line("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		  (unsigned long long)tf->rax, (unsigned long long)tf->rbx,
		  (unsigned long long)tf->rcx, (unsigned long long)tf->rdx);
	dump_line("  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n",
		  (unsigned long long)tf->rsi, (unsigned long long)tf->rdi,
		  (unsigned long long)tf->rbp, (unsigned long long)tf->r8);
	dump_line("  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n",
		  (unsigned long long)tf->r9, (unsigned long long)tf->r10,
		  (unsigned long long)tf->r11, (unsigned long long)tf->r12);
	dump_line("  r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)tf->r13,
		  (unsigned long long)tf->r14, (unsigned long long)tf->r15);
	dump_line("{\"schema\":\"numaboot/1\",\"kind\":\"panic\",\"reason\":\"%s\",\"cpu\":%d,"
		  "\"vector\":%llu,\"error\":%llu,\"rip\":\"0x%llx\",\"cr2\":\"0x%llx\"}\n",
		  why, cpu, (unsigned long long)tf->vector, (unsigned long long)tf->error,
		  (unsigned long long)tf->rip, (unsigned long long)read_cr2());
	arch_exit(EXIT_PANIC);
}

void trap_dispatch(struct trap_frame *tf)
{
	trap_handler_t fn;

	if (tf->vector < VEC_FIRST_IRQ)
		trap_panic(tf, exception_names[tf->vector] ? exception_names[tf->vector] : "exception");
	fn = __atomic_load_n(&handlers[tf->vector], __ATOMIC_ACQUIRE);
	if (fn)
		fn(tf);
	else
		kprintf("trap: unexpected interrupt vector %llu ignored\n",
			(unsigned long long)tf->vector);
}
