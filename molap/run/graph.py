"""The dependency graph of a profile's items (:func:`molap.run.reproduce.stages`): each item's
direct inputs, so that :mod:`molap.run.distributed` starts an item once its inputs are written.

Dependencies (each item's direct inputs; "fam(m)" is method m's family, :func:`molap.methods.families`;
the pre-trained methods are molap and pca, on cca and pca primitives):

=============== ============================================ ===================================================
stage           item                                         depends on
=============== ============================================ ===================================================
primitives      each kind, the R2 table, each mode's folds   nothing
pre-training    the pre-trained methods, every seed          primitives of their kinds (cca, pca)
learning rates  a family with a pre-trained method           pre-training
learning rates  a family without one (separate, dni, ...)    nothing
training        a family, every seed                         its learning rates (and pre-training, as above)
training        molap, the paper's literal recipe            pre-training (its learning rate is the paper's)
schedule sweep  a family, one recipe                         its learning rates (and pre-training, as above)
early learning  a family, its seeds                          its learning rates (and pre-training, as above)
perturbations   method m, one kind                           training of fam(m) (its trained networks)
generalisation  a (mode, kind) variant                       that mode and kind's folds; learning rates of fam(molap)
                                                             (the folds pre-train their own modules)
generalisation  new tasks, m                                 pre-training; learning rates of fam(molap); the
                                                             first method's item (it trains every method's heads)
generalisation  the book's own / neurogym tasks, m           learning rates of fam(m) (and pre-training if m is
                                                             pre-trained)
=============== ============================================ ===================================================

Traced on a serial run of the ``tiny`` profile, every entry an item reads was written by an item
it depends on, directly or through others. An item that no rule names (a stage or a kind of item
added later) depends on every item of the stages before its own, the serial order
(:attr:`Item.fallback`). On an accelerator the generalisation variants of a seed train together
(:func:`molap.pipeline.generalisation`): the first variant's task computes them all, under their
lock, and the others then load theirs.
"""

from __future__ import annotations

from typing import NamedTuple

from molap import methods
from molap import pipeline as P
from molap.analysis.generalisation import MODES
from molap.analysis.perturbations import KINDS
from molap.pipeline import curves
from molap.primitives import KINDS as PRIMITIVE_KINDS
from molap.profiles import Profile, get_profile
from molap.run.reproduce import seed_label, stages
from molap.tasks import examples


class Item(NamedTuple):
    """One task: ``stage`` and ``name`` as in :func:`molap.run.reproduce.stages`; ``deps``: the keys
    (:attr:`key`) of the items it depends on; ``fallback``: no rule names its inputs, so it
    depends on every item of the earlier stages."""

    stage: str
    name: str
    deps: tuple[str, ...]
    fallback: bool = False

    @property
    def key(self) -> str:
        """``"stage: item"``, as :func:`molap.run.reproduce.reproduce` names an item that remains."""
        return f"{self.stage}: {self.name}"


def _rules(p: Profile) -> dict[str, tuple[str, ...]]:
    """{item key: the keys of its direct inputs} for the items of the table in the module docstring."""
    seeds = seed_label(p.seeds)
    family = {m: f for f in methods.families() for m in f}
    pre = P.pretrained_methods()
    pretraining = f"pre-training: {' and '.join(pre)}, {seed_label(P.seeds_of(p, pre[0]))}"

    def training(f) -> str:
        return f"training: {', '.join(f)}, {seed_label(P.seeds_of(p, f[0]))}"

    def lr(m: str) -> str:
        return f"learning rates: {', '.join(family[m])}"

    def pretrained(ms) -> tuple[str, ...]:
        return (pretraining,) if any(m in pre for m in ms) else ()

    rules = {f"primitives: {k}": () for k in PRIMITIVE_KINDS + ("r2 table",)}
    rules |= {f"primitives: {mode} {k} folds": () for mode in MODES for k in ("cca", "pca")}
    rules[pretraining] = tuple(f"primitives: {k}" for k in dict.fromkeys(methods.get(m).primitives for m in pre))
    for f in family.values():
        rules[lr(f[0])] = pretrained(f)
        rules[training(f)] = (lr(f[0]),) + pretrained(f)
        for r in curves.sweep_recipes(p):
            sweep = f"{', '.join(f)}, batch {r.batch}, {r.schedule.n_steps} steps, decay {r.schedule.decay:g}"
            rules[f"schedule sweep: {sweep}"] = (lr(f[0]),) + pretrained(f)
    if curves.early_recipe(p) is not None:
        for f in family.values():
            if f[0] in curves.swept_methods():
                rules[f"early learning: {', '.join(f)}, {seed_label(P.seeds_of(p, f[0]))}"] = (lr(f[0]),) + pretrained(f)
    rules["training: molap, paper's literal recipe"] = pretrained(("molap",))
    for m in methods.names():
        for k in KINDS:
            rules[f"perturbations: {m} {k}, {seed_label(P.perturb_seeds_of(p, m))}"] = (training(family[m]),)
    for mode, k in P.VARIANTS:
        rules[f"generalisation: {mode} {k}, {seeds}"] = (f"primitives: {mode} {k} folds", lr("molap"))
    first = f"generalisation: new tasks, {P.NEW_TASK_METHODS[0]}"  # trains every method's heads together
    for m in P.NEW_TASK_METHODS:
        rules[f"generalisation: new tasks, {m}"] = pretrained(P.NEW_TASK_METHODS) + (lr("molap"),) + (
            (first,) if m != P.NEW_TASK_METHODS[0] else ())
    for m in examples.OWN_TASK_METHODS:
        for what in ("the book's own task", "the book's neurogym tasks"):
            rules[f"generalisation: {what}, {m}"] = (lr(m),) + pretrained((m,))
    return rules


def graph(profile: str | Profile | None = None, only: tuple[str, ...] | None = None) -> list[Item]:
    """The profile's items with their dependencies, in the serial order (each after its inputs).
    ``only``: the items of these stages and, transitively, the items they depend on."""
    p = get_profile(profile)
    rules = _rules(p)
    items, earlier, before = [], [], set()  # the items of the earlier stages; every item before this one
    for stage, its in stages(p):
        for name, _ in its:
            deps = rules.get(f"{stage}: {name}")
            if deps is None or not set(deps) <= before:  # no rule, or one that names no earlier item (stale)
                items.append(Item(stage, name, tuple(earlier), fallback=True))
            else:
                items.append(Item(stage, name, deps))
            before.add(items[-1].key)
        earlier += [f"{stage}: {name}" for name, _ in its]
    if only:
        by_key = {it.key: it for it in items}
        keep = {it.key for it in items if it.stage in only}
        todo = list(keep)
        while todo:
            for d in by_key[todo.pop()].deps:
                if d not in keep:
                    keep.add(d)
                    todo.append(d)
        items = [it for it in items if it.key in keep]
    return items
