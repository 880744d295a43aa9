"""Tests for unlearnkit.approximate (lecture 04)."""
import copy

import pytest
import torch

from unlearnkit import approximate as ap
from unlearnkit import data, models, training
from unlearnkit.training import TrainConfig


@pytest.fixture(scope="module")
def digits():
    tr, te = data.load_digits()
    model = models.mlp(64, 10, 16, seed=0)
    training.fit(model, tr, TrainConfig(optimizer="adam", lr=1e-2, batch_size=128, epochs=5, seed=0))
    forget_ids = tr.ids[:40]
    return model, tr.subset(forget_ids), tr.without(forget_ids), te


CFG = TrainConfig(optimizer="sgd", lr=0.05, momentum=0.9, batch_size=32, epochs=1)


def _state(m):
    return {k: v.clone() for k, v in m.state_dict().items()}


def _same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_neggrad_plus_weight_one_equals_finetune(digits):
    model, forget, retain, _ = digits
    ft, log_ft = ap.finetune(model, forget, retain, CFG, seed=3)
    ngp, log_ngp = ap.neggrad_plus(model, forget, retain, CFG, seed=3, a=1.0)
    assert _same(ft, ngp)
    assert log_ft.grad_evals == log_ngp.grad_evals == CFG.num_steps(len(retain)) * 32
    assert log_ngp.extra["forget_grad_evals"] == 0
    # and a smaller weight really differs and costs the forget passes too
    ngp2, log2 = ap.neggrad_plus(model, forget, retain, CFG, seed=3, a=0.8)
    assert not _same(ft, ngp2)
    assert log2.extra["forget_grad_evals"] == log2.steps * 32
    assert log2.grad_evals == log_ft.grad_evals + log2.extra["forget_grad_evals"]


@pytest.mark.parametrize("method", [ap.finetune, ap.neggrad, ap.neggrad_plus, ap.random_labels, ap.scrub])
def test_methods_copy_and_are_deterministic(digits, method):
    model, forget, retain, _ = digits
    before = _state(model)
    a, log_a = method(model, forget, retain, CFG, seed=1)
    b, _ = method(model, forget, retain, CFG, seed=1)
    c, _ = method(model, forget, retain, CFG, seed=2)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()), "original was modified"
    assert a is not model and _same(a, b) and not _same(a, c)
    assert log_a.grad_evals > 0 and log_a.steps > 0 and len(log_a.losses) == log_a.steps


def test_neggrad_lowers_forget_accuracy(digits):
    model, forget, retain, _ = digits
    cfg = TrainConfig(optimizer="sgd", lr=0.1, batch_size=40, steps=30)
    un, log = ap.neggrad(model, forget, retain, cfg, seed=0)
    assert training.accuracy(un, forget) < training.accuracy(model, forget) - 0.3
    assert log.grad_evals == 30 * 40 == log.extra["forget_grad_evals"]


def test_random_labels_uses_wrong_labels(digits):
    model, forget, retain, _ = digits
    cfg = TrainConfig(optimizer="adam", lr=1e-2, batch_size=64, epochs=8)
    un, log = ap.random_labels(model, forget, retain, cfg, seed=0)
    assert log.extra["relabelled"] == len(forget)
    assert log.grad_evals == cfg.num_steps(len(forget) + len(retain)) * 64
    assert training.accuracy(un, forget) < training.accuracy(model, forget)


def test_scrub_counts_teacher_forwards(digits):
    model, forget, retain, _ = digits
    cfg = TrainConfig(optimizer="sgd", lr=0.01, batch_size=64, epochs=2)
    un, log = ap.scrub(model, forget, retain, cfg, seed=0, max_epochs=1)
    # one max-pass over S (40 -> 1 batch of 40), two min-passes over R
    n_r = len(retain)
    steps_r = -(-n_r // 64)
    assert log.steps == 1 + 2 * steps_r
    assert log.extra["forget_grad_evals"] == 40
    assert log.extra["teacher_forward"] == log.grad_evals
    with pytest.raises(ValueError, match="epochs"):
        ap.scrub(model, forget, retain, cfg.replace(steps=5), seed=0)


def test_scrub_kl_and_neggrad_plus_loss_values():
    torch.manual_seed(0)
    z = torch.randn(5, 3)
    assert float(ap.scrub_kl(z, z)) == pytest.approx(0.0, abs=1e-6)
    z2 = torch.randn(5, 3)
    T = 2.0
    p = torch.softmax(z2 / T, 1)
    q = torch.softmax(z / T, 1)
    manual = (p * (p.log() - q.log())).sum(1).mean() * T ** 2
    assert float(ap.scrub_kl(z, z2, T)) == pytest.approx(float(manual), rel=1e-5)
    y = torch.tensor([0, 1, 2, 0, 1])
    ce = torch.nn.functional.cross_entropy
    val = ap.neggrad_plus_loss(z, y, z2, y, 0.3)
    assert float(val) == pytest.approx(float(0.3 * ce(z, y) - 0.7 * ce(z2, y)), rel=1e-6)
    with pytest.raises(ValueError, match="a must be in"):
        ap.neggrad_plus_loss(z, y, z2, y, 1.5)
    with pytest.raises(ValueError, match="logits_forget"):
        ap.neggrad_plus_loss(z, y, z2[:2], y, 0.5)


def test_bad_inputs(digits):
    model, forget, retain, _ = digits
    with pytest.raises(TypeError, match="model"):
        ap.finetune("not a model", forget, retain, CFG)
    with pytest.raises(TypeError, match="forget"):
        ap.finetune(model, forget.X, retain, CFG)
    with pytest.raises(TypeError, match="config"):
        ap.finetune(model, forget, retain, {"lr": 0.1})
    with pytest.raises(ValueError, match="disjoint"):
        ap.finetune(model, forget, retain.concat(forget), CFG)
    with pytest.raises(ValueError, match="forget is empty"):
        ap.neggrad(model, forget.subset([]), retain, CFG)
    with pytest.raises(TypeError, match="seed"):
        ap.neggrad(model, forget, retain, CFG, seed=1.5)
    with pytest.raises(ValueError, match="a must be in"):
        ap.neggrad_plus(model, forget, retain, CFG, a=-0.1)
    with pytest.raises(ValueError, match="alpha"):
        ap.scrub(model, forget, retain, CFG, alpha=float("nan"))


# ----------------------------------------------------------------------------- Newton step
def test_newton_step_is_exact_for_ridge():
    line = data.make_line(n=40, seed=1)
    X = torch.cat([line.X, torch.ones(40, 1)], 1)  # a constant feature as intercept
    line = data.Dataset(X, line.y, line.ids, dict(line.tags), 1)
    full = ap.L2LinearModel(lam=0.05, loss="squared").fit(line)
    forget_ids = line.ids[[3, 17, 25]]
    forget, retain = line.subset(forget_ids), line.without(forget_ids)
    for batch in (1, None):
        un, log = ap.newton_removal(full, forget, retain, batch=batch)
        refit = ap.L2LinearModel(lam=0.05, loss="squared").fit(retain)
        assert torch.allclose(un.coef_, refit.coef_, atol=1e-10, rtol=0)
        assert un.n_ == len(retain)
    assert not torch.allclose(full.coef_, refit.coef_, atol=1e-4)
    assert log.steps == 1 and log.grad_evals == 3 and log.extra["hessian_evals"] == len(retain)


def test_newton_logistic_close_to_refit_and_bound_holds():
    tr, _ = data.load_digits()
    lam = 1e-2
    full = ap.L2LinearModel(lam=lam).fit(tr)
    assert training.accuracy(full, tr) > 0.9
    assert full.converged_ and 1 < full.n_iter_ < 50
    assert not ap.L2LinearModel(lam=lam).fit(tr, max_iter=1).converged_
    assert float(full.gradient(tr).norm()) < 1e-6  # fitted to its optimum
    forget_ids = tr.ids[:10]
    forget, retain = tr.subset(forget_ids), tr.without(forget_ids)
    before = full.coef_.clone()
    un, log = ap.newton_removal(full, forget, retain)
    assert torch.equal(full.coef_, before) and full.residual_bound_ == 0.0
    refit = ap.L2LinearModel(lam=lam).fit(retain)
    err_newton = float((un.coef_ - refit.coef_).norm())
    err_none = float((full.coef_ - refit.coef_).norm())
    assert err_newton < 0.05 * err_none
    # the true gradient residual on R is below the (accumulated) bound, per output
    resid = un.gradient(retain).norm(dim=1).max()
    assert 0 < float(resid) <= un.residual_bound_
    assert len(un.bound_history_) == 10 and all(a < b for a, b in zip(un.bound_history_, un.bound_history_[1:]))
    assert log.steps == 10 and log.grad_evals == 10 and log.extra["solves"] == 10


def test_newton_update_and_errors():
    w = torch.tensor([1.0, 2.0], dtype=torch.float64)
    H = torch.tensor([[2.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
    assert torch.allclose(ap.newton_update(w, torch.tensor([2.0, 4.0], dtype=torch.float64), H),
                          torch.tensor([2.0, 3.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="hessian"):
        ap.newton_update(w, w, H[:1])
    with pytest.raises(ValueError, match="lam"):
        ap.L2LinearModel(lam=0)
    tr, _ = data.load_digits()
    m = ap.L2LinearModel(lam=1e-2)
    with pytest.raises(TypeError, match="fitted"):
        ap.newton_removal(m, tr.subset(tr.ids[:2]), tr.without(tr.ids[:2]))
    m.fit(tr)
    with pytest.raises(ValueError, match="n_"):
        ap.newton_removal(m, tr.subset(tr.ids[:2]), tr.without(tr.ids[:5]))
    with pytest.raises(TypeError, match="L2LinearModel"):
        ap.newton_removal(models.logistic_regression(64, 10), tr.subset(tr.ids[:2]), tr.without(tr.ids[:2]))
