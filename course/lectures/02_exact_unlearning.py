# Source of lectures/02_exact_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown]
# # Lecture 02: Exact unlearning with summation form and SISA
#
# Someone asks you to delete their example from a trained model. The answer nobody can argue with is
# to throw the model away and train a new one without that example. This lecture measures what that
# costs, and then looks at two designs that make the same exact answer cheap: learners that only
# keep sums (Cao & Yang, 2015), and SISA's shards, slices and checkpoints (Bourtoule et al., 2021).
#
# **You will learn to**
# 1. measure the cost of retraining from scratch, in gradient evaluations and in seconds, as the data grows;
# 2. remove an example from a summation-form learner (ridge regression, naive Bayes) so that the result
#    equals a refit, and recognise the float32 trap;
# 3. train a SISA ensemble, process an unlearning request from the right checkpoint, *prove* that
#    the result is exact, bitwise, and say exact relative to what (the partition and step schedule
#    fixed when the shards were built);
# 4. weigh what SISA buys (the speed-up $3RS/(2R+1)$ for a single request) against what it costs
#    (accuracy as the shards shrink, and a gain that fades when many requests arrive together);
# 5. explain why exact removal of one example does not guarantee that the model stops producing
#    what that example taught, and how training on licensed data only turns a licence problem into an
#    unlearning request.
#
# **Prerequisites**: lecture 01 (forget set S, retain set D \ S, the gold standard of retraining,
# exact vs approximate unlearning).
# **Slides**: the gold standard of unlearning and its problems; exact unlearning (Cao & Yang's
# summation form, SISA by Bourtoule et al.); training on non-copyrighted data only (CommonCanvas).
# **Time**: about 75 minutes; the notebook executes in under a minute on a laptop CPU.

# %%
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import Ridge
from sklearn.naive_bayes import GaussianNB, MultinomialNB

import unlearnkit
from unlearnkit import data, exact, models, sisa, training, viz

SEED = 0
DEVICE = unlearnkit.device()  # the models here are tiny: the CPU is the right place for them
torch.set_num_threads(1)  # tiny models train fastest on one thread; exactness is per thread count
viz.use_style()

# %% [markdown]
# ## 1. What does the gold standard cost?
#
# Exact unlearning asks for a model that is distributed *exactly* like one trained without the forget
# set S. Retraining from scratch on D \ S gives that by definition, so it is the gold standard. Its
# price is a whole training run for every request. How does that price grow with the data?
#
# We use MNIST-1D (4000 training and 1000 test sequences of length 40, ten classes) and one small MLP
# trained with SGD for 20 epochs. We count the work in **gradient evaluations** (one example's forward
# and backward pass), which does not depend on the machine, and also in seconds, which does.

# %%
train, test = data.load_mnist1d()
CONFIG = training.TrainConfig(
    optimizer="sgd", lr=0.1, momentum=0.9, batch_size=64, epochs=20, seed=SEED
)


def model_fn(seed):
    """The one architecture of this lecture: an MLP 40 -> 64 -> 10 built from a seed."""
    return models.mlp(train.n_features, train.num_classes, (64,), seed=seed)


print(train, test, sep="\n")
print(f"model: {models.count_parameters(model_fn(SEED))} parameters")

# %% [markdown]
# For several sizes n we take a random subset of n training examples, ask to forget one of them, and
# let `exact.retrain` train a fresh model on the other n - 1.

# %%
perm = torch.randperm(
    len(train), generator=torch.Generator().manual_seed(unlearnkit.derive_seed(SEED, "sizes"))
)
gold = []
for n in [500, 1000, 2000, 4000]:
    D = train.subset(train.ids[perm[:n]])
    model, log = exact.retrain(model_fn, D, D.ids[:1], CONFIG)
    gold.append(
        {
            "n": n,
            "grad_evals": log.grad_evals,
            "seconds": log.seconds,
            "test accuracy": training.accuracy(model, test),
        }
    )
gold = pd.DataFrame(gold)
gold

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].plot(
    gold["n"], gold["grad_evals"], "o-", color=viz.ROLE_COLORS["retrained"], label="measured"
)
axes[0].plot(
    gold["n"],
    CONFIG.epochs * (gold["n"] - 1),
    "--",
    color=viz.ROLE_COLORS["reference"],
    label="epochs x (n - 1)",
)
viz.label(
    axes[0],
    "One request = one training run",
    "training examples n",
    "gradient evaluations",
    legend=True,
)
axes[1].plot(gold["n"], gold["seconds"], "o-", color=viz.ROLE_COLORS["retrained"])
viz.label(
    axes[1], "...and its wall-clock time", "training examples n", "seconds per request (this CPU)"
)
for ax in axes:
    ax.set_ylim(0, None)
plt.tight_layout()
plt.show()

# %% [markdown]
# The work is `epochs x (n - 1)` gradient evaluations (up to rounding the steps up to whole batches):
# linear in the size of the data, and paid again for every request. A model trained on billions of examples cannot be retrained for each of
# thousands of deletion requests. The slides name a second problem with the gold standard, which we
# meet in section 5: even a perfect retrain need not stop the model from *saying* what the deleted
# example taught.
#
# The idea behind both exact methods below: **localise** each example's contribution, so that removing
# it touches a small part of the model's state, and recompute only that part.

# %% [markdown]
# ## 2. Can a model forget without retraining? Summation form
#
# Cao & Yang (2015) observed that many learners see the data only through a few sums
# $G_k = \sum_i g_k(x_i, y_i)$. Then forgetting example $p$ is a subtraction,
# $G_k \leftarrow G_k - g_k(x_p, y_p)$, followed by recomputing the model from the sums; the cost
# depends on the size of the sums, not on n.
#
# **Ridge regression** is our first example. The coefficients solve
# $(X^\top X + \lambda I)\,w = X^\top y$, so $A = X^\top X + \lambda I$ and $b = X^\top y$ are all the
# model needs (with a column of ones appended to $X$ for the intercept, which is not penalised). To
# forget rows $X_f, y_f$: $A \leftarrow A - X_f^\top X_f$, $b \leftarrow b - X_f^\top y_f$, solve again. We fit ten ridge models (one per digit, a least-squares classifier) on the 8x8 digits,
# forget 10% of the training set, and compare with scikit-learn's `Ridge` refitted on what remains. With
# $\lambda > 0$ the matrix stays invertible even though some border pixels are constant.

# %%
dtrain, dtest = data.load_digits(seed=SEED)
Xd, yd, Yd = dtrain.X.double().numpy(), dtrain.y.numpy(), np.eye(10)[dtrain.y.numpy()]
rng = np.random.default_rng(unlearnkit.derive_seed(SEED, "digits forget"))
f = np.zeros(len(yd), dtype=bool)
f[rng.permutation(len(yd))[: len(yd) // 10]] = True  # the forget set: 10% of the rows
ridges = [exact.SummationRidge(lam=1.0).fit(Xd, Yd[:, k]) for k in range(10)]
t0 = time.perf_counter()
for k, r in enumerate(ridges):
    r.forget(Xd[f], Yd[f, k])  # subtract, then solve again
t_forget = time.perf_counter() - t0
refit = Ridge(alpha=1.0).fit(Xd[~f], Yd[~f])  # an independent refit on D \ S
W = np.stack([r.coef_ for r in ridges])
ridge_rel = np.abs(W - refit.coef_).max() / np.abs(refit.coef_).max()
ridge_acc = (
    np.stack([r.predict(dtest.X.numpy()) for r in ridges], 1).argmax(1) == dtest.y.numpy()
).mean()
print(f"forgot {f.sum()} of {len(yd)} rows in {1e3 * t_forget:.0f} ms (10 models)")
print(
    f"largest coefficient difference vs refit: {ridge_rel:.1e} (relative), below 1e-10: "
    f"{ridge_rel < 1e-10}; "
    f"test accuracy {ridge_acc:.3f}"
)

# %% [markdown]
# The coefficients agree with an independent refit up to floating-point rounding, far below the
# $10^{-10}$ we ask for, and the removal never looked at the rows that remain.
#
# **Naive Bayes** is the paper's own canonical case. Gaussian naive Bayes keeps, per
# class, a count, a sum and a sum of squares of each feature; multinomial naive Bayes keeps counts. We
# forget the same kind of random 10% and compare every parameter with scikit-learn refitted on the rest.

# %%
Xm, ym = train.X.double().numpy(), train.y.numpy()
fm = np.zeros(len(ym), dtype=bool)
fm[rng.permutation(len(ym))[: len(ym) // 10]] = True
gnb = exact.SummationGaussianNB().fit(Xm, ym).forget(Xm[fm], ym[fm])
gnb_ref = GaussianNB().fit(Xm[~fm], ym[~fm])
gnb_diff = max(
    np.abs(getattr(gnb, k) - getattr(gnb_ref, k)).max() for k in ("theta_", "var_", "class_prior_")
)
gnb_same = (gnb.predict(test.X.numpy()) == gnb_ref.predict(test.X.numpy())).mean()

raw, _ = data.load_digits(seed=SEED, standardise=False)  # pixel intensities 0..16 act as counts
Xc, yc = raw.X.double().numpy(), raw.y.numpy()
mnb = exact.SummationMultinomialNB().fit(Xc, yc).forget(Xc[f], yc[f])
mnb_ref = MultinomialNB().fit(Xc[~f], yc[~f])
mnb_diff = max(
    np.abs(getattr(mnb, k) - getattr(mnb_ref, k)).max()
    for k in ("feature_log_prob_", "class_log_prior_")
)
print(
    f"Gaussian NB (MNIST-1D): largest difference in means, variances and class priors "
    f"{gnb_diff:.1e}; "
    f"same test predictions: {gnb_same:.1%}"
)
print(
    f"multinomial NB (digits): largest difference in feature and class log-probabilities "
    f"{mnb_diff:.1e}"
)

# %% [markdown]
# **The float32 trap.** A variance computed from sums, $Q/N - (S/N)^2$, subtracts two large numbers
# when a feature sits far from zero. Below, every MNIST-1D feature is shifted by 1000 (think of a sensor
# reading in raw units), 90% of the rows are forgotten, and the result is compared with a float64
# refit. Same algorithm, textbook sums about zero (`center=False`) in two precisions, and then the
# library's default, sums about each class's mean at `fit` (`center=True`), in float32:

# %%
Xs = Xm + 1000.0
gone = rng.permutation(len(ym))[: int(0.9 * len(ym))]
kept = np.setdiff1d(np.arange(len(ym)), gone)
ref_var = GaussianNB().fit(Xs[kept], ym[kept]).var_
trap = {}
for key, dt, centred in (
    ("float32", np.float32, False),
    ("float64", np.float64, False),
    ("float32, centred", np.float32, True),
):
    m = exact.SummationGaussianNB(dtype=dt, center=centred).fit(Xs, ym).forget(Xs[gone], ym[gone])
    trap[key] = {
        "sums": f"{dt.__name__}, about {'class means' if centred else 'zero'}",
        "variances <= 0": int((m.var_ <= 0).sum()),
        "of": m.var_.size,
        "largest error / smallest true variance": float(
            np.abs(m.var_ - ref_var).max() / ref_var.min()
        ),
        "test accuracy": m.score(test.X.numpy() + 1000.0, test.y.numpy()),
    }
print(
    f"refit in float64 on the kept rows: test accuracy "
    f"{GaussianNB().fit(Xs[kept], ym[kept]).score(test.X.numpy() + 1000.0, test.y.numpy()):.3f}"
)
pd.DataFrame(list(trap.values())).set_index("sums")

# %% [markdown]
# With float32 sums about zero, many variances come out zero or negative and the largest error is
# many times the smallest true variance: the classifier falls to chance (ten classes). In float64
# the same subtraction is fine. Shifting the sums to each class's mean at `fit` removes the
# cancellation at its source, and then even float32 matches the refit's accuracy; the shift is a
# constant, so the model is still in summation form. Other remedies: float64 sums and standardised
# features, or sums kept per block with the remaining blocks re-added. Summation form is exact and
# cheap, but only for learners that are sums. A neural network is not: every SGD step depends on the weights left by all earlier steps. For
# those we need a different way to localise an example's influence.
#
# **Check your understanding**
#
# 1. Besides regularising, why does $\lambda > 0$ matter when rows are *removed* from ridge regression?
# 2. The per-class sums of Gaussian naive Bayes take $O(Cd)$ memory. What does one removal cost, and how
#    does that compare with refitting?
#
# <details><summary>Answer</summary>
#
# 1. After a removal, $X^\top X$ may become singular (fewer rows left than features, or a feature that
#    is now constant); $X^\top X + \lambda I$ stays invertible, so every removal has a unique answer.
# 2. Subtracting one row touches $O(d)$ numbers and recomputing the parameters costs $O(Cd)$, whatever
#    n is; a refit reads all n rows, $O(nd)$.
# </details>

# %% [markdown]
# ## 3. SISA step by step: where does a request land, and what must be retrained?
#
# SISA (Sharded, Isolated, Sliced, Aggregated) confines each example's influence by construction:
#
# * **Shards**: split D into S disjoint shards (stratified by class) and train one model per shard;
#   shards never see each other's data (isolation).
# * **Slices**: split each shard into R slices. Stage r trains on slices 1..r, starting from the state
#   left by stage r - 1, and saves a **checkpoint** (model and optimiser state). Each stage's number of
#   optimisation steps is fixed when the shard is built, so that all stages together cost the same
#   `epochs` passes over the shard as ordinary training.
# * **Aggregation**: predict by majority vote of the S shard models (ties go to the smallest label), or
#   by averaging their probabilities.
# * **Unlearning**: a removed example lives in one shard s and one slice j. Only shard s changes: restore
#   its checkpoint j - 1 and retrain stages j..R without the example.

# %%
S, R = 5, 5
ens = sisa.SISA(train, model_fn, CONFIG, n_shards=S, n_slices=R, seed=SEED)
print(
    ens,
    f"trained in {ens.build_log.seconds:.1f} s, {ens.build_log.grad_evals:,} gradient evaluations",
)
print("shard sizes:", ens.shard_sizes())
print("shard 0, slice sizes:", [t.numel() for t in ens.slice_ids[0]])
print("shard 0, optimisation steps of stages 1..R:", ens.schedule[0])
print(
    f"test accuracy: vote {ens.accuracy(test, 'vote'):.3f}, probability average "
    f"{ens.accuracy(test, 'proba'):.3f}; "
    f"single shard models {ens.shard_accuracies(test).mean():.3f} on average"
)

# %% [markdown]
# Stage r sees r slices, so later stages take more steps. Now a request: we pick one training example
# (the first one of slice 3 in shard 2) and ask SISA where it lives and what `unlearn` would do, without
# doing it yet (`plan`).

# %%
request = ens.slice_ids[2][2][:1]  # an example in shard 2 (0-based), slice 3 (1-based)
shard_of, slice_of = ens.locate(request)
plan = ens.plan(request)
print(f"id {request.item()}: shard {shard_of.item()}, slice {slice_of.item()}")
print(
    "resume from checkpoint:", plan["resumed_from"], " stages to retrain:", plan["stages_retrained"]
)
print(
    f"cost: {plan['grad_evals']:,} gradient evaluations; retraining everything: "
    f"{plan['full_retrain_grad_evals']:,} (speed-up "
    f"{plan['full_retrain_grad_evals'] / plan['grad_evals']:.1f}x)"
)

# %%
LAYOUT = {
    "retrained": dict(color=viz.ROLE_COLORS["forget"], alpha=0.8),  # one style per kind of cell,
    "kept": dict(color=viz.ROLE_COLORS["retain"], alpha=0.6),  # shared by patches and legend
    "untouched": dict(color="0.85", alpha=0.6),
}


def draw_layout(ax, ensemble, ids):
    """Shards (rows) x slices (columns); colour what a request keeps, retrains and leaves alone."""
    p, (sh, sl) = ensemble.plan(ids), ensemble.locate(ids)
    for s in range(ensemble.n_shards):
        for j in range(1, ensemble.n_slices + 1):
            hit = s in p["resumed_from"] and j > p["resumed_from"][s]
            kind = "retrained" if hit else ("kept" if s in p["resumed_from"] else "untouched")
            ax.add_patch(plt.Rectangle((j - 0.45, s - 0.4), 0.9, 0.8, **LAYOUT[kind]))
        if s in p["resumed_from"]:
            ax.plot(p["resumed_from"][s] + 0.5, s, "k|", ms=22, mew=3)
    ax.plot(sl.numpy(), sh.numpy(), "*", color="k", ms=14)
    ax.set(
        xlim=(0.4, ensemble.n_slices + 0.6),
        ylim=(ensemble.n_shards - 0.4, -0.6),
        xticks=range(1, ensemble.n_slices + 1),
        yticks=range(ensemble.n_shards),
    )
    ax.grid(False)
    viz.label(
        ax,
        f"S={ensemble.n_shards}, R={ensemble.n_slices}: {p['grad_evals']:,} grad evals "
        f"({p['grad_evals'] / p['full_retrain_grad_evals']:.1%} of a full retrain)",
        "slice",
        "shard",
    )


fig, ax = plt.subplots(figsize=(6.4, 3.8))
draw_layout(ax, ens, request)
ax.legend(
    handles=[plt.Rectangle((0, 0), 1, 1, **LAYOUT[k]) for k in ("retrained", "kept", "untouched")]
    + [
        plt.Line2D([], [], marker="*", color="k", ls=""),
        plt.Line2D([], [], marker="|", color="k", ls="", ms=12, mew=3),
    ],
    labels=[
        "retrained (stages j..R)",
        "kept: restored from the checkpoint",
        "untouched shard",
        "the removed example",
        "checkpoint resumed from",
    ],
    loc="upper left",
    bbox_to_anchor=(1.01, 1),
)
plt.show()

# %% [markdown]
# The star is the example to forget. Its shard restores the checkpoint saved after stage j - 1 = 2 (the
# black bar) and retrains stages 3, 4 and 5 without it; the four other shards are not touched. Now we
# do it, on a copy so that the ensemble `ens` stays as trained for the later sections.

# %%
work = ens.copy()
before = [{k: v.clone() for k, v in m.state_dict().items()} for m in work.models]
report = work.unlearn(request)
print(
    f"shards retrained {report.shards_retrained}, resumed from {report.resumed_from}, "
    f"stages {report.stages_retrained}"
)
print(
    f"{report.grad_evals:,} gradient evaluations (the plan said {plan['grad_evals']:,}), "
    f"{report.seconds:.2f} s; "
    f"speed-up {report.speedup:.1f}x in gradient evaluations"
)

# %% [markdown]
# ### Is it really exact?
#
# What "exact" means for SISA in this course: after `unlearn(ids)`, every shard model's `state_dict` equals,
# **bitwise** on the CPU with the same thread count, what SISA's shard training produces from scratch
# on that shard without the removed ids. `from_scratch(s)` trains that reference. "Close" is not good
# enough: we compare every tensor with `torch.equal`. To show that the check has teeth, we also compare
# the shard as it was *before* the request with the same reference: it must differ.

# %%
s = report.shards_retrained[0]
reference = work.from_scratch(s).state_dict()
unlearned = work.models[s].state_dict()
exact_match = all(torch.equal(unlearned[k], reference[k]) for k in reference)
ckpt_match = all(torch.equal(work.checkpoints[s][R]["model"][k], reference[k]) for k in reference)
old_gap = max((before[s][k] - reference[k]).abs().max().item() for k in reference)
others_same = all(
    torch.equal(work.models[t].state_dict()[k], before[t][k])
    for t in range(S)
    if t != s
    for k in before[t]
)
print(
    f"shard {s}: {len(reference)} tensors, every one bitwise equal to the from-scratch model: "
    f"{exact_match}"
)
print(f"  its last checkpoint equals it too: {ckpt_match}")
print(
    f"  the shard before the request differed from the reference by up to {old_gap:.3f} (the check "
    f"can fail)"
)
print(f"the other {S - 1} shards are bitwise unchanged: {others_same}")

# %% [markdown]
# Bitwise equality holds because everything that decides the training run (the initial weights, the
# slices, the number of steps of each stage, the order of the batches) is fixed by the seed and by
# what was decided when the shard was built, and the batches are drawn from the examples that remain;
# nothing depends on the history of requests. The unlearned model is not *like* a model trained
# without the example: it *is* the model SISA's shard training gives on the remaining examples.
# Change the number of threads or move to a GPU and the floating-point sums may be reordered: then
# the equality holds only up to rounding.
#
# Two of those fixed details were decided from the whole of D, removed example included. The
# **partition** (each id's shard and slice) was drawn when the shards were built, and the **step
# schedule** (steps per stage) was counted from the build-time slice sizes. `from_scratch` keeps both.

# %%
sizes, frozen = [len(d) for d in work.slices(s)], work.schedule[s]


def steps_for(last):  # the schedule if the last slice held `last` examples
    return sisa.stage_steps(sizes[:-1] + [last], CONFIG.epochs, CONFIG.batch_size)


fits = [m for m in range(1, 2 * sizes[-1]) if steps_for(m)[-1] == frozen[-1]]
print(
    f"shard {s}: {sum(sizes)} examples now, {ens.shard_sizes()[s]} at build time; frozen schedule "
    f"{frozen}, "
    f"counted from today's slices {steps_for(sizes[-1])}"
)
print(
    f"a last stage of {frozen[-1]} steps fits a shard of {sum(sizes[:-1]) + fits[0]} to "
    f"{sum(sizes[:-1]) + fits[-1]} examples"
)

# %% [markdown]
# So SISA is exact **relative to the partition and the step schedule fixed at build time**. Lecture
# 01 defined exact unlearning as $U(A(D), S, D)$ having the distribution of $A(D \setminus S)$; here
# $A$ has to be read as "SISA training *with D's partition and D's schedule*". Building SISA anew on
# $D \setminus S$ would partition the remaining data afresh and count its steps from the smaller
# slices. For one removal the step counts come out the same (printed above: rounding up to whole steps
# absorbs it), but enough removals change them, and until then the frozen counts keep a trace of the
# removed examples: the last line says how large the shard must have been to get its last stage's
# count. The trace is coarse, yet it is not nothing. Recomputing the schedule would cost nothing extra
# (only the stages from the removed example's slice on would change, and they are retrained anyway);
# a fresh partition of $D \setminus S$ is what SISA cannot afford, since it would retrain every shard.
#
# **Check your understanding**
#
# 3. Why must a checkpoint hold the optimiser's state (here the momentum buffers) and not only the weights?
# 4. The removed example sat in slice 3. Which checkpoint would a request for an example of slice 1 restore, and what would it cost compared with this one?
#
# <details><summary>Answer</summary>
#
# 3. Stage 3 started from the weights *and* the momentum left by stage 2. Restarting with zero momentum
#    would give a different run from the one trained from scratch, and the result would not be exact.
# 4. Checkpoint 0, the untrained model: the whole shard is retrained (all R stages). Stages grow with
#    r, so losing the early ones costs most; on average a request costs a fraction (2R+1)/(3R) of its
#    shard's training.
# </details>

# %% [markdown]
# ## 4. What does SISA cost, and what does it save?
#
# ### Accuracy against the number of shards
#
# Each shard model sees only n/S examples. We train ensembles for S = 1, 2, 5, 10, 20 with R = 5, and a
# few more (S in {1, 20}, R in {1, 10}) for the cost study below. S = R = 1 is one model trained on
# everything for the same 20 epochs: the **single-model baseline**. (About a second per ensemble: the
# total work is always 20 epochs over the data, however it is split.)

# %%
S_VALUES, R_VALUES = [1, 2, 5, 10, 20], [1, 5, 10]
grid = [(s_, 5) for s_ in S_VALUES] + [(s_, r_) for s_ in (1, 20) for r_ in (1, 10)]
ensembles = {(S, R): ens}
for key in grid:  # about a second each; no progress bar needed
    if key not in ensembles:
        ensembles[key] = sisa.SISA(
            train, model_fn, CONFIG, n_shards=key[0], n_slices=key[1], seed=SEED
        )
baseline_acc = ensembles[(1, 1)].accuracy(test)
acc = pd.DataFrame(
    [
        {
            "S": s_,
            "vote": ensembles[(s_, 5)].accuracy(test, "vote"),
            "probability average": ensembles[(s_, 5)].accuracy(test, "proba"),
            "one shard model (mean)": ensembles[(s_, 5)].shard_accuracies(test).mean().item(),
        }
        for s_ in S_VALUES
    ]
).set_index("S")
print(f"single-model baseline (S=R=1): test accuracy {baseline_acc:.3f}")
acc.round(3)

# %%
fig, ax = plt.subplots(figsize=(8.4, 4))
ax.plot(acc.index, acc["vote"], "o-", label="SISA, majority vote", color=viz.PALETTE["blue"])
ax.plot(
    acc.index,
    acc["probability average"],
    "s--",
    label="SISA, probability average",
    color=viz.PALETTE["orange"],
)
ax.plot(
    acc.index,
    acc["one shard model (mean)"],
    "^:",
    label="one shard model alone",
    color=viz.PALETTE["sky"],
)
ax.axhline(
    baseline_acc,
    color=viz.ROLE_COLORS["reference"],
    ls="--",
    lw=1,
    label="single model on all data",
)
ax.axhline(
    1 / train.num_classes,
    color=viz.ROLE_COLORS["reference"],
    ls=":",
    lw=1,
    label="chance (10 classes)",
)
ax.set_xscale("log")
ax.set_xticks(S_VALUES, [str(v) for v in S_VALUES])
ax.minorticks_off()
ax.set_ylim(0, 0.7)
viz.label(
    ax, "Accuracy falls as shards shrink (MNIST-1D, R = 5)", "number of shards S", "test accuracy"
)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9)
plt.show()


# %% [markdown]
# More shards means smaller training sets per model, and an ensemble of weak models does not recover
# what one model trained on everything learns. This is SISA's main price; Bourtoule et al. observe the
# same trend, with larger drops on more complex tasks. (Slicing itself costs little accuracy here: the
# table of the cost study below also lists R = 1 and R = 10.)
#
# ### The cost of one request, against S and R
#
# For one uniformly random request, the shard is hit with probability 1/S and the slice j is uniform in
# 1..R, so on average a fraction $\frac{2R+1}{3R}$ of one shard's training is redone. Against retraining
# everything, the expected speed-up is
#
# $$\text{speed-up} = \frac{3RS}{2R+1}.$$
#
# `plan` gives a request's exact cost in gradient evaluations without training. Every id of one slice
# costs the same (the schedule fixes each stage's steps), so one `plan` per (shard, slice) gives the cost
# of a request for *every* training id, and their mean is the exact expected cost of a uniformly random
# request. We also draw 400 random requests, the same for every ensemble, as a user would see them, and
# check the per-slice table against `plan` on them.


# %%
def slice_costs(e):
    """Grad evals of a one-id request, per (shard, slice): array (S, R), from one plan per slice."""
    return np.array(
        [[e.plan(t[:1])["grad_evals"] for t in e.slice_ids[s]] for s in range(e.n_shards)]
    )


gen = torch.Generator().manual_seed(unlearnkit.derive_seed(SEED, "requests"))
requests = train.ids[torch.randperm(len(train), generator=gen)[:400]]
rows, sampled, request_costs = [], {}, {}
for (s_, r_), e in ensembles.items():
    full, table = e.full_retrain_grad_evals(), slice_costs(e)
    sizes = np.array([[t.numel() for t in e.slice_ids[s]] for s in range(e.n_shards)])
    sh, sl = e.locate(requests)
    sampled[(s_, r_)] = table[sh.numpy(), sl.numpy() - 1]  # the 400 sampled requests
    request_costs[(s_, r_)] = sampled[(s_, r_)] / full
    rows.append(
        {
            "S": s_,
            "R": r_,
            "test accuracy": e.accuracy(test),
            "speed-up measured": full / ((table * sizes).sum() / sizes.sum()),  # mean over ALL ids
            "speed-up 400 requests": 1 / request_costs[(s_, r_)].mean(),
            "speed-up 3RS/(2R+1)": sisa.expected_speedup(s_, r_),
        }
    )
cost = pd.DataFrame(rows).sort_values(["R", "S"]).set_index(["S", "R"])
table_ok = all(
    ensembles[k].plan(requests[i : i + 1])["grad_evals"] == sampled[k][i]
    for k in [(5, 5), (20, 10)]
    for i in range(0, 400, 40)
)
gap = (cost["speed-up measured"] / cost["speed-up 3RS/(2R+1)"] - 1).abs()
print(f"per-slice table agrees with plan on sampled requests: {table_ok}")
print(
    f"all ids vs formula: largest relative gap {gap.max():.2%}; "
    f"400 requests vs all ids: up to "
    f"{(cost['speed-up 400 requests'] / cost['speed-up measured'] - 1).abs().max():.1%}"
)
cost.round(2)

# %% [markdown]
# Gradient evaluations do not depend on the machine; seconds do, and they include overheads the formula
# ignores (copying models and checkpoints, selecting data, building the optimiser). We also run a stream
# of *real* `unlearn` calls, the same 5 requests on a copy of each R = 5 ensemble, and compare each
# ensemble's training with the **mean** over those requests, in seconds and in gradient evaluations
# alike. One statistic over the same requests for both, so the two speed-ups differ only by the time
# each gradient evaluation took; the last column is that ratio.

# %%
N_TIMED = 5  # real requests per ensemble, the same ids for every S
timing = []
for s_ in S_VALUES:
    e, built = ensembles[(s_, 5)].copy(), ensembles[(s_, 5)].build_log
    planned, reports = [], []
    for i in requests[:N_TIMED]:
        planned.append(e.plan([int(i)])["grad_evals"])
        reports.append(e.unlearn([int(i)]))
    sec, work_ = np.mean([r.seconds for r in reports]), np.mean([r.grad_evals for r in reports])
    timing.append(
        {
            "S": s_,
            "requests": len(reports),
            "grad evals as planned": planned == [r.grad_evals for r in reports],
            "speed-up in grad evals": built.grad_evals / work_,
            "speed-up in seconds": built.seconds / sec,
            "speed-up 3RS/(2R+1)": sisa.expected_speedup(s_, 5),
            "s per grad eval, request / build": (sec / work_) / (built.seconds / built.grad_evals),
        }
    )
timing = pd.DataFrame(timing).set_index("S")
ratio = timing["s per grad eval, request / build"]
verdict = (
    "a request spent more time per gradient evaluation than the training, for every S"
    if ratio.min() > 1.1
    else "a request spent less time per gradient evaluation than the training, for every S"
    if ratio.max() < 0.9
    else "neither was consistently slower per gradient evaluation"
)
print(
    f"time per gradient evaluation, request / build: {ratio.min():.2f} to {ratio.max():.2f}; on "
    f"this run {verdict}"
)
timing.round(2)

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
s_grid = np.arange(1, 21)
for r_, color in zip(R_VALUES, (viz.PALETTE["sky"], viz.PALETTE["blue"], viz.PALETTE["purple"])):
    ax.plot(
        s_grid,
        [sisa.expected_speedup(int(v), r_) for v in s_grid],
        "-",
        color=color,
        lw=1,
        label=f"3RS/(2R+1), R={r_}",
    )
    sub = cost.xs(r_, level="R")
    ax.plot(
        sub.index,
        sub["speed-up measured"],
        "o",
        color=color,
        label=f"measured (grad evals, mean over all ids), R={r_}",
    )
ax.plot(
    timing.index,
    timing["speed-up in grad evals"],
    "+",
    ms=11,
    mew=2,
    color=viz.ROLE_COLORS["reference"],
    label=f"measured (grad evals, mean of {N_TIMED} requests), R=5",
)
ax.plot(
    timing.index,
    timing["speed-up in seconds"],
    "x",
    ms=9,
    mew=2,
    color=viz.ROLE_COLORS["unlearned"],
    label=f"measured (seconds, mean of the same {N_TIMED} requests), R=5",
)
ax.set(xscale="log", yscale="log")
ax.set_xticks(S_VALUES, [str(v) for v in S_VALUES])
ax.set_yticks([1, 2, 5, 10, 20, 50], ["1", "2", "5", "10", "20", "50"])
ax.minorticks_off()
viz.label(
    ax,
    "Speed-up of one request over retraining everything",
    "number of shards S",
    "speed-up over a full retrain (x)",
)
ax.legend(loc="upper left", fontsize=8)
plt.show()


# %% [markdown]
# Averaged over *all* training ids, the cost in gradient evaluations matches $3RS/(2R+1)$ to within the
# small gap printed above: the formula assumes equal slices and stages whose steps grow exactly in
# proportion to r, while the real schedule rounds each stage to whole steps. The 400 sampled requests
# scatter further from the formula (see the second number printed): which slice each request happens
# to hit decides its cost, and a sample of 400 does not hit every slice equally often. The 5 timed
# requests (plus signs) scatter more still, for the same reason. Sharding gives the linear factor S;
# slicing adds at most a factor 1.5, since $3R/(2R+1) < 3/2$.
#
# The seconds (crosses) differ from the plus signs of the same requests only by the time each
# gradient evaluation took, the table's last column, and the line above the table says which way it
# went on this run. A request pays fixed costs the formula ignores (copying a shard's checkpoints,
# selecting its data, building an optimiser), but so did the ensemble's training, and the two were
# timed at different moments on a machine that others may be using. So the seconds can land on
# either side of the gradient evaluations. Gradient evaluations are the fair measure; seconds are
# what a user waits.
#
# ### Try it: S and R
#
# The widget below shows, for each (S, R) trained above, the request picture for the first of our
# random requests and the distribution of the 400 request costs. All numbers were computed above, so it
# responds instantly. The figure under this paragraph is its default (S = 5, R = 5), drawn without the
# widget, for readers of a static copy.


# %%
def show_cell(S=5, R=5):
    """The request picture and the cost distribution of one trained (S, R) ensemble."""
    e, c = ensembles[(S, R)], request_costs[(S, R)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 1.2]})
    draw_layout(axes[0], e, requests[:1])
    axes[1].hist(c * 100, bins=30, color=viz.PALETTE["blue"], alpha=0.7)
    axes[1].axvline(
        c.mean() * 100,
        color=viz.ROLE_COLORS["unlearned"],
        lw=2,
        label=f"measured mean {c.mean():.2%}",
    )
    axes[1].axvline(
        sisa.expected_request_cost(S, R) * 100,
        color="k",
        ls="--",
        label=f"(2R+1)/(3RS) = {sisa.expected_request_cost(S, R):.2%}",
    )
    axes[1].set_xlim(0, None)
    viz.label(
        axes[1],
        f"{len(c)} random requests; test accuracy {e.accuracy(test):.3f}",
        "cost of one request (% of a full retrain)",
        "requests",
        legend=True,
    )
    plt.tight_layout()
    plt.show()


show_cell(5, 5)

# %%
trained = [
    (f"S={s_}, R={r_}", (s_, r_)) for s_, r_ in sorted(ensembles)
]  # every (S, R) trained above
widgets.interact(
    lambda key: show_cell(*key),
    key=widgets.Dropdown(options=trained, value=(5, 5), description="ensemble"),
)

# %% [markdown]
# ### Many requests at once
#
# Requests rarely come one by one. If K requests are processed as one batch, each touched shard is
# retrained once, from the earliest slice among its removed examples. A shard escapes all K uniformly
# random requests with probability $(1 - 1/S)^K$, so the batch touches a fraction
# $1 - (1 - 1/S)^K$ of the shards. We draw 30 random batches for each K and plan them.

# %%
K_VALUES = [1, 2, 5, 10, 20, 50, 100, 200]
batch = []
for s_ in (5, 20):
    e = ensembles[(s_, 5)]
    for K in K_VALUES:
        for _ in range(30):
            p = e.plan(train.ids[torch.randperm(len(train), generator=gen)[:K]])
            batch.append(
                {
                    "S": s_,
                    "K": K,
                    "touched": len(p["resumed_from"]) / s_,
                    "cost": p["grad_evals"] / p["full_retrain_grad_evals"],
                }
            )
batch = pd.DataFrame(batch).groupby(["S", "K"]).mean()
batch["touched 1-(1-1/S)^K"] = [sisa.expected_fraction_touched(s_, k) for s_, k in batch.index]
batch["speed-up"] = 1 / batch["cost"]
batch.round(3).unstack("S")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for s_, color in ((5, viz.PALETTE["blue"]), (20, viz.PALETTE["vermillion"])):
    b = batch.xs(s_, level="S")
    axes[0].plot(b.index, b["touched"], "o", color=color, label=f"measured, S={s_}")
    axes[0].plot(
        b.index, b["touched 1-(1-1/S)^K"], "-", color=color, lw=1, label=f"1-(1-1/S)^K, S={s_}"
    )
    axes[1].plot(
        b.index, b["speed-up"], "o-", color=color, label=f"K requests in one batch, S={s_}"
    )
    single = cost.loc[(s_, 5), "speed-up measured"]  # mean over all single requests
    axes[1].plot(
        b.index,
        single / np.array(b.index),
        "--",
        color=color,
        lw=1,
        label=f"K requests one at a time, S={s_}",
    )
    axes[0].axvline(s_, color=color, ls=":", lw=1, label=f"K = S = {s_}")
axes[1].axhline(1, color=viz.ROLE_COLORS["reference"], lw=1, label="retrain everything once")
for ax in axes:
    ax.set_xscale("log")
    ax.set_xticks(K_VALUES, [str(k) for k in K_VALUES])
    ax.minorticks_off()
axes[0].set_ylim(0, 1.05)
axes[1].set_yscale("log")
axes[1].set_ylim(0.05, None)
axes[1].set_yticks(
    [0.1, 0.2, 0.5, 1, 2, 5, 10, 20], ["0.1", "0.2", "0.5", "1", "2", "5", "10", "20"]
)
axes[1].minorticks_off()
viz.label(
    axes[0],
    "Shards touched by a batch of K requests",
    "requests in the batch K",
    "fraction of shards retrained",
    legend=True,
)
viz.label(
    axes[1],
    "The gain fades once K passes S (R = 5)",
    "requests in the batch K",
    "speed-up over a full retrain (x)",
)
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Once K is a few times S, almost every shard holds at least one removed example, and within a shard
# the earliest removed slice is usually one of the first: with 4 removed examples in a shard of R = 5
# slices, slice 1 holds one of them with probability $1 - (4/5)^4 \approx 0.59$, and the first two
# slices with probability $1 - (3/5)^4 \approx 0.87$. The first stages are also the cheapest (stage r
# takes steps in proportion to r), so restarting from checkpoint 1 or 2 instead of 0 saves little:
# the batch costs about as much as retraining everything. Processed one at a time instead, K requests
# cost K times a single request, which is worse still once K exceeds the single-request speed-up.
# SISA pays off when requests are rare compared with S, or when they concentrate in a few shards
# (Bourtoule et al. discuss placing the users most likely to ask for deletion in the same shards).
#
# **Check your understanding**
#
# 5. With S = 20 and R = 5, how many random requests in one batch make the expected fraction of
#    shards touched exceed one half?
# 6. Why does a larger R help a single request but hardly help a large batch?
#
# <details><summary>Answer</summary>
#
# 5. We need $1 - (19/20)^K > 1/2$, i.e. $K > \ln 2 / \ln(20/19) \approx 13.5$: 14 requests.
# 6. Slicing saves the stages *before* the first affected slice. With many removed examples in a shard,
#    one of them almost surely sits in slice 1, so the shard restarts from checkpoint 0 whatever R is.
# </details>

# %% [markdown]
# ## 5. Does exact removal stop the model from producing what the example taught?
#
# The slides list a second problem with the gold standard: it does not guarantee **output
# suppression**. Exact unlearning removes the *example*; if other examples teach the same thing, the
# model keeps saying it. This is what happens with duplicated data: the same picture of a famous
# character appears many times on the web, each copy a separate training example.
#
# We make a distinctive input, a square wave far outside the data, and give it a label that no real
# example has: class 10, the "secret". The data set holds the original and four near-copies (small
# noise added). Stratified sharding deals the five copies of class 10 into the five shards, one each.
# Then we remove the original with SISA, exactly, and then the copies one by one.

# %%
wave = 3.0 * torch.sign(torch.sin(torch.linspace(0, 6 * torch.pi, train.n_features)))
noise = 0.05 * torch.randn(
    5,
    train.n_features,
    generator=torch.Generator().manual_seed(unlearnkit.derive_seed(SEED, "copies")),
)
noise[0] = 0  # row 0 is the original, rows 1-4 near-copies
secret = data.Dataset(
    (wave + noise).float(), torch.full((5,), 10), torch.arange(10_000, 10_005), num_classes=11
)
with_secret = train.concat(secret)
dup = sisa.SISA(
    with_secret,
    lambda sd: models.mlp(40, 11, (64,), seed=sd),
    CONFIG,
    n_shards=5,
    n_slices=5,
    seed=SEED,
)
print("shard of each copy:", dup.locate(secret.ids)[0].tolist())


# %%
def secret_votes(e):
    """How many shard models answer 'class 10' for the original input, and the ensemble's answer."""
    votes = e.shard_logits(wave[None]).argmax(dim=2).flatten()
    return int((votes == 10).sum()), int(e.predict(wave[None]).item())


dup_rows = [
    {
        "copies left": 5,
        "removed": "-",
        "votes for class 10": secret_votes(dup)[0],
        "ensemble says": secret_votes(dup)[1],
    }
]
for i, sid in enumerate(secret.ids.tolist()):
    dup.unlearn([sid])
    votes, said = secret_votes(dup)
    dup_rows.append(
        {
            "copies left": 4 - i,
            "removed": "original" if i == 0 else f"copy {i}",
            "votes for class 10": votes,
            "ensemble says": said,
        }
    )
dup_table = pd.DataFrame(dup_rows).set_index("copies left")
dup_table

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.6))
taught = dup_table["ensemble says"] == 10
for flag, name, color in (
    (True, "ensemble answers class 10", viz.ROLE_COLORS["forget"]),
    (False, "ensemble answers another class", viz.ROLE_COLORS["retain"]),
):
    rows_ = dup_table[taught == flag]
    ax.bar(rows_.index, rows_["votes for class 10"], color=color, label=name)
    ax.plot(
        rows_.index, rows_["votes for class 10"], "o", color=color, clip_on=False, zorder=3
    )  # 0 votes stays visible
    for x, v in rows_["votes for class 10"].items():
        ax.annotate(
            f"{v} of 5", (x, v), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=9
        )
ax.set_xticks(dup_table.index)
ax.set_ylim(0, 5.8)
ax.invert_xaxis()
viz.label(
    ax,
    "Votes for the secret label as copies are unlearned (S = 5)",
    "copies of the example still in the training data",
    "shard models voting class 10",
    legend=True,
)
plt.show()

# %% [markdown]
# Removing the original was exact, and yet the ensemble still answered "class 10" for it: the near-copies
# in the other shards teach the same thing. The answer changed only when (almost) every copy was gone:
# even 2 votes of 5 won, because the vote is a plurality (the label with the most votes; a tie would
# go to the smaller label, not to 10) and the other three shards did not agree on one other label.
# Exact unlearning guarantees that the model is the one you would get without the *named* examples; it
# says nothing about what other examples teach. To suppress an output you must find and remove every
# example that teaches it (near-duplicates included), or use the other tools of this course.

# %% [markdown]
# ## 6. Training on licensed data only
#
# Gokaslan et al. (2023) trained CommonCanvas, a text-to-image diffusion model, only on images under
# Creative-Commons licences, with variants restricted to licences that allow commercial use. The slides
# set a training image beside the model's answer to the prompt "Mickey Mouse": what such a model can draw
# depends on what the licensed images contain, and nothing else. Filtering by licence *before* training
# is the cheapest unlearning there is.
#
# We attach to every training example a `creator` and the creator's `licence`, and train a commercial
# model only on the permitted licences (CC0 and CC BY; CC BY-NC forbids commercial use; "all rights
# reserved" forbids everything).

# %%
LICENCES = ["CC0", "CC BY", "CC BY-NC", "all rights reserved"]
lg = torch.Generator().manual_seed(unlearnkit.derive_seed(SEED, "licences"))
creator = torch.randint(0, 100, (len(train),), generator=lg)  # 100 creators
creator_licence = torch.multinomial(
    torch.tensor([0.3, 0.3, 0.2, 0.2]), 100, replacement=True, generator=lg
)
tagged = train.with_tags(creator=creator, licence=creator_licence[creator])
permitted = tagged.where(tagged.tags["licence"] <= 1)  # CC0 or CC BY
licensed = sisa.SISA(permitted, model_fn, CONFIG, n_shards=5, n_slices=5, seed=SEED)
counts = pd.Series(tagged.tags["licence"].numpy()).value_counts().sort_index()
print(pd.DataFrame({"licence": LICENCES, "examples": counts.values}).to_string(index=False))
print(
    f"trained on {len(permitted)} of {len(train)} examples; test accuracy "
    f"{licensed.accuracy(test):.3f} "
    f"(same SISA on all data: {ens.accuracy(test):.3f})"
)
seed_acc = [
    sisa.SISA(permitted, model_fn, CONFIG, n_shards=5, n_slices=5, seed=SEED + i).accuracy(test)
    for i in (1, 2, 3)
]
print(
    f"the same SISA on the permitted data with 3 other seeds: test accuracy {min(seed_acc):.3f} to "
    f"{max(seed_acc):.3f}"
)

# %% [markdown]
# Less data, lower accuracy: the same SISA on all data scores above every one of the four runs on the
# permitted data (printed above). That is the price of a clean training set, and why CommonCanvas
# needed tricks to make up for the smaller data. Now a licence changes: a creator's uploads turn out
# not to be theirs to license, or the creator opts out (a CC licence itself cannot be revoked, but a
# wrong licence tag or a platform's opt-out has the same effect). For the model this is *just an
# unlearning request* for every example of that creator.

# %%
who = int(torch.mode(permitted.tags["creator"]).values)  # the permitted creator with most examples
withdrawn = permitted.ids[permitted.tags["creator"] == who]
lic_report = licensed.unlearn(withdrawn)
left = sum(int(licensed.shard(s_).contains(withdrawn).sum()) for s_ in range(licensed.n_shards))
print(
    f"creator {who} withdraws {withdrawn.numel()} examples: shards retrained "
    f"{lic_report.shards_retrained}, "
    f"from checkpoints {lic_report.resumed_from}"
)
print(
    f"{lic_report.grad_evals:,} gradient evaluations, speed-up {lic_report.speedup:.2f}x; "
    f"examples of this creator left in any shard: {left}; test accuracy "
    f"{licensed.accuracy(test):.3f}"
)

# %% [markdown]
# A creator's withdrawal is a *batch* of K requests with K well above S, so (as in section 4) nearly
# every shard restarts from an early checkpoint. If withdrawals by creator are expected, shard by creator
# instead of at random: then a withdrawal touches one shard.
#
# The test accuracy went *up* after the withdrawal. Removing this creator's examples did not teach the
# model anything: every shard restarted from checkpoint 0, so the new ensemble is a new training run on
# slightly less data, and new runs differ. The accuracy after the withdrawal lies inside the range that
# other seeds give on the full permitted data (printed before the withdrawal): the rise is run-to-run
# noise, not an effect of the removal.
#
# **Check your understanding**
#
# 7. Two models are trained on the permitted part: one as a single model, one with SISA (S = 5). A
#    creator withdraws. Which one can comply exactly, and at what cost?
# 8. Does training on CC-licensed data only guarantee the model never draws a trademarked character?
#
# <details><summary>Answer</summary>
#
# 7. Both. The single model must be retrained from scratch (a full training run); SISA retrains only
#    the shards holding the creator's examples, from the earliest affected slice, which for a large
#    creator spread over all shards may be nearly as expensive.
# 8. No. Section 5 is the reason: if licensed images contain the character (fan art, photos of toys),
#    the model can still learn to draw it. Licence filtering removes examples, not concepts.
# </details>

# %% [markdown]
# ## What we measured
#
# Every number below is read from a variable computed above.

# %%
big = gold.iloc[-1]
print(
    f"- Gold standard: one request on n={int(big['n'])} costs {int(big['grad_evals']):,} gradient "
    f"evaluations "
    f"({big['seconds']:.2f} s here), linear in n."
)
print(
    f"- Summation form: ridge coefficients equal to the refit up to {ridge_rel:.0e} (relative); "
    f"Gaussian NB "
    f"parameters up to {gnb_diff:.0e}; float32 sums about zero gave "
    f"{trap['float32']['variances <= 0']} non-positive "
    f"variances of {trap['float32']['of']}, float64 {trap['float64']['variances <= 0']}, float32 "
    f"about the class means "
    f"{trap['float32, centred']['variances <= 0']}."
)
print(
    f"- SISA exactness: the unlearned shard equals the from-scratch model bitwise: {exact_match}; "
    f"untouched shards unchanged: {others_same}."
)
print(
    f"- Accuracy: single model {baseline_acc:.3f}; SISA (vote, R=5) "
    + ", ".join(f"S={s_}: {acc.loc[s_, 'vote']:.3f}" for s_ in S_VALUES)
    + "."
)
print(
    "- One request (R=5, mean over all training ids): speed-up measured vs 3RS/(2R+1): "
    + ", ".join(
        f"S={s_}: {cost.loc[(s_, 5), 'speed-up measured']:.2f} vs "
        f"{cost.loc[(s_, 5), 'speed-up 3RS/(2R+1)']:.2f}"
        for s_ in S_VALUES
    )
    + "."
)
print(
    f"- In seconds (mean of {N_TIMED} real unlearn calls; in brackets the same requests in grad "
    f"evals): "
    + ", ".join(
        f"S={s_}: {timing.loc[s_, 'speed-up in seconds']:.1f}x "
        f"({timing.loc[s_, 'speed-up in grad evals']:.1f}x)"
        for s_ in S_VALUES
    )
    + "."
)
print(
    f"- Batches (S=20): K=20 touches {batch.loc[(20, 20), 'touched']:.0%} of shards "
    f"(formula {batch.loc[(20, 20), 'touched 1-(1-1/S)^K']:.0%}); speed-up falls from "
    f"{batch.loc[(20, 1), 'speed-up']:.1f}x (K=1) to {batch.loc[(20, 200), 'speed-up']:.2f}x "
    f"(K=200)."
)
print(
    f"- Duplicates: after exactly removing the original, {dup_table.loc[4, 'votes for class 10']} "
    f"of 5 shards still "
    f"vote for the secret label and the ensemble says {dup_table.loc[4, 'ensemble says']}."
)
print(
    f"- Licensed data only: trained on {len(permitted)} of {len(train)} examples; one creator's "
    f"withdrawal of "
    f"{withdrawn.numel()} examples retrained {len(lic_report.shards_retrained)} of "
    f"{licensed.n_shards} shards "
    f"(speed-up {lic_report.speedup:.2f}x); test accuracy afterwards {licensed.accuracy(test):.3f}."
)

# %% [markdown]
# ## References
#
# - Y. Cao and J. Yang. *Towards Making Systems Forget with Machine Unlearning*. IEEE Symposium on
#   Security and Privacy (S&P), 2015. https://doi.org/10.1109/SP.2015.35
# - L. Bourtoule, V. Chandrasekaran, C. A. Choquette-Choo, H. Jia, A. Travers, B. Zhang, D. Lie,
#   N. Papernot. *Machine Unlearning*. IEEE Symposium on Security and Privacy (S&P), 2021.
#   https://arxiv.org/abs/1912.03817 (code: https://github.com/cleverhans-lab/machine-unlearning)
# - A. Gokaslan, A. F. Cooper, J. Collins, L. Seguin, A. Jacobson, M. Patel, J. Frankle, C. Stephenson,
#   V. Kuleshov. *CommonCanvas: An Open Diffusion Model Trained with Creative-Commons Images*.
#   arXiv:2310.16825, 2023 (CVPR 2024). https://arxiv.org/abs/2310.16825
# - S. Greydanus. *Scaling down Deep Learning* (the MNIST-1D data set). arXiv:2011.14439, 2020.
#   https://arxiv.org/abs/2011.14439
