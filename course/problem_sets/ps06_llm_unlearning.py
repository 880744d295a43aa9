# Source of solutions/ps06_llm_unlearning/ps06_llm_unlearning.ipynb. Edit this file, then run `make notebooks`
# (scripts/nbsource.py explains the format and the nbg="..." cell markers).

# %% [markdown] nbg="locked:intro"
# # Problem set 06 · Unlearning in language models
#
# You will work with the small language models of lecture 06: `full` (trained on all 200 people of
# the fictitious world), `retrained` (the same recipe without the 20 forget people's documents, the
# exact-unlearning reference) and the four shipped unlearned models (`lm.load_unlearned(name)` for
# `"gradient_ascent"`, `"gradient_difference"`, `"whp"`, `"rmu"`). You will
# 1. compute the generic targets of Who's Harry Potter (Eldan & Russinovich 2023) from two sets of logits,
# 2. replace anchored terms in a text and mark where they were,
# 3. compute TOFU's truth ratio (Maini et al. 2024) from the model, for answers of any length,
# 4. summarise truth ratios as TOFU's forget score and its forget quality (a KS test),
# 5. measure how far forgetting reaches (friends, composition, the pet) against the retrained model,
# 6. decide, in a short written answer, which methods removed and which only suppressed (by the
#    probes used here).
#
# Useful pieces of `unlearnkit.lm`: `lm.question_text(world, person, relation, template=0)`,
# `world.answer(person, relation)`, `world.values(relation)`, `world.people[i].name`,
# `world.people[i].friend`, `world.forget`, `world.retain`, `tok.encode(text, bos=True)`,
# `lm.score_candidates(model, tok, prompts, candidates)` (log-likelihoods in nats, a
# `(n_prompts, n_candidates)` tensor) and `lm.qa_accuracy(model, tok, world, people, relation)`. Each
# task says which library function it mirrors; the tests switch that function off while your
# function runs, so calling it fails the test.
#
# Points: 3 + 3 + 4 + 3 + 4 autograded, 4 written. Everything runs in seconds; nothing is trained.

# %% nbg="setup:setup"
import os
import warnings
from contextlib import ExitStack, contextmanager

os.environ["TQDM_DISABLE"] = "1"
warnings.filterwarnings("ignore")

from unittest import mock

import numpy as np
import torch
from scipy import stats

from unlearnkit import lm

SEED = 0
torch.manual_seed(SEED)
torch.set_num_threads(1)  # small models: one thread is as fast, and steady on a busy machine
full, world, tok = lm.load_lm("full")
retrained, _, _ = lm.load_lm("retrained")
METHODS = ("gradient_ascent", "gradient_difference", "whp", "rmu")
unlearned = {m: lm.load_unlearned(m)[0] for m in METHODS}
NAME = {p: world.people[p].name for p in range(len(world.people))}
F = list(world.forget)
print(
    f"{len(world.people)} people, forget set {len(world.forget)},",
    f"unlearned models: {', '.join(METHODS)}",
)


@contextmanager
def switched_off(module, *names):
    """While the block runs, calling module.<name> raises, for each of names."""
    with ExitStack() as stack:
        for name in names:
            error = AssertionError(f"this task asks you not to call {module.__name__}.{name}")
            stack.enter_context(mock.patch.object(module, name, side_effect=error))
        yield


# %% [markdown] nbg="locked:task1_md"
# ## Task 1 (3 points): the generic targets of Who's Harry Potter
#
# WHP trains a *reinforced* model further on the text to forget, then asks, at every position, which
# next token a model that never knew the text would predict. Its generic logits are
#
# $$v_{\text{generic}} = v_{\text{base}} - \alpha\,\mathrm{ReLU}(v_{\text{reinforced}} - v_{\text{base}}),$$
#
# so a token the reinforced model likes *more* than the baseline is pushed down, in proportion, and
# every other logit is kept. Here the generic target is the token with the highest generic logit
# (WHP fine-tunes on such per-token labels; whether the paper uses the argmax or the whole
# distribution is not confirmed).
#
# Write `generic_targets(v_base, v_reinforced, alpha)`. `v_base` and `v_reinforced` are float tensors
# of the same shape `(..., vocabulary)` (any number of leading dimensions); `alpha` is a number.
# Return `(labels, changed)`: `labels`, an int64 tensor of shape `v_base.shape[:-1]`, the index of
# the largest generic logit at each position; `changed`, a bool tensor of the same shape, True where
# that label differs from the baseline's own choice (`v_base`'s largest logit).
#
# Raise `ValueError` if the shapes differ or `alpha < 0`. Do not change the tensors you are given.
# This task mirrors `lm.unlearning.whp_generic_logits`; do not call it or
# `lm.unlearning.whp_generic_labels`.


# %% nbg="answer:generic_targets"
def generic_targets(v_base, v_reinforced, alpha):
    """Return (generic labels, where they differ from the baseline's argmax)."""
    ### BEGIN SOLUTION
    if v_base.shape != v_reinforced.shape:
        raise ValueError(
            f"v_base and v_reinforced must have the same shape, got {tuple(v_base.shape)} "
            f"and {tuple(v_reinforced.shape)}"
        )
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    generic = v_base - alpha * torch.relu(v_reinforced - v_base)
    labels = generic.argmax(-1)
    return labels, labels != v_base.argmax(-1)
    ### END SOLUTION


# %% nbg="wrong:generic_targets:plus_alpha"
# trap: the sign of the alpha term: the tokens tied to the text are pushed up, not down
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    labels = (v_base + alpha * torch.relu(v_reinforced - v_base)).argmax(-1)
    return labels, labels != v_base.argmax(-1)


# %% nbg="wrong:generic_targets:no_relu"
# trap: ReLU forgotten: tokens the reinforced model likes less get boosted
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    labels = (v_base - alpha * (v_reinforced - v_base)).argmax(-1)
    return labels, labels != v_base.argmax(-1)


# %% nbg="wrong:generic_targets:relu_of_reversed_difference"
# trap: ReLU(v_base - v_reinforced): the difference taken the wrong way round
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    labels = (v_base - alpha * torch.relu(v_base - v_reinforced)).argmax(-1)
    return labels, labels != v_base.argmax(-1)


# %% nbg="wrong:generic_targets:changed_against_reinforced"
# trap: "changed" compared with the reinforced model's choice instead of the baseline's
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    labels = (v_base - alpha * torch.relu(v_reinforced - v_base)).argmax(-1)
    return labels, labels != v_reinforced.argmax(-1)


# %% nbg="wrong:generic_targets:on_probabilities"
# trap: the formula applied to probabilities (softmax first) instead of logits
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    pb, pr = torch.softmax(v_base, -1), torch.softmax(v_reinforced, -1)
    labels = (pb - alpha * torch.relu(pr - pb)).argmax(-1)
    return labels, labels != v_base.argmax(-1)


# %% nbg="wrong:generic_targets:in_place"
# trap: subtracts in place: the caller's v_base is changed, and so is the baseline's choice
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    v_base -= alpha * torch.relu(v_reinforced - v_base)
    labels = v_base.argmax(-1)
    return labels, labels != v_base.argmax(-1)


# %% nbg="wrong:generic_targets:no_checks"
# trap: no checks: a negative alpha or broadcastable shapes go through silently
def generic_targets(v_base, v_reinforced, alpha):
    labels = (v_base - alpha * torch.relu(v_reinforced - v_base)).argmax(-1)
    return labels, labels != v_base.argmax(-1)


# %% nbg="wrong:generic_targets:argmax_first_dimension"
# trap: argmax over dimension 0: right only for a single vector of logits
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    labels = (v_base - alpha * torch.relu(v_reinforced - v_base)).argmax(0)
    return labels, labels != v_base.argmax(0)


# %% nbg="wrong:generic_targets:cast_to_float32"
# trap: a silent cast to float32: logits of float64 input that differ by less than float32 resolves
# become ties, and the label at a near-tie can change
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha < 0:
        raise ValueError("bad input")
    b, r = v_base.float(), v_reinforced.float()
    labels = (b - alpha * torch.relu(r - b)).argmax(-1)
    return labels, labels != b.argmax(-1)


# %% nbg="wrong:generic_targets:refuses_alpha_zero"
# trap: alpha = 0 (the baseline itself) refused: the task allows any alpha >= 0
def generic_targets(v_base, v_reinforced, alpha):
    if v_base.shape != v_reinforced.shape or alpha <= 0:
        raise ValueError("bad input")
    labels = (v_base - alpha * torch.relu(v_reinforced - v_base)).argmax(-1)
    return labels, labels != v_base.argmax(-1)


# %% nbg="alt:generic_targets:where"
def generic_targets(v_base, v_reinforced, alpha):
    if tuple(v_base.shape) != tuple(v_reinforced.shape):
        raise ValueError("shapes differ")
    if not alpha >= 0:
        raise ValueError("alpha must be >= 0")
    diff = v_reinforced - v_base
    generic = torch.where(diff > 0, v_base - alpha * diff, v_base)
    labels = torch.max(generic, dim=-1).indices
    base = torch.max(v_base, dim=-1).indices
    return labels.long(), labels.ne(base)


# %% nbg="alt:generic_targets:numpy"
def generic_targets(v_base, v_reinforced, alpha):
    b, r = v_base.detach().numpy(), v_reinforced.detach().numpy()
    if b.shape != r.shape:
        raise ValueError("v_base and v_reinforced: same shape needed")
    if alpha < 0:
        raise ValueError("negative alpha")
    labels = np.argmax(b - alpha * np.clip(r - b, 0, None), axis=-1)
    return torch.from_numpy(labels).to(torch.int64), torch.from_numpy(labels != b.argmax(-1))


# %% nbg="twin:generic_targets:fails"
# the library twin: lm.unlearning.whp_generic_logits's body, renamed (it returns the generic logits)
def generic_targets(v_base, v_reinforced, alpha):
    if not (torch.is_tensor(v_base) and torch.is_tensor(v_reinforced)):
        raise TypeError("v_base and v_reinforced must be tensors")
    if v_base.shape != v_reinforced.shape:
        raise ValueError("v_base and v_reinforced must have the same shape")
    if alpha < 0:
        raise ValueError("alpha must be >= 0")
    return v_base - alpha * torch.relu(v_reinforced - v_base)


# %% nbg="tests:test_generic_targets:3"
WHP_OFF = ("whp_generic_logits", "whp_generic_labels")


def ref_targets(vb, vr, alpha):  # the formula, written out in the test
    labels = (vb - alpha * torch.clamp(vr - vb, min=0)).argmax(-1)
    return labels, labels != vb.argmax(-1)


def check_targets(got, vb, vr, alpha, what):
    assert isinstance(got, tuple) and len(got) == 2, (
        f"{what}: return (labels, changed), got {type(got)}"
    )
    labels, changed = got
    want_l, want_c = ref_targets(vb, vr, alpha)
    assert torch.is_tensor(labels) and labels.dtype == torch.int64, (
        f"{what}: labels must be an int64 tensor"
    )
    assert torch.is_tensor(changed) and changed.dtype == torch.bool, (
        f"{what}: changed must be a bool tensor"
    )
    assert labels.shape == want_l.shape, (
        f"{what}: labels shape {tuple(labels.shape)}, want {tuple(want_l.shape)}"
    )
    assert torch.equal(labels, want_l), (
        f"{what}: labels {labels.tolist()}, expected {want_l.tolist()}"
    )
    assert torch.equal(changed, want_c), (
        f"{what}: changed {changed.tolist()}, expected {want_c.tolist()}"
    )


# row 0: the reinforced model likes token 0 more: 2 - 1.5 = 0.5 < 1, so token 1 wins (changed)
# row 1: only token 1 is liked more; token 2 stays the best (unchanged)
# row 2: the reinforced model likes token 2 LESS: nothing moves (ReLU), token 0 stays the best
vb = torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 0.9]])
vr = torch.tensor([[3.5, 1.0, 0.5], [0.0, 2.0, 3.0], [1.0, 0.0, 0.0]])
keep = (vb.clone(), vr.clone())
with switched_off(lm.unlearning, *WHP_OFF):
    got = generic_targets(vb, vr, 1.0)
assert torch.equal(vb, keep[0]) and torch.equal(vr, keep[1]), (
    "do not change the tensors you are given"
)
check_targets(got, keep[0], keep[1], 1.0, "three hand-made rows, alpha = 1")
# the retrained model as the baseline, the full model (which knows the forget people) as reinforced
ids = torch.tensor([tok.encode(lm.question_text(world, p, "city"), bos=True) for p in world.forget])
with torch.no_grad():
    v_b, v_r = retrained(ids)[:, -1], full(ids)[:, -1]
with switched_off(lm.unlearning, *WHP_OFF):
    got = generic_targets(v_b, v_r, 1.0)
check_targets(got, v_b, v_r, 1.0, "next-token logits after the 20 forget city questions")
truth = torch.tensor([tok.encode(world.answer(p, "city"))[0] for p in world.forget])
print(
    "visible tests passed: three hand-made rows, and the 20 forget city questions (baseline: "
    f"retrained, reinforced: full): the generic target differs from the baseline's at "
    f"{int(got[1].sum())} of 20 positions and is the true city at {int((got[0] == truth).sum())}"
)
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(6)
for shape, alpha in [((2, 5, 30), 0.5), ((4, 7), 3.0), ((3, 2, 2, 11), 1.0)]:
    b, r = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    kb, kr = b.clone(), r.clone()
    with switched_off(lm.unlearning, *WHP_OFF):
        got = generic_targets(b, r, alpha)
    assert torch.equal(b, kb) and torch.equal(r, kr), "do not change the tensors you are given"
    check_targets(got, kb, kr, alpha, f"random logits {shape}, alpha {alpha}")
b64, r64 = (
    torch.randn(6, 9, generator=g, dtype=torch.float64),
    torch.randn(6, 9, generator=g, dtype=torch.float64),
)
with switched_off(lm.unlearning, *WHP_OFF):
    got = generic_targets(b64, r64, 2.0)
check_targets(got, b64, r64, 2.0, "float64 logits")
# float64 near-ties: the logits differ by 1e-12, below what float32 resolves; the reinforced model
# likes token 0 more in row 0 (pushed down), and nothing in row 1 (the baseline's choice, token 1)
nb64 = torch.tensor([[1.0, 1.0 - 1e-12, 0.0], [1.0, 1.0 + 1e-12, 0.0]], dtype=torch.float64)
nr64 = nb64 + torch.tensor([[1e-12, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
with switched_off(lm.unlearning, *WHP_OFF):
    got = generic_targets(nb64, nr64, 2.0)
check_targets(got, nb64, nr64, 2.0, "float64 logits 1e-12 apart (keep the input's precision)")
try:
    with switched_off(lm.unlearning, *WHP_OFF):
        got = generic_targets(v_b, v_r, 0.0)
except ValueError as e:
    raise AssertionError(f"alpha = 0 must be accepted (only alpha < 0 is refused), got: {e}")
check_targets(got, v_b, v_r, 0.0, "alpha = 0 (the baseline itself)")
assert not got[1].any(), "alpha = 0: no label changes"
for args in [(vb, vr, -0.5), (vb, vr[:, :2], 1.0), (vb[:1], vr, 1.0)]:
    try:
        with switched_off(lm.unlearning, *WHP_OFF):
            generic_targets(*args)
        raised = False
    except ValueError:
        raised = True
    assert raised, "a negative alpha or shapes that differ: expected ValueError"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task2_md"
# ## Task 2 (3 points): anchored terms, replaced and marked
#
# In our version of WHP, the baseline reads a *translated* text in which anchored terms (here:
# people's names) are replaced by generic ones with the same number of words, so every word keeps
# its position and the baseline's predictions on the translation can label the original (the
# paper's generic translations may change the length; it aligns the tokens instead). We also leave
# positions inside a replaced term out of training.
#
# Write `anchor_replace(text, mapping)`. Split `text` into words with `text.split()` (any run of
# spaces, tabs or newlines separates two words); `mapping` maps a term (one or more words, e.g.
# `"tamsin thistle"`) to its generic replacement. Scan the words from left to right: where one or
# more terms start at the current word, as **whole words** (compared exactly: `"Tamsin"` is not
# `"tamsin"`), the term with the **most words** wins; write its replacement's words, mark those
# positions, and go on after the term (a replaced word is never looked at again, so a replacement is
# never itself replaced). Every other word is kept exactly as it is. Return `(translated, anchored)`:
# the translated words joined by single spaces, and a list of bools, one per word, True at the words
# that were replaced.
#
# Raise `ValueError` if any term of `mapping` is empty or its replacement has a different number of
# words, before doing anything else: whether or not that term occurs in `text`, and also when `text`
# is empty. Do not change `mapping`. This task mirrors
# `lm.unlearning.anchored_replacement` (which handles names that do not overlap and marks nothing);
# do not call it.


# %% nbg="answer:anchor_replace"
def anchor_replace(text, mapping):
    """Return (the translated text, one bool per word: was it replaced?)."""
    ### BEGIN SOLUTION
    terms = {}
    for term, generic in mapping.items():
        a, b = term.split(), generic.split()
        if not a:
            raise ValueError("a term of mapping is empty")
        if len(a) != len(b):
            raise ValueError(
                f"the replacement of {term!r} must have {len(a)} words, got {generic!r}"
            )
        terms[tuple(a)] = b
    order = sorted(terms, key=len, reverse=True)  # longest first
    words = text.split()
    out, anchored, i = [], [], 0
    while i < len(words):
        hit = next((t for t in order if tuple(words[i : i + len(t)]) == t), None)
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            out += terms[hit]
            anchored += [True] * len(hit)
            i += len(hit)
    return " ".join(out), anchored
    ### END SOLUTION


# %% nbg="wrong:anchor_replace:substring_replace"
# trap: str.replace also replaces inside longer words
def anchor_replace(text, mapping):
    for k, v in mapping.items():
        if not k.split() or len(k.split()) != len(v.split()):
            raise ValueError("bad mapping")
    out = " ".join(text.split())
    for k in sorted(mapping, key=lambda k: len(k.split()), reverse=True):
        out = out.replace(k, mapping[k])
    anchored = [a != b for a, b in zip(text.split(), out.split())]
    return out, anchored


# %% nbg="wrong:anchor_replace:mapping_order"
# trap: terms tried in the mapping's order, not the longest first
def anchor_replace(text, mapping):
    for k, v in mapping.items():
        if not k.split() or len(k.split()) != len(v.split()):
            raise ValueError("bad mapping")
    words, out, anchored, i = text.split(), [], [], 0
    while i < len(words):
        hit = next((k.split() for k in mapping if words[i : i + len(k.split())] == k.split()), None)
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            out += mapping[" ".join(hit)].split()
            anchored += [True] * len(hit)
            i += len(hit)
    return " ".join(out), anchored


# %% nbg="wrong:anchor_replace:one_term_after_another"
# trap: replaces one term after the other over the whole text: a replacement can be replaced again
def anchor_replace(text, mapping):
    for k, v in mapping.items():
        if not k.split() or len(k.split()) != len(v.split()):
            raise ValueError("bad mapping")
    words = text.split()
    anchored = [False] * len(words)
    for k in sorted(mapping, key=lambda k: len(k.split()), reverse=True):
        a, b = k.split(), mapping[k].split()
        for i in range(len(words) - len(a) + 1):
            if words[i : i + len(a)] == a:
                words[i : i + len(a)] = b
                anchored[i : i + len(a)] = [True] * len(a)
    return " ".join(words), anchored


# %% nbg="wrong:anchor_replace:no_length_check"
# trap: no check that a replacement has as many words as its term
def anchor_replace(text, mapping):
    words, out, anchored, i = text.split(), [], [], 0
    order = sorted(mapping, key=lambda k: len(k.split()), reverse=True)
    while i < len(words):
        hit = next((k for k in order if words[i : i + len(k.split())] == k.split()), None)
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            n = len(hit.split())
            out += mapping[hit].split()
            anchored += [True] * n
            i += n
    return " ".join(out), anchored


# %% nbg="wrong:anchor_replace:marks_first_word_only"
# trap: only the first word of a replaced term is marked
def anchor_replace(text, mapping):
    for k, v in mapping.items():
        if not k.split() or len(k.split()) != len(v.split()):
            raise ValueError("bad mapping")
    words, out, anchored, i = text.split(), [], [], 0
    order = sorted(mapping, key=lambda k: len(k.split()), reverse=True)
    while i < len(words):
        hit = next((k for k in order if words[i : i + len(k.split())] == k.split()), None)
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            n = len(hit.split())
            out += mapping[hit].split()
            anchored += [True] + [False] * (n - 1)
            i += n
    return " ".join(out), anchored


# %% nbg="wrong:anchor_replace:marks_every_word_of_a_term"
# trap: marks every word that occurs in some term (a first name alone too)
def anchor_replace(text, mapping):
    for k, v in mapping.items():
        if not k.split() or len(k.split()) != len(v.split()):
            raise ValueError("bad mapping")
    words, out, i = text.split(), [], 0
    order = sorted(mapping, key=lambda k: len(k.split()), reverse=True)
    while i < len(words):
        hit = next((k for k in order if words[i : i + len(k.split())] == k.split()), None)
        if hit is None:
            out.append(words[i])
            i += 1
        else:
            out += mapping[hit].split()
            i += len(hit.split())
    vocab = {w for k in mapping for w in k.split()}
    return " ".join(out), [w in vocab for w in words]


# %% nbg="wrong:anchor_replace:checks_while_scanning"
# trap: a bad replacement is found only when its term occurs in the text
def anchor_replace(text, mapping):
    words, out, anchored, i = text.split(), [], [], 0
    order = sorted(mapping, key=lambda k: len(k.split()), reverse=True)
    while i < len(words):
        hit = next(
            (k for k in order if k.split() and words[i : i + len(k.split())] == k.split()), None
        )
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            n = len(hit.split())
            if len(mapping[hit].split()) != n:
                raise ValueError("replacement length")
            out += mapping[hit].split()
            anchored += [True] * n
            i += n
    return " ".join(out), anchored


# %% nbg="wrong:anchor_replace:split_on_single_spaces"
# trap: text.split(" ") instead of text.split(): a double space or a newline glues or splits words
def anchor_replace(text, mapping):
    for k, v in mapping.items():
        if not k.split() or len(k.split()) != len(v.split()):
            raise ValueError("bad mapping")
    terms = {tuple(k.split()): v.split() for k, v in mapping.items()}
    order = sorted(terms, key=len, reverse=True)
    words, out, anchored, i = text.split(" "), [], [], 0
    while i < len(words):
        hit = next((t for t in order if tuple(words[i : i + len(t)]) == t), None)
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            out += terms[hit]
            anchored += [True] * len(hit)
            i += len(hit)
    return " ".join(out), anchored


# %% nbg="wrong:anchor_replace:checks_each_term_when_tried"
# trap: a term is checked only when it is compared with the text: a term never tried (the text is
# empty, or a longer term matched first) goes through unchecked
def anchor_replace(text, mapping):
    order = sorted(mapping, key=lambda k: len(k.split()), reverse=True)
    words, out, anchored, i = text.split(), [], [], 0
    while i < len(words):
        hit = None
        for k in order:
            if not k.split() or len(k.split()) != len(mapping[k].split()):
                raise ValueError("bad mapping")
            if words[i : i + len(k.split())] == k.split():
                hit = k
                break
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            out += mapping[hit].split()
            anchored += [True] * len(hit.split())
            i += len(hit.split())
    return " ".join(out), anchored


# %% nbg="wrong:anchor_replace:lower_cases"
# trap: lower-cases the text first: words that differ from a term only in case are replaced, and the
# words kept come back changed
def anchor_replace(text, mapping):
    for k, v in mapping.items():
        if not k.split() or len(k.split()) != len(v.split()):
            raise ValueError("bad mapping")
    terms = {tuple(k.lower().split()): v.split() for k, v in mapping.items()}
    order = sorted(terms, key=len, reverse=True)
    words, out, anchored, i = text.lower().split(), [], [], 0
    while i < len(words):
        hit = next((t for t in order if tuple(words[i : i + len(t)]) == t), None)
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            out += terms[hit]
            anchored += [True] * len(hit)
            i += len(hit)
    return " ".join(out), anchored


# %% nbg="alt:anchor_replace:regex"
import re


def anchor_replace(text, mapping):
    for term, generic in mapping.items():
        if len(term.split()) == 0 or len(term.split()) != len(generic.split()):
            raise ValueError(f"bad term or replacement: {term!r} -> {generic!r}")
    norm = {" ".join(t.split()): " ".join(g.split()) for t, g in mapping.items()}
    text = " ".join(text.split())
    if not norm:
        return text, [False] * len(text.split())
    terms = sorted(norm, key=lambda t: len(t.split()), reverse=True)
    pattern = re.compile("(?<!\\S)(?:" + "|".join(map(re.escape, terms)) + ")(?!\\S)")
    anchored = [False] * len(text.split())

    def swap(m):
        start = len(text[: m.start()].split())
        for j in range(start, start + len(m.group(0).split())):
            anchored[j] = True
        return norm[m.group(0)]

    return pattern.sub(swap, text), anchored


# %% nbg="alt:anchor_replace:by_length_then_position"
def anchor_replace(text, mapping):
    pairs = []
    for term, generic in mapping.items():
        t, g = term.split(), generic.split()
        if len(t) < 1 or len(t) != len(g):
            raise ValueError("term and replacement must have the same number (>= 1) of words")
        pairs.append((t, g))
    words = text.split()
    result, marks = [], []
    pos = 0
    while pos < len(words):
        best = None
        for t, g in pairs:
            if words[pos : pos + len(t)] == t and (best is None or len(t) > len(best[0])):
                best = (t, g)
        if best:
            result.extend(best[1])
            marks.extend([True] * len(best[0]))
            pos += len(best[0])
        else:
            result.append(words[pos])
            marks.append(False)
            pos += 1
    return " ".join(result), marks


# %% nbg="alt:anchor_replace:longest_in_characters"
# terms that start at the same word and both match: the one with more words is also the longer
# string, so sorting by characters picks the same term as sorting by words
def anchor_replace(text, mapping):
    for term, generic in mapping.items():
        if not term.split() or len(term.split()) != len(generic.split()):
            raise ValueError(f"bad term or replacement: {term!r} -> {generic!r}")
    order = sorted(mapping, key=lambda t: len(" ".join(t.split())), reverse=True)
    words, out, anchored, i = text.split(), [], [], 0
    while i < len(words):
        hit = next((t for t in order if words[i : i + len(t.split())] == t.split()), None)
        if hit is None:
            out.append(words[i])
            anchored.append(False)
            i += 1
        else:
            out += mapping[hit].split()
            anchored += [True] * len(hit.split())
            i += len(hit.split())
    return " ".join(out), anchored


# %% nbg="twin:anchor_replace:fails"
# the library twin: lm.unlearning.anchored_replacement's body, renamed (returns the text only)
def anchor_replace(text, mapping):
    words = text.split()
    out = list(words)
    for name, generic in mapping.items():
        a, b = name.split(), generic.split()
        if len(a) != len(b):
            raise ValueError(
                f"the replacement of {name!r} must have {len(a)} words, got {generic!r}"
            )
        i = 0
        while i <= len(words) - len(a):
            if words[i : i + len(a)] == a:
                out[i : i + len(a)] = b
                i += len(a)
            else:
                i += 1
    return " ".join(out)


# %% nbg="tests:test_anchor_replace:3"
def check_anchor(text, mapping, want_text, want_marks, what):
    kept = dict(mapping)
    with switched_off(lm.unlearning, "anchored_replacement"):
        got = anchor_replace(text, mapping)
    assert mapping == kept, f"{what}: do not change mapping"
    assert isinstance(got, tuple) and len(got) == 2, (
        f"{what}: return (translated, anchored), got {got!r}"
    )
    assert got[0] == want_text, f"{what}:\n  got      {got[0]!r}\n  expected {want_text!r}"
    assert list(got[1]) == want_marks, f"{what}: anchored {list(got[1])}, expected {want_marks}"
    assert all(isinstance(m, bool) for m in got[1]), f"{what}: anchored must hold Python bools"


a, b = NAME[world.forget[0]], NAME[world.forget[1]]  # two forget people
fresh = world.fresh_names[0]
first = a.split()[0]
text = (
    f"{a} lives in {world.answer(world.forget[0], 'city')} . {a}s is not {a} , but {first} is {b} ."
)
want = text.replace(f"{a} lives", f"{fresh} lives").replace(f"not {a} ,", f"not {fresh} ,")
marks = [w in (0, 1, 10, 11) for w in range(len(text.split()))]
check_anchor(text, {a: fresh}, want, marks, "one name, whole words only")
check_anchor(
    f"{a} met {first} .",
    {first: "alden", a: "quill yarrow"},
    "quill yarrow met alden .",
    [True, True, False, True, False],
    "a first name and a full name: the longest term wins",
)
try:
    with switched_off(lm.unlearning, "anchored_replacement"):
        anchor_replace(text, {a: "nobody"})
    raised = False
except ValueError:
    raised = True
assert raised, "a replacement with another number of words than its term: expected ValueError"
print(
    f"visible tests passed: whole words only ({a + 's'!r} is not {a!r}), the longest term first, "
    "the words replaced marked, and a replacement of the wrong length refused"
)
### BEGIN HIDDEN TESTS
c = NAME[world.forget[2]]
check_anchor(
    f"{a} and {b} .",
    {a: b, b: c},
    f"{b} and {c} .",
    [True, True, False, True, True, False],
    "a replacement that is itself a term is not replaced again",
)
check_anchor(
    f"{b} {a}",
    {first: "alden", b: c, a: fresh},
    f"{c} {fresh}",
    [True] * 4,
    "two names side by side, the last at the end of the text",
)
check_anchor(
    "where does nobody live ?",
    {a: fresh},
    "where does nobody live ?",
    [False] * 5,
    "no term in the text",
)
check_anchor(
    f"{a} x {a} .",
    {f"{a} x": "p q r", a: fresh},
    f"p q r {fresh} .",
    [True, True, True, True, True, False],
    "a three-word term wins over the name it starts with",
)
check_anchor(
    f"{first} {first} .", {}, f"{first} {first} .", [False, False, False], "an empty mapping"
)
for bad in [{"": ""}, {a: fresh, b: "one"}, {b: "one", a: fresh}]:
    try:
        with switched_off(lm.unlearning, "anchored_replacement"):
            anchor_replace("where does nobody live ?", bad)
        raised = False
    except ValueError:
        raised = True
    assert raised, f"{bad}: an empty term or a replacement of the wrong length: expected ValueError"
check_anchor(
    f"{a}  lives\nin\t{b} .",
    {a: fresh, b: c},
    f"{fresh} lives in {c} .",
    [True, True, False, False, True, True, False],
    "words separated by two spaces, a newline and a tab (text.split())",
)
upper = a.split()[0].capitalize()
check_anchor(
    f"{upper} met {first} .",
    {first: "quill"},
    f"{upper} met quill .",
    [False, False, True, False],
    "a capitalised word is not the term, and is kept as it is",
)
for text_, bad in [(a, {a: fresh, "c": "p q"}), ("", {"c": "p q"}), (a, {a: fresh, "": ""})]:
    try:
        with switched_off(lm.unlearning, "anchored_replacement"):
            anchor_replace(text_, bad)
        raised = False
    except ValueError:
        raised = True
    assert raised, (
        f"anchor_replace({text_!r}, {bad}): a bad term must raise ValueError before anything else, "
        "even when that term is never compared with the text (or the text is empty)"
    )
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task3_md"
# ## Task 3 (4 points): the truth ratio, for answers of any length
#
# TOFU compares how likely a model finds the (paraphrased) true answer with how likely it finds
# perturbed (wrong) answers; we keep the true answer and use the question as asked. With $\ell$ the log-likelihood (nats) of an answer's tokens after `<bos>` and the question,
# and $|a|$ its number of tokens, the truth ratio of one question with $k$ perturbed answers is
#
# $$R = \exp\Big(\frac{1}{k}\sum_{j=1}^{k} \frac{\ell(\tilde a_j)}{|\tilde a_j|} - \frac{\ell(a)}{|a|}\Big),$$
#
# the **geometric** mean of the perturbed answers' per-token probabilities over the true answer's,
# as TOFU's evaluation code computes it (the rule of this task; an arithmetic mean of the
# probabilities is a different number): $R < 1$ when the model prefers the truth, $R \approx 1$ when
# it cannot tell.
#
# Write `truth_ratios_of(model, tokenizer, prompts, truths, perturbed)`: `prompts` a list of $n$
# questions (str), `truths` $n$ true answers (str, one or more words), `perturbed` $n$ lists of wrong
# answers (each list non-empty; the lists may differ in length and their answers in number of words).
# Return a float64 numpy array of the $n$ ratios. Every word is one token, and
# `lm.score_candidates(model, tokenizer, [prompt], answers)` gives the log-likelihoods you need (it
# puts `<bos>` first). Raise `ValueError` if the three lists differ in length or a list of perturbed
# answers is empty. This task mirrors `lm.tofu.truth_ratio` and `lm.tofu.truth_ratios`; do not call them.


# %% nbg="answer:truth_ratios_of"
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    """Return the truth ratio of each question, a float64 array (n,)."""
    ### BEGIN SOLUTION
    if not len(prompts) == len(truths) == len(perturbed):
        raise ValueError("prompts, truths and perturbed must have the same length")
    if any(len(p) == 0 for p in perturbed):
        raise ValueError("every list of perturbed answers must be non-empty")
    out = np.empty(len(prompts), dtype=np.float64)
    for i, (prompt, truth, wrong) in enumerate(zip(prompts, truths, perturbed)):
        answers = [truth] + list(wrong)
        ll = lm.score_candidates(model, tokenizer, [prompt], answers)[0].double().numpy()
        per_token = ll / np.array([len(a.split()) for a in answers])
        out[i] = np.exp(per_token[1:].mean() - per_token[0])
    return out
    ### END SOLUTION


# %% nbg="wrong:truth_ratios_of:no_length_normalisation"
# trap: summed log-likelihoods, not per token: a two-word answer looks far less likely
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not len(prompts) == len(truths) == len(perturbed) or any(len(p) == 0 for p in perturbed):
        raise ValueError("bad input")
    out = []
    for prompt, truth, wrong in zip(prompts, truths, perturbed):
        ll = (
            lm.score_candidates(model, tokenizer, [prompt], [truth] + list(wrong))[0]
            .double()
            .numpy()
        )
        out.append(np.exp(ll[1:].mean() - ll[0]))
    return np.array(out, dtype=np.float64)


# %% nbg="wrong:truth_ratios_of:inverted"
# trap: the ratio upside down: true over perturbed
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not len(prompts) == len(truths) == len(perturbed) or any(len(p) == 0 for p in perturbed):
        raise ValueError("bad input")
    out = []
    for prompt, truth, wrong in zip(prompts, truths, perturbed):
        answers = [truth] + list(wrong)
        ll = lm.score_candidates(model, tokenizer, [prompt], answers)[0].double().numpy()
        ll = ll / np.array([len(a.split()) for a in answers])
        out.append(np.exp(ll[0] - ll[1:].mean()))
    return np.array(out, dtype=np.float64)


# %% nbg="wrong:truth_ratios_of:arithmetic_mean_of_probabilities"
# trap: the arithmetic mean of the perturbed probabilities instead of the geometric mean
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not len(prompts) == len(truths) == len(perturbed) or any(len(p) == 0 for p in perturbed):
        raise ValueError("bad input")
    out = []
    for prompt, truth, wrong in zip(prompts, truths, perturbed):
        answers = [truth] + list(wrong)
        ll = lm.score_candidates(model, tokenizer, [prompt], answers)[0].double().numpy()
        p = np.exp(ll / np.array([len(a.split()) for a in answers]))
        out.append(p[1:].mean() / p[0])
    return np.array(out, dtype=np.float64)


# %% nbg="wrong:truth_ratios_of:normalised_by_mean_length"
# trap: the perturbed log-likelihoods averaged first, then divided by their mean length
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not len(prompts) == len(truths) == len(perturbed) or any(len(p) == 0 for p in perturbed):
        raise ValueError("bad input")
    out = []
    for prompt, truth, wrong in zip(prompts, truths, perturbed):
        ll = (
            lm.score_candidates(model, tokenizer, [prompt], [truth] + list(wrong))[0]
            .double()
            .numpy()
        )
        lens = np.array([len(a.split()) for a in wrong])
        out.append(np.exp(ll[1:].mean() / lens.mean() - ll[0] / len(truth.split())))
    return np.array(out, dtype=np.float64)


# %% nbg="wrong:truth_ratios_of:normalised_by_characters"
# trap: the length counted in characters, not tokens
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not len(prompts) == len(truths) == len(perturbed) or any(len(p) == 0 for p in perturbed):
        raise ValueError("bad input")
    out = []
    for prompt, truth, wrong in zip(prompts, truths, perturbed):
        answers = [truth] + list(wrong)
        ll = lm.score_candidates(model, tokenizer, [prompt], answers)[0].double().numpy()
        ll = ll / np.array([len(a) for a in answers])
        out.append(np.exp(ll[1:].mean() - ll[0]))
    return np.array(out, dtype=np.float64)


# %% nbg="wrong:truth_ratios_of:first_row_perturbations_for_all"
# trap: one shared candidate list (the first question's perturbations) for every question
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not len(prompts) == len(truths) == len(perturbed) or any(len(p) == 0 for p in perturbed):
        raise ValueError("bad input")
    out = []
    for prompt, truth in zip(prompts, truths):
        answers = [truth] + list(perturbed[0])
        ll = lm.score_candidates(model, tokenizer, [prompt], answers)[0].double().numpy()
        ll = ll / np.array([len(a.split()) for a in answers])
        out.append(np.exp(ll[1:].mean() - ll[0]))
    return np.array(out, dtype=np.float64)


# %% nbg="wrong:truth_ratios_of:without_bos"
# trap: the answer scored after the question without <bos> first
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not len(prompts) == len(truths) == len(perturbed) or any(len(p) == 0 for p in perturbed):
        raise ValueError("bad input")
    out = []
    for prompt, truth, wrong in zip(prompts, truths, perturbed):
        q = tokenizer.encode(prompt)
        per = []
        for a in [truth] + list(wrong):
            s = q + tokenizer.encode(a)
            seq = torch.tensor([s])
            with torch.no_grad():
                logp = torch.log_softmax(model(seq[:, :-1])[0].double(), -1)
            per.append(
                sum(float(logp[t - 1, s[t]]) for t in range(len(q), len(s))) / (len(s) - len(q))
            )
        out.append(np.exp(np.mean(per[1:]) - per[0]))
    return np.array(out, dtype=np.float64)


# %% nbg="alt:truth_ratios_of:sequence_log_likelihood"
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if len(prompts) != len(truths) or len(truths) != len(perturbed):
        raise ValueError("one truth and one list of perturbed answers per prompt")
    if min(len(p) for p in perturbed) == 0:
        raise ValueError("empty list of perturbed answers")
    ratios = []
    for prompt, truth, wrong in zip(prompts, truths, perturbed):
        q = tokenizer.encode(prompt, bos=True)
        answers = [tokenizer.encode(a) for a in [truth, *wrong]]
        ll = lm.sequence_log_likelihood(model, [q + a for a in answers], [len(q)] * len(answers))
        mean_ll = [float(x) / len(a) for x, a in zip(ll, answers)]
        ratios.append(np.exp(sum(mean_ll[1:]) / len(wrong) - mean_ll[0]))
    return np.asarray(ratios, dtype=np.float64)


# %% nbg="alt:truth_ratios_of:by_hand_forward"
def truth_ratios_of(model, tokenizer, prompts, truths, perturbed):
    if not (len(prompts) == len(truths) == len(perturbed)):
        raise ValueError("lengths differ")
    if not all(perturbed):
        raise ValueError("a question without perturbed answers")

    def per_token(prompt, answer):
        p = tokenizer.encode(prompt, bos=True)
        s = p + tokenizer.encode(answer)
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([s]))[0].double(), dim=-1)
        return sum(float(logp[t - 1, s[t]]) for t in range(len(p), len(s))) / (len(s) - len(p))

    ratios = np.zeros(len(prompts))
    for i in range(len(prompts)):
        wrong = [per_token(prompts[i], w) for w in perturbed[i]]
        ratios[i] = np.exp(np.mean(wrong) - per_token(prompts[i], truths[i]))
    return ratios


# %% nbg="twin:truth_ratios_of:fails"
# the library twin: lm.tofu.truth_ratio's body, renamed (it takes log-likelihoods and lengths)
def truth_ratios_of(paraphrased_ll, paraphrased_len, perturbed_ll, perturbed_len):
    pll = np.asarray(paraphrased_ll, dtype=np.float64)
    qll = np.asarray(perturbed_ll, dtype=np.float64)
    if pll.ndim != 1 or qll.ndim != 2 or qll.shape[0] != pll.shape[0] or qll.shape[1] == 0:
        raise ValueError("paraphrased_ll must be (n,) and perturbed_ll (n, k >= 1)")
    plen = np.broadcast_to(np.asarray(paraphrased_len, dtype=np.float64), pll.shape)
    qlen = np.broadcast_to(np.asarray(perturbed_len, dtype=np.float64), qll.shape)
    return np.exp((qll / qlen).mean(1) - pll / plen)


# %% nbg="tests:test_truth_ratios_of:4"
def ref_ratios(model, prompts, truths, perturbed):  # per question, through the library's formula
    out = []
    for q, t, w in zip(prompts, truths, perturbed):
        ll = lm.score_candidates(model, tok, [q], [t] + list(w))[0].double().numpy()
        lens = np.array([len(a.split()) for a in [t] + list(w)], dtype=np.float64)
        out.append(lm.tofu.truth_ratio(ll[:1], lens[:1], ll[None, 1:], lens[None, 1:])[0])
    return np.array(out)


def check_ratios(model, prompts, truths, perturbed, what):
    args = (list(prompts), list(truths), [list(w) for w in perturbed])
    want = ref_ratios(model, prompts, truths, perturbed)
    with switched_off(lm.tofu, "truth_ratio", "truth_ratios"):
        got = truth_ratios_of(model, tok, *args)
    assert args == (list(prompts), list(truths), [list(w) for w in perturbed]), (
        f"{what}: do not change the lists"
    )
    assert isinstance(got, np.ndarray) and got.dtype == np.float64, (
        f"{what}: return a float64 numpy array"
    )
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    bad = ~np.isclose(got, want, rtol=1e-4, atol=0)
    assert not bad.any(), (
        f"{what}: question {int(np.flatnonzero(bad)[0])}: got {got[bad][0]:.6g}, "
        f"expected {want[bad][0]:.6g}"
    )
    return got


cities = list(world.values("city"))


def wrong_cities(p, k):  # the k cities after the true one, in world.values order
    i = cities.index(world.answer(p, "city"))
    return [cities[(i + j) % len(cities)] for j in range(1, k + 1)]


qs = [lm.question_text(world, p, "city", 1) for p in F[:6]]
r_city = check_ratios(
    full,
    qs,
    [world.answer(p, "city") for p in F[:6]],
    [wrong_cities(p, 3) for p in F[:6]],
    "the full model, 6 paraphrased city questions, 3 wrong cities each",
)
# a friend is a two-word answer; the perturbed answers here have one or two words
fq = [lm.question_text(world, p, "friend") for p in F[:3]]
f_true = [world.answer(p, "friend") for p in F[:3]]
f_wrong = [
    [NAME[F[5]], "unknown", world.answer(F[4], "city")],
    [NAME[F[6]], NAME[F[7]]],
    ["unknown"],
]
r_friend = check_ratios(
    retrained, fq, f_true, f_wrong, "friend questions, answers of one and two words"
)
print(
    "visible tests passed: 6 city questions to the full model",
    f"(R from {r_city.min():.2g} to {r_city.max():.2g}),",
    f"3 friend questions to the retrained model (R {np.round(r_friend, 2).tolist()})",
)
### BEGIN HIDDEN TESTS
jobs = list(world.values("job"))
jq = [lm.question_text(world, p, "job", 2) for p in F[4:14]]
jt = [world.answer(p, "job") for p in F[4:14]]
jw = [[j for j in jobs if j != t][: 1 + i % 5] for i, t in enumerate(jt)]
r_whp = check_ratios(
    unlearned["whp"], jq, jt, jw, "WHP's model, 10 job questions with 1 to 5 wrong jobs each"
)
mixed_w = [[world.answer(F[9], "city"), NAME[F[10]], "unknown", NAME[F[11]]], [NAME[F[12]]]]
r_rmu = check_ratios(
    unlearned["rmu"],
    fq[:2],
    f_true[:2],
    mixed_w,
    "RMU's model, friend questions, mixed wrong answers",
)
r_ga = check_ratios(
    unlearned["gradient_ascent"],
    [qs[0]],
    [f_true[0]],
    [["unknown", NAME[F[3]]]],
    "a two-word true answer after a city question",
)
for args in [
    (qs, qs[:2], [["a"]] * 6),
    (qs[:2], [world.answer(p, "city") for p in F[:2]], [["unknown"], []]),
    (qs[:2], ["unknown", "unknown"], [["unknown"]]),
]:
    try:
        with switched_off(lm.tofu, "truth_ratio", "truth_ratios"):
            truth_ratios_of(full, tok, *args)
        raised = False
    except ValueError:
        raised = True
    assert raised, (
        "lists of different lengths or an empty list of perturbed answers: expected ValueError"
    )
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task4_md"
# ## Task 4 (3 points): TOFU's forget score and forget quality
#
# Two summaries of the truth ratios $R_1, \dots, R_n$ of the forget questions:
# - the **forget truth-ratio score** $\frac{1}{n}\sum_i \min(R_i, 1/R_i)$: 1 when the model cannot
#   tell the truth from the perturbations (as a model that never learned it), near 0 when it knows
#   the truth (or is confidently wrong);
# - the **forget quality**: the p-value of the two-sample Kolmogorov-Smirnov test (two-sided,
#   `scipy.stats.ks_2samp` with its default method) between the model's ratios and the retrained
#   model's ratios on the same questions. TOFU reports the p-value itself (higher is better);
#   p > 0.05 only means the test finds no significant difference at the usual level.
#
# Write `forget_scores(ratios, retrained_ratios)` returning `(score, quality)` as two Python floats.
# Both arguments are 1-D sequences (lists or arrays) of positive numbers. Raise `ValueError` if either
# is empty or holds a number that is not finite and positive. Do not change the arrays you are given.
# This task mirrors `lm.tofu.truth_ratio_score` and `lm.tofu.forget_quality`; do not call them.


# %% nbg="answer:forget_scores"
def forget_scores(ratios, retrained_ratios):
    """Return (forget truth-ratio score, forget quality), two floats."""
    ### BEGIN SOLUTION
    r = np.asarray(ratios, dtype=np.float64).ravel()
    r0 = np.asarray(retrained_ratios, dtype=np.float64).ravel()
    for name, v in (("ratios", r), ("retrained_ratios", r0)):
        if v.size == 0 or not np.isfinite(v).all() or (v <= 0).any():
            raise ValueError(f"{name} must be a non-empty sequence of finite positive numbers")
    score = float(np.mean(np.minimum(r, 1 / r)))
    quality = float(stats.ks_2samp(r, r0).pvalue)
    return score, quality
    ### END SOLUTION


# %% nbg="wrong:forget_scores:ks_statistic"
# trap: the KS statistic (a distance) instead of its p-value
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    if (
        r.size == 0
        or r0.size == 0
        or (r <= 0).any()
        or (r0 <= 0).any()
        or not np.isfinite(np.r_[r, r0]).all()
    ):
        raise ValueError("bad ratios")
    return float(np.mean(np.minimum(r, 1 / r))), float(stats.ks_2samp(r, r0).statistic)


# %% nbg="wrong:forget_scores:mean_ratio"
# trap: the score is the mean ratio, without min(R, 1/R)
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    if (
        r.size == 0
        or r0.size == 0
        or (r <= 0).any()
        or (r0 <= 0).any()
        or not np.isfinite(np.r_[r, r0]).all()
    ):
        raise ValueError("bad ratios")
    return float(np.mean(r)), float(stats.ks_2samp(r, r0).pvalue)


# %% nbg="wrong:forget_scores:retain_formula"
# trap: TOFU's retain-set summary mean(max(0, 1 - R)) used on the forget questions
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    if (
        r.size == 0
        or r0.size == 0
        or (r <= 0).any()
        or (r0 <= 0).any()
        or not np.isfinite(np.r_[r, r0]).all()
    ):
        raise ValueError("bad ratios")
    return float(np.mean(np.maximum(0, 1 - r))), float(stats.ks_2samp(r, r0).pvalue)


# %% nbg="wrong:forget_scores:min_of_the_mean"
# trap: min(mean R, 1 / mean R): the minimum taken after averaging, not per question
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    if (
        r.size == 0
        or r0.size == 0
        or (r <= 0).any()
        or (r0 <= 0).any()
        or not np.isfinite(np.r_[r, r0]).all()
    ):
        raise ValueError("bad ratios")
    m = r.mean()
    return float(min(m, 1 / m)), float(stats.ks_2samp(r, r0).pvalue)


# %% nbg="wrong:forget_scores:one_sided"
# trap: a one-sided KS test
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    if (
        r.size == 0
        or r0.size == 0
        or (r <= 0).any()
        or (r0 <= 0).any()
        or not np.isfinite(np.r_[r, r0]).all()
    ):
        raise ValueError("bad ratios")
    return float(np.mean(np.minimum(r, 1 / r))), float(
        stats.ks_2samp(r, r0, alternative="less").pvalue
    )


# %% nbg="wrong:forget_scores:mann_whitney"
# trap: another two-sample test (Mann-Whitney U) instead of Kolmogorov-Smirnov
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    if (
        r.size == 0
        or r0.size == 0
        or (r <= 0).any()
        or (r0 <= 0).any()
        or not np.isfinite(np.r_[r, r0]).all()
    ):
        raise ValueError("bad ratios")
    return float(np.mean(np.minimum(r, 1 / r))), float(stats.mannwhitneyu(r, r0).pvalue)


# %% nbg="wrong:forget_scores:ks_on_scores"
# trap: the KS test run on min(R, 1/R) instead of on the ratios themselves
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    if (
        r.size == 0
        or r0.size == 0
        or (r <= 0).any()
        or (r0 <= 0).any()
        or not np.isfinite(np.r_[r, r0]).all()
    ):
        raise ValueError("bad ratios")
    s, s0 = np.minimum(r, 1 / r), np.minimum(r0, 1 / r0)
    return float(s.mean()), float(stats.ks_2samp(s, s0).pvalue)


# %% nbg="wrong:forget_scores:no_checks"
# trap: no checks: a zero ratio gives inf, an empty sample nan
def forget_scores(ratios, retrained_ratios):
    r, r0 = np.asarray(ratios, dtype=float), np.asarray(retrained_ratios, dtype=float)
    with np.errstate(all="ignore"):
        return float(np.mean(np.minimum(r, 1 / r))), float(stats.ks_2samp(r, r0).pvalue)


# %% nbg="alt:forget_scores:log_ratios"
def forget_scores(ratios, retrained_ratios):
    a = np.array(ratios, dtype=float)
    b = np.array(retrained_ratios, dtype=float)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("empty")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.all(a > 0) and np.all(b > 0)):
        raise ValueError("ratios must be finite and positive")
    la, lb = np.log(a), np.log(b)
    score = np.exp(-np.abs(la)).mean()  # min(R, 1/R) = exp(-|log R|)
    return float(score), float(stats.ks_2samp(la, lb).pvalue)  # KS is unchanged by a monotone map


# %% nbg="alt:forget_scores:loop"
def forget_scores(ratios, retrained_ratios):
    ratios, retrained_ratios = list(ratios), list(retrained_ratios)
    if not ratios or not retrained_ratios:
        raise ValueError("need ratios")
    for x in ratios + retrained_ratios:
        if not (np.isfinite(x) and x > 0):
            raise ValueError(f"not a positive finite ratio: {x}")
    score = sum(x if x < 1 else 1 / x for x in ratios) / len(ratios)
    return float(score), float(stats.ks_2samp(ratios, retrained_ratios).pvalue)


# %% nbg="twin:forget_scores:fails"
# the library twin: lm.tofu.forget_quality's body, renamed (the p-value only)
def forget_scores(ratios, retrained_ratios):
    a = np.asarray(ratios, dtype=np.float64).ravel()
    b = np.asarray(retrained_ratios, dtype=np.float64).ravel()
    if a.size == 0 or b.size == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("ratios and retrained_ratios must be non-empty and finite")
    return float(stats.ks_2samp(a, b).pvalue)


# %% nbg="tests:test_forget_scores:3"
TOFU_OFF = ("truth_ratio_score", "forget_quality")


def check_scores(r, r0, what):
    kept = (np.array(r, dtype=float), np.array(r0, dtype=float))
    with switched_off(lm.tofu, *TOFU_OFF):
        got = forget_scores(r, r0)
    assert np.array_equal(np.asarray(r, dtype=float), kept[0]) and np.array_equal(
        np.asarray(r0, dtype=float), kept[1]
    ), f"{what}: do not change the arrays you are given"
    assert isinstance(got, tuple) and len(got) == 2, f"{what}: return (score, quality), got {got!r}"
    assert all(isinstance(v, float) for v in got), f"{what}: return Python floats"
    want = (
        float(np.mean(np.minimum(kept[0], 1 / kept[0]))),
        float(stats.ks_2samp(kept[0], kept[1]).pvalue),
    )
    assert abs(got[0] - want[0]) < 1e-9, f"{what}: score {got[0]:.6g}, expected {want[0]:.6g}"
    assert np.isclose(got[1], want[1], rtol=1e-9, atol=0), (
        f"{what}: quality {got[1]:.6g}, expected the KS p-value {want[1]:.6g}"
    )
    return got


# 0.5 and 2.0 are equally far from "cannot tell" (1.0): each counts 0.5
s, q = check_scores([0.5, 2.0, 1.0, 0.8], [0.9, 1.1, 1.3, 0.7, 0.6], "four hand-made ratios")
assert abs(s - (0.5 + 0.5 + 1.0 + 0.8) / 4) < 1e-12
RELS = ("city", "job", "pet", "colour")
ref_r = np.concatenate([lm.tofu.truth_ratios(retrained, tok, world, F, r) for r in RELS])
table = {}
for name, model in [("full", full)] + list(unlearned.items()):
    r = np.concatenate([lm.tofu.truth_ratios(model, tok, world, F, rel) for rel in RELS])
    table[name] = check_scores(r, ref_r, f"{name}, {len(r)} forget questions")
rows = [f"  {n:20s} {v[0]:5.2f}  {v[1]:.2g}" for n, v in table.items()]
print(
    f"visible tests passed: hand-made ratios, and the shipped models on {len(ref_r)} forget "
    "questions (city, job, pet, colour; the retrained model's score is "
    f"{np.mean(np.minimum(ref_r, 1 / ref_r)):.2f}):",
    "  model                score  forget quality",
    *rows,
    sep="\n",
)
### BEGIN HIDDEN TESTS
g = np.random.default_rng(6)
check_scores(g.lognormal(0, 1, 40), g.lognormal(0.5, 1, 30), "lognormal samples of different sizes")
check_scores(np.array([1.0]), np.array([0.2, 3.0]), "one ratio")
check_scores(list(g.lognormal(0, 0.3, 7)), list(g.lognormal(0, 0.3, 9)), "lists")
for bad in [
    ([], [1.0]),
    ([1.0], []),
    ([0.5, 0.0], [1.0]),
    ([1.0], [-1.0, 2.0]),
    ([np.nan], [1.0]),
    ([1.0], [np.inf]),
]:
    try:
        with switched_off(lm.tofu, *TOFU_OFF):
            forget_scores(*bad)
        raised = False
    except ValueError:
        raised = True
    assert raised, f"{bad}: expected ValueError"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:task5_md"
# ## Task 5 (4 points): how far does forgetting reach?
#
# The retrained model defines the right **scope** of forgetting: what it still knows about the forget
# people (through other people's documents, or by composing with world knowledge), an unlearned model
# should know too; what it does not know, the unlearned model should not either. Three probes, each
# an accuracy as `lm.qa_accuracy` measures it (template 0, candidates `world.values(relation)`):
# - `"friend_mentions"`: the people of `world.retain` whose friend is one of `forget_people`, asked
#   who their friend is (their own documents name the forget person);
# - `"composed_country"`: the `forget_people`, asked which country they live in (their city composed
#   with which country each city lies in);
# - `"pet"`: the `forget_people`, asked which pet they keep.
#
# Write `scope_gaps(model, reference, tokenizer, world, forget_people)` returning a dict with those
# three keys; each value is the Python float `accuracy(model) - accuracy(reference)`: above 0 the
# model leaks beyond the right scope, below 0 it forgot more than it should. If no retain person's
# friend is among `forget_people`, `"friend_mentions"` is `float("nan")`. Raise `ValueError` if
# `forget_people` is empty. This task mirrors `lm.tofu.scope_probes` (which measures one model and
# more probes); do not call it.


# %% nbg="answer:scope_gaps"
def scope_gaps(model, reference, tokenizer, world, forget_people):
    """Return {probe: accuracy(model) - accuracy(reference)} for the three probes."""
    ### BEGIN SOLUTION
    forget_people = list(forget_people)
    if not forget_people:
        raise ValueError("forget_people must not be empty")
    names = {world.people[p].name for p in forget_people}
    mentions = [r for r in world.retain if world.people[r].friend in names]
    probes = {
        "friend_mentions": (mentions, "friend"),
        "composed_country": (forget_people, "country"),
        "pet": (forget_people, "pet"),
    }
    out = {}
    for key, (people, relation) in probes.items():
        if not people:
            out[key] = float("nan")
            continue
        acc = [lm.qa_accuracy(m, tokenizer, world, people, relation) for m in (model, reference)]
        out[key] = float(acc[0] - acc[1])
    return out
    ### END SOLUTION


# %% nbg="wrong:scope_gaps:forget_people_asked_their_friend"
# trap: the forget people asked about their own friend, not the people whose documents mention them
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")
    acc = lambda m, ppl, rel: lm.qa_accuracy(m, tokenizer, world, ppl, rel)
    return {
        k: float(acc(model, forget_people, r) - acc(reference, forget_people, r))
        for k, r in (("friend_mentions", "friend"), ("composed_country", "country"), ("pet", "pet"))
    }


# %% nbg="wrong:scope_gaps:friendship_reversed"
# trap: the friendship read the wrong way: the forget people's own friends are asked about
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")
    acc = lambda m, ppl, rel: lm.qa_accuracy(m, tokenizer, world, ppl, rel)
    friends = {world.people[p].friend for p in forget_people}
    ment = [r for r in world.retain if world.people[r].name in friends]
    out = {
        "friend_mentions": float(acc(model, ment, "friend") - acc(reference, ment, "friend"))
        if ment
        else float("nan")
    }
    for k, r in (("composed_country", "country"), ("pet", "pet")):
        out[k] = float(acc(model, forget_people, r) - acc(reference, forget_people, r))
    return out


# %% nbg="wrong:scope_gaps:everyone_else_mentions"
# trap: every other person (forget people outside forget_people too), not only world.retain
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")
    acc = lambda m, ppl, rel: lm.qa_accuracy(m, tokenizer, world, ppl, rel)
    names = {world.people[p].name for p in forget_people}
    ment = [
        r
        for r in range(len(world.people))
        if r not in forget_people and world.people[r].friend in names
    ]
    out = {
        "friend_mentions": float(acc(model, ment, "friend") - acc(reference, ment, "friend"))
        if ment
        else float("nan")
    }
    for k, r in (("composed_country", "country"), ("pet", "pet")):
        out[k] = float(acc(model, forget_people, r) - acc(reference, forget_people, r))
    return out


# %% nbg="wrong:scope_gaps:city_not_country"
# trap: the city asked instead of the country (a direct fact, not a composed one)
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")
    acc = lambda m, ppl, rel: lm.qa_accuracy(m, tokenizer, world, ppl, rel)
    names = {world.people[p].name for p in forget_people}
    ment = [r for r in world.retain if world.people[r].friend in names]
    out = {
        "friend_mentions": float(acc(model, ment, "friend") - acc(reference, ment, "friend"))
        if ment
        else float("nan")
    }
    for k, r in (("composed_country", "city"), ("pet", "pet")):
        out[k] = float(acc(model, forget_people, r) - acc(reference, forget_people, r))
    return out


# %% nbg="wrong:scope_gaps:reference_minus_model"
# trap: the difference the wrong way round (reference - model): a leak reads as over-forgetting
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")
    acc = lambda m, ppl, rel: lm.qa_accuracy(m, tokenizer, world, ppl, rel)
    names = {world.people[p].name for p in forget_people}
    ment = [r for r in world.retain if world.people[r].friend in names]
    out = {
        "friend_mentions": float(acc(reference, ment, "friend") - acc(model, ment, "friend"))
        if ment
        else float("nan")
    }
    for k, r in (("composed_country", "country"), ("pet", "pet")):
        out[k] = float(acc(reference, forget_people, r) - acc(model, forget_people, r))
    return out


# %% nbg="wrong:scope_gaps:absolute_gap"
# trap: the absolute difference: leaking and over-forgetting look the same
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")
    acc = lambda m, ppl, rel: lm.qa_accuracy(m, tokenizer, world, ppl, rel)
    names = {world.people[p].name for p in forget_people}
    ment = [r for r in world.retain if world.people[r].friend in names]
    out = {
        "friend_mentions": abs(acc(model, ment, "friend") - acc(reference, ment, "friend"))
        if ment
        else float("nan")
    }
    for k, r in (("composed_country", "country"), ("pet", "pet")):
        out[k] = float(abs(acc(model, forget_people, r) - acc(reference, forget_people, r)))
    return out


# %% nbg="wrong:scope_gaps:world_forget_hard_coded"
# trap: world.forget instead of the forget_people passed
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")
    forget_people = list(world.forget)
    acc = lambda m, ppl, rel: lm.qa_accuracy(m, tokenizer, world, ppl, rel)
    names = {world.people[p].name for p in forget_people}
    ment = [r for r in world.retain if world.people[r].friend in names]
    out = {
        "friend_mentions": float(acc(model, ment, "friend") - acc(reference, ment, "friend"))
        if ment
        else float("nan")
    }
    for k, r in (("composed_country", "country"), ("pet", "pet")):
        out[k] = float(acc(model, forget_people, r) - acc(reference, forget_people, r))
    return out


# %% nbg="wrong:scope_gaps:unknown_as_a_candidate"
# trap: "unknown" added to the candidates: a model that answers "unknown" loses accuracy it keeps
def scope_gaps(model, reference, tokenizer, world, forget_people):
    if not forget_people:
        raise ValueError("empty")

    def acc(m, ppl, rel):
        d = lm.tofu.answer_distributions(m, tokenizer, world, ppl, rel)
        return float(np.mean(d["p"].argmax(1) == d["truth"]))

    names = {world.people[p].name for p in forget_people}
    ment = [r for r in world.retain if world.people[r].friend in names]
    out = {
        "friend_mentions": float(acc(model, ment, "friend") - acc(reference, ment, "friend"))
        if ment
        else float("nan")
    }
    for k, r in (("composed_country", "country"), ("pet", "pet")):
        out[k] = float(acc(model, forget_people, r) - acc(reference, forget_people, r))
    return out


# %% nbg="alt:scope_gaps:score_candidates"
def scope_gaps(model, reference, tokenizer, world, forget_people):
    forget_people = [int(p) for p in forget_people]
    if len(forget_people) == 0:
        raise ValueError("forget_people is empty")
    forget_names = [world.people[p].name for p in forget_people]

    def accuracy(m, people, relation):
        cands = list(world.values(relation))
        qs = [lm.question_text(world, p, relation) for p in people]
        best = lm.score_candidates(m, tokenizer, qs, cands).argmax(1)
        return sum(cands[int(b)] == world.answer(p, relation) for b, p in zip(best, people)) / len(
            people
        )

    result = {}
    mentions = [r for r in world.retain if world.people[r].friend in forget_names]
    if mentions:
        result["friend_mentions"] = accuracy(model, mentions, "friend") - accuracy(
            reference, mentions, "friend"
        )
    else:
        result["friend_mentions"] = float("nan")
    for key, rel in (("composed_country", "country"), ("pet", "pet")):
        result[key] = accuracy(model, forget_people, rel) - accuracy(reference, forget_people, rel)
    return {k: float(v) for k, v in result.items()}


# %% nbg="twin:scope_gaps:fails"
# the library twin: lm.tofu.scope_probes's body, renamed (accuracies of one model, on world.forget)
def scope_gaps(model, reference, tokenizer, world, forget_people):
    forget = list(world.forget)
    names = {world.people[i].name for i in forget}
    mentions = [r for r in world.retain if world.people[r].friend in names]
    acc = lambda ppl, rel, t=0: lm.qa_accuracy(model, tokenizer, world, ppl, rel, template=t)
    return {
        "friend_mentions": acc(mentions, "friend") if mentions else float("nan"),
        "n_friend_mentions": len(mentions),
        "composed_country": acc(forget, "country"),
        "paraphrase": float(np.mean([acc(forget, r, 1) for r in ("city", "job", "pet", "colour")])),
        "pet": acc(forget, "pet"),
        "pet_colour": acc(forget, "colour"),
        "spell": acc(forget, "spell"),
    }


# %% nbg="tests:test_scope_gaps:4"
_acc_cache = {}


def ref_acc(model, people, relation):  # lm.qa_accuracy, remembered (the reference is asked often)
    key = (id(model), tuple(people), relation)
    if key not in _acc_cache:
        _acc_cache[key] = lm.qa_accuracy(model, tok, world, list(people), relation)
    return _acc_cache[key]


def ref_gaps(model, reference, ppl):
    names = {NAME[p] for p in ppl}
    ment = [r for r in world.retain if world.people[r].friend in names]
    out = {
        "friend_mentions": ref_acc(model, ment, "friend") - ref_acc(reference, ment, "friend")
        if ment
        else float("nan")
    }
    for key, rel in (("composed_country", "country"), ("pet", "pet")):
        out[key] = ref_acc(model, ppl, rel) - ref_acc(reference, ppl, rel)
    return out


def check_gaps(model, reference, ppl, what):
    want = ref_gaps(model, reference, ppl)
    with switched_off(lm.tofu, "scope_probes"):
        got = scope_gaps(model, reference, tok, world, list(ppl))
    assert isinstance(got, dict) and set(got) == set(want), (
        f"{what}: return a dict with keys {sorted(want)}, got {got!r}"
    )
    for k in want:
        assert isinstance(got[k], float), (
            f"{what}: {k} must be a Python float, got {type(got[k]).__name__}"
        )
        same = (np.isnan(got[k]) and np.isnan(want[k])) or abs(got[k] - want[k]) < 1e-9
        assert same, f"{what}: {k} {got[k]:+.3f}, expected {want[k]:+.3f}"
    return got


gd = check_gaps(
    unlearned["gradient_difference"],
    retrained,
    F,
    "gradient difference vs retrained, 20 forget people",
)
print(
    "visible tests passed: gradient difference against the retrained model, all 20 forget people:",
    ", ".join(f"{k} {v:+.2f}" for k, v in gd.items()),
)
### BEGIN HIDDEN TESTS
fof = [
    p for p in F if world.people[p].friend in {NAME[q] for q in F}
]  # forget people befriending forget people
targets = sorted({p for p in F if NAME[p] in {world.people[q].friend for q in fof}})
sub = targets + [p for p in F if p not in fof and p not in targets][:3]
check_gaps(unlearned["whp"], retrained, sub, "WHP vs retrained on a subset of the forget people")
check_gaps(
    retrained, unlearned["rmu"], list(reversed(sub)), "the retrained model measured against RMU's"
)
lonely = [p for p in F if not any(world.people[r].friend == NAME[p] for r in world.retain)]
if lonely:
    check_gaps(
        unlearned["gradient_ascent"],
        retrained,
        lonely[:2],
        "forget people no retain person befriends",
    )
try:
    with switched_off(lm.tofu, "scope_probes"):
        scope_gaps(full, retrained, tok, world, [])
    raised = False
except ValueError:
    raised = True
assert raised, "empty forget_people: expected ValueError"
### END HIDDEN TESTS

# %% [markdown] nbg="locked:record_md"
# The shipped models' full evaluation (computed by `scripts/build_lm_unlearned.py` with the same
# measures as your functions, averaged over every relation; stored in `lm.unlearned_record()`), next
# to the full and retrained models. The last column is the relearning probe of
# `lm.tofu.recovery_probes`: ten fine-tuning steps on all documents of half of the forget people,
# then the *other* half asked (accuracy before -> after).

# %% nbg="setup:record_table"
rec = lm.unlearned_record()
evals = {"full": rec["references"]["full"], "retrained": rec["references"]["retrained"]}
evals.update({m: rec["models"][f"lm_{m}"]["evaluation"] for m in METHODS})
scope0 = evals["retrained"]["scope"]
print(
    f"{'model':20s} {'forget':>6s} {'retain':>6s} {'TR':>5s} {'FQ':>8s}",
    " scope gaps: friend country pet   relearn other half",
)
for name, e in evals.items():
    fq_text = f"{e['forget_quality']:.1e}" if "forget_quality" in e else "-"
    gaps = [e["scope"][k] - scope0[k] for k in ("friend_mentions", "composed_country", "pet")]
    rl = e["recovery"]
    print(
        f"{name:20s} {e['forget_accuracy']:6.2f} {e['retain_accuracy']:6.2f} "
        f"{e['truth_ratio']:5.2f} "
        f"{fq_text:>8s}  {gaps[0]:+.2f} {gaps[1]:+.2f} {gaps[2]:+.2f}              "
        f"{rl['before_other_half']:.2f} -> {rl['relearn_other_half']:.2f}"
    )

# %% [markdown] nbg="locked:task6_md"
# ## Task 6 (written, 4 points): removed or suppressed?
#
# Using the numbers printed under Tasks 4 and 5 and the table above (forget and retain accuracy over
# every relation, truth-ratio score TR, forget quality FQ, scope gaps against the retrained model,
# and relearning), answer: (a) which method comes closest to the retrained model, and by which
# measures; (b) which methods only *suppressed* the forget people's facts rather than removing them,
# and what shows it (say what the retrained model does under the same probe); (c) which method forgot
# more than the right scope, and where. About 150 words; cite the numbers.

# %% [markdown] nbg="written:written_removal:4"
# ### BEGIN SOLUTION
# **Model answer.** (a) On the forget questions, gradient ascent looks most like the retrained
# model: truth-ratio score 0.70 against the retrained 0.74 in Task 4 (0.65 vs 0.66 over every
# relation in the table) and the only forget quality above 0.05 (0.17 in Task 4, 2.0e-01 in the
# table; the others are 2e-10 or smaller). But it paid with the rest of the model: retain
# accuracy 0.34 instead of 1.00. (b) Ten
# relearning steps on half of the forget people bring the *other* half back: gradient ascent
# 0.24 -> 0.60, WHP 0.14 -> 0.48, gradient difference 0.04 -> 0.30, while the retrained model, which
# never learned those facts, goes 0.20 -> 0.04. By this probe, those three only suppressed;
# gradient difference's low forget accuracy (0.06) was no proof of removal. RMU gives back little
# (0.26 -> 0.32: three of 50 questions, eleven more than the retrained model's change of -8), so
# this probe shows much less there than for the other three, and its forget quality (about 1e-13)
# still tells it apart from the retrained model: not removal in TOFU's sense either.
# (c) Over-forgetting: the retrained model still names every retain person's friend, but gradient ascent
# gets none of them (friend gap -1.00), gradient difference loses 0.65 (Task 5) and RMU 0.35.
# Gradient difference also falls 0.20 below the retrained model on the country and the pet. WHP keeps
# the friends (+0.00) but leaks the composed country (+0.20).
#
# **Rubric (4 points).** 1 point: (a) names a method with at least two measured numbers that compare
# it with the retrained model (gradient ascent by truth-ratio score and forget quality; or WHP by retain
# accuracy and scope, if the answer says that its forget quality is far below 0.05), and says what the
# method costs elsewhere. 1 point: (b) uses the relearning probe (or another probe that brings facts
# back) with the numbers before and after, *and* the retrained model's result under the same probe as
# the control. 1 point: (b) names gradient ascent, WHP and gradient difference (at least two of them)
# as suppressing, and does not treat a low forget accuracy alone as evidence of removal (calling RMU
# "removed" on the relearning probe alone, despite its forget quality, loses this point). 1 point: (c) names over-forgetting with
# numbers: the friend-mention gap of gradient ascent, gradient difference or RMU against a retrained
# model that keeps them (or gradient difference's country and pet gaps). No point for a claim that a
# method "removed" the facts because its forget accuracy is near chance.
# ### END SOLUTION
