"""Bad input to the Python API gives one MolapError naming the value and what was expected, before
any work (cases from ``shared/bad-inputs.tsv`` that used to raise raw errors or pass silently)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import network
from molap.errors import MolapError
from molap.metrics import score
from molap.primitives import PrimitivesConfig, fit
from molap.tasks import Task, on, sample
from molap.trained_network import ModularRNN
from molap.training import Schedule, TaskTraining, evaluate_heads, train_heads

SIGNALS = lambda tr: (on(35, 85)[:, None], on(85, 110)[:, None])  # noqa: E731


def task(**kw):
    return Task(**{"name": "probe", "inputs": ("stim",), "outputs": ("choice",), "signals": SIGNALS, **kw})


@pytest.mark.parametrize("kw, message", [
    ({"name": None}, "a task's name must be a non-empty string, got None"),
    ({"inputs": ()}, "task 'probe': inputs must be a non-empty sequence of channel names"),
    ({"outputs": "choice"}, "task 'probe': outputs must be a non-empty sequence of channel names"),
    ({"signals": 3}, "task 'probe': signals must be a function"),
    ({"noise_group": 1}, "noise_group must be a string or None, got 1"),
])
def test_a_bad_task_definition_is_named(kw, message):
    with pytest.raises(MolapError, match=message.replace("(", r"\(").replace(")", r"\)")):
        task(**kw)


@pytest.mark.parametrize("signals, message", [
    (lambda tr: (jnp.zeros((110, 3)), jnp.zeros((110, 1))), r"of shape \(110, 1\) .* got \(110, 3\) and \(110, 1\)"),
    (lambda tr: (jnp.zeros((50, 1)), jnp.zeros((110, 1))), r"got \(50, 1\) and \(110, 1\)"),
    (lambda tr: (jnp.full((110, 1), jnp.nan), jnp.zeros((110, 1))), "non-finite stimulus inputs"),
    (lambda tr: (jnp.zeros((110, 1)), jnp.full((110, 1), jnp.inf)), "non-finite targets"),
])
def test_signals_of_the_wrong_shape_or_not_finite_name_the_task(signals, message):
    with pytest.raises(MolapError, match="task 'probe': .*" + message):
        sample(task(signals=signals), jax.random.key(0), 4)


def test_a_list_of_channel_names_is_taken_as_a_tuple():
    t = task(inputs=["stim"])
    assert t.inputs == ("stim",) and sample(t, jax.random.key(0), 2).inputs.shape == (2, 110, 2)


@pytest.mark.parametrize("key, message", [
    (0, "key must be a JAX random key \\(jax.random.key\\(seed\\)\\), got int 0"),
    (jax.random.split(jax.random.key(0), 2), r"got keys of shape \(2,\)"),
])
def test_sample_needs_one_key(key, message):
    with pytest.raises(MolapError, match=message):
        sample("delay_pro", key, 4)


def test_sample_refuses_a_batch_too_large_to_hold():
    with pytest.raises(MolapError, match="trial count must be at most 100,000"):
        sample("delay_pro", jax.random.key(0), 10 ** 9)


@pytest.mark.parametrize("args, message", [
    ((1e-2, 0, 10, 1.5), "n_blocks must be a positive integer, got 0"),
    ((-1.0, 1, 10, 1.5), "lr must be a finite learning rate >= 0"),
    ((float("nan"), 1, 10, 1.5), "lr must be a finite learning rate >= 0"),
    ((1e-2, 1, 2.5, 1.5), "block_steps must be a positive integer, got 2.5"),
    ((1e-2, 1, 10, 0.0), "decay .* must be a finite number > 0, got 0.0"),
])
def test_a_bad_schedule_is_refused_when_made(args, message):
    with pytest.raises(MolapError, match=message):
        Schedule(*args)


def test_heads_need_keys_and_evaluation_takes_task_names():
    p = network.init(jax.random.key(0), 1, 1, network.Layout(20, 2))
    cfg = TaskTraining(batch=4, schedule=Schedule(1e-2, 1, 2, 1.5), n_val=8)
    with pytest.raises(MolapError, match="key must be a JAX random key .*, got int 0"):
        train_heads(p.w_rec, p.b, ["delay_pro"], cfg, key=0, val_key=jax.random.key(1), progress=False)
    r = train_heads(p.w_rec, p.b, ["delay_pro"], cfg, key=jax.random.key(0), val_key=jax.random.key(1), progress=False)
    scores = evaluate_heads(p.w_rec, p.b, r.heads, ["delay_pro"], key=jax.random.key(2), n_trials=8)
    assert set(scores) == {"delay_pro"}


def test_non_finite_network_inputs_and_outputs_are_refused():
    p = network.init(jax.random.key(0), 3, 3, network.Layout(20, 2))
    with pytest.raises(MolapError, match="inputs contain NaN or inf"):
        network.run(p, jnp.full((2, 40, 3), jnp.nan))
    y = np.zeros((2, 40, 3), np.float32)
    with pytest.raises(MolapError, match="outputs contain NaN or inf"):
        score(np.full_like(y, np.nan), y)


@pytest.mark.parametrize("cfg, message", [
    (PrimitivesConfig(n_components=0), r"component count must be an integer in \[1, 22\]"),
    (PrimitivesConfig(n_trials=1), r"n_trials .* must be an integer in \[2, 5000\], got 1"),
    (PrimitivesConfig(seed=-1), r"seed must lie in \[0, 2\*\*32\)"),
])
def test_primitive_fits_check_their_configuration_before_drawing_the_corpus(cfg, message, monkeypatch):
    from molap import primitives

    monkeypatch.setattr(primitives, "corpus_matrices", lambda *a: pytest.fail("the corpus was drawn"))
    with pytest.raises(MolapError, match=message):
        fit(cfg)


# ---- more cases of shared/bad-inputs.tsv (ids in the comments), each with its message ----

@pytest.mark.parametrize("kw, message", [
    ({"batch": 0}, "batch must be a positive number of trials per task"),  # p39: used to fail after training began
    ({"batch": 10**9}, "at most 100,000"),
    ({"n_val": -1}, "n_val must be a positive number of trials"),
    ({"response_weight": float("nan")}, "response_weight must be a finite number >= 0"),
    ({"l2": -1e-5}, "l2 must be a finite number >= 0"),
    ({"clip": float("inf")}, "clip must be a positive gradient norm"),
])
def test_a_bad_training_recipe_is_named_when_built(kw, message):
    with pytest.raises(MolapError, match=message):
        TaskTraining(**kw)


def test_bad_shapes_seeds_and_settings_in_the_api(monkeypatch):
    from molap import pipeline as P

    with pytest.raises(MolapError, match=r"inputs must have shape \(trials, steps, 3\), got \(2, 110, 4\)"):  # p22
        ModularRNN(3, 3)(jnp.zeros((2, 110, 4)))
    with pytest.raises(MolapError, match="seed must be an integer, got '0'"):  # p31
        P.modules("tiny", seed="0")
    with pytest.raises(MolapError, match=r"expected w_rec \(K, N, N\), b \(K, N\)"):  # p36
        train_heads(jnp.zeros((50, 50)), jnp.zeros((100,)), ["delay_pro"], TaskTraining(batch=4),
                    key=jax.random.key(0), val_key=jax.random.key(1))
    monkeypatch.setenv("MOLAP_PROFILE", "bogus")  # p28
    with pytest.raises(MolapError, match=r"unknown profile 'bogus'; expected one of \('tiny', 'quick'"):
        P.trained()
    monkeypatch.setenv("MOLAP_SCAN_UNROLL", "abc")  # p46
    p = network.init(jax.random.key(0), 3, 3, network.Layout(20, 2))
    with pytest.raises(MolapError, match="MOLAP_SCAN_UNROLL must be a positive integer, got 'abc'"):
        network.run(p, jnp.zeros((2, 110, 3)))


@pytest.mark.parametrize("argv, message", [
    (["perturb", "--kind", "m1", "--profile", "tiny", "--levels", "abc"], "argument --levels: expected a number, got 'abc'"),  # c20
    (["perturb", "--kind", "m1", "--profile", "tiny", "--tasks"], "argument --tasks: expected at least one argument"),  # c24
    (["reproduce", "--profile", "bogus"], "argument --profile: invalid choice: 'bogus'"),  # c27
    (["reproduce", "--profile", "tiny", "--stages", "bogus"], "argument --stages: invalid choice: 'bogus'"),  # c28
    ([], "the following arguments are required: command"),  # c29
])
def test_bad_command_lines_exit_2_with_one_line(argv, message, capsys):
    from molap.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and message in err and "Traceback" not in err


def test_a_bad_profile_in_the_environment_and_a_shadowing_task_at_the_cli(monkeypatch, tmp_path, capsys):
    from molap.cli import main

    monkeypatch.setenv("MOLAP_PROFILE", "bogus")  # c16
    assert main(["train"]) == 2
    assert "unknown profile 'bogus'" in capsys.readouterr().err
    monkeypatch.delenv("MOLAP_PROFILE")
    (tmp_path / "shadow.py").write_text(  # x01: a task of one's own named like a corpus task is not the corpus's
        "import jax.numpy as jnp\nfrom molap.tasks import Task, on\n"
        "SHADOW = Task('mem_pro', ('x',), ('y',), lambda tr: (on(35, 85)[:, None], on(85, 110)[:, None]))\n")
    assert main(["perturb", "--kind", "m1", "--profile", "tiny", "--tasks", f"{tmp_path / 'shadow.py'}:SHADOW"]) == 2
    assert "a task of its own named 'mem_pro'" in capsys.readouterr().err
