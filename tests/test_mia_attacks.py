"""Membership attacks and ROC code in unlearnkit.mia: checked against brute-force counts."""
import numpy as np
import pytest
import torch

from unlearnkit import data, metrics, mia, models, training


def _brute_roc(scores, labels):
    """(fpr, tpr) of 'member iff score >= t' for every distinct score t, plus t = inf."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    out = [(0.0, 0.0)]
    for t in sorted(set(scores.tolist()), reverse=True):
        out.append(((neg >= t).mean(), (pos >= t).mean()))
    return np.array(out)


@pytest.fixture
def attack():
    rng = np.random.default_rng(3)
    scores = np.r_[rng.normal(1.0, 1.0, 40), rng.normal(0.0, 1.0, 60)].round(1)  # rounding makes ties
    labels = np.r_[np.ones(40, dtype=np.int64), np.zeros(60, dtype=np.int64)]
    return scores, labels


def test_roc_auc_is_the_probability_a_member_outscores_a_non_member(attack):
    s, y = attack
    pos, neg = s[y == 1], s[y == 0]
    brute = ((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / (pos.size * neg.size)
    assert mia.roc_auc(s, y) == pytest.approx(brute, abs=1e-12)
    assert mia.roc_auc(-s, y) == pytest.approx(1 - brute, abs=1e-12)
    assert mia.roc_auc(s, torch.as_tensor(y == 1)) == mia.roc_auc(s, y)  # bool labels, tensors


def test_roc_curve_matches_counting_every_threshold(attack):
    s, y = attack
    fpr, tpr, thr = mia.roc_curve(s, y)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.allclose(np.c_[fpr, tpr], _brute_roc(s, y))
    assert fpr.dtype == tpr.dtype == thr.dtype == np.float64


@pytest.mark.parametrize("target", [0.001, 0.02, 0.1, 0.5, 1.0])
def test_tpr_at_fpr_is_the_best_tpr_strictly_below_the_target(attack, target):
    s, y = attack
    pts = _brute_roc(s, y)
    below = pts[pts[:, 0] < target]
    assert mia.tpr_at_fpr(s, y, target) == pytest.approx(below[:, 1].max())


def test_tpr_at_fpr_of_a_perfect_and_a_useless_attack():
    y = np.r_[np.ones(50, dtype=np.int64), np.zeros(50, dtype=np.int64)]
    assert mia.tpr_at_fpr(np.r_[np.ones(50), np.zeros(50)], y, 1e-3) == 1.0
    assert mia.tpr_at_fpr(np.zeros(100), y, 1e-3) == 0.0   # every score tied: only (0, 0) lies below


def test_loss_threshold_attack_on_a_model():
    train, test = data.make_blobs(120, centers=3, cluster_std=2.0, seed=1, test_fraction=0.5)
    net = models.mlp(2, 3, 32, seed=0)
    training.fit(net, train, training.TrainConfig(lr=0.2, momentum=0.9, batch_size=16, epochs=60, seed=0))
    scores, labels = mia.loss_threshold_scores(net, train, test)
    assert scores.shape == labels.shape == (len(train) + len(test),) and labels.sum() == len(train)
    assert np.allclose(scores[:len(train)], -training.per_example_loss(net, train).double().numpy())
    auc = mia.loss_threshold_auc(net, train, test)
    assert auc == mia.roc_auc(scores, labels) and auc > 0.5  # an overfitted model leaks membership
    assert metrics.loss_threshold_auc is mia.loss_threshold_auc  # the old home still works
    with pytest.raises(ValueError, match="non-empty"):
        mia.loss_threshold_auc(net, train.subset([]), test)
    with pytest.raises(TypeError, match="members"):
        mia.loss_threshold_scores(net, train.X, test)


def test_roc_bad_inputs():
    s, y = np.arange(4.0), np.array([1, 0, 1, 0])
    with pytest.raises(ValueError, match="both"):
        mia.roc_auc(s, np.ones(4, dtype=np.int64))
    with pytest.raises(ValueError, match="both"):
        mia.roc_curve(s, np.array([1, 0, 2, 0]))
    with pytest.raises(TypeError, match="labels"):
        mia.roc_auc(s, y.astype(float))
    with pytest.raises(ValueError, match="shape"):
        mia.roc_auc(s[:3], y)
    with pytest.raises(ValueError, match="inf"):
        mia.roc_auc(np.r_[s[:3], np.inf], y)
    with pytest.raises(ValueError, match="fpr"):
        mia.tpr_at_fpr(s, y, 0.0)
    with pytest.raises(TypeError, match="fpr"):
        mia.tpr_at_fpr(s, y, "0.1")
