"""Chapter 07's robustness claims (Figs 3, 4, S5), judged on robustness thresholds: the level at
which each network's decision accuracy has fallen halfway from its intact accuracy to the trivial
policy's (:mod:`molap.analysis.thresholds`), paired over seeds, on the tasks both networks learned."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from molap import methods
from molap import pipeline as P
from molap.analysis.compare import verdict
from molap.analysis.perturbations import KINDS, perturbation
from molap.analysis.thresholds import Thresholds, thresholds
from molap.claims.verdicts import (
    FIXATION_HIGH,
    NOISE_TOLERANCE,
    T7,
    T9,
    THRESHOLD_MARGINS,
    Claim,
    compared,
    learned,
    masked_per_seed,
    measured,
)
from molap.errors import MolapError
from molap.profiles import get_profile
from molap.tasks import get_task


class Robustness(NamedTuple):
    """Per (kind, method): levels (n_levels,), acc (n_seeds, n_levels, 9) decision units (mean over
    draws), trivial (n_seeds, 9) the trivial policy's decision units, on the same seeds; seeds
    (n_seeds,) which ones (empty: 0, 1, ...)."""

    levels: np.ndarray
    acc: np.ndarray
    trivial: np.ndarray
    seeds: tuple = ()

    @property
    def seed_list(self) -> tuple[int, ...]:
        return tuple(self.seeds) or tuple(range(len(self.acc)))

    def on(self, seeds) -> Robustness:
        """The same sweeps on ``seeds`` only (each one of :attr:`seed_list`), in that order."""
        i = [self.seed_list.index(s) for s in seeds]
        return Robustness(self.levels, self.acc[i], self.trivial[i], tuple(seeds))

    @property
    def thresholds(self) -> Thresholds:
        return thresholds(self.levels, self.acc, self.trivial)

    @property
    def learned(self) -> np.ndarray:
        """(n_seeds, 9) whether the intact network learned each task (:func:`molap.claims.verdicts.learned`)."""
        return learned(self.acc[:, 0], self.trivial)


def paired(a: Robustness, b: Robustness) -> tuple[Robustness, Robustness]:
    """a and b on the seeds both were swept on, in a's order."""
    common = [s for s in a.seed_list if s in b.seed_list]
    return a.on(common), b.on(common)


def _sweep(p, method: str, kind: str) -> Robustness:
    seeds = P.perturb_seeds_of(p, method)
    rs = [P.perturbation(p, method, kind, s) for s in seeds]
    triv = np.array([[P.trained(p, method, s).test[t].trivial_decision for t in rs[0].tasks] for s in seeds])
    return Robustness(np.asarray(rs[0].levels), np.array([np.asarray(r.decision).mean(1) for r in rs]), triv,
                      tuple(seeds))


def _fixation(p, method: str, kind: str, level: float, task: int) -> np.ndarray:
    """(n_seeds,) mean over draws of the fixation unit's score of one task at one level."""
    out = []
    for s in P.perturb_seeds_of(p, method):
        r = P.perturbation(p, method, kind, s)
        i = int(np.argmin(np.abs(np.asarray(r.levels) - level)))
        n = get_task(r.tasks[task]).n_out  # paper = mean over units; decision = mean over units but fixation
        out.append(float((n * np.asarray(r.paper)[i, :, task] - (n - 1) * np.asarray(r.decision)[i, :, task]).mean()))
    return np.array(out)


def robustness_data(p) -> dict:
    """{(kind, method): :class:`Robustness`} for every kind and method, on each method's perturbation
    seeds (:func:`molap.pipeline.perturb_seeds_of`)."""
    p = get_profile(p)
    return {(k, m): _sweep(p, m, k) for k in KINDS for m in methods.names()}


def lesion_claims(p) -> list[Claim]:
    return lesion_verdicts(robustness_data(p), _fixation(p, "molap", "m2", 30, T9))


def loss(levels: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """(n_seeds, n_levels, 9) accuracy minus each seed's intact accuracy (the level-0 point)."""
    if not np.isclose(levels[0], 0.0):
        raise MolapError(f"a sweep must start at level 0 (intact) to be judged against it, got {levels[0]}")
    return acc - acc[:, :1]


COARSE = 0.5
"""A threshold comparison is inconclusive when, for more than this fraction of the (seed, task)
pairs compared, a network is already halfway down at the grid's first nonzero level: its threshold
is then an interpolation between intact and that level, not a measurement."""


def margin(kind: str) -> float:
    """The equivalence margin of a kind's thresholds (:data:`molap.claims.verdicts.THRESHOLD_MARGINS`)."""
    return THRESHOLD_MARGINS[perturbation(kind).unit]


def threshold_test(sw: dict, kind: str, a: str, b: str, tasks=slice(None), kind_b: str | None = None) -> tuple:
    """((n_kept_seeds,), excluded note, usable): per seed, the mean over ``tasks`` both networks learned of
    a's threshold minus b's (b's under ``kind_b``, default the same kind)."""
    ra, rb = paired(sw[(kind, a)], sw[(kind_b or kind, b)])
    diff = ra.thresholds.value - rb.thresholds.value
    keep = ra.learned & rb.learned & np.isfinite(diff)
    vals, note = masked_per_seed(np.nan_to_num(diff), keep, tasks)
    past = (ra.thresholds.below_first | rb.thresholds.below_first)[:, tasks][keep[:, tasks]]
    coarse = past.size > 0 and past.mean() > COARSE
    if coarse:
        note = "; ".join(filter(None, [note, f"grid starts past the cliff for {100 * past.mean():.0f}% of pairs"]))
    return vals, note, not coarse


def lesion_verdicts(sw: dict, fixation_m2_30: np.ndarray) -> list[Claim]:
    """sw: {(kind, method): :class:`Robustness`} for every kind of
    :data:`molap.analysis.perturbations.KINDS`, molap, dni and separate among the methods;
    fixation_m2_30: (n_seeds,) MoLaP's T9 fixation-unit score at 30% module-2 lesions."""
    for r in sw.values():
        loss(r.levels, r.acc)  # every sweep starts intact
    names = list(dict.fromkeys(m for _, m in sw))
    others = [m for m in names if m != "molap"]
    n = len(sw[("m1", "molap")].acc)

    def test(label, kind, a, b, tasks=slice(None), kind_b=None):
        vals, note, usable = threshold_test(sw, kind, a, b, tasks, kind_b)
        return (label, verdict(vals, margin(kind)), note, usable)

    t9 = slice(T9, T9 + 1)
    m1 = [test(f"MoLaP - {o}", "m1", "molap", o, t9) for o in ("dni", "separate")]
    m2 = [test(f"MoLaP - {o}", "m2", "molap", o, t9) for o in ("dni", "separate")]
    m2_vs_m1 = test("M2 - M1", "m2", "molap", "molap", t9, kind_b="m1")
    inter = []
    for m in names:
        lo = np.minimum(sw[("m1", m)].thresholds.value, sw[("m2", m)].thresholds.value)
        th = sw[("inter", m)].thresholds
        keep = sw[("m1", m)].learned & np.isfinite(lo - th.value)
        vals, note = masked_per_seed(np.nan_to_num(lo - th.value), keep)
        past = (th.below_first | sw[("m1", m)].thresholds.below_first | sw[("m2", m)].thresholds.below_first)[keep]
        inter.append((f"{m}: intra - inter", verdict(vals, margin("inter")), note, not past.mean() > COARSE))
    robust = [test(f"{k}: MoLaP - {o}", k, "molap", o) for k in KINDS for o in others]
    t7 = [test(f"{k}: MoLaP - {o}, T7", k, "molap", o, slice(T7, T7 + 1))
          for k in ("global", "silence", "noise") for o in others]
    noise = sw[("noise", "molap")]
    i03 = int(np.argmin(np.abs(noise.levels - 0.03)))
    noise_t7 = loss(noise.levels, noise.acc)[:, i03, T7].mean()
    cliff = {k: float(np.mean(sw[(k, "molap")].thresholds.below_first)) for k in KINDS}
    rel = ("robustness threshold: the level at which decision accuracy has fallen halfway from intact to the "
           "trivial policy; MoLaP's already past it at the grid's first level: "
           + ", ".join(f"{k} {100 * v:.0f}%" for k, v in cliff.items()) + " of (seed, task) pairs")
    return [
        compared("T9, M1 lesions: MoLaP more robust than DNI", "MoLaP > DNI (up to 10%)", m1[:1], "07_robustness",
                 unit="% lesioned", detail=rel),
        compared("T9, M1 lesions: MoLaP comparable to separate networks", "~ separate (up to 10%)", m1[1:],
                 "07_robustness", expected="equivalent", unit="% lesioned", detail=rel),
        compared("T9, M2 lesions: MoLaP more robust than DNI and separate networks", "MoLaP highest", m2,
                 "07_robustness", unit="% lesioned", detail=rel),
        compared("T9: M2 lesions hurt MoLaP less than M1 lesions", "M2 > M1 (at 30%)", [m2_vs_m1], "07_robustness",
                 unit="% lesioned", detail=rel),
        measured("T9 at 30% M2 lesioned: the fixation output stays high (MoLaP)", "stays high",
                 f"fixation unit {fixation_m2_30.mean():.1f}% correct, mean over {len(fixation_m2_30)} seeds "
                 f"(> {FIXATION_HIGH:.0f}% counts as high)", fixation_m2_30.mean() > FIXATION_HIGH,
                 "07_robustness", len(fixation_m2_30)),
        compared("Inter-module lesions hurt more than intra-module ones", "every method (at 30%)", inter,
                 "07_robustness", unit="% lesioned",
                 detail="per method, the lower of the M1 and M2 thresholds minus the inter-module one, mean over tasks"),
        compared("Averaged over tasks, MoLaP is the most robust for every perturbation type (Fig 4)", "all 6 types",
                 robust, "07_robustness", unit="level",
                 detail=f"every kind against every other method, thresholds in each kind's unit; {rel}"),
        compared("T7: MoLaP most robust to global lesions, silencing and noise", "highest under all three", t7,
                 "07_robustness", unit="level", detail=rel),
        measured("T7: MoLaP robust to noise up to sigma = 0.03", "robust",
                 f"{noise_t7:+.1f} points at 0.03 against intact, mean over {n} seeds "
                 f"(within {NOISE_TOLERANCE:.0f} points counts as robust)", noise_t7 > -NOISE_TOLERANCE,
                 "07_robustness", n),
    ]
