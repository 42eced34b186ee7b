/*
 * virtio modern PCI transport, kernel side (virtio 1.2 §4.1.4.3 common
 * configuration, §3.1.1 driver initialization up to FEATURES_OK and, once
 * the driver set its queues up, DRIVER_OK; §4.1.3.1 access widths).
 * Registers are reached on the identity map, uncached when they lie above
 * it (paging_map_mmio()).  Every wait is bounded and a
 * timeout names the device.  Boot CPU only.
 */
#include "kprintf.h"
#include "kstring.h"
#include "paging.h"
#include "tsc.h"
#include "virtio.h"
#include "x86.h"
#include "internal.h"

#define CONFIG_READ_TRIES	16

int virtio_pci_map(const struct virtio_pci_transport *t)
{
	return paging_map_mmio(t->common.addr, t->common.length) ||
	       paging_map_mmio(t->notify.addr, t->notify.length) ||
	       paging_map_mmio(t->device.addr, t->device.length) ? -1 : 0;
}

uint8_t virtio_pci_status(const struct virtio_pci_transport *t)
{
	return vio_rd8(t->common.addr + COMMON_STATUS);
}

static void status_set(const struct virtio_pci_transport *t, uint8_t s)
{
	vio_wr8(t->common.addr + COMMON_STATUS, s);
}

/* §4.1.4.3.2: writing 0 resets; the driver waits for a read of 0. */
int virtio_pci_reset(const struct virtio_pci_transport *t, const char *name, uint64_t timeout_ms)
{
	uint64_t deadline = now_ns() + timeout_ms * 1000000;

	status_set(t, 0);
	while (virtio_pci_status(t) != 0) {
		if (now_ns() > deadline) {
			kprintf("virtio: %s: device_status still 0x%x %llu ms after reset, given up\n",
				name, virtio_pci_status(t), (unsigned long long)timeout_ms);
			return -1;
		}
		cpu_relax();
	}
	return 0;
}

static uint64_t features_read(const struct virtio_pci_transport *t)
{
	uint64_t f;

	vio_wr32(t->common.addr + COMMON_DFSELECT, 0);
	f = vio_rd32(t->common.addr + COMMON_DF);
	vio_wr32(t->common.addr + COMMON_DFSELECT, 1);
	return f | (uint64_t)vio_rd32(t->common.addr + COMMON_DF) << 32;
}

static void features_write(const struct virtio_pci_transport *t, uint64_t f)
{
	vio_wr32(t->common.addr + COMMON_GFSELECT, 0);
	vio_wr32(t->common.addr + COMMON_GF, (uint32_t)f);
	vio_wr32(t->common.addr + COMMON_GFSELECT, 1);
	vio_wr32(t->common.addr + COMMON_GF, (uint32_t)(f >> 32));
}

/* §3.1.1 steps 2-6: ACKNOWLEDGE, DRIVER, features, FEATURES_OK, re-read. */
int virtio_pci_negotiate(const struct virtio_pci_transport *t, const char *name, uint64_t wanted,
			 struct virtio_pci_handshake *h)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE;

	*h = (struct virtio_pci_handshake){ 0 };
	status_set(t, s);
	s |= VIRTIO_STATUS_DRIVER;
	status_set(t, s);
	h->offered = features_read(t);
	h->accepted = h->offered & wanted;
	if (!(h->accepted & VIRTIO_F_VERSION_1)) {
		h->why = "device does not offer VIRTIO_F_VERSION_1 (legacy only)";
	} else {
		features_write(t, h->accepted);
		status_set(t, s | VIRTIO_STATUS_FEATURES_OK);
		if (!(virtio_pci_status(t) & VIRTIO_STATUS_FEATURES_OK))
			h->why = "device cleared FEATURES_OK: accepted features refused";
	}
	if (h->why) {
		kprintf("virtio: %s: %s; marked FAILED\n", name, h->why);
		status_set(t, virtio_pci_status(t) | VIRTIO_STATUS_FAILED);
	}
	h->status = virtio_pci_status(t);
	return h->why ? -1 : 0;
}

int virtio_pci_read_config(const struct virtio_pci_transport *t, void *buf, uint32_t len)
{
	uint8_t *out = buf;

	if (len > t->device.length || (len & 3))
		return -1;
	for (uint32_t try = 0; try < CONFIG_READ_TRIES; try++) {
		uint8_t gen = vio_rd8(t->common.addr + COMMON_CFGGENERATION);

		for (uint32_t off = 0; off < len; off += 4) {
			uint32_t v = vio_rd32(t->device.addr + off);

			memcpy(out + off, &v, sizeof(v));
		}
		if (vio_rd8(t->common.addr + COMMON_CFGGENERATION) == gen)
			return 0;
	}
	return -1;
}

/* §3.1.1 step 8.  QEMU sets NEEDS_RESET (virtio_error()) when it finds
 * the device misused, e.g. a queue it cannot map. */
int virtio_pci_driver_ok(const struct virtio_pci_transport *t, const char *name)
{
	uint8_t s = virtio_pci_status(t);

	status_set(t, s | VIRTIO_STATUS_DRIVER_OK);
	s = virtio_pci_status(t);
	if (!(s & VIRTIO_STATUS_DRIVER_OK) || (s & VIRTIO_STATUS_NEEDS_RESET)) {
		kprintf("virtio: %s: DRIVER_OK not accepted (device_status 0x%x)\n", name, s);
		return -1;
	}
	return 0;
}
