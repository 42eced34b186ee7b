/*
 * Split virtqueues (virtio 1.2 §2.7), driven by polling, one request in
 * flight: a request is a two-descriptor chain (device-readable request,
 * device-writable response), made available, notified, and the used ring
 * polled until the device returns it or the timeout passes.  Setup goes
 * through the modern PCI common configuration (§4.1.5.1.3).  Boot CPU
 * only; callers name the device in their messages.
 *
 * DMA addresses.  The device is given the addresses of the caller's ring
 * storage and buffers as they are: the kernel runs identity mapped
 * (arch/x86_64/paging.c maps [0, identity_top) va == pa, and UEFI loads
 * the image identity mapped too, UEFI 2.10 §2.3.4), so the address of a
 * static object in the image, or on the boot CPU's stack (boot/), is its
 * physical address.  Per-CPU stack windows (smp/percpu.c) are NOT: never
 * pass a buffer from an AP's stack.  numaboot never enables DMA
 * remapping (an IOMMU, when present, stays off), so these addresses reach
 * memory untranslated.
 *
 * Ordering (x86, TSO; the device is another agent reading and writing the
 * same memory, §2.7.13): stores become visible in program order and loads
 * are not reordered with older loads, so only the compiler has to be held
 * back (virtq_wmb / virtq_rmb), except before the notify (virtq_mb).
 *
 * The pure steps (virtq_pick_size, virtq_ring_init, virtq_post,
 * virtq_reap) touch no register and no clock: tests/unit/test_virtqueue.c
 * drives them, and virtq_setup / virtq_request over plain memory standing
 * in for the registers, against a fake device.
 */
#include "kstring.h"
#include "tsc.h"
#include "virtio.h"
#include "x86.h"
#include "internal.h"

/* Compiler barriers: x86 does not reorder store-store or load-load. */
#define virtq_wmb()	__asm__ volatile("" : : : "memory")
#define virtq_rmb()	__asm__ volatile("" : : : "memory")
/* Full fence: every ring store globally visible before the notify write
 * (an uncached MMIO store, ordered after them by x86 anyway; the fence
 * costs nothing at one request per plug and keeps the pairing explicit
 * for an emulator that would read the ring from another host thread). */
#define virtq_mb()	__asm__ volatile("mfence" : : : "memory")

uint16_t virtq_pick_size(uint16_t device_max)
{
	uint16_t n = device_max < VIRTQ_SIZE ? device_max : VIRTQ_SIZE;
	uint16_t p = 1;

	if (n < 2)
		return 0;
	while ((uint16_t)(p << 1) <= n)
		p <<= 1;
	return p;
}

void virtq_ring_init(struct virtq *q, uint16_t index, uint16_t size, struct virtq_mem *mem)
{
	memset(mem, 0, sizeof(*mem));
	*q = (struct virtq){ .index = index, .size = size, .mem = mem };
	/* §2.7.7: polling only; the device may still interrupt (a hint). */
	virtq_avail_of(q)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_wmb();	/* rings written before the device is told where they are */
}

/*
 * §2.7.13.1-3: place the chain at head = 2 * (next_avail mod size/2), so
 * consecutive requests use different descriptors (a device answering with
 * a stale id is caught), put head in the next available slot, and publish
 * the available index.  Returns head.
 */
uint16_t virtq_post(struct virtq *q, uint64_t req_addr, uint32_t req_len, uint64_t resp_addr,
		    uint32_t resp_len)
{
	struct virtq_desc *d = virtq_desc_of(q);
	struct virtq_avail *a = virtq_avail_of(q);
	uint16_t head = (uint16_t)(virtq_slot(q->next_avail, (uint16_t)(q->size / 2)) * 2);

	d[head] = (struct virtq_desc){ .addr = req_addr, .len = req_len,
				       .flags = VIRTQ_DESC_F_NEXT, .next = (uint16_t)(head + 1) };
	d[head + 1] = (struct virtq_desc){ .addr = resp_addr, .len = resp_len,
					   .flags = VIRTQ_DESC_F_WRITE };
	a->ring[virtq_slot(q->next_avail, q->size)] = head;
	/* §2.7.13.3.1: descriptors and ring entry before the index. */
	virtq_wmb();
	q->next_avail++;
	*(volatile uint16_t *)&a->idx = q->next_avail;
	return head;
}

/*
 * §2.7.14: has the device returned the chain at head?  1: not yet; 0: yes,
 * *written = the bytes it wrote, last_used advanced; -1: the used ring is
 * wrong (*why): more entries than were made available, another chain's
 * id, or more bytes written than the response buffer holds.
 */
int virtq_reap(struct virtq *q, uint16_t head, uint32_t resp_len, uint32_t *written,
	       const char **why)
{
	const struct virtq_used *u = virtq_used_of(q);
	uint16_t used_idx = *(const volatile uint16_t *)&u->idx;
	uint16_t fresh = (uint16_t)(used_idx - q->last_used);
	uint16_t in_flight = (uint16_t)(q->next_avail - q->last_used);
	struct virtq_used_elem e;

	if (fresh == 0)
		return 1;
	if (fresh > in_flight) {
		*why = "used index moved past the buffers made available";
		return -1;
	}
	/* The entry is read after the index that published it (§2.7.14). */
	virtq_rmb();
	e = *(const volatile struct virtq_used_elem *)&u->ring[virtq_slot(q->last_used, q->size)];
	if (e.id != head) {
		*why = "used entry names a descriptor that is not the request's head";
		return -1;
	}
	if (e.len > resp_len) {
		*why = "used entry says more bytes written than the response buffer holds";
		return -1;
	}
	q->last_used++;
	*written = e.len;
	return 0;
}

int virtq_setup(const struct virtio_pci_transport *t, uint16_t index, struct virtq *q,
		struct virtq_mem *mem, const char **why)
{
	uint64_t c = t->common.addr;
	uint16_t size, off;
	uint64_t notify_at;

	*q = (struct virtq){ .failed = true };
	if (index >= vio_rd16(c + COMMON_NUM_QUEUES)) {
		*why = "the device has no such queue (num_queues)";
		return -1;
	}
	vio_wr16(c + COMMON_Q_SELECT, index);
	if (vio_rd16(c + COMMON_Q_ENABLE)) {
		*why = "queue already enabled (device not reset)";
		return -1;
	}
	size = virtq_pick_size(vio_rd16(c + COMMON_Q_SIZE));
	if (!size) {
		*why = "queue unavailable or smaller than 2 descriptors (queue_size)";
		return -1;
	}
	off = vio_rd16(c + COMMON_Q_NOTIFY_OFF);
	notify_at = (uint64_t)off * t->notify_off_multiplier;
	if (notify_at + 2 > t->notify.length) {
		*why = "queue_notify_off * notify_off_multiplier is outside the notify structure";
		return -1;
	}
	virtq_ring_init(q, index, size, mem);
	q->notify_addr = t->notify.addr + notify_at;
	vio_wr16(c + COMMON_Q_SIZE, size);
	vio_wr64(c + COMMON_Q_DESC, (uint64_t)(uintptr_t)mem->page[0]);
	vio_wr64(c + COMMON_Q_DRIVER, (uint64_t)(uintptr_t)mem->page[1]);
	vio_wr64(c + COMMON_Q_DEVICE, (uint64_t)(uintptr_t)mem->page[2]);
	vio_wr16(c + COMMON_Q_ENABLE, 1);
	return 0;
}

int virtq_request(struct virtq *q, const void *req, uint32_t req_len, void *resp,
		  uint32_t resp_len, uint32_t *written, uint64_t timeout_ms, const char **why)
{
	uint64_t deadline;
	uint16_t head;
	int r;

	if (q->failed || !q->mem) {
		*why = "queue not set up, or failed earlier (the device needs a reset)";
		return -1;
	}
	head = virtq_post(q, (uint64_t)(uintptr_t)req, req_len, (uint64_t)(uintptr_t)resp,
			  resp_len);
	/* §2.7.13.4 / §4.1.5.2: the published index before the notify. */
	virtq_mb();
	vio_wr16(q->notify_addr, q->index);
	deadline = now_ns() + timeout_ms * 1000000;
	while ((r = virtq_reap(q, head, resp_len, written, why)) == 1) {
		if (now_ns() > deadline) {
			*why = "timeout: the device did not return the request";
			r = -1;
			break;
		}
		cpu_relax();
	}
	if (r)
		q->failed = true;
	/* The response was written before the used entry: read after it. */
	virtq_rmb();
	return r;
}
