"""A tiny language model of a fictitious world: the course's stand-in for an LLM.

Nothing may be downloaded in this course, so it brings its own small world and its own small GPT:

- :func:`make_world` invents a few hundred people (two-word names built from invented first and
  last names), each with a home city, a profession, a pet, the pet's colour and a friend, and a
  fixed piece of world knowledge: which country each city lies in. Like TOFU (Maini et al. 2024) in
  miniature, every fact can be written as a statement or asked as a question, each in several
  templates, so paraphrases exist. No real people.
- :class:`Tokenizer` is a word-level tokenizer over exactly that world's words.
- :class:`GPT` is a small causal transformer in the style of nanoGPT (Karpathy), configured by
  :class:`GPTConfig`: token and position embeddings, pre-norm blocks of causal self-attention and an
  MLP, a tied output layer.
- :func:`train_lm` teaches it two things at once: the facts about the training people
  (closed-book), and reading from its context: some training sequences state facts about a new,
  unseen name and then ask about them, so the model learns to answer from its prompt and to compose
  a stated fact with world knowledge it holds (city stated, country asked). With ``p_update > 0``
  some sequences also restate a known person's fact with a new value, so that the context wins over
  memory when they disagree (the shipped checkpoints get this in a second training phase).
- :func:`sequence_log_likelihood`, :func:`score_candidates` and :func:`qa_accuracy` score answers
  by log-likelihood; the log-likelihood of a sequence depends neither on padding nor on what else is
  in the batch. :func:`generate` continues a prompt.
- :func:`icul_prompt` builds an in-context unlearning prompt (Pawelczyk, Neel & Lakkaraju, ICML
  2024): the forget example with a flipped answer, a few correctly answered examples, then the query.
- :func:`load_lm` loads the two shipped checkpoints (made by ``scripts/train_lm.py``): the model
  trained on every person, and the exact-unlearning reference retrained without the forget people.

Text is lower case, words separated by single spaces; "." ends every document.

Introduced in lecture 07 (in-context unlearning and UnUnlearning).
"""
from __future__ import annotations

import json
import math
import numbers
import pathlib
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._seeding import check_int, check_seed, derive_seed, torch_seeded
from ._seeding import device as _device

__all__ = [
    "RELATIONS", "ATTRIBUTES", "STATEMENTS", "QUESTIONS",
    "Person", "World", "make_world",
    "Tokenizer",
    "GPTConfig", "GPT",
    "LMTrainConfig", "training_batch", "train_lm",
    "sequence_log_likelihood", "score_candidates", "qa_accuracy", "icul_accuracy", "generate",
    "qa_text", "statement_text", "question_text", "icul_prompt",
    "save_lm", "load_lm", "CHECKPOINT_DIR",
]

# --------------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------------

_FIRST = ("alden", "brisa", "corvin", "dalia", "emrys", "fenna", "galen", "hesper", "idris", "jorun",
          "kestra", "lorcan", "maelis", "noor", "orrin", "pella", "quill", "rhosyn", "soren", "tamsin",
          "ulric", "vanya", "wren", "yselle")
_LAST = ("ashgrove", "bellweather", "coldmere", "dunhollow", "everly", "fairwind", "greystone",
         "hollins", "ironwood", "juniper", "kettleby", "larkspur", "merrow", "northam", "oakhart",
         "pennick", "quarrel", "rookwood", "silverton", "thistle", "umber", "vantor", "whitlock",
         "yarrow")
#: Invented cities, grouped by the invented country they lie in (the world knowledge).
_COUNTRIES = {
    "veloria": ("amberly", "brightwater", "cindermoor"),
    "norrland": ("duskhaven", "elmsford", "frostwick"),
    "caldera": ("glimmerton", "harrowgate", "ivybridge"),
    "sunmark": ("jadeport", "kingsreach", "lowmarsh"),
}
_JOBS = ("baker", "carpenter", "chemist", "doctor", "farmer", "librarian", "painter", "pilot",
         "sailor", "teacher")
_PETS = ("cat", "dog", "parrot", "rabbit", "tortoise", "hamster")
_COLOURS = ("black", "white", "brown", "grey", "golden", "spotted")

#: The attributes each person has (each a single word except ``friend``, a two-word name).
ATTRIBUTES = ("city", "job", "pet", "colour", "friend")
#: Everything that can be asked about a person: the attributes and the composed ``country``
#: (the country of the person's city: the person's city composed with world knowledge).
RELATIONS = ATTRIBUTES + ("country",)

#: Statement templates, ``{n}`` the person's name and ``{v}`` the value; ``"world"`` states a city's
#: country (``{n}`` the city, ``{v}`` the country). Every template ends with ``" ."``.
STATEMENTS = {
    "city": ("{n} lives in {v} .", "{n} has a home in {v} .", "the home city of {n} is {v} ."),
    "job": ("{n} works as a {v} .", "{n} earns a living as a {v} .", "the job of {n} is {v} ."),
    "pet": ("{n} keeps a {v} .", "{n} has a pet {v} ."),
    "colour": ("the pet of {n} is {v} .", "{n} owns a {v} pet ."),
    "friend": ("{n} is a friend of {v} .", "the best friend of {n} is {v} ."),
    "world": ("{n} is a city in {v} .", "{n} lies in {v} ."),
}
#: Question templates (the answer follows the ``?``, then ``" ."``); template 0 is the short one
#: used in in-context prompts, the others are paraphrases. ``"world"`` asks a city's country.
QUESTIONS = {
    "city": ("where does {n} live ?", "in which city does {n} live ?", "what is the home city of {n} ?"),
    "job": ("what does {n} do for a living ?", "what is the job of {n} ?", "which job does {n} have ?"),
    "pet": ("what pet does {n} keep ?", "which animal does {n} own ?"),
    "colour": ("what colour is the pet of {n} ?", "which colour is the pet that {n} owns ?"),
    "friend": ("who is the friend of {n} ?", "who is the best friend of {n} ?"),
    "country": ("which country does {n} live in ?", "in which country is the home of {n} ?"),
    "world": ("which country is {n} in ?", "in which country is {n} ?"),
}

PAD, BOS = "<pad>", "<bos>"


@dataclass(frozen=True)
class Person:
    """One invented person: ``name`` (two words, e.g. ``"wren oakhart"``) and attributes (words;
    ``friend`` is another person's name)."""

    name: str
    city: str
    job: str
    pet: str
    colour: str
    friend: str


@dataclass(frozen=True)
class World:
    """A seeded fictitious world (:func:`make_world`).

    Attributes:
        people: the world's people, a tuple; a person is referred to by its index in it.
        countries: city -> country (the fixed world knowledge), a dict.
        forget: indices of the forget people (the forget set S of lecture 07), sorted tuple.
        retain: indices of the other people (the retain set), sorted tuple.
        fresh_names: two-word names that belong to nobody in the world; training uses them to teach
            reading from the context (a fact about an unseen name, then a question about it).
        seed: the seed it was made from.
    """

    people: tuple
    countries: dict
    forget: tuple
    retain: tuple
    fresh_names: tuple
    seed: int

    def values(self, relation: str) -> tuple:
        """The candidate answers of a relation, in a fixed order (``friend``: every person's name).

        Raises:
            ValueError: unknown ``relation``.
        """
        _check_relation(relation)
        return {"city": tuple(c for cs in _COUNTRIES.values() for c in cs), "job": _JOBS,
                "pet": _PETS, "colour": _COLOURS, "country": tuple(_COUNTRIES),
                "friend": tuple(p.name for p in self.people)}[relation]

    def answer(self, person: int, relation: str) -> str:
        """The true answer for ``person`` (an index) and ``relation`` (``country`` is composed)."""
        p = self.people[_check_person(self, person)]
        _check_relation(relation)
        if relation == "country":
            return self.countries[p.city]
        return getattr(p, relation)

    @property
    def words(self) -> tuple:
        """Every word the world's texts can contain, sorted (the tokenizer's vocabulary, minus
        the special tokens)."""
        words = set(_FIRST) | set(_LAST) | set(_JOBS) | set(_PETS) | set(_COLOURS)
        words |= set(self.countries) | set(self.countries.values())
        for table in (STATEMENTS, QUESTIONS):
            for temps in table.values():
                for t in temps:
                    words |= {w for w in t.split() if w not in ("{n}", "{v}")}
        return tuple(sorted(words))


def _check_relation(relation):
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    return relation


def _check_person(world, person):
    if isinstance(person, (bool, np.bool_)) or not isinstance(person, numbers.Integral):
        raise TypeError(f"person must be an integer index into world.people, got {type(person).__name__}")
    if not 0 <= int(person) < len(world.people):
        raise ValueError(f"person must be in [0, {len(world.people)}), got {person}")
    return int(person)


def _check_count(value, name, low=0):
    return check_int(value, name, low)


def make_world(n_people: int = 200, n_forget: int = 20, seed: int = 0) -> World:
    """Invent a world of ``n_people`` people, ``n_forget`` of whom form the forget set.

    Names are distinct pairs of 24 invented first names and 24 invented last names (576 pairs); the
    pairs nobody has become ``fresh_names``. Attributes are drawn uniformly; a friend is another
    person. Uses ``numpy.random.default_rng(seed)`` only (no global RNG): the same seed always gives
    the same world.

    Args:
        n_people: number of people, 2 <= n_people <= 400 (some pairs must stay fresh).
        n_forget: size of the forget set, 1 <= n_forget < n_people.
        seed: non-negative int.

    Returns:
        :class:`World`.

    Raises:
        ValueError: counts out of range; TypeError/ValueError: a bad seed.

    Introduced in lecture 07.
    """
    seed = check_seed(seed)
    n_people = _check_count(n_people, "n_people", 2)
    n_forget = _check_count(n_forget, "n_forget", 1)
    if n_people > 400:
        raise ValueError(f"n_people must be <= 400 (names must stay left for fresh_names), got {n_people}")
    if n_forget >= n_people:
        raise ValueError(f"n_forget must be < n_people = {n_people}, got {n_forget}")
    rng = np.random.default_rng(seed)
    pairs = [f"{a} {b}" for a in _FIRST for b in _LAST]
    order = rng.permutation(len(pairs))
    names = [pairs[i] for i in order[:n_people]]
    fresh = tuple(sorted(pairs[i] for i in order[n_people:]))
    cities = [c for cs in _COUNTRIES.values() for c in cs]
    people = []
    for i, name in enumerate(names):
        friend = int(rng.integers(n_people - 1))
        friend += friend >= i  # anyone but oneself
        people.append(Person(name=name, city=cities[rng.integers(len(cities))], job=_JOBS[rng.integers(len(_JOBS))],
                             pet=_PETS[rng.integers(len(_PETS))], colour=_COLOURS[rng.integers(len(_COLOURS))],
                             friend=names[friend]))
    forget = tuple(sorted(int(i) for i in rng.choice(n_people, n_forget, replace=False)))
    retain = tuple(i for i in range(n_people) if i not in set(forget))
    countries = {c: k for k, cs in _COUNTRIES.items() for c in cs}
    return World(people=tuple(people), countries=countries, forget=forget, retain=retain,
                 fresh_names=fresh, seed=seed)


# --------------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------------

def _template(table, relation, template):
    temps = table[relation]
    if isinstance(template, bool) or not isinstance(template, numbers.Integral) or not 0 <= template < len(temps):
        raise ValueError(f"template must be an integer in [0, {len(temps)}) for {relation!r}, got {template!r}")
    return temps[template]


def _name_and_value(world, person, relation, value):
    if isinstance(person, str):
        name = person
        if value is None:
            raise ValueError("value is required when person is given as a name (a fresh person)")
    else:
        name = world.people[_check_person(world, person)].name
        value = world.answer(person, relation) if value is None else value
    return name, value


def statement_text(world: World, person, relation: str, template: int = 0, value: str | None = None) -> str:
    """A statement of one fact, e.g. ``"wren oakhart lives in amberly ."``.

    Args:
        person: an index into ``world.people``, or a name (then ``value`` is required).
        relation: one of :data:`ATTRIBUTES` (``country`` has no statement form: state the city).
        template: index into ``STATEMENTS[relation]``.
        value: the value to state (default: the true one); a different value states a false fact.

    Raises:
        ValueError: unknown relation or template; TypeError/ValueError: bad person index.
    """
    if relation not in ATTRIBUTES:
        raise ValueError(f"relation must be one of {ATTRIBUTES} for a statement, got {relation!r}")
    name, value = _name_and_value(world, person, relation, value)
    return _template(STATEMENTS, relation, template).format(n=name, v=value)


def question_text(world: World, person, relation: str, template: int = 0) -> str:
    """The question about one fact, without its answer, e.g. ``"where does wren oakhart live ?"``.

    ``person`` is an index or a name. Raises ValueError for an unknown relation or template.
    """
    _check_relation(relation)
    name = person if isinstance(person, str) else world.people[_check_person(world, person)].name
    return _template(QUESTIONS, relation, template).format(n=name)


def qa_text(world: World, person, relation: str, template: int = 0, value: str | None = None) -> str:
    """A question followed by its answer and ``"."``, e.g. ``"where does wren oakhart live ? amberly ."``.

    ``value`` replaces the true answer (how :func:`icul_prompt` flips a label); it is required when
    ``person`` is a name rather than an index.
    """
    _check_relation(relation)
    name, value = _name_and_value(world, person, relation, value)
    return f"{question_text(world, name, relation, template)} {value} ."


def icul_prompt(world: World, forget_person: int, relation: str, flipped_value: str, examples, query_person: int,
                template: int = 0, query_template: int | None = None) -> str:
    """An in-context unlearning prompt (Pawelczyk, Neel & Lakkaraju, ICML 2024), question-answer form.

    The prompt is: the forget example with a flipped answer, then one correctly answered example per
    person in ``examples``, then the query (a question, no answer)::

        where does F live ? <flipped> . where does R1 live ? <true> . ... where does Q live ?

    Args:
        forget_person: index of the person whose fact is to be "forgotten".
        relation: the relation asked (one of :data:`RELATIONS`).
        flipped_value: the wrong answer shown for the forget person; must differ from the true one.
        examples: indices of people whose true answers are shown (may be empty).
        query_person: index of the person asked about (the forget person to test forgetting, another
            person to test that the rest is kept).
        template: question template of the context examples.
        query_template: question template of the query (default ``template``; another one asks a
            paraphrase).

    Returns:
        str, without ``<bos>`` (the scoring functions add it).

    Raises:
        ValueError: ``flipped_value`` equals the true answer or is not a candidate of the relation,
            the forget person is among ``examples``, or a bad relation/template.

    Introduced in lecture 07.
    """
    _check_relation(relation)
    truth = world.answer(forget_person, relation)
    if flipped_value == truth:
        raise ValueError(f"flipped_value must differ from the true answer {truth!r}")
    if flipped_value not in world.values(relation):
        raise ValueError(f"flipped_value must be one of world.values({relation!r}), got {flipped_value!r}")
    examples = [_check_person(world, e) for e in examples]
    if int(forget_person) in examples:
        raise ValueError("examples must not contain forget_person (its answer is shown flipped)")
    parts = [qa_text(world, forget_person, relation, template, value=flipped_value)]
    parts += [qa_text(world, e, relation, template) for e in examples]
    parts.append(question_text(world, query_person, relation, template if query_template is None else query_template))
    return " ".join(parts)


# --------------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------------

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
    def for_world(cls, world: World) -> "Tokenizer":
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


# --------------------------------------------------------------------------------------------------
# The model (nanoGPT style)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GPTConfig:
    """Shape of the :class:`GPT`.

    Attributes:
        vocab_size: number of tokens.
        block_size: longest sequence (context length, in tokens).
        n_layer, n_head, n_embd: depth, attention heads, width (``n_embd % n_head == 0``).
    """

    vocab_size: int
    block_size: int = 64
    n_layer: int = 3
    n_head: int = 4
    n_embd: int = 128

    def __post_init__(self):
        for k in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            _check_count(getattr(self, k), k, 1)
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


# --------------------------------------------------------------------------------------------------
# Training data and training
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LMTrainConfig:
    """How :func:`train_lm` trains.

    Attributes:
        steps: optimisation steps. batch_size: sequences per step (each ``block_size`` tokens).
        lr: peak AdamW learning rate (linear warm-up over ``warmup`` steps, cosine decay to lr/10).
        weight_decay: AdamW weight decay. grad_clip: max gradient norm.
        p_context: share of sequences that teach reading from the context (a fresh name's facts are
            stated, then asked); the rest are closed-book facts about the training people.
        p_update: share of sequences that open with an *update*: a training person's fact restated
            with a new value, then asked (the answer is the new value), and sometimes another of their
            facts asked (the answer is the remembered one). It teaches what large language models do
            with text in their prompt: the context wins over memory when the two disagree.
        seed: seeds the data stream (each step's batch comes from ``derive_seed(seed, "batch", step)``).
    """

    steps: int = 3000
    batch_size: int = 64
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    p_context: float = 0.5
    p_update: float = 0.0
    seed: int = 0

    def __post_init__(self):
        _check_count(self.steps, "steps", 0)
        _check_count(self.batch_size, "batch_size", 1)
        _check_count(self.warmup, "warmup", 0)
        if not (isinstance(self.lr, numbers.Real) and self.lr > 0):
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if not (isinstance(self.p_context, numbers.Real) and 0 <= self.p_context <= 1):
            raise ValueError(f"p_context must be in [0, 1], got {self.p_context!r}")
        if not (isinstance(self.p_update, numbers.Real) and 0 <= self.p_update <= 1 - self.p_context):
            raise ValueError(f"p_update must be in [0, 1 - p_context], got {self.p_update!r}")
        check_seed(self.seed)


def _closed_book_doc(world, rng, people):
    """One document about a random training person (or a world fact)."""
    if rng.random() < 0.08:
        city = list(world.countries)[rng.integers(len(world.countries))]
        if rng.random() < 0.5:
            return STATEMENTS["world"][int(rng.integers(2))].format(n=city, v=world.countries[city])
        return f"{QUESTIONS['world'][int(rng.integers(2))].format(n=city)} {world.countries[city]} ."
    person = int(people[rng.integers(len(people))])
    relation = RELATIONS[rng.integers(len(RELATIONS))]
    if relation != "country" and rng.random() < 0.4:
        return statement_text(world, person, relation, int(rng.integers(len(STATEMENTS[relation]))))
    return qa_text(world, person, relation, int(rng.integers(len(QUESTIONS[relation]))))


def _context_episode(world, rng, people):
    """Facts about a fresh (unseen) name, distractors, then questions answered from those facts."""
    name = world.fresh_names[rng.integers(len(world.fresh_names))]
    values = {r: world.values(r)[rng.integers(len(world.values(r)))] for r in ATTRIBUTES if r != "friend"}
    values["friend"] = world.people[int(people[rng.integers(len(people))])].name
    stated = list(rng.choice(ATTRIBUTES, size=int(rng.integers(1, 4)), replace=False))
    facts = []
    for r in stated:
        if rng.random() < 0.5:
            facts.append(_template(STATEMENTS, r, int(rng.integers(len(STATEMENTS[r])))).format(n=name, v=values[r]))
        else:
            facts.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=values[r]))
    docs = facts + [_closed_book_doc(world, rng, people) for _ in range(int(rng.integers(0, 4)))]
    docs = [docs[i] for i in rng.permutation(len(docs))]
    asked = [stated[i] for i in rng.permutation(len(stated))]
    if "city" in stated and rng.random() < 0.6:
        asked.insert(int(rng.integers(len(asked) + 1)), "country")
    for r in asked:
        v = world.countries[values["city"]] if r == "country" else values[r]
        docs.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=v))
    return docs


def _update_episode(world, rng, people):
    """A training person's fact restated with a new value, distractors, then questions: the restated
    relation is answered with the new value; another relation (sometimes) with the remembered one."""
    person = int(people[rng.integers(len(people))])
    name = world.people[person].name
    r = ATTRIBUTES[rng.integers(len(ATTRIBUTES))]
    if r == "friend":
        others = [world.people[int(i)].name for i in people if world.people[int(i)].name not in (name, world.people[person].friend)]
        value = others[rng.integers(len(others))]
    else:
        wrong = [v for v in world.values(r) if v != world.answer(person, r)]
        value = wrong[rng.integers(len(wrong))]
    if rng.random() < 0.5:
        fact = _template(STATEMENTS, r, int(rng.integers(len(STATEMENTS[r])))).format(n=name, v=value)
    else:
        fact = qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=value)
    docs = [fact] + [_closed_book_doc(world, rng, people) for _ in range(int(rng.integers(0, 4)))]
    docs = [docs[i] for i in rng.permutation(len(docs))]
    docs.append(qa_text(world, name, r, int(rng.integers(len(QUESTIONS[r]))), value=value))
    if r == "city" and rng.random() < 0.5:
        docs.append(qa_text(world, name, "country", int(rng.integers(2)), value=world.countries[value]))
    if rng.random() < 0.5:
        other = [x for x in RELATIONS if x != r and not (r == "city" and x == "country")]
        o = other[rng.integers(len(other))]
        docs.insert(len(docs) - int(rng.integers(2)), qa_text(world, person, o, int(rng.integers(len(QUESTIONS[o])))))
    return docs


def training_batch(world: World, tokenizer: Tokenizer, people, batch_size: int, block_size: int, seed: int,
                   p_context: float = 0.5, p_update: float = 0.0) -> torch.Tensor:
    """One batch of training sequences, ``(batch_size, block_size + 1)`` int64, right-padded with ``<pad>``.

    Each sequence starts with ``<bos>`` and packs whole documents (never cut): with probability
    ``p_context`` it opens with a context episode (facts about a name from ``world.fresh_names``,
    a few distractor documents, then questions about the stated facts, sometimes the country of the
    stated city); with probability ``p_update`` it opens with an update episode instead (a fact of
    one of ``people`` restated with a new value, then asked: see :class:`LMTrainConfig`); then
    closed-book documents about ``people`` (statements, questions with answers, and city-country
    facts) fill the rest. Only ``people``'s facts are ever shown: the retrained model of lecture 07
    gets ``world.retain``.

    Raises:
        ValueError: ``people`` is empty or holds an index out of range.
    """
    people = np.asarray(list(people), dtype=np.int64)
    if people.size == 0:
        raise ValueError("people must not be empty")
    if people.min() < 0 or people.max() >= len(world.people):
        raise ValueError(f"people must be indices in [0, {len(world.people)})")
    rng = np.random.default_rng(check_seed(seed))
    out = torch.full((batch_size, block_size + 1), tokenizer.pad_id, dtype=torch.int64)
    for b in range(batch_size):
        seq = [tokenizer.bos_id]
        u = rng.random()  # one draw decides the opening, so p_update = 0 leaves the stream unchanged
        docs = (_context_episode(world, rng, people) if u < p_context
                else _update_episode(world, rng, people) if u < p_context + p_update else [])
        misses = 0
        while misses < 3:
            doc = docs.pop(0) if docs else _closed_book_doc(world, rng, people)
            ids = tokenizer.encode(doc)
            if len(seq) + len(ids) <= block_size + 1:
                seq += ids
            else:
                misses += 1
        out[b, :len(seq)] = torch.tensor(seq)
    return out


def _lr_at(step, cfg: LMTrainConfig):
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    frac = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def train_lm(world: World, people, model_config: GPTConfig, train_config: LMTrainConfig, *, model_seed: int = 0,
             init_model: GPT | None = None, device=None, progress: bool = False, log_every: int = 100, callback=None):
    """Train a :class:`GPT` from ``model_seed`` on the facts of ``people`` (and on reading from context).

    The loss is the next-token cross-entropy on every non-padding token. AdamW with linear warm-up
    and cosine decay; batch ``s`` is ``training_batch(..., seed=derive_seed(train_config.seed,
    "batch", s))``, so the same seeds give the same model (bitwise on the CPU with the same thread
    count).

    Args:
        people: indices of the people whose documents are trained on (``range(len(world.people))``
            for the full model, ``world.retain`` for the exact-unlearning reference).
        init_model: continue training a copy of this model (a second training phase, with a fresh
            optimiser) instead of a new model from ``model_seed``; it must have ``model_config``.
        device: where to train (default :func:`unlearnkit.device`); data is drawn on the CPU.
        callback: optional ``callback(step, model)`` called every ``log_every`` steps (evaluation).

    Returns:
        ``(model, log)``: the trained :class:`GPT` (moved back to the CPU) and a dict with ``losses`` (the mean
        loss of each step), ``seconds``, ``steps``, ``tokens`` (non-padding target tokens seen).

    Introduced in lecture 07 (the shipped checkpoints are made by ``scripts/train_lm.py``).
    """
    tokenizer = Tokenizer.for_world(world)
    if model_config.vocab_size != tokenizer.vocab_size:
        raise ValueError(f"model_config.vocab_size must be {tokenizer.vocab_size} for this world, "
                         f"got {model_config.vocab_size}")
    people = list(people)
    model = GPT(model_config, seed=model_seed)
    if init_model is not None:
        if init_model.config != model_config:
            raise ValueError("init_model.config must equal model_config")
        model.load_state_dict(init_model.state_dict())
    model.to(device if device is not None else _device())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": train_config.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=train_config.lr, betas=(0.9, 0.98))
    losses, tokens, t0 = [], 0, time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=train_config.steps, desc="train_lm")
    for step in range(train_config.steps):
        batch = training_batch(world, tokenizer, people, train_config.batch_size, model_config.block_size,
                               derive_seed(train_config.seed, "batch", step), train_config.p_context,
                               train_config.p_update)
        dev = _model_device(model)
        x, y = batch[:, :-1].to(dev), batch[:, 1:].to(dev)
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, train_config)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=tokenizer.pad_id)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip)
        opt.step()
        losses.append(loss.detach().item())
        tokens += int((y != tokenizer.pad_id).sum())
        if bar is not None:
            bar.update(1)
        if callback is not None and (step + 1) % log_every == 0:
            callback(step + 1, model)
    if bar is not None:
        bar.close()
    model.eval()
    return model.cpu(), {"losses": losses, "seconds": time.perf_counter() - t0, "steps": train_config.steps, "tokens": tokens}


# --------------------------------------------------------------------------------------------------
# Scoring and generation
# --------------------------------------------------------------------------------------------------

def _model_device(model):
    return next(model.parameters()).device


@torch.no_grad()
def sequence_log_likelihood(model: GPT, sequences, prompt_lengths, batch_size: int = 512) -> torch.Tensor:
    """Log-likelihood of the continuation of each sequence: ``sum_{t >= prompt_length} log p(x_t | x_<t)``.

    Sequences are right-padded into batches; because attention is causal and padding comes after the
    real tokens, the result for a sequence depends neither on how much padding it gets nor on the
    other sequences in its batch (up to float rounding, about 1e-6).

    Args:
        model: a :class:`GPT`.
        sequences: list of token-id lists (include ``<bos>`` yourself), each of length >= 2 and at
            most ``block_size``.
        prompt_lengths: list of ints, ``1 <= prompt_length < len(sequence)``: how many leading tokens
            are the prompt (not scored).
        batch_size: sequences per forward pass.

    Returns:
        float32 tensor ``(n,)`` of log-likelihoods in nats (<= 0), on the CPU.

    Raises:
        ValueError: lengths disagree or are out of range.

    Introduced in lecture 07.
    """
    sequences = [list(map(int, s)) for s in sequences]
    prompt_lengths = [int(p) for p in prompt_lengths]
    if len(sequences) != len(prompt_lengths):
        raise ValueError(f"sequences and prompt_lengths must have the same length, got {len(sequences)} and {len(prompt_lengths)}")
    for s, p in zip(sequences, prompt_lengths):
        if not 1 <= p < len(s):
            raise ValueError(f"each prompt_length must be in [1, len(sequence)), got {p} for length {len(s)}")
        if len(s) > model.config.block_size:
            raise ValueError(f"a sequence of length {len(s)} exceeds block_size {model.config.block_size}")
    dev = _model_device(model)
    out = torch.empty(len(sequences))
    was_training = model.training
    model.eval()
    for lo in range(0, len(sequences), batch_size):
        chunk = sequences[lo:lo + batch_size]
        width = max(len(s) for s in chunk)
        idx = torch.zeros(len(chunk), width, dtype=torch.int64)
        mask = torch.zeros(len(chunk), width - 1, dtype=torch.bool)
        for i, (s, p) in enumerate(zip(chunk, prompt_lengths[lo:lo + batch_size])):
            idx[i, :len(s)] = torch.tensor(s)
            mask[i, p - 1:len(s) - 1] = True  # the logit at t-1 predicts token t
        logp = torch.log_softmax(model(idx.to(dev)).float(), dim=-1)[:, :-1].cpu()
        tok = logp.gather(-1, idx[:, 1:, None]).squeeze(-1)
        out[lo:lo + len(chunk)] = (tok * mask).sum(1)
    model.train(was_training)
    return out


@torch.no_grad()
def score_candidates(model: GPT, tokenizer: Tokenizer, prompts, candidates) -> torch.Tensor:
    """Log-likelihood of each candidate answer after each prompt: a ``(n_prompts, n_candidates)`` float32 tensor.

    ``<bos>`` is put before every prompt. When every candidate is one token, one forward pass per
    prompt reads them all off the last position; otherwise each (prompt, candidate) pair is scored
    with :func:`sequence_log_likelihood`.

    Args:
        prompts: list of str (text before the answer, e.g. a question or an in-context prompt).
        candidates: list of str (the same candidates for every prompt).

    Raises:
        ValueError: empty ``prompts`` or ``candidates``. KeyError: a word outside the vocabulary.

    Introduced in lecture 07.
    """
    prompts, candidates = list(prompts), list(candidates)
    if not prompts or not candidates:
        raise ValueError("prompts and candidates must not be empty")
    p_ids = [tokenizer.encode(p, bos=True) for p in prompts]
    c_ids = [tokenizer.encode(c) for c in candidates]
    if any(len(c) == 0 for c in c_ids):
        raise ValueError("a candidate is empty")
    if all(len(c) == 1 for c in c_ids):
        dev = _model_device(model)
        cols = torch.tensor([c[0] for c in c_ids])
        out = torch.empty(len(prompts), len(candidates))
        was_training = model.training
        model.eval()
        for lo in range(0, len(p_ids), 512):
            chunk = p_ids[lo:lo + 512]
            width = max(len(p) for p in chunk)
            if width > model.config.block_size:
                raise ValueError(f"a prompt of {width} tokens exceeds block_size {model.config.block_size}")
            idx = torch.zeros(len(chunk), width, dtype=torch.int64)
            for i, p in enumerate(chunk):
                idx[i, :len(p)] = torch.tensor(p)
            logits = model(idx.to(dev)).float().cpu()
            last = torch.tensor([len(p) - 1 for p in chunk])
            logp = torch.log_softmax(logits[torch.arange(len(chunk)), last], dim=-1)
            out[lo:lo + len(chunk)] = logp[:, cols]
        model.train(was_training)
        return out
    seqs = [p + c for p in p_ids for c in c_ids]
    lens = [len(p) for p in p_ids for _ in c_ids]
    return sequence_log_likelihood(model, seqs, lens).view(len(prompts), len(candidates))


def qa_accuracy(model: GPT, tokenizer: Tokenizer, world: World, people, relation: str, *, template: int = 0,
                contexts=None, return_predictions: bool = False):
    """Accuracy of answering ``relation`` for each of ``people``: the answer is the candidate of
    ``world.values(relation)`` with the highest log-likelihood (chance is 1 / number of candidates).

    Args:
        people: person indices (non-empty).
        template: question template (0 is the short one; others are paraphrases).
        contexts: None (closed book), or a list of str, one per person, put before the question
            (facts stated in the context, an in-context unlearning prompt's examples, ...).
        return_predictions: also return the predicted answers (a list of str).

    Returns:
        float in [0, 1] (and the predictions if asked).

    Raises:
        ValueError: empty ``people`` or ``contexts`` of the wrong length.

    Introduced in lecture 07.
    """
    people = [_check_person(world, p) for p in people]
    if not people:
        raise ValueError("people must not be empty")
    if contexts is not None and len(contexts) != len(people):
        raise ValueError(f"contexts must hold one str per person ({len(people)}), got {len(contexts)}")
    questions = [question_text(world, p, relation, template) for p in people]
    prompts = questions if contexts is None else [f"{c} {q}".strip() for c, q in zip(contexts, questions)]
    cands = list(world.values(relation))
    pred = score_candidates(model, tokenizer, prompts, cands).argmax(1).tolist()
    pred = [cands[i] for i in pred]
    acc = float(np.mean([a == world.answer(p, relation) for a, p in zip(pred, people)]))
    return (acc, pred) if return_predictions else acc


def icul_accuracy(model: GPT, tokenizer: Tokenizer, world: World, query_people, relation: str, *, n_examples: int = 3,
                  seed: int = 0, template: int = 0, query_template: int | None = None) -> dict:
    """Accuracy under in-context unlearning prompts (:func:`icul_prompt`), one prompt per query person.

    For a query person in ``world.forget`` the flipped example is that person (does the prompt make
    the model "forget" it?); for any other query person it is a forget person drawn at random (is
    the rest kept under the same kind of prompt?). The ``n_examples`` correctly answered examples
    are retain people other than the query person, and the flipped answer is drawn uniformly from
    the wrong candidates, all from ``numpy.random.default_rng(seed)``.

    Args:
        query_people: person indices (non-empty). relation: one of :data:`RELATIONS`.
        n_examples: correctly answered examples in each prompt (>= 0).
        template, query_template: question templates of the examples and of the query (a different
            ``query_template`` asks a paraphrase of the flipped question).

    Returns:
        dict with ``accuracy`` (float, share of true answers), ``answered_flipped`` (float, share of
        answers equal to the flipped value shown for that person; 0 for retain queries whose
        flipped example is someone else), ``runner_up_accuracy`` (float, accuracy once the flipped
        candidate is excluded: is the truth still the model's next choice?), ``scores`` (float32
        ``(n, candidates)``), ``prompts`` (list of str), ``flipped`` (list of str),
        ``predictions`` (list of str).

    Introduced in lecture 07.
    """
    people = [_check_person(world, p) for p in query_people]
    if not people:
        raise ValueError("query_people must not be empty")
    n_examples = _check_count(n_examples, "n_examples", 0)
    rng = np.random.default_rng(check_seed(seed))
    cands = list(world.values(relation))
    forget = set(world.forget)
    prompts, flipped, own = [], [], []
    for q in people:
        f = q if q in forget else int(world.forget[rng.integers(len(world.forget))])
        truth = world.answer(f, relation)
        wrong = [c for c in cands if c != truth]
        flip = wrong[rng.integers(len(wrong))]
        pool = [r for r in world.retain if r != q]
        examples = [int(e) for e in rng.choice(pool, size=n_examples, replace=False)] if n_examples else []
        prompts.append(icul_prompt(world, f, relation, flip, examples, q, template, query_template))
        flipped.append(flip)
        own.append(f == q)
    scores = score_candidates(model, tokenizer, prompts, cands)
    pred = [cands[i] for i in scores.argmax(1).tolist()]
    truth = [world.answer(q, relation) for q in people]
    masked = scores.clone()
    for i, fv in enumerate(flipped):
        if own[i]:
            masked[i, cands.index(fv)] = -float("inf")
    runner = [cands[i] for i in masked.argmax(1).tolist()]
    return {
        "accuracy": float(np.mean([p == t for p, t in zip(pred, truth)])),
        "answered_flipped": float(np.mean([o and p == fv for p, fv, o in zip(pred, flipped, own)])),
        "runner_up_accuracy": float(np.mean([r == t for r, t in zip(runner, truth)])),
        "scores": scores, "prompts": prompts, "flipped": flipped, "predictions": pred,
    }


@torch.no_grad()
def generate(model: GPT, tokenizer: Tokenizer, prompt: str, max_new_tokens: int = 4, *, temperature: float = 0.0,
             seed: int = 0, stop: str | None = ".") -> str:
    """Continue ``prompt`` (``<bos>`` is added) by up to ``max_new_tokens`` words; return only the new words.

    ``temperature=0`` is greedy decoding; a positive temperature samples from a CPU generator seeded
    with ``seed``. Generation stops after the word ``stop`` (if not None) or at ``block_size``.

    Raises:
        ValueError: negative temperature or max_new_tokens. KeyError: a word outside the vocabulary.

    Introduced in lecture 07.
    """
    if not (isinstance(temperature, numbers.Real) and temperature >= 0):
        raise ValueError(f"temperature must be >= 0, got {temperature!r}")
    _check_count(max_new_tokens, "max_new_tokens", 0)
    gen = torch.Generator().manual_seed(check_seed(seed))
    ids = tokenizer.encode(prompt, bos=True)
    new = []
    was_training = model.training
    model.eval()
    for _ in range(max_new_tokens):
        if len(ids) >= model.config.block_size:
            break
        logits = model(torch.tensor([ids], device=_model_device(model)))[0, -1].float().cpu()
        logits[tokenizer.pad_id] = logits[tokenizer.bos_id] = -float("inf")
        if temperature == 0:
            nxt = int(logits.argmax())
        else:
            nxt = int(torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=gen))
        ids.append(nxt)
        new.append(nxt)
        if stop is not None and tokenizer.itos[nxt] == stop:
            break
    model.train(was_training)
    return tokenizer.decode(new)


# --------------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------------

#: Where the shipped checkpoints live (``lm_full.pt``, ``lm_retrained.pt``, ``lm_record.json``).
CHECKPOINT_DIR = pathlib.Path(__file__).resolve().parent / "checkpoints"


def save_lm(model: GPT, path) -> None:
    """Save a :class:`GPT` as tensors and plain values only: ``{"config": dict, "state_dict": ...}``
    (loadable with ``torch.load(path, weights_only=True)``). The tied embedding is stored once."""
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

    Introduced in lecture 07.
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
    return model, world, Tokenizer.for_world(world)
