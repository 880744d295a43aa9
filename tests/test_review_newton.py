"""Review (R2) of Newton-step removal against Guo et al. (ICML 2020) and facebookresearch/certified-removal.

- ``L2LinearModel.fit`` reaches the optimum at the reference code's default ``lam = 1e-6``
  (test_removal.py ``--lam`` default), where undamped Newton steps diverge; where full steps converge,
  the fit is unchanged (so lecture 04's numbers are too).
- The certificate counts the gradient residual left by ``fit`` (its docstring said so; the code did not).
- ``fit`` refuses a bad ``max_iter`` / ``tol`` before changing anything.
- The worst-case bound of Guo et al.'s Theorem 1 is available and lies above the data-dependent one.
"""
import math

import pytest
import torch

from unlearnkit import approximate as ap
from unlearnkit import data
from unlearnkit.models.l2linear import grad_sum, hessian_sum


@pytest.fixture(scope="module")
def digits():
    tr, _ = data.load_digits(seed=0)
    return tr


def _plain_newton(model, d, max_iter=50, tol=1e-10):
    """Undamped Newton on the same objective, written out: the fit as it was before the review."""
    X, T = model.design(d), model.targets(d)
    n, k = X.shape
    W = torch.zeros(T.shape[1], k, dtype=torch.float64)
    for _ in range(max_iter):
        G = grad_sum(W, X, T, model.loss) + model.lam * n * W + model.b_
        H = hessian_sum(W, X, T, model.loss) + model.lam * n * torch.eye(k, dtype=torch.float64)
        step = torch.linalg.solve(H, G.unsqueeze(-1)).squeeze(-1)
        W = W - step
        if float(step.abs().max()) < tol:
            return W, True
    return W, False


def test_fit_reaches_the_optimum_at_the_reference_codes_default_lam(digits):
    m = ap.L2LinearModel(lam=1e-6).fit(digits)
    _, plain_converged = _plain_newton(m, digits)
    assert not plain_converged                        # full Newton steps diverge here
    grad = float(m.gradient(digits).norm())
    assert m.converged_ and grad < 1e-6, (m.n_iter_, grad)
    assert m.fit_residual_ == pytest.approx(grad, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("lam, sigma", [(1e-3, 0.0), (1e-3, 10.0), (0.1, 0.0), (0.1, 1.0)])
def test_fit_is_bitwise_unchanged_where_full_newton_steps_converge(digits, lam, sigma):
    m = ap.L2LinearModel(lam=lam, sigma=sigma, seed=0).fit(digits)
    W, converged = _plain_newton(m, digits)
    assert converged and m.converged_ and torch.equal(m.coef_, W)


def test_certificate_counts_the_residual_left_by_fit(digits):
    rough = ap.L2LinearModel(lam=0.1, sigma=1.0, seed=0).fit(digits, max_iter=1)
    assert not rough.converged_
    r0 = float(rough.gradient(digits).norm())
    assert r0 > 1e-3
    fresh = ap.removal_certificate(rough, 1.0, 1e-4)
    assert fresh.fit_residual == pytest.approx(r0, rel=1e-9)
    assert fresh.residual_bound == 0 and fresh.epsilon_spent == 0      # nothing removed, nothing spent
    # after removals: beta = fit residual + accumulated Newton bounds, and it still bounds the residual
    c = math.sqrt(2 * math.log(1.5 / 1e-4))
    ids = digits.ids[:5]
    forget, retain = digits.subset(ids), digits.without(ids)
    un, _ = ap.newton_removal(rough, forget, retain)
    cert = ap.removal_certificate(un, 1.0, 1e-4)
    assert cert.residual_bound == pytest.approx(r0 + un.residual_bound_, rel=1e-12)
    assert cert.epsilon_spent == pytest.approx(c * (r0 + un.residual_bound_) / 1.0, rel=1e-12)
    assert float(un.gradient(retain).norm()) <= cert.residual_bound
    # a converged fit leaves a residual at rounding level: the certificate is as before
    fine = ap.L2LinearModel(lam=0.1, sigma=1.0, seed=0).fit(digits)
    assert fine.fit_residual_ < 1e-10 and ap.removal_certificate(fine, 1.0, 1e-4).epsilon_spent == 0


@pytest.mark.parametrize("kwargs, kind, text", [
    ({"max_iter": 0}, ValueError, "max_iter"), ({"max_iter": 2.0}, TypeError, "max_iter"),
    ({"tol": -1.0}, ValueError, "tol"), ({"tol": "small"}, TypeError, "tol"),
])
def test_fit_refuses_bad_settings_before_changing_anything(digits, kwargs, kind, text):
    m = ap.L2LinearModel(lam=0.1).fit(digits)
    before = m.coef_.clone()
    with pytest.raises(kind, match=text):
        m.fit(digits, **kwargs)
    assert torch.equal(m.coef_, before) and m.converged_


def test_worst_case_bound_of_theorem_1_is_above_the_data_dependent_one(digits):
    lam = 0.1
    m = ap.L2LinearModel(lam=lam).fit(digits)
    n = len(digits)
    ids = digits.ids[:1]
    un, log = ap.newton_removal(m, digits.subset(ids), digits.without(ids))
    per_output = log.extra["bounds_per_output"][0]
    worst = ap.worst_case_residual_bound(n, lam)
    assert worst == pytest.approx(4 * 0.25 * 1.0 / (lam ** 2 * (n - 1)), rel=1e-12)
    assert float(per_output.max()) <= worst                 # one binary problem: Theorem 1 applies
    assert float(un.gradient(digits.without(ids)).norm(dim=1).max()) <= worst
    assert ap.worst_case_residual_bound(n, lam, m=3) == pytest.approx(4 * 0.25 * 9 / (lam ** 2 * (n - 3)))
    for bad, kind in (({"n": 1}, ValueError), ({"lam": 0.0}, ValueError), ({"m": 0}, ValueError),
                      ({"n": 10.0}, TypeError), ({"gamma": -1.0}, ValueError)):
        args = {"n": n, "lam": lam, **bad}
        with pytest.raises(kind):
            ap.worst_case_residual_bound(**args)
