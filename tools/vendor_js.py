"""Fetch the browser scripts the book needs offline (MathJax, the ipywidgets HTML manager and
RequireJS) from the npm registry into ``book/_vendor/`` (git-ignored), checking each tarball's
sha512 against the registry's integrity record. Idempotent: does nothing when present.

usage: python tools/vendor_js.py [DEST]
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGES = {  # npm name, version, files to keep (prefix inside the tarball's package/ folder), dest folder
    "mathjax": ("3.2.2", ("es5/tex-mml-chtml.js", "es5/output/chtml/fonts/woff-v2/", "es5/input/tex/extensions/",
                          "es5/a11y/", "es5/ui/", "es5/adaptors/", "es5/sre/")),
    "@jupyter-widgets/html-manager": ("1.0.6", ("dist/embed-amd.js",)),
    "requirejs": ("2.3.7", ("require.js",)),
}
REGISTRY = "https://registry.npmjs.org"


def fetch(name: str, version: str) -> bytes:
    meta = json.load(urllib.request.urlopen(f"{REGISTRY}/{name.replace('/', '%2F')}/{version}", timeout=60))
    data = urllib.request.urlopen(meta["dist"]["tarball"], timeout=300).read()
    algo, digest = meta["dist"]["integrity"].split("-", 1)
    if base64.b64encode(hashlib.new(algo, data).digest()).decode() != digest:
        raise SystemExit(f"integrity check failed for {name}@{version}")
    return data


def main(dest: Path) -> None:
    stamp = dest / "versions.json"
    wanted = {k: v[0] for k, v in PACKAGES.items()}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return
    for name, (version, keep) in PACKAGES.items():
        folder = dest / name.split("/")[-1]
        with tarfile.open(fileobj=io.BytesIO(fetch(name, version)), mode="r:gz") as tar:
            for m in tar.getmembers():
                rel = m.name.split("/", 1)[1] if "/" in m.name else m.name
                if m.isfile() and any(rel == k or (k.endswith("/") and rel.startswith(k)) for k in keep):
                    out = folder / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(tar.extractfile(m).read())
        print(f"vendored {name}@{version} into {folder}")
    stamp.write_text(json.dumps(wanted))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "book" / "_vendor")
