#!/usr/bin/env python3
"""Convert LAVA test results of numaboot jobs to the bench results format
that tools/regress.py judges (docs/lava.md).

  tools/lava_results.py JOB1 [JOB2 ...] --topology NAME [--vcpus N] [-o results.json]

Each JOB is one boot (one LAVA job) of the same machine class, given as
either the job log `lava-run` prints (one {"lvl": ..., "msg": ...} per line)
or the test list a LAVA server exports as JSON (REST
/api/v0.2/jobs/ID/tests/: objects with name, suite, result, measurement,
unit).  The test cases are the kernel's `lava=on` signals (include/lava.h):
meminit_<mode>_node<N> (ms), meminit_<mode>_node<N>_bw (fraction),
meminit_<mode> (ms), meminit_<mode>_speedup (x), numaboot_verdict.  The
jobs become the boots of one topology NAME, so several jobs give regress.py
the samples it needs (3 or more).  Exit status 0, 2 on unreadable input or
a job without numaboot test cases.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CASE = re.compile(r'^meminit_(?P<mode>[a-z]+?)(?:_node(?P<node>\d+))?(?:_(?P<what>bw|speedup))?$')


TAG = re.compile(r':\s*!\s*"')


class BadInput(Exception):
    pass


def results_from_log(text):
    """Test results [{name, suite, result, measurement, unit}] from a lava-run job log."""
    out = []
    for line in text.splitlines():
        if '"lvl": "results"' not in line:
            continue
        # YAML flow mappings; values may carry the non-specific tag `! "..."`
        line = TAG.sub(': "', line.lstrip('- '))
        try:
            msg = json.loads(line).get('msg') or {}
        except json.JSONDecodeError:
            continue
        out.append({'name': msg.get('case'), 'suite': msg.get('definition'), 'result': msg.get('result'),
                    'measurement': msg.get('measurement'), 'unit': msg.get('units')})
    return out


def job_completed(text):
    return any('"case": "job"' in l and '"result": "pass"' in l for l in text.splitlines())


def load(path):
    try:
        with open(path, errors='replace') as f:
            text = f.read()
    except OSError as exc:
        raise BadInput(f'{path}: {exc.strerror}')
    if text.lstrip().startswith('['):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f'{path}: not valid JSON ({exc})')
        return [{'name': d.get('name'), 'suite': d.get('suite'), 'result': d.get('result'),
                 'measurement': d.get('measurement'), 'unit': d.get('unit') or d.get('units')}
                for d in data if isinstance(d, dict)]
    return results_from_log(text)


def _f(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def records(results):
    """numaboot/1-like records (meminit, meminit_summary, result) of one job."""
    nodes, modes, verdict = {}, {}, None
    for r in results:
        name = r.get('name') or ''
        if name == 'numaboot_verdict':
            verdict = r.get('result')
            continue
        m = CASE.match(name)
        if not m:
            continue
        mode, node, what = m.group('mode'), m.group('node'), m.group('what')
        ok, val = r.get('result') == 'pass', _f(r.get('measurement'))
        if node is not None:
            n = nodes.setdefault((mode, int(node)), {'schema': 'numaboot/1', 'kind': 'meminit', 'mode': mode,
                                                     'node': int(node)})
            if what == 'bw':
                n['bw_fraction'] = val
            else:
                n['ns'] = int(val * 1e6) if val is not None else None
                n['verified'] = ok
        else:
            s = modes.setdefault(mode, {'schema': 'numaboot/1', 'kind': 'meminit_summary', 'mode': mode})
            if what == 'speedup':
                s['speedup_vs_serial'] = val
            else:
                s['ns'] = int(val * 1e6) if val is not None else None
                s['verified'] = s['checksums_equal'] = ok
    if not modes:
        raise BadInput('no numaboot meminit test cases (was the image booted with lava=on?)')
    recs = list(nodes.values()) + list(modes.values())
    recs.append({'schema': 'numaboot/1', 'kind': 'result',
                 'status': 'ok' if verdict == 'pass' else 'check_failed' if verdict else 'no verdict'})
    return recs


def to_bench(jobs, topology, vcpus=None, host_cpus=None):
    """Bench results dict with one topology whose boots are the jobs."""
    import bench
    boots = [records(j) for j in jobs]
    entry = bench.collect(boots)
    entry['boots'] = [{'status': [r for r in b if r['kind'] == 'result'][0]['status']} for b in boots]
    entry['vcpus'] = vcpus
    entry['source'] = 'LAVA'
    return {'schema': bench.SCHEMA, 'host': {'cpus': host_cpus}, 'topologies': {topology: entry},
            'bringup': [], 'repeat': len(jobs)}


def write_json(path, data):
    with open(path, 'w') as f:
        json.dump(data, f, indent=1)
        f.write('\n')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('jobs', nargs='+', help='lava-run job logs or LAVA test-list JSON exports, one per boot')
    p.add_argument('--topology', required=True, help='row name (the machine class)')
    p.add_argument('--vcpus', type=int, help='CPUs of the machine (with --host-cpus: emulator-bound rows)')
    p.add_argument('--host-cpus', type=int, help='host cores when the jobs ran on an emulator')
    p.add_argument('-o', '--out', default='-', help='output file (default stdout)')
    a = p.parse_args(argv)
    try:
        data = to_bench([load(j) for j in a.jobs], a.topology, a.vcpus, a.host_cpus)
    except BadInput as exc:
        print(f'lava_results: bad input: {exc}', file=sys.stderr)
        return 2
    if a.out == '-':
        print(json.dumps(data, indent=1))
    else:
        write_json(a.out, data)
        print(f'lava_results: {len(a.jobs)} job(s) -> {a.out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
