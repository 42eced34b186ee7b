/*
 * smp_init(): the boot CPU's SMP phase from topology to idle APs, its
 * report (human lines and the "smp" JSON record, docs/smp.md), and the
 * read-only accessors of include/smp.h.
 */
#include <stdint.h>
#include "exit.h"
#include "json.h"
#include "kassert.h"
#include "kprintf.h"
#include "lapic.h"
#include "tsc.h"
#include "x86.h"
#include "internal.h"

#define SMP_JSON_SIZE	(4096 + SMP_MAX_CPUS * 112)	/* one "cpus" object <= 112 bytes */

struct smp_state smp;
static struct smp_bringup bringup;
static char smp_json[SMP_JSON_SIZE];

/* CPUs the MADT lists that were not started, by reason (for the report). */
struct smp_skipped {
	uint32_t disabled;		/* online-capable only */
	uint32_t capped;		/* beyond max_cpus / SMP_MAX_CPUS */
	uint32_t unaddressable;		/* APIC id too high for xAPIC mode */
	uint32_t no_memory;		/* per-CPU area allocation failed */
};

uint32_t smp_max_enabled_apic_id(const struct smp_topology *t)
{
	uint32_t max = 0;

	for (uint32_t i = 0; i < t->ncpus; i++)
		if (t->cpus[i].enabled && t->cpus[i].apic_id > max)
			max = t->cpus[i].apic_id;
	return max;
}

/* The boot CPU's own area: IST and GDT/TSS move there; its stack stays (the
 * one boot/ gave it: the area records where it is, for the cross-call
 * argument check). */
static int setup_bsp(struct smp_bringup *b, uint32_t apic_id, const struct smp_mem *mem,
		     const struct boot_info *bi)
{
	uint32_t node = smp.topo->node_of_apic(smp.topo, apic_id);
	struct percpu *pc = smp_percpu_alloc(0, node == NUMA_NO_NODE ? 0 : node, mem);

	if (!pc)
		return -1;
	pc->apic_id = pc->madt_apic_id = apic_id;
	pc->stack_base = bi->stack_base;
	pc->stack_top = bi->stack_base + bi->stack_size;
	__atomic_store_n(&pc->state, CPU_ONLINE, __ATOMIC_RELAXED);	/* its own, first */
	desc_init_cpu(&pc->desc, pc->ist_top);
	smp_percpu_install(pc);
	/* Relaxed: set before any AP is started; an AP reads it only after its
	 * INIT/SIPI, which the boot CPU sends after this store (an ICR write:
	 * lapic_write_icr() fences a WRMSR; an xAPIC write is an uncached store). */
	__atomic_store_n(&smp.percpu_ready, true, __ATOMIC_RELAXED);
	b->pcs[0] = pc;
	b->nslots = 1;
	return 0;
}

/* Slots 1.. for the APs in MADT order, within max_cpus. */
static void plan_aps(struct smp_bringup *b, const struct smp_config *cfg, uint32_t bsp_apic_id,
		     const struct smp_mem *mem, struct smp_skipped *sk)
{
	const struct smp_topology *t = smp.topo;
	uint64_t cap = cfg->max_cpus && cfg->max_cpus < SMP_MAX_CPUS ? cfg->max_cpus : SMP_MAX_CPUS;

	for (uint32_t i = 0; i < t->ncpus; i++) {
		const struct numa_cpu *c = &t->cpus[i];
		struct percpu *pc;

		if (c->apic_id == bsp_apic_id)
			continue;
		if (!c->enabled) {
			sk->disabled++;
			continue;
		}
		if (b->nslots >= cap) {
			sk->capped++;
			continue;
		}
		if (c->apic_id > lapic_max_addressable_id()) {
			sk->unaddressable++;
			continue;
		}
		pc = smp_percpu_alloc(b->nslots, c->node, mem);
		if (!pc) {
			sk->no_memory++;
			continue;
		}
		pc->madt_apic_id = c->apic_id;
		b->pcs[b->nslots++] = pc;
	}
}

/* Dense logical ids over the online CPUs, in slot (= MADT) order. */
static void number_cpus(struct smp_bringup *b)
{
	smp.ncpus = 0;
	for (uint32_t s = 0; s < b->nslots; s++) {
		struct percpu *pc = b->pcs[s];

		if (__atomic_load_n(&pc->state, __ATOMIC_ACQUIRE) != CPU_ONLINE)
			continue;
		pc->cpu = smp.ncpus;
		smp.cpus[smp.ncpus++] = pc;
	}
}

static uint64_t bringup_ns(const struct smp_bringup *b)
{
	uint64_t last = 0;

	for (uint32_t s = 1; s < b->nslots; s++)
		if (b->online_ns[s] > last)
			last = b->online_ns[s];
	return last;
}

/* Per-CPU areas that landed on their CPU's own node. */
static uint32_t percpu_node_local(const struct smp_bringup *b)
{
	uint32_t n = 0;

	for (uint32_t s = 0; s < b->nslots; s++)
		n += b->pcs[s]->mem_node == b->pcs[s]->node;
	return n;
}

static void report_human(const struct smp_bringup *b, const struct smp_skipped *sk)
{
	for (uint32_t s = 1; s < b->nslots; s++) {
		const struct percpu *pc = b->pcs[s];

		if (pc->state == CPU_FAILED)
			kprintf("smp: apic id %u did not check in within %llu ms%s; left out\n",
				pc->madt_apic_id, (unsigned long long)b->ap_timeout_ms,
				pc->madt_apic_id == b->ignore_apic ? " (ignore_apic: never kicked)" : "");
		else if (pc->apic_id != pc->madt_apic_id)
			kprintf("smp: cpu %u: LAPIC says apic id %u, MADT said %u\n", pc->cpu,
				pc->apic_id, pc->madt_apic_id);
	}
	for (uint32_t c = 0; c < smp.ncpus; c++) {
		const struct percpu *pc = smp.cpus[c];

		kprintf("smp: cpu %3u apic id %4u node %3u online at %llu us%s\n", c, pc->apic_id,
			pc->node, (unsigned long long)(b->online_ns[pc->slot] / 1000),
			pc->mem_node == pc->node ? "" : " (per-CPU area on another node)");
	}
	if (sk->disabled || sk->capped || sk->unaddressable || sk->no_memory)
		kprintf("smp: not started: %u online-capable only, %u over max_cpus, "
			"%u not addressable, %u without memory\n", sk->disabled, sk->capped,
			sk->unaddressable, sk->no_memory);
	kprintf("smp: per-CPU areas: %u KiB each, %u of %u on their CPU's own node\n",
		(uint32_t)(smp_percpu_bytes() >> 10), percpu_node_local(b), b->nslots);
	kprintf("smp: %u of %u CPUs online (%s), bring-up %llu us, INIT delay %u us\n", smp.ncpus,
		b->nslots, lapic_x2apic_mode() ? "x2APIC" : "xAPIC",
		(unsigned long long)(bringup_ns(b) / 1000), b->init_delay_us);
}

static void report_json(const struct smp_bringup *b, const struct smp_skipped *sk)
{
	struct json j;

	json_begin(&j, smp_json, sizeof(smp_json), "smp");
	json_u64(&j, "cpus_listed", smp.topo->ncpus);
	json_u64(&j, "cpus_unusable", smp.topo->madt_unusable);
	json_u64(&j, "cpus_started", b->nslots);
	json_u64(&j, "cpus_online", smp.ncpus);
	json_arr_begin(&j, "failed_apic_ids");
	for (uint32_t s = 1; s < b->nslots; s++)
		if (b->pcs[s]->state == CPU_FAILED)
			json_u64(&j, NULL, b->pcs[s]->madt_apic_id);
	json_arr_end(&j);
	json_u64(&j, "not_started_disabled", sk->disabled);
	json_u64(&j, "not_started_max_cpus", sk->capped);
	json_u64(&j, "not_started_unaddressable", sk->unaddressable);
	json_u64(&j, "not_started_no_memory", sk->no_memory);
	json_bool(&j, "x2apic", lapic_x2apic_mode());
	json_bool(&j, "x2apic_firmware", lapic_firmware_x2apic());
	json_u64(&j, "tsc_hz", tsc_hz);
	json_str(&j, "tsc_source", tsc_source());
	json_bool(&j, "tsc_invariant", tsc_invariant());
	json_u64(&j, "bringup_ns", bringup_ns(b));
	json_u64(&j, "bringup_wait_ns", b->nslots > 1 ? tsc_to_ns(b->t_done - b->t_first_init) : 0);
	json_u64(&j, "init_delay_us", b->init_delay_us);
	json_u64(&j, "percpu_bytes", smp_percpu_bytes());
	json_u64(&j, "percpu_node_local", percpu_node_local(b));
	json_u64(&j, "ap_timeout_ms", b->ap_timeout_ms);
	json_u64(&j, "bsp_apic_id", b->pcs[0]->apic_id);
	json_hex(&j, "trampoline", b->trampoline);
	json_arr_begin(&j, "cpus");
	for (uint32_t c = 0; c < smp.ncpus; c++) {
		const struct percpu *pc = smp.cpus[c];

		json_obj_begin(&j, NULL);
		json_u64(&j, "cpu", c);
		json_u64(&j, "apic_id", pc->apic_id);
		json_u64(&j, "node", pc->node);
		json_u64(&j, "mem_node", pc->mem_node);
		json_u64(&j, "online_ns", b->online_ns[pc->slot]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_emit(&j);
}

int smp_init(const struct boot_info *bi, const struct smp_config *cfg,
	     const struct smp_topology *topo, const struct smp_mem *mem)
{
	struct smp_bringup *b = &bringup;
	struct smp_skipped sk = { 0 };
	uint32_t bsp_apic_id;

	kassert(cfg && topo && topo->node_of_apic && mem);
	smp.topo = topo;
	smp.call_timeout_ms = cfg->call_timeout_ms;
	bsp_apic_id = lapic_id();
	b->trampoline = bi->trampoline_page;
	b->ap_timeout_ms = cfg->ap_timeout_ms;
	b->ignore_apic = cfg->ignore_apic;
	if (setup_bsp(b, bsp_apic_id, mem, bi)) {
		kprintf("smp: no memory for the boot CPU's per-CPU area; no SMP\n");
		return -1;
	}
	if (topo->node_of_apic(topo, bsp_apic_id) == NUMA_NO_NODE)
		kprintf("smp: the boot CPU (apic id %u) is not in the MADT; node 0 assumed\n",
			bsp_apic_id);
	if (b->trampoline)
		plan_aps(b, cfg, bsp_apic_id, mem, &sk);
	else
		kprintf("smp: boot/ found no trampoline page below 1 MiB: no APs started\n");
	kprintf("smp: boot CPU apic id %u, %s mode, starting %u APs, trampoline at 0x%llx\n",
		bsp_apic_id, lapic_x2apic_mode() ? "x2APIC" : "xAPIC", b->nslots - 1,
		(unsigned long long)b->trampoline);
	smp_call_init();
	if (smp_bringup(b))
		b->nslots = 1;
	number_cpus(b);
	/* release; pairs with the acquire loads in smp_ncpus() and
	 * smp_call_start(): ncpus and cpus[] are complete */
	__atomic_store_n(&smp.ready, true, __ATOMIC_RELEASE);
	irq_enable();
	report_human(b, &sk);
	report_json(b, &sk);
	return 0;
}

/* smp.ready (acquire; pairs with the release at the end of smp_init()):
 * ncpus and cpus[] are complete once it reads true. */
uint32_t smp_ncpus(void)
{
	return __atomic_load_n(&smp.ready, __ATOMIC_ACQUIRE) ? smp.ncpus : 1;
}

uint32_t smp_this_cpu(void)
{
	return __atomic_load_n(&smp.percpu_ready, __ATOMIC_RELAXED) ? this_cpu()->cpu : 0;
}

uint32_t smp_this_node(void)
{
	return __atomic_load_n(&smp.percpu_ready, __ATOMIC_RELAXED) ? this_cpu()->node : 0;
}

uint32_t smp_cpu_apic_id(uint32_t cpu)
{
	return cpu < smp.ncpus ? smp.cpus[cpu]->apic_id : UINT32_MAX;
}

uint32_t smp_cpu_node(uint32_t cpu)
{
	return cpu < smp.ncpus ? smp.cpus[cpu]->node : UINT32_MAX;
}

void smp_node_cpumask(uint32_t node, cpumask_t *out)
{
	cpumask_clear(out);
	for (uint32_t c = 0; c < smp.ncpus; c++)
		if (smp.cpus[c]->node == node)
			cpumask_set(out, c);
}

uint32_t smp_node_ncpus(uint32_t node)
{
	cpumask_t m;

	smp_node_cpumask(node, &m);
	return cpumask_weight(&m);
}

void smp_online_cpumask(cpumask_t *out)
{
	cpumask_clear(out);
	for (uint32_t c = 0; c < smp.ncpus; c++)
		cpumask_set(out, c);
}

static void json_cpu_list(struct json *j, const char *key, const cpumask_t *m, bool apic_ids)
{
	json_arr_begin(j, key);
	for (uint32_t c = 0; c < smp.ncpus; c++)
		if (cpumask_test(m, c))
			json_u64(j, NULL, apic_ids ? smp.cpus[c]->apic_id : c);
	json_arr_end(j);
}

void smp_report_fence(void)
{
	cpumask_t fenced, stuck;
	struct json j;

	if (!smp_nfenced())
		return;
	smp_fenced_cpumask(&fenced);
	cpumask_load_acquire(&smp.stuck, &stuck);
	json_begin(&j, smp_json, sizeof(smp_json), "smp_fence");
	json_u64(&j, "call_timeout_ms", smp.call_timeout_ms);
	json_u64(&j, "fence_ack_ms", SMP_FENCE_ACK_MS);
	json_cpu_list(&j, "fenced", &fenced, false);
	json_cpu_list(&j, "fenced_apic_ids", &fenced, true);
	json_cpu_list(&j, "stuck", &stuck, false);
	json_emit(&j);
}
