"""Per-module size, edges, density and miRNA-mRNA expression correlation (``module_summary.tsv``)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from mirmodules.datatypes import ModuleSet
from mirmodules.inputs.preprocessing import standardise_rows

logger = logging.getLogger(__name__)


TOPOLOGY_COLUMNS = [
    "module_id",
    "n_mirnas",
    "n_mrnas",
    "n_edges",
    "density",
    "mean_correlation",
    "mean_edge_correlation",
    "confidence",
]


def module_topology(
    modules: ModuleSet,
    *,
    mirna_expression: pd.DataFrame | None = None,
    mrna_expression: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-module size, edges, density and miRNA-mRNA expression correlation.

    ``density`` = module edges / (#miRNAs x #mRNAs). ``mean_correlation`` is the mean Pearson
    correlation over all miRNA x mRNA pairs of the module and ``mean_edge_correlation`` over its
    interaction edges only (repression shows as negative values); both need the expression
    matrices (features x samples, same sample columns) and are NaN without them.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOPOLOGY_COLUMNS`, one row per module.
    """
    summary = modules.summary()
    groups = modules.groups()
    have_expr = mirna_expression is not None and mrna_expression is not None
    if mirna_expression is not None and mrna_expression is not None:
        common = [s for s in mirna_expression.columns if s in set(mrna_expression.columns)]
        # only module members are standardised (row by row, so the same numbers as the whole matrix)
        members = set(modules.members["feature"])
        mir = mirna_expression.loc[mirna_expression.index.isin(members), common]
        gene = mrna_expression.loc[mrna_expression.index.isin(members), common]
        zm = pd.DataFrame(standardise_rows(mir), index=mir.index)
        zg = pd.DataFrame(standardise_rows(gene), index=gene.index)
    mean_corr, edge_corr = [], []
    for mid in summary["module_id"]:
        if not have_expr:
            mean_corr.append(np.nan)
            edge_corr.append(np.nan)
            continue
        m_ids = [f for f in groups[mid][0] if f in zm.index]
        g_ids = [f for f in groups[mid][1] if f in zg.index]
        if not m_ids or not g_ids:
            mean_corr.append(np.nan)
            edge_corr.append(np.nan)
            continue
        corr = pd.DataFrame(
            zm.loc[m_ids].to_numpy() @ zg.loc[g_ids].to_numpy().T / zm.shape[1], index=m_ids, columns=g_ids
        )
        mean_corr.append(float(corr.to_numpy().mean()))
        edges = modules.edges[modules.edges["module_id"] == mid]
        vals = [
            corr.at[a, b]
            for a, b in zip(edges["mirna"], edges["target"], strict=True)
            if a in corr.index and b in corr.columns
        ]
        edge_corr.append(float(np.mean(vals)) if vals else np.nan)
    out = summary.assign(mean_correlation=mean_corr, mean_edge_correlation=edge_corr)
    return out[TOPOLOGY_COLUMNS]
