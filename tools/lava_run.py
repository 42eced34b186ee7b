#!/usr/bin/env python3
"""Run numaboot's LAVA job here, without a LAVA server (lava-run, Debian
package lava-dispatcher), on a QEMU device, and convert its results.

  tools/lava_run.py [--nodes 2 --cpus 1 --mem 1] [--opts "meminit=all"] [--out DIR]

Builds an ESP disk image (mtools) holding build/numaboot.efi and a
numaboot.cfg with `lava=on`, fills in tools/lava/job-qemu.yaml and
tools/lava/qemu-device.yaml, runs `lava-run`, and writes into DIR (default
build/lava): job.yaml, device.yaml, lava.log (the job log lava-run
printed), tests.json (the test results, shaped as a LAVA server's REST
test list) and results.json (tools/lava_results.py: the bench results
format tools/regress.py reads).  Exit status: 0 when the job completed and every
test case passed, 1 when a test case failed or the job did not complete,
125 when lava-run, mtools, QEMU, OVMF or the image is missing.
Honours NUMABOOT_QEMU_LOCK (the whole job holds the lock).
"""
import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lava_results  # noqa: E402
import qemu_run  # noqa: E402

ROOT = qemu_run.ROOT
LAVA_DIR = os.path.join(ROOT, 'tools', 'lava')
# qemu_run's arguments that the device configuration sets itself
DEVICE_OWNS = {'-machine', '-accel', '-cpu', '-drive', '-device', '-serial', '-display', '-net', '-monitor'}


def make_esp(path, image, opts, size_mib=64):
    """A FAT disk image with EFI/BOOT/BOOTX64.EFI and numaboot.cfg."""
    with open(path, 'wb') as f:
        f.truncate(size_mib << 20)
    cfg = path + '.cfg'
    with open(cfg, 'w') as f:
        f.write('# written by tools/lava_run.py\n' + opts + '\n')
    for cmd in (['mformat', '-i', path, '-F', '::'], ['mmd', '-i', path, '::/EFI', '::/EFI/BOOT'],
                ['mcopy', '-i', path, image, '::/EFI/BOOT/BOOTX64.EFI'],
                ['mcopy', '-i', path, cfg, '::/EFI/BOOT/numaboot.cfg']):
        subprocess.run(cmd, check=True, capture_output=True)
    os.unlink(cfg)


def topology_args(topo):
    """-m, -smp, -object, -numa of qemu_run's command line for topo."""
    args = qemu_run.qemu_args(topo, 'ESP', 'VARS')[1:]
    keep, i = [], 0
    while i < len(args):
        a = args[i]
        if a in DEVICE_OWNS:
            i += 2
        elif a == '-no-reboot':
            i += 1
        else:
            keep.append(a)
            i += 1
    return ' '.join(keep)


def context_options(topo):
    """The job context's extra_options (a YAML flow list) and memory (MiB):
    what a server's qemu.jinja2 does not set itself -- q35, OVMF's code, the
    NUMA topology, isa-debug-exit."""
    args = topology_args(topo).split()
    mem = args[args.index('-m') + 1]
    del args[args.index('-m'):args.index('-m') + 2]
    opts, i = [], 0
    while i < len(args):        # '-opt value' pairs as one item each
        opts.append(f'{args[i]} {args[i + 1]}')
        i += 2
    opts = ['-machine q35', '-cpu max', f'-drive if=pflash,format=raw,unit=0,readonly=on,file={qemu_run.OVMF_CODE}',
            '-device isa-debug-exit,iobase=0xf4,iosize=0x04', '-no-reboot'] + opts
    return '[' + ', '.join(f"'{o}'" for o in opts) + ']', str(int(mem.rstrip('M')))


def job_subst(esp, vars_fd, topo):
    extra, mem = context_options(topo)
    return {'ESP_URL': 'file://' + esp, 'VARS_URL': 'file://' + vars_fd, 'EXTRA_OPTIONS': extra, 'MEM_MIB': mem}


def render(template, subst):
    with open(os.path.join(LAVA_DIR, template)) as f:
        text = f.read()
    for k, v in subst.items():
        text = text.replace(f'@{k}@', v)
    return text


def check_tools():
    missing = [t for t in ('lava-run', 'mformat', 'mcopy', 'mmd') if not shutil.which(t)]
    if missing:
        raise qemu_run.HarnessError(', '.join(missing) + ' not found: apt-get install lava-dispatcher mtools')
    qemu_run.check_harness()


def run_job(out, topo, opts, timeout):
    """Write the job, the device and the ESP under out, run lava-run; its exit status."""
    os.makedirs(out, exist_ok=True)
    esp, vars_fd = os.path.join(out, 'esp.img'), os.path.join(out, 'ovmf-vars.fd')
    make_esp(esp, qemu_run.IMAGE, opts)
    shutil.copy(qemu_run.OVMF_VARS, vars_fd)
    with open(os.path.join(out, 'job.yaml'), 'w') as f:
        f.write(render('job-qemu.yaml', job_subst(esp, vars_fd, topo)))
    with open(os.path.join(out, 'device.yaml'), 'w') as f:
        f.write(render('qemu-device.yaml', {'OVMF_CODE': qemu_run.OVMF_CODE, 'QEMU_NUMA': topology_args(topo)}))
    work = tempfile.mkdtemp(prefix='numaboot-lava-')
    cmd = ['lava-run', '--job-id', 'numaboot', '--output-dir', work, '--device',
           os.path.join(out, 'device.yaml'), os.path.join(out, 'job.yaml')]
    lock = qemu_run.qemu_lock()
    try:
        with open(os.path.join(out, 'lava.log'), 'w') as log:
            p = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               timeout=timeout)
    finally:
        if lock:
            lock.close()
        shutil.rmtree(work, ignore_errors=True)
    return p.returncode


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--nodes', type=int, default=2)
    p.add_argument('--cpus', type=int, default=1, help='CPUs per node')
    p.add_argument('--mem', type=float, default=1, help='GiB per node')
    p.add_argument('--opts', default='meminit=all', help='kernel options (lava=on is added)')
    p.add_argument('--topology', default='lava-qemu', help='row name in results.json')
    p.add_argument('--out', default=os.path.join(ROOT, 'build', 'lava'))
    p.add_argument('--timeout', type=float, default=900)
    a = p.parse_args(argv)
    try:
        check_tools()
    except qemu_run.HarnessError as exc:
        print(f'lava_run: {exc}', file=sys.stderr)
        return 125
    topo = qemu_run.Topology(a.nodes, a.cpus, [a.mem] * a.nodes, prealloc=True)
    rc = run_job(a.out, topo, a.opts + ' lava=on', a.timeout)
    with open(os.path.join(a.out, 'lava.log')) as f:
        log = f.read()
    res = lava_results.results_from_log(log)
    lava_results.write_json(os.path.join(a.out, 'tests.json'), res)
    try:
        bench = lava_results.to_bench([res], a.topology, vcpus=topo.total_cpus(), host_cpus=os.cpu_count())
        lava_results.write_json(os.path.join(a.out, 'results.json'), bench)
    except lava_results.BadInput as exc:
        print(f'lava_run: {exc}; see {a.out}/lava.log', file=sys.stderr)
    ok = lava_results.job_completed(log)
    cases = [r for r in res if r.get('suite') != 'lava']
    failed = [r['name'] for r in cases if r.get('result') != 'pass']
    print(f'lava_run: lava-run exit {rc}, job {"complete" if ok else "INCOMPLETE"}, '
          f'{len(cases)} test cases, {len(failed)} failed{": " + ", ".join(failed) if failed else ""}; '
          f'results in {a.out}')
    return 0 if rc == 0 and ok and cases and not failed else 1


if __name__ == '__main__':
    sys.exit(main())
