"""Subcommands that fit primitives and train and evaluate networks."""

from __future__ import annotations

import json

from molap.cli.args import count_arg, finite_float, positive_int, seed_arg


def cmd_primitives(args) -> None:
    from molap.primitives import PrimitivesConfig, fit
    from molap.profiles import get_profile

    kind = {"cca": "cca", "pca": "pca", "pca-joint": "pca_joint"}[args.kind]
    profile = get_profile(args.profile)
    trials = profile.primitives.n_trials if args.trials is None else args.trials
    p = fit(PrimitivesConfig(kind, args.components, trials, args.seed, tuple(args.tasks) if args.tasks else None))
    out = {
        "kind": kind,
        "components": args.components,
        "trials": trials,
        "tasks": args.tasks or "all",
        "r2": None if kind != "cca" else p.r2,
        "canonical_correlations": [float(c) for c in p.corr],
        "explained_variance_inputs": None if kind == "cca" else [float(v) for v in p.explained_x],
        "explained_variance_targets": None if kind == "cca" else [float(v) for v in p.explained_y],
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k, v in out.items():
        print(f"{k:28s} {v}")


def cmd_train(args) -> None:
    from molap import pipeline as P
    from molap.tasks import get_tasks
    from molap.views.tables import markdown_table, score_rows

    tasks = None if args.tasks is None else get_tasks(args.tasks)  # every name resolved before any training
    r = P.trained(args.profile, args.method, args.seed, tasks=tasks)
    rows = score_rows(r.test)
    if args.json:
        out = {"method": args.method, "profile": P.get_profile(args.profile).name, "seed": args.seed,
               "tasks": list(r.tasks), "test": rows}
        if r.after_own is not None:  # methods that train tasks in sequence: right after each task's own training
            out["after_own"] = score_rows(r.after_own)
        print(json.dumps(out, indent=2))
        return
    cols = ["label", "task", "paper", "code", "decision", "trivial", "trivial_decision"]
    heads = ["", "task", "paper's rule %", "code's rule %", "decision units %", "trivial policy %",
             "trivial, decision units %"]
    print(("after the whole sequence\n" if r.after_own is not None else "") + markdown_table(rows, cols, heads))
    if r.after_own is not None:
        print("\nright after each task's own training\n" + markdown_table(score_rows(r.after_own), cols, heads))


def cmd_counts(args) -> None:
    from molap.claims import counts
    from molap.views.tables import markdown_table

    real = counts.real_counts()
    stated = counts.stated_sizes()
    r = counts.ratios(real)
    out = {"paper_table1": counts.PAPER_TABLE1, "stated_sizes": stated, "ours": {m: c._asdict() for m, c in real.items()},
           "updates_ratio_dni_over_molap": {"paper": r.paper, "stated_sizes": r.stated, "ours": r.ours_dni}}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    cols = ["method", "total", "trained", "per_task", "updates"]
    for title, table in (("the paper's Table 1", {m: dict(v, updates=float("nan")) for m, v in counts.PAPER_TABLE1.items()}),
                         ("by the paper's stated sizes", stated), ("our networks", real)):
        print(f"\n{title}\n" + markdown_table(counts.table_rows(table), cols, digits=0))
    print("\nparameter updates, DNI / MoLaP: " + ", ".join(f"{k} {v:.1f}x" for k, v in out["updates_ratio_dni_over_molap"].items()))


def cmd_perturb(args) -> None:
    import numpy as np

    from molap import pipeline as P
    from molap.errors import MolapError
    from molap.tasks import TASK_NAMES, TASKS, get_tasks
    from molap.views.tables import markdown_table

    names = [t.name for t in get_tasks(args.tasks or None)]
    outside = [t.name + ("" if t.name not in TASKS else f" (a task of its own named {t.name!r})")
               for t in get_tasks(args.tasks or None) if TASKS.get(t.name) != t]
    if outside:
        raise MolapError(f"perturbation sweeps test the corpus's tasks ({', '.join(TASK_NAMES)}); "
                         f"got {', '.join(outside)}")
    s = P.perturbation(args.profile, args.method, args.kind, args.seed, levels=args.levels)
    idx = [s.tasks.index(n) for n in names]
    acc = np.stack([s.paper, s.decision], -1)[:, :, idx, :]  # (levels, draws, tasks, 2)
    rows = []
    for i, lv in enumerate(s.levels):
        a = acc[i].mean(1)  # task mean per draw: (draws, 2)
        rows.append({"level": float(lv), "paper_mean": float(a[:, 0].mean()), "paper_sd": float(a[:, 0].std()),
                     "decision_mean": float(a[:, 1].mean()), "decision_sd": float(a[:, 1].std())})
    if args.json:
        print(json.dumps({"method": args.method, "kind": args.kind, "tasks": names, "draws": int(acc.shape[1]),
                          "levels": rows}, indent=2))
        return
    print(f"{args.method}, {args.kind}, mean over {len(names)} task(s) and {acc.shape[1]} draws")
    print(markdown_table(rows, digits=2))


def cmd_generalisation(args) -> None:
    from molap import pipeline as P
    from molap.views.tables import markdown_table

    r = P.generalisation(args.profile, args.mode, args.kind, args.seed)
    rows = [{"task": t, "left_out": "+".join(o), "r2": float(r2), **r.test[t]._asdict()}
            for t, o, r2 in zip(r.tasks, r.left_out, r.r2)]
    if args.json:
        print(json.dumps({"mode": args.mode, "kind": args.kind, "folds": rows}, indent=2))
        return
    print(markdown_table(rows, ["task", "left_out", "r2", "paper", "decision", "trivial_decision"], digits=3))


def cmd_claims(args) -> None:
    from molap import claims
    from molap.profiles import get_profile
    from molap.views.tables import markdown_table

    p = get_profile(args.profile)
    out = claims.as_json(p, cached=not args.compute)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"profile {out['profile']}: {len(out['claims'])} claims"
          + (f"; not computed: {', '.join(out['missing_sections'])} (run `molap reproduce --profile {p.name}`, "
             f"or add --compute)" if out["missing_sections"] else ""))
    for sec in dict.fromkeys(c["section"] for c in out["claims"]):
        rows = [{**c, "p": "" if c["p"] is None else f"{c['p']:.2g}", "n_seeds": c["n_seeds"] or "",
                 "expected": c["expected"] or ""} for c in out["claims"] if c["section"] == sec]
        print(f"\n{sec}\n" + markdown_table(rows, ["claim", "paper", "ours", "n_seeds", "kind", "p", "expected",
                                                    "verdict", "chapter"]))


def add_commands(sub) -> None:
    """Register the science subcommands on the ``molap`` parser."""
    from molap.names import MAX_FIT_TRIALS, MODES, PERTURB_KINDS, TASK_NAMES
    from molap.names import PROFILE_NAMES as PROFILES

    method_names = "a registered method (an unknown name lists them); default molap"

    s = sub.add_parser("primitives", help="fit CCA or PCA primitives and report R2 / explained variance")
    s.add_argument("--kind", choices=["cca", "pca", "pca-joint"], default="cca", help="the primitive kind")
    s.add_argument("--components", type=positive_int, default=2)
    s.add_argument("--tasks", nargs="+", metavar="TASK", help=f"task subset (default all): {' '.join(TASK_NAMES)}")
    s.add_argument("--profile", choices=list(PROFILES), default=None, help="sets the corpus size (default $MOLAP_PROFILE or standard)")
    s.add_argument("--trials", type=count_arg(MAX_FIT_TRIALS), default=None,
                   help="trials per task in the corpus (overrides the profile)")
    s.add_argument("--seed", type=seed_arg, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_primitives)

    s = sub.add_parser("train", help="train a method on the nine tasks, or on any tasks (cached), and test it")
    s.add_argument("--method", default="molap", help=method_names)
    s.add_argument("--tasks", nargs="+", metavar="TASK", default=None,
                   help="train on these tasks instead of the nine (frozen modules stay the corpus's; DNI: in this "
                        "order): corpus or extra task names, path/to/file.py:NAME or package.module:NAME")
    s.add_argument("--profile", choices=list(PROFILES), default=None)
    s.add_argument("--seed", type=seed_arg, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("perturb", help="accuracy of a trained method under lesions, noise or silencing")
    s.add_argument("--kind", choices=list(PERTURB_KINDS), required=True)
    s.add_argument("--method", default="molap", help=method_names)
    s.add_argument("--profile", choices=list(PROFILES), default=None)
    s.add_argument("--tasks", nargs="+", metavar="TASK")
    s.add_argument("--levels", nargs="+", type=finite_float, help="levels (percent, or sigma for noise); default: the paper's grid")
    s.add_argument("--seed", type=seed_arg, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_perturb)

    s = sub.add_parser("generalisation", aliases=["generalize"], help="leave-one-out / leave-two-out generalisation (Fig 5)")
    s.add_argument("--mode", choices=list(MODES), default="loo")
    s.add_argument("--kind", choices=["cca", "pca"], default="cca", help="the primitive kind of the folds")
    s.add_argument("--profile", choices=list(PROFILES), default=None)
    s.add_argument("--seed", type=seed_arg, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_generalisation)


    s = sub.add_parser("claims", help="every claim of the paper: our number, n seeds, the test, the verdict")
    s.add_argument("--profile", choices=list(PROFILES), default=None,
                   help="the results to judge (default: the book's, $MOLAP_PROFILE or standard)")
    s.add_argument("--compute", action="store_true",
                   help="compute missing results (default: judge only what is cached or committed)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_claims)

    s = sub.add_parser("counts", help="parameter counts: the paper's Table 1, its stated sizes, our networks")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_counts)
