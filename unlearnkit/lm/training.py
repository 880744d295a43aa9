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
from .world import ATTRIBUTES, QUESTIONS, RELATIONS, STATEMENTS, World, pick_template, qa_text, statement_text

__all__ = ["LMTrainConfig", "training_batch", "train_lm"]


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
    seed: int = 0

    def __post_init__(self):
        check_int(self.steps, "steps", 0)
        check_int(self.batch_size, "batch_size", 1)
        check_int(self.warmup, "warmup", 0)
        check_number(self.lr, "lr", 0, open_min=True, what="> 0")
        check_number(self.p_context, "p_context", 0, 1, what="in [0, 1]")
        check_number(self.p_update, "p_update", 0, 1 - self.p_context, what="in [0, 1 - p_context]")
        check_seed(self.seed)


def _closed_book_doc(world, rng, people):
    """One document about a random training person (or a world fact)."""
    if rng.random() < 0.08:
        city = list(world.countries)[rng.integers(len(world.countries))]
        if rng.random() < 0.5:
            return STATEMENTS["world"][int(rng.integers(2))].format(n=city, v=world.countries[city])
        return f"{QUESTIONS['world'][int(rng.integers(2))].format(n=city)} {world.countries[city]} ."
    person = int(people[rng.integers(len(people))])
    relation = RELATIONS[rng.integers(len(RELATIONS))]
    if relation != "country" and rng.random() < 0.4:
        return statement_text(world, person, relation, int(rng.integers(len(STATEMENTS[relation]))))
    return qa_text(world, person, relation, int(rng.integers(len(QUESTIONS[relation]))))


def _context_episode(world, rng, people):
    """Facts about a fresh (unseen) name, distractors, then questions answered from those facts."""
    name = world.fresh_names[rng.integers(len(world.fresh_names))]
    values = {r: world.values(r)[rng.integers(len(world.values(r)))] for r in ATTRIBUTES if r != "friend"}
    values["friend"] = world.people[int(people[rng.integers(len(people))])].name
    stated = list(rng.choice(ATTRIBUTES, size=int(rng.integers(1, 4)), replace=False))
    facts = []
    for r in stated:
        if rng.random() < 0.5:
            facts.append(pick_template(STATEMENTS, r, int(rng.integers(len(STATEMENTS[r])))).format(n=name, v=values[r]))
        else:
            facts.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=values[r]))
    docs = facts + [_closed_book_doc(world, rng, people) for _ in range(int(rng.integers(0, 4)))]
    docs = [docs[i] for i in rng.permutation(len(docs))]
    asked = [stated[i] for i in rng.permutation(len(stated))]
    if "city" in stated and rng.random() < 0.6:
        asked.insert(int(rng.integers(len(asked) + 1)), "country")
    for r in asked:
        v = world.countries[values["city"]] if r == "country" else values[r]
        docs.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=v))
    return docs


def _update_episode(world, rng, people):
    """A training person's fact restated with a new value, distractors, then questions: the restated
    relation is answered with the new value; another relation (sometimes) with the remembered one."""
    person = int(people[rng.integers(len(people))])
    name = world.people[person].name
    r = ATTRIBUTES[rng.integers(len(ATTRIBUTES))]
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
    docs = [fact] + [_closed_book_doc(world, rng, people) for _ in range(int(rng.integers(0, 4)))]
    docs = [docs[i] for i in rng.permutation(len(docs))]
    docs.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=value))
    if r == "city" and rng.random() < 0.5:
        docs.append(qa_text(world, name, "country", int(rng.integers(2)), value=world.countries[value]))
    if rng.random() < 0.5:
        other = [x for x in RELATIONS if x != r and not (r == "city" and x == "country")]
        o = other[rng.integers(len(other))]
        docs.insert(len(docs) - int(rng.integers(2)), qa_text(world, person, o, int(rng.integers(len(QUESTIONS[o])))))
    return docs


def training_batch(world: World, tokenizer: Tokenizer, people, batch_size: int, block_size: int, seed: int,
                   p_context: float = 0.5, p_update: float = 0.0) -> torch.Tensor:
    """One batch of training sequences, ``(batch_size, block_size + 1)`` int64, right-padded with ``<pad>``.

    Each sequence starts with ``<bos>`` and packs whole documents (never cut): with probability
    ``p_context`` it opens with a context episode (facts about a name from ``world.fresh_names``,
    a few distractor documents, then questions about the stated facts, sometimes the country of the
    stated city); with probability ``p_update`` it opens with an update episode instead (a fact of
    one of ``people`` restated with a new value, then asked: see :class:`LMTrainConfig`); then
    closed-book documents about ``people`` (statements, questions with answers, and city-country
    facts) fill the rest. Only ``people``'s facts are ever shown: the retrained model of lecture 07
    gets ``world.retain``.

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
        docs = (_context_episode(world, rng, people) if u < p_context
                else _update_episode(world, rng, people) if u < p_context + p_update else [])
        misses = 0
        while misses < 3:
            doc = docs.pop(0) if docs else _closed_book_doc(world, rng, people)
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
    tokenizer = Tokenizer.for_world(world)
    if model_config.vocab_size != tokenizer.vocab_size:
        raise ValueError(f"model_config.vocab_size must be {tokenizer.vocab_size} for this world, "
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
                               train_config.p_update)
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
