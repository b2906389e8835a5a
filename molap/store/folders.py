"""Where results live: the cache (written) and the committed results (read after it)."""

from __future__ import annotations

import os
from pathlib import Path

from molap.errors import MolapError

ROOT = Path(__file__).resolve().parents[2]
"""The repository root of a source checkout (its ``pyproject.toml`` marks it)."""


def cache_dir() -> Path:
    """Where results are written: ``$MOLAP_CACHE``, else ``.molap_cache`` at the repository root
    (or ~/.cache/molap)."""
    env = os.environ.get("MOLAP_CACHE")
    if env:
        d = Path(env)
    else:
        d = ROOT / ".molap_cache" if (ROOT / "pyproject.toml").exists() else Path.home() / ".cache" / "molap"
    where = f"MOLAP_CACHE={env!r}" if env else f"the cache directory {str(d)!r}"
    if d.exists() and not d.is_dir():
        raise MolapError(f"{where} is not a directory; expected a writable directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MolapError(f"{where} cannot be created ({e.strerror}); expected a writable directory") from None
    if not os.access(d, os.W_OK | os.X_OK):
        raise MolapError(f"{where} is not writable; expected a writable directory")
    return d


def results_dir() -> Path:
    """The committed results (``results/`` at the repository root, or ``$MOLAP_RESULTS``): read
    after the cache, never written by :func:`cached`."""
    env = os.environ.get("MOLAP_RESULTS")
    if env and not Path(env).is_dir():
        raise MolapError(f"MOLAP_RESULTS={env!r} is not a directory; expected the committed results' directory")
    return Path(env) if env else ROOT / "results"

