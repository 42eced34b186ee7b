/*
 * Store bandwidth of a node's CPUs into the node's memory.  Every worker
 * takes a page-aligned slice, meets the others at a barrier, then writes it;
 * the elapsed time runs from the earliest start to the latest end (TSC), so
 * the figure is what all the CPUs achieve together, as in parallel init.
 * The store loops are inline assembly so the compiler cannot turn them
 * into a call to memset (which is rep stosb).
 */
#include <stdint.h>
#include "atomic.h"
#include "bandwidth.h"
#include "page.h"
#include "kprintf.h"
#include "tsc.h"
#include "x86.h"

#define BARRIER_SPIN_NS	(2ULL * 1000 * 1000 * 1000)

const char *const bw_method_names[BW_NMETHODS] = { "plain", "nontemporal", "rep_stos" };

struct bw_ctx {
	uint64_t base, bytes;
	uint32_t method, nworkers;
	uint32_t ticket;	/* (A) slice index */
	uint32_t arrived;	/* (A) barrier */
	uint64_t start, end;	/* (A) min start, max end TSC */
};

static void store_plain(uint64_t p, uint64_t end)
{
	__asm__ volatile("1:\n\t"
			 "movq %%rax, 0(%0)\n\tmovq %%rax, 8(%0)\n\t"
			 "movq %%rax, 16(%0)\n\tmovq %%rax, 24(%0)\n\t"
			 "movq %%rax, 32(%0)\n\tmovq %%rax, 40(%0)\n\t"
			 "movq %%rax, 48(%0)\n\tmovq %%rax, 56(%0)\n\t"
			 "addq $64, %0\n\tcmpq %1, %0\n\tjb 1b"
			 : "+r"(p) : "r"(end), "a"(0x5a5a5a5a5a5a5a5aULL) : "memory", "cc");
}

static void store_nontemporal(uint64_t p, uint64_t end)
{
	__asm__ volatile("1:\n\t"
			 "movnti %%rax, 0(%0)\n\tmovnti %%rax, 8(%0)\n\t"
			 "movnti %%rax, 16(%0)\n\tmovnti %%rax, 24(%0)\n\t"
			 "movnti %%rax, 32(%0)\n\tmovnti %%rax, 40(%0)\n\t"
			 "movnti %%rax, 48(%0)\n\tmovnti %%rax, 56(%0)\n\t"
			 "addq $64, %0\n\tcmpq %1, %0\n\tjb 1b\n\t"
			 "sfence"
			 : "+r"(p) : "r"(end), "a"(0xa5a5a5a5a5a5a5a5ULL) : "memory", "cc");
}

static void store_rep_stos(uint64_t p, uint64_t end)
{
	uint64_t n = (end - p) / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0x3c3c3c3c3c3c3c3cULL) : "memory");
}

/* Cross-call function: one worker's slice. */
static void bw_worker(void *arg)
{
	struct bw_ctx *c = arg;
	uint32_t i = __atomic_fetch_add(&c->ticket, 1, __ATOMIC_RELAXED);
	uint64_t slice = (c->bytes / c->nworkers) & ~(PAGE_SIZE - 1);
	uint64_t p = c->base + i * slice, deadline, t;

	__atomic_fetch_add(&c->arrived, 1, __ATOMIC_ACQ_REL);
	deadline = rdtsc() + tsc_from_ns(BARRIER_SPIN_NS);
	while (__atomic_load_n(&c->arrived, __ATOMIC_ACQUIRE) < c->nworkers && rdtsc() < deadline)
		cpu_relax();
	t = rdtsc();
	atomic_min_u64(&c->start, t);
	if (c->method == BW_PLAIN)
		store_plain(p, p + slice);
	else if (c->method == BW_NONTEMPORAL)
		store_nontemporal(p, p + slice);
	else
		store_rep_stos(p, p + slice);
	atomic_max_u64(&c->end, rdtsc());
}

int bw_measure(uint64_t base, uint64_t bytes, const cpumask_t *mask, struct bw_result *out)
{
	uint32_t n = cpumask_weight(mask);
	uint64_t slice = (bytes / (n ? n : 1)) & ~(PAGE_SIZE - 1);

	*out = (struct bw_result){ .bytes = slice * n, .cpus = n };
	if (!n || !slice)
		return -1;
	/* Untimed first pass: under emulation the host backs guest memory on
	 * first touch, which real memory never costs; on hardware it warms the
	 * TLBs as a memmap that was just mapped would be. */
	{
		struct bw_ctx warm = { .base = base, .bytes = bytes, .method = BW_REP_STOS,
				       .nworkers = n, .start = UINT64_MAX };

		if (smp_call(mask, bw_worker, &warm))
			return -1;
	}
	for (uint32_t m = 0; m < BW_NMETHODS; m++) {
		struct bw_ctx c = { .base = base, .bytes = bytes, .method = m, .nworkers = n,
				    .start = UINT64_MAX };
		uint64_t bps;

		if (smp_call(mask, bw_worker, &c))
			return -1;
		out->ns[m] = tsc_to_ns(c.end - c.start);
		bps = out->ns[m] ? (uint64_t)((unsigned __int128)out->bytes * 1000000000ULL / out->ns[m]) : 0;
		if (bps > out->best_bytes_per_s) {
			out->best_bytes_per_s = bps;
			out->best = m;
		}
	}
	return 0;
}
