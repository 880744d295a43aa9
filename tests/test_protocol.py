"""The unlearning protocol: every registered method passes the conformance check, adapters equal the
functions they wrap bitwise, the batched form follows the single-model recipe, and the check can fail."""
import copy
import dataclasses

import pytest
import torch

from unlearnkit import approximate as ap
from unlearnkit import data, derive_seed, exact, models, protocol as P, training
from unlearnkit.protocol import (METHODS, GradientConfig, Method, NegGradPlusConfig, NewtonConfig, RetrainConfig,
                                 SCRUBConfig, SISAConfig, UnlearnResult, check_unlearner)
from unlearnkit.training import TrainConfig

CHECKS = ["result", "input unchanged", "reproducible", "seed used", "global RNG untouched", "cost logged",
          "bad input refused"]


def _same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# ----------------------------------------------------------------------------- conformance
@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_registered_method_passes_the_conformance_check(name):
    done = check_unlearner(name, seed=1)
    expected = CHECKS if METHODS[name].draws else [c for c in CHECKS if c != "seed used"]
    if METHODS[name].batched is not None:      # the batched form is checked too (R2 review)
        expected = expected + [f"batched {c}" for c in expected]
    assert done == expected


def test_the_registry_holds_the_course_methods():
    assert {"finetune", "neggrad", "neggrad_plus", "random_labels", "scrub", "newton", "retrain", "sisa"} <= set(METHODS)
    assert all(issubclass(m.config_type, P.UnlearnConfig) and m.source for m in METHODS.values())
    assert [n for n, m in METHODS.items() if m.exact] == ["retrain", "sisa"]


# ----------------------------------------------------------------------------- adapters keep every seed
@pytest.mark.parametrize("name, fn, knobs", [
    ("finetune", ap.finetune, {}), ("neggrad", ap.neggrad, {}), ("random_labels", ap.random_labels, {}),
    ("neggrad_plus", ap.neggrad_plus, {"a": 0.7}),
    ("scrub", ap.scrub, {"max_epochs": 1, "alpha": 0.3, "gamma": 0.9, "temperature": 2.0}),
])
def test_gradient_adapters_equal_the_functions_they_wrap(name, fn, knobs):
    model, forget, retain, config = METHODS[name].example(3)
    config = dataclasses.replace(config, seed=17, **knobs)
    new, log = METHODS[name](model, forget, retain, config)
    ref, ref_log = fn(model, forget, retain, config.train, 17, **knobs)
    assert _same(new, ref) and log.grad_evals == ref_log.grad_evals and log.losses == ref_log.losses


def test_newton_adapter_equals_newton_removal():
    model, forget, retain, _ = METHODS["newton"].example(2)
    new, log = P.unlearn("newton", model, forget, retain, NewtonConfig(batch=2, gamma=0.5))
    ref, ref_log = ap.newton_removal(model, forget, retain, batch=2, gamma=0.5)
    assert torch.equal(new.coef_, ref.coef_) and new.residual_bound_ == ref.residual_bound_
    assert log.grad_evals == ref_log.grad_evals == len(forget) and log.steps == 3


def test_retrain_adapter_is_exact_retrain_with_seeds_derived_from_the_root():
    model, forget, retain, config = METHODS["retrain"].example(4)
    new, log = METHODS["retrain"](model, forget, retain, config)
    full = retain.concat(forget)
    ref, ref_log = exact.retrain(config.model_fn, full, forget.ids, config.train.replace(seed=derive_seed(4, "train")),
                                 init_seed=derive_seed(4, "init"))
    assert _same(new, ref) and log.grad_evals == ref_log.grad_evals
    # the example's original was built and trained from the same root: retraining differs only by the data
    twin = config.model_fn(derive_seed(4, "init"))
    training.fit(twin, retain, config.train.replace(seed=derive_seed(4, "train")))
    assert _same(new, twin)


def test_sisa_adapter_unlearns_a_copy_exactly():
    ens, forget, retain, config = METHODS["sisa"].example(5)
    new, log = METHODS["sisa"](ens, forget, retain, config)
    assert ens.removed.numel() == 0 and new.removed.tolist() == forget.ids.tolist()
    report = new.history[-1]
    assert log.grad_evals == report.grad_evals > 0 and log.extra["shards_retrained"] == len(report.shards_retrained)
    for s in report.shards_retrained:  # the definition of exact: bitwise the shard retrained from scratch
        assert _same(new.models[s], new.from_scratch(s))
    with pytest.raises(ValueError, match="retain must be"):
        METHODS["sisa"](ens, forget, retain.subset(retain.ids[:-1]), config)
    with pytest.raises(ValueError, match="does not train on"):
        METHODS["sisa"](new, forget, retain, config)  # already removed from the copy


# ----------------------------------------------------------------------------- the batched form
def test_batched_finetune_follows_the_single_model_recipe():
    d = data.make_blobs(60, centers=3, cluster_std=1.5, seed=0)
    masks = torch.rand(4, 60, generator=torch.Generator().manual_seed(0)) < 0.7
    train = TrainConfig(lr=0.1, batch_size=8, steps=10)
    many = training.fit_many(models.mlp(2, 3, 8), d, masks, train, seed=1)
    forget_masks = torch.zeros_like(masks)
    for i in range(4):
        forget_masks[i, masks[i].nonzero()[:2 + i, 0]] = True   # each model its own forget set
    before = {k: v.clone() for k, v in many.params.items()}
    config = GradientConfig(train=train, seed=9)
    new, log = METHODS["finetune"].batched(many, d, forget_masks, config)
    assert all(torch.equal(before[k], many.params[k]) for k in before)           # input unchanged
    again, _ = METHODS["finetune"].batched(many, d, forget_masks, config)
    assert all(torch.equal(new.params[k], again.params[k]) for k in new.params)  # reproducible
    assert torch.equal(new.masks, masks & ~forget_masks) and log.grad_evals == new.grad_evals > 0
    for i in range(4):
        ref, ref_log = METHODS["finetune"](many.model(i), d.where(forget_masks[i]), d.where(new.masks[i]),
                                           GradientConfig(train=train, seed=derive_seed(9, "model", i)))
        got = new.model(i)
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got.parameters(), ref.parameters()))
        assert log.extra["grad_evals_per_model"][i] == ref_log.grad_evals
    with pytest.raises(TypeError, match="forget_masks"):
        METHODS["finetune"].batched(many, d, forget_masks.int(), config)
    with pytest.raises(ValueError, match="not trained on"):
        METHODS["finetune"].batched(many, d, ~masks, config)
    with pytest.raises(TypeError, match="config"):
        METHODS["finetune"].batched(many, d, forget_masks, train)


# ----------------------------------------------------------------------------- the check can fail
def _variant(name, fn):
    base = METHODS["finetune"]
    return Method(name, fn, base.config_type, base.model_type, base.example)


def test_check_unlearner_catches_a_method_that_mutates_its_input():
    def in_place(model, forget, retain, config):
        training.fit(model, retain, config.train.replace(seed=config.seed))
        return model, training.TrainLog(grad_evals=1)
    with pytest.raises(AssertionError, match="'result'"):
        check_unlearner(_variant("in place", in_place))

    def mutates_copy_and_input(model, forget, retain, config):
        new = copy.deepcopy(model)
        with torch.no_grad():
            next(model.parameters()).add_(1.0)
        return new, training.TrainLog(grad_evals=1)
    with pytest.raises(AssertionError, match="input unchanged"):
        check_unlearner(_variant("mutates", mutates_copy_and_input))


def test_check_unlearner_catches_irreproducible_seedless_rng_reading_and_costless_methods():
    def global_rng(model, forget, retain, config):
        new = copy.deepcopy(model)
        with torch.no_grad():
            next(new.parameters()).add_(torch.randn(()))   # reads torch's global generator
        return new, training.TrainLog(grad_evals=1)
    with pytest.raises(AssertionError, match="reproducible"):
        check_unlearner(_variant("global rng", global_rng))

    def reseeds_global(model, forget, retain, config):
        torch.manual_seed(config.seed)                      # reproducible, but changes the caller's RNG
        new = copy.deepcopy(model)
        with torch.no_grad():
            next(new.parameters()).add_(torch.randn(()))
        return new, training.TrainLog(grad_evals=1)
    with pytest.raises(AssertionError, match="global RNG untouched"):
        check_unlearner(_variant("reseeds", reseeds_global))

    def ignores_seed(model, forget, retain, config):
        return ap.finetune(model, forget, retain, config.train, 0)
    with pytest.raises(AssertionError, match="seed used"):
        check_unlearner(_variant("seedless", ignores_seed))

    def free(model, forget, retain, config):
        new, log = ap.finetune(model, forget, retain, config.train, config.seed)
        return new, training.TrainLog(seconds=log.seconds)
    with pytest.raises(AssertionError, match="cost logged"):
        check_unlearner(_variant("free", free))

    def accepts_anything(model, forget, retain, config):
        return ap.finetune(model, forget, retain, config.train, config.seed) if isinstance(retain, data.Dataset) \
            and isinstance(forget, data.Dataset) else (copy.deepcopy(model), training.TrainLog(grad_evals=1))
    with pytest.raises(AssertionError, match="bad input refused"):
        check_unlearner(_variant("lax", accepts_anything))


# ----------------------------------------------------------------------------- registry and configs
def test_registry_functions_and_their_errors():
    model, forget, retain, config = METHODS["neggrad"].example(0)
    out = P.unlearn("neggrad", model, forget, retain, config)
    assert isinstance(out, UnlearnResult) and isinstance(out.model, torch.nn.Module)
    assert P.get("neggrad") is METHODS["neggrad"]
    with pytest.raises(ValueError, match="registered"):
        P.get("gradient_ascent")
    with pytest.raises(TypeError, match="name"):
        P.get(3)
    with pytest.raises(ValueError, match="already"):
        P.register(METHODS["neggrad"])
    with pytest.raises(TypeError, match="config_type"):
        P.register(Method("odd", METHODS["neggrad"].fn, TrainConfig, torch.nn.Module, METHODS["neggrad"].example))
    with pytest.raises(TypeError, match="NegGradPlusConfig"):  # another method's config is a wrong type
        METHODS["neggrad_plus"](model, forget, retain, config)
    with pytest.raises(TypeError, match="L2LinearModel"):
        METHODS["newton"](model, forget, retain, NewtonConfig())


@pytest.mark.parametrize("make, kind, text", [
    (lambda: GradientConfig(train=None), TypeError, "train"),
    (lambda: GradientConfig(seed=-1), ValueError, "seed"),
    (lambda: GradientConfig(seed=1.5), TypeError, "seed"),
    (lambda: NegGradPlusConfig(a=1.5), ValueError, "a must be"),
    (lambda: NegGradPlusConfig(a="0.5"), TypeError, "a must be"),
    (lambda: SCRUBConfig(train=TrainConfig(steps=3)), ValueError, "epochs"),
    (lambda: SCRUBConfig(temperature=0), ValueError, "temperature"),
    (lambda: NewtonConfig(batch=0), ValueError, "batch"),
    (lambda: NewtonConfig(batch=2.0), TypeError, "batch"),
    (lambda: RetrainConfig(), TypeError, "model_fn"),
])
def test_configs_refuse_bad_values_when_built(make, kind, text):
    with pytest.raises(kind, match=text):
        make()


def test_configs_are_frozen_and_hold_the_root_seed():
    c = GradientConfig(seed=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.seed = 4
    assert dataclasses.replace(c, seed=4).seed == 4 and SISAConfig().seed == 0
