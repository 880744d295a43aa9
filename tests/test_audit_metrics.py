"""Audit (issue 11) item for unlearnkit.metrics.entanglement: RUM's midpoint centring."""
import pytest
import torch

from unlearnkit import metrics as mt


def _rum_fc(s, r, batch_size=None):
    """The score as RUM's surgical_plugins/overlap.py (calculate_FC) computes it, written out here.

    Group means (get_means: the mean of per-batch means; with one batch per group, the exact mean),
    mu = the mean of the two group means, intra = sum of each group's mean squared distance to its
    mean, inter = the sum over the 2 groups of ||mean - mu||^2, divided by C = 2.
    """
    def get_means(x):
        bs = len(x) if batch_size is None else batch_size
        batch_means = [x[i:i + bs].mean(0) for i in range(0, len(x), bs)]
        return torch.stack(batch_means).sum(0) / len(batch_means)

    r_mean, f_mean = get_means(r), get_means(s)
    mu = torch.stack([r_mean, f_mean]).mean(0)
    intra = ((r - r_mean).norm(dim=1) ** 2).sum() / len(r) + ((s - f_mean).norm(dim=1) ** 2).sum() / len(s)
    inter = sum((m - mu).norm() ** 2 for m in (r_mean, f_mean)) / 2
    return float(intra / inter)


@pytest.fixture(scope="module")
def groups():
    g = torch.Generator().manual_seed(0)
    r = torch.randn(2000, 16, generator=g, dtype=torch.float64)
    s = torch.randn(40, 16, generator=g, dtype=torch.float64) * 0.8 + 0.3
    return s, r


def test_entanglement_default_is_rums_midpoint_score(groups):
    s, r = groups
    assert mt.entanglement(s, r) == pytest.approx(_rum_fc(s, r), rel=1e-12)
    assert mt.entanglement(s, r, center="midpoint") == mt.entanglement(s, r)
    # the denominator is a quarter of the squared distance between the means, whatever the sizes
    d2 = float(((s.mean(0) - r.mean(0)) ** 2).sum())
    within = float(((r - r.mean(0)) ** 2).sum(1).mean() + ((s - s.mean(0)) ** 2).sum(1).mean())
    assert mt.entanglement(s, r) == pytest.approx(within / (d2 / 4), rel=1e-12)


def test_pooled_centre_is_the_old_score_and_about_half_rums_for_40_vs_2000(groups):
    s, r = groups
    n_s, n_r = len(s), len(r)
    pooled, mid = mt.entanglement(s, r, center="pooled"), mt.entanglement(s, r)
    mu = torch.cat([s, r]).mean(0)
    within = ((r - r.mean(0)) ** 2).sum(1).mean() + ((s - s.mean(0)) ** 2).sum(1).mean()
    between = 0.5 * (((r.mean(0) - mu) ** 2).sum() + ((s.mean(0) - mu) ** 2).sum())
    assert pooled == pytest.approx(float(within / between), rel=1e-12)
    # pooled / midpoint = (1/4) / ((n_s^2 + n_r^2) / (2 N^2)), about 0.52 here
    expected_ratio = 0.25 / ((n_s ** 2 + n_r ** 2) / (2 * (n_s + n_r) ** 2))
    assert pooled / mid == pytest.approx(expected_ratio, rel=1e-10)
    assert 0.5 < pooled / mid < 0.55


def test_entanglement_equal_groups_agree_and_bad_centre_is_refused(groups):
    s, r = groups
    assert mt.entanglement(s, r[:40], center="pooled") == pytest.approx(mt.entanglement(s, r[:40]), rel=1e-12)
    with pytest.raises(ValueError, match="center"):
        mt.entanglement(s, r, center="mean")


def test_rum_batch_means_differ_from_exact_means_only_with_a_ragged_last_batch(groups):
    """Where ours differs from RUM's code: it averages per-batch means; we take exact means."""
    s, r = groups
    assert _rum_fc(s, r, batch_size=500) == pytest.approx(mt.entanglement(s, r), rel=1e-10)   # 2000 = 4 x 500
    assert _rum_fc(s, r, batch_size=256) != pytest.approx(mt.entanglement(s, r), rel=1e-6)    # 2000 = 7 x 256 + 208
