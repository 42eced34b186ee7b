/*
 * virtio/ private: register accessors of the modern PCI transport, the
 * common configuration offsets (§4.1.4.3), the split virtqueue layout
 * (§2.7) and the pure ring steps of virtio/virtqueue.c, exported here so
 * tests/unit/test_virtqueue.c can drive them against a fake device.
 */
#ifndef NUMABOOT_VIRTIO_INTERNAL_H
#define NUMABOOT_VIRTIO_INTERNAL_H

#include <stdint.h>
#include "virtio.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtio 1.x structures are little-endian and are written natively");

/* §4.1.4.3 struct virtio_pci_common_cfg offsets */
#define COMMON_DFSELECT		0x00
#define COMMON_DF		0x04
#define COMMON_GFSELECT		0x08
#define COMMON_GF		0x0c
#define COMMON_NUM_QUEUES	0x12
#define COMMON_STATUS		0x14
#define COMMON_CFGGENERATION	0x15
#define COMMON_Q_SELECT		0x16
#define COMMON_Q_SIZE		0x18
#define COMMON_Q_ENABLE		0x1c
#define COMMON_Q_NOTIFY_OFF	0x1e
#define COMMON_Q_DESC		0x20
#define COMMON_Q_DRIVER		0x28
#define COMMON_Q_DEVICE		0x30

/* Register accesses of the widths §4.1.3.1 names; the address is an
 * identity-mapped (kernel) or ordinary (host test) pointer. */
static inline uint8_t vio_rd8(uint64_t a) { return *(const volatile uint8_t *)a; }
static inline uint16_t vio_rd16(uint64_t a) { return *(const volatile uint16_t *)a; }
static inline uint32_t vio_rd32(uint64_t a) { return *(const volatile uint32_t *)a; }
static inline void vio_wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void vio_wr16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void vio_wr32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
/* A 64-bit field as two 32-bit halves, low first (§4.1.3.1 allows it). */
static inline void vio_wr64(uint64_t a, uint64_t v)
{
	vio_wr32(a, (uint32_t)v);
	vio_wr32(a + 4, (uint32_t)(v >> 32));
}

/* §2.7.5 */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
/* §2.7.6; used_event (after ring[size]) is not used: no VIRTIO_F_EVENT_IDX. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};
/* §2.7.8; avail_event likewise unused. */
struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};
_Static_assert(sizeof(struct virtq_desc) == 16, "§2.7.5 descriptor is 16 bytes");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "§2.7.8 used element is 8 bytes");
_Static_assert(sizeof(struct virtq_avail) + 2 * (VIRTQ_SIZE + 1) <= 4096 &&
	       sizeof(struct virtq_used) + 8 * VIRTQ_SIZE + 2 <= 4096,
	       "each ring fits its page of struct virtq_mem");

static inline struct virtq_desc *virtq_desc_of(const struct virtq *q)
{
	return (struct virtq_desc *)q->mem->page[0];
}
static inline struct virtq_avail *virtq_avail_of(const struct virtq *q)
{
	return (struct virtq_avail *)q->mem->page[1];
}
static inline struct virtq_used *virtq_used_of(const struct virtq *q)
{
	return (struct virtq_used *)q->mem->page[2];
}

/* Ring slot of a free-running 16-bit index; size is a power of two, so
 * the slot stays right when the index wraps from 65535 to 0. */
static inline uint16_t virtq_slot(uint16_t idx, uint16_t size)
{
	return idx & (uint16_t)(size - 1);
}

/* Pure steps of virtio/virtqueue.c (no register access, no clock). */
uint16_t virtq_pick_size(uint16_t device_max);
void virtq_ring_init(struct virtq *q, uint16_t index, uint16_t size, struct virtq_mem *mem);
uint16_t virtq_post(struct virtq *q, uint64_t req_addr, uint32_t req_len, uint64_t resp_addr,
		    uint32_t resp_len);
int virtq_reap(struct virtq *q, uint16_t head, uint32_t resp_len, uint32_t *written,
	       const char **why);

#endif
