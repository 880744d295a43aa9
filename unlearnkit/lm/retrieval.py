"""Inference-time retrieval: facts kept outside the weights, so that deleting them is exact (lecture 08).

Min, Gururangan, Wallace, Shi, Hajishirzi, Smith & Zettlemoyer ("SILO Language Models: Isolating
Legal Risk in a Nonparametric Datastore", arXiv:2308.04430, 2023; ICLR 2024) train a
language model on low-risk data only and put everything else into a datastore consulted at
inference time; removing a document from the datastore removes its influence at once, with no
retraining. They compare two ways of reading the store: retrieval-in-context (the retrieved text put
in the prompt, what our model learned to use in lecture 07) and a kNN-LM (Khandelwal, Levy,
Jurafsky, Zettlemoyer & Lewis, "Generalization through Memorization: Nearest Neighbor Language
Models", ICLR 2020): ``p(y | x) = lambda * p_kNN(y | x) + (1 - lambda) * p_LM(y | x)``,
with ``p_kNN`` a softmax over negative squared distances between the context's hidden state and
stored hidden states, summed per stored next token.

* :class:`FactStore`: fact sentences keyed by id, each with its subject (a person's name) and, once
  an embedding model is attached, an embedding computed from that sentence alone. ``delete(ids)``
  removes entries; the store is then equal, entry by entry and bit by bit, to one built without
  them (:meth:`FactStore.same_as`).
* :func:`embed_texts`: a text's embedding, the mean over its tokens of the model's hidden state at
  a chosen layer (default 0, the token plus position embedding, which retrieves best on our model),
  one text per forward pass, so no text's embedding depends on another's.
* :class:`ExactRetriever` (the facts of every subject named in the query) and
  :class:`EmbeddingRetriever` (the ``k`` facts of highest cosine similarity to the query's
  embedding; ties go to the earlier entry).
* :class:`RetrievalQA`: a reader model answers a question with the retrieved facts put before it,
  scored like every question of the course (:func:`~unlearnkit.lm.score_candidates`).
* :func:`knn_lm_probs`: the kNN-LM mixture over a datastore of (hidden state, next token) pairs.

Where ours differs. SILO keeps the training split of each evaluation domain in its datastores,
reads them with a kNN-LM over per-token hidden states (FAISS IVF-PQ index, kernelmachine/silo-lm
``scripts/index.py``) or in context with BM25-retrieved text blocks (pyserini), and finds the kNN-LM
the stronger of the two; ours holds a few hundred sentences, one per fact, searched exhaustively,
and reads them in context only (the lecture does not run the kNN-LM). Khandelwal et al. key the
store by the input of the last layer's feed-forward block after its layer norm
(``last_ffn_input``) and take ``k = 1024`` neighbours among the 103M keys of Wikitext-103, with
``lambda = 0.25``, distances recomputed exactly (squared L2) on the FAISS candidates
(urvashik/knnlm: README evaluation command ``--k 1024 --lmbda 0.25 --knn-keytype last_ffn_input``;
``fairseq/knnlm.py``; the interpolation in ``fairseq/sequence_scorer.py``). SILO's code keys by the
last hidden state (after the final layer norm), scores with the negative, not squared, L2 distance
divided by a temperature, and picks ``k`` (128 to 4096), the temperature and ``lambda`` (0 to 0.7)
on validation data. Our default ``k`` is small, ``lambda`` and the temperature are parameters
(temperature 1 is Khandelwal et al.'s form), and the keys are whatever hidden states the caller
stores (:func:`hidden_states` gives the input of a block or the last hidden state, not the
feed-forward input).

Introduced in lecture 08 (retrieval as the alternative to unlearning the weights).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .._common import check_instance, check_int, check_number, model_device
from ..models.gpt import GPT
from .evaluation import score_candidates
from .tokenizer import Tokenizer
from .world import ATTRIBUTES, World, check_person, statement_text

__all__ = ["Fact", "FactStore", "embed_texts", "hidden_states", "ExactRetriever", "EmbeddingRetriever", "RetrievalQA",
           "knn_lm_probs"]


@dataclass(frozen=True)
class Fact:
    """One datastore entry: ``id`` (str), ``subject`` (the name it is about), ``text`` (a sentence).

    Introduced in lecture 08.
    """

    id: str
    subject: str
    text: str


@torch.no_grad()
def hidden_states(model: GPT, ids, layer: int | None = None) -> torch.Tensor:
    """The hidden state of every position of one token sequence: float32 ``(len(ids), n_embd)`` on the CPU.

    ``layer`` 0 is the input of the first block (token plus position embedding), ``layer`` i the
    output of block i, and None (or ``n_layer``) the last hidden state after the final layer norm,
    the one the output layer reads.

    Raises:
        ValueError: empty, or longer than ``block_size``; ``layer`` out of [0, n_layer].

    Introduced in lecture 08.
    """
    check_instance(model, GPT, "model", "an unlearnkit GPT")
    n_layer = len(model.blocks)
    layer = n_layer if layer is None else check_int(layer, "layer", 0, n_layer)
    ids = [int(i) for i in ids]
    if not ids or len(ids) > model.config.block_size:
        raise ValueError(f"ids must hold 1 to {model.config.block_size} tokens, got {len(ids)}")
    was_training = model.training
    model.eval()
    idx = torch.tensor([ids], device=model_device(model))
    x = model.tok_emb(idx) + model.pos_emb(torch.arange(len(ids), device=idx.device))
    for block in model.blocks[:layer]:
        x = block(x)
    out = (model.ln_f(x) if layer == n_layer else x)[0].float().cpu()
    model.train(was_training)
    return out


def embed_texts(model: GPT, tokenizer: Tokenizer, texts, layer: int = 0) -> torch.Tensor:
    """Embeddings ``(len(texts), n_embd)``: the mean of :func:`hidden_states` at ``layer`` over each
    text's tokens (``<bos>`` first, not averaged). One forward pass per text, so an embedding depends
    on its text only.

    The default ``layer=0`` (token plus position embeddings) is a choice measured on the shipped
    retrained model: a city question found its own person's city statement among the 200 for 17 of
    the 20 forget people at layer 0, and for 5, 2 and 0 of them after blocks 1, 2 and 3 (mean
    pooling of deep states of this tiny model keeps what a sentence asks, not whom it names).

    Raises:
        TypeError: ``texts`` is a single str.  ValueError: an empty text.  KeyError: an unknown word.

    Introduced in lecture 08.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a list of str, got a single str")
    texts = list(texts)
    rows = []
    for t in texts:
        ids = tokenizer.encode(t, bos=True)
        if len(ids) < 2:
            raise ValueError("every text must hold at least one word")
        rows.append(hidden_states(model, ids, layer)[1:].mean(0))
    return torch.stack(rows) if rows else torch.empty(0, model.config.n_embd)


class FactStore:
    """A datastore of fact sentences keyed by id, in insertion order.

    Args:
        facts: an iterable of :class:`Fact` (ids distinct; may be empty).
        embedder: optional ``(model, tokenizer)`` or ``(model, tokenizer, layer)``: each entry then also
            gets :func:`embed_texts` of its sentence (at ``layer``, default 0), computed once, from that
            sentence alone.

    ``delete(ids)`` removes entries (all ids must exist; nothing changes otherwise) and returns the
    removed facts. Because every entry's embedding depends on its own sentence only and the order is
    the insertion order, a store after ``delete`` equals, bitwise, a store built from the remaining
    facts (:meth:`same_as` checks it).

    Raises:
        TypeError: a non-:class:`Fact` entry.  ValueError: repeated ids.

    Introduced in lecture 08.
    """

    def __init__(self, facts=(), embedder=None):
        facts = list(facts)
        for f in facts:
            check_instance(f, Fact, "each fact", "an unlearnkit.lm.Fact")
        ids = [f.id for f in facts]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"fact ids must be distinct, repeated: {dup[:5]}")
        if embedder is not None:
            if not (isinstance(embedder, tuple) and len(embedder) in (2, 3)):
                raise TypeError("embedder must be None or a (model, tokenizer) or (model, tokenizer, layer) tuple")
            check_instance(embedder[0], GPT, "embedder[0]", "an unlearnkit GPT")
            check_instance(embedder[1], Tokenizer, "embedder[1]", "an unlearnkit lm Tokenizer")
            embedder = (embedder[0], embedder[1], check_int(embedder[2] if len(embedder) == 3 else 0, "embedder's layer",
                                                            0, len(embedder[0].blocks)))
        self.embedder = embedder
        self._facts = {f.id: f for f in facts}
        self._emb = {}
        if embedder is not None and facts:
            emb = embed_texts(*embedder[:2], [f.text for f in facts], layer=embedder[2])
            self._emb = {f.id: e for f, e in zip(facts, emb)}

    @classmethod
    def from_world(cls, world: World, people, relations=ATTRIBUTES, template: int = 0, embedder=None):
        """One fact per (person, relation): the statement :func:`~unlearnkit.lm.statement_text`,
        id ``"<person index>/<relation>"``, subject the person's name; people in the given order.

        Raises:
            ValueError: an unknown relation (``country`` has no statement) or a bad person index.
        """
        people = [check_person(world, p) for p in people]
        relations = list(relations)
        for r in relations:
            if r not in ATTRIBUTES:
                raise ValueError(f"relations must be among {ATTRIBUTES}, got {r!r}")
        return cls([Fact(f"{p}/{r}", world.people[p].name, statement_text(world, p, r, template))
                    for p in people for r in relations], embedder=embedder)

    def __len__(self):
        return len(self._facts)

    def __contains__(self, fact_id):
        return fact_id in self._facts

    @property
    def ids(self) -> list:
        return list(self._facts)

    @property
    def facts(self) -> list:
        return list(self._facts.values())

    def embeddings(self) -> torch.Tensor:
        """The entries' embeddings in order, ``(len(self), n_embd)``.

        Raises:
            ValueError: the store has no embedder."""
        if self.embedder is None:
            raise ValueError("this FactStore was built without an embedder; pass embedder=(model, tokenizer)")
        if not self._facts:
            return torch.empty(0, self.embedder[0].config.n_embd)
        return torch.stack([self._emb[i] for i in self._facts])

    def delete(self, ids) -> list:
        """Remove the facts with these ids; return them (in store order).

        Raises:
            TypeError: ``ids`` is a single str.  KeyError: an id not in the store (nothing is removed).
        """
        if isinstance(ids, str):
            raise TypeError("ids must be a list of fact ids, got a single str (wrap it in a list)")
        ids = list(ids)
        missing = [i for i in ids if i not in self._facts]
        if missing:
            raise KeyError(f"ids not in the store (nothing was deleted): {missing[:5]}")
        gone = set(ids)
        removed = [f for i, f in self._facts.items() if i in gone]
        self._facts = {i: f for i, f in self._facts.items() if i not in gone}
        self._emb = {i: e for i, e in self._emb.items() if i not in gone}
        return removed

    def same_as(self, other: "FactStore") -> bool:
        """True when both stores hold the same facts in the same order and bitwise equal embeddings."""
        check_instance(other, FactStore, "other", "a FactStore")
        if self.facts != other.facts or (self.embedder is None) != (other.embedder is None):
            return False
        return self.embedder is None or all(torch.equal(self._emb[i], other._emb[i]) for i in self._facts)


class ExactRetriever:
    """Retrieve by entity: every fact whose subject is named in the query (whole words), in store order.

    ``retrieve(store, query)`` returns a list of :class:`Fact` (empty when no subject is named or the
    store is empty); ``relation`` restricts to ids ending in ``"/<relation>"``.

    Introduced in lecture 08.
    """

    def retrieve(self, store: FactStore, query: str, relation: str | None = None) -> list:
        check_instance(store, FactStore, "store", "a FactStore")
        if not isinstance(query, str):
            raise TypeError(f"query must be a str, got {type(query).__name__}")
        words = query.split()
        out = []
        for f in store.facts:
            s = f.subject.split()
            if any(words[i:i + len(s)] == s for i in range(len(words) - len(s) + 1)):
                if relation is None or f.id.endswith(f"/{relation}"):
                    out.append(f)
        return out


class EmbeddingRetriever:
    """Retrieve by similarity: the ``k`` facts whose embeddings have the highest cosine similarity to
    the query's (:func:`embed_texts` with the store's embedder). Ties go to the earlier entry.

    Raises (construction):
        TypeError/ValueError: ``k`` not an integer >= 1.

    Introduced in lecture 08.
    """

    def __init__(self, k: int = 1):
        self.k = check_int(k, "k", 1)

    def retrieve(self, store: FactStore, query: str, relation: str | None = None) -> list:
        check_instance(store, FactStore, "store", "a FactStore")
        if not isinstance(query, str):
            raise TypeError(f"query must be a str, got {type(query).__name__}")
        facts = [f for f in store.facts if relation is None or f.id.endswith(f"/{relation}")]
        if not facts:
            return []
        if store.embedder is None:
            raise ValueError("EmbeddingRetriever needs a FactStore built with embedder=(model, tokenizer)")
        model, tok, layer = store.embedder
        q = embed_texts(model, tok, [query], layer=layer)[0]
        keys = torch.stack([store._emb[f.id] for f in facts])
        sim = torch.nn.functional.cosine_similarity(keys, q[None], dim=1)
        order = sorted(range(len(facts)), key=lambda i: (-float(sim[i]), i))
        return [facts[i] for i in order[:self.k]]


class RetrievalQA:
    """A reader model that answers with retrieved facts in its context.

    ``prompts(questions)`` puts the retrieved sentences (joined by spaces, store order or similarity
    order) before each question; ``answer(questions, candidates)`` returns the best candidate for each.

    Args:
        reader: a :class:`~unlearnkit.lm.GPT` (in the lecture, the retrained model: it holds no forget
            fact in its weights, so the store is the only source of them).
        tokenizer: its tokenizer.  store: a :class:`FactStore`.
        retriever: an :class:`ExactRetriever` or :class:`EmbeddingRetriever`.
        relation: None, or restrict retrieval to that relation's facts (``"city"`` also for ``country``).

    Introduced in lecture 08.
    """

    def __init__(self, reader: GPT, tokenizer: Tokenizer, store: FactStore, retriever=None, relation=None):
        check_instance(reader, GPT, "reader", "an unlearnkit GPT")
        check_instance(tokenizer, Tokenizer, "tokenizer", "an unlearnkit lm Tokenizer")
        check_instance(store, FactStore, "store", "a FactStore")
        retriever = ExactRetriever() if retriever is None else retriever
        check_instance(retriever, (ExactRetriever, EmbeddingRetriever), "retriever")
        self.reader, self.tokenizer, self.store, self.retriever, self.relation = reader, tokenizer, store, retriever, relation

    def context(self, question: str) -> str:
        return " ".join(f.text for f in self.retriever.retrieve(self.store, question, self.relation))

    def prompts(self, questions) -> list:
        if isinstance(questions, str):
            raise TypeError("questions must be a list of str, got a single str")
        return [f"{self.context(q)} {q}".strip() for q in questions]

    def scores(self, questions, candidates) -> torch.Tensor:
        """Log-likelihood of each candidate after each retrieval prompt, ``(n_questions, n_candidates)``."""
        return score_candidates(self.reader, self.tokenizer, self.prompts(questions), candidates)

    def answer(self, questions, candidates) -> list:
        candidates = list(candidates)
        return [candidates[i] for i in self.scores(questions, candidates).argmax(1).tolist()]


def knn_lm_probs(p_lm: torch.Tensor, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, *, k: int = 8,
                 lam: float = 0.25, temperature: float = 1.0) -> torch.Tensor:
    """The kNN-LM next-token distribution (Khandelwal et al. 2020): ``lam * p_kNN + (1 - lam) * p_LM``.

    ``p_kNN(y) = sum over the k nearest keys with value y of softmax(-||query - key||^2 / temperature)``
    (squared L2 distance, as the paper and its reference code, urvashik/knnlm, which recomputes the
    exact distances of the k FAISS candidates in ``fairseq/knnlm.py``; the paper has no temperature,
    i.e. temperature 1; SILO's code divides the negative, not squared, L2 distance by a tuned
    temperature). The paper's Wikitext-103 settings are ``k = 1024`` and ``lam = 0.25``; ours
    (8, 0.25) suit a store of a few hundred keys. Deleting a (key, value) pair removes it from every
    later ``p_kNN`` exactly, but only when the model that made the keys and ``p_LM`` never trained on
    the deleted text.
    An empty datastore gives ``p_LM`` (nothing to retrieve).

    Args:
        p_lm: ``(vocab,)`` probabilities of the model.  query: ``(d,)`` the context's hidden state.
        keys: ``(n, d)`` stored hidden states.  values: ``(n,)`` int64 next tokens.
        k: neighbours (>= 1; fewer if the store is smaller).  lam: mixture weight in [0, 1].
        temperature: > 0.

    Returns:
        ``(vocab,)`` float32 probabilities (sum 1).

    Raises:
        ValueError: shapes disagree, a value outside the vocabulary, bad ``k``, ``lam`` or ``temperature``.

    Introduced in lecture 08.
    """
    k = check_int(k, "k", 1)
    lam = check_number(lam, "lam", 0, 1)
    temperature = check_number(temperature, "temperature", 0, open_min=True)
    if p_lm.dim() != 1 or query.dim() != 1 or keys.dim() != 2 or values.dim() != 1:
        raise ValueError("p_lm, query, values must be 1-D and keys 2-D")
    if keys.shape[0] != values.shape[0] or (keys.shape[0] and keys.shape[1] != query.shape[0]):
        raise ValueError(f"keys {tuple(keys.shape)}, values {tuple(values.shape)} and query {tuple(query.shape)} disagree")
    if keys.shape[0] == 0:
        return p_lm.float().clone()
    if int(values.min()) < 0 or int(values.max()) >= p_lm.shape[0]:
        raise ValueError(f"values must be token ids in [0, {p_lm.shape[0]})")
    d = ((keys.float() - query.float()[None]) ** 2).sum(1)
    kk = min(k, d.shape[0])
    near = torch.topk(-d, kk).indices
    w = torch.softmax(-d[near] / temperature, 0)
    p_knn = torch.zeros_like(p_lm, dtype=torch.float32).index_add_(0, values[near].long(), w)
    return lam * p_knn + (1 - lam) * p_lm.float()
