"""A task written by a researcher goes through the whole pipeline: its own response epoch, metric
window and trial variables; heads trained, cached under its definition and scored on any method's
frozen modules, from Python and from ``molap train --tasks file.py:NAME``."""

import json
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import pipeline as P
from molap.cli import main
from molap.errors import MolapError
from molap.metrics import score
from molap.tasks import GO, LEAD, N_STEPS, STIM_ON, TASKS, Task, get_task, on, sample
from molap.training import task_weights, time_weights

FLIP_SOURCE = '''
import jax.numpy as jnp
from molap.tasks import GO, N_STEPS, STIM_ON, Task, on


def _flip(trial):
    stim = on(STIM_ON, GO)[:, None] * jnp.stack([jnp.cos(trial.theta1), jnp.sin(trial.theta1)])
    return stim, on(GO, N_STEPS)[:, None] * jnp.stack([-jnp.cos(trial.theta1), -jnp.sin(trial.theta1)])


flip = Task("flip", ("cos", "sin"), ("cos", "sin"), _flip, description="report the opposite angle")
'''


def _flip(trial):
    stim = on(STIM_ON, GO)[:, None] * jnp.stack([jnp.cos(trial.theta1), jnp.sin(trial.theta1)])
    return stim, on(GO, N_STEPS)[:, None] * jnp.stack([-jnp.cos(trial.theta1), -jnp.sin(trial.theta1)])


FLIP = Task("flip", ("cos", "sin"), ("cos", "sin"), _flip, description="report the opposite angle")


def _delayed_match(trial):
    """Two pulses; the delay between them is a trial variable; report whether they match."""
    match = trial.vars["match"]
    second = jnp.where(match == 1, trial.theta1, trial.theta1 + jnp.pi)
    start2 = 55 + 5 * trial.vars["delay"]
    t = jnp.arange(N_STEPS)
    pulse2 = ((t >= start2) & (t < start2 + 10)).astype(jnp.float32)
    stim = on(35, 45)[:, None] * jnp.stack([jnp.cos(trial.theta1), jnp.sin(trial.theta1)]) \
        + pulse2[:, None] * jnp.stack([jnp.cos(second), jnp.sin(second)])
    return stim, on(90, N_STEPS)[:, None] * (2.0 * match - 1.0)


MATCH = Task("delayed_match", ("cos", "sin"), ("match",), _delayed_match, response=(90, N_STEPS),
             variables=(("match", 2), ("delay", 3)))


def test_a_task_declares_its_response_epoch_window_and_variables():
    assert MATCH.scored_window == (80, 110) and TASKS["delay_pro"].scored_window == (80, 110)
    assert replace(MATCH, response=(60, 90)).scored_window == (60, 90)  # the default window follows the epoch
    b = sample(MATCH, jax.random.key(1), 64)
    assert set(b.variables) == {"match", "delay"}
    assert set(np.unique(b.variables["match"])) == {0, 1} and set(np.unique(b.variables["delay"])) == {0, 1, 2}
    x, y = np.asarray(b.inputs), np.asarray(b.targets)
    fix_on = np.round(x[:, :, 0].mean(0), 1)  # the fixation input is on from step 10 to the response epoch
    assert (fix_on[LEAD + 1:89] > 0.9).all() and (fix_on[91:] < 0.6).all()
    m = np.asarray(b.variables["match"])
    assert np.allclose(y[m == 1, 95:, 1], 1.0) and np.allclose(y[m == 0, 95:, 1], 0.0)  # scaled +-1 -> 1, 0
    # the loss weighs the task's own epoch; the nine tasks keep theirs
    w = np.asarray(task_weights([TASKS["delay_pro"], MATCH], 5.0))
    assert w.shape == (2, N_STEPS) and (w[0, GO:] == 5).all() and (w[1, 89] == 1) and (w[1, 90:] == 5).all()
    assert np.array_equal(np.asarray(task_weights(list(TASKS.values()), 5.0)), np.asarray(time_weights(5.0)))


def test_a_task_scores_on_its_own_window():
    early = Task("early", ("cos",), ("cos",), lambda tr: (on(35, 45)[:, None] * jnp.cos(tr.theta1),
                                                          on(60, 80)[:, None] * jnp.cos(tr.theta1)),
                 response=(60, 80))
    assert early.scored_window == (50, 80)
    b = sample(early, jax.random.key(0), 32)
    out = b.targets.at[:, 80:, 1].set(0.0)  # wrong after the window: not scored
    assert score(out, b.targets, early.scored_window).decision == 100.0
    assert score(out, b.targets).decision < 100.0  # the default window (last 30 steps) sees it


@pytest.mark.parametrize("kwargs, match", [
    ({"response": (85, 120)}, "response must be two integer steps"),
    ({"response": (5, 110)}, "response must be two integer steps"),
    ({"response": (85.0, 110)}, "response must be two integer steps"),
    ({"window": (100, 90)}, "window must be two integer steps"),
    ({"variables": (("match", 0),)}, "variables must be"),
    ({"variables": (("no name", 2),)}, "variables must be"),
    ({"variables": (("a", 2), ("a", 3))}, "variable named more than once"),
    ({"variables": 3}, "variables must be"),
    ({"scale_range": (1.0, float("nan"))}, "scale_range must be two finite positive"),
    ({"scale_range": (0.0, 1.0)}, "scale_range must be two finite positive"),
])
def test_bad_task_declarations_are_named(kwargs, match):
    with pytest.raises(MolapError, match=match):
        Task("bad", ("cos",), ("cos",), FLIP.signals, **kwargs)


def test_a_signal_function_reading_an_undeclared_variable_is_named():
    t = Task("needs_vars", ("cos",), ("cos",), lambda tr: (tr.vars["match"] * on(35, 45)[:, None], on(85, 110)[:, None]))
    with pytest.raises(MolapError, match="reads? trial variable 'match', which the task does not declare"):
        sample(t, jax.random.key(0), 4)


def test_the_definition_fingerprint_follows_the_definition():
    assert FLIP.fingerprint() == replace(FLIP, description="another line").fingerprint()
    assert FLIP.fingerprint() != replace(FLIP, response=(80, N_STEPS)).fingerprint()
    assert FLIP.fingerprint() != replace(FLIP, signals=get_task("mem_rotate90").signals).fingerprint()
    assert len({t.fingerprint() for t in TASKS.values()}) == 9


def test_heads_for_a_new_task_train_cache_and_score_on_frozen_modules(tiny_frozen, tmp_path, capsys):
    p = tiny_frozen
    run = P.trained(p, "molap", 0, tasks=[FLIP, "mem_rotate90"])
    assert run.tasks == ["flip", "mem_rotate90"] and set(run.test) == {"flip", "mem_rotate90"}
    assert run.params.heads.w_in.shape[0] == 2
    np.testing.assert_array_equal(run.params.w_rec, P.modules(p, "molap", 0).w_rec)  # the corpus's frozen modules
    # cached under the definition: the same task from a file loads it; the CLI resolves every name first
    path = tmp_path / "flip_task.py"
    path.write_text(FLIP_SOURCE)
    assert main(["train", "--profile", "tiny", "--tasks", f"{path}:flip", "mem_rotate90", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tasks"] == ["flip", "mem_rotate90"]
    assert [r["decision"] for r in out["test"]] == [run.test[t].decision for t in run.tasks]
    assert main(["train", "--profile", "tiny", "--tasks", f"{path}:flip", "nosuch"]) == 2
    assert "unknown task 'nosuch'" in capsys.readouterr().err
    # another definition under the same name is another cache entry
    cfg = lambda ts: P.trained_config(p, "molap", 0, P.selected_recipe(p, "molap"), ts)  # noqa: E731
    assert cfg([FLIP]) != cfg([replace(FLIP, response=(80, N_STEPS))])
    # the corpus in its own order is the corpus's run
    assert P.trained(p, "molap", 0, tasks=list(TASKS)).test == P.trained(p, "molap", 0).test


def test_separate_networks_and_dni_train_on_given_tasks(tiny_frozen):
    p = tiny_frozen
    sep = P.trained(p, "separate", 0, lr=1e-2, tasks=[MATCH, "delay_pro"])
    assert sep.tasks == ["delayed_match", "delay_pro"] and sep.params.w_rec.shape[0] == 2  # one network per task
    dni = P.trained(p, "dni", 0, lr=1e-2, tasks=["delay_anti", FLIP])
    assert dni.tasks == ["delay_anti", "flip"] and list(dni.after_own) == ["delay_anti", "flip"]


def test_a_trained_run_saves_loads_and_runs_as_one_object(tiny_frozen, tmp_path):
    from flax import nnx

    from molap import trained_network as tn

    p = tiny_frozen
    run = P.trained(p, "molap", 0, tasks=[FLIP, "delay_pro"])
    net = tn.from_run(run, p, tasks=[FLIP, "delay_pro"])
    path = tn.save(tmp_path / "flip-net", net)
    assert path.name == "flip-net.npz"
    back = tn.load(path)
    assert isinstance(back, tn.ModularRNN) and back.tasks == ["flip", "delay_pro"]
    assert back.record.method == "molap" and back.record.recipe["schedule"]["lr"] == run.lr
    batch, y = tn.predict(back, FLIP, jax.random.key(5), 8)
    assert y.shape == (8, N_STEPS, 3)
    np.testing.assert_array_equal(np.asarray(back(batch.inputs, FLIP)), y)  # the module called on inputs
    np.testing.assert_array_equal(np.asarray(net(batch.inputs, FLIP)), y)  # the same before saving
    assert len(jax.tree.leaves(nnx.state(back, nnx.Param))) == 6  # weights as nnx parameters, masks beside
    assert float(back.mask.w_rec.max()) == 0 and float(back.mask.w_in.min()) == 1
    # the stored plain RNN is the frozen modules with the task's head: the pipeline's own forward pass agrees
    from molap.training import heads_forward

    ref = heads_forward(run.params.w_rec, run.params.b, run.params.heads,
                        jnp.stack([jnp.pad(batch.inputs, ((0, 0), (0, 0), (0, 0))),
                                   jnp.zeros_like(batch.inputs)]))[0, ..., :3]
    np.testing.assert_allclose(y, np.asarray(ref), atol=1e-5)
    with pytest.raises(MolapError, match="its definition differs"):
        tn.outputs(back, replace(FLIP, response=(80, N_STEPS)), batch.inputs)
    with pytest.raises(MolapError, match=r"inputs must have shape \(trials, 110, 3\)"):
        tn.outputs(back, FLIP, np.zeros((2, 110, 5)))
    with pytest.raises(MolapError, match="not one of this network's tasks"):
        tn.outputs(back, "multi_mem", batch.inputs)
    with pytest.raises(MolapError, match="no trained network at"):
        tn.load(tmp_path / "nothing.npz")


def test_molap_sample_writes_a_tasks_own_trial_variables(tmp_path, capsys):
    path = tmp_path / "match_task.py"
    path.write_text("from molap.tasks.examples import MATCH_TASK\n")
    out = tmp_path / "m.npz"
    assert main(["sample", f"{path}:MATCH_TASK", "--trials", "6", "--out", str(out)]) == 0
    assert "var_match (6,)" in capsys.readouterr().out
    z = np.load(out)
    assert set(z.files) >= {"inputs", "targets", "var_match", "var_delay"} and z["var_delay"].max() <= 2
