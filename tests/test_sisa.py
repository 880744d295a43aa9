"""Tests for unlearnkit.sisa: shards, slices, checkpoints, aggregation and exact unlearning."""
import math
import os

import pytest
import torch

from unlearnkit import data, derive_seed, models, training
from unlearnkit import sisa as sisa_mod
from unlearnkit.sisa import (SISA, aggregate_proba, aggregate_votes, expected_fraction_touched,
                             expected_request_cost, expected_speedup, resume_stage, stage_steps,
                             train_shard, vote_counts)

S, R = 3, 4
SEED = 7


def _mf(s):
    return models.mlp(2, 3, (6,), seed=s)


SGD = training.TrainConfig(optimizer="sgd", lr=0.05, momentum=0.9, batch_size=8, epochs=3)
ADAM = training.TrainConfig(optimizer="adam", lr=0.01, batch_size=8, epochs=3)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs on one torch thread (fixture in conftest.py)."""


@pytest.fixture(scope="module")
def split():
    return data.make_blobs(n=150, centers=3, seed=2, test_fraction=0.2)


@pytest.fixture(scope="module")
def built(split):
    tr, _ = split
    return SISA(tr, _mf, SGD, S, R, seed=SEED)


def _states(e):
    return [{k: v.clone() for k, v in m.state_dict().items()} for m in e.models]


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _same_tree(a, b):
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b))
    return a == b


def _reference(e, s, removed):
    """Train shard s from scratch on its build-time slices minus `removed` (computed here, not by SISA)."""
    removed = torch.as_tensor(removed, dtype=torch.int64)
    slices = [e.data.subset(t[~torch.isin(t, removed)]) for t in e.slice_ids[s]]
    model, ckpts, logs = train_shard(_mf, slices, e.schedule[s], e.config, e.seed, s)
    return model, ckpts, logs


def _id_in(e, s, j):
    """Some id in shard s, slice j (1-based) that is not removed yet."""
    t = e.slice_ids[s][j - 1]
    return int(t[~torch.isin(t, e.removed)][0])


# ----------------------------------------------------------------------------- formulas
def test_expected_speedup_and_cost():
    assert expected_speedup(1, 1) == 1.0
    assert expected_speedup(20, 10) == pytest.approx(3 * 10 * 20 / 21)
    assert expected_speedup(5, 1) == pytest.approx(5.0)          # no slicing: S
    assert expected_speedup(1, 1000) < 1.5                        # slicing alone adds at most 1.5x
    assert expected_request_cost(4, 3) == pytest.approx(7 / 36)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="S"):
            expected_speedup(bad, 2)
    with pytest.raises(TypeError, match="R"):
        expected_speedup(2, 2.0)


def test_expected_fraction_touched():
    assert expected_fraction_touched(4, 2) == pytest.approx(1 - 0.75 ** 2)
    assert expected_fraction_touched(5, 0) == 0.0
    assert expected_fraction_touched(1, 3) == 1.0
    assert expected_fraction_touched(10, 100) > 0.99
    with pytest.raises(ValueError, match="K"):
        expected_fraction_touched(3, -1)
    with pytest.raises(TypeError, match="S"):
        expected_fraction_touched(3.5, 1)
    # Monte Carlo check of the formula with a seeded generator
    g = torch.Generator().manual_seed(0)
    hits = torch.randint(0, 8, (4000, 5), generator=g)
    touched = torch.stack([(hits == s).any(dim=1) for s in range(8)], dim=1).float().mean()
    assert float(touched) == pytest.approx(expected_fraction_touched(8, 5), abs=0.01)


def test_stage_steps():
    # equal slices: the stages sum to e epochs of the shard (here exactly, no rounding needed)
    steps = stage_steps([10] * 4, epochs=5, batch_size=10)
    assert steps == [2, 4, 6, 8] and sum(steps) == 5 * 40 / 10
    # one slice: the same as an ordinary epochs-based run
    assert stage_steps([37], 3, 8) == [training.TrainConfig(epochs=3, batch_size=8).num_steps(37)]
    # rounding up: every stage with data trains at least once, even with few epochs and many slices
    few = stage_steps([5] * 20, epochs=1, batch_size=64)
    assert all(k >= 1 for k in few) and sum(few) <= 1 * 100 / 5 + 20
    assert stage_steps([0, 4], 2, 2)[0] == 0
    with pytest.raises(ValueError, match="epochs"):
        stage_steps([3], 0, 1)
    with pytest.raises(ValueError, match="slice"):
        stage_steps([], 1, 1)
    with pytest.raises(TypeError, match="batch_size"):
        stage_steps([3], 1, 2.0)


def test_resume_stage():
    assert resume_stage([3, 2, 4]) == 1
    assert resume_stage(torch.tensor([1])) == 0
    with pytest.raises(ValueError, match="empty"):
        resume_stage([])
    with pytest.raises(ValueError, match="1-based"):
        resume_stage([0])


def test_aggregation_rules():
    labels = torch.tensor([[0, 2, 1, 1], [1, 2, 0, 2], [1, 0, 2, 0]])
    assert vote_counts(labels, 3).tolist() == [[1, 2, 0], [1, 0, 2], [1, 1, 1], [1, 1, 1]]
    # column 2 and 3 are three-way ties: the smallest label wins
    assert aggregate_votes(labels, 3).tolist() == [1, 2, 0, 0]
    assert aggregate_votes(torch.tensor([[2, 1], [1, 2]]), 3).tolist() == [1, 1]
    with pytest.raises(ValueError, match="labels"):
        aggregate_votes(torch.tensor([[3]]), 3)
    with pytest.raises(ValueError, match="labels"):
        aggregate_votes(torch.tensor([1, 2]), 3)
    with pytest.raises(ValueError, match="labels"):
        vote_counts(torch.tensor([1, 2]), 3)
    p = torch.tensor([[[0.6, 0.4]], [[0.0, 1.0]]])
    assert torch.allclose(aggregate_proba(p), torch.tensor([[0.3, 0.7]]))
    with pytest.raises(ValueError, match="probs"):
        aggregate_proba(torch.ones(2, 2))


# ----------------------------------------------------------------------------- building
def test_shards_and_slices_partition_the_data(built, split):
    tr, _ = split
    e = built
    all_ids = torch.cat([t for sl in e.slice_ids for t in sl])
    assert torch.equal(torch.sort(all_ids)[0], torch.sort(tr.ids)[0])    # disjoint and complete
    for s in range(S):
        shard = e.shard(s)
        counts = torch.bincount(shard.y, minlength=3)
        total = torch.bincount(tr.y, minlength=3)
        assert ((counts - total / S).abs() <= 1).all()                   # stratified by class
        sizes = [t.numel() for t in e.slice_ids[s]]
        assert max(sizes) - min(sizes) <= 1 and len(sizes) == R
        assert e.schedule[s] == stage_steps(sizes, SGD.epochs, SGD.batch_size)
        assert len(e.checkpoints[s]) == R + 1 and len(e.stage_logs[s]) == R
    assert sum(e.shard_sizes()) == len(tr)
    sh, sl = e.locate(e.slice_ids[1][2][:3])
    assert sh.tolist() == [1, 1, 1] and sl.tolist() == [3, 3, 3]
    assert e.build_log.grad_evals == sum(l.grad_evals for logs in e.stage_logs for l in logs)
    assert e.build_log.grad_evals == e.full_retrain_grad_evals()
    assert "S=3" in repr(e)


def test_stage_data_order_comes_from_the_derived_seed(split):
    tr, _ = split
    e = SISA(tr, _mf, SGD, 1, 1, seed=SEED)
    model = _mf(derive_seed(SEED, "shard", 0, "init"))
    shard = e.slices(0)[0]
    cfg = SGD.replace(steps=e.schedule[0][0], seed=derive_seed(SEED, "shard", 0, "stage", 1))
    training.fit(model, shard, cfg)
    assert _same_state(model.state_dict(), e.models[0].state_dict())


def test_checkpoints_hold_model_and_optimizer_state(built, tmp_path):
    ck = built.checkpoints[0][2]
    assert set(ck) == {"model", "optimizer"}
    assert _same_state(ck["model"], {k: v for k, v in ck["model"].items()})
    bufs = [st["momentum_buffer"] for st in ck["optimizer"]["state"].values()]
    assert bufs and all(isinstance(b, torch.Tensor) for b in bufs)      # momentum is carried between stages
    assert _same_state(built.checkpoints[0][R]["model"], built.models[0].state_dict())
    path = tmp_path / "ck.pt"
    torch.save(ck, path)
    assert _same_tree(torch.load(path, weights_only=True), ck)


@pytest.mark.parametrize("kwargs, err, text", [
    (dict(n_shards=121), ValueError, "n_shards"),
    (dict(n_shards=0), ValueError, "n_shards"),
    (dict(n_shards=3.0), TypeError, "n_shards"),
    (dict(n_slices=41), ValueError, "n_slices"),
    (dict(n_slices=2.5), TypeError, "n_slices"),
    (dict(n_slices=True), TypeError, "n_slices"),
])
def test_constructor_errors(split, kwargs, err, text):
    tr, _ = split
    args = dict(n_shards=3, n_slices=2)
    args.update(kwargs)
    with pytest.raises(err, match=text):
        SISA(tr, _mf, SGD, **args)


def test_constructor_type_errors(split):
    tr, _ = split
    with pytest.raises(ValueError, match="epochs"):
        SISA(tr, _mf, SGD.replace(steps=10), 2, 2)
    with pytest.raises(TypeError, match="config"):
        SISA(tr, _mf, {"lr": 0.1}, 2, 2)
    with pytest.raises(TypeError, match="data"):
        SISA(tr.X, _mf, SGD, 2, 2)


# ----------------------------------------------------------------------------- exactness
@pytest.mark.parametrize("config", [SGD, ADAM], ids=["sgd-momentum", "adam"])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_unlearn_one_point_is_exact(split, config, where):
    tr, _ = split
    e = SISA(tr, _mf, config, S, R, seed=SEED)
    j = {"first": 1, "middle": 2, "last": R}[where]
    victim = _id_in(e, 1, j)
    before = _states(e)
    old_models = list(e.models)
    rep = e.unlearn([victim])
    assert rep.shards_retrained == [1]
    assert rep.resumed_from == {1: j - 1}
    assert rep.stages_retrained == {1: list(range(j, R + 1))}
    ref, ref_ckpts, ref_logs = _reference(e, 1, [victim])
    assert _same_state(e.models[1].state_dict(), ref.state_dict())          # bitwise
    assert _same_tree(e.checkpoints[1], ref_ckpts)                           # every checkpoint too
    assert rep.grad_evals == sum(l.grad_evals for l in ref_logs[j - 1:]) > 0
    for s in (0, 2):                                                         # untouched shards
        assert e.models[s] is old_models[s]
        assert _same_state(e.models[s].state_dict(), before[s])
        assert s not in rep.grad_evals_per_shard
    # the removed point is really gone from the shard
    assert not e.shard(1).contains([victim]).any()


def test_batch_request_several_points_several_shards_is_exact(split):
    tr, _ = split
    e = SISA(tr, _mf, SGD, S, R, seed=SEED)
    ids = [_id_in(e, 0, 3), _id_in(e, 0, 2), _id_in(e, 2, 4), int(e.slice_ids[2][3][1])]
    plan = e.plan(ids)
    ck_before = [list(c) for c in e.checkpoints]
    untouched_model = e.models[1]
    rep = e.unlearn(ids)
    assert rep.shards_retrained == [0, 2]
    assert rep.resumed_from == {0: 1, 2: 3}
    assert rep.stages_retrained == {0: [2, 3, 4], 2: [4]}
    assert plan["grad_evals"] == rep.grad_evals and plan["grad_evals_per_shard"] == rep.grad_evals_per_shard
    assert plan["full_retrain_grad_evals"] == rep.full_retrain_grad_evals
    assert rep.speedup == rep.full_retrain_grad_evals / rep.grad_evals > 1
    assert rep.seconds > 0 and torch.equal(rep.ids, torch.tensor(ids))
    for s in (0, 2):
        ref, _, _ = _reference(e, s, ids)
        assert _same_state(e.models[s].state_dict(), ref.state_dict())
    # checkpoints before the resume point are kept as they were (the same objects)
    assert e.checkpoints[0][1] is ck_before[0][1] and e.checkpoints[2][3] is ck_before[2][3]
    assert e.models[1] is untouched_model and e.checkpoints[1] == ck_before[1]
    assert e.history[-1] is rep and e.removed.tolist() == ids


def test_sequential_requests_are_exact(split):
    tr, _ = split
    e = SISA(tr, _mf, ADAM, S, R, seed=SEED)
    first = [_id_in(e, 2, 3)]
    e.unlearn(first)
    second = [_id_in(e, 2, 1), _id_in(e, 1, 4)]
    rep = e.unlearn(second)
    assert rep.resumed_from == {1: 3, 2: 0}
    gone = first + second
    for s in range(S):
        ref, _, _ = _reference(e, s, gone)
        assert _same_state(e.models[s].state_dict(), ref.state_dict())
    assert len(e.history) == 2 and e.removed.tolist() == gone


def test_mean_cost_of_one_request_matches_the_formula(built):
    """Average the exact planned cost over every single-id request: (2R+1)/(3RS) of the full cost."""
    e = built
    ratios = []
    for s in range(S):
        for t in e.slice_ids[s]:
            for i in t.tolist():
                p = e.plan([i])
                ratios.append(p["grad_evals"] / p["full_retrain_grad_evals"])
    mean = sum(ratios) / len(ratios)
    assert mean == pytest.approx(expected_request_cost(S, R), rel=0.1)


# ----------------------------------------------------------------------------- bad requests
@pytest.mark.parametrize("bad, err, text", [
    ([], ValueError, "empty"),
    ([3.0], TypeError, "ids"),
    (torch.tensor([1.5]), TypeError, "ids"),
    ([True], TypeError, "ids"),
    ("5", TypeError, "ids"),
    ([5, 5], ValueError, "duplicates"),
    ([10_000], ValueError, "not in the training set"),
])
def test_bad_requests_change_nothing(built, split, bad, err, text):
    e = built
    before, ck = _states(e), [[c for c in cs] for cs in e.checkpoints]
    n_hist, removed = len(e.history), e.removed.clone()
    with pytest.raises(err, match=text):
        e.unlearn(bad)
    with pytest.raises(err, match=text):
        e.plan(bad)
    assert all(_same_state(a.state_dict(), b) for a, b in zip(e.models, before))
    assert all(a is b for cs, ds in zip(e.checkpoints, ck) for a, b in zip(cs, ds))
    assert len(e.history) == n_hist and torch.equal(e.removed, removed)


def test_test_ids_and_already_removed_ids_are_refused_atomically(split):
    tr, te = split
    e = SISA(tr, _mf, SGD, 2, 2, seed=1)
    with pytest.raises(ValueError, match="not in the training set"):
        e.unlearn([int(tr.ids[0]), int(te.ids[0])])     # one good id, one test id: nothing happens
    assert e.removed.numel() == 0 and not e.history
    e.unlearn([int(tr.ids[0])])
    snap = _states(e)
    ckpts = [list(c) for c in e.checkpoints]
    with pytest.raises(ValueError, match="already removed"):
        e.unlearn([int(tr.ids[1]), int(tr.ids[0])])
    assert all(_same_state(a.state_dict(), b) for a, b in zip(e.models, snap))
    assert all(a is b for cs, ds in zip(e.checkpoints, ckpts) for a, b in zip(cs, ds))
    assert e.removed.tolist() == [int(tr.ids[0])]


def test_interrupted_request_leaves_everything_as_it_was(split, monkeypatch):
    tr, _ = split
    e = SISA(tr, _mf, SGD, 2, 2, seed=1)
    snap, ckpts = _states(e), [list(c) for c in e.checkpoints]
    calls = {"n": 0}
    real_fit = sisa_mod.fit

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real_fit(*a, **k)

    monkeypatch.setattr(sisa_mod, "fit", flaky)
    with pytest.raises(RuntimeError, match="power cut"):
        e.unlearn([_id_in(e, 0, 1), _id_in(e, 1, 1)])
    assert all(_same_state(a.state_dict(), b) for a, b in zip(e.models, snap))
    assert all(a is b for cs, ds in zip(e.checkpoints, ckpts) for a, b in zip(cs, ds))
    assert e.removed.numel() == 0


def test_emptying_a_slice_still_gives_the_from_scratch_model(split):
    tr, _ = split
    e = SISA(tr, _mf, SGD, 4, 10, seed=3)
    whole_slice = e.slice_ids[0][0].tolist()
    rep = e.unlearn(whole_slice)
    assert rep.resumed_from == {0: 0}
    ref, _, _ = _reference(e, 0, whole_slice)
    assert _same_state(e.models[0].state_dict(), ref.state_dict())
    assert _same_state(e.from_scratch(0).state_dict(), ref.state_dict())
    with pytest.raises(ValueError, match="s must"):
        e.from_scratch(4)
    assert len(e.slices(0)[0]) == 0


# ----------------------------------------------------------------------------- prediction, saving
def test_prediction_and_accuracy(split):
    tr, te = split
    e = SISA(tr, _mf, SGD.replace(lr=0.1, epochs=10), S, R, seed=SEED)
    logits = e.shard_logits(te)
    assert logits.shape == (S, len(te), 3)
    pv, pp = e.predict(te), e.predict(te, how="proba")
    assert pv.dtype == torch.int64 and pv.shape == (len(te),)
    assert torch.equal(pv, aggregate_votes(logits.argmax(dim=2), 3))
    assert torch.equal(pp, torch.softmax(logits, 2).mean(0).argmax(1))
    prob = e.predict_proba(te)
    assert torch.allclose(prob.sum(1), torch.ones(len(te)))
    votes = e.predict_proba(te, how="vote")
    assert torch.allclose(votes.sum(1), torch.ones(len(te)))
    assert torch.equal(votes * S, vote_counts(logits.argmax(dim=2), 3).float())
    acc = e.accuracy(te)
    assert acc == pytest.approx(float((pv == te.y).double().mean()))
    assert acc > 0.9                                               # blobs are easy
    sa = e.shard_accuracies(te)
    assert sa.shape == (S,) and sa.dtype == torch.float64
    assert float(sa[0]) == pytest.approx(training.accuracy(e.models[0], te))
    with pytest.raises(ValueError, match="how"):
        e.predict(te, how="max")
    with pytest.raises(ValueError, match="how"):
        e.predict_proba(te, how="max")


def test_save_load_roundtrip_and_weights_only(split, tmp_path):
    tr, te = split
    e = SISA(tr, _mf, ADAM, 2, 3, seed=4)
    e.unlearn([_id_in(e, 0, 2)])
    e.save(str(tmp_path))
    files = sorted(os.listdir(tmp_path))
    assert "meta.pt" in files and "shard_1" in files
    for root, _, names in os.walk(tmp_path):
        for n in names:
            torch.load(os.path.join(root, n), weights_only=True)       # tensors and plain containers only
    f = SISA.load(str(tmp_path), tr, _mf)
    assert torch.equal(f.removed, e.removed) and f.schedule == e.schedule
    assert torch.equal(f.predict(te), e.predict(te))
    assert all(_same_tree(a, b) for a, b in zip(f.checkpoints, e.checkpoints))
    # the loaded ensemble unlearns exactly as the original would
    victim = _id_in(e, 1, 1)
    e.unlearn([victim])
    f.unlearn([victim])
    assert all(_same_state(a.state_dict(), b.state_dict()) for a, b in zip(e.models, f.models))
    with pytest.raises(ValueError, match="data"):
        SISA.load(str(tmp_path), te, _mf)


def test_copy_is_independent(split):
    tr, _ = split
    e = SISA(tr, _mf, SGD, 2, 2, seed=5)
    c = e.copy()
    snap = _states(e)
    c.unlearn([_id_in(c, 0, 1)])
    assert all(_same_state(a.state_dict(), b) for a, b in zip(e.models, snap))
    assert e.removed.numel() == 0 and c.removed.numel() == 1


def test_slices_and_shard_helpers(built):
    e = built
    sl = e.slices(0)
    assert len(sl) == R and [len(x) for x in sl] == [t.numel() for t in e.slice_ids[0]]
    assert torch.equal(e.shard(0).ids, torch.cat([t for t in e.slice_ids[0]]))
    with pytest.raises(ValueError, match="s must"):
        e.slices(S)
    with pytest.raises(ValueError, match="not in the training set"):
        e.locate([99_999])
    assert math.isnan(e.accuracy(e.data.where(torch.zeros(len(e.data), dtype=torch.bool))))
