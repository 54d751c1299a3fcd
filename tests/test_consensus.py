"""Consensus modules: the matched rule (default) and the pair rule, on hand-made runs."""

from __future__ import annotations

import pandas as pd
import pytest

from mirmodules.datatypes import module_set_from_groups
from mirmodules.exceptions import InputDataError
from mirmodules.methods.consensus import consensus_modules

#: every miRNA of a..f interacts with every target of p..z: edges never limit the modules here
INTERACTIONS = pd.DataFrame([(m, t) for m in "abcdef" for t in "pqrstuvwxyz"], columns=["mirna", "target"])


def runs(*groups_per_run):
    return [module_set_from_groups(groups, INTERACTIONS) for groups in groups_per_run]


def test_members_in_at_least_half_of_the_runs_are_kept():
    # one module, seen in three runs with different edges: r in 2 runs, s in 1, c in 2, d in 1
    sets = runs([(["a", "b", "c"], ["p", "q", "r"])],
                [(["a", "b", "c"], ["p", "q", "r", "s"])],
                [(["a", "b", "d"], ["p", "q"])])
    assert consensus_modules(sets, INTERACTIONS).groups() == {"M001": (["a", "b", "c"], ["p", "q", "r"])}
    # all three runs must agree: only the common core
    assert consensus_modules(sets, INTERACTIONS, min_frequency=1.0).groups() == {
        "M001": (["a", "b"], ["p", "q"])}


def test_a_module_of_one_run_in_three_is_dropped():
    common = (["a", "b"], ["p", "q", "r"])
    sets = runs([common, (["e", "f"], ["w", "x", "y"])], [common], [common])
    assert consensus_modules(sets, INTERACTIONS).groups() == {"M001": (["a", "b"], ["p", "q", "r"])}


def test_modules_that_share_a_mirna_stay_apart_under_the_matched_rule_only():
    first, second = (["a", "b"], ["p", "q", "r"]), (["a", "c"], ["w", "x", "y"])
    sets = runs([first, second], [first, second], [first, second])
    assert consensus_modules(sets, INTERACTIONS).groups() == {"M001": first, "M002": second}
    merged = consensus_modules(sets, INTERACTIONS, rule="pairs").groups()
    assert merged == {"M001": (["a", "b", "c"], ["p", "q", "r", "w", "x", "y"])}


def test_modules_below_the_match_jaccard_do_not_match():
    # the two versions share a, p, q of 7 members: Jaccard 3/7 = 0.43
    sets = runs([(["a", "b"], ["p", "q", "r"])], [(["a", "c"], ["p", "q", "s"])])
    # not matched at 0.5: each is in one run of two, and 0.6 of the runs needs both
    assert consensus_modules(sets, INTERACTIONS, min_frequency=0.6).n_modules == 0
    # matched at 0.4: the members of both runs are a, p and q
    assert consensus_modules(sets, INTERACTIONS, min_frequency=0.6, match_jaccard=0.4,
                             min_mirnas=1).groups() == {"M001": (["a"], ["p", "q"])}
    # half of two runs is one run: every member of the matched pair is kept
    assert consensus_modules(sets, INTERACTIONS, match_jaccard=0.4).groups() == {
        "M001": (["a", "b", "c"], ["p", "q", "r", "s"])}
    # unmatched, each module is its own consensus at half of two runs
    assert consensus_modules(sets, INTERACTIONS).n_modules == 2


def test_modules_grown_differently_from_one_core_match_through_their_cores():
    # the same core (a, b; p, q) grown by refinement into different features in each run: the
    # grown modules' Jaccard is 5/11 (runs 1, 2) or 4/11 (with run 3), below the 0.5 match
    core = (["a", "b"], ["p", "q"])
    grown = [(["a", "b"], ["p", "q", "r", "s", "t", "z"]), (["a", "b"], ["p", "q", "u", "v", "w", "z"]),
             (["a", "b", "c"], ["p", "q", "x", "y"])]
    sets = runs(*([group] for group in grown))
    assert consensus_modules(sets, INTERACTIONS).n_modules == 0
    cores = [{"M001": core}] * 3
    # matched by their cores: the members in two of the three runs (z came in twice)
    assert consensus_modules(sets, INTERACTIONS, cores=cores).groups() == {
        "M001": (["a", "b"], ["p", "q", "z"])}
    # different cores and unmatched members stay apart
    other = [{"M001": core}, {"M001": (["c", "d"], ["r", "s"])}, {"M001": (["e", "f"], ["u", "v"])}]
    assert consensus_modules(sets, INTERACTIONS, cores=other).n_modules == 0
    with pytest.raises(ValueError, match="one mapping per run"):
        consensus_modules(sets, INTERACTIONS, cores=cores[:2])


def test_edges_are_the_given_interactions_between_members():
    sets = runs([(["a", "b"], ["p", "q"])], [(["a", "b"], ["p", "q"])])
    only = INTERACTIONS[(INTERACTIONS["mirna"] == "a") | (INTERACTIONS["target"] == "p")]
    edges = consensus_modules(sets, only).edges
    assert sorted(zip(edges["mirna"], edges["target"], strict=True)) == [("a", "p"), ("a", "q"), ("b", "p")]


def test_bad_settings_are_refused():
    sets = runs([(["a", "b"], ["p", "q"])])
    with pytest.raises(InputDataError, match="rule"):
        consensus_modules(sets, INTERACTIONS, rule="vote")  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="match_jaccard"):
        consensus_modules(sets, INTERACTIONS, match_jaccard=0.0)
