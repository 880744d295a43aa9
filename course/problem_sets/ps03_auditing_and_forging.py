# Source of solutions/ps03_auditing_and_forging/ps03_auditing_and_forging.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 03 · Auditing and forging
#
# This problem set goes with lecture 03. You will
# 1. check whether a least-squares fit is unchanged when some points are removed,
# 2. build three "twin" points that no squared-loss gradient can tell from three given ones,
# 3. write the closest-batch forging step of Thudi et al. (USENIX Security 2022),
# 4. replay a training log and find the first checkpoint where a tampered log diverges,
# 5. explain, in a short written answer, what an auditor can conclude.
#
# Each task says which ready-made function of `unlearnkit.forging` you may *not* call (the tests
# switch it off). Everything else (numpy, torch, the rest of `unlearnkit`) is allowed.
#
# Points: 3 + 3 + 4 + 4 autograded, 4 written. Nothing here trains for more than a few steps.

# %% nbg="setup:setup"
import copy
import os
import warnings

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

from unittest import mock

import numpy as np
import torch

from unlearnkit import data, forging, models, training

SEED = 0
torch.manual_seed(SEED)
# a small logged training run, used by task 4
blobs = data.make_blobs(120, centers=3, seed=SEED)
config = training.TrainConfig(optimizer="sgd", lr=0.2, batch_size=16, steps=12, seed=SEED)
init = models.mlp(2, 3, hidden=8, seed=SEED)
log = forging.record_training(copy.deepcopy(init), blobs, config)
print(f"a log of {log.steps} steps; checkpoint 0 hash {log.hashes[0][:12]}...")


# %% [markdown] nbg="locked:task1"
# ## Task 1 (3 points): is the fit unchanged after removing some points?
#
# Least squares with a bias fits $\hat\theta = (w, b)$ minimising $\sum_i (t_i - w^\top x_i - b)^2$.
# Write `fit_unchanged_after_removal(X, t, remove, tol=1e-9)`:
#
# - `X`: float array `(n, d)`; `t`: float array `(n,)`; `remove`: boolean array `(n,)`, the points to
#   remove.
# - Fit all `n` points, then only the points with `remove == False`, both with a bias term, in
#   float64. Return `True` when every coefficient (the `d` weights and the bias) differs by at most
#   `tol`, else `False` (a Python `bool`).
# - If the points left cannot determine a unique fit (fewer than `d + 1` linearly independent rows
#   of `[X, 1]`; this includes removing every point), raise `ValueError` with the word `remove` in
#   the message.
#
# Do not call `forging.least_squares` or `forging.refit_change`. `np.linalg.lstsq` and
# `np.linalg.matrix_rank` are fine.

# %% nbg="answer:fit_unchanged"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    """Return True if the least-squares fit (with bias) of (X, t) moves by at most tol when the
    rows where remove is True are dropped; raise ValueError (mentioning remove) when the rest has
    no unique fit."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    remove = np.asarray(remove, dtype=bool)
    A = np.c_[X, np.ones(len(X))]
    keep = ~remove
    if keep.sum() == 0 or np.linalg.matrix_rank(A[keep]) < A.shape[1]:
        raise ValueError("remove leaves too few independent points for a unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[keep], t[keep], rcond=None)[0]
    return bool(np.max(np.abs(full - rest)) <= tol)
    ### END SOLUTION


# %% nbg="tests:test_fit_unchanged:3"
_off = dict(side_effect=AssertionError("do not call forging.least_squares / forging.refit_change"))
with mock.patch.object(forging, "least_squares", **_off), mock.patch.object(forging, "refit_change", **_off):
    _rng = np.random.default_rng(0)
    _x = _rng.uniform(-3, 3, 20)
    _t = 2 * _x + 1 + 0.5 * _rng.standard_normal(20)
    _A = np.c_[_x, np.ones(20)]
    _w, _b = np.linalg.lstsq(_A, _t, rcond=None)[0]
    _X_on = np.r_[_x, 0.7][:, None]                # one extra point exactly on the fitted line
    _t_on = np.r_[_t, _w * 0.7 + _b]
    _mask = np.zeros(21, dtype=bool); _mask[-1] = True
    assert fit_unchanged_after_removal(_X_on, _t_on, _mask) is True, "removing an on-line point keeps the fit"
    _t_off = np.r_[_t, _w * 0.7 + _b + 2.0]        # the same x, 2 units above the line
    assert fit_unchanged_after_removal(_X_on, _t_off, _mask) is False, "removing an off-line point moves the fit"
### BEGIN HIDDEN TESTS
with mock.patch.object(forging, "least_squares", **_off), mock.patch.object(forging, "refit_change", **_off):
    _X2 = _rng.normal(size=(30, 2))
    _t2 = _X2 @ np.array([1.5, -0.5]) + 0.3 + 0.2 * _rng.normal(size=30)
    _th = np.linalg.lstsq(np.c_[_X2, np.ones(30)], _t2, rcond=None)[0]
    _Xn = _rng.normal(size=(3, 2))
    _Xa = np.r_[_X2, _Xn]
    _ta = np.r_[_t2, _Xn @ _th[:2] + _th[2]]
    _m = np.r_[np.zeros(30, bool), np.ones(3, bool)]
    assert fit_unchanged_after_removal(_Xa, _ta, _m) is True, "three on-plane points in 2-D"
    _m2 = _m.copy(); _m2[0] = True
    assert fit_unchanged_after_removal(_Xa, _ta, _m2) is False, "an ordinary (off-plane) point as well"
    assert fit_unchanged_after_removal(_Xa, _ta, np.zeros(33, bool)) is True, "removing nothing"
    assert fit_unchanged_after_removal(_Xa, _ta, _m2, tol=10.0) is True, "tol is respected"
    for _bad in (np.ones(33, bool), np.r_[np.ones(31, bool), np.zeros(2, bool)]):
        try:
            fit_unchanged_after_removal(_Xa, _ta, _bad)
        except ValueError as _e:
            assert "remove" in str(_e), "the error message names remove"
        else:
            raise AssertionError("too few points left must raise ValueError")
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2"
# ## Task 2 (3 points): twin points
#
# For squared loss on a linear model with bias, a batch's mean gradient sees the points
# $z_i = (x_i, y_i)$ only through $\sum_i z_i$ and $\sum_i z_i z_i^\top$ (and the batch size).
# Write `twin_triple(Z, angle)`:
#
# - `Z`: float64 tensor `(3, m)`, three points as rows; `angle`: a float in radians.
# - Return `Q @ Z` (float64, `(3, m)`) where `Q` is the rotation by `angle` about the all-ones
#   vector $\mathbf 1 = (1, 1, 1)$: an orthogonal matrix with $Q\mathbf 1 = \mathbf 1$ that turns the
#   plane orthogonal to $\mathbf 1$ by `angle`. Then the three new points have the same sum and the
#   same sum of outer products as the old ones. `angle = 0` must return `Z` unchanged.
# - Raise `ValueError` with the word `Z` in the message if `Z` does not have exactly 3 rows.
#
# - Use this basis of the plane orthogonal to $\mathbf 1$ and this direction of turning (the
#   tests check it): $u_1 = (1, -1, 0)/\sqrt2$, $u_2 = (1, 1, -2)/\sqrt6$, and a positive `angle`
#   $\phi$ turns $u_1$ towards $u_2$, that is $Qu_1 = \cos\phi\,u_1 + \sin\phi\,u_2$ and
#   $Qu_2 = \cos\phi\,u_2 - \sin\phi\,u_1$. (Swapping $u_1$ and $u_2$ gives the rotation by
#   $-\phi$: it also keeps the sums, but it is not the answer asked for.)
#
# Hint: with that basis,
# $Q = \tfrac13\mathbf 1\mathbf 1^\top + \cos\phi\,(u_1u_1^\top + u_2u_2^\top) + \sin\phi\,(u_2u_1^\top - u_1u_2^\top)$.
# Do not call `forging.twin_points`.

# %% nbg="answer:twin_triple"
def twin_triple(Z, angle):
    """Return Q @ Z (float64, (3, m)) for Q the rotation by angle about (1, 1, 1); raise ValueError
    (mentioning Z) unless Z has 3 rows."""
    ### BEGIN SOLUTION
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    one = torch.ones(3, dtype=torch.float64)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2 ** 0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6 ** 0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (torch.outer(one, one) / 3 + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
         + s * (torch.outer(u2, u1) - torch.outer(u1, u2)))
    return Q @ Z
    ### END SOLUTION


# %% nbg="tests:test_twin_triple:3"
with mock.patch.object(forging, "twin_points", side_effect=AssertionError("do not call forging.twin_points")):
    _Z = torch.tensor([[-1.0, -1.2], [0.5, 2.1], [2.0, 4.8]], dtype=torch.float64)
    _T = twin_triple(_Z, 1.0)
    assert _T.shape == (3, 2) and _T.dtype == torch.float64
    assert torch.allclose(_T.sum(0), _Z.sum(0), atol=1e-12), "same sum"
    assert torch.allclose(_T.T @ _T, _Z.T @ _Z, atol=1e-12), "same sum of outer products"
    assert (_T - _Z).abs().max() > 0.1, "the twins must be new points"
    assert torch.allclose(twin_triple(_Z, 0.0), _Z, atol=1e-12), "angle 0 must return Z unchanged"
    _u1 = torch.tensor([[1.0], [-1.0], [0.0]], dtype=torch.float64) / 2 ** 0.5
    _u2 = torch.tensor([[1.0], [1.0], [-2.0]], dtype=torch.float64) / 6 ** 0.5
    assert torch.allclose(twin_triple(_u1, 0.3), np.cos(0.3) * _u1 + np.sin(0.3) * _u2, atol=1e-12), \
        "orientation: Q u1 must be cos(angle) u1 + sin(angle) u2 (a positive angle turns u1 towards u2)"
### BEGIN HIDDEN TESTS
with mock.patch.object(forging, "twin_points", side_effect=AssertionError("do not call forging.twin_points")):
    _Z3 = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for _a in (0.3, 2.0, -1.1):
        _T3 = twin_triple(_Z3, _a)
        assert torch.allclose(_T3.sum(0), _Z3.sum(0), atol=1e-12)
        assert torch.allclose(_T3.T @ _T3, _Z3.T @ _Z3, atol=1e-12)
    _R = twin_triple(torch.eye(3, dtype=torch.float64), 0.8)      # Q itself
    assert torch.allclose(_R @ _R.T, torch.eye(3, dtype=torch.float64), atol=1e-12), "Q is orthogonal"
    assert torch.allclose(twin_triple(_Z, 0.5), forging._rotation_fixing_ones(0.5) @ _Z, atol=1e-12), "rotation by +angle"
    for _bad in (torch.zeros(2, 2, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64)):
        try:
            twin_triple(_bad, 1.0)
        except ValueError as _e:
            assert "Z" in str(_e)
        else:
            raise AssertionError("Z without 3 rows must raise ValueError")
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3"
# ## Task 3 (4 points): the closest-batch forging step
#
# At a step whose batch $B$ touches the forget set, the forger draws $M$ candidate batches from
# $D \setminus S$ and keeps the one whose plain-SGD update is closest to the true one. From the same
# weights, the distance between the two updates is $\eta\,\lVert g_B - g_C\rVert_2$, where $g_C$ is the
# mean of the per-example gradients of the candidate's examples.
#
# Write `closest_batch_step(pool_grads, batch_grad, candidates, lr)`:
#
# - `pool_grads`: float tensor `(N, P)`, the per-example gradients of the pool (row `j` = example `j`);
# - `batch_grad`: float tensor `(P,)`, the true batch's mean gradient;
# - `candidates`: int64 tensor `(M, b)`, each row the pool rows of one candidate batch;
# - `lr`: the learning rate $\eta > 0$.
# - Return `(best, errors)`: `errors` a float64 tensor `(M,)` with
#   `errors[i]` $= \eta\,\lVert g_B - \frac1b\sum_{j\in C_i} g_j\rVert_2$, and `best` the (Python
#   `int`) index of the smallest error (the first one on ties).
# - Raise `ValueError` with the word `candidates` in the message if there are no candidates
#   (`M < 1`) or `candidates` is not two-dimensional.
#
# Do not call `forging.closest_batch` or `forging.forge_log`. Vectorise: `M` may be in the hundreds.

# %% nbg="answer:closest_batch_step"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    """Return (best index as int, float64 errors (M,)) where errors[i] = lr * ||batch_grad - mean of
    pool_grads[candidates[i]]||; raise ValueError (mentioning candidates) when there are none."""
    ### BEGIN SOLUTION
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}")
    G = pool_grads.double()
    means = G[candidates].mean(dim=1)
    errors = lr * (means - batch_grad.double()).norm(dim=1)
    return int(errors.argmin()), errors
    ### END SOLUTION


# %% nbg="tests:test_closest_batch_step:4"
_off = dict(side_effect=AssertionError("do not call forging.closest_batch / forging.forge_log"))
with mock.patch.object(forging, "closest_batch", **_off), mock.patch.object(forging, "forge_log", **_off):
    _g = torch.Generator().manual_seed(3)
    _G = torch.randn(50, 7, generator=_g)
    _C = torch.stack([torch.randperm(50, generator=_g)[:5] for _ in range(20)])
    _gB = _G[:5].mean(0) + 0.01
    _best, _err = closest_batch_step(_G, _gB, _C, 0.1)
    _ref = torch.stack([0.1 * (_G[c].double().mean(0) - _gB.double()).norm() for c in _C])
    assert _err.shape == (20,) and _err.dtype == torch.float64
    assert torch.allclose(_err, _ref, atol=1e-6), "errors[i] = lr * ||g_B - mean of the candidate's gradients||"
    assert isinstance(_best, int) and _best == int(_ref.argmin())
    assert closest_batch_step(_G, _gB, torch.stack([_C[1], _C[1]]), 0.1)[0] == 0, "the first index on ties"
    for _bad in (torch.empty(0, 5, dtype=torch.int64), torch.arange(5)):
        try:
            closest_batch_step(_G, _gB, _bad, 0.1)
        except ValueError as _e:
            assert "candidates" in str(_e), "the error message names candidates"
        else:
            raise AssertionError("no candidates, or a 1-D candidates, must raise ValueError")
### BEGIN HIDDEN TESTS
with mock.patch.object(forging, "closest_batch", **_off), mock.patch.object(forging, "forge_log", **_off):
    _C2 = torch.cat([_C, torch.arange(5).unsqueeze(0), _C[:3]])  # row 20 is the true batch itself
    _best2, _err2 = closest_batch_step(_G, _G[:5].mean(0), _C2, 0.5)
    assert _best2 == 20 and float(_err2[20]) < 1e-6, "an identical batch has error 0"
    _b1, _e1 = closest_batch_step(_G, _gB, _C, 1.0)
    assert torch.allclose(_e1, _err * 10, atol=1e-6), "errors scale with lr"
    _b3, _e3 = closest_batch_step(_G, _gB, _C[:1], 0.1)
    assert _b3 == 0 and _e3.shape == (1,)
    _tie = torch.stack([_C[0], _C[0]])
    assert closest_batch_step(_G, _gB, _tie, 0.1)[0] == 0, "first index on ties"
    assert closest_batch_step(_G, _gB, torch.stack([_C[4], _C[2], _C[2]]), 0.1)[0] == int(_ref[[4, 2]].argmin())
    try:
        closest_batch_step(_G, _gB, torch.zeros(2, 3, 5, dtype=torch.int64), 0.1)
    except ValueError as _e3d:
        assert "candidates" in str(_e3d), "a 3-D candidates: the message names candidates"
    else:
        raise AssertionError("a 3-D candidates must raise ValueError")
    # on a real model: agrees with the library's per-example gradients and a real SGD step
    _net = models.mlp(2, 3, hidden=8, seed=1)
    _pool = blobs.ids[10:]
    _PG = forging.per_example_grads(_net, blobs, _pool, config)
    _true = blobs.ids[:16]
    _gt = forging.per_example_grads(_net, blobs, _true, config).mean(0)
    _cand = torch.stack([torch.randperm(len(_pool), generator=_g)[:16] for _ in range(64)])
    _bb, _ee = closest_batch_step(_PG, _gt, _cand, config.lr)
    def _after(ids):
        m = copy.deepcopy(_net); o = training.make_optimizer(m.parameters(), config)
        forging.batch_loss(m, blobs, ids, config).backward(); o.step()
        return torch.cat([p.detach().reshape(-1) for p in m.parameters()]).double()
    assert abs(float((_after(_true) - _after(_pool[_cand[_bb]])).norm()) - float(_ee[_bb])) < 1e-5
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4"
# ## Task 4 (4 points): replay a training log
#
# The setup cell recorded `log = forging.record_training(copy.deepcopy(init), blobs, config)`: a
# `forging.TrainingRecord` with `log.config`, `log.batches` (step `t` trains on `log.batches[t-1]`)
# and `log.hashes` (`log.hashes[t]` is the hash of the weights after step `t`; `log.hashes[0]` of
# the initial model).
#
# Write `first_divergence(model, data, record)`:
#
# - work on a copy of `model` (the caller's model must not change);
# - if the copy's hash (`forging.state_hash`) differs from `record.hashes[0]`, return `0`;
# - make one optimiser with `training.make_optimizer(copy.parameters(), record.config)`, and for
#   each step `t = 1, 2, ...`: `zero_grad()`, `forging.batch_loss(copy, data, record.batches[t-1],
#   record.config).backward()`, `step()`, then compare the hash with `record.hashes[t]`; return the
#   first `t` that differs;
# - return `None` if every checkpoint matches.
#
# Do not call `forging.replay`, `forging.train_on_batches` or `training.fit`.

# %% nbg="answer:first_divergence"
def first_divergence(model, data, record):
    """Return the first checkpoint t (0 = initial model) whose replayed hash differs from
    record.hashes[t], or None when the whole log replays exactly. model is not changed."""
    ### BEGIN SOLUTION
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    m.train()
    for t, ids in enumerate(record.batches, start=1):
        opt.zero_grad()
        forging.batch_loss(m, data, ids, record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None
    ### END SOLUTION


# %% nbg="tests:test_first_divergence:4"
_off = dict(side_effect=AssertionError("do not call forging.replay / train_on_batches / training.fit"))
with mock.patch.object(forging, "replay", **_off), mock.patch.object(forging, "train_on_batches", **_off), \
     mock.patch.object(training, "fit", **_off):
    assert first_divergence(init, blobs, log) is None, "the honest log replays exactly"
    _bad = log.with_batch(5, log.batches[5])        # step 5 now claims step 6's batch
    assert first_divergence(init, blobs, _bad) == 5
    _other = models.mlp(2, 3, hidden=8, seed=SEED + 1)
    assert first_divergence(_other, blobs, log) == 0, "a different initial model diverges at checkpoint 0"
### BEGIN HIDDEN TESTS
from dataclasses import replace as _replace
with mock.patch.object(forging, "replay", **_off), mock.patch.object(forging, "train_on_batches", **_off), \
     mock.patch.object(training, "fit", **_off):
    _h0 = forging.state_hash(init)
    assert first_divergence(models.mlp(2, 3, hidden=8, seed=SEED + 7), blobs, log) == 0, "wrong initial model"
    assert forging.state_hash(init) == _h0, "the caller's model must not change"
    _hs = list(log.hashes); _hs[3] = "0" * 64
    assert first_divergence(init, blobs, _replace(log, hashes=_hs)) == 3, "a tampered hash"
    _b1 = log.batches[0]
    assert first_divergence(init, blobs, log.with_batch(1, _b1[1:])) == 1, "an example dropped at step 1"
    _short = _replace(log, batches=log.batches[:4], hashes=log.hashes[:5])
    assert first_divergence(init, blobs, _short) is None, "a shorter honest log"
### END HIDDEN TESTS

# %% [markdown] nbg="written:written_audit:4"
# ## Task 5 (4 points, written): what can an auditor conclude?
#
# A company receives your erasure request for a set S of your examples. A month later it sends you
# (a) the weights of its new model and (b) a statement that "the new model is within distance
# $\epsilon$ of a model retrained without S". In 6 to 10 sentences: what can you conclude from (a)
# and (b)? Use least squares (task 1) and the twin construction (task 2) in your argument. Then say
# what the company should give you instead so that its claim can be checked, what you would do
# with it, and one thing that even this cannot prove.
#
# ### BEGIN SOLUTION
# **Model answer.** From the weights alone nothing follows about S: different training sets can
# produce the very same weights. In least squares, points on the fitted line can be removed without
# changing the fit at all (task 1), so the model trained with S *is* a model trained without S; with
# twin points (task 2) a whole SGD run on D is reproduced, step by step, by batches of D \ S. So
# "within $\epsilon$ of a retrained model" can be true of a model that was never unlearned, and no
# test on the weights can refute it. What can be checked is a claim about the algorithm that ran:
# the initial model (or its seed), the configuration, the seed of the data order, the list of
# batches and a hash of every checkpoint, committed before the request (or, for SISA, the shard's
# checkpoint and the retraining log). I would replay the log on D \ S: every checkpoint must match its
# hash, no batch may contain S, and the batches must be the ones the seed prescribes (hand-picked
# batches, as in forging, fail that check), and the final hash must be the deployed model's.
# Even then the replay cannot show that the deployed model is the only copy, that S was not used
# elsewhere (a teacher model, a data set derived from S), or what the model "knows"; and an
# approximate method gives no replayable claim at all.
#
# **Rubric (4 points).**
# - 1 point: weights alone cannot show that S was removed, because different data can give the
#   same weights (forging).
# - 1 point: uses task 1 and/or task 2 correctly (on-line points leave the fit unchanged; twin
#   batches give the same gradients, hence the same SGD steps).
# - 1 point: asks for a replayable log of an exact algorithm (seed, batches, checkpoint hashes;
#   retraining or SISA) and says how to check it (replay, no S in batches, seeded order, final hash).
# - 1 point: names a real limit of the replay (commitment before the request, other copies or
#   derived data, approximate methods, what the model knows).
# ### END SOLUTION
