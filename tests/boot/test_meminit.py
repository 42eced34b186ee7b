"""Issue 5: every memory-init mode on the same memory, verified, with equal
checksums, across the topologies that matter: 1/2/4/8 nodes, unequal
memory, a memory-less node, a CPU-less node, RAM above 4 GiB behind the PCI
hole.  No timing is asserted here (that is `make bench`)."""
import pytest

from conftest import MODES, boot, explain
from qemu_run import Topology

PAGE = 4096

CASES = {
    '1node': Topology(nodes=1, cpus=2, mem_gib=[1]),
    '2nodes': Topology(nodes=2, cpus=1, mem_gib=[1, 1]),
    '4nodes': Topology(nodes=4, cpus=1, mem_gib=[0.5, 0.5, 0.5, 0.5]),
    '8nodes': Topology(nodes=8, cpus=1, mem_gib=[0.25] * 8),
    'unequal': Topology(nodes=2, cpus=1, mem_gib=[1.5, 0.5]),
    'memless': Topology(nodes=3, cpus=1, mem_gib=[1, 0, 1], dist={(0, 1): 15, (1, 0): 15, (1, 2): 25,
                                                                  (2, 1): 25, (0, 2): 30, (2, 0): 30}),
    'cpuless': Topology(nodes=3, cpus=1, mem_gib=[1, 1, 1], cpuless=(2,),
                        dist={(0, 2): 25, (2, 0): 25, (1, 2): 15, (2, 1): 15, (0, 1): 20, (1, 0): 20}),
    'above4g': Topology(nodes=2, cpus=1, mem_gib=[2, 2]),
}


def run_all(name):
    r = boot(CASES[name], 'meminit=all bw_mb=16', timeout=600)
    assert r.status == 'ok', explain(r)
    return r


@pytest.mark.parametrize('name', sorted(CASES))
def test_all_modes_verified_and_identical(name):
    r = run_all(name)
    topo = r.one('topology')
    mem_nodes = {n['id']: n for n in topo['nodes'] if n['bytes']}
    summaries = {s['mode']: s for s in r.kind('meminit_summary')}
    assert sorted(summaries) == sorted(MODES), explain(r)
    for mode, s in summaries.items():
        assert s['verified'] and s['checksums_equal'], f'{mode}\n' + explain(r)
    recs = r.kind('meminit')
    for mode in MODES:
        nodes = {m['node'] for m in recs if m['mode'] == mode}
        assert nodes == set(mem_nodes), f'{mode}: {nodes} != {set(mem_nodes)}'
    for nid, node in mem_nodes.items():
        per_mode = [m for m in recs if m['node'] == nid]
        assert len({m['checksum'] for m in per_mode}) == 1, f'node {nid} checksums differ'
        for m in per_mode:
            assert m['verified']
            # Every usable byte the topology gave the node is a page, and
            # every usable page is free but what the kernel keeps for itself.
            assert m['usable_pages'] * PAGE == node['bytes'], (m, node)
            assert m['allocated_pages'] == 0
            assert m['free_pages'] == m['usable_pages'] - m['early_reserved_pages']
            assert m['pages'] >= m['usable_pages'] and m['memmap_bytes'] == 64 * m['pages']
    check_initializing_cpus(r)
    if name == 'above4g':
        hi = [n for n in mem_nodes.values() if int(n['ranges'][-1][1], 16) > 4 << 30]
        assert hi, 'expected RAM above 4 GiB'


def worker_nodes(nodes, nid):
    """Nodes whose CPUs initialize node nid: its init node and the
    memory-less nodes that help that one (docs/meminit.md)."""
    n = nodes[nid]
    init = n['init_by'] if n['cpuless'] else nid
    return {init} | {m['id'] for m in nodes.values() if m['memless'] and m['helps'] == init}


def check_initializing_cpus(r):
    """cpu_ids says which CPUs initialized each node: the boot CPU alone in
    serial, one CPU in hop and node, and never a CPU outside the worker set."""
    nodes = {n['id']: n for n in r.one('topology')['nodes']}
    node_of = {c['cpu']: c['node'] for c in r.one('smp')['cpus']}
    for m in r.kind('meminit'):
        ids = m['cpu_ids']
        assert m['cpus_ran'] == len(ids) >= 1, m
        assert len(ids) <= m['cpus'] or m['mode'] == 'deferred', m
        if m['mode'] == 'serial':
            assert ids == [0], m
        if m['mode'] in ('hop', 'node'):
            assert len(ids) == 1, m
        if m['mode'] != 'serial' and m['mode'] != 'deferred':
            allowed = worker_nodes(nodes, m['node'])
            assert {node_of[c] for c in ids} <= allowed, (m, allowed)


def parallel_cpus(r):
    return {m['node']: m['cpus'] for m in r.kind('meminit') if m['mode'] == 'parallel'}


def test_memless_node_cpus_help_nearest():
    r = run_all('memless')
    nodes = {n['id']: n for n in r.one('topology')['nodes']}
    assert nodes[1]['memless'] and nodes[1]['helps'] == 0   # distance 15 < 25
    cpus = parallel_cpus(r)
    assert 1 not in cpus
    assert cpus[0] == len(nodes[0]['cpus']) + len(nodes[1]['cpus'])
    assert cpus[2] == len(nodes[2]['cpus'])


def test_cpuless_node_initialized_by_nearest():
    r = run_all('cpuless')
    nodes = {n['id']: n for n in r.one('topology')['nodes']}
    assert nodes[2]['cpuless'] and nodes[2]['init_by'] == 1   # distance 15 < 25
    cpus = parallel_cpus(r)
    assert cpus[2] == len(nodes[1]['cpus'])


def test_deferred_allocates_before_completion():
    r = run_all('2nodes')
    d = [s for s in r.kind('meminit_summary') if s['mode'] == 'deferred'][0]
    assert d['allocs_during_init'] > 0
    assert 0 < d['first_alloc_ns'] < d['ns']


def test_single_mode_default_is_parallel():
    r = boot(Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5]), '')
    assert r.status == 'ok', explain(r)
    s = r.one('meminit_summary')
    assert s['mode'] == 'parallel' and s['verified'] and s['speedup_vs_serial'] is None
