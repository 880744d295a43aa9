# Source of solutions/ps02_exact_unlearning/ps02_exact_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 02 · Exact unlearning: summation form and SISA
#
# You will write the small pieces that make exact unlearning work, as in lecture 02:
# 1. deal a training set into **stratified shards** (Bourtoule et al., IEEE S&P 2021);
# 2. find the **checkpoint** each shard must resume from when a request arrives;
# 3. **forget rows from the sufficient statistics** of ridge regression (summation form, after Cao &
#    Yang, IEEE S&P 2015);
# 4. **aggregate** the shard models' labels by majority vote, abstaining on ties;
# 5. derive SISA's **expected speed-up** for one random request;
# 6. argue, in a short written answer, when SISA is not worth it.
#
# `unlearnkit` already contains reference versions of several of these functions. Each task says which
# one you may *not* call: the tests switch it off while they run (`forbid` in the setup cell), so a
# call to it fails the test.
#
# Points: 3 + 3 + 3 + 2 + 2 autograded, 3 written. Everything runs in a few seconds; nothing is trained.

# %% nbg="setup:setup"
import math
import os
import warnings
from contextlib import contextmanager
from fractions import Fraction

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

import numpy as np
import torch
from sklearn.linear_model import Ridge

from unlearnkit import data, exact, sisa

SEED = 0
torch.manual_seed(SEED)


@contextmanager
def forbid(*targets):
    '''While the block runs, the library functions named by (module, name) pairs raise when called.

    Names bound to the same objects in this notebook are switched off too.
    '''
    saved = [(module, name, getattr(module, name)) for module, name in targets]
    aliases = [
        (key, value) for key, value in globals().items() for _, _, ref in saved if value is ref
    ]

    def blocked(*args, **kwargs):
        raise AssertionError(
            "this task asks you to write this yourself, not to call unlearnkit's version"
        )

    try:
        for module, name, _ in saved:
            setattr(module, name, blocked)
        for key, _ in aliases:
            globals()[key] = blocked
        yield
    finally:
        for module, name, ref in saved:
            setattr(module, name, ref)
        for key, value in aliases:
            globals()[key] = value


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): stratified shards
#
# SISA splits the training set into S disjoint shards. If shards are drawn completely at random, a small
# shard may miss a class; so we **stratify**: every shard gets the same number of each class, up to one.
#
# Write `stratified_shards(labels, n_shards, seed)`. `labels` is an int64 tensor `(n,)` (any integer
# class labels); return an int64 tensor `shard` of shape `(n,)`: `shard[i]`, in `0..n_shards-1`, is the
# shard of position `i` (the table SISA keeps to find an example's shard), such that
# - for every class, the numbers of its positions in the shards differ by at most one;
# - the shard **sizes** differ by at most one (careful: this does not follow from the previous rule when
#   several classes have a count that is not a multiple of `n_shards`);
# - the assignment is shuffled with a generator seeded with `seed` (a `torch.Generator`): the same seed
#   gives the same assignment, different seeds (usually) put different positions together (renumbering
#   the shards is not enough). Read no global random state and leave it as it was (no `torch.manual_seed`).
#
# Hint: shuffle each class's positions, then deal them out like cards, one per shard in turn, and let the
# next class continue the deal where the previous one stopped.
#
# This task mirrors `unlearnkit.data.stratified_split`, which returns the other layout: a list of
# `n_shards` sorted tensors of positions. You may not call it.


# %% nbg="answer:task1"
def stratified_shards(labels, n_shards, seed):
    '''Assign positions 0..n-1 to n_shards class-stratified shards.

    Args:
        labels: int64 tensor (n,) of class labels (any integers).
        n_shards: number of shards, 1 <= n_shards <= n.
        seed: int, seeds the torch.Generator that shuffles (no global random state).

    Returns:
        int64 tensor (n,): the shard (0..n_shards-1) of each position; every class spread evenly
        over the shards (counts differ by at most one) and shard sizes differing by at most one.
    '''
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(int(seed))
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    turn = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        shard[pos] = (torch.arange(pos.numel()) + turn) % n_shards
        turn = (turn + pos.numel()) % n_shards  # the next class continues the deal
    return shard
    ### END SOLUTION


# %% nbg="wrong:task1:restart_deal_per_class"
def stratified_shards(labels, n_shards, seed):
    # every class is dealt from shard 0 again: classes are stratified, sizes are not
    g = torch.Generator().manual_seed(int(seed))
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        shard[pos] = torch.arange(pos.numel()) % n_shards
    return shard


# %% nbg="wrong:task1:sets_global_seed"
def stratified_shards(labels, n_shards, seed):
    # seeds torch's global generator: same seed, same result, but the caller's random state is reset
    torch.manual_seed(seed)
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    turn = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel())]
        shard[pos] = (torch.arange(pos.numel()) + turn) % n_shards
        turn = (turn + pos.numel()) % n_shards
    return shard


# %% nbg="wrong:task1:no_shuffle"
def stratified_shards(labels, n_shards, seed):
    # deals each class in position order: the seed is never used
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    turn = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        shard[pos] = (torch.arange(pos.numel()) + turn) % n_shards
        turn = (turn + pos.numel()) % n_shards
    return shard


# %% nbg="wrong:task1:shuffle_ignoring_classes"
def stratified_shards(labels, n_shards, seed):
    # shuffles all positions together and deals them: sizes balanced, classes only by luck
    g = torch.Generator().manual_seed(int(seed))
    order = torch.randperm(labels.numel(), generator=g)
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    shard[order] = torch.arange(labels.numel()) % n_shards
    return shard


# %% nbg="wrong:task1:offset_not_accumulated"
def stratified_shards(labels, n_shards, seed):
    # the next class starts after the previous class's own count, not after the running total
    g = torch.Generator().manual_seed(int(seed))
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    turn = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        shard[pos] = (torch.arange(pos.numel()) + turn) % n_shards
        turn = pos.numel() % n_shards
    return shard


# %% nbg="wrong:task1:one_based_shards"
def stratified_shards(labels, n_shards, seed):
    # shards numbered 1..n_shards
    g = torch.Generator().manual_seed(int(seed))
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    turn = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        shard[pos] = (torch.arange(pos.numel()) + turn) % n_shards + 1
        turn = (turn + pos.numel()) % n_shards
    return shard


# %% nbg="alt:task1:deal_loop"
def stratified_shards(labels, n_shards, seed):
    g = torch.Generator().manual_seed(int(seed))
    shard = [None] * labels.numel()
    turn = 0
    for c in sorted(set(labels.tolist())):
        pos = [i for i, v in enumerate(labels.tolist()) if v == c]
        for k in torch.randperm(len(pos), generator=g).tolist():
            shard[pos[k]] = turn
            turn = (turn + 1) % n_shards
    return torch.tensor(shard, dtype=torch.int64)


# %% nbg="alt:task1:sort_then_deal"
def stratified_shards(labels, n_shards, seed):
    # order positions by class, randomly within a class, then deal that order round-robin
    g = torch.Generator().manual_seed(int(seed))
    key = torch.rand(labels.numel(), generator=g, dtype=torch.float64)
    order = torch.argsort(key)
    order = order[torch.argsort(labels[order], stable=True)]
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    shard[order] = torch.arange(labels.numel()) % n_shards
    return shard


# %% nbg="wrong:task1:classes_from_range"
def stratified_shards(labels, n_shards, seed):
    # classes taken as range(max + 1): a negative label (-1 for "unknown") is never dealt, its
    # positions stay in shard 0
    g = torch.Generator().manual_seed(seed)
    shard = torch.zeros(labels.numel(), dtype=torch.int64)
    nxt = 0
    for c in range(int(labels.max()) + 1):
        pos = torch.nonzero(labels == c).flatten()
        for p in pos[torch.randperm(pos.numel(), generator=g)].tolist():
            shard[p] = nxt
            nxt = (nxt + 1) % n_shards
    return shard


# %% nbg="wrong:task1:relabels_shards_only"
def stratified_shards(labels, n_shards, seed):
    # deals the positions in their own order and only renumbers the shards at random:
    # seeded, but the same positions always end up together
    g = torch.Generator().manual_seed(seed)
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    nxt = 0
    for c in torch.unique(labels).tolist():
        for p in torch.nonzero(labels == c).flatten().tolist():
            shard[p] = nxt
            nxt = (nxt + 1) % n_shards
    return torch.randperm(n_shards, generator=g)[shard]


# %% nbg="wrong:task1:blocks_per_class"
def stratified_shards(labels, n_shards, seed):
    # each class cut into n_shards contiguous blocks of its shuffled positions: classes balanced,
    # sizes not
    g = torch.Generator().manual_seed(seed)
    shard = torch.empty(labels.numel(), dtype=torch.int64)
    for c in torch.unique(labels).tolist():
        pos = torch.nonzero(labels == c).flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        shard[pos] = torch.arange(pos.numel()) * n_shards // pos.numel()
    return shard


# %% nbg="twin:task1:fails"
import numbers


def stratified_shards(labels, n_shards, seed):
    # unlearnkit.data.stratified_split, its body copied (checks shortened) and renamed: a list of
    # groups
    if not isinstance(labels, torch.Tensor) or labels.dtype.is_floating_point or labels.dim() != 1:
        raise TypeError("labels must be a one-dimensional integer tensor")
    labels = labels.cpu()
    n = int(labels.shape[0])
    if (
        isinstance(n_shards, bool)
        or not isinstance(n_shards, numbers.Integral)
        or not 1 <= n_shards <= n
    ):
        raise ValueError(f"n_shards must be an integer in 1..{n}, got {n_shards!r}")
    g = torch.Generator().manual_seed(int(seed))
    parts = [[] for _ in range(n_shards)]
    offset = 0
    for c in torch.unique(labels).tolist():
        pos = (labels == c).nonzero().flatten()
        pos = pos[torch.randperm(pos.numel(), generator=g)]
        for j in range(n_shards):
            parts[j].append(pos[(j - offset) % n_shards :: n_shards])
        offset = (offset + pos.numel()) % n_shards
    return [torch.sort(torch.cat(p))[0] for p in parts]


# %% nbg="tests:task1_tests:3"
def _check_shards(labels, n_shards, shard):
    n = labels.numel()
    assert isinstance(shard, torch.Tensor) and shard.dtype == torch.int64 and shard.shape == (n,), (
        f"return an int64 tensor of shape ({n},), one shard per position; got "
        f"{type(shard).__name__} "
        f"{getattr(shard, 'dtype', '')} {tuple(getattr(shard, 'shape', ()))}"
    )
    assert bool(((shard >= 0) & (shard < n_shards)).all()), (
        f"shard numbers must lie in 0..{n_shards - 1}"
    )
    sizes = torch.bincount(shard, minlength=n_shards).tolist()
    assert max(sizes) - min(sizes) <= 1, f"shard sizes differ by more than one: {sizes}"
    for c in torch.unique(labels).tolist():
        per = torch.bincount(shard[labels == c], minlength=n_shards).tolist()
        assert max(per) - min(per) <= 1, f"class {c} is not stratified over the shards: {per}"


labels = torch.arange(60) % 3
state = torch.get_rng_state()
with forbid((data, "stratified_split"), (sisa, "stratified_split")):
    shard = stratified_shards(labels, 4, seed=1)
    again = stratified_shards(labels, 4, seed=1)
    other = stratified_shards(labels, 4, seed=2)
assert torch.equal(torch.get_rng_state(), state), (
    "torch's global random state changed: shuffle with your own seeded torch.Generator (no "
    "torch.manual_seed)"
)
_check_shards(labels, 4, shard)
assert torch.equal(shard, again), "the same seed must give the same assignment"
together = lambda s: s[:, None] == s[None, :]  # which positions share a shard
assert not torch.equal(together(shard), together(other)), (
    "seeds 1 and 2 put exactly the same positions together: shuffle each class's positions, not "
    "only the shard numbers"
)
# uneven class counts (7, 3, 1, 6 over 4 shards): the sizes stay balanced only if the deal continues
# across classes
uneven = torch.tensor([0] * 7 + [1] * 3 + [2] * 1 + [5] * 6)
with forbid((data, "stratified_split"), (sisa, "stratified_split")):
    _check_shards(uneven, 4, stratified_shards(uneven, 4, seed=0))
print(
    "visible tests passed: int64 (n,) shard numbers, classes and sizes balanced (also for uneven "
    "classes), "
    "seeded, global random state untouched"
)
### BEGIN HIDDEN TESTS
with forbid((data, "stratified_split"), (sisa, "stratified_split")):
    # uneven classes: sizes still balanced (needs the deal to continue across classes)
    lab = torch.tensor([4] * 9 + [1] * 5 + [2] * 2 + [8] * 3)
    _check_shards(lab, 4, stratified_shards(lab, 4, seed=3))
    lab = torch.tensor([0] * 5 + [1] * 5 + [2] * 5 + [3] * 2)
    _check_shards(lab, 3, stratified_shards(lab, 3, seed=4))
    # one shard, and as many shards as examples
    lab = torch.tensor([3, 1, 3, 2, 1, 1, 2])
    one = stratified_shards(lab, 1, seed=5)
    assert torch.equal(one, torch.zeros(7, dtype=torch.int64)), (
        "one shard: every position is in shard 0"
    )
    _check_shards(lab, 7, stratified_shards(lab, 7, seed=5))
    # non-contiguous labels, many random cases
    g = torch.Generator().manual_seed(123)
    for trial in range(25):
        n = int(torch.randint(10, 80, (1,), generator=g))
        S = int(torch.randint(1, 11, (1,), generator=g))
        lab = torch.tensor([2, 7, 9, 11])[torch.randint(0, 4, (n,), generator=g)]
        _check_shards(lab, S, stratified_shards(lab, S, seed=trial))
    # negative labels are classes too (e.g. -1 and 1)
    lab = torch.tensor([-1, 1] * 9 + [-1] * 3)
    _check_shards(lab, 4, stratified_shards(lab, 4, seed=6))
    # no global random state: the result must not depend on torch's global seed
    torch.manual_seed(1)
    a = stratified_shards(labels, 3, seed=9)
    torch.manual_seed(2)
    b = stratified_shards(labels, 3, seed=9)
    assert torch.equal(a, b), "read no global random state: use a seeded torch.Generator"
_ = torch.manual_seed(SEED)
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (3 points): which checkpoint does each shard resume from?
#
# In SISA, shard `s` is split into R slices; stage `r` trains on slices 1..r and saves checkpoint `r`
# (checkpoint 0 is the untrained model, checkpoint R the shard's final model). A request removes some
# ids. For every shard that holds at least one of them, find the **first** slice `j` (1-based) holding a
# removed id: the shard restores checkpoint `j - 1` and retrains stages `j..R`. A shard holding none of
# the ids keeps checkpoint R and retrains nothing.
#
# Write `resume_checkpoints(slice_ids, ids)`. `slice_ids[s][j]` is the int64 tensor of ids in slice
# `j + 1` of shard `s` (0-based lists, exactly like `SISA.slice_ids`); `ids` is an int64 tensor of the
# ids to remove. Return a `list` with **one entry per shard**, in shard order (plain Python ints): the
# checkpoint that shard continues from, `j - 1` for a touched shard and `R` (its number of slices) for an
# untouched one. An empty request (`ids` of shape `(0,)`) is valid: no shard retrains anything. If an id
# is in no slice, raise `ValueError` before returning anything.
#
# This task mirrors `unlearnkit.sisa.SISA.plan(ids)["resumed_from"]` (built on `sisa.resume_stage`),
# in another layout: the library returns a dict of the touched shards only, and refuses an empty
# request. You may not call `unlearnkit.sisa.resume_stage`.


# %% nbg="answer:task2"
def resume_checkpoints(slice_ids, ids):
    '''The checkpoint each shard continues from after a request removing ids.

    Args:
        slice_ids: slice_ids[s][j] is the int64 tensor of ids in slice j + 1 of shard s.
        ids: int64 tensor (k,) of ids to remove (k = 0 is valid).

    Returns:
        list of plain ints, one per shard in order: j - 1 for a shard holding at least one of ids,
        where j is the first 1-based slice holding one of them; R = len(slice_ids[s]) for a shard
        holding none.

    Raises:
        ValueError: an id is in no slice.
    '''
    ### BEGIN SOLUTION
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        keep = len(slices)  # untouched: the final checkpoint stays
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                keep = min(keep, j - 1)  # the first slice holding a removed id wins
        out.append(keep)
    if not bool(found.all()):
        raise ValueError(f"ids not in any slice: {ids[~found].tolist()}")
    return out
    ### END SOLUTION


# %% nbg="wrong:task2:last_slice_wins"
def resume_checkpoints(slice_ids, ids):
    # every hit overwrites the entry: the LAST slice holding a removed id wins
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        keep = len(slices)
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                keep = j - 1
        out.append(keep)
    if not bool(found.all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="wrong:task2:one_based_checkpoint"
def resume_checkpoints(slice_ids, ids):
    # returns the slice number j instead of the checkpoint j - 1
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        keep = len(slices)
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                keep = min(keep, j)
        out.append(keep)
    if not bool(found.all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="wrong:task2:untouched_zero"
def resume_checkpoints(slice_ids, ids):
    # an untouched shard gets 0 (as if it restarted from scratch) instead of R
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        keep = None
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                if keep is None:
                    keep = j - 1
        out.append(0 if keep is None else keep)
    if not bool(found.all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="wrong:task2:no_unknown_check"
def resume_checkpoints(slice_ids, ids):
    # never checks that every id was found
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    out = []
    for slices in slice_ids:
        keep = len(slices)
        for j, t in enumerate(slices, start=1):
            if bool(torch.isin(ids, t).any()):
                keep = min(keep, j - 1)
        out.append(keep)
    return out


# %% nbg="wrong:task2:hard_coded_R"
def resume_checkpoints(slice_ids, ids):
    # the untouched value hard-coded from the visible layout (3 slices per shard)
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        keep = 3
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                keep = min(keep, j - 1)
        out.append(keep)
    if not bool(found.all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="wrong:task2:empty_request_raises"
def resume_checkpoints(slice_ids, ids):
    # refuses an empty request (as SISA.plan does), which the task says is valid
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    if ids.numel() == 0:
        raise ValueError("ids is empty")
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        keep = len(slices)
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                keep = min(keep, j - 1)
        out.append(keep)
    if not bool(found.all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="alt:task2:where_is_each_id"
def resume_checkpoints(slice_ids, ids):
    where = {}  # id -> (shard, 1-based slice)
    for s, slices in enumerate(slice_ids):
        for j, t in enumerate(slices, start=1):
            for i in t.tolist():
                where[i] = (s, j)
    request = [int(i) for i in ids.tolist()]
    unknown = [i for i in request if i not in where]
    if unknown:
        raise ValueError(f"ids in no slice: {unknown}")
    out = [len(slices) for slices in slice_ids]
    for i in request:
        s, j = where[i]
        out[s] = min(out[s], j - 1)
    return out


# %% nbg="wrong:task2:R_of_the_first_shard"
def resume_checkpoints(slice_ids, ids):
    # R read once from shard 0: wrong for an untouched shard with another number of slices
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    R = len(slice_ids[0])
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        keep = R
        for j, t in enumerate(slices, start=1):
            hit = torch.isin(ids, t)
            if bool(hit.any()):
                found |= hit
                keep = min(keep, j - 1)
        out.append(keep)
    if not bool(found.all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="wrong:task2:argmax_tensors"
def resume_checkpoints(slice_ids, ids):
    # the first touched slice found with argmax, left as a 0-d tensor instead of a plain int
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    found = torch.zeros(ids.numel(), dtype=torch.bool)
    out = []
    for slices in slice_ids:
        hits = torch.stack([torch.isin(ids, t).any() for t in slices])
        for t in slices:
            found |= torch.isin(ids, t)
        out.append(hits.int().argmax() if bool(hits.any()) else len(slices))
    if not bool(found.all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="wrong:task2:stops_at_the_first_shard"
def resume_checkpoints(slice_ids, ids):
    # stops searching once one shard is touched: other shards holding removed ids keep R
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    out = [len(slices) for slices in slice_ids]
    for s, slices in enumerate(slice_ids):
        hit = [j for j, t in enumerate(slices) if bool(torch.isin(ids, t).any())]
        if hit:
            out[s] = hit[0]
            break
    every = torch.cat([t for slices in slice_ids for t in slices])
    if not bool(torch.isin(ids, every).all()):
        raise ValueError("an id is in no slice")
    return out


# %% nbg="twin:task2:fails"
def resume_checkpoints(slice_ids, ids):
    # SISA._index, locate, _validate and plan(ids)["resumed_from"] with resume_stage, copied and
    # renamed:
    # a dict of the touched shards only, and an empty request is refused
    ids = torch.as_tensor(ids, dtype=torch.int64).flatten()
    if ids.numel() == 0:
        raise ValueError("ids is empty: an unlearning request must name at least one id")
    vals, counts = torch.unique(ids, return_counts=True)
    if bool((counts > 1).any()):
        raise ValueError(f"ids contains duplicates: {vals[counts > 1].tolist()[:10]}")
    all_ids, shard, slc = [], [], []
    for s, sl in enumerate(slice_ids):
        for j, t in enumerate(sl):
            all_ids.append(t)
            shard.append(torch.full_like(t, s))
            slc.append(torch.full_like(t, j + 1))
    all_ids = torch.cat(all_ids)
    order = torch.argsort(all_ids)
    sorted_ids, shard_of, slice_of = all_ids[order], torch.cat(shard)[order], torch.cat(slc)[order]
    where = torch.searchsorted(sorted_ids, ids).clamp(max=sorted_ids.numel() - 1)
    found = sorted_ids[where] == ids
    if not bool(found.all()):
        raise ValueError(f"ids not in the training set: {ids[~found].tolist()[:10]}")
    shards, slices = shard_of[where], slice_of[where]
    resumed = {}
    for s in sorted(set(shards.tolist())):
        resumed[s] = min(int(v) for v in slices[shards == s].tolist()) - 1
    return resumed


# %% nbg="tests:task2_tests:3"
T = lambda *v: torch.tensor(v, dtype=torch.int64)
layout = [
    [T(0, 5), T(3, 8), T(10, 11)],  # shard 0: slices 1, 2, 3
    [T(1, 6), T(2, 7), T(12, 13)],  # shard 1
    [T(4, 9), T(14, 15), T(16, 17)],
]  # shard 2
with forbid((sisa, "resume_stage")):
    got = resume_checkpoints(layout, T(8))
    assert got == [1, 3, 3], (
        f"id 8 is in slice 2 of shard 0: [1, 3, 3] (untouched shards keep checkpoint R = 3), got "
        f"{got}"
    )
    got = resume_checkpoints(layout, T(13, 4))
    assert got == [3, 2, 0], f"expected [3, 2, 0], got {got}"
    assert type(got) is list and all(type(v) is int for v in got), (
        "return a list of plain Python ints"
    )
    got = resume_checkpoints(layout, T(10, 8, 3))
    assert got == [1, 3, 3], (
        f"ids 10, 8, 3 are in slices 3, 2, 2 of shard 0: the FIRST slice wins, got {got}"
    )
print(
    "visible tests passed: one checkpoint per shard, R for untouched shards, the first slice wins"
)
### BEGIN HIDDEN TESTS
with forbid((sisa, "resume_stage")):
    # several ids in one shard: the earliest slice wins, whatever the order of the request
    assert resume_checkpoints(layout, T(11, 3, 10)) == [1, 3, 3], (
        "several ids in one shard: the earliest slice wins"
    )
    assert resume_checkpoints(layout, T(17, 9, 15)) == [3, 3, 0], (
        "several ids in one shard: the earliest slice wins"
    )
    # every shard
    assert resume_checkpoints(layout, T(10, 7, 16)) == [2, 1, 2], "a request touching every shard"
    # an empty request retrains nothing
    assert resume_checkpoints(layout, torch.zeros(0, dtype=torch.int64)) == [3, 3, 3], (
        "an empty request: every shard keeps checkpoint R"
    )
    # an unknown id is refused
    try:
        resume_checkpoints(layout, T(8, 99))
    except ValueError:
        pass
    else:
        raise AssertionError("an id in no slice must raise ValueError")
    # shards with different numbers of slices: an untouched shard keeps its own R
    uneven = [[T(20, 21), T(22)], [T(23), T(24), T(25), T(26)], [T(27)]]
    assert resume_checkpoints(uneven, T(24)) == [2, 1, 1], (
        "an untouched shard keeps checkpoint R = its own number of slices"
    )
    assert resume_checkpoints(uneven, torch.zeros(0, dtype=torch.int64)) == [2, 4, 1], (
        "an empty request: every shard keeps its own R"
    )
    # random layouts (1 to 5 slices per shard) against a brute-force reference
    g = torch.Generator().manual_seed(7)
    for trial in range(30):
        S, R = (
            int(torch.randint(1, 6, (1,), generator=g)),
            int(torch.randint(1, 6, (1,), generator=g)),
        )
        perm = torch.randperm(S * R * 3, generator=g) + 1000
        lay = [[perm[(s * R + j) * 3 : (s * R + j + 1) * 3] for j in range(R)] for s in range(S)]
        k = int(torch.randint(1, 6, (1,), generator=g))
        req = perm[torch.randperm(perm.numel(), generator=g)[:k]]
        want = []
        for s in range(S):
            js = [j for j in range(R) if bool(torch.isin(lay[s][j], req).any())]
            want.append(min(js) if js else R)
        got = resume_checkpoints(lay, req)
        assert got == want, f"random layout {trial} (S={S}, R={R}, {k} ids): wrong checkpoints"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (3 points): forgetting rows from ridge regression's sufficient statistics
#
# Ridge regression with an unpenalised intercept keeps two sums: with $\tilde X = [\mathbf 1, X]$
# (a column of ones **first**, when `fit_intercept=True`, as statistics texts write
# $w_0 + w_1 x_1 + \dots + w_d x_d$; else $\tilde X = X$) and $P$ the identity with a 0 in the
# intercept's place (entry (0, 0)),
# $$A = \tilde X^\top \tilde X + \lambda P, \qquad b = \tilde X^\top y, \qquad A\,w = b .$$
# The model is $w$: with an intercept, $w_0$ is the intercept and the next d entries are the
# coefficients; without one, all d entries are coefficients.
#
# Write `ridge_forget(A, b, X_forget, y_forget, fit_intercept=True)`: given the float64 sums `A` `(p, p)`
# and `b` `(p,)` and the rows to forget, `X_forget` `(k, d)` and `y_forget` `(k,)`, return
# `(A_new, b_new, coef, intercept)`: the sums without those rows, the coefficients `(d,)` and the
# intercept (a float; `0.0` when `fit_intercept=False`). Compute in float64. Do not change `A` and `b` in
# place. You are not given the rows that remain: the sums are all you need. Forgetting no rows (k = 0,
# `X_forget` of shape `(0, d)`) must work too: the sums stay as they were and you return the current model.
#
# This task mirrors `unlearnkit.exact.SummationRidge` (its `forget`), which puts the column of ones
# **last**; here it comes first. You may not use `SummationRidge`.


# %% nbg="answer:task3"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    '''Forget rows from ridge regression's sums and solve again.

    Args:
        A: float64 (p, p), the penalised Gram matrix of the rows seen so far.
        b: float64 (p,), X~^T y of the rows seen so far.
        X_forget: (k, d) rows to forget; y_forget: (k,) their targets. k = 0 (shape (0, d)) is
            valid: nothing is forgotten and the result is the model of the current sums.
        fit_intercept: whether X~ has a column of ones first (then p = d + 1, else p = d).

    Returns:
        (A_new, b_new, coef, intercept): new arrays (A and b unchanged), coef float64 (d,),
        intercept a float (w[0]; 0.0 without intercept).
    '''
    ### BEGIN SOLUTION
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A_new, b_new)
    if fit_intercept:
        return A_new, b_new, w[1:], float(w[0])
    return A_new, b_new, w, 0.0
    ### END SOLUTION


# %% nbg="wrong:task3:mutates_A_in_place"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # subtracts in place: the caller's A and b change
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A -= Z.T @ Z
    b -= Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A, b)
    if fit_intercept:
        return A, b, w[1:], float(w[0])
    return A, b, w, 0.0


# %% nbg="wrong:task3:float32_rows"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # the forgotten rows' sums computed in float32
    Z = np.asarray(X_forget, dtype=np.float32)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1), dtype=np.float32), Z])
    A_new = A - (Z.T @ Z).astype(np.float64)
    b_new = b - (Z.T @ np.asarray(y_forget, dtype=np.float32)).astype(np.float64)
    w = np.linalg.solve(A_new, b_new)
    if fit_intercept:
        return A_new, b_new, w[1:], float(w[0])
    return A_new, b_new, w, 0.0


# %% nbg="wrong:task3:intercept_read_last"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # ones first in the sums, but the model read as if they came last
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A_new, b_new)
    if fit_intercept:
        return A_new, b_new, w[:-1], float(w[-1])
    return A_new, b_new, w, 0.0


# %% nbg="wrong:task3:splits_without_intercept"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # without an intercept, still takes w[0] as the intercept and drops it from the coefficients
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A_new, b_new)
    return A_new, b_new, w[1:], float(w[0])


# %% nbg="wrong:task3:intercept_as_array"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # the intercept returned as a length-1 array, not a float
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A_new, b_new)
    if fit_intercept:
        return A_new, b_new, w[1:], w[:1]
    return A_new, b_new, w, 0.0


# %% nbg="wrong:task3:b_not_updated"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # forgets the rows in A only: b keeps their targets
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A_new = A - Z.T @ Z
    b_new = b.copy()
    w = np.linalg.solve(A_new, b_new)
    if fit_intercept:
        return A_new, b_new, w[1:], float(w[0])
    return A_new, b_new, w, 0.0


# %% nbg="alt:task3:row_by_row"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    A_new, b_new = np.array(A, dtype=np.float64), np.array(b, dtype=np.float64)
    for x, t in zip(np.asarray(X_forget, dtype=np.float64), np.asarray(y_forget, dtype=np.float64)):
        z = np.concatenate([[1.0], x]) if fit_intercept else x
        A_new -= np.outer(z, z)
        b_new -= t * z
    w = np.linalg.inv(A_new) @ b_new
    if fit_intercept:
        return A_new, b_new, w[1:], float(w[0])
    return A_new, b_new, w, 0.0


# %% nbg="wrong:task3:returns_A_itself_when_empty"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # nothing to forget: hands back the caller's own arrays, so a later in-place update of A_new
    # changes A
    if len(X_forget) == 0:
        w = np.linalg.solve(A, b)
        return (A, b, w[1:], float(w[0])) if fit_intercept else (A, b, w, 0.0)
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A_new, b_new)
    return (A_new, b_new, w[1:], float(w[0])) if fit_intercept else (A_new, b_new, w, 0.0)


# %% nbg="wrong:task3:ones_column_last"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # the column of ones appended last, as unlearnkit.exact.SummationRidge does, where the task puts
    # it first
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([Z, np.ones((Z.shape[0], 1))])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    w = np.linalg.solve(A_new, b_new)
    return (A_new, b_new, w[:-1], float(w[-1])) if fit_intercept else (A_new, b_new, w, 0.0)


# %% nbg="wrong:task3:solves_blocks_apart"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # solves the coefficients' block alone and the intercept from its own row: ignores their
    # coupling
    Z = np.asarray(X_forget, dtype=np.float64)
    if fit_intercept:
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
    A_new = A - Z.T @ Z
    b_new = b - Z.T @ np.asarray(y_forget, dtype=np.float64)
    if not fit_intercept:
        return A_new, b_new, np.linalg.solve(A_new, b_new), 0.0
    coef = np.linalg.solve(A_new[1:, 1:], b_new[1:])
    return A_new, b_new, coef, float(b_new[0] / A_new[0, 0])


# %% nbg="twin:task3:fails"
def ridge_forget(A, b, X_forget, y_forget, fit_intercept=True):
    # unlearnkit.exact.SummationRidge's _design, _accumulate(sign=-1) and _update_model, copied and
    # renamed: the column of ones goes last
    X = np.asarray(X_forget, dtype=np.float64)
    y = np.asarray(y_forget, dtype=np.float64)
    Z = np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)]) if fit_intercept else X
    A_new = A + -1 * (Z.T @ Z)
    b_new = b + -1 * (Z.T @ y)
    w = np.linalg.solve(A_new, b_new)
    if fit_intercept:
        return A_new, b_new, w[:-1], float(w[-1])
    return A_new, b_new, w, 0.0


# %% nbg="tests:task3_tests:3"
def _sums(X, y, lam, fit_intercept=True):
    Z = np.hstack([np.ones((len(X), 1)), X]) if fit_intercept else X
    pen = np.ones(Z.shape[1])
    if fit_intercept:
        pen[0] = 0.0
    return Z.T @ Z + lam * np.diag(pen), Z.T @ y


rng = np.random.default_rng(0)
X = rng.normal(size=(200, 5))
y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 4.0 + 0.1 * rng.normal(size=200)
A, b = _sums(X, y, lam=2.0)
A0, b0 = A.copy(), b.copy()
ref = Ridge(alpha=2.0).fit(X[20:], y[20:])  # refit on the rows that remain
with forbid((exact, "SummationRidge")):
    A_new, b_new, coef, intercept = ridge_forget(A, b, X[:20], y[:20])
assert np.array_equal(A, A0) and np.array_equal(b, b0), "do not change A and b in place"
assert np.allclose(A_new, _sums(X[20:], y[20:], 2.0)[0], rtol=1e-10, atol=1e-10), (
    "A_new is not the sum over the remaining rows (the column of ones comes first)"
)
assert np.allclose(b_new, _sums(X[20:], y[20:], 2.0)[1], rtol=1e-10, atol=1e-10), (
    "b_new is not the sum over the remaining rows"
)
assert np.allclose(coef, ref.coef_, rtol=1e-10, atol=1e-10), (
    f"coefficients differ from a refit: {coef} vs {ref.coef_}"
)
assert abs(intercept - ref.intercept_) < 1e-9, (
    f"intercept differs from a refit: {intercept} vs {ref.intercept_}"
)
# without an intercept: X~ = X, no column of ones, and the intercept is 0.0
A1, b1 = _sums(X, y, lam=0.5, fit_intercept=False)
with forbid((exact, "SummationRidge")):
    _, _, c1, i1 = ridge_forget(A1, b1, X[150:], y[150:], fit_intercept=False)
r1 = Ridge(alpha=0.5, fit_intercept=False).fit(X[:150], y[:150])
assert np.allclose(c1, r1.coef_, rtol=1e-10, atol=1e-10), (
    "fit_intercept=False: coefficients differ from a refit"
)
assert i1 == 0.0, "fit_intercept=False: the intercept must be 0.0"
print(
    "visible tests passed: A and b unchanged, sums and model equal a refit on the remaining rows, "
    "with and without an intercept"
)
### BEGIN HIDDEN TESTS
with forbid((exact, "SummationRidge")):
    # no intercept, other rows
    _, _, c1, i1 = ridge_forget(A1, b1, X[:60], y[:60], fit_intercept=False)
    r1 = Ridge(alpha=0.5, fit_intercept=False).fit(X[60:], y[60:])
    assert np.allclose(c1, r1.coef_, rtol=1e-10, atol=1e-10) and i1 == 0.0, (
        "fit_intercept=False: wrong model"
    )
    # several requests in a row equal one refit; forgetting nothing changes nothing
    A2, b2 = A, b
    for lo in (0, 50, 100):
        A2, b2, c2, i2 = ridge_forget(A2, b2, X[lo : lo + 30], y[lo : lo + 30])
    keep = np.ones(200, dtype=bool)
    keep[[*range(0, 30), *range(50, 80), *range(100, 130)]] = False
    r2 = Ridge(alpha=2.0).fit(X[keep], y[keep])
    assert np.allclose(c2, r2.coef_, rtol=1e-9, atol=1e-10) and abs(i2 - r2.intercept_) < 1e-9, (
        "three requests in a row must equal one refit on what remains"
    )
    A3, b3, c3, i3 = ridge_forget(A, b, X[:0], y[:0])
    r3 = Ridge(alpha=2.0).fit(X, y)
    assert np.allclose(A3, A) and np.allclose(b3, b), "k = 0: the sums must stay as they were"
    assert not np.shares_memory(A3, A) and not np.shares_memory(b3, b), (
        "k = 0: return new arrays, not A and b themselves (a later in-place update would change "
        "them)"
    )
    assert np.allclose(c3, r3.coef_, rtol=1e-10, atol=1e-10) and abs(i3 - r3.intercept_) < 1e-9, (
        "k = 0 rows: the model of the current sums"
    )
    # a single row, more features than remaining rows (lam > 0 keeps A invertible)
    Xw = rng.normal(size=(8, 12))
    yw = rng.normal(size=8)
    A4, b4 = _sums(Xw, yw, lam=1.0)
    _, _, c4, i4 = ridge_forget(A4, b4, Xw[:1], yw[:1])
    r4 = Ridge(alpha=1.0).fit(Xw[1:], yw[1:])
    assert np.allclose(c4, r4.coef_, rtol=1e-8, atol=1e-10) and abs(i4 - r4.intercept_) < 1e-8, (
        "one row forgotten, more features than rows: wrong model"
    )
    assert isinstance(i4, float), "the intercept must be a Python float"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (2 points): majority vote that abstains on ties
#
# SISA predicts by majority vote of its S shard models. Write `majority_vote(labels, num_classes)`:
# `labels` is an int64 tensor `(m, n)` (row i = model i's predicted label for each of n inputs, each in
# `0..num_classes-1`); return an int64 tensor `(n,)` with, for each input, the label that more models
# chose than any other label (a plurality: it need not be more than half). **If two or more labels tie
# for the most votes, return -1** (the ensemble abstains), so the result never depends on the order of
# the models or on the numbering of the labels. With no inputs (n = 0, `labels` of shape `(m, 0)`)
# return an empty int64 tensor of shape `(0,)`. Leave `labels` unchanged.
#
# This task mirrors `unlearnkit.sisa.aggregate_votes`, which breaks a tie towards the smallest tied
# label; here a tie abstains. You may not call `sisa.aggregate_votes` or `sisa.vote_counts`.


# %% nbg="answer:task4"
def majority_vote(labels, num_classes):
    '''Plurality vote of m models that abstains (-1) on a tie.

    Args:
        labels: int64 tensor (m, n), labels[i, t] = model i's label for input t, in
            0..num_classes-1.
        num_classes: the number of classes.

    Returns:
        int64 tensor (n,): for each input the label most models chose, or -1 when two or more labels
        share the most votes. n = 0 (labels of shape (m, 0)) gives an empty int64 tensor of
        shape (0,).
    '''
    ### BEGIN SOLUTION
    m, n = labels.shape
    counts = torch.zeros(n, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.t().long(), torch.ones(n, m, dtype=torch.int64))
    top = counts.max(dim=1, keepdim=True).values
    tied = (counts == top).sum(dim=1) > 1
    return torch.where(tied, torch.full((n,), -1, dtype=torch.int64), counts.argmax(dim=1))
    ### END SOLUTION


# %% nbg="wrong:task4:torch_mode"
def majority_vote(labels, num_classes):
    # torch.mode picks one of the tied labels instead of abstaining
    return torch.mode(labels, dim=0).values


# %% nbg="wrong:task4:strict_majority"
def majority_vote(labels, num_classes):
    # asks for more than half of the votes: a plurality below half abstains too
    m, n = labels.shape
    counts = torch.zeros(n, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.t().long(), torch.ones(n, m, dtype=torch.int64))
    best = counts.argmax(dim=1)
    return torch.where(counts.max(dim=1).values * 2 > m, best, torch.full_like(best, -1))


# %% nbg="wrong:task4:tie_count_off_by_one"
def majority_vote(labels, num_classes):
    # `> 2` where `> 1` is meant: a two-way tie does not abstain
    m, n = labels.shape
    counts = torch.zeros(n, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.t().long(), torch.ones(n, m, dtype=torch.int64))
    top = counts.max(dim=1, keepdim=True).values
    tied = (counts == top).sum(dim=1) > 2
    return torch.where(tied, torch.full((n,), -1, dtype=torch.int64), counts.argmax(dim=1))


# %% nbg="wrong:task4:empty_gives_float"
def majority_vote(labels, num_classes):
    # a loop, then torch.tensor(out): int64 for n > 0, but float32 for no inputs
    out = []
    for column in labels.t().tolist():
        counts = [column.count(c) for c in range(num_classes)]
        best = max(counts)
        out.append(counts.index(best) if counts.count(best) == 1 else -1)
    return torch.tensor(out)


# %% nbg="wrong:task4:float_result"
def majority_vote(labels, num_classes):
    # torch.where with the float -1.0: the result comes back as a float tensor
    m, n = labels.shape
    counts = torch.zeros(n, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.t().long(), torch.ones(n, m, dtype=torch.int64))
    top = counts.max(dim=1, keepdim=True).values
    tied = (counts == top).sum(dim=1) > 1
    return torch.where(tied, torch.tensor(-1.0), counts.argmax(dim=1).double())


# %% nbg="wrong:task4:counts_per_model"
def majority_vote(labels, num_classes):
    # votes counted along the wrong axis: per model over the inputs, not per input over the models
    m, n = labels.shape
    counts = torch.zeros(m, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.long(), torch.ones(m, n, dtype=torch.int64))
    top = counts.max(dim=1, keepdim=True).values
    tied = (counts == top).sum(dim=1) > 1
    return torch.where(tied, torch.full((m,), -1, dtype=torch.int64), counts.argmax(dim=1))


# %% nbg="alt:task4:counter_loop"
from collections import Counter


def majority_vote(labels, num_classes):
    out = []
    for t in range(labels.shape[1]):
        ranked = Counter(labels[:, t].tolist()).most_common()
        out.append(-1 if len(ranked) > 1 and ranked[0][1] == ranked[1][1] else ranked[0][0])
    return torch.tensor(out, dtype=torch.int64)


# %% nbg="wrong:task4:sorts_the_input"
def majority_vote(labels, num_classes):
    # sorts each column in place to count runs of equal labels
    labels.copy_(labels.sort(dim=0).values)
    out = torch.empty(labels.shape[1], dtype=torch.int64)
    for t in range(labels.shape[1]):
        vals, counts = torch.unique_consecutive(labels[:, t], return_counts=True)
        top = counts == counts.max()
        out[t] = vals[top][0] if int(top.sum()) == 1 else -1
    return out


# %% nbg="wrong:task4:stack_of_no_columns"
def majority_vote(labels, num_classes):
    # one bincount per column, stacked: torch.stack of an empty list fails when n = 0
    counts = torch.stack([torch.bincount(col, minlength=num_classes) for col in labels.T])
    top = counts.max(dim=1, keepdim=True).values
    unique = (counts == top).sum(dim=1) == 1
    return torch.where(unique, counts.argmax(dim=1), torch.tensor(-1))


# %% nbg="wrong:task4:single_votes_abstain"
def majority_vote(labels, num_classes):
    # "no label got two votes" taken as a tie: a single model's labels become -1
    counts = torch.nn.functional.one_hot(labels, num_classes).sum(dim=0)
    top = counts.max(dim=1).values
    unique = (counts == top[:, None]).sum(dim=1) == 1
    return torch.where(unique & (top > 1), counts.argmax(dim=1), torch.tensor(-1))


# %% nbg="alt:task4:bincount_without_minlength"
def majority_vote(labels, num_classes):
    out = []
    for col in labels.T:
        counts = torch.bincount(col)
        winners = torch.nonzero(counts == counts.max()).flatten()
        out.append(int(winners[0]) if winners.numel() == 1 else -1)
    return torch.tensor(out, dtype=torch.int64)


# %% nbg="twin:task4:fails"
def majority_vote(labels, num_classes):
    # unlearnkit.sisa.aggregate_votes with vote_counts inlined, copied and renamed: ties go to the
    # smallest label
    if not isinstance(labels, torch.Tensor) or labels.dim() != 2:
        raise ValueError("labels must be a tensor of shape (m, n)")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    m, n = labels.shape
    counts = torch.zeros(n, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.t().long(), torch.ones(n, m, dtype=torch.int64))
    return counts.argmax(dim=1)


# %% nbg="tests:task4_tests:2"
votes = torch.tensor([[1, 0, 2, 3], [1, 2, 2, 0], [0, 2, 1, 3]])
with forbid((sisa, "aggregate_votes"), (sisa, "vote_counts")):
    got = majority_vote(votes, 4)
assert isinstance(got, torch.Tensor) and got.dtype == torch.int64 and got.shape == (4,), (
    "an int64 tensor (n,)"
)
assert got.tolist() == [1, 2, 2, 3], f"expected [1, 2, 2, 3], got {got.tolist()}"
with forbid((sisa, "aggregate_votes"), (sisa, "vote_counts")):
    tie = majority_vote(torch.tensor([[4], [1]]), 5)
    three = majority_vote(torch.tensor([[2], [0], [1]]), 3)
assert tie.tolist() == [-1], f"votes [4, 1]: a two-way tie abstains (-1), got {tie.tolist()}"
assert three.tolist() == [-1], (
    f"votes [2, 0, 1]: a three-way tie abstains (-1), got {three.tolist()}"
)
print("visible tests passed: int64 (n,), plurality labels, two- and three-way ties give -1")
### BEGIN HIDDEN TESTS
with forbid((sisa, "aggregate_votes"), (sisa, "vote_counts")):
    g = torch.Generator().manual_seed(11)
    for trial in range(40):
        m = int(torch.randint(1, 8, (1,), generator=g))
        n = int(torch.randint(1, 30, (1,), generator=g))
        C = int(torch.randint(2, 12, (1,), generator=g))
        lab = torch.randint(0, C, (m, n), generator=g)
        before = lab.clone()
        got = majority_vote(lab, C)
        assert torch.equal(lab, before), "do not change the input"
        assert got.dtype == torch.int64 and got.shape == (n,), "an int64 tensor (n,)"
        for i in range(n):
            col = lab[:, i].tolist()
            best = max(col.count(v) for v in col)
            winners = sorted({v for v in col if col.count(v) == best})
            want = winners[0] if len(winners) == 1 else -1
            assert got[i].item() == want, f"votes {col}: expected {want} (a tie abstains with -1)"
        # the order of the models does not matter
        assert torch.equal(majority_vote(lab.flip(0), C), got), (
            "the result must not depend on the order of the models"
        )
    # a plurality below half still wins; an even split abstains; one model: its labels
    assert majority_vote(torch.tensor([[2, 2, 1, 0, 3]]).t(), 4).tolist() == [2], (
        "2 of 5 votes, the rest split: 2 wins"
    )
    assert majority_vote(torch.tensor([[2, 2, 1, 1]]).t(), 4).tolist() == [-1], (
        "votes [2, 2, 1, 1]: a tie abstains"
    )
    assert majority_vote(torch.tensor([[3, 0, 9]]), 10).tolist() == [3, 0, 9], (
        "one model: the vote is its labels"
    )
    empty = majority_vote(torch.zeros(3, 0, dtype=torch.int64), 4)
    assert empty.shape == (0,) and empty.dtype == torch.int64, (
        "n = 0 inputs: an empty int64 tensor (0,)"
    )
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task5_md"
# ## Task 5 (2 points): the expected speed-up of one request
#
# Assume every shard has R equal slices and that stage r (training on slices 1..r) costs a number of
# gradient evaluations proportional to r (it sees r slices for the same number of epochs). A request
# removes one example chosen uniformly at random: it lands in one of the S shards and, within it, in a
# slice j uniform in 1..R; that shard then retrains stages j..R, the other shards nothing.
#
# Write `expected_speedup(S, R)`: the cost of retraining every shard from scratch divided by the
# *expected* cost of one such request (a float). Derive it from the assumptions (you may check your
# closed form against a direct average over j).
#
# This task mirrors `unlearnkit.sisa.expected_speedup` (and `expected_request_cost`, its reciprocal).
# You may not call either.


# %% nbg="answer:task5"
def expected_speedup(S, R):
    '''SISA's expected speed-up for one uniformly random request (S shards, R equal slices).

    Returns:
        float: (cost of retraining every shard from scratch) / (expected cost of the request).
    '''
    ### BEGIN SOLUTION
    # a shard's training costs sum_{r=1}^R r = R(R+1)/2; restarting at slice j costs sum_{r=j}^R r;
    # averaged over j this is (R+1)(2R+1)/6, i.e. a fraction (2R+1)/(3R) of the shard, 1/S of the
    # total.
    return 3.0 * R * S / (2.0 * R + 1.0)
    ### END SOLUTION


# %% nbg="wrong:task5:no_shards"
def expected_speedup(S, R):
    # only the slicing gain: the other S - 1 shards are forgotten
    return 3.0 * R / (2.0 * R + 1.0)


# %% nbg="wrong:task5:equal_stage_costs"
def expected_speedup(S, R):
    # every stage costs the same: restarting at slice j costs R - j + 1 stages
    mean_stages = sum(R - j + 1 for j in range(1, R + 1)) / R
    return S * R / mean_stages


# %% nbg="wrong:task5:integer_division"
def expected_speedup(S, R):
    # the closed form with // : an int, rounded down
    return 3 * R * S // (2 * R + 1)


# %% nbg="wrong:task5:slices_from_zero"
def expected_speedup(S, R):
    # j taken uniform in 0..R-1 with stages j..R retrained: one stage too many on average
    shard = R * (R + 1) / 2
    mean_cost = sum(sum(range(max(j, 1), R + 1)) for j in range(0, R)) / R
    return S * shard / mean_cost


# %% nbg="wrong:task5:cost_not_speedup"
def expected_speedup(S, R):
    # returns the expected cost of a request as a fraction of a full retrain: the reciprocal
    return (2.0 * R + 1.0) / (3.0 * R * S)


# %% nbg="alt:task5:average_over_slices"
def expected_speedup(S, R):
    full = S * sum(range(1, R + 1))  # every shard, every stage
    mean_request = sum(sum(range(j, R + 1)) for j in range(1, R + 1)) / R
    return full / mean_request


# %% nbg="wrong:task5:returns_a_fraction"
def expected_speedup(S, R):
    # the exact closed form, returned as a Fraction where the task asks for a float
    return Fraction(3 * R * S, 2 * R + 1)


# %% nbg="wrong:task5:average_slice_plugged_in"
def expected_speedup(S, R):
    # the cost of a request landing in the average slice (R + 1) / 2, not the average cost
    j = (R + 1) / 2
    cost = (R - j + 1) * (j + R) / 2  # stages j..R, stage r costing r
    return float(S * (R * (R + 1) / 2) / cost)


# %% nbg="wrong:task5:mean_of_speedups"
def expected_speedup(S, R):
    # averages the speed-up of each slice instead of dividing by the average cost
    full = R * (R + 1) / 2
    return float(S * sum(full / sum(range(j, R + 1)) for j in range(1, R + 1)) / R)


# %% nbg="twin:task5:passes"
import numbers


def expected_speedup(S, R):
    # unlearnkit.sisa.expected_speedup, its body copied (the argument checks inlined) and renamed
    for value, name in ((S, "S"), (R, "R")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    return 3.0 * R * S / (2.0 * R + 1.0)


# %% nbg="tests:task5_tests:2"
with forbid((sisa, "expected_speedup"), (sisa, "expected_request_cost")):
    assert math.isclose(expected_speedup(1, 1), 1.0), (
        "one shard, one slice: a request retrains everything"
    )
    assert math.isclose(expected_speedup(5, 1), 5.0), (
        "without slices, S shards give a speed-up of S"
    )
    assert math.isclose(expected_speedup(1, 2), 1.2), (
        "S=1, R=2: costs 3 (j=1) or 2 (j=2) of 3, mean 5/6"
    )
    assert isinstance(expected_speedup(3, 4), float), (
        f"return a float, got {type(expected_speedup(3, 4)).__name__}"
    )
print(
    "visible tests passed: a float; S = R = 1 gives 1, S shards without slices S, S = 1 with R = 2 "
    "gives 1.2"
)
### BEGIN HIDDEN TESTS
with forbid((sisa, "expected_speedup"), (sisa, "expected_request_cost")):
    for S_ in (1, 2, 3, 7, 20, 100):
        for R_ in (1, 2, 3, 5, 10, 50):
            stage = [Fraction(r) for r in range(1, R_ + 1)]
            shard = sum(stage)
            mean_cost = sum(sum(stage[j:]) for j in range(R_)) / R_ / S_
            want = float(shard / mean_cost)
            got = expected_speedup(S_, R_)
            assert isinstance(got, float) and math.isclose(got, want, rel_tol=1e-12), (
                f"expected_speedup({S_}, {R_}) = {got}: wrong (or not a float)"
            )
    # slicing alone never gives more than 1.5x
    assert expected_speedup(1, 10_000) < 1.5, "slicing alone (S = 1) never gives more than 1.5x"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task6_md"
# ## Task 6 (3 points, written): when is SISA not worth it?
#
# In at most 150 words: describe two situations in which a provider should *not* use SISA for exact
# unlearning (or would gain little from it), and say for each what you would measure to decide. Use what
# lecture 02 measured.

# %% [markdown] nbg="written:task6:3"
# ### BEGIN SOLUTION
# **Model answer.** (1) *When sharding costs too much accuracy.* Each shard model sees n/S examples; on
# a hard task (MNIST-1D in lecture 02 fell from about 0.58 with one model to about 0.36 with S = 20) the
# ensemble is much worse than one model. Measure test accuracy against S, next to the single-model
# baseline, before choosing S. (2) *When requests come in large batches or many at a time.* A batch of
# K requests touches a fraction $1-(1-1/S)^K$ of the shards and, within each, almost surely slice 1, so
# for K well above S the cost approaches a full retrain. Measure the rate of requests per retraining
# window, or the cost of a real batch with `plan`. Other valid points: the learner is in summation form
# or cheap to retrain; S x R checkpoints of storage and S forward passes per prediction; the goal is to
# suppress an output that duplicates still teach.
#
# **Rubric (3 points).** 1 point for each of two distinct, correct situations with the mechanism
# (why the gain or the accuracy goes away); 1 point for saying what to measure (accuracy vs S with a
# baseline, request rate or batch size vs S, storage or inference cost). No point for "SISA is slow" or
# claims that SISA is approximate (it is exact).
# ### END SOLUTION
