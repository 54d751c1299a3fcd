"""Can a module be trusted? Stability across reruns, consensus modules, and significance.

Stability
    :func:`stability` reruns a method over ``n_seeds`` seeds, ``n_bootstraps`` bootstrap resamples
    of the samples and (for MICA, whose convolution runs across samples) ``n_orders`` sample-order
    permutations. Each module of the reference run (the method on all data with the base seed) is
    matched in every rerun by best-match Jaccard; it *reappears* in a rerun when that Jaccard is at
    least ``match_threshold``. The method's stability score is the mean over reruns and reference
    modules of the best-match Jaccard (1 when every rerun returns the same modules).
Consensus
    :func:`consensus_modules`: the co-membership frequency of a miRNA-mRNA pair is the share of
    runs in which some module holds both. Pairs at frequency >= ``min_frequency`` form a bipartite
    graph; each connected component with >= 2 miRNAs and >= 2 mRNAs is a consensus module.
Significance
    :func:`module_significance`: per module, an empirical p-value of its number of inner
    interactions against degree-preserving rewirings of the interaction network (every miRNA and
    every target keeps its degree; edge swaps), and of its mean miRNA-mRNA correlation against
    expression shuffled across samples (each feature independently); BH over modules.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._random import derive_seed
from ._validation import check_in_range
from .config import MicaConfig
from .enrichment import benjamini_hochberg
from .modules import ModuleSet, best_match_jaccard, module_set_from_groups
from .pipeline import PreparedInputs
from .preprocessing import standardise_rows

__all__ = [
    "SIGNIFICANCE_COLUMNS",
    "StabilityResult",
    "consensus_modules",
    "module_significance",
    "rewire_bipartite",
    "save_stability",
    "stability",
]

logger = logging.getLogger(__name__)

SIGNIFICANCE_COLUMNS = [
    "module_id",
    "n_edges",
    "rewired_mean_edges",
    "p_rewired",
    "q_rewired",
    "mean_correlation",
    "shuffled_mean_correlation",
    "p_shuffled",
    "q_shuffled",
]


def bootstrap_prepared(prepared: PreparedInputs, rng: np.random.Generator) -> PreparedInputs:
    """The prepared inputs on a bootstrap resample of the samples (drawn with replacement).

    Repeated samples get ``#2``, ``#3`` ... suffixes so that column names stay unique.
    """
    samples = prepared.samples
    picks = rng.integers(len(samples), size=len(samples))
    counts: dict[int, int] = {}
    names = []
    for p in picks:
        counts[p] = counts.get(p, 0) + 1
        names.append(samples[p] if counts[p] == 1 else f"{samples[p]}#{counts[p]}")

    def take(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.iloc[:, picks].copy()
        out.columns = names
        return out

    return replace(prepared, mirna=take(prepared.mirna), mrna=take(prepared.mrna))


def reorder_prepared(prepared: PreparedInputs, rng: np.random.Generator) -> PreparedInputs:
    """The prepared inputs with the samples in a random order."""
    order = rng.permutation(len(prepared.samples))
    return replace(prepared, mirna=prepared.mirna.iloc[:, order], mrna=prepared.mrna.iloc[:, order])


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
    :func:`~mirmodules.baselines.registry.run_method` in every run.
    """
    from tqdm.auto import tqdm

    from .baselines.registry import run_method

    check_in_range(n_seeds, "n_seeds", low=0, integer=True)
    check_in_range(n_bootstraps, "n_bootstraps", low=0, integer=True)
    check_in_range(n_orders, "n_orders", low=0, integer=True)
    check_in_range(match_threshold, "match_threshold", low=0.0, high=1.0)
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
    for label, kind, data, run_seed in tqdm(jobs, desc=f"stability {method}", disable=not progress):
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
    from ._output import atomic_output

    with atomic_output(out_dir, command="stability", overwrite=overwrite) as tmp:
        return _write_stability(result, tmp, interactions, consensus_frequency, manifest)


def _write_stability(
    result: StabilityResult,
    out: Path,
    interactions: pd.DataFrame,
    consensus_frequency: float,
    manifest: dict[str, Any] | None,
) -> ModuleSet:
    from .results import write_module_tables

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
        "consensus_modules": consensus.n_modules,
        **manifest,
    }
    (out / "stability.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return consensus


def co_membership(module_sets: Sequence[ModuleSet]) -> pd.DataFrame:
    """Share of module sets in which each miRNA-mRNA pair shares a module (``mirna``, ``mrna``,
    ``frequency``); pairs never together are left out."""
    counts: dict[tuple[str, str], int] = {}
    for modules in module_sets:
        pairs: set[tuple[str, str]] = set()
        for mirs, genes in modules.groups().values():
            pairs.update((m, g) for m in mirs for g in genes)
        for pair in pairs:
            counts[pair] = counts.get(pair, 0) + 1
    n = max(1, len(module_sets))
    frame = pd.DataFrame(
        [(m, g, c / n) for (m, g), c in counts.items()], columns=["mirna", "mrna", "frequency"]
    )
    return frame.sort_values(["frequency", "mirna", "mrna"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def consensus_modules(
    module_sets: Sequence[ModuleSet],
    interactions: pd.DataFrame,
    *,
    min_frequency: float = 0.5,
    min_mirnas: int = 2,
    min_mrnas: int = 2,
) -> ModuleSet:
    """Consensus modules: components of the miRNA-mRNA pairs that share a module in at least
    ``min_frequency`` of the runs (see the module docstring)."""
    check_in_range(min_frequency, "min_frequency", low=0.0, high=1.0, low_inclusive=False)
    pairs = co_membership(module_sets)
    pairs = pairs[pairs["frequency"] >= min_frequency]
    graph = nx.Graph()
    graph.add_edges_from(
        (("mirna", m), ("mrna", g)) for m, g in zip(pairs["mirna"], pairs["mrna"], strict=True)
    )
    groups = []
    for component in nx.connected_components(graph):
        groups.append(([n for k, n in component if k == "mirna"], [n for k, n in component if k == "mrna"]))
    return module_set_from_groups(groups, interactions, min_mirnas=min_mirnas, min_mrnas=min_mrnas)


def _rewire_codes(
    mir: np.ndarray, tgt: np.ndarray, n_targets: int, rng: np.random.Generator, rounds: int
) -> np.ndarray:
    """Vectorised degree-preserving swaps on integer-coded edges; returns the new target codes."""
    tgt = tgt.copy()
    m = len(mir)
    for _ in range(rounds):
        order = rng.permutation(m)
        i, j = order[0 : m - 1 : 2], order[1:m:2]
        ok = (mir[i] != mir[j]) & (tgt[i] != tgt[j])
        present = np.sort(mir * n_targets + tgt)
        new_i = mir[i] * n_targets + tgt[j]
        new_j = mir[j] * n_targets + tgt[i]
        ok &= ~np.isin(new_i, present, assume_unique=False) & ~np.isin(new_j, present, assume_unique=False)
        # two swaps of this round must not create the same pair
        created = np.concatenate([new_i[ok], new_j[ok]])
        values, counts = np.unique(created, return_counts=True)
        clash = values[counts > 1]
        ok &= ~np.isin(new_i, clash) & ~np.isin(new_j, clash)
        swap_i, swap_j = i[ok], j[ok]
        tgt[swap_i], tgt[swap_j] = tgt[swap_j], tgt[swap_i].copy()
    return tgt


def rewire_bipartite(
    edges: pd.DataFrame, rng: np.random.Generator, *, swaps_per_edge: int = 10
) -> pd.DataFrame:
    """Degree-preserving rewiring of a bipartite miRNA-target edge list by random edge swaps.

    A swap exchanges the targets of two edges ``(a, x), (b, y) -> (a, y), (b, x)`` when neither new
    pair exists yet, so every miRNA and every target keeps its degree and no pair is duplicated.
    Swaps run in rounds of disjoint random edge pairs (``2 * swaps_per_edge`` rounds).

    >>> e = pd.DataFrame({"mirna": ["a", "a", "b", "c"], "target": ["x", "y", "x", "z"]})
    >>> r = rewire_bipartite(e, np.random.default_rng(0))
    >>> r["mirna"].value_counts().sort_index().tolist(), r["target"].value_counts().sort_index().tolist()
    ([2, 1, 1], [2, 1, 1])
    """
    mir_codes, mir_names = pd.factorize(edges["mirna"])
    tgt_codes, tgt_names = pd.factorize(edges["target"])
    if len(edges) < 2:
        return edges[["mirna", "target"]].copy()
    new = _rewire_codes(
        mir_codes.astype(np.int64), tgt_codes.astype(np.int64), len(tgt_names), rng, rounds=2 * swaps_per_edge
    )
    return pd.DataFrame({"mirna": np.asarray(mir_names)[mir_codes], "target": np.asarray(tgt_names)[new]})


def module_significance(
    modules: ModuleSet, prepared: PreparedInputs, *, n_null: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Empirical p-values of every module against the two nulls of the module docstring.

    Returns :data:`SIGNIFICANCE_COLUMNS`: inner interactions and their mean under rewiring with
    ``p_rewired = (1 + #null >= observed) / (1 + n_null)``; mean miRNA-mRNA correlation and its
    mean under shuffled expression with ``p_shuffled = (1 + #null <= observed) / (1 + n_null)``
    (repression makes it negative); BH q-values over modules.
    """
    check_in_range(n_null, "n_null", low=1, integer=True)
    summary = modules.summary()
    ids = summary["module_id"].tolist()
    if not ids:
        return pd.DataFrame(columns=SIGNIFICANCE_COLUMNS)
    members = {m: (set(mirs), set(genes)) for m, (mirs, genes) in modules.groups().items()}
    edges = prepared.interactions[["mirna", "target"]].drop_duplicates().reset_index(drop=True)

    mir_codes, mir_names = pd.factorize(edges["mirna"])
    tgt_codes, tgt_names = pd.factorize(edges["target"])
    mir_pos = {n: i for i, n in enumerate(mir_names)}
    tgt_pos = {n: i for i, n in enumerate(tgt_names)}
    # membership matrices: node x module
    in_mir = np.zeros((len(mir_names), len(ids)), dtype=bool)
    in_tgt = np.zeros((len(tgt_names), len(ids)), dtype=bool)
    for k, mid in enumerate(ids):
        in_mir[[mir_pos[x] for x in members[mid][0] if x in mir_pos], k] = True
        in_tgt[[tgt_pos[x] for x in members[mid][1] if x in tgt_pos], k] = True

    def inner_counts(targets: np.ndarray) -> np.ndarray:
        return (in_mir[mir_codes] & in_tgt[targets]).sum(axis=0).astype(float)

    observed_edges = inner_counts(tgt_codes)
    rng = np.random.default_rng(derive_seed(seed, "significance_rewire"))
    null_edges = np.array(
        [
            inner_counts(
                _rewire_codes(
                    mir_codes.astype(np.int64), tgt_codes.astype(np.int64), len(tgt_names), rng, rounds=20
                )
            )
            for _ in range(n_null)
        ]
    )
    p_rewired = (1 + (null_edges >= observed_edges).sum(axis=0)) / (1 + n_null)

    zm = pd.DataFrame(standardise_rows(prepared.mirna), index=prepared.mirna.index)
    zg = pd.DataFrame(standardise_rows(prepared.mrna), index=prepared.mrna.index)
    blocks = {
        mid: (
            zm.loc[sorted(members[mid][0] & set(zm.index))].to_numpy(),
            zg.loc[sorted(members[mid][1] & set(zg.index))].to_numpy(),
        )
        for mid in ids
    }
    n = zm.shape[1]
    observed_corr = np.array([float((a @ b.T).mean() / n) for a, b in blocks.values()])
    rng = np.random.default_rng(derive_seed(seed, "significance_shuffle"))
    null_corr = np.empty((n_null, len(ids)))
    for r in range(n_null):
        for k, (a, b) in enumerate(blocks.values()):
            shuffled = np.take_along_axis(a, rng.random(a.shape).argsort(axis=1), axis=1)
            null_corr[r, k] = float((shuffled @ b.T).mean() / n)
    p_shuffled = (1 + (null_corr <= observed_corr).sum(axis=0)) / (1 + n_null)
    table = pd.DataFrame(
        {
            "module_id": ids,
            "n_edges": observed_edges.astype(int),
            "rewired_mean_edges": null_edges.mean(axis=0),
            "p_rewired": p_rewired,
            "q_rewired": benjamini_hochberg(p_rewired),
            "mean_correlation": observed_corr,
            "shuffled_mean_correlation": null_corr.mean(axis=0),
            "p_shuffled": p_shuffled,
            "q_shuffled": benjamini_hochberg(p_shuffled),
        }
    )
    logger.info(
        "significance: %d of %d modules at q < 0.05 against rewiring, %d against shuffling",
        int((table["q_rewired"] < 0.05).sum()),
        len(ids),
        int((table["q_shuffled"] < 0.05).sum()),
    )
    return table[SIGNIFICANCE_COLUMNS]
