# Source of solutions/ps02_exact_unlearning/ps02_exact_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 02 · Exact unlearning: summation form and SISA
#
# You will write the small pieces that make exact unlearning work, as in lecture 02:
# 1. deal a training set into **stratified shards** (Bourtoule et al., IEEE S&P 2021);
# 2. find the **checkpoint** each shard must resume from when a request arrives;
# 3. **forget rows from the sufficient statistics** of ridge regression (summation form, after Cao &
#    Yang, IEEE S&P 2015);
# 4. **aggregate** the shard models' labels by majority vote, with a fixed tie rule;
# 5. derive SISA's **expected speed-up** for one random request;
# 6. argue, in a short written answer, when SISA is not worth it.
#
# `unlearnkit` already contains reference versions of several of these functions. Each task says which
# one you may *not* call: the tests switch it off while they run (`forbid` in the setup cell), so a
# call to it fails the test.
#
# Points: 3 + 3 + 3 + 2 + 2 autograded, 3 written. Everything runs in a few seconds; nothing is trained.

# %% nbg="setup:setup"
import math
import os
import warnings
from contextlib import contextmanager
from fractions import Fraction

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

import numpy as np
import torch
from sklearn.linear_model import Ridge

from unlearnkit import data, exact, sisa

SEED = 0
torch.manual_seed(SEED)


@contextmanager
def forbid(*targets):
    '''While the block runs, the library functions named by (module, name) pairs raise when called.

    Names bound to the same objects in this notebook are switched off too.
    '''
    saved = [(module, name, getattr(module, name)) for module, name in targets]
    aliases = [(key, value) for key, value in globals().items() for _, _, ref in saved if value is ref]

    def blocked(*args, **kwargs):
        raise AssertionError("this task asks you to write this yourself, not to call unlearnkit's version")

    try:
        for module, name, _ in saved:
            setattr(module, name, blocked)
        for key, _ in aliases:
            globals()[key] = blocked
        yield
    finally:
        for module, name, ref in saved:
            setattr(module, name, ref)
        for key, value in aliases:
            globals()[key] = value


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): stratified shards
#
# SISA splits the training set into S disjoint shards. If shards are drawn completely at random, a small
# shard may miss a class; so we **stratify**: every shard gets the same number of each class, up to one.
#
# Write `stratified_shards(labels, n_shards, seed)`. `labels` is an int64 tensor `(n,)` (any integer
# class labels); return a list of `n_shards` int64 tensors of *positions* `0..n-1` such that
# - the groups are disjoint and together hold every position; each group is sorted ascending;
# - for every class, the numbers of its positions in the groups differ by at most one;
# - the group **sizes** differ by at most one (careful: this does not follow from the previous rule when
#   several classes have a count that is not a multiple of `n_shards`);
# - the assignment is shuffled with a `torch.Generator` seeded with `seed`: the same seed gives the same
#   groups, different seeds (usually) different ones. Read no global random state.
#
# Hint: shuffle each class's positions, then deal them out like cards, one per group in turn, and let the
# next class continue the deal where the previous one stopped.
#
# You may not call `unlearnkit.data.stratified_split`.

# %% nbg="answer:task1"
def stratified_shards(labels, n_shards, seed):
    '''Split positions 0..n-1 into n_shards disjoint, class-stratified groups.

    Args:
        labels: int64 tensor (n,) of class labels (any integers).
        n_shards: number of groups, 1 <= n_shards <= n.
        seed: int, seeds the torch.Generator that shuffles (no global random state).

    Returns:
        list of n_shards int64 tensors of positions, each sorted ascending; disjoint, covering
        0..n-1, every class spread evenly (counts differ by at most one) and sizes differing by at
        most one.
    '''
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(int(seed))
    groups = [[] for _ in range(n_shards)]
    turn = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        for p in pos.tolist():
            groups[turn].append(p)
            turn = (turn + 1) % n_shards
    return [torch.sort(torch.tensor(grp, dtype=torch.int64))[0] for grp in groups]
    ### END SOLUTION


# %% nbg="tests:task1_tests:3"
def _check_shards(labels, n_shards, groups):
    assert isinstance(groups, list) and len(groups) == n_shards, "return a list of n_shards tensors"
    for grp in groups:
        assert isinstance(grp, torch.Tensor) and grp.dtype == torch.int64, "each group must be an int64 tensor"
        assert torch.equal(grp, torch.sort(grp)[0]), "each group must be sorted ascending"
    everything = torch.cat(groups)
    assert torch.equal(torch.sort(everything)[0], torch.arange(labels.numel())), "groups must be disjoint and cover 0..n-1"
    sizes = [grp.numel() for grp in groups]
    assert max(sizes) - min(sizes) <= 1, f"group sizes differ by more than one: {sizes}"
    for c in torch.unique(labels).tolist():
        per = [int((labels[grp] == c).sum()) for grp in groups]
        assert max(per) - min(per) <= 1, f"class {c} is not stratified: {per}"


labels = torch.arange(60) % 3
with forbid((data, "stratified_split"), (sisa, "stratified_split")):
    groups = stratified_shards(labels, 4, seed=1)
    again = stratified_shards(labels, 4, seed=1)
    other = stratified_shards(labels, 4, seed=2)
_check_shards(labels, 4, groups)
assert all(torch.equal(a, b) for a, b in zip(groups, again)), "the same seed must give the same groups"
assert any(not torch.equal(a, b) for a, b in zip(groups, other)), "a different seed should shuffle differently"
# uneven class counts (7, 3, 1, 6 over 4 groups): the sizes stay balanced only if the deal continues across classes
uneven = torch.tensor([0] * 7 + [1] * 3 + [2] * 1 + [5] * 6)
with forbid((data, "stratified_split"), (sisa, "stratified_split")):
    _check_shards(uneven, 4, stratified_shards(uneven, 4, seed=0))
print("visible tests passed")
### BEGIN HIDDEN TESTS
with forbid((data, "stratified_split"), (sisa, "stratified_split")):
    # uneven classes: sizes still balanced (needs the deal to continue across classes)
    lab = torch.tensor([4] * 9 + [1] * 5 + [2] * 2 + [8] * 3)
    _check_shards(lab, 4, stratified_shards(lab, 4, seed=3))
    # one shard, and as many shards as examples
    lab = torch.tensor([3, 1, 3, 2, 1, 1, 2])
    one = stratified_shards(lab, 1, seed=5)
    assert len(one) == 1 and torch.equal(one[0], torch.arange(7)), "one shard holds every position, sorted"
    _check_shards(lab, 7, stratified_shards(lab, 7, seed=5))
    # non-contiguous labels, many random cases
    g = torch.Generator().manual_seed(123)
    for trial in range(25):
        n = int(torch.randint(10, 80, (1,), generator=g))
        S = int(torch.randint(1, 11, (1,), generator=g))
        lab = torch.tensor([2, 7, 9, 11])[torch.randint(0, 4, (n,), generator=g)]
        _check_shards(lab, S, stratified_shards(lab, S, seed=trial))
    # no global random state: the result must not depend on torch's global seed
    torch.manual_seed(1); a = stratified_shards(labels, 3, seed=9)
    torch.manual_seed(2); b = stratified_shards(labels, 3, seed=9)
    assert all(torch.equal(x, y) for x, y in zip(a, b)), "read no global random state: use a seeded torch.Generator"
_ = torch.manual_seed(SEED)
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (3 points): which checkpoint does a request resume from?
#
# In SISA, shard `s` is split into R slices; stage `r` trains on slices 1..r and saves checkpoint `r`
# (checkpoint 0 is the untrained model). A request removes some ids. For every shard that holds at least
# one of them, find the **first** slice `j` (1-based) holding a removed id: the shard restores checkpoint
# `j - 1` and retrains stages `j..R`. Shards holding none of the ids are not retrained.
#
# Write `resume_checkpoints(slice_ids, ids)`. `slice_ids[s][j]` is the int64 tensor of ids in slice
# `j + 1` of shard `s` (0-based lists, exactly like `SISA.slice_ids`); `ids` is an int64 tensor of the
# ids to remove. Return a `dict` `{shard s: checkpoint j - 1}` with one entry per touched shard (plain
# Python ints). If an id is in no slice, raise `ValueError` before returning anything.
#
# You may not call `unlearnkit.sisa.resume_stage`.

# %% nbg="answer:task2"
def resume_checkpoints(slice_ids, ids):
    '''Which checkpoint each touched shard restores for a request removing ids.

    Args:
        slice_ids: slice_ids[s][j] is the int64 tensor of ids in slice j + 1 of shard s.
        ids: int64 tensor (k,) of ids to remove.

    Returns:
        dict {s: j - 1} (plain ints) for every shard s holding at least one of ids, where j is the
        first 1-based slice of s holding one of them.

    Raises:
        ValueError: an id is in no slice.
    '''
    ### BEGIN SOLUTION
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = {}
    for s, slices in enumerate(slice_ids):
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                out.setdefault(s, j - 1)   # slices are visited in order: the first one wins
    if not bool(found.all()):
        raise ValueError(f"ids not in any slice: {ids[~found].tolist()}")
    return out
    ### END SOLUTION


# %% nbg="tests:task2_tests:3"
T = lambda *v: torch.tensor(v, dtype=torch.int64)
layout = [[T(0, 5), T(3, 8), T(10, 11)],     # shard 0: slices 1, 2, 3
          [T(1, 6), T(2, 7), T(12, 13)],     # shard 1
          [T(4, 9), T(14, 15), T(16, 17)]]   # shard 2
with forbid((sisa, "resume_stage")):
    got = resume_checkpoints(layout, T(8))
    assert got == {0: 1}, f"id 8 is in slice 2 of shard 0: restore checkpoint 1, got {got}"
    got = resume_checkpoints(layout, T(13, 4))
    assert got == {1: 2, 2: 0}, f"expected {{1: 2, 2: 0}}, got {got}"
    assert all(type(k) is int and type(v) is int for k, v in got.items()), "use plain Python ints"
    got = resume_checkpoints(layout, T(10, 8, 3))
    assert got == {0: 1}, f"ids 10, 8, 3 are in slices 3, 2, 2 of shard 0: the FIRST slice wins, got {got}"
print("visible tests passed")
### BEGIN HIDDEN TESTS
with forbid((sisa, "resume_stage")):
    # several ids in one shard: the earliest slice wins, whatever the order of the request
    assert resume_checkpoints(layout, T(11, 3, 10)) == {0: 1}, "several ids in one shard: the earliest slice wins"
    assert resume_checkpoints(layout, T(17, 9, 15)) == {2: 0}, "several ids in one shard: the earliest slice wins"
    # every shard
    assert resume_checkpoints(layout, T(10, 7, 16)) == {0: 2, 1: 1, 2: 2}, "a request touching every shard"
    # an unknown id is refused
    try:
        resume_checkpoints(layout, T(8, 99))
    except ValueError:
        pass
    else:
        raise AssertionError("an id in no slice must raise ValueError")
    # random layouts against a brute-force reference
    g = torch.Generator().manual_seed(7)
    for trial in range(30):
        S, R = int(torch.randint(1, 6, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g))
        perm = torch.randperm(S * R * 3, generator=g) + 1000
        lay = [[perm[(s * R + j) * 3:(s * R + j + 1) * 3] for j in range(R)] for s in range(S)]
        k = int(torch.randint(1, 6, (1,), generator=g))
        req = perm[torch.randperm(perm.numel(), generator=g)[:k]]
        want = {}
        for s in range(S):
            js = [j for j in range(R) if bool(torch.isin(lay[s][j], req).any())]
            if js:
                want[s] = min(js)
        assert resume_checkpoints(lay, req) == want, f"random layout {trial} (S={S}, R={R}, {k} ids): wrong checkpoints"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (3 points): forgetting rows from ridge regression's sufficient statistics
#
# Ridge regression with an unpenalised intercept keeps two sums: with $\tilde X = [X, \mathbf 1]$
# (a column of ones appended when `fit_intercept=True`, else $\tilde X = X$) and $P$ the identity with a
# 0 in the intercept's place,
# $$A = \tilde X^\top \tilde X + \lambda P, \qquad b = \tilde X^\top y, \qquad A\,w = b .$$
# The model is $w$: the first d entries are the coefficients, the last one the intercept.
#
# Write `ridge_forget(A, b, X_forget, y_forget, fit_intercept=True)`: given the float64 sums `A` `(p, p)`
# and `b` `(p,)` and the rows to forget, `X_forget` `(k, d)` and `y_forget` `(k,)`, return
# `(A_new, b_new, coef, intercept)`: the sums without those rows, the coefficients `(d,)` and the
# intercept (a float; `0.0` when `fit_intercept=False`). Do not change `A` and `b` in place. You are not
# given the rows that remain: the sums are all you need. Forgetting no rows (k = 0, `X_forget` of shape
# `(0, d)`) must work too: the sums stay as they were and you return the current model.
#
# You may not use `unlearnkit.exact.SummationRidge`.

# %% nbg="answer:task3"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    '''Forget rows from ridge regression's sums and solve again.

    Args:
        A: float64 (p, p), the penalised Gram matrix of the rows seen so far.
        b: float64 (p,), X~^T y of the rows seen so far.
        X_forget: (k, d) rows to forget; y_forget: (k,) their targets. k = 0 (shape (0, d)) is valid:
            nothing is forgotten and the result is the model of the current sums.
        fit_intercept: whether X~ has a column of ones appended (then p = d + 1, else p = d).

    Returns:
        (A_new, b_new, coef, intercept): new arrays (A and b unchanged), coef float64 (d,),
        intercept a float (0.0 without intercept).
    '''
    ### BEGIN SOLUTION
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([Z, np.ones((Z.shape[0], 1))])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A_new, b_new)
    if fit_intercept:
        return A_new, b_new, w[:-1], float(w[-1])
    return A_new, b_new, w, 0.0
    ### END SOLUTION


# %% nbg="tests:task3_tests:3"
def _sums(X, y, lam, fit_intercept=True):
    Z = np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X
    pen = np.ones(Z.shape[1])
    if fit_intercept:
        pen[-1] = 0.0
    return Z.T @ Z + lam * np.diag(pen), Z.T @ y


rng = np.random.default_rng(0)
X = rng.normal(size=(200, 5))
y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 4.0 + 0.1 * rng.normal(size=200)
A, b = _sums(X, y, lam=2.0)
A0, b0 = A.copy(), b.copy()
ref = Ridge(alpha=2.0).fit(X[20:], y[20:])                      # refit on the rows that remain
with forbid((exact, "SummationRidge")):
    A_new, b_new, coef, intercept = ridge_forget(A, b, X[:20], y[:20])
assert np.array_equal(A, A0) and np.array_equal(b, b0), "do not change A and b in place"
assert np.allclose(A_new, _sums(X[20:], y[20:], 2.0)[0], rtol=1e-10, atol=1e-10), "A_new is not the sum over the remaining rows"
assert np.allclose(coef, ref.coef_, rtol=1e-10, atol=1e-10), f"coefficients differ from a refit: {coef} vs {ref.coef_}"
assert abs(intercept - ref.intercept_) < 1e-9, f"intercept differs from a refit: {intercept} vs {ref.intercept_}"
# without an intercept: X~ = X, no column of ones, and the intercept is 0.0
A1, b1 = _sums(X, y, lam=0.5, fit_intercept=False)
with forbid((exact, "SummationRidge")):
    _, _, c1, i1 = ridge_forget(A1, b1, X[150:], y[150:], fit_intercept=False)
r1 = Ridge(alpha=0.5, fit_intercept=False).fit(X[:150], y[:150])
assert np.allclose(c1, r1.coef_, rtol=1e-10, atol=1e-10), "fit_intercept=False: coefficients differ from a refit"
assert i1 == 0.0, "fit_intercept=False: the intercept must be 0.0"
print("visible tests passed")
### BEGIN HIDDEN TESTS
with forbid((exact, "SummationRidge")):
    # no intercept, other rows
    _, _, c1, i1 = ridge_forget(A1, b1, X[:60], y[:60], fit_intercept=False)
    r1 = Ridge(alpha=0.5, fit_intercept=False).fit(X[60:], y[60:])
    assert np.allclose(c1, r1.coef_, rtol=1e-10, atol=1e-10) and i1 == 0.0, "fit_intercept=False: wrong model"
    # several requests in a row equal one refit; forgetting nothing changes nothing
    A2, b2 = A, b
    for lo in (0, 50, 100):
        A2, b2, c2, i2 = ridge_forget(A2, b2, X[lo:lo + 30], y[lo:lo + 30])
    keep = np.ones(200, dtype=bool); keep[[*range(0, 30), *range(50, 80), *range(100, 130)]] = False
    r2 = Ridge(alpha=2.0).fit(X[keep], y[keep])
    assert np.allclose(c2, r2.coef_, rtol=1e-9, atol=1e-10) and abs(i2 - r2.intercept_) < 1e-9, \
        "three requests in a row must equal one refit on what remains"
    A3, b3, c3, i3 = ridge_forget(A, b, X[:0], y[:0])
    r3 = Ridge(alpha=2.0).fit(X, y)
    assert np.allclose(A3, A) and np.allclose(b3, b), "k = 0: the sums must stay as they were"
    assert np.allclose(c3, r3.coef_, rtol=1e-10, atol=1e-10) and abs(i3 - r3.intercept_) < 1e-9, \
        "k = 0 rows: the model of the current sums"
    # a single row, more features than remaining rows (lam > 0 keeps A invertible)
    Xw = rng.normal(size=(8, 12)); yw = rng.normal(size=8)
    A4, b4 = _sums(Xw, yw, lam=1.0)
    _, _, c4, i4 = ridge_forget(A4, b4, Xw[:1], yw[:1])
    r4 = Ridge(alpha=1.0).fit(Xw[1:], yw[1:])
    assert np.allclose(c4, r4.coef_, rtol=1e-8, atol=1e-10) and abs(i4 - r4.intercept_) < 1e-8, \
        "one row forgotten, more features than rows: wrong model"
    assert isinstance(i4, float), "the intercept must be a Python float"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (2 points): majority vote with a tie rule
#
# SISA predicts by majority vote of its S shard models. Write `majority_vote(labels, num_classes)`:
# `labels` is an int64 tensor `(m, n)` (row i = model i's predicted label for each of n inputs, each in
# `0..num_classes-1`); return an int64 tensor `(n,)` with the label that most models chose for each input.
# **Ties go to the smallest tied label**, so the result never depends on the order of the models.
# With no inputs (n = 0, `labels` of shape `(m, 0)`) return an empty int64 tensor of shape `(0,)`.
#
# You may not call `unlearnkit.sisa.aggregate_votes` or `unlearnkit.sisa.vote_counts`.

# %% nbg="answer:task4"
def majority_vote(labels, num_classes):
    '''Majority vote of m models.

    Args:
        labels: int64 tensor (m, n), labels[i, t] = model i's label for input t, in 0..num_classes-1.
        num_classes: the number of classes.

    Returns:
        int64 tensor (n,): for each input the label most models chose; ties to the smallest label.
        n = 0 (labels of shape (m, 0)) gives an empty int64 tensor of shape (0,).
    '''
    ### BEGIN SOLUTION
    m, n = labels.shape
    counts = torch.zeros(n, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.t().long(), torch.ones(n, m, dtype=torch.int64))
    return counts.argmax(dim=1)   # argmax returns the first (smallest) of tied maxima
    ### END SOLUTION


# %% nbg="tests:task4_tests:2"
votes = torch.tensor([[1, 0, 2, 3],
                      [1, 2, 2, 0],
                      [0, 2, 1, 3]])
with forbid((sisa, "aggregate_votes"), (sisa, "vote_counts")):
    got = majority_vote(votes, 4)
assert isinstance(got, torch.Tensor) and got.dtype == torch.int64 and got.shape == (4,), "an int64 tensor (n,)"
assert got.tolist() == [1, 2, 2, 3], f"expected [1, 2, 2, 3], got {got.tolist()}"
with forbid((sisa, "aggregate_votes"), (sisa, "vote_counts")):
    tie = majority_vote(torch.tensor([[4], [1]]), 5)
assert tie.tolist() == [1], "a tie goes to the smallest tied label"
print("visible tests passed")
### BEGIN HIDDEN TESTS
with forbid((sisa, "aggregate_votes"), (sisa, "vote_counts")):
    g = torch.Generator().manual_seed(11)
    for trial in range(40):
        m = int(torch.randint(1, 8, (1,), generator=g)); n = int(torch.randint(1, 30, (1,), generator=g))
        C = int(torch.randint(2, 12, (1,), generator=g))
        lab = torch.randint(0, C, (m, n), generator=g)
        before = lab.clone()
        got = majority_vote(lab, C)
        assert torch.equal(lab, before), "do not change the input"
        for i in range(n):
            col = lab[:, i].tolist()
            best = max(col.count(v) for v in col)
            assert got[i].item() == min(v for v in col if col.count(v) == best), \
                f"votes {col}: wrong majority (ties go to the smallest label)"
        # the order of the models does not matter
        assert torch.equal(majority_vote(lab.flip(0), C), got), "the result must not depend on the order of the models"
    # one model: its labels; labels that never occur among classes; three-way tie
    assert majority_vote(torch.tensor([[3, 0, 9]]), 10).tolist() == [3, 0, 9], "one model: the vote is its labels"
    assert majority_vote(torch.tensor([[7, 2, 5]]).t(), 8).tolist() == [2], "a three-way tie goes to the smallest label"
    empty = majority_vote(torch.zeros(3, 0, dtype=torch.int64), 4)
    assert empty.shape == (0,) and empty.dtype == torch.int64, "n = 0 inputs: an empty int64 tensor (0,)"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task5_md"
# ## Task 5 (2 points): the expected speed-up of one request
#
# Assume every shard has R equal slices and that stage r (training on slices 1..r) costs a number of
# gradient evaluations proportional to r (it sees r slices for the same number of epochs). A request
# removes one example chosen uniformly at random: it lands in one of the S shards and, within it, in a
# slice j uniform in 1..R; that shard then retrains stages j..R, the other shards nothing.
#
# Write `expected_speedup(S, R)`: the cost of retraining every shard from scratch divided by the
# *expected* cost of one such request (a float). Derive it from the assumptions (you may check your
# closed form against a direct average over j).
#
# You may not call `unlearnkit.sisa.expected_speedup` or `unlearnkit.sisa.expected_request_cost`.

# %% nbg="answer:task5"
def expected_speedup(S, R):
    '''SISA's expected speed-up for one uniformly random request (S shards, R equal slices).

    Returns:
        float: (cost of retraining every shard from scratch) / (expected cost of the request).
    '''
    ### BEGIN SOLUTION
    # a shard's training costs sum_{r=1}^R r = R(R+1)/2; restarting at slice j costs sum_{r=j}^R r;
    # averaged over j this is (R+1)(2R+1)/6, i.e. a fraction (2R+1)/(3R) of the shard, 1/S of the total.
    return 3.0 * R * S / (2.0 * R + 1.0)
    ### END SOLUTION


# %% nbg="tests:task5_tests:2"
with forbid((sisa, "expected_speedup"), (sisa, "expected_request_cost")):
    assert math.isclose(expected_speedup(1, 1), 1.0), "one shard, one slice: a request retrains everything"
    assert math.isclose(expected_speedup(5, 1), 5.0), "without slices, S shards give a speed-up of S"
    assert math.isclose(expected_speedup(1, 2), 1.2), "S=1, R=2: costs 3 (j=1) or 2 (j=2) of 3, mean 5/6"
print("visible tests passed")
### BEGIN HIDDEN TESTS
with forbid((sisa, "expected_speedup"), (sisa, "expected_request_cost")):
    for S_ in (1, 2, 3, 7, 20, 100):
        for R_ in (1, 2, 3, 5, 10, 50):
            stage = [Fraction(r) for r in range(1, R_ + 1)]
            shard = sum(stage)
            mean_cost = sum(sum(stage[j:]) for j in range(R_)) / R_ / S_
            want = float(shard / mean_cost)
            got = expected_speedup(S_, R_)
            assert isinstance(got, float) and math.isclose(got, want, rel_tol=1e-12), \
                f"expected_speedup({S_}, {R_}) = {got}: wrong (or not a float)"
    # slicing alone never gives more than 1.5x
    assert expected_speedup(1, 10_000) < 1.5, "slicing alone (S = 1) never gives more than 1.5x"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task6_md"
# ## Task 6 (3 points, written): when is SISA not worth it?
#
# In at most 150 words: describe two situations in which a provider should *not* use SISA for exact
# unlearning (or would gain little from it), and say for each what you would measure to decide. Use what
# lecture 02 measured.

# %% [markdown] nbg="written:task6:3"
# ### BEGIN SOLUTION
# **Model answer.** (1) *When sharding costs too much accuracy.* Each shard model sees n/S examples; on
# a hard task (MNIST-1D in lecture 02 fell from about 0.58 with one model to about 0.36 with S = 20) the
# ensemble is much worse than one model. Measure test accuracy against S, next to the single-model
# baseline, before choosing S. (2) *When requests come in large batches or many at a time.* A batch of
# K requests touches a fraction $1-(1-1/S)^K$ of the shards and, within each, almost surely slice 1, so
# for K well above S the cost approaches a full retrain. Measure the rate of requests per retraining
# window, or the cost of a real batch with `plan`. Other valid points: the learner is in summation form
# or cheap to retrain; S x R checkpoints of storage and S forward passes per prediction; the goal is to
# suppress an output that duplicates still teach.
#
# **Rubric (3 points).** 1 point for each of two distinct, correct situations with the mechanism
# (why the gain or the accuracy goes away); 1 point for saying what to measure (accuracy vs S with a
# baseline, request rate or batch size vs S, storage or inference cost). No point for "SISA is slow" or
# claims that SISA is approximate (it is exact).
# ### END SOLUTION
