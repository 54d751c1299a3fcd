"""Recovery with one K-means run against the default consensus of three, over many autoencoders.

On negbin cohorts (demo shape, 20% false and 30% missing interactions) several autoencoders are
trained per cohort (seeds 5000, 5001, ...); each one's codes are clustered and joined with one
K-means run (``kmeans_runs=1``, the previous defaults) and with the defaults (three runs and
their consensus), the K-means seed the same for both. Printed per cohort: mean recovery and the
recovery of each autoencoder; at the end the mean over all.

    python benchmarks/kmeans_runs.py --cohorts 0 1 2 3 4 --autoencoders 6
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

from mirmodules import MicaConfig, recovery_scores, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.mica.pipeline import autoencoder_for, cluster_and_join


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cohorts", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--autoencoders", type=int, default=6)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    configs = {"one run": MicaConfig(kmeans_runs=1), "three runs": MicaConfig()}
    everything: dict[str, list[float]] = {name: [] for name in configs}
    for cohort_seed in args.cohorts:
        cohort = simulate_cohort(seed=cohort_seed, noise_model="negbin", false_positive_rate=0.2,
                                 missing_rate=0.3)
        prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())
        scores: dict[str, list[float]] = {name: [] for name in configs}
        for i in range(args.autoencoders):
            embedder = autoencoder_for(MicaConfig(), prepared.mrna.shape[1], random_state=5000 + i)
            codes = pd.DataFrame(embedder.fit_transform(prepared.mrna.to_numpy()), index=prepared.mrna.index)
            for name, config in configs.items():
                modules = cluster_and_join(prepared, {"mrna": codes}, config, i).modules
                scores[name].append(recovery_scores(cohort.truth, modules)["recovery"])
        for name, values in scores.items():
            everything[name] += values
            print(f"cohort {cohort_seed} {name:10s} recovery {np.mean(values):.3f} "
                  f"(per autoencoder {' '.join(f'{v:.3f}' for v in values)})", flush=True)
    for name, values in everything.items():
        print(f"all cohorts {name:10s} recovery {np.mean(values):.3f} (min {np.min(values):.3f}; "
              f"{len(values)} autoencoders)")


if __name__ == "__main__":
    main()
