"""Every item of a profile as a Dask task graph, run on a cluster (``molap reproduce --workers N`` or
``--scheduler ADDRESS``; the extra ``molap[cluster]``).

One task per item of :func:`molap.run.reproduce.stages`: it runs the item's thunk in a worker process,
which loads the item's entries from the cache or computes them and writes them there, and returns
a small record (no arrays travel). A task starts once the items it depends on are done, so every
entry is computed once, from entries already written; whichever worker computes it, it is the
same bit for bit as in the serial run (``tests/test_distributed.py``). Two tasks that still need
the same missing entry (an input computed together with others) take its lock
(:class:`molap.store.entry_lock`): one computes it, the other waits and loads it.
The items and their dependencies are :func:`molap.run.graph.graph`.

The workers must share the cache directory: each task gets this process's ``MOLAP_*`` variables
(over the worker's own), with ``MOLAP_CACHE`` (and ``MOLAP_RESULTS``, ``MOLAP_CHECKPOINTS`` where
set) as absolute paths, and fails with a one-line error if it does not find the run's marker file
there. What JAX and BLAS read when a process starts (``JAX_*``, ``XLA_*``, the thread counts) is
set where the worker processes start: :func:`local_cluster` passes this process's; a cluster
started by hand or by dask-jobqueue sets its own. Dask is imported only by the functions that
need it.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from molap import store
from molap.errors import MolapError
from molap.profiles import Profile, get_profile
from molap.run.graph import graph
from molap.run.reproduce import stages

PATH_VARIABLES = ("MOLAP_CACHE", "MOLAP_RESULTS", "MOLAP_CHECKPOINTS")
"""The ``MOLAP_*`` variables that name directories: passed to the workers as absolute paths."""


def worker_env() -> dict[str, str]:
    """The ``MOLAP_*`` variables of this process, for each task: ``MOLAP_CACHE`` is always set (this
    process's cache directory) and the directories are absolute paths (a worker runs elsewhere)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("MOLAP_")}
    env["MOLAP_CACHE"] = str(store.cache_dir().resolve())
    for k in PATH_VARIABLES:
        if env.get(k):
            env[k] = os.path.abspath(env[k])
    return env


_THUNKS: dict[Profile, dict[tuple[str, str], Callable]] = {}
_OWN: dict[str, str] | None = None
"""The worker process's own ``MOLAP_*`` variables, as they were before its first task."""


def _adopt(env: dict[str, str]) -> None:
    """Set the ``MOLAP_*`` variables to the worker's own, overridden by the client's ``env`` (a
    variable an earlier client set does not stay; tasks of one client running side by side in
    one worker's threads see no variable removed or changed)."""
    global _OWN
    if _OWN is None:
        _OWN = {k: v for k, v in os.environ.items() if k.startswith("MOLAP_")}
    want = _OWN | env
    for k in [k for k in os.environ if k.startswith("MOLAP_") and k not in want]:
        del os.environ[k]
    for k, v in want.items():
        if os.environ.get(k) != v:
            os.environ[k] = v


def _host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_item(profile: Profile, stage: str, name: str, env: dict[str, str], marker: str, *done) -> dict:
    """A task (in a worker process): adopt ``env`` (the client's ``MOLAP_*`` variables, over the
    worker's own), check that the cache directory holds the run's ``marker`` file, run the item.
    ``done``: the records of the items it depends on (unused: their entries are in the cache).
    Returns {"stage", "item", "seconds", "worker": "host:pid"}."""
    _adopt(env)
    cache = Path(env["MOLAP_CACHE"])
    if not (cache / marker).exists():
        raise MolapError(f"the worker {_host()} does not see the cache directory {str(cache)!r} (no marker file "
                         f"{marker!r}); expected MOLAP_CACHE on a filesystem shared by the client and every worker")
    if profile not in _THUNKS:
        _THUNKS[profile] = {(s, n): thunk for s, its in stages(profile) for n, thunk in its}
    thunk = _THUNKS[profile].get((stage, name))
    if thunk is None:
        raise MolapError(f"the worker {_host()} has no item {name!r} in stage {stage!r} of profile {profile.name!r}; "
                         f"expected the client's molap (same version, methods and extras) on every worker")
    t = time.perf_counter()
    thunk()
    return {"stage": stage, "item": name, "seconds": time.perf_counter() - t, "worker": _host()}


def reproduce(client, profile: str | Profile | None = None, only: tuple[str, ...] | None = None,
              log: Callable[[str], None] = print) -> list[dict]:
    """Run the profile's items (:func:`graph`; ``only``: these stages and their inputs) on a
    ``dask.distributed.Client``, each item once, into the shared cache. Logs each item as it
    finishes; returns per stage {"stage", "items", "worker_s"} (the items' seconds on their
    workers, added up). An item that fails cancels the others and its exception is raised."""
    from distributed import as_completed

    p = get_profile(profile)
    items = graph(p, only)
    env = worker_env()
    marker = Path(env["MOLAP_CACHE"]) / f".molap-run-{uuid.uuid4().hex[:12]}"
    marker.touch()
    token = store.config_key("dask", {"profile": p, "env": env})[:8]  # the same run from two clients: the same tasks
    futures = {}
    t0 = time.perf_counter()
    try:
        for it in items:
            futures[it.key] = client.submit(run_item, p, it.stage, it.name, env, marker.name,
                                            *(futures[d] for d in it.deps), key=f"molap {it.key} ({token})")
        item_of = {f.key: it for it, f in zip(items, futures.values())}
        total = {s: sum(it.stage == s for it in items) for s in dict.fromkeys(it.stage for it in items)}
        count = dict.fromkeys(total, 0)
        seconds = dict.fromkeys(total, 0.0)
        for fut in as_completed(list(futures.values())):
            it = item_of[fut.key]
            try:
                rec = fut.result()
            except BaseException:
                log(f"[{it.stage}] {it.name}: failed; the items not done are cancelled")
                client.cancel(list(futures.values()))
                raise
            count[it.stage] += 1
            seconds[it.stage] += rec["seconds"]
            log(f"[{it.stage} {count[it.stage]}/{total[it.stage]}] {it.name}: {rec['seconds']:.1f} s on "
                f"{rec['worker']}")
    finally:
        marker.unlink(missing_ok=True)
    log(f"{len(items)} item(s) in {time.perf_counter() - t0:.1f} s")
    return [{"stage": s, "items": count[s], "worker_s": seconds[s]} for s in total]


def _dask():
    try:
        import dask
        import distributed
    except ImportError:
        raise MolapError("running on a Dask cluster needs the extra molap[cluster] (dask[distributed]); "
                         "expected `pip install 'molap[cluster]'`") from None
    return dask, distributed


def local_cluster(n_workers: int):
    """A ``distributed.LocalCluster`` of ``n_workers`` worker processes, 1 thread each, no memory
    limit (as a serial run) and no dashboard. The workers start with this process's environment:
    Dask's default OMP/MKL/OpenBLAS thread counts of 1 are not set, so the numbers are the serial
    run's; with several workers, JAX allocates GPU memory as needed (not 75% each)."""
    dask, distributed = _dask()
    env = {k: v for k, v in os.environ.items() if k.startswith(("JAX_", "XLA_"))} | worker_env()
    if n_workers > 1:
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 65536}}):
        return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, memory_limit=0,
                                        dashboard_address=None, env=env)


def connect(address: str, timeout_s: float = 10.0):
    """A ``distributed.Client`` of the running scheduler at ``address`` (``tcp://host:8786``); a
    one-line error if none answers within ``timeout_s`` seconds."""
    _, distributed = _dask()
    try:
        return distributed.Client(address, timeout=f"{timeout_s:g}s")
    except (OSError, TimeoutError, ValueError) as e:
        raise MolapError(f"no Dask scheduler answered at {address!r} within {timeout_s:g} s ({type(e).__name__}); "
                         f"expected the address of a running scheduler (`dask scheduler` prints it)") from None


@contextmanager
def cluster_client(workers: int | None = None, scheduler: str | None = None):
    """``with cluster_client(workers=N)`` or ``cluster_client(scheduler=ADDRESS) as client``: a
    ``distributed.Client`` of a new :func:`local_cluster`, or of a running scheduler; closed
    (the local cluster too) on exit."""
    _, distributed = _dask()
    if (workers is None) == (scheduler is None):
        raise MolapError(f"expected either a number of workers or a scheduler address, got workers={workers!r} "
                         f"and scheduler={scheduler!r}")
    if scheduler is not None:
        with connect(scheduler) as client:
            yield client
    else:
        with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
            yield client
