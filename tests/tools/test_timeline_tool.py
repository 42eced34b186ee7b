"""tools/timeline.py on a synthetic timeline record; harness errors exit 125."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import timeline  # noqa: E402

REC = {'schema': 'numaboot/1', 'kind': 'timeline', 'tsc_hz': 1000000000,
       'phases': [{'phase': 'firmware', 'start_us': 0, 'end_us': 5000000},
                  {'phase': 'kernel_main', 'start_us': 5000000, 'end_us': 5010000},
                  {'phase': 'meminit', 'sub': 'parallel', 'start_us': 5010000, 'end_us': 5030000},
                  {'phase': 'verdict', 'start_us': 5030000, 'end_us': 5030100}],
       'spans': [{'phase': 'meminit', 'sub': 'parallel', 'cpu': c, 'start_us': 5011000, 'end_us': 5020000 + c}
                 for c in (0, 1)], 'spans_dropped': 0}


def write_log(tmp_path):
    log = tmp_path / 'boot.log'
    log.write_text('BdsDxe: loading\nnumaboot: done: ok\n' + json.dumps(REC, separators=(',', ':')) + '\n')
    return log


def test_summary(tmp_path, capsys):
    assert timeline.main([str(write_log(tmp_path)), '--no-plot']) == 0
    out = capsys.readouterr().out
    assert 'meminit:parallel' in out and '5010.0' in out and '20.00' in out
    assert '  1  meminit:parallel              9.00' in out


def test_chart(tmp_path):
    pytest.importorskip('matplotlib')
    png = tmp_path / 'tl.png'
    assert timeline.main([str(write_log(tmp_path)), '-o', str(png)]) == 0
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_no_record_is_bad_input(tmp_path, capsys):
    (tmp_path / 'x.log').write_text('nothing here\n')
    assert timeline.main([str(tmp_path / 'x.log')]) == 4
    assert 'no "timeline" record' in capsys.readouterr().err


def test_unreadable_log_is_bad_input(tmp_path, capsys):
    assert timeline.main([str(tmp_path / 'missing.log'), '--no-plot']) == 4
    assert 'missing.log' in capsys.readouterr().err


@pytest.mark.parametrize('broken', [{'phases': 'x'}, {'phases': [{'phase': 'acpi'}]},
                                    {'spans': [{'cpu': 0}]}])
def test_malformed_record_is_bad_input(tmp_path, broken):
    log = tmp_path / 'boot.log'
    log.write_text(json.dumps({**REC, **broken}, separators=(',', ':')) + '\n')
    p = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'timeline.py'), str(log), '--no-plot'],
                       capture_output=True, text=True)
    assert p.returncode == 4 and 'malformed' in p.stderr and 'Traceback' not in p.stderr


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as e:
        timeline.main(['--no-such-option'])
    assert e.value.code == 2


@pytest.mark.parametrize('env,what', [({'QEMU': 'no-such-qemu'}, 'no-such-qemu'),
                                      ({'OVMF_CODE': '/nonexistent/code.fd'}, '/nonexistent/code.fd'),
                                      ({'OVMF_VARS': '/nonexistent/vars.fd'}, '/nonexistent/vars.fd')])
@pytest.mark.parametrize('tool', ['qemu_run.py', 'bench.py'])
def test_harness_errors_exit_125_naming_what_is_missing(env, what, tool):
    p = subprocess.run([os.path.join(ROOT, 'tools', tool), '--quick'] if tool == 'bench.py'
                       else [os.path.join(ROOT, 'tools', tool)], env={**os.environ, **env},
                       capture_output=True, text=True)
    assert p.returncode == 125
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and what in lines[0] and 'Traceback' not in p.stderr
