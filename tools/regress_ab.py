"""A/B in one job for tools/regress.py --ab (`make regress BASE=<rev>`).

Who calls it: tools/regress.py (its --ab switches: add_arguments(), main()).

Builds the base revision (default: the merge base of HEAD with main) from
`git archive` into build/ab/base-<commit>/ and takes this tree's
build/numaboot.efi as the candidate, then boots them alternately A B A B ...
on this runner -- same topology, same options, same QEMU and OVMF -- and
judges the candidate's samples against the base's with the statistics of
tools/regress.py (docs/regress.md).  Drift of the runner over the job hits
both sides alike, and a slower or faster runner changes nothing: the two
sides are never from different machines.

Writes build/regress-ab/base.json and candidate.json (bench results format,
tools/bench.py) beside the verdict.  Exit status: regress.py's table
(docs/output.md); 125 when QEMU, OVMF, git or the base's build is missing
or fails.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regress_stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AB_DIR = os.path.join(ROOT, 'build', 'ab')
OUT_DIR = os.path.join(ROOT, 'build', 'regress-ab')
DEFAULT_ONLY = 'n1c2'
DEFAULT_OPTS = 'meminit=all meminit_rounds=5'   # bench.QUICK_ROUNDS: docs/regress.md, "Rounds"
AB_BRINGUP_CPUS = (1, 2)          # the bring-up rows the host's 2 cores measure (more vCPUs: INFO)
BRINGUP_OPTS = 'meminit=parallel bw_mb=0'


class HarnessFailure(Exception):
    """A dependency or the base's build is missing or failed (exit 125)."""


def add_arguments(p):
    import regress
    g = p.add_argument_group('A/B in one job (--ab)')
    g.add_argument('--ab', action='store_true', help='build --base, boot base and candidate ABAB, judge B vs A')
    g.add_argument('--base', metavar='REV', help='base revision (default: git merge-base HEAD main)')
    g.add_argument('--base-image', metavar='EFI', help='boot this kernel as the base instead of building --base')
    g.add_argument('--candidate-image', metavar='EFI', default=os.path.join(ROOT, 'build', 'numaboot.efi'),
                   help='the candidate kernel (default build/numaboot.efi: run make first)')
    g.add_argument('--samples', type=regress.samples_arg, default=regress_stats.DEFAULT_SAMPLES,
                   help=f'boots per side and topology (default {regress_stats.DEFAULT_SAMPLES}, '
                   'the power table of docs/regress.md)')
    g.add_argument('--only', type=only_arg, default=DEFAULT_ONLY,
                   help=f'comma list of topologies (tools/bench.py names) and "bringup" (default {DEFAULT_ONLY})')
    g.add_argument('--mem', type=regress._arg_type('mem', float, lambda v: v > 0, 'GiB > 0'), default=1.0,
                   help='GiB per node (default 1)')
    g.add_argument('--opts', default=DEFAULT_OPTS, help=f'kernel options of both sides (default "{DEFAULT_OPTS}")')
    g.add_argument('--candidate-opts', help='kernel options of the candidate only (default: --opts); a test aid')
    g.add_argument('--timeout', type=regress._arg_type('timeout', float, lambda v: v > 0, 'seconds > 0'),
                   default=300, help='seconds per boot')
    g.add_argument('--out', default=OUT_DIR, help=f'where base.json / candidate.json go (default {OUT_DIR})')


def only_arg(text):
    import argparse
    import bench
    names = [n for n in text.split(',') if n]
    bad = [n for n in names if n not in bench.MATRIX and n != 'bringup']
    if bad or not names:
        raise argparse.ArgumentTypeError(f'unknown topology {", ".join(bad) or text!r}; known: '
                                         f'{", ".join(bench.MATRIX)}, bringup')
    return names


def git(*args):
    p = subprocess.run(['git', '-C', ROOT, *args], capture_output=True, text=True)
    if p.returncode:
        raise HarnessFailure(f'git {" ".join(args)}: {p.stderr.strip() or p.returncode}')
    return p.stdout.strip()


def resolve_base(rev):
    """The base commit: REV, or the merge base of HEAD with main (origin/main)."""
    if rev:
        return git('rev-parse', '--verify', '--quiet', rev + '^{commit}')
    for ref in ('main', 'origin/main'):
        try:
            return git('merge-base', 'HEAD', ref)
        except HarnessFailure:
            continue
    raise HarnessFailure('no --base and no main branch to take the merge base with')


def export_tree(commit, dest):
    """The tree of commit into dest (git archive | tar): no worktree to clean up."""
    os.makedirs(dest, exist_ok=True)
    arch = subprocess.Popen(['git', '-C', ROOT, 'archive', '--format=tar', commit], stdout=subprocess.PIPE)
    tar = subprocess.run(['tar', '-x', '-C', dest], stdin=arch.stdout, capture_output=True)
    arch.stdout.close()
    if arch.wait() or tar.returncode:
        raise HarnessFailure(f'git archive {commit} | tar -x -C {dest} failed: {tar.stderr.decode()[-500:]}')


def build_base(commit, log):
    """build/ab/base-<commit>/build/numaboot.efi, built once per commit."""
    src = os.path.join(AB_DIR, f'base-{commit[:12]}')
    efi = os.path.join(src, 'build', 'numaboot.efi')
    if os.path.isfile(efi):
        log(f'ab: base {commit[:12]} already built: {efi}')
        return efi
    if not os.path.isfile(os.path.join(src, 'Makefile')):
        export_tree(commit, src)
    log(f'ab: building the base {commit[:12]} in {src}')
    p = subprocess.run(['make', '-C', src, '-j2', 'kernel'], capture_output=True, text=True,
                       env=dict(os.environ, NUMABOOT_NO_DEPS='1'))
    if p.returncode or not os.path.isfile(efi):
        raise HarnessFailure(f'the base {commit[:12]} did not build (make kernel in {src}): '
                             + (p.stdout + p.stderr)[-1500:])
    return efi


def boot_plan(only, mem):
    """[(name, Topology, opts-or-None, kind)]: the topologies of --only; bring-up rows boot with their own options."""
    import bench
    from qemu_run import Topology
    plan = []
    for name in only:
        if name == 'bringup':
            plan += [(f'bringup-{n}', Topology(1, n, [1]), BRINGUP_OPTS, 'bringup') for n in AB_BRINGUP_CPUS]
        else:
            plan.append((name, bench.MATRIX[name][0](mem), None, 'matrix'))
    return plan


def side_results(boots, plan, host, samples, opts):
    """A bench results dict (tools/bench.py format) of one side's boots."""
    import bench
    res = {'schema': bench.SCHEMA, 'host': host, 'repeat': samples, 'opts': opts, 'topologies': {}, 'bringup': []}
    for name, topo, _, kind in plan:
        recs = [b['records'] for b in boots[name]]
        runs = [{'status': b['status'], 'seconds': b['seconds']} for b in boots[name]]
        if kind == 'bringup':
            smp = [next((r for r in rs if r.get('kind') == 'smp'), None) for rs in recs]
            ns = [s['bringup_ns'] for s in smp if s and bench._num(s.get('bringup_ns'))]
            res['bringup'].append({'cpus': topo.total_cpus(), 'boots': runs, 'samples': {'bringup_ns': ns}})
            continue
        entry = bench.collect(recs)
        entry.update({'topology': bench.topo_dict(topo), 'vcpus': topo.total_cpus(), 'boots': runs})
        res['topologies'][name] = entry
    return res


def main(a):
    import json
    import bench
    import qemu_run
    import regress

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    try:
        qemu_run.check_harness(a.candidate_image)
        if a.base_image:
            base_efi, base_rev = os.path.abspath(a.base_image), f'image {a.base_image}'
            if not os.path.isfile(base_efi):
                raise HarnessFailure(f'--base-image {a.base_image} missing')
        else:
            commit = resolve_base(a.base)
            base_efi, base_rev = build_base(commit, log), commit
    except (HarnessFailure, qemu_run.HarnessError) as exc:
        log(f'regress: {exc}')
        return regress.EXIT_HARNESS
    cand_opts = a.candidate_opts if a.candidate_opts is not None else a.opts
    host = bench.host_identity()
    plan = boot_plan(a.only, a.mem)
    sides = (('base', base_efi, a.opts), ('candidate', a.candidate_image, cand_opts))
    boots = {s: {name: [] for name, *_ in plan} for s, _, _ in sides}
    total, done = len(plan) * a.samples * 2, 0
    log(f'ab: base {base_rev} vs candidate {a.candidate_image}: {a.samples} boots a side of '
        f'{", ".join(n for n, *_ in plan)}, alternating')
    for i in range(a.samples):
        for name, topo, own_opts, _ in plan:
            for side, efi, opts in sides:          # A then B, every round: ABAB...
                r = qemu_run.run(topo, own_opts or opts, timeout=a.timeout, image=efi)
                done += 1
                boots[side][name].append({'records': r.records, 'status': r.status, 'seconds': round(r.seconds, 1)})
                log(f'  [{done}/{total}] {name} {side}: {r.status} in {r.seconds:.1f} s')
    os.makedirs(a.out, exist_ok=True)
    res = {}
    for side, _, opts in sides:
        res[side] = side_results(boots[side], plan, host, a.samples, opts)
        res[side]['revision'] = base_rev if side == 'base' else 'candidate'
        with open(os.path.join(a.out, f'{side}.json'), 'w') as f:
            json.dump(res[side], f, indent=1)
    base_rows = regress.rows_from_bench(res['base'])
    cand_rows = regress.rows_from_bench(res['candidate'])
    st = regress._settings(a)
    rows, overall = regress.compare(base_rows, cand_rows, st, a.require_all)
    return regress.judge_and_report(a, rows, overall, st, os.path.join(a.out, 'candidate.json'),
                                    os.path.join(a.out, 'base.json') + f' ({base_rev})')
