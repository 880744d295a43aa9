"""Scoring answers by log-likelihood, accuracies, and generation.

The log-likelihood of a sequence (:func:`sequence_log_likelihood`) depends neither on padding nor
on what else is in the batch. :func:`score_candidates` scores candidate answers after prompts,
:func:`qa_accuracy` and :func:`icul_accuracy` turn scores into accuracies (closed book, with a
context, under in-context unlearning prompts), :func:`generate` continues a prompt.

Introduced in lecture 07.
"""
from __future__ import annotations


import numpy as np
import torch

from .._common import check_int, check_number, model_device
from .._seeding import check_seed
from ..models.gpt import GPT
from .tokenizer import Tokenizer
from .world import World, check_person, icul_prompt, question_text

__all__ = ["sequence_log_likelihood", "score_candidates", "qa_accuracy", "icul_accuracy", "generate"]


@torch.no_grad()
def sequence_log_likelihood(model: GPT, sequences, prompt_lengths, batch_size: int = 512) -> torch.Tensor:
    """Log-likelihood of the continuation of each sequence: ``sum_{t >= prompt_length} log p(x_t | x_<t)``.

    Sequences are right-padded into batches; because attention is causal and padding comes after the
    real tokens, the result for a sequence depends neither on how much padding it gets nor on the
    other sequences in its batch (up to float rounding, about 1e-6).

    Args:
        model: a :class:`GPT`.
        sequences: list of token-id lists (include ``<bos>`` yourself), each of length >= 2 and at
            most ``block_size``.
        prompt_lengths: list of ints, ``1 <= prompt_length < len(sequence)``: how many leading tokens
            are the prompt (not scored).
        batch_size: sequences per forward pass.

    Returns:
        float32 tensor ``(n,)`` of log-likelihoods in nats (<= 0), on the CPU.

    Raises:
        ValueError: lengths disagree or are out of range.

    Introduced in lecture 07.
    """
    sequences = [list(map(int, s)) for s in sequences]
    prompt_lengths = [int(p) for p in prompt_lengths]
    if len(sequences) != len(prompt_lengths):
        raise ValueError(f"sequences and prompt_lengths must have the same length, got {len(sequences)} and {len(prompt_lengths)}")
    for s, p in zip(sequences, prompt_lengths):
        if not 1 <= p < len(s):
            raise ValueError(f"each prompt_length must be in [1, len(sequence)), got {p} for length {len(s)}")
        if len(s) > model.config.block_size:
            raise ValueError(f"a sequence of length {len(s)} exceeds block_size {model.config.block_size}")
    dev = model_device(model)
    out = torch.empty(len(sequences))
    was_training = model.training
    model.eval()
    for lo in range(0, len(sequences), batch_size):
        chunk = sequences[lo:lo + batch_size]
        width = max(len(s) for s in chunk)
        idx = torch.zeros(len(chunk), width, dtype=torch.int64)
        mask = torch.zeros(len(chunk), width - 1, dtype=torch.bool)
        for i, (s, p) in enumerate(zip(chunk, prompt_lengths[lo:lo + batch_size])):
            idx[i, :len(s)] = torch.tensor(s)
            mask[i, p - 1:len(s) - 1] = True  # the logit at t-1 predicts token t
        logp = torch.log_softmax(model(idx.to(dev)).float(), dim=-1)[:, :-1].cpu()
        tok = logp.gather(-1, idx[:, 1:, None]).squeeze(-1)
        out[lo:lo + len(chunk)] = (tok * mask).sum(1)
    model.train(was_training)
    return out


@torch.no_grad()
def score_candidates(model: GPT, tokenizer: Tokenizer, prompts, candidates) -> torch.Tensor:
    """Log-likelihood of each candidate answer after each prompt: a ``(n_prompts, n_candidates)`` float32 tensor.

    ``<bos>`` is put before every prompt. When every candidate is one token, one forward pass per
    prompt reads them all off the last position; otherwise each (prompt, candidate) pair is scored
    with :func:`sequence_log_likelihood`.

    Args:
        prompts: list of str (text before the answer, e.g. a question or an in-context prompt).
        candidates: list of str (the same candidates for every prompt).

    Raises:
        ValueError: empty ``prompts`` or ``candidates``. KeyError: a word outside the vocabulary.

    Introduced in lecture 06 (used throughout lecture 07).
    """
    prompts, candidates = list(prompts), list(candidates)
    if not prompts or not candidates:
        raise ValueError("prompts and candidates must not be empty")
    p_ids = [tokenizer.encode(p, bos=True) for p in prompts]
    c_ids = [tokenizer.encode(c) for c in candidates]
    if any(len(c) == 0 for c in c_ids):
        raise ValueError("a candidate is empty")
    if all(len(c) == 1 for c in c_ids):
        dev = model_device(model)
        cols = torch.tensor([c[0] for c in c_ids])
        out = torch.empty(len(prompts), len(candidates))
        was_training = model.training
        model.eval()
        for lo in range(0, len(p_ids), 512):
            chunk = p_ids[lo:lo + 512]
            width = max(len(p) for p in chunk)
            if width > model.config.block_size:
                raise ValueError(f"a prompt of {width} tokens exceeds block_size {model.config.block_size}")
            idx = torch.zeros(len(chunk), width, dtype=torch.int64)
            for i, p in enumerate(chunk):
                idx[i, :len(p)] = torch.tensor(p)
            logits = model(idx.to(dev)).float().cpu()
            last = torch.tensor([len(p) - 1 for p in chunk])
            logp = torch.log_softmax(logits[torch.arange(len(chunk)), last], dim=-1)
            out[lo:lo + len(chunk)] = logp[:, cols]
        model.train(was_training)
        return out
    seqs = [p + c for p in p_ids for c in c_ids]
    lens = [len(p) for p in p_ids for _ in c_ids]
    return sequence_log_likelihood(model, seqs, lens).view(len(prompts), len(candidates))


def qa_accuracy(model: GPT, tokenizer: Tokenizer, world: World, people, relation: str, *, template: int = 0,
                contexts=None, return_predictions: bool = False):
    """Accuracy of answering ``relation`` for each of ``people``: the answer is the candidate of
    ``world.values(relation)`` with the highest log-likelihood (chance is 1 / number of candidates).

    Args:
        people: person indices (non-empty).
        template: question template (0 is the short one; others are paraphrases).
        contexts: None (closed book), or a list of str, one per person, put before the question
            (facts stated in the context, an in-context unlearning prompt's examples, ...).
        return_predictions: also return the predicted answers (a list of str).

    Returns:
        float in [0, 1] (and the predictions if asked).

    Raises:
        ValueError: empty ``people`` or ``contexts`` of the wrong length.

    Introduced in lecture 07.
    """
    people = [check_person(world, p) for p in people]
    if not people:
        raise ValueError("people must not be empty")
    if contexts is not None and len(contexts) != len(people):
        raise ValueError(f"contexts must hold one str per person ({len(people)}), got {len(contexts)}")
    questions = [question_text(world, p, relation, template) for p in people]
    prompts = questions if contexts is None else [f"{c} {q}".strip() for c, q in zip(contexts, questions)]
    cands = list(world.values(relation))
    pred = score_candidates(model, tokenizer, prompts, cands).argmax(1).tolist()
    pred = [cands[i] for i in pred]
    acc = float(np.mean([a == world.answer(p, relation) for a, p in zip(pred, people)]))
    return (acc, pred) if return_predictions else acc


def icul_accuracy(model: GPT, tokenizer: Tokenizer, world: World, query_people, relation: str, *, n_examples: int = 3,
                  seed: int = 0, template: int = 0, query_template: int | None = None) -> dict:
    """Accuracy under in-context unlearning prompts (:func:`icul_prompt`), one prompt per query person.

    For a query person in ``world.forget`` the flipped example is that person (does the prompt make
    the model "forget" it?); for any other query person it is a forget person drawn at random (is
    the rest kept under the same kind of prompt?). The ``n_examples`` correctly answered examples
    are retain people other than the query person, and the flipped answer is drawn uniformly from
    the wrong candidates, all from ``numpy.random.default_rng(seed)``.

    Args:
        query_people: person indices (non-empty). relation: one of :data:`RELATIONS`.
        n_examples: correctly answered examples in each prompt (>= 0).
        template, query_template: question templates of the examples and of the query (a different
            ``query_template`` asks a paraphrase of the flipped question).

    Returns:
        dict with ``accuracy`` (float, share of true answers), ``answered_flipped`` (float, share of
        answers equal to the flipped value shown for that person; 0 for retain queries whose
        flipped example is someone else), ``runner_up_accuracy`` (float, accuracy once the flipped
        candidate is excluded: is the truth still the model's next choice?), ``scores`` (float32
        ``(n, candidates)``), ``prompts`` (list of str), ``flipped`` (list of str),
        ``predictions`` (list of str).

    Introduced in lecture 07.
    """
    people = [check_person(world, p) for p in query_people]
    if not people:
        raise ValueError("query_people must not be empty")
    n_examples = check_int(n_examples, "n_examples", 0)
    rng = np.random.default_rng(check_seed(seed))
    cands = list(world.values(relation))
    forget = set(world.forget)
    prompts, flipped, own = [], [], []
    for q in people:
        f = q if q in forget else int(world.forget[rng.integers(len(world.forget))])
        truth = world.answer(f, relation)
        wrong = [c for c in cands if c != truth]
        flip = wrong[rng.integers(len(wrong))]
        pool = [r for r in world.retain if r != q]
        examples = [int(e) for e in rng.choice(pool, size=n_examples, replace=False)] if n_examples else []
        prompts.append(icul_prompt(world, f, relation, flip, examples, q, template, query_template))
        flipped.append(flip)
        own.append(f == q)
    scores = score_candidates(model, tokenizer, prompts, cands)
    pred = [cands[i] for i in scores.argmax(1).tolist()]
    truth = [world.answer(q, relation) for q in people]
    masked = scores.clone()
    for i, fv in enumerate(flipped):
        if own[i]:
            masked[i, cands.index(fv)] = -float("inf")
    runner = [cands[i] for i in masked.argmax(1).tolist()]
    return {
        "accuracy": float(np.mean([p == t for p, t in zip(pred, truth)])),
        "answered_flipped": float(np.mean([o and p == fv for p, fv, o in zip(pred, flipped, own)])),
        "runner_up_accuracy": float(np.mean([r == t for r, t in zip(runner, truth)])),
        "scores": scores, "prompts": prompts, "flipped": flipped, "predictions": pred,
    }


@torch.no_grad()
def generate(model: GPT, tokenizer: Tokenizer, prompt: str, max_new_tokens: int = 4, *, temperature: float = 0.0,
             seed: int = 0, stop: str | None = ".") -> str:
    """Continue ``prompt`` (``<bos>`` is added) by up to ``max_new_tokens`` words; return only the new words.

    ``temperature=0`` is greedy decoding; a positive temperature samples from a CPU generator seeded
    with ``seed``. Generation stops after the word ``stop`` (if not None) or at ``block_size``.

    Raises:
        TypeError: ``temperature`` not a number, ``max_new_tokens`` not an integer.
        ValueError: negative temperature or max_new_tokens. KeyError: a word outside the vocabulary.

    Introduced in lecture 07.
    """
    check_number(temperature, "temperature", 0)
    check_int(max_new_tokens, "max_new_tokens", 0)
    gen = torch.Generator().manual_seed(check_seed(seed))
    ids = tokenizer.encode(prompt, bos=True)
    new = []
    was_training = model.training
    model.eval()
    for _ in range(max_new_tokens):
        if len(ids) >= model.config.block_size:
            break
        logits = model(torch.tensor([ids], device=model_device(model)))[0, -1].float().cpu()
        logits[tokenizer.pad_id] = logits[tokenizer.bos_id] = -float("inf")
        if temperature == 0:
            nxt = int(logits.argmax())
        else:
            nxt = int(torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=gen))
        ids.append(nxt)
        new.append(nxt)
        if stop is not None and tokenizer.itos[nxt] == stop:
            break
    model.train(was_training)
    return tokenizer.decode(new)
