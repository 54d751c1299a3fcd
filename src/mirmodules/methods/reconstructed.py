"""DICORE-like and DeMine-like baselines, reconstructed from BASELINES.md (sections 2 and 3).

Neither method has public code, and DeMine's paper could not be obtained: both are
reconstructions of the published one-line descriptions (labelled "-like" everywhere). They share
one miRNA-target network: prior interactions that are significantly negatively correlated
(:func:`~mirmodules.methods._network.repressive_network`).

DICORE-like
    Collaboration scores (Jaccard of target sets for miRNAs, of regulator sets for mRNAs) form
    groups ``{k} + {l : c(k, l) >= tau}`` of at least ``theta_m`` miRNAs / ``theta_g`` mRNAs; a
    (miRNA group, mRNA group) pair joined by at least one interaction is a module when the first
    ridge-regularised canonical correlation of their profiles is at least ``rho`` and a
    sample-permutation test gives p below ``p_threshold``.
DeMine-like
    A miRNA-miRNA synergy network (target-set overlap by hypergeometric test, BH q < ``q_overlap``,
    positive co-expression), clustered by graph entropy (Kenley & Cho 2011); clusters with density
    at least ``min_density`` get the targets shared by at least ``min_shared_targets`` of their
    miRNAs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from mirmodules._stats import benjamini_hochberg
from mirmodules._validation import check_in_range
from mirmodules.methods._network import repressive_network

__all__ = ["DemineParameters", "DicoreParameters", "demine_like", "dicore_like"]

logger = logging.getLogger(__name__)


def _incidence(network: pd.DataFrame, rows: str, cols: str) -> tuple[list[str], list[str], sparse.csr_matrix]:
    row_ids = sorted(network[rows].unique())
    col_ids = sorted(network[cols].unique())
    r = {k: i for i, k in enumerate(row_ids)}
    c = {k: i for i, k in enumerate(col_ids)}
    matrix = sparse.csr_matrix(
        (np.ones(len(network)), ([r[x] for x in network[rows]], [c[x] for x in network[cols]])),
        shape=(len(row_ids), len(col_ids)),
    )
    matrix.data[:] = 1.0
    return row_ids, col_ids, matrix


def _network_incidence(mirna: pd.DataFrame, mrna: pd.DataFrame, interactions: pd.DataFrame,
                       q_threshold: float) -> tuple[list[str], list[str], sparse.csr_matrix] | None:
    """miRNA ids, target ids and the miRNA x target incidence of the repressive network (None if empty)."""
    network = repressive_network(mirna, mrna, interactions, q_threshold=q_threshold)
    if network.empty:
        return None
    return _incidence(network, "mirna", "target")


def _jaccard_groups(
    ids: list[str], incidence: sparse.csr_matrix, tau: float, min_size: int
) -> list[tuple[int, ...]]:
    inter = (incidence @ incidence.T).toarray()
    size = np.asarray(incidence.sum(axis=1)).ravel()
    union = size[:, None] + size[None, :] - inter
    jac = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    groups = []
    seen = set()
    for k in range(len(ids)):
        members = tuple(int(i) for i in np.flatnonzero(jac[k] >= tau))
        members = tuple(sorted(set(members) | {k}))
        if len(members) >= min_size and members not in seen:
            seen.add(members)
            groups.append(members)
    return groups


@dataclass(frozen=True)
class DicoreParameters:
    """DICORE-like settings; theta_m, theta_g and rho as the MICA paper ran DICORE."""

    theta_m: int = 3
    theta_g: int = 5
    rho: float = 0.5
    tau: float = 0.3
    ridge: float = 0.1
    n_permutations: int = 199
    p_threshold: float = 0.05
    network_q: float = 0.05

    def validate(self) -> None:
        """Raise :class:`~mirmodules.exceptions.InputDataError` for an invalid setting."""
        check_in_range(self.theta_m, "theta_m", low=1, integer=True)
        check_in_range(self.theta_g, "theta_g", low=1, integer=True)
        check_in_range(self.rho, "rho", low=0.0, high=1.0)
        check_in_range(self.tau, "tau", low=0.0, high=1.0)
        check_in_range(self.ridge, "ridge", low=0.0)
        check_in_range(self.n_permutations, "n_permutations", low=1, integer=True)
        check_in_range(self.p_threshold, "p_threshold", low=0.0, high=1.0)
        check_in_range(self.network_q, "network_q", low=0.0, high=1.0)


def _whitener(values: np.ndarray, ridge: float) -> np.ndarray:
    """(S + ridge I)^(-1/2) of the columns' covariance (values: samples x variables, centred)."""
    cov = values.T @ values / len(values)
    evals, evecs = np.linalg.eigh(cov + ridge * np.eye(cov.shape[0]))
    return (evecs / np.sqrt(np.maximum(evals, 1e-12))) @ evecs.T


def first_canonical_correlation(x: np.ndarray, y: np.ndarray, *, ridge: float = 0.1) -> float:
    """First ridge-regularised canonical correlation of two sample x variable blocks.

    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal(200)
    >>> x = np.c_[z + 0.1 * rng.standard_normal(200), rng.standard_normal(200)]
    >>> y = np.c_[rng.standard_normal(200), -z + 0.1 * rng.standard_normal(200)]
    >>> round(first_canonical_correlation(x, y, ridge=0.0), 2)
    0.99
    """
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    m = _whitener(x, ridge) @ (x.T @ y / len(x)) @ _whitener(y, ridge)
    return float(np.linalg.svd(m, compute_uv=False)[0])


def dicore_like(
    mirna: pd.DataFrame,
    mrna: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    parameters: DicoreParameters | None = None,
    seed: int = 0,
) -> list[tuple[list[str], list[str]]]:
    """DICORE-like modules as (miRNAs, mRNAs) groups (before the uniform size filter)."""
    params = parameters or DicoreParameters()
    params.validate()
    network = _network_incidence(mirna, mrna, interactions, params.network_q)
    if network is None:
        return []
    mir_ids, gene_ids, inc = network
    mir_groups = _jaccard_groups(mir_ids, inc, params.tau, params.theta_m)
    gene_groups = _jaccard_groups(gene_ids, inc.T.tocsr(), params.tau, params.theta_g)
    rng = np.random.default_rng(seed)
    x_all = mirna.loc[mir_ids].to_numpy(dtype=float).T
    y_all = mrna.loc[gene_ids, mirna.columns].to_numpy(dtype=float).T
    x_all = x_all - x_all.mean(axis=0)
    y_all = y_all - y_all.mean(axis=0)
    n = len(x_all)
    gene_group_of = [set(g) for g in gene_groups]
    y_white = [_whitener(y_all[:, list(g)], params.ridge) for g in gene_groups]
    perms = [rng.permutation(n) for _ in range(params.n_permutations)]
    modules, tested, passed = [], 0, 0
    for group in mir_groups:
        targets = set(np.flatnonzero(np.asarray(inc[list(group)].sum(axis=0)).ravel()))
        xa = x_all[:, list(group)]
        kx = _whitener(xa, params.ridge)
        for j, genes in enumerate(gene_group_of):
            if not targets & genes:
                continue
            tested += 1
            yb = y_all[:, list(gene_groups[j])]
            left = kx @ xa.T
            right = yb @ y_white[j]
            rho = float(np.linalg.svd(left @ right / n, compute_uv=False)[0])
            if rho < params.rho:
                continue
            exceed = sum(float(np.linalg.svd(left @ right[p] / n, compute_uv=False)[0]) >= rho for p in perms)
            p_value = (1 + exceed) / (1 + params.n_permutations)
            if p_value < params.p_threshold:
                passed += 1
                modules.append(([mir_ids[i] for i in group], [gene_ids[i] for i in gene_groups[j]]))
    logger.info(
        "DICORE-like: %d miRNA groups, %d mRNA groups, %d linked pairs tested, %d kept",
        len(mir_groups),
        len(gene_groups),
        tested,
        passed,
    )
    return modules


@dataclass(frozen=True)
class DemineParameters:
    """DeMine-like settings (all reconstructed choices)."""

    q_overlap: float = 0.05
    require_coexpression: bool = True
    min_density: float = 0.5
    min_shared_targets: int = 2
    network_q: float = 0.05

    def validate(self) -> None:
        """Raise :class:`~mirmodules.exceptions.InputDataError` for an invalid setting."""
        check_in_range(self.q_overlap, "q_overlap", low=0.0, high=1.0)
        check_in_range(self.min_density, "min_density", low=0.0, high=1.0)
        check_in_range(self.min_shared_targets, "min_shared_targets", low=1, integer=True)
        check_in_range(self.network_q, "network_q", low=0.0, high=1.0)


def _entropy(neighbours: list[set[int]], cluster: set[int]) -> float:
    """Graph entropy of ``cluster``: sum over vertices touching it of the binary entropy of the
    share of their neighbours inside the cluster."""
    touched = set(cluster)
    for v in cluster:
        touched |= neighbours[v]
    total = 0.0
    for v in touched:
        deg = len(neighbours[v])
        if deg == 0:
            continue
        p = len(neighbours[v] & cluster) / deg
        if 0 < p < 1:
            total -= p * np.log2(p) + (1 - p) * np.log2(1 - p)
    return total


def entropy_clusters(neighbours: list[set[int]]) -> list[set[int]]:
    """Graph-entropy clustering (Kenley & Cho 2011) of an unweighted graph given as neighbour sets.

    >>> g = [{1, 2}, {0, 2}, {0, 1, 3}, {2, 4, 5}, {3, 5}, {3, 4}]  # two triangles joined by 2-3
    >>> sorted(sorted(c) for c in entropy_clusters(g))
    [[0, 1, 2], [3, 4, 5]]
    """
    n = len(neighbours)
    clustered = np.zeros(n, dtype=bool)
    degree = np.array([len(s) for s in neighbours])
    clusters = []
    while True:
        free = np.flatnonzero(~clustered & (degree > 0))
        if not len(free):
            break
        seed = int(free[np.argmax(degree[free])])
        cluster = {seed} | neighbours[seed]
        energy = _entropy(neighbours, cluster)
        for v in sorted(neighbours[seed]):
            trial = cluster - {v}
            e = _entropy(neighbours, trial)
            if e < energy:
                cluster, energy = trial, e
        changed = True
        while changed:
            changed = False
            boundary = sorted(set().union(*(neighbours[v] for v in cluster)) - cluster)
            for v in boundary:
                trial = cluster | {v}
                e = _entropy(neighbours, trial)
                if e < energy:
                    cluster, energy, changed = trial, e, True
        clustered[list(cluster)] = True
        clustered[seed] = True
        clusters.append(cluster)
    return clusters


def demine_like(
    mirna: pd.DataFrame,
    mrna: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    parameters: DemineParameters | None = None,
) -> list[tuple[list[str], list[str]]]:
    """DeMine-like modules as (miRNAs, mRNAs) groups (before the uniform size filter)."""
    params = parameters or DemineParameters()
    params.validate()
    network = _network_incidence(mirna, mrna, interactions, params.network_q)
    if network is None:
        return []
    mir_ids, gene_ids, inc = network
    overlap = (inc @ inc.T).toarray()
    size = np.asarray(inc.sum(axis=1)).ravel()
    iu = np.triu_indices(len(mir_ids), 1)
    p = stats.hypergeom.sf(overlap[iu] - 1, len(mrna), size[iu[0]], size[iu[1]])
    p[overlap[iu] == 0] = 1.0
    q = benjamini_hochberg(p)
    keep = q < params.q_overlap
    if params.require_coexpression:
        corr = np.corrcoef(mirna.loc[mir_ids].to_numpy(dtype=float))
        keep &= corr[iu] > 0
    neighbours: list[set[int]] = [set() for _ in mir_ids]
    for a, b in zip(iu[0][keep], iu[1][keep], strict=True):
        neighbours[a].add(int(b))
        neighbours[b].add(int(a))
    clusters = entropy_clusters(neighbours)
    modules = []
    for cluster in clusters:
        members = sorted(cluster)
        edges = sum(len(neighbours[v] & cluster) for v in cluster) / 2
        density = 2 * edges / (len(members) * (len(members) - 1)) if len(members) > 1 else 0.0
        if len(members) < 2 or density < params.min_density:
            continue
        shared = np.asarray(inc[members].sum(axis=0)).ravel() >= params.min_shared_targets
        modules.append(([mir_ids[i] for i in members], [gene_ids[j] for j in np.flatnonzero(shared)]))
    logger.info(
        "DeMine-like: %d synergy edges among %d miRNAs, %d entropy clusters, %d modules",
        int(keep.sum()),
        len(mir_ids),
        len(clusters),
        len(modules),
    )
    return modules
