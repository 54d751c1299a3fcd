"""MICA's defaults against the paper's configuration, single-change ablations and the baselines,
on two planted-module generators, several seeds and false-positive interaction rates.

Recovery = mean best-match Jaccard of the planted modules; the join ceiling (``ceiling``) is the
recovery of the join step when the clusters are the planted modules themselves (the join as the
paper describes it; refinement, which joins a module's interaction components, can pass it), and
``reachable`` the recovery of finding exactly the planted members that an interaction links to
their module (:func:`mirmodules.reachable_members`; no method that needs an interaction per
member can pass it). Each row also gives K chosen, the mean miRNA-mRNA correlation of the
modules found, and seconds. Torch runs on one thread (see the README on threads).

    python benchmarks/mica_variants.py --generators gaussian negbin --seeds 0 1 2 --rates 0.2
    python benchmarks/mica_variants.py --variants mica,paper --out variants.tsv
    python benchmarks/mica_variants.py --generators negbin --seeds 5 6 7 8 9 --interaction-density 0.8
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from mirmodules import MicaConfig, reachable_members, recovery_scores, simulate_cohort
from mirmodules.evaluation.topology import module_topology
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.join import modules_from_clusters
from mirmodules.methods.registry import run_method

#: name -> (registered method, parameters)
VARIANTS: dict[str, tuple[str, dict]] = {
    "mica": ("mica", {}),
    "paper": ("mica", {"preset": "paper"}),
    "mica_pooling_4x2": ("mica", {"pools": (4, 2)}),
    "mica_elbow_k30": ("mica", {"k_rule": "elbow", "k_max": 30, "sweep_n_init": None}),
    "mica_no_repression_filter": ("mica", {"repression": "any"}),
    "mica_centroid_filter_only": ("mica", {"repression": "centroid"}),
    "mica_edges_any_negative": ("mica", {"repression_alpha": 0.5}),
    "mica_epoch_training": ("mica", {"max_steps": None, "eval_every": None, "max_epochs": 100}),
    "mica_no_refine": ("mica", {"refine": "none"}),
    "mica_refine_centroid": ("mica", {"refine": "centroid"}),
    "mica_refine_alpha_005": ("mica", {"refine_alpha": 0.05}),
    "mica_refine_own_cluster_test": ("mica", {"refine_own_cluster": "test"}),
    "mica_one_kmeans_run": ("mica", {"kmeans_runs": 1}),
    "mica_coassociation": ("mica", {"kmeans_consensus": "coassociation"}),
    "kmeans_raw_coassociation": ("kmeans_raw", {"kmeans_consensus": "coassociation"}),
    "kmeans_raw": ("kmeans_raw", {}),
    "kmeans_raw_no_refine": ("kmeans_raw", {"refine": "none"}),
    "kmeans_pca": ("kmeans_pca", {}),
    "mirsynergy": ("mirsynergy", {}),
    "dicore": ("dicore", {}),
    "demine": ("demine", {}),
}


def join_ceiling(cohort, prepared) -> float:
    """Recovery when each planted module is one cluster and everything else one background cluster."""
    labels = {}
    for kind, frame in (("mirna", prepared.mirna), ("mrna", prepared.mrna)):
        series = pd.Series(-1, index=frame.index)
        members = cohort.truth.members[cohort.truth.members["kind"] == kind]
        for i, (_, group) in enumerate(members.groupby("module_id")):
            series[series.index.isin(group["feature"])] = i
        labels[kind] = series
    found = modules_from_clusters(labels["mirna"], labels["mrna"], prepared.interactions)
    return recovery_scores(cohort.truth, found)["recovery"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=["gaussian", "negbin"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.2])
    parser.add_argument("--missing-rate", type=float, default=None,
                        help="share of planted interactions removed (default: 0.1 gaussian, 0.3 negbin)")
    parser.add_argument("--interaction-density", type=float, default=None,
                        help="share of planted miRNA-target pairs in the table before the missing "
                             "ones are removed (default: the generator's, 0.5)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    parser.add_argument("--out", help="also write the rows as TSV")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for generator in args.generators:
        missing = args.missing_rate
        if missing is None:
            missing = 0.3 if generator == "negbin" else 0.1
        for rate in args.rates:
            for seed in args.seeds:
                density = {} if args.interaction_density is None else {
                    "interaction_density": args.interaction_density}
                cohort = simulate_cohort(seed=seed, noise_model=generator, false_positive_rate=rate,
                                         missing_rate=missing, **density)
                prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())
                ceiling = join_ceiling(cohort, prepared)
                reachable = float(reachable_members(cohort.truth, prepared.interactions)["ceiling"].mean())
                for name in args.variants.split(","):
                    method, params = VARIANTS[name]
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        run = run_method(method, prepared, seed=seed, **params)
                    scores = recovery_scores(cohort.truth, run.modules)
                    topo = module_topology(run.modules, mirna_expression=prepared.mirna,
                                           mrna_expression=prepared.mrna)
                    rows.append({
                        "generator": generator, "fp_rate": rate, "seed": seed, "variant": name,
                        "recovery": scores["recovery"], "relevance": scores["relevance"],
                        "n_found": int(scores["n_found"]), "ceiling": ceiling,
                        "reachable": reachable,
                        "mean_correlation": float(topo["mean_correlation"].mean()) if len(topo) else np.nan,
                        "seconds": time.perf_counter() - start,
                    })
                    print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1,
                                                             float_format="%.3f"), flush=True)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, sep="\t", index=False, float_format="%.4f")
    print("\nmean over seeds:")
    print(table.groupby(["generator", "fp_rate", "variant"], sort=False)[
        ["recovery", "relevance", "n_found", "ceiling", "reachable", "mean_correlation", "seconds"]]
        .mean().round(3).to_string())


if __name__ == "__main__":
    main()
