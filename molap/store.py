"""Saving results and networks to disk, and the on-disk cache keyed by configuration.

File format (one ``.npz`` per object): every array of a nested dict of arrays, named tuples,
numbers and lists is stored under its path joined by ``/`` (``heads/w_in``); the entry ``__meta__``
holds JSON with the configuration, the provenance (package version, git commit, device, wall
time) and the structure needed to rebuild named tuples. :func:`save` / :func:`load` round-trip
exactly (float32 arrays bit for bit).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, Callable

import jax
import numpy as np

from .errors import MolapError

_NAMEDTUPLES: dict[str, type] = {}


def register(cls: type) -> type:
    """Allow a NamedTuple class to be rebuilt on load (a decorator, used where the class is defined).
    Saved files also name the class's module, which :func:`load` imports if needed."""
    _NAMEDTUPLES[cls.__name__] = cls
    return cls


def _named_tuple(name: str, module: str | None):
    """A registered class, or the class of that name in the package module the file names."""
    cls = _NAMEDTUPLES.get(name)
    if cls is None and module and module.split(".")[0] == __name__.split(".")[0]:
        import importlib

        cls = getattr(importlib.import_module(module), name, None)
    return cls


def _flatten(obj, prefix: str, arrays: dict, spec: dict):
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        register(type(obj))
        spec[prefix] = {"namedtuple": type(obj).__name__, "module": type(obj).__module__, "fields": list(obj._fields)}
        for f in obj._fields:
            _flatten(getattr(obj, f), f"{prefix}/{f}", arrays, spec)
    elif isinstance(obj, dict):
        spec[prefix] = {"dict": list(obj)}
        for k, v in obj.items():
            if "/" in str(k):
                raise MolapError(f"result keys may not contain '/', got {k!r}")
            _flatten(v, f"{prefix}/{k}", arrays, spec)
    elif isinstance(obj, (list, tuple)) and not all(isinstance(v, (int, float, str, bool)) for v in obj):
        spec[prefix] = {"list": len(obj)}
        for i, v in enumerate(obj):
            _flatten(v, f"{prefix}/{i}", arrays, spec)
    elif isinstance(obj, (jax.Array, np.ndarray)):
        arrays[prefix] = np.asarray(obj)
        spec[prefix] = {"array": True}
    else:
        json.dumps(obj)  # raises for anything we cannot store
        spec[prefix] = {"value": obj}


def _unflatten(prefix: str, data, spec: dict):
    s = spec[prefix]
    if "namedtuple" in s:
        cls = _named_tuple(s["namedtuple"], s.get("module"))
        vals = {f: _unflatten(f"{prefix}/{f}", data, spec) for f in s["fields"]}
        return cls(**vals) if cls is not None else vals
    if "dict" in s:
        return {k: _unflatten(f"{prefix}/{k}", data, spec) for k in s["dict"]}
    if "list" in s:
        return [_unflatten(f"{prefix}/{i}", data, spec) for i in range(s["list"])]
    if "array" in s:
        return data[prefix]
    return s["value"]


def provenance(wall_s: float | None = None, shared_with: int = 1, resumed: bool = False) -> dict:
    """Package version, git commit, device, float32 matmul precision and wall time of a computation
    (``wall_s`` is the share of a computation done for ``shared_with`` results together; with
    ``resumed``, of its last part only: it resumed from checkpoints, :mod:`molap.checkpoint`).
    ``matmul_precision`` is JAX's ``jax_default_matmul_precision`` ("default": on NVIDIA GPUs
    TensorFloat-32 for float32 matmuls, on the CPU full float32)."""
    from . import __version__

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"version": __version__, "commit": commit or os.environ.get("MOLAP_COMMIT"),
            "device": str(jax.devices()[0].device_kind), "jax": jax.__version__, "wall_s": wall_s,
            "shared_with": shared_with, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "matmul_precision": str(jax.config.jax_default_matmul_precision or "default"),
            **({"resumed": True} if resumed else {})}


def save(path: str | os.PathLike, obj: Any, **meta) -> Path:
    """Write ``obj`` (nested dicts, lists, named tuples, arrays, numbers) atomically to ``path``."""
    path = Path(path)
    if not path.parent.is_dir():
        raise MolapError(f"directory {str(path.parent)!r} does not exist")
    arrays, spec = {}, {}
    _flatten(obj, "root", arrays, spec)
    meta_json = json.dumps({"spec": spec, "meta": meta}, default=str)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would keep a shared cache from its other users
    try:
        np.savez(tmp, __meta__=np.array(meta_json), **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load(path: str | os.PathLike, *, with_meta: bool = False):
    """Read what :func:`save` wrote; raises MolapError for a missing or corrupt file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        head = json.loads(str(data.pop("__meta__")))
        obj = _unflatten("root", data, head["spec"])
    except FileNotFoundError:
        raise MolapError(f"no saved result at {str(path)!r}") from None
    except Exception as e:  # zip, JSON or structure errors
        raise MolapError(f"corrupt result file {str(path)!r}: {e}") from None
    return (obj, head["meta"]) if with_meta else obj


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where results are written: ``$MOLAP_CACHE``, else ``.molap_cache`` at the repository root
    (or ~/.cache/molap)."""
    env = os.environ.get("MOLAP_CACHE")
    if env:
        d = Path(env)
    else:
        root = Path(__file__).resolve().parents[1]
        d = root / ".molap_cache" if (root / "pyproject.toml").exists() else Path.home() / ".cache" / "molap"
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
    return Path(env) if env else Path(__file__).resolve().parents[1] / "results"


_READ_ONLY = {"on": False}


_RECORD: list[set] = []


class recording:
    """Within ``with recording() as used:``, every entry file that :func:`lookup` finds is added to
    the set ``used`` (to find committed entries that no current configuration asks for)."""

    def __enter__(self) -> set:
        self.used = set()
        _RECORD.append(self.used)
        return self.used

    def __exit__(self, *exc):
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

    def __exit__(self, *exc):
        _READ_ONLY["on"] = self._old


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


def _plain(config) -> Any:
    if is_dataclass(config):
        return {"__type__": type(config).__name__, **{k: _plain(v) for k, v in _fields(config).items()}}
    if isinstance(config, dict):
        return {str(k): _plain(v) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return [_plain(v) for v in config]
    return config


SCHEMA = 1
"""Bumped whenever a change to the code changes cached results, so old entries become stale."""


def config_key(kind: str, config) -> str:
    """A stable hash of a configuration (dataclasses, dicts, lists, numbers, strings)."""
    text = json.dumps({"kind": kind, "schema": SCHEMA, "config": _plain(config)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
            warnings.warn(f"stale entry {path} (its recorded configuration differs); ignoring it")
        except MolapError as e:
            warnings.warn(f"{e}; ignoring it")
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
        raise MissingResult(f"no {kind!r} result for {_plain(configs[named])}{group} (missing or stale); "
                            f"run `molap reproduce` for this profile")
    from . import checkpoint
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
            save(_path(kind, key, cache_dir()), obj, key=key, kind=kind, config=_plain(configs[i]),
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
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(exist_ok=True)
        self._lock = FileLock(self.path)
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            import logging

            logging.getLogger(__name__).info("waiting for %s (another process is computing these entries)", self.path)
            self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()


def cached(kind: str, config, compute: Callable[[], Any], *, refresh: bool = False):
    """``compute()``'s result for this configuration, from the cache (or the committed results)
    when present and valid."""
    return cached_many(kind, [config], lambda idx: [compute()], refresh=refresh)[0]
