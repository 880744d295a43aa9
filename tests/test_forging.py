"""Tests for unlearnkit.forging (lecture 03): logs and replay, least squares, twin and closest-batch forging."""
import copy

import pytest
import torch

from unlearnkit import data as ud
from unlearnkit import forging as fg
from unlearnkit import models, training


@pytest.fixture(scope="module")
def line():
    return ud.make_line(40, seed=1)


@pytest.fixture(scope="module")
def twins():
    base = ud.make_line(50, seed=0)
    return fg.make_twin_forgery(base, [2, 11, 30], batch_size=12, epochs=2, lr=0.05, seed=3)


@pytest.fixture(scope="module")
def blobs():
    return ud.make_blobs(160, centers=3, seed=0)


@pytest.fixture(scope="module")
def sgd():
    return training.TrainConfig(lr=0.2, batch_size=16, epochs=1, seed=5)


# ----------------------------------------------------------------------------- logs and replay
def test_state_hash_sees_one_bit():
    m = models.mlp(3, 2, hidden=4, seed=0)
    h = fg.state_hash(m)
    assert len(h) == 64 and h == fg.state_hash(copy.deepcopy(m))
    with torch.no_grad():
        w = next(m.parameters())
        w.view(-1)[0] = torch.nextafter(w.view(-1)[0], torch.tensor(1e9))
    assert fg.state_hash(m) != h
    with pytest.raises(TypeError, match="model"):
        fg.state_hash({"a": 1})


def test_record_training_matches_fit_bitwise(blobs, sgd):
    a, b = models.mlp(2, 3, hidden=8, seed=1), models.mlp(2, 3, hidden=8, seed=1)
    rec = fg.record_training(a, blobs, sgd, keep_checkpoints=True)
    training.fit(b, blobs, sgd)
    assert rec.steps == sgd.num_steps(len(blobs)) == len(rec.hashes) - 1
    assert rec.hashes[-1] == fg.state_hash(b) == fg.state_hash(a)
    assert rec.checkpoints.shape == (rec.steps + 1, models.count_parameters(a))
    assert len(set(rec.hashes)) == rec.steps + 1  # every step moved the weights
    c = rec.load_checkpoint(models.mlp(2, 3, hidden=8, seed=7), rec.steps)
    assert fg.state_hash(c) == rec.hashes[-1]
    with pytest.raises(ValueError, match="t must"):
        rec.load_checkpoint(c, rec.steps + 1)


def test_replay_accepts_honest_log_and_finds_tampered_step(blobs, sgd):
    init = models.mlp(2, 3, hidden=8, seed=1)
    rec = fg.record_training(copy.deepcopy(init), blobs, sgd)
    rep = fg.replay(init, blobs, rec, check_order=True)
    assert rep.ok and rep.first_divergence is None and rep.order_ok and rep.steps_checked == rec.steps
    bad = rec.with_batch(4, torch.flip(rec.batches[6], [0]))
    rep = fg.replay(init, blobs, bad, check_order=True)
    assert not rep.ok and rep.first_divergence == 4 and rep.steps_checked == 4 and rep.order_ok is False
    other = models.mlp(2, 3, hidden=8, seed=2)
    assert fg.replay(other, blobs, rec).first_divergence == 0
    # a tampered hash is caught at that checkpoint
    hashes = list(rec.hashes)
    hashes[7] = "0" * 64
    from dataclasses import replace
    assert fg.replay(init, blobs, replace(rec, hashes=hashes)).first_divergence == 7
    # replay does not change the model it is given
    assert fg.state_hash(init) == rec.hashes[0]


def test_replay_handles_batches_that_straddle_epochs(sgd):
    d = ud.make_blobs(7, centers=2, seed=1)   # batches of 6 from 7 examples straddle epochs and repeat ids
    cfg = sgd.replace(batch_size=6, steps=10)
    init = models.mlp(2, 3, hidden=8, seed=1)
    rec = fg.record_training(copy.deepcopy(init), d, cfg)
    assert any(torch.unique(b).numel() < b.numel() for b in rec.batches)
    rep = fg.replay(init, d, rec, check_order=True)
    assert rep.ok and rep.order_ok


def test_replay_reports_forget_steps(blobs, sgd):
    init = models.mlp(2, 3, hidden=8, seed=1)
    rec = fg.record_training(copy.deepcopy(init), blobs, sgd)
    S = rec.batches[2][:1]
    rep = fg.replay(init, blobs, rec, forget_ids=S)
    assert 3 in rep.forget_steps and not rep.ok and rep.first_divergence is None


def test_with_batch_and_train_on_batches_errors(blobs, sgd):
    rec = fg.record_training(models.mlp(2, 3, hidden=4, seed=0), blobs, sgd.replace(steps=3))
    with pytest.raises(ValueError, match="step"):
        rec.with_batch(0, [1, 2])
    with pytest.raises(ValueError, match=r"batches\[1\]"):
        fg.train_on_batches(models.mlp(2, 3, seed=0), blobs, [[0, 1], [10_000]], sgd)
    with pytest.raises(ValueError, match="empty"):
        fg.train_on_batches(models.mlp(2, 3, seed=0), blobs, [torch.tensor([], dtype=torch.int64)], sgd)


def test_train_on_batches_reproduces_record_and_batch_loss(blobs, sgd):
    init = models.mlp(2, 3, hidden=8, seed=1)
    rec = fg.record_training(copy.deepcopy(init), blobs, sgd)
    again = fg.train_on_batches(copy.deepcopy(init), blobs, rec.batches, sgd)
    assert again.hashes == rec.hashes
    loss = fg.batch_loss(init, blobs, rec.batches[0], sgd)
    assert loss.requires_grad and loss.dim() == 0


def test_trajectory_distance_and_shuffle(blobs, sgd):
    init = models.mlp(2, 3, hidden=8, seed=1)
    rec = fg.record_training(copy.deepcopy(init), blobs, sgd, keep_checkpoints=True)
    shuf = fg.shuffle_within_batches(rec.batches, seed=0)
    assert all(torch.equal(torch.sort(a)[0], torch.sort(b)[0]) for a, b in zip(rec.batches, shuf))
    noisy = fg.train_on_batches(copy.deepcopy(init), blobs, shuf, sgd, keep_checkpoints=True)
    d = fg.trajectory_distance(rec, noisy)
    assert d.shape == (rec.steps + 1,) and d[0] == 0 and float(d.max()) < 1e-5
    with pytest.raises(ValueError, match="keep_checkpoints"):
        fg.trajectory_distance(rec, fg.record_training(copy.deepcopy(init), blobs, sgd))


# ----------------------------------------------------------------------------- least squares
def test_least_squares_matches_numpy(line):
    import numpy as np
    theta = fg.least_squares(line)
    A = np.c_[line.X.double().numpy(), np.ones(len(line))]
    ref = np.linalg.lstsq(A, line.tags["target"].numpy(), rcond=None)[0]
    assert theta.dtype == torch.float64 and np.allclose(theta.numpy(), ref, atol=1e-12)
    r = fg.residuals(line, theta)
    assert abs(float(r.sum())) < 1e-10 and abs(float((r * line.X[:, 0].double()).sum())) < 1e-10


def test_on_line_point_removal_keeps_fit_and_off_line_moves_it(line):
    theta = fg.least_squares(line)
    on = fg.points_on_line([-1.0, 0.5, 2.5], theta, start_id=1000)
    assert float(fg.residuals(on, theta).abs().max()) < 1e-12
    both = line.concat(on)
    assert float((fg.least_squares(both) - theta).abs().max()) < 1e-10
    assert fg.refit_change(both, on.ids) < 1e-10
    off = int(line.ids[int(fg.residuals(line, theta).abs().argmax())])
    assert fg.refit_change(line, [off]) > 1e-3


def test_least_squares_errors(line):
    with pytest.raises(ValueError, match="ids covers the whole"):
        fg.refit_change(line, line.ids)
    with pytest.raises(ValueError, match="ids"):
        fg.refit_change(line, line.ids[:-1])
    with pytest.raises(ValueError, match="ids is empty"):
        fg.refit_change(line, [])
    with pytest.raises(ValueError, match="target"):
        fg.least_squares(ud.make_blobs(10))
    with pytest.raises(ValueError, match="theta"):
        fg.residuals(line, torch.zeros(3))
    with pytest.raises(ValueError, match="theta"):
        fg.points_on_line([1.0], torch.zeros(3), 0)


# ----------------------------------------------------------------------------- exact twin forgery
def test_twin_points_keep_sums():
    Z = torch.tensor([[0.0, 1.0], [1.0, 3.2], [2.5, 5.9]], dtype=torch.float64)
    T = fg.twin_points(Z, 1.1)
    assert torch.allclose(T.sum(0), Z.sum(0), atol=1e-12) and torch.allclose(T.T @ T, Z.T @ Z, atol=1e-12)
    assert (T - Z).abs().max() > 0.1
    assert torch.allclose(fg.twin_points(Z, 0.0), Z)
    with pytest.raises(ValueError, match="Z"):
        fg.twin_points(torch.zeros(2, 2), 1.0)


def test_twin_forgery_matches_every_step(twins):
    S = twins.forget_ids
    assert len(twins.forged_steps) > 0
    assert not any(bool(torch.isin(b, S).any()) for b in twins.forged_batches)
    init = fg.linear_regression(1, seed=0)
    orig = fg.record_training(copy.deepcopy(init), twins.data, twins.config, keep_checkpoints=True)
    assert set(fg.replay(init, twins.data, orig, forget_ids=S).forget_steps) == set(twins.forged_steps)
    forged = fg.train_on_batches(copy.deepcopy(init), twins.data, twins.forged_batches, twins.config,
                                 keep_checkpoints=True)
    d = fg.trajectory_distance(orig, forged)
    assert float(d.max()) < 1e-5  # float32 precision at every step
    # the forged log never touches S; its batches are not the seeded order
    rep = fg.replay(init, twins.data, forged, forget_ids=S, check_order=True)
    assert rep.forget_steps == [] and rep.first_divergence is None and rep.order_ok is False


def test_twin_batches_have_equal_sums(twins):
    D = twins.data
    from unlearnkit.training import batch_order
    order = batch_order(len(D), twins.config.batch_size, twins.config.steps, twins.config.seed)
    Z = torch.cat([D.X.double(), torch.ones(len(D), 1, dtype=torch.float64), D.tags["target"][:, None]], 1)
    for t in twins.forged_steps:
        a = Z[order[t - 1]]
        b = Z[D.positions(twins.forged_batches[t - 1])]
        assert torch.allclose(a.T @ a, b.T @ b, rtol=1e-5, atol=1e-4)


def test_twin_forgery_errors():
    base = ud.make_line(30, seed=0)
    with pytest.raises(ValueError, match="forget_ids covers"):
        fg.make_twin_forgery(base, base.ids)
    with pytest.raises(ValueError, match="forget_ids is empty"):
        fg.make_twin_forgery(base, [])
    with pytest.raises(ValueError, match="batch_size"):
        fg.make_twin_forgery(base, [1], batch_size=2)
    with pytest.raises(ValueError, match="epochs"):
        fg.make_twin_forgery(base, [1], epochs=0)
    with pytest.raises(ValueError, match="d must"):
        fg.linear_regression(0)


# ----------------------------------------------------------------------------- approximate forgery
def test_per_example_grads_mean_is_batch_grad(blobs, sgd):
    m = models.mlp(2, 3, hidden=8, seed=0)
    ids = blobs.ids[:20]
    G = fg.per_example_grads(m, blobs, ids, sgd)
    assert G.shape == (20, models.count_parameters(m)) and G.dtype == torch.float32
    g = torch.autograd.grad(fg.batch_loss(m, blobs, ids, sgd), list(m.parameters()))
    assert torch.allclose(G.mean(0), torch.cat([x.reshape(-1) for x in g]), atol=1e-6)


def test_closest_batch_is_closest_and_grows_better_with_M(blobs, sgd):
    m = models.mlp(2, 3, hidden=8, seed=0)
    S = blobs.ids[:10]
    pool = blobs.without(S).ids
    B = torch.cat([S[:4], pool[:12]])
    step = fg.closest_batch(m, blobs, B, pool, 200, sgd, seed=1)
    assert step.candidate_errors.shape == (200,) and step.candidates.shape == (200, 16)
    assert step.best == int(step.candidate_errors.argmin())
    assert not bool(torch.isin(step.ids, S).any())
    # the estimated error equals a real SGD step's distance (up to float32 rounding)
    def after(ids):
        mm = copy.deepcopy(m)
        opt = training.make_optimizer(mm.parameters(), sgd)
        fg.batch_loss(mm, blobs, ids, sgd).backward()
        opt.step()
        return torch.cat([p.detach().reshape(-1) for p in mm.parameters()]).double()
    real = float((after(B) - after(step.ids)).norm())
    assert abs(real - float(step.candidate_errors[step.best])) < 1e-5
    small = fg.closest_batch(m, blobs, B, pool, 1, sgd, seed=1)
    assert float(step.candidate_errors.min()) <= float(small.candidate_errors.min())


def test_closest_batch_errors(blobs, sgd):
    m = models.mlp(2, 3, hidden=8, seed=0)
    with pytest.raises(ValueError, match="candidate_ids is empty"):
        fg.closest_batch(m, blobs, blobs.ids[:4], [], 5, sgd, seed=0)
    with pytest.raises(ValueError, match="M"):
        fg.closest_batch(m, blobs, blobs.ids[:4], blobs.ids[4:], 0, sgd, seed=0)
    with pytest.raises(ValueError, match="candidate_ids has 2"):
        fg.closest_batch(m, blobs, blobs.ids[:4], blobs.ids[4:6], 3, sgd, seed=0)
    with pytest.raises(ValueError, match="plain SGD"):
        fg.closest_batch(m, blobs, blobs.ids[:4], blobs.ids[4:], 3, sgd.replace(momentum=0.9), seed=0)


def test_forge_log_and_noise_floor(blobs, sgd):
    init = models.mlp(2, 3, hidden=8, seed=0)
    rec = fg.record_training(copy.deepcopy(init), blobs, sgd, keep_checkpoints=True)
    S = blobs.ids[:6]
    res = fg.forge_log(init, blobs, rec, S, M=50, seed=0)
    touched = [t for t, b in enumerate(rec.batches, 1) if bool(torch.isin(b, S).any())]
    assert res.forged_steps == touched and res.errors.shape == (len(touched),)
    assert res.candidate_errors.shape == (len(touched), 50) and res.noise.shape == (len(touched),)
    assert not any(bool(torch.isin(b, S).any()) for b in res.batches)
    assert (res.errors > 0).all() and (res.noise < 1e-5).all()
    assert torch.allclose(res.errors, res.candidate_errors.min(1).values, atol=1e-5)
    assert fg.state_hash(init) == rec.hashes[0]
    nf = fg.noise_floor(init, blobs, rec.batches[0], sgd, seed=0)
    assert set(nf) == {"order", "float64"} and 0 <= nf["order"] < 1e-5 and 0 < nf["float64"] < 1e-5
    assert float(res.errors.min()) > 100 * max(nf.values())


def test_forge_log_errors(blobs, sgd):
    init = models.mlp(2, 3, hidden=8, seed=0)
    rec = fg.record_training(copy.deepcopy(init), blobs, sgd.replace(steps=2))
    with pytest.raises(ValueError, match="forget_ids covers"):
        fg.forge_log(init, blobs, rec, blobs.ids, M=5, seed=0)
    with pytest.raises(ValueError, match="forget_ids is empty"):
        fg.forge_log(init, blobs, rec, [], M=5, seed=0)
    with pytest.raises(ValueError, match="M"):
        fg.forge_log(init, blobs, rec, blobs.ids[:3], M=0, seed=0)
    with pytest.raises(ValueError, match="initial model"):
        fg.forge_log(models.mlp(2, 3, hidden=8, seed=9), blobs, rec, blobs.ids[:3], M=5, seed=0)
