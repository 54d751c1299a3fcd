"""Small statistics shared by the methods and the evaluation (multiple-testing correction)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
from scipy import stats

logger = logging.getLogger(__name__)


def benjamini_hochberg(p_values: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in input order; empty in, empty out.

    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(list(p_values), dtype=float)
    if p.size == 0:
        return p
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=float)
