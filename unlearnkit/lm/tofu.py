"""TOFU-style evaluation of an unlearned language model on the course's world, with scope and recovery probes.

Every number is measured against the **retrained** model (trained without the forget people), which
defines both what forgetting looks like and its right scope:

- :func:`truth_ratio` and :func:`truth_ratio_score`: how much more likely the true answer (asked in
  a paraphrased question) is than perturbed (wrong) answers, length-normalised (Maini et al. 2024).
- :func:`forget_quality`: the KS-test p-value between the truth ratios of the unlearned and the
  retrained model on the forget questions (``scipy.stats.ks_2samp``); high = indistinguishable.
- :func:`answer_distributions` and :func:`output_profile`: what the model says to a forget question:
  the distribution over the relation's candidates and ``"unknown"``, its entropy, the refusal share,
  "confidently wrong", the probability mass off every candidate ("gibberish"), and the distance to the
  retrained model's distribution. "Near chance like the retrained model", "a refusal", "confidently
  wrong" and "gibberish" are different answers to "what should the unlearned model output?".
- :func:`scope_probes`: facts that retain documents still carry (a retain person's friend who is a
  forget person), composed facts (the country of the person's city), paraphrased questions, the
  pet, and the hazardous spell.
- :func:`recovery_probes`: paraphrase, a related fact stated in the context, and relearning (a few
  steps on half the forget people's documents, the other half measured).
- :func:`evaluate_unlearning`: all of the above for one model, as one dict (what
  ``scripts/build_lm_unlearned.py`` stores in the record); ``quick=True`` keeps one relation.

Source: Maini, Feng, Schwarzschild, Lipton and Kolter, "TOFU: A Task of Fictitious Unlearning for
LLMs", COLM 2024, and its code (locuslab/tofu ``aggregate_eval_stat.py``, read here: the per-question
statistic is ``s = exp(mean perturbed loss - paraphrased loss)``, losses averaged over each answer's
tokens, i.e. ``s = 1/R`` with R the paper's truth ratio, perturbed over paraphrased; on the forget set
the summary is ``mean(min(s, 1/s))`` = ``mean(min(R, 1/R))``, on the others ``mean(max(0, 1 - 1/s))``
= ``mean(max(0, 1 - R))``; forget quality is ``ks_2samp(s_unlearned, s_retain_only).pvalue``, which
equals ours on R because the KS test is unchanged when both samples go through the same strictly
monotone map; model utility is ``scipy.stats.hmean`` of its parts). All of this agrees with ours
(pinned against TOFU's orientation in ``tests/test_lm_unlearning.py``). Ours differs: single-word
answers (a friend is two), the question is paraphrased rather than the answer, five perturbed answers
drawn from the wrong candidates, and model utility is the harmonic mean of retain accuracy, retain
answer probability, retain truth-ratio score and world-knowledge accuracy (TOFU adds ROUGE and real
author / world-fact sets). Scope and recovery probes follow Eldan & Russinovich 2023 (familiarity
beyond the target text), Lynch et al. 2024 (eight methods to evaluate robust unlearning:
paraphrases, related facts in context, relearning) and Deeb & Roger 2024 (relearning on part of the
facts, measured on the rest); the exact probes are ours. MUSE (Shi et al. 2024, arXiv 2407.06460:
verbatim and knowledge memorisation, privacy leakage, utility, scalability, sustainability) is cited
by lecture 06 for its framing only; none of its metrics is implemented here.

Introduced in lecture 06.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from scipy import stats

from .._common import check_int
from .._seeding import check_seed, derive_seed
from ..models.gpt import GPT
from .evaluation import score_candidates
from .tokenizer import Tokenizer
from .world import EXTENDED_RELATIONS, HAZARD, QUESTIONS, UNKNOWN, World, check_person, check_relation, question_text

__all__ = ["truth_ratio", "truth_ratio_score", "forget_quality", "entropy", "answer_distributions",
           "truth_ratios", "output_profile", "scope_probes", "recovery_probes", "model_utility",
           "evaluate_unlearning", "QUICK_RELATION"]

#: The relation a quick evaluation (a lecture's live check against the record) keeps.
QUICK_RELATION = "city"


# ----------------------------------------------------------------------------- formulas
def truth_ratio(paraphrased_ll, paraphrased_len, perturbed_ll, perturbed_len) -> np.ndarray:
    """TOFU's truth ratio per question: ``R = exp(mean_k ll_k / len_k - ll_para / len_para)``.

    That is the geometric mean of the perturbed answers' length-normalised probabilities over the
    paraphrased answer's: R < 1 when the model prefers the truth, R near 1 when it cannot tell.

    Args:
        paraphrased_ll: ``(n,)`` log-likelihoods (nats) of the true answer. paraphrased_len: ``(n,)``
            its lengths in tokens (>= 1), or a scalar.
        perturbed_ll: ``(n, k)`` log-likelihoods of k wrong answers. perturbed_len: ``(n, k)``, or a scalar.

    Returns:
        float64 ``(n,)``.

    Raises:
        ValueError: shapes disagree, a length < 1, a positive or non-finite log-likelihood, k = 0.

    Introduced in lecture 06.
    """
    pll = np.asarray(paraphrased_ll, dtype=np.float64)
    qll = np.asarray(perturbed_ll, dtype=np.float64)
    if pll.ndim != 1 or qll.ndim != 2 or qll.shape[0] != pll.shape[0] or qll.shape[1] == 0:
        raise ValueError(f"paraphrased_ll must be (n,) and perturbed_ll (n, k >= 1), got {pll.shape} and {qll.shape}")
    plen = np.broadcast_to(np.asarray(paraphrased_len, dtype=np.float64), pll.shape)
    qlen = np.broadcast_to(np.asarray(perturbed_len, dtype=np.float64), qll.shape)
    if (plen < 1).any() or (qlen < 1).any():
        raise ValueError("answer lengths must be >= 1 token")
    for name, v in (("paraphrased_ll", pll), ("perturbed_ll", qll)):
        if not np.isfinite(v).all() or (v > 1e-6).any():
            raise ValueError(f"{name} must hold finite log-likelihoods <= 0")
    return np.exp((qll / qlen).mean(1) - pll / plen)


def truth_ratio_score(ratios, forget: bool) -> float:
    """TOFU's summary of truth ratios: ``mean(min(R, 1/R))`` on forget questions (1 = cannot tell the
    truth from the perturbations, as a model that never learned it), ``mean(max(0, 1 - R))`` on
    the others (1 = the truth far more likely).

    Raises:
        ValueError: empty, non-positive or non-finite ratios.

    Introduced in lecture 06.
    """
    r = np.asarray(ratios, dtype=np.float64).ravel()
    if r.size == 0 or not np.isfinite(r).all() or (r <= 0).any():
        raise ValueError("ratios must be a non-empty array of finite positive numbers")
    return float(np.mean(np.minimum(r, 1 / r)) if forget else np.mean(np.maximum(0.0, 1 - r)))


def forget_quality(ratios, retrained_ratios) -> float:
    """Forget quality: the two-sample KS test's p-value between the forget-question truth ratios of a
    model and of the retrained model (``scipy.stats.ks_2samp``, two-sided, its default method).

    High (near 1) means the two distributions cannot be told apart; TOFU reads p > 0.05 as "forgot".

    Source: TOFU (Maini et al., COLM 2024), ``get_forget_quality`` in locuslab/tofu
    ``aggregate_eval_stat.py``: ``ks_2samp`` of the unlearned and the retain-only model's forget
    statistics ``exp(perturbed loss - paraphrased loss)`` = 1/R. Ours passes R itself; the p-value is
    the same (the KS statistic is unchanged when both samples go through the same strictly monotone
    map; pinned in the tests). Our "retain-only model" is the shipped retrained model.

    Raises:
        ValueError: an empty or non-finite sample.

    Introduced in lecture 06.
    """
    a = np.asarray(ratios, dtype=np.float64).ravel()
    b = np.asarray(retrained_ratios, dtype=np.float64).ravel()
    if a.size == 0 or b.size == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("ratios and retrained_ratios must be non-empty and finite")
    return float(stats.ks_2samp(a, b).pvalue)


def entropy(p, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats of probability vectors along ``axis`` (0 log 0 = 0).

    Raises:
        ValueError: negative entries or rows that do not sum to 1 (within 1e-4).

    Introduced in lecture 06.
    """
    p = np.asarray(p, dtype=np.float64)
    if (p < 0).any() or not np.allclose(p.sum(axis), 1, atol=1e-4):
        raise ValueError("p must hold probability vectors (non-negative, summing to 1)")
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis)


# ----------------------------------------------------------------------------- measurements
def _people(world, people):
    people = [check_person(world, p) for p in people]
    if not people:
        raise ValueError("people must not be empty")
    return people


def _check_model(model, tokenizer):
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError(f"tokenizer must be a Tokenizer, got {type(tokenizer).__name__}")
    if UNKNOWN not in tokenizer.stoi or model.config.vocab_size != tokenizer.vocab_size:
        raise ValueError("the evaluation needs a model and tokenizer of the extended world (with 'unknown')")


@torch.no_grad()
def answer_distributions(model: GPT, tokenizer: Tokenizer, world: World, people, relation: str, *, template: int = 0,
                         contexts=None) -> dict:
    """What the model answers: for each person, the probabilities of the relation's candidates and
    ``"unknown"`` (renormalised over those), and the mass it puts on none of them.

    Returns:
        dict with ``candidates`` (list of str, ``"unknown"`` last), ``p`` (float64 ``(n, c + 1)``),
        ``off_mass`` (``(n,)``: 1 minus the summed probability of every candidate sequence and
        ``"unknown"``: the share of "gibberish"), ``truth`` (``(n,)`` indices of the true answers).

    Introduced in lecture 06.
    """
    _check_model(model, tokenizer)
    check_relation(relation)
    people = _people(world, people)
    qs = [question_text(world, p, relation, template) for p in people]
    prompts = qs if contexts is None else [f"{c} {q}" for c, q in zip(contexts, qs)]
    cands = list(world.values(relation)) + [UNKNOWN]
    ll = score_candidates(model, tokenizer, prompts, cands).double().numpy()
    mass = np.exp(ll)
    off = np.clip(1 - mass.sum(1), 0, 1)
    p = mass / mass.sum(1, keepdims=True)
    truth = np.array([cands.index(world.answer(q, relation)) for q in people])
    return {"candidates": cands, "p": p, "off_mass": off, "truth": truth, "log_likelihood": ll}


@torch.no_grad()
def truth_ratios(model: GPT, tokenizer: Tokenizer, world: World, people, relation: str, *, k: int = 5,
                 seed: int = 0, template: int | None = None) -> np.ndarray:
    """Truth ratios (:func:`truth_ratio`) of ``people``'s ``relation`` questions.

    The "paraphrased" answer is the true one after a paraphrased question (the relation's template 1,
    or ``template``); the ``k`` perturbed answers are wrong candidates drawn per person from
    ``numpy.random.default_rng(derive_seed(seed, relation, person))``, scored after the same question
    (so the same model and seed always give the same ratios).

    Introduced in lecture 06.
    """
    _check_model(model, tokenizer)
    check_relation(relation)
    people = _people(world, people)
    k = check_int(k, "k", 1)
    seed = check_seed(seed)
    t = (1 if len(QUESTIONS[relation]) > 1 else 0) if template is None else template
    cands = list(world.values(relation))
    single = all(len(c.split()) == 1 for c in cands)
    if single:  # one forward pass per question scores every candidate; pick the drawn ones from it
        every = score_candidates(model, tokenizer, [question_text(world, p, relation, t) for p in people], cands)
        every = every.double().numpy()
    lls, plls, plens, qlens = [], [], [], []
    for row, person in enumerate(people):
        truth = world.answer(person, relation)
        wrong = [c for c in cands if c != truth]
        pick = np.random.default_rng(derive_seed(seed, relation, person)).choice(len(wrong), size=min(k, len(wrong)), replace=False)
        answers = [truth] + [wrong[int(i)] for i in pick]
        if single:
            ll = every[row, [cands.index(a) for a in answers]]
        else:
            ll = score_candidates(model, tokenizer, [question_text(world, person, relation, t)], answers)[0].double().numpy()
        plls.append(ll[0]); lls.append(ll[1:])
        plens.append(len(truth.split())); qlens.append([len(a.split()) for a in answers[1:]])
    return truth_ratio(np.array(plls), np.array(plens), np.array(lls), np.array(qlens))


def output_profile(dist: dict, retrained_dist: dict | None = None) -> dict:
    """Summaries of :func:`answer_distributions`: accuracy (argmax is the truth), ``p_true``,
    ``entropy`` (nats, mean; chance over c + 1 answers is ``log(c + 1)``), ``p_unknown`` and
    ``answers_unknown`` (refusals), ``confidently_wrong`` (argmax a wrong candidate with p >= 0.5),
    ``off_mass`` (mean "gibberish" mass); with the retrained model's distribution for the same
    questions: ``tv_to_retrained`` (mean total-variation distance) and ``agrees_with_retrained``
    (share of equal argmaxes).

    Introduced in lecture 06.
    """
    p, truth = dist["p"], dist["truth"]
    n = len(truth)
    arg = p.argmax(1)
    unk = p.shape[1] - 1
    out = {"accuracy": float(np.mean(arg == truth)), "p_true": float(np.mean(p[np.arange(n), truth])),
           "entropy": float(np.mean(entropy(p))), "max_entropy": float(np.log(p.shape[1])),
           "p_unknown": float(np.mean(p[:, unk])), "answers_unknown": float(np.mean(arg == unk)),
           "confidently_wrong": float(np.mean((arg != truth) & (arg != unk) & (p.max(1) >= 0.5))),
           "off_mass": float(np.mean(dist["off_mass"]))}
    if retrained_dist is not None:
        q = retrained_dist["p"]
        if q.shape != p.shape:
            raise ValueError("retrained_dist must describe the same questions")
        out["tv_to_retrained"] = float(np.mean(0.5 * np.abs(p - q).sum(1)))
        out["agrees_with_retrained"] = float(np.mean(arg == q.argmax(1)))
    return out


def _acc(model, tok, world, people, relation, template=0, contexts=None):
    d = answer_distributions(model, tok, world, people, relation, template=template, contexts=contexts)
    p = d["p"][:, :-1]  # the accuracy of lecture 07: argmax over the candidates only
    return float(np.mean(p.argmax(1) == d["truth"]))


def scope_probes(model: GPT, tokenizer: Tokenizer, world: World, *, relations=None) -> dict:
    """How far forgetting reaches, as accuracies (compare each with the retrained model's):

    - ``friend_mentions``: retain people whose friend is a forget person, asked who their friend is
      (retain documents carry it: the right scope keeps it);
    - ``composed_country``: the country of a forget person (their city composed with world knowledge);
    - ``paraphrase``: forget questions in the paraphrased templates (mean over ``relations``);
    - ``pet`` and ``pet_colour``: the forget people's pet and its colour;
    - ``spell``: the hazardous attribute, when the model has the extended vocabulary.

    Introduced in lecture 06.
    """
    _check_model(model, tokenizer)
    forget = list(world.forget)
    names = {world.people[i].name for i in forget}
    mentions = [r for r in world.retain if world.people[r].friend in names]
    rels = [r for r in (relations or ("city", "job", "pet", "colour", "country", HAZARD)) if r != "friend"]
    para = [_acc(model, tokenizer, world, forget, r, t) for r in rels for t in range(1, len(QUESTIONS[r]))]
    out = {"friend_mentions": _acc(model, tokenizer, world, mentions, "friend") if mentions else float("nan"),
           "n_friend_mentions": len(mentions),
           "composed_country": _acc(model, tokenizer, world, forget, "country"),
           "paraphrase": float(np.mean(para)),
           "pet": _acc(model, tokenizer, world, forget, "pet"),
           "pet_colour": _acc(model, tokenizer, world, forget, "colour"),
           HAZARD: _acc(model, tokenizer, world, forget, HAZARD)}
    return out


def recovery_probes(model: GPT, tokenizer: Tokenizer, world: World, *, relearn_steps: int = 10, relearn_lr: float = 1e-3,
                    seed: int = 0, relations=("city", "job", "pet", "colour", HAZARD)) -> dict:
    """Does forgotten knowledge come back? Accuracies on the forget people (compare with the retrained model):

    - ``paraphrase``: the questions asked in template 1;
    - ``related_fact_in_context``: another fact of the same person stated first (their job before
      the city is asked, their city before anything else is asked), closed-book otherwise;
    - ``relearn``: a copy fine-tuned ``relearn_steps`` steps (:func:`~unlearnkit.lm.unlearning.relearn`)
      on every document of half the forget people (drawn with ``derive_seed(seed, "half")``), then
      asked about the *other* half (``relearn_other_half``), and about the trained half (``relearn_trained_half``);
      ``before_other_half`` is that half's accuracy before relearning.

    Introduced in lecture 06.
    """
    from .unlearning import person_documents, relearn  # noqa: PLC0415 (unlearning imports this module's users)

    _check_model(model, tokenizer)
    seed = check_seed(seed)
    forget = list(world.forget)
    ctx_acc = []
    for r in relations:
        cue = "job" if r == "city" else "city"
        from .world import statement_text  # noqa: PLC0415
        contexts = [statement_text(world, p, cue) for p in forget]
        ctx_acc.append(_acc(model, tokenizer, world, forget, r, contexts=contexts))
    order = np.random.default_rng(derive_seed(seed, "half")).permutation(len(forget))
    half_a = sorted(forget[i] for i in order[:len(forget) // 2])
    half_b = sorted(forget[i] for i in order[len(forget) // 2:])
    before = float(np.mean([_acc(model, tokenizer, world, half_b, r) for r in relations]))
    t0 = time.perf_counter()
    docs = person_documents(world, half_a)
    again, _ = relearn(model, docs, steps=relearn_steps, lr=relearn_lr, seed=derive_seed(seed, "relearn"))
    return {"paraphrase": float(np.mean([_acc(model, tokenizer, world, forget, r, 1) for r in relations])),
            "related_fact_in_context": float(np.mean(ctx_acc)),
            "before_other_half": before,
            "relearn_other_half": float(np.mean([_acc(again, tokenizer, world, half_b, r) for r in relations])),
            "relearn_trained_half": float(np.mean([_acc(again, tokenizer, world, half_a, r) for r in relations])),
            "relearn_steps": relearn_steps, "relearn_seconds": time.perf_counter() - t0}


def model_utility(model: GPT, tokenizer: Tokenizer, world: World, *, relations=("city", "job", "pet", "colour")) -> dict:
    """Model utility, TOFU-style: the harmonic mean of retain accuracy, retain ``p_true``, the retain
    truth-ratio score and world-knowledge accuracy (which country each city lies in), with its parts.

    Source: TOFU (Maini et al., COLM 2024) takes ``scipy.stats.hmean`` of answer probability, ROUGE-L
    recall and truth-ratio score on the retain, real-authors and world-facts sets (nine numbers).
    Ours: four parts (no generation, hence no ROUGE; the world's city-country facts stand in for the
    real-world sets); 0 when any part is 0 (where ``hmean`` is undefined).

    Introduced in lecture 06.
    """
    _check_model(model, tokenizer)
    retain = list(world.retain)
    dists = [answer_distributions(model, tokenizer, world, retain, r) for r in relations]
    acc = float(np.mean([np.mean(d["p"][:, :-1].argmax(1) == d["truth"]) for d in dists]))
    ptrue = float(np.mean([d["p"][np.arange(len(retain)), d["truth"]].mean() for d in dists]))
    tr = float(np.mean([truth_ratio_score(truth_ratios(model, tokenizer, world, retain, r), forget=False) for r in relations]))
    cities = list(world.countries)
    countries = list(world.values("country"))
    qs = [QUESTIONS["world"][0].format(n=c) for c in cities]
    pred = score_candidates(model, tokenizer, qs, countries).argmax(1).tolist()
    wk = float(np.mean([countries[i] == world.countries[c] for i, c in zip(pred, cities)]))
    parts = [acc, ptrue, tr, wk]
    hm = float(stats.hmean(parts)) if min(parts) > 0 else 0.0
    return {"model_utility": hm, "retain_accuracy": acc, "retain_p_true": ptrue, "retain_truth_ratio": tr,
            "world_knowledge": wk}


def evaluate_unlearning(model: GPT, tokenizer: Tokenizer, world: World, *, retrained: GPT | None = None,
                        retrained_eval: dict | None = None, quick: bool = False, seed: int = 0,
                        relearn_steps: int = 10) -> dict:
    """Everything above for one model, as a JSON-ready dict.

    Args:
        retrained: the retrained model (for forget quality and the distance between answers); or
        retrained_eval: a previous ``evaluate_unlearning`` result of it (its ``_truth_ratios`` and
            ``_p`` are used), to avoid recomputing it.
        quick: only :data:`QUICK_RELATION` (and no scope, recovery or utility): seconds, for a
            lecture's live check against the record.
        seed: the truth ratios' perturbations and the relearning draws.

    Returns:
        dict: ``per_relation`` (relation -> forget and retain accuracy (template 0), forget
        paraphrase accuracy, forget truth-ratio score, forget quality, the output profile on forget
        questions), the means over relations (``forget_accuracy``, ``retain_accuracy``,
        ``truth_ratio``, ``forget_quality`` (KS p-value on all forget ratios pooled), ``entropy``,
        ...), and unless ``quick``: ``utility``, ``scope``, ``recovery``, ``seconds``. Keys starting
        with ``_`` hold the raw arrays (lists) a later call needs.

    Introduced in lecture 06.
    """
    _check_model(model, tokenizer)
    t0 = time.perf_counter()
    rels = (QUICK_RELATION,) if quick else tuple(r for r in EXTENDED_RELATIONS)
    if retrained is not None and retrained_eval is None:
        retrained_eval = evaluate_unlearning(retrained, tokenizer, world, quick=quick, seed=seed, relearn_steps=0) \
            if retrained is not model else None
    forget, retain = list(world.forget), list(world.retain)
    per, all_r, all_r0 = {}, [], []
    raw = {"_truth_ratios": {}, "_p": {}}
    for r in rels:
        d = answer_distributions(model, tokenizer, world, forget, r)
        ratios = truth_ratios(model, tokenizer, world, forget, r, seed=seed)
        raw["_truth_ratios"][r] = ratios.tolist()
        raw["_p"][r] = d["p"].tolist()
        ref_d = None
        # friend: every person's name is a candidate (two tokens each), so its retain accuracy is
        # measured on every fourth retain person (45 of 180) to keep the evaluation near a minute
        entry = {"forget_accuracy": float(np.mean(d["p"][:, :-1].argmax(1) == d["truth"])),
                 "retain_accuracy": _acc(model, tokenizer, world, retain[::4] if r == "friend" else retain, r),
                 "forget_paraphrase_accuracy": float(np.mean([_acc(model, tokenizer, world, forget, r, t)
                                                              for t in range(1, len(QUESTIONS[r]))])),
                 "truth_ratio": truth_ratio_score(ratios, forget=True)}
        if retrained_eval is not None and r in retrained_eval.get("_truth_ratios", {}):
            ref = np.array(retrained_eval["_truth_ratios"][r])
            entry["forget_quality"] = forget_quality(ratios, ref)
            all_r0.append(ref)
            ref_d = {"p": np.array(retrained_eval["_p"][r])}
        entry["output"] = output_profile(d, ref_d)
        per[r] = entry
        all_r.append(ratios)
    out = {"per_relation": per, "relations": list(rels)}
    for key in ("forget_accuracy", "retain_accuracy", "forget_paraphrase_accuracy", "truth_ratio"):
        out[key] = float(np.mean([per[r][key] for r in rels]))
    for key in ("entropy", "p_unknown", "answers_unknown", "confidently_wrong", "off_mass", "tv_to_retrained",
                "agrees_with_retrained"):
        vals = [per[r]["output"][key] for r in rels if key in per[r]["output"]]
        if vals:
            out[key] = float(np.mean(vals))
    if all_r0:
        out["forget_quality"] = forget_quality(np.concatenate(all_r), np.concatenate(all_r0))
    if not quick:
        out["utility"] = model_utility(model, tokenizer, world)
        out["scope"] = scope_probes(model, tokenizer, world)
        if relearn_steps:
            out["recovery"] = recovery_probes(model, tokenizer, world, relearn_steps=relearn_steps, seed=seed)
    out.update(raw)
    out["seconds"] = time.perf_counter() - t0
    return out
