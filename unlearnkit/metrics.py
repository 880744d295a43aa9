"""How close is an unlearned model to the retrained one? Accuracies per set, ToW, memorization.

- :func:`set_accuracies` and :func:`tow`: the tug-of-war score of Zhao et al. (NeurIPS 2024),
  ``ToW = (1 - da(S)) (1 - da(R)) (1 - da(D_test))`` with ``da(D') = |Acc(theta_u, D') -
  Acc(theta_r, D')|``, accuracies in [0, 1]. 1 means "as good as retraining" on these three numbers
  (and no more than that: equal accuracies do not mean equal models).
- :func:`compare_methods` and :func:`summarize`: every method against a model really retrained on R,
  over several seeds (mean and spread), the table lecture 04 prints.
- :func:`subset_masks`, :func:`memorization` and :func:`memorization_scores`: Feldman & Zhang's
  memorization ``mem(i) = P[f(x_i) = y_i | i in train] - P[f(x_i) = y_i | i not in train]``,
  estimated from many models trained on random subsets (batched with
  :func:`unlearnkit.training.fit_many`).
- :func:`embeddings` and :func:`entanglement`: Zhao et al.'s entanglement score of S and R.
- :func:`loss_threshold_auc` (defined in :mod:`unlearnkit.mia` with the other attacks and ROC code,
  re-exported here): a weak membership check (loss threshold, Yeom et al. 2018) used to show
  how a weak test overestimates unlearning (stronger attacks: lecture 05).

Introduced in lecture 04.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ._common import check_int, check_number
from ._seeding import check_seed, cpu_generator, derive_seed
from .batched import fit_many
from .data import Dataset
from .mia import loss_threshold_auc
from .training import TrainConfig, accuracy, fit, predict

__all__ = [
    "SETS",
    "set_accuracies",
    "accuracy_gaps",
    "tow",
    "compare_methods",
    "summarize",
    "subset_masks",
    "memorization",
    "memorization_scores",
    "embeddings",
    "entanglement",
    "loss_threshold_auc",
    "attack_success_rate",
]

#: The three sets ToW compares on, in this order.
SETS = ("forget", "retain", "test")


# ----------------------------------------------------------------------------- ToW
def set_accuracies(model: nn.Module, forget: Dataset, retain: Dataset, test: Dataset) -> dict:
    """Accuracy of ``model`` on S, R and the test set: ``{"forget": .., "retain": .., "test": ..}`` in [0, 1].

    Raises:
        TypeError: a set is not a Dataset.  ValueError: a set is empty (its accuracy is undefined).

    Introduced in lecture 04.
    """
    out = {}
    for name, data in zip(SETS, (forget, retain, test)):
        if not isinstance(data, Dataset):
            raise TypeError(f"{name} must be an unlearnkit Dataset, got {type(data).__name__}")
        if len(data) == 0:
            raise ValueError(f"{name} is empty: its accuracy is undefined")
        out[name] = accuracy(model, data)
    return out


def _as_triple(acc, name) -> tuple[float, float, float]:
    if isinstance(acc, Mapping):
        missing = [k for k in SETS if k not in acc]
        if missing:
            raise ValueError(f"{name} must have the keys {SETS}, missing {missing}")
        vals = [acc[k] for k in SETS]
    elif isinstance(acc, (Sequence, np.ndarray, torch.Tensor)) and not isinstance(acc, str):
        vals = [v for v in (acc.tolist() if hasattr(acc, "tolist") else acc)]
        if len(vals) != 3:
            raise ValueError(f"{name} must hold 3 accuracies (forget, retain, test), got {len(vals)}")
    else:
        raise TypeError(f"{name} must be a dict or a sequence of 3 accuracies (forget, retain, test), "
                        f"or a model; got {type(acc).__name__}")
    out = []
    for k, v in zip(SETS, vals):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name}[{k!r}] must be a number, got {type(v).__name__}")
        v = float(v)
        if not 0.0 <= v <= 1.0:  # also refuses nan
            raise ValueError(f"{name}[{k!r}] = {v!r} is not an accuracy in [0, 1] "
                             f"(percentages must be divided by 100)")
        out.append(v)
    return tuple(out)


def accuracy_gaps(unlearned, retrained) -> dict:
    """``da`` on each set: ``{"forget": |a_u - a_r|, "retain": .., "test": ..}``.

    Args:
        unlearned, retrained: accuracies on (forget, retain, test), as a dict with those keys or a
            sequence of three numbers in [0, 1].

    Raises:
        TypeError / ValueError: as :func:`tow`.

    Introduced in lecture 04.
    """
    u, r = _as_triple(unlearned, "unlearned"), _as_triple(retrained, "retrained")
    return {k: abs(a - b) for k, a, b in zip(SETS, u, r)}


def tow(unlearned, retrained, forget: Dataset | None = None, retain: Dataset | None = None,
        test: Dataset | None = None) -> float:
    """The tug-of-war score (Zhao et al., "What makes unlearning hard and what to do about it", NeurIPS 2024).

    ``ToW = (1 - da(S)) * (1 - da(R)) * (1 - da(D_test))``, ``da(D') = |Acc(theta_u, D') - Acc(theta_r, D')|``.
    Example: unlearned (0.60, 0.95, 0.90) against retrained (0.50, 0.97, 0.91) gives
    0.9 x 0.98 x 0.99 = 0.87318.

    As the authors' code computes it (kairanzhao/RUM, ``surgical_plugins/analysis.py``: per set
    ``ratio_acc = 1 - |acc_u - acc_r| / 100`` with accuracies in percent, ``tow`` the product over
    forget, retain and test, per seed against the retrained model of the same seed, then averaged
    over seeds, as :func:`compare_methods` and :func:`summarize` do); we take fractions in [0, 1].

    Args:
        unlearned, retrained: either two models (then give ``forget``, ``retain`` and ``test``), or
            accuracies on (forget, retain, test): a dict with those keys or a sequence of three
            numbers, each in [0, 1] (fractions, not percentages).
        forget, retain, test: the three Datasets, only when models are given.

    Returns:
        a float in [0, 1]; 1 when the accuracies are identical.

    Raises:
        TypeError: a wrong type (e.g. a model without the data sets, a string).
        ValueError: an accuracy outside [0, 1] or nan; a wrong number of accuracies; data sets given
            with accuracies (ambiguous).

    Introduced in lecture 04.
    """
    models_given = [isinstance(m, nn.Module) for m in (unlearned, retrained)]
    sets = (forget, retain, test)
    if any(models_given):
        if not all(models_given):
            raise TypeError("unlearned and retrained must both be models or both be accuracies")
        if any(s is None for s in sets):
            raise TypeError("with models, give forget=, retain= and test= Datasets to measure accuracies on")
        unlearned = set_accuracies(unlearned, *sets)
        retrained = set_accuracies(retrained, *sets)
    elif any(s is not None for s in sets):
        raise ValueError("forget/retain/test are only used with models; you passed accuracies")
    gaps = accuracy_gaps(unlearned, retrained)
    return float(math.prod(1.0 - gaps[k] for k in SETS))


# ----------------------------------------------------------------------------- comparison over seeds
def compare_methods(make_model: Callable[[int], nn.Module], train_config: TrainConfig, train: Dataset,
                    forget_ids, test: Dataset, methods: Mapping[str, Callable], seeds: Sequence[int],
                    measures: Mapping[str, Callable] | None = None, progress: bool = False):
    """Run every unlearning method against a model really retrained on R, for each seed.

    For each seed ``s``: the original is ``make_model(derive_seed(s, "init"))`` trained with
    :func:`unlearnkit.training.fit` on ``train`` (order seed ``derive_seed(s, "train")``); the
    retrained model starts from the same initial weights and is trained the same way on
    R = ``train.without(forget_ids)``; each method is called as
    ``method(original, forget, retain, seed=derive_seed(s, name))`` and must return
    ``(model, log)`` (bind its config with ``functools.partial`` or a lambda).

    Args:
        make_model: builds a fresh model from a seed, e.g. ``lambda s: models.mlp(64, 10, 32, seed=s)``.
        train_config: how the original and the retrained models are trained.
        train: D.  forget_ids: the ids of S (in ``train``).  test: the held-out set.
        methods: name -> method.  seeds: one run per seed (non-negative ints).
        measures: extra columns, name -> ``f(model, forget, retain, test) -> float`` (e.g. a
            membership test or a backdoor's attack success), measured on every model.
        progress: a ``tqdm`` bar over seeds.

    Returns:
        a pandas DataFrame, one row per (seed, model) with columns ``seed, method, forget, retain,
        test, tow, grad_evals, seconds`` (accuracies in [0, 1]; ``method`` is "original",
        "retrained" or a method name; ``grad_evals`` of "retrained" is the cost of retraining).

    Raises:
        ValueError: no seeds, or a method name "original"/"retrained", or a measure named like a column.

    Introduced in lecture 04.
    """
    import pandas as pd

    seeds = [check_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty: the spread over seeds is the point")
    clash = {"original", "retrained"} & set(methods)
    if clash:
        raise ValueError(f"method names {sorted(clash)} are reserved")
    taken = set(measures or {}) & {"seed", "method", "tow", "grad_evals", "seconds", *SETS}
    if taken:
        raise ValueError(f"measure names {sorted(taken)} clash with the table's columns")
    forget = train.subset(forget_ids)
    retain = train.without(forget_ids)
    rows = []
    it = seeds
    if progress:
        from .viz import progress
        it = progress(seeds, desc="seeds", leave=False)
    for s in it:
        cfg = train_config.replace(seed=derive_seed(s, "train"))
        original = make_model(derive_seed(s, "init"))
        log_o = fit(original, train, cfg)
        retrained = make_model(derive_seed(s, "init"))
        log_r = fit(retrained, retain, cfg)
        acc_r = set_accuracies(retrained, forget, retain, test)
        for name, model, log in [("original", original, log_o), ("retrained", retrained, log_r)] + [
                (name, *fn(original, forget, retain, seed=derive_seed(s, name))) for name, fn in methods.items()]:
            acc = acc_r if name == "retrained" else set_accuracies(model, forget, retain, test)
            extra = {k: float(f(model, forget, retain, test)) for k, f in (measures or {}).items()}
            rows.append({"seed": s, "method": name, **acc, "tow": tow(acc, acc_r), **extra,
                         "grad_evals": log.grad_evals, "seconds": log.seconds})
    return pd.DataFrame(rows)


def summarize(table, by: str | Sequence[str] = "method", columns: Sequence[str] = ("forget", "retain", "test", "tow")):
    """Mean and standard deviation over seeds of ``columns``, one row per ``by`` (order of first appearance).

    Returns:
        a DataFrame with columns ``<col>_mean``, ``<col>_std`` (sample std, ddof=1; 0 for one seed)
        and ``n`` (number of seeds).

    Introduced in lecture 04.
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in list(columns) + by if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing}")
    g = table.groupby(by, sort=False)
    out = g[list(columns)].agg(["mean", "std"])
    out.columns = [f"{c}_{s}" for c, s in out.columns]
    out = out.fillna({f"{c}_std": 0.0 for c in columns})
    out["n"] = g.size()
    return out


# ----------------------------------------------------------------------------- memorization
def subset_masks(n: int, num_models: int, fraction: float = 0.7, seed: int = 0) -> torch.Tensor:
    """Which examples each of ``num_models`` models trains on: bool ``(num_models, n)``.

    Model ``j`` trains on ``round(fraction * n)`` examples drawn without replacement, from a
    generator seeded with ``derive_seed(seed, "subset", j)`` (Zhao et al.'s code uses 70% subsets:
    kairanzhao/RUM ``surgical_plugins/cifar_infl_mem_torch.py`` draws ``int(n * 0.7)`` with
    ``np.random.choice(..., replace=False)``; ours rounds, so it may keep one example more).

    Raises:
        TypeError: ``n`` or ``num_models`` is not an integer, or ``fraction`` not a number.
        ValueError: ``n`` < 2, ``num_models`` < 1, or ``fraction`` leaves no example in or out.

    Introduced in lecture 04.
    """
    n, num_models = check_int(n, "n", 2), check_int(num_models, "num_models", 1)
    fraction = check_number(fraction, "fraction", 0, 1, open_min=True, open_max=True, what="in (0, 1)")
    k = int(round(fraction * n))
    if not 0 < k < n:
        raise ValueError(f"fraction={fraction} keeps {k} of n={n} examples: none would be in or none out")
    seed = check_seed(seed)
    masks = torch.zeros(num_models, n, dtype=torch.bool)
    for j in range(num_models):
        masks[j, torch.randperm(n, generator=cpu_generator(derive_seed(seed, "subset", j)))[:k]] = True
    return masks


def memorization(masks: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
    """Feldman & Zhang's memorization estimate from per-model in/out masks and correctness.

    ``mem(i) = mean over models with i in training of correct[:, i] - mean over models without i``.
    (Feldman & Zhang, "What Neural Networks Memorize and Why", NeurIPS 2020; the same difference of
    masked means as ``estimate_infl_mem`` in kairanzhao/RUM ``surgical_plugins/cifar_infl_mem_torch.py``.)

    Args:
        masks: bool ``(m, n)``: ``masks[j, i]`` says model j trained on example i.
        correct: bool ``(m, n)``: model j classifies example i correctly.

    Returns:
        float64 ``(n,)`` in [-1, 1].

    Raises:
        TypeError: not bool tensors.  ValueError: shapes differ, or an example is in every model's
        training set or in none (its estimate is undefined; the message names the first ones).

    Introduced in lecture 04.
    """
    for name, t in (("masks", masks), ("correct", correct)):
        if not isinstance(t, torch.Tensor) or t.dtype != torch.bool or t.dim() != 2:
            raise TypeError(f"{name} must be a bool tensor of shape (models, examples), got "
                            f"{getattr(t, 'dtype', type(t).__name__)} {tuple(getattr(t, 'shape', ()))}")
    if masks.shape != correct.shape:
        raise ValueError(f"masks and correct must have the same shape, got {tuple(masks.shape)} and {tuple(correct.shape)}")
    n_in = masks.sum(0)
    n_out = (~masks).sum(0)
    bad = ((n_in == 0) | (n_out == 0)).nonzero().flatten()
    if bad.numel():
        raise ValueError(f"examples at positions {bad.tolist()[:10]} are in the training set of every model "
                         f"or of none: their memorization is undefined (use more models or another fraction)")
    c = correct.double()
    m = masks.double()
    return (c * m).sum(0) / n_in - (c * (1 - m)).sum(0) / n_out


def memorization_scores(model: nn.Module, data: Dataset, config: TrainConfig, num_models: int = 64,
                        fraction: float = 0.7, seed: int = 0):
    """Memorization of every example of ``data``: train ``num_models`` models on random subsets, at once.

    Uses :func:`subset_masks` and the batched trainer :func:`unlearnkit.training.fit_many` (model j
    initialised from ``derive_seed(seed, "model", j)``), then :func:`memorization`.

    Args:
        model: a template module (its architecture; weights are re-initialised per model).
        data: the examples to score.  config: how each model trains.
        num_models, fraction, seed: as :func:`subset_masks`.

    Returns:
        ``(scores, masks, correct)``: float64 ``(n,)``, bool ``(m, n)``, bool ``(m, n)``.

    Raises:
        as :func:`subset_masks` and :func:`memorization`.

    Introduced in lecture 04.
    """
    masks = subset_masks(len(data), num_models, fraction, seed)
    many = fit_many(model, data, masks, config, seed)
    with torch.no_grad():
        logits = many.logits(data.X)
    correct = logits.argmax(-1).cpu() == data.y.unsqueeze(0)
    return memorization(masks, correct), masks, correct


# ----------------------------------------------------------------------------- entanglement
@torch.no_grad()
def embeddings(model: nn.Module, data) -> torch.Tensor:
    """Penultimate-layer features of ``model`` on ``data``: float32 ``(n, h)``.

    For an ``nn.Sequential`` (e.g. :func:`unlearnkit.models.mlp`) every layer but the last; a model
    with a ``head`` attribute (the 1-D CNN) gives the input to its head; a single ``nn.Linear`` has
    no hidden layer, so its input features are returned.

    Raises:
        TypeError: a model of another shape.

    Introduced in lecture 04.
    """
    X = data.X if isinstance(data, Dataset) else data
    was = model.training
    model.eval()
    try:
        if isinstance(model, nn.Sequential):
            return model[:-1](X).float()
        if isinstance(model, nn.Linear):
            return X.float()
        if hasattr(model, "head") and hasattr(model, "conv"):
            return model.conv(X.unsqueeze(1)).flatten(1).float()
    finally:
        model.train(was)
    raise TypeError(f"cannot find the penultimate layer of a {type(model).__name__}")


def entanglement(forget_emb: torch.Tensor, retain_emb: torch.Tensor, center: str = "midpoint") -> float:
    """Entanglement score of the forget and retain sets in embedding space (Zhao et al., NeurIPS 2024).

    ``ES = (mean_{i in R} ||e_i - mu_R||^2 + mean_{j in S} ||e_j - mu_S||^2) /
    (0.5 * (||mu_R - mu||^2 + ||mu_S - mu||^2))``: the spread inside the two groups over the distance
    between their means. High ES = S sits among R = harder to unlearn without hurting R. Compute the
    embeddings with :func:`embeddings` on the original model.

    The centre ``mu``:

    - ``"midpoint"`` (default, the one lecture 04 uses): ``mu = (mu_R + mu_S) / 2``, as the authors'
      code computes it (kairanzhao/RUM, ``surgical_plugins/overlap.py``, ``calculate_FC``: ``mu`` is the
      mean of the two group means, and the between term is divided by the number of groups, 2). Then
      the denominator is ``||mu_R - mu_S||^2 / 4`` whatever the sizes of S and R.
    - ``"pooled"``: ``mu`` the mean over all embeddings of S and R together (what this function
      computed before issue 11). With ``|S| << |R|`` the pooled mean sits next to ``mu_R``, the
      denominator grows to about ``||mu_R - mu_S||^2 / 2``, and the score is about half RUM's
      (0.52x for ``|S| = 40``, ``|R| = 2000``). Equal group sizes give the same score either way.

    Where ours differs from RUM's code: it averages per-batch means (``get_means``), which is the
    exact mean only when every batch has the same size; we take exact means, in float64.

    Args:
        forget_emb: float ``(n_s, h)``; retain_emb: float ``(n_r, h)``.
        center: ``"midpoint"`` or ``"pooled"``.

    Returns:
        a float >= 0 (inf if the two means coincide).

    Raises:
        ValueError: a set is empty, the widths differ, or an unknown ``center``.

    Introduced in lecture 04.
    """
    if center not in ("midpoint", "pooled"):
        raise ValueError(f"center must be 'midpoint' (RUM's code) or 'pooled', got {center!r}")
    if forget_emb.dim() != 2 or retain_emb.dim() != 2 or forget_emb.shape[1] != retain_emb.shape[1]:
        raise ValueError(f"forget_emb and retain_emb must be (n, h) with the same h, got "
                         f"{tuple(forget_emb.shape)} and {tuple(retain_emb.shape)}")
    if len(forget_emb) == 0 or len(retain_emb) == 0:
        raise ValueError("forget_emb and retain_emb must not be empty")
    s, r = forget_emb.double(), retain_emb.double()
    mu_s, mu_r = s.mean(0), r.mean(0)
    mu = (mu_r + mu_s) / 2 if center == "midpoint" else torch.cat([s, r]).mean(0)
    within = ((r - mu_r) ** 2).sum(1).mean() + ((s - mu_s) ** 2).sum(1).mean()
    between = 0.5 * (((mu_r - mu) ** 2).sum() + ((mu_s - mu) ** 2).sum())
    return float(within / between) if float(between) > 0 else float("inf")


# ----------------------------------------------------------------------------- weak checks
def attack_success_rate(model: nn.Module, triggered: Dataset, target: int) -> float:
    """Fraction of ``triggered`` inputs (trigger added, true class != target) classified as ``target``, in [0, 1].

    Raises:
        ValueError: ``triggered`` is empty.

    Introduced in lecture 04 (backdoors).
    """
    if len(triggered) == 0:
        raise ValueError("triggered is empty")
    return float((predict(model, triggered) == int(target)).double().mean())
