"""One-off: the committed DNI results (no rule inputs) become the results of ``dni_no_rule``.

``dni`` now names DNI with rule inputs (Duncker et al.'s setting); the former ``dni`` (no rule
inputs, the MoLaP authors' code) is registered as ``dni_no_rule``, and ``rule_inputs`` moved
from the profile's ``DNIConfig`` to the method. Nothing is recomputed: each entry whose key names
method ``dni`` is stored again under the key the current code computes for ``dni_no_rule``
(``method`` renamed in the stored result too), arrays bit for bit, provenance kept
(``rekeyed_from`` added). Idempotent. Run from the repository root:

    python tools/rekey_dni.py          # dry run
    python tools/rekey_dni.py --write  # write the new entries, remove the old ones
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from molap import store  # noqa: E402

OLD, NEW = "dni", "dni_no_rule"


def convert(cfg):
    """The configuration with method ``dni`` renamed and rule_inputs moved to the method's key."""
    if isinstance(cfg, list):
        return [convert(v) for v in cfg]
    if not isinstance(cfg, dict):
        return cfg
    out = {k: convert(v) for k, v in cfg.items()}
    if out.get("__type__") == "DNIConfig":
        assert out.pop("rule_inputs") is False, "only DNI without rule inputs was ever computed"
    if out.get("method") == OLD:
        out["method"] = NEW
    if isinstance(cfg.get("dni"), dict) and cfg["dni"].get("__type__") == "DNIConfig":
        out["rule_inputs"] = False
    return out


def names_dni(cfg) -> bool:
    if isinstance(cfg, list):
        return any(names_dni(v) for v in cfg)
    return isinstance(cfg, dict) and (cfg.get("method") == OLD or any(names_dni(v) for v in cfg.values()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    folder = ROOT / "results"
    n = 0
    for path in sorted(folder.glob("*.npz")):
        obj, meta = store.load(path, with_meta=True)
        if not names_dni(meta["config"]):
            continue
        cfg = convert(meta["config"])
        key = store.config_key(meta["kind"], cfg)
        target = folder / f"{meta['kind']}-{key}.npz"
        if hasattr(obj, "method") and obj.method == OLD:
            obj = obj._replace(method=NEW)
        print(f"{path.name} -> {target.name}")
        n += 1
        if a.write:
            prov = dict(meta.get("provenance", {}), rekeyed_from=meta["key"])
            store.save(target, obj, key=key, kind=meta["kind"], config=cfg, provenance=prov)
            path.unlink()
    print(f"{n} entries {'re-keyed' if a.write else 'to re-key (dry run)'}")


if __name__ == "__main__":
    main()
