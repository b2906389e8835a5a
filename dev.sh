#!/usr/bin/env bash
# One entry point that sets everything up on a machine with only Python 3.11:
#   ./dev.sh book   build the book into book/_build/html (the main job)
#   ./dev.sh test   lint and dead-code checks, unit tests, the book executed once (every cell, hidden
#                   assertions included), a strict build from those outputs and a browser check; each
#                   stage's time is printed
#   ./dev.sh lab    JupyterLab with jupytext: open book/*.md as notebooks
# The first run creates .tools/ (uv) and .venv/ (the locked environment); later runs reuse them.
set -euo pipefail
cd "$(dirname "$0")"
source tools/stages.sh
UV_VERSION=0.13.8
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
PY=$("$PY" -c 'import sys; print(sys.executable)')  # the real interpreter, not a pyenv shim
export UV_PYTHON_DOWNLOADS=never UV_PYTHON="$PY"
setup() {
  if [ ! -x .tools/bin/uv ]; then
    "$PY" -m venv .tools
    .tools/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
  fi
  .tools/bin/uv sync --locked --all-extras --quiet
}
stage "set-up (uv, .venv)" setup
RUN=".tools/bin/uv run --locked --all-extras --no-sync"
# One JAX compilation cache for every process of a run (test workers, CLI subprocesses, kernels):
# a function compiled once is loaded, not compiled again, by the next process that needs it.
# Every compiled function is written there, however quick its compilation (JAX's default keeps only
# those over 1 s): the unit tests compile hundreds of small ones twice, once per test worker, and
# caching them all cut the unit tests' CPU time by 10% (601 -> 538 s on the 2-core CPU).
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$PWD/.jax_cache}
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=${JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS:-0}
export JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=${JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES:--1}

book() {  # execute every chapter once (tools/execute_book.py), then render from those outputs
  $RUN python tools/vendor_js.py  # MathJax and the widget manager, so the book renders offline
  stage "book: execute" $RUN python tools/execute_book.py
  stage "book: build (-W)" $RUN jupyter-book build -W --keep-going book/
}

case "${1:-}" in
  book)
    book
    echo "book: file://$PWD/book/_build/html/index.html"
    ;;
  test)
    stage "lint (ruff)" $RUN ruff check .  # pyflakes, bugbear, import order, pyupgrade (pyproject.toml)
    stage "dead code (vulture)" $RUN python tools/deadcode.py  # the book's cells count as users
    stage "unit tests" $RUN pytest -n 2 --dist loadfile tests
    rm -rf book/_build
    MOLAP_READ_ONLY=1 book  # from committed results only: a missing one fails at once, it is never computed
    stage "browser check" $RUN pytest -p no:cacheprovider checks  # headless Chromium over every page
    stage_total "dev.sh test"
    ;;
  lab)
    $RUN jupyter lab --notebook-dir=book
    ;;
  *)
    echo "usage: ./dev.sh book|test|lab" >&2
    exit 2
    ;;
esac
