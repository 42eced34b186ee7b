"""tools/hostbench.py and build/numaboot-hostbench on a small node: two
threads, the verifier and the checksum (never the timing), the kernel's
linked worker with more threads than CPUs, the refusal of a size the host
cannot back, bad options.  Run from the repo root after
`make all`."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.getcwd()
TOOL = os.path.join(ROOT, "build", "numaboot-hostbench")
DRIVER = os.path.join(ROOT, "tools", "hostbench.py")
GiB = 1 << 30


@pytest.fixture(scope="session", autouse=True)
def built():
    subprocess.run(["make", "build/numaboot-hostbench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def test_two_threads_verify_and_equal_checksums(tmp_path):
    # 4 GiB: low memory with firmware holes, the PCI hole, RAM above 4 GiB
    p = subprocess.run([sys.executable, DRIVER, "--sizes", "4", "--threads", "1,2", "--reps", "2",
                        "--out", str(tmp_path), "--no-plot"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    recs = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert all(r["schema"] == "numaboot/1" for r in recs)
    node = next(r for r in recs if r["kind"] == "hostbench_node")
    assert int(node["end"], 16) > 4 * GiB                  # RAM above the PCI hole
    span_sections = (int(node["end"], 16) + (128 << 20) - 1) // (128 << 20)
    assert node["sections"] == span_sections - 8            # [3, 4) GiB has no memmap
    assert node["memmap_bytes"] == 64 * node["pages"]
    assert node["early_reserved_pages"] >= node["sections"] * 512  # the memmap's own backing
    runs = [r for r in recs if r["kind"] == "hostbench"]
    assert [r["threads"] for r in runs] == [1, 2]
    cold = next(r for r in recs if r["kind"] == "hostbench_cold")
    assert cold["verified"] and cold["threads"] == 2
    for r in runs:
        assert r["verified"] and r["checksum_equal"]
        assert r["checksum"] == runs[0]["checksum"] == cold["checksum"]
        assert r["ns"] > 0 and set(r["bw"]) == {"plain", "nontemporal", "rep_stos"}
    assert "equal" in p.stdout and "PROJECTION (not a measurement)" in p.stdout


def test_runs_the_kernels_worker_with_more_threads_than_cpus():
    # the init pass is mm/request.c's meminit_request_work(), linked, not a copy
    syms = subprocess.run(["nm", TOOL], capture_output=True, text=True, check=True).stdout
    assert " T meminit_request_work\n" in syms
    threads = os.cpu_count() + 1         # logical CPUs beyond the host's, sharing CPUs
    p = subprocess.run([TOOL, "--ram-gib", "1", "--threads", f"1,{threads}", "--reps", "1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    runs = [json.loads(line) for line in p.stdout.splitlines()]
    runs = [r for r in runs if r["kind"] == "hostbench"]
    assert [r["threads"] for r in runs] == [1, threads] and runs[1]["cpus_shared"]
    assert all(r["verified"] and r["checksum_equal"] for r in runs)


def test_refuses_a_memmap_the_host_cannot_back():
    gib = 32768                          # 32 TiB described: a 512 GiB memmap
    if mem_available() > (gib // 64 + 16) * GiB:
        pytest.skip("this host could back a 512 GiB memmap")
    p = subprocess.run([TOOL, "--ram-gib", str(gib)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 3
    assert "size refused" in p.stderr
    rec = json.loads(p.stdout.splitlines()[0])
    assert rec["kind"] == "hostbench_refused" and rec["memmap_bytes"] >= 512 * GiB


@pytest.mark.parametrize("args", [[], ["--ram-gib", "0"], ["--ram-gib", "1", "--threads", "2,1"],
                                  ["--ram-gib", "1", "--reps"], ["--ram-gib", "65536"]])
def test_bad_options(args):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr and not p.stdout


def test_lazy_heads_and_tails_passes_beside_the_full_one(tmp_path):
    # meminit=lazy's two parts on the same request: heads write a few
    # struct pages, heads + tails end in the full pass's state (checksum)
    p = subprocess.run([sys.executable, DRIVER, "--sizes", "4", "--threads", "1", "--reps", "2",
                        "--out", str(tmp_path), "--no-plot"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    recs = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    run = next(r for r in recs if r["kind"] == "hostbench")
    lz = run["lazy"]
    assert lz["verified"] and lz["checksum_equal"] and lz["checksum"] == run["checksum"]
    assert 0 < lz["heads_written"] < run["pages"] // 100      # about one head per 4 MiB block
    assert lz["heads_written"] + lz["tails_written"] <= run["pages"]
    for k in ("heads_ns", "tails_ns", "heads_over_full", "tails_over_full", "lazy_over_full"):
        assert lz[k]["min"] <= lz[k]["median"] <= lz[k]["max"] and lz[k]["min"] > 0
    assert "heads / full" in p.stdout


def test_lazy_passes_can_be_left_out():
    p = subprocess.run([TOOL, "--ram-gib", "1", "--threads", "1", "--reps", "1", "--lazy", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    run = [json.loads(line) for line in p.stdout.splitlines() if '"kind":"hostbench"' in line][0]
    assert "lazy" not in run and run["verified"]


def driver(*args):
    return subprocess.run([sys.executable, DRIVER, *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("content", [None, "", '{"kind": "hostbench"\n', '{"kind": "hostbench", "threads": 1}\n',
                                     '{"schema": "numaboot/1"}\n'])
def test_from_bad_input_exits_4(tmp_path, content):
    # --from of a file missing, without records, not JSON, or a record without its fields
    f = tmp_path / "results.jsonl"
    if content is not None:
        f.write_text(content)
    p = driver("--from", str(f))
    assert p.returncode == 4, p.stderr
    assert str(f) in p.stderr and "Traceback" not in p.stderr and p.stdout == ""


def test_from_reprints_a_run(tmp_path):
    p = driver("--sizes", "1", "--threads", "1", "--reps", "1", "--out", str(tmp_path), "--no-plot")
    assert p.returncode == 0, p.stderr
    again = driver("--from", str(tmp_path / "results.jsonl"))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[:3] == p.stdout.splitlines()[:3]


def test_missing_program_is_a_missing_dependency(tmp_path):
    p = driver("--bin", str(tmp_path / "nope"), "--out", str(tmp_path))
    assert p.returncode == 125 and "nope" in p.stderr and "Traceback" not in p.stderr


def test_driver_usage_error_exits_2():
    p = driver("--reps", "x")
    assert p.returncode == 2 and "invalid int value" in p.stderr and p.stdout == ""
