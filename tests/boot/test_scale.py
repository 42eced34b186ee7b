"""Issue 11: scale and fencing under QEMU (docs/smp.md).

- Many x2APIC CPUs: APIC ids above 255 on several nodes (MADT type 9 and
  SRAT x2APIC-affinity entries), every CPU online on its node with its
  per-CPU area on that node, worker sets per node, init verified.  The
  largest topology measured is a `make bench` row (tools/bench.py,
  bench_scale); this test boots the largest that fits CI time.
- 32 nodes mixing memory-less and CPU-less ones, small memory per node.
- Fencing: with call_timeout_ms=1 the CPUs that miss a cross-call deadline
  are fenced (never called again), the boot waits for them to finish
  before any state is reused, every mode still verifies, and the boot ends
  check_failed naming them.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import MODES, boot, explain  # noqa: E402
from qemu_run import Topology  # noqa: E402

AP_TIMEOUT = 'ap_timeout_ms=20000'   # many vCPUs on 2 host cores wake slowly

# CI-sized x2APIC topology: 4 sockets (nodes) of 128 possible cores, 32
# present in each (128 vCPUs: about 27 s under TCG on the project machine).
# QEMU numbers APIC ids socket << 7 | core, so sockets 2 and 3 hold ids
# 256..287 and 384..415: sparse, above 255, on two nodes; the MADT lists
# all 512 possible CPUs (384 of them not present).
X2_NODES, X2_CPUS, X2_CORES = 4, 32, 128


def sparse_x2apic_topology(nodes, per_node, cores, mem_gib=0.25):
    extra = ['-smp', f'{per_node},maxcpus={nodes * cores},sockets={nodes},cores={cores},threads=1']
    for s in range(1, nodes):   # socket 0's CPUs are the -smp ones
        for c in range(per_node):
            extra += ['-device', f'max-x86_64-cpu,socket-id={s},core-id={c},thread-id=0']
    return Topology(nodes=nodes, cpus=per_node, mem_gib=[mem_gib] * nodes, x2apic=True,
                    extra=extra)


def expected_apic_ids(topo, cores=None):
    bits = ((cores or topo.cpus) - 1).bit_length()
    return {(s << bits) | c: n for s, n in enumerate(topo.cpu_nodes()) for c in range(topo.cpus)}


def check_scale(r, topo, cores=None):
    """Every CPU online on its node, its per-CPU area on that node, each
    node initialized by its own CPUs, verified."""
    assert r.status == 'ok', explain(r)
    smp = r.one('smp')
    want = expected_apic_ids(topo, cores)
    assert {c['apic_id']: c['node'] for c in smp['cpus']} == want, explain(r)
    assert smp['cpus_online'] == len(want) and smp['failed_apic_ids'] == []
    assert all(c['mem_node'] == c['node'] for c in smp['cpus']), explain(r)
    assert smp['percpu_node_local'] == len(want)
    by_node = {}
    for c in smp['cpus']:
        by_node.setdefault(c['node'], set()).add(c['cpu'])
    recs = [m for m in r.kind('meminit') if m['mode'] == 'parallel']
    assert len(recs) == topo.nodes, explain(r)
    for m in recs:   # worker set = the node's own CPUs; those that took a chunk are in it
        assert m['verified'] and m['cpus'] == len(by_node[m['node']]), explain(r)
        assert m['cpu_ids'] and set(m['cpu_ids']) <= by_node[m['node']], explain(r)
    return smp


def test_x2apic_ids_above_255_on_several_nodes():
    topo = sparse_x2apic_topology(X2_NODES, X2_CPUS, X2_CORES)
    r = boot(topo, f'meminit=parallel bw_mb=0 warmup=off {AP_TIMEOUT}', timeout=300)
    smp = check_scale(r, topo, X2_CORES)
    assert smp['x2apic'] is True
    # the possible-but-absent CPUs are listed (online-capable) or unusable
    assert smp['cpus_listed'] + smp['cpus_unusable'] == X2_NODES * X2_CORES, explain(r)
    high = {c['node'] for c in smp['cpus'] if c['apic_id'] > 255}
    assert high == {2, 3}, explain(r)


def test_32_nodes_memless_and_cpuless():
    """32 nodes: every 4th (1, 5, ...) memory-less, every 4th (3, 7, ...)
    CPU-less, 64 MiB on each node with memory, one CPU on each with CPUs."""
    n = 32
    memless = [i for i in range(n) if i % 4 == 1]
    cpuless = tuple(i for i in range(n) if i % 4 == 3)
    topo = Topology(nodes=n, cpus=1, mem_gib=[0 if i in memless else 0.0625 for i in range(n)],
                    cpuless=cpuless)
    r = boot(topo, f'meminit=all bw_mb=0 warmup=off {AP_TIMEOUT}', timeout=300)
    assert r.status == 'ok', explain(r)
    t = r.one('topology')
    nodes = {x['id']: x for x in t['nodes']}
    assert len(nodes) == n, explain(r)
    for i in memless:
        assert nodes[i]['helps'] is not None, explain(r)
    for i in cpuless:
        assert nodes[i]['init_by'] is not None, explain(r)
    smp = r.one('smp')
    assert smp['cpus_online'] == n - len(cpuless)
    # a memory-less node's CPU has its per-CPU area on another node
    for c in smp['cpus']:
        assert (c['mem_node'] == c['node']) == (c['node'] not in memless), explain(r)
    sums = r.kind('meminit_summary')
    assert len(sums) == len(MODES) and all(s['verified'] and s['checksums_equal'] for s in sums), explain(r)


def test_call_timeout_fences_late_cpus():
    """call_timeout_ms=1: the late CPUs are fenced, waited for, never
    called again; every mode still verifies; the boot ends check_failed."""
    topo = Topology(nodes=2, cpus=2, mem_gib=[0.5, 0.5])
    r = boot(topo, 'meminit=all call_timeout_ms=1 ap_timeout_ms=5000', timeout=300)
    assert r.status == 'check_failed', explain(r)
    assert not r.kind('panic'), explain(r)
    fence = r.one('smp_fence')
    assert fence['fenced'] and fence['stuck'] == [] and 0 not in fence['fenced'], explain(r)
    late = [int(c) for c in re.findall(r'smp: cpu (\d+) \(apic id \d+\) did not finish call', r.output)]
    # each fenced CPU missed exactly one deadline: it was never called again
    assert sorted(late) == sorted(fence['fenced']), explain(r)
    for c in fence['fenced']:
        assert f'smp: cpu {c} acknowledged' in r.output, explain(r)
    assert 'fenced CPUs are out of every worker set' in r.output
    assert 'CPUs missed a cross-call deadline' in r.output
    recs = r.kind('meminit')
    assert recs and all(m['verified'] for m in recs), explain(r)
    assert len(r.kind('meminit_summary')) == len(MODES), explain(r)
