"""The miRNA-target network the reconstructed baselines share: prior pairs that are also
significantly negatively correlated in the expression data."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from mirmodules._stats import benjamini_hochberg
from mirmodules.inputs.preprocessing import standardise_rows

logger = logging.getLogger(__name__)


def repressive_network(
    mirna: pd.DataFrame, mrna: pd.DataFrame, interactions: pd.DataFrame, *, q_threshold: float = 0.05
) -> pd.DataFrame:
    """Prior pairs with a negative Pearson correlation whose BH q (over all prior pairs) is small.

    Returns the columns ``mirna``, ``target``, ``r``, ``p_value``, ``q_value`` of the kept pairs.

    >>> samples = [f"s{i}" for i in range(8)]
    >>> x = np.arange(8.0)
    >>> mir = pd.DataFrame([x, np.sin(x)], index=["a", "b"], columns=samples)
    >>> gene = pd.DataFrame([-x + 0.01 * np.cos(x)], index=["g"], columns=samples)
    >>> prior = pd.DataFrame({"mirna": ["a", "b"], "target": ["g", "g"]})
    >>> repressive_network(mir, gene, prior)["mirna"].tolist()
    ['a']
    """
    pairs = interactions[["mirna", "target"]].drop_duplicates()
    pairs = pairs[pairs["mirna"].isin(mirna.index) & pairs["target"].isin(mrna.index)]
    n = mirna.shape[1]

    mirna = mirna.loc[mirna.index.isin(pairs["mirna"])]  # rows are standardised one by one:
    mrna = mrna.loc[mrna.index.isin(pairs["target"]), mirna.columns]  # the paired ones suffice
    zm = pd.DataFrame(standardise_rows(mirna), index=mirna.index)
    zg = pd.DataFrame(standardise_rows(mrna), index=mrna.index)
    r = np.einsum("ij,ij->i", zm.loc[pairs["mirna"]].to_numpy(), zg.loc[pairs["target"]].to_numpy()) / n
    r = np.clip(r, -1.0, 1.0)
    t = r * np.sqrt((n - 2) / np.maximum(1e-300, 1 - r**2))
    p = stats.t.sf(np.abs(t), n - 2) * 2
    q = benjamini_hochberg(p)
    out = pairs.assign(r=r, p_value=p, q_value=q)
    kept = out[(out["r"] < 0) & (out["q_value"] < q_threshold)].reset_index(drop=True)
    logger.info(
        "repressive network: %d of %d prior pairs negatively correlated at q < %g",
        len(kept),
        len(out),
        q_threshold,
    )
    return kept
