/*
 * virtio-mem discovery (virtio 1.2 §5.15, step 1 of docs/hotplug.md): for
 * each virtio-mem PCI function, locate its structures, reset it, negotiate
 * VIRTIO_F_VERSION_1, VIRTIO_MEM_F_ACPI_PXM and _UNPLUGGED_INACCESSIBLE up
 * to FEATURES_OK, read its
 * configuration, check it and report.  The device is not driven further:
 * no virtqueue, no DRIVER_OK, nothing plugged.  A device with a problem is
 * reset again (left alone).  Boot CPU only, no other CPU touching PCI.
 */
#include "json.h"
#include "kprintf.h"
#include "report.h"
#include "virtio_mem.h"

#define VMEM_WANTED	(VIRTIO_F_VERSION_1 | VIRTIO_MEM_F_ACPI_PXM | \
			 VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)

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
		d->cfg_read = true;
		d->problems = virtio_mem_check(&d->cfg, d->loc, t, bi->mmap, bi->mmap_count,
					       &d->node);
	}
	if (d->problems) {
		virtio_pci_reset(&d->tp, d->loc, VIRTIO_MEM_TIMEOUT_MS);
		d->hs.status = virtio_pci_status(&d->tp);
	}
}

static void vmem_report(const struct virtio_mem_dev *d)
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
		d->problems ? "left alone" : "discovered (plugging not implemented yet)");
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "virtio_mem");
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
		vmem_probe_one(f, t, bi, &out->dev[out->ndevs]);
		vmem_report(&out->dev[out->ndevs++]);
	}
	if (scan->present)
		kprintf("virtio-mem: %u device(s)\n", out->ndevs);
}
