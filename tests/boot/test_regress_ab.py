"""The regression check in one A/B job against real boots (tools/regress.py
--ab, docs/regress.md): base and candidate booted alternately on this
runner, 1 node x 2 vCPUs x 1 GiB, every meminit mode, each mode run
meminit_rounds times per boot (the fastest reported: regress_ab.DEFAULT_OPTS),
SAMPLES boots a side: the count the power table of docs/regress.md ("The
boot tests") gives for these two verdicts at ALPHA.

  - the candidate slowed in ONE mode only by 30 % (debug_slow_pct=30
    debug_repeat_mode=parallel: every chunk of the parallel mode spins 30 %
    of its own time after it, every other mode as before) -> REGRESSED on
    n1c2/parallel (its fastest chunk against serial's, chunk_vs_serial, at
    least), PASS on every other row;
  - the same kernel on both sides -> PASS.

Both verdicts are statistical.  The tests judge at --alpha 0.01 (not the
default 0.05) so that `make test` fails on chance alone about 1 time in 100
per test instead of 1 in 20; their false-call and detection rates, measured
by tools/regress_power.py on this machine's spread, are in docs/regress.md
("The boot tests").  The kernel is the same file on both sides (--base-image):
building a second revision is tested in tests/tools/test_regress_ab_tool.py."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import MODES, ROOT

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import regress_ab  # noqa: E402

EFI = os.path.join(ROOT, 'build', 'numaboot.efi')
SLOW_ROW = 'n1c2/parallel'
SLOW = regress_ab.DEFAULT_OPTS + ' debug_slow_pct=30 debug_repeat_mode=parallel'
ALPHA = '0.01'
SAMPLES = 10        # docs/regress.md "The boot tests": enough for both verdicts at ALPHA


def ab(tmp_path, *extra):
    out = tmp_path / 'ab'
    p = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'regress.py'), '--ab', '--base-image', EFI,
                        '--only', 'n1c2', '--alpha', ALPHA, '--samples', str(SAMPLES), '--min-samples', str(SAMPLES),
                        '--json', '--junit', str(out / 'regress.xml'), '--out', str(out), *extra],
                       capture_output=True, text=True, timeout=1800)
    data = json.loads(p.stdout) if p.stdout.strip().startswith('{') else None
    return p, data, out


def test_ab_one_mode_slower_regresses_that_row_only(tmp_path):
    p, data, out = ab(tmp_path, '--candidate-opts', SLOW)
    assert p.returncode == 1, p.stdout[-3000:] + p.stderr[-3000:]
    n = SAMPLES
    assert f'[{2 * n}/{2 * n}] n1c2 candidate: ok' in p.stderr      # ABAB..., the last one B
    rows = {r['row']: r for r in data['rows']}
    assert set(rows) == {f'n1c2/{m}' for m in MODES}
    slow = rows[SLOW_ROW]
    assert slow['verdict'] == 'REGRESSED', slow
    assert [m['verdict'] for m in slow['metrics'] if m['metric'] == 'chunk_vs_serial'] == ['REGRESSED'], slow
    assert all(m['method'] == 'rank' and m['n_baseline'] == m['n_current'] == n for m in slow['metrics']), slow
    others = {k: r['verdict'] for k, r in rows.items() if k != SLOW_ROW}
    assert set(others.values()) == {'PASS'}, others
    cases = {(c.get('classname'), c.get('name')): c for c in ET.parse(out / 'regress.xml').getroot().iter('testcase')}
    assert any(c.find('failure') is not None for (cls, _), c in cases.items() if cls == 'regress.' + SLOW_ROW)
    assert not any(c.find('failure') is not None for (cls, _), c in cases.items() if cls != 'regress.' + SLOW_ROW)
    # both sides' boots are kept, in bench results format, with the options each side ran
    base = json.loads((out / 'base.json').read_text())
    cand = json.loads((out / 'candidate.json').read_text())
    assert base['opts'] == regress_ab.DEFAULT_OPTS and cand['opts'] == SLOW
    assert len(base['topologies']['n1c2']['boots']) == len(cand['topologies']['n1c2']['boots']) == n


def test_ab_same_kernel_passes(tmp_path):
    p, data, _ = ab(tmp_path)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert data['overall'] == 'PASS'
    assert {r['verdict'] for r in data['rows']} == {'PASS'}
    assert all(m['method'] == 'rank' for r in data['rows'] for m in r['metrics'])
