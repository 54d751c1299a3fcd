from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError, NoElbowWarning, cluster_features, select_k
from mirmodules.methods.mica.clustering import auto_k_max, k_grid, select_k_silhouette


def test_single_sharp_elbow():
    ks = list(range(1, 11))
    sse = [100, 80, 60, 10, 9, 8, 7, 6, 5, 4]
    sel = select_k(ks, sse, d=3)
    assert (sel.k, sel.rule) == (4, "elbow")
    # drop into 4 is 50; next three steps remove 10 - 7 = 3; score 47
    assert sel.candidates == ((4, 47.0),)


def test_two_candidates_largest_change_wins():
    # the paper's Figure 3 situation: two elbows, pick the one with the largest change
    ks = list(range(1, 25))
    sse = [200 - 10 * i for i in range(6)]            # K=1..6: 200..150
    sse += [100 - i for i in range(11)]                # K=7..17: 100..90  (elbow at 7, drop 50)
    sse += [70 - 0.5 * i for i in range(7)]            # K=18..24: 70..67  (elbow at 18, drop 20)
    sel = select_k(ks, sse, d=3)
    cands = dict(sel.candidates)
    assert set(cands) == {7, 18}
    assert cands[7] == pytest.approx(50 - 3)
    assert cands[18] == pytest.approx(20 - 1.5)
    assert sel.k == 7


def test_larger_d_is_harder():
    ks = list(range(1, 12))
    sse = [100, 70, 50, 40, 33, 28, 24, 21, 19, 17.5, 16.5]
    # d=1: drop(K) > drop(K+1) holds for every K of this strictly convex curve
    assert [k for k, _ in select_k(ks, sse, d=1).candidates] == list(range(2, 11))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoElbowWarning)
        assert select_k(ks, sse, d=3).candidates == ()


def test_no_candidate_falls_back_to_kneedle_with_warning():
    ks = np.arange(2, 21)
    sse = 100.0 / ks            # smooth convex: drop(K) > SSE(K)-SSE(K+3) only for K < 3
    with pytest.warns(NoElbowWarning, match="kneedle"):
        sel = select_k(ks, sse, d=3)
    from kneed import KneeLocator

    assert sel.rule == "kneedle"
    assert sel.k == KneeLocator(ks, sse, curve="convex", direction="decreasing").knee


def test_bad_curves_are_rejected():
    with pytest.raises(InputDataError, match="consecutive"):
        select_k([1, 2, 4], [3, 2, 1])
    with pytest.raises(InputDataError, match="same length"):
        select_k([1, 2, 3], [3, 2])


def _blobs(k=5, per=30, dim=6, seed=0):
    # equidistant centres: every merge below the true K costs the same, so the elbow is at K
    rng = np.random.default_rng(seed)
    centres = 10 * np.eye(k, dim)
    x = np.vstack([c + rng.normal(size=(per, dim)) for c in centres])
    ids = [f"g{i:03d}" for i in range(len(x))]
    return pd.DataFrame(x, index=ids), np.repeat(np.arange(k), per)


def test_well_separated_blobs_give_the_true_k_and_partition():
    from sklearn.metrics import adjusted_rand_score

    codes, truth = _blobs()
    clustering = cluster_features(codes, k_max=12, random_state=0)
    assert clustering.selection.k == 5
    assert clustering.selection.rule == "elbow"
    assert adjusted_rand_score(truth, clustering.labels) == 1.0
    curve = clustering.sse_curve
    assert list(curve.columns) == ["k", "sse", "silhouette", "candidate", "chosen"]
    assert curve["silhouette"].isna().all()                # the elbow rule computes none
    assert curve.loc[curve.chosen, "k"].tolist() == [5]
    assert (np.diff(curve["sse"]) <= 1e-9).all()


def test_labels_are_renumbered_by_size_and_deterministic():
    codes, _ = _blobs(k=3, per=10)
    codes = pd.concat([codes, codes.iloc[:10] + 0.01])   # cluster of the first blob doubles
    codes.index = [f"f{i:03d}" for i in range(len(codes))]
    a = cluster_features(codes, k_max=6, random_state=1)
    b = cluster_features(codes.sample(frac=1, random_state=0), k_max=6, random_state=1)
    assert a.labels.value_counts().sort_index().is_monotonic_decreasing
    pd.testing.assert_series_equal(a.labels, b.labels.loc[a.labels.index])


def test_k_max_capped_and_too_few_features():
    codes, _ = _blobs(k=2, per=4)
    clustering = cluster_features(codes, k_max=30, d=1, random_state=0)
    assert clustering.sse_curve["k"].max() == 7
    with pytest.raises(InputDataError, match="at least 4"):
        cluster_features(codes.iloc[:3], random_state=0)


# --- the silhouette rule (default preset) --------------------------------------------------------


def test_silhouette_rule_takes_the_largest_k_within_the_relative_tolerance():
    ks = [2, 3, 4, 5, 6]
    scores = [0.050, 0.080, 0.100, 0.092, 0.089]
    # floor = 0.100 - 0.1 * 0.100 = 0.090: K=5 (0.092) is tied with the best, K=6 (0.089) is not
    sel = select_k_silhouette(ks, scores, tolerance=0.1)
    assert (sel.k, sel.rule) == (5, "silhouette")
    assert dict(sel.candidates) == {4: 0.100, 5: 0.092}
    assert select_k_silhouette(ks, scores, tolerance=0.0).k == 4
    assert select_k_silhouette(ks, scores, tolerance=0.5).k == 6


def test_silhouette_rule_rejects_bad_input():
    with pytest.raises(InputDataError, match="same length"):
        select_k_silhouette([2, 3], [0.1])
    with pytest.raises(InputDataError, match="No finite silhouette"):
        select_k_silhouette([2, 3], [np.nan, np.nan])
    with pytest.raises(InputDataError, match="tolerance"):
        select_k_silhouette([2, 3], [0.1, 0.2], tolerance=1.5)


def test_silhouette_on_separated_blobs_finds_the_true_k_and_matches_sklearn():
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    codes, truth = _blobs(k=7, per=25, dim=8)
    clustering = cluster_features(codes, k_max=15, k_rule="silhouette", silhouette_sample=None,
                                  random_state=0)
    assert clustering.selection.k == 7
    assert adjusted_rand_score(truth, clustering.labels) == 1.0
    curve = clustering.sse_curve.set_index("k")
    # oracle: sklearn's own silhouette of the same K-means fit
    labels = KMeans(n_clusters=4, n_init=10, random_state=0, algorithm="lloyd").fit(codes).labels_
    assert curve.loc[4, "silhouette"] == pytest.approx(silhouette_score(codes, labels))


def test_silhouette_prefers_a_larger_k_on_nested_clusters():
    # 3 far groups, each made of 3 close sub-groups: K=3 and K=9 both score well, the larger wins
    rng = np.random.default_rng(1)
    centres = [30 * a + 4 * b for a in np.eye(3, 6) for b in np.eye(6)[3:]]
    x = np.vstack([c + 0.3 * rng.normal(size=(15, 6)) for c in centres])
    codes = pd.DataFrame(x, index=[f"g{i:03d}" for i in range(len(x))])
    clustering = cluster_features(codes, k_max=14, k_rule="silhouette", silhouette_tolerance=0.1,
                                  silhouette_sample=None, random_state=0)
    curve = clustering.sse_curve.set_index("k")["silhouette"]
    assert curve.idxmax() == 3 and curve[9] >= 0.9 * curve.max() > curve[10]
    assert clustering.selection.k == 9


def test_sweep_with_fewer_restarts_refits_the_chosen_k():
    codes, _truth = _blobs(k=4, per=20)
    a = cluster_features(codes, k_max=8, k_rule="silhouette", sweep_n_init=1, n_init=10, random_state=3)
    b = cluster_features(codes, k_max=8, k_rule="silhouette", sweep_n_init=1, n_init=10, random_state=3)
    pd.testing.assert_series_equal(a.labels, b.labels)        # same seed, same labels
    assert a.selection.k == 4


def test_k_grid_and_auto_k_max():
    assert k_grid(2, 5).tolist() == [2, 3, 4, 5]
    grid = k_grid(2, 150)
    assert grid[:29].tolist() == list(range(2, 31)) and grid[-1] == 150
    assert (np.diff(grid) > 0).all() and len(grid) < 60
    assert auto_k_max(120) == 30 and auto_k_max(4500) == 30 and auto_k_max(17000) == 113
    assert auto_k_max(10**6) == 150


def test_unknown_k_rule_is_a_clear_error():
    codes, _ = _blobs(k=2, per=4)
    with pytest.raises(InputDataError, match="k_rule"):
        cluster_features(codes, k_rule="gap")


def test_sqrt_rule_is_one_fit_at_the_rounded_square_root():
    from mirmodules.methods.mica.clustering import sqrt_k

    assert [sqrt_k(n) for n in (3, 10, 2000, 17000, 40000)] == [2, 3, 45, 130, 200]
    assert sqrt_k(17000, k_max=60) == 60 and sqrt_k(2, k_min=2) == 1      # never more than n - 1
    codes, _ = _blobs(k=4, per=25)                                      # 100 features -> K = 10
    result = cluster_features(codes, k_rule="sqrt", n_init=3, random_state=0)
    assert result.selection.k == 10 and result.labels.nunique() == 10
    assert result.selection.rule == "sqrt" and result.sse_curve["chosen"].tolist() == [True]
    again = cluster_features(codes, k_rule="sqrt", n_init=3, random_state=0)
    pd.testing.assert_series_equal(result.labels, again.labels)
    # over-clustering separated blobs splits them but never mixes two: each cluster is pure
    _, truth = _blobs(k=4, per=25)
    mixed = pd.crosstab(result.labels.to_numpy(), truth).gt(0).sum(axis=1)
    assert (mixed == 1).all()


def test_single_cluster_puts_every_feature_in_cluster_zero():
    from mirmodules.methods.mica.clustering import single_cluster

    result = single_cluster(pd.Index(["a", "b", "c"]))
    assert result.labels.tolist() == [0, 0, 0] and result.selection.k == 1


def _grid_blobs(side=5, per=8, spacing=8.0, seed=0):
    """side x side blobs on a grid: single K-means runs (one restart) often merge two neighbours."""
    rng = np.random.default_rng(seed)
    centres = np.array([(i, j) for i in range(side) for j in range(side)], float) * spacing
    x = np.vstack([c + rng.normal(size=(per, 2)) for c in centres])
    truth = np.repeat(np.arange(len(centres)), per)
    return pd.DataFrame(x, index=[f"g{i:03d}" for i in range(len(x))]), truth


def test_coassociation_recovers_blobs_that_single_kmeans_runs_get_wrong():
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from mirmodules.methods.mica.clustering import coassociation_labels

    codes, truth = _grid_blobs()
    singles = [adjusted_rand_score(truth, KMeans(25, n_init=1, random_state=s).fit_predict(codes.to_numpy()))
               for s in range(40)]
    assert sum(score < 1 for score in singles) >= 3   # 7 of 40 single runs merge or split blobs
    for random_state in range(3):
        labels = coassociation_labels(codes, 25, runs=20, random_state=random_state)
        assert adjusted_rand_score(truth, labels) == 1.0
        # numbered like every clustering: 0..K-1 by decreasing size, the same for the same seed
        assert sorted(labels.unique()) == list(range(25))
        again = coassociation_labels(codes, 25, runs=20, random_state=random_state)
        pd.testing.assert_series_equal(labels, again)


def test_coassociation_refuses_more_features_than_its_memory_limit(monkeypatch):
    from mirmodules.methods.mica import clustering

    codes, _ = _grid_blobs(side=2)
    monkeypatch.setattr(clustering, "MAX_COASSOCIATION_FEATURES", 10)
    with pytest.raises(InputDataError, match="--kmeans-consensus modules"):
        clustering.coassociation_labels(codes, 4, runs=2)
    with pytest.raises(ValueError, match="coassociation_runs"):
        clustering.coassociation_labels(codes.iloc[:8], 2, runs=0)
