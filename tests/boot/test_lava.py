"""The LAVA job end to end: lava-run (Debian lava-dispatcher) boots the
image on the QEMU device of tools/lava/, its monitor turns the kernel's
lava=on signals into test results, and tools/lava_results.py turns those
into rows regress.py judges.  Needs lava-dispatcher and mtools
(`tools/install-deps.sh --lava`, as .ci/run does); lava-run runs as root."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

MODES = ('serial', 'hop', 'node', 'parallel', 'deferred')

pytestmark = pytest.mark.skipif(not shutil.which('lava-run') or not shutil.which('mformat'),
                                reason='lava-dispatcher / mtools not installed: tools/install-deps.sh --lava')


def test_lava_job_on_qemu(tmp_path):
    out = tmp_path / 'lava'
    p = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'lava_run.py'), '--nodes', '2', '--cpus', '1',
                        '--mem', '1', '--out', str(out)], capture_output=True, text=True, timeout=900)
    log = (out / 'lava.log').read_text() if (out / 'lava.log').exists() else ''
    assert p.returncode == 0, p.stdout + p.stderr + log[-4000:]
    assert '"lvl": "results", "msg": {"case": "job", "definition": "lava", "result": "pass"}' in log
    tests = {t['name']: t for t in json.loads((out / 'tests.json').read_text()) if t['suite'] == 'numaboot'}
    assert tests['numaboot_verdict']['result'] == 'pass'
    for mode in MODES:
        for node in (0, 1):
            t = tests[f'meminit_{mode}_node{node}']
            assert t['result'] == 'pass' and t['unit'] == 'ms' and float(t['measurement']) > 0
        assert tests[f'meminit_{mode}']['result'] == 'pass'
    assert float(tests['meminit_serial_speedup']['measurement']) == 1.0
    res = json.loads((out / 'results.json').read_text())
    entry = res['topologies']['lava-qemu']
    assert set(entry['modes']) == set(MODES) and entry['boots'] == [{'status': 'ok'}]
    assert all(m['verified'] and m['checksums_equal'] for m in entry['modes'].values())
    # regress.py reads the LAVA run like a local one: against itself, one job
    # a side, every figure shown, too few samples for a verdict: INCONCLUSIVE
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'regress.py'), str(out / 'results.json'),
                        '--baseline', str(out / 'results.json')], capture_output=True, text=True)
    assert r.returncode == 5 and 'overall: INCONCLUSIVE' in r.stdout, r.stdout + r.stderr
    assert 'REGRESSED' not in r.stdout and 'lava-qemu/parallel' in r.stdout
