"""Review (R2) of the unlearning contract: does ``check_unlearner`` check all of it, for every form?

Gaps found and closed: a method could change the forget or retain data in place, leave gradients or
frozen ``requires_grad`` flags on the input model, and the batched forms (``Method.batched``) were
not checked at all (``retrain``'s batched form accepted a data argument of the wrong type and forget
marks outside a model's training set).
"""
import pytest
import torch

from unlearnkit import approximate as ap
from unlearnkit import data, models, training
from unlearnkit.batched import ManyModels
from unlearnkit.protocol import METHODS, Method, RetrainConfig, UnlearnResult, check_unlearner

CHECKS = ["result", "input unchanged", "reproducible", "seed used", "global RNG untouched", "cost logged",
          "bad input refused"]


def _variant(name, fn=None, batched=None):
    base = METHODS["finetune"]
    return Method(name, fn or base.fn, base.config_type, base.model_type, base.example, batched=batched)


# ----------------------------------------------------------------------------- single form
def test_check_unlearner_catches_a_method_that_changes_the_forget_or_retain_data():
    def relabels_forget(model, forget, retain, config):
        forget.y[:] = (forget.y + 1) % 3            # in place: the caller's forget set is changed
        return ap.finetune(model, forget, retain, config.train, config.seed)
    with pytest.raises(AssertionError, match="input unchanged"):
        check_unlearner(_variant("relabels", relabels_forget))

    def scales_retain(model, forget, retain, config):
        new, log = ap.finetune(model, forget, retain, config.train, config.seed)
        retain.X.mul_(1.0 + 1e-7)
        return new, log
    with pytest.raises(AssertionError, match="input unchanged"):
        check_unlearner(_variant("scales", scales_retain))


def test_check_unlearner_catches_gradients_or_frozen_flags_left_on_the_input():
    def leaves_grads(model, forget, retain, config):
        new, log = ap.finetune(model, forget, retain, config.train, config.seed)
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(forget.X), forget.y).backward()   # writes the input's .grad
        return new, log
    with pytest.raises(AssertionError, match="input unchanged"):
        check_unlearner(_variant("grads", leaves_grads))

    def freezes(model, forget, retain, config):
        new, log = ap.finetune(model, forget, retain, config.train, config.seed)
        for p in model.parameters():
            p.requires_grad_(False)                   # the caller can no longer train its model
        return new, log
    with pytest.raises(AssertionError, match="input unchanged"):
        check_unlearner(_variant("freezes", freezes))


# ----------------------------------------------------------------------------- batched form
@pytest.mark.parametrize("name", sorted(n for n, m in METHODS.items() if m.batched is not None))
def test_check_unlearner_checks_the_batched_form_of_every_method_that_has_one(name):
    done = check_unlearner(name, seed=2)
    single = CHECKS if METHODS[name].draws else [c for c in CHECKS if c != "seed used"]
    assert done == single + [f"batched {c}" for c in single]


def _finetune_many(many, d, forget_masks, config):
    return METHODS["finetune"].batched(many, d, forget_masks, config)


def test_check_unlearner_catches_a_batched_form_that_breaks_the_contract():
    def in_place(many, d, forget_masks, config):
        new, log = _finetune_many(many, d, forget_masks, config)
        for k in many.params:
            many.params[k].copy_(new.params[k])      # the caller's models are overwritten
        return UnlearnResult(new, log)
    with pytest.raises(AssertionError, match="batched input unchanged"):
        check_unlearner(_variant("batched in place", batched=in_place))

    def same_object(many, d, forget_masks, config):
        _, log = _finetune_many(many, d, forget_masks, config)
        return UnlearnResult(many, log)                   # hands back the input itself
    with pytest.raises(AssertionError, match="batched result"):
        check_unlearner(_variant("batched same", batched=same_object))

    def global_rng(many, d, forget_masks, config):
        new, log = _finetune_many(many, d, forget_masks, config)
        torch.manual_seed(0)
        return UnlearnResult(new, log)
    with pytest.raises(AssertionError, match="batched global RNG untouched"):
        check_unlearner(_variant("batched rng", batched=global_rng))

    def lax(many, d, forget_masks, config):
        if isinstance(many, ManyModels) and isinstance(d, data.Dataset):
            return _finetune_many(many, d, forget_masks & many.masks, config)   # drops stray marks silently
        return _finetune_many(many, d, forget_masks, config)
    with pytest.raises(AssertionError, match="batched bad input refused"):
        check_unlearner(_variant("batched lax", batched=lax))


def test_batched_retrain_refuses_bad_data_and_stray_forget_marks():
    d = data.make_blobs(60, centers=3, cluster_std=1.5, seed=0)
    masks = torch.rand(3, 60, generator=torch.Generator().manual_seed(0)) < 0.7
    many = training.fit_many(models.mlp(2, 3, 8), d, masks, training.TrainConfig(lr=0.1, batch_size=8, steps=5), seed=1)
    config = RetrainConfig(model_fn=lambda s: models.mlp(2, 3, 8, seed=s),
                           train=training.TrainConfig(lr=0.1, batch_size=8, steps=5), seed=3)
    forget = torch.zeros_like(masks)
    forget[0, masks[0].nonzero()[:2, 0]] = True
    with pytest.raises(TypeError, match="data"):
        METHODS["retrain"].batched(many, list(range(60)), forget, config)
    stray = forget.clone()
    stray[1, (~masks[1]).nonzero()[0, 0]] = True
    with pytest.raises(ValueError, match="not trained on"):
        METHODS["retrain"].batched(many, d, stray, config)
    new, log = METHODS["retrain"].batched(many, d, forget, config)       # the right call still works
    assert torch.equal(new.masks, masks & ~forget) and log.grad_evals > 0
