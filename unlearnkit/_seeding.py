"""Seeds, generators and devices: the one rule every random thing in unlearnkit follows.

Every function that draws randomness takes an integer seed (or a ``torch.Generator``) and never
reads a global random number generator. **A seed means one thing everywhere:**

* An argument called ``seed`` is the *root* of every random draw the call makes. A call that makes
  one kind of draw uses it directly (``models.mlp(..., seed=s)`` draws the initial weights from
  ``s``; :func:`unlearnkit.training.fit` draws the data order from ``config.seed``); a call that
  makes several derives one child per purpose with :func:`derive_seed`, e.g.
  ``derive_seed(seed, "retain")`` for the order over the retain set in
  :func:`unlearnkit.approximate.finetune` or ``derive_seed(seed, "shard", 3, "stage", 2)`` in SISA.
* ``TrainConfig.seed`` is the seed of the one draw :func:`~unlearnkit.training.fit` makes (the data
  order). A function that takes a ``TrainConfig`` *and* a root ``seed`` (the approximate methods,
  :func:`~unlearnkit.batched.fit_many`, SISA, :func:`~unlearnkit.metrics.compare_methods`) trains
  with ``config.replace(seed=derive_seed(seed, purpose))``: the config's own seed is not used, and
  the docstring says which child goes where.
* A seed that feeds a single purpose of a call that has other randomness is named after that
  purpose: ``init_seed`` (the initial weights, e.g. :func:`unlearnkit.exact.retrain`) and
  ``order_seed`` (a data order, e.g. :func:`unlearnkit.batched.model_seeds`).
* An unlearning method of :mod:`unlearnkit.protocol` keeps every seed in its config: ``config.seed``
  is the root, as above.

:func:`derive_seed` gives each child a stable seed:

    derive_seed(seed, "shard", 3, "stage", 2)

hashes the parent seed and the keys with SHA-256 and keeps 63 bits, so children are independent of
each other, of the order in which they are asked for, and of the platform.

Introduced in lecture 02 (SISA derives one seed per shard and stage).
"""
from __future__ import annotations

import contextlib
import hashlib
import numbers
import os

import numpy as np
import torch

__all__ = ["derive_seed", "check_seed", "cpu_generator", "torch_seeded", "device"]


def check_seed(seed, name: str = "seed") -> int:
    """Return ``seed`` as a Python int after checking it.

    Raises:
        TypeError: ``seed`` is not an integer (a bool or float is refused, too).
        ValueError: ``seed`` is negative or does not fit in 63 bits.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**63:
        raise ValueError(f"{name} must be in [0, 2**63), got {seed}")
    return seed


def derive_seed(seed: int, *keys) -> int:
    """Derive a child seed from ``seed`` and any number of keys (ints or strings).

    Keys are normalised before hashing: any integer (Python, numpy or a 0-d integer torch tensor)
    counts as the Python int of the same value, so ``derive_seed(s, "model", np.int64(3))`` equals
    ``derive_seed(s, "model", 3)``. The key ``3`` and the key ``"3"`` give different children.

    Args:
        seed: the parent seed, a non-negative int.
        *keys: what the child is for, e.g. ``"shard", 3, "stage", 2`` (ints and strings only).

    Returns:
        int in ``[0, 2**63)``; the same arguments always give the same child, on every platform.

    Raises:
        TypeError: ``seed`` is not an integer (see :func:`check_seed`), or a key is neither an
            integer nor a string (a bool or float key is refused: ``1.0`` and ``True`` are ambiguous).
        ValueError: ``seed`` is negative or does not fit in 63 bits.

    Introduced in lecture 01.
    """
    seed = check_seed(seed)
    norm = []
    for key in keys:
        if isinstance(key, torch.Tensor) and key.numel() == 1 and key.dim() == 0 \
                and not key.dtype.is_floating_point and not key.dtype.is_complex and key.dtype != torch.bool:
            key = int(key)
        if isinstance(key, str):
            norm.append(str(key))
        elif isinstance(key, numbers.Integral) and not isinstance(key, (bool, np.bool_)):
            norm.append(int(key))
        else:
            raise TypeError(f"keys must be integers or strings, got {type(key).__name__} {key!r}")
    text = repr((seed,) + tuple(norm)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1


def cpu_generator(seed: int) -> torch.Generator:
    """A fresh CPU ``torch.Generator`` seeded with ``seed`` (data order is always drawn on the CPU).

    Raises:
        TypeError / ValueError: as :func:`check_seed`.
    """
    g = torch.Generator(device="cpu")
    g.manual_seed(check_seed(seed))
    return g


@contextlib.contextmanager
def torch_seeded(seed: int):
    """Run a block with torch's global CPU RNG seeded, restoring the caller's RNG state afterwards.

    ``torch.nn`` layers initialise their weights from the global generator; this lets a model be
    built from a seed without disturbing (or depending on) anyone else's random state. CUDA
    generators are not touched (models are built on the CPU).

    Raises:
        TypeError / ValueError: as :func:`check_seed` (before anything is changed).
    """
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def device(prefer: str | None = None) -> torch.device:
    """Choose the device the course computes on.

    The CPU is the default, so that every number in the course is reproducible on a laptop. CUDA is
    used only when it is present *and* allowed, by ``prefer="cuda"`` or the environment variable
    ``UNLEARNKIT_DEVICE=cuda``.

    Args:
        prefer: ``"cpu"``, ``"cuda"`` or None (read ``UNLEARNKIT_DEVICE``, default ``"cpu"``).

    Returns:
        ``torch.device("cuda")`` if allowed and available, else ``torch.device("cpu")``.

    Raises:
        TypeError: ``prefer`` is neither a string nor None.
        ValueError: ``prefer`` (or the environment variable) is neither "cpu" nor "cuda".

    Introduced in lecture 01.
    """
    if prefer is not None and not isinstance(prefer, str):
        raise TypeError(f"prefer must be 'cpu', 'cuda' or None, got {type(prefer).__name__} {prefer!r}")
    choice = (prefer if prefer is not None else os.environ.get("UNLEARNKIT_DEVICE", "cpu")).strip().lower()
    if choice not in ("cpu", "cuda"):
        raise ValueError(f"prefer (or UNLEARNKIT_DEVICE) must be 'cpu' or 'cuda', got {choice!r}")
    if choice == "cuda" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")
