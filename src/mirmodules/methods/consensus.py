"""Consensus modules over several runs: pairs that share a module in at least half of them.

The co-membership frequency of a miRNA-mRNA pair is the share of runs in which some module holds
both. Pairs at frequency >= ``min_frequency`` form a bipartite graph; each connected component
with >= 2 miRNAs and >= 2 mRNAs is a consensus module. ``mirmodules run --consensus-seeds N`` (MICA over N
seeds) and ``mirmodules stability`` (reruns over seeds, bootstraps and sample orders) use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import pandas as pd

from mirmodules._validation import check_in_range
from mirmodules.datatypes import ModuleSet, module_set_from_groups


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


def consensus_modules(
    module_sets: Sequence[ModuleSet],
    interactions: pd.DataFrame,
    *,
    min_frequency: float = 0.5,
    min_mirnas: int = 2,
    min_mrnas: int = 2,
) -> ModuleSet:
    """Consensus modules: components of the miRNA-mRNA pairs that share a module in at least
    ``min_frequency`` of the runs (see the module docstring)."""
    check_in_range(min_frequency, "min_frequency", low=0.0, high=1.0, low_inclusive=False)
    pairs = co_membership(module_sets)
    pairs = pairs[pairs["frequency"] >= min_frequency]
    graph = nx.Graph()
    graph.add_edges_from(
        (("mirna", m), ("mrna", g)) for m, g in zip(pairs["mirna"], pairs["mrna"], strict=True)
    )
    groups = []
    for component in nx.connected_components(graph):
        groups.append(([n for k, n in component if k == "mirna"], [n for k, n in component if k == "mrna"]))
    return module_set_from_groups(groups, interactions, min_mirnas=min_mirnas, min_mrnas=min_mrnas)
