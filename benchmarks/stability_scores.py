"""Stability of every method on a simulated cohort and on the GBM data; significance of MICA's GBM modules.

Simulated: the demo cohort shape (seed 0, 20% false-positive interactions). GBM: the CancerSubtypes
set with miRTarBase (--evidence, default strong) and miRBase accession tables, from ../shared/data.
Each method is rerun with --n-seeds other seeds and --n-bootstraps bootstrap resamples (and, for
MICA, --n-orders sample orders); the score is the mean best-match Jaccard of the reference modules.

    python benchmarks/stability_scores.py --n-seeds 3 --n-bootstraps 3 --n-orders 3 --nulls 200
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

from mirmodules import MicaConfig, simulate_cohort
from mirmodules.evaluation.perturbation import module_significance
from mirmodules.inputs.prepared import prepare_from_files, prepare_inputs
from mirmodules.methods.mica.pipeline import run_mica
from mirmodules.methods.registry import METHODS
from mirmodules.workflows.stability import stability

DATA = Path(os.environ.get("MIRMODULES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def scores(prepared, label: str, args: argparse.Namespace) -> None:
    for method in args.methods.split(","):
        start = time.perf_counter()
        result = stability(
            prepared,
            method,
            n_seeds=args.n_seeds,
            n_bootstraps=args.n_bootstraps,
            n_orders=args.n_orders if method == "mica" else 0,
            config=MicaConfig(),
        )
        by_kind = result.per_run.groupby("kind")["mean_jaccard"].mean().round(3).to_dict()
        print(
            f"{label} {method}: stability {result.score:.3f} ({by_kind}); "
            f"{result.reference.n_modules} reference modules, "
            f"{int((result.per_module['reappearance'] >= 0.5).sum())} reappear in >= half the reruns; "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-seeds", type=int, default=3)
    parser.add_argument("--n-bootstraps", type=int, default=3)
    parser.add_argument("--n-orders", type=int, default=3)
    parser.add_argument("--nulls", type=int, default=200)
    parser.add_argument("--evidence", default="strong", choices=["all", "functional", "strong"])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--skip-simulated", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if not args.skip_simulated:
        cohort = simulate_cohort(seed=0, false_positive_rate=0.2)
        scores(
            prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig()),
            "simulated",
            args,
        )
    gbm = DATA / "cancersubtypes_gbm"
    if not gbm.exists():
        print(f"GBM data not found under {DATA}; skipped")
        return
    config = MicaConfig(evidence=args.evidence)
    prepared, _, _ = prepare_from_files(
        gbm / "GBM_mirna_expression.tsv.gz",
        gbm / "GBM_mrna_expression.tsv.gz",
        DATA / "mirtarbase_hsa" / "hsa_MTI_pairs.tsv.gz",
        mirbase_paths=[
            DATA / "mirbase" / "mature_v22_hsa.tsv.gz",
            DATA / "mirbase" / "precursor_to_mature_v18_hsa_with_family.tsv.gz",
        ],
        config=config,
    )
    scores(prepared, f"GBM ({args.evidence})", args)
    modules = run_mica(prepared, config=config).modules
    table = module_significance(modules, prepared, n_null=args.nulls, seed=0)
    both = (table["q_rewired"] < 0.05) & (table["q_shuffled"] < 0.05)
    print(
        f"GBM ({args.evidence}) MICA significance, {args.nulls} nulls each: {int(both.sum())} of "
        f"{len(table)} modules "
        f"at q < 0.05 against both nulls; {int((table['q_rewired'] < 0.05).sum())} against rewiring, "
        f"{int((table['q_shuffled'] < 0.05).sum())} against shuffled expression"
    )


if __name__ == "__main__":
    main()
