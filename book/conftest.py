"""Let nbval collect the book's jupytext MyST ``.md`` notebooks directly."""

from __future__ import annotations

import types

import jupytext
import nbformat
import nbval.plugin as nbval_plugin


def _is_notebook(path) -> bool:
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "jupytext" in head and "kernelspec" in head


class MarkdownNotebook(nbval_plugin.IPyNbFile):
    """nbval's notebook collector, reading a text notebook with jupytext."""

    def collect(self):
        shim = types.SimpleNamespace(**{k: getattr(nbformat, k) for k in dir(nbformat) if not k.startswith("__")})
        shim.read = lambda path, as_version=4: jupytext.read(path)
        real, nbval_plugin.nbformat = nbval_plugin.nbformat, shim
        try:
            yield from super().collect()
        finally:
            nbval_plugin.nbformat = real


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    if (opt.nbval or opt.nbval_lax) and file_path.suffix == ".md" and _is_notebook(file_path):
        return MarkdownNotebook.from_parent(parent, path=file_path)
    return None
