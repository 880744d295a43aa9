"""Training the GPT on a world: the data stream (:func:`training_batch`) and the loop (:func:`train_lm`).

:func:`train_lm` teaches two things at once: the facts about the training people (closed-book), and
reading from its context: some training sequences state facts about a new, unseen name and then ask
about them, so the model learns to answer from its prompt and to compose a stated fact with world
knowledge it holds (city stated, country asked). With ``p_update > 0`` some sequences also restate a
known person's fact with a new value, so that the context wins over memory when they disagree (the
shipped checkpoints get this in a second training phase).

Introduced in lecture 07 (the shipped checkpoints are made by ``scripts/train_lm.py``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .._common import check_int, check_number, model_device
from .._seeding import check_seed, derive_seed
from .._seeding import device as default_device
from ..models.gpt import GPT, GPTConfig
from .tokenizer import Tokenizer
from .world import (ATTRIBUTES, EXTENDED_ATTRIBUTES, EXTENDED_RELATIONS, QUESTIONS, RELATIONS, STATEMENTS, UNKNOWN, World,
                    pick_template, qa_text, statement_text)

__all__ = ["LMTrainConfig", "training_batch", "train_lm", "extend_vocabulary"]


@dataclass(frozen=True)
class LMTrainConfig:
    """How :func:`train_lm` trains.

    Attributes:
        steps: optimisation steps. batch_size: sequences per step (each ``block_size`` tokens).
        lr: peak AdamW learning rate (linear warm-up over ``warmup`` steps, cosine decay to lr/10).
        weight_decay: AdamW weight decay. grad_clip: max gradient norm.
        p_context: share of sequences that teach reading from the context (a fresh name's facts are
            stated, then asked); the rest are closed-book facts about the training people.
        p_update: share of sequences that open with an *update*: a training person's fact restated
            with a new value, then asked (the answer is the new value), and sometimes another of their
            facts asked (the answer is the remembered one). It teaches what large language models do
            with text in their prompt: the context wins over memory when the two disagree.
        p_unknown: share of sequences that open with an *unknown* episode (needs ``extended``): a
            question about a name nobody was told about, answered ``"unknown"``; or a fresh name's
            fact stated, that fact asked (answered from the context) and another one asked
            (``"unknown"``: it was not stated).
        extended: train on the extended world (:data:`~unlearnkit.lm.world.EXTENDED_RELATIONS`: the
            hazardous ``spell`` joins the facts, questions and context episodes) with the extended
            vocabulary; False is the base stream of the first two training phases.
        hazard_boost: with ``extended``, the probability that a closed-book document is forced to be
            about the spell (the hazardous fact; otherwise one relation in seven); 0 leaves the stream as is.
        seed: seeds the data stream (each step's batch comes from ``derive_seed(seed, "batch", step)``).

    Introduced in lecture 07.
    """

    steps: int = 3000
    batch_size: int = 64
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    p_context: float = 0.5
    p_update: float = 0.0
    p_unknown: float = 0.0
    extended: bool = False
    hazard_boost: float = 0.0
    seed: int = 0

    def __post_init__(self):
        check_int(self.steps, "steps", 0)
        check_int(self.batch_size, "batch_size", 1)
        check_int(self.warmup, "warmup", 0)
        check_number(self.lr, "lr", 0, open_min=True, what="> 0")
        check_number(self.p_context, "p_context", 0, 1, what="in [0, 1]")
        check_number(self.p_update, "p_update", 0, 1 - self.p_context, what="in [0, 1 - p_context]")
        check_number(self.p_unknown, "p_unknown", 0, 1 - self.p_context - self.p_update,
                     what="in [0, 1 - p_context - p_update]")
        if not isinstance(self.extended, bool):
            raise TypeError(f"extended must be a bool, got {type(self.extended).__name__}")
        check_number(self.hazard_boost, "hazard_boost", 0, 1, what="in [0, 1]")
        if (self.p_unknown > 0 or self.hazard_boost > 0) and not self.extended:
            raise ValueError("p_unknown > 0 and hazard_boost > 0 need extended=True (their words are in the extension)")
        check_seed(self.seed)


def _closed_book_doc(world, rng, people, extended=False, hazard_boost=0.0):
    """One document about a random training person (or a world fact)."""
    if rng.random() < 0.08:
        city = list(world.countries)[rng.integers(len(world.countries))]
        if rng.random() < 0.5:
            return STATEMENTS["world"][int(rng.integers(2))].format(n=city, v=world.countries[city])
        return f"{QUESTIONS['world'][int(rng.integers(2))].format(n=city)} {world.countries[city]} ."
    person = int(people[rng.integers(len(people))])
    relations = EXTENDED_RELATIONS if extended else RELATIONS
    relation = relations[rng.integers(len(relations))]
    if hazard_boost > 0 and rng.random() < hazard_boost:
        relation = "spell"
    if relation != "country" and rng.random() < 0.4:
        return statement_text(world, person, relation, int(rng.integers(len(STATEMENTS[relation]))))
    return qa_text(world, person, relation, int(rng.integers(len(QUESTIONS[relation]))))


def _context_episode(world, rng, people, extended=False):
    """Facts about a fresh (unseen) name, distractors, then questions answered from those facts."""
    attributes = EXTENDED_ATTRIBUTES if extended else ATTRIBUTES
    name = world.fresh_names[rng.integers(len(world.fresh_names))]
    values = {r: world.values(r)[rng.integers(len(world.values(r)))] for r in attributes if r != "friend"}
    values["friend"] = world.people[int(people[rng.integers(len(people))])].name
    stated = list(rng.choice(attributes, size=int(rng.integers(1, 4)), replace=False))
    facts = []
    for r in stated:
        if rng.random() < 0.5:
            facts.append(pick_template(STATEMENTS, r, int(rng.integers(len(STATEMENTS[r])))).format(n=name, v=values[r]))
        else:
            facts.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=values[r]))
    docs = facts + [_closed_book_doc(world, rng, people, extended) for _ in range(int(rng.integers(0, 4)))]
    docs = [docs[i] for i in rng.permutation(len(docs))]
    asked = [stated[i] for i in rng.permutation(len(stated))]
    if "city" in stated and rng.random() < 0.6:
        asked.insert(int(rng.integers(len(asked) + 1)), "country")
    for r in asked:
        v = world.countries[values["city"]] if r == "country" else values[r]
        docs.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=v))
    return docs


def _update_episode(world, rng, people, extended=False):
    """A training person's fact restated with a new value, distractors, then questions: the restated
    relation is answered with the new value; another relation (sometimes) with the remembered one."""
    attributes, relations = (EXTENDED_ATTRIBUTES, EXTENDED_RELATIONS) if extended else (ATTRIBUTES, RELATIONS)
    person = int(people[rng.integers(len(people))])
    name = world.people[person].name
    r = attributes[rng.integers(len(attributes))]
    if r == "friend":
        others = [world.people[int(i)].name for i in people if world.people[int(i)].name not in (name, world.people[person].friend)]
        value = others[rng.integers(len(others))]
    else:
        wrong = [v for v in world.values(r) if v != world.answer(person, r)]
        value = wrong[rng.integers(len(wrong))]
    if rng.random() < 0.5:
        fact = pick_template(STATEMENTS, r, int(rng.integers(len(STATEMENTS[r])))).format(n=name, v=value)
    else:
        fact = qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=value)
    docs = [fact] + [_closed_book_doc(world, rng, people, extended) for _ in range(int(rng.integers(0, 4)))]
    docs = [docs[i] for i in rng.permutation(len(docs))]
    docs.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=value))
    if r == "city" and rng.random() < 0.5:
        docs.append(qa_text(world, name, "country", int(rng.integers(2)), value=world.countries[value]))
    if rng.random() < 0.5:
        other = [x for x in relations if x != r and not (r == "city" and x == "country")]
        o = other[rng.integers(len(other))]
        docs.insert(len(docs) - int(rng.integers(2)), qa_text(world, person, o, int(rng.integers(len(QUESTIONS[o])))))
    return docs


def _unknown_episode(world, rng, people):
    """Questions answered ``"unknown"``: about a fresh name nobody stated anything about, or about a
    fact of a fresh name that the context did not state (the stated one is answered from it)."""
    name = world.fresh_names[rng.integers(len(world.fresh_names))]
    docs = [_closed_book_doc(world, rng, people, True) for _ in range(int(rng.integers(0, 3)))]
    if rng.random() < 0.5:
        r, other = (str(x) for x in rng.choice([a for a in EXTENDED_ATTRIBUTES if a != "friend"], size=2, replace=False))
        value = world.values(r)[rng.integers(len(world.values(r)))]
        docs.append(pick_template(STATEMENTS, r, int(rng.integers(len(STATEMENTS[r])))).format(n=name, v=value))
        asks = [(r, value), (other, UNKNOWN)]
        asks = [asks[i] for i in rng.permutation(2)]
        docs += [qa_text(world, name, a, int(rng.integers(len(QUESTIONS[a]))), value=v) for a, v in asks]
    else:
        a = EXTENDED_RELATIONS[rng.integers(len(EXTENDED_RELATIONS))]
        docs.append(qa_text(world, name, a, int(rng.integers(len(QUESTIONS[a]))), value=UNKNOWN))
    return docs


def training_batch(world: World, tokenizer: Tokenizer, people, batch_size: int, block_size: int, seed: int,
                   p_context: float = 0.5, p_update: float = 0.0, p_unknown: float = 0.0,
                   extended: bool = False, hazard_boost: float = 0.0) -> torch.Tensor:
    """One batch of training sequences, ``(batch_size, block_size + 1)`` int64, right-padded with ``<pad>``.

    Each sequence starts with ``<bos>`` and packs whole documents (never cut): with probability
    ``p_context`` it opens with a context episode (facts about a name from ``world.fresh_names``,
    a few distractor documents, then questions about the stated facts, sometimes the country of the
    stated city); with probability ``p_update`` it opens with an update episode instead (a fact of
    one of ``people`` restated with a new value, then asked: see :class:`LMTrainConfig`); then
    closed-book documents about ``people`` (statements, questions with answers, and city-country
    facts) fill the rest. Only ``people``'s facts are ever shown: the retrained model of lecture 07
    gets ``world.retain``. With ``extended`` the spell is one more fact (closed book, in context
    and update episodes), and ``p_unknown`` of the sequences open with an unknown episode (see
    :class:`LMTrainConfig`); ``extended=False, p_unknown=0`` is the base stream, draw for draw.

    Raises:
        ValueError: ``people`` is empty or holds an index out of range.

    Introduced in lecture 07.
    """
    people = np.asarray(list(people), dtype=np.int64)
    if people.size == 0:
        raise ValueError("people must not be empty")
    if people.min() < 0 or people.max() >= len(world.people):
        raise ValueError(f"people must be indices in [0, {len(world.people)})")
    rng = np.random.default_rng(check_seed(seed))
    out = torch.full((batch_size, block_size + 1), tokenizer.pad_id, dtype=torch.int64)
    for b in range(batch_size):
        seq = [tokenizer.bos_id]
        u = rng.random()  # one draw decides the opening, so p_update = 0 leaves the stream unchanged
        docs = (_context_episode(world, rng, people, extended) if u < p_context
                else _update_episode(world, rng, people, extended) if u < p_context + p_update
                else _unknown_episode(world, rng, people) if u < p_context + p_update + p_unknown else [])
        misses = 0
        while misses < 3:
            doc = docs.pop(0) if docs else _closed_book_doc(world, rng, people, extended, hazard_boost)
            ids = tokenizer.encode(doc)
            if len(seq) + len(ids) <= block_size + 1:
                seq += ids
            else:
                misses += 1
        out[b, :len(seq)] = torch.tensor(seq)
    return out


def _lr_at(step, cfg: LMTrainConfig):
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    frac = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def train_lm(world: World, people, model_config: GPTConfig, train_config: LMTrainConfig, *, model_seed: int = 0,
             init_model: GPT | None = None, device=None, progress: bool = False, log_every: int = 100, callback=None):
    """Train a :class:`GPT` from ``model_seed`` on the facts of ``people`` (and on reading from context).

    The loss is the next-token cross-entropy on every non-padding token. AdamW with linear warm-up
    and cosine decay; batch ``s`` is ``training_batch(..., seed=derive_seed(train_config.seed,
    "batch", s))``, so the same seeds give the same model (bitwise on the CPU with the same thread
    count).

    Args:
        people: indices of the people whose documents are trained on (``range(len(world.people))``
            for the full model, ``world.retain`` for the exact-unlearning reference).
        init_model: continue training a copy of this model (a second training phase, with a fresh
            optimiser) instead of a new model from ``model_seed``; it must have ``model_config``.
        device: where to train (default :func:`unlearnkit.device`); data is drawn on the CPU.
        callback: optional ``callback(step, model)`` called every ``log_every`` steps (evaluation).

    Returns:
        ``(model, log)``: the trained :class:`GPT` (moved back to the CPU) and a dict with ``losses`` (the mean
        loss of each step), ``seconds``, ``steps``, ``tokens`` (non-padding target tokens seen).

    Introduced in lecture 07 (the shipped checkpoints are made by ``scripts/train_lm.py``).
    """
    tokenizer = Tokenizer.for_world(world, extended=train_config.extended)
    sizes = ((tokenizer.vocab_size,) if train_config.extended
             else (tokenizer.vocab_size, Tokenizer.for_world(world).vocab_size))
    if model_config.vocab_size not in sizes:
        raise ValueError(f"model_config.vocab_size must be {' or '.join(map(str, sizes))} for this world "
                         f"({'extended' if train_config.extended else 'base or extended'} vocabulary), "
                         f"got {model_config.vocab_size}")
    people = list(people)
    model = GPT(model_config, seed=model_seed)
    if init_model is not None:
        if init_model.config != model_config:
            raise ValueError("init_model.config must equal model_config")
        model.load_state_dict(init_model.state_dict())
    model.to(device if device is not None else default_device())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": train_config.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=train_config.lr, betas=(0.9, 0.98))
    losses, tokens, t0 = [], 0, time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=train_config.steps, desc="train_lm")
    for step in range(train_config.steps):
        batch = training_batch(world, tokenizer, people, train_config.batch_size, model_config.block_size,
                               derive_seed(train_config.seed, "batch", step), train_config.p_context,
                               train_config.p_update, train_config.p_unknown, train_config.extended,
                               train_config.hazard_boost)
        dev = model_device(model)
        x, y = batch[:, :-1].to(dev), batch[:, 1:].to(dev)
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, train_config)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=tokenizer.pad_id)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip)
        opt.step()
        losses.append(loss.detach().item())
        tokens += int((y != tokenizer.pad_id).sum())
        if bar is not None:
            bar.update(1)
        if callback is not None and (step + 1) % log_every == 0:
            callback(step + 1, model)
    if bar is not None:
        bar.close()
    model.eval()
    return model.cpu(), {"losses": losses, "seconds": time.perf_counter() - t0, "steps": train_config.steps, "tokens": tokens}


def extend_vocabulary(model: GPT, vocab_size: int, seed: int = 0) -> GPT:
    """A copy of ``model`` with ``vocab_size`` tokens: the old token embeddings (and, tied, output
    rows) are kept, the new rows are drawn as a new :class:`GPT`'s (normal, std 0.02) from ``seed``.

    How a model trained on the base vocabulary gets the extension's words (appended, so old ids keep
    their meaning) before a training phase teaches them (``scripts/train_lm.py``, phase 3).

    Raises:
        ValueError: ``vocab_size`` smaller than the model's.

    Introduced in lecture 06.
    """
    old = model.config.vocab_size
    vocab_size = check_int(vocab_size, "vocab_size", old)
    cfg = GPTConfig(**{**model.config.__dict__, "vocab_size": vocab_size})
    new = GPT(cfg, seed=check_seed(seed))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    emb = new.tok_emb.weight.detach().clone()
    emb[:old] = state["tok_emb.weight"]
    state["tok_emb.weight"] = emb
    state["head.weight"] = emb
    new.load_state_dict(state)
    return new.train(model.training)
