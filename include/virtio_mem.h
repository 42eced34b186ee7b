/*
 * virtio-mem (virtio 1.2 §5.15).  Discovery: each virtio-mem PCI device
 * (0x1af4:0x1058) is found through ECAM, its features negotiated up to
 * FEATURES_OK, its configuration read and checked against the NUMA table
 * and the memory map, and reported (a line and a "virtio_mem" JSON
 * record).  Then, when the kernel starts it, queue 0 and DRIVER_OK, and
 * the plug / unplug / unplug-all / state requests of §5.15.6.
 * virtio/mem_check.c is pure (host tests); virtio/mem.c is the kernel
 * side, boot CPU only.  See docs/hotplug.md.
 */
#ifndef NUMABOOT_VIRTIO_MEM_H
#define NUMABOOT_VIRTIO_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"
#include "numa.h"
#include "virtio.h"

#define VIRTIO_ID_MEM		24
#define VIRTIO_MEM_F_ACPI_PXM	(1ull << 0)	/* §5.15.3: node_id is an ACPI PXM */
/* §5.15.3: the driver promises not to read unplugged memory (numaboot
 * never reads it: the identity mapping of a range stays after an unplug,
 * and is made before a plug, but nothing is allocated there unless it is
 * plugged and online); QEMU >= 7.0 on x86 refuses FEATURES_OK without it. */
#define VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE	(1ull << 1)
#define VIRTIO_MEM_MAX		8		/* devices kept */
#define VIRTIO_MEM_CONFIG_LEN	56		/* §5.15.4 struct virtio_mem_config */
#define VIRTIO_MEM_BLOCK_UNIT	(2ull << 20)	/* 2 MiB subsection: numaboot's smallest */
#define VIRTIO_MEM_TIMEOUT_MS	1000		/* reset wait */
#define VIRTIO_MEM_MAX_BLOCKS	0xffffu		/* §5.15.6: nb_blocks is a le16 */

/* §5.15.4 struct virtio_mem_config, decoded. */
struct virtio_mem_config {
	uint64_t block_size;
	uint16_t node_id;
	uint64_t addr;
	uint64_t region_size;
	uint64_t usable_region_size;
	uint64_t plugged_size;
	uint64_t requested_size;
};

/* Problems, one bit each; virtio_mem_problem_name() gives the report name. */
enum virtio_mem_problem {
	VMEM_NO_TRANSPORT	= 1u << 0,	/* a capability missing or unusable */
	VMEM_UNMAPPED		= 1u << 1,	/* its BAR could not be mapped */
	VMEM_RESET_TIMEOUT	= 1u << 2,
	VMEM_FEATURES		= 1u << 3,	/* no VERSION_1, or FEATURES_OK refused */
	VMEM_CONFIG_UNSTABLE	= 1u << 4,	/* config_generation never stable */
	VMEM_NODE_UNKNOWN	= 1u << 5,	/* node_id is no SRAT proximity domain */
	VMEM_OVERLAPS_RAM	= 1u << 6,	/* region overlaps the firmware memory map */
	VMEM_BLOCK_SIZE		= 1u << 7,	/* not a power of 2 multiple of 2 MiB */
	VMEM_REGION_ALIGN	= 1u << 8,	/* addr / sizes not multiples of block_size */
	VMEM_REQUEST_ABOVE	= 1u << 9,	/* requested or plugged above usable region */
	VMEM_NPROBLEMS		= 10,
};

struct virtio_mem_dev {
	char loc[16];			/* PCI address, SSSS:BB:DD.F */
	struct virtio_pci_transport tp;
	struct virtio_pci_handshake hs;
	struct virtio_mem_config cfg;	/* as last read and accepted */
	struct virtio_mem_config probed;	/* as the probe read and checked it: every
					 * re-read is checked against it */
	bool cfg_read;			/* cfg holds what the device said */
	bool cfg_broken;		/* a re-read broke a rule (reported): not served */
	uint32_t unstable_reads;	/* re-reads in a row never stable (0: the last was);
					 * boot CPU, virtio_mem_refresh() */
	uint64_t unstable_since_ns;	/* now_ns() at the first of them (same writer) */
	uint32_t node;			/* dense node id; NUMA_NO_NODE when unknown */
	uint32_t problems;		/* enum virtio_mem_problem bits */
	bool live;			/* DRIVER_OK set, queue 0 usable: plug/unplug work */
	struct virtq vq;		/* its request queue (queue 0, §5.15.2) */
	struct virtq_mem *vq_mem;	/* ring storage, one per device slot */
};

/* The "virtio_mem" record's buffer: 16 keys of at most 20-digit numbers
 * or 18-character hex strings and the 10 problem names come to under 700
 * bytes; an overflow would still be a valid error record (include/json.h). */
#define VIRTIO_MEM_JSON_MAX	1024

struct virtio_mem_set {
	uint32_t ndevs;
	bool overflow;			/* more than VIRTIO_MEM_MAX devices */
	struct virtio_mem_dev dev[VIRTIO_MEM_MAX];
	char json[VIRTIO_MEM_JSON_MAX];	/* the probe's records, one at a time (boot CPU) */
};

/* §5.15.6 requests and responses */
#define VIRTIO_MEM_REQ_PLUG		0
#define VIRTIO_MEM_REQ_UNPLUG		1
#define VIRTIO_MEM_REQ_UNPLUG_ALL	2
#define VIRTIO_MEM_REQ_STATE		3
#define VIRTIO_MEM_RESP_ACK		0
#define VIRTIO_MEM_RESP_NACK		1
#define VIRTIO_MEM_RESP_BUSY		2
#define VIRTIO_MEM_RESP_ERROR		3
#define VIRTIO_MEM_STATE_PLUGGED	0
#define VIRTIO_MEM_STATE_UNPLUGGED	1
#define VIRTIO_MEM_STATE_MIXED		2
#define VIRTIO_MEM_REQ_TIMEOUT_MS	5000	/* one request on the virtqueue */

/* §5.15.6 struct virtio_mem_req: the plug, unplug and state variants of
 * its union share one layout (addr, nb_blocks, padding[3]); UNPLUG_ALL
 * ignores it.  Little-endian (x86 writes it natively). */
struct virtio_mem_req {
	uint16_t type;
	uint16_t padding[3];
	uint64_t addr;
	uint16_t nb_blocks;
	uint16_t padding2[3];
};
/* §5.15.6 struct virtio_mem_resp: state is its union (STATE only). */
struct virtio_mem_resp {
	uint16_t type;
	uint16_t padding[3];
	uint16_t state;
};
_Static_assert(sizeof(struct virtio_mem_req) == 24 &&
	       offsetof(struct virtio_mem_req, addr) == 8 &&
	       offsetof(struct virtio_mem_req, nb_blocks) == 16,
	       "§5.15.6 virtio_mem_req: le16 type, le16 padding[3], le64 addr, le16 nb_blocks, "
	       "le16 padding[3]");
_Static_assert(sizeof(struct virtio_mem_resp) == 10 &&
	       offsetof(struct virtio_mem_resp, state) == 8,
	       "§5.15.6 virtio_mem_resp: le16 type, le16 padding[3], le16 state");

/* Decode the little-endian §5.15.4 layout in raw[VIRTIO_MEM_CONFIG_LEN]. */
void virtio_mem_config_decode(const uint8_t *raw, struct virtio_mem_config *c);

/* Check c against the NUMA table (node_id is an ACPI proximity domain: with
 * VIRTIO_MEM_F_ACPI_PXM by the spec, without it as QEMU uses it) and the
 * firmware memory map; set *node (NUMA_NO_NODE when unknown) and return
 * the problem bits, each reported with "virtio-mem <loc>: ...".  Pure. */
uint32_t virtio_mem_check(const struct virtio_mem_config *c, const char *loc,
			  const struct numa_topology *t, const struct boot_mem_range *mmap,
			  uint32_t nmmap, uint32_t *node);

/* Is [addr, addr + nb_blocks * block_size) a request the device can
 * take (§5.15.6.1: whole blocks, 0 < nb_blocks <= VIRTIO_MEM_MAX_BLOCKS,
 * inside the usable region)?  NULL, or why not (a sentence).  Pure. */
const char *virtio_mem_range_check(const struct virtio_mem_config *c, uint64_t addr,
				   uint64_t nb_blocks);

/* Does a re-read configuration c keep the rules of the one probed (p)?
 * block_size, node_id, addr and region_size are constant for a device
 * (§5.15.4); usable_region_size, requested_size and plugged_size must be
 * whole blocks within region_size, and requested and plugged within the
 * usable region.  NULL, or what broke (written into why).  Pure. */
const char *virtio_mem_config_recheck(const struct virtio_mem_config *p,
				      const struct virtio_mem_config *c, char *why, size_t len);
/* Take a re-read configuration c into d->cfg when it keeps the rules;
 * else report it ("virtio-mem <pci>: configuration re-read: <what>: device
 * no longer served"), set d->cfg_broken and leave d->cfg as it was (-1).
 * *changed: requested_size or plugged_size moved.  Any caller. */
int virtio_mem_config_update(struct virtio_mem_dev *d, const struct virtio_mem_config *c,
			     bool *changed);

/* The name of one problem bit ("node_unknown", ...). */
const char *virtio_mem_problem_name(uint32_t bit);

/* Kernel: find, negotiate, read, check and report every virtio-mem device
 * in scan into *out.  Boot CPU only, with no other CPU touching PCI. */
void virtio_mem_probe(const struct pci_scan *scan, const struct numa_topology *t,
		      const struct boot_info *bi, struct virtio_mem_set *out);

/*
 * Kernel, boot CPU only, on a device probe left without problems:
 * virtio_mem_start() renegotiates up to FEATURES_OK if the device was
 * reset since (a transport failure), re-reads the configuration, sets
 * queue 0 up and DRIVER_OK, and when the device says memory is plugged
 * already (plugged_size > 0: nothing numaboot knows of) sends UNPLUG_ALL;
 * d->live on success; prints "virtio-mem <pci>: live (queue 0, N
 * descriptors, ...)".  The requests (§5.15.6): addr and nb_blocks name
 * whole blocks of the usable region as d->cfg last read it (refresh
 * after a change), else the request is refused before sending (-1,
 * reported, the device still live); *resp gets the device's
 * VIRTIO_MEM_RESP_* (and *state, for STATE, its VIRTIO_MEM_STATE_*).
 * Each returns 0 when the device answered (whatever it answered), or -1
 * when the transport failed (timeout, bad used entry, short or unknown
 * response; reported naming the device): the device is then reset and no
 * longer live (*resp is then VIRTIO_MEM_RESP_ERROR).  Rings and buffers
 * are the slot's static DMA memory in virtio/mem.c (d->vq_mem, set by the
 * probe).
 * virtio_mem_refresh() re-reads the configuration and takes it through
 * virtio_mem_config_update() (0; -1 when never stable, or when it broke a
 * rule: then d->cfg_broken); *changed says whether requested_size or
 * plugged_size moved.  A spell of re-reads that are never stable is
 * reported when it starts ("configuration never stable on re-read") and
 * when it ends ("stable again after N unstable re-reads (M ms)"), not at
 * each re-read: the service re-reads every millisecond.
 * virtio_mem_restart(): virtio_mem_start() for a device numaboot has
 * served and that a transport failure reset: everything but the
 * UNPLUG_ALL (what is plugged is numaboot's to find out, with STATE).
 */
int virtio_mem_start(struct virtio_mem_dev *d);
int virtio_mem_restart(struct virtio_mem_dev *d);
int virtio_mem_plug(struct virtio_mem_dev *d, uint64_t addr, uint64_t nb_blocks, uint16_t *resp);
int virtio_mem_unplug(struct virtio_mem_dev *d, uint64_t addr, uint64_t nb_blocks,
		      uint16_t *resp);
int virtio_mem_unplug_all(struct virtio_mem_dev *d, uint16_t *resp);
int virtio_mem_state(struct virtio_mem_dev *d, uint64_t addr, uint64_t nb_blocks, uint16_t *resp,
		     uint16_t *state);
int virtio_mem_refresh(struct virtio_mem_dev *d, bool *changed);
/* The name of a VIRTIO_MEM_RESP_* ("ack", "nack", "busy", "error"). */
const char *virtio_mem_resp_name(uint16_t resp);

#endif
