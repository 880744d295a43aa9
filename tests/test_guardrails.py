"""Tests of unlearnkit.lm.guardrails: input filter, output filter, system prompt, their composition and logs."""
import pytest
import torch

from unlearnkit import lm


@pytest.fixture(scope="module")
def world():
    return lm.make_world(n_people=40, n_forget=4, seed=2)


@pytest.fixture(scope="module")
def tok(world):
    return lm.Tokenizer.for_world(world)


@pytest.fixture(scope="module")
def model(tok):
    return lm.GPT(lm.GPTConfig(vocab_size=tok.vocab_size, block_size=48, n_layer=2, n_head=2, n_embd=32), seed=1).eval()


def questions(world, people, relation="city"):
    return [lm.question_text(world, p, relation) for p in people]


def test_name_variants():
    assert lm.name_variants("wren oakhart") == ["wren oakhart"]
    assert lm.name_variants("wren oakhart", ("full", "first", "last")) == ["wren oakhart", "wren", "oakhart"]
    with pytest.raises(ValueError, match="variants"):
        lm.name_variants("wren oakhart", ("nick",))
    with pytest.raises(ValueError, match="two-word"):
        lm.name_variants("wren")
    with pytest.raises(TypeError, match="name"):
        lm.name_variants(3)


def test_input_filter_matches_whole_words_and_logs(world):
    f0, r0 = world.forget[0], world.retain[0]
    name = world.people[f0].name
    filt = lm.InputFilter([name])
    assert filt.check(lm.question_text(world, f0, "city")) == name
    assert filt.check(lm.question_text(world, r0, "city")) is None or world.people[r0].name == name
    assert filt.check(name.replace(" ", "")) is None          # a word it does not list is not matched
    assert filt.check(name.split()[0] + " x " + name.split()[1]) is None  # words must be adjacent, in order
    assert len(filt.log) == 1 and filt.log[0]["stage"] == "input" and filt.log[0]["matched"] == name


def test_output_filter_with_and_without_subject(world):
    f0 = world.forget[0]
    name, city = world.people[f0].name, world.answer(f0, "city")
    other = next(p for p in world.retain if world.answer(p, "city") == city)
    filt = lm.OutputFilter([(name, city)])
    assert filt.check(lm.question_text(world, f0, "city"), city) == (name, city)
    assert filt.check(lm.question_text(world, other, "city"), city) is None   # same answer, other person: passes
    wrong = next(c for c in world.values("city") if c != city)
    assert filt.check(lm.question_text(world, f0, "city"), wrong) is None
    anywhere = lm.OutputFilter([(None, city)])
    assert anywhere.check(lm.question_text(world, other, "city"), city) == (None, city)
    assert [e["stage"] for e in filt.log + anywhere.log] == ["output", "output"]


def test_guardrails_off_equals_the_model(world, tok, model):
    cands = list(world.values("city"))
    qs = questions(world, range(12))
    best = lm.score_candidates(model, tok, qs, cands).argmax(1).tolist()
    assert lm.Guardrails(model, tok).answer(qs, cands) == [cands[i] for i in best]


def test_guardrails_compose_and_log(world, tok, model):
    cands = list(world.values("city"))
    forget, retain = list(world.forget), list(world.retain[:8])
    names = [world.people[p].name for p in forget]
    g = lm.Guardrails(model, tok, input_filter=lm.InputFilter(names[:2]))
    out = g.answer(questions(world, forget + retain), cands)
    assert out[:2] == [lm.REFUSAL] * 2 and lm.REFUSAL not in out[2:]
    assert [e["matched"] for e in g.blocked()] == names[:2]
    # an output filter that forbids whatever the model answers for the other forget people
    plain = lm.Guardrails(model, tok).answer(questions(world, forget), cands)
    out_f = lm.OutputFilter([(n, a) for n, a in zip(names[2:], plain[2:])])
    g2 = lm.Guardrails(model, tok, input_filter=lm.InputFilter(names[:2]), output_filter=out_f)
    out2 = g2.answer(questions(world, forget + retain), cands)
    assert out2[:len(forget)] == [lm.REFUSAL] * len(forget)
    assert out2[len(forget):] == out[len(forget):]
    assert [e["stage"] for e in g2.blocked()] == ["input", "input"] + ["output"] * (len(forget) - 2)


def test_system_prompt_changes_what_the_model_reads(world, tok, model):
    cands = list(world.values("city"))
    qs = questions(world, world.retain[:6])
    prefix = lm.statement_text(world, world.forget[0], "city")
    sp = lm.SystemPrompt(prefix)
    got = lm.Guardrails(model, tok, system_prompt=sp).answer(qs, cands)
    want = lm.score_candidates(model, tok, [f"{prefix} {q}" for q in qs], cands).argmax(1).tolist()
    assert got == [cands[i] for i in want]
    assert len(sp.log) == 6 and sp.log[0]["prefix"] == prefix
    per_query = lm.SystemPrompt(lambda p: "" if "alden" in p.split() else prefix)
    assert per_query.apply("where does alden x live ?") == "where does alden x live ?"
    with pytest.raises(TypeError, match="must return a str"):
        lm.SystemPrompt(lambda p: 3).apply("where")


def test_filter_that_blocks_everything_never_calls_the_model(world, tok, model, monkeypatch):
    cands = list(world.values("city"))
    everyone = lm.InputFilter([p.name for p in world.people])
    g = lm.Guardrails(model, tok, input_filter=everyone)

    def boom(*a, **k):
        raise AssertionError("the model ran on a refused prompt")
    monkeypatch.setattr(model, "forward", boom)
    out = g.answer(questions(world, range(len(world.people))), cands)
    assert out == [lm.REFUSAL] * len(world.people)
    assert len(g.blocked()) == len(world.people)


def test_bad_input(world, tok, model):
    cands = list(world.values("city"))
    with pytest.raises(TypeError, match="phrases"):
        lm.InputFilter("wren oakhart")
    with pytest.raises(ValueError, match="empty"):
        lm.InputFilter(["  "])
    with pytest.raises(TypeError, match="pairs"):
        lm.OutputFilter(["amberly"])
    with pytest.raises(ValueError, match="non-empty"):
        lm.OutputFilter([("", "amberly")])
    with pytest.raises(TypeError, match="prefix"):
        lm.SystemPrompt(3)
    with pytest.raises(TypeError, match="input_filter"):
        lm.Guardrails(model, tok, input_filter=lm.OutputFilter([]))
    with pytest.raises(TypeError, match="model"):
        lm.Guardrails("gpt", tok)
    g = lm.Guardrails(model, tok, input_filter=lm.InputFilter([world.people[0].name]))
    with pytest.raises(TypeError, match="single str"):
        g.answer("where does x live ?", cands)
    with pytest.raises(ValueError, match="empty"):
        g.answer([], cands)
    with pytest.raises(TypeError, match="prompt"):
        g.answer([3], cands)
    assert g.log == [] and g.input_filter.log == []   # failed calls leave the logs as they were
