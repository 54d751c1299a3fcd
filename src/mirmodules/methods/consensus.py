"""Consensus modules over several runs of a method (seeds, K-means runs, bootstraps).

Two rules, both keeping what at least ``min_frequency`` of the runs agree on:

``matched`` (the default)
    Modules of different runs are *matched* when the Jaccard index of their members (miRNAs and
    mRNAs together) is at least ``match_jaccard``, or, when the runs' ``cores`` are given (MICA's
    modules before refinement), that of their cores is; each connected group of matched modules found
    in at least ``ceil(min_frequency x runs)`` runs gives one consensus module, whose members are
    the features that belong to the group's modules in at least that many runs. Modules that
    share members stay apart unless they match: MICA's default modules often share miRNAs (every
    mRNA cluster picks its own from one miRNA cluster).
``pairs``
    The co-membership rule: miRNA-mRNA pairs that share a module in at least ``min_frequency``
    of the runs form a bipartite graph and each connected component is a consensus module. Two
    modules that share one miRNA in most runs become one component (docs/method_choices.md).

Consensus modules with fewer than ``min_mirnas`` miRNAs or ``min_mrnas`` mRNAs are dropped; their
edges are the interactions given between their members. ``mirmodules run --kmeans-runs N`` (the
default preset's 3), ``run --consensus-seeds N`` and ``mirmodules stability`` use it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Literal

import networkx as nx
import pandas as pd

from mirmodules._validation import check_in_range, check_one_of
from mirmodules.datatypes import ModuleGroups, ModuleSet, module_set_from_groups

ConsensusRule = Literal["matched", "pairs"]
CONSENSUS_RULES = ("matched", "pairs")
#: One line per rule, as manifests record it.
RULE_DESCRIPTIONS = {
    "matched": "modules of different runs matched at member Jaccard >= match_jaccard (0.5); a matched "
    "group in at least min_frequency of the runs keeps the members in at least that share; >= "
    "min_mirnas miRNAs and >= min_mrnas mRNAs",
    "pairs": "miRNA-mRNA pairs that share a module in at least min_frequency of the runs; components "
    "with >= min_mirnas miRNAs and >= min_mrnas mRNAs",
}


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


def edges_of(module_sets: Sequence[ModuleSet]) -> pd.DataFrame:
    """The interactions inside the modules of ``module_sets`` (columns ``module_id``, ``mirna``,
    ``target``, duplicates kept): the edges a consensus of MICA runs may hold, i.e. those that
    passed the runs' repression test, not every input interaction between its members."""
    return pd.concat([modules.edges for modules in module_sets], ignore_index=True)


def consensus_modules(
    module_sets: Sequence[ModuleSet],
    interactions: pd.DataFrame,
    *,
    min_frequency: float = 0.5,
    min_mirnas: int = 2,
    min_mrnas: int = 2,
    rule: ConsensusRule = "matched",
    match_jaccard: float = 0.5,
    cores: Sequence[ModuleGroups] | None = None,
) -> ModuleSet:
    """Consensus modules of several runs (see the module docstring for the two rules).

    Parameters
    ----------
    module_sets
        One :class:`ModuleSet` per run.
    interactions
        Columns ``mirna``, ``target``: the edges a consensus module may hold.
    min_frequency
        Share of the runs that must agree (``matched``: runs holding a matched module and a member;
        ``pairs``: runs in which a pair shares a module).
    min_mirnas, min_mrnas
        Smallest consensus module kept.
    rule
        ``"matched"`` or ``"pairs"``.
    match_jaccard
        ``matched``: smallest Jaccard index of two modules' members that matches them.
    cores
        ``matched``: one mapping per run, module id -> (miRNAs, mRNAs) of the module's core
        (:attr:`~mirmodules.methods.join.JoinedModules.cores`); two modules also match when
        their cores do. Without it, modules match on their members alone.

    Examples
    --------
    Two runs have two modules that share miRNA ``a``; the third run found only the first. Both
    modules are in at least two of the three runs, and they stay apart:

    >>> import pandas as pd
    >>> from mirmodules.datatypes import module_set_from_groups
    >>> inter = pd.DataFrame({"mirna": list("aabbaacc"), "target": list("xyxyuvuv")})
    >>> first, second = (["a", "b"], ["x", "y"]), (["a", "c"], ["u", "v"])
    >>> runs = [module_set_from_groups(g, inter) for g in ([first, second], [first, second], [first])]
    >>> consensus_modules(runs, inter).groups()
    {'M001': (['a', 'b'], ['x', 'y']), 'M002': (['a', 'c'], ['u', 'v'])}
    >>> consensus_modules(runs, inter, rule="pairs").n_modules  # one component through miRNA a
    1
    """
    check_in_range(min_frequency, "min_frequency", low=0.0, high=1.0, low_inclusive=False)
    check_in_range(match_jaccard, "match_jaccard", low=0.0, high=1.0, low_inclusive=False)
    check_one_of(rule, "rule", CONSENSUS_RULES)
    if rule == "pairs":
        groups, support = _pair_components(module_sets, min_frequency)
    else:
        groups, support = _matched_groups(module_sets, min_frequency, match_jaccard, cores)
    return module_set_from_groups(groups, interactions, min_mirnas=min_mirnas, min_mrnas=min_mrnas,
                                  confidence=support)


def _pair_components(
    module_sets: Sequence[ModuleSet], min_frequency: float
) -> tuple[list[tuple[list, list]], list[float]]:
    """Components of the frequent pairs, and each one's support: the median frequency of its pairs."""
    pairs = co_membership(module_sets)
    pairs = pairs[pairs["frequency"] >= min_frequency]
    graph = nx.Graph()
    for m, g, f in zip(pairs["mirna"], pairs["mrna"], pairs["frequency"], strict=True):
        graph.add_edge(("mirna", m), ("mrna", g), frequency=f)
    groups, support = [], []
    for component in nx.connected_components(graph):
        groups.append(([n for k, n in component if k == "mirna"], [n for k, n in component if k == "mrna"]))
        frequencies = [d["frequency"] for _, _, d in graph.subgraph(component).edges(data=True)]
        support.append(float(statistics.median(frequencies)))
    return groups, support


def _member_set(mirnas: list[str], mrnas: list[str]) -> frozenset[tuple[str, str]]:
    return frozenset([("mirna", m) for m in mirnas] + [("mrna", g) for g in mrnas])


def _matched_groups(
    module_sets: Sequence[ModuleSet],
    min_frequency: float,
    match_jaccard: float,
    cores: Sequence[ModuleGroups] | None = None,
) -> tuple[list[tuple[list, list]], list[float]]:
    """Matched groups found in enough runs, and each one's support: the share of the runs that
    hold a module of the group."""
    if cores is not None and len(cores) != len(module_sets):
        msg = f"cores: one mapping per run expected ({len(module_sets)}), got {len(cores)}."
        raise ValueError(msg)
    needed = math.ceil(min_frequency * len(module_sets) - 1e-9)
    # (run, members, core members); the core is the module itself when no cores are given
    modules: list[tuple[int, frozenset[tuple[str, str]], frozenset[tuple[str, str]]]] = []
    for run, module_set in enumerate(module_sets):
        for module_id, (mirnas, mrnas) in module_set.groups().items():
            members = _member_set(mirnas, mrnas)
            core = _member_set(*cores[run][module_id]) if cores is not None else members
            modules.append((run, members, core))

    def match(a: frozenset, b: frozenset) -> bool:
        return len(a & b) >= match_jaccard * len(a | b)

    graph = nx.Graph()
    graph.add_nodes_from(range(len(modules)))
    for i, (run_i, members_i, core_i) in enumerate(modules):
        for j in range(i + 1, len(modules)):
            run_j, members_j, core_j = modules[j]
            if run_i != run_j and (match(members_i, members_j) or match(core_i, core_j)):
                graph.add_edge(i, j)
    groups, support = [], []
    for component in sorted(nx.connected_components(graph), key=min):
        runs_of: dict[tuple[str, str], set[int]] = {}
        for i in component:
            for member in modules[i][1]:
                runs_of.setdefault(member, set()).add(modules[i][0])
        n_runs = len({modules[i][0] for i in component})
        if n_runs < needed:
            continue
        kept = sorted(member for member, runs in runs_of.items() if len(runs) >= needed)
        groups.append(([n for k, n in kept if k == "mirna"], [n for k, n in kept if k == "mrna"]))
        support.append(n_runs / len(module_sets))
    return groups, support
