"""One deterministic training loop, and evaluation.

``fit(model, data, config) -> TrainLog`` trains ``model`` in place with minibatch SGD or Adam for a
fixed number of optimisation steps. The data order comes from a CPU ``torch.Generator`` seeded with
``config.seed`` (whatever the model's device), so the same model, data and config give the same
weights, bitwise, on the CPU with the same thread count.

Cost accounting: one **gradient evaluation** is one example's forward and backward pass through the
model being trained; a step on a batch of 64 costs 64. Other passes (a frozen teacher's forward, a
Hessian) are counted by the methods that make them, under their own names in ``TrainLog.extra``.

Batched training of many small models at once (:func:`fit_many`, :class:`ManyModels`,
:func:`model_seeds`) lives in :mod:`unlearnkit.batched` and is re-exported here; training records
and their replay live in :mod:`unlearnkit.records`.

Introduced in lecture 02.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import torch
from torch import nn
from torch.nn import functional as F

from ._common import LOSSES, batch_loss, check_fit_args, check_int, check_number, features, model_device
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
DEFAULT_EPOCHS = 10.0




@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, learning rate, batch size, length, seed.

    Attributes:
        optimizer: ``"sgd"`` (with optional momentum) or ``"adam"``.
        lr: learning rate (> 0).
        momentum: SGD momentum in [0, 1) (must stay 0 with Adam).
        weight_decay: L2 penalty coefficient (>= 0), applied by the optimiser.
        batch_size: examples per step (>= 1); a data set smaller than this is used whole each step.
        steps: number of optimisation steps. Set at most one of ``steps`` and ``epochs``.
        epochs: passes over the data; converted to ``ceil(epochs * n / batch_size)`` steps
            (default 10 when neither is set).
        seed: seeds the data order.
        loss: ``"cross_entropy"`` on labels ``y``, or ``"mse"`` on the float tag ``"target"``.

    Raises:
        TypeError: a field of the wrong type (a float batch size or step count, a string learning rate).
        ValueError: a field out of range or not finite, or both ``steps`` and ``epochs`` set.

    Introduced in lecture 01.
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 64
    steps: int | None = None
    epochs: float | None = None
    seed: int = 0
    loss: str = "cross_entropy"

    def __post_init__(self):
        for name, allowed in (("optimizer", _OPTIMIZERS), ("loss", LOSSES)):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be one of {allowed}, got {type(value).__name__} {value!r}")
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        check_number(self.lr, "lr", 0, open_min=True, what="a positive finite number")
        check_number(self.momentum, "momentum", 0, 1, open_max=True, what="in [0, 1)")
        if self.optimizer == "adam" and self.momentum != 0:
            raise ValueError("momentum applies to optimizer='sgd' only; Adam keeps its own moment estimates")
        check_number(self.weight_decay, "weight_decay", 0, what="a finite number >= 0")
        check_int(self.batch_size, "batch_size", 1)
        if self.steps is not None and self.epochs is not None:
            raise ValueError(f"set only one of steps and epochs, got steps={self.steps!r} and epochs={self.epochs!r}")
        if self.steps is None and self.epochs is None:
            object.__setattr__(self, "epochs", DEFAULT_EPOCHS)
        if self.steps is not None:
            check_int(self.steps, "steps", 0)
        if self.epochs is not None:
            check_number(self.epochs, "epochs", 0, what="a finite number >= 0")
        check_seed(self.seed)

    def num_steps(self, n: int) -> int:
        """The number of optimisation steps this config takes on ``n`` examples."""
        if self.steps is not None:
            return int(self.steps)
        if not n:
            return 0
        # Round away binary noise first: 1.1 epochs of 100 examples in batches of 10 is 11 steps.
        exact = self.epochs * n / min(self.batch_size, n)
        return int(math.ceil(round(exact, 9)))

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

    Introduced in lecture 01.
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
        TypeError: ``n``, ``batch_size`` or ``steps`` is not an integer.
        ValueError: one of them is out of range, or ``n`` < 1 while ``steps`` > 0.

    Introduced in lecture 01.
    """
    n, batch_size, steps = check_int(n, "n", 0), check_int(batch_size, "batch_size", 1), check_int(steps, "steps", 0)
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
    """The optimiser ``config`` describes, over ``params``.

    Introduced in lecture 01.
    """
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def fit(model: nn.Module, data: Dataset, config: TrainConfig, *, optimizer: torch.optim.Optimizer | None = None,
        record_batches: bool = False, progress: bool = False) -> TrainLog:
    """Train ``model`` in place on ``data`` as ``config`` says.

    ``fit`` draws the data order from ``config.seed`` on every call: two calls with the same config
    see the same batches. To continue a run with a different order, pass ``config.replace(seed=...)``.

    Args:
        model: returns logits ``(batch, classes)`` (or predictions ``(batch,)``/``(batch, 1)`` for "mse").
        data: the training examples.
        config: optimiser, learning rate, batch size, steps or epochs, seed.
        optimizer: continue with this optimiser (and its state, e.g. momentum) instead of a fresh one;
            SISA passes the optimiser restored from a checkpoint.
        record_batches: keep each step's batch ids in the log (a training log that can be replayed).
        progress: show a ``tqdm`` progress bar (silent when ``TQDM_DISABLE=1``).

    Returns:
        a :class:`TrainLog`. The model is left in eval mode.

    Raises:
        TypeError: ``data`` is not a Dataset or ``config`` not a TrainConfig.
        ValueError: ``data`` is empty while steps > 0, or "mse" without a ``"target"`` tag.

    Introduced in lecture 01.
    """
    check_fit_args(data, config)
    steps = config.num_steps(len(data))
    order = batch_order(len(data), config.batch_size, steps, config.seed)
    opt = optimizer if optimizer is not None else make_optimizer(model.parameters(), config)
    dev = model_device(model)
    log = TrainLog(batches=[] if record_batches else None)
    it = range(steps)
    if progress:
        from .viz import progress
        it = progress(it, desc="training", leave=False)
    model.train()
    start = time.perf_counter()
    for k in it:
        pos = order[k]
        opt.zero_grad(set_to_none=True)
        loss = batch_loss(model, data, pos, config.loss, dev)
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
@torch.no_grad()
def predict_logits(model: nn.Module, data, batch_size: int = 4096) -> torch.Tensor:
    """Logits ``(n, classes)`` float32 on the CPU for a Dataset or a ``(n, d)`` tensor (eval mode).

    Introduced in lecture 01.
    """
    X = features(data)
    batch_size = check_int(batch_size, "batch_size", 1)
    dev = model_device(model)
    was_training = model.training
    model.eval()
    # An empty input still goes through the model once, so the class dimension is kept: (0, classes).
    out = [model(X[i:i + batch_size].to(dev)).cpu() for i in range(0, max(X.shape[0], 1), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def predict_proba(model: nn.Module, data) -> torch.Tensor:
    """Softmax probabilities ``(n, classes)`` float32.

    Introduced in lecture 01.
    """
    return torch.softmax(predict_logits(model, data), dim=1)


def predict(model: nn.Module, data) -> torch.Tensor:
    """Predicted labels ``(n,)`` int64 (argmax of the logits).

    Introduced in lecture 01.
    """
    return predict_logits(model, data).argmax(dim=1)


def accuracy(model: nn.Module, data: Dataset) -> float:
    """Fraction of ``data`` classified correctly, in [0, 1] (nan for an empty data set).

    Introduced in lecture 01.
    """
    if len(data) == 0:
        return float("nan")
    return float((predict(model, data) == data.y.cpu()).double().mean())


@torch.no_grad()
def per_example_loss(model: nn.Module, data: Dataset) -> torch.Tensor:
    """Cross-entropy of each example, float32 ``(n,)`` (nats).

    Introduced in lecture 01.
    """
    return F.cross_entropy(predict_logits(model, data), data.y.cpu(), reduction="none")


# ----------------------------------------------------------------------------- re-exports
# Batched training lives in unlearnkit.batched (which imports this module), so it is re-exported
# lazily: ``training.fit_many`` and ``from unlearnkit.training import fit_many`` keep working.
_BATCHED = ("ManyModels", "fit_many", "model_seeds")
__all__ += list(_BATCHED)


def __getattr__(name):
    if name in _BATCHED:
        from . import batched

        return getattr(batched, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
