"""Unit tests for unlearnkit.training: TrainConfig, TrainLog, batch_order, make_optimizer, fit, evaluation.

(fit_many, ManyModels and model_seeds are tested in tests/test_batched.py.)

What ``fit`` promises about resuming: it draws the batch order from ``config.seed`` afresh on every
call (``batch_order(n, batch_size, steps, config.seed)``), and with ``optimizer=`` it continues that
optimiser's state (momentum buffers, Adam moments and step counts). So two calls of 5 steps with the
same seed and the same optimiser object are *not* one call of 10 steps (the order restarts), but they
are exactly the manual loop "5 batches of batch_order(.., 5, seed), then the same 5 again, one
optimiser throughout"; and restoring the model's and the optimiser's state_dict from a checkpoint
(what SISA does) continues bitwise as if nothing had been interrupted.
"""
from __future__ import annotations

import copy
import io
import math
from fractions import Fraction

import pytest
import torch
from torch.nn import functional as F

from unlearnkit import data as D
from unlearnkit import models, training
from unlearnkit.data import Dataset
from unlearnkit.training import (TrainConfig, TrainLog, accuracy, batch_order, fit, make_optimizer, per_example_loss,
                                 predict, predict_logits, predict_proba)


def states_equal(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.fixture(scope="module")
def blobs():
    """Blobs with ids that are not positions (ids 5000 + 3 * position, in reversed order)."""
    ds = D.make_blobs(96, centers=3, cluster_std=1.0, seed=1)
    return Dataset(ds.X, ds.y, 5000 + 3 * torch.arange(96).flip(0), {"lic": torch.arange(96) % 2}, 3, "blobs")


@pytest.fixture(scope="module")
def blobs_split():
    return D.make_blobs(300, centers=3, cluster_std=1.0, seed=2, test_fraction=0.3)


SGD = TrainConfig(optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=1e-3, batch_size=16, steps=12, seed=7)
ADAM = TrainConfig(optimizer="adam", lr=0.01, weight_decay=1e-4, batch_size=16, steps=12, seed=7)


# ============================================================================ TrainConfig
def test_config_defaults_and_frozen():
    c = TrainConfig()
    assert (c.optimizer, c.loss, c.steps, c.epochs) == ("sgd", "cross_entropy", None, 10.0)
    with pytest.raises(Exception):
        c.lr = 1.0
    assert TrainConfig(steps=5).epochs is None  # an explicit steps replaces the default epochs


@pytest.mark.parametrize("field,value", [
    ("optimizer", "rmsprop"), ("loss", "hinge"), ("loss", "ce"),
    ("lr", 0), ("lr", -0.1), ("lr", float("nan")),
    ("momentum", -0.1), ("momentum", 1.0),
    ("weight_decay", -1e-4),
    ("batch_size", 0), ("batch_size", -4),
    ("steps", -1),
    ("epochs", -1.0),
])
def test_config_refuses_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"\b{field}\b"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("field,value", [
    ("optimizer", None), ("optimizer", 1), ("loss", None),
    ("lr", "0.1"), ("lr", None), ("lr", True), ("momentum", "0.9"), ("weight_decay", None),
    ("batch_size", 2.0), ("batch_size", True), ("batch_size", None),
    ("steps", 2.5), ("steps", True), ("steps", "3"),
    ("epochs", "2"),
])
def test_config_refuses_wrong_types_with_type_error(field, value):
    # one exception type per kind of bad input: a wrong type is a TypeError, a wrong value a ValueError
    with pytest.raises(TypeError, match=rf"\b{field}\b"):
        TrainConfig(**{field: value})


def test_config_defaults_to_ten_epochs_and_needs_a_valid_seed():
    assert TrainConfig(steps=None, epochs=None).epochs == 10.0
    assert TrainConfig().num_steps(100) == TrainConfig(epochs=10).num_steps(100)
    for seed, err in ((1.5, TypeError), (True, TypeError), (-1, ValueError)):
        with pytest.raises(err, match="seed"):
            TrainConfig(seed=seed)


def test_config_replace_switches_between_steps_and_epochs():
    c = TrainConfig(epochs=3, batch_size=10)
    s = c.replace(steps=7)
    assert (s.steps, s.epochs) == (7, None) and (c.steps, c.epochs) == (None, 3)
    e = s.replace(epochs=2.5)
    assert (e.steps, e.epochs) == (None, 2.5)
    assert c.replace(lr=0.5).lr == 0.5 and c.replace(lr=0.5).epochs == 3
    with pytest.raises(ValueError, match="lr"):
        c.replace(lr=-1)
    with pytest.raises(TypeError):
        c.replace(learning_rate=0.1)


@pytest.mark.parametrize("epochs,n,batch", [(1, 100, 10), (2.5, 30, 8), (3, 10, 64), (0.5, 7, 2), (0, 50, 5),
                                            (10, 4000, 64), (1.5, 1, 1), (2, 33, 32)])
def test_num_steps_from_epochs_is_ceil_epochs_n_over_batch(epochs, n, batch):
    c = TrainConfig(epochs=epochs, batch_size=batch)
    expected = math.ceil(Fraction(epochs) * n / min(batch, n))  # a batch is never larger than the data
    assert c.num_steps(n) == expected
    assert c.num_steps(0) == 0
    assert TrainConfig(steps=9, batch_size=batch).num_steps(n) == 9


# ============================================================================ TrainLog
def test_trainlog_addition_concatenates_and_sums():
    a = TrainLog(2, 20, [1.0, 0.5], 0.25, [torch.tensor([1]), torch.tensor([2])], {"teacher_forward": 20})
    b = TrainLog(1, 7, [0.3], 0.5, None, {"teacher_forward": 7, "hessian": 1})
    s = a + b
    assert (s.steps, s.grad_evals, s.losses, s.seconds) == (3, 27, [1.0, 0.5, 0.3], 0.75)
    assert s.extra == {"teacher_forward": 27, "hessian": 1} and a.extra == {"teacher_forward": 20}
    assert [t.tolist() for t in s.batches] == [[1], [2]]
    assert (TrainLog() + TrainLog()).batches is None


# ============================================================================ batch_order
@pytest.mark.parametrize("n,batch,steps", [(10, 3, 7), (10, 5, 4), (7, 64, 3), (12, 1, 25), (9, 9, 2)])
def test_batch_order_is_consecutive_permutations(n, batch, steps):
    order = batch_order(n, batch, steps, seed=3)
    b = min(batch, n)
    assert order.shape == (steps, b) and order.dtype == torch.int64
    flat = order.flatten()
    for start in range(0, flat.numel() - n + 1, n):  # every full epoch is a permutation of 0..n-1
        assert sorted(flat[start:start + n].tolist()) == list(range(n))
    tail = flat[(flat.numel() // n) * n:]
    assert len(set(tail.tolist())) == tail.numel()  # a partial epoch repeats nothing


def test_batch_order_is_seeded_and_reads_no_global_rng():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a = batch_order(50, 8, 20, seed=1)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(123)
    assert torch.equal(a, batch_order(50, 8, 20, seed=1))
    assert not torch.equal(a, batch_order(50, 8, 20, seed=2))
    # a longer run starts with the shorter run's batches
    assert torch.equal(batch_order(50, 8, 40, seed=1)[:20], a)


def test_batch_order_edge_cases_and_errors():
    assert batch_order(5, 2, 0, seed=0).shape == (0, 2)
    assert batch_order(0, 2, 0, seed=0).shape == (0, 1)
    with pytest.raises(ValueError, match="empty"):
        batch_order(0, 4, 3, seed=0)
    with pytest.raises(TypeError, match="seed"):
        batch_order(5, 2, 3, seed=0.5)


# ============================================================================ make_optimizer
def test_make_optimizer_builds_what_the_config_says():
    m = models.mlp(3, 2, 4)
    sgd = make_optimizer(m.parameters(), TrainConfig(optimizer="sgd", lr=0.2, momentum=0.5, weight_decay=0.01))
    assert isinstance(sgd, torch.optim.SGD)
    g = sgd.param_groups[0]
    assert (g["lr"], g["momentum"], g["weight_decay"]) == (0.2, 0.5, 0.01)
    assert sum(p.numel() for p in g["params"]) == models.count_parameters(m)
    adam = make_optimizer(m.parameters(), TrainConfig(optimizer="adam", lr=1e-3, weight_decay=0.1))
    assert isinstance(adam, torch.optim.Adam)
    assert (adam.param_groups[0]["lr"], adam.param_groups[0]["weight_decay"]) == (1e-3, 0.1)


# ============================================================================ fit: determinism
@pytest.mark.parametrize("config", [SGD, ADAM], ids=["sgd", "adam"])
def test_fit_twice_gives_bitwise_identical_weights(blobs, config):
    a, b = models.mlp(2, 3, 8, seed=0), models.mlp(2, 3, 8, seed=0)
    torch.manual_seed(0)
    la = fit(a, blobs, config)
    torch.manual_seed(1)  # the global RNG plays no part
    lb = fit(b, blobs, config)
    assert states_equal(a, b)
    assert la.losses == lb.losses
    assert not states_equal(a, models.mlp(2, 3, 8, seed=0)), "fit did not train"


def test_fit_cnn1d_is_deterministic():
    g = torch.Generator().manual_seed(0)
    ds = Dataset(torch.randn(40, 20, generator=g), torch.arange(40) % 4, torch.arange(40))
    cfg = TrainConfig(lr=0.05, momentum=0.9, batch_size=8, steps=6, seed=2)
    a, b = models.cnn1d(20, 4, 3, seed=1), models.cnn1d(20, 4, 3, seed=1)
    fit(a, ds, cfg)
    fit(b, ds, cfg)
    assert states_equal(a, b)


def test_fit_another_seed_gives_another_data_order(blobs):
    a, b = models.mlp(2, 3, 8, seed=0), models.mlp(2, 3, 8, seed=0)
    la = fit(a, blobs, SGD, record_batches=True)
    lb = fit(b, blobs, SGD.replace(seed=8), record_batches=True)
    assert any(not torch.equal(x, y) for x, y in zip(la.batches, lb.batches))
    assert not states_equal(a, b)


def test_fit_reads_and_changes_no_global_rng(blobs):
    torch.manual_seed(42)
    state = torch.get_rng_state()
    fit(models.mlp(2, 3, 8, seed=0), blobs, SGD)
    assert torch.equal(torch.get_rng_state(), state)


# ============================================================================ fit: accounting
def test_fit_counts_steps_and_gradient_evaluations(blobs):
    cfg = TrainConfig(lr=0.05, batch_size=10, epochs=2.5, seed=0)
    log = fit(models.logistic_regression(2, 3), blobs, cfg, record_batches=True)
    assert log.steps == cfg.num_steps(96) == math.ceil(2.5 * 96 / 10) == 24
    assert len(log.losses) == len(log.batches) == log.steps
    assert log.grad_evals == sum(len(b) for b in log.batches) == 24 * 10
    assert all(math.isfinite(v) and v >= 0 for v in log.losses)
    assert log.seconds >= 0 and log.extra == {}


def test_fit_with_a_batch_larger_than_the_data_uses_all_of_it_each_step():
    ds = D.make_moons(10, seed=0)
    log = fit(models.logistic_regression(2, 2), ds, TrainConfig(batch_size=64, epochs=3), record_batches=True)
    assert log.steps == 3 and log.grad_evals == 30
    assert all(sorted(b.tolist()) == ds.ids.tolist() for b in log.batches)


def test_fit_epochs_visit_each_example_once_per_epoch(blobs):
    log = fit(models.logistic_regression(2, 3), blobs, TrainConfig(batch_size=12, epochs=2), record_batches=True)
    seen = torch.cat(log.batches)
    assert log.steps == 16 and sorted(seen.tolist()) == sorted(blobs.ids.tolist() * 2)


def test_record_batches_returns_ids_not_positions(blobs):
    log = fit(models.mlp(2, 3, 8), blobs, SGD, record_batches=True)
    order = batch_order(len(blobs), SGD.batch_size, SGD.steps, SGD.seed)
    assert [b.tolist() for b in log.batches] == [blobs.ids[p].tolist() for p in order]
    assert all(b.dtype == torch.int64 for b in log.batches)
    assert fit(models.mlp(2, 3, 8), blobs, SGD).batches is None


def test_fit_zero_steps_changes_nothing(blobs):
    m = models.mlp(2, 3, 8, seed=0)
    log = fit(m, blobs, SGD.replace(steps=0))
    assert (log.steps, log.grad_evals, log.losses) == (0, 0, [])
    assert states_equal(m, models.mlp(2, 3, 8, seed=0))


def test_fit_learns(blobs_split):
    tr, te = blobs_split
    m = models.mlp(2, 3, 16, seed=0)
    before = accuracy(m, te)
    log = fit(m, tr, TrainConfig(lr=0.1, momentum=0.9, batch_size=32, epochs=5, seed=0))
    assert accuracy(m, te) > max(0.85, before)
    assert sum(log.losses[-5:]) / 5 < sum(log.losses[:5]) / 5


# ============================================================================ fit: resuming
def _manual(model, data, cfg, orders):
    """Reference: the plain training loop over the given batch orders with one optimiser."""
    opt = make_optimizer(model.parameters(), cfg)
    for order in orders:
        for pos in order:
            opt.zero_grad()
            F.cross_entropy(model(data.X[pos]), data.y[pos]).backward()
            opt.step()
    return model


@pytest.mark.parametrize("config", [SGD.replace(steps=5), ADAM.replace(steps=5)], ids=["sgd", "adam"])
def test_fit_with_a_passed_optimizer_continues_its_state(blobs, config):
    m = models.mlp(2, 3, 8, seed=0)
    opt = make_optimizer(m.parameters(), config)
    first = fit(m, blobs, config, optimizer=opt, record_batches=True)
    second = fit(m, blobs, config, optimizer=opt, record_batches=True)
    # each call draws the same order from config.seed ...
    assert [b.tolist() for b in first.batches] == [b.tolist() for b in second.batches]
    # ... and the optimiser's state carries over: exactly the manual loop with one optimiser
    order = batch_order(len(blobs), config.batch_size, 5, config.seed)
    ref = _manual(models.mlp(2, 3, 8, seed=0), blobs, config, [order, order])
    assert states_equal(m, ref)
    # a fresh optimiser in the second call (state reset) gives different weights
    fresh = models.mlp(2, 3, 8, seed=0)
    fit(fresh, blobs, config)
    fit(fresh, blobs, config)
    assert not states_equal(m, fresh)
    # and 5 + 5 is not one run of 10 steps: the order restarts with each call
    ten = models.mlp(2, 3, 8, seed=0)
    log10 = fit(ten, blobs, config.replace(steps=10), record_batches=True)
    assert [b.tolist() for b in log10.batches[:5]] == [b.tolist() for b in first.batches]
    assert [b.tolist() for b in log10.batches[5:]] != [b.tolist() for b in second.batches]


@pytest.mark.parametrize("config", [SGD.replace(steps=5), ADAM.replace(steps=5)], ids=["sgd", "adam"])
def test_resuming_from_a_checkpoint_is_bitwise_the_uninterrupted_run(blobs, config):
    m = models.mlp(2, 3, 8, seed=0)
    opt = make_optimizer(m.parameters(), config)
    fit(m, blobs, config, optimizer=opt)
    buf = io.BytesIO()  # a checkpoint: tensors and plain containers only
    torch.save({"model": m.state_dict(), "optimizer": opt.state_dict()}, buf)
    stage2 = config.replace(seed=11)
    fit(m, blobs, stage2, optimizer=opt)  # uninterrupted

    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)
    r = models.mlp(2, 3, 8, seed=99)
    r.load_state_dict(ckpt["model"])
    ropt = make_optimizer(r.parameters(), config)
    ropt.load_state_dict(ckpt["optimizer"])
    fit(r, blobs, stage2, optimizer=ropt)
    assert states_equal(m, r)


# ============================================================================ fit: losses and errors
def test_fit_mse_fits_a_line():
    line = D.make_line(100, slope=2.0, intercept=1.0, noise=0.3, seed=0)
    m = models.logistic_regression(1, 1, seed=0)
    log = fit(m, line, TrainConfig(lr=0.05, batch_size=20, steps=400, seed=0, loss="mse"))
    assert abs(float(m.weight.detach()) - 2.0) < 0.15 and abs(float(m.bias.detach()) - 1.0) < 0.15
    assert log.losses[-1] < log.losses[0]


def test_fit_mse_needs_the_target_tag(blobs):
    with pytest.raises(ValueError, match="target"):
        fit(models.logistic_regression(2, 1), blobs, TrainConfig(steps=1, loss="mse"))


def test_fit_refuses_bad_arguments(blobs):
    m = models.logistic_regression(2, 3)
    with pytest.raises(TypeError, match="data"):
        fit(m, (blobs.X, blobs.y), SGD)
    with pytest.raises(TypeError, match="config"):
        fit(m, blobs, {"lr": 0.1})
    empty = blobs.where(torch.zeros(len(blobs), dtype=torch.bool))
    with pytest.raises(ValueError, match="empty"):
        fit(m, empty, SGD)
    assert fit(m, empty, TrainConfig(epochs=3)).steps == 0  # epochs over nothing is no step


# ============================================================================ evaluation
@pytest.fixture(scope="module")
def trained(blobs_split):
    tr, te = blobs_split
    m = models.mlp(2, 3, 16, seed=0)
    fit(m, tr, TrainConfig(lr=0.1, momentum=0.9, batch_size=32, epochs=3, seed=0))
    return m, te


def test_predict_logits_shapes_and_values(trained):
    m, te = trained
    logits = predict_logits(m, te)
    assert logits.shape == (len(te), 3) and logits.dtype == torch.float32 and logits.device.type == "cpu"
    with torch.no_grad():
        assert torch.allclose(logits, m(te.X), atol=1e-6)
    assert torch.allclose(predict_logits(m, te, batch_size=7), logits, atol=1e-6)
    assert torch.allclose(predict_logits(m, te.X.double()), logits, atol=1e-6)  # a tensor works too
    m.train()
    predict_logits(m, te)
    assert m.training, "predict_logits must restore the training mode"
    m.eval()
    for bad in (te.X[0], te.X.tolist(), None):
        with pytest.raises(TypeError, match="data"):
            predict_logits(m, bad)


def test_predict_proba_and_predict(trained):
    m, te = trained
    p = predict_proba(m, te)
    assert p.shape == (len(te), 3) and bool((p >= 0).all()) and bool((p <= 1).all())
    assert torch.allclose(p.sum(1), torch.ones(len(te)), atol=1e-6)
    yhat = predict(m, te)
    assert yhat.shape == (len(te),) and yhat.dtype == torch.int64
    assert torch.equal(yhat, p.argmax(1)) and set(yhat.tolist()) <= {0, 1, 2}


def test_accuracy_is_the_fraction_correct(trained):
    m, te = trained
    acc = accuracy(m, te)
    assert 0.0 <= acc <= 1.0 and acc > 0.85
    assert acc == pytest.approx(float((predict(m, te) == te.y).double().mean()))
    wrong = te.with_labels((predict(m, te) + 1) % 3)
    assert accuracy(m, wrong) == 0.0
    assert accuracy(m, te.with_labels(predict(m, te))) == 1.0
    assert math.isnan(accuracy(m, te.where(torch.zeros(len(te), dtype=torch.bool))))


def test_per_example_loss_is_cross_entropy_per_example(trained):
    m, te = trained
    loss = per_example_loss(m, te)
    assert loss.shape == (len(te),) and loss.dtype == torch.float32 and bool((loss >= 0).all())
    logp = torch.log_softmax(predict_logits(m, te), 1)
    assert torch.allclose(loss, -logp[torch.arange(len(te)), te.y], atol=1e-5)
    assert float(loss.mean()) == pytest.approx(float(F.cross_entropy(predict_logits(m, te), te.y)), rel=1e-5)
    assert not loss.requires_grad


def test_every_public_training_function_is_documented():
    for name in training.__all__:
        assert getattr(training, name).__doc__, name


# ============================================================================ regressions
# Bugs this file once found in unlearnkit/training.py (now fixed).
@pytest.mark.parametrize("field,value", [("epochs", float("nan")), ("epochs", float("inf")), ("lr", float("inf")),
                                         ("weight_decay", float("nan"))])
def test_config_refuses_non_finite_numbers(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_num_steps_counts_decimal_epochs_exactly():
    assert TrainConfig(epochs=1.1, batch_size=10).num_steps(100) == 11


def test_config_refuses_both_steps_and_epochs():
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=5, epochs=3)


@pytest.mark.parametrize("kw,field,kind", [({"batch_size": 0}, "batch_size", ValueError),
                                           ({"batch_size": True}, "batch_size", TypeError),
                                           ({"steps": -1}, "steps", ValueError), ({"steps": 2.5}, "steps", TypeError)])
def test_batch_order_refuses_bad_sizes(kw, field, kind):
    args = {"n": 5, "batch_size": 2, "steps": 3, "seed": 0} | kw
    with pytest.raises(kind, match=field):
        batch_order(**args)


def test_evaluation_on_an_empty_data_set_keeps_the_class_dimension(trained):
    m, te = trained
    empty = te.where(torch.zeros(len(te), dtype=torch.bool))
    assert predict_logits(m, empty).shape == (0, 3)
    assert predict(m, empty).shape == (0,)


def test_adam_refuses_sgd_momentum():
    with pytest.raises(ValueError, match="momentum"):
        TrainConfig(optimizer="adam", momentum=0.9)


def test_predict_logits_refuses_a_bad_batch_size(trained):
    m, te = trained
    with pytest.raises(ValueError, match="batch_size"):
        predict_logits(m, te, batch_size=0)
