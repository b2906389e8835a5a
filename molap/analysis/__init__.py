"""Analyses of trained networks: perturbation sweeps (:mod:`~molap.analysis.perturb`),
generalisation to tasks left out of the corpus (:mod:`~molap.analysis.generalisation`) and
statistics over seeds (:mod:`~molap.analysis.compare`)."""
