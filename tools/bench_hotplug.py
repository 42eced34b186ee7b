#!/usr/bin/env python3
"""Hot-add rows of `make bench` (issue 9, docs/hotplug.md; hot_lazy: issue
19): memory plugged through virtio-mem while every CPU allocates (serve_s),
initialized by the node's worker CPUs or by one of them (hot_cpus=1), each
case booted eager (hot_lazy=off: the whole init before the blocks are
allocatable) and lazy (hot_lazy=on: the free blocks' heads first, then the
rest), the two modes in alternating boots.

Two vCPUs in every case (as many as this machine's host cores, so the
figures are the design's, not the emulator's scheduling); the host plugs
GIB GiB 1 s after serve_begin while every CPU allocates:
  node-cpus    1 node x 2 CPUs x 2 GiB, the device on it: both CPUs init
  one-cpu      the same, hot_cpus=1: the boot CPU inits, the other allocates
  other-node   2 nodes x 1 CPU x 1 GiB, the device on node 1: node 1's CPU
               inits, node 0's keeps allocating on both nodes (no global stop)
Guest RAM is prealloc=on (the vmemmap pages of hot memory come from it); the
hot region's backend is reserve=off (QEMU 10 refuses prealloc=on on a
virtio-mem memdev, and the device's own prealloc=on populates each plug
inside the PLUG request: seconds per GiB here, docs/bench.md).

Figures per case and mode, medians over the boots with (min, max):
  init ms/GiB          first worker's start to last worker's end, per GiB
                       (lazy: the heads run)
  allocatable ms/GiB   from the change seen to the last chunk spliced
                       (lazy: the heads' last chunk)
  posted ms/GiB        the same less prepare (PLUG request, mappings: the
                       same work in both modes): pick-up, init and splice
  complete ms/GiB      from the change seen to every struct page complete
                       (eager: = allocatable)
  tails ms/GiB         lazy: first to last worker of the rest
  prepare, pickup      (in the JSON) from the change seen to the request
                       published, then to its first chunk
  ops during           workload operations while the step was in flight
                       (until complete)
  p99 us / max us      one allocation or free while the step was in
                       flight: the 99th percentile (upper bound of its log2
                       bucket) and the longest, beside
  idle p99 / max       the same for the operations with no step in flight
                       in the same boots
and per case the lazy / eager ratios of allocatable, posted, init and
complete time, each taken per pair of boots (one of each mode, booted one after the
other), then their median and range.
Used by tools/bench.py (--only hotplug); also runs alone:
    tools/bench_hotplug.py [--repeat N] [--gib G]
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplug  # noqa: E402
import qemu_run  # noqa: E402
from qemu_run import Topology  # noqa: E402

GIB = 1 << 30
BACKING = ('guest RAM prealloc=on; hot region reserve=off (the host allocates each '
           'hot-added page at its first touch)')
BACKING_OLD = 'guest RAM and hot region reserve=off'   # results without 'backing'


def one_node(gib):
    return Topology(nodes=1, cpus=2, mem_gib=[2], vmem=[(0, gib + 1, 0)], prealloc=True)


def two_nodes(gib):
    return Topology(nodes=2, cpus=1, mem_gib=[1, 1], vmem=[(1, gib + 1, 0)], prealloc=True)


# name: (topology, options)
CASES = {'node-cpus': (one_node, 'hot_cpus=0'), 'one-cpu': (one_node, 'hot_cpus=1'),
         'other-node': (two_nodes, 'hot_cpus=0')}
MODES = {'eager': 'hot_lazy=off', 'lazy': 'hot_lazy=on'}
FIGURES = ('init_ms_per_gib', 'allocatable_ms_per_gib', 'posted_ms_per_gib', 'complete_ms_per_gib',
           'tails_ms_per_gib', 'prepare_ms_per_gib', 'pickup_ms_per_gib', 'ops', 'p99_us', 'stall_us',
           'idle_p99_us', 'idle_stall_us')
# lazy / eager, per pair of boots; 'posted': allocatable less prepare (the
# PLUG request and the mappings, the same work in both modes)
RATIOS = ('allocatable', 'posted', 'init', 'complete')


def sample_of(records, gib):
    """The figures of one boot's records, or None when the hot-add did not
    happen.  A kernel before hot_lazy wrote no lazy, complete_ns or
    tails_ns: its plug was whole, complete when allocatable."""
    evs = [e for e in records if e.get('kind') == 'hotplug_event'
           and e['op'] == 'plug' and e['status'] == 'ok']
    end = [e for e in records if e.get('kind') == 'serve_end']
    if len(evs) != 1 or len(end) != 1 or not end[0]['ok']:
        return None
    e = evs[0]
    return {'lazy': bool(e.get('lazy', False)),
            'init_ms_per_gib': e['init_ns'] / 1e6 / gib,
            'allocatable_ms_per_gib': e['allocatable_ns'] / 1e6 / gib,
            'complete_ms_per_gib': e.get('complete_ns', e['allocatable_ns']) / 1e6 / gib,
            'tails_ms_per_gib': e.get('tails_ns', 0) / 1e6 / gib,
            'prepare_ms_per_gib': e['prepare_ns'] / 1e6 / gib,
            'posted_ms_per_gib': (e['allocatable_ns'] - e['prepare_ns']) / 1e6 / gib,
            'pickup_ms_per_gib': e['pickup_ns'] / 1e6 / gib,
            'stall_us': e['max_stall_ns'] / 1e3,
            'p99_us': e['op_p99_ns'] / 1e3,
            'idle_p99_us': end[0]['idle_op_p99_ns'] / 1e3,
            'idle_stall_us': end[0]['max_stall_idle_ns'] / 1e3,
            'ops': e['ops'],
            'cpus': len(e['cpus'])}


def spread(vals):
    return {'median': statistics.median(vals), 'min': min(vals), 'max': max(vals), 'n': len(vals)}


def summarize(case, mode, gib, samples):
    """One row: each figure's median and [min, max] over the boots."""
    row = {'case': case, 'mode': mode, 'gib': gib, 'samples': len(samples),
           'cpus': samples[0]['cpus']}
    for f in FIGURES:
        vals = [s[f] for s in samples]
        row[f] = statistics.median(vals)
        row[f + '_range'] = [min(vals), max(vals)]
    return row


def pair_ratios(pairs):
    """Lazy / eager per pair (eager sample, lazy sample) of boots, both
    present, then the spread of each ratio; None without a whole pair."""
    whole = [(e, z) for e, z in pairs if e and z]
    if not whole:
        return None
    out = {'pairs': len(whole)}
    for name in RATIOS:
        f = name + '_ms_per_gib'
        out[name] = spread([z[f] / e[f] for e, z in whole if e[f] > 0])
    return out


def one_boot(run, topo, opts, mode, gib, timeout):
    """(sample, None, None), or (None, the run's status, why) when the boot
    gave no complete hot-add of the mode asked for."""
    sched = hotplug.parse_schedule(f'1@vmem0={gib}G', devices=1)
    r = run(topo, f'bw_mb=0 warmup=off serve_s=4 {opts} {MODES[mode]}', timeout=timeout,
            hotplug=sched)
    status = r.status if r.status != 'ok' else 'failed'
    s = sample_of(r.records, gib) if r.status == 'ok' else None
    if s is None:
        return None, status, f'{r.status}, no complete hot-add'
    if s['lazy'] != (mode == 'lazy'):
        return None, status, f'the plug event says lazy={s["lazy"]} under {MODES[mode]}'
    return s, None, None


def bench_hotplug(timeout, log, repeat=3, gib=1, run=qemu_run.run):
    """Every case, each boot pair eager and lazy one after the other (the
    order swapped every pair, so a drift in the host's load falls on both)."""
    boots, status = {}, 'ok'
    for case, (topology, opts) in CASES.items():
        topo = topology(gib)
        pairs = []
        for i in range(repeat):
            pair = {}
            for mode in (('eager', 'lazy') if i % 2 == 0 else ('lazy', 'eager')):
                log(f'bench: hotplug {case} {mode} boot {i + 1}/{repeat}')
                pair[mode], failed, why = one_boot(run, topo, opts, mode, gib, timeout)
                if failed:
                    log(f'bench: hotplug {case} {mode}: {why}')
                    status = failed
            pairs.append((pair['eager'], pair['lazy']))
        boots[case] = [{'eager': e, 'lazy': z} for e, z in pairs]
    return dict(tabulate(boots, gib), status=status, gib=gib, backing=BACKING)


def tabulate(boots, gib):
    """Rows per case and mode, the lazy / eager ratios per case and the
    speedups, from every boot's sample: {case: [{'eager': s, 'lazy': s}]}."""
    rows, ratios = [], {}
    for case, pairs in boots.items():
        for mode in MODES:
            samples = [p[mode] for p in pairs if p[mode]]
            if samples:
                rows.append(summarize(case, mode, gib, samples))
        r = pair_ratios([(p['eager'], p['lazy']) for p in pairs])
        if r:
            ratios[case] = r
    by = {(r['case'], r['mode']): r for r in rows}
    for mode in MODES:
        if ('node-cpus', mode) in by and ('one-cpu', mode) in by:
            by[('node-cpus', mode)]['speedup_vs_one_cpu'] = \
                by[('one-cpu', mode)]['init_ms_per_gib'] / by[('node-cpus', mode)]['init_ms_per_gib']
    return {'rows': rows, 'ratios': ratios, 'boots': boots}


def rows_of(res):
    """The rows of res, those of a run before hot_lazy (no mode: the plug
    was whole) read as eager with complete = allocatable."""
    out = []
    for r in res['rows']:
        if 'mode' not in r:
            r = dict(r, mode='eager', complete_ms_per_gib=r['allocatable_ms_per_gib'],
                     complete_ms_per_gib_range=r['allocatable_ms_per_gib_range'])
        out.append(r)
    return out


def hotplug_table(res):
    head = ['case', 'mode', 'CPUs', 'init ms/GiB', '(range)', 'alloc ms/GiB', '(range)', 'posted ms/GiB',
            'complete ms/GiB', 'tails ms/GiB', 'ops during', 'p99 us', 'max us', '(range)',
            'idle p99 us', 'idle max us', 'speedup']
    lines = [f'guest memory: {res.get("backing", BACKING_OLD)}',
             '  '.join(f'{h:>13}' for h in head)]
    for r in rows_of(res):
        rng = lambda f, spec: f'{r[f + "_range"][0]:{spec}}-{r[f + "_range"][1]:{spec}}'
        opt = lambda f: f'{r[f]:.1f}' if f in r else '-'
        sp = r.get('speedup_vs_one_cpu')
        lines.append('  '.join(f'{c:>13}' for c in (
            r['case'], r['mode'], str(r['cpus']), f'{r["init_ms_per_gib"]:.1f}', rng('init_ms_per_gib', '.1f'),
            f'{r["allocatable_ms_per_gib"]:.1f}', rng('allocatable_ms_per_gib', '.1f'),
            opt('posted_ms_per_gib'), opt('complete_ms_per_gib'), opt('tails_ms_per_gib'), f'{r["ops"]:.0f}', f'{r["p99_us"]:.1f}',
            f'{r["stall_us"]:.0f}', rng('stall_us', '.0f'), f'{r["idle_p99_us"]:.1f}',
            f'{r["idle_stall_us"]:.0f}', '-' if sp is None else f'{sp:.2f}x')))
    if res.get('ratios'):
        lines += ['', 'lazy / eager, per pair of boots: median (min-max)',
                  '  '.join(f'{h:>22}' for h in ('case', 'pairs', *RATIOS))]
        for case, q in res['ratios'].items():
            cell = lambda n: f'{q[n]["median"]:.2f}x ({q[n]["min"]:.2f}-{q[n]["max"]:.2f})'
            lines.append('  '.join(f'{c:>22}' for c in (case, str(q['pairs']), *map(cell, RATIOS))))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--repeat', type=int, default=3, help='boot pairs (eager, lazy) per case (medians and range)')
    p.add_argument('--gib', type=int, default=1, help='GiB hot-added per boot')
    p.add_argument('--timeout', type=float, default=600, help='seconds per boot')
    p.add_argument('--out', default=os.path.join(qemu_run.ROOT, 'build', 'bench', 'hotplug.json'))
    a = p.parse_args(argv)
    if not os.path.exists(qemu_run.IMAGE):
        print(f'bench_hotplug: {qemu_run.IMAGE} is missing: run make first', file=sys.stderr)
        return 125
    res = bench_hotplug(a.timeout, lambda s: print(s, file=sys.stderr, flush=True), a.repeat, a.gib)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1)
    print(hotplug_table(res))
    return 0 if res['status'] == 'ok' and len(res['rows']) == len(CASES) * len(MODES) else 1


if __name__ == '__main__':
    sys.exit(main())
