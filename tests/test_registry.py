"""A sixth method, defined in this file alone: registered, it trains, is perturbed and is counted
through the same pipeline as the paper's five, with no other module changed."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import MolapError, methods
from molap import pipeline as P
from molap.claims.counts import real_counts
from molap.methods import FrozenModules, Modules, initial_network
from molap.run import reproduce
from molap.streams import Stream, stream


@dataclass(frozen=True)
class Orthogonal(FrozenModules):
    """Frozen modules with an orthogonal random W_rec (gain 1.2) instead of the initial network's."""

    def reservoir(self, profile, seed):
        init = initial_network(profile, seed)
        q, _ = jnp.linalg.qr(jax.random.normal(jax.random.fold_in(stream(seed, Stream.INIT), 99), init.w_rec.shape))
        return Modules(1.2 * q, init.b, None)


TOY = Orthogonal("orthogonal", None, "an orthogonal random reservoir; task heads trained", family="orthogonal")


@pytest.fixture()
def toy():
    methods.register(TOY)
    yield TOY
    methods.unregister(TOY.name)


def test_a_toy_method_trains_perturbs_and_counts_through_the_registry(toy, tiny_frozen):
    p = tiny_frozen
    assert "orthogonal" in methods.names() and methods.family("orthogonal") == ("orthogonal",)
    run = P.trained(p, "orthogonal", 0)
    assert run.method == "orthogonal" and set(run.test) == set(run.tasks) and len(run.tasks) == 9
    w = np.asarray(run.params.w_rec)
    np.testing.assert_allclose(w @ w.T, 1.44 * np.eye(w.shape[0]), atol=1e-4)  # its own reservoir, frozen
    s = P.perturbation(p, "orthogonal", "m1", 0, levels=[0, 50])
    ref = np.array([run.test[t].paper for t in s.tasks])
    np.testing.assert_allclose(s.paper[0], np.broadcast_to(ref, s.paper[0].shape), atol=1e-3)
    c = real_counts(profile=p)["orthogonal"]
    assert c.pretrained == 0 and c.trained == real_counts(profile=p)["random"].trained
    items = [item for _, its in reproduce.stages(p) for item, _ in its]
    assert "orthogonal m1, seeds 0, 1" in items and any(i.startswith("orthogonal, seeds") for i in items)


def test_registry_refuses_duplicates_and_unknown_names(toy):
    with pytest.raises(MolapError, match="already registered"):
        methods.register(TOY)
    with pytest.raises(MolapError, match="unknown method 'lstm'"):
        methods.get("lstm")
    with pytest.raises(MolapError, match="a method needs 'name'"):
        methods.register(object())
