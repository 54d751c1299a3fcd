"""How much repression the validated interactions show in a data set, against random pairs.

For each real set (read in place from ../shared/data or MIRMODULES_SHARED_DATA), the share of the
miRTarBase interactions that pass MICA's per-interaction repression test (one-sided Fisher z at
0.05, the join's level) and the share with a negative correlation, beside the same shares for
random miRNA-mRNA pairs of the same data (the background that co-expression alone gives). A
data set whose interactions pass no more often than random pairs gives the join little to build
on, whatever the clustering. ``--remove-components K ...`` repeats the count after removing the
first K principal components (sample factors) of each modality's standardised profiles, the
broad programmes that also correlate random pairs (the test's degrees of freedom lose K).

    python benchmarks/repression_signal.py [--pairs 5000] [--seed 0] [--remove-components 0 3 5 10]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from real_data_summary import DATA, MIRBASE

from mirmodules import MicaConfig
from mirmodules.inputs.prepared import prepare_from_files
from mirmodules.methods.join import interaction_correlations, repression_threshold

#: label -> (folder, evidence)
SETS = {
    "CancerSubtypes GBM, strong evidence": ("cancersubtypes_gbm", "strong"),
    "CancerSubtypes GBM, all evidence": ("cancersubtypes_gbm", "all"),
    "Stategra GBM, all evidence": ("stategra_gbm_verhaak", "all"),
}


def without_components(profiles: pd.DataFrame, k: int) -> pd.DataFrame:
    """Rows standardised, then the first ``k`` right singular vectors (sample factors) removed."""
    values = profiles.to_numpy(dtype=float)
    values = (values - values.mean(axis=1, keepdims=True)) / (values.std(axis=1, keepdims=True) + 1e-12)
    if k:
        factors = np.linalg.svd(values, full_matrices=False)[2][:k]
        values = values - (values @ factors.T) @ factors
    return pd.DataFrame(values, index=profiles.index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=5000, help="random pairs per data set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--remove-components", type=int, nargs="+", default=[0],
                        help="principal components removed before testing (0: none)")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"shared data folder not found: {DATA}")
    warnings.simplefilter("ignore")
    rows = []
    for label, (folder, evidence) in SETS.items():
        base = DATA / folder
        prepared = prepare_from_files(base / "GBM_mirna_expression.tsv.gz",
                                      base / "GBM_mrna_expression.tsv.gz",
                                      DATA / "mirtarbase_hsa" / "hsa_MTI_full.tsv.gz",
                                      mirbase_paths=[DATA / path for path in MIRBASE],
                                      config=MicaConfig(evidence=evidence))[0]
        validated = prepared.interactions[["mirna", "target"]].drop_duplicates()
        rng = np.random.default_rng(args.seed)
        random_pairs = pd.DataFrame({"mirna": rng.choice(prepared.mirna.index, args.pairs),
                                     "target": rng.choice(prepared.mrna.index, args.pairs)})
        for k in args.remove_components:
            threshold = repression_threshold(prepared.mirna.shape[1] - k, 0.05)
            mirna, mrna = without_components(prepared.mirna, k), without_components(prepared.mrna, k)
            row = {"data": label, "components_removed": k, "samples": prepared.mirna.shape[1],
                   "interactions": len(validated)}
            for name, pairs in (("validated", validated), ("random", random_pairs)):
                r = interaction_correlations(pairs, mirna, mrna)
                row[f"{name}_pass"] = float(np.mean(r < threshold))
                row[f"{name}_negative"] = float(np.mean(r < 0))
            row["enrichment"] = row["validated_pass"] / row["random_pass"]
            rows.append(row)
            print(pd.DataFrame([row]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"),
                  flush=True)


if __name__ == "__main__":
    main()
