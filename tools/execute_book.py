"""Execute the book's chapters once, in parallel, and hand the outputs to ``jupyter-book build``.

    python tools/execute_book.py [--jobs 2] [--cell-timeout 300] [CHAPTER ...]

Every chapter of ``book/_toc.yml`` (or the ones named) runs top to bottom in a fresh kernel. A cell
that raises (the hidden ``remove-cell`` assertion cells included) fails the run with the chapter,
the cell's number and line, its source and the traceback; so does a cell that runs longer than
``--cell-timeout`` seconds. Executed notebooks go into the book's execution cache
(``book/_build/.jupyter_cache``, jupyter-cache's format), from which ``jupyter-book build`` with
``execute_notebooks: cache`` renders them without executing anything again.

Why not let ``jupyter-book build`` execute: its executor (nbclient with default settings) can wait
for the whole execution timeout on a reply that has already arrived. nbclient mimics the
ipywidgets ``Output`` widget by sending comm messages to the kernel on the shell socket from the
coroutine that reads IOPub, while another coroutine awaits ``shell_socket.poll(timeout)`` for the
cell's ``execute_reply``. On a loaded machine the reply can land in the socket without the poll
being woken (ZeroMQ's edge-triggered descriptor); the poll then returns only at its timeout, and
finds the reply. Chapters with an ``ipywidgets.interactive`` (an ``Output`` inside) stalled for
exactly the timeout in about 1 cell in 12 under load. Here every wait on the shell and IOPub sockets
is cut into polls of at most :data:`POLL_SLICE` seconds, so a message that was missed is found at
the next slice instead of after the timeout (tests/test_execute_book.py).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import time
from pathlib import Path
from queue import Empty

import nbclient
import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets import Type

BOOK = Path(__file__).resolve().parents[1] / "book"
CACHE = BOOK / "_build" / ".jupyter_cache"  # myst-nb's default: <outdir>/../.jupyter_cache
POLL_SLICE = 0.5
"""Longest single poll of a kernel socket, in seconds (a missed wake-up costs at most this)."""
CELL_TIMEOUT = 300
"""Default per-cell limit, in seconds: a chapter's slowest cell takes seconds on committed results."""


class SlicedPollChannel(AsyncZMQSocketChannel):
    """``get_msg`` as a loop of polls of at most POLL_SLICE seconds until ``timeout``."""

    async def get_msg(self, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else max(0.0, min(POLL_SLICE, deadline - time.monotonic()))
            if await self.socket.poll(int(left * 1000)):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty


class SlicedKernelClient(AsyncKernelClient):
    shell_channel_class = Type(SlicedPollChannel)
    iopub_channel_class = Type(SlicedPollChannel)


class SlicedKernelManager(AsyncKernelManager):
    client_factory = Type(SlicedKernelClient)


class BookClient(nbclient.NotebookClient):
    """nbclient's NotebookClient on a kernel client whose socket waits cannot oversleep."""

    kernel_manager_class = Type(SlicedKernelManager)


def read_chapter(path: Path):
    """The notebook exactly as myst-nb reads it for the build (so the cache key matches)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text("utf8"), add_source_map=True, path=str(path))


def _cell_line(nb, index: int) -> str:
    """Where the cell starts in the chapter's file (its fence line)."""
    lines = nb.metadata.get("source_map")
    return f" (line {lines[index]})" if lines and 0 <= index < len(lines) else ""


def execute_chapter(path: str, cell_timeout: int) -> tuple[str, str | None, float, str | None]:
    """Run one chapter in a fresh kernel: (path, notebook JSON or None, seconds, error or None)."""
    p = Path(path)
    nb = read_chapter(p)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = BookClient(nb, timeout=cell_timeout, kernel_name=kernel, resources={"metadata": {"path": str(p.parent)}},
                        allow_errors=False, record_timing=False,
                        extra_arguments=["--InteractiveShell.colors=nocolor"])  # plain tracebacks in logs
    current = {"index": -1}
    client.on_cell_execute = lambda cell, cell_index: current.update(index=cell_index)
    t0 = time.monotonic()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        i = current["index"]
        where = f"{os.path.relpath(p)}: cell {i}{_cell_line(nb, i)}"
        if isinstance(e, CellTimeoutError):
            msg = f"{where} ran longer than the {cell_timeout} s cell timeout:\n{nb.cells[i].source}"
        elif isinstance(e, DeadKernelError):
            msg = f"{where}: the kernel died:\n{nb.cells[i].source}"
        else:
            msg = f"{where} raised:\n{e}"
        return path, None, time.monotonic() - t0, msg
    return path, nbformat.writes(nb), time.monotonic() - t0, None


def cache_notebooks(executed: dict[str, tuple[str, float]], cache_dir: Path = CACHE) -> None:
    """Store executed notebooks ({path: (JSON, seconds)}) where ``jupyter-book build``
    (execute_notebooks: cache) looks for them, and check that the build will find each one."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_dir))
    for path, (text, seconds) in executed.items():
        nb = nbformat.reads(text, as_version=4)
        cache.cache_notebook_bundle(CacheBundleIn(nb, path, data={"execution_seconds": seconds}), overwrite=True)
        try:
            cache.match_cache_notebook(read_chapter(Path(path)))
        except KeyError:
            raise SystemExit(f"execute_book: {path} was cached under a key the build will not look up") from None


def chapters(names: list[str]) -> list[Path]:
    import yaml

    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    known = [c["file"] for c in toc.get("chapters", [])]
    for n in names:
        if n not in known:
            raise SystemExit(f"execute_book: unknown chapter {n!r}; expected one of {known}")
    return [BOOK / f"{n}.md" for n in (names or known)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", help="chapter file names without .md (default: the whole table of contents)")
    ap.add_argument("--jobs", type=int, default=2, help="chapters executed at once (default 2)")
    ap.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT, help=f"seconds per cell (default {CELL_TIMEOUT})")
    a = ap.parse_args(argv)
    if a.jobs < 1 or a.cell_timeout < 1:
        raise SystemExit(f"execute_book: --jobs and --cell-timeout must be positive, got {a.jobs} and {a.cell_timeout}")
    paths = chapters(a.chapters)
    t0 = time.monotonic()
    executed, errors = {}, []
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(a.jobs, len(paths))) as pool:
        futures = [pool.submit(execute_chapter, str(p), a.cell_timeout) for p in paths]
        for f in concurrent.futures.as_completed(futures):
            path, text, seconds, error = f.result()
            name = Path(path).stem
            print(f"execute_book: {name:<24} {'FAILED' if error else 'ok':<6} {seconds:6.1f} s", flush=True)
            if error:
                errors.append(error)
            else:
                executed[path] = (text, seconds)
    if errors:
        print("\n\n".join(errors), file=sys.stderr)
        print(f"execute_book: {len(errors)} of {len(paths)} chapters failed", file=sys.stderr)
        return 1
    cache_notebooks(executed)
    print(f"execute_book: {len(paths)} chapters executed in {time.monotonic() - t0:.1f} s "
          f"(jobs={a.jobs}); outputs cached in {os.path.relpath(CACHE)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
