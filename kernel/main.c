/*
 * kernel_main: the boot CPU's path from boot_info to the report and exit.
 * Each step names the subsystem that owns it; see docs/architecture.md.
 * The system it builds is one struct kernel, owned here and passed down:
 * nothing else of the boot's state is file-static.
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

/* smp/'s view of the machine's CPUs (include/smp.h), over the NUMA table. */
struct kernel_cpus {
	struct smp_topology topo;		/* first: smp/ hands it back */
	const struct numa_topology *numa;
};

/*
 * The system kernel_main builds, for the whole boot (B: boot CPU only,
 * except where a subsystem's own header says who else reads it).  One
 * object of static storage, never a stack: cross-calls and the workload
 * CPUs are given parts of it that must outlive them (include/smp.h).
 */
struct kernel {
	const struct boot_info *bi;
	struct options opts;			/* defaults, then the command line */
	struct machine machine;			/* ACPI tables and the NUMA topology */
	struct kernel_cpus cpus;		/* smp_init()'s topology */
	struct mm_state mm;
	struct meminit_results meminit_res;
	struct timeline timeline;		/* include/timeline.h */
	struct pci_scan pci;
	struct virtio_mem_set vmem;
	struct serve_ctx serve;			/* the live phase (serve_s=); include/hotplug.h */
};

/* The boot CPU's descriptor tables and exception stack until smp_init()
 * moves them to its per-CPU area. */
static struct cpu_desc bsp_desc;
static uint8_t bsp_ist_stack[16384] __attribute__((aligned(16)));
static struct kernel kernel;

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

/* The verdict: report it, save the report (save_efivar=), then exit as
 * the options say (before they are parsed: their zero defaults). */
static __attribute__((noreturn)) void end_boot(struct kernel *k, enum exit_code code)
{
	const struct options *opts = &k->opts;
	const char *status = code == EXIT_OK ? "ok" : code == EXIT_CHECK_FAIL ? "check_failed" :
			     code == EXIT_BAD_OPTION ? "bad_option" : "panic";

	timeline_mark(&k->timeline, "verdict");
	lava_verdict(opts, status);
	kprintf("numaboot: done: %s\n", status);
	if (tsc_hz)
		timeline_emit(&k->timeline, rdtsc(), tsc_hz, report_json_buf, sizeof(report_json_buf));
	emit_result(status, code);
	report_save_commit(k->bi);	/* nothing until report_save_init() enabled it */
	if (opts->exit_how == EXIT_HOW_HALT) {
		kprintf("numaboot: halted (exit=halt)\n");
		for (;;)
			halt();
	}
	/* Before a firmware power-off (a real machine, or exit=reset), which
	 * may leave only the screen: keep the report readable for a while. */
	if ((opts->exit_how == EXIT_HOW_RESET || !arch_under_qemu()) && opts->exit_delay_s) {
		kprintf("numaboot: powering off in %llu s (exit_delay_s; exit=halt keeps the report on screen)\n",
			(unsigned long long)opts->exit_delay_s);
		for (uint64_t s = 0; s < opts->exit_delay_s; s++)
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
static void end_if_stuck(struct kernel *k, const char *phase)
{
	if (!smp_nstuck())
		return;
	smp_report_fence();
	kprintf("numaboot: %u CPUs never finished a cross-call whose deadline they missed "
		"(%s): they may still write; the boot ends here: a failed check\n", smp_nstuck(),
		phase);
	end_boot(k, EXIT_CHECK_FAIL);
}

/* PCI through ECAM and virtio-mem discovery (docs/hotplug.md, step 1):
 * report only; a missing MCFG or a bad device never fails the boot. */
static void discover_hotplug(struct kernel *k)
{
	timeline_mark(&k->timeline, "pci");
	pci_enumerate(&k->machine.acpi.mcfg, &k->pci);
	virtio_mem_probe(&k->pci, &k->machine.numa, k->bi, &k->vmem);
}

/* serve_s=N: the live phase, every CPU allocating while the boot CPU
 * serves the virtio-mem devices (docs/hotplug.md).  0, or -1 (reported). */
static int run_live(struct kernel *k)
{
	timeline_mark(&k->timeline, "serve");
	if (hotplug_alloc_workload(&k->serve))
		return -1;
	hotplug_register(&k->serve, &hotplug_kernel_ops);
	return serve_run(&k->serve, k->opts.serve_s);
}

/* Memory init in the chosen mode(s) and its report. */
static int run_meminit(struct kernel *k)
{
	const struct options *o = &k->opts;
	/* meminit=deferred alone: devices are served while boot-time init runs */
	bool hook = o->serve_s && o->meminit == MEMINIT_DEFERRED;
	const struct meminit_config cfg = {
		.deferred_hook = hook ? hotplug_during_boot_init : NULL,
		.deferred_ctx = &k->serve,
		.mode = o->meminit,
		.warmup = o->warmup,
		.deferred_sync_mb = o->deferred_sync_mb,
		.bw_mb = o->bw_mb,
		.rounds = (uint32_t)o->meminit_rounds,
		.init_repeat = (uint32_t)o->debug_init_repeat,
		.slow_pct = (uint32_t)o->debug_slow_pct,
		.init_repeat_mode = o->debug_repeat_mode ?
			meminit_mode_names[o->debug_repeat_mode - 1] : NULL,
		.timeline = &k->timeline,
	};
	int err = meminit_run(&k->mm, &cfg, &k->meminit_res);

	end_if_stuck(k, "meminit");
	timeline_mark(&k->timeline, "report");
	report_meminit(&k->mm, &k->meminit_res);
	lava_report_meminit(o, &k->mm, &k->meminit_res);
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

/* smp/'s node-of-APIC lookup: the NUMA table's. */
static uint32_t cpus_node_of_apic(const struct smp_topology *t, uint32_t apic_id)
{
	return numa_node_of_apic(((const struct kernel_cpus *)t)->numa, apic_id);
}

static void describe_cpus(struct kernel *k)
{
	const struct numa_topology *numa = &k->machine.numa;

	k->cpus = (struct kernel_cpus){
		.topo = { .cpus = numa->cpus, .ncpus = numa->ncpus, .nnodes = numa->nnodes,
			  .madt_unusable = k->machine.acpi.madt.nunusable,
			  .node_of_apic = cpus_node_of_apic },
		.numa = numa,
	};
}

/* The options smp_init() takes. */
static struct smp_config smp_config(const struct options *o)
{
	return (struct smp_config){ .max_cpus = o->max_cpus, .ap_timeout_ms = o->ap_timeout_ms,
				    .call_timeout_ms = o->call_timeout_ms,
				    .ignore_apic = o->ignore_apic };
}

/* serve_s=N: the live phase's state (the rest of k->serve stays zero). */
static void prepare_live(struct kernel *k)
{
	struct serve_ctx *s = &k->serve;

	s->mm = &k->mm;
	s->ncpus = smp_ncpus();
	s->vset = &k->vmem;
	s->hot_cpus = (uint32_t)k->opts.hot_cpus;
	s->pin = (uint32_t)k->opts.debug_hot_pin;
	s->loc = k->opts.hot_memmap == HOT_MEMMAP_MEMORY ? MM_MEMMAP_DEVICE : MM_MEMMAP_DRAM;
	s->lazy = k->opts.hot_lazy == HOT_LAZY_ON ||
		  (k->opts.hot_lazy == HOT_LAZY_AUTO && k->opts.meminit == MEMINIT_LAZY);
}

/* Options, topology, memblock and the vmemmap, SMP, the freeze; the debug
 * faults.  Ends the boot on a failure. */
static void bring_up(struct kernel *k)
{
	const struct boot_info *bi = k->bi;
	struct options *o = &k->opts;
	struct mm_device_config dcfg;
	struct smp_config scfg;
	struct smp_mem smp_mem;

	options_defaults(o);
	if (options_parse(o, bi->cmdline, bi->cmdline_len)) {
		kprintf("numaboot: rejecting the command line \"%s\"\n", bi->cmdline);
		end_boot(k, EXIT_BAD_OPTION);
	}
	exit_use_firmware_reset(o->exit_how == EXIT_HOW_RESET);
	json_set_console(o->json);
	report_save_init(o);
	report_boot(bi, o);
	report_memmap(bi);
	timeline_mark(&k->timeline, "acpi");
	topology_init(bi, &k->machine);
	timeline_mark(&k->timeline, "tsc");
	tsc_init(&k->machine.acpi.timer);
	/* memblock and the memmap first: per-CPU areas come from memblock,
	 * each on its CPU's node; the freeze waits until SMP has them. */
	timeline_mark(&k->timeline, "memblock_vmemmap");
	dcfg = device_config(o);
	if (mm_setup(bi, &k->machine.numa, &dcfg, &k->mm))
		end_boot(k, EXIT_CHECK_FAIL);
	timeline_mark(&k->timeline, "ap_bringup");
	describe_cpus(k);
	lapic_init_bsp(k->machine.acpi.madt.present ? k->machine.acpi.madt.lapic_addr : 0,
		       smp_max_enabled_apic_id(&k->cpus.topo), o->x2apic);
	smp_mem = mm_smp_mem(&k->mm);
	scfg = smp_config(o);
	if (smp_init(bi, &scfg, &k->cpus.topo, &smp_mem))
		end_boot(k, EXIT_CHECK_FAIL);
	if (mm_setup_finish(&k->mm))
		end_boot(k, EXIT_CHECK_FAIL);
	if (o->smp_stress && smp_stress_run(o->smp_stress)) {
		end_if_stuck(k, "smp_stress");
		end_boot(k, EXIT_CHECK_FAIL);
	}
	if (o->debug_stuck_cpu)
		smp_stuck_run((uint32_t)o->debug_stuck_cpu);
	end_if_stuck(k, "debug_stuck_cpu");
	if (o->fault != FAULT_NONE && o->fault_cpu == FAULT_ON_AP)
		fault_on_ap(&o->fault);
	else if (o->fault != FAULT_NONE)
		deliberate_fault(o->fault);
	end_if_stuck(k, "fault_cpu");
}

void kernel_main(const struct boot_info *bi)
{
	struct kernel *k = &kernel;
	int meminit_err;

	k->bi = bi;
	timeline_init(&k->timeline, bi, rdtsc());
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
		end_boot(k, EXIT_PANIC);
	}
	bring_up(k);
	mm_plan_workers(&k->mm, &k->machine.numa);
	if (k->opts.serve_s) {	/* the live phase needs its devices, maybe during meminit */
		discover_hotplug(k);
		prepare_live(k);
	}
	meminit_err = run_meminit(k);
	if (smp_nfenced()) {
		smp_report_fence();
		kprintf("numaboot: %u CPUs missed a cross-call deadline (call_timeout_ms=%llu) "
			"and were fenced: a failed check\n", smp_nfenced(),
			(unsigned long long)k->opts.call_timeout_ms);
		end_boot(k, EXIT_CHECK_FAIL);
	}
	if (!k->opts.serve_s)
		discover_hotplug(k);
	if (meminit_err)
		end_boot(k, EXIT_CHECK_FAIL);
	if (k->opts.serve_s && run_live(k)) {
		end_if_stuck(k, "serve");
		end_boot(k, EXIT_CHECK_FAIL);
	}
	end_boot(k, EXIT_OK);
}
