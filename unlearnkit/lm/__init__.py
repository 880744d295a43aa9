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
  MLP, a tied output layer. It lives with the other models in :mod:`unlearnkit.models.gpt` (one
  file) and is re-exported here.
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

One file per job:

=================================  ==============================================================
module                             holds
=================================  ==============================================================
:mod:`unlearnkit.lm.world`         the people, their facts, the texts that state and ask them
:mod:`unlearnkit.lm.tokenizer`     the word-level tokenizer
:mod:`unlearnkit.models.gpt`       the GPT and its config (nanoGPT style)
:mod:`unlearnkit.lm.training`      the training stream and loop
:mod:`unlearnkit.lm.evaluation`    log-likelihoods, candidate scores, accuracies, generation
:mod:`unlearnkit.lm.checkpoints`   saving a GPT, loading the shipped checkpoints
:mod:`unlearnkit.lm.guardrails`    input/output filters and a system prompt around a model (lecture 08)
:mod:`unlearnkit.lm.retrieval`     a fact datastore with exact deletion, retrievers, kNN-LM (lecture 08)
:mod:`unlearnkit.lm.unlearning`    documents, four unlearning methods, relearning, the shipped unlearned models (lecture 06)
:mod:`unlearnkit.lm.tofu`          TOFU-style evaluation with scope and recovery probes (lecture 06)
=================================  ==============================================================

Lecture 06 adds, on the world's extension (every person's made-up "hazardous" ``spell``,
:data:`HAZARD`, and the answer ``unknown``, :data:`UNKNOWN`), four unlearning methods registered in
the unlearning protocol and their evaluation. A lecture's calls, each in seconds::

    full, world, tok = lm.load_lm("full"); retrained, _, _ = lm.load_lm("retrained")
    rmu, _, _ = lm.load_unlearned("rmu")    # or "gradient_ascent", "gradient_difference", "whp"
    rec = lm.unlearned_record()             # every model's full evaluation (and the references')
    quick = lm.tofu.evaluate_unlearning(rmu, tok, world, quick=True)   # one relation, to check against rec
    dist = lm.tofu.answer_distributions(rmu, tok, world, world.forget, "city")
    F = lm.person_documents(world, world.forget); R = lm.person_documents(world, world.retain)
    m, log = lm.gradient_ascent(full, F, R, lm.LMUnlearnConfig(steps=5, seed=0))   # a live run

Every public name is re-exported here, so ``from unlearnkit import lm; lm.qa_accuracy(...)`` works.

Introduced in lecture 07 (in-context unlearning and UnUnlearning).
"""
from __future__ import annotations

from ..models.gpt import GPT, GPTConfig
from .checkpoints import CHECKPOINT_DIR, load_lm, save_lm
from .evaluation import generate, icul_accuracy, qa_accuracy, score_candidates, sequence_log_likelihood
from .guardrails import REFUSAL, Guardrails, InputFilter, OutputFilter, SystemPrompt, name_variants
from .retrieval import (EmbeddingRetriever, ExactRetriever, Fact, FactStore, RetrievalQA, embed_texts, hidden_states,
                        knn_lm_probs)
from .tokenizer import BOS, PAD, Tokenizer
from . import tofu, unlearning
from .unlearning import (LM_METHODS, UNLEARNED_CONFIGS, Documents, LMUnlearnConfig, RMUConfig, WHPConfig, gradient_ascent,
                         gradient_difference, load_unlearned, person_documents, relearn, rmu, unlearned_record, whp)
from .training import LMTrainConfig, extend_vocabulary, train_lm, training_batch
from .world import (ATTRIBUTES, EXTENDED_ATTRIBUTES, EXTENDED_RELATIONS, EXTENSION_WORDS, HAZARD, QUESTIONS, RELATIONS,
                    STATEMENTS, UNKNOWN, Person, World, icul_prompt, make_world, qa_text, question_text, statement_text)

__all__ = [
    "RELATIONS", "ATTRIBUTES", "STATEMENTS", "QUESTIONS",
    "HAZARD", "UNKNOWN", "EXTENDED_ATTRIBUTES", "EXTENDED_RELATIONS", "EXTENSION_WORDS", "extend_vocabulary",
    "Person", "World", "make_world",
    "Tokenizer",
    "GPTConfig", "GPT",
    "LMTrainConfig", "training_batch", "train_lm",
    "sequence_log_likelihood", "score_candidates", "qa_accuracy", "icul_accuracy", "generate",
    "qa_text", "statement_text", "question_text", "icul_prompt",
    "save_lm", "load_lm", "CHECKPOINT_DIR",
    "REFUSAL", "InputFilter", "OutputFilter", "SystemPrompt", "Guardrails", "name_variants",
    "Fact", "FactStore", "hidden_states", "embed_texts", "ExactRetriever", "EmbeddingRetriever", "RetrievalQA",
    "knn_lm_probs",
    "tofu", "unlearning", "Documents", "person_documents", "LMUnlearnConfig", "WHPConfig", "RMUConfig",
    "gradient_ascent", "gradient_difference", "whp", "rmu", "relearn", "LM_METHODS", "UNLEARNED_CONFIGS",
    "load_unlearned", "unlearned_record",
]
