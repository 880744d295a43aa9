"""Benchmark: fit_many (batched with torch.func) against a Python loop of fit over the same models.

Trains M small models (a tiny MLP on 2-D moons, each on its own random half of the data, the
shadow-model setting of later lectures) both ways, checks that they agree, and prints the wall-clock
ratio. Timings depend on the machine and on whatever else runs on it; run it alone for clean numbers.

    python scripts/bench_batched.py            # 256 models, 200 steps
    python scripts/bench_batched.py --models 64 --steps 100 --hidden 0   # logistic regression
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from unlearnkit import data as D, models, training as T  # noqa: E402


def run(n_models: int = 256, steps: int = 200, hidden: int = 16, n: int = 400, batch_size: int = 32,
        seed: int = 0, threads: int = 1) -> dict:
    """Train ``n_models`` models batched and in a loop; return times (s), ratio and the largest weight gap.

    Both ways run with ``threads`` torch threads (one is fastest for models this small).
    """
    torch.set_num_threads(threads)
    data = D.make_moons(n, noise=0.25, seed=seed)
    masks = torch.rand(n_models, n, generator=torch.Generator().manual_seed(seed)) < 0.5
    build = (lambda s: models.mlp(2, 2, hidden, seed=s)) if hidden else (lambda s: models.logistic_regression(2, 2, seed=s))
    config = T.TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=batch_size, steps=steps)

    # Warm-up: the first optimiser a process builds imports torch._dynamo (seconds, once per process).
    T.fit_many(build(0), data, masks[:2], config.replace(steps=2), seed=seed, threads=threads)
    T.fit(build(0), data, config.replace(steps=2))

    start = time.perf_counter()
    many = T.fit_many(build(0), data, masks, config, seed=seed, threads=threads)
    batched = time.perf_counter() - start

    start = time.perf_counter()
    nets = []
    for i in range(n_models):
        s_init, s_order = T.model_seeds(seed, i)
        net = build(s_init)
        T.fit(net, data.where(masks[i]), config.replace(steps=steps, seed=s_order))
        nets.append(net)
    loop = time.perf_counter() - start

    gap = max(float((many.model(i).state_dict()[k] - nets[i].state_dict()[k]).abs().max())
              for i in range(n_models) for k in nets[i].state_dict())
    return {"models": n_models, "steps": steps, "hidden": hidden, "batched_s": batched, "loop_s": loop,
            "ratio": loop / batched, "max_weight_gap": gap, "grad_evals": many.grad_evals,
            "threads": torch.get_num_threads()}


def main(argv=None) -> dict:
    """Parse arguments, run the benchmark, print the batched vs loop ratio, return the numbers."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=int, default=256)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--hidden", type=int, default=16, help="MLP width; 0 = logistic regression")
    p.add_argument("--n", type=int, default=400, help="training set size")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    r = run(a.models, a.steps, a.hidden, a.n, a.batch_size, a.seed, a.threads)
    arch = f"MLP (2-{r['hidden']}-2)" if r["hidden"] else "logistic regression"
    print(f"{r['models']} x {arch}, {r['steps']} steps each, {r['threads']} torch threads")
    print(f"  batched (fit_many): {r['batched_s']:.2f} s   Python loop of fit: {r['loop_s']:.2f} s")
    print(f"  ratio loop / batched: {r['ratio']:.1f}x   largest weight difference: {r['max_weight_gap']:.2e}")
    return r


if __name__ == "__main__":
    main()
