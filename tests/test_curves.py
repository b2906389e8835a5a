"""Learning curves and the schedule sweep (molap.pipeline.curves) on the tiny profile."""

from dataclasses import replace

import numpy as np
import pytest

from molap import MolapError
from molap.pipeline import curves
from molap.profiles import TINY, EarlySetup, SweepSetup
from molap.run import reproduce

SWEPT = replace(TINY, sweep=SweepSetup(points=((8, 40), (8, 40, 1.0)), seeds=(0, 1)))
VIEWED = replace(SWEPT, sweep=replace(SWEPT.sweep, seeds=(0,)))  # the views' test: one seed is enough


def test_a_sweep_point_is_the_recipe_at_another_batch_and_length():
    r = curves.sweep_recipe(TINY.training, 8, 40, decay=2.0, n_blocks=2, n_evals=8)
    assert (r.batch, r.schedule.n_blocks, r.schedule.block_steps, r.schedule.decay, r.val_every) == (8, 2, 20, 2.0, 5)
    assert r.schedule.lr == TINY.training.schedule.lr and r.response_weight == TINY.training.response_weight
    with pytest.raises(MolapError, match="do not split"):
        curves.sweep_recipe(TINY.training, 8, 30, n_blocks=4, n_evals=8)


def test_curves_of_a_family_are_trained_together_cached_and_timed(tiny_frozen):
    r = curves.sweep_recipe(TINY.training, 8, 8, n_blocks=2, n_evals=4)
    runs = curves.curves(SWEPT, "random", r, (0, 1), progress=False)
    assert [x.seed for x in runs] == [0, 1] and all(x.method == "random" and x.test is None for x in runs)
    assert list(runs[0].curve_steps) == [2, 4, 6, 8] and np.asarray(runs[0].curve).shape == (4, 9, 5)
    # the family's other methods were trained in the same run, so they are cached now
    assert all(curves.seconds(SWEPT, m, r, s) > 0 for m in ("molap", "random", "pca") for s in (0, 1))
    again = curves.curves(SWEPT, "random", r, (0, 1), progress=False)
    np.testing.assert_array_equal(again[1].curve, runs[1].curve)
    rows = curves.sweep_rows(SWEPT, "molap", [r], (0, 1))
    assert rows[0].batch == 8 and rows[0].steps == 8 and rows[0].n_seeds == 2 and rows[0].trials == 64
    assert 0 <= rows[0].final <= 100 and rows[0].seconds > 0


def test_the_sweep_is_a_reproduce_stage_only_where_the_profile_has_points():
    names = dict(reproduce.stages(SWEPT))["schedule sweep"]
    assert [n for n, _ in names] == ["molap, random, pca, batch 8, 40 steps, decay 1.5", "separate, batch 8, 40 steps, decay 1.5",
                                     "molap, random, pca, batch 8, 40 steps, decay 1", "separate, batch 8, 40 steps, decay 1"]
    assert [r.schedule.decay for r in curves.sweep_recipes(SWEPT)] == [1.5, 1.0]
    assert dict(reproduce.stages(TINY))["schedule sweep"] == []
    assert "dni" not in curves.swept_methods()


def test_the_sweep_view_tabulates_and_plots_every_swept_method(tiny_frozen):
    import matplotlib

    matplotlib.use("Agg")
    from molap.views import learning_tasks as V

    ms = curves.swept_methods()
    assert V.sweep_points(VIEWED)[1] == 2 * len(ms) and V.sweep_rows(VIEWED) == [] and V.plot_sweep(VIEWED) is None
    for r in curves.sweep_recipes(VIEWED):  # the views compute nothing: the reproduce stage does
        for m in ("molap", "separate"):
            curves.curves(VIEWED, m, r, VIEWED.sweep.seeds, progress=False)
    assert V.sweep_points(VIEWED)[1] == 0
    rows = V.sweep_rows(VIEWED)
    assert [r.method for r in rows] == [m for m in ms for _ in range(2)] and all(r.batch == 8 for r in rows)
    assert [r.decay for r in rows[:2]] == [1.5, 1.0] and all(0 <= r.tasks_learned <= 9 for r in rows)
    fig = V.plot_sweep(VIEWED)
    assert len(fig.axes) == 2 * len(ms)
    assert V.sweep_rows(TINY) == [] and V.plot_sweep(TINY) is None
    # TINY's own recipe (batch 16, 20 steps) is no point of its sweep, and says so
    assert V.recipe_line(VIEWED) == ("the tiny recipe: batch 16, 20 steps, lr / 1.5 per block: "
                                    "not a committed point of the sweep")
    clipped = replace(VIEWED, training=replace(VIEWED.training, clip=1.0))
    assert "gradient clipped to norm 1 (the sweep: unclipped)" in V.recipe_line(clipped)


EARLY = replace(TINY, early=EarlySetup(steps=10, val_every=5))


def test_the_early_stage_is_the_start_of_the_profiles_own_runs(tiny_frozen):
    from molap import pipeline as P

    r = curves.early_recipe(EARLY)
    assert r.schedule.n_steps == 10 and r.val_every == 5 and r.batch == TINY.training.batch
    assert curves.early_recipe(TINY) is None
    runs = curves.early(EARLY, "molap", progress=False)
    assert [x.seed for x in runs] == list(TINY.seeds) and list(runs[0].curve_steps) == [5, 10]
    full = P.trained(TINY, "molap", 0)  # validated after its first block of 10 steps on the same stream
    assert np.allclose(np.asarray(runs[0].curve)[-1], np.asarray(full.curve)[0], atol=1e-4)
    names = [(it.stage, it.name) for it in reproduce.items(EARLY)]
    assert ("early learning", "molap, random, pca, seeds 0, 1") in names
    assert not any(stage == "early learning" for stage, _ in (
        (it.stage, it.name) for it in reproduce.items(TINY)))
    with pytest.raises(MolapError, match="no early-learning stage"):
        curves.early(TINY, "molap")
    with pytest.raises(MolapError, match="whole blocks"):
        curves.early_recipe(replace(TINY, early=EarlySetup(steps=15)))


def test_the_early_learning_view_plots_and_tabulates_every_method(tiny_frozen):
    import matplotlib.pyplot as plt

    from molap.views import early_learning as V

    fig = V.plot_early(EARLY)
    assert fig is not None and len(fig.axes[0].lines) == 4
    plt.close(fig)
    rows = V.early_rows(EARLY)
    assert [r["method"] for r in rows] == list(V.METHODS) and all(r["seeds"] == 2 for r in rows)
    assert V.plot_early(TINY) is None and V.early_rows(TINY) == []
