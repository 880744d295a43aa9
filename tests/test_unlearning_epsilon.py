"""The shipped epsilon file of lecture 05 (unlearnkit/checkpoints/digits_unlearning_epsilon.pt) against
scripts/build_unlearning_epsilon.py: its layout, its epsilons recomputed from its own phi, and the first
models of every group retrained here."""
import importlib.util
import math
import pathlib

import numpy as np
import pytest
import torch

from unlearnkit import data, mia

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("build_unlearning_epsilon", ROOT / "scripts" / "build_unlearning_epsilon.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped(script):
    return torch.load(script.OUT, weights_only=True)


def test_shipped_file_layout(script, shipped):
    meta = shipped["meta"]
    assert meta["script"] == "scripts/build_unlearning_epsilon.py" and meta["config"] == script.CONFIG
    assert meta["num_models"] == script.NUM_MODELS >= 512 and meta["delta"] == script.DELTA
    train, _ = data.load_digits()
    ids, kind = script.forget_ids(train)
    assert torch.equal(shipped["ids"], ids) and torch.equal(shipped["kind"], kind)
    groups = ["original", *script.METHODS, "retrained", "retrained (2nd group)"]
    assert list(shipped["phi"]) == groups
    assert all(v.shape == (script.NUM_MODELS, len(ids)) and v.dtype == torch.float32 for v in shipped["phi"].values())
    assert set(shipped["epsilon"]) == set(groups) - {"retrained"}
    assert sorted(shipped["epsilon_by_n"]) == [n for n in script.SMALLER if n < script.NUM_MODELS]
    assert pathlib.Path(script.OUT).stat().st_size < 1_000_000


def test_shipped_epsilons_follow_from_the_shipped_phi(shipped):
    phi, eps, delta = shipped["phi"], shipped["epsilon"], shipped["meta"]["delta"]
    ref = phi["retrained"].numpy()
    for group, j in (("fine-tune", 0), ("NegGrad", 13), ("retrained (2nd group)", 5)):
        assert mia.empirical_epsilon(phi[group][:, j], ref[:, j], delta) == pytest.approx(float(eps[group][j]), abs=1e-6)
    n = min(shipped["epsilon_by_n"])
    assert mia.empirical_epsilon(phi["NegGrad+"][:n, 2], ref[:n, 2], delta) == pytest.approx(
        float(shipped["epsilon_by_n"][n]["NegGrad+"][2]), abs=1e-6)
    ceiling = mia.max_finite_epsilon(shipped["meta"]["num_models"], None, delta)
    finite = torch.cat([v[v < mia.EPSILON_CAP] for v in eps.values()])
    assert float(finite.max()) <= ceiling + 1e-9 and float(finite.min()) >= 0
    # the floor (retrained against retrained) lies well below every approximate method
    floor = np.median(eps["retrained (2nd group)"].numpy())
    assert all(np.median(eps[k].numpy()) > floor + 1 for k in ("fine-tune", "NegGrad", "NegGrad+", "random labels"))


def test_the_first_models_are_retrained_identically(script, shipped):
    """Every model's seeds derive from its index: 4 models per group trained here match the shipped rows."""
    small = script.compute(num_models=4, with_epsilon=False)
    for group, phi in small["phi"].items():
        gap = float((phi - shipped["phi"][group][:4]).abs().max())
        assert gap < 1e-3, f"{group}: |phi difference| {gap}"
    assert math.isclose(float(small["test_accuracy"]["retrained"].mean()),
                        float(shipped["test_accuracy"]["retrained"][:4].mean()), abs_tol=1e-6)
