"""MICA and Mirsynergy on four real sets: one table of modules, sizes, repression, family
enrichment, seed and bootstrap stability and run time.

Sets (all miRTarBase evidence, data read in place from ../shared/data or MIRMODULES_SHARED_DATA):
``cancersubtypes_gbm``, ``stategra_gbm`` and ``sponge_brca`` as in ``real_data_summary.py``
(``sponge_brca`` needs ``--gene-map``, an Ensembl-to-symbol table; left out without it), and
``mirsm_brca``: miRSM's BRCA sample data (72 tumour + 72 normal, 226 DE miRNAs / 500 DE mRNAs,
already log-scale and imputed, so read with ``transform="none"``), miRBase v22 names and
TargetScan families like ``sponge_brca``.

Per set and method (``mica`` with its defaults, ``mirsynergy``): the first seed's run gives the
modules, mean miRNAs / mRNAs, mean miRNA-mRNA r over the modules (and the least negative module)
and the family-enriched modules (q < 0.05) over the modules. Seed stability: one run per
``--seeds``, each run as the reference in turn, mean best-match Jaccard of its modules in the other
runs (pooled over the modules); a method whose runs are identical for two seeds is marked
deterministic. Bootstrap stability: ``mirmodules.workflows.stability.stability`` with
``n_bootstraps`` sample bootstraps (no seed or order reruns), the mean best-match Jaccard of the
reference modules over its bootstrap reruns, and for a method with a confidence column (MICA) the
same split by the reference modules' confidence (1 against below 1). Seconds: mean over the seed
runs of one method.

    python benchmarks/real_data_table.py --gene-map ensembl_symbol.tsv --seeds 0 1 2 3 --n-bootstraps 3
    python benchmarks/real_data_table.py --sets cancersubtypes_gbm --methods mirsynergy --seeds 0 1 \\
        --n-bootstraps 1
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from real_data_summary import (
    DATA,
    SETS,
    by_confidence,
    parameter,
    prepare_set,
    seed_stability_by_module,
    set_families,
)

from mirmodules import MicaConfig, evaluate_modules
from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.evaluation.topology import module_topology
from mirmodules.inputs.prepared import prepare_from_files
from mirmodules.methods.registry import run_method
from mirmodules.workflows.stability import stability

MIRSM = ("mirsm_brca_72pairs", "BRCA", ["mirbase/mature_v22_hsa.tsv.gz"],
         "targetscan_families/miR_Family_Info.tsv.gz")
ALL_SETS = ["cancersubtypes_gbm", "stategra_gbm", "sponge_brca", "mirsm_brca"]
METHODS = ["mica", "mirsynergy"]


def prepare(name: str, gene_map: str | None) -> tuple[PreparedInputs, object]:
    """The prepared inputs and the miRNA families of one set."""
    if name == "mirsm_brca":
        folder, prefix, mirbase, families_file = MIRSM
        base = DATA / folder
        # already log2-scale and KNN-imputed (README); auto would detect "log" too, say it outright
        prepared, _, _ = prepare_from_files(
            base / f"{prefix}_mirna_expression.tsv.gz", base / f"{prefix}_mrna_expression.tsv.gz",
            DATA / "mirtarbase_hsa" / "hsa_MTI_full.tsv.gz", mirbase_paths=[DATA / p for p in mirbase],
            config=MicaConfig(transform="none"))
    else:
        _, _, mirbase, families_file, _, _ = SETS[name]
        prepared = prepare_set(name, gene_map=gene_map if name == "sponge_brca" else None)
    return prepared, set_families(families_file, mirbase)


def seed_stability(runs: list[ModuleSet]) -> float:
    """Each run as the reference in turn: mean best-match Jaccard of its modules in the other runs."""
    values = [per_module for _, per_module in seed_stability_by_module(runs)]
    return float(pd.concat(values).mean()) if values else float("nan")


def same_modules(a: ModuleSet, b: ModuleSet) -> bool:
    return sorted(map(str, a.groups().values())) == sorted(map(str, b.groups().values()))


def measure(name: str, method: str, prepared: PreparedInputs, families: object, seeds: list[int],
            n_bootstraps: int, settings: dict | None = None) -> dict:
    config = MicaConfig(threads=1, **(settings or {}))
    runs, seconds = [], []
    deterministic = False
    for k, seed in enumerate(seeds):
        run = run_method(method, prepared, seed=seed, config=config)
        runs.append(run.modules)
        seconds.append(run.seconds)
        print(f"  {name} {method} seed {seed}: {run.modules.n_modules} modules, {run.seconds:.1f} s",
              flush=True)
        if method != "mica" and k == 1 and same_modules(runs[0], runs[1]):
            deterministic = True  # two seeds, identical modules: the others would be the same
            break
    if deterministic:
        seed_text = "1.000 (deterministic)"
    elif len(runs) > 1:
        seed_text = f"{seed_stability(runs):.3f}"
    else:
        seed_text = "n/a"
    first = runs[0]
    topo = module_topology(first, mirna_expression=prepared.mirna, mrna_expression=prepared.mrna)
    row = evaluate_modules(first, prepared, families=families).summary().iloc[0]
    n = int(row["n_modules"])
    boot, boot_seconds = float("nan"), float("nan")
    if n_bootstraps:
        start = time.perf_counter()
        result = stability(prepared, method, seed=seeds[0], n_seeds=0, n_bootstraps=n_bootstraps,
                           n_orders=0, config=config)
        boot_seconds = (time.perf_counter() - start) / (n_bootstraps + 1)
        per_run = result.per_run[result.per_run["kind"] == "bootstrap"]
        boot = float(per_run["mean_jaccard"].mean())
        print(f"  {name} {method} bootstraps: modules {per_run['n_modules'].tolist()}, Jaccard "
              f"{[round(j, 3) for j in per_run['mean_jaccard']]}, {boot_seconds:.1f} s per run",
              flush=True)
        if result.per_module["confidence"].notna().any():  # split by the reference run's own confidence
            print(f"  {name} {method} bootstrap stability by "
                  f"{by_confidence(result.per_module, 'mean_jaccard')}", flush=True)
    return {
        "set": name,
        "method": method,
        "modules": n,
        "modules per seed": "-".join(str(m) for m in sorted({r.n_modules for r in runs})),
        "miRNAs": round(float(topo["n_mirnas"].mean()), 1) if n else np.nan,
        "mRNAs": round(float(topo["n_mrnas"].mean()), 1) if n else np.nan,
        "mean r": round(float(topo["mean_correlation"].mean()), 3) if n else np.nan,
        "least neg. r": round(float(topo["mean_correlation"].max()), 3) if n else np.nan,
        "family": f"{int(row['n_family_enriched'])}/{n} ({row['n_family_enriched'] / n:.2f})" if n else "0/0",
        "seed stab.": seed_text,
        f"boot stab. ({n_bootstraps})": round(boot, 3),
        "s/run": round(float(np.mean(seconds)), 1),
        "s/boot run": round(boot_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=ALL_SETS, choices=ALL_SETS)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--n-bootstraps", type=int, default=3)
    parser.add_argument("--gene-map", default=None, help="Ensembl-to-symbol table for sponge_brca")
    parser.add_argument("--param", action="append", type=parameter, default=[],
                        help="a MicaConfig setting for every method, NAME=VALUE (repeatable)")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"shared data folder not found: {DATA}")
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent, check=False).stdout.strip()
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"date: {datetime.datetime.now().isoformat(timespec='seconds')}, commit {head or 'unknown'}")
    rows = []
    for name in args.sets:
        if name == "sponge_brca" and args.gene_map is None:
            print(f"{name}: left out (needs --gene-map)")
            continue
        prepared, families = prepare(name, args.gene_map)
        transform = prepared.preprocessing.loc[prepared.preprocessing["step"].str.contains("transform|scale"),
                                               ["modality", "detail"]]
        print(f"{name}: {prepared.mirna.shape[0]} miRNAs x {prepared.mrna.shape[0]} mRNAs x "
              f"{prepared.mirna.shape[1]} samples, {len(prepared.interactions)} interactions; "
              + "; ".join(f"{m}: {d}" for m, d in transform.itertuples(index=False)), flush=True)
        for method in args.methods:
            rows.append(measure(name, method, prepared, families, args.seeds, args.n_bootstraps,
                                dict(args.param)))
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))
    print(f"(mean r: mean miRNA-mRNA Pearson r over all pairs of a module, averaged over the modules of "
          f"seed {args.seeds[0]}'s run; family: modules with a miRNA family at q < 0.05; seed stab.: seeds "
          f"{args.seeds}, mean best-match Jaccard, each run the reference in turn; boot stab.: mean "
          f"best-match Jaccard of the reference modules over {args.n_bootstraps} bootstrap reruns; "
          f"one torch thread; numpy {np.__version__})")


if __name__ == "__main__":
    main()
