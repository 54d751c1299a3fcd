"""Planted-module recovery *and* seed stability of MICA settings on three generators and several
shapes, with the reachable ceiling printed beside every recovery.

For each cohort (generator x shape x cohort seed x false-interaction rate) the inputs are prepared
once; each variant runs with two run seeds (``--run-seeds``). A row gives the recovery of each run
(mean best-match Jaccard of the planted modules), their mean, the reachable ceiling
(:func:`mirmodules.reachable_members`: the recovery of finding exactly the planted members that an
interaction links to their module, the most any method that needs an interaction per member can
reach), the gap to it, the seed stability (mean best-match Jaccard between the two runs' modules,
both ways) and the seconds of one run. Torch runs on one thread.

Shapes (samples x miRNAs x mRNAs, planted modules, mRNAs per module):

==========  =======================  =======  ==========
demo        120 x 100 x 2,000        6        15-40
small       160 x 120 x 1,500        6        12-45
big         250 x 200 x 5,000        8        30-90
tcga        424 x 432 x 17,000       15       15-90
==========  =======================  =======  ==========

    python benchmarks/trust_planted.py --generators gaussian negbin programmes --shapes small big \\
        --seeds 20 21 --variants default
    python benchmarks/trust_planted.py --variants default "merge=module_merge:pieces" --out rows.tsv
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from mirmodules import MicaConfig, reachable_members, recovery_scores, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.registry import run_method

SHAPES: dict[str, dict] = {
    "demo": {},
    "small": {"n_samples": 160, "n_mirnas": 120, "n_mrnas": 1500, "n_modules": 6,
              "mrnas_per_module": (12, 45)},
    "big": {"n_samples": 250, "n_mirnas": 200, "n_mrnas": 5000, "n_modules": 8,
            "mrnas_per_module": (30, 90), "mirnas_per_module": (3, 8)},
    "tcga": {"n_samples": 424, "n_mirnas": 432, "n_mrnas": 17000, "n_modules": 15,
             "mrnas_per_module": (15, 90), "mirnas_per_module": (3, 8)},
}


def parse_variant(text: str) -> tuple[str, str, dict]:
    """``name`` (the defaults), or ``name=method:key=value;key=value`` (values parsed as Python
    literals where they can be)."""
    import ast

    if "=" not in text:
        return text, "mica", {}
    name, spec = text.split("=", 1)
    method, _, rest = spec.partition(":")
    params = {}
    for item in filter(None, rest.split(";")):
        key, value = item.split("=", 1)
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return name, method or "mica", params


def seed_stability(a, b) -> float:
    """Mean best-match Jaccard between two module sets, both ways (1 = the same modules)."""
    if a.n_modules == 0 or b.n_modules == 0:
        return float(a.n_modules == b.n_modules)
    return 0.5 * (recovery_scores(a, b)["recovery"] + recovery_scores(b, a)["recovery"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=["gaussian", "negbin", "programmes"])
    parser.add_argument("--shapes", nargs="+", default=["small", "big"], choices=sorted(SHAPES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[20, 21], help="cohort seeds")
    parser.add_argument("--run-seeds", type=int, nargs=2, default=[1, 2])
    parser.add_argument("--false-rate", type=float, default=0.25)
    parser.add_argument("--missing-rate", type=float, default=0.3)
    parser.add_argument("--variants", nargs="+", default=["default"])
    parser.add_argument("--out", help="also write the rows as TSV")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    variants = [parse_variant(v) for v in args.variants]
    rows = []
    for shape in args.shapes:
        for generator in args.generators:
            for seed in args.seeds:
                cohort = simulate_cohort(seed=seed, noise_model=generator,
                                         false_positive_rate=args.false_rate,
                                         missing_rate=args.missing_rate, **SHAPES[shape])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions,
                                              config=MicaConfig())
                reachable = float(reachable_members(cohort.truth, prepared.interactions)["ceiling"].mean())
                for name, method, params in variants:
                    runs, recs, seconds = [], [], 0.0
                    for run_seed in args.run_seeds:
                        start = time.perf_counter()
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            result = run_method(method, prepared, seed=run_seed, **params)
                        seconds += time.perf_counter() - start
                        runs.append(result.modules)
                        recs.append(recovery_scores(cohort.truth, result.modules)["recovery"])
                    rows.append({
                        "shape": shape, "generator": generator, "seed": seed, "variant": name,
                        "recovery_1": recs[0], "recovery_2": recs[1], "recovery": float(np.mean(recs)),
                        "reachable": reachable, "gap": reachable - float(np.mean(recs)),
                        "stability": seed_stability(runs[0], runs[1]),
                        "n_found": runs[0].n_modules, "n_planted": cohort.truth.n_modules,
                        "seconds": seconds / len(runs),
                    })
                    print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1,
                                                             float_format="%.3f"), flush=True)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, sep="\t", index=False, float_format="%.4f")
    print("\nmean over cohorts (gap = reachable - recovery; max_gap over cohorts):")
    summary = table.groupby(["shape", "generator", "variant"], sort=False).agg(
        recovery=("recovery", "mean"), reachable=("reachable", "mean"), gap=("gap", "mean"),
        max_gap=("gap", "max"), stability=("stability", "mean"), min_stability=("stability", "min"),
        seconds=("seconds", "mean"))
    print(summary.round(3).to_string())
    print("\nby variant:")
    print(table.groupby("variant", sort=False)[["recovery", "reachable", "gap", "stability"]].agg(
        ["mean", "min", "max"]).round(3).to_string())


if __name__ == "__main__":
    main()
