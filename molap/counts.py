"""Parameter counts (the paper's Table 1), computed from the real parameter trees and masks.

Three tables:
- :data:`PAPER_TABLE1`: the numbers as printed in the paper (quoted, for comparison only);
- :func:`stated_sizes`: the same rows by the paper's own stated sizes (N = 100, one input, one
  readout, weights only), by formula;
- :func:`real_counts`: our networks, counted from the actual parameter pytrees of each registered
  method and their trainable masks (each method counts its own, :meth:`molap.methods.Method.counts`) (inputs and outputs of each task at their real widths, biases included;
  the initial state h0 is a fixed zero, not a parameter, and is not counted).

Rows: ``total`` (parameters stored), ``trained`` (distinct parameters that are ever trained),
``per_task`` (parameters trained for one task, the mean over tasks), and ``updates`` (the sum over
every training phase of the parameters trained in it, pre-training included: what the paper
calls "parameter updates"; DNI retrains its whole network for each task).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import numpy as np

from . import network
from .network import Layout, RNNParams
from .tasks import Task, get_tasks

PAPER_TABLE1 = {  # as printed in the paper's Table 1 (quoted)
    "separate": {"total": 9.18e5, "trained": 9.18e5, "per_task": 1.02e5},
    "dni": {"total": 1.02e5, "trained": 9.18e5, "per_task": 1.02e5},
    "molap": {"total": 1.2e5, "trained": 5.2e3, "per_task": 2e2},
}

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


def stated_sizes(n_units: int = 100, n_tasks: int = 9, n_modules: int = 2, dni_units: int = 100) -> dict:
    """Table 1 by the paper's stated sizes: weights only, one input and one readout unit."""
    net = n_units * n_units + 2 * n_units  # W_rec + W_in + W_out
    dni = dni_units * dni_units + 2 * dni_units
    m = n_units // n_modules
    pre = n_modules * (m * m + 2 * m)  # blocks + an input and a readout per module (the paper's 5.2e3)
    heads = n_tasks * 2 * n_units
    return {
        "separate": {"total": n_tasks * net, "trained": n_tasks * net, "per_task": net, "updates": n_tasks * net},
        "dni": {"total": dni, "trained": dni, "per_task": dni, "updates": n_tasks * dni},
        "molap": {"total": n_units * n_units + heads, "trained": pre + heads, "per_task": 2 * n_units,
                  "updates": pre + heads, "pretrained": pre},
    }


def real_counts(tasks: Sequence[str | Task] | None = None, profile=None) -> dict[str, ParameterCounts]:
    """Every registered method's counts for the profile's networks (default: the paper's sizes)."""
    from . import methods
    from .profiles import get_profile

    p = get_profile("paper" if profile is None else profile)
    ts = get_tasks(tasks)
    return {m: methods.get(m).counts(ts, p) for m in methods.names()}


def table_rows(counts: dict, methods: Sequence[str] = ("separate", "dni", "molap")) -> list[dict]:
    """Rows (method, total, trained, per_task, updates) for a Markdown table."""
    rows = []
    for m in methods:
        c = counts[m]._asdict() if hasattr(counts[m], "_asdict") else counts[m]
        rows.append({"method": m, **{k: c.get(k, float("nan")) for k in ("total", "trained", "per_task", "updates")}})
    return rows
