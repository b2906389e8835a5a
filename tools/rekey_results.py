"""Re-key committed entries after a change to a result's configuration that does not change the
result itself (e.g. a field added to record what was already true). Rewrites each ``KIND-*.npz``
in the folder whose stored configuration lacks ``FIELD``, with FIELD=VALUE added, under the new
key, and removes the old file.

usage: python tools/rekey_results.py FOLDER KIND FIELD VALUE
"""

import sys
from pathlib import Path

from molap import store


def main(folder: str, kind: str, field: str, value: str) -> None:
    for path in sorted(Path(folder).glob(f"{kind}-*.npz")):
        obj, meta = store.load(path, with_meta=True)
        cfg = meta["config"]
        if field in cfg:
            continue
        cfg[field] = value
        key = store.config_key(kind, cfg)
        store.save(path.parent / f"{kind}-{key}.npz", obj, key=key, kind=kind, config=cfg,
                   provenance=meta["provenance"], rekeyed_from=meta["key"])
        path.unlink()
        print(f"{path.name} -> {kind}-{key}.npz")


if __name__ == "__main__":
    main(*sys.argv[1:5])
