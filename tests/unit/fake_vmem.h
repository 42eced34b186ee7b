/*
 * A fake virtio-mem device and the host half of the hot-plug service, for
 * tests/unit/test_hotplug_service.c and tests/fuzz/fuzz_hotplug.c: the
 * kernel's step logic (serve/hotplug_step.c) runs unchanged against it,
 * over the real memory model (mm/) and init requests (mm/request.c).
 *
 * The device keeps the truth: one bit per block, plugged or not.  Its
 * answers to PLUG, UNPLUG and STATE come from a queue (fk.ans, ACK when
 * empty); "silent" answers time out, the device having done the request
 * (FK_SILENT_DONE) or not (FK_SILENT), and the device is then reset and not
 * live, as virtio/mem.c's vmem_fail() leaves it.  Its configuration may be
 * changed between two polls (fk.next_cfg).  The node's worker CPUs are
 * fk_work(): the init request published in the slot run to its end (or
 * for its first chunks only).
 *
 * fk_check() is what must hold after every step: nothing outside the
 * registered region was mapped or onlined; what is online is the prefix
 * the service says, block by block; the device's plugged blocks are exactly
 * that prefix, or lie within the range the service keeps offline as "in
 * doubt"; the node verifies and its accounting is exact.
 */
#ifndef FAKE_VMEM_H
#define FAKE_VMEM_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hotplug.h"
#include "../../serve/internal.h"

#define FK_MiB		(1ULL << 20)
#define FK_GiB		(1ULL << 30)
#define FK_TOP		(24 * FK_GiB)	/* the host vmemmap covers [0, FK_TOP) */
#define FK_BLOCK	(2 * FK_MiB)
#define FK_MAX_BLOCKS	(16 * FK_GiB / FK_BLOCK)
#define FK_MAX_ANS	256
#define FK_MAX_HELD	64

enum fk_answer {
	FK_ACK, FK_NACK, FK_BUSY, FK_ERROR,
	FK_SILENT,		/* no answer, nothing done: timeout, device reset */
	FK_SILENT_DONE,		/* no answer, but the request was carried out */
	FK_NANSWERS
};

struct fake {
	struct mm_state *mm;
	struct serve_ctx *s;
	struct virtio_mem_dev vd;
	struct virtio_mem_config cfg;		/* the device's configuration */
	struct mm_range present[1], usable[1];
	uint8_t *bits, *state, *hbits, *lazy;
	uint64_t dram_s, dram_e;		/* pfns */
	uint64_t reg_addr, reg_size;		/* bytes, as registered */
	uint8_t plugged[FK_MAX_BLOCKS];		/* the device's truth */
	uint8_t ans[FK_MAX_ANS];
	uint32_t nans, ians;
	uint32_t requests;			/* requests the device saw */
	bool restart_fails;			/* the next restarts fail */
	bool map_fails;				/* the next maps fail */
	uint64_t now;				/* ticks (tsc_hz = 1000: ms) */
	uint64_t held_pfn[FK_MAX_HELD];		/* the workload: pages held */
	uint32_t held_order[FK_MAX_HELD], nheld;
	uint64_t held_pages;
	char bad[256];				/* the first broken rule */
	uint32_t events, failed_events;
	uint32_t verified_events;		/* fk_check(): events when last verified */
	bool verified;
	uint32_t last_status;
	char last_reason[128];
};

static struct fake fk;

/* ---- what mm/request.c and the step logic need of the kernel -------------------- */

uint64_t tsc_hz = 1000;

uint32_t smp_this_cpu(void)
{
	return 0;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return ticks * 1000000;
}

uint64_t now_ns(void)
{
	return fk.now * 1000000;
}

void timeline_span_cpu(struct timeline *tl, const char *phase, const char *sub, uint32_t cpu,
		       uint64_t start_tsc, uint64_t end_tsc)
{
	(void)tl, (void)phase, (void)sub, (void)cpu, (void)start_tsc, (void)end_tsc;
}

/* ---- the device ------------------------------------------------------------------ */

static inline uint64_t fk_blocks_plugged(void)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < fk.reg_size / FK_BLOCK; i++)
		n += fk.plugged[i];
	return n;
}

static inline uint32_t fk_next_answer(void)
{
	fk.requests++;
	return fk.ians < fk.nans ? fk.ans[fk.ians++] % FK_NANSWERS : FK_ACK;
}

static inline void fk_push(uint32_t a)
{
	if (fk.nans < FK_MAX_ANS)
		fk.ans[fk.nans++] = (uint8_t)a;
}

/* The transport failed: what virtio/mem.c vmem_fail() does. */
static inline int fk_silence(struct virtio_mem_dev *vd, uint16_t *resp)
{
	vd->live = false;
	*resp = VIRTIO_MEM_RESP_ERROR;
	return -1;
}

/* PLUG (plug = 1) or UNPLUG (0) of [addr, +nb blocks), as §5.15.6.2/3 say a
 * device answers: ERROR when a block is already in the asked state. */
static inline int fk_request(struct virtio_mem_dev *vd, uint64_t addr, uint64_t nb, uint16_t *resp,
		      uint8_t plug)
{
	const char *why = virtio_mem_range_check(&vd->cfg, addr, nb);
	uint64_t first = (addr - fk.reg_addr) / FK_BLOCK;
	uint32_t a;
	bool valid = true;

	if (!vd->live || why) {	/* refused before sending, as vmem_ranged() */
		*resp = VIRTIO_MEM_RESP_ERROR;
		return -1;
	}
	if (addr < fk.reg_addr || addr + nb * FK_BLOCK > fk.reg_addr + fk.reg_size) {
		snprintf(fk.bad, sizeof(fk.bad), "request [0x%llx, +%llu blocks) outside the region",
			 (unsigned long long)addr, (unsigned long long)nb);
		*resp = VIRTIO_MEM_RESP_ERROR;
		return 0;
	}
	for (uint64_t i = first; i < first + nb; i++)
		valid = valid && fk.plugged[i] != plug;
	a = fk_next_answer();
	if ((a == FK_ACK || a == FK_SILENT_DONE) && valid)
		for (uint64_t i = first; i < first + nb; i++)
			fk.plugged[i] = plug;
	fk.cfg.plugged_size = fk_blocks_plugged() * FK_BLOCK;
	if (a == FK_SILENT || a == FK_SILENT_DONE)
		return fk_silence(vd, resp);
	*resp = a == FK_ACK && !valid ? VIRTIO_MEM_RESP_ERROR : (uint16_t)a;
	return 0;
}

static inline int fk_plug(struct virtio_mem_dev *vd, uint64_t addr, uint64_t nb, uint16_t *resp)
{
	return fk_request(vd, addr, nb, resp, 1);
}

static inline int fk_unplug(struct virtio_mem_dev *vd, uint64_t addr, uint64_t nb, uint16_t *resp)
{
	return fk_request(vd, addr, nb, resp, 0);
}

/* The configuration re-read: what virtio/mem.c's virtio_mem_refresh() does
 * once the transport has read the bytes. */
static inline int fk_refresh(struct virtio_mem_dev *vd, bool *changed)
{
	return virtio_mem_config_update(vd, &fk.cfg, changed);
}

/* STATE (§5.15.6.4) of [addr, +nb blocks). */
static inline int fk_state(struct virtio_mem_dev *vd, uint64_t addr, uint64_t nb, uint16_t *resp,
			   uint16_t *state)
{
	uint64_t first = (addr - fk.reg_addr) / FK_BLOCK, n = 0;
	uint32_t a;

	*state = VIRTIO_MEM_STATE_MIXED;
	if (!vd->live || virtio_mem_range_check(&vd->cfg, addr, nb)) {
		*resp = VIRTIO_MEM_RESP_ERROR;
		return -1;
	}
	a = fk_next_answer();
	if (a == FK_SILENT || a == FK_SILENT_DONE)
		return fk_silence(vd, resp);
	for (uint64_t i = first; i < first + nb; i++)
		n += fk.plugged[i];
	*resp = (uint16_t)a;
	if (a == FK_ACK)
		*state = n == nb ? VIRTIO_MEM_STATE_PLUGGED : n ? VIRTIO_MEM_STATE_MIXED :
			 VIRTIO_MEM_STATE_UNPLUGGED;
	return 0;
}

/* virtio_mem_restart(): live again unless told to fail (a device reset
 * keeps what is plugged). */
static inline int fk_restart(struct virtio_mem_dev *vd)
{
	bool changed;

	if (fk.restart_fails || vd->cfg_broken)
		return -1;
	if (virtio_mem_config_update(vd, &fk.cfg, &changed))
		return -1;
	vd->live = true;
	return 0;
}

/* ---- the kernel's other operations ------------------------------------------------- */

static inline uint64_t fk_now(void)
{
	return fk.now;
}

static inline int fk_map(struct serve_ctx *s, struct hot_dev *d, uint64_t addr, uint64_t bytes)
{
	(void)s, (void)d;
	if (addr < fk.reg_addr || bytes > fk.reg_size || addr - fk.reg_addr > fk.reg_size - bytes)
		snprintf(fk.bad, sizeof(fk.bad), "mapped [0x%llx, +0x%llx) outside the region "
			 "[0x%llx, +0x%llx)", (unsigned long long)addr, (unsigned long long)bytes,
			 (unsigned long long)fk.reg_addr, (unsigned long long)fk.reg_size);
	return fk.map_fails ? -1 : 0;
}

static inline void fk_publish(struct serve_ctx *s, struct hot_dev *d, bool req)
{
	s->slot[d->idx].ev = d->ev;
	if (req)
		s->slot[d->idx].req = &d->req;
}

static inline void fk_retire(struct serve_ctx *s, struct hot_dev *d)
{
	s->slot[d->idx].req = NULL;
	s->slot[d->idx].ev = NULL;
}

static inline void fk_emit(const struct serve_ctx *s, const struct hot_dev *d, const struct hot_event *ev)
{
	(void)s, (void)d;
	fk.events++;
	fk.last_status = ev->status;
	memcpy(fk.last_reason, ev->reason, sizeof(fk.last_reason));
	fk.failed_events += ev->status == HOT_FAILED;
}

/* ---- setup ------------------------------------------------------------------------ */

/* One node (id 0) with DRAM [dram_s, dram_e) bytes and a device whose region
 * is [reg_addr, + reg_size), requested and plugged 0; the service set up as
 * hotplug_register() would, with the fake's operations. */
static inline void fk_setup(const struct hot_ops *ops, uint64_t dram_s, uint64_t dram_e,
		     uint64_t reg_addr, uint64_t reg_size)
{
	struct mm_node_plan *plan;
	struct hot_dev *d;
	uint64_t sp = reg_addr >> PAGE_SHIFT, ep = (reg_addr + reg_size) >> PAGE_SHIFT;
	struct mm_range chunks[64];
	struct memmap_chunk_result res;
	uint32_t n;

	static struct mm_state *mm;	/* 1 MiB: kept from one run to the next */
	static struct serve_ctx *sc;

	if (!mm)
		mm = malloc(sizeof(*mm)), sc = malloc(sizeof(*sc));
	if (!mm || !sc)
		abort();
	memset(mm, 0, sizeof(*mm));
	memset(sc, 0, sizeof(*sc));
	memset(&fk, 0, sizeof(fk));
	if (!memmap_host_vmemmap)
		memmap_host_vmemmap = mmap(NULL, (FK_TOP >> PAGE_SHIFT) * sizeof(struct page),
					   PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (memmap_host_vmemmap == MAP_FAILED)
		abort();
	fk.mm = mm;
	fk.s = sc;
	fk.reg_addr = reg_addr;
	fk.reg_size = reg_size;
	fk.dram_s = dram_s >> PAGE_SHIFT;
	fk.dram_e = dram_e >> PAGE_SHIFT;
	fk.mm->nnodes = 1;
	plan = &fk.mm->plan[0];
	cpumask_set(&plan->workers, 0);
	fk.present[0] = (struct mm_range){ fk.dram_s, fk.dram_e };
	fk.usable[0] = (struct mm_range){ fk.dram_s + 1, fk.dram_e };
	fk.bits = calloc(1, memmap_pageblock_bytes(fk.dram_s, fk.dram_e) + 1);
	if (memmap_node_init(&plan->node, 0, fk.dram_s, fk.dram_e, fk.present, 1, fk.usable, 1,
			     fk.dram_e - fk.dram_s, 1, fk.bits))
		abort();
	n = memmap_chunks(&plan->node, NULL, 0, chunks, 64);
	for (uint32_t c = 0; c < n; c++) {
		if (memmap_init_range(&plan->node, chunks[c].start_pfn, chunks[c].end_pfn, &res))
			abort();
		memmap_splice_chunk(&plan->node, &res);
	}

	fk.vd = (struct virtio_mem_dev){ .cfg_read = true, .live = true, .node = 0 };
	strcpy(fk.vd.loc, "0000:00:03.0");
	fk.cfg = (struct virtio_mem_config){ .block_size = FK_BLOCK, .addr = reg_addr,
					     .region_size = reg_size, .usable_region_size = reg_size };
	fk.vd.cfg = fk.vd.probed = fk.cfg;
	fk.s->mm = fk.mm;
	fk.s->ncpus = 1;
	fk.s->ops = ops;
	fk.s->loc = MM_MEMMAP_DRAM;
	fk.s->registered = true;
	d = &fk.s->dev[0];
	*d = (struct hot_dev){ .vd = &fk.vd, .idx = 0, .node = 0, .unit = FK_BLOCK };
	fk.state = malloc(mm_hot_state_bytes(sp, ep, FK_BLOCK >> PAGE_SHIFT));
	fk.hbits = malloc(mm_hot_pageblock_bytes(sp, ep));
	if (mm_hot_region_init(&d->region, 0, sp, ep, FK_BLOCK >> PAGE_SHIFT, MM_MEMMAP_DRAM,
			       fk.state, fk.hbits) || memmap_node_add_hot(&plan->node, &d->region))
		abort();
	d->hot = plan->node.nr_hot - 1;
	d->tables = meminit_tables_carve(aligned_alloc(64, (meminit_tables_bytes(HOT_EVENT_MAX_CHUNKS) +
							     63) & ~63ULL), HOT_EVENT_MAX_CHUNKS);
	fk.s->ndev = 1;
}

/* hot_lazy: plugs onlined in two parts (heads, then the rest).  Right after
 * fk_setup(), before any step. */
static inline void fk_set_lazy(void)
{
	struct hot_dev *d = &fk.s->dev[0];

	fk.lazy = malloc(mm_hot_state_bytes(d->region.start_pfn, d->region.end_pfn,
					    d->region.block_pages));
	if (!fk.lazy)
		abort();
	mm_hot_region_set_lazy(&d->region, fk.lazy);
	fk.s->lazy = true;
}

static inline void fk_teardown(void)
{
	struct hot_dev *d = &fk.s->dev[0];

	free(d->tables.results);	/* the block meminit_tables_carve() started with */
	free(fk.lazy);
	free(fk.state);
	free(fk.hbits);
	free(fk.bits);
	/* Only the struct pages touched cost memory: give a large region's
	 * back (the fuzzer's small ones stay, and are rewritten next run). */
	if (fk.reg_size > FK_GiB)
		madvise(memmap_host_vmemmap, (FK_TOP >> PAGE_SHIFT) * sizeof(struct page),
			MADV_DONTNEED);
}

/* The host asks for size bytes (QEMU's qom-set of requested-size). */
static inline void fk_request_size(uint64_t size)
{
	fk.cfg.requested_size = size;
}

/* The node's worker CPUs: run the published request (its first `limit`
 * chunks, or all). */
static inline void fk_work(uint32_t limit)
{
	struct meminit_request *r = fk.s->slot[0].req;

	if (r)
		meminit_request_work_first(r, limit);
}

/* The workload: hold one more block (order 0-3) or free the oldest. */
static inline void fk_alloc(unsigned order)
{
	uint64_t pfn;

	if (fk.nheld == FK_MAX_HELD)
		return;
	pfn = buddy_alloc_pages(&fk.mm->plan[0].node, order);
	if (pfn == PFN_NONE)
		return;
	fk.held_pfn[fk.nheld] = pfn;
	fk.held_order[fk.nheld++] = order;
	fk.held_pages += 1ULL << order;
}

static inline void fk_free_all(void)
{
	while (fk.nheld) {
		fk.nheld--;
		buddy_free_pages(&fk.mm->plan[0].node, fk.held_pfn[fk.nheld], fk.held_order[fk.nheld]);
		fk.held_pages -= 1ULL << fk.held_order[fk.nheld];
	}
}

/* ---- what must hold after every step ------------------------------------------------ */

#define FK_BAD(...)	do { snprintf(fk.bad, sizeof(fk.bad), __VA_ARGS__); return false; } while (0)

/* Bytes of the region numaboot keeps offline because it does not know
 * whether the device still has them plugged. */
static inline uint64_t fk_doubt(const struct hot_dev *d)
{
	return d->doubt_bytes;
}

static inline bool fk_check(void)
{
	const struct hot_dev *d = &fk.s->dev[0];
	const struct mm_node *n = &fk.mm->plan[0].node;
	const struct mm_hot_region *r = &d->region;
	struct memmap_verify_result v;
	uint64_t online = d->online_bytes / FK_BLOCK, doubt = fk_doubt(d) / FK_BLOCK;
	uint64_t dram = fk.dram_e - fk.dram_s - 1;

	if (fk.bad[0])
		return false;
	if (d->online_bytes > fk.reg_size || d->online_bytes % FK_BLOCK)
		FK_BAD("online_bytes %llu not whole blocks of the region",
		       (unsigned long long)d->online_bytes);
	if (d->state != HOT_IDLE)	/* a step in flight: its blocks are on their way */
		return true;
	/* The verifier walks every page: after each event, and once idle. */
	if ((fk.events != fk.verified_events || !fk.verified) && memmap_verify(n, &v))
		FK_BAD("memmap_verify: %llu errors", (unsigned long long)v.errors);
	fk.verified_events = fk.events;
	fk.verified = true;
	if (n->nr_allocated_pages != fk.held_pages)
		FK_BAD("allocated %llu pages, the workload holds %llu",
		       (unsigned long long)n->nr_allocated_pages, (unsigned long long)fk.held_pages);
	if (n->nr_free_pages + n->nr_allocated_pages != dram + r->online_pages - r->altmap_pages ||
	    r->isolated_free_pages)
		FK_BAD("free %llu + allocated %llu != DRAM %llu + hot online %llu (isolated %llu)",
		       (unsigned long long)n->nr_free_pages, (unsigned long long)n->nr_allocated_pages,
		       (unsigned long long)dram, (unsigned long long)r->online_pages,
		       (unsigned long long)r->isolated_free_pages);
	if (r->online_pages != d->online_bytes >> PAGE_SHIFT)
		FK_BAD("region online %llu pages, the service says %llu bytes",
		       (unsigned long long)r->online_pages, (unsigned long long)d->online_bytes);
	for (uint64_t b = 0; b < fk.reg_size / FK_BLOCK; b++) {
		bool on = r->state[b] == MM_HOT_ONLINE;

		if (on != (b < online) || (!on && r->state[b] != MM_HOT_OFFLINE))
			FK_BAD("block %llu state %u, online prefix %llu blocks", (unsigned long long)b,
			       r->state[b], (unsigned long long)online);
		if (fk.plugged[b] && b >= online + doubt)
			FK_BAD("block %llu plugged at the device, not online nor in doubt (online %llu, "
			       "doubt %llu blocks)", (unsigned long long)b, (unsigned long long)online,
			       (unsigned long long)doubt);
		if (!fk.plugged[b] && b < online)
			FK_BAD("block %llu online but unplugged at the device", (unsigned long long)b);
	}
	return true;
}

static const struct hot_ops fk_ops = {
	.now = fk_now, .plug = fk_plug, .unplug = fk_unplug, .state = fk_state,
	.refresh = fk_refresh, .restart = fk_restart, .map = fk_map, .publish = fk_publish, .retire = fk_retire, .emit = fk_emit,
};

#endif
