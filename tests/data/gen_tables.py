#!/usr/bin/env python3
"""Generate the iasl data-table sources (.dsl) in tests/data/, and binary
override tables (docs/acpi.md, "Table override from the boot disk").

The .dsl files are committed; this script is how they were written and how
to add a machine.  Run from the repo root: python3 tests/data/gen_tables.py
`make unit` compiles every tests/data/<machine>/<sig>.dsl with iasl into
build/data/<machine>/<sig>.aml (tests/unit/acpi.mk).

Binary tables, ready for tools/qemu_run.py --acpi-override (a boot) and
build/numaboot-topo --acpi-override (a host's topology with them):

  gen_tables.py srat -o srat.aml --nodes 2 --cpus 1 \
      --mem 0:0:1G+64M --mem 1:1G+64M:2G --mem 1:4G:6G [--bad-checksum]
  gen_tables.py nfit -o nfit.aml --spa 1:1:6G:1G [--spa ...] [--bad-checksum]

--mem NODE:START:END (bytes, K/M/G suffixes, '+' sums) is one memory
affinity entry; the processor entries are QEMU's APIC ids for --nodes
sockets of --cpus cores each (tools/qemu_run.py's -smp), socket k on node
k.  --spa INDEX:DOMAIN:BASE:LENGTH is one persistent-memory SPA range
(proximity domain valid; LENGTH may make BASE + LENGTH wrap past 2^64).
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
GiB = 1 << 30
MiB = 1 << 20


def f(width, name, value):
    return "[%04d] %34s : %s" % (width, name, value)


def flags(width, value, bits, name="Flags (decoded below)"):
    """iasl takes flag values from the decoded lines under a flags field."""
    return [f(width, name, hx(value, width))] + \
        ["%41s : %d" % (b, (value >> i) & 1) for i, b in enumerate(bits) if b]


def hx(v, nbytes):
    return "%0*X" % (nbytes * 2, v)


def header(sig, rev):
    return [f(4, "Signature", '"%s"' % sig), f(4, "Table Length", "00000000"),
            f(1, "Revision", hx(rev, 1)), f(1, "Checksum", "00"),
            f(6, "Oem ID", '"NUMABT"'), f(8, "Oem Table ID", '"TESTTBL "'),
            f(4, "Oem Revision", "00000001"), f(4, "Asl Compiler ID", '"INTL"'),
            f(4, "Asl Compiler Revision", "00000000"), ""]


def madt(cpus, lapic=0xFEE00000, override=None, extra_unknown=True):
    """cpus: list of (kind, uid, apic_id, flags); kind 'l' (type 0) or 'x' (type 9)."""
    out = header("APIC", 5)
    out += [f(4, "Local Apic Address", hx(lapic, 4))] + flags(4, 1, ["PC-AT Compatibility"]) + [""]
    for kind, uid, apic, fl in cpus:
        if kind == "l":
            out += [f(1, "Subtable Type", "00"), f(1, "Length", "08"),
                    f(1, "Processor ID", hx(uid, 1)), f(1, "Local Apic ID", hx(apic, 1))]
            out += flags(4, fl, ["Processor Enabled", "Runtime Online Capable"]) + [""]
        else:
            out += [f(1, "Subtable Type", "09"), f(1, "Length", "10"),
                    f(2, "Reserved", "0000"), f(4, "Processor x2Apic ID", hx(apic, 4))]
            out += flags(4, fl & 1, ["Processor Enabled"])
            out += [f(4, "Processor UID", hx(uid, 4)), ""]
    if extra_unknown:	# an I/O APIC: a subtable the parser skips by its length
        out += [f(1, "Subtable Type", "01"), f(1, "Length", "0C"), f(1, "I/O Apic ID", "00"),
                f(1, "Reserved", "00"), f(4, "Address", "FEC00000"),
                f(4, "Interrupt", "00000000"), ""]
    if override is not None:
        out += [f(1, "Subtable Type", "05"), f(1, "Length", "0C"), f(2, "Reserved", "0000"),
                f(8, "APIC Address", hx(override, 8)), ""]
    return out


def srat(cpus, mems, rev=3):
    """cpus: (kind, apic, domain, flags); mems: (base, length, domain, flags)."""
    out = header("SRAT", rev)
    out += [f(4, "Table Revision", "00000001"), f(8, "Reserved", hx(0, 8)), ""]
    for kind, apic, dom, fl in cpus:
        if kind == "l":
            out += [f(1, "Subtable Type", "00"), f(1, "Length", "10"),
                    f(1, "Proximity Domain Low(8)", hx(dom & 0xFF, 1)),
                    f(1, "Apic ID", hx(apic, 1))] + flags(4, fl, ["Enabled"]) + [
                    f(1, "Local Sapic EID", "00"),
                    f(3, "Proximity Domain High(24)", hx(dom >> 8, 3)),
                    f(4, "Clock Domain", "00000000"), ""]
        else:
            out += [f(1, "Subtable Type", "02"), f(1, "Length", "18"), f(2, "Reserved1", "0000"),
                    f(4, "Proximity Domain", hx(dom, 4)), f(4, "Apic ID", hx(apic, 4))] + \
                flags(4, fl, ["Enabled"]) + [f(4, "Clock Domain", "00000000"), f(4, "Reserved2", "00000000"), ""]
    for base, length, dom, fl in mems:
        out += [f(1, "Subtable Type", "01"), f(1, "Length", "28"),
                f(4, "Proximity Domain", hx(dom, 4)), f(2, "Reserved1", "0000"),
                f(8, "Base Address", hx(base, 8)), f(8, "Address Length", hx(length, 8)),
                f(4, "Reserved2", "00000000")] + \
            flags(4, fl, ["Enabled", "Hot Pluggable", "Non-Volatile"]) + [f(8, "Reserved3", hx(0, 8)), ""]
    return out


PMEM_GUID = "66F0D379-B4F3-4074-AC43-0D3318B78CDB"
VOLATILE_GUID = "7305944F-FDDA-44E3-B16C-3F22D252E5D0"
SPA_ADD_ONLINE_ONLY, SPA_DOMAIN_VALID = 1, 2


def nfit(spas, extra=True):
    """spas: (index, flags, domain, base, length[, guid]); extra adds a
    Memory Range Map and a Platform Capabilities structure (skipped)."""
    out = header("NFIT", 1) + [f(4, "Reserved", "00000000"), ""]
    for spa in spas:
        index, fl, dom, base, length = spa[:5]
        guid = spa[5] if len(spa) > 5 else PMEM_GUID
        out += [f(2, "Subtable Type", "0000"), f(2, "Length", "0038"), "",
                f(2, "Range Index", hx(index, 2))] + \
            flags(2, fl, ["Add/Online Operation Only", "Proximity Domain Valid"]) + \
            [f(4, "Reserved", "00000000"), f(4, "Proximity Domain", hx(dom, 4)),
             f(16, "Region Type GUID", guid), f(8, "Address Range Base", hx(base, 8)),
             f(8, "Address Range Length", hx(length, 8)),
             f(8, "Memory Map Attribute", hx(0x8008, 8)), ""]
    if extra:
        out += [f(2, "Subtable Type", "0001"), f(2, "Length", "0030"), "",
                f(4, "Device Handle", "00000001"), f(2, "Physical Id", "0001"),
                f(2, "Region Id", "0000"), f(2, "Range Index", hx(spas[0][0], 2)),
                f(2, "Control Region Index", "0000"), f(8, "Region Size", hx(spas[0][4], 8)),
                f(8, "Region Offset", hx(0, 8)), f(8, "Address Region Base", hx(0, 8)),
                f(2, "Interleave Index", "0000"), f(2, "Interleave Ways", "0001")] + \
            flags(2, 0, ["Save to device failed", "Restore from device failed",
                         "Platform flush failed", "Device not armed", "Health events observed",
                         "Health events enabled", "Mapping failed"], "Flags") + \
            [f(2, "Reserved", "0000"), "",
             f(2, "Subtable Type", "0007"), f(2, "Length", "0010"), "",
             f(1, "Highest Capability", "00"), f(3, "Reserved", "000000")] + \
            flags(4, 1, ["Cache Flush to NVDIMM", "Memory Flush to NVDIMM", "Memory Mirroring"],
                  "Capabilities (decoded below)") + [f(4, "Reserved", "00000000"), ""]
    return out


def mcfg(allocs):
    """allocs: (base, segment, bus_start, bus_end), PCI Firmware 3.2 §4.1.2."""
    out = header("MCFG", 1) + [f(8, "Reserved", hx(0, 8)), ""]
    for base, seg, b0, b1 in allocs:
        out += [f(8, "Base Address", hx(base, 8)), f(2, "Segment Group Number", hx(seg, 2)),
                f(1, "Start Bus Number", hx(b0, 1)), f(1, "End Bus Number", hx(b1, 1)),
                f(4, "Reserved", "00000000"), ""]
    return out


def slit(matrix):
    n = len(matrix)
    out = header("SLIT", 1)
    out += [f(8, "Localities", hx(n, 8))]
    for i, row in enumerate(matrix):
        out.append(f(n, "Locality %3d" % i, " ".join(hx(d, 1) for d in row)))
    return out


def hpet(base):
    out = header("HPET", 1)
    out += [f(4, "Hardware Block ID", "8086A201"), "",
            f(12, "Timer Block Register", "[Generic Address Structure]"),
            f(1, "Space ID", "00"), f(1, "Bit Width", "00"), f(1, "Bit Offset", "00"),
            f(1, "Encoded Access Width", "00"), f(8, "Address", hx(base, 8)), "",
            f(1, "Sequence Number", "00"), f(2, "Minimum Clock Ticks", "0000"),
            ] + flags(1, 0, ["4K Page Protect", "64K Page Protect"])
    return out


def _gas(name, space, width, access, addr):
    return [f(12, name, "[Generic Address Structure]"), f(1, "Space ID", hx(space, 1)),
            f(1, "Bit Width", hx(width, 1)), f(1, "Bit Offset", "00"),
            f(1, "Encoded Access Width", hx(access, 1)), f(8, "Address", hx(addr, 8)), ""]


def facp(pm_port=0x608, x_pm=0x608, tmr_val_ext=1):
    """FADT (ACPI 6.5 §5.2.9) from iasl's own template, QEMU-like PM timer."""
    tmp = tempfile.mkdtemp()
    subprocess.run(["iasl", "-T", "FACP"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(tmp, "facp.asl")) as fp:
        lines = fp.read().split("\n")
    shutil.rmtree(tmp)
    out, in_xpm = [], False
    for line in lines:
        if line.startswith(("/*", " *", " */")):
            continue
        name = re.sub(r"^\[\w+\]", "", line.split(":")[0]).strip()
        if name.endswith("PM Timer Block Address"):
            line = line.split(":")[0] + ": " + hx(pm_port, 4)
        elif name == "32-bit PM Timer (V1)":
            line = line.split(":")[0] + ": %d" % tmr_val_ext
        elif name.endswith("PM Timer Block") and "Generic" in line:
            in_xpm = True
        elif in_xpm and name == "Address":
            line = line.split(":")[0] + ": " + hx(x_pm, 8)
            in_xpm = False
        elif in_xpm and name == "Space ID" and not x_pm:
            line = line.split(":")[0] + ": 00"
        elif name.endswith("Oem ID"):
            line = line.split(":")[0] + ': "NUMABT"'
        out.append(line)
    return out


def dist_matrix(n, near=16, far=22, pairs=None):
    m = [[10 if i == j else (near if abs(i - j) == 1 else far) for j in range(n)] for i in range(n)]
    for (a, b), d in (pairs or {}).items():
        m[a][b] = m[b][a] = d
    return m


ENABLED, ONLINE_CAPABLE = 1, 2


def machine_nodes(n, cpus_per_node, x2=False, apic_stride=1, mem_per_node=2 * GiB):
    """n nodes; node 0 holds [0, 640K) and [1M, 2G), node k>0 holds
    [4G + (k-1)*mem, 4G + k*mem): the PCI hole below 4 GiB stays unmapped."""
    madt_cpus, srat_cpus, mems = [], [], []
    uid = 0
    for node in range(n):
        for c in range(cpus_per_node):
            apic = (node * cpus_per_node + c) * apic_stride
            madt_cpus.append(("x" if x2 else "l", uid, apic, ENABLED))
            srat_cpus.append(("x" if x2 else "l", apic, node, ENABLED))
            uid += 1
    mems.append((0, 0xA0000, 0, ENABLED))
    mems.append((MiB, 2 * GiB - MiB, 0, ENABLED))
    for node in range(1, n):
        mems.append((4 * GiB + (node - 1) * mem_per_node, mem_per_node, node, ENABLED))
    return madt_cpus, srat_cpus, mems


def write(machine, name, lines):
    d = os.path.join(HERE, machine)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name + ".dsl"), "w") as fp:
        fp.write("/* generated by tests/data/gen_tables.py: %s/%s */\n" % (machine, name))
        fp.write("\n".join(lines) + "\n")


def full_machine(name, n, cpus_per_node, x2=False, apic_stride=1, dist=None):
    mc, sc, mem = machine_nodes(n, cpus_per_node, x2, apic_stride)
    write(name, "apic", madt(mc))
    write(name, "srat", srat(sc, mem))
    write(name, "slit", slit(dist or dist_matrix(n)))
    write(name, "facp", facp())
    write(name, "hpet", hpet(0xFED00000))


def main():
    full_machine("node1", 1, 2)
    full_machine("node2", 2, 2, dist=[[10, 21], [21, 10]])
    full_machine("node4", 4, 2, apic_stride=2)
    full_machine("node8", 8, 2, x2=True, apic_stride=32)

    # Node 1 has CPUs but no memory, node 2 memory but no CPUs; node 1 is
    # nearer node 2 than node 0, so node 1 helps 2 and 2 is initialized by 1.
    mc = [("l", 0, 0, ENABLED), ("l", 1, 1, ENABLED), ("l", 2, 2, ENABLED), ("l", 3, 3, ENABLED)]
    sc = [("l", 0, 0, ENABLED), ("l", 1, 0, ENABLED), ("l", 2, 1, ENABLED), ("l", 3, 1, ENABLED)]
    mem = [(0, 2 * GiB, 0, ENABLED), (4 * GiB, 2 * GiB, 2, ENABLED)]
    write("memless", "apic", madt(mc, override=0xFEE00000))
    write("memless", "srat", srat(sc, mem))
    write("memless", "slit", slit([[10, 21, 21], [21, 10, 17], [21, 17, 10]]))

    # CPU 3 is in the MADT but not in the SRAT; a hot-pluggable range; a
    # disabled memory entry; an LAPIC address override.
    sc = [("l", 0, 0, ENABLED), ("l", 1, 0, ENABLED), ("l", 2, 1, ENABLED),
          ("l", 9, 1, 0)]
    mem = [(0, 2 * GiB, 0, ENABLED), (4 * GiB, 2 * GiB, 1, ENABLED),
           (8 * GiB, 4 * GiB, 1, ENABLED | 2), (16 * GiB, GiB, 0, 0)]
    write("cpumissing", "apic", madt(mc, override=0xFEE10000))
    write("cpumissing", "srat", srat(sc, mem))

    # Persistent memory as QEMU lays it out (docs/acpi.md): RAM of domains 0
    # and 1, NVDIMMs of domain 1 (which has a CPU) and 2 (no CPU, no DRAM)
    # with non-volatile SRAT entries, the hot-pluggable device-memory window
    # of the last domain over them, an NFIT with their SPA ranges, a
    # volatile SPA range (not kept) and other structure types (skipped).
    mc = [("l", 0, 0, ENABLED), ("l", 1, 1, ENABLED)]
    sc = [("l", 0, 0, ENABLED), ("l", 1, 1, ENABLED)]
    mem = [(0, GiB, 0, ENABLED), (GiB, GiB, 1, ENABLED),
           (4 * GiB, GiB, 1, ENABLED | 4), (5 * GiB, GiB // 2, 2, ENABLED | 4),
           (4 * GiB, 4 * GiB, 2, ENABLED | 2)]
    spa_flags = SPA_ADD_ONLINE_ONLY | SPA_DOMAIN_VALID
    write("pmem", "apic", madt(mc))
    write("pmem", "srat", srat(sc, mem))
    write("pmem", "nfit", nfit([(2, spa_flags, 1, 4 * GiB, GiB), (4, spa_flags, 2, 5 * GiB, GiB // 2),
                                (6, spa_flags, 0, 7 * GiB, GiB, VOLATILE_GUID)]))
    # Every check numa_build() makes, on the pmem machine's SRAT: overlaps
    # RAM, unknown domain, zero length, beyond 2^46, no valid domain (the
    # SRAT's non-volatile entry names it: kept), overlaps the range before,
    # not 4 KiB aligned.
    write("bad", "nfit_ranges", nfit([
        (1, SPA_DOMAIN_VALID, 0, GiB // 2, GiB), (2, SPA_DOMAIN_VALID, 9, 6 * GiB, GiB),
        (3, SPA_DOMAIN_VALID, 1, 6 * GiB, 0), (4, SPA_DOMAIN_VALID, 1, 1 << 46, GiB),
        (5, 0, 0, 4 * GiB, GiB), (6, SPA_DOMAIN_VALID, 1, 4 * GiB + GiB // 2, GiB),
        (7, SPA_DOMAIN_VALID, 2, 5 * GiB + 0x800, MiB)], extra=False))

    # ECAM as QEMU q35 gives it (one segment, 256 buses at 0xB0000000) plus
    # a second segment starting at bus 0x40.
    write("pmem", "mcfg", mcfg([(0xB0000000, 0, 0, 0xFF), (0xE0000000, 1, 0x40, 0x7F)]))
    # Every refusal: reversed bus range, base not 1 MiB aligned, base 0,
    # a window that wraps; one good allocation kept.
    write("bad", "mcfg_allocs", mcfg([(0xB0000000, 0, 0x10, 0x0F), (0xB0080000, 1, 0, 0xFF),
                                      (0, 2, 0, 0xFF), (0xFFFFFFFFFFF00000, 3, 0, 1),
                                      (0xC0000000, 4, 0, 0x1F)]))

    # Malformed tables.
    mc = [("l", 0, 0, ENABLED), ("l", 1, 1, ENABLED), ("l", 2, 1, ENABLED),	# dup APIC id 1
          ("l", 3, 0xFF, 0), ("l", 4, 0xFF, 0),					# unusable placeholders
          ("l", 7, 5, ONLINE_CAPABLE), ("x", 5, 300, 0), ("x", 6, 2, ENABLED)]
    write("bad", "apic_dup", madt(mc))
    sc = [("l", 0, 0, ENABLED), ("l", 1, 1, ENABLED)]
    write("bad", "srat_overlap", srat(sc, [(0, 2 * GiB, 0, ENABLED), (GiB, 2 * GiB, 1, ENABLED)]))
    write("bad", "srat_dup", srat(sc, [(0, 2 * GiB, 0, ENABLED), (0, 2 * GiB, 0, ENABLED),
                                       (GiB, GiB, 0, ENABLED), (4 * GiB, GiB, 1, ENABLED)]))
    write("bad", "srat_nomem", srat(sc, [(0, 2 * GiB, 0, 0)]))
    many = [("x", i, i, ENABLED) for i in range(300)]
    write("bad", "srat_domains", srat(many, [(0, GiB, 0, ENABLED)]))
    # Revision 1 SRAT: the high 24 bits of the processor domain are ignored.
    sc = [("l", 0, 0x100, ENABLED), ("l", 1, 0x201, ENABLED)]
    write("bad", "srat_rev1", srat(sc, [(0, GiB, 0, ENABLED), (GiB, GiB, 1, ENABLED)], rev=1))
    write("bad", "srat_rev3", srat(sc, [(0, GiB, 0x100, ENABLED), (GiB, GiB, 0x201, ENABLED)]))
    write("bad", "slit_diag", slit([[10, 20], [20, 12]]))
    write("bad", "slit_offdiag", slit([[10, 10], [20, 10]]))
    write("bad", "facp_legacy", facp(pm_port=0x408, x_pm=0, tmr_val_ext=0))
    # QEMU with -smp maxcpus=512 and x2APIC: 512 x2APIC entries, 3 enabled.
    mc = [("x", i, i, ENABLED if i in (0, 1, 256) else 0) for i in range(512)]
    write("x2apic512", "apic", madt(mc, extra_unknown=False))


# --- binary tables (override files) ---------------------------------------

OEM_ID, OEM_TABLE_ID = b"NUMABT", b"OVERRIDE"
SRAT_MEM_ENABLED, SRAT_MEM_HOTPLUG, SRAT_MEM_NONVOLATILE = 1, 2, 4


def table_bin(sig, rev, body, bad_checksum=False):
    """A whole table: the ACPI 6.5 §5.2.6 header, then body; the checksum
    right, or off by one with bad_checksum."""
    t = bytearray(sig.encode() + struct.pack("<I", 36 + len(body)) + bytes([rev, 0]) + OEM_ID +
                  OEM_TABLE_ID + struct.pack("<I", 1) + b"INTL" + struct.pack("<I", 0) + body)
    t[9] = -sum(t) & 0xFF
    if bad_checksum:
        t[9] = (t[9] + 1) & 0xFF
    return bytes(t)


def qemu_cpus(nodes, cpus_per_node):
    """(APIC id, node) of QEMU's CPUs for -smp N,sockets=nodes,cores=cpus_per_node,
    threads=1 with socket k on node k: the core id takes the low
    ceil(log2(cores)) bits of the APIC id, the socket the bits above."""
    width = (cpus_per_node - 1).bit_length()
    return [((node << width) | core, node) for node in range(nodes) for core in range(cpus_per_node)]


def srat_bin(cpus, mems, bad_checksum=False):
    """SRAT revision 3 (ACPI 6.5 §5.2.16): cpus (APIC id, domain), xAPIC
    entries below 255, x2APIC ones above; mems (base, length, domain[, flags])."""
    body = bytearray(struct.pack("<IQ", 1, 0))
    for apic, dom in cpus:
        if apic < 255:
            body += struct.pack("<BBBBIB", 0, 16, dom & 0xFF, apic, ENABLED, 0) + \
                (dom >> 8).to_bytes(3, "little") + struct.pack("<I", 0)
        else:
            body += struct.pack("<BBHIIIII", 2, 24, 0, dom, apic, ENABLED, 0, 0)
    for m in mems:
        base, length, dom = m[:3]
        fl = m[3] if len(m) > 3 else SRAT_MEM_ENABLED
        body += struct.pack("<BBIHQQIIQ", 1, 40, dom, 0, base, length, 0, fl, 0)
    return table_bin("SRAT", 3, bytes(body), bad_checksum)


def nfit_bin(spas, bad_checksum=False):
    """NFIT (ACPI 6.5 §5.2.26) of persistent-memory SPA range structures
    (index, domain, base, length), proximity domain valid; base + length
    may wrap (kept modulo 2^64 in the 8-byte fields)."""
    body = bytearray(4)
    guid = uuid.UUID(PMEM_GUID).bytes_le
    for index, dom, base, length in spas:
        body += struct.pack("<HHHHII", 0, 56, index, SPA_DOMAIN_VALID, 0, dom) + guid + \
            struct.pack("<QQQ", base & (2**64 - 1), length & (2**64 - 1), 0x8008)
    return table_bin("NFIT", 1, bytes(body), bad_checksum)


def size(text):
    """'1G+64M' -> bytes; K/M/G/T suffixes, decimal or 0x numbers."""
    total = 0
    for part in text.split("+"):
        m = re.fullmatch(r"\s*(0x[0-9a-fA-F]+|\d+)\s*([KMGT]?)\s*", part)
        if not m:
            raise argparse.ArgumentTypeError("%r is not a size (e.g. 1G+64M, 0x40000000)" % text)
        total += int(m.group(1), 0) << (10 * " KMGT".index(m.group(2) or " "))
    return total


def mem_arg(text):
    parts = text.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("--mem %r is not NODE:START:END" % text)
    node, start, end = int(parts[0]), size(parts[1]), size(parts[2])
    if end <= start:
        raise argparse.ArgumentTypeError("--mem %r: END must be above START" % text)
    return (start, end - start, node)


def spa_arg(text):
    parts = text.split(":")
    if len(parts) != 4:
        raise argparse.ArgumentTypeError("--spa %r is not INDEX:DOMAIN:BASE:LENGTH" % text)
    return (int(parts[0]), int(parts[1]), size(parts[2]), size(parts[3]))


def cli(argv):
    p = argparse.ArgumentParser(description="binary SRAT/NFIT override tables")
    sub = p.add_subparsers(dest="kind", required=True)
    ps = sub.add_parser("srat", help="an SRAT with the given memory ranges and QEMU's CPUs")
    ps.add_argument("--nodes", type=int, required=True, help="sockets, one per node")
    ps.add_argument("--cpus", type=int, default=1, help="cores per socket")
    ps.add_argument("--mem", type=mem_arg, action="append", required=True, metavar="NODE:START:END")
    pn = sub.add_parser("nfit", help="an NFIT with the given persistent-memory ranges")
    pn.add_argument("--spa", type=spa_arg, action="append", required=True,
                    metavar="INDEX:DOMAIN:BASE:LENGTH")
    for q in (ps, pn):
        q.add_argument("-o", "--output", required=True)
        q.add_argument("--bad-checksum", action="store_true", help="write a wrong checksum")
    a = p.parse_args(argv)
    if a.kind == "srat":
        t = srat_bin(qemu_cpus(a.nodes, a.cpus), a.mem, a.bad_checksum)
    else:
        t = nfit_bin(a.spa, a.bad_checksum)
    with open(a.output, "wb") as fp:
        fp.write(t)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(cli(sys.argv[1:]))
    main()
