"""The task API and the nine cognitive tasks of the MoLaP corpus.

:mod:`~molap.tasks.task` holds the timeline and :class:`Task`, :mod:`~molap.tasks.corpus` the nine
tasks, :mod:`~molap.tasks.batches` the noisy, scaled batches drawn in JAX.

Every trial has 110 steps: 10 leading zeros, fixation [10, 35), stimulus or memory [35, 85)
and response [85, 110) (reference spec section 1.2). A task is a :class:`Task`: a name, the names
of its stimulus input and decision output channels, and a pure function that maps the trial's
angles to noise-free signals. The fixation input and the fixation target (channel 0 of both) and
the noise, scaling and batching are added here, the same for every task.

A new task takes a few lines::

    def reverse(trial):
        stim = on(35, 85)[:, None] * jnp.stack([jnp.cos(trial.theta1), jnp.sin(trial.theta1)])
        resp = on(85, 110)[:, None] * jnp.stack([-jnp.sin(trial.theta1), jnp.cos(trial.theta1)])
        return stim, resp

    rotate = Task("rotate90", inputs=("cos", "sin"), outputs=("cos", "sin"), signals=reverse)
    batch = sample(rotate, jax.random.key(0), 200)
"""

from molap.tasks.batches import Batch, check_trials, epoch_table, sample, sample_corpus, stack_inputs, task_table
from molap.tasks.corpus import PAPER_LABELS, TASK_NAMES, TASKS, get_task, get_tasks
from molap.tasks.task import (
    ANGLES,
    EPOCHS,
    GO,
    LEAD,
    N_ANGLES,
    N_STEPS,
    NOISE_STD,
    PULSE1,
    PULSE2,
    STIM_ON,
    Signals,
    Task,
    Trial,
    on,
)

__all__ = ["ANGLES", "Batch", "EPOCHS", "GO", "LEAD", "NOISE_STD", "N_ANGLES", "N_STEPS", "PAPER_LABELS", "PULSE1",
           "PULSE2", "STIM_ON", "Signals", "TASKS", "TASK_NAMES", "Task", "Trial", "check_trials", "epoch_table",
           "get_task", "get_tasks", "on", "sample", "sample_corpus", "stack_inputs", "task_table"]
