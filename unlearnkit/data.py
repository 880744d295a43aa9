"""Data sets whose examples keep their ids: what an erasure request names.

A :class:`Dataset` holds features ``X`` (float32, shape ``(n, d)``), labels ``y`` (int64, ``(n,)``)
and unique integer ``ids`` (int64, ``(n,)``). Splits, :meth:`Dataset.subset` and
:meth:`Dataset.without` keep every example's id and tags, so "forget example 1234" means the same
thing before and after sharding, slicing and deleting. Optional ``tags`` attach one value per
example (a licence, a poisoned flag, ...).

Loaders use only data that ships with a package or is generated in code (nothing is downloaded):

=======================  ==========================  =======================================
loader                   purpose                     size
=======================  ==========================  =======================================
:func:`load_digits`      pictures (8x8 images)       1797 examples, 64 features, 10 classes
:func:`load_mnist1d`     accuracy and cost studies   4000 train / 1000 test, 40 features
:func:`make_blobs`       2-D decision boundaries     any n, 2 features
:func:`make_moons`       2-D decision boundaries     any n, 2 features
:func:`make_line`        least squares               any n, 1 feature, float targets
=======================  ==========================  =======================================

Train and test ids never overlap. For :func:`load_digits` and :func:`load_mnist1d` the train ids
are ``0..n_train-1`` and the test ids continue after them; the synthetic sets, split with
``test_fraction``, keep the ids ``0..n-1`` of the full set, so the two sides' ids interleave.
Introduced in lecture 02.
"""
from __future__ import annotations

import functools
import numbers
import random
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np
import torch

from ._common import check_int as _check_int
from ._common import check_number
from ._seeding import check_seed

__all__ = [
    "Dataset",
    "as_ids",
    "train_test_split",
    "stratified_split",
    "load_digits",
    "load_mnist1d",
    "make_blobs",
    "make_moons",
    "make_line",
    "relabel",
    "add_backdoor",
]


def as_ids(ids, name: str = "ids") -> torch.Tensor:
    """Convert ``ids`` (an int, a sequence of ints, a numpy or torch integer array) to a 1-D int64 tensor.

    Args:
        ids: the ids.
        name: the argument's name, used in error messages (e.g. ``"forget_ids"``).

    Returns:
        int64 tensor ``(k,)`` on the CPU (a single int gives shape ``(1,)``), order kept.

    Raises:
        TypeError: an id is not an integer (floats and bools are refused even when whole: an id
            of ``3.0`` usually means an index and an id were mixed up).
        ValueError: ``ids`` has more than one dimension.

    Introduced in lecture 01.
    """
    if isinstance(ids, torch.Tensor):
        if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
            raise TypeError(f"{name} must hold integers, got a tensor of dtype {ids.dtype}")
        t = ids.detach().to("cpu", torch.int64)
    elif isinstance(ids, np.ndarray):
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"{name} must hold integers, got an array of dtype {ids.dtype}")
        t = torch.as_tensor(ids.astype(np.int64))
    elif isinstance(ids, numbers.Integral) and not isinstance(ids, (bool, np.bool_)):
        t = torch.tensor([int(ids)], dtype=torch.int64)
    elif isinstance(ids, (list, tuple, range)):
        if any(isinstance(v, (list, tuple, range, np.ndarray)) or (isinstance(v, torch.Tensor) and v.dim() > 0)
               for v in ids):
            raise ValueError(f"{name} must be one-dimensional, got a nested sequence")
        bad = [v for v in ids if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, torch.Tensor))]
        bad += [v for v in ids if isinstance(v, torch.Tensor)
                and (v.dtype.is_floating_point or v.dtype.is_complex or v.dtype == torch.bool)]
        if bad:
            raise TypeError(f"{name} must hold integers, got {bad[0]!r} ({type(bad[0]).__name__})")
        t = torch.tensor([int(v) for v in ids], dtype=torch.int64)
    else:
        raise TypeError(f"{name} must be an int or a sequence/array of ints, got {type(ids).__name__}")
    if t.dim() == 0:
        t = t.reshape(1)
    if t.dim() != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {tuple(t.shape)}")
    return t


@dataclass(frozen=True, eq=False)
class Dataset:
    """Examples with stable ids.

    Attributes:
        X: float32 tensor ``(n, d)``, the features.
        y: int64 tensor ``(n,)``, the labels in ``0..num_classes-1`` (for regression sets such as
            :func:`make_line`, ``y`` holds class 0 and the float target is the tag ``"target"``).
        ids: int64 tensor ``(n,)``, unique; an example's name for its whole life.
        tags: read-only mapping from a tag name to a tensor of shape ``(n,)`` (any dtype).
        num_classes: the number of classes (default: ``y.max() + 1``).
        name: a short description used in plots and reprs.

    Raises:
        TypeError (at construction): ``X``, ``y`` or ``ids`` is not a tensor of the dtype and
            number of dimensions above.
        ValueError (at construction): mismatched lengths, duplicate ids, a tag whose first
            dimension is not n, ``num_classes`` not a non-negative integer, labels outside
            ``0..num_classes-1``.

    Introduced in lecture 01.
    """

    X: torch.Tensor
    y: torch.Tensor
    ids: torch.Tensor
    tags: Mapping[str, torch.Tensor] = field(default_factory=dict)
    num_classes: int | None = None
    name: str = ""

    def __post_init__(self):
        X, y, ids = self.X, self.y, self.ids
        for arg, t in (("X", X), ("y", y), ("ids", ids)):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"{arg} must be a torch.Tensor, got {type(t).__name__}")
        if X.dtype != torch.float32 or X.dim() != 2:
            raise TypeError(f"X must be a float32 tensor of shape (n, d), got {X.dtype} {tuple(X.shape)}")
        if y.dtype != torch.int64 or y.dim() != 1:
            raise TypeError(f"y must be an int64 tensor of shape (n,), got {y.dtype} {tuple(y.shape)}")
        if ids.dtype != torch.int64 or ids.dim() != 1:
            raise TypeError(f"ids must be an int64 tensor of shape (n,), got {ids.dtype} {tuple(ids.shape)}")
        n = X.shape[0]
        if y.shape[0] != n or ids.shape[0] != n:
            raise ValueError(f"X, y and ids must have the same length, got {n}, {y.shape[0]}, {ids.shape[0]}")
        if torch.unique(ids).numel() != n:
            raise ValueError("ids must be unique")
        tags = dict(self.tags)
        for key, t in tags.items():
            if not isinstance(t, torch.Tensor) or t.dim() < 1 or t.shape[0] != n:
                raise ValueError(f"tag {key!r} must be a tensor with first dimension {n}")
        object.__setattr__(self, "tags", MappingProxyType(tags))
        k = self.num_classes
        if k is None:
            k = int(y.max()) + 1 if n else 0
        else:
            k = _check_int(k, "num_classes", 0)
        object.__setattr__(self, "num_classes", int(k))
        if n and (int(y.min()) < 0 or int(y.max()) >= k):
            raise ValueError(f"labels must lie in 0..{k - 1}, got {int(y.min())}..{int(y.max())}")

    # ----------------------------------------------------------------------------- basics
    def __reduce__(self):
        # The read-only tags view cannot be pickled; rebuild from a plain dict (pickle, deepcopy).
        return (Dataset, (self.X, self.y, self.ids, dict(self.tags), self.num_classes, self.name))

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def __repr__(self) -> str:
        tag = f", tags={sorted(self.tags)}" if self.tags else ""
        nm = f"{self.name!r}, " if self.name else ""
        return f"Dataset({nm}n={len(self)}, d={self.n_features}, classes={self.num_classes}{tag})"

    @property
    def n_features(self) -> int:
        """d, the number of features."""
        return int(self.X.shape[1])

    def _replace(self, index: torch.Tensor, name: str | None = None) -> "Dataset":
        return Dataset(
            X=self.X[index], y=self.y[index], ids=self.ids[index],
            tags={k: v[index] for k, v in self.tags.items()},
            num_classes=self.num_classes, name=self.name if name is None else name,
        )

    def positions(self, ids, name: str = "ids") -> torch.Tensor:
        """Row positions (int64, same order as ``ids``) of the given ids.

        Raises:
            TypeError: an id is not an integer.
            ValueError: an id is repeated or not in this data set.
        """
        ids = as_ids(ids, name)
        if torch.unique(ids).numel() != ids.numel():
            vals, counts = torch.unique(ids, return_counts=True)
            raise ValueError(f"{name} contains duplicates: {vals[counts > 1].tolist()[:10]}")
        order = torch.argsort(self.ids)
        sorted_ids = self.ids[order]
        where = torch.searchsorted(sorted_ids, ids)
        where = where.clamp(max=max(len(self) - 1, 0))
        found = (sorted_ids[where] == ids) if len(self) else torch.zeros_like(ids, dtype=torch.bool)
        if not bool(found.all()):
            missing = ids[~found].tolist()
            raise ValueError(f"{name} not in the data set {self.name or ''}: {missing[:10]}".replace("  ", " "))
        return order[where]

    def contains(self, ids) -> torch.Tensor:
        """Boolean tensor ``(len(ids),)``: which of ``ids`` are in this data set.

        Raises:
            TypeError / ValueError: as :func:`as_ids`.
        """
        return torch.isin(as_ids(ids), self.ids)

    def subset(self, ids) -> "Dataset":
        """The examples with the given ids, in the order given (ids and tags kept).

        Raises:
            TypeError: an id is not an integer.  ValueError: an id is repeated or absent.
        """
        return self._replace(self.positions(ids))

    def without(self, ids) -> "Dataset":
        """All examples except the given ids (order kept; ids and tags kept).

        Raises:
            TypeError: an id is not an integer.  ValueError: an id is repeated or absent.
        """
        pos = self.positions(ids)
        keep = torch.ones(len(self), dtype=torch.bool)
        keep[pos] = False
        return self._replace(keep.nonzero().flatten())

    def where(self, mask: torch.Tensor) -> "Dataset":
        """The examples where the boolean tensor ``mask`` ``(n,)`` is true (order kept; ids and tags kept).

        Raises:
            TypeError: ``mask`` is not a bool tensor of shape ``(n,)``.
        """
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (len(self),):
            raise TypeError(f"mask must be a bool tensor of shape ({len(self)},)")
        return self._replace(mask.nonzero().flatten())

    def with_tags(self, **tags: torch.Tensor) -> "Dataset":
        """A copy with tags added or replaced (each a tensor with first dimension n).

        Raises:
            ValueError: a tag is not a tensor with first dimension n.
        """
        new = dict(self.tags)
        new.update(tags)
        return Dataset(self.X, self.y, self.ids, new, self.num_classes, self.name)

    def with_labels(self, y: torch.Tensor) -> "Dataset":
        """A copy with labels ``y`` (int64 ``(n,)``) in place of the current ones (ids and tags kept).

        Raises:
            TypeError: ``y`` is not an int64 tensor ``(n,)``.  ValueError: a label is outside
            ``0..num_classes-1`` or the length is not n.
        """
        return Dataset(self.X, y, self.ids, dict(self.tags), self.num_classes, self.name)

    def concat(self, other: "Dataset") -> "Dataset":
        """This data set followed by ``other`` (order, ids and tags kept; ``num_classes`` is the larger).

        Raises:
            TypeError: ``other`` is not a Dataset.
            ValueError: the two share an id, or their tag names differ.
        """
        if not isinstance(other, Dataset):
            raise TypeError(f"other must be a Dataset, got {type(other).__name__}")
        if set(self.tags) != set(other.tags):
            raise ValueError(f"other must have the same tags, got {sorted(other.tags)} vs {sorted(self.tags)}")
        return Dataset(
            torch.cat([self.X, other.X]), torch.cat([self.y, other.y]), torch.cat([self.ids, other.ids]),
            {k: torch.cat([v, other.tags[k]]) for k, v in self.tags.items()},
            max(self.num_classes, other.num_classes), self.name,
        )

    def to(self, device) -> "Dataset":
        """A copy with X and y on ``device`` (ids and tags stay on the CPU)."""
        return Dataset(self.X.to(device), self.y.to(device), self.ids, dict(self.tags), self.num_classes, self.name)


# --------------------------------------------------------------------------------- splits
def _check_fraction(fraction, name):
    return check_number(fraction, name, 0, 1, open_min=True, open_max=True, what="a number in (0, 1)")


def _check_nonneg(value, name):
    return check_number(value, name, 0, what="a finite number >= 0")


def stratified_split(labels: torch.Tensor, n_parts: int, seed: int) -> list[torch.Tensor]:
    """Split positions ``0..len(labels)-1`` into ``n_parts`` disjoint groups, stratified by label.

    Each class's positions are shuffled (seeded) and dealt round-robin, continuing the deal from
    one class to the next, so every group gets the same number of each class up to one and group
    sizes differ by at most one.

    Args:
        labels: int64 tensor ``(n,)``.
        n_parts: number of groups, ``1 <= n_parts <= n``.
        seed: seed for the shuffles.

    Returns:
        list of ``n_parts`` int64 tensors of positions, each sorted ascending.

    Raises:
        TypeError: ``labels`` is not an integer tensor (or numpy integer array), or ``n_parts`` not an integer.
        ValueError: ``labels`` is not one-dimensional, or ``n_parts`` is not in ``1..n``.

    Introduced in lecture 02.
    """
    if isinstance(labels, np.ndarray) and np.issubdtype(labels.dtype, np.integer):
        labels = torch.as_tensor(labels.astype(np.int64))
    if not isinstance(labels, torch.Tensor) or labels.dtype.is_floating_point or labels.dtype.is_complex \
            or labels.dtype == torch.bool:
        raise TypeError(f"labels must be an integer tensor, got {getattr(labels, 'dtype', type(labels).__name__)}")
    if labels.dim() != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {tuple(labels.shape)}")
    labels = labels.cpu()
    n = int(labels.shape[0])
    n_parts = _check_int(n_parts, "n_parts", 1, n)  # at most one group per example
    g = torch.Generator().manual_seed(check_seed(seed))
    parts: list[list[torch.Tensor]] = [[] for _ in range(n_parts)]
    offset = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        for j in range(n_parts):
            parts[j].append(pos[(j - offset) % n_parts::n_parts])
        offset = (offset + pos.numel()) % n_parts
    return [torch.sort(torch.cat(p))[0] for p in parts]


def train_test_split(data: Dataset, test_fraction: float = 0.25, seed: int = 0, stratify: bool = True):
    """Split ``data`` into (train, test), keeping ids and tags; stratified by label by default.

    With ``stratify=True`` each class puts ``round(test_fraction * n_class)`` of its examples
    (chosen with ``seed``; Python's ``round``, halves to even) in the test side, so the test size
    can differ from ``round(test_fraction * n)`` by up to half the number of classes. Both sides keep ``data``'s order and ids.

    Returns:
        ``(train, test)``, two Datasets whose ids are disjoint and together are ``data.ids``.

    Raises:
        TypeError: ``data`` is not a Dataset, or ``test_fraction`` not a number.
        ValueError: ``test_fraction`` is not in (0, 1) or leaves one side empty.

    Introduced in lecture 01.
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a Dataset, got {type(data).__name__}")
    test_fraction = _check_fraction(test_fraction, "test_fraction")
    n = len(data)
    n_test = int(round(test_fraction * n))
    if not 0 < n_test < n:
        raise ValueError(f"test_fraction={test_fraction} leaves an empty side for n={n}")
    g = torch.Generator().manual_seed(check_seed(seed))
    if stratify:
        test_pos = []
        for c in torch.unique(data.y).tolist():
            pos = (data.y == c).nonzero().flatten()
            pos = pos[torch.randperm(pos.numel(), generator=g)]
            test_pos.append(pos[: int(round(test_fraction * pos.numel()))])
        test_idx = torch.sort(torch.cat(test_pos))[0]
        if not 0 < test_idx.numel() < n:
            raise ValueError(f"test_fraction={test_fraction} leaves an empty side for n={n} when stratified "
                             f"(each class rounds its own share); use stratify=False")
    else:
        test_idx = torch.sort(torch.randperm(n, generator=g)[:n_test])[0]
    mask = torch.zeros(n, dtype=torch.bool)
    mask[test_idx] = True
    return data.where(~mask), data.where(mask)


# --------------------------------------------------------------------------------- loaders
def _standardise(train_X: np.ndarray, test_X: np.ndarray):
    mean = train_X.mean(axis=0)
    std = train_X.std(axis=0)
    std[std == 0] = 1.0
    return (train_X - mean) / std, (test_X - mean) / std


def _make(X, y, start_id, name, num_classes, tags=None):
    n = len(y)
    # np.array copies: a loader must never hand out memory it caches (see _mnist1d_arrays).
    return Dataset(
        torch.as_tensor(np.array(X, dtype=np.float32)),
        torch.as_tensor(np.array(y, dtype=np.int64)),
        torch.arange(start_id, start_id + n, dtype=torch.int64),
        tags or {}, num_classes, name,
    )


def load_digits(test_fraction: float = 0.25, seed: int = 0, standardise: bool = True):
    """scikit-learn's handwritten digits (8x8 images, shipped with scikit-learn): (train, test).

    Returns:
        ``(train, test)`` Datasets with ``X`` float32 ``(n, 64)`` (standardised per pixel with the
        train mean and std unless ``standardise=False``, then raw values 0..16), ``y`` in 0..9.
        Each has the tag ``"image"``: the raw 8x8 pixels (float32 ``(n, 8, 8)``, values 0..16),
        for plotting. Ids 0..n_train-1 are train, the rest test.

    Introduced in lecture 02.
    """
    from sklearn.datasets import load_digits as _sk_digits

    raw = _sk_digits()
    X, y = raw.data.astype(np.float64), raw.target
    full = _make(X, y, 0, "digits", 10)
    tr, te = train_test_split(full, test_fraction, seed=seed)
    Xtr, Xte = tr.X.double().numpy(), te.X.double().numpy()
    if standardise:
        Xtr, Xte = _standardise(Xtr, Xte)
    train = _make(Xtr, tr.y.numpy(), 0, "digits (train)", 10, {"image": tr.X.reshape(-1, 8, 8)})
    test = _make(Xte, te.y.numpy(), len(train), "digits (test)", 10, {"image": te.X.reshape(-1, 8, 8)})
    return train, test


@functools.lru_cache(maxsize=4)
def _mnist1d_arrays(seed: int, num_samples: int):
    import mnist1d.data as m1d

    args = m1d.get_dataset_args()
    args.seed = seed
    args.num_samples = num_samples
    # make_dataset reseeds Python's and numpy's global RNGs: leave the caller's state as it was.
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        raw = m1d.make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    return raw["x"], raw["y"], raw["x_test"], raw["y_test"]


def load_mnist1d(seed: int = 42, num_samples: int = 5000, standardise: bool = True):
    """MNIST-1D (Greydanus, 2020), generated in code with ``mnist1d.data.make_dataset``: (train, test).

    With the defaults this is the standard set: 4000 train and 1000 test sequences of length 40,
    10 classes. Nothing is downloaded; the global ``random``/``numpy`` RNG states are restored.

    Returns:
        ``(train, test)`` Datasets, ``X`` float32 ``(n, 40)`` (standardised per position with the
        train statistics unless ``standardise=False``), ``y`` int64 in 0..9.

    Introduced in lecture 02.
    """
    seed = check_seed(seed)
    num_samples = _check_int(num_samples, "num_samples", 20)
    x, y, xt, yt = _mnist1d_arrays(seed, int(num_samples))
    if standardise:
        x, xt = _standardise(x, xt)
    train = _make(x, y, 0, "MNIST-1D (train)", 10)
    test = _make(xt, yt, len(train), "MNIST-1D (test)", 10)
    return train, test


def make_blobs(n: int = 200, centers: int = 2, cluster_std: float = 1.0, seed: int = 0, test_fraction: float | None = None):
    """Gaussian blobs in 2-D (scikit-learn's generator, seeded).

    Args:
        n: number of points (>= 1).  centers: number of blobs = classes (>= 1).
        cluster_std: standard deviation of each blob (> 0).  seed: the generator's seed.
        test_fraction: if given, split with :func:`train_test_split` (stratified, same seed).

    Returns:
        a Dataset (``X`` float32 ``(n, 2)``, ``y`` in ``0..centers-1``, ids ``0..n-1``), or
        ``(train, test)`` when ``test_fraction`` is given (ids kept, so they interleave).

    Raises:
        TypeError: an argument of the wrong type (a float count, a string noise).
        ValueError: an argument out of range (named in the message).

    Introduced in lecture 01.
    """
    from sklearn.datasets import make_blobs as _sk_blobs

    n, centers = _check_int(n, "n", 1), _check_int(centers, "centers", 1)
    if _check_nonneg(cluster_std, "cluster_std") == 0:
        raise ValueError(f"cluster_std must be > 0, got {cluster_std!r}")
    X, y = _sk_blobs(n_samples=n, centers=centers, cluster_std=cluster_std, random_state=check_seed(seed) % 2**32)
    data = _make(X, y, 0, "blobs", centers)
    if test_fraction is None:
        return data
    return train_test_split(data, test_fraction, seed)


def make_moons(n: int = 200, noise: float = 0.2, seed: int = 0, test_fraction: float | None = None):
    """Two interleaving half circles in 2-D (scikit-learn's generator, seeded).

    Args:
        n: number of points (>= 2; half on each moon).  noise: standard deviation of the Gaussian
        noise added (>= 0).  seed: the generator's seed.
        test_fraction: if given, split with :func:`train_test_split` (stratified, same seed).

    Returns:
        a Dataset (``X`` float32 ``(n, 2)``, ``y`` in {0, 1}, ids ``0..n-1``), or ``(train, test)``
        when ``test_fraction`` is given (ids kept, so they interleave).

    Raises:
        TypeError: an argument of the wrong type (a float count, a string noise).
        ValueError: an argument out of range (named in the message).

    Introduced in lecture 01.
    """
    from sklearn.datasets import make_moons as _sk_moons

    n, noise = _check_int(n, "n", 2), _check_nonneg(noise, "noise")
    X, y = _sk_moons(n_samples=n, noise=noise, random_state=check_seed(seed) % 2**32)
    data = _make(X, y, 0, "moons", 2)
    if test_fraction is None:
        return data
    return train_test_split(data, test_fraction, seed)


def make_line(n: int = 30, slope: float = 2.0, intercept: float = 1.0, noise: float = 0.5, seed: int = 0):
    """Points near the line ``t = slope * x + intercept`` for least squares.

    Returns:
        a Dataset with ``X`` float32 ``(n, 1)`` (x uniform in [-3, 3]), ``y`` all zeros, and the
        float64 regression target in the tag ``"target"`` ``(n,)``; ``num_classes`` is 1.

    Raises:
        TypeError: ``n`` is not an integer, or ``noise``, ``slope`` or ``intercept`` not a number.
        ValueError: ``n`` < 1, ``noise`` < 0, or ``slope``/``intercept`` not finite.

    Introduced in lecture 03.
    """
    n, noise = _check_int(n, "n", 1), _check_nonneg(noise, "noise")
    for arg, v in (("slope", slope), ("intercept", intercept)):
        check_number(v, arg)
    rng = np.random.default_rng(check_seed(seed))
    x = rng.uniform(-3, 3, size=n)
    t = slope * x + intercept + noise * rng.standard_normal(n)
    return _make(x[:, None], np.zeros(n, dtype=np.int64), 0, "line", 1,
                 {"target": torch.as_tensor(t, dtype=torch.float64)})


# --------------------------------------------------------------------------------- poisoning
def relabel(data: Dataset, ids, labels) -> Dataset:
    """A copy of ``data`` where the examples ``ids`` get ``labels`` (an int or one per id).

    The tag ``"relabelled"`` (bool ``(n,)``) marks them, so the mislabelled points can be found later
    (it accumulates over repeated calls). Ids and order are kept; ``data`` is not changed.

    Raises:
        TypeError: an id or a label is not an integer.
        ValueError: an id is repeated or absent; ``labels`` has neither one value nor one per id;
            a label is outside ``0..num_classes-1``.

    Introduced in lecture 01.
    """
    pos = data.positions(ids)
    new = as_ids(labels, "labels")
    if new.numel() not in (1, pos.numel()):
        raise ValueError(f"labels must be one int or one per id ({pos.numel()}), got {new.numel()}")
    if new.numel() and (int(new.min()) < 0 or int(new.max()) >= data.num_classes):
        raise ValueError(f"labels must lie in 0..{data.num_classes - 1}, got {new.tolist()[:10]}")
    y = data.y.clone()
    y[pos] = new.to(y.device)
    flag = data.tags.get("relabelled", torch.zeros(len(data), dtype=torch.bool)).clone()
    flag[pos] = True
    return data.with_labels(y).with_tags(relabelled=flag)


def add_backdoor(data: Dataset, ids, trigger: torch.Tensor, target: int) -> Dataset:
    """A copy of ``data`` with a backdoor planted on ``ids``: ``X[i] <- X[i] + trigger``, ``y[i] <- target``.

    Args:
        ids: the examples to poison.
        trigger: float tensor ``(d,)``, added to each chosen example (e.g. a bright corner patch),
            in the units of ``data.X`` (standardised units for the loaders' default output).
        target: the class the trigger should cause, in ``0..num_classes-1``.

    The tag ``"poisoned"`` (bool ``(n,)``) marks the planted examples. Other tags (such as the
    digits' ``"image"``) are copied unchanged. ``data`` itself is not changed.

    Raises:
        TypeError: ``trigger`` is not a float tensor, ``target`` or an id is not an integer.
        ValueError: ``trigger`` has the wrong shape, ``target`` is out of range, an id is
            repeated or absent.

    Introduced in lecture 04.
    """
    pos = data.positions(ids)
    if not isinstance(trigger, torch.Tensor) or not trigger.dtype.is_floating_point:
        raise TypeError(f"trigger must be a float tensor of shape ({data.n_features},), got {type(trigger).__name__}")
    if isinstance(target, (bool, np.bool_)) or not isinstance(target, numbers.Integral):
        raise TypeError(f"target must be an integer class, got {type(target).__name__} {target!r}")
    if not 0 <= int(target) < data.num_classes:
        raise ValueError(f"target must lie in 0..{data.num_classes - 1}, got {target}")
    if trigger.shape != (data.n_features,):
        raise ValueError(f"trigger must have shape ({data.n_features},), got {tuple(trigger.shape)}")
    X = data.X.clone()
    X[pos] += trigger.to(X.device, X.dtype)
    y = data.y.clone()
    y[pos] = int(target)
    flag = data.tags.get("poisoned", torch.zeros(len(data), dtype=torch.bool)).clone()
    flag[pos] = True
    tags = dict(data.tags)
    tags["poisoned"] = flag
    return Dataset(X, y, data.ids, tags, data.num_classes, data.name)
