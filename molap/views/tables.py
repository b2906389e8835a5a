"""Table rows shared by several chapters' views."""

from __future__ import annotations

from typing import Mapping


def lr_rows(choices: Mapping, prefix: str = "") -> list[dict]:
    """One row per method: each pilot's score keyed by ``prefix`` + the learning rate, and the
    chosen rate. choices: {method: :class:`molap.selection.LRChoice`}."""
    return [dict(method=m, **{f"{prefix}{lr:g}": s for lr, s in zip(c.grid, c.scores)}, chosen=f"{c.lr:g}")
            for m, c in choices.items()]
