"""Stopping a long computation after a time budget and resuming it exactly (``reproduce --budget-s``).

Inside ``with budget(seconds):`` every :class:`~molap.training.Trainer` run saves its state (the
parameters, the optimiser state, the losses so far and the next step) when the budget is spent,
and raises :class:`OutOfBudget`; results finished before it are already in the cache. Run the same
computation again (within a new budget) and each training run resumes from its checkpoint: the
steps are the same jitted chunks from the same state, so the result is bit-identical to one
uninterrupted run (``tests/test_checkpoint.py``). A run that finished before the stop is read back
whole, so the code between runs (validation, DNI's covariances) recomputes the same values.

Checkpoints belong to the cache entry being computed (:func:`frame`, opened by
:func:`molap.store.cached_many`: its name is the kind and a hash of the missing configurations)
and to the run's position in it; each also records a signature of the run (its initial
parameters, steps and chunk), and one whose signature differs is ignored. They live in
``$MOLAP_CHECKPOINTS`` (default ``<cache>/checkpoints``) and are deleted once the entry is
written. Outside a budget nothing is saved and nothing is read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import jax
import numpy as np

from molap.errors import MolapError
from molap.store.folders import cache_dir

_STATE: dict = {"deadline": None, "chunks": None, "frames": [], "last_save": 0.0}
SAVE_EVERY_S = 60.0
"""Within a budget, a running training also saves its state at least this often (a machine that
is taken away without warning loses at most this much of it)."""


class OutOfBudget(MolapError):
    """The time budget of :func:`budget` was spent; what finished is cached, the rest checkpointed."""


def check_budget_seconds(seconds) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not np.isfinite(seconds) or seconds <= 0:
        raise MolapError(f"the time budget must be a positive number of seconds, got {seconds!r}")
    return float(seconds)


@contextmanager
def budget(seconds: float | None = None, *, chunks: int | None = None):
    """Stop after ``seconds`` of wall time, or (for tests) after ``chunks`` training chunks, at the
    next chunk boundary or before the next cache entry starts, raising :class:`OutOfBudget`."""
    if seconds is not None:
        seconds = check_budget_seconds(seconds)
    if chunks is not None and (isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 0):
        raise MolapError(f"chunks must be an integer >= 0, got {chunks!r}")
    old = dict(_STATE)
    _STATE.update(deadline=None if seconds is None else time.monotonic() + seconds, chunks=chunks,
                  last_save=time.monotonic())
    try:
        yield
    finally:
        _STATE.update(deadline=old["deadline"], chunks=old["chunks"], last_save=old["last_save"])


def active() -> bool:
    """Whether a budget is running (then training checkpoints itself)."""
    return _STATE["deadline"] is not None or _STATE["chunks"] is not None


def spent() -> bool:
    """Whether the running budget is used up (False without one)."""
    if _STATE["chunks"] is not None and _STATE["chunks"] <= 0:
        return True
    return _STATE["deadline"] is not None and time.monotonic() >= _STATE["deadline"]


def check(what: str = "") -> None:
    """Raise :class:`OutOfBudget` if the budget is spent (between cache entries)."""
    if active() and spent():
        raise OutOfBudget(f"the time budget was spent{' before ' + what if what else ''}")


def folder() -> Path:
    env = os.environ.get("MOLAP_CHECKPOINTS")
    if env:
        return Path(env)
    return cache_dir() / "checkpoints"


@contextmanager
def frame(name: str):
    """The checkpoints of one cache entry's computation (``name``: unique to its configurations).
    Runs inside it are numbered in order; on success its checkpoints are removed. Yields a dict
    whose ``"resumed"`` says whether any run resumed from a checkpoint."""
    f = {"name": name, "runs": 0, "resumed": False}
    _STATE["frames"].append(f)
    try:
        yield f
    except BaseException:
        _STATE["frames"].remove(f)
        raise
    _STATE["frames"].remove(f)
    if active():
        shutil.rmtree(folder() / name, ignore_errors=True)


def _digest(tree, *extra) -> str:
    h = hashlib.sha256(repr(extra).encode())
    for leaf in jax.tree.leaves(tree):
        a = np.asarray(leaf)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def _save(path: Path, carry, losses: list, next_step: int, signature: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    leaves = {f"leaf{i:04d}": np.asarray(a) for i, a in enumerate(jax.tree.leaves(carry))}
    ls = np.concatenate(losses) if losses else np.zeros((0,), np.float32)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, losses=ls, next_step=np.int64(next_step), signature=np.array(signature), **leaves)
    os.replace(tmp, path)
    _STATE["last_save"] = time.monotonic()


def _load(path: Path, carry, signature: str):
    """(carry, losses, next_step) of a checkpoint of this run, or None."""
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            if str(z["signature"]) != signature:
                return None
            treedef = jax.tree.structure(carry)
            leaves = [z[f"leaf{i:04d}"] for i in range(treedef.num_leaves)]
            old = jax.tree.leaves(carry)
            if any(a.shape != np.shape(b) or a.dtype != np.asarray(b).dtype for a, b in zip(leaves, old)):
                return None
            restored = jax.tree.unflatten(treedef, [jax.numpy.asarray(a) for a in leaves])
            losses = z["losses"]
            return restored, [losses] if len(losses) else [], int(z["next_step"])
    except (OSError, ValueError, KeyError):
        return None


def run_chunks(step_fn, carry, start: int, n_steps: int, chunk: int, *, on_chunk=None, place=None):
    """``carry`` through steps [start, start + n_steps) in chunks: ``step_fn(carry, c0) ->
    (carry, losses (chunk, ...))``. ``on_chunk(losses)`` checks each chunk's losses (and may
    raise); ``place(carry)`` puts a restored carry where the computation expects it (sharding).
    Returns (carry, losses (n_steps, ...)). Within a budget and a :func:`frame`, resumes from
    and saves to this run's checkpoint (see the module's docstring)."""
    frames = _STATE["frames"]
    path = signature = None
    losses: list = []
    c0 = start
    if active() and frames:
        f = frames[-1]
        path = folder() / f["name"] / f"run-{f['runs']:04d}.npz"
        f["runs"] += 1
        signature = _digest(carry, start, n_steps, chunk)
        found = _load(path, carry, signature)
        if found is not None:
            carry, losses, c0 = found
            f["resumed"] = True
            if place is not None:
                carry = place(carry)
    end = start + n_steps
    while c0 < end:
        if path is not None and spent():
            _save(path, carry, losses, c0, signature)
            raise OutOfBudget(f"the time budget was spent at step {c0} of a training run ({start} to {end}); "
                              f"checkpointed in {path.parent}")
        carry, ls = step_fn(carry, c0)
        ls = np.asarray(ls)
        if on_chunk is not None:
            on_chunk(ls, c0)
        losses.append(ls)
        c0 += chunk
        if _STATE["chunks"] is not None:
            _STATE["chunks"] -= 1
        if path is not None and c0 < end and time.monotonic() - _STATE["last_save"] > SAVE_EVERY_S:
            _save(path, carry, losses, c0, signature)
    if path is not None:
        _save(path, carry, losses, c0, signature)  # done: a resumed frame reads this run back whole
    return carry, np.concatenate(losses)
