/*
 * kernel_main: the boot CPU's path from boot_info to the report and exit.
 * Each step names the subsystem that owns it; see docs/architecture.md.
 */
#include <stdint.h>
#include "console.h"
#include "exit.h"
#include "hotplug.h"
#include "json.h"
#include "kprintf.h"
#include "lapic.h"
#include "lava.h"
#include "meminit.h"
#include "options.h"
#include "paging.h"
#include "pci.h"
#include "report.h"
#include "smp.h"
#include "timeline.h"
#include "topology.h"
#include "trap.h"
#include "tsc.h"
#include "virtio_mem.h"
#include "x86.h"

#define PIC1_DATA	0x21
#define PIC2_DATA	0xa1

static struct cpu_desc bsp_desc;
static uint8_t bsp_ist_stack[16384] __attribute__((aligned(16)));
static struct options opts;
static struct machine machine;
static struct mm_state mm;
static struct meminit_results meminit_res;
static const struct boot_info *boot;
static struct timeline timeline;	/* kernel_main's; see include/timeline.h */
static struct pci_scan pci;
static struct virtio_mem_set vmem;
static struct serve_ctx serve;	/* the live phase (serve_s=); include/hotplug.h */

/* The legacy 8259s stay masked: every interrupt we use is a LAPIC one. */
static void pic_mask_all(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

/* fault=...: a deliberate exception, so tests can see the dump and exit code. */
static void deliberate_fault(uint32_t kind)
{
	volatile uint64_t zero = 0;

	switch (kind) {
	case FAULT_PF:
		kprintf("fault: touching an unmapped address\n");
		(void)*(volatile uint64_t *)0xffff800000000000ULL;
		break;
	case FAULT_UD:
		kprintf("fault: executing ud2\n");
		__asm__ volatile("ud2");
		break;
	case FAULT_GP:
		kprintf("fault: loading a non-canonical address\n");
		(void)*(volatile uint64_t *)0x8000000000000000ULL;
		break;
	case FAULT_DE:
		kprintf("fault: dividing by zero\n");
		zero = 1 / zero;
		break;
	}
}

static void fault_on_this_cpu(void *arg)
{
	kprintf("smp: cpu %u takes the deliberate fault\n", smp_this_cpu());
	deliberate_fault(*(const uint32_t *)arg);
}

/* fault_cpu=ap: the first AP (logical cpu 1) takes the fault in its
 * cross-call handler; the panic path ends the boot from there.  The call's
 * argument is the option itself: a static, never the stack. */
static void fault_on_ap(const uint32_t *kind)
{
	int err;

	if (smp_ncpus() < 2) {
		kprintf("smp: fault_cpu=ap but no AP is online; the boot CPU takes the fault\n");
		deliberate_fault(*kind);
		return;
	}
	err = smp_call_cpu(1, fault_on_this_cpu, (void *)kind);
	kprintf("smp: cpu 1 survived the deliberate fault (%d)\n", err);
}

static void emit_result(const char *status, enum exit_code code)
{
	struct json j;

	json_begin(&j, report_json_buf, sizeof(report_json_buf), "result");
	json_str(&j, "status", status);
	json_u64(&j, "exit_code", code);
	json_emit(&j);
}

static __attribute__((noreturn)) void finish(enum exit_code code)
{
	const char *status = code == EXIT_OK ? "ok" : code == EXIT_CHECK_FAIL ? "check_failed" :
			     code == EXIT_BAD_OPTION ? "bad_option" : "panic";

	timeline_mark(&timeline, "verdict");
	lava_verdict(&opts, status);
	kprintf("numaboot: done: %s\n", status);
	if (tsc_hz)
		timeline_emit(&timeline, rdtsc(), tsc_hz, report_json_buf, sizeof(report_json_buf));
	emit_result(status, code);
	if (boot)
		report_save_commit(boot);
	if (opts.exit_how == EXIT_HOW_HALT) {
		kprintf("numaboot: halted (exit=halt)\n");
		for (;;)
			halt();
	}
	/* Before a firmware power-off (a real machine, or exit=reset), which
	 * may leave only the screen: keep the report readable for a while. */
	if ((opts.exit_how == EXIT_HOW_RESET || !arch_under_qemu()) && opts.exit_delay_s) {
		kprintf("numaboot: powering off in %llu s (exit_delay_s; exit=halt keeps the report on screen)\n",
			(unsigned long long)opts.exit_delay_s);
		for (uint64_t s = 0; s < opts.exit_delay_s; s++)
			delay_us(1000000);
	}
	arch_exit(code);
}

/*
 * A CPU that missed a cross-call deadline and never finished the call
 * (-SMP_ESTUCK) may still write into whatever the call was given: end the
 * boot now, after the phase that made the call returned, before anything
 * reads or reuses that state (include/smp.h).  EXIT_CHECK_FAIL, as for a
 * fenced CPU that did finish.
 */
static void end_if_stuck(const char *phase)
{
	if (!smp_nstuck())
		return;
	smp_report_fence();
	kprintf("numaboot: %u CPUs never finished a cross-call whose deadline they missed "
		"(%s): they may still write; the boot ends here: a failed check\n", smp_nstuck(),
		phase);
	finish(EXIT_CHECK_FAIL);
}

/* PCI through ECAM and virtio-mem discovery (docs/hotplug.md, step 1):
 * report only; a missing MCFG or a bad device never fails the boot. */
static void discover_hotplug(void)
{
	timeline_mark(&timeline, "pci");
	pci_enumerate(&machine.acpi.mcfg, &pci);
	virtio_mem_probe(&pci, &machine.numa, boot, &vmem);
}

/* serve_s=N: the live phase, every CPU allocating while the boot CPU
 * serves the virtio-mem devices (docs/hotplug.md).  0, or -1 (reported). */
static int run_live(void)
{
	timeline_mark(&timeline, "serve");
	if (hotplug_alloc_workload(&serve))
		return -1;
	hotplug_register(&serve);
	return serve_run(&serve, opts.serve_s);
}

/* Memory init in the chosen mode(s) and its report. */
static int run_meminit(void)
{
	/* meminit=deferred alone: devices are served while boot-time init runs */
	bool hook = opts.serve_s && opts.meminit == MEMINIT_DEFERRED;
	const struct meminit_config cfg = {
		.deferred_hook = hook ? hotplug_during_boot_init : NULL,
		.deferred_ctx = &serve,
		.mode = opts.meminit,
		.warmup = opts.warmup,
		.deferred_sync_mb = opts.deferred_sync_mb,
		.bw_mb = opts.bw_mb,
		.rounds = (uint32_t)opts.meminit_rounds,
		.init_repeat = (uint32_t)opts.debug_init_repeat,
		.slow_pct = (uint32_t)opts.debug_slow_pct,
		.init_repeat_mode = opts.debug_repeat_mode ?
			meminit_mode_names[opts.debug_repeat_mode - 1] : NULL,
		.timeline = &timeline,
	};
	int err = meminit_run(&mm, &cfg, &meminit_res);

	end_if_stuck("meminit");
	timeline_mark(&timeline, "report");
	report_meminit(&mm, &meminit_res);
	lava_report_meminit(&opts, &mm, &meminit_res);
	return err;
}

/* The persistent-memory options as mm/ takes them. */
static struct mm_device_config device_config(const struct options *o)
{
	static const unsigned order[] = { [PMEM_COMPOUND_4K] = 0, [PMEM_COMPOUND_2M] = 9,
					  [PMEM_COMPOUND_1G] = 18 };

	return (struct mm_device_config){
		.memmap_loc = o->pmem_memmap == PMEM_MEMMAP_DEVICE ? MM_MEMMAP_DEVICE : MM_MEMMAP_DRAM,
		.compound_order = order[o->pmem_compound],
	};
}

void kernel_main(const struct boot_info *bi)
{
	struct mm_device_config dcfg;
	struct smp_mem smp_mem;
	int meminit_err;

	timeline_init(&timeline, bi, rdtsc());
	irq_disable();
	pic_mask_all();
	exit_init(bi);
	idt_init();
	desc_init_cpu(&bsp_desc, (uint64_t)(bsp_ist_stack + sizeof(bsp_ist_stack)));
	paging_init(bi);
	console_init(bi);
	kprintf("\nnumaboot: kernel_main on the boot CPU\n");
	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION) {
		kprintf("numaboot: boot_info magic/version mismatch\n");
		finish(EXIT_PANIC);
	}
	options_defaults(&opts);
	if (options_parse(&opts, bi->cmdline, bi->cmdline_len)) {
		kprintf("numaboot: rejecting the command line \"%s\"\n", bi->cmdline);
		finish(EXIT_BAD_OPTION);
	}
	exit_use_firmware_reset(opts.exit_how == EXIT_HOW_RESET);
	json_set_console(opts.json);
	boot = bi;
	report_save_init(&opts);
	report_boot(bi, &opts);
	report_memmap(bi);
	timeline_mark(&timeline, "acpi");
	topology_init(bi, &machine);
	timeline_mark(&timeline, "tsc");
	tsc_init(&machine.acpi.timer);
	/* memblock and the memmap first: per-CPU areas come from memblock,
	 * each on its CPU's node; the freeze waits until SMP has them. */
	timeline_mark(&timeline, "memblock_vmemmap");
	dcfg = device_config(&opts);
	if (mm_setup(bi, &machine.numa, &dcfg, &mm))
		finish(EXIT_CHECK_FAIL);
	timeline_mark(&timeline, "ap_bringup");
	lapic_init_bsp(machine.acpi.madt.present ? machine.acpi.madt.lapic_addr : 0,
		       smp_max_enabled_apic_id(&machine.numa), opts.x2apic);
	smp_mem = mm_smp_mem(&mm);
	if (smp_init(bi, &opts, &machine, &smp_mem))
		finish(EXIT_CHECK_FAIL);
	if (mm_setup_finish(&mm))
		finish(EXIT_CHECK_FAIL);
	if (opts.smp_stress && smp_stress_run(opts.smp_stress)) {
		end_if_stuck("smp_stress");
		finish(EXIT_CHECK_FAIL);
	}
	if (opts.debug_stuck_cpu)
		smp_stuck_run((uint32_t)opts.debug_stuck_cpu);
	end_if_stuck("debug_stuck_cpu");
	if (opts.fault != FAULT_NONE && opts.fault_cpu == FAULT_ON_AP)
		fault_on_ap(&opts.fault);
	else if (opts.fault != FAULT_NONE)
		deliberate_fault(opts.fault);
	end_if_stuck("fault_cpu");
	mm_plan_workers(&mm, &machine.numa);
	if (opts.serve_s) {	/* the live phase needs its devices, maybe during meminit */
		discover_hotplug();
		serve.mm = &mm;		/* the rest is zero: a static */
		serve.ncpus = smp_ncpus();
		serve.vset = &vmem;
		serve.hot_cpus = (uint32_t)opts.hot_cpus;
		serve.pin = (uint32_t)opts.debug_hot_pin;
		serve.loc = opts.hot_memmap == HOT_MEMMAP_MEMORY ? MM_MEMMAP_DEVICE : MM_MEMMAP_DRAM;
	}
	meminit_err = run_meminit();
	if (smp_nfenced()) {
		smp_report_fence();
		kprintf("numaboot: %u CPUs missed a cross-call deadline (call_timeout_ms=%llu) "
			"and were fenced: a failed check\n", smp_nfenced(),
			(unsigned long long)opts.call_timeout_ms);
		finish(EXIT_CHECK_FAIL);
	}
	if (!opts.serve_s)
		discover_hotplug();
	if (meminit_err)
		finish(EXIT_CHECK_FAIL);
	if (opts.serve_s && run_live()) {
		end_if_stuck("serve");
		finish(EXIT_CHECK_FAIL);
	}
	finish(EXIT_OK);
}
