"""One-off: re-key the committed results (``results/``) from the flat-profile cache keys to the
per-stage keys of :mod:`molap.pipeline`, and store them as typed results. Nothing is recomputed:
every array is copied bit for bit, the provenance is kept (``rekeyed_from`` added).

Old keys hashed a hand-kept list of profile fields (``training_fields``) beside each stage's own
arguments; old results were dicts. Run from the repository root:

    python tools/rekey_results.py          # dry run: what would be renamed
    python tools/rekey_results.py --write  # write the new entries, remove the old ones
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from molap import pipeline as P, store  # noqa: E402
from molap.generalize import Folds, NewTaskHeads, new_tasks  # noqa: E402
from molap.methods import FrozenParams, Modules, TrainedRun  # noqa: E402
from molap.methods.frozen import primitives_config  # noqa: E402
from molap.perturb import Sweep  # noqa: E402
from molap.primitives import PrimitivesConfig  # noqa: E402
from molap.profiles import PROFILES  # noqa: E402
from molap.selection import LRChoice, lr_config, with_lr  # noqa: E402
from molap.training import Schedule, TaskTraining  # noqa: E402

LRS: dict = {}  #: (profile name, method) -> the selected lr, from the lr entries (converted first)
ORDER = ("primitives", "r2", "modules", "lr", "trained", "perturb", "generalise", "newtasks")


def _json(x) -> str:
    return json.dumps(x, sort_keys=True, default=str)


def old_training_fields(p) -> dict:
    """The old flat key of a profile, as the old code's ``training_fields`` hashed it."""
    plain = store._plain({"primitives_trials": p.primitives.n_trials, "n_components": p.primitives.n_components,
                          "layout": p.network.layout, "g": p.network.g, "pretrain": p.pretrain, "heads": p.training,
                          "n_test": p.evaluation.n_test, "dni": p.dni, "primitives_seed": p.primitives.seed})
    plain["heads"]["__type__"] = "HeadConfig"
    return json.loads(_json(plain))


def profile_of(old: dict):
    matches = [p for p in PROFILES.values() if _json(old_training_fields(p)) == _json(old)]
    if len(matches) != 1:
        raise SystemExit(f"no unique profile for {old}")
    return matches[0]


def recipe_of(plain: dict) -> TaskTraining:
    kw = {f.name: plain[f.name] for f in fields(TaskTraining)}
    kw["schedule"] = Schedule(**{f.name: plain["schedule"][f.name] for f in fields(Schedule)})
    return TaskTraining(**kw)


def convert(kind: str, cfg: dict, obj):
    """(new config, new object) of one old entry."""
    if kind == "primitives":
        c = {k: v for k, v in cfg.items() if k != "__type__"}
        c["kind"] = c.pop("method")
        c["tasks"] = None if c["tasks"] is None else tuple(c["tasks"])
        return PrimitivesConfig(**c), obj
    if kind == "r2":
        return cfg, obj
    p = profile_of(cfg["profile"])
    if kind == "modules":
        k = "cca" if cfg["method"] == "molap" else "pca"
        new = {"primitives": primitives_config(p, k, cfg["tasks"]), "network": p.network, "pretrain": p.pretrain,
               "seed": cfg["seed"]}
        return new, Modules(obj["w_rec"], obj["b"], obj["pretrain"])
    if kind == "lr":
        assert cfg["seed"] == p.pilot_seed and cfg["scored_on"] == "validation"
        LRS[(p.name, cfg["method"])] = obj["lr"]
        return lr_config(p, cfg["method"]), LRChoice(obj["lr"], obj["grid"], obj["scores"])
    if kind == "trained":
        m = cfg["method"]
        params = FrozenParams(obj["w_rec"], obj["b"], obj["heads"]) if "heads" in obj else obj["params"]
        run = TrainedRun(m, obj["seed"], obj["lr"], obj["tasks"], obj["test"], obj["curve_steps"], obj["curve"],
                         obj["losses"], params, obj.get("after_own"))
        return P.trained_config(p, m, cfg["seed"], recipe_of(cfg["heads"])), run
    if kind == "perturb":
        m = cfg["method"]
        assert (cfg["n_draws"], cfg["trials"], cfg["lr_seed"]) == (p.perturb.n_draws, p.perturb.n_trials, p.pilot_seed)
        recipe = with_lr(p.training, LRS[(p.name, m)])
        new = P.perturb_config(p, P.trained_config(p, m, cfg["seed"], recipe), cfg["kind"], tuple(cfg["levels"]))
        acc = obj["acc"]
        return new, Sweep(obj["method"], obj["kind"], obj["levels"], obj["tasks"], acc[..., 0], acc[..., 1])
    if kind == "generalise":
        new = P.generalise_config(p, cfg["mode"], cfg["method"], cfg["seed"], recipe_of(cfg["heads"]))
        return new, Folds(cfg["mode"], cfg["method"], obj["tasks"], obj["left_out"], obj["r2"], obj["corr"],
                          obj["test"], obj["pretrain_mse"], obj["pretrain_var"], obj["curve_steps"], obj["curve"],
                          obj["x_weights"])
    if kind == "newtasks":
        ts = new_tasks()
        assert [t.name for t in ts] == cfg["tasks"] == obj["tasks"]
        new = P.new_tasks_config(p, cfg["method"], cfg["seed"], recipe_of(cfg["heads"]), ts)
        return new, NewTaskHeads(cfg["method"], cfg["seed"], obj["tasks"], obj["test"], obj["curve_steps"],
                                 obj["curve"])
    raise SystemExit(f"unknown kind {kind!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    folder = store.results_dir()
    entries = []
    for path in sorted(folder.glob("*.npz")):
        obj, meta = store.load(path, with_meta=True)
        entries.append((ORDER.index(meta["kind"]), path, obj, meta))
    renamed = same = 0
    for _, path, obj, meta in sorted(entries, key=lambda e: (e[0], e[1].name)):
        kind = meta["kind"]
        cfg_old = meta["config"]
        new_format = kind == "r2" or ("kind" in cfg_old if kind == "primitives" else "profile" not in cfg_old)
        if new_format:
            same += 1  # already in the per-stage format
            continue
        cfg, new = convert(kind, meta["config"], obj)
        key = store.config_key(kind, cfg)
        target = folder / f"{kind}-{key}.npz"
        if target == path and kind in ("primitives", "r2"):
            same += 1
            continue
        renamed += 1
        print(f"{path.name} -> {target.name}")
        if args.write:
            prov = dict(meta.get("provenance", {}), rekeyed_from=meta["key"])
            store.save(target, new, key=key, kind=kind, config=store._plain(cfg), provenance=prov)
            if target != path:
                path.unlink()
    print(f"{renamed} re-keyed, {same} unchanged{'' if args.write else ' (dry run)'}")


if __name__ == "__main__":
    main()
