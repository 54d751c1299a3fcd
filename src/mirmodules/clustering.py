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
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validation import check_in_range
from .exceptions import InputDataError, NoElbowWarning

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


def cluster_features(
    codes: pd.DataFrame,
    *,
    k_min: int = 2,
    k_max: int = 30,
    n_init: int = 10,
    d: int = 3,
    random_state: int = 0,
    progress: bool = False,
    progress_label: str = "k-means",
) -> Clustering:
    """Run K-means for every K in ``k_min..k_max`` and keep the clustering at the elbow.

    ``k_max`` is capped at n_features - 1. Each K uses the same seed, ``n_init`` restarts and
    Lloyd's algorithm, so the curve and the labels are reproducible.
    """
    from sklearn.cluster import KMeans
    from tqdm.auto import tqdm

    check_in_range(k_min, "k_min", low=1, integer=True)
    check_in_range(k_max, "k_max", low=k_min, integer=True)
    check_in_range(n_init, "n_init", low=1, integer=True)
    x = codes.to_numpy(dtype=np.float64)
    n = len(x)
    k_hi = min(k_max, n - 1)
    if k_hi < k_min + 1:
        msg = f"Only {n} features: need at least {k_min + 2} to compare K values from k_min={k_min}."
        raise InputDataError(msg)
    ks = np.arange(k_min, k_hi + 1)
    sse, all_labels = [], {}
    for k in tqdm(ks, desc=progress_label, unit="K", disable=None if progress else True, leave=False):
        model = KMeans(n_clusters=int(k), n_init=n_init, random_state=random_state, algorithm="lloyd")
        model.fit(x)
        sse.append(float(model.inertia_))
        all_labels[int(k)] = model.labels_.copy()
    selection = select_k(ks, sse, d=d)
    ids = codes.index.to_numpy().astype(str)
    labels = pd.Series(_relabel(all_labels[selection.k], ids), index=codes.index, name="cluster")
    cand = {k for k, _ in selection.candidates}
    curve = pd.DataFrame({
        "k": ks, "sse": sse,
        "candidate": [int(k) in cand for k in ks],
        "chosen": ks == selection.k,
    })
    logger.info("%s: K=%d by the %s rule (candidates %s)", progress_label, selection.k,
                selection.rule, sorted(cand))
    return Clustering(labels, curve, selection)
