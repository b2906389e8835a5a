"""Run profiles: nested frozen configurations that set the size of every stage of a run.

A :class:`Profile` composes one sub-configuration per part of the pipeline (the primitive fit,
the network, pre-training, task training, the test set, DNI's own settings, perturbation sweeps).
Each stage's cache key (:mod:`molap.pipeline`) is built from the sub-configurations that stage
depends on, never from the whole profile: a sweep's draw count is part of the sweep's key, not of
the trained networks'. Fields marked :data:`NO_EFFECT` (the name, the seed list) are in no key;
a stage that uses a seed names it in its own key. ``MOLAP_PROFILE`` picks the book's profile.

Profiles: ``tiny`` (smoke tests: every stage runs, nothing is learned), ``quick`` (CI, a laptop),
``standard`` (the converged book on a CPU: the paper's networks, heads at batch 16 for 10,000
steps, 5 to 20 seeds per method family), ``paper`` (the paper's sizes: CCA on 2000 aligned trials per task, batch 200, the full schedules,
2000-trial test sets, 5 seeds). ``tiny`` is ``quick`` shrunk with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, is_dataclass, replace

from molap.errors import MolapError
from molap.names import PERTURB_KINDS, PROFILE_NAMES
from molap.network import Layout
from molap.store.keys import OMIT_DEFAULT
from molap.training import PretrainConfig, Schedule, TaskTraining
from molap.training.dni import DNIConfig

NO_EFFECT = {"affects_results": False}
"""Field metadata of profile fields that no result depends on."""


@dataclass(frozen=True)
class PrimitivesSetup:
    """The primitive fit shared by every primitive kind: components kept, aligned trials per task,
    and the seed of the corpus draw."""

    n_components: int = 2
    n_trials: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class NetworkSetup:
    """The initial network of every seed: units and modules, and the gain of W_rec."""

    layout: Layout = Layout(100, 2)
    g: float = 1.5


@dataclass(frozen=True)
class Evaluation:
    """The held-out test set: fresh trials per task."""

    n_test: int = 2000


@dataclass(frozen=True)
class PerturbSetup:
    """Perturbation sweeps: random draws per level, test trials per task, and ``levels``: a
    profile's own levels for some kinds, ((kind, (level, ...)), ...) (the others sweep the paper's
    grid, :data:`molap.analysis.perturbations.PERTURBATIONS`; unset, it is in no cache key)."""

    n_draws: int = 30
    n_trials: int = 2000
    levels: tuple[tuple[str, tuple[float, ...]], ...] = field(default=(), metadata=OMIT_DEFAULT)

    def __post_init__(self):
        bad = [k for k, _ in self.levels if k not in PERTURB_KINDS]
        if bad:
            raise MolapError(f"unknown perturbation kind(s) {bad} in a profile's levels; expected {PERTURB_KINDS}")

    def levels_of(self, kind: str) -> tuple[float, ...] | None:
        """The profile's own levels of a kind, or None (the paper's grid)."""
        return dict(self.levels).get(kind)


FINE_LESION = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0)
"""Percent of a region's weights zeroed, on a grid dense where the book's networks degrade (zeroing
1% of module 1's weights already halves their decision accuracy; the paper's grid starts at 5%)."""
FINE_NOISE = (0.0, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.03)
"""Sigma of the noise added to every recurrent weight (the paper's grid steps by 0.005)."""
FINE_SILENCE = tuple(float(i) for i in range(11))
"""Percent of units silenced: 0 to 10 units of the paper's 100 (the paper's grid starts at 5%)."""


def fine_levels(*kinds: str) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """:attr:`PerturbSetup.levels` for ``kinds`` (default all) on the fine grids above."""
    grid = {"noise": FINE_NOISE, "silence": FINE_SILENCE}
    return tuple((k, grid.get(k, FINE_LESION)) for k in (kinds or PERTURB_KINDS))


@dataclass(frozen=True)
class SweepSetup:
    """The schedule sweep (:mod:`molap.pipeline.curves`): ``points`` (batch, steps) or (batch, steps, decay),
    each the profile's recipe at that batch and length with lr divided by the point's decay (else
    ``decay``) per tenth, unclipped, validated 40 times, on ``seeds``, for every method that trains its tasks
    together; no points: no sweep."""

    points: tuple[tuple, ...] = ()
    seeds: tuple[int, ...] = (0, 1)
    decay: float = 1.5

    def __post_init__(self):
        bad = [pt for pt in self.points if not (isinstance(pt, tuple) and len(pt) in (2, 3))]
        if bad:
            raise MolapError(f"sweep points must be (batch, steps) or (batch, steps, decay), got {bad}")


@dataclass(frozen=True)
class EarlySetup:
    """The early-learning stage (:func:`molap.pipeline.curves.early`): the profile's own runs of the
    methods that train their tasks together, on their families' seeds, up to ``steps`` (whole
    blocks of the recipe; 0: no stage), validated every ``val_every`` steps."""

    steps: int = 0
    val_every: int = 50


@dataclass(frozen=True)
class Profile:
    """Everything that sets the size of a run (see the module docstring)."""

    name: str = field(metadata=NO_EFFECT)
    seeds: tuple[int, ...] = field(metadata=NO_EFFECT)
    family_seeds: tuple[tuple[str, tuple[int, ...]], ...] = field(default=(), metadata=NO_EFFECT)
    perturb_seeds: tuple[tuple[str, tuple[int, ...]], ...] = field(default=(), metadata=NO_EFFECT)
    primitives: PrimitivesSetup = PrimitivesSetup()
    network: NetworkSetup = NetworkSetup()
    pretrain: PretrainConfig = PretrainConfig()
    training: TaskTraining = TaskTraining()
    evaluation: Evaluation = Evaluation()
    dni: DNIConfig = DNIConfig()
    perturb: PerturbSetup = PerturbSetup()
    sweep: SweepSetup = SweepSetup()
    early: EarlySetup = EarlySetup()

    def seeds_for(self, family: str) -> tuple[int, ...]:
        """The seeds a method family is trained and compared on: its own list in
        :attr:`family_seeds` ((family, seeds), ...), else :attr:`seeds`. Perturbation sweeps run on
        these too (unless :attr:`perturb_seeds` says otherwise); generalisation folds and the
        schedule sweep use :attr:`seeds` (and its own list)."""
        return dict(self.family_seeds).get(family, self.seeds)

    def perturb_seeds_for(self, family: str) -> tuple[int, ...]:
        """The seeds a method family's perturbation sweeps run on: its own list in
        :attr:`perturb_seeds` ((family, seeds), ...), else every seed it is trained on
        (:meth:`seeds_for`); each is a trained seed."""
        return dict(self.perturb_seeds).get(family, self.seeds_for(family))

    def __post_init__(self):
        for family, seeds in self.perturb_seeds:
            extra = sorted(set(seeds) - set(self.seeds_for(family)))
            if extra:
                raise MolapError(f"perturbation seeds {extra} of family {family!r} are not among its trained seeds "
                                 f"{self.seeds_for(family)}")

    @property
    def pilot_seed(self) -> int:
        """The seed of the learning-rate pilots (the first of :attr:`seeds`)."""
        return self.seeds[0]


PAPER = Profile(name="paper", seeds=(0, 1, 2, 3, 4))

STANDARD = replace(
    PAPER,
    name="standard",
    family_seeds=(("frozen", tuple(range(20))), ("separate", tuple(range(10)))),
    training=TaskTraining(batch=16, schedule=Schedule(1e-2, 10, 1000, 1.5), n_val=500, val_every=250, clip=1.0),
    evaluation=Evaluation(n_test=1000),
    dni=DNIConfig(n_cov=1000),
    perturb=PerturbSetup(n_draws=10, n_trials=500, levels=fine_levels()),
    sweep=SweepSetup(points=((16, 10000), (32, 10000), (64, 5000), (200, 2000), (32, 10000, 1.0)), seeds=(0, 1)),
    early=EarlySetup(3000, 50),
)
"""The book's converged profile, computed on a 2-core CPU: the paper's primitives, networks and
pre-training; heads and networks at batch 16 for 10 x 1000 steps (lr / 1.5 per block, validated
every 250 steps: the point of the schedule sweep with the most (seed, task) pairs at criterion,
and the cheapest), each task network's gradient clipped to norm 1 before Adam (unclipped, the
recipe left some frozen-module (seed, task) pairs of the five seeds on the constant-output
plateau, heads that had started to learn and fell back; the sweep itself is unclipped), 1000 test
trials, 10 draws x 500 trials per perturbation level on the fine grids (:func:`fine_levels`); 20
seeds for the frozen-module family, 10 for separate networks, 5 for DNI; the early-learning stage; the schedule sweep
behind that recipe (:mod:`molap.pipeline.curves`)."""

QUICK = Profile(
    name="quick",
    seeds=(0, 1),
    primitives=PrimitivesSetup(n_trials=500),
    pretrain=PretrainConfig(batch=32, schedule=Schedule(3e-3, 5, 60, 3.0)),
    training=TaskTraining(batch=32, schedule=Schedule(1e-2, 10, 100, 1.5), n_val=200),
    evaluation=Evaluation(n_test=500),
    dni=DNIConfig(n_cov=500),
    perturb=PerturbSetup(n_draws=3, n_trials=200),
)

TINY = replace(
    QUICK,
    name="tiny",
    primitives=PrimitivesSetup(n_trials=50),
    pretrain=PretrainConfig(batch=16, schedule=Schedule(3e-3, 2, 10, 3.0)),
    training=TaskTraining(batch=16, schedule=Schedule(1e-2, 2, 10, 1.5), n_val=32),
    evaluation=Evaluation(n_test=64),
    dni=DNIConfig(n_cov=64),
    perturb=PerturbSetup(n_draws=2, n_trials=64),
)

BOOK_PROFILE = "standard"
"""The book's profile when ``MOLAP_PROFILE`` is not set: converged networks, computed on the CPU
and committed, so the book builds from ``results/`` without training."""

PROFILES: dict[str, Profile] = {p.name: p for p in (TINY, QUICK, STANDARD, PAPER)}
assert tuple(PROFILES) == PROFILE_NAMES, "molap.names.PROFILE_NAMES must list the profiles"


def get_profile(profile: str | Profile | None = None) -> Profile:
    """A profile by name; None reads ``MOLAP_PROFILE`` (default :data:`BOOK_PROFILE`)."""
    if isinstance(profile, Profile):
        return profile
    name = profile or os.environ.get("MOLAP_PROFILE", BOOK_PROFILE)
    if name not in PROFILES:
        raise MolapError(f"unknown profile {name!r}; expected one of {tuple(PROFILES)}")
    return PROFILES[name]


def result_fields(config=None, prefix: str = "") -> list[str]:
    """Dotted paths of every leaf field of a profile (default :data:`PAPER`) that results may
    depend on: every field but those marked :data:`NO_EFFECT`."""
    config = PAPER if config is None else config
    out = []
    for f in fields(config):
        if f.metadata.get("affects_results", True):
            v = getattr(config, f.name)
            out += result_fields(v, f"{prefix}{f.name}.") if is_dataclass(v) else [prefix + f.name]
    return out
