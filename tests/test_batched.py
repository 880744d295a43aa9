"""fit_many: the batched many-model trainer agrees with fit, counts its work, refuses bad input."""
import pytest
import torch

from unlearnkit import data as D, models, training as T
from unlearnkit.training import ManyModels, TrainConfig, fit, fit_many, model_seeds


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_torch_thread):
    """Every test here runs on one torch thread (fixture in conftest.py)."""


@pytest.fixture(scope="module")
def moons():
    return D.make_moons(120, seed=3)


def _max_diff(a: dict, b: dict) -> float:
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def _single(template_fn, data, mask, config, seed, i, steps):
    s_init, s_order = model_seeds(seed, i)
    net = template_fn(s_init)
    log = fit(net, data.where(mask), config.replace(steps=steps, seed=s_order))
    return net, log


@pytest.mark.parametrize("config", [
    TrainConfig(optimizer="sgd", lr=0.2, momentum=0.9, weight_decay=1e-3, batch_size=16, steps=60),
    TrainConfig(optimizer="adam", lr=0.01, batch_size=16, steps=60),
])
def test_matches_single_model_fit_with_unequal_subsets(moons, config):
    g = torch.Generator().manual_seed(0)
    masks = torch.rand(5, len(moons), generator=g) < torch.tensor([[0.9], [0.5], [0.1], [0.08], [1.0]])
    masks[3, :] = False
    masks[3, :7] = True                       # 7 examples < batch size 16: a padded, smaller batch
    many = fit_many(models.mlp(2, 2, 8, seed=0), moons, masks, config, seed=11)
    for i in range(5):
        net, log = _single(lambda s: models.mlp(2, 2, 8, seed=s), moons, masks[i], config, 11, i, 60)
        assert _max_diff(many.model(i).state_dict(), net.state_dict()) < 1e-5
        assert torch.allclose(many.losses[:, i], torch.tensor(log.losses), atol=1e-5)
        assert int(many.grad_evals_per_model[i]) == log.grad_evals
    assert many.grad_evals == int(many.grad_evals_per_model.sum())
    assert many.grad_evals_per_model[3] == 7 * 60


def test_reinit_equals_constructor_seed(moons):
    for build in (lambda s: models.logistic_regression(2, 2, seed=s), lambda s: models.mlp(2, 3, (8, 4), seed=s),
                  lambda s: models.cnn1d(12, 3, 4, seed=s)):
        masks = torch.ones(3, len(moons), dtype=torch.bool)
        many = fit_many(build(0), moons, masks, TrainConfig(steps=0), seed=5)
        for i in range(3):
            assert _max_diff(many.model(i).state_dict(), build(model_seeds(5, i)[0]).state_dict()) == 0.0


def test_factory_template_and_continue(moons):
    masks = torch.ones(4, len(moons), dtype=torch.bool)
    cfg = TrainConfig(lr=0.1, batch_size=32, steps=20)
    a = fit_many(models.mlp(2, 2, 8, seed=0), moons, masks, cfg, seed=1)
    b = fit_many(lambda s: models.mlp(2, 2, 8, seed=s), moons, masks, cfg, seed=1)
    assert _max_diff(a.params, b.params) == 0.0          # template re-initialised == factory
    same = fit_many(models.mlp(2, 2, 8, seed=9), moons, masks, cfg.replace(steps=0), seed=1, init="template")
    assert all(bool((v == v[0]).all()) for v in same.params.values())
    more = fit_many(models.mlp(2, 2, 8), moons, masks, cfg.replace(steps=5), seed=2, init=a)
    assert more.steps == 5 and _max_diff(more.params, a.params) > 0
    assert _max_diff(a.params, b.params) == 0.0          # continuing did not change the source


def test_same_seed_same_numbers_and_seeds_differ(moons):
    masks = torch.ones(3, len(moons), dtype=torch.bool)
    cfg = TrainConfig(lr=0.1, batch_size=16, steps=15)
    a = fit_many(models.mlp(2, 2, 8), moons, masks, cfg, seed=4)
    b = fit_many(models.mlp(2, 2, 8), moons, masks, cfg, seed=4)
    c = fit_many(models.mlp(2, 2, 8), moons, masks, cfg, seed=5)
    assert _max_diff(a.params, b.params) == 0.0
    assert _max_diff(a.params, c.params) > 0
    assert len({tuple(model_seeds(4, i)) for i in range(3)}) == 3


def test_logits_shape_and_agree_with_model(moons):
    masks = torch.ones(3, len(moons), dtype=torch.bool)
    many = fit_many(models.mlp(2, 2, 8), moons, masks, TrainConfig(steps=10, batch_size=8), seed=0)
    z = many.logits(moons)
    assert z.shape == (3, len(moons), 2) and z.dtype == torch.float32
    assert torch.allclose(z[2], T.predict_logits(many.model(2), moons), atol=1e-6)
    assert torch.allclose(many.logits(moons.X[:5]), z[:, :5])
    sub = many.select([2, 0])
    assert len(sub) == 2 and torch.allclose(sub.logits(moons)[0], z[2])
    assert sub.masks.shape == (2, len(moons))
    with pytest.raises(IndexError):
        many.model(3)
    with pytest.raises(IndexError):
        many.select([5])


def test_epochs_config_uses_largest_subset(moons):
    masks = torch.zeros(2, len(moons), dtype=torch.bool)
    masks[0, :100] = True
    masks[1, :40] = True
    many = fit_many(models.logistic_regression(2, 2), moons, masks, TrainConfig(epochs=2, batch_size=20), seed=0)
    assert many.steps == TrainConfig(epochs=2, batch_size=20).num_steps(100) == 10
    assert many.grad_evals == 2 * 10 * 20


def test_mse_loss_matches_fit():
    line = D.make_line(40, seed=1)
    masks = torch.ones(2, 40, dtype=torch.bool)
    masks[1, ::3] = False
    cfg = TrainConfig(lr=0.05, batch_size=8, steps=25, loss="mse")
    many = fit_many(models.logistic_regression(1, 1), line, masks, cfg, seed=2)
    for i in range(2):
        net, _ = _single(lambda s: models.logistic_regression(1, 1, seed=s), line, masks[i], cfg, 2, i, 25)
        assert _max_diff(many.model(i).state_dict(), net.state_dict()) < 1e-5


def test_bad_input_raises(moons):
    net = models.mlp(2, 2, 8)
    ok = torch.ones(2, len(moons), dtype=torch.bool)
    cfg = TrainConfig(steps=3)
    with pytest.raises(TypeError, match="masks"):
        fit_many(net, moons, ok.int(), cfg, seed=0)
    with pytest.raises(TypeError, match="masks"):
        fit_many(net, moons, ok[:, :-1], cfg, seed=0)
    with pytest.raises(ValueError, match="at least one row"):
        fit_many(net, moons, ok[:0], cfg, seed=0)
    empty = ok.clone()
    empty[1] = False
    with pytest.raises(ValueError, match="row 1"):
        fit_many(net, moons, empty, cfg, seed=0)
    with pytest.raises(TypeError, match="data"):
        fit_many(net, moons.X, ok, cfg, seed=0)
    with pytest.raises(TypeError, match="config"):
        fit_many(net, moons, ok, {"steps": 3}, seed=0)
    with pytest.raises(TypeError, match="model"):
        fit_many("mlp", moons, ok, cfg, seed=0)
    with pytest.raises(ValueError, match="dropout"):
        fit_many(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.1)), moons, ok, cfg, seed=0)
    with pytest.raises(ValueError, match="init"):
        fit_many(net, moons, ok, cfg, seed=0, init="random")
    three = fit_many(net, moons, torch.ones(3, len(moons), dtype=torch.bool), cfg, seed=0)
    with pytest.raises(ValueError, match="3 models"):
        fit_many(net, moons, ok, cfg, seed=0, init=three)
    with pytest.raises(TypeError):
        fit_many(net, moons, ok, cfg, seed=-1.5)
    with pytest.raises(ValueError):
        model_seeds(0, -1)
    with pytest.raises(ValueError, match="threads"):
        fit_many(net, moons, ok, cfg, seed=0, threads=0)
    assert isinstance(three, ManyModels) and "m=3" in repr(three)


def test_threads_setting_is_restored(moons):
    torch.set_num_threads(2)
    try:
        fit_many(models.mlp(2, 2, 4), moons, torch.ones(2, len(moons), dtype=torch.bool), TrainConfig(steps=2), seed=0)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
