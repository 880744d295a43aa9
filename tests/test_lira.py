"""LiRA, U-LiRA, the chance interval, pooled ROC and the relearning attack in unlearnkit.mia: small
cases computed by hand (a two-shadow-model LiRA with one zero variance, ties at a fixed FPR), the
formulas written out, a simulation of the chance interval, and bad input refused."""
import math

import matplotlib
import numpy as np
import pytest
import torch

from unlearnkit import data, derive_seed, mia, models
from unlearnkit.batched import fit_many
from unlearnkit.training import TrainConfig, fit

matplotlib.use("Agg")


def logpdf(x, mu, sd):
    return -0.5 * math.log(2 * math.pi) - math.log(sd) - (x - mu) ** 2 / (2 * sd * sd)


def logcdf(z):
    return math.log(0.5 * math.erfc(-z / math.sqrt(2)))


# ----------------------------------------------------------------------------- the fit, by hand
def test_two_shadow_models_per_side_with_one_zero_variance():
    # example 0: IN values 2, 2 (zero spread), OUT values 0, 1; example 1: IN 3, 5, OUT -1, 1
    stats = np.array([[2.0, 3.0], [2.0, 5.0], [0.0, -1.0], [1.0, 1.0]])
    members = np.array([[1, 1], [1, 1], [0, 0], [0, 0]], dtype=bool)
    fit = mia.lira_fit(stats, members, min_std=1e-3)
    assert fit.mu_in.tolist() == [2.0, 4.0] and fit.mu_out.tolist() == [0.5, 0.0]
    assert fit.sd_in.tolist() == [1e-3, 1.0] and fit.sd_out.tolist() == [0.5, 1.0]    # np.std, ddof 0; floored
    assert fit.n_in.tolist() == [2, 2] and fit.n_out.tolist() == [2, 2]
    online = mia.lira_scores(np.array([2.0, 4.0]), fit)
    # example 0 at phi = 2: log N(2; 2, 1e-3) - log N(2; 0.5, 0.5) = log(1000) - log(2) + 1.5^2 / 0.5
    assert online[0] == pytest.approx(math.log(1000) - math.log(2) + 4.5, rel=1e-12)
    assert online[1] == pytest.approx(logpdf(4, 4, 1) - logpdf(4, 0, 1), rel=1e-12) and online[1] == pytest.approx(8.0)
    assert np.isfinite(mia.lira_scores(np.array([2.5, 0.0]), fit)).all()      # far from the zero-spread fit: finite
    one = mia.lira_scores(np.array([2.0, 4.0]), fit, mode="offline", offline="one_sided")
    assert one.tolist() == pytest.approx([logcdf(3.0), logcdf(4.0)], rel=1e-12)
    dens = mia.lira_scores(np.array([2.0, 4.0]), fit, mode="offline", offline="density")
    assert dens.tolist() == pytest.approx([-logpdf(2, 0.5, 0.5), -logpdf(4, 0, 1)], rel=1e-12)


def test_median_mean_and_global_variance():
    stats = np.array([[0.0, 10.0], [1.0, 10.0], [5.0, 13.0], [-3.0, 0.0], [3.0, 2.0], [0.0, 4.0]])
    members = np.array([[1, 1]] * 3 + [[0, 0]] * 3, dtype=bool)
    med = mia.lira_fit(stats, members)
    mean = mia.lira_fit(stats, members, center="mean")
    assert med.mu_in.tolist() == [1.0, 10.0] and mean.mu_in.tolist() == [2.0, 11.0]
    assert med.mu_out.tolist() == [0.0, 2.0] and mean.mu_out.tolist() == [0.0, 2.0]
    assert med.sd_in.tolist() == pytest.approx([math.sqrt(14 / 3), math.sqrt(2)])
    glob = mia.lira_fit(stats, members, variance="global")
    # pooled over examples, each around its own mean: IN (4 + 1 + 9) + (1 + 1 + 4) = 20 over 6 values
    assert glob.sd_in.tolist() == pytest.approx([math.sqrt(20 / 6)] * 2)
    assert glob.sd_out.tolist() == pytest.approx([math.sqrt((9 + 9 + 0 + 4 + 0 + 4) / 6)] * 2)


def test_include_and_missing_sides():
    stats = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    members = np.array([[1, 1], [0, 1], [0, 1]], dtype=bool)
    include = np.array([[1, 1], [1, 1], [0, 1]], dtype=bool)
    fit = mia.lira_fit(stats, members, include=include)
    assert fit.n_in.tolist() == [1, 3] and fit.n_out.tolist() == [1, 0]
    assert fit.mu_out[0] == 3.0 and np.isnan(fit.mu_out[1]) and np.isnan(fit.sd_out[1])
    s = mia.lira_scores(np.array([1.0, 1.0]), fit)
    assert np.isfinite(s[0]) and np.isnan(s[1])          # no OUT value for example 1: no score


def test_online_score_is_the_written_out_likelihood_ratio():
    rng = np.random.default_rng(0)
    stats = rng.normal(size=(40, 6)) + np.arange(6)
    members = rng.random((40, 6)) < 0.5
    fit = mia.lira_fit(stats, members)
    x = rng.normal(size=6) + np.arange(6)
    want = []
    for j in range(6):
        a, b = stats[members[:, j], j], stats[~members[:, j], j]
        want.append(logpdf(x[j], np.median(a), a.std()) - logpdf(x[j], np.median(b), b.std()))
    assert mia.lira_scores(x, fit) == pytest.approx(want, rel=1e-10)
    two = mia.lira_scores(np.stack([x, x + 1]), fit)
    assert two.shape == (2, 6) and two[0] == pytest.approx(want)


def test_the_offline_variants_differ_on_over_unlearning():
    """Members scored far BELOW the non-members (over-unlearning): the one-sided test misses them."""
    rng = np.random.default_rng(1)
    m, n = 60, 30
    members = rng.random((m, n)) < 0.5
    stats = rng.normal(size=(m, n)) - 3.0 * members
    kw = dict(mode="offline")
    one = mia.pool(mia.lira_leave_one_out(stats, members, offline="one_sided", **kw), members)
    dens = mia.pool(mia.lira_leave_one_out(stats, members, offline="density", **kw), members)
    online = mia.pool(mia.lira_leave_one_out(stats, members), members)
    assert mia.roc_auc(*one) < 0.1 and mia.roc_auc(*dens) > 0.9 and mia.roc_auc(*online) > 0.9


# ----------------------------------------------------------------------------- leave one out, U-LiRA, pooling
def test_leave_one_out_fits_on_the_other_models():
    rng = np.random.default_rng(2)
    stats = rng.normal(size=(7, 5))
    members = rng.random((7, 5)) < 0.5
    members[:2] = True
    members[2:4] = False
    got = mia.lira_leave_one_out(stats, members, variance="global")
    for i in range(7):
        keep = np.arange(7) != i
        fit = mia.lira_fit(stats[keep], members[keep], variance="global")
        np.testing.assert_allclose(got[i], mia.lira_scores(stats[i], fit), rtol=1e-12, equal_nan=True)
    few = mia.lira_leave_one_out(stats, members, shadows=3)
    fit = mia.lira_fit(stats[[5, 6, 0]], members[[5, 6, 0]])
    np.testing.assert_allclose(few[4], mia.lira_scores(stats[4], fit), rtol=1e-12, equal_nan=True)


def test_ulira_compares_unlearned_with_never_seen():
    stats = np.arange(12.0).reshape(4, 3)
    trained = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]], dtype=bool)
    forget = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
    scores = mia.ulira_leave_one_out(stats, forget, trained, variance="global")
    kept = trained & ~forget
    assert np.isnan(scores[kept]).all()
    want = mia.lira_leave_one_out(stats, forget, include=forget | ~trained, variance="global")
    np.testing.assert_array_equal(np.isnan(scores), np.isnan(want))
    np.testing.assert_allclose(scores[~np.isnan(scores)], want[~np.isnan(want)])
    s, y = mia.pool(scores, forget)
    assert s.shape == y.shape and y.dtype == np.int64 and y.sum() <= forget.sum()
    with pytest.raises(ValueError, match="outside trained_masks"):
        mia.ulira_leave_one_out(stats, forget | ~trained, trained)


def test_ulira_of_a_retrained_control_stays_at_chance():
    """If U equals retraining, unlearned and never-seen values share one distribution: TPR ~ FPR."""
    rng = np.random.default_rng(3)
    m, n = 64, 200
    trained = rng.random((m, n)) < 0.5
    forget = trained.copy()
    stats = rng.normal(size=(m, n)) + rng.normal(size=n)        # per-example offsets, no membership effect
    s, y = mia.pool(mia.ulira_leave_one_out(stats, forget, trained), forget)
    lo, hi = mia.chance_interval(0.01, int(y.sum()), int((y == 0).sum()), level=0.999)
    assert lo <= mia.tpr_at_fpr(s, y, 0.01) <= hi and abs(mia.roc_auc(s, y) - 0.5) < 0.03


# ----------------------------------------------------------------------------- TPR at a fixed FPR, chance
def test_tpr_at_fpr_with_ties_by_hand():
    # non-members 0.9, 0.5, 0.5, 0.1 and members 0.9, 0.7, 0.5, 0.2. Thresholds (member iff score >= t):
    # t = 0.9 -> FPR 1/4, TPR 1/4; t = 0.7 -> 1/4, 2/4; t = 0.5 -> 3/4, 3/4 (the tie moves both at once);
    # t = 0.2 -> 3/4, 1; t = 0.1 -> 1, 1
    s = np.array([0.9, 0.5, 0.5, 0.1, 0.9, 0.7, 0.5, 0.2])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert mia.tpr_at_fpr(s, y, 0.25) == 0.0          # strictly below 1/4: only (0, 0)
    assert mia.tpr_at_fpr(s, y, 0.26) == 0.5          # the best point with FPR 1/4
    assert mia.tpr_at_fpr(s, y, 0.75) == 0.5 and mia.tpr_at_fpr(s, y, 0.76) == 1.0
    assert mia.tpr_at_fpr(s[::-1], y[::-1], 0.26) == 0.5   # the order of the examples does not matter


def test_chance_interval_covers_a_powerless_attack():
    rng = np.random.default_rng(4)
    n_pos, n_neg, f = 1500, 3000, 0.02
    lo, hi = mia.chance_interval(f, n_pos, n_neg)
    narrow = mia.chance_interval(f, n_pos)
    assert lo < f < hi and narrow[0] > lo and narrow[1] < hi          # the threshold's own noise widens it
    y = np.r_[np.ones(n_pos, dtype=np.int64), np.zeros(n_neg, dtype=np.int64)]
    inside = np.mean([lo <= mia.tpr_at_fpr(rng.normal(size=n_pos + n_neg), y, f) <= hi for _ in range(300)])
    assert 0.9 <= inside <= 0.99
    assert mia.chance_interval(0.5, 1) == (0.0, 1.0)
    with pytest.raises(ValueError, match="fpr"):
        mia.chance_interval(1.0, 10)
    with pytest.raises(TypeError, match="n_members"):
        mia.chance_interval(0.1, 10.0)
    with pytest.raises(ValueError, match="level"):
        mia.chance_interval(0.1, 10, level=1.0)


def test_plot_roc_draws_log_axes():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(5)
    s = np.r_[rng.normal(1, 1, 200), rng.normal(0, 1, 400)]
    y = np.r_[np.ones(200, dtype=np.int64), np.zeros(400, dtype=np.int64)]
    fig, ax = plt.subplots()
    fpr, tpr = mia.plot_roc(ax, s, y, label="test")
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_xlim()[0] == pytest.approx(1 / 400)
    assert (fpr > 0).all() and (tpr > 0).all() and len(ax.lines) == 2
    plt.close(fig)


# ----------------------------------------------------------------------------- on models
@pytest.fixture(scope="module")
def many_models():
    train, test = data.make_blobs(160, centers=3, cluster_std=2.0, seed=1, test_fraction=0.25)
    g = torch.Generator().manual_seed(0)
    masks = torch.rand(4, len(train), generator=g) < 0.7
    many = fit_many(models.mlp(2, 3, 16), train, masks, TrainConfig(optimizer="adam", lr=0.05, batch_size=16, epochs=20), seed=0)
    return train, test, masks, many


def test_loss_threshold_aucs_equal_the_single_model_test(many_models):
    train, test, masks, many = many_models
    aucs = mia.loss_threshold_aucs(many, train, masks, test)
    for i in range(len(many)):
        assert aucs[i] == pytest.approx(mia.loss_threshold_auc(many.model(i), train.where(masks[i]), test), abs=1e-6)
    with pytest.raises(ValueError, match="non-empty"):
        mia.loss_threshold_aucs(many, train, torch.zeros_like(masks), test)
    with pytest.raises(TypeError, match="many"):
        mia.loss_threshold_aucs(many.model(0), train, masks, test)


def test_relearning_curve_equals_fine_tuning_each_model(many_models):
    train, test, masks, many = many_models
    relearn = torch.zeros_like(masks)
    relearn[:, :20] = True
    relearn[1, 20:30] = True
    cfg = TrainConfig(optimizer="adam", lr=0.05, batch_size=8, steps=1)
    acc = mia.relearning_curve(many, train, relearn, test, cfg, [0, 2, 5], seed=7)
    assert acc.shape == (3, 4)
    for i in (0, 1):
        model = many.model(i)
        assert acc[0, i] == pytest.approx(float((model(test.X).argmax(1) == test.y).double().mean()))
        fit(model, train.where(relearn[i]), cfg.replace(steps=5, seed=derive_seed(derive_seed(7, "model", i), "relearn")))
        assert acc[2, i] == pytest.approx(float((model(test.X).argmax(1) == test.y).double().mean()), abs=1 / len(test) + 1e-9)
    with pytest.raises(ValueError, match="increasing"):
        mia.relearning_curve(many, train, relearn, test, cfg, [3, 2])
    with pytest.raises(ValueError, match="at least one"):
        mia.relearning_curve(many, train, torch.zeros_like(masks), test, cfg, [0, 1])
    with pytest.raises(TypeError, match="config"):
        mia.relearning_curve(many, train, relearn, test, "adam", [0, 1])


def test_relearning_recovery_by_hand():
    got = mia.relearning_recovery([0.0, 0.26, 0.76, 0.5], [0.0, 0.0, 0.04, 1.0], [1.0, 1.0, 1.0, 1.0])
    assert got[:3] == pytest.approx([0.0, 0.26, 0.72 / 0.96]) and np.isnan(got[3])
    assert mia.relearning_recovery([0.2], [0.4], [0.9])[0] == pytest.approx(-0.4)   # worse than the control
    with pytest.raises(ValueError, match="one shape"):
        mia.relearning_recovery([0.1, 0.2], [0.1], [0.9])
    with pytest.raises(ValueError, match="acc_original"):
        mia.relearning_recovery([0.1], [0.1], [90.0])
    with pytest.raises(ValueError, match="NaN"):
        mia.relearning_recovery([np.nan], [0.1], [0.9])


# ----------------------------------------------------------------------------- bad input
def test_lira_bad_inputs():
    stats, members = np.zeros((3, 2)), np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    with pytest.raises(ValueError, match="shape of stats"):
        mia.lira_fit(stats, members[:2])
    with pytest.raises(TypeError, match="members must be booleans"):
        mia.lira_fit(stats, members.astype(int))
    with pytest.raises(ValueError, match="NaN"):
        mia.lira_fit(np.full((3, 2), np.nan), members)
    with pytest.raises(ValueError, match="inf"):
        mia.lira_fit(np.full((3, 2), np.inf), members)
    with pytest.raises(ValueError, match="2-D"):
        mia.lira_fit(np.zeros(3), members[:, 0])
    with pytest.raises(ValueError, match="variance"):
        mia.lira_fit(stats, members, variance="pooled")
    with pytest.raises(ValueError, match="min_std"):
        mia.lira_fit(stats, members, min_std=0.0)
    fit = mia.lira_fit(stats, members)
    with pytest.raises(ValueError, match="needs offline"):
        mia.lira_scores(np.zeros(2), fit, mode="offline")
    with pytest.raises(ValueError, match="no meaning"):
        mia.lira_scores(np.zeros(2), fit, offline="density")
    with pytest.raises(ValueError, match="n = 2"):
        mia.lira_scores(np.zeros(3), fit)
    with pytest.raises(TypeError, match="fit"):
        mia.lira_scores(np.zeros(2), {"mu_in": 0})
    with pytest.raises(ValueError, match="at least 2 models"):
        mia.lira_leave_one_out(stats[:1], members[:1])
    with pytest.raises(ValueError, match="shadows"):
        mia.lira_leave_one_out(stats, members, shadows=3)
    with pytest.raises(ValueError, match="nothing to pool"):
        mia.pool(np.full((2, 2), np.nan), np.ones((2, 2), dtype=bool))
