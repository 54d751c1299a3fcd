"""MICA on the real TCGA GBM set (CancerSubtypes: 100 patients, 470 miRNAs, 1,500 genes).

Uses miRTarBase (all evidence, or --evidence strong) and the miRBase tables for the GBM file's
MIMAT/MI accessions, all read in place from ../shared/data (or MIRMODULES_SHARED_DATA). Prints the
id mapping, the module count, mean sizes and density, and the time per stage.

    python benchmarks/gbm_summary.py [--evidence strong] [--seed 0] [--out gbm_run]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

from mirmodules import MicaConfig, run_from_files, save_result
from mirmodules.inputs.identifiers import summarise_harmonisation

DATA = Path(os.environ.get("MIRMODULES_SHARED_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evidence", default="all", choices=["all", "functional", "strong"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the run directory here")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"shared data folder not found: {DATA}")
    gbm = DATA / "cancersubtypes_gbm"
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_from_files(
            gbm / "GBM_mirna_expression.tsv.gz", gbm / "GBM_mrna_expression.tsv.gz",
            DATA / "mirtarbase_hsa" / "hsa_MTI_pairs.tsv.gz",
            mirbase_paths=[DATA / "mirbase" / "mature_v22_hsa.tsv.gz",
                           DATA / "mirbase" / "precursor_to_mature_v18_hsa_with_family.tsv.gz"],
            config=MicaConfig(seed=args.seed, evidence=args.evidence),
        )
    wall = time.perf_counter() - start
    counts = result.prepared.counts
    print(f"GBM: {counts['samples_matched']} samples; evidence={args.evidence}")
    print("miRNA id harmonisation (expression and interactions):")
    print(summarise_harmonisation(result.prepared.harmonisation).to_string(index=False))
    print(f"miRNAs analysed {len(result.prepared.mirna)}, mRNAs analysed {len(result.prepared.mrna)}, "
          f"interaction pairs used {counts['interaction_pairs_used']} "
          f"({counts['mirnas_with_interactions']} miRNAs, {counts['mrnas_with_interactions']} mRNAs)")
    summary = result.modules.summary()
    clus = result.manifest["clustering"]
    print(f"K miRNA {clus['mirna']['k']} ({clus['mirna']['rule']}), "
          f"K mRNA {clus['mrna']['k']} ({clus['mrna']['rule']})")
    print(f"modules {result.modules.n_modules}; mean miRNAs {summary['n_mirnas'].mean():.2f}; "
          f"mean mRNAs {summary['n_mrnas'].mean():.2f}; mean density {summary['density'].mean():.3f}")
    print(summary.to_string(index=False))
    print("seconds:", result.manifest["seconds"], f"total {wall:.1f}")
    for w in caught:
        print("warning:", w.message)
    if args.out:
        save_result(result, args.out, overwrite=True)
        print("written to", args.out)


if __name__ == "__main__":
    main()
