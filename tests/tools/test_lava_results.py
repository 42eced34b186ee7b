"""tools/lava_results.py: LAVA results (lava-run job log, server JSON export) to bench results."""
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import lava_results  # noqa: E402
import regress  # noqa: E402

MODES = ('serial', 'hop', 'node', 'parallel', 'deferred')


def log_line(case, result, measurement=None, units=None):
    msg = {'case': case, 'definition': 'numaboot', 'extra': {'test_case_id': case}, 'level': '3.1',
           'result': result}
    if measurement is None:   # as lava-run writes a missing value: a YAML-tagged "null"
        return ('{"dt": "2026-12-01T13:19:31.0", "lvl": "results", "msg": ' + json.dumps(msg)[:-1] +
                ', "measurement": ! "null", "units": ! "null"}}')
    msg.update(measurement=str(measurement), units=units)
    return json.dumps({'dt': '2026-12-01T13:19:29.2', 'lvl': 'results', 'msg': msg})


def job_log(scale=1.0, verdict='pass', bad_node=None):
    lines = ['{"dt": "x", "lvl": "results", "msg": {"case": "file-download", "extra": {"size": ! "67108864"}}}',
             '{"dt": "x", "lvl": "target", "msg": "numaboot: kernel_main on the boot CPU"}']
    serial = 20.0 * scale
    for mode in MODES:
        f = 1.0 if mode == 'serial' else 1.6
        for node in (0, 1):
            ok = 'fail' if (mode, node) == bad_node else 'pass'
            lines.append(log_line(f'meminit_{mode}_node{node}', ok, round(serial / f / 2, 3), 'ms'))
            lines.append(log_line(f'meminit_{mode}_node{node}_bw', ok, 0.8, 'fraction'))
        ok = 'fail' if bad_node and bad_node[0] == mode else 'pass'
        lines.append(log_line(f'meminit_{mode}', ok, round(serial / f, 3), 'ms'))
        lines.append(log_line(f'meminit_{mode}_speedup', ok, f, 'x'))
    lines.append(log_line('numaboot_verdict', verdict))
    lines.append('{"dt": "x", "lvl": "results", "msg": {"case": "job", "definition": "lava", "result": "pass"}}')
    return '\n'.join(lines) + '\n'


def test_log_parses_and_converts(tmp_path):
    res = lava_results.results_from_log(job_log())
    names = {r['name'] for r in res}
    assert 'numaboot_verdict' in names and 'meminit_parallel_node1_bw' in names and 'job' in names
    assert lava_results.job_completed(job_log())
    data = lava_results.to_bench([res], 'rack-a', vcpus=64)
    e = data['topologies']['rack-a']
    assert e['boots'] == [{'status': 'ok'}] and e['vcpus'] == 64
    par = e['modes']['parallel']
    assert par['ms'] == pytest.approx(12.5) and par['summary']['speedup_vs_serial'] == pytest.approx(1.6)
    assert par['bw_fraction_min'] == pytest.approx(0.8) and par['verified'] and par['checksums_equal']
    assert e['modes']['hop']['speedup_vs_hop'] == pytest.approx(1.0)


def test_fleet_runs_judged_like_local_ones(tmp_path):
    """Ten jobs per side (the powered count, docs/regress.md): the rank test;
    a 3x slower fleet regresses."""
    base, slow = [], []
    for i in range(regress.DEFAULT_STATS['min_samples']):
        s = 1.0 + 0.01 * ((i * 7) % 10)
        (tmp_path / f'b{i}.log').write_text(job_log(s))
        (tmp_path / f's{i}.log').write_text(job_log(3 * s))
        base.append(str(tmp_path / f'b{i}.log'))
        slow.append(str(tmp_path / f's{i}.log'))
    assert lava_results.main(base + ['--topology', 'rack-a', '-o', str(tmp_path / 'base.json')]) == 0
    assert lava_results.main(slow + ['--topology', 'rack-a', '-o', str(tmp_path / 'slow.json')]) == 0
    assert regress.main([str(tmp_path / 'base.json'), '--baseline', str(tmp_path / 'base.json')]) == 0
    assert regress.main([str(tmp_path / 'slow.json'), '--baseline', str(tmp_path / 'base.json')]) == 1
    # three jobs a side are too few for a verdict: INCONCLUSIVE, not a guess
    assert lava_results.main(slow[:3] + ['--topology', 'rack-a', '-o', str(tmp_path / 's3.json')]) == 0
    assert lava_results.main(base[:3] + ['--topology', 'rack-a', '-o', str(tmp_path / 'b3.json')]) == 0
    assert regress.main([str(tmp_path / 's3.json'), '--baseline', str(tmp_path / 'b3.json')]) == 5


def test_server_json_export_and_failures(tmp_path):
    res = lava_results.results_from_log(job_log(verdict='fail', bad_node=('node', 1)))
    export = [{'name': r['name'], 'suite': r['suite'], 'result': r['result'], 'measurement': r['measurement'],
               'unit': r['unit'], 'job': '42'} for r in res]
    (tmp_path / 'tests.json').write_text(json.dumps(export))
    assert lava_results.main([str(tmp_path / 'tests.json'), '--topology', 't', '-o', str(tmp_path / 'r.json')]) == 0
    e = json.loads((tmp_path / 'r.json').read_text())['topologies']['t']
    assert e['boots'] == [{'status': 'check_failed'}] and e['modes']['node']['verified'] is False
    rows = regress.rows_from_bench(json.loads((tmp_path / 'r.json').read_text()))
    assert rows['t/node']['boot_ok'] is False


@pytest.mark.parametrize('content', ['', '[1, 2]', '[{"name": "boot", "result": "pass"}]', '[{"name": '])
def test_bad_input_exits_4(tmp_path, content, capsys):
    (tmp_path / 'x').write_text(content)
    assert lava_results.main([str(tmp_path / 'x'), '--topology', 't']) == 4
    assert 'bad input' in capsys.readouterr().err
    assert lava_results.main([str(tmp_path / 'missing'), '--topology', 't']) == 4
