/*
 * Host tests of device (persistent) memory in the memmap: device ranges of a
 * node through the one range initializer (mm/memmap_device.c,
 * mm/memmap_init.c), their verification and checksum (mm/verify.c mm/checksum.c).
 *
 * The host vmemmap is an mmap(MAP_NORESERVE) area.  For devices whose
 * compound pages share tail vmemmap pages, dt_share_vmemmap() does what the
 * kernel's page tables do: per compound page, two memfd pages back the
 * head's and the first tail's vmemmap 4 KiB pages, and every further vmemmap
 * page of the compound page maps the first-tail page again (MAP_FIXED |
 * MAP_SHARED), so the initializer writes 128 struct pages per compound page
 * and the verifier reads the rest through the aliases.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "host_console.h"
#include "mm.h"

#define GiB		(1ULL << 30)
#define MiB		(1ULL << 20)
#define PFN(bytes)	((bytes) >> PAGE_SHIFT)
#define DT_TOP		(40 * GiB)	/* host vmemmap covers [0, DT_TOP) */
#define DT_MAX_DEV	4
#define DT_MAX_CHUNKS	256
#define VMM_PAGE	4096ULL

struct dt_node {
	struct mm_node node;
	struct mm_range present[2], usable[2];
	uint32_t nr_present, nr_usable;
	struct mm_device dev[DT_MAX_DEV];
	uint32_t nr_dev;
	uint64_t start, end;		/* span, pfns */
	uint8_t *bits;
	struct mm_range chunks[DT_MAX_CHUNKS];
	uint32_t nr_chunks;
	struct memmap_chunk_result *res;
};

static void vmemmap_create(void)
{
	memmap_host_vmemmap = mmap(NULL, PFN(DT_TOP) * sizeof(struct page), PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(memmap_host_vmemmap != MAP_FAILED);
}

static void vmemmap_destroy(void)
{
	munmap(memmap_host_vmemmap, PFN(DT_TOP) * sizeof(struct page));
	memmap_host_vmemmap = NULL;
}

/* A node: optional DRAM [dram_s, dram_e) (bytes, all usable but its first
 * page), span [span_s, span_e). */
static struct dt_node *dt_node(uint32_t nid, uint64_t dram_s, uint64_t dram_e, uint64_t span_s,
			       uint64_t span_e)
{
	struct dt_node *n = calloc(1, sizeof(*n));
	uint64_t ram = 0;

	assert_non_null(n);
	n->res = calloc(DT_MAX_CHUNKS, sizeof(*n->res));
	assert_non_null(n->res);
	n->start = PFN(span_s);
	n->end = PFN(span_e);
	if (dram_e > dram_s) {
		n->present[0] = (struct mm_range){ PFN(dram_s), PFN(dram_e) };
		n->usable[0] = (struct mm_range){ PFN(dram_s) + 1, PFN(dram_e) };
		n->nr_present = n->nr_usable = 1;
		ram = PFN(dram_e) - PFN(dram_s);
	}
	n->bits = malloc(memmap_pageblock_bytes(n->start, n->end));
	assert_non_null(n->bits);
	assert_int_equal(memmap_node_init(&n->node, nid, n->start, n->end, n->present,
					  n->nr_present, n->usable, n->nr_usable, ram, ram ? 1 : 0,
					  n->bits), 0);
	return n;
}

static void dt_free(struct dt_node *n)
{
	free(n->bits);
	free(n->res);
	free(n);
}

static void dt_add_device(struct dt_node *n, uint64_t s, uint64_t e, unsigned order,
			  enum mm_memmap_loc loc)
{
	struct mm_device *d = &n->dev[n->nr_dev];

	*d = (struct mm_device){ .id = 7 + n->nr_dev, .start_pfn = PFN(s), .end_pfn = PFN(e),
				 .compound_order = order, .memmap_loc = loc };
	if (loc == MM_MEMMAP_DEVICE)
		d->altmap_pfns = memmap_device_altmap_pfns(d->start_pfn, d->end_pfn, order);
	n->nr_dev++;
}

/* Set the devices and list every chunk: DRAM chunks, then each device's. */
static void dt_plan(struct dt_node *n)
{
	assert_int_equal(memmap_node_set_devices(&n->node, n->dev, n->nr_dev), 0);
	n->nr_chunks = memmap_chunks(&n->node, NULL, 0, n->chunks, DT_MAX_CHUNKS);
	for (uint32_t d = 0; d < n->nr_dev; d++)
		n->nr_chunks += memmap_chunks(&n->node, &(struct mm_range){ n->dev[d].start_pfn,
								   n->dev[d].end_pfn }, 1,
					      n->chunks + n->nr_chunks, DT_MAX_CHUNKS - n->nr_chunks);
	assert_true(n->nr_chunks <= DT_MAX_CHUNKS);
}

/* Back the vmemmap of every shared-vmemmap device as the kernel maps it. */
static void dt_share_vmemmap(const struct dt_node *n)
{
	for (uint32_t i = 0; i < n->nr_dev; i++) {
		const struct mm_device *d = &n->dev[i];
		uint64_t size = 1ULL << d->compound_order, per = size * sizeof(struct page) / VMM_PAGE;
		uint64_t ncomp = (d->end_pfn - d->start_pfn) / size;
		int fd;

		if (!mm_device_vmemmap_shared(d))
			continue;
		fd = memfd_create("vmemmap", 0);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (off_t)(ncomp * 2 * VMM_PAGE)), 0);
		for (uint64_t c = 0; c < ncomp; c++) {
			char *va = (char *)pfn_to_page(d->start_pfn + c * size);

			for (uint64_t j = 0; j < per; j++)
				assert_true(mmap(va + j * VMM_PAGE, VMM_PAGE, PROT_READ | PROT_WRITE,
						 MAP_SHARED | MAP_FIXED, fd,
						 (off_t)((2 * c + (j ? 1 : 0)) * VMM_PAGE)) != MAP_FAILED);
		}
		close(fd);
	}
}

/* Forget the previous init: memmap_node_reset() keeps the devices. */
static void dt_reset(struct dt_node *n)
{
	memset(n->bits, 0xee, memmap_pageblock_bytes(n->start, n->end));
	memmap_node_reset(&n->node);
	assert_int_equal(n->node.nr_dev, n->nr_dev);
	assert_int_equal(n->node.nr_device_pages, 0);
}

static void dt_run(struct dt_node *n, uint32_t c)
{
	assert_int_equal(memmap_init_range(&n->node, n->chunks[c].start_pfn, n->chunks[c].end_pfn,
					   &n->res[c]), 0);
}

static void dt_init_serial(struct dt_node *n)
{
	dt_reset(n);
	for (uint32_t c = 0; c < n->nr_chunks; c++) {
		dt_run(n, c);
		memmap_splice_chunk(&n->node, &n->res[c]);
	}
}

static void dt_init_reverse(struct dt_node *n)
{
	dt_reset(n);
	for (uint32_t c = n->nr_chunks; c-- > 0;)
		dt_run(n, c);
	for (uint32_t c = 0; c < n->nr_chunks; c++)
		memmap_splice_chunk(&n->node, &n->res[c]);
}

/* Every device chunk cut into 2 MiB pieces, run from the last to the first. */
static void dt_init_pieces(struct dt_node *n)
{
	struct memmap_chunk_result r;

	dt_reset(n);
	for (uint32_t c = n->nr_chunks; c-- > 0;) {
		uint64_t s = n->chunks[c].start_pfn, e = n->chunks[c].end_pfn;

		if (memmap_section_present(&n->node, pfn_to_section_nr(s))) {
			dt_run(n, c);
			memmap_splice_chunk(&n->node, &n->res[c]);
			continue;
		}
		for (uint64_t p = e; p > s; p -= MM_DEVICE_ALIGN_PAGES) {
			assert_int_equal(memmap_init_range(&n->node, p - MM_DEVICE_ALIGN_PAGES, p,
							   &r), 0);
			memmap_splice_chunk(&n->node, &r);
		}
	}
}

struct par {
	struct dt_node *n;
	uint32_t next;			/* (A) */
	uint32_t done[DT_MAX_CHUNKS];	/* (A) */
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	uint32_t c;

	while ((c = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n->nr_chunks) {
		dt_run(p->n, c);
		__atomic_store_n(&p->done[c], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Three workers take chunks; this thread splices them in chunk order. */
static void dt_init_parallel(struct dt_node *n)
{
	struct par p = { .n = n };
	pthread_t t[3];

	dt_reset(n);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, par_worker, &p);
	for (uint32_t c = 0; c < n->nr_chunks; c++) {
		while (!__atomic_load_n(&p.done[c], __ATOMIC_ACQUIRE))
			;
		memmap_splice_chunk(&n->node, &n->res[c]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

static uint64_t dt_verified_sum(struct dt_node *n, struct memmap_verify_result *vr)
{
	assert_int_equal(memmap_verify(&n->node, vr), 0);
	return memmap_checksum(&n->node);
}

static void test_device_only_node(void **state)
{
	struct dt_node *n;
	struct memmap_verify_result vr;
	const struct page *p;

	(void)state;
	vmemmap_create();
	n = dt_node(1, 0, 0, 8 * GiB, 9 * GiB);
	dt_add_device(n, 8 * GiB, 9 * GiB, 0, MM_MEMMAP_DRAM);
	dt_plan(n);
	assert_int_equal(n->nr_chunks, 8);
	dt_init_serial(n);
	dt_verified_sum(n, &vr);
	assert_int_equal(vr.device_pages, PFN(GiB));
	assert_int_equal(vr.pages_checked, 0);
	assert_int_equal(vr.free_pages, 0);
	assert_int_equal(vr.altmap_pages, 0);
	assert_int_equal(n->node.nr_device_pages, PFN(GiB));
	assert_int_equal(n->node.nr_free_pages, 0);
	assert_int_equal(n->node.nr_device_chunks_spliced, 8);
	assert_int_equal(n->res[3].pages_written, PAGES_PER_SECTION);
	assert_int_equal(n->res[3].device_pages, PAGES_PER_SECTION);
	assert_int_equal(n->res[3].dev, 0);
	p = pfn_to_page(PFN(8 * GiB) + 12345);
	assert_int_equal(page_zone_id(p), ZONE_DEVICE);
	assert_int_equal(page_nid(p), 1);
	assert_int_equal(p->flags & PG_FLAGS_MASK, PG_reserved);
	assert_int_equal(p->refcount, 1);
	assert_int_equal(p->private, 7);
	assert_int_equal(p->next_pfn, PFN_NONE);
	assert_int_equal(memmap_pageblock_migratetype(&n->node, PFN(8 * GiB) + 512), MIGRATE_MOVABLE);
	assert_int_equal(buddy_alloc_pages(&n->node, 0), PFN_NONE);	/* nothing free */
	dt_free(n);
	vmemmap_destroy();
}

/* DRAM and a device on one node: DRAM accounting as without the device. */
static void test_dram_and_device(void **state)
{
	struct dt_node *plain, *n;
	struct memmap_verify_result v0, vr;

	(void)state;
	vmemmap_create();
	plain = dt_node(0, 4 * GiB, 4 * GiB + 512 * MiB, 4 * GiB, 4 * GiB + 512 * MiB);
	dt_plan(plain);
	dt_init_serial(plain);
	dt_verified_sum(plain, &v0);
	n = dt_node(0, 4 * GiB, 4 * GiB + 512 * MiB, 4 * GiB, 6 * GiB);
	dt_add_device(n, 5 * GiB, 6 * GiB, 0, MM_MEMMAP_DRAM);
	dt_plan(n);
	assert_int_equal(memmap_chunks(&n->node, NULL, 0, NULL, 0), 4);	/* DRAM chunks unchanged */
	dt_init_serial(n);
	dt_verified_sum(n, &vr);
	assert_int_equal(vr.free_pages, v0.free_pages);
	assert_int_equal(vr.reserved_pages, v0.reserved_pages);
	assert_int_equal(vr.pages_checked, v0.pages_checked);
	assert_int_equal(vr.free_pages, n->node.ram_usable_pages - n->node.early_reserved_pages);
	assert_int_equal(vr.device_pages, PFN(GiB));
	assert_int_equal(n->node.nr_device_pages, PFN(GiB));
	assert_int_equal(n->node.nr_chunks_spliced, 4 + 8);
	assert_int_equal(n->node.nr_device_chunks_spliced, 8);
	/* The buddy hands out DRAM only, and its round trip leaves the state. */
	{
		uint64_t sum = memmap_checksum(&n->node), pfn = buddy_alloc_pages(&n->node, MAX_ORDER);

		assert_true(pfn >= PFN(4 * GiB) && pfn < PFN(4 * GiB + 512 * MiB));
		buddy_free_pages(&n->node, pfn, MAX_ORDER);
		buddy_free_pages(&n->node, PFN(5 * GiB), 0);	/* a device page: refused */
		assert_int_equal(memmap_checksum(&n->node), sum);
	}
	dt_free(plain);
	dt_free(n);
	vmemmap_destroy();
}

/* Memmap on the device: the altmap pages are reserved and self-hosted. */
static void test_memmap_on_device(void **state)
{
	struct dt_node *n;
	struct memmap_verify_result vr;
	const struct mm_device *d;

	(void)state;
	vmemmap_create();
	n = dt_node(2, 0, 0, 8 * GiB, 10 * GiB);
	dt_add_device(n, 8 * GiB, 9 * GiB, 9, MM_MEMMAP_DEVICE);
	dt_add_device(n, 9 * GiB, 10 * GiB, 0, MM_MEMMAP_DEVICE);
	d = &n->dev[0];
	assert_int_equal(d->altmap_pfns, 4096);		/* 16 MiB of struct pages per GiB */
	dt_plan(n);
	dt_init_serial(n);
	dt_verified_sum(n, &vr);
	assert_int_equal(vr.altmap_pages, 2 * 4096);
	assert_int_equal(n->node.nr_device_altmap_pages, 2 * 4096);
	assert_int_equal(vr.compound_heads, (PFN(GiB) - 4096) / 512);
	assert_int_equal(vr.aliased_pages, 0);		/* no sharing with an altmap */
	assert_int_equal(pfn_to_page(d->start_pfn)->flags & PG_FLAGS_MASK,
			 PG_reserved | PG_vmemmap_self_hosted);
	assert_int_equal(pfn_to_page(d->start_pfn + 4095)->refcount, 1);
	assert_int_equal(pfn_to_page(d->start_pfn + 4096)->flags & PG_FLAGS_MASK,
			 PG_reserved | PG_head);
	assert_int_equal(pfn_to_page(d->start_pfn + 4096)->order, 9);
	assert_int_equal(pfn_to_page(d->start_pfn + 4097)->refcount, 0);
	assert_int_equal(pfn_to_page(d->start_pfn + 4097)->compound_head, d->start_pfn + 4096);
	assert_int_equal(n->res[0].pages_written, PAGES_PER_SECTION);
	dt_free(n);
	vmemmap_destroy();
}

/* Compound 2 MiB and 1 GiB pages with the shared tail vmemmap. */
static void test_compound_shared(void **state)
{
	struct dt_node *n;
	struct memmap_verify_result vr;
	uint64_t written = 0, aliased = 0, h;

	(void)state;
	vmemmap_create();
	n = dt_node(0, 4 * GiB, 4 * GiB + 256 * MiB, 4 * GiB, 8 * GiB);
	dt_add_device(n, 5 * GiB, 6 * GiB, 9, MM_MEMMAP_DRAM);
	dt_add_device(n, 6 * GiB, 8 * GiB, 18, MM_MEMMAP_DRAM);
	dt_plan(n);
	dt_share_vmemmap(n);
	dt_init_serial(n);
	dt_verified_sum(n, &vr);
	for (uint32_t c = 2; c < n->nr_chunks; c++) {
		written += n->res[c].pages_written;
		aliased += n->res[c].pages_aliased;
	}
	assert_int_equal(written, (512 + 2) * MM_COMPOUND_DISTINCT_PAGES);
	assert_int_equal(written + aliased, PFN(3 * GiB));
	assert_int_equal(vr.aliased_pages, aliased);
	assert_int_equal(vr.compound_heads, 512 + 2);
	assert_int_equal(n->res[2 + 8 + 1].pages_written, 0);	/* inside a 1 GiB page */
	h = PFN(6 * GiB);
	assert_int_equal(pfn_to_page(h)->order, 18);
	assert_int_equal(pfn_to_page(h + 200000)->compound_head, h);	/* read via an alias */
	assert_int_equal(pfn_to_page(PFN(5 * GiB) + 512 + 300)->compound_head, PFN(5 * GiB) + 512);
	dt_free(n);
	vmemmap_destroy();
}

static void expect_caught(struct dt_node *n, uint64_t good, const char *msg);

/* memmap_poison_range() overwrites what the initializer writes (DRAM
 * pages, heads, the distinct tails) and leaves the shared tails' storage
 * alone; the verifier catches the poison and a new init clears it. */
static void test_poison_range(void **state)
{
	struct dt_node *n;
	struct memmap_verify_result vr;
	uint64_t good, h = PFN(6 * GiB), dram = PFN(4 * GiB) + 5;

	(void)state;
	vmemmap_create();
	n = dt_node(0, 4 * GiB, 4 * GiB + 256 * MiB, 4 * GiB, 8 * GiB);
	dt_add_device(n, 5 * GiB, 6 * GiB, 9, MM_MEMMAP_DRAM);
	dt_add_device(n, 6 * GiB, 8 * GiB, 18, MM_MEMMAP_DRAM);
	dt_plan(n);
	dt_share_vmemmap(n);
	dt_init_serial(n);
	good = dt_verified_sum(n, &vr);
	for (uint32_t c = 0; c < n->nr_chunks; c++)
		memmap_poison_range(&n->node, n->chunks[c].start_pfn, n->chunks[c].end_pfn, 0xa5);
	assert_int_equal(pfn_to_page(dram)->flags, 0xa5a5a5a5a5a5a5a5ULL);
	assert_int_equal(pfn_to_page(h)->flags, 0xa5a5a5a5a5a5a5a5ULL);
	assert_int_equal(pfn_to_page(h + MM_COMPOUND_DISTINCT_PAGES - 1)->compound_head,
			 0xa5a5a5a5a5a5a5a5ULL);
	/* An aliased tail reads the poisoned first-tail page it maps. */
	assert_int_equal(pfn_to_page(h + 200000)->compound_head, 0xa5a5a5a5a5a5a5a5ULL);
	expect_caught(n, good, "verify:");
	dt_reset(n);
	dt_init_serial(n);
	assert_int_equal(dt_verified_sum(n, &vr), good);
	dt_free(n);
	vmemmap_destroy();
}

/* Chunk order, chunk size, threads: the same checksum every time. */
static void test_chunking_same_checksum(void **state)
{
	struct dt_node *n;
	struct memmap_verify_result vr;
	uint64_t serial, again;

	(void)state;
	vmemmap_create();
	n = dt_node(0, 4 * GiB, 4 * GiB + 384 * MiB, 4 * GiB, 10 * GiB);
	dt_add_device(n, 5 * GiB, 5 * GiB + 66 * MiB, 0, MM_MEMMAP_DRAM);
	dt_add_device(n, 5 * GiB + 66 * MiB, 6 * GiB, 9, MM_MEMMAP_DRAM);	/* shares a section */
	dt_add_device(n, 6 * GiB, 8 * GiB, 9, MM_MEMMAP_DEVICE);
	dt_add_device(n, 8 * GiB, 10 * GiB, 18, MM_MEMMAP_DEVICE);
	dt_plan(n);
	dt_share_vmemmap(n);
	dt_init_serial(n);
	serial = dt_verified_sum(n, &vr);
	assert_int_equal(vr.device_pages, PFN(5 * GiB));
	dt_init_reverse(n);
	assert_int_equal(dt_verified_sum(n, &vr), serial);
	dt_init_pieces(n);
	assert_int_equal(dt_verified_sum(n, &vr), serial);
	for (int run = 0; run < 3; run++) {
		dt_init_parallel(n);
		assert_int_equal(dt_verified_sum(n, &vr), serial);
	}
	dt_init_serial(n);
	again = dt_verified_sum(n, &vr);
	assert_int_equal(again, serial);
	dt_free(n);
	vmemmap_destroy();
}

static void expect_caught(struct dt_node *n, uint64_t good, const char *msg)
{
	struct memmap_verify_result vr;

	host_console_reset();
	assert_int_equal(memmap_verify(&n->node, &vr), -1);
	assert_true(host_console_contains(msg));
	assert_int_not_equal(memmap_checksum(&n->node), good);
}

static void test_verifier_catches(void **state)
{
	struct dt_node *n;
	struct memmap_verify_result vr;
	uint64_t good, tail, pfn, h1;
	struct mm_free_list *l;
	int fd;

	(void)state;
	vmemmap_create();
	n = dt_node(0, 4 * GiB, 4 * GiB + 256 * MiB, 4 * GiB, 6 * GiB);
	dt_add_device(n, 5 * GiB, 6 * GiB, 9, MM_MEMMAP_DRAM);
	dt_plan(n);
	dt_share_vmemmap(n);
	dt_init_serial(n);
	good = dt_verified_sum(n, &vr);
	pfn_to_page(PFN(5 * GiB) + 1024)->refcount = 2;		/* a head's refcount */
	expect_caught(n, good, "device page");
	dt_init_serial(n);
	pfn_to_page(PFN(5 * GiB) + 3)->private = 99;		/* a distinct tail's owner */
	expect_caught(n, good, "device page");
	dt_init_serial(n);
	n->node.nr_device_pages--;				/* accounting */
	expect_caught(n, good, "device pages: described");
	dt_init_serial(n);
	/* A device page on a free list. */
	l = &n->node.free_area[ZONE_NORMAL][0];
	pfn = PFN(5 * GiB) + 4096;
	tail = l->tail;
	if (tail == PFN_NONE)
		l->head = pfn;
	else
		pfn_to_page(tail)->next_pfn = pfn;
	pfn_to_page(pfn)->prev_pfn = tail;
	l->tail = pfn;
	l->nr_free++;
	expect_caught(n, good, "device page on free list");
	dt_init_serial(n);
	assert_int_equal(memmap_verify(&n->node, &vr), 0);
	/* A wrong alias: compound page 1's last vmemmap page maps page 2's tails. */
	h1 = PFN(5 * GiB) + 512;
	fd = memfd_create("wrong", 0);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VMM_PAGE), 0);
	{
		struct page *alias = pfn_to_page(h1 + 512 - 64);

		assert_true(mmap(alias, VMM_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
				 0) != MAP_FAILED);
		memcpy(alias, pfn_to_page(h1 + 512 + 64), VMM_PAGE);	/* tails of page 2 */
	}
	close(fd);
	expect_caught(n, good, "device page (via shared vmemmap): compound_head/index");
	assert_int_equal(memmap_verify(&n->node, &vr), -1);
	assert_int_equal(vr.errors, 64);		/* exactly that vmemmap page */
	dt_free(n);
	vmemmap_destroy();
}

/* One field of a compound head, then one of a tail read through a shared
 * vmemmap page: exactly one error each. */
static void test_device_head_and_tail_field(void **state)
{
	struct dt_node *n;
	struct memmap_verify_result vr;
	uint64_t good, h = PFN(5 * GiB) + 2048;

	(void)state;
	vmemmap_create();
	n = dt_node(0, 4 * GiB, 4 * GiB + 256 * MiB, 4 * GiB, 6 * GiB);
	dt_add_device(n, 5 * GiB, 6 * GiB, 9, MM_MEMMAP_DRAM);
	dt_plan(n);
	dt_share_vmemmap(n);
	dt_init_serial(n);
	good = dt_verified_sum(n, &vr);
	pfn_to_page(h)->order = 8;				/* a compound head's order */
	host_console_reset();
	assert_int_equal(memmap_verify(&n->node, &vr), -1);
	assert_int_equal(vr.errors, 1);
	assert_true(host_console_contains("device page: order 0x8, want 0x9"));
	assert_int_not_equal(memmap_checksum(&n->node), good);
	pfn_to_page(h)->order = 9;
	pfn_to_page(h + 1)->mapping = 1;			/* a distinct tail's field */
	host_console_reset();
	assert_int_equal(memmap_verify(&n->node, &vr), -1);
	assert_int_equal(vr.errors, 1);
	assert_true(host_console_contains("device page: mapping 0x1, want 0x0"));
	pfn_to_page(h + 1)->mapping = 0;
	assert_int_equal(dt_verified_sum(n, &vr), good);
	dt_free(n);
	vmemmap_destroy();
}

static void expect_rejected(struct dt_node *n, const char *why)
{
	host_console_reset();
	assert_int_equal(memmap_node_set_devices(&n->node, n->dev, n->nr_dev), -1);
	assert_true(host_console_contains(why));
	assert_true(host_console_contains("device 7 "));
	assert_int_equal(n->node.nr_dev, 0);
	n->nr_dev = 0;
}

static void test_bad_devices_rejected(void **state)
{
	struct dt_node *n;
	struct memmap_chunk_result r;

	(void)state;
	vmemmap_create();
	n = dt_node(0, 4 * GiB, 4 * GiB + 100 * MiB, 4 * GiB, 12 * GiB);
	dt_add_device(n, 5 * GiB + 4096, 6 * GiB, 0, MM_MEMMAP_DRAM);
	expect_rejected(n, "not aligned");
	dt_add_device(n, 5 * GiB + 2 * MiB, 6 * GiB, 18, MM_MEMMAP_DRAM);
	expect_rejected(n, "compound page size");
	dt_add_device(n, 5 * GiB, 6 * GiB, 10, MM_MEMMAP_DRAM);
	expect_rejected(n, "compound order");
	dt_add_device(n, 5 * GiB, 5 * GiB, 0, MM_MEMMAP_DRAM);
	expect_rejected(n, "empty");
	dt_add_device(n, 6 * GiB, 7 * GiB, 0, MM_MEMMAP_DRAM);
	dt_add_device(n, 5 * GiB, 7 * GiB, 0, MM_MEMMAP_DRAM);
	n->dev[1].id = 7;
	expect_rejected(n, "overlapping");
	dt_add_device(n, 12 * GiB, 13 * GiB, 0, MM_MEMMAP_DRAM);
	expect_rejected(n, "outside the node's span");
	dt_add_device(n, 4 * GiB + 100 * MiB, 5 * GiB, 0, MM_MEMMAP_DRAM);
	expect_rejected(n, "shares a memory section");
	dt_add_device(n, 5 * GiB, 6 * GiB, 0, MM_MEMMAP_DRAM);
	n->dev[0].altmap_pfns = 4096;
	expect_rejected(n, "altmap pages with the memmap in DRAM");
	dt_add_device(n, 5 * GiB, 6 * GiB, 0, MM_MEMMAP_DEVICE);
	n->dev[0].altmap_pfns = 512;
	expect_rejected(n, "altmap size");
	dt_add_device(n, 10 * GiB, 11 * GiB, 18, MM_MEMMAP_DEVICE);	/* all altmap */
	expect_rejected(n, "too small to hold its own memmap");
	/* Chunks: across two devices, unaligned, across a section. */
	dt_add_device(n, 5 * GiB, 5 * GiB + 64 * MiB, 0, MM_MEMMAP_DRAM);
	dt_add_device(n, 5 * GiB + 64 * MiB, 6 * GiB, 0, MM_MEMMAP_DRAM);
	dt_plan(n);
	assert_int_equal(memmap_init_range(&n->node, PFN(5 * GiB + 62 * MiB),
					   PFN(5 * GiB + 66 * MiB), &r), -1);
	assert_int_equal(memmap_init_range(&n->node, PFN(5 * GiB) + 8, PFN(5 * GiB + 2 * MiB),
					   &r), -1);
	assert_int_equal(memmap_init_range(&n->node, PFN(5 * GiB + 126 * MiB),
					   PFN(5 * GiB + 130 * MiB), &r), -1);
	assert_int_equal(memmap_init_range(&n->node, PFN(5 * GiB + 126 * MiB),
					   PFN(5 * GiB + 128 * MiB), &r), 0);
	assert_int_equal(memmap_chunks(&n->node, &(struct mm_range){ n->dev[1].start_pfn,
								   n->dev[1].end_pfn }, 1, NULL, 0), 8);
	dt_free(n);
	vmemmap_destroy();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_only_node),
		cmocka_unit_test(test_dram_and_device),
		cmocka_unit_test(test_memmap_on_device),
		cmocka_unit_test(test_compound_shared),
		cmocka_unit_test(test_poison_range),
		cmocka_unit_test(test_chunking_same_checksum),
		cmocka_unit_test(test_verifier_catches),
		cmocka_unit_test(test_device_head_and_tail_field),
		cmocka_unit_test(test_bad_devices_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
