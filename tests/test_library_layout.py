"""The library's layout rules: no private imports across modules, moved names still where they were,
one exception type per kind of bad input, records beside fit."""
import ast
import copy
import math
import pathlib

import pytest
import torch

import unlearnkit
from unlearnkit import (approximate, batched, data, forging, lm, metrics, mia, models, records, sisa, training)

LIB = pathlib.Path(unlearnkit.__file__).parent
INTERNAL = {"_common", "_seeding"}   # the internal modules whose names every module may import


def _modules():
    return sorted(p for p in LIB.rglob("*.py"))


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                source = (node.module or "").split(".")[-1]
                if source in INTERNAL:
                    continue
                offenders += [f"{path.relative_to(LIB)}: from {'.' * node.level}{node.module} import {a.name}"
                              for a in node.names if a.name.startswith("_")]
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and isinstance(node.value, ast.Name) and node.value.id in {
                        "training", "batched", "records", "forging", "approximate", "metrics", "mia", "sisa",
                        "exact", "data", "models", "lm", "protocol", "viz"}:
                offenders.append(f"{path.relative_to(LIB)}: {node.value.id}.{node.attr}")
    assert not offenders, offenders


def test_every_listed_module_exists_and_says_what_it_holds():
    for name in unlearnkit.__all__:
        if name in ("derive_seed", "device", "__version__"):
            continue
        mod = getattr(unlearnkit, name)
        assert mod.__doc__ and "Introduced in lecture" in mod.__doc__, name
        assert name in unlearnkit.__doc__, f"{name} missing from the package docstring's module map"


@pytest.mark.parametrize("old, new", [
    (lambda: training.fit_many, lambda: batched.fit_many),
    (lambda: training.ManyModels, lambda: batched.ManyModels),
    (lambda: training.model_seeds, lambda: batched.model_seeds),
    (lambda: forging.replay, lambda: records.replay),
    (lambda: forging.record_training, lambda: records.record_training),
    (lambda: forging.TrainingRecord, lambda: records.TrainingRecord),
    (lambda: forging.state_hash, lambda: records.state_hash),
    (lambda: forging.linear_regression, lambda: models.linear_regression),
    (lambda: forging._rotation_fixing_ones, lambda: forging.rotation_fixing_ones),
    (lambda: approximate.L2LinearModel, lambda: models.L2LinearModel),
    (lambda: metrics.loss_threshold_auc, lambda: mia.loss_threshold_auc),
    (lambda: lm.GPT, lambda: models.GPT),
])
def test_moved_names_still_work_where_they_were(old, new):
    assert old() is new()


def test_every_public_name_is_defined_or_re_exported():
    for name in unlearnkit.__all__:
        mod = getattr(unlearnkit, name)
        for public in getattr(mod, "__all__", []):
            assert hasattr(mod, public), f"{name}.{public}"


def _newton(**kw):
    d = data.make_blobs(8, seed=0)
    return approximate.newton_removal(models.L2LinearModel().fit(d), d.subset(d.ids[:2]), d.without(d.ids[:2]), **kw)


@pytest.mark.parametrize("call", [
    lambda v: data.make_blobs(v), lambda v: models.mlp(v, 2), lambda v: training.batch_order(v, 2, 1, 0),
    lambda v: training.TrainConfig(batch_size=v), lambda v: sisa.expected_speedup(v, 1),
    lambda v: metrics.subset_masks(v, 2), lambda v: mia.max_finite_epsilon(v), lambda v: lm.make_world(v),
    lambda v: batched.model_seeds(0, v), lambda v: forging.make_twin_forgery(data.make_line(20), [1], batch_size=v),
    lambda v: _newton(batch=v),
])
def test_the_same_bad_integer_raises_the_same_type_in_every_module(call):
    with pytest.raises(TypeError):
        call(4.0)          # a float where an integer belongs: a wrong type
    with pytest.raises(ValueError):
        call(-3)           # an integer out of range: a wrong value


def test_train_step_is_one_step_of_fit():
    d = data.make_blobs(40, centers=2, seed=0)
    cfg = training.TrainConfig(lr=0.1, momentum=0.9, batch_size=8, steps=5, seed=2)
    a, b = models.mlp(2, 2, 4, seed=1), models.mlp(2, 2, 4, seed=1)
    log = training.fit(a, d, cfg, record_batches=True)
    opt = training.make_optimizer(b.parameters(), cfg)
    b.train()
    for ids in log.batches:
        records.train_step(b, opt, d, ids, cfg)
    assert records.state_hash(a) == records.state_hash(b)
    before = copy.deepcopy(b)
    with pytest.raises(ValueError):
        records.train_step(b, opt, d, [10_000], cfg)   # an id not in the data: refused, nothing stepped
    assert records.state_hash(before) == records.state_hash(b)


def test_rotation_fixing_ones_is_a_rotation_about_the_ones_vector():
    for angle in (0.0, 0.7, -2.1):
        Q = forging.rotation_fixing_ones(angle)
        assert Q.dtype == torch.float64 and Q.shape == (3, 3)
        assert torch.allclose(Q @ Q.T, torch.eye(3, dtype=torch.float64), atol=1e-12)
        assert torch.allclose(Q @ torch.ones(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), atol=1e-12)
        assert math.isclose(float(torch.linalg.det(Q)), 1.0, abs_tol=1e-12)
        assert math.isclose(float(torch.trace(Q)), 1 + 2 * math.cos(angle), abs_tol=1e-12)  # rotation by angle
    Z = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(forging.twin_points(Z, 0.7), forging.rotation_fixing_ones(0.7) @ Z)
