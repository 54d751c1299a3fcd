"""Seed stability of MICA (defaults vs the paper preset) on both planted-module generators.

For each generator and cohort seed: MICA is run with the cohort seed and with --n-seeds other
seeds on the same data (no bootstraps, no reordering: the seed alone), and the stability score is
the mean best-match Jaccard of the reference modules over the reruns (1 = identical modules), the
same score as `mirmodules stability --n-seeds N --n-bootstraps 0 --n-orders 0`.

    python benchmarks/seed_stability.py --generators gaussian negbin --cohorts 0 1 --n-seeds 3
    python benchmarks/seed_stability.py --generators negbin --presets default --kmeans-runs 1
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from mirmodules import MicaConfig, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.workflows.stability import stability


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=["gaussian", "negbin"])
    parser.add_argument("--cohorts", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--presets", nargs="+", default=["default", "paper"])
    parser.add_argument("--n-seeds", type=int, default=3)
    parser.add_argument("--fp-rate", type=float, default=0.2)
    parser.add_argument("--kmeans-runs", type=int, default=None,
                        help="override the preset's K-means runs (default preset: 3; 1 = a single run)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for generator in args.generators:
        missing = 0.3 if generator == "negbin" else 0.1
        for cohort_seed in args.cohorts:
            cohort = simulate_cohort(seed=cohort_seed, noise_model=generator,
                                     false_positive_rate=args.fp_rate, missing_rate=missing)
            prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())
            for preset in args.presets:
                overrides = {} if args.kmeans_runs is None else {"kmeans_runs": args.kmeans_runs}
                config = MicaConfig(preset=preset, **overrides)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = stability(prepared, "mica", seed=cohort_seed, n_seeds=args.n_seeds,
                                       n_bootstraps=0, n_orders=0, config=config)
                rows.append({"generator": generator, "cohort": cohort_seed, "preset": preset,
                             "stability": result.score, "n_modules": result.reference.n_modules,
                             "seconds": time.perf_counter() - start})
                print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1,
                                                         float_format="%.3f"), flush=True)
    table = pd.DataFrame(rows)
    print("\nmean over cohorts:")
    means = table.groupby(["generator", "preset"])[["stability", "n_modules", "seconds"]].mean()
    print(means.round(3).to_string())


if __name__ == "__main__":
    main()
