"""Where MICA's seed dependence comes from, and what a consensus over seeds buys.

On negbin cohorts (demo shape, 20% false interactions, 30% missing), nine autoencoders are trained
with seeds 1000-1008 and their codes clustered and joined with the defaults. Printed per cohort:

* sources: stability when only the K-means seed changes (codes of one autoencoder, K-means seeds
  0-2), when only the autoencoder changes (K-means seed fixed), and when both change;
* consensus: stability and recovery of single runs (one autoencoder and one K-means run; seeds
  0, 3, 6 compared with each other) against the consensus of three runs (runs 0-2, 3-5, 6-8),
  ``mirmodules run --consensus-seeds 3``, under both consensus rules (``pairs``: components of
  co-membership; ``matched``: matched modules, the default), and against the defaults (one
  autoencoder, three K-means runs, ``--kmeans-runs 3``) on the codes of autoencoders 0, 3, 6.

Stability = mean best-match Jaccard of the first module set's modules in the others.

    python benchmarks/seed_consensus.py --cohorts 0 1 2
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

from mirmodules import MicaConfig, recovery_scores, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.consensus import consensus_modules, edges_of
from mirmodules.methods.mica.pipeline import autoencoder_for, cluster_and_join


def mrna_codes(prepared, config: MicaConfig, seed: int) -> pd.DataFrame:
    """Codes of the mRNA profiles from one autoencoder trained as a MICA run would, with ``seed``."""
    frame = prepared.mrna
    embedder = autoencoder_for(config, frame.shape[1], random_state=seed)
    return pd.DataFrame(embedder.fit_transform(frame.to_numpy()), index=frame.index)


def stability_of(sets: list) -> float:
    return float(np.mean([recovery_scores(sets[0], other)["recovery"] for other in sets[1:]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cohorts", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    config = MicaConfig(kmeans_runs=1)  # single runs: one K-means run each
    for cohort_seed in args.cohorts:
        cohort = simulate_cohort(seed=cohort_seed, noise_model="negbin", false_positive_rate=0.2,
                                 missing_rate=0.3)
        prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=config)
        codes = [mrna_codes(prepared, config, 1000 + s) for s in range(9)]

        def modules(ae: int, kmeans_seed: int, prepared=prepared, codes=codes):
            return cluster_and_join(prepared, {"mrna": codes[ae]}, config, kmeans_seed).modules

        grid = {(a, k): modules(a, k) for a in range(3) for k in range(3)}
        kmeans_only = np.mean([stability_of([grid[a, 0], grid[a, 1], grid[a, 2]]) for a in range(3)])
        ae_only = np.mean([stability_of([grid[0, k], grid[1, k], grid[2, k]]) for k in range(3)])
        both = stability_of([grid[0, 0], grid[1, 1], grid[2, 2]])
        print(f"cohort {cohort_seed} sources: K-means seed only {kmeans_only:.3f}; autoencoder seed "
              f"only {ae_only:.3f}; both {both:.3f}", flush=True)
        single = [modules(s, s) for s in range(9)]
        variants = {"single run": [single[0], single[3], single[6]]}
        for rule in ("pairs", "matched"):
            variants[f"3 seeds, {rule}"] = [
                consensus_modules(single[3 * r:3 * r + 3], edges_of(single[3 * r:3 * r + 3]), rule=rule)
                for r in range(3)]
        defaults = MicaConfig()
        variants["3 K-means runs"] = [
            cluster_and_join(prepared, {"mrna": codes[3 * r]}, defaults, r).modules for r in range(3)]
        for name, sets in variants.items():
            recovery = np.mean([recovery_scores(cohort.truth, m)["recovery"] for m in sets])
            print(f"cohort {cohort_seed} {name:18s} stability {stability_of(sets):.3f} "
                  f"recovery {recovery:.3f}", flush=True)


if __name__ == "__main__":
    main()
