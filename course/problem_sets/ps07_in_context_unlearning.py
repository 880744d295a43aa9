# Source of solutions/ps07_in_context_unlearning/ps07_in_context_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 07 · In-context unlearning and UnUnlearning
#
# You will work with the two small language models of lecture 07: `full` (trained on all 200 people of
# the fictitious world) and `retrained` (the same recipe without the 20 forget people's documents).
# You will
# 1. build an in-context unlearning prompt (Pawelczyk et al., ICML 2024),
# 2. score candidate answers by their log-likelihood under the model,
# 3. measure how much a single fact stated in the context gives back to the retrained model
#    (UnUnlearning, Shumailov et al. 2024),
# 4. argue, in a short written answer, what a provider can and cannot promise.
#
# Useful pieces of `unlearnkit.lm`: `lm.question_text(world, person, relation, template=0)`,
# `lm.statement_text(world, person, relation, template=0)`, `world.answer(person, relation)`,
# `world.values(relation)`, `tok.encode(text, bos=True)`, and the model itself: `model(ids)` maps an
# int64 tensor `(batch, time)` to logits `(batch, time, vocabulary)`. Each task says which
# ready-made function of the library you may *not* call (the tests switch it off).
#
# Points: 3 + 4 + 4 autograded, 4 written. Everything runs in seconds; nothing is trained.

# %% nbg="setup:setup"
import os
import warnings

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

from unittest import mock

import numpy as np
import torch

from unlearnkit import lm

SEED = 0
torch.manual_seed(SEED)
full, world, tok = lm.load_lm("full")
retrained, _, _ = lm.load_lm("retrained")
print(f"{len(world.people)} people, forget set {len(world.forget)}; e.g. {world.people[world.forget[0]]}")


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): an in-context unlearning prompt
#
# Write `build_icul_prompt(world, forget_person, relation, flipped_value, examples, query_person)`. It
# returns the prompt as one string, words separated by single spaces:
# 1. the question about `forget_person` (template 0), then `flipped_value`, then `"."`;
# 2. for each person in `examples`, in order: the question (template 0), the person's true answer, `"."`;
# 3. the question about `query_person` (template 0), without an answer.
#
# For example, `where does A live ? <flipped> . where does B live ? <B's city> . where does A live ?`.
# Raise `ValueError` if `flipped_value` equals the forget person's true answer (that would not flip
# anything). Do not call `lm.icul_prompt`.

# %% nbg="answer:build_icul_prompt"
def build_icul_prompt(world, forget_person, relation, flipped_value, examples, query_person):
    """Return the in-context unlearning prompt (a str) described above."""
    ### BEGIN SOLUTION
    if flipped_value == world.answer(forget_person, relation):
        raise ValueError("flipped_value must differ from the true answer")
    parts = [f"{lm.question_text(world, forget_person, relation)} {flipped_value} ."]
    for e in examples:
        parts.append(f"{lm.question_text(world, e, relation)} {world.answer(e, relation)} .")
    parts.append(lm.question_text(world, query_person, relation))
    return " ".join(parts)
    ### END SOLUTION


# %% nbg="tests:test_build_icul_prompt:3"
f, r1, r2 = world.forget[0], world.retain[0], world.retain[1]
name = lambda p: world.people[p].name
flip = next(c for c in world.values("city") if c != world.answer(f, "city"))
with mock.patch.object(lm, "icul_prompt", side_effect=AssertionError("do not call lm.icul_prompt")):
    got = build_icul_prompt(world, f, "city", flip, [r1, r2], f)
assert isinstance(got, str), "return a str"
expected = (f"where does {name(f)} live ? {flip} . where does {name(r1)} live ? {world.answer(r1, 'city')} . "
            f"where does {name(r2)} live ? {world.answer(r2, 'city')} . where does {name(f)} live ?")
assert got == expected, f"expected\n{expected}\ngot\n{got}"
try:
    build_icul_prompt(world, f, "city", world.answer(f, "city"), [r1], f)
    raised = False
except ValueError:
    raised = True
assert raised, "a flipped_value equal to the forget person's true answer must raise ValueError"
### BEGIN HIDDEN TESTS
cases = []
for rel in ("job", "colour", "country"):
    fl = next(c for c in world.values(rel) if c != world.answer(f, rel))
    cases.append((rel, fl, list(world.retain[5:8]), world.retain[9]))
fl_pet = next(c for c in world.values("pet") if c != world.answer(f, "pet"))
with mock.patch.object(lm, "icul_prompt", side_effect=AssertionError("do not call lm.icul_prompt")):
    mine = [build_icul_prompt(world, f, rel, fl, ex, q) for rel, fl, ex, q in cases]
    got0 = build_icul_prompt(world, f, "pet", fl_pet, [], r1)
    try:
        build_icul_prompt(world, f, "city", world.answer(f, "city"), [r1], f)
        raised = False
    except ValueError:
        raised = True
assert raised, "a flipped_value equal to the true answer must raise ValueError"
for m, (rel, fl, ex, q) in zip(mine, cases):
    assert m == lm.icul_prompt(world, f, rel, fl, ex, q), rel
assert got0 == f"{lm.question_text(world, f, 'pet')} {fl_pet} . {lm.question_text(world, r1, 'pet')}"
assert "  " not in got0 and not got0.endswith(" ")
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (4 points): scoring answers by log-likelihood
#
# Write `answer_log_likelihoods(model, tokenizer, prompt, candidates)`. For each candidate answer
# (a string of one or more words) return the log-likelihood the model gives it as the continuation of
# `"<bos> " + prompt`: the sum, over the candidate's tokens, of the log-probability of each token given
# everything before it. Return a float32 tensor of shape `(len(candidates),)` in nats.
#
# Hints: `tokenizer.encode(prompt, bos=True)` adds `<bos>`; the logits at position `t` predict token
# `t + 1`; `torch.log_softmax`. Wrap the work in `torch.no_grad()`. Do not call `lm.score_candidates`,
# `lm.sequence_log_likelihood` or `lm.qa_accuracy`.

# %% nbg="answer:answer_log_likelihoods"
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    """Return a torch.float32 tensor of shape (len(candidates),): log p(candidate | <bos> prompt) in nats,
    summed over the candidate's tokens."""
    ### BEGIN SOLUTION
    p = tokenizer.encode(prompt, bos=True)
    seqs = [p + tokenizer.encode(c) for c in candidates]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), tokenizer.pad_id)  # right padding: causal, so harmless
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
    with torch.no_grad():
        logp = torch.log_softmax(model(ids), dim=-1)
    out = torch.zeros(len(seqs))
    for i, s in enumerate(seqs):
        for t in range(len(p), len(s)):  # the logits at t - 1 predict token t
            out[i] += logp[i, t - 1, s[t]]
    return out
    ### END SOLUTION


# %% nbg="tests:test_answer_log_likelihoods:4"
_off = dict(side_effect=AssertionError("do not call the library's scoring functions"))
q = lm.question_text(world, world.retain[0], "city")
cities = list(world.values("city"))
ref = lm.score_candidates(full, tok, [q], cities)[0]
with mock.patch.object(lm, "score_candidates", **_off), mock.patch.object(lm, "sequence_log_likelihood", **_off), \
     mock.patch.object(lm, "qa_accuracy", **_off):
    got = answer_log_likelihoods(full, tok, q, cities)
assert torch.is_tensor(got) and got.shape == (len(cities),), "return a tensor with one value per candidate"
assert got.dtype == torch.float32, f"return a float32 tensor, got {got.dtype}"
assert torch.allclose(got, ref, atol=1e-4), f"expected {ref}, got {got}"
### BEGIN HIDDEN TESTS
names = [world.people[p].name for p in world.retain[:6]] + ["cat", "where does"]
q2 = lm.question_text(world, world.retain[3], "friend", 1)
ref2 = lm.score_candidates(retrained, tok, [q2], names)[0]
vocab = [w for w in tok.itos if w not in ("<pad>", "<bos>")]
with mock.patch.object(lm, "score_candidates", **_off), mock.patch.object(lm, "sequence_log_likelihood", **_off), \
     mock.patch.object(lm, "qa_accuracy", **_off):
    got2 = answer_log_likelihoods(retrained, tok, q2, names)
    allw = answer_log_likelihoods(full, tok, "where does", vocab)
    single = answer_log_likelihoods(full, tok, q, [cities[2]])
assert got2.shape == (8,) and torch.allclose(got2.float(), ref2, atol=1e-4), "multi-word candidates: sum over tokens"
assert (got2 <= 0).all()
p_special = torch.softmax(full(torch.tensor([tok.encode("where does", bos=True)])).detach()[0, -1], -1)[:2].sum()
assert abs(float(torch.logsumexp(allw.double(), 0).exp()) + float(p_special) - 1) < 1e-4, "probabilities over the vocabulary must sum to 1"
assert single.shape == (1,) and abs(float(single[0]) - float(ref[2])) < 1e-4
assert got.dtype == torch.float32, "return float32"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (4 points): what one sentence of context gives back
#
# Write `context_accuracy(model, tokenizer, world, people, relation, stated_relation=None)`. It returns
# a pair of floats `(closed_book, in_context)`:
# - `closed_book`: the fraction of `people` for whom the candidate of `world.values(relation)` with the
#   highest log-likelihood after `lm.question_text(world, p, relation)` is the true answer
#   `world.answer(p, relation)`;
# - `in_context`: the same, with the prompt `lm.statement_text(world, p, S) + " " + question`, where the
#   stated relation `S` is `stated_relation` if one is given and `relation` otherwise (state the city,
#   ask the country: composition).
#
# Use your `answer_log_likelihoods`; do not call `lm.qa_accuracy` or `lm.score_candidates`. Break ties
# by the first candidate in `world.values(relation)` order (as `argmax` does).

# %% nbg="answer:context_accuracy"
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    """Return (closed_book, in_context) accuracies (floats in [0, 1]) over `people`."""
    ### BEGIN SOLUTION
    cands = list(world.values(relation))
    stated = stated_relation or relation
    hits_closed, hits_ctx = [], []
    for p in people:
        question = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        closed = answer_log_likelihoods(model, tokenizer, question, cands)
        ctx = answer_log_likelihoods(model, tokenizer, f"{lm.statement_text(world, p, stated)} {question}", cands)
        hits_closed.append(cands[int(closed.argmax())] == truth)
        hits_ctx.append(cands[int(ctx.argmax())] == truth)
    return float(np.mean(hits_closed)), float(np.mean(hits_ctx))
    ### END SOLUTION


# %% nbg="tests:test_context_accuracy:4"
_off = dict(side_effect=AssertionError("do not call lm.qa_accuracy / lm.score_candidates"))
people = list(world.forget)
ref_closed = lm.qa_accuracy(retrained, tok, world, people, "city")
ref_ctx = lm.qa_accuracy(retrained, tok, world, people, "city",
                         contexts=[lm.statement_text(world, p, "city") for p in people])
with mock.patch.object(lm, "qa_accuracy", **_off), mock.patch.object(lm, "score_candidates", **_off):
    got = context_accuracy(retrained, tok, world, people, "city")
assert len(got) == 2, "return (closed_book, in_context)"
assert abs(got[0] - ref_closed) < 1e-9 and abs(got[1] - ref_ctx) < 1e-9, f"expected {(ref_closed, ref_ctx)}, got {got}"

def ref_pair(model, ppl, rel, stated):  # the library's answer, for comparison
    return (lm.qa_accuracy(model, tok, world, ppl, rel),
            lm.qa_accuracy(model, tok, world, ppl, rel, contexts=[lm.statement_text(world, p, stated) for p in ppl]))

ref_job, ref_comp = ref_pair(retrained, people, "job", "job"), ref_pair(retrained, people, "country", "city")
with mock.patch.object(lm, "qa_accuracy", **_off), mock.patch.object(lm, "score_candidates", **_off):
    job = context_accuracy(retrained, tok, world, people, "job")  # default: state the relation that is asked
    comp = context_accuracy(retrained, tok, world, people, "country", stated_relation="city")
assert abs(job[0] - ref_job[0]) < 1e-9 and abs(job[1] - ref_job[1]) < 1e-9, \
    f"job, no stated_relation (state the job itself): expected {ref_job}, got {job}"
assert abs(comp[0] - ref_comp[0]) < 1e-9 and abs(comp[1] - ref_comp[1]) < 1e-9, \
    f"state the city, ask the country: expected {ref_comp}, got {comp}"
assert all(isinstance(v, float) for v in got + job + comp), "return Python floats"
print(f"retrained model, forget people: closed book -> with one sentence of context")
print(f"  city (city stated):             {got[0]:.2f} -> {got[1]:.2f}")
print(f"  job (job stated):               {job[0]:.2f} -> {job[1]:.2f}")
print(f"  country (only the city stated): {comp[0]:.2f} -> {comp[1]:.2f}   (composition with kept world knowledge)")
### BEGIN HIDDEN TESTS
ref_pet, ref_mis = ref_pair(retrained, people, "pet", "pet"), ref_pair(retrained, people, "pet", "colour")
few = list(world.retain[:7])
ref_f = ref_pair(full, few, "pet", "pet")
with mock.patch.object(lm, "qa_accuracy", **_off), mock.patch.object(lm, "score_candidates", **_off):
    pet = context_accuracy(retrained, tok, world, people, "pet")
    mis = context_accuracy(retrained, tok, world, people, "pet", stated_relation="colour")
    one = context_accuracy(full, tok, world, few, "pet")
assert abs(pet[0] - ref_pet[0]) < 1e-9 and abs(pet[1] - ref_pet[1]) < 1e-9, "pet: state the pet"
assert abs(mis[0] - ref_mis[0]) < 1e-9 and abs(mis[1] - ref_mis[1]) < 1e-9, "use the stated_relation that is passed"
assert abs(one[0] - ref_f[0]) < 1e-9 and abs(one[1] - ref_f[1]) < 1e-9
assert all(isinstance(v, float) for v in pet + mis + one), "return Python floats"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (written, 4 points)
#
# A provider received a deletion request for one person and retrained its assistant without that
# person's documents (exact unlearning). A week later, a user pastes a news article that names the
# person's city into the chat and asks in which country the person lives; the assistant answers
# correctly. Using what you measured in Task 3 (the three lines printed under its tests, the last one
# for the country) and in lecture 07 (sections 3 and 4), explain (a) whether the unlearning
# failed, (b) why in-context unlearning would not have been a stronger guarantee, and (c) which
# system-level measure could stop this answer and what it cannot promise. About 150 words.

# %% [markdown] nbg="written:written_guardrails:4"
# ### BEGIN SOLUTION
# **Model answer.** (a) No. Exact unlearning guarantees that the weights are those of a model never
# trained on the person's documents; Task 3 shows such a model still reads facts given in its input and
# composes them with retained world knowledge (city to country). The fact came back through the
# context, not the weights: UnUnlearning (Shumailov et al., 2024). (b) In-context unlearning changes only
# the prompt: the knowledge stays in the weights. In lecture 07 the full model answered every forget
# question correctly again as soon as the prompt was dropped (anyone with the weights or another front
# end can do that), and for some facts (city, colour) a likelihood probe still told the prompted model
# apart from the retrained one, which gives the truth less probability. (A paraphrased question did
# not escape the prompt there.) So ICUL guarantees less than retraining, and it does nothing against
# facts the user supplies. (c) Guardrails: an input or output filter (or a system-prompt policy) that refuses
# questions or answers about that person, whatever their source. It suppresses rather than removes, only
# catches what it recognises (paraphrases, other names, encodings slip through), and can block
# legitimate uses (dual use). Retrieval helps when the fact lives in the provider's own datastore, where
# deletion is exact, but not when the user brings it.
#
# **Rubric (4 points).** 1 point: (a) says the unlearning did not fail and names the mechanism (facts in
# the context, composed with retained knowledge). 1 point: (b) says ICUL leaves the knowledge in the
# weights, with evidence or a way to recover or detect it that lecture 07 measured: dropping the prompt,
# or the likelihood probe against the retrained model. An answer whose only evidence is that a
# paraphrase or the model's second choice brings the fact back gets no point here: lecture 07 measured
# that a paraphrase does not escape the prompt, and it gives no evidence for the second-choice route. 1 point: (c) names a
# filter or system-level guardrail acting on inputs/outputs. 1 point: states a real limit of that
# measure (suppression not removal, bypass by paraphrase, over-blocking, or user-supplied facts that
# retrieval deletion cannot touch). No point for answers that claim retraining should have prevented it.
# ### END SOLUTION
