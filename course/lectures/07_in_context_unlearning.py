# Source of lectures/07_in_context_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown]
# # 07 · In-context unlearning and UnUnlearning
#
# A language model answers from two sources: what its weights hold, and what its prompt says. So far
# the course removed knowledge from the weights. This lecture looks at the other source, from both
# sides: a prompt that asks the model to *behave* as if it had forgotten, and a prompt that hands
# back what was truly forgotten.
#
# **You will learn to**
# 1. measure what a small language model knows closed-book about the people of a fictitious world, and
#    compare it with the exact-unlearning reference retrained without the forget people;
# 2. build an in-context unlearning (ICUL) prompt in the style of Pawelczyk et al. (2024), measure what
#    it changes on the forget people and on everybody else, and separate the effect of the flipped
#    answer from the effect of the context with a control prompt;
# 3. show that ICUL hides knowledge without removing it: the same weights answer again without the
#    prompt, and a likelihood probe separates them, for some facts, from a model that never learned them;
# 4. demonstrate *UnUnlearning* (Shumailov et al., 2024): a model retrained without some facts uses them
#    as soon as they appear in its context, and composes them with what it kept;
# 5. explain why unlearning the weights is not enough to regulate content.
#
# **Prerequisites:** lecture 01 (retraining from scratch as the gold standard), lecture 04 (comparing an
# unlearned model with the retrained one, membership checks); lecture 06, on forget and retain
# questions for language models, is helpful but not needed. **Slides:** "In-context unlearning",
# "UnUnlearning" (the conflict between unlearning and generalization). **Time:** about 45 minutes.
#
# The model is tiny (about 0.6M parameters, about an hour and a half of CPU training per checkpoint, printed below
# from the training record; shipped with the course, not retrained here), so that the whole experiment
# fits in this course; the effects it shows are the ones the papers describe for large
# models, not a measurement of them.

# %%
import json

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from scipy.stats import binomtest

import unlearnkit
from unlearnkit import lm, viz

SEED = 0
DEVICE = unlearnkit.device()
torch.set_num_threads(1)  # a small model: one thread is fastest, above all on a busy shared CPU
viz.use_style()

# %% [markdown]
# ## 1. What does the model know, and what does retraining remove?
#
# Our world is TOFU-like (Maini et al. 2024) in miniature: 200 invented people. Each has a home city, a profession, a pet, the pet's colour and a
# friend; the world also fixes which country each city lies in. Every fact exists as statements and as
# questions in several wordings (templates). Twenty people form the **forget set**; the other 180 the
# **retain set**.
#
# Two checkpoints ship with the course (`scripts/train_lm.py` made them from fixed seeds):
# - **full**: a small GPT trained on the documents of all 200 people;
# - **retrained**: the same recipe (same seeds, same number of steps) without the forget people's
#   documents: exact unlearning, the gold standard of lecture 01.
#
# Both also learned to *read*: some training sequences state facts about an unseen name and then ask
# about it. That is our stand-in for the in-context learning of large models. Training has two main
# phases (printed below): phase 1 teaches the facts and the reading; phase 2
# continues with extra sequences in which a known person's fact is restated with a new value and the
# question is answered with the new value, so that, like large language models, the model lets its
# context win when context and memory disagree. Section 2 shows why that matters, and what it means
# for how we read the results. A short third phase (two stages, 600 and 500 steps) added what
# lectures 06 and 08 need and this lecture does not use: a made-up secret "spell" for every person and
# the answer "unknown" for names the model was never told about (new words, appended to the vocabulary).

# %%
full, world, tok = lm.load_lm("full")
retrained, _, _ = lm.load_lm("retrained")
full, retrained = full.to(DEVICE), retrained.to(DEVICE)
record = json.loads((lm.CHECKPOINT_DIR / "lm_record.json").read_text())
phases = ("train_config", "phase2_config", "phase3_config", "phase3b_config")
for name, m in [("full", full), ("retrained", retrained)]:
    r = record["models"][name]
    steps = " + ".join(str(r[k]["steps"]) for k in phases if k in r)
    print(
        f"{name:9s}: {m.num_parameters():,} parameters, trained on {r['n_people_trained_on']} "
        f"people, {steps} steps of {r['train_config']['batch_size']} "
        f"sequences, {r['training_seconds'] / 60:.0f} min of training in all on a shared "
        f"{r['device']}"
    )
special = [w for w in tok.itos if w.startswith("<")]  # <pad> and <bos>: tokens, not words
print(
    f"world: {len(world.people)} people, forget set {len(world.forget)}, vocabulary "
    f"{tok.vocab_size - len(special)} "
    f"words + {len(special)} special tokens ({' '.join(special)})"
)

# %%
F0 = world.forget[0]  # one forget person, followed through the lecture
print(world.people[F0])
for r in ("city", "job", "pet", "colour"):
    print(f"  {lm.statement_text(world, F0, r, 1):45s} | {lm.qa_text(world, F0, r)}")
print("\nOne training sequence of the retrained model (no forget person is ever its subject):")
print(tok.decode(lm.training_batch(world, tok, world.retain, 1, 64, seed=SEED)[0]))

# %% [markdown]
# The models answer by continuing the text. `lm.generate` decodes greedily; to *score* a question we
# compare the log-likelihood of every candidate answer (the 12 cities, the 10 jobs, ...) and take the
# best, so chance is 1 / (number of candidates).

# %%
q = lm.question_text(world, F0, "city")
for name, m in [("full", full), ("retrained", retrained)]:
    print(f"{name:9s} | {q} -> {lm.generate(m, tok, q)}")
print(f"truth     | {world.answer(F0, 'city')}")

# %%
REL = ["city", "job", "pet", "colour", "country"]
ATTR = ["city", "job", "pet", "colour"]
MODELS = {"full": full, "retrained": retrained}
GROUPS = {"forget": list(world.forget), "retain": list(world.retain)}

closed = pd.DataFrame(
    {
        (m, g): {r: lm.qa_accuracy(model, tok, world, ppl, r) for r in REL}
        for m, model in MODELS.items()
        for g, ppl in GROUPS.items()
    }
)
closed[("chance", "")] = [1 / len(world.values(r)) for r in REL]
print("Closed-book accuracy (question template 0):")
print(closed.round(2).to_string())
se = np.sqrt(
    closed[("chance", "")] * (1 - closed[("chance", "")]) / len(GROUPS["forget"])
)  # binomial, at chance
z = (closed[("retrained", "forget")] - closed[("chance", "")]) / se
print(
    f"retrained model, forget people: at most {z.abs().max():.1f} standard errors from chance "
    f"({z.abs().idxmax()}); "
    f"one standard error for {len(GROUPS['forget'])} people at chance is {se.min():.2f} to "
    f"{se.max():.2f}"
)

# %%
fig, ax = plt.subplots(figsize=(9, 3.8))
x, w = np.arange(len(REL)), 0.2
bars = [
    ("full", "forget", viz.ROLE_COLORS["original"], "//"),
    ("full", "retain", viz.ROLE_COLORS["original"], ""),
    ("retrained", "forget", viz.ROLE_COLORS["retrained"], "//"),
    ("retrained", "retain", viz.ROLE_COLORS["retrained"], ""),
]
for i, (m, g, c, h) in enumerate(bars):
    ax.bar(
        x + (i - 1.5) * w,
        closed[(m, g)],
        w,
        color=c,
        hatch=h,
        edgecolor="white",
        label=f"{m} model, {g} people",
    )
ax.hlines(
    closed[("chance", "")],
    x - 2 * w,
    x + 2 * w,
    colors=viz.ROLE_COLORS["reference"],
    linestyles="--",
    lw=1.5,
    zorder=3,
    label="chance (1 / number of candidates)",
)
ax.set_xticks(x, REL)
ax.set_ylim(0, 1.05)
viz.label(
    ax,
    "Closed-book accuracy: retraining removes the forget people's facts",
    "relation asked",
    "accuracy (fraction of people)",
)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()

# %% [markdown]
# The full model knows both groups; the retrained model knows the retain people and, on the forget
# people, is within two standard errors of chance for every relation (printed under the table), as
# exact unlearning should be. (The forget set has only 20 people, so each of its bars moves in steps
# of 0.05, and a bar a little above or below the chance line is noise.)
#
# ## 2. Can we ask the model to forget?
#
# Pawelczyk, Neel and Lakkaraju (ICML 2024) unlearn without touching the weights. At inference time
# the prompt starts with the example to forget, shown with a **flipped** label, then a few correctly
# labelled examples, then the query. Their models were classifiers built from LLMs; in our
# question-answer world the "label" is the answer:
#
# `where does F live ? <wrong city> . where does R1 live ? <right city> . ... where does F live ?`
#
# Flipping matters: the correct examples keep the model doing the task, and the flipped one pushes
# the model's answer about F away from the memorised one.

# %%
EXAMPLES = list(
    world.retain[:3]
)  # the correctly answered examples of the one-person prompts (here and section 5)


def pick_flip(
    person, relation
):  # one seeded rule: a wrong answer that is none of the examples' answers
    wrong = [c for c in world.values(relation) if c != world.answer(person, relation)]
    free = [c for c in wrong if c not in {world.answer(e, relation) for e in EXAMPLES}] or wrong
    return free[
        np.random.default_rng(unlearnkit.derive_seed(SEED, "flip", person, relation)).integers(
            len(free)
        )
    ]


cands, truth = list(world.values("city")), world.answer(F0, "city")
flip = pick_flip(F0, "city")
prompt = lm.icul_prompt(world, F0, "city", flip, examples=EXAMPLES, query_person=F0)
print(prompt, "\n")
for name, p in [("closed book", lm.question_text(world, F0, "city")), ("ICUL prompt", prompt)]:
    probs = lm.score_candidates(full, tok, [p], cands)[0].softmax(0)
    print(
        f"full model, {name:11s}: P(true {truth}) = {probs[cands.index(truth)]:.2f}, "
        f"P(flipped {flip}) = {probs[cands.index(flip)]:.2f}"
    )

# %% [markdown]
# One person proves little. `lm.icul_accuracy` builds such a prompt for every query person, with `k`
# correctly answered retain examples: for a **forget** person the flipped example is that person
# (is it forgotten?); for a **retain** person it is a random forget person (is everybody else's
# knowledge kept under the same kind of prompt?). We sweep `k` and average over the four attributes.
# (`lm.icul_accuracy` draws each flipped value among all wrong answers with its own seed, so with
# `k >= 1` it is sometimes also one of the examples' answers; the one-person prompts above and in
# section 5 avoid that.)
#
# A drop in accuracy alone does not show that the *flip* caused it. The **control** is the same
# prompt with the forget person's example shown with its **true** answer: whatever that prompt still
# takes away is confusion caused by the context, not forgetting. For every answer we also record
# where it comes from: the truth, the flipped value, one of the examples' answers (copied from the
# context), or something else. Three small helpers do the bookkeeping.

# %%
KS = [0, 1, 2, 3]
RETAIN_Q = list(world.retain[::3])  # 60 retain people keep the sweep quick
KINDS = ["truth", "flipped value", "an example's answer", "other"]


def shown_answers(
    prompt,
):  # the answers a prompt shows, in order: the first person's, then the examples'
    return [part.rsplit(" ? ", 1)[1] for part in prompt.split(" . ")[:-1]]


def true_first(
    run, people, relation
):  # the same prompts, each person's own example with its true answer
    return [
        lm.qa_text(world, p, relation) + prompt[len(lm.qa_text(world, p, relation, value=flip)) :]
        for p, prompt, flip in zip(people, run["prompts"], run["flipped"])
    ]


def kind_of(answer, prompt, person, relation):
    shown = shown_answers(prompt)
    return (
        KINDS[0]
        if answer == world.answer(person, relation)
        else (KINDS[1] if answer == shown[0] else KINDS[2] if answer in shown[1:] else KINDS[3])
    )


# %%
def forget_answers(model, k):
    """Per attribute: the share of each kind of answer on the forget people, ICUL prompt and
    control."""
    rows, ppl = {}, GROUPS["forget"]
    for r in ATTR:
        run, cands = (
            lm.icul_accuracy(model, tok, world, ppl, r, n_examples=k, seed=SEED),
            list(world.values(r)),
        )
        ctrl = true_first(run, ppl, r)
        ctrl_pred = [
            cands[i] for i in lm.score_candidates(model, tok, ctrl, cands).argmax(1).tolist()
        ]
        rows[r] = {
            (tag, kind): np.mean(
                [kind_of(a, q, p, r) == kind for a, q, p in zip(preds, prompts, ppl)]
            )
            for tag, prompts, preds in [
                ("ICUL prompt", run["prompts"], run["predictions"]),
                ("true answer shown", ctrl, ctrl_pred),
            ]
            for kind in KINDS
        }
    return pd.DataFrame(rows).T


forget_k = {k: forget_answers(full, k) for k in KS}
sweep = pd.DataFrame({k: forget_k[k].mean() for k in KS}).T.drop(
    columns=[("true answer shown", "flipped value")]
)
sweep[("retain, ICUL", "truth")] = [
    np.mean(
        [
            lm.icul_accuracy(full, tok, world, RETAIN_Q, r, n_examples=k, seed=SEED)["accuracy"]
            for r in ATTR
        ]
    )
    for k in KS
]
sweep.index.name = "k"
print(
    "Full model, share of answers of each kind (mean over 4 attributes); forget people, and in the "
    "last column "
    f"{len(RETAIN_Q)} retain people:"
)
print(sweep.round(2).to_string())

# %%
base = {(m, g): float(closed.loc[ATTR, (m, g)].mean()) for m in MODELS for g in GROUPS}
chance = float(np.mean([1 / len(world.values(r)) for r in ATTR]))
fig, (ax_f, ax_r) = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
ax_f.plot(
    KS,
    sweep[("ICUL prompt", "truth")],
    "o-",
    lw=2,
    color=viz.ROLE_COLORS["forget"],
    label="ICUL prompt: true answer",
)
ax_f.plot(
    KS,
    sweep[("ICUL prompt", "flipped value")],
    "^--",
    lw=2,
    color=viz.ROLE_COLORS["unlearned"],
    label="ICUL prompt: the flipped value",
)
ax_f.plot(
    KS,
    sweep[("ICUL prompt", KINDS[2])],
    "d:",
    lw=2,
    color="0.45",
    label="ICUL prompt: an example's answer",
)
ax_f.plot(
    KS,
    sweep[("true answer shown", "truth")],
    "s-",
    lw=2,
    color=viz.PALETTE["purple"],
    label="control (true answer shown): true answer",
)
ax_f.axhline(
    base[("retrained", "forget")],
    ls="-.",
    lw=1,
    color=viz.ROLE_COLORS["retrained"],
    label="retrained, closed book",
)
ax_r.plot(
    KS,
    sweep[("retain, ICUL", "truth")],
    "s-",
    lw=2,
    color=viz.ROLE_COLORS["retain"],
    label="ICUL prompt (a forget person flipped): true answer",
)
for ax, g in ((ax_f, "forget"), (ax_r, "retain")):
    ax.axhline(
        base[("full", g)],
        ls="--",
        lw=1,
        color=viz.ROLE_COLORS["original"],
        zorder=1,
        label="full model, closed book",
    )
    ax.axhline(
        chance,
        ls=":",
        lw=1.5,
        color=viz.ROLE_COLORS["reference"],
        zorder=1,
        label=f"chance ({chance:.2f})",
    )
    ax.set_xticks(KS)
    ax.set_ylim(0, 1.05)
    viz.label(
        ax,
        f"{g} people ({len(GROUPS['forget']) if g == 'forget' else len(RETAIN_Q)})",
        "k, correctly answered examples in the prompt",
        "share of answers (mean over 4 attributes)" if g == "forget" else "",
    )
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
fig.suptitle("In-context unlearning on the full model, with the true-answer control")
plt.show()

# %%
k3 = sweep.loc[3]
n_answers = 4 * len(GROUPS["forget"])
print(
    f"forget people, k = 3: closed book {base[('full', 'forget')]:.2f} -> true answer shown "
    f"{k3[('true answer shown', 'truth')]:.2f} -> flipped answer shown "
    f"{k3[('ICUL prompt', 'truth')]:.2f}"
)
print(
    f"  lost with the true answer shown (context confusion): "
    f"{base[('full', 'forget')] - k3[('true answer shown', 'truth')]:.2f}; "
    f"lost in addition when it is flipped: "
    f"{k3[('true answer shown', 'truth')] - k3[('ICUL prompt', 'truth')]:.2f}"
)
print(
    f"  the control's wrong answers that copy an example's answer: "
    f"{k3[('true answer shown', KINDS[2])]:.2f} of "
    f"{1 - k3[('true answer shown', 'truth')]:.2f}"
)
print(
    f"  each share above rests on {n_answers} answers: one binomial standard error is at most "
    f"{np.sqrt(0.25 / n_answers):.2f}"
)

# %% [markdown]
# Read the left panel first. With no examples (`k = 0`) the control changes nothing and the ICUL prompt
# makes the model give the flipped value almost every time: the flip does it all. With examples the
# picture splits in two (printed above for `k = 3`). The control already costs accuracy: the model
# copies an example's answer instead of the true one it was just shown. So **part of ICUL's effect
# is confusion caused by the context, not flipping**, and a fair account reports both numbers. The
# flip adds the larger part, and the answers it takes from the truth go to the flipped value or,
# increasingly with `k`, to a copied example answer (grey); the true answer stays rare at every `k`
# (first column of the table). In the right panel, the retain people keep their answers under the
# same kind of prompt (the flipped example names someone else), close to the closed-book line.
#
# Note where the forget answers land: the retrained model sits near *chance*, the prompted model
# gives the flipped value or an example's answer. An answer pattern that differs from "never
# learned" is itself a signal: compare with the retrained model, never with zero (lecture 04;
# lecture 05 measures it properly).
#
# ICUL only works if the model lets its context override its memory. After phase 1 alone our model
# did not: the training script measured the same kind of prompts (`k = 3`) on the phase-1 model
# before phase 2 and stored the result in the checkpoint record.

# %%
for name in MODELS:
    p1, p2 = (
        record["models"][name]["phase1"],
        record["models"][name].get("phase2", record["models"][name]),
    )
    print(
        f"{name:9s} ICUL k=3, forget accuracy: after phase 1 "
        f"{p1['icul_k3_forget']['accuracy']:.2f}, "
        f"after phase 2 {p2['icul_k3_forget']['accuracy']:.2f} | reading facts about unseen names: "
        f"{np.mean(list(p1['fresh_name_reading'].values())):.2f} -> "
        f"{np.mean(list(p2['fresh_name_reading'].values())):.2f}"
    )

# %% [markdown]
# Be clear about what this shows. Phase 2 of training fed the model thousands of sequences of
# essentially the ICUL pattern: a known person's fact restated with a new value, then the question,
# answered with the new value. So "answers the flipped value" is behaviour we **trained in**, not an
# ability that emerged, and the phase-1 numbers above show the prompt does nothing without it. Large
# models are not trained on such prompts; Pawelczyk et al. rely on in-context learning that emerged
# from pre-training. Our model shows the mechanics of ICUL, not evidence that it works.
#
# ## 3. Is the knowledge gone?
#
# The weights did not change, so the answer should be no. Three ways to look, on the same forget
# people, with `k = 3` examples:
# - drop the prompt (anyone with the weights, or a different front end, can);
# - keep the prompt but ask a **paraphrase** of the question (question template 1);
# - a **likelihood probe**: how much probability does the prompted model still give the true answer,
#   compared with the retrained model given exactly the same prompts (what "never learned" looks
#   like)? Pawelczyk et al. evaluate ICUL in the same spirit, with a membership-inference test
#   against retrained models.

# %%
K = 3
rows, n = {}, len(GROUPS["forget"])
for r in ATTR:
    cands = list(world.values(r))
    truth = torch.tensor([cands.index(world.answer(p, r)) for p in GROUPS["forget"]])
    runs = {
        m: lm.icul_accuracy(model, tok, world, GROUPS["forget"], r, n_examples=K, seed=SEED)
        for m, model in MODELS.items()
    }
    logp = {
        m: run["scores"].log_softmax(1)[torch.arange(n), truth] for m, run in runs.items()
    }  # log P(truth)
    para = lm.icul_accuracy(
        full, tok, world, GROUPS["forget"], r, n_examples=K, seed=SEED, query_template=1
    )
    rows[r] = {
        "acc, full, no prompt": closed.loc[r, ("full", "forget")],
        "acc, full + true answer shown": forget_k[K].loc[r, ("true answer shown", "truth")],
        "acc, full + ICUL": runs["full"]["accuracy"],
        "acc, full + ICUL, paraphrase": para["accuracy"],
        "mean P(truth), full + ICUL": float(logp["full"].exp().mean()),
        "mean P(truth), retrained + same": float(logp["retrained"].exp().mean()),
        "people, full's P(truth) higher": int((logp["full"] > logp["retrained"]).sum()),
    }
recover = pd.DataFrame(rows).T
recover.loc["mean"] = recover.mean()
print(
    f"Forget people ({n}), prompts with k = {K}: accuracies (acc), mean probability of the true "
    f"answer, and the "
    "number of people for whom the prompted full model gives the truth more probability than the "
    "retrained one"
)
print(recover.round(2).to_string())

# %%
for r in ATTR:
    row, wins = recover.loc[r], int(recover.loc[r, "people, full's P(truth) higher"])
    p_sign = binomtest(wins, n, 0.5).pvalue  # two-sided sign test: could a coin give this split?
    print(
        f"  {r:6s}: full model's P(truth) higher for {wins} of {n} forget people (sign test p = "
        f"{p_sign:.2g}); "
        f"mean P(truth) {row['mean P(truth), full + ICUL']:.2f} vs "
        f"{row['mean P(truth), retrained + same']:.2f}"
    )


# %% [markdown]
# ICUL changes what the model *says*, not what it *holds*. Without the prompt the full model answers
# every forget question as before (first column): the knowledge is one missing prompt away, so ICUL
# is only as good as the guarantee that every query carries the prompt. The second column is
# section 2's control for each attribute: the same prompts with the true answer shown already cost
# accuracy, for every attribute, so the gap between the first and the third column overstates what
# the flip itself does. A paraphrase does *not* escape the prompt in our model (phase 2 taught it
# that a restated fact wins in any wording), so it is no escape route.
#
# The likelihood probe is a weaker signal than the first column, and it differs by attribute (the
# lines under the table). For city, pet and colour the prompted full model gives the truth more
# probability than the retrained model for most forget people, a split that a fair coin gives rarely
# (small sign-test p; for colour only just, and its mean probability of the truth is not even higher).
# For job it does so for about half of them, which a coin gives easily: with 20 people that is no
# evidence either way. A per-question comparison like this is what a membership-inference attack builds
# on (lectures 04 and 05), and here it would separate the two models for some facts
# and not for others.
#
# The paper reports a different picture. Pawelczyk et al. evaluate ICUL on fine-tuned LLM
# classifiers with *LiRA-Forget*, a likelihood-ratio membership test adapted to unlearning, and find
# ICUL on par with, and sometimes better than, unlearning methods that update the weights, with
# better results for larger models. Our tiny model is no test of that claim: its ICUL behaviour was
# trained in (section 2), and its probe, an average over few people, is not their attack. What holds
# in both settings is the first column: the weights still hold the facts.
#
# ## 4. UnUnlearning: hand the forgotten facts back
#
# Now the retrained model: the forget people's facts are truly absent from its weights. Shumailov et
# al. (2024) point out that this does not stop the model from *using* those facts when someone puts
# them in its context, and from combining them with what it kept. We state each forget person's fact
# in the prompt and ask the question. For `country` we state only the **city**: which country that
# city lies in is world knowledge the retrained model kept.


# %%
def with_context(model, r):
    stated = [
        lm.statement_text(world, p, "city" if r == "country" else r) for p in GROUPS["forget"]
    ]
    return lm.qa_accuracy(model, tok, world, GROUPS["forget"], r, contexts=stated)


unun = pd.DataFrame(
    {
        "retrained, closed book": closed[("retrained", "forget")],
        "retrained, fact in context": {r: with_context(retrained, r) for r in REL},
        "full, closed book": closed[("full", "forget")],
    }
)
print("Forget people, accuracy (for country only the city is stated):")
print(unun.round(2).to_string())
example = f"{lm.statement_text(world, F0, 'city')} {lm.question_text(world, F0, 'country')}"
print(
    f"\nretrained | {example} -> {lm.generate(retrained, tok, example)}   (truth: "
    f"{world.answer(F0, 'country')})"
)

# %%
fig, ax = plt.subplots(figsize=(9, 3.8))
x, w = np.arange(len(REL)), 0.27
ax.bar(
    x - w,
    unun["retrained, closed book"],
    w,
    color=viz.ROLE_COLORS["retrained"],
    hatch="//",
    edgecolor="white",
    label="retrained, closed book",
)
ax.bar(
    x,
    unun["retrained, fact in context"],
    w,
    color=viz.ROLE_COLORS["retrained"],
    label="retrained, fact in context",
)
ax.bar(
    x + w,
    unun["full, closed book"],
    w,
    color=viz.ROLE_COLORS["original"],
    label="full model, closed book",
)
ax.hlines(
    closed[("chance", "")],
    x - 1.5 * w,
    x + 1.5 * w,
    colors=viz.ROLE_COLORS["reference"],
    linestyles="--",
    lw=1.5,
    zorder=3,
    label="chance (1 / number of candidates)",
)
ax.set_xticks(x, [r if r != "country" else "country\n(city stated)" for r in REL])
ax.set_ylim(0, 1.05)
viz.label(
    ax,
    "UnUnlearning: the retrained model uses forgotten facts given in context",
    "relation asked about a forget person",
    "accuracy (fraction of forget people)",
)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()


# %% [markdown]
# The retrained model never saw these people's documents, yet with one sentence of context it answers
# about them like the full model, and for the country it *composes* the stated city with world
# knowledge from its weights: the forgotten fact became useful again the moment it was supplied.
# Nothing here is a failure of the unlearning: the weights are exactly those of a model that never
# saw the data. The knowledge came back through the input.
#
# ## 5. Explore one person
#
# Pick a forget person, a relation and the number of correctly answered examples `k`. The bars show
# the probability each candidate answer gets in five runs: the full model closed book, with the ICUL
# prompt (flipped answer first, then the first `k` of the three examples of section 2) and with the
# control prompt (the same, true answer first); the retrained model closed book and with the fact
# stated in context. The flipped value comes from the same seeded rule as in section 2 (`pick_flip`),
# so `F0`'s city is flipped the same way. The figure below is the default (our person `F0`, city,
# `k = 3`), drawn without the widget. Look where the prompted full model puts its probability: on
# the flipped value, or on an answer shown for one of the examples (marked "example"); rarely on
# the truth. Try `k = 0`.


# %%
def show_person(person=F0, relation="city", k=3, ax=None):
    cands, truth, flip = (
        list(world.values(relation)),
        world.answer(person, relation),
        pick_flip(person, relation),
    )
    icul = lm.icul_prompt(world, person, relation, flip, EXAMPLES[:k], person)
    control = (
        lm.qa_text(world, person, relation)
        + icul[len(lm.qa_text(world, person, relation, value=flip)) :]
    )
    fact = (
        f"{lm.statement_text(world, person, 'city' if relation == 'country' else relation)} "
        f"{lm.question_text(world, person, relation)}"
    )
    closed_q, shown = (
        lm.question_text(world, person, relation),
        {world.answer(e, relation) for e in EXAMPLES[:k]},
    )
    runs = [
        ("full, closed book", full, closed_q, viz.ROLE_COLORS["original"]),
        ("full, ICUL prompt", full, icul, viz.ROLE_COLORS["unlearned"]),
        ("full, control: true answer first", full, control, viz.PALETTE["purple"]),
        ("retrained, closed book", retrained, closed_q, viz.PALETTE["sky"]),
        ("retrained, fact in context", retrained, fact, viz.ROLE_COLORS["retrained"]),
    ]
    ax = ax or plt.subplots(figsize=(9, 3.8))[1]
    x, w = np.arange(len(cands)), 0.16
    for i, (name, m, p, c) in enumerate(runs):
        ax.bar(
            x + (i - 2) * w,
            lm.score_candidates(m, tok, [p], cands)[0].softmax(0),
            w,
            color=c,
            label=name,
        )
    tags = {
        c: "\n(true)"
        if c == truth
        else "\n(flipped)"
        if c == flip
        else "\n(example)"
        if c in shown
        else ""
        for c in cands
    }
    ax.set_xticks(x, [c + tags[c] for c in cands], fontsize=7, rotation=45)
    ax.set_ylim(0, 1)
    viz.label(
        ax, f"{world.people[person].name}: {relation} (k = {k})", "candidate answer", "probability"
    )
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


show_person()
plt.show()


# %%
def _panel(person, relation, k):
    show_person(person, relation, k)
    plt.show()


widgets.interact(
    _panel,
    person=widgets.Dropdown(
        options=[(world.people[p].name, p) for p in world.forget], value=F0, description="person"
    ),
    relation=widgets.Dropdown(options=REL, value="city", description="relation"),
    k=widgets.IntSlider(value=3, min=0, max=3, description="k examples"),
)

# %% [markdown]
# ## 6. Try your own question
#
# The models read one kind of text only: lower-case words of the world's vocabulary separated by
# single spaces, with `?` and `.` written as words of their own. A question is one of the templates
# below with a person's full name (first and last name) in place of `{n}`; the model's answer is what
# it writes after the `?`. You may put statements, or questions with their answers, before the
# question, as the prompts above did. The next cell prints the templates and the whole vocabulary.

# %%
for r in REL:
    print(f"{r:8s} " + "  |  ".join(lm.QUESTIONS[r]))
groups = {r: set(world.values(r)) for r in REL if r != "friend"}
groups["first names"] = {p.name.split()[0] for p in world.people}
groups["last names"] = {p.name.split()[1] for p in world.people}
groups["other words"] = set(tok.itos) - set(special) - set().union(*groups.values())
print(f"\nvocabulary ({tok.vocab_size - len(special)} words):")
for g, ws in groups.items():
    print(f"  {g:12s} {' '.join(sorted(ws))}")
print("forget people:", ", ".join(world.people[p].name for p in world.forget))

# %%
MY_PROMPT = "where does tamsin thistle live ?"  # edit me, then run the cell
for name, m in MODELS.items():
    print(f"{name:9s} | {MY_PROMPT} -> {lm.generate(m, tok, MY_PROMPT)}")

# %% [markdown]
# Any other word raises a `KeyError` that names the first unknown word, suggests a fix when it can and
# lists the vocabulary. Here the prompt has a capital letter and a `?` glued to the last word; the
# error names the first of the two problems:

# %%
try:
    lm.generate(full, tok, "Where does tamsin thistle live?")
except KeyError as err:
    print("KeyError:", err.args[0])

# %% [markdown]
# ## Check your understanding
#
# 1. Why does the ICUL prompt show the forget example with a *flipped* answer rather than simply
#    leaving it out of the context?
#    <details><summary>Answer</summary>Leaving it out gives the model nothing to act on: it answers from
#    its weights, as the retain people do under prompts whose flipped example is someone else (section
#    2, right panel). Showing the fact with a different answer gives the model's reading of the context
#    something that pulls its output away from the memorised one; the correctly answered examples keep
#    it doing the task for everything else. Section 2's control (the true answer shown) also says how
#    much of the drop comes from the flip and how much from the context alone.</details>
# 2. The full model with the ICUL prompt and the retrained model both get forget questions wrong. Name
#    two measurements from this lecture that tell them apart.
#    <details><summary>Answer</summary>Drop the prompt (the full model answers correctly again); compare the
#    probability each gives the true answer under the same prompt (the full model gives it more for most
#    forget people on city, pet and colour, but only for about half on job, so this one is weak). The
#    answer pattern differs too: the prompted model mostly repeats the flipped
#    value, the retrained one answers near chance.</details>
# 3. The retrained model is an *exact* unlearning of the forget people. Why does it still tell you the
#    country a forget person lives in?
#    <details><summary>Answer</summary>Because the prompt stated the city. Exact unlearning guarantees the
#    weights are those of a model never trained on the forget documents; it says nothing about inputs.
#    The model kept the general knowledge (city to country) and its ability to read, so it composes the
#    supplied fact with them. Stopping that is a matter of what goes in and out of the system.</details>
# 4. A provider must stop its assistant from revealing facts about a person. List what each of
#    retraining, ICUL and an output filter guarantees and what it leaves open.
#    <details><summary>Answer</summary>Retraining: the weights carry no trace of the documents removed,
#    but facts can be supplied again in context (UnUnlearning) or found elsewhere (retrieval, other
#    documents). ICUL: cheap, no weights change, but the knowledge stays and is one missing prompt away.
#    An output filter: blocks matching outputs whatever their source, but only those it recognises
#    (paraphrases, encodings); lecture 08.</details>

# %% [markdown]
# ## What we measured

# %%
print(f"Closed-book accuracy on the 4 attributes (mean), forget / retain people:")
print(f"  full model      {base[('full', 'forget')]:.2f} / {base[('full', 'retain')]:.2f}")
print(
    f"  retrained model {base[('retrained', 'forget')]:.2f} / "
    f"{base[('retrained', 'retain')]:.2f}   (chance {chance:.2f})"
)
print(
    f"In-context unlearning on the full model, k = {K}: forget "
    f"{sweep.loc[K, ('ICUL prompt', 'truth')]:.2f}, "
    f"retain {sweep.loc[K, ('retain, ICUL', 'truth')]:.2f}; forget answers that are the flipped "
    f"value "
    f"{sweep.loc[K, ('ICUL prompt', 'flipped value')]:.2f}, an example's answer "
    f"{sweep.loc[K, ('ICUL prompt', KINDS[2])]:.2f}"
)
print(
    f"  control, same prompts with the true answer shown: forget accuracy "
    f"{sweep.loc[K, ('true answer shown', 'truth')]:.2f} "
    f"(k = 0: {sweep.loc[0, ('true answer shown', 'truth')]:.2f})"
)
print(
    f"  same prompts, paraphrased query: accuracy "
    f"{recover.loc['mean', 'acc, full + ICUL, paraphrase']:.2f} "
    f"(original wording {recover.loc['mean', 'acc, full + ICUL']:.2f}): a paraphrase does not "
    f"escape the prompt"
)
print(
    f"Knowledge still there: accuracy without the prompt "
    f"{recover.loc['mean', 'acc, full, no prompt']:.2f}"
)
print(
    "  likelihood probe, forget people for whom the prompted full model gives the truth more "
    "probability "
    "than the retrained model: "
    + ", ".join(f"{r} {int(recover.loc[r, recover.columns[-1]])} of {n}" for r in ATTR)
)
print(
    f"UnUnlearning, retrained model on forget people, attributes: closed book "
    f"{unun.loc[ATTR, 'retrained, closed book'].mean():.2f} -> fact in context "
    f"{unun.loc[ATTR, 'retrained, fact in context'].mean():.2f}"
)
print(
    f"  composed (city stated, country asked): {unun.loc['country', 'retrained, closed book']:.2f} "
    f"-> "
    f"{unun.loc['country', 'retrained, fact in context']:.2f}"
)

# %% [markdown]
# ## Conclusion: unlearning the weights is not content regulation
#
# Two lessons from one small model. Asking a model to forget in its context (ICUL) changes its
# answers and keeps the rest, but removes nothing: the knowledge is one missing prompt away, and
# for some facts the model's probabilities still tell it apart from a model that never learned them.
# Part of what the prompt changes is not forgetting at all: a prompt that shows the true answer
# lowers the accuracy too. And removing knowledge from the weights exactly does not stop the model
# from using that knowledge when the input supplies it, or from composing it with what it kept; the
# better a model learns in context, the more this holds. Unlearning controls what a model learned
# from its training data; it cannot control what the model does with what it is given at inference
# time.
#
# So regulating content needs the system around the model: **guardrails** (input filters, output
# filters, system prompts) that act on what goes in and comes out, and **retrieval**, where knowledge
# lives in a datastore read at inference time. Deleting a datastore entry stops the system from
# retrieving it at once and exactly, but it removes the fact only if the fact was never trained into
# the weights as well: a model that learned it, like our full model, still answers closed book
# (section 3), and then the weights need unlearning too. Both are the subject of
# lecture 08, with their own limits (filters suppress rather than remove, and can be
# bypassed).
#
# ## References
# - M. Pawelczyk, S. Neel, H. Lakkaraju. *In-Context Unlearning: Language Models as Few-Shot Unlearners.*
#   ICML 2024. <https://arxiv.org/abs/2310.07579>
# - I. Shumailov, J. Hayes, E. Triantafillou, G. Ortiz-Jimenez, N. Papernot, M. Jagielski, I. Yona,
#   H. Howard, E. Bagdasaryan. *UnUnlearning: Unlearning is not sufficient for content regulation in
#   advanced generative AI.* arXiv:2407.00106, 2024. <https://arxiv.org/abs/2407.00106>
# - P. Maini, Z. Feng, A. Schwarzschild, Z. C. Lipton, J. Z. Kolter. *TOFU: A Task of Fictitious
#   Unlearning for LLMs.* COLM 2024. <https://arxiv.org/abs/2401.06121>
# - T. Brown et al. *Language Models are Few-Shot Learners.* NeurIPS 2020. <https://arxiv.org/abs/2005.14165>
# - A. Karpathy. *nanoGPT* (the model's style). <https://github.com/karpathy/nanoGPT>
