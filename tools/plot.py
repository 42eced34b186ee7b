#!/usr/bin/env python3
"""Plots of a tools/bench.py results.json (matplotlib, Agg backend: no display).

  tools/plot.py build/bench/results.json [--out DIR]

Writes, when the data is there:
  modes.png     ms per meminit mode, one group per topology
  speedup.png   speedup vs serial per mode and topology
  bandwidth.png parallel init vs the node's measured store bandwidth (fraction)
  bringup.png   AP bring-up time vs vCPU count
  linux.png     ms per GiB: numaboot parallel vs Linux 6.1 deferred init, per node
"""
import argparse
import json
import os
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

MODES = ('serial', 'hop', 'node', 'parallel', 'deferred', 'lazy')


def _grouped(ax, groups, series, values, ylabel, title):
    """Grouped bars: groups on x, one bar per series; values[(group, series)]."""
    n = max(1, len(series))
    width = 0.8 / n
    for i, s in enumerate(series):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ys = [values.get((grp, s)) or 0 for grp in groups]
        ax.bar(xs, ys, width, label=s)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=20, ha='right')
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize='small')
    ax.grid(axis='y', alpha=0.3)


def _save(fig, out_dir, name, paths):
    path = os.path.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    paths.append(path)


def plot_all(results, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    topo = {k: v for k, v in results.get('topologies', {}).items() if v.get('modes')}
    groups = list(topo)
    modes = [m for m in MODES if any(m in e['modes'] for e in topo.values())]
    if groups and modes:
        ms = {(g, m): topo[g]['modes'].get(m, {}).get('ms') for g in groups for m in modes}
        fig, ax = plt.subplots(figsize=(9, 4.5))
        _grouped(ax, groups, modes, ms, 'ms (median)', 'meminit time per mode')
        _save(fig, out_dir, 'modes.png', paths)

        sp = {(g, m): topo[g]['modes'].get(m, {}).get('summary', {}).get('speedup_vs_serial')
              for g in groups for m in modes}
        fig, ax = plt.subplots(figsize=(9, 4.5))
        _grouped(ax, groups, modes, sp, 'speedup vs serial', 'speedup vs serial (target: parallel >= 1.7x on n1c2)')
        ax.axhline(1.7, color='red', linestyle='--', linewidth=1)
        _save(fig, out_dir, 'speedup.png', paths)

        bw = {(g, m): topo[g]['modes'].get(m, {}).get('bw_fraction_min') for g in groups for m in modes}
        if any(v is not None for v in bw.values()):
            fig, ax = plt.subplots(figsize=(9, 4.5))
            _grouped(ax, groups, modes, bw, 'fraction of store bandwidth (min over nodes)',
                     'init rate / measured store bandwidth (target 0.8)')
            ax.axhline(0.8, color='red', linestyle='--', linewidth=1)
            _save(fig, out_dir, 'bandwidth.png', paths)

    bring = [b for b in results.get('bringup', []) if b.get('bringup_ns') is not None]
    if bring:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot([b['cpus'] for b in bring], [b['bringup_ns'] / 1e6 for b in bring], 'o-')
        ax.set_xscale('log', base=2)
        ax.set_xticks([b['cpus'] for b in bring])
        ax.set_xticklabels([str(b['cpus']) for b in bring])
        ax.set_xlabel('vCPUs (host has %s cores)' % results.get('host', {}).get('cpus', '?'))
        ax.set_ylabel('AP bring-up, ms')
        ax.set_title('SMP bring-up time vs CPU count (TCG)')
        ax.grid(alpha=0.3)
        _save(fig, out_dir, 'bringup.png', paths)

    lx = {}
    for g, e in results.get('topologies', {}).items():
        for r in e.get('linux_compare', []):
            key = f"{g}/n{r['node']}"
            lx[(key, 'numaboot parallel')] = r.get('numaboot_ms_per_gib')
            lx[(key, 'Linux 6.1 deferred')] = r.get('linux_ms_per_gib')
    if lx:
        keys = sorted({k for k, _ in lx}, key=lambda k: list(dict.fromkeys(k0 for k0, _ in lx)).index(k))
        fig, ax = plt.subplots(figsize=(9, 4.5))
        _grouped(ax, keys, ['numaboot parallel', 'Linux 6.1 deferred'], lx, 'ms per GiB (wall, per node)',
                 'struct page init: numaboot vs Linux 6.1 (same QEMU topology)')
        ax.set_yscale('log')
        _save(fig, out_dir, 'linux.png', paths)
    return paths


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('results')
    p.add_argument('--out', help='directory (default: next to the results file)')
    a = p.parse_args()
    with open(a.results) as f:
        results = json.load(f)
    for path in plot_all(results, a.out or os.path.dirname(os.path.abspath(a.results))):
        print(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
