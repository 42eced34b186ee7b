#!/usr/bin/env python3
"""Boot-time regression check for CI: noise-aware verdicts from repeated boots.

  tools/regress.py --ab [--base REV] [--samples N]   # build REV and this tree, boot them ABAB, judge B vs A
  tools/regress.py RESULTS [--baseline bench/baseline.json] [--report report.md] [--junit r.xml]
  tools/regress.py RESULTS --update-baseline        # write RESULTS' samples as the baseline

RESULTS is either build/bench/results.json (tools/bench.py) or the output of
one boot (a serial log or the JSON lines of `tools/qemu_run.py --json`; its
rows are named after --topology, default `boot`).  The baseline is
bench/baseline.json (or any bench results.json).

Rows are `topology/mode` (and `bringup/N`); each keeps one sample per boot
(baseline too).  Per row:
  - correctness facts are hard failures, never tolerances: the mode verified,
    checksums equal across modes, the boot ended `ok`  -> FAILED;
  - each figure (ms, speedup_vs_serial, speedup_vs_hop, bw_fraction,
    chunk_ms_per_gib -- serial's fastest chunk --, chunk_vs_serial -- another
    mode's fastest chunk over serial's in the same boot --, bringup_ms) with at least --min-samples (default DEFAULT_SAMPLES, the
    count the power table of docs/regress.md asks for) on both sides is judged by a
    one-sided Mann-Whitney rank test AND a seeded bootstrap 95% interval of
    the ratio of medians lying wholly beyond 1 +/- --min-effect (default
    5%); the rank tests of all figures of the run are one family per
    question (worse? better?), controlled with Benjamini-Hochberg at alpha
    (default 0.05), so unchanged code gets a false call with probability at
    most alpha however many figures there are: REGRESSED or IMPROVED only
    when the difference is larger than the noise the samples show;
  - with fewer samples on either side (one boot, an old baseline) the
    figure is INCONCLUSIVE: no verdict is guessed from a tolerance;
  - a stored baseline records the identity of what it measured (CPU model,
    host cores, QEMU and OVMF versions, topologies and memory per node,
    options, repeat count); results whose identity differs are refused,
    naming the fields (--accept-identity FIELD to accept one knowingly);
  - rows whose boot had more vCPUs than the host has cores measure the
    emulator, not the design: INFO, never a verdict (correctness still counts);
  - a baseline row not in the results is NOT RUN, a figure a row lacks
    (a speedup of a boot that ran one mode) `not measured`: a partial run or
    one boot is compared with what it measured only; --require-all makes
    both regressions (MISSING); a row only in the results is NEW.
Verdict per row and overall: PASS, IMPROVED, REGRESSED (FAILED/MISSING count
as regressions), INCONCLUSIVE.  Exit status (docs/output.md): 0 pass/improved,
1 regression, 2 usage error, 4 bad input (unreadable, no row matches the
baseline, identity mismatch), 5 inconclusive (too few samples), 125 a missing
dependency or a harness failure (--ab: QEMU, OVMF, git, the base's build).
"""
import argparse
import datetime
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regress_stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, 'bench', 'baseline.json')
BASELINE_SCHEMA = 'numaboot-baseline/2'
OLD_BASELINE_SCHEMA = 'numaboot-baseline/1'   # one median per figure: tolerance rule only
BENCH_SCHEMA = 'numaboot-bench/1'

# metric -> (class, higher is better)
METRICS = {
    'speedup_vs_serial': ('ratio', True),
    'speedup_vs_hop': ('ratio', True),
    'bw_fraction': ('ratio', True),
    'ms': ('absolute', False),
    'chunk_ms_per_gib': ('absolute', False),
    'chunk_vs_serial': ('ratio', False),
    'allocatable_ms': ('absolute', False),
    'bringup_ms': ('absolute', False),
}
FACTS = ('verified', 'checksums_equal', 'boot_ok')
DEFAULT_STATS = {'alpha': 0.05, 'min_effect': 0.05, 'min_samples': regress_stats.DEFAULT_SAMPLES}
ORDER = {'FAILED': 0, 'REGRESSED': 1, 'MISSING': 2, 'INCONCLUSIVE': 3, 'IMPROVED': 4, 'NEW': 5, 'INFO': 6,
         'NOT RUN': 7, 'PASS': 8}
BAD = ('FAILED', 'REGRESSED', 'MISSING')
# what a stored baseline must share with the results (docs/regress.md)
IDENTITY = ('cpu_model', 'host_cpus', 'qemu', 'ovmf', 'topologies', 'opts', 'repeat')

# exit status, the same table for every tool (docs/output.md)
EXIT_PASS, EXIT_REGRESSED, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE, EXIT_HARNESS = 0, 1, 2, 4, 5, 125


class BadInput(Exception):
    pass


# ---------------------------------------------------------------- loading

def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _nums(vals):
    return [v for v in (vals or []) if _num(v) is not None]


def _topo_vcpus(e):
    if _num(e.get('vcpus')) is not None:
        return e['vcpus']
    t = e.get('topology')
    if isinstance(t, dict) and _num(t.get('nodes')) and _num(t.get('cpus')):
        return t['cpus'] * (t['nodes'] - len(t.get('cpuless') or ()))
    return None


def _mode_samples(m, s):
    """{metric: [per-boot values]} of one mode entry (medians when the
    bench predates per-boot samples)."""
    sm = m.get('samples') or {}
    ms = _num(m.get('ms'))
    if ms is None and _num(s.get('ns')) is not None:
        ms = s['ns'] / 1e6
    one = {'ms': ms, 'bw_fraction': _num(m.get('bw_fraction_min')),
           'speedup_vs_serial': _num(s.get('speedup_vs_serial')), 'speedup_vs_hop': _num(m.get('speedup_vs_hop')),
           'chunk_ms_per_gib': _num(m.get('chunk_ms_per_gib_max')), 'chunk_vs_serial': _num(m.get('chunk_vs_serial')),
           'allocatable_ms': _num(m.get('allocatable_ms'))}
    key = {'ms': 'ms', 'bw_fraction': 'bw_fraction_min', 'speedup_vs_serial': 'speedup_vs_serial',
           'speedup_vs_hop': 'speedup_vs_hop', 'chunk_ms_per_gib': 'chunk_ms_per_gib_max',
           'chunk_vs_serial': 'chunk_vs_serial', 'allocatable_ms': 'allocatable_ms'}
    out = {k: (_nums(sm.get(key[k])) if sm.get(key[k]) else ([v] if v is not None else []))
           for k, v in one.items()}
    if not out['allocatable_ms']:   # a figure of lazy rows only (meminit=lazy)
        out.pop('allocatable_ms')
    return out


def rows_from_bench(results, host_cpus=None):
    """{row: {'samples': {metric: [..]}, facts.., 'vcpus', 'host_cpus'}} from a bench results dict."""
    if not isinstance(results, dict) or not isinstance(results.get('topologies'), dict):
        raise BadInput('not a bench results file: no "topologies" object')
    host = results.get('host') if isinstance(results.get('host'), dict) else {}
    host_cpus = _num(host.get('cpus')) or host_cpus
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
        vcpus = _topo_vcpus(e)
        if not modes:
            rows[f'{name}/-'] = {'boot_ok': False, 'note': e.get('error', 'no meminit records'),
                                 'samples': {}, 'vcpus': vcpus, 'host_cpus': host_cpus}
            continue
        for mode, m in modes.items():
            if not isinstance(m, dict):
                raise BadInput(f'{name}/{mode} is not an object')
            s = m.get('summary') or {}
            smp = _mode_samples(m, s)
            if mode == 'serial':
                smp.pop('speedup_vs_serial')
                smp.pop('chunk_vs_serial')
            elif smp['chunk_vs_serial']:    # the serial row judges the absolute figure
                smp.pop('chunk_ms_per_gib')
            if mode in ('serial', 'hop'):
                smp.pop('speedup_vs_hop')
            # a figure the row has no sample of is none of its figures (lazy's
            # chunk figures; a kernel older than a figure gives the same NEW)
            smp = {k: v for k, v in smp.items() if v}
            rows[f'{name}/{mode}'] = {'verified': m.get('verified'), 'checksums_equal': m.get('checksums_equal'),
                                      'boot_ok': boot_ok, 'samples': smp, 'vcpus': vcpus,
                                      'host_cpus': host_cpus}
    for b in results.get('bringup') or []:
        if not isinstance(b, dict) or 'cpus' not in b:
            raise BadInput('bad "bringup" entry')
        ns = _nums((b.get('samples') or {}).get('bringup_ns')) or _nums([b.get('bringup_ns')])
        rows[f'bringup/{b["cpus"]}'] = {
            'samples': {'bringup_ms': [v / 1e6 for v in ns]}, 'vcpus': b['cpus'], 'host_cpus': host_cpus,
            'boot_ok': all(x.get('status') == 'ok' for x in b.get('boots', [])) and bool(ns)}
    return rows


def rows_from_records(records, topology):
    import bench
    entry = bench.collect([records])
    if not entry['modes']:
        raise BadInput('no meminit / meminit_summary records in the boot output')
    status = entry['result_status']
    entry['boots'] = [{'status': status[-1] if status else 'no result record'}]
    smp = entry.get('smp') or {}
    entry['vcpus'] = _num(smp.get('cpus_online'))
    return rows_from_bench({'topologies': {topology: entry}}, host_cpus=os.cpu_count())


def identity_of_bench(results):
    """The identity of a bench results file: what a stored baseline must
    share with it (IDENTITY).  Unknown fields are None."""
    host = results.get('host') if isinstance(results.get('host'), dict) else {}
    topos = {}
    for name, e in (results.get('topologies') or {}).items():
        t = e.get('topology') if isinstance(e, dict) else None
        if isinstance(t, dict):
            topos[name] = {k: t.get(k) for k in ('nodes', 'cpus', 'mem_gib', 'cpuless', 'prealloc')}
    if results.get('bringup'):
        topos['bringup'] = sorted(b.get('cpus') for b in results['bringup'] if isinstance(b, dict))
    return {'cpu_model': host.get('cpu_model'), 'host_cpus': _num(host.get('cpus')), 'qemu': host.get('qemu'),
            'ovmf': host.get('ovmf'), 'topologies': topos or None, 'opts': results.get('opts'),
            'repeat': _num(results.get('repeat'))}


def identity_mismatch(base_id, cur_id, accept=()):
    """['field: baseline X, results Y', ...] for the identity fields that differ."""
    out = []
    for k in IDENTITY:
        if k in accept:
            continue
        b, c = (base_id or {}).get(k), (cur_id or {}).get(k)
        if k == 'topologies' and isinstance(b or {}, dict) and isinstance(c or {}, dict):
            # a partial run: compare the topologies both have
            b, c = b or {}, c or {}
            diff = sorted(n for n in set(b) & set(c) if b[n] != c[n])
            if diff:
                out.append(f'topologies: {", ".join(f"{n} baseline {b[n]}, results {c[n]}" for n in diff)}')
            continue
        if b != c:
            out.append(f'{k}: baseline {b!r}, results {c!r}')
    return out


def load_results(path, topology='boot'):
    """(rows, identity) from a bench results file or the output of one boot."""
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
        if not isinstance(data, dict):
            raise BadInput(f'{path}: not a JSON object')
        if data.get('schema') in (BASELINE_SCHEMA, OLD_BASELINE_SCHEMA):
            return _baseline_rows(data, path), dict(data.get('identity') or {})
        return rows_from_bench(data), identity_of_bench(data)
    import qemu_run
    records = qemu_run.parse_records(text)
    if not records:
        raise BadInput(f'{path}: neither a bench results file nor numaboot JSON lines')
    if any(r.get('kind') == 'unparsable' for r in records):
        raise BadInput(f'{path}: unparsable numaboot JSON line(s)')
    return rows_from_records(records, topology), {}


def _baseline_rows(data, path):
    rows = data.get('rows')
    if not isinstance(rows, dict) or not all(isinstance(v, dict) for v in rows.values()):
        raise BadInput(f'{path}: baseline has no "rows" object')
    out = {}
    for name, r in rows.items():
        row = {k: v for k, v in r.items() if k in FACTS or k == 'vcpus'}
        row['host_cpus'] = data.get('host_cpus')
        if data.get('schema') == OLD_BASELINE_SCHEMA:
            row['samples'] = {m: [r[m]] for m in METRICS if _num(r.get(m)) is not None}
        else:
            smp = r.get('samples')
            if not isinstance(smp, dict):
                raise BadInput(f'{path}: row {name!r} has no "samples" object')
            row['samples'] = {m: _nums(smp.get(m)) for m in METRICS if m in smp}
        out[name] = row
    return out


def load_baseline(path):
    """(rows, stats dict, identity dict) from a baseline file (or a bench results file)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as exc:
        raise BadInput(f'baseline {path}: {exc.strerror}')
    except json.JSONDecodeError as exc:
        raise BadInput(f'baseline {path}: not valid JSON ({exc})')
    if not isinstance(data, dict):
        raise BadInput(f'baseline {path}: not a JSON object')
    if data.get('schema') in (BASELINE_SCHEMA, OLD_BASELINE_SCHEMA):
        return _baseline_rows(data, path), dict(data.get('stats') or {}), dict(data.get('identity') or {})
    return rows_from_bench(data), {}, identity_of_bench(data)


def make_baseline(rows, source, stats, identity):
    keep = {}
    host = None
    for name, r in rows.items():
        k = {f: r[f] for f in FACTS if f in r}
        k['samples'] = {m: [round(v, 4) if isinstance(v, float) else v for v in vals]
                        for m, vals in r['samples'].items() if m in METRICS}
        if r.get('vcpus') is not None:
            k['vcpus'] = r['vcpus']
        host = host or r.get('host_cpus')
        keep[name] = k
    return {'schema': BASELINE_SCHEMA, 'source': source, 'host_cpus': host,
            'created': datetime.datetime.now().isoformat(timespec='seconds'),
            'identity': {k: identity.get(k) for k in IDENTITY}, 'stats': stats, 'rows': keep}


# ---------------------------------------------------------------- comparing

def compare_metric(metric, b, c, st, require_all=False):
    """One figure of one row: dict with verdict (PASS, REGRESSED, IMPROVED,
    INCONCLUSIVE, NEW) and the figures behind it."""
    out = {'metric': metric, 'class': METRICS[metric][0], 'baseline': b, 'current': c,
           'median_baseline': statistics.median(b) if b else None,
           'median_current': statistics.median(c) if c else None, 'change': None}
    if not b:
        out.update(verdict='NEW', method=None)
        return out
    if not c:   # e.g. a speedup of a boot that ran one mode only: not measured here
        out.update(verdict='REGRESSED' if require_all else 'PASS', method='not measured')
        return out
    r = regress_stats.ratio(out['median_current'], out['median_baseline'])
    out['change'] = None if math.isinf(r) else r - 1
    n = st['min_samples']
    if len(b) >= n and len(c) >= n:
        out.update(regress_stats.judge(c, b, METRICS[metric][1], st['alpha'], st['min_effect'],
                                       interval=not st.get('lazy_interval')))
        out['higher_is_better'] = METRICS[metric][1]
    else:
        out.update(verdict='INCONCLUSIVE', method='too few samples')
    return out


def emulator_bound(r):
    v, h = r.get('vcpus'), r.get('host_cpus')
    return v is not None and h is not None and v > h


def compare_row(name, b, c, st, require_all=False):
    row = {'row': name, 'metrics': [], 'notes': []}
    failed = [f for f in FACTS if c.get(f) is False]
    if failed:
        row['notes'].append('correctness: ' + ', '.join(f'{f} is false' for f in failed))
    if c.get('note'):
        row['notes'].append(c['note'])
    bs = (b or {}).get('samples', {})
    for m in METRICS:
        bv, cv = bs.get(m) or [], c['samples'].get(m) or []
        if bv or cv:
            row['metrics'].append(compare_metric(m, bv, cv, st, require_all))
    few = [m for m in row['metrics'] if m['method'] == 'too few samples']
    if few:
        row['notes'].append(f"fewer than {st['min_samples']} samples a side "
                            f"({min(len(m['baseline']) for m in few)} vs {min(len(m['current']) for m in few)}): "
                            'inconclusive')
    row['failed'] = bool(failed)
    row['info'] = b is not None and (emulator_bound(c) or emulator_bound(b))
    if row['info']:
        row['notes'].append(f"{c.get('vcpus') or b.get('vcpus')} vCPUs on {c.get('host_cpus') or b.get('host_cpus')} "
                            'host cores: measures the emulator, informative only')
    row_verdict(row, b is None)
    return row


def row_verdict(row, new):
    """The row's verdict from its correctness facts and figures."""
    verdicts = [m['verdict'] for m in row['metrics']]
    if row['failed']:
        row['verdict'] = 'FAILED'
    elif new:
        row['verdict'] = 'NEW'
    elif row['info']:
        row['verdict'] = 'INFO'
    elif 'REGRESSED' in verdicts:
        row['verdict'] = 'REGRESSED'
    elif 'INCONCLUSIVE' in verdicts:
        row['verdict'] = 'INCONCLUSIVE'
    elif 'IMPROVED' in verdicts:
        row['verdict'] = 'IMPROVED'
    else:
        row['verdict'] = 'PASS'


def family_test(rows, alpha, min_effect=DEFAULT_STATS['min_effect']):
    """The rank-judged figures of the comparison (rows that give a
    verdict) are one family per question ('worse?', 'better?'): a figure is
    REGRESSED (IMPROVED) only when the Benjamini-Hochberg procedure over
    every figure's one-sided p value of that question rejects its
    hypothesis, and its bootstrap interval lies beyond the minimum effect
    on that side.  On unchanged code the chance of any REGRESSED call is
    then at most alpha, however many figures a run has.  A figure whose
    sample counts cannot give a p below alpha / (family size) could not be
    called alone: not PASS but INCONCLUSIVE."""
    figs = [m for r in rows
            if not (r.get('failed') or r.get('info') or r['verdict'] in ('NEW', 'NOT RUN', 'MISSING'))
            for m in r['metrics'] if m.get('method') == 'rank']
    for side in ('worse', 'better'):     # two questions, each its own family
        rejected = regress_stats.benjamini_hochberg([m['p_' + side] for m in figs], alpha)
        for i, m in enumerate(figs):
            m.setdefault('family', {})[side] = i in rejected
            if i in rejected and m.get('interval') is None:     # st['lazy_interval']: only where it decides
                m.update(regress_stats.effects(m['current'], m['baseline'], m['higher_is_better'], min_effect))
    for r in rows:
        touched = False
        for m in r['metrics']:
            if 'family' not in m:
                continue
            touched = True
            if m['family']['worse'] and m.get('effect_worse'):
                m['verdict'] = 'REGRESSED'
            elif m['family']['better'] and m.get('effect_better'):
                m['verdict'] = 'IMPROVED'
            elif not regress_stats.enough_samples(m['n_baseline'], m['n_current'], alpha, len(figs)):
                m['verdict'] = 'INCONCLUSIVE'
                m['method'] = 'rank: too few samples for the family'
            else:
                m['verdict'] = 'PASS'
        if any(m.get('method') == 'rank: too few samples for the family' for m in r['metrics']):
            r['notes'].append(f'{len(figs)} figures judged together: one figure alone needs '
                              f'1/C(2n,n) <= {alpha}/{len(figs)}')
        if touched:
            row_verdict(r, False)


def overall_verdict(rows):
    vs = {r['verdict'] for r in rows}
    if vs & set(BAD):
        return 'REGRESSED'
    if 'INCONCLUSIVE' in vs:
        return 'INCONCLUSIVE'
    if 'IMPROVED' in vs:
        return 'IMPROVED'
    return 'PASS'


def compare(base_rows, cur_rows, st=None, require_all=False):
    """List of row verdicts and the overall verdict."""
    st = st or dict(DEFAULT_STATS)
    out = []
    for name in list(base_rows) + [n for n in cur_rows if n not in base_rows]:
        b, c = base_rows.get(name), cur_rows.get(name)
        if c is None:
            out.append({'row': name, 'metrics': [], 'verdict': 'MISSING' if require_all else 'NOT RUN',
                        'notes': ['in the baseline, not in the results']})
            continue
        out.append(compare_row(name, b, c, st, require_all))
    family_test(out, st['alpha'], st['min_effect'])
    return out, overall_verdict(out)


EXIT_OF = {'PASS': EXIT_PASS, 'IMPROVED': EXIT_PASS, 'REGRESSED': EXIT_REGRESSED,
           'INCONCLUSIVE': EXIT_INCONCLUSIVE}


# ---------------------------------------------------------------- reporting

def _f(v, metric=None):
    if v is None:
        return '-'
    if isinstance(v, bool):
        return 'yes' if v else 'no'
    if isinstance(v, float) and math.isinf(v):
        return 'inf'
    if metric == 'bw_fraction':
        return f'{v:.0%}'
    if metric in ('speedup_vs_serial', 'speedup_vs_hop', 'chunk_vs_serial'):
        return f'{v:.2f}x'
    return f'{v:.2f}'


def _side(vals, metric):
    if not vals:
        return '-'
    med = _f(statistics.median(vals), metric)
    if len(vals) == 1:
        return med
    return f'{med} [{_f(min(vals), metric)}..{_f(max(vals), metric)}, n={len(vals)}]'


def _metric_text(m):
    parts = []
    if m['change'] is not None:
        parts.append(f"{m['change']:+.0%}")
    elif m.get('ratio') is not None and math.isinf(m['ratio']):
        parts.append('from 0')
    if (m.get('method') or '').startswith('rank'):
        parts.append(f"p={m['p_worse']:.2g}")
        if m.get('interval'):
            parts.append(f"95% CI x{_f(m['interval'][0])}..x{_f(m['interval'][1])}")
    if m.get('method') and m['method'] != 'rank':
        parts.append(m['method'])
    ch = f" ({', '.join(parts)})" if parts else ''
    flag = '' if m['verdict'] == 'PASS' else f" **{m['verdict']}**"
    return f"{m['metric']} {_side(m['baseline'], m['metric'])} -> {_side(m['current'], m['metric'])}{ch}{flag}"


def _counts(rows):
    n = {}
    for r in rows:
        n[r['verdict']] = n.get(r['verdict'], 0) + 1
    return ', '.join(f'{k} {v}' for k, v in sorted(n.items(), key=lambda kv: ORDER[kv[0]]))


def markdown(rows, overall, st, results_path, baseline_path):
    lines = [f'# numaboot boot-time regression check: {overall}', '',
             f'- results: `{results_path}`', f'- baseline: `{baseline_path}`',
             f"- method: per figure, one sample per boot; with >= {st['min_samples']} samples on both sides "
             f"an exact one-sided rank-sum test, every figure's p in one Benjamini-Hochberg family "
             f"(alpha {st['alpha']}), and a bootstrap 95% interval of the ratio of medians wholly beyond "
             f"±{st['min_effect']:.0%}; with fewer, INCONCLUSIVE; correctness (verified, "
             f"checksums equal, boot ok) is never tolerated; rows with more vCPUs than host cores are INFO",
             '- rows: ' + _counts(rows),
             '', '| row | verdict | figures: baseline median [range, n] -> current (change, p, interval) | notes |',
             '|---|---|---|---|']
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
        out.append(f"{r['row']:<{w}}  {r['verdict']:<12}  {figs}{notes}")
    out.append(f'rows: {_counts(rows)}')
    out.append(f'overall: {overall}')
    return '\n'.join(out)


JUNIT_SUITE = 'numaboot-regress'      # stable: CI dashboards key their history on it


def junit(rows, overall, path):
    """JUnit XML through junitparser (Debian python3-junitparser): one suite
    named JUNIT_SUITE, one testcase per figure (classname regress.<row>,
    name the figure); REGRESSED figures and FAILED/MISSING rows are failures,
    INCONCLUSIVE figures and INFO/NOT RUN rows skipped, the figures in the
    message.  Raises ImportError when junitparser is missing."""
    from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite
    suite = TestSuite(JUNIT_SUITE)
    suite.add_property('overall', overall)
    for r in rows:
        cls = 'regress.' + r['row']
        notes = f" [{'; '.join(r['notes'])}]" if r['notes'] else ''
        if r['verdict'] == 'FAILED' or not r['metrics']:
            case = TestCase('row', cls, 0)
            msg = f"{r['verdict']}{notes}"
            if r['verdict'] in BAD:
                case.result = [Failure(msg, r['verdict'])]
            elif r['verdict'] in ('INFO', 'NOT RUN'):
                case.result = [Skipped(msg)]
            suite.add_testcase(case)
        for m in r['metrics']:
            case = TestCase(m['metric'], cls, 0)
            msg = f"{m['verdict']}: " + _metric_text(m).replace('**', '') + notes
            if m['verdict'] == 'REGRESSED' and r['verdict'] != 'INFO':
                case.result = [Failure(msg, 'REGRESSED')]
            elif r['verdict'] in ('INFO', 'NOT RUN') or m['verdict'] == 'INCONCLUSIVE':
                case.result = [Skipped(msg)]
            else:
                case.system_out = msg
            suite.add_testcase(case)
    suite.update_statistics()
    xml = JUnitXml('numaboot')
    xml.add_testsuite(suite)
    xml.update_statistics()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    xml.write(path, pretty=True)


def _write(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def _jsonable(v):
    """JSON without Infinity (a ratio from a zero median): as the string 'inf'."""
    if isinstance(v, float) and math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _settings(a, bst=None):
    st = dict(DEFAULT_STATS)
    st.update({k: v for k, v in (bst or {}).items() if k in st and _num(v) is not None})
    for key, val in (('alpha', a.alpha), ('min_effect', a.min_effect), ('min_samples', a.min_samples)):
        if val is not None:
            st[key] = val
    return st


def update_baseline(a, cur, identity):
    bad = [n for n, r in cur.items() if any(r.get(f) is False for f in FACTS)]
    if bad:
        print('regress: not writing a baseline from results that failed correctness: ' + ', '.join(bad),
              file=sys.stderr)
        return EXIT_REGRESSED
    st = _settings(a)
    src = os.path.relpath(a.results, ROOT)
    base = make_baseline(cur, os.path.abspath(a.results) if src.startswith('..') else src, st, identity)
    _write(a.baseline, json.dumps(base, indent=1, sort_keys=True) + '\n')
    print(f'regress: wrote {len(cur)} rows to {a.baseline}')
    return EXIT_PASS


# ---------------------------------------------------------------- arguments

def _arg_type(name, conv, ok, what):
    """An argparse type: conv(text), accepted when ok(value); else a usage error (exit 2)."""
    def parse(text):
        try:
            v = conv(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{name}: {text!r} is not {what}')
        if not ok(v):
            raise argparse.ArgumentTypeError(f'{name}: {text!r} is not {what}')
        return v
    parse.__name__ = name
    return parse


alpha_arg = _arg_type('alpha', float, lambda v: 0 < v < 1, 'a level in (0, 1)')
effect_arg = _arg_type('min-effect', float, lambda v: 0 <= v < 1, 'a fraction in [0, 1)')
samples_arg = _arg_type('samples', int, lambda v: v >= 2, 'a whole number >= 2')


def identity_arg(text):
    fields = [f for f in text.split(',') if f]
    bad = [f for f in fields if f not in IDENTITY]
    if bad or not fields:
        raise argparse.ArgumentTypeError(f'unknown identity field(s) {", ".join(bad) or text!r}; '
                                         f'known: {", ".join(IDENTITY)}')
    return fields


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('results', nargs='?', help='bench results.json, or one boot\'s serial log / JSON lines')
    p.add_argument('--baseline', default=BASELINE)
    p.add_argument('--report', help='write the Markdown report here')
    p.add_argument('--junit', help='write JUnit XML here (one testcase per row)')
    p.add_argument('--topology', default='boot', help='row name for a single boot\'s output')
    p.add_argument('--require-all', action='store_true',
                   help='a baseline row missing from the results is MISSING (a regression), not NOT RUN')
    p.add_argument('--alpha', type=alpha_arg, help=f'family level (default {DEFAULT_STATS["alpha"]})')
    p.add_argument('--min-effect', type=effect_arg,
                   help=f'smallest relative change called (default {DEFAULT_STATS["min_effect"]})')
    p.add_argument('--min-samples', type=samples_arg,
                   help=f'samples per side for a verdict, fewer is INCONCLUSIVE (default {DEFAULT_STATS["min_samples"]})')
    p.add_argument('--accept-identity', type=identity_arg, action='extend', default=[], metavar='FIELD[,FIELD]',
                   help='accept a baseline whose identity differs in these fields: ' + ', '.join(IDENTITY))
    p.add_argument('--update-baseline', action='store_true', help='write the results as the new baseline')
    p.add_argument('--json', action='store_true', help='print the verdicts as JSON')
    import regress_ab
    regress_ab.add_arguments(p)
    a = p.parse_args(argv)
    if a.ab and (a.results or a.update_baseline):
        p.error('--ab boots its own results: give no RESULTS and no --update-baseline')
    if not a.ab and not a.results:
        p.error('give RESULTS (or --ab)')
    return a


def judge_and_report(a, rows, overall, st, results_name, baseline_name):
    if a.json:
        print(json.dumps(_jsonable({'overall': overall, 'stats': st, 'rows': rows}), indent=1))
    else:
        print(text_summary(rows, overall))
    if a.report:
        _write(a.report, markdown(rows, overall, st, results_name, baseline_name))
    if a.junit:
        try:
            junit(rows, overall, a.junit)
        except ImportError as exc:
            print(f'regress: --junit needs junitparser ({exc}): tools/install-deps.sh installs python3-junitparser',
                  file=sys.stderr)
            return EXIT_HARNESS
    return EXIT_OF[overall]


def main(argv=None):
    a = parse_args(argv)
    if a.ab:
        import regress_ab
        return regress_ab.main(a)
    try:
        cur, cur_id = load_results(a.results, a.topology)
        if a.update_baseline:
            return update_baseline(a, cur, cur_id)
        base, bst, base_id = load_baseline(a.baseline)
        st = _settings(a, bst)
        rows, overall = compare(base, cur, st, a.require_all)
        if not any(r['verdict'] not in ('NOT RUN', 'NEW') for r in rows):
            raise BadInput('no row of the results matches the baseline (rows: '
                           + ', '.join(sorted(cur)[:6]) + '; name one boot\'s rows with --topology)')
        diff = identity_mismatch(base_id, cur_id, a.accept_identity)
        if diff:
            raise BadInput('the baseline measured something else; refused: ' + '; '.join(diff)
                           + ' (make a baseline on this runner, use --ab, or --accept-identity FIELD)')
    except BadInput as exc:
        print(f'regress: bad input: {exc}', file=sys.stderr)
        return EXIT_BAD_INPUT
    return judge_and_report(a, rows, overall, st, a.results, a.baseline)


if __name__ == '__main__':
    sys.exit(main())
