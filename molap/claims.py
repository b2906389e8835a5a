"""The paper's quantitative claims (reference spec section 11), each measured from a profile's
results and given a verdict. Every number comes from the cached experiments; nothing here is
typed in except the paper's own statements (quoted).

Two kinds of claim:

- a **measurement** (a number against the paper's bar: "more than 70% on every task") gets
  ``reproduced``, ``not reproduced`` or ``inconsistent`` (the paper contradicts itself);
- a **comparison** ("MoLaP above DNI") is a paired test over seeds (:func:`molap.compare.verdict`:
  a paired t-test at alpha 0.05 and two one-sided tests against a margin of +-2 points) of the
  per-seed difference the claim names, a - b, and gets ``better`` (a above b), ``equivalent``,
  ``worse`` or ``inconclusive``; the verdict the paper's statement predicts is ``expected``. A
  claim that names several comparisons ("above DNI and separate networks") takes the weakest of
  their verdicts (worse < inconclusive < equivalent < better) and that comparison's p.

Accuracy is judged on the decision units (:data:`FIELD`) against the trivial policy's decision
units; the paper's own score (:data:`PAPER_FIELD`), which a stimulus-blind policy passes on
T5-T9, is shown beside. Robustness is judged on each network's loss against its own intact
accuracy (the level-0 point of its sweep), so a network that learned less is not counted less
robust. DNI is judged right after each task's own training and at the end of the sequence.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from . import counts, methods, pipeline as P, store
from .compare import CRITERION, Verdict, steps_to_criterion, verdict
from .errors import MolapError
from .perturb import KINDS
from .profiles import get_profile
from .tasks import PAPER_LABELS, TASK_NAMES, get_task

FIELD = "decision"  #: the score every accuracy verdict reads: the decision units alone
PAPER_FIELD = "paper"  #: the paper's score, shown beside
PAPER_BAR = 70.0  #: the paper's bar: more than 70% of decisions correct
NOISE_TOLERANCE = 5.0  #: points an accuracy may lose under noise and still count as robust
FIXATION_HIGH = 90.0  #: a fixation unit "stays high" above this score (%)
SPEED_MARGIN = 0.05
"""Equivalence margin of the learning-speed comparison, as a fraction of the run's steps."""
T1, T5, T7, T9 = 0, 4, 6, 8
MEASUREMENT_VERDICTS = ("reproduced", "not reproduced", "inconsistent")
COMPARISON_VERDICTS = ("better", "equivalent", "worse", "inconclusive")
VERDICTS = MEASUREMENT_VERDICTS + COMPARISON_VERDICTS
_STRENGTH = {"worse": 0, "inconclusive": 1, "equivalent": 2, "better": 3}
AFTER_OWN = " (after own task)"
"""Suffix of the label of a method that trains tasks in sequence, scored right after each task's
own training (the plain label is its score at the end of the sequence)."""


class Claim(NamedTuple):
    """One claim of the paper: what it says (``paper``), what we measured (``ours``), a verdict
    (one of :data:`VERDICTS`) and the chapter that shows it. kind: "measurement" or
    "comparison"; n_seeds: the seeds the verdict rests on (None: no trained network involved);
    p: the paired test's p (None for measurements); expected: the comparison verdict the paper's
    statement predicts (None for measurements)."""

    claim: str
    paper: str
    ours: str
    verdict: str
    chapter: str
    kind: str = "measurement"
    n_seeds: int | None = None
    p: float | None = None
    expected: str | None = None


def as_paper_says(c: Claim) -> bool:
    """Whether a claim came out as the paper states it: a comparison with the expected verdict, a
    measurement reproduced."""
    return c.verdict == (c.expected if c.kind == "comparison" else "reproduced")


def measured(claim, paper, ours, ok, chapter, n_seeds=None) -> Claim:
    """A measurement: reproduced if ``ok``."""
    return Claim(claim, paper, ours, "reproduced" if ok else "not reproduced", chapter, "measurement", n_seeds)


def weakest(tests: Sequence[tuple[str, Verdict]]) -> tuple[str, Verdict]:
    """The (label, Verdict) with the weakest verdict (worse < inconclusive < equivalent < better);
    among equals, the largest p."""
    return min(tests, key=lambda lv: (_STRENGTH[lv[1].verdict], -np.nan_to_num(lv[1].p, nan=1.0)))


def describe(label: str, v: Verdict, unit: str = "points") -> str:
    """One comparison in words: effect, 95% interval, p and verdict."""
    if v.n < 2:
        return f"{label} {v.effect:+.1f} {unit} (n = {v.n}: no test): {v.verdict}"
    return (f"{label} {v.effect:+.1f} {unit} [95% CI {v.ci[0]:+.1f}, {v.ci[1]:+.1f}], p = {v.p:.2g}: "
            f"{v.verdict}")


def compared(claim, paper, tests: Sequence[tuple[str, Verdict]], chapter, n_seeds, expected="better",
             unit="points", detail="") -> Claim:
    """A comparison claim from one or more paired tests (label, Verdict); the weakest decides."""
    _, w = weakest(tests)
    ours = "; ".join(describe(lab, v, unit) for lab, v in tests) + (f" ({detail})" if detail else "")
    return Claim(claim, paper, ours, w.verdict, chapter, "comparison", n_seeds, float(w.p), expected)



# ---------------------------------------------------------------- primitives and counts


def primitives_claims(p) -> list[Claim]:
    r2 = {row["components"]: row for row in P.r2_table(p)}
    return primitives_verdicts(r2[2]["r2"], r2[3]["r2"], r2[3]["corr"][:3])


def primitives_verdicts(a: float, b: float, corr) -> list[Claim]:
    """a, b: the CCA score with 2 and 3 components; corr: the first 3 canonical correlations."""
    return [
        measured("CCA variance captured, 2 / 3 components", "about 60% / 70%", f"R² {a:.3f} / {b:.3f}",
                 abs(a - 0.60) <= 0.05 and abs(b - 0.70) <= 0.05, "02_latent_primitives"),
        measured("Canonical correlations of the first 3 components", "0.999 / 0.997 / 0.998 (spec)",
                 " / ".join(f"{c:.4f}" for c in corr), bool(np.all(np.asarray(corr) > 0.99)),
                 "02_latent_primitives"),
    ]


def count_claims(p) -> list[Claim]:
    s = counts.stated_sizes()
    t1 = counts.PAPER_TABLE1
    x10 = t1["separate"]["total"] / s["separate"]["total"]
    extra = s["molap"]["total"] / s["dni"]["total"]
    upd = s["dni"]["updates"] / s["molap"]["updates"]
    upd_paper = t1["dni"]["trained"] / t1["molap"]["trained"]
    table1 = Claim("Table 1 parameter counts (N = 100)", "separate 9.18e5, DNI 1.02e5, MoLaP 1.2e5",
                   f"{s['separate']['total']:,} / {s['dni']['total']:,} / {s['molap']['total']:,} "
                   f"(printed = {x10:.0f}x these)", "inconsistent" if abs(x10 - 1) > 0.01 else "reproduced",
                   "06_parameter_counts")
    return [
        table1,
        measured("MoLaP total vs DNI", "+18%", f"{100 * (extra - 1):+.1f}%", abs(extra - 1.18) < 0.03,
                 "06_parameter_counts"),
        measured("About two orders of magnitude fewer updates than DNI",
                 f"~100x (printed numbers: {upd_paper:.0f}x)", f"{upd:.1f}x", upd >= 50, "06_parameter_counts"),
    ]


# ---------------------------------------------------------------- accuracy


class Accuracy(NamedTuple):
    """Test scores per label (a method, or a sequential method right after its own tasks, see
    :data:`AFTER_OWN`), each (n_seeds, 9) on the same seeds: decision units, the trivial policy's
    decision units, and the paper's score."""

    decision: dict
    trivial: dict
    paper: dict


def _field(tests: Sequence[dict], field: str) -> np.ndarray:
    return np.array([[getattr(t[name], field) for name in TASK_NAMES] for t in tests])


def accuracy_data(p) -> Accuracy:
    """Every method's test scores on the profile's seeds (right after its own tasks as well, for
    methods that train tasks in sequence)."""
    out = Accuracy({}, {}, {})
    for m in methods.names():
        runs = [P.trained(p, m, s) for s in p.seeds]
        views = [(m, [r.test for r in runs])]
        if runs[0].after_own is not None:
            views.append((m + AFTER_OWN, [r.after_own for r in runs]))
        for label, tests in views:
            for d, f in zip(out, ("decision", "trivial_decision", PAPER_FIELD)):
                d[label] = _field(tests, f)
    return out


def accuracy_claims(p) -> list[Claim]:
    return accuracy_verdicts(accuracy_data(p))


def per_seed(a: np.ndarray, tasks=slice(None)) -> np.ndarray:
    """(n_seeds,) the mean over ``tasks`` of (n_seeds, 9) scores."""
    return np.asarray(a)[:, tasks].mean(1)


SPREAD_EXCLUDES = ("dni_no_rule",)
"""Methods left out of the spread across methods: without rule inputs a network cannot tell a
Pro task from its Anti twin, so its spread on T1-T4 says nothing about the tasks."""


def accuracy_verdicts(acc: Accuracy) -> list[Claim]:
    """``acc``: :class:`Accuracy` with molap, random and pca among its labels."""
    dec, triv, paper = acc.decision, acc.trivial, acc.paper
    molap, n = dec["molap"], len(dec["molap"])
    mean, tmean = molap.mean(0), triv["molap"].mean(0)
    ok = (mean > PAPER_BAR) & (mean > tmean)
    seeds_ok = int(((molap > PAPER_BAR) & (molap > triv["molap"])).all(1).sum())
    lo = int(np.argmin(mean))
    others = [k for k in dec if k != "molap"]
    highest = [(f"MoLaP - {k}", verdict(per_seed(molap) - per_seed(dec[k]))) for k in others]
    wins = int(np.all([mean >= dec[k].mean(0) for k in others], 0).sum())
    spread_set = [k for k in dec if k not in SPREAD_EXCLUDES and not k.endswith(AFTER_OWN)]
    sd = np.array([dec[k] for k in spread_set]).std(0)  # (n_seeds, 9) across methods
    spread = verdict(per_seed(sd, slice(T5, None)) - per_seed(sd, slice(0, T5)))
    below = [(f"MoLaP - {k} on T5-T9", verdict(per_seed(molap, slice(T5, None)) - per_seed(dec[k], slice(T5, None))))
             for k in ("random", "pca")]
    every = "; ".join(f"MoLaP - {k} on every task {np.mean(per_seed(molap) - per_seed(dec[k])):+.1f}"
                      for k in ("random", "pca"))
    return [
        measured(f"MoLaP > {PAPER_BAR:.0f}% decisions correct on all 9 tasks", "> 70% on T1-T9",
                 f"decision units: {int(ok.sum())}/9 tasks above {PAPER_BAR:.0f}% and the trivial policy "
                 f"(lowest {mean[lo]:.1f}% on {PAPER_LABELS[TASK_NAMES[lo]]}, trivial {tmean[lo]:.1f}%); "
                 f"{seeds_ok}/{n} seeds with every task; the paper's score, lowest task: "
                 f"{paper['molap'].mean(0).min():.1f}%", bool(ok.all()), "04_learning_tasks", n),
        compared("MoLaP is the highest method on every task", "highest on all tasks", highest,
                 "05_comparing_methods", n,
                 detail=f"mean over tasks per seed; per task, MoLaP's mean is at or above every other's on {wins}/9"),
        compared("Methods are more similar on T1-T4 than on T5-T9", "smaller spread on T1-T4",
                 [("sd across methods, T5-T9 - T1-T4", spread)], "05_comparing_methods", n,
                 detail=f"methods: {', '.join(spread_set)}"),
        compared("No pre-training and PCA pre-training are below MoLaP, especially on T5-T9", "MoLaP above both",
                 below, "05_comparing_methods", n, detail=every),
    ]


# ---------------------------------------------------------------- learning speed


SPEED_METHODS = ("random", "pca", "separate")
"""The methods whose steps to criterion MoLaP's are compared with (those with learning curves)."""


def steps_to_learn(runs: Sequence) -> np.ndarray:
    """(n_seeds, 9) steps to criterion per seed and task; a task never at criterion counts as one
    validation interval past the end of its run (censored)."""
    out = []
    for r in runs:
        steps = np.asarray(r.curve_steps, float)
        end = steps[-1] + (steps[-1] - steps[-2] if len(steps) > 1 else steps[-1])
        out.append(np.nan_to_num(steps_to_criterion(r), nan=end))
    return np.array(out)


def speed_claims(p) -> list[Claim]:
    runs = {m: [P.trained(p, m, s) for s in p.seeds] for m in ("molap",) + SPEED_METHODS}
    return speed_verdicts({m: steps_to_learn(r) for m, r in runs.items()}, p.training.schedule.n_steps)


def speed_verdicts(steps: dict, n_steps: int) -> list[Claim]:
    """steps: {method: (n_seeds, 9) steps to criterion}; n_steps: the run's length (the margin is
    :data:`SPEED_MARGIN` of it). Paired over seeds and tasks: other - MoLaP (positive: MoLaP faster)."""
    margin = SPEED_MARGIN * n_steps
    tests = [(f"{k} - MoLaP", verdict((steps[k] - steps["molap"]).ravel(), margin=margin))
             for k in SPEED_METHODS if k in steps]
    n = len(steps["molap"])
    return [compared("Pre-trained primitives make the heads learn faster (steps to criterion)",
                     "few parameter updates (Table 1), learning from the primitives", tests,
                     "05_comparing_methods", n, unit="steps",
                     detail=f"paired over {n} seeds x 9 tasks; criterion {CRITERION:.0f}% decision units above "
                            f"the trivial policy; margin +-{margin:.0f} steps")]


# ---------------------------------------------------------------- robustness


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
    for every kind of :data:`molap.perturb.KINDS`, molap, dni and separate among the methods;
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


# ---------------------------------------------------------------- generalisation


class Generalisation(NamedTuple):
    """(n_seeds, 9) decision units: each task held out of the corpus (leave-one-out ``held``,
    leave-two-out ``held2`` with its trivial policy ``held2_trivial``), and in the full corpus
    with PCA and with CCA (MoLaP) primitives, on the same seeds."""

    held: np.ndarray
    held2: np.ndarray
    held2_trivial: np.ndarray
    pca_full: np.ndarray
    molap_full: np.ndarray


def generalisation_claims(p) -> list[Claim]:
    folds = {mode: [P.generalisation(p, mode, "cca", s) for s in p.seeds] for mode in ("loo", "l2o")}
    full = {m: [P.trained(p, m, s).test for s in p.seeds] for m in ("pca", "molap")}
    return generalisation_verdicts(Generalisation(
        _field([f.test for f in folds["loo"]], FIELD), _field([f.test for f in folds["l2o"]], FIELD),
        _field([f.test for f in folds["l2o"]], "trivial_decision"), _field(full["pca"], FIELD),
        _field(full["molap"], FIELD)))


def generalisation_verdicts(g: Generalisation) -> list[Claim]:
    n = len(g.held)
    m2, t2 = g.held2.mean(0), g.held2_trivial.mean(0)
    high = int(((m2 > PAPER_BAR) & (m2 > t2)).sum())
    return [
        compared("Leave-one-out: held-out task above full-corpus PCA pre-training", "above",
                 [("held out - PCA", verdict(per_seed(g.held) - per_seed(g.pca_full)))], "08_generalisation", n,
                 detail=f"mean over tasks per seed; per task, above on {int((g.held.mean(0) > g.pca_full.mean(0)).sum())}/9"),
        compared("T7 is noticeably worse when held out", "worse",
                 [("in the corpus - held out", verdict(g.molap_full[:, T7] - g.held[:, T7]))], "08_generalisation", n),
        measured("Leave-two-out stays high (> 70%) on most tasks", "majority",
                 f"{high}/9 tasks above {PAPER_BAR:.0f}% and the trivial policy (mean over {n} seeds)", high >= 5,
                 "08_generalisation", n),
    ]


# ---------------------------------------------------------------- the report


SECTIONS: dict[str, Callable] = {
    "Latent primitives (A.2.1)": primitives_claims,
    "Parameter counts (Table 1, section 4)": count_claims,
    "Accuracy (Fig 2)": accuracy_claims,
    "Learning speed": speed_claims,
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


def as_json(profile=None, cached: bool = False) -> dict:
    """The report as JSON-ready data: {"profile", "claims": [{section, claim, paper, ours,
    verdict, chapter, kind, n_seeds, p, expected}], "missing_sections"}; ``cached``: judge only
    results already computed, and list the sections whose results are not all there."""
    p = get_profile(profile)
    rows = report_cached(p) if cached else report(p)
    out = []
    for sec, claims in rows.items():
        for c in claims or []:
            out.append({"section": sec, **c._asdict(),
                        "p": None if c.p is None or not np.isfinite(c.p) else float(c.p)})
    return {"profile": p.name, "claims": out, "missing_sections": [k for k, v in rows.items() if v is None]}
