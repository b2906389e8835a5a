#!/usr/bin/env bash
# One entry point that sets everything up on a machine with only Python 3.11:
#   ./dev.sh book   build the book into book/_build/html (the main job)
#   ./dev.sh test   unit tests, notebook validation (nbval), a strict book build and a browser check
#   ./dev.sh lab    JupyterLab with jupytext: open book/*.md as notebooks
# The first run creates .tools/ (uv) and .venv/ (the locked environment); later runs reuse them.
set -euo pipefail
cd "$(dirname "$0")"
UV_VERSION=0.13.8
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
PY=$("$PY" -c 'import sys; print(sys.executable)')  # the real interpreter, not a pyenv shim
export UV_PYTHON_DOWNLOADS=never UV_PYTHON="$PY"
if [ ! -x .tools/bin/uv ]; then
  "$PY" -m venv .tools
  .tools/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
.tools/bin/uv sync --locked --all-extras --quiet
RUN=".tools/bin/uv run --locked --all-extras --no-sync"

case "${1:-}" in
  book)
    $RUN python tools/vendor_js.py  # MathJax and the widget manager, so the book renders offline
    $RUN jupyter-book build -W --keep-going book/
    echo "book: file://$PWD/book/_build/html/index.html"
    ;;
  test)
    $RUN pytest -n 2 --dist loadfile tests
    rm -rf book/_build
    $RUN pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=900 -p no:cacheprovider --ignore=book/_build book/
    $RUN python tools/vendor_js.py
    $RUN jupyter-book build -W --keep-going book/
    $RUN pytest -p no:cacheprovider checks  # headless Chromium over every page (skipped without one)
    ;;
  lab)
    $RUN jupyter lab --notebook-dir=book
    ;;
  *)
    echo "usage: ./dev.sh book|test|lab" >&2
    exit 2
    ;;
esac
