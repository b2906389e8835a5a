import json
import subprocess
import sys

import numpy as np
import pytest

from molap.cli import main
from molap.tasks import TASK_NAMES


def run_cli(argv, capsys) -> tuple[int, str]:
    """The CLI in this process: (exit status, stderr). A traceback would fail the test itself."""
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    return code, capsys.readouterr().err


def test_entry_point_runs_in_a_subprocess(tmp_path):
    """`python -m molap` as a user runs it: a success prints, a bad input exits 2 with one clear line."""
    ok = subprocess.run([sys.executable, "-m", "molap", "tasks", "--json"], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and json.loads(ok.stdout)[0]["name"] == "delay_pro"
    r = subprocess.run([sys.executable, "-m", "molap", "sample", "nope", "--out", "x.npz"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == "molap: error: unknown task 'nope'; expected one of: " \
        + ", ".join(TASK_NAMES) + "; an extra task (mem_rotate90, mem_dm_min, pulse_sum); or path/to/file.py:NAME " \
        "or package.module:NAME", r.stderr


def test_tasks_json(capsys):
    assert main(["tasks", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows][:2] == ["delay_pro", "delay_anti"]
    assert [(r["n_in"], r["n_out"]) for r in rows] == [(3, 3)] * 4 + [(2, 2)] * 2 + [(3, 2)] * 3
    assert {r["n_steps"] for r in rows} == {110}


def test_sample_writes_npz(tmp_path, capsys):
    out = tmp_path / "b.npz"
    assert main(["sample", "multi_mem", "--trials", "7", "--seed", "3", "--out", str(out)]) == 0
    d = np.load(out)
    assert d["inputs"].shape == (7, 110, 3) and d["inputs"].dtype == np.float32
    assert d["targets"].shape == (7, 110, 2) and d["targets"].dtype == np.float32
    main(["sample", "multi_mem", "--trials", "7", "--seed", "3", "--out", str(tmp_path / "c.npz")])
    np.testing.assert_array_equal(d["inputs"], np.load(tmp_path / "c.npz")["inputs"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "nope", "--out", "x.npz"], "unknown task 'nope'"),
        (["sample", "mem_pro", "--trials", "0", "--out", "x.npz"], "expected a positive integer, got '0'"),
        (["sample", "mem_pro", "--trials", "2.5", "--out", "x.npz"], "expected a positive integer, got '2.5'"),
        (["sample", "mem_pro", "--out", "/no/such/dir/x.npz"], "output directory '/no/such/dir' does not exist"),
        (["sample", "mem_pro", "--out", "batch"], "expected a file name ending in .npz, got 'batch'"),
        (["sample", "mem_pro", "--out", "."], "expected a file name ending in .npz, got '.'"),
        (["sample", "mem_pro", "--trials", "1000000000", "--out", "x.npz"], "expected at most 100,000 trials"),
        (["sample", "mem_pro", "--seed", "-1", "--out", "x.npz"], "expected a seed in [0, 2**32), got '-1'"),
        (["sample", "mem_pro", "--seed", "4294967296", "--out", "x.npz"], "expected a seed in [0, 2**32)"),
        (["sample", "mem_pro", "--seed", str(2 ** 70), "--out", "x.npz"], "expected a seed in [0, 2**32)"),
    ],
)
def test_bad_input_is_a_clear_error(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(argv, capsys)
    assert code == 2 and message in err, err


def test_primitives_json(capsys):
    assert main(["primitives", "--kind", "cca", "--components", "2", "--trials", "100", "--json"]) == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert 0.5 < out["r2"] < 0.62 and len(out["canonical_correlations"]) == 2
    assert "cca primitives: fitting 2 components" in cap.err  # the fit's progress bar (stderr, beside the JSON)
    assert main(["primitives", "--kind", "pca", "--trials", "50", "--tasks", "mem_pro", "mem_dm1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["r2"] is None and len(out["explained_variance_inputs"]) == 2


def test_train_tiny_profile(capsys, tiny_frozen):
    import os
    from pathlib import Path

    assert main(["train", "--method", "molap", "--profile", "tiny", "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["task"] for r in out["test"]][0] == "delay_pro" and len(out["test"]) == 9
    assert all(0 <= r["paper"] <= 100 and r["code"] >= 0 for r in out["test"])
    assert list(Path(os.environ["MOLAP_CACHE"]).glob("trained-*.npz"))


def test_perturb_and_generalize_tiny(capsys, tiny_generalisation):
    assert main(["perturb", "--kind", "m2", "--method", "random", "--profile", "tiny", "--levels", "0", "30",
                 "--tasks", "multi_mem", "--json"]) == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert "perturbation sweep random m2 (2 draws per level)" in cap.err and "2/2" in cap.err  # one step per level
    assert [r["level"] for r in out["levels"]] == [0.0, 30.0] and out["draws"] == 2 and out["tasks"] == ["multi_mem"]
    assert out["levels"][0]["paper_sd"] == 0.0  # the intact network: every draw identical
    assert main(["generalize", "--mode", "l2o", "--kind", "pca", "--profile", "tiny", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["folds"]) == 9 and out["folds"][0]["left_out"] == "delay_pro+delay_anti"


def test_counts_json(capsys):
    assert main(["counts", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stated_sizes"]["separate"]["total"] == 91_800
    assert 13 < out["updates_ratio_dni_over_molap"]["stated_sizes"] < 14
    assert out["ours"]["molap"]["pretrained"] == 5402 and set(out["ours"]) == {"molap", "random", "pca", "separate", "dni",
                                                                                   "dni_no_rule"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--method", "lstm", "--profile", "tiny"], "unknown method 'lstm'"),
        (["train", "--profile", "huge"], "invalid choice: 'huge'"),
        (["primitives", "--components", "40", "--trials", "20"], "component count must be an integer in [1, 22]"),
        (["primitives", "--tasks", "nope", "--trials", "20"], "unknown task 'nope'"),
        (["train", "--seed", "x"], "expected an integer, got 'x'"),
        (["primitives", "--trials", "0"], "expected a positive integer, got '0'"),
        (["primitives", "--trials", "1"], "n_trials (trials per task in the corpus) must be an integer in [2, 5000]"),
        (["primitives", "--components", "0"], "expected a positive integer, got '0'"),
        (["primitives", "--seed", "-1"], "expected a seed in [0, 2**32)"),
        (["perturb", "--kind", "m1", "--levels", "nan"], "expected a finite number, got 'nan'"),
        (["perturb", "--kind", "m1", "--tasks", "mem_rotate90"], "perturbation sweeps test the corpus's tasks"),
        (["perturb", "--kind", "m1", "--profile", "tiny", "--levels", "-5"], "percentages in [0, 100]"),
        (["perturb", "--kind", "noise", "--profile", "tiny", "--levels", "-0.1"], "sigma must be >= 0"),
        (["perturb", "--kind", "m3"], "invalid choice: 'm3'"),
        (["generalize", "--mode", "l3o"], "invalid choice: 'l3o'"),
    ],
)
def test_science_bad_input(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(argv, capsys)
    assert code == 2 and message in err, err


def test_train_json_reports_a_sequential_methods_scores_right_after_each_task(capsys, monkeypatch):
    from molap import pipeline
    from molap.methods import TrainedRun
    from molap.metrics import Scores

    final = {t: Scores(50.0, 40.0, 30.0, 60.0, 20.0) for t in TASK_NAMES}
    own = {t: Scores(90.0, 80.0, 85.0, 60.0, 20.0) for t in TASK_NAMES}
    run = TrainedRun("dni", 0, 0.01, list(TASK_NAMES), final, None, None, None, None, own)
    monkeypatch.setattr(pipeline, "trained", lambda *a, **k: run)
    assert main(["train", "--method", "dni", "--profile", "tiny", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["test"][0]["decision"] == 30.0 and out["after_own"][0]["decision"] == 85.0
    assert main(["train", "--method", "dni", "--profile", "tiny"]) == 0
    text = capsys.readouterr().out
    assert "right after each task's own training" in text and "85.0" in text


def test_claims_json_judges_the_book_profiles_committed_results(capsys, monkeypatch):
    from molap import claims

    monkeypatch.delenv("MOLAP_PROFILE", raising=False)
    assert main(["claims", "--json"]) == 0  # the book's default profile
    out = json.loads(capsys.readouterr().out)
    assert out["profile"] == "standard" and out["missing_sections"] == [] and out["rule"].startswith("a claim's")
    rows = out["claims"]
    assert len(rows) >= 22 and {r["kind"] for r in rows} == {"comparison", "measurement"}
    for r in rows:
        assert {"claim", "paper", "ours", "n_seeds", "kind", "p", "verdict", "chapter", "expected"} <= set(r)
        if r["kind"] == "comparison":
            assert r["verdict"] in claims.COMPARISON_VERDICTS and 0 <= r["p"] <= 1 and 2 <= r["n_seeds"]
            assert r["comparisons"] and r["n_seeds"] == max(c["n"] for c in r["comparisons"])
            for c in r["comparisons"]:
                assert c["p_holm"] is None or c["p_holm"] >= max(x for x in (c["p"], c["p_exact"]) if x is not None)
        else:
            assert r["verdict"] in claims.MEASUREMENT_VERDICTS and r["p"] is None
    assert main(["claims", "--profile", "quick"]) == 0
    assert "Learning speed" in capsys.readouterr().out


@pytest.mark.parametrize("setting, message", [
    ("file", "is not a directory; expected a writable directory"),
    ("/proc/molap-cache", "cannot be created"),
])
def test_an_unusable_cache_fails_before_any_work(setting, message, tmp_path, monkeypatch, capsys):
    if setting == "file":
        setting = str(tmp_path / "a-file")
        open(setting, "w").close()
    monkeypatch.setenv("MOLAP_CACHE", setting)
    code, err = run_cli(["train", "--profile", "tiny"], capsys)
    assert code == 2 and f"MOLAP_CACHE={setting!r} {message}" in err, err
    assert "pre-training" not in err  # nothing was computed first


def test_a_missing_results_directory_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
    monkeypatch.setenv("MOLAP_RESULTS", "/nonexistent")
    code, err = run_cli(["train", "--profile", "quick"], capsys)
    assert code == 2 and "MOLAP_RESULTS='/nonexistent' is not a directory" in err, err


def test_version_and_cache_files_readable_by_others(tmp_path, monkeypatch, capsys):
    import os

    from molap import __version__, store

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"molap {__version__}"
    old = os.umask(0o022)
    try:
        path = store.save(tmp_path / "x.npz", {"a": np.arange(2)})
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_help_and_version_do_not_start_jax():
    """``molap --help`` builds the whole parser from :mod:`molap.names`: no JAX import (seconds)."""
    import subprocess
    import sys

    code = ("import sys, molap, molap.cli as c; c.build_parser(); "
            "assert 'jax' not in sys.modules, sorted(m for m in sys.modules if m.startswith('molap')); "
            "assert not {'dask', 'distributed', 'filelock'} & set(sys.modules)")  # imported when used
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tasks_by_extra_name_file_and_module(tmp_path, monkeypatch, capsys):
    """Where the CLI takes a task it also takes the package's extra tasks by name, a file's Task
    (path.py:NAME) and a module's (package.module:NAME)."""
    (tmp_path / "mytasks.py").write_text(
        "import jax.numpy as jnp\n"
        "from molap.tasks import GO, N_STEPS, STIM_ON, Task, on\n"
        "def _hold(trial):\n"
        "    c = jnp.cos(trial.theta1)\n"
        "    return on(STIM_ON, GO)[:, None] * c, on(GO, N_STEPS)[:, None] * c\n"
        "HOLD = Task('hold', ('cos',), ('cos',), _hold)\n"
        "NOT_A_TASK = 3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for spec in ("mem_rotate90", "mytasks.py:HOLD", "mytasks:HOLD"):
        assert main(["sample", spec, "--trials", "3", "--out", "b.npz"]) == 0, spec
        assert np.load(tmp_path / "b.npz")["inputs"].shape[0] == 3
    capsys.readouterr()
    for spec, message in (("mytasks.py:NOT_A_TASK", "expected 'NOT_A_TASK' in 'mytasks.py' to be a molap Task, found int"),
                          ("missing.py:HOLD", "no file 'missing.py'"),
                          ("no_such_module:HOLD", "cannot import module 'no_such_module'"),
                          ("mytasks.py:", "expected path/to/file.py:NAME or package.module:NAME")):
        code, err = run_cli(["sample", spec, "--out", "b.npz"], capsys)
        assert code == 2 and f"task {spec!r}: {message}" in err, err
