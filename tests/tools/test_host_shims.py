"""The host programs (unit tests, TSan tests, numaboot-hostbench) take the
kernel's per-thread CPU id and clock from one host file,
tests/unit/host_smp.c, not from copies: a fix to one copy would miss the
other.  Fakes with their own semantics (a fixed CPU, a device-driven
clock) are not copies and are not counted."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST_DIRS = ('tests', 'tools')


def host_sources():
    for top in HOST_DIRS:
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(('.c', '.h')):
                    path = os.path.join(d, f)
                    with open(path, errors='replace') as fh:
                        yield os.path.relpath(path, ROOT), fh.read()


def definitions(name, marker):
    """Host files that define name() and use marker (what makes it the real
    stand-in rather than a fake)."""
    define = re.compile(r'^\w[\w \t*]*\b' + name + r'\(void\)\s*\{', re.M)
    return sorted(p for p, text in host_sources() if define.search(text) and marker.search(text))


def test_one_per_thread_cpu_id():
    assert definitions('smp_this_cpu', re.compile(r'_Thread_local|__thread')) == ['tests/unit/host_smp.c']


def test_one_monotonic_now_ns():
    assert definitions('now_ns', re.compile(r'CLOCK_MONOTONIC')) == ['tests/unit/host_smp.c']
