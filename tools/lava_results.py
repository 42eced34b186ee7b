#!/usr/bin/env python3
"""Convert LAVA test results of numaboot jobs to the bench results format
that tools/regress.py judges (docs/lava.md).

  tools/lava_results.py JOB1 [JOB2 ...] --topology NAME [--vcpus N] [-o results.json]
  tools/lava_results.py --server URL --job ID [--job ID ...] --topology NAME [--token-env VAR]

Each JOB is one boot (one LAVA job) of the same machine class, given as
the job log `lava-run` prints (one {"lvl": ..., "msg": ...} per line), the
test list a LAVA server exports as JSON (REST /api/v0.2/jobs/ID/tests/:
objects with name, suite, result, measurement, unit), a page of that list
as the REST API answers it ({"count", "next", "results": [...]}: refused
when `next` says pages are missing) or a JSON list of such pages.  With
--server the tool fetches each job's test list itself through the REST API,
following `next` until the last page.  The test cases are the kernel's `lava=on` signals (include/lava.h):
meminit_<mode>_node<N> (ms), meminit_<mode>_node<N>_bw (fraction),
meminit_<mode> (ms), meminit_<mode>_speedup (x), numaboot_verdict.  The
jobs become the boots of one topology NAME, so several jobs give regress.py
the samples it needs (docs/regress.md: 10 a side).  Exit status (docs/output.md):
0, 2 usage error, 4 unreadable input or a job without numaboot test cases,
125 the server cannot be reached or answers with an error.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CASE = re.compile(r'^meminit_(?P<mode>[a-z]+?)(?:_node(?P<node>\d+))?(?:_(?P<what>bw|speedup))?$')


TAG = re.compile(r':\s*!\s*"')


EXIT_USAGE, EXIT_BAD_INPUT, EXIT_HARNESS = 2, 4, 125
PAGE_LIMIT = 100            # tests asked for per REST page
MAX_PAGES = 1000            # a job with more is not numaboot's
HTTP_TIMEOUT = 30           # seconds per request


class BadInput(Exception):
    pass


class ServerError(Exception):
    pass


def _tests_of(data, path):
    """[{name, suite, result, measurement, unit}] from a JSON test list, a REST
    page or a list of pages."""
    if isinstance(data, dict):
        if not isinstance(data.get('results'), list):
            raise BadInput(f'{path}: a JSON object without a "results" list')
        if data.get('next'):
            raise BadInput(f'{path}: one page of {data.get("count")} tests, more at {data["next"]}: '
                           'give every page (a JSON list of pages) or use --server')
        data = data['results']
    elif isinstance(data, list) and data and all(isinstance(d, dict) and 'results' in d for d in data):
        if data[-1].get('next'):
            raise BadInput(f'{path}: the last page given says more follow at {data[-1]["next"]}')
        return [t for page in data for t in _tests_of(dict(page, next=None), path)]
    if not isinstance(data, list):
        raise BadInput(f'{path}: not a test list')
    return [{'name': d.get('name'), 'suite': d.get('suite'), 'result': d.get('result'),
             'measurement': d.get('measurement'), 'unit': d.get('unit') or d.get('units')}
            for d in data if isinstance(d, dict)]


def _get(url, token, accept='application/json'):
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url, headers={'Accept': accept})
    if token:
        req.add_header('Authorization', f'Token {token}')
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
            return r.read().decode(errors='replace')
    except urllib.error.HTTPError as exc:
        raise ServerError(f'{url}: HTTP {exc.code} {exc.reason}')
    except (urllib.error.URLError, OSError) as exc:
        raise ServerError(f'{url}: {getattr(exc, "reason", exc)}')


def fetch_tests(server, job, token=None, limit=PAGE_LIMIT):
    """The test list of one job from a LAVA server's REST API (v0.2), every
    page: GET /api/v0.2/jobs/JOB/tests/?limit=N, then each `next` URL.
    Cases the server did not store are taken from the job's log
    (/api/v0.2/jobs/JOB/logs/): lava-server 2023.01 drops a case without a
    measurement (the dispatcher logs the missing value as the string
    "null", not a number), which is numaboot_verdict's case."""
    url = f'{server.rstrip("/")}/api/v0.2/jobs/{job}/tests/?limit={limit}'
    out = []
    for _ in range(MAX_PAGES):
        try:
            page = json.loads(_get(url, token))
        except json.JSONDecodeError as exc:
            raise ServerError(f'{url}: not JSON ({exc})')
        if not isinstance(page, dict) or not isinstance(page.get('results'), list):
            raise ServerError(f'{url}: not a REST page (no "results" list)')
        out += _tests_of(dict(page, next=None), url)
        url = page.get('next')
        if not url:
            break
    else:
        raise ServerError(f'job {job}: more than {MAX_PAGES} pages of tests')
    if not any(t['name'] == 'numaboot_verdict' for t in out):
        log = _get(f'{server.rstrip("/")}/api/v0.2/jobs/{job}/logs/', token, '*/*')
        have = {t['name'] for t in out}
        out += [t for t in results_from_log(log) if t['name'] not in have and t['suite'] == 'numaboot']
    return out


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
    if text.lstrip().startswith('{'):       # a REST page, or a lava-run log (one object a line)
        try:
            return _tests_of(json.loads(text), path)
        except json.JSONDecodeError:
            return results_from_log(text)
    if text.lstrip().startswith('['):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f'{path}: not valid JSON ({exc})')
        return _tests_of(data, path)
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
    p.add_argument('jobs', nargs='*', help='lava-run job logs or LAVA test-list JSON exports, one per boot')
    p.add_argument('--server', metavar='URL', help='fetch the jobs\' tests from this LAVA server (REST API)')
    p.add_argument('--job', action='append', default=[], metavar='ID', help='with --server: a job id (repeat)')
    p.add_argument('--token-env', metavar='VAR', help='with --server: read an API token from this variable')
    p.add_argument('--topology', required=True, help='row name (the machine class)')
    p.add_argument('--vcpus', type=int, help='CPUs of the machine (with --host-cpus: emulator-bound rows)')
    p.add_argument('--host-cpus', type=int, help='host cores when the jobs ran on an emulator')
    p.add_argument('-o', '--out', default='-', help='output file (default stdout)')
    a = p.parse_args(argv)
    if bool(a.server) == bool(a.jobs) or bool(a.server) != bool(a.job):
        p.error('give job files, or --server URL with --job ID (not both)')
    try:
        if a.server:
            token = os.environ.get(a.token_env) if a.token_env else None
            jobs = [fetch_tests(a.server, j, token) for j in a.job]
        else:
            jobs = [load(j) for j in a.jobs]
        data = to_bench(jobs, a.topology, a.vcpus, a.host_cpus)
    except ServerError as exc:
        print(f'lava_results: server: {exc}', file=sys.stderr)
        return EXIT_HARNESS
    except BadInput as exc:
        print(f'lava_results: bad input: {exc}', file=sys.stderr)
        return EXIT_BAD_INPUT
    if a.out == '-':
        print(json.dumps(data, indent=1))
    else:
        write_json(a.out, data)
        print(f'lava_results: {len(a.jobs)} job(s) -> {a.out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
