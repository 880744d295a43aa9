"""A small causal transformer in the style of nanoGPT (Karpathy), in one file: the course's LLM.

:class:`GPTConfig` fixes the shape; :class:`GPT` has token and position embeddings, pre-norm blocks
of causal self-attention and an MLP, and an output layer tied to the token embedding. No dropout, so
training and evaluation are deterministic; the initial weights come from a seed. Trained on a
fictitious world by :func:`unlearnkit.lm.train_lm`.

Source: the model follows Karpathy's nanoGPT (github.com/karpathy/nanoGPT, ``model.py``: GPT-2
style pre-norm blocks, weight tying, normal(0, 0.02) initialisation with residual projections scaled
by ``1/sqrt(2 n_layer)``); ours has no dropout, no flash/non-flash switch and no optimiser helpers,
and uses ``torch.nn.functional.scaled_dot_product_attention`` with ``is_causal=True``.

Introduced in lecture 07.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .._common import check_int
from .._seeding import torch_seeded

__all__ = ["GPTConfig", "GPT"]


@dataclass(frozen=True)
class GPTConfig:
    """Shape of the :class:`GPT`.

    Attributes:
        vocab_size: number of tokens.
        block_size: longest sequence (context length, in tokens).
        n_layer, n_head, n_embd: depth, attention heads, width (``n_embd % n_head == 0``).

    Introduced in lecture 07.
    """

    vocab_size: int
    block_size: int = 64
    n_layer: int = 3
    n_head: int = 4
    n_embd: int = 128

    def __post_init__(self):
        for k in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            check_int(getattr(self, k), k, 1)
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")


class _Attention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # token t sees tokens <= t only
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class _Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd)
        self.attn = _Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = nn.Sequential(nn.Linear(cfg.n_embd, 4 * cfg.n_embd), nn.GELU(), nn.Linear(4 * cfg.n_embd, cfg.n_embd))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """A small causal transformer (nanoGPT style): ``forward(idx (B, T) int64) -> logits (B, T, vocab) float32``.

    The logits at position t depend only on tokens 0..t (causal attention), so a sequence padded on
    the right scores its real tokens exactly as without padding. Weights are initialised from
    ``seed`` (normal, std 0.02; residual projections scaled by 1/sqrt(2 n_layer)) without touching
    the caller's RNG. No dropout: training and evaluation are deterministic.

    Raises (forward):
        ValueError: ``idx`` is not a 2-D integer tensor or is longer than ``block_size``.

    Introduced in lecture 07.
    """

    def __init__(self, config: GPTConfig, seed: int = 0):
        super().__init__()
        self.config = config
        with torch_seeded(seed):
            self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
            self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
            self.blocks = nn.ModuleList(_Block(config) for _ in range(config.n_layer))
            self.ln_f = nn.LayerNorm(config.n_embd)
            self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.head.weight = self.tok_emb.weight  # tied input and output embeddings
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    std = 0.02 / math.sqrt(2 * config.n_layer) if name.endswith("proj.weight") or name.endswith("mlp.2.weight") else 0.02
                    nn.init.normal_(p, 0.0, std)
                elif name.endswith("bias"):
                    nn.init.zeros_(p)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(idx) or idx.dim() != 2 or idx.dtype not in (torch.int64, torch.int32):
            raise ValueError("idx must be a 2-D integer tensor (batch, time)")
        t = idx.shape[1]
        if t > self.config.block_size:
            raise ValueError(f"sequence length {t} exceeds block_size {self.config.block_size}")
        pos = torch.arange(t, device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    def num_parameters(self) -> int:
        """Number of distinct parameters (the tied embedding counted once)."""
        return sum(p.numel() for p in self.parameters())
