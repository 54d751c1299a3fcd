"""Stage 3: modules from (miRNA cluster, mRNA cluster) pairs joined by interactions.

For every pair (miRNA cluster A, mRNA cluster B) the validated interactions with the miRNA in A and
the target in B form a bipartite graph (paper Algorithm 1). With ``combine="maxedge"`` (default)
its connected component with the most edges is the candidate module (ties: more nodes, then the
lexicographically smallest sorted member list); ``combine="all_edges"`` keeps every node of the
pair that has an interaction. Candidates with at least ``min_mirnas`` miRNAs and ``min_mrnas``
mRNAs are kept.

miRNAs repress their targets, so a module whose targets rise with its miRNAs is not a regulatory
module. ``repression`` says how much of that is required:

* ``"any"``: nothing (the paper);
* ``"centroid"``: a candidate is kept only when the mean profile of its miRNAs and the mean
  profile of its mRNAs (scaled profiles) are negatively correlated;
* ``"edges"``: before the join, interactions whose miRNA and target are not significantly
  negatively correlated in these samples (one-sided level ``repression_alpha``, Fisher's z) are
  set aside, since an interaction that is not active here cannot bind a module; the centroid test
  applies too. ``repression_alpha=0.5`` keeps every negative correlation. The refinement
  (``refine``, :func:`refine_module`) admits features through interactions that pass a looser
  level, ``refine_alpha`` (0.5: any negative correlation), since what it admits must also follow
  the module's mean profile.

Module ids (``M001``, ``M002``, ...) are deterministic: modules are sorted by decreasing size
(miRNAs + mRNAs), then by decreasing number of edges, then by their sorted member list.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd

from mirmodules._validation import check_in_range, check_one_of
from mirmodules.datatypes import ModuleGroups, ModuleSet, _module_id, _numbered_module_set, _numbered_order
from mirmodules.exceptions import DataQualityWarning, InputDataError
from mirmodules.inputs.preprocessing import row_blocks, standardise_rows

logger = logging.getLogger(__name__)


Combine = Literal["maxedge", "all_edges", "components"]
Merge = Literal["none", "pieces"]
MERGE_CHOICES = ("none", "pieces")
#: How pieces are grouped for merging (:func:`merge_groups`).
MERGE_LINKAGE_CHOICES = ("complete", "single")


COMBINE_CHOICES = ("maxedge", "all_edges", "components")


Repression = Literal["any", "centroid", "edges"]


REPRESSION_CHOICES = ("any", "centroid", "edges")

Refine = Literal["none", "centroid", "partial"]
REFINE_CHOICES = ("none", "centroid", "partial")

OwnCluster = Literal["admit", "test"]
OWN_CLUSTER_CHOICES = ("admit", "test")

SingleMirnaCores = Literal["drop", "grow"]
SINGLE_MIRNA_CORES_CHOICES = ("drop", "grow")


def _component_key(graph: nx.Graph, nodes: set) -> tuple:
    n_edges = graph.subgraph(nodes).number_of_edges()
    return (-n_edges, -len(nodes), sorted(str(n) for n in nodes))


@dataclass(frozen=True)
class JoinedModules:
    """The modules of one join and, for each, its *core*: the module as the join found it, before
    refinement (the module itself when refinement is off).

    Attributes
    ----------
    modules
        The modules.
    cores
        Module id -> (miRNAs, mRNAs) of its core, sorted. The consensus of several K-means runs
        matches two runs' modules when their cores match, too: on real data the refined modules
        of different runs matched less often than their cores (docs/method_choices.md).
    """

    modules: ModuleSet
    cores: ModuleGroups
    #: With ``repression="edges"``: (interactions tested, interactions that passed); else None
    repression_counts: tuple[int, int] | None = None
    #: With a refinement: modules the weak-target gate was asked about and let through, one-miRNA
    #: candidates and those kept (keys of :data:`REFINEMENT_COUNT_KEYS`); else None
    refinement_counts: dict[str, int] | None = None


#: What :attr:`JoinedModules.refinement_counts` counts (summed over K-means runs in the manifest).
REFINEMENT_COUNT_KEYS = ("weak_route_modules_asked", "weak_route_modules_taken",
                         "single_mirna_candidates", "single_mirna_kept")


def modules_from_clusters(
    mirna_clusters: pd.Series, mrna_clusters: pd.Series, interactions: pd.DataFrame, **options: Any
) -> ModuleSet:
    """The modules of :func:`join_modules` (same parameters) without their cores.

    >>> import pandas as pd
    >>> inter = pd.DataFrame({"mirna": ["a", "a", "b", "b"], "target": ["x", "y", "x", "y"]})
    >>> modules_from_clusters(pd.Series({"a": 0, "b": 0}), pd.Series({"x": 0, "y": 0}), inter).groups()
    {'M001': (['a', 'b'], ['x', 'y'])}
    """
    return join_modules(mirna_clusters, mrna_clusters, interactions, **options).modules


def join_modules(
    mirna_clusters: pd.Series,
    mrna_clusters: pd.Series,
    interactions: pd.DataFrame,
    *,
    combine: Combine = "maxedge",
    min_mirnas: int = 2,
    min_mrnas: int = 2,
    repression: Repression = "any",
    repression_alpha: float = 0.05,
    mirna_profiles: pd.DataFrame | None = None,
    mrna_profiles: pd.DataFrame | None = None,
    refine: Refine = "none",
    refine_fraction: float = 0.5,
    refine_alpha: float = 0.5,
    refine_own_cluster: OwnCluster = "admit",
    standardised: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    refine_weak_fraction: float | None = None,
    refine_weak_fdr: float = 1.0,
    single_mirna_cores: SingleMirnaCores = "drop",
    merge: Merge = "none",
    merge_correlation: float = 0.8,
    merge_overlap: float = 0.5,
    merge_linkage: str = "complete",
) -> JoinedModules:
    """Build modules from cluster labels and interactions (see module docstring).

    Parameters
    ----------
    mirna_clusters, mrna_clusters
        Cluster label per feature (index: feature ids).
    interactions
        Columns ``mirna``, ``target``; rows whose ids are not clustered are ignored.
    combine
        ``"maxedge"`` or ``"all_edges"``.
    min_mirnas, min_mrnas
        Smallest module kept.
    repression
        ``"any"`` (the paper), ``"centroid"`` or ``"edges"`` (see the module docstring; the last
        two need the profiles).
    repression_alpha
        One-sided level of the per-interaction test of ``repression="edges"``.
    mirna_profiles, mrna_profiles
        Features x samples profiles (same sample columns) for the repression test.
    refine, refine_fraction
        ``"partial"`` or ``"centroid"``: complete each module with the features a clustering left
        elsewhere (:func:`refine_module`; the two differ in when a feature fits the module better
        than its own cluster); ``"none"``: the join as the paper describes it.
    refine_alpha
        With ``repression="edges"``, the one-sided level of the repression test for the
        interactions through which the refinement admits a feature (0.5, the default: any
        negative correlation). A level at or below ``repression_alpha`` uses the join's
        interactions.
    refine_own_cluster
        ``"admit"``: a feature of the module's own cluster (mRNAs; miRNAs too when they are
        clustered) needs no fit test (:func:`refine_module`, ``home``); ``"test"``: it takes the
        fit test like any other.
    standardised
        The profiles' rows standardised (:func:`standardised_profiles`), when several joins run
        on the same profiles; computed here otherwise.
    single_mirna_cores
        ``"drop"``: a cluster pair's component with one miRNA forms no module (with
        ``min_mirnas`` 2); ``"grow"``: with a refinement, it is refined like a module (its miRNA's
        profile as the miRNA side's mean; :func:`refine_module`, ``star``) and kept when it then
        has ``min_mirnas`` miRNAs: a planted module whose targets have one interaction each can
        leave every cluster with a one-miRNA component only.
    refine_weak_fraction, refine_weak_fdr
        The refinement's weak-target route (:func:`refine_module`; None: off) and the largest
        estimated share of chance admissions with which a module takes it
        (:class:`WeakTargetGate`; 0: the route off, 1: no gate).

    Returns
    -------
    JoinedModules
        The modules and each one's core (the join's module before refinement).
    """
    check_one_of(combine, "combine", COMBINE_CHOICES)
    check_one_of(repression, "repression", REPRESSION_CHOICES)
    check_one_of(refine, "refine", REFINE_CHOICES)
    check_one_of(refine_own_cluster, "refine_own_cluster", OWN_CLUSTER_CHOICES)
    check_one_of(merge, "merge", MERGE_CHOICES)
    check_one_of(single_mirna_cores, "single_mirna_cores", SINGLE_MIRNA_CORES_CHOICES)
    if (repression != "any" or refine != "none") and (mirna_profiles is None or mrna_profiles is None):
        msg = (f"repression={repression!r} / refine={refine!r} need mirna_profiles and mrna_profiles "
               "to correlate profiles.")
        raise InputDataError(msg)
    check_in_range(min_mirnas, "min_mirnas", low=1, integer=True)
    check_in_range(min_mrnas, "min_mrnas", low=1, integer=True)
    check_in_range(refine_alpha, "refine_alpha", low=0.0, high=0.5, low_inclusive=False)
    check_in_range(refine_weak_fdr, "refine_weak_fdr", low=0.0, high=1.0)
    if refine_weak_fdr == 0:
        refine_weak_fraction = None  # the gate shut for every module: the route off
    edges = interactions[["mirna", "target"]].drop_duplicates()
    edges = edges[edges["mirna"].isin(mirna_clusters.index) & edges["target"].isin(mrna_clusters.index)]
    all_edges = edges
    needs_z = repression == "edges" or refine != "none"
    if mirna_profiles is not None and mrna_profiles is not None and needs_z:
        z_mirna, z_mrna = standardised or standardised_profiles(mirna_profiles, mrna_profiles)
    linking = edges  # the interactions through which refinement admits features
    repression_counts = None
    if repression == "edges" and len(edges):
        r = _edge_correlations(edges, z_mirna, z_mrna)
        kept = edges[_repressed(r, z_mirna.shape[1], repression_alpha)]
        # the refinement's own, looser level: a feature it admits must also be close to the
        # module's mean profile and fit it, so the sign of the interaction is enough
        linking = edges[_repressed(r, z_mirna.shape[1], max(refine_alpha, repression_alpha))]
        repression_counts = (len(edges), len(kept))
        logger.info("stage 3: %d of %d interactions not negatively correlated here (r >= %.3f, "
                    "one-sided alpha %.3g), set aside", len(edges) - len(kept), len(edges),
                    repression_threshold(z_mirna.shape[1], repression_alpha), repression_alpha)
        edges = kept
    edges = edges.assign(
        a=mirna_clusters.reindex(edges["mirna"]).to_numpy(),
        b=mrna_clusters.reindex(edges["target"]).to_numpy(),
    )
    candidates: list[tuple[list[str], list[str], list[tuple[str, str]]]] = []
    homes: list[tuple[Hashable, Hashable]] = []  # each candidate's (miRNA cluster, mRNA cluster)
    stars: list[bool] = []  # a one-miRNA candidate kept only if refinement grows its miRNAs
    n_not_repressed = 0
    for home, pair in edges.groupby(["a", "b"], sort=True):
        graph = nx.Graph()
        graph.add_edges_from((("mirna", m), ("mrna", t)) for m, t in zip(pair["mirna"], pair["target"],
                                                                           strict=True))
        if combine == "maxedge":
            comps = [set(c) for c in nx.connected_components(graph)]
            groups = [min(comps, key=lambda c: _component_key(graph, c))]
        elif combine == "components":
            groups = sorted((set(c) for c in nx.connected_components(graph)),
                            key=lambda c: _component_key(graph, c))
        else:
            groups = [set(graph.nodes)]
        for nodes in groups:
            mirnas = sorted(n for kind, n in nodes if kind == "mirna")
            mrnas = sorted(n for kind, n in nodes if kind == "mrna")
            star = (single_mirna_cores == "grow" and refine != "none" and len(mirnas) == 1 < min_mirnas
                    and len(mrnas) >= max(min_mrnas, 2))
            if (len(mirnas) < min_mirnas and not star) or len(mrnas) < min_mrnas:
                continue
            if repression != "any" and centroid_correlation(
                    mirna_profiles.loc[mirnas], mrna_profiles.loc[mrnas]) >= 0:  # type: ignore[union-attr]
                n_not_repressed += 1
                continue
            sub = graph.subgraph(nodes)
            module_edges = sorted((u[1], v[1]) if u[0] == "mirna" else (v[1], u[1]) for u, v in sub.edges)
            candidates.append((mirnas, mrnas, module_edges))
            homes.append(home)
            stars.append(star)
    cores = [(a, b) for a, b, _ in candidates]
    counts = dict.fromkeys(REFINEMENT_COUNT_KEYS, 0)
    if refine != "none" and candidates:
        own = (_own_clusters(z_mirna, mirna_clusters), _own_clusters(z_mrna, mrna_clusters))
        targets_of = linking.groupby("mirna")["target"].apply(set).to_dict()
        strong_targets_of = (edges.groupby("mirna")["target"].apply(set).to_dict()  # passed the join's test
                             if refine_weak_fraction is not None else None)
        gate = None
        if refine_weak_fraction is not None and refine_weak_fdr < 1:
            gate = WeakTargetGate(all_edges.groupby("mirna")["target"].apply(set).to_dict(),
                                  repression_threshold(z_mirna.shape[1], repression_alpha), refine_weak_fdr)
        before = sum(len(a) + len(b) for a, b, _ in candidates)
        # a side that was not cut (one cluster: miRNAs with mirna_clustering="none") has no home
        # cluster to speak of, and its features keep the fit test
        admit = refine_own_cluster == "admit"
        use_home = (admit and mirna_clusters.nunique() > 1, admit and mrna_clusters.nunique() > 1)
        candidates = [refine_module(a, b, targets_of, z_mirna, z_mrna, fraction=refine_fraction, own=own,
                                    partial=refine == "partial",
                                    weak_fraction=refine_weak_fraction, strong_targets_of=strong_targets_of,
                                    weak_gate=gate, star=is_star,
                                    home=(home_a if use_home[0] else None, home_b if use_home[1] else None))
                      for (a, b, _), (home_a, home_b), is_star in zip(candidates, homes, stars, strict=True)]
        logger.info("stage 3: refinement added %d features to %d modules (refine=%s, fraction %.2f)",
                    sum(len(a) + len(b) for a, b, _ in candidates) - before, len(candidates), refine,
                    refine_fraction)
        if single_mirna_cores == "grow":
            grown = [i for i, (a, _, _) in enumerate(candidates) if not stars[i] or len(a) >= min_mirnas]
            logger.info("stage 3: %d of %d one-miRNA candidates grew to %d miRNAs or more and were kept",
                        sum(stars[i] for i in grown), sum(stars), min_mirnas)
            counts["single_mirna_candidates"] = sum(stars)
            counts["single_mirna_kept"] = sum(stars[i] for i in grown)
            candidates = [candidates[i] for i in grown]
            cores = [cores[i] for i in grown]
        if refine_weak_fraction is None:
            logger.info("stage 3: weak-target route off")
        if gate is not None and gate.decisions:
            shares = np.array(gate.decisions)
            estimated = shares[~np.isnan(shares)]
            taken = int((estimated <= refine_weak_fdr).sum())
            counts["weak_route_modules_asked"] = len(shares)
            counts["weak_route_modules_taken"] = taken
            median = float(np.median(estimated)) if len(estimated) else float("nan")
            logger.info("stage 3: weak-target route taken by %d of %d modules (estimated share of chance "
                        "admissions <= %.2f; median %.2f over the %d with an estimate): interactions %s "
                        "targets apart in these samples", taken, len(shares), refine_weak_fdr, median,
                        len(estimated), "tell" if median <= refine_weak_fdr else "do not tell")
    logger.info("stage 3: %d cluster pairs with interactions, %d modules kept%s",
                edges.groupby(["a", "b"]).ngroups if len(edges) else 0, len(candidates),
                f", {n_not_repressed} dropped as not repressed (centroid correlation >= 0)"
                if repression != "any" else "")
    if merge != "none" and len(candidates) > 1:
        if mrna_profiles is None or mirna_profiles is None:
            msg = "merge needs mirna_profiles and mrna_profiles to correlate the modules' mean profiles."
            raise InputDataError(msg)
        z_mrna_merge = z_mrna if needs_z else _standardised(mrna_profiles)
        pieces = merge_groups([(a, b) for a, b, _ in candidates], z_mrna_merge,
                              min_correlation=merge_correlation, min_overlap=merge_overlap,
                              linkage=merge_linkage)
        if len(pieces) < len(candidates):
            logger.info("stage 3: %d modules merged into %d (pieces of one programme: mRNA mean "
                        "profiles r >= %.2f, miRNA overlap >= %.2f)", len(candidates), len(pieces),
                        merge_correlation, merge_overlap)
        candidates, cores = _merged(candidates, cores, pieces)
    order = _numbered_order(candidates)
    return JoinedModules(_numbered_module_set(candidates, order),
                         {_module_id(rank, len(order)): cores[i] for rank, i in enumerate(order, start=1)},
                         repression_counts, counts if refine != "none" else None)


def merge_groups(
    modules: list[tuple[list[str], list[str]]],
    z_mrna: pd.DataFrame,
    *,
    min_correlation: float = 0.8,
    min_overlap: float = 0.5,
    linkage: str = "complete",
) -> list[list[int]]:
    """Indices of ``modules`` (miRNAs, mRNAs) that are pieces of one programme, grouped.

    Two modules are pieces of one when the mean profiles of their mRNAs (rows of the standardised
    ``z_mrna``) correlate at ``min_correlation`` or more and their miRNA sets overlap: the shared
    miRNAs are at least ``min_overlap`` of the smaller set. With ``linkage="complete"`` (default) a
    group's modules are all related two by two (complete linkage on the relation); ``"single"``
    takes the connected components, so that a chain of related modules is one group. Groups come
    in order of their first module.

    >>> import numpy as np
    >>> t = np.linspace(0, 6, 40)
    >>> z = pd.DataFrame([np.sin(t), np.sin(t) + 0.05, np.cos(t), np.cos(t) + 0.05],
    ...                  index=["g1", "g2", "h1", "h2"])
    >>> merge_groups([(["a", "b"], ["g1"]), (["a"], ["g2"]), (["a", "b"], ["h1", "h2"])], z)
    [[0, 1], [2]]
    """
    check_in_range(min_correlation, "merge_correlation", low=-1.0, high=1.0)
    check_in_range(min_overlap, "merge_overlap", low=0.0, high=1.0)
    check_one_of(linkage, "merge_linkage", MERGE_LINKAGE_CHOICES)
    n_samples = z_mrna.shape[1]
    centroids = []
    for _, mrnas in modules:
        centroid = _standardised_centroid(z_mrna, list(mrnas))
        centroids.append(np.zeros(n_samples) if centroid is None else centroid)
    profile_r = np.array(centroids) @ np.array(centroids).T / n_samples
    graph = nx.Graph()
    graph.add_nodes_from(range(len(modules)))
    mirna_sets = [set(a) for a, _ in modules]
    for i in range(len(modules)):
        for j in range(i + 1, len(modules)):
            if profile_r[i, j] < min_correlation:
                continue
            shared = len(mirna_sets[i] & mirna_sets[j])
            if shared and shared >= min_overlap * min(len(mirna_sets[i]), len(mirna_sets[j])):
                graph.add_edge(i, j)
    if linkage == "single":
        return sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda g: g[0])
    return _complete_groups(graph)


def _complete_groups(graph: nx.Graph) -> list[list[int]]:
    """Groups in which every two modules are related (complete linkage on the relation), so that a
    chain of related modules (A ~ B ~ C, A not ~ C) is not one group."""
    from scipy.cluster.hierarchy import fcluster, linkage

    nodes = sorted(graph.nodes)
    if len(nodes) < 2:
        return [[n] for n in nodes]
    distance = np.ones((len(nodes), len(nodes)))
    for i, j in graph.edges:
        distance[i, j] = distance[j, i] = 0.0
    np.fill_diagonal(distance, 0.0)
    condensed = distance[np.triu_indices(len(nodes), k=1)]
    labels = fcluster(linkage(condensed, method="complete"), t=0.5, criterion="distance")
    groups: dict[int, list[int]] = {}
    for node, label in zip(nodes, labels, strict=True):
        groups.setdefault(int(label), []).append(node)
    return sorted(groups.values(), key=lambda g: g[0])


def _merged(
    candidates: list[tuple[list[str], list[str], list[tuple[str, str]]]],
    cores: list[tuple[list[str], list[str]]],
    groups: list[list[int]],
) -> tuple[list[tuple[list[str], list[str], list[tuple[str, str]]]], list[tuple[list[str], list[str]]]]:
    """One module (and core) per group: the union of the members and of the edges."""
    merged, merged_cores = [], []
    for group in groups:
        merged.append((sorted({m for i in group for m in candidates[i][0]}),
                       sorted({g for i in group for g in candidates[i][1]}),
                       sorted({e for i in group for e in candidates[i][2]})))
        merged_cores.append((sorted({m for i in group for m in cores[i][0]}),
                             sorted({g for i in group for g in cores[i][1]})))
    return merged, merged_cores


def standardised_profiles(
    mirna_profiles: pd.DataFrame, mrna_profiles: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each row standardised (mean 0, population SD 1), as the repression test and refinement use them."""
    return _standardised(mirna_profiles), _standardised(mrna_profiles)


def _standardised(profiles: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(standardise_rows(profiles.to_numpy(dtype=float)), index=profiles.index)


def _edge_correlations(interactions: pd.DataFrame, z_mirna: pd.DataFrame, z_mrna: pd.DataFrame) -> np.ndarray:
    """Pearson r of each interaction from standardised rows (NaN when an end is absent).

    Works through blocks of about 2**22 values: one row per interaction and side at once took
    4.3 GB for the pan-cancer shape's interactions (9,000 samples); each r is the same sum.
    """
    rows_a = z_mirna.index.get_indexer(interactions["mirna"])
    rows_b = z_mrna.index.get_indexer(interactions["target"])
    za, zb = z_mirna.to_numpy(), z_mrna.to_numpy()
    sums = np.full(len(rows_a), np.nan)
    present = np.flatnonzero((rows_a >= 0) & (rows_b >= 0))
    for block in row_blocks(len(present), za.shape[1]):
        chosen = present[block]
        sums[chosen] = (za[rows_a[chosen]] * zb[rows_b[chosen]]).sum(axis=1)
    return sums / z_mirna.shape[1]


def _standardised_centroid(z: pd.DataFrame, members: list[str]) -> np.ndarray | None:
    """The members' mean profile (rows of standardised ``z``), standardised; None when constant."""
    centroid = z.loc[members].to_numpy().mean(axis=0)
    sd = centroid.std()
    if sd == 0 or not np.isfinite(sd):
        return None
    return (centroid - centroid.mean()) / sd


@dataclass(frozen=True)
class OwnClusters:
    """Each feature's own cluster: its correlation with the cluster's mean profile
    (``correlation``, NaN when unclustered), the cluster's row in ``centroids`` (``codes``, -1 when
    unclustered) and the standardised mean profiles (clusters x samples)."""

    correlation: pd.Series
    codes: np.ndarray
    centroids: np.ndarray
    #: The cluster label of each row of ``centroids``
    labels: pd.Index

    def in_cluster(self, label: Hashable) -> np.ndarray:
        """Whether each feature is in the cluster labelled ``label`` (none for an unknown label)."""
        if label not in self.labels:
            return np.zeros(len(self.codes), dtype=bool)
        return self.codes == self.labels.get_loc(label)

    def partial(self, corr: pd.Series, module_centroid: np.ndarray) -> pd.Series:
        """Each feature's partial correlation with the module's mean profile (standardised
        ``module_centroid``; ``corr``: the features' plain correlations with it) given its own
        cluster's mean profile (NaN when unclustered)."""
        r_mo = self.centroids @ module_centroid / len(module_centroid)
        known = self.codes >= 0
        r_m = np.full(len(corr), np.nan)
        r_m[known] = r_mo[self.codes[known]]
        r_o = self.correlation.to_numpy()
        denominator = np.sqrt(np.clip((1 - r_o**2) * (1 - r_m**2), 1e-12, None))
        return pd.Series((corr.to_numpy() - r_o * r_m) / denominator, index=corr.index)


def _own_clusters(z: pd.DataFrame, labels: pd.Series) -> OwnClusters:
    """Each feature's own cluster (see :class:`OwnClusters`) from standardised rows ``z``."""
    # no full-size copies (pan-cancer: 1.4 GB each): the matrix itself when every feature is
    # clustered, and each feature's centroid gathered block by block (the same products per row)
    labels = labels.reindex(z.index)
    known = labels.notna().to_numpy()
    codes = np.full(len(z), -1)
    if not known.any():
        return OwnClusters(pd.Series(np.nan, index=z.index), codes, np.zeros((0, z.shape[1])), pd.Index([]))
    values = z.to_numpy() if known.all() else z.to_numpy()[known]
    codes_known, groups = pd.factorize(labels[known])
    codes[known] = codes_known
    sums = np.zeros((len(groups), values.shape[1]))
    np.add.at(sums, codes_known, values)
    centroids = standardise_rows(sums)
    r = np.empty(len(values))
    for block in row_blocks(*values.shape):
        r[block] = np.einsum("ij,ij->i", values[block], centroids[codes_known[block]])
    out = pd.Series(np.nan, index=z.index)
    out[known] = r / values.shape[1]
    return OwnClusters(out, codes, centroids, pd.Index(groups))


@dataclass(frozen=True)
class WeakTargetGate:
    """When the refinement's weak-target route may admit into a module (``refine_weak_fdr``).

    A weak target is admitted for its interaction, not for its closeness, so the route is worth
    taking only where the interactions tell targets apart in these samples. For a module the gate
    compares two rates among its non-members: how many of the genes that have an interaction
    (``linked_to``: every interaction, before any repression test) with its miRNAs pass the
    route's expression support (weakly close to the mRNAs' mean profile, and correlated with the
    miRNAs' mean profile at ``level`` or below), and how many of the genes without one do. If
    interactions were unrelated to the support, the two rates would be equal; their ratio
    (without / with, at most 1) estimates the share of the admissions that chance alone would
    give, and the route admits only where it is at most ``max_chance``. On a planted cohort the
    estimate was 0.006-0.16 per module (median 0.05); on four real sets with all miRTarBase
    evidence 0.15-1 (median 1 on each; NaN, no estimate, for a few): there genes with an
    interaction to a module's miRNAs pass the support no more often than genes without, so weak
    targets would be co-expressed genes, not targets.

    ``decisions`` collects the estimate of every module the gate was asked about (NaN where
    none could be made); a module takes the route where it is at most ``max_chance``.
    """

    linked_to: Mapping[str, set[str]]
    level: float
    max_chance: float
    decisions: list[float] = field(default_factory=list, compare=False)

    def chance_share(self, mirnas: set[str], members: set[str], candidates: set[str],
                     z_mirna: pd.DataFrame, z_mrna: pd.DataFrame) -> float:
        """The estimated share of chance among ``candidates`` (weakly close genes) of the module
        of ``mirnas`` and ``members`` (its mRNAs); NaN when it cannot be estimated (a constant
        miRNA profile, no gene with an interaction outside the module or none without one, or no
        gene with an interaction passing the support), which holds the route shut."""
        centroid = _standardised_centroid(z_mirna, sorted(mirnas))
        if centroid is None:
            return float("nan")
        r = z_mrna.to_numpy() @ centroid / z_mrna.shape[1]
        genes = z_mrna.index
        outside = ~genes.isin(list(members))
        linked = genes.isin(list(set().union(*(self.linked_to.get(m, set()) for m in mirnas)))) & outside
        supported = genes.isin(list(candidates)) & (r <= self.level) & outside
        unlinked = outside & ~linked
        if not linked.any() or not unlinked.any():
            return float("nan")
        rate_linked = (supported & linked).sum() / linked.sum()
        rate_unlinked = (supported & unlinked).sum() / unlinked.sum()
        if rate_linked == 0:
            return float("nan")
        return float(min(1.0, rate_unlinked / rate_linked))


def refine_module(
    mirnas: list[str],
    mrnas: list[str],
    targets_of: Mapping[str, set[str]],
    z_mirna: pd.DataFrame,
    z_mrna: pd.DataFrame,
    *,
    fraction: float = 0.5,
    own: tuple[OwnClusters, OwnClusters] | None = None,
    partial: bool = False,
    home: tuple[Hashable | None, Hashable | None] = (None, None),
    weak_fraction: float | None = None,
    strong_targets_of: Mapping[str, set[str]] | None = None,
    weak_gate: WeakTargetGate | None = None,
    star: bool = False,
) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Complete a module with the features its clustering left in other clusters.

    K-means cuts every feature into exactly one cluster, and a member that the cut put elsewhere
    is lost to its module although it is regulated like the others (planted modules lose their
    noisiest members this way, and a module whose miRNAs form two components keeps one). A
    feature is *close* to the module when its correlation with the module's mean profile (mRNAs:
    the mRNA members' mean; miRNAs: the miRNA members') is at least ``fraction`` times the
    median of the members' own correlations (the *level*) and, when ``own`` gives each feature's
    own cluster (miRNAs, mRNAs; :class:`OwnClusters`), it fits the module: its correlation with
    the module's mean profile is higher than with its own cluster's (``refine="centroid"``) or,
    with ``partial=True`` (``refine="partial"``), either that or its partial correlation with the
    module's mean profile given its own cluster's mean profile reaches the level. The partial
    correlation asks whether the module explains what the feature's own cluster does not: a
    member that the cut put among genes sharing a background programme keeps the module's signal
    once that programme is removed, while a gene of a co-expression block that merely resembles
    the module loses it. A feature that the clustering put in the module's own cluster (``home``:
    the labels of the module's miRNA and mRNA clusters, None for a side that was not cut) fits it
    without these tests: the join left it out because its interactions failed the repression test
    (under-powered per interaction: at 120 samples, r -0.13 is not significant) or formed another
    component, and comparing it with its own cluster would compare the module with itself. Then,
    in this order:

    1. a miRNA joins when it is close and has interactions (``targets_of``: miRNA -> its
       targets; :func:`modules_from_clusters` passes those negatively correlated here when the
       repression test is on, ``refine_alpha``) with at least two close mRNAs
       (members or not; a module with one miRNA gains none, unless it is a ``star``: a
       one-miRNA core of the join, whose miRNA's own profile is then the one to be close to, at
       ``fraction`` of a correlation of 1);
    2. an mRNA joins when it is close and has an interaction with one of the module's miRNAs, or,
       with ``weak_fraction``, when it is close at that lower fraction and one of its
       interactions with the module's miRNAs is in ``strong_targets_of`` (those that passed the
       join's repression test) and, with ``weak_gate``, the module passes the gate
       (:class:`WeakTargetGate`: the interactions tell targets apart here).

    Returns the miRNAs, mRNAs and interactions of the completed module (sorted).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = np.linspace(0, 6, 30)
    >>> z = lambda rows: pd.DataFrame([(r - r.mean()) / r.std() for r in rows],
    ...                               index=[f"f{i}" for i in range(len(rows))])
    >>> zg = z([np.sin(t), np.sin(t) + 0.5 * np.cos(3 * t), np.sin(t) + 0.3 * t,
    ...         np.sin(t) + 0.2 * np.cos(5 * t), np.cos(t)])
    >>> zm = z([-np.sin(t), -np.sin(t) + 0.3 * np.cos(2 * t), np.cos(t)])
    >>> targets_of = {"f0": {"f0", "f1", "f4"}, "f1": {"f1", "f3"}, "f2": {"f2"}}
    >>> refine_module(["f0", "f1"], ["f0", "f1", "f2"], targets_of, zm, zg)[1]  # f3 joins, not f4
    ['f0', 'f1', 'f2', 'f3']
    """
    mirna_set, mrna_set = set(mirnas), set(mrnas)

    def close(z: pd.DataFrame, members: set[str], own_kind: OwnClusters | None,
              home_label: Hashable | None, fraction: float = fraction) -> set[str]:
        centroid = _standardised_centroid(z, sorted(members))
        if centroid is None:
            return members
        corr = pd.Series(z.to_numpy() @ centroid / z.shape[1], index=z.index)
        level = fraction * corr[sorted(members)].median()
        ok = corr >= level
        if own_kind is not None:  # an unclustered feature (NaN) is not held back
            fits = ~(corr <= own_kind.correlation)
            if partial:
                fits |= own_kind.partial(corr, centroid) >= level
            if home_label is not None:
                fits |= own_kind.in_cluster(home_label)
            ok &= fits
        return set(corr.index[ok]) | members

    close_genes = close(z_mrna, mrna_set, own[1] if own else None, home[1])
    if len(mirna_set) >= 2 or star:
        close_mirnas = close(z_mirna, mirna_set, own[0] if own else None, home[0])
        mirna_set |= {m for m, targets in targets_of.items()
                      if m in close_mirnas and len(targets & close_genes) >= 2}
    linked = set().union(*(targets_of.get(m, set()) for m in mirna_set))
    weak: set[str] = set()
    if weak_fraction is not None and strong_targets_of is not None:
        # a weak target: less close, but linked by an interaction that passes the join's own test
        weakly_close = close(z_mrna, mrna_set, own[1] if own else None, home[1], weak_fraction)
        strong = set().union(*(strong_targets_of.get(m, set()) for m in mirna_set))
        weak = strong & weakly_close
        if weak_gate is not None:
            members = mrna_set | (linked & close_genes)
            share = weak_gate.chance_share(mirna_set, members, weakly_close - members, z_mirna, z_mrna)
            weak_gate.decisions.append(share)
            if not share <= weak_gate.max_chance:  # NaN (no estimate) keeps the route shut too
                weak = set()
    mrna_set |= weak | (linked & close_genes)
    module_edges = sorted((m, g) for m in mirna_set for g in targets_of.get(m, set()) & mrna_set)
    return sorted(mirna_set), sorted(mrna_set), module_edges


def repression_threshold(n_samples: int, alpha: float) -> float:
    """Largest correlation that counts as repression: one-sided level ``alpha`` by Fisher's z.

    >>> round(repression_threshold(100, 0.05), 3), repression_threshold(100, 0.5)
    (-0.165, 0.0)
    """
    from scipy.stats import norm

    check_in_range(alpha, "repression_alpha", low=0.0, high=0.5, low_inclusive=False)
    if n_samples <= 3:
        return 0.0
    return float(np.tanh(norm.ppf(alpha) / np.sqrt(n_samples - 3)))


def repressed_interactions(
    interactions: pd.DataFrame, z_mirna: pd.DataFrame, z_mrna: pd.DataFrame, alpha: float
) -> pd.DataFrame:
    """The rows of ``interactions`` whose miRNA and target profiles (rows of the standardised
    ``z_mirna``, ``z_mrna``) are significantly negatively correlated: r below
    :func:`repression_threshold` at one-sided level ``alpha``. The test of ``repression="edges"``.

    >>> import pandas as pd
    >>> z = lambda rows: pd.DataFrame([(r - r.mean()) / r.std() for r in map(np.array, rows)],
    ...                               index=[f"f{i}" for i in range(len(rows))])
    >>> zm, zg = z([[1, 2, 3, 4, 5, 6]]), z([[6, 5, 4, 3, 2, 1], [1, 2, 3, 4, 6, 5]])
    >>> inter = pd.DataFrame({"mirna": ["f0", "f0"], "target": ["f0", "f1"]})
    >>> repressed_interactions(inter, zm, zg, 0.05)["target"].tolist()
    ['f0']
    """
    r = _edge_correlations(interactions, z_mirna, z_mrna)
    return interactions[_repressed(r, z_mirna.shape[1], alpha)]


def _repressed(r: np.ndarray, n_samples: int, alpha: float) -> np.ndarray:
    """The repression test on correlations ``r`` over ``n_samples``: r below the threshold at
    one-sided level ``alpha`` (NaN: False)."""
    return r < repression_threshold(n_samples, alpha)


def repression_background(
    counts: tuple[int, int],
    mirna_profiles: pd.DataFrame,
    mrna_profiles: pd.DataFrame,
    alpha: float,
    *,
    n_pairs: int = 2000,
    seed: int = 0,
) -> dict[str, float | int | None]:
    """How much more often the validated interactions pass the repression test than random pairs.

    Broad expression programmes correlate unrelated miRNAs and genes, so random pairs pass the
    one-sided test more often than ``alpha`` (TCGA GBM: 9.7% at 0.05); the validated interactions
    are worth joining only in as far as they pass more often than that. ``counts`` are (tested,
    passed) from :attr:`JoinedModules.repression_counts`; ``n_pairs`` random miRNA-mRNA pairs
    (seeded) give the background. Logs both shares and warns (:class:`DataQualityWarning`) when
    the validated interactions pass no more often than random pairs.

    Returns
    -------
    dict
        ``interactions_tested``, ``interactions_passing``, ``share_passing``, ``random_pairs``,
        ``random_share_passing``, ``ratio`` (None when no random pair passes).
    """
    tested, passing = counts
    rng = np.random.default_rng(seed)
    pairs = pd.DataFrame({"mirna": rng.choice(mirna_profiles.index.to_numpy(), n_pairs),
                          "target": rng.choice(mrna_profiles.index.to_numpy(), n_pairs)})
    r = interaction_correlations(pairs, mirna_profiles, mrna_profiles)
    random_share = float(np.mean(_repressed(r, mirna_profiles.shape[1], alpha)))
    share = passing / tested if tested else 0.0
    ratio = share / random_share if random_share > 0 else None
    logger.info("stage 3: %.1f%% of the %d interactions passed the repression test, %.1f%% of %d "
                "random miRNA-mRNA pairs (ratio %s)", 100 * share, tested, 100 * random_share,
                n_pairs, "undefined" if ratio is None else f"{ratio:.2f}")
    if tested and random_share < share < WEAK_REPRESSION_RATIO * random_share:
        warnings.warn(
            f"The interactions pass the repression test only {share / random_share:.2f} times as often as "
            f"random miRNA-mRNA pairs of these data ({100 * share:.1f}% of {tested} against "
            f"{100 * random_share:.1f}% of {n_pairs}): many module edges may be co-expression that random "
            "pairs share too. Prefer modules with high confidence (--min-confidence 1) and check them "
            "with the significance tests (mirmodules evaluate --significance-nulls 200) and patient "
            "resampling (mirmodules stability --n-bootstraps 5).", DataQualityWarning, stacklevel=2)
    if tested and share <= random_share:
        warnings.warn(
            f"The interactions pass the repression test no more often than random miRNA-mRNA pairs "
            f"of these data ({100 * share:.1f}% of {tested} against {100 * random_share:.1f}% of "
            f"{n_pairs}): the modules rest on co-expression that random pairs share. Check the "
            "interaction evidence (--evidence) and the samples; docs/method_choices.md, GBM.",
            DataQualityWarning, stacklevel=2)
    return {"interactions_tested": tested, "interactions_passing": passing, "share_passing": share,
            "random_pairs": n_pairs, "random_share_passing": random_share, "ratio": ratio}


#: Validated interactions passing the repression test less than this many times as often as
#: random pairs are warned about (weak evidence of repression in the data).
WEAK_REPRESSION_RATIO = 1.5


def interaction_correlations(
    interactions: pd.DataFrame, mirna_profiles: pd.DataFrame, mrna_profiles: pd.DataFrame
) -> np.ndarray:
    """Pearson correlation of each interaction's miRNA and target profiles (NaN when one is absent).

    >>> import pandas as pd
    >>> mir = pd.DataFrame([[1, 2, 3, 4]], index=["a"])
    >>> mrna = pd.DataFrame([[4, 3, 2, 1], [1, 2, 3, 5]], index=["x", "y"])
    >>> inter = pd.DataFrame({"mirna": ["a", "a", "b"], "target": ["x", "y", "x"]})
    >>> interaction_correlations(inter, mir, mrna).round(3).tolist()
    [-1.0, 0.983, nan]
    """
    # only the rows the interactions name are standardised (each row on its own: same numbers),
    # not whole matrices (pan-cancer: 20,000 x 9,000 mRNAs for a few hundred module edges)
    mirna_profiles = mirna_profiles.loc[mirna_profiles.index.isin(interactions["mirna"])]
    mrna_profiles = mrna_profiles.loc[mrna_profiles.index.isin(interactions["target"])]
    return _edge_correlations(interactions, _standardised(mirna_profiles), _standardised(mrna_profiles))


def centroid_correlation(mirna_profiles: pd.DataFrame, mrna_profiles: pd.DataFrame) -> float:
    """Pearson correlation of the mean miRNA profile with the mean mRNA profile.

    Rows are features, columns the same samples; each row is standardised first so that every
    feature weighs the same. NaN when a centroid is constant.

    >>> import pandas as pd
    >>> mir = pd.DataFrame([[1, 2, 3, 4], [2, 4, 6, 8]])
    >>> mrna = pd.DataFrame([[4, 3, 2, 1], [8, 7, 5, 1]])
    >>> round(centroid_correlation(mir, mrna), 3)
    -0.99
    """
    a = standardise_rows(mirna_profiles.to_numpy(dtype=float)).mean(axis=0)
    b = standardise_rows(mrna_profiles.to_numpy(dtype=float)).mean(axis=0)
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a @ a) * (b @ b)))
    return float(a @ b / denom) if denom > 0 else float("nan")
