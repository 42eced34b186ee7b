#!/usr/bin/env python3
"""Submit numaboot's QEMU job to a LAVA server with lavacli, wait for the
real scheduler and worker to run it, fetch its results through the REST
API (every page) and convert them for tools/regress.py (docs/lava.md).

  tools/lava_submit.py --identity numaboot-local --url http://127.0.0.1:8089 --token-file DIR/admin.token
                       [--nodes 2 --cpus 1 --mem 1] [--opts meminit=all] [--jobs 1] [--out DIR]

Builds the ESP (tools/lava_run.make_esp) and the job from
tools/lava/job-qemu.yaml with the machine in the job's context (OVMF,
NUMA: the server's own qemu.jinja2 renders them), submits it
(`lavacli jobs submit`), waits (`lavacli jobs wait`, bounded by --timeout),
then GET /api/v0.2/jobs/ID/tests/ page by page (tools/lava_results.py)
and writes DIR/job-ID.json (the test list) and DIR/results.json (bench
results format, one boot per job).  The ESP and the variables are file://
URLs: the worker must run on this machine (tools/lava/server.sh).

Exit status (docs/output.md): 0 every job Complete and every test case
passed, 1 a job Incomplete or a case failed, 2 usage, 125 lavacli missing or
the server unreachable, 124 a job not finished in --timeout.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lava_results  # noqa: E402
import lava_run  # noqa: E402
import qemu_run  # noqa: E402

ROOT = qemu_run.ROOT


def lavacli(identity, *args, timeout=120):
    p = subprocess.run(['lavacli', '-i', identity, *args], capture_output=True, text=True, timeout=timeout)
    if p.returncode:
        raise lava_results.ServerError(f'lavacli {" ".join(args)}: {(p.stderr or p.stdout).strip()[-800:]}')
    return p.stdout.strip()


def job_state(identity, job):
    """(state, health) of a job, from `lavacli jobs show --yaml`."""
    import yaml
    info = yaml.safe_load(lavacli(identity, 'jobs', 'show', str(job), '--yaml'))
    return info.get('state'), info.get('health')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--identity', required=True, help='lavacli identity (tools/lava/server.sh adds numaboot-local)')
    p.add_argument('--url', required=True, help='the server, for the REST API')
    p.add_argument('--token-file', help='API token (tools/lava/server.sh writes DIR/admin.token)')
    p.add_argument('--nodes', type=qemu_run.positive_int, default=2)
    p.add_argument('--cpus', type=qemu_run.positive_int, default=1, help='CPUs per node')
    p.add_argument('--mem', type=float, default=1, help='GiB per node')
    p.add_argument('--opts', default='meminit=all', help='kernel options (lava=on is added)')
    p.add_argument('--jobs', type=qemu_run.positive_int, default=1, help='jobs (boots) to run, one after another')
    p.add_argument('--topology', default='lava-qemu', help='row name in results.json')
    p.add_argument('--timeout', type=float, default=900, help='seconds per job')
    p.add_argument('--page-limit', type=qemu_run.positive_int, default=lava_results.PAGE_LIMIT,
                   help=f'tests per REST page (default {lava_results.PAGE_LIMIT})')
    p.add_argument('--out', default=os.path.join(ROOT, 'build', 'lava-server'))
    a = p.parse_args(argv)
    if not shutil.which('lavacli'):
        print('lava_submit: lavacli not found: tools/install-deps.sh --lava', file=sys.stderr)
        return 125
    try:
        qemu_run.check_harness()
    except qemu_run.HarnessError as exc:
        print(f'lava_submit: {exc}', file=sys.stderr)
        return 125
    token = open(a.token_file).read().strip() if a.token_file else None
    os.makedirs(a.out, exist_ok=True)
    topo = qemu_run.Topology(a.nodes, a.cpus, [a.mem] * a.nodes, prealloc=True)
    jobs, failed, incomplete = [], [], []
    lock = None
    try:
        for n in range(a.jobs):
            d = os.path.join(a.out, f'run{n}')
            os.makedirs(d, exist_ok=True)
            esp, vars_fd = os.path.join(d, 'esp.img'), os.path.join(d, 'ovmf-vars.fd')
            lava_run.make_esp(esp, qemu_run.IMAGE, a.opts + ' lava=on')
            shutil.copy(qemu_run.OVMF_VARS, vars_fd)
            os.chmod(d, 0o755)
            for f in (esp, vars_fd):
                os.chmod(f, 0o644)
            job_yaml = os.path.join(d, 'job.yaml')
            with open(job_yaml, 'w') as f:
                f.write(lava_run.render('job-qemu.yaml', lava_run.job_subst(esp, vars_fd, topo)))
            lock = qemu_run.qemu_lock()          # the worker's QEMU counts as ours
            job = lavacli(a.identity, 'jobs', 'submit', job_yaml).split()[-1]
            print(f'lava_submit: job {job} submitted ({n + 1}/{a.jobs})', file=sys.stderr, flush=True)
            t0 = time.monotonic()
            while True:
                state, health = job_state(a.identity, job)
                if state == 'Finished':
                    break
                if time.monotonic() - t0 > a.timeout:
                    lavacli(a.identity, 'jobs', 'cancel', job)
                    print(f'lava_submit: job {job} not finished in {a.timeout:.0f} s ({state}); cancelled',
                          file=sys.stderr)
                    return 124
                time.sleep(2)
            if lock:
                lock.close()
                lock = None
            print(f'lava_submit: job {job} {health} after {time.monotonic() - t0:.0f} s', file=sys.stderr)
            if health != 'Complete':
                incomplete.append(job)
            tests = lava_results.fetch_tests(a.url, job, token, a.page_limit)
            lava_results.write_json(os.path.join(a.out, f'job-{job}.json'), tests)
            jobs.append(tests)
            failed += [f'{job}:{t["name"]}' for t in tests if t.get('suite') != 'lava' and t.get('result') != 'pass']
        bench = lava_results.to_bench(jobs, a.topology, vcpus=topo.total_cpus(), host_cpus=os.cpu_count())
        lava_results.write_json(os.path.join(a.out, 'results.json'), bench)
    except (lava_results.ServerError, subprocess.TimeoutExpired) as exc:
        print(f'lava_submit: server: {exc}', file=sys.stderr)
        return 125
    except lava_results.BadInput as exc:
        print(f'lava_submit: {exc}', file=sys.stderr)
        return 1
    finally:
        if lock:
            lock.close()
    print(f'lava_submit: {len(jobs)} job(s), {len(incomplete)} incomplete, {len(failed)} failed case(s)'
          f'{": " + ", ".join(failed[:10]) if failed else ""}; results in {a.out}')
    return 1 if incomplete or failed else 0


if __name__ == '__main__':
    sys.exit(main())
