#!/usr/bin/env python3
"""Boot-time regression check for CI.

  tools/regress.py RESULTS [--baseline bench/baseline.json] [--report report.md]
  tools/regress.py RESULTS --update-baseline        # write RESULTS' figures as the baseline

RESULTS is either build/bench/results.json (tools/bench.py) or the output of
one boot (a serial log or the JSON lines of `tools/qemu_run.py --json`; its
rows are named after --topology, default `boot`).  The baseline is
bench/baseline.json (or any bench results.json).

Rows are `topology/mode` (and `bringup/N`).  Per row:
  - correctness facts are hard failures, never tolerances: the mode verified,
    checksums equal across modes, the boot ended `ok`  -> FAILED;
  - ratios (speedup_vs_serial, speedup_vs_hop, bw_fraction: stable on a shared, noisy
    machine) are compared with a narrow relative tolerance (--ratio-tol);
  - absolute figures (ms, bring-up ms) with a wide one (--abs-tol: 1.0 lets
    a time double before it counts);
  - a row of the baseline missing from the results is MISSING (a regression);
    a row only in the results is NEW (informational).
Verdict per row and overall: PASS, IMPROVED, REGRESSED (FAILED/MISSING count
as regressions).  Exit status: 0 pass/improved, 1 regression, 2 bad input.
"""
import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, 'bench', 'baseline.json')
BASELINE_SCHEMA = 'numaboot-baseline/1'
BENCH_SCHEMA = 'numaboot-bench/1'

# metric -> (class, higher is better)
METRICS = {
    'speedup_vs_serial': ('ratio', True),
    'speedup_vs_hop': ('ratio', True),
    'bw_fraction': ('ratio', True),
    'ms': ('absolute', False),
    'bringup_ms': ('absolute', False),
}
FACTS = ('verified', 'checksums_equal', 'boot_ok')
DEFAULT_TOL = {'ratio': 0.15, 'absolute': 1.0}
ORDER = {'FAILED': 0, 'REGRESSED': 1, 'MISSING': 2, 'IMPROVED': 3, 'NEW': 4, 'PASS': 5}


class BadInput(Exception):
    pass


# ---------------------------------------------------------------- loading

def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def rows_from_bench(results):
    """{row: {metric or fact: value}} from a bench results dict."""
    if not isinstance(results, dict) or not isinstance(results.get('topologies'), dict):
        raise BadInput('not a bench results file: no "topologies" object')
    rows = {}
    for name, e in results['topologies'].items():
        if not isinstance(e, dict):
            raise BadInput(f'topology {name!r} is not an object')
        boots = e.get('boots') or []
        boot_ok = all(b.get('status') == 'ok' for b in boots) if boots else \
            all(s == 'ok' for s in e.get('result_status', ['ok']))
        modes = e.get('modes', {})
        if not isinstance(modes, dict):
            raise BadInput(f'topology {name!r}: "modes" is not an object')
        if not modes:
            rows[f'{name}/-'] = {'boot_ok': False, 'note': e.get('error', 'no meminit records')}
            continue
        for mode, m in modes.items():
            if not isinstance(m, dict):
                raise BadInput(f'{name}/{mode} is not an object')
            s = m.get('summary') or {}
            r = {'verified': m.get('verified'), 'checksums_equal': m.get('checksums_equal'),
                 'boot_ok': boot_ok,
                 'ms': _num(m.get('ms')) if _num(m.get('ms')) is not None else
                 (_num(s.get('ns')) / 1e6 if _num(s.get('ns')) is not None else None),
                 'bw_fraction': _num(m.get('bw_fraction_min'))}
            if mode != 'serial':
                r['speedup_vs_serial'] = _num(s.get('speedup_vs_serial'))
            if mode not in ('serial', 'hop'):
                r['speedup_vs_hop'] = _num(m.get('speedup_vs_hop'))
            rows[f'{name}/{mode}'] = r
    for b in results.get('bringup') or []:
        if not isinstance(b, dict) or 'cpus' not in b:
            raise BadInput('bad "bringup" entry')
        ns = _num(b.get('bringup_ns'))
        rows[f'bringup/{b["cpus"]}'] = {
            'bringup_ms': ns / 1e6 if ns is not None else None,
            'boot_ok': all(x.get('status') == 'ok' for x in b.get('boots', [])) and ns is not None}
    return rows


def rows_from_records(records, topology):
    import bench
    entry = bench.collect([records])
    if not entry['modes']:
        raise BadInput('no meminit / meminit_summary records in the boot output')
    status = entry['result_status']
    entry['boots'] = [{'status': status[-1] if status else 'no result record'}]
    return rows_from_bench({'topologies': {topology: entry}})


def load_results(path, topology='boot'):
    """Rows from a bench results file or the output of one boot."""
    try:
        with open(path, errors='replace') as f:
            text = f.read()
    except OSError as exc:
        raise BadInput(f'{path}: {exc.strerror}')
    stripped = text.lstrip()
    if stripped.startswith('{') and '"schema":"numaboot/' not in stripped[:200].replace(' ', ''):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f'{path}: not valid JSON ({exc})')
        if data.get('schema') == BASELINE_SCHEMA:
            return _baseline_rows(data, path)
        return rows_from_bench(data)
    import qemu_run
    records = qemu_run.parse_records(text)
    if not records:
        raise BadInput(f'{path}: neither a bench results file nor numaboot JSON lines')
    if any(r.get('kind') == 'unparsable' for r in records):
        raise BadInput(f'{path}: unparsable numaboot JSON line(s)')
    return rows_from_records(records, topology)


def _baseline_rows(data, path):
    rows = data.get('rows')
    if not isinstance(rows, dict) or not all(isinstance(v, dict) for v in rows.values()):
        raise BadInput(f'{path}: baseline has no "rows" object')
    return rows


def load_baseline(path):
    """(rows, tolerance dict) from a baseline file (or a bench results file)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as exc:
        raise BadInput(f'baseline {path}: {exc.strerror}')
    except json.JSONDecodeError as exc:
        raise BadInput(f'baseline {path}: not valid JSON ({exc})')
    if not isinstance(data, dict):
        raise BadInput(f'baseline {path}: not a JSON object')
    if data.get('schema') == BASELINE_SCHEMA:
        return _baseline_rows(data, path), dict(data.get('tolerance') or {})
    return rows_from_bench(data), {}


def make_baseline(rows, source, tolerance):
    keep = {}
    for name, r in rows.items():
        keep[name] = {k: (round(v, 4) if isinstance(v, float) else v)
                      for k, v in r.items() if k in METRICS or k in FACTS}
    return {'schema': BASELINE_SCHEMA, 'source': source,
            'created': datetime.datetime.now().isoformat(timespec='seconds'),
            'tolerance': tolerance, 'rows': keep}


# ---------------------------------------------------------------- comparing

def compare_metric(metric, base, cur, tol):
    """('PASS'|'REGRESSED'|'IMPROVED'|None, change) for one metric.  None: not compared."""
    if base is None:
        return None, None
    if cur is None:
        return 'REGRESSED', None
    cls, higher = METRICS[metric]
    t = tol[cls]
    if base == 0:
        return 'PASS', None
    change = cur / base - 1
    if cls == 'ratio':
        worse, better = (change < -t, change > t) if higher else (change > t, change < -t)
    else:   # absolute: a factor of (1 + t) either way
        f = cur / base if cur else float('inf')
        worse, better = (f < 1 / (1 + t), f > 1 + t) if higher else (f > 1 + t, f < 1 / (1 + t))
    return ('REGRESSED' if worse else 'IMPROVED' if better else 'PASS'), change


def compare(base_rows, cur_rows, tol):
    """List of row verdicts and the overall verdict."""
    out = []
    for name in list(base_rows) + [n for n in cur_rows if n not in base_rows]:
        b, c = base_rows.get(name), cur_rows.get(name)
        row = {'row': name, 'metrics': [], 'notes': []}
        if c is None:
            row['verdict'] = 'MISSING'
            row['notes'].append('in the baseline, not in the results')
            out.append(row)
            continue
        failed = [f for f in FACTS if c.get(f) is False]
        if failed:
            row['notes'].append('correctness: ' + ', '.join(f'{f} is false' for f in failed))
        if c.get('note'):
            row['notes'].append(c['note'])
        verdicts = []
        for m in METRICS:
            bv = b.get(m) if b else None
            cv = c.get(m)
            if bv is None and cv is None:
                continue
            v, change = compare_metric(m, bv, cv, tol)
            row['metrics'].append({'metric': m, 'class': METRICS[m][0], 'baseline': bv, 'current': cv,
                                   'change': change, 'verdict': v or 'NEW'})
            if v:
                verdicts.append(v)
        if failed:
            row['verdict'] = 'FAILED'
        elif b is None:
            row['verdict'] = 'NEW'
        elif 'REGRESSED' in verdicts:
            row['verdict'] = 'REGRESSED'
        elif 'IMPROVED' in verdicts:
            row['verdict'] = 'IMPROVED'
        else:
            row['verdict'] = 'PASS'
        out.append(row)
    vs = {r['verdict'] for r in out}
    if vs & {'FAILED', 'REGRESSED', 'MISSING'}:
        overall = 'REGRESSED'
    elif 'IMPROVED' in vs:
        overall = 'IMPROVED'
    else:
        overall = 'PASS'
    return out, overall


# ---------------------------------------------------------------- reporting

def _f(v, metric=None):
    if v is None:
        return '-'
    if isinstance(v, bool):
        return 'yes' if v else 'no'
    if metric == 'bw_fraction':
        return f'{v:.0%}'
    if metric in ('speedup_vs_serial', 'speedup_vs_hop'):
        return f'{v:.2f}x'
    return f'{v:.1f}'


def _metric_text(m):
    ch = '' if m['change'] is None else f" ({m['change']:+.0%})"
    flag = '' if m['verdict'] == 'PASS' else f" **{m['verdict']}**"
    return f"{m['metric']} {_f(m['baseline'], m['metric'])} -> {_f(m['current'], m['metric'])}{ch}{flag}"


def markdown(rows, overall, tol, results_path, baseline_path):
    n = {}
    for r in rows:
        n[r['verdict']] = n.get(r['verdict'], 0) + 1
    lines = [f'# numaboot boot-time regression check: {overall}', '',
             f'- results: `{results_path}`', f'- baseline: `{baseline_path}`',
             f"- tolerance: ratios ±{tol['ratio']:.0%} (speedup vs serial, fraction of store bandwidth); "
             f"absolute times x{1 + tol['absolute']:.2g} either way; correctness (verified, checksums equal, "
             f"boot ok) is never tolerated",
             '- rows: ' + ', '.join(f'{k} {v}' for k, v in sorted(n.items(), key=lambda kv: ORDER[kv[0]])),
             '', '| row | verdict | figures (baseline -> current) | notes |', '|---|---|---|---|']
    for r in sorted(rows, key=lambda r: (ORDER[r['verdict']], r['row'])):
        figs = '; '.join(_metric_text(m) for m in r['metrics']) or '-'
        lines.append(f"| `{r['row']}` | {r['verdict']} | {figs} | {'; '.join(r['notes'])} |")
    return '\n'.join(lines) + '\n'


def text_summary(rows, overall):
    w = max([len(r['row']) for r in rows] + [3])
    out = []
    for r in sorted(rows, key=lambda r: (ORDER[r['verdict']], r['row'])):
        figs = '; '.join(_metric_text(m).replace('**', '') for m in r['metrics'])
        notes = ('  [' + '; '.join(r['notes']) + ']') if r['notes'] else ''
        out.append(f"{r['row']:<{w}}  {r['verdict']:<9}  {figs}{notes}")
    out.append(f'overall: {overall}')
    return '\n'.join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('results', help='bench results.json, or one boot\'s serial log / JSON lines')
    p.add_argument('--baseline', default=BASELINE)
    p.add_argument('--report', help='write the Markdown report here')
    p.add_argument('--topology', default='boot', help='row name for a single boot\'s output')
    p.add_argument('--ratio-tol', type=float, help=f'relative tolerance of ratios (default {DEFAULT_TOL["ratio"]})')
    p.add_argument('--abs-tol', type=float,
                   help=f'absolute figures may change by a factor 1+T (default {DEFAULT_TOL["absolute"]})')
    p.add_argument('--update-baseline', action='store_true', help='write the results as the new baseline')
    p.add_argument('--json', action='store_true', help='print the verdicts as JSON')
    a = p.parse_args(argv)
    try:
        cur = load_results(a.results, a.topology)
        if a.update_baseline:
            bad = [n for n, r in cur.items() if any(r.get(f) is False for f in FACTS)]
            if bad:
                print('regress: not writing a baseline from results that failed correctness: ' + ', '.join(bad),
                      file=sys.stderr)
                return 1
            tol = dict(DEFAULT_TOL)
            if a.ratio_tol is not None:
                tol['ratio'] = a.ratio_tol
            if a.abs_tol is not None:
                tol['absolute'] = a.abs_tol
            os.makedirs(os.path.dirname(os.path.abspath(a.baseline)), exist_ok=True)
            with open(a.baseline, 'w') as f:
                json.dump(make_baseline(cur, os.path.relpath(a.results, ROOT), tol), f, indent=1, sort_keys=True)
                f.write('\n')
            print(f'regress: wrote {len(cur)} rows to {a.baseline}')
            return 0
        base, btol = load_baseline(a.baseline)
    except BadInput as exc:
        print(f'regress: bad input: {exc}', file=sys.stderr)
        return 2
    tol = dict(DEFAULT_TOL)
    tol.update({k: v for k, v in btol.items() if k in tol and isinstance(v, (int, float))})
    if a.ratio_tol is not None:
        tol['ratio'] = a.ratio_tol
    if a.abs_tol is not None:
        tol['absolute'] = a.abs_tol
    rows, overall = compare(base, cur, tol)
    if a.json:
        print(json.dumps({'overall': overall, 'tolerance': tol, 'rows': rows}, indent=1))
    else:
        print(text_summary(rows, overall))
    if a.report:
        with open(a.report, 'w') as f:
            f.write(markdown(rows, overall, tol, a.results, a.baseline))
    return 1 if overall == 'REGRESSED' else 0


if __name__ == '__main__':
    sys.exit(main())
