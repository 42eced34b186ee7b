"""meminit_rounds=K (docs/meminit.md, "Rounds"): every mode K times on the
same memory in one boot, each round verified and checksummed, the fastest
reported; and the default (1) is one run per mode with no round fields.
No timing is asserted: only which round is reported and that it is the
fastest of the times the same record lists."""
from conftest import MODES, boot, explain
from qemu_run import Topology

N1C2 = Topology(nodes=1, cpus=2, mem_gib=[1])
N2C1 = Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5])


def test_rounds_every_mode_fastest_reported():
    r = boot(N2C1, 'meminit=all meminit_rounds=3 bw_mb=16')
    assert r.status == 'ok', explain(r)
    summaries = {s['mode']: s for s in r.kind('meminit_summary')}
    assert sorted(summaries) == sorted(MODES), explain(r)
    for mode, s in summaries.items():
        assert s['verified'] and s['checksums_equal'], f'{mode}\n' + explain(r)
        assert s['rounds'] == 3 and len(s['ns_rounds']) == 3, s
        assert s['ns'] == min(s['ns_rounds']) == s['ns_rounds'][s['best_round']], s
    # one record per mode and node (the fastest round's), one checksum per node
    recs = r.kind('meminit')
    assert len(recs) == len(MODES) * 2
    for nid in (0, 1):
        assert len({m['checksum'] for m in recs if m['node'] == nid}) == 1
    assert all(m['verified'] for m in recs)
    assert sum('rounds, the fastest' in line for line in r.output.splitlines()) == len(MODES)


def test_one_round_by_default_and_slow_pct_keeps_the_state():
    """Default: no round fields.  debug_slow_pct (a test aid) only spins:
    the memory state (checksum) is the unslowed boot's.  Both give each
    node's fastest chunk (ns per GiB)."""
    plain = boot(N1C2, 'meminit=parallel bw_mb=0')
    assert plain.status == 'ok', explain(plain)
    s = plain.one('meminit_summary')
    assert 'rounds' not in s and 'ns_rounds' not in s, s
    slow = boot(N1C2, 'meminit=parallel bw_mb=0 meminit_rounds=2 debug_slow_pct=50 debug_repeat_mode=parallel')
    assert slow.status == 'ok', explain(slow)
    t = slow.one('meminit_summary')
    assert t['verified'] and t['checksums_equal'] and t['rounds'] == 2, t
    assert plain.one('meminit')['checksum'] == slow.one('meminit')['checksum']
    for r in (plain, slow):
        c = r.one('meminit')['chunk_ns_per_gib']
        assert isinstance(c, int) and 0 < c < r.one('meminit')['ns'] * 4, r.one('meminit')
