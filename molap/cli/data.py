"""``molap tasks`` and ``molap sample``: the task corpus from the shell."""

from __future__ import annotations

import json

from molap.cli.args import count_arg, npz_path, seed_arg


def _print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(_fmt(r[c]).ljust(widths[c]) for c in columns))


def _fmt(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def cmd_tasks(args) -> None:
    from molap.tasks import task_table

    rows = task_table()
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows, ["label", "name", "n_in", "n_out", "n_steps", "description"])


def cmd_sample(args) -> None:
    import jax
    import numpy as np

    from molap.tasks import sample

    out = args.out
    batch = sample(args.task, jax.random.key(args.seed), args.trials)
    np.savez(
        out,
        inputs=np.asarray(batch.inputs, np.float32),
        targets=np.asarray(batch.targets, np.float32),
        theta1=np.asarray(batch.theta1),
        theta2=np.asarray(batch.theta2),
        **{f"var_{k}": np.asarray(v) for k, v in batch.variables.items()},  # a task's own trial variables
    )
    extra = "".join(f", var_{k} {tuple(v.shape)}" for k, v in batch.variables.items())
    print(f"wrote {out}: inputs {batch.inputs.shape}, targets {batch.targets.shape}{extra}")


def add_commands(sub) -> None:
    """Register ``tasks`` and ``sample`` on the ``molap`` parser."""
    from molap.names import MAX_TRIALS

    s = sub.add_parser("tasks", help="list the nine tasks")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_tasks)

    s = sub.add_parser("sample", help="draw a batch of one task and save it as .npz")
    s.add_argument("task")
    s.add_argument("--trials", type=count_arg(MAX_TRIALS), default=200)
    s.add_argument("--seed", type=seed_arg, default=0)
    s.add_argument("--out", type=npz_path, required=True, help="output .npz file")
    s.set_defaults(func=cmd_sample)
