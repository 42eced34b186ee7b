"""Issue 19: meminit=lazy (docs/meminit.md, "Lazy struct pages").  The heads
part makes every free page allocatable; the node's CPUs complete the rest
in the background while the boot CPU allocates and frees on every node;
the verifier and the checksum then see exactly the eager state.  Verdicts
are states, counts and the order of events, never speeds (that is
`make bench`).  meminit=all with lazy among the modes (equal checksums,
eight topologies, a CPU-less node) is tests/boot/test_meminit.py."""
from conftest import boot, explain
from qemu_run import Topology


def lazy_records(r):
    s = [x for x in r.kind('meminit_summary') if x['mode'] == 'lazy']
    assert len(s) == 1, explain(r)
    return s[0], [m for m in r.kind('meminit') if m['mode'] == 'lazy']


def check_lazy(r, nodes):
    assert r.status == 'ok', explain(r)
    s, recs = lazy_records(r)
    assert s['verified'] and s['checksums_equal'], explain(r)
    # the heads are few: one per free block (4 MiB at most), not one per page
    assert 0 < s['heads_written'] * 100 < s['pages'], s
    # allocatable (heads spliced) strictly before complete (the rest after)
    assert 0 < s['allocatable_ns'] < s['complete_ns'] == s['ns'], s
    # the boot CPU's workload ran while units were lazy, on every node, and
    # again after; nothing was refused
    assert s['allocs_while_lazy'] > 0, s
    assert s['alloc_while_lazy']['n'] == s['alloc_after']['n'] > 0, s
    assert {m['node'] for m in recs} == set(nodes), recs
    for m in recs:
        assert m['verified'], m
        assert 0 < m['lazy_allocatable_ns'] <= m['lazy_complete_ns'], m
        assert 0 < m['lazy_heads_written'] < m['pages'] // 100, m
        assert m['free_pages'] == m['usable_pages'] - m['early_reserved_pages'], m
    return s, recs


def test_lazy_alone():
    r = boot(Topology(nodes=2, cpus=2, mem_gib=[1, 1]), 'meminit=lazy bw_mb=16')
    s, recs = check_lazy(r, (0, 1))
    # an allocation started before the drain reached its unit completed it
    # (the boot CPU allocates as soon as the heads are in, the workers have
    # yet to take their first chunk)
    assert s['on_demand'] >= 1 and s['on_demand'] == sum(m['lazy_on_demand'] for m in recs), s
    assert 'every page allocatable after' in r.output


def test_lazy_cpuless_node():
    """Node 2 has memory and no CPU: node 1's CPUs (its init_by) write its
    heads and complete it; the boot CPU's workload allocates from it too."""
    topo = Topology(nodes=3, cpus=1, mem_gib=[1, 1, 1], cpuless=(2,),
                    dist={(0, 2): 25, (2, 0): 25, (1, 2): 15, (2, 1): 15, (0, 1): 20, (1, 0): 20})
    r = boot(topo, 'meminit=lazy bw_mb=16')
    s, recs = check_lazy(r, (0, 1, 2))
    node_of = {c['cpu']: c['node'] for c in r.one('smp')['cpus']}
    rec2 = [m for m in recs if m['node'] == 2][0]
    assert {node_of[c] for c in rec2['cpu_ids']} <= {0, 1}, rec2
    assert 1 in {node_of[c] for c in rec2['cpu_ids']}, rec2


def test_lazy_rounds_poisoned_then_serve():
    """Three rounds on the same memory, each poisoned before its heads (the
    verifier catches any page neither part wrote), then the live workload on
    memory lazy init produced."""
    r = boot(Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5]), 'meminit=lazy meminit_rounds=3 bw_mb=0 serve_s=2')
    s, _ = check_lazy(r, (0, 1))
    assert s['rounds'] == 3 and len(s['ns_rounds']) == 3, s
    checks = r.kind('serve_check')
    assert checks and all(n['verified'] for c in checks for n in c['nodes']), explain(r)
