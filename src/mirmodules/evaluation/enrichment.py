"""Over-representation tests (miRNA families, GO / KEGG terms).

Every test here is the hypergeometric upper tail ``P(X >= k)`` for ``X ~ Hypergeom(N, K, n)``:
``N`` annotated background features, ``K`` of them in the family / term, ``n`` annotated module
members, ``k`` of those in the family / term. Benjamini-Hochberg q-values are computed over all
tests of one table (all modules x all families; all modules x all terms of one collection).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import sparse, stats

from mirmodules._stats import benjamini_hochberg
from mirmodules._validation import check_in_range
from mirmodules.datatypes import ModuleSet
from mirmodules.exceptions import InputDataError
from mirmodules.inputs.annotations import FamilyAnnotation, GeneSetCollection

logger = logging.getLogger(__name__)


FAMILY_ENRICHMENT_COLUMNS = [
    "module_id",
    "family_id",
    "family_name",
    "n_in_module",
    "n_module_annotated",
    "family_size",
    "background_size",
    "members",
    "p_value",
    "q_value",
    "enriched",
]


TERM_ENRICHMENT_COLUMNS = [
    "collection",
    "module_id",
    "term_id",
    "term_name",
    "n_in_module",
    "n_module_annotated",
    "term_size",
    "background_size",
    "genes",
    "p_value",
    "q_value",
    "significant",
    "significant_lenient",
]


def hypergeometric_upper_tail(
    k: np.ndarray | int, population: np.ndarray | int, successes: np.ndarray | int, draws: np.ndarray | int
) -> np.ndarray:
    """``P(X >= k)`` for ``X ~ Hypergeom(population, successes, draws)`` (vectorised).

    >>> round(float(hypergeometric_upper_tail(2, 10, 3, 4)), 6)  # 1 - P(0) - P(1)
    0.333333
    """
    return np.asarray(stats.hypergeom.sf(np.asarray(k) - 1, population, successes, draws), dtype=float)


def _with_p_and_q(table: pd.DataFrame, background_size: int, set_size_column: str) -> pd.DataFrame:
    """Add the hypergeometric ``p_value`` of each row and the BH ``q_value`` over all rows."""
    p = (
        hypergeometric_upper_tail(
            table["n_in_module"].to_numpy(),
            background_size,
            table[set_size_column].to_numpy(),
            table["n_module_annotated"].to_numpy(),
        )
        if len(table)
        else np.array([], dtype=float)
    )
    return table.assign(p_value=p, q_value=benjamini_hochberg(p))


def family_enrichment(
    modules: ModuleSet,
    families: FamilyAnnotation,
    analysed_mirnas: Iterable[str],
    *,
    min_family_size: int = 2,
    q_threshold: float = 0.05,
    min_overlap: int = 2,
) -> pd.DataFrame:
    """miRNA-family over-representation in each module.

    Parameters
    ----------
    modules
        The module set.
    families
        Family of each miRNA (:func:`~mirmodules.inputs.annotations.read_families`).
    analysed_mirnas
        The analysed miRNAs; the background is those of them that have a family.
    min_family_size
        Families with fewer background members are not tested (a one-member family cannot be
        over-represented in a meaningful way).
    q_threshold, min_overlap
        ``enriched`` is ``q_value < q_threshold`` with at least ``min_overlap`` module miRNAs in
        the family. One member is no over-representation, yet a module of six annotated miRNAs
        holding one of a two-member family has p = 0.026 against 464 miRNAs, and BH over the rows
        (each with a member) can pass it: on CancerSubtypes GBM 54 of Mirsynergy's 62 calls were
        such.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FAMILY_ENRICHMENT_COLUMNS`: one row per (module, family) with at least one
        module member in the family; q-values by BH over all those rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from mirmodules.inputs.annotations import FamilyAnnotation
    >>> from mirmodules.datatypes import module_set_from_members
    >>> fam = FamilyAnnotation(pd.DataFrame({"mirna": list("abcdef"), "family_id": ["F1"] * 3 + ["F2"] * 3,
    ...                                      "family_name": ["F1"] * 3 + ["F2"] * 3}), "toy")
    >>> members = pd.DataFrame({"module_id": ["M1"] * 4, "feature": ["a", "b", "g1", "g2"],
    ...                         "kind": ["mirna", "mirna", "mrna", "mrna"]})
    >>> mods = module_set_from_members(members)
    >>> table = family_enrichment(mods, fam, list("abcdef"))
    >>> table[["family_id", "n_in_module", "family_size", "background_size"]].values.tolist()
    [['F1', 2, 3, 6]]
    >>> round(float(table["p_value"].iloc[0]), 4)  # P(X >= 2), X ~ Hypergeom(6, 3, 2) = 3/15
    0.2
    """
    check_in_range(min_family_size, "min_family_size", low=1)
    check_in_range(q_threshold, "q_threshold", low=0.0, high=1.0)
    check_in_range(min_overlap, "min_overlap", low=1, integer=True)
    family_of = families.family_of()
    names = dict(zip(families.table["family_id"], families.table["family_name"], strict=False))
    background = sorted({m for m in analysed_mirnas if m in family_of})
    sizes = pd.Series([family_of[m] for m in background], dtype=object).value_counts()
    rows = []
    for mid, (members, _) in modules.groups().items():
        annotated = [m for m in members if m in family_of]
        by_family: dict[str, list[str]] = {}
        for m in annotated:
            by_family.setdefault(family_of[m], []).append(m)
        for fam, hits in sorted(by_family.items()):
            if sizes.get(fam, 0) < min_family_size:
                continue
            rows.append(
                (
                    mid,
                    fam,
                    names.get(fam, fam),
                    len(hits),
                    len(annotated),
                    int(sizes[fam]),
                    len(background),
                    ";".join(sorted(hits)),
                )
            )
    table = _with_p_and_q(
        pd.DataFrame(rows, columns=FAMILY_ENRICHMENT_COLUMNS[:8]), len(background), "family_size"
    )
    table["enriched"] = (table["q_value"] < q_threshold) & (table["n_in_module"] >= min_overlap)
    logger.info(
        "family enrichment: %d tests, %d enriched at q < %g with at least %d module miRNAs "
        "(background %d miRNAs)",
        len(table),
        int(table["enriched"].sum()),
        q_threshold,
        min_overlap,
        len(background),
    )
    return table[FAMILY_ENRICHMENT_COLUMNS]


def term_enrichment(
    modules: ModuleSet,
    collection: GeneSetCollection,
    analysed_mrnas: Iterable[str],
    *,
    min_term_size: int = 5,
    max_term_size: int = 500,
    q_threshold: float = 0.05,
    min_overlap: int = 3,
    p_threshold: float = 0.005,
) -> pd.DataFrame:
    """GO / KEGG over-representation of each module's mRNAs in one gene-set collection.

    The background is the analysed mRNAs annotated to at least one term of the collection; term
    sizes are counted inside that background and terms outside ``[min_term_size, max_term_size]``
    are not tested. ``q_value`` is BH over every test of the collection. ``significant`` (strict,
    the headline) needs ``q_value < q_threshold`` and at least ``min_overlap`` module genes in the
    term; ``significant_lenient`` is the paper's cut, raw ``p_value < p_threshold`` with any
    overlap (a 2-gene overlap with a small term passes it easily).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TERM_ENRICHMENT_COLUMNS`: one row per (module, term) with at least one
        module mRNA in the term.
    """
    check_in_range(min_term_size, "min_term_size", low=1)
    check_in_range(max_term_size, "max_term_size", low=min_term_size)
    check_in_range(p_threshold, "p_threshold", low=0.0, high=1.0)
    analysed = set(analysed_mrnas)
    background = sorted(analysed & collection.genes)
    if not background:
        shown = ", ".join(sorted(collection.genes)[:3])
        msg = (f"Gene-set collection {collection.name!r}: none of its {len(collection.genes)} genes is an "
               f"analysed mRNA (its genes look like {shown}; the expression's like "
               f"{', '.join(sorted(analysed)[:3])}). Is it a GMT file (term, description, genes) with the "
               "expression's gene ids?")
        raise InputDataError(msg)
    index = {g: i for i, g in enumerate(background)}
    terms: list[str] = []
    cols_i: list[int] = []
    rows_i: list[int] = []
    for term, genes in collection.sets.items():
        hits = [index[g] for g in genes if g in index]
        if min_term_size <= len(hits) <= max_term_size:
            rows_i += hits
            cols_i += [len(terms)] * len(hits)
            terms.append(term)
    membership = sparse.csr_matrix(
        (np.ones(len(rows_i), dtype=np.int32), (rows_i, cols_i)), shape=(len(background), len(terms))
    )
    term_sizes = np.asarray(membership.sum(axis=0)).ravel()
    csc = membership.tocsc()
    rows = []
    for mid, (_, members) in modules.groups().items():
        annotated = sorted({index[g] for g in members if g in index})
        if not annotated:
            continue
        counts = np.asarray(membership[annotated].sum(axis=0)).ravel()
        for t in np.flatnonzero(counts):
            genes_in = csc.indices[csc.indptr[t] : csc.indptr[t + 1]]
            hit_genes = sorted(background[i] for i in set(genes_in) & set(annotated))
            rows.append(
                (
                    collection.name,
                    mid,
                    terms[t],
                    collection.descriptions.get(terms[t], ""),
                    int(counts[t]),
                    len(annotated),
                    int(term_sizes[t]),
                    len(background),
                    ";".join(hit_genes),
                )
            )
    table = _with_p_and_q(
        pd.DataFrame(rows, columns=TERM_ENRICHMENT_COLUMNS[:9]), len(background), "term_size"
    )
    check_in_range(q_threshold, "q_threshold", low=0.0, high=1.0)
    check_in_range(min_overlap, "min_overlap", low=1, integer=True)
    table["significant"] = (table["q_value"] < q_threshold) & (table["n_in_module"] >= min_overlap)
    table["significant_lenient"] = table["p_value"] < p_threshold
    logger.info(
        "%s: %d terms tested (size %d-%d in a background of %d mRNAs), %d tests, %d at q < %g with "
        ">= %d genes (%d at raw p < %g)",
        collection.name,
        len(terms),
        min_term_size,
        max_term_size,
        len(background),
        len(table),
        int(table["significant"].sum()),
        q_threshold,
        min_overlap,
        int(table["significant_lenient"].sum()),
        p_threshold,
    )
    return table[TERM_ENRICHMENT_COLUMNS]
