"""The cache's lock per entry (molap.store.entry_lock): processes that miss the same entry at once
compute it once; the others wait for it and load it."""

import multiprocessing as mp
import time
from pathlib import Path

import numpy as np

from molap import store


def _ask(configs: list, marker: str, barrier, results) -> None:
    """In a spawned process: ask for entries of kind "lock-test" whose compute sleeps 1 s and
    appends a line per computed index to ``marker``."""
    def compute(idx):
        time.sleep(1.0)
        with open(marker, "a") as f:
            f.writelines(f"{configs[i]['x']}\n" for i in idx)
        return [{"value": np.full(3, configs[i]["x"], np.float32)} for i in idx]

    barrier.wait()  # both processes have imported molap: ask at the same time
    out = store.cached_many("lock-test", configs, compute)
    results.put([float(o["value"][0]) for o in out])


def _race(tmp_path, monkeypatch, orders: list[list]) -> tuple[list[str], list]:
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MOLAP_RESULTS", str(tmp_path))  # no committed entries
    marker = tmp_path / "computed.txt"
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(len(orders)), ctx.Queue()
    procs = [ctx.Process(target=_ask, args=(configs, str(marker), barrier, results)) for configs in orders]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return marker.read_text().split(), got


def test_two_processes_compute_a_missing_entry_once(tmp_path, monkeypatch):
    computed, got = _race(tmp_path, monkeypatch, [[{"x": 7}], [{"x": 7}]])
    assert computed == ["7"]  # one process computed it; the other waited and loaded it
    assert got == [[7.0], [7.0]]
    assert len(list((tmp_path / "cache").glob("lock-test-*.npz"))) == 1


def test_a_group_listed_in_another_order_takes_the_same_lock(tmp_path, monkeypatch):
    """A group computed together is asked for in different orders (``molap.pipeline.new_task_heads``
    lists the asked method last): still one computation."""
    computed, got = _race(tmp_path, monkeypatch, [[{"x": 1}, {"x": 2}], [{"x": 2}, {"x": 1}]])
    assert sorted(computed) == ["1", "2"]
    assert sorted(got) == [[1.0, 2.0], [2.0, 1.0]]


def test_the_lock_is_taken_only_for_a_miss_and_keeps_results_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
    calls = []
    compute = lambda: calls.append(1) or {"a": np.arange(3.0)}  # noqa: E731
    first = store.cached("lock-test", {"x": 1}, compute)
    assert (tmp_path / ".locks").is_dir() and calls == [1]
    again = store.cached("lock-test", {"x": 1}, compute)
    assert calls == [1] and np.array_equal(first["a"], again["a"])
    lock = store.lock_path("lock-test", ["b", "a"])
    assert lock == store.lock_path("lock-test", ["a", "b"]) and lock.parent == Path(tmp_path) / ".locks"
