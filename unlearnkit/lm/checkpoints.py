"""Saving a GPT and loading the shipped checkpoints of lecture 07.

Introduced in lecture 07 (the checkpoints are made by ``scripts/train_lm.py``).
"""
from __future__ import annotations

import json
import pathlib
from dataclasses import asdict

import torch

from ..models.gpt import GPT, GPTConfig
from .tokenizer import Tokenizer
from .world import make_world

__all__ = ["CHECKPOINT_DIR", "save_lm", "load_lm"]

#: Where the shipped checkpoints live (``lm_full.pt``, ``lm_retrained.pt``, ``lm_record.json``).
CHECKPOINT_DIR = pathlib.Path(__file__).resolve().parent.parent / "checkpoints"


def save_lm(model: GPT, path) -> None:
    """Save a :class:`GPT` as tensors and plain values only: ``{"config": dict, "state_dict": ...}``
    (loadable with ``torch.load(path, weights_only=True)``). The tied embedding is stored once.

    Introduced in lecture 07.
    """
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k != "head.weight"}
    torch.save({"config": asdict(model.config), "state_dict": state}, str(path))


def load_lm(name: str = "full", directory=None):
    """Load a shipped checkpoint: ``name`` is ``"full"`` (trained on every person) or ``"retrained"``
    (the exact-unlearning reference: the same recipe without the forget people's documents), or a
    path to a file written by :func:`save_lm`.

    Returns:
        ``(model, world, tokenizer)``: the :class:`GPT` in eval mode on the CPU, and the world and
        tokenizer it was trained with (rebuilt from the seed in ``lm_record.json``).

    Raises:
        FileNotFoundError: the checkpoint or the record is missing.

    Introduced in lecture 06 (lecture 07 presents the two models in detail).
    """
    directory = CHECKPOINT_DIR if directory is None else pathlib.Path(directory)
    path = pathlib.Path(name) if str(name).endswith(".pt") else directory / f"lm_{name}.pt"
    record_path = directory / "lm_record.json"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; run scripts/train_lm.py to build it")
    if not record_path.exists():
        raise FileNotFoundError(f"no record at {record_path}; run scripts/train_lm.py to build it")
    record = json.loads(record_path.read_text())
    blob = torch.load(str(path), map_location="cpu", weights_only=True)
    model = GPT(GPTConfig(**blob["config"]))
    state = dict(blob["state_dict"])
    state["head.weight"] = state["tok_emb.weight"]
    model.load_state_dict(state)
    model.eval()
    w = record["world"]
    world = make_world(n_people=w["n_people"], n_forget=w["n_forget"], seed=w["seed"])
    # A model saved before the world's extension has the base vocabulary (the same ids, fewer words).
    extended = model.config.vocab_size != Tokenizer.for_world(world, extended=False).vocab_size
    return model, world, Tokenizer.for_world(world, extended=extended)
