"""Persistent-memory rows of `make bench` (issue 8): device memory initialized
by the same worker and modes as DRAM, per mode and node, beside the node's
DRAM in the same boot.

Cases (2 nodes x 1 CPU x 1 GiB of DRAM, one NVDIMM per node):
  4k-dram     4 KiB device pages, memmap in the node's DRAM
  2m-dram     2 MiB compound pages, shared tail vmemmap (2 of 8 pages written)
  1g-dram     1 GiB compound pages, shared tail vmemmap (2 of 4096 written)
  4k-device   4 KiB pages, memmap on the device itself (altmap)
and with --large one boot of 1 TiB of persistent memory over 2 nodes in
1 GiB compound pages (parallel only: the verifier reads every struct page,
shared ones included, which takes minutes under TCG).

Figures per node: ms per GiB of persistent memory and of DRAM, and the
fraction of the node's store bandwidth the struct pages written reached.
Used by tools/bench.py (--only pmem); also runs alone:
    tools/bench_pmem.py [--large] [--repeat N] [--pmem-gib G]
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_run  # noqa: E402
from qemu_run import Topology  # noqa: E402

GIB = 1 << 30
CASES = {
    '4k-dram': 'pmem_memmap=dram pmem_compound=4k',
    '2m-dram': 'pmem_memmap=dram pmem_compound=2m',
    '1g-dram': 'pmem_memmap=dram pmem_compound=1g',
    '4k-device': 'pmem_memmap=device pmem_compound=4k',
}


def _ms_per_gib(ns, pages):
    return ns / 1e6 / (pages * 4096 / GIB) if pages and ns else None


def rows_of(case, records, pmem_gib):
    """One row per (mode, node) from a boot's meminit records."""
    rows = []
    for m in records:
        if m.get('kind') != 'meminit':
            continue
        rows.append({
            'case': case, 'mode': m['mode'], 'node': m['node'], 'pmem_gib': pmem_gib,
            'cpus': m['cpus'], 'verified': m['verified'],
            'device_ms_per_gib': _ms_per_gib(m['device_ns'], m['device_pages']),
            'dram_ms_per_gib': _ms_per_gib(m['ns'], m['pages']),
            'device_bw_fraction': m['device_bw_fraction'],
            'dram_bw_fraction': m['bw_fraction'],
            'memmap_bytes_written': m['device_memmap_bytes_written'],
            'struct_pages_aliased': m['device_struct_pages_aliased'],
            'checksum': m['checksum'],
        })
    return rows


def _median_rows(samples):
    """Merge the rows of repeated boots: medians of the figures, the spread
    (min, max) of the device time."""
    out = {}
    for rows in samples:
        for r in rows:
            out.setdefault((r['case'], r['mode'], r['node']), []).append(r)
    merged = []
    for key, rs in out.items():
        m = dict(rs[0])
        for f in ('device_ms_per_gib', 'dram_ms_per_gib', 'device_bw_fraction', 'dram_bw_fraction'):
            vals = [r[f] for r in rs if r[f] is not None]
            m[f] = statistics.median(vals) if vals else None
        dev = [r['device_ms_per_gib'] for r in rs if r['device_ms_per_gib'] is not None]
        m['device_ms_per_gib_range'] = [min(dev), max(dev)] if dev else None
        m['verified'] = all(r['verified'] for r in rs)
        m['samples'] = len(rs)
        merged.append(m)
    return merged


def boot_case(case, opts, topo, mode_opts, repeat, timeout, log):
    samples, status = [], 'ok'
    for i in range(repeat):
        log(f'bench: pmem {case} boot {i + 1}/{repeat}')
        r = qemu_run.run(topo, f'{mode_opts} bw_mb=64 {opts}', timeout=timeout)
        if r.status != 'ok':
            log(f'bench: pmem {case}: {r.status}')
            status = r.status
            continue
        samples.append(rows_of(case, r.records, topo.pmem[0][1]))
    return status, _median_rows(samples)


def bench_pmem(timeout, log, repeat=1, pmem_gib=4, large=False):
    """Run the cases; returns {'status', 'rows'}."""
    topo = Topology(nodes=2, cpus=1, mem_gib=[1, 1], pmem=[(0, pmem_gib), (1, pmem_gib)])
    rows, status = [], 'ok'
    for case, opts in CASES.items():
        st, rs = boot_case(case, opts, topo, 'meminit=all', repeat, timeout, log)
        status = status if st == 'ok' else st
        rows += rs
    if large:
        big = Topology(nodes=2, cpus=1, mem_gib=[1, 1], pmem=[(0, 512), (1, 512)])
        st, rs = boot_case('1g-dram-1tib', CASES['1g-dram'], big, 'meminit=parallel', 1,
                           max(timeout, 1800), log)
        status = status if st == 'ok' else st
        rows += rs
    return {'status': status, 'rows': rows}


def _f(v, spec='.2f'):
    return '-' if v is None else format(v, spec)


def pmem_table(res):
    head = ['case', 'mode', 'node', 'pmem GiB', 'ms/GiB pmem', '(range)', 'ms/GiB DRAM',
            'pmem bw frac', 'DRAM bw frac', 'written MiB', 'verified']
    lines = ['  '.join(f'{h:>12}' for h in head)]
    for r in res['rows']:
        rng = r.get('device_ms_per_gib_range')
        lines.append('  '.join(f'{c:>12}' for c in (
            r['case'], r['mode'], str(r['node']), _f(r['pmem_gib'], '.0f'),
            _f(r['device_ms_per_gib'], '.3f'),
            f'{rng[0]:.3f}-{rng[1]:.3f}' if rng else '-', _f(r['dram_ms_per_gib'], '.3f'),
            _f(r['device_bw_fraction']), _f(r['dram_bw_fraction']),
            _f(r['memmap_bytes_written'] / (1 << 20), '.1f'), str(r['verified']))))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--large', action='store_true', help='add 1 TiB over 2 nodes (1 GiB pages)')
    p.add_argument('--repeat', type=int, default=1, help='boots per case (medians and range)')
    p.add_argument('--pmem-gib', type=float, default=4, help='GiB of persistent memory per node')
    p.add_argument('--timeout', type=float, default=900, help='seconds per boot')
    p.add_argument('--out', default=os.path.join(qemu_run.ROOT, 'build', 'bench', 'pmem.json'))
    a = p.parse_args(argv)
    if not os.path.exists(qemu_run.IMAGE):
        print(f'bench_pmem: {qemu_run.IMAGE} is missing: run make first', file=sys.stderr)
        return 125
    res = bench_pmem(a.timeout, lambda s: print(s, file=sys.stderr, flush=True), a.repeat,
                     a.pmem_gib, a.large)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1)
    print(pmem_table(res))
    ok = res['status'] == 'ok' and all(r['verified'] for r in res['rows'])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
