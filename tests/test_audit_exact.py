"""Audit (issue 11) items for unlearnkit.exact: failed requests change nothing; sound Gaussian NB removal."""
import numpy as np
import pytest
from sklearn.naive_bayes import GaussianNB

from unlearnkit.exact import SummationGaussianNB, SummationRidge


def _state(m):
    """Every attribute that a request may change, copied (arrays by value, the ledger as a dict)."""
    out = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(m).items() if k != "_ledger"}
    out["_ledger"] = dict(m._ledger.counts)
    return out


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert np.array_equal(a[k], b[k]), k
        else:
            assert a[k] == b[k], k


@pytest.fixture
def singular_case():
    """Integer rows (sums exact in float64); feature 2 is non-zero only in the first two rows."""
    rng = np.random.default_rng(0)
    X = rng.integers(-3, 4, size=(12, 3)).astype(float)
    X[:, 2] = 0.0
    X[:2, 2] = [1.0, 2.0]
    y = rng.integers(-5, 6, size=12).astype(float)
    return X, y


@pytest.mark.parametrize("keep_inverse", [False, True])
def test_forget_with_a_singular_solve_is_refused_and_changes_nothing(singular_case, keep_inverse):
    X, y = singular_case
    m = SummationRidge(lam=0.0, keep_inverse=keep_inverse).fit(X, y)
    before = _state(m)
    # forgetting rows 0 and 1 leaves feature 2 all zero: A has a zero row, lam = 0 cannot fix it
    with pytest.raises(ValueError) as err:
        m.forget(X[:2], y[:2])
    _same(_state(m), before)                      # the old code had already changed A_, n_samples_, the ledger
    assert "singular" in str(err.value) and "X, y" in str(err.value)
    # the model is intact: a retry of a valid request works and equals a refit on what remains
    m.forget(X[:1], y[:1])
    ref = SummationRidge(lam=0.0).fit(X[1:], y[1:])
    assert np.allclose(m.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    assert abs(m.intercept_ - ref.intercept_) < 1e-9
    assert m.n_samples_ == 11


def test_refit_on_singular_data_keeps_the_previous_model(singular_case):
    X, y = singular_case
    m = SummationRidge(lam=0.0).fit(X, y)
    before = _state(m)
    with pytest.raises(ValueError) as err:
        m.fit(X[2:], y[2:])                       # feature 2 is all zero here
    _same(_state(m), before)
    assert "singular" in str(err.value)
    m.forget(X[:1], y[:1])                        # and the ledger still knows the rows
    assert m.n_samples_ == 11


def test_gaussian_nb_large_offset_removal_agrees_with_two_pass_variance_to_1e6():
    """The issue's case: 1000 values around 1e4 +- 0.01, 10 removed (the old sums lost 2e-4 relative)."""
    rng = np.random.default_rng(0)
    X = np.column_stack([1e4 + 0.01 * rng.normal(size=1000),       # the feature
                         -3e5 + 0.2 * rng.normal(size=1000),       # a larger offset
                         rng.normal(size=1000)])                   # no offset
    y = np.zeros(1000, dtype=np.int64)
    y[500:] = 1
    X[500:, 0] += 1.0                                              # the second class sits elsewhere
    drop = np.r_[0:5, 500:505]
    keep = np.setdiff1d(np.arange(1000), drop)
    m = SummationGaussianNB(var_smoothing=0.0).fit(X, y).forget(X[drop], y[drop])
    for c in (0, 1):
        Xc = X[keep][y[keep] == c]
        two_pass = np.mean((Xc - Xc.mean(axis=0)) ** 2, axis=0)      # float64, two passes
        assert np.max(np.abs(m.var_[c] - two_pass) / two_pass) < 1e-6
        assert np.max(np.abs(m.theta_[c] - Xc.mean(axis=0)) / np.abs(Xc.mean(axis=0))) < 1e-12
    # and it matches scikit-learn's refit, epsilon_ included (overall variance combined from class sums)
    m2 = SummationGaussianNB().fit(X, y).forget(X[drop], y[drop])
    sk = GaussianNB().fit(X[keep], y[keep])
    assert abs(m2.epsilon_ - sk.epsilon_) / sk.epsilon_ < 1e-9
    assert np.allclose(m2.var_, sk.var_, rtol=1e-6, atol=0)
    assert np.array_equal(m2.predict(X), sk.predict(X))


def test_gaussian_nb_center_false_keeps_the_textbook_sums_and_their_cancellation():
    rng = np.random.default_rng(0)
    X = 1e4 + 0.01 * rng.normal(size=(1000, 1))
    y = np.zeros(1000, dtype=np.int64)
    two_pass = np.var(X[10:], axis=0)
    raw = SummationGaussianNB(var_smoothing=0.0, center=False).fit(X, y).forget(X[:10], y[:10])
    cen = SummationGaussianNB(var_smoothing=0.0).fit(X, y).forget(X[:10], y[:10])
    assert np.array_equal(raw.shift_, np.zeros((1, 1)))
    assert np.allclose(cen.shift_, X.mean(axis=0), rtol=1e-15)
    err_raw = float(np.abs(raw.var_[0] - two_pass)[0] / two_pass[0])
    err_cen = float(np.abs(cen.var_[0] - two_pass)[0] / two_pass[0])
    assert err_raw > 1e-5 > 1e-6 > err_cen          # about zero: ~1e-4 lost; about the fit mean: ~1e-16
    with pytest.raises(TypeError, match="center"):  # a wrong type (A's one-exception-type rule)
        SummationGaussianNB(center="yes")


def test_gaussian_nb_centred_float32_sums_avoid_the_trap():
    """Lecture 02's trap, with the fix: the same float32 sums about the fit-time means stay positive and close."""
    rng = np.random.default_rng(2)
    X = 1e3 + 0.01 * rng.normal(size=(400, 3))
    y = np.tile([0, 1], 200)
    true_var = np.var(X[100:][y[100:] == 0].astype(np.float32).astype(np.float64), axis=0)
    m32 = SummationGaussianNB(var_smoothing=0.0, dtype=np.float32).fit(X, y).forget(X[:100], y[:100])
    assert m32.var_.dtype == np.float32 and (m32.var_ > 0).all()
    assert np.max(np.abs(m32.var_[0] - true_var) / true_var) < 1e-3


def test_gaussian_nb_add_and_forget_round_trip_and_absent_class_shift():
    rng = np.random.default_rng(3)
    X = 50.0 + rng.normal(size=(60, 2))
    y = np.repeat([0, 1], 30)
    m = SummationGaussianNB(classes=[0, 1, 2]).fit(X, y)
    assert np.allclose(m.shift_[2], X.mean(axis=0))             # no rows of class 2 at fit: the overall mean
    before = _state(m)
    extra = 50.0 + rng.normal(size=(5, 2))
    m.add(extra, np.full(5, 2)).forget(extra, np.full(5, 2))
    assert np.allclose(m.var_, before["var_"], rtol=1e-12) and np.allclose(m.theta_, before["theta_"], rtol=1e-15)
    assert m.class_count_.tolist() == [30.0, 30.0, 0.0]
    assert np.array_equal(m.shift_, before["shift_"])           # the shift never moves after fit
