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
