"""Names and limits that the command line needs before JAX starts (``molap --help`` stays fast).

The modules that own them import them from here: :mod:`molap.profiles` (profile names),
:mod:`molap.analysis.perturb` (perturbation kinds), :mod:`molap.run.reproduce` (stages), :mod:`molap.tasks`
(the corpus's task names, the largest batch) and :mod:`molap.primitives` (the largest fit).
"""

PROFILE_NAMES = ("tiny", "quick", "standard", "paper")
PERTURB_KINDS = ("m1", "m2", "inter", "global", "noise", "silence")
STAGES = ("primitives", "pre-training", "learning rates", "training", "schedule sweep", "early learning",
          "perturbations", "generalisation")
TASK_NAMES = ("delay_pro", "delay_anti", "mem_pro", "mem_anti", "mem_dm1", "mem_dm2", "context_mem_dm1",
              "context_mem_dm2", "multi_mem")
MODES = ("loo", "l2o")

MAX_TRIALS = 100_000
"""Most trials one batch may hold (per task): the largest task's batch is then about 300 MB."""
MAX_FIT_TRIALS = 5000
"""Most trials per task a primitive fit accepts: the nine tasks' corpus matrices (float64) then
take about 2 GB (the paper fits 2000)."""
