"""Unit tests for unlearnkit.models (models built from a seed) and unlearnkit.viz (the shared style)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import is_color_like, to_hex  # noqa: E402
from torch import nn  # noqa: E402

from unlearnkit import models, viz  # noqa: E402
from unlearnkit.models import cnn1d, count_parameters, logistic_regression, mlp  # noqa: E402

BUILDERS = {
    "logistic_regression": lambda seed: logistic_regression(6, 3, seed=seed),
    "mlp": lambda seed: mlp(6, 3, hidden=(8, 5), seed=seed),
    "cnn1d": lambda seed: cnn1d(40, 10, channels=4, seed=seed),
}


def states_equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# ============================================================================ seeds
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_same_seed_same_model_other_seed_other_model(name):
    build = BUILDERS[name]
    a, b, c = build(0), build(0), build(1)
    assert states_equal(a, b)
    assert not states_equal(a, c)
    sa, sc = a.state_dict(), c.state_dict()
    assert all(not torch.equal(sa[k], sc[k]) for k in sa if k.endswith("weight"))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_building_neither_reads_nor_changes_the_global_rng(name):
    build = BUILDERS[name]
    torch.manual_seed(5)
    state = torch.get_rng_state()
    a = build(3)
    assert torch.equal(torch.get_rng_state(), state), "the global RNG state changed"
    torch.manual_seed(6)  # a different global state gives the same model
    assert states_equal(a, build(3))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_models_refuse_bad_seeds(name):
    with pytest.raises(TypeError, match="seed"):
        BUILDERS[name](1.0)
    with pytest.raises(ValueError, match="seed"):
        BUILDERS[name](-1)


# ============================================================================ shapes
@pytest.mark.parametrize("batch", [1, 7])
def test_logistic_regression_is_one_linear_layer_returning_logits(batch):
    m = logistic_regression(5, 4, seed=0)
    assert isinstance(m, nn.Linear) and m.in_features == 5 and m.out_features == 4
    x = torch.randn(batch, 5)
    out = m(x)
    assert out.shape == (batch, 4) and out.dtype == torch.float32
    assert torch.allclose(out, x @ m.weight.T + m.bias)


@pytest.mark.parametrize("hidden,widths", [((64,), [64]), (16, [16]), ((8, 4), [8, 4]), ((), []), ([3, 3, 3], [3, 3, 3])])
def test_mlp_widths_and_output_shape(hidden, widths):
    m = mlp(7, 3, hidden=hidden, seed=0)
    linears = [layer for layer in m.modules() if isinstance(layer, nn.Linear)]
    assert [lin.out_features for lin in linears] == widths + [3]
    assert [lin.in_features for lin in linears] == [7] + widths
    assert sum(isinstance(layer, nn.ReLU) for layer in m.modules()) == len(widths)
    assert m(torch.randn(9, 7)).shape == (9, 3)


@pytest.mark.parametrize("length", [1, 2, 5, 37, 40, 64])
def test_cnn1d_output_shape_for_any_length(length):
    m = cnn1d(length, 6, channels=3, seed=0)
    out = m(torch.randn(4, length))
    assert out.shape == (4, 6) and out.dtype == torch.float32
    with pytest.raises(RuntimeError):
        m(torch.randn(4, length + 8))  # a model is built for one length


def test_models_train_end_to_end():
    # gradients reach every parameter (the models are usable by fit)
    for m, x in ((logistic_regression(4, 2, seed=0), torch.randn(3, 4)), (mlp(4, 2, 5, seed=0), torch.randn(3, 4)),
                 (cnn1d(12, 2, 2, seed=0), torch.randn(3, 12))):
        m(x).sum().backward()
        assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in m.parameters())


# ============================================================================ bad sizes
@pytest.mark.parametrize("bad", [0, -1, 2.0, True, None, "4"])
def test_bad_sizes_raise_naming_the_argument(bad):
    checks = [
        (lambda: logistic_regression(bad, 3), "d"), (lambda: logistic_regression(3, bad), "classes"),
        (lambda: mlp(bad, 3), "d"), (lambda: mlp(3, bad), "classes"),
        (lambda: cnn1d(bad, 3), "length"), (lambda: cnn1d(10, bad), "classes"), (lambda: cnn1d(10, 3, bad), "channels"),
    ]
    # an integer out of range is a bad value; anything else (float, bool, None, str) a bad type
    kind = ValueError if isinstance(bad, int) and not isinstance(bad, bool) else TypeError
    for call, arg in checks:
        with pytest.raises(kind, match=rf"\b{arg}\b"):
            call()


@pytest.mark.parametrize("hidden, kind", [(0, ValueError), (-3, ValueError), ((4, 0), ValueError), ((4, 2.5), TypeError),
                                          ((True,), TypeError), ("64", TypeError), (2.0, TypeError), (None, TypeError)])
def test_mlp_refuses_bad_hidden_widths(hidden, kind):
    with pytest.raises(kind, match="hidden"):
        mlp(3, 2, hidden=hidden)


def test_bad_sizes_leave_the_global_rng_alone():
    state = torch.get_rng_state()
    with pytest.raises(ValueError):
        mlp(3, 2, hidden=(4, 0))
    assert torch.equal(torch.get_rng_state(), state)


# ============================================================================ count_parameters
def test_count_parameters_matches_the_architecture():
    assert count_parameters(logistic_regression(10, 4)) == 10 * 4 + 4
    assert count_parameters(mlp(10, 4, hidden=(8, 6))) == (10 * 8 + 8) + (8 * 6 + 6) + (6 * 4 + 4)
    c = 3
    length = 40
    out_len = 10  # 40 -> 40 (k5, p2) -> 20 (stride 2) -> 10 (stride 2)
    expected = (1 * c * 5 + c) + (c * c * 3 + c) + (c * c * 3 + c) + (c * out_len * 7 + 7)
    assert count_parameters(cnn1d(length, 7, channels=c)) == expected
    m = mlp(10, 4, hidden=8)
    m[0].weight.requires_grad_(False)  # frozen parameters are not trainable
    assert count_parameters(m) == 8 + (8 * 4 + 4)
    with pytest.raises(TypeError, match="model"):
        count_parameters([torch.zeros(3)])


def test_every_public_model_function_is_documented():
    for name in models.__all__:
        assert getattr(models, name).__doc__, name
    for name in viz.__all__:
        if callable(getattr(viz, name)):
            assert getattr(viz, name).__doc__, name


# ============================================================================ viz
def test_palette_is_okabe_ito_and_roles_use_it():
    assert len(viz.PALETTE) == 8 and len(set(viz.PALETTE.values())) == 8
    assert all(is_color_like(c) for c in viz.PALETTE.values())
    assert {"#0072b2", "#e69f00", "#009e73", "#d55e00", "#56b4e9", "#cc79a7", "#f0e442", "#000000"} == {
        to_hex(c) for c in viz.PALETTE.values()}
    roles = {"original", "retrained", "unlearned", "forget", "retain", "test", "reference"}
    assert roles <= set(viz.ROLE_COLORS)
    assert set(viz.ROLE_COLORS.values()) <= set(viz.PALETTE.values())
    assert len({viz.ROLE_COLORS[r] for r in roles}) == len(roles), "two roles share a colour"


def test_use_style_sets_the_course_style():
    with mpl.rc_context():
        mpl.rcdefaults()
        viz.use_style()
        cycle = [to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
        assert cycle == [to_hex(c) for c in viz.PALETTE.values()]
        assert mpl.rcParams["axes.grid"] is True
        assert mpl.rcParams["axes.spines.top"] is False and mpl.rcParams["axes.spines.right"] is False
        fig, ax = plt.subplots()
        line, = ax.plot([0, 1], [0, 1])
        assert to_hex(line.get_color()) == to_hex(viz.PALETTE["blue"])
        plt.close(fig)


def test_label_sets_title_axes_and_legend():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="retrained")
    assert viz.label(ax, "Cost", "shards S", "time [s]") is ax
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Cost", "shards S", "time [s]")
    assert ax.get_legend() is None
    viz.label(ax, "Cost", "shards S", "time [s]", legend=True)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["retrained"]
    plt.close(fig)


def test_progress_bar_is_silent_when_tqdm_disable_is_set(monkeypatch):
    from unlearnkit import viz

    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert viz.progress(range(3)).disable is True
    monkeypatch.setenv("TQDM_DISABLE", "0")
    bar = viz.progress(range(3), file=__import__("io").StringIO())
    assert bar.disable is False and list(bar) == [0, 1, 2]
