"""ipywidgets explorers for the book (callbacks run in a live kernel only)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt

from molap import methods, network, pipeline
from molap.analysis.perturb import perturbed_draw, sweep_key
from molap.analysis.perturbations import KINDS, perturbation
from molap.metrics import score
from molap.streams import Stream, stream
from molap.tasks import TASK_NAMES, get_task, sample
from molap.views.plots import plot_trial


def task_explorer(n_trials: int = 16, seed: int = 0):
    """Choose a task, a trial and a seed; shows that trial's inputs and targets."""
    import ipywidgets as W

    def show(task: str, trial: int, seed: int):
        batch = sample(task, jax.random.key(seed), n_trials)

        plot_trial(task, batch, trial)
        plt.show()

    return W.interactive(
        show,
        task=W.Dropdown(options=list(TASK_NAMES), value=TASK_NAMES[0], description="task"),
        trial=W.IntSlider(min=0, max=n_trials - 1, value=0, description="trial"),
        seed=W.IntText(value=seed, description="seed"),
    )


def lesion_figure(profile, method: str, kind: str, level: float, draw: int = 0, task: str = "multi_mem",
                  seed: int = 0, n_trials: int = 200):
    """Outputs against targets of one task under one perturbation draw (the draw the sweep uses:
    :func:`molap.analysis.perturb.perturbed_draw`)."""
    p = pipeline.get_profile(profile)
    run = pipeline.trained(p, method, seed)
    nets = methods.get(method).task_networks(run, p)
    i = TASK_NAMES.index(task)
    t = get_task(task)
    net = jax.tree.map(lambda a: a[i], nets.params)
    w, sil = perturbed_draw(kind, net.w_rec, sweep_key(seed, kind), draw, level, nets.layout,
                              None if nets.shared else i)
    b = sample(t, jax.random.fold_in(stream(seed, Stream.TEST), i), n_trials)
    x = jnp.pad(b.inputs, ((0, 0), (0, 0), (0, net.w_in.shape[0] - t.n_in)))
    out, _ = network.run(net._replace(w_rec=w), x, silence=sil)
    out = out[..., :t.n_out]
    s = score(out, b.targets)
    axes = plot_trial(t, b, 0, outputs=out)
    axes[1].set_title(f"{method}, {kind} {level:g}{'' if perturbation(kind).unit == 'sigma' else '%'}, draw {draw}: "
                      f"paper's score {s.paper:.0f}%, decision units {s.decision:.0f}%", fontsize=8)
    return s


def lesion_explorer(profile, seed: int = 0):
    """Widgets: perturbation kind, level, draw, method and task; shows outputs and accuracy."""
    import ipywidgets as W

    def show(kind, level, draw, method, task):
        lv = level / 1000 if perturbation(kind).unit == "sigma" else float(level)
        lesion_figure(profile, method, kind, lv, draw, task, seed)
        plt.show()

    return W.interactive(
        show,
        kind=W.Dropdown(options=list(KINDS), value="m2", description="kind"),
        level=W.IntSlider(min=0, max=50, step=5, value=30, description="level (% or sigma x1000)"),
        draw=W.IntSlider(min=0, max=29, value=0, description="draw"),
        method=W.Dropdown(options=list(methods.names()), value="molap", description="method"),
        task=W.Dropdown(options=list(TASK_NAMES), value="multi_mem", description="task"),
    )
