"""Issue 2: the boot path.  Boots under several memory sizes and node
counts, checks the memmap JSON against what QEMU was asked for, and checks
that deliberate faults and bad options end the boot as documented."""
import json

import pytest

from conftest import boot, explain
from qemu_run import Topology

GIB = 1 << 30
MIB = 1 << 20
Q35_LOWMEM_LIMIT = 0xB0000000   # q35 keeps all RAM below 4 GiB up to 2.75 GiB
Q35_LOWMEM_SPLIT = 0x80000000   # else 2 GiB below 4 GiB, the rest from 4 GiB


def expected_ram_top(total):
    if total <= Q35_LOWMEM_LIMIT:
        return total
    return 4 * GIB + total - Q35_LOWMEM_SPLIT


# (nodes, cpus per node, GiB per node): small guests, the PCI hole split, several nodes
CASES = [(1, 1, [1]), (1, 2, [2.5]), (2, 1, [1.5, 1.5]), (2, 2, [2, 2]), (4, 1, [0.5, 0.5, 1, 1])]


@pytest.mark.parametrize('nodes,cpus,mem', CASES, ids=lambda c: str(c))
def test_memmap_matches_qemu(nodes, cpus, mem):
    topo = Topology(nodes=nodes, cpus=cpus, mem_gib=mem)
    r = boot(topo, 'meminit=serial bw_mb=0')
    assert r.status == 'ok', explain(r)
    total = int(sum(mem) * GIB)
    mm = r.one('memmap')
    # Everything QEMU gave as RAM shows up as RAM in the map, less at most
    # what the firmware keeps out of it (legacy holes below 1 MiB, SMRAM).
    assert total - 16 * MIB <= mm['ram_bytes'] <= total, explain(r)
    assert int(mm['ram_top'], 16) == expected_ram_top(total), explain(r)
    # Usable = conventional + boot services; firmware and our image keep a little.
    assert total - 160 * MIB <= mm['usable_bytes'] <= mm['ram_bytes']
    assert mm['bytes']['conventional'] > total // 2
    assert sum(mm['bytes'].values()) >= mm['ram_bytes']
    assert mm['desc_size'] >= 40 and mm['entries'] > 3
    assert int(mm['identity_top'], 16) >= int(mm['top'], 16)
    assert r.one('result')['status'] == 'ok'
    b = r.one('boot')
    assert b['acpi_revision'] == 2 and int(b['rsdp'], 16) != 0
    assert 0 < int(b['trampoline'], 16) < MIB


@pytest.mark.parametrize('fault,vector,name', [('pf', 14, '#PF page fault'),
                                               ('ud', 6, '#UD invalid opcode'),
                                               ('gp', 13, '#GP general protection')])
def test_fault_dumps_registers_and_exits_panic(fault, vector, name):
    r = boot(Topology(nodes=1, cpus=1, mem_gib=[1]), f'fault={fault}')
    assert r.status == 'panic', explain(r)
    assert f'PANIC: {name} on cpu' in r.output, explain(r)
    for reg in ('rip ', 'cr2 ', 'rax ', 'rbx ', 'r15 ', 'rflags ', 'error '):
        assert reg in r.output, f'{reg!r} missing from the dump\n' + explain(r)
    p = r.one('panic')
    assert p['vector'] == vector
    if fault == 'pf':
        assert p['cr2'] == '0xffff800000000000'
    assert not r.kind('result'), 'a panicked boot must not claim a result'


@pytest.mark.parametrize('opts,named', [('bogus=1', "unknown option 'bogus'"),
                                        ('meminit=fast', "bad value 'fast' for meminit"),
                                        ('ap_timeout_ms=0', 'ap_timeout_ms'),
                                        ('justaword', "malformed word 'justaword'")])
def test_bad_option_rejected_by_name(opts, named):
    r = boot(Topology(nodes=1, cpus=1, mem_gib=[1]), opts)
    assert r.status == 'bad_option', explain(r)
    assert named in r.output, explain(r)
    assert r.one('result')['status'] == 'bad_option'


def test_exit_reset_powers_off_through_firmware_after_the_delay():
    r = boot(Topology(nodes=1, cpus=1, mem_gib=[1]), 'exit=reset exit_delay_s=1 bw_mb=0')
    # No isa-debug-exit code: UEFI ResetSystem powered the machine off.
    assert r.status == 'qemu_error' and r.qemu_status == 0, explain(r)
    assert r.one('result')['status'] == 'ok'
    assert 'powering off in 1 s' in r.output, explain(r)
