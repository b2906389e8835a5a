"""environment.yml cannot disagree with pyproject.toml: it only names Python and the extras."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert python == ["python=3.11"]
    lo, hi = re.match(r">=(\d+\.\d+),<(\d+\.\d+)", project["requires-python"]).groups()
    assert lo == "3.11" and hi == "3.12"
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert len(pip) == 1
    extras = re.match(r"--editable \.\[(.*)\]$", pip[0]).group(1).split(",")
    # every extra but neurogym, whose release pins an older numpy that pip (unlike uv's overrides) cannot lift
    assert sorted(extras) == sorted(set(project["optional-dependencies"]) - {"neurogym"})
    assert "neurogym" in (ROOT / "environment.yml").read_text()  # and the file says how to add it
    # no package is pinned in environment.yml itself: versions have one home
    assert [d for d in deps if isinstance(d, str)] == ["python=3.11", "pip"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./dev.sh test" in readme and "./dev.sh book" in readme
    assert "./dev.sh test" in ci
