"""meminit=lazy figures of `make bench` (issue 19; docs/bench.md, "Lazy struct pages").

Called by tools/bench.py: collect(boots) turns the records of N boots of one
topology into results.json's entry['lazy'] (schema numaboot-bench/1, an
added field: results without it still load, entry_lazy() rebuilds what the
merged medians give); linux_available_runs() reads Linux's
`Memory: A/T available` line beside it; report_parts() prints the tables.

Per mode, from the meminit_summary records:

  allocatable  mode start until every free page can be allocated: lazy's
               allocatable_ns (heads of every node spliced); every other
               mode's ns (its pages are spliced only as it ends)
  complete     mode start until every struct page is written: lazy's
               complete_ns, the others' ns
  boot CPU     the boot CPU's time on the critical path: lazy's boot_cpu_ns
               (its wait for the heads part), deferred's first_alloc_ns (its
               synchronous part), the others' ns (it waits for the mode)

and lazy's allocation latency (the boot CPU's 128 blocks per node, timed)
while units are still lazy against after.  Every figure has its median,
min and max over the boots; the lazy / parallel ratios are taken per boot
(both modes ran in that boot on the same memory), then spread.
"""
import statistics

PAGE_KIB = 4
LAT_KEYS = ('n', 'p50_ns', 'p99_ns', 'max_ns')
FIGURES = ('allocatable_ns', 'complete_ns', 'boot_cpu_ns')


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def spread(vals):
    """{'median', 'min', 'max', 'n'} of the numbers in vals (None when none)."""
    vals = [v for v in vals if _num(v)]
    if not vals:
        return None
    m = statistics.median(vals)
    if all(isinstance(v, int) for v in vals) and m == int(m):
        m = int(m)
    return {'median': m, 'min': min(vals), 'max': max(vals), 'n': len(vals)}


# ---------------------------------------------------------------- one boot

def _mode_figures(mode, s):
    ns = s.get('ns')
    if mode == 'lazy' and _num(s.get('allocatable_ns')):
        return {'allocatable_ns': s['allocatable_ns'], 'complete_ns': s.get('complete_ns', ns),
                'boot_cpu_ns': s.get('boot_cpu_ns')}
    boot = s.get('first_alloc_ns') if mode == 'deferred' and _num(s.get('first_alloc_ns')) else ns
    return {'allocatable_ns': ns, 'complete_ns': ns, 'boot_cpu_ns': boot}


def _node_figures(mode, r):
    """Per node: lazy's from mode start; any other mode's node time
    (its first worker's start to its last chunk: no dispatch included)."""
    out = {'node': r.get('node'), 'pages': r.get('pages'), 'free_pages': r.get('free_pages')}
    if mode == 'lazy' and _num(r.get('lazy_allocatable_ns')):
        out.update(allocatable_ns=r['lazy_allocatable_ns'], complete_ns=r.get('lazy_complete_ns'),
                   heads_written=r.get('lazy_heads_written'), on_demand=r.get('lazy_on_demand'),
                   basis='mode start')
    else:
        out.update(allocatable_ns=r.get('ns'), complete_ns=r.get('ns'), basis='node time')
    return out


def _ratio(a, b):
    return a / b if _num(a) and _num(b) and b else None


def boot_figures(records):
    """The figures of one boot (a list of records); None without a lazy summary."""
    summ, nodes = {}, {}
    for r in records:
        if r.get('kind') == 'meminit_summary':
            summ[r.get('mode')] = r
        elif r.get('kind') == 'meminit':
            nodes.setdefault(r.get('mode'), []).append(r)
    if 'lazy' not in summ or not _num(summ['lazy'].get('allocatable_ns')):
        return None
    s = summ['lazy']
    out = {'modes': {m: _mode_figures(m, v) for m, v in summ.items()},
           'nodes': {m: [_node_figures(m, r) for r in sorted(v, key=lambda r: r.get('node', 0))]
                     for m, v in nodes.items()}}
    lz = nodes.get('lazy', [])
    pages = sum(r.get('pages') or 0 for r in lz)
    out['lazy'] = {k: s.get(k) for k in ('heads_written', 'on_demand', 'allocs_while_lazy')}
    out['lazy'].update(alloc_while_lazy=s.get('alloc_while_lazy') or {},
                       alloc_after=s.get('alloc_after') or {},
                       free_fraction=sum(r.get('free_pages') or 0 for r in lz) / pages if pages else None)
    par = out['modes'].get('parallel', {})
    for k in ('allocatable_ns', 'complete_ns', 'boot_cpu_ns'):
        out[f'ratio_{k[:-3]}_lazy_vs_parallel'] = _ratio(out['modes']['lazy'][k], par.get(k))
    return out


# ---------------------------------------------------------------- N boots

def _spread_nodes(per_boot):
    """[[node rows of boot 1], ...] -> one row per node with spreads."""
    by = {}
    for rows in per_boot:
        for r in rows:
            by.setdefault(r['node'], []).append(r)
    out = []
    for node, rs in sorted(by.items(), key=lambda kv: kv[0]):
        row = {'node': node, 'basis': rs[0].get('basis')}
        for k in ('allocatable_ns', 'complete_ns', 'heads_written', 'on_demand'):
            if any(k in r for r in rs):
                row[k] = spread([r.get(k) for r in rs])
        out.append(row)
    return out


def collect(boots):
    """results.json entry['lazy'] from N boots' records; None when no boot
    ran lazy."""
    figs = [f for f in (boot_figures(b) for b in boots) if f]
    return _collect_figures(figs)


def _collect_figures(figs, from_medians=False):
    if not figs:
        return None
    modes = []
    for f in figs:
        modes += [m for m in f['modes'] if m not in modes]
    out = {'boots': len(figs), 'from_medians': from_medians, 'modes': {}, 'nodes': {}, 'lazy': {}}
    for m in modes:
        out['modes'][m] = {k: spread([f['modes'].get(m, {}).get(k) for f in figs]) for k in FIGURES}
        out['nodes'][m] = _spread_nodes([f['nodes'].get(m, []) for f in figs])
    for k in ('heads_written', 'on_demand', 'allocs_while_lazy', 'free_fraction'):
        out['lazy'][k] = spread([f['lazy'].get(k) for f in figs])
    for k in ('alloc_while_lazy', 'alloc_after'):
        out['lazy'][k] = {q: spread([f['lazy'][k].get(q) for f in figs]) for q in LAT_KEYS}
    for k in ('allocatable', 'complete', 'boot_cpu'):
        out[f'ratio_{k}_lazy_vs_parallel'] = spread([f.get(f'ratio_{k}_lazy_vs_parallel') for f in figs])
    return out


def entry_lazy(entry):
    """entry['lazy'], or for results written before it existed the figures
    of the merged (median) records as one boot; None without lazy."""
    if entry.get('lazy'):
        return entry['lazy']
    modes = entry.get('modes') or {}
    if 'lazy' not in modes:
        return None
    recs = []
    for m, v in modes.items():
        recs.append(dict(v.get('summary') or {}, kind='meminit_summary', mode=m))
        recs += [dict(n, kind='meminit', mode=m) for n in v.get('nodes') or []]
    f = boot_figures(recs)
    return _collect_figures([f], from_medians=True) if f else None


# ---------------------------------------------------------------- Linux

def linux_available(run):
    """Linux's `Memory: A/T available` (mm_init: A = free pages in the buddy
    allocator then, T = all present pages) against the estimated deferred
    part, with the printk times; None without the line."""
    mem = run.get('memory_kib')
    if not run.get('ok') or not mem:
        return None
    avail, total = mem
    rows = run.get('nodes') or []
    dkib = sum(r.get('deferred_pages_est') or 0 for r in rows) * PAGE_KIB
    ms = [r.get('ms') for r in rows if _num(r.get('ms'))]
    up = [r.get('printk_ms_upper') for r in rows if _num(r.get('printk_ms_upper'))]
    return {'available_kib': avail, 'total_kib': total,
            'available_fraction': avail / total if total else None,
            'deferred_kib_est': dkib, 'deferred_fraction': dkib / total if total else None,
            'memory_s': run.get('memory_ts'), 'deferred_end_s': run.get('deferred_end_ts'),
            'deferred_ms_max': max(ms) if ms else None,
            'deferred_printk_ms_upper_max': max(up) if up else None}


def linux_available_runs(runs):
    """Spread of linux_available() over Linux boots (None when none has it)."""
    figs = [f for f in (linux_available(r) for r in runs) if f]
    if not figs:
        return None
    out = {k: spread([f[k] for f in figs]) for k in figs[0]}
    out['boots'] = len(figs)
    out['per_boot'] = figs
    return out


# ---------------------------------------------------------------- tables

def _spread(s, fmt, spec, per):
    """'median (min-max)' of a spread of ns, in units of `per` ns."""
    if not s:
        return '-'
    if s['n'] == 1 or s['min'] == s['max']:
        return fmt(s['median'] / per, spec)
    return f"{fmt(s['median'] / per, spec)} ({fmt(s['min'] / per, spec)}-{fmt(s['max'] / per, spec)})"


def _ms(s, fmt, spec='.2f'):
    return _spread(s, fmt, spec, 1e6)


def _us(s, fmt, spec='.1f'):
    return _spread(s, fmt, spec, 1e3)


def _x(s, fmt):
    if not s:
        return '-'
    return f"{fmt(s['median'], '.2f')}x ({fmt(s['min'], '.2f')}-{fmt(s['max'], '.2f')})"


def _lazy_entries(results):
    out = []
    for name, e in (results.get('topologies') or {}).items():
        lz = entry_lazy(e) if not e.get('error') else None
        if lz:
            out.append((name, e, lz))
    return out


def mode_table(entries, fmt, format_table):
    headers = ['topology', 'mode', 'boots', 'allocatable ms', 'complete ms', 'boot CPU ms']
    rows = []
    for name, _, lz in entries:
        for mode, m in lz['modes'].items():
            rows.append([name, mode, str(lz['boots']), _ms(m['allocatable_ns'], fmt),
                         _ms(m['complete_ns'], fmt), _ms(m['boot_cpu_ns'], fmt)])
    return format_table(headers, rows, 'llrrrr')


def node_table(entries, fmt, format_table):
    headers = ['topology', 'node', 'lazy allocatable ms', 'lazy complete ms', 'heads written',
               'on demand', 'parallel node ms', 'lazy alloc / parallel node']
    rows = []
    for name, _, lz in entries:
        par = {r['node']: r for r in lz['nodes'].get('parallel', [])}
        for r in lz['nodes'].get('lazy', []):
            p = par.get(r['node'], {}).get('allocatable_ns')
            ratio = (r['allocatable_ns']['median'] / p['median']) if p and r.get('allocatable_ns') else None
            hw, od = r.get('heads_written'), r.get('on_demand')
            rows.append([name, fmt(r['node'], 'd'), _ms(r.get('allocatable_ns'), fmt),
                         _ms(r.get('complete_ns'), fmt),
                         fmt(hw['median'], 'd') if hw else '-', fmt(od['median'], 'd') if od else '-',
                         _ms(p, fmt), fmt(ratio, '.2f') + ('x' if ratio is not None else '')])
    return format_table(headers, rows, 'lrrrrrrr')


def latency_table(entries, fmt, format_table):
    headers = ['topology', 'allocations', 'n', 'p50 us', 'p99 us', 'max us']
    rows = []
    for name, _, lz in entries:
        for key, label in (('alloc_while_lazy', 'while lazy'), ('alloc_after', 'after')):
            q = lz['lazy'].get(key) or {}
            n = q.get('n')
            rows.append([name, label, fmt(n['median'], 'd') if n else '-', _us(q.get('p50_ns'), fmt, '.2f'),
                         _us(q.get('p99_ns'), fmt), _us(q.get('max_ns'), fmt)])
    return format_table(headers, rows, 'llrrrr')


def ratio_lines(entries, fmt):
    out = []
    for name, e, lz in entries:
        gib = (e.get('topology') or {}).get('mem_gib')
        where = f"{name}" + (f" ({'+'.join(fmt(g, 'g') for g in gib)} GiB)" if gib else '')
        out.append(f"{where}: lazy / parallel, time to allocatable {_x(lz.get('ratio_allocatable_lazy_vs_parallel'), fmt)}"
                   f", time to complete {_x(lz.get('ratio_complete_lazy_vs_parallel'), fmt)}"
                   f" (per boot, median (min-max) of {lz['boots']}"
                   f"{' merged record' if lz.get('from_medians') else ' boots'})")
    return out


def linux_table(entries, fmt, format_table):
    headers = ['topology', 'Linux avail at mm_init', 'deferred (est.)', 'Memory: printk s',
               'last deferred printk s', 'deferred ms (jiffies)', 'numaboot lazy: free pages',
               'allocatable ms']
    rows = []
    for name, e, lz in entries:
        la = (e.get('linux') or {}).get('available')
        if not la:
            continue

        def pct(s):
            return '-' if not s else (f"{s['median']:.1%}" if s['min'] == s['max']
                                      else f"{s['median']:.1%} ({s['min']:.1%}-{s['max']:.1%})")

        def secs(s):
            return '-' if not s else (f"{s['median']:.3f}" if s['min'] == s['max']
                                      else f"{s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f})")
        dm = la.get('deferred_ms_max')
        rows.append([name, pct(la.get('available_fraction')), pct(la.get('deferred_fraction')),
                     secs(la.get('memory_s')), secs(la.get('deferred_end_s')),
                     '-' if not dm else (f"{dm['median']:g} ({dm['min']:g}-{dm['max']:g})"),
                     pct(lz['lazy'].get('free_fraction')),
                     _ms(lz['modes']['lazy']['allocatable_ns'], fmt)])
    return format_table(headers, rows, 'lrrrrrrr') if rows else None


def report_parts(results, fmt, format_table):
    """The lazy sections of bench.py's report (a list of lines), [] when no
    topology ran lazy."""
    entries = _lazy_entries(results)
    if not entries:
        return []
    parts = ['', '== meminit=lazy: time to allocatable / complete / boot CPU per mode '
             '(median (min-max) over boots; docs/bench.md, "Lazy struct pages") ==',
             mode_table(entries, fmt, format_table),
             '', '== lazy per node (lazy: from mode start; parallel: the node\'s init time, '
             'no dispatch) ==', node_table(entries, fmt, format_table),
             '', '== lazy: the boot CPU\'s allocation latency while units are lazy and after ==',
             latency_table(entries, fmt, format_table), ''] + ratio_lines(entries, fmt)
    lt = linux_table(entries, fmt, format_table)
    if lt:
        parts += ['', '== Linux 6.1 "Memory: A/T available" at mm_init vs numaboot lazy ==', lt]
    return parts
