"""The pure parts of the views of chapters 02-04 (molap.views.latent_primitives, .pretraining, .learning)
on synthetic results: table rows, counts and the chapters' checks. Nothing is trained."""

import numpy as np
import pytest

from molap.methods import Modules, TrainedRun
from molap.metrics import Scores
from molap.network import Layout, RNNParams
from molap.profiles import PAPER, QUICK
from molap.tasks import TASK_NAMES
from molap.training import PretrainResult
from molap.views import latent_primitives as primitives
from molap.views import learning_tasks as learning
from molap.views import pretraining


def r2_table(r2_2=0.56, r2_3=0.67, corr3=0.999, fourth=0.01):
    return [dict(components=1, r2=0.45, corr=[0.9992]),
            dict(components=2, r2=r2_2, corr=[0.9992, 0.9977]),
            dict(components=3, r2=r2_3, corr=[0.9992, 0.9977, corr3]),
            dict(components=4, r2=r2_3, corr=[0.9992, 0.9977, corr3, fourth])]


def test_r2_rows_format_percent_and_paper():
    rows = primitives.r2_rows(r2_table())
    assert [r["k"] for r in rows] == [1, 2, 3, 4]
    assert rows[1]["r2"] == pytest.approx(56.0) and rows[1]["paper"] == "≈ 60%" and rows[0]["paper"] == ""
    assert rows[1]["corr"] == "0.9992, 0.9977"


def test_check_r2_keeps_every_bound():
    primitives.check_r2(r2_table())
    for bad in (dict(r2_2=0.53), dict(r2_2=0.60), dict(r2_3=0.70), dict(corr3=0.98), dict(fourth=0.2)):
        with pytest.raises(AssertionError):
            primitives.check_r2(r2_table(**bad))


def components(flat_before=0.0):
    t = np.arange(110)
    fix = ((t >= 10) & (t < 85)).astype(float)
    level = np.linspace(0, 1, 8)[:, None]
    u = np.stack([np.tile(fix, (8, 1)), np.zeros((8, 110))], -1)
    v2 = np.where(t >= 85, level, 0.5) + flat_before * (t < 85) * level
    return primitives.Components(u, np.stack([np.tile(fix, (8, 1)), v2], -1))


def test_check_components():
    primitives.check_components(components())
    with pytest.raises(AssertionError, match="component 2"):
        primitives.check_components(components(flat_before=0.5))


class Prim:
    def __init__(self, corr, ex=(0.36, 0.176), ey=(0.46, 0.219)):
        self.corr, self.explained_x, self.explained_y = np.asarray(corr), np.asarray(ex), np.asarray(ey)


def test_check_pca_and_comparison_rows():
    pca, joint = Prim([0.978, 0.2]), Prim([1.0, 1.0])
    primitives.check_pca(pca, joint)
    for bad in ((Prim([0.8, 0.2]), joint), (Prim([0.978, 0.7]), joint), (pca, Prim([1.0, 0.9]))):
        with pytest.raises(AssertionError):
            primitives.check_pca(*bad)
    rows = primitives.comparison_rows(0.559, Prim([0.9992, 0.9977]), pca, Prim([1.0, 1.0], ex=(0.403, 0.127)))
    assert rows[0]["a"] == "R² 2 comps: 55.9%" and rows[0]["b"] == "0.999, 0.998"
    assert rows[1]["a"] == "explained var. inputs [36.0, 17.6], targets [46.0, 21.9]"
    assert rows[2]["a"] == "explained var. [40.3, 12.7]" and rows[2]["b"] == "1.000, 1.000"


def test_intro_lines():
    assert primitives.intro(QUICK) == "profile 'quick': CCA on 500 aligned trials per task (55000 rows)"
    assert pretraining.intro(QUICK) == "profile 'quick': 2 modules x 50 units, batch 32, 300 steps per module"
    assert learning.intro(QUICK) == ("profile 'quick': batch 32, 10 x 100 steps, test set 500 trials per task, "
                                     "seeds (0, 1)")


def networks(n=8, move_inter=False, move_bias=False):
    lay = Layout(n, 2)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(n, n))
    init = RNNParams(None, w, np.zeros(n), None, None, None)
    after = w + (np.asarray(lay.intra()) > 0) + (1.0 if move_inter else 0.0)
    pre = PretrainResult(after, None, np.ones((2, 3)), np.array([0.001, 0.0005]), np.array([0.2, 0.03]),
                         None, None, None)
    return init, Modules(after, np.ones(n) if move_bias else np.zeros(n), pre), lay


def test_pretraining_rows_and_check():
    init, mods, lay = networks()
    rows = pretraining.block_rows(init, mods, lay)
    assert [(r["kind"], r["changed"], r["size"]) for r in rows] == [
        ("intra", 16, 16), ("inter", 0, 16), ("inter", 0, 16), ("intra", 16, 16)]
    m = pretraining.mse_rows(mods.pretrain)
    assert m[1]["ratio"] == pytest.approx(0.0005 / 0.03) and m[0]["m"] == "module 1"
    pretraining.check(init, mods, lay)
    for bad in (dict(move_inter=True), dict(move_bias=True)):
        with pytest.raises(AssertionError):
            pretraining.check(*networks(**bad))
    high = mods._replace(pretrain=mods.pretrain._replace(test_mse=np.array([0.02, 0.0005])))
    with pytest.raises(AssertionError, match="held-out MSE"):
        pretraining.check(init, high, lay)


def run(paper, decision, trivial_decision=30.0):
    test = {t: Scores(paper[i], paper[i] - 5, decision[i], 55.0, trivial_decision) for i, t in enumerate(TASK_NAMES)}
    return TrainedRun("molap", 0, 1e-2, list(TASK_NAMES), test, np.array([]), np.array([]), np.array([]), None)


def test_task_rows_mean_sd_and_counts():
    a = run([100.0] * 2 + [80.0] * 7, [100.0] * 5 + [35.0] * 4)
    b = run([100.0] * 2 + [60.0] * 7, [100.0] * 5 + [45.0] * 4)
    rows = learning.task_rows([a, b])
    assert [r["label"] for r in rows] == [f"T{i + 1}" for i in range(9)]
    assert rows[2]["paper"] == 70.0 and rows[2]["paper_sd"] == 10.0 and rows[2]["code"] == 65.0
    assert rows[8]["decision"] == 40.0 and rows[8]["decision_sd"] == 5.0
    assert learning.n_pass(rows) == 2  # exactly 70 is not above the bar
    assert learning.n_above(rows) == 5 and learning.n_above(rows, 9.0) == 9
    literal = learning.pass_lines(rows, rows).splitlines()[1]
    assert literal == "paper's literal recipe: 2/9 above 70%; 5/9 above the trivial policy"


def test_learning_check_tightens_at_paper_scale():
    rows = learning.task_rows([run([95.0] * 2 + [72.0] * 7, [100.0] * 5 + [35.0] * 4)])
    learning.check(QUICK, rows)
    with pytest.raises(AssertionError, match="30 points"):
        learning.check(PAPER, rows)
    with pytest.raises(AssertionError, match="delay"):
        learning.check(QUICK, learning.task_rows([run([89.0] * 9, [100.0] * 9)]))
    with pytest.raises(AssertionError, match="trivial"):
        learning.check(QUICK, learning.task_rows([run([95.0] * 9, [100.0] * 4 + [35.0] * 5)]))
    learning.check(PAPER, learning.task_rows([run([95.0] * 9, [100.0] * 8 + [35.0])]))
    with pytest.raises(AssertionError, match="70%"):
        learning.check(PAPER, learning.task_rows([run([95.0] * 8 + [70.0], [100.0] * 9)]))
