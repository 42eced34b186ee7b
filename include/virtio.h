/*
 * virtio over PCI, modern transport only (virtio 1.2 §4.1): where a
 * device's common, notify and device-specific configuration structures
 * are (virtio/pci_caps.c, pure: over a struct pci_func snapshot), and the
 * status / feature handshake of §3.1.1 on the common configuration
 * (virtio/pci_transport.c, kernel), and split virtqueues driven by
 * polling (virtio/virtqueue.c).  No legacy (0x1000-0x103f) devices, no
 * interrupts.  Boot CPU only.  See docs/hotplug.md.
 */
#ifndef NUMABOOT_VIRTIO_H
#define NUMABOOT_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pci.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_MODERN_BASE	0x1040	/* device id = 0x1040 + virtio device id */

/* §4.1.4 virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_COMMON_CFG_MIN	56	/* §4.1.4.3 fields up to queue_device */

/* §2.1 device status bits */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

#define VIRTIO_F_VERSION_1	(1ull << 32)	/* §6 */

/* One configuration structure: BAR bar, [offset, offset + length), at
 * physical address addr (the BAR's base + offset). */
struct virtio_pci_region {
	bool present;
	uint8_t bar;
	uint32_t offset;
	uint32_t length;
	uint64_t addr;
};

struct virtio_pci_transport {
	struct virtio_pci_region common;
	struct virtio_pci_region notify;
	struct virtio_pci_region device;
	uint32_t notify_off_multiplier;
};

/* True for a modern virtio device of virtio device id `id`. */
static inline bool virtio_pci_is(const struct pci_func *f, uint32_t id)
{
	return f->vendor == VIRTIO_PCI_VENDOR && f->device == VIRTIO_PCI_MODERN_BASE + id;
}

/*
 * Find the first common, notify and device configuration capability of f
 * (§4.1.4.1: the first usable one of each type) in its snapshot; each must
 * name an assigned memory BAR 0-5 and not wrap past it, and the function's
 * memory decoding must be on (numaboot does not write the command register).  Returns 0
 * when all three were found; else -1 with why (a sentence) filled.  Pure.
 */
int virtio_pci_find_caps(const struct pci_func *f, struct virtio_pci_transport *t, char *why,
			 size_t why_size);

/* Kernel: the handshake of §3.1.1 up to FEATURES_OK, each wait bounded by
 * timeout_ms and reported naming `name`.  Negotiates offered & wanted
 * (VIRTIO_F_VERSION_1 must be among them).  Returns 0, or -1 with *why set
 * to a static string (the device is then left with FAILED set, or as the
 * timeout found it). */
struct virtio_pci_handshake {
	uint64_t offered;	/* device features */
	uint64_t accepted;	/* driver features written */
	uint8_t status;		/* device_status read back at the end */
	const char *why;	/* NULL on success */
};
int virtio_pci_map(const struct virtio_pci_transport *t);
uint8_t virtio_pci_status(const struct virtio_pci_transport *t);
int virtio_pci_reset(const struct virtio_pci_transport *t, const char *name, uint64_t timeout_ms);
int virtio_pci_negotiate(const struct virtio_pci_transport *t, const char *name, uint64_t wanted,
			 struct virtio_pci_handshake *h);
/* Read a device-configuration snapshot of len bytes into buf with the
 * 32-bit accesses §4.1.3.1 requires, retried until config_generation is
 * stable (§2.5.1); -1 when it never was. */
int virtio_pci_read_config(const struct virtio_pci_transport *t, void *buf, uint32_t len);

/* ---- split virtqueue (virtio 1.2 §2.7), virtio/virtqueue.c --------------- */

#define VIRTQ_SIZE	8	/* descriptors; numaboot keeps one request in flight */

/* §2.7.5 descriptor flags, §2.7.6 available ring flags */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1

/*
 * One split virtqueue driven by polling: descriptor table, available and
 * used rings in one page-aligned struct the kernel owns (identity mapped:
 * its address is the device's DMA address).  Boot CPU only.
 */
struct virtq {
	uint16_t index;		/* queue number */
	uint16_t size;		/* descriptors, <= VIRTQ_SIZE (the device may offer fewer) */
	uint16_t last_used;	/* used->idx last seen */
	uint16_t next_avail;	/* avail->idx to publish next */
	uint64_t notify_addr;	/* where to write index to notify (§4.1.4.4) */
	struct virtq_mem *mem;	/* rings (caller storage, 4 KiB aligned) */
	bool failed;		/* a request timed out or got a bad used entry:
				 * nothing more is sent until virtq_setup() again
				 * (after a device reset) */
};

/* Ring storage: the caller's, static, identity mapped, 4 KiB aligned. */
struct virtq_mem {
	uint8_t page[3][4096];	/* desc, avail, used: one page each */
} __attribute__((aligned(4096)));

/* Set queue `index` up through the common configuration (after
 * FEATURES_OK, before DRIVER_OK): size min(device's, VIRTQ_SIZE) rounded
 * down to a power of two (at least 2: a request is a two-descriptor
 * chain), rings in mem (zeroed here), VIRTQ_AVAIL_F_NO_INTERRUPT,
 * queue_enable = 1.  Returns 0, or -1 with *why (static) set. */
int virtq_setup(const struct virtio_pci_transport *t, uint16_t index, struct virtq *q,
		struct virtq_mem *mem, const char **why);

/* One request: req (device-readable, req_len bytes) and resp
 * (device-writable, resp_len bytes) as a two-descriptor chain, notify, and
 * poll the used ring until the device returns it or timeout_ms passed.
 * Returns 0 (resp filled, *written = bytes the device wrote), or -1 with
 * *why (static) set: "timeout" (the queue is then unusable: the caller
 * resets the device), a bad used entry, ...  Buffers must be identity mapped. */
int virtq_request(struct virtq *q, const void *req, uint32_t req_len, void *resp,
		  uint32_t resp_len, uint32_t *written, uint64_t timeout_ms, const char **why);

/* Set DRIVER_OK (§3.1.1 step 8) and check it stuck (no NEEDS_RESET). */
int virtio_pci_driver_ok(const struct virtio_pci_transport *t, const char *name);

#endif
