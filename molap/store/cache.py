"""The on-disk cache: a result per configuration, looked up in the cache and then in the
committed results, computed (under a file lock) only when missing, and written in the format of
:mod:`molap.store.format` under its key (:mod:`molap.store.keys`)."""

from __future__ import annotations

import hashlib
import logging
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from molap.errors import MolapError
from molap.store import checkpoint
from molap.store.folders import cache_dir, results_dir
from molap.store.format import load, provenance, save
from molap.store.keys import config_key, plain

_READ_ONLY = {"on": False}


_RECORD: list[set] = []


class recording:
    """Within ``with recording() as used:``, every entry file that :func:`lookup` finds is added to
    the set ``used`` (to find committed entries that no current configuration asks for)."""

    def __enter__(self) -> set:
        self.used = set()
        _RECORD.append(self.used)
        return self.used

    def __exit__(self, *_exc):
        _RECORD.remove(self.used)


class MissingResult(MolapError):
    """A result that read-only mode (:func:`read_only`) would have had to compute."""


class read_only:
    """Within ``with read_only():`` a result that is neither cached nor committed raises
    :class:`MissingResult` instead of being computed (``molap reproduce --check``). The
    environment variable ``MOLAP_READ_ONLY=1`` does the same for a whole process (a book that
    must be built from committed results only, as in CI)."""

    def __enter__(self):
        self._old, _READ_ONLY["on"] = _READ_ONLY["on"], True

    def __exit__(self, *_exc):
        _READ_ONLY["on"] = self._old



def _path(kind: str, key: str, folder: Path) -> Path:
    return folder / f"{kind}-{key}.npz"


def lookup(kind: str, config):
    """(found, result): the valid entry for this configuration in the cache or the committed
    results. A corrupt entry, or one whose recorded key differs, is reported and ignored."""
    key = config_key(kind, config)
    for folder in (cache_dir(), results_dir()):
        path = _path(kind, key, folder)
        if not path.exists():
            continue
        try:
            obj, meta = load(path, with_meta=True)
            if meta.get("key") == key:
                for used in _RECORD:
                    used.add(path.resolve())
                return True, obj
            warnings.warn(f"stale entry {path} (its recorded configuration differs); ignoring it", stacklevel=2)
        except MolapError as e:
            warnings.warn(f"{e}; ignoring it", stacklevel=2)
    return False, None


def lookup_meta(kind: str, config) -> dict | None:
    """The stored metadata (key, kind, config, provenance) of this configuration's valid entry, or None."""
    key = config_key(kind, config)
    for folder in (cache_dir(), results_dir()):
        path = _path(kind, key, folder)
        if path.exists():
            try:
                meta = load(path, with_meta=True)[1]
            except MolapError:
                continue
            if meta.get("key") == key:
                return meta
    return None


def cached_many(kind: str, configs: list, compute: Callable[[list[int]], list], *, refresh: bool = False,
                asked: int | None = None) -> list:
    """Results for several configurations of one kind: the entries found are loaded, and the
    missing ones are computed together by ``compute(indices)`` (a list of results in the same
    order), then written to the cache one entry each. ``asked``: the index of the configuration
    the caller wants (the others are computed with it); a read-only miss names it.

    Missing entries are computed under the group's file lock (:class:`entry_lock`), after looking
    them up once more: processes that share a cache (``molap reproduce --workers``, two
    notebooks) compute each entry once, the later ones waiting for it and loading it."""
    out, missing = [None] * len(configs), []
    for i, c in enumerate(configs):
        found, obj = (False, None) if refresh else lookup(kind, c)
        if found:
            out[i] = obj
        else:
            missing.append(i)
    if not missing:
        return out
    ro = _READ_ONLY["on"] or os.environ.get("MOLAP_READ_ONLY", "") not in ("", "0")
    if not ro:
        cache_dir()  # a cache that cannot be written fails now, not after the work is done
    if ro:
        named = asked % len(configs) if asked is not None and asked % len(configs) in missing else missing[0]
        others = len(missing) - 1
        group = f" (computed together with {others} other missing result(s))" if others else ""
        raise MissingResult(f"no {kind!r} result for {plain(configs[named])}{group} (missing or stale); "
                            f"run `molap reproduce` for this profile")
    checkpoint.check(f"computing a {kind!r} result")
    with entry_lock(kind, [config_key(kind, configs[i]) for i in missing]):
        if not refresh:  # another process may have written some while we waited for the lock
            for i in list(missing):
                found, obj = lookup(kind, configs[i])
                if found:
                    out[i] = obj
                    missing.remove(i)
            if not missing:
                return out
        keys = " ".join(config_key(kind, configs[i]) for i in missing)
        name = f"{kind}-" + hashlib.sha256(keys.encode()).hexdigest()[:16]  # the checkpoints' frame, as before
        t = time.perf_counter()
        with checkpoint.frame(name) as fr:
            results = compute(missing)
        wall = (time.perf_counter() - t) / len(missing)
        for i, obj in zip(missing, results):
            key = config_key(kind, configs[i])
            save(_path(kind, key, cache_dir()), obj, key=key, kind=kind, config=plain(configs[i]),
                 provenance=provenance(wall, shared_with=len(missing), resumed=fr["resumed"]))
            out[i] = obj
    return out


def lock_path(kind: str, keys: list[str]) -> Path:
    """The lock file of a group of entries (``keys``: their :func:`config_key`, in any order):
    ``<cache>/.locks/<kind>-<hash of the sorted keys>.lock``. Two processes that miss the same
    group, in whatever order they list it, take the same lock."""
    name = f"{kind}-" + hashlib.sha256(" ".join(sorted(keys)).encode()).hexdigest()[:16]
    return cache_dir() / ".locks" / f"{name}.lock"


class entry_lock:
    """``with entry_lock(kind, keys):`` holds the group's file lock (:func:`lock_path`; the
    :mod:`filelock` package, ``flock`` where the filesystem has it): a second process (or
    thread) missing the same entries waits here, then finds them written. Held while the entries
    are computed; a process that dies releases it (flock). Nested locks follow the pipeline's
    dependencies (an entry waits only on entries it is computed from), so they cannot deadlock."""

    def __init__(self, kind: str, keys: list[str]):
        self.path = lock_path(kind, keys)

    def __enter__(self):
        self.path.parent.mkdir(exist_ok=True)
        self._lock = FileLock(self.path)
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            logging.getLogger(__name__).info("waiting for %s (another process is computing these entries)", self.path)
            self._lock.acquire()
        return self

    def __exit__(self, *_exc):
        self._lock.release()


def cached(kind: str, config, compute: Callable[[], Any], *, refresh: bool = False):
    """``compute()``'s result for this configuration, from the cache (or the committed results)
    when present and valid."""
    return cached_many(kind, [config], lambda idx: [compute()], refresh=refresh)[0]
