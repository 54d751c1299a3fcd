"""Do the members that a refinement rule adds carry repression in samples they were not chosen on?

On real data there is no ground truth for a module's members. This benchmark splits the samples
at random into a discovery half and a held-out half, runs MICA on the discovery half twice, with
and without a rule (default: ``--refine-own-cluster admit`` against ``test``; ``--rule
refine_alpha`` compares ``--refine-alpha 0.5`` with ``0.05``; ``--rule weak_targets``
``--refine-weak-fraction 0.25`` with the defaults), and
classifies the module interactions: *shared* (found both ways) and *added* (found only with the
rule). In the held-out half it reports, for each class, the mean miRNA-mRNA correlation, the share
negative and the share passing the one-sided 0.05 repression test, beside all validated
interactions, random miRNA-mRNA pairs of the same half and the modules' miRNA-mRNA pairs that are
not validated interactions (co-expression without a known interaction). Added interactions that
are no more negative than random pairs in held-out samples were chosen for noise; interactions no
more negative than the modules' non-interacting pairs show co-expression, not targeting.

Data sets as in ``real_data_summary.py`` (all miRTarBase evidence), plus ``negbin`` (the planted
demo-shape cohort 5, 120 samples, where the added interactions' planted status is known too). Torch
runs on one thread.

    python benchmarks/held_out_repression.py
    python benchmarks/held_out_repression.py --sets stategra_gbm --splits 3 --rule refine_alpha
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings

import numpy as np
import pandas as pd
from real_data_summary import DATA, MIRBASE, SETS

from mirmodules import MicaConfig, simulate_cohort
from mirmodules.evaluation.recovery import interaction_pairs
from mirmodules.inputs.prepared import prepare_from_files, prepare_inputs
from mirmodules.methods.join import interaction_correlations, repression_threshold
from mirmodules.methods.mica.pipeline import run_mica

#: rule -> (the settings with it, the settings without it); {} = the defaults
RULES = {"own_cluster": ({}, {"refine_own_cluster": "test"}), "refine_alpha": ({}, {"refine_alpha": 0.05}),
         "weak_targets": ({"refine_weak_fraction": 0.25}, {})}


def module_pairs(prepared, config: MicaConfig) -> tuple[set, set]:
    """The modules' interactions, and their miRNA-mRNA pairs that are not validated interactions."""
    result = run_mica(prepared, config=config)
    edges = interaction_pairs(result.modules.edges)
    validated = interaction_pairs(prepared.interactions)
    inside = {(m, g) for mirnas, mrnas in result.modules.groups().values() for m in mirnas for g in mrnas}
    return edges, inside - validated


def held_out_row(label: str, pairs: list[tuple[str, str]], mirna: pd.DataFrame, mrna: pd.DataFrame,
                 planted: set[tuple[str, str]] | None) -> dict:
    frame = pd.DataFrame(pairs, columns=["mirna", "target"])
    r = interaction_correlations(frame, mirna, mrna) if len(frame) else np.array([])
    threshold = repression_threshold(mirna.shape[1], 0.05)
    row = {"class": label, "n": len(frame), "mean_r": float(np.mean(r)) if len(r) else np.nan,
           "share_negative": float(np.mean(r < 0)) if len(r) else np.nan,
           "share_passing": float(np.mean(r < threshold)) if len(r) else np.nan}
    if planted is not None:
        row["share_planted"] = float(np.mean([p in planted for p in pairs])) if pairs else np.nan
    return row


def prepared_for(name: str, seed: int):
    """(prepared inputs on all samples, planted interactions or None)."""
    config = MicaConfig(seed=seed, threads=1)
    if name == "negbin":
        cohort = simulate_cohort(seed=seed, noise_model="negbin", false_positive_rate=0.2, missing_rate=0.3)
        planted = {(m, g) for mirnas, mrnas in cohort.truth.groups().values() for m in mirnas for g in mrnas}
        return prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=config), planted
    folder, prefix, mirbase, *_ = SETS[name]
    base = DATA / folder
    prepared, _, _ = prepare_from_files(base / f"{prefix}_mirna_expression.tsv.gz",
                                        base / f"{prefix}_mrna_expression.tsv.gz",
                                        DATA / "mirtarbase_hsa" / "hsa_MTI_full.tsv.gz",
                                        mirbase_paths=[DATA / path for path in mirbase or MIRBASE],
                                        config=config)
    return prepared, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["stategra_gbm", "cancersubtypes_gbm", "negbin"],
                        choices=["stategra_gbm", "cancersubtypes_gbm", "negbin"])
    parser.add_argument("--splits", type=int, default=2, help="random sample splits per set (seeds 0..)")
    parser.add_argument("--rule", default="own_cluster", choices=list(RULES))
    parser.add_argument("--n-random", type=int, default=5000)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rows = []
    for name in args.sets:
        prepared, planted = prepared_for(name, seed=5 if name == "negbin" else 0)
        samples = prepared.mirna.columns.to_numpy()
        for split in range(args.splits):
            rng = np.random.default_rng(split)
            order = rng.permutation(len(samples))
            discovery, held_out = samples[order[: len(samples) // 2]], samples[order[len(samples) // 2:]]
            half = dataclasses.replace(prepared, mirna=prepared.mirna[discovery],
                                       mrna=prepared.mrna[discovery])
            config = MicaConfig(seed=split, threads=1)
            with_settings, without_settings = RULES[args.rule]
            with_rule, not_validated = module_pairs(half, dataclasses.replace(config, **with_settings))
            without, _ = module_pairs(half, dataclasses.replace(config, **without_settings))
            mirna_b, mrna_b = prepared.mirna[held_out], prepared.mrna[held_out]
            random_pairs = list(zip(rng.choice(mirna_b.index.to_numpy(), args.n_random),
                                    rng.choice(mrna_b.index.to_numpy(), args.n_random), strict=True))
            validated = sorted(interaction_pairs(prepared.interactions))
            classes = (("shared", sorted(with_rule & without)), ("added", sorted(with_rule - without)),
                       ("dropped", sorted(without - with_rule)),
                       ("module pairs, not validated", sorted(not_validated)), ("all validated", validated),
                       ("random pairs", random_pairs))
            for label, pairs in classes:
                row = held_out_row(label, pairs, mirna_b, mrna_b, planted)
                rows.append({"set": name, "split": split, "held_out_samples": len(held_out), **row})
                print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1,
                                                         float_format="%.3f"), flush=True)
    table = pd.DataFrame(rows)
    print(f"\nrule: {args.rule}; mean over splits (held-out half):")
    columns = [c for c in ("n", "mean_r", "share_negative", "share_passing", "share_planted") if c in table]
    print(table.groupby(["set", "class"], sort=False)[columns].mean().round(3).to_string())


if __name__ == "__main__":
    main()
