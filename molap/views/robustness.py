"""Robustness (chapter "Robustness", the paper's Figs 3, 4 and S1-S5): every method's sweeps
under the six perturbations, their figures and summary tables."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from molap import methods
from molap import pipeline as P
from molap.analysis.perturb import Sweep
from molap.analysis.perturbations import KINDS, UNITS, levels_for, perturbation
from molap.tasks import TASK_NAMES

Sweeps = dict[str, dict[str, Sweep]]
"""{kind: {method: Sweep}}."""
FIG3_METHODS = ("molap", "dni", "separate")


def axis_label(kind: str) -> str:
    return UNITS[perturbation(kind).unit]


def sweeps(profile, seed: int) -> Sweeps:
    """Every registered method's sweep of every kind for one seed (cached)."""
    return {kind: {m: P.perturbation(profile, m, kind, seed) for m in methods.names()} for kind in KINDS}


def describe(profile, seed: int) -> str:
    return (f"profile {profile.name!r}: seed {seed}, {profile.perturb.n_draws} draws per level, "
            f"{profile.perturb.n_trials} test trials per task")


def at(s: Sweep, level: float, task: int | None = None, field: str = "paper") -> float:
    """Mean over draws at the level nearest ``level``, of one task or the mean over tasks."""
    i = int(np.argmin(np.abs(np.asarray(s.levels) - level)))
    a = np.asarray(getattr(s, field))[i]
    return float((a.mean(-1) if task is None else a[:, task]).mean())


def trivial(profile, seed: int) -> dict[str, np.ndarray]:
    """The trivial policy's scores per task on the seed's test set: {"paper": (9,), "decision": (9,)}
    (the floor a perturbed network falls to)."""
    test = P.trained(profile, "molap", seed).test
    return {"paper": np.array([test[t].trivial for t in TASK_NAMES]),
            "decision": np.array([test[t].trivial_decision for t in TASK_NAMES])}


def _floor(triv: dict | None, field: str, task: int | None) -> float | None:
    if triv is None:
        return None
    a = triv[field]
    return float(a.mean() if task is None else a[task])


def colour(method: str) -> str:
    """One colour per registered method, the same in every robustness figure."""
    names = methods.names()
    return f"C{names.index(method)}" if method in names else "0.3"


def level_axis(ax, levels) -> None:
    """A symmetric-log level axis where the grid is dense near 0 (the fine grids), else linear."""
    lv = np.asarray(levels, float)
    steps = np.diff(lv)
    if len(steps) > 1 and steps.max() > 3 * steps.min():
        ax.set_xscale("symlog", linthresh=float(lv[lv > 0].min()), linscale=0.5)
        ax.set_xlim(0, lv[-1] * 1.1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def plot_sweeps(sweeps: Mapping[str, object], task_index=None, field: str = "paper", ax=None, title: str = "",
                xlabel: str = "% lesioned", trivial: float | None = None):
    """Accuracy against perturbation level, mean +- sd over draws, one line per method.

    sweeps: {method: Sweep}; field: "paper" or "decision"; task_index None averages tasks; trivial:
    the trivial policy's score in that field, a dashed line (the floor)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    for m, s in sweeps.items():
        a = np.asarray(getattr(s, field))
        a = a.mean(-1) if task_index is None else a[..., task_index]
        mu, sd = a.mean(1), a.std(1)
        ax.plot(s.levels, mu, marker="o", ms=3, label=m, color=colour(m))
        ax.fill_between(s.levels, mu - sd, mu + sd, alpha=0.2, color=colour(m))
    if trivial is not None:
        ax.axhline(trivial, color="0.4", ls="--", lw=1, label="trivial policy")
    level_axis(ax, next(iter(sweeps.values())).levels)
    ax.set_ylim(0, 102)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9)
    return ax


def fig3(sw: Sweeps, task: str = "multi_mem", triv: dict | None = None):
    """Modular lesions on one task: paper's score (top) and decision units (bottom); ``triv``
    (:func:`trivial`) draws the trivial policy's score in each."""
    t = TASK_NAMES.index(task)
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharey=True)
    for j, kind in enumerate(("m1", "m2", "inter")):
        three = {m: sw[kind][m] for m in FIG3_METHODS}
        for row, (field, name) in enumerate((("paper", "paper's score"), ("decision", "decision unit"))):
            plot_sweeps(three, t, field, ax=axes[row, j], title=f"T9, {kind} lesions: {name}",
                              xlabel=axis_label(kind), trivial=_floor(triv, field, t))
    axes[0, 0].legend(fontsize=8)
    plt.tight_layout()
    return fig


def lesion_rows(sw: Sweeps, task: str = "multi_mem", levels=(0, 10, 30)) -> list[dict]:
    """The paper's score of one task at a few lesion levels, per Fig 3 method."""
    t = TASK_NAMES.index(task)
    return [dict(method=m, **{f"{k} {lv:g}%": at(sw[k][m], lv, t) for k in ("m1", "m2", "inter") for lv in levels})
            for m in FIG3_METHODS]


def fig4(sw: Sweeps, triv: dict | None = None):
    """All six perturbations, mean over the nine tasks, the paper's score (the trivial policy's
    beside, from ``triv``)."""
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharey=True)
    for ax, kind in zip(axes.ravel(), KINDS):
        plot_sweeps(sw[kind], None, "paper", ax=ax, title=f"{kind}: mean over the nine tasks",
                          xlabel=axis_label(kind), trivial=_floor(triv, "paper", None))
    axes[0, 0].legend(fontsize=8)
    plt.tight_layout()
    return fig


def summary_rows(sw: Sweeps) -> list[dict]:
    """Mean paper's score over all levels, draws and tasks (a robustness summary), per kind and method."""
    return [dict(kind=k, **{m: float(np.asarray(s.paper).mean()) for m, s in sw[k].items()}) for k in KINDS]


def most_robust(rows: list[dict]) -> dict[str, str]:
    """The method with the highest summary per kind (ties: the first registered)."""
    return {r["kind"]: max((m for m in r if m != "kind"), key=lambda m: r[m]) for r in rows}


def per_task_figures(sw: Sweeps, kinds=("global", "noise", "silence"), triv: dict | None = None) -> None:
    """One row of nine per-task panels per kind (Figs S1-S5), the trivial policy's score beside."""
    for kind in kinds:
        _, axes = plt.subplots(1, 9, figsize=(20, 2.6), sharey=True)
        for i, ax in enumerate(axes):
            plot_sweeps(sw[kind], i, "paper", ax=ax, title=f"T{i + 1} {kind}", xlabel=axis_label(kind),
                              trivial=_floor(triv, "paper", i))
        axes[0].legend(fontsize=6)
        plt.tight_layout()
        plt.show()


def check(sw: Sweeps) -> None:
    """Level 0 is the intact network (every draw identical); the strongest level hurts on average."""
    for kind in KINDS:
        for m, s in sw[kind].items():
            a = np.asarray(s.paper)
            assert np.allclose(a[0], a[0, :1]), (kind, m)
            assert a[-1].mean() <= a[0].mean() + 2 * a[-1].std() + 1, (kind, m)


def threshold_rows(profile) -> list[dict]:
    """Per method and kind, over the method's perturbation seeds and the tasks each network learned:
    the median robustness threshold (:mod:`molap.analysis.thresholds`), how many (seed, task) pairs were
    censored (never halfway down within the grid) and how many were already halfway down at the
    grid's first nonzero level, and the mean accuracy over the grid."""
    from molap.claims import robustness_data

    rows = []
    for (kind, m), r in robustness_data(profile).items():
        th, ok = r.thresholds, r.learned
        n = int(ok.sum())
        rows.append({"kind": kind, "method": m, "seeds": len(r.acc), "first level": float(r.levels[1]),
                     "median threshold": float(np.median(th.value[ok])) if n else float("nan"),
                     "censored": f"{int(th.censored[ok].sum())}/{n}", "past at first level":
                     f"{int(th.below_first[ok].sum())}/{n}", "mean accuracy over grid": float(th.area[ok].mean())})
    return rows


def show_thresholds(profile) -> None:
    """:func:`threshold_rows` as a table."""
    from molap.views.tables import show_table

    show_table(threshold_rows(profile), digits=3)


def seed_thresholds(r) -> np.ndarray:
    """(n_seeds,) each seed's mean threshold over the tasks it learned (nan: none learned) of a
    :class:`molap.claims.Robustness`; censored pairs count at the grid's largest level."""
    v, ok = r.thresholds.value, r.learned & np.isfinite(r.thresholds.value)
    return np.array([v[i, ok[i]].mean() if ok[i].any() else np.nan for i in range(len(v))])


def plot_thresholds(profile):
    """Per kind, every method's robustness threshold per seed (dots; mean over the tasks it learned)
    and their median (bar), on a log axis; the dotted line is the grid's first nonzero level."""
    from molap.claims import robustness_data

    data = robustness_data(profile)
    names = list(dict.fromkeys(m for _, m in data))
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
    rng = np.random.default_rng(0)  # horizontal jitter of the dots only
    for ax, kind in zip(axes.ravel(), KINDS):
        for j, m in enumerate(names):
            r = data[(kind, m)]
            v = seed_thresholds(r)
            v = v[np.isfinite(v)]
            ax.scatter(j + rng.uniform(-0.15, 0.15, len(v)), v, s=12, color=colour(m), alpha=0.8)
            if len(v):
                ax.hlines(np.median(v), j - 0.3, j + 0.3, color="k", lw=1.5)
        first = float(data[(kind, names[0])].levels[1])
        ax.axhline(first, color="0.4", ls=":", lw=1)
        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        lo, hi = ax.get_ylim()
        # within a decade only the minor ticks carry numbers; beyond one, the decades alone
        ax.yaxis.set_minor_formatter(plain if hi / lo < 10 else NullFormatter())
        ax.set_xticks(range(len(names)), names, rotation=30, fontsize=8)
        ax.set_title(f"{kind}: threshold ({axis_label(kind)})", fontsize=9)
    plt.tight_layout()
    return fig


def threshold_numbers(profile) -> dict:
    """The numbers chapter 07's prose quotes (glued): the grids in words; per kind and method, the
    median over seeds of the per-seed threshold and the number of seeds; the percentage of MoLaP's
    (seed, task) pairs halfway down at the grid's first level; MoLaP's largest median threshold
    over the weight-lesion kinds."""
    from molap.claims import robustness_data

    p = P.get_profile(profile)
    lv = {k: p.perturb.levels_of(k) or levels_for(k) for k in KINDS}
    units = p.network.layout.n_units
    out = {"grid": f"{lv['m1'][1]:g}% to {lv['m1'][-1]:g}% of a region's weights, σ from {lv['noise'][1]:g} to "
                   f"{lv['noise'][-1]:g}, and {lv['silence'][1] * units / 100:g} to "
                   f"{lv['silence'][-1] * units / 100:g} silenced units of the {units}",
           "paper_grid": f"steps of {levels_for('m1')[1]:g}%, of σ {levels_for('noise')[1]:g}"}
    for (kind, m), r in robustness_data(profile).items():
        v = seed_thresholds(r)
        out[f"{kind}_{m}"] = float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")
        out[f"{kind}_{m}_n"] = int(np.isfinite(v).sum())
        if m == "molap":
            ok = r.learned
            out[f"{kind}_past"] = round(100 * float(r.thresholds.below_first[ok].mean()))
    lesions = [k for k in KINDS if perturbation(k).unit == "percent"]
    out["lesion_max"] = max(out[f"{k}_molap"] for k in lesions)
    return out
