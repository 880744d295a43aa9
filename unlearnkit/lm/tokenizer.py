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
    def for_world(cls, world, extended: bool = True) -> "Tokenizer":
        """The tokenizer of a world's texts: its vocabulary is ``world.words`` (the base words, then
        the extension's words appended), or ``world.base_words`` with ``extended=False`` (the
        vocabulary of a model trained before the extension; the shared words keep their ids)."""
        return cls(world.words if extended else world.base_words)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def vocab_size(self) -> int:
        """Number of tokens, special tokens included."""
        return len(self.itos)

    def encode(self, text: str, bos: bool = False) -> list:
        """Token ids of ``text`` (a list of int), with ``<bos>`` first if ``bos``.

        Raises:
            TypeError: ``text`` is not a str. KeyError: a word is not in the vocabulary (the message
                suggests a fix for a capital or attached punctuation and lists every word).
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        ids = [self.bos_id] if bos else []
        for w in text.split():
            if w not in self.stoi:
                raise KeyError(self._unknown_word(w))
            ids.append(self.stoi[w])
        return ids

    def _unknown_word(self, w: str) -> str:
        """The message for an unknown word: a likely fix, the text format, and the whole vocabulary."""
        hint = ""
        bare = w.strip("?.,!;:")
        if w.lower() in self.stoi:
            hint = f" (did you mean {w.lower()!r}?)"
        elif bare != w and bare.lower() in self.stoi:
            spaced = " ".join(w.replace(bare, f" {bare.lower()} ").split())
            hint = f" (write punctuation as a word of its own: {spaced!r})"
        words = sorted(self.itos[2:])
        marks = [m for m in "?.,!;:" if m in self.stoi]
        form = ("lower-case " if all(v == v.lower() for v in words) else "") + "words separated by spaces"
        form += f", with {' and '.join(map(repr, marks))} as words of their own" if marks else ""
        return (f"word {w!r} is not in the tokenizer's vocabulary{hint}. Text is {form}; "
                f"the {len(words)} words are: {' '.join(words)}")

    def decode(self, ids) -> str:
        """Text of token ids (a list or 1-D tensor); ``<pad>`` is dropped, ``<bos>`` kept as a word."""
        ids = ids.tolist() if torch.is_tensor(ids) else list(ids)
        return " ".join(self.itos[int(i)] for i in ids if int(i) != self.pad_id)
