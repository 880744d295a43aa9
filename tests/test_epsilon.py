"""unlearnkit.mia: the empirical epsilon estimator against the closed-form Gaussian case, and its limits."""
import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from unlearnkit import mia


# ----------------------------------------------------------------------------- closed form
@pytest.mark.parametrize("mu", [0.25, 0.5, 1.0, 2.0])
def test_closed_form_is_the_best_single_threshold_in_population(mu):
    """eps(delta) from the closed form equals the max over thresholds of the population rates."""
    delta = 0.01
    t = np.linspace(-8, 8 + mu, 400_001)
    fpr, fnr = norm.sf(t), norm.cdf(t - mu)                  # negatives N(0,1), positives N(mu,1)
    eps = mia.epsilon_from_rates(fpr, fnr, delta)
    assert abs(np.nanmax(eps) - mia.gaussian_epsilon(delta, mu)) < 1e-4


def test_gaussian_delta_and_inverse():
    for mu in (0.1, 0.5, 1.0, 3.0):
        for delta in (0.01, 1e-5):
            e = mia.gaussian_epsilon(delta, mu)
            assert e > 0 and math.isclose(mia.gaussian_delta(e, mu), delta, rel_tol=1e-8)
    assert math.isclose(mia.gaussian_delta(0.0, 1.0), 2 * norm.cdf(0.5) - 1, rel_tol=1e-12)
    d = mia.gaussian_delta(np.array([0.0, 1.0, 5.0, 40.0]), 1.0)
    assert np.all(np.diff(d) < 0) and np.all(d >= 0)
    assert mia.gaussian_epsilon(0.5, 0.5) == 0.0            # delta(0) = 0.197 < 0.5: nothing needed
    assert mia.gaussian_delta(3.0, 0.0) == 0.0
    assert mia.gaussian_epsilon(1e-5, 1.0) < mia.gaussian_epsilon(1e-5, 2.0)
    with pytest.raises(ValueError, match="mu"):
        mia.gaussian_delta(1.0, -1.0)
    with pytest.raises(ValueError, match="eps"):
        mia.gaussian_delta(-0.1, 1.0)
    with pytest.raises(ValueError, match="delta"):
        mia.gaussian_epsilon(0.0, 1.0)


def _standard_error(mu, delta, n):
    """Delta-method standard error of the per-threshold epsilon at the population-optimal threshold."""
    t = np.linspace(-8, 8 + mu, 200_001)
    fpr, fnr = norm.sf(t), norm.cdf(t - mu)
    e1 = np.log(np.clip(1 - delta - fpr, 1e-300, None)) - np.log(fnr)
    e2 = np.log(np.clip(1 - delta - fnr, 1e-300, None)) - np.log(fpr)
    j1, j2 = int(np.argmax(e1)), int(np.argmax(e2))
    if e1[j1] >= e2[j2]:
        f, g = fpr[j1], fnr[j1]
    else:
        f, g = fnr[j2], fpr[j2]
    var = f * (1 - f) / (n * (1 - delta - f) ** 2) + (1 - g) / (n * g)
    return math.sqrt(var)


@pytest.mark.parametrize("mu", [0.25, 0.5, 1.0])
def test_estimator_matches_closed_form_on_many_samples(mu):
    """400k draws per side at delta = 0.01: |estimate - exact| <= 4 standard errors.

    Tolerance: SE is the delta-method standard error of the per-threshold epsilon at the population-
    optimal threshold (0.008, 0.014, 0.034 for mu = 0.25, 0.5, 1: the optimum for mu = 1 rests on
    FNR of about 0.2%, some 900 samples). The estimate is that noisy value maximised over ~160k
    correlated thresholds, so it may also sit one or two SE above the truth; 4 SE (0.034, 0.056,
    0.137) covers noise and that bias, and still fails for a wrong delta (using 0.02 instead of 0.01
    moves the answer by 0.09, 0.16, 0.30) or a one-sided formula. Observed errors: under 1 SE.
    """
    n, delta = 400_000, 0.01
    rng = np.random.default_rng(int(mu * 1000))
    retrained = rng.standard_normal(n)
    unlearned = rng.standard_normal(n) + mu
    exact = mia.gaussian_epsilon(delta, mu)
    est = mia.empirical_epsilon(unlearned, retrained, delta)
    tol = 4 * _standard_error(mu, delta, n)
    assert tol < 0.15
    assert abs(est - exact) <= tol, (mu, est, exact, tol)


def test_identical_samples_give_zero_and_iid_samples_stay_small():
    x = np.random.default_rng(0).standard_normal(500)
    assert mia.empirical_epsilon(x, x.copy()) == 0.0
    assert mia.empirical_epsilon(np.full(10, 2.0), np.full(7, 2.0)) == 0.0
    y = np.random.default_rng(1).standard_normal(500)
    e = mia.empirical_epsilon(x, y, details=True)
    assert 0 < e.epsilon < 2.0 and e.reason == "threshold"   # max-over-thresholds bias, not zero


def test_cap_near_log_n_minus_one():
    """N = 300 per side, delta = 1e-5: one overlapping pair gives exactly ln(N - 1 - N delta)."""
    n, delta = 300, 1e-5
    a = np.arange(n, dtype=float)
    b = a + n - 1.5                     # a's largest value lies above b's smallest: no clean split
    cap = mia.max_finite_epsilon(n, n, delta)
    assert math.isclose(cap, math.log(n - 1 - n * delta), rel_tol=1e-12)
    est = mia.empirical_epsilon(b, a, delta, details=True)
    assert math.isclose(est.epsilon, cap, rel_tol=1e-9)
    assert est.fpr == est.fnr == 1 / n
    # Far-apart Gaussians: every estimate is at most the cap, or 50 when perfectly separated.
    rng = np.random.default_rng(2)
    true = mia.gaussian_epsilon(delta, 3.0)
    ests = [mia.empirical_epsilon(rng.standard_normal(n) + 3.0, rng.standard_normal(n), delta) for _ in range(5)]
    assert all(e <= cap + 1e-9 or e == mia.EPSILON_CAP for e in ests)
    assert true > 2 * cap and max(e for e in ests if e < 50) > cap - 1.5


def test_separated_and_range_rules():
    a, b = np.linspace(0, 1, 50), np.linspace(3, 4, 50)
    e = mia.empirical_epsilon(a, b, details=True)
    assert e.epsilon == mia.EPSILON_CAP and e.reason == "separated"
    peaky = np.linspace(0.5, 0.5 + 0.009, 50)     # range under 1% of the other's
    assert mia.empirical_epsilon(peaky, np.linspace(0, 1, 50), details=True).reason == "range"
    assert mia.empirical_epsilon(np.full(5, 1.0), np.full(5, 2.0)) == mia.EPSILON_CAP
    assert mia.empirical_epsilon(a, b, cap=20.0) == 20.0


def test_interval_family_catches_a_narrow_middle():
    """A narrow sample inside a wide one: no single threshold separates well, an interval does."""
    rng = np.random.default_rng(3)
    wide, narrow = rng.uniform(-3, 3, 400), rng.uniform(-0.3, 0.3, 400)
    single = mia.empirical_epsilon(narrow, wide, 0.01, families=("single",))
    both = mia.empirical_epsilon(narrow, wide, 0.01, details=True)
    assert both.family == "interval" and both.epsilon > single + 0.5


def test_epsilon_from_rates():
    d = 1e-5
    assert math.isclose(mia.epsilon_from_rates(0.1, 0.2, d),
                        max(math.log(1 - d - 0.1) - math.log(0.2), math.log(1 - d - 0.2) - math.log(0.1)))
    assert mia.epsilon_from_rates(0.5, 0.5, d) == 0.0             # chance: clipped at 0
    assert mia.epsilon_from_rates(0.0, 0.0, d) == math.inf
    assert math.isnan(mia.epsilon_from_rates(0.0, 0.3, d)) and math.isnan(mia.epsilon_from_rates(0.3, 0.0, d))
    assert mia.epsilon_from_rates(1.0, 1.0, d) == 0.0
    v = mia.epsilon_from_rates(np.array([0.1, 0.0]), np.array([0.2, 0.0]), d)
    assert v.shape == (2,) and v[1] == math.inf
    with pytest.raises(ValueError, match="fpr"):
        mia.epsilon_from_rates(1.2, 0.1, d)
    with pytest.raises(ValueError, match="fnr"):
        mia.epsilon_from_rates(0.1, float("nan"), d)
    with pytest.raises(ValueError, match="delta"):
        mia.epsilon_from_rates(0.1, 0.1, 1.0)


def test_bad_inputs_raise():
    x = np.zeros(5)
    with pytest.raises(ValueError, match="unlearned is empty"):
        mia.empirical_epsilon([], x)
    with pytest.raises(ValueError, match="retrained is empty"):
        mia.empirical_epsilon(x, np.array([]))
    with pytest.raises(TypeError, match="delta"):  # a bool is not a number: a wrong type
        mia.empirical_epsilon(np.zeros(3), np.ones(3), True)
    for bad in (0, 1, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="delta"):
            mia.empirical_epsilon(x, x + 1, bad)
    with pytest.raises(ValueError, match="NaN"):
        mia.empirical_epsilon(np.array([0.0, np.nan]), x)
    with pytest.raises(ValueError, match="inf"):
        mia.empirical_epsilon(np.array([0.0, np.inf]), x)
    with pytest.raises(ValueError, match="one-dimensional"):
        mia.empirical_epsilon(np.zeros((3, 2)), x)
    with pytest.raises(ValueError, match="families"):
        mia.empirical_epsilon(x, x, families=("double",))
    with pytest.raises(ValueError, match="per_unit"):
        mia.empirical_epsilon(x, x, per_unit=0)
    with pytest.raises(ValueError, match="n_unlearned"):
        mia.max_finite_epsilon(1)


def test_empirical_epsilons_per_example_and_torch_input():
    rng = np.random.default_rng(4)
    u = rng.standard_normal((200, 3)) + np.array([0.0, 1.0, 8.0])
    r = rng.standard_normal((200, 3))
    e = mia.empirical_epsilons(torch.tensor(u), r, 0.01)
    assert e.shape == (3,) and e[0] < e[1] and e[2] == mia.EPSILON_CAP
    assert e[1] == mia.empirical_epsilon(u[:, 1], r[:, 1], 0.01)
    with pytest.raises(ValueError, match="2-D"):
        mia.empirical_epsilons(u, r[:, :2])


def test_forget_score():
    s = mia.forget_score([0.0, 0.49, 0.5, 1.2, 6.9, 7.0, 50.0], 512)   # ceil(ln 511) = 7
    assert np.allclose(s, [1, 1, 0.5, 0.25, 2.0 ** -13, 0, 0])
    with pytest.raises(ValueError):
        mia.forget_score([-1.0], 512)
    with pytest.raises(ValueError):
        mia.forget_score([1.0], 1)


def test_lira_phi():
    z = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0], [1000.0, 0.0, -5.0]])
    y = torch.tensor([0, 2, 0])
    phi = mia.lira_phi(z, y)
    p = torch.softmax(z.double(), 1)
    naive = torch.log(p[0, 0]) - torch.log(1 - p[0, 0])
    assert phi.dtype == np.float64 and phi.shape == (3,)
    assert math.isclose(phi[0], float(naive), rel_tol=1e-12)
    assert math.isclose(phi[1], -math.log(2), rel_tol=1e-12)
    assert math.isclose(phi[2], 1000.0 - math.log(1 + math.exp(-5.0)), rel_tol=1e-12)   # p_y rounds to 1
    many = torch.randn(4, 3, 3, generator=torch.Generator().manual_seed(0))
    assert mia.lira_phi(many, y).shape == (4, 3)
    assert np.allclose(mia.lira_phi(many, y)[1], mia.lira_phi(many[1], y))
    with pytest.raises(ValueError, match="labels"):
        mia.lira_phi(z, torch.tensor([0, 3, 0]))
    with pytest.raises(TypeError, match="labels"):
        mia.lira_phi(z, torch.tensor([0.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match="classes"):
        mia.lira_phi(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="NaN"):
        mia.lira_phi(torch.tensor([[float("nan"), 0.0]]), [0])
