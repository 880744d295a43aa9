"""Rebuild lecture 07's two language-model checkpoints from fixed seeds.

    python scripts/train_lm.py                  # both models, one after the other
    python scripts/train_lm.py --which full     # only the model trained on every person
    python scripts/train_lm.py --which retrained --threads 1

Three phases (all in :func:`unlearnkit.lm.train_lm`): phase 1 (``TRAIN``) teaches the facts and reading
from the context; phase 2 (``PHASE2``) continues it with sequences in which a fact stated in the context
overrides the remembered one; phase 3 (``PHASE3``, added for lectures 06 and 08) grows the vocabulary by
the world's extension (:func:`unlearnkit.lm.extend_vocabulary`: the old token ids are kept) and teaches it:
the hazardous ``spell`` of every training person, and the answer ``unknown`` for names nobody was told
about. Phases 1 and 2 use the base vocabulary, so they are what they were before the extension.
``--phase1-from DIR`` resumes from phase-1 checkpoints saved in DIR; ``--phase3-from DIR`` runs phase 3
only, from the phase-2 checkpoints and record in DIR (the checkpoints shipped before the extension):

    mkdir /tmp/phase2 && git show <commit>:unlearnkit/checkpoints/lm_full.pt > /tmp/phase2/lm_full.pt ...
    python scripts/train_lm.py --which full --threads 1 --phase3-from /tmp/phase2

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

import numpy as np  # noqa: E402
import torch  # noqa: E402

import unlearnkit  # noqa: E402
from unlearnkit import lm  # noqa: E402

WORLD = {"n_people": 200, "n_forget": 20, "seed": 0}
MODEL_SEED = 7
# Phase 1: closed-book facts about the training people, and reading facts about fresh names from the context.
TRAIN = dict(steps=2500, batch_size=64, lr=3e-3, warmup=100, weight_decay=0.01, grad_clip=1.0, p_context=0.5, seed=11)
# Phase 2 (continues phase 1 with a fresh optimiser): the same mixture plus "update" sequences, where a
# training person's fact is restated with a new value and then asked. After phase 1 alone the model
# ignored a contradicting fact in its prompt (see the record's "phase1" entry); large language models
# follow their context, and in-context unlearning relies on it.
PHASE2 = dict(steps=1000, batch_size=64, lr=2e-3, warmup=50, weight_decay=0.01, grad_clip=1.0, p_context=0.5, p_update=0.25,
              seed=12)
MODEL = dict(block_size=64, n_layer=3, n_head=4, n_embd=128)
# Phase 3 (continues phase 2, fresh optimiser, vocabulary grown by the extension's words, new rows drawn
# from VOCAB_SEED): the same kinds of sequences over the extended world (the spell is one more fact),
# plus "unknown" episodes. A short continuation rather than a retraining: the models of lecture 07 stay
# what they were, plus the new fact and word.
PHASE3 = dict(steps=600, batch_size=64, lr=1e-3, warmup=50, weight_decay=0.01, grad_clip=1.0, p_context=0.4,
              p_update=0.2, p_unknown=0.15, extended=True, seed=13)
VOCAB_SEED = 14
# Phase 3b (continues phase 3, fresh optimiser): after phase 3 the spell was known for about 60% of the
# people (see the record's "phase3" entry), so the same mixture with spell documents over-sampled
# (hazard_boost: a closed-book document is about the spell with probability 0.35 more).
PHASE3B = dict(steps=500, batch_size=64, lr=1e-3, warmup=20, weight_decay=0.01, grad_clip=1.0, p_context=0.4,
               p_update=0.2, p_unknown=0.15, extended=True, hazard_boost=0.35, seed=15)


def evaluate(model, world, tok, full: bool = True) -> dict:
    """Closed-book and in-context accuracies on the forget and the retain people."""
    out = {"closed_book": {}, "in_context": {}}
    extended = tok.vocab_size == lm.Tokenizer.for_world(world).vocab_size
    rels = lm.RELATIONS if full else ("city", "job", "pet", "colour", "country")
    rels = rels + (lm.HAZARD,) if extended else rels
    for group, people in (("forget", world.forget), ("retain", world.retain)):
        out["closed_book"][group] = {
            r: {f"template_{t}": lm.qa_accuracy(model, tok, world, people, r, template=t)
                for t in range(len(lm.QUESTIONS[r]))} if full else lm.qa_accuracy(model, tok, world, people, r)
            for r in rels}
        # Reading from the context: the fact stated first (statement template 0), then asked.
        ctx = {}
        for r in ("city", "job", "pet", "colour") + ((lm.HAZARD,) if extended else ()):
            stated = [lm.statement_text(world, p, r) for p in people]
            ctx[r] = lm.qa_accuracy(model, tok, world, people, r, contexts=stated)
        # Composition: the city stated, the country asked (world knowledge from the weights).
        stated = [lm.statement_text(world, p, "city") for p in people]
        ctx["country_from_stated_city"] = lm.qa_accuracy(model, tok, world, people, "country", contexts=stated)
        out["in_context"][group] = ctx
    return out


def behaviour(model, world, tok, k: int = 3) -> dict:
    """In-context unlearning (k examples, mean over the 4 attributes) and reading facts about fresh names."""
    attrs = ("city", "job", "pet", "colour")
    out = {}
    for group, people in (("forget", list(world.forget)), ("retain", list(world.retain[::3]))):
        runs = [lm.icul_accuracy(model, tok, world, people, r, n_examples=k, seed=0) for r in attrs]
        out[f"icul_k{k}_{group}"] = {key: sum(run[key] for run in runs) / len(runs)
                                     for key in ("accuracy", "answered_flipped", "runner_up_accuracy")}
    rng = np.random.default_rng(0)
    fresh = {}
    for r in attrs:
        names = [world.fresh_names[i] for i in rng.choice(len(world.fresh_names), 60, replace=False)]
        vals = [world.values(r)[i] for i in rng.integers(len(world.values(r)), size=len(names))]
        prompts = [f"{lm.statement_text(world, n, r, value=v)} {lm.question_text(world, n, r)}" for n, v in zip(names, vals)]
        pred = lm.score_candidates(model, tok, prompts, world.values(r)).argmax(1).tolist()
        fresh[r] = float(np.mean([world.values(r)[i] == v for i, v in zip(pred, vals)]))
    out["fresh_name_reading"] = fresh
    if tok.vocab_size == lm.Tokenizer.for_world(world).vocab_size:
        # The extension's refusal: the share of closed-book questions answered "unknown" (the argmax
        # over the relation's values and "unknown"), for fresh names, forget and retain people.
        names = {"fresh": [world.fresh_names[i] for i in rng.choice(len(world.fresh_names), 60, replace=False)],
                 "forget": [world.people[i].name for i in world.forget],
                 "retain": [world.people[i].name for i in world.retain[::3]]}
        unk = {}
        for group, ns in names.items():
            rates = []
            for r in attrs + (lm.HAZARD,):
                cands = list(world.values(r)) + [lm.UNKNOWN]
                pred = lm.score_candidates(model, tok, [lm.question_text(world, n, r) for n in ns], cands).argmax(1)
                rates.append(float((pred == len(cands) - 1).float().mean()))
            unk[group] = sum(rates) / len(rates)
        out["answers_unknown"] = unk
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


def run(which: str, out_dir: pathlib.Path, steps: int, snapshot_dir: pathlib.Path | None, log_every: int,
        phase1_from: pathlib.Path | None = None, phase2_steps: int = PHASE2["steps"],
        phase3_from: pathlib.Path | None = None, phase3_steps: int = PHASE3["steps"],
        phase3b_from: pathlib.Path | None = None) -> None:
    world = lm.make_world(**WORLD)
    tok = lm.Tokenizer.for_world(world, extended=False)  # phases 1 and 2: the base vocabulary
    tok3 = lm.Tokenizer.for_world(world)
    tcfg3 = lm.LMTrainConfig(**{**PHASE3, "steps": phase3_steps})
    mcfg = lm.GPTConfig(vocab_size=tok.vocab_size, **MODEL)
    tcfg = lm.LMTrainConfig(**{**TRAIN, "steps": steps})
    tcfg2 = lm.LMTrainConfig(**{**PHASE2, "steps": phase2_steps})
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
    if phase3b_from is not None:
        run_phase3b(which, world, tok3, people, phase3b_from, out_dir, dev)
        return
    if phase3_from is not None:
        run_phase3(which, world, tok, tok3, tcfg3, people, phase3_from, out_dir, dev)
        return
    if phase1_from is not None:
        # Resume: phase 1 was already run by this script (same seeds) and saved in phase1_from.
        model1, _, _ = lm.load_lm(str(phase1_from / f"lm_{which}.pt"), directory=phase1_from)
        if model1.config != mcfg:
            raise ValueError(f"{phase1_from}: the phase-1 checkpoint has another configuration")
        old = json.loads((phase1_from / "lm_record.json").read_text())["models"][which]
        if old["train_config"] != {**TRAIN, "steps": steps} or old["model_seed"] != MODEL_SEED:
            raise ValueError(f"{phase1_from}: the phase-1 checkpoint was made with other seeds or settings")
        log1 = {"seconds": old["training_seconds"], "tokens": old["target_tokens_seen"], "losses": None,
                "loss_every_50_steps": old["loss_every_50_steps"]}
        print(f"[{which}] phase 1 loaded from {phase1_from}", flush=True)
    else:
        model1, log1 = lm.train_lm(world, people, mcfg, tcfg, model_seed=MODEL_SEED, callback=callback, log_every=log_every)
        log1["loss_every_50_steps"] = [round(x, 4) for x in log1["losses"][::50]]
    phase1 = {"training_seconds": round(log1["seconds"], 1), "target_tokens_seen": log1["tokens"],
              "loss_every_50_steps": log1["loss_every_50_steps"],
              "accuracy": evaluate(model1, world, tok, full=False), **behaviour(model1, world, tok)}
    print(f"[{which}] phase 1: {json.dumps({k: v for k, v in phase1.items() if k != 'loss_every_50_steps'})}", flush=True)
    model2, log = lm.train_lm(world, people, mcfg, tcfg2, init_model=model1, callback=callback, log_every=log_every)
    phase2 = {"training_seconds": round(log["seconds"], 1), "accuracy": evaluate(model2, world, tok, full=False),
              **behaviour(model2, world, tok)}
    print(f"[{which}] phase 2: {json.dumps(phase2)}", flush=True)
    big = lm.extend_vocabulary(model2, tok3.vocab_size, seed=VOCAB_SEED)
    model, log3 = lm.train_lm(world, people, big.config, tcfg3, init_model=big)
    t0 = time.perf_counter()
    acc = evaluate(model, world, tok3, full=True)
    beh = behaviour(model, world, tok3)
    eval_seconds = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"lm_{which}.pt"
    lm.save_lm(model, path)
    entry = {
        "trained_on": "all people" if which == "full" else "world.retain (the forget people's documents removed)",
        "n_people_trained_on": len(people),
        "model_seed": MODEL_SEED,
        "train_config": {**TRAIN, "steps": steps},
        "phase2_config": {**PHASE2, "steps": phase2_steps},
        "phase1": phase1,
        "phase2": phase2,
        "phase3_config": {**PHASE3, "steps": phase3_steps},
        "vocab_seed": VOCAB_SEED,
        "model_config": {"vocab_size": tok3.vocab_size, **MODEL},
        "n_parameters": model.num_parameters(),
        "training_seconds": round(log1["seconds"] + log["seconds"] + log3["seconds"], 1),
        "phase2_training_seconds": round(log["seconds"], 1),
        "phase3_training_seconds": round(log3["seconds"], 1),
        "eval_seconds": round(eval_seconds, 1),
        "target_tokens_seen": log1["tokens"] + log["tokens"] + log3["tokens"],
        "final_loss_mean_last_100": sum(log3["losses"][-100:]) / max(1, len(log3["losses"][-100:])),
        "loss_every_50_steps": log1["loss_every_50_steps"] + [round(x, 4) for x in log["losses"][::50]]
        + [round(x, 4) for x in log3["losses"][::50]],
        "device": str(dev),
        "torch_threads": torch.get_num_threads(),
        "file": path.name,
        "file_bytes": path.stat().st_size,
        "accuracy": acc,
        **beh,
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    merge_record(out_dir / "lm_record.json", which, entry, common_fields())
    print(f"[{which}] done in {log['seconds']:.0f} s; wrote {path} ({entry['file_bytes']} bytes)", flush=True)
    print(json.dumps(acc["closed_book"], indent=None), flush=True)


def common_fields() -> dict:
    return {
        "world": WORLD,
        "made_by": "scripts/train_lm.py",
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "machine": platform.machine(),
        "note": "accuracies: fraction of questions whose highest-likelihood candidate is the true answer",
    }


def run_phase3(which, world, tok, tok3, tcfg3, people, phase3_from: pathlib.Path, out_dir: pathlib.Path, dev) -> None:
    """Phase 3 only: load the phase-2 model and record entry from ``phase3_from``, extend, train, evaluate."""
    model2, _, tok_loaded = lm.load_lm(str(phase3_from / f"lm_{which}.pt"), directory=phase3_from)
    old = json.loads((phase3_from / "lm_record.json").read_text())["models"][which]
    if model2.config.vocab_size != tok.vocab_size or old["model_seed"] != MODEL_SEED or old["train_config"] != TRAIN \
            or old["phase2_config"] != PHASE2:
        raise ValueError(f"{phase3_from}: not a phase-2 checkpoint of this script's settings")
    print(f"[{which}] phase 3 from {phase3_from}: {tcfg3}", flush=True)
    big = lm.extend_vocabulary(model2, tok3.vocab_size, seed=VOCAB_SEED)
    model, log3 = lm.train_lm(world, people, big.config, tcfg3, init_model=big)
    print(f"[{which}] phase 3 trained in {log3['seconds']:.0f} s", flush=True)
    t0 = time.perf_counter()
    acc = evaluate(model, world, tok3, full=True)
    beh = behaviour(model, world, tok3)
    eval_seconds = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"lm_{which}.pt"
    lm.save_lm(model, path)
    phase2 = {"training_seconds": old["phase2_training_seconds"], "accuracy": old["accuracy"],
              **{k: old[k] for k in ("icul_k3_forget", "icul_k3_retain", "fresh_name_reading")},
              "final_loss_mean_last_100": old["final_loss_mean_last_100"], "eval_seconds": old["eval_seconds"],
              "finished_utc": old["finished_utc"], "torch_threads": old["torch_threads"], "device": old["device"]}
    keep = ("trained_on", "n_people_trained_on", "model_seed", "train_config", "phase2_config", "phase1")
    entry = {
        **{k: old[k] for k in keep},
        "phase2": phase2,
        "phase3_config": dict(tcfg3.__dict__),
        "vocab_seed": VOCAB_SEED,
        "model_config": dict(model.config.__dict__),
        "n_parameters": model.num_parameters(),
        "training_seconds": round(old["training_seconds"] + log3["seconds"], 1),
        "phase2_training_seconds": old["phase2_training_seconds"],
        "phase3_training_seconds": round(log3["seconds"], 1),
        "eval_seconds": round(eval_seconds, 1),
        "target_tokens_seen": old["target_tokens_seen"] + log3["tokens"],
        "final_loss_mean_last_100": sum(log3["losses"][-100:]) / max(1, len(log3["losses"][-100:])),
        "loss_every_50_steps": old["loss_every_50_steps"] + [round(x, 4) for x in log3["losses"][::50]],
        "device": str(dev),
        "torch_threads": torch.get_num_threads(),
        "file": path.name,
        "file_bytes": path.stat().st_size,
        "accuracy": acc,
        **beh,
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    merge_record(out_dir / "lm_record.json", which, entry, common_fields())
    print(f"[{which}] phase 3 done in {log3['seconds']:.0f} s (+{eval_seconds:.0f} s evaluation); wrote {path}", flush=True)
    print(json.dumps({k: v for k, v in beh.items()}), flush=True)
    print(json.dumps(acc["closed_book"], indent=None), flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--which", choices=["full", "retrained", "both"], default="both")
    ap.add_argument("--steps", type=int, default=TRAIN["steps"], help="phase-1 steps")
    ap.add_argument("--phase2-steps", type=int, default=PHASE2["steps"])
    ap.add_argument("--phase3-steps", type=int, default=PHASE3["steps"])
    ap.add_argument("--phase3b-from", type=pathlib.Path, default=None,
                    help="run phase 3b only, from the phase-3 checkpoints and record in this folder")
    ap.add_argument("--phase3-from", type=pathlib.Path, default=None,
                    help="skip phases 1 and 2: load their checkpoints and record from this folder (made by this script)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--out", type=pathlib.Path, default=lm.CHECKPOINT_DIR)
    ap.add_argument("--snapshot-dir", type=pathlib.Path, default=None, help="save the model here at each evaluation")
    ap.add_argument("--log-every", type=int, default=500)
    ap.add_argument("--phase1-from", type=pathlib.Path, default=None,
                    help="skip phase 1: load its checkpoints and record from this folder (made by this script)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    for which in (["full", "retrained"] if args.which == "both" else [args.which]):
        run(which, args.out, args.steps, args.snapshot_dir, args.log_every, args.phase1_from, args.phase2_steps,
            args.phase3_from, args.phase3_steps, args.phase3b_from)



def run_phase3b(which, world, tok3, people, phase3b_from: pathlib.Path, out_dir: pathlib.Path, dev) -> None:
    """Phase 3b only: continue the phase-3 model in ``phase3b_from`` with PHASE3B, evaluate, record."""
    model3, _, tok_loaded = lm.load_lm(str(phase3b_from / f"lm_{which}.pt"), directory=phase3b_from)
    old = json.loads((phase3b_from / "lm_record.json").read_text())["models"][which]
    if tok_loaded.vocab_size != tok3.vocab_size or {k: old.get("phase3_config", {}).get(k) for k in PHASE3} != PHASE3 or old["model_seed"] != MODEL_SEED:
        raise ValueError(f"{phase3b_from}: not a phase-3 checkpoint of this script's settings")
    tcfg = lm.LMTrainConfig(**PHASE3B)
    print(f"[{which}] phase 3b from {phase3b_from}: {tcfg}", flush=True)
    model, log = lm.train_lm(world, people, model3.config, tcfg, init_model=model3)
    print(f"[{which}] phase 3b trained in {log['seconds']:.0f} s", flush=True)
    t0 = time.perf_counter()
    acc = evaluate(model, world, tok3, full=True)
    beh = behaviour(model, world, tok3)
    eval_seconds = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"lm_{which}.pt"
    lm.save_lm(model, path)
    phase3 = {"training_seconds": old["phase3_training_seconds"], "accuracy": old["accuracy"],
              **{k: old[k] for k in ("icul_k3_forget", "icul_k3_retain", "fresh_name_reading", "answers_unknown")},
              "final_loss_mean_last_100": old["final_loss_mean_last_100"], "eval_seconds": old["eval_seconds"],
              "finished_utc": old["finished_utc"]}
    entry = {**old,
             "phase3": phase3,
             "phase3b_config": dict(tcfg.__dict__),
             "training_seconds": round(old["training_seconds"] + log["seconds"], 1),
             "phase3b_training_seconds": round(log["seconds"], 1),
             "eval_seconds": round(eval_seconds, 1),
             "target_tokens_seen": old["target_tokens_seen"] + log["tokens"],
             "final_loss_mean_last_100": sum(log["losses"][-100:]) / max(1, len(log["losses"][-100:])),
             "loss_every_50_steps": old["loss_every_50_steps"] + [round(x, 4) for x in log["losses"][::50]],
             "device": str(dev), "torch_threads": torch.get_num_threads(),
             "file": path.name, "file_bytes": path.stat().st_size,
             "accuracy": acc, **beh,
             "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    merge_record(out_dir / "lm_record.json", which, entry, common_fields())
    print(f"[{which}] phase 3b done in {log['seconds']:.0f} s (+{eval_seconds:.0f} s evaluation); wrote {path}", flush=True)
    print(json.dumps(beh), flush=True)
    print(json.dumps(acc["closed_book"], indent=None), flush=True)


if __name__ == "__main__":
    main()
