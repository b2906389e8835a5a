"""The cached pipeline: primitives -> frozen modules -> trained methods -> sweeps and folds.

Every result of the book comes from a function here, cached on disk by the sub-configurations of
the profile it depends on (:mod:`~molap.pipeline.stages`); learning rates come from one selection
rule for every method (:mod:`~molap.pipeline.selection`) and the schedule sweep's learning curves
from :mod:`~molap.pipeline.curves`. ``from molap import pipeline as P`` is how the book and the
README call it.
"""

from molap.pipeline.stages import *  # noqa: F403 (the stages' public functions: see their __all__)
from molap.pipeline.stages import __all__  # noqa: F401
