"""Stage 2: K-means over a range of K and the elbow rule of METHOD.md (paper section 2.3).

``SSE(K)`` is the K-means inertia. With ``drop(K) = SSE(K-1) - SSE(K)``, K is a *candidate* elbow
when ``drop(K) > SSE(K) - SSE(K + d)``: the single step into K removes more error than the next
``d`` steps together (the paper's lost Eq. 3, d = 3). Among candidates the K with the largest
``drop(K) - (SSE(K) - SSE(K + d))`` wins (Eq. 4, "the largest change of SSE"). Without a candidate
the Kneedle knee (package ``kneed``) is used with a :class:`NoElbowWarning`; if Kneedle finds no knee
either, the K with the largest second difference of the curve is taken (also warned).
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirmodules._validation import check_in_range, check_one_of
from mirmodules.exceptions import InputDataError, NoElbowWarning

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KSelection:
    """The chosen K and how it was chosen.

    Attributes
    ----------
    k
        The chosen number of clusters.
    rule
        ``"elbow"`` (METHOD.md rule), ``"kneedle"`` or ``"max_second_difference"`` (fallbacks).
    candidates
        Candidate elbows with their scores ``drop(K) - (SSE(K) - SSE(K + d))``.
    d
        The look-ahead of the rule.
    """

    k: int
    rule: str
    candidates: tuple[tuple[int, float], ...]
    d: int


def select_k(ks: np.ndarray | list[int], sse: np.ndarray | list[float], *, d: int = 3) -> KSelection:
    """Choose K from an SSE curve by the elbow rule (see module docstring).

    Parameters
    ----------
    ks
        Consecutive K values, increasing.
    sse
        SSE (inertia) for each K.
    d
        Look-ahead of the candidate condition (paper: 3).

    Examples
    --------
    >>> select_k([1, 2, 3, 4, 5, 6, 7], [100, 90, 80, 20, 18, 16, 14], d=3).k
    4
    """
    ks = np.asarray(ks, dtype=int)
    sse = np.asarray(sse, dtype=float)
    check_in_range(d, "d", low=1, integer=True)
    if ks.ndim != 1 or ks.shape != sse.shape or len(ks) < 2:
        msg = f"ks and sse must be 1-D of the same length >= 2; got {ks.shape} and {sse.shape}."
        raise InputDataError(msg)
    if np.any(np.diff(ks) != 1):
        msg = f"ks must be consecutive integers; got {ks.tolist()}."
        raise InputDataError(msg)
    candidates: list[tuple[int, float]] = []
    for i in range(1, len(ks) - d):
        drop = sse[i - 1] - sse[i]
        ahead = sse[i] - sse[i + d]
        if drop > ahead:
            candidates.append((int(ks[i]), float(drop - ahead)))
    if candidates:
        best = max(candidates, key=lambda c: (c[1], -c[0]))
        return KSelection(best[0], "elbow", tuple(candidates), d)
    k, rule = _fallback(ks, sse)
    warnings.warn(
        f"No K in {ks[0]}..{ks[-1]} satisfies the elbow condition with d={d}; "
        f"K={k} was chosen by the {rule} rule instead.",
        NoElbowWarning,
        stacklevel=2,
    )
    return KSelection(k, rule, (), d)


def _fallback(ks: np.ndarray, sse: np.ndarray) -> tuple[int, str]:
    if len(ks) >= 3:
        from kneed import KneeLocator

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kneed warns when it finds no knee; we handle None
            knee = KneeLocator(ks, sse, curve="convex", direction="decreasing").knee
        if knee is not None:
            return int(knee), "kneedle"
        second = sse[:-2] - 2 * sse[1:-1] + sse[2:]
        return int(ks[1 + int(np.argmax(second))]), "max_second_difference"
    return int(ks[0]), "max_second_difference"


@dataclass(frozen=True)
class Clustering:
    """K-means clustering of one modality.

    Attributes
    ----------
    labels
        Cluster of each feature (index: feature ids), clusters numbered 0..K-1 by decreasing size,
        ties by the smallest member id.
    sse_curve
        Columns ``k``, ``sse``, ``candidate`` (bool), ``chosen`` (bool).
    selection
        The :class:`KSelection`.
    """

    labels: pd.Series
    sse_curve: pd.DataFrame
    selection: KSelection


def _relabel(labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Renumber clusters by decreasing size, ties by smallest member id (deterministic output)."""
    keys = []
    for c in np.unique(labels):
        members = ids[labels == c]
        keys.append((-len(members), str(min(members)), c))
    mapping = {c: new for new, (_, _, c) in enumerate(sorted(keys))}
    return np.array([mapping[c] for c in labels], dtype=int)


K_RULES = ("sqrt", "silhouette", "elbow")


def k_grid(k_min: int, k_max: int, *, dense_until: int = 30, step_ratio: float = 1.08) -> np.ndarray:
    """Candidate K values: every K up to ``dense_until``, then a geometric grid to ``k_max``.

    The silhouette rule needs no consecutive K (the elbow rule does); a geometric tail keeps the
    sweep's cost near-constant in ``k_max`` while K grows with the number of features.

    Examples
    --------
    >>> k_grid(2, 8).tolist()
    [2, 3, 4, 5, 6, 7, 8]
    >>> k_grid(2, 60, dense_until=30).tolist()[-6:]
    [44, 47, 50, 54, 58, 60]
    """
    dense = list(range(k_min, min(k_max, dense_until) + 1))
    ks = dense[:]
    k = ks[-1] if ks else k_min
    while k < k_max:
        k = max(k + 1, int(np.floor(k * step_ratio)))
        ks.append(min(k, k_max))
    if ks[-1] != k_max:
        ks.append(k_max)
    return np.unique(np.asarray(ks, dtype=int))


def auto_k_max(n_features: int, *, floor: int = 30, per_features: int = 150, ceiling: int = 150) -> int:
    """Default largest K: 30, or one cluster per ``per_features`` features when that is more.

    Planted or real modules are small (tens of genes) while a transcriptome has thousands of
    co-varying background genes; a K range fixed at 30 under-clusters 17,000 mRNAs and merges
    modules (measured in docs/method_choices.md).

    >>> auto_k_max(100), auto_k_max(17000)
    (30, 113)
    """
    return int(max(floor, min(ceiling, n_features // per_features)))


def select_k_silhouette(
    ks: np.ndarray | list[int], scores: np.ndarray | list[float], *, tolerance: float = 0.1
) -> KSelection:
    """The largest K whose silhouette is at least ``(1 - tolerance)`` times the best one.

    Nearly tied scores go to the larger K: with the maxedge join, splitting a module costs far
    less than merging two (measured in docs/method_choices.md). The tolerance is relative because
    silhouettes of expression profiles are small (0.02-0.1) and their scale varies by data set.

    >>> select_k_silhouette([2, 3, 4, 5], [0.30, 0.52, 0.48, 0.40], tolerance=0.1).k
    4
    """
    ks = np.asarray(ks, dtype=int)
    scores = np.asarray(scores, dtype=float)
    if ks.ndim != 1 or ks.shape != scores.shape or len(ks) < 1:
        msg = f"ks and scores must be 1-D of the same length >= 1; got {ks.shape} and {scores.shape}."
        raise InputDataError(msg)
    check_in_range(tolerance, "tolerance", low=0.0, high=1.0)
    if not np.isfinite(scores).any():
        msg = "No finite silhouette score (every clustering had a single cluster)."
        raise InputDataError(msg)
    best = float(np.nanmax(scores))
    floor = best - tolerance * abs(best)
    near = [(int(k), float(v)) for k, v in zip(ks, scores, strict=True) if v >= floor]
    k = max(k for k, _ in near)
    return KSelection(k, "silhouette", tuple(near), 0)


def _silhouette(x: np.ndarray, labels: np.ndarray, sample_size: int | None, seed: int) -> float:
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return float("nan")
    size = None if sample_size is None or sample_size >= len(x) else sample_size
    return float(silhouette_score(x, labels, sample_size=size, random_state=seed))


def sqrt_k(n_features: int, *, k_min: int = 2, k_max: int | None = None) -> int:
    """K of the ``"sqrt"`` rule: the square root of the number of features, rounded.

    Planted modules are tens of genes in a background of thousands; with the maxedge join a
    module split over two clusters keeps its larger part, while two modules merged in one
    cluster lose one of them, so K should grow with the number of features. sqrt(n) sits on the
    measured recovery plateau at 2,000 and at 17,000 mRNAs (docs/method_choices.md).

    >>> sqrt_k(2000), sqrt_k(17000), sqrt_k(17000, k_max=100)
    (45, 130, 100)
    """
    k = max(k_min, int(np.rint(np.sqrt(n_features))))
    if k_max is not None:
        k = min(k, k_max)
    return min(k, max(1, n_features - 1))


def auto_n_init(n_features: int, runs: int = 1) -> int:
    """K-means restarts per run when not given: 10 up to 5,000 features; above, 3 in all, spread
    over the ``runs`` K-means runs whose consensus is taken (at least one each).

    Restarts matter on small data (3 instead of 10 lost 0.05 recovery on one 2,000-gene cohort)
    and not at TCGA size (17,000 genes: the same recovery with 1, 3, 5 or 10 restarts on both
    generators, and with 1 or 3 restarts in each of three consensus runs), where each restart
    costs over a second (docs/method_choices.md).

    >>> auto_n_init(2000), auto_n_init(17000), auto_n_init(17000, runs=3), auto_n_init(2000, runs=3)
    (10, 3, 1, 10)
    """
    return 10 if n_features <= 5000 else max(1, math.ceil(3 / runs))


def single_cluster(index: pd.Index, *, reason: str = "not clustered") -> Clustering:
    """Every feature in cluster 0 (``mirna_clustering="none"``: the join picks each module's miRNAs)."""
    labels = pd.Series(0, index=index, name="cluster", dtype=int)
    curve = pd.DataFrame({"k": [1], "sse": [np.nan], "silhouette": [np.nan], "candidate": [False],
                          "chosen": [True]})
    return Clustering(labels, curve, KSelection(1, reason, (), 0))


def cluster_features(
    codes: pd.DataFrame,
    *,
    k_min: int = 2,
    k_max: int | None = 30,
    n_init: int | None = 10,
    d: int = 3,
    k_rule: str = "elbow",
    silhouette_sample: int | None = 3000,
    silhouette_tolerance: float = 0.1,
    sweep_n_init: int | None = None,
    random_state: int = 0,
    progress: bool = False,
    progress_label: str = "k-means",
) -> Clustering:
    """Run K-means over a range of K and keep the clustering at the K the rule picks.

    Parameters
    ----------
    codes
        Features x dimensions.
    k_min, k_max
        K range; ``k_max`` is capped at n_features - 1; ``None`` is :func:`auto_k_max`.
    n_init
        K-means restarts (Lloyd) for the chosen K, and for every K of the sweep unless
        ``sweep_n_init`` is given; ``None``: :func:`auto_n_init`.
    d
        Look-ahead of the elbow rule (``k_rule="elbow"``).
    k_rule
        ``"elbow"`` (the paper's rule on every K of the range, see :func:`select_k`) or
        ``"silhouette"`` (:func:`select_k_silhouette` on the grid of :func:`k_grid`).
    silhouette_sample
        Features sampled (seeded) for each silhouette score; ``None``: all.
    silhouette_tolerance
        Scores of at least ``(1 - silhouette_tolerance)`` times the best count as tied; the
        largest tied K wins.
    sweep_n_init
        Restarts per K while sweeping (the chosen K is refitted with ``n_init`` when fewer).
    random_state
        Seed of K-means and of the silhouette sample; each K uses the same seed, so the curve and
        the labels are reproducible.
    """
    from sklearn.cluster import KMeans

    from mirmodules._progress import Progress

    check_in_range(k_min, "k_min", low=1, integer=True)
    check_one_of(k_rule, "k_rule", K_RULES)
    x = codes.to_numpy(dtype=np.float64)
    n = len(x)
    n_init = auto_n_init(n) if n_init is None else n_init
    check_in_range(n_init, "n_init", low=1, integer=True)
    if k_rule == "sqrt":
        return _cluster_at_sqrt_k(codes, x, k_min=k_min, k_max=k_max, n_init=n_init,
                                  random_state=random_state, progress_label=progress_label)
    k_max = auto_k_max(n) if k_max is None else k_max
    check_in_range(k_max, "k_max", low=k_min, integer=True)
    k_hi = min(k_max, n - 1)
    if k_hi < k_min + 1:
        msg = f"Only {n} features: need at least {k_min + 2} to compare K values from k_min={k_min}."
        raise InputDataError(msg)
    if k_rule == "silhouette":
        ks = k_grid(max(k_min, 2), k_hi)
    else:
        ks = np.arange(k_min, k_hi + 1)
    sweep_init = n_init if sweep_n_init is None else min(sweep_n_init, n_init)
    sse, scores, all_labels = [], [], {}
    bar = Progress(progress_label, len(ks), "K values", enabled=progress, logger=logger)
    for k in ks:
        model = KMeans(n_clusters=int(k), n_init=sweep_init, random_state=random_state, algorithm="lloyd")
        model.fit(x)
        sse.append(float(model.inertia_))
        all_labels[int(k)] = model.labels_.copy()
        if k_rule == "silhouette":
            scores.append(_silhouette(x, model.labels_, silhouette_sample, random_state))
        logger.debug("%s: K=%d sse=%.4g%s", progress_label, k, sse[-1],
                     f" silhouette={scores[-1]:.4f}" if scores else "")
        bar.update(1, K=int(k))
    bar.close()
    if k_rule == "silhouette":
        selection = select_k_silhouette(ks, scores, tolerance=silhouette_tolerance)
    else:
        selection = select_k(ks, sse, d=d)
    chosen = all_labels[selection.k]
    if sweep_init < n_init:
        model = KMeans(n_clusters=selection.k, n_init=n_init, random_state=random_state, algorithm="lloyd")
        chosen = model.fit(x).labels_
    ids = codes.index.to_numpy().astype(str)
    labels = pd.Series(_relabel(chosen, ids), index=codes.index, name="cluster")
    cand = {k for k, _ in selection.candidates}
    curve = pd.DataFrame({
        "k": ks, "sse": sse,
        "silhouette": scores if scores else [np.nan] * len(ks),
        "candidate": [int(k) in cand for k in ks],
        "chosen": ks == selection.k,
    })
    logger.info("%s: K=%d by the %s rule (candidates %s)", progress_label, selection.k,
                selection.rule, sorted(cand))
    return Clustering(labels, curve, selection)


def _cluster_at_sqrt_k(
    codes: pd.DataFrame,
    x: np.ndarray,
    *,
    k_min: int,
    k_max: int | None,
    n_init: int,
    random_state: int,
    progress_label: str,
) -> Clustering:
    """K-means at K = :func:`sqrt_k` (no sweep: the cost of one K-means fit)."""
    from sklearn.cluster import KMeans

    n = len(x)
    if n < 3:
        msg = f"Only {n} features: need at least 3 to cluster."
        raise InputDataError(msg)
    k = sqrt_k(n, k_min=k_min, k_max=k_max)
    model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state, algorithm="lloyd").fit(x)
    ids = codes.index.to_numpy().astype(str)
    labels = pd.Series(_relabel(model.labels_, ids), index=codes.index, name="cluster")
    curve = pd.DataFrame({"k": [k], "sse": [float(model.inertia_)], "silhouette": [np.nan],
                          "candidate": [False], "chosen": [True]})
    logger.info("%s: K=%d by the sqrt rule (%d features)", progress_label, k, n)
    return Clustering(labels, curve, KSelection(k, "sqrt", (), 0))


#: Largest number of features co-association clustering accepts: it holds an n x n matrix
#: (float32) and its condensed distances (float64), about 12 * n**2 bytes (3.5 GB at 17,000).
MAX_COASSOCIATION_FEATURES = 25_000


def coassociation_labels(codes: pd.DataFrame, k: int, *, runs: int = 100, random_state: int = 0) -> pd.Series:
    """Cluster labels from many K-means runs by evidence accumulation (Fred and Jain, 2005).

    ``runs`` K-means fits at ``k`` clusters (one restart each, seeds drawn from ``random_state``)
    count how often each pair of features shares a cluster; average-linkage clustering of
    1 - that share, cut into at most ``k`` clusters, gives the labels (numbered as
    :class:`Clustering` numbers them). A single K-means cut of weakly separated profiles moves
    with its seed; pairs that stay together across many runs do not (docs/method_choices.md,
    "Seed stability on real data").

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> centres = np.repeat(np.eye(3) * 10, 20, axis=0)
    >>> codes = pd.DataFrame(centres + rng.normal(size=(60, 3)), index=[f"f{i:02d}" for i in range(60)])
    >>> labels = coassociation_labels(codes, 3, runs=20)
    >>> [int(labels.iloc[i * 20:(i + 1) * 20].nunique()) for i in range(3)], int(labels.nunique())
    ([1, 1, 1], 3)
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.cluster import KMeans

    check_in_range(runs, "coassociation_runs", low=1, integer=True)
    x = codes.to_numpy(dtype=np.float64)
    n = len(x)
    if n > MAX_COASSOCIATION_FEATURES:
        msg = (f"Co-association clustering of {n} features needs about {12 * n * n / 2**30:.0f} GB; it "
               f"accepts at most {MAX_COASSOCIATION_FEATURES}. Use --kmeans-consensus modules, or "
               "filter features (--min-variance).")
        raise InputDataError(msg)
    k = int(min(max(k, 1), n))
    together = np.zeros((n, n), dtype=np.float32)
    for seed in np.random.SeedSequence(random_state).generate_state(runs):
        run = KMeans(n_clusters=k, n_init=1, random_state=int(seed), algorithm="lloyd").fit_predict(x)
        for cluster in range(k):
            members = np.flatnonzero(run == cluster)
            together[np.ix_(members, members)] += 1.0
    distance = 1.0 - together / runs
    del together
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    labels = fcluster(tree, t=k, criterion="maxclust")
    ids = codes.index.to_numpy().astype(str)
    return pd.Series(_relabel(labels, ids), index=codes.index, name="cluster")
