"""Guardrails around a language model: output suppression at the system level (lecture 08).

A deployed model rarely answers raw. The system around it can refuse a question before the model
sees it (**input filter**), withhold an answer after the model gave it (**output filter**), and put
an instruction in front of every prompt (**system prompt**). Thaker, Maurya, Hu, Wu & Smith
(2024, "Guardrail Baselines for Unlearning in LLMs", arXiv:2403.03329) show that such guardrails,
prompting (an instruction prefix) and input/output filtering, reach forget/retain numbers comparable
to fine-tuning based unlearning on the output-level metrics of Who's Harry Potter (familiarity),
TOFU and WMDP, and conclude that unlearning evaluations need metrics that separate guardrails from
changes to the weights. The lecture makes that point in miniature: the numbers an output-level
benchmark measures cannot tell suppression from removal, since the weights are untouched.

Where ours differs. Their system prompt is a natural-language instruction to a chat model, and
their filters range from keyword matching to classifiers (an LLM such as GPT-4 asked about the query
or the answer, or a small classifier head); our tiny model reads no instructions, so:

* our filters match listed phrases word by word (keyword matching only; a paraphrase is caught only
  if it contains a listed phrase);
* our system prompt is a text prefix; lecture 08 uses lecture 07's in-context unlearning example
  (Pawelczyk, Neel & Lakkaraju 2024), chosen per query: the forget person's question with a
  *flipped* answer. It suppresses by making the model repeat a wrong value, not by declining, so a
  "true answer" rate of 0 under it means "answers a planted false value", not "refuses"; and the
  prefix is built by a system that knows the forget facts. Pawelczyk et al. follow the flipped
  example with correctly labelled ones; the lecture's prefix is the flipped example alone.

* :class:`InputFilter` blocks a prompt that contains a listed phrase (a name, a variant of it).
* :class:`OutputFilter` blocks an answer that states a forbidden fact: a forbidden answer, either
  anywhere or only when the prompt mentions a given subject.
* :class:`SystemPrompt` puts a prefix (a str, or a function of the prompt) before the prompt.
* :class:`Guardrails` composes them around a model: ``input -> system prompt -> model -> output``.
  A blocked query gets :data:`REFUSAL`. Every component keeps a log of what it blocked or changed.

Introduced in lecture 08 (guardrails, dual use, removal vs suppression).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .._common import check_instance
from ..models.gpt import GPT
from .evaluation import score_candidates
from .tokenizer import Tokenizer

__all__ = ["REFUSAL", "InputFilter", "OutputFilter", "SystemPrompt", "Guardrails", "name_variants"]

#: What a guarded model returns instead of an answer it may not give (not a word of the vocabulary:
#: the refusal is made by the system, not by the model).
REFUSAL = "<refused>"


def _words(text, name):
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return text.split()


def _contains(words, phrase):
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


def _phrases(phrases, name):
    if isinstance(phrases, str):
        raise TypeError(f"{name} must be an iterable of str (a list of phrases), got a single str")
    out = []
    for p in phrases:
        w = _words(p, f"each of {name}")
        if not w:
            raise ValueError(f"{name} must not contain an empty phrase")
        out.append(tuple(w))
    return out


def name_variants(name: str, variants=("full",)) -> list:
    """The phrases an input filter lists for one two-word name.

    ``variants`` picks among ``"full"`` (``"wren oakhart"``), ``"first"`` (``"wren"``) and ``"last"``
    (``"oakhart"``). Listing the parts catches more references and also blocks everybody who shares
    a first or last name: the over-block the lecture measures.

    Raises:
        TypeError: ``name`` is not a str.  ValueError: an unknown variant, or not a two-word name.

    Introduced in lecture 08.
    """
    parts = _words(name, "name")
    if len(parts) != 2:
        raise ValueError(f"name must be a two-word name, got {name!r}")
    known = {"full": name, "first": parts[0], "last": parts[1]}
    bad = [v for v in variants if v not in known]
    if bad or isinstance(variants, str):
        raise ValueError(f"variants must be a list of 'full', 'first', 'last', got {variants!r}")
    return [known[v] for v in variants]


@dataclass
class InputFilter:
    """Refuse a prompt that contains one of ``phrases`` (whole words, in order).

    ``check(prompt)`` returns the first listed phrase found (a str) or None, and logs a block as
    ``{"stage": "input", "prompt": ..., "matched": ...}`` in ``log``.

    Raises (construction):
        TypeError: ``phrases`` is a str, or holds a non-str.  ValueError: an empty phrase.

    Introduced in lecture 08.
    """

    phrases: list
    log: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self._compiled = _phrases(self.phrases, "phrases")
        self.phrases = [" ".join(p) for p in self._compiled]

    def check(self, prompt: str):
        words = _words(prompt, "prompt")
        for p, text in zip(self._compiled, self.phrases):
            if _contains(words, list(p)):
                self.log.append({"stage": "input", "prompt": prompt, "matched": text})
                return text
        return None


@dataclass
class OutputFilter:
    """Withhold an answer that states a forbidden fact.

    ``forbidden`` is a list of ``(subject, answer)`` pairs: the answer is withheld when it equals
    ``answer`` and the prompt contains the phrase ``subject``; a ``subject`` of None withholds that
    answer for every prompt (a filter on the output alone). ``check(prompt, answer)`` returns the
    matched pair or None and logs a block as ``{"stage": "output", "prompt", "answer", "matched"}``.

    Raises (construction):
        TypeError: ``forbidden`` is not a list of pairs of str (subject may be None).
        ValueError: an empty subject or answer.

    Introduced in lecture 08.
    """

    forbidden: list
    log: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        if isinstance(self.forbidden, str):
            raise TypeError("forbidden must be a list of (subject, answer) pairs, got a str")
        pairs = []
        for item in self.forbidden:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(f"forbidden must hold (subject, answer) pairs, got {item!r}")
            subject, answer = item
            subj = None if subject is None else tuple(_words(subject, "a forbidden subject"))
            ans = _words(answer, "a forbidden answer")
            if subj == () or not ans:
                raise ValueError(f"forbidden pairs must have a non-empty subject (or None) and answer, got {item!r}")
            pairs.append((subj, " ".join(ans)))
        self._pairs = pairs
        self.forbidden = [(None if s is None else " ".join(s), a) for s, a in pairs]

    def check(self, prompt: str, answer: str):
        words = _words(prompt, "prompt")
        answer = " ".join(_words(answer, "answer"))
        for (subj, ans), pair in zip(self._pairs, self.forbidden):
            if answer == ans and (subj is None or _contains(words, list(subj))):
                self.log.append({"stage": "output", "prompt": prompt, "answer": answer, "matched": pair})
                return pair
        return None


@dataclass
class SystemPrompt:
    """A prefix put before every prompt: a str, or a function ``prompt -> str`` (a per-query
    prefix, such as an in-context unlearning prompt for the person asked about).

    ``apply(prompt)`` returns ``prefix + " " + prompt`` (the prompt alone when the prefix is empty)
    and logs every non-empty prefix as ``{"stage": "system", "prompt", "prefix"}``.

    Raises:
        TypeError: ``prefix`` is neither a str nor callable, or the function returns a non-str.

    Introduced in lecture 08.
    """

    prefix: object
    log: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        if not (isinstance(self.prefix, str) or callable(self.prefix)):
            raise TypeError(f"prefix must be a str or a function prompt -> str, got {type(self.prefix).__name__}")

    def apply(self, prompt: str) -> str:
        _words(prompt, "prompt")
        pre = self.prefix(prompt) if callable(self.prefix) else self.prefix
        if not isinstance(pre, str):
            raise TypeError(f"the system prompt function must return a str, got {type(pre).__name__}")
        pre = " ".join(pre.split())
        if not pre:
            return prompt
        self.log.append({"stage": "system", "prompt": prompt, "prefix": pre})
        return f"{pre} {prompt}"


class Guardrails:
    """A model behind guardrails: ``input filter -> system prompt -> model -> output filter``.

    Each part is optional (None: off), so the same model can be measured with any combination.
    :meth:`answer` picks, for each prompt, the candidate with the highest log-likelihood
    (:func:`~unlearnkit.lm.score_candidates`, as the course scores every question) and returns it,
    or :data:`REFUSAL` when the input filter refused the prompt or the output filter withheld the
    answer. A refused prompt never reaches the model.

    Args:
        model: a :class:`~unlearnkit.lm.GPT`.  tokenizer: its :class:`~unlearnkit.lm.Tokenizer`.
        input_filter, output_filter, system_prompt: an :class:`InputFilter`, :class:`OutputFilter`,
            :class:`SystemPrompt`, or None.

    Attributes:
        log: every block, in order, from all parts (each entry names its ``stage``).

    Raises:
        TypeError: a part of the wrong type.

    Introduced in lecture 08.
    """

    def __init__(self, model: GPT, tokenizer: Tokenizer, *, input_filter=None, output_filter=None, system_prompt=None):
        check_instance(model, GPT, "model", "an unlearnkit GPT")
        check_instance(tokenizer, Tokenizer, "tokenizer", "an unlearnkit lm Tokenizer")
        for value, cls, name in ((input_filter, InputFilter, "input_filter"), (output_filter, OutputFilter, "output_filter"),
                                 (system_prompt, SystemPrompt, "system_prompt")):
            if value is not None:
                check_instance(value, cls, name, f"a {cls.__name__} or None")
        self.model, self.tokenizer = model, tokenizer
        self.input_filter, self.output_filter, self.system_prompt = input_filter, output_filter, system_prompt
        self.log = []

    def answer(self, prompts, candidates) -> list:
        """The guarded answer to each prompt among ``candidates`` (a list of str), or :data:`REFUSAL`.

        Raises:
            TypeError: ``prompts`` is a single str or holds a non-str.  ValueError: empty
                ``prompts`` or ``candidates``.
        """
        if isinstance(prompts, str):
            raise TypeError("prompts must be a list of str, got a single str (wrap it in a list)")
        prompts, candidates = list(prompts), list(candidates)
        if not prompts or not candidates:
            raise ValueError("prompts and candidates must not be empty")
        for p in prompts:
            _words(p, "each prompt")
        out = [REFUSAL] * len(prompts)
        passed = []
        for i, p in enumerate(prompts):
            hit = self.input_filter.check(p) if self.input_filter is not None else None
            if hit is None:
                passed.append(i)
            else:
                self.log.append(self.input_filter.log[-1])
        if passed:
            if self.system_prompt is None:
                shown = [prompts[i] for i in passed]
            else:
                before = len(self.system_prompt.log)
                shown = [self.system_prompt.apply(prompts[i]) for i in passed]
                self.log.extend(self.system_prompt.log[before:])
            best = score_candidates(self.model, self.tokenizer, shown, candidates).argmax(1).tolist()
            for i, b in zip(passed, best):
                ans = candidates[b]
                if self.output_filter is not None and self.output_filter.check(prompts[i], ans) is not None:
                    self.log.append(self.output_filter.log[-1])
                    continue
                out[i] = ans
        return out

    def blocked(self) -> list:
        """The log entries of blocks only (input and output stages; system-prompt entries left out)."""
        return [e for e in self.log if e["stage"] in ("input", "output")]
