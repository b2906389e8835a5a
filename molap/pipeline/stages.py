"""The cached pipeline: primitives -> frozen modules -> trained methods -> sweeps and folds.

Every stage is cached on disk (:mod:`molap.store`), keyed by the sub-configurations of the
profile it depends on (``*_config`` below; :mod:`molap.profiles`) and the seeds it uses. Methods
come from the registry (:mod:`molap.methods`); random draws from the seed's streams
(:mod:`molap.streams`); learning rates from :mod:`molap.pipeline.selection`.
"""

from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp

from molap import methods, store
from molap.analysis import generalisation as folds_of
from molap.analysis import perturb, perturbations
from molap.analysis.generalisation import Folds, NewTaskHeads
from molap.analysis.perturb import Sweep
from molap.errors import MolapError
from molap.methods import Modules, RunSpec, TrainedRun, initial_network
from molap.methods.frozen import primitives_config
from molap.pipeline.selection import learning_rate, selected_recipe, with_lr
from molap.primitives import Primitives, fit_cached, r2_curve
from molap.profiles import Profile, get_profile
from molap.streams import Stream, check_seed, stream
from molap.tasks import get_tasks
from molap.training import TaskTraining, evaluate_heads, train_heads_many, unstack

__all__ = ["NEW_TASK_METHODS", "VARIANTS", "fold_primitives", "frozen_methods", "generalisation",
           "generalisation_config", "get_profile", "initial_network", "learning_rate", "modules", "new_task_heads",
           "new_tasks_config", "perturb_config", "perturb_seeds_of", "perturbation", "pretrained_methods", "primitives",
           "r2_table", "seeds_of", "selected_recipe", "trained", "trained_config", "with_lr"]

VARIANTS = (("loo", "cca"), ("loo", "pca"), ("l2o", "cca"), ("l2o", "pca"))
"""The generalisation variants (mode, primitive kind) of the book, trained together."""
NEW_TASK_METHODS = ("molap", "random")
"""The methods whose frozen modules learn the tasks in no corpus (trained together)."""


def primitives(profile: str | Profile | None = None, kind: str = "cca", tasks=None) -> Primitives:
    """The fitted primitives of a kind on the profile's corpus (cached)."""
    return fit_cached(primitives_config(get_profile(profile), kind, tasks))


def fold_primitives(profile: str | Profile | None = None, mode: str = "loo", kind: str = "cca"):
    """Every generalisation fold's fitted map (cached): (folds, stacked Primitives)."""
    s = get_profile(profile).primitives
    return folds_of.fit_folds(mode, kind, s.n_components, s.n_trials, s.seed, fit_cached)


def r2_table(profile: str | Profile | None = None, max_components: int = 4) -> list[dict]:
    """CCA score and canonical correlations for 1..max_components components (cached)."""
    s = get_profile(profile).primitives
    cfg = {"trials": s.n_trials, "seed": s.seed, "max": max_components}
    return store.cached("r2", cfg, lambda: r2_curve(max_components, s.n_trials, s.seed))


def modules(profile: str | Profile | None = None, method: str = "molap", seed: int = 0, tasks=None) -> Modules:
    """The frozen recurrent weights of a frozen-module method (pre-trained ones cached)."""
    m = methods.get(method)
    if not hasattr(m, "modules"):
        raise MolapError(f"method {method!r} has no frozen modules; expected one of {frozen_methods()}")
    return m.modules(get_profile(profile), seed, tasks)


def seeds_of(profile: str | Profile | None, method: str) -> tuple[int, ...]:
    """The seeds a method is trained and compared on (its family's, :meth:`molap.profiles.Profile.seeds_for`)."""
    return get_profile(profile).seeds_for(methods.get(method).family)


def perturb_seeds_of(profile: str | Profile | None, method: str) -> tuple[int, ...]:
    """The seeds a method's perturbation sweeps run on (:meth:`molap.profiles.Profile.perturb_seeds_for`)."""
    return get_profile(profile).perturb_seeds_for(methods.get(method).family)


def frozen_methods() -> tuple[str, ...]:
    """The registered methods with frozen modules (task heads on a frozen reservoir)."""
    return tuple(m for m in methods.names() if hasattr(methods.get(m), "modules"))


def pretrained_methods() -> tuple[str, ...]:
    """The registered frozen-module methods whose modules are pre-trained on primitives."""
    return tuple(m for m in frozen_methods() if getattr(methods.get(m), "primitives", None) is not None)


def trained_config(profile: Profile, method: str, seed: int, recipe: TaskTraining, tasks=None) -> dict:
    """The cache key of a trained run; ``tasks`` other than the corpus are keyed by their names and
    definitions (:meth:`molap.tasks.Task.fingerprint`)."""
    key = {"method": method, "networks": methods.get(method).key(profile), "training": recipe,
           "evaluation": profile.evaluation, "seed": seed}
    if tasks is not None:
        key["tasks"] = [{"name": t.name, "definition": t.fingerprint()} for t in tasks]
    return key


def trained(profile: str | Profile | None = None, method: str = "molap", seed: int = 0,
            recipe: TaskTraining | None = None, lr: float | None = None, tasks=None) -> TrainedRun:
    """A method trained with the profile's recipe and tested (cached).

    The learning rate is the method's selected one (:func:`molap.pipeline.selection.learning_rate`)
    unless ``lr`` or a full ``recipe`` is given. With the profile's recipe, every missing run of
    the method's family and the family's seeds (:func:`seeds_of`) is trained together in one vmapped run.

    ``tasks`` (names, ``path.py:NAME`` specs or :class:`molap.tasks.Task` objects; default the
    nine) trains the method on those tasks instead, with the same learning-rate rule (the
    method's selected rate): heads on the method's frozen modules (pre-trained on the corpus),
    one separate network per task, or DNI over the tasks in the given order. Such runs are cached
    under the tasks' definitions, so editing a task trains it again.
    """
    p = get_profile(profile)
    methods.get(method)
    seed = check_seed(seed)
    ts = None if tasks is None else get_tasks(tasks)
    if ts == get_tasks(None):
        ts = None  # the corpus in its own order: the corpus's runs
    if ts is None and recipe is None and lr is None and seed in seeds_of(p, method):
        found, run = store.lookup("trained", trained_config(p, method, seed, selected_recipe(p, method)))
        if found:  # the common case, without looking up every run of the family (a file each)
            return run
        group = [RunSpec(m, s, selected_recipe(p, m)) for m in methods.family(method) for s in seeds_of(p, method)]
    else:
        group = [RunSpec(method, seed, recipe if recipe is not None else
                         (selected_recipe(p, method) if lr is None else with_lr(p.training, lr)))]
    cfgs = [trained_config(p, s.method, s.seed, s.recipe, ts) for s in group]
    by_recipe: dict = {}  # runs that differ only in their learning rate train together
    for i, s in enumerate(group):
        by_recipe.setdefault(replace(s.recipe, schedule=replace(s.recipe.schedule, lr=0.0)), []).append(i)

    def compute(idx):
        out = {}
        for members in by_recipe.values():
            todo = [i for i in idx if i in members]
            if todo:
                out.update(zip(todo, methods.get(method).train(p, [group[i] for i in todo], tasks=ts)))
        return [out[i] for i in idx]

    mine = [i for i, s in enumerate(group) if (s.method, s.seed) == (method, seed)][0]
    return store.cached_many("trained", cfgs, compute, asked=mine)[mine]


def perturb_config(profile: Profile, method: str, seed: int, recipe: TaskTraining, kind: str, levels: tuple) -> dict:
    """The cache key of a perturbation sweep of one trained run (its trained weights: not the test set).
    The sweep's own levels are in it; the profile's levels of the other kinds are not, so a profile
    can move one kind to a new grid without re-keying the others."""
    return {"method": method, "networks": methods.get(method).key(profile), "training": recipe, "seed": seed,
            "perturb": replace(profile.perturb, levels=()), "kind": kind, "levels": levels}


def perturbation(profile: str | Profile | None = None, method: str = "molap", kind: str = "m1", seed: int = 0,
                 levels=None) -> Sweep:
    """Accuracy of a trained method under one perturbation kind (cached; :func:`molap.analysis.perturb.sweep`)."""
    p = get_profile(profile)
    m = methods.get(method)
    perturbations.check_kind(kind)
    seed = check_seed(seed)
    levels = p.perturb.levels_of(kind) if levels is None else levels
    lv = perturbations.levels_for(kind) if levels is None else tuple(
        float(v) for v in perturbations.check_levels(kind, levels))
    cfg = perturb_config(p, method, seed, selected_recipe(p, method), kind, lv)

    def compute():
        run = trained(p, method, seed)
        return perturb.sweep(m.task_networks(run, p), kind, lv, method=method, n_draws=p.perturb.n_draws,
                             n_trials=p.perturb.n_trials, key=perturb.sweep_key(seed, kind),
                             test_key=stream(seed, Stream.TEST))

    return store.cached("perturb", cfg, compute)


def generalisation_config(profile: Profile, mode: str, kind: str, seed: int, recipe: TaskTraining) -> dict:
    """The cache key of a generalisation variant."""
    p = profile
    return {"primitives": p.primitives, "network": p.network, "pretrain": p.pretrain, "training": recipe,
            "evaluation": p.evaluation, "mode": mode, "kind": kind, "seed": seed,
            "keys": "paired with the full-corpus run"}


def generalisation(profile: str | Profile | None = None, mode: str = "loo", kind: str = "cca",
                   seed: int = 0, together: bool | None = None) -> Folds:
    """Leave-one-out or leave-two-out folds for CCA or PCA primitives (cached; see
    :mod:`molap.analysis.generalisation`). The heads use the learning rate chosen for ``molap``.

    ``together``: compute the missing variants of :data:`VARIANTS` of the seed in one vmapped
    run. Default: on an accelerator, where vmapping more networks costs little; on the CPU, whose
    cost grows with the number of networks anyway, each variant alone, so that a long profile
    commits its results one (variant, seed) at a time (about half an hour each for ``standard``
    on the 2-core CPU, against two hours for a seed's four)."""
    import jax

    p = get_profile(profile)
    folds_of.folds(mode)
    folds_of.check_kind(kind)
    seed = check_seed(seed)
    recipe = selected_recipe(p, "molap")
    if together is None:
        together = jax.default_backend() != "cpu"
    group = list(VARIANTS) if together and (mode, kind) in VARIANTS else [(mode, kind)]
    cfgs = [generalisation_config(p, mo, k, seed, recipe) for mo, k in group]

    def compute(idx):
        s = p.primitives
        return folds_of.run_variants(
            [group[i] for i in idx], init=initial_network(p, seed), layout=p.network.layout,
            pretrain_config=p.pretrain, head_config=recipe, n_components=s.n_components, n_trials=s.n_trials,
            primitives_seed=s.seed, key=stream(seed, Stream.PRETRAIN), train_key=stream(seed, Stream.TRAIN),
            val_key=stream(seed, Stream.VAL), test_key=stream(seed, Stream.TEST), n_test=p.evaluation.n_test,
            fit_fn=fit_cached)

    i = group.index((mode, kind))
    return store.cached_many("generalise", cfgs, compute, asked=i)[i]


def new_tasks_config(profile: Profile, method: str, seed: int, recipe: TaskTraining, tasks) -> dict:
    """The cache key of heads for tasks in no corpus."""
    return {"method": method, "networks": methods.get(method).key(profile), "training": recipe,
            "evaluation": profile.evaluation, "tasks": [t.name for t in tasks], "seed": seed}


def new_task_heads(profile: str | Profile | None = None, method: str = "molap", seed: int = 0) -> NewTaskHeads:
    """Heads for the tasks in no corpus (:mod:`molap.tasks.extra`) on a method's frozen modules
    (cached; the missing entries of :data:`NEW_TASK_METHODS` are trained together)."""
    p = get_profile(profile)
    methods.get(method)
    if method not in frozen_methods():
        raise MolapError(f"method {method!r} has no frozen modules for new tasks; expected one of {frozen_methods()}")
    seed = check_seed(seed)
    recipe = selected_recipe(p, "molap")
    ts = folds_of.new_tasks()
    group = [m for m in NEW_TASK_METHODS if m != method] + [method]
    cfgs = [new_tasks_config(p, m, seed, recipe, ts) for m in group]

    def compute(idx):
        ms = [modules(p, group[i], seed) for i in idx]
        res = train_heads_many(jnp.stack([m.w_rec for m in ms]), jnp.stack([m.b for m in ms]), ts, recipe,
                               keys=jnp.stack([stream(seed, Stream.TRAIN)] * len(idx)),
                               val_keys=jnp.stack([stream(seed, Stream.VAL)] * len(idx)))
        out = []
        for j, m in zip(idx, ms):
            r = unstack(res, len(out))
            test = evaluate_heads(m.w_rec, m.b, r.heads, ts, key=stream(seed, Stream.TEST),
                                  n_trials=p.evaluation.n_test)
            out.append(NewTaskHeads(group[j], seed, [t.name for t in ts], test, r.curve_steps, r.curve))
        return out

    return store.cached_many("newtasks", cfgs, compute, asked=-1)[-1]
