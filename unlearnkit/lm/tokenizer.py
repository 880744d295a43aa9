"""A word-level tokenizer over exactly the words of a fictitious world.

Introduced in lecture 07.
"""
from __future__ import annotations

import torch

__all__ = ["PAD", "BOS", "Tokenizer"]

#: The padding token (id 0) and the beginning-of-sequence token (id 1).
PAD, BOS = "<pad>", "<bos>"


class Tokenizer:
    """A word-level tokenizer: one token per space-separated word, plus ``<pad>`` (id 0) and ``<bos>`` (id 1).

    Args:
        words: the vocabulary (e.g. ``world.words``), without the special tokens; duplicates raise.

    ``encode(text)`` splits on whitespace and raises ``KeyError`` naming any unknown word;
    ``decode(ids)`` joins words with single spaces and drops ``<pad>``; ``decode(encode(t))`` gives
    back ``" ".join(t.split())``.

    Introduced in lecture 07.
    """

    def __init__(self, words):
        words = list(words)
        if len(set(words)) != len(words):
            raise ValueError("words must not contain duplicates")
        if PAD in words or BOS in words:
            raise ValueError("words must not contain the special tokens <pad> and <bos>")
        self.itos = [PAD, BOS] + words
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.pad_id, self.bos_id = 0, 1

    @classmethod
    def for_world(cls, world) -> "Tokenizer":
        """The tokenizer of a world's texts (its vocabulary is ``world.words``)."""
        return cls(world.words)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def vocab_size(self) -> int:
        """Number of tokens, special tokens included."""
        return len(self.itos)

    def encode(self, text: str, bos: bool = False) -> list:
        """Token ids of ``text`` (a list of int), with ``<bos>`` first if ``bos``.

        Raises:
            TypeError: ``text`` is not a str. KeyError: a word is not in the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        ids = [self.bos_id] if bos else []
        for w in text.split():
            if w not in self.stoi:
                raise KeyError(f"word {w!r} is not in the tokenizer's vocabulary")
            ids.append(self.stoi[w])
        return ids

    def decode(self, ids) -> str:
        """Text of token ids (a list or 1-D tensor); ``<pad>`` is dropped, ``<bos>`` kept as a word."""
        ids = ids.tolist() if torch.is_tensor(ids) else list(ids)
        return " ".join(self.itos[int(i)] for i in ids if int(i) != self.pad_id)
