# Source of lectures/01_why_unlearn.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown]
# # Lecture 01: Why and what to unlearn
#
# A trained model carries traces of every example it saw. Sometimes one of those examples has to
# go: its owner withdrew consent, it was never licensed, it is out of date, or it was wrong. This
# lecture asks what "making a model forget" should mean, and shows how to *measure* it from models.
#
# **You will learn to**
# 1. name the reasons for unlearning (erasure rights, copyright, stale or poisoned data, correcting
#    and debugging a model) and see one of them move a decision boundary;
# 2. say what can be unlearned (explicit examples, latent information, concepts) and where (weights
#    or generations);
# 3. state exact and $(\varepsilon, \delta)$-approximate unlearning, and why both speak about
#    *distributions* of models;
# 4. train a few hundred small models at once and estimate $\varepsilon$ from them with the
#    estimator of the NeurIPS 2023 unlearning challenge, and know where that estimate stops
#    being trustworthy;
# 5. measure what the gold standard, retraining from scratch, costs as the data grows.
#
# **Prerequisites**: Python, PyTorch basics (a model, a loss, an optimiser), and probability at the
# level of "a histogram estimates a distribution".
# **Slides**: motivations (revoking access to data, correcting behaviour), what to unlearn, targets of
# unlearning, exact vs approximate unlearning, the gold standard of unlearning.
# **Time**: about 60 minutes; the notebook executes in well under a minute on a laptop CPU.

# %%
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

import unlearnkit
from unlearnkit import data, mia, models, training, viz
from unlearnkit.training import TrainConfig

SEED = 0
DEVICE = unlearnkit.device()  # tiny models: the CPU is the right place for them
torch.set_num_threads(1)  # tiny models train fastest on one thread
viz.use_style()

# %% [markdown]
# ## 1. Why would anyone want a model to forget?
#
# Reasons come in two families.
#
# **Revoke access to data.** Remove given training examples, for one of these reasons:
# - *the right to erasure*: Article 17 of the EU's GDPR lets a person ask a controller to erase their
#   personal data without undue delay (for instance when they withdraw consent); California's CCPA
#   gives a similar right to delete. If a model was trained on that data, is deleting the database
#   row enough?
# - *copyrighted data* that was used without a licence;
# - *stale data* that no longer describes the world;
# - *poisoned or mislabelled data*, planted by an attacker or entered by mistake.
#
# **Correct the model's behaviour.** Suppress harmful outputs (copyright-violating, dangerous,
# toxic or illegal, unfair or biased), and *debug* a model after training by removing the influence
# of outliers and corrupted inputs.
#
# The last two overlap: a mislabelled example is both data to revoke and a bug to fix. Let us see
# one. Two Gaussian blobs form a clean two-class problem; we relabel as class 0 the 30 training points
# of class 1 that lie furthest to the left, as a careless annotator or an attacker might.

# %%
train, test = data.make_blobs(400, centers=2, cluster_std=1.0, seed=SEED, test_fraction=0.25)
ones = train.ids[train.y == 1]
near = ones[train.subset(ones).X[:, 0].argsort()[:30]]  # the 30 leftmost class-1 points
poisoned = data.relabel(train, near, 0)  # the forget set S: 30 ids with wrong labels
cfg_lr = TrainConfig(optimizer="sgd", lr=0.2, momentum=0.9, batch_size=32, epochs=30, seed=SEED)


def train_logreg(d, seed=SEED):
    net = models.logistic_regression(2, 2, seed=seed)
    training.fit(net, d, cfg_lr.replace(seed=seed))
    return net


with_S = train_logreg(poisoned)
without_S = train_logreg(poisoned.without(near))  # the gold standard: retrain on D \ S
acc_with, acc_without = training.accuracy(with_S, test), training.accuracy(without_S, test)
print(f"test accuracy trained on D (with the 30 mislabelled points): {acc_with:.3f}")
print(f"test accuracy retrained on D \\ S:                          {acc_without:.3f}")
spread = {
    name: [training.accuracy(train_logreg(d, SEED + i), test) for i in range(5)]
    for name, d in (("D", poisoned), ("D \\ S", poisoned.without(near)))
}
print(
    "over 5 seeds (initial weights, batch order): "
    + ", ".join(f"{name} {min(v):.3f} to {max(v):.3f}" for name, v in spread.items())
)


# %%
def boundary(ax, net, colour, name):
    """Draw the 0.5-probability contour of a 2-class model over the current axes."""
    gx, gy = np.meshgrid(np.linspace(-4, 7, 200), np.linspace(-3, 9, 200))
    grid = torch.tensor(np.c_[gx.ravel(), gy.ravel()], dtype=torch.float32)
    p = training.predict_proba(net, grid)[:, 1].reshape(gx.shape).numpy()
    ax.contour(gx, gy, p, levels=[0.5], colors=[colour], linewidths=2)
    ax.plot([], [], color=colour, lw=2, label=name)


fig, ax = plt.subplots(figsize=(9, 4.6))
for c, marker, colour in ((0, "o", viz.PALETTE["sky"]), (1, "s", viz.PALETTE["purple"])):
    pts = train.X[(poisoned.y == c) & ~poisoned.tags["relabelled"]]
    ax.scatter(
        pts[:, 0], pts[:, 1], s=12, marker=marker, color=colour, alpha=0.7, label=f"class {c}"
    )
bad = poisoned.subset(near).X
ax.scatter(
    bad[:, 0],
    bad[:, 1],
    s=40,
    marker="x",
    color=viz.ROLE_COLORS["forget"],
    label="S: relabelled 1 -> 0",
)
boundary(ax, with_S, viz.ROLE_COLORS["original"], f"trained on D (test acc {acc_with:.2f})")
boundary(
    ax, without_S, viz.ROLE_COLORS["retrained"], f"retrained on D \\ S (test acc {acc_without:.2f})"
)
viz.label(
    ax, "Removing 30 mislabelled points moves the boundary", "feature 1 (a.u.)", "feature 2 (a.u.)"
)
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
plt.show()

# %% [markdown]
# The mislabelled points drag the boundary into class 1's territory; retraining without them puts
# it back, and the test accuracy printed above says by how much it mattered: the ranges over five
# seeds do not overlap, so the gap is not run-to-run noise. Notice what the request named: **ids**
# (`near`), not row positions. Row positions change as soon as anything is added or removed; an
# erasure request must name something that stays put, so every `Dataset` in this course carries
# stable integer `ids`.
#
# Retraining removes an example's *influence*. It does not promise that the model stops *producing*
# what that example says: if other examples teach the same thing (near-duplicates, the same picture
# copied across the web), the retrained model says it too. Lecture 02 (section 5) shows this with an
# example removed exactly while four near-copies stay in the data: the ensemble keeps giving the
# secret label until almost every copy is gone. This is the slides' second problem with the gold
# standard: **retraining does not guarantee output suppression.** If the goal is "the model must
# never say X", deleting the examples that were named may not be enough, and the right tools are
# elsewhere (lecture 07, and lecture 08 on guardrails).
#
# ## 2. What exactly are we asked to forget?
#
# | what | example | can we point at the training rows? |
# | --- | --- | --- |
# | explicit information: examples that were in the training set and updated the weights | one person's record; the 30 relabelled points above | yes: the forget set S is a list of ids |
# | latent and inferred information: never shown, but derivable from what was learned | a person's address inferred from their friends' posts | no: it is a consequence of many rows |
# | higher-order concepts: abstractions, knowledge, capabilities, skills | an art style, how to synthesise a dangerous chemical | no, and the scope of the concept is itself unclear |
#
# And *where* the forgetting should show: in the **model weights** (what training produced: the
# model should be as if S had never been used), or in the **model generations** (what inference
# produces: the model's behaviour on certain inputs). Lectures 01 to 05 work on weights and specific
# training examples; lectures 06, 07 and 08 turn to generations
# and concepts in language models.
#
# ## 3. What does "forgotten" mean, exactly?
#
# Notation used in the whole course: $D$ the training set, $S \subseteq D$ the **forget set**,
# $D \setminus S$ the **retain set**, $A$ the (randomised) training algorithm, $U$ the unlearning
# algorithm. The **retrained** model is $A(D \setminus S)$; the **unlearned** model is $U(A(D), S, D)$.
# Training is random (initial weights, data order), so both are *distributions* over models.
#
# - **Exact unlearning**: $U(A(D), S, D)$ has the same distribution as $A(D \setminus S)$. The
#   influence of S is fully gone ($\varepsilon = \delta = 0$ below).
# - **$(\varepsilon, \delta)$-approximate unlearning**: for every set $T$ of possible outcomes,
#
# $$\Pr[U(A(D), S, D) \in T] \le e^{\varepsilon} \Pr[A(D \setminus S) \in T] + \delta
#   \quad\text{and}\quad
#   \Pr[A(D \setminus S) \in T] \le e^{\varepsilon} \Pr[U(A(D), S, D) \in T] + \delta .$$
#
# The influence of S is reduced, not removed: the two distributions are statistically close. The
# definition has the shape of differential privacy and, like it, is **two-sided**: an unlearned
# model that looks *too* forgetful (the forget set looks stranger to it than to any retrained model)
# fails it as surely as one that still remembers.
#
# How could we check such a statement? The definition compares two *distributions*: the models that
# the randomised algorithms $U$ and $A$ produce, run after run. One trained model is a single draw from
# one of them, and a single draw says nothing about how likely a set $T$ is. We need **many models**
# from each side (many runs with different seeds), and a test that tries to tell them apart.
# Each test (say "the model's confidence on the target example is above $t$") calls a model
# *positive* when it thinks the model came from one side (here: from $U$). Its false positive rate
# FPR is the fraction of models from the other side called positive, its false negative rate FNR the
# fraction of models from that side called negative, and the definition forces
# $\mathrm{FPR} + e^{\varepsilon}\,\mathrm{FNR} \ge 1 - \delta$ and the same with the two swapped. So each
# test proves a *lower bound*
#
# $$\varepsilon \ge \max\big(\ln(1 - \delta - \mathrm{FPR}) - \ln \mathrm{FNR},\;
#   \ln(1 - \delta - \mathrm{FNR}) - \ln \mathrm{FPR}\big).$$
#
# ## 4. How different are models trained with and without one point?
#
# A small two-moons problem with one extra example: a point deep in the lower moon, labelled as the
# upper moon. It is our target, the forget set $S$ of size 1. We train **three groups of models**
# that differ only in their seeds (initial weights and data order): *original* models on $D$,
# *retrained* models on $D \setminus S$, and a second, independent group of retrained models that
# will tell us how large $\varepsilon$ looks when there is nothing to find.

# %%
moons = data.make_moons(100, noise=0.15, seed=SEED)
target = data.Dataset(
    torch.tensor([[1.5, -0.3]]), torch.tensor([0]), torch.tensor([len(moons)]), {}, 2, "target"
)
D = moons.concat(target)
N = 200  # models per group
masks = torch.ones(3 * N, len(D), dtype=torch.bool)
masks[N:, D.positions(target.ids)] = False  # groups 2 and 3 never see the target
cfg = TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=32, steps=300)
start = time.perf_counter()
many = training.fit_many(models.mlp(2, 2, 16), D, masks, cfg, seed=SEED)
t_many = time.perf_counter() - start
print(
    f"{len(many)} MLPs x {many.steps} steps ({many.grad_evals:,} gradient evaluations) in "
    f"{t_many:.1f} s"
)

# %% [markdown]
# One call trained all of them: `fit_many` stacks the models' weights into tensors with a leading
# model dimension and computes every model's gradient on its own minibatch with `torch.func.vmap`.
# Model `i` follows the same recipe as `fit` with the seeds `training.model_seeds(SEED, i)`; let us
# check that on a few models, and time the Python loop we avoided.

# %%
start = time.perf_counter()
gaps = []
for i in range(0, 3 * N, 150):  # 4 of the 600 models, one by one
    init_seed, order_seed = training.model_seeds(SEED, i)
    net = models.mlp(2, 2, 16, seed=init_seed)
    training.fit(net, D.where(masks[i]), cfg.replace(seed=order_seed))
    mine, batched = net.state_dict(), many.model(i).state_dict()
    gaps.append(max(float((mine[k] - batched[k]).abs().max()) for k in mine))
per_model = (time.perf_counter() - start) / len(gaps)
print(f"largest weight difference, batched vs one at a time: {max(gaps):.1e}")
print(
    f"one at a time: {per_model:.2f} s per model, so about {per_model * len(many):.0f} s for all "
    f"{len(many)} "
    f"(batched: {t_many:.1f} s, {per_model * len(many) / t_many:.0f}x faster)"
)


# %% [markdown]
# Which number should we compare across models? Following LiRA (Carlini et al., 2022) and the
# NeurIPS 2023 challenge we use the **LiRA-scaled confidence** on the target,
# $\phi = \log p_y - \log \sum_{y' \ne y} p_{y'}$: the logit of the model's probability for the
# target's label. Over training runs it is roughly Gaussian, which makes thresholds on it behave well.


# %%
def phi_on_target(group):
    """LiRA-scaled confidence (nats) of every model in `group` on the target example: shape (m,)."""
    return mia.lira_phi(group.logits(target), target.y)[:, 0]


phi = phi_on_target(many)
phi_orig, phi_retr, phi_retr2 = phi[:N], phi[N : 2 * N], phi[2 * N :]
p_label = {}  # two classes: phi is the logit of p, so p = sigmoid(phi)
for name, v in (
    ("original", phi_orig),
    ("retrained", phi_retr),
    ("retrained, 2nd group", phi_retr2),
):
    p_label[name] = 1 / (1 + np.exp(-np.median(v)))
    print(
        f"{name:>21}: median phi {np.median(v):6.2f} (P(target's label) {p_label[name]:.3f}), "
        f"spread (IQR) {np.subtract(*np.percentile(v, [75, 25])):.2f}"
    )
print(
    f"the original models give the target's label "
    f"{p_label['original'] / p_label['retrained']:.0f}x the probability"
)

# %% [markdown]
# Now a cheap **approximate** unlearning method: start from each original model and fine-tune it for
# a few steps on the retain set $D \setminus S$ only (lecture 04 studies such methods properly). We
# fine-tune in chunks, keeping the models after 10, 20, 40, ... steps, so the effect of the number of
# steps can be seen. Each chunk is `fit_many(..., init=previous)`: it continues from the previous
# weights with a fresh optimiser (momentum restarts, so the path is not perfectly smooth) and its own
# seed.

# %%
originals = many.select(range(N))
retain_masks = masks[N : 2 * N]  # the same rows without the target
ft_cfg = TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=32, steps=10)
FT_STEPS = [0, 10, 20, 40, 80, 160, 320]
phi_ft, current = {0: phi_orig}, originals
for before, after in zip(FT_STEPS[:-1], FT_STEPS[1:]):
    current = training.fit_many(
        models.mlp(2, 2, 16),
        D,
        retain_masks,
        ft_cfg.replace(steps=after - before),
        seed=unlearnkit.derive_seed(SEED, "fine-tune", after),
        init=current,
    )
    phi_ft[after] = phi_on_target(current)
print(
    "median phi after k fine-tuning steps:",
    {k: round(float(np.median(v)), 2) for k, v in phi_ft.items()},
)


# %%
def histograms(ax, k):
    """Overlaid histograms of phi: retrained, original, and fine-tuned for k steps."""
    bins = np.linspace(min(phi.min(), min(v.min() for v in phi_ft.values())), phi.max(), 50)
    for v, role, name in (
        (phi_retr, "retrained", "retrained on D \\ S"),
        (phi_orig, "original", "original (trained on D)"),
        (phi_ft[k], "unlearned", f"fine-tuned {k} steps on D \\ S"),
    ):
        ax.hist(v, bins, histtype="stepfilled", alpha=0.25, color=viz.ROLE_COLORS[role])
        ax.hist(v, bins, histtype="step", lw=2, color=viz.ROLE_COLORS[role], label=name)
    viz.label(
        ax,
        f"phi on the target over {N} models per group",
        "LiRA-scaled confidence phi (nats)",
        "models",
        legend=True,
    )


fig, ax = plt.subplots(figsize=(7, 4))
histograms(ax, 40)
plt.show()

# %% [markdown]
# Read the medians as probabilities (printed above the histograms). The target's label (the upper
# moon's) is wrong for a point deep in the lower moon, and neither group believes it: the original
# models give it a median probability of about 0.13, the retrained models about 0.01. Training on the target
# made that probability more than ten times larger (the ratio printed above), and that difference is
# the trace an auditor can measure. Forty fine-tuning steps move the original models towards the retrained ones, but not all
# the way. How far apart, in $\varepsilon$?
#
# ## 5. How large is epsilon, and how far can we trust the number?
#
# `mia.empirical_epsilon` is the estimator of the NeurIPS 2023 challenge: it tries a grid of
# thresholds (100 per unit of $\phi$, single thresholds and intervals), computes FPR and FNR for each,
# turns each pair into the lower bound above, drops thresholds where exactly one rate is zero (too
# little data), and reports the largest. We use the challenge's $\delta = 10^{-5}$.

# %%
DELTA = 1e-5
eps_orig = mia.empirical_epsilon(phi_orig, phi_retr, DELTA)
eps_ft = {k: mia.empirical_epsilon(v, phi_retr, DELTA) for k, v in phi_ft.items()}
eps_floor = mia.empirical_epsilon(phi_retr2, phi_retr, DELTA)
eps_cap = mia.max_finite_epsilon(N, N, DELTA)
print(f"epsilon at delta={DELTA:g}: original vs retrained  {eps_orig:.2f}")
for k in FT_STEPS[1:]:
    print(f"                      fine-tuned {k:3d} steps     {eps_ft[k]:.2f}")
print(f"          retrained vs retrained (no difference!) {eps_floor:.2f}")
print(f"largest finite value possible with N={N}: ln(N - 1 - N delta) = {eps_cap:.2f}")
best40 = mia.empirical_epsilon(phi_ft[40], phi_retr, DELTA, details=True)
print(
    f"fine-tuned 40 steps, best rule: {best40.family} "
    f"{tuple(round(t, 2) for t in best40.threshold)}, positive = "
    f"{best40.positive}; FPR {best40.fpr:.3f}, FNR {best40.fnr:.3f}"
)

# %% [markdown]
# Two numbers in that table should make you suspicious.
#
# 1. **The ceiling.** With $N$ models per side the smallest non-zero rate is $1/N$, so no threshold can
#    show more than $\ln(N - 1 - N\delta) \approx \ln(N-1)$ (unless the samples separate perfectly, which
#    the challenge scores as 50). The original models sit at or near that ceiling: the estimate says
#    "at least this much", and the truth could be far larger.
# 2. **The floor.** Two groups of retrained models come from the *same* distribution, so the true
#    $\varepsilon$ is 0; the estimate is not, because it is the *maximum* over thousands of noisy
#    thresholds. Any method that scores near this floor is indistinguishable from retraining at this
#    sample size.
#
# A third point hides in the table. Forty fine-tuning steps shifted the whole histogram of section 4,
# yet $\varepsilon$ barely moved, because the estimate rests on the best rule alone (the last line
# above): a threshold on $\phi$ that only a fraction FPR of the retrained models pass while a fraction
# FNR of the fine-tuned models fail it proves $\varepsilon \ge \ln(1 - \delta - \mathrm{FNR}) -
# \ln \mathrm{FPR}$. One retrained model in 200 above the threshold is enough for a value near the
# ceiling, whatever the bulk of the two histograms does.
#
# **How much would the table move with other seeds?** Every number in it comes from one run of the
# whole experiment: one draw of 200 models per group. We repeat sections 4 and 5 (training, fine-tuning,
# estimates) with four more seeds, all models of a repeat in one `fit_many` call.

# %%
REPEATS = 4  # further independent runs of the whole experiment
rep = training.fit_many(
    models.mlp(2, 2, 16),
    D,
    masks.repeat(REPEATS, 1),
    cfg,
    seed=unlearnkit.derive_seed(SEED, "repeats"),
)
rep_phi = phi_on_target(rep).reshape(
    REPEATS, 3 * N
)  # run r: originals, retrained, retrained (2nd group)
current, rep_ft = (
    rep.select([r * 3 * N + i for r in range(REPEATS) for i in range(N)]),
    {0: rep_phi[:, :N]},
)
for before, after in zip(FT_STEPS[:-1], FT_STEPS[1:]):
    current = training.fit_many(
        models.mlp(2, 2, 16),
        D,
        retain_masks.repeat(REPEATS, 1),
        ft_cfg.replace(steps=after - before),
        seed=unlearnkit.derive_seed(SEED, "repeats", "fine-tune", after),
        init=current,
    )
    rep_ft[after] = phi_on_target(current).reshape(REPEATS, N)
runs_eps = {
    k: [eps_ft[k]]
    + [mia.empirical_epsilon(v[r], rep_phi[r, N : 2 * N], DELTA) for r in range(REPEATS)]
    for k, v in rep_ft.items()
}  # first entry: the run of the table above
runs_floor = [eps_floor] + [
    mia.empirical_epsilon(rep_phi[r, 2 * N :], rep_phi[r, N : 2 * N], DELTA) for r in range(REPEATS)
]
print(f"epsilon over {REPEATS + 1} independent runs, smallest to largest:")
for k in FT_STEPS:
    print(
        f"  {'original' if k == 0 else f'fine-tuned {k:3d} steps':>22}: {min(runs_eps[k]):.2f} to "
        f"{max(runs_eps[k]):.2f}"
    )
print(f"  {'retrained vs retrained':>22}: {min(runs_floor):.2f} to {max(runs_floor):.2f}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 4))
pos = np.arange(len(FT_STEPS))  # steps on an even grid: 0 cannot go on a log axis
for r in range(REPEATS + 1):
    ax.plot(
        pos,
        [runs_eps[k][r] for k in FT_STEPS],
        "o-",
        color=viz.ROLE_COLORS["unlearned"],
        lw=2 if r == 0 else 1,
        alpha=1 if r == 0 else 0.45,
        label={0: "fine-tuned vs retrained, the run above", 1: "the same, other seeds"}.get(r),
    )
ax.axhspan(
    min(runs_floor),
    max(runs_floor),
    color=viz.ROLE_COLORS["retrained"],
    alpha=0.25,
    label="retrained vs retrained (floor): range over the runs",
)
ax.axhline(
    eps_cap,
    ls="--",
    color=viz.ROLE_COLORS["forget"],
    label=f"ceiling ln(N-1-N delta) = {eps_cap:.2f}",
)
ax.set_xticks(pos, ["0\n(original)"] + [str(k) for k in FT_STEPS[1:]])
ax.set_ylim(0, 6)
viz.label(
    ax,
    f"Run-to-run spread of epsilon ({REPEATS + 1} runs, N = {N} per group)",
    "fine-tuning steps on D \\ S",
    f"estimated epsilon at delta = {DELTA:g}",
    legend=True,
)
ax.legend(loc="center left", bbox_to_anchor=(0.0, 0.55), fontsize=8)
plt.show()

# %% [markdown]
# The faint lines are the other seeds; the ranges are printed above. The original models sit at the
# ceiling in every run, and even 10 steps of fine-tuning lie below their range. From 10 to 80 steps
# each row's range overlaps the next row's, so the table cannot order neighbouring rows there: 10
# against 20 steps, or 20 against 40, is run-to-run noise. Only the drift over several rows is real,
# and 160 and 320 steps come down clearly. At 320 steps the runs spread over about one unit of
# $\varepsilon$, yet every one of them stays above the floor's range: fine-tuning has not reached
# "indistinguishable from retraining" in any run. Read a single estimate with that spread in mind.
#
# Is the estimator itself right? Two Gaussians with equal variance, $\mathcal N(0, 1)$ against
# $\mathcal N(\mu, 1)$, have a known exact curve
# $\delta(\varepsilon) = \Phi(\mu/2 - \varepsilon/\mu) - e^{\varepsilon}\Phi(-\mu/2 - \varepsilon/\mu)$
# (Balle & Wang, 2018), and the best test there is a single threshold. With many samples and a generous $\delta$ the estimate should match the exact value:

# %%
rng = np.random.default_rng(SEED)
M, DRAWS = 200_000, 5
for mu in (0.5, 1.0):
    ests = [
        mia.empirical_epsilon(rng.normal(mu, 1, M), rng.normal(0, 1, M), 0.01) for _ in range(DRAWS)
    ]
    exact_mu = mia.gaussian_epsilon(0.01, mu)
    print(
        f"mu={mu}: {M:,} samples per side, delta=0.01: exact {exact_mu:.3f}; {DRAWS} independent "
        f"estimates "
        f"{min(ests):.3f} to {max(ests):.3f} ({100 * (min(ests) - exact_mu) / exact_mu:+.1f}% to "
        f"{100 * (max(ests) - exact_mu) / exact_mu:+.1f}%)"
    )

# %% [markdown]
# Each line shows the exact value and the range of five estimates from independent samples: the
# estimates lie within a few percent of the exact value, mostly above it (a maximum over thresholds
# leans upwards), and their scatter is the sampling error of the small tail rates that the best
# threshold rests on (the course repository's test suite, for
# instructors, checks the estimator with a tolerance derived from that error). Now
# the course's scale: $N = 200$ per side and $\delta = 10^{-5}$, for Gaussians that are
# further and further apart.

# %%
MUS = np.linspace(0, 6, 13)
exact = np.array([mia.gaussian_epsilon(DELTA, mu) if mu > 0 else 0.0 for mu in MUS])
draws = np.array(
    [
        [mia.empirical_epsilon(rng.normal(mu, 1, N), rng.normal(0, 1, N), DELTA) for _ in range(5)]
        for mu in MUS
    ]
)
fig, ax = plt.subplots()
ax.plot(MUS, exact, color=viz.ROLE_COLORS["reference"], label="exact epsilon (closed form)")
finite = np.where(draws < mia.EPSILON_CAP, draws, np.nan)
ax.plot(
    np.repeat(MUS, 5),
    finite.ravel(),
    "o",
    ms=4,
    alpha=0.6,
    color=viz.ROLE_COLORS["unlearned"],
    label=f"estimates, N={N} (5 draws each)",
)
ax.axhline(
    eps_cap,
    ls="--",
    color=viz.ROLE_COLORS["forget"],
    label=f"ceiling ln(N-1-N delta) = {eps_cap:.2f}",
)
ax.set_ylim(0, 12)
viz.label(
    ax,
    f"Estimated vs exact epsilon at delta = {DELTA:g}",
    "distance between the means mu (standard deviations)",
    "epsilon",
    legend=True,
)
plt.show()
n_separated = int((draws >= mia.EPSILON_CAP).sum())
above = finite > exact[:, None] + 1e-9  # estimates above the exact value (nan compares False)
print(f"draws scored as perfectly separated (50, not plotted): {n_separated} of {draws.size}")
print(
    f"estimates above the exact epsilon: {int(above.sum())} of {draws.size}, at mu = "
    + ", ".join(f"{m:g}" for m in MUS[above.any(axis=1)])
)


# %% [markdown]
# At $\delta = 10^{-5}$ the exact $\varepsilon$ grows fast with $\mu$, while the estimates stop at the
# ceiling (and jump to 50 once the two samples no longer overlap). Where the distributions are close
# they sit *above* the exact value (0 at $\mu = 0$; the last line printed says where): the
# max-over-thresholds bias. So at course scale the estimator **ranks** methods (more distinguishable,
# larger estimate, up to the ceiling) but does not **measure** $\varepsilon$: read every value as a
# noisy lower bound that cannot exceed about $\ln(N-1)$. The challenge used 512 models per side for
# this reason, and still scored every estimate at or above $\lceil \ln 511 \rceil = 7$ as 0.
#
# Now explore: how does $\varepsilon$ change with the number of fine-tuning steps? The figure just
# below is the static version at 40 steps (the histograms of section 4, with the epsilons in the title);
# the slider under it redraws it for any number of steps.


# %%
def explore(k=40):
    fig, ax = plt.subplots(figsize=(7, 4))
    histograms(ax, k)
    ax.set_title(
        f"fine-tuned {k} steps: epsilon {eps_ft[k]:.2f}\n(original {eps_orig:.2f}, "
        f"floor {eps_floor:.2f}, ceiling {eps_cap:.2f})",
        fontsize=10,
    )
    plt.show()


explore(40)  # the static figure (what the widget shows first)

# %%
widgets.interact(
    explore, k=widgets.SelectionSlider(options=FT_STEPS, value=40, description="steps")
)

# %% [markdown]
# ## 6. What does the gold standard cost?
#
# Retraining from scratch is exact by definition. Its problem is cost: every request pays for a whole
# training run on $D \setminus S$. We measure one retraining run (a fixed number of epochs of a small
# MLP) as the training set grows.

# %%
SIZES = [1000, 2000, 4000, 8000, 16000]
seconds, grad_evals = [], []
cfg_cost = TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=64, epochs=5, seed=SEED)
for n in SIZES:
    d = data.make_moons(n, noise=0.2, seed=SEED)
    log = training.fit(models.mlp(2, 2, 64, seed=SEED), d, cfg_cost)
    seconds.append(log.seconds)
    grad_evals.append(log.grad_evals)
fig, (ax_g, ax_s) = plt.subplots(1, 2, figsize=(10, 3.8))
ax_g.plot(
    SIZES,
    grad_evals,
    "o-",
    color=viz.ROLE_COLORS["retrained"],
    label="one retraining run (5 epochs)",
)
viz.label(
    ax_g,
    "Work: gradient evaluations",
    "training set size n (examples)",
    "gradient evaluations",
    legend=True,
)
ax_s.plot(SIZES, seconds, "o-", color=viz.ROLE_COLORS["retrained"], label="the same runs")
viz.label(
    ax_s,
    "Wall-clock time (noisy)",
    "training set size n (examples)",
    "wall-clock time (s)",
    legend=True,
)
for ax in (ax_g, ax_s):
    ax.set_ylim(0, None)
fig.suptitle("Retraining from scratch grows with the data")
plt.show()
for n, s, g in zip(SIZES, seconds, grad_evals):
    print(f"n = {n:5d}: {g:7,d} gradient evaluations, {s:.2f} s")

# %% [markdown]
# The work grows in proportion to the data: 5 epochs are about $5n$ gradient evaluations (left). The
# seconds (right) follow the same trend, but they are noisy on a shared machine and carry a fixed
# overhead per run, so they need not double exactly when $n$ doubles. Either way, every deletion
# request pays the whole run again: a thousand requests against a data set of a few million examples
# means a thousand full training runs. For a large language model that is not an option, which is
# why the rest of the course looks for cheaper routes: exact ones that retrain only a part of the model
# (lecture 02, SISA) and approximate ones that must then be *measured*, with tools like the
# $\varepsilon$ estimate above (lectures 04 and 05).
#
# ## Check your understanding
#
# 1. A user asks for their example to be deleted. The company deletes the row from its database but
#    keeps the trained model. Which motivation is left unaddressed, and why?
# <details><summary>Answer</summary>
# The right to erasure asks that the personal data stop being used; the model was trained on it and
# may still carry its influence (a membership inference attack could even reveal that it was used).
# Deleting the row only stops future training runs from using it.
# </details>
#
# 2. Why does the $(\varepsilon, \delta)$ definition need two inequalities?
# <details><summary>Answer</summary>
# With only the first, an unlearning method could make the forget set look *less* familiar than any
# retrained model would (for instance, drive its confidence far below the retrained models'), which
# is itself a detectable trace. The second inequality rules that out: unlearned and retrained models
# must be hard to tell apart in both directions.
# </details>
#
# 3. The estimate for 200 original vs 200 retrained models came out just under the ceiling printed in
# section 5. Does that mean the original models are only that distinguishable from retrained ones?
# <details><summary>Answer</summary>
# No. $\ln(N - 1 - N\delta)$ with $N = 200$ is the largest finite value any threshold can show, so the
# estimate is pinned to the ceiling; the true $\varepsilon$ may be much larger. More models raise the
# ceiling only logarithmically.
# </details>
#
# 4. Two groups of retrained models give $\varepsilon > 0$. Is the estimator broken?
# <details><summary>Answer</summary>
# No: it is a maximum over many thresholds of noisy rate estimates, so it is biased upwards, most at
# small $N$. That value is a floor to compare methods against, not evidence of a difference.
# </details>
#
# ## What we measured

# %%
acc_D, acc_DS = spread.values()  # the 5-seed accuracies of section 1
print(
    f"Poisoning: test accuracy {acc_with:.3f} with 30 mislabelled points, {acc_without:.3f} after "
    f"retraining without them "
    f"(5 seeds: {min(acc_D):.3f} to {max(acc_D):.3f} and {min(acc_DS):.3f} to {max(acc_DS):.3f})."
)
print(
    f"Target of section 4: median P(its label) {p_label['original']:.3f} under the original "
    f"models, "
    f"{p_label['retrained']:.3f} under the retrained ones."
)
print(
    f"Batched training: {len(many)} models x {many.steps} steps in {t_many:.1f} s, about "
    f"{per_model * len(many) / t_many:.0f}x faster than one at a time (extrapolated from "
    f"{len(gaps)} models)."
)
print(
    f"Epsilon at delta = {DELTA:g} with N = {N} models per group: original {eps_orig:.2f}, "
    f"fine-tuned 40 / 320 steps {eps_ft[40]:.2f} / {eps_ft[320]:.2f}, retrained vs retrained "
    f"{eps_floor:.2f}, "
    f"ceiling {eps_cap:.2f}."
)
print(
    f"Over {REPEATS + 1} runs: original {min(runs_eps[0]):.2f} to {max(runs_eps[0]):.2f}, "
    f"fine-tuned 320 steps "
    f"{min(runs_eps[320]):.2f} to {max(runs_eps[320]):.2f}, retrained vs retrained "
    f"{min(runs_floor):.2f} to {max(runs_floor):.2f}."
)
print(
    f"Retraining cost: {seconds[0]:.2f} s for n = {SIZES[0]} to {seconds[-1]:.2f} s for n = "
    f"{SIZES[-1]} "
    f"({grad_evals[-1] / grad_evals[0]:.1f}x the gradient evaluations for "
    f"{SIZES[-1] / SIZES[0]:.0f}x the data)."
)

# %% [markdown]
# ## References
#
# - European Parliament and Council, *Regulation (EU) 2016/679 (General Data Protection Regulation)*,
#   Article 17 "Right to erasure", 2016. <https://eur-lex.europa.eu/eli/reg/2016/679/oj>
# - State of California, *California Consumer Privacy Act*, Civil Code 1798.105 "Right to delete", 2018.
#   <https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=1798.105>
# - Y. Cao and J. Yang, "Towards Making Systems Forget with Machine Unlearning", IEEE Symposium on
#   Security and Privacy, 2015. <https://doi.org/10.1109/SP.2015.35>
# - L. Bourtoule, V. Chandrasekaran, C. A. Choquette-Choo, H. Jia, A. Travers, B. Zhang, D. Lie,
#   N. Papernot, "Machine Unlearning", IEEE Symposium on Security and Privacy, 2021.
#   <https://arxiv.org/abs/1912.03817>
# - N. Carlini, S. Chien, M. Nasr, S. Song, A. Terzis, F. Tramer, "Membership Inference Attacks From
#   First Principles", IEEE Symposium on Security and Privacy, 2022. <https://arxiv.org/abs/2112.03570>
# - E. Triantafillou, P. Kairouz, F. Pedregosa, J. Hayes, M. Kurmanji, K. Zhao, V. Dumoulin, et al.,
#   "Are we making progress in unlearning? Findings from the first NeurIPS unlearning competition",
#   arXiv, 2024. <https://arxiv.org/abs/2406.09073> (evaluation code:
#   <https://github.com/google-deepmind/unlearning_evaluation>)
# - B. Balle and Y.-X. Wang, "Improving the Gaussian Mechanism for Differential Privacy: Analytical
#   Calibration and Optimal Denoising", ICML, 2018. <https://arxiv.org/abs/1805.06530>
