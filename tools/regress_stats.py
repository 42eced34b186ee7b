"""Small-sample statistics for tools/regress.py (standard library only).

Who calls it: tools/regress.py (verdicts) and tools/regress_power.py (the
power simulation of docs/regress.md).  Pure functions, no state.

Two questions per figure, given the base side's samples b and the
candidate's samples c (one value per boot):

  - is c shifted against b beyond chance?  The Wilcoxon-Mann-Whitney rank-sum
    test, one-sided, exact: the distribution of the rank sum over every split
    of the pooled samples is counted by dynamic programming over (items taken,
    rank sum) -- mid-ranks for ties, doubled so they stay integers -- so it
    is exact for any sample size without enumerating the C(n, k) splits
    (rank_sum_counts());
  - by how much, and is that more than the figure's noise?  A percentile
    bootstrap interval (seeded: the same input gives the same verdict) of
    the ratio median(c) / median(b), where a zero median is a value, not an
    error: 0/0 is 1 (unchanged), x/0 is infinite (ratio()).

A comparison judges many figures at once, so their one-sided p values are
one family per question and go through the Benjamini-Hochberg procedure
(benjamini_hochberg()).  With n boots a side the smallest one-sided p is
1 / C(2n, n); a figure can be called alone only when that is at most
alpha / (number of figures) -- smallest_p() and enough_samples() say so,
and tools/regress.py calls a figure with fewer samples INCONCLUSIVE.
The sample count that reaches the stated power (one figure 1.25x worse
REGRESSED >= 9 in 10 at this machine's spread) is DEFAULT_SAMPLES, measured
by tools/regress_power.py (docs/regress.md, "Power"): for every chunk figure
of n1c2; the wall-time figures and bring-up have the lower power stated there.
"""
import math
import random
import statistics

DEFAULT_SAMPLES = 15       # boots a side: docs/regress.md "Power" (tools/regress_power.py)
BOOTSTRAP_ROUNDS = 2000
BOOTSTRAP_SEED = 20260101

_COUNTS_CACHE = {}
_COUNTS_CACHE_MAX = 256


def midranks2(pooled):
    """Doubled mid-ranks (integers) of the pooled values: rank r (1-based)
    becomes 2r; a run of t ties sharing ranks r..r+t-1 gets 2r+t-1 each."""
    order = sorted(range(len(pooled)), key=lambda i: pooled[i])
    out = [0] * len(pooled)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and pooled[order[j + 1]] == pooled[order[i]]:
            j += 1
        r2 = (i + 1) + (j + 1)          # twice the mean of ranks i+1 .. j+1
        for t in range(i, j + 1):
            out[order[t]] = r2
        i = j + 1
    return out


def rank_sum_counts(ranks2, k):
    """counts[s] = number of k-element subsets of ranks2 whose sum is s.
    Dynamic programming over the items: ways[j][s] for j items taken so far;
    O(len(ranks2) * k * max sum) integer additions, exact (Python ints)."""
    key = (tuple(sorted(ranks2)), k)
    hit = _COUNTS_CACHE.get(key)
    if hit is not None:
        return hit
    total = sum(ranks2)
    ways = [[0] * (total + 1) for _ in range(k + 1)]
    ways[0][0] = 1
    taken = 0
    for r in ranks2:
        taken += 1
        for j in range(min(taken, k), 0, -1):
            src, dst = ways[j - 1], ways[j]
            for s in range(total - r, -1, -1):
                v = src[s]
                if v:
                    dst[s + r] += v
    counts = ways[k]
    if len(_COUNTS_CACHE) >= _COUNTS_CACHE_MAX:
        _COUNTS_CACHE.clear()
    _COUNTS_CACHE[key] = counts
    return counts


def rank_sum_p(c, b):
    """(p_greater, p_less): one-sided exact p values of 'c tends to be larger
    than b' (P(S >= S_obs)) and 'smaller' (P(S <= S_obs)), S the rank sum of
    c's samples in the pooled sample, under the hypothesis that every split
    of the pooled samples is equally likely (both from one distribution)."""
    if not c or not b:
        raise ValueError('rank_sum_p: empty sample')
    pooled = list(c) + list(b)
    r2 = midranks2(pooled)
    s_obs = sum(r2[:len(c)])
    counts = rank_sum_counts(r2, len(c))
    n_all = math.comb(len(pooled), len(c))
    ge = sum(counts[s_obs:])
    le = sum(counts[:s_obs + 1])
    return ge / n_all, le / n_all


def mann_whitney_greater(c, b):
    """One-sided p value of 'c tends to be larger than b' (exact)."""
    return rank_sum_p(c, b)[0]


def u_greater(c, b):
    """Mann-Whitney U of c over b: pairs with c_i > b_j, ties count 1/2."""
    u = 0.0
    for x in c:
        for y in b:
            u += 1.0 if x > y else 0.5 if x == y else 0.0
    return u


def smallest_p(n1, n2):
    """The smallest one-sided p the rank test can give with n1 and n2 samples."""
    return 1.0 / math.comb(n1 + n2, n1)


def enough_samples(n1, n2, alpha, family):
    """Can one figure among `family` be called alone at level alpha with
    n1 and n2 samples?  (Benjamini-Hochberg's smallest threshold is alpha/family.)"""
    return n1 >= 2 and n2 >= 2 and smallest_p(n1, n2) <= alpha / max(1, family)


def ratio(mc, mb):
    """median(c) / median(b) with zeros as values: 0/0 = 1, x/0 = inf."""
    if mb == 0:
        return 1.0 if mc == 0 else math.inf
    return mc / mb


def percentile_interval(sorted_vals, level):
    """(low, high) of the central `level` part of sorted_vals: as many values
    lie below low as above high (k = floor((1 - level) / 2 * n) each)."""
    n = len(sorted_vals)
    k = int((1 - level) / 2 * n)
    return sorted_vals[k], sorted_vals[n - 1 - k]


def bootstrap_ratio(c, b, rounds=BOOTSTRAP_ROUNDS, level=0.95, seed=BOOTSTRAP_SEED):
    """(low, high) percentile interval of median(c*) / median(b*) over
    resamples with replacement; zero medians through ratio()."""
    rng = random.Random(seed)
    ratios = []
    for _ in range(rounds):
        mb = statistics.median(rng.choice(b) for _ in b)
        mc = statistics.median(rng.choice(c) for _ in c)
        ratios.append(ratio(mc, mb))
    ratios.sort()
    return percentile_interval(ratios, level)


def effects(c, b, higher_is_better, min_effect):
    """{'interval', 'effect_worse', 'effect_better'}: the bootstrap interval of
    the ratio of medians and whether it lies wholly beyond 1 +/- min_effect
    on the worse / better side."""
    ci = bootstrap_ratio(c, b)
    up, down = ci[0] > 1 + min_effect, ci[1] < 1 - min_effect
    worse, better = (down, up) if higher_is_better else (up, down)
    return {'interval': ci, 'effect_worse': worse, 'effect_better': better}


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


def judge(c, b, higher_is_better, alpha=0.05, min_effect=0.05, interval=True):
    """Verdict of one figure from samples alone (no family): dict with
    verdict (PASS, REGRESSED, IMPROVED), p_worse, p_better, ratio (of
    medians), interval, effect_worse, effect_better.  Worse/better needs both
    p <= alpha and the whole bootstrap interval beyond 1 +/- min_effect on
    that side.  tools/regress.py then replaces 'p <= alpha' by the family
    test over every figure of the comparison."""
    mb, mc = statistics.median(b), statistics.median(c)
    out = {'method': 'rank', 'n_baseline': len(b), 'n_current': len(c), 'ratio': ratio(mc, mb)}
    p_up, p_down = rank_sum_p(c, b)
    out['p_worse'], out['p_better'] = (p_down, p_up) if higher_is_better else (p_up, p_down)
    if not interval:            # tools/regress.py: asked for later, where the family test rejects
        out['interval'] = None
        out['verdict'] = 'PASS'
        return out
    out.update(effects(c, b, higher_is_better, min_effect))
    worse, better = out['effect_worse'], out['effect_better']
    if worse and out['p_worse'] <= alpha:
        out['verdict'] = 'REGRESSED'
    elif better and out['p_better'] <= alpha:
        out['verdict'] = 'IMPROVED'
    else:
        out['verdict'] = 'PASS'
    return out
