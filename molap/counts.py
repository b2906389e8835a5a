"""Parameter counts (the paper's Table 1), computed from the real parameter trees and masks.

Three tables:
- :data:`PAPER_TABLE1`: the numbers as printed in the paper (quoted, for comparison only);
- :func:`stated_sizes`: the same rows by the paper's own stated sizes (N = 100, one input, one
  readout, weights only), by formula;
- :func:`real_counts`: our networks, counted from the actual parameter pytrees of each method and
  their trainable masks (inputs and outputs of each task at their real widths, biases included;
  the initial state h0 is a fixed zero, not a parameter, and is not counted).

Rows: ``total`` (parameters stored), ``trained`` (distinct parameters that are ever trained),
``per_task`` (parameters trained for one task, the mean over tasks), and ``updates`` (the sum over
every training phase of the parameters trained in it, pre-training included: what the paper
calls "parameter updates"; DNI retrains its whole network for each task).
"""

from __future__ import annotations

from typing import Sequence

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


def _n(tree: RNNParams, mask: RNNParams | None = None, fields: Sequence[str] = COUNTED) -> int:
    """Entries of ``fields`` in ``tree`` (where ``mask`` is 1, if given)."""
    total = 0
    for f in fields:
        a = getattr(tree if mask is None else mask, f)
        total += int(np.asarray(a).size if mask is None else np.asarray(a).sum())
    return total


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
                  "updates": pre + heads, "trained_without_heads": pre},
    }


def _head(task: Task, layout: Layout) -> tuple[RNNParams, RNNParams]:
    p = network.init(jax.random.key(0), task.n_in, task.n_out, layout)
    return p, network.trainable(p, w_in=True, w_out=True, b_out=True)


def real_counts(tasks: Sequence[str | Task] | None = None, layout: Layout = Layout(), dni_units: int = 200,
                rule_inputs: bool = False) -> dict:
    """Counts of our five methods' parameter trees (see the module docstring)."""
    ts = get_tasks(tasks)
    k = len(ts)
    # MoLaP (and the random and PCA controls): shared reservoir + one head per task
    heads = [_head(t, layout) for t in ts]
    head_n = [_n(p, m) for p, m in heads]
    reservoir = network.init(jax.random.key(0), 1, 1, layout)
    shared = _n(reservoir, fields=("w_rec", "b"))
    phases = []
    for j in range(layout.n_modules):
        mask = network.trainable(reservoir, w_in=True, w_out=True, b_out=True, w_rec=layout.block(j))
        phases.append(_n(reservoir, mask))
    kept = int(layout.intra().sum())
    molap = {"total": shared + sum(head_n), "trained": sum(phases) + sum(head_n),
             "per_task": float(np.mean(head_n)), "updates": sum(phases) + sum(head_n),
             "trained_without_heads": sum(phases), "pretrained_kept": kept, "shared": shared, "heads": head_n}
    random = {"total": shared + sum(head_n), "trained": sum(head_n), "per_task": float(np.mean(head_n)),
              "updates": sum(head_n)}
    # separate networks: everything trained, one network per task
    sep_n = []
    for t in ts:
        p = network.init(jax.random.key(0), t.n_in, t.n_out, layout)
        sep_n.append(_n(p, network.trainable(p, w_in=True, w_rec=True, b=True, w_out=True, b_out=True)))
    separate = {"total": sum(sep_n), "trained": sum(sep_n), "per_task": float(np.mean(sep_n)), "updates": sum(sep_n)}
    # DNI: one network with shared padded I/O, retrained for every task
    width_in = max(t.n_in for t in ts) + (k if rule_inputs else 0)
    width_out = max(t.n_out for t in ts)
    p = network.init(jax.random.key(0), width_in, width_out, Layout(dni_units, 2))
    trained = _n(p, network.trainable(p, w_in=True, w_rec=True, w_out=True, b_out=True))
    dni = {"total": _n(p), "trained": trained, "per_task": trained, "updates": k * trained}
    return {"separate": separate, "dni": dni, "molap": molap, "random": random, "pca": dict(molap)}


def table_rows(counts: dict, methods: Sequence[str] = ("separate", "dni", "molap")) -> list[dict]:
    """Rows (method, total, trained, per_task, updates) for a Markdown table."""
    rows = []
    for m in methods:
        c = counts[m]
        rows.append({"method": m, **{k: c.get(k, float("nan")) for k in ("total", "trained", "per_task", "updates")}})
    return rows
