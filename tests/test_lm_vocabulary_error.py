"""The tokenizer's unknown-word error tells a student what the vocabulary is (lecture 07's "try your own question")."""
import pytest

from unlearnkit import lm


@pytest.fixture(scope="module")
def tok():
    return lm.Tokenizer.for_world(lm.make_world(n_people=12, n_forget=2, seed=0))


def _message(tok, text):
    with pytest.raises(KeyError) as info:
        tok.encode(text)
    return info.value.args[0]


def test_capitalised_word_suggests_lower_case_and_lists_every_word(tok):
    msg = _message(tok, "Where does live ?")
    assert "'Where'" in msg and "did you mean 'where'?" in msg
    assert "lower-case words separated by spaces" in msg and "'?' and '.'" in msg
    words = tok.itos[2:]
    assert f"the {len(words)} words are:" in msg
    listed = msg.split("words are: ", 1)[1].split()
    assert listed == sorted(words)                     # every word once, sorted: no more, no fewer


def test_attached_punctuation_suggests_a_space(tok):
    assert "write punctuation as a word of its own: 'live ?'" in _message(tok, "where does live?")
    assert "'where ?'" in _message(tok, "Where?")


def test_word_without_a_near_miss_gets_no_hint_but_the_vocabulary(tok):
    msg = _message(tok, "where does zebra live ?")
    assert "'zebra'" in msg and "did you mean" not in msg and "punctuation as a word" not in msg
    assert "the " in msg and " words are: " in msg


def test_error_leaves_the_tokenizer_usable_and_known_text_encodes(tok):
    before = list(tok.itos)
    _message(tok, "Where")
    assert tok.itos == before
    assert tok.decode(tok.encode("where does")) == "where does"


def test_generic_vocabulary_does_not_claim_lower_case_or_punctuation():
    msg = _message(lm.Tokenizer(["Alpha", "beta"]), "gamma")
    assert "Text is words separated by spaces;" in msg and "the 2 words are: Alpha beta" in msg
