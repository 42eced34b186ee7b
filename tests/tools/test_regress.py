"""tools/regress.py verdicts on synthetic results (no QEMU)."""
import copy
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
import regress  # noqa: E402

MODES = ('serial', 'hop', 'node', 'parallel', 'deferred')


def rec(kind, **kw):
    return {'schema': 'numaboot/1', 'kind': kind, **kw}


def boot(nodes=(0,), speed=1.8, bw=0.85, serial_ns=400e6, verified=True, equal=True, status='ok'):
    out = [rec('smp', cpus_listed=2, cpus_online=2, bringup_ns=10_000_000)]
    for mode in MODES:
        f = 1.0 if mode == 'serial' else speed
        ns = int(serial_ns / f)
        for n in nodes:
            out.append(rec('meminit', mode=mode, node=n, cpus=2, pages=262144, ns=ns, bw_fraction=bw,
                           checksum='0x1234', verified=verified))
        out.append(rec('meminit_summary', mode=mode, nodes=len(nodes), pages=262144 * len(nodes), ns=ns,
                       speedup_vs_serial=f, verified=verified, checksums_equal=equal))
    out.append(rec('result', status=status))
    return out


def results(**kw):
    """A bench results dict with n1c2 and n2c1 (kw: overrides for boot() of n1c2)."""
    topo = {}
    for name, nodes in (('n1c2', (0,)), ('n2c1', (0, 1))):
        e = bench.collect([boot(nodes=nodes, **(kw if name == 'n1c2' else {}))])
        e['boots'] = [{'status': e['result_status'][-1]}]
        topo[name] = e
    return {'schema': bench.SCHEMA, 'topologies': topo,
            'bringup': [{'cpus': 1, 'bringup_ns': 1_000_000, 'boots': [{'status': 'ok'}]},
                        {'cpus': 2, 'bringup_ns': 4_000_000, 'boots': [{'status': 'ok'}]}]}


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


def test_pass_identical(files, tmp_path, capsys):
    rp, bp = files(results())
    report = tmp_path / 'report.md'
    assert regress.main([rp, '--baseline', bp, '--report', str(report)]) == 0
    out = capsys.readouterr().out
    assert 'overall: PASS' in out
    md = report.read_text()
    assert md.startswith('# numaboot boot-time regression check: PASS')
    assert '| `n1c2/parallel` | PASS |' in md and 'speedup_vs_serial 1.80x -> 1.80x' in md


def test_noise_in_absolute_time_within_wide_tolerance(files):
    rp, bp = files(results(serial_ns=700e6))           # 1.75x slower everywhere, same ratios
    assert check(rp, bp) == 0


def test_absolute_time_beyond_tolerance_regresses(files, capsys):
    rp, bp = files(results(serial_ns=1000e6))          # 2.5x slower
    assert check(rp, bp) == 1
    out = capsys.readouterr().out
    assert 'n1c2/serial' in out and 'REGRESSED' in out


def test_regression_in_ratio(files, tmp_path, capsys):
    rp, bp = files(results(speed=1.3))                 # speedup 1.8 -> 1.3 (-28%)
    report = tmp_path / 'r.md'
    assert regress.main([rp, '--baseline', bp, '--report', str(report)]) == 1
    md = report.read_text()
    assert 'REGRESSED' in md.splitlines()[0]
    line = [l for l in md.splitlines() if l.startswith('| `n1c2/parallel`')][0]
    assert '| REGRESSED |' in line and 'speedup_vs_serial 1.80x -> 1.30x (-28%) **REGRESSED**' in line


def test_bw_fraction_regression(files):
    rp, bp = files(results(bw=0.6))
    assert check(rp, bp) == 1


def test_small_ratio_change_passes_and_large_gain_improves(files, capsys):
    rp, bp = files(results(speed=1.7))                 # -6%: inside 15%
    assert check(rp, bp) == 0
    rp, bp = files(results(speed=2.4))                 # +33%
    assert check(rp, bp) == 0
    assert 'overall: IMPROVED' in capsys.readouterr().out


def test_tolerance_from_command_line(files):
    rp, bp = files(results(speed=1.7))
    assert check(rp, bp, None, '--ratio-tol', '0.02') == 1


def test_missing_topology_regresses(files, capsys):
    res = results()
    del res['topologies']['n2c1']
    rp, bp = files(res)
    assert check(rp, bp) == 1
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


def test_update_baseline_contents(files):
    _, bp = files(results())
    b = json.load(open(bp))
    assert b['schema'] == regress.BASELINE_SCHEMA
    assert b['rows']['n1c2/parallel']['speedup_vs_serial'] == 1.8
    assert 'speedup_vs_serial' not in b['rows']['n1c2/serial']
    assert b['rows']['bringup/2']['bringup_ms'] == 4.0
    assert b['tolerance'] == regress.DEFAULT_TOL


def test_single_boot_json_lines(tmp_path):
    log = tmp_path / 'serial.log'
    log.write_text('BdsDxe: starting\n' + '\n'.join(json.dumps(r, separators=(',', ':')) for r in boot()) + '\n')
    bp = tmp_path / 'b.json'
    assert regress.main([str(log), '--topology', 'n1c2', '--baseline', str(bp), '--update-baseline']) == 0
    assert regress.main([str(log), '--topology', 'n1c2', '--baseline', str(bp)]) == 0
    slow = tmp_path / 'slow.log'
    slow.write_text('\n'.join(json.dumps(r, separators=(',', ':')) for r in boot(speed=1.2)))
    assert regress.main([str(slow), '--topology', 'n1c2', '--baseline', str(bp)]) == 1


def test_single_boot_against_bench_baseline_missing_rows(files, tmp_path):
    _, bp = files(results())
    log = tmp_path / 'serial.log'
    log.write_text('\n'.join(json.dumps(r, separators=(',', ':')) for r in boot()))
    # one boot named n1c2 vs a baseline that also has n2c1 and bring-up rows: MISSING
    assert regress.main([str(log), '--topology', 'n1c2', '--baseline', bp]) == 1


@pytest.mark.parametrize('content', [
    '',                                         # empty
    'not json at all\n',                        # no records
    '{"topologies": ',                          # truncated JSON
    '{"schema":"numaboot-bench/1","topologies":[1,2]}',
    '{"schema":"numaboot-bench/1","topologies":{"n1c2":{"modes":[]}}}',
    '{"schema":"numaboot/1","kind":"result","status":"ok"}\n',   # a boot without meminit records
    '{"schema":"numaboot/1","kind":"meminit",\n',                # broken JSON line
])
def test_malformed_results_exit_2(files, tmp_path, content, capsys):
    _, bp = files(results())
    bad = tmp_path / 'bad.json'
    bad.write_text(content)
    assert regress.main([str(bad), '--baseline', bp]) == 2
    assert 'bad input' in capsys.readouterr().err


def test_missing_files_exit_2(files, tmp_path):
    rp, bp = files(results())
    assert regress.main([str(tmp_path / 'nope.json'), '--baseline', bp]) == 2
    assert regress.main([rp, '--baseline', str(tmp_path / 'nope.json')]) == 2
    (tmp_path / 'b.json').write_text('{"schema":"numaboot-baseline/1","rows":3}')
    assert regress.main([rp, '--baseline', str(tmp_path / 'b.json')]) == 2


def test_command_line_exit_status(files, tmp_path):
    rp, bp = files(results(speed=1.2))
    p = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'regress.py'), rp, '--baseline', bp,
                        '--report', str(tmp_path / 'r.md')], capture_output=True, text=True)
    assert p.returncode == 1 and 'overall: REGRESSED' in p.stdout
    assert (tmp_path / 'r.md').exists()


def test_committed_baseline_is_valid():
    path = os.path.join(ROOT, 'bench', 'baseline.json')
    if not os.path.exists(path):
        pytest.skip('no bench/baseline.json yet')
    rows, tol = regress.load_baseline(path)
    assert rows and set(tol) <= set(regress.DEFAULT_TOL)
    for name, r in rows.items():
        assert '/' in name
        assert all(r.get(f) is not False for f in regress.FACTS), name
