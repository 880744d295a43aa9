# Source of solutions/ps01_why_unlearn/ps01_why_unlearn.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 01 · Why and what to unlearn
#
# You will write the pieces behind lecture 01's measurements:
# 1. the two-sided **epsilon that one threshold proves**, from its false positive and false negative
#    rates;
# 2. the **LiRA-scaled confidence** $\phi$ of a model on an example, computed so that it survives
#    very confident models;
# 3. an **empirical epsilon** over a grid of single thresholds (the NeurIPS 2023 challenge's estimator,
#    restricted to one family of rules);
# 4. the gold standard: **retraining from scratch** for a removal request that names example ids;
# 5. a short written answer: when is an approximate guarantee acceptable?
#
# `unlearnkit` contains reference versions of some of these. Each task says which one you may *not*
# call: the tests switch it off while your function runs (`forbid` in the setup cell), so a call to it
# fails the test.
#
# Points: 2 + 2 + 3 + 3 autograded, 3 written. Everything runs in a few seconds.

# %% nbg="setup:setup"
import math
import os
import warnings
from contextlib import contextmanager

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

import numpy as np
import torch

from unlearnkit import data, mia, models, training
from unlearnkit.training import TrainConfig

SEED = 0
torch.set_num_threads(1)


@contextmanager
def forbid(*targets):
    '''While the block runs, each (owner, attribute) in targets raises when called.'''
    saved = [(owner, name, getattr(owner, name)) for owner, name in targets]

    def blocked(*args, **kwargs):
        raise AssertionError("this task asks you to write this yourself, not to call unlearnkit's version")

    try:
        for owner, name, _ in saved:
            setattr(owner, name, blocked)
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@contextmanager
def correct_task1():
    '''While the block runs, two_sided_epsilon is a correct version (task 3 is graded on its own).'''
    namespace = globals()
    yours = namespace.get("two_sided_epsilon")
    rates = mia.epsilon_from_rates
    namespace["two_sided_epsilon"] = lambda fpr, fnr, delta: float(rates(fpr, fnr, delta))
    try:
        yield
    finally:
        namespace["two_sided_epsilon"] = yours


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (2 points): the epsilon one threshold proves
#
# A test that tells unlearned models from retrained ones with false positive rate FPR and false negative
# rate FNR shows that $(\varepsilon, \delta)$-unlearning can only hold if
#
# $$\varepsilon \ge \max\big(\ln(1 - \delta - \mathrm{FPR}) - \ln \mathrm{FNR},\;
#   \ln(1 - \delta - \mathrm{FNR}) - \ln \mathrm{FPR}\big),$$
#
# clipped at 0 (an epsilon is never negative). Write `two_sided_epsilon(fpr, fnr, delta)` returning that
# bound as a Python float, with the NeurIPS 2023 challenge's conventions for zero rates:
# - both rates 0 (the test separates the samples perfectly): return `math.inf`;
# - exactly one rate 0 (the threshold rests on too few samples): return `math.nan`;
# - a logarithm of a number $\le 0$ counts as $-\infty$ (that term cannot be the maximum).
#
# You may not call `unlearnkit.mia.epsilon_from_rates`.

# %% nbg="answer:task1"
def two_sided_epsilon(fpr, fnr, delta):
    '''The lower bound on epsilon proved by one test with rates fpr and fnr, at delta.

    Args:
        fpr, fnr: floats in [0, 1].
        delta: float in (0, 1).

    Returns:
        float: max(ln(1-delta-fpr) - ln(fnr), ln(1-delta-fnr) - ln(fpr)) clipped at 0, where a log of a
        number <= 0 is -inf; math.inf if both rates are 0; math.nan if exactly one is 0.
    '''
    ### BEGIN SOLUTION
    if fpr == 0 and fnr == 0:
        return math.inf
    if fpr == 0 or fnr == 0:
        return math.nan

    def log_or_minus_inf(x):
        return math.log(x) if x > 0 else -math.inf

    eps = max(log_or_minus_inf(1 - delta - fpr) - math.log(fnr),
              log_or_minus_inf(1 - delta - fnr) - math.log(fpr))
    return max(eps, 0.0)
    ### END SOLUTION


# %% nbg="wrong:task1:one_sided"
def two_sided_epsilon(fpr, fnr, delta):
    # only one of the two rules: ln(1 - delta - fpr) - ln(fnr)
    if fpr == 0 and fnr == 0:
        return math.inf
    if fpr == 0 or fnr == 0:
        return math.nan
    x = 1 - delta - fpr
    return max(math.log(x) - math.log(fnr), 0.0) if x > 0 else 0.0


# %% nbg="alt:task1:numpy_logs"
def two_sided_epsilon(fpr, fnr, delta):
    if fpr == 0 and fnr == 0:
        return math.inf
    if fpr == 0 or fnr == 0:
        return math.nan
    with np.errstate(divide="ignore"):
        a = np.log(max(1 - delta - fpr, 0.0)) - np.log(fnr)
        b = np.log(max(1 - delta - fnr, 0.0)) - np.log(fpr)
    return float(max(a, b, 0.0))


# %% nbg="tests:task1_tests:2"
with forbid((mia, "epsilon_from_rates")):
    e = two_sided_epsilon(0.1, 0.2, 1e-5)
    chance = two_sided_epsilon(0.5, 0.5, 1e-5)
assert isinstance(e, float), "return a Python float"
assert abs(e - max(math.log(1 - 1e-5 - 0.1) - math.log(0.2), math.log(1 - 1e-5 - 0.2) - math.log(0.1))) < 1e-12, \
    f"two_sided_epsilon(0.1, 0.2, 1e-5) = {e}: check the formula"
assert chance == 0.0, "a test no better than chance proves nothing: epsilon 0"
print("visible tests passed")
### BEGIN HIDDEN TESTS
cases = [(0.01, 0.3, 1e-5), (0.3, 0.01, 1e-5), (0.002, 0.004, 0.01), (0.9, 0.05, 0.2), (0.995, 0.001, 0.01),
         (1.0, 1.0, 1e-5), (0.2, 0.7, 0.05), (1 / 512, 1 / 512, 1e-5)]
expected = [float(mia.epsilon_from_rates(p, q, d)) for p, q, d in cases]
with forbid((mia, "epsilon_from_rates")):
    got = [two_sided_epsilon(p, q, d) for p, q, d in cases]
    assert two_sided_epsilon(0.0, 0.0, 1e-5) == math.inf, "both rates 0: perfect separation, inf"
    assert math.isnan(two_sided_epsilon(0.0, 0.4, 1e-5)), "exactly one rate 0: nan"
    assert math.isnan(two_sided_epsilon(0.4, 0.0, 1e-5)), "exactly one rate 0: nan"
    assert two_sided_epsilon(0.01, 0.3, 1e-5) == two_sided_epsilon(0.3, 0.01, 1e-5), "the bound is symmetric"
for (p, q, d), g, x in zip(cases, got, expected):
    assert abs(g - x) < 1e-9 or (math.isnan(g) and math.isnan(x)), f"two_sided_epsilon({p}, {q}, {d}) = {g}: wrong value"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (2 points): the LiRA-scaled confidence
#
# For a model with logits $z$ (one per class) and an example with label $y$, LiRA (Carlini et al., IEEE
# S&P 2022) and the NeurIPS 2023 challenge use
#
# $$\phi = \log p_y - \log \sum_{y' \ne y} p_{y'}, \qquad p = \mathrm{softmax}(z).$$
#
# Write `scaled_confidence(logits, labels)`: `logits` is a float tensor `(m, classes)` (m models, or m
# examples), `labels` an int64 tensor `(m,)`; return a float64 tensor `(m,)`. It must stay exact for very
# confident models: with logits `[1000, 0]` and label 0, $p_y$ rounds to 1 in floating point and the
# formula above, computed naively, gives `inf` or `nan`; the true value is about 1000. Work with the logits:
# $\log p_y - \log \sum_{y' \ne y} p_{y'} = z_y - \log \sum_{y' \ne y} e^{z_{y'}}$, and `torch.logsumexp`
# computes the last term stably.
#
# You may not call `unlearnkit.mia.lira_phi`.

# %% nbg="answer:task2"
def scaled_confidence(logits, labels):
    '''LiRA-scaled confidence phi = z_y - logsumexp_{y' != y} z_y' of each row.

    Args:
        logits: float tensor (m, classes), classes >= 2.
        labels: int64 tensor (m,), values in 0..classes-1.

    Returns:
        float64 tensor (m,).
    '''
    ### BEGIN SOLUTION
    z = logits.double()
    zy = z.gather(1, labels.view(-1, 1)).squeeze(1)
    others = z.scatter(1, labels.view(-1, 1), float("-inf"))
    return zy - torch.logsumexp(others, dim=1)
    ### END SOLUTION


# %% nbg="tests:task2_tests:2"
z = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0]])
y = torch.tensor([0, 2])
with forbid((mia, "lira_phi")):
    phi = scaled_confidence(z, y)
p = torch.softmax(z.double(), dim=1)
assert isinstance(phi, torch.Tensor) and phi.shape == (2,) and phi.dtype == torch.float64, "a float64 tensor (m,)"
assert torch.allclose(phi, torch.log(p[[0, 1], [0, 2]]) - torch.log(1 - p[[0, 1], [0, 2]])), \
    "phi must equal log p_y - log(1 - p_y) on moderate logits"
with forbid((mia, "lira_phi")):
    confident = scaled_confidence(torch.tensor([[1000.0, 0.0]]), torch.tensor([0]))
assert torch.isfinite(confident).all(), "logits [1000, 0], label 0: got inf or nan; work with the logits"
assert abs(float(confident[0]) - 1000.0) < 1e-9, f"logits [1000, 0], label 0: phi is 1000, got {float(confident[0])}"
print("visible tests passed")
### BEGIN HIDDEN TESTS
big = torch.tensor([[1000.0, 0.0], [0.0, 1000.0], [30.0, -30.0]])
lab = torch.tensor([0, 0, 1])
with forbid((mia, "lira_phi")):
    got = scaled_confidence(big, lab)
assert torch.isfinite(got).all(), "very confident models must not give inf or nan"
assert torch.allclose(got, torch.tensor([1000.0, -1000.0, -60.0], dtype=torch.float64), atol=1e-9), \
    "very confident models, either label: wrong phi"
g = torch.Generator().manual_seed(3)
many = torch.randn(50, 10, generator=g) * 5
lab = torch.randint(0, 10, (50,), generator=g)
expected = torch.as_tensor(mia.lira_phi(many, lab))
with forbid((mia, "lira_phi")):
    got = scaled_confidence(many, lab)
assert got.shape == (50,) and torch.allclose(got, expected, atol=1e-9), "50 random rows, 10 classes: wrong phi"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (3 points): an empirical epsilon over single thresholds
#
# Given the statistic of one example under N unlearned models and under M retrained models (two 1-D numpy
# arrays), estimate $\varepsilon$ at $\delta$ as the NeurIPS 2023 challenge does, with its *single-threshold*
# family of rules only:
# 1. Let `r_u`, `r_r` be the ranges (max - min) of the two samples. If both are 0, return 0.0 when the two
#    constant values are equal and 50.0 otherwise. If the smaller range is below 1% of the larger, return 50.0.
# 2. The *positive* sample is the one with the larger median (the unlearned one if the medians are equal).
# 3. Thresholds: `np.linspace(lo, hi, math.ceil((hi - lo) * per_unit))`, where `lo` and `hi` are the
#    smallest and largest value of both samples together. A threshold `t` calls a value positive iff
#    `value >= t`. FPR = fraction of the negative sample called positive; FNR = fraction of the positive
#    sample not called positive.
# 4. Each threshold gives `two_sided_epsilon(FPR, FNR, delta)` (task 1). Drop the `nan`s; count `inf` as 50.0.
#    Return the largest value as a Python float (0.0 if every threshold was dropped).
#
# You may not call `unlearnkit.mia.empirical_epsilon` (nor `epsilon_from_rates`). A loop over a few hundred
# thresholds is fast enough.
#
# Call your task 1 function by its name, `two_sided_epsilon`. Task 3 is graded on its own: while its tests
# run, that name points to a correct version, so a mistake in task 1 does not cost you task 3 as well.

# %% nbg="answer:task3"
def single_threshold_epsilon(unlearned, retrained, delta, per_unit=100):
    '''Empirical epsilon at delta from two samples, single-threshold rules (NeurIPS 2023 challenge).

    Args:
        unlearned: 1-D float array, the statistic under N unlearned models.
        retrained: 1-D float array, the statistic under M retrained models.
        delta: float in (0, 1).
        per_unit: thresholds per unit of the statistic.

    Returns:
        float in [0, 50]: the largest per-threshold epsilon (rules 1-4 above).
    '''
    ### BEGIN SOLUTION
    u, r = np.asarray(unlearned, dtype=float), np.asarray(retrained, dtype=float)
    ru, rr = np.ptp(u), np.ptp(r)
    if ru == 0 and rr == 0:
        return 0.0 if u[0] == r[0] else 50.0
    if min(ru, rr) / max(ru, rr) < 0.01:
        return 50.0
    pos, neg = (r, u) if np.median(r) > np.median(u) else (u, r)
    lo, hi = min(u.min(), r.min()), max(u.max(), r.max())
    best = None
    for t in np.linspace(lo, hi, math.ceil((hi - lo) * per_unit)):
        fpr = float(np.mean(neg >= t))
        fnr = float(np.mean(pos < t))
        e = two_sided_epsilon(fpr, fnr, delta)
        if math.isnan(e):
            continue
        e = min(e, 50.0)
        best = e if best is None else max(best, e)
    return 0.0 if best is None else float(best)
    ### END SOLUTION


# %% nbg="tests:task3_tests:3"
rng = np.random.default_rng(SEED)
a, b = rng.normal(0, 1, 300), rng.normal(1.5, 1, 300)
with correct_task1(), forbid((mia, "empirical_epsilon"), (mia, "epsilon_from_rates")):
    e = single_threshold_epsilon(a, b, 1e-5)
    same = single_threshold_epsilon(a, a.copy(), 1e-5)
assert isinstance(e, float) and 0 < e <= math.log(300 - 1 - 300 * 1e-5) + 1e-9, \
    f"two shifted normals: expected a float in (0, ln(N-1)], got {e}"
assert same == 0.0, "identical samples cannot be told apart"
print("visible tests passed")
### BEGIN HIDDEN TESTS
cases = [(rng.normal(0, 1, 200), rng.normal(mu, 1, 150)) for mu in (0.0, 0.7, 2.0, 3.5)]
cases += [(rng.normal(0, 1, 100), rng.normal(0, 3, 100)),            # equal medians, unequal spread
          (np.linspace(0, 1, 40), np.linspace(5, 6, 40)),            # perfectly separated
          (np.linspace(0, 0.005, 30), np.linspace(-1, 1, 30)),       # range rule
          (np.full(5, 2.0), np.full(7, 2.0)), (np.full(5, 2.0), np.full(5, 3.0))]
for delta in (1e-5, 0.01):
    expected = [mia.empirical_epsilon(u, r, delta, families=("single",)) for u, r in cases]
    with correct_task1(), forbid((mia, "empirical_epsilon"), (mia, "epsilon_from_rates")):
        got = [single_threshold_epsilon(u, r, delta) for u, r in cases]
    for i, (g, x) in enumerate(zip(got, expected)):
        assert abs(g - x) < 1e-9, f"hidden case {i}, delta {delta}: got {g}, which is wrong"
with correct_task1(), forbid((mia, "empirical_epsilon"), (mia, "epsilon_from_rates")):
    coarse = single_threshold_epsilon(cases[1][0], cases[1][1], 0.01, per_unit=5)
assert abs(coarse - mia.empirical_epsilon(cases[1][0], cases[1][1], 0.01, families=("single",), per_unit=5)) < 1e-9, \
    "per_unit=5 must give a coarser threshold grid"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (3 points): retrain from scratch for a removal request
#
# A removal request names the **ids** of the examples to forget (never row positions: positions change as
# soon as the data set does). Write `retrain_without(dataset, forget_ids, config, seed)`:
# - `dataset` is an `unlearnkit.data.Dataset`, `forget_ids` a list, numpy array or int64 tensor of ids;
# - if an id is not in `dataset`, or an id is repeated, raise `ValueError` (before training anything);
# - an empty request (`[]`) is valid: the model is then trained on every example;
# - otherwise build a fresh `models.mlp(dataset.n_features, dataset.num_classes, 16, seed=seed)`, train it
#   with `training.fit` on the examples whose ids are **not** in `forget_ids` (keep their order), and
#   return the trained model.
#
# You may not call `Dataset.without` or `Dataset.subset` (use the `ids` tensor, e.g. `torch.isin`, and
# `Dataset.where`).

# %% nbg="answer:task4"
def retrain_without(dataset, forget_ids, config, seed):
    '''The gold standard: a fresh model trained on dataset minus the examples forget_ids.

    Args:
        dataset: unlearnkit Dataset.
        forget_ids: ids (list, numpy array or int64 tensor) of examples to forget.
        config: TrainConfig for training.fit.
        seed: int, seeds the new model's initial weights.

    Returns:
        the trained torch.nn.Module (models.mlp(d, classes, 16, seed=seed)).

    An empty forget_ids ([]) is valid and trains on the whole dataset.

    Raises:
        ValueError: an id is not in dataset, or is repeated.
    '''
    ### BEGIN SOLUTION
    ids = torch.as_tensor(np.asarray(forget_ids), dtype=torch.int64).flatten()
    if torch.unique(ids).numel() != ids.numel():
        raise ValueError("forget_ids contains a repeated id")
    missing = ~torch.isin(ids, dataset.ids)
    if bool(missing.any()):
        raise ValueError(f"ids not in the data set: {ids[missing].tolist()}")
    keep = ~torch.isin(dataset.ids, ids)
    model = models.mlp(dataset.n_features, dataset.num_classes, 16, seed=seed)
    training.fit(model, dataset.where(keep), config)
    return model
    ### END SOLUTION


# %% nbg="tests:task4_tests:3"
def _reference(dset, ids, config, seed):
    net = models.mlp(dset.n_features, dset.num_classes, 16, seed=seed)
    training.fit(net, dset.without(ids), config)
    return net


def _same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


moons = data.make_moons(60, seed=1)
# in make_moons the ids equal the row positions; renumber them so that ids and positions differ
order = torch.randperm(60, generator=torch.Generator().manual_seed(11))
visible = data.Dataset(moons.X[order], moons.y[order], moons.ids[order] * 3 + 500, {}, 2, "renumbered")
cfg = TrainConfig(lr=0.1, batch_size=16, steps=30, seed=4)
request = [int(visible.ids[i]) for i in (4, 21, 50)]
expected = _reference(visible, request, cfg, seed=7)
with forbid((data.Dataset, "without"), (data.Dataset, "subset")):
    got = retrain_without(visible, request, cfg, seed=7)
assert isinstance(got, torch.nn.Module), "return the trained model"
assert _same(got, expected), "the model differs from fit on the data without those ids (ids, not row positions)"
print("visible tests passed")
### BEGIN HIDDEN TESTS
# ids that are not positions: a shuffled subset whose ids are far from 0..n-1
shuffled = moons.subset(torch.randperm(60, generator=torch.Generator().manual_seed(5))[:40] + 0)
shuffled = data.Dataset(shuffled.X, shuffled.y, shuffled.ids * 10 + 1000, {}, 2, "renumbered")
forget = shuffled.ids[[2, 9, 30]].flip(0).numpy()
expected = _reference(shuffled, forget, cfg, seed=3)
with forbid((data.Dataset, "without"), (data.Dataset, "subset")):
    got_np = retrain_without(shuffled, forget, cfg, seed=3)
    got_t = retrain_without(shuffled, torch.as_tensor(forget), cfg, seed=3)
    got_list = retrain_without(shuffled, [int(i) for i in forget], cfg, seed=3)
assert _same(got_np, expected) and _same(got_t, expected) and _same(got_list, expected), "use ids, not positions"
# the forgotten examples really are gone: retraining on everything gives a different model
with forbid((data.Dataset, "without"), (data.Dataset, "subset")):
    nothing = retrain_without(shuffled, [], cfg, seed=3)
assert not _same(nothing, expected), "an empty request must not drop anything"
full = models.mlp(2, 2, 16, seed=3)
training.fit(full, shuffled, cfg)
assert _same(nothing, full), "an empty request retrains on everything"
# bad requests raise before training
for bad in ([5], [int(forget[0]), int(forget[0])]):
    try:
        with forbid((data.Dataset, "without"), (data.Dataset, "subset")):
            retrain_without(shuffled, bad, cfg, seed=3)
    except ValueError:
        pass
    else:
        raise AssertionError(f"retrain_without must raise ValueError for the request {bad}")
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task5_md"
# ## Task 5 (3 points, written): when is an approximate guarantee acceptable?
#
# Retraining gives exact unlearning; cheaper methods give, at best, $(\varepsilon, \delta)$-unlearning, and
# usually only an *empirical* estimate of $\varepsilon$ like the one in lecture 01. In 6 to 10 sentences:
# describe **one situation where an approximate guarantee is acceptable and one where it is not**, and say
# what you would **measure** (and with how many models) before accepting an approximate method in the
# first situation. Use what lecture 01 showed about the estimator.

# %% [markdown] nbg="written:task5:3"
# ### BEGIN SOLUTION
# **Model answer.** *Acceptable:* removing stale or mislabelled examples to improve a model (debugging), or
# honouring deletion requests for low-risk data where the law asks for erasure "without undue delay" and a
# full retrain is scheduled anyway (say monthly): an approximate method bridges the gap, and the exact
# retrain later resets any residual influence. *Not acceptable:* data that must provably leave the model
# (a court order, sensitive personal data, unlicensed content whose owner may audit the model), or any case
# where the forget set is highly memorised (outliers, rare examples), because those are exactly the
# examples that cheap methods fail on. Before accepting a method I would train many models both ways
# (retrained on D \ S and unlearned from originals), compute a per-example statistic such as the
# LiRA-scaled confidence, and estimate $\varepsilon$ at a stated $\delta$, alongside retain and test
# accuracy. I would compare the estimate to two references measured at the same N: the floor (two groups
# of retrained models, where the truth is 0) and the ceiling $\ln(N - 1 - N\delta)$; an estimate near the
# floor means "indistinguishable at this N", an estimate near the ceiling means "at least this bad".
# Hundreds of models per side (the challenge used 512) are needed before small $\delta$ means anything.
#
# **Rubric (3 points).** 1 point: a plausible acceptable situation with a reason (low risk, later exact
# retrain, debugging goal). 1 point: a plausible unacceptable situation with a reason (legal or audit
# requirement, sensitive data, highly memorised examples). 1 point: a concrete measurement (many models
# per side, a stated statistic and delta, comparison with retraining) that mentions at least one limit of
# the estimate (the ln(N-1) ceiling, the max-over-thresholds bias or floor, or the need for large N).
# No point for "approximate is fine when it is close enough" without saying close in what.
# ### END SOLUTION
