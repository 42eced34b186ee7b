/*
 * virtio modern PCI capabilities (virtio 1.2 §4.1.4): vendor-specific
 * capabilities (id 0x09) whose cfg_type says which configuration
 * structure they locate.  Pure, over a struct pci_func snapshot: every
 * capability is bounds-checked against the snapshot.  Any caller.
 */
#include "kprintf.h"
#include "virtio.h"

/* §4.1.4 struct virtio_pci_cap field offsets */
#define CAP_LEN		2
#define CAP_CFG_TYPE	3
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_SIZE	16
#define NOTIFY_MULT	16	/* struct virtio_pci_notify_cap */
#define NOTIFY_CAP_SIZE	20

static struct virtio_pci_region *slot(struct virtio_pci_transport *t, uint8_t type)
{
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG: return &t->common;
	case VIRTIO_PCI_CAP_NOTIFY_CFG: return &t->notify;
	case VIRTIO_PCI_CAP_DEVICE_CFG: return &t->device;
	default: return NULL;
	}
}

/* The region one capability at off describes, or false if unusable. */
static bool cap_region(const struct pci_func *f, uint32_t off, struct virtio_pci_region *r)
{
	const uint8_t *c = f->cfg + off;
	uint8_t bar;

	if (off + CAP_SIZE > sizeof(f->cfg) || c[CAP_LEN] < CAP_SIZE ||
	    off + c[CAP_LEN] > sizeof(f->cfg))
		return false;
	bar = c[CAP_BAR];
	if (bar >= PCI_NBARS || f->bar[bar].io || f->bar[bar].base == 0)
		return false;
	*r = (struct virtio_pci_region){
		.present = true, .bar = bar, .offset = pci_cfg32(c, CAP_OFFSET),
		.length = pci_cfg32(c, CAP_LENGTH),
	};
	r->addr = f->bar[bar].base + r->offset;
	return r->length != 0 && r->addr >= f->bar[bar].base &&
	       r->addr + r->length > r->addr;
}

static void take_cap(const struct pci_func *f, uint32_t off, struct virtio_pci_transport *t)
{
	struct virtio_pci_region r, *s = slot(t, f->cfg[off + CAP_CFG_TYPE]);

	if (!s || s->present || !cap_region(f, off, &r))
		return;
	if (s == &t->notify) {
		if (f->cfg[off + CAP_LEN] < NOTIFY_CAP_SIZE)
			return;
		t->notify_off_multiplier = pci_cfg32(f->cfg, off + NOTIFY_MULT);
	}
	if (s == &t->common && r.length < VIRTIO_PCI_COMMON_CFG_MIN)
		return;
	*s = r;
}

int virtio_pci_find_caps(const struct pci_func *f, struct virtio_pci_transport *t, char *why,
			 size_t why_size)
{
	*t = (struct virtio_pci_transport){ 0 };
	if (!(pci_cfg16(f->cfg, PCI_COMMAND) & PCI_COMMAND_MEMORY)) {
		ksnprintf(why, why_size, "memory decoding off in the command register "
			  "(the firmware did not enable it)");
		return -1;
	}
	for (uint32_t i = 0; i < f->ncaps; i++)
		if (f->caps[i].id == PCI_CAP_ID_VENDOR && (size_t)f->caps[i].off + CAP_SIZE <= sizeof(f->cfg))
			take_cap(f, f->caps[i].off, t);
	if (t->common.present && t->notify.present && t->device.present)
		return 0;
	ksnprintf(why, why_size, "no usable virtio %s capability (modern transport)",
		  !t->common.present ? "common configuration" :
		  !t->notify.present ? "notification" : "device configuration");
	return -1;
}
