#!/usr/bin/env python3
"""Native host benchmark of the kernel's range initializer (make hostbench).

  tools/hostbench.py [--sizes 1,4,16] [--threads 1,2] [--reps 3] [--max-gib N]
                     [--budget-s 90] [--out build/hostbench] [--no-plot]
                     [--project-bw-gbs 300] [--project-cores 32]
  tools/hostbench.py --from build/hostbench/results.jsonl   # re-print a run, no measuring

Runs build/numaboot-hostbench once per node size (GiB of RAM described; the memmap is
1/64 of it) and thread counts 1, 2, 4, ..., CPUs (or --threads).  Without
--sizes the sizes are 1, 4, 16, 64, ... GiB up to --max-gib, while the host
can back the memmap (the program refuses, with a message, what it
cannot) and while the next size's estimated time (the last size's wall time
scaled by size) fits what is left of --budget-s.

Each `hostbench` record also carries `lazy` (meminit=lazy's heads pass and
tails pass on the same request, with their ratios to the full pass; the
program's --lazy 0 leaves them out), printed as a second table.

Writes every record to OUT/results.jsonl (one JSON object per line, kinds
hostbench_node, hostbench_cold, hostbench, hostbench_refused: docs/bench.md),
prints a table and a projection (labelled as such) for 1 TiB per node on a
server of --project-bw-gbs GB/s per socket and --project-cores cores, and
plots OUT/hostbench.png (matplotlib).  Exit (docs/output.md) 0; 1 when a
run failed, a verifier found errors or a checksum differs; 2 for bad
arguments; 3 when an explicit size was refused; 4 when the --from file is
unreadable, holds no record or a malformed one; 125 when
build/numaboot-hostbench is missing.
"""
import argparse
import io
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT_GIB = 1024


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build', 'numaboot-hostbench'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'build', 'hostbench'))
    ap.add_argument('--sizes', help='GiB of RAM per run, comma-separated (no budget)')
    ap.add_argument('--threads', help='thread counts, ascending, comma-separated')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--max-gib', type=int, default=16384)
    ap.add_argument('--budget-s', type=float, default=90.0,
                    help='stop growing sizes when the next would not fit (0: no limit)')
    ap.add_argument('--no-plot', action='store_true')
    ap.add_argument('--from', dest='from_file', metavar='JSONL',
                    help='re-print the table and projection of a results.jsonl')
    ap.add_argument('--project-bw-gbs', type=float, default=300.0)
    ap.add_argument('--project-cores', type=int, default=32)
    return ap.parse_args(argv)


def run_size(args, gib):
    """One numaboot-hostbench run: (exit status, records, wall seconds)."""
    cmd = [args.bin, '--ram-gib', str(gib), '--reps', str(args.reps)]
    if args.threads:
        cmd += ['--threads', args.threads]
    print(f'hostbench: {gib} GiB ...', file=sys.stderr, flush=True)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    lines = [line for line in p.stdout.splitlines() if line.startswith('{')]
    return p.returncode, lines, time.monotonic() - t0


def run_all(args):
    """Every size; returns (JSON lines as printed, exit status)."""
    explicit = [int(s) for s in args.sizes.split(',')] if args.sizes else None
    sizes = explicit or [4 ** k for k in range(16) if 4 ** k <= args.max_gib]
    records, status, start, last = [], 0, time.monotonic(), None
    for gib in sizes:
        if not explicit and last and args.budget_s > 0:
            estimate = last[1] * gib / last[0]
            left = args.budget_s - (time.monotonic() - start)
            if estimate > left:
                print(f'hostbench: stopping before {gib} GiB: about {estimate:.0f} s estimated, '
                      f'{max(left, 0):.0f} s of the {args.budget_s:.0f} s budget left '
                      f'(--budget-s 0 or --sizes {gib} to run it)', file=sys.stderr)
                break
        rc, lines, wall = run_size(args, gib)
        records += lines
        if rc == 3:
            if explicit:
                status = max(status, 3)
                continue
            break               # auto sizes: the host cannot back this one or larger ones
        if rc != 0:
            status = 1
        last = (gib, wall)
    return records, status


def fmt_row(r):
    bw = f"{r['bw_best_gb_per_s']:7.2f} {r['bw_best']:<11}"
    spd = f"{r['speedup_vs_1']:.2f}x" if r.get('speedup_vs_1') is not None else '-'
    spread = f"{r['ns'] / 1e6:9.2f} ({r['ns_min'] / 1e6:.2f}-{r['ns_max'] / 1e6:.2f})"
    return (f"{r['ram_gib']:>8} {r['memmap_bytes'] >> 20:>8} {r['threads']:>4} {spread:>26} "
            f"{r['ns_per_page']:8.3f} {r['memmap_gb_per_s']:7.2f} {bw} "
            f"{r['bw_fraction'] * 100:5.0f}% {r['bw_fraction_nontemporal'] * 100:5.0f}% {spd:>7} "
            f"{'yes' if r['verified'] else 'NO':>8} {r['checksum']} "
            f"{'equal' if r['checksum_equal'] else 'DIFFERS'}")


def print_table(records, out=sys.stdout):
    rows = [r for r in records if r['kind'] == 'hostbench']
    print(f"{'node GiB':>8} {'memmap':>8} {'thr':>4} {'init ms median (min-max)':>26} "
          f"{'ns/page':>8} {'GB/s':>7} {'best store GB/s':<19} {'frac':>6} {'vs nt':>6} "
          f"{'speedup':>7} {'verified':>8} checksum", file=out)
    print(f"{'':>8} {'MiB':>8}", file=out)
    for r in rows:
        print(fmt_row(r), file=out)
    for c in (r for r in records if r['kind'] == 'hostbench_cold'):
        print(f"cold pass (first touch of the memmap, host page faults included): {c['ram_gib']} GiB, "
              f"{c['threads']} threads: {c['ns'] / 1e6:.1f} ms, {c['ns_per_page']:.2f} ns/page, "
              f"{c['memmap_gb_per_s']:.2f} GB/s, verified {'yes' if c['verified'] else 'NO'}",
              file=out)
    for r in (r for r in records if r['kind'] == 'hostbench_refused'):
        print(f"refused: {r['ram_gib']} GiB needs {r['memmap_bytes'] >> 20} MiB of memmap, "
              f"{r['mem_available_bytes'] >> 20} MiB available", file=out)


def _spread(d, scale=1.0, spec='.2f'):
    return f"{d['median'] * scale:{spec}} ({d['min'] * scale:{spec}}-{d['max'] * scale:{spec}})"


def print_lazy_table(records, out=sys.stdout):
    """meminit=lazy's heads pass and tails pass beside the full one (same
    request, same threads, each rep's ratio to that rep's full pass)."""
    rows = [r for r in records if r['kind'] == 'hostbench' and r.get('lazy')]
    if not rows:
        return
    print(f"\nmeminit=lazy parts on the host: heads pass (every free page allocatable) and tails pass "
          f"(the rest) vs the full pass; median (min-max) of the reps", file=out)
    print(f"{'node GiB':>8} {'thr':>4} {'full ms':>9} {'heads us (min-max)':>26} {'heads written':>13} "
          f"{'heads / full':>24} {'tails / full':>20} {'(heads+tails) / full':>20} "
          f"{'store GB/s':>10} {'verified':>8} checksum", file=out)
    for r in rows:
        lz = r['lazy']
        print(f"{r['ram_gib']:>8} {r['threads']:>4} {r['ns'] / 1e6:9.2f} {_spread(lz['heads_ns'], 1e-3, '.1f'):>26} "
              f"{lz['heads_written']:>13} {_spread(lz['heads_over_full'], 1.0, '.4f'):>24} "
              f"{_spread(lz['tails_over_full']):>20} {_spread(lz['lazy_over_full']):>20} "
              f"{r['bw_best_gb_per_s']:10.2f} {'yes' if lz['verified'] else 'NO':>8} "
              f"{'equal' if lz['checksum_equal'] else 'DIFFERS'}", file=out)


def projection(records, bw_gbs, cores, out=sys.stdout):
    """1 TiB per node from the largest size's 1-thread figures (labelled).
    A fraction above 1 (a noisy bandwidth sample) counts as 1."""
    ones = [r for r in records if r['kind'] == 'hostbench' and r['threads'] == 1]
    if not ones:
        return None
    r = max(ones, key=lambda x: x['ram_gib'])
    memmap_gb = PROJECT_GIB * (1 << 30) / 64 / 1e9
    frac = min(r['bw_fraction'], 1.0)
    per_thread = r['memmap_gb_per_s']
    rate = min(bw_gbs * frac, per_thread * cores)
    ms = memmap_gb / rate * 1e3
    print(f"PROJECTION (not a measurement): {PROJECT_GIB} GiB per node = {memmap_gb:.1f} GB of "
          f"struct page; at {frac * 100:.0f}% of a {bw_gbs:.0f} GB/s socket (fraction measured "
          f"here at {r['ram_gib']} GiB, 1 thread, at most 100%), unless {cores} cores x "
          f"{per_thread:.1f} GB/s per thread (measured here) is less: {ms:.0f} ms", file=out)
    return ms


def plot(records, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = [r for r in records if r['kind'] == 'hostbench']
    if not rows:
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for t in sorted({r['threads'] for r in rows}):
        rs = sorted((r for r in rows if r['threads'] == t), key=lambda r: r['ram_gib'])
        xs = [r['ram_gib'] for r in rs]
        line, = a1.plot(xs, [r['memmap_gb_per_s'] for r in rs], 'o-', label=f'init, {t} thr')
        a1.plot(xs, [r['bw_best_gb_per_s'] for r in rs], 's--', color=line.get_color(),
                label=f'best store loop, {t} thr')
        a2.plot(xs, [r['bw_fraction'] * 100 for r in rs], 'o-', label=f'{t} thr')
    for a in (a1, a2):
        a.set_xscale('log', base=2)
        a.set_xlabel('RAM described per node (GiB); memmap = 1/64')
        a.grid(alpha=0.3)
        a.legend(fontsize='small')
    a1.set_ylabel('GB/s of struct page written')
    a1.set_title('range initializer vs store bandwidth (host)')
    a2.axhline(80, color='grey', ls=':')
    a2.set_ylim(0, max(110, max(r['bw_fraction'] * 100 for r in rows) + 10))
    a2.set_ylabel('% of best store bandwidth')
    a2.set_title('fraction of the store roofline')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def reprint(args):
    """--from: the table and projection of a results.jsonl; 4 when the file
    cannot be read, holds no record, or a record lacks a field the tables use."""
    text = io.StringIO()
    try:
        with open(args.from_file) as f:
            records = [json.loads(line) for line in f if line.startswith('{')]
        if not records:
            print(f'hostbench: {args.from_file}: no record (a results.jsonl of tools/hostbench.py)',
                  file=sys.stderr)
            return 4
        print_table(records, text)
        print_lazy_table(records, text)
        projection(records, args.project_bw_gbs, args.project_cores, text)
    except OSError as exc:
        print(f'hostbench: {args.from_file}: {exc.strerror}', file=sys.stderr)
        return 4
    except KeyError as exc:
        print(f'hostbench: {args.from_file}: malformed: a record lacks {exc}', file=sys.stderr)
        return 4
    except (ValueError, TypeError) as exc:      # json.JSONDecodeError is a ValueError
        print(f'hostbench: {args.from_file}: malformed: {exc}', file=sys.stderr)
        return 4
    sys.stdout.write(text.getvalue())
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.from_file:
        return reprint(args)
    if not os.path.exists(args.bin):
        print(f'hostbench: {args.bin} missing (make tools)', file=sys.stderr)
        return 125
    os.makedirs(args.out, exist_ok=True)
    lines, status = run_all(args)
    with open(os.path.join(args.out, 'results.jsonl'), 'w') as f:
        f.writelines(line + '\n' for line in lines)
    records = [json.loads(line) for line in lines]
    print_table(records)
    print_lazy_table(records)
    projection(records, args.project_bw_gbs, args.project_cores)
    if not args.no_plot and any(r['kind'] == 'hostbench' for r in records):
        plot(records, os.path.join(args.out, 'hostbench.png'))
        print(f"plot: {os.path.join(args.out, 'hostbench.png')}")
    bad = [r for r in records if r['kind'] in ('hostbench', 'hostbench_cold')
           and (not r['verified'] or not r.get('checksum_equal', True)
                or (r.get('lazy') and not (r['lazy']['verified'] and r['lazy']['checksum_equal'])))]
    if bad:
        print(f'hostbench: {len(bad)} run(s) failed verification or checksum', file=sys.stderr)
        status = max(status, 1)
    return status


if __name__ == '__main__':
    sys.exit(main())
