"""Rebuild unlearnkit/checkpoints/digits_unlearning_epsilon.pt: empirical epsilon per forget example at the
scale of the NeurIPS 2023 unlearning challenge (512 unlearned and 512 retrained models per side).

Lecture 05 reads this file. Training 512 original models, unlearning them with four methods and
training 2 x 512 retrained models takes minutes (too much of the lecture's one-minute budget), so it
is computed here and shipped (tensors and plain values only, about 0.3 MB); the lecture recomputes the
first models live and checks that they agree. `--check` recomputes everything and compares with the
shipped file.

    .venv/bin/python scripts/build_unlearning_epsilon.py            # rebuild the shipped file
    .venv/bin/python scripts/build_unlearning_epsilon.py --check    # recompute and compare, write nothing

Recipe (recorded in the file's meta): data = unlearnkit.data.load_digits() (seed 0) train split (1347
digits); forget set S = 10 random training digits and the 10 most memorized ones of
digits_memorization.pt (20 in all, the same S for every model); model = models.mlp(64, 10, 32), trained
with Adam (lr 1e-2, batch 128, 20 epochs). NUM_MODELS originals on D (fit_many, seed
derive_seed(SEED, "original")); each method unlearns every original with its batched form from
unlearnkit.protocol (lecture 04's settings: fine-tune 5 epochs lr 1e-2; NegGrad 2 epochs lr 1e-2;
NegGrad+ 2 epochs lr 3e-3, a = 0.9; random labels 5 epochs lr 1e-2; Adam, batch 128; root seed
derive_seed(SEED, <method>)); NUM_MODELS retrained models on D \\ S (protocol "retrain", seed
derive_seed(SEED, "retrained")) and a second group (derive_seed(SEED, "retrained", 2)) that measures the
estimator's floor. Statistic: the LiRA-scaled confidence phi on each example of S (mia.lira_phi).
Epsilon: mia.empirical_epsilons at delta = 1e-5 (the challenge's estimator), unlearned vs retrained, from
all models and from the first 8, 32 and 128 models per side.
Unlike the challenge, which unlearned copies of ONE original model, every unlearned model here starts
from its own original, so the randomness of training counts on both sides, as in the definition.
"""
from __future__ import annotations

import pathlib
import sys
import time

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unlearnkit import data, derive_seed, mia, models, protocol  # noqa: E402
from unlearnkit.batched import fit_many  # noqa: E402
from unlearnkit.training import TrainConfig  # noqa: E402

OUT = ROOT / "unlearnkit" / "checkpoints" / "digits_unlearning_epsilon.pt"
MEMORIZATION = ROOT / "unlearnkit" / "checkpoints" / "digits_memorization.pt"
SEED = 0
NUM_MODELS = 512
HIDDEN = 32
CONFIG = dict(optimizer="adam", lr=1e-2, batch_size=128, epochs=20)
# method name -> (registry name, learning rate, epochs, extra config fields): lecture 04's settings
METHODS = {
    "fine-tune": ("finetune", 1e-2, 5, {}),
    "NegGrad": ("neggrad", 1e-2, 2, {}),
    "NegGrad+": ("neggrad_plus", 3e-3, 2, {"a": 0.9}),
    "random labels": ("random_labels", 1e-2, 5, {}),
}
DELTA = 1e-5
SMALLER = (8, 32, 128)   # also estimate epsilon from the first n models per side


def forget_ids(train) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids of S, kind per example: 0 random, 1 most memorized)."""
    mem = torch.load(MEMORIZATION, weights_only=True)
    assert torch.equal(mem["ids"], train.ids), "digits_memorization.pt was built on another split"
    top = train.ids[mem["scores"].topk(10).indices]
    rest = train.ids[~torch.isin(train.ids, top)]
    g = torch.Generator().manual_seed(derive_seed(SEED, "forget", "random"))
    rand = rest[torch.randperm(len(rest), generator=g)[:10]]
    return torch.cat([rand, top]), torch.cat([torch.zeros(10, dtype=torch.int64), torch.ones(10, dtype=torch.int64)])


def method_config(name: str):
    key, lr, epochs, extra = METHODS[name]
    cls = protocol.NegGradPlusConfig if key == "neggrad_plus" else protocol.GradientConfig
    return key, cls(train=TrainConfig(optimizer="adam", lr=lr, batch_size=128, epochs=epochs),
                    seed=derive_seed(SEED, key), **extra)


def retrain_config(group: int):
    seed = derive_seed(SEED, "retrained") if group == 1 else derive_seed(SEED, "retrained", group)
    return protocol.RetrainConfig(model_fn=lambda s: models.mlp(64, 10, HIDDEN, seed=s), train=TrainConfig(**CONFIG),
                                  seed=seed)


def compute(num_models: int = NUM_MODELS, with_epsilon: bool = True) -> dict:
    """Train, unlearn and retrain; return the record that is shipped (phi float32 (models, 20) per group)."""
    train, test = data.load_digits()
    ids, kind = forget_ids(train)
    S = train.subset(ids)
    forget = torch.zeros(num_models, len(train), dtype=torch.bool)
    forget[:, train.positions(ids)] = True
    start = time.perf_counter()
    originals = fit_many(models.mlp(64, 10, HIDDEN), train, torch.ones_like(forget), TrainConfig(**CONFIG),
                         seed=derive_seed(SEED, "original"))
    groups = {"original": originals}
    for name in METHODS:
        key, cfg = method_config(name)
        groups[name] = protocol.get(key).batched(originals, train, forget, cfg).model
    groups["retrained"] = protocol.get("retrain").batched(originals, train, forget, retrain_config(1)).model
    groups["retrained (2nd group)"] = protocol.get("retrain").batched(originals, train, forget, retrain_config(2)).model
    seconds = time.perf_counter() - start
    retain = train.without(ids)
    acc = lambda g, d: (g.logits(d).argmax(-1) == d.y).double().mean(dim=1)
    record = {
        "ids": ids, "kind": kind,
        "phi": {k: torch.as_tensor(mia.lira_phi(g.logits(S), S.y), dtype=torch.float32) for k, g in groups.items()},
        "retain_accuracy": {k: acc(g, retain).float() for k, g in groups.items()},
        "test_accuracy": {k: acc(g, test).float() for k, g in groups.items()},
        "meta": {"data": "unlearnkit.data.load_digits() train split (seed 0)", "model": f"models.mlp(64, 10, {HIDDEN})",
                 "config": dict(CONFIG), "num_models": num_models, "seed": SEED, "delta": DELTA,
                 "methods": {k: {"registry": v[0], "lr": v[1], "epochs": v[2], **v[3]} for k, v in METHODS.items()},
                 "original_seed": derive_seed(SEED, "original"),
                 "method_seeds": {k: derive_seed(SEED, v[0]) for k, v in METHODS.items()},
                 "retrained_seeds": [retrain_config(1).seed, retrain_config(2).seed],
                 "forget": "10 random training digits, then the 10 most memorized (digits_memorization.pt)",
                 "statistic": "mia.lira_phi on each forget example", "trainer": "unlearnkit.batched / protocol batched forms",
                 "script": "scripts/build_unlearning_epsilon.py", "seconds": round(seconds, 1),
                 "torch": str(torch.__version__)},
    }
    if with_epsilon:
        ref = record["phi"]["retrained"].numpy()
        record["epsilon"] = {k: torch.as_tensor(mia.empirical_epsilons(v.numpy(), ref, DELTA))
                             for k, v in record["phi"].items() if k != "retrained"}
        # the same estimate from the first n models of each side only: how the ceiling ln(n - 1) caps it
        record["epsilon_by_n"] = {n: {k: torch.as_tensor(mia.empirical_epsilons(v.numpy()[:n], ref[:n], DELTA))
                                      for k, v in record["phi"].items() if k != "retrained"}
                                  for n in SMALLER if n < num_models}
    return record


if __name__ == "__main__":
    torch.set_num_threads(2)
    record = compute()
    if "--check" in sys.argv:
        old = torch.load(OUT, weights_only=True)
        phi = max(float((old["phi"][k] - record["phi"][k]).abs().max()) for k in old["phi"])
        eps = max(float((old["epsilon"][k] - record["epsilon"][k]).abs().max()) for k in old["epsilon"])
        same_ids = torch.equal(old["ids"], record["ids"])
        print(f"same forget ids: {same_ids}; max |phi difference| {phi:.3g}; max |epsilon difference| {eps:.3g}")
        sys.exit(0 if same_ids and phi < 1e-2 and eps < 0.1 else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save(record, OUT)
    eps = {k: float(np.median(v.numpy())) for k, v in record["epsilon"].items()}
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1024:.1f} kB) in {record['meta']['seconds']} s; "
          f"median epsilon per group: " + ", ".join(f"{k} {v:.2f}" for k, v in eps.items()))
