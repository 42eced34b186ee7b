"""tools/regress_power.py: the power simulation runs regress.compare() on
boots drawn from measured runs (no QEMU; synthetic runs here)."""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import regress_power  # noqa: E402
from test_regress import results  # noqa: E402


def run(tmp_path, capsys, *args):
    path = tmp_path / 'run.json'
    path.write_text(json.dumps(results(boots=10, jitter=(1.0, 1.03, 0.98, 1.01, 0.99, 1.02, 0.97, 1.04, 0.96, 1.0))))
    assert regress_power.main([str(path), *args]) == 0
    return capsys.readouterr().out


def cells(out, label):
    line = [l for l in out.splitlines() if l.startswith(label)][-1]     # the rates, after the spread table
    return [tuple(map(int, m)) for m in re.findall(r'(\d+)/(\d+)', line)]


def test_a_large_slowdown_is_found_and_unchanged_code_passes(tmp_path, capsys):
    out = run(tmp_path, capsys, '--only', 'n1c2', '--samples', '5,10', '--effects', '2', '--trials', '10',
              '--false-trials', '20', '--target', 'n1c2/node:ms')
    assert '`n1c2/node` ms' in out and 'sd(log)' in out
    five, ten = cells(out, '| `n1c2/node` ms | ')
    assert five == (0, 10)          # 5 boots a side: one figure alone can never be called
    assert ten == (10, 10)          # 10 a side, a 2x slowdown on a 2 % spread: every time
    assert all(hit <= 1 for hit, _ in cells(out, '| false calls |'))
    assert 'n2c1' not in out        # --only


def test_bad_arguments_are_usage_errors(tmp_path, capsys):
    import pytest
    with pytest.raises(SystemExit) as e:
        regress_power.main([str(tmp_path / 'x.json'), '--samples', '1'])
    assert e.value.code == 2
    assert regress_power.main([str(tmp_path / 'missing.json')]) == 4
