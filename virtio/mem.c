/*
 * virtio-mem, kernel side (virtio 1.2 §5.15; docs/hotplug.md).  Probe: for
 * each virtio-mem PCI function, locate its structures, reset it, negotiate
 * VIRTIO_F_VERSION_1, VIRTIO_MEM_F_ACPI_PXM and _UNPLUGGED_INACCESSIBLE up
 * to FEATURES_OK, read its configuration, check it and report; a device
 * with a problem is reset again (left alone).  Start, on the kernel's
 * word: queue 0 (§5.15.2) and DRIVER_OK.  Requests (§5.15.6): plug,
 * unplug, unplug all, state, one at a time on queue 0, polled.  Boot CPU
 * only, no other CPU touching PCI.
 */
#include "json.h"
#include "kassert.h"
#include "kprintf.h"
#include "tsc.h"
#include "virtio_mem.h"
#include "internal.h"

#define VMEM_WANTED	(VIRTIO_F_VERSION_1 | VIRTIO_MEM_F_ACPI_PXM | \
			 VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)

/*
 * DMA memory, not run state: the rings and the request / response buffers
 * of device slot i (virtio_mem_set.dev[i]), which the device reads and
 * writes by physical address.  They must stay put for as long as the
 * device may use them and be identity mapped, which a static object of the
 * image is (virtio/virtqueue.c); a struct virtio_mem_dev only points here.
 */
static struct virtq_mem vmem_rings[VIRTIO_MEM_MAX];
static struct vmem_bufs {
	struct virtio_mem_req req;
	struct virtio_mem_resp resp;
} vmem_bufs[VIRTIO_MEM_MAX];

/* Transport, reset, features: the problem bit that stopped it, or 0. */
static uint32_t vmem_bring_up(const struct pci_func *f, struct virtio_mem_dev *d)
{
	char why[96];

	if (virtio_pci_find_caps(f, &d->tp, why, sizeof(why))) {
		kprintf("virtio-mem %s: %s: device left alone\n", d->loc, why);
		return VMEM_NO_TRANSPORT;
	}
	if (virtio_pci_map(&d->tp)) {
		kprintf("virtio-mem %s: BAR%u at 0x%llx cannot be mapped: device left alone\n",
			d->loc, d->tp.common.bar, (unsigned long long)d->tp.common.addr);
		return VMEM_UNMAPPED;
	}
	if (virtio_pci_reset(&d->tp, d->loc, VIRTIO_MEM_TIMEOUT_MS)) {
		d->hs.status = virtio_pci_status(&d->tp);
		return VMEM_RESET_TIMEOUT;
	}
	if (virtio_pci_negotiate(&d->tp, d->loc, VMEM_WANTED, &d->hs))
		return VMEM_FEATURES;
	return 0;
}

static void vmem_probe_one(const struct pci_func *f, const struct numa_topology *t,
			   const struct boot_info *bi, struct virtio_mem_dev *d)
{
	uint8_t raw[VIRTIO_MEM_CONFIG_LEN];

	pci_func_name(f, d->loc, sizeof(d->loc));
	d->node = NUMA_NO_NODE;
	d->problems = vmem_bring_up(f, d);
	if (d->problems)
		return;
	if (virtio_pci_read_config(&d->tp, raw, sizeof(raw))) {
		kprintf("virtio-mem %s: configuration (%u bytes) unreadable or never stable: "
			"device left alone\n", d->loc, d->tp.device.length);
		d->problems = VMEM_CONFIG_UNSTABLE;
	} else {
		virtio_mem_config_decode(raw, &d->cfg);
		d->probed = d->cfg;
		d->cfg_read = true;
		d->problems = virtio_mem_check(&d->cfg, d->loc, t, bi->mmap, bi->mmap_count,
					       &d->node);
	}
	if (d->problems) {
		virtio_pci_reset(&d->tp, d->loc, VIRTIO_MEM_TIMEOUT_MS);
		d->hs.status = virtio_pci_status(&d->tp);
	}
}

static void vmem_report(const struct virtio_mem_dev *d, char *buf, size_t size)
{
	const struct virtio_mem_config *c = &d->cfg;
	struct json j;

	kprintf("virtio-mem %s: node %d, region [0x%llx, +%llu MiB), block %llu MiB, plugged "
		"%llu MiB, requested %llu MiB, features 0x%llx, status 0x%x: %s\n", d->loc,
		d->node == NUMA_NO_NODE ? -1 : (int)d->node, (unsigned long long)c->addr,
		(unsigned long long)(c->region_size >> 20), (unsigned long long)(c->block_size >> 20),
		(unsigned long long)(c->plugged_size >> 20),
		(unsigned long long)(c->requested_size >> 20),
		(unsigned long long)d->hs.accepted, d->hs.status,
		d->problems ? "left alone" : "discovered (served with serve_s=N)");
	json_begin(&j, buf, size, "virtio_mem");
	json_str(&j, "pci", d->loc);
	if (d->node == NUMA_NO_NODE)
		json_null(&j, "node");
	else
		json_u64(&j, "node", d->node);
	json_bool(&j, "config_read", d->cfg_read);
	json_u64(&j, "node_id", c->node_id);
	json_hex(&j, "region_start", c->addr);
	json_u64(&j, "region_size", c->region_size);
	json_u64(&j, "usable_region_size", c->usable_region_size);
	json_u64(&j, "block_size", c->block_size);
	json_u64(&j, "plugged_size", c->plugged_size);
	json_u64(&j, "requested_size", c->requested_size);
	json_hex(&j, "features_offered", d->hs.offered);
	json_hex(&j, "features", d->hs.accepted);
	json_hex(&j, "status", d->hs.status);
	json_arr_begin(&j, "problems");
	for (uint32_t b = 0; b < VMEM_NPROBLEMS; b++)
		if (d->problems & 1u << b)
			json_str(&j, NULL, virtio_mem_problem_name(1u << b));
	json_arr_end(&j);
	json_emit(&j);
}

void virtio_mem_probe(const struct pci_scan *scan, const struct numa_topology *t,
		      const struct boot_info *bi, struct virtio_mem_set *out)
{
	*out = (struct virtio_mem_set){ 0 };
	for (uint32_t i = 0; i < scan->nfuncs; i++) {
		const struct pci_func *f = &scan->funcs[i];

		if (!virtio_pci_is(f, VIRTIO_ID_MEM))
			continue;
		if (out->ndevs == VIRTIO_MEM_MAX) {
			out->overflow = true;
			kprintf("virtio-mem: more than %u devices; the rest left alone\n",
				VIRTIO_MEM_MAX);
			break;
		}
		out->dev[out->ndevs].vq_mem = &vmem_rings[out->ndevs];
		vmem_probe_one(f, t, bi, &out->dev[out->ndevs]);
		vmem_report(&out->dev[out->ndevs++], out->json, sizeof(out->json));
	}
	if (scan->present)
		kprintf("virtio-mem: %u device(s)\n", out->ndevs);
}

/* A transport failure: reported naming the device, which is reset (it may
 * still hold a chain of ours) and no longer live. */
static int vmem_fail(struct virtio_mem_dev *d, const char *what, const char *why)
{
	kprintf("virtio-mem %s: %s: %s (device_status 0x%x); device reset, not live\n", d->loc,
		what, why, virtio_pci_status(&d->tp));
	d->live = false;
	d->vq.failed = true;
	virtio_pci_reset(&d->tp, d->loc, VIRTIO_MEM_TIMEOUT_MS);
	d->hs.status = virtio_pci_status(&d->tp);
	return -1;
}

static const char *const vmem_req_names[] = { "plug", "unplug", "unplug_all", "state" };

/* One §5.15.6 request and its response into *out; see virtio_mem.h. */
static int vmem_request(struct virtio_mem_dev *d, uint16_t type, uint64_t addr,
			uint64_t nb_blocks, struct virtio_mem_resp *out)
{
	struct vmem_bufs *b;
	uint32_t need = type == VIRTIO_MEM_REQ_STATE ? sizeof(b->resp) : sizeof(b->resp.type);
	uint32_t written = 0;
	const char *why;

	if (!d->live) {
		kprintf("virtio-mem %s: %s request refused: device not live\n", d->loc,
			vmem_req_names[type]);
		return -1;
	}
	kassert(d->vq_mem >= vmem_rings && d->vq_mem < vmem_rings + VIRTIO_MEM_MAX);
	b = &vmem_bufs[d->vq_mem - vmem_rings];
	kassert(nb_blocks <= VIRTIO_MEM_MAX_BLOCKS);	/* vmem_ranged() checked it */
	b->req = (struct virtio_mem_req){ .type = type, .addr = addr,
					  .nb_blocks = (uint16_t)nb_blocks };
	b->resp = (struct virtio_mem_resp){ .type = 0xffff, .state = 0xffff };
	if (virtq_request(&d->vq, &b->req, sizeof(b->req), &b->resp, sizeof(b->resp), &written,
			  VIRTIO_MEM_REQ_TIMEOUT_MS, &why))
		return vmem_fail(d, vmem_req_names[type], why);
	if (written < need)
		return vmem_fail(d, vmem_req_names[type], "response shorter than §5.15.6's");
	if (b->resp.type > VIRTIO_MEM_RESP_ERROR)
		return vmem_fail(d, vmem_req_names[type], "response type unknown to §5.15.6");
	if (type == VIRTIO_MEM_REQ_STATE && b->resp.type == VIRTIO_MEM_RESP_ACK &&
	    b->resp.state > VIRTIO_MEM_STATE_MIXED)
		return vmem_fail(d, vmem_req_names[type], "state unknown to §5.15.6");
	*out = b->resp;
	return 0;
}

/* A ranged request: refused here, by name, when the device could not take
 * it (no transport failure: the device stays live). */
static int vmem_ranged(struct virtio_mem_dev *d, uint16_t type, uint64_t addr,
		       uint64_t nb_blocks, struct virtio_mem_resp *out)
{
	const char *why = virtio_mem_range_check(&d->cfg, addr, nb_blocks);

	if (why) {
		kprintf("virtio-mem %s: %s [0x%llx, %llu blocks) refused: %s\n", d->loc,
			vmem_req_names[type], (unsigned long long)addr,
			(unsigned long long)nb_blocks, why);
		return -1;
	}
	return vmem_request(d, type, addr, nb_blocks, out);
}

int virtio_mem_plug(struct virtio_mem_dev *d, uint64_t addr, uint64_t nb_blocks, uint16_t *resp)
{
	struct virtio_mem_resp r;
	int ret = vmem_ranged(d, VIRTIO_MEM_REQ_PLUG, addr, nb_blocks, &r);

	*resp = ret ? VIRTIO_MEM_RESP_ERROR : r.type;
	return ret;
}

int virtio_mem_unplug(struct virtio_mem_dev *d, uint64_t addr, uint64_t nb_blocks,
		      uint16_t *resp)
{
	struct virtio_mem_resp r;
	int ret = vmem_ranged(d, VIRTIO_MEM_REQ_UNPLUG, addr, nb_blocks, &r);

	*resp = ret ? VIRTIO_MEM_RESP_ERROR : r.type;
	return ret;
}

int virtio_mem_unplug_all(struct virtio_mem_dev *d, uint16_t *resp)
{
	struct virtio_mem_resp r;
	int ret = vmem_request(d, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, &r);

	*resp = ret ? VIRTIO_MEM_RESP_ERROR : r.type;
	return ret;
}

int virtio_mem_state(struct virtio_mem_dev *d, uint64_t addr, uint64_t nb_blocks, uint16_t *resp,
		     uint16_t *state)
{
	struct virtio_mem_resp r;
	int ret = vmem_ranged(d, VIRTIO_MEM_REQ_STATE, addr, nb_blocks, &r);

	*resp = ret ? VIRTIO_MEM_RESP_ERROR : r.type;
	*state = ret ? VIRTIO_MEM_STATE_MIXED : r.state;
	return ret;
}

/* Count a re-read that was (stable) or was not stable, reporting only the
 * start and the end of a spell of unstable ones: the service polls every
 * millisecond and would otherwise print a line each time. */
static void vmem_note_stability(struct virtio_mem_dev *d, bool stable)
{
	if (!stable) {
		if (!d->unstable_reads++) {
			d->unstable_since_ns = now_ns();
			kprintf("virtio-mem %s: configuration never stable on re-read; re-read at each "
				"poll, reported again when stable\n", d->loc);
		}
		return;
	}
	if (d->unstable_reads)
		kprintf("virtio-mem %s: configuration stable again after %u unstable re-reads "
			"(%llu ms)\n", d->loc, d->unstable_reads,
			(unsigned long long)((now_ns() - d->unstable_since_ns) / 1000000));
	d->unstable_reads = 0;
}

int virtio_mem_refresh(struct virtio_mem_dev *d, bool *changed)
{
	uint8_t raw[VIRTIO_MEM_CONFIG_LEN];
	struct virtio_mem_config c;
	bool stable = !virtio_pci_read_config(&d->tp, raw, sizeof(raw));

	*changed = false;
	vmem_note_stability(d, stable);
	if (!stable)
		return -1;
	virtio_mem_config_decode(raw, &c);
	return virtio_mem_config_update(d, &c, changed);
}

/* Memory plugged before numaboot ran (a reboot without a device reset):
 * nothing numaboot knows of, so give it back (§5.15.5: UNPLUG_ALL). */
static void vmem_unplug_leftovers(struct virtio_mem_dev *d)
{
	uint64_t before = d->cfg.plugged_size;
	uint16_t resp;
	bool changed;

	if (virtio_mem_unplug_all(d, &resp) || virtio_mem_refresh(d, &changed))
		return;
	kprintf("virtio-mem %s: %llu MiB plugged at start, UNPLUG_ALL: %s, now %llu MiB plugged\n",
		d->loc, (unsigned long long)(before >> 20), virtio_mem_resp_name(resp),
		(unsigned long long)(d->cfg.plugged_size >> 20));
}

/* Back to FEATURES_OK when the device is not there any more (it was reset
 * after a transport failure): reset and negotiate again (§3.1.1). */
static int vmem_renegotiate(struct virtio_mem_dev *d)
{
	const uint8_t ready = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			      VIRTIO_STATUS_FEATURES_OK;

	if (virtio_pci_status(&d->tp) == ready)
		return 0;
	if (virtio_pci_reset(&d->tp, d->loc, VIRTIO_MEM_TIMEOUT_MS) ||
	    virtio_pci_negotiate(&d->tp, d->loc, VMEM_WANTED, &d->hs))
		return -1;
	return 0;
}

/* Queue 0 and DRIVER_OK on a device probe left without problems. */
static int vmem_go_live(struct virtio_mem_dev *d)
{
	const char *why;
	bool changed;

	kassert(d->vq_mem >= vmem_rings && d->vq_mem < vmem_rings + VIRTIO_MEM_MAX);
	if (d->problems || !d->cfg_read || d->live || d->cfg_broken) {
		kprintf("virtio-mem %s: not started: %s\n", d->loc,
			d->live ? "already live" : d->cfg_broken ? "its configuration broke a rule" :
			"probe left it alone");
		return -1;
	}
	if (vmem_renegotiate(d))
		return vmem_fail(d, "start", "features not renegotiated");
	/* What is plugged now, not at probe time. */
	if (virtio_mem_refresh(d, &changed))
		return vmem_fail(d, "start", "configuration unreadable or broken");
	if (virtq_setup(&d->tp, 0, &d->vq, d->vq_mem, &why))
		return vmem_fail(d, "queue 0", why);
	if (virtio_pci_driver_ok(&d->tp, d->loc))
		return vmem_fail(d, "DRIVER_OK", "refused");
	d->live = true;
	d->hs.status = virtio_pci_status(&d->tp);
	kprintf("virtio-mem %s: live (queue 0, %u descriptors, status 0x%x)\n", d->loc,
		d->vq.size, d->hs.status);
	return 0;
}

int virtio_mem_start(struct virtio_mem_dev *d)
{
	if (vmem_go_live(d))
		return -1;
	if (d->cfg.plugged_size)
		vmem_unplug_leftovers(d);
	return d->live ? 0 : -1;
}

int virtio_mem_restart(struct virtio_mem_dev *d)
{
	return vmem_go_live(d);
}
