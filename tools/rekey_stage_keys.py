"""One-off: move the committed learning-rate, DNI and sweep entries to keys without the fields they
do not depend on (the pilots' key drops the recipe's learning rate, which every pilot sets; DNI's
networks drop the test-set size, now a pilot-only dependency; a sweep's key drops the test set).
Nothing is recomputed: each entry is re-saved under its new key, its provenance kept.

    python tools/rekey_stage_keys.py [--write]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from molap import methods, pipeline as P, store  # noqa: E402
from molap.perturb import KINDS, levels_for  # noqa: E402
from molap.profiles import PROFILES  # noqa: E402
from molap.selection import LR_GRID, PILOT_FRACTION, lr_config, with_lr  # noqa: E402


def old_networks(p, m):
    k = methods.get(m).key(p)
    return dict(k, evaluation=p.evaluation) if m == "dni" else k


def old_lr(p, m):
    return {"method": m, "networks": old_networks(p, m), "training": p.training, "seed": p.pilot_seed,
            "grid": LR_GRID, "fraction": PILOT_FRACTION, "scored_on": "validation"}


def old_trained(p, m, s, recipe):
    return {"method": m, "networks": old_networks(p, m), "training": recipe, "evaluation": p.evaluation, "seed": s}


def mapping() -> dict[tuple[str, str], tuple[str, object]]:
    """(kind, old key) -> (kind, new config) for every entry of every profile."""
    out = {}
    for p in PROFILES.values():
        lrs = {}
        for m in methods.names():
            out[("lr", store.config_key("lr", old_lr(p, m)))] = ("lr", lr_config(p, m))
            found, choice = store.lookup("lr", old_lr(p, m))
            if not found:
                continue
            lrs[m] = choice.lr
            recipe = with_lr(p.training, choice.lr)
            if m == "dni":
                for s in p.seeds:
                    out[("trained", store.config_key("trained", old_trained(p, m, s, recipe)))] = (
                        "trained", P.trained_config(p, m, s, recipe))
            for k in KINDS:
                old = {"trained": old_trained(p, m, p.pilot_seed, recipe), "perturb": p.perturb, "kind": k,
                       "levels": levels_for(k)}
                out[("perturb", store.config_key("perturb", old))] = (
                    "perturb", P.perturb_config(p, m, p.pilot_seed, recipe, k, levels_for(k)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    table, n = mapping(), 0
    for path in sorted(store.results_dir().glob("*.npz")):
        obj, meta = store.load(path, with_meta=True)
        hit = table.get((meta["kind"], meta["key"]))
        if hit is None:
            continue
        kind, cfg = hit
        key = store.config_key(kind, cfg)
        target = path.with_name(f"{kind}-{key}.npz")
        print(f"{path.name} -> {target.name}")
        n += 1
        if args.write:
            prov = dict(meta.get("provenance", {}), rekeyed_from=meta["key"])
            store.save(target, obj, key=key, kind=kind, config=store._plain(cfg), provenance=prov)
            path.unlink()
    print(f"{n} re-keyed{'' if args.write else ' (dry run)'}")


if __name__ == "__main__":
    main()
