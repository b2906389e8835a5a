"""MoLaP: Modular Latent Primitives, a JAX/Flax reference implementation.

Public API (explicit re-exports; see each module for details). The re-exports are loaded on
first use, so that ``import molap`` (and ``molap --help``) does not start JAX.
"""

from importlib import import_module

from molap.errors import MolapError

__version__ = "0.1.0"

_EXPORTS = {
    "Scores": "metrics", "accuracy": "metrics", "score": "metrics",
    **{name: "tasks" for name in ("EPOCHS", "GO", "N_STEPS", "TASK_NAMES", "TASKS", "Batch", "Task", "Trial",
                                  "get_task", "get_tasks", "on", "sample", "sample_corpus")},
}

__all__ = ["Batch", "EPOCHS", "GO", "MolapError", "N_STEPS", "Scores", "TASKS", "TASK_NAMES", "Task", "Trial",
           "accuracy", "get_task", "get_tasks", "on", "sample", "sample_corpus", "score"]
assert sorted(__all__) == sorted(["MolapError", *_EXPORTS])


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'molap' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
