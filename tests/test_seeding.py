"""Unit tests for unlearnkit._seeding: derive_seed, check_seed, cpu_generator, torch_seeded, device."""
from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
import torch

import unlearnkit
from unlearnkit._seeding import check_seed, cpu_generator, derive_seed, device, torch_seeded


# ----------------------------------------------------------------------------- derive_seed
def test_derive_seed_is_deterministic_and_follows_the_documented_rule():
    # The rule the module docstring states (SHA-256 of the repr, first 8 bytes little-endian, 63 bits),
    # computed independently here so a silent change of the rule is caught.
    for seed, keys in [(0, ()), (5, ("shard", 3)), (2**62, ("model", 0, "stage", 7))]:
        expected = int.from_bytes(hashlib.sha256(repr((seed,) + keys).encode()).digest()[:8], "little") >> 1
        assert derive_seed(seed, *keys) == expected
        assert derive_seed(seed, *keys) == derive_seed(seed, *keys)


def test_derive_seed_children_are_distinct_and_in_range():
    keys = [("shard", s, "stage", r) for s in range(20) for r in range(10)] + [("model", i) for i in range(200)]
    children = [derive_seed(7, *k) for k in keys]
    assert len(set(children)) == len(children)
    assert all(isinstance(c, int) and 0 <= c < 2**63 for c in children)
    # the same keys under another parent give other children
    assert not set(children) & {derive_seed(8, *k) for k in keys}


def test_derive_seed_key_order_type_and_arity_matter():
    assert derive_seed(1, "a", 2) != derive_seed(1, 2, "a")
    assert derive_seed(1, 3) != derive_seed(1, "3")
    assert derive_seed(1) != derive_seed(1, 0)
    assert derive_seed(1, "shard", 1, 2) != derive_seed(1, "shard", 12)


def test_derive_seed_treats_numpy_and_torch_integers_as_python_ints():
    # fit_many derives derive_seed(seed, "model", i); i may come from numpy or torch loops.
    for i in range(3):
        ref = derive_seed(11, "model", i)
        assert derive_seed(11, "model", np.int64(i)) == ref
        assert derive_seed(11, "model", np.int32(i)) == ref
        assert derive_seed(11, "model", torch.tensor(i)) == ref
        assert derive_seed(np.int64(11), "model", i) == ref
    assert derive_seed(11, np.str_("model"), 1) == derive_seed(11, "model", 1)


@pytest.mark.parametrize("key", [1.0, True, np.bool_(True), None, (1, 2), torch.tensor(1.0), torch.tensor([1, 2])])
def test_derive_seed_refuses_keys_that_are_not_ints_or_strings(key):
    with pytest.raises(TypeError, match="keys"):
        derive_seed(1, "model", key)


@pytest.mark.parametrize("seed,err", [(True, TypeError), (1.0, TypeError), (-1, ValueError), (2**63, ValueError),
                                      ("1", TypeError), (None, TypeError)])
def test_derive_seed_refuses_bad_parent_seeds(seed, err):
    with pytest.raises(err, match="seed"):
        derive_seed(seed, "shard", 0)


# ----------------------------------------------------------------------------- check_seed
@pytest.mark.parametrize("seed", [0, 1, 2**63 - 1, np.int64(5), np.uint8(7), torch.tensor(3).item()])
def test_check_seed_accepts_non_negative_integers_and_returns_python_ints(seed):
    out = check_seed(seed)
    assert type(out) is int and out == int(seed)


@pytest.mark.parametrize("seed", [True, False, np.bool_(True), 1.0, 2.5, np.float64(1.0), "1", None, [1], torch.tensor(1)])
def test_check_seed_refuses_non_integers(seed):
    with pytest.raises(TypeError, match="seed"):
        check_seed(seed)


@pytest.mark.parametrize("seed", [-1, -(2**70), 2**63, 2**64])
def test_check_seed_refuses_out_of_range(seed):
    with pytest.raises(ValueError, match="seed"):
        check_seed(seed)


def test_check_seed_names_the_argument():
    with pytest.raises(TypeError, match="shard_seed"):
        check_seed(0.5, name="shard_seed")
    with pytest.raises(ValueError, match="shard_seed"):
        check_seed(-3, name="shard_seed")


# ----------------------------------------------------------------------------- cpu_generator
def test_cpu_generator_is_seeded_fresh_and_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    g1, g2, g3 = cpu_generator(3), cpu_generator(3), cpu_generator(4)
    assert g1.device == torch.device("cpu")
    a, b, c = (torch.randperm(50, generator=g) for g in (g1, g2, g3))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert torch.equal(torch.get_rng_state(), before)
    # does not read the global RNG either
    torch.manual_seed(0)
    x = torch.rand(5, generator=cpu_generator(9))
    torch.manual_seed(1)
    assert torch.equal(x, torch.rand(5, generator=cpu_generator(9)))


@pytest.mark.parametrize("seed,err", [(1.5, TypeError), (True, TypeError), (-2, ValueError)])
def test_cpu_generator_refuses_bad_seeds(seed, err):
    with pytest.raises(err, match="seed"):
        cpu_generator(seed)


# ----------------------------------------------------------------------------- torch_seeded
def test_torch_seeded_seeds_the_block_and_restores_the_callers_state():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with torch_seeded(5):
        a = torch.rand(4)
    with torch_seeded(5):
        b = torch.rand(4)
    with torch_seeded(6):
        c = torch.rand(4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(torch.get_rng_state(), state)
    # the block does not depend on the caller's state
    torch.manual_seed(999)
    with torch_seeded(5):
        assert torch.equal(torch.rand(4), a)


def test_torch_seeded_restores_the_state_after_an_exception():
    state = torch.get_rng_state()
    with pytest.raises(RuntimeError, match="boom"):
        with torch_seeded(1):
            torch.rand(10)
            raise RuntimeError("boom")
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("seed,err", [(0.0, TypeError), (False, TypeError), (-1, ValueError)])
def test_torch_seeded_refuses_bad_seeds_before_touching_the_rng(seed, err):
    state = torch.get_rng_state()
    with pytest.raises(err, match="seed"):
        with torch_seeded(seed):
            pass
    assert torch.equal(torch.get_rng_state(), state)


# ----------------------------------------------------------------------------- device
def test_device_is_cpu_by_default(monkeypatch):
    monkeypatch.delenv("UNLEARNKIT_DEVICE", raising=False)
    assert device() == torch.device("cpu")
    assert device("cpu") == torch.device("cpu")
    assert device("CPU") == torch.device("cpu")


def test_device_uses_cuda_only_when_allowed_and_present(monkeypatch):
    monkeypatch.delenv("UNLEARNKIT_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device("cuda") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device() == torch.device("cpu")           # present but not allowed
    assert device("cuda") == torch.device("cuda")
    monkeypatch.setenv("UNLEARNKIT_DEVICE", "cuda")
    assert device() == torch.device("cuda")
    assert device("cpu") == torch.device("cpu")      # the argument wins over the environment


@pytest.mark.parametrize("prefer", ["gpu", "tpu", "", "cuda:0"])
def test_device_refuses_unknown_names(prefer, monkeypatch):
    monkeypatch.delenv("UNLEARNKIT_DEVICE", raising=False)
    with pytest.raises(ValueError, match="prefer"):
        device(prefer)


def test_device_refuses_an_unknown_environment_value(monkeypatch):
    monkeypatch.setenv("UNLEARNKIT_DEVICE", "metal")
    with pytest.raises(ValueError, match="UNLEARNKIT_DEVICE"):
        device()


@pytest.mark.parametrize("prefer", [1, True, torch.device("cpu")])
def test_device_refuses_non_strings(prefer):
    with pytest.raises(TypeError, match="prefer"):
        device(prefer)


def test_package_reexports_the_seeding_rule():
    assert unlearnkit.derive_seed is derive_seed
    assert unlearnkit.device is device
    assert {"derive_seed", "check_seed", "cpu_generator", "torch_seeded", "device"} <= set(
        unlearnkit._seeding.__all__)
    for name in unlearnkit._seeding.__all__:
        assert getattr(unlearnkit._seeding, name).__doc__, f"{name} has no docstring"


def test_children_of_children_do_not_collide_with_siblings():
    # derive_seed(derive_seed(s, "shard", i), "stage", r) is how SISA may nest; keep those distinct too
    nested = {derive_seed(derive_seed(3, "shard", i), "stage", r) for i, r in itertools.product(range(30), range(5))}
    flat = {derive_seed(3, "shard", i, "stage", r) for i, r in itertools.product(range(30), range(5))}
    assert len(nested) == 150 and len(flat) == 150 and not nested & flat


def test_check_int_accepts_integers_and_names_the_argument():
    import numpy as np

    from unlearnkit._common import check_int

    assert check_int(3, "n") == 3 and check_int(np.int64(5), "n", 5) == 5
    assert type(check_int(np.int64(2), "n")) is int
    assert check_int(4, "n", 1, 4) == 4
    for bad in (True, np.bool_(True), 2.0, "3", None):  # not an integer: a bad type
        with pytest.raises(TypeError, match=r"\bwidth\b.*>= 1"):
            check_int(bad, "width", 1)
    for bad in (0, -5):  # an integer out of range: a bad value
        with pytest.raises(ValueError, match=r"\bwidth\b.*>= 1"):
            check_int(bad, "width", 1)
    with pytest.raises(ValueError, match=r"\bk\b.*\[1, 4\]"):
        check_int(5, "k", 1, 4)
