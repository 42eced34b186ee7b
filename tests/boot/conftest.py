"""Shared fixtures for the QEMU boot tests: import tools/qemu_run.py and
make sure the image is built (make all runs before pytest in `make test`)."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import qemu_run  # noqa: E402

# The timed memory-init modes meminit=all runs, in order: one
# meminit_summary each (include/meminit_mode.h, docs/meminit.md).
MODES = ('serial', 'hop', 'node', 'parallel', 'deferred', 'lazy')


@pytest.fixture(scope='session', autouse=True)
def _image_built():
    if not os.path.exists(qemu_run.IMAGE):
        pytest.fail('build/numaboot.efi is missing: run `make` first')


def boot(topo, opts='', timeout=300):
    """Boot once; on failure pytest shows the tail of the serial output."""
    return qemu_run.run(topo, opts, timeout=timeout)


def explain(result):
    return f'status {result.status} (QEMU {result.qemu_status})\n--- serial tail ---\n' + \
        result.output[-6000:]
