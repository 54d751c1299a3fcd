from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError, best_match_jaccard, modules_from_clusters, recovery_scores
from mirmodules.datatypes import module_set_from_members


def _series(mapping):
    return pd.Series(mapping, dtype=int)


MIR = _series({"m1": 0, "m2": 0, "m3": 0, "m4": 1, "m5": 1})
MRNA = _series({"g1": 0, "g2": 0, "g3": 0, "g4": 0, "g5": 1, "g6": 1, "g7": 1})


def test_maxedge_keeps_the_component_with_most_edges():
    inter = pd.DataFrame(
        [("m1", "g1"), ("m1", "g2"), ("m2", "g2"),         # component A: 3 edges
         ("m3", "g3"), ("m3", "g4"),                       # component B: 2 edges
         ("m4", "g5"), ("m5", "g6"), ("m4", "g6"),         # pair (1,1): 3 edges
         ("m4", "g1")],                                    # pair (1,0): a single edge
        columns=["mirna", "target"])
    mods = modules_from_clusters(MIR, MRNA, inter)
    sets = {frozenset(s) for s in mods.as_sets().values()}
    assert sets == {frozenset({"m1", "m2", "g1", "g2"}), frozenset({"m4", "m5", "g5", "g6"})}
    summary = mods.summary().set_index("module_id")
    assert summary["n_edges"].tolist() == [3, 3]
    assert summary["density"].tolist() == [0.75, 0.75]
    assert list(mods.edges.columns) == ["module_id", "mirna", "target"]


def test_all_edges_keeps_every_node_of_the_pair():
    inter = pd.DataFrame([("m1", "g1"), ("m2", "g1"), ("m3", "g3"), ("m3", "g4")],
                         columns=["mirna", "target"])
    maxedge = modules_from_clusters(MIR, MRNA, inter)
    assert maxedge.n_modules == 0                            # best component has 1 mRNA
    alle = modules_from_clusters(MIR, MRNA, inter, combine="all_edges")
    assert alle.members["feature"].tolist() == ["m1", "m2", "m3", "g1", "g3", "g4"]


def test_components_keeps_every_component_big_enough():
    inter = pd.DataFrame(
        [("m1", "g1"), ("m1", "g2"), ("m2", "g2"),         # component A: 3 edges
         ("m3", "g3"), ("m4", "g3"), ("m3", "g4")],        # component B (m4 in another cluster)
        columns=["mirna", "target"])
    mir = _series({"m1": 0, "m2": 0, "m3": 0, "m4": 0})
    maxedge = modules_from_clusters(mir, MRNA, inter)
    assert maxedge.n_modules == 1
    both = modules_from_clusters(mir, MRNA, inter, combine="components")
    assert {frozenset(s) for s in both.as_sets().values()} == {
        frozenset({"m1", "m2", "g1", "g2"}), frozenset({"m3", "m4", "g3", "g4"})}


def test_tie_on_edges_prefers_more_nodes_then_lexicographic():
    mir = _series({"a1": 0, "a2": 0, "b1": 0, "b2": 0})
    mrna = _series({"x1": 0, "x2": 0, "y1": 0, "y2": 0, "y3": 0})
    # component a: 2x2 complete = 4 edges, 4 nodes; component b: star 4 edges, 5 nodes? (b1-y1,y2,y3 + b2-y3)
    inter = pd.DataFrame([("a1", "x1"), ("a1", "x2"), ("a2", "x1"), ("a2", "x2"),
                          ("b1", "y1"), ("b1", "y2"), ("b1", "y3"), ("b2", "y3")],
                         columns=["mirna", "target"])
    mods = modules_from_clusters(mir, mrna, inter)
    assert set(mods.members["feature"]) == {"b1", "b2", "y1", "y2", "y3"}
    # identical shape: lexicographic order decides
    inter2 = pd.DataFrame([("a1", "x1"), ("a2", "x1"), ("a2", "x2"),
                           ("b1", "y1"), ("b2", "y1"), ("b2", "y2")], columns=["mirna", "target"])
    mods2 = modules_from_clusters(mir, mrna, inter2)
    assert set(mods2.members["feature"]) == {"a1", "a2", "x1", "x2"}


def test_min_sizes_and_deterministic_ids():
    mir = _series({f"m{i}": i // 3 for i in range(9)})
    mrna = _series({f"g{i}": i // 4 for i in range(12)})
    rows = [(f"m{i}", f"g{j}") for i in range(9) for j in range(12) if i // 3 == j // 4 and (i + j) % 2]
    inter = pd.DataFrame(rows, columns=["mirna", "target"])
    a = modules_from_clusters(mir, mrna, inter, min_mirnas=2, min_mrnas=2)
    b = modules_from_clusters(mir.sample(frac=1, random_state=1), mrna, inter.sample(frac=1, random_state=2))
    pd.testing.assert_frame_equal(a.members, b.members)
    assert a.members["module_id"].unique().tolist() == ["M001", "M002", "M003"]
    strict = modules_from_clusters(mir, mrna, inter, min_mirnas=3, min_mrnas=3)
    assert strict.n_modules == 0          # every maxedge component has exactly 2 miRNAs
    first = a.members[a.members.module_id == "M001"]["feature"].tolist()
    assert first == ["m0", "m2", "g1", "g3"]
    with pytest.raises(InputDataError, match="combine"):
        modules_from_clusters(mir, mrna, inter, combine="best")


def test_best_match_jaccard_by_hand():
    truth = module_set_from_members(pd.DataFrame(
        [("T1", "a", "mirna"), ("T1", "b", "mirna"), ("T1", "x", "mrna"), ("T1", "y", "mrna"),
         ("T2", "c", "mirna"), ("T2", "z", "mrna")], columns=["module_id", "feature", "kind"]))
    found = module_set_from_members(pd.DataFrame(
        [("M1", "a", "mirna"), ("M1", "b", "mirna"), ("M1", "x", "mrna"),
         ("M2", "q", "mirna"), ("M2", "z", "mrna")], columns=["module_id", "feature", "kind"]))
    table = best_match_jaccard(truth, found)
    assert table.values.tolist() == [["T1", "M1", 0.75], ["T2", "M2", pytest.approx(1 / 3)]]
    scores = recovery_scores(truth, found)
    assert scores["recovery"] == pytest.approx((0.75 + 1 / 3) / 2)
    assert scores["relevance"] == pytest.approx((0.75 + 1 / 3) / 2)


def _refine_fixture():
    """Module A: miRNAs a1, a2 and mRNAs g1-g3 (cluster 0); g4 and miRNA a3 belong to it by profile
    but were cut into other clusters; g5 has an interaction but the opposite profile."""
    import numpy as np

    t = np.linspace(0, 6, 40)
    base = np.sin(t)
    mrna = pd.DataFrame([base, base + 0.4 * np.cos(3 * t), base + 0.3 * np.cos(5 * t),
                         base + 0.35 * np.cos(4 * t), -base, np.cos(t), base + 0.3 * np.cos(7 * t)],
                        index=["g1", "g2", "g3", "g4", "g5", "g6", "g7"])
    mirna = pd.DataFrame([-base, -base + 0.3 * np.cos(2 * t), -base + 0.3 * np.sin(3 * t), np.cos(t)],
                         index=["a1", "a2", "a3", "a4"])
    mirna_clusters = _series({"a1": 0, "a2": 0, "a3": 0, "a4": 0})
    mrna_clusters = _series({"g1": 0, "g2": 0, "g3": 0, "g4": 1, "g5": 1, "g6": 2, "g7": 2})
    edges = pd.DataFrame(
        [("a1", "g1"), ("a1", "g2"), ("a2", "g2"), ("a2", "g3"),   # the module the cut leaves
         ("a1", "g4"),                                             # a member cut into cluster 1
         ("a2", "g5"),                                             # an interaction, opposite profile
         ("a3", "g7"), ("a3", "g4"),                               # a3 reaches only genes outside
         ("a4", "g6")],
        columns=["mirna", "target"],
    )
    return mirna_clusters, mrna_clusters, edges, mirna, mrna


def test_refinement_completes_a_module_by_hand():
    mirna_clusters, mrna_clusters, edges, mirna, mrna = _refine_fixture()
    plain = modules_from_clusters(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna,
                                  mrna_profiles=mrna)
    assert plain.groups() == {"M001": (["a1", "a2"], ["g1", "g2", "g3"])}
    refined = modules_from_clusters(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna,
                                    mrna_profiles=mrna, refine="centroid", refine_fraction=0.5)
    # g4: interaction with a1 and the module's profile; a3: the module's miRNA profile and two
    # interactions with close genes (g4, g7), so it joins and brings g7. g5 (opposite profile),
    # g6 (cos, and no interaction with the module) and a4 (cos) stay out.
    assert refined.groups() == {"M001": (["a1", "a2", "a3"], ["g1", "g2", "g3", "g4", "g7"])}
    assert set(map(tuple, refined.edges[["mirna", "target"]].to_numpy())) == {
        ("a1", "g1"), ("a1", "g2"), ("a2", "g2"), ("a2", "g3"), ("a1", "g4"), ("a3", "g4"), ("a3", "g7")}


def test_refinement_fraction_one_admits_only_features_closer_than_the_median_member():
    mirna_clusters, mrna_clusters, edges, mirna, mrna = _refine_fixture()
    strict = modules_from_clusters(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna,
                                   mrna_profiles=mrna, refine="centroid", refine_fraction=1.0)
    loose = modules_from_clusters(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna,
                                  mrna_profiles=mrna, refine="centroid", refine_fraction=0.5)
    assert set(strict.groups()["M001"][1]) <= set(loose.groups()["M001"][1])
    assert "g5" not in loose.groups()["M001"][1]


def test_refinement_needs_profiles():
    mirna_clusters, mrna_clusters, edges, mirna, _ = _refine_fixture()
    with pytest.raises(InputDataError, match="need mirna_profiles"):
        modules_from_clusters(mirna_clusters, mrna_clusters, edges, refine="centroid")
    # both profiles, not one of them
    message = ("repression='edges' / refine='none' need mirna_profiles and mrna_profiles to correlate "
               "profiles.")
    with pytest.raises(InputDataError) as raised:
        modules_from_clusters(mirna_clusters, mrna_clusters, edges, repression="edges", mirna_profiles=mirna)
    assert str(raised.value) == message


@pytest.mark.parametrize("setting", ["combine", "repression", "refine", "refine_own_cluster", "merge"])
def test_join_refuses_an_unknown_choice_naming_the_setting(setting):
    from mirmodules.methods.join import join_modules

    mirna_clusters, mrna_clusters, edges, mirna, mrna = _refine_fixture()
    with pytest.raises(InputDataError, match=f"The '{setting}' parameter must be one of"):
        join_modules(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna, mrna_profiles=mrna,
                     **{setting: "no-such-choice"})


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("min_mirnas", 0, "The 'min_mirnas' parameter must be an integer in [1, inf]; got 0 instead."),
    ("min_mirnas", 1.5, "The 'min_mirnas' parameter must be an integer; got 1.5 instead."),
    ("min_mrnas", 0, "The 'min_mrnas' parameter must be an integer in [1, inf]; got 0 instead."),
    ("min_mrnas", 2.0, "The 'min_mrnas' parameter must be an integer; got 2.0 instead."),
    ("refine_alpha", 0.0, "The 'refine_alpha' parameter must be a number in (0.0, 0.5]; got 0.0 instead."),
    ("refine_alpha", 0.6, "The 'refine_alpha' parameter must be a number in (0.0, 0.5]; got 0.6 instead."),
    ("refine_weak_fdr", -0.1,
     "The 'refine_weak_fdr' parameter must be a number in [0.0, 1.0]; got -0.1 instead."),
    ("refine_weak_fdr", 1.5,
     "The 'refine_weak_fdr' parameter must be a number in [0.0, 1.0]; got 1.5 instead."),
])
def test_join_refuses_sizes_and_levels_out_of_range_naming_the_setting(setting, value, expected):
    from mirmodules.methods.join import join_modules

    mirna_clusters, mrna_clusters, edges, mirna, mrna = _refine_fixture()
    with pytest.raises(InputDataError) as raised:
        join_modules(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna, mrna_profiles=mrna,
                     **{setting: value})
    assert str(raised.value) == expected


def test_join_accepts_the_smallest_sizes():
    from mirmodules.methods.join import join_modules

    mirna_clusters, mrna_clusters, edges, mirna, mrna = _refine_fixture()
    groups = {size: join_modules(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna,
                                 mrna_profiles=mrna, min_mirnas=size, min_mrnas=size,
                                 refine_alpha=0.5).modules.groups() for size in (1, 2)}
    # a module of one miRNA or one mRNA is kept only at size 1
    assert groups[2] == {"M001": (["a1", "a2"], ["g1", "g2", "g3"])}
    assert groups[1] == {**groups[2], "M002": (["a1", "a3"], ["g4"]), "M003": (["a3"], ["g7"])}


def _background_fixture():
    """Module A: miRNAs a1, a2 and mRNAs g1-g3 (cluster 0), whose profile is a programme plus a
    background B. g4 is a member that the cut put among genes driven by another background C
    (cluster 1: g4, c1-c3); h1-h3 are a co-expression block of B alone (cluster 2), and h1 has an
    interaction with a2."""
    import numpy as np

    t = np.linspace(0, 6, 40)
    programme, b, c = np.sin(t), np.cos(2.3 * t), np.sin(3.7 * t + 1)
    module = programme + 0.8 * b
    mrna = pd.DataFrame(
        [module + 0.2 * np.cos(k * t) for k in (3, 5, 7)]
        + [0.7 * module + c]
        + [c + 0.2 * np.cos(k * t + 0.5) for k in (4, 6, 8)]
        + [b + 0.15 * np.cos(k * t + 0.3) for k in (9, 10, 11)],
        index=["g1", "g2", "g3", "g4", "c1", "c2", "c3", "h1", "h2", "h3"])
    mirna = pd.DataFrame([-module, -module + 0.3 * np.cos(2 * t)], index=["a1", "a2"])
    mirna_clusters = _series({"a1": 0, "a2": 0})
    mrna_clusters = _series({"g1": 0, "g2": 0, "g3": 0, "g4": 1, "c1": 1, "c2": 1, "c3": 1,
                             "h1": 2, "h2": 2, "h3": 2})
    edges = pd.DataFrame([("a1", "g1"), ("a1", "g2"), ("a2", "g2"), ("a2", "g3"), ("a1", "g4"),
                          ("a2", "h1")], columns=["mirna", "target"])
    return mirna_clusters, mrna_clusters, edges, mirna, mrna


def test_partial_refinement_takes_back_a_member_held_by_a_background_cluster_not_a_block_gene():
    mirna_clusters, mrna_clusters, edges, mirna, mrna = _background_fixture()
    groups = {refine: modules_from_clusters(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna,
                                            mrna_profiles=mrna, refine=refine).groups()["M001"][1]
              for refine in ("none", "centroid", "partial")}
    # g4 correlates 0.69 with the module's mean profile (level: half the members' 0.99) but 0.87
    # with its own cluster: held back by the centroid rule; with C partialled out it is the
    # module's (0.99). h1 (0.56 with the module, 0.99 with its block) has nothing left once B is
    # removed: out under both rules.
    assert groups["none"] == groups["centroid"] == ["g1", "g2", "g3"]
    assert groups["partial"] == ["g1", "g2", "g3", "g4"]


def _weak_member_fixture():
    """Module a1, a2 x g1-g3 on exactly orthogonal profiles (40 samples). g4 follows the module's
    programme weakly and its only interaction (with the noisy miRNA a1) is negative but not
    significant (r -0.248 against the 0.05 threshold -0.264); h follows the programme as weakly
    but also a1's own part, so its interaction with a1 is positive (r 0.113). Both sit in a
    cluster of unrelated genes."""
    import numpy as np

    t = 2 * np.pi * np.arange(40) / 40
    programme = np.sin(t)

    def wave(k, fn=np.cos):
        return fn(k * t)

    unrelated = [np.sqrt(5) * wave(k) for k in (11, 13, 15, 17, 19)] + [np.sqrt(5) * wave(k, np.sin)
                                                                       for k in (11, 13)]
    mrna = pd.DataFrame([programme + 0.2 * wave(3), programme + 0.2 * wave(5), programme + 0.2 * wave(7),
                         programme + 2 * wave(9), programme + 2 * wave(9, np.sin) + wave(2), *unrelated],
                        index=["g1", "g2", "g3", "g4", "h"] + [f"c{i}" for i in range(1, 8)])
    mirna = pd.DataFrame([-programme + 1.5 * wave(2), -programme + 0.3 * wave(2, np.sin)], index=["a1", "a2"])
    mrna_clusters = _series({"g1": 0, "g2": 0, "g3": 0, **dict.fromkeys(mrna.index[3:], 1)})
    edges = pd.DataFrame([("a1", "g1"), ("a2", "g1"), ("a2", "g2"), ("a2", "g3"), ("a1", "g4"), ("a1", "h")],
                         columns=["mirna", "target"])
    return _series({"a1": 0, "a2": 0}), mrna_clusters, edges, mirna, mrna


def test_refinement_admits_through_a_negative_interaction_that_the_join_test_sets_aside():
    from mirmodules.methods.join import interaction_correlations, join_modules, repression_threshold

    mirna_clusters, mrna_clusters, edges, mirna, mrna = _weak_member_fixture()
    r = dict(zip(edges["target"] + edges["mirna"], interaction_correlations(edges, mirna, mrna), strict=True))
    assert repression_threshold(40, 0.05) < r["g4a1"] < 0 < r["ha1"]

    def module_mrnas(**options):
        found = modules_from_clusters(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna,
                                      mrna_profiles=mrna, refine_fraction=0.3, **options)
        assert list(found.groups()) == ["M001"]
        return found.groups()["M001"][1]

    joined = join_modules(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna, mrna_profiles=mrna,
                          refine_fraction=0.3, repression="edges", refine="partial", refine_alpha=0.5)
    # the core is the join's module before refinement
    assert joined.cores == {"M001": (["a1", "a2"], ["g1", "g2", "g3"])}
    assert joined.modules.groups()["M001"][1] == ["g1", "g2", "g3", "g4"]
    for refine in ("centroid", "partial"):
        # the join's level (0.05) for the refinement too: g4's interaction is set aside
        assert module_mrnas(repression="edges", refine=refine, refine_alpha=0.05) == ["g1", "g2", "g3"]
        # any negative interaction links a close, fitting feature
        assert module_mrnas(repression="edges", refine=refine, refine_alpha=0.5) == ["g1", "g2", "g3", "g4"]
    # h is close and fits too (it joins when no interaction is tested), but its interaction is
    # positive: the loop above kept it out at both levels
    assert module_mrnas(repression="centroid", refine="partial") == ["g1", "g2", "g3", "g4", "h"]
    with pytest.raises(ValueError, match="refine_alpha"):
        module_mrnas(repression="edges", refine="partial", refine_alpha=0.7)


def test_refinement_takes_back_a_member_of_the_module_s_own_cluster_that_the_join_test_set_aside():
    from mirmodules.methods.join import (
        _own_clusters,
        _standardised_centroid,
        join_modules,
        refine_module,
        standardised_profiles,
    )

    mirna_clusters, mrna_clusters, edges, mirna, mrna = _weak_member_fixture()
    # the cut put g4 and h with the module's genes (cluster 0); g4's only interaction is
    # negative but not significant, so the join's module is g1-g3
    mrna_clusters = mrna_clusters.copy()
    mrna_clusters[["g4", "h"]] = 0
    z_mirna, z_mrna = standardised_profiles(mirna, mrna)
    module = _standardised_centroid(z_mrna, ["g1", "g2", "g3"])
    corr = pd.Series(z_mrna.to_numpy() @ module / 40, index=z_mrna.index)
    own = (_own_clusters(z_mirna, mirna_clusters), _own_clusters(z_mrna, mrna_clusters))
    # g4 is close at fraction 0.3 (0.444 against 0.3 x 0.987) but its own cluster's mean profile,
    # which includes g4 itself, is closer still (0.621), and the module leaves nothing once that
    # is partialled out: the fit test compares the module with itself and refuses g4
    assert corr["g4"] == pytest.approx(0.444, abs=1e-3) and corr["g1"] == pytest.approx(0.987, abs=1e-3)
    assert own[1].correlation["g4"] == pytest.approx(0.621, abs=1e-3)
    assert own[1].partial(corr, module)["g4"] < 0
    targets_of = {"a1": {"g1", "g4"}, "a2": {"g1", "g2", "g3"}}
    without_home = refine_module(["a1", "a2"], ["g1", "g2", "g3"], targets_of, z_mirna, z_mrna, fraction=0.3,
                                 own=own, partial=True)
    with_home = refine_module(["a1", "a2"], ["g1", "g2", "g3"], targets_of, z_mirna, z_mrna, fraction=0.3,
                              own=own, partial=True, home=(0, 0))
    assert without_home[1] == ["g1", "g2", "g3"]
    assert with_home[1] == ["g1", "g2", "g3", "g4"]

    def joined(fraction, refine_alpha, own_cluster="admit"):
        return join_modules(mirna_clusters, mrna_clusters, edges, mirna_profiles=mirna, mrna_profiles=mrna,
                            refine_fraction=fraction, repression="edges", refine="partial",
                            refine_alpha=refine_alpha, refine_own_cluster=own_cluster)

    found = joined(0.3, 0.5)
    assert found.cores == {"M001": (["a1", "a2"], ["g1", "g2", "g3"])}
    # h is in the cluster and close (0.406) too, but its interaction with a1 is positive
    assert found.modules.groups()["M001"][1] == ["g1", "g2", "g3", "g4"]
    # the home cluster waives the fit test only: closeness and a negative interaction still count
    assert joined(0.5, 0.5).modules.groups()["M001"][1] == ["g1", "g2", "g3"]
    assert joined(0.3, 0.05).modules.groups()["M001"][1] == ["g1", "g2", "g3"]
    # refine_own_cluster="test": g4 takes the fit test like a feature of another cluster
    assert joined(0.3, 0.5, "test").modules.groups()["M001"][1] == ["g1", "g2", "g3"]
    with pytest.raises(ValueError, match="refine_own_cluster"):
        joined(0.3, 0.5, "always")


def test_partial_correlation_given_own_cluster_matches_residual_oracle():
    import numpy as np
    from scipy import stats

    from mirmodules.methods.join import _own_clusters, _standardised_centroid, standardised_profiles

    _, mrna_clusters, _, mirna, mrna = _background_fixture()
    _, z = standardised_profiles(mirna, mrna)
    own = _own_clusters(z, mrna_clusters)
    centroid = _standardised_centroid(z, ["g1", "g2", "g3"])
    corr = pd.Series(z.to_numpy() @ centroid / z.shape[1], index=z.index)
    partial = own.partial(corr, centroid)
    for feature in ["g4", "c1", "c2", "c3", "h1", "h2", "h3"]:  # own cluster is not the module
        members = mrna_clusters.index[mrna_clusters == mrna_clusters[feature]]
        own_mean = z.loc[members].to_numpy().mean(axis=0)
        design = np.column_stack([np.ones_like(own_mean), own_mean])

        def residual(y, design=design):
            return y - design @ np.linalg.lstsq(design, y, rcond=None)[0]

        expected = stats.pearsonr(residual(z.loc[feature].to_numpy()), residual(centroid))[0]
        assert partial[feature] == pytest.approx(expected, abs=1e-9)
        assert own.correlation[feature] == pytest.approx(stats.pearsonr(z.loc[feature], own_mean)[0])
    # an unclustered feature has no own cluster: NaN, and the refinement does not hold it back
    partial_some = _own_clusters(z, mrna_clusters.drop("g4")).partial(corr, centroid)
    assert np.isnan(partial_some["g4"]) and not np.isnan(partial_some["c1"])


def test_own_cluster_membership_of_an_unknown_label_is_all_false():
    from mirmodules.methods.join import _own_clusters, standardised_profiles

    _, mrna_clusters, _, mirna, mrna = _background_fixture()
    _, z = standardised_profiles(mirna, mrna)
    own = _own_clusters(z, mrna_clusters)
    label = mrna_clusters.iloc[0]
    inside = own.in_cluster(label)
    assert inside.dtype == bool and inside.sum() == (mrna_clusters.reindex(z.index) == label).sum()
    nowhere = own.in_cluster("no such cluster")
    assert nowhere.dtype == bool and nowhere.shape == (len(z),) and not nowhere.any()


def test_own_clusters_of_unclustered_features_are_empty_and_nan():
    import numpy as np

    from mirmodules.methods.join import _own_clusters, standardised_profiles

    _, mrna_clusters, _, mirna, mrna = _background_fixture()
    _, z = standardised_profiles(mirna, mrna)
    # nothing clustered: a float NaN per feature, code -1, no centroid row, no label
    none = _own_clusters(z, pd.Series(dtype=object))
    assert none.correlation.dtype == float and none.correlation.index.equals(z.index)
    assert none.correlation.isna().all()
    assert none.codes.tolist() == [-1] * len(z)
    assert none.centroids.shape == (0, z.shape[1]) and len(none.labels) == 0
    assert not none.in_cluster(mrna_clusters.iloc[0]).any()
    centroid = np.ones(z.shape[1])
    assert none.partial(pd.Series(0.5, index=z.index), centroid).isna().all()
    # two features unclustered: code -1, a float NaN, the others in their own cluster
    some = _own_clusters(z, mrna_clusters.drop(["g4", "c1"]))
    unclustered = z.index.isin(["g4", "c1"])
    assert (some.codes[unclustered] == -1).all() and (some.codes[~unclustered] >= 0).all()
    assert some.correlation.dtype == float
    assert some.correlation[unclustered].isna().all() and some.correlation[~unclustered].notna().all()
    assert len(some.labels) == mrna_clusters.drop(["g4", "c1"]).nunique() == len(some.centroids)
    assert some.centroids.shape[1] == z.shape[1]


def test_centroid_correlation_by_hand_and_nan_for_a_constant_centroid():
    import warnings

    import numpy as np

    from mirmodules.methods.join import centroid_correlation

    mir = pd.DataFrame([[1.0, 2.0, 3.0, 4.0]])
    assert centroid_correlation(mir, pd.DataFrame([[4.0, 3.0, 2.0, 1.0]])) == pytest.approx(-1.0)
    # two mRNAs that cancel out: their mean profile is constant, the correlation undefined
    flat = pd.DataFrame([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 on the way
        assert np.isnan(centroid_correlation(mir, flat))
    # nearly cancelling mRNAs leave a small but real mean profile: still a correlation (Pearson's
    # of the mean standardised profiles, here with a product of norms far below 1)
    almost = pd.DataFrame([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 0.9]])
    z = almost.sub(almost.mean(axis=1), axis=0).div(almost.std(axis=1, ddof=0), axis=0).mean()
    expected = np.corrcoef(mir.iloc[0], z)[0, 1]
    assert np.isfinite(expected) and centroid_correlation(mir, almost) == pytest.approx(expected)


def test_repression_background_matches_a_pearson_oracle_and_warns_when_there_is_no_excess():
    import numpy as np
    from scipy import stats

    from mirmodules.exceptions import DataQualityWarning
    from mirmodules.methods.join import repression_background, repression_threshold

    rng = np.random.default_rng(3)
    mirna = pd.DataFrame(rng.normal(size=(30, 50)), index=[f"m{i}" for i in range(30)])
    mrna = pd.DataFrame(rng.normal(size=(80, 50)), index=[f"g{i}" for i in range(80)])
    record = repression_background((40, 20), mirna, mrna, 0.05, n_pairs=500, seed=7)
    # oracle: the same seeded pairs, scipy's Pearson r, Fisher's z threshold
    draw = np.random.default_rng(7)
    mirnas, genes = draw.choice(mirna.index.to_numpy(), 500), draw.choice(mrna.index.to_numpy(), 500)
    pairs = zip(mirnas, genes, strict=True)
    r = np.array([stats.pearsonr(mirna.loc[m], mrna.loc[g])[0] for m, g in pairs])
    expected = float(np.mean(r < repression_threshold(50, 0.05)))
    assert 0 < expected < 0.15  # independent noise: about the nominal 5%
    assert record["random_share_passing"] == pytest.approx(expected)
    assert record["share_passing"] == 0.5
    assert record["ratio"] == pytest.approx(0.5 / expected)
    assert record["interactions_tested"] == 40 and record["random_pairs"] == 500
    # interactions that pass no more often than random pairs: warned
    with pytest.warns(DataQualityWarning, match="no more often than random"):
        repression_background((40, 0), mirna, mrna, 0.05, n_pairs=500, seed=7)


# --- oracles that catch one-line bugs (each fails when the named line is broken) ---------------------


def test_repression_threshold_is_fisher_z_with_n_minus_3_by_hand():
    from mirmodules.methods.join import repression_threshold

    # z_0.05 = -1.644854; n = 12: tanh(-1.644854 / 3) = tanh(-0.548285) = -0.49923 (n - 2: -0.47781)
    assert repression_threshold(12, 0.05) == pytest.approx(-0.49923, abs=1e-4)
    # n = 28, alpha = 0.01: tanh(-2.326348 / 5) = tanh(-0.465270) = -0.43437 (n - 2: -0.42701)
    assert repression_threshold(28, 0.01) == pytest.approx(-0.43437, abs=1e-4)


def test_repression_threshold_holds_its_false_positive_rate_under_the_null():
    import numpy as np

    from mirmodules.methods.join import repression_threshold

    rng = np.random.default_rng(7)
    n, draws = 10, 40_000
    x = rng.standard_normal((draws, n))
    y = rng.standard_normal((draws, n))
    x -= x.mean(axis=1, keepdims=True)
    y -= y.mean(axis=1, keepdims=True)
    r = (x * y).sum(axis=1) / np.sqrt((x**2).sum(axis=1) * (y**2).sum(axis=1))
    rate = float((r < repression_threshold(n, 0.05)).mean())
    assert rate == pytest.approx(0.05, abs=0.004)   # n - 2 gives 0.060 here


def test_centroid_repression_drops_a_module_whose_mirnas_rise_with_their_targets():
    import numpy as np

    t = np.linspace(0, 2 * np.pi, 30)
    up, other = np.sin(t), np.cos(3 * t)
    mirna = pd.DataFrame([up + 0.01 * k for k in range(2)] + [up * -1, up * -1 + 0.02],
                         index=["a1", "a2", "b1", "b2"])
    mrna = pd.DataFrame([up, up + 0.03, other, other + 0.02], index=["g1", "g2", "h1", "h2"])
    inter = pd.DataFrame([("a1", "g1"), ("a2", "g2"), ("a1", "g2"), ("b1", "g1"), ("b2", "g2"),
                          ("b1", "g2")], columns=["mirna", "target"])
    mir_clusters = _series({"a1": 0, "a2": 0, "b1": 1, "b2": 1})
    mrna_clusters = _series({"g1": 0, "g2": 0, "h1": 1, "h2": 1})
    from mirmodules.methods.join import join_modules

    def kept(repression):
        joined = join_modules(mir_clusters, mrna_clusters, inter, repression=repression,
                              mirna_profiles=mirna, mrna_profiles=mrna)
        return {frozenset(s) for s in joined.modules.as_sets().values()}

    both = {frozenset({"a1", "a2", "g1", "g2"}), frozenset({"b1", "b2", "g1", "g2"})}
    assert kept("any") == both
    # a1/a2 rise with g1/g2 (r = +1): not a regulatory module; b1/b2 fall as they rise (r = -1)
    assert kept("centroid") == {frozenset({"b1", "b2", "g1", "g2"})}


def _split_module_fixture():
    """One programme's module whose 20 mRNAs K-means cut into two clusters, a second module
    with its own programme, and background genes."""
    import numpy as np

    rng = np.random.default_rng(5)
    n = 60
    p, q = rng.standard_normal(n), rng.standard_normal(n)
    mirna = pd.DataFrame([p + 0.3 * rng.standard_normal(n) for _ in range(3)]
                         + [q + 0.3 * rng.standard_normal(n) for _ in range(3)],
                         index=["a1", "a2", "a3", "b1", "b2", "b3"])
    genes = {f"g{i}": -p + 0.5 * rng.standard_normal(n) for i in range(20)}
    genes |= {f"h{i}": -q + 0.5 * rng.standard_normal(n) for i in range(8)}
    genes |= {f"x{i}": rng.standard_normal(n) for i in range(12)}
    mrna = pd.DataFrame(genes).T
    inter = pd.DataFrame([(a, g) for a in ("a1", "a2", "a3") for g in genes if g.startswith("g")]
                         + [(b, h) for b in ("b1", "b2", "b3") for h in genes if h.startswith("h")]
                         + [("a1", "x0"), ("b1", "x1")], columns=["mirna", "target"])
    mir_clusters = pd.Series(0, index=mirna.index)
    mrna_clusters = pd.Series({g: (0 if g.startswith("g") and int(g[1:]) < 10 else
                                   1 if g.startswith("g") else 2 if g.startswith("h") else 3) for g in genes})
    return mirna, mrna, inter, mir_clusters, mrna_clusters


@pytest.mark.parametrize("merge", ["none", "pieces"])
def test_a_planted_module_cut_into_two_clusters_comes_back_whole_with_merge(merge):
    from mirmodules.methods.join import join_modules

    mirna, mrna, inter, mir_clusters, mrna_clusters = _split_module_fixture()
    joined = join_modules(mir_clusters, mrna_clusters, inter, repression="edges", mirna_profiles=mirna,
                          mrna_profiles=mrna, merge=merge)
    sets = sorted(sorted(s) for s in joined.modules.as_sets().values())
    whole = sorted(["a1", "a2", "a3", *(f"g{i}" for i in range(20))])
    halves = [sorted(["a1", "a2", "a3", *(f"g{i}" for i in range(k, k + 10))]) for k in (0, 10)]
    other = sorted(["b1", "b2", "b3", *(f"h{i}" for i in range(8))])
    if merge == "pieces":
        assert sets == sorted([whole, other])       # the two pieces are one module again; h stays apart
        cores = sorted(sorted(a + b) for a, b in joined.cores.values())
        assert whole in cores
    else:
        assert sets == sorted([*halves, other])


def test_maxedge_keeps_the_component_with_most_edges_then_most_nodes_then_first_names():
    # one cluster pair, three components of repression-free interactions (repression="any"):
    # A: m1, m2 x g8, g9 (4 edges, 4 nodes); B: m3 -> g3, g4, g5 and m4 -> g5 (4 edges, 5 nodes);
    # C: m5, m6 x g6, g7 (4 edges, 4 nodes; the same shape as A; its miRNAs' names come later, its
    # mRNAs' earlier, and the names are compared in order, miRNAs first)
    edges = pd.DataFrame([("m1", "g8"), ("m1", "g9"), ("m2", "g8"), ("m2", "g9"),
                          ("m3", "g3"), ("m3", "g4"), ("m3", "g5"), ("m4", "g5"),
                          ("m5", "g6"), ("m5", "g7"), ("m6", "g6"), ("m6", "g7")],
                         columns=["mirna", "target"])

    from mirmodules.methods.join import join_modules

    def kept(pairs: pd.DataFrame) -> list[list[str]]:
        mirnas = sorted(set(pairs["mirna"]))
        mrnas = sorted(set(pairs["target"]))
        joined = join_modules(pd.Series(0, index=mirnas), pd.Series(0, index=mrnas), pairs,
                              combine="maxedge", repression="any")
        return [sorted(a) + sorted(b) for a, b in joined.modules.groups().values()]

    assert kept(edges) == [["m3", "m4", "g3", "g4", "g5"]]  # a tie on edges: more nodes wins
    without_b = edges[~edges["mirna"].isin(["m3", "m4"])]
    assert kept(without_b) == [["m1", "m2", "g8", "g9"]]  # a full tie: the first names win
    # edges come before nodes: D (m7, m8, m9 x h1, h2, h3: 9 edges, 6 nodes) against a tree of 8
    # nodes and 7 edges (m3 -> h4..h9, m4 -> h9)
    dense = [(m, h) for m in ("m7", "m8", "m9") for h in ("h1", "h2", "h3")]
    tree = [("m3", f"h{i}") for i in range(4, 10)] + [("m4", "h9")]
    assert kept(pd.DataFrame(dense + tree, columns=["mirna", "target"])) == [
        ["m7", "m8", "m9", "h1", "h2", "h3"]]


def test_merge_defaults_are_half_the_smaller_mirna_set_and_r_0_8():
    import numpy as np

    from mirmodules.methods.join import merge_groups

    t = np.linspace(0, 6, 50)
    z = pd.DataFrame([np.sin(t), np.sin(t) + 0.02], index=["g1", "g2"])
    z = z.sub(z.mean(axis=1), axis=0).div(z.std(axis=1, ddof=0), axis=0)
    # one shared miRNA: half of the smaller set of two merges, a third of three does not
    assert merge_groups([(["a", "b"], ["g1"]), (["a", "c", "d"], ["g2"])], z) == [[0, 1]]
    assert merge_groups([(["a", "b", "e"], ["g1"]), (["a", "c", "d"], ["g2"])], z) == [[0], [1]]
    # the profiles: r = 0.79 stays apart, r = 0.81 merges (g2 = 0.81 g1 + noise, standardised)
    rng = np.random.default_rng(0)
    noise = rng.normal(size=50)
    noise -= noise.mean()
    noise -= (noise @ z.loc["g1"]) / 50 * z.loc["g1"].to_numpy()  # orthogonal to g1
    noise /= noise.std()
    for r, merged in ((0.79, False), (0.81, True)):
        zz = pd.DataFrame([z.loc["g1"].to_numpy(), r * z.loc["g1"].to_numpy() + np.sqrt(1 - r * r) * noise],
                          index=["g1", "g2"])
        groups = merge_groups([(["a", "b"], ["g1"]), (["a", "b"], ["g2"])], zz)
        assert (groups == [[0, 1]]) is merged


def test_merge_needs_both_a_shared_mirna_set_and_co_varying_mrnas():
    import numpy as np

    from mirmodules.methods.join import merge_groups

    t = np.linspace(0, 6, 50)
    z = pd.DataFrame([np.sin(t), np.sin(t) + 0.02, np.sin(t) + 0.04, np.cos(t)],
                     index=["g1", "g2", "g3", "h1"])
    z = z.sub(z.mean(axis=1), axis=0).div(z.std(axis=1, ddof=0), axis=0)
    modules = [(["a", "b"], ["g1"]), (["c", "d"], ["g2"]), (["a", "b", "c"], ["g3"]), (["a", "b"], ["h1"])]
    # 0 and 2 share a, b (2 of the smaller 2) and co-vary; 1 co-varies but shares 1 of 2 with 2
    # (overlap 0.5: joins at min_overlap 0.5, not at 0.75); 3 shares miRNAs but not the profile
    assert merge_groups(modules, z, min_overlap=0.75) == [[0, 2], [1], [3]]
    assert merge_groups(modules, z, min_overlap=0.75, linkage="single") == [[0, 2], [1], [3]]
    assert merge_groups(modules, z, min_overlap=0.5, linkage="single") == [[0, 1, 2], [3]]
    # 0 ~ 2 ~ 1 is a chain (0 and 1 share no miRNA): complete linkage (default) keeps 1 apart
    assert merge_groups(modules, z, min_overlap=0.5) == [[0, 2], [1], [3]]
    # the profile is what keeps 3 apart: with any correlation accepted it joins 0
    assert merge_groups([modules[0], modules[3]], z, min_correlation=-1.0) == [[0, 1]]
    # no shared miRNA, no merge, even when any overlap is enough
    assert merge_groups([(["a"], ["g1"]), (["b"], ["g2"])], z, min_overlap=0.0) == [[0], [1]]
    # "at min_correlation or more": a pair exactly at the level merges
    from mirmodules.methods.join import _standardised_centroid

    pair = [(["a"], ["g1"]), (["a"], ["h1"])]
    r = float(_standardised_centroid(z, ["g1"]) @ _standardised_centroid(z, ["h1"]) / z.shape[1])
    assert -0.9 < r < 0.9
    assert merge_groups(pair, z, min_correlation=r) == [[0, 1]]
    assert merge_groups(pair, z, min_correlation=r + 1e-9) == [[0], [1]]


@pytest.mark.parametrize(("option", "value"), [("min_correlation", 1.5), ("min_correlation", -1.5),
                                             ("min_overlap", -0.1), ("min_overlap", 1.5),
                                             ("linkage", "average")])
def test_merge_groups_refuses_values_out_of_range_naming_the_setting(option, value):
    from mirmodules.methods.join import merge_groups

    z = pd.DataFrame([[1.0, -1.0], [-1.0, 1.0]], index=["g1", "g2"])
    name = {"min_correlation": "merge_correlation", "min_overlap": "merge_overlap",
            "linkage": "merge_linkage"}[option]
    with pytest.raises(InputDataError, match=f"'{name}'"):
        merge_groups([(["a"], ["g1"]), (["a"], ["g2"])], z, **{option: value})
    # the ends of the ranges are allowed
    assert merge_groups([(["a"], ["g1"])], z, min_correlation=-1.0, min_overlap=1.0) == [[0]]
    assert merge_groups([(["a"], ["g1"])], z, min_correlation=1.0, min_overlap=0.0) == [[0]]


def test_a_module_with_a_constant_mean_profile_is_never_merged():
    import numpy as np

    from mirmodules.methods.join import merge_groups

    t = np.linspace(0, 6, 40)
    # g1 and g2 cancel out: the module's mean profile is constant (no centroid), so it counts as
    # uncorrelated with every other module (r = 0) and merges with none at a positive level
    z = pd.DataFrame([np.sin(t), -np.sin(t), np.sin(t)], index=["g1", "g2", "g3"])
    z = z.sub(z.mean(axis=1), axis=0).div(z.std(axis=1, ddof=0), axis=0)
    assert merge_groups([(["a"], ["g1", "g2"]), (["a"], ["g3"])], z, min_correlation=0.1) == [[0], [1]]
    assert merge_groups([(["a"], ["g1"]), (["a"], ["g3"])], z, min_correlation=0.1) == [[0, 1]]


def test_repression_background_messages_defaults_and_edges(caplog):
    import logging
    import warnings

    import numpy as np

    from mirmodules.exceptions import DataQualityWarning
    from mirmodules.methods import join
    from mirmodules.methods.join import repression_background

    rng = np.random.default_rng(5)
    factor = rng.normal(size=40)  # one programme that lowers the genes as the miRNAs rise
    mirna = pd.DataFrame(rng.normal(size=(20, 40)) + 0.5 * factor, index=[f"m{i}" for i in range(20)])
    mrna = pd.DataFrame(rng.normal(size=(60, 40)) - 0.5 * factor, index=[f"g{i}" for i in range(60)])
    keys = ["interactions_tested", "interactions_passing", "share_passing", "random_pairs",
            "random_share_passing", "ratio"]
    # the defaults: 2,000 pairs drawn with seed 0, the same every time
    with caplog.at_level(logging.INFO, logger="mirmodules.methods.join"):
        first = repression_background((10, 9), mirna, mrna, 0.05)
    assert list(first) == keys
    assert first == repression_background((10, 9), mirna, mrna, 0.05, n_pairs=2000, seed=0)
    assert first != repression_background((10, 9), mirna, mrna, 0.05, n_pairs=2000, seed=1)
    assert first["random_pairs"] == 2000 and first["interactions_passing"] == 9
    random_share = first["random_share_passing"]
    assert 0.2 < random_share < 0.55  # the programme makes random pairs pass often
    line = next(r.getMessage() for r in caplog.records if "random miRNA-mRNA pairs" in r.getMessage())
    assert line == (f"stage 3: 90.0% of the 10 interactions passed the repression test, "
                    f"{100 * random_share:.1f}% of 2000 random miRNA-mRNA pairs "
                    f"(ratio {0.9 / random_share:.2f})")
    # a weak excess (between 1x and 1.5x the random share): the weak-repression warning, with its
    # numbers, pointing at the caller
    n_tested = 1000
    passing = int(np.ceil(1.2 * random_share * n_tested))
    share = passing / n_tested
    with pytest.warns(DataQualityWarning) as caught:
        repression_background((n_tested, passing), mirna, mrna, 0.05)
    assert len(caught) == 1 and caught[0].filename != join.__file__  # the caller's line
    text = str(caught[0].message)
    assert text.startswith(f"The interactions pass the repression test only {share / random_share:.2f} times")
    assert f"({100 * share:.1f}% of {n_tested} against {100 * random_share:.1f}% of 2000)" in text
    assert text.endswith("pairs share too. Prefer modules with high confidence (--min-confidence 1) and "
                         "check them with the significance tests (mirmodules evaluate --significance-nulls "
                         "200) and patient resampling (mirmodules stability --n-bootstraps 5).")
    # exactly 1.5 times the random share is not weak
    k = round(random_share * 2000)
    assert 3 * k / 4000 == 1.5 * random_share
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repression_background((4000, 3 * k), mirna, mrna, 0.05)
    # exactly the random share: "no more often", not "only"
    with pytest.warns(DataQualityWarning) as caught:
        repression_background((2000, k), mirna, mrna, 0.05)
    assert len(caught) == 1 and caught[0].filename != join.__file__  # the caller's line
    text = str(caught[0].message)
    assert text.startswith("The interactions pass the repression test no more often")
    assert f"({100 * random_share:.1f}% of 2000 against {100 * random_share:.1f}% of 2000)" in text
    assert text.endswith("Check the interaction evidence (--evidence) and the samples; "
                         "docs/method_choices.md, GBM.")
    # a strong excess, or nothing tested: no warning; nothing tested is a share of 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        strong = repression_background((10, 10), mirna, mrna, 0.05)
        none = repression_background((0, 0), mirna, mrna, 0.05)
    assert strong["share_passing"] == 1.0 and none["share_passing"] == 0.0
    # no random pair passes (a level no correlation reaches): the ratio is undefined, said so in the log
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mirmodules.methods.join"):
        record = repression_background((10, 9), mirna, mrna, 1e-300)
    assert record["random_share_passing"] == 0.0 and record["ratio"] is None
    assert any(r.getMessage().endswith("(ratio undefined)") for r in caplog.records)


def test_weak_route_admits_a_weak_target_only_through_an_interaction_that_passed_the_join_test():
    import numpy as np

    from mirmodules.methods.join import refine_module

    rng = np.random.default_rng(2)
    n = 80
    p = rng.standard_normal(n)
    rows = {f"g{i}": -p + 0.4 * rng.standard_normal(n) for i in range(6)}      # members
    rows["weak"] = -0.35 * p + rng.standard_normal(n)                           # a weak target
    rows["weak2"] = -0.35 * p + rng.standard_normal(n)                          # the same, weak link only
    genes = pd.DataFrame(rows).T
    mirs = pd.DataFrame({f"m{i}": p + 0.4 * rng.standard_normal(n) for i in range(3)}).T
    z = lambda f: f.sub(f.mean(axis=1), axis=0).div(f.std(axis=1, ddof=0), axis=0)  # noqa: E731
    zg, zm = z(genes), z(mirs)
    members = [f"g{i}" for i in range(6)]
    targets_of = {"m0": {*members, "weak", "weak2"}, "m1": set(members), "m2": set(members)}
    strong = {"m0": {*members, "weak"}, "m1": set(members), "m2": set(members)}   # weak2's link failed
    corr = zg.to_numpy() @ z(pd.DataFrame([genes.loc[members].mean()])).to_numpy()[0] / n
    median = np.median(corr[:6])
    assert 0.25 * median <= corr[6] < 0.5 * median and 0.25 * median <= corr[7]  # only weakly close
    base = refine_module(["m0", "m1", "m2"], members, targets_of, zm, zg)[1]
    weak = refine_module(["m0", "m1", "m2"], members, targets_of, zm, zg, weak_fraction=0.25,
                         strong_targets_of=strong)[1]
    assert "weak" not in base and "weak2" not in base
    assert "weak" in weak and "weak2" not in weak

    # a member with no interaction stays, a module miRNA without any interaction is allowed
    unlinked = {"m0": {*members[:5], "weak"}, "m1": set(members[:5])}
    kept = refine_module(["m0", "m1", "m2"], members, unlinked, zm, zg, weak_fraction=0.25,
                         strong_targets_of={"m0": {*members[:5], "weak"}})
    assert kept[0] == ["m0", "m1", "m2"] and kept[1] == [*members, "weak"]
    assert ("m2", "g0") not in kept[2] and ("m0", "weak") in kept[2]
    # own clusters on the weak route: a feature in the module's home cluster fits it
    from mirmodules.methods.join import _own_clusters

    own = (_own_clusters(zm, pd.Series(0, index=zm.index)), _own_clusters(zg, pd.Series(0, index=zg.index)))
    at_home = refine_module(["m0", "m1", "m2"], members, targets_of, zm, zg, weak_fraction=0.25,
                            strong_targets_of=strong, own=own, home=(0, 0))[1]
    assert at_home == weak


def test_weak_target_gate_share_of_chance_by_hand():
    from mirmodules.methods.join import WeakTargetGate

    n = 40
    c = np.sin(np.linspace(0, 6, n))
    zm = pd.DataFrame([c, c], index=["m0", "m1"])
    down, up = -c, c
    genes = {"g0": down, "L1": down, "L2": down, "L3": up, "L4": down,
             "U1": down, "U2": down, "U3": down, "U4": down, "U5": up}
    zg = pd.DataFrame(genes).T
    zg = zg.sub(zg.mean(axis=1), axis=0).div(zg.std(axis=1, ddof=0), axis=0)
    zm = zm.sub(zm.mean(axis=1), axis=0).div(zm.std(axis=1, ddof=0), axis=0)
    gate = WeakTargetGate({"m0": {"g0", "L1", "L2"}, "m1": {"L3", "L4"}}, level=-0.2, max_chance=0.5)
    candidates = {"L1", "L3", "L4", "U1", "U5"}
    # linked non-members L1-L4: supported (candidate and r <= -0.2) L1, L4 -> 2 / 4;
    # unlinked U1-U5: supported U1 -> 1 / 5; share (1 / 5) / (2 / 4) = 0.4
    assert gate.chance_share({"m0", "m1"}, {"g0"}, candidates, zm, zg) == pytest.approx(0.4)
    # L3 rises with the miRNAs: a candidate that is not supported; more unlinked support -> capped at 1
    assert gate.chance_share({"m0", "m1"}, {"g0"}, candidates | {"U2", "U3", "U4"}, zm, zg) == 1.0
    # nothing to compare (NaN, which holds the route shut): no linked non-member, or no linked
    # gene supported
    assert np.isnan(gate.chance_share({"m0"}, {"g0", "L1", "L2"}, candidates, zm, zg))
    assert np.isnan(gate.chance_share({"m0", "m1"}, {"g0"}, {"U1"}, zm, zg))
    # a constant miRNA profile gives no estimate
    flat = pd.DataFrame([np.zeros(n)], index=["m0"])
    assert np.isnan(gate.chance_share({"m0"}, {"g0"}, candidates, flat, zg))


def test_weak_route_is_taken_where_interactions_tell_targets_apart_and_not_in_a_coexpressed_block():
    from mirmodules.methods.join import WeakTargetGate, refine_module

    rng = np.random.default_rng(2)
    n = 80
    p = rng.standard_normal(n)
    members = [f"g{i}" for i in range(6)]

    def profiles(*, block: bool):
        rows = {g: -p + 0.4 * rng.standard_normal(n) for g in members}
        rows["weak"] = -0.35 * p + rng.standard_normal(n)
        # ten genes without an interaction: noise, or a block that follows the module weakly
        rows |= {f"x{i}": (-0.35 * p if block else 0) + rng.standard_normal(n) for i in range(10)}
        genes = pd.DataFrame(rows).T
        return genes.sub(genes.mean(axis=1), axis=0).div(genes.std(axis=1, ddof=0), axis=0)

    mirs = pd.DataFrame({f"m{i}": p + 0.4 * rng.standard_normal(n) for i in range(3)}).T
    zm = mirs.sub(mirs.mean(axis=1), axis=0).div(mirs.std(axis=1, ddof=0), axis=0)
    targets_of = {"m0": {*members, "weak"}, "m1": set(members), "m2": set(members)}
    for block, expected in ((False, True), (True, False)):
        zg = profiles(block=block)
        gate = WeakTargetGate(targets_of, level=-0.185, max_chance=0.2)
        mrnas = refine_module(["m0", "m1", "m2"], members, targets_of, zm, zg, weak_fraction=0.25,
                              strong_targets_of=targets_of, weak_gate=gate)[1]
        share, = gate.decisions
        assert (share <= gate.max_chance) is expected and ("weak" in mrnas) is expected
        assert share == (0.0 if not block else pytest.approx(1.0, abs=0.35))
        # without the gate the weak target joins either way
        assert "weak" in refine_module(["m0", "m1", "m2"], members, targets_of, zm, zg, weak_fraction=0.25,
                                       strong_targets_of=targets_of)[1]


def test_a_module_whose_targets_have_one_interaction_each_grows_from_a_one_mirna_core():
    from mirmodules.methods.join import join_modules

    rng = np.random.default_rng(4)
    n = 60
    p = rng.standard_normal(n)
    q = rng.standard_normal(n)
    genes = pd.DataFrame({**{f"g{i}": -p + 0.5 * rng.standard_normal(n) for i in range(6)},
                          **{f"x{i}": (-q if i < 2 else 0) + 0.5 * rng.standard_normal(n)
                             for i in range(6)}}).T
    mirs = pd.DataFrame({"m1": p + 0.4 * rng.standard_normal(n), "m2": p + 0.4 * rng.standard_normal(n),
                         "m3": q + 0.4 * rng.standard_normal(n)}).T
    # each target has one interaction: m1 -> g0-g2, m2 -> g3-g5; m3 represses x0 and x1 alone
    edges = pd.DataFrame([("m1", f"g{i}") for i in range(3)] + [("m2", f"g{i}") for i in range(3, 6)]
                         + [("m3", "x0"), ("m3", "x1")], columns=["mirna", "target"])
    mirna_clusters = pd.Series(0, index=mirs.index)
    mrna_clusters = pd.Series({**{f"g{i}": 0 for i in range(6)}, **{f"x{i}": 1 for i in range(6)}})

    def joined(cores):
        return join_modules(mirna_clusters, mrna_clusters, edges, repression="edges", refine="partial",
                            mirna_profiles=mirs, mrna_profiles=genes, single_mirna_cores=cores)

    def groups(cores):
        return joined(cores).modules.groups()

    # the join's components in cluster 0 have one miRNA each: no module
    assert groups("drop") == {}
    # grown from the largest one (m1's, ties broken by the sorted members): the whole module
    assert groups("grow") == {"M001": (["m1", "m2"], [f"g{i}" for i in range(6)])}
    # two one-miRNA cores (m1's in cluster 0, m3's in cluster 1); m3's finds no co-expressed miRNA
    # and is dropped
    assert joined("grow").refinement_counts == {"weak_route_modules_asked": 0, "weak_route_modules_taken": 0,
                                                "single_mirna_candidates": 2, "single_mirna_kept": 1}
    assert joined("drop").refinement_counts["single_mirna_candidates"] == 0
    with pytest.raises(InputDataError, match="single_mirna_cores"):
        groups("keep")


def test_refine_module_defaults_to_the_centroid_rule_and_needs_both_weak_settings():
    from mirmodules.methods.join import _own_clusters, refine_module, standardised_profiles

    mirna_clusters, mrna_clusters, edges, mirna, mrna = _background_fixture()
    z_mirna, z_mrna = standardised_profiles(mirna, mrna)
    own = (_own_clusters(z_mirna, mirna_clusters), _own_clusters(z_mrna, mrna_clusters))
    targets_of = edges.groupby("mirna")["target"].apply(set).to_dict()
    args = (["a1", "a2"], ["g1", "g2", "g3"], targets_of, z_mirna, z_mrna)
    # g4 is held back by its own cluster under the centroid rule, taken back by the partial one
    assert refine_module(*args, own=own)[1] == ["g1", "g2", "g3"]
    assert refine_module(*args, own=own, partial=True)[1] == ["g1", "g2", "g3", "g4"]
    # the weak route needs both its fraction and the interactions that passed the join's test
    everything = {m: set(mrna.index) for m in ("a1", "a2")}
    assert refine_module(*args, strong_targets_of=everything)[1] == refine_module(*args)[1]


def test_recovery_scores_by_hand_and_when_a_side_is_empty():
    kinds = ["mirna", "mrna", "mrna", "mrna", "mirna", "mrna", "mrna"]
    truth = module_set_from_members(pd.DataFrame({
        "module_id": ["T1"] * 4 + ["T2"] * 3, "kind": kinds, "feature": ["a", "x", "y", "z", "b", "u", "v"]}))
    found = module_set_from_members(pd.DataFrame({
        "module_id": ["M1"] * 3, "kind": ["mirna", "mrna", "mrna"], "feature": ["a", "x", "y"]}))
    scores = recovery_scores(truth, found)
    # T1 best match M1: 3 / 4; T2 matches nothing: 0 -> recovery 0.375; M1's best is T1: 0.75
    assert scores == {"recovery": 0.375, "relevance": 0.75, "n_truth": 2.0, "n_found": 1.0}
    empty = module_set_from_members(pd.DataFrame(columns=["module_id", "feature", "kind"]))
    zero = {"recovery": 0.0, "relevance": 0.0}
    assert recovery_scores(truth, empty) == {**zero, "n_truth": 2.0, "n_found": 0.0}
    assert recovery_scores(empty, found) == {**zero, "n_truth": 0.0, "n_found": 1.0}


def test_repression_threshold_at_its_edges():
    import numpy as np
    from scipy.stats import norm

    from mirmodules.methods.join import repression_threshold

    # three samples leave no degree of freedom for Fisher's z (n - 3 = 0): no threshold
    assert repression_threshold(3, 0.05) == 0.0 and repression_threshold(2, 0.05) == 0.0
    assert repression_threshold(4, 0.05) == pytest.approx(np.tanh(norm.ppf(0.05)))
    assert repression_threshold(40, 0.5) == 0.0
    for alpha, expected in [(0.0, "got 0.0"), (-0.1, "got -0.1"), (0.6, "got 0.6")]:
        with pytest.raises(InputDataError) as raised:
            repression_threshold(40, alpha)
        assert str(raised.value) == (f"The 'repression_alpha' parameter must be a number in (0.0, 0.5]; "
                                     f"{expected} instead.")


def test_join_logs_what_the_repression_test_set_aside_and_the_refinement_added(caplog):
    import logging

    import numpy as np
    from scipy import stats

    from mirmodules.methods.join import join_modules, repression_threshold

    mirna_clusters, mrna_clusters, edges, mirna, mrna = _refine_fixture()
    n = mirna.shape[1]
    level = repression_threshold(n, 0.05)
    r = [stats.pearsonr(mirna.loc[m], mrna.loc[t])[0]
         for m, t in zip(edges["mirna"], edges["target"], strict=True)]
    set_aside = int((np.asarray(r) >= level).sum())
    assert 0 < set_aside < len(edges)  # the fixture's g5 and g6 interactions, not the others
    with caplog.at_level(logging.INFO, logger="mirmodules.methods.join"):
        joined = join_modules(mirna_clusters, mrna_clusters, edges, repression="edges", refine="centroid",
                              mirna_profiles=mirna, mrna_profiles=mrna, repression_alpha=0.05)
    assert (f"stage 3: {set_aside} of {len(edges)} interactions not negatively correlated here "
            f"(r >= {level:.3f}, one-sided alpha 0.05), set aside") in caplog.messages
    assert joined.repression_counts == (len(edges), len(edges) - set_aside)
    cores = sum(len(a) + len(b) for a, b in joined.cores.values())
    members = sum(len(m) for m in joined.modules.as_sets().values())
    assert members > cores  # the refinement took back a3 and g4
    assert (f"stage 3: refinement added {members - cores} features to {len(joined.cores)} modules "
            "(refine=centroid, fraction 0.50)") in caplog.messages


def test_components_keeps_a_valid_component_after_one_that_is_too_small():
    from mirmodules.methods.join import join_modules

    # component 1: one miRNA with five targets (5 interactions, too few miRNAs); component 2: two
    # miRNAs with two targets (4 interactions). The bigger one is looked at first and set aside.
    edges = pd.DataFrame([("m1", f"g{i}") for i in range(5)]
                         + [(m, t) for m in ("m2", "m3") for t in ("t1", "t2")], columns=["mirna", "target"])
    mirna_clusters = _series({"m1": 0, "m2": 0, "m3": 0})
    mrna_clusters = _series({**{f"g{i}": 0 for i in range(5)}, "t1": 0, "t2": 0})
    joined = join_modules(mirna_clusters, mrna_clusters, edges, combine="components", repression="any",
                          refine="none", min_mirnas=2, min_mrnas=2)
    assert list(joined.modules.as_sets().values()) == [{"m2", "m3", "t1", "t2"}]


def test_merge_with_the_repression_test_off_logs_and_needs_profiles(caplog):
    import logging

    from mirmodules.methods.join import join_modules

    mirna, mrna, inter, mir_clusters, mrna_clusters = _split_module_fixture()
    with caplog.at_level(logging.INFO, logger="mirmodules.methods.join"):
        joined = join_modules(mir_clusters, mrna_clusters, inter, repression="any", refine="none",
                              mirna_profiles=mirna, mrna_profiles=mrna, merge="pieces")
    assert len(joined.modules.as_sets()) == 2   # the two pieces of the first module are one again
    assert "stage 3: 4 cluster pairs with interactions, 3 modules kept" in caplog.messages
    assert ("stage 3: 3 modules merged into 2 (pieces of one programme: mRNA mean profiles r >= 0.80, "
            "miRNA overlap >= 0.50)") in caplog.messages
    # a profile correlation required above what the pieces reach keeps them apart
    apart = join_modules(mir_clusters, mrna_clusters, inter, repression="any", refine="none",
                         mirna_profiles=mirna, mrna_profiles=mrna, merge="pieces", merge_correlation=0.999)
    assert len(apart.modules.as_sets()) == 3
    with pytest.raises(InputDataError) as raised:
        join_modules(mir_clusters, mrna_clusters, inter, repression="any", refine="none", merge="pieces")
    assert str(raised.value) == ("merge needs mirna_profiles and mrna_profiles to correlate the modules' "
                                 "mean profiles.")


def test_join_takes_the_weak_target_route_from_join_modules():
    import numpy as np

    from mirmodules.methods.join import join_modules

    # the weak-route fixture at the join's level: "weak" follows the module's programme weakly,
    # its interaction with m0 passes the repression test, and K-means put it among unrelated genes
    rng = np.random.default_rng(2)
    n = 80
    p = rng.standard_normal(n)
    rows = {f"g{i}": -p + 0.4 * rng.standard_normal(n) for i in range(6)}
    rows["weak"] = -0.35 * p + rng.standard_normal(n)
    rows |= {f"x{i}": rng.standard_normal(n) for i in range(8)}
    genes = pd.DataFrame(rows).T
    mirs = pd.DataFrame({f"m{i}": p + 0.4 * rng.standard_normal(n) for i in range(3)}).T
    members = [f"g{i}" for i in range(6)]
    edges = pd.DataFrame([(m, g) for m in ("m0", "m1", "m2") for g in members] + [("m0", "weak")],
                         columns=["mirna", "target"])
    mirna_clusters = pd.Series(0, index=mirs.index)
    mrna_clusters = pd.Series({**dict.fromkeys(members, 0), "weak": 1, **{f"x{i}": 1 for i in range(8)}})
    groups = {w: join_modules(mirna_clusters, mrna_clusters, edges, repression="edges", refine="centroid",
                              mirna_profiles=mirs, mrna_profiles=genes,
                              refine_weak_fraction=w).modules.groups() for w in (None, 0.25)}
    assert groups[None] == {"M001": (["m0", "m1", "m2"], members)}
    assert groups[0.25] == {"M001": (["m0", "m1", "m2"], [*members, "weak"])}
    # the gate: the weak target's interaction sets it apart from the eight noise genes -> admitted;
    # when the eight genes follow the module as weakly, the interaction tells nothing -> held back
    gated = join_modules(mirna_clusters, mrna_clusters, edges, repression="edges", refine="centroid",
                         mirna_profiles=mirs, mrna_profiles=genes, refine_weak_fraction=0.25,
                         refine_weak_fdr=0.2)
    assert gated.modules.groups() == groups[0.25]
    block = genes.copy()
    block.loc[[f"x{i}" for i in range(8)]] = [-0.35 * p + rng.standard_normal(n) for _ in range(8)]
    held = join_modules(mirna_clusters, mrna_clusters, edges, repression="edges", refine="centroid",
                        mirna_profiles=mirs, mrna_profiles=block, refine_weak_fraction=0.25,
                        refine_weak_fdr=0.2)
    assert held.modules.groups() == {"M001": (["m0", "m1", "m2"], members)}
    # the counts the manifest sums: one module asked, let through once and held back once
    assert gated.refinement_counts == {"weak_route_modules_asked": 1, "weak_route_modules_taken": 1,
                                       "single_mirna_candidates": 0, "single_mirna_kept": 0}
    assert held.refinement_counts["weak_route_modules_taken"] == 0
    assert held.refinement_counts["weak_route_modules_asked"] == 1
