import numpy as np
import pytest

from molap import MolapError
from molap.analysis.generalisation import embed, fit_folds, folds
from molap.primitives import PrimitivesConfig, fit
from molap.tasks import TASK_NAMES, get_tasks


def test_folds():
    loo = folds("loo")
    assert len(loo) == 9 and all(t == out[0] and len(out) == 1 for t, out in loo)
    l2o = folds("l2o")
    assert l2o[0] == ("delay_pro", ("delay_pro", "delay_anti")) and l2o[-1] == ("multi_mem", ("multi_mem", "delay_pro"))
    with pytest.raises(MolapError, match="unknown generalisation mode 'l3o'"):
        folds("l3o")


def test_left_out_channels_are_absent_from_the_fitted_primitives():
    kept = tuple(t for t in TASK_NAMES if t != "context_mem_dm1")
    p = fit(PrimitivesConfig("cca", 2, 60, 0, kept))
    assert p.x_weights.shape[0] == 25 - 3 and p.y_weights.shape[0] == 22 - 2
    e = embed(p, kept)
    starts_x = np.cumsum([0] + [t.n_in for t in get_tasks(None)])
    starts_y = np.cumsum([0] + [t.n_out for t in get_tasks(None)])
    i = TASK_NAMES.index("context_mem_dm1")
    assert np.all(e.x_weights[starts_x[i]:starts_x[i + 1]] == 0) and np.all(e.y_weights[starts_y[i]:starts_y[i + 1]] == 0)
    assert e.x_weights.shape == (25, 2) and np.count_nonzero(e.x_weights.any(1)) > 10


def test_fit_folds_stacks_every_fold(tiny_generalisation):
    from molap import pipeline as P

    fs, prims = P.fold_primitives(tiny_generalisation, "l2o", "pca")  # fit_folds, cached
    assert len(fs) == 9 and prims.x_weights.shape == (9, 25, 2) and prims.y_weights.shape == (9, 22, 2)
    with pytest.raises(MolapError, match=r"expected one of \('cca', 'pca'\)"):
        fit_folds("loo", "ica", 2, 30, 0)


def test_a_fold_that_leaves_nothing_out_is_the_full_corpus_run(tiny_frozen, monkeypatch):
    """Folds are paired with the full-corpus run of their seed: with every fold's primitives
    replaced by the full corpus's, each held-out head is the full run's head of that task, so it
    scores what the full run scores on the same test trials; so do both variants computed
    together (leave-one-out and leave-two-out folds in one vmapped run)."""
    from molap import pipeline as P
    from molap.analysis import generalisation
    from molap.pipeline.selection import selected_recipe
    from molap.streams import Stream, stream

    p = tiny_frozen
    full = P.primitives(p, "cca")
    monkeypatch.setattr(generalisation, "embed", lambda prim, kept, all_tasks=TASK_NAMES: full)
    s = p.primitives
    both = generalisation.run_variants(
        [("loo", "cca"), ("l2o", "cca")], init=P.initial_network(p, 0), layout=p.network.layout, pretrain_config=p.pretrain,
        head_config=selected_recipe(p, "molap"), n_components=s.n_components, n_trials=s.n_trials,
        primitives_seed=s.seed, key=stream(0, Stream.PRETRAIN), train_key=stream(0, Stream.TRAIN),
        val_key=stream(0, Stream.VAL), test_key=stream(0, Stream.TEST), n_test=p.evaluation.n_test,
        progress=False, fit_fn=lambda cfg: full)
    run = P.trained(p, "molap", 0)
    want = np.array([[run.test[t].decision, run.test[t].paper] for t in TASK_NAMES])
    assert len(both) == 2
    for folds_ in both:
        got = np.array([[folds_.test[t].decision, folds_.test[t].paper] for t in TASK_NAMES])
        np.testing.assert_allclose(got, want, atol=100 / p.evaluation.n_test + 1e-6)  # at most one trial apart
        assert np.abs(got - want).mean() < 0.5
