"""Where a run loses planted modules: per planted module, the members found, missed and added.

For a finished `mirmodules run` on a simulated cohort (its folder holds `truth.tsv`), each planted
module is matched to the found module with the highest member Jaccard. A planted mRNA (miRNA) is
*reachable* when the interactions the run used (`interactions_used.tsv`) link it to at least one
miRNA (mRNA) of its own planted module: a method that asks for a validated interaction per member
can find no other. The reachable ceiling is the mean Jaccard of each planted module with its
reachable members.

    python benchmarks/bench_tcga_scale.py --noise-model negbin --workdir /tmp/tcga
    python benchmarks/recovery_losses.py /tmp/tcga/data /tmp/tcga/run
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from mirmodules import read_modules
from mirmodules.evaluation.recovery import interaction_pairs, reachable


def _members(modules) -> dict[str, tuple[set[str], set[str]]]:
    """Module id -> (its miRNAs, its mRNAs) as sets."""
    return {module_id: (set(mirnas), set(mrnas)) for module_id, (mirnas, mrnas) in modules.groups().items()}


def losses(truth, found, interactions: pd.DataFrame) -> pd.DataFrame:
    """One row per planted module: sizes, reachable ceiling, best match and its misses and extras."""
    pairs = interaction_pairs(interactions)
    planted, runs = _members(truth), _members(found)
    rows = []
    for module_id, (mirnas, mrnas) in planted.items():
        reachable_mirnas, reachable_mrnas = reachable(sorted(mirnas), sorted(mrnas), pairs)
        everything = mirnas | mrnas
        best_id, best = None, 0.0
        for found_id, (f_mirnas, f_mrnas) in runs.items():
            jaccard = len(everything & (f_mirnas | f_mrnas)) / len(everything | f_mirnas | f_mrnas)
            if jaccard > best:
                best_id, best = found_id, jaccard
        f_mirnas, f_mrnas = runs.get(best_id, (set(), set()))
        rows.append({
            "module_id": module_id, "n_mirnas": len(mirnas), "n_mrnas": len(mrnas),
            "reachable_ceiling": (len(reachable_mirnas) + len(reachable_mrnas)) / len(everything),
            "best_match": best_id, "jaccard": best,
            "mirnas_missed": len(mirnas - f_mirnas), "mirnas_added": len(f_mirnas - mirnas),
            "mrnas_missed": len(mrnas - f_mrnas), "mrnas_added": len(f_mrnas - mrnas),
            "mrnas_unreachable": len(mrnas - reachable_mrnas),
            "reachable_mrnas_missed": len(reachable_mrnas - f_mrnas),
        })
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="folder of the simulated cohort (truth.tsv)")
    parser.add_argument("run", type=Path, help="folder of the finished `mirmodules run`")
    args = parser.parse_args()
    interactions = pd.read_csv(args.run / "interactions_used.tsv", sep="\t")
    table = losses(read_modules(args.data / "truth.tsv"), read_modules(args.run), interactions)
    print(table.to_string(index=False, float_format="%.3f"))
    print(f"\nrecovery (mean best-match Jaccard) {table['jaccard'].mean():.3f}; reachable ceiling "
          f"{table['reachable_ceiling'].mean():.3f}")
    totals = table[["mirnas_missed", "mirnas_added", "mrnas_missed", "mrnas_added", "mrnas_unreachable",
                    "reachable_mrnas_missed"]].sum()
    print("totals:", ", ".join(f"{name} {int(value)}" for name, value in totals.items()))


if __name__ == "__main__":
    main()
