"""Robustness as numbers that can differ between networks: the level at which a network's accuracy
has fallen halfway to the trivial policy's (its threshold), and the mean accuracy over a grid.

A perturbation sweep gives, per network and task, decision-unit accuracy at each level (level 0:
intact). Comparing losses at a fixed level compares floors once every network has broken; the
threshold instead asks *where* each network breaks. With intact accuracy a0 and the trivial
policy's t, the threshold is the first level at which accuracy is at or below (a0 + t) / 2,
linearly interpolated between the grid's levels; a network that never falls that far is
censored at the grid's largest level (it is at least that robust).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from molap.errors import MolapError


class Thresholds(NamedTuple):
    """Per (seed, task): value (n_seeds, n_tasks) the threshold level (nan where intact accuracy is
    not above the trivial policy's: nothing to lose); censored (n_seeds, n_tasks) bool: never fell
    halfway within the grid (value is the largest level); area (n_seeds, n_tasks) the mean
    accuracy over the grid (trapezoid over the levels, in points); below_first (n_seeds, n_tasks)
    bool: already halfway down at the grid's first nonzero level (the grid starts past the cliff)."""

    value: np.ndarray
    censored: np.ndarray
    area: np.ndarray
    below_first: np.ndarray


def thresholds(levels, acc, trivial) -> Thresholds:
    """:class:`Thresholds` of sweeps. levels: (n_levels,) starting at 0; acc: (n_seeds, n_levels,
    n_tasks) decision units (mean over draws); trivial: (n_seeds, n_tasks) the trivial policy's."""
    lv, a, t = np.asarray(levels, float), np.asarray(acc, float), np.asarray(trivial, float)
    if lv.ndim != 1 or len(lv) < 2 or not np.isclose(lv[0], 0.0) or np.any(np.diff(lv) <= 0):
        raise MolapError(f"levels must rise from 0 (intact), got {levels!r}")
    if a.ndim != 3 or a.shape[1] != len(lv) or t.shape != (a.shape[0], a.shape[2]):
        raise MolapError(f"acc must be (seeds, {len(lv)} levels, tasks) and trivial (seeds, tasks), "
                         f"got {a.shape} and {t.shape}")
    half = (a[:, 0] + t) / 2  # (seeds, tasks)
    down = a[:, 1:] <= half[:, None]  # (seeds, levels - 1, tasks)
    hit = down.any(1)
    i = np.where(hit, down.argmax(1) + 1, len(lv) - 1)  # first level at or below half
    prev, cur = np.take_along_axis(a, (i - 1)[:, None], 1)[:, 0], np.take_along_axis(a, i[:, None], 1)[:, 0]
    frac = np.clip(np.divide(prev - half, prev - cur, out=np.ones_like(half), where=prev != cur), 0, 1)
    value = np.where(hit, lv[i - 1] + frac * (lv[i] - lv[i - 1]), lv[-1])
    value = np.where(a[:, 0] > t, value, np.nan)
    area = np.trapezoid(a, lv, axis=1) / (lv[-1] - lv[0])
    return Thresholds(value, ~hit & (a[:, 0] > t), area, hit & (i == 1))
