"""Rebuild unlearnkit/checkpoints/digits_memorization.pt: Feldman & Zhang memorization of the digits train set.

Lecture 04 uses these scores to pick the "most memorized" forget set. Computing them takes tens of
seconds (NUM_MODELS small MLPs trained at once with unlearnkit.training.fit_many; 19 s on two busy
cores), too much of the lecture's budget, so they are computed here and shipped (about 30 kB: tensors
and plain values only). `--check` recomputes them and compares with the shipped file.

    .venv/bin/python scripts/build_memorization.py            # rebuild the shipped file
    .venv/bin/python scripts/build_memorization.py --check    # recompute and compare, write nothing

Recipe (recorded in the file): data = unlearnkit.data.load_digits() (seed 0) train split; model =
models.mlp(64, 10, hidden=32); each model trains with Adam (lr 1e-2, batch 128, 20 epochs) on a random
70% subset (metrics.subset_masks, seed SEED); model i is initialised from derive_seed(SEED, "model", i).
mem(i) = P[correct | i in] - P[correct | i out] (metrics.memorization).
"""
from __future__ import annotations

import pathlib
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unlearnkit import data, metrics, models, training  # noqa: E402

OUT = ROOT / "unlearnkit" / "checkpoints" / "digits_memorization.pt"
SEED = 0
NUM_MODELS = 256
FRACTION = 0.7
HIDDEN = 32
CONFIG = dict(optimizer="adam", lr=1e-2, batch_size=128, epochs=20)


def compute(num_models: int = NUM_MODELS, seed: int = SEED, epochs: float = CONFIG["epochs"]) -> dict:
    """Train the models and return the record that is shipped (scores float32 (n,), ids int64 (n,))."""
    train, _ = data.load_digits()
    cfg = training.TrainConfig(**{**CONFIG, "epochs": epochs})
    start = time.perf_counter()
    scores, masks, correct = metrics.memorization_scores(models.mlp(64, 10, HIDDEN), train, cfg,
                                                         num_models=num_models, fraction=FRACTION, seed=seed)
    return {
        "scores": scores.float(), "ids": train.ids.clone(),
        "in_accuracy": ((correct & masks).sum(0).double() / masks.sum(0)).float(),
        "out_accuracy": ((correct & ~masks).sum(0).double() / (~masks).sum(0)).float(),
        "meta": {"data": "unlearnkit.data.load_digits() train split (seed 0)", "model": f"models.mlp(64, 10, {HIDDEN})",
                 "config": {**CONFIG, "epochs": epochs}, "num_models": num_models, "fraction": FRACTION, "seed": seed,
                 "trainer": "unlearnkit.training.fit_many", "script": "scripts/build_memorization.py",
                 "seconds": round(time.perf_counter() - start, 1), "torch": str(torch.__version__)},
    }


if __name__ == "__main__":
    torch.set_num_threads(2)
    record = compute()
    if "--check" in sys.argv:
        old = torch.load(OUT, weights_only=True)
        diff = float((old["scores"] - record["scores"]).abs().max())
        print(f"max |difference| from the shipped scores: {diff:.3g}")
        sys.exit(0 if diff < 0.02 else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save(record, OUT)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1024:.1f} kB) in {record['meta']['seconds']} s; "
          f"mean score {float(record['scores'].mean()):.3f}, {int((record['scores'] > 0.5).sum())} examples above 0.5")
