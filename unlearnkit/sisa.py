"""SISA: Sharded, Isolated, Sliced and Aggregated training, and exact unlearning with it.

Bourtoule, Chandrasekaran, Choquette-Choo, Jia, Travers, Zhang, Lie, Papernot, "Machine
Unlearning", IEEE S&P 2021 (reference code: cleverhans-lab/machine-unlearning).

How the course's SISA works (docs/COURSE.md section 2, "SISA semantics"):

* **Shards.** The training set is split into ``S`` disjoint shards, stratified by class
  (:func:`unlearnkit.data.stratified_split`, seed ``derive_seed(seed, "shards")``). Each shard gets
  its own model, built by ``model_fn(derive_seed(seed, "shard", s, "init"))``; shards never see
  each other's data (isolation).
* **Slices.** Each shard is split into ``R`` slices, again stratified by class (seed
  ``derive_seed(seed, "shard", s, "slices")``). The slice boundaries are fixed when the shard is
  built: a deletion filters points out of their slice and never re-slices.
* **Stages.** Stage ``r`` (1..R) trains on the union of slices ``1..r``, starting from the state
  left by stage ``r - 1``, and then saves a checkpoint (the model's *and* the optimiser's state).
  Checkpoint 0 is the untrained model with a fresh optimiser.
* **Schedule, counted in optimisation steps.** With ``e = config.epochs`` and
  ``e' = 2e / (R + 1)``, stage ``r`` takes ``steps[r] = ceil(e' * n_r / min(B, n_r))`` steps, where
  ``n_r`` is the number of examples in slices ``1..r`` *when the shard is built* and ``B`` the batch
  size. Summed over stages this is ``e`` epochs of the shard (equal slices: ``sum_r e' r n/R = e n``),
  plus at most one step per stage from rounding up. The step counts never change afterwards; after
  deletions a stage takes the same number of steps on slightly fewer examples (a stage whose slices
  became empty takes none). Unlike the reference code, which rounds epochs per stage to whole
  numbers (so with few epochs and many slices whole stages get no training), every stage trains.
* **Data order.** Stage ``r`` of shard ``s`` draws its batches with
  :func:`unlearnkit.training.batch_order` from a CPU generator seeded with
  ``derive_seed(seed, "shard", s, "stage", r)``: it depends on which examples remain, never on the
  history of requests.
* **Aggregation.** ``"vote"``: each shard model votes for its argmax label; the label with the most
  votes wins; a tie goes to the *smallest* tied label. ``"proba"``: the mean of the shard models'
  softmax probabilities, then argmax (ties again to the smallest label).
* **Unlearning.** :meth:`SISA.unlearn` checks the whole request first (nothing changes if it is
  refused), then for each shard that holds a removed id restores the checkpoint of stage
  ``j - 1``, where ``j`` is the first slice holding one of that shard's removed ids, and retrains
  stages ``j..R`` on the filtered slices. Untouched shards are not retrained.
* **Exactness.** Because of all the above, after ``unlearn(ids)`` each shard's ``state_dict``
  equals, bitwise on the CPU with the same thread count, what :func:`train_shard` produces from
  scratch on that shard's slices without the removed ids.
* **Costs** are counted in gradient evaluations (one example's forward and backward pass, from
  :class:`~unlearnkit.training.TrainLog`) and in wall-clock seconds. The expected speed-up of one
  uniformly random request over retraining everything is ``3RS / (2R + 1)``
  (:func:`expected_speedup`); ``K`` requests in one batch touch a fraction ``1 - (1 - 1/S)^K`` of
  the shards (:func:`expected_fraction_touched`).

Checked against the reference code (cleverhans-lab/machine-unlearning): ``sisa.py`` gives stage
``r`` (0-based ``sl``) ``int((sl + 1) a) - int(sl a)`` epochs with ``a = 2 R / (R + 1) * e / R =
2e / (R + 1)`` on the first ``(sl + 1) * (shard_size // R)`` points (the last slice takes the
remainder), resuming from the previous slice's saved weights; ``aggregation.py`` sums the shards'
one-hot argmax (or softmax) outputs with uniform weights and takes ``np.argmax`` (ties to the
smallest label), as :func:`aggregate_votes` and :func:`aggregate_proba` do. Where ours differs,
deliberately: shards and slices are stratified by class (the reference's ``distribution.py`` splits
the index range into contiguous equal parts, which on small data can leave a shard without a
class); the schedule is counted in optimisation steps (above); a checkpoint keeps the optimiser's
state as well as the weights (the reference saves ``model.state_dict()`` only, so a stage resumed
after a deletion restarts its optimiser: with momentum or Adam that is not what training from
scratch does, and the result would not be exact).

Introduced in lecture 02.
"""
from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import asdict, dataclass
from typing import Callable

import torch
from torch import nn

from ._common import check_dataset, check_int, check_number, check_train_config
from ._seeding import check_seed, derive_seed
from .data import Dataset, as_ids, stratified_split
from .training import TrainConfig, TrainLog, fit, make_optimizer, predict_logits

__all__ = [
    "SISA",
    "UnlearnReport",
    "stage_steps",
    "train_shard",
    "resume_stage",
    "aggregate_votes",
    "aggregate_proba",
    "vote_counts",
    "expected_speedup",
    "expected_request_cost",
    "expected_fraction_touched",
]


# ----------------------------------------------------------------------------- formulas
def _check_count(value, name: str, minimum: int = 1) -> int:
    """A count: TypeError if not an integer, ValueError if below ``minimum`` (the library's one integer check)."""
    return check_int(value, name, minimum)


def expected_speedup(S: int, R: int) -> float:
    """Expected speed-up of one uniformly random unlearning request over retraining from scratch: ``3RS / (2R + 1)``.

    A request lands in one of ``S`` shards and, within it, in slice ``j`` uniform in ``1..R``;
    retraining stages ``j..R`` costs on average a fraction ``(2R + 1) / (3R)`` of the shard's
    training, which is ``1/S`` of everything.

    Args:
        S: number of shards (int >= 1).  R: number of slices per shard (int >= 1).

    Returns:
        float, e.g. ``expected_speedup(1, 1) == 1.0`` and ``expected_speedup(20, 10) == 600/21``.

    Raises:
        TypeError / ValueError: ``S`` or ``R`` is not an integer >= 1.

    Source: Bourtoule et al., IEEE S&P 2021. Introduced in lecture 02.
    """
    S, R = _check_count(S, "S"), _check_count(R, "R")
    return 3.0 * R * S / (2.0 * R + 1.0)


def expected_request_cost(S: int, R: int) -> float:
    """Expected cost of one uniformly random request, as a fraction of retraining everything: ``(2R + 1) / (3RS)``.

    The reciprocal of :func:`expected_speedup`. Raises as it does. Introduced in lecture 02.
    """
    return 1.0 / expected_speedup(S, R)


def expected_fraction_touched(S: int, K: int) -> float:
    """Expected fraction of the ``S`` shards that ``K`` independent uniform requests touch: ``1 - (1 - 1/S)^K``.

    Each request falls in a given shard with probability ``1/S``, so a shard escapes all ``K`` with
    probability ``(1 - 1/S)^K``. (Requests drawn without replacement from a finite set touch a
    hair more.) Once ``K`` is well above ``S`` nearly every shard must be retrained and the gain of
    sharding fades.

    Args:
        S: number of shards (int >= 1).  K: number of requests in the batch (int >= 0).

    Returns:
        float in [0, 1].

    Raises:
        TypeError / ValueError: ``S`` not an integer >= 1 or ``K`` not an integer >= 0.

    Source: Bourtoule et al., IEEE S&P 2021. Introduced in lecture 02.
    """
    S, K = _check_count(S, "S"), _check_count(K, "K", minimum=0)
    return 1.0 - (1.0 - 1.0 / S) ** K


def stage_steps(slice_sizes, epochs: float, batch_size: int) -> list[int]:
    """The SISA schedule: optimisation steps of each stage, fixed when a shard is built.

    With ``R = len(slice_sizes)``, ``e' = 2 * epochs / (R + 1)`` and ``n_r = sum(slice_sizes[:r])``,
    stage ``r`` takes ``ceil(e' * n_r / min(batch_size, n_r))`` steps (0 if ``n_r == 0``), so the
    stages together cost about ``epochs`` passes over the shard (each stage rounds up, adding at
    most one step).

    Args:
        slice_sizes: the number of examples in each slice, in slice order (ints >= 0).
        epochs: ``e``, passes over the shard in total (> 0).
        batch_size: examples per step (int >= 1).

    Returns:
        list of ``R`` ints (stage 1 first).

    Raises:
        TypeError / ValueError: a size is not a non-negative integer, ``epochs`` <= 0, bad batch size,
        or no slices.

    Source: Bourtoule et al., IEEE S&P 2021 (there in whole epochs per stage; ours in steps).
    Introduced in lecture 02.
    """
    sizes = [_check_count(n, "slice_sizes", minimum=0) for n in slice_sizes]
    if not sizes:
        raise ValueError("slice_sizes must name at least one slice")
    epochs = check_number(epochs, "epochs", 0, open_min=True, what="a number > 0")
    batch_size = _check_count(batch_size, "batch_size")
    R = len(sizes)
    per_stage = 2.0 * float(epochs) / (R + 1)
    steps, n_r = [], 0
    for n in sizes:
        n_r += n
        steps.append(int(math.ceil(per_stage * n_r / min(batch_size, n_r) - 1e-9)) if n_r else 0)
    return steps


def resume_stage(slice_of_removed) -> int:
    """The checkpoint to resume from: ``j - 1`` where ``j`` is the first slice (1-based) holding a removed id.

    Args:
        slice_of_removed: the 1-based slice numbers of a shard's removed ids (ints >= 1; a tensor or
            sequence, not empty).

    Returns:
        int in ``0..R-1``: the stage whose checkpoint survives; stages after it must be retrained.

    Raises:
        ValueError: empty input or a slice number < 1.

    Introduced in lecture 02.
    """
    vals = [int(v) for v in (slice_of_removed.tolist() if isinstance(slice_of_removed, torch.Tensor)
                             else slice_of_removed)]
    if not vals:
        raise ValueError("slice_of_removed is empty: no removed id in this shard")
    if min(vals) < 1:
        raise ValueError(f"slice_of_removed holds 1-based slice numbers, got {min(vals)}")
    return min(vals) - 1


# ----------------------------------------------------------------------------- aggregation
def aggregate_votes(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Majority vote of ``m`` models: labels int64 ``(m, n)`` -> int64 ``(n,)``.

    Ties go to the smallest tied label (deterministic).

    Raises:
        ValueError: ``labels`` is not 2-D, or a label lies outside ``0..num_classes-1``.

    Source: Bourtoule et al., IEEE S&P 2021 (label aggregation). Introduced in lecture 02.
    """
    if not isinstance(labels, torch.Tensor) or labels.dim() != 2:
        raise ValueError("labels must be a tensor of shape (m, n)")
    num_classes = _check_count(num_classes, "num_classes")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    counts = vote_counts(labels, num_classes)
    return counts.argmax(dim=1)  # torch.argmax returns the first maximal index: the smallest label


def vote_counts(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Votes per class: labels int64 ``(m, n)`` from ``m`` models -> counts int64 ``(n, num_classes)``.

    Raises:
        ValueError: ``labels`` is not 2-D.

    Introduced in lecture 02.
    """
    if not isinstance(labels, torch.Tensor) or labels.dim() != 2:
        raise ValueError("labels must be a tensor of shape (m, n)")
    num_classes = _check_count(num_classes, "num_classes")
    m, n = labels.shape
    counts = torch.zeros(n, num_classes, dtype=torch.int64)
    counts.scatter_add_(1, labels.t().long(), torch.ones(n, m, dtype=torch.int64))
    return counts


def aggregate_proba(probs: torch.Tensor) -> torch.Tensor:
    """Mean of ``m`` models' probabilities: float ``(m, n, C)`` -> ``(n, C)``.

    Raises:
        ValueError: ``probs`` is not 3-D.

    Source: Bourtoule et al., IEEE S&P 2021 (they also average confidence vectors).
    Introduced in lecture 02.
    """
    if not isinstance(probs, torch.Tensor) or probs.dim() != 3:
        raise ValueError("probs must be a tensor of shape (m, n, classes)")
    return probs.mean(dim=0)


# ----------------------------------------------------------------------------- one shard
def _clone_tree(obj):
    """Deep copy of a state dict or optimiser state dict with every tensor cloned to the CPU."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _clone_tree(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone_tree(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_clone_tree(v) for v in obj)
    return copy.deepcopy(obj)


def _checkpoint(model: nn.Module, opt: torch.optim.Optimizer) -> dict:
    return {"model": _clone_tree(model.state_dict()), "optimizer": _clone_tree(opt.state_dict())}


def _restore(model: nn.Module, config: TrainConfig, ckpt: dict) -> torch.optim.Optimizer:
    model.load_state_dict(ckpt["model"])
    opt = make_optimizer(model.parameters(), config)
    opt.load_state_dict(_clone_tree(ckpt["optimizer"]))  # a copy: training must not write into the checkpoint
    return opt


def _stage_data(slices: list[Dataset], r: int) -> Dataset:
    """The union of slices 1..r (slice order, then each slice's order)."""
    out = slices[0]
    for sl in slices[1:r]:
        out = out.concat(sl)
    return out


def _run_stages(model, opt, slices, schedule, config, seed, shard, start, checkpoints, logs, progress=False):
    """Train stages start+1..R in place, writing checkpoints[r] and logs[r-1]."""
    for r in range(start + 1, len(slices) + 1):
        stage = _stage_data(slices, r)
        steps = schedule[r - 1] if len(stage) else 0
        cfg = config.replace(steps=steps, seed=derive_seed(seed, "shard", shard, "stage", r))
        log = fit(model, stage, cfg, optimizer=opt, progress=progress)
        checkpoints[r] = _checkpoint(model, opt)
        logs[r - 1] = log


def train_shard(model_fn: Callable[[int], nn.Module], slices: list[Dataset], schedule: list[int],
                config: TrainConfig, seed: int, shard: int, *, progress: bool = False):
    """Train one SISA shard from scratch, stage by stage: the reference that unlearning must match.

    The model is ``model_fn(derive_seed(seed, "shard", shard, "init"))`` with a fresh optimiser
    from ``config``; stage ``r`` trains on slices ``1..r`` for ``schedule[r-1]`` steps (none if
    those slices are empty), batches drawn with seed ``derive_seed(seed, "shard", shard, "stage", r)``.

    Args:
        model_fn: builds an untrained model from an int seed.
        slices: the shard's ``R`` slices, in order (Datasets, possibly with ids removed).
        schedule: steps per stage, ``R`` ints (from :func:`stage_steps` on the build-time sizes;
            ``SISA.schedule[shard]``).
        config: optimiser, learning rate, momentum, weight decay, batch size (its steps/epochs and
            seed are replaced by the schedule and the derived seeds).
        seed: the SISA seed.  shard: the shard's index ``s``.

    Returns:
        ``(model, checkpoints, logs)``: the trained model; ``R + 1`` checkpoints (index 0 = before
        training), each ``{"model": state_dict, "optimizer": optimizer state_dict}`` of CPU tensors
        and plain containers; ``R`` :class:`TrainLog` s, one per stage.

    Raises:
        ValueError: ``schedule`` and ``slices`` differ in length.

    Source: Bourtoule et al., IEEE S&P 2021. Introduced in lecture 02.
    """
    if len(schedule) != len(slices) or not slices:
        raise ValueError(f"schedule must give one step count per slice, got {len(schedule)} for {len(slices)} slices")
    model = model_fn(derive_seed(seed, "shard", shard, "init"))
    opt = make_optimizer(model.parameters(), config)
    checkpoints: list = [None] * (len(slices) + 1)
    logs: list = [None] * len(slices)
    checkpoints[0] = _checkpoint(model, opt)
    _run_stages(model, opt, slices, schedule, config, seed, shard, 0, checkpoints, logs, progress)
    model.eval()
    return model, checkpoints, logs


# ----------------------------------------------------------------------------- the ensemble
@dataclass
class UnlearnReport:
    """What one :meth:`SISA.unlearn` call did and cost.

    Attributes:
        ids: int64 ``(k,)`` the ids removed.
        shards_retrained: sorted list of the shard indices that were retrained.
        resumed_from: ``{shard: stage}``, the checkpoint each retrained shard restarted from
            (0 = from the untrained model).
        stages_retrained: ``{shard: [stages]}``, the 1-based stages rerun in each retrained shard.
        grad_evals: gradient evaluations spent (sum over the rerun stages).
        grad_evals_per_shard: ``{shard: grad evals}`` for the retrained shards.
        seconds: wall-clock seconds of the whole call.
        full_retrain_grad_evals: what retraining every shard from scratch on the remaining data
            would cost (all stages of all shards, same schedule) -- the comparison.
        speedup: ``full_retrain_grad_evals / grad_evals`` (inf if nothing was trained).

    Introduced in lecture 02.
    """

    ids: torch.Tensor
    shards_retrained: list
    resumed_from: dict
    stages_retrained: dict
    grad_evals: int
    grad_evals_per_shard: dict
    seconds: float
    full_retrain_grad_evals: int

    @property
    def speedup(self) -> float:
        """Gradient evaluations of retraining everything divided by those this request spent."""
        return self.full_retrain_grad_evals / self.grad_evals if self.grad_evals else float("inf")


def _stage_cost(n_r: int, steps: int, batch_size: int) -> int:
    return steps * min(batch_size, n_r) if n_r else 0


class SISA:
    """An ensemble of shard models trained with slices and checkpoints, that unlearns exactly.

    Args:
        data: the training set D (a :class:`~unlearnkit.data.Dataset`).
        model_fn: builds an untrained model from an int seed (called once per shard).
        config: a :class:`TrainConfig`; ``config.epochs`` is ``e``, the passes over each shard in
            total; optimiser, lr, momentum, weight decay and batch size are used as given; its
            ``seed`` is ignored (see ``seed``).
        n_shards: ``S``, int in ``1..len(data)``.
        n_slices: ``R``, int in ``1..`` the size of the smallest shard.
        seed: the one seed everything derives from (shards, slices, inits, stage orders).
        progress: show a progress bar over shards while training.

    Attributes:
        n_shards, n_slices, seed, config, num_classes.
        slice_ids: ``[s][j]`` int64 tensors, the ids of slice ``j`` (0-based) of shard ``s`` at
            build time; fixed forever.
        schedule: ``[s]`` list of ``R`` ints, the steps of each stage of shard ``s`` (fixed).
        models: ``[s]`` the shard models (eval mode).
        checkpoints: ``[s][r]`` for ``r`` in ``0..R``: ``{"model": ..., "optimizer": ...}``.
        stage_logs: ``[s][r-1]`` the :class:`TrainLog` of the latest run of stage ``r`` of shard ``s``.
        removed: int64 tensor, every id removed so far (in request order).
        build_log: the :class:`TrainLog` of the initial training (all shards summed).
        history: the list of :class:`UnlearnReport` s, one per request.

    Raises:
        TypeError: ``data`` is not a Dataset, ``config`` not a TrainConfig, ``n_shards`` or
            ``n_slices`` not an integer (a float such as 5.0 is refused).
        ValueError: more shards than examples, more slices than the smallest shard holds,
            ``config.epochs`` not set (SISA's schedule is in epochs of the shard).

    Source: Bourtoule et al., "Machine Unlearning", IEEE S&P 2021. Introduced in lecture 02.
    """

    def __init__(self, data: Dataset, model_fn: Callable[[int], nn.Module], config: TrainConfig,
                 n_shards: int, n_slices: int, seed: int = 0, *, progress: bool = False, _build: bool = True):
        check_dataset(data)
        check_train_config(config)
        if config.epochs is None:
            raise ValueError("config must set epochs (the passes over each shard in total), not steps")
        S = _check_count(n_shards, "n_shards")
        R = _check_count(n_slices, "n_slices")
        if S > len(data):
            raise ValueError(f"n_shards={S} is more than the {len(data)} examples in data")
        self.seed = check_seed(seed)
        self.data, self.model_fn, self.config = data, model_fn, config
        self.n_shards, self.n_slices, self.num_classes = S, R, data.num_classes
        parts = stratified_split(data.y, S, derive_seed(self.seed, "shards"))
        smallest = min(p.numel() for p in parts)
        if R > smallest:
            raise ValueError(f"n_slices={R} is more than the {smallest} examples the smallest shard holds")
        self.slice_ids = []
        for s, pos in enumerate(parts):
            shard = data.where(_mask(len(data), pos))
            sl = stratified_split(shard.y, R, derive_seed(self.seed, "shard", s, "slices"))
            self.slice_ids.append([shard.ids[p].clone() for p in sl])
        self.schedule = [stage_steps([t.numel() for t in sl], config.epochs, config.batch_size)
                         for sl in self.slice_ids]
        self.removed = torch.empty(0, dtype=torch.int64)
        self.history: list[UnlearnReport] = []
        self._index()
        self.models, self.checkpoints, self.stage_logs = [None] * S, [None] * S, [None] * S
        self.build_log = TrainLog()
        if _build:
            start = time.perf_counter()
            it = range(S)
            if progress:
                from .viz import progress
                it = progress(it, desc="SISA shards", leave=False)
            for s in it:
                self.models[s], self.checkpoints[s], self.stage_logs[s] = train_shard(
                    model_fn, self.slices(s), self.schedule[s], config, self.seed, s)
                for log in self.stage_logs[s]:
                    self.build_log = self.build_log + log
            self.build_log.seconds = time.perf_counter() - start

    # ------------------------------------------------------------------ where things are
    def _index(self):
        ids, shard, slc = [], [], []
        for s, sl in enumerate(self.slice_ids):
            for j, t in enumerate(sl):
                ids.append(t)
                shard.append(torch.full_like(t, s))
                slc.append(torch.full_like(t, j + 1))
        ids = torch.cat(ids)
        order = torch.argsort(ids)
        self._sorted_ids, self._shard_of, self._slice_of = ids[order], torch.cat(shard)[order], torch.cat(slc)[order]

    def _lookup(self, ids: torch.Tensor):
        where = torch.searchsorted(self._sorted_ids, ids).clamp(max=self._sorted_ids.numel() - 1)
        found = self._sorted_ids[where] == ids
        return where, found

    def locate(self, ids) -> tuple[torch.Tensor, torch.Tensor]:
        """Where ids live: ``(shard, slice)``, two int64 tensors ``(k,)`` (shard 0-based, slice 1-based).

        Works for removed ids too (they keep their build-time place).

        Raises:
            TypeError: an id is not an integer.  ValueError: an id was never in the training set.
        """
        ids = as_ids(ids, "ids")
        where, found = self._lookup(ids)
        if not bool(found.all()):
            raise ValueError(f"ids not in the training set: {ids[~found].tolist()[:10]}")
        return self._shard_of[where].clone(), self._slice_of[where].clone()

    def slices(self, s: int) -> list[Dataset]:
        """The current ``R`` slices of shard ``s`` (Datasets, removed ids filtered out, build order kept)."""
        s = self._check_shard(s)
        out = []
        for t in self.slice_ids[s]:
            keep = t[~torch.isin(t, self.removed)]
            out.append(self.data.subset(keep))
        return out

    def shard(self, s: int) -> Dataset:
        """The current examples of shard ``s`` (slices 1..R concatenated)."""
        return _stage_data(self.slices(s), self.n_slices)

    def shard_sizes(self) -> list[int]:
        """The current number of examples in each shard."""
        return [len(self.shard(s)) for s in range(self.n_shards)]

    def _check_shard(self, s):
        s = _check_count(s, "s", minimum=0)
        if s >= self.n_shards:
            raise ValueError(f"s must be a shard index in 0..{self.n_shards - 1}, got {s}")
        return s

    # ------------------------------------------------------------------ costs
    def _shard_cost(self, s: int, removed: torch.Tensor, from_stage: int = 0) -> int:
        total, n_r = 0, 0
        for r, t in enumerate(self.slice_ids[s], start=1):
            n_r += int((~torch.isin(t, removed)).sum())
            if r > from_stage:
                total += _stage_cost(n_r, self.schedule[s][r - 1], self.config.batch_size)
        return total

    def _current_costs(self) -> list[int]:
        key = self.removed.numel()
        if getattr(self, "_costs_key", None) != key:
            self._costs = [self._shard_cost(s, self.removed) for s in range(self.n_shards)]
            self._costs_key = key
        return self._costs

    def full_retrain_grad_evals(self) -> int:
        """Gradient evaluations of retraining every shard from scratch on the current data (all stages, same schedule).

        With equal slices this is about ``config.epochs * len(data)``, the cost of one ordinary
        training run of ``config.epochs`` epochs on all the data (rounding adds at most one batch
        per stage).
        """
        return sum(self._current_costs())

    def plan(self, ids) -> dict:
        """What ``unlearn(ids)`` would do, without doing it: validates ``ids`` exactly as :meth:`unlearn`.

        Returns:
            ``{"resumed_from": {shard: stage}, "stages_retrained": {shard: [stages]},
            "grad_evals_per_shard": {shard: int}, "grad_evals": int, "full_retrain_grad_evals": int}``;
            the gradient evaluations are exact (the schedule fixes every stage's steps and batch size).
            Handy to average the cost over many random requests without training.

        Raises:
            as :meth:`unlearn`.
        """
        ids = self._validate(ids)
        after = torch.cat([self.removed, ids])
        shards, slices = self.locate(ids)
        resumed, stages, per = {}, {}, {}
        for s in sorted(set(shards.tolist())):
            k = resume_stage(slices[shards == s])
            resumed[s] = k
            stages[s] = list(range(k + 1, self.n_slices + 1))
            per[s] = self._shard_cost(s, after, from_stage=k)
        costs = list(self._current_costs())
        for s in per:
            costs[s] = self._shard_cost(s, after)
        full = sum(costs)
        return {"resumed_from": resumed, "stages_retrained": stages, "grad_evals_per_shard": per,
                "grad_evals": sum(per.values()), "full_retrain_grad_evals": full}

    # ------------------------------------------------------------------ unlearning
    def _validate(self, ids) -> torch.Tensor:
        ids = as_ids(ids, "ids")  # TypeError for floats/bools, naming ids
        if ids.numel() == 0:
            raise ValueError("ids is empty: an unlearning request must name at least one id")
        vals, counts = torch.unique(ids, return_counts=True)
        if bool((counts > 1).any()):
            raise ValueError(f"ids contains duplicates: {vals[counts > 1].tolist()[:10]}")
        _, found = self._lookup(ids)
        if not bool(found.all()):
            raise ValueError(f"ids not in the training set: {ids[~found].tolist()[:10]}")
        gone = torch.isin(ids, self.removed)
        if bool(gone.any()):
            raise ValueError(f"ids already removed: {ids[gone].tolist()[:10]}")
        return ids

    def unlearn(self, ids, *, progress: bool = False) -> UnlearnReport:
        """Remove ``ids`` exactly: retrain each affected shard from the last checkpoint before its first affected slice.

        A batch of ``K`` ids is one request: each touched shard is retrained once, from the earliest
        slice among its removed ids. The whole request is checked before anything changes, and the
        new models and checkpoints are built aside and swapped in only when every shard has
        finished, so a refused or interrupted request leaves every model and checkpoint as it was.

        Args:
            ids: the ids to remove (int, sequence, numpy or torch integer array).
            progress: show a progress bar over the retrained shards.

        Returns:
            an :class:`UnlearnReport` (also appended to ``self.history``).

        Raises:
            TypeError: an id is not an integer (e.g. a float such as 3.0).
            ValueError: ``ids`` is empty, holds duplicates, holds an id not in the training set, or an
                id already removed.

        Source: Bourtoule et al., IEEE S&P 2021. Introduced in lecture 02.
        """
        ids = self._validate(ids)
        start = time.perf_counter()
        removed_after = torch.cat([self.removed, ids])
        shards, slices = self.locate(ids)
        touched = sorted(set(shards.tolist()))
        new_state = {}
        it = touched
        if progress:
            from .viz import progress
            it = progress(touched, desc="unlearning", leave=False)
        for s in it:
            k = resume_stage(slices[shards == s])
            model = copy.deepcopy(self.models[s])
            opt = _restore(model, self.config, self.checkpoints[s][k])
            ckpts = list(self.checkpoints[s])
            logs = list(self.stage_logs[s])
            cur = [self.data.subset(t[~torch.isin(t, removed_after)]) for t in self.slice_ids[s]]
            _run_stages(model, opt, cur, self.schedule[s], self.config, self.seed, s, k, ckpts, logs)
            model.eval()
            new_state[s] = (model, ckpts, logs, k)
        # commit: nothing above touched self
        self.removed = removed_after
        per, resumed, stages = {}, {}, {}
        for s, (model, ckpts, logs, k) in new_state.items():
            self.models[s], self.checkpoints[s], self.stage_logs[s] = model, ckpts, logs
            per[s] = sum(log.grad_evals for log in logs[k:])
            resumed[s] = k
            stages[s] = list(range(k + 1, self.n_slices + 1))
        report = UnlearnReport(ids=ids, shards_retrained=touched, resumed_from=resumed, stages_retrained=stages,
                               grad_evals=sum(per.values()), grad_evals_per_shard=per,
                               seconds=time.perf_counter() - start,
                               full_retrain_grad_evals=self.full_retrain_grad_evals())
        self.history.append(report)
        return report

    def from_scratch(self, s: int) -> nn.Module:
        """Shard ``s`` trained from scratch on its current slices (removed ids left out) with :func:`train_shard`.

        The reference an unlearned shard must equal bitwise (the definition of exact in docs/COURSE.md).
        Costs one full training of the shard; changes nothing in the ensemble.

        Raises:
            ValueError: ``s`` is not a shard index.
        """
        s = self._check_shard(s)
        model, _, _ = train_shard(self.model_fn, self.slices(s), self.schedule[s], self.config, self.seed, s)
        return model

    def copy(self) -> "SISA":
        """An independent deep copy (models, checkpoints, history), e.g. to try requests and throw them away.

        The training set (an immutable Dataset) and ``model_fn`` are shared, not copied."""
        return copy.deepcopy(self, memo={id(self.data): self.data})

    # ------------------------------------------------------------------ prediction
    def shard_logits(self, data) -> torch.Tensor:
        """Each shard model's logits: float32 ``(S, n, classes)`` on the CPU for a Dataset or an ``(n, d)`` tensor."""
        return torch.stack([predict_logits(m, data) for m in self.models])

    def predict_proba(self, data, how: str = "proba") -> torch.Tensor:
        """Aggregated class scores ``(n, classes)`` float32.

        ``how="proba"``: the mean of the shard models' softmax probabilities. ``how="vote"``: the
        fraction of shard models voting for each class.

        Raises:
            ValueError: ``how`` is not "vote" or "proba".
        """
        logits = self.shard_logits(data)
        if how == "proba":
            return aggregate_proba(torch.softmax(logits, dim=2))
        if how == "vote":
            return vote_counts(logits.argmax(dim=2), logits.shape[2]).float() / logits.shape[0]
        raise ValueError(f"how must be 'vote' or 'proba', got {how!r}")

    def predict(self, data, how: str = "vote") -> torch.Tensor:
        """Aggregated labels int64 ``(n,)``: majority vote (default; ties to the smallest label) or ``how="proba"``.

        Raises:
            ValueError: ``how`` is not "vote" or "proba".
        """
        logits = self.shard_logits(data)
        if how == "vote":
            return aggregate_votes(logits.argmax(dim=2), logits.shape[2])
        if how == "proba":
            return aggregate_proba(torch.softmax(logits, dim=2)).argmax(dim=1)
        raise ValueError(f"how must be 'vote' or 'proba', got {how!r}")

    def accuracy(self, data: Dataset, how: str = "vote") -> float:
        """Accuracy of the aggregated prediction on ``data``, in [0, 1]."""
        if len(data) == 0:
            return float("nan")
        return float((self.predict(data, how) == data.y).double().mean())

    def shard_accuracies(self, data: Dataset) -> torch.Tensor:
        """Accuracy of each shard model alone on ``data``: float64 ``(S,)``."""
        return (self.shard_logits(data).argmax(dim=2) == data.y[None]).double().mean(dim=1)

    # ------------------------------------------------------------------ saving
    def save(self, directory: str) -> None:
        """Write the ensemble to ``directory``: ``meta.pt`` and ``shard_{s}/stage_{r}.pt`` for every checkpoint.

        Every file holds only tensors and plain containers, so it loads with
        ``torch.load(path, weights_only=True)``. The data and ``model_fn`` are not saved (they are
        code and shipped data); :meth:`load` takes them again.
        """
        os.makedirs(directory, exist_ok=True)
        meta = {"n_shards": self.n_shards, "n_slices": self.n_slices, "seed": self.seed,
                "config": asdict(self.config), "schedule": self.schedule, "slice_ids": self.slice_ids,
                "removed": self.removed, "data_ids": self.data.ids}
        torch.save(meta, os.path.join(directory, "meta.pt"))
        for s in range(self.n_shards):
            os.makedirs(os.path.join(directory, f"shard_{s}"), exist_ok=True)
            for r, ck in enumerate(self.checkpoints[s]):
                torch.save(ck, os.path.join(directory, f"shard_{s}", f"stage_{r}.pt"))

    @classmethod
    def load(cls, directory: str, data: Dataset, model_fn: Callable[[int], nn.Module]) -> "SISA":
        """Rebuild an ensemble saved by :meth:`save` (every file read with ``weights_only=True``).

        Raises:
            ValueError: ``data`` does not hold the ids the ensemble was built on.
        """
        meta = torch.load(os.path.join(directory, "meta.pt"), weights_only=True)
        if not torch.equal(torch.sort(meta["data_ids"])[0], torch.sort(data.ids)[0]):
            raise ValueError("data does not hold the ids this SISA ensemble was built on")
        cfg = dict(meta["config"])
        config = TrainConfig(**cfg)
        self = cls(data, model_fn, config, meta["n_shards"], meta["n_slices"], meta["seed"], _build=False)
        self.slice_ids = [[t.clone() for t in sl] for sl in meta["slice_ids"]]
        self.schedule = [list(x) for x in meta["schedule"]]
        self.removed = meta["removed"].clone()
        self._index()
        for s in range(self.n_shards):
            self.checkpoints[s] = [torch.load(os.path.join(directory, f"shard_{s}", f"stage_{r}.pt"), weights_only=True)
                                   for r in range(self.n_slices + 1)]
            model = model_fn(derive_seed(self.seed, "shard", s, "init"))
            model.load_state_dict(self.checkpoints[s][-1]["model"])
            model.eval()
            self.models[s] = model
            self.stage_logs[s] = [TrainLog() for _ in range(self.n_slices)]
        return self

    def __repr__(self) -> str:
        return (f"SISA(S={self.n_shards}, R={self.n_slices}, n={len(self.data)}, removed={self.removed.numel()}, "
                f"seed={self.seed})")


def _mask(n: int, pos: torch.Tensor) -> torch.Tensor:
    m = torch.zeros(n, dtype=torch.bool)
    m[pos] = True
    return m
