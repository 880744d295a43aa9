# Source of lectures/03_auditing_and_forging.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown]
# # Lecture 03: Auditing unlearning, and forging
#
# A company says it has deleted your data from its model. Can it prove that, and can anyone check?
# This lecture shows why looking at the weights cannot settle the question, and what can.
#
# **You will learn to**
# 1. keep a training log (seed, the batch of every step, a hash of every checkpoint) and replay it
#    to find the first step where a log was tampered with;
# 2. explain with the normal equations why removing a point that lies on a least-squares line
#    leaves the fit unchanged, and check it numerically;
# 3. forge a whole minibatch-SGD run for squared loss on a linear model from batches that never
#    contain the forget set: exactly in exact arithmetic, and in float32 to within rounding;
# 4. run the closest-batch forging attack (Thudi et al., 2022) on a small network and compare its
#    error with the noise floor of floating-point arithmetic;
# 5. say what an auditor can and cannot conclude from weights alone, and why claims about the
#    *algorithm* that ran are the ones that can be checked.
#
# **Prerequisites**: lecture 01 (forget set S, retain set D \ S, retraining as the gold standard)
# and lecture 02 (SISA, the deterministic training loop `unlearnkit.training.fit`).
# **Slides**: "Auditability", the forging issue, example 1 (linear regression of points on a line),
# example 2 (mini-batch gradient descent). **Time**: about 60 minutes; the notebook runs in under a
# minute on a laptop CPU.

# %%
import copy

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import unlearnkit
from unlearnkit import data, forging, models, training, viz

SEED = 0
DEVICE = unlearnkit.device()
torch.set_num_threads(1)  # tiny models: one thread is faster, and replays are bitwise reproducible
viz.use_style()

# %% [markdown]
# ## 1. Can an owner prove that a model was trained without some data?
#
# Suppose the owner publishes, next to the model, a **training log**: the configuration and seed,
# the ids of the examples in every minibatch, and a SHA-256 hash of the weights after every step.
# Anyone holding the data can then *replay* the log: start from the initial model, take the logged
# steps one by one, and compare each result with the logged hash. On one CPU with the same thread
# count, training is bitwise deterministic, so an honest log replays exactly.
#
# We train a small MLP on the digits with plain SGD and record its log with
# `forging.record_training`, which runs the very same loop as `training.fit`.

# %%
train, test = data.load_digits(seed=SEED)
config = training.TrainConfig(optimizer="sgd", lr=0.1, batch_size=32, epochs=2, seed=SEED)
init = models.mlp(train.n_features, 10, hidden=32, seed=SEED).to(DEVICE)
net = copy.deepcopy(init)
log = forging.record_training(net, train, config, keep_checkpoints=True)
pick = torch.randperm(
    len(train), generator=torch.Generator().manual_seed(unlearnkit.derive_seed(SEED, "forget"))
)
forget = train.ids[pick[:12]]
print(f"{log.steps} steps, test accuracy {training.accuracy(net, test):.3f}")
print("checkpoint 0 hash:", log.hashes[0][:16], "...  final:", log.hashes[-1][:16], "...")
print(f"forget set S: {forget.numel()} examples")

# %% [markdown]
# The auditor replays the honest log. `forget_ids` asks which steps used S, and `check_order` asks
# whether the batches are exactly those that `training.batch_order` draws for this data and seed.

# %%
honest = forging.replay(init, train, log, forget_ids=forget, check_order=True)
print(honest.reason)
print(
    "first checkpoint that differs:",
    honest.first_divergence,
    "| batches follow the seed:",
    honest.order_ok,
)
print(f"steps whose batch holds an example of S: {len(honest.forget_steps)}")

# %% [markdown]
# A careless owner who wants the log to *look* as if S was never used deletes the forget examples
# from the logged batches and keeps the hashes. The replay catches the edit at the first step that
# changed: the weights after that step no longer hash to the logged value.

# %%
first_s_step = honest.forget_steps[0]
tampered = log
for t in honest.forget_steps:
    b = log.batches[t - 1]
    tampered = tampered.with_batch(t, b[~torch.isin(b, forget)])
caught = forging.replay(init, train, tampered, forget_ids=forget)
print(caught.reason)
print(
    f"first step that used S: {first_s_step}; replay diverges at checkpoint "
    f"{caught.first_divergence}"
)

# %% [markdown]
# So a log can be checked. But a log only says what *a* run did. The question of this lecture is
# sharper: could a *different* run, one that never saw S, have produced the same weights? If yes, the
# weights alone can never show that S was (or was not) used. That is **forging**.
#
# ## 2. Example 1: does removing a training point always change the model?
#
# Take least squares with a bias, $\hat\theta = \arg\min_\theta \sum_i (t_i - \theta^\top\tilde x_i)^2$
# with $\tilde x = (x, 1)$. The minimiser solves the **normal equations**
#
# $$\sum_i \tilde x_i \,(t_i - \hat\theta^\top \tilde x_i) = \sum_i \tilde x_i\, r_i = 0 .$$
#
# If a point $p$ lies on the fitted line, its residual is $r_p = 0$, so its term in the sum is zero.
# Drop it: the remaining terms still sum to zero at $\hat\theta$, hence $\hat\theta$ is also the fit
# of $D \setminus \{p\}$ (the rest must still determine a unique fit). A point off the line has
# $r_p \neq 0$; removing it breaks the balance and the fit moves.

# %%
line = data.make_line(20, slope=2.0, intercept=1.0, noise=0.6, seed=SEED)
theta0 = forging.least_squares(line)
on_line = forging.points_on_line([-2.0, 2.4], theta0, start_id=1000)  # residual 0
off_line = forging.points_on_line(
    [0.5], theta0 + torch.tensor([0.0, 3.0], dtype=torch.float64), 2000
)
with_on, with_off = line.concat(on_line), line.concat(off_line)
change_on = forging.refit_change(with_on, on_line.ids)
change_off = forging.refit_change(with_off, off_line.ids)
print("fit of D (slope, intercept):", np.round(theta0.numpy(), 4))
print(
    f"max |residual| of the added on-line points: "
    f"{forging.residuals(on_line, theta0).abs().max():.1e}"
)
print(f"removing the on-line points moves the fit by  {change_on:.1e}")
print(f"removing the off-line point moves the fit by {change_off:.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
xs = torch.linspace(-3, 3, 50, dtype=torch.float64)
for ax, full, extra, name in (
    (axes[0], with_on, on_line, "on the line"),
    (axes[1], with_off, off_line, "off the line"),
):
    th_full, th_rest = forging.least_squares(full), forging.least_squares(full.without(extra.ids))
    ax.scatter(
        line.X[:, 0],
        line.tags["target"],
        s=18,
        color=viz.ROLE_COLORS["retain"],
        label="retain set D \\ S",
    )
    ax.scatter(
        extra.X[:, 0],
        extra.tags["target"],
        s=70,
        marker="*",
        color=viz.ROLE_COLORS["forget"],
        label=f"forget set S ({name})",
    )
    ax.plot(
        xs,
        th_full[0] * xs + th_full[1],
        color=viz.ROLE_COLORS["original"],
        lw=3,
        alpha=0.5,
        label="fit on D",
    )
    ax.plot(
        xs,
        th_rest[0] * xs + th_rest[1],
        "--",
        color=viz.ROLE_COLORS["retrained"],
        label="refit on D \\ S",
    )
    viz.label(
        ax,
        f"Removing points {name}",
        "x (arbitrary units)",
        "target t (arbitrary units)",
        legend=True,
    )
plt.tight_layout()
plt.show()

# %% [markdown]
# On the left the two lines coincide: the model trained with S and the model retrained without S
# are the same model (to float64 rounding). Shown that model, an auditor cannot tell whether S was
# used. This is the first forging example in Thudi et al. (2022).
#
# ## 3. Example 2: can different minibatches give exactly the same gradient?
#
# For squared loss on a linear model with bias, the mean gradient of a batch $B$ of size $b$ at
# weights $\theta$ is
#
# $$\frac{2}{b}\sum_{i\in B}\tilde x_i(\theta^\top\tilde x_i - y_i)
#   = \frac{2}{b}\Big(\underbrace{\textstyle\sum_{i\in B}\tilde x_i\tilde x_i^\top}_{\text{second moments}}\,\theta
#   - \underbrace{\textstyle\sum_{i\in B}\tilde x_i y_i}_{\text{cross moments}}\Big).$$
#
# It depends on the batch only through $b$ and two sums, *whatever* $\theta$ is. Two batches with
# equal sums therefore give equal SGD steps at every point of the trajectory, in exact arithmetic
# (what float32 makes of it is measured below).
#
# Real data rarely holds such twins, so we build them. Stack three points $z_i = (x_i, y_i)$ as rows
# of $Z$ and take an orthogonal $Q$ with $Q\mathbf 1 = \mathbf 1$ (a rotation about the all-ones
# vector). Then $Z' = QZ$ has the same column sums ($\mathbf 1^\top Q Z = \mathbf 1^\top Z$, that is
# $\sum x$ and $\sum y$) and the same $Z'^\top Z' = Z^\top Z$ ($\sum x^2$, $\sum xy$, $\sum y^2$):
# together, every sum the gradient needs. Because the rows of $Q$ sum to one, each new point is an
# affine mix of the old ones: points near the line stay near it.

# %%
trio = torch.tensor([[-1.0, -1.2], [0.5, 2.1], [2.0, 4.8]], dtype=torch.float64)  # rows (x, y)
twin = forging.twin_points(trio, angle=1.3)
print("original points:\n", trio.numpy().round(3), "\ntwins:\n", twin.numpy().round(3))
print("max difference of the sums:", float((twin.sum(0) - trio.sum(0)).abs().max()))
print("max difference of Z^T Z:   ", float((twin.T @ twin - trio.T @ trio).abs().max()))

# %% [markdown]
# `forging.make_twin_forgery` builds a whole data set this way. It fixes the SGD order first (the
# order depends only on the number of examples and the seed), then, for every batch that holds a
# forget point $f$, it picks two retained partners $r_1, r_2$ from the same batch and writes their
# three twins into fresh slots of $D$. The forged batch swaps $f, r_1, r_2$ for the twins: same size,
# same sums, no forget point.

# %%
twins = forging.make_twin_forgery(
    data.make_line(60, seed=SEED),
    forget_ids=[3, 17, 42],
    batch_size=16,
    epochs=3,
    lr=0.05,
    seed=SEED,
)
lin0 = forging.linear_regression(1, seed=SEED)
orig_lin = forging.record_training(
    copy.deepcopy(lin0), twins.data, twins.config, keep_checkpoints=True
)
forged_lin = forging.train_on_batches(
    copy.deepcopy(lin0), twins.data, twins.forged_batches, twins.config, keep_checkpoints=True
)
noisy_lin = forging.train_on_batches(
    copy.deepcopy(lin0),
    twins.data,
    forging.shuffle_within_batches(orig_lin.batches, SEED),
    twins.config,
    keep_checkpoints=True,
)
twin_gap = forging.trajectory_distance(orig_lin, forged_lin)
twin_noise = forging.trajectory_distance(orig_lin, noisy_lin)
same_hashes = sum(a == b for a, b in zip(orig_lin.hashes, forged_lin.hashes))
print(
    f"D: {len(twins.data)} points ({int(twins.data.tags['twin'].sum())} twins); {orig_lin.steps} "
    f"SGD steps, "
    f"{len(twins.forged_steps)} of them forged"
)
print(f"largest distance forged vs original over all checkpoints: {twin_gap.max():.2e}")
print(f"(same batches, other summation order:                     {twin_noise.max():.2e})")
print(f"checkpoints with identical hashes: {same_hashes} of {len(orig_lin.hashes)}")
noisy_diff = np.flatnonzero(twin_noise.numpy() > 0)
print(
    "the shuffled run differs from the original at steps",
    noisy_diff.tolist(),
    "and is bitwise equal to it everywhere else",
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
D, S = twins.data, twins.forget_ids
tw, fmask = D.tags["twin"], torch.isin(D.ids, S)
ax = axes[0]
ax.scatter(
    D.X[~tw & ~fmask, 0],
    D.tags["target"][~tw & ~fmask],
    s=14,
    color=viz.ROLE_COLORS["retain"],
    label="retained base points",
)
ax.scatter(
    D.X[tw, 0],
    D.tags["target"][tw],
    s=14,
    marker="s",
    color=viz.ROLE_COLORS["unlearned"],
    label="twins (in D \\ S)",
)
ax.scatter(
    D.X[fmask, 0],
    D.tags["target"][fmask],
    s=80,
    marker="*",
    color=viz.ROLE_COLORS["forget"],
    label="forget set S",
)
viz.label(
    ax,
    "A data set built with twins",
    "x (arbitrary units)",
    "target t (arbitrary units)",
    legend=True,
)
ax = axes[1]
steps = np.arange(len(twin_gap))
ax.plot(
    steps,
    twin_noise,
    "s--",
    ms=4,
    color=viz.ROLE_COLORS["reference"],
    label="same batches, shuffled order",
)
ax.plot(
    steps,
    twin_gap,
    "o-",
    ms=3,
    lw=2.5,
    color=viz.ROLE_COLORS["unlearned"],
    label=f"forged log (never uses S): max {twin_gap.max():.1e}",
)
ax.axhline(
    torch.finfo(torch.float32).eps, color="grey", lw=1, ls=":", label="float32 machine epsilon"
)
ax.set_ylim(-0.08 * max(twin_noise.max(), torch.finfo(torch.float32).eps), None)
viz.label(
    ax,
    "Distance to the original trajectory",
    "SGD step",
    "||w - w_original|| (parameter units)",
    legend=True,
)
plt.tight_layout()
plt.show()

# %% [markdown]
# Two cells up we measured the distance between the forged and the original trajectory at every
# checkpoint, and compared their hashes; the right panel above plots the distances. On this seed
# the forged run (the thick line at zero) is the same run to the last bit: the largest distance is
# 0.0 and all 17 hashes match. A log that never mentions S reproduces the model that was trained on S.
#
# The dashed curve is the yardstick: the same batches with their examples in another order. Its
# gap is pure rounding (a few float32 ulps; an ulp, "unit in the last place", is the gap between a
# float32 number and the next one: 1.2e-7 just above 1, the machine epsilon drawn as a dotted
# line), and it can vanish again: a later rounding may map the two slightly different weights onto
# the same float32 value, after which the two runs are identical for good (the printed list gives
# the steps where this run differed).
#
# Is the twin forgery always bitwise exact? Not in float32. $D$ stores the twins as float32 numbers,
# so a forged batch's sums equal the logged batch's only up to rounding, and every SGD step rounds
# per-example terms that differ between the two batches. `forging.twin_forgery_trials` builds and
# runs the same forgery for eight seeds (data, twins and initial model all drawn from the seed) and
# records, per seed, the largest gap of the forged run and of the shuffled-order run.

# %%
trials = pd.DataFrame(
    forging.twin_forgery_trials(
        lambda s: data.make_line(60, seed=s),
        [3, 17, 42],
        range(8),
        batch_size=16,
        epochs=3,
        lr=0.05,
    )
)
built = trials[trials["built"]]
all_bitwise = built["identical_hashes"] == built["steps"] + 1
fmt_e, fmt_i = (
    (lambda v: "-" if pd.isna(v) else f"{v:.2e}"),
    (lambda v: "-" if pd.isna(v) else str(int(v))),
)
print(
    trials[
        [
            "seed",
            "built",
            "steps",
            "forged_steps",
            "max_gap",
            "noise",
            "identical_hashes",
            "bitwise_final",
        ]
    ].to_string(
        index=False,
        na_rep="-",
        formatters={
            "steps": fmt_i,
            "forged_steps": fmt_i,
            "max_gap": fmt_e,
            "noise": fmt_e,
            "identical_hashes": fmt_i,
        },
    )
)
print(
    f"built for {len(built)} of {len(trials)} seeds; refused: "
    + "; ".join(
        f"seed {r.seed}: {r.refused.split(';')[0]}" for r in trials[~trials['built']].itertuples()
    )
)
print(
    f"bitwise equal at every checkpoint: {int(all_bitwise.sum())} of {len(built)} (seeds "
    f"{built.seed[all_bitwise].tolist()}); "
    f"final models bitwise equal: {int(built['bitwise_final'].sum())} of {len(built)}"
)
print(
    f"largest gap of a forged run: {built['max_gap'].max():.2e}; largest gap of a shuffled-order "
    f"run: {built['noise'].max():.2e}; "
    f"forged gap <= shuffled gap on {int((built['max_gap'] <= built['noise']).sum())} of "
    f"{len(built)} seeds"
)

# %%
fig, ax = plt.subplots(figsize=(9, 3.8))
x = np.arange(len(built))
for k, (col, name, color) in enumerate(
    (
        ("max_gap", "forged log (never uses S)", viz.ROLE_COLORS["unlearned"]),
        ("noise", "same batches, shuffled order", viz.ROLE_COLORS["reference"]),
    )
):
    vals = built[col].to_numpy(float) / 1e-7
    ax.bar(x + (k - 0.5) * 0.38, vals, 0.38, color=color, label=name)
    for xi, v in zip(x + (k - 0.5) * 0.38, vals):
        if v == 0:
            ax.text(xi, 0.03, "0", ha="center", va="bottom", fontsize=9, color=color)
ax.axhline(
    torch.finfo(torch.float32).eps / 1e-7,
    color="grey",
    lw=1,
    ls=":",
    label="float32 machine epsilon",
)
ax.set_xticks(x, [f"seed {s}" for s in built["seed"]])
ax.set_ylim(
    0,
    1.5 * max(built["noise"].max(), built["max_gap"].max(), torch.finfo(torch.float32).eps) / 1e-7,
)
viz.label(
    ax,
    "Twin forgery over seeds: largest gap to the logged run",
    "seed (forgeries that were built)",
    "max ||w - w_original|| (1e-7 parameter units)",
)
ax.legend(loc="upper center", ncol=3, fontsize=9)
plt.show()

# %% [markdown]
# Read the table and the bars together. The builder refused 3 of the 8 seeds: at some step it
# found no free slot for the twins outside the batch (`spare_slots` in `make_twin_forgery` avoids
# that). Of the 5 forgeries built, 2 (seeds 0 and 4) are bitwise equal to the logged run at every
# checkpoint; the other 3 leave it somewhere along the way, by at most 1.2e-7, which is no more than
# the shuffled-order run of the same seed moves (the largest yardstick is also 1.2e-7), and all 5
# end on bitwise the same final model. So the twin forgery is exact in exact arithmetic and, in
# float32, indistinguishable from the logged run by anyone who must allow for rounding; that
# seed 0 is bitwise exact throughout is luck.
#
# ## 4. Without built-in twins: how close can a forger get?
#
# Thudi et al. (USENIX Security 2022) forge real training runs approximately. At every step whose
# batch touches S, draw M random batches of the same size from $D\setminus S$ and keep the one whose
# update from the logged weights $w_{t-1}$ lands closest to the logged $w_t$. With plain SGD (no
# momentum) the update is $-\eta\,g$, so the closest update is the closest mean gradient:
# $\|w_t - \hat w_t\| = \eta\,\|g_B - g_C\|$. Per-example gradients from `torch.func` give all the
# candidates' mean gradients in one matrix product, so M in the hundreds is cheap.
#
# Is the best candidate "the same"? The yardstick is the **noise floor**: how far the *same* step
# moves when only the arithmetic changes (the batch summed in another order, or computed in float64).

# %%
M = 512
forged = forging.forge_log(init, train, log, forget, M=M, seed=SEED)
floors = [
    forging.noise_floor(
        log.load_checkpoint(copy.deepcopy(init), t - 1), train, log.batches[t - 1], config, seed=t
    )
    for t in forged.forged_steps
]
floor_order = np.median([f["order"] for f in floors])
floor_f64 = np.median([f["float64"] for f in floors])
step_size = float(
    np.median([(log.checkpoints[t] - log.checkpoints[t - 1]).norm() for t in forged.forged_steps])
)
print(f"{len(forged.forged_steps)} of {log.steps} steps forged with M = {M} candidates each")
print(f"forging error ||w_t - w_hat_t||, median over forged steps: {forged.errors.median():.3e}")
print(
    f"noise floor, summation order (median): {floor_order:.1e};  float32 vs float64: "
    f"{floor_f64:.1e}"
)
print(f"size of one SGD step ||w_t - w_(t-1)|| (median):          {step_size:.3e}")
miss = torch.tensor(
    [
        float(e) / float((log.checkpoints[t] - log.checkpoints[t - 1]).norm())
        for e, t in zip(forged.errors, forged.forged_steps)
    ]
)
print(
    f"forging error / size of the step it imitates, median over forged steps: {miss.median():.2f}"
)

# %%
best_of_m = forged.candidate_errors.cummin(dim=1).values  # (forged steps, M): best of the first m
ms = np.arange(1, M + 1)
gain = best_of_m[:, -1] / forged.candidate_errors[:, 0]  # best of M relative to one random batch
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax.fill_between(
    ms,
    best_of_m.quantile(0.1, 0).numpy(),
    best_of_m.quantile(0.9, 0).numpy(),
    color=viz.ROLE_COLORS["unlearned"],
    alpha=0.25,
    label="forging error, 10-90% of steps",
)
ax.plot(
    ms,
    best_of_m.median(0).values,
    color=viz.ROLE_COLORS["unlearned"],
    label="forging error, median",
)
ax.axhline(step_size, color=viz.ROLE_COLORS["original"], ls="-.", label="one SGD step (size)")
ax.axhline(
    floor_f64, color=viz.ROLE_COLORS["reference"], ls="--", label="noise floor: float32 vs float64"
)
ax.axhline(floor_order, color="grey", ls=":", label="noise floor: summation order")
ax.set_xscale("log")
ax.set_yscale("log")
viz.label(
    ax,
    "Closest-batch forging on digits (MLP, plain SGD)",
    "M, candidate batches per step",
    "||w_t - w_hat_t|| (parameter units)",
    legend=True,
)
ax2.plot(
    ms,
    (best_of_m / forged.candidate_errors[:, :1]).median(0).values,
    color=viz.ROLE_COLORS["unlearned"],
)
ax2.set_xscale("log")
ax2.set_ylim(0, 1.05)  # from 0: the gain of more candidates is not exaggerated
viz.label(
    ax2,
    "The same, relative to one random batch",
    "M, candidate batches per step",
    "best-of-M error / error of a random batch",
)
plt.tight_layout()
plt.show()
print(f"best of {M} relative to one random batch (median over forged steps): {gain.median():.2f}")


# %% [markdown]
# More candidates help only slowly: the best of 512 random batches has about 0.72 times the error
# of a single random batch (right panel, drawn from 0), and it still misses the logged weights by
# about 83% of the length of the step it imitates (the median ratio printed above the figure); not
# taking the step at all would miss by 100%. The two noise
# floors sit five to six orders of magnitude below. The widget shows one forged step at a time: the error of
# every candidate, the best of the first M, and the two floors.


# %%
def show_step(k=0, m=M):
    errs = forged.candidate_errors[k, :m].numpy()
    fig, ax = plt.subplots(figsize=(6.6, 3.6))
    bins = np.logspace(
        np.log10(min(floors[k]["order"], floors[k]["float64"]) / 3), np.log10(errs.max() * 2), 300
    )
    ax.hist(errs, bins=bins, color=viz.ROLE_COLORS["retain"], label=f"{m} candidate batches")
    ax.axvline(
        errs.min(), color=viz.ROLE_COLORS["unlearned"], lw=2, label=f"best of {m}: {errs.min():.2e}"
    )
    ax.axvline(
        floors[k]["float64"],
        color=viz.ROLE_COLORS["reference"],
        ls="--",
        label="float32 vs float64",
    )
    ax.axvline(floors[k]["order"], color="grey", ls=":", label="summation order")
    ax.set_xscale("log")
    n = len(forged.forged_steps)
    viz.label(
        ax,
        f"Training step {forged.forged_steps[k]} of {log.steps} (forged step {k + 1} of {n})",
        "||w_t - w_hat_t|| (parameter units)",
        "candidates",
        legend=True,
    )
    plt.show()


show_step()  # the static default figure: the first forged step with all M candidates

# %%
widgets.interact(
    show_step,
    k=widgets.SelectionSlider(  # the readout shows the training step, as the title does
        options=[(str(t), i) for i, t in enumerate(forged.forged_steps)],
        value=0,
        description="training step",
        style={"description_width": "initial"},
    ),
    m=widgets.SelectionSlider(
        options=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512], value=M, description="M"
    ),
)

# %% [markdown]
# ## 5. Does the forged run stay close when it is followed to the end?
#
# The per-step error above is measured from the *logged* $w_{t-1}$. A forged log, however, must be
# replayed from the start: each small error changes the weights from which the next step is taken,
# and Baluta et al. (CCS 2023) show that such errors grow during training. We replay the forged log
# from the initial model and compare it with the original run, with a run whose batches were only
# shuffled inside (the noise floor of a whole trajectory), and with an honest retrain on $D\setminus S$
# (same configuration and seed).

# %%
forged_model, shuffled_model, retrained = (
    copy.deepcopy(init),
    copy.deepcopy(init),
    copy.deepcopy(init),
)
forged_run = forging.train_on_batches(
    forged_model, train, forged.batches, config, keep_checkpoints=True
)
shuffled_run = forging.train_on_batches(
    shuffled_model,
    train,
    forging.shuffle_within_batches(log.batches, SEED),
    config,
    keep_checkpoints=True,
)
retrain_log = forging.record_training(
    retrained, train.without(forget), config, keep_checkpoints=True
)
drift = forging.trajectory_distance(log, forged_run)
drift_noise = forging.trajectory_distance(log, shuffled_run)
n = min(len(drift), retrain_log.steps + 1)
drift_retrain = (log.checkpoints[:n].double() - retrain_log.checkpoints[:n].double()).norm(dim=1)
print(
    f"distance to the original after the last step: forged run {drift[-1]:.3f}, "
    f"shuffled run {drift_noise[-1]:.1e}, retrained on D \\ S {drift_retrain[-1]:.3f}"
)
ratio = float(drift[-1] / drift_retrain[-1])
verdict = (
    "ends further from the original than an honest retrain"
    if ratio >= 1
    else "ends barely closer to the original than an honest retrain"
    if ratio > 0.5
    else "ends much closer to the original than an honest retrain"
)
print(f"forged run's final distance / retrain's final distance: {ratio:.2f}: the forgery {verdict}")
print(
    f"forged run's distance right after the first forged step ({forged.forged_steps[0]}): "
    f"{drift[forged.forged_steps[0]]:.3f}"
)
print(
    "test accuracy: "
    + ", ".join(
        f"{k} {training.accuracy(m, test):.3f}"
        for k, m in (("original", net), ("forged run", forged_model), ("retrained", retrained))
    )
)

# %%
fig, ax = plt.subplots(figsize=(6.6, 4))
ax.plot(drift, color=viz.ROLE_COLORS["unlearned"], label="forged log, replayed from the start")
ax.plot(
    np.arange(n),
    drift_retrain,
    color=viz.ROLE_COLORS["retrained"],
    label="honest retrain on D \\ S",
)
ax.plot(
    drift_noise, color=viz.ROLE_COLORS["reference"], ls="--", label="same batches, shuffled order"
)
for k, t in enumerate(forged.forged_steps):
    ax.axvline(
        t,
        color=viz.ROLE_COLORS["forget"],
        alpha=0.4,
        lw=1,
        label="forged steps" if k == 0 else None,
    )
ax.set_yscale("log")
viz.label(
    ax,
    "Drift from the original trajectory",
    "SGD step",
    "||w - w_original|| (parameter units)",
    legend=True,
)
plt.show()

# %% [markdown]
# Read the figure from left to right. Before its first forged step (printed above) the forged run
# takes exactly the logged steps; S is spread over the data, so a batch that touches it comes
# almost at once and the gap opens right at the start (compare its printed size with one SGD step
# from section 4). The later forged steps add to the gap rather than close it. The shuffled run,
# which differs only in rounding, stays many orders of magnitude closer. The ratio printed above
# compares the forged run's final gap with the gap an honest retrain has, and it is the point of
# this section: replayed from the start, the approximate forgery ends 0.92 times as far from the
# original as a model honestly retrained without S: barely closer (one seed). As a copy of the
# original run it is almost as far off as a run that never saw S.
#
# Is such a forgery good enough? The authors of the attack thought so: Thudi et al. (2022) present
# their approximate forgeries as showing that the same model can be obtained from different data
# sets. Later work disputes it. Baluta et al. (CCS 2023) prove, for concrete checkpoints, that no
# other batch gives exactly the same step, although the same checkpoints count as forgeable under
# the earlier methodology: the difference lies in how precisely "the same" is defined, and they
# show that the small per-step errors grow into clearly different final models, as in the figure.
# Suliman et al. (2024) find that current forging attacks cannot produce gradients close enough:
# their errors are orders of magnitude above the reproduction error a verifier must tolerate, so a
# verifier can detect them, as our noise floors show.
#
# ## 6. What can an auditor conclude?
#
# Put the pieces together. An auditor who is shown only the final weights can compare them with
# nothing: least squares with on-the-line points (section 2, to float64 rounding) and the twin data
# set (section 3, to float32 rounding, bitwise on some seeds) give the same model with and without
# S. So a claim about the weights ("this model is close to one trained without S") cannot be
# audited, because the same weights have many possible histories (Thudi et al., 2022). Approximate
# forgeries are not that perfect: on a real network their per-step error sits far above the
# floating-point noise floor and grows when replayed (sections 4 and 5), so a verifier who holds
# the *logged checkpoints* can spot them (Baluta et al., 2023; Suliman et al., 2024). But that only
# helps when a log was committed to; the weights alone still say nothing.
#
# What *can* be audited is a claim about the algorithm that ran: "starting from this initial model,
# I ran `fit` with this seed on $D\setminus S$, and here is the log". The auditor replays it: every
# checkpoint must match, no batch may contain S, and the batches must be the ones the seed dictates.
# The next cell checks three logs against that claim.

# %%
retain = train.without(forget)
claims = {  # name: (initial model, claimed log, the data it claims to use, its forget set)
    "honest retrain on D \\ S": (init, retrain_log, retain, forget),
    "approximate forgery (original hashes)": (
        init,
        forging.TrainingRecord(config, forged.batches, log.hashes),
        train,
        forget,
    ),
    "twin forgery (its own hashes)": (
        lin0,
        forged_lin,
        twins.data.without(twins.forget_ids),
        twins.forget_ids,
    ),
}
for name, (start, claimed, d, s_ids) in claims.items():
    rep = forging.replay(start, d, claimed, forget_ids=s_ids, check_order=True)
    print(
        f"{name:40s} ok={rep.ok!s:5s}  first divergence={rep.first_divergence}  seeded "
        f"order={rep.order_ok}"
    )

# %% [markdown]
# Only the honest retrain passes. The approximate forgery diverges at its first forged step. The twin
# forgery replays perfectly, yet it is not what `fit` with its seed does on $D\setminus S$: its
# batches were hand-picked, and the seeded-order check exposes that. This is why exact methods with
# a replayable record are the auditable kind of unlearning: SISA (lecture 02) retrains the affected
# shard from a checkpoint with fixed seeds, so its claim "this shard's model is what training
# without S produces" can be replayed and compared bitwise. Approximate methods (lecture 04) make
# no such claim, and must be judged by statistical tests instead (lecture 05).
#
# Two limits remain. A replay proves that the logged run happened on the logged data; it cannot
# prove that the log is the one that made the deployed model unless the owner committed to the
# log (or its hashes) before anyone asked, and it cannot prove what a model "knows". And the check
# is only as strong as the claim is precise: Zhang et al. (ICML 2024) show that a provider who may
# choose its own retain-set batches can produce a valid-looking proof of retraining that still
# carries information about S, which is why the claim must fix the seed (and so the batches) in
# advance.

# %% [markdown]
# ## Check your understanding
#
# 1. In section 2, why does the argument need the remaining points to determine a unique fit?
#    <details><summary>Answer</summary>If the rest of the data is rank deficient (say one point
#    left for a line), many lines fit it perfectly, and $\hat\theta$ is only one of them: a
#    retraining algorithm could return another. The normal equations still hold at $\hat\theta$, but
#    they no longer single it out.</details>
# 2. Why does the closest-batch attack use plain SGD? What changes with momentum or Adam?
#    <details><summary>Answer</summary>With plain SGD the update is $-\eta g$ from the same
#    $w_{t-1}$, so the closest update is the closest gradient and one step's error says everything.
#    With momentum the step is $-\eta(\mu v + g)$: at that step the closest gradient still gives
#    the closest update, but $g$ also enters the buffer $v$, so its error is carried into every later
#    step even where the batches agree. With Adam the update is a nonlinear function of $g$
#    (divided by a running root mean square), so the closest gradient need not be the closest
#    update.</details>
# 3. The twin forgery reproduces the trajectory bitwise on this lecture's seed, and within float32
#    rounding on the other seeds of section 3. Which check in `replay` still rejects it, and what
#    claim does that check correspond to?
#    <details><summary>Answer</summary>The seeded-order check: the forged batches are not those
#    `batch_order` draws for $D\setminus S$ with the logged seed. It corresponds to the algorithmic
#    claim "I ran this training procedure with this seed on the retain set", which a forger who
#    picks batches by hand cannot honour.</details>
# 4. Why is the noise floor measured by recomputing the *same* step (same $w_{t-1}$, same batch) in
#    another summation order or precision, rather than by training twice with different seeds?
#    <details><summary>Answer</summary>The floor is the discrepancy a verifier cannot avoid when it
#    recomputes a logged step honestly: rounding. Training with another seed changes the batches
#    and measures the spread of SGD itself, which is many orders of magnitude larger and would make
#    any forgery look acceptable.</details>

# %% [markdown]
# ## What we measured

# %%
print(
    f"Replay: honest log reproduces all {honest.steps_checked} checkpoints (first divergence: "
    f"{honest.first_divergence}); tampered log diverges at checkpoint {caught.first_divergence} "
    f"(first step that used S: {first_s_step})."
)
print(
    f"Least squares: removing on-the-line points moves the fit by {change_on:.1e}; "
    f"an off-line point by {change_off:.3f}."
)
print(
    f"Twin forgery: {len(twins.forged_steps)} of {orig_lin.steps} steps forged; largest distance "
    f"to the "
    f"original {twin_gap.max():.1e}; {same_hashes}/{len(orig_lin.hashes)} checkpoint hashes "
    f"identical."
)
print(
    f"Twin forgery over seeds 0-7: built {len(built)}, bitwise at every checkpoint "
    f"{int(all_bitwise.sum())}, "
    f"largest gap {built['max_gap'].max():.1e} (shuffled order: {built['noise'].max():.1e})."
)
print(
    f"Closest-batch forgery (M = {M}): median per-step error {forged.errors.median():.2e} vs noise "
    f"floors "
    f"{floor_order:.1e} (order) and {floor_f64:.1e} (float64); one SGD step is {step_size:.2e}; "
    f"best of {M} vs one random batch: {gain.median():.2f}x the error; error / step imitated: "
    f"{miss.median():.2f}."
)
print(
    f"Replayed from the start, the forged run ends {drift[-1]:.3f} from the original "
    f"(shuffled-order run: {drift_noise[-1]:.1e}; honest retrain: {drift_retrain[-1]:.3f})."
)

# %% [markdown]
# ## References
#
# - A. Thudi, H. Jia, I. Shumailov, N. Papernot. *On the Necessity of Auditable Algorithmic
#   Definitions for Machine Unlearning*. USENIX Security Symposium, 2022.
#   <https://arxiv.org/abs/2110.11891>
# - T. Baluta, I. Nikolić, R. Jain, D. Aggarwal, P. Saxena. *Unforgeability in Stochastic Gradient
#   Descent*. ACM CCS, 2023. <https://doi.org/10.1145/3576915.3623093>
# - M. Suliman, A. Halimi, S. R. Kadhe, N. Baracaldo, D. Leith. *Towards a Re-evaluation of Data
#   Forging Attacks in Practice*. arXiv:2411.05658, 2024. <https://arxiv.org/abs/2411.05658>
# - B. Zhang, Z. Chen, C. Shen, J. Li. *Verification of Machine Unlearning is Fragile*. ICML, 2024.
#   <https://arxiv.org/abs/2408.00929>
# - L. Bourtoule et al. *Machine Unlearning*. IEEE Symposium on Security and Privacy, 2021.
#   <https://arxiv.org/abs/1912.03817>
