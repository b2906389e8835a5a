"""neurogym environments as molap tasks (the optional extra ``molap[neurogym]``).

:func:`from_neurogym` draws a bank of trials from a neurogym environment (its own observations,
noise included, and its ground-truth actions) and wraps them as a :class:`molap.tasks.Task`: each
molap trial picks one trial of the bank (the trial variable ``trial``), so the frozen modules'
heads learn it like any other task, and the pipeline caches it under its definition (the bank's
arrays are part of it).

On molap's timeline (110 steps, 10 leading zeros) a neurogym trial of T <= 100 steps is placed so
that it ends at step 110. Its fixation observation becomes molap's fixation input (on until the
decision period starts); its other observations are the stimulus inputs. Each action other than
fixation is one decision output: +1 during the decision period on the trial's correct action, -1
on the others, 0 before. The decision period is the task's response epoch (the loss weighs it),
and the accuracy window its last 30 steps (all of it when shorter). molap adds its input noise
(standard deviation 0.02) to neurogym's own.

    task = from_neurogym("PerceptualDecisionMaking-v0", dt=25)
    run = pipeline.trained("standard", "molap", 0, tasks=[task])
"""

from __future__ import annotations

import warnings

import numpy as np

from molap.errors import MolapError
from molap.tasks import LEAD, N_STEPS, Task

MAX_STEPS = N_STEPS - LEAD
"""The longest neurogym trial that fits molap's timeline (after the 10 leading zeros)."""
DEFAULT_TRIALS = 512
"""Trials in the bank by default."""


def _neurogym():
    try:
        import neurogym
    except ImportError:
        raise MolapError("molap.tasks.neurogym needs neurogym: pip install 'molap[neurogym]'") from None
    return neurogym


def _channels(names: dict, what: str, env_id: str) -> list[tuple[str, int]]:
    """(channel name, index) of every channel but fixation, from a neurogym space's ``name``."""
    out = []
    for key, idx in names.items():
        if key == "fixation":
            continue
        if isinstance(idx, (int, np.integer)):
            out.append((str(key), int(idx)))
        else:
            idx = list(idx)
            out += [(f"{key}{j}" if len(idx) > 1 else str(key), int(i)) for j, i in enumerate(idx)]
    if not out:
        raise MolapError(f"neurogym env {env_id!r}: its {what} space names no channel besides fixation")
    return sorted(out, key=lambda c: c[1])


def from_neurogym(env, *, name: str | None = None, n_trials: int = DEFAULT_TRIALS, seed: int = 0,
                  **make_kwargs) -> Task:
    """A molap :class:`Task` from a neurogym environment: an id (made with ``neurogym.make(id,
    **make_kwargs)``, e.g. ``dt=25`` or a fixed ``timing``) or an environment. ``n_trials`` trials
    are drawn with ``new_trial()`` after ``env.seed(seed)``; every trial must have the same
    length, of at most 100 steps (choose ``dt`` or fixed ``timing`` so)."""
    from molap.tasks.batches import check_trials

    n_trials = check_trials(n_trials)
    with warnings.catch_warnings():  # gymnasium warns about neurogym's metadata and attribute access
        warnings.filterwarnings("ignore", module="gymnasium")
        return _from_neurogym(env, name, n_trials, seed, make_kwargs)


def _from_neurogym(env, name, n_trials, seed, make_kwargs) -> Task:
    if isinstance(env, str):
        env_id = env
        ngym = _neurogym()
        try:
            env = ngym.make(env_id, **make_kwargs)
        except Exception as e:  # gymnasium's errors name the id; keep them one line
            raise MolapError(f"neurogym env {env_id!r}: {type(e).__name__}: {e}") from None
    else:
        if make_kwargs:
            raise MolapError(f"keyword arguments {sorted(make_kwargs)} make an environment from an id; "
                             "got an environment")
        env_id = getattr(getattr(env, "spec", None), "id", None) or type(env.unwrapped).__name__
    env = env.unwrapped
    for attr in ("new_trial", "seed", "observation_space", "action_space", "start_ind", "end_ind"):
        if not hasattr(env, attr):
            raise MolapError(f"{env_id!r} is not a neurogym trial environment (it has no {attr!r})")
    env.seed(seed)  # neurogym draws trials from env.rng, which reset(seed=...) leaves as it is
    obs, gts, periods = [], [], set()
    for _ in range(n_trials):
        env.new_trial()
        obs.append(np.asarray(env.ob, np.float32))
        gts.append(np.asarray(env.gt))
        periods.add((env.start_ind.get("decision"), env.end_ind.get("decision")))
    if "decision" not in env.start_ind:
        raise MolapError(f"neurogym env {env_id!r} has no 'decision' period; its periods: {list(env.start_ind)}")
    lengths = sorted({len(o) for o in obs})
    if len(lengths) > 1:
        raise MolapError(f"neurogym env {env_id!r}: trials of {lengths[0]}-{lengths[-1]} steps; molap needs one "
                         "length (pass a fixed timing, e.g. timing={'stimulus': 500, ...})")
    if len(periods) > 1:
        raise MolapError(f"neurogym env {env_id!r}: the decision period moves from trial to trial; molap needs "
                         "one response epoch (pass a fixed timing)")
    t_len = lengths[0]
    if t_len > MAX_STEPS:
        dt = getattr(env, "dt", None)
        raise MolapError(f"neurogym env {env_id!r}: trials of {t_len} steps (dt={dt}); at most {MAX_STEPS} fit "
                         f"molap's {N_STEPS}-step timeline: pass a larger dt (about {int(np.ceil(dt * t_len / MAX_STEPS))})"
                         if dt else f"neurogym env {env_id!r}: trials of {t_len} steps; at most {MAX_STEPS} fit")
    offset = N_STEPS - t_len
    start, end = offset + int(env.start_ind["decision"]), offset + int(env.end_ind["decision"])
    ins = _channels(getattr(env.observation_space, "name", {}) or {}, "observation", env_id)
    outs = _channels(getattr(env.action_space, "name", {}) or {}, "action", env_id)
    ob, gt = np.stack(obs), np.stack(gts)  # (n, T, n_ob), (n, T)
    if gt.ndim != 2:
        raise MolapError(f"neurogym env {env_id!r}: ground truth of shape {gt.shape[1:]} per trial; molap adapts "
                         "environments with one discrete action per step")
    stim = np.zeros((n_trials, N_STEPS, len(ins)), np.float32)
    stim[:, offset:] = ob[:, :, [i for _, i in ins]]
    target = np.zeros((n_trials, N_STEPS, len(outs)), np.float32)
    decision = np.zeros(N_STEPS, bool)
    decision[start:end] = True
    for j, (_, a) in enumerate(outs):
        target[:, offset:, j] = np.where(gt == a, 1.0, -1.0)
    target[:, ~decision] = 0.0
    if not np.isfinite(stim).all():
        raise MolapError(f"neurogym env {env_id!r}: observations contain NaN or inf")
    bank_x, bank_y = stim, target

    def signals(trial):
        import jax.numpy as jnp

        i = trial.vars["trial"]
        return jnp.asarray(bank_x)[i], jnp.asarray(bank_y)[i]

    window = (max(start, end - 30), end)
    return Task(name or env_id.split("-v")[0].lower(), tuple(c for c, _ in ins), tuple(c for c, _ in outs), signals,
                description=f"neurogym {env_id}: {n_trials} trials (seed {seed}), {t_len} steps",
                response=(start, end), window=window, variables=(("trial", n_trials),),
                scale_range=(max(1.0, float(np.abs(stim).max())), 1.0))
