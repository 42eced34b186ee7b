"""Issue 11: the USB-stick image as firmware finds it.  Every boot test
boots build/numaboot.img (tools/qemu_run.py); these check the flavours and
faults a real machine brings: Secure-Boot/SMM OVMF, i440fx, USB storage, no
COM1, no GOP, too little RAM for the loader, a config over its limit, and
results read back from the UEFI variable store."""
import json
import os
import subprocess
import sys

import pytest

from conftest import MODES, ROOT, boot, explain
from qemu_run import Topology, run

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import efivar_read  # noqa: E402
import regress  # noqa: E402

SMALL = dict(nodes=1, cpus=1, mem_gib=[1])
OPTS = 'meminit=serial bw_mb=0 warmup=off'


def test_image_is_a_gpt_disk_with_the_esp():
    img = os.path.join(ROOT, 'build', 'numaboot.img')
    subprocess.run(['make', '-s', '-C', ROOT, 'image'], check=True, stdout=subprocess.DEVNULL)
    table = json.loads(subprocess.run(['sfdisk', '--json', img], check=True,
                                      capture_output=True, text=True).stdout)['partitiontable']
    assert table['label'] == 'gpt' and len(table['partitions']) == 1
    part = table['partitions'][0]
    assert part['type'] == 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B' and part['start'] == 2048
    env = dict(os.environ, MTOOLS_SKIP_CHECK='1')
    listing = subprocess.run(['mdir', '-b', '-i', f'{img}@@1M', '::/EFI/BOOT'], check=True,
                             capture_output=True, text=True, env=env).stdout
    assert '::/EFI/BOOT/BOOTX64.EFI' in listing and '::/EFI/BOOT/numaboot.cfg' in listing


@pytest.mark.parametrize('firmware,machine,disk', [('secboot', 'q35', 'virtio'),
                                                   ('plain', 'pc', 'virtio'),
                                                   ('plain', 'q35', 'usb')])
def test_firmware_flavours_boot_the_image(firmware, machine, disk):
    r = boot(Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5], firmware=firmware, machine=machine,
                      disk=disk), OPTS)
    assert r.status == 'ok', explain(r)
    assert 'numaboot: read numaboot.cfg' in r.output, explain(r)
    assert r.one('topology')['source'] == 'srat' and len(r.one('topology')['nodes']) == 2
    # RAM the map shows: all of it, less legacy holes and (SMM build) the
    # 16 MiB TSEG that q35 takes for SMRAM
    mm = r.one('memmap')
    assert 1024 << 20 >= mm['ram_bytes'] >= (1024 - 32) << 20, explain(r)


def test_no_gop_no_fb_console():
    r = boot(Topology(**SMALL, vga=False), OPTS)
    assert r.status == 'ok', explain(r)
    b = r.one('boot')
    assert b['framebuffer'] is False and b['console'] == 'serial', explain(r)


def saved_records(vars_blob, tmp_path):
    """The records save_efivar=on stored, through tools/efivar_read.py."""
    path = tmp_path / 'vars.fd'
    path.write_bytes(vars_blob)
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'efivar_read.py'),
                          '--ovmf-vars', str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_no_com1_still_exits_with_its_code_and_saves_results(tmp_path):
    """-serial none: the UART probe finds nothing, the exit code still comes
    back, and the stored records say the console was the screen alone."""
    r = run(Topology(**SMALL, serial=False), OPTS + ' save_efivar=on', keep_vars=True)
    assert r.status == 'ok' and r.output == '', explain(r)
    recs = [json.loads(line) for line in saved_records(r.vars, tmp_path).splitlines()]
    boot_rec = [x for x in recs if x['kind'] == 'boot'][0]
    assert boot_rec['console'] == 'fb'
    assert recs[-1]['kind'] == 'result' and recs[-1]['status'] == 'ok'


def test_save_efivar_records_let_regress_judge_the_run(tmp_path):
    """save_efivar=on with every mode on two nodes needs more than one
    variable; read back from the OVMF store and from an efivarfs-format
    copy, the records give tools/regress.py the same rows as the serial
    output, and its verdict against a baseline of that output is INCONCLUSIVE
    (one boot a side is too few to judge) and never REGRESSED or MISSING."""
    r = run(Topology(nodes=2, cpus=1, mem_gib=[0.5, 0.5]), 'save_efivar=on meminit=all bw_mb=8',
            keep_vars=True)
    assert r.status == 'ok', explain(r)
    assert 'numaboot: stored' in r.output and '(0 records left out)' in r.output, explain(r)
    from_ovmf = saved_records(r.vars, tmp_path)
    parts = efivar_read.parts_from_ovmf(str(tmp_path / 'vars.fd'))
    assert parts[0] is not None and parts[1] is not None, 'expected several variables'
    efivars = tmp_path / 'efivars'
    efivars.mkdir()
    for i, data in enumerate(parts):
        if data is not None:
            (efivars / f'{efivar_read.part_name(i)}-{efivar_read.VENDOR}').write_bytes(
                b'\x07\x00\x00\x00' + data)
    lines, warnings, complete = efivar_read.assemble(efivar_read.parts_from_efivarfs(str(efivars)))
    assert complete and not warnings and '\n'.join(lines) + '\n' == from_ovmf
    saved = tmp_path / 'saved.json'
    saved.write_text(from_ovmf)
    serial = tmp_path / 'serial.txt'
    serial.write_text(r.output)
    (want, _), (got, _) = regress.load_results(str(serial)), regress.load_results(str(saved))   # (rows, identity)
    assert set(got) == {f'boot/{m}' for m in MODES}
    assert got == want
    base = tmp_path / 'base.json'
    tool = os.path.join(ROOT, 'tools', 'regress.py')
    subprocess.run([sys.executable, tool, str(serial), '--update-baseline', '--baseline', str(base)],
                   check=True, capture_output=True)
    v = subprocess.run([sys.executable, tool, str(saved), '--baseline', str(base)],
                       capture_output=True, text=True)
    assert v.returncode == 5, v.stdout + v.stderr      # one boot a side: INCONCLUSIVE (docs/regress.md)
    assert 'MISSING' not in v.stdout and 'REGRESSED' not in v.stdout, v.stdout


def test_too_little_ram_for_the_loader_ends_the_boot():
    """64 MiB: no room for the early heap.  Was: EFI_LOAD_ERROR, the UEFI
    shell, a run that never ended.  Now: a message, a loader_error record and
    the panic exit code."""
    r = boot(Topology(nodes=1, cpus=2, mem_gib=[0.0625]), OPTS, timeout=120)
    assert r.status == 'panic', explain(r)
    assert 'cannot allocate the kernel stack or early heap' in r.output, explain(r)
    rec = r.one('loader_error')
    assert rec['status'] == 'panic' and rec['exit_code'] == 0x12


def test_config_over_its_limit_is_refused_by_name():
    """A numaboot.cfg over 8 KiB was cut at 1023 bytes, splitting a word and
    hiding a bad option after the cut.  At the limit it is read whole; one
    byte more is refused, naming the file and the limit."""
    tail = 'bw_mb=0 meminit=serial warmup=off\n'
    body = ('# ' + 'x' * 77 + '\n') * 200
    at_limit = body[:8192 - len(tail) - 1] + '\n' + tail
    assert len(at_limit) == 8192
    r = run(Topology(**SMALL), config=at_limit)
    assert r.status == 'ok', explain(r)
    assert 'bw_mb=0 ' in r.one('boot')['options'], explain(r)
    r = run(Topology(**SMALL), config=at_limit + 'bogus=1\n')
    assert r.status == 'bad_option', explain(r)
    assert 'numaboot.cfg is longer than its limit of 8192' in r.output, explain(r)
    assert r.one('loader_error')['status'] == 'bad_option'
