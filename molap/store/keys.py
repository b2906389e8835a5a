"""Cache keys: a stable hash of a configuration (dataclasses, dicts, lists, numbers, strings).

A dataclass is keyed by its class name and its fields (:data:`OMIT_DEFAULT` fields left out while
they have their default); the module a class lives in is not part of any key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from typing import Any

OMIT_DEFAULT = {"omit_default": True}
"""Metadata of a dataclass field that is left out of cache keys while it has its default value:
an option added later whose default reproduces the earlier behaviour keeps every key computed
before it (``field(default=..., metadata=OMIT_DEFAULT)``)."""


def _fields(value) -> Any:
    """:func:`dataclasses.asdict`, leaving out :data:`OMIT_DEFAULT` fields that have their default."""
    if is_dataclass(value):
        return {f.name: _fields(getattr(value, f.name)) for f in fields(value)
                if not (f.metadata.get("omit_default") and getattr(value, f.name) == f.default)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(_fields(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_fields(v) for v in value)
    if isinstance(value, dict):
        return {k: _fields(v) for k, v in value.items()}
    return value


def plain(config) -> Any:
    if is_dataclass(config):
        return {"__type__": type(config).__name__, **{k: plain(v) for k, v in _fields(config).items()}}
    if isinstance(config, dict):
        return {str(k): plain(v) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return [plain(v) for v in config]
    return config


SCHEMA = 1
"""Bumped whenever a change to the code changes cached results, so old entries become stale."""


def config_key(kind: str, config) -> str:
    """A stable hash of a configuration (dataclasses, dicts, lists, numbers, strings)."""
    text = json.dumps({"kind": kind, "schema": SCHEMA, "config": plain(config)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]

