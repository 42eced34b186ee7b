#!/usr/bin/env python3
"""Power of tools/regress.py on this machine's measured spread (docs/regress.md "Power").

  tools/regress_power.py RUN.json [RUN.json ...] [--samples 5,10,15,20] [--effects 1.1,1.25,1.5,2]
                         [--trials 40] [--false-trials 200] [--target n1c2/node:ms]
                         [--only n1c2] [--alpha 0.05]

Each RUN.json is a tools/bench.py results file of unchanged code (several
boots per topology).  Every boot of a topology is a vector of its figures
(ms, speedups, bandwidth fraction of every mode, or the bring-up time); the
simulation draws whole boots with replacement from these (so the figures
of one boot keep their correlation), each figure scaled by its own median
and smoothed by a small log-normal jitter (a fifth of the figure's spread,
so that resampled boots do not tie), and runs them through
tools/regress.py's own comparison (regress.compare(): rank test, family,
bootstrap):

  - unchanged code: A and B drawn alike; a false call is any REGRESSED row;
  - one figure E times worse: B's target figure alone multiplied by E
    (times) or divided by E (speedups, bandwidth); detected when that
    figure's row is REGRESSED.

Prints the measured spread per figure (standard deviation of log values),
the false-call rate per sample count, and the detection rate per target
figure, effect and sample count, as Markdown tables.  Seeded: the same
inputs give the same tables.
"""
import argparse
import math
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regress  # noqa: E402

SEED = 17


def boot_vectors(paths, only=None):
    """{topology: [ {(row, metric): value}, ... one per boot ]} from bench results files."""
    import json
    out = {}
    for path in paths:
        with open(path) as f:
            res = json.load(f)
        rows = regress.rows_from_bench(res)
        host = (res.get('host') or {}).get('cpus')
        for name, r in rows.items():
            if host and r.get('vcpus') and r['vcpus'] > host:
                continue            # INFO rows are never judged
            topo = name.split('/')[0] if not name.startswith('bringup/') else name
            if only and topo.split('/')[0] not in only:
                continue
            for metric, vals in r['samples'].items():
                for i, v in enumerate(vals):
                    key = (topo, path)
                    boots = out.setdefault(key, [])
                    while len(boots) <= i:
                        boots.append({})
                    boots[i][(name, metric)] = v
    pooled = {}
    for (topo, _), boots in out.items():
        pooled.setdefault(topo, []).extend(b for b in boots if b)
    return pooled


def spreads(pooled):
    """{(row, metric): (median, sd of log, n)} over every boot."""
    vals = {}
    for boots in pooled.values():
        for b in boots:
            for k, v in b.items():
                vals.setdefault(k, []).append(v)
    out = {}
    for k, v in vals.items():
        pos = [x for x in v if x > 0]
        sd = statistics.stdev(math.log(x) for x in pos) if len(pos) > 2 else 0.0
        out[k] = (statistics.median(v), sd, len(v))
    return out


def draw(rng, pooled, spread, n, target=None, effect=1.0):
    """{row: {'samples': {metric: [n values]}, facts}} drawn boot by boot."""
    rows = {}
    for topo, boots in pooled.items():
        for _ in range(n):
            b = rng.choice(boots)
            for (row, metric), v in b.items():
                sd = spread[(row, metric)][1]
                if v > 0 and sd > 0:
                    v *= math.exp(rng.gauss(0, sd / 5))
                if target == (row, metric):
                    v = v * effect if not regress.METRICS[metric][1] else v / effect
                r = rows.setdefault(row, {'samples': {}, 'verified': True, 'checksums_equal': True,
                                          'boot_ok': True})
                r['samples'].setdefault(metric, []).append(v)
    return rows


def one_comparison(rng, pooled, spread, n, target=None, effect=1.0, alpha=regress.DEFAULT_STATS['alpha']):
    a = draw(rng, pooled, spread, n)
    b = draw(rng, pooled, spread, n, target, effect)
    st = dict(regress.DEFAULT_STATS, min_samples=min(n, regress.DEFAULT_STATS['min_samples']),
              lazy_interval=True, alpha=alpha)
    rows, _ = regress.compare(a, b, st)
    return {r['row']: r['verdict'] for r in rows}


def _list_of(conv, ok, what):
    """argparse type: a comma list of conv(item) with ok(item), else a usage error (exit 2)."""
    def parse(text):
        try:
            vals = [conv(x) for x in text.split(',') if x]
        except ValueError:
            vals = []
        if not vals or not all(ok(v) for v in vals):
            raise argparse.ArgumentTypeError(f'{text!r} is not a comma list of {what}')
        return vals
    return parse


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('runs', nargs='+', help='tools/bench.py results files of unchanged code')
    p.add_argument('--samples', type=_list_of(int, lambda v: v >= 2, 'whole numbers >= 2'), default='5,10,15,20')
    p.add_argument('--effects', type=_list_of(float, lambda v: v > 0, 'factors > 0'), default='1.1,1.25,1.5,2')
    p.add_argument('--trials', type=regress.samples_arg, default=40, help='comparisons per target, effect and sample count')
    p.add_argument('--false-trials', type=regress.samples_arg, default=200,
                   help='comparisons of unchanged code per sample count')
    p.add_argument('--target', action='append', default=[], metavar='ROW:METRIC',
                   help='figures to slow (default: every ms and bringup_ms figure)')
    p.add_argument('--only', default='', help='comma list of topologies (and bringup) to keep from the runs')
    p.add_argument('--alpha', type=regress.alpha_arg, default=regress.DEFAULT_STATS['alpha'])
    a = p.parse_args(argv)
    ns, effects = a.samples, a.effects
    try:
        pooled = boot_vectors(a.runs, set(filter(None, a.only.split(','))))
    except (OSError, ValueError, regress.BadInput) as exc:
        print(f'regress_power: {exc}', file=sys.stderr)
        return regress.EXIT_BAD_INPUT
    spread = spreads(pooled)
    targets = [tuple(t.split(':')) for t in a.target] or \
        sorted(k for k in spread if k[1] in ('ms', 'chunk_ms_per_gib', 'chunk_vs_serial', 'bringup_ms') and spread[k][0] > 0)
    print(f'`tools/regress_power.py {" ".join(argv if argv is not None else sys.argv[1:])}`\n')
    print('## Measured spread (sd of log values, pooled boots)\n')
    print('| figure | median | sd(log) | boots |\n|---|---|---|---|')
    for k in sorted(spread):
        med, sd, cnt = spread[k]
        print(f'| `{k[0]}` {k[1]} | {med:.3g} | {sd:.3f} | {cnt} |')
    rng = random.Random(SEED)
    print('\n## Unchanged code: false calls (any row REGRESSED)\n')
    print('| boots a side | ' + ' | '.join(str(n) for n in ns) + ' |\n|---|' + '---|' * len(ns))
    cells = []
    for n in ns:
        bad = sum(any(v == 'REGRESSED' for v in one_comparison(rng, pooled, spread, n, alpha=a.alpha).values())
                  for _ in range(a.false_trials))
        cells.append(f'{bad}/{a.false_trials}')
    print('| false calls | ' + ' | '.join(cells) + ' |')
    print('\n## One figure E times worse: its row REGRESSED\n')
    print('| figure | sd(log) | E | ' + ' | '.join(f'n={n}' for n in ns) + ' |\n|---|---|---|' + '---|' * len(ns))
    for t in targets:
        for e in effects:
            cells = []
            for n in ns:
                hit = sum(one_comparison(rng, pooled, spread, n, t, e, a.alpha).get(t[0]) == 'REGRESSED'
                          for _ in range(a.trials))
                cells.append(f'{hit}/{a.trials}')
            print(f'| `{t[0]}` {t[1]} | {spread[t][1]:.3f} | {e:g} | ' + ' | '.join(cells) + ' |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
