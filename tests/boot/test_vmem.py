"""Issue 9, step 1 (docs/hotplug.md): virtio-mem devices found through the
MCFG's ECAM window, their features negotiated up to FEATURES_OK and their
configuration reported in one "virtio_mem" record each, matching what QEMU
was given; nothing plugged.  A boot without virtio-mem, on i440fx (no
PCI Express, so no MCFG), reports the missing table and passes as before;
a q35 boot without virtio-mem is every other boot test."""
from conftest import boot, explain
from qemu_run import Topology

GIB = 1 << 30
MIB = 1 << 20
VERSION_1 = 1 << 32
ACPI_PXM = 1 << 0
FEATURES_OK_STATUS = 0x1 | 0x2 | 0x8   # ACKNOWLEDGE | DRIVER | FEATURES_OK


def test_vmem_two_devices():
    """Node 1: region 1 GiB, 512 MiB requested; node 0: 512 MiB, none
    requested.  Each record names its node, region and block size, the
    request, VERSION_1 and ACPI_PXM accepted, status stopped at
    FEATURES_OK, no problem; regions above RAM, disjoint."""
    vmem = [(1, 1, 0.5), (0, 0.5, 0)]
    topo = Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5], vmem=vmem)
    r = boot(topo, 'bw_mb=0')
    assert r.status == 'ok', explain(r)
    recs = r.kind('virtio_mem')
    assert len(recs) == 2, explain(r)
    ram_top = int(r.one('memmap')['ram_top'], 16)
    got = sorted((d['node'], d['region_size'], d['requested_size']) for d in recs)
    want = sorted((n, int(mx * GIB), int(init * GIB)) for n, mx, init in vmem)
    assert got == want, recs
    regions = []
    for d in recs:
        assert d['problems'] == [], d
        assert d['config_read'] and d['node_id'] == d['node'], d
        assert d['block_size'] == 2 * MIB, d
        assert d['plugged_size'] == 0, d
        assert d['requested_size'] <= d['usable_region_size'] <= d['region_size'], d
        feats = int(d['features'], 16)
        assert feats & VERSION_1 and feats & ACPI_PXM, d
        assert feats & ~int(d['features_offered'], 16) == 0, d
        assert int(d['status'], 16) == FEATURES_OK_STATUS, d
        start = int(d['region_start'], 16)
        assert start % d['block_size'] == 0 and start >= ram_top, (d, hex(ram_top))
        regions.append((start, start + d['region_size']))
    regions.sort()
    assert regions[0][1] <= regions[1][0], regions
    assert 'virtio-mem: 2 device(s)' in r.output


def test_no_vmem_no_mcfg():
    """i440fx, no virtio-mem: the missing MCFG is reported, no record, boot ok."""
    r = boot(Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5], machine='pc'), 'bw_mb=0')
    assert r.status == 'ok', explain(r)
    assert r.kind('virtio_mem') == []
    assert 'pci: no usable MCFG (ECAM) table: PCI devices not enumerated' in r.output, explain(r)
