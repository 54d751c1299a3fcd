"""How well a found module set matches a reference (planted modules or another run): best-match Jaccard."""

from __future__ import annotations

import logging

import pandas as pd

from mirmodules.datatypes import ModuleSet

logger = logging.getLogger(__name__)


def best_match_jaccard(reference: ModuleSet, found: ModuleSet) -> pd.DataFrame:
    """For each reference module, the found module with the highest Jaccard index of members.

    Members are compared as sets of features (miRNAs and mRNAs together).

    Returns
    -------
    pandas.DataFrame
        Columns ``module_id`` (reference), ``best_match`` (found id or empty), ``jaccard``.
    """
    ref_sets, found_sets = reference.as_sets(), found.as_sets()
    rows = []
    for rid, rset in ref_sets.items():
        best_id, best = "", 0.0
        for fid, fset in found_sets.items():
            j = len(rset & fset) / len(rset | fset)
            if j > best:
                best_id, best = fid, j
        rows.append((rid, best_id, best))
    return pd.DataFrame(rows, columns=["module_id", "best_match", "jaccard"])


def reachable_members(truth: ModuleSet, interactions: pd.DataFrame) -> pd.DataFrame:
    """How much of each planted module a method that needs an interaction per member can find.

    A planted mRNA is *reachable* when ``interactions`` (columns ``mirna``, ``target``) link it to
    at least one miRNA of its own module, and a planted miRNA when they link it to at least one of
    the module's mRNAs. Finding exactly the reachable members scores ``ceiling`` (their share of
    the module's members, the best-match Jaccard of that set): the mean over modules bounds the
    recovery of MICA, its ablations and every join that keeps only linked members, whatever the
    clustering.

    Returns
    -------
    pandas.DataFrame
        One row per planted module: ``module_id``, ``n_mirnas``, ``n_mrnas``,
        ``reachable_mirnas``, ``reachable_mrnas``, ``ceiling``.

    Examples
    --------
    >>> import pandas as pd
    >>> from mirmodules.datatypes import module_set_from_members
    >>> truth = module_set_from_members(pd.DataFrame({
    ...     "module_id": "T1", "kind": ["mirna", "mirna", "mrna", "mrna", "mrna"],
    ...     "feature": ["a", "b", "x", "y", "z"]}))
    >>> inter = pd.DataFrame({"mirna": ["a", "a", "c"], "target": ["x", "y", "z"]})
    >>> table = reachable_members(truth, inter)
    >>> table[["reachable_mirnas", "reachable_mrnas", "ceiling"]].to_numpy().tolist()
    [[1.0, 2.0, 0.6]]
    """
    pairs = interaction_pairs(interactions)
    rows = []
    for module_id, (mirnas, mrnas) in truth.groups().items():
        linked_mirnas, linked_mrnas = reachable(mirnas, mrnas, pairs)
        rows.append((module_id, len(mirnas), len(mrnas), len(linked_mirnas), len(linked_mrnas),
                     (len(linked_mirnas) + len(linked_mrnas)) / (len(mirnas) + len(mrnas))))
    return pd.DataFrame(rows, columns=["module_id", "n_mirnas", "n_mrnas", "reachable_mirnas",
                                       "reachable_mrnas", "ceiling"])


def interaction_pairs(interactions: pd.DataFrame) -> set[tuple[str, str]]:
    """The (miRNA, target) pairs of an interactions table, as a set."""
    return set(zip(interactions["mirna"], interactions["target"], strict=True))


def reachable(mirnas: list[str], mrnas: list[str], pairs: set[tuple[str, str]]) -> tuple[set[str], set[str]]:
    """The miRNAs and mRNAs of one module linked by ``pairs`` to the module's other side."""
    return ({m for m in mirnas if any((m, g) in pairs for g in mrnas)},
            {g for g in mrnas if any((m, g) in pairs for m in mirnas)})


def recovery_scores(truth: ModuleSet, found: ModuleSet) -> dict[str, float]:
    """Mean best-match Jaccard in both directions.

    ``recovery``: over planted (truth) modules, how well each is found (the headline number).
    ``relevance``: over found modules, how well each matches some planted module (penalises
    spurious modules). Both are 0 when a side is empty.
    """
    rec = best_match_jaccard(truth, found)["jaccard"]
    rel = best_match_jaccard(found, truth)["jaccard"]
    return {
        "recovery": float(rec.mean()) if len(rec) else 0.0,
        "relevance": float(rel.mean()) if len(rel) else 0.0,
        "n_truth": float(truth.n_modules),
        "n_found": float(found.n_modules),
    }
