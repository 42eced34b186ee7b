#!/usr/bin/env python3
"""Linux 6.1 deferred struct-page init on the same QEMU topologies as numaboot.

Fetches Debian 12's kernel (linux-image-6.1.0-N-amd64, whichever version
`apt-cache` offers for linux-image-amd64 6.1.x) into build/linux/ when it is
missing (`apt-get download` + `dpkg-deb -x`, no root needed), boots it through
the same OVMF + QEMU command line as numaboot (tools/qemu_run.py, -kernel
instead of the ESP), with no initramfs: it panics at mount-root, long after
memory init, and `panic=-1` + QEMU `-no-reboot` end the run.

What is measured: Linux prints, per node, from its pgdatinitN thread
(mm/page_alloc.c, deferred_init_memmap(), CONFIG_DEFERRED_STRUCT_PAGE_INIT):

    node 0 deferred pages initialised in 124ms

That is wall time, in jiffies (Debian: HZ=250, so 4 ms granularity, and under
TCG jiffies can lag: we also report the printk-clock (TSC) time from the
last SMP bring-up line to that line, an upper bound), for the
node's *deferred* part only: struct page init + freeing into the buddy
allocator of the node's free memory in its highest zone above the first
section (the first >= 128 MiB of that zone, and every lower zone, are
initialized early, serially, and not timed).  It runs with as many threads as
the node has CPUs (padata).  We estimate the deferred bytes from the
`Zone ranges` and `Early memory node ranges` lines with the 6.1 rule
(defer_init()), and also report ms per GiB of the whole node (a lower bound
on the per-GiB cost).

Standalone:  tools/linux_bench.py --nodes 2 --cpus 1 --mem 2 [--json]
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_run  # noqa: E402

ROOT = qemu_run.ROOT
LINUX_DIR = os.path.join(ROOT, 'build', 'linux')
PAGE = 4096
SECTION_PAGES = 1 << 15          # x86_64 SECTION_SIZE_BITS 27: 128 MiB
GiB = 1 << 30
APPEND = 'console=ttyS0,115200 panic=-1 loglevel=7 nokaslr'

RE_TS = re.compile(r'^\s*\[\s*(\d+\.\d+)\]\s?')
RE_DEFERRED = re.compile(r'node\s+(\d+)\s+deferred pages initiali[sz]ed in\s+(\d+)\s*ms')
RE_DEFERRED_OLD = re.compile(r'node\s+(\d+)\s+initiali[sz]ed,\s+(\d+)\s+pages in\s+(\d+)\s*ms')  # <= 5.x
RE_ZONE = re.compile(r'^\s*(DMA32|DMA|Normal|Movable|Device)\s+\[mem\s+(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]')
RE_NODE_RANGE = re.compile(r'^\s*node\s+(\d+):\s+\[mem\s+(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]')
RE_MEMORY = re.compile(r'Memory:\s+(\d+)K/(\d+)K available')
RE_CPUS = re.compile(r'(?:Brought|Booted) up\s+(\d+)\s+nodes?,\s+(\d+)\s+CPUs?')
# last line printed before page_alloc_init_late() starts the pgdatinit threads
RE_START = re.compile(r'smpboot: Total of \d+ processors activated|smp: Brought up')
RE_VERSION = re.compile(r'Linux version (\S+)')
RE_PANIC = re.compile(r'Kernel panic - not syncing: (.*)')


def strip_ts(line):
    m = RE_TS.match(line)
    return (float(m.group(1)), line[m.end():]) if m else (None, line)


def parse_log(text):
    """Parse a Linux boot log.  Returns a dict:
    version, deferred {node: ms}, deferred_pages {node: pages} (only kernels
    <= 5.x print the count: `node 0 initialised, 5000 pages in 12ms`), zones {name: (start_pfn, end_pfn)},
    node_ranges {node: [(start_pfn, end_pfn)]}, memory_kib (avail, total) of
    the `Memory: A/T available` line mm_init prints and memory_ts its printk time,
    cpus, nodes, panic, deferred_ts {node: printk time of the line}, start_ts
    (printk time of the last line before the pgdatinit threads start)."""
    out = {'version': None, 'deferred': {}, 'deferred_pages': {}, 'deferred_ts': {}, 'zones': {},
           'node_ranges': {}, 'start_ts': None, 'memory_kib': None, 'memory_ts': None, 'cpus': None, 'nodes': None, 'panic': None}
    section = None
    for raw in text.replace('\r', '').splitlines():
        ts, line = strip_ts(raw)
        # the section headers of free_area_init()'s report
        if 'Zone ranges:' in line:
            section = 'zones'
            continue
        if 'Early memory node ranges' in line:
            section = 'nodes'
            continue
        if 'Movable zone start' in line:
            section = None
            continue
        m = RE_DEFERRED.search(line)
        if m:
            node = int(m.group(1))
            out['deferred'][node] = int(m.group(2))
            out['deferred_ts'][node] = ts
            continue
        m = RE_DEFERRED_OLD.search(line)
        if m:
            node = int(m.group(1))
            out['deferred'][node] = int(m.group(3))
            out['deferred_pages'][node] = int(m.group(2))
            out['deferred_ts'][node] = ts
            continue
        if section == 'zones':
            m = RE_ZONE.match(line)
            if m:
                out['zones'][m.group(1)] = (int(m.group(2), 16) // PAGE, int(m.group(3), 16) // PAGE + 1)
                continue
            if not re.match(r'^\s*\w+\s+empty', line):
                section = None
        elif section == 'nodes':
            m = RE_NODE_RANGE.match(line)
            if m:
                out['node_ranges'].setdefault(int(m.group(1)), []).append(
                    (int(m.group(2), 16) // PAGE, int(m.group(3), 16) // PAGE + 1))
                continue
            section = None
        m = RE_VERSION.search(line)
        if m and out['version'] is None:
            out['version'] = m.group(1)
        m = RE_MEMORY.search(line)
        if m:
            out['memory_kib'] = (int(m.group(1)), int(m.group(2)))
            out['memory_ts'] = ts
        if ts is not None and RE_START.search(line):
            out['start_ts'] = ts
        m = RE_CPUS.search(line)
        if m:
            out['nodes'], out['cpus'] = int(m.group(1)), int(m.group(2))
        m = RE_PANIC.search(line)
        if m and out['panic'] is None:
            out['panic'] = m.group(1).strip()
    return out


def deferred_estimate(zones, ranges):
    """Pages Linux 6.1 defers on one node: in the node's highest populated
    zone, everything from the first section-aligned pfn after more than one
    section's worth of pages (defer_init()).  Lower zones are never deferred.
    Counts present pages (reserved ones included: the log does not say which
    are free).  Returns (deferred_pages, node_pages, zone_name)."""
    node_pages = sum(e - s for s, e in ranges)
    best = None
    for name, (zs, ze) in zones.items():
        inter = [(max(s, zs), min(e, ze)) for s, e in ranges if min(e, ze) > max(s, zs)]
        if inter and (best is None or zs > best[1]):
            best = (name, zs, inter)
    if best is None:
        return 0, node_pages, None
    name, _, inter = best
    inter.sort()
    seen = 0                                    # defer_init()'s nr_initialised before range i
    for i, (s, e) in enumerate(inter):
        need = max(s, s + SECTION_PAGES - seen)  # nr_initialised > SECTION_PAGES from here on
        first = -(-need // SECTION_PAGES) * SECTION_PAGES
        if first < e:                           # first_deferred_pfn
            return (e - first) + sum(e2 - s2 for s2, e2 in inter[i + 1:]), node_pages, name
        seen += e - s
    return 0, node_pages, name


def summarize(parsed, cpus_per_node):
    """Per-node figures from parse_log() output.  cpus_per_node: {node: n}
    (the topology's; Linux uses that many padata threads per node)."""
    rows = []
    for node in sorted(parsed['deferred']):
        ms = parsed['deferred'][node]
        ranges = parsed['node_ranges'].get(node, [])
        dpages, npages, zone = deferred_estimate(parsed['zones'], ranges)
        exact = node in parsed['deferred_pages']
        if exact:
            dpages = parsed['deferred_pages'][node]
        threads = max(1, cpus_per_node.get(node, 1))
        dgib = dpages * PAGE / GiB
        ngib = npages * PAGE / GiB
        ts, t0 = parsed['deferred_ts'].get(node), parsed.get('start_ts')
        rows.append({
            'node': node, 'ms': ms,
            # cross-check on the printk clock (TSC): smp bring-up line to this line,
            # an upper bound (includes sched_init_smp, padata_init, thread start)
            'printk_ms_upper': round((ts - t0) * 1000, 1) if ts is not None and t0 is not None else None, 'threads': threads, 'zone': zone,
            'node_pages': npages, 'node_gib': round(ngib, 4),
            'deferred_pages_est': dpages, 'deferred_gib_est': round(dgib, 4),
            'deferred_pages_source': 'log' if exact else 'estimate (defer_init rule)',
            'ms_per_gib': round(ms / dgib, 3) if dgib > 0 else None,
            'ms_per_gib_per_thread': round(ms * threads / dgib, 3) if dgib > 0 else None,
            'ms_per_node_gib': round(ms / ngib, 3) if ngib > 0 else None,
        })
    return rows


def _apt_candidate():
    """linux-image-6.1.0-N-amd64 package name from linux-image-amd64's 6.1 versions."""
    out = subprocess.run(['apt-cache', 'show', 'linux-image-amd64'], capture_output=True,
                         text=True, check=True).stdout
    best = None
    for stanza in out.split('\n\n'):
        ver = re.search(r'^Version:\s*(\S+)', stanza, re.M)
        dep = re.search(r'^Depends:.*?(linux-image-6\.1\.0-\d+-amd64)\b', stanza, re.M)
        if ver and dep and ver.group(1).startswith('6.1.'):
            key = [int(x) for x in re.findall(r'\d+', ver.group(1))]
            if best is None or key > best[0]:
                best = (key, dep.group(1))
    if best is None:
        raise RuntimeError('apt-cache offers no linux-image-amd64 6.1.x (Debian 12 sources needed)')
    return best[1]


def find_kernel(dest=LINUX_DIR):
    hits = sorted(glob.glob(os.path.join(dest, 'boot', 'vmlinuz-6.1.*')))
    return hits[-1] if hits else None


def ensure_kernel(dest=LINUX_DIR, package=None, quiet=False):
    """Path of vmlinuz in dest, fetching the Debian package when missing."""
    k = find_kernel(dest)
    if k:
        return k
    package = package or os.environ.get('LINUX_PKG') or _apt_candidate()
    if not quiet:
        print(f'linux_bench: fetching {package} into {dest} (apt-get download, dpkg-deb -x)',
              file=sys.stderr, flush=True)
    os.makedirs(dest, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='linux-deb-') as tmp:
        subprocess.run(['apt-get', 'download', package], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL if quiet else None)
        debs = glob.glob(os.path.join(tmp, '*.deb'))
        if not debs:
            raise RuntimeError(f'apt-get download {package} produced no .deb')
        # only /boot is needed (the modules are 400 MB we never load)
        subprocess.run(f'dpkg-deb --fsys-tarfile {debs[0]} | tar -x -C {dest} ./boot',
                       shell=True, check=True)
    k = find_kernel(dest)
    if not k:
        raise RuntimeError(f'no vmlinuz-6.1.* in {dest}/boot after extracting {package}')
    return k


def config_of(kernel):
    cfg = kernel.replace('vmlinuz-', 'config-')
    vals = {}
    if os.path.exists(cfg):
        for line in open(cfg):
            m = re.match(r'(CONFIG_(?:HZ|DEFERRED_STRUCT_PAGE_INIT|NUMA|PRINTK_TIME))=(\S+)', line)
            if m:
                vals[m.group(1)] = m.group(2)
    return vals


def cpus_per_node(topo):
    if not topo.numa:
        return {0: topo.total_cpus()}
    return {n: (0 if n in topo.cpuless else topo.cpus) for n in range(topo.nodes)}


def run_linux(topo, timeout=240, kernel=None, append=APPEND, echo=False):
    """Boot Linux on topo; return a dict with the per-node rows and the log facts."""
    kernel = kernel or ensure_kernel()
    r = qemu_run.run(topo, timeout=timeout, echo=echo, kernel=kernel, append=append)
    parsed = parse_log(r.output)
    rows = summarize(parsed, cpus_per_node(topo))
    ok = bool(rows) and len(rows) == len([n for n, ranges in parsed['node_ranges'].items() if ranges])
    return {
        'kernel': os.path.basename(kernel), 'version': parsed['version'],
        'config': config_of(kernel), 'append': append,
        'ok': ok, 'status': r.status, 'seconds': round(r.seconds, 1),
        'panic': parsed['panic'], 'memory_kib': parsed['memory_kib'],
        'memory_ts': parsed['memory_ts'],
        'deferred_end_ts': max((t for t in parsed['deferred_ts'].values() if t is not None), default=None),
        'linux_cpus': parsed['cpus'], 'linux_nodes': parsed['nodes'],
        'nodes': rows, 'cmdline': r.cmdline,
        'log_tail': '' if ok else r.output[-3000:],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--nodes', type=int, default=2)
    p.add_argument('--cpus', type=int, default=1, help='CPUs per node')
    p.add_argument('--mem', default='2', help='GiB per node, or a comma list')
    p.add_argument('--cpuless', default='')
    p.add_argument('--timeout', type=float, default=240)
    p.add_argument('--append', default=APPEND)
    p.add_argument('--fetch-only', action='store_true', help='only make sure build/linux has the kernel')
    p.add_argument('--parse', metavar='LOG', help='parse a saved boot log instead of booting')
    p.add_argument('--echo', action='store_true', help='stream the serial output')
    p.add_argument('--json', action='store_true')
    a = p.parse_args()
    if a.fetch_only:
        print(ensure_kernel())
        return 0
    topo = qemu_run.Topology(nodes=a.nodes, cpus=a.cpus, mem_gib=qemu_run.parse_mem(a.mem, a.nodes),
                             cpuless=tuple(int(x) for x in filter(None, a.cpuless.split(','))))
    if a.parse:
        parsed = parse_log(open(a.parse, errors='replace').read())
        res = {'ok': bool(parsed['deferred']), 'version': parsed['version'],
               'nodes': summarize(parsed, cpus_per_node(topo))}
    else:
        res = run_linux(topo, a.timeout, append=a.append, echo=a.echo)
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        print(f"Linux {res.get('version')}  ({'ok' if res['ok'] else 'NO deferred-init lines'})")
        print(f"{'node':>4} {'ms':>6} {'thr':>3} {'zone':>6} {'node GiB':>8} {'defer GiB':>9} "
              f"{'ms/GiB':>7} {'ms/GiB/thr':>10} {'printk ms<=':>11}")
        for n in res['nodes']:
            print(f"{n['node']:>4} {n['ms']:>6} {n['threads']:>3} {str(n['zone']):>6} {n['node_gib']:>8.2f} "
                  f"{n['deferred_gib_est']:>9.2f} {n['ms_per_gib'] or 0:>7.1f} {n['ms_per_gib_per_thread'] or 0:>10.1f} {n['printk_ms_upper'] or 0:>11.1f}")
        if not res['ok'] and res.get('log_tail'):
            print(res['log_tail'], file=sys.stderr)
    return 0 if res['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
