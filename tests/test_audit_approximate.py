"""Audit (issue 11) items for unlearnkit.approximate: Guo et al.'s summed bounds, objective perturbation and
(epsilon, delta) certificate; NegGrad+ logging its two losses; the sources of random labels and SCRUB."""
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression
from torch.nn import functional as F

from unlearnkit import approximate as ap
from unlearnkit import data, models, training
from unlearnkit._seeding import derive_seed
from unlearnkit.training import TrainConfig, batch_order


@pytest.fixture(scope="module")
def digits():
    tr, te = data.load_digits()
    return tr, te


def _unit(X):
    X = X.to(torch.float64)
    return X / X.norm(dim=1, keepdim=True).clamp_min(1e-300)


def _guo_bound_one_removal(W, X_rem, x_i, T_rem, t_i, lam):
    """Guo et al.'s per-removal bound as facebookresearch/certified-removal test_removal.py computes it
    (ovr mode: for each class k, H_inv from the remaining rows, Delta = H_inv grad_i with lam * 1 * w,
    bound_k = ||Delta|| ||X_rem Delta|| ||X_rem||_2 / 4, and grad_norm_approx[i] += bound_k), written out."""
    total, steps = 0.0, []
    spec = float(torch.linalg.eigvalsh(X_rem.T @ X_rem).max().sqrt())
    for k in range(W.shape[0]):
        w, y = W[k], T_rem[:, k]
        z = torch.sigmoid(X_rem @ w * y)
        D = z * (1 - z)
        H = X_rem.T @ (D[:, None] * X_rem) + lam * X_rem.shape[0] * torch.eye(X_rem.shape[1], dtype=torch.float64)
        zi = torch.sigmoid(t_i[k] * (x_i @ w))
        grad_i = x_i * ((zi - 1) * t_i[k]) + lam * 1 * w
        delta = torch.linalg.solve(H, grad_i)
        total += float(delta.norm() * (X_rem @ delta).norm() * spec / 4)
        steps.append(delta)
    return total, torch.stack(steps)


# ----------------------------------------------------------------------------- summed per-class bounds
def test_ovr_bound_is_the_sum_over_classes_as_in_the_reference_code(digits):
    tr, _ = digits
    lam = 1e-2
    full = ap.L2LinearModel(lam=lam).fit(tr)
    forget, retain = tr.subset(tr.ids[:3]), tr.without(tr.ids[:3])
    un, log = ap.newton_removal(full, forget, retain)
    # first removal, recomputed independently from the reference code's formulas
    X, T = _unit(tr.X), F.one_hot(tr.y, 10).to(torch.float64) * 2 - 1
    ref, steps = _guo_bound_one_removal(full.coef_, X[1:], X[0], T[1:], T[0], lam)
    assert un.bound_history_[0] == pytest.approx(ref, rel=1e-8)
    per = log.extra["bounds_per_output"]
    assert per.shape == (3, 10)
    increments = np.diff([0.0] + un.bound_history_)
    assert np.allclose(per.sum(1).numpy(), increments, rtol=1e-12)
    # the old report (largest class) is several times smaller with ten classes
    assert float(per[0].sum()) > 3 * float(per[0].max())


def test_accumulated_bound_is_above_the_true_residual_of_the_full_objective():
    blobs = data.make_blobs(n=80, centers=3, seed=4)
    X = torch.cat([blobs.X, torch.ones(80, 1)], 1)
    blobs = data.Dataset(X, blobs.y, blobs.ids, dict(blobs.tags), 3)
    for sigma in (0.0, 0.5):
        full = ap.L2LinearModel(lam=0.05, sigma=sigma, seed=1).fit(blobs)
        assert full.converged_ and float(full.gradient(blobs).norm()) < 1e-9
        for k in (1, 4, 12):
            ids = blobs.ids[:k]
            un, _ = ap.newton_removal(full, blobs.subset(ids), blobs.without(ids))
            resid = float(un.gradient(blobs.without(ids)).norm())      # all outputs, b included
            assert 0 < resid <= un.residual_bound_


# ----------------------------------------------------------------------------- objective perturbation
def test_sigma_zero_is_todays_objective_and_matches_sklearn(digits):
    tr, _ = digits
    lam = 1e-2
    plain = ap.L2LinearModel(lam=lam).fit(tr)
    zero = ap.L2LinearModel(lam=lam, sigma=0.0, seed=7).fit(tr)
    assert torch.equal(plain.coef_, zero.coef_) and torch.count_nonzero(zero.b_) == 0
    Xn, n = _unit(tr.X).numpy(), len(tr)
    for k in (0, 3, 9):
        sk = LogisticRegression(C=1 / (lam * n), fit_intercept=False, tol=1e-12, max_iter=5000)
        sk.fit(Xn, (tr.y.numpy() == k).astype(int))
        assert np.allclose(plain.coef_[k].numpy(), sk.coef_[0], rtol=1e-5, atol=1e-7)


def test_perturbed_fit_is_the_optimum_of_the_perturbed_objective_and_reproducible(digits):
    tr, _ = digits
    lam, sigma = 1e-2, 2.0
    m = ap.L2LinearModel(lam=lam, sigma=sigma, seed=3).fit(tr)
    again = ap.L2LinearModel(lam=lam, sigma=sigma, seed=3).fit(tr)
    other = ap.L2LinearModel(lam=lam, sigma=sigma, seed=4).fit(tr)
    assert torch.equal(m.b_, again.b_) and torch.equal(m.coef_, again.coef_)
    assert not torch.equal(m.b_, other.b_)
    assert m.b_.shape == m.coef_.shape == (10, 64)
    assert abs(float(m.b_.std()) - sigma) < 0.1 * sigma and abs(float(m.b_.mean())) < 0.2
    assert m.converged_ and float(m.gradient(tr).norm()) < 1e-8
    # an independent optimiser on sum_i l + lam n / 2 ||w||^2 + b^T w, for one class
    X, n, k = _unit(tr.X).numpy(), len(tr), 2
    t = np.where(tr.y.numpy() == k, 1.0, -1.0)
    b = m.b_[k].numpy()

    def f(w):
        z = X @ w
        return np.logaddexp(0, -t * z).sum() + lam * n / 2 * w @ w + b @ w, \
            X.T @ (-t / (1 + np.exp(t * z))) + lam * n * w + b

    res = minimize(f, np.zeros(64), jac=True, method="L-BFGS-B", options={"ftol": 0.0, "gtol": 1e-10, "maxiter": 10000})
    assert np.allclose(m.coef_[k].numpy(), res.x, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- binary (Guo et al.'s MNIST 3 vs 8)
def test_binary_mode_is_one_classifier_and_certifies_twice_as_much_as_two_mirror_columns(digits):
    tr, te = digits
    keep = (tr.y == 3) | (tr.y == 8)
    X, y = tr.X[keep], (tr.y[keep] == 3).long()
    two = data.Dataset(X, y, tr.ids[keep], {}, 2)
    lam = 1e-2
    binm = ap.L2LinearModel(lam=lam, binary=True).fit(two)
    ovr = ap.L2LinearModel(lam=lam).fit(two)
    assert binm.coef_.shape == (1, 64)
    assert torch.allclose(binm.coef_[0], ovr.coef_[1], rtol=1e-10, atol=1e-12)
    assert torch.allclose(ovr.coef_[0], -ovr.coef_[1], rtol=1e-10, atol=1e-12)
    logits = binm(X)
    assert logits.shape == (len(X), 2) and torch.equal(logits[:, 0], torch.zeros(len(X)))
    assert training.accuracy(binm, two) > 0.95
    ids = two.ids[:5]
    ub, _ = ap.newton_removal(binm, two.subset(ids), two.without(ids))
    uo, _ = ap.newton_removal(ovr, two.subset(ids), two.without(ids))
    assert uo.residual_bound_ == pytest.approx(2 * ub.residual_bound_, rel=1e-6)
    assert 0 < float(ub.gradient(two.without(ids)).norm()) <= ub.residual_bound_
    with pytest.raises(ValueError, match="two-class"):
        ap.L2LinearModel(binary=True).fit(tr)
    with pytest.raises(ValueError, match="binary"):
        ap.L2LinearModel(loss="squared", binary=True)


# ----------------------------------------------------------------------------- the (epsilon, delta) certificate
def test_certificate_follows_guo_theorem_3_and_says_when_to_retrain(digits):
    tr, _ = digits
    eps, delta = 1.0, 1e-4
    c = math.sqrt(2 * math.log(1.5 / delta))
    # choose sigma so that the budget of accumulated bound is 0.05
    sigma = ap.certified_sigma(eps, delta, 0.05)
    assert sigma == pytest.approx(c * 0.05 / eps, rel=1e-12)
    full = ap.L2LinearModel(lam=0.1, sigma=sigma, seed=0).fit(tr)
    fresh = ap.removal_certificate(full, eps, delta)
    assert fresh.residual_bound == 0 and fresh.epsilon_spent == 0 and not fresh.retrain_due and fresh.steps == 0
    ids = tr.ids[:40]
    un, _ = ap.newton_removal(full, tr.subset(ids), tr.without(ids))
    cert = ap.removal_certificate(un, eps, delta)
    beta = un.residual_bound_
    assert cert.c == pytest.approx(c) and cert.sigma == sigma
    assert cert.residual_budget == pytest.approx(sigma * eps / c) and cert.residual_budget == pytest.approx(0.05)
    assert cert.residual_bound == beta + cert.fit_residual and cert.fit_residual == full.fit_residual_ < 1e-12
    assert cert.epsilon_spent == pytest.approx(c * beta / sigma)
    assert cert.budget_used == pytest.approx(beta / 0.05)
    hist = np.array(un.bound_history_)
    within = int((hist <= cert.residual_budget).sum())
    assert cert.steps == 40 and cert.steps_within_budget == within
    assert 0 < within < 40 and cert.retrain_due                # the budget runs out inside these 40 removals
    assert hist[within - 1] <= 0.05 < hist[within]
    # the epsilon spent after the last certified step is at most the target
    part, _ = ap.newton_removal(full, tr.subset(ids[:within]), tr.without(ids[:within]))
    ok = ap.removal_certificate(part, eps, delta)
    assert not ok.retrain_due and ok.epsilon_spent <= eps
    # no noise, no certificate
    plain, _ = ap.newton_removal(ap.L2LinearModel(lam=0.1).fit(tr), tr.subset(ids[:1]), tr.without(ids[:1]))
    none = ap.removal_certificate(plain, eps, delta)
    assert none.retrain_due and math.isinf(none.epsilon_spent) and none.steps_within_budget == 0


@pytest.mark.parametrize("kwargs, text", [
    ({"epsilon": 0.0, "delta": 1e-4}, "epsilon"),
    ({"epsilon": 1.0, "delta": 1.0}, "delta"),
    ({"epsilon": 1.0, "delta": -1e-3}, "delta"),
])
def test_certificate_bad_arguments(digits, kwargs, text):
    tr, _ = digits
    m = ap.L2LinearModel(lam=0.1, sigma=1.0).fit(tr)
    with pytest.raises(ValueError, match=text):
        ap.removal_certificate(m, **kwargs)
    with pytest.raises(ValueError, match=text):
        ap.certified_sigma(residual_budget=1.0, **kwargs)
    with pytest.raises(ValueError, match="residual_budget"):
        ap.certified_sigma(1.0, 1e-4, 0.0)
    with pytest.raises(ValueError, match="sigma"):
        ap.L2LinearModel(sigma=-1.0)
    with pytest.raises(TypeError, match="fitted"):
        ap.removal_certificate(ap.L2LinearModel(), 1.0, 1e-4)


# ----------------------------------------------------------------------------- NegGrad+ logs both losses
def test_neggrad_plus_logs_forget_and_retain_losses_separately():
    blobs = data.make_blobs(n=90, centers=3, seed=2)
    model = models.mlp(2, 3, (8,), seed=0)
    cfg = TrainConfig(optimizer="sgd", lr=0.1, batch_size=16, epochs=2)
    training.fit(model, blobs, cfg.replace(seed=0))
    forget, retain = blobs.subset(blobs.ids[:12]), blobs.without(blobs.ids[:12])
    a, seed = 0.7, 5
    un, log = ap.neggrad_plus(model, forget, retain, cfg, seed=seed, a=a)
    r, s = log.extra["retain_losses"], log.extra["forget_losses"]
    assert len(r) == len(s) == len(log.losses) == log.steps
    assert np.allclose(log.losses, a * np.array(r) - (1 - a) * np.array(s), rtol=1e-5, atol=1e-6)
    # step 0 is measured on the original model, on the first batch of each order
    steps = cfg.num_steps(len(retain))
    pr = batch_order(len(retain), cfg.batch_size, steps, derive_seed(seed, "retain"))[0]
    ps = batch_order(len(forget), cfg.batch_size, steps, derive_seed(seed, "forget"))[0]
    with torch.no_grad():
        assert r[0] == pytest.approx(float(F.cross_entropy(model(retain.X[pr]), retain.y[pr])), rel=1e-6)
        assert s[0] == pytest.approx(float(F.cross_entropy(model(forget.X[ps]), forget.y[ps])), rel=1e-6)
    assert s[-1] > s[0]                             # the ascent on S shows in its own loss
    # a = 1: fine-tuning, the forget term is not used
    _, log1 = ap.neggrad_plus(model, forget, retain, cfg, seed=seed, a=1.0)
    assert all(math.isnan(v) for v in log1.extra["forget_losses"])
    assert log1.losses == log1.extra["retain_losses"]


# ----------------------------------------------------------------------------- sources stated
def test_random_labels_draws_wrong_labels_only_and_cites_its_source(monkeypatch):
    blobs = data.make_blobs(n=60, centers=4, seed=3)
    model = models.mlp(2, 4, (8,), seed=0)
    forget, retain = blobs.subset(blobs.ids[:20]), blobs.without(blobs.ids[:20])
    seen = {}

    def fake_fit(m, d, config, **kw):
        seen["data"] = d
        return training.TrainLog()

    monkeypatch.setattr(ap, "fit", fake_fit)
    ap.random_labels(model, forget, retain, TrainConfig(epochs=1), seed=0)
    d = seen["data"]
    true = dict(zip(forget.ids.tolist(), forget.y.tolist()))
    new = {i: lab for i, lab in zip(d.ids.tolist(), d.y.tolist()) if i in true}
    assert len(new) == len(true) and all(new[i] != true[i] for i in true)
    doc = ap.random_labels.__doc__
    assert "Graves" in doc and "RL_original.py" in doc and "all" in doc


def test_scrub_docstring_says_which_reference_settings_it_follows():
    doc = ap.scrub.__doc__
    for text in ("large_scale_unlearning.ipynb", "small_scale_unlearning.ipynb", "T = 4", "T = 2"):
        assert text in doc
