"""Unit tests for unlearnkit.data: the Dataset contract (docs/COURSE.md section 2), splits, loaders, poisoning."""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
import torch

from unlearnkit import data as D
from unlearnkit.data import Dataset, as_ids, stratified_split, train_test_split


def toy(n=12, d=3, classes=3, start=100, tags=True):
    """A small data set whose ids are not positions (start..), with two tags."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, d, generator=g)
    y = torch.arange(n) % classes
    ids = torch.arange(start, start + n) * 7  # ids 700, 707, ...: never equal to positions
    t = {"licence": torch.arange(n) % 2 == 0, "weight": torch.linspace(0, 1, n, dtype=torch.float64)} if tags else {}
    return Dataset(X, y, ids, t, classes, "toy")


def same(a: Dataset, b: Dataset):
    """Two data sets hold the same examples, ids, tags and order."""
    assert torch.equal(a.X, b.X) and torch.equal(a.y, b.y) and torch.equal(a.ids, b.ids)
    assert set(a.tags) == set(b.tags)
    for k in a.tags:
        assert torch.equal(a.tags[k], b.tags[k]), k
    assert a.num_classes == b.num_classes


def rows_of(ds: Dataset, ids):
    """Reference lookup by a Python dict: the rows of ``ids`` in ``ds``."""
    where = {int(i): p for p, i in enumerate(ds.ids.tolist())}
    return torch.tensor([where[int(i)] for i in ids], dtype=torch.int64)


# ============================================================================ construction
def test_dataset_holds_its_fields_and_basic_properties():
    ds = toy()
    assert len(ds) == 12 and ds.n_features == 3 and ds.num_classes == 3 and ds.name == "toy"
    assert "toy" in repr(ds) and "n=12" in repr(ds) and "licence" in repr(ds)
    auto = Dataset(torch.zeros(4, 2), torch.tensor([0, 4, 1, 2]), torch.arange(4))
    assert auto.num_classes == 5 and dict(auto.tags) == {}
    empty = Dataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.int64))
    assert len(empty) == 0 and empty.num_classes == 0


def test_dataset_is_frozen_and_its_tags_are_read_only():
    ds = toy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.X = torch.zeros(12, 3)
    with pytest.raises(TypeError):
        ds.tags["new"] = torch.zeros(12)
    # the caller's dict is copied, so changing it later does not change the data set
    tags = {"a": torch.zeros(3)}
    ds2 = Dataset(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), torch.arange(3), tags)
    tags["b"] = torch.ones(3)
    assert set(ds2.tags) == {"a"}


@pytest.mark.parametrize("field,value,err", [
    ("X", torch.zeros(4, 2, dtype=torch.float64), TypeError),
    ("X", torch.zeros(4), TypeError),
    ("X", np.zeros((4, 2), dtype=np.float32), TypeError),
    ("y", torch.zeros(4), TypeError),
    ("y", torch.zeros(4, 1, dtype=torch.int64), TypeError),
    ("y", torch.zeros(4, dtype=torch.int32), TypeError),
    ("ids", torch.arange(4).double(), TypeError),
    ("ids", torch.tensor([True, False, True, False]), TypeError),
    ("ids", torch.arange(4).reshape(2, 2), TypeError),
    ("ids", [0, 1, 2, 3], TypeError),
])
def test_dataset_checks_dtypes_and_shapes_and_names_the_field(field, value, err):
    kw = dict(X=torch.zeros(4, 2), y=torch.zeros(4, dtype=torch.int64), ids=torch.arange(4))
    kw[field] = value
    with pytest.raises(err, match=rf"\b{field}\b"):
        Dataset(**kw)


def test_dataset_refuses_mismatched_lengths_duplicates_bad_labels_and_bad_tags():
    X, y, ids = torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]), torch.arange(4)
    with pytest.raises(ValueError, match="same length"):
        Dataset(X, y[:3], ids)
    with pytest.raises(ValueError, match="same length"):
        Dataset(X, y, torch.arange(5))
    with pytest.raises(ValueError, match="unique"):
        Dataset(X, y, torch.tensor([0, 1, 1, 3]))
    with pytest.raises(ValueError, match="labels"):
        Dataset(X, torch.tensor([0, 1, -1, 1]), ids)
    with pytest.raises(ValueError, match="labels"):
        Dataset(X, y, ids, num_classes=1)
    with pytest.raises(ValueError, match="'lic'"):
        Dataset(X, y, ids, {"lic": torch.zeros(3)})
    with pytest.raises(ValueError, match="'lic'"):
        Dataset(X, y, ids, {"lic": [0, 0, 0, 0]})
    for k, kind in ((-1, ValueError), (2.0, TypeError), (True, TypeError), ("2", TypeError)):
        with pytest.raises(kind, match="num_classes"):
            Dataset(X, y, ids, num_classes=k)


# ============================================================================ as_ids
@pytest.mark.parametrize("ids,expected", [
    (5, [5]),
    (np.int64(5), [5]),
    ([3, 1, 2], [3, 1, 2]),
    ((3, 1), [3, 1]),
    (range(2, 5), [2, 3, 4]),
    ([], []),
    (np.array([4, 2], dtype=np.int32), [4, 2]),
    (np.array(7), [7]),
    (torch.tensor([9, 8], dtype=torch.int16), [9, 8]),
    (torch.tensor(6), [6]),
    ([torch.tensor(1), np.int64(2), 3], [1, 2, 3]),
])
def test_as_ids_accepts_integers_of_every_kind(ids, expected):
    out = as_ids(ids)
    assert out.dtype == torch.int64 and out.dim() == 1 and out.tolist() == expected


@pytest.mark.parametrize("ids", [
    3.0, [1, 2.0], [1.5], (True, 2), True, np.bool_(False), [np.float64(1.0)], np.array([1.0, 2.0]),
    np.array([True]), torch.tensor([1.0]), torch.tensor([True, False]), [torch.tensor(1.0)],
    [torch.tensor(True)], "12", None, {1, 2},
])
def test_as_ids_refuses_floats_bools_and_other_types_naming_the_argument(ids):
    with pytest.raises(TypeError, match="forget_ids"):
        as_ids(ids, "forget_ids")


@pytest.mark.parametrize("ids", [torch.arange(6).reshape(2, 3), np.zeros((2, 2), dtype=np.int64), [[1, 2], [3, 4]],
                                 [np.array([1, 2])]])
def test_as_ids_refuses_more_than_one_dimension(ids):
    with pytest.raises(ValueError, match="forget_ids.*one-dimensional"):
        as_ids(ids, "forget_ids")


# ============================================================================ methods
def test_positions_returns_rows_in_the_order_asked():
    ds = toy()
    ask = [ds.ids[5].item(), ds.ids[0].item(), ds.ids[11].item()]
    assert ds.positions(ask).tolist() == [5, 0, 11]
    assert ds.positions(ds.ids.flip(0)).tolist() == list(range(11, -1, -1))
    assert ds.positions([]).numel() == 0


def test_positions_refuses_missing_duplicate_and_float_ids_naming_the_argument():
    ds = toy()
    with pytest.raises(ValueError, match="forget.*not in the data set.*\\b3\\b"):
        ds.positions([ds.ids[0].item(), 3], name="forget")
    with pytest.raises(ValueError, match="forget.*duplicates"):
        ds.positions([ds.ids[0].item()] * 2, name="forget")
    with pytest.raises(TypeError, match="forget"):
        ds.positions([700.0], name="forget")
    empty = ds.where(torch.zeros(12, dtype=torch.bool))
    with pytest.raises(ValueError, match="not in the data set"):
        empty.positions([700])


def test_contains():
    ds = toy()
    assert ds.contains([700, 3, 707, 10**9]).tolist() == [True, False, True, False]
    assert ds.contains(707).tolist() == [True]
    with pytest.raises(TypeError):
        ds.contains([700.0])


def test_subset_keeps_ids_tags_and_the_order_given():
    ds = toy()
    ask = ds.ids[[7, 2, 9]]
    sub = ds.subset(ask)
    assert torch.equal(sub.ids, ask)
    rows = torch.tensor([7, 2, 9])
    assert torch.equal(sub.X, ds.X[rows]) and torch.equal(sub.y, ds.y[rows])
    for k in ds.tags:
        assert torch.equal(sub.tags[k], ds.tags[k][rows])
    assert sub.num_classes == ds.num_classes and sub.name == ds.name
    assert len(ds.subset([])) == 0


def test_without_keeps_the_remaining_order_ids_and_tags():
    ds = toy()
    drop = ds.ids[[9, 1, 4]]
    rest = ds.without(drop)
    keep = [i for i in range(12) if i not in (9, 1, 4)]
    assert rest.ids.tolist() == ds.ids[keep].tolist()
    assert torch.equal(rest.X, ds.X[keep])
    for k in ds.tags:
        assert torch.equal(rest.tags[k], ds.tags[k][keep])
    same(ds.without([]), ds)


@pytest.mark.parametrize("method", ["subset", "without"])
def test_subset_and_without_refuse_bad_ids(method):
    ds = toy()
    f = getattr(ds, method)
    with pytest.raises(ValueError, match="not in the data set"):
        f([700, 5])
    with pytest.raises(ValueError, match="duplicates"):
        f([700, 700])
    with pytest.raises(TypeError, match="ids"):
        f([700.0])
    with pytest.raises(TypeError, match="ids"):
        f(torch.tensor([True] * 12))
    with pytest.raises(ValueError, match="one-dimensional"):
        f(ds.ids[:4].reshape(2, 2))


def test_without_then_subset_round_trips():
    ds = toy()
    g = torch.Generator().manual_seed(3)
    for k in (1, 4, 11):
        forget = ds.ids[torch.randperm(12, generator=g)[:k]]
        retain = ds.without(forget)
        assert len(retain) == 12 - k
        assert not bool(retain.contains(forget).any())
        same(ds.subset(retain.ids), retain)
        back = retain.concat(ds.subset(forget)).subset(ds.ids)
        same(back, ds)


def test_where_keeps_order_and_checks_the_mask():
    ds = toy()
    mask = ds.tags["licence"]
    sub = ds.where(mask)
    assert sub.ids.tolist() == ds.ids[mask].tolist()
    assert bool(sub.tags["licence"].all())
    assert torch.equal(sub.tags["weight"], ds.tags["weight"][mask])
    for bad in (mask.long(), mask[:5], mask.tolist(), mask.reshape(3, 4)):
        with pytest.raises(TypeError, match="mask"):
            ds.where(bad)


def test_with_tags_and_with_labels_return_copies():
    ds = toy()
    tagged = ds.with_tags(poisoned=torch.ones(12, dtype=torch.bool), licence=torch.zeros(12, dtype=torch.bool))
    assert set(tagged.tags) == {"licence", "weight", "poisoned"}
    assert not bool(tagged.tags["licence"].any()) and bool(ds.tags["licence"].any())
    assert "poisoned" not in ds.tags and torch.equal(tagged.ids, ds.ids)
    with pytest.raises(ValueError, match="'bad'"):
        ds.with_tags(bad=torch.zeros(5))
    y = (ds.y + 1) % 3
    relab = ds.with_labels(y)
    assert torch.equal(relab.y, y) and torch.equal(relab.ids, ds.ids) and torch.equal(relab.X, ds.X)
    assert not torch.equal(ds.y, y)
    with pytest.raises(ValueError, match="labels"):
        ds.with_labels(ds.y + 3)
    with pytest.raises(TypeError, match="y"):
        ds.with_labels(ds.y.float())


def test_concat_keeps_order_ids_and_tags_and_refuses_clashes():
    ds = toy()
    a, b = ds.subset(ds.ids[:5]), ds.subset(ds.ids[5:])
    same(a.concat(b), ds)
    ba = b.concat(a)
    assert ba.ids.tolist() == ds.ids[5:].tolist() + ds.ids[:5].tolist()
    with pytest.raises(ValueError, match="unique"):
        a.concat(a)
    with pytest.raises(ValueError, match="tags"):
        a.concat(b.with_tags(extra=torch.zeros(len(b))))
    with pytest.raises(TypeError, match="other"):
        a.concat((b.X, b.y))
    wide = Dataset(torch.zeros(2, 3), torch.tensor([0, 4]), torch.tensor([1, 2]), {k: v[:2] for k, v in ds.tags.items()})
    assert a.concat(wide).num_classes == 5


def test_to_moves_features_and_labels():
    ds = toy()
    moved = ds.to("cpu")
    same(moved, ds)
    assert moved.X.device.type == "cpu" and moved.ids.device.type == "cpu"


# ============================================================================ stratified_split
def _check_partition(labels, parts, n_parts):
    n = labels.numel()
    assert len(parts) == n_parts
    allpos = torch.cat(parts)
    assert sorted(allpos.tolist()) == list(range(n)), "parts must be disjoint and cover everything"
    for p in parts:
        assert p.dtype == torch.int64 and torch.equal(p, torch.sort(p)[0])
    sizes = [p.numel() for p in parts]
    assert max(sizes) - min(sizes) <= 1
    for c in torch.unique(labels).tolist():
        counts = [int((labels[p] == c).sum()) for p in parts]
        assert max(counts) - min(counts) <= 1, f"class {c}: {counts}"


@pytest.mark.parametrize("n,classes,n_parts", [(100, 10, 7), (37, 3, 5), (50, 4, 1), (23, 5, 23), (60, 2, 8)])
def test_stratified_split_gives_disjoint_balanced_parts(n, classes, n_parts):
    rng = np.random.default_rng(n + n_parts)
    labels = torch.as_tensor(rng.integers(0, classes, size=n))  # unbalanced classes
    _check_partition(labels, stratified_split(labels, n_parts, seed=1), n_parts)


def test_stratified_split_is_seeded():
    labels = torch.arange(90) % 4
    a = stratified_split(labels, 6, seed=0)
    b = stratified_split(labels, 6, seed=0)
    c = stratified_split(labels, 6, seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert any(not torch.equal(x, y) for x, y in zip(a, c))
    state = torch.get_rng_state()
    stratified_split(labels, 6, seed=2)
    assert torch.equal(torch.get_rng_state(), state)


def test_stratified_split_accepts_numpy_labels():
    labels = np.arange(30) % 3
    parts = stratified_split(labels, 4, seed=0)
    _check_partition(torch.as_tensor(labels), parts, 4)


@pytest.mark.parametrize("n_parts, kind", [(0, ValueError), (-1, ValueError), (11, ValueError), (2.0, TypeError),
                                           (True, TypeError), ("2", TypeError), (None, TypeError)])
def test_stratified_split_refuses_n_parts_out_of_range(n_parts, kind):
    with pytest.raises(kind, match="n_parts"):
        stratified_split(torch.arange(10) % 2, n_parts, seed=0)


def test_stratified_split_refuses_bad_labels_and_seeds():
    with pytest.raises(TypeError, match="labels"):
        stratified_split(torch.rand(10), 2, seed=0)
    with pytest.raises(TypeError, match="labels"):
        stratified_split([0, 1, 0, 1], 2, seed=0)
    with pytest.raises(ValueError, match="labels"):
        stratified_split(torch.zeros(4, 2, dtype=torch.int64), 2, seed=0)
    with pytest.raises(TypeError, match="seed"):
        stratified_split(torch.arange(10) % 2, 2, seed=0.5)


# ============================================================================ train_test_split
def test_train_test_split_is_disjoint_covering_stratified_and_keeps_tags():
    ds = Dataset(torch.randn(200, 2, generator=torch.Generator().manual_seed(0)), torch.arange(200) % 4,
                 torch.arange(1000, 1200), {"lic": torch.arange(200) % 3})
    tr, te = train_test_split(ds, 0.25, seed=3)
    # each class of 50 rounds its own share: round(12.5) == 12 (Python rounds half to even)
    assert len(te) == 4 * round(0.25 * 50) == 48 and len(tr) == 152
    assert not bool(torch.isin(tr.ids, te.ids).any())
    assert sorted(torch.cat([tr.ids, te.ids]).tolist()) == ds.ids.tolist()
    assert torch.equal(tr.ids, torch.sort(tr.ids)[0]) and torch.equal(te.ids, torch.sort(te.ids)[0])  # order kept
    for c in range(4):
        assert int((te.y == c).sum()) == 12
    for part in (tr, te):
        rows = rows_of(ds, part.ids)
        assert torch.equal(part.X, ds.X[rows]) and torch.equal(part.tags["lic"], ds.tags["lic"][rows])
    tr2, te2 = train_test_split(ds, 0.25, seed=3)
    assert torch.equal(te.ids, te2.ids)
    assert not torch.equal(te.ids, train_test_split(ds, 0.25, seed=4)[1].ids)


def test_train_test_split_without_stratification():
    ds = Dataset(torch.zeros(40, 1), torch.zeros(40, dtype=torch.int64), torch.arange(40))
    tr, te = train_test_split(ds, 0.3, seed=0, stratify=False)
    assert len(te) == 12 and len(tr) == 28 and not bool(torch.isin(tr.ids, te.ids).any())


@pytest.mark.parametrize("frac", [0, 1, 0.0, 1.0, -0.1, 1.5, float("nan"), "0.2", None, True])
def test_train_test_split_refuses_fractions_outside_0_1(frac):
    kind = TypeError if isinstance(frac, (str, bool)) or frac is None else ValueError  # a bad type, or a bad value
    with pytest.raises(kind, match="test_fraction"):
        train_test_split(toy(), frac, seed=0)


def test_train_test_split_refuses_an_empty_side():
    with pytest.raises(ValueError, match="empty side"):
        train_test_split(toy(n=4), 0.01, seed=0)
    # stratified: each class of one example rounds its own share to zero
    one_each = Dataset(torch.zeros(3, 1), torch.arange(3), torch.arange(3))
    with pytest.raises(ValueError, match="empty side"):
        train_test_split(one_each, 0.4, seed=0)
    with pytest.raises(TypeError, match="data"):
        train_test_split((torch.zeros(4, 1), torch.zeros(4)), 0.5)


# ============================================================================ loaders
@pytest.fixture(scope="module")
def digits():
    return D.load_digits()


@pytest.fixture(scope="module")
def digits_raw():
    return D.load_digits(standardise=False)


@pytest.fixture(scope="module")
def mnist1d():
    return D.load_mnist1d()


def small_mnist1d(seed, **kw):
    return D.load_mnist1d(seed=seed, num_samples=200, **kw)


LOADERS = {
    "digits": lambda seed: D.load_digits(seed=seed),
    "mnist1d": lambda seed: small_mnist1d(seed),
    "blobs": lambda seed: D.make_blobs(120, centers=3, seed=seed, test_fraction=0.25),
    "moons": lambda seed: D.make_moons(120, seed=seed, test_fraction=0.3),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loaders_train_and_test_ids_never_overlap(name):
    tr, te = LOADERS[name](0)
    for part in (tr, te):
        assert part.X.dtype == torch.float32 and part.y.dtype == torch.int64 and part.ids.dtype == torch.int64
        assert torch.unique(part.ids).numel() == len(part)
    assert not bool(torch.isin(tr.ids, te.ids).any())
    assert tr.num_classes == te.num_classes


@pytest.mark.parametrize("name", ["digits", "mnist1d"])
def test_real_loaders_number_test_ids_after_train_ids(name):
    tr, te = LOADERS[name](0)
    assert tr.ids.tolist() == list(range(len(tr)))
    assert te.ids.tolist() == list(range(len(tr), len(tr) + len(te)))


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loaders_are_deterministic_for_a_seed_and_differ_for_another(name):
    if name == "mnist1d":
        D._mnist1d_arrays.cache_clear()  # regenerate, so the cache cannot hide nondeterminism
    a_tr, a_te = LOADERS[name](0)
    if name == "mnist1d":
        D._mnist1d_arrays.cache_clear()
    b_tr, b_te = LOADERS[name](0)
    c_tr, _ = LOADERS[name](1)
    same(a_tr, b_tr)
    same(a_te, b_te)
    assert not torch.equal(a_tr.X, c_tr.X)


def test_make_line_is_seeded_and_near_its_line():
    a, b, c = D.make_line(200, seed=0), D.make_line(200, seed=0), D.make_line(200, seed=1)
    same(a, b)
    assert not torch.equal(a.X, c.X)
    assert a.X.shape == (200, 1) and a.num_classes == 1 and int(a.y.abs().sum()) == 0
    t = a.tags["target"]
    assert t.dtype == torch.float64 and t.shape == (200,)
    assert float(a.X.min()) >= -3 and float(a.X.max()) <= 3
    slope, intercept = np.polyfit(a.X[:, 0].double().numpy(), t.numpy(), 1)
    assert abs(slope - 2.0) < 0.1 and abs(intercept - 1.0) < 0.15
    exact = D.make_line(20, slope=-1.5, intercept=0.5, noise=0.0, seed=4)
    assert torch.allclose(exact.tags["target"], -1.5 * exact.X[:, 0].double() + 0.5, atol=1e-6)


def test_make_blobs_and_moons_shapes_and_classes():
    blobs = D.make_blobs(90, centers=3, seed=2)
    assert blobs.X.shape == (90, 2) and blobs.num_classes == 3 and set(blobs.y.tolist()) == {0, 1, 2}
    assert blobs.ids.tolist() == list(range(90))
    moons = D.make_moons(60, seed=2)
    assert moons.X.shape == (60, 2) and moons.num_classes == 2 and set(moons.y.tolist()) == {0, 1}
    assert not torch.equal(D.make_moons(60, noise=0.0, seed=2).X, moons.X)


@pytest.mark.parametrize("call,arg,kind", [
    (lambda: D.make_blobs(0), "n", ValueError), (lambda: D.make_blobs(10.0), "n", TypeError),
    (lambda: D.make_blobs(10, centers=0), "centers", ValueError),
    (lambda: D.make_blobs(10, cluster_std=0), "cluster_std", ValueError),
    (lambda: D.make_blobs(10, cluster_std=-1), "cluster_std", ValueError),
    (lambda: D.make_moons(1), "n", ValueError), (lambda: D.make_moons(10, noise=-0.1), "noise", ValueError),
    (lambda: D.make_line(0), "n", ValueError), (lambda: D.make_line(10, noise=-1), "noise", ValueError),
    (lambda: D.make_line(10, slope=float("inf")), "slope", ValueError),
    (lambda: D.make_line(10, intercept="1"), "intercept", TypeError),
    (lambda: D.load_mnist1d(num_samples=10), "num_samples", ValueError),
    (lambda: D.load_mnist1d(num_samples=True), "num_samples", TypeError),
    (lambda: D.make_blobs(10, test_fraction=1.0), "test_fraction", ValueError),
    (lambda: D.load_digits(test_fraction=0), "test_fraction", ValueError),
])
def test_loaders_refuse_bad_arguments_naming_them(call, arg, kind):
    with pytest.raises(kind, match=rf"\b{arg}\b"):
        call()


@pytest.mark.parametrize("call", [lambda: D.make_blobs(seed=-1), lambda: D.make_moons(seed=1.5),
                                  lambda: D.make_line(seed=True), lambda: D.load_digits(seed=-3),
                                  lambda: D.load_mnist1d(seed=2.0)])
def test_loaders_refuse_bad_seeds(call):
    with pytest.raises((TypeError, ValueError), match="seed"):
        call()


def test_digits_sizes_and_image_tag(digits, digits_raw):
    tr, te = digits
    assert (len(tr), len(te)) == (1347, 450) and tr.n_features == 64 and tr.num_classes == 10
    for part in (tr, te):
        img = part.tags["image"]
        assert img.shape == (len(part), 8, 8) and img.dtype == torch.float32
        assert float(img.min()) == 0.0 and float(img.max()) == 16.0
    for std, raw in zip(digits, digits_raw):
        assert torch.equal(std.tags["image"], raw.tags["image"])
        assert torch.equal(raw.X, raw.tags["image"].reshape(-1, 64))  # raw X is the picture
        assert torch.equal(std.y, raw.y) and torch.equal(std.ids, raw.ids)


def test_digits_images_are_sklearns_raw_digits(digits):
    from sklearn.datasets import load_digits as sk_digits

    sk = sk_digits()
    ours = torch.cat([digits[0].tags["image"], digits[1].tags["image"]]).numpy()
    ours_y = torch.cat([digits[0].y, digits[1].y]).numpy()

    def key_rows(images, labels):  # the multiset of (picture, label) pairs, as sorted bytes
        return sorted(img.astype(np.float32).tobytes() + bytes([int(lab)]) for img, lab in zip(images, labels))

    assert key_rows(ours, ours_y) == key_rows(sk.images, sk.target)


def test_digits_split_is_stratified(digits):
    tr, te = digits
    for c in range(10):
        n_c = int((tr.y == c).sum() + (te.y == c).sum())
        assert int((te.y == c).sum()) == round(0.25 * n_c)


def _standardise_with(reference: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    ref = reference.double()
    mean, std = ref.mean(0), ref.std(0, unbiased=False)
    std[std == 0] = 1.0
    return ((x.double() - mean) / std).float()


def test_digits_standardisation_uses_train_statistics_only(digits, digits_raw):
    (tr, te), (rtr, rte) = digits, digits_raw
    assert torch.allclose(tr.X, _standardise_with(rtr.X, rtr.X), atol=1e-5)
    assert torch.allclose(te.X, _standardise_with(rtr.X, rte.X), atol=1e-5)
    # and not the statistics of the test set or of everything
    assert not torch.allclose(te.X, _standardise_with(rte.X, rte.X), atol=1e-3)
    assert not torch.allclose(te.X, _standardise_with(torch.cat([rtr.X, rte.X]), rte.X), atol=1e-3)
    varying = rtr.X.std(0) > 0
    assert torch.allclose(tr.X[:, varying].mean(0), torch.zeros(int(varying.sum())), atol=1e-5)
    assert torch.allclose(tr.X[:, varying].std(0, unbiased=False), torch.ones(int(varying.sum())), atol=1e-4)


def test_mnist1d_default_sizes(mnist1d):
    tr, te = mnist1d
    assert (len(tr), len(te)) == (4000, 1000) and tr.n_features == 40 and te.n_features == 40
    assert tr.num_classes == 10 and set(tr.y.tolist()) == set(range(10))
    assert not bool(torch.isin(tr.ids, te.ids).any())


def test_mnist1d_standardisation_uses_train_statistics_only():
    tr, te = small_mnist1d(5)
    rtr, rte = small_mnist1d(5, standardise=False)
    assert torch.equal(tr.y, rtr.y) and torch.equal(te.y, rte.y)
    assert torch.allclose(tr.X, _standardise_with(rtr.X, rtr.X), atol=1e-5)
    assert torch.allclose(te.X, _standardise_with(rtr.X, rte.X), atol=1e-5)
    assert not torch.allclose(te.X, _standardise_with(rte.X, rte.X), atol=1e-3)


def test_load_mnist1d_leaves_the_global_rngs_as_they_were():
    D._mnist1d_arrays.cache_clear()  # make sure make_dataset really runs (it reseeds both RNGs)
    random.seed(1234)
    np.random.seed(4321)
    torch.manual_seed(77)
    py, npy, th = random.getstate(), np.random.get_state(), torch.get_rng_state()
    small_mnist1d(9)
    assert random.getstate() == py
    after = np.random.get_state()
    assert after[0] == npy[0] and np.array_equal(after[1], npy[1]) and after[2:] == npy[2:]
    assert torch.equal(torch.get_rng_state(), th)
    # and the next draws are the ones the caller's seeds promise
    random.seed(1234)
    np.random.seed(4321)
    expected = (random.random(), np.random.rand())
    random.setstate(py)
    np.random.set_state(npy)
    assert (random.random(), np.random.rand()) == expected


def test_loaders_hand_out_fresh_memory():
    # The MNIST-1D arrays are cached; changing one call's tensors must not change the next call's.
    a_tr, _ = small_mnist1d(3, standardise=False)
    y0, x0 = a_tr.y.clone(), a_tr.X.clone()
    a_tr.y.add_(1).remainder_(10)
    a_tr.X.mul_(0)
    b_tr, _ = small_mnist1d(3, standardise=False)
    assert torch.equal(b_tr.y, y0) and torch.equal(b_tr.X, x0)


# ============================================================================ poisoning
def test_relabel_changes_only_the_named_examples_and_marks_them():
    ds = toy()
    ids = ds.ids[[2, 5]]
    out = D.relabel(ds, ids, 0)
    assert out.y[[2, 5]].tolist() == [0, 0]
    others = [i for i in range(12) if i not in (2, 5)]
    assert torch.equal(out.y[others], ds.y[others]) and torch.equal(out.X, ds.X) and torch.equal(out.ids, ds.ids)
    assert out.tags["relabelled"].tolist() == [i in (2, 5) for i in range(12)]
    assert "relabelled" not in ds.tags and ds.y[[2, 5]].tolist() == [2, 2]   # original unchanged
    per = D.relabel(out, ds.ids[[5, 7]], [1, 2])
    assert per.y[[5, 7]].tolist() == [1, 2]
    assert per.tags["relabelled"].nonzero().flatten().tolist() == [2, 5, 7]  # accumulates


def test_relabel_refuses_bad_labels_and_ids_leaving_data_unchanged():
    ds = toy()
    y0 = ds.y.clone()
    with pytest.raises(ValueError, match="labels"):
        D.relabel(ds, ds.ids[[1]], 3)
    with pytest.raises(ValueError, match="labels"):
        D.relabel(ds, ds.ids[[1, 2]], [0, 1, 2])
    with pytest.raises(TypeError, match="labels"):
        D.relabel(ds, ds.ids[[1]], 1.5)
    with pytest.raises(ValueError, match="not in the data set"):
        D.relabel(ds, [1], 0)
    assert torch.equal(ds.y, y0) and "relabelled" not in ds.tags


def test_add_backdoor_plants_the_trigger_on_the_named_examples():
    ds = toy()
    trigger = torch.tensor([0.0, 5.0, -1.0])
    ids = ds.ids[[0, 4, 8]]
    out = D.add_backdoor(ds, ids, trigger, target=1)
    assert torch.equal(out.X[[0, 4, 8]], ds.X[[0, 4, 8]] + trigger)
    rest = [i for i in range(12) if i not in (0, 4, 8)]
    assert torch.equal(out.X[rest], ds.X[rest]) and torch.equal(out.y[rest], ds.y[rest])
    assert out.y[[0, 4, 8]].tolist() == [1, 1, 1]
    assert out.tags["poisoned"].nonzero().flatten().tolist() == [0, 4, 8]
    assert torch.equal(out.tags["licence"], ds.tags["licence"]) and torch.equal(out.ids, ds.ids)
    assert "poisoned" not in ds.tags and torch.equal(ds.X, toy().X)  # original unchanged


def test_add_backdoor_refuses_bad_trigger_target_and_ids():
    ds = toy()
    with pytest.raises(ValueError, match="trigger"):
        D.add_backdoor(ds, [700], torch.zeros(2), 0)
    with pytest.raises(TypeError, match="trigger"):
        D.add_backdoor(ds, [700], [0.0, 0.0, 1.0], 0)
    with pytest.raises(ValueError, match="target"):
        D.add_backdoor(ds, [700], torch.zeros(3), 3)
    with pytest.raises(TypeError, match="target"):
        D.add_backdoor(ds, [700], torch.zeros(3), 1.0)
    with pytest.raises(ValueError, match="not in the data set"):
        D.add_backdoor(ds, [0], torch.zeros(3), 0)
    assert torch.equal(ds.X, toy().X)


def test_every_public_name_is_documented():
    for name in D.__all__:
        assert getattr(D, name).__doc__, f"data.{name} has no docstring"
    for meth in ("positions", "contains", "subset", "without", "where", "with_tags", "with_labels", "concat", "to"):
        assert getattr(Dataset, meth).__doc__, meth


def test_dataset_survives_deepcopy_and_pickle():
    import copy
    import pickle

    d = Dataset(torch.zeros(3, 2), torch.tensor([0, 1, 0]), torch.tensor([5, 6, 7]), {"flag": torch.tensor([1, 0, 1])})
    for twin in (copy.deepcopy(d), pickle.loads(pickle.dumps(d))):
        assert torch.equal(twin.X, d.X) and torch.equal(twin.ids, d.ids) and torch.equal(twin.tags["flag"], d.tags["flag"])
        assert twin.X is not d.X and twin.num_classes == d.num_classes
