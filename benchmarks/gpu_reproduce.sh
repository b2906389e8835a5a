#!/usr/bin/env bash
# The paper profile on a GPU machine whose Python already has jax[cuda], flax, optax, scikit-learn,
# scipy and tqdm (no install): results go to results/ (committed), the log and a tarball of results/
# to $OUT (or ./gpu_out). Resumable: finished items are read back from results/. The log is also
# written as JSON, $OUT/reproduce.json (molap.views.benchmarks.write_reproduce_json: stage items, wall
# times, other lines), and the scan-unroll probe's rows as $OUT/unroll-probe.json. For the book's
# benchmark appendix, copy the log to benchmarks/results/reproduce-NAME.txt and reproduce.json to
# reproduce-NAME.json, with its "log" (the name the appendix shows) set to reproduce-NAME.txt.
# The reproduction stops itself 60 s before SECONDS (`--budget-s`): finished results are cached,
# the training run in progress is checkpointed under results/checkpoints, and both travel back in
# the tarball; the same command on the next machine resumes exactly (exit status 3: items remain).
# For the precision comparison run an item once more with JAX_DEFAULT_MATMUL_PRECISION=highest and
# MOLAP_CACHE set to another directory (cache keys do not include the precision; provenance does).
# usage: benchmarks/gpu_reproduce.sh SECONDS [STAGE ...]    (stages: see `molap reproduce --help`)
set -u
limit=$1; shift
out=${OUT:-gpu_out}; mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD MOLAP_CACHE=$PWD/results TQDM_DISABLE=1
if [ -z "${MOLAP_SCAN_UNROLL:-}" ]; then  # pick the scan unroll by a short probe of the slowest loop
  PROBE_WHAT=dni PROBE_STEPS=200 PROBE_JSON="$out/unroll-probe.json" python3 benchmarks/gpu_probe.py 1 10 2>&1 | grep -v -i warn | tee -a "$out/log"
  export MOLAP_SCAN_UNROLL=$(grep -o 'BEST_UNROLL=[0-9]*' "$out/log" | tail -1 | cut -d= -f2)
fi
echo "MOLAP_SCAN_UNROLL=$MOLAP_SCAN_UNROLL" | tee -a "$out/log"
stages=(); [ $# -gt 0 ] && stages=(--stages "$@")
start=$(date +%s)
budget=$(( limit > 120 ? limit - 60 : limit / 2 ))
timeout "$limit" python3 -m molap reproduce --profile paper --device gpu --budget-s "$budget" "${stages[@]}" 2>&1 \
  | grep -v -i warn | tee -a "$out/log"
echo "exit ${PIPESTATUS[0]} (3: stopped after the budget, items remain); wall $(( $(date +%s) - start )) s" | tee -a "$out/log"
python3 -c 'import sys; from molap.views.benchmarks import write_reproduce_json as w; print("wrote", w(*sys.argv[1:]))' \
  "$out/log" "$out/reproduce.json"
tar czf "$out/results.tgz" results
