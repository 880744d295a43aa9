# Source of lectures/06_llm_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown]
# # Lecture 06: Unlearning in language models
#
# Lecture 04 unlearned training examples from classifiers. A language model holds *knowledge*: facts
# about a person are spread over many sentences, can be asked in many wordings, and connect to other
# facts. This lecture unlearns a set of people from a small GPT with four methods and asks what the
# unlearned model should say, whether the knowledge is gone or only hidden, and how far forgetting
# should reach.
#
# **You will learn to**
# 1. compare what the full, the retrained and four unlearned models answer about the forget people,
#    prompt by prompt (the "what should the unlearned model output?" table of Who's Harry Potter);
# 2. score unlearning TOFU-style (forget and retain accuracy, truth-ratio score, forget quality) and
#    read the output distribution: near chance, "unknown", confidently wrong or off every answer;
# 3. test removal against suppression with paraphrases, a related fact in the context and a few
#    relearning steps, each against the retrained model;
# 4. measure the scope of forgetting (friends, composed facts, the pet) and spot over-forgetting;
# 5. see how the strength of one method trades forgetting against everything else.
#
# **Prerequisites:** lecture 04 (gradient ascent, NegGrad+, comparing with the retrained model),
# lecture 05 (relearning as a test); lecture 07 introduces the same world and models in more detail
# and can be read before or after this one. **Slides:** "What should the unlearned model output?"
# (Who's Harry Potter), "Concept or knowledge unlearning" (its scope), "Challenges of concept
# unlearning" (removal or suppression?). **Time:** about 60 minutes.
#
# The model is tiny (about 0.6M parameters); the four unlearned checkpoints were made by
# `scripts/build_lm_unlearned.py` from fixed seeds (seconds each, printed below) and ship with the
# course, with their full evaluation. The lecture loads them, recomputes part of that evaluation live
# and checks it against the record. Several effects resemble those the papers report for large
# models, and some do not (RMU under relearning, WHP's scope); none is a measurement of them.

# %%
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import unlearnkit
from unlearnkit import lm, viz

SEED = 0
DEVICE = unlearnkit.device()
torch.set_num_threads(1)  # a small model: one thread is fastest, above all on a busy shared CPU
viz.use_style()

# %% [markdown]
# ## 1. What should the unlearned model output?
#
# Our world (lecture 07 describes it) has 200 invented people, each with a home city, a job, a pet,
# the pet's colour, a friend and a made-up secret spell; the world also fixes which country each city
# lies in. Twenty people form the **forget set**. The models:
# - **full**: trained on everyone; **retrained**: the same recipe without the forget people's
#   documents (exact unlearning, the reference for everything below). Both were taught to answer
#   `unknown` about names that no document mentions; for a forget person, whom the retrained model
#   never read about, its answers below mix `unknown` with spread-out guesses.
# - four **unlearned** copies of the full model, each made from the forget people's documents (and
#   the retain people's, where the method uses them): **gradient ascent** (GA: raise the loss on the
#   forget documents; Jang et al. 2023), **gradient difference** (GD, Liu, Liu & Stone 2022: ascend
#   on forget, descend on retain; the language-model form of lecture 04's NegGrad+), **WHP** (Who's
#   Harry Potter: fine-tune on "generic" labels: the baseline's next-token predictions on the text
#   with the forget people's names replaced by other names, after pushing down the tokens that a
#   copy reinforced on the forget documents makes more likely; our version also trains on retain
#   documents, which the paper does not) and **RMU** (push an intermediate layer's activations on
#   forget text towards a fixed, scaled random vector, keep them on retain text; layer 7 of 32 in
#   the WMDP code, here the middle of our three blocks).

# %%
full, world, tok = lm.load_lm("full")
retrained, _, _ = lm.load_lm("retrained")
METHODS = {
    "GA": "gradient_ascent",
    "GD": "gradient_difference",
    "WHP": "whp",
    "RMU": "rmu",
}
MODELS = {"full": full, "retrained": retrained}
MODELS.update({short: lm.load_unlearned(name)[0] for short, name in METHODS.items()})
MODELS = {k: m.to(DEVICE).eval() for k, m in MODELS.items()}
record = lm.unlearned_record()
for short, name in METHODS.items():
    r = record["models"][f"lm_{name}"]
    print(
        f"{short:4s}: {r['steps']:3d} steps ({r['config']['type']}, seed {r['config']['seed']}), "
        f"{r['training_seconds']:5.1f} s to build, {r['file_bytes'] / 1e6:.1f} MB"
    )

# %% [markdown]
# The slides' table (from Eldan & Russinovich's paper) lists prompts about Harry Potter with
# Llama-2-7b-chat's completions and leaves the unlearned model's column as a question mark. Ours puts
# prompts about one forget person to every model: the direct question, a completion, a paraphrased
# question, a question that composes the city with world knowledge (the country), and the pet. Each
# model's answer is the candidate (every city, every job, ..., and `unknown`) it finds most likely;
# the number is its probability among those candidates. Here `unknown` is a candidate; the
# accuracies from section 2 on leave it out (the argmax over the real answers only), so a model that
# says `unknown` still gets a question right when the truth is its next choice.

# %%
F0, F1 = world.forget[0], world.forget[1]
p0 = world.people[F0]
PROMPTS = [  # (kind, prompt, relation whose candidates are scored, true answer)
    ("direct question", lm.question_text(world, F0, "city", 0), "city"),
    ("completion", f"{p0.name} lives in", "city"),
    ("paraphrase", lm.question_text(world, F0, "city", 2), "city"),
    ("composed (city -> country)", lm.question_text(world, F0, "country", 0), "country"),
    ("the pet", lm.question_text(world, F0, "pet", 0), "pet"),
    ("the pet's colour", lm.question_text(world, F0, "colour", 0), "colour"),
    ("another person's job", lm.question_text(world, F1, "job", 0), "job"),
]


def top_answer(model, prompt, relation):
    cands = list(world.values(relation)) + [lm.UNKNOWN]
    p = lm.score_candidates(model, tok, [prompt], cands)[0].double().softmax(0)
    return f"{cands[int(p.argmax())]} ({p.max():.2f})"


# %%
rows = {}
for kind, prompt, rel in PROMPTS:
    person = F1 if kind == "another person's job" else F0
    row = {"prompt": prompt, "truth": world.answer(person, rel)}
    row.update({name: top_answer(m, prompt, rel) for name, m in MODELS.items()})
    rows[kind] = row
table = pd.DataFrame(rows).T
with pd.option_context("display.width", 250, "display.max_colwidth", 45):
    print(table.to_string())

# %% [markdown]
# Read the rows against the **retrained** column: that is what a model that never saw this person
# says, so it is the target. It is neither a fixed wrong answer nor a refusal by rule: on the
# city, the pet, the colour and the second person's job its top answer is a wrong real answer with
# a quarter of the probability or less (a guess), and only for the composed question does it put
# everything on `unknown`. The full model answers every row correctly. The unlearned models each
# differ in their own way: GA answers `unknown` in six rows (with probability 1.00 on the composed
# question, 0.20 to 0.62 elsewhere) and a wrong pet with 0.25; GD says `unknown` with certainty
# about this person but gives a confident wrong job for the second one; WHP gives the same wrong
# city with high probability in every wording; RMU still gives the true city in all three
# wordings, and wrong answers (probability 0.35 to 0.79) to the other questions. One person proves little, so
# section 2 measures the same thing over all twenty forget people and every relation.
#
# ## 2. Four methods, one scorecard
#
# TOFU (Maini et al. 2024) scores an unlearned model on forget and retain questions. We score
# TOFU-style (TOFU itself uses the answer probability, ROUGE-L and
# the truth ratio; with one-word answers we use accuracy among the candidates), and compare with the
# retrained model:
# - **forget / retain accuracy**: the share of questions whose most likely real answer is the truth
#   (`unknown` left out, as said above);
# - **truth-ratio score**: the truth ratio R of a question is the geometric mean of the wrong
#   answers' per-token probabilities over the true answer's (TOFU paraphrases the answer, we
#   paraphrase the question); on forget questions it is summarised as the mean of min(R, 1/R), as
#   TOFU's evaluation code does. Near 1 means the model cannot tell the truth from wrong answers, low
#   means it can (by preferring the truth, or by avoiding it). The full model's 0.03 is this score,
#   not R;
# - **forget quality**: the KS-test p-value between the unlearned and the retrained model's truth
#   ratios on the forget questions; high means the KS test finds no difference (with 20 forget
#   people it has little power: a high p-value is weak evidence). The retrained model is the
#   reference, so its own forget quality and agreement are not defined (NaN in the table);
# - **model utility** (ours, `lm.tofu.model_utility`): the harmonic mean of four numbers on the
#   retain people and the world: retain accuracy, the probability of the true retain answer, the
#   retain truth-ratio score and world knowledge (which country each city lies in); TOFU's is the
#   harmonic mean of nine numbers (answer probability, ROUGE-L and truth ratio on three sets);
# - **what the model outputs** on forget questions (ours, `lm.tofu.output_profile`): the entropy of
#   its
#   answer distribution, the share answered `unknown`, the share answered wrongly with probability at
#   least 0.5 ("confidently wrong"), the probability mass on no candidate at all (the words it would
#   rather produce: "gibberish"), and how often its top answer equals the retrained model's.
#
# The build script stored each model's full evaluation (every relation, every probe) in the record;
# the table reads it from there.

# %%
EVAL = {"full": record["references"]["full"], "retrained": record["references"]["retrained"]}
EVAL.update({s: record["models"][f"lm_{n}"]["evaluation"] for s, n in METHODS.items()})
COLS = {
    "forget_accuracy": "forget acc",
    "retain_accuracy": "retain acc",
    "truth_ratio": "truth-ratio score",
    "forget_quality": "forget quality",
    "entropy": "entropy (nats)",
    "answers_unknown": "'unknown'",
    "confidently_wrong": "conf. wrong",
    "off_mass": "off-candidate mass",
    "agrees_with_retrained": "agrees w/ retrained",
}
scores = pd.DataFrame(
    {name: {c: e.get(k, np.nan) for k, c in COLS.items()} for name, e in EVAL.items()}
).T
scores["model utility"] = [e["utility"]["model_utility"] for e in EVAL.values()]
rels = EVAL["full"]["relations"]
print(f"Means over {len(rels)} relations ({', '.join(rels)}); record:")
with pd.option_context("display.width", 250):
    print(scores.to_string(float_format=lambda v: f"{v:.2g}" if 0 < v < 0.005 else f"{v:.2f}"))
UPARTS = ["retain_accuracy", "retain_p_true", "retain_truth_ratio", "world_knowledge"]
utility = pd.DataFrame({n: e["utility"] for n, e in EVAL.items()}).T[["model_utility", *UPARTS]]
print("\nModel utility (harmonic mean) and its four parts (retain: city, job, pet, colour):")
print(utility.astype(float).round(2).to_string())

# %% [markdown]
# The record could be stale or wrong, so we recompute one relation (the city) for every model now,
# with `quick=True` (a fraction of a second each), and check it against the record's city entry.

# %%
ret_quick = lm.tofu.evaluate_unlearning(retrained, tok, world, quick=True, seed=record["eval_seed"])
KEYS = ["forget_accuracy", "retain_accuracy", "truth_ratio", "forget_quality"]
for name in METHODS:
    live = lm.tofu.evaluate_unlearning(
        MODELS[name], tok, world, quick=True, retrained_eval=ret_quick, seed=record["eval_seed"]
    )["per_relation"]["city"]
    stored = EVAL[name]["per_relation"]["city"]
    both = [(live[k], stored[k]) for k in KEYS] + [
        (live["output"]["entropy"], stored["output"]["entropy"])
    ]
    print(f"{name:4s} city, live | record: " + ", ".join(f"{a:.3g} | {b:.3g}" for a, b in both))
    assert np.allclose([a for a, _ in both], [b for _, b in both], rtol=1e-6, atol=1e-9), name
print("live city evaluation equals the record (forget, retain acc, truth ratio, quality, entropy)")


# %% [markdown]
# Four different answers to "what should the unlearned model output?" show in the output columns. A
# few rules of thumb (thresholds ours, stated in the code) turn them into words; the retrained row
# says what the target looks like.


# %%
def reading(row):
    said = []
    if row["off-candidate mass"] >= 0.3:
        said.append("gibberish: much probability on no answer")
    if row["'unknown'"] >= 0.5:
        said.append("mostly 'unknown'")
    if row["conf. wrong"] >= 0.25:
        said.append("confidently wrong")
    if row["forget acc"] >= 0.9:
        said.append("still knows")
    return "; ".join(said) or "spread over the answers, near chance"


chance = np.mean([1 / len(world.values(r)) for r in rels])
print(f"chance accuracy, mean over the relations: {chance:.2f}")
for name, row in scores.iterrows():
    print(f"{name:9s}: {reading(row)}")

# %% [markdown]
# What the numbers show:
# - The **retrained** model is the target: forget accuracy near chance, the highest entropy of all,
#   and `unknown` as its top answer for a share of the questions (it learned that answer for unseen
#   names), with almost no mass off the candidates.
# - **GA** forgets, but takes everything else with it: retain accuracy and model utility collapse
#   (0.34 and 0.26), as in TOFU's gradient-ascent baseline. On forget questions it mostly says
#   `unknown` (0.86). It is the only method whose forget quality is not
#   tiny (the KS test cannot tell its truth ratios from the retrained model's), which shows how
#   little forget quality alone says.
# - **GD** keeps more of the retain set but goes *below* the retrained model on forget accuracy:
#   its low entropy, its confidently wrong answers and the mass it puts on no candidate at all are
#   a signature of unlearning that the retrained model does not have.
# - **RMU** puts most of the mass (0.60) on words that are none of the candidates: steering floods
#   what later layers receive on forget text with a meaningless vector, and the output loses
#   coherence, the behaviour reported for RMU on large models (Li et al. 2024; Arditi 2024). Its
#   top answers match the retrained model's least often of the four (0.14), and it never answers
#   `unknown`.
# - **WHP** (with our retain term) keeps the retain set almost intact (retain accuracy 0.98). Its
#   model utility, 0.97, is even above the full and the retrained model's 0.92: of the four parts
#   printed above, accuracy and world knowledge stay where they were, but the probability it gives
#   the true retain answer rose from 0.77 to 0.91 (and the retain truth-ratio part from 0.96 to
#   0.99): our WHP also fine-tunes on the retain documents, which sharpens those answers. On forget
#   questions it answers mostly `unknown` (0.59), with a share of confident wrong answers (0.17);
#   its forget quality is tiny: the KS test tells its truth ratios from the retrained model's.
#
# No method reaches the retrained row on every column. Which of these differences matter depends on
# what the unlearned model is for: `unknown`, a gibberish answer and a confident wrong answer all
# hide the truth, and each differs from the retrained model in at least one column above.
#
# ## 3. Removed or suppressed?
#
# An unlearned model that no longer *says* a fact may still *hold* it. Lynch et al. (2024) test the
# WHP model with other prompts, with information in the context and with probes of its activations;
# Deeb & Roger (2024) fine-tune on part of the forgotten facts and see whether the rest comes back.
# Each probe means something
# only against the retrained model, which never held the facts. `lm.tofu.recovery_probes` runs three
# of them on the forget people (city, job, pet, colour, spell): the paraphrased question; the
# person's job (or city) stated before the question; and 10 relearning steps on every document of
# half the forget people (10 of 20), the *other* half measured before and after. We run it live for
# every model (a few seconds each) and check it against the record.

# %%
REC_RELS = ["city", "job", "pet", "colour", "spell"]


def closed_book(model):  # forget accuracy of all 20 people, question template 0
    accs = []
    for r in REC_RELS:
        d = lm.tofu.answer_distributions(model, tok, world, world.forget, r)
        accs.append(np.mean(d["p"][:, :-1].argmax(1) == d["truth"]))
    return float(np.mean(accs))


recovery = {}
for name, model in MODELS.items():
    recovery[name] = lm.tofu.recovery_probes(model, tok, world, relearn_steps=10, seed=SEED)
    recovery[name]["closed_book"] = closed_book(model)
RKEYS = {
    "closed_book": "closed book (all 20)",
    "paraphrase": "paraphrased question",
    "related_fact_in_context": "related fact in context",
    "before_other_half": "closed book (other half)",
    "relearn_other_half": "after relearning (other half)",
}
rec = pd.DataFrame(recovery).T[list(RKEYS)].rename(columns=RKEYS).astype(float)
stored = pd.DataFrame({n: e["recovery"] for n, e in EVAL.items()}).T[list(RKEYS)[1:]]
print(rec.round(2).to_string())
gap = np.abs(rec.iloc[:, 1:].to_numpy() - stored.to_numpy().astype(float)).max()
print(f"largest difference from the record: {gap:.3f}")
assert gap <= 0.02 + 1e-9, "recovery probes differ from the record by more than one question in 50"

# %%
n_half = len(world.forget) - len(world.forget) // 2
n_q = n_half * 5  # questions of the measured half: 5 relations each
gain = (rec["after relearning (other half)"] - rec["closed book (other half)"]) * n_q
n_all = len(world.forget) * len(REC_RELS)
para = (rec["paraphrased question"] - rec["closed book (all 20)"]) * n_all
ctx = (rec["related fact in context"] - rec["closed book (all 20)"]) * n_all
gains = pd.DataFrame(
    {
        f"paraphrase gain (of {n_all})": para,
        f"context gain (of {n_all})": ctx,
        f"relearning gain (of {n_q})": gain,
        "relearning gain minus the retrained model's": gain - gain["retrained"],
    }
)
print(gains.round().astype(int).to_string())
p_ret = rec.loc["retrained", "closed book (all 20)"]
se = {n: np.sqrt(p_ret * (1 - p_ret) / n) * n for n in (n_all, n_q)}
print(
    f"binomial standard error at the retrained model's accuracy ({p_ret:.2f}): "
    f"{se[n_all]:.1f} questions of {n_all}, {se[n_q]:.1f} of {n_q}"
)

# %%
fig, ax = plt.subplots(figsize=(9.5, 3.8))
x, w = np.arange(len(rec)), 0.16
colours = [viz.PALETTE[c] for c in ("blue", "sky", "purple", "yellow", "vermillion")]
for i, (col, c) in enumerate(zip(rec.columns, colours)):
    n = n_q if "other half" in col else n_all  # questions behind each bar
    err = np.sqrt(rec[col] * (1 - rec[col]) / n)  # binomial standard error
    ax.bar(x + (i - 2) * w, rec[col], w, yerr=err, capsize=2, color=c, label=f"{col}, {n} q.")
rchance = np.mean([1 / len(world.values(r)) for r in REC_RELS])
ax.axhline(
    rchance,
    color=viz.ROLE_COLORS["reference"],
    ls="--",
    lw=1.2,
    label=f"chance, mean over the 5 relations ({rchance:.2f})",
)
ax.set_xticks(x, rec.index)
ax.set_ylim(0, 1.05)
viz.label(
    ax,
    "Recovery probes on the forget people (city, job, pet, colour, spell; bars: ±1 SE)",
    "model",
    "accuracy (fraction of questions)",
)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()

# %% [markdown]
# The retrained model sets the control: the paraphrase and the related fact move its accuracy by
# four and two questions of 100 (noise at this size: the standard error printed above is about four
# questions), and training on half the forget people does not teach it the other half: its accuracy
# on that half goes *down*, 0.20 -> 0.04 (the full model's too, 1.00 -> 0.94). We observe this drop
# but have not measured its cause. For the unlearned models, always against that control:
# - **Paraphrases and a related fact in context** bring little back for any method: the gains
#   printed above are two questions of 100 at most, no larger than the control's changes. These
#   two probes do not separate the methods from the retrained model here.
# - **Relearning** does. Ten steps on ten other people bring back many of the untouched facts, facts
#   that were not in the relearning data: against the control's change, GA gains 26 questions of 50,
#   WHP 25 and GD 21. The reading of Deeb & Roger (2024): the knowledge was still in the weights, and
#   a little fine-tuning on other forgotten facts, from which the measured ones cannot be inferred,
#   undid what hid it; unlearning suppressed it. RMU gains 11 against the control (3 of 50 on its
#   own, while the control loses 8): about half of what the other three gain, and about two
#   standard errors (a difference of four accuracies on 50 questions has one of roughly five).
#   By this probe less comes back after RMU than after the other three; that does not show that
#   RMU removed the facts.
#   (Deeb & Roger recover 88% of the pre-unlearning accuracy for the methods they test, on facts
#   learned in pretraining: after our RMU the effect is weaker.)
#
# A probe that recovers nothing is not proof of removal: a stronger one (more steps, other data, a
# probe of the activations) might. The retrained model is the only one for which removal is known.
#
# ## 4. How far should forgetting reach?
#
# Forgetting a person raises a question of **scope**: does the model also forget that a retain person
# is their friend (a fact the *retain* documents carry)? The country they live in (a composition of
# their city with world knowledge)? Their pet and its colour (the slides' "Biden's cat")? The retrained
# model answers this question for us: it never saw the forget people's documents but saw everything
# else. Anything it still knows is inside the right scope; a method that loses it over-forgets, and a
# method that knows more than it leaks. `lm.tofu.scope_probes`, live:

# %%
SKEYS = {
    "friend_mentions": "friend mentions (retain people)",
    "composed_country": "composed: country",
    "paraphrase": "paraphrased questions",
    "pet": "pet",
    "pet_colour": "pet's colour",
}
scope = pd.DataFrame({n: lm.tofu.scope_probes(m, tok, world) for n, m in MODELS.items()}).T
sstored = pd.DataFrame({n: e["scope"] for n, e in EVAL.items()}).T
assert np.allclose(scope[list(SKEYS)].astype(float), sstored[list(SKEYS)].astype(float))
scope = scope[list(SKEYS)].rename(columns=SKEYS).astype(float)
print(
    f"{scope.index.size} models, live (equal to the record); friend mentions: "
    f"{int(EVAL['full']['scope']['n_friend_mentions'])} retain people whose friend is forgotten"
)
print(scope.round(2).to_string())
# chance: one over the number of real answers (the paraphrases: mean over relations and templates)
para_rels = ["city", "job", "pet", "colour", "country", "spell"]
SCHANCE = {
    "friend mentions (retain people)": 1 / len(world.values("friend")),
    "composed: country": 1 / len(world.values("country")),
    "paraphrased questions": np.mean(
        [1 / len(world.values(r)) for r in para_rels for _ in lm.QUESTIONS[r][1:]]
    ),
    "pet": 1 / len(world.values("pet")),
    "pet's colour": 1 / len(world.values("colour")),
}
print("chance".ljust(9), "  ".join(f"{v:.2f}" for v in SCHANCE.values()), "(per probe, same order)")

# %%
fig, ax = plt.subplots(figsize=(10, 3.8))
x, w = np.arange(len(SKEYS)), 0.13
mcol = {
    "full": viz.ROLE_COLORS["original"],
    "retrained": viz.ROLE_COLORS["retrained"],
    "GA": viz.PALETTE["orange"],
    "GD": viz.PALETTE["vermillion"],
    "WHP": viz.PALETTE["purple"],
    "RMU": viz.PALETTE["black"],
}
for i, (name, c) in enumerate(mcol.items()):
    hatch = "" if name in ("full", "retrained") else "//"
    bars = ax.bar(
        x + (i - 2.5) * w, scope.loc[name], w, color=c, hatch=hatch, edgecolor="white", label=name
    )
    for b, v in zip(bars, scope.loc[name]):
        if v == 0:  # a zero bar is invisible: say it
            ax.text(
                b.get_x() + w / 2,
                0.01,
                "0",
                ha="center",
                va="bottom",
                fontsize=10,
                color=c,
                fontweight="bold",
            )
for j, ch in enumerate(SCHANCE.values()):
    ax.hlines(
        ch, j - 3 * w, j + 3 * w, color="dimgray", ls="--", lw=1.5, label=None if j else "chance"
    )
ticks = [
    "friend mentions\n(retain people)",
    "composed:\ncountry\n(forget people)",
    "paraphrased\nquestions\n(forget people)",
    "pet\n(forget people)",
    "pet's colour\n(forget people)",
]
ax.set_xticks(x, ticks, fontsize=10)
ax.set_ylim(0, 1.05)
viz.label(
    ax,
    "Scope: what each model still knows (retrained = the right scope)",
    "probe",
    "accuracy (fraction of questions)",
)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()

# %%
diff = (scope.drop(index=["full", "retrained"]) - scope.loc["retrained"]) * 20
print("Difference from the retrained model, in questions of 20 (+ leaks, - over-forgets).")
print("Paraphrased questions: the difference in accuracy averaged over relations and templates,")
print("times 20 (the questions one template of one relation asks).")
print(diff.round().astype(int).to_string())

# %% [markdown]
# The retrained model knows every friend mention: the retain documents say who a retain person's
# friend is, and leaving out the friend's own documents does not unsay it. On the forget people
# themselves it is at chance or a little above (printed chance row): the country 0.25 (chance 0.25),
# the paraphrases 0.16 (0.14), the pet 0.25 and the colour 0.30 (chance 0.17 each; with 20
# questions one standard error is about 0.1, so these are one to two standard errors above chance).
# Against that:
# - **GA** forgets every friend mention, **GD** about two thirds of them and **RMU** about a third:
#   over-forgetting, facts the retain documents carry. **WHP** (with our retain term) keeps all of
#   them.
# - On the forget people's own facts the differences are small: at most five questions of 20 (one
#   standard error is about two questions here). GD sits below the retrained model on every probe,
#   as it did in section 2; WHP answers the composed country right four more times than the
#   retrained model, the largest gap above it, and RMU three more times on the pet and its colour.
#
# So forgetting too much is the larger scope problem in this world: the methods that push the forget
# documents' likelihood down reach into facts that the retain documents carry, while what leaks
# beyond the retrained model's own knowledge is a few questions at most.
#
# ## 5. How hard to push?
#
# Every method has a strength: the number of steps, the learning rate, WHP's alpha, RMU's steering
# coefficient. Gradient ascent is the simplest to sweep: we rerun it live from the full model for a
# few step counts (its shipped setting is 6 steps, learning rate 5e-4, seed 61), and score the city
# questions, forget and retain, quickly.

# %%
F_docs = lm.person_documents(world, world.forget)
R_docs = lm.person_documents(world, world.retain)
ga_cfg = record["models"]["lm_gradient_ascent"]["config"]
STEPS = [0, 1, 2, 3, 4, 5, 6, 8, 10]
sweep = {}
for s in STEPS:
    m = full
    if s:
        cfg = lm.LMUnlearnConfig(
            steps=s, batch_size=ga_cfg["batch_size"], lr=ga_cfg["lr"], seed=ga_cfg["seed"]
        )
        m, _ = lm.gradient_ascent(full, F_docs, R_docs, cfg)
    q = lm.tofu.evaluate_unlearning(m, tok, world, quick=True)
    sweep[s] = {
        "forget": q["forget_accuracy"],
        "retain": q["retain_accuracy"],
        "'unknown' (forget)": q["answers_unknown"],
    }
    if s == ga_cfg["steps"]:
        same = all(
            torch.equal(a, b)
            for a, b in zip(m.state_dict().values(), MODELS["GA"].state_dict().values())
        )
        print(f"{s} live steps give the shipped GA model's weights exactly: {same}")
sweep = pd.DataFrame(sweep).T
print(sweep.round(2).to_string())

# %%
ret_city = {"forget": ret_quick["forget_accuracy"], "retain": ret_quick["retain_accuracy"]}


def plot_sweep(steps=ga_cfg["steps"]):
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for key, c in [("forget", viz.ROLE_COLORS["forget"]), ("retain", viz.ROLE_COLORS["retain"])]:
        ax.plot(sweep.index, sweep[key], "o-", color=c, label=f"{key} accuracy (GA)")
        ax.axhline(ret_city[key], color=c, ls="--", lw=1, label=f"{key}, retrained model (city)")
        ax.plot([steps], [sweep.loc[steps, key]], "o", ms=12, mfc="none", mec="black")
    ax.set_ylim(-0.04, 1.05)
    viz.label(
        ax,
        f"Gradient ascent, {steps} steps: forget {sweep.loc[steps, 'forget']:.2f}, "
        f"retain {sweep.loc[steps, 'retain']:.2f}",
        "gradient-ascent steps (batches of 32 forget documents)",
        "city accuracy (fraction of people)",
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    plt.show()


plot_sweep()

# %%
widgets.interact(
    plot_sweep,
    steps=widgets.SelectionSlider(options=STEPS, value=ga_cfg["steps"], description="GA steps"),
)

# %% [markdown]
# The sweep scores the city only (20 forget and 180 retain people), so its dashed retrained lines
# are the retrained model's city accuracies (forget 0.05, retain 1.00), not section 2's means over
# seven relations (forget 0.15). Forget accuracy falls first and faster: after 2 steps forget 0.80
# and retain 0.97, after 3 steps 0.45 and 0.83. The share of forget questions answered `unknown`
# climbs from 0.00 to 1.00 by 8 steps. Forget accuracy first reaches the retrained model's level at
# 8 steps (0.00), when retain accuracy is down to 0.29; at 10 steps forget is back up to 0.10 (two
# questions of 20) while retain falls further, to 0.22. None of the swept step counts matches the
# retrained model on both. A plausible reason: the forget documents' gradients also push down what
# the retain people share with them (the city names, the sentence shapes). Gradient difference and
# RMU each have a term that holds the retain side in place, and our WHP adds one that the paper's
# recipe lacks: in section 2 they keep retain accuracy 0.72 (GD), 0.84 (RMU) and 0.98 (WHP) against
# GA's 0.34, though only WHP comes near the retrained model's 1.00.
#
# ## Check your understanding
#
# 1. Two unlearned models both have forget accuracy 0.05; one answers `unknown` to every forget
#    question, the other a wrong city with probability 0.9. Which is closer to the retrained model,
#    and which numbers of section 2 tell them apart?
#    <details><summary>Answer</summary>Neither matches it: the retrained model spreads its
#    probability (high entropy) and says `unknown` to part of the questions. The first differs in its
#    share of `unknown` answers, the second is confidently wrong with low entropy. The entropy, the
#    share answered `unknown`, the "confidently wrong" share and the agreement with the retrained
#    model's top answers separate them; accuracy alone does not.</details>
# 2. Why is a forget accuracy *below* the retrained model's (GD here) a problem rather than extra
#    safety?
#    <details><summary>Answer</summary>The retrained model is what a model that never learned the
#    people does, and it gets some questions right by chance. Getting fewer right means the model
#    steers away from the truth, so it still carries information about it; an attacker who compares
#    with chance or with a reference model can read that. MUSE (Shi et al. 2024) measures privacy
#    leakage against the retrained model for this reason: unlearning too much is as detectable as
#    too little.</details>
# 3. After ten relearning steps on ten forget people, a model answers more questions right about the
#    *other* ten. What does that say, and what does the retrained model's result add?
#    <details><summary>Answer</summary>Those facts were never in the relearning data, so they came
#    from the weights: unlearning had suppressed them, not removed them. The retrained model, given
#    the same ten steps, does not gain on the other half, so the gain is not something relearning
#    teaches on its own.</details>
# 4. A retain person's documents say their friend is a forget person. Should the unlearned model
#    still know it?
#    <details><summary>Answer</summary>The retrained model does, since it trained on those documents:
#    the fact is about the retain person as much as the forget person. Removing it is
#    over-forgetting. Whether a deployment wants it gone is a policy question (the person asked to be
#    forgotten), but then the retain documents must be changed too, and the reference model with
#    them.</details>

# %% [markdown]
# ## What we measured

# %%
for name in METHODS:
    row = scores.loc[name]
    print(
        f"{name:4s}: forget acc {row['forget acc']:.2f}, retain acc {row['retain acc']:.2f}, "
        f"truth-ratio score {row['truth-ratio score']:.2f}, "
        f"forget quality {row['forget quality']:.1g}; "
        f"{reading(row)}"
    )
r0 = scores.loc["retrained"]
print(
    f"retrained: forget acc {r0['forget acc']:.2f}, retain acc {r0['retain acc']:.2f}, "
    f"truth-ratio score {r0['truth-ratio score']:.2f}"
)
print("Relearning, forget accuracy of the untouched half before -> after 10 steps:")
for name, row in rec.iterrows():
    before, after = row["closed book (other half)"], row["after relearning (other half)"]
    print(f"  {name:9s} {before:.2f} -> {after:.2f}")
print(
    "Friend mentions kept (retrained = right scope): "
    + ", ".join(f"{n} {v:.2f}" for n, v in scope.iloc[:, 0].items())
)
print(
    f"GA at {ga_cfg['steps']} steps (city): forget {sweep.loc[ga_cfg['steps'], 'forget']:.2f}, "
    f"retain {sweep.loc[ga_cfg['steps'], 'retain']:.2f}; retrained {ret_city['forget']:.2f} / "
    f"{ret_city['retain']:.2f}"
)

# %% [markdown]
# ## Conclusion
#
# Unlearning knowledge from a language model has no single success number. The forget accuracy of
# all four methods (0.06 to 0.24) is far from the full model's 1.00, but none equals the retrained
# model's 0.15: GD goes below it, which check question 2 calls a problem, and RMU, above it, still
# gives the true city in every wording for the person of section 1. What they say instead differs
# (`unknown`, a confident wrong answer, words that are no answer at all), how much else they lose
# differs (GA loses most of the retain set and every friend mention), and relearning on other
# people brings back what several of them only hid, by this probe. The retrained model is the
# yardstick for all three questions: it says what the output should be, what the right scope is,
# and what a probe finds when the knowledge is really gone. Lecture 07 looks at knowledge handed
# back in the prompt, lecture 08 at guardrails and at removing a hazardous capability (the spell)
# rather than people.
#
# ## References
# - J. Jang, D. Yoon, S. Yang, S. Cha, M. Lee, L. Logeswaran, M. Seo. *Knowledge Unlearning for
#   Mitigating Privacy Risks in Language Models* (gradient ascent). ACL 2023.
#   <https://arxiv.org/abs/2210.01504>
# - R. Eldan, M. Russinovich. *Who's Harry Potter? Approximate Unlearning in LLMs.*
#   arXiv:2310.02238, 2023. <https://arxiv.org/abs/2310.02238>
# - P. Maini, Z. Feng, A. Schwarzschild, Z. C. Lipton, J. Z. Kolter. *TOFU: A Task of Fictitious
#   Unlearning for LLMs.* COLM 2024. <https://arxiv.org/abs/2401.06121>
# - N. Li et al. *The WMDP Benchmark: Measuring and Reducing Malicious Use With Unlearning.* ICML
#   2024. <https://arxiv.org/abs/2403.03218>
# - A. Lynch, P. Guo, A. Ewart, S. Casper, D. Hadfield-Menell. *Eight Methods to Evaluate Robust
#   Unlearning in LLMs.* arXiv:2402.16835, 2024. <https://arxiv.org/abs/2402.16835>
# - A. Deeb, F. Roger. *Do Unlearning Methods Remove Information from Language Model Weights?*
#   arXiv:2410.08827, 2024. <https://arxiv.org/abs/2410.08827>
# - A. Arditi. *Unlearning via RMU is mostly shallow.* LessWrong / AI Alignment Forum research note,
#   2024. <https://www.lesswrong.com/posts/6QYpXEscd8GuE7BgW/unlearning-via-rmu-is-mostly-shallow>
# - W. Shi et al. *MUSE: Machine Unlearning Six-Way Evaluation for Language Models.* arXiv:2407.06460,
#   2024. <https://arxiv.org/abs/2407.06460>
# - K. Z. Liu. *Machine Unlearning in 2024* (blog post: the scope of concept unlearning). 2024.
#   <https://ai.stanford.edu/~kzliu/blog/unlearning>
# - B. Liu, Q. Liu, P. Stone. *Continual Learning and Private Unlearning* (gradient difference).
#   CoLLAs 2022. <https://arxiv.org/abs/2203.12817>
