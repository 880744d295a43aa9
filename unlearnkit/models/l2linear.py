"""An L2-regularised linear model fitted to its exact optimum: the model of Newton-step removal.

:class:`L2LinearModel` minimises Guo et al.'s (optionally perturbed) L2-regularised logistic or
squared loss by Newton's method in float64. :func:`unlearnkit.approximate.newton_removal` removes
points from it with one Newton step per block and bounds the gradient residual; the helpers
:func:`unit_rows`, :func:`grad_sum` and :func:`hessian_sum` are the sums both use.

Source: Guo, Goldstein, Hannun, van der Maaten, "Certified Data Removal from Machine Learning
Models", ICML 2020 (reference code: facebookresearch/certified-removal).

Introduced in lecture 04.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._common import check_dataset, check_int, check_number
from .._seeding import check_seed, cpu_generator, derive_seed
from ..data import Dataset

__all__ = ["L2LinearModel"]


def unit_rows(X: torch.Tensor) -> torch.Tensor:
    """``X`` with every non-zero row scaled to unit L2 norm (zero rows stay zero)."""
    norm = X.norm(dim=1, keepdim=True)
    return X / torch.where(norm > 0, norm, torch.ones_like(norm))


class L2LinearModel(nn.Module):
    """An L2-regularised linear model fitted to its exact optimum, ready for Newton-step removal.

    Objective (Guo, Goldstein, Hannun, van der Maaten, "Certified Data Removal from Machine Learning
    Models", ICML 2020), for one output column:
    ``L_b(w) = sum_i l(w^T x_i, t_i) + (lam * n / 2) ||w||^2 + b^T w``, with

    - ``loss="logistic"``: ``l(z, t) = log(1 + exp(-t z))``, ``t`` in {-1, +1}; several classes are
      fitted one-vs-rest (one ``w`` per class, as the reference code's ``train_mode='ovr'``); logits
      are ``X w``. ``binary=True`` (two classes only) fits a single ``w`` with ``t = +1`` for class 1
      and ``-1`` for class 0, as Guo et al.'s MNIST experiment (3 vs 8, ``train_mode='binary'``);
      logits are ``(0, w^T x)``. (One-vs-rest on two classes fits two mirror-image columns and, its
      bounds being summed, certifies half as much.)
    - ``loss="squared"``: ridge regression, ``l(z, t) = (z - t)^2 / 2`` on the float tag ``"target"``;
      a single output.
    - ``b``: Guo et al.'s **objective perturbation**, drawn once at ``fit``: every entry i.i.d.
      ``N(0, sigma^2)`` (one column per output), from ``derive_seed(seed, "objective perturbation")``.
      ``sigma = 0`` (the default) gives ``b = 0``: the plain objective, with no certificate.
      The reference code (facebookresearch/certified-removal, ``test_removal.py``) minimises the mean
      form ``mean_i l + lam/2 ||w||^2 + b^T w / n`` (``b = std * randn``), which is ours divided by n:
      same optimum. Pick ``sigma`` for a target (epsilon, delta) with :func:`certified_sigma`, and
      read the certificate of the removals done so far with :func:`removal_certificate`.

    Rows of X are scaled to unit norm inside the model (the bound assumes ``||x_i|| <= 1``); there is
    no intercept (append a constant feature if you need one). Fitted in float64 by Newton's method.
    A ``torch.nn.Module`` whose ``forward`` returns float32 logits ``(batch, classes)``, so
    :func:`unlearnkit.training.accuracy` works on it; scikit-learn habits: ``fit`` returns ``self``,
    learned state ends in ``_``.

    Args:
        lam: the L2 weight (> 0).  loss: ``"logistic"`` or ``"squared"``.
        sigma: standard deviation of each entry of ``b`` (>= 0).  seed: draws ``b``.
        binary: one weight vector for a two-class problem (logistic loss only).

    Attributes (after fit):
        coef_: float64 ``(outputs, d)``.
        b_: float64 ``(outputs, d)``, the objective perturbation (zeros when ``sigma = 0``).
        n_: the number of training examples the objective currently sums over.
        n_iter_, converged_: Newton iterations used by ``fit`` and whether the step fell below ``tol``
            (the removal bound assumes the fit reached the optimum).
        fit_residual_: float, ``||grad L_b(coef_; data)||`` left by ``fit`` (rounding level when converged);
            the certificate adds it to the removals' bound.
        residual_bound_: float, the gradient-residual bound accumulated by removals since fitting.
        bound_history_: list of floats, ``residual_bound_`` after each removal step.

    Raises:
        TypeError: ``lam`` or ``sigma`` not a number, ``binary`` not a bool, a seed not an integer.
        ValueError: ``lam`` <= 0, unknown loss, ``sigma`` < 0, a negative seed, ``binary`` with the
            squared loss; (fit) ``binary`` on data without exactly 2 classes.

    Introduced in lecture 04.
    """

    def __init__(self, lam: float = 1e-3, loss: str = "logistic", *, sigma: float = 0.0, seed: int = 0,
                 binary: bool = False):
        super().__init__()
        lam = check_number(lam, "lam", 0, open_min=True, what="> 0 (the Hessian must be invertible)")
        if loss not in ("logistic", "squared"):
            raise ValueError(f"loss must be 'logistic' or 'squared', got {loss!r}")
        if not isinstance(binary, bool):
            raise TypeError(f"binary must be True or False, got {type(binary).__name__} {binary!r}")
        if binary and loss != "logistic":
            raise ValueError(f"binary=True needs loss='logistic' (one weight vector for two classes); got loss={loss!r}")
        self.lam = lam
        self.loss = loss
        self.sigma = check_number(sigma, "sigma", 0)
        self.seed = check_seed(seed)
        self.binary = binary
        self.register_buffer("coef_", torch.zeros(0, 0, dtype=torch.float64))
        self.b_ = torch.zeros(0, 0, dtype=torch.float64)
        self.n_ = 0
        self.n_iter_ = 0
        self.converged_ = False
        self.fit_residual_ = 0.0
        self.residual_bound_ = 0.0
        self.bound_history_: list[float] = []

    def targets(self, data: Dataset) -> torch.Tensor:
        """The float64 targets of ``data``, one column per output: ``t`` in {-1, +1} per class
        (one-vs-rest; one column with ``binary``) or the float tag ``"target"`` (squared loss)."""
        if self.loss == "squared":
            if "target" not in data.tags:
                raise ValueError("loss='squared' needs the float tag 'target' on the data")
            return data.tags["target"].to(torch.float64).reshape(-1, 1)
        k = data.num_classes
        if self.binary:
            if k != 2:
                raise ValueError(f"binary=True needs a two-class data set (labels 0 and 1), got num_classes={k}")
            return (data.y.to(torch.float64) * 2 - 1).reshape(-1, 1)       # t = +1 for class 1
        return F.one_hot(data.y, k).to(torch.float64) * 2 - 1

    def design(self, data: Dataset) -> torch.Tensor:
        """The rows the objective sees: ``data.X`` in float64, each row scaled to unit norm."""
        return unit_rows(data.X.to(torch.float64))

    _targets, _X = targets, design   # the names used before they were public

    def fit(self, data: Dataset, max_iter: int = 100, tol: float = 1e-10) -> "L2LinearModel":
        """Minimise the objective on ``data`` by damped Newton's method (float64); returns ``self``.

        Each iteration solves for the Newton step and takes it whole when that lowers the objective
        enough (Armijo's rule, ``f(w - t s) <= f(w) - 1e-4 t g^T s``, up to float64 rounding of ``f``),
        else halves it until it does. Guo et al.'s reference code minimises with L-BFGS; plain Newton
        steps (what this method took before the R2 review) diverge for small ``lam`` (on the digits
        at the reference code's default ``lam = 1e-6``: weights of norm 2e5, gradient 581 after 50
        steps), while the damped steps converge for any ``lam > 0`` (the objective is strictly
        convex). Where the whole step is always accepted, the result is bitwise what plain Newton gives.
        Stops when the largest entry of the step taken is below ``tol`` (``converged_``) or after
        ``max_iter`` iterations; ``fit_residual_`` is the norm of the gradient of ``L_b`` left at the
        returned weights, which :func:`~unlearnkit.approximate.removal_certificate` counts.

        Raises:
            TypeError: data is not a Dataset; ``max_iter`` not an integer; ``tol`` not a number.
            ValueError: data is empty; ``max_iter`` < 1; ``tol`` < 0.
        (Checked before anything changes.)
        """
        check_dataset(data)
        max_iter = check_int(max_iter, "max_iter", 1)
        tol = check_number(tol, "tol", 0, what="a finite number >= 0")
        if len(data) == 0:
            raise ValueError("data is empty")
        X, T = self.design(data), self.targets(data)
        n, d = X.shape
        W = torch.zeros(T.shape[1], d, dtype=torch.float64)
        b = torch.zeros_like(W)
        if self.sigma > 0:
            g = cpu_generator(derive_seed(self.seed, "objective perturbation"))
            b = self.sigma * torch.randn(W.shape, generator=g, dtype=torch.float64)
        eye = torch.eye(d, dtype=torch.float64)
        converged = False
        for it in range(1, max_iter + 1):
            G = grad_sum(W, X, T, self.loss) + self.lam * n * W + b
            H = hessian_sum(W, X, T, self.loss) + self.lam * n * eye
            step = torch.linalg.solve(H, G.unsqueeze(-1)).squeeze(-1)
            f0 = objective(W, X, T, self.loss, self.lam, b)
            slope = -float((G * step).sum())                 # g^T (-s) < 0: a descent direction
            slack = 1e-12 * max(1.0, abs(f0))                 # rounding of f near the optimum
            t = 1.0
            while True:
                W_try = W - step if t == 1.0 else W - t * step
                if objective(W_try, X, T, self.loss, self.lam, b) <= f0 + 1e-4 * t * slope + slack or t < 2.0 ** -40:
                    break
                t *= 0.5
            W = W_try
            if t * float(step.abs().max()) < tol:
                converged = True
                break
        G = grad_sum(W, X, T, self.loss) + self.lam * n * W + b
        self.b_ = b
        self.converged_ = converged
        self.n_iter_ = it
        self.coef_ = W
        self.n_ = n
        self.fit_residual_ = float(G.norm())
        self.residual_bound_ = 0.0
        self.bound_history_ = []
        return self

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.coef_.numel() == 0:
            raise RuntimeError("this L2LinearModel is not fitted yet: call fit(data) first")
        z = unit_rows(X.to(torch.float64)) @ self.coef_.T
        if self.binary:                 # logits (0, w^T x): softmax gives P(class 1) = sigmoid(w^T x)
            z = torch.cat([torch.zeros_like(z), z], dim=1)
        return z.to(torch.float32)

    def gradient(self, data: Dataset) -> torch.Tensor:
        """The gradient of the full objective on ``data`` at ``coef_``: ``(outputs, d)``.

        Penalty ``lam * len(data) / 2`` and the perturbation ``b_`` included: after removals, its
        norm (``.norm()``, over all outputs) is the true gradient residual that the accumulated
        bound ``residual_bound_`` bounds.
        """
        X, T = self.design(data), self.targets(data)
        return grad_sum(self.coef_, X, T, self.loss) + self.lam * X.shape[0] * self.coef_ + self.b_


def objective(W, X, T, loss, lam, b) -> float:
    """(Newton-removal helper) ``L_b(W)`` summed over outputs: ``sum_i l + lam n / 2 ||W||^2 + <b, W>`` (float)."""
    Z = X @ W.T
    if loss == "logistic":
        L = torch.logaddexp(torch.zeros_like(Z), -T * Z).sum()     # log(1 + exp(-t z)), exact for any z
    else:
        L = 0.5 * ((Z - T) ** 2).sum()
    return float(L + 0.5 * lam * X.shape[0] * (W * W).sum() + (b * W).sum())


def grad_sum(W, X, T, loss):
    """(Newton-removal helper) Sum over examples of the per-example loss gradient, for every output: (outputs, d)."""
    Z = X @ W.T                                   # (n, outputs)
    if loss == "logistic":
        G = -T * torch.sigmoid(-T * Z)             # dl/dz
    else:
        G = Z - T
    return G.T @ X


def hessian_sum(W, X, T, loss):
    """(Newton-removal helper) Sum over examples of l''(z_i) x_i x_i^T, for every output: (outputs, d, d)."""
    Z = X @ W.T
    if loss == "logistic":
        s = torch.sigmoid(Z)
        c = s * (1 - s)                             # l'' does not depend on t for t in {-1, +1}
    else:
        c = torch.ones_like(Z)
    return torch.einsum("no,ni,nj->oij", c, X, X)
