# Source of solutions/ps07_in_context_unlearning/ps07_in_context_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 07 · In-context unlearning and UnUnlearning
#
# You will work with the two small language models of lecture 07: `full` (trained on all 200 people of
# the fictitious world) and `retrained` (the same recipe without the 20 forget people's documents).
# You will
# 1. build an in-context unlearning prompt for one or more people (Pawelczyk et al., ICML 2024),
# 2. score candidate answers by their log-likelihood under the model,
# 3. measure how much a single fact stated in the context gives back to the retrained model
#    (UnUnlearning, Shumailov et al. 2024),
# 4. argue, in a short written answer, what a provider can and cannot promise.
#
# Useful pieces of `unlearnkit.lm`: `lm.question_text(world, person, relation, template=0)`,
# `lm.statement_text(world, person, relation, template=0)`, `world.answer(person, relation)`,
# `world.values(relation)`, `tok.encode(text, bos=True)`, and the model itself: `model(ids)` maps an
# int64 tensor `(batch, time)` to logits `(batch, time, vocabulary)`. Each task says which function
# of the library it mirrors and which ones you may *not* call (the tests switch them off while your
# function runs, so a call fails the test).
#
# Points: 3 + 4 + 4 autograded, 4 written. Everything runs in seconds; nothing is trained.

# %% nbg="setup:setup"
import os
import warnings
from contextlib import ExitStack, contextmanager

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

from unittest import mock

import numpy as np
import torch

from unlearnkit import lm

SEED = 0
torch.manual_seed(SEED)
torch.set_num_threads(1)  # a small model: one thread is as fast, and steady on a busy machine
full, world, tok = lm.load_lm("full")
retrained, _, _ = lm.load_lm("retrained")
print(
    f"{len(world.people)} people, forget set {len(world.forget)}; e.g. "
    f"{world.people[world.forget[0]]}"
)


@contextmanager
def switched_off(*names):
    '''While the block runs, calling lm.<name> raises, for each of names.'''
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(
                mock.patch.object(
                    lm,
                    name,
                    side_effect=AssertionError(f"this task asks you not to call lm.{name}"),
                )
            )
        yield


_library_scores = lm.score_candidates  # kept before any test switches lm.score_candidates off


@contextmanager
def correct_task2():
    '''While the block runs, answer_log_likelihoods is a correct version (Task 3 is graded on its
    own).'''
    namespace = globals()
    yours = namespace.get("answer_log_likelihoods")
    namespace["answer_log_likelihoods"] = lambda model, tokenizer, prompt, candidates: (
        _library_scores(model, tokenizer, [prompt], list(candidates))[0]
    )
    try:
        yield
    finally:
        namespace["answer_log_likelihoods"] = yours


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): an in-context unlearning prompt
#
# A deletion request may name several people. The in-context unlearning prompt of Pawelczyk et al.
# shows every example to forget with a flipped label, then a few correctly labelled examples, then
# the query. `lm.icul_prompt`, which this task mirrors, does it for one forget person; you write it
# for one or more.
#
# Write `build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person)`.
# It returns the prompt as one string, words separated by single spaces:
# 1. for each person in `forget_people`, in the order given: the question about that person
#    (template 0), then the matching entry of `flipped_values`, then `"."`;
# 2. for each person in `examples`, in the order given (do not sort them): the question (template 0),
#    the person's true answer, `"."`;
# 3. the question about `query_person` (template 0), without an answer.
#
# For example, with forget people A and B and one example C:
# `where does A live ? <flipped for A> . where does B live ? <flipped for B> . where does C live ? <C's city> . where does A live ?`.
#
# Raise `ValueError` if `forget_people` is empty, if `flipped_values` does not hold exactly one value
# per forget person, or if any flipped value equals that person's true answer (it would not flip
# anything). Do not change the lists you are given. Do not call `lm.icul_prompt`; `lm.question_text`
# and `lm.qa_text` are allowed.


# %% nbg="answer:build_icul_prompt"
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    """Return the in-context unlearning prompt (a str) described above."""
    ### BEGIN SOLUTION
    forget_people, flipped_values = list(forget_people), list(flipped_values)
    if not forget_people:
        raise ValueError("forget_people must name at least one person")
    if len(flipped_values) != len(forget_people):
        raise ValueError(
            f"flipped_values must hold one value per forget person ({len(forget_people)}), "
            f"got {len(flipped_values)}"
        )
    for person, value in zip(forget_people, flipped_values):
        if value == world.answer(person, relation):
            raise ValueError(f"the flipped value {value!r} of person {person} is its true answer")
    parts = [
        f"{lm.question_text(world, p, relation)} {v} ."
        for p, v in zip(forget_people, flipped_values)
    ]
    parts += [
        f"{lm.question_text(world, e, relation)} {world.answer(e, relation)} ." for e in examples
    ]
    parts.append(lm.question_text(world, query_person, relation))
    return " ".join(parts)
    ### END SOLUTION


# %% nbg="wrong:build_icul_prompt:sorted_examples"
# trap: the examples are put in sorted order instead of the order given
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    for p, v in zip(forget_people, flipped_values):
        if v == world.answer(p, relation):
            raise ValueError("a flipped value equals the true answer")
    parts = [lm.qa_text(world, p, relation, value=v) for p, v in zip(forget_people, flipped_values)]
    parts += [lm.qa_text(world, e, relation) for e in sorted(examples)]
    return " ".join(parts + [lm.question_text(world, query_person, relation)])


# %% nbg="wrong:build_icul_prompt:checks_first_flip_only"
# trap: only the first flipped value is checked against the true answer
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    if flipped_values[0] == world.answer(forget_people[0], relation):
        raise ValueError("the flipped value equals the true answer")
    parts = [lm.qa_text(world, p, relation, value=v) for p, v in zip(forget_people, flipped_values)]
    parts += [lm.qa_text(world, e, relation) for e in examples]
    return " ".join(parts + [lm.question_text(world, query_person, relation)])


# %% nbg="wrong:build_icul_prompt:zip_drops_extra_values"
# trap: no length check; zip silently drops the values (or people) that have no partner
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people:
        raise ValueError("no forget person")
    parts = []
    for p, v in zip(forget_people, flipped_values):
        if v == world.answer(p, relation):
            raise ValueError("a flipped value equals the true answer")
        parts.append(lm.qa_text(world, p, relation, value=v))
    parts += [lm.qa_text(world, e, relation) for e in examples]
    return " ".join(parts + [lm.question_text(world, query_person, relation)])


# %% nbg="wrong:build_icul_prompt:appends_query_to_examples"
# trap: mutates an argument: the query person is appended to the caller's examples list
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    for p, v in zip(forget_people, flipped_values):
        if v == world.answer(p, relation):
            raise ValueError("a flipped value equals the true answer")
    examples.append(query_person)
    parts = [lm.qa_text(world, p, relation, value=v) for p, v in zip(forget_people, flipped_values)]
    parts += [lm.qa_text(world, e, relation) for e in examples[:-1]]
    return " ".join(parts + [lm.question_text(world, examples[-1], relation)])


# %% nbg="wrong:build_icul_prompt:city_hard_coded"
# trap: hard-codes the question the visible test asks (where does ... live ?)
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    for p, v in zip(forget_people, flipped_values):
        if v == world.answer(p, relation):
            raise ValueError("a flipped value equals the true answer")
    q = lambda p: f"where does {world.people[p].name} live ?"
    parts = [f"{q(p)} {v} ." for p, v in zip(forget_people, flipped_values)]
    parts += [f"{q(e)} {world.answer(e, relation)} ." for e in examples]
    return " ".join(parts + [q(query_person)])


# %% nbg="wrong:build_icul_prompt:flipped_after_examples"
# trap: the flipped examples come after the correct ones, right before the query
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    for p, v in zip(forget_people, flipped_values):
        if v == world.answer(p, relation):
            raise ValueError("a flipped value equals the true answer")
    parts = [lm.qa_text(world, e, relation) for e in examples]
    parts += [
        lm.qa_text(world, p, relation, value=v) for p, v in zip(forget_people, flipped_values)
    ]
    return " ".join(parts + [lm.question_text(world, query_person, relation)])


# %% nbg="wrong:build_icul_prompt:string_concatenation_spaces"
# trap: builds the text by concatenation and leaves a double space when there are no examples
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    for p, v in zip(forget_people, flipped_values):
        if v == world.answer(p, relation):
            raise ValueError("a flipped value equals the true answer")
    flipped = " ".join(
        lm.qa_text(world, p, relation, value=v) for p, v in zip(forget_people, flipped_values)
    )
    shown = " ".join(lm.qa_text(world, e, relation) for e in examples)
    return flipped + " " + shown + " " + lm.question_text(world, query_person, relation)


# %% nbg="alt:build_icul_prompt:word_list_loop"
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if len(forget_people) == 0:
        raise ValueError("forget_people is empty")
    if len(forget_people) != len(flipped_values):
        raise ValueError("need exactly one flipped value per forget person")
    for i in range(len(forget_people)):
        if flipped_values[i] == world.answer(forget_people[i], relation):
            raise ValueError("flipped value equals the true answer")
    words = []
    for i in range(len(forget_people)):
        words += lm.question_text(world, forget_people[i], relation).split()
        words += [flipped_values[i], "."]
    for e in examples:
        words += lm.question_text(world, e, relation).split() + [world.answer(e, relation), "."]
    words += lm.question_text(world, query_person, relation).split()
    return " ".join(words)


# %% nbg="wrong:build_icul_prompt:forget_people_as_a_set"
# trap: a set to drop a person named twice; a set does not keep the order given
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    value_of = dict(zip(forget_people, flipped_values))
    parts = []
    for p in set(forget_people):
        if value_of[p] == world.answer(p, relation):
            raise ValueError("a flipped value equals the true answer")
        parts.append(lm.qa_text(world, p, relation, value=value_of[p]))
    parts += [lm.qa_text(world, e, relation) for e in examples]
    return " ".join(parts + [lm.question_text(world, query_person, relation)])


# %% nbg="wrong:build_icul_prompt:full_stop_glued_to_the_answer"
# trap: "answer." instead of "answer .": the full stop is a word of its own in this world
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    if any(v == world.answer(p, relation) for p, v in zip(forget_people, flipped_values)):
        raise ValueError("a flipped value equals the true answer")
    parts = [
        f"{lm.question_text(world, p, relation)} {v}."
        for p, v in zip(forget_people, flipped_values)
    ]
    parts += [
        f"{lm.question_text(world, e, relation)} {world.answer(e, relation)}." for e in examples
    ]
    return " ".join(parts + [lm.question_text(world, query_person, relation)])


# %% nbg="wrong:build_icul_prompt:sorts_the_examples_in_place"
# trap: examples.sort() orders the prompt and changes the caller's list
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    if not forget_people or len(flipped_values) != len(forget_people):
        raise ValueError("one flipped value per forget person")
    if any(v == world.answer(p, relation) for p, v in zip(forget_people, flipped_values)):
        raise ValueError("a flipped value equals the true answer")
    examples.sort()
    parts = [lm.qa_text(world, p, relation, value=v) for p, v in zip(forget_people, flipped_values)]
    parts += [lm.qa_text(world, e, relation) for e in examples]
    return " ".join(parts + [lm.question_text(world, query_person, relation)])


# %% nbg="twin:build_icul_prompt:fails"
# the library twin: lm.icul_prompt's body, renamed (it handles one forget person)
def build_icul_prompt(world, forget_people, relation, flipped_values, examples, query_person):
    truth = world.answer(forget_people, relation)
    if flipped_values == truth:
        raise ValueError(f"flipped_value must differ from the true answer {truth!r}")
    if flipped_values not in world.values(relation):
        raise ValueError(
            f"flipped_value must be one of world.values({relation!r}), got {flipped_values!r}"
        )
    examples = [int(e) for e in examples]
    if int(forget_people) in examples:
        raise ValueError("examples must not contain forget_person (its answer is shown flipped)")
    parts = [lm.qa_text(world, forget_people, relation, 0, value=flipped_values)]
    parts += [lm.qa_text(world, e, relation, 0) for e in examples]
    parts.append(lm.question_text(world, query_person, relation, 0))
    return " ".join(parts)


# %% nbg="tests:test_build_icul_prompt:3"
f1, f2, r1, r2 = (
    world.forget[0],
    world.forget[3],
    world.retain[4],
    world.retain[1],
)  # examples not in sorted order
name = lambda p: world.people[p].name
city = lambda p: world.answer(p, "city")
flip1 = next(c for c in world.values("city") if c != city(f1))
flip2 = next(c for c in reversed(world.values("city")) if c != city(f2))
forget_people, flipped, examples = [f1, f2], [flip1, flip2], [r1, r2]
with switched_off("icul_prompt"):
    got = build_icul_prompt(world, forget_people, "city", flipped, examples, f2)
    one = build_icul_prompt(world, [f1], "city", [flip1], [], r1)
assert isinstance(got, str), f"return a str, got {type(got).__name__}"
expected = (
    f"where does {name(f1)} live ? {flip1} . where does {name(f2)} live ? {flip2} . "
    f"where does {name(r1)} live ? {city(r1)} . where does {name(r2)} live ? {city(r2)} . "
    f"where does {name(f2)} live ?"
)
assert got == expected, (
    f"two forget people, then the examples in the order given:\nexpected {expected!r}\ngot      "
    f"{got!r}"
)
expected_one = f"where does {name(f1)} live ? {flip1} . where does {name(r1)} live ?"
assert one == expected_one, (
    f"one forget person, no examples:\nexpected {expected_one!r}\ngot      {one!r}"
)
assert (forget_people, flipped, examples) == ([f1, f2], [flip1, flip2], [r1, r2]), (
    f"do not change the lists you are given: now {forget_people}, {flipped}, {examples}"
)
bad = {
    "a flipped value equal to the true answer (the second forget person's)": (
        [f1, f2],
        [flip1, city(f2)],
    ),
    "one flipped value too few": ([f1, f2], [flip1]),
    "one flipped value too many": ([f1], [flip1, flip2]),
    "no forget person": ([], []),
}
for why, (fp, fv) in bad.items():
    with switched_off("icul_prompt"):
        try:
            build_icul_prompt(world, fp, "city", fv, [r1], f1)
            raised = False
        except ValueError:
            raised = True
    assert raised, f"{why}: expected ValueError"
print(
    f"visible tests passed: two forget people then two examples in the order given "
    f"({len(got.split())} words), "
    f"one forget person without examples, the lists left unchanged, ValueError for {len(bad)} bad "
    f"inputs"
)


### BEGIN HIDDEN TESTS
def expected_prompt(fp, rel, fv, ex, q):  # the same prompt, written with lm.qa_text
    return " ".join(
        [lm.qa_text(world, p, rel, value=v) for p, v in zip(fp, fv)]
        + [lm.qa_text(world, e, rel) for e in ex]
        + [lm.question_text(world, q, rel)]
    )


def flips(fp, rel, k):
    return [
        [c for c in world.values(rel) if c != world.answer(p, rel)][
            (k + i) % (len(world.values(rel)) - 1)
        ]
        for i, p in enumerate(fp)
    ]


F, R = world.forget, world.retain
cases = [
    ([F[5], F[1], F[9]], "job", [R[8], R[2], R[6]], F[1]),
    ([F[2]], "colour", [R[12], R[0]], R[3]),
    ([F[7], F[4]], "friend", [R[10]], F[7]),
    ([F[6], F[8]], "country", [], R[7]),
    ([F[0]], "pet", [R[15], R[11], R[13], R[14]], F[0]),
    ([F[9], F[1]], "city", [R[3]], F[9]),
]  # forget people not in increasing order (a set would reorder them)
for k, (fp, rel, ex, q) in enumerate(cases):
    fv = flips(fp, rel, k)
    args = [list(fp), rel, list(fv), list(ex), q]
    with switched_off("icul_prompt"):
        mine = build_icul_prompt(world, *args)
    want = expected_prompt(fp, rel, fv, ex, q)
    assert mine == want, (
        f"{rel}, {len(fp)} forget people, {len(ex)} examples:\nexpected {want!r}\ngot      {mine!r}"
    )
    assert args == [fp, rel, fv, ex, q], f"{rel}: do not change the lists you are given"
    assert "  " not in mine and mine == mine.strip(), f"{rel}: words separated by single spaces"
three = [F[5], F[1], F[9]]
fv3 = flips(three, "job", 0)
for why, fv in {
    "the third flipped value is the true answer": fv3[:2] + [world.answer(F[9], "job")],
    "four values for three people": fv3 + fv3[:1],
}.items():
    with switched_off("icul_prompt"):
        try:
            build_icul_prompt(world, three, "job", fv, [R[0]], F[5])
            raised = False
        except ValueError:
            raised = True
    assert raised, f"{why}: expected ValueError"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (4 points): scoring answers by log-likelihood
#
# Write `answer_log_likelihoods(model, tokenizer, prompt, candidates)`. For each candidate answer
# (a string of one or more words) return the log-likelihood the model gives it as the continuation of
# `"<bos> " + prompt`: the sum, over **all** the candidate's tokens, of the log-probability of each token
# given everything before it. Return a float32 tensor of shape `(len(candidates),)` in nats, computed
# without gradients (wrap the work in `torch.no_grad()`: the result must not require grad).
#
# This task mirrors `lm.score_candidates` for a single prompt (which calls
# `lm.sequence_log_likelihood` for answers of several words). Do not call `lm.score_candidates`,
# `lm.sequence_log_likelihood` or `lm.qa_accuracy`.
#
# Hints: `tokenizer.encode(prompt, bos=True)` adds `<bos>`; the logits at position `t` predict token
# `t + 1`; `torch.log_softmax`. Candidates may differ in length: if you batch them, pad on the right
# (attention is causal, so what comes after a token cannot change its logits).


# %% nbg="answer:answer_log_likelihoods"
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    """Return a torch.float32 tensor of shape (len(candidates),): log p(candidate | <bos> prompt) in
    nats,
    summed over the candidate's tokens."""
    ### BEGIN SOLUTION
    p = tokenizer.encode(prompt, bos=True)
    seqs = [p + tokenizer.encode(c) for c in candidates]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), tokenizer.pad_id)  # right padding: causal, so harmless
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
    with torch.no_grad():
        logp = torch.log_softmax(model(ids), dim=-1)
    out = torch.zeros(len(seqs))
    for i, s in enumerate(seqs):
        for t in range(len(p), len(s)):  # the logits at t - 1 predict token t
            out[i] += logp[i, t - 1, s[t]]
    return out
    ### END SOLUTION


# %% nbg="wrong:answer_log_likelihoods:no_bos"
# trap: the prompt is encoded without <bos>
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt)
    out = torch.zeros(len(candidates))
    with torch.no_grad():
        for i, c in enumerate(candidates):
            s = p + tokenizer.encode(c)
            logp = torch.log_softmax(model(torch.tensor([s])), dim=-1)[0]
            for t in range(len(p), len(s)):
                out[i] += logp[t - 1, s[t]]
    return out


# %% nbg="wrong:answer_log_likelihoods:off_by_one_position"
# trap: off by one: reads token t's probability from the logits at t (which predict token t + 1)
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    seqs = [p + tokenizer.encode(c) for c in candidates]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), tokenizer.pad_id)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
    with torch.no_grad():
        logp = torch.log_softmax(model(ids), dim=-1)
    out = torch.zeros(len(seqs))
    for i, s in enumerate(seqs):
        for t in range(len(p), len(s)):
            out[i] += logp[i, t, s[t]]
    return out


# %% nbg="wrong:answer_log_likelihoods:first_token_only"
# trap: one pass over the prompt and the first token of each candidate (right only for one-word
# answers)
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    ids = torch.tensor([tokenizer.encode(prompt, bos=True)])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids)[0, -1], dim=-1)
    return torch.stack([logp[tokenizer.encode(c)[0]] for c in candidates])


# %% nbg="wrong:answer_log_likelihoods:mean_over_tokens"
# trap: the mean over the candidate's tokens instead of the sum
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    out = torch.zeros(len(candidates))
    with torch.no_grad():
        for i, c in enumerate(candidates):
            s = p + tokenizer.encode(c)
            logp = torch.log_softmax(model(torch.tensor([s])), dim=-1)[0]
            out[i] = torch.stack([logp[t - 1, s[t]] for t in range(len(p), len(s))]).mean()
    return out


# %% nbg="wrong:answer_log_likelihoods:float64"
# trap: returns float64 where float32 is asked
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    out = torch.zeros(len(candidates), dtype=torch.float64)
    with torch.no_grad():
        for i, c in enumerate(candidates):
            s = p + tokenizer.encode(c)
            logp = torch.log_softmax(model(torch.tensor([s])).double(), dim=-1)[0]
            for t in range(len(p), len(s)):
                out[i] += logp[t - 1, s[t]]
    return out


# %% nbg="wrong:answer_log_likelihoods:keeps_gradients"
# trap: no torch.no_grad(): the result drags the model's graph along and requires grad
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    scores = []
    for c in candidates:
        s = p + tokenizer.encode(c)
        logp = torch.log_softmax(model(torch.tensor([s])), dim=-1)[0]
        scores.append(sum(logp[t - 1, s[t]] for t in range(len(p), len(s))))
    return torch.stack(scores)


# %% nbg="wrong:answer_log_likelihoods:softmax_over_time"
# trap: wrong axis: log_softmax over the time axis instead of the vocabulary
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    out = torch.zeros(len(candidates))
    with torch.no_grad():
        for i, c in enumerate(candidates):
            s = p + tokenizer.encode(c)
            logp = torch.log_softmax(model(torch.tensor([s])), dim=1)[0]
            for t in range(len(p), len(s)):
                out[i] += logp[t - 1, s[t]]
    return out


# %% nbg="wrong:answer_log_likelihoods:left_padding"
# trap: pads on the left, so shorter candidates see padding and shifted positions
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    seqs = [p + tokenizer.encode(c) for c in candidates]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), tokenizer.pad_id)
    for i, s in enumerate(seqs):
        ids[i, width - len(s) :] = torch.tensor(s)
    with torch.no_grad():
        logp = torch.log_softmax(model(ids), dim=-1)
    out = torch.zeros(len(seqs))
    for i, s in enumerate(seqs):
        shift = width - len(s)
        for t in range(len(p), len(s)):
            out[i] += logp[i, shift + t - 1, s[t]]
    return out


# %% nbg="alt:answer_log_likelihoods:one_pass_per_candidate"
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    out = []
    with torch.no_grad():
        for c in candidates:
            s = p + tokenizer.encode(c)
            logp = torch.log_softmax(model(torch.tensor([s]))[0], dim=-1)
            out.append(sum(float(logp[t - 1, s[t]]) for t in range(len(p), len(s))))
    return torch.tensor(out, dtype=torch.float32)


# %% nbg="alt:answer_log_likelihoods:cross_entropy"
import torch.nn.functional as F


def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p = tokenizer.encode(prompt, bos=True)
    scores = torch.empty(len(candidates))
    with torch.no_grad():
        for i, c in enumerate(candidates):
            ids = torch.tensor(p + tokenizer.encode(c))
            logits = model(ids[None])[0]
            scores[i] = -F.cross_entropy(logits[len(p) - 1 : -1], ids[len(p) :], reduction="sum")
    return scores


# %% nbg="wrong:answer_log_likelihoods:every_token_from_the_last_prompt_position"
# trap: scores every token of a candidate as if it came right after the prompt
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    ids = tokenizer.encode(prompt, bos=True)
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids]))[0, -1], dim=-1)
    return torch.tensor(
        [float(sum(logp[t] for t in tokenizer.encode(c))) for c in candidates], dtype=torch.float32
    )


# %% nbg="wrong:answer_log_likelihoods:padding_scored"
# trap: pads on the right (correct) but adds the log-probability of the padding tokens too
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    ctx = tokenizer.encode(prompt, bos=True)
    enc = [tokenizer.encode(c) for c in candidates]
    width = max(len(e) for e in enc)
    rows = [ctx + e + [0] * (width - len(e)) for e in enc]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor(rows)), dim=-1)
    out = [
        sum(float(logp[i, len(ctx) - 1 + k, t]) for k, t in enumerate(e + [0] * (width - len(e))))
        for i, e in enumerate(enc)
    ]
    return torch.tensor(out, dtype=torch.float32)


# %% nbg="wrong:answer_log_likelihoods:candidate_encoded_with_bos"
# trap: encode(candidate, bos=True) puts a <bos> token between the prompt and the answer
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    ctx = tokenizer.encode(prompt, bos=True)
    out = []
    with torch.no_grad():
        for c in candidates:
            cand = tokenizer.encode(c, bos=True)
            logp = torch.log_softmax(model(torch.tensor([ctx + cand]))[0], dim=-1)
            out.append(sum(float(logp[len(ctx) - 1 + k, t]) for k, t in enumerate(cand)))
    return torch.tensor(out, dtype=torch.float32)


# %% nbg="twin:answer_log_likelihoods:passes"
# the library twin: lm.score_candidates (and lm.sequence_log_likelihood) copied for one prompt
def answer_log_likelihoods(model, tokenizer, prompt, candidates):
    p_ids = tokenizer.encode(prompt, bos=True)
    c_ids = [tokenizer.encode(c) for c in candidates]
    with torch.no_grad():
        if all(len(c) == 1 for c in c_ids):
            logits = model(torch.tensor([p_ids])).float()
            logp = torch.log_softmax(logits[0, len(p_ids) - 1], dim=-1)
            return logp[torch.tensor([c[0] for c in c_ids])]
        seqs = [p_ids + c for c in c_ids]
        width = max(len(s) for s in seqs)
        idx = torch.zeros(len(seqs), width, dtype=torch.int64)
        mask = torch.zeros(len(seqs), width - 1, dtype=torch.bool)
        for i, s in enumerate(seqs):
            idx[i, : len(s)] = torch.tensor(s)
            mask[i, len(p_ids) - 1 : len(s) - 1] = True
        logp = torch.log_softmax(model(idx).float(), dim=-1)[:, :-1]
        tok_lp = logp.gather(-1, idx[:, 1:, None]).squeeze(-1)
        return (tok_lp * mask).sum(1)


# %% nbg="tests:test_answer_log_likelihoods:4"
q = lm.question_text(world, world.retain[0], "city")
cities = list(world.values("city"))
mixed = [
    world.people[world.retain[2]].name,
    cities[3],
    "where does",
]  # two words, one word, two words
ref = lm.score_candidates(full, tok, [q], cities)[0]
ref_mixed = lm.score_candidates(full, tok, [q], mixed)[0]
with switched_off("score_candidates", "sequence_log_likelihood", "qa_accuracy"):
    got = answer_log_likelihoods(full, tok, q, cities)
    got_mixed = answer_log_likelihoods(full, tok, q, mixed)
assert torch.is_tensor(got) and got.shape == (len(cities),), (
    f"return a tensor of shape ({len(cities)},), got {getattr(got, 'shape', type(got).__name__)}"
)
assert got.dtype == torch.float32, f"return a float32 tensor, got {got.dtype}"
assert not got.requires_grad, "compute under torch.no_grad(): the result must not require grad"
assert torch.allclose(got, ref, rtol=0, atol=1e-4), (
    f"one-word candidates after {q!r}: expected {ref}, got {got}"
)
assert (
    torch.is_tensor(got_mixed)
    and got_mixed.shape == (3,)
    and torch.allclose(got_mixed, ref_mixed, rtol=0, atol=1e-4)
), f"candidates {mixed} (sum over all their tokens): expected {ref_mixed}, got {got_mixed}"
print(
    f"visible tests passed: {len(cities)} one-word candidates and {len(mixed)} of one or two words "
    f"after {q!r} (float32, no grad, within 1e-4 nats of the library)"
)
### BEGIN HIDDEN TESTS
names = [world.people[p].name for p in world.retain[:6]] + ["cat", "where does"]
q2 = lm.question_text(world, world.retain[3], "friend", 1)
ref2 = lm.score_candidates(retrained, tok, [q2], names)[0]
q3 = (
    f"{lm.statement_text(world, world.forget[2], 'city')} "
    f"{lm.question_text(world, world.forget[2], 'country')}"
)
countries = list(world.values("country"))
ref3 = lm.score_candidates(retrained, tok, [q3], countries)[0]
vocab = [w for w in tok.itos if w not in ("<pad>", "<bos>")]
names_given = list(names)
with switched_off("score_candidates", "sequence_log_likelihood", "qa_accuracy"):
    got2 = answer_log_likelihoods(retrained, tok, q2, names_given)
    got3 = answer_log_likelihoods(retrained, tok, q3, countries)
    allw = answer_log_likelihoods(full, tok, "where does", vocab)
    single = answer_log_likelihoods(full, tok, q, [cities[2]])
assert names_given == names, "do not change the candidates list"
assert (
    got2.shape == (8,)
    and got2.dtype == torch.float32
    and torch.allclose(got2, ref2, rtol=0, atol=1e-4)
), "multi-word candidates: sum over tokens"
assert (got2 <= 0).all(), "log-likelihoods are <= 0"
assert torch.allclose(got3, ref3, rtol=0, atol=1e-4), (
    "a prompt with a statement before the question"
)
p_special = torch.softmax(
    full(torch.tensor([tok.encode("where does", bos=True)])).detach()[0, -1], -1
)[:2].sum()
assert abs(float(torch.logsumexp(allw.double(), 0).exp()) + float(p_special) - 1) < 1e-4, (
    "probabilities over the vocabulary must sum to 1"
)
assert single.shape == (1,) and abs(float(single[0]) - float(ref[2])) < 1e-4, "a single candidate"
assert not got2.requires_grad and not allw.requires_grad, "no grad"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (4 points): what one sentence of context gives back
#
# Write `context_accuracy(model, tokenizer, world, people, relation, stated_relation=None)`. It returns
# three floats `(closed_book, in_context, recovered)`:
# - `closed_book`: the fraction of `people` for whom the candidate of `world.values(relation)` with the
#   highest log-likelihood after `lm.question_text(world, p, relation)` is the true answer
#   `world.answer(p, relation)`;
# - `in_context`: the same, with the prompt `lm.statement_text(world, p, S) + " " + question`, where the
#   stated relation `S` is `stated_relation` if one is given and `relation` otherwise (state the city,
#   ask the country: composition);
# - `recovered`: the fraction of `people` answered wrongly closed book **and** correctly in context
#   (what the sentence gave back; it is not `in_context - closed_book`, since a sentence can also
#   make a right answer wrong).
#
# The first two are what `lm.qa_accuracy`, which this task mirrors, returns without and with
# `contexts`; `recovered` needs the answers themselves. Break ties by the first candidate in
# `world.values(relation)` order (as `argmax` does). Do not call `lm.qa_accuracy` or
# `lm.score_candidates`.
#
# Score the candidates with your `answer_log_likelihoods` or any other correct way: while this
# task's tests run, a correct `answer_log_likelihoods` stands in for yours, so Task 3 is graded on
# its own. The tests score about 1,100 (prompt, candidate) pairs: one forward pass per pair takes a
# few seconds, and one call of `answer_log_likelihoods` per prompt (all candidates at once) less.


# %% nbg="answer:context_accuracy"
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    """Return (closed_book, in_context, recovered): three floats in [0, 1] over `people`."""
    ### BEGIN SOLUTION
    cands = list(world.values(relation))
    stated = relation if stated_relation is None else stated_relation
    closed_hits, ctx_hits = [], []
    for p in people:
        question = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        closed = answer_log_likelihoods(model, tokenizer, question, cands)
        ctx = answer_log_likelihoods(
            model, tokenizer, f"{lm.statement_text(world, p, stated)} {question}", cands
        )
        closed_hits.append(cands[int(closed.argmax())] == truth)
        ctx_hits.append(cands[int(ctx.argmax())] == truth)
    closed_hits, ctx_hits = np.array(closed_hits), np.array(ctx_hits)
    return (
        float(closed_hits.mean()),
        float(ctx_hits.mean()),
        float((~closed_hits & ctx_hits).mean()),
    )
    ### END SOLUTION


# %% nbg="wrong:context_accuracy:always_states_the_asked_relation"
# trap: ignores stated_relation and always states the relation that is asked
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    c_hit, x_hit = [], []
    for p in people:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        )
        ctx = f"{lm.statement_text(world, p, relation)} {q}"
        x_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
        )
    rec = [not c and x for c, x in zip(c_hit, x_hit)]
    return float(np.mean(c_hit)), float(np.mean(x_hit)), float(np.mean(rec))


# %% nbg="wrong:context_accuracy:ties_to_the_last"
# trap: a hand-written maximum with >=, so a tie goes to the last candidate, not the first
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation

    def best(prompt):
        scores = answer_log_likelihoods(model, tokenizer, prompt, cands)
        top, choice = -float("inf"), None
        for c, s in zip(cands, scores.tolist()):
            if s >= top:
                top, choice = s, c
        return choice

    c_hit, x_hit = [], []
    for p in people:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c_hit.append(best(q) == truth)
        x_hit.append(best(f"{lm.statement_text(world, p, stated)} {q}") == truth)
    rec = [not c and x for c, x in zip(c_hit, x_hit)]
    return float(np.mean(c_hit)), float(np.mean(x_hit)), float(np.mean(rec))


# %% nbg="wrong:context_accuracy:percent"
# trap: percentages instead of fractions
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation
    c_hit = x_hit = rec = 0
    for p in people:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c = cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        x = (
            cands[
                int(
                    answer_log_likelihoods(
                        model, tokenizer, f"{lm.statement_text(world, p, stated)} {q}", cands
                    ).argmax()
                )
            ]
            == truth
        )
        c_hit, x_hit, rec = c_hit + c, x_hit + x, rec + (x and not c)
    n = len(people)
    return 100.0 * c_hit / n, 100.0 * x_hit / n, 100.0 * rec / n


# %% nbg="wrong:context_accuracy:recovered_as_difference"
# trap: recovered taken as in_context - closed_book (a sentence can also make a right answer wrong)
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation
    c_hit, x_hit = [], []
    for p in people:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        )
        ctx = f"{lm.statement_text(world, p, stated)} {q}"
        x_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
        )
    closed, in_context = float(np.mean(c_hit)), float(np.mean(x_hit))
    return closed, in_context, in_context - closed


# %% nbg="wrong:context_accuracy:recovered_among_the_wrong_only"
# trap: recovered as a share of the people answered wrongly closed book, not of all people
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation
    c_hit, x_hit = [], []
    for p in people:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        )
        ctx = f"{lm.statement_text(world, p, stated)} {q}"
        x_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
        )
    wrong = [x for c, x in zip(c_hit, x_hit) if not c]
    return float(np.mean(c_hit)), float(np.mean(x_hit)), float(np.mean(wrong)) if wrong else 0.0


# %% nbg="wrong:context_accuracy:statement_after_question"
# trap: the stated fact is put after the question instead of before it
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation
    c_hit, x_hit = [], []
    for p in people:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        )
        ctx = f"{q} {lm.statement_text(world, p, stated)}"
        x_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
        )
    rec = [not c and x for c, x in zip(c_hit, x_hit)]
    return float(np.mean(c_hit)), float(np.mean(x_hit)), float(np.mean(rec))


# %% nbg="wrong:context_accuracy:forget_set_hard_coded"
# trap: hard-codes the people the visible test uses (world.forget) instead of the people passed
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation
    c_hit, x_hit = [], []
    for p in world.forget:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        )
        ctx = f"{lm.statement_text(world, p, stated)} {q}"
        x_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
        )
    rec = [not c and x for c, x in zip(c_hit, x_hit)]
    return float(np.mean(c_hit)), float(np.mean(x_hit)), float(np.mean(rec))


# %% nbg="wrong:context_accuracy:returns_tensors"
# trap: returns 0-d torch tensors instead of Python floats
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation
    c_hit, x_hit = [], []
    for p in people:
        q = lm.question_text(world, p, relation)
        truth = world.answer(p, relation)
        c_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        )
        ctx = f"{lm.statement_text(world, p, stated)} {q}"
        x_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
        )
    c_hit, x_hit = torch.tensor(c_hit), torch.tensor(x_hit)
    return c_hit.float().mean(), x_hit.float().mean(), (~c_hit & x_hit).float().mean()


# %% nbg="alt:context_accuracy:one_forward_pass_per_candidate"
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    if stated_relation is None:
        stated_relation = relation
    cands = list(world.values(relation))

    def predict(prompt):
        p = tokenizer.encode(prompt, bos=True)
        best, best_score = None, None
        for c in cands:  # one forward pass per candidate
            s = p + tokenizer.encode(c)
            with torch.no_grad():
                logp = torch.log_softmax(model(torch.tensor([s]))[0], dim=-1)
            score = sum(float(logp[t - 1, s[t]]) for t in range(len(p), len(s)))
            if best_score is None or score > best_score:  # strict: the first of equal scores stays
                best, best_score = c, score
        return best

    closed = in_context = recovered = 0
    for person in people:
        question = lm.question_text(world, person, relation)
        truth = world.answer(person, relation)
        right_closed = predict(question) == truth
        right_ctx = (
            predict(lm.statement_text(world, person, stated_relation) + " " + question) == truth
        )
        closed += right_closed
        in_context += right_ctx
        recovered += (not right_closed) and right_ctx
    n = len(people)
    return closed / n, in_context / n, recovered / n


# %% nbg="alt:context_accuracy:one_candidate_per_call"
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    stated = stated_relation if stated_relation is not None else relation
    cands = world.values(relation)
    results = []
    for p in people:
        q = lm.question_text(world, p, relation)
        row = []
        for prompt in (q, lm.statement_text(world, p, stated) + " " + q):
            scores = [
                float(answer_log_likelihoods(model, tokenizer, prompt, [c])[0]) for c in cands
            ]
            row.append(
                cands[scores.index(max(scores))] == world.answer(p, relation)
            )  # index: first maximum
        results.append(row)
    hits = np.array(results, dtype=bool)
    return (
        float(hits[:, 0].mean()),
        float(hits[:, 1].mean()),
        float((~hits[:, 0] & hits[:, 1]).mean()),
    )


# %% nbg="alt:context_accuracy:all_prompts_in_one_batch"
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    # all prompts (closed book, then in context) scored into one (2 * people, candidates) tensor
    stated = stated_relation or relation
    cands = list(world.values(relation))
    questions = [lm.question_text(world, p, relation) for p in people]
    prompts = questions + [
        f"{lm.statement_text(world, p, stated)} {q}" for p, q in zip(people, questions)
    ]
    scores = torch.stack([answer_log_likelihoods(model, tokenizer, pr, cands) for pr in prompts])
    truth = torch.tensor([cands.index(world.answer(p, relation)) for p in people])
    right = scores.argmax(1) == truth.repeat(2)
    closed, ctx = right[: len(people)], right[len(people) :]
    return (
        closed.float().mean().item(),
        ctx.float().mean().item(),
        (~closed & ctx).float().mean().item(),
    )


# %% nbg="wrong:context_accuracy:recovered_as_a_clipped_difference"
# trap: recovered = max(in_context - closed_book, 0): right only when the sentence never makes a
# right answer wrong
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = list(world.values(relation))
    stated = stated_relation or relation
    c_hit = x_hit = 0
    for p in people:
        q, truth = lm.question_text(world, p, relation), world.answer(p, relation)
        c_hit += cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        ctx = f"{lm.statement_text(world, p, stated)} {q}"
        x_hit += cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
    n = len(people)
    return c_hit / n, x_hit / n, max(x_hit - c_hit, 0) / n


# %% nbg="wrong:context_accuracy:greedy_generation"
# trap: lm.generate's first word compared with the truth: the model may write a word that is no
# candidate
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    stated = stated_relation or relation
    c_hit, x_hit = [], []
    for p in people:
        q, truth = lm.question_text(world, p, relation), world.answer(p, relation)
        c_hit.append(lm.generate(model, tokenizer, q).split()[0] == truth)
        x_hit.append(
            lm.generate(model, tokenizer, f"{lm.statement_text(world, p, stated)} {q}").split()[0]
            == truth
        )
    n = len(people)
    return sum(c_hit) / n, sum(x_hit) / n, sum((not a) and b for a, b in zip(c_hit, x_hit)) / n


# %% nbg="wrong:context_accuracy:candidates_sorted"
# trap: sorted(world.values(...)) changes which candidate wins a tie
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    cands = sorted(world.values(relation), reverse=True)
    stated = stated_relation or relation
    c_hit, x_hit = [], []
    for p in people:
        q, truth = lm.question_text(world, p, relation), world.answer(p, relation)
        c_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, q, cands).argmax())] == truth
        )
        ctx = f"{lm.statement_text(world, p, stated)} {q}"
        x_hit.append(
            cands[int(answer_log_likelihoods(model, tokenizer, ctx, cands).argmax())] == truth
        )
    n = len(people)
    return sum(c_hit) / n, sum(x_hit) / n, sum((not a) and b for a, b in zip(c_hit, x_hit)) / n


# %% nbg="twin:context_accuracy:fails"
# the library twin: lm.qa_accuracy's body, copied (closed book, then with the stated facts as
# contexts)
def context_accuracy(model, tokenizer, world, people, relation, stated_relation=None):
    def qa_accuracy(contexts=None):
        questions = [lm.question_text(world, p, relation, 0) for p in people]
        prompts = (
            questions
            if contexts is None
            else [f"{c} {q}".strip() for c, q in zip(contexts, questions)]
        )
        cands = list(world.values(relation))
        pred = (
            torch.stack([answer_log_likelihoods(model, tokenizer, pr, cands) for pr in prompts])
            .argmax(1)
            .tolist()
        )
        pred = [cands[i] for i in pred]
        return float(np.mean([a == world.answer(p, relation) for a, p in zip(pred, people)]))

    stated = stated_relation or relation
    return qa_accuracy(), qa_accuracy([lm.statement_text(world, p, stated) for p in people])


# %% nbg="tests:test_context_accuracy:4"
people = list(world.forget)


def ref_triple(
    model, ppl, rel, stated
):  # the library's two accuracies, and what the stated fact gave back
    truth = [world.answer(p, rel) for p in ppl]
    closed, c_pred = lm.qa_accuracy(model, tok, world, ppl, rel, return_predictions=True)
    ctx, x_pred = lm.qa_accuracy(
        model,
        tok,
        world,
        ppl,
        rel,
        return_predictions=True,
        contexts=[lm.statement_text(world, p, stated) for p in ppl],
    )
    return (
        closed,
        ctx,
        float(np.mean([c != t and x == t for c, x, t in zip(c_pred, x_pred, truth)])),
    )


def check_triple(got, ref, what):
    assert isinstance(got, (tuple, list)) and len(got) == 3, (
        f"{what}: return (closed_book, in_context, recovered), got {got!r}"
    )
    assert all(isinstance(v, float) for v in got), (
        f"{what}: return Python floats, got {[type(v).__name__ for v in got]}"
    )
    # 1e-6: a fraction k/n computed in float32 is right too; a wrong count is off by 1/n
    assert all(abs(g - r) < 1e-6 for g, r in zip(got, ref)), (
        f"{what}: expected {tuple(ref)}, got {tuple(got)}"
    )


checks = {
    "city, no stated_relation (state the city)": (people, "city", None, "city"),
    "job, no stated_relation (state the job itself)": (people[:8], "job", None, "job"),
    "state the city, ask the country": (people, "country", "city", "city"),
}
refs = {
    what: ref_triple(retrained, ppl, rel, stated) for what, (ppl, rel, _, stated) in checks.items()
}
flat = lm.GPT(retrained.config)  # every weight 0: every candidate gets the same log-likelihood
with torch.no_grad():
    for w in flat.parameters():
        w.zero_()
tie_people = people[:8]
ref_tie = ref_triple(flat, tie_people, "pet", "pet")
with correct_task2(), switched_off("qa_accuracy", "score_candidates"):
    got = {
        what: context_accuracy(retrained, tok, world, list(ppl), rel, arg)
        for what, (ppl, rel, arg, _) in checks.items()
    }
    tie = context_accuracy(flat, tok, world, tie_people, "pet")
for what in checks:
    check_triple(got[what], refs[what], what)
check_triple(
    tie, ref_tie, "a model that ties every candidate (the first of world.values('pet') must win)"
)
lines = ["  closed book -> with one sentence of context (recovered: wrong before, right after)"]
for g, label in zip(
    got.values(),
    ("city (city stated)", "job (job stated; 8 people)", "country (only the city stated)"),
):
    lines.append(
        f"  {label + ':':32s}{g[0]:.2f} -> {g[1]:.2f}   (recovered {g[2]:.2f})"
        + ("   composition with kept world knowledge" if label.startswith("country") else "")
    )
print(
    f"visible tests passed: city and country (city stated) on the {len(people)} forget people, job "
    f"on 8 of them, "
    f"and ties on {len(tie_people)} people; the retrained model, forget people:",
    *lines,
    sep="\n",
)
### BEGIN HIDDEN TESTS
R = world.retain
hidden = {
    "pet, every third forget person": (retrained, people[1::3], "pet", None, "pet"),
    "country with the job stated (the sentence does not help; recovered is not a difference)": (
        retrained,
        people[:10],
        "country",
        "job",
        "job",
    ),
    "the full model on retain people in no sorted order, colour stated, pet asked": (
        full,
        [R[9], R[2], R[30], R[5], R[17]],
        "pet",
        "colour",
        "colour",
    ),
    "pet with the job stated (a sentence can also make a right answer wrong)": (
        retrained,
        people,
        "pet",
        "job",
        "job",
    ),
}
refs_h = {
    what: ref_triple(model, ppl, rel, stated)
    for what, (model, ppl, rel, _, stated) in hidden.items()
}
with correct_task2(), switched_off("qa_accuracy", "score_candidates"):
    got_h = {
        what: context_accuracy(model, tok, world, list(ppl), rel, arg)
        for what, (model, ppl, rel, arg, _) in hidden.items()
    }
for what in hidden:
    check_triple(got_h[what], refs_h[what], what)
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
