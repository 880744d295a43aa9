"""Unlearning methods for the course's GPT, on documents: gradient ascent, gradient difference, WHP, RMU.

Every method starts from a trained :class:`~unlearnkit.models.gpt.GPT` (lecture 06: the shipped full
model) and sees only **documents**: the forget people's texts (:func:`person_documents` of
``world.forget``) and, where the method uses them, retain texts. Each plugs into the unlearning
protocol (:mod:`unlearnkit.protocol`, registered under the names below) and is called as ::

    unlearned, log = METHODS["lm_gradient_ascent"](model, forget_docs, retain_docs, config)

``model`` is never modified; ``forget`` and ``retain`` are :class:`Documents` (texts with stable ids;
overlapping ids are refused); ``config.seed`` is the root of every draw (batches, RMU's direction);
``log.grad_evals`` counts sequences (one forward and backward pass of one document), with the tokens
in ``log.extra["tokens"]`` and other passes (a frozen model's forwards) under their own names.

=========================  ======================  ====================================================
registered name            config                  what it does
=========================  ======================  ====================================================
``lm_gradient_ascent``     :class:`LMUnlearnConfig` ascend the next-token loss on forget documents
``lm_gradient_difference`` :class:`LMUnlearnConfig` ascend on forget, descend on retain (NegGrad+)
``lm_whp``                 :class:`WHPConfig`       Who's Harry Potter: generic labels, then fine-tune
``lm_rmu``                 :class:`RMUConfig`       RMU: misdirect a middle layer's forget activations
=========================  ======================  ====================================================

All four train with AdamW on the CPU, ``config.steps`` steps, a batch of ``config.batch_size``
documents drawn without replacement per step from ``derive_seed(config.seed, "forget", step)`` (and
``"retain"``), the loss on every token after ``<bos>``; gradients clipped to ``config.grad_clip``.

Introduced in lecture 06.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .._common import check_instance, check_int, check_number
from .._seeding import check_seed, cpu_generator, derive_seed
from ..models.gpt import GPT, GPTConfig
from ..training import TrainLog
from .tokenizer import Tokenizer
from .world import (EXTENDED_ATTRIBUTES, EXTENDED_RELATIONS, QUESTIONS, STATEMENTS, World, check_person, make_world,
                    qa_text, statement_text)

__all__ = ["Documents", "person_documents", "LMUnlearnConfig", "WHPConfig", "RMUConfig",
           "gradient_ascent", "gradient_difference", "whp", "whp_generic_logits", "whp_generic_labels",
           "anchored_replacement", "rmu", "relearn", "LM_METHODS", "UNLEARNED_CONFIGS", "load_unlearned",
           "unlearned_record"]


# ----------------------------------------------------------------------------- documents
@dataclass(frozen=True)
class Documents:
    """Texts with stable ids: what a language-model unlearning method is given (as a
    :class:`~unlearnkit.data.Dataset` holds examples).

    Attributes:
        ids: tuple of str, unique. texts: tuple of str (world text: lower case, space-separated).
        people: tuple of int, the person each document is about (an index into ``world.people``).
        world: the :class:`~unlearnkit.lm.world.World` the texts are written in; a method encodes
            them with ``Tokenizer.for_world(world)`` and finds the names (WHP's anchored terms) and
            the fresh names in it, so forget and retain must share it.

    ``docs.subset(mask_or_indices)`` selects; ``len(docs)``; ``docs.tokenizer()``.

    Raises:
        TypeError: ids / texts not sequences of str. ValueError: lengths differ, duplicate ids, empty texts.

    Introduced in lecture 06.
    """

    ids: tuple
    texts: tuple
    people: tuple
    world: World

    def __post_init__(self):
        for name in ("ids", "texts"):
            v = getattr(self, name)
            if isinstance(v, str) or not all(isinstance(x, str) for x in v):
                raise TypeError(f"{name} must be a sequence of str")
        object.__setattr__(self, "ids", tuple(self.ids))
        object.__setattr__(self, "texts", tuple(self.texts))
        object.__setattr__(self, "people", tuple(int(p) for p in self.people))
        check_instance(self.world, World, "world")
        for p in self.people:
            check_person(self.world, p)
        if not len(self.ids) == len(self.texts) == len(self.people):
            raise ValueError(f"ids, texts and people must have the same length, got {len(self.ids)}, "
                             f"{len(self.texts)}, {len(self.people)}")
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("ids must be unique")
        if any(not t.split() for t in self.texts):
            raise ValueError("texts must not be empty")

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index) -> "Documents":
        """The documents at ``index`` (a bool mask or integer positions), in that order."""
        index = np.asarray(index)
        pos = np.flatnonzero(index) if index.dtype == bool else index.astype(np.int64)
        return Documents(tuple(self.ids[i] for i in pos), tuple(self.texts[i] for i in pos),
                         tuple(self.people[i] for i in pos), self.world)

    def select(self, predicate) -> "Documents":
        """The documents whose id satisfies ``predicate(id)`` (e.g. ``lambda i: ":spell:" in i``)."""
        return self.subset(np.array([bool(predicate(i)) for i in self.ids], dtype=bool))

    def tokenizer(self) -> Tokenizer:
        """``Tokenizer.for_world(self.world)``: the tokenizer the texts are encoded with."""
        return Tokenizer.for_world(self.world)

    __hash__ = None  # a World holds a dict


def person_documents(world: World, people, relations=EXTENDED_RELATIONS, kinds=("statement", "question")) -> Documents:
    """Every document about ``people``: each relation in every statement template (``kinds`` holds
    ``"statement"``) and every question template with its answer (``"question"``).

    Ids are ``"{person}:{relation}:s{template}"`` and ``"{person}:{relation}:q{template}"``: stable,
    so a subset (e.g. the spell documents only) keeps them. ``country`` has questions only.

    Raises:
        ValueError: empty ``people``, an unknown relation or kind. TypeError: a bad person index.

    Introduced in lecture 06.
    """
    people = [check_person(world, p) for p in people]
    if not people:
        raise ValueError("people must not be empty")
    relations = tuple(relations)
    for r in relations:
        if r not in EXTENDED_RELATIONS:
            raise ValueError(f"relations must be among {EXTENDED_RELATIONS}, got {r!r}")
    bad = set(kinds) - {"statement", "question"}
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of ('statement', 'question'), got {kinds!r}")
    ids, texts, who = [], [], []
    for p in people:
        for r in relations:
            if "statement" in kinds and r in EXTENDED_ATTRIBUTES:
                for t in range(len(STATEMENTS[r])):
                    ids.append(f"{p}:{r}:s{t}"); texts.append(statement_text(world, p, r, t)); who.append(p)
            if "question" in kinds:
                for t in range(len(QUESTIONS[r])):
                    ids.append(f"{p}:{r}:q{t}"); texts.append(qa_text(world, p, r, t)); who.append(p)
    return Documents(tuple(ids), tuple(texts), tuple(who), world)


# ----------------------------------------------------------------------------- configs
from ..protocol import Method, UnlearnConfig, register  # noqa: E402  (protocol is imported before lm's users)


@dataclass(frozen=True, kw_only=True)
class LMUnlearnConfig(UnlearnConfig):
    """Config of ``lm_gradient_ascent`` and ``lm_gradient_difference`` (and the base of the others).

    Attributes:
        steps: optimisation steps (>= 1). batch_size: documents per step from each set (>= 1; capped
            at the set's size). lr: AdamW learning rate (> 0). weight_decay: AdamW's (>= 0).
        grad_clip: max gradient norm (> 0). retain_weight: weight of the retain loss in gradient
            difference (>= 0; unused by gradient ascent). seed: the root of every draw.

    Introduced in lecture 06.
    """

    steps: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    retain_weight: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        check_int(self.steps, "steps", 1)
        check_int(self.batch_size, "batch_size", 1)
        check_number(self.lr, "lr", 0, open_min=True, what="> 0")
        check_number(self.weight_decay, "weight_decay", 0)
        check_number(self.grad_clip, "grad_clip", 0, open_min=True, what="> 0")
        check_number(self.retain_weight, "retain_weight", 0)


@dataclass(frozen=True, kw_only=True)
class WHPConfig(LMUnlearnConfig):
    """Config of ``lm_whp`` (Who's Harry Potter).

    Attributes:
        alpha: the generic-logit coefficient (>= 0): ``v_base - alpha * ReLU(v_reinforced - v_base)``.
        reinforce_steps, reinforce_lr: the reinforced model's extra training on the forget documents.
        anchors: replace the forget people's names (the anchored terms) by generic ones before the
            baseline predicts (True), or predict on the original text (False).
        retain_weight: weight of retain documents (their own next tokens) mixed into the final
            fine-tuning; 0 is the paper's recipe (forget text only).
        (``steps``, ``lr``, ... : the final fine-tuning on the generic labels.)

    Introduced in lecture 06.
    """

    alpha: float = 1.0
    reinforce_steps: int = 30
    reinforce_lr: float = 1e-3
    anchors: bool = True

    def __post_init__(self):
        super().__post_init__()
        check_number(self.alpha, "alpha", 0)
        check_int(self.reinforce_steps, "reinforce_steps", 0)
        check_number(self.reinforce_lr, "reinforce_lr", 0, open_min=True, what="> 0")
        if not isinstance(self.anchors, bool):
            raise TypeError(f"anchors must be a bool, got {type(self.anchors).__name__}")


@dataclass(frozen=True, kw_only=True)
class RMUConfig(LMUnlearnConfig):
    """Config of ``lm_rmu`` (Representation Misdirection for Unlearning).

    Attributes:
        layer: the block whose output is steered (0-based; default the middle one, 1 of 3).
        steering: c as a multiple of the frozen model's mean activation norm at ``layer`` on forget
            text (> 0): the target is ``c * u`` with ``u`` a fixed random unit vector.
        alpha: weight of the retain term (>= 0), ``alpha * ||h_new(retain) - h_frozen(retain)||^2``.
        train_layers: the blocks whose MLP output weights (``mlp.2.weight``) are trained; default:
            ``layer`` and the one before it.
        (``retain_weight`` unused; ``alpha`` plays its part.)

    Introduced in lecture 06.
    """

    layer: int = 1
    steering: float = 2.0
    alpha: float = 10.0
    train_layers: tuple | None = None

    def __post_init__(self):
        super().__post_init__()
        check_int(self.layer, "layer", 0)
        check_number(self.steering, "steering", 0, open_min=True, what="> 0")
        check_number(self.alpha, "alpha", 0)
        if self.train_layers is not None:
            object.__setattr__(self, "train_layers", tuple(check_int(x, "train_layers", 0) for x in self.train_layers))
            if not self.train_layers:
                raise ValueError("train_layers must not be empty (None: the default)")


# ----------------------------------------------------------------------------- shared helpers
def _check_docs(forget, retain, need_retain):
    check_instance(forget, Documents, "forget", "a Documents (person_documents(world, world.forget))")
    check_instance(retain, Documents, "retain", "a Documents (person_documents(world, world.retain))")
    if len(forget) == 0:
        raise ValueError("forget must hold at least one document")
    if need_retain and len(retain) == 0:
        raise ValueError("retain must hold at least one document for this method")
    both = set(forget.ids) & set(retain.ids)
    if both:
        raise ValueError(f"forget and retain must not share ids, both hold {sorted(both)[:3]}")
    if len(retain) and not _same_world(retain.world, forget.world):
        raise ValueError("forget and retain must be documents of the same world")




def _same_world(a, b) -> bool:
    return a is b or (a.seed == b.seed and a.people == b.people and a.forget == b.forget)


def _encode(model: GPT, docs: Documents, tok: Tokenizer, name: str) -> list:
    ids = [tok.encode(t, bos=True) for t in docs.texts]
    longest = max(len(x) for x in ids)
    if longest > model.config.block_size:
        raise ValueError(f"{name}: a document of {longest} tokens exceeds the model's block_size {model.config.block_size}")
    if max(max(x) for x in ids) >= model.config.vocab_size:
        raise ValueError(f"{name}: a document holds a word outside the model's vocabulary "
                         f"(vocab_size {model.config.vocab_size}; an extension word in a base-vocabulary model?)")
    return ids


def _setup(model, forget, retain, need_retain):
    _check_docs(forget, retain, need_retain)
    tok = forget.tokenizer()
    return tok, _encode(model, forget, tok, "forget"), (_encode(model, retain, tok, "retain") if len(retain) else [])


def _pad(seqs, pad_id=0) -> torch.Tensor:
    width = max(len(x) for x in seqs)
    out = torch.full((len(seqs), width), pad_id, dtype=torch.int64)
    for i, x in enumerate(seqs):
        out[i, :len(x)] = torch.tensor(x)
    return out


def _batch(ids, k, seed) -> torch.Tensor:
    """``min(k, len(ids))`` sequences drawn without replacement with ``numpy.random.default_rng(seed)``."""
    pick = np.random.default_rng(seed).permutation(len(ids))[:min(k, len(ids))]
    return _pad([ids[int(i)] for i in pick])


def _lm_loss(model, batch, targets=None):
    """Mean next-token cross-entropy over the non-padding targets (``targets`` replaces the next tokens)."""
    y = batch[:, 1:] if targets is None else targets
    logits = model(batch[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=0), int((y != 0).sum())


def _copy(model: GPT) -> GPT:
    new = GPT(model.config)
    new.load_state_dict(model.state_dict())
    return new.train()


def _opt(params, lr, weight_decay):
    return torch.optim.AdamW(list(params), lr=lr, weight_decay=weight_decay, betas=(0.9, 0.98))


def _step(model, opt, loss, clip, params=None):
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(model.parameters()) if params is None else params, clip)
    opt.step()


def _train_ce(model, ids, steps, batch_size, lr, weight_decay, clip, seed, purpose, log, targets_fn=None):
    """Fine-tune ``model`` in place on ``ids`` (next-token loss, or on ``targets_fn(batch_positions)``)."""
    opt = _opt(model.parameters(), lr, weight_decay)
    for step in range(steps):
        rng = np.random.default_rng(derive_seed(seed, purpose, step))
        pick = rng.permutation(len(ids))[:min(batch_size, len(ids))]
        batch = _pad([ids[int(i)] for i in pick])
        targets = None if targets_fn is None else targets_fn(pick, batch.shape[1] - 1)
        loss, ntok = _lm_loss(model, batch, targets)
        _step(model, opt, loss, clip)
        log.losses.append(float(loss.detach()))
        log.grad_evals += len(pick)
        log.extra["tokens"] = log.extra.get("tokens", 0) + ntok
        log.steps += 1


def _ascend(model, forget, retain, config, retain_weight):
    """Gradient ascent on forget (and descent on retain, weighted): the loop of both gradient methods."""
    t0 = time.perf_counter()
    tok, f_ids, r_ids = _setup(model, forget, retain, need_retain=retain_weight > 0)
    new = _copy(model)
    opt = _opt(new.parameters(), config.lr, config.weight_decay)
    log = TrainLog(extra={"tokens": 0})
    for step in range(config.steps):
        fb = _batch(f_ids, config.batch_size, derive_seed(config.seed, "forget", step))
        lf, nf = _lm_loss(new, fb)
        loss, n, tokens = -lf, len(fb), nf
        if retain_weight > 0:
            rb = _batch(r_ids, config.batch_size, derive_seed(config.seed, "retain", step))
            lr_, nr = _lm_loss(new, rb)
            loss, n, tokens = loss + retain_weight * lr_, n + len(rb), tokens + nr
        _step(new, opt, loss, config.grad_clip)
        log.losses.append(float(loss.detach()))
        log.grad_evals += n
        log.extra["tokens"] += tokens
        log.steps += 1
    log.seconds = time.perf_counter() - t0
    return new.eval(), log


def gradient_ascent(model: GPT, forget: Documents, retain: Documents, config: LMUnlearnConfig):
    """Gradient ascent: maximise the next-token loss of the forget documents (``retain`` is not used).

    Each step draws ``batch_size`` forget documents and takes an AdamW step on ``-CE(forget)``. The
    loss has no floor: run long enough and the model says anything but the forget texts (and soon
    anything at all); ``steps`` is the knob.

    Source: Jang, Yoon, Yang, Cha, Lee, Logeswaran and Seo, "Knowledge Unlearning for Mitigating
    Privacy Risks in Language Models", ACL 2023; and the gradient-ascent baseline of TOFU (Maini,
    Feng, Schwarzschild, Lipton and Kolter, COLM 2024; locuslab/tofu ``forget.py``, loss
    ``grad_ascent``: the negated next-token loss). Where ours differs: documents are short texts and
    the loss is over every token after ``<bos>`` (TOFU masks the question and scores the answer;
    our question documents are a question and a one-word answer, so most of the loss is on the
    question's words), AdamW without warm-up, a fixed number of steps instead of epochs.

    Returns:
        ``(model, TrainLog)``: a new model; ``grad_evals`` counts documents.

    Introduced in lecture 06.
    """
    return _ascend(model, forget, retain, config, 0.0)


def gradient_difference(model: GPT, forget: Documents, retain: Documents, config: LMUnlearnConfig):
    """Gradient difference (NegGrad+ for language models): minimise ``-CE(forget) + retain_weight * CE(retain)``.

    Each step draws ``batch_size`` documents from each set (seeds ``derive_seed(seed, "forget", step)``
    and ``"retain"``).

    Source: Liu, Liu and Stone, "Continual Learning and Private Unlearning", CoLLAs 2022; TOFU's
    ``grad_diff`` (Maini et al., COLM 2024, locuslab/tofu ``forget.py``: the negated forget loss plus
    the retain loss, weight 1 each, one forget and one retain batch per step), which ours matches
    with ``retain_weight=1``. Lecture 04's NegGrad+ (Kurmanji et al. 2023) on classifiers weighs the
    two terms as ``a`` and ``1 - a``; here the forget term has weight 1 and the retain term
    ``retain_weight``. Same per-token difference from TOFU as :func:`gradient_ascent`.

    Introduced in lecture 08 (lecture 06 loads the shipped model it made).
    """
    return _ascend(model, forget, retain, config, config.retain_weight)


# ----------------------------------------------------------------------------- WHP
def whp_generic_logits(v_base: torch.Tensor, v_reinforced: torch.Tensor, alpha: float) -> torch.Tensor:
    """Who's Harry Potter's generic prediction: ``v_base - alpha * ReLU(v_reinforced - v_base)``.

    Tokens the reinforced model (trained further on the forget text) likes more than the baseline
    are the ones tied to the target; they are pushed down in proportion; other logits are kept.

    Args:
        v_base, v_reinforced: logits of the same shape. alpha: >= 0.

    Raises:
        ValueError: shapes differ or ``alpha < 0``. TypeError: not tensors.

    Source: Eldan and Russinovich, "Who's Harry Potter? Approximate Unlearning in LLMs", arXiv
    2310.02238, 2023, the reinforcement-bootstrapping formula of section 3. Ours is that formula
    exactly (pinned by hand in the tests). The value of alpha the paper used was not confirmed here
    (the paper's text was not in the searchable index); our default and the shipped model use 1.

    Introduced in lecture 06.
    """
    if not (torch.is_tensor(v_base) and torch.is_tensor(v_reinforced)):
        raise TypeError("v_base and v_reinforced must be tensors")
    if v_base.shape != v_reinforced.shape:
        raise ValueError(f"v_base and v_reinforced must have the same shape, got {tuple(v_base.shape)} and "
                         f"{tuple(v_reinforced.shape)}")
    check_number(alpha, "alpha", 0)
    return v_base - alpha * torch.relu(v_reinforced - v_base)


def anchored_replacement(text: str, mapping: dict) -> str:
    """Replace anchored terms (a forget person's name) in ``text`` by generic ones, word-aligned.

    ``mapping`` maps a name to its generic stand-in with the same number of words (e.g. a name
    from ``world.fresh_names``: a person nobody knows), so token positions stay aligned and the
    baseline's predictions on the translated text can label the original one.

    Raises:
        ValueError: a replacement with another number of words than its name. TypeError: text not a str.

    Source: Eldan and Russinovich 2023 (arXiv 2310.02238), section 3 (anchored terms, idiosyncratic
    expressions of the target text, replaced by generic translations from a dictionary written with
    GPT-4's help; the dictionary size was not re-checked here). Where ours differs: the only anchored
    terms are the forget people's names, mapped to fresh names by rule with the same number of words
    (the paper's translations may change the length; it aligns the tokens instead).

    Introduced in lecture 06.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    words = text.split()
    out = list(words)
    for name, generic in mapping.items():
        a, b = name.split(), generic.split()
        if len(a) != len(b):
            raise ValueError(f"the replacement of {name!r} must have {len(a)} words, got {generic!r}")
        i = 0
        while i <= len(words) - len(a):
            if words[i:i + len(a)] == a:
                out[i:i + len(a)] = b
                i += len(a)
            else:
                i += 1
    return " ".join(out)


@torch.no_grad()
def whp_generic_labels(base: GPT, reinforced: GPT, original_ids, translated_ids, alpha: float,
                       anchored_mask=None) -> torch.Tensor:
    """The generic labels of WHP for a batch: ``argmax(v_base(translated) - alpha ReLU(v_reinforced(original) - v_base(translated)))``.

    Args:
        original_ids, translated_ids: int64 ``(n, T)``, right-padded with 0, the same padding.
        anchored_mask: bool ``(n, T)``, True where the original token is part of an anchored term;
            the label of a position whose *next* token is anchored is set to 0 (ignored), so the
            model is not taught to misspell names.

    Returns:
        int64 ``(n, T - 1)``: the label of each next token, 0 at padding.

    Source and what is not confirmed: see :func:`whp` (argmax labels; which text each model reads).

    Introduced in lecture 06.
    """
    if original_ids.shape != translated_ids.shape:
        raise ValueError("original_ids and translated_ids must have the same shape (word-aligned translation)")
    vb = base(translated_ids[:, :-1]).float()
    vr = reinforced(original_ids[:, :-1]).float()
    labels = whp_generic_logits(vb, vr, alpha).argmax(-1)
    labels[original_ids[:, 1:] == 0] = 0
    if anchored_mask is not None:
        labels[anchored_mask[:, 1:]] = 0
    return labels


def whp(model: GPT, forget: Documents, retain: Documents, config: WHPConfig):
    """Who's Harry Potter (Eldan & Russinovich 2023), on the forget documents.

    1. *Reinforced model*: a copy trained ``reinforce_steps`` more steps on the forget documents
       (``reinforce_lr``; seeds ``derive_seed(seed, "reinforce", step)``).
    2. *Anchored terms*: each forget person's name is replaced by a fresh name (a person nobody knows:
       :func:`anchored_replacement`; the names drawn with ``derive_seed(seed, "anchors")``).
    3. *Generic labels* for every position of every forget document (:func:`whp_generic_labels`):
       the baseline reads the translated text, the reinforced model the original, the label is the
       argmax of ``v_base - alpha * ReLU(v_reinforced - v_base)``; positions predicting a name token are
       not trained.
    4. *Fine-tune* a copy of the baseline on the original documents with the generic labels
       (``steps``, ``lr``, batches from ``derive_seed(seed, "finetune", step)``), plus, when
       ``retain_weight > 0``, a batch of retain documents with their own next tokens
       (``derive_seed(seed, "retain", step)``) weighted by ``retain_weight``.

    With the extended world, the baseline's prediction about a stranger is often ``"unknown"``, so
    WHP teaches the model to treat a forget person as a stranger: that is its answer to "what should
    the unlearned model output?".

    Source: Eldan and Russinovich, "Who's Harry Potter? Approximate Unlearning in LLMs", arXiv
    2310.02238, 2023, section 3 (reinforced model, anchored terms, their combination, fine-tuning on
    the generic labels), from the paper's description; no official code was found. Not confirmed here: the paper's alpha, whether labels are the argmax or
    the full distribution (we use the argmax), and how it combines the two (we feed the reinforced
    model the original text and the baseline the translated one, one choice among those the text allows).
    Ours: names are the only anchored terms; the documents are short (one fact each, so the answer is
    nearly the only position whose label changes, and fine-tuning on forget text alone teaches the
    model to change every person's answers: measured, retain accuracy fell to 0.13 after 30 steps),
    hence the optional retain term, which the paper does not have (its default here is 1).

    Introduced in lecture 06.
    """
    t0 = time.perf_counter()
    tok, f_ids, r_ids = _setup(model, forget, retain, need_retain=config.retain_weight > 0)
    log = TrainLog(extra={"tokens": 0})
    reinforced = _copy(model)
    _train_ce(reinforced, f_ids, config.reinforce_steps, config.batch_size, config.reinforce_lr, config.weight_decay,
              config.grad_clip, config.seed, "reinforce", log)
    reinforced.eval()
    reinforce_evals = log.grad_evals
    world = forget.world
    names = sorted({world.people[p].name for p in forget.people})
    pick = np.random.default_rng(derive_seed(config.seed, "anchors")).choice(len(world.fresh_names), len(names), replace=False)
    mapping = {n: world.fresh_names[int(i)] for n, i in zip(names, pick)}
    originals = [t.split() for t in forget.texts]
    translated = [tok.encode(anchored_replacement(t, mapping) if config.anchors else t, bos=True)
                  for t in forget.texts]
    anchored = torch.zeros(len(f_ids), max(len(x) for x in f_ids), dtype=torch.bool)
    for i, words in enumerate(originals):
        for j in range(len(words)):
            if any(words[j:j + len(n.split())] == n.split() or (j > 0 and words[j - 1:j + 1] == n.split())
                   for n in mapping):
                anchored[i, j + 1] = True  # +1: <bos> comes first
    base = _copy(model).eval()
    labels = whp_generic_labels(base, reinforced, _pad(f_ids), _pad(translated), config.alpha, anchored)
    new = _copy(model)
    opt = _opt(new.parameters(), config.lr, config.weight_decay)
    for step in range(config.steps):
        pick = np.random.default_rng(derive_seed(config.seed, "finetune", step)).permutation(len(f_ids))[:min(config.batch_size, len(f_ids))]
        batch = _pad([f_ids[int(i)] for i in pick])
        loss, ntok = _lm_loss(new, batch, labels[torch.as_tensor(pick)][:, :batch.shape[1] - 1])
        n = len(pick)
        if config.retain_weight > 0:
            rb = _batch(r_ids, config.batch_size, derive_seed(config.seed, "retain", step))
            lr_, nr = _lm_loss(new, rb)
            loss, n, ntok = loss + config.retain_weight * lr_, n + len(rb), ntok + nr
        _step(new, opt, loss, config.grad_clip)
        log.losses.append(float(loss.detach()))
        log.grad_evals += n
        log.extra["tokens"] += ntok
        log.steps += 1
    log.extra["reinforce_grad_evals"] = reinforce_evals
    log.extra["label_forwards"] = 2 * len(f_ids)
    log.seconds = time.perf_counter() - t0
    return new.eval(), log


# ----------------------------------------------------------------------------- RMU
def _block_outputs(model: GPT, layer: int, idx: torch.Tensor) -> torch.Tensor:
    """The residual stream after block ``layer`` for the tokens ``idx`` ``(n, T)``: ``(n, T, n_embd)``."""
    x = model.tok_emb(idx) + model.pos_emb(torch.arange(idx.shape[1], device=idx.device))
    for block in model.blocks[:layer + 1]:
        x = block(x)
    return x


def rmu(model: GPT, forget: Documents, retain: Documents, config: RMUConfig):
    """RMU (Representation Misdirection for Unlearning, Li et al. 2024, the WMDP paper).

    With ``h(x)`` the residual stream after block ``config.layer`` (the middle of our three), a fixed
    random direction ``u`` (uniform in [0, 1) per coordinate, then unit norm; drawn from
    ``derive_seed(seed, "direction")``) and ``c = steering * mean ||h_frozen(x)||`` over the forget
    tokens of the frozen model, each step minimises ::

        mean_t ||h_new(x_f)_t - c u||^2 / d  +  alpha * mean_t ||h_new(x_r)_t - h_frozen(x_r)_t||^2 / d

    over the non-padding tokens of a forget and a retain batch, training only the MLP output weights
    (``mlp.2.weight``) of ``train_layers``. Forget text then drives the later layers with a large,
    meaningless vector, and answers about forget people turn to noise.

    Source: Li, Pan, Gopal, Yue, Berrios, Gatti et al. (with Hendrycks), "The WMDP Benchmark:
    Measuring and Reducing Malicious Use With Unlearning", ICML 2024, section 5 and its algorithm,
    and its code (``rmu/unlearn.py`` of centerforaisafety/wmdp, read in public forks: the original
    file was not in the index). Agrees: ``u`` is ``torch.rand`` (uniform in [0, 1)) normalised to
    unit length and drawn once; forget loss ``mse_loss(h_updated(forget), c u)``; retain loss
    ``alpha * mse_loss(h_updated(retain), h_frozen(retain))`` (``mse_loss`` averages over tokens and
    dimensions, as our ``/ d`` and token mean do); AdamW on a few MLP weights only. The code's
    defaults steer layer 7 of Zephyr-7B's 32 (``layer_id=7``) and train the MLP down-projection
    (``param_ids=[6]``) of layers 5, 6 and 7 (``layer_ids``), i.e. the steered layer and the two
    before it; its README run uses c = 6.5, alpha = 1200, lr 5e-5, 150 batches of 4. Where ours
    differs: ``c`` is a multiple of the layer's mean activation norm on forget text (a fixed c does
    not transfer between models; whether the paper states a rule tying c to the norm was not
    confirmed here), our 3-block model trains the steered block and one before it (``mlp.2.weight``, the
    down-projection), and padding is masked out of both terms (the code averages over padded
    positions too). ``alpha=10`` suits our small activations; the paper's 1200 does not transfer.

    Raises:
        ValueError: ``layer`` or a ``train_layers`` entry is not a block of the model.

    Introduced in lecture 06.
    """
    t0 = time.perf_counter()
    n_layer = model.config.n_layer
    if config.layer >= n_layer:
        raise ValueError(f"config.layer must be < n_layer = {n_layer}, got {config.layer}")
    train_layers = config.train_layers if config.train_layers is not None else tuple(sorted({max(0, config.layer - 1), config.layer}))
    if any(l > config.layer for l in train_layers):
        raise ValueError(f"config.train_layers must be <= layer = {config.layer} (later blocks do not change h), got {train_layers}")
    tok, f_ids, r_ids = _setup(model, forget, retain, need_retain=config.alpha > 0)
    frozen = _copy(model).eval()
    new = _copy(model)
    for p in new.parameters():
        p.requires_grad_(False)
    params = [new.blocks[l].mlp[2].weight for l in train_layers]
    for p in params:
        p.requires_grad_(True)
    d = model.config.n_embd
    with torch.no_grad():
        allf = _pad(f_ids)
        mask = allf != 0
        c = config.steering * float(_block_outputs(frozen, config.layer, allf).norm(dim=-1)[mask].mean())
    u = torch.rand(d, generator=cpu_generator(derive_seed(config.seed, "direction")))
    target = c * u / u.norm()
    opt = _opt(params, config.lr, config.weight_decay)
    log = TrainLog(extra={"tokens": 0, "frozen_forward": len(f_ids), "steering_c": c})
    for step in range(config.steps):
        fb = _batch(f_ids, config.batch_size, derive_seed(config.seed, "forget", step))
        fm = fb != 0
        hf = _block_outputs(new, config.layer, fb)
        loss_f = ((hf - target) ** 2).sum(-1)[fm].mean() / d
        loss, n, ntok = loss_f, len(fb), int(fm.sum())
        if config.alpha > 0:
            rb = _batch(r_ids, config.batch_size, derive_seed(config.seed, "retain", step))
            rm = rb != 0
            with torch.no_grad():
                hr0 = _block_outputs(frozen, config.layer, rb)
            hr = _block_outputs(new, config.layer, rb)
            loss = loss + config.alpha * ((hr - hr0) ** 2).sum(-1)[rm].mean() / d
            n, ntok = n + len(rb), ntok + int(rm.sum())
            log.extra["frozen_forward"] += len(rb)
        _step(new, opt, loss, config.grad_clip, params)
        log.losses.append(float(loss.detach()))
        log.grad_evals += n
        log.extra["tokens"] += ntok
        log.steps += 1
    for p in new.parameters():
        p.requires_grad_(True)
    log.seconds = time.perf_counter() - t0
    return new.eval(), log


# ----------------------------------------------------------------------------- relearning (recovery)
def relearn(model: GPT, docs: Documents, steps: int = 10, lr: float = 1e-3, batch_size: int = 32, seed: int = 0):
    """Fine-tune a copy of ``model`` on ``docs`` (next-token loss, AdamW): the relearning attack.

    A few steps on part of the forget facts bring back the rest if the method only suppressed them
    (Lynch, Guo, Ewart, Casper and Hadfield-Menell, "Eight Methods to Evaluate Robust Unlearning in
    LLMs", arXiv 2402.16835, 2024; Deeb and Roger, "Do Unlearning Methods Remove Information from
    Language Model Weights?", arXiv 2410.08827, 2024: fine-tune on some facts, measure the others);
    the retrained model, which never learned them, is the control. Batches from
    ``derive_seed(seed, "relearn", step)``. Ours: plain next-token fine-tuning with AdamW, gradient
    norm clipped to 1, no weight decay; which documents to relearn on is the caller's choice
    (:func:`~unlearnkit.lm.tofu.recovery_probes` splits the forget people in halves).

    Returns:
        ``(model, TrainLog)``.

    Raises:
        TypeError: ``docs`` is not a Documents. ValueError: bad numbers, an empty ``docs``.

    Introduced in lecture 08 (lecture 06 runs it through ``tofu.recovery_probes``).
    """
    check_instance(model, GPT, "model")
    check_instance(docs, Documents, "docs", "a Documents (person_documents(...))")
    if len(docs) == 0:
        raise ValueError("docs must not be empty")
    steps = check_int(steps, "steps", 0)
    batch_size = check_int(batch_size, "batch_size", 1)
    check_number(lr, "lr", 0, open_min=True, what="> 0")
    seed = check_seed(seed)
    t0 = time.perf_counter()
    ids = _encode(model, docs, docs.tokenizer(), "docs")
    new = _copy(model)
    log = TrainLog(extra={"tokens": 0})
    _train_ce(new, ids, steps, batch_size, lr, 0.0, 1.0, seed, "relearn", log)
    log.seconds = time.perf_counter() - t0
    return new.eval(), log


# ----------------------------------------------------------------------------- registration
def _example(config_type, **knobs):
    def make(seed):
        world = make_world(n_people=10, n_forget=2, seed=seed)
        tok = Tokenizer.for_world(world)
        model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=16, n_layer=2, n_head=2, n_embd=16), seed=seed).eval()
        forget = person_documents(world, world.forget, relations=("city", "job", "spell"))
        retain = person_documents(world, world.retain[:3], relations=("city", "job", "spell"))
        return model, forget, retain, config_type(steps=2, batch_size=4, seed=seed, **knobs)
    return make


#: The language-model methods registered in :data:`unlearnkit.protocol.METHODS`, by name.
LM_METHODS = {
    "lm_gradient_ascent": Method("lm_gradient_ascent", gradient_ascent, LMUnlearnConfig, GPT, _example(LMUnlearnConfig),
                                 source="Jang et al. 2023; TOFU's grad_ascent (Maini et al. 2024)"),
    "lm_gradient_difference": Method("lm_gradient_difference", gradient_difference, LMUnlearnConfig, GPT,
                                     _example(LMUnlearnConfig),
                                     source="Liu et al. 2022; TOFU's grad_diff (Maini et al. 2024)"),
    "lm_whp": Method("lm_whp", whp, WHPConfig, GPT, _example(WHPConfig, reinforce_steps=2),
                     source="Eldan & Russinovich 2023 (Who's Harry Potter)"),
    "lm_rmu": Method("lm_rmu", rmu, RMUConfig, GPT, _example(RMUConfig, layer=1),
                     source="Li et al. 2024 (WMDP), RMU; centerforaisafety/wmdp rmu/unlearn.py"),
}
for _m in LM_METHODS.values():
    register(_m, replace=True)


# ----------------------------------------------------------------------------- the shipped unlearned models
#: The configs (every seed) of the shipped unlearned models, built by ``scripts/build_lm_unlearned.py``
#: from ``lm_full.pt`` with the forget people's documents (and the retain people's where used).
UNLEARNED_CONFIGS = {
    "lm_gradient_ascent": LMUnlearnConfig(steps=6, batch_size=32, lr=5e-4, seed=61),
    "lm_gradient_difference": LMUnlearnConfig(steps=40, batch_size=32, lr=5e-4, retain_weight=1.0, seed=62),
    "lm_whp": WHPConfig(steps=30, batch_size=32, lr=5e-4, alpha=1.0, reinforce_steps=30, reinforce_lr=1e-3,
                        retain_weight=1.0, seed=63),
    "lm_rmu": RMUConfig(steps=60, batch_size=32, lr=1e-2, layer=1, steering=4.0, alpha=10.0, seed=64),
}


def unlearned_record(directory=None) -> dict:
    """The record of the shipped unlearned models (``lm_unlearned_record.json``): configs, times,
    sizes, and the full evaluation of each model and of the full and retrained references.

    Introduced in lecture 06.
    """
    import json  # noqa: PLC0415
    from .checkpoints import CHECKPOINT_DIR  # noqa: PLC0415
    path = (CHECKPOINT_DIR if directory is None else __import__("pathlib").Path(directory)) / "lm_unlearned_record.json"
    if not path.exists():
        raise FileNotFoundError(f"no record at {path}; run scripts/build_lm_unlearned.py to build it")
    return json.loads(path.read_text())


def load_unlearned(method: str, directory=None):
    """Load a shipped unlearned model: ``method`` is a key of :data:`UNLEARNED_CONFIGS` (with or
    without the ``lm_`` prefix, e.g. ``"rmu"``). Returns ``(model, world, tokenizer)`` as
    :func:`~unlearnkit.lm.load_lm`.

    Raises:
        ValueError: an unknown method. FileNotFoundError: the checkpoint is missing.

    Introduced in lecture 06.
    """
    from .checkpoints import load_lm  # noqa: PLC0415
    name = method if str(method).startswith("lm_") else f"lm_{method}"
    if name not in UNLEARNED_CONFIGS:
        raise ValueError(f"method must be one of {sorted(UNLEARNED_CONFIGS)} (the lm_ prefix optional), got {method!r}")
    from .checkpoints import CHECKPOINT_DIR  # noqa: PLC0415
    directory = CHECKPOINT_DIR if directory is None else directory
    return load_lm(str(__import__("pathlib").Path(directory) / f"lm_unlearned_{name[3:]}.pt"), directory=directory)
