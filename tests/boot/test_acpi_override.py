"""ACPI table override from the boot disk (docs/acpi.md, "Table override
from the boot disk"; issue 16): tables in the image's EFI/BOOT/acpi/ folder
(tools/qemu_run.py --acpi-override) replace QEMU's of the same signature,
checked like firmware tables and reported as overridden.

Machines: 2 nodes x 1 CPU, 2 GiB each (q35 -m 4G: RAM [0, 2G) and
[4G, 6G)); the NFIT cases add one 1 GiB NVDIMM on node 1.  Tables are made
by tests/data/gen_tables.py: an SRAT that puts a node boundary inside a
128 MiB section, one whose nodes interleave, NFITs with a bad checksum
(which QEMU's -acpitable would fix up) and with an SPA range that wraps
past 2^64."""
import os
import sys

import pytest

import qemu_run
from conftest import MODES, ROOT, explain
from qemu_run import Topology

sys.path.insert(0, os.path.join(ROOT, 'tests', 'data'))
import gen_tables  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20
SPLIT = GIB + 64 * MIB          # inside the 128 MiB section [1G, 1G+128M)
TWO_NODES = dict(nodes=2, cpus=1, mem_gib=[2, 2])
# QEMU puts the first NVDIMM at the start of the device-memory window: 4 GiB
# when all RAM (here 2 GiB) lies below 4 GiB.
NVDIMM_BASE = 4 * GIB


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def boot_with(tmp_path, topo, opts, tables):
    """tables: {file name: bytes}; boot once with them in EFI/BOOT/acpi/."""
    files = [write(tmp_path, name, data) for name, data in tables.items()]
    return qemu_run.run(topo, opts, timeout=600, acpi_override=files)


def override_record(r, name, size):
    rec = r.one('acpi_override')
    assert rec['files'] == 1 and rec['beyond_limit'] == 0, rec
    (t,) = rec['tables']
    assert t['file'] == name and t['length'] == size, rec
    return t


def in_ranges(ranges, allowed):
    """Every [start, end) of ranges (hex strings) lies inside one allowed range."""
    return all(any(a <= int(s, 16) and int(e, 16) <= b for a, b in allowed) for s, e in ranges)


def expect_srat_boot(r, name, size, node_spans):
    """The SRAT was replaced, each node's memory lies in its override ranges
    and reaches their ends where RAM is, and every mode verified with
    equal checksums."""
    assert r.status == 'ok', explain(r)
    t = override_record(r, name, size)
    assert (t['signature'], t['status'], t['firmware_tables']) == ('SRAT', 'replaced', 1), t
    assert f"acpi: override {name}: SRAT, {size} bytes, replaces the firmware's SRAT\n" in r.output
    assert 'overridden by ' + name in r.output
    topo = r.one('topology')
    assert topo['source'] == 'srat', explain(r)
    nodes = {n['id']: n for n in topo['nodes']}
    assert sorted(nodes) == [0, 1]
    for n, spans in node_spans.items():
        assert in_ranges(nodes[n]['ranges'], spans), (n, nodes[n]['ranges'], spans)
        starts = {int(s, 16) for s, _ in nodes[n]['ranges']}
        ends = {int(e, 16) for _, e in nodes[n]['ranges']}
        assert SPLIT in starts | ends, (n, nodes[n]['ranges'])   # the boundary in the section
    summaries = r.kind('meminit_summary')
    assert len(summaries) == len(MODES), explain(r)
    assert all(s['verified'] and s['checksums_equal'] for s in summaries), summaries
    per_node = {}
    for m in r.kind('meminit'):
        assert m['verified'], m
        per_node.setdefault(m['node'], set()).add(m['checksum'])
    assert sorted(per_node) == [0, 1] and all(len(c) == 1 for c in per_node.values()), per_node


def test_srat_boundary_inside_a_section(tmp_path):
    """Node 0 [0, 1G+64M); node 1 the rest of low RAM and all high RAM."""
    spans = {0: [(0, SPLIT)], 1: [(SPLIT, 2 * GIB), (4 * GIB, 6 * GIB)]}
    srat = gen_tables.srat_bin(gen_tables.qemu_cpus(2, 1),
                               [(0, SPLIT, 0), (SPLIT, 2 * GIB - SPLIT, 1), (4 * GIB, 2 * GIB, 1)])
    r = boot_with(tmp_path, Topology(**TWO_NODES), 'meminit=all', {'srat_split.aml': srat})
    expect_srat_boot(r, 'srat_split.aml', len(srat), spans)
    nodes = {n['id']: n for n in r.one('topology')['nodes']}
    assert ['0x100000000', '0x180000000'] in nodes[1]['ranges']
    assert nodes[0]['bytes'] < SPLIT and nodes[1]['bytes'] > 2 * GIB


def test_srat_interleaved_nodes(tmp_path):
    """Node 0 [0, 1G+64M) + [5G, 6G) around node 1 [1G+64M, 2G) + [4G, 5G):
    the hulls overlap; every struct page must still be written by its own
    node only (issue 16 item 1)."""
    spans = {0: [(0, SPLIT), (5 * GIB, 6 * GIB)], 1: [(SPLIT, 2 * GIB), (4 * GIB, 5 * GIB)]}
    srat = gen_tables.srat_bin(gen_tables.qemu_cpus(2, 1),
                               [(0, SPLIT, 0), (SPLIT, 2 * GIB - SPLIT, 1), (4 * GIB, GIB, 1),
                                (5 * GIB, GIB, 0)])
    r = boot_with(tmp_path, Topology(**TWO_NODES), 'meminit=all', {'srat_interleaved.aml': srat})
    expect_srat_boot(r, 'srat_interleaved.aml', len(srat), spans)


PMEM_TOPO = dict(nodes=2, cpus=1, mem_gib=[1, 1], pmem=[(1, 1)])


def expect_firmware_nvdimm(topo):
    assert [(p['node'], p['start'], p['bytes'], p['source']) for p in topo['pmem']] == \
        [(1, hex(NVDIMM_BASE), GIB, 'nfit')], topo['pmem']


def test_nfit_bad_checksum_rejected(tmp_path):
    """A bad checksum is refused by the firmware-table check, by name; the
    firmware's NFIT is used and the boot goes on as without the file."""
    nfit = gen_tables.nfit_bin([(1, 1, NVDIMM_BASE, GIB)], bad_checksum=True)
    r = boot_with(tmp_path, Topology(**PMEM_TOPO), '', {'nfit_badsum.aml': nfit})
    assert r.status == 'ok', explain(r)
    t = override_record(r, 'nfit_badsum.aml', len(nfit))
    assert (t['signature'], t['status'], t['why'], t['firmware_tables']) == \
        ('NFIT', 'rejected', 'bad checksum', 1), t
    assert 'acpi: NFIT: bad checksum, ignored\n' in r.output
    assert (f'acpi: override nfit_badsum.aml: NFIT, {len(nfit)} bytes, REJECTED (bad checksum); '
            "the firmware's NFIT is used\n") in r.output
    assert 'overridden by' not in r.output
    topo = r.one('topology')
    expect_firmware_nvdimm(topo)
    assert topo['pmem_skipped'] == 0


def test_nfit_wrapping_range(tmp_path):
    """An NFIT whose second SPA range [8G, 8G + 2^64 - 4G) wraps past 2^64
    (to 4G): it replaces QEMU's, the wrapped range is skipped by name, the
    good one kept, the boot ends ok (issue 16 item 2's ranges, in a boot)."""
    nfit = gen_tables.nfit_bin([(1, 1, NVDIMM_BASE, GIB), (2, 1, 8 * GIB, -4 * GIB)])
    r = boot_with(tmp_path, Topology(**PMEM_TOPO), '', {'nfit_wrap.aml': nfit})
    assert r.status == 'ok', explain(r)
    t = override_record(r, 'nfit_wrap.aml', len(nfit))
    assert (t['signature'], t['status']) == ('NFIT', 'replaced'), t
    assert ('numa: NFIT SPA range 2 [0x200000000, 0xffffffffffffffff) lies beyond the 46-bit '
            'physical address limit: skipped') in r.output
    topo = r.one('topology')
    expect_firmware_nvdimm(topo)
    assert topo['pmem_skipped'] == 1
