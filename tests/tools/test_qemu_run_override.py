"""tools/qemu_run.py --acpi-override without booting: the switch is
repeatable and listed by --print-cmd, bad arguments are refused by name,
and write_acpi_override() puts the files byte for byte into EFI/BOOT/acpi/
of an ESP at the image's partition offset (mtools, as the boot does)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import qemu_run  # noqa: E402

QEMU_RUN = os.path.join(ROOT, 'tools', 'qemu_run.py')
MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK='1')


def tool(*args):
    return subprocess.run([sys.executable, QEMU_RUN, *args], capture_output=True, text=True)


@pytest.fixture
def tables(tmp_path):
    a, b = tmp_path / 'srat.aml', tmp_path / 'sub' / 'nfit.aml'
    b.parent.mkdir()
    a.write_bytes(b'SRAT' + bytes(range(60)))
    b.write_bytes(b'NFIT' + bytes(200))
    return a, b


def test_switch_repeatable_and_listed(tables):
    a, b = tables
    r = tool('--print-cmd', '--acpi-override', str(a), '--acpi-override', str(b))
    assert r.returncode == 0, r.stderr
    assert f'# EFI/BOOT/acpi/srat.aml <- {a}\n' in r.stdout
    assert f'# EFI/BOOT/acpi/nfit.aml <- {b}\n' in r.stdout
    assert '# EFI/BOOT/acpi/' not in tool('--print-cmd').stdout


def test_missing_file_refused(tmp_path):
    r = tool('--print-cmd', '--acpi-override', str(tmp_path / 'nope.aml'))
    assert r.returncode == 2
    assert f'--acpi-override {tmp_path / "nope.aml"}: not a file' in r.stderr


def test_same_name_refused(tables, tmp_path):
    a, _ = tables
    other = tmp_path / 'sub' / 'srat.aml'
    other.write_bytes(b'SRAT')
    r = tool('--print-cmd', '--acpi-override', str(a), '--acpi-override', str(other))
    assert r.returncode == 2
    assert 'both would be EFI/BOOT/acpi/srat.aml' in r.stderr
    with pytest.raises(ValueError, match='both would be'):
        qemu_run.acpi_override_plan([str(a), str(other)])


def test_files_written_into_the_esp(tables, tmp_path):
    a, b = tables
    disk = tmp_path / 'disk.img'
    with open(disk, 'wb') as f:
        f.truncate(qemu_run.ESP_OFFSET + 16 * (1 << 20))
    img = f'{disk}@@{qemu_run.ESP_OFFSET}'
    subprocess.run(['mformat', '-i', img, '-T', '32768', '-h', '2', '-s', '16', '::'], check=True,
                   env=MTOOLS_ENV)
    subprocess.run(['mmd', '-i', img, '::/EFI', '::/EFI/BOOT'], check=True, env=MTOOLS_ENV)
    qemu_run.write_acpi_override(str(disk), [str(a), str(b)])
    qemu_run.write_acpi_override(str(disk), [str(a)])    # again: the folder exists, files replaced
    for src in (a, b):
        out = tmp_path / ('out_' + src.name)
        subprocess.run(['mcopy', '-i', img, f'::/EFI/BOOT/acpi/{src.name}', str(out)], check=True,
                       env=MTOOLS_ENV)
        assert out.read_bytes() == src.read_bytes()
    listing = subprocess.run(['mdir', '-b', '-i', img, '::/EFI/BOOT/acpi'], capture_output=True,
                             text=True, env=MTOOLS_ENV, check=True).stdout.split()
    assert sorted(os.path.basename(x) for x in listing) == ['NFIT.AML', 'SRAT.AML'] or \
        sorted(os.path.basename(x).lower() for x in listing) == ['nfit.aml', 'srat.aml']


def test_no_files_no_folder(tmp_path):
    qemu_run.write_acpi_override(str(tmp_path / 'never-touched.img'), [])
    assert not (tmp_path / 'never-touched.img').exists()


# --- tests/data/gen_tables.py: binary override tables -----------------------

sys.path.insert(0, os.path.join(ROOT, 'tests', 'data'))
import gen_tables  # noqa: E402


def test_generated_tables_checksums_and_layout():
    G, M = 1 << 30, 1 << 20
    s = gen_tables.srat_bin(gen_tables.qemu_cpus(2, 1), [(0, G + 64 * M, 0), (G + 64 * M, G - 64 * M, 1)])
    assert s[:4] == b'SRAT' and int.from_bytes(s[4:8], 'little') == len(s) == 48 + 2 * 16 + 2 * 40
    assert sum(s) & 0xFF == 0
    assert sum(gen_tables.srat_bin([(0, 0)], [(0, G, 0)], bad_checksum=True)) & 0xFF != 0
    n = gen_tables.nfit_bin([(1, 1, 6 * G, G), (2, 1, 8 * G, -4 * G)])
    assert len(n) == 40 + 2 * 56 and sum(n) & 0xFF == 0
    assert int.from_bytes(n[40 + 56 + 40:40 + 56 + 48], 'little') == 2**64 - 4 * G  # wraps to 4 GiB
    assert gen_tables.size('1G+64M') == G + 64 * M and gen_tables.size('0x1000') == 4096


def test_qemu_apic_ids():
    """QEMU numbers APIC ids socket << ceil(log2(cores)) | core."""
    assert gen_tables.qemu_cpus(2, 1) == [(0, 0), (1, 1)]
    assert gen_tables.qemu_cpus(2, 2) == [(0, 0), (1, 0), (2, 1), (3, 1)]
    assert gen_tables.qemu_cpus(2, 3) == [(0, 0), (1, 0), (2, 0), (4, 1), (5, 1), (6, 1)]
