/*
 * hostbench: time the kernel's range initializer natively on one synthetic
 * node of --ram-gib GiB, per thread count, against the host's store
 * bandwidth on the same memmap with the same threads.
 *
 *   numaboot-hostbench --ram-gib G [--threads 1,2,...] [--reps N] [--cold-threads N]
 *             [--keep-free-mib M] [--lazy 0|1]
 *
 * Sequence: describe the node; refuse it (exit 3) when its memmap cannot be
 * backed by MemAvailable less --keep-free-mib; map the memmap; one cold
 * init pass (fresh memory: the host's page faults included), verified; then
 * per thread count, --reps rounds of (three store-bandwidth passes, one
 * warm init pass, and with --lazy 1 (the default) meminit=lazy's heads pass
 * then its tails pass on the same request), the last init verified and its
 * checksum compared with the first thread count's; the last tails pass
 * verified and its checksum compared with the full pass's.  Records on stdout, one JSON object per line
 * (kinds hostbench_node, hostbench_cold, hostbench, hostbench_refused;
 * docs/bench.md); messages on stderr.  Exit 0, 1 when a pass failed, the
 * verifier found an error or a checksum differs, 2 on bad options, 3 when
 * the size is refused.  The driver is tools/hostbench.py.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostbench.h"
#include "json.h"
#include "kprintf.h"

#define HB_MAX_REPS	64
#define HB_JSON_BYTES	4096

struct hb_opts {
	uint64_t ram_gib;
	uint32_t threads[HB_MAX_CPUS];
	uint32_t nthreads;
	uint32_t reps;
	uint32_t cold_threads;		/* 0: the largest thread count */
	uint64_t keep_free_mib;
	int lazy;			/* 1: the heads and tails passes too */
};

/* One thread count's measurements. */
struct hb_result {
	uint32_t threads;
	uint64_t ns[HB_MAX_REPS];
	uint64_t bw_ns[HB_NSTORES][HB_MAX_REPS];
	int verified;
	uint64_t checksum;
	/* --lazy 1: each rep's heads and tails pass, struct pages they wrote
	 * (the last rep's), the node verified after the last tails pass */
	uint64_t heads_ns[HB_MAX_REPS], tails_ns[HB_MAX_REPS];
	uint64_t heads_written, tails_written;
	int lazy_verified;
	uint64_t lazy_checksum;
};

static void usage(void)
{
	fprintf(stderr, "usage: numaboot-hostbench --ram-gib G [--threads 1,2,...] [--reps N] "
			"[--cold-threads N] [--keep-free-mib M] [--lazy 0|1]\n");
}

static int parse_list(const char *s, struct hb_opts *o)
{
	char *end;

	o->nthreads = 0;
	for (;;) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || !v || v > HB_MAX_CPUS || o->nthreads >= HB_MAX_CPUS)
			return -1;
		if (o->nthreads && v <= o->threads[o->nthreads - 1])
			return -1;	/* ascending: the first is the checksum reference */
		o->threads[o->nthreads++] = (uint32_t)v;
		if (!*end)
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	*out = strtoull(s, &end, 10);
	return end == s || *end ? -1 : 0;
}

static int parse_opts(int argc, char **argv, struct hb_opts *o)
{
	uint64_t v;

	*o = (struct hb_opts){ .reps = 3, .keep_free_mib = 1024, .lazy = 1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return -1;
		i++;
		if (!strcmp(a, "--ram-gib") && !parse_u64(val, &v) && v)
			o->ram_gib = v;
		else if (!strcmp(a, "--threads") && !parse_list(val, o))
			continue;
		else if (!strcmp(a, "--reps") && !parse_u64(val, &v) && v && v <= HB_MAX_REPS)
			o->reps = (uint32_t)v;
		else if (!strcmp(a, "--cold-threads") && !parse_u64(val, &v) && v && v <= HB_MAX_CPUS)
			o->cold_threads = (uint32_t)v;
		else if (!strcmp(a, "--keep-free-mib") && !parse_u64(val, &v))
			o->keep_free_mib = v;
		else if (!strcmp(a, "--lazy") && !parse_u64(val, &v) && v <= 1)
			o->lazy = (int)v;
		else
			return -1;
	}
	return o->ram_gib ? 0 : -1;
}

/* The CPUs this process may run on; default thread counts 1, 2, 4, ..., n. */
static int host_cpus(struct hb_cpus *c, struct hb_opts *o)
{
	cpu_set_t set;

	c->n = 0;
	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int i = 0; i < CPU_SETSIZE && c->n < HB_MAX_CPUS; i++)
		if (CPU_ISSET(i, &set))
			c->cpu[c->n++] = i;
	if (!o->nthreads) {
		for (uint32_t t = 1; t < c->n; t *= 2)
			o->threads[o->nthreads++] = t;
		o->threads[o->nthreads++] = c->n;
	}
	if (!o->cold_threads)
		o->cold_threads = o->threads[o->nthreads - 1];
	return c->n ? 0 : -1;
}

/* A "Key:   N kB" line of a /proc file, in bytes; 0 when absent. */
static uint64_t proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	uint64_t kb = 0;
	size_t klen = strlen(key);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb * 1024;
}

/* The transparent huge page mode in force ("always", "madvise", "never"). */
static void thp_mode(char *out, size_t size)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char buf[128] = "", *a, *b;

	snprintf(out, size, "unknown");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (a = strchr(buf, '[')) && (b = strchr(a, ']'))) {
		*b = 0;
		snprintf(out, size, "%s", a + 1);
	}
	fclose(f);
}

static void emit(struct json *j)
{
	fputs(json_end(j), stdout);
	fflush(stdout);
}

static uint64_t median(const uint64_t *v, uint32_t n)
{
	uint64_t s[HB_MAX_REPS];

	memcpy(s, v, n * sizeof(*v));
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t k = i; k && s[k - 1] > s[k]; k--) {
			uint64_t t = s[k];

			s[k] = s[k - 1];
			s[k - 1] = t;
		}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* bytes per ns = GB/s; scaled by 1000 for json_fixed(..., 3). */
static uint64_t gb_per_s_milli(uint64_t bytes, uint64_t ns)
{
	return ns ? (uint64_t)((unsigned __int128)bytes * 1000 / ns) : 0;
}

static int check_memory(const struct hb_layout *l, const struct hb_opts *o)
{
	uint64_t need = hb_memmap_bytes(l) + l->nchunks * sizeof(struct memmap_chunk_result);
	uint64_t avail = proc_kb("/proc/meminfo", "MemAvailable"), keep = o->keep_free_mib << 20;
	struct json j;
	char buf[HB_JSON_BYTES];

	if (need + keep <= avail)
		return 0;
	fprintf(stderr, "hostbench: %llu GiB of RAM needs %llu MiB of memmap; this host has "
			"%llu MiB available and keeps %llu MiB free: size refused\n",
		(unsigned long long)o->ram_gib, (unsigned long long)(need >> 20),
		(unsigned long long)(avail >> 20), (unsigned long long)o->keep_free_mib);
	json_begin(&j, buf, sizeof(buf), "hostbench_refused");
	json_u64(&j, "ram_gib", o->ram_gib);
	json_u64(&j, "memmap_bytes", need);
	json_u64(&j, "mem_available_bytes", avail);
	json_u64(&j, "keep_free_bytes", keep);
	emit(&j);
	return -1;
}

static void emit_node(const struct hb_layout *l, const struct hb_cpus *c)
{
	struct json j;
	char buf[HB_JSON_BYTES], thp[32];

	thp_mode(thp, sizeof(thp));
	json_begin(&j, buf, sizeof(buf), "hostbench_node");
	json_u64(&j, "ram_gib", l->ram_gib);
	json_u64(&j, "ram_bytes", l->ram_bytes);
	json_hex(&j, "start", l->start_pfn << PAGE_SHIFT);
	json_hex(&j, "end", l->end_pfn << PAGE_SHIFT);
	json_u64(&j, "pages", l->pages);
	json_u64(&j, "memmap_bytes", l->pages * sizeof(struct page));
	json_u64(&j, "sections", l->sections);
	json_u64(&j, "chunks", l->nchunks);
	json_u64(&j, "map_entries", l->map_count);
	json_u64(&j, "present_ranges", l->nr_present);
	json_u64(&j, "usable_ranges", l->nr_usable);
	json_u64(&j, "usable_pages", memblock_node_usable_pages(&l->mb, 0));
	json_u64(&j, "early_reserved_pages", memblock_node_reserved_pages(&l->mb, 0));
	json_u64(&j, "host_cpus", c->n);
	json_u64(&j, "mem_available_bytes", proc_kb("/proc/meminfo", "MemAvailable"));
	json_str(&j, "thp", thp);
	emit(&j);
}

/* Verify and checksum the node after a pass (after: which, for the
 * message) into *verified and *checksum; 0 when the verifier passed. */
static int check_node(struct hb_node *n, uint32_t threads, const char *after, int *verified,
		      uint64_t *checksum)
{
	struct memmap_verify_result vr;

	*verified = memmap_verify(&n->node, &vr) == 0 && vr.errors == 0;
	*checksum = memmap_checksum(&n->node);
	if (!*verified)
		fprintf(stderr, "hostbench: %u threads: %sthe verifier found %llu errors\n", threads,
			after, (unsigned long long)vr.errors);
	return *verified ? 0 : -1;
}

static int verify(struct hb_node *n, struct hb_result *r)
{
	return check_node(n, r->threads, "", &r->verified, &r->checksum);
}

static int cold_pass(struct hb_node *n, const struct hb_cpus *c, const struct hb_opts *o,
		     struct hb_result *r)
{
	const struct hb_layout *l = n->lay;
	struct json j;
	char buf[HB_JSON_BYTES];
	int rc;

	*r = (struct hb_result){ .threads = o->cold_threads };
	r->ns[0] = hb_init_pass(n, c, o->cold_threads);
	rc = r->ns[0] ? verify(n, r) : -1;
	json_begin(&j, buf, sizeof(buf), "hostbench_cold");
	json_u64(&j, "ram_gib", l->ram_gib);
	json_u64(&j, "threads", r->threads);
	json_u64(&j, "ns", r->ns[0]);
	json_fixed(&j, "ns_per_page", (int64_t)(r->ns[0] * 1000 / l->pages), 3);
	json_fixed(&j, "memmap_gb_per_s",
		   (int64_t)gb_per_s_milli(l->pages * sizeof(struct page), r->ns[0]), 3);
	json_u64(&j, "anon_huge_bytes", proc_kb("/proc/self/smaps_rollup", "AnonHugePages"));
	json_bool(&j, "verified", r->verified);
	json_hex(&j, "checksum", r->checksum);
	emit(&j);
	return rc;
}

/* meminit=lazy's heads then tails pass of rep; the last rep's node is
 * verified and checksummed (it must equal the full pass's). */
static int lazy_runs(struct hb_node *n, const struct hb_cpus *c, const struct hb_opts *o,
		     struct hb_result *r, uint32_t rep)
{
	if (!(r->heads_ns[rep] = hb_lazy_pass(n, c, r->threads, MM_INIT_HEADS, &r->heads_written)) ||
	    !(r->tails_ns[rep] = hb_lazy_pass(n, c, r->threads, MM_INIT_TAILS, &r->tails_written)))
		return -1;
	if (rep != o->reps - 1)
		return 0;
	return check_node(n, r->threads, "after heads + tails ", &r->lazy_verified, &r->lazy_checksum);
}

static int warm_runs(struct hb_node *n, const struct hb_cpus *c, const struct hb_opts *o,
		     struct hb_result *r)
{
	int rc = 0;

	for (uint32_t rep = 0; rep < o->reps; rep++) {
		for (unsigned m = 0; m < HB_NSTORES; m++)
			if (!(r->bw_ns[m][rep] = hb_bw_pass(n, c, r->threads, (enum hb_store)m)))
				return -1;
		if (!(r->ns[rep] = hb_init_pass(n, c, r->threads)))
			return -1;
		if (rep == o->reps - 1)
			rc = verify(n, r);	/* before the lazy passes reuse the node */
		if (o->lazy && lazy_runs(n, c, o, r, rep))
			return -1;
	}
	return rc;
}

/* Store bandwidth per method (medians) and the best of them. */
static unsigned emit_bw(struct json *j, const struct hb_layout *l, const struct hb_result *r,
			uint32_t reps, uint64_t *best_ns)
{
	unsigned best = 0;

	json_obj_begin(j, "bw");
	for (unsigned m = 0; m < HB_NSTORES; m++) {
		uint64_t ns = median(r->bw_ns[m], reps);

		json_obj_begin(j, hb_store_names[m]);
		json_u64(j, "ns", ns);
		json_fixed(j, "gb_per_s", (int64_t)gb_per_s_milli(hb_memmap_bytes(l), ns), 3);
		json_obj_end(j);
		best_ns[m] = ns;
		if (ns < best_ns[best])
			best = m;
	}
	json_obj_end(j);
	return best;
}

/* Median, min and max of v[0..n) into the object key. */
static void emit_spread(struct json *j, const char *key, const uint64_t *v, uint32_t n, unsigned decimals)
{
	uint64_t lo = v[0], hi = v[0];

	for (uint32_t i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	json_obj_begin(j, key);
	json_fixed(j, "median", (int64_t)median(v, n), decimals);
	json_fixed(j, "min", (int64_t)lo, decimals);
	json_fixed(j, "max", (int64_t)hi, decimals);
	json_obj_end(j);
}

/* The lazy passes beside the full one: times, and per rep the ratio of
 * each to that rep's full pass (heads / full: what lazy puts before every
 * page is allocatable; tails / full: the rest; their sum less 1: lazy's
 * overhead), struct pages written, the node after the tails verified with
 * the full pass's checksum. */
static void emit_lazy(struct json *j, const struct hb_layout *l, const struct hb_result *r,
		      uint32_t reps)
{
	uint64_t hf[HB_MAX_REPS], tf[HB_MAX_REPS], sf[HB_MAX_REPS];
	uint64_t hns = median(r->heads_ns, reps);

	for (uint32_t i = 0; i < reps; i++) {
		hf[i] = r->heads_ns[i] * 1000000 / r->ns[i];
		tf[i] = r->tails_ns[i] * 1000000 / r->ns[i];
		sf[i] = (r->heads_ns[i] + r->tails_ns[i]) * 1000000 / r->ns[i];
	}
	json_obj_begin(j, "lazy");
	emit_spread(j, "heads_ns", r->heads_ns, reps, 0);
	emit_spread(j, "tails_ns", r->tails_ns, reps, 0);
	emit_spread(j, "heads_over_full", hf, reps, 6);
	emit_spread(j, "tails_over_full", tf, reps, 6);
	emit_spread(j, "lazy_over_full", sf, reps, 6);
	json_u64(j, "heads_written", r->heads_written);
	json_u64(j, "tails_written", r->tails_written);
	json_fixed(j, "heads_memmap_gb_per_s",
		   (int64_t)gb_per_s_milli(r->heads_written * sizeof(struct page), hns), 3);
	json_fixed(j, "heads_ns_per_page", (int64_t)(hns * 1000 / l->pages), 3);
	json_bool(j, "verified", r->lazy_verified);
	json_hex(j, "checksum", r->lazy_checksum);
	json_bool(j, "checksum_equal", r->lazy_checksum == r->checksum);
	json_obj_end(j);
}

static void emit_result(const struct hb_layout *l, const struct hb_cpus *c,
			const struct hb_opts *o, const struct hb_result *r,
			const struct hb_result *ref)
{
	uint64_t ns = median(r->ns, o->reps), lo = r->ns[0], hi = r->ns[0], bw_ns[HB_NSTORES];
	uint64_t bytes = l->pages * sizeof(struct page), bw_bytes = hb_memmap_bytes(l);
	struct json j;
	char buf[HB_JSON_BYTES];
	unsigned best;

	for (uint32_t i = 1; i < o->reps; i++) {
		lo = r->ns[i] < lo ? r->ns[i] : lo;
		hi = r->ns[i] > hi ? r->ns[i] : hi;
	}
	json_begin(&j, buf, sizeof(buf), "hostbench");
	json_u64(&j, "ram_gib", l->ram_gib);
	json_u64(&j, "pages", l->pages);
	json_u64(&j, "memmap_bytes", bytes);
	json_u64(&j, "threads", r->threads);
	json_bool(&j, "cpus_shared", r->threads > c->n);
	json_u64(&j, "reps", o->reps);
	json_u64(&j, "ns", ns);
	json_u64(&j, "ns_min", lo);
	json_u64(&j, "ns_max", hi);
	json_fixed(&j, "ns_per_page", (int64_t)(ns * 1000 / l->pages), 3);
	json_fixed(&j, "memmap_gb_per_s", (int64_t)gb_per_s_milli(bytes, ns), 3);
	best = emit_bw(&j, l, r, o->reps, bw_ns);
	json_str(&j, "bw_best", hb_store_names[best]);
	json_fixed(&j, "bw_best_gb_per_s", (int64_t)gb_per_s_milli(bw_bytes, bw_ns[best]), 3);
	/* (bytes / ns) / (bw_bytes / bw_ns), scaled by 1000 */
	json_fixed(&j, "bw_fraction", (int64_t)((unsigned __int128)bytes * bw_ns[best] * 1000 /
						 ((unsigned __int128)ns * bw_bytes)), 3);
	json_fixed(&j, "bw_fraction_nontemporal",
		   (int64_t)((unsigned __int128)bytes * bw_ns[HB_NONTEMPORAL] * 1000 /
			     ((unsigned __int128)ns * bw_bytes)), 3);
	if (ref->threads == 1)
		json_fixed(&j, "speedup_vs_1", (int64_t)(median(ref->ns, o->reps) * 1000 / ns), 3);
	else
		json_null(&j, "speedup_vs_1");
	json_bool(&j, "verified", r->verified);
	json_hex(&j, "checksum", r->checksum);
	json_bool(&j, "checksum_equal", r->checksum == ref->checksum);
	if (o->lazy)
		emit_lazy(&j, l, r, o->reps);
	emit(&j);
}

static int run_all(struct hb_node *n, const struct hb_cpus *c, const struct hb_opts *o)
{
	struct hb_result *res = calloc(o->nthreads + 1, sizeof(*res)), *cold = &res[o->nthreads];
	int failed = 0;

	if (!res)
		return 1;
	failed |= cold_pass(n, c, o, cold) != 0;
	for (uint32_t i = 0; i < o->nthreads; i++) {
		res[i].threads = o->threads[i];
		if (warm_runs(n, c, o, &res[i])) {
			fprintf(stderr, "hostbench: %u threads: run failed\n", res[i].threads);
			failed = 1;
			if (!res[i].ns[o->reps - 1])
				continue;
		}
		emit_result(n->lay, c, o, &res[i], &res[0]);
		if (o->lazy && res[i].lazy_checksum != res[i].checksum) {
			fprintf(stderr, "hostbench: %u threads: heads + tails checksum 0x%llx differs "
					"from the full pass's 0x%llx\n", res[i].threads,
				(unsigned long long)res[i].lazy_checksum,
				(unsigned long long)res[i].checksum);
			failed = 1;
		}
		if (res[i].checksum != res[0].checksum) {
			fprintf(stderr, "hostbench: %u threads: checksum 0x%llx differs from %u "
					"threads' 0x%llx\n", res[i].threads,
				(unsigned long long)res[i].checksum, res[0].threads,
				(unsigned long long)res[0].checksum);
			failed = 1;
		}
	}
	if (cold->checksum != res[0].checksum) {
		fprintf(stderr, "hostbench: the cold pass's checksum differs from the warm runs'\n");
		failed = 1;
	}
	free(res);
	return failed;
}

int main(int argc, char **argv)
{
	static struct hb_layout lay;	/* large (memblock storage): not on the stack */
	struct hb_opts o;
	struct hb_cpus cpus;
	struct hb_node node;
	int rc;

	if (parse_opts(argc, argv, &o) || host_cpus(&cpus, &o)) {
		usage();
		return 2;
	}
	if (hb_layout_build(&lay, o.ram_gib)) {
		fprintf(stderr, "hostbench: cannot describe a node of %llu GiB (1..32768)\n",
			(unsigned long long)o.ram_gib);
		return 2;
	}
	if (check_memory(&lay, &o))
		return 3;
	emit_node(&lay, &cpus);
	if (hb_node_map(&node, &lay)) {
		fprintf(stderr, "hostbench: cannot map a memmap of %llu MiB\n",
			(unsigned long long)(hb_memmap_bytes(&lay) >> 20));
		return 3;
	}
	rc = run_all(&node, &cpus, &o);
	hb_node_unmap(&node);
	hb_layout_free(&lay);
	return rc;
}
