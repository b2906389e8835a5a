"""Primitive fit time: molap's CCA fit (aligned corpus drawn in JAX, then scikit-learn's CCA, then
the frozen map) against scikit-learn's CCA alone on the same matrices.

usage: python benchmarks/bench_primitives.py [--trials 2000] [--components 2]
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np
from sklearn.cross_decomposition import CCA

from molap.primitives import PrimitivesConfig, corpus_matrices, fit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--components", type=int, default=2)
    a = ap.parse_args()
    cfg = PrimitivesConfig("cca", a.components, a.trials, 0)
    t = time.perf_counter(); x, y = corpus_matrices(None, jax.random.key(0), a.trials); gen = time.perf_counter() - t
    xz, yz = (x - x.mean(0)) / (x.std(0) + 1e-8), np.round((y - y.mean(0)) / (y.std(0) + 1e-8), 6)
    t = time.perf_counter()
    CCA(n_components=a.components, scale=False, max_iter=500, tol=1e-6).fit(xz, yz)
    sk = time.perf_counter() - t
    t = time.perf_counter(); fit(cfg); ours = time.perf_counter() - t
    print(f"device {jax.devices()[0]}; corpus {x.shape[0]:,} rows x {x.shape[1]} / {y.shape[1]} columns "
          f"({a.trials} trials per task)")
    print(f"corpus generation {gen:.2f} s, scikit-learn CCA alone {sk:.2f} s, molap fit (all included) {ours:.2f} s, "
          f"ratio {ours / sk:.2f}")
    print(json.dumps({"trials": a.trials, "rows": int(x.shape[0]), "corpus_s": gen, "sklearn_cca_s": sk,
                      "molap_fit_s": ours, "ratio_molap_over_sklearn": ours / sk}))


if __name__ == "__main__":
    main()
