"""Tests for unlearnkit.metrics (lecture 04)."""
import functools
import math

import numpy as np
import pytest
import torch

from unlearnkit import approximate as ap
from unlearnkit import data, metrics as mt, models, training
from unlearnkit.training import TrainConfig


def test_tow_worked_example_and_identity():
    assert mt.tow((0.60, 0.95, 0.90), (0.50, 0.97, 0.91)) == pytest.approx(0.87318, abs=1e-12)
    assert mt.tow({"forget": 0.6, "retain": 0.95, "test": 0.9},
                  {"test": 0.91, "retain": 0.97, "forget": 0.5}) == pytest.approx(0.87318, abs=1e-12)
    for acc in [(0.0, 0.0, 0.0), (0.3, 0.99, 0.5), (1, 1, 1)]:
        assert mt.tow(acc, acc) == 1.0
    assert mt.tow((1, 1, 1), (0, 0, 0)) == 0.0
    assert mt.tow(np.array([0.5, 0.5, 0.5]), torch.tensor([0.5, 0.6, 0.5])) == pytest.approx(0.9)
    gaps = mt.accuracy_gaps((0.6, 0.95, 0.9), (0.5, 0.97, 0.91))
    assert gaps == pytest.approx({"forget": 0.1, "retain": 0.02, "test": 0.01})


def test_tow_bad_inputs():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mt.tow((60, 95, 90), (50, 97, 91))
    with pytest.raises(ValueError, match="retrained\\['test'\\]"):
        mt.tow((0.6, 0.95, 0.9), (0.5, 0.97, -0.1))
    with pytest.raises(ValueError, match="not an accuracy"):
        mt.tow((float("nan"), 0.9, 0.9), (0.5, 0.9, 0.9))
    with pytest.raises(ValueError, match="3 accuracies"):
        mt.tow((0.6, 0.9), (0.5, 0.9))
    with pytest.raises(ValueError, match="missing"):
        mt.tow({"forget": 0.5, "retain": 0.5}, (0.5, 0.5, 0.5))
    with pytest.raises(TypeError):
        mt.tow("0.5", (0.5, 0.5, 0.5))
    with pytest.raises(TypeError, match="number"):
        mt.tow((True, 0.5, 0.5), (0.5, 0.5, 0.5))


def test_tow_from_models_matches_accuracies():
    tr, te = data.load_digits()
    forget, retain = tr.subset(tr.ids[:50]), tr.without(tr.ids[:50])
    a = models.logistic_regression(64, 10, seed=0)
    b = models.logistic_regression(64, 10, seed=1)
    training.fit(a, tr, TrainConfig(optimizer="adam", lr=1e-2, epochs=3, seed=0))
    training.fit(b, retain, TrainConfig(optimizer="adam", lr=1e-2, epochs=1, seed=0))
    acc_a = mt.set_accuracies(a, forget, retain, te)
    acc_b = mt.set_accuracies(b, forget, retain, te)
    assert mt.tow(a, b, forget, retain, te) == pytest.approx(mt.tow(acc_a, acc_b))
    assert mt.tow(a, a, forget=forget, retain=retain, test=te) == 1.0
    assert mt.tow(a, b, forget, retain, te) < 1.0
    with pytest.raises(TypeError, match="forget="):
        mt.tow(a, b)
    with pytest.raises(TypeError, match="both"):
        mt.tow(a, (0.5, 0.5, 0.5), forget, retain, te)
    with pytest.raises(ValueError, match="only used with models"):
        mt.tow(acc_a, acc_b, forget, retain, te)
    with pytest.raises(ValueError, match="empty"):
        mt.set_accuracies(a, tr.subset([]), retain, te)


def test_compare_methods_and_summarize():
    tr, te = data.load_digits()
    fid = tr.ids[:60]
    u = TrainConfig(optimizer="adam", lr=1e-2, batch_size=128, epochs=1)
    methods = {"finetune": functools.partial(ap.finetune, config=u),
               "neggrad+": functools.partial(ap.neggrad_plus, config=u, a=0.9)}
    table = mt.compare_methods(lambda s: models.mlp(64, 10, 8, seed=s),
                               TrainConfig(optimizer="adam", lr=1e-2, batch_size=128, epochs=3), tr, fid, te,
                               methods, seeds=[0, 1], measures={"auc": lambda m, f, r, t: mt.loss_threshold_auc(m, f, t)})
    assert table["auc"].between(0, 1).all()
    assert list(table["method"].unique()) == ["original", "retrained", "finetune", "neggrad+"]
    assert len(table) == 8
    assert (table[table.method == "retrained"]["tow"] == 1.0).all()
    assert table["tow"].between(0, 1).all()
    # different seeds give different models
    orig = table[table.method == "original"]
    assert orig["grad_evals"].iloc[0] > table[table.method == "finetune"]["grad_evals"].iloc[0]
    s = mt.summarize(table)
    assert list(s.index) == ["original", "retrained", "finetune", "neggrad+"]
    assert s.loc["finetune", "n"] == 2
    rows = table[table.method == "finetune"]["tow"]
    assert s.loc["finetune", "tow_mean"] == pytest.approx(rows.mean())
    assert s.loc["finetune", "tow_std"] == pytest.approx(rows.std(ddof=1))
    with pytest.raises(ValueError, match="seeds"):
        mt.compare_methods(lambda s: models.mlp(64, 10, 8, seed=s), u, tr, fid, te, methods, seeds=[])
    with pytest.raises(ValueError, match="reserved"):
        mt.compare_methods(lambda s: models.mlp(64, 10, 8, seed=s), u, tr, fid, te, {"retrained": None}, seeds=[0])
    with pytest.raises(ValueError, match="clash"):
        mt.compare_methods(lambda s: models.mlp(64, 10, 8, seed=s), u, tr, fid, te, methods, seeds=[0],
                           measures={"tow": len})
    with pytest.raises(ValueError, match="lacks"):
        mt.summarize(table, columns=("nope",))


def test_memorization_hand_built():
    masks = torch.tensor([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=torch.bool)
    correct = torch.tensor([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=torch.bool)
    mem = mt.memorization(masks, correct)
    assert mem.dtype == torch.float64
    assert torch.allclose(mem, torch.tensor([1.0 - 0.5, 1.0 - 0.0], dtype=torch.float64))
    with pytest.raises(ValueError, match=r"positions \[1\]"):
        mt.memorization(torch.tensor([[1, 1], [0, 1]], dtype=torch.bool), torch.ones(2, 2, dtype=torch.bool))
    with pytest.raises(TypeError, match="correct"):
        mt.memorization(masks, correct.int())
    with pytest.raises(ValueError, match="same shape"):
        mt.memorization(masks, correct[:3])


def test_subset_masks():
    m = mt.subset_masks(10, 5, 0.7, seed=1)
    assert m.shape == (5, 10) and m.dtype == torch.bool
    assert (m.sum(1) == 7).all()
    assert torch.equal(m, mt.subset_masks(10, 5, 0.7, seed=1))
    assert not torch.equal(m, mt.subset_masks(10, 5, 0.7, seed=2))
    # model j's subset does not depend on how many models are asked for
    assert torch.equal(m[:3], mt.subset_masks(10, 3, 0.7, seed=1))
    with pytest.raises(ValueError, match="fraction"):
        mt.subset_masks(10, 5, 1.0)
    with pytest.raises(ValueError, match="none would be"):
        mt.subset_masks(3, 5, 0.1)
    with pytest.raises(ValueError, match="num_models"):
        mt.subset_masks(10, 0)


def test_memorization_scores_small_case_finds_mislabelled():
    # blobs that are easy to separate; 6 points relabelled: those must score high, the rest low
    d = data.make_blobs(n=120, centers=2, cluster_std=1.0, seed=3)
    d = data.relabel(d, d.ids[:6], 1 - d.y[:6])
    cfg = TrainConfig(optimizer="adam", lr=5e-2, batch_size=64, steps=200)
    scores, masks, correct = mt.memorization_scores(models.mlp(2, 2, 32), d, cfg, num_models=24, fraction=0.5, seed=0)
    assert scores.shape == (120,) and masks.shape == correct.shape == (24, 120)
    assert torch.allclose(scores, mt.memorization(masks, correct))
    assert float(scores[:6].mean()) > 0.35 and float(scores[6:].mean()) < 0.15


def test_shipped_memorization_scores():
    import pathlib
    path = pathlib.Path(mt.__file__).parent / "checkpoints" / "digits_memorization.pt"
    rec = torch.load(path, weights_only=True)
    tr, _ = data.load_digits()
    assert torch.equal(rec["ids"], tr.ids)
    s = rec["scores"]
    assert s.shape == (len(tr),) and float(s.min()) >= -1 and float(s.max()) <= 1
    assert torch.allclose(s, rec["in_accuracy"] - rec["out_accuracy"], atol=1e-6)
    assert rec["meta"]["num_models"] >= 100 and rec["meta"]["script"] == "scripts/build_memorization.py"


def test_entanglement():
    g = torch.Generator().manual_seed(0)
    r = torch.randn(200, 3, generator=g)
    far = torch.randn(50, 3, generator=g) * 0.5 + 10
    near = torch.randn(50, 3, generator=g) * 0.5 + 0.5
    assert mt.entanglement(far, r) < mt.entanglement(near, r)
    # hand-built: two points per group at +-1 around means -1 and +1 in 1-D
    s = torch.tensor([[-2.0], [0.0]])
    rr = torch.tensor([[0.0], [2.0]])
    # within = 1 + 1 = 2; mu = 0; between = 0.5 * (1 + 1) = 1
    assert mt.entanglement(s, rr) == pytest.approx(2.0)
    assert mt.entanglement(rr, rr) == math.inf
    with pytest.raises(ValueError, match="same h"):
        mt.entanglement(s, torch.zeros(2, 2))
    with pytest.raises(ValueError, match="empty"):
        mt.entanglement(s[:0], rr)


def test_embeddings_and_weak_checks():
    tr, te = data.load_digits()
    net = models.mlp(64, 10, (16, 8), seed=0)
    assert mt.embeddings(net, tr).shape == (len(tr), 8)
    lin = models.logistic_regression(64, 10)
    assert torch.equal(mt.embeddings(lin, tr), tr.X)
    cnn = models.cnn1d(40, 10, channels=4)
    assert mt.embeddings(cnn, torch.zeros(3, 40)).shape == (3, cnn.head.in_features)
    with pytest.raises(TypeError, match="penultimate"):
        mt.embeddings(torch.nn.ReLU(), tr)
    training.fit(net, tr, TrainConfig(optimizer="adam", lr=1e-2, epochs=8, seed=0))
    auc_train = mt.loss_threshold_auc(net, tr, te)
    assert 0.5 < auc_train <= 1.0
    assert mt.loss_threshold_auc(net, te, te) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="non-empty"):
        mt.loss_threshold_auc(net, tr.subset([]), te)
    assert mt.attack_success_rate(net, te, 3) == pytest.approx(float((te.y == 3).double().mean()), abs=0.05)
    with pytest.raises(ValueError, match="empty"):
        mt.attack_success_rate(net, te.subset([]), 3)


@pytest.mark.slow
def test_shipped_memorization_agrees_with_a_small_recomputation():
    """The shipped scores come from scripts/build_memorization.py: 24 fresh models of the same recipe agree."""
    import importlib.util
    import pathlib
    from scipy.stats import spearmanr

    root = pathlib.Path(mt.__file__).parent.parent
    spec = importlib.util.spec_from_file_location("build_memorization", root / "scripts" / "build_memorization.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shipped = torch.load(script.OUT, weights_only=True)
    assert shipped["meta"]["config"] == script.CONFIG and shipped["meta"]["seed"] == script.SEED
    small = script.compute(num_models=24, seed=script.SEED)  # the first 24 of the shipped 256 models
    rho = spearmanr(small["scores"].numpy(), shipped["scores"].numpy()).statistic
    assert rho > 0.5
    top = shipped["scores"].topk(20).indices
    assert float(small["scores"][top].mean()) > 0.5 > float(small["scores"].mean())
