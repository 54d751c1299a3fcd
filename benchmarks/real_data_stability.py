"""Seed stability of MICA and its K-means ablations on the real GBM sets, under chosen settings.

For each setting (``--settings``, one per value, ``NAME=VALUE`` pairs joined by commas; ``""`` is
the defaults), the method runs with seed 0 and ``--n-seeds`` other seeds (``mirmodules
stability ... --n-bootstraps 0 --n-orders 0``); the score is the mean best-match Jaccard of the
seed-0 modules in the reruns. ``--consensus-groups G`` instead takes the consensus modules of G
independent groups of seeds (base seeds 0, 1000, 2000, ...; each the reference run and
``--n-seeds`` reruns, as ``mirmodules stability`` builds them) and prints how well the groups'
consensus modules match each other.

    python benchmarks/real_data_stability.py --sets cancersubtypes_gbm --methods mica kmeans_raw \
        --settings "" "kmeans_consensus=coassociation" "refine_own_cluster=test"
    python benchmarks/real_data_stability.py --evidence strong --settings "" "refine_own_cluster=test"
    python benchmarks/real_data_stability.py --methods kmeans_raw \
        --settings "k_rule=silhouette,k_min=15,k_max=16" "kmeans_runs=15"
    python benchmarks/real_data_stability.py --methods mica --n-seeds 5 --consensus-groups 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from real_data_summary import DATA, SETS, parameter

from mirmodules import MicaConfig, best_match_jaccard
from mirmodules.methods.consensus import consensus_modules
from mirmodules.workflows.stability import stability


def settings(text: str) -> dict:
    return dict(parameter(item) for item in text.split(",")) if text else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["cancersubtypes_gbm", "stategra_gbm"],
                        choices=["cancersubtypes_gbm", "stategra_gbm"])
    parser.add_argument("--evidence", default="all", choices=["all", "functional", "strong"])
    parser.add_argument("--methods", nargs="+", default=["mica"])
    parser.add_argument("--settings", nargs="+", default=[""])
    parser.add_argument("--n-seeds", type=int, default=3)
    parser.add_argument("--consensus-groups", type=int, default=0)
    args = parser.parse_args()
    import torch

    from mirmodules.inputs.prepared import prepare_from_files

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for name in args.sets:
        folder, prefix, mirbase, *_ = SETS[name]
        base = DATA / folder
        prepared = prepare_from_files(base / f"{prefix}_mirna_expression.tsv.gz",
                                      base / f"{prefix}_mrna_expression.tsv.gz",
                                      DATA / "mirtarbase_hsa" / "hsa_MTI_full.tsv.gz",
                                      mirbase_paths=[DATA / path for path in mirbase],
                                      config=MicaConfig(threads=1, evidence=args.evidence))[0]
        for method in args.methods:
            for text in args.settings:
                start = time.perf_counter()
                if args.consensus_groups:
                    groups = []
                    for g in range(args.consensus_groups):
                        config = MicaConfig(seed=1000 * g, threads=1, evidence=args.evidence,
                                            **settings(text))
                        result = stability(prepared, method, seed=1000 * g, n_seeds=args.n_seeds,
                                           n_bootstraps=0, n_orders=0, config=config)
                        sets = [result.reference] + [modules for _, modules in result.runs]
                        groups.append((result.score, consensus_modules(sets, prepared.interactions)))
                    agreement = [float(best_match_jaccard(groups[i][1], groups[j][1])["jaccard"].mean())
                                 for i in range(len(groups)) for j in range(len(groups)) if i != j]
                    print(f"{name} ({args.evidence}) {method} {text or 'defaults'}: single-run stability "
                          f"{', '.join(f'{s:.3f}' for s, _ in groups)}; consensus modules "
                          f"{[c.n_modules for _, c in groups]}; consensus agreement "
                          f"{min(agreement):.3f}-{max(agreement):.3f} "
                          f"({time.perf_counter() - start:.0f} s)", flush=True)
                    continue
                config = MicaConfig(seed=0, threads=1, evidence=args.evidence, **settings(text))
                result = stability(prepared, method, seed=0, n_seeds=args.n_seeds, n_bootstraps=0,
                                   n_orders=0, config=config)
                reappearing = int((result.per_module["reappearance"] >= 0.5).sum())
                print(f"{name} ({args.evidence}) {method} {text or 'defaults'}: seed stability "
                      f"{result.score:.3f}, {result.reference.n_modules} modules ({reappearing} reappear "
                      f"in >= half the reruns; {np.round(time.perf_counter() - start):.0f} s)", flush=True)


if __name__ == "__main__":
    main()
