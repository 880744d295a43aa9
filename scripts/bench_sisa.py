"""Benchmark SISA on MNIST-1D: accuracy against S, and the speed-up of unlearning against 3RS/(2R+1).

Independent of the notebooks (same set-up as lecture 02: an MLP 40 -> 64 -> 10, SGD with momentum,
20 epochs, one thread). Prints

1. test accuracy against the number of shards S (majority vote and probability average, R = 5), beside
   the single-model baseline (S = R = 1: one model trained on everything for the same epochs);
2. the mean cost of one uniformly random request in gradient evaluations (``SISA.plan`` over many
   requests) and the speed-up it gives, against the expected ``3RS / (2R + 1)``, for every (S, R);
3. the same speed-up in seconds from a short stream of real ``unlearn`` calls (R = 5);
4. the fraction of shards a batch of K random requests touches, against ``1 - (1 - 1/S)^K``.

Usage (from the repository root; also run by ``scripts/benchmark.py --topics sisa``):

    .venv/bin/python scripts/bench_sisa.py [--requests 500] [--shards 1 2 5 10 20] [--slices 1 5 10]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from unlearnkit import data, derive_seed, models, sisa, training


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=500, help="random single-id requests planned per ensemble")
    p.add_argument("--shards", type=int, nargs="+", default=[1, 2, 5, 10, 20], help="values of S (R = 5 for accuracy)")
    p.add_argument("--slices", type=int, nargs="+", default=[1, 5, 10], help="values of R for the cost grid")
    p.add_argument("--stream", type=int, default=4, help="real unlearn calls per ensemble for the timing")
    p.add_argument("--batches", type=int, default=30, help="random batches per K for the fraction touched")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (exactness holds per thread count)")
    return p


def main(argv=None) -> dict:
    """Run the benchmark and print its tables; returns the numbers as a dict (for scripts and tests).

    ``argv`` defaults to no arguments (so ``scripts/benchmark.py`` can call ``main()``).
    """
    args = _parser().parse_args([] if argv is None else argv)
    torch.set_num_threads(args.threads)
    train, test = data.load_mnist1d()
    config = training.TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=64, epochs=args.epochs,
                                  seed=args.seed)

    def model_fn(seed):
        return models.mlp(train.n_features, train.num_classes, (64,), seed=seed)

    R0 = 5
    grid = sorted({(s, R0) for s in args.shards} | {(s, r) for s in args.shards for r in args.slices} | {(1, 1)})
    print(f"SISA benchmark: MNIST-1D n={len(train)}, MLP 40-64-10, SGD lr=0.1 momentum=0.9 batch 64, "
          f"{args.epochs} epochs, {torch.get_num_threads()} thread(s), seed {args.seed}")
    ensembles = {}
    t0 = time.perf_counter()
    for S, R in grid:
        ensembles[(S, R)] = sisa.SISA(train, model_fn, config, n_shards=S, n_slices=R, seed=args.seed)
    print(f"trained {len(grid)} ensembles in {time.perf_counter() - t0:.1f} s")

    # 1. accuracy against S
    baseline = ensembles[(1, 1)].accuracy(test)
    print(f"\n1. Test accuracy against S (R = {R0}); single model (S = R = 1): {baseline:.3f}")
    print(f"{'S':>4} {'vote':>7} {'proba':>7} {'1 shard':>8}")
    accuracy = {}
    for S in args.shards:
        e = ensembles[(S, R0)]
        accuracy[S] = {"vote": e.accuracy(test, "vote"), "proba": e.accuracy(test, "proba"),
                       "shard_mean": float(e.shard_accuracies(test).mean())}
        a = accuracy[S]
        print(f"{S:>4} {a['vote']:>7.3f} {a['proba']:>7.3f} {a['shard_mean']:>8.3f}")

    # 2. one request: gradient evaluations from plan, over many random requests
    gen = torch.Generator().manual_seed(derive_seed(args.seed, "bench requests"))
    n_req = min(args.requests, len(train))
    requests = train.ids[torch.randperm(len(train), generator=gen)[:n_req]]
    print(f"\n2. One random request: speed-up in gradient evaluations (mean over {n_req} requests, SISA.plan)")
    print(f"{'S':>4} {'R':>4} {'grad evals':>11} {'measured':>9} {'3RS/(2R+1)':>11} {'ratio':>6}")
    speedup = {}
    for (S, R), e in sorted(ensembles.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        costs = np.array([e.plan([int(i)])["grad_evals"] for i in requests], dtype=np.float64)
        measured = e.full_retrain_grad_evals() / costs.mean()
        expected = sisa.expected_speedup(S, R)
        speedup[(S, R)] = {"grad_evals": float(costs.mean()), "measured": measured, "expected": expected}
        print(f"{S:>4} {R:>4} {costs.mean():>11.0f} {measured:>9.2f} {expected:>11.2f} {measured / expected:>6.3f}")

    # 3. seconds: a short stream of real unlearn calls on a copy
    print(f"\n3. Real unlearn calls (R = {R0}, {args.stream} per ensemble): speed-up in seconds")
    print(f"{'S':>4} {'s/request':>10} {'full (s)':>9} {'measured':>9} {'3RS/(2R+1)':>11}")
    seconds = {}
    for S in args.shards:
        e = ensembles[(S, R0)].copy()
        reports = [e.unlearn([int(i)]) for i in requests[:args.stream]]
        per = float(np.mean([r.seconds for r in reports]))
        full = ensembles[(S, R0)].build_log.seconds
        seconds[S] = {"per_request": per, "full": full, "measured": full / per}
        print(f"{S:>4} {per:>10.3f} {full:>9.2f} {full / per:>9.2f} {sisa.expected_speedup(S, R0):>11.2f}")

    # 4. batches of K requests
    print(f"\n4. A batch of K random requests (R = {R0}, {args.batches} batches per K): shards touched and speed-up")
    print(f"{'S':>4} {'K':>5} {'touched':>8} {'1-(1-1/S)^K':>12} {'speed-up':>9}")
    batches = {}
    for S in [s for s in args.shards if s > 1]:
        e = ensembles[(S, R0)]
        for K in sorted({1, max(1, S // 2), S, 2 * S, 5 * S, 10 * S}):
            touched, cost = [], []
            for _ in range(args.batches):
                p = e.plan(train.ids[torch.randperm(len(train), generator=gen)[:K]])
                touched.append(len(p["resumed_from"]) / S)
                cost.append(p["grad_evals"] / p["full_retrain_grad_evals"])
            batches[(S, K)] = {"touched": float(np.mean(touched)), "expected": sisa.expected_fraction_touched(S, K),
                               "speedup": 1.0 / float(np.mean(cost))}
            b = batches[(S, K)]
            print(f"{S:>4} {K:>5} {b['touched']:>8.3f} {b['expected']:>12.3f} {b['speedup']:>9.2f}")
    return {"baseline": baseline, "accuracy": accuracy, "speedup": speedup, "seconds": seconds, "batches": batches}


if __name__ == "__main__":
    main(sys.argv[1:])
