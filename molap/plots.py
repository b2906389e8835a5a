"""Figures for the book: plain matplotlib, one function per figure kind."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .tasks import EPOCHS, PAPER_LABELS, Batch, Task, get_task

_EPOCH_COLOURS = ("#ffffff", "#f2f2f2", "#e3ecf7", "#fbe9d7")


def shade_epochs(ax) -> None:
    """Shade the four epochs on a time axis."""
    for (_, a, b), c in zip(EPOCHS, _EPOCH_COLOURS):
        ax.axvspan(a - 0.5, b - 0.5, color=c, zorder=0, lw=0)


def plot_trial(task: Task | str, batch: Batch, trial: int = 0, outputs=None, axes=None):
    """Inputs (left) and targets (right) of one trial; outputs dashed on the targets if given.

    batch: inputs (B, 110, n_in), targets (B, 110, n_out); outputs: (B, 110, n_out) or None.
    """
    task = get_task(task)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 2.6), sharex=True)
    ax_in, ax_out = axes
    for ax in axes:
        shade_epochs(ax)
        ax.set_ylim(-0.08, 1.08)
    for j, name in enumerate(task.input_names):
        ax_in.plot(np.asarray(batch.inputs[trial, :, j]), lw=1.2, label=name)
    for j, name in enumerate(task.output_names):
        (line,) = ax_out.plot(np.asarray(batch.targets[trial, :, j]), lw=1.6, label=f"target {name}")
        if outputs is not None:
            ax_out.plot(np.asarray(outputs[trial, :, j]), "--", color=line.get_color(), lw=1.4, label=f"output {name}")
    label = PAPER_LABELS.get(task.name, "new")
    ax_in.set_title(f"{label} {task.name}: inputs", fontsize=9)
    ax_out.set_title(f"{label} {task.name}: targets" + (" and outputs" if outputs is not None else ""), fontsize=9)
    ax_in.legend(fontsize=7, loc="upper left", ncol=3)
    ax_out.legend(fontsize=7, loc="upper left", ncol=2)
    ax_in.set_xlabel("time step")
    ax_out.set_xlabel("time step")
    return axes


def plot_corpus(batches: Mapping[str, Batch], trials: Sequence[int] = (0, 1, 2)):
    """Every task of a corpus draw: one row per task, inputs and targets of a few trials."""
    names = list(batches)
    fig, axes = plt.subplots(len(names), 2, figsize=(10, 1.55 * len(names)), sharex=True)
    axes = np.atleast_2d(axes)
    styles = ("-", "--", ":")
    for row, name in enumerate(names):
        task, b = get_task(name), batches[name]
        for col, (arr, chans) in enumerate(((b.inputs, task.input_names), (b.targets, task.output_names))):
            ax = axes[row, col]
            shade_epochs(ax)
            for k, tr in enumerate(trials):
                for j, ch in enumerate(chans):
                    ax.plot(np.asarray(arr[tr, :, j]), styles[k % 3], color=f"C{j}", lw=1,
                            label=ch if k == 0 else None)
            ax.set_ylim(-0.08, 1.08)
            ax.set_yticks([0, 0.5, 1])
            ax.tick_params(labelsize=7)
            if col == 0:
                ax.set_ylabel(f"{PAPER_LABELS.get(name, '')}\n{name}", fontsize=7)
            ax.legend(fontsize=6, loc="upper left", ncol=3, frameon=False)
    axes[0, 0].set_title("inputs (scaled)", fontsize=9)
    axes[0, 1].set_title("targets (scaled)", fontsize=9)
    axes[-1, 0].set_xlabel("time step")
    axes[-1, 1].set_xlabel("time step")
    fig.tight_layout()
    return fig


def bar_scores(rows: Sequence[Mapping], keys: Sequence[str], labels: Sequence[str] | None = None, ax=None,
               title: str = "", ylabel: str = "% correct", errors: Sequence[str] | None = None):
    """Grouped bars: one group per row (task), one bar per key; optional error-bar keys."""
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3))
    n, m = len(rows), len(keys)
    width = 0.8 / m
    x = np.arange(n)
    for i, k in enumerate(keys):
        err = [r[errors[i]] for r in rows] if errors else None
        ax.bar(x + (i - (m - 1) / 2) * width, [r[k] for r in rows], width, yerr=err,
               label=(labels or keys)[i], capsize=2)
    ax.set_xticks(x, [r.get("label", r.get("task", "")) for r in rows], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 105)
    ax.axhline(70, color="k", lw=0.8, ls=":")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=min(m, 5), loc="lower left")
    return ax
