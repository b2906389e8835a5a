"""The ``molap`` command line: a thin layer over the library. The parser is built without
importing JAX (``molap --help`` stays fast); each command imports what it runs."""

from __future__ import annotations

import argparse
import sys

from molap.cli import data, run, science
from molap.errors import MolapError


def build_parser() -> argparse.ArgumentParser:
    """The whole parser, built without importing JAX (names and limits from :mod:`molap.names`)."""
    from importlib.metadata import version

    p = argparse.ArgumentParser(prog="molap", description="Modular Latent Primitives (MoLaP) in JAX/Flax.")
    p.add_argument("--version", action="version", version=f"molap {version('molap')}")
    sub = p.add_subparsers(dest="command", required=True)
    for commands in (data, science, run):
        commands.add_commands(sub)
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
