"""neurogym environments as molap tasks (molap.tasks.neurogym), on two real environments: their
trials on molap's timeline, and heads that learn them on MoLaP's frozen modules."""

import warnings

import jax
import numpy as np
import pytest

from molap import pipeline as P
from molap.errors import MolapError
from molap.tasks import LEAD, N_STEPS, sample

pytest.importorskip("neurogym")
from molap.tasks.neurogym import from_neurogym

ENVS = {"PerceptualDecisionMaking-v0": {"dt": 25}, "DelayMatchSample-v0": {"dt": 40}}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gymnasium's deprecation warnings about neurogym's attributes
        yield


@pytest.mark.parametrize("env_id", list(ENVS))
def test_a_neurogym_environment_becomes_a_task(env_id):
    import neurogym

    t = from_neurogym(env_id, n_trials=64, seed=3, **ENVS[env_id])
    env = neurogym.make(env_id, **ENVS[env_id]).unwrapped
    env.seed(3)
    env.new_trial()
    n = len(env.ob)
    offset = N_STEPS - n
    assert t.response == (offset + env.start_ind["decision"], offset + env.end_ind["decision"])
    assert t.variables == (("trial", 64),) and t.n_out == 3 and t.n_in == 3
    # molap trial with bank index 0 is neurogym's first trial: its stimulus observations, its correct action
    x, y = t.clean(0.0, 0.0, {"trial": 0})
    np.testing.assert_allclose(np.asarray(x[offset:, 1:]), env.ob[:, 1:], rtol=1e-6)
    assert not np.asarray(x[:offset, 1:]).any()
    gt = env.gt[env.start_ind["decision"]]
    resp = np.asarray(y[t.response[0]:t.response[1], 1:])
    assert (resp[:, gt - 1] == 1).all() and (np.delete(resp, gt - 1, 1) == -1).all()
    assert not np.asarray(y[:t.response[0], 1:]).any()
    assert (np.asarray(x[LEAD:t.response[0], 0]) == 1).all() and not np.asarray(x[t.response[0]:, 0]).any()
    b = sample(t, jax.random.key(0), 32)
    assert b.inputs.shape == (32, N_STEPS, 3) and set(np.unique(b.variables["trial"])) <= set(range(64))
    assert t.fingerprint() == from_neurogym(env_id, n_trials=64, seed=3, **ENVS[env_id]).fingerprint()
    assert t.fingerprint() != from_neurogym(env_id, n_trials=64, seed=4, **ENVS[env_id]).fingerprint()


def test_trials_too_long_for_the_timeline_are_named_with_the_dt_that_fits():
    with pytest.raises(MolapError, match=r"trials of 110 steps \(dt=20\); at most 100 fit .* larger dt \(about 22\)"):
        from_neurogym("PerceptualDecisionMaking-v0", dt=20)
    with pytest.raises(MolapError, match="neurogym env 'NoSuchEnv-v0'"):
        from_neurogym("NoSuchEnv-v0")


def test_heads_learn_neurogym_tasks_on_frozen_modules(tiny_frozen):
    tasks = [from_neurogym(e, n_trials=128, **kw) for e, kw in ENVS.items()]
    run = P.trained(tiny_frozen, "molap", 0, tasks=tasks)
    assert run.tasks == ["perceptualdecisionmaking", "delaymatchsample"]
    assert all(0 <= run.test[t].decision <= 100 for t in run.tasks)
    assert np.isfinite(run.losses).all() and run.losses[-1] < run.losses[0]
