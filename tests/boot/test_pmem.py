"""Issue 8 (sources): persistent memory found in QEMU's NFIT and SRAT and
placed on its nodes in the topology record; a broken NFIT given with
-acpitable is reported range by range and the boot goes on.

Detection: which node each device is on, its size, the nodes that exist
because of it.  Initialization: every mode initializes each device through
its node's worker set with equal checksums, with the memmap in DRAM or on
the device and with 4 KiB, 2 MiB or 1 GiB compound pages.

A bad NFIT checksum cannot be tested by booting: QEMU recomputes the
checksum of every -acpitable table and OVMF's table installer does too
(docs/acpi.md); tests/unit/test_pmem.c covers it."""
import struct
import uuid

import pytest

from conftest import MODES, boot, explain
from qemu_run import Topology

GIB = 1 << 30
MIB = 1 << 20
PMEM_GUID = uuid.UUID('66F0D379-B4F3-4074-AC43-0D3318B78CDB').bytes_le
DOMAIN_VALID = 2


def spa(index, domain, base, length, size=56):
    """NFIT SPA range structure (ACPI 6.5 §5.2.26.2); size < 56 truncates it."""
    b = struct.pack('<HHHHII', 0, size, index, DOMAIN_VALID, 0, domain) + PMEM_GUID + \
        struct.pack('<QQQ', base, length, 0x8008)
    return b[:size]


def nfit(structs):
    body = b''.join(structs)
    t = bytearray(b'NFIT' + struct.pack('<I', 40 + len(body)) + bytes([1, 0]) + b'NUMABT' +
                  b'TESTNFIT' + struct.pack('<I', 1) + b'INTL' + struct.pack('<I', 0) + bytes(4) + body)
    t[9] = -sum(t) & 0xFF
    return bytes(t)


def test_pmem_per_node():
    """Node 0: CPU, DRAM, one device; node 1: CPU, DRAM, two devices;
    node 2: CPU, no DRAM (memory-less), one device; node 3: no CPU, no
    DRAM, one device (CPU-less, initialized by another node)."""
    pmem = [(0, 0.25), (1, 0.25), (1, 0.5), (2, 0.25), (3, 0.25)]
    topo = Topology(nodes=4, cpus=1, mem_gib=[0.5, 0.5, 0, 0], cpuless=(3,), pmem=pmem)
    r = boot(topo, 'meminit=all bw_mb=0', timeout=900)
    assert r.status == 'ok', explain(r)
    t = r.one('topology')
    assert t['source'] == 'srat', explain(r)
    nodes = {n['id']: n for n in t['nodes']}
    assert sorted(nodes) == [0, 1, 2, 3]
    assert t['pmem_skipped'] == 0
    got = [(p['node'], p['bytes'], p['source']) for p in t['pmem']]
    assert got == [(n, int(g * GIB), 'nfit') for n, g in pmem], t['pmem']
    starts = [int(p['start'], 16) for p in t['pmem']]
    assert starts == sorted(starts) and all(s % (2 * MIB) == 0 for s in starts)
    for n in range(4):
        want = sum(int(g * GIB) for node, g in pmem if node == n)
        assert nodes[n]['pmem_bytes'] == want, (n, nodes[n])
        assert nodes[n]['pmem'] == [p['id'] for p in t['pmem'] if p['node'] == n]
    assert nodes[2]['memless'] and nodes[2]['bytes'] == 0 and nodes[2]['helps'] is not None
    assert nodes[3]['cpuless'] and nodes[3]['bytes'] == 0 and nodes[3]['init_by'] in (0, 1, 2)
    assert 'numa: node 3 has only persistent memory but no CPUs' in r.output
    assert 'node 1 pmem: 768 MB in 2 ranges' in r.output
    summaries = r.kind('meminit_summary')
    assert len(summaries) == len(MODES) and all(s['verified'] and s['checksums_equal'] for s in summaries)
    node_of = {c['cpu']: c['node'] for c in r.one('smp')['cpus']}
    for m in r.kind('meminit'):
        n = m['node']
        want = sum(int(g * GIB) for node, g in pmem if node == n) // 4096
        assert m['device_pages'] == want, m
        assert [d['pages'] for d in m['devices']] == \
            [int(g * GIB) // 4096 for node, g in pmem if node == n], m
        assert all(d['memmap'] == 'dram' for d in m['devices'])
        assert m['device_struct_pages_aliased'] == 0 and m['device_altmap_pages'] == 0
        if m['mode'] == 'parallel' and n == 3:      # CPU-less: its init_by node's CPUs
            assert {node_of[c] for c in m['cpu_ids']} <= {nodes[3]['init_by'], 2}, m
    checksums = {}
    for m in r.kind('meminit'):
        checksums.setdefault(m['node'], set()).add(m['checksum'])
    assert all(len(v) == 1 for v in checksums.values()), checksums
    waits = [s for s in summaries if s['mode'] == 'deferred'][0]['device_waits']
    assert sorted((w['node'], w['dev']) for w in waits) == [(0, 0), (1, 0), (1, 1), (2, 0), (3, 0)]


# memmap, compound: expected per 1 GiB device (262144 pfns): pfns holding
# the memmap on the device, compound heads, struct pages not written
# because their vmemmap page is shared.
LAYOUTS = {
    ('dram', '4k'): (0, 0, 0),
    ('dram', '2m'): (0, 512, 262144 - 512 * 128),
    ('dram', '1g'): (0, 1, 262144 - 128),
    ('device', '2m'): (4096, (262144 - 4096) // 512, 0),
}


@pytest.mark.parametrize('memmap,compound', sorted(LAYOUTS))
def test_pmem_memmap_and_compound(memmap, compound):
    """1 GiB of persistent memory on each of two nodes, every mode: the
    memmap where the option puts it, compound pages as asked, the shared
    tail vmemmap pages never written, every mode verified and equal."""
    topo = Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5], pmem=[(0, 1), (1, 1)])
    r = boot(topo, f'meminit=all bw_mb=0 pmem_memmap={memmap} pmem_compound={compound}',
             timeout=900)
    assert r.status == 'ok', explain(r)
    altmap, heads, aliased = LAYOUTS[(memmap, compound)]
    summaries = r.kind('meminit_summary')
    assert len(summaries) == len(MODES) and all(s['verified'] and s['checksums_equal'] for s in summaries)
    for m in r.kind('meminit'):
        assert m['device_pages'] == 262144, m
        assert [d['memmap'] for d in m['devices']] == [memmap], m
        assert m['devices'][0]['compound_order'] == {'4k': 0, '2m': 9, '1g': 18}[compound]
        assert (m['device_altmap_pages'], m['device_compound_heads'],
                m['device_struct_pages_aliased']) == (altmap, heads, aliased), m
        assert m['device_memmap_bytes_written'] == 64 * (262144 - aliased), m


def test_broken_nfit(tmp_path):
    """No NVDIMMs (so QEMU builds no NFIT of its own); an NFIT with one bad
    range of each kind: each is reported by name, none is kept, the boot
    ends ok with DRAM verified."""
    table = tmp_path / 'nfit.aml'
    table.write_bytes(nfit([
        spa(1, 1, 1 * GIB, 256 * MIB),          # node 1's RAM
        spa(2, 7, 8 * GIB, 1 * GIB),            # no such domain
        spa(3, 1, 9 * GIB, 0),                  # zero length
        spa(4, 1, 1 << 46, 1 * GIB),            # beyond the 46-bit limit
        spa(5, 1, 10 * GIB, 1 * GIB, size=40),  # truncated structure
    ]))
    topo = Topology(nodes=2, cpus=1, mem_gib=[1, 1], acpi_tables=[str(table)])
    r = boot(topo, 'meminit=serial bw_mb=0')
    assert r.status == 'ok', explain(r)
    for msg in ('numa: NFIT SPA range 1 [0x40000000, 0x50000000) overlaps RAM: skipped',
                'numa: NFIT SPA range 2 [0x200000000, 0x240000000) names unknown proximity domain 7: skipped',
                'numa: NFIT SPA range 3 [0x240000000, 0x240000000) has zero length: skipped',
                'numa: NFIT SPA range 4 [0x400000000000, 0x400040000000) lies beyond the 46-bit '
                'physical address limit: skipped',
                'acpi: NFIT: SPA range structure at offset 264 is truncated (40 bytes, need 56), rejected'):
        assert msg in r.output, msg + '\n' + explain(r)
    t = r.one('topology')
    assert t['source'] == 'srat' and len(t['nodes']) == 2
    assert t['pmem'] == [] and t['pmem_skipped'] == 4
    assert all(n['pmem_bytes'] == 0 for n in t['nodes'])
    assert r.one('meminit_summary')['verified'] is True
