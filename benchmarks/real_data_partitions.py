"""Where real-tumour seed instability arises: the mRNA partition, or the join built on it.

For each real set and outer seed, three ways to cluster the mRNAs, each joined by MICA's stage 3
(:func:`~mirmodules.methods.mica.pipeline.join_clusters`, the defaults' join) and by the same
join without refinement (``refine="none"``):

* ``defaults``: one autoencoder, the defaults' ten K-means runs; the partition compared is the
  first run's (the modules are the runs' consensus, as ``mirmodules run`` gives them);
* ``coassociation``: ``--autoencoders`` autoencoders (seeds derived from the outer seed), each one's
  codes clustered by ``--kmeans-runs`` K-means runs at the defaults' K (sqrt of the mRNAs); the
  share of the runs in which two mRNAs share a cluster, cut into K clusters by average linkage
  (evidence accumulation across autoencoder seeds), joined once.

Printed per set and way: the partitions' agreement between outer seeds (mean adjusted Rand index
over pairs of seeds, and the clusters' mean best-match Jaccard), and for each join the modules
per run, mean miRNAs / mRNAs and the seed stability (each run as the reference in turn: mean
best-match Jaccard of its modules in the other runs). Modules that agree less than the clusters
they come from: the join amplifies what moves.

    python benchmarks/real_data_partitions.py --sets cancersubtypes_gbm stategra_gbm --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace

import numpy as np
import pandas as pd
from real_data_summary import (
    gbm_set_arguments,
    prepare_set,
    seed_stability_by_module,
    start_real_data_benchmark,
)
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from mirmodules import MicaConfig
from mirmodules._random import derive_seed
from mirmodules.methods.mica.clustering import single_cluster
from mirmodules.methods.mica.pipeline import autoencoder_for, join_clusters, run_mica


def coassociation_partition(prepared, config: MicaConfig, seed: int, autoencoders: int,
                            kmeans_runs: int) -> pd.Series:
    """mRNA labels by evidence accumulation over ``autoencoders`` x ``kmeans_runs`` K-means runs."""
    frame = prepared.mrna
    n = len(frame)
    k = round(np.sqrt(n))
    together = np.zeros((n, n), dtype=np.float32)
    for a in range(autoencoders):
        embedder = autoencoder_for(config, frame.shape[1],
                                   random_state=derive_seed(seed, f"partition_autoencoder_{a}"))
        codes = embedder.fit_transform(frame.to_numpy())
        for run_seed in np.random.SeedSequence(derive_seed(seed, f"partition_kmeans_{a}")).generate_state(
                kmeans_runs):
            labels = KMeans(n_clusters=k, n_init=1, random_state=int(run_seed)).fit_predict(codes)
            onehot = np.eye(k, dtype=np.float32)[labels]
            together += onehot @ onehot.T
    distance = 1.0 - together / (autoencoders * kmeans_runs)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return pd.Series(fcluster(tree, t=k, criterion="maxclust"), index=frame.index, name="cluster")


def stability_line(runs) -> str:
    per_module = pd.concat([s for _, s in seed_stability_by_module(runs)])
    sizes = [(len(m), len(g)) for run in runs for m, g in run.groups().values()]
    mean_mirnas = np.mean([s[0] for s in sizes]) if sizes else float("nan")
    mean_mrnas = np.mean([s[1] for s in sizes]) if sizes else float("nan")
    return (f"modules {[r.n_modules for r in runs]}, {mean_mirnas:.1f} miRNAs / {mean_mrnas:.1f} mRNAs, "
            f"seed stability {per_module.mean():.3f}")


def agreement(partitions: list[pd.Series]) -> str:
    """Mean adjusted Rand index over pairs of partitions, and the clusters' mean best-match
    Jaccard (each partition as the reference in turn), the measure the modules' stability uses."""
    ari = np.mean([adjusted_rand_score(a, b.reindex(a.index))
                   for a, b in itertools.combinations(partitions, 2)])
    clusters = [[set(group.index) for _, group in p.groupby(p)] for p in partitions]
    jaccard = np.mean([np.mean([max(len(a & b) / len(a | b) for b in other) for a in reference])
                       for reference, other in itertools.permutations(clusters, 2)])
    return f"partition ARI {ari:.3f}, cluster best-match Jaccard {jaccard:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    gbm_set_arguments(parser, seeds=[0, 1, 2])
    parser.add_argument("--autoencoders", type=int, default=10)
    parser.add_argument("--kmeans-runs", type=int, default=20)
    args = parser.parse_args()
    start_real_data_benchmark()
    for name in args.sets:
        prepared = prepare_set(name)
        config = MicaConfig(threads=1)
        unrefined = replace(config, refine="none")
        start = time.perf_counter()
        results = [run_mica(prepared, config=replace(config, seed=seed)) for seed in args.seeds]
        seconds = (time.perf_counter() - start) / len(results)
        partitions = [r.clusterings["mrna"].labels for r in results]
        plain = [run_mica(prepared, config=replace(unrefined, seed=seed)).modules for seed in args.seeds]
        print(f"{name} defaults ({seconds:.1f} s per run): {agreement(partitions)}; "
              f"default join: {stability_line([r.modules for r in results])}; without refinement: "
              f"{stability_line(plain)}", flush=True)
        start = time.perf_counter()
        partitions = [coassociation_partition(prepared, config, seed, args.autoencoders, args.kmeans_runs)
                      for seed in args.seeds]
        seconds = (time.perf_counter() - start) / len(partitions)
        mirna_labels = single_cluster(prepared.mirna.index).labels
        joined = [join_clusters(prepared, mirna_labels, labels, config).modules for labels in partitions]
        plain = [join_clusters(prepared, mirna_labels, labels, unrefined).modules for labels in partitions]
        print(f"{name} co-association of {args.autoencoders} autoencoders x {args.kmeans_runs} K-means "
              f"runs ({seconds:.1f} s per partition): {agreement(partitions)}; default "
              f"join: {stability_line(joined)}; without refinement: {stability_line(plain)}", flush=True)
    print(f"(seeds {args.seeds}; stability: mean best-match Jaccard of each run's modules in the other runs)")


if __name__ == "__main__":
    main()
