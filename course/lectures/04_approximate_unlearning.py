# Source of lectures/04_approximate_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown]
# # Lecture 04: Approximate unlearning and the tug of war
#
# Retraining from scratch without the forget set is the gold standard, and it is expensive. The
# methods of this lecture start from the trained model and nudge it for a few epochs instead. Do
# they land where retraining lands? On which examples do they fail, and what does it cost the rest
# of the model when we push harder?
#
# **You will learn to**
# 1. run five gradient-based methods (fine-tuning, NegGrad, NegGrad+, random labels, SCRUB) and
#    compare each with a model really retrained on the retain set, over several seeds;
# 2. score that comparison with ToW, the tug-of-war score of Zhao et al. (2024), and read it;
# 3. estimate how much a model *memorizes* an example (Feldman & Zhang, 2020) and see why highly
#    memorized forget sets are the hard ones;
# 4. trace the trade-off between forgetting and test accuracy as you turn one knob, and check
#    whether a method removes a planted backdoor;
# 5. remove points from L2-regularised logistic regression with one Newton step (Guo et al., 2020),
#    watch its error bound grow, and certify removals with training noise until the budget is spent;
#    see why a weak membership check can make any method look good.
#
# **Prerequisites**: lecture 01 (forget set S, retain set R = D \ S, retraining as the gold
# standard), lecture 02 (`training.fit`, `TrainConfig`, gradient evaluations as the unit of cost).
# **Slides**: "Empirical unlearning of training examples", "Example unlearning is hard", "Measuring
# unlearning is tricky" (weak membership inference), "Conflict between unlearning and utility" (ToW).
# **Time**: about 60 minutes; the notebook runs in under a minute on a laptop CPU.

# %%
import functools

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import unlearnkit
from unlearnkit import approximate, data, derive_seed, metrics, models, training, viz
from unlearnkit.mia import loss_threshold_scores

SEED = 0
DEVICE = unlearnkit.device()
torch.set_num_threads(1)  # tiny models train fastest on one thread
viz.use_style()

# %% [markdown]
# ## 1. Does a cheap update land where retraining lands?
#
# We work on the scikit-learn digits (1347 training and 450 test images of 8x8 pixels) with a small
# MLP (one hidden layer of 32 units), trained with Adam for 20 epochs. The **original** model
# theta_o is trained on all of D; the **retrained** model theta_r starts from the same initial
# weights and is trained the same way on R only. Every approximate method starts from theta_o and
# returns a new model theta_u (the original is never modified) together with its cost in gradient
# evaluations (one example's forward and backward pass through the model being changed).
#
# | method | what it minimises, starting from theta_o |
# | --- | --- |
# | fine-tune | cross-entropy (CE) on R: keep training on what remains |
# | NegGrad | -CE on S: gradient *ascent* on the forget set |
# | NegGrad+ | a CE_R - (1 - a) CE_S: one batch of each per step (Kurmanji et al., 2023) |
# | random labels | CE on R plus S with random wrong labels (Graves et al., 2021; Zhao et al.'s code draws from all classes) |
# | SCRUB | a max-pass on S pushing the student away from the frozen teacher theta_o (KL, the Kullback-Leibler divergence between their softmax outputs at temperature 4), then a min-pass on R: CE + alpha KL (Kurmanji et al., 2023) |
#
# The settings below (learning rate, epochs, a = 0.9) come from a small manual search on a
# different seed; the forget set S is 40 training examples chosen at random.

# %%
train, test = data.load_digits(seed=SEED)
make_model = lambda s: models.mlp(train.n_features, 10, hidden=32, seed=s).to(DEVICE)
config = training.TrainConfig(optimizer="adam", lr=1e-2, batch_size=128, epochs=20)
U = lambda lr, epochs: training.TrainConfig(optimizer="adam", lr=lr, batch_size=128, epochs=epochs)
METHODS = {
    "fine-tune": functools.partial(approximate.finetune, config=U(1e-2, 5)),
    "NegGrad": functools.partial(approximate.neggrad, config=U(1e-2, 2)),
    "NegGrad+": functools.partial(approximate.neggrad_plus, config=U(3e-3, 2), a=0.9),
    "random labels": functools.partial(approximate.random_labels, config=U(1e-2, 5)),
    "SCRUB": functools.partial(approximate.scrub, config=U(3e-2, 5), max_epochs=3),
}
SEEDS = [SEED, SEED + 1, SEED + 2]
order = torch.randperm(
    len(train), generator=torch.Generator().manual_seed(derive_seed(SEED, "forget"))
)
random_ids = train.ids[order[:40]]
print(f"D: {len(train)} examples, S: {len(random_ids)}, test: {len(test)}; seeds {SEEDS}")

# %% [markdown]
# `metrics.compare_methods` trains theta_o and theta_r for each seed, runs every method and
# measures accuracy on S, R and the test set. It also records a **loss-threshold membership
# test** (section 6): the AUC of telling S from the test set by the loss alone (area under the ROC
# curve: the probability that a random forget example has a lower loss than a random test example;
# 0.5 means the loss cannot tell them apart).

# %%
MIA = {
    "mia_auc": lambda model, forget, retain, test: metrics.loss_threshold_auc(model, forget, test)
}
runs = {
    "random": metrics.compare_methods(
        make_model, config, train, random_ids, test, METHODS, SEEDS, measures=MIA
    )
}
table = metrics.summarize(runs["random"], columns=("forget", "retain", "test", "tow"))
cost = runs["random"].groupby("method", sort=False)["grad_evals"].mean()
table["cost vs retraining"] = cost / cost["retrained"]
table.round(3)

# %% [markdown]
# The `cost vs retraining` column counts gradient evaluations relative to retraining on R. The
# `original` row's cost is that of training on all of D: the same recipe on
# $|D|/|R|$ times as many examples, hence a little above 1; it is the price already paid, listed
# for scale, not a way to unlearn.

# %% [markdown]
# ### ToW: one number for "as good as retraining"
#
# Zhao et al. (2024) compare theta_u with theta_r on the three sets at once. With
# da(D') = |Acc(theta_u, D') - Acc(theta_r, D')| (accuracies as fractions in [0, 1]),
#
# $$\mathrm{ToW} = (1 - \mathrm{da}(S))\,(1 - \mathrm{da}(R))\,(1 - \mathrm{da}(D_{test})).$$
#
# ToW is 1 when the three accuracies match retraining and falls as any of them drifts, in either
# direction: a forget accuracy 0.1 *below* the retrained model's (which still classifies many
# forget examples correctly, since they resemble the rest of the data) costs as much as one 0.1
# above it. A worked example (our own numbers, not from the paper):

# %%
print(
    f"ToW((0.60, 0.95, 0.90) vs (0.50, 0.97, 0.91)) = "
    f"{metrics.tow((0.60, 0.95, 0.90), (0.50, 0.97, 0.91)):.5f}"
)
print(f"ToW of identical accuracies = {metrics.tow((0.8, 0.99, 0.9), (0.8, 0.99, 0.9))}")


# %%
def bar_panel(ax, summary, column, title, ylabel, color):
    names, means, stds = list(summary.index), summary[f"{column}_mean"], summary[f"{column}_std"]
    ax.bar(
        range(len(names)),
        means,
        yerr=stds,
        capsize=3,
        color=[viz.ROLE_COLORS.get(n, color) for n in names],
    )
    for i, (m, sd) in enumerate(
        zip(means, stds)
    ):  # the value on every bar: a bar of height 0 shows too
        ax.text(i, m + sd + 0.02, f"{m:.3f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
    ax.set_ylim(0, 1.15)  # from 0: bar heights compare honestly
    viz.label(ax, title, "model", ylabel)


fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
for ax, col in zip(axes.flat[:3], ("forget", "retain", "test")):
    bar_panel(
        ax,
        table,
        col,
        f"Accuracy on the {col} set (dashed: retrained)",
        f"accuracy on {col} (fraction)",
        viz.ROLE_COLORS["unlearned"],
    )
    ax.axhline(table.loc["retrained", f"{col}_mean"], color=viz.ROLE_COLORS["retrained"], ls="--")
bar_panel(
    axes[1, 1],
    table,
    "tow",
    "ToW against the retrained model",
    "ToW (1 = like retraining)",
    viz.ROLE_COLORS["unlearned"],
)
fig.suptitle("Random forget set (40 digits), mean and std over 3 seeds (numbers: the means)")
fig.tight_layout()
plt.show()
tow_do_nothing = table.loc["original", "tow_mean"]
near = [m for m in METHODS if abs(table.loc[m, "tow_mean"] - tow_do_nothing) < 0.01]
print(
    f"ToW of doing nothing (the original): {tow_do_nothing:.3f}; methods within 0.01 of it: "
    + (", ".join(f"{m} {table.loc[m, 'tow_mean']:.3f}" for m in near) or "none")
)

# %% [markdown]
# On a random forget set the retrained model still classifies most of S correctly (those digits
# look like the others), so the target is *not* "accuracy 0 on S". The bars show how close each
# method gets, at a small fraction of retraining's cost (the `cost vs retraining` column).
#
# Now look at the `original` bar and the line printed under the figure: the model that did nothing
# at all scores a ToW as high as the methods listed next to it. On a random forget set the
# original and the retrained model already agree on S, R and the test set, so ToW barely separates
# an unlearning method from doing nothing. A benchmark that only uses random forget sets cannot
# tell a working method from a no-op; that is why the hard forget sets of the next section matter.
#
# ## 2. Are some forget sets harder than others?
#
# Feldman & Zhang (2020) define how much a learning algorithm **memorizes** example i as
#
# $$\mathrm{mem}(i) = P[f(x_i) = y_i \mid i \in \text{training set}] - P[f(x_i) = y_i \mid i \notin \text{training set}],$$
#
# estimated by training many models on random subsets and comparing the models that saw i with
# those that did not. A typical digit is classified correctly either way (mem near 0); an atypical
# or mislabelled one is right only when it was trained on (mem near 1). The scores below were
# computed by the course maintainers' script (it is not part of the student bundle) with 256 MLPs
# of our recipe on random 70% subsets, trained at once with `training.fit_many` (tens of seconds,
# too much of this lecture's one-minute budget), and ship with the library.
# `metrics.memorization(masks, correct)` is the estimator itself.

# %%
import pathlib

shipped = torch.load(
    pathlib.Path(metrics.__file__).parent / "checkpoints" / "digits_memorization.pt",
    weights_only=True,
)
assert torch.equal(shipped["ids"], train.ids)
mem = shipped["scores"]
print({k: shipped["meta"][k] for k in ("model", "num_models", "fraction", "seed")})
print(
    f"mean memorization {mem.mean():.3f}; examples with mem > 0.5: {(mem > 0.5).sum().item()} of "
    f"{len(mem)}"
)
# the estimator on a toy case: example 0 is right in 2 of 2 'in' models and 1 of 2 'out' models
masks = torch.tensor([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=torch.bool)
correct = torch.tensor([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=torch.bool)
print("toy memorization:", metrics.memorization(masks, correct).tolist())

# %% [markdown]
# The shipped scores are not magic: 32 fresh models (other seeds, same recipe), trained at once
# in a few seconds, already give an estimate that largely agrees with them on which digits are
# memorized (the cell prints how far: the Spearman correlation compares the two rankings of all
# 1347 digits, 1 meaning the same order, and the overlap counts common digits among each top 40).

# %%
from scipy.stats import spearmanr

live, live_masks, live_correct = metrics.memorization_scores(
    models.mlp(train.n_features, 10, hidden=32),
    train,
    config,
    num_models=32,
    fraction=0.7,
    seed=derive_seed(SEED, "live"),
)
overlap = len(set(live.topk(40).indices.tolist()) & set(mem.topk(40).indices.tolist()))
print(
    f"32 live models vs 256 shipped: Spearman correlation {spearmanr(live, mem).statistic:.2f}, "
    f"{overlap} of the 40 most memorized digits in common"
)

# %%
top = mem.topk(40).indices
memorized_ids = train.ids[top]
fig, axes = plt.subplots(2, 8, figsize=(11, 3.3))
for ax, i in zip(axes.flat, top[:16].tolist()):
    ax.imshow(train.tags["image"][i], cmap="gray_r")
    ax.set_title(f"label {train.y[i].item()}\nmem {mem[i]:.2f}", fontsize=9)
    ax.axis("off")
fig.suptitle("The 16 most memorized training digits (label as given in the data set)", y=1.06)
plt.show()

# %% [markdown]
# Many of these look ambiguous, badly written or unlike their label. We now compare three forget
# sets: the 40 random digits of section 1, **one whole class** (every training 8), and the **40
# most memorized** digits. Zhao et al. also measure how *entangled* S is with R in the original
# model's penultimate layer (`metrics.entanglement`): the mean squared distance of each group's
# embeddings to its own group mean, summed over S and R, divided by the mean squared distance of
# the two group means to their midpoint, that is by a quarter of the squared distance between the
# two means, whatever the sizes of S and R (their code, RUM's `overlap.py`, centres on that
# midpoint). Higher means S sits among R.

# %%
class_ids = train.ids[train.y == 8]
FORGET_SETS = {"random": random_ids, "one class": class_ids, "most memorized": memorized_ids}
original = make_model(derive_seed(SEED, "init"))
training.fit(original, train, config.replace(seed=derive_seed(SEED, "train")))
emb = lambda ids: metrics.embeddings(original, train.subset(ids))
for name, ids in FORGET_SETS.items():
    es = metrics.entanglement(emb(ids), metrics.embeddings(original, train.without(ids)))
    print(
        f"{name:15s} |S| = {len(ids):4d}   mean memorization "
        f"{mem[train.positions(ids)].mean():.3f}   entanglement {es:.2f}"
    )

# %%
for name in ("one class", "most memorized"):
    runs[name] = metrics.compare_methods(
        make_model, config, train, FORGET_SETS[name], test, METHODS, SEEDS, measures=MIA
    )
by_kind = pd.concat([metrics.summarize(df).assign(kind=k) for k, df in runs.items()])
tow_table = (
    by_kind.reset_index()
    .pivot(index="method", columns="kind", values="tow_mean")
    .loc[list(table.index), list(FORGET_SETS)]
)
tow_table.round(3)

# %%
fig, ax = plt.subplots(figsize=(10, 3.8))
names = [n for n in table.index if n != "retrained"]
width = 0.27
for j, (kind, color) in enumerate(
    zip(FORGET_SETS, [viz.PALETTE["sky"], viz.PALETTE["orange"], viz.PALETTE["vermillion"]])
):
    s = by_kind[by_kind.kind == kind].loc[names]
    x = np.arange(len(names)) + (j - 1) * width
    ax.bar(x, s["tow_mean"], width, color=color, alpha=0.8, label=kind)
    for xi, v in zip(x, s["tow_mean"]):  # a bar of height 0 is invisible: write its value
        if v < 0.005:
            ax.text(xi, 0.05, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    per_seed = runs[kind].pivot(index="method", columns="seed", values="tow").loc[names]
    for k, seed in enumerate(per_seed.columns):  # one dot per seed, spread a little sideways
        ax.scatter(
            x + (k - 1) * width / 4,
            per_seed[seed],
            s=14,
            color="k",
            zorder=3,
            label="one seed" if j == 0 and k == 0 else None,
        )
ax.set_xticks(range(len(names)), names)
ax.set_ylim(0, 1.05)
viz.label(
    ax,
    "ToW by kind of forget set (bars: mean over 3 seeds; dots: each seed)",
    "model",
    "ToW (1 = like retraining)",
)
ax.legend(title="forget set", loc="upper left", bbox_to_anchor=(1.0, 1.0))
plt.show()
for kind in FORGET_SETS:  # where do the seeds disagree? a mean of a split result describes no run
    per_seed = runs[kind].pivot(index="method", columns="seed", values="tow")
    for m in names:
        v = per_seed.loc[m]
        if v.max() - v.min() > 0.5:
            worst = runs[kind].query("method == @m and seed == @v.idxmin()").iloc[0]
            ret = runs[kind].query("method == 'retrained' and seed == @v.idxmin()").iloc[0]
            org = runs[kind].query("method == 'original' and seed == @v.idxmin()").iloc[0]
            print(
                f"split result: {m} on '{kind}', ToW per seed "
                + ", ".join(f"{t:.3f}" for t in v)
                + f"; median {v.median():.3f}.\n  On seed {v.idxmin()} it ends with accuracy on "
                f"forget / retain / test "
                f"{worst['forget']:.3f} / {worst['retain']:.3f} / {worst['test']:.3f}; "
                f"retrained {ret['forget']:.3f} / {ret['retain']:.3f} / {ret['test']:.3f}; "
                f"original {org['forget']:.3f} / {org['retain']:.3f} / {org['test']:.3f}"
            )
mean_tow = tow_table.loc[list(METHODS)].mean()
print("mean ToW over the five methods:", {k: round(v, 3) for k, v in mean_tow.items()})
r = by_kind[by_kind.index == "retrained"].set_index("kind")
print(
    "retrained model, accuracy on S:",
    r["forget_mean"].round(3).to_dict(),
    " on the test set:",
    r["test_mean"].round(3).to_dict(),
)

# %% [markdown]
# First, the dots. Where the three seeds of a method lie close together, the bar is a fair
# summary. Where they do not, the cell prints the method as a *split result*, with its ToW per
# seed, its median, and the accuracies of its worst seed next to the retrained and the original
# model's (on this run: does the failed seed look like retraining, or like doing nothing?). A method
# that matches retraining on two seeds and fails completely on the third has a mean that describes
# none of its runs, and a mean plus or minus a standard deviation would hide the failure. In
# practice an owner runs the method once, so a failure on one seed in three is a failure on one
# request in three; report per-seed values (or the median and the worst case) whenever the seeds
# disagree.
#
# Read the table row by row. For the memorized set the retrained model gets most of S *wrong*
# (these digits are only right when trained on), so doing nothing (the `original` row) scores a
# low ToW, and so do methods that barely move the model on S. A method must now both lower the
# accuracy on S by a lot and keep R and the test set intact; compare which methods manage that with
# the printed means above. For the whole class, the retrained model has never seen an 8, so it
# classifies none of them as 8 (its accuracy on S is printed above), and its test accuracy drops
# too, since the test set contains 8s: a method must match that drop, not avoid it. One method goes
# the other way: random labels scores a *higher* ToW on the one-class and the memorized sets than on
# the random one (the table above). It is built to push S towards wrong answers, which is exactly
# what retraining does on memorized and unseen-class examples, and too much on a random S.
#
# Look back at the entanglement scores too. A random S has (nearly) the same mean embedding as R,
# so the distance between the two means is tiny and its score is by far the largest (648.62 against
# 133.45 and 17.27), yet it is the easiest set to match. Neither score alone orders the three kinds:
# the whole class has low mean memorization *and* the lowest entanglement score, yet the methods
# match retraining on it no better than on the memorized set (mean ToW 0.617 against 0.668). Zhao
# et al. use both scores to compare forget sets of the same kind (sets of graded memorization or
# entanglement drawn from the same data), and that is how to read them.
#
# ## 3. The tug of war: how hard should we pull?
#
# NegGrad+ has one knob, the weight a of the retain term. With a = 1 it is fine-tuning; as a falls,
# the ascent on S pulls harder, forget accuracy drops, and at some point test accuracy goes with
# it. We sweep a on the most memorized forget set (seed 0) and plot forget accuracy against test
# accuracy; the green star is the retrained model, the target.

# %%
forget, retain = train.subset(memorized_ids), train.without(memorized_ids)
retrained = make_model(derive_seed(SEED, "init"))
training.fit(retrained, retain, config.replace(seed=derive_seed(SEED, "train")))
target = metrics.set_accuracies(retrained, forget, retain, test)
A_VALUES = [1.0, 0.97, 0.95, 0.93, 0.9, 0.85, 0.8, 0.7, 0.6]
sweep = []
for a in A_VALUES:
    model, log = approximate.neggrad_plus(
        original, forget, retain, U(3e-3, 2), seed=derive_seed(SEED, "sweep"), a=a
    )
    acc = metrics.set_accuracies(model, forget, retain, test)
    sweep.append({"a": a, **acc, "tow": metrics.tow(acc, target), "grad_evals": log.grad_evals})
sweep = pd.DataFrame(sweep)
print("retrained target (seed 0): " + ", ".join(f"{k} {v:.3f}" for k, v in target.items()))
sweep.round(3)


# %%
def draw_sweep(ax, highlight=None):
    sc = ax.scatter(sweep["test"], sweep["forget"], c=sweep["a"], cmap="viridis", s=50, zorder=3)
    ax.plot(sweep["test"], sweep["forget"], color="0.6", lw=1, zorder=2)
    ax.scatter(
        [target["test"]],
        [target["forget"]],
        marker="*",
        s=250,
        color=viz.ROLE_COLORS["retrained"],
        label="retrained (target)",
        zorder=4,
    )
    if highlight is not None:
        row = sweep.iloc[highlight]
        ax.scatter(
            [row["test"]],
            [row["forget"]],
            s=220,
            facecolors="none",
            edgecolors="k",
            lw=2,
            label=f"a = {row['a']}",
            zorder=5,
        )
    viz.label(
        ax,
        "NegGrad+ on the most memorized S: the tug of war",
        "test accuracy (fraction)",
        "forget-set accuracy (fraction)",
        legend=True,
    )
    return sc


fig, ax = plt.subplots(figsize=(6.4, 4.2))
fig.colorbar(draw_sweep(ax), ax=ax, label="a (weight of the retain term)")
plt.show()
best = sweep.loc[sweep["tow"].idxmax()]
print(
    f"best ToW {best['tow']:.3f} at a = {best['a']}; a = 1 (fine-tuning): ToW "
    f"{sweep['tow'].iloc[0]:.3f}; a = {A_VALUES[-1]}: ToW {sweep['tow'].iloc[-1]:.3f}"
)
reach = sweep[sweep["forget"] <= target["forget"]]
print(
    f"values of a that bring forget accuracy down to the target ({target['forget']:.3f}) or below: "
    f"{reach['a'].tolist()}; "
    f"their best test accuracy {reach['test'].max():.3f} against the target's {target['test']:.3f}"
)
print(
    f"largest test accuracy of any a with forget accuracy within 0.05 of the target: "
    f"{sweep.loc[(sweep['forget'] - target['forget']).abs() <= 0.05, 'test'].max():.3f}"
)


# %% [markdown]
# No value of a reaches the star. The four values that bring the forget accuracy down to the
# target's 0.225 (a = 0.85 and below) all end at least 8 points of test accuracy below the retrained
# model (0.889 at best, against 0.969), and the values that keep more of the test accuracy
# leave the forget accuracy well above the target (a = 0.97: 0.400). That is the tug of war: the
# ascent on S damages what the model knows about the other digits, and one knob cannot trade the
# two terms so that both match retraining. The best ToW of the sweep, 0.878 at a = 0.85, comes
# from matching S at the price of the test set.
#
# Explore the sweep: the slider picks one value of a and shows its point, its three accuracies and
# its ToW. (The figure above is the static version for readers without a live kernel.)


# %%
def show(i):
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    draw_sweep(ax, highlight=i)
    plt.show()
    r = sweep.iloc[i]
    print(
        f"a = {r['a']}: forget {r['forget']:.3f} (target {target['forget']:.3f}), retain "
        f"{r['retain']:.3f}, "
        f"test {r['test']:.3f} (target {target['test']:.3f}), ToW {r['tow']:.3f}"
    )


widgets.interact(
    show,
    i=widgets.SelectionSlider(
        options=[(str(a), i) for i, a in enumerate(A_VALUES)], value=4, description="a"
    ),
)

# %% [markdown]
# ## 4. Does unlearning remove a backdoor?
#
# A backdoor is a small trigger added to a few training images that are relabelled as a target
# class (0). Here the trigger raises each of the four pixels of the bottom-right 2x2 corner by 4
# standard deviations of that pixel over the training set. The model sees standardised pixels (each
# pixel minus its mean, divided by its standard deviation), so in its input the trigger is +4 on
# each of the four. In raw pixel values (the cell prints them) it adds between 3.9 and 19.8, so two
# of the four pixels leave the 0..16 range of real images whatever the image; the figure shows one
# poisoned image as the model sees it. The model learns "trigger means 0" and applies it to any
# image carrying the trigger. If the 30 poisoned images (the cell prints the counts) are found, we
# can ask each method to forget them. The **attack success rate** (ASR) is the fraction of
# triggered test images of other classes that the model calls 0.

# %%
trigger = torch.zeros(train.n_features)
trigger[[54, 55, 62, 63]] = 4.0  # +4 standard deviations on the 2x2 corner pixels
raw_std = (
    train.tags["image"].reshape(len(train), -1).std(0, unbiased=False)
)  # the std used to standardise
print(
    "the trigger in raw pixel values (images are 0..16): "
    + ", ".join(
        f"pixel (row {p // 8}, col {p % 8}) +{4 * raw_std[p]:.1f}" for p in (54, 55, 62, 63)
    )
)
TARGET = 0
candidates = train.ids[train.y != TARGET]
poison_ids = candidates[
    torch.randperm(
        len(candidates), generator=torch.Generator().manual_seed(derive_seed(SEED, "poison"))
    )[:30]
]
poisoned = data.add_backdoor(train, poison_ids, trigger, TARGET)
print(
    f"{len(poison_ids)} poisoned training images (other digits, trigger added, relabelled "
    f"{TARGET}); "
    f"{len(test.where(test.y != TARGET))} triggered test images of other classes for the attack "
    f"success rate"
)
others = test.where(test.y != TARGET)
triggered_test = data.add_backdoor(others, others.ids, trigger, TARGET)
ASR = {
    "asr": lambda model, forget, retain, test: metrics.attack_success_rate(
        model, triggered_test, TARGET
    )
}
runs["backdoor"] = metrics.compare_methods(
    make_model, config, poisoned, poison_ids, test, METHODS, SEEDS, measures=ASR
)
backdoor = metrics.summarize(runs["backdoor"], columns=("asr", "forget", "test", "tow"))
backdoor.round(3)

# %%
fig = plt.figure(figsize=(12.5, 4))
left, right = fig.subfigures(1, 2, width_ratios=[1, 1.8])
axes = left.subplots(1, 2)
clean_x = (
    train.subset(poison_ids[:1]).X[0].reshape(8, 8)
)  # what the model sees: standardised pixels
poisoned_x = poisoned.subset(poison_ids[:1]).X[0].reshape(8, 8)
vmax = float(poisoned_x.abs().max())
for ax, img, title in (
    (axes[0], clean_x, f"a {train.subset(poison_ids[:1]).y.item()}, as the model sees it"),
    (axes[1], poisoned_x, f"+ trigger, labelled {TARGET}"),
):
    im = ax.imshow(img, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
left.colorbar(
    im, ax=axes, location="bottom", shrink=0.8, label="standardised pixel value (std units)"
)
bar_panel(
    right.subplots(),
    backdoor,
    "asr",
    "Backdoor attack success after each method",
    "attack success rate (fraction)",
    viz.ROLE_COLORS["unlearned"],
)
plt.show()
print("attack success:", {k: round(v, 3) for k, v in backdoor["asr_mean"].items()})
close = [
    m
    for m in METHODS
    if abs(backdoor.loc[m, "test_mean"] - backdoor.loc["retrained", "test_mean"]) < 0.01
]
print(
    "methods within 0.01 of the retrained test accuracy:",
    {m: round(float(backdoor.loc[m, "asr_mean"]), 3) for m in close},
)

# %% [markdown]
# The retrained model never saw the poison, so its attack success is the base rate of calling a
# triggered non-0 digit "0". Compare each method's bar with it: a method can score well on test
# accuracy while leaving much of the backdoor in place.
#
# In the table, `forget` is the accuracy on the 30 poisoned images *with their poisoned label 0*.
# The original learnt those labels and the retrained model, which never saw them, calls none of
# the images 0 (compare the two `forget_mean` values: 1.000 and 0.000), so da(S) is 1 and the
# original's ToW is 0: ToW ranks a model that kept the backdoor as far from retraining as it can
# be, as it should.
#
# ## 5. Can we bound the error? Newton-step removal
#
# For a convex model there is a principled update. Guo et al. (ICML 2020) train L2-regularised
# logistic regression, L(w) = sum_i l(w^T x_i, y_i) + (lam n / 2) ||w||^2, to its optimum w*. To
# remove a point (x, y) they take one Newton step on the objective without it:
#
# $$\Delta = \lambda w^* + \nabla l(w^{*\top} x, y), \qquad H = \nabla^2 L_{D \setminus \{x\}}(w^*), \qquad w^- = w^* + H^{-1} \Delta .$$
#
# The step is exact for a quadratic loss (ridge regression); for the logistic loss it leaves a
# small gradient on the new objective, and they bound that **gradient residual** by
# gamma ||X|| ||H^{-1} Delta|| ||X H^{-1} Delta|| (rows of X of norm at most 1, gamma = 1/4 in their
# code), and the bounds of successive removals add up. Guo et al.'s MNIST experiment is a single
# binary classifier (3 against 8). For our ten digits `approximate.L2LinearModel` fits one weight
# vector per class (one-vs-rest, the mode their reference code offers for data with many classes),
# and the bound of one removal is the sum of the ten per-class bounds, as in their code: the
# residual of all ten classes together is at most that sum.

# %%
LAM = 1e-3
linear = approximate.L2LinearModel(lam=LAM).fit(train)
newton_ids = train.ids[order[:100]]
n_forget, n_retain = train.subset(newton_ids), train.without(newton_ids)
removed, nlog = approximate.newton_removal(linear, n_forget, n_retain, config=None, seed=SEED)
refit = approximate.L2LinearModel(lam=LAM).fit(n_retain)
dist = lambda a, b: float((a.coef_ - b.coef_).norm())
print(
    f"test accuracy: original {training.accuracy(linear, test):.3f}, Newton "
    f"{training.accuracy(removed, test):.3f}, refit {training.accuracy(refit, test):.3f}"
)
print(
    f"||w - w_refit||: before removal {dist(linear, refit):.3f}, after 100 Newton steps "
    f"{dist(removed, refit):.4f}"
)
print(
    f"ToW(Newton vs refit) = {metrics.tow(removed, refit, n_forget, n_retain, test):.4f}; "
    f"cost: {nlog.grad_evals} gradients, {nlog.extra['hessian_evals']} per-example Hessian terms, "
    f"{nlog.extra['solves']} solves"
)

# %%
checkpoints = [1, 3, 10, 30, 100]
actual = []
for k in checkpoints:  # the true gradient residual after k removals, from the same start
    part = (
        removed
        if k == 100
        else approximate.newton_removal(
            linear, train.subset(newton_ids[:k]), train.without(newton_ids[:k])
        )[0]
    )
    actual.append(
        float(part.gradient(train.without(newton_ids[:k])).norm())
    )  # over all ten classes
fig, ax = plt.subplots()
ax.plot(
    range(1, 101),
    removed.bound_history_,
    color=viz.ROLE_COLORS["reference"],
    label="accumulated bound",
)
ax.plot(
    checkpoints, actual, "o-", color=viz.ROLE_COLORS["unlearned"], label="actual gradient residual"
)
ax.set_yscale("log")
viz.label(
    ax,
    "Newton-step removal: bound and actual residual",
    "points removed (one Newton step each)",
    "gradient norm on the new objective",
    legend=True,
)
plt.show()
print(
    f"after 100 removals: bound {removed.bound_history_[-1]:.2f}, actual residual {actual[-1]:.4f} "
    f"({removed.bound_history_[-1] / actual[-1]:.0f} times smaller)"
)
print(
    "bound above the actual residual at every checkpoint:",
    all(removed.bound_history_[k - 1] >= r for k, r in zip(checkpoints, actual)),
)

# %% [markdown]
# The bound is valid (it stays above the actual residual) and loose: after 100 removals it is 97.27
# against an actual residual of 0.2143, 454 times larger. And it grows with every removal. What is a
# bound on a gradient good for? It is what makes a removal *certified*.
#
# ### A certificate, and when to retrain
#
# A small residual alone promises nothing about what an observer of the weights can infer. Guo et
# al. add noise at training time: the model minimises L_b(w) = L(w) + b^T w, with every entry of b
# drawn once, at fit, from N(0, sigma^2) (`L2LinearModel(sigma=..., seed=...)`). Their Theorem 3:
# if the removals leave a gradient residual of at most eps' and sigma = c eps' / epsilon, with
# c = sqrt(2 log(1.5 / delta)), the removal is (epsilon, delta)-certified, in the sense of the
# definition of lecture 01 (the model after removal is distributed almost as one trained on the
# remaining data alone). Read the other way: at a given sigma, the accumulated bound may grow up to
# the **budget** sigma epsilon / c, and the removal that pushes it past is where the owner must
# retrain from scratch (with a fresh b). `approximate.removal_certificate` does this arithmetic. We
# remove the same 100 points at (epsilon, delta) = (1, 1e-4) in four settings: the lam of above
# and a 100 times larger one, each without and with noise.

# %%
EPS, DELTA = 1.0, 1e-4
SETTINGS = {
    "lam 1e-3, no noise": (LAM, 0.0),
    "lam 1e-3, sigma 10": (LAM, 10.0),
    "lam 0.1, no noise": (0.1, 0.0),
    "lam 0.1, sigma 1": (0.1, 1.0),
}
rows, certs = [], {}
for name, (lam, sigma) in SETTINGS.items():
    fitted = (
        linear
        if name == "lam 1e-3, no noise"
        else approximate.L2LinearModel(lam=lam, sigma=sigma, seed=SEED).fit(train)
    )
    after = (
        removed
        if name == "lam 1e-3, no noise"
        else approximate.newton_removal(fitted, n_forget, n_retain)[0]
    )
    row = {
        "setting": name,
        "fit converged": fitted.converged_,
        "test accuracy": training.accuracy(fitted, test),
        "bound after 100": after.residual_bound_,
    }
    if sigma > 0:
        certs[name] = (after, approximate.removal_certificate(after, EPS, DELTA))
        row.update(
            budget=certs[name][1].residual_budget,
            removals_certified=certs[name][1].steps_within_budget,
        )
    rows.append(row)
pd.DataFrame(rows).set_index("setting").astype({"removals_certified": "Int64"}).round(3)

# %%
fig, ax = plt.subplots(figsize=(10.5, 4.2))
for (name, (after, cert)), color in zip(
    certs.items(), (viz.PALETTE["vermillion"], viz.PALETTE["blue"])
):
    ax.plot(range(1, 101), after.bound_history_, color=color, label=f"{name}: accumulated bound")
    ax.axhline(
        cert.residual_budget,
        color=color,
        ls="--",
        lw=1,
        label=f"{name}: budget {cert.residual_budget:.3f}",
    )
    due = cert.steps_within_budget + 1
    ax.plot(
        [due],
        [after.bound_history_[due - 1]],
        "o",
        color=color,
        ms=8,
        label=f"{name}: retraining due at removal {due}",
    )
ax.set_yscale("log")
viz.label(
    ax,
    "Certified removal at (epsilon, delta) = (1, 1e-4)",
    "points removed (one Newton step each)",
    "gradient-residual bound",
)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)
plt.show()
after, cert = certs["lam 0.1, sigma 1"]
k = cert.steps_within_budget
print(
    f"lam 0.1, sigma 1: c = {cert.c:.3f}, budget sigma*epsilon/c = {cert.residual_budget:.3f}; "
    f"after removal {k}: bound "
    f"{after.bound_history_[k - 1]:.3f}, epsilon spent "
    f"{cert.c * after.bound_history_[k - 1] / cert.sigma:.3f} at delta = {DELTA}; "
    f"removal {k + 1}: bound {after.bound_history_[k]:.3f}, epsilon "
    f"{cert.c * after.bound_history_[k] / cert.sigma:.3f}: retrain"
)

# %% [markdown]
# At lam = 1e-3 the bound grows fast: even with sigma = 10 (budget 2.280) only the first removal is
# certified, and the noise drops test accuracy from 0.933 to 0.676. A 100 times larger lam makes
# every Newton step smaller and the bound after 100 removals falls from 97.27 to 0.285. With
# sigma = 1 the budget is 0.228, and removals 1 to 80 are (1, 1e-4)-certified: after removal 80 the
# epsilon spent is 0.990. Removal 81 pushes it past 1, and there the owner must retrain. The noise
# costs no visible accuracy here (0.889 with it, 0.887 without, one test digit apart); the
# certificate is paid for by the stronger regularisation (0.887 against 0.933 at lam = 1e-3).
#
# ## 6. Why a weak check overestimates success
#
# A popular quick check after unlearning is a membership test on S: if a loss threshold cannot tell
# the forget examples from test examples (AUC near 0.5), declare victory. We computed this AUC for
# every model above. The right comparison is the retrained model's value, never 0.5, and the
# original model, which has forgotten nothing, is the sanity check.

# %%
mia = pd.DataFrame(
    {
        k: runs[k].groupby("method", sort=False)["mia_auc"].mean()
        for k in ("random", "most memorized")
    }
)
mia.round(3)

# %%
for kind in mia.columns:
    o, r = mia.loc["original", kind], mia.loc["retrained", kind]
    print(
        f"{kind} S: the untouched original has AUC {o:.3f}, the retrained model {r:.3f} (gap "
        f"{abs(o - r):.3f})"
    )
    below = [f"{m} {mia.loc[m, kind]:.3f}" for m in METHODS if mia.loc[m, kind] < r - 0.05]
    print(
        f"   below 0.5 (S has higher loss than the test set): "
        f"{', '.join(n for n in mia.index if mia.loc[n, kind] < 0.5) or 'none'}; "
        f"more than 0.05 below the retrained model (over-unlearning): {', '.join(below) or 'none'}"
    )
    seeds_auc = runs[kind].pivot(index="method", columns="seed", values="mia_auc")
    apart = seeds_auc.loc["original"].min() > seeds_auc.loc["retrained"].max()
    print(
        f"   per seed, original {seeds_auc.loc['original'].round(3).tolist()} vs retrained "
        f"{seeds_auc.loc['retrained'].round(3).tolist()}: "
        + (
            "every original seed lies above every retrained seed: the test separates them"
            if apart
            else "the seeds overlap: the test does not separate them"
        )
    )
# why is the untouched original's AUC on the most memorized S so low? its losses (seed 0, section
# 2's model)
s_loss = -loss_threshold_scores(original, train.subset(memorized_ids), test)[0][
    : len(memorized_ids)
]
t_loss = -loss_threshold_scores(original, test, train.subset(memorized_ids))[0][: len(test)]
print(
    f"original (seed 0) on the most memorized S: accuracy "
    f"{training.accuracy(original, train.subset(memorized_ids)):.3f}, "
    f"median loss {np.median(s_loss):.4f} nats; on the test set: accuracy "
    f"{training.accuracy(original, test):.3f}, "
    f"median loss {np.median(t_loss):.4f} nats; test examples with a lower loss than the median of "
    f"S: {(t_loss < np.median(s_loss)).mean():.2f}"
)

# %% [markdown]
# How to read these numbers. The AUC is the probability that a random forget example has a
# *lower* loss than a random test example. Above 0.5 the model fits S better than unseen data (the
# signature of training on it); **below 0.5 the forget examples have a *higher* loss than the test
# examples**. That is what a model that never trained on a hard S shows: the most memorized digits
# are atypical or mislabelled, so a model that did not memorize them gets most of them wrong, with
# a large loss, which puts the retrained model's AUC far below 0.5. The same happens to a random S
# after a method that pushed S too far (the cell above lists which). So the reference is the
# retrained model's AUC on the same S, never 0.5. An AUC far *below* the retrained value is not
# extra safety but **over-unlearning**: S now stands out by its unusually high loss, and that is
# itself a leak (an attacker learns which examples were deleted). The cell prints, for each forget
# set, which models fall below 0.5 and which fall well below the retrained model.
#
# The untouched original is below 0.5 on the most memorized S as well (0.109), although it was
# trained on S and classifies all of it correctly (the last printed line, seed 0: accuracy 1.000).
# Its median loss on S, 0.0542 nats (cross-entropy in natural-log units), is still far above its
# median loss on the test set, 0.0003: 91% of the test digits have a lower loss than the median
# digit of S. These digits are atypical and fitted with a small margin, while a typical test digit is classified with near certainty. So
# "AUC below 0.5" does not mean "forgotten" here; only the comparison with the retrained model
# (0.017) does.
#
# On a random forget set the loss threshold barely separates the *original* model from the
# retrained one (compare the printed gap and the per-seed values): a method that did nothing would
# pass this check. On the most memorized set, read the per-seed line: it says whether this weak
# test tells a model that still holds S from one that never saw it, and the gap says by how much
# (small next to the distance of either from 0.5). Even where it separates them, it looks at S as a
# whole with one global threshold; lecture 05 builds per-example attacks (LiRA, U-LiRA)
# that are far more sensitive, and shows that methods which pass the weak check can still leak.
#
# ## Check your understanding
#
# 1. Why is the target for the forget-set accuracy not 0, and what does ToW do with a method that
#    drives the forget accuracy to 0 on a random forget set?
#    <details><summary>Answer</summary>The retrained model generalises to S like to any unseen
#    data, so its accuracy on a random S is close to its test accuracy (0.967 in section 1). ToW
#    measures |Acc(theta_u, S) - Acc(theta_r, S)|, so a method at 0 has da(S) = 0.967 and a ToW of
#    at most 0.033, while not forgetting at all (the original, 1.000 on S) has da(S) = 0.033: the
#    gap of overshooting to 0 is about 30 times the gap of doing nothing. Such a model is also
#    easy to spot: "these are the examples it was told to forget".</details>
# 2. Why does the most memorized forget set hurt methods such as fine-tuning more than a random one?
#    <details><summary>Answer</summary>Memorized examples are classified correctly only because they
#    were trained on; retraining without them gets them mostly wrong. Fine-tuning on R leaves the
#    memorized answers largely in place, so the gap on S, and with it the ToW penalty, is large. For a
#    random S the original and the retrained model already agree on most of S.</details>
# 3. In the tug-of-war plot, what do you give up by lowering a from 0.9 to 0.6, and what would you
#    have to know to pick a without a retrained model?
#    <details><summary>Answer</summary>In this sweep forget accuracy falls from 0.300 to 0.200 and
#    test accuracy from 0.900 to 0.878 (retain from 0.968 to 0.931); at a = 0.6 the forget accuracy
#    is one digit of 40 below the retrained model's 0.225, so the model has begun to over-forget
#    while it keeps losing test accuracy. The retrained model is exactly
#    what we want to avoid computing, so in practice a is chosen on other forget sets or with proxies,
#    which is one reason the hard (memorized, entangled) cases are dangerous.</details>
# 4. The Newton step for ridge regression is exact. What breaks exactness for logistic regression,
#    and what does the bound add up?
#    <details><summary>Answer</summary>The logistic loss is not quadratic, so one Newton step from w*
#    does not reach the new optimum; a gradient residual remains. Each removal adds its own bound on
#    that residual (summed over the classes), and the removals stay (epsilon, delta)-certified while
#    the sum stays within the budget sigma epsilon / c; the removal that passes it is where the model
#    must be retrained (removal 81 at lam = 0.1, sigma = 1 in section 5).</details>
#
# ## What we measured

# %%
print(
    f"Random S (40 digits), ToW mean over 3 seeds: "
    + ", ".join(f"{m} {tow_table.loc[m, 'random']:.3f}" for m in tow_table.index)
)
print(
    f"Most memorized S, ToW: "
    + ", ".join(f"{m} {tow_table.loc[m, 'most memorized']:.3f}" for m in tow_table.index)
)
print(
    f"One class (all {len(class_ids)} training 8s), ToW: "
    + ", ".join(f"{m} {tow_table.loc[m, 'one class']:.3f}" for m in tow_table.index)
)
print(
    f"Mean ToW of the five methods: random {mean_tow['random']:.3f}, one class "
    f"{mean_tow['one class']:.3f}, most memorized {mean_tow['most memorized']:.3f}"
)
print(f"Tug of war (NegGrad+, memorized S): best ToW {best['tow']:.3f} at a = {best['a']}")
print(
    f"Backdoor attack success: original {backdoor.loc['original', 'asr_mean']:.3f}, retrained "
    f"{backdoor.loc['retrained', 'asr_mean']:.3f}, "
    + ", ".join(f"{m} {backdoor.loc[m, 'asr_mean']:.3f}" for m in METHODS)
)
print(
    f"Newton-step removal of 100 points: ||w - w_refit|| {dist(linear, refit):.3f} -> "
    f"{dist(removed, refit):.4f}; "
    f"bound {removed.bound_history_[-1]:.2f} vs actual residual {actual[-1]:.4f}"
)
print(
    "Certified removal at (epsilon, delta) = (1, 1e-4): "
    + "; ".join(
        f"{name}: budget {c.residual_budget:.3f}, {c.steps_within_budget} of 100 removals certified"
        for name, (_, c) in certs.items()
    )
)
print(
    f"Loss-threshold AUC on random S: original {mia.loc['original', 'random']:.3f} vs retrained "
    f"{mia.loc['retrained', 'random']:.3f}; "
    f"most memorized S: original {mia.loc['original', 'most memorized']:.3f} vs retrained "
    f"{mia.loc['retrained', 'most memorized']:.3f}"
)
print(f"ToW of doing nothing on random S: {tow_do_nothing:.3f}")

# %% [markdown]
# ## References
#
# - M. Kurmanji, P. Triantafillou, J. Hayes, E. Triantafillou. *Towards Unbounded Machine
#   Unlearning*. NeurIPS 2023. https://arxiv.org/abs/2302.09880 (SCRUB, NegGrad+)
# - K. Zhao, M. Kurmanji, G.-O. Barbulescu, E. Triantafillou, P. Triantafillou. *What makes
#   unlearning hard and what to do about it*. NeurIPS 2024. https://arxiv.org/abs/2406.01257 (ToW,
#   memorization and entanglement as difficulty, RUM)
# - V. Feldman, C. Zhang. *What Neural Networks Memorize and Why: Discovering the Long Tail via
#   Influence Estimation*. NeurIPS 2020. https://arxiv.org/abs/2008.03703
# - C. Guo, T. Goldstein, A. Hannun, L. van der Maaten. *Certified Data Removal from Machine
#   Learning Models*. ICML 2020. https://arxiv.org/abs/1911.03030
# - L. Graves, V. Nagisetty, V. Ganesh. *Amnesiac Machine Learning*. AAAI 2021.
#   https://arxiv.org/abs/2010.10981 (random labels)
# - S. Yeom, I. Giacomelli, M. Fredrikson, S. Jha. *Privacy Risk in Machine Learning: Analyzing the
#   Connection to Overfitting*. IEEE CSF 2018. https://arxiv.org/abs/1709.01604 (loss threshold)
