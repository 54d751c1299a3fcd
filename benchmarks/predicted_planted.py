"""Planted recovery with and without predicted targets (``--predicted``), beside the
validated-only reachable ceiling.

Each simulated cohort carries a predicted table (``SimulatedCohort.predicted``: pairs inside the
planted modules, the planted pairs missing from the validated interactions included, plus three
times as many chance pairs, with overlapping TargetScan-like scores). MICA runs once per run seed
on the validated interactions; the same modules are then extended through the predictions
(:func:`mirmodules.methods.mica.pipeline.apply_predicted`, the step ``run --predicted`` adds).
Printed per cohort: recovery without and with predictions, the reachable ceiling of validated
interactions alone (:func:`mirmodules.reachable_members`), the mRNAs admitted only through
predictions and the share of them that are planted members of the module they joined (the
planted module that best matches it), and seed stability with and without.

    python benchmarks/predicted_planted.py --generators gaussian negbin programmes \\
        --shapes demo small big --seeds 40 41 42
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from trust_planted import SHAPES, seed_stability

from mirmodules import MicaConfig, reachable_members, recovery_scores, simulate_cohort
from mirmodules.inputs.io import PredictedTable
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.mica.pipeline import apply_predicted, run_mica


def predicted_only_precision(found, truth) -> tuple[int, float]:
    """mRNAs reached only through predicted edges, and the share of them that belong to the
    planted module best matching (Jaccard) the module they joined."""
    edges = found.edges
    planted = {mid: set(m) | set(g) for mid, (m, g) in truth.groups().items()}
    n, hits = 0, 0
    for mid, (mirs, genes) in found.groups().items():
        own = edges[edges["module_id"] == mid]
        only = set(own["target"]) - set(own.loc[own["evidence"] != "predicted", "target"])
        if not only:
            continue
        members = set(mirs) | set(genes)
        best = max(planted.values(), key=lambda s: len(s & members) / len(s | members))
        n += len(only)
        hits += len(only & best)
    return n, (hits / n if n else float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--generators", nargs="+", default=["gaussian", "negbin", "programmes"])
    parser.add_argument("--shapes", nargs="+", default=["demo", "small"], choices=sorted(SHAPES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[40, 41, 42], help="cohort seeds")
    parser.add_argument("--run-seeds", type=int, nargs=2, default=[1, 2])
    parser.add_argument("--false-rate", type=float, default=0.25)
    parser.add_argument("--missing-rate", type=float, default=0.3)
    parser.add_argument("--settings", default="", help="MicaConfig fields NAME=VALUE,... for the extension")
    parser.add_argument("--out", help="also write the rows as TSV")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    settings = {}
    for item in filter(None, args.settings.split(",")):
        key, value = item.split("=", 1)
        settings[key] = type(getattr(MicaConfig(), key))(value)
    rows = []
    for shape in args.shapes:
        for generator in args.generators:
            for seed in args.seeds:
                cohort = simulate_cohort(
                    seed=seed,
                    noise_model=generator,
                    false_positive_rate=args.false_rate,
                    missing_rate=args.missing_rate,
                    **SHAPES[shape],
                )
                table = cohort.predicted.assign(strength=-cohort.predicted["score"])
                predicted = PredictedTable(table, "lower", len(table), 0, 0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    prepared = prepare_inputs(
                        cohort.mirna,
                        cohort.mrna,
                        cohort.interactions,
                        config=MicaConfig(),
                        predicted=[predicted],
                    )
                reachable = float(reachable_members(cohort.truth, prepared.interactions)["ceiling"].mean())
                without, extended, recs, recs_with, seconds = [], [], [], [], 0.0
                admitted, precision = [], []
                for run_seed in args.run_seeds:
                    config = MicaConfig(seed=run_seed, threads=1, **settings)
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        base = run_mica(replace(prepared, predicted=None), config=config)
                        result = apply_predicted(replace(base, prepared=prepared), config)
                    seconds += time.perf_counter() - start
                    without.append(base.modules)
                    extended.append(result.modules)
                    recs.append(recovery_scores(cohort.truth, base.modules)["recovery"])
                    recs_with.append(recovery_scores(cohort.truth, result.modules)["recovery"])
                    n, share = predicted_only_precision(result.modules, cohort.truth)
                    admitted.append(n)
                    precision.append(share)
                rows.append(
                    {
                        "shape": shape,
                        "generator": generator,
                        "seed": seed,
                        "recovery": float(np.mean(recs)),
                        "recovery_predicted": float(np.mean(recs_with)),
                        "reachable_validated": reachable,
                        "admitted_only_by_prediction": float(np.mean(admitted)),
                        "planted_share": float(np.nanmean(precision))
                        if any(n for n in admitted)
                        else float("nan"),
                        "stability": seed_stability(*without),
                        "stability_predicted": seed_stability(*extended),
                        "seconds": seconds / len(args.run_seeds),
                    }
                )
                print(
                    pd.DataFrame([rows[-1]]).to_string(
                        index=False, header=len(rows) == 1, float_format="%.3f"
                    ),
                    flush=True,
                )
    frame = pd.DataFrame(rows)
    if args.out:
        frame.to_csv(args.out, sep="\t", index=False, float_format="%.4f")
    print("\nmean over cohorts (min in brackets for recovery with predictions):")
    summary = frame.groupby(["shape", "generator"], sort=False).agg(
        recovery=("recovery", "mean"),
        recovery_predicted=("recovery_predicted", "mean"),
        min_recovery_predicted=("recovery_predicted", "min"),
        reachable_validated=("reachable_validated", "mean"),
        admitted=("admitted_only_by_prediction", "mean"),
        planted_share=("planted_share", "mean"),
        stability=("stability", "mean"),
        stability_predicted=("stability_predicted", "mean"),
    )
    print(summary.round(3).to_string())
    below = frame[frame["reachable_validated"] <= 0.95]
    print(
        f"\nall cohorts: recovery {frame['recovery'].mean():.3f} -> {frame['recovery_predicted'].mean():.3f} "
        f"(lowest {frame['recovery_predicted'].min():.3f}); validated-only ceiling "
        f"{frame['reachable_validated'].mean():.3f}; cohorts with a ceiling <= 0.95: {len(below)}, their "
        f"recovery with predictions {below['recovery_predicted'].mean():.3f} (lowest "
        f"{below['recovery_predicted'].min() if len(below) else float('nan'):.3f}); admitted only by "
        f"prediction {frame['admitted_only_by_prediction'].sum():.0f} mRNAs, planted share "
        f"{np.nanmean(frame['planted_share']):.3f}"
    )


if __name__ == "__main__":
    main()
