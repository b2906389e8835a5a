"""The dead-code check of ``./dev.sh test``: vulture over the package, its tests, benchmarks and
tools, with the book's code cells as a user of the package (a name only a chapter calls is used)
and ``tools/vulture_allow.py`` for what no code here calls (public API, fields read by name).

    python tools/deadcode.py      # prints each finding; exit status 1 if there is one
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
CODE = ("molap", "tests", "benchmarks", "tools", "checks")  # tools/vulture_allow.py among them


def book_code(folder: Path) -> list[Path]:
    """Each chapter's code cells as one Python file in ``folder``."""
    out = []
    for md in sorted((ROOT / "book").glob("*.md")):
        if "```{code-cell}" not in md.read_text():
            continue  # a plain page (its fenced blocks are shell lines, not the package's users)
        nb = jupytext.read(md)
        src = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
        lines = [line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))]  # magics
        path = folder / f"book_{md.stem}.py"
        path.write_text("\n".join(lines) + "\n")
        out.append(path)
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(ROOT / p) for p in CODE] + [str(p) for p in book_code(Path(tmp))]
        r = subprocess.run([sys.executable, "-m", "vulture", *paths, "--min-confidence", "60"], cwd=ROOT,
                           capture_output=True, text=True)
    found = [line for line in r.stdout.splitlines() if line.strip()]
    print("\n".join(found) if found else "dead code: none")
    return 1 if found or r.returncode not in (0, 3) else 0


if __name__ == "__main__":
    sys.exit(main())
