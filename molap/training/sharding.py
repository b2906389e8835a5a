"""Spreading independent networks (seeds, folds, learning rates, lesion draws) over local devices.

A vmapped sweep's leading axis is sharded across ``jax.local_devices()`` with a 1-D mesh when
there is more than one device and the axis divides evenly; XLA then runs each device's share of
the networks on that device. With one device (the usual CPU or single-GPU case) nothing moves.
Test on a CPU with ``XLA_FLAGS=--xla_force_host_platform_device_count=2``.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def mesh() -> Mesh | None:
    """A 1-D mesh ``("nets",)`` over the local devices, or None with a single device."""
    devices = jax.local_devices()
    return Mesh(np.array(devices), ("nets",)) if len(devices) > 1 else None


def shard(tree):
    """Place every array of ``tree`` whose leading axis divides by the device count so that axis
    is split across devices; other leaves (scalars, odd sizes, None) are left as they are."""
    m = mesh()
    if m is None:
        return tree
    n = m.devices.size
    split = NamedSharding(m, PartitionSpec("nets"))

    def place(a):
        if isinstance(a, (jax.Array, np.ndarray)) and a.ndim >= 1 and a.shape[0] % n == 0 and a.shape[0] > 0:
            return jax.device_put(a, split)
        return a

    return jax.tree.map(place, tree)


def describe() -> str:
    """One line: how many devices a sweep is spread over."""
    devices = jax.local_devices()
    return f"{len(devices)} local {devices[0].platform} device(s)"
