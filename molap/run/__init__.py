"""Running a profile's computations: every result in dependency order with a check and a time
budget (:mod:`~molap.run.reproduce`), their dependency graph (:mod:`~molap.run.graph`), on a Dask
cluster (:mod:`~molap.run.distributed`), and the
GPU timing model (:mod:`~molap.run.timing`)."""
