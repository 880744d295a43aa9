# Source of solutions/ps04_approximate_unlearning/ps04_approximate_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 04 · Approximate unlearning and the tug of war
#
# This problem set goes with lecture 04. You will implement, in plain torch:
# 1. ToW, the tug-of-war score that compares an unlearned model with the retrained one;
# 2. the NegGrad+ objective for one pair of batches;
# 3. Feldman & Zhang's memorization estimate from many models trained on random subsets;
# 4. one Newton step that removes points from L2-regularised logistic regression (Guo et al. 2020);
# 5. and you will argue, in a short written answer, how to read the tug of war.
#
# Each task says which ready-made function of `unlearnkit` you may *not* call: the tests switch it
# off while your code runs. Everything runs in seconds; nothing is trained for long.
#
# Points: 3 + 3 + 4 + 4 autograded, 4 written.

# %% nbg="setup:setup"
import os
import warnings

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

from unittest import mock

import torch
from torch.nn import functional as F

from unlearnkit import approximate, data, metrics

SEED = 0
torch.manual_seed(SEED)
torch.set_num_threads(1)


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): ToW
#
# Zhao et al. (NeurIPS 2024) score an unlearned model theta_u against the retrained model theta_r by
# $\mathrm{ToW} = (1 - \mathrm{da}(S))(1 - \mathrm{da}(R))(1 - \mathrm{da}(D_{test}))$ with
# $\mathrm{da}(D') = |\mathrm{Acc}(\theta_u, D') - \mathrm{Acc}(\theta_r, D')|$.
#
# Write `tow_score(acc_unlearned, acc_retrained)`. Each argument is a dict with the keys `"forget"`,
# `"retain"` and `"test"`, whose values are accuracies as fractions. Return ToW as a Python float.
# Raise `ValueError` if any accuracy is outside [0, 1] (for instance a percentage such as 95) or is
# nan, and also if a key is missing. Do not call `metrics.tow` or `metrics.accuracy_gaps`.

# %% nbg="answer:tow_score"
def tow_score(acc_unlearned, acc_retrained):
    """Return ToW (a float in [0, 1]) from two dicts of accuracies with keys forget, retain, test."""
    ### BEGIN SOLUTION
    score = 1.0
    for key in ("forget", "retain", "test"):
        if key not in acc_unlearned or key not in acc_retrained:
            raise ValueError(f"missing accuracy for {key!r}")
        u, r = float(acc_unlearned[key]), float(acc_retrained[key])
        if not (0.0 <= u <= 1.0 and 0.0 <= r <= 1.0):
            raise ValueError(f"accuracies must be fractions in [0, 1], got {u} and {r} for {key!r}")
        score *= 1.0 - abs(u - r)
    return score
    ### END SOLUTION


# %% nbg="tests:test_tow_score:3"
_off = dict(side_effect=AssertionError("do not call the library's ToW"))
with mock.patch.object(metrics, "tow", **_off), mock.patch.object(metrics, "accuracy_gaps", **_off):
    got = tow_score({"forget": 0.60, "retain": 0.95, "test": 0.90}, {"forget": 0.50, "retain": 0.97, "test": 0.91})
    same = tow_score({"forget": 0.3, "retain": 0.99, "test": 0.8}, {"forget": 0.3, "retain": 0.99, "test": 0.8})
assert abs(got - 0.87318) < 1e-9, f"the worked example gives 0.9 * 0.98 * 0.99 = 0.87318, got {got}"
assert same == 1.0, "identical accuracies must give ToW = 1"
assert isinstance(got, float), "return a Python float"
with mock.patch.object(metrics, "tow", **_off), mock.patch.object(metrics, "accuracy_gaps", **_off):
    for _bad in ({"forget": 60, "retain": 0.95, "test": 0.9}, {"forget": float("nan"), "retain": 0.95, "test": 0.9},
                 {"forget": 0.6, "retain": 0.95}):
        try:
            tow_score(_bad, {"forget": 0.5, "retain": 0.97, "test": 0.91})
        except ValueError:
            pass
        else:
            raise AssertionError(f"{_bad} must raise ValueError (a percentage, nan or a missing key)")
### BEGIN HIDDEN TESTS
import math
with mock.patch.object(metrics, "tow", **_off), mock.patch.object(metrics, "accuracy_gaps", **_off):
    assert tow_score({"forget": 1.0, "retain": 1.0, "test": 1.0}, {"forget": 0.0, "retain": 0.5, "test": 0.5}) == 0.0
    g = torch.Generator().manual_seed(4)
    pairs = [(torch.rand(3, generator=g).tolist(), torch.rand(3, generator=g).tolist()) for _ in range(20)]
    pairs += [((0.2, 0.9, 0.85), (0.25, 0.93, 0.86)), ((0.99, 0.7, 0.6), (0.1, 0.72, 0.65))]
    mine = [tow_score(dict(zip(("forget", "retain", "test"), u)), dict(zip(("forget", "retain", "test"), r)))
            for u, r in pairs]
    # order of keys does not matter
    swapped = tow_score({"test": 0.9, "retain": 0.95, "forget": 0.6}, {"retain": 0.97, "forget": 0.5, "test": 0.91})
    for bad in ({"forget": 60, "retain": 0.95, "test": 0.9}, {"forget": 0.6, "retain": -0.01, "test": 0.9},
                {"forget": float("nan"), "retain": 0.95, "test": 0.9}, {"forget": 0.6, "retain": 0.95}):
        try:
            tow_score(bad, {"forget": 0.5, "retain": 0.97, "test": 0.91})
            raise AssertionError(f"{bad} must raise ValueError")
        except ValueError:
            pass
    try:
        tow_score({"forget": 0.5, "retain": 0.97, "test": 0.91}, {"forget": 0.5, "retain": 1.5, "test": 0.91})
        raise AssertionError("a retrained accuracy above 1 must raise ValueError")
    except ValueError:
        pass
for got_i, (u, r) in zip(mine, pairs):
    assert abs(got_i - metrics.tow(u, r)) < 1e-12, (u, r, got_i)
assert abs(swapped - 0.87318) < 1e-9
assert all(isinstance(v, float) for v in mine), "return a Python float"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (3 points): the NegGrad+ objective
#
# NegGrad+ (Kurmanji et al., NeurIPS 2023) takes, at every step, one batch from the retain set R and
# one from the forget set S and descends
#
# $$ a \cdot \mathrm{CE}(R\text{ batch}) - (1 - a) \cdot \mathrm{CE}(S\text{ batch}), $$
#
# where CE is the *mean* cross-entropy over the batch and `a` in [0, 1] weighs the two pulls.
#
# Write `neggrad_plus_objective(model, x_retain, y_retain, x_forget, y_forget, a)`. `model` maps a
# float32 batch `(b, d)` to logits `(b, classes)`; the labels are int64. Return the objective as a
# scalar tensor that can be back-propagated (do not detach it). Raise `ValueError` if `a` is outside
# [0, 1]. Do not call `approximate.neggrad_plus_loss`.

# %% nbg="answer:neggrad_plus_objective"
def neggrad_plus_objective(model, x_retain, y_retain, x_forget, y_forget, a):
    """Return a * CE(model(x_retain), y_retain) - (1 - a) * CE(model(x_forget), y_forget), a scalar tensor."""
    ### BEGIN SOLUTION
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"a must be in [0, 1], got {a}")
    ce_r = F.cross_entropy(model(x_retain), y_retain)
    ce_f = F.cross_entropy(model(x_forget), y_forget)
    return a * ce_r - (1.0 - a) * ce_f
    ### END SOLUTION


# %% nbg="tests:test_neggrad_plus_objective:3"
_off = dict(side_effect=AssertionError("do not call approximate.neggrad_plus_loss"))
g = torch.Generator().manual_seed(1)
net = torch.nn.Linear(5, 3)
xr, yr = torch.randn(8, 5, generator=g), torch.randint(0, 3, (8,), generator=g)
xf, yf = torch.randn(4, 5, generator=g), torch.randint(0, 3, (4,), generator=g)
with mock.patch.object(approximate, "neggrad_plus_loss", **_off):
    val = neggrad_plus_objective(net, xr, yr, xf, yf, 0.8)
expected = 0.8 * F.cross_entropy(net(xr), yr) - 0.2 * F.cross_entropy(net(xf), yf)
assert torch.is_tensor(val) and val.dim() == 0, "return a scalar tensor"
assert torch.allclose(val, expected, atol=1e-6), f"expected {float(expected):.6f}, got {float(val):.6f}"
assert val.requires_grad, "the objective must stay differentiable (do not detach it)"
with mock.patch.object(approximate, "neggrad_plus_loss", **_off):
    try:
        neggrad_plus_objective(net, xr, yr, xf, yf, 1.5)
    except ValueError:
        pass
    else:
        raise AssertionError("a = 1.5 is outside [0, 1] and must raise ValueError")
### BEGIN HIDDEN TESTS
with mock.patch.object(approximate, "neggrad_plus_loss", **_off):
    v1 = neggrad_plus_objective(net, xr, yr, xf, yf, 1.0)
    v0 = neggrad_plus_objective(net, xr, yr, xf, yf, 0.0)
    v5 = neggrad_plus_objective(net, xr, yr, xf, yf, 0.5)
    for bad in (-0.1, 1.2):
        try:
            neggrad_plus_objective(net, xr, yr, xf, yf, bad)
            raise AssertionError(f"a = {bad} must raise ValueError")
        except ValueError:
            pass
assert torch.allclose(v1, F.cross_entropy(net(xr), yr), atol=1e-6), "a = 1 is plain CE on the retain batch"
assert torch.allclose(v0, -F.cross_entropy(net(xf), yf), atol=1e-6), "a = 0 is gradient ascent on the forget batch"
assert torch.allclose(v5, approximate.neggrad_plus_loss(net(xr), yr, net(xf), yf, 0.5), atol=1e-6)
# the gradient is the library's, too (mean, not sum, over each batch)
net.zero_grad(); v5.backward(); mine = net.weight.grad.clone()
net.zero_grad(); approximate.neggrad_plus_loss(net(xr), yr, net(xf), yf, 0.5).backward()
assert torch.allclose(mine, net.weight.grad, atol=1e-6), "gradients differ: use the mean cross-entropy of each batch"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (4 points): a memorization estimate
#
# Feldman & Zhang (NeurIPS 2020) call example i *memorized* when a model classifies it correctly
# only if it was trained on it:
#
# $$\mathrm{mem}(i) = P[f(x_i) = y_i \mid i \in \text{train}] - P[f(x_i) = y_i \mid i \notin \text{train}].$$
#
# They estimate both probabilities from m models, each trained on a random subset. You are given
# two bool tensors of shape `(m, n)`: `masks[j, i]` says whether model j trained on example i, and
# `correct[j, i]` whether model j classifies example i correctly.
#
# Write `memorization_estimate(masks, correct)` returning a float64 tensor `(n,)`: for each example,
# the fraction of correct answers among the models that trained on it minus the fraction among the
# models that did not. Raise `ValueError` if the shapes differ or if some example is in the training
# set of every model or of none (one of the two probabilities cannot be estimated). Vectorise: no
# Python loop over examples. Do not call `metrics.memorization` or `metrics.memorization_scores`.

# %% nbg="answer:memorization_estimate"
def memorization_estimate(masks, correct):
    """Return float64 (n,): P[correct | in] - P[correct | out], estimated per example from (m, n) bool tensors."""
    ### BEGIN SOLUTION
    if masks.shape != correct.shape:
        raise ValueError(f"shapes differ: {tuple(masks.shape)} and {tuple(correct.shape)}")
    n_in = masks.sum(0)
    n_out = (~masks).sum(0)
    if bool((n_in == 0).any()) or bool((n_out == 0).any()):
        raise ValueError("some example is in every model's training set or in none")
    c = correct.double()
    return (c * masks).sum(0) / n_in - (c * ~masks).sum(0) / n_out
    ### END SOLUTION


# %% nbg="tests:test_memorization_estimate:4"
_off = dict(side_effect=AssertionError("do not call the library's memorization"))
masks = torch.tensor([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=torch.bool)
correct = torch.tensor([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=torch.bool)
with mock.patch.object(metrics, "memorization", **_off), mock.patch.object(metrics, "memorization_scores", **_off):
    mem = memorization_estimate(masks, correct)
# example 0: right in 2 of 2 models that saw it, 1 of 2 that did not -> 1 - 0.5
# example 1: right in 2 of 2 models that saw it, 0 of 2 that did not -> 1 - 0
assert torch.is_tensor(mem) and mem.shape == (2,), "return one value per example"
assert torch.allclose(mem.double(), torch.tensor([0.5, 1.0], dtype=torch.float64)), f"expected [0.5, 1.0], got {mem}"
assert mem.dtype == torch.float64, f"return float64, got {mem.dtype}"
with mock.patch.object(metrics, "memorization", **_off), mock.patch.object(metrics, "memorization_scores", **_off):
    try:
        _nan = memorization_estimate(masks[:2], correct[:2])   # example 0 is in both models: no 'out' estimate
    except ValueError:
        pass
    else:
        raise AssertionError(f"an example trained on by every model must raise ValueError (not return {_nan})")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(7)
m_big = metrics.subset_masks(300, 50, 0.6, seed=3)
typical = torch.rand(50, 300, generator=g) < 0.9                 # right 90% of the time either way
memorized = m_big | (torch.rand(50, 300, generator=g) < 0.05)     # right only when trained on (mostly)
c_big = torch.where(torch.arange(300) < 150, typical, memorized)
with mock.patch.object(metrics, "memorization", **_off), mock.patch.object(metrics, "memorization_scores", **_off):
    got = memorization_estimate(m_big, c_big)
    for bad_m, bad_c in [(masks, correct[:3]), (torch.ones(3, 2, dtype=torch.bool), torch.ones(3, 2, dtype=torch.bool)),
                         (torch.tensor([[1, 0], [1, 0]], dtype=torch.bool), torch.ones(2, 2, dtype=torch.bool))]:
        try:
            memorization_estimate(bad_m, bad_c)
            raise AssertionError("undefined or mismatched inputs must raise ValueError")
        except ValueError:
            pass
assert got.dtype == torch.float64, "return float64"
assert torch.allclose(got, metrics.memorization(m_big, c_big), atol=1e-12)
assert float(got[150:].mean()) > 0.8 > 0.1 > float(got[:150].abs().mean())
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (4 points): Newton-step removal for logistic regression
#
# Guo et al. (ICML 2020) train binary logistic regression with labels t_i in {-1, +1} to the exact
# minimiser w* of
#
# $$L(w) = \sum_{i=1}^{n} \log\left(1 + e^{-t_i w^\top x_i}\right) + \frac{\lambda n}{2}\|w\|^2 .$$
#
# To remove a set B of m points they take one Newton step on the objective of the remaining n - m
# points (whose penalty is lam (n - m) / 2):
#
# - Delta = lam m w* + sum over i in B of grad l_i(w*), with grad l_i(w) = -t_i sigmoid(-t_i w^T x_i) x_i;
# - H = sum over the remaining i of sigmoid(w*^T x_i) (1 - sigmoid(w*^T x_i)) x_i x_i^T + lam (n - m) I;
# - w_new = w* + H^{-1} Delta.
#
# Write `newton_removal_step(w, X, t, remove, lam)`: `w` float64 `(d,)`, `X` float64 `(n, d)`,
# `t` float64 `(n,)` in {-1, +1}, `remove` an int64 tensor of the row positions to remove, `lam > 0`.
# Return `w_new`, float64 `(d,)`. Use `torch.linalg.solve` rather than an explicit inverse. Do not
# call `approximate.newton_removal` or `approximate.newton_update`.

# %% nbg="answer:newton_removal_step"
def newton_removal_step(w, X, t, remove, lam):
    """Return w* + H^{-1} Delta (float64 (d,)) after removing the rows `remove` (see the task)."""
    ### BEGIN SOLUTION
    n, d = X.shape
    keep = torch.ones(n, dtype=torch.bool)
    keep[remove] = False
    m = n - int(keep.sum())
    Xb, tb = X[~keep], t[~keep]
    delta = lam * m * w + ((-tb * torch.sigmoid(-tb * (Xb @ w)))[:, None] * Xb).sum(0)
    Xr = X[keep]
    s = torch.sigmoid(Xr @ w)
    H = (Xr * (s * (1 - s))[:, None]).T @ Xr + lam * (n - m) * torch.eye(d, dtype=X.dtype)
    return w + torch.linalg.solve(H, delta)
    ### END SOLUTION


# %% nbg="tests:test_newton_removal_step:4"
_off = dict(side_effect=AssertionError("do not call the library's Newton step"))
tr, _ = data.load_digits()
two = tr.where(tr.y < 2)
two = data.Dataset(two.X, two.y, two.ids, {}, 2)            # digits 0 and 1: a binary problem
X = two.X.double() / two.X.double().norm(dim=1, keepdim=True)  # unit-norm rows, as Guo et al.
t = two.y.double() * 2 - 1
lam = 1e-2
full = approximate.L2LinearModel(lam=lam).fit(two)            # column 1 is "class 1 vs rest": t = +1 for class 1
w_star = full.coef_[1].clone()
remove = torch.arange(5)
with mock.patch.object(approximate, "newton_removal", **_off), mock.patch.object(approximate, "newton_update", **_off):
    w_new = newton_removal_step(w_star, X, t, remove, lam)
ref, _ = approximate.newton_removal(full, two.subset(two.ids[:5]), two.without(two.ids[:5]), batch=None)
assert torch.is_tensor(w_new) and w_new.shape == w_star.shape, "return a (d,) tensor"
assert torch.allclose(w_new, ref.coef_[1], atol=1e-8), f"max difference {float((w_new - ref.coef_[1]).abs().max()):.2e}"
### BEGIN HIDDEN TESTS
refit = approximate.L2LinearModel(lam=lam).fit(two.without(two.ids[:5]))
assert (w_new - refit.coef_[1]).norm() < 0.2 * (w_star - refit.coef_[1]).norm(), "the step should move most of the way to the refit"
pick = torch.tensor([3, 40, 41, 100, 200, 201, 250])
with mock.patch.object(approximate, "newton_removal", **_off), mock.patch.object(approximate, "newton_update", **_off):
    w_pick = newton_removal_step(w_star, X, t, pick, lam)
    w_one = newton_removal_step(w_star, X, t, torch.tensor([17]), lam)
ids = two.ids[pick]
ref2, _ = approximate.newton_removal(full, two.subset(ids), two.without(ids), batch=None)
assert torch.allclose(w_pick, ref2.coef_[1], atol=1e-8)
ref3, _ = approximate.newton_removal(full, two.subset(two.ids[17:18]), two.without(two.ids[17:18]))
assert torch.allclose(w_one, ref3.coef_[1], atol=1e-8)
assert w_one.dtype == torch.float64
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task5_md"
# ## Task 5 (4 points, written): reading the tug of war
#
# A colleague runs NegGrad+ with a = 0.6 on a forget set of 40 *randomly chosen* digits. The
# unlearned model classifies 5% of the forget set correctly (the original: 100%), and its test
# accuracy falls from 98% to 90%. "Almost nothing of S is left: this is excellent unlearning," they
# write. The retrained model classifies 96% of S and 98% of the test set correctly.
#
# In 5 to 8 sentences: compute (or estimate) the ToW of their model, explain why pushing the forget
# accuracy towards 0 is not the goal here, what the drop in test accuracy tells you, and how you
# would choose the strength of the method (the weight a or the number of steps) when, in practice,
# you cannot afford a retrained model on every request. Mention one way in which the answer would
# change if S were the 40 *most memorized* examples.

# %% [markdown] nbg="written:tug_of_war_written:4"
# ### BEGIN SOLUTION
# **Model answer.** Taking the retain accuracy as roughly unchanged, ToW is about
# (1 - |0.05 - 0.96|)(1 - 0)(1 - |0.90 - 0.98|) = 0.09 x 0.92, about 0.08: far from retraining.
# A random forget set looks like the rest of the data, so the retrained model still classifies
# almost all of it correctly (96%); driving the forget accuracy to 5% *over*-forgets, which is as
# far from retraining as not forgetting at all and even makes S stand out (an attacker can spot the
# examples the model was told to forget). The 8-point test drop shows the ascent on S damaged what
# the model knows in general: the two terms of the objective pull against each other, the tug of
# war. The strength should be chosen to bring the three accuracies close to what retraining would
# give, not to minimise forget accuracy: e.g. tune a or the number of steps on a few held-out
# forget requests for which a retrained model was computed once, or aim the forget accuracy at the
# test accuracy, and stop early. For the most memorized examples the target changes: the retrained
# model gets many of them wrong (they are only right when trained on), so a much lower forget
# accuracy is now correct, methods that barely move the model (fine-tuning) score badly, and the
# same strength may be too weak there and too strong for a random S.
#
# **Rubric (4 points).**
# - 1 point: a ToW computation or estimate for the colleague's model that is clearly low, using
#   da on forget and test (retain taken as unchanged is fine).
# - 1 point: explains that the target is the retrained model's accuracy on S (high for a random S,
#   since it generalises to it), so 5% is over-forgetting, not success.
# - 1 point: interprets the test drop as utility lost to the forget term (the tug of war) and gives a
#   workable way to choose a or the steps without retraining on every request.
# - 1 point: a correct difference for the most memorized S (retrained accuracy on S is low, so
#   lowering forget accuracy is right there; hard examples lower ToW for weak methods).
# ### END SOLUTION
