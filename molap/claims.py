"""The paper's quantitative claims (reference spec section 11), each measured from a profile's
results and given a verdict: ``reproduced``, ``not reproduced``, ``partly`` or ``inconsistent``
(the paper contradicts itself). Every number comes from the cached experiments; nothing here is
typed in except the paper's own statements (quoted)."""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import counts, methods, pipeline as P, store
from .compare import scores_array
from .errors import MolapError
from .perturb import KINDS
from .profiles import get_profile
from .tasks import get_task

FIELD = "paper"  #: the score every verdict uses (the issue on converged networks changes the rules)
PAPER_BAR = 70.0  #: the paper's bar: more than 70% of decisions correct
T1, T7, T9 = 0, 6, 8
VERDICTS = ("reproduced", "partly", "not reproduced", "inconsistent")


class Claim(NamedTuple):
    """One claim of the paper: what it says (``paper``), what we measured (``ours``), a verdict
    (one of :data:`VERDICTS`) and the chapter that shows it."""

    claim: str
    paper: str
    ours: str
    verdict: str
    chapter: str


def _mean_scores(p, method: str) -> np.ndarray:
    """(n_tasks,) mean over seeds of the paper's score on the test set."""
    return scores_array([P.trained(p, method, s) for s in p.seeds], field=FIELD).mean(0)


def _sweep(p, method: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(levels, mean over draws of the paper's score (levels, tasks))."""
    r = P.perturbation(p, method, kind, p.pilot_seed)
    return np.asarray(r.levels), np.asarray(getattr(r, FIELD)).mean(1)


def _row(claim, paper, ours, ok, chapter, partly=None) -> Claim:
    verdict = "reproduced" if ok else ("partly" if partly else "not reproduced")
    return Claim(claim, paper, ours, verdict, chapter)


def primitives_claims(p) -> list[Claim]:
    r2 = {row["components"]: row for row in P.r2_table(p)}
    return primitives_verdicts(r2[2]["r2"], r2[3]["r2"], r2[3]["corr"][:3])


def primitives_verdicts(a: float, b: float, corr) -> list[Claim]:
    """a, b: the CCA score with 2 and 3 components; corr: the first 3 canonical correlations."""
    return [
        _row("CCA variance captured, 2 / 3 components", "about 60% / 70%", f"R² {a:.3f} / {b:.3f}",
             abs(a - 0.60) <= 0.05 and abs(b - 0.70) <= 0.05, "02_latent_primitives"),
        _row("Canonical correlations of the first 3 components", "0.999 / 0.997 / 0.998 (spec)",
             " / ".join(f"{c:.4f}" for c in corr), bool(np.all(np.asarray(corr) > 0.99)), "02_latent_primitives"),
    ]


def count_claims(p) -> list[Claim]:
    s = counts.stated_sizes()
    t1 = counts.PAPER_TABLE1
    x10 = t1["separate"]["total"] / s["separate"]["total"]
    extra = s["molap"]["total"] / s["dni"]["total"]
    upd = s["dni"]["updates"] / s["molap"]["updates"]
    upd_paper = t1["dni"]["trained"] / t1["molap"]["trained"]
    return [
        Claim("Table 1 parameter counts (N = 100)", "separate 9.18e5, DNI 1.02e5, MoLaP 1.2e5",
              f"{s['separate']['total']:,} / {s['dni']['total']:,} / {s['molap']['total']:,} "
              f"(printed = {x10:.0f}x these)", "inconsistent" if abs(x10 - 1) > 0.01 else "reproduced",
              "06_parameter_counts"),
        _row("MoLaP total vs DNI", "+18%", f"{100 * (extra - 1):+.1f}%", abs(extra - 1.18) < 0.03,
             "06_parameter_counts"),
        _row("About two orders of magnitude fewer updates than DNI", f"~100x (printed numbers: {upd_paper:.0f}x)",
             f"{upd:.1f}x", upd >= 50, "06_parameter_counts"),
    ]


def accuracy_claims(p) -> list[Claim]:
    return accuracy_verdicts({k: _mean_scores(p, k) for k in methods.names()})


def accuracy_verdicts(m: dict[str, np.ndarray]) -> list[Claim]:
    """m: {method: (9,) mean over seeds of the score per task}; molap, random and pca among them."""
    names = list(m)
    molap = m["molap"]
    best = np.all([molap >= m[k] for k in names], 0)
    spread = np.array([m[k] for k in names]).std(0)
    below = {k: (molap - m[k]) for k in ("random", "pca")}
    return [
        _row("MoLaP > 70% decisions correct on all 9 tasks (2000-trial test set)", "> 70% on T1-T9",
             f"{int((molap > PAPER_BAR).sum())}/9 tasks above 70% (min {molap.min():.1f}%)", bool(np.all(molap > PAPER_BAR)),
             "04_learning_tasks", partly=(molap > PAPER_BAR).sum() >= 5),
        _row("MoLaP is the highest method on every task", "highest on all tasks",
             f"highest on {int(best.sum())}/9 tasks", bool(best.all()), "05_comparing_methods", partly=best.sum() >= 5),
        _row("Methods are more similar on T1-T4 than on T5-T9", "smaller spread on T1-T4",
             f"sd across methods {spread[:4].mean():.1f} vs {spread[4:].mean():.1f} points",
             spread[:4].mean() < spread[4:].mean(), "05_comparing_methods"),
        _row("No pre-training and PCA pre-training are below MoLaP, especially on T5-T9",
             "MoLaP above both",
             f"MoLaP - random {below['random'].mean():+.1f} (T5-T9 {below['random'][4:].mean():+.1f}); "
             f"MoLaP - PCA {below['pca'].mean():+.1f} (T5-T9 {below['pca'][4:].mean():+.1f}) points",
             bool(below["random"][4:].mean() > 0 and below["pca"][4:].mean() > 0), "05_comparing_methods",
             partly=below["random"][4:].mean() > 0 or below["pca"][4:].mean() > 0),
    ]


def _at(levels, acc, level) -> np.ndarray:
    return acc[int(np.argmin(np.abs(levels - level)))]


def _fixation(p, method: str, kind: str, level: float, task: int) -> float:
    """Mean over draws of the fixation unit's score (the paper's rule) of one task at one level."""
    r = P.perturbation(p, method, kind, p.pilot_seed)
    i = int(np.argmin(np.abs(np.asarray(r.levels) - level)))
    n = get_task(r.tasks[task]).n_out  # paper = mean over units; decision = mean over units but fixation
    return float((n * np.asarray(r.paper)[i, :, task] - (n - 1) * np.asarray(r.decision)[i, :, task]).mean())


def lesion_claims(p) -> list[Claim]:
    return lesion_verdicts({(k, m): _sweep(p, m, k) for k in KINDS for m in methods.names()},
                           _fixation(p, "molap", "m2", 30, T9))


def lesion_verdicts(sw: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], fixation_m2_30: float) -> list[Claim]:
    """sw: {(kind, method): (levels, (n_levels, 9) mean over draws of the score)} for every kind of
    :data:`molap.perturb.KINDS`, molap, dni and separate among the methods; fixation_m2_30: MoLaP's
    T9 fixation-unit score at 30% module-2 lesions."""
    names = list(dict.fromkeys(m for _, m in sw))
    lv, _ = sw[("m1", "molap")]
    small = lv <= 10
    m1 = {m: sw[("m1", m)][1][small, T9].mean() for m in names}
    m2 = {m: sw[("m2", m)][1][:, T9].mean() for m in names}
    at30 = {k: _at(lv, sw[(k, "molap")][1], 30)[T9] for k in ("m1", "m2")}
    inter_worse = [_at(lv, sw[("inter", m)][1], 30).mean() < min(_at(lv, sw[(k, m)][1], 30).mean() for k in ("m1", "m2"))
                   for m in names]
    avg = {k: {m: sw[(k, m)][1].mean() for m in names} for k in KINDS}
    best_kinds = [k for k, v in avg.items() if max(v, key=v.get) == "molap"]
    t7 = {k: {m: sw[(k, m)][1][sw[(k, m)][0] <= (10 if k != "noise" else 0.03), T7].mean() for m in names}
          for k in ("global", "silence", "noise")}
    t7_best = [k for k in t7 if max(t7[k], key=t7[k].get) == "molap"]
    nlv, nacc = sw[("noise", "molap")]
    noise_t7 = (_at(nlv, nacc, 0.0)[T7], _at(nlv, nacc, 0.03)[T7])
    return [
        _row("T9, M1 lesions < 10%: MoLaP above DNI, comparable to separate networks", "MoLaP > DNI, ~ separate",
             f"MoLaP {m1['molap']:.1f}, DNI {m1['dni']:.1f}, separate {m1['separate']:.1f}",
             m1["molap"] > m1["dni"] and abs(m1["molap"] - m1["separate"]) <= 5, "07_robustness",
             partly=m1["molap"] > m1["dni"]),
        _row("T9, M2 lesions: MoLaP above DNI and separate networks", "MoLaP highest",
             f"MoLaP {m2['molap']:.1f}, DNI {m2['dni']:.1f}, separate {m2['separate']:.1f}",
             m2["molap"] > max(m2["dni"], m2["separate"]), "07_robustness", partly=m2["molap"] > min(m2["dni"], m2["separate"])),
        _row("T9 at 30% lesioned: M2 above M1 (MoLaP)", "M2 > M1", f"M2 {at30['m2']:.1f} vs M1 {at30['m1']:.1f}",
             at30["m2"] > at30["m1"], "07_robustness"),
        _row("T9 at 30% M2 lesioned: the fixation output stays high (MoLaP)", "stays high",
             f"fixation unit {fixation_m2_30:.1f}% correct (> 90% counts as high)", fixation_m2_30 > 90,
             "07_robustness"),
        _row("Inter-module lesions hurt more than intra-module ones at 30%", "every method",
             f"{sum(inter_worse)}/{len(names)} methods", all(inter_worse), "07_robustness", partly=any(inter_worse)),
        _row("Averaged over tasks, MoLaP is the most robust for every perturbation type (Fig 4)", "all 6 types",
             f"best for {len(best_kinds)}/6: {', '.join(best_kinds) or 'none'}", len(best_kinds) == 6,
             "07_robustness", partly=len(best_kinds) > 0),
        _row("T7: MoLaP highest up to 10% lesioned / silenced and to noise 0.03", "highest under all three",
             f"highest under {', '.join(t7_best) or 'none'}", len(t7_best) == 3, "07_robustness", partly=bool(t7_best)),
        _row("T7: MoLaP robust to noise up to sigma = 0.03", "robust",
             f"{noise_t7[1]:.1f} at 0.03 vs {noise_t7[0]:.1f} intact (within 5 points counts as robust)",
             noise_t7[1] > noise_t7[0] - 5, "07_robustness"),
    ]


def generalisation_claims(p) -> list[Claim]:
    s0 = p.pilot_seed
    held, held2 = (scores_array([P.generalisation(p, mode, "cca", s0)], field=FIELD)[0] for mode in ("loo", "l2o"))
    pca_full, molap_full = (scores_array([P.trained(p, m, s0)], field=FIELD)[0] for m in ("pca", "molap"))
    return generalisation_verdicts(held, held2, pca_full, molap_full)


def generalisation_verdicts(held, held2, pca_full, molap_full) -> list[Claim]:
    """(9,) scores: each task held out of the corpus (leave-one-out, leave-two-out), and in the
    full corpus with PCA and with CCA (MoLaP) primitives."""
    above = int((held > pca_full).sum())
    return [
        _row("Leave-one-out: held-out task above full-corpus PCA pre-training", "above", f"above on {above}/9 tasks "
             f"(mean {held.mean():.1f} vs {pca_full.mean():.1f})", above == 9, "08_generalisation", partly=above >= 5),
        _row("T7 is noticeably worse when held out", "worse",
             f"{held[T7]:.1f} held out vs {molap_full[T7]:.1f} in the corpus", held[T7] < molap_full[T7] - 5,
             "08_generalisation"),
        _row("Leave-two-out stays high (> 70%) on most tasks", "majority",
             f"{int((held2 > PAPER_BAR).sum())}/9 tasks", (held2 > PAPER_BAR).sum() >= 5, "08_generalisation"),
    ]


def paired_verdict(pair: dict, a: str, b: str, alpha: float = 0.05) -> str:
    """One sentence on a paired comparison over seeds (:func:`molap.compare.paired`): too few seeds,
    no measurable difference (p >= alpha), or which method is better."""
    n, m, p = pair["n"], pair["mean"], pair["p"]
    if n < 3 or not np.isfinite(p):
        return (f"{a} - {b}: {m:+.2f} points over {n} seed(s); too few seeds for a test, "
                f"so no benefit of either can be claimed from this run.")
    if p >= alpha:
        return (f"{a} - {b}: {m:+.2f} points (paired t-test over {n} seeds, p = {p:.2f}): "
                f"no measurable difference.")
    better = a if m > 0 else b
    return f"{a} - {b}: {m:+.2f} points (paired t-test over {n} seeds, p = {p:.3f}): {better} is better."


SECTIONS: dict[str, Callable] = {
    "Latent primitives (A.2.1)": primitives_claims,
    "Parameter counts (Table 1, section 4)": count_claims,
    "Accuracy (Fig 2)": accuracy_claims,
    "Robustness (Figs 3, 4, S5)": lesion_claims,
    "Generalisation (Fig 5)": generalisation_claims,
}


def report(profile=None) -> dict[str, list[Claim]]:
    """Every claim of spec section 11 with our measurement and a verdict, by section."""
    p = get_profile(profile)
    return {name: fn(p) for name, fn in SECTIONS.items()}


def section(profile, name: str) -> list[Claim]:
    """The claims of one section (a key of :data:`SECTIONS`, or a unique prefix such as "Robustness")."""
    hits = [s for s in SECTIONS if s.startswith(name)]
    if len(hits) != 1:
        raise MolapError(f"unknown claims section {name!r}; expected one of {tuple(SECTIONS)}")
    return SECTIONS[hits[0]](get_profile(profile))


def report_cached(profile=None) -> dict[str, list[Claim] | None]:
    """:func:`report` from results already computed (cached or committed) only; a section whose
    results are not all there is None (nothing is computed)."""
    p = get_profile(profile)
    out = {}
    for name, fn in SECTIONS.items():
        try:
            with store.read_only():
                out[name] = fn(p)
        except store.MissingResult:
            out[name] = None
    return out
