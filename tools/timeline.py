#!/usr/bin/python3
"""Boot timeline chart, like Linux's bootgraph.pl / systemd-analyze plot.

  tools/timeline.py LOG [-o timeline.png] [--no-plot]

LOG is a serial log or the JSON lines of one boot (`tools/qemu_run.py
--json`) holding a `timeline` record (docs/output.md).  Prints every phase
(start and duration, ms since TSC 0) and the per-CPU spans of the parallel
phases, and draws a PNG (python3-matplotlib) with two panels: the whole boot
from reset to the verdict, one row per phase; and the kernel's part from
kernel_main on, one row per boot phase and one lane per CPU with its share
of each meminit mode.  Exit status (docs/output.md) 0; 2 for bad
arguments; 4 when LOG is unreadable, has no timeline record or a malformed
one; 125 when matplotlib is missing (a chart was asked for).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def find_timeline(text):
    import qemu_run
    recs = [r for r in qemu_run.parse_records(text) if r.get('kind') == 'timeline']
    return recs[-1] if recs else None


def malformed(tl):
    """Why the record cannot be drawn (a phase or span without its fields),
    or None when every phase and span has them."""
    def bad(items, name, keys):
        if not isinstance(items, list):
            return f'{name} is not a list'
        for i, it in enumerate(items):
            if not isinstance(it, dict) or not all(isinstance(it.get(k), t) for k, t in keys):
                return f'{name}[{i}] lacks ' + ', '.join(k for k, _ in keys)
        return None
    times = [('phase', str), ('start_us', int), ('end_us', int)]
    return bad(tl.get('phases'), 'phases', times) or bad(tl.get('spans', []), 'spans', [('cpu', int)] + times)


def label(p):
    return p['phase'] + (':' + p['sub'] if p.get('sub') else '')


def summary(tl):
    """Text table of the phases and a per-CPU sum of the spans."""
    out = [f"{'phase':<28} {'start ms':>10} {'ms':>9}"]
    for p in tl['phases']:
        out.append(f"{label(p):<28} {p['start_us'] / 1000:>10.1f} {(p['end_us'] - p['start_us']) / 1000:>9.2f}")
    per = {}
    for s in tl.get('spans', []):
        key = (s['cpu'], label(s))
        per[key] = per.get(key, 0) + s['end_us'] - s['start_us']
    if per:
        out.append('')
        out.append(f"{'cpu':>3}  {'parallel phase':<24} {'busy ms':>9}")
        for (cpu, lab), us in sorted(per.items()):
            out.append(f'{cpu:>3}  {lab:<24} {us / 1000:>9.2f}')
    if tl.get('spans_dropped'):
        out.append(f"({tl['spans_dropped']} spans did not fit the record)")
    return '\n'.join(out)


def _colors(labels):
    import matplotlib
    cmap = matplotlib.colormaps['tab20']
    return {lab: cmap(i % 20) for i, lab in enumerate(sorted(set(labels)))}


def _bars(ax, rows, colors, unit, t0=0.0):
    """rows: [(row label, [(bar label, start_us, end_us)])], top to bottom."""
    for y, (name, bars) in enumerate(rows):
        for lab, s, e in bars:
            w = max((e - s) / unit, 1e-9)
            ax.barh(y, w, left=(s - t0) / unit, color=colors[lab], edgecolor='black', linewidth=0.3)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.grid(axis='x', linestyle=':', linewidth=0.5)


def plot(tl, path, title=''):
    """Write the chart to path.  Raises ImportError without matplotlib."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    phases, spans = tl['phases'], tl.get('spans', [])
    colors = _colors([label(p) for p in phases] + [label(s) for s in spans])
    kernel = [p for p in phases if p['phase'] not in ('firmware', 'uefi_loader', 'exit_boot_services')]
    cpus = sorted({s['cpu'] for s in spans})
    n_lower = len(kernel) + len(cpus)
    fig, (top, low) = plt.subplots(2, 1, figsize=(10, 2.2 + 0.16 * (len(phases) + n_lower)),
                                   gridspec_kw={'height_ratios': [max(len(phases), 3), max(n_lower, 3)]})
    _bars(top, [(label(p), [(label(p), p['start_us'], p['end_us'])]) for p in phases], colors, 1e6)
    top.set_xlabel('s since TSC 0 (reset)', fontsize=8)
    top.set_title(title or 'numaboot boot timeline', fontsize=9)
    t0 = kernel[0]['start_us'] if kernel else 0
    rows = [(label(p), [(label(p), p['start_us'], p['end_us'])]) for p in kernel]
    for c in cpus:
        rows.append((f'cpu {c}', [(label(s), s['start_us'], s['end_us']) for s in spans if s['cpu'] == c]))
    _bars(low, rows, colors, 1e3, t0)
    low.set_xlabel('ms since kernel_main (rows "cpu N": each CPU\'s share of the meminit modes)', fontsize=8)
    subs = sorted({label(s) for s in spans})
    if subs:
        from matplotlib.patches import Patch
        low.legend(handles=[Patch(color=colors[s], label=s) for s in subs], fontsize=6, loc='upper right')
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('log', help='serial log or JSON lines of one boot')
    p.add_argument('-o', '--out', help='PNG path (default: LOG with .timeline.png)')
    p.add_argument('--no-plot', action='store_true', help='print the phases only')
    p.add_argument('--title', default='')
    a = p.parse_args(argv)
    try:
        with open(a.log, errors='replace') as f:
            text = f.read()
    except OSError as exc:
        print(f'timeline: {a.log}: {exc.strerror}', file=sys.stderr)
        return 4
    tl = find_timeline(text)
    if not tl:
        print(f'timeline: {a.log}: no "timeline" record (a boot with json=on that reached the verdict)',
              file=sys.stderr)
        return 4
    why = malformed(tl)
    if why:
        print(f'timeline: {a.log}: malformed "timeline" record: {why}', file=sys.stderr)
        return 4
    print(summary(tl))
    if a.no_plot:
        return 0
    out = a.out or os.path.splitext(a.log)[0] + '.timeline.png'
    try:
        plot(tl, out, a.title)
    except ImportError as exc:
        print(f'timeline: no chart: {exc} (install python3-matplotlib)', file=sys.stderr)
        return 125
    print(f'timeline: wrote {out}')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BrokenPipeError:     # `tools/timeline.py LOG | head`: the reader left
        sys.stderr.close()
        sys.exit(0)
