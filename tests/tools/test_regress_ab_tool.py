"""tools/regress.py --ab without QEMU: the base revision exported and
resolved, the boots interleaved A B A B on the same topology and options,
and the verdict of the candidate against the base (qemu_run.run replaced
by synthetic boots)."""
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import qemu_run  # noqa: E402
import regress  # noqa: E402
import regress_ab  # noqa: E402
from test_regress import boot  # noqa: E402


def git(*args):
    return subprocess.run(['git', '-C', ROOT, *args], capture_output=True, text=True, check=True).stdout.strip()


def test_resolve_and_export_the_base(tmp_path):
    head = git('rev-parse', 'HEAD')
    assert regress_ab.resolve_base('HEAD') == head
    with pytest.raises(regress_ab.HarnessFailure):
        regress_ab.resolve_base('no-such-revision-anywhere')
    regress_ab.export_tree(head, str(tmp_path / 'src'))
    assert (tmp_path / 'src' / 'Makefile').read_text() == git('show', 'HEAD:Makefile') + '\n'


@pytest.fixture
def fake_boots(monkeypatch):
    """qemu_run.run replaced: the candidate's image boots `slow` times slower in node mode."""
    calls = []

    def run(topo, opts, timeout=300, image=None, **kw):
        calls.append((image, opts, topo))
        jitter = 1 + 0.01 * (len(calls) % 7)
        recs = boot(serial_ns=400e6 * jitter)
        if 'debug_repeat_mode=node' in opts:
            for r in recs:
                if r.get('mode') == 'node':
                    r['ns'] *= 2
        return SimpleNamespace(records=recs, status='ok', seconds=1.0)
    monkeypatch.setattr(qemu_run, 'check_harness', lambda image=None: None)
    monkeypatch.setattr(qemu_run, 'run', run)
    return calls


def test_ab_boots_alternately_and_judges_b_against_a(fake_boots, tmp_path, capsys):
    out = tmp_path / 'ab'
    rc = regress.main(['--ab', '--base-image', __file__, '--candidate-image', __file__, '--only', 'n1c2',
                       '--candidate-opts', 'meminit=all debug_init_repeat=2 debug_repeat_mode=node',
                       '--out', str(out), '--json'])
    assert rc == regress.EXIT_REGRESSED
    n = regress.DEFAULT_STATS['min_samples']
    assert len(fake_boots) == 2 * n
    assert [o for _, o, _ in fake_boots[:4]] == [regress_ab.DEFAULT_OPTS, 'meminit=all debug_init_repeat=2 debug_repeat_mode=node'] * 2
    assert all(t == fake_boots[0][2] for _, _, t in fake_boots)          # one topology for both sides
    rows = {r['row']: r['verdict'] for r in json.loads(capsys.readouterr().out)['rows']}
    assert rows.pop('n1c2/node') == 'REGRESSED' and set(rows.values()) == {'PASS'}
    base = json.loads((out / 'base.json').read_text())
    assert base['repeat'] == n and base['revision'] == f'image {__file__}'


def test_ab_missing_base_build_is_125(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(qemu_run, 'check_harness', lambda image=None: None)
    assert regress.main(['--ab', '--base', 'no-such-revision-anywhere', '--out', str(tmp_path)]) == 125
    assert 'no-such-revision-anywhere' in capsys.readouterr().err
