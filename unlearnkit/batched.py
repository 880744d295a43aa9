"""Many small models at once: batched training with ``torch.func``.

Introduced in lecture 01: a few hundred small models with and without a target point, trained in
one batched loop so that the distribution of a statistic over training runs can be looked at
(shadow models, memorization estimates, empirical epsilon). :func:`fit_many` trains ``m`` copies of
one architecture, model ``i`` on the examples ``masks[i]`` selects, with stacked parameters that one
optimiser steps; :class:`ManyModels` holds the result; :func:`model_seeds` says which seeds model
``i`` gets.

Batched results match single-model results (:func:`unlearnkit.training.fit`) to float32 rounding,
not bitwise (vmap sums in another order): exactness claims use the single-model path. Re-exported by
:mod:`unlearnkit.training` (``training.fit_many`` works).

Introduced in lecture 01.
"""
from __future__ import annotations

import copy
import numbers
import time

import torch
from torch import nn

from ._common import check_fit_args, check_int, check_number, features, model_device
from ._common import loss as loss_fn
from ._seeding import check_seed, derive_seed, torch_seeded
from .data import Dataset
from .training import TrainConfig, batch_order, make_optimizer

__all__ = ["ManyModels", "fit_many", "model_seeds", "BatchPart", "descend_many"]


def model_seeds(seed: int, i: int) -> tuple[int, int]:
    """The two seeds of model ``i`` in :func:`fit_many`: ``(init_seed, order_seed)``.

    ``init_seed = derive_seed(seed, "model", i)`` initialises its weights (as the template's
    constructor would with that seed); ``order_seed = derive_seed(seed, "model", i, "order")``
    seeds its data order, drawn by :func:`batch_order` over its own examples only. Training model
    ``i`` alone with :func:`fit` on ``data.where(masks[i])`` and
    ``config.replace(steps=S, seed=order_seed)`` follows the same recipe.

    Raises:
        TypeError: ``seed`` or ``i`` is not an integer.  ValueError: either is negative.

    Introduced in lecture 01.
    """
    check_seed(seed)
    i = check_int(i, "i", 0)
    return derive_seed(seed, "model", i), derive_seed(seed, "model", i, "order")


def _reinit(template: nn.Module, seed: int, inplace: bool = False) -> nn.Module:
    """``template`` (a copy of it unless ``inplace``) with its parameters re-drawn from ``seed``.

    Every submodule that owns parameters is reset with its own ``reset_parameters`` in module order,
    which is the order in which unlearnkit's models create them: for those models this equals
    building the model with ``seed`` (checked by tests/test_batched.py).
    """
    new = template if inplace else copy.deepcopy(template)
    with torch_seeded(seed):
        for mod in new.modules():
            if next(mod.parameters(recurse=False), None) is None:
                continue
            reset = getattr(mod, "reset_parameters", None)
            if not callable(reset):
                raise ValueError(f"cannot re-initialise a {type(mod).__name__} (it has no reset_parameters); "
                                 "pass a factory model(seed) -> nn.Module instead of a template")
            reset()
    return new


def _reinit_many(template: nn.Module, seeds: list) -> dict:
    """Stacked parameters ``(m, *shape)`` of ``template`` re-drawn from each seed (same as :func:`_reinit`).

    One CPU scratch copy is re-drawn m times inside a single ``torch_seeded`` block (which restores the
    caller's RNG afterwards), re-seeding only the CPU generator per model: ``torch.manual_seed`` and m
    deep copies are each slow enough to dominate training a few hundred tiny models.
    """
    scratch = copy.deepcopy(template).to("cpu")
    owners = [mod for mod in scratch.modules() if next(mod.parameters(recurse=False), None) is not None]
    for mod in owners:
        if not callable(getattr(mod, "reset_parameters", None)):
            raise ValueError(f"cannot re-initialise a {type(mod).__name__} (it has no reset_parameters); "
                             "pass a factory model(seed) -> nn.Module instead of a template")
    names = [k for k, _ in scratch.named_parameters()]
    out = {k: [] for k in names}
    with torch_seeded(0):
        for s in seeds:
            torch.default_generator.manual_seed(s)
            for mod in owners:
                mod.reset_parameters()
            for k, v in scratch.named_parameters():
                out[k].append(v.detach().clone())
    dev = model_device(template)
    return {k: torch.stack(v).to(dev) for k, v in out.items()}


_STATEFUL = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd)


def _check_template(module: nn.Module) -> None:
    bad = [type(m).__name__ for m in module.modules() if isinstance(m, _STATEFUL)]
    if bad:
        raise ValueError(f"fit_many supports models without dropout or batch norm (they need per-model "
                         f"random state or running statistics under vmap); found {sorted(set(bad))}")


class ManyModels:
    """``m`` copies of one architecture with stacked weights: what :func:`fit_many` returns.

    Attributes:
        params: dict name -> float tensor ``(m, *shape)``, the stacked trained parameters (detached).
        buffers: dict name -> tensor ``(m, *shape)`` (models in the course have none).
        masks: bool tensor ``(m, n)``, which training examples each model used (``None`` if not known).
        data_ids: int64 tensor ``(n,)``, the ids of the columns of ``masks``.
        steps: optimisation steps every model took.
        grad_evals: gradient evaluations in all (one per example per step per model).
        grad_evals_per_model: int64 tensor ``(m,)``.
        losses: float32 tensor ``(steps, m)``, each model's mean batch loss at each step.
        seconds: wall-clock training time in seconds.
        init_seeds, order_seeds: the seeds of each model (see :func:`model_seeds`); ``None`` where
            a model continued from earlier weights.
        extra: other passes, by name.

    Introduced in lecture 01.
    """

    def __init__(self, template: nn.Module, params: dict, buffers: dict | None = None, **info):
        self.template = template
        self.params = {k: v.detach() for k, v in params.items()}
        self.buffers = {k: v.detach() for k, v in (buffers or {}).items()}
        sizes = {v.shape[0] for v in self.params.values()}
        if len(sizes) != 1:
            raise ValueError(f"stacked parameters must share their first dimension, got sizes {sorted(sizes)}")
        self.m = sizes.pop()
        self.masks = info.pop("masks", None)
        self.data_ids = info.pop("data_ids", None)
        self.steps = int(info.pop("steps", 0))
        self.grad_evals = int(info.pop("grad_evals", 0))
        self.grad_evals_per_model = info.pop("grad_evals_per_model", torch.zeros(self.m, dtype=torch.int64))
        self.losses = info.pop("losses", torch.empty(0, self.m))
        self.seconds = float(info.pop("seconds", 0.0))
        self.init_seeds = info.pop("init_seeds", None)
        self.order_seeds = info.pop("order_seeds", None)
        self.extra = dict(info.pop("extra", {}))
        if info:
            raise TypeError(f"unknown fields {sorted(info)}")
        self._base = copy.deepcopy(template).to("meta")

    def __len__(self) -> int:
        return self.m

    def __repr__(self) -> str:
        return (f"ManyModels(m={self.m}, architecture={type(self.template).__name__}, steps={self.steps}, "
                f"grad_evals={self.grad_evals})")

    def _index(self, i) -> int:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"model index must be an integer in [-{self.m}, {self.m}), got {type(i).__name__} {i!r}")
        if not -self.m <= i < self.m:
            raise IndexError(f"model index must be an integer in [-{self.m}, {self.m}), got {i!r}")
        return int(i) % self.m

    def model(self, i: int) -> nn.Module:
        """Model ``i`` as an ordinary ``nn.Module`` (a fresh copy, in eval mode).

        Raises:
            TypeError: ``i`` is not an integer.  IndexError: ``i`` is not in ``[-m, m)`` (as a list would).
        """
        i = self._index(i)
        net = copy.deepcopy(self.template)
        state = {k: v[i].clone() for k, v in {**self.params, **self.buffers}.items()}
        net.load_state_dict(state)
        return net.eval()

    @torch.no_grad()
    def logits(self, data, batch_size: int = 4096) -> torch.Tensor:
        """Every model's logits on the same inputs: float32 ``(m, n, classes)`` on the CPU.

        Args:
            data: a Dataset or a float ``(n, d)`` tensor.

        Raises:
            TypeError: ``data`` is neither.
        """
        from torch.func import functional_call, vmap

        X = features(data)
        dev = next(iter(self.params.values())).device

        def one(p, b, x):
            return functional_call(self._base, (p, b), (x,))

        f = vmap(one, in_dims=(0, 0, None))
        outs = [f(self.params, self.buffers, X[s:s + batch_size].to(dev)).cpu() for s in range(0, X.shape[0], batch_size)]
        if not outs:
            return torch.empty(self.m, 0, 0)
        return torch.cat(outs, dim=1)

    def select(self, index) -> "ManyModels":
        """A ManyModels holding only the models ``index`` (an int64 or bool tensor, or a list).

        Raises:
            IndexError: an index is out of range.
        """
        idx = torch.as_tensor(index)
        if idx.dtype == torch.bool:
            if idx.shape != (self.m,):
                raise IndexError(f"a boolean index must have shape ({self.m},), got {tuple(idx.shape)}")
            idx = idx.nonzero().flatten()
        idx = idx.to(torch.int64).reshape(-1)
        if idx.numel() and not bool(((idx >= -self.m) & (idx < self.m)).all()):
            raise IndexError(f"model indices must lie in [-{self.m}, {self.m})")
        idx = idx % max(self.m, 1)
        pick = lambda seq: None if seq is None else [seq[j] for j in idx.tolist()]
        return ManyModels(
            self.template, {k: v[idx] for k, v in self.params.items()}, {k: v[idx] for k, v in self.buffers.items()},
            masks=None if self.masks is None else self.masks[idx], data_ids=self.data_ids, steps=self.steps,
            grad_evals=int(self.grad_evals_per_model[idx].sum()), grad_evals_per_model=self.grad_evals_per_model[idx],
            losses=self.losses[:, idx] if self.losses.numel() else self.losses, seconds=self.seconds,
            init_seeds=pick(self.init_seeds), order_seeds=pick(self.order_seeds), extra=self.extra)


def _check_masks(masks, n: int) -> torch.Tensor:
    if not isinstance(masks, torch.Tensor) or masks.dtype != torch.bool or masks.dim() != 2 or masks.shape[1] != n:
        got = f"{masks.dtype} {tuple(masks.shape)}" if isinstance(masks, torch.Tensor) else type(masks).__name__
        raise TypeError(f"masks must be a bool tensor of shape (m, {n}) (one row per model), got {got}")
    if masks.shape[0] < 1:
        raise ValueError("masks must have at least one row (m >= 1 models)")
    return masks.cpu()


def fit_many(model, data: Dataset, masks: torch.Tensor, config: TrainConfig, seed: int, *, init=None,
             threads: int | None = 1, progress: bool = False, order_seeds=None) -> ManyModels:
    """Train ``m`` copies of a small model at once, model ``i`` on the examples ``masks[i]`` selects.

    The ``m`` parameter sets are stacked (``torch.func.stack_module_state``) into leaf tensors of
    shape ``(m, *shape)`` that one torch optimiser steps; each step computes every model's gradient
    on its own minibatch with ``vmap(grad(loss))`` over ``functional_call``. SGD (with momentum and
    weight decay) and Adam act elementwise, so the stacked update is each model's own update.

    Per model ``i`` (seeds from :func:`model_seeds`):
        * weights: the template re-initialised from ``derive_seed(seed, "model", i)`` (or see ``init``);
        * data order: :func:`batch_order` over its ``n_i`` examples (in data order), seeded with
          ``derive_seed(seed, "model", i, "order")``; ``config.seed`` is not used;
        * every model takes the same number of steps ``S``: ``config.steps``, or
          ``config.num_steps(max_i n_i)`` when the config counts epochs (so a model with fewer
          examples makes slightly more passes over them);
        * unequal subset sizes: model ``i``'s batch has ``b_i = min(batch_size, n_i)`` examples, as in
          :func:`fit`; batches are padded to the largest ``b_i`` with zero-weight entries, and the loss
          is the mean over the ``b_i`` real ones.
    So model ``i`` follows the recipe of ``fit(model_i, data.where(masks[i]), config.replace(steps=S,
    seed=order_seed))``; the result agrees with that single run to float32 rounding (vmap sums in a
    different order), not bitwise: exactness claims use :func:`fit`.

    Args:
        model: the template ``nn.Module`` (e.g. ``models.mlp(2, 2, 16)``; its own weights are not used
            unless ``init="template"``), or a factory ``seed -> nn.Module``. No dropout or batch norm.
        data: the n training examples; ``loss="mse"`` needs the tag ``"target"``.
        masks: bool tensor ``(m, n)``; row ``i`` selects model ``i``'s training examples.
        config: optimiser, learning rate, momentum, weight decay, batch size, steps or epochs, loss.
        seed: the parent seed of every model's seeds.
        init: ``None`` (fresh weights per model, above), ``"template"`` (all start from the
            template's current weights), or a :class:`ManyModels` with ``m`` models to continue from
            (fine-tuning; its optimiser state is not kept: the optimiser starts fresh).
        threads: torch intra-op threads while training (the caller's setting is restored after);
            one thread is fastest for small models, and several threads on a busy shared CPU can make
            each step ten times slower. ``None`` keeps the caller's setting.
        progress: show a ``tqdm`` progress bar (silent when ``TQDM_DISABLE=1``).
        order_seeds: optional sequence of ``m`` seeds that replace the derived order seeds (model
            ``i`` then draws its order from ``order_seeds[i]``); how a batched unlearning method
            gives each model the order its single-model recipe uses (:mod:`unlearnkit.protocol`).

    Returns:
        a :class:`ManyModels` (``grad_evals`` counts ``b_i`` per model per step; padding is not counted).

    Raises:
        TypeError: ``data``, ``config`` or ``masks`` of the wrong type/shape, ``model`` neither a module
            nor a callable, ``threads`` not an integer, an order seed not an integer.
        ValueError: a mask row is empty while steps > 0; dropout or batch norm in the model; ``init``
            not understood or with the wrong number of models; "mse" without a ``"target"`` tag;
            ``threads`` < 1; ``order_seeds`` not of length ``m``.

    Introduced in lecture 01 (reused for shadow models, memorization and epsilon estimates).
    """
    check_fit_args(data, config)
    check_seed(seed)
    masks = _check_masks(masks, len(data))
    m = masks.shape[0]
    if isinstance(model, nn.Module):
        template, factory = model, None
    elif callable(model):
        template, factory = None, model
    else:
        raise TypeError(f"model must be an nn.Module template or a callable seed -> nn.Module, got {type(model).__name__}")

    sizes = masks.sum(dim=1)
    steps = config.steps if config.steps is not None else config.num_steps(int(sizes.max()))
    if steps > 0 and bool((sizes == 0).any()):
        raise ValueError(f"masks row {int((sizes == 0).nonzero()[0])} selects no example; every model needs data")
    if threads is not None:
        threads = check_int(threads, "threads", 1)
    if order_seeds is not None:
        order_seeds = [check_seed(s, "order_seeds") for s in order_seeds]
        if len(order_seeds) != m:
            raise ValueError(f"order_seeds must hold one seed per model ({m}), got {len(order_seeds)}")
    caller_threads = torch.get_num_threads()
    try:
        if threads is not None:
            torch.set_num_threads(int(threads))
        return _fit_many(template, factory, data, masks, config, seed, init, steps, sizes, progress, order_seeds)
    finally:
        torch.set_num_threads(caller_threads)


def _fit_many(template, factory, data, masks, config, seed, init, steps, sizes, progress, order_seeds) -> ManyModels:
    from torch.func import functional_call, grad_and_value, stack_module_state, vmap

    m = masks.shape[0]
    seeds = [model_seeds(seed, i) for i in range(m)]
    if order_seeds is not None:
        seeds = [(s, o) for (s, _), o in zip(seeds, order_seeds)]

    # ---- initial weights
    stacked = None
    if init is None:
        init_seeds = [s for s, _ in seeds]
        if factory:
            nets = [factory(s) for s in init_seeds]
        else:
            nets = [template]
            stacked = _reinit_many(template, init_seeds)
    elif isinstance(init, str) and init == "template":
        if template is None:
            raise ValueError("init='template' needs an nn.Module template, not a factory")
        nets = [template] * m
        init_seeds = [None] * m
    elif isinstance(init, ManyModels):
        if len(init) != m:
            raise ValueError(f"init has {len(init)} models but masks has {m} rows")
        nets = None
        init_seeds = list(init.init_seeds) if init.init_seeds is not None else [None] * m
    else:
        raise ValueError(f"init must be None, 'template' or a ManyModels, got {init!r}")
    if nets is not None:
        tmpl = nets[0]
        _check_template(tmpl)
        if stacked is None:
            params, buffers = stack_module_state(nets)
        else:
            params = stacked
            buffers = {k: torch.stack([v] * m) for k, v in tmpl.named_buffers()}
        params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        buffers = {k: v.detach().clone() for k, v in buffers.items()}
    else:
        tmpl = init.template
        params = {k: v.detach().clone().requires_grad_(True) for k, v in init.params.items()}
        buffers = {k: v.detach().clone() for k, v in init.buffers.items()}
    tmpl = copy.deepcopy(tmpl)
    dev = next(iter(params.values())).device
    base = copy.deepcopy(tmpl).to("meta")

    # ---- every model's batches, as global row positions (steps, m, B), and loss weights (m, B)
    b = torch.clamp(sizes, max=config.batch_size)
    B = int(b.max()) if m else 0
    weight = torch.zeros(m, B)
    orders = []
    for i in range(m):
        rows = masks[i].nonzero().flatten()
        bi = int(b[i])
        weight[i, :bi] = 1.0 / bi if bi else 0.0
        o = (rows.index_select(0, batch_order(len(rows), config.batch_size, steps, seeds[i][1]).reshape(-1)).view(steps, bi)
             if steps else torch.empty(0, bi, dtype=torch.int64))
        orders.append(o if bi == B else torch.cat([o, torch.zeros(steps, B - bi, dtype=torch.int64)], 1))
    pos = torch.stack(orders, 1).to(torch.int32 if len(data) < 2**31 else torch.int64)   # (steps, m, B)
    del orders
    weight = weight.to(dev)
    X = data.X.to(dev)
    target = data.y.to(dev) if config.loss == "cross_entropy" else data.tags["target"].to(dev, torch.float32)

    def loss_one(p, bu, x, t, w):
        out = functional_call(base, (p, bu), (x,))
        return (loss_fn(out, t, config.loss, reduction="none") * w).sum()

    step_fn = vmap(grad_and_value(loss_one), in_dims=(0, 0, 0, 0, 0))
    opt = make_optimizer(list(params.values()), config)
    losses = torch.empty(steps, m)
    it = range(steps)
    if progress:
        from .viz import progress
        it = progress(it, desc=f"training {m} models", leave=False)
    start = time.perf_counter()
    for k in it:
        idx = pos[k].reshape(-1).to(dev, torch.int64)
        xb = X.index_select(0, idx).view(m, B, *X.shape[1:])
        tb = target.index_select(0, idx).view(m, B)
        grads, value = step_fn(params, buffers, xb, tb, weight)
        for name, p in params.items():
            p.grad = grads[name]
        opt.step()
        losses[k] = value.detach().cpu()
    seconds = time.perf_counter() - start
    per_model = b.to(torch.int64) * steps
    return ManyModels(tmpl, params, buffers, masks=masks.clone(), data_ids=data.ids.clone(), steps=steps,
                      grad_evals=int(per_model.sum()), grad_evals_per_model=per_model, losses=losses,
                      seconds=seconds, init_seeds=init_seeds, order_seeds=[o for _, o in seeds])


# ----------------------------------------------------------------------------- per-model recipes
class BatchPart:
    """One term of every model's loss in :func:`descend_many`: which rows, towards which labels, in which order.

    For model ``i``: ``rows[i]`` (int64 ``(n_i,)``) are positions in ``data``, ``labels[i]`` (int64
    ``(n_i,)``) the class each row is trained towards (``data.y[rows[i]]``, or relabelled),
    ``orders[i]`` (int64 ``(steps_i, b_i)``, e.g. :func:`batch_order`) the positions into
    ``rows[i]`` of each step's batch, and ``scales[i]`` the weight of this term's mean
    cross-entropy (``1`` descend, ``-1`` ascend, ``a`` for a weighted sum).

    Raises:
        TypeError / ValueError: lists of different lengths, wrong dtypes or shapes, a position out
            of range, a scale that is not a finite number.

    Introduced in lecture 05.
    """

    def __init__(self, rows, labels, orders, scales):
        m = len(rows)
        if not (len(labels) == len(orders) == len(scales) == m):
            raise ValueError(f"rows, labels, orders and scales must hold one entry per model, got lengths "
                             f"{len(rows)}, {len(labels)}, {len(orders)}, {len(scales)}")
        for name, seq in (("rows", rows), ("labels", labels), ("orders", orders)):
            for i, t in enumerate(seq):
                if not isinstance(t, torch.Tensor) or t.dtype != torch.int64:
                    raise TypeError(f"{name}[{i}] must be an int64 tensor, got "
                                    f"{t.dtype if isinstance(t, torch.Tensor) else type(t).__name__}")
        for i in range(m):
            if rows[i].dim() != 1 or labels[i].shape != rows[i].shape:
                raise ValueError(f"rows[{i}] and labels[{i}] must be 1-D of the same length")
            o = orders[i]
            if o.dim() != 2:
                raise ValueError(f"orders[{i}] must be (steps, batch), got shape {tuple(o.shape)}")
            if o.numel() and (int(o.min()) < 0 or int(o.max()) >= len(rows[i])):
                raise ValueError(f"orders[{i}] holds positions outside rows[{i}] (0..{len(rows[i]) - 1})")
        self.rows, self.labels, self.orders = list(rows), list(labels), list(orders)
        self.scales = [check_number(s, f"scales[{i}]") for i, s in enumerate(scales)]

    def steps(self) -> list:
        """Steps of each model in this part (the first dimension of its order)."""
        return [int(o.shape[0]) for o in self.orders]


def descend_many(init: ManyModels, data: Dataset, parts, config: TrainConfig, *, threads: int | None = 1,
                 on_step=None) -> ManyModels:
    """Continue ``m`` models at once, each on its own recipe: the engine of the batched unlearning methods.

    At step ``k`` model ``i`` takes one optimiser step on
    ``sum over parts of scales[i] * mean cross-entropy of its batch of that part``, the batch being
    ``rows[i][orders[i][k]]`` with ``labels[i][orders[i][k]]``: per-example weights
    ``scales[i] / b_i``, so a part with scale ``-1`` is gradient ascent and two parts give a
    weighted objective such as NegGrad+'s. Model ``i`` takes ``steps_i`` steps (every part of one
    model has the same number of steps); a model that is done keeps its weights while the others
    go on. One optimiser from ``config`` (fresh, as every unlearning call starts one) steps the
    stacked weights: SGD and Adam act elementwise and every running model has taken the same number
    of steps, so each model gets the update its own optimiser would give. The result agrees with
    running each model alone (:func:`unlearnkit.training.fit` or the methods of
    :mod:`unlearnkit.approximate`) to float32 rounding, not bitwise (vmap sums in another order).

    Args:
        init: the models to start from (a :class:`ManyModels`; not modified).
        data: the examples ``rows`` point into (cross-entropy on ``labels``).
        parts: a sequence of :class:`BatchPart` (at least one).
        config: optimiser, learning rate, momentum, weight decay (its steps, epochs and seed are not
            used: the orders say everything); ``config.loss`` must be ``"cross_entropy"``.
        threads: torch intra-op threads while training (restored after); None keeps the caller's.
        on_step: optional ``callable(k, params)`` called after step ``k`` (1, 2, ...) with the stacked
            weights (a dict of detached tensors ``(m, *shape)``; read them, do not change them), e.g.
            to evaluate every model at some step counts without a second run.

    Returns:
        a new :class:`ManyModels` (``masks`` None: the caller knows them; ``steps`` the largest
        ``steps_i``; ``grad_evals_per_model`` counts the real batch entries; ``losses`` ``(steps, m)``
        each model's objective before each step, NaN after it stopped; ``extra["steps_per_model"]``).

    Raises:
        TypeError: ``init`` not a ManyModels, ``data`` not a Dataset, ``config`` not a TrainConfig,
            a part not a BatchPart, ``on_step`` not callable.
        ValueError: no parts, parts for another number of models, parts of one model with different
            step counts, rows outside ``data``, a label outside ``0..num_classes-1``, a loss other
            than cross-entropy.

    Introduced in lecture 05 (the batched form of the unlearning protocol, :mod:`unlearnkit.protocol`).
    """
    if not isinstance(init, ManyModels):
        raise TypeError(f"init must be a ManyModels, got {type(init).__name__}")
    check_fit_args(data, config)
    if config.loss != "cross_entropy":
        raise ValueError(f"descend_many trains classifiers: config.loss must be 'cross_entropy', got {config.loss!r}")
    parts = list(parts)
    if not parts:
        raise ValueError("parts is empty: give at least one BatchPart")
    for j, p in enumerate(parts):
        if not isinstance(p, BatchPart):
            raise TypeError(f"parts[{j}] must be a BatchPart, got {type(p).__name__}")
        if len(p.rows) != init.m:
            raise ValueError(f"parts[{j}] is for {len(p.rows)} models, init has {init.m}")
        for i in range(init.m):
            r = p.rows[i]
            if r.numel() and (int(r.min()) < 0 or int(r.max()) >= len(data)):
                raise ValueError(f"parts[{j}].rows[{i}] points outside data (0..{len(data) - 1})")
            lab = p.labels[i]
            if lab.numel() and (int(lab.min()) < 0 or int(lab.max()) >= data.num_classes):
                raise ValueError(f"parts[{j}].labels[{i}] must lie in 0..{data.num_classes - 1}")
    steps = parts[0].steps()
    for j, p in enumerate(parts[1:], 1):
        if p.steps() != steps:
            bad = next(i for i, (a, b) in enumerate(zip(p.steps(), steps)) if a != b)
            raise ValueError(f"model {bad}: parts[0] has {steps[bad]} steps, parts[{j}] {p.steps()[bad]}; "
                             "every part of one model needs the same number of steps")
    if threads is not None:
        threads = check_int(threads, "threads", 1)
    if on_step is not None and not callable(on_step):
        raise TypeError(f"on_step must be callable (k, params), got {type(on_step).__name__}")
    caller_threads = torch.get_num_threads()
    try:
        if threads is not None:
            torch.set_num_threads(int(threads))
        return _descend_many(init, data, parts, steps, config, on_step)
    finally:
        torch.set_num_threads(caller_threads)


def _descend_many(init, data, parts, steps, config, on_step) -> ManyModels:
    from torch.func import functional_call, grad_and_value, vmap

    m = init.m
    S = max(steps) if m else 0
    widths = [max((int(o.shape[1]) for o in p.orders), default=0) for p in parts]
    B = sum(widths)
    pos = torch.zeros(S, m, B, dtype=torch.int64)
    lab = torch.zeros(S, m, B, dtype=torch.int64)
    weight = torch.zeros(m, B)
    evals = torch.zeros(m, dtype=torch.int64)
    col = 0
    for p, width in zip(parts, widths):
        for i in range(m):
            o = p.orders[i]
            s_i, b = int(o.shape[0]), int(o.shape[1])
            if s_i and b:
                pos[:s_i, i, col:col + b] = p.rows[i][o]
                lab[:s_i, i, col:col + b] = p.labels[i][o]
                weight[i, col:col + b] = p.scales[i] / b
                evals[i] += s_i * b
        col += width
    params = {k: v.detach().clone().requires_grad_(True) for k, v in init.params.items()}
    buffers = {k: v.detach().clone() for k, v in init.buffers.items()}
    dev = next(iter(params.values())).device
    base = copy.deepcopy(init.template).to("meta")
    X = data.X.to(dev)
    weight = weight.to(dev)
    running = torch.as_tensor(steps, dtype=torch.int64)

    def loss_one(p, bu, x, t, w):
        return (loss_fn(functional_call(base, (p, bu), (x,)), t, "cross_entropy", reduction="none") * w).sum()

    step_fn = vmap(grad_and_value(loss_one))
    opt = make_optimizer(list(params.values()), config)
    losses = torch.full((S, m), float("nan"))
    start = time.perf_counter()
    for k in range(S):
        idx = pos[k].reshape(-1).to(dev)
        xb = X.index_select(0, idx).view(m, B, *X.shape[1:])
        grads, value = step_fn(params, buffers, xb, lab[k].to(dev), weight)
        done = (running <= k).to(dev)
        for name, p in params.items():
            p.grad = grads[name]
        kept = {name: p.detach()[done].clone() for name, p in params.items()} if bool(done.any()) else None
        opt.step()
        if kept is not None:
            with torch.no_grad():
                for name, p in params.items():
                    p[done] = kept[name]
        losses[k] = torch.where(done.cpu(), float("nan"), value.detach().cpu())
        if on_step is not None:
            on_step(k + 1, {name: p.detach() for name, p in params.items()})
    seconds = time.perf_counter() - start
    return ManyModels(init.template, params, buffers, masks=None, data_ids=data.ids.clone(), steps=S,
                      grad_evals=int(evals.sum()), grad_evals_per_model=evals, losses=losses, seconds=seconds,
                      init_seeds=init.init_seeds, order_seeds=None, extra={"steps_per_model": list(steps)})
