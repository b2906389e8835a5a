"""Training: the generic masked-Adam loop, module pre-training, task heads and their evaluation.

- :mod:`~molap.training.trainer`: :class:`Trainer` and :func:`fit` train any parameter pytree under
  a same-shaped 0/1 mask (:class:`Schedule`: Adam with a piecewise-constant learning rate);
- :mod:`~molap.training.pretraining`: module k learns the k-th latent primitive (spec 4.3);
- :mod:`~molap.training.fused`: K task networks' outputs with a hand-written backward pass
  (:func:`task_outputs`, the training forward of every method; :class:`Grads`: which reservoir
  weights it differentiates, frozen ones costing nothing);
- :mod:`~molap.training.heads`: every task's input and readout weights on one reservoir;
- :mod:`~molap.training.task_training`: the task-training recipe of every method
  (:class:`TaskTraining`) and the loop that trains K networks' tasks in one vmapped step;
- :mod:`~molap.training.evaluation`: scores on fresh trials.
"""

from molap.training.evaluation import evaluate, evaluate_heads, evaluate_many
from molap.training.fused import FROZEN, TRAINED, Grads, task_outputs
from molap.training.heads import Heads, head_masks, heads_forward, init_heads, padded_batches
from molap.training.pretraining import PretrainConfig, PretrainResult, phase_network, pretrain, pretrain_folds
from molap.training.task_training import (
    HeadsResult,
    TaskTraining,
    task_losses,
    task_weights,
    time_weights,
    train_heads,
    train_heads_many,
    train_stacked,
    unstack,
)
from molap.training.trainer import Schedule, Trainer, as_keys, fit, fold_keys, scale_fields

__all__ = ["FROZEN", "Grads", "TRAINED", "Heads", "HeadsResult", "PretrainConfig", "PretrainResult", "Schedule", "TaskTraining", "Trainer",
           "as_keys", "evaluate", "evaluate_heads", "evaluate_many", "fit", "fold_keys", "head_masks",
           "heads_forward", "init_heads", "padded_batches", "phase_network", "pretrain", "pretrain_folds",
           "scale_fields", "task_losses", "task_outputs", "task_weights", "time_weights", "train_heads", "train_heads_many", "train_stacked", "unstack"]
