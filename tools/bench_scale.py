"""The large-topology row of `make bench` (tools/bench.py --only scale;
docs/smp.md, "Scale"): the largest topology measured to start under QEMU
TCG + OVMF on the project machine, x2APIC with APIC ids above 255 on
several nodes (MADT type 9, SRAT x2APIC affinity).  One boot; reports
bring-up time, CPUs online, per-CPU areas on their own node, each node's
worker set as the parallel mode used it, and whether init verified."""
import qemu_run
from qemu_run import Topology

# 8 sockets (nodes) x 64 cores = 512 vCPUs: APIC ids socket << 6 | core, so
# nodes 4-7 hold ids 256..511.  The largest that boots within ~5 minutes on
# the project machine; docs/smp.md has the ceiling search behind the choice.
SCALE_NODES, SCALE_CPUS, SCALE_MEM_GIB = 8, 64, 0.25
SCALE_OPTS = 'meminit=parallel warmup=off bw_mb=0 ap_timeout_ms=60000'


def scale_topology(nodes=SCALE_NODES, cpus=SCALE_CPUS, mem_gib=SCALE_MEM_GIB):
    return Topology(nodes=nodes, cpus=cpus, mem_gib=[mem_gib] * nodes, x2apic=True)


def summarize(r):
    """The bench row from one boot's Result."""
    row = {'status': r.status, 'seconds': round(r.seconds, 1), 'qemu_cmdline': ' '.join(r.cmdline)}
    smp = r.kind('smp')
    if not smp:
        return row
    smp = smp[0]
    cpus = smp['cpus']
    row.update({'cpus_listed': smp['cpus_listed'], 'cpus_online': smp['cpus_online'],
                'failed_apic_ids': smp['failed_apic_ids'], 'bringup_ns': smp['bringup_ns'],
                'x2apic': smp['x2apic'], 'percpu_node_local': smp.get('percpu_node_local'),
                'max_apic_id': max(c['apic_id'] for c in cpus),
                'nodes_with_apic_ids_above_255': sorted({c['node'] for c in cpus if c['apic_id'] > 255})})
    par = [m for m in r.kind('meminit') if m.get('mode') == 'parallel']
    row['worker_sets'] = {m['node']: m['cpus'] for m in par}     # CPUs assigned per node
    own = {}
    for c in cpus:
        own.setdefault(c['node'], set()).add(c['cpu'])
    # each node's set is its own CPUs: as many, and those that took a chunk among them
    row['worker_sets_are_own_cpus'] = bool(par) and all(
        m['cpus'] == len(own.get(m['node'], ())) and set(m['cpu_ids']) <= own.get(m['node'], set())
        for m in par)
    summ = [s for s in r.kind('meminit_summary') if s.get('mode') == 'parallel']
    row['verified'] = bool(summ) and summ[0]['verified'] and all(m['verified'] for m in par)
    row['parallel_ms'] = round(summ[0]['ns'] / 1e6, 3) if summ else None
    return row


def bench_scale(timeout, log, topo=None, opts=SCALE_OPTS):
    topo = topo or scale_topology()
    log(f'bench: scale: {topo.nodes} nodes x {topo.cpus} vCPUs, x2APIC, opts "{opts}"')
    r = qemu_run.run(topo, opts, timeout=timeout)
    row = summarize(r)
    row.update({'nodes': topo.nodes, 'vcpus': topo.total_cpus(), 'opts': opts})
    log(f'    {r.status} in {r.seconds:.1f} s')
    return row


def scale_table(row, fmt, format_table):
    headers = ['vCPUs', 'nodes', 'online', 'bring-up ms', 'max APIC id', 'nodes >255',
               'per-CPU local', 'worker sets', 'verified', 'boot s']
    sets = row.get('worker_sets') or {}
    line = [fmt(row.get('vcpus'), 'd'), fmt(row.get('nodes'), 'd'), fmt(row.get('cpus_online'), 'd'),
            fmt(row['bringup_ns'] / 1e6 if row.get('bringup_ns') is not None else None, '.1f'),
            fmt(row.get('max_apic_id'), 'd'), fmt(len(row.get('nodes_with_apic_ids_above_255', [])), 'd'),
            fmt(row.get('percpu_node_local'), 'd'),
            '/'.join(str(sets[k]) for k in sorted(sets, key=int)) or '-',
            fmt(row.get('verified')), fmt(row.get('seconds'))]
    return format_table(headers, [line], 'rrrrrrrlll')
