"""Can a module be trusted? Perturbed inputs, co-membership, consensus modules and significance.

This module computes; :mod:`mirmodules.workflows.stability` runs the methods and writes files.

Stability
    ``mirmodules stability`` (:func:`mirmodules.workflows.stability.stability`) reruns a method
    over ``n_seeds`` seeds, ``n_bootstraps`` bootstrap resamples of the samples and (for MICA, whose
    convolution runs across samples) ``n_orders`` sample-order
    permutations. Each module of the reference run (the method on all data with the base seed) is
    matched in every rerun by best-match Jaccard; it *reappears* in a rerun when that Jaccard is at
    least ``match_threshold``. The method's stability score is the mean over reruns and reference
    modules of the best-match Jaccard (1 when every rerun returns the same modules).
Consensus
    :func:`mirmodules.methods.consensus.consensus_modules` (in :mod:`mirmodules.methods.consensus`,
    since ``run --consensus-seeds`` uses it too).
Significance
    :func:`module_significance`: per module, an empirical p-value of its number of inner
    interactions against degree-preserving rewirings of the interaction network (every miRNA and
    every target keeps its degree; edge swaps), and of its mean miRNA-mRNA correlation against
    expression shuffled across samples (each feature independently); BH over modules.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from mirmodules._random import derive_seed
from mirmodules._stats import benjamini_hochberg
from mirmodules._validation import check_in_range
from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.inputs.preprocessing import standardise_rows

logger = logging.getLogger(__name__)


SIGNIFICANCE_COLUMNS = [
    "module_id",
    "n_edges",
    "n_network_edges",
    "rewired_mean_network_edges",
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

    Returns :data:`SIGNIFICANCE_COLUMNS`: the module's own interactions (``n_edges``, the number
    every table gives), every validated pair among its members (``n_network_edges``, what the
    rewiring counts) and their mean under rewiring with
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
            # the module's own edges, as in module_summary.tsv; the rewiring test counts every
            # validated pair among the members (a module keeps only those that passed its filters)
            "n_edges": summary["n_edges"].astype(int).to_numpy(),
            "n_network_edges": observed_edges.astype(int),
            "rewired_mean_network_edges": null_edges.mean(axis=0),
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
