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

from conftest import MODES, ROOT


@pytest.mark.skipif(not shutil.which('lava-run') or not shutil.which('mformat'),
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


SERVER_PKGS = ('lava-server', 'lava-worker', 'lavacli', 'pg_ctlcluster', 'gunicorn3', 'curl')


def test_lava_server_job_end_to_end(tmp_path):
    """A real LAVA lab on this machine (tools/lava/server.sh): lava-server with
    PostgreSQL, its scheduler, lava-worker and the server's own qemu.jinja2
    device; the job (OVMF and NUMA in its context) submitted with lavacli, run
    by the scheduler and the worker, its results fetched through the REST API
    in pages of 10 (tools/lava_submit.py) and read by tools/regress.py.
    In CI (CI=true, root, `tools/install-deps.sh --lava`) a server that cannot
    start FAILS with the reason; elsewhere a missing package or root skips."""
    missing = [t for t in SERVER_PKGS if not shutil.which(t)]
    why = (f'{", ".join(missing)} not installed (tools/install-deps.sh --lava)' if missing else
           'needs root (PostgreSQL, lava-server users)' if os.geteuid() else None)
    if why:
        if os.environ.get('CI') == 'true':
            pytest.fail('LAVA server test cannot run in CI: ' + why)
        pytest.skip(why)
    d = tmp_path / 'server'
    server = os.path.join(ROOT, 'tools', 'lava', 'server.sh')
    env = dict(os.environ, LAVA_PORT='8089')
    start = subprocess.run(['bash', server, 'start', str(d)], capture_output=True, text=True, timeout=600, env=env)
    try:
        assert start.returncode == 0, 'the LAVA server did not start:\n' + start.stdout + start.stderr
        url = start.stdout.strip().splitlines()[-1]
        out = tmp_path / 'out'
        p = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'lava_submit.py'), '--identity',
                            'numaboot-local', '--url', url, '--token-file', str(d / 'admin.token'), '--nodes', '2',
                            '--cpus', '1', '--mem', '1', '--page-limit', '10', '--out', str(out)],
                           capture_output=True, text=True, timeout=900)
        logs = ''.join(f'\n== {f.name}\n' + f.read_text(errors='replace')[-2000:] for f in (d / 'logs').glob('*.log'))
        assert p.returncode == 0, p.stdout + p.stderr + logs
        jobs = list(out.glob('job-*.json'))
        assert len(jobs) == 1
        tests = {t['name']: t for t in json.loads(jobs[0].read_text())}
        assert tests['numaboot_verdict']['result'] == 'pass'
        for mode in MODES:
            for node in (0, 1):
                t = tests[f'meminit_{mode}_node{node}']
                assert t['result'] == 'pass' and float(t['measurement']) > 0
        assert tests['job']['result'] == 'pass'                       # LAVA's own: the job completed
        res = json.loads((out / 'results.json').read_text())
        entry = res['topologies']['lava-qemu']
        assert set(entry['modes']) == set(MODES) and entry['boots'] == [{'status': 'ok'}]
        r = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'regress.py'), str(out / 'results.json'),
                            '--baseline', str(out / 'results.json')], capture_output=True, text=True)
        assert r.returncode == 5 and 'lava-qemu/parallel' in r.stdout and 'REGRESSED' not in r.stdout, r.stdout
    finally:
        subprocess.run(['bash', server, 'stop', str(d)], capture_output=True, timeout=120)
