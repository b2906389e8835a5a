"""ipywidgets explorers for the book (callbacks run in a live kernel only)."""

from __future__ import annotations

import jax
import matplotlib.pyplot as plt

from .tasks import TASK_NAMES, sample


def task_explorer(n_trials: int = 16, seed: int = 0):
    """Choose a task, a trial and a seed; shows that trial's inputs and targets."""
    import ipywidgets as W

    def show(task: str, trial: int, seed: int):
        batch = sample(task, jax.random.key(seed), n_trials)
        from .plots import plot_trial

        plot_trial(task, batch, trial)
        plt.show()

    return W.interactive(
        show,
        task=W.Dropdown(options=list(TASK_NAMES), value=TASK_NAMES[0], description="task"),
        trial=W.IntSlider(min=0, max=n_trials - 1, value=0, description="trial"),
        seed=W.IntText(value=seed, description="seed"),
    )
