"""MICA on three real data sets, evaluated: the module table of docs/method_choices.md.

Runs MICA (defaults, or the settings given with --param) and the evaluation on:

* ``stategra_gbm``: Stategra TCGA GBM (169 tumours), all miRTarBase evidence, miFam families;
* ``cancersubtypes_gbm``: CancerSubtypes TCGA GBM (100 patients), all miRTarBase evidence, miFam;
* ``sponge_brca``: SPONGE's TCGA BRCA set (191 tumours, Ensembl ids), run seed 1, TargetScan
  families; needs ``--gene-map`` (a table with a ``symbol`` column and an Ensembl column, e.g.
  HGNC's complete set from ``mirmodules data fetch hgnc``); left out without it.

GO BP (propagated for GBM, direct for BRCA, as in the README) and KEGG 2011 for the terms; data
read in place from ../shared/data (or MIRMODULES_SHARED_DATA). One line per set: modules, mean
sizes, family-enriched, GO/KEGG strict / lenient, mean miRNA-mRNA r, and the modules each K-means
run found before the consensus.

    python benchmarks/real_data_summary.py --gene-map ensembl_symbol.tsv
    python benchmarks/real_data_summary.py --sets stategra_gbm --param refine_alpha=0.05
"""

from __future__ import annotations

import argparse
import ast
import os
import warnings
from pathlib import Path

import pandas as pd

from mirmodules import MicaConfig, evaluate_modules, run_from_files
from mirmodules.evaluation.survival import read_clinical
from mirmodules.inputs.annotations import read_families, read_gene_sets
from mirmodules.inputs.identifiers import load_mirbase_tables

DATA = Path(os.environ.get("MIRMODULES_SHARED_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))
MIRBASE = ["mirbase/mature_v22_hsa.tsv.gz", "mirbase/precursor_to_mature_v18_hsa_with_family.tsv.gz"]
#: name -> (folder, file prefix, miRBase tables, families, GO file, run seed)
SETS = {
    "stategra_gbm": ("stategra_gbm_verhaak", "GBM", MIRBASE, "mirbase/mature_family_hsa.tsv.gz",
                     "GO_BP_propagated_symbol.gmt.gz", 0),
    "cancersubtypes_gbm": ("cancersubtypes_gbm", "GBM", MIRBASE, "mirbase/mature_family_hsa.tsv.gz",
                           "GO_BP_propagated_symbol.gmt.gz", 0),
    "sponge_brca": ("sponge_brca_191", "BRCA", MIRBASE[:1], "targetscan_families/miR_Family_Info.tsv.gz",
                    "GO_BP_direct_symbol.gmt.gz", 1),
}


def prepare_set(name: str, *, gene_map: str | None = None, predicted_paths=(), config=None):
    """The prepared inputs of a real set (all miRTarBase evidence, the set's miRBase tables)."""
    from mirmodules.inputs.prepared import prepare_from_files

    folder, prefix, mirbase, *_ = SETS[name]
    base = DATA / folder
    prepared, _, _ = prepare_from_files(
        base / f"{prefix}_mirna_expression.tsv.gz", base / f"{prefix}_mrna_expression.tsv.gz",
        DATA / "mirtarbase_hsa" / "hsa_MTI_full.tsv.gz", mirbase_paths=[DATA / p for p in mirbase],
        gene_map_path=gene_map, config=config or MicaConfig(), predicted_paths=predicted_paths)
    return prepared


def set_families(families_file: str, mirbase: list[str]):
    """A set's miRNA families, their names mapped with the set's miRBase tables."""
    return read_families(DATA / families_file, name_map=load_mirbase_tables([DATA / p for p in mirbase]))


def gbm_set_arguments(parser: argparse.ArgumentParser, *, seeds: list[int]) -> None:
    """``--sets`` (the real sets that need no gene map) and ``--seeds`` of the real-data benchmarks."""
    parser.add_argument("--sets", nargs="+", default=["cancersubtypes_gbm", "stategra_gbm"],
                        choices=[s for s in SETS if s != "sponge_brca"])
    parser.add_argument("--seeds", type=int, nargs="+", default=seeds)


def start_real_data_benchmark() -> None:
    """Stop when the shared data folder is absent; one torch thread; library warnings quiet."""
    if not DATA.exists():
        raise SystemExit(f"shared data folder not found: {DATA}")
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")


def by_confidence(per_module: pd.DataFrame, column: str) -> str:
    """``column`` averaged over the modules of confidence 1 and over the others, with counts."""
    full = per_module["confidence"] >= 1.0 - 1e-9
    return (f"confidence 1: {per_module.loc[full, column].mean():.3f} over {int(full.sum())} modules; "
            f"below 1: {per_module.loc[~full, column].mean():.3f} over {int((~full).sum())}")


def seed_stability_by_module(runs) -> list[tuple[object, pd.Series]]:
    """Each run with modules as the reference in turn: (the run, the mean best-match Jaccard of each
    of its modules in the other runs, indexed by module id)."""
    from mirmodules import best_match_jaccard

    out = []
    for i, run in enumerate(runs):
        if run.n_modules == 0:
            continue
        others = [best_match_jaccard(run, o).set_index("module_id")["jaccard"]
                  for j, o in enumerate(runs) if j != i]
        out.append((run, pd.concat(others, axis=1).mean(axis=1)))
    return out


def parameter(text: str) -> tuple[str, object]:
    name, _, value = text.partition("=")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--gene-map", default=None, help="Ensembl-to-symbol table for sponge_brca")
    parser.add_argument("--param", action="append", type=parameter, default=[],
                        help="a MicaConfig setting, NAME=VALUE (repeatable), e.g. refine_alpha=0.05")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"shared data folder not found: {DATA}")
    warnings.simplefilter("ignore")
    settings = dict(args.param)
    print(f"settings: {settings or 'defaults'}")
    for name in args.sets:
        folder, prefix, mirbase, families_file, go_file, seed = SETS[name]
        if name == "sponge_brca" and args.gene_map is None:
            print(f"{name}: left out (needs --gene-map)")
            continue
        base = DATA / folder
        mirbase_paths = [DATA / path for path in mirbase]
        result = run_from_files(base / f"{prefix}_mirna_expression.tsv.gz",
                                base / f"{prefix}_mrna_expression.tsv.gz",
                                DATA / "mirtarbase_hsa" / "hsa_MTI_full.tsv.gz",
                                mirbase_paths=mirbase_paths,
                                gene_map_path=args.gene_map if name == "sponge_brca" else None,
                                config=MicaConfig(**{"seed": seed, "threads": 1, **settings}))
        families = set_families(families_file, mirbase)
        gene_sets = [read_gene_sets(DATA / "genesets_go_kegg" / go_file),
                     read_gene_sets(DATA / "genesets_go_kegg" / "KEGG_2011_symbol.gmt.gz")]
        evaluation = evaluate_modules(result.modules, result.prepared, families=families,
                                      gene_sets=gene_sets,
                                      clinical=read_clinical(base / f"{prefix}_clinical.tsv.gz"))
        row = evaluation.summary().iloc[0]
        per_run = result.manifest["kmeans_consensus"]["modules_per_run"]
        print(f"{name}: {row['n_modules']} modules (K-means runs: {per_run}), mean "
              f"{row['mean_mirnas']:.1f} miRNAs / {row['mean_mrnas']:.1f} mRNAs, family-enriched "
              f"{row['n_family_enriched']}, GO/KEGG strict {row['n_term_enriched']} / lenient "
              f"{row['n_term_enriched_lenient']}, mean miRNA-mRNA r {row['mean_correlation']:.3f}",
              flush=True)


if __name__ == "__main__":
    main()
