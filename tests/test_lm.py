"""Tests of unlearnkit.lm: the fictitious world, the tokenizer, the GPT, scoring, training, checkpoints."""
import re

import numpy as np
import pytest
import torch

from unlearnkit import lm


@pytest.fixture(scope="module")
def world():
    return lm.make_world(n_people=60, n_forget=6, seed=3)


@pytest.fixture(scope="module")
def tok(world):
    return lm.Tokenizer.for_world(world)


@pytest.fixture(scope="module")
def model(tok):
    return lm.GPT(lm.GPTConfig(vocab_size=tok.vocab_size, block_size=32, n_layer=2, n_head=2, n_embd=32), seed=5).eval()


# ---------------------------------------------------------------------------------------------- world
def test_world_is_deterministic_and_seed_dependent():
    a, b, c = lm.make_world(seed=4), lm.make_world(seed=4), lm.make_world(seed=5)
    assert a == b
    assert a.people != c.people
    assert a.forget != c.forget or a.people != c.people


def test_world_structure(world):
    names = [p.name for p in world.people]
    assert len(set(names)) == len(names) == 60
    assert not set(names) & set(world.fresh_names)
    assert len(world.fresh_names) == 24 * 24 - 60
    assert sorted(world.forget + world.retain) == list(range(60)) and len(world.forget) == 6
    for i, p in enumerate(world.people):
        assert p.friend in names and p.friend != p.name
        assert world.answer(i, "country") == world.countries[p.city]
        for r in lm.RELATIONS:
            assert world.answer(i, r) in world.values(r)


def test_world_bad_input():
    with pytest.raises(ValueError, match="n_forget"):
        lm.make_world(n_people=10, n_forget=10)
    with pytest.raises(ValueError, match="n_people"):
        lm.make_world(n_people=1000)
    with pytest.raises(TypeError, match="seed"):
        lm.make_world(seed=1.5)


# ------------------------------------------------------------------------------------------ tokenizer
def test_tokenizer_round_trip(world, tok):
    texts = []
    for i in range(len(world.people)):
        for r in lm.RELATIONS:
            for t in range(len(lm.QUESTIONS[r])):
                texts.append(lm.qa_text(world, i, r, t))
        for r in lm.ATTRIBUTES:
            for t in range(len(lm.STATEMENTS[r])):
                texts.append(lm.statement_text(world, i, r, t))
    for text in texts:
        ids = tok.encode(text)
        assert all(2 <= i < tok.vocab_size for i in ids)
        assert tok.decode(ids) == text
    assert tok.encode("where does", bos=True)[0] == tok.bos_id
    assert tok.decode(torch.tensor(tok.encode("a cat .") + [tok.pad_id])) == "a cat ."


def test_tokenizer_errors(tok):
    with pytest.raises(KeyError, match="zebra"):
        tok.encode("where does zebra live ?")
    with pytest.raises(TypeError, match="text"):
        tok.encode(3)
    with pytest.raises(ValueError, match="duplicates"):
        lm.Tokenizer(["a", "a"])


# -------------------------------------------------------------------------------------------- texts
def test_icul_prompt_format(world):
    f, r1, r2 = world.forget[0], world.retain[0], world.retain[1]
    truth = world.answer(f, "city")
    flip = next(c for c in world.values("city") if c != truth)
    text = lm.icul_prompt(world, f, "city", flip, [r1, r2], f)
    name = world.people[f].name
    expected = (f"where does {name} live ? {flip} . "
                f"where does {world.people[r1].name} live ? {world.people[r1].city} . "
                f"where does {world.people[r2].name} live ? {world.people[r2].city} . "
                f"where does {name} live ?")
    assert text == expected
    assert lm.icul_prompt(world, f, "city", flip, [], f, query_template=1).endswith(f"in which city does {name} live ?")
    with pytest.raises(ValueError, match="flipped_value"):
        lm.icul_prompt(world, f, "city", truth, [r1], f)
    with pytest.raises(ValueError, match="flipped_value"):
        lm.icul_prompt(world, f, "city", "cat", [r1], f)
    with pytest.raises(ValueError, match="examples"):
        lm.icul_prompt(world, f, "city", flip, [f], f)


def test_text_errors(world):
    with pytest.raises(ValueError, match="template"):
        lm.question_text(world, 0, "city", 7)
    with pytest.raises(ValueError, match="relation"):
        lm.qa_text(world, 0, "age")
    with pytest.raises(ValueError, match="value"):
        lm.statement_text(world, "brisa umber", "city")
    with pytest.raises(TypeError, match="person"):
        lm.qa_text(world, 1.0, "city")


# -------------------------------------------------------------------------------------------- model
def test_causality(model, tok):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(2, tok.vocab_size, (3, 20), generator=g)
    base = model(x)
    for t in (0, 7, 19):
        y = x.clone()
        y[:, t] = (y[:, t] + 1 - 2) % (tok.vocab_size - 2) + 2
        out = model(y)
        assert torch.equal(out[:, :t], base[:, :t]), f"changing token {t} changed an earlier logit"
        assert not torch.allclose(out[:, t], base[:, t])


def test_model_init_is_seeded_and_leaves_global_rng(tok):
    cfg = lm.GPTConfig(vocab_size=tok.vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=16)
    state = torch.random.get_rng_state()
    a, b, c = lm.GPT(cfg, seed=1), lm.GPT(cfg, seed=1), lm.GPT(cfg, seed=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.tok_emb.weight, c.tok_emb.weight)
    assert a.head.weight is a.tok_emb.weight
    with pytest.raises(ValueError, match="block_size"):
        a(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="divisible"):
        lm.GPTConfig(vocab_size=10, n_embd=10, n_head=3)


def test_log_likelihood_padding_and_batch_invariance(model, tok, world):
    seqs = [tok.encode(lm.qa_text(world, i, r), bos=True) for i, r in [(0, "city"), (1, "job"), (2, "friend"), (3, "country")]]
    plen = [len(s) - (2 if i != 2 else 3) for i, s in enumerate(seqs)]
    together = lm.sequence_log_likelihood(model, seqs, plen)
    alone = torch.cat([lm.sequence_log_likelihood(model, [s], [p]) for s, p in zip(seqs, plen)])
    assert torch.allclose(together, alone, atol=1e-5)
    # a long neighbour forces more padding on the others
    long = tok.encode(lm.qa_text(world, 5, "city") + " " + lm.qa_text(world, 6, "country"), bos=True)
    padded = lm.sequence_log_likelihood(model, seqs + [long], plen + [3])[:4]
    assert torch.allclose(padded, alone, atol=1e-5)
    # reverse the batch order, small batches
    rev = lm.sequence_log_likelihood(model, seqs[::-1], plen[::-1], batch_size=3).flip(0)
    assert torch.allclose(rev, alone, atol=1e-5)
    assert (alone < 0).all()
    # by hand for one sequence
    s, p = seqs[0], plen[0]
    logp = torch.log_softmax(model(torch.tensor([s])), -1)[0]
    manual = sum(float(logp[t - 1, s[t]].detach()) for t in range(p, len(s)))
    assert abs(manual - float(alone[0])) < 1e-4
    with pytest.raises(ValueError, match="prompt_length"):
        lm.sequence_log_likelihood(model, [s], [len(s)])


def test_score_candidates_fast_path_matches_general(model, tok, world):
    prompts = [lm.question_text(world, i, "city") for i in range(5)]
    cands = list(world.values("city"))
    fast = lm.score_candidates(model, tok, prompts, cands)
    seqs = [tok.encode(p, bos=True) + tok.encode(c) for p in prompts for c in cands]
    lens = [len(tok.encode(p, bos=True)) for p in prompts for _ in cands]
    slow = lm.sequence_log_likelihood(model, seqs, lens).view(5, -1)
    assert fast.shape == (5, len(cands)) and torch.allclose(fast, slow, atol=1e-5)
    multi = lm.score_candidates(model, tok, prompts[:2], ["amberly", "wren oakhart"])
    assert multi.shape == (2, 2)
    assert torch.allclose(multi[:, 0], fast[:2, cands.index("amberly")], atol=1e-5)
    with pytest.raises(ValueError, match="empty"):
        lm.score_candidates(model, tok, [], cands)


def test_qa_accuracy_and_icul_accuracy(model, tok, world):
    acc, pred = lm.qa_accuracy(model, tok, world, world.retain[:10], "pet", return_predictions=True)
    truth = [world.answer(i, "pet") for i in world.retain[:10]]
    assert acc == pytest.approx(np.mean([a == b for a, b in zip(pred, truth)]))
    with pytest.raises(ValueError, match="contexts"):
        lm.qa_accuracy(model, tok, world, [0, 1], "pet", contexts=["x"])
    out = lm.icul_accuracy(model, tok, world, list(world.forget) + list(world.retain[:4]), "city", n_examples=2, seed=1)
    again = lm.icul_accuracy(model, tok, world, list(world.forget) + list(world.retain[:4]), "city", n_examples=2, seed=1)
    assert out["prompts"] == again["prompts"] and out["accuracy"] == again["accuracy"]
    assert out["scores"].shape == (10, 12) and len(out["predictions"]) == 10
    for q, prompt, flip in zip(world.forget, out["prompts"], out["flipped"]):
        name = world.people[q].name
        assert prompt.startswith(f"where does {name} live ? {flip} .") and prompt.endswith(f"where does {name} live ?")
        assert flip != world.answer(q, "city")
        assert prompt.count(" . ") == 3
    assert 0 <= out["answered_flipped"] <= 1 and 0 <= out["runner_up_accuracy"] <= 1


def test_generate(model, tok, world):
    prompt = lm.question_text(world, 0, "city")
    a = lm.generate(model, tok, prompt, 3)
    assert a == lm.generate(model, tok, prompt, 3)
    first = tok.encode(a)[0] if a else None
    logits = model(torch.tensor([tok.encode(prompt, bos=True)]))[0, -1]
    logits[:2] = -float("inf")
    assert first == int(logits.argmax())
    s1 = lm.generate(model, tok, prompt, 5, temperature=1.0, seed=3, stop=None)
    assert s1 == lm.generate(model, tok, prompt, 5, temperature=1.0, seed=3, stop=None) and len(s1.split()) == 5
    with pytest.raises(ValueError, match="temperature"):
        lm.generate(model, tok, prompt, temperature=-1)


# ----------------------------------------------------------------------------------------- training
def test_training_batch_holds_only_the_given_peoples_facts(world, tok):
    batch = lm.training_batch(world, tok, world.retain, 64, 48, seed=2)
    assert batch.shape == (64, 49) and batch.dtype == torch.int64 and (batch[:, 0] == tok.bos_id).all()
    assert torch.equal(batch, lm.training_batch(world, tok, world.retain, 64, 48, seed=2))
    forget_names = {world.people[i].name for i in world.forget}
    all_names = {p.name for p in world.people} | set(world.fresh_names)
    pattern = re.compile(r"\b(" + "|".join(sorted(all_names)) + r")\b")
    subjects, n_docs = set(), 0
    for row in batch:
        for doc in tok.decode(row[1:]).split(" ."):
            m = pattern.search(doc)  # the first name in every template is the document's subject
            if m:
                subjects.add(m.group(1))
                n_docs += 1
    assert n_docs > 64 * 3
    assert not subjects & forget_names
    assert subjects & set(world.fresh_names), "some sequences must teach reading from the context"
    with pytest.raises(ValueError, match="people"):
        lm.training_batch(world, tok, [], 2, 48, seed=0)


def test_training_is_reproducible(world, tok):
    cfg = lm.GPTConfig(vocab_size=tok.vocab_size, block_size=32, n_layer=1, n_head=2, n_embd=32)
    tcfg = lm.LMTrainConfig(steps=4, batch_size=8, warmup=2, seed=3)
    m1, log1 = lm.train_lm(world, world.retain, cfg, tcfg, model_seed=1)
    m2, log2 = lm.train_lm(world, world.retain, cfg, tcfg, model_seed=1)
    assert log1["losses"] == log2["losses"] and len(log1["losses"]) == 4
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m2.parameters()))
    _, log3 = lm.train_lm(world, world.retain, cfg, tcfg.__class__(steps=4, batch_size=8, warmup=2, seed=4), model_seed=1)
    assert log3["losses"] != log1["losses"]
    with pytest.raises(ValueError, match="vocab_size"):
        lm.train_lm(world, world.retain, lm.GPTConfig(vocab_size=7), tcfg)


def test_save_and_load_round_trip(tmp_path, model, world):
    import json
    lm.save_lm(model, tmp_path / "lm_x.pt")
    blob = torch.load(tmp_path / "lm_x.pt", weights_only=True)
    assert set(blob) == {"config", "state_dict"}
    (tmp_path / "lm_record.json").write_text(json.dumps({"world": {"n_people": 60, "n_forget": 6, "seed": 3}}))
    loaded, w2, tok2 = lm.load_lm("x", directory=tmp_path)
    assert w2 == world and tok2.itos == lm.Tokenizer.for_world(world).itos
    for (k, p), (k2, q) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(p, q)
    with pytest.raises(FileNotFoundError):
        lm.load_lm("nothing", directory=tmp_path)


# ------------------------------------------------------------------------- the shipped checkpoints
ATTR = ("city", "job", "pet", "colour")
ICUL_DROP = 0.5   # lecture 07: ICUL lowers the full model's forget accuracy far below closed book
UNUN_MIN = 0.9    # lecture 07: with the fact in context the retrained model answers like the full one


@pytest.fixture(scope="module")
def shipped():
    full, world, tok = lm.load_lm("full")
    retrained, world2, _ = lm.load_lm("retrained")
    assert world2 == world
    return full, retrained, world, tok


def _mean(model, tok, world, people, relations=ATTR, contexts=None):
    return float(np.mean([lm.qa_accuracy(model, tok, world, people, r, contexts=contexts(r) if contexts else None)
                          for r in relations]))


def test_shipped_checkpoints_are_tensors_only_and_small():
    total = 0
    for name in ("full", "retrained"):
        path = lm.CHECKPOINT_DIR / f"lm_{name}.pt"
        blob = torch.load(path, weights_only=True)
        assert set(blob) == {"config", "state_dict"}
        total += path.stat().st_size
    assert total < 6e6, f"lecture 07's checkpoints take {total / 1e6:.1f} MB (budget 6 MB)"


def test_shipped_checkpoints_closed_book_claims(shipped):
    """Lecture 07, section 1: the full model knows everybody; retraining removes the forget people."""
    full, retrained, world, tok = shipped
    chance = float(np.mean([1 / len(world.values(r)) for r in ATTR]))
    assert _mean(full, tok, world, world.forget, ATTR + ("country",)) >= 0.95
    assert _mean(full, tok, world, world.retain, ATTR + ("country",)) >= 0.95
    assert _mean(retrained, tok, world, world.retain, ATTR + ("country",)) >= 0.95
    assert _mean(retrained, tok, world, world.forget) <= chance + 0.15


def test_shipped_checkpoints_icul_claims(shipped):
    """Lecture 07, sections 2 and 3: ICUL lowers forget accuracy, keeps retain, removes nothing."""
    full, retrained, world, tok = shipped
    forget_runs = [lm.icul_accuracy(full, tok, world, world.forget, r, n_examples=3, seed=0) for r in ATTR]
    retain_runs = [lm.icul_accuracy(full, tok, world, world.retain[::3], r, n_examples=3, seed=0) for r in ATTR]
    ref_runs = [lm.icul_accuracy(retrained, tok, world, world.forget, r, n_examples=3, seed=0) for r in ATTR]
    icul_forget = np.mean([r["accuracy"] for r in forget_runs])
    icul_retain = np.mean([r["accuracy"] for r in retain_runs])
    closed_forget = _mean(full, tok, world, world.forget)
    closed_retain = _mean(full, tok, world, world.retain[::3])
    assert icul_forget <= closed_forget - ICUL_DROP, (icul_forget, closed_forget)
    assert icul_retain >= closed_retain - 0.1, (icul_retain, closed_retain)
    assert _mean(full, tok, world, world.forget) >= 0.95  # without the prompt, everything is back
    # the likelihood probe: the prompted full model gives the truth more probability than the retrained one
    wins = []
    for r, a, b in zip(ATTR, forget_runs, ref_runs):
        cands = list(world.values(r))
        truth = torch.tensor([cands.index(world.answer(p, r)) for p in world.forget])
        rows = torch.arange(len(truth))
        wins += (a["scores"].log_softmax(1)[rows, truth] > b["scores"].log_softmax(1)[rows, truth]).tolist()
    assert np.mean(wins) >= 0.6, np.mean(wins)


def test_shipped_checkpoints_ununlearning_claims(shipped):
    """Lecture 07, section 4: the retrained model answers forget questions once the fact is in its
    context, and composes a stated city with the city-country knowledge it kept."""
    full, retrained, world, tok = shipped
    closed = _mean(retrained, tok, world, world.forget)
    stated = _mean(retrained, tok, world, world.forget,
                   contexts=lambda r: [lm.statement_text(world, p, r) for p in world.forget])
    assert stated >= UNUN_MIN and stated >= closed + 0.4, (closed, stated)
    country = lm.qa_accuracy(retrained, tok, world, world.forget, "country",
                             contexts=[lm.statement_text(world, p, "city") for p in world.forget])
    assert country >= UNUN_MIN
    assert lm.qa_accuracy(retrained, tok, world, world.forget, "country") <= 0.5


def test_update_episodes_and_second_phase(world, tok):
    with pytest.raises(ValueError, match="p_update"):
        lm.LMTrainConfig(p_context=0.8, p_update=0.3)
    # p_update = 0 draws the same stream as before the option existed; p_update > 0 changes it
    a = lm.training_batch(world, tok, world.retain, 16, 48, seed=5, p_context=0.5)
    assert torch.equal(a, lm.training_batch(world, tok, world.retain, 16, 48, seed=5, p_context=0.5, p_update=0.0))
    b = lm.training_batch(world, tok, world.retain, 32, 48, seed=5, p_context=0.0, p_update=1.0)
    # every sequence opens with an update: a training person's fact with a value that is not theirs
    contradicted = 0
    for row in b:
        text = tok.decode(row[1:])
        for i in world.retain:
            p = world.people[i]
            for r in ("city", "job", "pet", "colour"):
                for t in range(len(lm.QUESTIONS[r])):
                    q = lm.question_text(world, i, r, t)
                    if q in text and f"{q} {getattr(p, r)} ." not in text:
                        contradicted += 1
    assert contradicted >= 16
    cfg = lm.GPTConfig(vocab_size=tok.vocab_size, block_size=32, n_layer=1, n_head=2, n_embd=32)
    first, _ = lm.train_lm(world, world.retain, cfg, lm.LMTrainConfig(steps=2, batch_size=4, warmup=1, seed=0), model_seed=1)
    same, _ = lm.train_lm(world, world.retain, cfg, lm.LMTrainConfig(steps=0, seed=0), init_model=first)
    assert all(torch.equal(p, q) for p, q in zip(first.parameters(), same.parameters()))
    assert same is not first
    with pytest.raises(ValueError, match="init_model"):
        lm.train_lm(world, world.retain, lm.GPTConfig(vocab_size=tok.vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=32),
                    lm.LMTrainConfig(steps=0), init_model=first)


def test_wrong_types_raise_type_error_and_wrong_values_value_error(world, tok, model):
    # one exception type per kind of bad input, across the lm package (as everywhere in unlearnkit)
    with pytest.raises(TypeError, match="template"):
        lm.question_text(world, 0, "city", 1.0)
    with pytest.raises(ValueError, match="template"):
        lm.question_text(world, 0, "city", 9)
    with pytest.raises(TypeError, match="temperature"):
        lm.generate(model, tok, "where does", temperature="1")
    for kw, kind in (({"lr": "0.1"}, TypeError), ({"lr": 0.0}, ValueError), ({"steps": 2.5}, TypeError),
                     ({"p_context": None}, TypeError), ({"p_context": 1.5}, ValueError)):
        with pytest.raises(kind, match=next(iter(kw))):
            lm.LMTrainConfig(**kw)
    with pytest.raises(TypeError, match="n_layer"):
        lm.GPTConfig(vocab_size=10, n_layer=2.0)
    with pytest.raises(TypeError, match="n_people"):
        lm.make_world(n_people=20.0)


def test_the_package_keeps_every_old_name_and_the_gpt_lives_in_models():
    from unlearnkit import models
    from unlearnkit.lm import checkpoints, evaluation, tokenizer, training, world

    old = {"RELATIONS", "ATTRIBUTES", "STATEMENTS", "QUESTIONS", "Person", "World", "make_world", "Tokenizer",
           "GPTConfig", "GPT", "LMTrainConfig", "training_batch", "train_lm", "sequence_log_likelihood",
           "score_candidates", "qa_accuracy", "icul_accuracy", "generate", "qa_text", "statement_text",
           "question_text", "icul_prompt", "save_lm", "load_lm", "CHECKPOINT_DIR"}
    assert old <= set(lm.__all__) and all(hasattr(lm, n) for n in old)
    assert lm.GPT is models.GPT and lm.GPTConfig is models.GPTConfig
    assert lm.CHECKPOINT_DIR.name == "checkpoints" and (lm.CHECKPOINT_DIR / "lm_record.json").exists()
    for mod in (world, tokenizer, training, evaluation, checkpoints):
        assert mod.__doc__ and "lecture 07" in mod.__doc__
        assert all(getattr(lm, n) is getattr(mod, n) for n in mod.__all__ if n in lm.__all__)
