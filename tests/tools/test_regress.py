"""tools/regress.py verdicts on synthetic results (no QEMU)."""
import copy
import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
import regress  # noqa: E402
import regress_stats  # noqa: E402

MODES = ('serial', 'hop', 'node', 'parallel', 'deferred')
N = regress_stats.DEFAULT_SAMPLES
ALL_IDENTITY = ','.join(regress.IDENTITY)


def rec(kind, **kw):
    return {'schema': 'numaboot/1', 'kind': kind, **kw}


def boot(nodes=(0,), speed=1.8, bw=0.85, serial_ns=400e6, verified=True, equal=True, status='ok', chunk=0.8):
    """One boot's records; each node's fastest chunk takes `chunk` times the
    serial time per GiB (a dict: per mode, 0.8 for the others; None: a
    kernel without the figure)."""
    out = [rec('smp', cpus_listed=2, cpus_online=2, bringup_ns=10_000_000)]
    for mode in MODES:
        f = 1.0 if mode == 'serial' else speed
        ns = int(serial_ns / f)
        for n in nodes:
            out.append(rec('meminit', mode=mode, node=n, cpus=2, pages=262144, ns=ns, bw_fraction=bw,
                           checksum='0x1234', verified=verified,
                           chunk_ns_per_gib=None if chunk is None else
                           int(serial_ns * (chunk.get(mode, 0.8) if isinstance(chunk, dict) else chunk))))
        out.append(rec('meminit_summary', mode=mode, nodes=len(nodes), pages=262144 * len(nodes), ns=ns,
                       speedup_vs_serial=f, verified=verified, checksums_equal=equal))
    out.append(rec('result', status=status))
    return out


JITTER = (1.0, 1.03, 0.98, 1.01, 0.99)


def results(boots=N, jitter=JITTER, host_cpus=2, bringup_ms=(1.0, 4.0, 20.0), **kw):
    """A bench results dict with n1c2 and n2c1, `boots` boots each; boot i
    scales the serial time and the speedup by jitter[i] (kw: overrides for
    boot() of n1c2)."""
    topo = {}
    for name, nodes in (('n1c2', (0,)), ('n2c1', (0, 1))):
        args = dict(kw) if name == 'n1c2' else {}
        bl = []
        for i in range(boots):
            f = jitter[i % len(jitter)]
            a = dict(args)
            a['serial_ns'] = a.get('serial_ns', 400e6) * f
            a['speed'] = a.get('speed', 1.8) / f ** 0.5
            bl.append(boot(nodes=nodes, **a))
        e = bench.collect(bl)
        e['boots'] = [{'status': st} for st in e['result_status']]
        e['vcpus'] = 2
        topo[name] = e
    bring = []
    for cpus, ms in zip((1, 2, 4), bringup_ms):
        ns = [int(ms * 1e6 * jitter[i % len(jitter)]) for i in range(boots)]
        bring.append({'cpus': cpus, 'bringup_ns': sorted(ns)[len(ns) // 2], 'samples': {'bringup_ns': ns},
                      'boots': [{'status': 'ok'}] * boots})
    return {'schema': bench.SCHEMA, 'host': {'cpus': host_cpus}, 'topologies': topo, 'bringup': bring}


@pytest.fixture
def files(tmp_path):
    def write(res, base=None):
        rp, bp = tmp_path / 'results.json', tmp_path / 'baseline.json'
        rp.write_text(json.dumps(res))
        src = tmp_path / 'base-src.json'
        src.write_text(json.dumps(base if base is not None else results()))
        assert regress.main([str(src), '--baseline', str(bp), '--update-baseline']) == 0
        return str(rp), str(bp)
    return write


def check(rp, bp, tmp_path=None, *extra):
    args = [rp, '--baseline', bp, *extra]
    return regress.main(args)


def verdicts(capsys_out):
    """{row: verdict} from the text summary."""
    out = {}
    for line in capsys_out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and '/' in parts[0]:
            out[parts[0]] = parts[1] if parts[1] != 'NOT' else 'NOT RUN'
    return out


def test_same_distribution_passes(files, tmp_path, capsys):
    base = results(jitter=(1.0, 1.03, 0.98, 1.01, 0.99))
    rp, bp = files(results(jitter=(1.01, 0.97, 1.02, 0.99, 1.0)), base)
    report = tmp_path / 'report.md'
    assert regress.main([rp, '--baseline', bp, '--report', str(report)]) == 0
    out = capsys.readouterr().out
    assert 'overall: PASS' in out
    md = report.read_text()
    assert md.startswith('# numaboot boot-time regression check: PASS')
    line = [l for l in md.splitlines() if l.startswith('| `n1c2/parallel`')][0]
    assert '| PASS |' in line and f'n={N}' in line and 'p=' in line and '95% CI' in line


def test_shift_inside_the_noise_passes(files, capsys):
    # baseline spread +-20 %; current 15 % slower but overlapping: not called
    base = results(jitter=(0.8, 1.0, 1.2, 0.9, 1.1))
    rp, bp = files(results(jitter=(0.95, 1.15, 1.35, 1.05, 1.25)), base)
    assert check(rp, bp) == 0


def test_separated_shift_smaller_than_min_effect_passes(files):
    base = results(jitter=(1.0, 1.001, 1.002, 1.003, 1.004))
    rp, bp = files(results(jitter=(1.01, 1.011, 1.012, 1.013, 1.014)), base)   # +1 %, separated
    assert check(rp, bp) == 0


def test_uniform_slowdown_regresses_times_only(files, capsys):
    """The deliberate-slowdown case: every mode 4x slower, same ratios."""
    rp, bp = files(results(serial_ns=1600e6))
    capsys.readouterr()
    assert check(rp, bp, None, '--json') == 1
    data = json.loads(capsys.readouterr().out)
    rows = {r['row']: r for r in data['rows']}
    for mode in MODES:
        r = rows[f'n1c2/{mode}']
        m = {x['metric']: x for x in r['metrics']}
        assert r['verdict'] == 'REGRESSED', mode
        assert m['ms']['verdict'] == 'REGRESSED' and m['ms']['method'] == 'rank'
        assert m['ms']['p_worse'] == pytest.approx(1 / math.comb(2 * N, N)) and m['ms']['interval'][0] > 3.5
        for k in ('speedup_vs_serial', 'speedup_vs_hop'):
            assert k not in m or m[k]['verdict'] == 'PASS'
    assert all(rows[f'n2c1/{m}']['verdict'] == 'PASS' for m in MODES)
    assert rows['bringup/1']['verdict'] == 'PASS' and rows['bringup/4']['verdict'] == 'INFO'


def test_regression_in_ratio(files, tmp_path):
    rp, bp = files(results(speed=1.2))                 # speedup 1.8 -> 1.2
    report = tmp_path / 'r.md'
    assert regress.main([rp, '--baseline', bp, '--report', str(report)]) == 1
    md = report.read_text()
    assert 'REGRESSED' in md.splitlines()[0]
    line = [l for l in md.splitlines() if l.startswith('| `n1c2/parallel`')][0]
    assert '| REGRESSED |' in line and 'speedup_vs_serial 1.80x' in line and '-> 1.20x' in line
    assert '**REGRESSED**' in line


def test_bw_fraction_regression(files):
    rp, bp = files(results(bw=0.6))
    assert check(rp, bp) == 1


def chunk_verdicts(capsys, rp, bp):
    """{row: [REGRESSED figures]} and {row: {figure: verdict}} of a --json run."""
    capsys.readouterr()
    code = check(rp, bp, None, '--json')
    rows = json.loads(capsys.readouterr().out)['rows']
    return code, {r['row']: [m['metric'] for m in r['metrics'] if m['verdict'] == 'REGRESSED'] for r in rows}, \
        {r['row']: {m['metric']: m for m in r['metrics']} for r in rows}


def test_one_mode_chunks_slower_regresses_that_row_only(files, capsys):
    """parallel's chunks 1.3x slower, wall times unchanged: its chunk time
    against serial's in the same boot is judged on its own, REGRESSED in
    that row only."""
    rp, bp = files(results(chunk={'parallel': 0.8 * 1.3}))
    code, bad, figs = chunk_verdicts(capsys, rp, bp)
    assert code == 1
    assert {r: v for r, v in bad.items() if v} == {'n1c2/parallel': ['chunk_vs_serial']}
    assert figs['n1c2/parallel']['chunk_vs_serial']['median_current'] == pytest.approx(1.3)
    assert 'chunk_ms_per_gib' not in figs['n1c2/parallel']        # the serial row has the absolute figure


def test_every_chunk_slower_regresses_the_serial_figure(files, capsys):
    """Every mode's chunks 1.5x slower (a slower initializer): the serial
    row's absolute figure is REGRESSED; the other modes' ratios to it stay."""
    rp, bp = files(results(chunk=1.2))
    code, bad, figs = chunk_verdicts(capsys, rp, bp)
    assert code == 1
    assert {r: v for r, v in bad.items() if v} == {'n1c2/serial': ['chunk_ms_per_gib']}
    assert figs['n1c2/serial']['chunk_ms_per_gib']['median_baseline'] == pytest.approx(400e6 * 0.8 / 1e6, rel=0.03)
    assert figs['n1c2/node']['chunk_vs_serial']['verdict'] == 'PASS'


def test_kernel_without_chunk_figure_compares_the_rest(files, capsys):
    """A base kernel older than the figure: the candidate's chunk figures
    are NEW, not verdicts; the rest is judged as before."""
    rp, bp = files(results(), results(chunk=None))
    code, _, figs = chunk_verdicts(capsys, rp, bp)
    assert code == 0
    assert figs['n1c2/serial']['chunk_ms_per_gib']['verdict'] == 'NEW'
    assert figs['n1c2/node']['chunk_vs_serial']['verdict'] == 'NEW' and figs['n1c2/node']['ms']['verdict'] == 'PASS'


def test_large_gain_improves(files, capsys):
    rp, bp = files(results(speed=2.6))
    assert check(rp, bp) == 0
    assert 'overall: IMPROVED' in capsys.readouterr().out


def test_few_samples_are_inconclusive(files, capsys):
    rp, bp = files(results(boots=2, serial_ns=1000e6), results(boots=2))   # 2.5x slower, 2 boots
    assert check(rp, bp) == regress.EXIT_INCONCLUSIVE
    out = capsys.readouterr().out
    assert 'overall: INCONCLUSIVE' in out and f'fewer than {N} samples a side (2 vs 2): inconclusive' in out


def test_min_samples_option(files, capsys):
    rp, bp = files(results(serial_ns=1600e6))
    assert check(rp, bp, None, '--min-samples', str(N + 1)) == regress.EXIT_INCONCLUSIVE   # 4x, but N < N+1
    assert 'inconclusive' in capsys.readouterr().out


def test_emulator_bound_rows_are_informative(files, capsys):
    rp, bp = files(results(bringup_ms=(1.0, 4.0, 0.9)), results(bringup_ms=(1.0, 4.0, 20.0)))
    assert check(rp, bp) == 0
    assert verdicts(capsys.readouterr().out)['bringup/4'] == 'INFO'
    # on a 4-core host the same row is judged
    rp, bp = files(results(host_cpus=4, bringup_ms=(1.0, 4.0, 40.0)), results(host_cpus=4))
    assert check(rp, bp) == 1
    assert verdicts(capsys.readouterr().out)['bringup/4'] == 'REGRESSED'


def test_partial_run_compares_matching_rows_only(files, capsys):
    res = results()
    del res['topologies']['n2c1']
    res['bringup'] = []
    rp, bp = files(res)
    assert check(rp, bp) == 0
    v = verdicts(capsys.readouterr().out)
    assert v['n2c1/parallel'] == 'NOT RUN' and v['bringup/2'] == 'NOT RUN' and v['n1c2/serial'] == 'PASS'
    assert check(rp, bp, None, '--require-all') == 1
    assert 'MISSING' in capsys.readouterr().out


def test_new_topology_is_informational(files, capsys):
    base = results()
    del base['topologies']['n2c1']
    rp, bp = files(results(), base)
    assert check(rp, bp) == 0
    assert 'NEW' in capsys.readouterr().out


def test_failed_verification_is_hard_failure(files, capsys):
    rp, bp = files(results(verified=False))            # every figure identical otherwise
    assert check(rp, bp) == 1
    out = capsys.readouterr().out
    assert 'FAILED' in out and 'verified is false' in out


def test_checksums_differ_is_hard_failure(files):
    rp, bp = files(results(equal=False))
    assert check(rp, bp) == 1


def test_boot_not_ok_is_hard_failure(files):
    rp, bp = files(results(status='check_failed'))
    assert check(rp, bp) == 1


def test_update_baseline_refuses_failed_results(tmp_path):
    rp = tmp_path / 'r.json'
    rp.write_text(json.dumps(results(verified=False)))
    assert regress.main([str(rp), '--baseline', str(tmp_path / 'b.json'), '--update-baseline']) == 1
    assert not (tmp_path / 'b.json').exists()


def test_update_baseline_keeps_samples(files):
    _, bp = files(results())
    b = json.load(open(bp))
    assert b['schema'] == regress.BASELINE_SCHEMA and b['host_cpus'] == 2
    s = b['rows']['n1c2/parallel']['samples']
    assert len(s['ms']) == N and len(s['speedup_vs_serial']) == N
    assert 'speedup_vs_serial' not in b['rows']['n1c2/serial']['samples']
    assert sorted(b['rows']['bringup/2']['samples']['bringup_ms']) == sorted([3.92, 3.96, 4.0, 4.04, 4.12] * (N // 5))
    assert b['rows']['bringup/2']['vcpus'] == 2
    assert b['stats'] == regress.DEFAULT_STATS and set(b['identity']) == set(regress.IDENTITY)
    assert b['identity']['host_cpus'] == 2


def test_version_1_baseline_still_reads(files, tmp_path, capsys):
    rp, _ = files(results())
    old = {'schema': 'numaboot-baseline/1', 'rows': {'n1c2/parallel': {
        'boot_ok': True, 'verified': True, 'checksums_equal': True, 'ms': 222.2, 'speedup_vs_serial': 1.8}}}
    bp = tmp_path / 'old.json'
    bp.write_text(json.dumps(old))
    assert regress.main([rp, '--baseline', str(bp)]) == regress.EXIT_BAD_INPUT   # no identity recorded
    assert 'refused: host_cpus: baseline None, results 2' in capsys.readouterr().err
    assert regress.main([rp, '--baseline', str(bp), '--accept-identity', ALL_IDENTITY]) == regress.EXIT_INCONCLUSIVE
    assert 'inconclusive' in capsys.readouterr().out


def boot_log(tmp_path, name, **kw):
    log = tmp_path / name
    log.write_text('BdsDxe: starting\n' + '\n'.join(json.dumps(r, separators=(',', ':')) for r in boot(**kw)) + '\n')
    return str(log)


def test_single_boot_against_bench_baseline(files, tmp_path, capsys):
    _, bp = files(results())
    # one boot named n1c2 vs a baseline that also has n2c1 and bring-up rows
    # (one boot has no identity: refused unless accepted; one sample: inconclusive)
    assert regress.main([boot_log(tmp_path, 'ok.log'), '--topology', 'n1c2', '--baseline', bp]) == 4
    assert regress.main([boot_log(tmp_path, 'ok.log'), '--topology', 'n1c2', '--baseline', bp,
                         '--accept-identity', ALL_IDENTITY]) == regress.EXIT_INCONCLUSIVE
    v = verdicts(capsys.readouterr().out)
    assert v['n1c2/parallel'] == 'INCONCLUSIVE' and v['n2c1/parallel'] == 'NOT RUN'


def test_no_matching_rows_is_bad_input(files, tmp_path, capsys):
    _, bp = files(results())
    assert regress.main([boot_log(tmp_path, 'b.log'), '--baseline', bp]) == 4   # rows named boot/...
    assert 'no row of the results matches' in capsys.readouterr().err


def test_junit_one_testcase_per_figure(files, tmp_path):
    """Through junitparser: one suite with a stable name, one testcase per figure."""
    import xml.etree.ElementTree as ET
    rp, bp = files(results(serial_ns=1600e6))
    xml = tmp_path / 'junit' / 'regress.xml'
    assert regress.main([rp, '--baseline', bp, '--junit', str(xml)]) == 1
    suite = ET.parse(xml).getroot().find('testsuite')
    assert suite.get('name') == regress.JUNIT_SUITE == 'numaboot-regress'
    cases = {(c.get('classname'), c.get('name')): c for c in suite.iter('testcase')}
    # n1c2 and n2c1: serial 3 figures, hop 4, node/parallel/deferred 5 each; 3 bring-up rows
    assert len(cases) == 2 * (3 + 4 + 5 * 3) + 3
    assert int(suite.get('failures')) == 6                    # every n1c2 mode's ms and serial's chunk, 4x slower
    f = cases[('regress.n1c2/parallel', 'ms')].find('failure')
    assert f is not None and f.get('type') == 'REGRESSED' and f.get('message').startswith('REGRESSED: ms ')
    assert cases[('regress.n1c2/parallel', 'speedup_vs_serial')].find('failure') is None
    assert 'PASS' in cases[('regress.n2c1/parallel', 'ms')].find('system-out').text
    assert cases[('regress.bringup/4', 'bringup_ms')].find('skipped') is not None


@pytest.mark.parametrize('content', [
    '',                                         # empty
    'not json at all\n',                        # no records
    '{"topologies": ',                          # truncated JSON
    '[1, 2]',                                   # JSON, not an object
    '{"schema":"numaboot-bench/1","topologies":[1,2]}',
    '{"schema":"numaboot-bench/1","topologies":{"n1c2":{"modes":[]}}}',
    '{"schema":"numaboot/1","kind":"result","status":"ok"}\n',   # a boot without meminit records
    '{"schema":"numaboot/1","kind":"meminit",\n',                # broken JSON line
])
def test_malformed_results_exit_4(files, tmp_path, content, capsys):
    _, bp = files(results())
    bad = tmp_path / 'bad.json'
    bad.write_text(content)
    assert regress.main([str(bad), '--baseline', bp]) == regress.EXIT_BAD_INPUT
    assert 'bad input' in capsys.readouterr().err


def test_missing_files_exit_4(files, tmp_path):
    rp, bp = files(results())
    assert regress.main([str(tmp_path / 'nope.json'), '--baseline', bp]) == 4
    assert regress.main([rp, '--baseline', str(tmp_path / 'nope.json')]) == 4
    (tmp_path / 'b.json').write_text('{"schema":"numaboot-baseline/2","rows":3}')
    assert regress.main([rp, '--baseline', str(tmp_path / 'b.json')]) == 4
    (tmp_path / 'c.json').write_text('{"schema":"numaboot-baseline/2","rows":{"n1c2/serial":{}}}')
    assert regress.main([rp, '--baseline', str(tmp_path / 'c.json')]) == 4


def test_command_line_exit_status(files, tmp_path):
    rp, bp = files(results(speed=1.2))
    p = subprocess.run([os.path.join(ROOT, 'tools', 'regress.py'), rp, '--baseline', bp,
                        '--report', str(tmp_path / 'r.md')], capture_output=True, text=True)
    assert p.returncode == 1 and 'overall: REGRESSED' in p.stdout
    assert (tmp_path / 'r.md').exists()


def test_committed_baseline_is_valid():
    path = os.path.join(ROOT, 'bench', 'baseline.json')
    rows, st, ident = regress.load_baseline(path)
    assert json.load(open(path))['schema'] == regress.BASELINE_SCHEMA
    assert rows and set(st) <= set(regress.DEFAULT_STATS)
    assert all(ident.get(k) for k in regress.IDENTITY), ident     # what it measured, every field known
    for name, r in rows.items():
        assert '/' in name
        assert all(r.get(f) is not False for f in regress.FACTS), name
        assert all(len(v) >= N for v in r['samples'].values()), name


def test_figure_not_measured_is_not_a_regression(files, tmp_path, capsys):
    _, bp = files(results())
    recs = [r for r in boot() if r.get('mode') in (None, 'parallel')]
    for r in recs:
        if r['kind'] == 'meminit_summary':
            r['speedup_vs_serial'] = None        # one mode ran: no serial to compare with
    log = tmp_path / 'one.log'
    log.write_text('\n'.join(json.dumps(r, separators=(',', ':')) for r in recs))
    acc = ['--accept-identity', ALL_IDENTITY]
    assert regress.main([str(log), '--topology', 'n1c2', '--baseline', bp, *acc]) == regress.EXIT_INCONCLUSIVE
    assert 'not measured' in capsys.readouterr().out
    assert regress.main([str(log), '--topology', 'n1c2', '--baseline', bp, '--require-all', *acc]) == 1


def lazy_results(allocatable_ms, **kw):
    """results() with a lazy row in n1c2: every boot's lazy summary says
    every page was allocatable after allocatable_ms (times the boot's jitter)."""
    res = results(**kw)
    boots = []
    for i in range(N):
        recs = boot()
        f = JITTER[i % len(JITTER)]
        recs.insert(-1, rec('meminit', mode='lazy', node=0, cpus=2, pages=262144, ns=int(300e6 * f),
                            bw_fraction=0.5, checksum='0x1234', verified=True, chunk_ns_per_gib=None))
        recs.insert(-1, rec('meminit_summary', mode='lazy', nodes=1, pages=262144, ns=int(300e6 * f),
                            speedup_vs_serial=1.3, verified=True, checksums_equal=True,
                            allocatable_ns=int(allocatable_ms * 1e6 * f)))
        boots.append(recs)
    e = bench.collect(boots)
    e['boots'] = [{'status': st} for st in e['result_status']]
    e['vcpus'] = 2
    res['topologies']['n1c2'] = e
    return res


def test_lazy_time_to_allocatable_is_judged(files, capsys):
    """meminit=lazy's point is its time until every page is allocatable: a
    kernel that takes 1.3x as long there, all else equal, is REGRESSED on
    that figure of the lazy row only."""
    rp, bp = files(lazy_results(1.3 * 1.5), lazy_results(1.5))
    code, bad, figs = chunk_verdicts(capsys, rp, bp)
    assert code == 1
    assert {r: v for r, v in bad.items() if v} == {'n1c2/lazy': ['allocatable_ms']}
    assert figs['n1c2/lazy']['allocatable_ms']['median_baseline'] == pytest.approx(1.5)
    assert 'allocatable_ms' not in figs['n1c2/parallel']    # a figure of the lazy row only
