"""A chapter's hidden checks: each view's ``check`` functions assert what its prose says."""

from __future__ import annotations


def require(ok, message: str) -> None:
    """Raise AssertionError(``message``) unless ``ok``: a chapter's check that names what failed
    (a bare ``assert`` is skipped under ``python -O`` and says nothing)."""
    if not bool(ok):
        raise AssertionError(message)
