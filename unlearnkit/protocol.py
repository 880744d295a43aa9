"""One contract for unlearning methods, a registry of them, and the check every registered method passes.

**The contract.** An unlearning method is called as ::

    unlearned, log = method(model, forget, retain, config)      # an UnlearnResult(model, log)

* ``model``: the trained model (a ``torch.nn.Module``; for :data:`METHODS` ``"sisa"`` a
  :class:`~unlearnkit.sisa.SISA` ensemble). It is **never modified**: the method works on a copy.
* ``forget`` (S) and ``retain`` (R = D \\ S): disjoint :class:`~unlearnkit.data.Dataset` objects.
* ``config``: a frozen dataclass of the method's own config type, holding every hyper-parameter
  and **every seed**: ``config.seed`` is the root of all the randomness of the call (one meaning of
  ``seed``, :mod:`unlearnkit._seeding`); the ``seed`` of the ``TrainConfig`` inside is not used.
  The same model, data and config give the same result, bitwise, on the CPU with the same thread
  count, and the caller's global random number generators are neither read nor changed.
* the result: a **new** model and a :class:`~unlearnkit.training.TrainLog` of the cost:
  ``grad_evals`` counts per-example forward and backward passes through the model being unlearned
  (one Newton-step gradient per removed point; SISA's retrained stages), other passes (a frozen
  teacher's forwards, Hessian terms, linear solves) are counted under their own names in
  ``log.extra``; ``log.seconds`` is the wall-clock time.
* bad input is refused before anything is computed, with one exception type per kind: ``TypeError``
  for a wrong type (a model of the wrong kind, a list where a Dataset belongs, another method's
  config), ``ValueError`` for a wrong value (overlapping or empty sets, a weight out of range).

**The methods** (:data:`METHODS`; each entry is a :class:`Method`, callable as above):

==================  ==========================  ======================================================
name                config                      what it wraps (bitwise the same result)
==================  ==========================  ======================================================
``finetune``        :class:`GradientConfig`     :func:`unlearnkit.approximate.finetune`
``neggrad``         :class:`GradientConfig`     :func:`unlearnkit.approximate.neggrad`
``neggrad_plus``    :class:`NegGradPlusConfig`  :func:`unlearnkit.approximate.neggrad_plus`
``random_labels``   :class:`GradientConfig`     :func:`unlearnkit.approximate.random_labels`
``scrub``           :class:`SCRUBConfig`        :func:`unlearnkit.approximate.scrub`
``newton``          :class:`NewtonConfig`       :func:`unlearnkit.approximate.newton_removal`
``retrain``         :class:`RetrainConfig`      :func:`unlearnkit.exact.retrain` (init and order seeds
                                                derived from ``config.seed``)
``sisa``            :class:`SISAConfig`         :meth:`unlearnkit.sisa.SISA.unlearn` on a copy of the
                                                ensemble
==================  ==========================  ======================================================

For the gradient methods, ``METHODS[name](model, S, R, Config(train=cfg, seed=s))`` equals
``approximate.<name>(model, S, R, cfg, seed=s)``: moving the seed into the config keeps every derived
seed. :func:`unlearnkit.metrics.compare_methods` can run them too (``lambda m, S, R, seed:
METHODS[name](m, S, R, replace(config, seed=seed))``).

**The conformance check.** :func:`check_unlearner` runs a method on its own tiny example (like
scikit-learn's ``check_estimator``) and asserts the contract: the input is not mutated, the result is
a new model that shares no tensor with the input, the same config gives a bitwise identical result,
another seed gives another result (unless the method draws nothing), the global RNGs are untouched,
the cost is logged, and bad input is refused with the right exception before anything changes. "Not
mutated" covers the model's weights, buffers, fitted attributes, gradients and ``requires_grad``
flags and the forget and retain data; a method with a batched form has that form checked the same way.
``tests/test_protocol.py`` runs it over every registered method, so a method registered later is
checked too.

**The batched form** (one method applied to many models at once, each with its own forget set:
the shadow models of lecture 05) is ``method.batched(many, data, forget_masks, config) ->
UnlearnResult(ManyModels, TrainLog)``: ``many`` a :class:`~unlearnkit.batched.ManyModels` trained by
:func:`~unlearnkit.batched.fit_many` on ``data``, ``forget_masks`` bool ``(m, n)`` with row ``i``
model ``i``'s forget set (within its training set); model ``i``'s retain set is the rest of its
training set. Model ``i`` follows the single-model recipe with the root ``derive_seed(config.seed,
"model", i)``, to float32 rounding: ``finetune`` (:func:`unlearnkit.approximate.finetune_many`;
every model takes the steps of the largest retain set when the config counts epochs), ``neggrad``,
``neggrad_plus``, ``random_labels`` (:func:`unlearnkit.approximate.neggrad_many` and its siblings,
each model with its own number of steps, through :func:`unlearnkit.batched.descend_many`, which
takes per-model rows, labels and weights) and ``retrain`` (each model re-initialised with
``model_fn(derive_seed(root_i, "init"))`` and trained on its retain set). ``scrub``, ``newton`` and
``sisa`` have no batched form.

**Language-model methods on documents** (lecture 06) plug in with the same four arguments: ``model``
a :class:`~unlearnkit.models.gpt.GPT`, ``forget`` and ``retain`` document sets (texts with stable ids,
as a Dataset holds examples), ``config`` a dataclass with an LM training config and the root seed.
``log.grad_evals`` then counts sequences (one sequence's forward and backward pass), with the tokens
in ``log.extra["tokens"]``. Registering such a method means giving :func:`register` its config type,
its model type and an ``example`` (a tiny world and GPT); :func:`check_unlearner` needs nothing else,
except that its overlap check runs only when S and R are Datasets.

Introduced in lecture 04 (used again in lecture 05; lecture 06 uses it for language models).
"""
from __future__ import annotations

import dataclasses
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
import torch
from torch import nn

from . import approximate, models
from . import data as _data
from ._common import (check_dataset, check_forget_retain, check_instance, check_int, check_number,
                      check_train_config)
from ._seeding import check_seed, derive_seed
from .batched import ManyModels, fit_many
from .data import Dataset
from .records import state_hash
from .sisa import SISA
from .training import TrainConfig, TrainLog, batch_order, fit

__all__ = [
    "UnlearnResult",
    "UnlearnConfig",
    "GradientConfig",
    "NegGradPlusConfig",
    "SCRUBConfig",
    "NewtonConfig",
    "RetrainConfig",
    "SISAConfig",
    "Method",
    "METHODS",
    "register",
    "get",
    "unlearn",
    "check_unlearner",
]


class UnlearnResult(NamedTuple):
    """What an unlearning method returns: ``(model, log)``, unpackable as a pair.

    Attributes:
        model: the unlearned model, a new object (the input is left as it was).
        log: a :class:`~unlearnkit.training.TrainLog`, the cost.

    Introduced in lecture 04.
    """

    model: Any
    log: TrainLog


# ----------------------------------------------------------------------------- configs
@dataclass(frozen=True, kw_only=True)
class UnlearnConfig:
    """The base of every method's config: ``seed``, the root of all the randomness of one call.

    Every child seed the method uses is ``derive_seed(seed, purpose)`` (documented per method); a
    method that draws nothing ignores it. Configs are frozen: ``dataclasses.replace(config, seed=1)``
    makes a variant.

    Raises:
        TypeError / ValueError: ``seed`` is not a non-negative integer.

    Introduced in lecture 04.
    """

    seed: int = 0

    def __post_init__(self):
        check_seed(self.seed, "seed")


def _default_train() -> TrainConfig:
    return TrainConfig(optimizer="sgd", lr=0.01, batch_size=64, epochs=1)


@dataclass(frozen=True, kw_only=True)
class GradientConfig(UnlearnConfig):
    """Config of ``finetune``, ``neggrad`` and ``random_labels``: how to train, and the root seed.

    Attributes:
        train: optimiser, learning rate, batch size, steps or epochs (a
            :class:`~unlearnkit.training.TrainConfig`; its own ``seed`` is not used).
        seed: the root; the orders (and random labels) come from it as in :mod:`unlearnkit.approximate`.

    Raises:
        TypeError: ``train`` is not a TrainConfig; a bad seed.  ValueError: a bad seed.

    Introduced in lecture 05 (the protocol itself in lecture 04).
    """

    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self):
        super().__post_init__()
        check_train_config(self.train, "train")


@dataclass(frozen=True, kw_only=True)
class NegGradPlusConfig(GradientConfig):
    """Config of ``neggrad_plus``: a :class:`GradientConfig` and ``a``, the weight of the retain term in [0, 1].

    Raises:
        TypeError: ``a`` is not a number.  ValueError: ``a`` outside [0, 1].

    Introduced in lecture 05 (the protocol itself in lecture 04).
    """

    a: float = 0.9

    def __post_init__(self):
        super().__post_init__()
        check_number(self.a, "a", 0.0, 1.0, what="in [0.0, 1.0]")


@dataclass(frozen=True, kw_only=True)
class SCRUBConfig(GradientConfig):
    """Config of ``scrub``: a :class:`GradientConfig` (``train`` must count epochs) and SCRUB's knobs.

    Attributes:
        max_epochs: epochs with a max-pass over S (>= 0).  alpha, gamma: KL and CE weights (>= 0).
        temperature: T > 0.  (Defaults as :func:`unlearnkit.approximate.scrub`.)

    Raises:
        TypeError: a knob of the wrong type.  ValueError: a knob out of range, or ``train`` counts steps.

    Introduced in lecture 04.
    """

    max_epochs: int = 2
    alpha: float = 0.5
    gamma: float = 1.0
    temperature: float = 4.0

    def __post_init__(self):
        super().__post_init__()
        if self.train.epochs is None:
            raise ValueError("SCRUB counts in epochs: give train=TrainConfig(epochs=...), not steps")
        check_int(self.max_epochs, "max_epochs", 0)
        check_number(self.alpha, "alpha", 0)
        check_number(self.gamma, "gamma", 0)
        check_number(self.temperature, "temperature", 0, open_min=True)


@dataclass(frozen=True, kw_only=True)
class NewtonConfig(UnlearnConfig):
    """Config of ``newton``: points per Newton step (``batch``, None = all at once) and the bound's ``gamma``.

    The step draws nothing: ``seed`` is not used.

    Raises:
        TypeError: ``batch`` not an integer or None, ``gamma`` not a number.  ValueError: out of range.

    Introduced in lecture 04.
    """

    batch: int | None = 1
    gamma: float = 0.25

    def __post_init__(self):
        super().__post_init__()
        if self.batch is not None:
            check_int(self.batch, "batch", 1)
        check_number(self.gamma, "gamma", 0)


@dataclass(frozen=True, kw_only=True)
class RetrainConfig(UnlearnConfig):
    """Config of ``retrain``: how to build and train the model from scratch on R, and the root seed.

    The fresh model is ``model_fn(derive_seed(seed, "init"))``, trained with
    ``train.replace(seed=derive_seed(seed, "train"))``: the convention of
    :func:`unlearnkit.metrics.compare_methods`, so with the root seed the original model was built
    and trained from, the retrained model differs from it only by the data.

    Attributes:
        model_fn: builds an untrained model from an int seed.  train: how to train (its seed unused).

    Raises:
        TypeError: ``model_fn`` not callable, ``train`` not a TrainConfig.

    Introduced in lecture 05 (the protocol itself in lecture 04).
    """

    model_fn: Callable[[int], nn.Module] | None = None
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self):
        super().__post_init__()
        if not callable(self.model_fn):
            raise TypeError(f"model_fn must be a callable seed -> nn.Module, got {type(self.model_fn).__name__}")
        check_train_config(self.train, "train")


@dataclass(frozen=True, kw_only=True)
class SISAConfig(UnlearnConfig):
    """Config of ``sisa``: nothing to choose. Every SISA seed was fixed when the ensemble was built
    (``ensemble.seed``): unlearning draws nothing new, so ``seed`` is not used.

    Introduced in lecture 04 (SISA itself in lecture 02).
    """


# ----------------------------------------------------------------------------- adapters
def _gradient(fn, **knobs):
    def run(model, forget, retain, config):
        kwargs = {k: getattr(config, k) for k in knobs}
        return fn(model, forget, retain, config.train, config.seed, **kwargs)
    return run


def _newton(model, forget, retain, config):
    return approximate.newton_removal(model, forget, retain, None, 0, batch=config.batch, gamma=config.gamma)


def _retrain(model, forget, retain, config):
    check_forget_retain(forget, retain)
    fresh = config.model_fn(derive_seed(config.seed, "init"))
    check_instance(fresh, nn.Module, "model_fn(seed)", "a torch.nn.Module")
    log = fit(fresh, retain, config.train.replace(seed=derive_seed(config.seed, "train")))
    return fresh, log


def _sisa(ensemble, forget, retain, config):
    check_forget_retain(forget, retain)
    current = ensemble.data.without(ensemble.removed) if ensemble.removed.numel() else ensemble.data
    have = set(current.ids.tolist())
    missing = [i for i in forget.ids.tolist() if i not in have]
    if missing:
        raise ValueError(f"forget holds ids the ensemble does not train on (now): {missing[:10]}")
    rest = have - set(forget.ids.tolist())
    if set(retain.ids.tolist()) != rest:
        raise ValueError("retain must be the ensemble's current training data without forget "
                         "(ensemble.data without ensemble.removed and without forget)")
    new = ensemble.copy()
    report = new.unlearn(forget.ids)
    logs = [new.stage_logs[s][r - 1] for s in report.shards_retrained for r in report.stages_retrained[s]]
    log = TrainLog(steps=sum(x.steps for x in logs), grad_evals=report.grad_evals,
                   losses=[v for x in logs for v in x.losses], seconds=report.seconds,
                   extra={"shards_retrained": len(report.shards_retrained),
                          "full_retrain_grad_evals": report.full_retrain_grad_evals})
    return new, log


def _finetune_many(many, data, forget_masks, config):
    check_instance(config, GradientConfig, "config")
    return UnlearnResult(*approximate.finetune_many(many, data, forget_masks, config.train, config.seed))


def _gradient_many(fn, config_type=GradientConfig, **knobs):
    def run(many, data, forget_masks, config):
        check_instance(config, config_type, "config", f"a {config_type.__name__}")
        kwargs = {k: getattr(config, k) for k in knobs}
        return UnlearnResult(*fn(many, data, forget_masks, config.train, config.seed, **kwargs))
    return run


def _retrain_many(many, data, forget_masks, config):
    """Retrain every model of ``many`` from scratch on its retain set, as :func:`_retrain` would one by one."""
    from torch.func import stack_module_state

    from .batched import BatchPart, descend_many

    check_instance(config, RetrainConfig, "config")
    check_instance(many, ManyModels, "many")
    check_dataset(data)
    if many.masks is None or many.data_ids is None or not torch.equal(many.data_ids, data.ids):
        raise ValueError("many must come from fit_many on data (its masks and data_ids name data's examples in order)")
    m, n = many.masks.shape
    if not isinstance(forget_masks, torch.Tensor) or forget_masks.dtype != torch.bool or forget_masks.shape != (m, n):
        raise TypeError(f"forget_masks must be a bool tensor of shape ({m}, {n}) (one row per model)")
    stray = (forget_masks.cpu() & ~many.masks).any(dim=1)
    if bool(stray.any()):   # as the other batched forms: a forget mark must name a training example
        raise ValueError(f"forget_masks row {int(stray.nonzero()[0])} marks examples its model was not trained on")
    retain_masks = many.masks & ~forget_masks.cpu()
    if bool((retain_masks.sum(dim=1) == 0).any()):
        raise ValueError("a model has an empty retain set: nothing to retrain on")
    roots = [derive_seed(config.seed, "model", i) for i in range(m)]
    nets = [config.model_fn(derive_seed(r, "init")) for r in roots]
    for net in nets:
        check_instance(net, nn.Module, "model_fn(seed)", "a torch.nn.Module")
    params, buffers = stack_module_state(nets)
    fresh = ManyModels(nets[0], params, buffers, data_ids=data.ids.clone())
    rows = [retain_masks[i].nonzero().flatten() for i in range(m)]
    orders = [batch_order(len(r), config.train.batch_size, config.train.num_steps(len(r)), derive_seed(root, "train"))
              for r, root in zip(rows, roots)]
    new = descend_many(fresh, data, [BatchPart(rows, [data.y[r] for r in rows], orders, [1.0] * m)], config.train)
    new.masks = retain_masks
    log = TrainLog(steps=new.steps, grad_evals=new.grad_evals, losses=torch.nanmean(new.losses, dim=1).tolist(),
                   seconds=new.seconds, extra={"grad_evals_per_model": new.grad_evals_per_model.tolist(),
                                               "steps_per_model": new.extra["steps_per_model"]})
    return UnlearnResult(new, log)


# ----------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Method:
    """A registered unlearning method: call it as ``method(model, forget, retain, config)``.

    Attributes:
        name: the registry key.
        fn: ``(model, forget, retain, config) -> (new_model, TrainLog)``; called after the model and
            config types are checked.
        config_type: the config dataclass it takes (a subclass of :class:`UnlearnConfig`).
        model_type: the type (or tuple of types) ``model`` must have.
        example: ``seed -> (model, forget, retain, config)``, a tiny case :func:`check_unlearner` runs.
        exact: True for exact unlearning (the result is the retrained model), False for approximate.
        draws: True if the method uses ``config.seed`` (False: deterministic, the seed is unused).
        batched: optional batched form ``(many, data, forget_masks, config) -> UnlearnResult``.
        source: where the method comes from.
        batched_example: ``seed -> (many, data, forget_masks, config)``, the tiny case
            :func:`check_unlearner` runs the batched form on (default, for classifiers: four MLPs
            from :func:`~unlearnkit.batched.fit_many` on a 3-class blob problem, each with its own
            forget set, and the config of ``example(seed)``).

    Raises (when called):
        TypeError: ``model`` or ``config`` of the wrong type (before anything runs); then whatever the
            method raises for bad data.

    Introduced in lecture 04.
    """

    name: str
    fn: Callable
    config_type: type
    model_type: Any
    example: Callable
    exact: bool = False
    draws: bool = True
    batched: Callable | None = None
    source: str = ""
    batched_example: Callable | None = None

    def __call__(self, model, forget, retain, config) -> UnlearnResult:
        what = self.model_type.__name__ if isinstance(self.model_type, type) else None
        check_instance(model, self.model_type, "model", f"a {what}" if what else None)
        check_instance(config, self.config_type, "config", f"a {self.config_type.__name__} (the {self.name} config)")
        new, log = self.fn(model, forget, retain, config)
        return UnlearnResult(new, log)


#: The registered methods, by name (see the table in the module docstring).
METHODS: dict[str, Method] = {}


def register(method: Method, *, replace: bool = False) -> Method:
    """Add ``method`` to :data:`METHODS` (and so to the conformance test); returns it.

    Raises:
        TypeError: ``method`` is not a Method, or its config type does not derive from UnlearnConfig.
        ValueError: the name is taken (pass ``replace=True`` to replace it).

    Introduced in lecture 04.
    """
    check_instance(method, Method, "method")
    if not (isinstance(method.config_type, type) and issubclass(method.config_type, UnlearnConfig)):
        raise TypeError(f"method.config_type must be a subclass of UnlearnConfig, got {method.config_type!r}")
    if method.name in METHODS and not replace:
        raise ValueError(f"a method named {method.name!r} is registered already (replace=True replaces it)")
    METHODS[method.name] = method
    return method


def get(name: str) -> Method:
    """The registered method called ``name``.

    Raises:
        TypeError: ``name`` is not a str.  ValueError: no such method (the message lists them).

    Introduced in lecture 05 (the protocol itself in lecture 04).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in METHODS:
        raise ValueError(f"no unlearning method named {name!r}; registered: {sorted(METHODS)}")
    return METHODS[name]


def unlearn(method, model, forget, retain, config) -> UnlearnResult:
    """Run ``method`` (a :class:`Method` or a registered name) on ``(model, forget, retain, config)``.

    Raises:
        as :func:`get` and the method.

    Introduced in lecture 04.
    """
    m = method if isinstance(method, Method) else get(method)
    return m(model, forget, retain, config)


# ----------------------------------------------------------------------------- examples
def _classifier_case(seed: int):
    """A 3-class blob problem, an MLP trained briefly, and a forget set of 10 examples."""
    d = _data.make_blobs(90, centers=3, cluster_std=1.5, seed=seed)
    model = models.mlp(2, 3, 8, seed=derive_seed(seed, "init"))
    fit(model, d, TrainConfig(lr=0.1, batch_size=16, epochs=3, seed=derive_seed(seed, "train")))
    forget_ids = d.ids[:10]
    return model, d.subset(forget_ids), d.without(forget_ids)


_UNLEARN_TRAIN = TrainConfig(optimizer="sgd", lr=0.05, batch_size=8, epochs=1)


def _example(config_type, **knobs):
    def make(seed):
        model, forget, retain = _classifier_case(seed)
        return model, forget, retain, config_type(train=_UNLEARN_TRAIN, seed=seed, **knobs)
    return make


def _newton_example(seed):
    d = _data.make_blobs(60, centers=2, cluster_std=1.5, seed=seed)
    model = models.L2LinearModel(lam=0.1).fit(d)
    return model, d.subset(d.ids[:5]), d.without(d.ids[:5]), NewtonConfig(seed=seed)


def _small_mlp(seed):
    return models.mlp(2, 3, 8, seed=seed)


def _retrain_example(seed):
    model, forget, retain = _classifier_case(seed)
    return model, forget, retain, RetrainConfig(model_fn=_small_mlp, train=_UNLEARN_TRAIN, seed=seed)


def _sisa_example(seed):
    d = _data.make_blobs(60, centers=3, cluster_std=1.5, seed=seed)
    ens = SISA(d, _small_mlp, TrainConfig(lr=0.05, batch_size=8, epochs=2), n_shards=2, n_slices=2, seed=seed)
    forget_ids = d.ids[:3]
    return ens, d.subset(forget_ids), d.without(forget_ids), SISAConfig(seed=seed)


def _many_example(method: Method, seed: int):
    """Four small MLPs trained by fit_many on 70% subsets of 3-class blobs, each with 10 forget examples
    of its own; the config is the one of ``method.example(seed)``."""
    d = _data.make_blobs(90, centers=3, cluster_std=1.5, seed=seed)
    masks = torch.rand(4, len(d), generator=torch.Generator().manual_seed(derive_seed(seed, "masks"))) < 0.7
    many = fit_many(models.mlp(2, 3, 8), d, masks, TrainConfig(lr=0.1, batch_size=16, epochs=3),
                    seed=derive_seed(seed, "train"))
    forget_masks = torch.zeros_like(masks)
    for i in range(masks.shape[0]):
        forget_masks[i, masks[i].nonzero()[i:i + 10, 0]] = True   # 10, as the single example: more than a batch
    return many, d, forget_masks, method.example(seed)[3]


register(Method("finetune", _gradient(approximate.finetune), GradientConfig, nn.Module, _example(GradientConfig),
                batched=_finetune_many, source="baseline"))
register(Method("neggrad", _gradient(approximate.neggrad), GradientConfig, nn.Module, _example(GradientConfig),
                batched=_gradient_many(approximate.neggrad_many), source="baseline (gradient ascent on S)"))
register(Method("neggrad_plus", _gradient(approximate.neggrad_plus, a=None), NegGradPlusConfig, nn.Module,
                _example(NegGradPlusConfig, a=0.8), batched=_gradient_many(approximate.neggrad_plus_many, NegGradPlusConfig, a=None),
                source="Kurmanji et al., NeurIPS 2023"))
register(Method("random_labels", _gradient(approximate.random_labels), GradientConfig, nn.Module,
                _example(GradientConfig), batched=_gradient_many(approximate.random_labels_many),
                source="Graves, Nagisetty & Ganesh, AAAI 2021"))
register(Method("scrub", _gradient(approximate.scrub, max_epochs=None, alpha=None, gamma=None, temperature=None),
                SCRUBConfig, nn.Module, _example(SCRUBConfig, max_epochs=1), source="Kurmanji et al., NeurIPS 2023"))
register(Method("newton", _newton, NewtonConfig, models.L2LinearModel, _newton_example, draws=False,
                source="Guo, Goldstein, Hannun & van der Maaten, ICML 2020"))
register(Method("retrain", _retrain, RetrainConfig, nn.Module, _retrain_example, exact=True, batched=_retrain_many,
                source="retraining from scratch (the gold standard)"))
register(Method("sisa", _sisa, SISAConfig, SISA, _sisa_example, exact=True, draws=False,
                source="Bourtoule et al., IEEE S&P 2021"))


# ----------------------------------------------------------------------------- the conformance check
def _fingerprint(obj) -> str:
    """SHA-256 of everything that makes up a model, an L2LinearModel's fitted state, a ManyModels or a SISA."""
    h = hashlib.sha256()

    def add(value):
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous()
            h.update(f"{t.dtype}{tuple(t.shape)}".encode() + t.numpy().tobytes())
        elif isinstance(value, dict):
            for k in sorted(value, key=str):
                h.update(str(k).encode())
                add(value[k])
        elif isinstance(value, (list, tuple)):
            for v in value:
                add(v)
        else:
            h.update(repr(value).encode())

    if isinstance(obj, SISA):
        for s in range(obj.n_shards):
            add(state_hash(obj.models[s]))
            add(obj.checkpoints[s])
        add(obj.removed)
        add(len(obj.history))
    elif isinstance(obj, ManyModels):
        add(obj.params)
        add(obj.buffers)
        add(obj.masks)
        add(obj.data_ids)
        add(state_hash(obj.template))
    elif isinstance(obj, nn.Module):
        add(state_hash(obj))
        add(obj.training)
        add({k: v for k, v in vars(obj).items() if not k.startswith("_") and k != "training"})
        for name, p in obj.named_parameters():   # gradients and frozen flags left on the input count too
            add(name)
            add(p.requires_grad)
            add("no grad" if p.grad is None else p.grad)
    elif isinstance(obj, Dataset):
        add([obj.X, obj.y, obj.ids, obj.tags, obj.num_classes])
    elif isinstance(obj, torch.Tensor):
        add(obj)
    else:
        raise TypeError(f"cannot fingerprint a {type(obj).__name__}")
    return h.hexdigest()


def _storages(obj) -> set:
    if isinstance(obj, SISA):
        return set().union(*(_storages(m) for m in obj.models))
    if isinstance(obj, ManyModels):
        tensors = list(obj.params.values()) + list(obj.buffers.values()) + [obj.masks]
        return {t.untyped_storage().data_ptr() for t in tensors if isinstance(t, torch.Tensor) and t.numel()}
    if isinstance(obj, nn.Module):
        return {t.untyped_storage().data_ptr() for t in obj.state_dict().values() if t.numel()}
    return set()


def _rng_state():
    return (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())


def _same_rng(a, b) -> bool:
    return torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


def _inputs_fingerprint(*objs) -> str:
    """One fingerprint of everything a call receives (objects that cannot be fingerprinted are skipped)."""
    parts = []
    for obj in objs:
        try:
            parts.append(_fingerprint(obj))
        except TypeError:
            parts.append(type(obj).__name__)
    return "|".join(parts)


def _log_summary(log) -> str:
    """The log as text (so that NaN losses compare equal to NaN losses), seconds left out."""
    extra = {k: (v.tolist() if isinstance(v, torch.Tensor) else v) for k, v in log.extra.items()}
    return repr((log.steps, log.grad_evals, [float(x) for x in log.losses], sorted(extra.items(), key=lambda kv: kv[0])))


def _contract_checks(name, prefix, call, args, draws, seed, bad):
    """The contract's checks on one form of a method: ``call(*args)``, ``args = (model, ..., config)``.

    ``bad`` lists ``(what, bad_args, exception type)``. Returns the names of the checks that ran.
    """
    model, config, received = args[0], args[-1], args[:-1]
    done = []

    def ensure(ok, check, detail=""):
        if not ok:
            raise AssertionError(f"{name}: check '{prefix}{check}' failed{': ' + detail if detail else ''}")

    before, rng = _inputs_fingerprint(*received), _rng_state()
    out = call(*args)
    ensure(isinstance(out, UnlearnResult), "result", f"returned a {type(out).__name__}, not an UnlearnResult")
    new, log = out
    ensure(new is not model and type(new) is type(model), "result", "the unlearned model must be a new object of the input's type")
    ensure(not (_storages(new) & _storages(model)), "result", "the unlearned model shares tensors with the input")
    done.append(prefix + "result")
    ensure(_inputs_fingerprint(*received) == before, "input unchanged",
           "the input model (weights, buffers, gradients, flags) or the data it was given was modified")
    done.append(prefix + "input unchanged")
    again = call(*args)
    ensure(_fingerprint(again.model) == _fingerprint(new), "reproducible", "the same config gave another model")
    ensure(_log_summary(again.log) == _log_summary(log), "reproducible", "the same config gave another log")
    done.append(prefix + "reproducible")
    if draws:
        other = call(*received, dataclasses.replace(config, seed=derive_seed(seed, "another")))
        ensure(_fingerprint(other.model) != _fingerprint(new), "seed used", "another config.seed gave the same model")
        done.append(prefix + "seed used")
    ensure(_same_rng(rng, _rng_state()), "global RNG untouched", "a global random number generator was read or changed")
    done.append(prefix + "global RNG untouched")
    ensure(isinstance(log, TrainLog), "cost logged", f"the log is a {type(log).__name__}, not a TrainLog")
    ensure(isinstance(log.grad_evals, int) and log.grad_evals > 0, "cost logged", f"grad_evals = {log.grad_evals!r}")
    ensure(isinstance(log.steps, int) and log.steps >= 0, "cost logged", f"steps = {log.steps!r}")
    ensure(np.isfinite(log.seconds) and log.seconds >= 0, "cost logged", f"seconds = {log.seconds!r}")
    done.append(prefix + "cost logged")
    for what, bad_args, kind in bad:
        try:
            call(*bad_args)
        except kind:
            pass
        except Exception as err:  # noqa: BLE001 - the wrong kind of exception is what this reports
            raise AssertionError(f"{name}: check '{prefix}bad input refused' failed: bad {what} raised "
                                 f"{type(err).__name__} ({err}), expected {kind.__name__}") from err
        else:
            raise AssertionError(f"{name}: check '{prefix}bad input refused' failed: bad {what} was accepted")
        ensure(_inputs_fingerprint(*received) == before, "bad input refused", f"a refused call (bad {what}) changed the input")
    done.append(prefix + "bad input refused")
    return done


def check_unlearner(method, seed: int = 0) -> list[str]:
    """Check that a method honours the unlearning contract, on its own tiny example (as scikit-learn's ``check_estimator``).

    Runs ``method.example(seed)`` and asserts, in order:

    1. ``result``: the call returns an :class:`UnlearnResult` whose model is a new object of the
       input's type that shares no tensor storage with the input;
    2. ``input unchanged``: the input model (weights, buffers, training flag, fitted attributes, and
       each parameter's ``requires_grad`` and ``.grad``; a SISA ensemble's models, checkpoints and
       history) and the forget and retain data (every tensor of a Dataset) are bitwise as before;
    3. ``reproducible``: a second call with the same config gives a bitwise identical model and log;
    4. ``seed used``: a config with another seed gives another model (skipped when ``method.draws``
       is False: the method draws nothing);
    5. ``global RNG untouched``: torch's, numpy's and Python's global generators are as before;
    6. ``cost logged``: a :class:`~unlearnkit.training.TrainLog` with ``grad_evals > 0``,
       ``steps >= 0`` and finite ``seconds >= 0``;
    7. ``bad input refused``: a wrong model, forget, retain or config type raises ``TypeError``;
       overlapping forget and retain sets (when they are Datasets) raise ``ValueError``; after each
       refusal the input is unchanged.

    Then, if the method has a batched form (``method.batched``), the same seven checks on it, named
    ``"batched result"`` and so on, on ``method.batched_example(seed)`` (default: four small MLPs
    from :func:`~unlearnkit.batched.fit_many`, each with its own forget set): the input ManyModels,
    the data and the forget masks unchanged; bad input is a non-ManyModels, a data argument that is
    not a Dataset, integer forget masks or another config type (``TypeError``), and a forget mark
    outside a model's training set (``ValueError``).

    Args:
        method: a :class:`Method` or a registered name.
        seed: the example's seed.

    Returns:
        the names of the checks that ran, in order.

    Raises:
        AssertionError: naming the method and the check that failed.

    Introduced in lecture 04.
    """
    m = method if isinstance(method, Method) else get(method)
    seed = check_seed(seed)
    model, forget, retain, config = m.example(seed)
    bad = [("model", (object(), forget, retain, config), TypeError),
           ("forget", (model, list(range(3)), retain, config), TypeError),
           ("retain", (model, forget, "retain", config), TypeError),
           ("config", (model, forget, retain, TrainConfig()), TypeError)]
    if isinstance(forget, Dataset) and isinstance(retain, Dataset):
        bad.append(("overlap", (model, forget, retain.concat(forget) if set(forget.tags) == set(retain.tags)
                                else forget, config), ValueError))
    done = _contract_checks(m.name, "", m, (model, forget, retain, config), m.draws, seed, bad)
    if m.batched is None:
        return done
    many, d, forget_masks, config = (m.batched_example or (lambda s: _many_example(m, s)))(seed)
    bad = [("many", (object(), d, forget_masks, config), TypeError),
           ("data", (many, list(range(3)), forget_masks, config), TypeError),
           ("forget_masks", (many, d, forget_masks.int(), config), TypeError),
           ("config", (many, d, forget_masks, TrainConfig()), TypeError)]
    outside = (~many.masks).nonzero()
    if outside.numel():
        stray = forget_masks.clone()
        stray[outside[0, 0], outside[0, 1]] = True
        bad.append(("forget mark outside a training set", (many, d, stray, config), ValueError))
    return done + _contract_checks(m.name, "batched ", m.batched, (many, d, forget_masks, config), m.draws, seed, bad)
