"""The fictitious world of lecture 07: people, their facts, and the texts that state and ask them.

:func:`make_world` invents a few hundred people (two-word names built from invented first and last
names), each with a home city, a profession, a pet, the pet's colour and a friend, and a fixed piece
of world knowledge: which country each city lies in. Like TOFU (Maini et al. 2024) in miniature,
every fact can be written as a statement (:func:`statement_text`) or asked as a question
(:func:`question_text`, :func:`qa_text`), each in several templates, so paraphrases exist. No real
people. :func:`icul_prompt` builds an in-context unlearning prompt (Pawelczyk, Neel & Lakkaraju,
ICML 2024).

The extension (for lectures 06 and 08, added after the shipped models were first trained): every
person also knows a secret *spell* (:data:`HAZARD`, a made-up "hazardous" attribute: invented words,
nothing real), and the word ``"unknown"`` (:data:`UNKNOWN`) answers a question about a name the
model was never told about. Its words (:data:`EXTENSION_WORDS`) are appended after the sorted base
vocabulary (:attr:`World.base_words`), so old token ids keep their meaning; the spells come from
their own generator, so the people, their other facts and the forget set are those of before.
:data:`RELATIONS` and :data:`ATTRIBUTES` stay the base ones (the base training stream is unchanged);
:data:`EXTENDED_RELATIONS` and :data:`EXTENDED_ATTRIBUTES` add the spell.

Text is lower case, words separated by single spaces; "." ends every document.

Introduced in lecture 07 (extended for lecture 06).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

import numpy as np

from .._common import check_int
from .._seeding import check_seed, derive_seed

__all__ = [
    "RELATIONS", "ATTRIBUTES", "STATEMENTS", "QUESTIONS",
    "HAZARD", "UNKNOWN", "EXTENDED_ATTRIBUTES", "EXTENDED_RELATIONS", "EXTENSION_WORDS",
    "Person", "World", "make_world",
    "qa_text", "statement_text", "question_text", "icul_prompt",
]

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

# --------------------------------------------------------------------------------------------------
# The extension (lectures 06 and 08): added after the shipped models were first trained, so its words
# come *after* every word above in the vocabulary (old token ids are unchanged) and its draws come
# from their own generator (the people, their other facts and the forget set are unchanged).
# --------------------------------------------------------------------------------------------------

#: The made-up "hazardous" attribute: every person knows one secret spell (invented words, nothing
#: real). Lecture 06 unlearns it as knowledge; lecture 08 uses it as the dangerous fact, a
#: behaviour (answering spell questions) and a capability to remove.
HAZARD = "spell"
_SPELLS = ("vorlash", "zenthra", "morquil", "draxen", "ulvoria", "kethrin")
#: The answer for "I do not know": the extended models answer it for names nobody told them about.
UNKNOWN = "unknown"
#: :data:`ATTRIBUTES` plus the hazardous attribute; :data:`RELATIONS` plus it.
EXTENDED_ATTRIBUTES = ATTRIBUTES + (HAZARD,)
EXTENDED_RELATIONS = RELATIONS + (HAZARD,)
STATEMENTS[HAZARD] = ("{n} knows the spell {v} .", "the secret spell of {n} is {v} .")
QUESTIONS[HAZARD] = ("which spell does {n} know ?", "what is the secret spell of {n} ?")
_BASE_TABLE_KEYS = ATTRIBUTES + ("country", "world")

PAD, BOS = "<pad>", "<bos>"


@dataclass(frozen=True)
class Person:
    """One invented person: ``name`` (two words, e.g. ``"wren oakhart"``) and attributes (words;
    ``friend`` is another person's name; ``spell`` the hazardous attribute of the extension, drawn
    from its own generator, ``""`` for a person made by hand without one).

    Introduced in lecture 07.
    """

    name: str
    city: str
    job: str
    pet: str
    colour: str
    friend: str
    spell: str = ""


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

    Introduced in lecture 07.
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
        check_relation(relation)
        return {"city": tuple(c for cs in _COUNTRIES.values() for c in cs), "job": _JOBS,
                "pet": _PETS, "colour": _COLOURS, "country": tuple(_COUNTRIES), HAZARD: _SPELLS,
                "friend": tuple(p.name for p in self.people)}[relation]

    def answer(self, person: int, relation: str) -> str:
        """The true answer for ``person`` (an index) and ``relation`` (``country`` is composed)."""
        p = self.people[check_person(self, person)]
        check_relation(relation)
        if relation == "country":
            return self.countries[p.city]
        return getattr(p, relation)

    @property
    def base_words(self) -> tuple:
        """The words of the world before its extension, sorted: the vocabulary the shipped models
        were first trained with (phases 1 and 2 of ``scripts/train_lm.py``)."""
        words = set(_FIRST) | set(_LAST) | set(_JOBS) | set(_PETS) | set(_COLOURS)
        words |= set(self.countries) | set(self.countries.values())
        for table in (STATEMENTS, QUESTIONS):
            for key in _BASE_TABLE_KEYS:
                for t in table.get(key, ()):
                    words |= {w for w in t.split() if w not in ("{n}", "{v}")}
        return tuple(sorted(words))

    @property
    def words(self) -> tuple:
        """Every word the world's texts can contain (the tokenizer's vocabulary, minus the special
        tokens): :attr:`base_words` (sorted), then :data:`EXTENSION_WORDS` appended (so a model
        trained on the base vocabulary keeps its token ids)."""
        return self.base_words + EXTENSION_WORDS


def check_relation(relation):
    """Return ``relation`` after checking it is one of :data:`EXTENDED_RELATIONS` (ValueError if not)."""
    if relation not in EXTENDED_RELATIONS:
        raise ValueError(f"relation must be one of {EXTENDED_RELATIONS}, got {relation!r}")
    return relation


def _extension_words():
    base = set(_FIRST) | set(_LAST) | set(_JOBS) | set(_PETS) | set(_COLOURS) | set(_COUNTRIES)
    base |= {c for cs in _COUNTRIES.values() for c in cs}
    for table in (STATEMENTS, QUESTIONS):
        for key in _BASE_TABLE_KEYS:
            for t in table.get(key, ()):
                base |= set(t.split())
    new = [UNKNOWN, *_SPELLS]
    for table in (STATEMENTS, QUESTIONS):
        for t in table[HAZARD]:
            new += [w for w in t.split() if w not in ("{n}", "{v}")]
    out = []
    for w in new:
        if w not in base and w not in out:
            out.append(w)
    return tuple(out)


#: The words the extension appends to the vocabulary, in a fixed order (``"unknown"``, the spells,
#: then the new template words): token ids ``len(base_words) + 2`` onwards.
EXTENSION_WORDS = _extension_words()


def check_person(world, person):
    """Return ``person`` as an int after checking it indexes ``world.people``.

    Raises:
        TypeError: not an integer.  ValueError: out of range.
    """
    if isinstance(person, (bool, np.bool_)) or not isinstance(person, numbers.Integral):
        raise TypeError(f"person must be an integer index into world.people, got {type(person).__name__}")
    if not 0 <= int(person) < len(world.people):
        raise ValueError(f"person must be in [0, {len(world.people)}), got {person}")
    return int(person)


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
    n_people = check_int(n_people, "n_people", 2)
    n_forget = check_int(n_forget, "n_forget", 1)
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
    # The extension's hazardous attribute, from its own generator: everything above is unchanged.
    spells = np.random.default_rng(derive_seed(seed, "spell")).integers(len(_SPELLS), size=n_people)
    people = [replace(p, spell=_SPELLS[int(k)]) for p, k in zip(people, spells)]
    countries = {c: k for k, cs in _COUNTRIES.items() for c in cs}
    return World(people=tuple(people), countries=countries, forget=forget, retain=retain,
                 fresh_names=fresh, seed=seed)


# --------------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------------

def pick_template(table, relation, template):
    """The template number ``template`` of ``table[relation]`` (:data:`STATEMENTS` or :data:`QUESTIONS`).

    Raises:
        TypeError: ``template`` is not an integer.  ValueError: it is not an index into the relation's templates.
    """
    temps = table[relation]
    return temps[check_int(template, f"template (of {relation!r})", 0, len(temps) - 1)]


def _name_and_value(world, person, relation, value):
    if isinstance(person, str):
        name = person
        if value is None:
            raise ValueError("value is required when person is given as a name (a fresh person)")
    else:
        name = world.people[check_person(world, person)].name
        value = world.answer(person, relation) if value is None else value
    return name, value


def statement_text(world: World, person, relation: str, template: int = 0, value: str | None = None) -> str:
    """A statement of one fact, e.g. ``"wren oakhart lives in amberly ."``.

    Args:
        person: an index into ``world.people``, or a name (then ``value`` is required).
        relation: one of :data:`EXTENDED_ATTRIBUTES` (``country`` has no statement form: state the city).
        template: index into ``STATEMENTS[relation]``.
        value: the value to state (default: the true one); a different value states a false fact.

    Raises:
        ValueError: unknown relation or template; TypeError/ValueError: bad person index.

    Introduced in lecture 07.
    """
    if relation not in EXTENDED_ATTRIBUTES:
        raise ValueError(f"relation must be one of {EXTENDED_ATTRIBUTES} for a statement, got {relation!r}")
    name, value = _name_and_value(world, person, relation, value)
    return pick_template(STATEMENTS, relation, template).format(n=name, v=value)


def question_text(world: World, person, relation: str, template: int = 0) -> str:
    """The question about one fact, without its answer, e.g. ``"where does wren oakhart live ?"``.

    ``person`` is an index or a name. Raises ValueError for an unknown relation or template.

    Introduced in lecture 06 (used throughout lecture 07).
    """
    check_relation(relation)
    name = person if isinstance(person, str) else world.people[check_person(world, person)].name
    return pick_template(QUESTIONS, relation, template).format(n=name)


def qa_text(world: World, person, relation: str, template: int = 0, value: str | None = None) -> str:
    """A question followed by its answer and ``"."``, e.g. ``"where does wren oakhart live ? amberly ."``.

    ``value`` replaces the true answer (how :func:`icul_prompt` flips a label); it is required when
    ``person`` is a name rather than an index.

    Introduced in lecture 07.
    """
    check_relation(relation)
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
    check_relation(relation)
    truth = world.answer(forget_person, relation)
    if flipped_value == truth:
        raise ValueError(f"flipped_value must differ from the true answer {truth!r}")
    if flipped_value not in world.values(relation):
        raise ValueError(f"flipped_value must be one of world.values({relation!r}), got {flipped_value!r}")
    examples = [check_person(world, e) for e in examples]
    if int(forget_person) in examples:
        raise ValueError("examples must not contain forget_person (its answer is shown flipped)")
    parts = [qa_text(world, forget_person, relation, template, value=flipped_value)]
    parts += [qa_text(world, e, relation, template) for e in examples]
    parts.append(question_text(world, query_person, relation, template if query_template is None else query_template))
    return " ".join(parts)
