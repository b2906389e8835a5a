"""Pre-training the modules (chapter "Pre-training the modules", paper A.2.1, spec 4.3): the loss
curves and held-out errors, each module's map and activity, the recurrent matrix before and after,
and the chapter's checks on what its text states."""

from __future__ import annotations

import jax
import matplotlib.pyplot as plt
import numpy as np

from molap import network
from molap import pipeline as P
from molap.methods import Modules
from molap.network import Layout, RNNParams
from molap.primitives import sample_components
from molap.training import PretrainResult, phase_network
from molap.views import plots
from molap.views.checks import require
from molap.views.tables import show_table

MAP_KEY, MAP_TRIALS, MAP_SHOWN = 5, 4, 3
"""The fresh corpus draw that drives each module in the map figure, and the trials drawn."""


def intro(profile) -> str:
    """The chapter's first line: the profile, the modules and the pre-training size."""
    lay, pre = profile.network.layout, profile.pretrain
    return (f"profile {profile.name!r}: {lay.n_modules} modules x {lay.module_size} units, "
            f"batch {pre.batch}, {pre.schedule.n_steps} steps per module")


def plot_losses(pre: PretrainResult):
    """Training loss of each module's phase (log scale), with the variance of its target."""
    fig, ax = plt.subplots(figsize=(7, 3))
    for k, ls in enumerate(pre.losses):
        ax.semilogy(ls, label=f"module {k + 1} (target variance {pre.target_var[k]:.3f})")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.legend(fontsize=8)
    return fig


def mse_rows(pre: PretrainResult) -> list[dict]:
    """One row per module: held-out MSE, variance of its target v_k, and their ratio."""
    return [dict(m=f"module {k + 1}", mse=float(pre.test_mse[k]), var=float(pre.target_var[k]),
                 ratio=float(pre.test_mse[k] / pre.target_var[k])) for k in range(len(pre.test_mse))]


def show_mse_table(pre: PretrainResult) -> None:
    """The table of :func:`mse_rows`."""
    show_table(mse_rows(pre), headers=["", "held-out MSE", "variance of v_k", "MSE / variance"], digits=5)


def _plot_map(ax, v, y, k: int) -> None:
    plots.shade_epochs(ax)
    for i in range(MAP_SHOWN):
        ax.plot(v[i, :, k], color=f"C{i}", lw=1.6)
        ax.plot(y[i, :, 0], "--", color=f"C{i}", lw=1.2)
    ax.set_title(f"module {k + 1}: target v{k + 1} (solid) and output (dashed), {MAP_SHOWN} trials", fontsize=9)


def plot_module_maps(profile, pre: PretrainResult):
    """Per module (column): its phase network's output against its target (top), and the
    network's activity while driven by its input primitive (bottom)."""
    u, v = sample_components(P.primitives(profile, "cca"), None, jax.random.key(MAP_KEY), MAP_TRIALS)
    lay = profile.network.layout
    fig, axes = plt.subplots(2, lay.n_modules, figsize=(6 * lay.n_modules, 5.5), squeeze=False)
    for k in range(lay.n_modules):
        y, h = network.run(phase_network(pre, k), u[..., k:k + 1])
        _plot_map(axes[0, k], np.asarray(v), np.asarray(y), k)
        plots.plot_activity(h, trial=0, layout=lay, ax=axes[1, k],
                            title=f"activity while driven by u{k + 1} (trial 0); line: module border")
    fig.tight_layout()
    return fig


def plot_matrix_change(init: RNNParams, mods: Modules, layout: Layout):
    """W_rec before and after pre-training, and their difference."""
    return plots.plot_matrix_change(init.w_rec, mods.w_rec, layout,
                                    title="W_rec (row: from, column: to); only the intra-module blocks changed")


UNTOUCHED_RTOL, UNTOUCHED_ATOL = 1e-5, 1e-6
"""What "unchanged" allows: the GPU's sampler draws the initial network's last bits differently
from the CPU's (at most about 1e-7 here; tests/test_results.py), and GPU-computed modules keep the
GPU's draw of the entries pre-training never updates."""


def changed(init: RNNParams, mods: Modules) -> np.ndarray:
    """(N, N) bool: the entries of W_rec that pre-training moved (beyond the samplers' last bits)."""
    return ~np.isclose(np.asarray(mods.w_rec), np.asarray(init.w_rec), rtol=UNTOUCHED_RTOL, atol=UNTOUCHED_ATOL)


def frozen_note(profile, init: RNNParams, mods: Modules, seed: int) -> str:
    """Whether the inter-module blocks and the bias are bit-identical to the initial network's, or
    equal up to the samplers' last bits (modules pre-trained on another device)."""
    from molap import store
    from molap.methods.frozen import modules_config

    inter = ~(np.asarray(profile.network.layout.intra()) > 0)
    d = max(float(np.abs(np.asarray(mods.w_rec) - np.asarray(init.w_rec))[inter].max()),
            float(np.abs(np.asarray(mods.b) - np.asarray(init.b)).max()))
    if d == 0:
        return "The inter-module blocks and the bias are bit-identical to the initial network's."
    meta = store.lookup_meta("modules", modules_config(profile, "cca", seed)) or {}
    device = (meta.get("provenance") or {}).get("device", "another device")
    return (f"The inter-module blocks and the bias equal the initial network's up to {d:.1e}: these modules were "
            f"pre-trained on {device}, whose sampler draws the initial network's last bits differently from this "
            "machine's; pre-training never updates them.")


def block_rows(init: RNNParams, mods: Modules, layout: Layout) -> list[dict]:
    """One row per block of W_rec (from module k to module l): entries changed of entries."""
    ch = changed(init, mods)
    return [dict(block=f"module {k + 1} -> module {l + 1}", kind="intra" if k == l else "inter",
                 changed=int(ch[layout.units(k), layout.units(l)].sum()), size=layout.module_size ** 2)
            for k in range(layout.n_modules) for l in range(layout.n_modules)]


def show_block_table(init: RNNParams, mods: Modules, layout: Layout) -> None:
    """The table of :func:`block_rows`."""
    show_table(block_rows(init, mods, layout), headers=["block", "", "entries changed", "entries"])


def check(init: RNNParams, mods: Modules, layout: Layout) -> None:
    """Every check on what the chapter's text states (raises AssertionError with a message): each
    module's held-out error is under 5% of its target's variance; the inter-module blocks and the
    bias are unchanged (up to the samplers' last bits, :data:`UNTOUCHED_ATOL`); the intra-module blocks moved."""
    pre = mods.pretrain
    require(np.all(pre.test_mse < 0.05 * pre.target_var), f"held-out MSE {pre.test_mse} not below 5% of "
             f"the target variance {pre.target_var}")
    ch, intra = changed(init, mods), np.asarray(layout.intra()) > 0
    require(not ch[~intra].any(), f"{int(ch[~intra].sum())} frozen inter-module entries changed")
    require(ch[intra].mean() > 0.99, f"only {ch[intra].mean():.3f} of the intra-module entries changed")
    require(bool(np.allclose(mods.b, init.b, rtol=UNTOUCHED_RTOL, atol=UNTOUCHED_ATOL)), "the frozen bias changed")
