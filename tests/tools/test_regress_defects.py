"""The statistics and verdicts of tools/regress.py (issue 17): each test here names
the defect it caught in the old code (no QEMU)."""
import itertools
import json
import math
import os
import random
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import regress  # noqa: E402
import regress_stats  # noqa: E402
from test_regress import results  # noqa: E402

N = 15      # boots a side that the power table of docs/regress.md asks for (regress_stats.DEFAULT_SAMPLES)
# the exit status table of docs/output.md
PASS, REGRESSED, USAGE, BAD_INPUT, INCONCLUSIVE = 0, 1, 2, 4, 5


def enumerate_p(c, b):
    """Reference: P(U >= U_obs) over every split of the pooled samples, by enumeration."""
    def u(cc, bb):
        return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in cc for y in bb)
    pooled = list(c) + list(b)
    n, k, obs = len(pooled), len(c), u(c, b)
    hits = total = 0
    for idx in itertools.combinations(range(n), k):
        s = set(idx)
        total += 1
        hits += u([pooled[i] for i in idx], [pooled[i] for i in range(n) if i not in s]) >= obs - 1e-9
    return hits / total


def test_rank_sum_by_counting_matches_enumeration_with_ties():
    rng = random.Random(7)
    for _ in range(40):
        n1, n2 = rng.randint(1, 6), rng.randint(1, 6)
        c = [rng.choice((1, 2, 2, 3, 4.5, 5)) for _ in range(n1)]
        b = [rng.choice((1, 2, 3, 3, 4.5, 6)) for _ in range(n2)]
        assert regress_stats.mann_whitney_greater(c, b) == pytest.approx(enumerate_p(c, b), abs=1e-12)
        assert regress_stats.mann_whitney_greater(b, c) == pytest.approx(enumerate_p(b, c), abs=1e-12)


def test_rank_sum_exact_where_enumeration_gave_up():
    """Old code: past 200000 splits (11 a side) a normal approximation, which
    for 15 fully separated boots a side said p = 8e-7 instead of 1/C(30,15)."""
    c, b = [100.0 + i for i in range(15)], [float(i) for i in range(15)]
    t0 = time.monotonic()
    assert regress_stats.mann_whitney_greater(c, b) == pytest.approx(1 / math.comb(30, 15), rel=1e-12)
    assert regress_stats.mann_whitney_greater(b, c) == 1.0
    assert time.monotonic() - t0 < 30     # counted, not enumerated (C(30,15) = 155 million splits)


def test_bootstrap_interval_has_equal_tails():
    """Old code: the upper end was ratios[int(0.975 * rounds)], one past the
    symmetric index: 50 resamples below the interval, 49 above."""
    lo, hi = regress_stats.percentile_interval(list(range(2000)), 0.95)
    assert (lo, hi) == (50, 1949)
    assert regress_stats.percentile_interval(list(range(40)), 0.95) == (1, 38)


def test_zero_ratio_is_a_value():
    assert regress_stats.ratio(0, 0) == 1.0 and math.isinf(regress_stats.ratio(2.0, 0))
    lo, hi = regress_stats.bootstrap_ratio([5.0] * 10, [0.0] * 10)
    assert math.isinf(lo) and math.isinf(hi)
    assert regress_stats.bootstrap_ratio([0.0] * 10, [0.0] * 10) == (1.0, 1.0)


def _files(tmp_path, base, cur):
    bp, rp, src = tmp_path / 'baseline.json', tmp_path / 'results.json', tmp_path / 'src.json'
    src.write_text(json.dumps(base))
    rp.write_text(json.dumps(cur))
    assert regress.main([str(src), '--baseline', str(bp), '--update-baseline']) == 0
    return str(rp), str(bp)


def _rows(capsys):
    return {r['row']: r for r in json.loads(capsys.readouterr().out)['rows']}


def test_zero_valued_figure_is_judged(tmp_path, capsys):
    """Old code: a zero baseline median (bringup/1: one CPU, nothing to bring
    up) made the bootstrap return nothing and the figure PASS, whatever the
    candidate did."""
    n = N
    rp, bp = _files(tmp_path, results(boots=n, bringup_ms=(0.0, 4.0, 20.0)),
                    results(boots=n, bringup_ms=(5.0, 4.0, 20.0)))
    capsys.readouterr()
    assert regress.main([rp, '--baseline', bp, '--json']) == 1
    rows = _rows(capsys)
    assert rows['bringup/1']['verdict'] == 'REGRESSED'
    m = rows['bringup/1']['metrics'][0]
    assert m['method'] == 'rank' and m['ratio'] == 'inf'
    # the same zeros on both sides: judged equal (p = 1), PASS
    rp, bp = _files(tmp_path, results(boots=n, bringup_ms=(0.0, 4.0, 20.0)),
                    results(boots=n, bringup_ms=(0.0, 4.0, 20.0)))
    capsys.readouterr()
    assert regress.main([rp, '--baseline', bp, '--json']) == 0
    m = _rows(capsys)['bringup/1']['metrics'][0]
    assert m['verdict'] == 'PASS' and m['method'] == 'rank' and m['p_worse'] == 1.0


def test_one_figure_3x_slower_with_5_boots_is_not_pass(tmp_path, capsys):
    """Old code: bringup/2 three times slower, 5 boots a side: PASS, exit 0
    (1/252 can never pass Benjamini-Hochberg's 0.05/36).  Now: INCONCLUSIVE
    (exit 5) -- and with the powered sample count, REGRESSED on that row only."""
    rp, bp = _files(tmp_path, results(boots=5), results(boots=5, bringup_ms=(1.0, 12.0, 20.0)))
    capsys.readouterr()
    assert regress.main([rp, '--baseline', bp, '--json', '--min-samples', '5']) == INCONCLUSIVE
    assert _rows(capsys)['bringup/2']['verdict'] == 'INCONCLUSIVE'
    n = N
    rp, bp = _files(tmp_path, results(boots=n), results(boots=n, bringup_ms=(1.0, 12.0, 20.0)))
    capsys.readouterr()
    assert regress.main([rp, '--baseline', bp, '--json']) == REGRESSED
    rows = _rows(capsys)
    assert rows['bringup/2']['verdict'] == 'REGRESSED'
    assert {k for k, r in rows.items() if r['verdict'] == 'REGRESSED'} == {'bringup/2'}


def test_fewer_samples_is_inconclusive_not_a_tolerance_guess(tmp_path, capsys):
    """Old code: one boot a side fell back to fixed tolerances (times x2):
    a +90 % time was PASS.  Now INCONCLUSIVE, its own exit status."""
    rp, bp = _files(tmp_path, results(boots=1), results(boots=1, serial_ns=760e6))
    capsys.readouterr()
    assert regress.main([rp, '--baseline', bp]) == INCONCLUSIVE
    out = capsys.readouterr().out
    assert 'overall: INCONCLUSIVE' in out and 'tolerance' not in out


def test_identity_mismatch_refused_by_name(tmp_path, capsys):
    """Old code: the baseline recorded only host_cpus and compared nothing."""
    n = N
    base, cur = results(boots=n), results(boots=n)
    base['host'].update(cpu_model='AMD EPYC', qemu='QEMU emulator version 10.0.2', ovmf='OVMF_CODE_4M.fd x')
    cur['host'].update(cpu_model='Intel Xeon', qemu='QEMU emulator version 10.0.2', ovmf='OVMF_CODE_4M.fd x')
    base['opts'] = cur['opts'] = 'meminit=all'
    rp, bp = _files(tmp_path, base, cur)
    capsys.readouterr()
    assert regress.main([rp, '--baseline', bp]) == BAD_INPUT
    err = capsys.readouterr().err
    assert "cpu_model: baseline 'AMD EPYC', results 'Intel Xeon'" in err and 'qemu' not in err
    assert regress.main([rp, '--baseline', bp, '--accept-identity', 'cpu_model']) == 0
    cur['opts'] = 'meminit=all debug_init_repeat=2'
    (tmp_path / 'results.json').write_text(json.dumps(cur))
    assert regress.main([rp, '--baseline', bp, '--accept-identity', 'cpu_model']) == BAD_INPUT
    assert 'opts: baseline' in capsys.readouterr().err


@pytest.mark.parametrize('args', [['--alpha', '2'], ['--alpha', 'x'], ['--min-samples', '1'],
                                  ['--accept-identity', 'colour'], ['--ab'], None])
def test_bad_arguments_are_usage_errors(args, tmp_path, capsys):
    """Old code: a bad --alpha or --min-samples was taken, or refused after
    parsing as 'bad input' (2, the usage status too).  Now argparse refuses it: 2."""
    rp = tmp_path / 'r.json'
    rp.write_text(json.dumps(results()))
    with pytest.raises(SystemExit) as e:
        regress.main([str(rp)] + args if args is not None else [])
    assert e.value.code == USAGE
    assert 'usage:' in capsys.readouterr().err


def test_default_sample_count_is_the_powered_one():
    assert regress_stats.DEFAULT_SAMPLES == N
    assert (regress.EXIT_PASS, regress.EXIT_REGRESSED, regress.EXIT_USAGE, regress.EXIT_INCONCLUSIVE,
            regress.EXIT_BAD_INPUT, regress.EXIT_HARNESS) == (PASS, REGRESSED, USAGE, INCONCLUSIVE, BAD_INPUT, 125)
