"""Tests of unlearnkit.lm.retrieval: the fact store, exact deletion, retrievers, the reader, kNN-LM."""
import pytest
import torch

from unlearnkit import lm


@pytest.fixture(scope="module")
def world():
    return lm.make_world(n_people=30, n_forget=4, seed=7)


@pytest.fixture(scope="module")
def tok(world):
    return lm.Tokenizer.for_world(world)


@pytest.fixture(scope="module")
def model(tok):
    return lm.GPT(lm.GPTConfig(vocab_size=tok.vocab_size, block_size=48, n_layer=2, n_head=2, n_embd=32), seed=4).eval()


REL = ("city", "job", "pet", "colour")


def store_of(world, model, tok, people, layer=0):
    return lm.FactStore.from_world(world, people, relations=REL, embedder=(model, tok, layer))


def test_hidden_states_feed_the_output_layer(world, tok, model):
    ids = tok.encode(lm.statement_text(world, 0, "city"), bos=True)
    h = lm.hidden_states(model, ids)
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0]
    torch.testing.assert_close(model.head(h), logits, rtol=0, atol=1e-5)
    h0 = lm.hidden_states(model, ids, layer=0)
    with torch.no_grad():
        torch.testing.assert_close(h0, model.tok_emb(torch.tensor(ids)) + model.pos_emb(torch.arange(len(ids))))
    with pytest.raises(ValueError, match="layer"):
        lm.hidden_states(model, ids, layer=3)


def test_store_layout_and_embeddings_per_sentence(world, tok, model):
    s = store_of(world, model, tok, range(5))
    assert len(s) == 20 and s.ids[:4] == ["0/city", "0/job", "0/pet", "0/colour"]
    assert s.facts[0] == lm.Fact("0/city", world.people[0].name, lm.statement_text(world, 0, "city"))
    one = lm.embed_texts(model, tok, [s.facts[7].text])[0]
    assert torch.equal(s.embeddings()[7], one)   # an entry's embedding depends on its sentence only


@pytest.mark.parametrize("layer", [0, 2])
def test_delete_equals_rebuilt_store_bitwise(world, tok, model, layer):
    everyone = range(len(world.people))
    s = store_of(world, model, tok, everyone, layer)
    gone = [f"{p}/{r}" for p in world.forget for r in REL]
    removed = s.delete(gone)
    assert sorted(f.id for f in removed) == sorted(gone)
    rebuilt = store_of(world, model, tok, world.retain, layer)
    assert s.same_as(rebuilt) and s.ids == rebuilt.ids
    assert torch.equal(s.embeddings(), rebuilt.embeddings())
    qs = [lm.question_text(world, p, "city") for p in everyone]
    cands = list(world.values("city"))
    for retr in (lm.ExactRetriever(), lm.EmbeddingRetriever(k=2)):
        a = lm.RetrievalQA(model, tok, s, retr, relation="city")
        b = lm.RetrievalQA(model, tok, rebuilt, retr, relation="city")
        assert a.prompts(qs) == b.prompts(qs)
        assert torch.equal(a.scores(qs, cands), b.scores(qs, cands))
    # a store that still holds them differs (the check can fail)
    assert not store_of(world, model, tok, everyone, layer).same_as(rebuilt)


def test_deleted_facts_leave_the_context(world, tok, model):
    s = lm.FactStore.from_world(world, range(len(world.people)), relations=REL)
    f = world.forget[0]
    q = lm.question_text(world, f, "city")
    qa = lm.RetrievalQA(model, tok, s, lm.ExactRetriever(), relation="city")
    assert qa.context(q) == lm.statement_text(world, f, "city")
    s.delete([f"{f}/city"])
    assert qa.context(q) == "" and qa.prompts([q]) == [q]


def test_exact_retriever_by_entity(world):
    s = lm.FactStore.from_world(world, range(len(world.people)), relations=REL)
    q = lm.question_text(world, 3, "job")
    got = lm.ExactRetriever().retrieve(s, q)
    assert [f.id for f in got] == [f"3/{r}" for r in REL]
    assert [f.id for f in lm.ExactRetriever().retrieve(s, q, "pet")] == ["3/pet"]
    assert lm.ExactRetriever().retrieve(s, "where does nobody live ?") == []


def test_embedding_retriever_finds_an_identical_sentence(world, tok, model):
    s = store_of(world, model, tok, range(10))
    for f in s.facts[:8]:
        assert lm.EmbeddingRetriever(1).retrieve(s, f.text)[0].id == f.id


def test_unknown_ids_change_nothing(world, tok, model):
    s = store_of(world, model, tok, range(6))
    before, emb = s.ids, s.embeddings().clone()
    with pytest.raises(KeyError, match="nothing was deleted"):
        s.delete(["0/city", "99/city"])
    with pytest.raises(TypeError, match="single str"):
        s.delete("0/city")
    assert s.ids == before and torch.equal(s.embeddings(), emb)
    s.delete(["0/city"])
    with pytest.raises(KeyError):
        s.delete(["0/city"])       # deleting twice is an unknown id


def test_empty_store(world, tok, model):
    cands = list(world.values("city"))
    qs = [lm.question_text(world, p, "city") for p in range(5)]
    for s in (lm.FactStore([], embedder=(model, tok)), store_of(world, model, tok, [0])):
        s.delete(s.ids)
        assert len(s) == 0 and s.embeddings().shape == (0, model.config.n_embd)
        for retr in (lm.ExactRetriever(), lm.EmbeddingRetriever(3)):
            assert retr.retrieve(s, qs[0]) == []
            qa = lm.RetrievalQA(model, tok, s, retr)
            assert torch.equal(qa.scores(qs, cands), lm.score_candidates(model, tok, qs, cands))  # closed book


def test_bad_input(world, tok, model):
    with pytest.raises(ValueError, match="distinct"):
        lm.FactStore([lm.Fact("a", "x y", "x y ."), lm.Fact("a", "x y", "x y .")])
    with pytest.raises(TypeError, match="Fact"):
        lm.FactStore([("a", "x y", "x y .")])
    with pytest.raises(TypeError, match="embedder"):
        lm.FactStore([], embedder=model)
    with pytest.raises(ValueError, match="relations"):
        lm.FactStore.from_world(world, [0], relations=("country",))
    with pytest.raises(ValueError, match="embedder"):
        lm.EmbeddingRetriever(1).retrieve(lm.FactStore.from_world(world, [0]), "where")
    with pytest.raises(ValueError, match="k"):
        lm.EmbeddingRetriever(0)
    with pytest.raises(TypeError, match="retriever"):
        lm.RetrievalQA(model, tok, lm.FactStore([]), retriever="exact")


def test_knn_lm_mixture():
    g = torch.Generator().manual_seed(0)
    p_lm = torch.softmax(torch.randn(10, generator=g), 0)
    keys, values = torch.randn(6, 4, generator=g), torch.tensor([1, 2, 3, 3, 4, 5])
    q = keys[2].clone()
    torch.testing.assert_close(lm.knn_lm_probs(p_lm, q, keys, values, lam=0.0), p_lm)
    p = lm.knn_lm_probs(p_lm, q, keys, values, k=1, lam=1.0)
    assert p.argmax() == 3 and p[3] == 1
    p = lm.knn_lm_probs(p_lm, q, keys, values, k=6, lam=0.5, temperature=2.0)
    d = ((keys - q) ** 2).sum(1)
    w = torch.softmax(-d / 2.0, 0)
    want = 0.5 * p_lm + 0.5 * torch.zeros(10).index_add_(0, values, w)
    torch.testing.assert_close(p, want)
    assert abs(float(p.sum()) - 1) < 1e-6
    torch.testing.assert_close(lm.knn_lm_probs(p_lm, q, keys[:0], values[:0]), p_lm)   # empty datastore
    with pytest.raises(ValueError, match="lam"):
        lm.knn_lm_probs(p_lm, q, keys, values, lam=1.5)
    with pytest.raises(ValueError, match="token ids"):
        lm.knn_lm_probs(p_lm, q, keys, values + 10)
    with pytest.raises(ValueError, match="disagree"):
        lm.knn_lm_probs(p_lm, q, keys, values[:3])
