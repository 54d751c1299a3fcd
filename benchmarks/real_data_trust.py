"""Real-data trust: seed stability, module count and size, repression and family enrichment of
MICA settings on the real sets, and whether a module's confidence predicts its seed stability.

For each set and setting (``--settings``: ``NAME=VALUE`` pairs joined by commas; ``""`` is the
defaults) MICA runs with ``--seeds`` (all miRTarBase evidence, the set's miRBase tables). Printed:
modules per run, mean miRNAs / mRNAs, mean miRNA-mRNA r over the modules (and the least negative
module), family-enriched modules (q < 0.05) of the first seed's run, the seed stability (each run
as the reference in turn: mean best-match Jaccard of its modules in the other runs) and that
stability split by confidence (modules found in every internal K-means run against the others).

    python benchmarks/real_data_trust.py --sets cancersubtypes_gbm stategra_gbm --seeds 0 1 2 3 \\
        --settings "" "merge=none"
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from real_data_stability import settings
from real_data_summary import (
    SETS,
    by_confidence,
    gbm_set_arguments,
    prepare_set,
    seed_stability_by_module,
    set_families,
    start_real_data_benchmark,
)

from mirmodules import MicaConfig, evaluate_modules
from mirmodules.evaluation.topology import module_topology
from mirmodules.methods.mica.pipeline import run_mica


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    gbm_set_arguments(parser, seeds=[0, 1, 2, 3])
    parser.add_argument("--settings", nargs="+", default=[""])
    args = parser.parse_args()
    start_real_data_benchmark()
    for name in args.sets:
        _, _, mirbase, families_file, _, _ = SETS[name]
        prepared = prepare_set(name)
        families = set_families(families_file, mirbase)
        for text in args.settings:
            start = time.perf_counter()
            runs = [run_mica(prepared, config=MicaConfig(seed=seed, threads=1, **settings(text))).modules
                    for seed in args.seeds]
            seconds = (time.perf_counter() - start) / len(runs)
            rows = [pd.DataFrame({"stability": stability,
                                  "confidence": run.confidence_of().reindex(stability.index)})
                    for run, stability in seed_stability_by_module(runs)]
            per_module = pd.concat(rows, ignore_index=True)
            topo = module_topology(runs[0], mirna_expression=prepared.mirna, mrna_expression=prepared.mrna)
            evaluation = evaluate_modules(runs[0], prepared, families=families)
            row = evaluation.summary().iloc[0]
            print(f"{name} [{text or 'defaults'}]: modules {[r.n_modules for r in runs]}, mean "
                  f"{topo['n_mirnas'].mean():.1f} miRNAs / {topo['n_mrnas'].mean():.1f} mRNAs, r "
                  f"{topo['mean_correlation'].mean():.3f} (least negative "
                  f"{topo['mean_correlation'].max():.3f}), "
                  f"family-enriched {int(row['n_family_enriched'])} of {int(row['n_modules'])}, seed "
                  f"stability {per_module['stability'].mean():.3f} "
                  f"({by_confidence(per_module, 'stability')}), {seconds:.1f} s per run", flush=True)
    print("(stability: mean best-match Jaccard of each run's modules in the other runs; "
          f"seeds {args.seeds}; {np.__name__} {np.__version__})")


if __name__ == "__main__":
    main()
