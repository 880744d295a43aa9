"""Training records: a log of a training run that anyone holding the data can replay and check.

A :class:`TrainingRecord` keeps the config, the batch ids of every step and a SHA-256 hash of the
model after every step (:func:`state_hash`), and optionally every checkpoint's parameters.
:func:`record_training` makes one while training exactly as :func:`unlearnkit.training.fit` does
(bitwise the same weights); :func:`train_on_batches` trains on a given list of batches (how a forged
log is run); :func:`replay` re-executes a log and reports the first step whose checkpoint does not
match, whether every batch follows the seeded order, and which steps used forget-set examples (the
auditor's side). :func:`batch_loss` and :func:`train_step` are one step of ``fit`` on named ids.

They sit beside ``fit`` because they are training with a receipt; lecture 03 uses them to show what a
log can and cannot prove (:mod:`unlearnkit.forging` re-exports every name here).

Introduced in lecture 03.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, replace

import torch
from torch import nn

from ._common import (check_dataset, check_instance, check_int, check_module, check_train_config, id_positions,
                      model_device, param_vector, set_param_vector)
from ._common import batch_loss as _batch_loss
from ._seeding import cpu_generator
from .data import Dataset, as_ids
from .training import TrainConfig, batch_order, fit, make_optimizer

__all__ = [
    "state_hash",
    "TrainingRecord",
    "ReplayReport",
    "record_training",
    "batch_loss",
    "train_step",
    "train_on_batches",
    "replay",
    "trajectory_distance",
    "shuffle_within_batches",
]


def state_hash(model: nn.Module) -> str:
    """SHA-256 (hex string, 64 characters) of a model's ``state_dict``: names, dtypes, shapes, bytes.

    Two models have the same hash exactly when every tensor is bitwise equal; one flipped bit in one
    weight changes it. Introduced in lecture 03.

    Raises:
        TypeError: ``model`` is not a ``torch.nn.Module``.
    """
    check_module(model)
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        t = t.detach().to("cpu").contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes())
    return h.hexdigest()


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
            TypeError: ``t`` is not an integer.
            ValueError: the record keeps no checkpoints, ``t`` is out of range, or the sizes differ.
        """
        if self.checkpoints is None:
            raise ValueError("this record keeps no checkpoints (record with keep_checkpoints=True)")
        t = check_int(t, "t", 0, self.steps)
        if sum(p.numel() for p in model.parameters()) != self.checkpoints.shape[1]:
            raise ValueError(f"model has a different number of parameters than the record "
                             f"({self.checkpoints.shape[1]})")
        set_param_vector(model, self.checkpoints[t])
        return model

    def with_batch(self, step: int, ids) -> "TrainingRecord":
        """A copy whose batch of ``step`` (1-based) is replaced by ``ids``: a tampered log.

        Hashes and checkpoints are left as they were, which is what a careless forger would do.

        Raises:
            ValueError: ``step`` is not in ``1..steps``.  TypeError: ``step`` or an id is not an integer.
        """
        step = check_int(step, "step", 1, self.steps)
        batches = list(self.batches)
        batches[step - 1] = as_ids(ids, "ids").clone()
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
    check_dataset(data)
    check_train_config(config)
    hashes = [state_hash(model)]
    vecs = [param_vector(model)] if keep_checkpoints else None
    opt = make_optimizer(model.parameters(), config)

    def after_step(*_):
        hashes.append(state_hash(model))
        if vecs is not None:
            vecs.append(param_vector(model))

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
    check_dataset(data)
    check_train_config(config)
    if config.loss == "mse" and "target" not in data.tags:
        raise ValueError("data must have the float tag 'target' when config.loss == 'mse'")
    pos = id_positions(data, ids)
    return _batch_loss(model, data, pos, config.loss, model_device(model))


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, data: Dataset, ids, config: TrainConfig) -> None:
    """One optimiser step on the batch ``ids``, with the arithmetic of one step of ``fit``.

    ``optimizer.zero_grad()``, :func:`batch_loss` ``.backward()``, ``optimizer.step()``: replaying a
    logged batch this way from the logged weights and optimiser state reproduces the logged step
    bitwise. ``model`` is changed in place.

    Raises:
        as :func:`batch_loss`.
    Introduced in lecture 03.
    """
    optimizer.zero_grad(set_to_none=True)
    batch_loss(model, data, ids, config).backward()
    optimizer.step()


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
    check_dataset(data)
    check_train_config(config)
    checked = []
    for k, b in enumerate(batches):
        b = as_ids(b, f"batches[{k}]")
        if b.numel() == 0:
            raise ValueError(f"batches[{k}] is empty")
        id_positions(data, b, f"batches[{k}]")
        checked.append(b.clone())
    opt = make_optimizer(model.parameters(), config)
    hashes = [state_hash(model)]
    vecs = [param_vector(model)] if keep_checkpoints else None
    model.train()
    for b in checked:
        train_step(model, opt, data, b, config)
        hashes.append(state_hash(model))
        if vecs is not None:
            vecs.append(param_vector(model))
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
        TypeError: wrong argument types.  ValueError: a logged id is not in ``data``; the log's
            hashes are not one per checkpoint (``steps + 1``). Checked before anything is replayed.
    Introduced in lecture 03.
    """
    check_dataset(data)
    check_instance(record, TrainingRecord, "record")
    if len(record.hashes) != record.steps + 1:
        raise ValueError(f"record.hashes must hold one hash per checkpoint, steps + 1 = {record.steps + 1}, "
                         f"got {len(record.hashes)}")
    for k, b in enumerate(record.batches):
        id_positions(data, b, f"record.batches[{k}]")
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
            train_step(m, opt, data, b, record.config)
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
