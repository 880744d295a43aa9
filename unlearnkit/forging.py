"""Auditing and forging: training logs that can be replayed, and why final weights prove nothing.

Can a model's owner prove that the forget set S was unlearned? Thudi et al. (USENIX Security 2022)
show that the claim "my model is close to one trained without S" cannot be audited from the model:
different data sets can give the same model. This module holds the pieces lecture 03 uses to show it.

**Training logs** (:class:`TrainingRecord`): the seed, the batch ids of every step and a SHA-256 hash
of the model after every step. :func:`record_training` makes one while training exactly as
:func:`unlearnkit.training.fit` does; :func:`replay` re-executes a log and reports the first step
whose checkpoint does not match, whether every batch follows the seeded order, and which steps used
forget-set examples.

**Forging with least squares** (:func:`least_squares`, :func:`points_on_line`, :func:`refit_change`):
the least-squares fit satisfies the normal equations ``sum_i x~_i r_i = 0`` (``x~ = (x, 1)``,
``r`` the residuals); a point on the fitted line has ``r = 0``, so removing it leaves the fit as it was.

**Exact forging of minibatch SGD** (:func:`twin_points`, :func:`make_twin_forgery`): for squared loss
on a linear model with bias the mean batch gradient depends on the batch only through its size and
the sums of ``x~ x~^T`` and ``x~ y``. A data set built with "twins" lets every batch that touches S be
swapped for a batch of D \\ S with the same sums, so a log that never touches S reproduces the model.

**Approximate forging** (:func:`per_example_grads`, :func:`closest_batch`, :func:`forge_log`), the
attack of Thudi et al.: at every step whose batch touches S, draw M random batches from D \\ S and keep
the one whose plain-SGD update lands closest to the logged checkpoint. :func:`noise_floor` measures how
far the *same* step moves when only the summation order or the float precision changes, the yardstick
for "close" (Baluta et al., CCS 2023; Suliman et al., 2024).

Introduced in lecture 03.
"""
from __future__ import annotations

import copy
import hashlib
import math
import numbers
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parameters_to_vector

from ._seeding import check_seed, cpu_generator, derive_seed, torch_seeded
from .data import Dataset, as_ids
from .training import TrainConfig, _loss, batch_order, fit, make_optimizer

__all__ = [
    "state_hash",
    "TrainingRecord",
    "ReplayReport",
    "record_training",
    "batch_loss",
    "train_on_batches",
    "replay",
    "trajectory_distance",
    "shuffle_within_batches",
    "least_squares",
    "residuals",
    "points_on_line",
    "refit_change",
    "linear_regression",
    "twin_points",
    "TwinForgery",
    "make_twin_forgery",
    "per_example_grads",
    "ForgeStep",
    "closest_batch",
    "ForgeResult",
    "forge_log",
    "noise_floor",
]


# ============================================================================ training logs
def state_hash(model: nn.Module) -> str:
    """SHA-256 (hex string, 64 characters) of a model's ``state_dict``: names, dtypes, shapes, bytes.

    Two models have the same hash exactly when every tensor is bitwise equal; one flipped bit in one
    weight changes it. Introduced in lecture 03.

    Raises:
        TypeError: ``model`` is not a ``torch.nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        t = t.detach().to("cpu").contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes())
    return h.hexdigest()


def _vector(model: nn.Module) -> torch.Tensor:
    return parameters_to_vector([p.detach() for p in model.parameters()]).to("cpu").clone()


@dataclass(frozen=True)
class TrainingRecord:
    """A training log that anyone holding the data can replay.

    Steps are numbered from 1: step ``t`` trains on ``batches[t - 1]`` and turns checkpoint ``t - 1``
    into checkpoint ``t``; checkpoint 0 is the initial model.

    Attributes:
        config: the :class:`~unlearnkit.training.TrainConfig` that was run (its ``seed`` seeds the order).
        batches: list of ``steps`` int64 tensors, the example ids of each step's batch, in order.
        hashes: list of ``steps + 1`` :func:`state_hash` strings, checkpoints 0..steps.
        checkpoints: ``None``, or a float32 tensor ``(steps + 1, P)`` of flattened parameters (kept for
            small models, to measure distances between trajectories).

    Introduced in lecture 03.
    """

    config: TrainConfig
    batches: list
    hashes: list
    checkpoints: torch.Tensor | None = None

    @property
    def steps(self) -> int:
        """The number of steps logged."""
        return len(self.batches)

    def load_checkpoint(self, model: nn.Module, t: int) -> nn.Module:
        """Copy checkpoint ``t`` (0..steps) into ``model``'s parameters, in place; returns ``model``.

        Raises:
            ValueError: the record keeps no checkpoints, ``t`` is out of range, or the sizes differ.
        """
        if self.checkpoints is None:
            raise ValueError("this record keeps no checkpoints (record with keep_checkpoints=True)")
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or not 0 <= t <= self.steps:
            raise ValueError(f"t must be an integer in 0..{self.steps}, got {t!r}")
        if sum(p.numel() for p in model.parameters()) != self.checkpoints.shape[1]:
            raise ValueError(f"model has a different number of parameters than the record "
                             f"({self.checkpoints.shape[1]})")
        _set_vector(model, self.checkpoints[int(t)])
        return model

    def with_batch(self, step: int, ids) -> "TrainingRecord":
        """A copy whose batch of ``step`` (1-based) is replaced by ``ids``: a tampered log.

        Hashes and checkpoints are left as they were, which is what a careless forger would do.

        Raises:
            ValueError: ``step`` is not in ``1..steps``.  TypeError: an id is not an integer.
        """
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or not 1 <= step <= self.steps:
            raise ValueError(f"step must be an integer in 1..{self.steps}, got {step!r}")
        batches = list(self.batches)
        batches[int(step) - 1] = as_ids(ids, "ids").clone()
        return replace(self, batches=batches)


@dataclass(frozen=True)
class ReplayReport:
    """What :func:`replay` found.

    Attributes:
        ok: every checkpoint matched its hash (and, when asked, the order and forget checks passed).
        first_divergence: the first checkpoint ``t`` (0 = the initial model, ``t >= 1`` = after step
            ``t``) whose replayed hash differs from the log's, or ``None`` when all match.
        steps_checked: steps replayed (replay stops at the first divergence).
        order_ok: ``None`` when not checked; else whether every batch is the one the seeded order
            (:func:`unlearnkit.training.batch_order` on ``data``) prescribes.
        forget_steps: steps (1-based) whose batch holds an id of ``forget_ids`` (empty when not asked).
        reason: one sentence for people.

    Introduced in lecture 03.
    """

    ok: bool
    first_divergence: int | None
    steps_checked: int
    order_ok: bool | None
    forget_steps: list
    reason: str


def _check_dataset(data, name="data"):
    if not isinstance(data, Dataset):
        raise TypeError(f"{name} must be an unlearnkit Dataset, got {type(data).__name__}")


def _positions(data: Dataset, ids, name: str = "ids") -> torch.Tensor:
    """Row positions of ``ids`` in ``data``; an id may repeat (a batch that straddles two epochs can
    hold the same example twice, as in :func:`~unlearnkit.training.batch_order`)."""
    ids = as_ids(ids, name)
    u, inv = torch.unique(ids, return_inverse=True)
    return data.positions(u, name)[inv]


def _check_config(config):
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")


def record_training(model: nn.Module, data: Dataset, config: TrainConfig, *, keep_checkpoints: bool = False) -> TrainingRecord:
    """Train ``model`` in place exactly as :func:`~unlearnkit.training.fit` does, and log the run.

    The optimiser gets a post-step hook that hashes the model after every step; ``fit`` is called with
    ``record_batches=True``, so the weights are bitwise those of a plain ``fit(model, data, config)``.

    Args:
        model: the initial model (checkpoint 0 is hashed before training).
        data: the training set ``D``.
        config: how to train.
        keep_checkpoints: also keep every checkpoint's flattened parameters (float32 ``(steps+1, P)``).

    Returns:
        a :class:`TrainingRecord` with ``config.num_steps(len(data))`` steps.

    Raises:
        TypeError: ``data`` is not a Dataset or ``config`` not a TrainConfig (as ``fit`` raises).
    Introduced in lecture 03.
    """
    _check_dataset(data)
    _check_config(config)
    hashes = [state_hash(model)]
    vecs = [_vector(model)] if keep_checkpoints else None
    opt = make_optimizer(model.parameters(), config)

    def after_step(*_):
        hashes.append(state_hash(model))
        if vecs is not None:
            vecs.append(_vector(model))

    handle = opt.register_step_post_hook(after_step)
    try:
        log = fit(model, data, config, optimizer=opt, record_batches=True)
    finally:
        handle.remove()
    return TrainingRecord(config, list(log.batches), hashes, torch.stack(vecs) if vecs is not None else None)


def batch_loss(model: nn.Module, data: Dataset, ids, config: TrainConfig) -> torch.Tensor:
    """The mean training loss (scalar tensor with grad) of the batch ``ids`` in the given order.

    Computed by the same code as :func:`~unlearnkit.training.fit`, so a step taken with it reproduces a
    logged step bitwise: ``opt.zero_grad(); batch_loss(...).backward(); opt.step()``.

    Raises:
        TypeError / ValueError: ``ids`` are not integer ids of ``data`` (unique); ``data`` lacks the
            ``"target"`` tag while ``config.loss == "mse"``.
    Introduced in lecture 03.
    """
    _check_dataset(data)
    _check_config(config)
    if config.loss == "mse" and "target" not in data.tags:
        raise ValueError("data must have the float tag 'target' when config.loss == 'mse'")
    pos = _positions(data, ids)
    p = next(model.parameters(), None)
    dev = p.device if p is not None else torch.device("cpu")
    return _loss(model, data, pos, config.loss, dev)


def _sgd_step(model, opt, data, ids, config):
    opt.zero_grad(set_to_none=True)
    batch_loss(model, data, ids, config).backward()
    opt.step()


def train_on_batches(model: nn.Module, data: Dataset, batches, config: TrainConfig, *,
                     keep_checkpoints: bool = False) -> TrainingRecord:
    """Train ``model`` in place on a given list of batches (ids) and log it: how forged logs are run.

    Each step is ``zero_grad``, :func:`batch_loss` ``.backward()``, ``step`` with the optimiser
    ``config`` describes, i.e. the same arithmetic as ``fit``; the batches replace the seeded order.

    Args:
        batches: a list of 1-D integer id tensors (or sequences), one per step.

    Returns:
        a :class:`TrainingRecord` with ``len(batches)`` steps (``config`` is stored as given).

    Raises:
        ValueError: a batch is empty or names ids that are not in ``data`` (nothing is trained then:
            every batch is checked first).
    Introduced in lecture 03.
    """
    _check_dataset(data)
    _check_config(config)
    checked = []
    for k, b in enumerate(batches):
        b = as_ids(b, f"batches[{k}]")
        if b.numel() == 0:
            raise ValueError(f"batches[{k}] is empty")
        _positions(data, b, f"batches[{k}]")
        checked.append(b.clone())
    opt = make_optimizer(model.parameters(), config)
    hashes = [state_hash(model)]
    vecs = [_vector(model)] if keep_checkpoints else None
    model.train()
    for b in checked:
        _sgd_step(model, opt, data, b, config)
        hashes.append(state_hash(model))
        if vecs is not None:
            vecs.append(_vector(model))
    model.eval()
    return TrainingRecord(config, checked, hashes, torch.stack(vecs) if vecs is not None else None)


def replay(model: nn.Module, data: Dataset, record: TrainingRecord, *, forget_ids=None,
           check_order: bool = False) -> ReplayReport:
    """Re-execute a training log and check it, step by step (the auditor's side).

    ``model`` must be the claimed initial model (for instance rebuilt from its seed); a copy is
    trained, ``model`` itself is left unchanged. Replay stops at the first checkpoint whose hash
    differs from the log's: that is where a tampered log diverges.

    Args:
        model: the initial model.
        data: the data the log claims to have trained on (every logged id must be in it).
        record: the log.
        forget_ids: if given, report the steps whose batch holds one of these ids; the log is not
            ``ok`` if any does (it did not train without S).
        check_order: also check that the batches are exactly those that
            :func:`~unlearnkit.training.batch_order` draws for ``data`` with ``record.config.seed``:
            a claim "I ran ``fit`` with this seed on this data", which hand-picked (forged) batches fail.

    Returns:
        a :class:`ReplayReport`.

    Raises:
        TypeError: wrong argument types.  ValueError: a logged id is not in ``data``.
    Introduced in lecture 03.
    """
    _check_dataset(data)
    if not isinstance(record, TrainingRecord):
        raise TypeError(f"record must be a TrainingRecord, got {type(record).__name__}")
    for k, b in enumerate(record.batches):
        _positions(data, b, f"record.batches[{k}]")
    forget_steps = []
    if forget_ids is not None:
        f = as_ids(forget_ids, "forget_ids")
        forget_steps = [k + 1 for k, b in enumerate(record.batches) if bool(torch.isin(b, f).any())]
    order_ok = None
    if check_order:
        cfg = record.config
        order = batch_order(len(data), cfg.batch_size, record.steps, cfg.seed)
        order_ok = cfg.num_steps(len(data)) == record.steps and all(
            torch.equal(data.ids[order[k]], b) for k, b in enumerate(record.batches))
    m = copy.deepcopy(model)
    first, checked = None, 0
    if state_hash(m) != record.hashes[0]:
        first = 0
    else:
        opt = make_optimizer(m.parameters(), record.config)
        m.train()
        for t, b in enumerate(record.batches, start=1):
            _sgd_step(m, opt, data, b, record.config)
            checked = t
            if state_hash(m) != record.hashes[t]:
                first = t
                break
    if first == 0:
        reason = "the initial model does not match checkpoint 0 of the log"
    elif first is not None:
        reason = f"replaying step {first} does not reproduce checkpoint {first} of the log"
    else:
        reason = f"all {record.steps} steps reproduce the logged checkpoints bitwise"
    if forget_steps:
        reason += f"; {len(forget_steps)} step(s) used forget-set ids (first: step {forget_steps[0]})"
    if order_ok is False:
        reason += "; the batches are not the seeded order for this data"
    ok = first is None and not forget_steps and order_ok is not False
    return ReplayReport(ok, first, checked, order_ok, forget_steps, reason)


def trajectory_distance(a: TrainingRecord, b: TrainingRecord) -> torch.Tensor:
    """L2 distance between two logged trajectories at every checkpoint: float64 ``(steps + 1,)``.

    Raises:
        ValueError: a record has no checkpoints, or the two differ in length or parameter count.
    Introduced in lecture 03.
    """
    for name, r in (("a", a), ("b", b)):
        if not isinstance(r, TrainingRecord) or r.checkpoints is None:
            raise ValueError(f"{name} must be a TrainingRecord made with keep_checkpoints=True")
    if a.checkpoints.shape != b.checkpoints.shape:
        raise ValueError(f"a and b must have the same shape of checkpoints, got {tuple(a.checkpoints.shape)} "
                         f"and {tuple(b.checkpoints.shape)}")
    return (a.checkpoints.double() - b.checkpoints.double()).norm(dim=1)


def shuffle_within_batches(batches, seed: int) -> list:
    """The same batches, each in a seeded random order: same examples, another summation order.

    Training on them measures the noise floor of a trajectory (the sums differ only by rounding).

    Returns:
        list of int64 tensors. Introduced in lecture 03.
    """
    g = cpu_generator(seed)
    out = []
    for k, b in enumerate(batches):
        b = as_ids(b, f"batches[{k}]")
        out.append(b[torch.randperm(b.numel(), generator=g)])
    return out


# ============================================================================ least squares
def _target(data: Dataset, name="data") -> torch.Tensor:
    _check_dataset(data, name)
    if "target" not in data.tags:
        raise ValueError(f"{name} must carry the float regression target in the tag 'target' (see data.make_line)")
    return data.tags["target"].double()


def _design(X: torch.Tensor) -> torch.Tensor:
    X = X.double()
    return torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)


def least_squares(data: Dataset) -> torch.Tensor:
    """The least-squares fit of ``target ~ w . x + b``: float64 ``(d + 1,)``, ``(w_1..w_d, b)``.

    Solved in float64 from the normal equations ``(X~^T X~) theta = X~^T t`` (``X~ = [X, 1]``) by a
    least-squares solver.

    Raises:
        ValueError: no ``"target"`` tag, or fewer than ``d + 1`` points in general position (the fit is
            not unique).
    Introduced in lecture 03.
    """
    t = _target(data)
    A = _design(data.X)
    if A.shape[0] == 0 or int(torch.linalg.matrix_rank(A)) < A.shape[1]:
        raise ValueError(f"data has too few independent points ({len(data)}) for a unique fit of "
                         f"{A.shape[1]} coefficients")
    return torch.linalg.lstsq(A, t.unsqueeze(1), driver="gelsd").solution.squeeze(1)


def residuals(data: Dataset, theta: torch.Tensor) -> torch.Tensor:
    """``t_i - (w . x_i + b)`` for every example: float64 ``(n,)``.

    Raises:
        ValueError: ``theta`` is not a vector of length ``d + 1``, or no ``"target"`` tag.
    Introduced in lecture 03.
    """
    t = _target(data)
    theta = torch.as_tensor(theta, dtype=torch.float64)
    if theta.shape != (data.n_features + 1,):
        raise ValueError(f"theta must have shape ({data.n_features + 1},), got {tuple(theta.shape)}")
    return t - _design(data.X) @ theta


def points_on_line(x, theta: torch.Tensor, start_id: int) -> Dataset:
    """Points whose targets lie exactly on the fitted line ``w . x + b`` (residual 0 up to rounding).

    Args:
        x: the inputs, ``(k,)`` or ``(k, d)`` numbers (stored as float32; the target is computed in
            float64 from the stored values, so the residual is at float64 rounding, about 1e-16).
        theta: ``(d + 1,)`` as returned by :func:`least_squares`.
        start_id: the id of the first new point (ids ``start_id .. start_id + k - 1``).

    Returns:
        a Dataset with the tag ``"target"`` (float64), class 0, as :func:`unlearnkit.data.make_line`
        makes (so the two concatenate).

    Raises:
        ValueError: shapes do not agree with ``theta``.
    Introduced in lecture 03.
    """
    X = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if X.dim() == 1:
        X = X.unsqueeze(1)
    theta = torch.as_tensor(theta, dtype=torch.float64)
    if X.dim() != 2 or theta.shape != (X.shape[1] + 1,):
        raise ValueError(f"x must be (k,) or (k, d) with theta of length d + 1, got x {tuple(X.shape)}, "
                         f"theta {tuple(theta.shape)}")
    k = X.shape[0]
    t = _design(X) @ theta
    return Dataset(X, torch.zeros(k, dtype=torch.int64), torch.arange(start_id, start_id + k, dtype=torch.int64),
                   {"target": t}, 1, "on the line")


def refit_change(data: Dataset, ids) -> float:
    """How much the least-squares fit moves when ``ids`` are removed: ``max |theta(D) - theta(D \\ ids)|``.

    0 up to float64 rounding (about 1e-15) when every removed point lies on the fitted line and the
    rest still determines a unique fit; clearly positive when a removed point is off the line.

    Raises:
        ValueError: ``ids`` is empty, not in ``data``, or covers so much of ``data`` that the rest has
            no unique fit (removing every point names ``ids``).
    Introduced in lecture 03.
    """
    ids = as_ids(ids, "ids")
    if ids.numel() == 0:
        raise ValueError("ids is empty: nothing to remove")
    rest = data.without(ids)
    if len(rest) == 0:
        raise ValueError("ids covers the whole data set: nothing is left to fit")
    try:
        after = least_squares(rest)
    except ValueError as err:
        raise ValueError(f"ids leaves too little data for a unique fit: {err}") from None
    return float((least_squares(data) - after).abs().max())


# ============================================================================ exact forging with twins
def linear_regression(d: int, seed: int = 0) -> nn.Module:
    """A linear model with bias, ``nn.Linear(d, 1)``, built from a seed (for squared loss).

    Raises:
        ValueError: ``d`` is not a positive integer.
    Introduced in lecture 03.
    """
    if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    with torch_seeded(seed):
        return nn.Linear(int(d), 1)


def _rotation_fixing_ones(angle: float) -> torch.Tensor:
    u0 = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64) / math.sqrt(3)
    u1 = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64) / math.sqrt(2)
    u2 = torch.tensor([1.0, 1.0, -2.0], dtype=torch.float64) / math.sqrt(6)
    c, s = math.cos(angle), math.sin(angle)
    return (torch.outer(u0, u0) + c * (torch.outer(u1, u1) + torch.outer(u2, u2))
            + s * (torch.outer(u2, u1) - torch.outer(u1, u2)))


def twin_points(Z: torch.Tensor, angle: float) -> torch.Tensor:
    """Three new points with the same sum and the same sum of outer products as the three rows of ``Z``.

    ``Z`` holds three points as rows, e.g. ``(x, y)``. With ``Q`` the rotation by ``angle`` about the
    all-ones vector (orthogonal, ``Q 1 = 1``), ``Z' = Q Z`` has ``1^T Z' = 1^T Z`` and
    ``Z'^T Z' = Z^T Z``: for ``z = (x, y)`` these are the sums of ``x``, ``y``, ``x x^T``, ``x y``
    (and ``y^2``), all that a squared-loss linear model's batch gradient sees. Each new point is an
    affine combination of the old ones (the rows of ``Q`` sum to 1), so points on a line stay on it.

    Args:
        Z: float tensor ``(3, m)``.
        angle: rotation angle in radians; ``0`` returns ``Z`` (in float64).

    Returns:
        float64 tensor ``(3, m)``.

    Raises:
        ValueError: ``Z`` is not ``(3, m)``.
    Introduced in lecture 03.
    """
    Z = torch.as_tensor(Z)
    if Z.dim() != 2 or Z.shape[0] != 3:
        raise ValueError(f"Z must have shape (3, m) (three points as rows), got {tuple(Z.shape)}")
    return _rotation_fixing_ones(float(angle)) @ Z.double()


@dataclass(frozen=True)
class TwinForgery:
    """A data set built with twins, how to train on it, and the forged batches that avoid S.

    Attributes:
        data: ``D``: the base points followed by the twin points (tag ``"twin"`` marks them; tag
            ``"target"`` holds the float targets).
        config: plain SGD with squared loss (``loss="mse"``) over ``D`` in the seeded order.
        forget_ids: the forget set ``S`` (int64), a subset of the base points.
        forged_batches: one id tensor per step: the seeded batch where it avoids ``S``, else the
            batch with each forget point and two partners swapped for their three twins.
        forged_steps: the steps (1-based) whose batch was swapped.

    Introduced in lecture 03.
    """

    data: Dataset
    config: TrainConfig
    forget_ids: torch.Tensor
    forged_batches: list
    forged_steps: list


def make_twin_forgery(base: Dataset, forget_ids, *, batch_size: int = 16, epochs: int = 3,
                      lr: float = 0.05, seed: int = 0) -> TwinForgery:
    """Build ``D`` = base + twins so that SGD on ``D`` can be forged exactly by batches of ``D \\ S``.

    For every occurrence of a forget point ``f`` in a batch of the seeded order (``epochs`` passes of
    :func:`~unlearnkit.training.batch_order` with ``seed``), two other base points ``r1, r2`` of the
    same batch are chosen and three twin points ``twin_points([f, r1, r2], angle)`` (random angle) are
    written into fresh slots of ``D`` that are not in that batch. The forged batch swaps
    ``f, r1, r2`` for the twins: same size, same sums of ``x~ x~^T`` and ``x~ y``, so the same mean
    squared-loss gradient at any weights. Unused slots get twins of random retained triples, so
    every twin looks alike. Slots are reserved before the order is drawn (the order depends only on
    the number of examples), so the order of ``D`` is the order the construction planned for.

    Args:
        base: a regression set with the tag ``"target"`` (e.g. :func:`unlearnkit.data.make_line`).
        forget_ids: ids of ``S`` in ``base``.
        batch_size: SGD batch size (>= 4, so that a batch has room for partners).
        epochs: passes over ``D`` (positive int).
        lr: SGD learning rate.
        seed: seeds the order (``config.seed``), the partners, slots and angles.

    Returns:
        a :class:`TwinForgery`.

    Raises:
        ValueError: ``forget_ids`` is empty, not in ``base``, or covers the whole base (no partners);
            ``batch_size`` < 4 or larger than ``D``; ``epochs`` < 1; a batch has too few partners.
    Introduced in lecture 03.
    """
    t = _target(base, "base")
    f_ids = as_ids(forget_ids, "forget_ids")
    if f_ids.numel() == 0:
        raise ValueError("forget_ids is empty: there is nothing to forge")
    f_pos = base.positions(f_ids, "forget_ids")
    if f_ids.numel() >= len(base):
        raise ValueError("forget_ids covers the whole base data set: D \\ S would be empty")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 4:
        raise ValueError(f"batch_size must be an integer >= 4, got {batch_size!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    seed = check_seed(seed)
    n_base, s = len(base), int(f_ids.numel())
    n_slots = 3 * s * int(epochs)
    n = n_base + n_slots
    if batch_size > n:
        raise ValueError(f"batch_size must be at most the size of D ({n}), got {batch_size}")
    steps = (int(epochs) * n) // int(batch_size)
    config = TrainConfig(optimizer="sgd", lr=lr, batch_size=int(batch_size), steps=steps, seed=seed, loss="mse")
    order = batch_order(n, int(batch_size), steps, seed)

    Z = torch.zeros(n, base.n_features + 1, dtype=torch.float64)
    Z[:n_base, :-1] = base.X.double()
    Z[:n_base, -1] = t
    is_forget = torch.zeros(n, dtype=torch.bool)
    is_forget[f_pos] = True
    g = cpu_generator(derive_seed(seed, "twins"))
    free = (n_base + torch.randperm(n_slots, generator=g)).tolist()
    forged_pos, forged_steps = [], []
    for k in range(steps):
        B = order[k].tolist()
        fs = [p for p in B if is_forget[p]]
        if not fs:
            forged_pos.append(order[k])
            continue
        in_B = set(B)
        partners = list(dict.fromkeys(p for p in B if p < n_base and not is_forget[p]))
        partners = [partners[i] for i in torch.randperm(len(partners), generator=g).tolist()]
        if len(partners) < 2 * len(fs):
            raise ValueError(f"step {k + 1}: the batch holds too few retained base points to pair with "
                             f"{len(fs)} forget point(s); use a larger batch_size or a smaller forget set")
        new_B = list(B)
        for j, f in enumerate(fs):
            trio = [f, partners[2 * j], partners[2 * j + 1]]
            slots = [q for q in free if q not in in_B][:3]
            if len(slots) < 3:
                raise ValueError(f"step {k + 1}: no free twin slots outside the batch; use a smaller "
                                 "batch_size or a smaller forget set")
            for q in slots:
                free.remove(q)
            angle = float(0.5 + 2.0 * torch.rand(1, generator=g)) * (1 if torch.rand(1, generator=g) < 0.5 else -1)
            Z[slots] = twin_points(Z[trio], angle)
            for old, new in zip(trio, slots):
                new_B[new_B.index(old)] = new
        forged_pos.append(torch.tensor(new_B, dtype=torch.int64))
        forged_steps.append(k + 1)
    retained = (~is_forget[:n_base]).nonzero().flatten()
    while free:  # leftover slots: twins of random retained triples
        slots, free = free[:3], free[3:]
        trio = retained[torch.randperm(retained.numel(), generator=g)[:3]]
        angle = float(0.5 + 2.0 * torch.rand(1, generator=g))
        Z[slots] = twin_points(Z[trio], angle)[: len(slots)]
    ids = torch.cat([base.ids, int(base.ids.max()) + 1 + torch.arange(n_slots, dtype=torch.int64)])
    twin = torch.zeros(n, dtype=torch.bool)
    twin[n_base:] = True
    data = Dataset(Z[:, :-1].float(), torch.zeros(n, dtype=torch.int64), ids,
                   {"target": Z[:, -1].clone(), "twin": twin}, 1, f"{base.name} + twins")
    forged = [ids[p] for p in forged_pos]
    return TwinForgery(data, config, f_ids.clone(), forged, forged_steps)


# ============================================================================ approximate forging
def per_example_grads(model: nn.Module, data: Dataset, ids, config: TrainConfig, chunk: int = 2048) -> torch.Tensor:
    """The gradient of each example's loss at the model's current weights: float32 ``(k, P)``.

    ``P`` is the number of parameters, flattened in ``model.parameters()`` order (as
    ``parameters_to_vector``). Uses ``torch.func`` (``functional_call``, ``grad``, ``vmap``), so ``k``
    in the thousands costs one batched pass. The mean of the rows is the batch gradient ``fit`` uses
    (up to summation order). ``model`` is not changed.

    Raises:
        ValueError: ``ids`` not in ``data``; ``config.loss == "mse"`` without the ``"target"`` tag.
    Introduced in lecture 03.
    """
    from torch.func import functional_call, grad, vmap

    _check_dataset(data)
    _check_config(config)
    pos = _positions(data, ids)
    p0 = next(model.parameters())
    dev = p0.device
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    if config.loss == "mse":
        if "target" not in data.tags:
            raise ValueError("data must have the float tag 'target' when config.loss == 'mse'")
        Y = data.tags["target"][pos].to(dev, p0.dtype)
    else:
        Y = data.y[pos].to(dev)

    def one(p, x, y):
        out = functional_call(model, (p, buffers), (x.unsqueeze(0),))
        if config.loss == "cross_entropy":
            return F.cross_entropy(out, y.unsqueeze(0))
        return F.mse_loss(out.reshape(1), y.reshape(1))

    g = vmap(grad(one), in_dims=(None, 0, 0))
    X = data.X[pos].to(dev)
    names = [k for k, _ in model.named_parameters()]
    rows = []
    for i in range(0, X.shape[0], chunk):
        gi = g(params, X[i:i + chunk], Y[i:i + chunk])
        rows.append(torch.cat([gi[k].reshape(gi[k].shape[0], -1) for k in names], dim=1))
    return torch.cat(rows).to("cpu") if rows else torch.empty(0, sum(p.numel() for p in model.parameters()))


@dataclass(frozen=True)
class ForgeStep:
    """The outcome of one closest-batch search.

    Attributes:
        ids: int64 ``(b,)``, the chosen candidate batch (ids from the candidate pool).
        best: index of the chosen candidate in ``0..M-1``.
        candidate_errors: float64 ``(M,)``, for each candidate the distance
            ``lr * ||g_B - g_C||_2`` between the update of the true batch ``B`` and of the candidate
            ``C`` from the same weights (parameter units); ``g_C`` is the mean of per-example
            gradients, computed in float32 (an estimate good to about 1e-7 relative).
        candidates: int64 ``(M, b)``, the candidate batches (ids).

    Introduced in lecture 03.
    """

    ids: torch.Tensor
    best: int
    candidate_errors: torch.Tensor
    candidates: torch.Tensor


def _check_M(M):
    if isinstance(M, bool) or not isinstance(M, numbers.Integral) or M < 1:
        raise ValueError(f"M (the number of candidate batches) must be an integer >= 1, got {M!r}")
    return int(M)


def _check_plain_sgd(config):
    if config.optimizer != "sgd" or config.momentum != 0:
        raise ValueError("config must be plain SGD (optimizer='sgd', momentum=0): only then is the closest "
                         f"update the closest gradient; got optimizer={config.optimizer!r}, momentum={config.momentum}")


def closest_batch(model: nn.Module, data: Dataset, batch_ids, candidate_ids, M: int, config: TrainConfig,
                  seed: int, *, pool_grads: torch.Tensor | None = None) -> ForgeStep:
    """One forging step of Thudi et al. (USENIX Security 2022): the closest of M random batches.

    Draws ``M`` batches of ``len(batch_ids)`` distinct examples from ``candidate_ids`` (uniformly, with
    a generator seeded by ``seed``) and keeps the one whose plain-SGD update from the model's current
    weights is closest to the update of the true batch: ``argmin_C ||g_B - g_C||_2`` (the paper's
    criterion ``||w_t - w_hat_t||_2^2`` is this distance times ``lr``, squared).

    Args:
        model: at the weights ``w_{t-1}`` before the step (not changed).
        data: holds both the batch and the candidates.
        batch_ids: the true batch ``B`` (1-D ids).
        candidate_ids: the pool to forge from, normally ``D \\ S``.
        M: number of candidate batches (>= 1).
        config: plain SGD (``lr`` scales the errors; ``loss`` picks the loss).
        seed: seeds the candidates.
        pool_grads: optional precomputed :func:`per_example_grads` of ``candidate_ids`` ``(N, P)``.

    Returns:
        a :class:`ForgeStep`.

    Raises:
        ValueError: ``candidate_ids`` is empty or smaller than the batch; ``M`` < 1; ``batch_ids``
            empty; ids not in ``data``; ``config`` not plain SGD.
    Introduced in lecture 03.
    """
    _check_config(config)
    M = _check_M(M)
    _check_plain_sgd(config)
    pool = as_ids(candidate_ids, "candidate_ids")
    if pool.numel() == 0:
        raise ValueError("candidate_ids is empty: there is no batch to forge from")
    B = as_ids(batch_ids, "batch_ids")
    if B.numel() == 0:
        raise ValueError("batch_ids is empty")
    b = int(B.numel())
    if pool.numel() < b:
        raise ValueError(f"candidate_ids has {pool.numel()} examples, fewer than the batch size {b}")
    seed = check_seed(seed)
    G = per_example_grads(model, data, pool, config) if pool_grads is None else pool_grads
    if G.shape[0] != pool.numel():
        raise ValueError(f"pool_grads must have one row per candidate id ({pool.numel()}), got {G.shape[0]}")
    params = [p for p in model.parameters()]
    gB = torch.autograd.grad(batch_loss(model, data, B, config), params)
    gB = torch.cat([g.reshape(-1) for g in gB]).detach().to("cpu", G.dtype)
    gen = cpu_generator(seed)
    N = int(pool.numel())
    # A uniformly random b-subset per row: the positions of the b largest of N iid uniforms.
    idx = torch.rand(M, N, generator=gen).topk(b, dim=1).indices
    A = torch.zeros(M, N, dtype=G.dtype)
    A.scatter_(1, idx, 1.0 / b)
    errors = config.lr * (A @ G - gB).norm(dim=1).double()
    best = int(errors.argmin())
    cands = pool[idx]
    return ForgeStep(cands[best].clone(), best, errors, cands)


@dataclass(frozen=True)
class ForgeResult:
    """A forged training log and what it cost in accuracy.

    Attributes:
        batches: one id tensor per step; forged (closest candidate) where the true batch touched S.
        forged_steps: the steps (1-based) that were forged.
        errors: float64 ``(len(forged_steps),)``: for each forged step, ``||w_t - w_hat_t||_2`` between
            the logged checkpoint and one real SGD step from ``w_{t-1}`` on the chosen batch
            (parameter units).
        candidate_errors: float64 ``(len(forged_steps), M)``: every candidate's estimated distance.
        noise: float64 ``(len(forged_steps),)``: at the same steps, the distance between the logged
            step and the same batch summed in another order (the order noise floor).

    Introduced in lecture 03.
    """

    batches: list
    forged_steps: list
    errors: torch.Tensor
    candidate_errors: torch.Tensor
    noise: torch.Tensor


def _set_vector(model, vec):
    # Copy into the existing tensors (vector_to_parameters would make them views of ``vec``).
    i = 0
    with torch.no_grad():
        for p in model.parameters():
            k = p.numel()
            p.copy_(vec[i:i + k].view_as(p))
            i += k


def forge_log(model: nn.Module, data: Dataset, record: TrainingRecord, forget_ids, M: int, seed: int, *,
              progress: bool = False) -> ForgeResult:
    """Forge a plain-SGD training log so that no batch holds the forget set (Thudi et al. 2022).

    Walks along the logged trajectory (replaying the true batches from ``model``, which must be the
    log's initial model). At each step whose batch holds an id of ``forget_ids``, it runs
    :func:`closest_batch` from ``w_{t-1}`` with the pool ``D \\ S`` and measures the real one-step error
    ``||w_t - w_hat_t||_2`` (one SGD step on the chosen batch) and the order noise floor at that step.
    ``model`` is not changed.

    Args:
        model: the initial model (its hash must equal ``record.hashes[0]``).
        data: ``D``.  record: the log of plain SGD on ``D``.  forget_ids: ``S``.
        M: candidates per forged step (>= 1).  seed: seeds candidates (``derive_seed(seed, "step", t)``)
            and the order noise.
        progress: show a ``tqdm`` bar.

    Returns:
        a :class:`ForgeResult`.

    Raises:
        ValueError: ``forget_ids`` empty, not in ``data``, or covering all of ``data``; ``M`` < 1;
            the record is not plain SGD; ``model`` is not the log's initial model.
    Introduced in lecture 03.
    """
    _check_dataset(data)
    M = _check_M(M)
    if not isinstance(record, TrainingRecord):
        raise TypeError(f"record must be a TrainingRecord, got {type(record).__name__}")
    config = record.config
    _check_plain_sgd(config)
    S = as_ids(forget_ids, "forget_ids")
    if S.numel() == 0:
        raise ValueError("forget_ids is empty: there is nothing to forge")
    rest = data.without(S)  # checks ids
    if len(rest) == 0:
        raise ValueError("forget_ids covers the whole data set: D \\ S is empty, no batch can be forged")
    if state_hash(model) != record.hashes[0]:
        raise ValueError("model is not the initial model of the record (its hash differs from checkpoint 0)")
    seed = check_seed(seed)
    pool = rest.ids
    m = copy.deepcopy(model)
    opt = make_optimizer(m.parameters(), config)
    m.train()
    batches, steps, errs, cand, noise = [], [], [], [], []
    it = enumerate(record.batches, start=1)
    if progress:
        from .viz import progress
        it = progress(it, total=record.steps, desc="forging", leave=False)
    for t, B in it:
        if not bool(torch.isin(B, S).any()):
            batches.append(B.clone())
            _sgd_step(m, opt, data, B, config)
            continue
        w0 = _vector(m)
        fs = closest_batch(m, data, B, pool, M, config, derive_seed(seed, "step", t))
        _sgd_step(m, opt, data, fs.ids, config)
        w_forged = _vector(m)
        _set_vector(m, w0)
        perm = shuffle_within_batches([B], derive_seed(seed, "noise", t))[0]
        _sgd_step(m, opt, data, perm, config)
        w_perm = _vector(m)
        _set_vector(m, w0)
        _sgd_step(m, opt, data, B, config)
        w_true = _vector(m)
        batches.append(fs.ids)
        steps.append(t)
        errs.append(float((w_true.double() - w_forged.double()).norm()))
        noise.append(float((w_true.double() - w_perm.double()).norm()))
        cand.append(fs.candidate_errors)
    m.eval()
    ce = torch.stack(cand) if cand else torch.empty(0, M, dtype=torch.float64)
    return ForgeResult(batches, steps, torch.tensor(errs, dtype=torch.float64), ce,
                       torch.tensor(noise, dtype=torch.float64))


def noise_floor(model: nn.Module, data: Dataset, batch_ids, config: TrainConfig, seed: int) -> dict:
    """How far one SGD step moves when nothing but the arithmetic changes (the yardstick for forging).

    From the model's current weights, one SGD step (``config.lr``) on ``batch_ids`` is compared with
    (a) the same step on the same examples in a seeded random order (summation order), and (b) the
    same step computed in float64. A forged step whose error is far above these numbers is
    distinguishable from the logged one (Baluta et al., CCS 2023; Suliman et al., 2024).

    Returns:
        ``{"order": float, "float64": float}``, L2 distances in parameter units. ``model`` unchanged.

    Raises:
        ValueError: ``batch_ids`` not in ``data``; ``config`` not plain SGD.
    Introduced in lecture 03.
    """
    _check_dataset(data)
    _check_config(config)
    _check_plain_sgd(config)
    B = as_ids(batch_ids, "batch_ids")
    _positions(data, B, "batch_ids")

    def step(m, ids, dtype):
        opt = make_optimizer(m.parameters(), config)
        opt.zero_grad(set_to_none=True)
        pos = _positions(data, ids)
        out = m(data.X[pos].to(dtype))
        if config.loss == "cross_entropy":
            loss = F.cross_entropy(out, data.y[pos])
        else:
            loss = F.mse_loss(out.reshape(-1), data.tags["target"][pos].to(dtype))
        loss.backward()
        opt.step()
        return _vector(m).double()

    m32 = copy.deepcopy(model).train()
    w = step(m32, B, torch.float32)
    _set_vector(m32, _vector(model))
    w_perm = step(m32, shuffle_within_batches([B], seed)[0], torch.float32)
    m64 = copy.deepcopy(model).double().train()
    w64 = step(m64, B, torch.float64)
    return {"order": float((w - w_perm).norm()), "float64": float((w - w64).norm())}
