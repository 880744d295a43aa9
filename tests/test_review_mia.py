"""Review of mia's LiRA / U-LiRA / ROC / challenge-score code against the rules of the reference code.

Each test restates one rule of the reference implementation (tensorflow/privacy
``research/mi_lira_2021/plot.py`` for LiRA, google-deepmind/unlearning_evaluation ``metric.py`` for
the challenge's score) in a few lines of our own and compares it with unlearnkit.mia on random
input, or pins a deliberate difference that mia's docstrings state.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from unlearnkit import mia


def _random_grid(seed, m=20, n=7):
    rng = np.random.default_rng(seed)
    members = rng.random((m, n)) < 0.5
    members[0], members[1] = True, False                   # every example has both sides
    stats = rng.normal(size=(m, n)) + 1.5 * members
    return stats, members


def test_online_score_is_median_centred_population_std_log_ratio():
    stats, members = _random_grid(0)
    target = np.random.default_rng(1).normal(size=stats.shape[1])
    got = mia.lira_scores(target, mia.lira_fit(stats, members))
    for j in range(stats.shape[1]):
        a, b = stats[members[:, j], j], stats[~members[:, j], j]
        want = (norm.logpdf(target[j], np.median(a), max(np.std(a), 1e-3))
                - norm.logpdf(target[j], np.median(b), max(np.std(b), 1e-3)))
        assert abs(got[j] - want) < 1e-10, f"example {j}: mia {got[j]}, median/np.std rule {want}"


def test_offline_variants_disagree_on_a_value_below_the_out_fit():
    stats, members = _random_grid(2)
    fit = mia.lira_fit(stats, members)
    low = fit.mu_out - 4 * fit.sd_out                     # far below every OUT fit
    one_sided = mia.lira_scores(low, fit, mode="offline", offline="one_sided")
    density = mia.lira_scores(low, fit, mode="offline", offline="density")
    centre = mia.lira_scores(fit.mu_out, fit, mode="offline", offline="density")
    assert (density > centre).all(), "the density variant must call an unusually low value more member-like"
    assert (one_sided < np.log(0.01)).all(), "the one-sided variant must call an unusually low value a non-member"


def test_fit_uses_every_shadow_value_not_the_reference_truncation():
    # example 0 has 5 IN values, example 1 only 3: the reference code would cut both to 3
    stats = np.array([[1.0, 1.0], [2.0, 2.0], [9.0, 3.0], [10.0, 0.0], [11.0, 0.0], [0.0, 0.0]])
    members = np.array([[1, 1], [1, 1], [1, 1], [1, 0], [1, 0], [0, 0]], dtype=bool)
    fit = mia.lira_fit(stats, members)
    assert fit.n_in.tolist() == [5, 3]
    assert fit.mu_in[0] == 9.0, f"median of all 5 IN values is 9 (of the first 3 it would be 2), got {fit.mu_in[0]}"


def test_tpr_at_fpr_reads_the_last_point_strictly_below_the_target():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=400).round(1)                 # ties
    labels = (rng.random(400) < 0.5).astype(int)
    fpr, tpr, _ = mia.roc_curve(scores, labels)
    for target in (0.01, 0.05, 0.1, 0.5):
        below = np.flatnonzero(fpr < target)
        assert mia.tpr_at_fpr(scores, labels, target) == tpr[below[-1]], f"target {target}"


def _challenge_score(eps, n_models):
    """The challenge's bucket rule, restated: buckets of width 0.5 from 0 while their end <= ceil(ln(N - 1))."""
    top = math.ceil(math.log(n_models - 1))
    k = 0
    while (k + 1) * 0.5 <= top:
        if eps < (k + 1) * 0.5:
            return 0.5 ** k
        k += 1
    return 0.0


def test_forget_score_follows_the_challenge_buckets():
    eps = np.r_[np.linspace(0, 8, 161), [6.2, 6.24, 6.5, 6.99, 7.0, 50.0]]
    for n in (8, 32, 128, 512):
        got = mia.forget_score(eps, n)
        want = np.array([_challenge_score(e, n) for e in eps])
        assert np.array_equal(got, want), f"N = {n}: {eps[got != want]} score {got[got != want]}, rule {want[got != want]}"
    # lecture 05's check-your-understanding: epsilon 6.2 with 512 models scores 2^-12, not 0
    assert mia.forget_score(np.array([6.2]), 512)[0] == 2.0 ** -12
