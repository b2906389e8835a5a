"""Stopping after a budget and resuming (molap.store.checkpoint): bit-identical to an uninterrupted run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import pipeline as P
from molap import store
from molap.cli import main
from molap.errors import MolapError
from molap.store import checkpoint
from molap.training import Schedule, Trainer


def _loss(p, k, d=None):
    x = jax.random.normal(k, (8, 3))
    w = p["w"] if d is None else p["w"] * d
    return jnp.mean((x @ w - jnp.sin(x[:, :1])) ** 2)


def _train(params, batched, n_steps=40, chunk=10):
    sched = Schedule(1e-2, 2, n_steps // 2, 2.0)
    mask = jax.tree.map(jnp.ones_like, params)
    key = jax.random.split(jax.random.key(0), 3) if batched else jax.random.key(0)
    tr = Trainer(_loss, mask, sched, key=key, batched=batched, data=jnp.ones((3, 1)) if batched else None)
    p, s, losses = tr.run(params, tr.init(params), 0, n_steps, chunk=chunk)
    return p, losses


def _params(batched, scale=0.1):
    w = scale * jnp.ones((3, 1))
    return {"w": jnp.stack([w, 2 * w, 3 * w]) if batched else w}


def _resumed(fn, tmp_path, chunks, name="frame-test"):
    """fn() inside a frame, under a budget of ``chunks`` chunks, again and again until it finishes."""
    attempts = 0
    while True:
        attempts += 1
        try:
            with checkpoint.budget(chunks=chunks), checkpoint.frame(name):
                return fn(), attempts
        except checkpoint.OutOfBudget:
            assert attempts < 100


@pytest.mark.parametrize("batched", [False, True])
def test_a_training_run_resumed_after_each_chunk_is_bit_identical(batched, tmp_path, monkeypatch):
    monkeypatch.setenv("MOLAP_CHECKPOINTS", str(tmp_path))
    p0, l0 = _train(_params(batched), batched)
    (p1, l1), attempts = _resumed(lambda: _train(_params(batched), batched), tmp_path, chunks=1)
    assert attempts == 4  # 4 chunks, one per attempt
    np.testing.assert_array_equal(np.asarray(p0["w"]), np.asarray(p1["w"]))
    np.testing.assert_array_equal(l0, l1)
    assert not any(tmp_path.iterdir())  # the frame removed its checkpoints once it finished


def test_nothing_is_saved_outside_a_budget_and_a_changed_run_ignores_a_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("MOLAP_CHECKPOINTS", str(tmp_path))
    with checkpoint.frame("no-budget"):
        _train(_params(False), False)
    assert not any(tmp_path.iterdir())
    with pytest.raises(checkpoint.OutOfBudget, match="at step 20 of a training run"):
        with checkpoint.budget(chunks=2), checkpoint.frame("changed"):
            _train(_params(False), False)
    assert list((tmp_path / "changed").iterdir())
    with checkpoint.budget(chunks=100), checkpoint.frame("changed"):  # other initial weights: starts afresh
        p1, l1 = _train(_params(False, scale=0.3), False)
    p0, l0 = _train(_params(False, scale=0.3), False)
    np.testing.assert_array_equal(np.asarray(p0["w"]), np.asarray(p1["w"]))
    np.testing.assert_array_equal(l0, l1)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), True, "10"])
def test_a_bad_budget_is_refused(bad):
    with pytest.raises(MolapError, match="positive number of seconds"):
        with checkpoint.budget(bad):
            pass


def test_the_pipeline_resumed_after_every_chunk_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    """Everything P.trained computes (primitives, the pre-training of both modules, heads with
    their validation between runs), stopped after every chunk and resumed, gives the same arrays
    bit for bit as one uninterrupted run. (A run stopped inside itself: the tests above.)"""
    method = "molap"
    tiny = P.get_profile("tiny")
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path / "whole"))
    whole = P.trained(tiny, method, 0, lr=1e-2)
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path / "parts"))
    parts, attempts = _resumed(lambda: P.trained(tiny, method, 0, lr=1e-2), tmp_path, chunks=1)
    assert attempts >= 3
    a, b = jax.tree.leaves(whole), jax.tree.leaves(parts)
    assert len(a) == len(b) and len(a) > 3
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    meta = store.lookup_meta("trained", P.trained_config(tiny, method, 0, P.with_lr(tiny.training, 1e-2)))
    assert meta["provenance"]["resumed"]
    assert not any((tmp_path / "parts" / "checkpoints").iterdir())


def test_reproduce_stops_after_its_budget_with_status_3_and_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
    assert main(["reproduce", "--profile", "tiny", "--stages", "pre-training", "--budget-s", "0.001"]) == 3
    err = capsys.readouterr().err
    assert "stopped after the budget of 0.001 s; 1 item(s) of profile 'tiny' remain" in err, err
    assert main(["reproduce", "--profile", "tiny", "--stages", "pre-training", "--budget-s", "600"]) == 0
    assert "pre-training" in capsys.readouterr().out


def test_the_chunk_size_does_not_change_the_steps(monkeypatch):
    """MOLAP_CHUNK_STEPS (steps per jitted call) changes host round trips, not results."""
    monkeypatch.setenv("MOLAP_CHUNK_STEPS", "40")
    p40, l40 = _train(_params(True), True, chunk=None)
    monkeypatch.setenv("MOLAP_CHUNK_STEPS", "7")  # 7 does not divide 40: chunks of 5
    p5, l5 = _train(_params(True), True, chunk=None)
    np.testing.assert_array_equal(np.asarray(p40["w"]), np.asarray(p5["w"]))
    np.testing.assert_array_equal(l40, l5)
    monkeypatch.setenv("MOLAP_CHUNK_STEPS", "0")
    with pytest.raises(MolapError, match="MOLAP_CHUNK_STEPS must be a positive integer, got '0'"):
        _train(_params(True), True, chunk=None)
