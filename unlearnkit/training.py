"""One deterministic training loop, and evaluation.

``fit(model, data, config) -> TrainLog`` trains ``model`` in place with minibatch SGD or Adam for a
fixed number of optimisation steps. The data order comes from a CPU ``torch.Generator`` seeded with
``config.seed`` (whatever the model's device), so the same model, data and config give the same
weights, bitwise, on the CPU with the same thread count.

Cost accounting: one **gradient evaluation** is one example's forward and backward pass through the
model being trained; a step on a batch of 64 costs 64. Other passes (a frozen teacher's forward, a
Hessian) are counted by the methods that make them, under their own names in ``TrainLog.extra``.

Introduced in lecture 02.
"""
from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field, replace

import torch
from torch import nn
from torch.nn import functional as F

from ._seeding import check_seed, cpu_generator
from .data import Dataset

__all__ = [
    "TrainConfig",
    "TrainLog",
    "batch_order",
    "make_optimizer",
    "fit",
    "predict_logits",
    "predict_proba",
    "predict",
    "accuracy",
    "per_example_loss",
]

_OPTIMIZERS = ("sgd", "adam")
_LOSSES = ("cross_entropy", "mse")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, learning rate, batch size, length, seed.

    Attributes:
        optimizer: ``"sgd"`` (with optional momentum) or ``"adam"``.
        lr: learning rate (> 0).
        momentum: SGD momentum in [0, 1).
        weight_decay: L2 penalty coefficient (>= 0), applied by the optimiser.
        batch_size: examples per step (>= 1); a data set smaller than this is used whole each step.
        steps: number of optimisation steps. Exactly one of ``steps`` and ``epochs`` must be set.
        epochs: passes over the data; converted to ``ceil(epochs * n / batch_size)`` steps.
        seed: seeds the data order.
        loss: ``"cross_entropy"`` on labels ``y``, or ``"mse"`` on the float tag ``"target"``.

    Raises:
        ValueError: any field out of range, or neither/both of ``steps`` and ``epochs``.
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 64
    steps: int | None = None
    epochs: float | None = 10.0
    seed: int = 0
    loss: str = "cross_entropy"

    def __post_init__(self):
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, got {self.optimizer!r}")
        if self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {self.loss!r}")
        if not isinstance(self.lr, numbers.Real) or not self.lr > 0:
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if not isinstance(self.momentum, numbers.Real) or not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if not isinstance(self.weight_decay, numbers.Real) or self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, numbers.Integral) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if self.steps is not None and self.epochs is not None:
            # A steps value set explicitly wins over the default epochs.
            object.__setattr__(self, "epochs", None)
        if self.steps is None and self.epochs is None:
            raise ValueError("set one of steps or epochs")
        if self.steps is not None and (isinstance(self.steps, bool) or not isinstance(self.steps, numbers.Integral) or self.steps < 0):
            raise ValueError(f"steps must be a non-negative integer, got {self.steps!r}")
        if self.epochs is not None and (not isinstance(self.epochs, numbers.Real) or self.epochs < 0):
            raise ValueError(f"epochs must be a non-negative number, got {self.epochs!r}")
        check_seed(self.seed)

    def num_steps(self, n: int) -> int:
        """The number of optimisation steps this config takes on ``n`` examples."""
        if self.steps is not None:
            return int(self.steps)
        return int(math.ceil(self.epochs * n / min(self.batch_size, max(n, 1)))) if n else 0

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed (``steps=`` clears ``epochs`` and vice versa)."""
        if "steps" in changes and "epochs" not in changes:
            changes["epochs"] = None
        if "epochs" in changes and "steps" not in changes:
            changes["steps"] = None
        return replace(self, **changes)


@dataclass
class TrainLog:
    """What a training run did and cost.

    Attributes:
        steps: optimisation steps taken.
        grad_evals: gradient evaluations (one per example per step).
        losses: the mean training loss of each step's batch, in order (floats).
        seconds: wall-clock time in seconds.
        batches: the ids of each step's batch (int64 tensors), if ``record_batches=True``.
        extra: other passes, by name (e.g. ``{"teacher_forward": 640}``).
    """

    steps: int = 0
    grad_evals: int = 0
    losses: list = field(default_factory=list)
    seconds: float = 0.0
    batches: list | None = None
    extra: dict = field(default_factory=dict)

    def __add__(self, other: "TrainLog") -> "TrainLog":
        extra = dict(self.extra)
        for k, v in other.extra.items():
            extra[k] = extra.get(k, 0) + v
        batches = None if self.batches is None and other.batches is None else (self.batches or []) + (other.batches or [])
        return TrainLog(self.steps + other.steps, self.grad_evals + other.grad_evals,
                        self.losses + other.losses, self.seconds + other.seconds, batches, extra)


def batch_order(n: int, batch_size: int, steps: int, seed: int) -> torch.Tensor:
    """Positions of each step's batch: int64 tensor ``(steps, min(batch_size, n))``.

    Consecutive seeded random permutations of ``0..n-1`` are concatenated and cut into batches, so
    every example is seen once per epoch and batches may straddle two epochs. Drawn on a CPU
    ``torch.Generator`` seeded with ``seed``; reads no global RNG.

    Raises:
        ValueError: ``n`` < 1 while ``steps`` > 0.
    """
    if steps == 0:
        return torch.empty(0, min(batch_size, max(n, 1)), dtype=torch.int64)
    if n < 1:
        raise ValueError("cannot draw batches from an empty data set (n = 0)")
    b = min(batch_size, n)
    g = cpu_generator(seed)
    need = steps * b
    perms = [torch.randperm(n, generator=g) for _ in range(math.ceil(need / n))]
    return torch.cat(perms)[:need].reshape(steps, b)


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimiser ``config`` describes, over ``params``."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def _loss(model: nn.Module, data: Dataset, pos: torch.Tensor, kind: str, dev) -> torch.Tensor:
    out = model(data.X[pos].to(dev))
    if kind == "cross_entropy":
        return F.cross_entropy(out, data.y[pos].to(dev))
    target = data.tags["target"][pos].to(dev, out.dtype)
    return F.mse_loss(out.reshape(target.shape), target)


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def fit(model: nn.Module, data: Dataset, config: TrainConfig, *, optimizer: torch.optim.Optimizer | None = None,
        record_batches: bool = False, progress: bool = False) -> TrainLog:
    """Train ``model`` in place on ``data`` as ``config`` says.

    Args:
        model: returns logits ``(batch, classes)`` (or predictions ``(batch,)``/``(batch, 1)`` for "mse").
        data: the training examples.
        config: optimiser, learning rate, batch size, steps or epochs, seed.
        optimizer: continue with this optimiser (and its state, e.g. momentum) instead of a fresh one;
            SISA passes the optimiser restored from a checkpoint.
        record_batches: keep each step's batch ids in the log (a training log that can be replayed).
        progress: show a ``tqdm`` progress bar (silent when ``TQDM_DISABLE=1``).

    Returns:
        a :class:`TrainLog`.

    Raises:
        TypeError: ``data`` is not a Dataset or ``config`` not a TrainConfig.
        ValueError: ``data`` is empty while steps > 0, or "mse" without a ``"target"`` tag.
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an unlearnkit Dataset, got {type(data).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if config.loss == "mse" and "target" not in data.tags:
        raise ValueError("loss='mse' needs the float tag 'target' on data")
    steps = config.num_steps(len(data))
    order = batch_order(len(data), config.batch_size, steps, config.seed)
    opt = optimizer if optimizer is not None else make_optimizer(model.parameters(), config)
    dev = _model_device(model)
    log = TrainLog(batches=[] if record_batches else None)
    it = range(steps)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="training", leave=False)
    model.train()
    start = time.perf_counter()
    for k in it:
        pos = order[k]
        opt.zero_grad(set_to_none=True)
        loss = _loss(model, data, pos, config.loss, dev)
        loss.backward()
        opt.step()
        log.losses.append(float(loss.detach()))
        log.grad_evals += int(pos.numel())
        if record_batches:
            log.batches.append(data.ids[pos].clone())
    log.steps = steps
    log.seconds = time.perf_counter() - start
    model.eval()
    return log


# ----------------------------------------------------------------------------- evaluation
def _features(data) -> torch.Tensor:
    if isinstance(data, Dataset):
        return data.X
    if isinstance(data, torch.Tensor) and data.dim() == 2:
        return data.float()
    raise TypeError(f"data must be a Dataset or a (n, d) tensor, got {type(data).__name__}")


@torch.no_grad()
def predict_logits(model: nn.Module, data, batch_size: int = 4096) -> torch.Tensor:
    """Logits ``(n, classes)`` float32 on the CPU for a Dataset or a ``(n, d)`` tensor (eval mode)."""
    X = _features(data)
    dev = _model_device(model)
    was_training = model.training
    model.eval()
    out = [model(X[i:i + batch_size].to(dev)).cpu() for i in range(0, X.shape[0], batch_size)]
    model.train(was_training)
    return torch.cat(out) if out else torch.empty(0, 0)


def predict_proba(model: nn.Module, data) -> torch.Tensor:
    """Softmax probabilities ``(n, classes)`` float32."""
    return torch.softmax(predict_logits(model, data), dim=1)


def predict(model: nn.Module, data) -> torch.Tensor:
    """Predicted labels ``(n,)`` int64 (argmax of the logits)."""
    return predict_logits(model, data).argmax(dim=1)


def accuracy(model: nn.Module, data: Dataset) -> float:
    """Fraction of ``data`` classified correctly, in [0, 1] (nan for an empty data set)."""
    if len(data) == 0:
        return float("nan")
    return float((predict(model, data) == data.y).double().mean())


@torch.no_grad()
def per_example_loss(model: nn.Module, data: Dataset) -> torch.Tensor:
    """Cross-entropy of each example, float32 ``(n,)`` (nats)."""
    return F.cross_entropy(predict_logits(model, data), data.y, reduction="none")
