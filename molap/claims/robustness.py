"""Chapter 07's robustness claims (Figs 3, 4, S5): lesions, noise and silencing, each network's loss
against its own intact accuracy."""

from __future__ import annotations

import numpy as np

from molap import methods
from molap import pipeline as P
from molap.analysis.compare import verdict
from molap.analysis.perturbations import KINDS
from molap.claims.verdicts import FIXATION_HIGH, NOISE_TOLERANCE, T7, T9, Claim, compared, measured, weakest
from molap.errors import MolapError
from molap.tasks import get_task


def _sweep(p, method: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(levels, (n_seeds, n_levels, 9) mean over draws of the decision units) on every seed."""
    rs = [P.perturbation(p, method, kind, s) for s in p.seeds]
    return np.asarray(rs[0].levels), np.array([np.asarray(r.decision).mean(1) for r in rs])


def _fixation(p, method: str, kind: str, level: float, task: int) -> np.ndarray:
    """(n_seeds,) mean over draws of the fixation unit's score of one task at one level."""
    out = []
    for s in p.seeds:
        r = P.perturbation(p, method, kind, s)
        i = int(np.argmin(np.abs(np.asarray(r.levels) - level)))
        n = get_task(r.tasks[task]).n_out  # paper = mean over units; decision = mean over units but fixation
        out.append(float((n * np.asarray(r.paper)[i, :, task] - (n - 1) * np.asarray(r.decision)[i, :, task]).mean()))
    return np.array(out)


def lesion_claims(p) -> list[Claim]:
    return lesion_verdicts({(k, m): _sweep(p, m, k) for k in KINDS for m in methods.names()},
                           _fixation(p, "molap", "m2", 30, T9))


def loss(levels: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """(n_seeds, n_levels, 9) accuracy minus each seed's intact accuracy (the level-0 point)."""
    if not np.isclose(levels[0], 0.0):
        raise MolapError(f"a sweep must start at level 0 (intact) to be judged against it, got {levels[0]}")
    return acc - acc[:, :1]


def lesion_verdicts(sw: dict, fixation_m2_30: np.ndarray) -> list[Claim]:
    """sw: {(kind, method): (levels, (n_seeds, n_levels, 9) mean over draws of decision units)}
    for every kind of :data:`molap.analysis.perturbations.KINDS`, molap, dni and separate among the methods;
    fixation_m2_30: (n_seeds,) MoLaP's T9 fixation-unit score at 30% module-2 lesions."""
    names = list(dict.fromkeys(m for _, m in sw))
    others = [m for m in names if m != "molap"]
    d = {km: loss(*v) for km, v in sw.items()}
    lv = {k: sw[(k, "molap")][0] for k in KINDS}
    n = len(d[("m1", "molap")])

    def within(k, top):
        return (lv[k] > 0) & (lv[k] <= top)

    def at(k, level):
        return int(np.argmin(np.abs(lv[k] - level)))

    def t9(k, m, sel):
        return d[(k, m)][:, sel, T9].mean(1)

    small = within("m1", 10)
    m1 = [(f"MoLaP - {o}", verdict(t9("m1", "molap", small) - t9("m1", o, small))) for o in ("dni", "separate")]
    every2 = lv["m2"] > 0
    m2 = [(f"MoLaP - {o}", verdict(t9("m2", "molap", every2) - t9("m2", o, every2))) for o in ("dni", "separate")]
    i30 = at("m1", 30)
    m2_vs_m1 = verdict(d[("m2", "molap")][:, i30, T9] - d[("m1", "molap")][:, i30, T9])
    inter = [(m, verdict(np.minimum(d[("m1", m)][:, i30].mean(1), d[("m2", m)][:, i30].mean(1))
                         - d[("inter", m)][:, i30].mean(1))) for m in names]
    n_inter = sum(v.verdict == "better" for _, v in inter)
    robust = {k: [(f"{k}: MoLaP - {o}", verdict(d[(k, "molap")][:, lv[k] > 0].mean((1, 2))
                                                 - d[(k, o)][:, lv[k] > 0].mean((1, 2)))) for o in others]
              for k in KINDS}
    best_kinds = [k for k in KINDS if weakest(robust[k])[1].verdict == "better"]
    worst = [weakest(robust[k]) for k in KINDS]
    t7_sel = {"global": within("global", 10), "silence": within("silence", 10), "noise": within("noise", 0.03)}
    t7 = [(f"{k}: MoLaP - {o}", verdict(d[(k, "molap")][:, sel, T7].mean(1) - d[(k, o)][:, sel, T7].mean(1)))
          for k, sel in t7_sel.items() for o in others]
    t7_worst = [weakest([t for t in t7 if t[0].startswith(k)]) for k in t7_sel]
    i03 = at("noise", 0.03)
    noise_t7 = d[("noise", "molap")][:, i03, T7].mean()
    rel = "loss against each network's own intact accuracy, decision units"
    return [
        compared("T9, M1 lesions up to 10%: MoLaP loses less than DNI", "MoLaP > DNI", m1[:1], "07_robustness", n,
                 detail=rel),
        compared("T9, M1 lesions up to 10%: MoLaP comparable to separate networks", "~ separate", m1[1:],
                 "07_robustness", n, expected="equivalent", detail=rel),
        compared("T9, M2 lesions: MoLaP loses less than DNI and separate networks", "MoLaP highest", m2,
                 "07_robustness", n, detail=rel),
        compared("T9 at 30% lesioned: M2 lesions hurt MoLaP less than M1", "M2 > M1",
                 [("M2 - M1", m2_vs_m1)], "07_robustness", n, detail=rel),
        measured("T9 at 30% M2 lesioned: the fixation output stays high (MoLaP)", "stays high",
                 f"fixation unit {fixation_m2_30.mean():.1f}% correct, mean over {len(fixation_m2_30)} seeds "
                 f"(> {FIXATION_HIGH:.0f}% counts as high)", fixation_m2_30.mean() > FIXATION_HIGH,
                 "07_robustness", len(fixation_m2_30)),
        compared("Inter-module lesions hurt more than intra-module ones at 30%", "every method",
                 [weakest(inter)], "07_robustness", n,
                 detail=f"intra - inter, mean over tasks; better for {n_inter}/{len(names)} methods"),
        compared("Averaged over tasks, MoLaP is the most robust for every perturbation type (Fig 4)", "all 6 types",
                 worst, "07_robustness", n,
                 detail=f"the weakest comparison per type shown; better than every method for {len(best_kinds)}/6"
                        f"{': ' + ', '.join(best_kinds) if best_kinds else ''}; {rel}"),
        compared("T7: MoLaP loses least up to 10% lesioned / silenced and to noise 0.03", "highest under all three",
                 t7_worst, "07_robustness", n, detail=f"the weakest comparison per kind shown; {rel}"),
        measured("T7: MoLaP robust to noise up to sigma = 0.03", "robust",
                 f"{noise_t7:+.1f} points at 0.03 against intact, mean over {n} seeds "
                 f"(within {NOISE_TOLERANCE:.0f} points counts as robust)", noise_t7 > -NOISE_TOLERANCE,
                 "07_robustness", n),
    ]
