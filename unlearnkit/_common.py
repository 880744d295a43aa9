"""Internal helpers every module shares: argument checks, the loss dispatch, the model's device.

Nothing here is public API; modules import these names from here (and from nowhere else's private
names), so each rule is written once:

* **Argument checks**, one exception type per kind of bad input across the library:
  ``TypeError`` when an argument has the wrong type (a float or bool where an integer is expected,
  a string where a number is, a list where a Dataset is), ``ValueError`` when it has the right type
  and a wrong value (a negative size, a NaN, an empty forget set, overlapping sets). Every message
  names the argument and says what was expected. Checks run before anything changes.
* **The loss dispatch** (:func:`loss`, :func:`targets`, :func:`batch_loss`): ``"cross_entropy"`` on
  the labels ``y`` or ``"mse"`` on the float tag ``"target"``, the two losses of
  :class:`~unlearnkit.training.TrainConfig`, written once for :func:`~unlearnkit.training.fit`,
  :func:`~unlearnkit.batched.fit_many`, the approximate methods and the training records.
* **The model's device** (:func:`model_device`): where a model's parameters are (the CPU for a
  model without parameters); data is moved there batch by batch.
* **Flat parameter vectors** (:func:`param_vector`, :func:`set_param_vector`) and **id positions
  with repeats** (:func:`id_positions`), shared by the training records and forging.

Seeds are checked by :func:`unlearnkit._seeding.check_seed` (re-exported here), which follows the
same rule (TypeError for a non-integer, ValueError for a negative or too large one).
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parameters_to_vector

from ._seeding import check_seed

__all__ = [
    "LOSSES",
    "check_seed",
    "check_int",
    "check_number",
    "check_instance",
    "check_dataset",
    "check_train_config",
    "check_fit_args",
    "check_module",
    "check_forget_retain",
    "model_device",
    "features",
    "loss",
    "targets",
    "batch_loss",
    "param_vector",
    "set_param_vector",
    "id_positions",
]

#: The losses a :class:`~unlearnkit.training.TrainConfig` can name.
LOSSES = ("cross_entropy", "mse")


# ----------------------------------------------------------------------------- argument checks
def check_int(value, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as a Python int after checking it is an integer in ``[minimum, maximum]``.

    The one integer-argument check of the library (sizes, counts, widths, indices). numpy integers
    are accepted; bools and floats are not (``5.0`` is refused: a count is not a measurement).

    Raises:
        TypeError: ``value`` is not an integer (a bool, a float such as 2.0, a string, None).
        ValueError: ``value`` is below ``minimum`` or above ``maximum``; the message names ``name``.
    """
    want = f"an integer >= {minimum}" if maximum is None else f"an integer in [{minimum}, {maximum}]"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {want}, got {type(value).__name__} {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return int(value)


def check_number(value, name: str, minimum: float | None = None, maximum: float | None = None, *,
                 open_min: bool = False, open_max: bool = False, what: str | None = None) -> float:
    """Return ``value`` as a finite Python float after checking its type and range.

    Args:
        value: the argument.  name: its name, for the message.
        minimum, maximum: bounds (None: unbounded); ``open_min``/``open_max`` exclude the bound.
        what: how the message describes a valid value (default: built from the bounds).

    Raises:
        TypeError: ``value`` is not a real number (a bool, a string, None, a tensor).
        ValueError: ``value`` is NaN or infinite, or out of range.
    """
    if what is None:
        lo = "" if minimum is None else f"{'>' if open_min else '>='} {minimum}"
        hi = "" if maximum is None else f"{'<' if open_max else '<='} {maximum}"
        what = "a finite number" + (f" {lo}" if lo else "") + (" and" if lo and hi else "") + (f" {hi}" if hi else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    v = float(value)
    bad = not math.isfinite(v)
    if minimum is not None:
        bad = bad or (v <= minimum if open_min else v < minimum)
    if maximum is not None:
        bad = bad or (v >= maximum if open_max else v > maximum)
    if bad:
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return v


def check_instance(value, cls, name: str, what: str | None = None):
    """Return ``value`` after checking ``isinstance(value, cls)``.

    Raises:
        TypeError: naming ``name``, what was expected (``what``, default the class name) and what came.
    """
    if not isinstance(value, cls):
        if what is None:
            what = " or ".join(c.__name__ for c in cls) if isinstance(cls, tuple) else f"a {cls.__name__}"
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def check_dataset(data, name: str = "data"):
    """Return ``data`` after checking it is a :class:`~unlearnkit.data.Dataset` (TypeError if not)."""
    from .data import Dataset

    return check_instance(data, Dataset, name, "an unlearnkit Dataset")


def check_train_config(config, name: str = "config"):
    """Return ``config`` after checking it is a :class:`~unlearnkit.training.TrainConfig` (TypeError if not)."""
    from .training import TrainConfig

    return check_instance(config, TrainConfig, name, "a TrainConfig")


def check_fit_args(data, config) -> None:
    """The checks of a training run on ``data`` with ``config`` (``fit``, ``fit_many``, the records).

    Raises:
        TypeError: ``data`` is not a Dataset or ``config`` not a TrainConfig.
        ValueError: ``config.loss == "mse"`` and ``data`` has no float tag ``"target"``.
    """
    check_dataset(data)
    check_train_config(config)
    if config.loss == "mse" and "target" not in data.tags:
        raise ValueError("loss='mse' needs the float tag 'target' on data")


def check_module(model, name: str = "model", what: str = "a torch.nn.Module"):
    """Return ``model`` after checking it is a ``torch.nn.Module`` (TypeError if not)."""
    return check_instance(model, nn.Module, name, what)


def check_forget_retain(forget, retain, *, need_forget: bool = True, need_retain: bool = True) -> None:
    """The checks every unlearning method makes of its forget set S and retain set R.

    Raises:
        TypeError: ``forget`` or ``retain`` is not a Dataset.
        ValueError: S is empty (when ``need_forget``), R is empty (when ``need_retain``), the two have
            different numbers of features, or they share an id.
    """
    check_dataset(forget, "forget")
    check_dataset(retain, "retain")
    if need_forget and len(forget) == 0:
        raise ValueError("forget is empty: there is nothing to unlearn")
    if need_retain and len(retain) == 0:
        raise ValueError("retain is empty: this method needs retain examples")
    if forget.n_features != retain.n_features:
        raise ValueError(f"forget and retain must have the same number of features, got "
                         f"{forget.n_features} and {retain.n_features}")
    if len(forget) and len(retain) and bool(torch.isin(forget.ids, retain.ids).any()):
        both = forget.ids[torch.isin(forget.ids, retain.ids)].tolist()[:10]
        raise ValueError(f"forget and retain must be disjoint; ids in both: {both}")


# ----------------------------------------------------------------------------- device
def model_device(model: nn.Module) -> torch.device:
    """The device of ``model``'s first parameter (the CPU for a model without parameters)."""
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def features(data) -> torch.Tensor:
    """The inputs of a Dataset, or a float ``(n, d)`` tensor as given (cast to float32).

    Raises:
        TypeError: ``data`` is neither.
    """
    from .data import Dataset

    if isinstance(data, Dataset):
        return data.X
    if isinstance(data, torch.Tensor) and data.dim() == 2:
        return data.float()
    raise TypeError(f"data must be a Dataset or a (n, d) tensor, got {type(data).__name__}")


# ----------------------------------------------------------------------------- the loss dispatch
def loss(out: torch.Tensor, target: torch.Tensor, kind: str, reduction: str = "mean") -> torch.Tensor:
    """The training loss of model outputs ``out`` against ``target`` (nats for cross-entropy).

    Args:
        out: logits ``(b, classes)`` for ``"cross_entropy"``; predictions ``(b,)`` or ``(b, 1)`` for ``"mse"``.
        target: int64 labels ``(b,)`` or float targets ``(b,)`` (see :func:`targets`).
        kind: ``"cross_entropy"`` or ``"mse"``.
        reduction: ``"mean"`` over the batch, or ``"none"`` for one loss per example.

    Returns:
        a scalar tensor (``"mean"``) or ``(b,)`` (``"none"``), differentiable.
    """
    if kind == "cross_entropy":
        return F.cross_entropy(out, target, reduction=reduction)
    if reduction == "none":
        return (out.reshape(target.shape) - target) ** 2
    return F.mse_loss(out.reshape(target.shape), target)


def targets(data, pos: torch.Tensor, kind: str, device, dtype=torch.float32) -> torch.Tensor:
    """The targets of the rows ``pos`` of ``data`` for loss ``kind``, on ``device``.

    ``"cross_entropy"``: the labels ``data.y[pos]`` (int64); ``"mse"``: the float tag
    ``data.tags["target"][pos]`` cast to ``dtype`` (the outputs' dtype).
    """
    if kind == "cross_entropy":
        return data.y[pos].to(device)
    return data.tags["target"][pos].to(device, dtype)


def batch_loss(model: nn.Module, data, pos: torch.Tensor, kind: str, device) -> torch.Tensor:
    """Mean loss of ``model`` on the rows ``pos`` of ``data``: the loss one step of ``fit`` minimises."""
    out = model(data.X[pos].to(device))
    return loss(out, targets(data, pos, kind, device, out.dtype), kind)


# ----------------------------------------------------------------------------- parameters as one vector
def param_vector(model: nn.Module) -> torch.Tensor:
    """``model``'s parameters flattened in ``model.parameters()`` order: a detached CPU copy ``(P,)``."""
    return parameters_to_vector([p.detach() for p in model.parameters()]).to("cpu").clone()


def set_param_vector(model: nn.Module, vec: torch.Tensor) -> None:
    """Copy ``vec`` ``(P,)`` into ``model``'s parameters, in place (the tensors are kept, not replaced)."""
    i = 0
    with torch.no_grad():
        for p in model.parameters():
            k = p.numel()
            p.copy_(vec[i:i + k].view_as(p))
            i += k


# ----------------------------------------------------------------------------- ids
def id_positions(data, ids, name: str = "ids") -> torch.Tensor:
    """Row positions of ``ids`` in ``data``, in the given order; an id may repeat.

    (A batch that straddles two epochs can hold the same example twice, as in
    :func:`~unlearnkit.training.batch_order`.)

    Raises:
        TypeError: an id is not an integer.  ValueError: an id is not in ``data``.
    """
    from .data import as_ids

    ids = as_ids(ids, name)
    u, inv = torch.unique(ids, return_inverse=True)
    return data.positions(u, name)[inv]
