"""Issue 3: the kernel's topology JSON equals what QEMU was told: nodes,
their CPUs (APIC ids as QEMU numbers them), their memory, the distances;
memory-less and CPU-less nodes; no SRAT at all."""
import pytest

from conftest import boot, explain
from qemu_run import Topology

MIB = 1 << 20
FIRMWARE_SLACK = 160 * MIB   # what OVMF and the image keep out of usable RAM


def apic_ids(topo):
    """QEMU's APIC ids: socket << bits(cores) | core (threads=1, one die)."""
    bits = (topo.cpus - 1).bit_length()
    per_node = {}
    for socket, n in enumerate(topo.cpu_nodes()):
        per_node[n] = [(socket << bits) | c for c in range(topo.cpus)]
    return per_node


def expected_distances(topo):
    if not topo.dist:
        return [[10 if a == b else 20 for b in range(topo.nodes)] for a in range(topo.nodes)]
    return [[10 if a == b else topo.dist[(a, b)] for b in range(topo.nodes)]
            for a in range(topo.nodes)]


def check(topo, r):
    t = r.one('topology')
    assert t['source'] == 'srat', explain(r)
    assert [n['id'] for n in t['nodes']] == list(range(topo.nodes))
    cpus = apic_ids(topo)
    for n in t['nodes']:
        nid = n['id']
        assert n['pxm'] == nid
        assert sorted(n['cpus']) == cpus.get(nid, []), (nid, n['cpus'])
        size = int(topo.mem_gib[nid] * 1024) * MIB
        assert size - FIRMWARE_SLACK <= n['bytes'] <= size, (nid, n['bytes'], size)
        assert n['memless'] == (size == 0)
        assert n['cpuless'] == (nid in topo.cpuless)
    assert t['distances'] == expected_distances(topo)
    return {n['id']: n for n in t['nodes']}


CASES = {
    '2nodes': Topology(nodes=2, cpus=2, mem_gib=[1, 1]),
    '4nodes': Topology(nodes=4, cpus=1, mem_gib=[0.5] * 4),
    '8nodes': Topology(nodes=8, cpus=1, mem_gib=[0.25] * 8),
    '3cpus': Topology(nodes=2, cpus=3, mem_gib=[0.5, 0.5]),
    'unequal': Topology(nodes=3, cpus=1, mem_gib=[1.5, 0.25, 0.75]),
    'dist': Topology(nodes=3, cpus=1, mem_gib=[0.5] * 3,
                     dist={(0, 1): 21, (1, 0): 21, (0, 2): 31, (2, 0): 31, (1, 2): 17, (2, 1): 17}),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_topology_equals_qemu(name):
    topo = CASES[name]
    r = boot(topo, 'meminit=serial bw_mb=0')
    assert r.status == 'ok', explain(r)
    check(topo, r)


def test_memless_and_cpuless_nodes():
    dist = {(0, 1): 20, (1, 0): 20, (0, 2): 25, (2, 0): 25, (1, 2): 12, (2, 1): 12,
            (0, 3): 30, (3, 0): 30, (1, 3): 40, (3, 1): 40, (2, 3): 14, (3, 2): 14}
    # node 1: CPUs, no memory; node 3: memory, no CPUs
    topo = Topology(nodes=4, cpus=1, mem_gib=[0.5, 0, 0.5, 0.5], cpuless=(3,), dist=dist)
    r = boot(topo, 'meminit=serial bw_mb=0')
    assert r.status == 'ok', explain(r)
    nodes = check(topo, r)
    assert nodes[1]['helps'] == 2        # nearest node with memory: 12 < 20
    assert nodes[3]['init_by'] == 2      # nearest node with CPUs: 14 < 30, 40
    assert nodes[0]['helps'] is None and nodes[0]['init_by'] is None


def test_no_srat_is_one_node():
    topo = Topology(nodes=1, cpus=3, mem_gib=[1], numa=False)
    r = boot(topo, 'meminit=serial bw_mb=0')
    assert r.status == 'ok', explain(r)
    t = r.one('topology')
    assert t['source'] == 'none'
    assert len(t['nodes']) == 1
    assert sorted(t['nodes'][0]['cpus']) == [0, 1, 2]
    assert (1024 - 160) * MIB <= t['nodes'][0]['bytes'] <= 1024 * MIB
