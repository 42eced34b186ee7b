/*
 * Log2 latency histograms of the live phase (SERVE_HIST buckets of TSC
 * ticks, include/hotplug.h): how many operations one holds and the upper
 * bound of the bucket holding a percentile.  Pure reads of a histogram its
 * caller owns; the workload (serve/workload.c) and the event report
 * (serve/hotplug.c) both use them.
 */
#include "hotplug.h"
#include "tsc.h"

uint64_t serve_hist_count(const uint64_t *hist)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < SERVE_HIST; b++)
		n += hist[b];
	return n;
}

uint64_t serve_hist_pct_ns(const uint64_t *hist, unsigned pct)
{
	uint64_t n = serve_hist_count(hist), seen = 0;

	if (!n)
		return 0;
	for (unsigned b = 0; b < SERVE_HIST; b++) {
		seen += hist[b];
		if (seen * 100 >= n * pct)
			return tsc_to_ns(2ULL << b);
	}
	return tsc_to_ns(1ULL << (SERVE_HIST - 1));
}
