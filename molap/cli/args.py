"""The command line's argument types: each checks its value before any work starts and names
what it expected (argparse prints the line and exits with status 2)."""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path


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


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def finite_float(text: str) -> float:
    value = _float(text, "a number")
    if not math.isfinite(value):
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


def budget_arg(text: str) -> float:
    """A --budget-s value: a positive, finite number of seconds."""
    v = _float(text, "a number of seconds")
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a positive, finite number of seconds, got {text!r}")
    return v


def scheduler_arg(text: str) -> str:
    """A --scheduler value: a Dask scheduler address, ``[tcp|tls|ucx|ws|wss://]host[:port]``."""
    m = re.fullmatch(r"(?:([a-z]+)://)?(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+)(?::(\d+))?", text)
    if not m or (m[1] and m[1] not in ("tcp", "tls", "ucx", "ws", "wss")) or (m[3] and not 0 < int(m[3]) < 65536):
        raise argparse.ArgumentTypeError(f"expected a Dask scheduler address such as tcp://host:8786, got {text!r}")
    return text
