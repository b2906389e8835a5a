"""A real-browser check of the built book (run after `jupyter-book build`; see dev.sh test).

Headless Chromium opens every page of the table of contents, lets its scripts run, and the DOM it
ends with must hold the chapter's figures, rendered maths (MathJax, vendored), rendered widgets
(the ipywidgets HTML manager, vendored) and no error output. One chapter's screenshot is kept at
``book/_build/screenshots/`` (a CI artefact). Without a browser the check is skipped, unless
``MOLAP_REQUIRE_BROWSER=1`` (set by .ci/run, which installs Debian's ``chromium``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

BOOK = Path(os.environ.get("MOLAP_BOOK_DIR", Path(__file__).resolve().parents[1] / "book"))
HTML = BOOK / "_build" / "html"
SCREENSHOT_OF = os.environ.get("MOLAP_SCREENSHOT_OF", "07_robustness")


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _pages() -> list[str]:
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc["chapters"]]


def _chromium(*args: str) -> str:
    browser = _browser()
    if browser is None:
        if os.environ.get("MOLAP_REQUIRE_BROWSER") == "1":
            pytest.fail("no chromium on PATH; install Debian's `chromium` (apt-get install -y chromium)")
        pytest.skip("no chromium on PATH")
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", "--window-size=1280,1000", "--virtual-time-budget=15000",
                            *args], capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        pytest.fail(f"chromium failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


@pytest.mark.parametrize("page", _pages())
def test_page_renders_its_figures_maths_and_widgets(page):
    path = HTML / f"{page}.html"
    assert path.exists(), f"{path} is missing; build the book first (./dev.sh book)"
    source = (BOOK / f"{page}.md").read_text()
    dom = _chromium("--dump-dom", path.as_uri())
    assert "</html>" in dom
    body = dom[dom.find('<article'):] if '<article' in dom else dom
    for bad in ("Traceback (most recent call last)", "output traceback", "Error in callback"):
        assert bad not in body, f"{page}: error output on the page ({bad!r})"
    assert "|---|" not in body, f"{page}: a Markdown table was shown as raw text"
    if re.search(r"\bplots\.|\bplt\.|lesion_figure", source):
        assert len(re.findall(r"<img[^>]+src=\"[^\"]+\.(?:png|svg)", body)) >= 1, f"{page}: no figure"
    if re.search(r"\$[^$\n]+\$|\{math\}", source) or "$$" in source:
        assert "<mjx-container" in dom, f"{page}: maths not rendered (MathJax did not run)"
    if "application/vnd.jupyter.widget-state+json" in dom:
        assert re.search(r'class="[^"]*widget-(?:slider|dropdown|box|vbox|hbox|label|inline)', dom), \
            f"{page}: widget state embedded but no widget rendered"


def test_screenshot_of_a_chapter():
    out = HTML.parent / "screenshots"
    out.mkdir(exist_ok=True)
    png = out / f"{SCREENSHOT_OF}.png"
    _chromium(f"--screenshot={png}", (HTML / f"{SCREENSHOT_OF}.html").as_uri())
    assert png.exists() and png.stat().st_size > 10_000
