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
DEFAULT_EPOCHS = 10.0


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)
_LOSSES = ("cross_entropy", "mse")


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
        ValueError: any field out of range or not finite, or both ``steps`` and ``epochs`` set.
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
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, got {self.optimizer!r}")
        if self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {self.loss!r}")
        if not _is_real(self.lr) or not self.lr > 0:
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        if not _is_real(self.momentum) or not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.optimizer == "adam" and self.momentum != 0:
            raise ValueError("momentum applies to optimizer='sgd' only; Adam keeps its own moment estimates")
        if not _is_real(self.weight_decay) or self.weight_decay < 0:
            raise ValueError(f"weight_decay must be a finite number >= 0, got {self.weight_decay!r}")
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if self.steps is not None and self.epochs is not None:
            raise ValueError(f"set only one of steps and epochs, got steps={self.steps!r} and epochs={self.epochs!r}")
        if self.steps is None and self.epochs is None:
            object.__setattr__(self, "epochs", DEFAULT_EPOCHS)
        if self.steps is not None and (not _is_int(self.steps) or self.steps < 0):
            raise ValueError(f"steps must be a non-negative integer, got {self.steps!r}")
        if self.epochs is not None and (not _is_real(self.epochs) or self.epochs < 0):
            raise ValueError(f"epochs must be a finite number >= 0, got {self.epochs!r}")
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
    for name, value, low in (("n", n, 0), ("batch_size", batch_size, 1), ("steps", steps, 0)):
        if not _is_int(value) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
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


def _check_fit_args(data, config) -> None:
    """The argument checks ``fit`` and ``fit_many`` share."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an unlearnkit Dataset, got {type(data).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if config.loss == "mse" and "target" not in data.tags:
        raise ValueError("loss='mse' needs the float tag 'target' on data")


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
    """
    _check_fit_args(data, config)
    steps = config.num_steps(len(data))
    order = batch_order(len(data), config.batch_size, steps, config.seed)
    opt = optimizer if optimizer is not None else make_optimizer(model.parameters(), config)
    dev = _model_device(model)
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
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    dev = _model_device(model)
    was_training = model.training
    model.eval()
    # An empty input still goes through the model once, so the class dimension is kept: (0, classes).
    out = [model(X[i:i + batch_size].to(dev)).cpu() for i in range(0, max(X.shape[0], 1), batch_size)]
    model.train(was_training)
    return torch.cat(out)


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
    return float((predict(model, data) == data.y.cpu()).double().mean())


@torch.no_grad()
def per_example_loss(model: nn.Module, data: Dataset) -> torch.Tensor:
    """Cross-entropy of each example, float32 ``(n,)`` (nats)."""
    return F.cross_entropy(predict_logits(model, data), data.y.cpu(), reduction="none")


# ----------------------------------------------------------------------------- many models at once
# Introduced in lecture 01: a few hundred small models with and without a target point, trained in
# one batched loop so that the distribution of a statistic over training runs can be looked at.
import copy as _copy
import numbers as _numbers

from ._seeding import derive_seed as _derive_seed, torch_seeded as _torch_seeded

__all__ += ["ManyModels", "fit_many", "model_seeds"]


def model_seeds(seed: int, i: int) -> tuple[int, int]:
    """The two seeds of model ``i`` in :func:`fit_many`: ``(init_seed, order_seed)``.

    ``init_seed = derive_seed(seed, "model", i)`` initialises its weights (as the template's
    constructor would with that seed); ``order_seed = derive_seed(seed, "model", i, "order")``
    seeds its data order, drawn by :func:`batch_order` over its own examples only. Training model
    ``i`` alone with :func:`fit` on ``data.where(masks[i])`` and
    ``config.replace(steps=S, seed=order_seed)`` follows the same recipe.

    Raises:
        TypeError / ValueError: ``seed`` is not a valid seed or ``i`` not a non-negative integer.
    """
    check_seed(seed)
    if isinstance(i, bool) or not isinstance(i, _numbers.Integral) or i < 0:
        raise ValueError(f"i must be a non-negative integer, got {i!r}")
    return _derive_seed(seed, "model", int(i)), _derive_seed(seed, "model", int(i), "order")


def _reinit(template: nn.Module, seed: int, inplace: bool = False) -> nn.Module:
    """``template`` (a copy of it unless ``inplace``) with its parameters re-drawn from ``seed``.

    Every submodule that owns parameters is reset with its own ``reset_parameters`` in module order,
    which is the order in which unlearnkit's models create them: for those models this equals
    building the model with ``seed`` (checked by tests/test_batched.py).
    """
    new = template if inplace else _copy.deepcopy(template)
    with _torch_seeded(seed):
        for mod in new.modules():
            if next(mod.parameters(recurse=False), None) is None:
                continue
            reset = getattr(mod, "reset_parameters", None)
            if not callable(reset):
                raise ValueError(f"cannot re-initialise a {type(mod).__name__} (it has no reset_parameters); "
                                 "pass a factory model(seed) -> nn.Module instead of a template")
            reset()
    return new


def _reinit_many(template: nn.Module, seeds: list) -> dict:
    """Stacked parameters ``(m, *shape)`` of ``template`` re-drawn from each seed (same as :func:`_reinit`).

    One CPU scratch copy is re-drawn m times inside a single ``torch_seeded`` block (which restores the
    caller's RNG afterwards), re-seeding only the CPU generator per model: ``torch.manual_seed`` and m
    deep copies are each slow enough to dominate training a few hundred tiny models.
    """
    scratch = _copy.deepcopy(template).to("cpu")
    owners = [mod for mod in scratch.modules() if next(mod.parameters(recurse=False), None) is not None]
    for mod in owners:
        if not callable(getattr(mod, "reset_parameters", None)):
            raise ValueError(f"cannot re-initialise a {type(mod).__name__} (it has no reset_parameters); "
                             "pass a factory model(seed) -> nn.Module instead of a template")
    names = [k for k, _ in scratch.named_parameters()]
    out = {k: [] for k in names}
    with _torch_seeded(0):
        for s in seeds:
            torch.default_generator.manual_seed(s)
            for mod in owners:
                mod.reset_parameters()
            for k, v in scratch.named_parameters():
                out[k].append(v.detach().clone())
    dev = _model_device(template)
    return {k: torch.stack(v).to(dev) for k, v in out.items()}


_STATEFUL = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd)


def _check_template(module: nn.Module) -> None:
    bad = [type(m).__name__ for m in module.modules() if isinstance(m, _STATEFUL)]
    if bad:
        raise ValueError(f"fit_many supports models without dropout or batch norm (they need per-model "
                         f"random state or running statistics under vmap); found {sorted(set(bad))}")


class ManyModels:
    """``m`` copies of one architecture with stacked weights: what :func:`fit_many` returns.

    Attributes:
        params: dict name -> float tensor ``(m, *shape)``, the stacked trained parameters (detached).
        buffers: dict name -> tensor ``(m, *shape)`` (models in the course have none).
        masks: bool tensor ``(m, n)``, which training examples each model used (``None`` if not known).
        data_ids: int64 tensor ``(n,)``, the ids of the columns of ``masks``.
        steps: optimisation steps every model took.
        grad_evals: gradient evaluations in all (one per example per step per model).
        grad_evals_per_model: int64 tensor ``(m,)``.
        losses: float32 tensor ``(steps, m)``, each model's mean batch loss at each step.
        seconds: wall-clock training time in seconds.
        init_seeds, order_seeds: the seeds of each model (see :func:`model_seeds`); ``None`` where
            a model continued from earlier weights.
        extra: other passes, by name.

    Introduced in lecture 01.
    """

    def __init__(self, template: nn.Module, params: dict, buffers: dict | None = None, **info):
        self.template = template
        self.params = {k: v.detach() for k, v in params.items()}
        self.buffers = {k: v.detach() for k, v in (buffers or {}).items()}
        sizes = {v.shape[0] for v in self.params.values()}
        if len(sizes) != 1:
            raise ValueError(f"stacked parameters must share their first dimension, got sizes {sorted(sizes)}")
        self.m = sizes.pop()
        self.masks = info.pop("masks", None)
        self.data_ids = info.pop("data_ids", None)
        self.steps = int(info.pop("steps", 0))
        self.grad_evals = int(info.pop("grad_evals", 0))
        self.grad_evals_per_model = info.pop("grad_evals_per_model", torch.zeros(self.m, dtype=torch.int64))
        self.losses = info.pop("losses", torch.empty(0, self.m))
        self.seconds = float(info.pop("seconds", 0.0))
        self.init_seeds = info.pop("init_seeds", None)
        self.order_seeds = info.pop("order_seeds", None)
        self.extra = dict(info.pop("extra", {}))
        if info:
            raise TypeError(f"unknown fields {sorted(info)}")
        self._base = _copy.deepcopy(template).to("meta")

    def __len__(self) -> int:
        return self.m

    def __repr__(self) -> str:
        return (f"ManyModels(m={self.m}, architecture={type(self.template).__name__}, steps={self.steps}, "
                f"grad_evals={self.grad_evals})")

    def _index(self, i) -> int:
        if isinstance(i, bool) or not isinstance(i, _numbers.Integral) or not -self.m <= i < self.m:
            raise IndexError(f"model index must be an integer in [0, {self.m}), got {i!r}")
        return int(i) % self.m

    def model(self, i: int) -> nn.Module:
        """Model ``i`` as an ordinary ``nn.Module`` (a fresh copy, in eval mode).

        Raises:
            IndexError: ``i`` is not an integer in ``[-m, m)``.
        """
        i = self._index(i)
        net = _copy.deepcopy(self.template)
        state = {k: v[i].clone() for k, v in {**self.params, **self.buffers}.items()}
        net.load_state_dict(state)
        return net.eval()

    @torch.no_grad()
    def logits(self, data, batch_size: int = 4096) -> torch.Tensor:
        """Every model's logits on the same inputs: float32 ``(m, n, classes)`` on the CPU.

        Args:
            data: a Dataset or a float ``(n, d)`` tensor.

        Raises:
            TypeError: ``data`` is neither.
        """
        from torch.func import functional_call, vmap

        X = _features(data)
        dev = next(iter(self.params.values())).device

        def one(p, b, x):
            return functional_call(self._base, (p, b), (x,))

        f = vmap(one, in_dims=(0, 0, None))
        outs = [f(self.params, self.buffers, X[s:s + batch_size].to(dev)).cpu() for s in range(0, X.shape[0], batch_size)]
        if not outs:
            return torch.empty(self.m, 0, 0)
        return torch.cat(outs, dim=1)

    def select(self, index) -> "ManyModels":
        """A ManyModels holding only the models ``index`` (an int64 or bool tensor, or a list).

        Raises:
            IndexError: an index is out of range.
        """
        idx = torch.as_tensor(index)
        if idx.dtype == torch.bool:
            if idx.shape != (self.m,):
                raise IndexError(f"a boolean index must have shape ({self.m},), got {tuple(idx.shape)}")
            idx = idx.nonzero().flatten()
        idx = idx.to(torch.int64).reshape(-1)
        if idx.numel() and not bool(((idx >= -self.m) & (idx < self.m)).all()):
            raise IndexError(f"model indices must lie in [-{self.m}, {self.m})")
        idx = idx % max(self.m, 1)
        pick = lambda seq: None if seq is None else [seq[j] for j in idx.tolist()]
        return ManyModels(
            self.template, {k: v[idx] for k, v in self.params.items()}, {k: v[idx] for k, v in self.buffers.items()},
            masks=None if self.masks is None else self.masks[idx], data_ids=self.data_ids, steps=self.steps,
            grad_evals=int(self.grad_evals_per_model[idx].sum()), grad_evals_per_model=self.grad_evals_per_model[idx],
            losses=self.losses[:, idx] if self.losses.numel() else self.losses, seconds=self.seconds,
            init_seeds=pick(self.init_seeds), order_seeds=pick(self.order_seeds), extra=self.extra)


def _check_masks(masks, n: int) -> torch.Tensor:
    if not isinstance(masks, torch.Tensor) or masks.dtype != torch.bool or masks.dim() != 2 or masks.shape[1] != n:
        got = f"{masks.dtype} {tuple(masks.shape)}" if isinstance(masks, torch.Tensor) else type(masks).__name__
        raise TypeError(f"masks must be a bool tensor of shape (m, {n}) (one row per model), got {got}")
    if masks.shape[0] < 1:
        raise ValueError("masks must have at least one row (m >= 1 models)")
    return masks.cpu()


def fit_many(model, data: Dataset, masks: torch.Tensor, config: TrainConfig, seed: int, *, init=None,
             threads: int | None = 1, progress: bool = False) -> ManyModels:
    """Train ``m`` copies of a small model at once, model ``i`` on the examples ``masks[i]`` selects.

    The ``m`` parameter sets are stacked (``torch.func.stack_module_state``) into leaf tensors of
    shape ``(m, *shape)`` that one torch optimiser steps; each step computes every model's gradient
    on its own minibatch with ``vmap(grad(loss))`` over ``functional_call``. SGD (with momentum and
    weight decay) and Adam act elementwise, so the stacked update is each model's own update.

    Per model ``i`` (seeds from :func:`model_seeds`):
        * weights: the template re-initialised from ``derive_seed(seed, "model", i)`` (or see ``init``);
        * data order: :func:`batch_order` over its ``n_i`` examples (in data order), seeded with
          ``derive_seed(seed, "model", i, "order")``; ``config.seed`` is not used;
        * every model takes the same number of steps ``S``: ``config.steps``, or
          ``config.num_steps(max_i n_i)`` when the config counts epochs (so a model with fewer
          examples makes slightly more passes over them);
        * unequal subset sizes: model ``i``'s batch has ``b_i = min(batch_size, n_i)`` examples, as in
          :func:`fit`; batches are padded to the largest ``b_i`` with zero-weight entries, and the loss
          is the mean over the ``b_i`` real ones.
    So model ``i`` follows the recipe of ``fit(model_i, data.where(masks[i]), config.replace(steps=S,
    seed=order_seed))``; the result agrees with that single run to float32 rounding (vmap sums in a
    different order), not bitwise: exactness claims use :func:`fit`.

    Args:
        model: the template ``nn.Module`` (e.g. ``models.mlp(2, 2, 16)``; its own weights are not used
            unless ``init="template"``), or a factory ``seed -> nn.Module``. No dropout or batch norm.
        data: the n training examples; ``loss="mse"`` needs the tag ``"target"``.
        masks: bool tensor ``(m, n)``; row ``i`` selects model ``i``'s training examples.
        config: optimiser, learning rate, momentum, weight decay, batch size, steps or epochs, loss.
        seed: the parent seed of every model's seeds.
        init: ``None`` (fresh weights per model, above), ``"template"`` (all start from the
            template's current weights), or a :class:`ManyModels` with ``m`` models to continue from
            (fine-tuning; its optimiser state is not kept: the optimiser starts fresh).
        threads: torch intra-op threads while training (the caller's setting is restored after);
            one thread is fastest for small models, and several threads on a busy shared CPU can make
            each step ten times slower. ``None`` keeps the caller's setting.
        progress: show a ``tqdm`` progress bar (silent when ``TQDM_DISABLE=1``).

    Returns:
        a :class:`ManyModels` (``grad_evals`` counts ``b_i`` per model per step; padding is not counted).

    Raises:
        TypeError: ``data``, ``config`` or ``masks`` of the wrong type/shape, ``model`` neither a module
            nor a callable.
        ValueError: a mask row is empty while steps > 0; dropout or batch norm in the model; ``init``
            not understood or with the wrong number of models; "mse" without a ``"target"`` tag.

    Introduced in lecture 01 (reused for shadow models, memorization and epsilon estimates).
    """
    _check_fit_args(data, config)
    check_seed(seed)
    masks = _check_masks(masks, len(data))
    m = masks.shape[0]
    if isinstance(model, nn.Module):
        template, factory = model, None
    elif callable(model):
        template, factory = None, model
    else:
        raise TypeError(f"model must be an nn.Module template or a callable seed -> nn.Module, got {type(model).__name__}")

    sizes = masks.sum(dim=1)
    steps = config.steps if config.steps is not None else config.num_steps(int(sizes.max()))
    if steps > 0 and bool((sizes == 0).any()):
        raise ValueError(f"masks row {int((sizes == 0).nonzero()[0])} selects no example; every model needs data")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, _numbers.Integral) or threads < 1):
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    caller_threads = torch.get_num_threads()
    try:
        if threads is not None:
            torch.set_num_threads(int(threads))
        return _fit_many(template, factory, data, masks, config, seed, init, steps, sizes, progress)
    finally:
        torch.set_num_threads(caller_threads)


def _fit_many(template, factory, data, masks, config, seed, init, steps, sizes, progress) -> ManyModels:
    from torch.func import functional_call, grad_and_value, stack_module_state, vmap

    m = masks.shape[0]
    seeds = [model_seeds(seed, i) for i in range(m)]

    # ---- initial weights
    stacked = None
    if init is None:
        init_seeds = [s for s, _ in seeds]
        if factory:
            nets = [factory(s) for s in init_seeds]
        else:
            nets = [template]
            stacked = _reinit_many(template, init_seeds)
    elif isinstance(init, str) and init == "template":
        if template is None:
            raise ValueError("init='template' needs an nn.Module template, not a factory")
        nets = [template] * m
        init_seeds = [None] * m
    elif isinstance(init, ManyModels):
        if len(init) != m:
            raise ValueError(f"init has {len(init)} models but masks has {m} rows")
        nets = None
        init_seeds = list(init.init_seeds) if init.init_seeds is not None else [None] * m
    else:
        raise ValueError(f"init must be None, 'template' or a ManyModels, got {init!r}")
    if nets is not None:
        tmpl = nets[0]
        _check_template(tmpl)
        if stacked is None:
            params, buffers = stack_module_state(nets)
        else:
            params = stacked
            buffers = {k: torch.stack([v] * m) for k, v in tmpl.named_buffers()}
        params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        buffers = {k: v.detach().clone() for k, v in buffers.items()}
    else:
        tmpl = init.template
        params = {k: v.detach().clone().requires_grad_(True) for k, v in init.params.items()}
        buffers = {k: v.detach().clone() for k, v in init.buffers.items()}
    tmpl = _copy.deepcopy(tmpl)
    dev = next(iter(params.values())).device
    base = _copy.deepcopy(tmpl).to("meta")

    # ---- every model's batches, as global row positions (steps, m, B), and loss weights (m, B)
    b = torch.clamp(sizes, max=config.batch_size)
    B = int(b.max()) if m else 0
    weight = torch.zeros(m, B)
    orders = []
    for i in range(m):
        rows = masks[i].nonzero().flatten()
        bi = int(b[i])
        weight[i, :bi] = 1.0 / bi if bi else 0.0
        o = (rows.index_select(0, batch_order(len(rows), config.batch_size, steps, seeds[i][1]).reshape(-1)).view(steps, bi)
             if steps else torch.empty(0, bi, dtype=torch.int64))
        orders.append(o if bi == B else torch.cat([o, torch.zeros(steps, B - bi, dtype=torch.int64)], 1))
    pos = torch.stack(orders, 1).to(torch.int32 if len(data) < 2**31 else torch.int64)   # (steps, m, B)
    del orders
    weight = weight.to(dev)
    X = data.X.to(dev)
    target = data.y.to(dev) if config.loss == "cross_entropy" else data.tags["target"].to(dev, torch.float32)

    def loss_one(p, bu, x, t, w):
        out = functional_call(base, (p, bu), (x,))
        if config.loss == "cross_entropy":
            per = F.cross_entropy(out, t, reduction="none")
        else:
            per = (out.reshape(t.shape) - t) ** 2
        return (per * w).sum()

    step_fn = vmap(grad_and_value(loss_one), in_dims=(0, 0, 0, 0, 0))
    opt = make_optimizer(list(params.values()), config)
    losses = torch.empty(steps, m)
    it = range(steps)
    if progress:
        from .viz import progress
        it = progress(it, desc=f"training {m} models", leave=False)
    start = time.perf_counter()
    for k in it:
        idx = pos[k].reshape(-1).to(dev, torch.int64)
        xb = X.index_select(0, idx).view(m, B, *X.shape[1:])
        tb = target.index_select(0, idx).view(m, B)
        grads, value = step_fn(params, buffers, xb, tb, weight)
        for name, p in params.items():
            p.grad = grads[name]
        opt.step()
        losses[k] = value.detach().cpu()
    seconds = time.perf_counter() - start
    per_model = b.to(torch.int64) * steps
    return ManyModels(tmpl, params, buffers, masks=masks.clone(), data_ids=data.ids.clone(), steps=steps,
                      grad_evals=int(per_model.sum()), grad_evals_per_model=per_model, losses=losses,
                      seconds=seconds, init_seeds=init_seeds, order_seeds=[o for _, o in seeds])
