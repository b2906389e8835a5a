"""The paper's scale on a GPU (book chapter 09): what of the ``paper`` profile is committed, its
pre-training and learning-rate pilots, and the progress of the training run that was cut short.

Everything is read from committed results (:func:`molap.store.read_only`: nothing is computed)
or from ``benchmarks/results/reproduce-paper-h100.json``, the reproduction log as
:func:`molap.views.benchmarks.write_reproduce_json` records it. :func:`check` holds the chapter's
checks (it raises AssertionError with a message).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np

from molap import methods, store
from molap import pipeline as P
from molap.pipeline.selection import LR_GRID
from molap.profiles import Profile
from molap.run import reproduce
from molap.views import benchmarks
from molap.views.checks import require
from molap.views.tables import lr_rows, show_table

"""The pre-trained frozen-module methods whose modules the chapter shows."""
LOG = "reproduce-paper-h100"
"""The record of the paper-profile reproduction on one H100 (``benchmarks/results/<LOG>.json``)."""
CUT_RUN = "training task heads (15 networks)"
"""The progress bar of the training item that was cut short (molap, random and pca, 5 seeds)."""


def status_rows(p: Profile) -> list[dict]:
    """One row per item of ``molap reproduce`` (:func:`molap.run.reproduce.stages`): committed or not."""
    gone = {tuple(m.split(": ", 2)[:2]) for m in reproduce.check(p)}
    return [{"stage": s, "item": i, "committed": "no" if (s, i) in gone else "yes"}
            for s, its in reproduce.stages(p) for i, _ in its]


def show_status(p: Profile) -> None:
    """The table of :func:`status_rows` and how many items are committed."""
    rows = status_rows(p)
    show_table(rows)
    print(f"{sum(r['committed'] == 'yes' for r in rows)} of {len(rows)} items committed")


def pretrain_rows(p: Profile, names: Sequence[str] | None = None) -> list[dict]:
    """Per pre-trained method and seed: each module's held-out MSE and its target's variance."""
    rows = []
    with store.read_only():
        for m in names or P.pretrained_methods():
            for s in p.seeds:
                pre = P.modules(p, m, s).pretrain
                rows.append({"method": m, "seed": s, **{
                    f"module {k + 1} {what}": float(v[k]) for k in (0, 1)
                    for what, v in (("MSE", pre.test_mse), ("target var", pre.target_var))}})
    return rows


def mse_ratios(rows: Sequence[Mapping]) -> dict[str, np.ndarray]:
    """{method: (n_seeds, 2) held-out MSE / target variance of modules 1 and 2}."""
    names = dict.fromkeys(r["method"] for r in rows)
    return {m: np.array([[r[f"module {k} MSE"] / r[f"module {k} target var"] for k in (1, 2)]
                         for r in rows if r["method"] == m]) for m in names}


def ratio_lines(ratio: Mapping[str, np.ndarray]) -> list[str]:
    """Per method, the range over seeds of each module's MSE / target variance."""
    return [f"{m}: MSE / target variance, module 1 {a[:, 0].min():.4f}-{a[:, 0].max():.4f}, "
            f"module 2 {a[:, 1].min():.4f}-{a[:, 1].max():.4f} over the seeds" for m, a in ratio.items()]


def show_pretraining(rows: Sequence[Mapping]) -> None:
    """The table of :func:`pretrain_rows` and the ranges of :func:`ratio_lines`."""
    show_table(rows, digits=5)
    print("\n".join(ratio_lines(mse_ratios(rows))))


def pilots(p: Profile) -> dict:
    """{method: :class:`molap.pipeline.selection.LRChoice`} of every registered method whose pilots are
    committed (nothing is computed)."""
    out = {}
    with store.read_only():
        for m in methods.names():
            try:
                out[m] = P.learning_rate(p, m)
            except store.MissingResult:
                pass
    return out


def best_pilots(choices: Mapping) -> dict[str, float]:
    """{method: its best pilot score}."""
    return {m: max(c.scores) for m, c in choices.items()}


def pilot_lines(choices: Mapping) -> list[str]:
    """The best pilot score of each method, and the random reservoir's and PCA's lead over MoLaP."""
    best = best_pilots(choices)
    return ["best pilot score (decision units, %): " + ", ".join(f"{m} {v:.1f}" for m, v in best.items()),
            f"random reservoir - MoLaP: {best['random'] - best['molap']:+.1f} points; "
            f"PCA - MoLaP: {best['pca'] - best['molap']:+.1f}"]


def show_pilots(choices: Mapping) -> None:
    """The pilots' scores per learning rate, the chosen rates, and :func:`pilot_lines`."""
    show_table(lr_rows(choices, prefix="lr "), digits=1)
    print("\n".join(pilot_lines(choices)))
    if missing := [m for m in methods.names() if m not in choices]:
        print(f"no pilots computed yet at this scale for: {', '.join(missing)} (registered after the GPU run)")


def log_record(name: str = LOG) -> dict:
    """A reproduction record of ``benchmarks/results`` (:func:`molap.views.benchmarks.parse_reproduce_log`)."""
    return json.loads((benchmarks.RESULTS / f"{name}.json").read_text())


def progress_curve(record: dict, bar: str = CUT_RUN) -> dict[int, float]:
    """{block: the decision-unit accuracy last shown at that block} of one progress bar of a
    reproduction record (parsed when the record was written: ``progress``)."""
    return {int(b): float(v) for b, v in record["progress"][bar]}


def curve_rows(curve: Mapping[int, float], block_steps: int) -> list[dict]:
    """One row per block: its index, the steps done and the mean decision-unit accuracy."""
    return [{"block": b, "steps": block_steps * b, "mean decision-unit accuracy (%)": v} for b, v in curve.items()]


def show_cut_run(p: Profile, name: str = LOG) -> None:
    """The validation progress of the cut-short training item, from the record's lines."""
    show_table(curve_rows(progress_curve(log_record(name)), p.training.schedule.block_steps))


def check(pretrain: Sequence[Mapping], choices: Mapping) -> None:
    """MoLaP's modules learn their targets (MSE under 5% of the variance); the PCA control's second
    module is more than 5x worse than MoLaP's worst; every pilot score is a percentage and every
    chosen rate is on :data:`molap.pipeline.selection.LR_GRID`."""
    ratio = mse_ratios(pretrain)
    require(ratio["molap"].max() < 0.05, f"molap MSE / target variance {ratio['molap']}")
    require(ratio["pca"][:, 1].min() > 5 * ratio["molap"][:, 1].max(), f"MSE / target variance {ratio}")
    best = best_pilots(choices)
    require(all(0 <= v <= 100 for v in best.values()), f"best pilot scores {best}")
    require(all(c.lr in LR_GRID for c in choices.values()),
             f"chosen rates {[c.lr for c in choices.values()]} not all in {LR_GRID}")


def prediction_rows(p: Profile) -> list[dict]:
    """Per stage with items left: their number and predicted GPU minutes (:mod:`molap.run.timing`),
    with the measured validation cost and with validation free."""
    from molap.run import timing

    missing = reproduce.check(p)
    costs = timing.calibrate()
    preds = timing.predict(p, missing, costs)
    full, free = timing.stage_seconds(preds), timing.stage_seconds(timing.predict(p, missing, costs, eval_s=0.0))
    return [{"stage": s, "items left": sum(x.stage == s for x in preds),
             "not modelled": sum(x.stage == s and x.seconds is None for x in preds),
             "predicted min": full[s] / 60, "validation free, min": free[s] / 60} for s in full]


def residual_rows(p: Profile) -> list[dict]:
    """The items the H100 measured: predicted against measured seconds."""
    from molap.run import timing

    return [{**r, "measured / predicted": r["measured_s"] / r["predicted_s"]} for r in timing.residuals(p)]


def show_prediction(p: Profile) -> None:
    """The timing model's check against the measured items, its basis, and the predicted GPU
    time of what is left, per stage and in all, beside the target."""
    from molap.run import timing

    c = timing.calibrate()
    show_table(residual_rows(p), digits=1)
    a, b = c.train_ms["frozen"]
    print(f"basis: a training step of K frozen-head networks {a:.2f} + {b:.2f} K ms (probe); "
          f"a one-task evaluation {c.eval_s:.3f} s (the real run's median block of {c.basis['block_s']:.0f} s "
          f"minus its {c.basis['block_steps_s']:.1f} s of steps, over {c.basis['blocks']} blocks); "
          f"a forward trial-step {c.forward_s * 1e9:.2f} ns (assumed: a third of a training trial-step)")
    rows = prediction_rows(p)
    show_table(rows, digits=1)
    total = sum(r["predicted min"] for r in rows)
    free = sum(r["validation free, min"] for r in rows)
    met = "met" if total * 60 <= timing.TARGET_S else ("met only if validation is free" if free * 60 <= timing.TARGET_S
                                                          else "not met, even with validation free")
    print(f"predicted in all: {total:.1f} min of one H100 ({free:.1f} min if validation were free); "
          f"the target of {timing.TARGET_S / 60:.0f} min is {met}")
