"""The on-disk format of a result: one ``.npz`` per object.

Every array of a nested dict of arrays, named tuples, numbers and lists is stored under its path
joined by ``/`` (``heads/w_in``); the entry ``__meta__`` holds JSON with the configuration, the
provenance (package version, git commit, device, wall time) and the structure needed to rebuild
named tuples (each class by its module and name). :func:`save` / :func:`load` round-trip exactly
(float32 arrays bit for bit).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import jax
import numpy as np

from molap.errors import MolapError

MOVED = {
    "molap.generalize": "molap.analysis.generalisation",
    "molap.perturb": "molap.analysis.perturb",
    "molap.selection": "molap.pipeline.selection",
}
"""Modules that the committed files name for a class defined elsewhere since: old -> new."""


def _named_tuple(name: str, module: str | None):
    """The class ``name`` of the package module ``module`` (or of its new place, :data:`MOVED`);
    None outside the package, or where the module has no such class (the fields then load as a dict)."""
    if not module or module.split(".")[0] != __name__.split(".")[0]:
        return None
    try:
        return getattr(importlib.import_module(MOVED.get(module, module)), name, None)
    except ImportError:
        return None


def _flatten(obj, prefix: str, arrays: dict, spec: dict):
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
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
    ``resumed``, of its last part only: it resumed from checkpoints, :mod:`molap.store.checkpoint`).
    ``matmul_precision`` is JAX's ``jax_default_matmul_precision`` ("default": on NVIDIA GPUs
    TensorFloat-32 for float32 matmuls, on the CPU full float32)."""
    from molap import __version__

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

