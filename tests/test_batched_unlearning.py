"""Batched unlearning of many models at once (lecture 05's shadow models): batched.descend_many and the
``*_many`` methods of unlearnkit.approximate, against the single-model functions they stand for, one
model at a time; the protocol's batched forms; bad input refused before anything changes."""
import dataclasses

import pytest
import torch

from unlearnkit import approximate as ap
from unlearnkit import data, derive_seed, models
from unlearnkit.batched import BatchPart, ManyModels, descend_many, fit_many
from unlearnkit.protocol import METHODS, GradientConfig, NegGradPlusConfig, RetrainConfig
from unlearnkit.training import TrainConfig, batch_order, fit

TOL = 1e-5     # float32 rounding: vmap sums in another order than the single-model loop


def _gap(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return max(float((sa[k] - sb[k]).abs().max()) for k in sa)


@pytest.fixture(scope="module")
def setting():
    """Four MLPs on 3-class blobs, each trained on its own ~80% and with its own forget set (sizes differ)."""
    d = data.make_blobs(120, centers=3, cluster_std=1.5, seed=0)
    g = torch.Generator().manual_seed(0)
    masks = torch.rand(4, len(d), generator=g) < 0.8
    forget = masks & (torch.rand(4, len(d), generator=g) < 0.25)
    many = fit_many(models.mlp(2, 3, 8), d, masks, TrainConfig(optimizer="adam", lr=0.05, batch_size=16, epochs=3), seed=1)
    return d, masks, forget, many


CONFIGS = {"sgd": TrainConfig(optimizer="sgd", lr=0.05, momentum=0.9, batch_size=16, epochs=1.5),
           "adam": TrainConfig(optimizer="adam", lr=0.02, batch_size=16, epochs=1.5)}


@pytest.mark.parametrize("opt", sorted(CONFIGS))
@pytest.mark.parametrize("many_fn, fn, knobs", [
    (ap.neggrad_many, ap.neggrad, {}), (ap.neggrad_plus_many, ap.neggrad_plus, {"a": 0.7}),
    (ap.neggrad_plus_many, ap.neggrad_plus, {"a": 1.0}), (ap.random_labels_many, ap.random_labels, {}),
], ids=["neggrad", "neggrad_plus", "neggrad_plus_a1", "random_labels"])
def test_each_batched_model_follows_the_single_model_recipe(setting, opt, many_fn, fn, knobs):
    d, masks, forget, many = setting
    cfg = CONFIGS[opt]
    before = {k: v.clone() for k, v in many.params.items()}
    new, log = many_fn(many, d, forget, cfg, 3, **knobs)
    assert all(torch.equal(before[k], many.params[k]) for k in before)          # the input is left as it was
    assert torch.equal(new.masks, masks & ~forget)
    evals = 0
    for i in range(len(many)):
        single, slog = fn(many.model(i), d.where(forget[i]), d.where(masks[i] & ~forget[i]), cfg,
                          derive_seed(3, "model", i), **knobs)
        assert _gap(single, new.model(i)) < TOL, f"model {i}"
        assert slog.steps == log.extra["steps_per_model"][i] and slog.grad_evals == log.extra["grad_evals_per_model"][i]
        evals += slog.grad_evals
    assert log.grad_evals == evals and len(set(log.extra["steps_per_model"])) > 1   # unequal step counts were tested


def test_forget_grad_evals_are_counted(setting):
    d, masks, forget, many = setting
    cfg = CONFIGS["sgd"]
    _, log = ap.neggrad_plus_many(many, d, forget, cfg, 0, a=0.5)
    singles = [ap.neggrad_plus(many.model(i), d.where(forget[i]), d.where(masks[i] & ~forget[i]), cfg,
                               derive_seed(0, "model", i), a=0.5)[1] for i in range(len(many))]
    assert log.extra["forget_grad_evals"] == sum(s.extra["forget_grad_evals"] for s in singles)
    _, log = ap.neggrad_many(many, d, forget, cfg, 0)
    assert log.extra["forget_grad_evals"] == log.grad_evals


@pytest.mark.parametrize("name, knobs", [("neggrad", {}), ("neggrad_plus", {"a": 0.6}), ("random_labels", {})])
def test_protocol_batched_forms_equal_the_registered_single_methods(setting, name, knobs):
    d, masks, forget, many = setting
    method = METHODS[name]
    config = (NegGradPlusConfig if name == "neggrad_plus" else GradientConfig)(train=CONFIGS["adam"], seed=5, **knobs)
    out = method.batched(many, d, forget, config)
    for i in (0, 3):
        single = method(many.model(i), d.where(forget[i]), d.where(masks[i] & ~forget[i]),
                        dataclasses.replace(config, seed=derive_seed(5, "model", i)))
        assert _gap(single.model, out.model.model(i)) < TOL


def test_protocol_batched_retrain_equals_retraining_each_model(setting):
    d, masks, forget, many = setting
    config = RetrainConfig(model_fn=lambda s: models.mlp(2, 3, 8, seed=s), train=CONFIGS["sgd"], seed=4)
    out = METHODS["retrain"].batched(many, d, forget, config)
    assert torch.equal(out.model.masks, masks & ~forget)
    for i in range(len(many)):
        single = METHODS["retrain"](many.model(i), d.where(forget[i]), d.where(masks[i] & ~forget[i]),
                                    dataclasses.replace(config, seed=derive_seed(4, "model", i)))
        assert _gap(single.model, out.model.model(i)) < TOL
    assert {n for n, m in METHODS.items() if m.batched} >= {"finetune", "neggrad", "neggrad_plus", "random_labels", "retrain"}


def test_descend_many_stops_each_model_after_its_own_steps():
    d = data.make_blobs(60, centers=2, cluster_std=1.0, seed=2)
    many = fit_many(models.mlp(2, 2, 4), d, torch.ones(2, len(d), dtype=torch.bool),
                    TrainConfig(lr=0.1, batch_size=8, steps=3), seed=0)
    rows = [torch.arange(len(d)), torch.arange(len(d))]
    orders = [batch_order(len(d), 8, 2, 11), batch_order(len(d), 8, 6, 12)]
    cfg = TrainConfig(optimizer="adam", lr=0.05, batch_size=8, steps=1)
    seen = []
    new = descend_many(many, d, [BatchPart(rows, [d.y, d.y], orders, [1.0, 1.0])], cfg,
                       on_step=lambda k, p: seen.append(k))
    assert seen == list(range(1, 7)) and new.extra["steps_per_model"] == [2, 6]
    alone = many.model(0)
    fit(alone, d, cfg.replace(steps=2, seed=11))     # fit draws batch_order(n, 8, 2, seed): the same batches
    assert _gap(alone, new.model(0)) < TOL
    assert torch.isnan(new.losses[2:, 0]).all() and not torch.isnan(new.losses[:, 1]).any()
    assert new.grad_evals_per_model.tolist() == [16, 48]
    # a scale of -1 is gradient ascent: the objective (-CE) goes down, so the cross-entropy goes up
    up = descend_many(many, d, [BatchPart(rows, [d.y, d.y], orders, [-1.0, -1.0])], cfg)
    assert up.losses[-1, 1] < up.losses[0, 1] < 0


def test_bad_input_is_refused_before_anything_changes(setting):
    d, masks, forget, many = setting
    cfg = CONFIGS["sgd"]
    before = {k: v.clone() for k, v in many.params.items()}
    with pytest.raises(TypeError, match="forget_masks"):
        ap.neggrad_many(many, d, forget.int(), cfg)
    with pytest.raises(TypeError, match="forget_masks"):
        ap.random_labels_many(many, d, forget[:2], cfg)
    with pytest.raises(ValueError, match="not trained on"):
        ap.neggrad_plus_many(many, d, forget | ~masks, cfg)
    empty = forget.clone()
    empty[1] = False
    with pytest.raises(ValueError, match="model 1 has an empty forget set"):
        ap.neggrad_many(many, d, empty, cfg)
    with pytest.raises(ValueError, match="a must be"):
        ap.neggrad_plus_many(many, d, forget, cfg, a=1.5)
    with pytest.raises(TypeError, match="many"):
        ap.neggrad_many(many.model(0), d, forget, cfg)
    with pytest.raises(ValueError, match="fit_many on data"):
        ap.neggrad_many(many, d.subset(d.ids[:50]), forget[:, :50], cfg)
    with pytest.raises(ValueError, match="cross_entropy"):
        ap.neggrad_many(many, d, forget, cfg.replace(loss="mse"))
    with pytest.raises(TypeError, match="config"):
        METHODS["neggrad"].batched(many, d, forget, cfg)      # a TrainConfig, not the method's config
    rows = [torch.arange(4)] * len(many)
    with pytest.raises(ValueError, match="one entry per model"):
        BatchPart(rows, rows[:2], [torch.zeros(1, 2, dtype=torch.int64)] * len(many), [1.0] * len(many))
    with pytest.raises(TypeError, match="int64"):
        BatchPart([r.int() for r in rows], rows, [torch.zeros(1, 2, dtype=torch.int64)] * len(many), [1.0] * len(many))
    with pytest.raises(ValueError, match="outside rows"):
        BatchPart(rows, rows, [torch.full((1, 2), 9, dtype=torch.int64)] * len(many), [1.0] * len(many))
    part = BatchPart(rows, [d.y[:4]] * len(many), [torch.zeros(1, 2, dtype=torch.int64)] * len(many), [1.0] * len(many))
    other = BatchPart(rows, [d.y[:4]] * len(many), [torch.zeros(2, 2, dtype=torch.int64)] * len(many), [1.0] * len(many))
    with pytest.raises(ValueError, match="same number of steps"):
        descend_many(many, d, [part, other], cfg)
    with pytest.raises(ValueError, match="parts is empty"):
        descend_many(many, d, [], cfg)
    with pytest.raises(TypeError, match="ManyModels"):
        descend_many(many.model(0), d, [part], cfg)
    with pytest.raises(TypeError, match="on_step"):
        descend_many(many, d, [part], cfg, on_step=3)
    assert all(torch.equal(before[k], many.params[k]) for k in before)
    assert isinstance(many, ManyModels)
