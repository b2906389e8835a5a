"""Markdown tables for the book and the CLI, and table rows shared by several chapters' views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from molap.tasks import PAPER_LABELS


def fmt(v, digits: int = 1) -> str:
    """A cell: floats with ``digits`` decimals, everything else as str."""
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def markdown_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None,
                   headers: Sequence[str] | None = None, digits: int = 1) -> str:
    """Rows of dicts as a Markdown table (columns default to the first row's keys)."""
    rows = [r._asdict() if hasattr(r, "_asdict") else r for r in rows]
    columns = list(columns or rows[0].keys())
    headers = list(headers or columns)
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(fmt(r[c], digits) for c in columns) + " |" for r in rows]
    return "\n".join(out)


def show_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None,
               headers: Sequence[str] | None = None, digits: int = 1):
    """Display a Markdown table in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(markdown_table(rows, columns, headers, digits)))


def score_rows(test: Mapping) -> list[dict]:
    """Per-task rows of test scores ({task: Scores}) for tables."""
    return [dict(label=PAPER_LABELS.get(name, name), task=name, **s._asdict()) for name, s in test.items()]


def lr_rows(choices: Mapping, prefix: str = "") -> list[dict]:
    """One row per method: each pilot's score keyed by ``prefix`` + the learning rate, and the
    chosen rate. choices: {method: :class:`molap.pipeline.selection.LRChoice`}."""
    return [dict(method=m, **{f"{prefix}{lr:g}": s for lr, s in zip(c.grid, c.scores)}, chosen=f"{c.lr:g}")
            for m, c in choices.items()]
