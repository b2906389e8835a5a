"""The decision metric ("% decisions correct", reference spec section 6) and its baselines.

For every trial b and output unit j, m_bj and m*_bj are the means of the output and of the target
over the last 30 steps (or a task's own window, :attr:`molap.tasks.Task.scored_window`). Scores, all in percent and vectorised over trials:

- ``paper``: the paper's rule, |m - m*| <= 0.1 for every unit, averaged over units (fixation
  included) and trials. The primary score.
- ``code``: the authors' code's relative rule, (1 - th)|m*| <= m < (1 + th)|m*|, th = 0.15 for
  fixation and 0.10 for the other units.
- ``decision``: the paper's rule on the decision units alone (fixation excluded).
- ``trivial``: the paper's rule for the trivial policy (perfect fixation plus the best constant
  decision output, the constant chosen on the same trials): what "> 70%" is worth without any
  stimulus information.
- ``trivial_decision``: the trivial policy's decision-unit score.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap.errors import MolapError

WINDOW = 30  #: steps averaged at the end of a trial
TOLERANCE = 0.1  #: the paper's absolute tolerance, in scaled [0, 1] units
CODE_TOLERANCE = (0.15, 0.10)  #: the code's relative tolerance: fixation unit, other units


class Scores(NamedTuple):
    """Task scores in percent (see the module docstring)."""

    paper: float
    code: float
    decision: float
    trivial: float
    trivial_decision: float

    @classmethod
    def column(cls, field: str) -> int:
        """The index of a score along the last axis of a validation curve (n_blocks, n_tasks, 5)."""
        if field not in cls._fields:
            raise MolapError(f"unknown score {field!r}; expected one of {cls._fields}")
        return cls._fields.index(field)


def _check(outputs, targets) -> tuple[jax.Array, jax.Array]:
    outputs, targets = jnp.asarray(outputs), jnp.asarray(targets)
    if outputs.ndim != 3 or outputs.shape != targets.shape:
        raise MolapError(
            f"outputs and targets must both have shape (trials, steps, units); "
            f"got {tuple(outputs.shape)} and {tuple(targets.shape)}"
        )
    if outputs.shape[1] < WINDOW:
        raise MolapError(f"trials must have at least {WINDOW} steps, got {outputs.shape[1]}")
    if outputs.shape[2] < 2:
        raise MolapError(f"need a fixation unit and at least one decision unit, got {outputs.shape[2]} units")
    for name, a in (("outputs", outputs), ("targets", targets)):
        if not isinstance(a, jax.core.Tracer) and not bool(jnp.isfinite(a).all()):
            raise MolapError(f"{name} contain NaN or inf; expected finite values (a diverged network?)")  # = NON_FINITE_OUTPUTS
    return outputs, targets


def window_means(a: jax.Array, window: tuple[int, int] | None = None) -> jax.Array:
    """(B, T, n) -> (B, n): means over the steps [start, end) of ``window`` (default the last 30)."""
    return (a[:, -WINDOW:, :] if window is None else a[:, window[0]:window[1], :]).mean(1)


@partial(jax.jit, static_argnames="window")
def correct_paper(outputs: jax.Array, targets: jax.Array, window: tuple[int, int] | None = None) -> jax.Array:
    """(B, T, n) x 2 -> (B, n) bool: |m - m*| <= 0.1 (a hair of float32 slack)."""
    return jnp.abs(window_means(outputs, window) - window_means(targets, window)) <= TOLERANCE + 1e-6


@partial(jax.jit, static_argnames="window")
def correct_code(outputs: jax.Array, targets: jax.Array, window: tuple[int, int] | None = None) -> jax.Array:
    """(B, T, n) x 2 -> (B, n) bool: the code's relative rule."""
    m, ms = window_means(outputs, window), window_means(targets, window)
    th = jnp.full(m.shape[-1], CODE_TOLERANCE[1]).at[0].set(CODE_TOLERANCE[0])
    return ((1 - th) * jnp.abs(ms) <= m) & (m < (1 + th) * jnp.abs(ms))


@jax.jit
def _best_constant(ms: jax.Array) -> jax.Array:
    """(B, n) target means -> (n,) fraction of trials the best constant output gets right."""
    grid = jnp.linspace(0.0, 1.0, 1001)
    hit = jnp.abs(grid[:, None, None] - ms[None]) <= TOLERANCE + 1e-6  # (G, B, n)
    return hit.mean(1).max(0)


def score(outputs, targets, window: tuple[int, int] | None = None) -> Scores:
    """All five scores of one task's outputs (B, T, n_out) against its targets (same shape), on the
    steps [start, end) of ``window`` (default the last 30)."""
    outputs, targets = _check(outputs, targets)
    window = _check_window(window, outputs.shape[1])
    return scores_from_counts(*score_counts(outputs, targets, window), n_trials=outputs.shape[0])


def score_counts(outputs: jax.Array, targets: jax.Array, window: tuple[int, int] | None = None):
    """What :func:`score` needs from the device, traceable (inside ``jit`` and ``vmap``, so that K
    networks' validation is scored in one call): per output unit, the trials correct by the paper's
    rule and by the code's rule (integer counts: exact in any order of summation), and the best
    constant's fraction correct (:func:`_best_constant`). No checks: the caller checks shapes,
    and finiteness (:data:`NON_FINITE_OUTPUTS`)."""
    paper = correct_paper(outputs, targets, window).sum(0, dtype=jnp.int32)
    code = correct_code(outputs, targets, window).sum(0, dtype=jnp.int32)
    return paper, code, _best_constant(window_means(targets, window))


def scores_from_counts(paper, code, trivial, *, n_trials: int) -> Scores:
    """:class:`Scores` from :func:`score_counts`: each mean an exact count divided by the number of
    entries in float32, correctly rounded on the host, so a score is the same on every device
    (eager JAX means, used before, could differ from it in the last bit of float32)."""
    f = np.float32
    paper, code, trivial = np.asarray(paper), np.asarray(code), np.array(trivial, np.float32)
    n = len(paper)
    trivial[0] = 1.0  # perfect fixation
    return Scores(
        paper=float(f(100) * (f(paper.sum()) / f(n_trials * n))),
        code=float(f(100) * (f(code.sum()) / f(n_trials * n))),
        decision=float(f(100) * (f(paper[1:].sum()) / f(n_trials * (n - 1)))),
        trivial=float(f(100) * (trivial.sum(dtype=np.float32) / f(n))),
        trivial_decision=float(f(100) * (trivial[1:].sum(dtype=np.float32) / f(n - 1))),
    )


NON_FINITE_OUTPUTS = "outputs contain NaN or inf; expected finite values (a diverged network?)"


def accuracy(outputs, targets, window: tuple[int, int] | None = None) -> float:
    """The paper's score in percent (the primary metric)."""
    outputs, targets = _check(outputs, targets)
    return float(100 * correct_paper(outputs, targets, _check_window(window, outputs.shape[1])).mean())


def _check_window(window, n_steps: int) -> tuple[int, int] | None:
    """None (the last 30 steps), or the window as a (start, end) tuple inside the trial."""
    if window is None:
        return None
    if len(window) != 2 or not (0 <= window[0] < window[1] <= n_steps):
        raise MolapError(f"window must be (start, end) steps with 0 <= start < end <= {n_steps}, got {window!r}")
    return int(window[0]), int(window[1])
