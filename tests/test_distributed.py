"""molap.run.distributed: a profile's items as a Dask graph; on a local cluster, the same entries bit
for bit as the serial run; ``molap reproduce --workers / --scheduler`` and their errors."""

import numpy as np
import pytest

from molap.cli import main
from molap.errors import MolapError
from molap.profiles import PROFILES
from molap.run import distributed as D
from molap.run import graph as G
from molap.run.reproduce import reproduce, seed_label

pytest.importorskip("distributed")  # the extra molap[cluster] (./dev.sh installs every extra)


def run_cli(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def entries(folder) -> dict[str, dict[str, np.ndarray]]:
    """Every entry's arrays (its __meta__ holds wall times and dates, which differ)."""
    out = {}
    for path in sorted(folder.glob("*.npz")):
        with np.load(path, allow_pickle=False) as z:
            out[path.name] = {k: z[k] for k in z.files if k != "__meta__"}
    return out


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_item_has_its_inputs_before_it(profile):
    items = G.graph(profile)
    keys = [it.key for it in items]
    assert len(set(keys)) == len(keys)
    assert not [it.key for it in items if it.fallback], "an item no rule of molap.run.distributed names"
    for i, it in enumerate(items):
        assert set(it.deps) <= set(keys[:i]), it.key
    by = {it.key: it.deps for it in items}
    p = PROFILES[profile]
    seeds = seed_label(p.seeds)
    frozen = seed_label(p.seeds_for("frozen"))
    assert by[f"pre-training: molap and pca, {frozen}"] == ("primitives: cca", "primitives: pca")
    assert by[f"perturbations: dni m1, {seed_label(p.perturb_seeds_for('dni'))}"] == (
        f"training: dni, {seed_label(p.seeds_for('dni'))}",)
    assert by[f"perturbations: pca m1, {seed_label(p.perturb_seeds_for('frozen'))}"] == (
        f"training: molap, random, pca, {frozen}",)
    assert by[f"generalisation: l2o cca, {seeds}"] == ("primitives: l2o cca folds",
                                                            "learning rates: molap, random, pca")


def test_only_some_stages_brings_their_inputs():
    items = G.graph("tiny", only=("pre-training",))
    assert [it.key for it in items] == ["primitives: cca", "primitives: pca", "pre-training: molap and pca, seeds 0, 1"]


def test_tiny_items_on_a_local_cluster_are_the_serial_runs_bit_for_bit(tmp_path, monkeypatch, capsys):
    """The primitives (cca, pca) and the pre-training that depends on them, on a LocalCluster of 2
    worker processes (1 thread each), into one fresh cache; serially into another: the same arrays.
    (On a LocalCluster made with Dask's defaults, whose workers start with OMP/MKL/OPENBLAS_NUM_THREADS=1,
    the CCA fit's canonical correlations differ from this process's in their last bits:
    :func:`molap.run.distributed.local_cluster` starts the workers with this process's environment.)"""
    from distributed import Client

    monkeypatch.setenv("MOLAP_RESULTS", str(tmp_path))  # nothing committed: every entry is computed
    serial, cluster = tmp_path / "serial", tmp_path / "cluster"
    monkeypatch.setenv("MOLAP_CACHE", str(serial))
    reproduce("tiny", only=("pre-training",), log=lambda m: None)

    monkeypatch.setenv("MOLAP_CACHE", str(cluster))
    lines = []
    with D.local_cluster(2) as lc, Client(lc) as client:
        assert list(client.nthreads().values()) == [1, 1]
        summary = D.reproduce(client, "tiny", only=("pre-training",), log=lines.append)
    assert [s["stage"] for s in summary] == ["primitives", "pre-training"] and sum(s["items"] for s in summary) == 3
    assert sum(" s on " in line for line in lines) == 3 and lines[-1].startswith("3 item(s) in ")
    a, b = entries(serial), entries(cluster)
    assert sorted(a) == sorted(b) and len(a) == 6  # 2 primitive fits, 2 methods x 2 seeds of modules
    for name in a:
        assert a[name].keys() == b[name].keys(), name
        for k in a[name]:
            x, y = a[name][k], b[name][k]
            assert (x.dtype, x.shape, x.tobytes()) == (y.dtype, y.shape, y.tobytes()), (name, k)  # NaNs too
    assert not list(cluster.glob(".molap-run-*"))  # the run's marker file is gone

    # the command line, on a cluster of one worker: every entry is found, nothing computed again
    written = {p.name: p.stat().st_mtime_ns for p in cluster.glob("*.npz")}
    code, out, err = run_cli(["reproduce", "--profile", "tiny", "--stages", "pre-training", "--workers", "1"], capsys)
    assert code == 0, err
    assert "on a local cluster of 1 worker process(es)" in out and "[pre-training 1/1] molap and pca" in out
    assert "| pre-training |" in out and {p.name: p.stat().st_mtime_ns for p in cluster.glob("*.npz")} == written


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "argument --workers: expected a positive integer, got '0'"),
    (["--scheduler", "host name"], "expected a Dask scheduler address such as tcp://host:8786, got 'host name'"),
    (["--scheduler", "ftp://host:21"], "got 'ftp://host:21'"),
    (["--scheduler", "tcp://host:99999"], "got 'tcp://host:99999'"),
    (["--workers", "2", "--scheduler", "tcp://host:8786"], "argument --scheduler: not allowed with argument --workers"),
    (["--workers", "2", "--check"], "--check computes nothing; expected it without --workers"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--budget-s", "60"], "--budget-s stops the serial run; expected it "
                                                                  "without --scheduler"),
])
def test_cluster_options_are_checked_before_any_work(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
    code, out, err = run_cli(["reproduce", "--profile", "tiny", *argv], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()[-1]) > 0, err
    assert not list(tmp_path.glob("*.npz"))


def test_no_scheduler_is_a_one_line_error():
    with pytest.raises(MolapError, match=r"no Dask scheduler answered at 'tcp://127.0.0.1:9' within 1 s"):
        D.connect("tcp://127.0.0.1:9", timeout_s=1)


def test_a_worker_that_does_not_see_the_cache_fails(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
    monkeypatch.setattr(os, "environ", dict(os.environ))  # run_item sets the worker's variables: here, a copy's
    monkeypatch.setattr(D, "_OWN", None)
    env = D.worker_env()
    with pytest.raises(MolapError, match="does not see the cache directory .* expected MOLAP_CACHE on a filesystem "
                                         "shared by the client and every worker"):
        D.run_item(PROFILES["tiny"], "primitives", "cca", env, ".molap-run-none")
    (tmp_path / ".molap-run-x").touch()
    with pytest.raises(MolapError, match="has no item 'nope' in stage 'primitives' of profile 'tiny'"):
        D.run_item(PROFILES["tiny"], "primitives", "nope", env, ".molap-run-x")


def test_a_task_sets_the_clients_variables_over_the_workers_own(monkeypatch):
    import os

    monkeypatch.setattr(os, "environ", {"MOLAP_SCAN_UNROLL": "10", "MOLAP_CACHE": "/worker", "PATH": "/bin"})
    monkeypatch.setattr(D, "_OWN", None)
    D._adopt({"MOLAP_CACHE": "/shared", "MOLAP_READ_ONLY": "1"})
    assert os.environ == {"MOLAP_SCAN_UNROLL": "10", "MOLAP_CACHE": "/shared", "MOLAP_READ_ONLY": "1", "PATH": "/bin"}
    D._adopt({"MOLAP_CACHE": "/other"})  # a later client: the earlier one's MOLAP_READ_ONLY does not stay
    assert os.environ == {"MOLAP_SCAN_UNROLL": "10", "MOLAP_CACHE": "/other", "PATH": "/bin"}
