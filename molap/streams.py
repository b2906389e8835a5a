"""The random streams of a seed: every draw of a run comes from one of them.

Seed s gives ``root = key(s)``; stream :class:`Stream` ``S`` is ``fold_in(root, S)``: the initial
network's weights (INIT), pre-training (PRETRAIN), task training (TRAIN), validation (VAL), the
test set (TEST) and perturbation draws (PERTURB). The test trials come from a stream that no
training step draws from. Every method of a seed starts from the same initial network and draws
the same training, validation and test batches, so comparisons over seeds are paired.
"""

from __future__ import annotations

from enum import IntEnum

import jax
import numpy as np

from molap.errors import MolapError


class Stream(IntEnum):
    """The streams of a seed (their values are the fold-in indices; never renumber them)."""

    INIT = 0
    PRETRAIN = 1
    TRAIN = 2
    VAL = 3
    TEST = 4
    PERTURB = 5


def check_seed(seed) -> int:
    """An integer seed in [0, 2**32), or a clear error."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise MolapError(f"seed must be an integer, got {seed!r}")
    if not 0 <= int(seed) < 2 ** 32:
        raise MolapError(f"seed must lie in [0, 2**32), got {seed!r}")
    return int(seed)


def check_key(key, what: str = "key", batch: tuple[int, ...] | None = ()) -> jax.Array:
    """A JAX random key (``jax.random.key(seed)``, or a legacy ``PRNGKey``) of batch shape
    ``batch`` (None: any), or one clear error naming ``what``."""
    typed = isinstance(key, jax.Array) and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    raw = isinstance(key, (jax.Array, np.ndarray)) and key.dtype == np.uint32 and key.shape[-1:] == (2,)
    shape = key.shape if typed else key.shape[:-1] if raw else None
    if shape is not None and (batch is None or shape == batch):
        return key
    want = "a JAX random key (jax.random.key(seed))" if batch == () else \
        f"an array of JAX random keys of shape {batch}" if batch else "JAX random keys"
    got = f"keys of shape {shape}" if shape is not None else f"{type(key).__name__} {key!r}"
    raise MolapError(f"{what} must be {want}, got {got}")


def stream(seed: int, which: Stream) -> jax.Array:
    """The key of one random stream of a seed."""
    return jax.random.fold_in(jax.random.key(check_seed(seed)), int(Stream(which)))
