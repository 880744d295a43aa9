"""Build lecture 06's unlearned language models from the shipped full model, from fixed seeds, and their record.

    python scripts/build_lm_unlearned.py              # every method, then the record
    python scripts/build_lm_unlearned.py --only lm_rmu
    python scripts/build_lm_unlearned.py --check      # rebuild each in memory: weights and a quick evaluation against the record

Each method of :mod:`unlearnkit.lm.unlearning` (gradient ascent, gradient difference, WHP, RMU) starts
from ``unlearnkit/checkpoints/lm_full.pt`` and sees the forget people's documents
(``person_documents(world, world.forget)``: every relation, the spell included, in every statement and
question template) and, where it uses them, the retain people's documents. It writes
``unlearnkit/checkpoints/lm_unlearned_<method>.pt`` (:func:`unlearnkit.lm.save_lm`: tensors and plain
values, float32, loadable with ``torch.load(..., weights_only=True)``) and merges its entry into
``unlearnkit/checkpoints/lm_unlearned_record.json``: the config (every seed), steps, training time,
thread count, file size, and the model's full :func:`unlearnkit.lm.tofu.evaluate_unlearning` (over a
minute per model, so a lecture reads it here and recomputes only a quick subset). The record also
holds the same evaluation of the full and the retrained model (the references).

``--check`` retrains every method in memory with the recorded config and compares the weights with
the shipped file (bitwise on the CPU with the same thread count; otherwise within ``--tol``), then
recomputes the quick evaluation of each shipped model and compares it with the record.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from unlearnkit import lm  # noqa: E402
from unlearnkit.lm import tofu, unlearning as U  # noqa: E402

DIR = lm.CHECKPOINT_DIR
EVAL_SEED = 0
RELEARN_STEPS = 10


def strip(ev: dict) -> dict:
    """The evaluation without the per-question arrays, except those of the quick relation."""
    out = {k: v for k, v in ev.items() if not k.startswith("_")}
    out["_truth_ratios"] = {tofu.QUICK_RELATION: ev["_truth_ratios"][tofu.QUICK_RELATION]}
    return out


def shipped_state(path):
    return torch.load(str(path), map_location="cpu", weights_only=True)["state_dict"]


def build(names, threads) -> None:
    RECORD = DIR / "lm_unlearned_record.json"
    full, world, tok = lm.load_lm("full", directory=DIR)
    retrained, _, _ = lm.load_lm("retrained", directory=DIR)
    forget = U.person_documents(world, world.forget)
    retain = U.person_documents(world, world.retain)
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    refs = record.get("references", {})
    t0 = time.perf_counter()
    ev_ret = tofu.evaluate_unlearning(retrained, tok, world, seed=EVAL_SEED, relearn_steps=RELEARN_STEPS)
    ev_full = tofu.evaluate_unlearning(full, tok, world, retrained_eval=ev_ret, seed=EVAL_SEED, relearn_steps=RELEARN_STEPS)
    print(f"references evaluated in {time.perf_counter() - t0:.0f} s", flush=True)
    refs = {"retrained": strip(ev_ret), "full": strip(ev_full)}
    models = record.get("models", {})
    for name in names:
        method, config = U.LM_METHODS[name], U.UNLEARNED_CONFIGS[name]
        t1 = time.perf_counter()
        model, log = method(full, forget, retain, config)
        seconds = time.perf_counter() - t1
        path = DIR / f"lm_unlearned_{name[3:]}.pt"
        lm.save_lm(model, path)
        ev = tofu.evaluate_unlearning(model, tok, world, retrained_eval=ev_ret, seed=EVAL_SEED, relearn_steps=RELEARN_STEPS)
        models[name] = {
            "config": {"type": type(config).__name__, **dataclasses.asdict(config)},
            "steps": log.steps, "grad_evals": log.grad_evals, "extra": log.extra,
            "training_seconds": round(seconds, 2), "torch_threads": threads,
            "file": path.name, "file_bytes": path.stat().st_size,
            "evaluation": strip(ev),
            "final_losses": [round(x, 4) for x in log.losses[-5:]],
        }
        print(f"{name}: {seconds:.1f} s, forget {ev['forget_accuracy']:.3f} retain {ev['retain_accuracy']:.3f} "
              f"truth ratio {ev['truth_ratio']:.3f} forget quality {ev.get('forget_quality', float('nan')):.3g} "
              f"entropy {ev['entropy']:.2f} ({path.stat().st_size} bytes)", flush=True)
    record = {"made_by": "scripts/build_lm_unlearned.py", "from": "lm_full.pt (see lm_record.json)",
              "documents": {"forget": len(forget), "retain": len(retain),
                            "what": "person_documents(world, world.forget / world.retain): every relation, all templates"},
              "eval_seed": EVAL_SEED, "relearn_steps": RELEARN_STEPS,
              "torch_version": torch.__version__, "python_version": platform.python_version(),
              "references": refs, "models": models,
              "note": "accuracies: share of questions whose most likely candidate is the true answer; truth_ratio: "
                      "TOFU's forget score mean(min(R, 1/R)); forget_quality: KS p-value against the retrained model"}
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORD}", flush=True)


def check(names, tol: float) -> int:
    RECORD = DIR / "lm_unlearned_record.json"
    full, world, tok = lm.load_lm("full", directory=DIR)
    forget = U.person_documents(world, world.forget)
    retain = U.person_documents(world, world.retain)
    record = json.loads(RECORD.read_text())
    failures = 0
    for name in names:
        entry = record["models"][name]
        config = U.UNLEARNED_CONFIGS[name]
        if json.loads(json.dumps({"type": type(config).__name__, **dataclasses.asdict(config)})) != entry["config"]:
            print(f"FAIL {name}: the config in the code differs from the record", flush=True)
            failures += 1
        model, _ = U.LM_METHODS[name](full, forget, retain, config)
        shipped = shipped_state(DIR / entry["file"])
        mine = {k: v for k, v in model.state_dict().items() if k != "head.weight"}
        gap = max(float((mine[k] - shipped[k]).abs().max()) for k in shipped)
        ok = gap <= tol
        failures += not ok
        loaded, _, _ = U.load_unlearned(name, directory=DIR)
        quick = tofu.evaluate_unlearning(loaded, tok, world, quick=True, seed=record["eval_seed"])
        rec = record["models"][name]["evaluation"]["per_relation"][tofu.QUICK_RELATION]
        got = quick["per_relation"][tofu.QUICK_RELATION]
        diffs = {k: abs(got[k] - rec[k]) for k in ("forget_accuracy", "retain_accuracy", "truth_ratio")}
        ok2 = max(diffs.values()) <= 1e-6
        failures += not ok2
        print(f"{'ok  ' if ok and ok2 else 'FAIL'} {name}: rebuilt weights max |diff| {gap:.3g} (tol {tol}); "
              f"quick evaluation vs record {diffs}", flush=True)
    return failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=sorted(U.LM_METHODS), action="append")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--dir", type=pathlib.Path, default=lm.CHECKPOINT_DIR,
                    help="where lm_full.pt, lm_retrained.pt and lm_record.json are read and the results written")
    args = ap.parse_args(argv)
    global DIR
    DIR = args.dir
    torch.set_num_threads(args.threads)
    names = args.only or list(U.LM_METHODS)
    if args.check:
        bad = check(names, args.tol)
        print("check passed" if not bad else f"check FAILED ({bad})", flush=True)
        return 1 if bad else 0
    build(names, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
