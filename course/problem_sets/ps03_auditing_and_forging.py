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
# Each task says which function of `unlearnkit` it mirrors (its *library twin*) and which ready-made
# functions you may *not* call (the tests switch them off). Where a task asks for something the twin
# does not do (say, another check or another precision), read the task: a copy of the library's code
# loses the points. Everything else (numpy, torch, the rest of `unlearnkit`) is allowed.
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
#   remove. Leave the three arrays as they are (work on copies if you need to change them).
# - Fit all `n` points, then only the points with `remove == False`, both with a bias term, in
#   float64. Return `True` when every coefficient (the `d` weights *and* the bias) differs by at most
#   `tol` in absolute value, else `False` (a Python `bool`). The tolerance is absolute only:
#   `np.allclose(a, b, atol=tol)` also adds its default relative tolerance `rtol=1e-5`, which lets a
#   coefficient of 1000 move by 0.01.
# - Removing nothing (`remove` all `False`) is allowed: the fit does not change, so return `True`.
# - If the points left cannot determine a unique fit (fewer than `d + 1` linearly independent rows
#   of `[X, 1]`: this includes removing every point, and keeping several points that share one x),
#   raise `ValueError` with the word `remove` in the message.
#
# Library twin: this mirrors `forging.refit_change` (which takes a Dataset and ids, returns the
# size of the change, and refuses an empty removal). Do not call `forging.least_squares` or
# `forging.refit_change`. `np.linalg.lstsq` and `np.linalg.matrix_rank` are fine.


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


# %% nbg="wrong:fit_unchanged:allclose_rtol"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # np.allclose with atol=tol keeps its default rtol=1e-5: large coefficients may move far more
    # than tol
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    remove = np.asarray(remove, dtype=bool)
    A = np.c_[X, np.ones(len(X))]
    keep = ~remove
    if keep.sum() == 0 or np.linalg.matrix_rank(A[keep]) < A.shape[1]:
        raise ValueError("remove leaves too few independent points for a unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[keep], t[keep], rcond=None)[0]
    return bool(np.allclose(full, rest, rtol=1e-5, atol=tol))


# %% nbg="wrong:fit_unchanged:ignores_bias_change"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # fits with a bias but compares only the weights: a removal that moves only the bias slips
    # through
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    remove = np.asarray(remove, dtype=bool)
    A = np.c_[X, np.ones(len(X))]
    keep = ~remove
    if keep.sum() == 0 or np.linalg.matrix_rank(A[keep]) < A.shape[1]:
        raise ValueError("remove leaves too few independent points for a unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[keep], t[keep], rcond=None)[0]
    return bool(np.max(np.abs(full[:-1] - rest[:-1])) <= tol)


# %% nbg="wrong:fit_unchanged:no_bias_column"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # forgets the column of ones: fits lines through the origin
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    keep = ~np.asarray(remove, dtype=bool)
    if keep.sum() == 0 or np.linalg.matrix_rank(X[keep]) < X.shape[1]:
        raise ValueError("remove leaves too few independent points for a unique fit")
    full = np.linalg.lstsq(X, t, rcond=None)[0]
    rest = np.linalg.lstsq(X[keep], t[keep], rcond=None)[0]
    return bool(np.max(np.abs(full - rest)) <= tol)


# %% nbg="wrong:fit_unchanged:counts_rows_not_rank"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # checks that d + 1 points are left, not that they are linearly independent
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    remove = np.asarray(remove, dtype=bool)
    A = np.c_[X, np.ones(len(X))]
    keep = ~remove
    if keep.sum() < A.shape[1]:
        raise ValueError("remove leaves fewer than d + 1 points")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[keep], t[keep], rcond=None)[0]
    return bool(np.max(np.abs(full - rest)) <= tol)


# %% nbg="wrong:fit_unchanged:float32_fit"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # solves in float32 (the task asks for float64): rounding alone moves the fit by about 1e-7
    X = np.asarray(X, dtype=np.float32)
    t = np.asarray(t, dtype=np.float32)
    remove = np.asarray(remove, dtype=bool)
    A = np.c_[X, np.ones(len(X), dtype=np.float32)]
    keep = ~remove
    if keep.sum() == 0 or np.linalg.matrix_rank(A[keep]) < A.shape[1]:
        raise ValueError("remove leaves too few independent points for a unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[keep], t[keep], rcond=None)[0]
    return bool(np.max(np.abs(full - rest)) <= tol)


# %% nbg="wrong:fit_unchanged:centres_in_place"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # centres X and t in place to get rid of the bias: right answer, but the caller's arrays change
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    keep = ~np.asarray(remove, dtype=bool)
    if (
        keep.sum() == 0
        or np.linalg.matrix_rank(np.c_[X[keep], np.ones(keep.sum())]) < X.shape[1] + 1
    ):
        raise ValueError("remove leaves too few independent points for a unique fit")

    def fit(Xs, ts):  # slope from centred data, bias from the means
        mx, mt = Xs.mean(0), ts.mean()
        Xs -= mx
        ts -= mt
        w = np.linalg.lstsq(Xs, ts, rcond=None)[0]
        return np.r_[w, mt - mx @ w]

    rest = fit(X[keep], t[keep])  # fancy indexing copies: fine
    full = fit(X, t)  # but these are the caller's arrays
    return bool(np.max(np.abs(full - rest)) <= tol)


# %% nbg="wrong:fit_unchanged:residuals_only"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # "unchanged iff every removed point lies on the full fit": right for one point, not for several
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    remove = np.asarray(remove, dtype=bool)
    A = np.c_[X, np.ones(len(X))]
    if (~remove).sum() == 0 or np.linalg.matrix_rank(A[~remove]) < A.shape[1]:
        raise ValueError("remove leaves too few independent points for a unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    return bool(np.all(np.abs((t - A @ full)[remove]) <= tol))


# %% nbg="alt:fit_unchanged:normal_equations"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    X = np.array(X, dtype=np.float64).reshape(len(X), -1)
    t = np.array(t, dtype=np.float64)
    rows = [i for i in range(len(X)) if not remove[i]]

    def fit(idx):
        A = np.column_stack([X[idx], np.ones(len(idx))])
        if len(idx) == 0 or np.linalg.matrix_rank(A) < A.shape[1]:
            raise ValueError("the points left after remove do not determine a unique fit")
        return np.linalg.solve(A.T @ A, A.T @ t[idx])

    rest = fit(rows)
    full = fit(list(range(len(X))))
    return bool(max(abs(a - b) for a, b in zip(full, rest)) <= tol)


# %% nbg="twin:fit_unchanged:fails"
def _least_squares(X, t):
    # forging.least_squares, copied (arrays instead of a Dataset)
    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    if A.shape[0] == 0 or int(torch.linalg.matrix_rank(A)) < A.shape[1]:
        raise ValueError(
            f"too few independent points ({len(X)}) for a unique fit of {A.shape[1]} coefficients"
        )
    return torch.linalg.lstsq(A, t.unsqueeze(1), driver="gelsd").solution.squeeze(1)


def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # forging.refit_change, copied and renamed: it refuses an empty removal
    X = torch.as_tensor(np.asarray(X, dtype=np.float64))
    t = torch.as_tensor(np.asarray(t, dtype=np.float64))
    remove = torch.as_tensor(np.asarray(remove, dtype=bool))
    if int(remove.sum()) == 0:
        raise ValueError("remove is empty: nothing to remove")
    if int(remove.sum()) == len(X):
        raise ValueError("remove covers the whole data set: nothing is left to fit")
    try:
        after = _least_squares(X[~remove], t[~remove])
    except ValueError as err:
        raise ValueError(f"remove leaves too little data for a unique fit: {err}") from None
    return float((_least_squares(X, t) - after).abs().max()) <= tol


# %% nbg="wrong:fit_unchanged:relative_tolerance"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # reads tol as relative to the size of the coefficients: large coefficients may move by far more
    # than tol
    X = np.asarray(X, float)
    t = np.asarray(t, float)
    remove = np.asarray(remove, bool)
    A = np.c_[X, np.ones(len(X))]
    if np.linalg.matrix_rank(A[~remove]) < A.shape[1]:
        raise ValueError("remove leaves no unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[~remove], t[~remove], rcond=None)[0]
    return bool(np.linalg.norm(full - rest) <= tol * np.linalg.norm(full))


# %% nbg="wrong:fit_unchanged:empty_removal_refused"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # refuses an empty removal (as the library's refit_change does); the task says return True
    X = np.asarray(X, float)
    t = np.asarray(t, float)
    remove = np.asarray(remove, bool)
    if not remove.any():
        raise ValueError("remove must select at least one point")
    A = np.c_[X, np.ones(len(X))]
    if np.linalg.matrix_rank(A[~remove]) < A.shape[1]:
        raise ValueError("remove leaves no unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[~remove], t[~remove], rcond=None)[0]
    return bool(np.max(np.abs(full - rest)) <= tol)


# %% nbg="wrong:fit_unchanged:rank_without_bias_column"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    # fits with a bias but checks the rank of X alone: points that share one x pass the check
    X = np.asarray(X, float)
    t = np.asarray(t, float)
    remove = np.asarray(remove, bool)
    if (~remove).sum() == 0 or np.linalg.matrix_rank(X[~remove]) < X.shape[1]:
        raise ValueError("remove leaves no unique fit")
    A = np.c_[X, np.ones(len(X))]
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A[~remove], t[~remove], rcond=None)[0]
    return bool(np.max(np.abs(full - rest)) <= tol)


# %% nbg="alt:fit_unchanged:fresh_student"
def fit_unchanged_after_removal(X, t, remove, tol=1e-9):
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    remove = np.asarray(remove, dtype=bool)
    A = np.c_[X, np.ones(X.shape[0])]
    A_rest, t_rest = A[~remove], t[~remove]
    if A_rest.shape[0] == 0 or np.linalg.matrix_rank(A_rest) < A.shape[1]:
        raise ValueError("remove leaves points that do not determine a unique fit")
    full = np.linalg.lstsq(A, t, rcond=None)[0]
    rest = np.linalg.lstsq(A_rest, t_rest, rcond=None)[0]
    return bool(np.max(np.abs(full - rest)) <= tol)


# %% nbg="tests:test_fit_unchanged:3"
_off = dict(side_effect=AssertionError("do not call forging.least_squares / forging.refit_change"))
with (
    mock.patch.object(forging, "least_squares", **_off),
    mock.patch.object(forging, "refit_change", **_off),
):
    _rng = np.random.default_rng(0)
    _x = _rng.uniform(-3, 3, 20)
    _t = 2 * _x + 1 + 0.5 * _rng.standard_normal(20)
    _A = np.c_[_x, np.ones(20)]
    _w, _b = np.linalg.lstsq(_A, _t, rcond=None)[0]
    _X_on = np.r_[_x, 0.7][:, None]  # one extra point exactly on the fitted line
    _t_on = np.r_[_t, _w * 0.7 + _b]
    _mask = np.zeros(21, dtype=bool)
    _mask[-1] = True
    _before = (_X_on.copy(), _t_on.copy(), _mask.copy())
    _got = fit_unchanged_after_removal(_X_on, _t_on, _mask)
    assert _got is True, (
        f"removing a point on the fitted line keeps the fit: expected True (a Python bool), got "
        f"{_got!r}"
    )
    assert all(np.array_equal(a, b) for a, b in zip((_X_on, _t_on, _mask), _before)), (
        "X, t and remove must be left as they were (work on copies)"
    )
    _t_off = np.r_[_t, _w * 0.7 + _b + 2.0]  # the same x, 2 units above the line
    assert fit_unchanged_after_removal(_X_on, _t_off, _mask) is False, (
        "removing an off-line point moves the fit"
    )
    # a point at the mean x, 1 above the line: the slope stays, only the bias moves (by 1/21)
    _X_mid = np.r_[_x, _x.mean()][:, None]
    _t_mid = np.r_[_t, _w * _x.mean() + _b + 1.0]
    assert fit_unchanged_after_removal(_X_mid, _t_mid, _mask) is False, (
        "a removal that moves only the bias changes the fit: the bias is a coefficient too"
    )
    # large coefficients (about 2000 and 1000): a point 0.01 off the line moves the bias by about
    # 5e-4 > tol
    _t_big = np.r_[1000 * _t, 1000 * (_w * 0.7 + _b) + 0.01]
    assert fit_unchanged_after_removal(_X_on, _t_big, _mask) is False, (
        "coefficients that move by about 5e-4 differ by more than tol = 1e-9 (an absolute "
        "tolerance, no rtol)"
    )
    # a point 1e-6 above the line moves the fit by about 5e-8: far more than tol, far less than
    # float32 resolves
    _t_tiny = np.r_[_t, _w * 0.7 + _b + 1e-6]
    assert fit_unchanged_after_removal(_X_on, _t_tiny, _mask) is False, (
        "a move of about 5e-8 is more than tol = 1e-9: fit in float64 (float32 cannot see it)"
    )
print(
    "visible tests passed: an on-line point keeps the fit (arrays untouched); an off-line point, a "
    "bias-only "
    "move, a 5e-4 move of large coefficients and a 5e-8 move are all caught"
)
### BEGIN HIDDEN TESTS
with (
    mock.patch.object(forging, "least_squares", **_off),
    mock.patch.object(forging, "refit_change", **_off),
):
    _X2 = _rng.normal(size=(30, 2))
    _t2 = _X2 @ np.array([1.5, -0.5]) + 0.3 + 0.2 * _rng.normal(size=30)
    _th = np.linalg.lstsq(np.c_[_X2, np.ones(30)], _t2, rcond=None)[0]
    _Xn = _rng.normal(size=(3, 2))
    _Xa = np.r_[_X2, _Xn]
    _ta = np.r_[_t2, _Xn @ _th[:2] + _th[2]]
    _m = np.r_[np.zeros(30, bool), np.ones(3, bool)]
    assert fit_unchanged_after_removal(_Xa, _ta, _m) is True, "three on-plane points in 2-D"
    _m2 = _m.copy()
    _m2[0] = True
    assert fit_unchanged_after_removal(_Xa, _ta, _m2) is False, (
        "an ordinary (off-plane) point as well"
    )
    assert fit_unchanged_after_removal(_Xa, _ta, np.zeros(33, bool)) is True, (
        "removing nothing keeps the fit"
    )
    assert fit_unchanged_after_removal(_Xa, _ta, _m2, tol=10.0) is True, "tol is respected"
    # coefficients of about 2e6 and 1e6: a point 1e-4 off the line moves the bias by about 5e-6, far
    # more than
    # tol = 1e-9, although far less than 1e-9 times the size of the coefficients (a relative
    # tolerance hides it)
    _t_huge = np.r_[1e6 * _t, 1e6 * (_w * 0.7 + _b) + 1e-4]
    assert fit_unchanged_after_removal(_X_on, _t_huge, _mask) is False, (
        "tol is absolute, not relative to the size of the coefficients: a move of about 5e-6 is "
        "more than 1e-9"
    )
    # two points at one x, 1 above and 1 below the line: their pulls cancel, so the fit stays
    _X_pair = np.r_[_x, 0.3, 0.3][:, None]
    _t_pair = np.r_[_t, _w * 0.3 + _b + 1.0, _w * 0.3 + _b - 1.0]
    _pair = np.r_[np.zeros(20, bool), True, True]
    assert fit_unchanged_after_removal(_X_pair, _t_pair, _pair) is True, (
        "two off-line points whose residuals cancel leave the fit unchanged (compare the fits, not "
        "the residuals)"
    )
    # three points left that share one x cannot fix a line: rank 1 < 2, although 3 >= d + 1 points
    # remain
    _X_same = np.r_[np.full(3, 0.5), _x][:, None]
    _t_same = np.r_[1.0, 2.0, 3.0, _t]
    _bads = (np.ones(33, bool), np.r_[np.ones(31, bool), np.zeros(2, bool)])
    for _Xb, _tb, _bad in [
        (_Xa, _ta, _bads[0]),
        (_Xa, _ta, _bads[1]),
        (_X_same, _t_same, np.r_[np.zeros(3, bool), np.ones(20, bool)]),
    ]:
        try:
            fit_unchanged_after_removal(_Xb, _tb, _bad)
        except ValueError as _e:
            assert "remove" in str(_e), "the error message names remove"
        else:
            raise AssertionError(
                f"{int((~_bad).sum())} points left without a unique fit must raise ValueError"
            )
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
#   same sum of outer products as the old ones, to float64 rounding (build `Q` in float64: a float32
#   `Q` keeps the sums only to about 1e-7). `angle = 0` must return `Z` unchanged. Leave `Z` itself as
#   it is: return a new tensor.
# - Raise `ValueError` with the word `Z` in the message if `Z` is not a two-dimensional tensor with
#   exactly 3 rows, and with the word `angle` if `angle` is not a finite number (nan or infinite).
#
# - Use this basis of the plane orthogonal to $\mathbf 1$ and this direction of turning (the
#   tests check it): $u_1 = (1, -1, 0)/\sqrt2$, $u_2 = (1, 1, -2)/\sqrt6$, and a positive `angle`
#   $\phi$ turns $u_1$ towards $u_2$, that is $Qu_1 = \cos\phi\,u_1 + \sin\phi\,u_2$ and
#   $Qu_2 = \cos\phi\,u_2 - \sin\phi\,u_1$. (Swapping $u_1$ and $u_2$ gives the rotation by
#   $-\phi$: it also keeps the sums, but it is not the answer asked for.)
#
# Hint: with that basis,
# $Q = \tfrac13\mathbf 1\mathbf 1^\top + \cos\phi\,(u_1u_1^\top + u_2u_2^\top) + \sin\phi\,(u_2u_1^\top - u_1u_2^\top)$.
#
# Library twin: this mirrors `forging.twin_points` (which does not check `angle`). Do not call
# `forging.twin_points` or `forging.rotation_fixing_ones`.


# %% nbg="answer:twin_triple"
def twin_triple(Z, angle):
    """Return Q @ Z (float64, (3, m)) for Q the rotation by angle about (1, 1, 1); raise ValueError
    (mentioning Z) unless Z has 3 rows, and (mentioning angle) unless angle is finite."""
    ### BEGIN SOLUTION
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    angle = float(angle)
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle}")
    one = torch.ones(3, dtype=torch.float64)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.outer(one, one) / 3
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return Q @ Z
    ### END SOLUTION


# %% nbg="wrong:twin_triple:swapped_basis"
def twin_triple(Z, angle):
    # u1 and u2 swapped in the sine term (the trap the task names): the rotation by -angle
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle}")
    one = torch.ones(3, dtype=torch.float64)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.outer(one, one) / 3
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u1, u2) - torch.outer(u2, u1))
    )
    return Q @ Z


# %% nbg="wrong:twin_triple:float32_rotation"
def twin_triple(Z, angle):
    # builds Q with torch's default float32 and converts the result to float64 at the end
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle}")
    one = torch.ones(3)
    u1 = torch.tensor([1.0, -1.0, 0.0]) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0]) / 6**0.5
    c, s = float(np.cos(angle)), float(np.sin(angle))
    Q = (
        torch.outer(one, one) / 3
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return (Q @ Z.float()).double()


# %% nbg="wrong:twin_triple:no_fixed_direction"
def twin_triple(Z, angle):
    # drops the (1/3) 1 1^T term: Q no longer fixes the all-ones vector, the sums change
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle}")
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = c * (torch.outer(u1, u1) + torch.outer(u2, u2)) + s * (
        torch.outer(u2, u1) - torch.outer(u1, u2)
    )
    return Q @ Z


# %% nbg="wrong:twin_triple:degrees"
def twin_triple(Z, angle):
    # reads angle as degrees
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle}")
    one = torch.ones(3, dtype=torch.float64)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    Q = (
        torch.outer(one, one) / 3
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return Q @ Z


# %% nbg="wrong:twin_triple:checks_rows_only"
def twin_triple(Z, angle):
    # checks the number of rows but not that Z is two-dimensional: a vector of 3 numbers gets
    # through
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.shape[0] != 3:
        raise ValueError(f"Z must have 3 rows, got {tuple(Z.shape)}")
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle}")
    one = torch.ones(3, dtype=torch.float64)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.outer(one, one) / 3
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return Q @ Z


# %% nbg="wrong:twin_triple:nan_check_only"
def twin_triple(Z, angle):
    # rejects nan but not an infinite angle
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    if angle != angle:
        raise ValueError("angle is nan")
    one = torch.ones(3, dtype=torch.float64)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.outer(one, one) / 3
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return Q @ Z


# %% nbg="wrong:twin_triple:calls_library_rotation"
def twin_triple(Z, angle):
    # calls the library's rotation, which the task forbids (the tests switch it off)
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m), got {tuple(Z.shape)}")
    if not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle}")
    return forging.rotation_fixing_ones(float(angle)) @ Z


# %% nbg="alt:twin_triple:rodrigues"
import math


def twin_triple(Z, angle):
    # Rodrigues' formula about the unit axis n = 1/sqrt(3): Q = cos I + sin [n]x + (1 - cos) n n^T
    if not torch.is_tensor(Z) or Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError("Z must be a (3, m) tensor")
    if not math.isfinite(angle):
        raise ValueError("angle must be finite")
    k = 1 / math.sqrt(3)
    K = torch.tensor([[0.0, -k, k], [k, 0.0, -k], [-k, k, 0.0]], dtype=torch.float64)
    n = torch.full((3, 1), k, dtype=torch.float64)
    Q = (
        math.cos(angle) * torch.eye(3, dtype=torch.float64)
        + math.sin(angle) * K
        + (1 - math.cos(angle)) * (n @ n.T)
    )
    return Q @ Z.double()


# %% nbg="alt:twin_triple:coordinates_loop"
import math


def twin_triple(Z, angle):
    # each column: split into its part along 1 and its coordinates (a, b) on u1, u2; turn (a, b)
    Z = torch.as_tensor(Z, dtype=torch.float64)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must be 2-D with 3 rows, got shape {tuple(Z.shape)}")
    angle = float(angle)
    if angle != angle or angle in (float("inf"), float("-inf")):
        raise ValueError(f"angle must be finite, got {angle}")
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = math.cos(angle), math.sin(angle)
    out = torch.empty_like(Z)
    for j in range(Z.shape[1]):
        z = Z[:, j]
        mean = z.mean()
        a, b = float(z @ u1), float(z @ u2)
        out[:, j] = mean + (c * a - s * b) * u1 + (s * a + c * b) * u2
    return out


# %% nbg="twin:twin_triple:fails"
def _rotation_fixing_ones(angle):
    # forging.rotation_fixing_ones, copied
    u0 = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64) / math.sqrt(3)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / math.sqrt(2)
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / math.sqrt(6)
    c, s = math.cos(angle), math.sin(angle)
    return (
        torch.outer(u0, u0)
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )


import math


def twin_triple(Z, angle):
    # forging.twin_points, copied and renamed: it does not check angle
    Z = torch.as_tensor(Z)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m) (three points as rows), got {tuple(Z.shape)}")
    return _rotation_fixing_ones(float(angle)) @ Z.double()


# %% nbg="wrong:twin_triple:no_Z_check"
def twin_triple(Z, angle):
    # never checks Z: a (2, 2) Z fails inside the matrix product (RuntimeError), a vector of 3 gets
    # through
    if not np.isfinite(angle):
        raise ValueError("angle must be finite")
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.full((3, 3), 1 / 3, dtype=torch.float64)
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return Q @ Z.double()


# %% nbg="wrong:twin_triple:transposed_Q"
def twin_triple(Z, angle):
    # multiplies from the wrong side: (Z^T Q)^T = Q^T Z, the rotation by -angle
    if not torch.is_tensor(Z) or Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError("Z must be (3, m)")
    if not np.isfinite(angle):
        raise ValueError("angle must be finite")
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.full((3, 3), 1 / 3, dtype=torch.float64)
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return (Z.double().T @ Q).T


# %% nbg="wrong:twin_triple:wrong_u2_norm"
def twin_triple(Z, angle):
    # u2 = (1, 1, -2) / sqrt(3) is not a unit vector: Q is not orthogonal, the outer products change
    if not torch.is_tensor(Z) or Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError("Z must be (3, m)")
    if not np.isfinite(angle):
        raise ValueError("angle must be finite")
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 3**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.full((3, 3), 1 / 3, dtype=torch.float64)
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return Q @ Z.double()


# %% nbg="wrong:twin_triple:overwrites_Z_in_place"
def twin_triple(Z, angle):
    # writes the twins into the caller's Z and returns it: the original points are lost
    if not torch.is_tensor(Z) or Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError("Z must be (3, m)")
    if not np.isfinite(angle):
        raise ValueError("angle must be finite")
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / 2**0.5
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / 6**0.5
    c, s = np.cos(angle), np.sin(angle)
    Q = (
        torch.full((3, 3), 1 / 3, dtype=torch.float64)
        + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + s * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    Z[:] = Q @ Z
    return Z


# %% nbg="alt:twin_triple:fresh_student"
def twin_triple(Z, angle):
    if not torch.is_tensor(Z) or Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must be a 2-D tensor with 3 rows, got {getattr(Z, 'shape', type(Z))}")
    try:
        a = float(angle)
    except (TypeError, ValueError):
        raise ValueError(f"angle must be a finite number, got {angle!r}") from None
    if not np.isfinite(a):
        raise ValueError(f"angle must be finite, got {angle!r}")
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / np.sqrt(2)
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / np.sqrt(6)
    one = torch.ones(3, dtype=torch.float64)
    Q = (
        torch.outer(one, one) / 3
        + np.cos(a) * (torch.outer(u1, u1) + torch.outer(u2, u2))
        + np.sin(a) * (torch.outer(u2, u1) - torch.outer(u1, u2))
    )
    return Q @ Z.to(torch.float64)


# %% nbg="tests:test_twin_triple:3"
_exact = dict(rtol=0.0, atol=1e-12)  # float64 rounding only: no relative tolerance
_off = dict(
    side_effect=AssertionError("do not call forging.twin_points / forging.rotation_fixing_ones")
)
with (
    mock.patch.object(forging, "twin_points", **_off),
    mock.patch.object(forging, "rotation_fixing_ones", **_off),
):
    _Z = torch.tensor([[-1.0, -1.2], [0.5, 2.1], [2.0, 4.8]], dtype=torch.float64)
    _Z_keep = _Z.clone()
    _T = twin_triple(_Z, 1.0)
    assert torch.equal(_Z, _Z_keep), (
        "Z must be left as it was: return a new tensor, do not write into Z"
    )
    assert torch.is_tensor(_T) and _T.shape == (3, 2) and _T.dtype == torch.float64, (
        f"return a float64 tensor of Z's shape (3, 2), got {getattr(_T, 'dtype', type(_T))} "
        f"{tuple(getattr(_T, 'shape', ()))}"
    )
    assert torch.allclose(_T.sum(0), _Z.sum(0), **_exact), (
        "same sum (to 1e-12, absolute: build Q in float64)"
    )
    assert torch.allclose(_T.T @ _T, _Z.T @ _Z, **_exact), (
        "same sum of outer products (to 1e-12, absolute)"
    )
    assert (_T - _Z).abs().max() > 0.1, "the twins must be new points"
    assert torch.allclose(twin_triple(_Z, 0.0), _Z, **_exact), "angle 0 must return Z unchanged"
    _u1 = torch.tensor([[1.0], [-1.0], [0.0]], dtype=torch.float64) / 2**0.5
    _u2 = torch.tensor([[1.0], [1.0], [-2.0]], dtype=torch.float64) / 6**0.5
    assert torch.allclose(twin_triple(_u1, 0.3), np.cos(0.3) * _u1 + np.sin(0.3) * _u2, **_exact), (
        "orientation: Q u1 must be cos(angle) u1 + sin(angle) u2 (a positive angle turns u1 "
        "towards u2)"
    )
    try:
        twin_triple(_Z, float("nan"))
    except ValueError as _e:
        assert "angle" in str(_e), f"the error message names angle, got {_e}"
    else:
        raise AssertionError("angle = nan must raise ValueError")
print(
    "visible tests passed: float64 result, Z untouched; sums and outer products kept to 1e-12; new "
    "points; angle 0 "
    "is the identity; orientation Q u1 = cos u1 + sin u2; nan angle refused"
)
### BEGIN HIDDEN TESTS
_Q05 = forging.rotation_fixing_ones(
    0.5
)  # the library's Q (the task's hint), computed before the patch
with (
    mock.patch.object(forging, "twin_points", **_off),
    mock.patch.object(forging, "rotation_fixing_ones", **_off),
):
    _Z3 = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for _a in (0.3, 2.0, -1.1):
        _T3 = twin_triple(_Z3, _a)
        assert torch.allclose(_T3.sum(0), _Z3.sum(0), **_exact), f"angle {_a}: same sum"
        assert torch.allclose(_T3.T @ _T3, _Z3.T @ _Z3, **_exact), (
            f"angle {_a}: same sum of outer products"
        )
    _R = twin_triple(torch.eye(3, dtype=torch.float64), 0.8)  # Q itself
    assert torch.allclose(_R @ _R.T, torch.eye(3, dtype=torch.float64), **_exact), "Q is orthogonal"
    assert torch.allclose(twin_triple(_Z, 0.5), _Q05 @ _Z, **_exact), (
        "rotation by +angle (the library's rotation_fixing_ones)"
    )
    assert torch.allclose(twin_triple(_Z * 1e3, 0.5), _Q05 @ (_Z * 1e3), rtol=0.0, atol=1e-9), (
        "large points too"
    )
    for _bad in (
        torch.zeros(2, 2, dtype=torch.float64),
        torch.zeros(4, 1, dtype=torch.float64),
        torch.zeros(3, dtype=torch.float64),
        torch.zeros(3, 2, 1, dtype=torch.float64),
    ):
        try:
            twin_triple(_bad, 1.0)
        except ValueError as _e:
            assert "Z" in str(_e), f"the error message names Z, got {_e}"
        else:
            raise AssertionError(f"Z of shape {tuple(_bad.shape)} must raise ValueError")
    for _bad_angle in (float("inf"), float("-inf"), float("nan")):
        try:
            twin_triple(_Z, _bad_angle)
        except ValueError as _e:
            assert "angle" in str(_e), f"the error message names angle, got {_e}"
        else:
            raise AssertionError(f"angle = {_bad_angle} must raise ValueError")
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
# - Compute in float64: convert the gradients to float64 *before* averaging. The inputs may be
#   float32, and the tests use gradients near 1000 whose candidate means differ by about 1e-3, less
#   than float32 resolves (a float32 mean of numbers near 1000 is off by up to 6e-5).
# - Raise `ValueError` with the word `candidates` in the message if there are no candidates
#   (`M < 1`) or `candidates` is not two-dimensional.
#
# `M` may be in the hundreds: a vectorised answer is short, a loop over the candidates is fine too.
#
# Library twin: this mirrors the error computation of `forging.closest_batch` (which draws its own
# candidates and averages in the gradients' dtype, float32 for a float32 model). Do not call
# `forging.closest_batch` or `forging.forge_log`.


# %% nbg="answer:closest_batch_step"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    """Return (best index as int, float64 errors (M,)) where errors[i] = lr * ||batch_grad - mean of
    pool_grads[candidates[i]]||, computed in float64; raise ValueError (mentioning candidates) when
    there are none."""
    ### BEGIN SOLUTION
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(
            f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}"
        )
    G = pool_grads.double()
    means = G[candidates].mean(dim=1)
    errors = lr * (means - batch_grad.double()).norm(dim=1)
    return int(errors.argmin()), errors
    ### END SOLUTION


# %% nbg="wrong:closest_batch_step:no_lr"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # the distance between gradients, not between updates: forgets the learning rate
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(
            f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}"
        )
    means = pool_grads.double()[candidates].mean(dim=1)
    errors = (means - batch_grad.double()).norm(dim=1)
    return int(errors.argmin()), errors


# %% nbg="wrong:closest_batch_step:squared_norm"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # the paper's criterion ||w_t - w_hat_t||^2: squared, which the task does not ask for
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(
            f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}"
        )
    means = pool_grads.double()[candidates].mean(dim=1)
    errors = (lr * (means - batch_grad.double())).pow(2).sum(dim=1)
    return int(errors.argmin()), errors


# %% nbg="wrong:closest_batch_step:sum_not_mean"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # sums the candidate's gradients instead of averaging them
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(
            f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}"
        )
    sums = pool_grads.double()[candidates].sum(dim=1)
    errors = lr * (sums - batch_grad.double()).norm(dim=1)
    return int(errors.argmin()), errors


# %% nbg="wrong:closest_batch_step:float32_mean"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # averages in float32 and converts the errors to float64 at the end
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(
            f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}"
        )
    means = pool_grads[candidates].mean(dim=1)
    errors = (lr * (means - batch_grad).norm(dim=1)).double()
    return int(errors.argmin()), errors


# %% nbg="wrong:closest_batch_step:last_on_ties"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # a loop that keeps the best with <=: the last of equal errors wins, not the first
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(
            f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}"
        )
    gB = batch_grad.double()
    errors = torch.empty(len(candidates), dtype=torch.float64)
    best = 0
    for i, c in enumerate(candidates):
        errors[i] = lr * (pool_grads[c].double().mean(0) - gB).norm()
        if errors[i] <= errors[best]:
            best = i
    return best, errors


# %% nbg="wrong:closest_batch_step:tensor_index"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # returns best as a 0-d tensor, not a Python int
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(
            f"candidates must be a non-empty (M, b) tensor, got shape {tuple(candidates.shape)}"
        )
    means = pool_grads.double()[candidates].mean(dim=1)
    errors = lr * (means - batch_grad.double()).norm(dim=1)
    return errors.argmin(), errors


# %% nbg="wrong:closest_batch_step:checks_length_only"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # checks that there are candidates, not that candidates is (M, b)
    candidates = torch.as_tensor(candidates)
    if len(candidates) == 0:
        raise ValueError("no candidates")
    means = pool_grads.double()[candidates].mean(dim=1)
    errors = lr * (means - batch_grad.double()).norm(dim=1)
    return int(errors.argmin()), errors


# %% nbg="alt:closest_batch_step:loop"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    if not torch.is_tensor(candidates) or candidates.dim() != 2 or len(candidates) == 0:
        raise ValueError("candidates must be a non-empty 2-D tensor (M, b)")
    gB = batch_grad.double()
    errors = []
    for c in candidates:
        mean = sum(pool_grads[j].double() for j in c.tolist()) / len(c)
        errors.append(lr * float((gB - mean).norm()))
    best = 0
    for i in range(1, len(errors)):
        if errors[i] < errors[best]:
            best = i
    return best, torch.tensor(errors, dtype=torch.float64)


# %% nbg="alt:closest_batch_step:averaging_matrix"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # an (M, N) averaging matrix times the gradients, in float64
    candidates = torch.as_tensor(candidates)
    if candidates.ndim != 2 or candidates.shape[0] == 0:
        raise ValueError(f"candidates must be (M, b) with M >= 1, got {tuple(candidates.shape)}")
    M, b = candidates.shape
    A = torch.zeros(M, pool_grads.shape[0], dtype=torch.float64)
    A.index_put_(
        (torch.arange(M).repeat_interleave(b), candidates.reshape(-1)),
        torch.full((M * b,), 1.0 / b, dtype=torch.float64),
        accumulate=True,
    )
    errors = lr * torch.linalg.vector_norm(A @ pool_grads.double() - batch_grad.double(), dim=1)
    return int(torch.argmin(errors)), errors


# %% nbg="twin:closest_batch_step:fails"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # forging.closest_batch's error computation, copied and renamed: it averages in the gradients'
    # dtype
    candidates = torch.as_tensor(candidates)
    if candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError(f"candidates must be (M, b) with M >= 1, got {tuple(candidates.shape)}")
    G, gB = pool_grads, batch_grad.to(pool_grads.dtype)
    M, b = candidates.shape
    A = torch.zeros(M, G.shape[0], dtype=G.dtype)
    A.scatter_(1, candidates, 1.0 / b)
    errors = lr * (A @ G - gB).norm(dim=1).double()
    return int(errors.argmin()), errors


# %% nbg="wrong:closest_batch_step:divide_by_M"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # divides the candidate's sum by the number of candidates M, not by the batch size b
    if candidates.dim() != 2 or len(candidates) < 1:
        raise ValueError("candidates must be (M, b), M >= 1")
    means = pool_grads.double()[candidates].sum(1) / len(candidates)
    err = lr * (means - batch_grad.double()).norm(dim=1)
    return int(err.argmin()), err


# %% nbg="wrong:closest_batch_step:float32_difference"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # averages in float64 but subtracts in float32 (back to the gradients' dtype): rounding again
    if candidates.dim() != 2 or len(candidates) < 1:
        raise ValueError("candidates must be (M, b), M >= 1")
    means = pool_grads.double()[candidates].mean(1)
    err = lr * (means.float() - batch_grad).norm(dim=1).double()
    return int(err.argmin()), err


# %% nbg="wrong:closest_batch_step:lr_squared"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # multiplies by lr twice (lr^2 ||g_B - g_C||)
    if candidates.dim() != 2 or len(candidates) < 1:
        raise ValueError("candidates must be (M, b), M >= 1")
    err = lr**2 * (pool_grads.double()[candidates].mean(1) - batch_grad.double()).norm(dim=1)
    return int(err.argmin()), err


# %% nbg="wrong:closest_batch_step:numel_check_only"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    # refuses an empty candidates but accepts a 1-D one (read as one batch of b examples)
    if candidates.numel() == 0:
        raise ValueError("candidates is empty")
    err = lr * (pool_grads.double()[candidates].mean(-2) - batch_grad.double()).norm(dim=-1)
    return int(err.argmin()), err.reshape(-1)


# %% nbg="alt:closest_batch_step:fresh_student"
def closest_batch_step(pool_grads, batch_grad, candidates, lr):
    if not torch.is_tensor(candidates) or candidates.dim() != 2 or candidates.shape[0] < 1:
        raise ValueError("candidates must be a 2-D tensor (M, b) with M >= 1")
    G = pool_grads.to(torch.float64)
    gB = batch_grad.to(torch.float64)
    means = G[candidates].mean(dim=1)  # (M, P)
    errors = lr * (means - gB).norm(dim=1)
    return int(torch.argmin(errors)), errors


# %% nbg="tests:test_closest_batch_step:4"
_off = dict(side_effect=AssertionError("do not call forging.closest_batch / forging.forge_log"))
with (
    mock.patch.object(forging, "closest_batch", **_off),
    mock.patch.object(forging, "forge_log", **_off),
):
    _g = torch.Generator().manual_seed(3)
    _G = torch.randn(50, 7, generator=_g)
    _C = torch.stack([torch.randperm(50, generator=_g)[:5] for _ in range(20)])
    _gB = _G[:5].mean(0) + 0.01
    _best, _err = closest_batch_step(_G, _gB, _C, 0.1)
    _ref = torch.stack([0.1 * (_G[c].double().mean(0) - _gB.double()).norm() for c in _C])
    assert torch.is_tensor(_err) and _err.shape == (20,) and _err.dtype == torch.float64, (
        f"errors must be a float64 tensor (M,) = (20,), got {getattr(_err, 'dtype', type(_err))} "
        f"{tuple(getattr(_err, 'shape', ()))}"
    )
    assert torch.allclose(_err, _ref, rtol=1e-9, atol=1e-12), (
        "errors[i] = lr * ||g_B - mean of the candidate's gradients|| (not squared, mean not sum, "
        "times lr, "
        f"in float64): largest relative error {float(((_err - _ref).abs() / _ref).max()):.1e} "
        "(1e-8 to 1e-6 means float32 somewhere; more means another formula)"
    )
    assert isinstance(_best, int) and _best == int(_ref.argmin()), (
        f"best must be the Python int {int(_ref.argmin())}, got {_best!r}"
    )
    assert closest_batch_step(_G, _gB, torch.stack([_C[1], _C[1]]), 0.1)[0] == 0, (
        "the first index on ties"
    )
    # float64: gradients near 1000 on a grid of 2**-13 (exact in float32) whose candidate means
    # differ by ~1e-3
    _Gk = (1000 + torch.randint(0, 64, (40, 6), generator=_g) / 8192).float()
    _gBk = (1000 + torch.randint(0, 64, (6,), generator=_g) / 8192).float()
    _Ck = torch.stack([torch.randperm(40, generator=_g)[:5] for _ in range(30)])
    _bk, _ek = closest_batch_step(_Gk, _gBk, _Ck, 1.0)
    _refk = torch.stack([(_Gk[c].double().mean(0) - _gBk.double()).norm() for c in _Ck])
    assert torch.allclose(_ek, _refk, rtol=1e-9, atol=0.0), (
        f"errors must be computed in float64 (convert before averaging): largest relative error "
        f"{float(((_ek - _refk).abs() / _refk).max()):.1e}"
    )
    assert _bk == int(_refk.argmin()), (
        f"best must be {int(_refk.argmin())} (computed in float64), got {_bk}"
    )
    for _bad in (torch.empty(0, 5, dtype=torch.int64), torch.arange(5)):
        try:
            closest_batch_step(_G, _gB, _bad, 0.1)
        except ValueError as _e:
            assert "candidates" in str(_e), "the error message names candidates"
        else:
            raise AssertionError("no candidates, or a 1-D candidates, must raise ValueError")
print(
    "visible tests passed: errors = lr * ||g_B - g_C|| in float64 (also near 1000, where float32 "
    "fails); "
    "best is the first smallest, as an int; empty and 1-D candidates refused"
)
### BEGIN HIDDEN TESTS
with (
    mock.patch.object(forging, "closest_batch", **_off),
    mock.patch.object(forging, "forge_log", **_off),
):
    _C2 = torch.cat([_C, torch.arange(5).unsqueeze(0), _C[:3]])  # row 20 is the true batch itself
    _best2, _err2 = closest_batch_step(_G, _G[:5].mean(0), _C2, 0.5)
    assert _best2 == 20 and float(_err2[20]) < 1e-6, "an identical batch has error 0"
    _b1, _e1 = closest_batch_step(_G, _gB, _C, 1.0)
    assert torch.allclose(_e1, _err * 10, rtol=1e-9, atol=1e-12), "errors scale with lr"
    _b3, _e3 = closest_batch_step(_G, _gB, _C[:1], 0.1)
    assert _b3 == 0 and _e3.shape == (1,), "a single candidate is the best one"
    _tie = torch.stack([_C[0], _C[0]])
    assert closest_batch_step(_G, _gB, _tie, 0.1)[0] == 0, "first index on ties"
    assert closest_batch_step(_G, _gB, torch.stack([_C[4], _C[2], _C[2]]), 0.1)[0] == int(
        _ref[[4, 2]].argmin()
    ), "first index on ties, after another candidate"
    _ties3 = torch.stack([_C[5], _C[7], _C[5], _C[7], _C[7]])
    _want3 = 0 if float(_ref[5]) <= float(_ref[7]) else 1
    assert closest_batch_step(_G, _gB, _ties3, 0.1)[0] == _want3, (
        "the first of several equal smallest errors"
    )
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
        m = copy.deepcopy(_net)
        o = training.make_optimizer(m.parameters(), config)
        forging.batch_loss(m, blobs, ids, config).backward()
        o.step()
        return torch.cat([p.detach().reshape(-1) for p in m.parameters()]).double()

    assert (
        abs(float((_after(_true) - _after(_pool[_cand[_bb]])).norm()) - float(_ee[_bb])) < 1e-5
    ), "the best error is the distance between the two SGD updates"
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
# One optimiser for the whole replay, and the record's own configuration: a log may use SGD with
# momentum or Adam, whose state carries over from step to step (the tests replay such logs too).
#
# Library twin: this mirrors the hash check of `forging.replay` (which returns a report with more
# checks). Do not call `replay` or `train_on_batches` (from `forging` or from `unlearnkit.records`,
# where they live) or `training.fit`.


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


# %% nbg="wrong:first_divergence:optimizer_per_step"
def first_divergence(model, data, record):
    # a new optimiser at every step: momentum buffers and Adam's moments are lost
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    for t, ids in enumerate(record.batches, start=1):
        opt = training.make_optimizer(m.parameters(), record.config)
        opt.zero_grad()
        forging.batch_loss(m, data, ids, record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:global_config"
def first_divergence(model, data, record):
    # uses the setup cell's config instead of record.config (right for the visible log only)
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), config)
    for t, ids in enumerate(record.batches, start=1):
        opt.zero_grad()
        forging.batch_loss(m, data, ids, config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:no_zero_grad"
def first_divergence(model, data, record):
    # never zeroes the gradients: they accumulate from step to step
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    for t, ids in enumerate(record.batches, start=1):
        forging.batch_loss(m, data, ids, record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:hash_off_by_one"
def first_divergence(model, data, record):
    # compares the weights after step t with hashes[t - 1]
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    for t in range(1, len(record.hashes)):
        opt.zero_grad()
        forging.batch_loss(m, data, record.batches[t - 1], record.config).backward()
        opt.step()
        if t >= 2 and forging.state_hash(m) != record.hashes[t - 1]:
            return t
    return None


# %% nbg="wrong:first_divergence:skips_last_step"
def first_divergence(model, data, record):
    # range(1, len(record.batches)) stops one step short: the last checkpoint is never checked
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    for t in range(1, len(record.batches)):
        opt.zero_grad()
        forging.batch_loss(m, data, record.batches[t - 1], record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:no_initial_check"
def first_divergence(model, data, record):
    # never compares checkpoint 0: a wrong initial model shows up at step 1 instead
    m = copy.deepcopy(model)
    opt = training.make_optimizer(m.parameters(), record.config)
    for t, ids in enumerate(record.batches, start=1):
        opt.zero_grad()
        forging.batch_loss(m, data, ids, record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:trains_callers_model"
def first_divergence(model, data, record):
    # trains the caller's model itself (no copy)
    if forging.state_hash(model) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(model.parameters(), record.config)
    for t, ids in enumerate(record.batches, start=1):
        opt.zero_grad()
        forging.batch_loss(model, data, ids, record.config).backward()
        opt.step()
        if forging.state_hash(model) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:calls_records_replay"
from unlearnkit import records


def first_divergence(model, data, record):
    # calls the library's replay under its other name, unlearnkit.records.replay (forbidden too)
    return records.replay(model, data, record).first_divergence


# %% nbg="alt:first_divergence:replay_then_compare"
def first_divergence(model, data, record):
    # replay the whole log first, then look for the first hash that differs
    m = copy.deepcopy(model)
    hashes = [forging.state_hash(m)]
    if hashes[0] == record.hashes[0]:
        opt = training.make_optimizer(m.parameters(), record.config)
        for ids in record.batches:
            opt.zero_grad()
            loss = forging.batch_loss(m, data, ids, record.config)
            loss.backward()
            opt.step()
            hashes.append(forging.state_hash(m))
    for t, (mine, logged) in enumerate(zip(hashes, record.hashes)):
        if mine != logged:
            return t
    return None


# %% nbg="twin:first_divergence:passes"
def first_divergence(model, data, record):
    # forging.replay's hash check, copied and renamed (without its order and forget-set checks)
    m = copy.deepcopy(model)
    first = None
    if forging.state_hash(m) != record.hashes[0]:
        first = 0
    else:
        opt = training.make_optimizer(m.parameters(), record.config)
        m.train()
        for t, b in enumerate(record.batches, start=1):
            opt.zero_grad(set_to_none=True)
            forging.batch_loss(m, data, b, record.config).backward()
            opt.step()
            if forging.state_hash(m) != record.hashes[t]:
                first = t
                break
    return first


# %% nbg="wrong:first_divergence:shallow_copy"
def first_divergence(model, data, record):
    # copy.copy of a module shares its parameters: the caller's model is trained too
    m = copy.copy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    for t in range(1, len(record.batches) + 1):
        opt.zero_grad()
        forging.batch_loss(m, data, record.batches[t - 1], record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:plain_sgd_from_lr"
def first_divergence(model, data, record):
    # builds plain SGD from record.config.lr: the log's momentum (or Adam) is ignored
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = torch.optim.SGD(m.parameters(), lr=record.config.lr)
    for t in range(1, len(record.batches) + 1):
        opt.zero_grad()
        forging.batch_loss(m, data, record.batches[t - 1], record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="wrong:first_divergence:only_final_hash"
def first_divergence(model, data, record):
    # compares only the final hash and reports the last step: the first tampered step is not found
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    for t in range(1, len(record.batches) + 1):
        opt.zero_grad()
        forging.batch_loss(m, data, record.batches[t - 1], record.config).backward()
        opt.step()
    return None if forging.state_hash(m) == record.hashes[-1] else len(record.batches)


# %% nbg="wrong:first_divergence:steps_from_config"
def first_divergence(model, data, record):
    # replays record.config.steps steps, not the logged batches: a log shorter than its config
    # breaks
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    for t in range(1, record.config.steps + 1):
        opt.zero_grad()
        forging.batch_loss(m, data, record.batches[t - 1], record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="alt:first_divergence:fresh_student"
def first_divergence(model, data, record):
    m = copy.deepcopy(model)
    if forging.state_hash(m) != record.hashes[0]:
        return 0
    opt = training.make_optimizer(m.parameters(), record.config)
    for t in range(1, len(record.batches) + 1):
        opt.zero_grad()
        forging.batch_loss(m, data, record.batches[t - 1], record.config).backward()
        opt.step()
        if forging.state_hash(m) != record.hashes[t]:
            return t
    return None


# %% nbg="tests:test_first_divergence:4"
_off = dict(side_effect=AssertionError("do not call replay / train_on_batches / training.fit"))
import contextlib
from unlearnkit import (
    records as _records,
)  # where forging's log functions live (forging re-exports them)


def _forbid():
    stack = contextlib.ExitStack()
    for _mod, _name in (
        (forging, "replay"),
        (forging, "train_on_batches"),
        (_records, "replay"),
        (_records, "train_on_batches"),
        (training, "fit"),
        (_records, "fit"),
    ):
        if hasattr(_mod, _name):
            stack.enter_context(mock.patch.object(_mod, _name, **_off))
    return stack


# a log with momentum: its optimiser state carries over from step to step
_config_mom = training.TrainConfig(
    optimizer="sgd", lr=0.1, momentum=0.9, batch_size=16, steps=6, seed=SEED + 1
)
_log_mom = forging.record_training(copy.deepcopy(init), blobs, _config_mom)
_h_init = forging.state_hash(init)
with _forbid():
    _got = first_divergence(init, blobs, log)
    assert forging.state_hash(init) == _h_init, (
        "the caller's model changed: replay a copy (copy.deepcopy; copy.copy shares the parameters)"
    )
    assert _got is None, f"the honest log replays exactly: expected None, got {_got!r}"
    _bad = log.with_batch(5, log.batches[5])  # step 5 now claims step 6's batch
    _got = first_divergence(init, blobs, _bad)
    assert _got == 5, f"step 5 was tampered with: expected 5, got {_got!r}"
    _other = models.mlp(2, 3, hidden=8, seed=SEED + 1)
    assert first_divergence(_other, blobs, log) == 0, (
        "a different initial model diverges at checkpoint 0"
    )
    _got = first_divergence(init, blobs, _log_mom)
    assert _got is None, (
        f"an honest SGD-with-momentum log must replay exactly (one optimiser made from "
        f"record.config), got {_got!r}"
    )
print(
    "visible tests passed: honest log -> None (caller's model unchanged); tampered step 5 -> 5; "
    "other initial model -> 0; honest momentum log -> None"
)
### BEGIN HIDDEN TESTS
from dataclasses import replace as _replace

_config_adam = training.TrainConfig(optimizer="adam", lr=0.01, batch_size=8, steps=7, seed=SEED + 2)
_log_adam = forging.record_training(copy.deepcopy(init), blobs, _config_adam)
with _forbid():
    _h0 = forging.state_hash(init)
    assert first_divergence(models.mlp(2, 3, hidden=8, seed=SEED + 7), blobs, log) == 0, (
        "wrong initial model"
    )
    assert first_divergence(init, blobs, log) is None, "the honest log, again"
    assert forging.state_hash(init) == _h0, "the caller's model must not change"
    _hs = list(log.hashes)
    _hs[3] = "0" * 64
    assert first_divergence(init, blobs, _replace(log, hashes=_hs)) == 3, "a tampered hash"
    _hs = list(log.hashes)
    _hs[-1] = "0" * 64
    assert first_divergence(init, blobs, _replace(log, hashes=_hs)) == log.steps, (
        "a tampered last hash"
    )
    _b1 = log.batches[0]
    assert first_divergence(init, blobs, log.with_batch(1, _b1[1:])) == 1, (
        "an example dropped at step 1"
    )
    _short = _replace(log, batches=log.batches[:4], hashes=log.hashes[:5])
    assert first_divergence(init, blobs, _short) is None, "a shorter honest log"
    assert first_divergence(init, blobs, _log_adam) is None, "an honest Adam log replays exactly"
    assert first_divergence(init, blobs, _log_adam.with_batch(4, _log_adam.batches[5])) == 4, (
        "a tampered Adam log"
    )
    assert first_divergence(init, blobs, _log_mom.with_batch(6, _log_mom.batches[0])) == 6, (
        "a momentum log tampered at its last step"
    )
    assert forging.state_hash(init) == _h0, "the caller's model must not change"
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
# twin points (task 2) every batch that touches S can be swapped for a batch of D \ S with the same
# sums, hence the same mean gradient, so an SGD run on D is reproduced step by step by batches of
# D \ S. That equality is exact in exact arithmetic; in float32 (the data and the model) the sums
# agree only to rounding, so for some seeds the forged run is bitwise equal to the logged one at
# every checkpoint, and for others it strays by a few float32 ulps, the scale of the same batches
# summed in another order (the noise floor of lecture 03).
# So "within $\epsilon$ of a retrained model" can be true of a model that was never unlearned, and no
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
#   batches have the same sums, hence the same mean gradients and SGD steps: exactly in exact
#   arithmetic, to float32 rounding in a float32 run; either statement is fine, "bitwise identical
#   in every case" is not).
# - 1 point: asks for a replayable log of an exact algorithm (seed, batches, checkpoint hashes;
#   retraining or SISA) and says how to check it (replay, no S in batches, seeded order, final hash).
# - 1 point: names a real limit of the replay (commitment before the request, other copies or
#   derived data, approximate methods, what the model knows).
# ### END SOLUTION
