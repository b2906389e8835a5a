"""MoLaP: Modular Latent Primitives, a JAX/Flax reference implementation.

Public API (explicit re-exports; see each module for details).
"""

from .errors import MolapError
from .metrics import Scores, accuracy, score
from .tasks import (
    EPOCHS,
    GO,
    N_STEPS,
    TASK_NAMES,
    TASKS,
    Batch,
    Task,
    Trial,
    get_task,
    get_tasks,
    on,
    sample,
    sample_corpus,
)

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "EPOCHS",
    "GO",
    "MolapError",
    "N_STEPS",
    "Scores",
    "TASKS",
    "TASK_NAMES",
    "Task",
    "Trial",
    "accuracy",
    "get_task",
    "get_tasks",
    "on",
    "sample",
    "sample_corpus",
    "score",
]
