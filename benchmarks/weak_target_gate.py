"""What the weak-target route's gate decides, on planted cohorts and on real sets.

For each data set and run seed, MICA runs twice, with the defaults (the route gated at
``refine_weak_fdr`` 0.2) and with the route off (``refine_weak_fdr=0``), and the script prints:
how often the gate was asked (every module of every internal K-means run), how often it let the
route through, the estimated shares of chance it saw (lowest, median), whether the two runs' modules
are identical, and on planted cohorts the recovery of each (with the reachable ceiling) and the
share of the mRNAs that the route added that are members of the matched planted module.

Real sets read ``../shared/data`` (``benchmarks/real_data_table.py``'s sets; SPONGE's needs the
Ensembl-to-symbol table of that script's ``--gene-map``); planted cohorts are given as
``generator:shape:seed`` (shapes of ``trust_planted.py``)::

    python benchmarks/weak_target_gate.py programmes:small:11 cancersubtypes_gbm stategra_gbm
    python benchmarks/weak_target_gate.py sponge_brca mirsm_brca --gene-map ensembl_symbol.tsv
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import mirmodules.methods.join as join
from mirmodules import MicaConfig, reachable_members, recovery_scores, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.registry import run_method

SHARES: list[float] = []


def _recording(refine):
    """``refine_module`` that keeps the share of chance its gate saw."""
    def wrapped(*args, **kwargs):
        out = refine(*args, **kwargs)
        gate = kwargs.get("weak_gate")
        if gate is not None and gate.decisions:
            SHARES.append(gate.decisions[-1])
        return out
    return wrapped


def _prepared(name: str, gene_map: str | None):
    if ":" not in name:
        from real_data_table import prepare

        return prepare(name, gene_map)[0], None
    from trust_planted import SHAPES

    generator, shape, seed = name.split(":")
    cohort = simulate_cohort(seed=int(seed), noise_model=generator, false_positive_rate=0.25,
                             missing_rate=0.3, **SHAPES[shape])
    return prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig()), cohort.truth


def _added_planted(truth, gated, off) -> float:
    """Share of the mRNAs the route added (in a gated module, not in its best match without the
    route) that belong to the gated module's best-matching planted module."""
    truth_groups, off_groups = truth.groups(), off.groups()
    added = planted = 0
    for _, mrnas in gated.groups().values():
        genes = set(mrnas)

        def overlap(group, genes=genes):
            return len(set(group[1]) & genes) / len(set(group[1]) | genes)
        before = max(off_groups.values(), key=overlap, default=([], []))[1]
        match = max(truth_groups.values(), key=overlap)[1]
        new = genes - set(before)
        added += len(new)
        planted += len(new & set(match))
    return planted / added if added else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", help="real set names or generator:shape:seed")
    parser.add_argument("--run-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--gene-map", default=None, help="SPONGE's Ensembl-to-symbol table")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    join.refine_module = _recording(join.refine_module)
    for name in args.sets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prepared, truth = _prepared(name, args.gene_map)
        for seed in args.run_seeds:
            SHARES.clear()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gated = run_method("mica", prepared, seed=seed).modules
                shares = np.array(SHARES)
                off = run_method("mica", prepared, seed=seed, refine_weak_fdr=0).modules
            estimated = shares[~np.isnan(shares)]
            line = (f"{name} seed {seed}: {gated.n_modules} modules; gate asked {len(shares)}, no estimate "
                    f"{len(shares) - len(estimated)}, route taken "
                    f"{int((estimated <= MicaConfig().refine_weak_fdr).sum())}; share of chance (estimated) "
                    f"lowest {estimated.min():.3f}, median {np.median(estimated):.3f}, at 1: "
                    f"{int((estimated == 1).sum())}; identical to the route off: "
                    f"{gated.groups() == off.groups()}")
            if truth is not None:
                ceiling = float(reachable_members(truth, prepared.interactions)["ceiling"].mean())
                line += (f"; recovery {recovery_scores(truth, gated)['recovery']:.3f} (route off "
                         f"{recovery_scores(truth, off)['recovery']:.3f}, ceiling {ceiling:.3f}); "
                         f"added mRNAs planted {_added_planted(truth, gated, off):.2f}")
            print(line, flush=True)


if __name__ == "__main__":
    main()
