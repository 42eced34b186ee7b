#!/usr/bin/env python3
"""Hot-add rows of `make bench` (issue 9, docs/hotplug.md): memory plugged
through virtio-mem while every CPU allocates (serve_s), initialized by the
node's worker CPUs or by one of them (hot_cpus=1).

Two vCPUs in every case (as many as this machine's host cores, so the
figures are the design's, not the emulator's scheduling); the host plugs
GIB GiB 1 s after serve_begin while every CPU allocates:
  node-cpus    1 node x 2 CPUs x 2 GiB, the device on it: both CPUs init
  one-cpu      the same, hot_cpus=1: the boot CPU inits, the other allocates
  other-node   2 nodes x 1 CPU x 1 GiB, the device on node 1: node 1's CPU
               inits, node 0's keeps allocating on both nodes (no global stop)  Figures per case,
medians over the boots with (min, max):
  init ms/GiB          first worker's start to last worker's end, per GiB
  allocatable ms/GiB   from the change seen to the last chunk spliced
  ops during           workload operations while the hot-add was in flight
  p99 us / max us      one allocation or free while the hot-add was in
                       flight: the 99th percentile (upper bound of its log2
                       bucket) and the longest, beside
  idle p99 / max       the same for the operations with no hot-add in
                       flight in the same boots (a maximum over seconds of
                       operations is not comparable with one over the
                       milliseconds of a hot-add; the percentiles are)
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


def one_node(gib):
    return Topology(nodes=1, cpus=2, mem_gib=[2], vmem=[(0, gib + 1, 0)])


def two_nodes(gib):
    return Topology(nodes=2, cpus=1, mem_gib=[1, 1], vmem=[(1, gib + 1, 0)])


# name: (topology, options)
CASES = {'node-cpus': (one_node, 'hot_cpus=0'), 'one-cpu': (one_node, 'hot_cpus=1'),
         'other-node': (two_nodes, 'hot_cpus=0')}
FIGURES = ('init_ms_per_gib', 'allocatable_ms_per_gib', 'ops', 'p99_us', 'stall_us', 'idle_p99_us',
           'idle_stall_us')


def sample_of(r, gib):
    """The figures of one boot, or None when the hot-add did not happen."""
    evs = [e for e in r.kind('hotplug_event') if e['op'] == 'plug' and e['status'] == 'ok']
    end = r.kind('serve_end')
    if len(evs) != 1 or len(end) != 1 or not end[0]['ok']:
        return None
    e = evs[0]
    return {'init_ms_per_gib': e['init_ns'] / 1e6 / gib,
            'allocatable_ms_per_gib': e['allocatable_ns'] / 1e6 / gib,
            'stall_us': e['max_stall_ns'] / 1e3,
            'p99_us': e['op_p99_ns'] / 1e3,
            'idle_p99_us': end[0]['idle_op_p99_ns'] / 1e3,
            'idle_stall_us': end[0]['max_stall_idle_ns'] / 1e3,
            'ops': e['ops'],
            'cpus': len(e['cpus'])}


def bench_hotplug(timeout, log, repeat=3, gib=1):
    rows, status = [], 'ok'
    for case, (topology, opts) in CASES.items():
        topo = topology(gib)
        samples = []
        for i in range(repeat):
            log(f'bench: hotplug {case} boot {i + 1}/{repeat}')
            sched = hotplug.parse_schedule(f'1@vmem0={gib}G', devices=1)
            r = qemu_run.run(topo, f'bw_mb=0 warmup=off serve_s=4 {opts}', timeout=timeout,
                             hotplug=sched)
            s = sample_of(r, gib) if r.status == 'ok' else None
            if s is None:
                log(f'bench: hotplug {case}: {r.status}, no complete hot-add')
                status = r.status if r.status != 'ok' else 'failed'
                continue
            samples.append(s)
        if not samples:
            continue
        row = {'case': case, 'gib': gib, 'samples': len(samples),
               'cpus': samples[0]['cpus']}
        for f in FIGURES:
            vals = [s[f] for s in samples]
            row[f] = statistics.median(vals)
            row[f + '_range'] = [min(vals), max(vals)]
        rows.append(row)
    by = {r['case']: r for r in rows}
    if 'node-cpus' in by and 'one-cpu' in by:
        by['node-cpus']['speedup_vs_one_cpu'] = \
            by['one-cpu']['init_ms_per_gib'] / by['node-cpus']['init_ms_per_gib']
    return {'status': status, 'rows': rows}


def hotplug_table(res):
    head = ['case', 'CPUs', 'init ms/GiB', '(range)', 'alloc ms/GiB', 'ops during', 'p99 us', 'max us', '(range)',
            'idle p99 us', 'idle max us', 'speedup']
    lines = ['  '.join(f'{h:>13}' for h in head)]
    for r in res['rows']:
        rng = lambda f, spec: f'{r[f + "_range"][0]:{spec}}-{r[f + "_range"][1]:{spec}}'
        sp = r.get('speedup_vs_one_cpu')
        lines.append('  '.join(f'{c:>13}' for c in (
            r['case'], str(r['cpus']), f'{r["init_ms_per_gib"]:.1f}', rng('init_ms_per_gib', '.1f'),
            f'{r["allocatable_ms_per_gib"]:.1f}', f'{r["ops"]:.0f}', f'{r["p99_us"]:.1f}', f'{r["stall_us"]:.0f}',
            rng('stall_us', '.0f'), f'{r["idle_p99_us"]:.1f}', f'{r["idle_stall_us"]:.0f}',
            '-' if sp is None else f'{sp:.2f}x')))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--repeat', type=int, default=3, help='boots per case (medians and range)')
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
    return 0 if res['status'] == 'ok' and len(res['rows']) == len(CASES) else 1


if __name__ == '__main__':
    sys.exit(main())
