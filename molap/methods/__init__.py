"""The training methods the paper compares, behind one protocol (:class:`Method`) and a registry.

- ``molap``: frozen modules pre-trained on CCA primitives; each task trains its input and readout;
- ``random``: the same without pre-training (a random reservoir; heads trained);
- ``pca``: pre-trained on PCA primitives instead of CCA (:mod:`molap.methods.frozen`: one class,
  three instances);
- ``separate``: one network per task, every weight trained (:mod:`molap.methods.separate`);
- ``dni``: one network, tasks in sequence, updates projected away from earlier tasks'
  subspaces (:mod:`molap.methods.dni`).

Everything else reads the registry (:func:`names`, :func:`get`, :func:`families`). A new method is
one file: a class implementing :class:`Method`, and ``register(MyMethod(...))``.
"""

from molap.methods.base import (
    Method,
    RunSpec,
    TrainedRun,
    TrainsTasksTogether,
    families,
    family,
    get,
    initial_network,
    names,
    register,
    unregister,
)
from molap.methods.dni import DNI_METHOD, DNI_NO_RULE
from molap.methods.frozen import MOLAP, PCA, RANDOM, FrozenModules, FrozenParams, Modules
from molap.methods.separate import SEPARATE, init_separate, stacked_forward, train_separate, train_separate_many
from molap.training.dni import DNIConfig, DNIResult, dni_scores, train_dni, train_dni_many

for _m in (MOLAP, RANDOM, PCA, SEPARATE, DNI_METHOD, DNI_NO_RULE):
    register(_m)

__all__ = ["DNIConfig", "DNIResult", "FrozenModules", "FrozenParams", "Method", "Modules", "RunSpec", "TrainedRun",
           "TrainsTasksTogether",
           "dni_scores", "families", "family", "get", "init_separate", "initial_network", "names", "register",
           "stacked_forward", "train_dni", "train_dni_many", "train_separate", "train_separate_many", "unregister"]
