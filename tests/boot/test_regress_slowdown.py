"""The regression check against real boots: a kernel told to do each
chunk's initializer work 16 times (debug_init_repeat=16) must come out
REGRESSED against the committed baseline on the rows of the topology it
booted, and only those (the rows it did not boot are NOT RUN).  5 boots of
1 node x 2 vCPUs x 1 GiB: a 16-fold slowdown does not depend on timing noise."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import ROOT

MODES = ('serial', 'hop', 'node', 'parallel', 'deferred')


def test_deliberate_slowdown_regresses_only_its_rows(tmp_path):
    results = tmp_path / 'slow.json'
    bench = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'bench.py'), '--quick', '--only', 'n1c2',
                            '--repeat', '5', '--no-plot', '--opts',
                            'meminit=all debug_init_repeat=16', '--out', str(results)],
                           capture_output=True, text=True, timeout=900)
    assert bench.returncode == 0, bench.stderr[-3000:]
    assert '[5/5,' in bench.stderr                      # progress: boot N of M
    junit = tmp_path / 'regress.xml'
    p = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'regress.py'), str(results), '--json',
                        '--junit', str(junit)], capture_output=True, text=True)
    assert p.returncode == 1, p.stdout[-3000:] + p.stderr
    data = json.loads(p.stdout)
    assert data['overall'] == 'REGRESSED'
    rows = {r['row']: r for r in data['rows']}
    for mode in MODES:
        r = rows[f'n1c2/{mode}']
        ms = [m for m in r['metrics'] if m['metric'] == 'ms'][0]
        assert r['verdict'] == 'REGRESSED', r
        assert ms['verdict'] == 'REGRESSED' and ms['method'] == 'rank' and ms['n_current'] == 5, ms
    others = [n for n in rows if not n.startswith('n1c2/')]
    assert others and all(rows[n]['verdict'] == 'NOT RUN' for n in others)
    cases = ET.parse(junit).getroot().findall('.//testcase')
    assert len(cases) == len(rows)
    assert sum(c.find('failure') is not None for c in cases) == len(MODES)
