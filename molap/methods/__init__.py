"""The five methods the paper compares.

- ``molap``: frozen modules pre-trained on CCA primitives; each task trains its input and readout.
- ``random``: the same without pre-training (a random reservoir; heads trained).
- ``pca``: pre-trained on PCA primitives instead of CCA.
- ``separate``: one network per task, every weight trained (:mod:`molap.methods.separate`).
- ``dni``: one network, tasks in sequence, updates projected away from earlier tasks'
  subspaces (:mod:`molap.methods.dni`).

:func:`molap.experiments.trained` runs any of them by name with the profile's shared recipe.
"""

from .dni import DNIConfig, DNIResult, dni_scores, train_dni, train_dni_many
from .separate import init_separate, stacked_forward, train_separate, train_separate_many

METHODS = ("molap", "random", "pca", "separate", "dni")
FROZEN = ("molap", "random", "pca")

__all__ = ["DNIConfig", "DNIResult", "FROZEN", "METHODS", "dni_scores", "init_separate", "stacked_forward",
           "train_dni", "train_dni_many", "train_separate", "train_separate_many"]
