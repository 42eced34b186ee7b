"""tools/efivar_read.py on efivarfs-format files made here: parts
reassembled in order, a missing part or a part of another boot reported,
and the records of an older kernel (one variable, no "saved" header) kept.
The OVMF-store path is tested on a real boot (tests/boot/test_image.py)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import efivar_read  # noqa: E402

TOOL = os.path.join(ROOT, 'tools', 'efivar_read.py')
ATTRS = b'\x07\x00\x00\x00'     # non-volatile, boot service, runtime access


def rec(kind, **kw):
    return json.dumps({'schema': 'numaboot/1', 'kind': kind, **kw}, separators=(',', ':'))


def part(i, parts, stamp, *lines):
    head = rec('saved', part=i, parts=parts, boot=stamp, dropped=0)
    return ('\n'.join((head,) + lines) + '\n').encode()


def write(d, i, data):
    (d / f'{efivar_read.part_name(i)}-{efivar_read.VENDOR}').write_bytes(ATTRS + data)


def read(d):
    return subprocess.run([sys.executable, TOOL, '--efivarfs', str(d)], capture_output=True, text=True)


def test_parts_are_reassembled_in_order(tmp_path):
    a = rec('meminit', mode='serial', node=0, verified=True)
    b = rec('result', status='ok', exit_code=16)
    write(tmp_path, 1, part(1, 2, '0x1', b))
    write(tmp_path, 0, part(0, 2, '0x1', a))
    out = read(tmp_path)
    assert out.returncode == 0 and out.stderr == ''
    kinds = [json.loads(line)['kind'] for line in out.stdout.splitlines()]
    assert kinds == ['saved', 'meminit', 'saved', 'result']


def test_missing_and_foreign_parts_are_reported(tmp_path):
    write(tmp_path, 0, part(0, 3, '0x2', rec('memmap')))
    write(tmp_path, 1, part(1, 3, '0x1', rec('meminit')))     # an older boot's
    out = read(tmp_path)
    assert out.returncode == 1
    assert 'NumabootResult1 belongs to another boot' in out.stderr
    assert 'NumabootResult2 is missing' in out.stderr
    assert [json.loads(line)['kind'] for line in out.stdout.splitlines()] == ['saved', 'memmap']


def test_single_variable_of_an_older_kernel(tmp_path):
    write(tmp_path, 0, (rec('memmap') + '\n' + rec('result', status='ok') + '\n').encode())
    out = read(tmp_path)
    assert out.returncode == 0 and len(out.stdout.splitlines()) == 2


def test_no_variable_is_bad_input(tmp_path):
    out = read(tmp_path)
    assert out.returncode == 4 and 'no NumabootResult variable' in out.stderr
    assert 'Traceback' not in out.stderr


def test_empty_variable_is_bad_input_and_says_so(tmp_path):
    write(tmp_path, 0, b'')
    out = read(tmp_path)
    assert out.returncode == 4 and 'NumabootResult holds no records' in out.stderr
    assert out.stdout == ''


def test_usage_error_exits_2(tmp_path):
    out = subprocess.run([sys.executable, TOOL, '--efivarfs', str(tmp_path), '--ovmf-vars', 'x.fd'],
                         capture_output=True, text=True)
    assert out.returncode == 2 and 'not allowed with' in out.stderr and out.stdout == ''


def test_not_an_ovmf_store(tmp_path):
    f = tmp_path / 'x.fd'
    f.write_bytes(b'\0' * 4096)
    out = subprocess.run([sys.executable, TOOL, '--ovmf-vars', str(f)], capture_output=True, text=True)
    assert out.returncode == 4 and '_FVH' in out.stderr


def test_unreadable_ovmf_store_is_bad_input(tmp_path):
    out = subprocess.run([sys.executable, TOOL, '--ovmf-vars', str(tmp_path / 'missing.fd')],
                         capture_output=True, text=True)
    assert out.returncode == 4 and 'missing.fd' in out.stderr and 'Traceback' not in out.stderr


def test_truncated_ovmf_store_is_bad_input(tmp_path):
    f = tmp_path / 'short.fd'
    f.write_bytes(b'\0' * 0x28 + b'_FVH' + b'\0' * 4)     # header cut before its length field
    out = subprocess.run([sys.executable, TOOL, '--ovmf-vars', str(f)], capture_output=True, text=True)
    assert out.returncode == 4 and 'Traceback' not in out.stderr
