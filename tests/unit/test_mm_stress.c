/*
 * Concurrency stress test of the mm core, built with ThreadSanitizer
 * (tests/unit/tsan.mk, `make tsan`): ST_ALLOCATORS threads allocate and
 * free blocks of every order on both nodes while a controller thread
 * changes the nodes' hot regions under them: it onlines OFFLINE block runs
 * as an init request (mm/request.c) of one chunk per plug block that the
 * allocators help between two operations, as the live phase's CPUs do
 * (serve/workload.c), then checks the request's figures as hot_step_init()
 * copies them; and it isolates ONLINE runs, waits (bounded) for the
 * allocators to free what they hold there, then offlines them, or gives
 * them back (unisolate).
 * TSan reports any access to shared state (struct pages, lists, counters,
 * block states) that no lock or atomic orders; at the end, with every
 * thread stopped but still holding its blocks, each node's and region's
 * allocated count must equal what the threads hold there, the verifier
 * must pass, and once everything is freed and onlined again the checksum
 * must be the one of the same memory never touched.
 *
 * NUMABOOT_STRESS_SEED (decimal or 0x...) sets the seed (default: from the
 * clock); it is printed either way.  NUMABOOT_STRESS_MS sets the run time
 * (default ST_RUN_MS).  Thread interleavings are not reproducible; the
 * seed fixes each thread's sequence of choices.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <time.h>
#include "hot_fixture.h"
#include "meminit.h"
#include "host_smp.h"

#define ST_NODES	2
#define ST_ALLOCATORS	3
#define ST_HELD		48		/* blocks one allocator holds at most */
#define ST_RUN_MS	2000
#define ST_DRAM		(64 * MiB)
#define ST_REGION	(128 * MiB)	/* 64 plug blocks of 2 MiB */
#define ST_MAX_RUN	4		/* blocks the controller changes at once */
#define ST_DRAIN_TRIES	2000		/* busy polls before an isolated run is given back */
#define ST_CHUNKS	8

struct st_node {
	struct mm_node node;
	struct mm_range present[1], usable[1];
	uint8_t *bits;
	struct mm_hot_region reg;
	uint8_t *state, *hbits;
	uint64_t dram_s, dram_e;	/* pfns */
};

struct st_held {
	uint64_t pfn;
	uint32_t nid;
	unsigned order;
};

struct st_allocator {
	struct st *st;
	pthread_t th;
	uint64_t rng;
	struct st_held held[ST_HELD];	/* own; read by main after the join */
	uint32_t nheld;
	uint64_t allocs, frees, failed;
};

struct st {
	struct st_node n[ST_NODES];
	struct st_allocator a[ST_ALLOCATORS];
	uint32_t stop;			/* (A) release by main, acquire by the threads */
	uint64_t ctl_rng;
	uint64_t onlined, offlined, given_back;	/* controller's */
	uint32_t ctl_errors;		/* controller's: an API refused a valid call */
	uint32_t bad_figures;		/* controller's: a complete request's figures not whole */
	uint64_t helped;		/* (A) chunks the allocators ran */
	struct mm_range chunks[ST_CHUNKS];		/* controller's */
	struct memmap_chunk_result res[ST_CHUNKS];	/* controller's */
	/* The hot request in flight, as serve/hotplug.c's hot_slot: the
	 * controller publishes it (release), clears it and waits until no
	 * allocator holds it (users) before it reuses it. */
	struct meminit_request req;
	uint8_t done[ST_CHUNKS];
	struct meminit_request *slot;	/* (A) */
	uint32_t users;			/* (A) allocators inside the request */
};

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/* A node of DRAM [dram_s, dram_e) (all usable but its first page),
 * initialized, with one hot region [hot_s, hot_e) (bytes), all OFFLINE. */
static void st_node_create(struct st_node *sn, uint32_t nid, uint64_t dram_s, uint64_t dram_e,
			   uint64_t hot_s, uint64_t hot_e)
{
	uint64_t ram = PFN(dram_e - dram_s), sp = PFN(hot_s), ep = PFN(hot_e);
	struct mm_range chunks[4];
	struct memmap_chunk_result *res = calloc(1, sizeof(*res));
	uint32_t n;

	assert_non_null(res);
	sn->dram_s = PFN(dram_s);
	sn->dram_e = PFN(dram_e);
	sn->present[0] = (struct mm_range){ sn->dram_s, sn->dram_e };
	sn->usable[0] = (struct mm_range){ sn->dram_s + 1, sn->dram_e };
	sn->bits = calloc(1, memmap_pageblock_bytes(sn->dram_s, sn->dram_e) + 1);
	assert_non_null(sn->bits);
	assert_int_equal(memmap_node_init(&sn->node, nid, sn->dram_s, sn->dram_e, sn->present, 1,
					  sn->usable, 1, ram, 1, sn->bits), 0);
	n = memmap_chunks(&sn->node, NULL, 0, chunks, 4);
	assert_true(n >= 1 && n <= 4);
	for (uint32_t c = 0; c < n; c++) {
		assert_int_equal(memmap_init_range(&sn->node, chunks[c].start_pfn, chunks[c].end_pfn,
						   res), 0);
		memmap_splice_chunk(&sn->node, res);
	}
	free(res);
	sn->state = malloc(mm_hot_state_bytes(sp, ep, BLK));
	sn->hbits = malloc(mm_hot_pageblock_bytes(sp, ep));
	assert_non_null(sn->state);
	assert_non_null(sn->hbits);
	assert_int_equal(mm_hot_region_init(&sn->reg, 10 + nid, sp, ep, BLK, MM_MEMMAP_DRAM,
					    sn->state, sn->hbits), 0);
	assert_int_equal(memmap_node_add_hot(&sn->node, &sn->reg), 0);
}

/* Online [s, e) of the node's region (every block OFFLINE): its chunks
 * through the initializer, each spliced.  The controller, or main. */
static int st_online(struct st *st, struct st_node *sn, uint64_t s, uint64_t e)
{
	uint32_t n = memmap_chunks(&sn->node, &(struct mm_range){ s, e }, 1, st->chunks, ST_CHUNKS);

	if (n == 0 || n > ST_CHUNKS)
		return -1;
	for (uint32_t c = 0; c < n; c++)
		if (memmap_init_range(&sn->node, st->chunks[c].start_pfn, st->chunks[c].end_pfn,
				      &st->res[c]))
			return -1;
	for (uint32_t c = 0; c < n; c++)
		memmap_splice_chunk(&sn->node, &st->res[c]);
	return 0;
}

static bool st_stopping(struct st *st)
{
	return __atomic_load_n(&st->stop, __ATOMIC_ACQUIRE);
}

/* ---- allocators ----------------------------------------------------------------- */

/* Help the hot request in flight, as serve/workload.c help_requests() does. */
static void st_help(struct st *st, uint32_t cpu)
{
	struct meminit_request *r;

	if (!__atomic_load_n(&st->slot, __ATOMIC_RELAXED))
		return;
	__atomic_fetch_add(&st->users, 1, __ATOMIC_ACQ_REL);
	r = __atomic_load_n(&st->slot, __ATOMIC_ACQUIRE);	/* pairs with st_online_request() */
	if (r && cpumask_test(&r->assigned, cpu) &&
	    __atomic_load_n(&r->next_chunk, __ATOMIC_RELAXED) < r->nchunks) {
		uint32_t before = __atomic_load_n(&r->next_chunk, __ATOMIC_RELAXED);

		meminit_request_work(r);
		if (__atomic_load_n(&r->next_chunk, __ATOMIC_RELAXED) > before)
			__atomic_fetch_add(&st->helped, 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_sub(&st->users, 1, __ATOMIC_RELEASE);	/* pairs with st_slot_clear() */
}

static void st_free_one(struct st *st, struct st_allocator *a, uint32_t i)
{
	struct st_held *h = &a->held[i];

	buddy_free_pages(&st->n[h->nid].node, h->pfn, h->order);
	a->frees++;
	a->held[i] = a->held[--a->nheld];
}

static void *st_allocator_run(void *arg)
{
	struct st_allocator *a = arg;
	struct st *st = a->st;
	uint32_t cpu = (uint32_t)(a - st->a) + 1;

	host_smp_set_cpu(cpu);
	while (!st_stopping(st)) {
		uint64_t r = ht_rnd(&a->rng);

		st_help(st, cpu);
		if (a->nheld < ST_HELD && (r & 3) != 0) {
			uint32_t nid = (uint32_t)(r >> 8) % ST_NODES;
			unsigned order = (r >> 16) & 1 ? (unsigned)((r >> 20) % 3)
							 : (unsigned)((r >> 20) % (MAX_ORDER + 1));
			uint64_t pfn = buddy_alloc_pages(&st->n[nid].node, order);

			if (pfn == PFN_NONE) {
				a->failed++;
				continue;
			}
			a->held[a->nheld++] = (struct st_held){ pfn, nid, order };
			a->allocs++;
		} else if (a->nheld) {
			st_free_one(st, a, (uint32_t)((r >> 24) % a->nheld));
		}
	}
	return NULL;
}

/* ---- controller ----------------------------------------------------------------- */

/* Whether every block of [b, b + len) (block indexes) of the region is in st8. */
static bool st_run_in(const struct st_node *sn, uint64_t b, uint64_t len, unsigned st8)
{
	for (uint64_t i = b; i < b + len; i++)	/* the controller is the only writer */
		if (__atomic_load_n(&sn->reg.state[i], __ATOMIC_RELAXED) != st8)
			return false;
	return true;
}

/* The request is over: clear the slot (sequentially consistent: the store
 * before the load of users, as serve/hotplug.c slot_clear()) and wait
 * until no allocator is inside it. */
static void st_slot_clear(struct st *st)
{
	__atomic_store_n(&st->slot, NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&st->users, __ATOMIC_ACQUIRE))	/* pairs with st_help()'s release */
		sched_yield();
}

/* Online [s, e) (every block OFFLINE) through an init request of one chunk
 * per plug block, worked by the allocators and by the controller (cpu 0)
 * after a few turns; once complete, the figures are checked as
 * serve/hotplug_step.c hot_step_init() copies them. */
static int st_online_request(struct st *st, struct st_node *sn, uint64_t s, uint64_t e)
{
	struct meminit_request *r = &st->req;
	uint32_t n = 0;
	cpumask_t ran;
	uint64_t start, end;

	if (!memmap_chunks(&sn->node, &(struct mm_range){ s, e }, 1, st->chunks, ST_CHUNKS))
		return -1;
	for (uint64_t p = s; p < e && n < ST_CHUNKS; p += BLK)
		st->chunks[n++] = (struct mm_range){ p, p + BLK };
	*r = (struct meminit_request){ .node = &sn->node, .kind = MEMINIT_KIND_HOTPLUG,
				       .chunks = st->chunks, .nchunks = n, .pages = e - s,
				       .results = st->res, .done = st->done, .phase = "stress" };
	meminit_request_reset(r);
	for (uint32_t c = 0; c <= ST_ALLOCATORS; c++)
		cpumask_set(&r->assigned, c);
	__atomic_store_n(&st->slot, r, __ATOMIC_RELEASE);	/* pairs with st_help()'s acquire */
	for (uint32_t turn = 0; !meminit_request_complete(r); turn++) {
		if (turn == 16)
			meminit_request_work(r);
		sched_yield();
	}
	ran = r->ran;		/* what hot_step_init() copies once it sees complete */
	start = r->start_tsc;
	end = r->end_tsc;
	if (!cpumask_weight(&ran) || !end || end < start)
		st->bad_figures++;
	st_slot_clear(st);
	return r->failures ? -1 : 0;
}

/* Isolate, wait for the allocators to free what they hold there, offline;
 * or give the run back when they keep it too long. */
static void st_take_offline(struct st *st, struct st_node *sn, uint64_t s, uint64_t e)
{
	char why[160];
	uint32_t tries = 0;

	if (mm_hot_isolate(&sn->node, 0, s, e, why, sizeof(why))) {
		st->ctl_errors++;
		return;
	}
	while (mm_hot_busy_pages(&sn->node, 0, s, e) && ++tries < ST_DRAIN_TRIES)
		sched_yield();
	if (tries == ST_DRAIN_TRIES) {
		mm_hot_unisolate(&sn->node, 0, s, e);
		st->given_back++;
		return;
	}
	if (mm_hot_offline(&sn->node, 0, s, e, why, sizeof(why))) {
		st->ctl_errors++;
		mm_hot_unisolate(&sn->node, 0, s, e);
		return;
	}
	st->offlined++;
}

static void *st_controller_run(void *arg)
{
	struct st *st = arg;
	uint64_t nblocks = PFN(ST_REGION) / BLK;

	host_smp_set_cpu(0);
	while (!st_stopping(st)) {
		uint64_t r = ht_rnd(&st->ctl_rng);
		struct st_node *sn = &st->n[r % ST_NODES];
		uint64_t len = 1 + (r >> 8) % ST_MAX_RUN, b = (r >> 16) % (nblocks - len + 1);
		uint64_t s = sn->reg.start_pfn + b * BLK, e = s + len * BLK;

		if (st_run_in(sn, b, len, MM_HOT_OFFLINE)) {
			if (st_online_request(st, sn, s, e))
				st->ctl_errors++;
			else
				st->onlined++;
		} else if (st_run_in(sn, b, len, MM_HOT_ONLINE)) {
			st_take_offline(st, sn, s, e);
		}
	}
	return NULL;
}

/* ---- the test --------------------------------------------------------------------- */

/* The pages the allocators hold on node nid, and of those in its region. */
static void st_held_pages(const struct st *st, uint32_t nid, uint64_t *node, uint64_t *region)
{
	const struct mm_hot_region *r = &st->n[nid].reg;

	*node = *region = 0;
	for (uint32_t t = 0; t < ST_ALLOCATORS; t++)
		for (uint32_t i = 0; i < st->a[t].nheld; i++) {
			const struct st_held *h = &st->a[t].held[i];

			if (h->nid != nid)
				continue;
			*node += 1ULL << h->order;
			if (h->pfn >= r->start_pfn && h->pfn < r->end_pfn)
				*region += 1ULL << h->order;
		}
}

static void st_check_accounting(struct st *st)
{
	for (uint32_t nid = 0; nid < ST_NODES; nid++) {
		struct st_node *sn = &st->n[nid];
		struct memmap_verify_result vr;
		uint64_t node, region;

		st_held_pages(st, nid, &node, &region);
		assert_int_equal(memmap_verify(&sn->node, &vr), 0);
		assert_int_equal(sn->node.nr_allocated_pages, node);
		assert_int_equal(sn->reg.allocated_pages, region);
		assert_int_equal(vr.allocated_pages + vr.hot_allocated_pages, node);
		assert_int_equal(vr.hot_allocated_pages, region);
		assert_int_equal(sn->node.nr_free_pages, vr.free_pages + vr.hot_free_pages);
		assert_int_equal(sn->reg.free_pages, vr.hot_free_pages);
	}
}

static void test_mm_stress(void **state)
{
	struct st *st = calloc(1, sizeof(*st));
	uint64_t seed = env_u64("NUMABOOT_STRESS_SEED", (uint64_t)time(NULL) * 2654435761ULL | 1);
	uint64_t run_ms = env_u64("NUMABOOT_STRESS_MS", ST_RUN_MS), ref[ST_NODES];
	uint64_t allocs = 0, frees = 0, failed = 0;
	pthread_t ctl;

	(void)state;
	assert_non_null(st);
	printf("test_mm_stress: seed 0x%llx (NUMABOOT_STRESS_SEED), %llu ms, %u allocators, "
	       "%u nodes\n", (unsigned long long)seed, (unsigned long long)run_ms, ST_ALLOCATORS,
	       ST_NODES);
	fflush(stdout);
	ht_vmemmap();
	for (uint32_t nid = 0; nid < ST_NODES; nid++) {
		uint64_t base = 4 * GiB + nid * GiB;
		struct st_node *sn = &st->n[nid];

		st_node_create(sn, nid, base, base + ST_DRAM, base + 256 * MiB,
			       base + 256 * MiB + ST_REGION);
		assert_int_equal(st_online(st, sn, sn->reg.start_pfn, sn->reg.end_pfn), 0);
		ref[nid] = memmap_checksum(&sn->node);
		/* start with every other run of four blocks offline again */
		for (uint64_t s = sn->reg.start_pfn; s < sn->reg.end_pfn; s += 8 * BLK)
			st_take_offline(st, sn, s, s + 4 * BLK);
		assert_int_equal(st->ctl_errors, 0);
	}
	st->ctl_rng = seed;
	for (uint32_t t = 0; t < ST_ALLOCATORS; t++) {
		st->a[t] = (struct st_allocator){ .st = st, .rng = seed ^ (0x9e3779b97f4a7c15ULL * (t + 1)) };
		assert_int_equal(pthread_create(&st->a[t].th, NULL, st_allocator_run, &st->a[t]), 0);
	}
	assert_int_equal(pthread_create(&ctl, NULL, st_controller_run, st), 0);
	for (uint64_t waited = 0; waited < run_ms; waited += 10)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	pthread_join(ctl, NULL);
	for (uint32_t t = 0; t < ST_ALLOCATORS; t++) {
		pthread_join(st->a[t].th, NULL);
		allocs += st->a[t].allocs;
		frees += st->a[t].frees;
		failed += st->a[t].failed;
	}
	printf("test_mm_stress: %llu allocations (%llu failed), %llu frees; controller: %llu runs "
	       "onlined (%llu times helped by allocators, %u with figures not whole), %llu "
	       "offlined, %llu given back busy, %u refusals\n",
	       (unsigned long long)allocs, (unsigned long long)failed, (unsigned long long)frees,
	       (unsigned long long)st->onlined, (unsigned long long)st->helped, st->bad_figures,
	       (unsigned long long)st->offlined, (unsigned long long)st->given_back, st->ctl_errors);
	assert_int_equal(st->ctl_errors, 0);
	assert_int_equal(st->bad_figures, 0);
	assert_true(allocs > 0 && st->onlined > 0 && st->offlined > 0);
	st_check_accounting(st);		/* threads stopped, still holding */
	for (uint32_t t = 0; t < ST_ALLOCATORS; t++)
		while (st->a[t].nheld)
			st_free_one(st, &st->a[t], 0);
	st_check_accounting(st);		/* nothing held */
	for (uint32_t nid = 0; nid < ST_NODES; nid++) {
		struct st_node *sn = &st->n[nid];
		uint64_t nb = PFN(ST_REGION) / BLK;

		for (uint64_t b = 0; b < nb; b++)
			if (st_run_in(sn, b, 1, MM_HOT_OFFLINE))
				assert_int_equal(st_online(st, sn, sn->reg.start_pfn + b * BLK,
							   sn->reg.start_pfn + (b + 1) * BLK), 0);
		assert_int_equal(sn->node.nr_allocated_pages, 0);
		assert_int_equal(memmap_checksum(&sn->node), ref[nid]);
		free(sn->bits);
		free(sn->state);
		free(sn->hbits);
	}
	munmap(memmap_host_vmemmap, PFN(HT_TOP) * sizeof(struct page));
	memmap_host_vmemmap = NULL;
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
