#!/usr/bin/env python3
"""numaboot benchmarks (`make bench`).

Boots a matrix of NUMA topologies under QEMU (tools/qemu_run.py) with
`meminit=all` (every mode in turn on the same memory), prints a table per
topology and mode -- ms, GiB/s, speedup vs serial, fraction of the node's
measured store bandwidth, checksums equal / verified -- then a bring-up time
vs CPU count series, the Linux 6.1 comparison (tools/linux_bench.py) on the
same topologies, and the issue's targets marked met / not met (never
asserted: the exit status says only whether the boots worked).

Writes build/bench/results.json (input of tools/regress.py), PNG plots
(tools/plot.py) and a boot timeline chart per topology (tools/timeline.py,
build/bench/timeline-<topology>.png, from the first boot).  See docs/bench.md.

  tools/bench.py                 full matrix + bring-up + Linux
  tools/bench.py --quick         small subset, 1 GiB nodes, no Linux
  tools/bench.py --only n1c2     one topology (comma list; 'bringup', 'large', 'pmem', 'scale', 'hotplug')
  tools/bench.py --repeat 3      median of 3 boots per topology
  tools/bench.py --rounds 5      each mode 5 times per boot, the fastest (--quick: 5)
  tools/bench.py --large         add 256 GiB in 2 nodes and 1 TiB of persistent memory (slow)
  tools/bench.py --from build/bench/results.json   re-print and re-plot only
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_run  # noqa: E402
from qemu_run import Topology  # noqa: E402
from bench_pmem import bench_pmem, pmem_table  # noqa: E402
from bench_hotplug import bench_hotplug, hotplug_table  # noqa: E402
from bench_scale import bench_scale, scale_table  # noqa: E402
import bench_lazy  # noqa: E402

ROOT = qemu_run.ROOT
OUT_DIR = os.path.join(ROOT, 'build', 'bench')
SCHEMA = 'numaboot-bench/1'
GiB = 1 << 30
PAGE = 4096
MODES = ('serial', 'hop', 'node', 'parallel', 'deferred', 'lazy')

# name -> (Topology, description).  Memory per node in GiB.
MATRIX = {
    'n1c2': (lambda g: Topology(1, 2, [g], prealloc=True), '1 node x 2 vCPUs'),
    'n2c1': (lambda g: Topology(2, 1, [g, g], prealloc=True), '2 nodes x 1 vCPU'),
    'n2c2': (lambda g: Topology(2, 2, [g, g], prealloc=True), '2 nodes x 2 vCPUs'),
    'n4c1': (lambda g: Topology(4, 1, [g / 2] * 4, prealloc=True), '4 nodes x 1 vCPU'),
    'n2c1-unequal': (lambda g: Topology(2, 1, [g + g / 2, g / 2], prealloc=True),
                     '2 nodes x 1 vCPU, unequal memory'),
}
QUICK = ('n1c2', 'n2c1')
# meminit_rounds of the --quick (regression) topologies: each mode run this
# many times per boot, the fastest reported (docs/regress.md, "Rounds")
QUICK_ROUNDS = 5
BRINGUP_CPUS = (1, 2, 4, 8, 16)
QUICK_BRINGUP_CPUS = (1, 2, 4)
LARGE = ('large', lambda: Topology(2, 1, [128, 128]), '2 nodes x 1 vCPU x 128 GiB (reserve=off)')

TARGETS = {
    'parallel_speedup': ('parallel >= 1.7x serial, 2 vCPUs on one node', 1.7),
    'bw_fraction': ('parallel init >= 80% of the node\'s measured store bandwidth', 0.8),
    'vs_linux': ('per GiB >= 5x faster than Linux 6.1 deferred init, same topology', 5.0),
    'large': ('256 GiB in 2 nodes initialized in <= 1.5 s (parallel)', 1.5),
}


# ---------------------------------------------------------------- parsing

def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _median(vals):
    vals = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not vals:
        return None
    m = statistics.median(vals)
    return int(m) if all(isinstance(v, int) for v in vals) and m == int(m) else m


def _merge(recs):
    """Median of numeric fields, all() of booleans, the common value (or the
    list of distinct values) of the rest, over the same record of N boots."""
    out = {}
    keys = []
    for r in recs:
        keys += [k for k in r if k not in keys]
    for k in keys:
        vals = [r.get(k) for r in recs]
        if all(isinstance(v, bool) or v is None for v in vals) and any(isinstance(v, bool) for v in vals):
            out[k] = all(v is True for v in vals)
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals if v is not None) \
                and any(v is not None for v in vals):
            out[k] = _median(vals)
        elif all(isinstance(v, dict) for v in vals if v is not None) and any(v is not None for v in vals):
            out[k] = _merge([v for v in vals if v is not None])
        else:
            distinct = []
            for v in vals:
                if v not in distinct:
                    distinct.append(v)
            out[k] = distinct[0] if len(distinct) == 1 else distinct
    return out


# per-mode figures kept per boot (regress.py judges their spread)
SAMPLE_KEYS = ('ms', 'bw_fraction_min', 'speedup_vs_serial', 'speedup_vs_hop', 'chunk_ms_per_gib_max',
               'chunk_vs_serial', 'allocatable_ms')


def collect(boots):
    """From the records of N boots of one topology (a list of record lists),
    the per-topology entry of results.json: summary per mode, per-node rows per
    mode, bandwidth per node, smp; each merged over the boots (median).  Each
    mode also keeps its per-boot figures in 'samples' ({key: [one per boot]})."""
    entry = _collect(boots)
    per_boot = [_collect([b]) for b in boots]
    for mode, m in entry['modes'].items():
        m['samples'] = {}
        for k in SAMPLE_KEYS:
            vals = []
            for e in per_boot:
                pm = e['modes'].get(mode) or {}
                v = pm.get('summary', {}).get('speedup_vs_serial') if k == 'speedup_vs_serial' else pm.get(k)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    vals.append(v)
            m['samples'][k] = vals
    return entry


def _collect(boots):
    summary, nodes, bw, smp, status, warm = {}, {}, {}, [], [], []
    for records in boots:
        for r in records:
            k = r.get('kind')
            if k == 'meminit_summary':
                summary.setdefault(r.get('mode'), []).append(r)
            elif k == 'meminit':
                nodes.setdefault(r.get('mode'), {}).setdefault(r.get('node'), []).append(r)
            elif k == 'bandwidth':
                bw.setdefault(r.get('node'), []).append(r)
            elif k == 'smp':
                smp.append(r)
            elif k == 'meminit_warmup':
                warm.append(r)
            elif k == 'result':
                status.append(r.get('status'))
    entry = {'modes': {}, 'bandwidth': [], 'smp': _merge(smp) if smp else None,
             'result_status': status}
    if warm:
        per_node = {}
        for rec in warm:
            for n in rec.get('nodes') or []:
                per_node.setdefault(n.get('node'), []).append(n)
        w = _merge([{k: v for k, v in rec.items() if k != 'nodes'} for rec in warm])
        w['nodes'] = [_merge(v) for _, v in sorted(per_node.items(), key=lambda kv: kv[0])]
        w.pop('schema', None)
        w.pop('kind', None)
        # the untimed cold pass before the timed modes: parallel, first writes
        w['ms'] = w['ns'] / 1e6 if isinstance(w.get('ns'), (int, float)) else None
        entry['warmup'] = w
    order = [m for m in MODES if m in summary or m in nodes] + \
            sorted(m for m in set(summary) | set(nodes) if m not in MODES and m is not None)
    for mode in order:
        per_node = [_merge(v) for _, v in sorted(nodes.get(mode, {}).items(), key=lambda kv: kv[0])]
        s = _merge(summary[mode]) if mode in summary else {}
        for r in per_node + [s]:
            r.pop('schema', None)
            r.pop('kind', None)
        fr = [n.get('bw_fraction') for n in per_node if isinstance(n.get('bw_fraction'), (int, float))]
        checks = [n.get('checksum') for n in per_node]
        # each node's fastest chunk (ms per GiB of pfns): the slowest node's
        chunk = [n['chunk_ns_per_gib'] / 1e6 for n in per_node if _num(n.get('chunk_ns_per_gib'))]
        entry['modes'][mode] = {
            'summary': s,
            'nodes': per_node,
            'ms': s['ns'] / 1e6 if isinstance(s.get('ns'), (int, float)) else None,
            'bw_fraction_min': min(fr) if fr else None,
            'bw_fraction_mean': sum(fr) / len(fr) if fr else None,
            'chunk_ms_per_gib_max': max(chunk) if chunk else None,
            # lazy: mode start to every free page allocatable (the others:
            # at their end, which `ms` already is)
            'allocatable_ms': s['allocatable_ns'] / 1e6 if _num(s.get('allocatable_ns')) else None,
            'verified': bool(s.get('verified', all(n.get('verified') is True for n in per_node)))
            if (s or per_node) else False,
            'checksums_equal': s.get('checksums_equal'),
            'checksums': checks,
        }
    # hop is one CPU at a time like serial, but through a cross-call: a
    # second single-CPU reference measured in the same boot
    hop = entry['modes'].get('hop', {}).get('ms')
    for m in entry['modes'].values():
        m['speedup_vs_hop'] = hop / m['ms'] if hop and m.get('ms') else None
    # a mode's fastest chunk against serial's in the same boot: whatever
    # slows the whole host for a boot (other load on its cores and memory)
    # slows both and cancels out
    ref = entry['modes'].get('serial', {}).get('chunk_ms_per_gib_max')
    for m in entry['modes'].values():
        c = m.get('chunk_ms_per_gib_max')
        m['chunk_vs_serial'] = c / ref if ref and c else None
    for _, v in sorted(bw.items(), key=lambda kv: kv[0]):
        b = _merge(v)
        b.pop('schema', None)
        b.pop('kind', None)
        entry['bandwidth'].append(b)
    return entry


def ms_per_gib(node_row):
    """numaboot: ms per GiB of RAM (pages x 4 KiB) for one node in one mode."""
    pages, ns = node_row.get('pages'), node_row.get('ns')
    if not pages or ns is None:
        return None
    return (ns / 1e6) / (pages * PAGE / GiB)


def linux_compare(entry, linux):
    """Per node: numaboot parallel vs Linux deferred init, ms per GiB (wall)
    and ms per GiB per thread.  factor = Linux / numaboot (> 1: numaboot faster)."""
    par = entry['modes'].get('parallel')
    if not par or not linux or not linux.get('nodes'):
        return []
    lx = {n['node']: n for n in linux['nodes']}
    rows = []
    for n in par['nodes']:
        node = n.get('node')
        nb = ms_per_gib(n)
        cpus = n.get('cpus') or 1
        l = lx.get(node)
        row = {'node': node, 'numaboot_ms_per_gib': nb,
               'numaboot_ms_per_gib_per_thread': nb * cpus if nb is not None else None,
               'numaboot_cpus': cpus}
        if l:
            row.update({'linux_ms': l['ms'], 'linux_threads': l['threads'],
                        'linux_printk_ms_upper': l.get('printk_ms_upper'),
                        'linux_deferred_gib_est': l['deferred_gib_est'],
                        'linux_ms_per_gib': l['ms_per_gib'],
                        'linux_ms_per_gib_per_thread': l['ms_per_gib_per_thread'],
                        'linux_ms_per_node_gib': l['ms_per_node_gib']})
            row['factor'] = (l['ms_per_gib'] / nb) if nb and l['ms_per_gib'] else None
            row['factor_per_thread'] = (l['ms_per_gib_per_thread'] / row['numaboot_ms_per_gib_per_thread']) \
                if nb and l['ms_per_gib_per_thread'] else None
        rows.append(row)
    # Cold: the warm-up pass (parallel, first writes to the memmap, as
    # Linux's init is), per node: the node's own time over its own RAM.
    cold_nodes = {n.get('node'): n for n in (entry.get('warmup') or {}).get('nodes') or []}
    for row in rows:
        c = cold_nodes.get(row['node'])
        cold = ms_per_gib(c) if c else None
        row['numaboot_cold_ms_per_gib'] = cold
        if cold and row.get('linux_ms_per_gib'):
            row['factor_cold'] = row['linux_ms_per_gib'] / cold
    return rows


def evaluate_targets(results):
    """List of {id, text, threshold, value, met, where}; met is None when not measured."""
    topo = results.get('topologies', {})
    out = []
    t = topo.get('n1c2', {}).get('modes', {}).get('parallel', {})
    v = t.get('summary', {}).get('speedup_vs_serial') if t else None
    out.append({'id': 'parallel_speedup', 'where': 'n1c2 vs serial', 'value': v})
    out.append({'id': 'parallel_speedup', 'where': 'n1c2 vs hop (1 CPU via cross-call)',
                'value': t.get('speedup_vs_hop') if t else None})
    fracs = [(name, e['modes']['parallel']['bw_fraction_min']) for name, e in topo.items()
             if e.get('modes', {}).get('parallel', {}).get('bw_fraction_min') is not None]
    for name, f in fracs:
        out.append({'id': 'bw_fraction', 'where': name, 'value': f})
    if not fracs:
        out.append({'id': 'bw_fraction', 'where': '-', 'value': None})
    lin = [(name, e['linux_compare']) for name, e in topo.items() if e.get('linux_compare')]
    for name, rows in lin:
        fs = [r.get('factor') for r in rows]
        out.append({'id': 'vs_linux', 'where': name + ' (timed modes, warm memmap)',
                    'value': min(fs) if fs and all(f is not None for f in fs) else None})
        fc = [r.get('factor_cold') for r in rows]
        if fc and all(f is not None for f in fc):
            out.append({'id': 'vs_linux', 'where': name + ' (cold warm-up pass, like Linux)',
                        'value': min(fc)})
    if not lin:
        out.append({'id': 'vs_linux', 'where': '-', 'value': None})
    large = topo.get('large', {}).get('modes', {}).get('parallel', {})
    out.append({'id': 'large', 'where': 'large (timed parallel, warm)',
                'value': large['ms'] / 1000 if large and large.get('ms') is not None else None})
    lw = topo.get('large', {}).get('warmup')
    if lw and lw.get('ms') is not None:
        out.append({'id': 'large', 'where': 'large (cold pass: host allocates 4 GiB, reserve=off)',
                    'value': lw['ms'] / 1000})
    for o in out:
        text, thr = TARGETS[o['id']]
        o['text'], o['threshold'] = text, thr
        if o['value'] is None:
            o['met'] = None
        elif o['id'] == 'large':
            o['met'] = o['value'] <= thr
        else:
            o['met'] = o['value'] >= thr
    return out


# ---------------------------------------------------------------- formatting

def fmt(v, spec='.1f', none='-'):
    if v is None:
        return none
    if isinstance(v, bool):
        return 'yes' if v else 'NO'
    if isinstance(v, (int, float)):
        return format(v, spec)
    return str(v)


def format_table(headers, rows, align=None):
    """Plain-text table: headers list, rows of already-formatted strings;
    align: string of 'l'/'r' per column (default: first left, rest right)."""
    rows = [[str(c) for c in r] for r in rows]
    align = align or 'l' + 'r' * (len(headers) - 1)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        return '  '.join(c.ljust(w) if a == 'l' else c.rjust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()
    return '\n'.join([line(headers), line(['-' * w for w in widths])] + [line(r) for r in rows])


def mode_table(results):
    headers = ['topology', 'mode', 'ms', 'GiB/s', 'vs serial', 'vs hop', 'bw frac', 'checksums', 'verified']
    rows = []
    for name, e in results.get('topologies', {}).items():
        if e.get('error'):
            rows.append([name, 'ERROR', e['error'][:40], '', '', '', '', '', ''])
            continue
        for mode, m in e.get('modes', {}).items():
            s = m.get('summary', {})
            rows.append([name, mode, fmt(m.get('ms')), fmt(s.get('ram_gib_per_s'), '.2f'),
                         fmt(s.get('speedup_vs_serial'), '.2f') + ('x' if s.get('speedup_vs_serial') is not None else ''),
                         fmt(m.get('speedup_vs_hop'), '.2f') + ('x' if m.get('speedup_vs_hop') is not None else ''),
                         fmt(m.get('bw_fraction_min'), '.0%'),
                         {True: 'equal', False: 'DIFFER', None: '-'}[m.get('checksums_equal')],
                         fmt(m.get('verified'))])
    return format_table(headers, rows, 'llrrrrrll')


def bandwidth_table(results):
    headers = ['topology', 'node', 'cpus', 'plain GiB/s', 'nt GiB/s', 'rep stos GiB/s', 'best']
    rows = []
    for name, e in results.get('topologies', {}).items():
        for b in e.get('bandwidth', []):
            rows.append([name, fmt(b.get('node'), 'd'), fmt(b.get('cpus'), 'd'),
                         fmt((b.get('plain') or {}).get('gib_per_s'), '.2f'),
                         fmt((b.get('nontemporal') or {}).get('gib_per_s'), '.2f'),
                         fmt((b.get('rep_stos') or {}).get('gib_per_s'), '.2f'), fmt(b.get('best'))])
    return format_table(headers, rows, 'lrrrrrl')


def bringup_table(results):
    headers = ['vCPUs', 'online', 'bring-up ms', 'tsc source', 'x2apic']
    rows = [[fmt(b.get('cpus'), 'd'), fmt(b.get('cpus_online'), 'd'),
             fmt(b['bringup_ns'] / 1e6 if b.get('bringup_ns') is not None else None, '.2f'),
             fmt(b.get('tsc_source')), fmt(b.get('x2apic'))] for b in results.get('bringup', [])]
    return format_table(headers, rows, 'rrrll')


def linux_table(results):
    headers = ['topology', 'node', 'numaboot ms/GiB', 'Linux ms/GiB', 'factor', 'cold ms/GiB', 'factor cold',
               'numaboot ms/GiB/thr', 'Linux ms/GiB/thr', 'factor/thr', 'Linux ms', 'printk ms<=',
               'deferred GiB']
    rows = []
    for name, e in results.get('topologies', {}).items():
        for r in e.get('linux_compare', []):
            rows.append([name, fmt(r.get('node'), 'd'), fmt(r.get('numaboot_ms_per_gib'), '.2f'),
                         fmt(r.get('linux_ms_per_gib'), '.1f'),
                         fmt(r.get('factor'), '.1f') + ('x' if r.get('factor') else ''),
                         fmt(r.get('numaboot_cold_ms_per_gib'), '.2f'),
                         fmt(r.get('factor_cold'), '.1f') + ('x' if r.get('factor_cold') else ''),
                         fmt(r.get('numaboot_ms_per_gib_per_thread'), '.2f'),
                         fmt(r.get('linux_ms_per_gib_per_thread'), '.1f'),
                         fmt(r.get('factor_per_thread'), '.1f') + ('x' if r.get('factor_per_thread') else ''),
                         fmt(r.get('linux_ms'), 'd'), fmt(r.get('linux_printk_ms_upper'), '.0f'),
                         fmt(r.get('linux_deferred_gib_est'), '.2f')])
    return format_table(headers, rows)


def targets_table(results):
    headers = ['target', 'where', 'measured', 'threshold', 'status']
    rows = []
    for t in results.get('targets', []):
        unit = 's' if t['id'] == 'large' else ('' if t['id'] == 'bw_fraction' else 'x')
        val = fmt(t['value'], '.0%' if t['id'] == 'bw_fraction' else '.2f')
        thr = ('<= ' if t['id'] == 'large' else '>= ') + \
            (format(t['threshold'], '.0%') if t['id'] == 'bw_fraction' else f"{t['threshold']}{unit}")
        rows.append([t['text'], t['where'], val + (unit if t['value'] is not None else ''), thr,
                     {True: 'met', False: 'NOT met', None: 'not measured'}[t['met']]])
    return format_table(headers, rows, 'llrrl')


def report(results):
    parts = ['== meminit modes (median of %s boot(s)) ==' % results.get('repeat', 1), mode_table(results)]
    warm = [(n, e['warmup']) for n, e in results.get('topologies', {}).items() if e.get('warmup')]
    if warm:
        parts += ['', '== cold pass (untimed warm-up before the modes: parallel, first writes) ==',
                  format_table(['topology', 'cpus', 'ms', 'GiB/s'],
                               [[n, fmt(w.get('cpus'), 'd'), fmt(w.get('ms')),
                                 fmt(w.get('ram_gib_per_s'), '.2f')] for n, w in warm], 'lrrr')]
    if any(e.get('bandwidth') for e in results.get('topologies', {}).values()):
        parts += ['', '== store bandwidth per node ==', bandwidth_table(results)]
    if results.get('bringup'):
        parts += ['', '== AP bring-up time vs vCPU count (1 node; >2 vCPUs oversubscribe the 2 host cores) ==',
                  bringup_table(results)]
    if any(e.get('linux_compare') for e in results.get('topologies', {}).values()):
        parts += ['', '== numaboot parallel vs Linux 6.1 deferred init (per node; factor = Linux/numaboot) ==',
                  linux_table(results)]
    if results.get('pmem'):
        parts += ['', '== persistent memory per mode and node (tools/bench_pmem.py) ==',
                  pmem_table(results['pmem'])]
    if results.get('hotplug'):
        parts += ['', '== hot-add under load: node CPUs vs one CPU, eager vs lazy (tools/bench_hotplug.py) ==',
                  hotplug_table(results['hotplug'])]
    if results.get('scale'):
        parts += ['', '== largest topology (x2APIC, ids above 255; tools/bench_scale.py) ==',
                  scale_table(results['scale'], fmt, format_table)]
    parts += bench_lazy.report_parts(results, fmt, format_table)
    parts += ['', '== targets (reported, not asserted) ==', targets_table(results)]
    return '\n'.join(parts)


# ---------------------------------------------------------------- running

class Progress:
    """Boot N of M and an estimate of the time left (mean boot time so far)."""

    def __init__(self, total):
        self.total, self.done, self.t0 = total, 0, time.monotonic()

    def tick(self):
        self.done += 1
        el = time.monotonic() - self.t0
        left = el / self.done * (self.total - self.done)
        return f'[{self.done}/{self.total}, {el:.0f} s elapsed, ~{left:.0f} s left]'


def boot_numaboot(topo, opts, repeat, timeout, log, progress=None):
    boots, runs = [], []
    for i in range(repeat):
        r = qemu_run.run(topo, opts, timeout=timeout)
        runs.append({'status': r.status, 'seconds': round(r.seconds, 1)})
        log(f'    boot {i + 1}/{repeat}: {r.status} in {r.seconds:.1f} s' +
            (' ' + progress.tick() if progress else ''))
        if r.status != 'ok':
            tail = r.output[-1500:]
            log('    ' + tail.replace('\n', '\n    '))
        boots.append(r.records)
    return boots, runs, r.cmdline


def run_linux(topo, repeat, timeout, log):
    import linux_bench
    res = []
    for i in range(repeat):
        r = linux_bench.run_linux(topo, timeout=timeout)
        log(f"    Linux boot {i + 1}/{repeat}: {'ok' if r['ok'] else 'no deferred-init lines'} "
            f"in {r['seconds']} s: " + ', '.join(f"node {n['node']} {n['ms']} ms" for n in r['nodes']))
        res.append(r)
    good = [r for r in res if r['ok']]
    if not good:
        return res[-1]
    out = dict(good[-1])
    out['nodes'] = []
    for i, n in enumerate(good[-1]['nodes']):
        merged = _merge([g['nodes'][i] for g in good if len(g['nodes']) > i])
        out['nodes'].append(merged)
    out['repeat'] = len(good)
    out.pop('cmdline', None)
    out['available'] = bench_lazy.linux_available_runs(good)   # Memory: A/T, per boot
    return out


def topo_dict(topo):
    d = asdict(topo)
    d['dist'] = {f'{a}:{b}': v for (a, b), v in topo.dist.items()}
    return d


def _cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _file_id(path):
    """basename, size and the start of the SHA-256 of a file (the OVMF build)."""
    import hashlib
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    return f'{os.path.basename(path)} {len(data)} sha256:{hashlib.sha256(data).hexdigest()[:16]}'


def host_identity():
    """What the figures of a run depend on besides the kernel (tools/regress.py
    compares it with a stored baseline's): CPU model and count, QEMU and OVMF."""
    try:
        qemu = subprocess.run([qemu_run.QEMU, '--version'], capture_output=True, text=True).stdout.split('\n')[0]
    except OSError:
        qemu = None
    return {'machine': platform.machine(), 'cpus': os.cpu_count(), 'node': platform.node(),
            'cpu_model': _cpu_model(), 'qemu': qemu, 'ovmf': _file_id(qemu_run.OVMF_CODE)}


def _positive(conv, what):
    """argparse type: conv(text) > 0, else a usage error (exit 2)."""
    def parse(text):
        try:
            v = conv(text)
        except ValueError:
            v = 0
        if not v > 0:
            raise argparse.ArgumentTypeError(f'{text!r} is not {what}')
        return v
    return parse


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help=f'only {", ".join(QUICK)} at 1 GiB/node, '
                   f'bring-up {QUICK_BRINGUP_CPUS}, no Linux')
    p.add_argument('--only', default='', help='comma list of names: ' + ', '.join(MATRIX) + ', bringup, large, pmem, scale, hotplug')
    p.add_argument('--repeat', type=_positive(int, 'a whole number >= 1'), default=1, help='boots per topology (median)')
    p.add_argument('--mem', type=_positive(float, 'GiB > 0'), default=None, help='GiB per node (default 2, quick 1)')
    p.add_argument('--no-linux', action='store_true', help='skip the Linux 6.1 comparison')
    p.add_argument('--linux', action='store_true', help='with --quick: do run the Linux comparison')
    p.add_argument('--large', action='store_true', help='add 256 GiB in 2 nodes (slow)')
    p.add_argument('--large-opts', default='meminit=parallel', help='kernel options of the large boot')
    p.add_argument('--opts', default='meminit=all', help='kernel options of the matrix boots')
    p.add_argument('--rounds', type=_positive(int, 'a whole number >= 1'), default=None,
                   help=f'meminit_rounds of the matrix boots: each mode run N times per boot, the fastest '
                   f'reported (default {QUICK_ROUNDS} with --quick, else 1; ignored when --opts names it)')
    p.add_argument('--timeout', type=_positive(float, 'seconds > 0'), default=600, help='seconds per boot')
    p.add_argument('--out', default=os.path.join(OUT_DIR, 'results.json'))
    p.add_argument('--no-plot', action='store_true')
    p.add_argument('--from', dest='from_file', metavar='RESULTS', help='re-print and re-plot a results.json')
    a = p.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if a.from_file:
        with open(a.from_file) as f:
            results = json.load(f)
        results['targets'] = evaluate_targets(results)
        print(report(results))
        if not a.no_plot:
            plot(results, os.path.dirname(os.path.abspath(a.from_file)), log)
        return 0

    only = set(filter(None, a.only.split(',')))
    unknown = only - set(MATRIX) - {'bringup', 'large', 'pmem', 'scale', 'hotplug'}
    if unknown:
        p.error(f'unknown --only name(s): {", ".join(sorted(unknown))}; known: {", ".join(MATRIX)}, bringup, large, pmem, scale, hotplug')
    mem = a.mem or (1 if a.quick else 2)
    rounds = a.rounds or (QUICK_ROUNDS if a.quick else 1)
    if rounds > 1 and 'meminit_rounds=' not in a.opts:
        a.opts = f'{a.opts} meminit_rounds={rounds}'
    names = [n for n in MATRIX if (n in only if only else (n in QUICK if a.quick else True))]
    do_bringup = 'bringup' in only if only else True
    do_large = a.large or 'large' in only
    do_pmem = 'pmem' in only if only else not a.quick
    do_scale = 'scale' in only if only else not a.quick
    do_hotplug = 'hotplug' in only if only else not a.quick
    do_linux = not a.no_linux and (a.linux or not a.quick)
    try:
        qemu_run.check_harness()
    except qemu_run.HarnessError as exc:
        log(f'bench: {exc}')
        return 125

    results = {'schema': SCHEMA, 'created': datetime.datetime.now().isoformat(timespec='seconds'),
               'command': ' '.join(['tools/bench.py'] + (argv if argv is not None else sys.argv[1:])),
               'host': host_identity(),
               'image_mtime': datetime.datetime.fromtimestamp(os.path.getmtime(qemu_run.IMAGE)).isoformat(timespec='seconds'),
               'repeat': a.repeat, 'mem_gib_per_node': mem, 'opts': a.opts,
               'topologies': {}, 'bringup': []}
    failures = 0
    cases = [(n, MATRIX[n][0](mem), MATRIX[n][1], a.opts) for n in names]
    if do_large:
        cases.append((LARGE[0], LARGE[1](), LARGE[2], a.large_opts))
    t0 = time.monotonic()
    bringup_cpus = (QUICK_BRINGUP_CPUS if a.quick else BRINGUP_CPUS) if do_bringup else ()
    progress = Progress(a.repeat * (len(cases) * (2 if do_linux else 1) + len(bringup_cpus)))
    for name, topo, desc, opts in cases:
        log(f'bench: {name}: {desc}, {topo.mem_gib} GiB, opts "{opts}"')
        timeout = max(a.timeout, 3600) if name == 'large' else a.timeout
        boots, runs, cmd = boot_numaboot(topo, opts, a.repeat, timeout, log, progress)
        entry = collect(boots)
        entry['lazy'] = bench_lazy.collect(boots)     # per-boot lazy figures and spreads
        tls = [r for b in boots for r in b if r.get('kind') == 'timeline']
        if tls:
            entry['timeline'] = {k: v for k, v in tls[0].items() if k not in ('schema', 'kind')}
        entry.update({'description': desc, 'topology': topo_dict(topo), 'vcpus': topo.total_cpus(),
                      'opts': opts, 'boots': runs, 'qemu_cmdline': ' '.join(cmd)})
        if not entry['modes']:
            entry['error'] = 'no meminit records (' + ', '.join(r['status'] for r in runs) + ')'
            failures += 1
        elif any(r['status'] != 'ok' for r in runs):
            failures += 1
        if do_linux:
            try:
                entry['linux'] = run_linux(topo, a.repeat, timeout, log)
                for _ in range(a.repeat):
                    progress.tick()
                entry['linux_compare'] = linux_compare(entry, entry['linux'])
            except Exception as exc:  # a missing apt source must not lose the numaboot figures
                log(f'    Linux comparison failed: {exc}')
                entry['linux'] = {'ok': False, 'error': str(exc)}
        results['topologies'][name] = entry
    for n in bringup_cpus:
        topo = Topology(1, n, [1])
        log(f'bench: bring-up: 1 node x {n} vCPUs')
        boots, runs, _ = boot_numaboot(topo, 'meminit=parallel bw_mb=0', a.repeat, a.timeout, log, progress)
        smp = [[r for r in b if r.get('kind') == 'smp'] for b in boots]
        smp = [s[0] for s in smp if s]
        row = {'cpus': n, 'boots': runs,
               'samples': {'bringup_ns': [x['bringup_ns'] for x in smp if _num(x.get('bringup_ns'))]}}
        if smp:
            m = _merge(smp)
            row.update({k: m.get(k) for k in ('cpus_listed', 'cpus_online', 'bringup_ns', 'tsc_hz',
                                              'tsc_source', 'x2apic')})
        else:
            failures += 1
        failures += any(r['status'] != 'ok' for r in runs)     # exit 0 only when every boot ended ok
        results['bringup'].append(row)
    if do_hotplug:
        results['hotplug'] = bench_hotplug(a.timeout, log, max(a.repeat, 3))
        failures += results['hotplug']['status'] != 'ok'
    if do_pmem:
        results['pmem'] = bench_pmem(a.timeout, log, a.repeat, large=do_large)
        failures += results['pmem']['status'] != 'ok' or \
            not all(r['verified'] for r in results['pmem']['rows'])
    if do_scale:
        results['scale'] = bench_scale(max(a.timeout, 1200), log)
        failures += results['scale']['status'] != 'ok' or not results['scale'].get('verified')
    results['seconds'] = round(time.monotonic() - t0, 1)
    results['targets'] = evaluate_targets(results)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, 'w') as f:
        json.dump(results, f, indent=1)
    print(report(results))
    log(f'bench: results in {a.out} ({results["seconds"]} s)')
    if not a.no_plot:
        plot(results, os.path.dirname(os.path.abspath(a.out)), log)
    return 1 if failures else 0


def plot(results, out_dir, log):
    try:
        import plot as plotmod
        for path in plotmod.plot_all(results, out_dir):
            log(f'bench: plot {path}')
        import timeline
        for name, e in results.get('topologies', {}).items():
            if e.get('timeline'):
                path = timeline.plot(e['timeline'], os.path.join(out_dir, f'timeline-{name}.png'),
                                     f'numaboot boot timeline: {name} ({e.get("opts", "")}, first boot)')
                log(f'bench: timeline {path}')
    except ImportError as exc:
        log(f'bench: no plots ({exc}; install python3-matplotlib)')


if __name__ == '__main__':
    sys.exit(main())
