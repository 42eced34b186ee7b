"""One exit-status table for the tools (docs/output.md): usage errors are 2
(argparse), a missing dependency is 125, and tools/install-deps.sh checks
before it asks for root (no QEMU)."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, 'tools')


def fake_debian(tmp_path, installed=lambda pkg: True, uid=1000):
    """A PATH with only what install-deps.sh uses, a dpkg-query that answers
    from `installed`, a QEMU 10.0, `id -u` = uid, and no sudo."""
    fb = tmp_path / 'bin'
    fb.mkdir()
    for tool in ('bash', 'grep', 'sed', 'ls', 'cat', 'tee'):
        os.symlink(shutil.which(tool), fb / tool)
    missing = [p for p in ('make', 'gcc', 'python3-junitparser', 'lava-dispatcher') if not installed(p)]
    (fb / 'dpkg-query').write_text('#!/bin/bash\nfor p in ' + ' '.join(missing or ['-none-']) +
                                   '; do [ "$p" = "${@: -1}" ] && { echo -n "unknown ok not-installed"; exit 1; }; '
                                   'done\necho -n "install ok installed"\n')
    (fb / 'qemu-system-x86_64').write_text('#!/bin/bash\necho "QEMU emulator version 10.0.2"\n')
    (fb / 'id').write_text(f'#!/bin/bash\necho {uid}\n')
    for f in fb.iterdir():
        if not f.is_symlink():
            f.chmod(0o755)
    return {'PATH': str(fb), 'HOME': str(tmp_path)}


def install_deps(env, *args):
    return subprocess.run([shutil.which('bash'), os.path.join(TOOLS, 'install-deps.sh'), *args],
                          env=env, capture_output=True, text=True, timeout=60)


def test_install_deps_checks_before_asking_for_root(tmp_path):
    """Old script: not root and no sudo -> exit 1 before checking anything,
    even with every package present.  Now: exit 0, sudo never needed."""
    p = install_deps(fake_debian(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    assert 'all build and test dependencies present' in p.stdout and 'sudo' not in p.stderr


def test_install_deps_missing_and_no_root_is_125_naming_the_package(tmp_path):
    """Old script: exit 1 (the generic failure) with the whole package list."""
    p = install_deps(fake_debian(tmp_path, installed=lambda pkg: pkg != 'python3-junitparser'))
    assert p.returncode == 125, p.stdout + p.stderr
    assert 'missing python3-junitparser; not root and no sudo' in p.stderr


def test_install_deps_lava_and_usage(tmp_path):
    env = fake_debian(tmp_path, installed=lambda pkg: pkg != 'lava-dispatcher')
    assert install_deps(env).returncode == 0                 # lava-dispatcher only with --lava
    p = install_deps(env, '--lava')
    assert p.returncode == 125 and 'lava-dispatcher' in p.stderr
    p = install_deps(env, '--bogus')
    assert p.returncode == 2 and 'usage:' in p.stderr


@pytest.mark.parametrize('tool,args', [
    ('regress.py', ['--min-samples', 'x', 'r.json']),
    ('regress.py', ['--ab', '--samples', '1']),
    ('regress.py', ['--ab', '--only', 'n9c9']),
    ('bench.py', ['--repeat', '0']),
    ('qemu_run.py', ['--nodes', '0']),
    ('qemu_run.py', ['--mem', 'lots']),
])
def test_bad_arguments_exit_2_without_a_traceback(tool, args):
    p = subprocess.run([sys.executable, os.path.join(TOOLS, tool), *args], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2, p.stderr
    assert 'usage:' in p.stderr and 'Traceback' not in p.stderr


def test_regress_ab_without_qemu_is_125(tmp_path):
    env = dict(os.environ, QEMU='/nonexistent/qemu-system-x86_64')
    p = subprocess.run([sys.executable, os.path.join(TOOLS, 'regress.py'), '--ab', '--base-image', __file__,
                        '--out', str(tmp_path)], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 125 and 'QEMU' in p.stderr and 'Traceback' not in p.stderr, p.stderr


def test_qemu_run_without_mtools_is_125_not_a_traceback(tmp_path):
    """Old qemu_run: a missing mcopy (mtools) or sfdisk ended in a
    FileNotFoundError traceback, exit 1."""
    qemu = shutil.which('qemu-system-x86_64')
    if not qemu:
        pytest.skip('qemu-system-x86_64 not installed (the check under test comes after it)')
    env = dict(os.environ, PATH=str(tmp_path), QEMU=qemu)
    p = subprocess.run([sys.executable, os.path.join(TOOLS, 'qemu_run.py'), '--nodes', '1', '--cpus', '1',
                        '--mem', '1'], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 125, p.stderr
    assert 'mcopy not found: install mtools' in p.stderr and 'Traceback' not in p.stderr
