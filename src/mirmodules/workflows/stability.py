"""``mirmodules stability``: rerun a method over seeds, bootstraps and sample orders, and write the scores.

The computation (perturbations, co-membership, consensus, significance) is in
:mod:`mirmodules.evaluation.perturbation`; this module runs the methods and owns the files.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirmodules._random import derive_seed
from mirmodules._validation import check_in_range
from mirmodules._warnings_log import collected, held_back
from mirmodules.config import MicaConfig
from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.evaluation.perturbation import bootstrap_prepared, reorder_prepared
from mirmodules.evaluation.recovery import best_match_jaccard
from mirmodules.exceptions import InputDataError
from mirmodules.methods.consensus import RULE_DESCRIPTIONS, co_membership, consensus_modules

logger = logging.getLogger(__name__)

#: A stability score below this is warned about.
LOW_STABILITY = 0.5


@dataclass(frozen=True)
class StabilityResult:
    """Reruns of one method and how well the reference modules reappear.

    Attributes
    ----------
    method
        The method's registry name.
    reference
        Modules of the method on all data with the base seed.
    runs
        ``(label, modules)`` per rerun (``seed=3``, ``bootstrap=1``, ``order=2``).
    per_module
        Per reference module: ``reappearance`` (share of reruns with a match at or above the
        threshold), ``mean_jaccard`` and ``min_jaccard``.
    per_run
        Per rerun: kind, mean best-match Jaccard of the reference modules, modules found.
    score
        Mean best-match Jaccard over reruns and reference modules.
    """

    method: str
    reference: ModuleSet
    runs: list[tuple[str, ModuleSet]]
    per_module: pd.DataFrame
    per_run: pd.DataFrame
    score: float
    parameters: dict[str, Any] = field(default_factory=dict)


def stability(
    prepared: PreparedInputs,
    method: str = "mica",
    *,
    seed: int = 0,
    n_seeds: int = 5,
    n_bootstraps: int = 5,
    n_orders: int = 0,
    match_threshold: float = 0.5,
    config: MicaConfig | None = None,
    method_parameters: dict[str, Any] | None = None,
    progress: bool = False,
) -> StabilityResult:
    """Rerun ``method`` over seeds, bootstraps and sample orders and score how modules reappear.

    ``config`` (MICA and its ablations) and ``method_parameters`` go to
    :func:`~mirmodules.methods.registry.run_method` in every run.
    """
    from mirmodules._progress import Progress
    from mirmodules.methods.registry import run_method

    check_in_range(n_seeds, "n_seeds", low=0, integer=True)
    check_in_range(n_bootstraps, "n_bootstraps", low=0, integer=True)
    check_in_range(n_orders, "n_orders", low=0, integer=True)
    check_in_range(match_threshold, "match_threshold", low=0.0, high=1.0)
    if n_seeds + n_bootstraps + n_orders == 0:
        msg = ("Stability needs at least one rerun to compare with the reference run; give n_seeds, "
               "n_bootstraps or n_orders >= 1 (--n-seeds 5).")
        raise InputDataError(msg)
    params = dict(method_parameters or {})
    reference = run_method(method, prepared, seed=seed, config=config, **params).modules
    jobs: list[tuple[str, str, PreparedInputs, int]] = []
    for i in range(1, n_seeds + 1):
        jobs.append((f"seed={seed + i}", "seed", prepared, seed + i))
    for b in range(1, n_bootstraps + 1):
        rng = np.random.default_rng(derive_seed(seed, f"bootstrap_{b}"))
        jobs.append((f"bootstrap={b}", "bootstrap", bootstrap_prepared(prepared, rng), seed))
    for o in range(1, n_orders + 1):
        rng = np.random.default_rng(derive_seed(seed, f"order_{o}"))
        jobs.append((f"order={o}", "order", reorder_prepared(prepared, rng), seed))
    runs, run_rows, matches = [], [], []
    bar = Progress(f"stability {method}", len(jobs), "reruns", enabled=progress, logger=logger)
    for label, kind, data, run_seed in jobs:
        # the pipeline's advice on the run's modules (low confidence, large merged modules) was
        # given for the reference run; every rerun would repeat it
        with held_back(("mirmodules.methods.mica.pipeline",), logging.ERROR):
            modules = run_method(method, data, seed=run_seed, config=config, **params).modules
        table = best_match_jaccard(reference, modules)
        runs.append((label, modules))
        matches.append(table.assign(run=label))
        run_rows.append(
            {
                "run": label,
                "kind": kind,
                "seed": run_seed,
                "n_modules": modules.n_modules,
                "mean_jaccard": float(table["jaccard"].mean()) if len(table) else np.nan,
            }
        )
        bar.update(1, last=label)
    bar.close()
    per_run = pd.DataFrame(run_rows, columns=["run", "kind", "seed", "n_modules", "mean_jaccard"])
    if matches and reference.n_modules:
        allm = pd.concat(matches, ignore_index=True)
        per_module = (
            allm.groupby("module_id")
            .agg(
                reappearance=("jaccard", lambda j: float((j >= match_threshold).mean())),
                mean_jaccard=("jaccard", "mean"),
                min_jaccard=("jaccard", "min"),
            )
            .reset_index()
        )
        score = float(allm["jaccard"].mean())
    else:
        per_module = pd.DataFrame(
            {
                "module_id": reference.summary()["module_id"],
                "reappearance": np.nan,
                "mean_jaccard": np.nan,
                "min_jaccard": np.nan,
            }
        )
        score = float("nan")
    if np.isfinite(score) and score < LOW_STABILITY:
        logger.warning(
            "stability of %s is %.2f (below %.2f): reruns find different modules; trust only modules "
            "with high reappearance (per-module table) or confidence, and prefer --min-confidence.",
            method, score, LOW_STABILITY)
    # the reference run's own confidence (its internal reruns) beside the reappearance over these
    per_module["confidence"] = reference.confidence_of().reindex(per_module["module_id"]).to_numpy()
    logger.info(
        "stability of %s: score %.3f over %d reruns of %d reference modules",
        method,
        score,
        len(runs),
        reference.n_modules,
    )
    return StabilityResult(
        method=method,
        reference=reference,
        runs=runs,
        per_module=per_module,
        per_run=per_run,
        score=score,
        parameters={
            "seed": seed,
            "n_seeds": n_seeds,
            "n_bootstraps": n_bootstraps,
            "n_orders": n_orders,
            "match_threshold": match_threshold,
        },
    )


def save_stability(
    result: StabilityResult,
    out_dir: str | Path,
    *,
    interactions: pd.DataFrame,
    consensus_frequency: float = 0.5,
    manifest: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> ModuleSet:
    """Write a stability analysis and its consensus modules; return the consensus modules.

    Files: ``reference_modules.tsv``, ``stability_modules.tsv``, ``stability_runs.tsv``,
    ``co_membership.tsv``, ``stability.json`` (score, parameters and ``manifest``) and
    ``consensus/`` (module tables plus a manifest, so that ``mirmodules evaluate`` scores the
    consensus modules like any run; ``manifest`` should hold the run's ``parameters`` and ``inputs``).
    The folder is written atomically and replaced only with ``overwrite`` when mirmodules wrote it.
    """
    from mirmodules.store.atomic import atomic_output

    with atomic_output(out_dir, command="stability", overwrite=overwrite) as tmp:
        return _write_stability(result, tmp, interactions, consensus_frequency, manifest)


def _write_stability(
    result: StabilityResult,
    out: Path,
    interactions: pd.DataFrame,
    consensus_frequency: float,
    manifest: dict[str, Any] | None,
) -> ModuleSet:
    from mirmodules.store.run_folder import write_module_tables

    result.reference.members.to_csv(out / "reference_modules.tsv", sep="\t", index=False)
    result.per_module.to_csv(out / "stability_modules.tsv", sep="\t", index=False, float_format="%.6g")
    result.per_run.to_csv(out / "stability_runs.tsv", sep="\t", index=False, float_format="%.6g")
    sets = [result.reference] + [m for _, m in result.runs]
    co_membership(sets).to_csv(out / "co_membership.tsv", sep="\t", index=False, float_format="%.6g")
    consensus = consensus_modules(sets, interactions, min_frequency=consensus_frequency)
    write_module_tables(consensus, out / "consensus")
    manifest = dict(manifest or {})
    (out / "consensus" / "manifest.json").write_text(
        json.dumps({**manifest, "method": f"consensus of {result.method}"}, indent=2, default=str) + "\n",
        encoding="utf-8",
    )
    record = {
        "method": result.method,
        "score": result.score,
        **result.parameters,
        "consensus_frequency": consensus_frequency,
        "consensus_rule": "matched",  # min_frequency = consensus_frequency
        "consensus_rule_text": RULE_DESCRIPTIONS["matched"],
        "consensus_modules": consensus.n_modules,
        **manifest,
        "warnings": collected(),
    }
    (out / "stability.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return consensus
