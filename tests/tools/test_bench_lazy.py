"""tools/bench_lazy.py: the meminit=lazy figures of `make bench` (issue 19)
from synthetic records -- per mode time to allocatable / complete / boot CPU,
allocation latency while lazy and after, spread over boots, the lazy /
parallel ratio, old results without them, and Linux's "Memory: A/T
available" line.  No QEMU."""
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
import bench_lazy  # noqa: E402
import linux_bench  # noqa: E402


def rec(kind, **kw):
    return {'schema': 'numaboot/1', 'kind': kind, **kw}


def lat(n, p50, p99, mx):
    return {'n': n, 'p50_ns': p50, 'p99_ns': p99, 'max_ns': mx}


def synth_boot(par_ns=20_000_000, alloc_ns=2_000_000, complete_ns=18_000_000, nodes=(0, 1),
               node_alloc=(1_000_000, 1_900_000), during_p99=90_000, modes=bench.MODES):
    """One meminit=all boot with lazy last: per-node records and summaries."""
    out = []
    for mode in modes:
        ns = par_ns * (2 if mode in ('serial', 'hop') else 1)
        for i, n in enumerate(nodes):
            r = rec('meminit', mode=mode, node=n, cpus=1, pages=524288, ns=ns - 1000 * (i + 1),
                    free_pages=510000, reserved_pages=14288, checksum='0xabc', verified=True)
            if mode == 'lazy':
                r.update(ns=complete_ns // 2, lazy_allocatable_ns=node_alloc[i],
                         lazy_complete_ns=complete_ns - i, lazy_heads_written=500 + i,
                         lazy_on_demand=3 + i)
            out.append(r)
        s = rec('meminit_summary', mode=mode, nodes=len(nodes), pages=524288 * len(nodes), ns=ns,
                verified=True, checksums_equal=True)
        if mode == 'deferred':
            s.update(first_alloc_ns=3_000_000, allocs_during_init=512)
        if mode == 'lazy':
            s.update(ns=complete_ns, allocatable_ns=alloc_ns, complete_ns=complete_ns,
                     boot_cpu_ns=alloc_ns, heads_written=1001, on_demand=7, allocs_while_lazy=256,
                     alloc_while_lazy=lat(256, 240, during_p99, 700_000),
                     alloc_after=lat(256, 260, 2_000, 8_000))
        out.append(s)
    out.append(rec('result', status='ok', exit_code=0))
    return out


def test_one_boot_figures_per_mode():
    f = bench_lazy.boot_figures(synth_boot())
    lz, par, dfr = f['modes']['lazy'], f['modes']['parallel'], f['modes']['deferred']
    assert (lz['allocatable_ns'], lz['complete_ns'], lz['boot_cpu_ns']) == (2_000_000, 18_000_000, 2_000_000)
    # every other mode: pages are allocatable only when the mode ends
    assert par['allocatable_ns'] == par['complete_ns'] == par['boot_cpu_ns'] == 20_000_000
    # deferred: the boot CPU goes on at its first allocation
    assert dfr['allocatable_ns'] == 20_000_000 and dfr['boot_cpu_ns'] == 3_000_000
    assert f['lazy']['alloc_while_lazy']['p99_ns'] == 90_000 and f['lazy']['alloc_after']['max_ns'] == 8_000
    assert f['lazy']['on_demand'] == 7 and f['lazy']['heads_written'] == 1001
    node1 = [n for n in f['nodes']['lazy'] if n['node'] == 1][0]
    assert node1['allocatable_ns'] == 1_900_000 and node1['complete_ns'] == 17_999_999
    assert node1['on_demand'] == 4
    # lazy at the allocatable point: the free pages of every node over all pages
    assert f['lazy']['free_fraction'] == pytest.approx(510000 / 524288)
    assert f['ratio_allocatable_lazy_vs_parallel'] == pytest.approx(0.1)


def test_spread_over_boots_median_min_max():
    boots = [synth_boot(alloc_ns=a, par_ns=p, during_p99=d)
             for a, p, d in ((2_000_000, 20_000_000, 90_000), (3_000_000, 20_000_000, 50_000),
                             (1_000_000, 25_000_000, 70_000), (4_000_000, 16_000_000, 80_000),
                             (2_500_000, 20_000_000, 60_000))]
    e = bench_lazy.collect(boots)
    assert e['boots'] == 5
    a = e['modes']['lazy']['allocatable_ns']
    assert (a['median'], a['min'], a['max'], a['n']) == (2_500_000, 1_000_000, 4_000_000, 5)
    # the ratio is taken per boot (both figures from the same boot), then its spread
    r = e['ratio_allocatable_lazy_vs_parallel']
    assert r['min'] == pytest.approx(0.04) and r['max'] == pytest.approx(0.25)
    assert r['median'] == pytest.approx(0.125)
    assert e['lazy']['alloc_while_lazy']['p99_ns']['median'] == 70_000
    assert e['lazy']['alloc_after']['p50_ns']['max'] == 260


def test_no_lazy_mode_no_lazy_entry():
    assert bench_lazy.collect([synth_boot(modes=('serial', 'parallel'))]) is None
    assert bench_lazy.collect([[rec('result', status='panic')]]) is None


def test_results_before_lazy_still_load_and_print():
    # a results.json of an older run: no lazy mode, no 'lazy' entry
    e = bench.collect([synth_boot(modes=('serial', 'hop', 'node', 'parallel', 'deferred'))])
    res = {'schema': bench.SCHEMA, 'repeat': 1, 'topologies': {'n2c1': e}, 'bringup': []}
    assert bench_lazy.entry_lazy(e) is None
    assert bench_lazy.report_parts(res, bench.fmt, bench.format_table) == []
    res['targets'] = bench.evaluate_targets(res)
    assert 'lazy' not in bench.report(res).split('== targets')[0].split('meminit modes')[1].split('\n', 2)[2]


def test_results_with_lazy_but_without_the_entry_use_the_medians():
    # a run between the lead's lazy commit and this table: merged medians, one "boot"
    e = bench.collect([synth_boot(), synth_boot(alloc_ns=4_000_000)])
    lz = bench_lazy.entry_lazy(e)
    assert lz['boots'] == 1 and lz['from_medians'] is True
    assert lz['modes']['lazy']['allocatable_ns']['median'] == 3_000_000


def test_report_tables_and_ratio_text():
    e = bench.collect([synth_boot()])
    e['lazy'] = bench_lazy.collect([synth_boot()])
    res = {'schema': bench.SCHEMA, 'repeat': 1, 'topologies': {'n2c1': e}, 'bringup': [],
           'mem_gib_per_node': 2}
    text = '\n'.join(bench_lazy.report_parts(res, bench.fmt, bench.format_table))
    assert 'time to allocatable' in text
    row = [line for line in text.splitlines() if line.startswith('n2c1') and ' lazy ' in line][0]
    assert '2.00' in row and '18.00' in row
    assert '0.10x' in text                                  # lazy / parallel
    lat_row = [line for line in text.splitlines() if 'while lazy' in line][0]
    assert '90.0' in lat_row                                # p99 us
    # and bench.report() carries them
    res['targets'] = bench.evaluate_targets(res)
    assert 'time to allocatable' in bench.report(res)


LINUX_LOG = """\
[    0.000000] Linux version 6.1.0-57-amd64 (x)
[    0.000000] Zone ranges:
[    0.000000]   DMA      [mem 0x0000000000001000-0x0000000000ffffff]
[    0.000000]   DMA32    [mem 0x0000000001000000-0x00000000ffffffff]
[    0.000000]   Normal   [mem 0x0000000100000000-0x000000017fffffff]
[    0.000000] Movable zone start for each node
[    0.000000] Early memory node ranges
[    0.000000]   node   0: [mem 0x0000000000001000-0x000000007feebfff]
[    0.000000]   node   1: [mem 0x0000000100000000-0x000000017fffffff]
[    0.000000] Memory: 325420K/4187668K available (14343K kernel code, 230976K reserved, 0K cma-reserved)
[    0.992408] smp: Brought up 2 nodes, 2 CPUs
[    1.089633] node 1 deferred pages initialised in 56ms
[    1.094643] node 0 deferred pages initialised in 72ms
"""


def test_linux_memory_line_and_its_time():
    p = linux_bench.parse_log(LINUX_LOG)
    assert p['memory_kib'] == (325420, 4187668) and p['memory_ts'] == 0.0
    run = {'ok': True, 'memory_kib': p['memory_kib'], 'memory_ts': p['memory_ts'],
           'deferred_end_ts': max(p['deferred_ts'].values()),
           'nodes': linux_bench.summarize(p, {0: 1, 1: 1})}
    a = bench_lazy.linux_available(run)
    assert a['available_fraction'] == pytest.approx(325420 / 4187668)
    dkib = sum(n['deferred_pages_est'] for n in run['nodes']) * 4
    assert a['deferred_fraction'] == pytest.approx(dkib / 4187668)
    assert a['deferred_end_s'] == pytest.approx(1.094643) and a['memory_s'] == 0.0
    assert a['deferred_ms_max'] == 72
    s = bench_lazy.linux_available_runs([run, dict(run, memory_kib=(325000, 4187668))])
    assert s['available_fraction']['min'] == pytest.approx(325000 / 4187668)
    assert s['boots'] == 2


def test_linux_runs_without_the_memory_line():
    assert bench_lazy.linux_available({'ok': True, 'nodes': []}) is None
    assert bench_lazy.linux_available_runs([{'ok': False}]) is None


def test_results_json_round_trip(tmp_path, capsys):
    e = bench.collect([synth_boot()])
    e['lazy'] = bench_lazy.collect([synth_boot(), synth_boot(alloc_ns=3_000_000)])
    res = {'schema': bench.SCHEMA, 'repeat': 2, 'topologies': {'n2c1': e}, 'bringup': []}
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(res))
    assert bench.main(['--from', str(path), '--no-plot']) == 0
    out = capsys.readouterr().out
    assert 'time to allocatable' in out and 'n2c1' in out
