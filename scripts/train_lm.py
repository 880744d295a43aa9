"""Rebuild lecture 07's two language-model checkpoints from fixed seeds.

    python scripts/train_lm.py                  # both models, one after the other
    python scripts/train_lm.py --which full     # only the model trained on every person
    python scripts/train_lm.py --which retrained --threads 1

(a) ``full``: the GPT of :mod:`unlearnkit.lm` trained on the documents of all people of the world;
(b) ``retrained``: the exact-unlearning reference, the same recipe (same seeds, same steps, same
    model initialisation) without the forget people's documents, i.e. trained on ``world.retain``.

Each run writes ``unlearnkit/checkpoints/lm_<which>.pt`` (tensors and plain values only, loadable with
``torch.load(..., weights_only=True)``) and merges its entry (seeds, configs, steps, training time,
thread count, versions, loss curve, measured accuracies) into ``unlearnkit/checkpoints/lm_record.json``.
The two runs are independent, so they may run at the same time in two processes. Training takes
tens of minutes on a 2-core CPU; ``UNLEARNKIT_DEVICE=cuda`` trains on a GPU if one is present (the
record says which device was used; results then differ from the CPU's in the last bits).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import unlearnkit  # noqa: E402
from unlearnkit import lm  # noqa: E402

WORLD = {"n_people": 200, "n_forget": 20, "seed": 0}
MODEL_SEED = 7
TRAIN = dict(steps=4000, batch_size=64, lr=3e-3, warmup=100, weight_decay=0.01, grad_clip=1.0, p_context=0.5, seed=11)
MODEL = dict(block_size=64, n_layer=3, n_head=4, n_embd=128)


def evaluate(model, world, tok, full: bool = True) -> dict:
    """Closed-book and in-context accuracies on the forget and the retain people."""
    out = {"closed_book": {}, "in_context": {}}
    rels = lm.RELATIONS if full else ("city", "job", "pet", "colour", "country")
    for group, people in (("forget", world.forget), ("retain", world.retain)):
        out["closed_book"][group] = {
            r: {f"template_{t}": lm.qa_accuracy(model, tok, world, people, r, template=t)
                for t in range(len(lm.QUESTIONS[r]))} if full else lm.qa_accuracy(model, tok, world, people, r)
            for r in rels}
        # Reading from the context: the fact stated first (statement template 0), then asked.
        ctx = {}
        for r in ("city", "job", "pet", "colour"):
            stated = [lm.statement_text(world, p, r) for p in people]
            ctx[r] = lm.qa_accuracy(model, tok, world, people, r, contexts=stated)
        # Composition: the city stated, the country asked (world knowledge from the weights).
        stated = [lm.statement_text(world, p, "city") for p in people]
        ctx["country_from_stated_city"] = lm.qa_accuracy(model, tok, world, people, "country", contexts=stated)
        out["in_context"][group] = ctx
    return out


def merge_record(path: pathlib.Path, key: str, entry: dict, common: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = json.loads(path.read_text()) if path.exists() else {}
        record.update(common)
        record.setdefault("models", {})[key] = entry
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        fcntl.flock(lock, fcntl.LOCK_UN)
    os.remove(str(path) + ".lock")


def run(which: str, out_dir: pathlib.Path, steps: int, snapshot_dir: pathlib.Path | None, log_every: int) -> None:
    world = lm.make_world(**WORLD)
    tok = lm.Tokenizer.for_world(world)
    mcfg = lm.GPTConfig(vocab_size=tok.vocab_size, **MODEL)
    tcfg = lm.LMTrainConfig(**{**TRAIN, "steps": steps})
    people = range(len(world.people)) if which == "full" else world.retain
    dev = unlearnkit.device()

    def callback(step, model):
        acc = evaluate(model, world, tok, full=False)
        cb = acc["closed_book"]
        print(f"[{which}] step {step}: closed-book forget "
              + " ".join(f"{r}={v:.2f}" for r, v in cb["forget"].items())
              + " | retain " + " ".join(f"{r}={v:.2f}" for r, v in cb["retain"].items())
              + f" | in-context forget {acc['in_context']['forget']}", flush=True)
        if snapshot_dir is not None:
            snapshot_dir.mkdir(parents=True, exist_ok=True)
            lm.save_lm(model, snapshot_dir / f"lm_{which}.pt")
        model.train()

    print(f"[{which}] training on {len(people)} people, {steps} steps, device {dev}, "
          f"{torch.get_num_threads()} threads", flush=True)
    model, log = lm.train_lm(world, people, mcfg, tcfg, model_seed=MODEL_SEED, callback=callback, log_every=log_every)
    t0 = time.perf_counter()
    acc = evaluate(model, world, tok, full=True)
    eval_seconds = time.perf_counter() - t0
    path = out_dir / f"lm_{which}.pt"
    lm.save_lm(model, path)
    entry = {
        "trained_on": "all people" if which == "full" else "world.retain (the forget people's documents removed)",
        "n_people_trained_on": len(people),
        "model_seed": MODEL_SEED,
        "train_config": {**TRAIN, "steps": steps},
        "model_config": {"vocab_size": tok.vocab_size, **MODEL},
        "n_parameters": model.num_parameters(),
        "training_seconds": round(log["seconds"], 1),
        "eval_seconds": round(eval_seconds, 1),
        "target_tokens_seen": log["tokens"],
        "final_loss_mean_last_100": sum(log["losses"][-100:]) / max(1, len(log["losses"][-100:])),
        "loss_every_50_steps": [round(x, 4) for x in log["losses"][::50]],
        "device": str(dev),
        "torch_threads": torch.get_num_threads(),
        "file": path.name,
        "file_bytes": path.stat().st_size,
        "accuracy": acc,
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    common = {
        "world": WORLD,
        "made_by": "scripts/train_lm.py",
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "machine": platform.machine(),
        "note": "accuracies: fraction of questions whose highest-likelihood candidate is the true answer",
    }
    merge_record(out_dir / "lm_record.json", which, entry, common)
    print(f"[{which}] done in {log['seconds']:.0f} s; wrote {path} ({entry['file_bytes']} bytes)", flush=True)
    print(json.dumps(acc["closed_book"], indent=None), flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--which", choices=["full", "retrained", "both"], default="both")
    ap.add_argument("--steps", type=int, default=TRAIN["steps"])
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--out", type=pathlib.Path, default=lm.CHECKPOINT_DIR)
    ap.add_argument("--snapshot-dir", type=pathlib.Path, default=None, help="save the model here at each evaluation")
    ap.add_argument("--log-every", type=int, default=500)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    for which in (["full", "retrained"] if args.which == "both" else [args.which]):
        run(which, args.out, args.steps, args.snapshot_dir, args.log_every)


if __name__ == "__main__":
    main()
