# Source of solutions/ps05_measuring_unlearning/ps05_measuring_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 05 · Measuring unlearning
#
# This problem set goes with lecture 05. You will implement, with numpy (and scipy where it helps):
# 1. the TPR of a membership attack at a fixed false positive rate, with tied scores;
# 2. LiRA's likelihood-ratio score of one example from shadow-model statistics;
# 3. which shadow models speak for one example in U-LiRA, and the decision they give;
# 4. the recovery ratio of a relearning attack, against the retrained control;
# 5. and you will review, in a short written answer, an evaluation of an unlearning method.
#
# Each task says which function of `unlearnkit` it mirrors (its *library twin*) and which
# ready-made functions you may *not* call: the tests switch them off while your code runs. Every
# task asks for something its twin does not do (another convention, another argument, an error
# where the library returns NaN): read the task, a copy of the library's code loses the points.
# Nothing here trains a model; everything runs in seconds.
#
# Points: 3 + 4 + 3 + 3 autograded, 4 written.

# %% nbg="setup:setup"
import os
import warnings

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

import math
from unittest import mock

import numpy as np
import torch

from unlearnkit import mia

SEED = 0
torch.manual_seed(SEED)
torch.set_num_threads(1)


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): TPR at a fixed FPR, with ties
#
# A membership attack gives each example a score; it calls an example a member when its score is
# **at or above** a threshold t. For one t, the false positive rate (FPR) is the fraction of
# non-members called members and the true positive rate (TPR) the fraction of members called
# members. The candidate thresholds are the distinct scores, plus t = +inf, which calls nobody a
# member (FPR = TPR = 0). Tied scores are called together: one threshold cannot flag one of two equal
# scores and not the other.
#
# Write `tpr_at_fpr(scores, is_member, max_fpr)`. `scores` is a 1-D sequence (list, numpy array or
# tensor) of floats and `is_member` one of the same length holding booleans (or 0/1 integers,
# 1 = member). Among the thresholds whose FPR is **at most** `max_fpr`, take the lowest one (it has
# the largest TPR) and return the tuple `(tpr, fpr, threshold)` of Python floats. Raise `ValueError`
# if the lengths differ, if there are no members or no non-members, if a score is nan, or if
# `max_fpr` is outside [0, 1].
#
# Library twin: this mirrors `mia.tpr_at_fpr`, which reads the ROC point *strictly below* the target
# (as LiRA's code does) and returns the TPR only. Do not call `mia.tpr_at_fpr` or `mia.roc_curve`.


# %% nbg="answer:tpr_at_fpr"
def tpr_at_fpr(scores, is_member, max_fpr):
    """Return (tpr, fpr, threshold) of the lowest threshold t (member iff score >= t) with FPR <=
    max_fpr."""
    ### BEGIN SOLUTION
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if s.shape != m.shape:
        raise ValueError(
            f"scores and is_member must have the same length, got {s.size} and {m.size}"
        )
    if m.all() or not m.any():
        raise ValueError("need at least one member and one non-member")
    if np.isnan(s).any():
        raise ValueError("scores contain nan")
    if not 0.0 <= max_fpr <= 1.0:
        raise ValueError(f"max_fpr must be in [0, 1], got {max_fpr}")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s)[::-1]:  # from the highest threshold down: FPR only grows
        flagged = s >= t
        fpr = flagged[~m].sum() / (~m).sum()
        if fpr > max_fpr:
            break
        best = (float(flagged[m].sum() / m.sum()), float(fpr), float(t))
    return best
    ### END SOLUTION


# %% nbg="wrong:tpr_at_fpr:strictly_below"
def tpr_at_fpr(scores, is_member, max_fpr):
    # LiRA's convention (FPR < max_fpr), not the one asked for (FPR <= max_fpr)
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if (
        s.shape != m.shape
        or m.all()
        or not m.any()
        or np.isnan(s).any()
        or not 0.0 <= max_fpr <= 1.0
    ):
        raise ValueError("bad input")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s)[::-1]:
        flagged = s >= t
        fpr = flagged[~m].sum() / (~m).sum()
        if fpr >= max_fpr:
            break
        best = (float(flagged[m].sum() / m.sum()), float(fpr), float(t))
    return best


# %% nbg="wrong:tpr_at_fpr:one_example_at_a_time"
def tpr_at_fpr(scores, is_member, max_fpr):
    # walks the examples in score order one by one: it can stop in the middle of a tie
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if (
        s.shape != m.shape
        or m.all()
        or not m.any()
        or np.isnan(s).any()
        or not 0.0 <= max_fpr <= 1.0
    ):
        raise ValueError("bad input")
    order = np.argsort(-s, kind="stable")
    tp = fp = 0
    best = (0.0, 0.0, math.inf)
    for i in order:
        tp, fp = tp + m[i], fp + (not m[i])
        if fp / (~m).sum() > max_fpr:
            break
        best = (tp / m.sum(), fp / (~m).sum(), float(s[i]))
    return tuple(float(v) for v in best)


# %% nbg="wrong:tpr_at_fpr:strictly_greater"
def tpr_at_fpr(scores, is_member, max_fpr):
    # flags score > t instead of score >= t
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if (
        s.shape != m.shape
        or m.all()
        or not m.any()
        or np.isnan(s).any()
        or not 0.0 <= max_fpr <= 1.0
    ):
        raise ValueError("bad input")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s)[::-1]:
        flagged = s > t
        fpr = flagged[~m].sum() / (~m).sum()
        if fpr > max_fpr:
            break
        best = (float(flagged[m].sum() / m.sum()), float(fpr), float(t))
    return best


# %% nbg="wrong:tpr_at_fpr:fpr_over_everyone"
def tpr_at_fpr(scores, is_member, max_fpr):
    # divides the false positives by all examples, not by the non-members
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if (
        s.shape != m.shape
        or m.all()
        or not m.any()
        or np.isnan(s).any()
        or not 0.0 <= max_fpr <= 1.0
    ):
        raise ValueError("bad input")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s)[::-1]:
        flagged = s >= t
        fpr = flagged[~m].sum() / s.size
        if fpr > max_fpr:
            break
        best = (float(flagged[m].sum() / m.sum()), float(fpr), float(t))
    return best


# %% nbg="wrong:tpr_at_fpr:interpolated"
def tpr_at_fpr(scores, is_member, max_fpr):
    # interpolates the ROC curve at max_fpr: a TPR that no threshold reaches
    from sklearn.metrics import roc_curve

    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if (
        s.shape != m.shape
        or m.all()
        or not m.any()
        or np.isnan(s).any()
        or not 0.0 <= max_fpr <= 1.0
    ):
        raise ValueError("bad input")
    fpr, tpr, thr = roc_curve(m.astype(int), s, drop_intermediate=False)
    i = np.flatnonzero(fpr <= max_fpr)[-1]
    return float(np.interp(max_fpr, fpr, tpr)), float(max_fpr), float(thr[i])


# %% nbg="wrong:tpr_at_fpr:no_empty_rule"
def tpr_at_fpr(scores, is_member, max_fpr):
    # forgets t = +inf: when no score qualifies it returns the highest score anyway
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if (
        s.shape != m.shape
        or m.all()
        or not m.any()
        or np.isnan(s).any()
        or not 0.0 <= max_fpr <= 1.0
    ):
        raise ValueError("bad input")
    ts = np.unique(s)[::-1]
    best = None
    for t in ts:
        flagged = s >= t
        fpr = flagged[~m].sum() / (~m).sum()
        if fpr > max_fpr and best is not None:
            break
        best = (float(flagged[m].sum() / m.sum()), float(fpr), float(t))
    return best


# %% nbg="wrong:tpr_at_fpr:no_nan_check"
def tpr_at_fpr(scores, is_member, max_fpr):
    # no check for nan scores (nan >= t is False: a nan member silently counts as not flagged)
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if s.shape != m.shape or m.all() or not m.any() or not 0.0 <= max_fpr <= 1.0:
        raise ValueError("bad input")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s[~np.isnan(s)])[::-1]:
        flagged = s >= t
        fpr = flagged[~m].sum() / (~m).sum()
        if fpr > max_fpr:
            break
        best = (float(flagged[m].sum() / m.sum()), float(fpr), float(t))
    return best


# %% nbg="alt:tpr_at_fpr:sklearn_roc"
from sklearn.metrics import roc_curve as _sk_roc


def tpr_at_fpr(scores, is_member, max_fpr):
    s = np.asarray(scores, dtype=float).reshape(-1)
    y = np.asarray(is_member).reshape(-1).astype(int)
    if len(s) != len(y) or y.min() == y.max() or np.isnan(s).any() or not (0 <= max_fpr <= 1):
        raise ValueError("bad input")
    fpr, tpr, thr = _sk_roc(y, s, drop_intermediate=False)  # thr[0] is +inf: nobody flagged
    i = np.flatnonzero(fpr <= max_fpr)[-1]
    return float(tpr[i]), float(fpr[i]), float(thr[i])


# %% nbg="alt:tpr_at_fpr:counting_with_searchsorted"
def tpr_at_fpr(scores, is_member, max_fpr):
    s = np.asarray(scores, dtype=float).ravel()
    m = np.asarray(is_member).ravel() == 1
    if s.size != m.size or m.sum() in (0, s.size) or np.isnan(s).any() or not 0 <= max_fpr <= 1:
        raise ValueError("bad input")
    pos, neg = np.sort(s[m]), np.sort(s[~m])
    thresholds = np.r_[np.inf, np.unique(s)[::-1]]
    fpr = (neg.size - np.searchsorted(neg, thresholds, side="left")) / neg.size
    tpr = (pos.size - np.searchsorted(pos, thresholds, side="left")) / pos.size
    i = np.flatnonzero(fpr <= max_fpr)[-1]
    return float(tpr[i]), float(fpr[i]), float(thresholds[i])


# %% nbg="wrong:tpr_at_fpr:members_as_integers"
def tpr_at_fpr(scores, is_member, max_fpr):
    # uses is_member as given: with 0/1 integers, ~m is -1/-2, not a mask
    s = np.asarray(scores, dtype=float).ravel()
    m = np.asarray(is_member).ravel()
    if s.shape != m.shape:
        raise ValueError("scores and is_member must have the same length")
    pass
    if np.isnan(s).any():
        raise ValueError("nan score")
    if not (0 <= max_fpr <= 1):
        raise ValueError("max_fpr outside [0,1]")
    if m.all() or (~m).all():
        raise ValueError("need members and non-members")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s)[::-1]:
        fpr = float(np.mean(s[~m] >= t))
        if fpr > max_fpr:
            break
        best = (float(np.mean(s[m] >= t)), fpr, float(t))
    return best


# %% nbg="wrong:tpr_at_fpr:no_max_fpr_check"
def tpr_at_fpr(scores, is_member, max_fpr):
    # never checks that max_fpr lies in [0, 1]
    s = np.asarray(scores, dtype=float).ravel()
    m = np.asarray(is_member).ravel()
    if s.shape != m.shape:
        raise ValueError("scores and is_member must have the same length")
    m = m.astype(bool)
    if np.isnan(s).any():
        raise ValueError("nan score")
    if False:
        raise ValueError("max_fpr outside [0,1]")
    if m.all() or (~m).all():
        raise ValueError("need members and non-members")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s)[::-1]:
        fpr = float(np.mean(s[~m] >= t))
        if fpr > max_fpr:
            break
        best = (float(np.mean(s[m] >= t)), fpr, float(t))
    return best


# %% nbg="wrong:tpr_at_fpr:member_scores_as_thresholds"
def tpr_at_fpr(scores, is_member, max_fpr):
    # tries only the members' scores as thresholds: misses a lower non-member score with the same
    # TPR
    s = np.asarray(scores, dtype=float).ravel()
    m = np.asarray(is_member).ravel().astype(bool)
    if s.shape != m.shape or m.all() or not m.any() or np.isnan(s).any() or not 0 <= max_fpr <= 1:
        raise ValueError("bad input")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s[m])[::-1]:
        fpr = float(np.mean(s[~m] >= t))
        if fpr > max_fpr:
            break
        best = (float(np.mean(s[m] >= t)), fpr, float(t))
    return best


# %% nbg="alt:tpr_at_fpr:review_r4"
def tpr_at_fpr(scores, is_member, max_fpr):
    s = np.asarray(scores, dtype=float).ravel()
    m = np.asarray(is_member).ravel()
    if s.shape != m.shape:
        raise ValueError("scores and is_member must have the same length")
    m = m.astype(bool)
    if np.isnan(s).any():
        raise ValueError("nan score")
    if not (0 <= max_fpr <= 1):
        raise ValueError("max_fpr outside [0,1]")
    if m.all() or (~m).all():
        raise ValueError("need members and non-members")
    best = (0.0, 0.0, math.inf)
    for t in np.unique(s)[::-1]:
        fpr = float(np.mean(s[~m] >= t))
        if fpr > max_fpr:
            break
        best = (float(np.mean(s[m] >= t)), fpr, float(t))
    return best


# %% nbg="twin:tpr_at_fpr:fails"
from sklearn.metrics import roc_curve as _sk_roc_curve


def tpr_at_fpr(scores, is_member, max_fpr):
    # mia.tpr_at_fpr (with mia.roc_curve), copied and renamed: strictly below the target, TPR only
    lab = np.asarray(is_member).astype(np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != lab.shape or lab.min() == lab.max() or np.isnan(s).any() or not 0 < max_fpr <= 1:
        raise ValueError("bad input")
    f, t, _ = _sk_roc_curve(lab, s, drop_intermediate=False)
    below = f < max_fpr
    return float(t[below].max()) if below.any() else 0.0


# %% nbg="tests:test_tpr_at_fpr:3"
_off = dict(side_effect=AssertionError("do not call mia.tpr_at_fpr or mia.roc_curve"))
# non-members 0.9, 0.5, 0.5, 0.1; members 0.9, 0.7, 0.5, 0.2
_s = [0.9, 0.5, 0.5, 0.1, 0.9, 0.7, 0.5, 0.2]
_m = [False, False, False, False, True, True, True, True]
with mock.patch.object(mia, "tpr_at_fpr", **_off), mock.patch.object(mia, "roc_curve", **_off):
    got = tpr_at_fpr(_s, _m, 0.25)
    wide = tpr_at_fpr(_s, _m, 0.5)
    none = tpr_at_fpr(_s, _m, 0.1)
assert isinstance(got, tuple) and len(got) == 3, (
    f"return a tuple (tpr, fpr, threshold), got {got!r}"
)
assert got == (0.5, 0.25, 0.7), (
    f"at most 1/4 of the non-members: t = 0.7 flags 0.9, 0.9, 0.7, got {got}"
)
assert wide == (0.5, 0.25, 0.7), (
    f"t = 0.5 would flag both tied 0.5 non-members at once (FPR 3/4), got {wide}"
)
assert none == (0.0, 0.0, math.inf), f"no score qualifies: only t = +inf is left, got {none}"
with mock.patch.object(mia, "tpr_at_fpr", **_off), mock.patch.object(mia, "roc_curve", **_off):
    for _bad in (
        ([0.1, 0.2], [True], 0.1),
        ([0.1, 0.2], [True, True], 0.1),
        ([0.1, float("nan")], [True, False], 0.1),
        ([0.1, 0.2], [True, False], 1.5),
    ):
        try:
            tpr_at_fpr(*_bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"tpr_at_fpr{_bad} must raise ValueError")
print(
    "visible tests passed: the tied example gives (0.5, 0.25, 0.7) at FPR 1/4 and 1/2 and (0, 0, "
    "inf) at 0.1; "
    "bad input raises ValueError"
)


### BEGIN HIDDEN TESTS
def _brute(s, m, f):
    s, m = np.asarray(s, float), np.asarray(m, bool)
    out = (0.0, 0.0, math.inf)
    for t in sorted(set(s.tolist()), reverse=True):
        fl = s >= t
        fp = fl[~m].mean()
        if fp <= f:
            out = (float(fl[m].mean()), float(fp), float(t))
    return out


_rng = np.random.default_rng(5)
with mock.patch.object(mia, "tpr_at_fpr", **_off), mock.patch.object(mia, "roc_curve", **_off):
    for _k in range(30):
        _n = int(_rng.integers(5, 60))
        _sc = _rng.normal(size=_n).round(1)  # rounding makes ties
        _mm = _rng.random(_n) < 0.5
        _mm[0], _mm[1] = True, False
        for _f in (0.0, 0.05, 0.2, 1 / 3, 0.5, 1.0):
            assert tpr_at_fpr(_sc, _mm, _f) == _brute(_sc, _mm, _f), (
                f"scores {_sc.tolist()}, members {_mm.tolist()}, max_fpr {_f}"
            )
    # exactly at the target: 1 false positive in 10 is allowed at max_fpr = 0.1
    _s10 = np.r_[np.arange(10.0), [9.5, 8.5]]
    _m10 = np.r_[np.zeros(10, bool), [True, True]]
    assert tpr_at_fpr(_s10, _m10, 0.1) == (1.0, 0.1, 8.5), "an FPR equal to max_fpr is allowed"
    # 0/1 integers, tensors, and order do not matter
    assert tpr_at_fpr(
        torch.tensor(_s, dtype=torch.float64), torch.tensor([0, 0, 0, 0, 1, 1, 1, 1]), 0.25
    ) == (0.5, 0.25, 0.7), "accept tensors and 0/1 integers"
    assert tpr_at_fpr(_s[::-1], _m[::-1], 0.75) == (1.0, 0.75, 0.2), (
        "the order of the examples must not matter"
    )
    assert tpr_at_fpr(_s, _m, 1.0) == (1.0, 1.0, 0.1), (
        "max_fpr = 1 allows the lowest score as threshold"
    )
    for _bad in (
        ([0.1, 0.2], [False, False], 0.1),
        ([0.1, 0.2], [True, False], -0.1),
        ([float("nan"), 0.2], [True, False], 0.5),
    ):
        try:
            tpr_at_fpr(*_bad)
            raise AssertionError(f"tpr_at_fpr{_bad} must raise ValueError")
        except ValueError:
            pass
_r = tpr_at_fpr(_s, _m, 0.25)
assert all(type(v) is float for v in _r), "return Python floats"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (4 points): the LiRA score from shadow statistics
#
# LiRA (Carlini et al., 2022) scores one example under a target model from its LiRA-scaled
# confidence $\phi$ under shadow models: `phi_in` are the values under shadow models that trained on
# the example, `phi_out` under those that did not. Fit one Gaussian to each, with the **median** as
# centre and the standard deviation **np.std (ddof = 0)** as spread, as LiRA's code does; raise each
# spread to at least `1e-3` (two equal values would otherwise give a spread of 0 and an infinite
# score). The score of a target value x is
#
# $$\log \mathcal{N}(x;\ \mu_{in}, \sigma_{in}^2) - \log \mathcal{N}(x;\ \mu_{out}, \sigma_{out}^2),
# \qquad \log \mathcal{N}(x; \mu, \sigma^2) = -\tfrac12 \log(2\pi) - \log \sigma - \frac{(x - \mu)^2}{2\sigma^2}.$$
#
# With few shadow models LiRA uses one spread for every example, estimated once over all of them:
# when the argument `sd` is given (a number > 0), use it as the spread of *both* Gaussians (no
# floor) instead of the two standard deviations.
#
# Write `lira_score(phi_target, phi_in, phi_out, sd=None)`: `phi_target` a float, `phi_in` and
# `phi_out` 1-D sequences of floats. Return the score as a Python float. Raise `ValueError` if
# `phi_in` or `phi_out` is empty, if any value is nan or infinite, or if `sd` is given and not a
# finite number > 0.
#
# Library twin: this mirrors `mia.lira_fit` with `mia.lira_scores` (for many examples at once; their
# global variance is estimated from the data, not passed in). Do not call `mia.lira_fit`,
# `mia.lira_scores` or `mia.lira_leave_one_out`; `scipy.stats.norm` is allowed.


# %% nbg="answer:lira_score"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    """Return log N(phi_target; mu_in, sd_in^2) - log N(phi_target; mu_out, sd_out^2) (medians,
    np.std >= 1e-3, or sd)."""
    ### BEGIN SOLUTION
    x = float(phi_target)
    a = np.asarray(phi_in, dtype=np.float64).ravel()
    b = np.asarray(phi_out, dtype=np.float64).ravel()
    if a.size == 0 or b.size == 0:
        raise ValueError("phi_in and phi_out need at least one value each")
    if not (math.isfinite(x) and np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("phi values must be finite numbers")
    if sd is None:
        s_in, s_out = max(float(a.std()), 1e-3), max(float(b.std()), 1e-3)
    else:
        if not (math.isfinite(sd) and sd > 0):
            raise ValueError(f"sd must be a finite number > 0, got {sd}")
        s_in = s_out = float(sd)

    def log_normal(v, mu, s):
        return -0.5 * math.log(2 * math.pi) - math.log(s) - (v - mu) ** 2 / (2 * s * s)

    return log_normal(x, float(np.median(a)), s_in) - log_normal(x, float(np.median(b)), s_out)
    ### END SOLUTION


# %% nbg="wrong:lira_score:mean_centre"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # the mean as centre (one outlying shadow model moves it), not the median
    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_in, s_out = (sd, sd) if sd is not None else (max(a.std(), 1e-3), max(b.std(), 1e-3))
    ln = lambda v, mu, s: -0.5 * math.log(2 * math.pi) - math.log(s) - (v - mu) ** 2 / (2 * s * s)
    return float(ln(phi_target, a.mean(), s_in) - ln(phi_target, b.mean(), s_out))


# %% nbg="wrong:lira_score:ddof_one"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # the unbiased standard deviation (ddof = 1): not what LiRA's code uses, and undefined for one
    # value
    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_in, s_out = (
        (sd, sd) if sd is not None else (max(a.std(ddof=1), 1e-3), max(b.std(ddof=1), 1e-3))
    )
    ln = lambda v, mu, s: -0.5 * math.log(2 * math.pi) - math.log(s) - (v - mu) ** 2 / (2 * s * s)
    return float(ln(phi_target, np.median(a), s_in) - ln(phi_target, np.median(b), s_out))


# %% nbg="wrong:lira_score:no_floor"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # no floor on the spread: two equal shadow values give a spread of 0 (inf or nan)
    from scipy.stats import norm

    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_in, s_out = (sd, sd) if sd is not None else (a.std(), b.std())
    return float(
        norm.logpdf(phi_target, np.median(a), s_in) - norm.logpdf(phi_target, np.median(b), s_out)
    )


# %% nbg="wrong:lira_score:sign_flipped"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # OUT minus IN: large for non-members
    from scipy.stats import norm

    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_in, s_out = (sd, sd) if sd is not None else (max(a.std(), 1e-3), max(b.std(), 1e-3))
    return float(
        norm.logpdf(phi_target, np.median(b), s_out) - norm.logpdf(phi_target, np.median(a), s_in)
    )


# %% nbg="wrong:lira_score:variance_as_scale"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # passes the variance where scipy expects the standard deviation
    from scipy.stats import norm

    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_in, s_out = (sd, sd) if sd is not None else (max(a.std(), 1e-3), max(b.std(), 1e-3))
    return float(
        norm.logpdf(phi_target, np.median(a), s_in**2)
        - norm.logpdf(phi_target, np.median(b), s_out**2)
    )


# %% nbg="wrong:lira_score:no_normaliser"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # drops -log(sigma): right only when the two spreads are equal
    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_in, s_out = (sd, sd) if sd is not None else (max(a.std(), 1e-3), max(b.std(), 1e-3))
    return float(
        -((phi_target - np.median(a)) ** 2) / (2 * s_in**2)
        + (phi_target - np.median(b)) ** 2 / (2 * s_out**2)
    )


# %% nbg="wrong:lira_score:sd_ignored"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # accepts sd but keeps the per-example spreads
    from scipy.stats import norm

    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_in, s_out = max(a.std(), 1e-3), max(b.std(), 1e-3)
    return float(
        norm.logpdf(phi_target, np.median(a), s_in) - norm.logpdf(phi_target, np.median(b), s_out)
    )


# %% nbg="wrong:lira_score:offline_only"
def lira_score(phi_target, phi_in, phi_out, sd=None):
    # the offline (density) score: ignores the IN Gaussian
    from scipy.stats import norm

    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if (
        a.size == 0
        or b.size == 0
        or not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(phi_target))
    ):
        raise ValueError("bad input")
    if sd is not None and not (math.isfinite(sd) and sd > 0):
        raise ValueError("bad sd")
    s_out = sd if sd is not None else max(b.std(), 1e-3)
    return float(-norm.logpdf(phi_target, np.median(b), s_out))


# %% nbg="alt:lira_score:scipy_norm"
from scipy.stats import norm as _norm


def lira_score(phi_target, phi_in, phi_out, sd=None):
    phi_in, phi_out = np.array(phi_in, dtype=float), np.array(phi_out, dtype=float)
    if len(phi_in) == 0 or len(phi_out) == 0:
        raise ValueError("need shadow values on both sides")
    if not np.all(np.isfinite(np.r_[phi_in, phi_out, phi_target])):
        raise ValueError("nan or inf")
    if sd is None:
        sds = [max(np.std(phi_in), 1e-3), max(np.std(phi_out), 1e-3)]
    elif np.isfinite(sd) and sd > 0:
        sds = [sd, sd]
    else:
        raise ValueError("sd must be > 0")
    return float(
        _norm.logpdf(phi_target, np.median(phi_in), sds[0])
        - _norm.logpdf(phi_target, np.median(phi_out), sds[1])
    )


# %% nbg="wrong:lira_score:floor_on_given_sd"
def _logn(x, mu, sd):
    return -0.5 * math.log(2 * math.pi) - math.log(sd) - (x - mu) ** 2 / (2 * sd**2)


def lira_score(phi_target, phi_in, phi_out, sd=None):
    # raises a given sd to 1e-3 as well (the task says: no floor)
    a = np.asarray(phi_in, dtype=float).ravel()
    b = np.asarray(phi_out, dtype=float).ravel()
    x = float(phi_target)
    if a.size == 0 or b.size == 0:
        raise ValueError("empty")
    if not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(x)):
        raise ValueError("nan/inf")
    if sd is not None:
        if (
            isinstance(sd, bool)
            or not isinstance(sd, (int, float, np.floating, np.integer))
            or not math.isfinite(sd)
            or sd <= 0
        ):
            raise ValueError("sd must be finite > 0")
        si = so = max(float(sd), 1e-3)
    else:
        si = max(float(np.std(a)), 1e-3)
        so = max(float(np.std(b)), 1e-3)
    return float(_logn(x, float(np.median(a)), si) - _logn(x, float(np.median(b)), so))


# %% nbg="wrong:lira_score:nan_only_check"
def _logn(x, mu, sd):
    return -0.5 * math.log(2 * math.pi) - math.log(sd) - (x - mu) ** 2 / (2 * sd**2)


def lira_score(phi_target, phi_in, phi_out, sd=None):
    # rejects nan but lets infinite values through
    a = np.asarray(phi_in, dtype=float).ravel()
    b = np.asarray(phi_out, dtype=float).ravel()
    x = float(phi_target)
    if a.size == 0 or b.size == 0:
        raise ValueError("empty")
    if not (not (np.isnan(a).any() or np.isnan(b).any() or math.isnan(x))):
        raise ValueError("nan/inf")
    if sd is not None:
        if (
            isinstance(sd, bool)
            or not isinstance(sd, (int, float, np.floating, np.integer))
            or not math.isfinite(sd)
            or sd <= 0
        ):
            raise ValueError("sd must be finite > 0")
        si = so = float(sd)
    else:
        si = max(float(np.std(a)), 1e-3)
        so = max(float(np.std(b)), 1e-3)
    return float(_logn(x, float(np.median(a)), si) - _logn(x, float(np.median(b)), so))


# %% nbg="wrong:lira_score:negative_sd_accepted"
def _logn(x, mu, sd):
    return -0.5 * math.log(2 * math.pi) - np.log(sd) - (x - mu) ** 2 / (2 * sd**2)


def lira_score(phi_target, phi_in, phi_out, sd=None):
    # rejects sd = 0 only, so a negative sd is used
    a = np.asarray(phi_in, dtype=float).ravel()
    b = np.asarray(phi_out, dtype=float).ravel()
    x = float(phi_target)
    if a.size == 0 or b.size == 0:
        raise ValueError("empty")
    if not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(x)):
        raise ValueError("nan/inf")
    if sd is not None:
        if (
            isinstance(sd, bool)
            or not isinstance(sd, (int, float, np.floating, np.integer))
            or not math.isfinite(sd)
            or sd == 0
        ):
            raise ValueError("sd must be finite > 0")
        si = so = float(sd)
    else:
        si = max(float(np.std(a)), 1e-3)
        so = max(float(np.std(b)), 1e-3)
    return float(_logn(x, float(np.median(a)), si) - _logn(x, float(np.median(b)), so))


# %% nbg="alt:lira_score:review_r4"
def _logn(x, mu, sd):
    return -0.5 * math.log(2 * math.pi) - math.log(sd) - (x - mu) ** 2 / (2 * sd**2)


def lira_score(phi_target, phi_in, phi_out, sd=None):
    a = np.asarray(phi_in, dtype=float).ravel()
    b = np.asarray(phi_out, dtype=float).ravel()
    x = float(phi_target)
    if a.size == 0 or b.size == 0:
        raise ValueError("empty")
    if not (np.isfinite(a).all() and np.isfinite(b).all() and math.isfinite(x)):
        raise ValueError("nan/inf")
    if sd is not None:
        if (
            isinstance(sd, bool)
            or not isinstance(sd, (int, float, np.floating, np.integer))
            or not math.isfinite(sd)
            or sd <= 0
        ):
            raise ValueError("sd must be finite > 0")
        si = so = float(sd)
    else:
        si = max(float(np.std(a)), 1e-3)
        so = max(float(np.std(b)), 1e-3)
    return float(_logn(x, float(np.median(a)), si) - _logn(x, float(np.median(b)), so))


# %% nbg="twin:lira_score:fails"
from scipy.stats import norm as _norm_twin


def lira_score(phi_target, phi_in, phi_out):
    # mia.lira_fit + mia.lira_scores for one example, copied and renamed: no fixed spread can be
    # passed in
    a, b = np.asarray(phi_in, float), np.asarray(phi_out, float)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("stats contains inf or NaN")
    mu_in, mu_out = (np.median(a), np.median(b)) if a.size and b.size else (np.nan, np.nan)
    sd_in, sd_out = max(a.std(), 1e-3), max(b.std(), 1e-3)
    return float(
        _norm_twin.logpdf(phi_target, mu_in, sd_in) - _norm_twin.logpdf(phi_target, mu_out, sd_out)
    )


# %% nbg="tests:test_lira_score:4"
_off = dict(
    side_effect=AssertionError(
        "do not call mia.lira_fit, mia.lira_scores or mia.lira_leave_one_out"
    )
)
_patches = lambda: (
    mock.patch.object(mia, "lira_fit", **_off),
    mock.patch.object(mia, "lira_scores", **_off),
    mock.patch.object(mia, "lira_leave_one_out", **_off),
)
_p = _patches()
with _p[0], _p[1], _p[2]:
    # two shadow models per side; the IN values are equal (spread 0, raised to 1e-3)
    two = lira_score(2.0, [2.0, 2.0], [0.0, 1.0])
    half = lira_score(1.0, [2.0, 4.0], [-2.0, 0.0])
    fixed = lira_score(1.0, [3.0, 5.0, 4.0], [0.0, 0.5, -1.0], sd=2.0)
assert isinstance(two, float), f"return a Python float, got {type(two).__name__}"
# log N(2; 2, 1e-3) - log N(2; 0.5, 0.5) = log(1000) - log(2) + 1.5^2 / (2 * 0.25)
assert abs(two - (math.log(1000) - math.log(2) + 4.5)) < 1e-9, (
    f"expected {math.log(1000) - math.log(2) + 4.5:.6f}, got {two}"
)
assert abs(half) < 1e-12, (
    f"x = 1 lies as far from the IN median (3) as from the OUT median (-1), same spreads: 0, got "
    f"{half}"
)
# with sd = 2 for both: -(1 - 4)^2 / 8 + (1 - 0)^2 / 8 = -1
assert abs(fixed - (-1.0)) < 1e-12, f"with sd = 2 for both sides the score is -1, got {fixed}"
_p = _patches()
with _p[0], _p[1], _p[2]:
    for _bad in ((0.0, [], [1.0]), (0.0, [1.0], [float("nan")]), (0.0, [1.0], [2.0], 0.0)):
        try:
            lira_score(*_bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"lira_score{_bad} must raise ValueError")
print(
    "visible tests passed: the two-shadow example with a zero spread gives log(1000) - log(2) + "
    "4.5; "
    "a point half-way scores 0; sd = 2 gives -1; empty, nan and sd = 0 raise ValueError"
)
### BEGIN HIDDEN TESTS
from scipy.stats import norm as _hn


def _ref(x, a, b, sd=None):
    a, b = np.asarray(a, float), np.asarray(b, float)
    si, so = (sd, sd) if sd is not None else (max(a.std(), 1e-3), max(b.std(), 1e-3))
    return _hn.logpdf(x, np.median(a), si) - _hn.logpdf(x, np.median(b), so)


_rng = np.random.default_rng(7)
_p = _patches()
with _p[0], _p[1], _p[2]:
    _cases = []
    for _k in range(25):
        _a = _rng.normal(3, _rng.uniform(0.2, 2), int(_rng.integers(1, 9)))
        _b = _rng.normal(0, _rng.uniform(0.2, 2), int(_rng.integers(1, 9)))
        _x = float(_rng.normal(1.5, 2))
        _cases.append(
            (_x, _a, _b, lira_score(_x, _a, _b), lira_score(_x, list(_a), tuple(_b), sd=0.7))
        )
    _outlier = lira_score(0.0, [1.0, 1.2, 30.0], [-1.0, -0.8, -1.2])  # the median ignores the 30
    _floor = lira_score(5.0, [5.0], [4.0, 6.0])  # one IN value: spread 0 -> 1e-3
    _far = lira_score(50.0, [1.0, 1.0], [2.0, 2.0])  # both spreads floored: still finite
    _unequal = lira_score(0.5, [0.0, 2.0], [-10.0, 10.0])  # spreads 1 and 10: log(sigma) matters
    _tiny_sd = lira_score(1.0, [1.0], [1.001], sd=1e-4)  # a given sd below 1e-3 is not floored
    for _bad in (
        (float("inf"), [1.0], [2.0]),
        (0.0, [1.0], []),
        (0.0, [1.0], [2.0], -1.0),
        (0.0, [1.0], [2.0], float("nan")),
        (float("nan"), [1.0], [2.0]),
    ):
        try:
            lira_score(*_bad)
            raise AssertionError(f"lira_score{_bad} must raise ValueError")
        except ValueError:
            pass
for _x, _a, _b, _got, _got_sd in _cases:
    assert abs(_got - _ref(_x, _a, _b)) < 1e-9 * max(1, abs(_got)), (
        f"x={_x}, in={_a}, out={_b}: got {_got}, expected {_ref(_x, _a, _b)}"
    )
    assert abs(_got_sd - _ref(_x, _a, _b, 0.7)) < 1e-9 * max(1, abs(_got_sd)), (
        "with sd given, use it for both sides"
    )
assert abs(_outlier - _ref(0.0, [1.0, 1.2, 30.0], [-1.0, -0.8, -1.2])) < 1e-9, (
    "the centre is the median, not the mean"
)
assert math.isfinite(_floor) and abs(_floor - _ref(5.0, [5.0], [4.0, 6.0])) < 1e-6, (
    "one IN value: spread 1e-3, a finite score"
)
assert math.isfinite(_far) and abs(_far - _ref(50.0, [1.0, 1.0], [2.0, 2.0])) < 1e-6 * abs(_far), (
    "far values stay finite"
)
assert abs(_unequal - _ref(0.5, [0.0, 2.0], [-10.0, 10.0])) < 1e-9, "keep the -log(sigma) terms"
assert abs(_tiny_sd - _ref(1.0, [1.0], [1.001], 1e-4)) < 1e-6 * abs(_tiny_sd), (
    f"a given sd is used as it is, even below 1e-3 (no floor): expected "
    f"{_ref(1.0, [1.0], [1.001], 1e-4)}, got {_tiny_sd}"
)
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (3 points): the U-LiRA decision for one example
#
# U-LiRA (Hayes et al., 2025) runs LiRA on shadow models that were all unlearned with the method
# under test. For model i and example j, `trained[i, j]` says whether model i trained on j, and
# `forget[i, j]` whether j was then in model i's forget set (so `forget` lies within `trained`). The
# question for a target model and one example is: did the target train on the example and unlearn
# it, or never see it? The shadow models that speak for the example are the **other** models (never
# the target itself):
# - the *unlearned* group: models that had the example in their forget set;
# - the *never-seen* group: models that did not train on it.
# Models that trained on the example and kept it take no part.
#
# Write `ulira_decision(phi, forget, trained, example, target)`. `phi` is a float array `(m, n)` (the
# LiRA-scaled confidence of n examples under m unlearned models), `forget` and `trained` boolean
# arrays `(m, n)`, `example` and `target` indices. Return `(unlearned, never_seen, decision)`:
# the two groups' `phi` values for that example as float64 numpy arrays, **in model order**, and
# `decision`, a bool: True ("the target unlearned it") when LiRA's online score of
# `phi[target, example]` against the two groups (unlearned as IN, never seen as OUT; medians, np.std
# raised to 1e-3, as in Task 2) is greater than 0. Raise `ValueError` if `forget` marks an entry that
# `trained` does not, if the target trained on the example and kept it (then there is no question to
# ask), if either group is empty, or if `example` or `target` is not a valid (non-negative) index.
#
# Library twin: this mirrors the shadow selection of `mia.ulira_leave_one_out`, which puts the
# models after the target first, and returns NaN for a kept example. Do not call
# `mia.ulira_leave_one_out` or `mia.lira_leave_one_out` (`mia.lira_fit` and `mia.lira_scores` are
# allowed, and so is your Task 2 function).


# %% nbg="answer:ulira_decision"
def ulira_decision(phi, forget, trained, example, target):
    """Return (unlearned values, never-seen values, decision) for one example and one target
    model."""
    ### BEGIN SOLUTION
    phi = np.asarray(phi, dtype=np.float64)
    forget, trained = np.asarray(forget, dtype=bool), np.asarray(trained, dtype=bool)
    if phi.ndim != 2 or forget.shape != phi.shape or trained.shape != phi.shape:
        raise ValueError("phi, forget and trained must be (m, n) arrays of one shape")
    m, n = phi.shape
    if not (0 <= example < n and 0 <= target < m):
        raise ValueError(f"example must be in 0..{n - 1} and target in 0..{m - 1}")
    if (forget & ~trained).any():
        raise ValueError("forget marks entries outside trained")
    if trained[target, example] and not forget[target, example]:
        raise ValueError(
            "the target trained on this example and kept it: U-LiRA has nothing to ask"
        )
    others = np.arange(m) != target
    unlearned = phi[others & forget[:, example], example]
    never_seen = phi[others & ~trained[:, example], example]
    if unlearned.size == 0 or never_seen.size == 0:
        raise ValueError("need at least one shadow model in each group")
    x = phi[target, example]

    def log_normal(v, vals):
        s = max(float(vals.std()), 1e-3)
        return -math.log(s) - (v - float(np.median(vals))) ** 2 / (2 * s * s)

    return unlearned, never_seen, bool(log_normal(x, unlearned) - log_normal(x, never_seen) > 0)
    ### END SOLUTION


# %% nbg="wrong:ulira_decision:target_included"
def ulira_decision(phi, forget, trained, example, target):
    # forgets to leave the target out of its own shadows
    phi, forget, trained = (
        np.asarray(phi, float),
        np.asarray(forget, bool),
        np.asarray(trained, bool),
    )
    m, n = phi.shape
    if not (0 <= example < n and 0 <= target < m) or (forget & ~trained).any():
        raise ValueError("bad input")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("kept")
    unl, nev = phi[forget[:, example], example], phi[~trained[:, example], example]
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    ln = lambda v, a: (
        -math.log(max(a.std(), 1e-3)) - (v - np.median(a)) ** 2 / (2 * max(a.std(), 1e-3) ** 2)
    )
    return unl, nev, bool(ln(phi[target, example], unl) > ln(phi[target, example], nev))


# %% nbg="wrong:ulira_decision:trained_as_unlearned"
def ulira_decision(phi, forget, trained, example, target):
    # every model that trained on the example counts as "unlearned", also those that kept it
    phi, forget, trained = (
        np.asarray(phi, float),
        np.asarray(forget, bool),
        np.asarray(trained, bool),
    )
    m, n = phi.shape
    if not (0 <= example < n and 0 <= target < m) or (forget & ~trained).any():
        raise ValueError("bad input")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("kept")
    others = np.arange(m) != target
    unl, nev = (
        phi[others & trained[:, example], example],
        phi[others & ~trained[:, example], example],
    )
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    ln = lambda v, a: (
        -math.log(max(a.std(), 1e-3)) - (v - np.median(a)) ** 2 / (2 * max(a.std(), 1e-3) ** 2)
    )
    return unl, nev, bool(ln(phi[target, example], unl) > ln(phi[target, example], nev))


# %% nbg="wrong:ulira_decision:not_forgotten_as_never_seen"
def ulira_decision(phi, forget, trained, example, target):
    # "not in the forget set" as the never-seen group: the models that kept it slip in
    phi, forget, trained = (
        np.asarray(phi, float),
        np.asarray(forget, bool),
        np.asarray(trained, bool),
    )
    m, n = phi.shape
    if not (0 <= example < n and 0 <= target < m) or (forget & ~trained).any():
        raise ValueError("bad input")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("kept")
    others = np.arange(m) != target
    unl, nev = phi[others & forget[:, example], example], phi[others & ~forget[:, example], example]
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    ln = lambda v, a: (
        -math.log(max(a.std(), 1e-3)) - (v - np.median(a)) ** 2 / (2 * max(a.std(), 1e-3) ** 2)
    )
    return unl, nev, bool(ln(phi[target, example], unl) > ln(phi[target, example], nev))


# %% nbg="wrong:ulira_decision:no_kept_check"
def ulira_decision(phi, forget, trained, example, target):
    # answers a question that does not arise: a target that kept the example gets a decision too
    phi, forget, trained = (
        np.asarray(phi, float),
        np.asarray(forget, bool),
        np.asarray(trained, bool),
    )
    m, n = phi.shape
    if not (0 <= example < n and 0 <= target < m) or (forget & ~trained).any():
        raise ValueError("bad input")
    others = np.arange(m) != target
    unl, nev = (
        phi[others & forget[:, example], example],
        phi[others & ~trained[:, example], example],
    )
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    ln = lambda v, a: (
        -math.log(max(a.std(), 1e-3)) - (v - np.median(a)) ** 2 / (2 * max(a.std(), 1e-3) ** 2)
    )
    return unl, nev, bool(ln(phi[target, example], unl) > ln(phi[target, example], nev))


# %% nbg="wrong:ulira_decision:closer_median"
def ulira_decision(phi, forget, trained, example, target):
    # decides by the nearer median, ignoring the spreads
    phi, forget, trained = (
        np.asarray(phi, float),
        np.asarray(forget, bool),
        np.asarray(trained, bool),
    )
    m, n = phi.shape
    if not (0 <= example < n and 0 <= target < m) or (forget & ~trained).any():
        raise ValueError("bad input")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("kept")
    others = np.arange(m) != target
    unl, nev = (
        phi[others & forget[:, example], example],
        phi[others & ~trained[:, example], example],
    )
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    x = phi[target, example]
    return unl, nev, bool(abs(x - np.median(unl)) < abs(x - np.median(nev)))


# %% nbg="wrong:ulira_decision:empty_groups_allowed"
def ulira_decision(phi, forget, trained, example, target):
    # an empty group gives a nan median and a decision of False instead of an error
    phi, forget, trained = (
        np.asarray(phi, float),
        np.asarray(forget, bool),
        np.asarray(trained, bool),
    )
    m, n = phi.shape
    if not (0 <= example < n and 0 <= target < m) or (forget & ~trained).any():
        raise ValueError("bad input")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("kept")
    others = np.arange(m) != target
    unl, nev = (
        phi[others & forget[:, example], example],
        phi[others & ~trained[:, example], example],
    )
    with np.errstate(all="ignore"):
        ln = lambda v, a: (
            -math.log(max(a.std(), 1e-3)) - (v - np.median(a)) ** 2 / (2 * max(a.std(), 1e-3) ** 2)
            if a.size
            else float("nan")
        )
        return unl, nev, bool(ln(phi[target, example], unl) > ln(phi[target, example], nev))


# %% nbg="alt:ulira_decision:loops_and_library_fit"
def ulira_decision(phi, forget, trained, example, target):
    phi = np.array(phi, dtype=float)
    m, n = phi.shape
    if example < 0 or target < 0 or example >= n or target >= m:
        raise ValueError("index out of range")
    if np.any(np.asarray(forget) & ~np.asarray(trained)):
        raise ValueError("forget outside trained")
    if trained[target][example] and not forget[target][example]:
        raise ValueError("the target kept the example")
    unlearned = np.array(
        [phi[i, example] for i in range(m) if i != target and forget[i][example]], dtype=np.float64
    )
    never_seen = np.array(
        [phi[i, example] for i in range(m) if i != target and not trained[i][example]],
        dtype=np.float64,
    )
    if len(unlearned) == 0 or len(never_seen) == 0:
        raise ValueError("a group is empty")
    stats = np.r_[unlearned, never_seen][:, None]
    members = np.r_[np.ones(len(unlearned), bool), np.zeros(len(never_seen), bool)][:, None]
    score = mia.lira_scores(np.array([phi[target, example]]), mia.lira_fit(stats, members))[0]
    return unlearned, never_seen, bool(score > 0)


# %% nbg="wrong:ulira_decision:score_zero_counts"
from scipy.stats import norm as _norm


def _ls(x, a, b):
    return _norm.logpdf(x, np.median(a), max(np.std(a), 1e-3)) - _norm.logpdf(
        x, np.median(b), max(np.std(b), 1e-3)
    )


def ulira_decision(phi, forget, trained, example, target):
    # decides 'unlearned' at a score of exactly 0 (the task says greater than 0)
    phi = np.asarray(phi, dtype=float)
    forget = np.asarray(forget, dtype=bool)
    trained = np.asarray(trained, dtype=bool)
    m, n = phi.shape
    if forget.shape != phi.shape or trained.shape != phi.shape:
        raise ValueError("shapes")
    if (forget & ~trained).any():
        raise ValueError("forget outside trained")
    for name, v, hi in (("example", example, n), ("target", target, m)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not (0 <= v < hi):
            raise ValueError(f"{name} invalid")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("target kept the example")
    others = np.arange(m) != target
    unl = phi[others & forget[:, example], example].astype(np.float64)
    nev = phi[others & ~trained[:, example], example].astype(np.float64)
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    return unl, nev, bool(_ls(phi[target, example], unl, nev) >= 0)


# %% nbg="wrong:ulira_decision:negative_index_wraps"
from scipy.stats import norm as _norm


def _ls(x, a, b):
    return _norm.logpdf(x, np.median(a), max(np.std(a), 1e-3)) - _norm.logpdf(
        x, np.median(b), max(np.std(b), 1e-3)
    )


def ulira_decision(phi, forget, trained, example, target):
    # lets negative indices wrap around, as Python does
    phi = np.asarray(phi, dtype=float)
    forget = np.asarray(forget, dtype=bool)
    trained = np.asarray(trained, dtype=bool)
    m, n = phi.shape
    if forget.shape != phi.shape or trained.shape != phi.shape:
        raise ValueError("shapes")
    if (forget & ~trained).any():
        raise ValueError("forget outside trained")
    for name, v, hi in (("example", example, n), ("target", target, m)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not (-hi <= v < hi):
            raise ValueError(f"{name} invalid")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("target kept the example")
    others = np.arange(m) != target
    unl = phi[others & forget[:, example], example].astype(np.float64)
    nev = phi[others & ~trained[:, example], example].astype(np.float64)
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    return unl, nev, bool(_ls(phi[target, example], unl, nev) > 0)


# %% nbg="wrong:ulira_decision:sorted_groups"
from scipy.stats import norm as _norm


def _ls(x, a, b):
    return _norm.logpdf(x, np.median(a), max(np.std(a), 1e-3)) - _norm.logpdf(
        x, np.median(b), max(np.std(b), 1e-3)
    )


def ulira_decision(phi, forget, trained, example, target):
    # returns the groups sorted by value, not in model order
    phi = np.asarray(phi, dtype=float)
    forget = np.asarray(forget, dtype=bool)
    trained = np.asarray(trained, dtype=bool)
    m, n = phi.shape
    if forget.shape != phi.shape or trained.shape != phi.shape:
        raise ValueError("shapes")
    if (forget & ~trained).any():
        raise ValueError("forget outside trained")
    for name, v, hi in (("example", example, n), ("target", target, m)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not (0 <= v < hi):
            raise ValueError(f"{name} invalid")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("target kept the example")
    others = np.arange(m) != target
    unl = phi[others & forget[:, example], example].astype(np.float64)
    nev = phi[others & ~trained[:, example], example].astype(np.float64)
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    unl, nev = np.sort(unl), np.sort(nev)
    return unl, nev, bool(_ls(phi[target, example], unl, nev) > 0)


# %% nbg="alt:ulira_decision:review_r4"
from scipy.stats import norm as _norm


def _ls(x, a, b):
    return _norm.logpdf(x, np.median(a), max(np.std(a), 1e-3)) - _norm.logpdf(
        x, np.median(b), max(np.std(b), 1e-3)
    )


def ulira_decision(phi, forget, trained, example, target):
    phi = np.asarray(phi, dtype=float)
    forget = np.asarray(forget, dtype=bool)
    trained = np.asarray(trained, dtype=bool)
    m, n = phi.shape
    if forget.shape != phi.shape or trained.shape != phi.shape:
        raise ValueError("shapes")
    if (forget & ~trained).any():
        raise ValueError("forget outside trained")
    for name, v, hi in (("example", example, n), ("target", target, m)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not (0 <= v < hi):
            raise ValueError(f"{name} invalid")
    if trained[target, example] and not forget[target, example]:
        raise ValueError("target kept the example")
    others = np.arange(m) != target
    unl = phi[others & forget[:, example], example].astype(np.float64)
    nev = phi[others & ~trained[:, example], example].astype(np.float64)
    if unl.size == 0 or nev.size == 0:
        raise ValueError("empty group")
    return unl, nev, bool(_ls(phi[target, example], unl, nev) > 0)


# %% nbg="twin:ulira_decision:fails"
from scipy.stats import norm as _norm_u


def ulira_decision(phi, forget, trained, example, target):
    # mia.ulira_leave_one_out's selection and score for one entry, copied and renamed: the models
    # after
    # the target come first, and a kept example gives NaN instead of an error
    phi, forget, trained = (
        np.asarray(phi, float),
        np.asarray(forget, bool),
        np.asarray(trained, bool),
    )
    if (forget & ~trained).any():
        raise ValueError("forget_masks marks examples outside trained_masks")
    m = phi.shape[0]
    others = np.r_[np.arange(target + 1, m), np.arange(0, target)]
    include = forget | ~trained
    col, mem, inc = phi[others, example], forget[others, example], include[others, example]
    unl, nev = col[mem & inc], col[~mem & inc]
    score = _norm_u.logpdf(
        phi[target, example], np.median(unl), max(unl.std(), 1e-3)
    ) - _norm_u.logpdf(phi[target, example], np.median(nev), max(nev.std(), 1e-3))
    if not include[target, example]:
        score = float("nan")
    return unl, nev, bool(score > 0)


# %% nbg="tests:test_ulira_decision:3"
_off = dict(
    side_effect=AssertionError("do not call mia.ulira_leave_one_out or mia.lira_leave_one_out")
)
# 7 models, 2 examples. Example 0: models 0, 3, 5 unlearned it, model 1 kept it, models 2, 4, 6
# never saw it
_phi = np.array(
    [[3.0, 0.1], [9.0, 0.2], [0.0, 0.3], [2.0, 0.4], [-1.0, 0.5], [4.0, 0.6], [-0.5, 0.7]]
)
_tr = np.array([[1, 0], [1, 1], [0, 1], [1, 1], [0, 1], [1, 1], [0, 0]], dtype=bool)
_fg = np.array([[1, 0], [0, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 0]], dtype=bool)
with (
    mock.patch.object(mia, "ulira_leave_one_out", **_off),
    mock.patch.object(mia, "lira_leave_one_out", **_off),
):
    unl, nev, dec = ulira_decision(_phi, _fg, _tr, 0, 0)  # target 0 unlearned example 0
    unl4, nev4, dec4 = ulira_decision(_phi, _fg, _tr, 0, 4)  # target 4 never saw it
assert isinstance(unl, np.ndarray) and unl.dtype == np.float64, "return float64 numpy arrays"
assert unl.tolist() == [2.0, 4.0] and nev.tolist() == [0.0, -1.0, -0.5], (
    f"target 0, example 0: unlearned = models 3, 5 (the target is left out, model 1 kept it), "
    f"never seen = models 2, 4, 6; "
    f"got {unl.tolist()}, {nev.tolist()}"
)
assert unl4.tolist() == [3.0, 2.0, 4.0] and nev4.tolist() == [0.0, -0.5], (
    f"target 4: unlearned = models 0, 3, 5 in model order, never seen = models 2, 6; got "
    f"{unl4.tolist()}, {nev4.tolist()}"
)
assert dec is True and dec4 is False, (
    f"phi 3.0 sits on the unlearned median, -1.0 next to the never-seen ones: decisions True, "
    f"False; got {dec}, {dec4}"
)
with (
    mock.patch.object(mia, "ulira_leave_one_out", **_off),
    mock.patch.object(mia, "lira_leave_one_out", **_off),
):
    for _what, _args in (
        ("target 1 kept example 0", (_phi, _fg, _tr, 0, 1)),
        ("forget marks entries outside trained", (_phi, _fg | ~_tr, _tr, 0, 0)),
        ("example 2 is out of range (2 examples)", (_phi, _fg, _tr, 2, 0)),
    ):
        try:
            ulira_decision(*_args)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{_what}: ulira_decision must raise ValueError")
print(
    "visible tests passed: the groups leave the target out and skip models that kept the example, "
    "in model order; "
    "decisions True and False; bad input raises ValueError"
)
### BEGIN HIDDEN TESTS
from scipy.stats import norm as _hn3

_rng = np.random.default_rng(11)
_m, _n = 12, 6
_T = _rng.random((_m, _n)) < 0.6
_F = _T & (_rng.random((_m, _n)) < 0.6)
_P = _rng.normal(size=(_m, _n)) + 2.0 * _F - 1.0 * (_T & ~_F)
_P[:, 5] = np.where(
    _F[:, 5], 0.3 + 0.05 * _rng.normal(size=_m), 0.0 + 3.0 * _rng.normal(size=_m)
)  # unequal spreads
_checked = 0
with (
    mock.patch.object(mia, "ulira_leave_one_out", **_off),
    mock.patch.object(mia, "lira_leave_one_out", **_off),
):
    for _t in range(_m):
        for _e in range(_n):
            _kept = _T[_t, _e] and not _F[_t, _e]
            _o = np.arange(_m) != _t
            _u, _v = _P[_o & _F[:, _e], _e], _P[_o & ~_T[:, _e], _e]
            if _kept or _u.size == 0 or _v.size == 0:
                try:
                    ulira_decision(_P, _F, _T, _e, _t)
                    raise AssertionError(
                        f"target {_t}, example {_e}: kept or an empty group must raise ValueError"
                    )
                except ValueError:
                    pass
                continue
            _got = ulira_decision(_P, _F, _T, _e, _t)
            _x = _P[_t, _e]
            _want = (
                _hn3.logpdf(_x, np.median(_u), max(_u.std(), 1e-3))
                - _hn3.logpdf(_x, np.median(_v), max(_v.std(), 1e-3))
            ) > 0
            assert np.array_equal(_got[0], _u) and np.array_equal(_got[1], _v), (
                f"target {_t}, example {_e}: wrong groups or order"
            )
            assert _got[2] == bool(_want), (
                f"target {_t}, example {_e}: decision {_got[2]}, expected {bool(_want)}"
            )
            _checked += 1
    # a target that kept it: nothing to ask; negative indices are not valid here
    _kt = int(np.flatnonzero(_T[:, 0] & ~_F[:, 0])[0])
    # (-2, 0) and (0, -7) would wrap around to example 0 / target 0 of the visible example: a valid
    # question
    for _args in (
        (_P, _F, _T, 0, _kt),
        (_P, _F, _T, -1, 0),
        (_P, _F, _T, 0, -1),
        (_P, _F, _T, 0, _m),
        (_phi, _fg, _tr, -2, 0),
        (_phi, _fg, _tr, 0, -7),
    ):
        try:
            ulira_decision(*_args)
            raise AssertionError(
                f"ulira_decision(..., example={_args[3]}, target={_args[4]}) must raise ValueError"
            )
        except ValueError:
            pass
assert _checked > 20
# x = 1 lies as far from the unlearned median 3 as from the never-seen median -1, both spreads 1:
# score exactly 0
_phi0 = np.array([[1.0], [2.0], [4.0], [-2.0], [0.0]])
_tr0 = np.array([[1], [1], [1], [0], [0]], dtype=bool)
with (
    mock.patch.object(mia, "ulira_leave_one_out", **_off),
    mock.patch.object(mia, "lira_leave_one_out", **_off),
):
    _dec0 = ulira_decision(_phi0, _tr0.copy(), _tr0, 0, 0)[2]
assert _dec0 is False, f"a score of exactly 0 is not greater than 0: decision False, got {_dec0}"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (3 points): the relearning recovery ratio
#
# A relearning attack fine-tunes a model for a few steps on a little of what it was told to forget
# and measures, after each number of steps, the accuracy on the rest of the forget set. Run it on the
# unlearned model, on the retrained model (the control: what it reaches is learned from the few
# examples alone) and on the original model. At each step, the **recovery ratio** is the share of the
# original's lead over the control that the unlearned model has regained:
#
# $$\frac{\mathrm{acc}_{unlearned} - \mathrm{acc}_{retrained}}{\mathrm{acc}_{original} - \mathrm{acc}_{retrained}} .$$
#
# 1 means it is as good as the original again; 0, no better than the control; below 0, worse than
# the control (keep negative values, do not clip).
#
# Write `recovery_ratio(acc_unlearned, acc_retrained, acc_original)`: three 1-D sequences of
# accuracies (fractions in [0, 1]), one value per relearning step, of the same length. Return a
# float64 numpy array of the ratios. Raise `ValueError` if the lengths differ, if a value is nan or
# outside [0, 1], or if at some step the original is not above the control (its lead is zero or
# negative: there is nothing to recover, and a ratio would be meaningless).
#
# Library twin: this mirrors `mia.relearning_recovery`, which returns NaN at such steps instead of
# raising. Do not call `mia.relearning_recovery`.


# %% nbg="answer:recovery_ratio"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    """Return (acc_unlearned - acc_retrained) / (acc_original - acc_retrained) per step (float64
    array)."""
    ### BEGIN SOLUTION
    u, r, o = (
        np.asarray(a, dtype=np.float64).ravel()
        for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if not u.size == r.size == o.size:
        raise ValueError("the three curves must have the same length")
    for a in (u, r, o):
        if np.isnan(a).any() or (a < 0).any() or (a > 1).any():
            raise ValueError("accuracies must be fractions in [0, 1]")
    if (o <= r).any():
        raise ValueError("at some step the original is not above the control: nothing to recover")
    return (u - r) / (o - r)
    ### END SOLUTION


# %% nbg="wrong:recovery_ratio:no_control"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # the share of the original's accuracy, forgetting to subtract what the control learns anyway
    u, r, o = (
        np.asarray(a, dtype=np.float64) for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if (
        not u.size == r.size == o.size
        or np.isnan(np.r_[u, r, o]).any()
        or (np.r_[u, r, o] < 0).any()
        or (np.r_[u, r, o] > 1).any()
    ):
        raise ValueError("bad input")
    if (o <= r).any():
        raise ValueError("nothing to recover")
    return u / o


# %% nbg="wrong:recovery_ratio:control_at_step_zero"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # uses the control's accuracy before relearning at every step
    u, r, o = (
        np.asarray(a, dtype=np.float64) for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if (
        not u.size == r.size == o.size
        or np.isnan(np.r_[u, r, o]).any()
        or (np.r_[u, r, o] < 0).any()
        or (np.r_[u, r, o] > 1).any()
    ):
        raise ValueError("bad input")
    if (o <= r).any():
        raise ValueError("nothing to recover")
    return (u - r[0]) / (o - r[0])


# %% nbg="wrong:recovery_ratio:clipped"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # clips to [0, 1]: hides a model that relearns worse than the control
    u, r, o = (
        np.asarray(a, dtype=np.float64) for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if (
        not u.size == r.size == o.size
        or np.isnan(np.r_[u, r, o]).any()
        or (np.r_[u, r, o] < 0).any()
        or (np.r_[u, r, o] > 1).any()
    ):
        raise ValueError("bad input")
    if (o <= r).any():
        raise ValueError("nothing to recover")
    return np.clip((u - r) / (o - r), 0.0, 1.0)


# %% nbg="wrong:recovery_ratio:nan_for_no_lead"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # NaN where the original has no lead, as the library does, instead of raising
    u, r, o = (
        np.asarray(a, dtype=np.float64) for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if (
        not u.size == r.size == o.size
        or np.isnan(np.r_[u, r, o]).any()
        or (np.r_[u, r, o] < 0).any()
        or (np.r_[u, r, o] > 1).any()
    ):
        raise ValueError("bad input")
    with np.errstate(all="ignore"):
        return np.where(o > r, (u - r) / (o - r), np.nan)


# %% nbg="wrong:recovery_ratio:complement"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # the share still missing, (original - unlearned) / (original - retrained)
    u, r, o = (
        np.asarray(a, dtype=np.float64) for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if (
        not u.size == r.size == o.size
        or np.isnan(np.r_[u, r, o]).any()
        or (np.r_[u, r, o] < 0).any()
        or (np.r_[u, r, o] > 1).any()
    ):
        raise ValueError("bad input")
    if (o <= r).any():
        raise ValueError("nothing to recover")
    return (o - u) / (o - r)


# %% nbg="wrong:recovery_ratio:percent_accepted"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # accepts percentages (the ratio is the same), so 75 and 0.75 both pass
    u, r, o = (
        np.asarray(a, dtype=np.float64) for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if (
        not u.size == r.size == o.size
        or np.isnan(np.r_[u, r, o]).any()
        or (np.r_[u, r, o] < 0).any()
    ):
        raise ValueError("bad input")
    if (o <= r).any():
        raise ValueError("nothing to recover")
    return (u - r) / (o - r)


# %% nbg="alt:recovery_ratio:list_comprehension"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    u, r, o = list(acc_unlearned), list(acc_retrained), list(acc_original)
    if len(u) != len(r) or len(r) != len(o):
        raise ValueError("lengths differ")
    for v in u + r + o:
        if not (0 <= v <= 1):  # False for nan too
            raise ValueError(f"{v} is not an accuracy in [0, 1]")
    out = []
    for a, b, c in zip(u, r, o):
        if c - b <= 0:
            raise ValueError("the original has no lead over the control at some step")
        out.append((a - b) / (c - b))
    return np.array(out, dtype=np.float64)


# %% nbg="wrong:recovery_ratio:negative_lead_accepted"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # rejects a lead of exactly 0 but divides by a negative one
    u, r, o = (
        np.asarray(v, dtype=np.float64).ravel()
        for v in (acc_unlearned, acc_retrained, acc_original)
    )
    if not (u.shape == r.shape == o.shape):
        raise ValueError("lengths")
    for v in (u, r, o):
        if np.isnan(v).any() or (v < 0).any() or (v > 1).any():
            raise ValueError("values in [0,1]")
    lead = o - r
    if (lead == 0).any():
        raise ValueError("no lead")
    return (u - r) / lead


# %% nbg="wrong:recovery_ratio:nan_passes_range_check"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # range check by comparisons only: nan passes them
    u, r, o = (
        np.asarray(v, dtype=np.float64).ravel()
        for v in (acc_unlearned, acc_retrained, acc_original)
    )
    if not (u.shape == r.shape == o.shape):
        raise ValueError("lengths")
    for v in (u, r, o):
        if (v < 0).any() or (v > 1).any():
            raise ValueError("values in [0,1]")
    lead = o - r
    if (lead <= 0).any():
        raise ValueError("no lead")
    return (u - r) / lead


# %% nbg="wrong:recovery_ratio:capped_at_one"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # caps the ratio at 1 (an unlearned model above the original is possible)
    u, r, o = (
        np.asarray(v, dtype=np.float64).ravel()
        for v in (acc_unlearned, acc_retrained, acc_original)
    )
    if not (u.shape == r.shape == o.shape):
        raise ValueError("lengths")
    for v in (u, r, o):
        if np.isnan(v).any() or (v < 0).any() or (v > 1).any():
            raise ValueError("values in [0,1]")
    lead = o - r
    if (lead <= 0).any():
        raise ValueError("no lead")
    return np.minimum((u - r) / lead, 1.0)


# %% nbg="alt:recovery_ratio:review_r4"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    u, r, o = (
        np.asarray(v, dtype=np.float64).ravel()
        for v in (acc_unlearned, acc_retrained, acc_original)
    )
    if not (u.shape == r.shape == o.shape):
        raise ValueError("lengths")
    for v in (u, r, o):
        if np.isnan(v).any() or (v < 0).any() or (v > 1).any():
            raise ValueError("values in [0,1]")
    lead = o - r
    if (lead <= 0).any():
        raise ValueError("no lead")
    return (u - r) / lead


# %% nbg="twin:recovery_ratio:fails"
def recovery_ratio(acc_unlearned, acc_retrained, acc_original):
    # mia.relearning_recovery, copied and renamed: NaN where the original has no lead
    u, r, o = (
        np.asarray(a, dtype=np.float64) for a in (acc_unlearned, acc_retrained, acc_original)
    )
    if not u.shape == r.shape == o.shape:
        raise ValueError("acc_unlearned, acc_retrained and acc_original must have one shape")
    for a in (u, r, o):
        if np.isnan(a).any():
            raise ValueError("contains NaN")
        if ((a < 0) | (a > 1)).any():
            raise ValueError("must hold accuracies in [0, 1]")
    lead = o - r
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lead > 0, (u - r) / np.where(lead > 0, lead, 1.0), np.nan)


# %% nbg="tests:test_recovery_ratio:3"
_off = dict(side_effect=AssertionError("do not call mia.relearning_recovery"))
with mock.patch.object(mia, "relearning_recovery", **_off):
    got = recovery_ratio([0.0, 0.26, 0.76], [0.0, 0.0, 0.04], [1.0, 1.0, 1.0])
assert isinstance(got, np.ndarray) and got.dtype == np.float64, "return a float64 numpy array"
assert np.allclose(got, [0.0, 0.26, 0.75], rtol=0, atol=1e-12), (
    f"expected [0, 0.26, 0.75], got {got.tolist()}"
)
with mock.patch.object(mia, "relearning_recovery", **_off):
    for _args in (([0.5], [0.5, 0.6], [1.0]), ([0.5], [0.7], [0.7]), ([75.0], [10.0], [90.0])):
        try:
            recovery_ratio(*_args)
        except ValueError:
            pass
        else:
            raise AssertionError(
                f"recovery_ratio{_args} must raise ValueError (lengths, no lead, percentages)"
            )
print(
    "visible tests passed: the random-labels curve gives [0, 0.26, 0.75]; different lengths, a "
    "step without a "
    "lead and percentages raise ValueError"
)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3)
with mock.patch.object(mia, "relearning_recovery", **_off):
    _r = _rng.uniform(0, 0.5, 7)
    _o = _rng.uniform(0.6, 1.0, 7)
    _u = _rng.uniform(0, 1, 7)
    _got = recovery_ratio(list(_u), tuple(_r), _o)
    _neg = recovery_ratio([0.1, 0.2], [0.3, 0.6], [0.9, 0.9])  # worse than the control: negative
    _one = recovery_ratio([1.0], [0.0], [1.0])
    for _args in (
        ([0.1, np.nan], [0.0, 0.0], [1.0, 1.0]),
        ([0.1], [-0.1], [1.0]),
        ([0.1, 0.2], [0.0, 0.9], [1.0, 0.8]),
        ([0.1], [0.2], [1.1]),
        ([0.5, 0.5], [0.1, 0.1], [0.9]),
    ):
        try:
            recovery_ratio(*_args)
            raise AssertionError(f"recovery_ratio{_args} must raise ValueError")
        except ValueError:
            pass
assert np.allclose(_got, (_u - _r) / (_o - _r), rtol=1e-12, atol=0), (
    "the ratio at each step uses that step's control"
)
assert np.allclose(_neg, [-0.2 / 0.6, -0.4 / 0.3], rtol=1e-12), (
    "keep negative values (worse than the control)"
)
assert _one.tolist() == [1.0] and _got.shape == (7,)
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task5_md"
# ## Task 5 (4 points, written): reviewing an evaluation
#
# A paper proposes a new approximate unlearning method and evaluates it on one forget set of 500
# random training images: "After unlearning, a loss-threshold membership attack separates the
# forget set from the test set with AUC 0.50, i.e. random guessing, and the forget accuracy equals
# the retrained model's. We also estimate epsilon with the NeurIPS 2023 challenge's estimator from
# 16 unlearned and 16 retrained models: our method gets 2.7, the same as the best published method.
# Our method therefore unlearns as well as retraining."
#
# In 6 to 10 sentences, review this evaluation as lecture 05 would: what each of the three pieces of
# evidence can and cannot show, what you would ask the authors to measure instead or in addition
# (be specific: which attack, which numbers, which reference, which control), and what result would
# convince you.

# %% [markdown] nbg="written:review_written:4"
# ### BEGIN SOLUTION
# **Model answer.** An AUC of 0.50 is compared with the wrong reference: the right one is the
# retrained models' AUC on the same kind of forget set (it need not be 0.5), and a value far below it
# would be over-unlearning, itself a leak. More importantly the loss threshold is a population test
# with one threshold for all examples: it can pass while a per-example attack separates the
# method's models from retrained ones. I would ask for U-LiRA: shadow models trained on random
# halves, unlearned with the same method, each model attacked with the others as shadows, reporting
# the ROC on log-log axes and the TPR at 1% and 0.1% FPR with enough non-members (at least 10,000
# for 0.1%), each compared with the interval in which a powerless attack falls; the retrained
# control must land inside it, which checks the evaluation itself. Matching forget accuracy says
# little for a random forget set, which the retrained model classifies like test data. The epsilon
# of 2.7 from 16 models per side is the ceiling ln(15), about 2.7: every method that is
# distinguishable at all gets it, so it cannot rank methods; ask for hundreds of models per side
# (the challenge used 512), the retrained-against-retrained floor, and per-example values, not only
# a mean, including hard (highly memorized) examples. Finally, a relearning attack with the
# retrained model as control would show whether the knowledge is removed or suppressed. I would be
# convinced by TPRs at low FPR inside the chance interval, epsilons near the retrained floor at
# large N, and relearning curves that follow the control.
#
# **Rubric (4 points).**
# - 1 point: AUC 0.5 is not the reference (retrained models' value), and/or population vs
#   per-example attacks: a weak test can pass while a strong one fails (over-unlearning noted is a
#   plus).
# - 1 point: asks for a per-example attack (LiRA / U-LiRA with shadow models unlearned by the same
#   method) and TPR at low FPR with enough non-members and a chance interval or the retrained
#   control.
# - 1 point: explains that epsilon 2.7 from 16 models per side is the ceiling ln(N - 1) and cannot
#   rank methods; asks for many more models (hundreds) and the retrained-vs-retrained floor.
# - 1 point: asks for a relearning attack (or a comparable test of recovery) with the retrained
#   control, or for hard forget sets, and states a convincing outcome.
# ### END SOLUTION
