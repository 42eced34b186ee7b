#!/usr/bin/env python3
"""Seed corpora for the ACPI fuzzers from the iasl-compiled tables.

usage: mkseeds.py BUILD/data BUILD/seeds
  fuzz_madt/srat/slit/nfit/mcfg/fadt: the compiled tables as they are;
  fuzz_scan: fake physical memory images, RSDP at 0, XSDT, tables; the
    *_override ones append the machine's SRAT (and a broken copy) as
    override files, described by the tail fuzz_scan.c reads;
  fuzz_numa: a memory map prefix (see fuzz_numa.c) then tables back to back.
"""
import glob
import os
import shutil
import struct
import sys


def checksum_fix(buf, at):
    buf[at] = 0
    buf[at] = (-sum(buf)) & 0xFF


def image(tables):
    """RSDP at 0 (revision 2), XSDT at 64, tables from 256, 16-byte aligned."""
    mem = bytearray(256)
    addrs = []
    for t in tables:
        addrs.append(len(mem))
        mem += t + bytes(-len(t) % 16)
    xsdt = bytearray(b"XSDT" + struct.pack("<I", 36 + 8 * len(addrs)) + bytes(28))
    xsdt[8] = 1
    for a in addrs:
        xsdt += struct.pack("<Q", a)
    checksum_fix(xsdt, 9)
    if len(xsdt) > 192:
        raise SystemExit("too many tables for the seed image")
    mem[64:64 + len(xsdt)] = xsdt
    rsdp = bytearray(b"RSD PTR " + bytes(1) + b"NUMABT" + bytes([2]) + struct.pack("<IIQ", 0, 36, 64) + bytes(4))
    rsdp[8] = (-sum(rsdp[:20])) & 0xFF
    rsdp[32] = (-sum(rsdp)) & 0xFF
    mem[0:36] = rsdp
    return bytes(mem)


def with_overrides(img, files):
    """img, then each file's bytes, then fuzz_scan.c's tail describing them
    (folder present, len(files) files, loader status 0, name index i)."""
    mem = bytearray(img)
    tail = bytearray([0x80 | len(files)])
    for i, f in enumerate(files):
        tail += struct.pack("<II", len(mem), len(f)) + bytes([(i & 3) << 2])
        mem += f
    tail += bytes(1 + 4 * 9 - len(tail))
    return bytes(mem + tail)


def numa_input(tables, mmap):
    out = bytearray([len(mmap)])
    for phys, pages, typ in mmap:
        out += struct.pack("<QII", phys, pages, typ)
    for t in tables:
        out += t
    return bytes(out)


def main():
    data, seeds = sys.argv[1], sys.argv[2]
    for kind, pats in (("madt", ["apic*"]), ("srat", ["srat*"]), ("slit", ["slit*"]), ("nfit", ["nfit*"]), ("mcfg", ["mcfg*"]),
                       ("fadt", ["facp*", "hpet*"])):
        d = os.path.join(seeds, "fuzz_" + kind)
        os.makedirs(d, exist_ok=True)
        for pat in pats:
            for f in glob.glob(os.path.join(data, "*", pat + ".aml")):
                shutil.copy(f, os.path.join(d, os.path.basename(os.path.dirname(f)) + "_" +
                                            os.path.basename(f)))
    q35 = [(0, 0x9F, 7), (0x100000, 0x7FF00, 7), (0xE0000000, 0x10000, 11),
           (0x100000000, 0x80000, 7)]
    for kind in ("scan", "numa"):
        os.makedirs(os.path.join(seeds, "fuzz_" + kind), exist_ok=True)
    for machine in sorted(glob.glob(os.path.join(data, "*"))):
        name = os.path.basename(machine)
        tables = [open(f, "rb").read() for f in sorted(glob.glob(os.path.join(machine, "*.aml")))
                  if name != "bad"]
        if not tables or sum(len(t) for t in tables) > 16384:
            continue
        with open(os.path.join(seeds, "fuzz_scan", name), "wb") as fp:
            fp.write(image(tables[:20]))
        srat = [t for t in tables if t[:4] == b"SRAT"]
        if srat:
            bad = bytearray(srat[0])
            bad[9] ^= 1
            with open(os.path.join(seeds, "fuzz_scan", name + "_override"), "wb") as fp:
                fp.write(with_overrides(image(tables[:20]), [srat[0], bytes(bad)]))
        with open(os.path.join(seeds, "fuzz_numa", name), "wb") as fp:
            fp.write(numa_input(tables, q35))
        with open(os.path.join(seeds, "fuzz_numa", name + "_nomap"), "wb") as fp:
            fp.write(numa_input(tables, []))


if __name__ == "__main__":
    main()
