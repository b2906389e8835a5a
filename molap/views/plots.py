"""Figures for the book: plain matplotlib, one function per figure kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from molap.tasks import EPOCHS, PAPER_LABELS, Batch, Task, get_task

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


def plot_components(u, v, trials: Sequence[int] = (0, 1, 2, 3), title: str = "", names=("u", "v")):
    """Components over a trial: one column per component, input side (solid) and target side
    (dashed); u, v: (B, 110, r)."""
    u, v = np.asarray(u), np.asarray(v)
    r = u.shape[-1]
    fig, axes = plt.subplots(1, r, figsize=(4.2 * r, 2.8), squeeze=False)
    for k in range(r):
        ax = axes[0, k]
        shade_epochs(ax)
        for i, tr in enumerate(trials):
            ax.plot(u[tr, :, k], color=f"C{i}", lw=1, label=f"{names[0]}{k + 1}, trial {tr}")
            ax.plot(v[tr, :, k], "--", color=f"C{i}", lw=1.4, label=f"{names[1]}{k + 1}, trial {tr}")
        ax.set_title(f"component {k + 1}", fontsize=9)
        ax.set_xlabel("time step")
        ax.set_ylim(-0.1, 1.1)
    axes[0, 0].legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_weights(wx, wy, x_names: Sequence[str], y_names: Sequence[str], title: str = ""):
    """Bar plots of each component's weights on the input and target columns."""
    wx, wy = np.asarray(wx), np.asarray(wy)
    r = wx.shape[1]
    fig, axes = plt.subplots(r, 2, figsize=(12, 1.9 * r), squeeze=False)
    for k in range(r):
        for col, (w, names) in enumerate(((wx, x_names), (wy, y_names))):
            ax = axes[k, col]
            ax.bar(np.arange(len(names)), w[: len(names), k], color=["C0" if "fix" in n else "C1" for n in names])
            ax.axhline(0, color="k", lw=0.5)
            ax.set_xticks(np.arange(len(names)), names if k == r - 1 else [], rotation=90, fontsize=6)
            ax.set_ylabel(f"comp. {k + 1}", fontsize=8)
    axes[0, 0].set_title("input-side weights (blue: fixation columns)", fontsize=9)
    axes[0, 1].set_title("target-side weights", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_matrix_change(before, after, layout, title: str = ""):
    """W_rec before and after pre-training and their difference, module borders drawn."""
    before, after = np.asarray(before), np.asarray(after)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    lim = np.abs(before).max()
    diff = after - before
    for ax, m, t, l in zip(axes, (before, after, diff), ("before", "after", "after - before"),
                           (lim, lim, max(np.abs(diff).max(), 1e-12))):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-l, vmax=l)
        for k in range(1, layout.n_modules):
            ax.axhline(k * layout.module_size - 0.5, color="k", lw=0.8)
            ax.axvline(k * layout.module_size - 0.5, color="k", lw=0.8)
        ax.set_title(t, fontsize=9)
        ax.set_xlabel("to unit")
        fig.colorbar(im, ax=ax, shrink=0.7)
    axes[0].set_ylabel("from unit")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_activity(states, trial: int = 0, layout=None, ax=None, title: str = ""):
    """Unit activity (units x time) of one trial; states (B, T, N)."""
    s = np.asarray(states)[trial].T
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    im = ax.imshow(s, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    if layout is not None:
        for k in range(1, layout.n_modules):
            ax.axhline(k * layout.module_size - 0.5, color="k", lw=0.8)
    ax.set_xlabel("time step")
    ax.set_ylabel("unit")
    ax.set_title(title, fontsize=9)
    plt.colorbar(im, ax=ax, shrink=0.8)
    return ax


def _field(field: str | int) -> int:
    """The index of a Scores field given by name (or already an index)."""
    from molap.metrics import Scores

    return Scores.column(field) if isinstance(field, str) else int(field)


def plot_curves(steps, curve, names: Sequence[str], field: str | int = "decision", ax=None, title: str = "", **kw):
    """Validation score after each block, one line per task; curve (n_blocks, n_tasks, 5)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    curve, field = np.asarray(curve), _field(field)
    for i, n in enumerate(names):
        ax.plot(steps, curve[:, i, field], marker="o", ms=3, label=f"{PAPER_LABELS.get(n, n)}", **kw)
    ax.set_xlabel("training step")
    ax.set_ylabel(("paper's score", "code's score", "decision units", "trivial", "trivial dec.")[field] + " (%)")
    ax.set_ylim(0, 102)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=3)
    return ax


def plot_method_curves(results: Mapping[str, Sequence], field: str | int = "decision", ax=None, title: str = "",
                       batch: int | None = None, task: int | None = None):
    """Task-mean (or task ``task``'s) validation score against steps, or against trials per task
    if ``batch`` is given, mean over seeds (shaded: range), per method (results: {method: [TrainedRun]})."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    field = _field(field)
    for m, runs in results.items():
        curves = [np.asarray(r.curve)[..., field].mean(1) if task is None else np.asarray(r.curve)[:, task, field]
                  for r in runs if len(r.curve_steps)]
        if not curves:
            continue
        c = np.array(curves)
        x = np.asarray(runs[0].curve_steps) * (batch or 1)
        ax.plot(x, c.mean(0), marker="o", ms=3, label=m)
        ax.fill_between(x, c.min(0), c.max(0), alpha=0.2)
    ax.set_xlabel("trials per task" if batch else "training step")
    ax.set_ylabel("decision units, mean over tasks (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return ax


def plot_task_method_curves(results: Mapping[str, Sequence], task_names: Sequence[str], batch: int,
                            field: str | int = "decision", trivial: Sequence[float] | None = None):
    """One panel per task: validation ``field`` against trials per task, a line per method (mean
    over seeds; band: range), and the trivial policy's decision units as a dotted line if given."""
    n = len(task_names)
    fig, axes = plt.subplots((n + 2) // 3, 3, figsize=(12, 2.6 * ((n + 2) // 3)), sharex=True, sharey=True)
    for i, (ax, name) in enumerate(zip(axes.flat, task_names)):
        plot_method_curves(results, field, ax=ax, title=f"T{i + 1} {name}", batch=batch, task=i)
        if trivial is not None:
            ax.axhline(trivial[i], color="k", ls=":", lw=1)
        if i:
            ax.get_legend().remove()
        ax.set_ylabel("")
        if i < n - 3:
            ax.set_xlabel("")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.supylabel("decision units (%)")
    fig.tight_layout()
    return fig


def plot_fig2de(runs: Mapping[str, object], outputs: Mapping[str, np.ndarray], states: Mapping[str, np.ndarray],
                targets: np.ndarray, task_index: int, layout, title: str = ""):
    """The paper's Fig 2D-E for one task: per method, outputs vs targets, |error| over time,
    validation curve of the task, activity of one trial, and W_rec (runs: {method: TrainedRun} of
    frozen-module methods)."""
    methods = list(runs)
    fig, axes = plt.subplots(len(methods), 5, figsize=(19, 3.2 * len(methods)), squeeze=False)
    for r, m in enumerate(methods):
        out, y = np.asarray(outputs[m]), np.asarray(targets)
        ax = axes[r, 0]
        shade_epochs(ax)
        for j in range(y.shape[-1]):
            for tr in range(3):
                ax.plot(y[tr, :, j], color=f"C{j}", lw=1.5)
                ax.plot(out[tr, :, j], "--", color=f"C{j}", lw=1.1)
        ax.set_title(f"{m}: outputs (dashed) vs targets", fontsize=9)
        ax.set_ylim(-0.1, 1.1)
        ax = axes[r, 1]
        shade_epochs(ax)
        for j in range(y.shape[-1]):
            ax.plot(np.abs(out - y)[..., j].mean(0), color=f"C{j}", label=f"unit {j}")
        ax.set_title("mean |output - target|", fontsize=9)
        ax.legend(fontsize=7)
        ax = axes[r, 2]
        run = runs[m]
        ax.plot(run.curve_steps, np.asarray(run.curve)[:, task_index, _field("decision")], marker="o", ms=3)
        ax.set_ylim(0, 102)
        ax.set_title("validation, decision units (%)", fontsize=9)
        ax.set_xlabel("step")
        plot_activity(states[m], 0, layout, ax=axes[r, 3], title="activity, trial 0")
        w = np.asarray(run.params.w_rec)
        lim = np.abs(w).max()
        axes[r, 4].imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[r, 4].set_title("W_rec", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
