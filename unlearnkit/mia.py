"""Membership inference and empirical epsilon: telling two samples of a model statistic apart.

An unlearning algorithm U is (epsilon, delta)-close to retraining when no test separates the
distribution of U(A(D), S, D) from that of A(D \\ S) better than epsilon and delta allow (lecture 01,
docs/REFERENCES.md). This module measures that from models:

* **Statistic.** :func:`lira_phi` turns logits into the LiRA-scaled confidence
  ``phi = log p_y - log sum_{y' != y} p_y'`` (Carlini et al. 2022), one number per model and example.
* **Empirical epsilon.** :func:`empirical_epsilon` is the estimator of the NeurIPS 2023 machine
  unlearning challenge (Triantafillou et al. 2024; google-deepmind/unlearning_evaluation ``metric.py``):
  for every threshold rule, the false positive and false negative rates of telling the two samples
  apart give an epsilon at ``delta`` (:func:`epsilon_from_rates`); the estimate is the largest.
  :func:`empirical_epsilons` does it per example and :func:`forget_score` turns epsilons into the
  challenge's per-example score.
* **Known answer.** For two Gaussians of equal variance the exact curve is known
  (:func:`gaussian_delta`, its inverse :func:`gaussian_epsilon`; Balle & Wang 2018), which is how the
  estimator is checked; :func:`max_finite_epsilon` is the ceiling any estimate from N models hits.

* **Attacks and ROC.** :func:`loss_threshold_scores` and :func:`loss_threshold_auc` are the
  loss-threshold attack (Yeom et al. 2018), :func:`loss_threshold_aucs` the same for many models;
  :func:`roc_curve`, :func:`roc_auc` and :func:`tpr_at_fpr` read any attack's scores (members
  positive), :func:`plot_roc` draws the curve on log-log axes and :func:`chance_interval` says where
  the TPR of an attack with no power falls.
* **LiRA and U-LiRA** (lecture 05). :func:`lira_fit` fits per-example Gaussians of the statistic over
  shadow models, :func:`lira_scores` turns a target model's statistic into the online or offline
  score (Carlini et al. 2022), :func:`lira_leave_one_out` attacks every model with the others as
  shadows, :func:`ulira_leave_one_out` is U-LiRA (Hayes et al. 2025: the shadow models were unlearned
  with the method under test) and :func:`pool` flattens scores into one ROC sample.
* **Relearning** (lecture 05). :func:`relearning_curve`: a few fine-tuning steps on part of the
  forget set, and the accuracy that comes back on the rest; run it on the retrained models too.

Introduced in lecture 01.
"""
from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from ._common import check_dataset, check_instance, check_int, check_number
from ._seeding import check_seed, derive_seed

__all__ = [
    "DELTA",
    "EPSILON_CAP",
    "THRESHOLDS_PER_UNIT",
    "lira_phi",
    "epsilon_from_rates",
    "EpsilonEstimate",
    "empirical_epsilon",
    "empirical_epsilons",
    "max_finite_epsilon",
    "forget_score",
    "gaussian_delta",
    "gaussian_epsilon",
    "roc_curve",
    "roc_auc",
    "tpr_at_fpr",
    "loss_threshold_scores",
    "loss_threshold_auc",
    "loss_threshold_aucs",
    "chance_interval",
    "plot_roc",
    "LiraFit",
    "lira_fit",
    "lira_scores",
    "lira_leave_one_out",
    "ulira_leave_one_out",
    "pool",
    "relearning_curve",
    "relearning_recovery",
]

#: delta used by the NeurIPS 2023 unlearning challenge.
DELTA = 1e-5
#: the value that stands for "infinite" epsilon (perfect separation) in the challenge.
EPSILON_CAP = 50.0
#: grid density of the challenge's thresholds: this many per unit of the statistic.
THRESHOLDS_PER_UNIT = 100
_BUFFER = 2.0        # the interval family looks this far (units of the statistic) around the peakier sample
_FAMILIES = ("single", "interval")


# ----------------------------------------------------------------------------- input checks
def _check_delta(delta) -> float:
    return check_number(delta, "delta", 0, 1, open_min=True, open_max=True, what="a number in (0, 1)")


def _as_array(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numbers (an array or tensor), got {type(x).__name__}") from err
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN")
    return a


def _sample(x, name: str) -> np.ndarray:
    a = _as_array(x, name)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one value per model), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty: need at least one value per side")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains inf: the statistic must be finite")
    return a


# ----------------------------------------------------------------------------- the statistic
def lira_phi(logits, labels) -> np.ndarray:
    """LiRA-scaled confidence ``phi = log p_y - log sum_{y' != y} p_y' = z_y - logsumexp_{y' != y} z_y'``.

    The logit of the softmax confidence in the true class (Carlini et al., "Membership Inference
    Attacks From First Principles", IEEE S&P 2022); over many models it is close to Gaussian, which
    is why LiRA and the NeurIPS 2023 challenge use it. Computed from the logits in float64 without
    forming probabilities, so it stays exact when ``p_y`` rounds to 1 (the challenge's code adds
    1e-45 inside the logs instead, which clips ``|phi|`` near 103).

    Args:
        logits: float array/tensor ``(..., classes)``, e.g. ``ManyModels.logits(X)`` ``(m, n, classes)``.
        labels: int array/tensor broadcastable to ``logits.shape[:-1]`` (e.g. ``(n,)``).

    Returns:
        float64 numpy array of shape ``logits.shape[:-1]`` (nats; larger = more confident).

    Raises:
        ValueError: fewer than 2 classes, NaN logits, labels out of range or not broadcastable.
        TypeError: labels are not integers.

    Introduced in lecture 01 (LiRA and U-LiRA use it again in lecture 05).
    """
    z = torch.as_tensor(_as_array(logits, "logits"))
    if z.dim() < 1 or z.shape[-1] < 2:
        raise ValueError(f"logits must have shape (..., classes) with classes >= 2, got {tuple(z.shape)}")
    y = torch.as_tensor(labels.detach().cpu() if isinstance(labels, torch.Tensor) else np.asarray(labels))
    if y.dtype.is_floating_point or y.dtype == torch.bool or y.is_complex():
        raise TypeError(f"labels must be integers, got dtype {y.dtype}")
    try:
        y = torch.broadcast_to(y.to(torch.int64), z.shape[:-1])
    except RuntimeError as err:
        raise ValueError(f"labels of shape {tuple(y.shape)} do not broadcast to {tuple(z.shape[:-1])}") from err
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= z.shape[-1]):
        raise ValueError(f"labels must lie in 0..{z.shape[-1] - 1}")
    zy = torch.gather(z, -1, y.unsqueeze(-1)).squeeze(-1)
    others = z.scatter(-1, y.unsqueeze(-1), float("-inf"))
    return (zy - torch.logsumexp(others, dim=-1)).numpy()


# ----------------------------------------------------------------------------- epsilon from rates
def epsilon_from_rates(fpr, fnr, delta: float):
    """The two-sided epsilon one threshold rule certifies at ``delta``, from its FPR and FNR.

    A test with false positive rate ``fpr`` and false negative rate ``fnr`` shows that no epsilon
    below ``max(ln(1 - delta - fpr) - ln(fnr), ln(1 - delta - fnr) - ln(fpr))`` can hold in both
    directions; the value is clipped at 0. Following the NeurIPS 2023 challenge's estimator
    (Triantafillou et al. 2024): if both rates are 0 the samples are perfectly separated and the
    result is ``inf``; if exactly one is 0 the threshold rests on too few samples and the result is
    ``nan`` (the estimator drops it). A log of a non-positive number counts as ``-inf``.

    Args:
        fpr, fnr: rates in [0, 1], floats or arrays of the same (broadcastable) shape.
        delta: in (0, 1).

    Returns:
        float (scalar inputs) or float64 array: epsilon >= 0, ``inf`` or ``nan`` as above.

    Raises:
        ValueError: a rate outside [0, 1] or NaN; ``delta`` outside (0, 1).

    Introduced in lecture 01.
    """
    delta = _check_delta(delta)
    fpr_a, fnr_a = _as_array(fpr, "fpr"), _as_array(fnr, "fnr")
    for name, a in (("fpr", fpr_a), ("fnr", fnr_a)):
        if ((a < 0) | (a > 1)).any():
            raise ValueError(f"{name} must lie in [0, 1]")
    fpr_a, fnr_a = np.broadcast_arrays(fpr_a, fnr_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 - delta - fpr_a
        b = 1.0 - delta - fnr_a
        log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1.0)), -np.inf)
        log_b = np.where(b > 0, np.log(np.where(b > 0, b, 1.0)), -np.inf)
        eps = np.maximum(log_a - np.log(fnr_a), log_b - np.log(fpr_a))
    eps = np.maximum(eps, 0.0)
    zero_p, zero_n = fpr_a == 0, fnr_a == 0
    eps = np.where(zero_p & zero_n, np.inf, np.where(zero_p ^ zero_n, np.nan, eps))
    return float(eps) if eps.ndim == 0 else eps


# ----------------------------------------------------------------------------- the estimator
@dataclass(frozen=True)
class EpsilonEstimate:
    """What :func:`empirical_epsilon` found.

    Attributes:
        epsilon: the estimate (>= 0, at most ``cap``).
        reason: ``"threshold"`` (the best threshold gave it), ``"separated"`` (some threshold had
            FPR = FNR = 0: capped), ``"range"`` (one sample's range is under 1% of the other's:
            capped), ``"constant"`` (both samples constant and equal: 0), or ``"no threshold"``
            (every threshold was dropped: 0).
        family: ``"single"`` or ``"interval"`` for the best rule, else None.
        threshold: the best rule: ``(t,)`` (positive iff value >= t) or ``(l, r)`` (positive iff
            l <= value <= r); None if none.
        positive: which sample the best rule calls positive: ``"unlearned"`` or ``"retrained"``.
        fpr, fnr: the best rule's rates (nan if none).
        n_thresholds: rules tried; n_kept: rules left after dropping.

    Introduced in lecture 01.
    """

    epsilon: float
    reason: str
    family: str | None = None
    threshold: tuple | None = None
    positive: str | None = None
    fpr: float = float("nan")
    fnr: float = float("nan")
    n_thresholds: int = 0
    n_kept: int = 0


def _count_ge(sorted_x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """How many of ``sorted_x`` are >= each t."""
    return sorted_x.size - np.searchsorted(sorted_x, t, side="left")


def _count_in(sorted_x: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """How many of ``sorted_x`` lie in [left, right] (0 for an empty interval)."""
    k = np.searchsorted(sorted_x, right, side="right") - np.searchsorted(sorted_x, left, side="left")
    return np.maximum(k, 0)


def _rates(pos: np.ndarray, neg: np.ndarray, called_pos_p: np.ndarray, called_pos_n: np.ndarray):
    """(FPR, FNR) from how many positives and negatives a rule calls positive (exact zeros stay zero)."""
    return called_pos_n / neg.size, (pos.size - called_pos_p) / pos.size


def empirical_epsilon(unlearned, retrained, delta: float = DELTA, *, families=_FAMILIES,
                      per_unit: int = THRESHOLDS_PER_UNIT, cap: float = EPSILON_CAP, details: bool = False):
    """Estimate epsilon at ``delta`` from one statistic's values under unlearned and retrained models.

    The estimator of the NeurIPS 2023 machine unlearning challenge (Triantafillou et al., "Are we
    making progress in unlearning? Findings from the first NeurIPS unlearning competition", 2024;
    google-deepmind/unlearning_evaluation ``metric.py``), for one example:

    1. If one sample's range (max - min) is under 1% of the other's, the peaky one is easy to tell
       apart: return ``cap``. (Both samples constant: 0 if equal, ``cap`` if not.)
    2. Positive = the sample with the larger median (the unlearned one on a tie).
       *Single-threshold* rules: ``ceil(range * per_unit)`` thresholds evenly spaced from the smallest
       to the largest value of both samples; predict positive iff value >= t.
    3. *Interval* rules: positive = the sample with the smaller range, ``w`` that range; right ends
       ``r`` evenly spaced (``per_unit`` per unit) over ``[min + w - 2, max + 2]`` of that sample; for
       each ``r``, ``4 * per_unit`` left ends over ``[r - w - 2, r - w + 2]``; predict positive iff
       ``l <= value <= r``.
    4. For each rule, FPR and FNR give an epsilon (:func:`epsilon_from_rates`): rules with exactly
       one zero rate are dropped, FPR = FNR = 0 means ``cap``. The estimate is the largest, in
       ``[0, cap]``.

    Checked against the reference ``metric.py`` (``_get_epsilons`` and the two ``_get_*_rates``, run
    on the CPU) on 700 random pairs of samples of 8 to 128 values: equal to 1e-5 relative (the
    reference keeps the rates in float32, we in float64). Where ours differs: both samples constant
    (the reference's range ratio is 0/0 and every rule is dropped, so it fails an assertion; we
    return 0 or ``cap``), and a rule with FPR = FNR = 1 (the reference drops it, we count 0; the
    maximum is the same). Before the R2 review the interval family's left ends were built as
    ``right + offsets``; their rounding differed from the reference's per-row ``linspace`` exactly
    where a left end falls on the peakier sample's minimum, which the shared 4/399 spacing makes
    common (1 of 300 random cases differed: 2.565 against 2.485).

    Read it as a lower bound with sampling noise: with N models per side every finite value is at most
    :func:`max_finite_epsilon` (about ``ln(N - 1)``), and the maximum over many noisy thresholds is
    biased upwards when N is small.

    Args:
        unlearned: 1-D float array/tensor, the statistic under N unlearned models (finite).
        retrained: 1-D float array/tensor, the statistic under M retrained models (finite).
        delta: in (0, 1); the challenge used ``DELTA = 1e-5``.
        families: which rule families to use, a subset of ``("single", "interval")``.
        per_unit: thresholds per unit of the statistic (100 in the challenge).
        cap: the value standing for infinity (50 in the challenge).
        details: return an :class:`EpsilonEstimate` instead of a float.

    Returns:
        float epsilon in [0, cap], or an :class:`EpsilonEstimate`.

    Raises:
        ValueError: a sample empty, not 1-D, or holding NaN or inf; ``delta`` outside (0, 1);
            unknown ``families``; ``per_unit`` or ``cap`` not positive.

    Introduced in lecture 01.
    """
    u = _sample(unlearned, "unlearned")
    r = _sample(retrained, "retrained")
    delta = _check_delta(delta)
    fams = (families,) if isinstance(families, str) else tuple(families)
    if not fams or any(f not in _FAMILIES for f in fams):
        raise ValueError(f"families must be a non-empty subset of {_FAMILIES}, got {families!r}")
    per_unit = check_int(per_unit, "per_unit", 1)
    if isinstance(cap, (bool, np.bool_)) or not isinstance(cap, numbers.Real):
        raise TypeError(f"cap must be a positive number, got {type(cap).__name__} {cap!r}")
    if not cap > 0:
        raise ValueError(f"cap must be a positive number, got {cap!r}")
    cap = float(cap)
    done = lambda e: e if details else e.epsilon

    ranges = {"unlearned": float(np.ptp(u)), "retrained": float(np.ptp(r))}
    largest, smallest = max(ranges.values()), min(ranges.values())
    if largest == 0.0:
        same = bool(u[0] == r[0])
        return done(EpsilonEstimate(0.0 if same else cap, "constant" if same else "separated"))
    if smallest / largest < 0.01:
        return done(EpsilonEstimate(cap, "range"))

    samples = {"unlearned": np.sort(u), "retrained": np.sort(r)}
    pos_name = "retrained" if np.median(r) > np.median(u) else "unlearned"
    rules = []          # (family, positive name, fpr, fnr, thresholds as columns)
    if "single" in fams:
        neg_name = "unlearned" if pos_name == "retrained" else "retrained"
        lo, hi = min(u.min(), r.min()), max(u.max(), r.max())
        t = np.linspace(lo, hi, int(math.ceil((hi - lo) * per_unit)))
        p, q = samples[pos_name], samples[neg_name]
        rules.append(("single", pos_name, *_rates(p, q, _count_ge(p, t), _count_ge(q, t)), (t,)))
    if "interval" in fams:
        # Positive = the peakier sample (smaller range); on a tie, the one the median rule did not pick.
        other = "unlearned" if pos_name == "retrained" else "retrained"
        peaky, wide = (other, pos_name) if ranges[pos_name] >= ranges[other] else (pos_name, other)
        p, q = samples[peaky], samples[wide]
        w = ranges[peaky]
        lo, hi = p[0] + w - _BUFFER, p[-1] + _BUFFER
        right = np.linspace(lo, hi, int(math.ceil((hi - lo) * per_unit)))
        k = int(math.ceil(2 * _BUFFER * per_unit))
        # Each row its own linspace, as the reference: the left ends share the right ends' spacing,
        # so many land exactly on p's minimum and the rounding decides whether a rule counts it.
        left = np.linspace(right - w - _BUFFER, right - w + _BUFFER, k, axis=1).ravel()
        right = np.repeat(right, k)
        rules.append(("interval", peaky, *_rates(p, q, _count_in(p, left, right), _count_in(q, left, right)),
                      (left, right)))

    best, n_total, n_kept = None, 0, 0
    for family, positive, fpr, fnr, cols in rules:
        eps = epsilon_from_rates(fpr, fnr, delta)
        n_total += eps.size
        kept = ~np.isnan(eps)
        n_kept += int(kept.sum())
        if not kept.any():
            continue
        eps = np.where(kept, np.minimum(eps, cap), -1.0)
        j = int(np.argmax(eps))
        if best is None or eps[j] > best.epsilon:
            reason = "separated" if fpr[j] == 0 and fnr[j] == 0 else "threshold"
            best = EpsilonEstimate(float(eps[j]), reason, family, tuple(float(c[j]) for c in cols), positive,
                                   float(fpr[j]), float(fnr[j]))
    if best is None:
        return done(EpsilonEstimate(0.0, "no threshold", n_thresholds=n_total))
    return done(EpsilonEstimate(best.epsilon, best.reason, best.family, best.threshold, best.positive,
                                best.fpr, best.fnr, n_total, n_kept))


def empirical_epsilons(unlearned, retrained, delta: float = DELTA, **kwargs) -> np.ndarray:
    """:func:`empirical_epsilon` for each example: one column per example.

    Args:
        unlearned: float ``(N, k)``, the statistic of k examples under N unlearned models.
        retrained: float ``(M, k)``, the same k examples under M retrained models.
        delta, **kwargs: as for :func:`empirical_epsilon` (not ``details``).

    Returns:
        float64 array ``(k,)``.

    Raises:
        ValueError: not 2-D, different numbers of columns, or as :func:`empirical_epsilon`.

    Introduced in lecture 01.
    """
    u, r = _as_array(unlearned, "unlearned"), _as_array(retrained, "retrained")
    if u.ndim != 2 or r.ndim != 2 or u.shape[1] != r.shape[1]:
        raise ValueError(f"unlearned and retrained must be 2-D (models, examples) with the same number of "
                         f"examples, got {u.shape} and {r.shape}")
    kwargs.pop("details", None)
    return np.array([empirical_epsilon(u[:, j], r[:, j], delta, **kwargs) for j in range(u.shape[1])])


def max_finite_epsilon(n_unlearned: int, n_retrained: int | None = None, delta: float = DELTA) -> float:
    """The largest finite epsilon any threshold can show with these sample sizes.

    The smallest non-zero rates are ``1/N`` and ``1/M``, so a finite estimate is at most
    ``max(ln(M (1 - delta - 1/N)), ln(N (1 - delta - 1/M)))``, which is ``ln(N - 1 - N delta)`` for
    ``N = M``: with 512 models per side about 6.24, however far apart the true distributions are.

    Raises:
        ValueError: a size below 2, or ``delta`` outside (0, 1).

    Introduced in lecture 01.
    """
    n = n_unlearned
    m = n if n_retrained is None else n_retrained
    for name, v in (("n_unlearned", n), ("n_retrained", m)):
        check_int(v, name, 2)
    delta = _check_delta(delta)
    vals = [x for x in (m * (1 - delta - 1 / n), n * (1 - delta - 1 / m)) if x > 0]
    return max(math.log(x) for x in vals) if vals else 0.0


def forget_score(epsilons, n_models: int) -> np.ndarray:
    """The NeurIPS 2023 challenge's per-example score of an epsilon: ``2^(-floor(eps / 0.5))``.

    Epsilons at or above ``ceil(ln(n_models - 1))`` (where estimates saturate) score 0. The challenge
    averaged this over the forget set and multiplied by the retain and test accuracy ratios
    (unlearned / retrained); that last step is left to the caller.

    Args:
        epsilons: float array ``(k,)`` of estimates >= 0.
        n_models: the number of unlearned models the estimates used (512 in the challenge).

    Returns:
        float64 array ``(k,)`` in [0, 1].

    Raises:
        ValueError: negative or NaN epsilons; ``n_models`` < 2.

    Introduced in lecture 05 (the epsilon it scores is estimated in lecture 01).
    """
    e = _as_array(epsilons, "epsilons")
    if (e < 0).any():
        raise ValueError("epsilons must be >= 0")
    n_models = check_int(n_models, "n_models", 2)
    top = math.ceil(math.log(n_models - 1))
    with np.errstate(over="ignore", invalid="ignore"):
        score = np.where(e < top, 2.0 ** (-np.floor(np.where(np.isfinite(e), e, 0.0) / 0.5)), 0.0)
    return np.where(np.isfinite(e), score, 0.0)


# ----------------------------------------------------------------------------- closed form
def _check_mu(mu) -> float:
    return check_number(mu, "mu", 0, what="a finite number >= 0 (|m1 - m2| / sigma)")


def gaussian_delta(eps, mu: float):
    """Exact delta(eps) for N(m1, s^2) against N(m2, s^2), ``mu = |m1 - m2| / s``.

    ``delta(eps) = Phi(mu/2 - eps/mu) - e^eps Phi(-mu/2 - eps/mu)`` (Balle & Wang, "Improving the
    Gaussian Mechanism for Differential Privacy", ICML 2018, Theorem 8), the same in both directions;
    computed in log space so it stays accurate for large eps. ``mu = 0`` gives 0.

    Args:
        eps: float or array, >= 0.
        mu: >= 0.

    Returns:
        float (scalar eps) or float64 array, in [0, 1).

    Raises:
        ValueError: ``eps`` negative or NaN, ``mu`` negative or not finite.

    Introduced in lecture 01.
    """
    from scipy.stats import norm

    mu = _check_mu(mu)
    e = _as_array(eps, "eps")
    if (e < 0).any():
        raise ValueError("eps must be >= 0")
    if mu == 0:
        out = np.zeros_like(e)
    else:
        la, lb = norm.logcdf(mu / 2 - e / mu), norm.logcdf(-mu / 2 - e / mu)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.exp(la) * -np.expm1(np.minimum(e + lb - la, 0.0))
        out = np.where(np.isinf(e), 0.0, np.clip(out, 0.0, 1.0))
    return float(out) if out.ndim == 0 else out


def gaussian_epsilon(delta: float, mu: float) -> float:
    """Exact epsilon at ``delta`` for two Gaussians of equal variance: the root of :func:`gaussian_delta`.

    Found with ``scipy.optimize.brentq`` on ``log delta(eps) - log delta``; 0 when
    ``delta >= delta(0) = 2 Phi(mu/2) - 1`` (no epsilon is needed at that delta).

    Raises:
        ValueError: ``delta`` outside (0, 1), ``mu`` negative or not finite.

    Introduced in lecture 01.
    """
    from scipy.optimize import brentq

    delta, mu = _check_delta(delta), _check_mu(mu)
    if gaussian_delta(0.0, mu) <= delta:
        return 0.0
    f = lambda e: math.log(max(gaussian_delta(e, mu), 1e-320)) - math.log(delta)
    hi = 1.0
    while f(hi) > 0:
        hi *= 2.0
    return float(brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-12))


# ----------------------------------------------------------------------------- attacks and ROC
def _scores_and_labels(scores, labels):
    s = _as_array(scores, "scores")
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"scores must be a non-empty 1-D array (one score per example), got shape {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("scores contains inf")
    lab = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if lab.dtype == np.bool_:
        lab = lab.astype(np.int64)
    if not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"labels must be 0/1 integers or bools (1 = member), got dtype {lab.dtype}")
    if lab.shape != s.shape:
        raise ValueError(f"labels must have the shape of scores {s.shape}, got {lab.shape}")
    if not np.isin(lab, (0, 1)).all() or lab.min() == lab.max():
        raise ValueError("labels must hold both 1 (members) and 0 (non-members), and nothing else")
    return s, lab


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve of a membership attack: ``(fpr, tpr, thresholds)``, float64 arrays of one length.

    An example is called a member when its score is ``>= threshold``; the first point is (0, 0)
    (threshold ``inf``) and the last (1, 1). Computed by ``sklearn.metrics.roc_curve`` with
    ``drop_intermediate=False`` (every distinct threshold kept, so low-FPR points are not dropped).

    Args:
        scores: float ``(n,)``: larger = more likely a member (e.g. :func:`loss_threshold_scores`).
        labels: ``(n,)`` 1 for members, 0 for non-members (ints or bools; both must occur).

    Raises:
        TypeError: labels that are not integers or bools.
        ValueError: shapes differ, NaN or inf scores, or labels not both 0 and 1.

    Introduced in lecture 05 (the loss-threshold AUC of lecture 04 is built on it).
    """
    from sklearn.metrics import roc_curve as _sk_roc_curve

    s, lab = _scores_and_labels(scores, labels)
    fpr, tpr, thr = _sk_roc_curve(lab, s, drop_intermediate=False)
    return fpr.astype(np.float64), tpr.astype(np.float64), thr.astype(np.float64)


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve of a membership attack, in [0, 1] (0.5: the scores cannot tell members apart).

    ``sklearn.metrics.roc_auc_score(labels, scores)``: the probability that a random member scores
    higher than a random non-member (ties count one half).

    Raises:
        as :func:`roc_curve`.

    Introduced in lecture 05 (the loss-threshold AUC of lecture 04 is built on it).
    """
    from sklearn.metrics import roc_auc_score

    s, lab = _scores_and_labels(scores, labels)
    return float(roc_auc_score(lab, s))


def tpr_at_fpr(scores, labels, fpr: float = 1e-3) -> float:
    """The attack's true positive rate at a low false positive rate: the largest TPR of any ROC point
    whose FPR is strictly below ``fpr`` (0 if none is).

    The number Carlini et al. ("Membership Inference Attacks From First Principles", IEEE S&P 2022)
    argue for instead of AUC; their plotting code (tensorflow/privacy,
    ``research/mi_lira_2021/plot.py``) reads it the same way, as the TPR of the last ROC point with
    FPR below the target. Theirs uses scikit-learn's default ``drop_intermediate=True``, which can
    drop the best (collinear) point below the target; ours keeps every threshold (:func:`roc_curve`),
    so it can read a slightly higher TPR. With ``n`` non-members the smallest non-zero FPR is
    ``1/n``: a target below it can only report the TPR at FPR = 0.

    Args:
        scores, labels: as :func:`roc_curve`.
        fpr: the target false positive rate, in (0, 1] (0.001 = 0.1%).

    Raises:
        as :func:`roc_curve`; TypeError / ValueError for ``fpr`` not a number in (0, 1].

    Introduced in lecture 05 (its problem set asks for the other convention, FPR at most the target).
    """
    target = check_number(fpr, "fpr", 0, 1, open_min=True, what="a rate in (0, 1]")
    f, t, _ = roc_curve(scores, labels)
    below = f < target
    return float(t[below].max()) if below.any() else 0.0


def loss_threshold_scores(model, members, nonmembers) -> tuple[np.ndarray, np.ndarray]:
    """The loss-threshold attack's scores (Yeom et al., CSF 2018): ``-loss`` of each example, members first.

    Returns:
        ``(scores, labels)``: float64 ``(n_m + n_n,)`` (``-cross-entropy``, nats; larger = lower loss =
        more likely a member) and int64 labels (1 for ``members``, 0 for ``nonmembers``), ready for
        :func:`roc_curve`, :func:`roc_auc` and :func:`tpr_at_fpr`.

    Raises:
        TypeError: a set is not a Dataset.  ValueError: a set is empty.

    Introduced in lecture 04.
    """
    from .training import per_example_loss

    check_dataset(members, "members")
    check_dataset(nonmembers, "nonmembers")
    if len(members) == 0 or len(nonmembers) == 0:
        raise ValueError("members and nonmembers must both be non-empty")
    scores = torch.cat([-per_example_loss(model, members), -per_example_loss(model, nonmembers)]).double().numpy()
    labels = np.r_[np.ones(len(members), dtype=np.int64), np.zeros(len(nonmembers), dtype=np.int64)]
    return scores, labels


def loss_threshold_auc(model, members, nonmembers) -> float:
    """AUC of the loss-threshold membership test (Yeom et al., CSF 2018): score = -loss, members positive.

    0.5 means the losses cannot tell the two sets apart. Applied to the forget set (as "members")
    against the test set after unlearning, it is a *weak* check: compare the value with the retrained
    model's, never with 0.5 alone (lecture 05's per-example attack, :func:`ulira_leave_one_out`, is far
    stronger).

    Raises:
        TypeError: a set is not a Dataset.  ValueError: a set is empty.

    Introduced in lecture 04.
    """
    return roc_auc(*loss_threshold_scores(model, members, nonmembers))


def chance_interval(fpr: float, n_members: int, n_nonmembers: int | None = None,
                    level: float = 0.95) -> tuple[float, float]:
    """Where the TPR of an attack with no power falls at a false positive rate ``fpr``.

    If members and non-members have the same score distribution, a threshold that flags a fraction
    ``fpr`` of the non-members flags each member with probability ``fpr``: the TPR is a binomial
    proportion over the ``n_members`` members. The threshold itself is read from ``n_nonmembers``
    non-member scores, which adds the same kind of noise once more; together ``TPR - fpr`` has
    variance ``fpr (1 - fpr) (1 / n_members + 1 / n_nonmembers)``. The interval is the central
    ``level`` interval of a binomial proportion over ``n_eff = 1 / (1 / n_members + 1 / n_nonmembers)``
    trials (rounded down; ``n_members`` alone when ``n_nonmembers`` is None), from
    ``scipy.stats.binom.interval``. A retrained model's TPR should land inside it; a TPR above it is
    evidence of a leak at that FPR. It treats every score as independent: scores pooled over models
    and examples are not quite, so read an edge case with care.

    Args:
        fpr: the false positive rate in (0, 1) (e.g. 0.01).
        n_members: how many member scores the TPR is computed from (>= 1).
        n_nonmembers: how many non-member scores set the threshold (>= 1), or None.
        level: the probability the interval holds, in (0, 1).

    Returns:
        ``(low, high)``, TPRs in [0, 1].

    Raises:
        TypeError: a non-number, or a non-integer count.  ValueError: values out of range.

    Introduced in lecture 05.
    """
    from scipy.stats import binom

    fpr = check_number(fpr, "fpr", 0, 1, open_min=True, open_max=True, what="a rate in (0, 1)")
    n = check_int(n_members, "n_members", 1)
    if n_nonmembers is not None:
        n = max(1, int(1.0 / (1.0 / n + 1.0 / check_int(n_nonmembers, "n_nonmembers", 1))))
    level = check_number(level, "level", 0, 1, open_min=True, open_max=True, what="a probability in (0, 1)")
    lo, hi = binom.interval(level, n, fpr)
    return float(lo) / n, float(hi) / n


def plot_roc(ax, scores, labels, *, label: str | None = None, chance: bool = True, **style):
    """Draw a membership attack's ROC curve on log-log axes (members positive), as Carlini et al. (2022) ask.

    Low false positive rates are where an attack is useful, and linear axes squeeze them into the
    corner; on log axes the chance line ``TPR = FPR`` is the diagonal. Points with ``FPR = 0`` or
    ``TPR = 0`` cannot be drawn on log axes and are left out; the x axis starts at
    ``1 / n_non-members``, the smallest non-zero FPR the data can show.

    Args:
        ax: a matplotlib Axes.
        scores, labels: as :func:`roc_curve`.
        label: legend entry (the AUC is not added; print it where the numbers are read).
        chance: also draw the diagonal ``TPR = FPR`` (grey, dashed).
        **style: passed to ``ax.plot`` (``color``, ``lw``, ...).

    Returns:
        the ``(fpr, tpr)`` arrays drawn.

    Raises:
        as :func:`roc_curve`.

    Introduced in lecture 05.
    """
    fpr, tpr, _ = roc_curve(scores, labels)
    lab = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels).astype(np.int64)
    floor = 1.0 / int((lab == 0).sum())
    keep = (fpr > 0) & (tpr > 0)
    ax.plot(fpr[keep], tpr[keep], label=label, **style)
    if chance:
        ax.plot([floor, 1], [floor, 1], ls="--", color="0.6", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(floor, 1.05)
    return fpr[keep], tpr[keep]


# ----------------------------------------------------------------------------- LiRA and U-LiRA
_VARIANCES = ("per_example", "global")
_CENTERS = ("median", "mean")
_MODES = ("online", "offline")
_OFFLINE = ("one_sided", "density")


@dataclass(frozen=True)
class LiraFit:
    """Per-example Gaussians of a statistic over shadow models: what :func:`lira_fit` returns.

    Attributes:
        mu_in, sd_in: float64 ``(n,)``, centre and spread of the statistic over the shadow models
            that hold example j as a member (NaN where there are none).
        mu_out, sd_out: the same over the shadow models that do not.
        n_in, n_out: int64 ``(n,)``, how many shadow values each fit rests on.
        variance: ``"per_example"`` or ``"global"``; center: ``"median"`` or ``"mean"``;
        min_std: the floor every spread was raised to.

    Introduced in lecture 05.
    """

    mu_in: np.ndarray
    sd_in: np.ndarray
    mu_out: np.ndarray
    sd_out: np.ndarray
    n_in: np.ndarray
    n_out: np.ndarray
    variance: str
    center: str
    min_std: float


def _grid(x, name, shape=None, dtype=None):
    """A 2-D (models, examples) array of floats (``dtype=None``) or bools (``dtype=bool``)."""
    if dtype is bool:
        a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        if a.dtype != np.bool_:
            raise TypeError(f"{name} must be booleans (models, examples), got dtype {a.dtype}")
    else:
        a = _as_array(x, name)
        if not np.isfinite(a).all():
            raise ValueError(f"{name} contains inf")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (models, examples), got shape {a.shape}")
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have the shape of stats {shape}, got {a.shape}")
    return a


def _choice(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _fit_side(stats, sel, variance, center, min_std):
    """Centre and spread per column of ``stats`` over the rows ``sel`` selects (NaN for empty columns)."""
    count = sel.sum(axis=0)
    vals = np.where(sel, stats, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmedian(vals, axis=0) if center == "median" else np.nanmean(vals, axis=0)
        mean = np.nanmean(vals, axis=0)
        dev2 = np.nansum((vals - mean) ** 2, axis=0)
    if variance == "per_example":
        sd = np.sqrt(np.where(count > 0, dev2 / np.maximum(count, 1), np.nan))
    else:
        total = int(count.sum())
        pooled = math.sqrt(float(dev2.sum()) / total) if total else float("nan")
        sd = np.where(count > 0, pooled, np.nan)
    sd = np.where(np.isnan(sd), np.nan, np.maximum(sd, min_std))
    return np.where(count > 0, mu, np.nan), sd, count.astype(np.int64)


def lira_fit(stats, members, *, include=None, variance: str = "per_example", center: str = "median",
             min_std: float = 1e-3) -> LiraFit:
    """Fit LiRA's two Gaussians per example from shadow models (Carlini et al., IEEE S&P 2022).

    For example ``j``, the IN values are ``stats[i, j]`` over the shadow models ``i`` with
    ``members[i, j]`` (and ``include[i, j]``), the OUT values those without. Each side gets a centre
    and a spread:

    * centre: the **median** (``center="median"``, what the reference code takes:
      tensorflow/privacy ``research/mi_lira_2021/plot.py``, ``generate_ours``) or the mean (the
      paper's Gaussian fit);
    * spread: the standard deviation around the side's mean (``np.std``, ddof 0, as the reference);
      ``variance="per_example"`` keeps one per example, ``variance="global"`` pools the squared
      deviations of every example (each from its own mean) into one spread per side, which the paper
      recommends when there are few shadow models. (The reference code's fixed-variance option
      instead takes ``np.std`` over all examples' IN values at once, so it also counts how far
      examples differ from each other, and it uses that IN spread for the OUT side too; ours keeps
      the two sides apart.)
    * every spread is raised to at least ``min_std``, so an example whose shadow values are all equal
      gives finite scores (the reference adds 1e-30 to every spread, which keeps scores finite only
      as numbers of order 1e60).
    * every example's fit uses all of its shadow values; the reference code first cuts every
      example's IN (and OUT) values to the smallest count over all examples, so each fit rests on
      the same number of models, and averages its scores over augmented queries (we query once).

    Args:
        stats: float ``(m, n)``: the statistic (e.g. :func:`lira_phi`) of n examples under m shadow models.
        members: bool ``(m, n)``: whether model i trained on (for U-LiRA: trained on and then
            unlearned) example j.
        include: optional bool ``(m, n)``: use only these entries (default all).
        variance: ``"per_example"`` or ``"global"``.  center: ``"median"`` or ``"mean"``.
        min_std: the floor of every spread (> 0, units of the statistic).

    Returns:
        a :class:`LiraFit`; an example with no IN (or no OUT) value has NaN on that side.

    Raises:
        TypeError: ``members``/``include`` not booleans, ``stats`` not numbers.
        ValueError: shapes that differ or are not 2-D, NaN or inf in ``stats``, an unknown option,
            ``min_std`` not positive.

    Introduced in lecture 05.
    """
    s = _grid(stats, "stats")
    mem = _grid(members, "members", s.shape, bool)
    inc = np.ones_like(mem) if include is None else _grid(include, "include", s.shape, bool)
    variance = _choice(variance, "variance", _VARIANCES)
    center = _choice(center, "center", _CENTERS)
    min_std = check_number(min_std, "min_std", 0, open_min=True, what="a positive number")
    mu_in, sd_in, n_in = _fit_side(s, mem & inc, variance, center, min_std)
    mu_out, sd_out, n_out = _fit_side(s, ~mem & inc, variance, center, min_std)
    return LiraFit(mu_in, sd_in, mu_out, sd_out, n_in, n_out, variance, center, min_std)


def lira_scores(stats, fit: LiraFit, *, mode: str = "online", offline: str | None = None) -> np.ndarray:
    """LiRA's membership score of each example under a target model: larger = more likely a member.

    * ``mode="online"``: the log likelihood ratio
      ``log N(phi; mu_in, sd_in^2) - log N(phi; mu_out, sd_out^2)`` (Carlini et al. 2022; the
      reference code computes the same difference, ``generate_ours`` in ``plot.py``). Two-sided:
      a value far *below* the IN fit counts against membership, far below the OUT fit as well, so
      for U-LiRA an example pushed past the retrained models (over-unlearning) scores high too.
    * ``mode="offline"`` uses the OUT fit only; ``offline`` must name the variant:
      ``"one_sided"`` is the paper's test, ``log Phi((phi - mu_out) / sd_out)`` (the log of the
      probability that an OUT value lies below phi: high confidence means member; a low phi never
      does); ``"density"`` is the reference code's ``generate_ours_offline``,
      ``-log N(phi; mu_out, sd_out^2)``: any value unusual for an OUT model, high or low, scores
      high.

    Args:
        stats: float ``(n,)`` (one target model) or ``(k, n)`` (k target models), finite.
        fit: from :func:`lira_fit` on the same n examples.
        mode: ``"online"`` or ``"offline"``.
        offline: ``"one_sided"`` or ``"density"``; required for offline, refused for online.

    Returns:
        float64 array of the shape of ``stats``; NaN where the fit lacks a side the mode needs.

    Raises:
        TypeError: ``fit`` not a LiraFit.  ValueError: the wrong number of examples, NaN or inf,
            an unknown mode, a missing or needless ``offline``.

    Introduced in lecture 05.
    """
    from scipy.stats import norm

    check_instance(fit, LiraFit, "fit")
    x = _as_array(stats, "stats")
    if x.ndim not in (1, 2) or x.shape[-1] != fit.mu_in.shape[0]:
        raise ValueError(f"stats must be (n,) or (k, n) with n = {fit.mu_in.shape[0]} examples, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("stats contains inf")
    mode = _choice(mode, "mode", _MODES)
    if mode == "online":
        if offline is not None:
            raise ValueError("offline= names an offline variant; it has no meaning with mode='online'")
        return norm.logpdf(x, fit.mu_in, fit.sd_in) - norm.logpdf(x, fit.mu_out, fit.sd_out)
    if offline is None:
        raise ValueError(f"mode='offline' needs offline= one of {_OFFLINE} (the paper's one-sided test, or "
                         "the reference code's density)")
    offline = _choice(offline, "offline", _OFFLINE)
    if offline == "one_sided":
        return norm.logcdf((x - fit.mu_out) / fit.sd_out)
    return -norm.logpdf(x, fit.mu_out, fit.sd_out)


def lira_leave_one_out(stats, members, *, include=None, mode: str = "online", offline: str | None = None,
                       variance: str = "per_example", center: str = "median", min_std: float = 1e-3,
                       shadows=None) -> np.ndarray:
    """Attack every model in turn with the others as its shadow models: LiRA scores ``(m, n)``.

    Row ``i`` is :func:`lira_scores` of model ``i``'s statistics under a :func:`lira_fit` on the
    other models (or on ``shadows[i]`` of them), so each model is the target once and never its own
    shadow. Pool the rows with :func:`pool` to read one ROC over models and examples, as Carlini et
    al. evaluate (their code keeps the last models as targets and the rest as shadows).

    Args:
        stats, members, include: as :func:`lira_fit`. Entries outside ``include`` get NaN.
        mode, offline, variance, center, min_std: as :func:`lira_fit` and :func:`lira_scores`.
        shadows: optional int: use only the first ``shadows`` other models as shadows of each target
            (to see how the attack grows with the number of shadow models); default all ``m - 1``.

    Returns:
        float64 ``(m, n)``; NaN outside ``include`` and where the shadows held no IN (or OUT) value.

    Raises:
        as :func:`lira_fit` and :func:`lira_scores`; ValueError for fewer than 2 models or
        ``shadows`` outside ``1..m-1``.

    Introduced in lecture 05.
    """
    s = _grid(stats, "stats")
    mem = _grid(members, "members", s.shape, bool)
    inc = np.ones_like(mem) if include is None else _grid(include, "include", s.shape, bool)
    m = s.shape[0]
    if m < 2:
        raise ValueError(f"leave-one-out needs at least 2 models, got {m}")
    k = m - 1 if shadows is None else check_int(shadows, "shadows", 1, m - 1)
    _choice(mode, "mode", _MODES)
    if mode == "offline":
        _choice(offline, "offline", _OFFLINE)
    out = np.full(s.shape, np.nan)
    for i in range(m):
        others = np.r_[np.arange(i + 1, m), np.arange(0, i)][:k]
        fit = lira_fit(s[others], mem[others], include=inc[others], variance=variance, center=center, min_std=min_std)
        out[i] = lira_scores(s[i], fit, mode=mode, offline=offline)
    out[~inc] = np.nan
    return out


def ulira_leave_one_out(stats, forget_masks, trained_masks, **kwargs) -> np.ndarray:
    """U-LiRA (Hayes et al., "Inexact Unlearning Needs More Careful Evaluations to Avoid a False
    Sense of Privacy", SaTML 2025): LiRA whose shadow models were unlearned with the method under test.

    ``stats[i, j]`` is the statistic of example j under model i *after* model i ran the unlearning
    method U on its own forget set. The question for each (model, example) is: was j in model i's
    forget set (trained on, then unlearned by U), or never in its training set at all? So the
    members are ``forget_masks`` and the entries compared are those with ``forget_masks |
    ~trained_masks``; examples the model trained on and kept are left out. If U worked like
    retraining, the two groups would look alike and every TPR would match its FPR. Scores come from
    :func:`lira_leave_one_out` (each model attacked with the others as shadows).

    Where ours may differ from the paper: we could not check the paper's body or code here. Ours
    follows its idea as the abstract and follow-up work state it (a dedicated attacker per example,
    shadow models that saw the example unlearned with the same U); the non-member shadows are models
    that ran U on their own forget sets without the example (so every model the attacker sees is an
    output of U), and the pooled leave-one-out evaluation is ours.

    Args:
        stats: float ``(m, n)`` under the unlearned models.
        forget_masks: bool ``(m, n)``: example j was in model i's forget set.
        trained_masks: bool ``(m, n)``: example j was in model i's training set (before unlearning);
            ``forget_masks`` must lie within it.
        **kwargs: ``mode``, ``offline``, ``variance``, ``center``, ``min_std``, ``shadows`` as
            :func:`lira_leave_one_out`.

    Returns:
        float64 ``(m, n)``: NaN for examples trained on and kept, and where the shadows lacked a side.

    Raises:
        as :func:`lira_leave_one_out`; ValueError if a forget entry lies outside the training set.

    Introduced in lecture 05.
    """
    s = _grid(stats, "stats")
    f = _grid(forget_masks, "forget_masks", s.shape, bool)
    t = _grid(trained_masks, "trained_masks", s.shape, bool)
    if (f & ~t).any():
        raise ValueError("forget_masks marks examples outside trained_masks: a model can only unlearn what it trained on")
    return lira_leave_one_out(s, f, include=f | ~t, **kwargs)


def pool(scores, members) -> tuple[np.ndarray, np.ndarray]:
    """Flatten an attack's ``(m, n)`` scores into one ROC sample: ``(scores, labels)`` of the non-NaN entries.

    Args:
        scores: float ``(m, n)`` with NaN for entries that do not take part (:func:`lira_leave_one_out`).
        members: bool ``(m, n)``: the truth (1 = member).

    Returns:
        ``(scores (k,), labels (k,) int64)``, ready for :func:`roc_curve`, :func:`roc_auc`,
        :func:`tpr_at_fpr`.

    Raises:
        TypeError / ValueError: as :func:`lira_fit` for shapes; ValueError if inf or nothing is left.

    Introduced in lecture 05.
    """
    if isinstance(scores, torch.Tensor):
        scores = scores.detach().cpu().numpy()
    try:
        s = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"scores must be numbers (an array or tensor), got {type(scores).__name__}") from err
    if s.ndim != 2:
        raise ValueError(f"scores must be 2-D (models, examples), got shape {s.shape}")
    mem = _grid(members, "members", s.shape, bool)
    ok = ~np.isnan(s)
    if not ok.any():
        raise ValueError("every score is NaN: nothing to pool")
    if not np.isfinite(s[ok]).all():
        raise ValueError("scores contains inf")
    return s[ok], mem[ok].astype(np.int64)


def loss_threshold_aucs(many, data, forget_masks, test) -> np.ndarray:
    """The weak test for each of many models: AUC of the loss threshold, forget set against the test set.

    For model ``i`` of ``many``: :func:`roc_auc` of ``-loss`` with its forget examples
    (``data.where(forget_masks[i])``) as members and ``test`` as non-members, i.e.
    :func:`loss_threshold_auc` of ``many.model(i)``. One global threshold for every example: the
    population test that lecture 04 used and that Hayes et al. show overestimates unlearning.

    Args:
        many: a :class:`~unlearnkit.batched.ManyModels` (e.g. unlearned shadow models).
        data: the examples ``forget_masks`` index.  forget_masks: bool ``(m, n)`` (each row non-empty).
        test: a Dataset of non-members.

    Returns:
        float64 ``(m,)`` in [0, 1].

    Raises:
        TypeError: wrong types.  ValueError: wrong shapes, an empty forget row or test set.

    Introduced in lecture 05.
    """
    from .batched import ManyModels

    check_instance(many, ManyModels, "many")
    check_dataset(data)
    check_dataset(test, "test")
    f = _grid(forget_masks, "forget_masks", (len(many), len(data)), bool)
    if not f.any(axis=1).all() or len(test) == 0:
        raise ValueError("every forget_masks row and the test set must be non-empty")
    loss_d = torch.nn.functional.cross_entropy(many.logits(data).transpose(1, 2), data.y.expand(len(many), -1),
                                               reduction="none").double().numpy()
    loss_t = torch.nn.functional.cross_entropy(many.logits(test).transpose(1, 2), test.y.expand(len(many), -1),
                                               reduction="none").double().numpy()
    out = np.empty(len(many))
    for i in range(len(many)):
        members = -loss_d[i, f[i]]
        labels = np.r_[np.ones(members.size, dtype=np.int64), np.zeros(len(test), dtype=np.int64)]
        out[i] = roc_auc(np.r_[members, -loss_t[i]], labels)
    return out


# ----------------------------------------------------------------------------- relearning
def relearning_curve(many, data, relearn_masks, eval_data, config, checkpoints, seed: int = 0) -> np.ndarray:
    """The relearning attack: fine-tune each model briefly on part of what it unlearned, and measure what comes back.

    Model ``i`` of ``many`` trains on ``data.where(relearn_masks[i])`` (cross-entropy, optimiser and
    batch size from ``config``, one fresh optimiser, order ``derive_seed(derive_seed(seed, "model",
    i), "relearn")``) for ``max(checkpoints)`` steps; after each number of steps in ``checkpoints``
    its accuracy on ``eval_data`` (e.g. the rest of the forget set) is recorded. Run the same on the
    retrained models, the control: they never saw the forget set, so whatever they reach is learned
    from the relearning examples alone; an unlearned model that climbs much faster still held the
    knowledge (Deeb & Roger 2024, and Lucki et al. 2024, show this for language models; the
    classification version here is ours).

    Args:
        many: the models (a :class:`~unlearnkit.batched.ManyModels`, e.g. unlearned or retrained); not modified.
        data: the examples ``relearn_masks`` index.
        relearn_masks: bool ``(m, n)``: each model's relearning examples (non-empty rows).
        eval_data: a Dataset: the examples whose recovery is measured.
        config: a TrainConfig (optimiser, lr, batch size; steps, epochs and seed unused).
        checkpoints: increasing non-negative step counts (0 = before relearning).
        seed: root of the orders.

    Returns:
        float64 ``(len(checkpoints), m)``: accuracy on ``eval_data`` after each number of steps.

    Raises:
        TypeError: wrong types.  ValueError: wrong shapes, empty rows, checkpoints not increasing
            or negative, an empty ``eval_data``.

    Introduced in lecture 05.
    """
    from .batched import BatchPart, ManyModels, descend_many
    from .training import TrainConfig, batch_order

    check_instance(config, TrainConfig, "config", "a TrainConfig")
    check_instance(many, ManyModels, "many")
    check_dataset(data)
    check_dataset(eval_data, "eval_data")
    if len(eval_data) == 0:
        raise ValueError("eval_data is empty")
    r = _grid(relearn_masks, "relearn_masks", (len(many), len(data)), bool)
    if not r.any(axis=1).all():
        raise ValueError("every relearn_masks row must select at least one example")
    check_seed(seed)
    cps = [check_int(c, "checkpoints", 0) for c in checkpoints]
    if not cps or any(b <= a for a, b in zip(cps, cps[1:])):
        raise ValueError(f"checkpoints must be a non-empty increasing list of step counts, got {list(checkpoints)}")

    def accuracy(models):
        return (models.logits(eval_data).argmax(-1) == eval_data.y).double().mean(dim=1).numpy()

    rows = [torch.as_tensor(np.flatnonzero(r[i])) for i in range(len(many))]
    orders = [batch_order(len(rw), config.batch_size, cps[-1], derive_seed(derive_seed(seed, "model", i), "relearn"))
              for i, rw in enumerate(rows)]
    out = {0: accuracy(many)} if cps[0] == 0 else {}

    def record(step, params):
        if step in cps:
            out[step] = accuracy(ManyModels(many.template, params, many.buffers))

    if cps[-1] > 0:
        part = BatchPart(rows, [data.y[rw] for rw in rows], orders, [1.0] * len(many))
        descend_many(many, data, [part], config, on_step=record)
    return np.array([out[c] for c in cps])


def relearning_recovery(acc_unlearned, acc_retrained, acc_original) -> np.ndarray:
    """How much of the original model's lead over the retrained control a relearned model has got back.

    ``(acc_unlearned - acc_retrained) / (acc_original - acc_retrained)``, elementwise (e.g. per
    relearning step of :func:`relearning_curve`): 1 means the unlearned model, after relearning, is
    as good on the held-out forget examples as the original model; 0 means no better than the
    retrained model given the same relearning (all it shows was learned from the relearning
    examples); a negative value means worse than the control. Where the original is not above the
    control the lead is zero and the ratio is undefined: NaN. (Our summary of a relearning attack;
    Deeb & Roger 2024 and Lucki et al. 2024 report the accuracies themselves.)

    Args:
        acc_unlearned, acc_retrained, acc_original: accuracies in [0, 1], arrays (or tensors) of one
            shape, e.g. ``(steps,)``.

    Returns:
        float64 array of that shape (NaN where ``acc_original <= acc_retrained``).

    Raises:
        ValueError: shapes differ, NaN, or an accuracy outside [0, 1].  TypeError: not numbers.

    Introduced in lecture 05.
    """
    u, r, o = (_as_array(a, name) for a, name in ((acc_unlearned, "acc_unlearned"), (acc_retrained, "acc_retrained"),
                                                  (acc_original, "acc_original")))
    if not u.shape == r.shape == o.shape:
        raise ValueError(f"acc_unlearned, acc_retrained and acc_original must have one shape, got {u.shape}, "
                         f"{r.shape}, {o.shape}")
    for name, a in (("acc_unlearned", u), ("acc_retrained", r), ("acc_original", o)):
        if ((a < 0) | (a > 1)).any():
            raise ValueError(f"{name} must hold accuracies in [0, 1]")
    lead = o - r
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lead > 0, (u - r) / np.where(lead > 0, lead, 1.0), np.nan)
