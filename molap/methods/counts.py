"""Parameter counts from the real parameter trees and their trainable masks: what each method
counts for itself (:meth:`molap.methods.Method.counts`), in the rows of the paper's Table 1.

Rows: ``total`` (parameters stored), ``trained`` (distinct parameters that are ever trained),
``per_task`` (parameters trained for one task, the mean over tasks), and ``updates`` (the sum over
every training phase of the parameters trained in it, pre-training included: what the paper
calls "parameter updates"; DNI retrains its whole network for each task). Inputs and outputs of
each task count at their real widths, biases included; the initial state h0 is a fixed zero, not
a parameter, and is not counted. The table of every method is :mod:`molap.claims.counts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np

from molap import network
from molap.network import Layout, RNNParams
from molap.tasks import Task

COUNTED = ("w_in", "w_rec", "b", "w_out", "b_out")  # h0 is a fixed zero state, not a parameter


class ParameterCounts(NamedTuple):
    """One method's counts (see the module docstring): total, trained, per_task, updates, and
    pretrained: the parameters trained before any task (0 for methods without pre-training)."""

    total: int
    trained: int
    per_task: float
    updates: int
    pretrained: int = 0


def count(tree: RNNParams, mask: RNNParams | None = None, fields: Sequence[str] = COUNTED) -> int:
    """Entries of ``fields`` in ``tree`` (where ``mask`` is 1, if given)."""
    total = 0
    for f in fields:
        a = getattr(tree if mask is None else mask, f)
        total += int(np.asarray(a).size if mask is None else np.asarray(a).sum())
    return total


def head_counts(tasks: Sequence[Task], layout: Layout) -> list[int]:
    """Trained parameters of each task's head (input weights, readout weights and biases)."""
    out = []
    for t in tasks:
        p = network.init(jax.random.key(0), t.n_in, t.n_out, layout)
        out.append(count(p, network.trainable(p, w_in=True, w_out=True, b_out=True)))
    return out
