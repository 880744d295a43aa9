"""Small torch networks, each built from a seed: the classifiers of lectures 01-04 and a linear regression.

Every model is a ``torch.nn.Module`` mapping a float32 batch ``(batch, d)`` to logits
``(batch, classes)`` (:func:`linear_regression`: predictions ``(batch, 1)``). The initial weights
depend only on ``seed`` (the caller's global RNG is neither read nor changed), so "the same model
trained without these examples" is well defined.

A size that is not an integer (``2.0``, ``True``) raises ``TypeError``; an integer below 1 raises
``ValueError``.

Introduced in lecture 02.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from .._common import check_int, check_module
from .._seeding import torch_seeded

__all__ = ["logistic_regression", "mlp", "cnn1d", "linear_regression", "count_parameters"]


def _check_dim(value, name):
    return check_int(value, name, 1)


def logistic_regression(d: int, classes: int, seed: int = 0) -> nn.Module:
    """Multinomial logistic regression: one linear layer ``(d -> classes)``, returning logits.

    Input float32 ``(batch, d)``, output ``(batch, classes)``; the weights depend only on ``seed``.

    Raises:
        TypeError: ``d`` or ``classes`` is not an integer.  ValueError: it is below 1.

    Introduced in lecture 01.
    """
    d, classes = _check_dim(d, "d"), _check_dim(classes, "classes")
    with torch_seeded(seed):
        return nn.Linear(d, classes)


def mlp(d: int, classes: int, hidden: tuple[int, ...] | int = (64,), seed: int = 0) -> nn.Module:
    """A multilayer perceptron with ReLU activations: ``d -> hidden... -> classes`` (logits).

    Args:
        d: input features.  classes: outputs (logits).
        hidden: one width or a sequence of widths (``()`` gives logistic regression).
        seed: seeds the initial weights (the global RNG is neither read nor changed).

    Raises:
        TypeError: a width is not an integer, or ``hidden`` is neither an int nor a sequence.
        ValueError: a width is below 1.

    Introduced in lecture 01.
    """
    d, classes = _check_dim(d, "d"), _check_dim(classes, "classes")
    if isinstance(hidden, numbers.Integral):
        hidden = (hidden,)
    elif isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
        raise TypeError(f"hidden must be a positive integer or a sequence of them, got {hidden!r}")
    hidden = tuple(hidden)
    widths = [d] + [_check_dim(h, "hidden") for h in hidden]
    layers: list[nn.Module] = []
    with torch_seeded(seed):
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(widths[-1], classes))
        return nn.Sequential(*layers)


class _CNN1d(nn.Module):
    def __init__(self, length: int, classes: int, channels: int):
        super().__init__()
        self.length = length
        self.conv = nn.Sequential(
            nn.Conv1d(1, channels, 5, padding=2), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=1, stride=2), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=1, stride=2), nn.ReLU(),
        )
        out_len = (((length + 1) // 2) + 1) // 2
        self.head = nn.Linear(channels * out_len, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x.unsqueeze(1))
        return self.head(h.flatten(1))


def cnn1d(length: int, classes: int, channels: int = 16, seed: int = 0) -> nn.Module:
    """A small 1-D convolutional network for sequences such as MNIST-1D.

    Input ``(batch, length)`` float32, output logits ``(batch, classes)``.

    Raises:
        TypeError: a size is not an integer.  ValueError: a size is below 1.

    Introduced in lecture 02.
    """
    length, classes, channels = (_check_dim(length, "length"), _check_dim(classes, "classes"),
                                 _check_dim(channels, "channels"))
    with torch_seeded(seed):
        return _CNN1d(length, classes, channels)


def linear_regression(d: int, seed: int = 0) -> nn.Module:
    """A linear model with bias, ``nn.Linear(d, 1)``, built from a seed (for squared loss).

    Raises:
        TypeError: ``d`` is not an integer.  ValueError: ``d`` < 1.
    Introduced in lecture 03.
    """
    d = _check_dim(d, "d")
    with torch_seeded(seed):
        return nn.Linear(d, 1)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model`` (parameters with ``requires_grad``; buffers excluded).

    Raises:
        TypeError: ``model`` is not a ``torch.nn.Module``.

    Introduced in lecture 02.
    """
    check_module(model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
