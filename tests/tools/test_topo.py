"""numaboot-topo on iasl-compiled tables: acpixtract and sysfs directory
layouts, an acpidump text file generated here, partial table sets, bad
input.  Run from the repo root after `make all` (the tables are compiled
with `make acpi-tables` when missing)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.getcwd()
TOOL = os.path.join(ROOT, "build", "numaboot-topo")
DATA = os.path.join(ROOT, "build", "data")
SIGS = ("apic", "srat", "slit", "facp", "hpet")
GiB = 1 << 30

sys.path.insert(0, os.path.join(ROOT, "tests", "data"))
import gen_tables  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def built():
    if not os.path.exists(os.path.join(DATA, "node8", "srat.aml")) or not os.path.exists(TOOL):
        subprocess.run(["make", "acpi-tables", "build/numaboot-topo"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)


def run(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)


def tables(machine, sigs=SIGS):
    out = {}
    for s in sigs:
        p = os.path.join(DATA, machine, s + ".aml")
        if os.path.exists(p):
            with open(p, "rb") as f:
                out[s] = f.read()
    return out


def as_acpixtract(tmp_path, machine, sigs=SIGS):
    d = tmp_path / ("x_" + machine)
    d.mkdir()
    for s, b in tables(machine, sigs).items():
        (d / (s + ".dat")).write_bytes(b)
    return str(d)


def as_sysfs(tmp_path, machine, sigs=SIGS):
    d = tmp_path / ("sys_" + machine)
    d.mkdir()
    for s, b in tables(machine, sigs).items():
        (d / s.upper()).write_bytes(b)
    return str(d)


def acpidump_text(blobs):
    """The format acpidump prints: a "SIG @ 0xADDR" line, 16 bytes a line."""
    lines = []
    addr = 0x7FFE0000
    for b in blobs:
        sig = "RSD PTR" if b.startswith(b"RSD PTR") else b[:4].decode("ascii", "replace")
        lines.append("%s @ 0x%016X" % (sig, addr))
        for off in range(0, len(b), 16):
            chunk = b[off:off + 16]
            hexs = " ".join("%02X" % c for c in chunk)
            text = "".join(chr(c) if 32 <= c < 127 else "." for c in chunk)
            lines.append("    %04X: %-47s  %s" % (off, hexs, text))
        lines.append("")
        addr += 0x1000
    return "\n".join(lines) + "\n"


NODE2 = {
    "schema": "numaboot/1", "kind": "topology", "source": "srat", "slit": True, "distances_from": "slit",
    "cpus_not_in_srat": 0, "bytes_outside_srat": 0,
    "nodes": [
        {"id": 0, "pxm": 0, "cpus": [0, 1], "online_capable_cpus": [],
         "ranges": [["0x0", "0xa0000"], ["0x100000", "0x80000000"]],
         "bytes": 0xA0000 + 0x80000000 - 0x100000, "memless": False, "cpuless": False,
         "helps": None, "init_by": None, "pmem_bytes": 0, "pmem": []},
        {"id": 1, "pxm": 1, "cpus": [2, 3], "online_capable_cpus": [],
         "ranges": [["0x100000000", "0x180000000"]], "bytes": 2 * GiB,
         "memless": False, "cpuless": False, "helps": None, "init_by": None,
         "pmem_bytes": 0, "pmem": []},
    ],
    "distances": [[10, 21], [21, 10]], "pmem": [], "pmem_skipped": 0,
}


def test_acpixtract_dir_human(tmp_path):
    r = run(as_acpixtract(tmp_path, "node2"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "available: 2 nodes (0-1)\n" in out
    assert "node 0 cpus: 0 1\n" in out
    assert "node 1 cpus: 2 3\n" in out
    assert "node 1 size: 2048 MB\n" in out
    assert "  0:   10  21\n" in out
    assert "PM timer: port 0x608, 32-bit\n" in out
    assert "HPET: 0xfed00000\n" in out
    assert "local APIC: 0xfee00000" in out


def test_acpixtract_dir_json(tmp_path):
    r = run("--json", as_acpixtract(tmp_path, "node2"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == NODE2


def test_acpidump_text_json(tmp_path):
    blobs = list(tables("node2").values())
    blobs.insert(1, b"DSDT" + bytes(40))      # a table numaboot does not read
    blobs.insert(0, b"RSD PTR " + bytes(28))  # acpidump lists the RSDP too
    p = tmp_path / "dump.txt"
    p.write_text(acpidump_text(blobs))
    r = run("--json", str(p))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == NODE2


def test_acpidump_eight_nodes(tmp_path):
    p = tmp_path / "dump8.txt"
    p.write_text(acpidump_text(tables("node8").values()))
    r = run("--json", str(p))
    assert r.returncode == 0, r.stderr
    topo = json.loads(r.stdout)
    assert [n["cpus"] for n in topo["nodes"]] == [[64 * k, 64 * k + 32] for k in range(8)]
    assert topo["nodes"][7]["ranges"] == [["0x400000000", "0x480000000"]]
    assert topo["distances"][0] == [10, 16, 22, 22, 22, 22, 22, 22]


def test_sysfs_names_memless(tmp_path):
    r = run("--json", as_sysfs(tmp_path, "memless"))
    assert r.returncode == 0, r.stderr
    nodes = json.loads(r.stdout)["nodes"]
    assert (nodes[1]["memless"], nodes[1]["helps"]) == (True, 2)
    assert (nodes[2]["cpuless"], nodes[2]["init_by"]) == (True, 1)
    assert "numa: node 1 has CPUs but no memory" in r.stderr


def test_only_madt(tmp_path):
    r = run("--json", as_acpixtract(tmp_path, "node4", ["apic"]))
    assert r.returncode == 0, r.stderr
    topo = json.loads(r.stdout)
    assert topo["source"] == "none" and topo["reason"] == "no SRAT"
    assert topo["nodes"][0]["cpus"] == [0, 2, 4, 6, 8, 10, 12, 14]
    assert topo["distances"] == [[10]]


def test_srat_without_madt_or_slit(tmp_path):
    r = run("--json", as_acpixtract(tmp_path, "node2", ["srat"]))
    assert r.returncode == 0, r.stderr
    topo = json.loads(r.stdout)
    assert topo["slit"] is False
    assert topo["distances_from"] == "default" and topo["distances_reason"] == "no SLIT"
    assert topo["distances"] == [[10, 20], [20, 10]]
    assert all(n["cpuless"] and n["init_by"] is None for n in topo["nodes"])


def test_bad_table_reported(tmp_path):
    d = as_acpixtract(tmp_path, "node2")
    with open(os.path.join(d, "srat.dat"), "r+b") as f:
        f.seek(60)
        b = f.read(1)
        f.seek(60)
        f.write(bytes([b[0] ^ 1]))
    r = run("--json", d)
    assert r.returncode == 0
    assert "acpi: SRAT: bad checksum, ignored" in r.stderr
    assert json.loads(r.stdout)["source"] == "none"


def test_missing_input():
    r = run("/nonexistent/acpi/tables")
    assert r.returncode == 1
    assert "/nonexistent/acpi/tables: No such file or directory" in r.stderr
    assert r.stdout == ""


def test_empty_dir_and_garbage_file(tmp_path):
    r = run(str(tmp_path))
    assert r.returncode == 1
    assert "no APIC, SRAT, SLIT, FACP, HPET or NFIT table" in r.stderr
    g = tmp_path / "garbage.txt"
    g.write_text("hello\n")
    r = run(str(g))
    assert r.returncode == 1
    assert "neither an ACPI table nor acpidump output" in r.stderr


def test_usage():
    r = run()
    assert r.returncode == 2 and "usage:" in r.stderr
    r = run("--frobnicate", "x")
    assert r.returncode == 2 and "unknown option --frobnicate" in r.stderr
    r = run("--help")
    assert r.returncode == 0 and "usage: numaboot-topo" in r.stdout


def test_binary_table_files(tmp_path):
    srcs = []
    for s, b in tables("node2", ["apic", "srat"]).items():
        p = tmp_path / (s + ".bin")
        p.write_bytes(b)
        srcs.append(str(p))
    r = run("--json", *srcs)
    assert r.returncode == 0, r.stderr
    topo = json.loads(r.stdout)
    assert [n["cpus"] for n in topo["nodes"]] == [[0, 1], [2, 3]]
    assert topo["slit"] is False


def test_sysfs_nfit_pmem(tmp_path):
    """The NFIT in the tables directory: persistent memory per node, a node
    with only persistent memory (CPU-less), the pmem array."""
    d = as_sysfs(tmp_path, "pmem", ("apic", "srat", "nfit"))
    r = run("--json", d)
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)
    nodes = {n["id"]: n for n in t["nodes"]}
    assert nodes[1]["pmem_bytes"] == GiB and nodes[1]["pmem"] == [0]
    assert nodes[2]["pmem_bytes"] == GiB // 2 and nodes[2]["bytes"] == 0
    assert nodes[2]["cpuless"] and nodes[2]["init_by"] == 0
    assert [(p["node"], p["start"], p["end"], p["source"], p["spa_index"]) for p in t["pmem"]] == \
        [(1, "0x100000000", "0x140000000", "nfit", 2), (2, "0x140000000", "0x160000000", "nfit", 4)]
    assert t["pmem_skipped"] == 0
    r = run(d)
    assert "node 2 pmem: 512 MB in 1 range" in r.stdout


def gen_table(tmp_path, name, *args):
    """An override table made by tests/data/gen_tables.py (its CLI)."""
    out = tmp_path / name
    subprocess.run([sys.executable, gen_tables.__file__, *args,
                    "-o", str(out)], check=True)
    return str(out)


def records(stdout):
    return {r["kind"]: r for r in map(json.loads, stdout.splitlines())}


def test_acpi_override_replaces_the_srat(tmp_path):
    """--acpi-override as the kernel applies the boot disk's folder
    (acpi/override.c): the file's SRAT stands for the source's, which is
    not read; an acpi_override record before the topology."""
    srat = gen_table(tmp_path, "srat.aml", "srat", "--nodes", "2", "--cpus", "2",
                     "--mem", "0:0:2G", "--mem", "1:4G:8G")
    r = run("--json", "--acpi-override", srat, as_acpixtract(tmp_path, "node2"))
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    assert list(recs) == ["acpi_override", "topology"]
    ov = recs["acpi_override"]
    assert (ov["files"], ov["beyond_limit"]) == (1, 0)
    assert [(t["file"], t["signature"], t["status"], t["firmware_tables"], t["length"])
            for t in ov["tables"]] == [("srat.aml", "SRAT", "replaced", 1, os.path.getsize(srat))]
    nodes = recs["topology"]["nodes"]
    assert [n["ranges"] for n in nodes] == [[["0x0", "0x80000000"]], [["0x100000000", "0x200000000"]]]
    assert [n["cpus"] for n in nodes] == [[0, 1], [2, 3]]
    assert recs["topology"]["distances"] == [[10, 21], [21, 10]]     # the source's SLIT still read
    assert "acpi: firmware SRAT not read: overridden by srat.aml" in r.stderr
    assert "acpi: override srat.aml: SRAT, %d bytes, replaces the firmware's SRAT" % \
        os.path.getsize(srat) in r.stderr


def test_acpi_override_from_acpidump_names_the_address(tmp_path):
    srat = gen_table(tmp_path, "srat.aml", "srat", "--nodes", "2", "--cpus", "2",
                     "--mem", "0:0:2G", "--mem", "1:4G:8G")
    p = tmp_path / "dump.txt"
    p.write_text(acpidump_text(tables("node2").values()))
    r = run("--acpi-override", srat, str(p))
    assert r.returncode == 0, r.stderr
    assert "node 1 size: 4096 MB\n" in r.stdout
    assert "acpi: firmware SRAT at 0x7ffe1000 not read: overridden by srat.aml" in r.stderr


def test_acpi_override_rules(tmp_path):
    """A bad checksum is refused (the source's SRAT is used), a second
    SRAT by name is a duplicate, a table numaboot does not read is unused,
    an NFIT the source lacks is added."""
    bad = gen_table(tmp_path, "a_srat.aml", "srat", "--nodes", "2", "--cpus", "2",
                    "--mem", "0:0:2G", "--bad-checksum")
    good = gen_table(tmp_path, "b_srat.aml", "srat", "--nodes", "2", "--cpus", "2",
                     "--mem", "0:0:2G", "--mem", "1:4G:8G")
    dup = gen_table(tmp_path, "c_srat.aml", "srat", "--nodes", "1", "--mem", "0:0:1G")
    nfit = gen_table(tmp_path, "d_nfit.aml", "nfit", "--spa", "1:1:8G:1G")
    dsdt = tmp_path / "e_dsdt.aml"
    dsdt.write_bytes(gen_tables.table_bin("DSDT", 2, b""))
    args = []
    for f in (dsdt, nfit, dup, good, bad):          # given out of order: applied by name
        args += ["--acpi-override", str(f)]
    r = run("--json", *args, as_acpixtract(tmp_path, "node2"))
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    got = [(t["file"], t["status"], t.get("why")) for t in recs["acpi_override"]["tables"]]
    assert got == [("a_srat.aml", "rejected", "bad checksum"), ("b_srat.aml", "replaced", None),
                   ("c_srat.aml", "rejected", "a second SRAT override (b_srat.aml is used)"),
                   ("d_nfit.aml", "added", None), ("e_dsdt.aml", "unused", None)]
    topo = recs["topology"]
    assert topo["nodes"][1]["pmem_bytes"] == GiB
    assert topo["nodes"][1]["ranges"] == [["0x100000000", "0x200000000"]]


def test_acpi_override_refused_keeps_the_source_table(tmp_path):
    bad = gen_table(tmp_path, "srat.aml", "srat", "--nodes", "2", "--mem", "0:0:2G", "--bad-checksum")
    r = run("--json", "--acpi-override", bad, as_acpixtract(tmp_path, "node2"))
    assert r.returncode == 0, r.stderr
    assert records(r.stdout)["topology"] == NODE2
    assert "REJECTED (bad checksum); the firmware's SRAT is used" in r.stderr


def test_acpi_override_bad_usage_and_missing_file(tmp_path):
    r = run("--acpi-override")
    assert r.returncode == 2 and "--acpi-override needs a FILE" in r.stderr
    r = run("--acpi-override", str(tmp_path / "none.aml"), as_acpixtract(tmp_path, "node2"))
    assert r.returncode == 1 and "none.aml: No such file or directory" in r.stderr and r.stdout == ""
