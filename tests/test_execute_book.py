"""The book's executor (tools/execute_book.py): a missed socket wake-up costs a poll slice, not the
whole timeout; a chapter's widgets and outputs reach the build's cache; a failing cell is named."""

import asyncio
import sys
import time
from pathlib import Path

import pytest
import zmq
import zmq.asyncio
from jupyter_client.session import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import execute_book  # noqa: E402

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

```{code-cell} ipython3
import ipywidgets as W
print("ran")
```

```{code-cell} ipython3
W.interactive(lambda a=1: print(a * 2), a=W.IntSlider(1, 0, 5))
```
"""


async def _reply_after_a_stolen_wake_up(channel_class, timeout: float) -> tuple[str, float]:
    """A reply lands in the client's socket while another call on that socket consumes ZeroMQ's
    edge-triggered wake-up (what nbclient's Output-widget sync does): how long get_msg takes."""
    router = zmq.Context.instance().socket(zmq.ROUTER)
    dealer = zmq.asyncio.Context.instance().socket(zmq.DEALER)
    try:
        dealer.connect(f"tcp://127.0.0.1:{router.bind_to_random_port('tcp://127.0.0.1')}")
        session = Session()
        channel = channel_class(dealer, session)
        session.send(dealer, session.msg("kernel_info_request"))
        ident = router.recv_multipart()[0]
        waiting = asyncio.ensure_future(channel.get_msg(timeout=timeout))
        await asyncio.sleep(0.05)  # the poll now waits on the socket's descriptor
        session.send(router, session.msg("execute_reply"), ident=ident)
        time.sleep(0.2)  # the reply arrives while the event loop is not running
        zmq.Socket.shadow(dealer.underlying).get(zmq.EVENTS)  # takes the wake-up
        t0 = time.monotonic()
        msg = await waiting
        return msg["header"]["msg_type"], time.monotonic() - t0
    finally:
        dealer.close(linger=0)
        router.close(linger=0)


def test_a_missed_wake_up_costs_one_poll_slice():
    kind, waited = asyncio.run(_reply_after_a_stolen_wake_up(execute_book.SlicedPollChannel, timeout=20.0))
    assert kind == "execute_reply" and waited < 3 * execute_book.POLL_SLICE, waited


def test_timeouts_still_expire():
    async def empty_wait():
        dealer = zmq.asyncio.Context.instance().socket(zmq.DEALER)
        try:
            t0 = time.monotonic()
            with pytest.raises(Exception) as e:
                await execute_book.SlicedPollChannel(dealer, Session()).get_msg(timeout=1.2)
            return type(e.value).__name__, time.monotonic() - t0
        finally:
            dealer.close(linger=0)

    name, waited = asyncio.run(empty_wait())
    assert name == "Empty" and 1.2 <= waited < 2.5


def test_a_chapter_runs_and_its_outputs_reach_the_builds_cache(tmp_path):
    path = tmp_path / "chapter.md"
    path.write_text(CHAPTER)
    _, text, seconds, error = execute_book.execute_chapter(str(path), cell_timeout=120)
    assert error is None and seconds > 0
    execute_book.cache_notebooks({str(path): (text, seconds)}, tmp_path / "cache")
    from jupyter_cache import get_cache

    _, merged = get_cache(str(tmp_path / "cache")).merge_match_into_notebook(execute_book.read_chapter(path))
    code = [c for c in merged.cells if c.cell_type == "code"]
    assert code[0].outputs[0]["text"] == "ran\n"
    assert "application/vnd.jupyter.widget-view+json" in code[1].outputs[0]["data"]
    assert merged.metadata["widgets"]  # the widget state the static page embeds


def test_a_failing_cell_is_named_with_its_line_and_traceback(tmp_path):
    path = tmp_path / "broken.md"
    path.write_text(CHAPTER + '\n```{code-cell} ipython3\n:tags: [remove-cell]\nassert 1 + 1 == 3, "arithmetic"\n```\n')
    _, text, _, error = execute_book.execute_chapter(str(path), cell_timeout=120)
    assert text is None
    assert "broken.md: cell 3 (line 23)" in error and "AssertionError: arithmetic" in error, error
