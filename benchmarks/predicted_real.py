"""Do predicted targets add real members on real tumours? Held-out repression of the mRNAs that
``--predicted`` admits, against genes that pass the same expression support without any
predicted pair (the control that separates targeting from co-expressed blocks).

For each real set and prediction source (``cwcs``: TargetScan 7.x cumulative weighted context++,
conserved sites; ``sites``: TargetScan 7.1 site counts keyed by MIMAT accessions), the samples
are split at random into a discovery and a held-out half (``--splits``). MICA runs on the
discovery half (all miRTarBase evidence, the defaults); the predictions then extend its modules
(:func:`mirmodules.methods.mica.pipeline.apply_predicted`). In the held-out half, each
(module, gene) of four classes is scored by the Pearson r between the gene and the module's mean
miRNA profile: *admitted* through predictions; *control*: genes passing the same expression
support in the discovery half with no predicted pair to the module's miRNAs
(:func:`mirmodules.methods.predicted.expression_support_only`); the module's *validated*
members; and *random* genes. Printed: per class the number, mean r and share passing the
one-sided 0.05 repression test, and a one-sided Mann-Whitney test that admitted genes are more
negative than control genes. On all samples, runs with seeds 0 and 1 give the family- and
GO/KEGG-enriched modules and the seed stability with and without predictions.

    python benchmarks/predicted_real.py --sets cancersubtypes_gbm stategra_gbm sponge_brca \\
        --sources cwcs sites --splits 2 --gene-map ensembl_symbol.tsv
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings

import numpy as np
import pandas as pd
from real_data_summary import DATA, SETS, prepare_set
from scipy.stats import mannwhitneyu
from trust_planted import seed_stability

from mirmodules import MicaConfig, evaluate_modules
from mirmodules.inputs.annotations import read_families, read_gene_sets
from mirmodules.inputs.identifiers import load_mirbase_tables
from mirmodules.methods.join import _standardised_centroid, repression_threshold, standardised_profiles
from mirmodules.methods.mica.pipeline import apply_predicted, run_mica
from mirmodules.methods.predicted import expression_support_only

SOURCES = {
    "cwcs": "targetscan_predicted/targetscan7_cwcs_conserved.tsv.gz",
    "sites": "targetscan_predicted/targetscan71_sites_symbol.tsv.gz",
}


def held_out_r(pairs: pd.DataFrame, modules, mirna: pd.DataFrame, mrna: pd.DataFrame) -> np.ndarray:
    """r of each (module_id, gene) in held-out samples with the module's mean miRNA profile."""
    z_mirna, z_mrna = standardised_profiles(mirna, mrna)
    groups = modules.groups()
    out = []
    for mid, gene in zip(pairs["module_id"], pairs["gene"], strict=True):
        centre = _standardised_centroid(z_mirna, list(groups[mid][0]))
        out.append(np.nan if centre is None else float(z_mrna.loc[gene].to_numpy() @ centre / len(centre)))
    return np.asarray(out, dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    parser.add_argument("--splits", type=int, default=2)
    parser.add_argument(
        "--gene-map",
        default=None,
        help="Ensembl-to-symbol table for sponge_brca (a 'symbol' "
        "column and an Ensembl column, e.g. HGNC's complete set)",
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for name in args.sets:
        if name == "sponge_brca" and args.gene_map is None:
            print(f"{name}: left out (needs --gene-map)")
            continue
        _, _, mirbase, families_file, go_file, _ = SETS[name]
        mirbase_paths = [DATA / p for p in mirbase]
        name_map = load_mirbase_tables(mirbase_paths)
        families = read_families(DATA / families_file, name_map=name_map)
        gene_sets = [
            read_gene_sets(DATA / "genesets_go_kegg" / go_file),
            read_gene_sets(DATA / "genesets_go_kegg" / "KEGG_2011_symbol.gmt.gz"),
        ]
        prepared_by = {source: prepare_set(name, gene_map=args.gene_map if name == "sponge_brca" else None,
                                           predicted_paths=[DATA / SOURCES[source]])
                       for source in args.sources}
        first = prepared_by[args.sources[0]]
        plain = dataclasses.replace(first, predicted=None)
        # all samples: seeds 0 and 1, enrichment and stability with and without
        runs = [run_mica(plain, config=MicaConfig(seed=s, threads=1)) for s in (0, 1)]
        rows = []
        for label, modules in [("without", [r.modules for r in runs])] + [
            (
                source,
                [
                    apply_predicted(
                        dataclasses.replace(r, prepared=prepared_by[source]), MicaConfig(seed=s, threads=1)
                    ).modules
                    for s, r in enumerate(runs)
                ],
            )
            for source in args.sources
        ]:
            summary = (
                evaluate_modules(modules[0], plain, families=families, gene_sets=gene_sets).summary().iloc[0]
            )
            added = (
                int((modules[0].edges["evidence"] == "predicted").sum())
                if "evidence" in modules[0].edges
                else 0
            )
            rows.append(
                {
                    "set": name,
                    "predictions": label,
                    "modules": int(summary["n_modules"]),
                    "mean_mrnas": summary["mean_mrnas"],
                    "predicted_edges": added,
                    "family_enriched": int(summary["n_family_enriched"]),
                    "term_enriched_strict": int(summary["n_term_enriched"]),
                    "mean_r": summary["mean_correlation"],
                    "seed_stability": seed_stability(modules[0], modules[1]),
                }
            )
        print(pd.DataFrame(rows).to_string(index=False, float_format="%.3f"), flush=True)
        # held-out repression
        samples = first.mirna.columns.to_numpy()
        for source in args.sources:
            classes: dict[str, list[float]] = {"admitted": [], "control": [], "validated": [], "random": []}
            per_module, rates = [], []
            for split in range(args.splits):
                rng = np.random.default_rng(split)
                order = rng.permutation(len(samples))
                discovery, held = samples[order[: len(samples) // 2]], samples[order[len(samples) // 2 :]]
                half = dataclasses.replace(
                    prepared_by[source], mirna=first.mirna[discovery], mrna=first.mrna[discovery]
                )
                config = MicaConfig(seed=split, threads=1)
                result = run_mica(dataclasses.replace(half, predicted=None), config=config)
                extended = apply_predicted(dataclasses.replace(result, prepared=half), config)
                admitted = extended.predicted_candidates
                admitted = admitted[admitted["admitted"]][["module_id", "gene"]]
                z_mirna, z_mrna = standardised_profiles(half.mirna, half.mrna)
                control = expression_support_only(
                    result.modules,
                    half.predicted,
                    z_mirna,
                    z_mrna,
                    alpha=config.predicted_alpha,
                    fit_fraction=config.predicted_fit_fraction,
                )[["module_id", "gene"]]
                members = result.modules.members
                validated = members[members["kind"] == "mrna"].rename(columns={"feature": "gene"})[
                    ["module_id", "gene"]
                ]
                random = pd.DataFrame(
                    {
                        "module_id": validated["module_id"].to_numpy(),
                        "gene": rng.choice(first.mrna.index.to_numpy(), len(validated)),
                    }
                )
                mirna_b, mrna_b = first.mirna[held], first.mrna[held]
                for label, pairs in (
                    ("admitted", admitted),
                    ("control", control),
                    ("validated", validated),
                    ("random", random),
                ):
                    classes[label] += list(held_out_r(pairs, result.modules, mirna_b, mrna_b))
                rates.append((extended.manifest["predicted"]["admission_rate"],
                              extended.manifest["predicted"]["control_rate_without_prediction"]))
                per_module.append(
                    admitted.groupby("module_id")
                    .size()
                    .reindex(result.modules.summary()["module_id"], fill_value=0)
                    .mean()
                )
            threshold = repression_threshold(len(samples) - len(samples) // 2, 0.05)
            table = pd.DataFrame(
                [
                    {
                        "class": label,
                        "n": len(values),
                        "mean_r": np.nanmean(values) if values else np.nan,
                        "share_passing": float(np.mean(np.asarray(values) < threshold)) if values else np.nan,
                    }
                    for label, values in classes.items()
                ]
            )
            test = (
                mannwhitneyu(classes["admitted"], classes["control"], alternative="less")
                if classes["admitted"] and classes["control"]
                else None
            )
            print(
                f"\n{name} / {source}: held-out repression over {args.splits} splits (members added per "
                f"module {np.mean(per_module):.2f}); admitted more negative than control: "
                + (
                    f"Mann-Whitney U {test.statistic:.0f}, one-sided p {test.pvalue:.3g}"
                    if test
                    else "not testable"
                )
            )
            print(table.to_string(index=False, float_format="%.3f"), flush=True)
            print("admission rate of predicted candidates / pass rate of genes without a prediction "
                  "(discovery half): " + "; ".join(f"{a:.3f} / {c:.3f}" for a, c in rates), flush=True)


if __name__ == "__main__":
    main()
