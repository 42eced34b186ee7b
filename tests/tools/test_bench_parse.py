"""tools/linux_bench.py log parsing, tools/bench.py record collection and
table formatting, tools/plot.py -- on synthetic and recorded text, no QEMU."""
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
import linux_bench  # noqa: E402
import qemu_run  # noqa: E402

# Recorded: Debian linux-image-6.1.0-56-amd64 (6.1.192-2) under QEMU 10 TCG + OVMF,
# 2 nodes x 1 vCPU x 2 GiB (tools/linux_bench.py --nodes 2 --cpus 1 --mem 2).
LOG_61 = """\
[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2025-11-15)
[    0.000000] Zone ranges:
[    0.000000]   DMA      [mem 0x0000000000001000-0x0000000000ffffff]
[    0.000000]   DMA32    [mem 0x0000000001000000-0x00000000ffffffff]
[    0.000000]   Normal   [mem 0x0000000100000000-0x000000017fffffff]
[    0.000000]   Device   empty
[    0.000000] Movable zone start for each node
[    0.000000] Early memory node ranges
[    0.000000]   node   0: [mem 0x0000000000001000-0x000000000009ffff]
[    0.000000]   node   0: [mem 0x0000000000100000-0x0000000000805fff]
[    0.000000]   node   0: [mem 0x0000000000808000-0x000000000080ffff]
[    0.000000]   node   0: [mem 0x0000000000900000-0x000000007ea89fff]
[    0.000000]   node   0: [mem 0x000000007eb8c000-0x000000007f4ebfff]
[    0.000000]   node   0: [mem 0x000000007f7fe000-0x000000007feebfff]
[    0.000000]   node   1: [mem 0x0000000100000000-0x000000017fffffff]
[    0.000000] Initmem setup node 0 [mem 0x0000000000001000-0x000000007feebfff]
[    0.000000] Initmem setup node 1 [mem 0x0000000100000000-0x000000017fffffff]
[    0.000000] Memory: 325420K/4187668K available (14343K kernel code, 2338K rwdata, 9132K rodata, 2824K init, 17344K bss, 230976K reserved, 0K cma-reserved)
[    0.412345] smp: Brought up 2 nodes, 2 CPUs
[    1.144660] node 0 deferred pages initialised in 72ms
[    1.196458] node 1 deferred pages initialised in 120ms
[    3.590000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
"""


# ---------------------------------------------------------------- Linux log

def test_linux_61_recorded_log():
    p = linux_bench.parse_log(LOG_61)
    assert p['version'] == '6.1.0-56-amd64'
    assert p['deferred'] == {0: 72, 1: 120}
    assert p['deferred_ts'][1] == pytest.approx(1.196458)
    assert set(p['zones']) == {'DMA', 'DMA32', 'Normal'}
    assert p['zones']['Normal'] == (0x100000, 0x180000)
    assert len(p['node_ranges'][0]) == 6 and p['node_ranges'][1] == [(0x100000, 0x180000)]
    assert p['memory_kib'] == (325420, 4187668)
    assert (p['nodes'], p['cpus']) == (2, 2) and p['start_ts'] == pytest.approx(0.412345)
    assert p['panic'].startswith('VFS: Unable to mount root fs')


def test_linux_61_summary_estimates_deferred_part():
    rows = linux_bench.summarize(linux_bench.parse_log(LOG_61), {0: 1, 1: 1})
    n0, n1 = rows
    assert n0['zone'] == 'DMA32' and n1['zone'] == 'Normal'
    # node 1: one zone starting section-aligned at 4 GiB: only the first section
    # (32768 pages) is initialized early: pfn 4 GiB + 1 section is the 32769th page
    assert n1['deferred_pages_est'] == 0x80000 - linux_bench.SECTION_PAGES
    # node 0: DMA32 starts at 16 MiB (pfn 0x1000): deferral at the 256 MiB section
    assert n0['deferred_gib_est'] == pytest.approx((0x7feec - 0x10000 - (0x7f7fe - 0x7f4ec) - (0x7eb8c - 0x7ea8a))
                                                   * 4096 / 2**30, abs=1e-3)
    assert n1['ms_per_gib'] == pytest.approx(120 / n1['deferred_gib_est'], rel=1e-3)
    assert n1['ms_per_node_gib'] == pytest.approx(60.0, rel=1e-3)
    assert n0['deferred_pages_source'].startswith('estimate')
    # printk clock from the 'smp: Brought up' line (0.412345) to the node's line
    assert n0['printk_ms_upper'] == pytest.approx(732.3, abs=0.1)
    assert n1['printk_ms_upper'] == pytest.approx(784.1, abs=0.1)


def test_linux_threads_scale_per_thread_figure():
    rows = linux_bench.summarize(linux_bench.parse_log(LOG_61), {0: 2, 1: 2})
    assert rows[1]['threads'] == 2
    assert rows[1]['ms_per_gib_per_thread'] == pytest.approx(2 * rows[1]['ms_per_gib'], rel=1e-3)


@pytest.mark.parametrize('line,node,ms', [
    ('[    1.144660] node 0 deferred pages initialised in 72ms', 0, 72),
    ('node 3 deferred pages initialised in 1234ms', 3, 1234),            # printk.time=0
    ('\x1b[0m[  12.000001] node 12 deferred pages initialized in 8 ms\r', 12, 8),  # escapes, CR, spelling
    ('<6>[    2.5] node 1 deferred pages initialised in 0ms', 1, 0),     # syslog level prefix
])
def test_linux_deferred_line_variants(line, node, ms):
    assert linux_bench.parse_log(line + '\n')['deferred'] == {node: ms}


def test_linux_old_format_gives_exact_pages():
    p = linux_bench.parse_log('[    0.9] node 0 initialised, 456789 pages in 28ms\n')
    assert p['deferred'] == {0: 28} and p['deferred_pages'] == {0: 456789}
    rows = linux_bench.summarize(p, {0: 1})
    assert rows[0]['deferred_pages_est'] == 456789 and rows[0]['deferred_pages_source'] == 'log'


def test_linux_no_deferred_lines():
    p = linux_bench.parse_log('[    0.0] Linux version 6.1.0-1-amd64 (x)\nKernel panic - not syncing: x\n')
    assert p['deferred'] == {} and linux_bench.summarize(p, {}) == []


def test_deferred_estimate_small_zone_defers_nothing():
    zones = {'DMA32': (0x1000, 0x100000)}
    assert linux_bench.deferred_estimate(zones, [(0x1000, 0x1000 + 1000)])[0] == 0


def test_deferred_estimate_counts_later_ranges():
    zones = {'Normal': (0x100000, 0x300000)}
    ranges = [(0x100000, 0x200000), (0x240000, 0x300000)]
    d, n, z = linux_bench.deferred_estimate(zones, ranges)
    assert z == 'Normal' and n == 0x100000 + 0xc0000
    assert d == (0x200000 - 0x100000 - linux_bench.SECTION_PAGES) + 0xc0000


# ---------------------------------------------------------------- numaboot records

def rec(kind, **kw):
    return {'schema': 'numaboot/1', 'kind': kind, **kw}


def synth_boot(nodes=(0,), cpus=2, pages=262144, serial_ns=400e6, speed=1.8, bw=0.85, chk='0xabc',
               verified=True, equal=True, status='ok', modes=bench.MODES):
    """Records of one meminit=all boot: per mode the per-node meminit lines and a summary."""
    out = [rec('smp', cpus_listed=cpus * len(nodes), cpus_online=cpus * len(nodes), bringup_ns=12_000_000,
               tsc_hz=2_000_000_000, tsc_source='pm_timer', x2apic=False)]
    for n in nodes:
        out.append(rec('bandwidth', node=n, cpus=cpus, bytes=64 << 20,
                       plain={'ns': 1, 'gib_per_s': 3.0}, nontemporal={'ns': 1, 'gib_per_s': 4.0},
                       rep_stos={'ns': 1, 'gib_per_s': 3.5}, best='nontemporal', best_bytes_per_s=4 << 30))
    for mode in modes:
        f = 1.0 if mode == 'serial' else speed
        ns = int(serial_ns / f)
        for n in nodes:
            out.append(rec('meminit', mode=mode, node=n, cpus=cpus, pages=pages, memmap_bytes=pages * 64,
                           ns=ns, ram_gib_per_s=pages * 4096 / 2**30 / (ns / 1e9), memmap_gib_per_s=1.0,
                           bw_fraction=None if mode == 'serial' and bw is None else bw, checksum=chk,
                           verified=verified, free_pages=pages - 100, reserved_pages=100,
                           allocated_pages=0, usable_pages=pages - 100, early_reserved_pages=0,
                           chunk_ns_per_gib=1_300_000 + 100_000 * n))
        s = rec('meminit_summary', mode=mode, nodes=len(nodes), pages=pages * len(nodes), ns=ns,
                ram_gib_per_s=1.0, speedup_vs_serial=f, verified=verified, checksums_equal=equal)
        if mode == 'deferred':
            s.update(first_alloc_ns=1000, allocs_during_init=3)
        out.append(s)
    out.append(rec('result', status=status, exit_code=0 if status == 'ok' else 1))
    return out


def test_collect_one_boot():
    e = bench.collect([synth_boot(nodes=(0, 1))])
    assert list(e['modes']) == list(bench.MODES)
    par = e['modes']['parallel']
    assert par['ms'] == pytest.approx(400 / 1.8, rel=1e-3)
    assert par['summary']['speedup_vs_serial'] == 1.8
    assert par['bw_fraction_min'] == 0.85 and par['verified'] is True and par['checksums_equal'] is True
    assert par['chunk_ms_per_gib_max'] == pytest.approx(1.4)    # the slower node's fastest chunk
    assert par['samples']['chunk_ms_per_gib_max'] == [pytest.approx(1.4)]
    assert par['chunk_vs_serial'] == e['modes']['serial']['chunk_vs_serial'] == 1.0   # the same chunks here
    assert [n['node'] for n in par['nodes']] == [0, 1]
    assert 'schema' not in par['summary'] and 'kind' not in par['nodes'][0]
    assert len(e['bandwidth']) == 2 and e['bandwidth'][0]['best'] == 'nontemporal'
    assert e['smp']['bringup_ns'] == 12_000_000 and e['result_status'] == ['ok']


def test_collect_median_and_all_of_three_boots():
    boots = [synth_boot(speed=s, verified=v) for s, v in ((1.5, True), (1.9, True), (1.7, False))]
    par = bench.collect(boots)['modes']['parallel']
    assert par['summary']['speedup_vs_serial'] == 1.7        # median
    assert par['verified'] is False                            # all() of booleans
    assert par['nodes'][0]['checksum'] == '0xabc'             # equal strings kept


def test_collect_from_serial_text_with_noise():
    lines = ['BdsDxe: loading Boot0001', 'memmap: 12 entries']
    lines += ['\x1b[2J' + json.dumps(r, separators=(',', ':')) for r in synth_boot()]
    e = bench.collect([qemu_run.parse_records('\r\n'.join(lines))])
    assert e['modes']['hop']['summary']['speedup_vs_serial'] == 1.8


def test_collect_without_meminit_records():
    e = bench.collect([[rec('result', status='panic')]])
    assert e['modes'] == {} and e['result_status'] == ['panic']


def test_ms_per_gib_and_linux_compare():
    e = bench.collect([synth_boot(nodes=(0, 1), cpus=1, pages=524288, serial_ns=200e6, speed=1.0)])
    linux = {'nodes': linux_bench.summarize(linux_bench.parse_log(LOG_61), {0: 1, 1: 1})}
    rows = bench.linux_compare(e, linux)
    assert rows[0]['numaboot_ms_per_gib'] == pytest.approx(100.0)
    assert rows[1]['factor'] == pytest.approx(linux['nodes'][1]['ms_per_gib'] / 100.0)
    assert rows[1]['factor_per_thread'] == pytest.approx(rows[1]['factor'])


def results_with(**topos):
    return {'schema': bench.SCHEMA, 'repeat': 1, 'topologies': topos,
            'bringup': [{'cpus': 1, 'cpus_online': 1, 'bringup_ns': 0},
                        {'cpus': 2, 'cpus_online': 2, 'bringup_ns': 3_500_000}]}


def test_targets_met_and_not_met():
    r = results_with(n1c2=bench.collect([synth_boot(speed=1.8, bw=0.85)]),
                     n2c1=bench.collect([synth_boot(nodes=(0, 1), speed=1.2, bw=0.5)]))
    t = {(x['id'], x['where']): x for x in bench.evaluate_targets(r)}
    sp = [x for x in bench.evaluate_targets(r) if x['id'] == 'parallel_speedup']
    assert [x['met'] for x in sp] == [True, False]              # vs serial 1.8x; vs hop 1.8/1.8 = 1.0 -> no
    assert sp[1]['value'] == pytest.approx(1.0)
    assert t[('bw_fraction', 'n1c2')]['met'] is True and t[('bw_fraction', 'n2c1')]['met'] is False
    assert t[('vs_linux', '-')]['met'] is None and t[('large', 'large (timed parallel, warm)')]['met'] is None


def test_large_target_is_time_bound():
    e = bench.collect([synth_boot(nodes=(0, 1), serial_ns=3.0e9, speed=2.5)])
    t = [x for x in bench.evaluate_targets(results_with(large=e)) if x['id'] == 'large'][0]
    assert t['value'] == pytest.approx(1.2) and t['met'] is True


def test_format_table_alignment():
    out = bench.format_table(['name', 'ms'], [['a', '1.0'], ['longer', '123.4']]).splitlines()
    assert out[0] == 'name       ms'
    assert out[1] == '------  -----'
    assert out[2] == 'a         1.0'
    assert out[3] == 'longer  123.4'


def test_report_has_every_section():
    e = bench.collect([synth_boot()])
    e['linux_compare'] = [{'node': 0, 'numaboot_ms_per_gib': 10.0, 'linux_ms_per_gib': 60.0, 'factor': 6.0,
                           'numaboot_ms_per_gib_per_thread': 20.0, 'linux_ms_per_gib_per_thread': 120.0,
                           'factor_per_thread': 6.0, 'linux_ms': 100, 'linux_deferred_gib_est': 1.75}]
    r = results_with(n1c2=e)
    r['targets'] = bench.evaluate_targets(r)
    text = bench.report(r)
    for s in ('meminit modes', 'store bandwidth', 'bring-up', 'Linux 6.1', 'targets'):
        assert s in text
    row = [l for l in text.splitlines() if l.startswith('n1c2') and ' parallel ' in l][0]
    assert '1.80x' in row and '85%' in row and 'equal' in row and 'yes' in row
    assert 'NOT met' not in [l for l in text.splitlines() if 'same topology' in l][0]
    assert '6.0x' in text


def test_report_marks_errors_and_differing_checksums():
    bad = bench.collect([synth_boot(equal=False)])
    r = results_with(n1c2=bad, n2c1={'error': 'no meminit records (panic)', 'modes': {}})
    r['targets'] = bench.evaluate_targets(r)
    text = bench.report(r)
    assert 'DIFFER' in text and 'ERROR' in text


def test_from_results_file_and_plots(tmp_path, capsys):
    pytest.importorskip('matplotlib')
    e = bench.collect([synth_boot(nodes=(0, 1))])
    e['linux_compare'] = bench.linux_compare(
        e, {'nodes': linux_bench.summarize(linux_bench.parse_log(LOG_61), {0: 2, 1: 2})})
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(results_with(n2c2=e)))
    assert bench.main(['--from', str(path)]) == 0
    assert 'n2c2' in capsys.readouterr().out
    for name in ('modes.png', 'speedup.png', 'bandwidth.png', 'bringup.png', 'linux.png'):
        assert (tmp_path / name).stat().st_size > 1000


def test_cold_warmup_pass_is_reported_beside_linux():
    boot = synth_boot()
    boot.append({'schema': 'numaboot/1', 'kind': 'meminit_warmup', 'cpus': 2,
                 'pages': 262144, 'ns': 40_000_000, 'ram_gib_per_s': 25.0,
                 'nodes': [{'node': 0, 'cpus': 2, 'pages': 262144, 'ns': 40_000_000}]})
    boot2 = [dict(r) for r in boot]
    boot2[-1] = dict(boot[-1], ns=60_000_000, nodes=[{'node': 0, 'cpus': 2, 'pages': 262144, 'ns': 20_000_000}])
    e = bench.collect([boot, boot2, boot])   # medians over boots, per node too
    assert e['warmup']['ms'] == pytest.approx(40.0)
    assert e['warmup']['nodes'] == [{'node': 0, 'cpus': 2, 'pages': 262144, 'ns': 40_000_000}]
    linux = {'nodes': [{'node': 0, 'ms': 60, 'threads': 1, 'deferred_gib_est': 1.0,
                        'ms_per_gib': 60.0, 'ms_per_gib_per_thread': 60.0, 'ms_per_node_gib': 60.0}]}
    rows = bench.linux_compare(e, linux)
    assert rows[0]['numaboot_cold_ms_per_gib'] == pytest.approx(40.0)   # 40 ms for 1 GiB
    assert rows[0]['factor_cold'] == pytest.approx(1.5)
    e['linux_compare'] = rows
    t = [x for x in bench.evaluate_targets(results_with(n1c2=e)) if x['id'] == 'vs_linux']
    assert len(t) == 2 and 'cold' in t[1]['where']
    assert t[1]['value'] == pytest.approx(1.5) and t[1]['met'] is False   # 1.5x < 5x
    assert 'cold' in bench.report(results_with(n1c2=e))
