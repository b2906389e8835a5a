"""Subcommands that fit primitives and train and evaluate networks."""

from __future__ import annotations

import argparse
import json


def _components(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def cmd_primitives(args) -> None:
    from .experiments import get_profile
    from .primitives import PrimitivesConfig, fit

    method = {"cca": "cca", "pca": "pca", "pca-joint": "pca_joint"}[args.method]
    profile = get_profile(args.profile)
    trials = args.trials or profile.primitives_trials
    p = fit(PrimitivesConfig(method, args.components, trials, args.seed, tuple(args.tasks) if args.tasks else None))
    out = {
        "method": method,
        "components": args.components,
        "trials": trials,
        "tasks": args.tasks or "all",
        "r2": None if method != "cca" else p.r2,
        "canonical_correlations": [float(c) for c in p.corr],
        "explained_variance_inputs": None if method == "cca" else [float(v) for v in p.explained_x],
        "explained_variance_targets": None if method == "cca" else [float(v) for v in p.explained_y],
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k, v in out.items():
        print(f"{k:28s} {v}")


def cmd_train(args) -> None:
    from . import experiments as E
    from .report import markdown_table

    r = E.trained(args.profile, args.method, args.seed)
    rows = E.score_rows(r["test"])
    if args.json:
        print(json.dumps({"method": args.method, "profile": E.get_profile(args.profile).name,
                          "seed": args.seed, "test": rows}, indent=2))
        return
    print(markdown_table(rows, ["label", "task", "paper", "code", "decision", "trivial", "trivial_decision"],
                         ["", "task", "paper's rule %", "code's rule %", "decision units %",
                          "trivial policy %", "trivial, decision units %"]))


def cmd_counts(args) -> None:
    from . import counts
    from .report import markdown_table

    real = counts.real_counts()
    stated = counts.stated_sizes()
    out = {"paper_table1": counts.PAPER_TABLE1, "stated_sizes": stated, "ours": real,
           "updates_ratio_dni_over_molap": {
               "paper": counts.PAPER_TABLE1["dni"]["trained"] / counts.PAPER_TABLE1["molap"]["trained"],
               "stated_sizes": stated["dni"]["updates"] / stated["molap"]["updates"],
               "ours": real["dni"]["updates"] / real["molap"]["updates"]}}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    cols = ["method", "total", "trained", "per_task", "updates"]
    for title, table in (("the paper's Table 1", {m: dict(v, updates=float("nan")) for m, v in counts.PAPER_TABLE1.items()}),
                         ("by the paper's stated sizes", stated), ("our networks", real)):
        print(f"\n{title}\n" + markdown_table(counts.table_rows(table), cols, digits=0))
    print("\nparameter updates, DNI / MoLaP: " + ", ".join(f"{k} {v:.1f}x" for k, v in out["updates_ratio_dni_over_molap"].items()))


def add_commands(sub) -> None:
    """Register the science subcommands on the ``molap`` parser."""
    from .experiments import PROFILES
    from .methods import METHODS
    from .tasks import TASK_NAMES

    s = sub.add_parser("primitives", help="fit CCA or PCA primitives and report R2 / explained variance")
    s.add_argument("--method", choices=["cca", "pca", "pca-joint"], default="cca")
    s.add_argument("--components", type=_components, default=2)
    s.add_argument("--tasks", nargs="+", metavar="TASK", help=f"task subset (default all): {' '.join(TASK_NAMES)}")
    s.add_argument("--profile", choices=list(PROFILES), default=None, help="sets the corpus size (default $MOLAP_PROFILE or quick)")
    s.add_argument("--trials", type=int, default=None, help="trials per task in the corpus (overrides the profile)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_primitives)

    s = sub.add_parser("train", help="train task heads on a method's frozen modules and test them")
    s.add_argument("--method", default="molap", help=f"one of {', '.join(METHODS)}")
    s.add_argument("--profile", choices=list(PROFILES), default=None)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("counts", help="parameter counts: the paper's Table 1, its stated sizes, our networks")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_counts)
