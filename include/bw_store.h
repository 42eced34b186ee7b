/*
 * The three store loops the bandwidth measurement times (mm/bandwidth.c)
 * and the host benchmark reuses (tools/hostbench): plain 8-byte stores,
 * non-temporal movnti (then sfence), and rep stosq, each writing
 * [p, end) with a constant pattern.  p and end are 64-byte aligned.
 * Inline assembly so the compiler cannot turn them into a call to memset
 * (which is rep stosb) or widen them to vector stores.  Any CPU, any
 * context; they touch nothing but [p, end).
 */
#ifndef NUMABOOT_BW_STORE_H
#define NUMABOOT_BW_STORE_H

#include <stdint.h>

static inline void bw_store_plain(uint64_t p, uint64_t end)
{
	__asm__ volatile("1:\n\t"
			 "movq %%rax, 0(%0)\n\tmovq %%rax, 8(%0)\n\t"
			 "movq %%rax, 16(%0)\n\tmovq %%rax, 24(%0)\n\t"
			 "movq %%rax, 32(%0)\n\tmovq %%rax, 40(%0)\n\t"
			 "movq %%rax, 48(%0)\n\tmovq %%rax, 56(%0)\n\t"
			 "addq $64, %0\n\tcmpq %1, %0\n\tjb 1b"
			 : "+r"(p) : "r"(end), "a"(0x5a5a5a5a5a5a5a5aULL) : "memory", "cc");
}

static inline void bw_store_nontemporal(uint64_t p, uint64_t end)
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

static inline void bw_store_rep_stos(uint64_t p, uint64_t end)
{
	uint64_t n = (end - p) / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0x3c3c3c3c3c3c3c3cULL) : "memory");
}

/* Store method numbers, as enum bw_method (include/bandwidth.h) numbers them. */
enum { BW_STORE_PLAIN, BW_STORE_NONTEMPORAL, BW_STORE_REP_STOS };

/* The loop of one method over [p, end). */
static inline void bw_store(unsigned method, uint64_t p, uint64_t end)
{
	if (method == BW_STORE_PLAIN)
		bw_store_plain(p, end);
	else if (method == BW_STORE_NONTEMPORAL)
		bw_store_nontemporal(p, end);
	else
		bw_store_rep_stos(p, end);
}

#endif
