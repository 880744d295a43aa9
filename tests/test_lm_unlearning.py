"""The library of lecture 06: the world's extension, the four LM unlearning methods, the TOFU-style formulas,
and the shipped unlearned checkpoints against their record."""
import json

import numpy as np
import pytest
import torch
from scipy import stats

from unlearnkit import lm
from unlearnkit.lm import tofu, unlearning as U
from unlearnkit.protocol import METHODS


@pytest.fixture(scope="module")
def shipped():
    torch.set_num_threads(1)
    full, world, tok = lm.load_lm("full")
    forget = U.person_documents(world, world.forget[:3])
    retain = U.person_documents(world, world.retain[:12])
    return full, world, tok, forget, retain


def _mean_ce(model, docs):
    tok = docs.tokenizer()
    ids = [tok.encode(t, bos=True) for t in docs.texts]
    lens = [1] * len(ids)
    ll = lm.sequence_log_likelihood(model, ids, lens)
    return float(-ll.sum() / sum(len(s) - 1 for s in ids))


def _same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa)


# ----------------------------------------------------------------------------- the world's extension
def test_extension_appends_words_and_keeps_old_ids_and_the_base_stream():
    world = lm.make_world()
    base, ext = lm.Tokenizer.for_world(world, extended=False), lm.Tokenizer.for_world(world)
    assert ext.itos[:len(base.itos)] == base.itos                      # old ids keep their words
    assert tuple(ext.itos[len(base.itos):]) == lm.EXTENSION_WORDS
    assert lm.UNKNOWN in lm.EXTENSION_WORDS and set(world.values(lm.HAZARD)) <= set(lm.EXTENSION_WORDS)
    assert all(p.spell in world.values(lm.HAZARD) for p in world.people)
    new_ids = set(range(base.vocab_size, ext.vocab_size))
    b = lm.training_batch(world, ext, range(len(world.people)), 16, 64, seed=3)
    assert not (set(b.unique().tolist()) & new_ids)                    # the base stream never uses them
    e = lm.training_batch(world, ext, range(len(world.people)), 16, 64, seed=3, p_context=0.4, p_update=0.2,
                          p_unknown=0.3, extended=True)
    assert {ext.stoi[lm.UNKNOWN], ext.stoi["spell"]} <= set(e.unique().tolist())
    with pytest.raises(ValueError, match="p_unknown"):
        lm.LMTrainConfig(p_unknown=0.1)                                # needs extended=True


def test_extend_vocabulary_keeps_every_old_logit(shipped):
    full, world, tok, *_ = shipped
    small = lm.GPT(lm.GPTConfig(vocab_size=lm.Tokenizer.for_world(world, extended=False).vocab_size, block_size=16,
                                n_layer=1, n_head=2, n_embd=16), seed=1).eval()
    big = lm.extend_vocabulary(small, tok.vocab_size, seed=2).eval()
    x = torch.tensor([tok.encode("where does wren oakhart live ?", bos=True)])
    with torch.no_grad():
        assert torch.equal(big(x)[..., :small.config.vocab_size], small(x))
    with pytest.raises(ValueError):
        lm.extend_vocabulary(small, small.config.vocab_size - 1)


# ----------------------------------------------------------------------------- methods
CASES = [("lm_gradient_ascent", U.LMUnlearnConfig(steps=3, batch_size=16, lr=5e-4, seed=1)),
         ("lm_gradient_difference", U.LMUnlearnConfig(steps=3, batch_size=16, lr=5e-4, seed=1)),
         ("lm_whp", U.WHPConfig(steps=3, batch_size=16, lr=5e-4, reinforce_steps=3, seed=1)),
         ("lm_rmu", U.RMUConfig(steps=3, batch_size=16, lr=1e-2, steering=4.0, seed=1))]


@pytest.mark.parametrize("name, config", CASES, ids=[c[0] for c in CASES])
def test_each_method_moves_the_forget_loss_up_and_is_reproducible(shipped, name, config):
    full, world, tok, forget, retain = shipped
    before = _mean_ce(full, forget)
    model, log = METHODS[name](full, forget, retain, config)
    after = _mean_ce(model, forget)
    assert after > before + 0.05, (before, after)
    again, log2 = METHODS[name](full, forget, retain, config)
    assert _same(model, again) and log.losses == log2.losses
    assert log.steps == config.steps + getattr(config, "reinforce_steps", 0) and log.grad_evals > 0
    assert _mean_ce(full, forget) == before                              # the input model is untouched


def test_rmu_trains_only_the_mlp_output_weights_and_steers_toward_c_u(shipped):
    full, world, tok, forget, retain = shipped
    cfg = U.RMUConfig(steps=3, batch_size=16, lr=1e-2, steering=4.0, seed=1)
    model, log = U.rmu(full, forget, retain, cfg)
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, full.state_dict()[k])}
    assert changed == {"blocks.0.mlp.2.weight", "blocks.1.mlp.2.weight"}
    assert log.losses[-1] < log.losses[0]                                # the RMU objective goes down
    assert log.extra["steering_c"] > 0


def test_gradient_ascent_with_another_seed_draws_other_batches(shipped):
    full, world, tok, forget, retain = shipped
    a, _ = U.gradient_ascent(full, forget, retain, U.LMUnlearnConfig(steps=2, batch_size=8, seed=1))
    b, _ = U.gradient_ascent(full, forget, retain, U.LMUnlearnConfig(steps=2, batch_size=8, seed=2))
    assert not _same(a, b)


def test_bad_input_is_refused_before_anything_changes(shipped):
    full, world, tok, forget, retain = shipped
    state = {k: v.clone() for k, v in full.state_dict().items()}
    with pytest.raises(TypeError, match="forget"):
        U.gradient_ascent(full, list(forget.texts), retain, U.LMUnlearnConfig())
    with pytest.raises(ValueError, match="share ids"):
        U.gradient_difference(full, forget, forget, U.LMUnlearnConfig())
    with pytest.raises(ValueError, match="layer"):
        U.rmu(full, forget, retain, U.RMUConfig(layer=3))
    with pytest.raises(ValueError, match="steps"):
        U.LMUnlearnConfig(steps=0)
    with pytest.raises(ValueError, match="alpha"):
        U.WHPConfig(alpha=-1.0)
    with pytest.raises(ValueError, match="ids must be unique"):
        U.Documents(("a", "a"), ("x .", "y ."), (0, 0), world)
    with pytest.raises(TypeError, match="config"):
        METHODS["lm_whp"](full, forget, retain, U.LMUnlearnConfig())
    assert all(torch.equal(v, state[k]) for k, v in full.state_dict().items())


# ----------------------------------------------------------------------------- formulas by hand
def test_whp_generic_logits_by_hand():
    v_base = torch.tensor([1.0, 2.0, 3.0])
    v_reinf = torch.tensor([2.0, 1.0, 3.5])
    # ReLU(v_reinf - v_base) = [1, 0, 0.5]; minus alpha = 2 times it
    assert torch.equal(U.whp_generic_logits(v_base, v_reinf, 2.0), torch.tensor([-1.0, 2.0, 2.0]))
    assert torch.equal(U.whp_generic_logits(v_base, v_reinf, 0.0), v_base)
    with pytest.raises(ValueError):
        U.whp_generic_logits(v_base, v_reinf[:2], 1.0)
    with pytest.raises(ValueError):
        U.whp_generic_logits(v_base, v_reinf, -0.5)


def test_anchored_replacement_by_hand():
    m = {"wren oakhart": "noor yarrow"}
    assert U.anchored_replacement("where does wren oakhart live ? wren oakhart .", m) == \
        "where does noor yarrow live ? noor yarrow ."
    assert U.anchored_replacement("wren lives in amberly .", m) == "wren lives in amberly ."   # half a name stays
    with pytest.raises(ValueError, match="2 words"):
        U.anchored_replacement("x .", {"wren oakhart": "noor"})


def test_truth_ratio_and_its_scores_by_hand():
    # paraphrased p = 0.5 (1 token); perturbed 0.25 (1 token) and 0.0625 (2 tokens: 0.25 per token)
    r = tofu.truth_ratio([np.log(0.5)], [1], [[np.log(0.25), np.log(0.0625)]], [[1, 2]])
    assert r == pytest.approx([0.5])
    assert tofu.truth_ratio_score([0.5, 2.0], forget=True) == pytest.approx(0.5)     # min(R, 1/R)
    assert tofu.truth_ratio_score([0.5, 2.0], forget=False) == pytest.approx(0.25)   # mean(max(0, 1 - R))
    with pytest.raises(ValueError):
        tofu.truth_ratio([0.1], [1], [[-1.0]], [[1]])                                # a positive log-likelihood
    with pytest.raises(ValueError):
        tofu.truth_ratio_score([], forget=True)


def test_forget_quality_is_the_ks_p_value_by_hand():
    # two samples of 3 with no overlap: D = 1, exact p = 2 / C(6, 3) = 0.1
    assert tofu.forget_quality([1, 2, 3], [4, 5, 6]) == pytest.approx(0.1)
    assert tofu.forget_quality([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    x = np.random.default_rng(0).normal(size=30)
    assert tofu.forget_quality(x, x + 0.3) == pytest.approx(stats.ks_2samp(x, x + 0.3).pvalue)
    with pytest.raises(ValueError):
        tofu.forget_quality([], [1.0])


def test_entropy_and_output_profile_by_hand():
    assert tofu.entropy([0.25] * 4) == pytest.approx(np.log(4))
    assert tofu.entropy([1.0, 0.0]) == 0.0
    with pytest.raises(ValueError):
        tofu.entropy([0.5, 0.6])
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])                    # candidates a, b, then unknown
    prof = tofu.output_profile({"p": p, "truth": np.array([1, 0]), "off_mass": np.array([0.0, 0.2])},
                               {"p": np.array([[0.5, 0.5, 0.0], [0.1, 0.1, 0.8]])})
    assert prof["accuracy"] == 0 and prof["confidently_wrong"] == 0.5 and prof["answers_unknown"] == 0.5
    assert prof["off_mass"] == pytest.approx(0.1) and prof["agrees_with_retrained"] == 1.0
    assert prof["tv_to_retrained"] == pytest.approx((0.5 * (0.2 + 0.3 + 0.1) + 0) / 2)


# ----------------------------------------------------------------------------- shipped checkpoints
def test_shipped_unlearned_checkpoints_match_their_record(shipped):
    full, world, tok, *_ = shipped
    rec = U.unlearned_record()
    assert set(rec["models"]) == set(U.UNLEARNED_CONFIGS)
    total = 0
    for name, entry in rec["models"].items():
        cfg = U.UNLEARNED_CONFIGS[name]
        assert json.loads(json.dumps({"type": type(cfg).__name__, **cfg.__dict__})) == entry["config"]
        path = lm.CHECKPOINT_DIR / entry["file"]
        blob = torch.load(str(path), map_location="cpu", weights_only=True)
        assert set(blob) == {"config", "state_dict"}
        model, _, tok2 = U.load_unlearned(name)
        quick = tofu.evaluate_unlearning(model, tok2, world, quick=True, seed=rec["eval_seed"])
        got, want = quick["per_relation"][tofu.QUICK_RELATION], entry["evaluation"]["per_relation"][tofu.QUICK_RELATION]
        for key in ("forget_accuracy", "retain_accuracy", "truth_ratio"):
            assert got[key] == pytest.approx(want[key], abs=1e-6), (name, key)
        assert np.allclose(quick["_truth_ratios"][tofu.QUICK_RELATION],
                           entry["evaluation"]["_truth_ratios"][tofu.QUICK_RELATION], rtol=1e-4)
        total += path.stat().st_size
    total += sum((lm.CHECKPOINT_DIR / f).stat().st_size for f in ("lm_full.pt", "lm_retrained.pt"))
    assert total < 25e6


def test_truth_ratio_and_forget_quality_agree_with_tofus_orientation():
    # TOFU's code (aggregate_eval_stat.py) forms s = exp(mean perturbed loss - paraphrased loss) = 1 / R,
    # scores retain sets as max(0, 1 - 1/s) and feeds s (not R) to ks_2samp: same numbers as ours.
    rng = np.random.default_rng(1)
    pll = np.log(rng.uniform(0.05, 0.9, size=20))
    qll = np.log(rng.uniform(0.05, 0.9, size=(20, 4)))
    r = tofu.truth_ratio(pll, 1, qll, 1)
    s = np.exp((-qll).mean(1) - (-pll))
    assert np.allclose(r, 1 / s)
    assert tofu.truth_ratio_score(r, forget=False) == pytest.approx(np.mean(np.maximum(0, 1 - 1 / s)))
    assert tofu.truth_ratio_score(r, forget=True) == pytest.approx(np.mean(np.minimum(s, 1 / s)))
    r2 = r * rng.uniform(0.5, 2.0, size=20)
    assert tofu.forget_quality(r, r2) == pytest.approx(stats.ks_2samp(1 / r, 1 / r2).pvalue)


def test_whp_generic_labels_by_hand():
    # baseline reads the translated ids, reinforced the original ones; label = argmax of the generic logits
    def fixed(rows):                 # a "model" giving the same logits at each position whatever the ids
        return lambda ids: torch.tensor([rows]).expand(ids.shape[0], -1, -1)
    base = fixed([[0.0, 3.0, 2.0, 0.0], [0.0, 1.0, 0.0, 0.5]])
    reinf = fixed([[0.0, 4.0, 2.0, 0.0], [0.0, 1.0, 0.0, 0.5]])
    orig, trans = torch.tensor([[1, 2, 3]]), torch.tensor([[1, 2, 3]])
    # position 0: base [0,3,2,0], ReLU(reinf - base) = [0,1,0,0]; alpha 2 -> [0,1,2,0] -> label 2 (base said 1)
    assert U.whp_generic_labels(base, reinf, orig, trans, 2.0).tolist() == [[2, 1]]
    assert U.whp_generic_labels(base, reinf, orig, trans, 0.0).tolist() == [[1, 1]]   # alpha 0: the baseline
    mask = torch.tensor([[False, False, True]])                                      # next token anchored
    assert U.whp_generic_labels(base, reinf, orig, trans, 2.0, mask).tolist() == [[2, 0]]
    padded = torch.tensor([[1, 2, 0]])
    assert U.whp_generic_labels(base, reinf, padded, padded, 2.0).tolist() == [[2, 0]]


def test_the_shipped_gradient_ascent_model_is_rebuilt_from_its_recorded_config():
    # the cheapest shipped method (6 steps): its weights follow from the code, the full model and the seed
    full, world, tok = lm.load_lm("full")
    forget, retain = U.person_documents(world, world.forget), U.person_documents(world, world.retain)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)         # the build's thread count: bitwise equal then (2 threads: 2e-4 apart)
    try:
        model, _ = U.gradient_ascent(full, forget, retain, U.UNLEARNED_CONFIGS["lm_gradient_ascent"])
    finally:
        torch.set_num_threads(threads)
    entry = U.unlearned_record()["models"]["lm_gradient_ascent"]
    shipped = torch.load(str(lm.CHECKPOINT_DIR / entry["file"]), map_location="cpu", weights_only=True)["state_dict"]
    mine = model.state_dict()
    assert max(float((mine[k].float() - v.float()).abs().max()) for k, v in shipped.items()) < 1e-5
