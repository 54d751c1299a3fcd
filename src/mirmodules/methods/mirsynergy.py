# SPDX-License-Identifier: GPL-2.0-only
# Port of Mirsynergy (Bioconductor, Yue Li, GPL-2); see LICENSES/README.md.
"""Mirsynergy (Li et al., Bioinformatics 2014), a port of the R package (GPL-2; see LICENSE).

Two greedy stages of ClusterONE-style growth on synergy ``w_in / (w_in + w_bd + penalty)``:

1. miRNA clusters on the synergy matrix ``S = W'W / min(s_k, s_l)`` (seeded by node strength, merged
   when their overlap score reaches ``merge_tol``, kept when ``density1 >= density1_tol``);
2. each cluster grows over mRNAs on the combined graph ``[[H, W], [W', 0]]`` (kept when
   ``density2 >= density2_tol``).

``W`` (mRNA x miRNA, weights in [0, 1]) is given, or built per mRNA by LASSO on the expression of
its candidate regulators (:func:`lasso_target_weights`). The R code's departures from the paper
(the boundary update after a removal, self-loops in a removal's weight, the removal guard of stage
2, ties to the lowest index, the density2 denominator that counts the miRNAs twice; listed in
docs/baselines.md) are reproduced when ``legacy=True`` (the default, needed for parity with the R
package's results); ``legacy=False`` uses the intended rules.

Bookkeeping is incremental: every node keeps ``a_x`` (its weight into the current module), updated
from one sparse row per move, so a move costs O(degree) rather than O(module size).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from mirmodules._validation import check_in_range
from mirmodules.exceptions import InputDataError

__all__ = ["MirsynergyModule", "MirsynergyParameters", "lasso_target_weights", "mirsynergy"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MirsynergyParameters:
    """Parameters of Mirsynergy (defaults of the R package)."""

    alpha: float = 2.0
    merge_tol: float = 0.8
    density1_tol: float = 1e-2
    density2_tol: float = 5e-3
    legacy: bool = True

    def validate(self) -> None:
        """Raise :class:`~mirmodules.exceptions.InputDataError` for an invalid parameter."""
        check_in_range(self.alpha, "alpha", low=0.0)
        check_in_range(self.merge_tol, "merge_tol", low=0.0, high=1.0)
        check_in_range(self.density1_tol, "density1_tol", low=0.0)
        check_in_range(self.density2_tol, "density2_tol", low=0.0)


@dataclass(frozen=True)
class _Grown:
    """Members after growth and the running statistics at the last accepted move."""

    members: list[int]
    w_in: float
    w_bd: float
    pen: float
    synergy: float


@dataclass(frozen=True)
class MirsynergyModule:
    """One module: members and the statistics of the R package."""

    mirnas: tuple[str, ...]
    mrnas: tuple[str, ...]
    synergy: float
    density: float
    w_in: float
    w_bd: float
    penalty: float


class _Grower:
    """Greedy synergy growth over a weighted graph with incremental ``a_x`` bookkeeping.

    The boundary is a boolean mask, so candidates are scanned in index order and ties go to the
    lowest index (R's ``which.max`` over its sorted boundary vector). ``a_x`` is the weight of ``x``
    into the current members, a member's own self-loop included (R's ``sum(W[x, v.in])``).
    """

    def __init__(self, adj: sparse.csr_matrix, alpha: float, *, legacy: bool) -> None:
        self.adj = adj.copy()
        self.adj.eliminate_zeros()  # adjacency is a non-zero weight
        self.alpha = alpha
        self.legacy = legacy
        self.strength = np.asarray(self.adj.sum(axis=1)).ravel()
        self.diag = self.adj.diagonal()
        self.degree = np.diff(self.adj.indptr)
        self.n = adj.shape[0]

    def _row(self, x: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.adj.indptr[x], self.adj.indptr[x + 1]
        return self.adj.indices[start:end], self.adj.data[start:end]

    def grow(
        self,
        members: Sequence[int],
        *,
        w_in: float,
        w_bd: float,
        pen: float,
        boundary: Sequence[int],
        movable: np.ndarray,
        mrna_limit: int | None = None,
    ) -> _Grown:
        """Grow from ``members``; ``movable`` marks nodes that may be added or removed.

        ``mrna_limit`` (stage 2): nodes below it are mRNAs. With ``legacy``, removals are then
        considered only while some mRNA is on the boundary (R tests the smallest boundary id).
        """
        inside = np.zeros(self.n, dtype=bool)
        a = np.zeros(self.n)  # weight of each node into the members, own self-loop included
        linked = np.zeros(self.n, dtype=np.int64)  # members adjacent to each node (itself included)
        for u in members:
            inside[u] = True
            idx, val = self._row(u)
            a[idx] += val
            linked[idx] += 1
        bound = np.zeros(self.n, dtype=bool)
        bound[np.asarray(boundary, dtype=np.int64)] = True
        bound &= ~inside
        size = len(members)
        syn = w_in / (w_in + w_bd + pen) if (w_in + w_bd + pen) > 0 else 0.0
        alpha = self.alpha
        while True:
            cand = np.flatnonzero(bound & movable)  # ascending: ties go to the lowest index
            best_add, add_syn = -1, -np.inf
            if len(cand):
                ax = a[cand]  # outside nodes: no self-loop counted
                bx = self.strength[cand] - ax
                num = w_in + ax
                den = num + (w_bd + bx - ax) + pen + alpha
                vals = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
                j = int(np.argmax(vals))
                best_add, add_syn = int(cand[j]), float(vals[j])
            best_rm, rm_syn = -1, -np.inf
            guard = bool(bound[:mrna_limit].any()) if (self.legacy and mrna_limit is not None) else True
            if size > 1 and guard:
                inner = np.flatnonzero(inside & movable)
                if len(inner):
                    ax = self._removal_weight(a, inner)
                    bx = self.strength[inner] - ax
                    num = w_in - ax
                    den = num + (w_bd - bx + ax) + pen - alpha
                    vals = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
                    # a node without outside neighbours stays; counted, not compared as floats
                    vals[linked[inner] == self.degree[inner]] = 0.0
                    j = int(np.argmax(vals))
                    best_rm, rm_syn = int(inner[j]), float(vals[j])
            if size == 1:
                if best_add < 0 or add_syn <= 0:
                    break
                move, new_syn, adding = best_add, add_syn, True
            elif best_add >= 0 and add_syn > rm_syn:
                move, new_syn, adding = best_add, add_syn, True
            elif best_rm >= 0:
                move, new_syn, adding = best_rm, rm_syn, False
            else:
                break
            if not new_syn > syn:
                break
            idx, val = self._row(move)
            if adding:
                a_move = float(a[move])
                b_move = float(self.strength[move]) - a_move
                w_in, w_bd, pen = w_in + a_move, w_bd + b_move - a_move, pen + alpha
                inside[move] = True
                bound[move] = False
                size += 1
                a[idx] += val
                linked[idx] += 1
                bound[idx[~inside[idx]]] = True
            else:
                a_move = float(self._removal_weight(a, np.array([move]))[0])
                b_move = float(self.strength[move]) - a_move
                w_in, w_bd, pen = w_in - a_move, w_bd - b_move + a_move, pen - alpha
                inside[move] = False
                size -= 1
                a[idx] -= val
                linked[idx] -= 1
                bound[move] = True
                on_bound = idx[bound[idx]]
                if self.legacy:
                    # R drops a neighbour (the removed node too, through its self-loop) when any
                    # member is not adjacent to it
                    bound[on_bound[linked[on_bound] < size]] = False
                else:
                    on_bound = on_bound[on_bound != move]
                    bound[on_bound[linked[on_bound] == 0]] = False
            syn = new_syn
        return _Grown(np.flatnonzero(inside).tolist(), float(w_in), float(w_bd), float(pen), float(syn))

    def _removal_weight(self, a: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """``a_x`` of members about to leave: R counts the self-loop (legacy), the intended rule does not."""
        return a[nodes] if self.legacy else a[nodes] - self.diag[nodes]


def _overlap_components(modules: list[list[int]], tol: float) -> list[list[int]]:
    """Merge modules whose overlap score ``|A & B|^2 / (|A| |B|)`` reaches ``tol`` (transitively);
    merged modules are listed in the order of their first stage-1 module."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(modules)))
    sets = [set(m) for m in modules]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            inter = len(sets[i] & sets[j])
            if inter and inter * inter / (len(sets[i]) * len(sets[j])) >= tol:
                graph.add_edge(i, j)
    components = sorted(nx.connected_components(graph), key=min)
    return [sorted(set().union(*(sets[i] for i in component))) for component in components]


def mirsynergy(
    weights: pd.DataFrame,
    gene_network: pd.DataFrame | None = None,
    *,
    parameters: MirsynergyParameters | None = None,
) -> list[MirsynergyModule]:
    """Run both Mirsynergy stages.

    Parameters
    ----------
    weights
        W: mRNAs (rows) x miRNAs (columns), values in [0, 1]. All-zero rows and columns are dropped.
    gene_network
        H as an undirected edge list: columns ``gene1``, ``gene2`` and optionally ``weight`` (1
        otherwise); self-loops are kept; genes that are not rows of ``weights`` are ignored.
        ``None``: no gene-gene edges.
    parameters
        :class:`MirsynergyParameters`.

    Returns
    -------
    list of MirsynergyModule
        In the order of the stage-1 clusters after merging.
    """
    params = parameters or MirsynergyParameters()
    params.validate()
    values = weights.to_numpy(dtype=float)
    if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
        msg = "Mirsynergy's W must hold weights in [0, 1] without missing values."
        raise InputDataError(msg)
    keep_rows = values.sum(axis=1) > 0
    keep_cols = values.sum(axis=0) > 0
    w_frame = weights.loc[keep_rows, keep_cols]
    genes, mirnas = list(w_frame.index), list(w_frame.columns)
    n_genes, n_mirnas = len(genes), len(mirnas)
    if n_mirnas < 2:
        return []
    w = sparse.csr_matrix(w_frame.to_numpy(dtype=float))
    # stage 1: synergy between miRNAs
    colsum = np.asarray(w.sum(axis=0)).ravel()
    overlap = (w.T @ w).toarray()
    synergy = overlap / np.minimum.outer(colsum, colsum)
    np.fill_diagonal(synergy, 0.0)
    grower = _Grower(sparse.csr_matrix(synergy), params.alpha, legacy=params.legacy)
    pool = np.ones(n_mirnas, dtype=bool)
    all_movable = np.ones(n_mirnas, dtype=bool)
    stage1: list[list[int]] = []
    while pool.any():
        candidates = np.flatnonzero(pool)
        seed = int(candidates[np.argmax(grower.strength[candidates])])
        neighbours, _ = grower._row(seed)
        members = grower.grow(
            [seed],
            w_in=0.0,
            w_bd=float(grower.strength[seed]),
            pen=params.alpha,
            boundary=neighbours.tolist(),
            movable=all_movable,
        ).members
        stage1.append(members)
        pool[seed] = False
        pool[members] = False
    merged = _overlap_components(stage1, params.merge_tol)
    kept = []
    for members in merged:
        if len(members) < 2:
            continue
        sub = synergy[np.ix_(members, members)]
        w_in = float(np.triu(sub, 1).sum())
        if 2 * w_in / (len(members) * (len(members) - 1)) >= params.density1_tol:
            kept.append(members)
    logger.info(
        "Mirsynergy stage 1: %d seeds grown, %d clusters after merging, %d kept by density1",
        len(stage1),
        len(merged),
        len(kept),
    )
    # stage 2: grow over mRNAs on [[H, W], [W', 0]]
    h = _gene_matrix(gene_network, genes)
    combined = sparse.bmat([[h, w], [w.T, None]], format="csr")
    combined.sum_duplicates()
    grower2 = _Grower(combined, params.alpha, legacy=params.legacy)
    movable = np.zeros(n_genes + n_mirnas, dtype=bool)
    movable[:n_genes] = True
    modules = []
    for members in kept:
        nodes = [n_genes + k for k in members]
        boundary = np.unique(np.concatenate([grower2._row(node)[0] for node in nodes]))
        grown = grower2.grow(
            nodes,
            w_in=0.0,
            w_bd=float(grower2.strength[nodes].sum()),
            pen=params.alpha * len(nodes),
            boundary=boundary.tolist(),
            movable=movable,
            mrna_limit=n_genes,
        )
        final = grown.members
        gene_idx = [i for i in final if i < n_genes]
        mir_idx = [i - n_genes for i in final if i >= n_genes]
        m, t = len(mir_idx), len(gene_idx)
        penalty = params.alpha * (m + t)
        if params.legacy:
            # R reports the running statistics of the growth (its removal counts self-loops)
            w_in, w_bd, syn = grown.w_in, grown.w_bd, grown.synergy
            card = m + t
        else:
            w_in = float(w[gene_idx][:, mir_idx].sum()) + float(
                sparse.triu(h[gene_idx][:, gene_idx], 1).sum()
            )
            strength_sum = float(grower2.strength[final].sum())
            internal = float(combined[final][:, final].sum()) - float(grower2.diag[final].sum())
            w_bd = strength_sum - internal  # self-loops stay in the boundary weight
            syn = w_in / (w_in + w_bd + penalty) if (w_in + w_bd + penalty) > 0 else 0.0
            card = t
        denominator = m * card + card * (card - 1)
        density = w_in / denominator if denominator > 0 else 0.0
        if density >= params.density2_tol:
            modules.append(
                MirsynergyModule(
                    tuple(mirnas[i] for i in mir_idx),
                    tuple(genes[i] for i in gene_idx),
                    syn,
                    density,
                    w_in,
                    w_bd,
                    penalty,
                )
            )
    logger.info("Mirsynergy stage 2: %d of %d clusters kept by density2", len(modules), len(kept))
    return modules


def _gene_matrix(gene_network: pd.DataFrame | None, genes: list[str]) -> sparse.csr_matrix:
    """Symmetric sparse H over ``genes`` from an undirected edge list (``gene1``, ``gene2``[, ``weight``]).

    Each edge counts in both directions (a pair listed twice keeps its largest weight); self-loops
    are kept on the diagonal, as in the R package's test data; genes outside ``genes`` are ignored.
    """
    n = len(genes)
    if gene_network is None or gene_network.empty:
        return sparse.csr_matrix((n, n))
    missing = [c for c in ("gene1", "gene2") if c not in gene_network]
    if missing:
        msg = f"The gene network lacks column(s) {missing}; expected gene1, gene2 and optionally weight."
        raise InputDataError(msg)
    extra = [c for c in gene_network.columns if c not in ("gene1", "gene2", "weight")]
    if extra:
        msg = (
            f"The gene network has column(s) {extra} besides gene1, gene2 and weight; a weight "
            "column must be named 'weight' (rename it, or drop the column for unit weights)."
        )
        raise InputDataError(msg)
    position = {g: i for i, g in enumerate(genes)}
    within = (gene_network["gene1"].isin(position) & gene_network["gene2"].isin(position)).to_numpy()
    edges = gene_network[within]
    if "weight" in gene_network:
        weight_all = pd.to_numeric(gene_network["weight"], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(weight_all) | (weight_all < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            msg = (
                f"The gene network's weight column must hold finite numbers >= 0; row {row + 1} "
                f"({gene_network['gene1'].iloc[row]} - {gene_network['gene2'].iloc[row]}) has "
                f"{gene_network['weight'].iloc[row]!r} ({int(bad.sum())} such row(s))."
            )
            raise InputDataError(msg)
        weight = weight_all[within]
    else:
        weight = np.ones(len(edges))
    i = edges["gene1"].map(position).to_numpy()
    j = edges["gene2"].map(position).to_numpy()
    rows, cols = np.r_[i, j[i != j]], np.r_[j, i[i != j]]
    vals = np.r_[weight, weight[i != j]]
    frame = pd.DataFrame({"r": rows, "c": cols, "w": vals}).groupby(["r", "c"], sort=False)["w"].max()
    r_idx = frame.index.get_level_values(0).to_numpy()
    c_idx = frame.index.get_level_values(1).to_numpy()
    return sparse.csr_matrix((frame.to_numpy(), (r_idx, c_idx)), shape=(n, n))


def lasso_target_weights(
    mirna_expression: pd.DataFrame,
    mrna_expression: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    lam: float = 0.1,
    interpolate_path: bool = True,
) -> pd.DataFrame:
    """W of the Mirsynergy vignette: per mRNA, LASSO on its candidate regulators' expression.

    For every mRNA with at least two candidate miRNAs (``candidates``: columns ``mirna``,
    ``target``), the mRNA's profile is regressed on the candidates' profiles with glmnet's
    semantics (predictors standardised with the population SD, intercept unpenalised, loss scaled
    by 1/(2n), coefficients returned on the original scale); the coefficients at ``lam`` are kept
    where negative, as ``min(1, |beta|)``. With ``interpolate_path`` (the vignette's
    ``coef(glmnet(x, y), s = 0.1)``), the fit runs along glmnet's default 100-value lambda path and
    the coefficients are interpolated linearly in lambda between the two path values around
    ``lam``, as glmnet does; without it, the LASSO is solved at ``lam`` exactly.

    Returns
    -------
    pandas.DataFrame
        mRNAs x miRNAs (the expression files' ids), zeros where no repressive weight was found.
    """
    from sklearn.linear_model import Lasso

    samples = [s for s in mirna_expression.columns if s in set(mrna_expression.columns)]
    z = mirna_expression[samples]
    x = mrna_expression[samples]
    n = len(samples)
    result = pd.DataFrame(0.0, index=x.index, columns=z.index)
    # candidates in the miRNA file's order: with identical (collinear) profiles, coordinate descent
    # gives the weight to the first column, as glmnet does in its column order
    position = {m: i for i, m in enumerate(z.index)}
    by_target = candidates.groupby("target")["mirna"].apply(
        lambda s: sorted({m for m in s if m in position}, key=position.__getitem__)
    )
    for target, regs in by_target.items():
        if target not in x.index or len(regs) < 2:
            continue
        pred = z.loc[regs].to_numpy(dtype=float).T
        sd = pred.std(axis=0)
        ok = sd > 0
        if ok.sum() < 2:
            continue
        regs = [r for r, keep in zip(regs, ok, strict=True) if keep]
        pred = pred[:, ok]
        sd = sd[ok]
        standard = (pred - pred.mean(axis=0)) / sd
        y = x.loc[target].to_numpy(dtype=float)
        y = y - y.mean()
        lam_max = float(np.max(np.abs(standard.T @ y)) / n)
        if lam >= lam_max:
            continue
        if interpolate_path:
            ratio = 0.01 if n < standard.shape[1] else 1e-4
            path = lam_max * np.exp(np.linspace(0.0, np.log(ratio), 100))
            right = int(np.searchsorted(-path, -lam))  # first path value <= lam
            if right >= len(path):
                beta = _lasso(Lasso, standard, y, path[-1])
            else:
                left = right - 1
                b_left = _lasso(Lasso, standard, y, path[left])
                b_right = _lasso(Lasso, standard, y, path[right])
                frac = (path[left] - lam) / (path[left] - path[right])
                beta = (1 - frac) * b_left + frac * b_right
        else:
            beta = _lasso(Lasso, standard, y, lam)
        beta = beta / sd
        weights = np.where(beta < 0, np.minimum(1.0, -beta), 0.0)
        result.loc[target, regs] = weights
    return result


def _lasso(lasso_cls: type, x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    model = lasso_cls(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000)
    model.fit(x, y)
    return model.coef_.copy()
