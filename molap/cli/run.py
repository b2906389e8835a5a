"""``molap reproduce``: every result of a profile, in dependency order, here or on a Dask cluster."""

from __future__ import annotations

import sys

from molap.cli.args import budget_arg, positive_int, scheduler_arg

BUDGET_SPENT = 3
"""``molap reproduce --budget-s``'s exit status when it stopped with items left (0: all done)."""


def cmd_reproduce(args) -> None:
    import jax  # the device was selected before JAX started (cli.main)

    cluster = args.workers is not None or args.scheduler is not None
    if cluster:  # the workers compute; this process only submits (no accelerator memory taken here)
        jax.config.update("jax_platforms", "cpu")
    from molap.errors import MolapError
    from molap.profiles import get_profile
    from molap.run.reproduce import check, reproduce
    from molap.store.checkpoint import OutOfBudget
    from molap.training.sharding import describe
    from molap.views.tables import markdown_table

    args.profile = get_profile(args.profile).name  # the book's profile unless one is named
    if args.predict and not args.check:
        raise MolapError("--predict goes with --check (it predicts the GPU time of the missing items)")
    if cluster:
        option = "--workers" if args.workers is not None else "--scheduler"
        if args.check:
            raise MolapError(f"--check computes nothing; expected it without {option}")
        if args.budget_s is not None:
            raise MolapError(f"--budget-s stops the serial run; expected it without {option} (on a cluster, "
                             f"the jobs' own time limits stop the workers, and a run again resumes from the cache)")
        return _reproduce_on_cluster(args)
    if args.check:
        missing = check(args.profile)
        if args.predict:
            from molap.run.timing import predicted_lines
            print("\n".join(predicted_lines(get_profile(args.profile), missing)))
            return None
        for m in missing:
            print(m)
        if missing:
            raise MolapError(f"{len(missing)} result(s) of profile {args.profile!r} are missing or stale; "
                             f"run `molap reproduce --profile {args.profile}`")
        print(f"every result of profile {args.profile!r} is cached or committed for the current configuration")
        return
    print(f"profile {args.profile}, {describe()}: {jax.devices()[0]}", flush=True)
    try:
        summary = reproduce(args.profile, log=lambda m: print(m, flush=True), only=args.stages,
                            budget_s=args.budget_s)
    except OutOfBudget as e:
        print(markdown_table(e.summary, digits=1))
        print(f"total: {sum(r['wall_s'] for r in e.summary):.1f} s (stopped)")
        print(f"molap: stopped after the budget of {args.budget_s:g} s; {len(e.remaining)} item(s) of profile "
              f"{args.profile!r} remain; run the same command again to resume", file=sys.stderr)
        return BUDGET_SPENT
    print(markdown_table(summary, digits=1))
    print(f"total: {sum(r['wall_s'] for r in summary):.1f} s")


def _reproduce_on_cluster(args) -> None:
    from molap.run import distributed
    from molap.views.tables import markdown_table

    with distributed.cluster_client(args.workers, args.scheduler) as client:
        where = (f"a local cluster of {args.workers} worker process(es)" if args.scheduler is None else
                 f"the Dask scheduler at {args.scheduler} ({len(client.scheduler_info()['workers'])} worker(s) now)")
        print(f"profile {args.profile}, on {where}", flush=True)
        summary = distributed.reproduce(client, args.profile, only=args.stages, log=lambda m: print(m, flush=True))
    print(markdown_table(summary, digits=1))


def add_commands(sub) -> None:
    """Register ``reproduce`` on the ``molap`` parser."""
    from molap.names import PROFILE_NAMES as PROFILES
    from molap.names import STAGES

    s = sub.add_parser("reproduce", help="run every experiment of the book in order, filling the cache")
    s.add_argument("--profile", choices=list(PROFILES), default=None,
                   help="the profile to compute (default: the book's, $MOLAP_PROFILE or standard)")
    s.add_argument("--device", choices=["cpu", "gpu"], default=None)
    s.add_argument("--check", action="store_true", help="compute nothing; fail if a result is missing or stale")
    s.add_argument("--stages", nargs="+", choices=STAGES, default=None, help="run only these stages")
    s.add_argument("--predict", action="store_true",
                   help="with --check: each missing item's GPU time, predicted by molap.run.timing from measured H100 costs")
    s.add_argument("--budget-s", type=budget_arg, default=None, metavar="SECONDS",
                   help="stop after SECONDS (training checkpointed, finished results cached) with exit "
                        f"status {BUDGET_SPENT}; the same command again resumes exactly")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help="run the items on a local Dask cluster of N worker processes, each item once, in "
                            "dependency order (needs molap[cluster]; default: one after another, no Dask)")
    where.add_argument("--scheduler", type=scheduler_arg, default=None, metavar="ADDRESS",
                       help="run the items on the workers of the running Dask scheduler at ADDRESS "
                            "(tcp://host:8786); they must share this machine's cache directory (README)")
    s.set_defaults(func=cmd_reproduce)
