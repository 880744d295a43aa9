# Source of solutions/ps08_guardrails_and_retrieval/ps08_guardrails_and_retrieval.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 08 · Guardrails, dual use, retrieval
#
# You will work with lecture 08's world and its two small language models (`full`, trained on all
# 200 people; `retrained`, without the 20 forget people's documents). You will
# 1. write an output filter and measure its over-block rate,
# 2. measure how often an attack gets past an input filter,
# 3. delete entries from a retrieval store and check that the result is exactly a rebuilt store,
# 4. decide, from measured accuracies, whether a fact was removed or only suppressed,
# 5. explain in a short written answer what a datastore deletion does and does not promise.
#
# Useful pieces of `unlearnkit.lm`: `lm.question_text(world, person, relation)`,
# `lm.statement_text(world, person, relation)`, `world.answer(person, relation)`,
# `world.values(relation)`, `lm.REFUSAL` (the string a guarded model returns instead of an answer),
# `lm.Fact`, `lm.FactStore`. Each task says which library code it mirrors and what you may *not*
# call (the tests switch it off while your function runs, so a call fails the test).
#
# Points: 3 + 3 + 4 + 3 autograded, 4 written. Everything runs in seconds; nothing is trained.

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
torch.set_num_threads(1)
full, world, tok = lm.load_lm("full")
retrained, _, _ = lm.load_lm("retrained")
NAME = {p: world.people[p].name for p in range(len(world.people))}
print(f"{len(world.people)} people, forget set {len(world.forget)}; refusal marker {lm.REFUSAL!r}")


@contextmanager
def switched_off(*names):
    '''While the block runs, using lm.<name> raises, for each of names.'''
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(
                mock.patch.object(
                    lm, name, side_effect=AssertionError(f"this task asks you not to use lm.{name}")
                )
            )
        yield


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): an output filter and its over-block rate
#
# Write `filter_outputs(prompts, answers, forbidden, harmful)`. `prompts` and `answers` are lists of
# str of the same length (a question and the model's answer to it); `forbidden` is a list of
# `(subject, value)` pairs; `harmful` a list of bools, one per query, saying whether the query
# really asks for a forbidden fact. An answer is **withheld** when it equals some pair's `value` and
# the prompt contains that pair's `subject` as consecutive whole words, in the same order
# (`"wren oakhart"` is in `"where does wren oakhart live ?"`, but not in
# `"where does oakhart wren live ?"` nor in `"is wren x oakhart here ?"`, and `"wren"` is not in
# `"where does wrena oakhart live ?"`); a `subject` of `None` matches every prompt. Return
# `(filtered, over_block)`: `filtered` is the list of answers with each withheld one replaced by
# `lm.REFUSAL`, and `over_block` the share of the **non-harmful** queries whose answer *your
# filter* withheld (a float; `0.0` when no query is non-harmful). An answer that already is
# `lm.REFUSAL` (the model refused by itself) was not withheld by the filter.
#
# Raise `ValueError` if the lists differ in length. Do not change the lists you are given. This task
# mirrors `lm.OutputFilter`; do not use `lm.OutputFilter` or `lm.Guardrails`.


# %% nbg="answer:filter_outputs"
def filter_outputs(prompts, answers, forbidden, harmful):
    """Return (filtered answers, over-block rate on the non-harmful queries)."""
    ### BEGIN SOLUTION
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("prompts, answers and harmful must have the same length")

    def contains(words, phrase):
        n = len(phrase)
        return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))

    filtered, withheld = [], []
    for prompt, answer in zip(prompts, answers):
        words = prompt.split()
        hit = any(
            answer == value and (subject is None or contains(words, subject.split()))
            for subject, value in forbidden
        )
        filtered.append(lm.REFUSAL if hit else answer)
        withheld.append(hit)
    benign = [w for w, h in zip(withheld, harmful) if not h]
    over = float(np.mean(benign)) if benign else 0.0
    return filtered, over
    ### END SOLUTION


# %% nbg="wrong:filter_outputs:substring_match"
# trap: the subject is matched as a substring, not as whole words
def filter_outputs(prompts, answers, forbidden, harmful):
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("lengths differ")
    filtered = [
        lm.REFUSAL if any(a == v and (s is None or s in p) for s, v in forbidden) else a
        for p, a in zip(prompts, answers)
    ]
    withheld = [f == lm.REFUSAL and a != lm.REFUSAL for f, a in zip(filtered, answers)]
    benign = [w for w, h in zip(withheld, harmful) if not h]
    return filtered, (float(np.mean(benign)) if benign else 0.0)


# %% nbg="wrong:filter_outputs:overblock_over_all"
# trap: the over-block rate is taken over all queries, harmful ones included
def filter_outputs(prompts, answers, forbidden, harmful):
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("lengths differ")

    def has(p, s):
        w, s = p.split(), s.split()
        return any(w[i : i + len(s)] == s for i in range(len(w) - len(s) + 1))

    filtered = [
        lm.REFUSAL if any(a == v and (s is None or has(p, s)) for s, v in forbidden) else a
        for p, a in zip(prompts, answers)
    ]
    return filtered, float(np.mean([f == lm.REFUSAL for f in filtered]))


# %% nbg="wrong:filter_outputs:value_only"
# trap: ignores the subject: every answer equal to a forbidden value is withheld
def filter_outputs(prompts, answers, forbidden, harmful):
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("lengths differ")
    values = {v for _, v in forbidden}
    filtered = [lm.REFUSAL if a in values else a for a in answers]
    withheld = [f == lm.REFUSAL and a != lm.REFUSAL for f, a in zip(filtered, answers)]
    benign = [w for w, h in zip(withheld, harmful) if not h]
    return filtered, (float(np.mean(benign)) if benign else 0.0)


# %% nbg="wrong:filter_outputs:no_length_check"
# trap: no length check; zip drops the unmatched items silently
def filter_outputs(prompts, answers, forbidden, harmful):
    def has(p, s):
        w, s = p.split(), s.split()
        return any(w[i : i + len(s)] == s for i in range(len(w) - len(s) + 1))

    filtered = [
        lm.REFUSAL if any(a == v and (s is None or has(p, s)) for s, v in forbidden) else a
        for p, a in zip(prompts, answers)
    ]
    withheld = [f == lm.REFUSAL and a != lm.REFUSAL for f, a in zip(filtered, answers)]
    benign = [w for w, h in zip(withheld, harmful) if not h]
    return filtered, (float(np.mean(benign)) if benign else 0.0)


# %% nbg="wrong:filter_outputs:none_subject_never_matches"
# trap: a pair whose subject is None is skipped instead of matching every prompt
def filter_outputs(prompts, answers, forbidden, harmful):
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("lengths differ")

    def has(p, s):
        w, s = p.split(), s.split()
        return any(w[i : i + len(s)] == s for i in range(len(w) - len(s) + 1))

    filtered = [
        lm.REFUSAL if any(s is not None and a == v and has(p, s) for s, v in forbidden) else a
        for p, a in zip(prompts, answers)
    ]
    withheld = [f == lm.REFUSAL and a != lm.REFUSAL for f, a in zip(filtered, answers)]
    benign = [w for w, h in zip(withheld, harmful) if not h]
    return filtered, (float(np.mean(benign)) if benign else 0.0)


# %% nbg="wrong:filter_outputs:words_any_order"
# trap: the subject's words may appear in any order ("oakhart wren" matches "wren oakhart")
def filter_outputs(prompts, answers, forbidden, harmful):
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("lengths differ")
    filtered = [
        lm.REFUSAL
        if any(a == v and (s is None or set(s.split()) <= set(p.split())) for s, v in forbidden)
        else a
        for p, a in zip(prompts, answers)
    ]
    benign = [f == lm.REFUSAL for f, h in zip(filtered, harmful) if not h]
    return filtered, (sum(benign) / len(benign) if benign else 0.0)


# %% nbg="wrong:filter_outputs:in_order_not_consecutive"
# trap: the subject's words in order but with other words between them ("wren x oakhart")
def filter_outputs(prompts, answers, forbidden, harmful):
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("lengths differ")

    def has(p, s):
        it = iter(p.split())
        return all(w in it for w in s.split())

    filtered = [
        lm.REFUSAL if any(a == v and (s is None or has(p, s)) for s, v in forbidden) else a
        for p, a in zip(prompts, answers)
    ]
    benign = [f == lm.REFUSAL for f, h in zip(filtered, harmful) if not h]
    return filtered, (sum(benign) / len(benign) if benign else 0.0)


# %% nbg="wrong:filter_outputs:counts_model_refusals"
# trap: the over-block rate counts every REFUSAL in the output, also one the model gave itself
def filter_outputs(prompts, answers, forbidden, harmful):
    if not len(prompts) == len(answers) == len(harmful):
        raise ValueError("lengths differ")
    filtered = [
        lm.REFUSAL
        if any(a == v and (s is None or f" {s} " in f" {p} ") for s, v in forbidden)
        else a
        for p, a in zip(prompts, answers)
    ]
    benign = [f == lm.REFUSAL for f, h in zip(filtered, harmful) if not h]
    return filtered, (sum(benign) / len(benign) if benign else 0.0)


# %% nbg="alt:filter_outputs:padded_string_match"
def filter_outputs(prompts, answers, forbidden, harmful):
    if len(prompts) != len(answers) or len(answers) != len(harmful):
        raise ValueError("prompts, answers, harmful: one entry per query")
    out, refused_benign, n_benign = [], 0, 0
    for p, a, h in zip(prompts, answers, harmful):
        padded = " " + " ".join(p.split()) + " "
        blocked = any(a == v and (s is None or " " + s + " " in padded) for s, v in forbidden)
        out.append(lm.REFUSAL if blocked else a)
        if not h:
            n_benign += 1
            refused_benign += blocked
    return out, refused_benign / n_benign if n_benign else 0.0


# %% nbg="twin:filter_outputs:fails"
# the library twin: lm.OutputFilter's check, renamed
# (one prompt and one answer; returns the matched pair)
def filter_outputs(prompts, answers, forbidden, harmful):
    words = prompts.split()
    for subj, ans in forbidden:
        s = None if subj is None else subj.split()
        if answers == ans and (
            s is None or any(words[i : i + len(s)] == s for i in range(len(words) - len(s) + 1))
        ):
            return (subj, ans)
    return None


# %% nbg="tests:test_filter_outputs:3"
f0, r0 = world.forget[0], world.retain[0]
city0 = world.answer(f0, "city")
same_city = next(p for p in world.retain if world.answer(p, "city") == city0)
prompts = [
    lm.question_text(world, f0, "city"),
    lm.question_text(world, same_city, "city"),
    lm.question_text(world, r0, "job"),
]
answers = [city0, city0, world.answer(r0, "job")]
forbidden, harmful = [(NAME[f0], city0)], [True, False, False]
args = (list(prompts), list(answers), list(forbidden), list(harmful))
with switched_off("OutputFilter", "Guardrails"):
    got, over = filter_outputs(*args)
assert got == [lm.REFUSAL, city0, answers[2]], (
    f"only the first answer names {NAME[f0]} with its city: got {got}"
)
assert over == 0.0, f"no non-harmful query was withheld, over_block must be 0.0, got {over}"
assert args == (prompts, answers, forbidden, harmful), "do not change the lists you are given"
with switched_off("OutputFilter", "Guardrails"):
    got2, over2 = filter_outputs(prompts, answers, [(None, city0)], harmful)
assert got2 == [lm.REFUSAL, lm.REFUSAL, answers[2]] and abs(over2 - 0.5) < 1e-12, (
    "subject None withholds the value everywhere: expected 2 refusals and over_block 0.5, "
    f"got {got2}, {over2}"
)
first, last = NAME[f0].split()
p_swap, p_gap = f"where does {last} {first} live ?", f"is {first} x {last} here ?"
with switched_off("OutputFilter", "Guardrails"):
    g6, o6 = filter_outputs([p_swap, p_gap], [city0, city0], [(NAME[f0], city0)], [False, False])
assert g6 == [city0, city0] and o6 == 0.0, (
    f"the subject must appear as consecutive whole words in order: {NAME[f0]!r} is not in "
    f"{p_swap!r} nor in {p_gap!r}; expected nothing withheld and over_block 0.0, got {g6}, {o6}"
)
with switched_off("OutputFilter", "Guardrails"):
    g7, o7 = filter_outputs(
        prompts[1:], [lm.REFUSAL, answers[2]], [(NAME[f0], city0)], [False, False]
    )
assert g7 == [lm.REFUSAL, answers[2]] and o7 == 0.0, (
    "an answer that already is lm.REFUSAL (the model refused by itself) was not withheld by "
    f"the filter: over_block must be 0.0, got {o7}"
)
print(
    "visible tests passed: a (name, value) pair withholds one answer, a None subject two; "
    "swapped or separated name words withhold nothing; over-block 0.0 and 0.5"
)
### BEGIN HIDDEN TESTS
p_part = f"where does {first} {last}x live ?"
with switched_off("OutputFilter", "Guardrails"):
    g3, o3 = filter_outputs(
        [p_part, prompts[0]], [city0, city0], [(NAME[f0], city0)], [False, True]
    )
assert g3 == [city0, lm.REFUSAL] and o3 == 0.0, (
    f"whole words only: {p_part!r} does not contain {NAME[f0]!r}; got {g3}"
)
with switched_off("OutputFilter", "Guardrails"):
    g4, o4 = filter_outputs(prompts, answers, [(NAME[f0], city0)], [True, True, True])
assert o4 == 0.0, f"no non-harmful query: over_block must be 0.0, got {o4}"
for bad in [
    (prompts[:2], answers, harmful),
    (prompts, answers[:2], harmful),
    (prompts, answers, harmful[:2]),
]:
    try:
        filter_outputs(bad[0], bad[1], forbidden, bad[2])
        raised = "no error"
    except ValueError:
        raised = True
    except Exception as e:  # noqa: BLE001
        raised = repr(e)
    assert raised is True, f"lists of different lengths: expected ValueError, got {raised}"
ppl = world.retain[:40]
pr = [lm.question_text(world, p, "pet") for p in ppl]
an = [world.answer(p, "pet") for p in ppl]
fb = [(NAME[p], world.answer(p, "pet")) for p in ppl[:5]] + [(None, "parrot")]
hm = [i < 5 for i in range(len(ppl))]
want = [lm.REFUSAL if (i < 5 or a == "parrot") else a for i, a in enumerate(an)]
with switched_off("OutputFilter", "Guardrails"):
    g5, o5 = filter_outputs(pr, an, fb, hm)
assert g5 == want, (
    "40 pet questions, 5 (name, pet) pairs and (None, 'parrot'): the withheld answers differ"
)
assert abs(o5 - sum(a == "parrot" for a in an[5:]) / 35) < 1e-12, (
    f"over-block over the 35 non-harmful: got {o5}"
)
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (3 points): a bypass measured against an input filter
#
# Write `bypass_rate(phrases, prompts, model_answers, truths)`. An input filter refuses a prompt
# that contains one of `phrases` as whole words, in order (as in Task 1). A query **bypasses** the
# filter when it is *not* refused *and* the model's answer equals the truth. Return the share of
# **all** queries that bypass it (a float in [0, 1]). Raise `ValueError` for empty `prompts` or
# lists of different lengths. This task mirrors `lm.InputFilter`; do not use `lm.InputFilter` or
# `lm.Guardrails`.
#
# The visible tests measure it on two of lecture 08's attacks: the composed question (country
# instead of city) and the friend question (it names a retained person, whose friend is forgotten).


# %% nbg="answer:bypass_rate"
def bypass_rate(phrases, prompts, model_answers, truths):
    """Return the share of queries that the filter lets through and the model answers truly."""
    ### BEGIN SOLUTION
    if not prompts:
        raise ValueError("prompts must not be empty")
    if not len(prompts) == len(model_answers) == len(truths):
        raise ValueError("prompts, model_answers and truths must have the same length")
    lists = [p.split() for p in phrases]

    def refused(prompt):
        w = prompt.split()
        return any(w[i : i + len(s)] == s for s in lists for i in range(len(w) - len(s) + 1))

    return float(
        np.mean([not refused(p) and a == t for p, a, t in zip(prompts, model_answers, truths)])
    )
    ### END SOLUTION


# %% nbg="wrong:bypass_rate:over_unrefused_only"
# trap: divides by the queries that got through instead of by all queries
def bypass_rate(phrases, prompts, model_answers, truths):
    if not prompts or not len(prompts) == len(model_answers) == len(truths):
        raise ValueError("bad lengths")

    def refused(p):
        w = p.split()
        return any(w[i : i + len(s.split())] == s.split() for s in phrases for i in range(len(w)))

    kept = [(a, t) for p, a, t in zip(prompts, model_answers, truths) if not refused(p)]
    return float(np.mean([a == t for a, t in kept])) if kept else 0.0


# %% nbg="wrong:bypass_rate:ignores_correctness"
# trap: counts every query that gets through, right or wrong
def bypass_rate(phrases, prompts, model_answers, truths):
    if not prompts or not len(prompts) == len(model_answers) == len(truths):
        raise ValueError("bad lengths")

    def refused(p):
        w = p.split()
        return any(w[i : i + len(s.split())] == s.split() for s in phrases for i in range(len(w)))

    return float(np.mean([not refused(p) for p in prompts]))


# %% nbg="wrong:bypass_rate:substring"
# trap: substring matching refuses prompts that merely contain the letters of a phrase
def bypass_rate(phrases, prompts, model_answers, truths):
    if not prompts or not len(prompts) == len(model_answers) == len(truths):
        raise ValueError("bad lengths")
    return float(
        np.mean(
            [
                not any(s in p for s in phrases) and a == t
                for p, a, t in zip(prompts, model_answers, truths)
            ]
        )
    )


# %% nbg="wrong:bypass_rate:any_word_of_phrase"
# trap: refuses a prompt that contains any single word of a phrase (first or last name alone)
def bypass_rate(phrases, prompts, model_answers, truths):
    if not prompts or not len(prompts) == len(model_answers) == len(truths):
        raise ValueError("bad lengths")
    words = {w for s in phrases for w in s.split()}
    return float(
        np.mean(
            [
                not (set(p.split()) & words) and a == t
                for p, a, t in zip(prompts, model_answers, truths)
            ]
        )
    )


# %% nbg="wrong:bypass_rate:no_checks"
# trap: no checks: an empty list gives nan, different lengths are cut silently
def bypass_rate(phrases, prompts, model_answers, truths):
    def refused(p):
        w = p.split()
        return any(w[i : i + len(s.split())] == s.split() for s in phrases for i in range(len(w)))

    return float(
        np.mean([not refused(p) and a == t for p, a, t in zip(prompts, model_answers, truths)])
    )


# %% nbg="wrong:bypass_rate:words_any_order"
# trap: a phrase's words may appear in any order ("oakhart wren" is refused as "wren oakhart")
def bypass_rate(phrases, prompts, model_answers, truths):
    if not prompts or not len(prompts) == len(model_answers) == len(truths):
        raise ValueError("bad lengths")
    ok = [
        not any(set(ph.split()) <= set(p.split()) for ph in phrases) and a == t
        for p, a, t in zip(prompts, model_answers, truths)
    ]
    return sum(ok) / len(ok)


# %% nbg="alt:bypass_rate:one_minus_blocked_or_wrong"
def bypass_rate(phrases, prompts, model_answers, truths):
    if not prompts or not len(prompts) == len(model_answers) == len(truths):
        raise ValueError("need non-empty lists of equal length")
    stopped = [
        any(f" {ph} " in f" {p} " for ph in phrases) or a != t
        for p, a, t in zip(prompts, model_answers, truths)
    ]
    return 1 - sum(stopped) / len(stopped)


# %% nbg="alt:bypass_rate:count_loop"
def bypass_rate(phrases, prompts, model_answers, truths):
    if len(prompts) == 0 or len(prompts) != len(model_answers) or len(prompts) != len(truths):
        raise ValueError("need non-empty lists of equal length")
    through = 0
    for p, a, t in zip(prompts, model_answers, truths):
        padded = " " + " ".join(p.split()) + " "
        if not any(" " + " ".join(s.split()) + " " in padded for s in phrases) and a == t:
            through += 1
    return through / len(prompts)


# %% nbg="twin:bypass_rate:fails"
# the library twin: lm.InputFilter's check, renamed (one prompt; returns the matched phrase)
def bypass_rate(phrases, prompts, model_answers, truths):
    words = prompts.split()
    for p in phrases:
        s = p.split()
        if any(words[i : i + len(s)] == s for i in range(len(words) - len(s) + 1)):
            return p
    return None


# %% nbg="tests:test_bypass_rate:3"
F = list(world.forget)
names = [NAME[p] for p in F]
cands = list(world.values("country"))
qs = [lm.question_text(world, p, "country") for p in F]
preds = [cands[i] for i in lm.score_candidates(full, tok, qs, cands).argmax(1).tolist()]
truth = [world.answer(p, "country") for p in F]
with switched_off("InputFilter", "Guardrails"):
    blocked_all = bypass_rate(names, qs, preds, truth)
    no_filter = bypass_rate([], qs, preds, truth)
assert blocked_all == 0.0, (
    f"the name filter refuses every composed question about a forget person: got {blocked_all}"
)
assert abs(no_filter - np.mean([a == t for a, t in zip(preds, truth)])) < 1e-12, (
    f"with no phrase listed, the bypass rate is the model's accuracy: got {no_filter}"
)
friends = [p for p in world.retain if world.answer(p, "friend") in names]
fq = [lm.question_text(world, p, "friend") for p in friends]
fa = [world.answer(p, "friend") for p in friends]
with switched_off("InputFilter", "Guardrails"):
    r1 = bypass_rate(names, fq, fa, fa)
assert r1 == 1.0, f"friend questions name no forget person: all {len(fq)} get through, got {r1}"
first0, last0 = names[0].split()
swapped = [f"where does {last0} {first0} live ?"]
with switched_off("InputFilter", "Guardrails"):
    r0 = bypass_rate([names[0]], swapped, ["a"], ["a"])
assert r0 == 1.0, (
    f"a phrase counts only as consecutive whole words in order: {swapped[0]!r} does not "
    f"contain {names[0]!r}, so it is not refused; expected 1.0, got {r0}"
)
print(
    f"visible tests passed: name filter 0.0 on the composed questions, no filter "
    f"{no_filter:.2f}; friend questions 1.0; swapped name words not refused"
)
### BEGIN HIDDEN TESTS
wrong = [fa[(i + 1) % len(fa)] for i in range(len(fa))]
mixed = [fa[i] if i % 2 else wrong[i] for i in range(len(fa))]
with switched_off("InputFilter", "Guardrails"):
    r2 = bypass_rate(names, fq, mixed, fa)
assert abs(r2 - np.mean([m == a for m, a in zip(mixed, fa)])) < 1e-12, (
    f"only true answers count: got {r2}"
)
first_names = [n.split()[0] for n in names]
half = qs[:10] + fq[:10]
ha, ht = preds[:10] + fa[:10], truth[:10] + fa[:10]


def _ref(p):
    w = p.split()
    return any(w[i] == f for f in first_names for i in range(len(w)))


want = np.mean([not _ref(p) and a == t for p, a, t in zip(half, ha, ht)])
with switched_off("InputFilter", "Guardrails"):
    r3 = bypass_rate(first_names, half, ha, ht)
assert abs(r3 - want) < 1e-12, f"first names as phrases: expected {want}, got {r3}"
tricky = [f"where does {names[0]}x live ?"]
with switched_off("InputFilter", "Guardrails"):
    r4 = bypass_rate([names[0]], tricky, ["a"], ["a"])
assert r4 == 1.0, "whole words only: a longer word is not the listed name"
for args in [([], [], []), (qs, preds[:3], truth)]:
    try:
        bypass_rate(names, *args)
        raised = "no error"
    except ValueError:
        raised = True
    except Exception as e:  # noqa: BLE001
        raised = repr(e)
    assert raised is True, f"empty or unequal lists: expected ValueError, got {raised}"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (4 points): exact deletion from a retrieval store
#
# A retrieval store is here a `dict` from fact id (str) to a `(text, embedding)` pair (`embedding` a
# 1-D float tensor), in insertion order. Write `delete_exactly(store, ids, build)`: return a **new**
# dict without the entries in `ids` (the order of the others unchanged; `store` itself unchanged),
# and check that it is exactly what `build(remaining_ids)` returns, a store rebuilt from scratch:
# same ids in the same order, same texts, and embeddings **bitwise** equal (`torch.equal`). Return
# `(new_store, exact)` with `exact` a bool. Raise `KeyError` if an id is not in the store (before
# building anything), and `ValueError` if `ids` repeats an id. This task mirrors
# `lm.FactStore.delete` and `lm.FactStore.same_as`; do not use `lm.FactStore`.


# %% nbg="answer:delete_exactly"
def delete_exactly(store, ids, build):
    """Return (the store without ids, whether it equals build(remaining ids) bit for bit)."""
    ### BEGIN SOLUTION
    ids = list(ids)
    if len(set(ids)) != len(ids):
        raise ValueError("ids must not repeat an id")
    missing = [i for i in ids if i not in store]
    if missing:
        raise KeyError(f"not in the store: {missing}")
    gone = set(ids)
    new = {k: v for k, v in store.items() if k not in gone}
    rebuilt = build(list(new))
    exact = list(new) == list(rebuilt) and all(
        new[k][0] == rebuilt[k][0] and torch.equal(new[k][1], rebuilt[k][1]) for k in new
    )
    return new, bool(exact)
    ### END SOLUTION


# %% nbg="wrong:delete_exactly:allclose"
# trap: compares embeddings with allclose: a tiny difference passes as exact
def delete_exactly(store, ids, build):
    ids = list(ids)
    if len(set(ids)) != len(ids):
        raise ValueError("repeated id")
    for i in ids:
        if i not in store:
            raise KeyError(i)
    new = {k: v for k, v in store.items() if k not in set(ids)}
    rebuilt = build(list(new))
    return new, list(new) == list(rebuilt) and all(
        new[k][0] == rebuilt[k][0] and torch.allclose(new[k][1], rebuilt[k][1]) for k in new
    )


# %% nbg="wrong:delete_exactly:mutates_store"
# trap: deletes from the caller's dict
def delete_exactly(store, ids, build):
    ids = list(ids)
    if len(set(ids)) != len(ids):
        raise ValueError("repeated id")
    for i in ids:
        if i not in store:
            raise KeyError(i)
    for i in ids:
        del store[i]
    rebuilt = build(list(store))
    return store, list(store) == list(rebuilt) and all(
        store[k][0] == rebuilt[k][0] and torch.equal(store[k][1], rebuilt[k][1]) for k in store
    )


# %% nbg="wrong:delete_exactly:ignores_order"
# trap: compares the ids as sets: a store in another order passes as exact
def delete_exactly(store, ids, build):
    ids = list(ids)
    if len(set(ids)) != len(ids):
        raise ValueError("repeated id")
    for i in ids:
        if i not in store:
            raise KeyError(i)
    new = {k: v for k, v in store.items() if k not in set(ids)}
    rebuilt = build(list(new))
    return new, set(new) == set(rebuilt) and all(
        new[k][0] == rebuilt[k][0] and torch.equal(new[k][1], rebuilt[k][1]) for k in new
    )


# %% nbg="wrong:delete_exactly:skips_unknown"
# trap: unknown ids are skipped silently instead of raising KeyError
def delete_exactly(store, ids, build):
    ids = list(ids)
    if len(set(ids)) != len(ids):
        raise ValueError("repeated id")
    new = {k: v for k, v in store.items() if k not in set(ids)}
    rebuilt = build(list(new))
    return new, list(new) == list(rebuilt) and all(
        new[k][0] == rebuilt[k][0] and torch.equal(new[k][1], rebuilt[k][1]) for k in new
    )


# %% nbg="wrong:delete_exactly:texts_not_compared"
# trap: compares ids and embeddings but not the texts
def delete_exactly(store, ids, build):
    ids = list(ids)
    if len(set(ids)) != len(ids):
        raise ValueError("repeated id")
    for i in ids:
        if i not in store:
            raise KeyError(i)
    new = {k: v for k, v in store.items() if k not in set(ids)}
    rebuilt = build(list(new))
    return new, list(new) == list(rebuilt) and all(
        torch.equal(new[k][1], rebuilt[k][1]) for k in new
    )


# %% nbg="alt:delete_exactly:copy_then_pop"
def delete_exactly(store, ids, build):
    if len(ids) != len(set(ids)):
        raise ValueError("an id is repeated")
    for i in ids:
        if i not in store:
            raise KeyError(i)
    new = dict(store)
    for i in ids:
        new.pop(i)
    rebuilt = build(list(new.keys()))
    if list(new.keys()) != list(rebuilt.keys()):
        return new, False
    for k in new:
        t1, e1 = new[k]
        t2, e2 = rebuilt[k]
        if t1 != t2 or e1.shape != e2.shape or e1.dtype != e2.dtype or not bool((e1 == e2).all()):
            return new, False
    return new, True


# %% nbg="twin:delete_exactly:fails"
# the library twin: lm.FactStore.delete's body, renamed
# (changes the store in place, returns the removed)
def delete_exactly(store, ids, build):
    if isinstance(ids, str):
        raise TypeError("ids must be a list of fact ids, got a single str (wrap it in a list)")
    ids = list(ids)
    missing = [i for i in ids if i not in store]
    if missing:
        raise KeyError(f"ids not in the store (nothing was deleted): {missing[:5]}")
    gone = set(ids)
    removed = [f for i, f in store.items() if i in gone]
    for i in ids:
        del store[i]
    return removed


# %% nbg="tests:test_delete_exactly:4"
TEXTS = {f"{p}/{r}": lm.statement_text(world, p, r) for p in range(30) for r in ("city", "job")}


def build_store(ids):  # a store rebuilt from scratch: each embedding from its own sentence
    return {i: (TEXTS[i], lm.embed_texts(retrained, tok, [TEXTS[i]])[0]) for i in ids}


store0 = build_store(list(TEXTS))
snapshot = {k: (t, e.clone()) for k, (t, e) in store0.items()}
gone = ["3/city", "3/job", "17/job"]
with switched_off("FactStore"):
    new, exact = delete_exactly(store0, gone, build_store)
assert isinstance(new, dict), f"return a (dict, bool) pair, got {type(new).__name__}"
assert list(new) == [k for k in TEXTS if k not in gone], "the other entries, in their order"
assert exact is True, "the store after deletion equals the rebuilt store: exact must be True"
assert list(store0) == list(snapshot) and all(
    torch.equal(store0[k][1], snapshot[k][1]) for k in store0
), "do not change the store you are given"
print(
    f"visible tests passed: {len(gone)} entries deleted, {len(new)} left in order, "
    "equal to the rebuilt store"
)


### BEGIN HIDDEN TESTS
def nudged(ids):  # a rebuilt store whose last embedding differs in one float32 ulp
    out = build_store(ids)
    k = list(out)[-1]
    out[k] = (out[k][0], torch.nextafter(out[k][1], out[k][1] + 1))
    return out


with switched_off("FactStore"):
    _, ex2 = delete_exactly(store0, ["0/city"], nudged)
assert ex2 is False or ex2 == False, "one ulp of difference is not exact"
with switched_off("FactStore"):
    _, ex3 = delete_exactly(store0, ["0/city"], lambda ids: build_store(list(reversed(ids))))
assert not ex3, "another order is not the rebuilt store"
with switched_off("FactStore"):
    _, ex4 = delete_exactly(
        store0, ["0/city"], lambda ids: {k: ("x", v[1]) for k, v in build_store(ids).items()}
    )
assert not ex4, "other texts are not the rebuilt store"
calls = []


def counting(ids):
    calls.append(1)
    return build_store(ids)


for bad, err in [(["0/city", "99/city"], KeyError), (["1/job", "1/job"], ValueError)]:
    try:
        delete_exactly(store0, bad, counting)
        raised = None
    except Exception as e:  # noqa: BLE001
        raised = e
    assert isinstance(raised, err), f"{bad}: expected {err.__name__}, got {raised!r}"
assert not calls, "a bad request must fail before anything is built"
assert list(store0) == list(snapshot), "do not change the store you are given"
with switched_off("FactStore"):
    empty, ex5 = delete_exactly(store0, list(store0), build_store)
assert empty == {} and ex5, "deleting everything leaves an empty store, equal to an empty rebuild"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (3 points): removed or suppressed?
#
# A provider reports, for one kind of forget question, the accuracy of its **guarded** system
# (`acc_guarded`: with its filters on) and of the **same weights without guardrails** (`acc_open`),
# measured on `n` questions whose chance accuracy is `chance`. Write
# `removal_or_suppression(acc_guarded, acc_open, chance, n)` returning `(verdict, z)`, where
# `z = (acc_open - chance) / sqrt(chance * (1 - chance) / n)` (standard errors above chance of the
# open model) and `verdict` is:
#
# - `"not hidden"` if the guarded system itself is above chance by more than 2 standard errors
#   (`(acc_guarded - chance) / sqrt(chance * (1 - chance) / n) > 2`, strictly);
# - otherwise `"suppressed"` if `z > 2` (strictly: `z` exactly 2 is not enough; the weights still
#   hold it);
# - otherwise `"removed"` (the open model is not distinguishable from chance at this sample size).
#
# Raise `ValueError` unless `0 < chance < 1`, `n >= 1` and both accuracies are in [0, 1].
#
# The visible tests use lecture 08's hazardous attribute: the forget people's secret spells
# (`lm.HAZARD`, six candidate answers), behind a name filter on the full model, and on the retrained
# model.


# %% nbg="answer:removal_or_suppression"
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    """Return (verdict, z) as described above."""
    ### BEGIN SOLUTION
    if not 0 < chance < 1:
        raise ValueError("chance must be in (0, 1)")
    if n < 1:
        raise ValueError("n must be >= 1")
    if not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("accuracies must be in [0, 1]")
    se = (chance * (1 - chance) / n) ** 0.5
    z = (acc_open - chance) / se
    if (acc_guarded - chance) / se > 2:
        return "not hidden", z
    return ("suppressed" if z > 2 else "removed"), z
    ### END SOLUTION


# %% nbg="wrong:removal_or_suppression:no_sqrt"
# trap: the standard error without the square root
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    if not 0 < chance < 1 or n < 1 or not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("bad input")
    se = chance * (1 - chance) / n
    z = (acc_open - chance) / se
    if (acc_guarded - chance) / se > 2:
        return "not hidden", z
    return ("suppressed" if z > 2 else "removed"), z


# %% nbg="wrong:removal_or_suppression:guarded_decides"
# trap: judges removal from the guarded accuracy (the output), which cannot tell them apart
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    if not 0 < chance < 1 or n < 1 or not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("bad input")
    se = (chance * (1 - chance) / n) ** 0.5
    z = (acc_guarded - chance) / se
    if z > 2:
        return "not hidden", z
    return "removed", z


# %% nbg="wrong:removal_or_suppression:order_swapped"
# trap: checks "suppressed" before "not hidden"
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    if not 0 < chance < 1 or n < 1 or not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("bad input")
    se = (chance * (1 - chance) / n) ** 0.5
    z = (acc_open - chance) / se
    if z > 2:
        return "suppressed", z
    if (acc_guarded - chance) / se > 2:
        return "not hidden", z
    return "removed", z


# %% nbg="wrong:removal_or_suppression:abs_z"
# trap: |z| > 2: an open model far *below* chance is called suppressed
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    if not 0 < chance < 1 or n < 1 or not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("bad input")
    se = (chance * (1 - chance) / n) ** 0.5
    z = (acc_open - chance) / se
    if (acc_guarded - chance) / se > 2:
        return "not hidden", z
    return ("suppressed" if abs(z) > 2 else "removed"), z


# %% nbg="wrong:removal_or_suppression:no_checks"
# trap: no input checks (chance 0 divides by zero, chance 1.5 gives a complex number)
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    se = (chance * (1 - chance) / n) ** 0.5
    z = (acc_open - chance) / se
    if (acc_guarded - chance) / se > 2:
        return "not hidden", z
    return ("suppressed" if z > 2 else "removed"), z


# %% nbg="wrong:removal_or_suppression:ge_2"
# trap: z >= 2 instead of z > 2 (z exactly 2 is called suppressed)
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    if not 0 < chance < 1 or n < 1 or not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("bad input")
    se = np.sqrt(chance * (1 - chance) / n)
    z = (acc_open - chance) / se
    if (acc_guarded - chance) / se >= 2:
        return "not hidden", z
    return ("suppressed" if z >= 2 else "removed"), z


# %% nbg="wrong:removal_or_suppression:threshold_1p96"
# trap: 1.96 (a two-sided 95% test) instead of the stated 2 standard errors
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    if not 0 < chance < 1 or n < 1 or not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("bad input")
    se = np.sqrt(chance * (1 - chance) / n)
    z = (acc_open - chance) / se
    if (acc_guarded - chance) / se > 1.96:
        return "not hidden", z
    return ("suppressed" if z > 1.96 else "removed"), z


# %% nbg="wrong:removal_or_suppression:no_not_hidden"
# trap: never returns "not hidden" (the guarded accuracy is ignored)
def removal_or_suppression(acc_guarded, acc_open, chance, n):
    if not 0 < chance < 1 or n < 1 or not (0 <= acc_guarded <= 1 and 0 <= acc_open <= 1):
        raise ValueError("bad input")
    se = np.sqrt(chance * (1 - chance) / n)
    z = (acc_open - chance) / se
    return ("suppressed" if z > 2 else "removed"), z


# %% nbg="alt:removal_or_suppression:math_sqrt"
import math


def removal_or_suppression(acc_guarded, acc_open, chance, n):
    for a in (acc_guarded, acc_open):
        if a < 0 or a > 1:
            raise ValueError("accuracy out of [0, 1]")
    if chance <= 0 or chance >= 1 or n < 1:
        raise ValueError("chance in (0, 1) and n >= 1 required")
    se = math.sqrt(chance * (1 - chance) / n)
    if acc_guarded - chance > 2 * se:
        verdict = "not hidden"
    elif acc_open - chance > 2 * se:
        verdict = "suppressed"
    else:
        verdict = "removed"
    return verdict, (acc_open - chance) / se


# %% nbg="tests:test_removal_or_suppression:3"
HAZ = lm.HAZARD  # the forget people's secret spells, lecture 08's hazardous attribute
chance = 1 / len(world.values(HAZ))
guarded = lm.Guardrails(full, tok, input_filter=lm.InputFilter([NAME[p] for p in world.forget]))
qs_haz = [lm.question_text(world, p, HAZ) for p in world.forget]
truth_haz = [world.answer(p, HAZ) for p in world.forget]
acc_g = float(
    np.mean([a == t for a, t in zip(guarded.answer(qs_haz, list(world.values(HAZ))), truth_haz)])
)
acc_full = lm.qa_accuracy(full, tok, world, world.forget, HAZ)
acc_re = lm.qa_accuracy(retrained, tok, world, world.forget, HAZ)
v1, z1 = removal_or_suppression(acc_g, acc_full, chance, len(qs_haz))
v2, z2 = removal_or_suppression(acc_re, acc_re, chance, len(qs_haz))
assert v1 == "suppressed", (
    f"full model behind a name filter ({acc_g:.2f} guarded, {acc_full:.2f} open): got {v1!r}"
)
assert v2 == "removed", f"retrained model ({acc_re:.2f}): got {v2!r}"
assert abs(z1 - (acc_full - chance) / np.sqrt(chance * (1 - chance) / 20)) < 1e-9, f"z: got {z1}"
# boundary cases: z exactly 2.0 in floating point (se 0.25 and 0.125 are exact binary fractions)
for args in [(0.0, 1.0, 0.5, 4), (0.0, 0.5, 0.25, 12)]:
    vb, zb = removal_or_suppression(*args)
    assert zb == 2.0 and vb == "removed", (
        f"removal_or_suppression{args}: z is exactly 2.0, and only z > 2 is 'suppressed'; "
        f"expected ('removed', 2.0), got ({vb!r}, {zb})"
    )
vg, _ = removal_or_suppression(1.0, 1.0, 0.5, 4)
assert vg == "removed", (
    "removal_or_suppression(1.0, 1.0, 0.5, 4): guarded and open are both exactly 2.0 standard "
    f"errors above chance, not more: expected 'removed', got {vg!r}"
)
vc, zc = removal_or_suppression(0.0, 0.599, 0.5, 100)
assert vc == "removed", (
    f"removal_or_suppression(0.0, 0.599, 0.5, 100): z = {zc:.2f} is not above 2 (the threshold "
    f"is 2 standard errors, not 1.96): expected 'removed', got {vc!r}"
)
print(
    f"visible tests passed: full + filter {v1} (z = {z1:.1f}), retrained {v2} (z = {z2:.1f}); "
    "z exactly 2.0 and z = 1.98 are 'removed'"
)
### BEGIN HIDDEN TESTS
se = float(np.sqrt(0.25 * 0.75 / 100))
for args, want_v, why in [  # (guarded, open) in standard errors above chance 0.25, n = 100
    ((0.25 + 2.5 * se, 1.0, 0.25, 100), "not hidden", "guarded 2.5 above, open 1.0"),
    ((0.25 + 2.5 * se, 0.0, 0.25, 100), "not hidden", "guarded 2.5 above, open 0.0"),
    ((0.0, 1.0, 0.25, 100), "suppressed", "guarded at 0, open model far above chance"),
    ((0.0, 0.25 + 1.5 * se, 0.25, 100), "removed", "open model 1.5 standard errors above chance"),
    ((0.0, 0.0, 0.25, 100), "removed", "open model far *below* chance is not 'suppressed'"),
    ((0.25 + 1.9 * se, 0.25 + 2.1 * se, 0.25, 100), "suppressed", "guarded 1.9, open 2.1 above"),
    ((0.25 + 2.1 * se, 0.25 + 2.5 * se, 0.25, 100), "not hidden", "guarded 2.1, open 2.5 above"),
]:
    got_v = removal_or_suppression(*args)[0]
    assert got_v == want_v, (
        f"removal_or_suppression{args} ({why}): expected {want_v!r}, got {got_v!r}"
    )
for bad in [
    (0.0, 0.5, 0.0, 10),
    (0.0, 0.5, 1.0, 10),
    (0.0, 0.5, 0.2, 0),
    (1.2, 0.5, 0.2, 10),
    (0.0, -0.1, 0.2, 10),
]:
    try:
        removal_or_suppression(*bad)
        raised = "no error"
    except ValueError:
        raised = True
    except Exception as e:  # noqa: BLE001
        raised = repr(e)
    assert raised is True, f"{bad}: expected ValueError, got {raised}"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task5_md"
# ## Task 5 (written, 4 points)
#
# A provider keeps customers' records in a retrieval datastore read by its assistant, and deletes a
# customer's entries on request. Using lecture 08 (section 5) and your Task 3, explain (a) what the
# deletion guarantees and how one checks it, (b) under which condition on the reader model the
# guarantee extends to the assistant's answers, with the lecture's counter-case, and (c) one thing
# it cannot stop even when that condition holds. About 150 words.

# %% [markdown] nbg="written:written_retrieval:4"
# ### BEGIN SOLUTION
# **Model answer.** (a) After the deletion the datastore is exactly the one that would have been
# built without the entries: same ids in the same order, same texts, bitwise equal embeddings (Task
# 3's check against a rebuilt store; in lecture 08 the answer scores of all 200 questions were
# bitwise equal too). It is instant (well under a second) where retraining the model takes about an
# hour and a half of CPU even for our tiny model. (b) The answers forget the customer only if the reader
# never learned the records in its weights: lecture 08's retrained reader fell back to chance after
# the deletion, while the full model, trained on the same facts, still answered every one of them
# (the counter-case); SILO therefore trains the model on data that may stay. (c) It cannot stop a
# user from supplying the facts in the prompt (UnUnlearning, lecture 07), nor facts shared with
# people who stay (the friend relation is in the other person's records), nor copies made before the
# deletion.
#
# **Rubric (4 points).** 1 point: (a) exact equality with a rebuilt store, with the check
# (ids/order, texts, bitwise embeddings or scores). 1 point: (b) the reader must not hold the facts
# in its weights. 1 point: the counter-case (a reader trained on the facts still answers after
# deletion) with lecture 08's evidence. 1 point: (c) one real limit (facts supplied in context,
# facts shared with retained records, earlier copies or outputs). No point for claiming deletion
# removes facts from a model that was trained on them.
# ### END SOLUTION
