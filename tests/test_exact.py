"""Tests for unlearnkit.exact: retraining from scratch and summation-form learners with exact removal."""
import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge
from sklearn.naive_bayes import GaussianNB, MultinomialNB

from unlearnkit import data, models, training
from unlearnkit.exact import SummationGaussianNB, SummationMultinomialNB, SummationRidge, retrain


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(np.asarray(b))), 1e-300))


# ----------------------------------------------------------------------------- retrain
@pytest.fixture(scope="module")
def blobs():
    return data.make_blobs(n=60, centers=3, seed=1)


def _mf(s):
    return models.mlp(2, 3, (8,), seed=s)


CFG = training.TrainConfig(lr=0.1, momentum=0.9, batch_size=8, epochs=3, seed=5)


def test_retrain_equals_fresh_fit_on_retain_set(blobs):
    forget = [3, 17, 40]
    model, log = retrain(_mf, blobs, forget, CFG)
    ref = _mf(CFG.seed)
    ref_log = training.fit(ref, blobs.without(forget), CFG)
    for a, b in zip(model.state_dict().values(), ref.state_dict().values()):
        assert torch.equal(a, b)
    assert log.grad_evals == ref_log.grad_evals == CFG.num_steps(57) * 8
    assert log.seconds >= 0


def test_retrain_init_seed_argument_sets_the_init(blobs):
    m1, _ = retrain(_mf, blobs, [0], CFG, init_seed=11)
    ref = _mf(11)
    training.fit(ref, blobs.without([0]), CFG)
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), ref.state_dict().values()))
    with pytest.warns(DeprecationWarning, match="init_seed"):  # the old name still works, with a warning
        m2, _ = retrain(_mf, blobs, [0], CFG, seed=11)
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    with pytest.raises(TypeError, match="init_seed"):
        retrain(_mf, blobs, [0], CFG, init_seed=11, seed=11)
    with pytest.raises(TypeError, match="init_seed"):
        retrain(_mf, blobs, [0], CFG, init_seed=1.5)
    with pytest.raises(TypeError, match="model_fn"):
        retrain(None, blobs, [0], CFG)
    with pytest.raises(TypeError, match="config"):
        retrain(_mf, blobs, [0], None)


def test_retrain_does_not_see_the_forget_set(blobs):
    _, log = retrain(_mf, blobs, [1, 2], CFG.replace(epochs=1), progress=False)
    # every batch comes from the retain set: record the batches through fit's own log
    model = _mf(0)
    rec = training.fit(model, blobs.without([1, 2]), CFG.replace(epochs=1), record_batches=True)
    seen = torch.cat(rec.batches)
    assert not torch.isin(torch.tensor([1, 2]), seen).any()
    assert log.grad_evals == rec.grad_evals


@pytest.mark.parametrize("bad, err, text", [
    ([], ValueError, "empty"),
    ([1, 1], ValueError, "duplicate"),
    ([10_000], ValueError, "forget_ids"),
    ([1.0], TypeError, "forget_ids"),
    (torch.tensor([2.0]), TypeError, "forget_ids"),
])
def test_retrain_rejects_bad_forget_ids(blobs, bad, err, text):
    with pytest.raises(err, match=text):
        retrain(_mf, blobs, bad, CFG)


def test_retrain_rejects_non_dataset():
    with pytest.raises(TypeError, match="data"):
        retrain(_mf, torch.zeros(3, 2), [0], CFG)


# ----------------------------------------------------------------------------- ridge
@pytest.fixture(scope="module")
def reg():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)) + np.array([0.0, 1.0, -2.0, 3.0, 0.5])
    y = X @ rng.normal(size=5) + 0.7 + 0.1 * rng.normal(size=80)
    return X, y


@pytest.mark.parametrize("intercept", [True, False])
def test_ridge_forget_equals_refit_to_1e10(reg, intercept):
    X, y = reg
    drop = np.array([0, 5, 6, 30, 79])
    keep = np.setdiff1d(np.arange(80), drop)
    m = SummationRidge(lam=0.5, fit_intercept=intercept).fit(X, y).forget(X[drop], y[drop])
    ref = SummationRidge(lam=0.5, fit_intercept=intercept).fit(X[keep], y[keep])
    assert _rel(m.coef_, ref.coef_) < 1e-10
    assert abs(m.intercept_ - ref.intercept_) <= 1e-10 * max(1.0, abs(ref.intercept_))
    assert m.n_samples_ == 75 and m.A_.dtype == np.float64
    assert _rel(m.A_, ref.A_) < 1e-12 and _rel(m.b_, ref.b_) < 1e-12
    # and the refit is scikit-learn's ridge (unpenalised intercept)
    sk = Ridge(alpha=0.5, fit_intercept=intercept, solver="cholesky").fit(X[keep], y[keep])
    assert _rel(ref.coef_, sk.coef_) < 1e-8
    assert abs(ref.intercept_ - sk.intercept_) < 1e-8
    assert np.allclose(m.predict(X[:4]), sk.predict(X[:4]), rtol=1e-8, atol=1e-8)


def test_ridge_sherman_morrison_downdate_matches_refit(reg):
    X, y = reg
    m = SummationRidge(lam=1.0, keep_inverse=True).fit(X, y)
    assert np.allclose(m.A_inv_ @ m.A_, np.eye(6), atol=1e-10)
    m.forget(X[:10], y[:10])
    ref = SummationRidge(lam=1.0).fit(X[10:], y[10:])
    assert _rel(m.coef_, ref.coef_) < 1e-9
    assert np.allclose(m.A_inv_, np.linalg.inv(ref.A_), rtol=1e-8, atol=1e-12)
    m.add(X[:3], y[:3])
    ref = SummationRidge(lam=1.0).fit(np.vstack([X[10:], X[:3]]), np.concatenate([y[10:], y[:3]]))
    assert _rel(m.coef_, ref.coef_) < 1e-9


def test_ridge_add_then_forget_returns_to_start_and_accepts_tensors(reg):
    X, y = reg
    m = SummationRidge(lam=0.1).fit(torch.tensor(X[:50]), torch.tensor(y[:50]))
    before = m.coef_.copy()
    m.add(X[50:], y[50:])
    assert not np.allclose(m.coef_, before)
    m.forget(X[50:], y[50:])
    assert _rel(m.coef_, before) < 1e-10
    assert isinstance(m.coef_, np.ndarray) and m.coef_.shape == (5,)


def test_ridge_bad_input_leaves_model_unchanged(reg):
    X, y = reg
    m = SummationRidge(lam=1.0).fit(X[:40], y[:40])
    A, b, coef = m.A_.copy(), m.b_.copy(), m.coef_.copy()
    with pytest.raises(ValueError, match="never added"):
        m.forget(X[45:46], y[45:46])
    with pytest.raises(ValueError, match="never added"):
        m.forget(X[:1], y[:1] + 1.0)              # right features, wrong target
    with pytest.raises(ValueError, match="times"):
        m.forget(np.vstack([X[:1], X[:1]]), np.array([y[0], y[0]]))  # one copy added, two asked
    with pytest.raises(ValueError, match="empty"):
        m.forget(X[:0], y[:0])
    with pytest.raises(ValueError, match="leave none"):
        m.forget(X[:40], y[:40])
    with pytest.raises(ValueError, match="features"):
        m.forget(X[:2, :3], y[:2])
    with pytest.raises(ValueError, match="shape"):
        m.forget(X[:2], y[:3])
    # a request with one bad row among good ones changes nothing either
    with pytest.raises(ValueError, match="never added"):
        m.forget(np.vstack([X[:2], X[60:61]]), np.concatenate([y[:2], y[60:61]]))
    assert np.array_equal(m.A_, A) and np.array_equal(m.b_, b) and np.array_equal(m.coef_, coef)
    assert m.n_samples_ == 40
    # duplicate rows: added twice, may be forgotten twice, not three times
    m2 = SummationRidge().fit(np.vstack([X[:3], X[:1]]), np.concatenate([y[:3], y[:1]]))
    m2.forget(np.vstack([X[:1], X[:1]]), np.array([y[0], y[0]]))
    with pytest.raises(ValueError, match="never added"):
        m2.forget(X[:1], y[:1])


def test_ridge_constructor_and_unfitted_errors(reg):
    X, y = reg
    with pytest.raises(ValueError, match="lam"):
        SummationRidge(lam=-1.0)
    with pytest.raises(ValueError, match="dtype"):
        SummationRidge(dtype=np.int64)
    with pytest.raises(RuntimeError, match="not fitted"):
        SummationRidge().forget(X[:1], y[:1])
    with pytest.raises(ValueError, match="empty"):
        SummationRidge().fit(X[:0], y[:0])
    with pytest.raises(TypeError, match="numeric"):
        SummationRidge().fit(np.array([["a", "b"]]), [1.0])


def test_ridge_on_make_line():
    line = data.make_line(n=40, slope=2.0, intercept=1.0, noise=0.1, seed=3)
    m = SummationRidge(lam=1e-6).fit(line.X, line.tags["target"])
    assert abs(m.coef_[0] - 2.0) < 0.05 and abs(m.intercept_ - 1.0) < 0.1


# ----------------------------------------------------------------------------- Gaussian NB
@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def test_gaussian_nb_matches_sklearn_and_refit(digits):
    tr, te = digits
    X, y = tr.X.double().numpy(), tr.y.numpy()
    m = SummationGaussianNB().fit(X, y)
    sk = GaussianNB().fit(X, y)
    assert np.allclose(m.theta_, sk.theta_, rtol=1e-10, atol=1e-12)
    assert np.allclose(m.var_, sk.var_, rtol=1e-9, atol=1e-15)
    assert np.allclose(m.class_prior_, sk.class_prior_, rtol=1e-12)
    assert abs(m.epsilon_ - sk.epsilon_) < 1e-15
    assert np.array_equal(m.predict(te.X), sk.predict(te.X.numpy()))
    drop = np.arange(0, 300, 3)
    keep = np.setdiff1d(np.arange(len(y)), drop)
    m.forget(X[drop], y[drop])
    ref = SummationGaussianNB().fit(X[keep], y[keep])
    sk2 = GaussianNB().fit(X[keep], y[keep])
    assert np.allclose(m.theta_, ref.theta_, rtol=1e-10, atol=1e-12)
    assert np.allclose(m.var_, ref.var_, rtol=1e-9, atol=1e-15)
    assert np.array_equal(m.class_count_, ref.class_count_)
    assert np.array_equal(m.predict(te.X), ref.predict(te.X))
    assert np.array_equal(m.predict(te.X), sk2.predict(te.X.numpy()))
    assert np.allclose(m.predict_proba(te.X), sk2.predict_proba(te.X.numpy()), atol=1e-6)
    assert np.allclose(m.predict_proba(te.X).sum(axis=1), 1.0)
    assert m.score(te.X, te.y) > 0.7


def test_gaussian_nb_class_forgotten_entirely_is_never_predicted():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (10, 2)), rng.normal(5, 1, (10, 2)), rng.normal(-5, 1, (4, 2))])
    y = np.array([0] * 10 + [1] * 10 + [2] * 4)
    m = SummationGaussianNB().fit(X, y)
    assert set(m.predict(X[20:]).tolist()) == {2}
    m.forget(X[20:], y[20:])
    assert m.class_prior_[2] == 0 and m.class_count_[2] == 0
    assert 2 not in set(m.predict(X).tolist())
    assert np.isneginf(m.predict_log_proba(X[:3])[:, 2]).all()
    with pytest.raises(ValueError, match="classes_"):
        m.add(X[:1], np.array([7]))
    with pytest.raises(TypeError, match="integer class labels"):
        m.add(X[:1], np.array([1.0]))


def test_float32_sums_cancel_catastrophically_float64_do_not():
    """docs/REFERENCES.md's trap: Q/N - (S/N)^2 with features far from zero (textbook sums about zero, center=False)."""
    rng = np.random.default_rng(2)
    X = 1e3 + 0.01 * rng.normal(size=(400, 3))
    y = np.tile([0, 1], 200)
    true_var = np.var(X[100:][y[100:] == 0], axis=0)
    m64 = SummationGaussianNB(var_smoothing=0.0, center=False).fit(X, y).forget(X[:100], y[:100])
    m32 = SummationGaussianNB(var_smoothing=0.0, dtype=np.float32, center=False).fit(X, y).forget(X[:100], y[:100])
    assert np.allclose(m64.var_[0], true_var, rtol=1e-4)
    assert m32.var_.dtype == np.float32
    # float32 is wrong by orders of magnitude (often negative): sums of squares ~ 4e8, float32 spacing there ~ 32
    assert np.max(np.abs(m32.var_[0] - true_var) / true_var) > 10


# ----------------------------------------------------------------------------- multinomial NB
def test_multinomial_nb_matches_sklearn_and_refit():
    tr, te = data.load_digits(standardise=False)
    X, y = tr.X.double().numpy(), tr.y.numpy()
    m = SummationMultinomialNB(alpha=1.0).fit(X, y)
    drop = np.arange(5, 400, 4)
    keep = np.setdiff1d(np.arange(len(y)), drop)
    m.forget(X[drop], y[drop])
    ref = SummationMultinomialNB(alpha=1.0).fit(X[keep], y[keep])
    sk = MultinomialNB(alpha=1.0).fit(X[keep], y[keep])
    assert np.allclose(m.feature_count_, ref.feature_count_, rtol=0, atol=1e-9)
    assert np.allclose(m.feature_log_prob_, sk.feature_log_prob_, rtol=1e-12, atol=1e-12)
    assert np.allclose(m.class_log_prior_, sk.class_log_prior_, rtol=1e-12, atol=1e-12)
    assert np.array_equal(m.predict(te.X), sk.predict(te.X.numpy()))
    assert np.allclose(m.predict_proba(te.X), sk.predict_proba(te.X.numpy()), atol=1e-9)
    assert m.score(te.X, te.y) > 0.8


def test_multinomial_nb_bad_input():
    X = np.array([[1.0, 2.0], [0.0, 3.0], [4.0, 0.0]])
    y = np.array([0, 1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        SummationMultinomialNB().fit(-X, y)
    with pytest.raises(ValueError, match="alpha"):
        SummationMultinomialNB(alpha=0.0)
    m = SummationMultinomialNB().fit(X, y)
    before = m.feature_count_.copy()
    with pytest.raises(ValueError, match="never added"):
        m.forget(X[:1], np.array([1]))           # right row, wrong label
    with pytest.raises(ValueError, match="empty"):
        m.forget(X[:0], y[:0])
    with pytest.raises(ValueError, match="leave none"):
        m.forget(X, y)
    assert np.array_equal(m.feature_count_, before)
    m.forget(X[:1], y[:1])
    assert m.class_count_.tolist() == [0.0, 2.0]
    assert m.classes_.tolist() == [0, 1]
    assert set(m.predict(X).tolist()) == {1}
    m2 = SummationMultinomialNB(classes=[0, 1, 2]).fit(X, y)
    assert m2.classes_.tolist() == [0, 1, 2] and np.isneginf(m2.class_log_prior_[2])
