/*
 * virtio-mem configuration checks (virtio 1.2 §5.15.4, §5.15.5): what a
 * device says before numaboot would use any of its memory; which ranges a
 * request may name (§5.15.6.1).  Pure: the NUMA table and memory map come
 * in as arguments.  Any caller.
 */
#include <stddef.h>
#include "kprintf.h"
#include "virtio_mem.h"

/* §5.15.4 struct virtio_mem_config as the device lays it out (little endian). */
struct virtio_mem_config_raw {
	uint64_t block_size;
	uint16_t node_id;
	uint8_t padding[6];
	uint64_t addr;
	uint64_t region_size;
	uint64_t usable_region_size;
	uint64_t plugged_size;
	uint64_t requested_size;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_mem_config_raw) == VIRTIO_MEM_CONFIG_LEN, "virtio 1.2 §5.15.4");
_Static_assert(offsetof(struct virtio_mem_config_raw, addr) == 16, "virtio 1.2 §5.15.4");
_Static_assert(offsetof(struct virtio_mem_config_raw, requested_size) == 48, "virtio 1.2 §5.15.4");

static const char *const problem_names[VMEM_NPROBLEMS] = {
	"no_transport", "unmapped", "reset_timeout", "features", "config_unstable",
	"node_unknown", "overlaps_ram", "block_size", "region_align", "request_above_region",
};

const char *virtio_mem_problem_name(uint32_t bit)
{
	for (uint32_t i = 0; i < VMEM_NPROBLEMS; i++)
		if (bit == 1u << i)
			return problem_names[i];
	return "unknown";
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void virtio_mem_config_decode(const uint8_t *raw, struct virtio_mem_config *c)
{
	*c = (struct virtio_mem_config){
		.block_size = rd64(raw), .node_id = (uint16_t)(raw[8] | raw[9] << 8),
		.addr = rd64(raw + 16), .region_size = rd64(raw + 24),
		.usable_region_size = rd64(raw + 32), .plugged_size = rd64(raw + 40),
		.requested_size = rd64(raw + 48),
	};
}

static uint32_t node_of_pxm(const struct numa_topology *t, uint32_t pxm)
{
	if (t->source != NUMA_SRC_SRAT)
		return NUMA_NO_NODE;
	for (uint32_t i = 0; i < t->nnodes; i++)
		if (t->nodes[i].pxm == pxm)
			return i;
	return NUMA_NO_NODE;
}

/* The first memory map entry (other than MMIO) overlapping [s, e), or NULL. */
static const struct boot_mem_range *ram_overlap(const struct boot_mem_range *m, uint32_t n,
						uint64_t s, uint64_t e)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t ms = m[i].phys, me = ms + m[i].pages * 4096;

		if (m[i].type == BOOT_MEM_MMIO || m[i].type == BOOT_MEM_MMIO_PORT)
			continue;
		if (ms < e && s < me)
			return &m[i];
	}
	return NULL;
}

static uint32_t check_sizes(const struct virtio_mem_config *c, const char *loc)
{
	uint64_t b = c->block_size;
	uint32_t p = 0;

	if (b == 0 || (b & (b - 1)) || b % VIRTIO_MEM_BLOCK_UNIT) {
		kprintf("virtio-mem %s: block size 0x%llx is not a power-of-2 multiple of 2 MiB "
			"(numaboot's subsection): device left alone\n", loc, (unsigned long long)b);
		return VMEM_BLOCK_SIZE;
	}
	if (c->addr % b || c->region_size % b || c->usable_region_size % b ||
	    c->region_size == 0 || c->addr + c->region_size < c->addr) {
		kprintf("virtio-mem %s: region [0x%llx, +0x%llx) not made of whole %llu MiB blocks: "
			"device left alone\n", loc, (unsigned long long)c->addr,
			(unsigned long long)c->region_size, (unsigned long long)(b >> 20));
		p |= VMEM_REGION_ALIGN;
	}
	if (c->requested_size > c->usable_region_size || c->plugged_size > c->usable_region_size ||
	    c->usable_region_size > c->region_size) {
		kprintf("virtio-mem %s: requested %llu MiB / plugged %llu MiB above the usable region "
			"(%llu MiB of %llu MiB): device left alone\n", loc,
			(unsigned long long)(c->requested_size >> 20),
			(unsigned long long)(c->plugged_size >> 20),
			(unsigned long long)(c->usable_region_size >> 20),
			(unsigned long long)(c->region_size >> 20));
		p |= VMEM_REQUEST_ABOVE;
	}
	return p;
}

uint32_t virtio_mem_check(const struct virtio_mem_config *c, const char *loc,
			  const struct numa_topology *t, const struct boot_mem_range *mmap,
			  uint32_t nmmap, uint32_t *node)
{
	const struct boot_mem_range *r;
	uint32_t p = check_sizes(c, loc);

	*node = node_of_pxm(t, c->node_id);
	if (*node == NUMA_NO_NODE) {
		kprintf("virtio-mem %s: node id %u is no proximity domain of the SRAT: "
			"device left alone\n", loc, c->node_id);
		p |= VMEM_NODE_UNKNOWN;
	}
	r = ram_overlap(mmap, nmmap, c->addr, c->addr + c->region_size);
	if (r) {
		kprintf("virtio-mem %s: region [0x%llx, 0x%llx) overlaps memory map entry "
			"[0x%llx, 0x%llx) type %u: device left alone\n", loc,
			(unsigned long long)c->addr, (unsigned long long)(c->addr + c->region_size),
			(unsigned long long)r->phys, (unsigned long long)(r->phys + r->pages * 4096),
			r->type);
		p |= VMEM_OVERLAPS_RAM;
	}
	return p;
}

const char *virtio_mem_range_check(const struct virtio_mem_config *c, uint64_t addr,
				   uint64_t nb_blocks)
{
	uint64_t size = nb_blocks * c->block_size;

	if (nb_blocks == 0)
		return "no block (nb_blocks 0)";
	if (nb_blocks > VIRTIO_MEM_MAX_BLOCKS)
		return "more than 65535 blocks (nb_blocks is 16 bits)";
	if (c->block_size == 0 || addr % c->block_size)
		return "address not on a block boundary";
	if (addr < c->addr || addr - c->addr >= c->usable_region_size ||
	    size > c->usable_region_size - (addr - c->addr))
		return "range not inside the usable region";
	return NULL;
}

/* A size of c that must be whole blocks within limit: why not, or NULL. */
static bool size_bad(uint64_t size, uint64_t block, uint64_t limit)
{
	return size % block || size > limit;
}

const char *virtio_mem_config_recheck(const struct virtio_mem_config *p,
				      const struct virtio_mem_config *c, char *why, size_t len)
{
	static const char *const names[] = { "block size", "node id", "address", "region size" };
	const uint64_t was[] = { p->block_size, p->node_id, p->addr, p->region_size };
	const uint64_t now[] = { c->block_size, c->node_id, c->addr, c->region_size };

	for (unsigned i = 0; i < sizeof(was) / sizeof(was[0]); i++)
		if (was[i] != now[i]) {
			ksnprintf(why, len, "%s changed from 0x%llx to 0x%llx", names[i],
				  (unsigned long long)was[i], (unsigned long long)now[i]);
			return why;
		}
	/* From here block_size and region_size are the probed ones: checked. */
	if (size_bad(c->usable_region_size, c->block_size, c->region_size) ||
	    size_bad(c->requested_size, c->block_size, c->usable_region_size) ||
	    size_bad(c->plugged_size, c->block_size, c->usable_region_size)) {
		ksnprintf(why, len, "usable %llu, requested %llu or plugged %llu bytes not whole "
			  "%llu-byte blocks within the region (%llu bytes)",
			  (unsigned long long)c->usable_region_size,
			  (unsigned long long)c->requested_size, (unsigned long long)c->plugged_size,
			  (unsigned long long)c->block_size, (unsigned long long)c->region_size);
		return why;
	}
	return NULL;
}

int virtio_mem_config_update(struct virtio_mem_dev *d, const struct virtio_mem_config *c,
			     bool *changed)
{
	char why[160];

	*changed = false;
	if (virtio_mem_config_recheck(&d->probed, c, why, sizeof(why))) {
		if (!d->cfg_broken)
			kprintf("virtio-mem %s: configuration re-read: %s: device no longer served\n",
				d->loc, why);
		d->cfg_broken = true;
		return -1;
	}
	*changed = c->requested_size != d->cfg.requested_size ||
		   c->plugged_size != d->cfg.plugged_size;
	d->cfg = *c;
	return 0;
}

const char *virtio_mem_resp_name(uint16_t resp)
{
	static const char *const names[] = { "ack", "nack", "busy", "error" };

	return resp < sizeof(names) / sizeof(names[0]) ? names[resp] : "unknown";
}
