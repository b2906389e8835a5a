"""The cache-key contract: each stage's key changes with every profile field the stage depends on,
and with no other (the name, the seed list and other stages' fields leave it alone)."""

from dataclasses import fields, is_dataclass, replace

import pytest

from molap import pipeline as P
from molap import store
from molap.methods.frozen import modules_config, primitives_config
from molap.network import Layout
from molap.pipeline.selection import lr_config
from molap.profiles import PROFILES, QUICK, TINY, result_fields

NETWORKS = {"molap": ("primitives", "network", "pretrain"), "pca": ("primitives", "network", "pretrain"),
            "random": ("network",), "separate": ("network",), "dni": ("network.g", "dni"),
            "dni_no_rule": ("network.g", "dni")}
"""The profile fields each method's trained networks depend on (beyond the recipe)."""
PILOTS = {"dni": ("evaluation",), "dni_no_rule": ("evaluation",)}
"""What a method's pilot score depends on beyond its networks (DNI scores n_test trials per task)."""


def stage_keys(p) -> dict[str, str]:
    """Every stage's key for profile p (recipes fixed to the profile's own, so no lr is looked up)."""
    r = p.training
    keys = {"primitives": primitives_config(p, "cca"), "modules": modules_config(p, "cca", 0),
            "generalise": P.generalisation_config(p, "loo", "cca", 0, r)}
    for m in NETWORKS:
        keys[f"lr {m}"] = lr_config(p, m)
        keys[f"trained {m}"] = P.trained_config(p, m, 0, r)
        keys[f"perturb {m}"] = P.perturb_config(p, m, 0, r, "m1", p.perturb.levels_of("m1") or (0.0,))
    keys["newtasks"] = P.new_tasks_config(p, "molap", 0, r, [])
    return {k: store.config_key(k.split()[0], v) for k, v in keys.items()}


def expected(stage: str) -> tuple[str, ...]:
    """The field prefixes a stage's key must depend on. (The recipe's learning rate, which the
    stages get from the profile here, is not in the pilots' key: each pilot sets its own.)"""
    kind, _, method = stage.partition(" ")
    fixed = {"primitives": ("primitives",), "modules": ("primitives", "network", "pretrain"),
             "generalise": ("primitives", "network", "pretrain", "training", "evaluation"),
             "newtasks": NETWORKS["molap"] + ("training", "evaluation")}
    if kind in fixed:
        return fixed[kind]
    if kind == "lr":
        return NETWORKS[method] + PILOTS.get(method, ()) + tuple(f"training.{f}" for f in TRAINING_BUT_LR)
    return NETWORKS[method] + ("training",) + {"trained": ("evaluation",), "perturb": ("perturb",)}[kind]


def changed(config, path: str):
    """config with the leaf at the dotted path changed to another valid value."""
    head, _, rest = path.partition(".")
    v = getattr(config, head)
    if rest:
        return replace(config, **{head: changed(v, rest)})
    if isinstance(config, Layout):
        return replace(config, n_units=config.n_units + 2) if head == "n_units" else replace(config, n_modules=4)
    unset = {"clip": 1.0, "val_every": 1}  # options that are off by default (None)
    if head == "levels":  # a profile's own perturbation levels
        return replace(config, levels=v + (("m1", (0.0, 10.0)),))
    if isinstance(v, tuple):  # the sweep's points and seeds
        return replace(config, **{head: v + ((v[-1],) if v else ((8, 40),))})
    new = (not v) if isinstance(v, bool) else unset[head] if v is None else v + 1 if isinstance(v, int) else v * 2 + 0.5
    return replace(config, **{head: new})


TRAINING_BUT_LR = [f[len("training."):] for f in result_fields(TINY)
                   if f.startswith("training.") and f != "training.schedule.lr"]
BASE = stage_keys(TINY)


@pytest.mark.parametrize("path", result_fields(TINY))
def test_a_field_changes_exactly_the_keys_of_the_stages_that_depend_on_it(path):
    keys = stage_keys(changed(TINY, path))
    for stage, key in keys.items():
        depends = any(path == d or path.startswith(d + ".") for d in expected(stage))
        assert (key != BASE[stage]) == depends, f"{stage}: {path} {'should' if depends else 'should not'} change it"


def test_an_option_at_its_default_is_in_no_key_and_set_it_is():
    """Options added later (store.OMIT_DEFAULT) keep every key computed before them."""
    from molap.profiles import PerturbSetup
    from molap.training import TaskTraining

    plain = store.plain(TaskTraining())
    assert "clip" not in plain
    assert store.config_key("t", TaskTraining()) == store.config_key("t", TaskTraining(clip=None))
    assert store.config_key("t", TaskTraining()) != store.config_key("t", TaskTraining(clip=1.0))
    assert "levels" not in store.plain(PerturbSetup())
    assert store.config_key("t", PerturbSetup()) != store.config_key("t", PerturbSetup(levels=(("m1", (0.0, 1.0)),)))


def test_name_and_seed_list_are_in_no_key_but_the_pilot_seed_is():
    assert stage_keys(replace(TINY, name="renamed", seeds=(0, 3, 4))) == BASE
    moved = stage_keys(replace(TINY, seeds=(1, 2)))
    assert {s for s in BASE if moved[s] != BASE[s]} == {f"lr {m}" for m in NETWORKS}


def test_every_leaf_is_covered_and_profiles_compose():
    leaves = result_fields(TINY)
    assert len(leaves) == len(set(leaves)) > 20 and "perturb.n_draws" in leaves and "name" not in leaves
    assert TINY.network == QUICK.network and TINY.seeds == QUICK.seeds  # tiny is quick, shrunk
    assert all(is_dataclass(getattr(PROFILES["paper"], f.name)) for f in fields(PROFILES["paper"])[4:])


def test_one_kinds_levels_leave_the_other_kinds_sweeps_alone():
    from molap.profiles import PerturbSetup, fine_levels

    fine = replace(TINY, perturb=replace(TINY.perturb, levels=fine_levels("m1")))
    assert P.perturb_config(fine, "molap", 0, TINY.training, "noise", (0.0, 0.01)) == P.perturb_config(
        TINY, "molap", 0, TINY.training, "noise", (0.0, 0.01))
    assert fine.perturb.levels_of("m1")[:4] == (0.0, 0.25, 0.5, 1.0) and fine.perturb.levels_of("noise") is None
    assert dict(fine_levels())["silence"] == tuple(float(i) for i in range(11))
    with pytest.raises(Exception, match="unknown perturbation kind"):
        PerturbSetup(levels=(("m9", (0.0,)),))


def test_perturbation_seeds_are_trained_seeds_and_in_no_key():
    from molap.errors import MolapError

    p = replace(TINY, family_seeds=(("frozen", (0, 1, 2, 3)),), perturb_seeds=(("frozen", (0, 1, 2)),))
    assert p.perturb_seeds_for("frozen") == (0, 1, 2) and p.perturb_seeds_for("separate") == TINY.seeds
    assert replace(p, perturb_seeds=()).perturb_seeds_for("frozen") == (0, 1, 2, 3)  # default: every trained seed
    assert P.perturb_seeds_of(p, "pca") == (0, 1, 2) and P.perturb_seeds_of(p, "dni") == TINY.seeds
    assert stage_keys(p) == BASE
    with pytest.raises(MolapError, match=r"perturbation seeds \[7\] of family 'frozen'"):
        replace(TINY, perturb_seeds=(("frozen", (0, 7)),))
