#!/usr/bin/env python3
"""Boot build/numaboot.efi under QEMU + OVMF with a NUMA topology.

Used by `make run`, the boot tests (import qemu_run) and the benchmarks.
The guest boots build/numaboot.img, the GPT disk image `make image` writes
for a USB stick (remade here by tools/mkimage.sh when it is older than the
kernel): each run boots a copy with the run's numaboot.cfg written into the
ESP with mtools.  OVMF's code is used read-only from the system and its
variable store is copied per run.

Firmware: --firmware plain (OVMF_CODE_4M.fd) or secboot (the Secure Boot +
SMM build, started with an empty variable store, so nothing is enrolled and
Secure Boot is off: the image is unsigned); --machine q35 or pc (i440fx);
--disk virtio, ahci or usb (usb-storage on an XHCI controller, as a stick);
--no-serial boots without COM1, --no-vga without a display adapter (no GOP).

Topology: --nodes N --cpus C (per node) --mem G (GiB per node, or a comma
list per node, 0 = memory-less node); --cpuless 2,3 gives nodes no CPUs;
--no-numa passes no -numa at all (no SRAT); --dist 0:1=20,... sets SLIT
distances; --pmem 1:4,2:1 adds NVDIMMs (persistent memory, GiB) on nodes;
--vmem 1:2:1 adds a virtio-mem device on node 1 (region 2 GiB, 1 GiB requested);
--acpitable FILE gives the guest an extra ACPI table (QEMU's: it fixes the
checksum); --acpi-override FILE (repeatable) puts FILE into the image's
EFI/BOOT/acpi/ folder, where numaboot reads it in place of the firmware's
table of its signature, bytes as they are (docs/acpi.md).  --opts is written
to numaboot.cfg next to the image.

Hot-plug: --hotplug '2@vmem0=1G,8@vmem0=0,12@kill' (with --vmem) opens a QMP
socket and changes the devices' requested-size at those times (seconds after
the kernel's serve_begin record, or after QEMU's start with --hotplug-anchor
start), then prints the host's actions matched with the kernel's
hotplug_event records (tools/hotplug.py, docs/hotplug.md).

Exit status (the table of docs/output.md): 0 ok, 1 self-check failed,
2 usage error, 3 bad kernel option, 6 panic, 124 timeout, 125 QEMU or
harness error (missing QEMU, OVMF, mtools), 137 killed by a --hotplug kill action.
"""
import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import hotplug

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = os.path.join(ROOT, 'build', 'numaboot.efi')
DISK_IMAGE = os.path.join(ROOT, 'build', 'numaboot.img')
MKIMAGE = os.path.join(ROOT, 'tools', 'mkimage.sh')
ESP_OFFSET = 1 << 20    # where tools/mkimage.sh starts the EFI system partition
IMAGE_CFG = os.path.join(ROOT, 'tools', 'numaboot.cfg')
# OVMF_CODE= / OVMF_VARS= override the firmware paths (other distributions)
OVMF_CODE = os.environ.get('OVMF_CODE') or '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS = os.environ.get('OVMF_VARS') or '/usr/share/OVMF/OVMF_VARS_4M.fd'
QEMU = os.environ.get('QEMU', 'qemu-system-x86_64')
# The Secure Boot build needs SMM; it gets the same (empty) variable store.
OVMF_SECBOOT_CODE = os.environ.get('OVMF_SECBOOT_CODE', '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd')
FIRMWARES = ('plain', 'secboot')
MACHINES = ('q35', 'pc')
DISKS = {'virtio': ['-device', 'virtio-blk-pci,drive=stick,bootindex=0'],
         'ahci': ['-device', 'ahci,id=ahci0', '-device', 'ide-hd,drive=stick,bus=ahci0.0,bootindex=0'],
         'usb': ['-device', 'qemu-xhci,id=xhci0', '-device', 'usb-storage,drive=stick,bus=xhci0.0,bootindex=0']}


class HarnessError(Exception):
    """Something the harness needs is missing (exit status 125)."""


# what booting the image needs besides QEMU: mtools writes numaboot.cfg into
# the ESP; tools/mkimage.sh (re)makes the disk image with sfdisk and mkfs.fat
IMAGE_TOOLS = (('mcopy', 'mtools'), ('mformat', 'mtools'), ('sfdisk', 'fdisk'), ('mkfs.fat', 'dosfstools'))


def check_harness(image=IMAGE):
    """Raise HarnessError naming the first missing piece: QEMU, OVMF, the
    image tools (mtools, sfdisk, mkfs.fat), the image."""
    if not shutil.which(QEMU):
        raise HarnessError(f'QEMU ({QEMU}) not found: run tools/install-deps.sh or set QEMU=')
    for what, path, var in (('OVMF code', OVMF_CODE, 'OVMF_CODE'), ('OVMF variables', OVMF_VARS, 'OVMF_VARS')):
        if not os.path.isfile(path):
            raise HarnessError(f'{what} {path} missing: install ovmf or set {var}=')
    if image is not None:
        path = os.environ.get('PATH', os.defpath) + os.pathsep + '/usr/sbin:/sbin'
        for tool, pkg in IMAGE_TOOLS:
            if not shutil.which(tool, path=path):
                raise HarnessError(f'{tool} not found: install {pkg} (tools/install-deps.sh)')
    if image is not None and not os.path.isfile(image):
        raise HarnessError(f'{image} missing: run make first')

# isa-debug-exit: QEMU status = (code << 1) | 1, codes from include/exit.h
# the exit status table of docs/output.md: 2 is every tool's usage error, so a panic is 6
STATUS = {33: ('ok', 0), 35: ('check_failed', 1), 37: ('panic', 6), 39: ('bad_option', 3)}
KILLED = ('killed', 137)   # a hotplug kill action sent QEMU SIGKILL (128 + 9, as a shell says)


@dataclass
class Topology:
    nodes: int = 2
    cpus: int = 2                  # per node that has CPUs
    mem_gib: list = field(default_factory=lambda: [2, 2])  # per node; 0 = memory-less
    cpuless: tuple = ()            # node ids without CPUs
    numa: bool = True              # False: no -numa options, no SRAT
    dist: dict = field(default_factory=dict)  # {(a, b): d}
    x2apic: bool = False           # intel-iommu with EIM, as x2APIC needs under TCG
    prealloc: bool = False         # host allocates guest RAM up front (benchmarks: no
                                   # first-touch faults inside timed regions); else reserve=off
    pmem: list = field(default_factory=list)  # [(node, GiB)]: one NVDIMM each (--pmem)
    vmem: list = field(default_factory=list)  # [(node, max GiB, initial GiB)]: virtio-mem (--vmem)
    acpi_tables: list = field(default_factory=list)  # extra ACPI table files (--acpitable)
    extra: list = field(default_factory=list)
    firmware: str = 'plain'        # FIRMWARES
    machine: str = 'q35'           # MACHINES (pc: i440fx)
    disk: str = 'virtio'           # DISKS: how the boot image is attached
    serial: bool = True            # False: no COM1 at all (-serial none)
    vga: bool = True               # False: no display adapter, so no GOP

    def total_mem_mib(self):
        return int(sum(self.mem_gib) * 1024)

    def cpu_nodes(self):
        return [n for n in range(self.nodes) if n not in self.cpuless]

    def total_cpus(self):
        return self.cpus * len(self.cpu_nodes()) if self.numa else self.cpus * self.nodes


@dataclass
class Result:
    status: str
    code: int
    qemu_status: int
    output: str
    records: list
    seconds: float
    cmdline: list
    vars: bytes = b''     # the UEFI variable store after the boot (run(keep_vars=True))
    hotplug: dict = None  # run(hotplug=...): the action log, matched (hotplug.action_log)

    def kind(self, kind):
        return [r for r in self.records if r.get('kind') == kind]

    def one(self, kind):
        recs = self.kind(kind)
        if len(recs) != 1:
            raise AssertionError(f'expected one "{kind}" record, got {len(recs)}:\n{self.output[-4000:]}')
        return recs[0]


def backend(topo):
    return 'prealloc=on' if topo.prealloc else 'reserve=off'


def cpu_model(topo):
    """-cpu max, with 46 physical address bits (numaboot's MAX_PHYSMEM_BITS)
    when the guest's memory and NVDIMMs reach past the default 40 bits."""
    top_mib = topo.total_mem_mib() + sum(int(g * 1024) for _, g in topo.pmem) + \
        sum(int(g * 1024) for _, g, _ in topo.vmem) + 8 * 1024
    return 'max,phys-bits=46' if top_mib > (1 << 20) else 'max'


VMEM_BLOCK = '2M'   # virtio-mem block size, fixed: QEMU's default follows the host's THP size


def vmem_args(topo):
    """virtio-mem devices for topo.vmem: (MiB of device memory, arguments).
    Each gets a MAXSIZE backend (reserve=off: nothing is allocated until
    plugged), a VMEM_BLOCK block size, and starts with requested-size
    INITIAL (docs/hotplug.md)."""
    args, total = [], 0
    for i, (node, max_gib, init_gib) in enumerate(topo.vmem):
        mib, init_mib = int(max_gib * 1024), int(init_gib * 1024)
        total += mib
        args += ['-object', f'memory-backend-ram,id=vm{i},size={mib}M,reserve=off',
                 '-device', f'virtio-mem-pci,id=vmem{i},memdev=vm{i},node={node},'
                 f'block-size={VMEM_BLOCK},requested-size={init_mib}M']
    return total, args


def pmem_args(topo):
    """NVDIMMs for topo.pmem and virtio-mem devices for topo.vmem:
    (-machine suffix, -m suffix, device arguments).  Both live in QEMU's
    device-memory window above RAM, so both count in maxmem; QEMU describes
    the NVDIMMs in its own NFIT and gives each a non-volatile SRAT entry
    (docs/acpi.md), the virtio-mem regions only through the device."""
    if not topo.pmem and not topo.vmem:
        return '', '', []
    pmem_mib = [int(gib * 1024) for _, gib in topo.pmem]
    vmem_mib, args = vmem_args(topo)
    maxmem = topo.total_mem_mib() + sum(pmem_mib) + vmem_mib
    for i, ((node, _), mib) in enumerate(zip(topo.pmem, pmem_mib)):
        args += ['-object', f'memory-backend-ram,id=nv{i},size={mib}M,{backend(topo)}',
                 '-device', f'nvdimm,id=nvdimm{i},memdev=nv{i},node={node}']
    return (',nvdimm=on' if topo.pmem else '',
            f',slots={max(1, len(pmem_mib))},maxmem={maxmem}M', args)


def platform_args(topo, disk, vars_copy, kernel, machine_extra=''):
    """Machine type, firmware, boot disk, console: the parts of the command
    line that are not the topology.  The Secure Boot build needs SMM and a
    pflash only SMM code may write (OVMF's SMM variable driver); its variable
    store is the plain, empty one, so no key is enrolled and Secure Boot stays
    off (it would refuse our unsigned image)."""
    if topo.firmware not in FIRMWARES or topo.machine not in MACHINES or topo.disk not in DISKS:
        raise ValueError(f'unknown firmware/machine/disk {topo.firmware}/{topo.machine}/{topo.disk}')
    if topo.firmware == 'secboot' and topo.machine != 'q35':
        raise ValueError("OVMF's SMM (secboot) build supports only the q35 machine")
    secboot = topo.firmware == 'secboot'
    machine = topo.machine + (',smm=on' if secboot else '') + \
        (',kernel-irqchip=off' if topo.x2apic else '') + machine_extra
    args = ['-machine', machine,
            '-drive', f'if=pflash,format=raw,unit=0,readonly=on,file={OVMF_SECBOOT_CODE if secboot else OVMF_CODE}',
            '-drive', f'if=pflash,format=raw,unit=1,file={vars_copy}']
    if secboot:
        args += ['-global', 'driver=cfi.pflash01,property=secure,value=on']
    if kernel:
        args += ['-kernel', kernel[0], '-append', kernel[1]]
    else:
        args += ['-drive', f'if=none,id=stick,format=raw,file={disk}', *DISKS[topo.disk]]
    args += ['-serial', 'stdio' if topo.serial else 'none']
    if not topo.vga:
        args += ['-vga', 'none']
    return args


def qemu_args(topo, disk, vars_copy, kernel=None, append=''):
    """QEMU command line.  disk: the per-run copy of the boot image.
    kernel: boot this Linux bzImage through OVMF (-kernel/-append, no boot
    disk) instead of the EFI image, same topology."""
    mem_mib = topo.total_mem_mib()
    pmem_machine, pmem_m, pmem_devs = pmem_args(topo)
    args = [QEMU, *platform_args(topo, disk, vars_copy, (kernel, append) if kernel else None,
                                 pmem_machine),
            '-accel', 'tcg,thread=multi', '-cpu', cpu_model(topo),
            '-m', f'{mem_mib}M' + pmem_m, *pmem_devs,
            *[a for f in topo.acpi_tables for a in ('-acpitable', f'file={f}')],
            '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
            '-display', 'none', '-net', 'none', '-no-reboot',
            '-monitor', 'none']
    if topo.x2apic:
        args += ['-device', 'intel-iommu,intremap=on,eim=on']
    if not any(a.startswith('-smp') for a in topo.extra):
        sockets = len(topo.cpu_nodes()) if topo.numa else topo.nodes
        args += ['-smp', f'{topo.total_cpus()},sockets={sockets},cores={topo.cpus},threads=1']
    if not topo.numa:
        args += ['-object', f'memory-backend-ram,id=m0,size={mem_mib}M,{backend(topo)}',
                 '-machine', 'memory-backend=m0']
        return args + topo.extra
    socket = 0
    for n in range(topo.nodes):
        gib = topo.mem_gib[n]
        if gib:
            args += ['-object', f'memory-backend-ram,id=m{n},size={int(gib * 1024)}M,{backend(topo)}',
                     '-numa', f'node,nodeid={n},memdev=m{n}']
        else:
            args += ['-numa', f'node,nodeid={n}']
    for n in topo.cpu_nodes():
        args += ['-numa', f'cpu,node-id={n},socket-id={socket}']
        socket += 1
    for (a, b), d in sorted(topo.dist.items()):
        args += ['-numa', f'dist,src={a},dst={b},val={d}']
    return args + topo.extra


def parse_records(text):
    records = []
    for line in text.splitlines():
        line = line.strip()
        start = line.find('{"schema":"numaboot/')
        if start < 0:
            continue
        try:
            records.append(json.loads(line[start:]))
        except json.JSONDecodeError:
            records.append({'kind': 'unparsable', 'line': line})
    return records


def qemu_lock():
    """With NUMABOOT_QEMU_LOCK=FILE, hold an exclusive lock on FILE while
    QEMU runs, so that several test suites or benchmarks sharing one host
    boot one guest at a time (a guest's timings are its own).  Returns the
    open lock file (close it when QEMU has exited) or None."""
    path = os.environ.get('NUMABOOT_QEMU_LOCK')
    if not path:
        return None
    f = open(path, 'a')
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def disk_image(efi=IMAGE):
    """build/numaboot.img, remade by tools/mkimage.sh (as `make image` does)
    when it is missing or older than the EFI image, the default
    numaboot.cfg or the script."""
    if not os.path.exists(efi):
        raise FileNotFoundError(f'{efi} is missing: run make first')
    if efi != IMAGE:    # another kernel: an image of its own next to it
        img = os.path.splitext(efi)[0] + '.img'
    else:
        img = DISK_IMAGE
    inputs = (efi, IMAGE_CFG, MKIMAGE)
    if not os.path.exists(img) or os.path.getmtime(img) < max(map(os.path.getmtime, inputs)):
        subprocess.run([MKIMAGE, img, efi, IMAGE_CFG], check=True, stdout=subprocess.DEVNULL)
    return img


def write_config(disk, text):
    """Replace EFI/BOOT/numaboot.cfg in the ESP of the disk image (mtools,
    addressed at the partition's offset; mkimage.sh puts it at 1 MiB)."""
    cfg = disk + '.cfg'
    with open(cfg, 'w') as f:
        f.write(text)
    env = dict(os.environ, MTOOLS_SKIP_CHECK='1')
    subprocess.run(['mcopy', '-o', '-i', f'{disk}@@{ESP_OFFSET}', cfg, '::/EFI/BOOT/numaboot.cfg'],
                   check=True, env=env)


ACPI_OVERRIDE_DIR = '::/EFI/BOOT/acpi'   # the folder numaboot reads (docs/acpi.md)


def acpi_override_plan(files):
    """--acpi-override FILEs -> [(path, name in EFI/BOOT/acpi/)]: each must
    be a readable file, and two with the same base name would overwrite
    each other.  ValueError says which."""
    plan, seen = [], {}
    for path in files:
        name = os.path.basename(path)
        if not os.path.isfile(path):
            raise ValueError(f'--acpi-override {path}: not a file')
        if name in seen:
            raise ValueError(f'--acpi-override {path} and {seen[name]}: both would be '
                             f'EFI/BOOT/acpi/{name}')
        seen[name] = path
        plan.append((path, name))
    return plan


def write_acpi_override(disk, files):
    """Put the files into EFI/BOOT/acpi/ of the disk image's ESP (mtools,
    as write_config() does); no folder when files is empty."""
    plan = acpi_override_plan(files)
    if not plan:
        return
    env = dict(os.environ, MTOOLS_SKIP_CHECK='1')
    img = f'{disk}@@{ESP_OFFSET}'
    if subprocess.run(['mdir', '-b', '-i', img, ACPI_OVERRIDE_DIR], env=env, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(['mmd', '-i', img, ACPI_OVERRIDE_DIR], check=True, env=env)
    for path, name in plan:
        subprocess.run(['mcopy', '-o', '-i', img, path, f'{ACPI_OVERRIDE_DIR}/{name}'], check=True,
                       env=env)


def run(topo, opts='', timeout=300, echo=False, image=IMAGE, kernel=None, append='', keep_vars=False,
        config=None, hotplug=None, acpi_override=()):
    """Boot once; return a Result.  echo=True streams the serial output;
    keep_vars=True returns the per-run UEFI variable store in Result.vars.
    config: the whole numaboot.cfg text (default: a comment line and opts).
    kernel: boot that Linux kernel with the command line append instead of
    the image (no isa-debug-exit code: status is qemu_error unless it timed out).
    hotplug: a hotplug.Schedule run through a QMP socket while the guest
    runs (its anchor waited for at most timeout s); Result.hotplug is the
    action log, status 'killed' when its kill action ended QEMU.
    acpi_override: table files for the image's EFI/BOOT/acpi/ folder."""
    check_harness(image if kernel is None else None)
    src = disk_image(image) if kernel is None else None
    with tempfile.TemporaryDirectory(prefix='numaboot-') as tmp:
        disk = os.path.join(tmp, 'numaboot.img')
        if src:
            # a sparse copy: the 64 MiB image holds ~3 MiB of data
            subprocess.run(['cp', '--sparse=always', src, disk], check=True)
            write_config(disk, config if config is not None else
                         '# written by tools/qemu_run.py\n' + opts + '\n')
            write_acpi_override(disk, acpi_override)
        vars_copy = os.path.join(tmp, 'vars.fd')
        shutil.copy(OVMF_VARS, vars_copy)
        os.chmod(vars_copy, 0o644)
        cmd = qemu_args(topo, disk, vars_copy, kernel=kernel, append=append)
        qmp_sock = os.path.join(tmp, 'qmp.sock')
        if hotplug:
            cmd += ['-qmp', f'unix:{qmp_sock},server=on,wait=off']
        lock = qemu_lock()
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        driver = hotplug and hotplug_driver(hotplug, qmp_sock, proc, timeout)
        chunks = []
        timed_out = False
        os.set_blocking(proc.stdout.fileno(), False)
        while True:
            data = proc.stdout.read()
            if data:
                chunks.append(data)
                if driver:
                    driver.feed(data.decode('utf-8', 'replace').replace('\r', ''))
                if echo:
                    sys.stdout.write(data.decode('utf-8', 'replace'))
                    sys.stdout.flush()
            if proc.poll() is not None:
                rest = proc.stdout.read()
                if rest:
                    chunks.append(rest)
                    if echo:
                        sys.stdout.write(rest.decode('utf-8', 'replace'))
                break
            if time.monotonic() - start > timeout:
                proc.kill()
                proc.wait()
                timed_out = True
                break
            time.sleep(0.05)
        seconds = time.monotonic() - start
        if driver:
            driver.finish()
        if lock:
            lock.close()
        nvram = open(vars_copy, 'rb').read() if keep_vars else b''
    text = b''.join(chunks).decode('utf-8', 'replace').replace('\r', '')
    records = parse_records(text)
    if timed_out:
        status, code = 'timeout', 124
    elif driver and driver.killed_at is not None:
        status, code = KILLED
    else:
        status, code = STATUS.get(proc.returncode, ('qemu_error', 125))
    return Result(status, code, proc.returncode, text, records, seconds, cmd, nvram,
                  driver.log(records) if driver else None)


def hotplug_driver(schedule, qmp_sock, proc, timeout):
    """Start the thread that runs schedule on QEMU proc through qmp_sock;
    its kill action sends SIGKILL."""
    driver = hotplug.Driver(schedule, qmp_sock, proc.kill, anchor_timeout=timeout)
    driver.start()
    return driver


def parse_mem(s, nodes):
    vals = [float(x) for x in s.split(',')]
    if len(vals) == 1:
        vals *= nodes
    if len(vals) != nodes:
        raise argparse.ArgumentTypeError(f'--mem needs 1 or {nodes} values')
    return [int(v) if v == int(v) else v for v in vals]


def parse_pmem(s):
    """'NODE:GiB[,NODE:GiB...]' -> [(node, GiB)]"""
    out = []
    for item in filter(None, s.split(',')):
        node, _, size = item.partition(':')
        try:
            gib = float(size)
            out.append((int(node), int(gib) if gib == int(gib) else gib))
        except ValueError:
            raise argparse.ArgumentTypeError(f'--pmem item {item!r} is not NODE:GiB')
        if gib <= 0:
            raise argparse.ArgumentTypeError(f'--pmem item {item!r}: size must be positive')
    return out


def parse_vmem(s):
    """'NODE:MAXSIZE[:INITIAL][,...]' (GiB) -> [(node, max, initial)]"""
    out = []
    for item in filter(None, s.split(',')):
        parts = item.split(':')
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            node, mx = int(parts[0]), float(parts[1])
            init = float(parts[2]) if len(parts) == 3 else 0.0
        except ValueError:
            raise argparse.ArgumentTypeError(f'--vmem item {item!r} is not NODE:MAXSIZE[:INITIAL]')
        if mx <= 0 or init < 0 or init > mx:
            raise argparse.ArgumentTypeError(f'--vmem item {item!r}: need 0 < MAXSIZE, '
                                             '0 <= INITIAL <= MAXSIZE')
        num = lambda g: int(g) if g == int(g) else g
        out.append((node, num(mx), num(init)))
    return out


def parse_dist(s):
    dist = {}
    for item in filter(None, s.split(',')):
        pair, val = item.split('=')
        a, b = pair.split(':')
        dist[(int(a), int(b))] = int(val)
    return dist


def positive_int(text):
    """argparse type: a whole number >= 1 (a usage error, exit 2, otherwise)."""
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f'{text!r} is not a whole number >= 1')
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--nodes', type=positive_int, default=2)
    p.add_argument('--cpus', type=positive_int, default=2, help='CPUs per node')
    p.add_argument('--mem', default='2', help='GiB per node, or a comma list')
    p.add_argument('--cpuless', default='', help='comma list of node ids without CPUs')
    p.add_argument('--no-numa', action='store_true', help='no -numa options (no SRAT)')
    p.add_argument('--dist', default='', help='SLIT distances, e.g. 0:1=21,1:0=21')
    p.add_argument('--x2apic', action='store_true')
    p.add_argument('--pmem', type=parse_pmem, default=[],
                   help='persistent memory: NODE:GiB[,NODE:GiB...], one NVDIMM each')
    p.add_argument('--vmem', type=parse_vmem, default=[],
                   help='virtio-mem: NODE:MAXSIZE[:INITIAL] GiB[,...], one device each')
    p.add_argument('--hotplug', metavar='SCHEDULE',
                   help="with --vmem: T@vmemI=SIZE or T@kill items, e.g. '2@vmem0=1G,8@vmem0=0'")
    p.add_argument('--hotplug-anchor', choices=hotplug.ANCHORS, default='serve_begin',
                   help='what --hotplug times count from (default: the kernel\'s serve_begin record)')
    p.add_argument('--hotplug-log', metavar='FILE', help='write the hotplug action log (JSON) to FILE')
    p.add_argument('--acpitable', action='append', default=[], metavar='FILE',
                   help='extra ACPI table file for the guest (QEMU -acpitable; repeatable)')
    p.add_argument('--acpi-override', action='append', default=[], metavar='FILE',
                   help="table for the image's EFI/BOOT/acpi/: replaces the firmware's table of "
                        "its signature, bytes as they are (docs/acpi.md; repeatable)")
    p.add_argument('--prealloc', action='store_true',
                   help='allocate guest RAM up front (no host first-touch faults in timings)')
    p.add_argument('--opts', default='', help='kernel options (numaboot.cfg)')
    p.add_argument('--firmware', choices=FIRMWARES, default='plain',
                   help='OVMF build: plain, or secboot (Secure Boot + SMM build, nothing enrolled)')
    p.add_argument('--machine', choices=MACHINES, default='q35', help='q35, or pc (i440fx)')
    p.add_argument('--disk', choices=sorted(DISKS), default='virtio', help='how the boot image is attached')
    p.add_argument('--no-serial', action='store_true', help='no COM1 (the exit code still comes back)')
    p.add_argument('--no-vga', action='store_true', help='no display adapter: OVMF offers no GOP')
    p.add_argument('--timeout', type=float, default=600, help='seconds')
    p.add_argument('--json', action='store_true', help='print only the JSON records')
    p.add_argument('--print-cmd', action='store_true')
    p.add_argument('extra', nargs='*', help='extra QEMU arguments (after --)')
    a = p.parse_args()
    try:    # these depend on --nodes: checked after parsing, still usage errors (exit 2)
        mem = parse_mem(a.mem, a.nodes)
        cpuless = tuple(int(x) for x in filter(None, a.cpuless.split(',')))
        dist = parse_dist(a.dist)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        p.error(f'--mem, --cpuless or --dist: {exc}')
    topo = Topology(nodes=a.nodes, cpus=a.cpus, mem_gib=mem, cpuless=cpuless,
                    numa=not a.no_numa, dist=dist, x2apic=a.x2apic, prealloc=a.prealloc,
                    pmem=a.pmem, vmem=a.vmem, acpi_tables=a.acpitable, extra=a.extra, firmware=a.firmware,
                    machine=a.machine, disk=a.disk, serial=not a.no_serial, vga=not a.no_vga)
    if any(n >= a.nodes for n, _ in a.pmem):
        p.error('--pmem names a node past --nodes')
    if any(n >= a.nodes for n, _, _ in a.vmem):
        p.error('--vmem names a node past --nodes')
    schedule = parse_hotplug(p, a)
    if a.firmware == 'secboot' and a.machine != 'q35':
        p.error("--firmware secboot needs --machine q35 (OVMF's SMM build supports only q35)")
    try:
        override = acpi_override_plan(a.acpi_override)
    except ValueError as exc:
        p.error(str(exc))
    if a.print_cmd:
        print(' '.join(qemu_args(topo, 'ESP', 'VARS')))
        for path, name in override:
            print(f'# EFI/BOOT/acpi/{name} <- {path}')
        return 0
    try:
        check_harness()
    except HarnessError as exc:
        print(f'qemu_run: {exc}', file=sys.stderr)
        return 125
    print(f'qemu_run: booting {a.nodes} node(s) x {a.cpus} CPU(s) x {a.mem} GiB '
          f'under TCG (OVMF needs ~5 s to start the image)', file=sys.stderr, flush=True)
    r = run(topo, a.opts, a.timeout, echo=not a.json, hotplug=schedule, acpi_override=a.acpi_override)
    if a.json:
        for rec in r.records:
            print(json.dumps(rec))
    if r.hotplug:
        report_hotplug(r.hotplug, a.hotplug_log, sys.stderr if a.json else sys.stdout)
    if r.status == 'killed':
        print(f'qemu_run: killed: --hotplug sent QEMU SIGKILL at {r.hotplug["killed_at_s"]:.3f} s '
              f'after {r.hotplug["anchor"]}', file=sys.stderr)
    print(f'qemu_run: {r.status} (QEMU status {r.qemu_status}) after {r.seconds:.1f} s',
          file=sys.stderr)
    return r.code


def parse_hotplug(p, a):
    """--hotplug SCHEDULE -> hotplug.Schedule (None without), or exit through p.error."""
    if not a.hotplug:
        return None
    if not a.vmem:
        p.error('--hotplug needs --vmem (a virtio-mem device to drive)')
    try:
        return hotplug.parse_schedule(a.hotplug, a.hotplug_anchor, devices=len(a.vmem))
    except hotplug.ScheduleError as exc:
        p.error(str(exc))


def report_hotplug(log, path, out):
    print(hotplug.table(log), file=out, flush=True)
    if path:
        with open(path, 'w') as f:
            json.dump(log, f, indent=1)


if __name__ == '__main__':
    sys.exit(main())
