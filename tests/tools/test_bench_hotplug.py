"""tools/bench_hotplug.py: the hot-add rows of `make bench` from synthetic
records -- each case booted eager (hot_lazy=off) and lazy (hot_lazy=on)
in alternation, per mode init / allocatable / complete / tails ms per GiB,
the lazy / eager ratios taken per pair of boots, results of the runs
before hot_lazy still loading and printing.  No QEMU."""
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
import bench_hotplug  # noqa: E402
import qemu_run  # noqa: E402

MS = 1_000_000


def rec(kind, **kw):
    return {'schema': 'numaboot/1', 'kind': kind, **kw}


def synth_boot(lazy, init_ms, alloc_ms, complete_ms=None, tails_ms=0.0, ops=100, p99_ns=4000,
               stall_ns=300_000, cpus=(0, 1), old=False):
    """One serve_s boot: a 1 GiB plug event (and its unplug), serve_end."""
    ev = rec('hotplug_event', seq=0, op='plug', status='ok', bytes=1 << 30, cpus=list(cpus),
             init_ns=int(init_ms * MS), allocatable_ns=int(alloc_ms * MS), max_stall_ns=stall_ns,
             ops=ops, op_p50_ns=900, op_p99_ns=p99_ns, prepare_ns=3 * MS, pickup_ns=MS // 2)
    if not old:     # a kernel before hot_lazy had none of these fields
        ev.update(lazy=lazy, tails_ns=int(tails_ms * MS),
                  complete_ns=int((alloc_ms if complete_ms is None else complete_ms) * MS))
    unplug = rec('hotplug_event', seq=1, op='unplug', status='ok', bytes=1 << 30, cpus=[],
                 init_ns=0, allocatable_ns=5 * MS, max_stall_ns=1, ops=1, op_p99_ns=1)
    end = rec('serve_end', ok=True, idle_op_p99_ns=3600, max_stall_idle_ns=4_000_000)
    return [ev, unplug, end, rec('result', status='ok', exit_code=0)]


def test_sample_of_a_lazy_boot():
    s = bench_hotplug.sample_of(synth_boot(True, 2.0, 20.0, complete_ms=30.0, tails_ms=6.0), 1)
    assert s['lazy'] is True
    assert s['init_ms_per_gib'] == pytest.approx(2.0)           # the heads run
    assert s['allocatable_ms_per_gib'] == pytest.approx(20.0)
    assert s['complete_ms_per_gib'] == pytest.approx(30.0)
    assert s['tails_ms_per_gib'] == pytest.approx(6.0)
    assert s['p99_us'] == pytest.approx(4.0) and s['stall_us'] == pytest.approx(300.0)
    assert s['idle_p99_us'] == pytest.approx(3.6) and s['cpus'] == 2


def test_sample_of_an_old_kernel_is_eager_and_complete_when_allocatable():
    s = bench_hotplug.sample_of(synth_boot(False, 4.0, 16.0, old=True), 2)
    assert s['lazy'] is False
    assert s['allocatable_ms_per_gib'] == pytest.approx(8.0)
    assert s['complete_ms_per_gib'] == pytest.approx(8.0) and s['tails_ms_per_gib'] == 0


def test_sample_of_no_plug_or_failed_boot():
    recs = synth_boot(False, 4.0, 16.0)
    assert bench_hotplug.sample_of([r for r in recs if r['kind'] != 'hotplug_event'], 1) is None
    recs[2]['ok'] = False
    assert bench_hotplug.sample_of(recs, 1) is None


def test_ratios_per_pair_of_boots_then_spread():
    pairs = [(bench_hotplug.sample_of(synth_boot(False, 5.0, e_alloc, complete_ms=e_alloc), 1),
              bench_hotplug.sample_of(synth_boot(True, 0.5, l_alloc, complete_ms=l_comp), 1))
             for e_alloc, l_alloc, l_comp in ((20.0, 10.0, 24.0), (10.0, 8.0, 12.0),
                                              (40.0, 4.0, 44.0))]
    pairs.append((pairs[0][0], None))       # a lazy boot that failed: no pair
    r = bench_hotplug.pair_ratios(pairs)
    assert r['pairs'] == 3
    # per pair: 0.5, 0.8, 0.1 -- median 0.5, not a ratio of the medians (8/20 = 0.4)
    a = r['allocatable']
    assert a['median'] == pytest.approx(0.5) and (a['min'], a['max']) == pytest.approx((0.1, 0.8))
    assert r['init']['median'] == pytest.approx(0.1)
    assert r['complete']['median'] == pytest.approx(1.2)
    # less the 3 ms of PLUG and mappings both modes spend: 7/17, 5/7, 1/37
    p = r['posted']
    assert p['median'] == pytest.approx(7 / 17) and (p['min'], p['max']) == pytest.approx((1 / 37, 5 / 7))
    assert bench_hotplug.pair_ratios([(None, pairs[0][1])]) is None


class FakeRun:
    """qemu_run.run stand-in: records what was asked, answers per mode."""

    def __init__(self, lie_about_lazy=False):
        self.calls, self.lie = [], lie_about_lazy

    def __call__(self, topo, opts, timeout=None, hotplug=None):
        lazy = 'hot_lazy=on' in opts
        self.calls.append((topo, opts))
        n = len(self.calls)
        recs = synth_boot(lazy != self.lie, 0.5 if lazy else 5.0, (4.0 if lazy else 20.0) + n / 10,
                          complete_ms=30.0 if lazy else None, tails_ms=6.0 if lazy else 0)
        return qemu_run.Result('ok', 0, 33, '', recs, 1.0, [])


def test_bench_alternates_modes_and_backs_guest_ram_up_front():
    fake = FakeRun()
    res = bench_hotplug.bench_hotplug(10, lambda s: None, repeat=2, gib=1, run=fake)
    assert res['status'] == 'ok'
    assert len(fake.calls) == len(bench_hotplug.CASES) * 2 * 2
    modes = ['lazy' if 'hot_lazy=on' in o else 'eager' for _, o in fake.calls]
    # per case: eager, lazy, then lazy, eager (each pair's order swapped)
    assert modes[:4] == ['eager', 'lazy', 'lazy', 'eager']
    assert all('hot_lazy=' in o for _, o in fake.calls)
    assert all(t.prealloc for t, _ in fake.calls)
    rows = {(r['case'], r['mode']): r for r in res['rows']}
    assert set(rows) == {(c, m) for c in bench_hotplug.CASES for m in ('eager', 'lazy')}
    lz = rows[('node-cpus', 'lazy')]
    assert lz['samples'] == 2 and lz['complete_ms_per_gib'] == pytest.approx(30.0)
    assert lz['tails_ms_per_gib_range'] == pytest.approx([6.0, 6.0])
    r = res['ratios']['node-cpus']
    assert r['pairs'] == 2 and 0.2 < r['allocatable']['median'] < 0.22
    assert 'prealloc' in res['backing'] and 'reserve=off' in res['backing']
    # every boot's figures kept, by pair
    one = res['boots']['one-cpu']
    assert len(one) == 2 and one[1]['lazy']['lazy'] is True and one[1]['eager']['lazy'] is False
    assert one[0]['eager']['prepare_ms_per_gib'] == pytest.approx(3.0)
    # the rows and ratios again from the boots alone (a saved run re-read)
    again = bench_hotplug.tabulate(res['boots'], 1)
    assert again['rows'] == res['rows'] and again['ratios'] == res['ratios']


def test_bench_refuses_a_boot_whose_event_has_the_other_mode():
    res = bench_hotplug.bench_hotplug(10, lambda s: None, repeat=1, gib=1,
                                      run=FakeRun(lie_about_lazy=True))
    assert res['status'] == 'failed' and res['rows'] == [] and not res['ratios']


OLD = {'status': 'ok', 'rows': [
    {'case': 'node-cpus', 'gib': 1, 'samples': 9, 'cpus': 2, 'init_ms_per_gib': 4.0,
     'init_ms_per_gib_range': [3.4, 4.4], 'allocatable_ms_per_gib': 16.0,
     'allocatable_ms_per_gib_range': [9.4, 17.8], 'ops': 6, 'ops_range': [3, 4065],
     'p99_us': 57.0, 'p99_us_range': [1.8, 114], 'stall_us': 49, 'stall_us_range': [30, 419],
     'idle_p99_us': 3.6, 'idle_p99_us_range': [3.6, 3.6], 'idle_stall_us': 3989,
     'idle_stall_us_range': [2490, 20058], 'speedup_vs_one_cpu': 1.58}]}


def test_results_before_hot_lazy_load_and_print():
    rows = bench_hotplug.rows_of(OLD)
    assert rows[0]['mode'] == 'eager' and rows[0]['complete_ms_per_gib'] == 16.0
    text = bench_hotplug.hotplug_table(OLD)
    line = [x for x in text.splitlines() if x.lstrip().startswith('node-cpus')][0]
    assert 'eager' in line and '16.0' in line and '1.58x' in line
    assert 'lazy / eager' not in text


def test_table_prints_both_modes_and_the_ratio():
    res = bench_hotplug.bench_hotplug(10, lambda s: None, repeat=2, gib=1, run=FakeRun())
    text = bench_hotplug.hotplug_table(res)
    lines = text.splitlines()
    assert any(x.lstrip().startswith('node-cpus') and ' lazy ' in x and '30.0' in x for x in lines)
    ratio = [x for x in lines if x.lstrip().startswith('node-cpus') and 'x (' in x][0]
    assert '0.21x' in ratio
    assert 'lazy / eager' in text


def test_results_json_round_trip_through_bench(tmp_path, capsys):
    res = {'schema': bench.SCHEMA, 'repeat': 1, 'topologies': {}, 'bringup': [],
           'hotplug': bench_hotplug.bench_hotplug(10, lambda s: None, repeat=1, gib=1, run=FakeRun())}
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(res))
    assert bench.main(['--from', str(path), '--no-plot']) == 0
    out = capsys.readouterr().out
    assert 'lazy / eager' in out and 'other-node' in out
    res['hotplug'] = OLD
    path.write_text(json.dumps(res))
    assert bench.main(['--from', str(path), '--no-plot']) == 0
    assert 'node-cpus' in capsys.readouterr().out
