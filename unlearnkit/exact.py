"""Exact unlearning: retraining from scratch, and learners in summation form.

Exact unlearning asks for a model distributed exactly as one trained without the forget set.
Two ways to get there without any approximation:

* :func:`retrain` -- the gold standard: build a fresh model and train it on the retain set
  ``D \\ S``. Always correct, and it costs a whole training run per request.
* **Summation form** (Cao & Yang, "Towards Making Systems Forget with Machine Unlearning",
  IEEE S&P 2015): a learner that sees the data only through sums ``G_k = sum_i g_k(x_i, y_i)``
  forgets a point ``p`` by ``G_k <- G_k - g_k(x_p, y_p)`` and recomputing the model from the sums.
  The cost of a removal is the size of the sums, not the size of the data.

  - :class:`SummationRidge`: ridge / least squares from ``A = X^T X + lam I`` and ``b = X^T y``
    (the course's own example; the paper's canonical case is naive Bayes), with an optional
    Sherman-Morrison downdate of ``A^{-1}``.
  - :class:`SummationGaussianNB`: Gaussian naive Bayes from class counts, feature sums and sums of
    squares.
  - :class:`SummationMultinomialNB`: multinomial naive Bayes from class counts and feature counts
    (the paper's canonical non-adaptive case).

  They follow scikit-learn's habits: ``fit`` returns ``self``, learned state ends in ``_``, inputs
  are ``X`` ``(n, d)`` and ``y`` ``(n,)`` (numpy arrays, torch tensors or lists), outputs are numpy
  arrays. Sums are kept in float64 by default: subtracting sums in float32 cancels
  catastrophically (a variance can turn negative); pass ``dtype=np.float32`` to watch it happen.

  Each learner keeps a SHA-256 digest of every row it has added (the digest, not the row), so
  that forgetting a row it never saw -- or one more copy of a row than it saw -- is refused with a
  ``ValueError`` instead of silently corrupting the sums. A removed row's digest is removed too.

Introduced in lecture 02.
"""
from __future__ import annotations

import copy
import hashlib
import warnings
from collections import Counter
from typing import Callable

import numpy as np
import torch
from torch import nn

from ._common import check_dataset, check_number, check_train_config
from ._seeding import check_seed
from .data import Dataset, as_ids
from .training import TrainConfig, TrainLog, fit

__all__ = [
    "retrain",
    "SummationRidge",
    "SummationGaussianNB",
    "SummationMultinomialNB",
]


# ----------------------------------------------------------------------------- retraining
def retrain(model_fn: Callable[[int], nn.Module], data: Dataset, forget_ids, config: TrainConfig, *,
            init_seed: int | None = None, progress: bool = False, seed: int | None = None) -> tuple[nn.Module, TrainLog]:
    """The gold standard: a fresh model trained from scratch on the retain set ``data.without(forget_ids)``.

    Args:
        model_fn: builds an untrained model from an integer seed, e.g.
            ``lambda s: models.mlp(40, 10, (32,), seed=s)``.
        data: the full training set D.
        forget_ids: ids (int64, any integer sequence) of the forget set S; each must be in ``data``.
        config: how to train (``config.epochs`` counts passes over the *retain* set, so the
            retrained run takes ``config.num_steps(len(D \\ S))`` steps); ``config.seed`` draws the
            data order, as in :func:`~unlearnkit.training.fit`.
        init_seed: the seed ``model_fn`` gets (default ``config.seed``); use the original model's
            seed so that the retrained model differs from it only by the data. (Not a root seed, so
            it is named for its one purpose: see :mod:`unlearnkit._seeding`.)
        progress: show a progress bar.
        seed: the old name of ``init_seed`` (deprecated: it meant the initial weights only, not a
            root seed as ``seed`` does everywhere else).

    Returns:
        ``(model, log)``: the retrained model (eval mode) and its :class:`~unlearnkit.training.TrainLog`
        (``log.grad_evals`` is the cost of the request in gradient evaluations, ``log.seconds`` in
        seconds).

    Raises:
        TypeError: ``model_fn`` is not callable, ``data`` is not a Dataset, ``config`` not a
            TrainConfig, an id or ``init_seed`` is not an integer (a float id is refused), or both
            ``init_seed`` and ``seed`` are given.
        ValueError: ``forget_ids`` is empty, repeats an id, or names an id not in ``data``.

    Source: the "retrain from scratch" baseline of every unlearning paper (e.g. Cao & Yang 2015,
    Bourtoule et al. 2021). Introduced in lecture 02.
    """
    if seed is not None:
        if init_seed is not None:
            raise TypeError("give init_seed only (seed is its deprecated old name)")
        warnings.warn("retrain(seed=...) is deprecated: it is the seed of model_fn, now called init_seed",
                      DeprecationWarning, stacklevel=2)
        init_seed = seed
    if not callable(model_fn):
        raise TypeError(f"model_fn must be a callable seed -> nn.Module, got {type(model_fn).__name__}")
    check_dataset(data)
    check_train_config(config)
    init_seed = config.seed if init_seed is None else check_seed(init_seed, "init_seed")
    ids = as_ids(forget_ids, "forget_ids")
    if ids.numel() == 0:
        raise ValueError("forget_ids is empty: name at least one id to forget")
    pos = data.positions(ids, "forget_ids")  # checks duplicates and membership
    keep = torch.ones(len(data), dtype=torch.bool)
    keep[pos] = False
    retain = data.where(keep)
    model = model_fn(init_seed)
    log = fit(model, retain, config, progress=progress)
    return model, log


# ----------------------------------------------------------------------------- helpers
def _as_matrix(X, name: str, dtype) -> np.ndarray:
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().double().numpy()
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got shape {X.shape}")
    return X.astype(dtype, copy=False)


def _as_vector(y, n: int, name: str, dtype=None) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got shape {y.shape}")
    if dtype is not None:
        y = y.astype(dtype, copy=False)
    return y


def _as_labels(y, n: int, name: str = "y") -> np.ndarray:
    y = _as_vector(y, n, name)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    return y.astype(np.int64)


def _digests(X: np.ndarray, y: np.ndarray) -> list[bytes]:
    """SHA-256 of each row (features as float64 bytes, then the target as float64 bytes)."""
    Xb = np.ascontiguousarray(X, dtype=np.float64)
    yb = np.ascontiguousarray(y, dtype=np.float64)
    return [hashlib.sha256(Xb[i].tobytes() + yb[i:i + 1].tobytes()).digest() for i in range(Xb.shape[0])]


class _RowLedger:
    """A multiset of row digests: what has been added and may be forgotten."""

    def __init__(self):
        self.counts: Counter = Counter()

    def check_removable(self, digests: list[bytes], name: str):
        need = Counter(digests)
        for i, dg in enumerate(digests):
            if self.counts[dg] < need[dg]:
                if self.counts[dg] == 0:
                    raise ValueError(f"{name}: row {i} was never added to this model (or was already forgotten)")
                raise ValueError(f"{name}: row {i} is asked to be forgotten {need[dg]} times but was added "
                                 f"only {self.counts[dg]} times")

    def add(self, digests):
        self.counts.update(digests)

    def remove(self, digests):
        self.counts.subtract(digests)
        for dg in set(digests):
            if self.counts[dg] <= 0:
                del self.counts[dg]


def _check_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype must be float64 or float32, got {dtype}")
    return dtype


class _Summation:
    """Shared bookkeeping: input checks, the row ledger, fit/add/forget."""

    def _check_fitted(self):
        if not hasattr(self, "n_samples_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")

    def _prepare(self, X, y, name_X: str, name_y: str):
        raise NotImplementedError

    def fit(self, X, y):
        """Fit from scratch on ``X`` ``(n, d)`` and ``y`` ``(n,)``; returns ``self``.

        Raises:
            ValueError: ``X`` is empty or shapes disagree.  TypeError: non-numeric input or
            (naive Bayes) non-integer labels.
        """
        self._dtype = _check_dtype(self.dtype)
        X, y = self._prepare(X, y, "X", "y", first=True)
        if X.shape[0] == 0:
            raise ValueError("X is empty: fit needs at least one row")
        ledger = _RowLedger()
        ledger.add(_digests(X, y))
        self._commit(X, y, +1, first=True)
        self._ledger = ledger
        return self

    def add(self, X, y):
        """Add rows ``X`` ``(k, d)``, ``y`` ``(k,)`` to the sums (an incremental fit); returns ``self``.

        Raises:
            RuntimeError: not fitted.  ValueError: empty ``X``, wrong number of features, or (naive
            Bayes) a label not among ``classes_``.
        """
        self._check_fitted()
        X, y = self._prepare(X, y, "X", "y")
        if X.shape[0] == 0:
            raise ValueError("X is empty: add at least one row")
        digests = _digests(X, y)
        self._commit(X, y, +1)
        self._ledger.add(digests)
        return self

    def forget(self, X, y):
        """Forget rows ``X`` ``(k, d)``, ``y`` ``(k,)`` exactly by subtracting their contributions; returns ``self``.

        Every check runs before any sum changes, and the new sums and model are computed on a copy
        and committed only when all of it succeeds, so a refused or failed request (e.g. a singular
        solve) leaves the model, its sums and its ledger of rows as they were, and may be retried.

        Raises:
            RuntimeError: not fitted.
            ValueError: ``X`` is empty (nothing to forget); a row was never added (or more copies of
                a row are asked for than were added); the request would forget every row; wrong
                number of features; (naive Bayes) a label not among ``classes_``; (ridge) the rows
                that would remain leave ``A`` singular.
        """
        self._check_fitted()
        X, y = self._prepare(X, y, "X", "y")
        if X.shape[0] == 0:
            raise ValueError("X is empty: name at least one row to forget")
        digests = _digests(X, y)
        self._ledger.check_removable(digests, "X, y")
        if X.shape[0] >= self.n_samples_:
            raise ValueError(f"X, y: forgetting {X.shape[0]} rows would leave none of the {self.n_samples_} "
                             "counted; refit instead")
        self._commit(X, y, -1)
        self._ledger.remove(digests)
        return self

    def _commit(self, X, y, sign, first=False):
        """Compute the new sums and model on a shallow copy of ``self``; commit them only if all succeeds.

        ``_init_sums``, ``_accumulate`` and ``_update_model`` rebind attributes and never change an
        array in place, so the copy shares nothing that the computation writes to: a request whose
        computation fails (e.g. a singular solve) leaves every attribute, and the ledger, as they were.
        """
        new = copy.copy(self)
        if first:
            new._init_sums(X, y)
        new._accumulate(X, y, sign)
        new._update_model()
        self.__dict__.update(new.__dict__)


# ----------------------------------------------------------------------------- ridge
class SummationRidge(_Summation):
    """Ridge regression (least squares with an L2 penalty) kept as sufficient statistics.

    The model depends on the data only through ``A = X~^T X~ + lam P`` and ``b = X~^T y``, where
    ``X~`` is ``X`` with a column of ones appended when ``fit_intercept`` (the intercept is *not*
    penalised: ``P`` is the identity with a zero in the intercept's place, as in scikit-learn's
    ``Ridge``). The coefficients solve ``A w = b``. Forgetting rows subtracts their ``x~ x~^T``
    and ``x~ y`` from ``A`` and ``b``: the result equals refitting on the rows that remain, up to
    floating-point rounding (about 1e-12 relative for well-conditioned ``A`` in float64).

    With ``keep_inverse=True`` the model also keeps ``A^{-1}`` and updates it one row at a time by
    the Sherman-Morrison formula ``(A - u u^T)^{-1} = A^{-1} + A^{-1} u u^T A^{-1} / (1 - u^T A^{-1} u)``
    (and the ``+`` version for :meth:`add`), so a removal costs ``O(p^2)`` per row instead of a
    ``O(p^3)`` solve. Rounding accumulates over many downdates; refit now and then.

    Args:
        lam: the penalty ``lam >= 0`` (``lam = 0`` is ordinary least squares and needs ``X~`` of full
            column rank).
        fit_intercept: learn an unpenalised intercept.
        keep_inverse: maintain ``A^{-1}`` by Sherman-Morrison updates and compute ``coef_`` from it.
        dtype: float64 (default) or float32, the precision the sums are kept in.

    Attributes (after ``fit``):
        A_: ``(p, p)`` the penalised Gram matrix, ``p = d + fit_intercept``.
        b_: ``(p,)`` ``X~^T y``.
        A_inv_: ``(p, p)`` the maintained inverse (only with ``keep_inverse``).
        n_samples_: rows currently counted.  n_features_in_: d.
        coef_: ``(d,)`` weights.  intercept_: float (0.0 without ``fit_intercept``).

    Source: summation form after Cao & Yang (IEEE S&P 2015); ridge as our own example (docs/REFERENCES.md).
    Introduced in lecture 02.
    """

    def __init__(self, lam: float = 1.0, fit_intercept: bool = True, keep_inverse: bool = False, dtype=np.float64):
        self.lam = check_number(lam, "lam", 0, what="a finite number >= 0")
        self.fit_intercept = bool(fit_intercept)
        self.keep_inverse = bool(keep_inverse)
        self.dtype = dtype
        _check_dtype(dtype)

    def _prepare(self, X, y, name_X, name_y, first=False):
        X = _as_matrix(X, name_X, self._dtype)
        y = _as_vector(y, X.shape[0], name_y, self._dtype)
        if not first and X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name_X} must have {self.n_features_in_} features, got {X.shape[1]}")
        return X, y

    def _design(self, X):
        if self.fit_intercept:
            return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])
        return X

    def _init_sums(self, X, y):
        self.n_features_in_ = X.shape[1]
        p = X.shape[1] + int(self.fit_intercept)
        pen = np.ones(p, dtype=self._dtype)
        if self.fit_intercept:
            pen[-1] = 0
        self.A_ = np.diag(self.lam * pen).astype(self._dtype)
        self.b_ = np.zeros(p, dtype=self._dtype)
        self.n_samples_ = 0
        if self.keep_inverse:
            self.A_inv_ = None  # computed after the first accumulation

    def _accumulate(self, X, y, sign):
        Z = self._design(X)
        if self.keep_inverse and getattr(self, "A_inv_", None) is not None:
            Ainv = self.A_inv_.copy()
            for u in Z:
                v = Ainv @ u
                denom = 1.0 + sign * (u @ v)
                if not np.isfinite(denom) or abs(denom) < 1e-12:
                    raise ValueError("X, y: the Sherman-Morrison update is singular here (the remaining rows "
                                     "do not determine the model); refit with keep_inverse=False")
                Ainv = Ainv - sign * np.outer(v, v) / denom
            self.A_inv_ = Ainv
        self.A_ = self.A_ + sign * (Z.T @ Z)
        self.b_ = self.b_ + sign * (Z.T @ y)
        self.n_samples_ += sign * X.shape[0]
        if self.keep_inverse and self.A_inv_ is None:
            try:
                self.A_inv_ = np.linalg.inv(self.A_)
            except np.linalg.LinAlgError:
                raise ValueError(self._singular_message()) from None

    def _singular_message(self):
        return (f"X, y: A = X~^T X~ + lam P is singular for the {self.n_samples_} rows this request would "
                f"leave counted (lam = {self.lam} needs rows that determine all {self.A_.shape[0]} "
                "parameters; use lam > 0); the model is left as it was")

    def _update_model(self):
        try:
            w = self.A_inv_ @ self.b_ if self.keep_inverse else np.linalg.solve(self.A_, self.b_)
        except np.linalg.LinAlgError:
            raise ValueError(self._singular_message()) from None
        if not np.all(np.isfinite(w)):
            raise ValueError(self._singular_message())
        if self.fit_intercept:
            self.coef_, self.intercept_ = w[:-1], float(w[-1])
        else:
            self.coef_, self.intercept_ = w, 0.0

    def predict(self, X) -> np.ndarray:
        """Predictions ``X @ coef_ + intercept_``: ``(n,)`` in the model's dtype.

        Raises:
            RuntimeError: not fitted.  ValueError: wrong number of features.
        """
        self._check_fitted()
        X = _as_matrix(X, "X", self._dtype)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} features, got {X.shape[1]}")
        return X @ self.coef_ + self.intercept_


# ----------------------------------------------------------------------------- naive Bayes
class _SummationNB(_Summation):
    def _prepare(self, X, y, name_X, name_y, first=False):
        X = _as_matrix(X, name_X, self._dtype)
        y = _as_labels(y, X.shape[0], name_y)
        if first:
            return X, y
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name_X} must have {self.n_features_in_} features, got {X.shape[1]}")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"{name_y} holds labels {unknown.tolist()[:10]} that are not among classes_ "
                             f"{self.classes_.tolist()}")
        return X, y

    def _class_index(self, y):
        return np.searchsorted(self.classes_, y)

    def _init_classes(self, X, y):
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.unique(y) if self.classes is None else np.asarray(sorted(set(int(c) for c in self.classes)))
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels {unknown.tolist()[:10]} not among classes {self.classes_.tolist()}")
        self.class_count_ = np.zeros(len(self.classes_), dtype=self._dtype)
        self.n_samples_ = 0

    def _onehot(self, y):
        Y = np.zeros((y.shape[0], len(self.classes_)), dtype=self._dtype)
        Y[np.arange(y.shape[0]), self._class_index(y)] = 1
        return Y

    def _joint_log_likelihood(self, X):
        raise NotImplementedError

    def predict_log_proba(self, X) -> np.ndarray:
        """Log posterior ``log P(class | x)``: ``(n, n_classes)`` (columns ordered as ``classes_``).

        A class with no remaining rows gets ``-inf``.
        """
        self._check_fitted()
        X = _as_matrix(X, "X", self._dtype)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} features, got {X.shape[1]}")
        jll = self._joint_log_likelihood(X)
        m = np.max(jll, axis=1, keepdims=True)
        return jll - (m + np.log(np.sum(np.exp(jll - m), axis=1, keepdims=True)))

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probabilities ``(n, n_classes)``, rows summing to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """Most probable class for each row: ``(n,)`` int64 labels from ``classes_`` (ties: first in ``classes_``)."""
        return self.classes_[np.argmax(self.predict_log_proba(X), axis=1)]

    def score(self, X, y) -> float:
        """Accuracy in [0, 1] on ``X``, ``y``."""
        pred = self.predict(X)
        return float(np.mean(pred == _as_labels(y, pred.shape[0])))


class SummationGaussianNB(_SummationNB):
    """Gaussian naive Bayes kept as class counts, feature sums and sums of squares.

    Per class ``c`` the model keeps ``N_c`` and, about a shift ``K_c`` ``(d,)`` fixed at ``fit``,
    ``S_c = sum_{i in c} (x_i - K_c)`` and ``Q_c = sum_{i in c} (x_i - K_c)^2`` (element-wise). From
    them: mean ``theta_c = K_c + S_c / N_c``, variance ``var_c = Q_c / N_c - (S_c / N_c)^2 + epsilon_``
    (the biased variance, as scikit-learn), prior ``N_c / N``, with ``epsilon_ = var_smoothing *
    max_j var_j(X)`` (scikit-learn's ``GaussianNB`` rule), the overall variance combined from the
    class sums as ``sum_c [Q_c + 2 (K_c - m) S_c + N_c (K_c - m)^2] / N`` about the overall mean
    ``m``. Forgetting rows subtracts their counts, shifted sums and shifted squares: still summation
    form (``g(x) = x - K_c`` and ``(x - K_c)^2`` with ``K_c`` a constant), and parameters and
    predictions equal a refit on the remaining rows up to rounding.

    Why the shift: ``Q/N - (S/N)^2`` about zero subtracts two numbers of size ``mean^2`` to get one of
    size ``var``, losing about ``log10(mean^2 / var)`` digits (1000 values at 1e4 +- 0.01, 10 removed:
    2e-4 relative error in float64). With ``K_c`` the class mean at ``fit`` the sums stay of the size
    of the spread and the removal agrees with a two-pass variance of the retained rows to about 1e-12
    relative. The shift stays fixed (a removal must subtract exactly what was added), so rows added
    later far from ``K_c`` bring the cancellation back: refit then. ``center=False`` keeps the
    textbook sums about zero (``K_c = 0``), whose cancellation lecture 02 shows ("the float32 trap").
    Centring a running sum is the textbook remedy for this cancellation (e.g. Chan, Golub & LeVeque,
    "Algorithms for computing the sample variance", 1983); Cao & Yang do not discuss precision.

    Args:
        var_smoothing: added variance, as a fraction of the largest feature variance (>= 0).
        classes: the class labels to model (default: the labels seen by ``fit``). A class whose
            rows are all forgotten keeps prior 0 and is never predicted.
        dtype: float64 (default) or float32.
        center: keep the sums about the class means found by ``fit`` (default) or about zero.

    Attributes (after ``fit``):
        classes_ ``(C,)`` int64; class_count_ ``(C,)``; shift_ ``(C, d)`` (``K``: the class means at
        ``fit``, the overall mean for a class with no rows then, zeros without ``center``);
        sum_ ``(C, d)`` and sumsq_ ``(C, d)`` (about ``shift_``); theta_ ``(C, d)``; var_ ``(C, d)``;
        class_prior_ ``(C,)``; epsilon_ float; n_samples_ int; n_features_in_ int.

    Source: naive Bayes in summation form, Cao & Yang (IEEE S&P 2015); parameters as scikit-learn's
    ``GaussianNB`` (which updates means and variances by Chan et al.'s merge rule instead of sums).
    Introduced in lecture 02.
    """

    def __init__(self, var_smoothing: float = 1e-9, classes=None, dtype=np.float64, center: bool = True):
        check_number(var_smoothing, "var_smoothing", 0, what="a number >= 0")
        if not isinstance(center, (bool, np.bool_)):
            raise TypeError(f"center must be True or False, got {type(center).__name__} {center!r}")
        self.var_smoothing = float(var_smoothing)
        self.classes = classes
        self.dtype = dtype
        self.center = bool(center)
        _check_dtype(dtype)

    def _init_sums(self, X, y):
        self._init_classes(X, y)
        C, d = len(self.classes_), X.shape[1]
        shift = np.zeros((C, d), dtype=np.float64)
        if self.center:
            shift[:] = X.mean(axis=0, dtype=np.float64)
            idx = self._class_index(y)
            for c in np.unique(idx):
                shift[c] = X[idx == c].mean(axis=0, dtype=np.float64)
        self.shift_ = shift.astype(self._dtype)
        self.sum_ = np.zeros((C, d), dtype=self._dtype)
        self.sumsq_ = np.zeros((C, d), dtype=self._dtype)

    def _accumulate(self, X, y, sign):
        Y = self._onehot(y)
        Xc = X - self.shift_[self._class_index(y)]     # each row about its class's fixed shift
        self.class_count_ = self.class_count_ + sign * Y.sum(axis=0)
        self.sum_ = self.sum_ + sign * (Y.T @ Xc)
        self.sumsq_ = self.sumsq_ + sign * (Y.T @ (Xc * Xc))
        self.n_samples_ += sign * X.shape[0]

    def _update_model(self):
        N = self.class_count_.sum()
        present = self.class_count_ > 0
        cnt = np.where(present, self.class_count_, 1)[:, None]
        mean_c = self.sum_ / cnt                        # class mean minus its shift
        # overall variance from the class sums, every term taken about the overall mean m
        m = (self.class_count_[:, None] * self.shift_ + self.sum_).sum(axis=0) / N
        off = np.where(present[:, None], self.shift_ - m, 0)
        overall_var = (self.sumsq_ + 2 * off * self.sum_ + self.class_count_[:, None] * off ** 2).sum(axis=0) / N
        self.epsilon_ = float(self.var_smoothing * np.max(overall_var))
        self.theta_ = np.where(present[:, None], self.shift_ + mean_c, 0).astype(self._dtype)
        var = self.sumsq_ / cnt - mean_c ** 2
        self.var_ = (np.where(present[:, None], var, 1) + self.epsilon_).astype(self._dtype)
        self.class_prior_ = (self.class_count_ / N).astype(self._dtype)

    def _joint_log_likelihood(self, X):
        with np.errstate(divide="ignore", invalid="ignore"):
            log_prior = np.log(self.class_prior_)
            ll = -0.5 * np.sum(np.log(2.0 * np.pi * self.var_), axis=1)[None, :] \
                - 0.5 * np.sum((X[:, None, :] - self.theta_[None]) ** 2 / self.var_[None], axis=2)
        return log_prior[None, :] + ll


class SummationMultinomialNB(_SummationNB):
    """Multinomial naive Bayes (counts as features) kept as class counts and feature counts.

    Per class ``c`` the model keeps ``N_c`` and ``F_c = sum_{i in c} x_i`` ``(d,)``; then
    ``feature_log_prob_[c, j] = log((F_cj + alpha) / (sum_j F_cj + alpha d))`` and
    ``class_log_prior_[c] = log(N_c / N)``, as scikit-learn's ``MultinomialNB`` with
    ``fit_prior=True``. Forgetting rows subtracts their counts: the result equals a refit.
    This is the paper's canonical example of summation form.

    Args:
        alpha: additive (Laplace) smoothing, > 0.
        classes: the class labels to model (default: those seen by ``fit``).
        dtype: float64 (default) or float32.

    Attributes (after ``fit``):
        classes_ ``(C,)``; class_count_ ``(C,)``; feature_count_ ``(C, d)``;
        feature_log_prob_ ``(C, d)``; class_log_prior_ ``(C,)``; n_samples_; n_features_in_.

    Raises (fit/add/forget): ValueError for a negative feature value.

    Source: Cao & Yang (IEEE S&P 2015). Introduced in lecture 02.
    """

    def __init__(self, alpha: float = 1.0, classes=None, dtype=np.float64):
        check_number(alpha, "alpha", 0, open_min=True, what="a number > 0")
        self.alpha = float(alpha)
        self.classes = classes
        self.dtype = dtype
        _check_dtype(dtype)

    def _prepare(self, X, y, name_X, name_y, first=False):
        X, y = super()._prepare(X, y, name_X, name_y, first)
        if X.size and X.min() < 0:
            raise ValueError(f"{name_X} must hold non-negative counts, got a minimum of {X.min()}")
        return X, y

    def _init_sums(self, X, y):
        self._init_classes(X, y)
        self.feature_count_ = np.zeros((len(self.classes_), X.shape[1]), dtype=self._dtype)

    def _accumulate(self, X, y, sign):
        Y = self._onehot(y)
        self.class_count_ = self.class_count_ + sign * Y.sum(axis=0)
        self.feature_count_ = self.feature_count_ + sign * (Y.T @ X)
        self.n_samples_ += sign * X.shape[0]

    def _update_model(self):
        smoothed = self.feature_count_ + self.alpha
        self.feature_log_prob_ = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        with np.errstate(divide="ignore"):
            self.class_log_prior_ = np.log(self.class_count_) - np.log(self.class_count_.sum())

    def _joint_log_likelihood(self, X):
        return X @ self.feature_log_prob_.T + self.class_log_prior_[None, :]
