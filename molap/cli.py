"""The ``molap`` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import MolapError


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def seed_arg(text: str) -> int:
    """A ``--seed``: an integer in [0, 2**32) (a larger or negative one would alias another seed)."""
    value = _int(text)
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(f"expected a seed in [0, 2**32), got {text!r}")
    return value


def count_arg(limit: int, what: str = "trials"):
    """A positive integer of at most ``limit`` (checked before any work is done)."""
    def parse(text: str) -> int:
        value = positive_int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"expected at most {limit:,} {what}, got {text!r}")
        return value
    return parse


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def npz_path(text: str) -> Path:
    """An ``--out`` file: a path ending in .npz, in a directory that exists, not a directory itself."""
    out = Path(text)
    if out.suffix != ".npz":
        raise argparse.ArgumentTypeError(f"expected a file name ending in .npz, got {text!r}")
    if out.is_dir():
        raise argparse.ArgumentTypeError(f"expected a file, got the directory {text!r}")
    if not out.parent.is_dir():
        raise argparse.ArgumentTypeError(f"output directory {str(out.parent)!r} does not exist")
    return out




def _print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(_fmt(r[c]).ljust(widths[c]) for c in columns))


def _fmt(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def cmd_tasks(args) -> None:
    from .tasks import task_table

    rows = task_table()
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows, ["label", "name", "n_in", "n_out", "n_steps", "description"])


def cmd_sample(args) -> None:
    import jax
    import numpy as np

    from .tasks import sample

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


def build_parser() -> argparse.ArgumentParser:
    """The whole parser, built without importing JAX (names and limits from :mod:`molap.names`)."""
    from .names import MAX_TRIALS
    from importlib.metadata import version

    p = argparse.ArgumentParser(prog="molap", description="Modular Latent Primitives (MoLaP) in JAX/Flax.")
    p.add_argument("--version", action="version", version=f"molap {version('molap')}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("tasks", help="list the nine tasks")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_tasks)

    s = sub.add_parser("sample", help="draw a batch of one task and save it as .npz")
    s.add_argument("task")
    s.add_argument("--trials", type=count_arg(MAX_TRIALS), default=200)
    s.add_argument("--seed", type=seed_arg, default=0)
    s.add_argument("--out", type=npz_path, required=True, help="output .npz file")
    s.set_defaults(func=cmd_sample)

    from . import cli_science

    cli_science.add_commands(sub)
    return p


def _select_device(argv: list[str]) -> None:
    """``--device cpu|gpu`` must reach JAX before it starts (importing molap starts it)."""
    import os

    for i, a in enumerate(argv):
        value = a.split("=", 1)[1] if a.startswith("--device=") else argv[i + 1] if a == "--device" and i + 1 < len(argv) else None
        if value in ("cpu", "gpu"):
            os.environ["JAX_PLATFORMS"] = "cuda" if value == "gpu" else "cpu"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "jax" not in sys.modules:
        _select_device(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0  # a command may return its own exit status (reproduce: 3)
    except MolapError as e:
        print(f"molap: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
