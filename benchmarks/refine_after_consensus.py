"""Experiment (not the default): refine the consensus modules instead of each K-means run's.

The default joins each of the three K-means runs with the partial refinement and takes the
consensus of the refined modules (matched by their members or by their cores, the modules before
refinement; commit d487b4d). This experiment (commit c6476ec) came first and is superseded by the core
matching, which keeps the modules here without losing planted ones (docs/method_choices.md).
Here the runs are joined without refinement, their consensus is
taken, and each consensus module is then refined once, with the first run's clusters as every
feature's own cluster. Prints recovery and relevance of both on planted cohorts (``sim``), or the
module counts and sizes of both on a real GBM set (a folder name under ../shared/data with
``GBM_mirna_expression.tsv.gz`` and ``GBM_mrna_expression.tsv.gz``, all miRTarBase evidence).

    python benchmarks/refine_after_consensus.py sim
    python benchmarks/refine_after_consensus.py stategra_gbm_verhaak
    python benchmarks/refine_after_consensus.py cohort DIR   # a simulated cohort's folder, e.g.
        # DIR/data of `bench_tcga_scale.py --noise-model negbin --workdir DIR` (TCGA size)
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd

from mirmodules import MicaConfig, recovery_scores, simulate_cohort
from mirmodules._random import derive_seed
from mirmodules.datatypes import _numbered_module_set
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.join import (
    _own_clusters,
    refine_module,
    repressed_interactions,
    standardised_profiles,
)
from mirmodules.methods.mica.pipeline import _cluster_and_join_once, _consensus, run_mica

DATA = Path(os.environ.get("MIRMODULES_SHARED_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def refined_after_consensus(prepared, codes, config, seed):
    """(modules refined after the consensus, number of consensus modules before refinement)."""
    plain = replace(config, refine="none")
    z_mirna, z_mrna = standardised = standardised_profiles(prepared.mirna, prepared.mrna)
    runs = [_cluster_and_join_once(prepared, codes, plain,
                                   seed if i == 0 else derive_seed(seed, f"kmeans_run_{i}"),
                                   standardised, progress=False, timings={})
            for i in range(config.kmeans_runs)]
    consensus = _consensus([run.modules for run in runs], config)
    edges = prepared.interactions[["mirna", "target"]].drop_duplicates()
    edges = edges[edges["mirna"].isin(z_mirna.index) & edges["target"].isin(z_mrna.index)]
    active = repressed_interactions(edges, z_mirna, z_mrna, max(config.repression_alpha, config.refine_alpha))
    targets_of = active.groupby("mirna")["target"].apply(set).to_dict()
    clusters = runs[0].clusterings
    own = (_own_clusters(z_mirna, clusters["mirna"].labels), _own_clusters(z_mrna, clusters["mrna"].labels))
    refined = [refine_module(mirnas, mrnas, targets_of, z_mirna, z_mrna, fraction=config.refine_fraction,
                             own=own, partial=config.refine == "partial")
               for mirnas, mrnas in consensus.groups().values()]
    return _numbered_module_set(refined), consensus.n_modules


def main() -> None:
    warnings.simplefilter("ignore")
    config = MicaConfig()
    which = sys.argv[1] if len(sys.argv) > 1 else "sim"
    if which == "sim":
        rows = []
        for generator, seeds in (("negbin", [0, 1, 2]), ("negbin", [5, 6, 7, 8, 9]), ("gaussian", [0, 1, 2])):
            for seed in seeds:
                cohort = simulate_cohort(seed=seed, noise_model=generator, false_positive_rate=0.2,
                                         missing_rate=0.3 if generator == "negbin" else 0.1)
                prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=config)
                result = run_mica(prepared, config=replace(config, seed=seed))
                modules, _ = refined_after_consensus(prepared, result.codes, config, seed)
                default = recovery_scores(cohort.truth, result.modules)
                after = recovery_scores(cohort.truth, modules)
                rows.append({"cohorts": generator + (" 5-9" if seed >= 5 else " 0-2"), "seed": seed,
                             "recovery_default": default["recovery"],
                             "recovery_after": after["recovery"],
                             "relevance_default": default["relevance"],
                             "relevance_after": after["relevance"]})
                print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1,
                                                         float_format="%.3f"), flush=True)
        table = pd.DataFrame(rows).drop(columns="seed")
        print(table.groupby("cohorts", sort=False).mean().round(3).to_string())
        return
    from mirmodules.workflows.run import run_from_files

    if which == "cohort":
        from mirmodules import read_modules

        folder = Path(sys.argv[2])
        result = run_from_files(folder / "mirna.tsv", folder / "mrna.tsv", folder / "interactions.tsv",
                                config=config)
        modules, _ = refined_after_consensus(result.prepared, result.codes, config, config.seed)
        truth = read_modules(folder / "truth.tsv")
        for label, found in (("default", result.modules), ("refined after the consensus", modules)):
            scores = recovery_scores(truth, found)
            print(f"{label}: {found.n_modules} modules, recovery {scores['recovery']:.3f}, "
                  f"relevance {scores['relevance']:.3f}")
        return

    folder = DATA / which
    result = run_from_files(folder / "GBM_mirna_expression.tsv.gz", folder / "GBM_mrna_expression.tsv.gz",
                            DATA / "mirtarbase_hsa" / "hsa_MTI_full.tsv.gz",
                            mirbase_paths=[
                                DATA / "mirbase" / "mature_v22_hsa.tsv.gz",
                                DATA / "mirbase" / "precursor_to_mature_v18_hsa_with_family.tsv.gz"],
                            config=config)
    modules, n_consensus = refined_after_consensus(result.prepared, result.codes, config, config.seed)
    for label, found in (("default", result.modules), ("refined after the consensus", modules)):
        sizes = found.summary()[["n_mirnas", "n_mrnas"]].mean()
        print(f"{label}: {found.n_modules} modules, mean {sizes['n_mirnas']:.1f} miRNAs and "
              f"{sizes['n_mrnas']:.1f} mRNAs")
    print(f"(consensus before refinement: {n_consensus} modules)")


if __name__ == "__main__":
    main()
