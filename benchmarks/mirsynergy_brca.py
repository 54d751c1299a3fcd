"""Mirsynergy port on the R package's BRCA test data (2661 mRNAs x 142 miRNAs x 15 samples).

Reads ../shared/data/mirsynergy_brca_testdata in place (or MIRMODULES_SHARED_DATA). Prints
(1) parity with the R package given the R package's own W and H: modules matched exactly and the
largest synergy / density differences; run time and peak memory of the two stages;
(2) our LASSO W built from the expression and TargetScan prior: time, agreement with the R W, and
how the modules from it compare with the reference (best-match Jaccard).

    python benchmarks/mirsynergy_brca.py
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from mirmodules.datatypes import module_set_from_groups, module_set_from_members
from mirmodules.evaluation.recovery import best_match_jaccard
from mirmodules.methods.mirsynergy import lasso_target_weights, mirsynergy

DATA = Path(os.environ.get("MIRMODULES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def as_module_set(modules: list) -> object:
    no_edges = pd.DataFrame(columns=["mirna", "target"])
    return module_set_from_groups([(m.mirnas, m.mrnas) for m in modules], no_edges, min_mirnas=1, min_mrnas=1)


def main() -> None:
    folder = DATA / "mirsynergy_brca_testdata"
    if not folder.exists():
        raise SystemExit(f"data folder not found: {folder}")
    weights = pd.read_csv(folder / "reference_R" / "W_vignette_lasso.tsv.gz", sep="\t", index_col=0)
    network = pd.read_csv(folder / "gene_gene_H_edges.tsv.gz", sep="\t")
    reference = pd.read_csv(folder / "reference_R" / "modules_long.tsv", sep="\t")
    stats = pd.read_csv(folder / "reference_R" / "module_stats.tsv", sep="\t").set_index("module_id")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        modules = mirsynergy(weights, network)
        times.append(time.perf_counter() - start)
    tracemalloc.start()  # memory in a separate run: tracing slows the code
    mirsynergy(weights, network)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    found = {(frozenset(m.mirnas), frozenset(m.mrnas)): m for m in modules}
    exact, d_syn, d_den = 0, 0.0, 0.0
    for module_id, group in reference.groupby("module_id"):
        key = (
            frozenset(group.loc[group["node_type"] == "miRNA", "node_id"]),
            frozenset(group.loc[group["node_type"] != "miRNA", "node_id"]),
        )
        if key in found:
            exact += 1
            d_syn = max(d_syn, abs(found[key].synergy - stats.at[module_id, "synergy"]))
            d_den = max(d_den, abs(found[key].density - stats.at[module_id, "pkg_density"]))
    print(
        f"parity with R (given the R package's W and H): {exact} of {reference['module_id'].nunique()} "
        f"reference modules reproduced exactly; {len(modules)} modules found"
    )
    print(f"  largest |synergy difference| {d_syn:.2e}, largest |density difference| {d_den:.2e}")
    print(
        f"  mirsynergy() time: {np.mean(times):.2f} s mean of 3 (R package: 17.6 s); "
        f"peak traced memory {peak / 2**20:.1f} MiB; process max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    sizes = pd.DataFrame(
        [(len(m.mirnas), len(m.mrnas), m.density) for m in modules],
        columns=["n_mirnas", "n_mrnas", "density"],
    )
    print(
        f"  modules: mean {sizes['n_mirnas'].mean():.2f} miRNAs, {sizes['n_mrnas'].mean():.2f} mRNAs, "
        f"package density {sizes['density'].mean():.4f}"
    )

    x = pd.read_csv(folder / "mrna_expression_X.tsv.gz", sep="\t", index_col=0)
    z = pd.read_csv(folder / "mirna_expression_Z.tsv.gz", sep="\t", index_col=0)
    prior = pd.read_csv(folder / "target_matrix_C_edges.tsv.gz", sep="\t")
    ref_set = module_set_from_members(
        reference.rename(columns={"node_id": "feature"}).assign(
            kind=lambda d: np.where(d["node_type"] == "miRNA", "mirna", "mrna")
        )[["module_id", "feature", "kind"]]
    )
    for interpolate in (True, False):
        start = time.perf_counter()
        ours = lasso_target_weights(z, x, prior, interpolate_path=interpolate)
        seconds = time.perf_counter() - start
        ours = ours.reindex(index=weights.index, columns=weights.columns, fill_value=0.0)
        diff = (ours - weights).abs()
        rows_with = (weights.to_numpy() > 0).any(axis=1) | (ours.to_numpy() > 0).any(axis=1)
        same = int(((diff.to_numpy() < 1e-6).all(axis=1) & rows_with).sum())
        mods = mirsynergy(ours, network)
        match = best_match_jaccard(ref_set, as_module_set(mods))
        label = "glmnet path + interpolation at s=0.1" if interpolate else "exact LASSO at lambda=0.1"
        print(
            f"our W ({label}): {seconds:.1f} s (R: 12.3 s); {int((ours.to_numpy() > 0).sum())} non-zeros "
            f"(R: {int((weights.to_numpy() > 0).sum())}); {same} of {int(rows_with.sum())} "
            "mRNAs with weights "
            f"identical to 1e-6; modules from it: {len(mods)}, mean best-match Jaccard to the R modules "
            f"{match['jaccard'].mean():.3f}"
        )


if __name__ == "__main__":
    main()
