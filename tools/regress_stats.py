"""Small-sample statistics for tools/regress.py (standard library only).

Two questions per figure of a row, given the baseline's samples b and the
current run's samples c (one value per boot):

  - is c shifted against b beyond chance?  Mann-Whitney U rank test,
    one-sided, exact (every split of the pooled samples, ties counted half)
    while that is at most EXACT_LIMIT splits, else the normal approximation
    with tie correction;
  - by how much, and is that more than the row's noise?  A percentile
    bootstrap interval (seeded: the same input gives the same verdict) of
    the ratio median(c) / median(b).

A run judges many figures at once (every mode's time, speedups and
bandwidth fraction of every topology), so the rank tests of one comparison
are a family: their p values go through the Benjamini-Hochberg procedure at
alpha (benjamini_hochberg()), which keeps the chance of any false call on
unchanged code at alpha.  With 5 boots on each side the smallest one-sided
p is 1/252 (every current boot worse than every baseline boot); a figure
can then be called among ~50 once a handful of figures moved together, as
a real slowdown makes them.  5 is the minimum (MIN_SAMPLES) for a rank
verdict; with 3 (p >= 1/20) no single figure could ever pass the family
test.
"""
import itertools
import math
import random
import statistics

MIN_SAMPLES = 5
EXACT_LIMIT = 200000
BOOTSTRAP_ROUNDS = 2000
BOOTSTRAP_SEED = 20260101


def u_greater(c, b):
    """Mann-Whitney U of c over b: pairs with c_i > b_j, ties count 1/2."""
    u = 0.0
    for x in c:
        for y in b:
            u += 1.0 if x > y else 0.5 if x == y else 0.0
    return u


def mann_whitney_greater(c, b):
    """One-sided p-value of the hypothesis 'c tends to be larger than b'
    (P(U >= U_observed) when both come from one distribution)."""
    if not c or not b:
        raise ValueError('mann_whitney_greater: empty sample')
    u_obs = u_greater(c, b)
    pooled = list(c) + list(b)
    n, k = len(pooled), len(c)
    if math.comb(n, k) <= EXACT_LIMIT:
        hits = total = 0
        for idx in itertools.combinations(range(n), k):
            chosen = set(idx)
            cc = [pooled[i] for i in idx]
            bb = [pooled[i] for i in range(n) if i not in chosen]
            total += 1
            if u_greater(cc, bb) >= u_obs - 1e-9:
                hits += 1
        return hits / total
    return _normal_p(u_obs, pooled, k, n - k)


def _normal_p(u_obs, pooled, n1, n2):
    counts = {}
    for v in pooled:
        counts[v] = counts.get(v, 0) + 1
    n = n1 + n2
    tie = sum(t ** 3 - t for t in counts.values()) / (n * (n - 1))
    var = n1 * n2 / 12.0 * ((n + 1) - tie)
    if var <= 0:
        return 1.0
    z = (u_obs - n1 * n2 / 2.0 - 0.5) / math.sqrt(var)   # continuity correction
    return 0.5 * math.erfc(z / math.sqrt(2))


def bootstrap_ratio(c, b, rounds=BOOTSTRAP_ROUNDS, level=0.95, seed=BOOTSTRAP_SEED):
    """(low, high) percentile interval of median(c*) / median(b*) over
    resamples with replacement; None when a baseline median is 0."""
    rng = random.Random(seed)
    ratios = []
    for _ in range(rounds):
        mb = statistics.median(rng.choice(b) for _ in b)
        mc = statistics.median(rng.choice(c) for _ in c)
        if mb == 0:
            return None
        ratios.append(mc / mb)
    ratios.sort()
    lo = ratios[int((1 - level) / 2 * rounds)]
    hi = ratios[min(rounds - 1, int((1 + level) / 2 * rounds))]
    return lo, hi


def benjamini_hochberg(ps, alpha):
    """Indices of the hypotheses (p values ps) rejected at false-discovery
    rate alpha: the largest k with p_(k) <= k / m * alpha, and every p up to
    it.  When no hypothesis is false this bounds the chance of any
    rejection by alpha."""
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    k = 0
    for rank, i in enumerate(order, 1):
        if ps[i] <= rank / m * alpha:
            k = rank
    return set(order[:k])


def judge(c, b, higher_is_better, alpha=0.05, min_effect=0.05):
    """Verdict of one figure from samples: dict with verdict (PASS,
    REGRESSED, IMPROVED), p_worse, p_better, ratio (of medians) and
    interval.  Worse/better needs both p <= alpha and the whole bootstrap
    interval beyond 1 +/- min_effect on that side (effect_worse,
    effect_better).  tools/regress.py then replaces 'p <= alpha' by the
    family test over every figure of the comparison."""
    mb, mc = statistics.median(b), statistics.median(c)
    out = {'method': 'rank', 'n_baseline': len(b), 'n_current': len(c),
           'ratio': mc / mb if mb else None, 'interval': None}
    p_up, p_down = mann_whitney_greater(c, b), mann_whitney_greater(b, c)
    out['p_worse'], out['p_better'] = (p_down, p_up) if higher_is_better else (p_up, p_down)
    ci = bootstrap_ratio(c, b) if mb else None
    out['interval'] = ci
    if ci is None:
        out['verdict'] = 'PASS'
        return out
    up, down = ci[0] > 1 + min_effect, ci[1] < 1 - min_effect
    worse, better = (down, up) if higher_is_better else (up, down)
    out['effect_worse'], out['effect_better'] = worse, better
    if worse and out['p_worse'] <= alpha:
        out['verdict'] = 'REGRESSED'
    elif better and out['p_better'] <= alpha:
        out['verdict'] = 'IMPROVED'
    else:
        out['verdict'] = 'PASS'
    return out
