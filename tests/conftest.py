"""One result cache for the whole test run, shared by the xdist workers, and the tiny-profile runs
that several test files use, computed once for all of them."""

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

# Set before JAX starts (test modules import it after this file). The unit tests are bound by
# compilation (tiny networks, many distinct shapes): XLA's CPU backend at optimisation level 0
# compiles them about 25% cheaper, and single-threaded Eigen keeps the two xdist workers' thread
# pools from competing for the two cores. Results agree within the tests' tolerances; the book and
# the CLI run at XLA's defaults.
TEST_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false --xla_backend_optimization_level=0"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {TEST_XLA_FLAGS}".strip()


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    """$MOLAP_CACHE for the run: one directory for every worker (each has its own basetemp)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    cache = root / "molap_cache"
    cache.mkdir(exist_ok=True)
    old = os.environ.get("MOLAP_CACHE")
    os.environ["MOLAP_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("MOLAP_CACHE", None)
    else:
        os.environ["MOLAP_CACHE"] = old


@contextmanager
def _exclusive(path: Path):
    """Hold an exclusive lock on ``path`` (a second worker waits, then finds the cached result)."""
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def tiny_frozen(_session_cache):
    """The tiny profile's frozen-module family (molap, pca, random x both seeds, with their
    learning-rate pilots), trained once per test run into the shared cache."""
    from molap import pipeline as P

    with _exclusive(_session_cache / "tiny_frozen.lock"):
        P.trained("tiny", "molap", 0)
    return P.get_profile("tiny")


@pytest.fixture(scope="session")
def tiny_generalisation(tiny_frozen, _session_cache):
    """The tiny profile's leave-two-out PCA folds (9 folds, their fold primitives included),
    computed once per test run into the shared cache. (Variants computed together:
    ``tests/test_generalisation.py``.)"""
    from molap import pipeline as P

    with _exclusive(_session_cache / "tiny_generalisation.lock"):
        P.generalisation(tiny_frozen, "l2o", "pca", 0, together=False)
    return tiny_frozen


@pytest.fixture()
def committed_only(tmp_path, monkeypatch):
    """An empty cache, so every result must come from results/."""
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
