"""Score any module set the way the MICA paper does: topology, families, GO/KEGG, survival.

:func:`evaluate_modules` works on tables in memory (a :class:`~mirmodules.modules.ModuleSet`
and the :class:`~mirmodules.pipeline.PreparedInputs` it was found on), so MICA's modules, a
baseline's and a user's own ``modules.tsv`` are scored by the same code.
Reading a run folder back and writing the evaluation live in :mod:`mirmodules.workflows.evaluate`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mirmodules.config import EvaluationOptions
from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.evaluation.enrichment import family_enrichment, term_enrichment
from mirmodules.evaluation.survival import SurvivalAnalysis, match_clinical, module_survival
from mirmodules.evaluation.topology import module_topology
from mirmodules.inputs.annotations import FamilyAnnotation, GeneSetCollection

logger = logging.getLogger(__name__)


#: Columns of the per-method summary (the shape of the paper's Table 1, plus enrichment and survival).
SUMMARY_COLUMNS = [
    "method",
    "n_modules",
    "mean_mirnas",
    "mean_mrnas",
    "n_family_enriched",
    "mean_density",
    "mean_correlation",
    "n_term_enriched",
    "fraction_term_enriched",
    "mean_enriched_terms",
    "n_term_enriched_lenient",
    "n_cv_prognostic",
    "n_prognostic_in_sample",
    "n_survival_tested",
    "n_significant",
]


@dataclass(frozen=True)
class Evaluation:
    """Everything the evaluation computed for one module set.

    Attributes
    ----------
    method
        Label of the module set (``MICA``, a baseline's name, ...).
    modules
        The evaluated modules.
    topology
        Per module: sizes, edges, density, expression correlation.
    family_enrichment, term_enrichment
        Test tables (``None`` when no family file / gene sets were given).
    survival
        Risk-score analysis (``None`` without clinical data).
    significance
        Per-module empirical p-values against rewired networks and shuffled expression
        (:func:`~mirmodules.evaluation.perturbation.module_significance`; ``None`` when off).
    options
        The thresholds used.
    inputs
        Provenance of the annotation files and counts of what was matched.
    seconds
        Time per part.
    """

    method: str
    modules: ModuleSet
    topology: pd.DataFrame
    family_enrichment: pd.DataFrame | None
    term_enrichment: pd.DataFrame | None
    survival: SurvivalAnalysis | None
    options: EvaluationOptions
    significance: pd.DataFrame | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """One row in the shape of the paper's Table 1 (see :data:`SUMMARY_COLUMNS`)."""
        topo = self.topology
        n = len(topo)

        def mean(col: str) -> float:
            return float(topo[col].mean()) if n and topo[col].notna().any() else float("nan")

        fam = self.family_enrichment
        n_fam = int(fam.loc[fam["enriched"], "module_id"].nunique()) if fam is not None else np.nan
        terms = self.term_enrichment
        n_term: float
        n_term_lenient: float
        if terms is not None:
            per_module = self.terms_per_module()
            n_term = int((per_module["n_enriched_terms"] > 0).sum())
            n_term_lenient = int((self.terms_per_module(lenient=True)["n_enriched_terms"] > 0).sum())
            frac = n_term / n if n else float("nan")
            mean_terms = float(per_module["n_enriched_terms"].mean()) if n else float("nan")
        else:
            n_term = n_term_lenient = frac = mean_terms = float("nan")
        surv = self.survival.summary if self.survival is not None else None
        row = {
            "method": self.method,
            "n_modules": n,
            "mean_mirnas": mean("n_mirnas"),
            "mean_mrnas": mean("n_mrnas"),
            "n_family_enriched": n_fam,
            "mean_density": mean("density"),
            "mean_correlation": mean("mean_correlation"),
            "n_term_enriched": n_term,
            "fraction_term_enriched": frac,
            "mean_enriched_terms": mean_terms,
            "n_term_enriched_lenient": n_term_lenient,
            "n_prognostic_in_sample": int(surv["prognostic_in_sample"].sum()) if surv is not None else np.nan,
            "n_cv_prognostic": int(surv["cv_prognostic"].sum()) if surv is not None else np.nan,
            "n_survival_tested": int(surv["hr"].notna().sum()) if surv is not None else np.nan,
            "n_significant": (
                int(self.significant_modules().sum()) if self.significance is not None else np.nan
            ),
        }
        return pd.DataFrame([row], columns=SUMMARY_COLUMNS)

    def significant_modules(self) -> pd.Series:
        """Per module (index ``module_id``): both significance q-values below the threshold."""
        if self.significance is None:
            return pd.Series(dtype=bool)
        sig = self.significance.set_index("module_id")
        q = self.options.significance_q
        return (sig["q_rewired"] < q) & (sig["q_shuffled"] < q)

    def terms_per_module(self, *, lenient: bool = False) -> pd.DataFrame:
        """Enriched terms per module over all collections, zeros included: strict (BH q and
        overlap; the headline) or, with ``lenient``, the paper's raw-p cut."""
        ids = self.topology["module_id"].tolist()
        terms = self.term_enrichment
        if terms is None:
            return pd.DataFrame({"module_id": ids, "n_enriched_terms": 0})
        sig = terms[terms["significant_lenient" if lenient else "significant"]]
        counts = sig.groupby("module_id").size()
        return pd.DataFrame({"module_id": ids, "n_enriched_terms": [int(counts.get(m, 0)) for m in ids]})


def evaluate_modules(
    modules: ModuleSet,
    prepared: PreparedInputs,
    *,
    method: str = "MICA",
    families: FamilyAnnotation | None = None,
    gene_sets: Sequence[GeneSetCollection] = (),
    clinical: pd.DataFrame | None = None,
    options: EvaluationOptions | None = None,
) -> Evaluation:
    """Score a module set on the inputs it was found on.

    Parameters
    ----------
    modules
        Modules to score (ids of the analysed features).
    prepared
        The prepared inputs (expression for correlations and survival; the analysed features
        are the backgrounds of the enrichment tests).
    method
        Label used in tables and the report.
    families
        miRNA families (:func:`~mirmodules.inputs.annotations.read_families`); family enrichment is
        skipped without them.
    gene_sets
        GMT collections (:func:`~mirmodules.inputs.annotations.read_gene_sets`), tested one by one.
    clinical
        Columns ``sample``, ``os_time_days``, ``os_event``
        (:func:`~mirmodules.evaluation.survival.read_clinical`).
    options
        Thresholds; the defaults are METHOD.md's.
    """
    options = options or EvaluationOptions()
    options.validate()
    seconds: dict[str, float] = {}
    inputs: dict[str, Any] = {}
    start = time.perf_counter()
    topology = module_topology(modules, mirna_expression=prepared.mirna, mrna_expression=prepared.mrna)
    seconds["topology"] = time.perf_counter() - start
    fam_table = None
    if families is not None:
        start = time.perf_counter()
        fam_table = family_enrichment(
            modules,
            families,
            prepared.mirna.index,
            min_family_size=options.min_family_size,
            q_threshold=options.family_q,
            min_overlap=options.min_family_overlap,
        )
        analysed = set(prepared.mirna.index)
        inputs["families"] = {
            "source": families.source,
            **families.counts,
            "analysed_mirnas_with_family": int(families.table["mirna"].isin(analysed).sum()),
            "analysed_mirnas": len(analysed),
        }
        seconds["family_enrichment"] = time.perf_counter() - start
    term_table = None
    if gene_sets:
        start = time.perf_counter()
        tables = [
            term_enrichment(
                modules,
                c,
                prepared.mrna.index,
                min_term_size=options.min_term_size,
                max_term_size=options.max_term_size,
                q_threshold=options.term_q,
                min_overlap=options.min_term_overlap,
                p_threshold=options.term_p,
            )
            for c in gene_sets
        ]
        term_table = pd.concat(tables, ignore_index=True)
        analysed = set(prepared.mrna.index)
        inputs["gene_sets"] = [
            {
                "collection": c.name,
                "terms": len(c.sets),
                "analysed_mrnas_annotated": len(analysed & c.genes),
                "analysed_mrnas": len(analysed),
            }
            for c in gene_sets
        ]
        seconds["term_enrichment"] = time.perf_counter() - start
    survival = None
    if clinical is not None:
        start = time.perf_counter()
        match = match_clinical(prepared.samples, clinical, sample_types=options.sample_type_list())
        survival = module_survival(
            modules,
            prepared.mirna,
            match,
            cv_folds=options.cv_folds,
            penalizer=options.cox_penalizer,
            p_threshold=options.survival_p,
            seed=options.cv_seed,
        )
        inputs["clinical"] = match.counts
        seconds["survival"] = time.perf_counter() - start
    significance = None
    if options.significance_nulls:
        from mirmodules.evaluation.perturbation import module_significance

        start = time.perf_counter()
        significance = module_significance(
            modules, prepared, n_null=options.significance_nulls, seed=options.cv_seed
        )
        seconds["significance"] = time.perf_counter() - start
    return Evaluation(
        significance=significance,
        method=method,
        modules=modules,
        topology=topology,
        family_enrichment=fam_table,
        term_enrichment=term_table,
        survival=survival,
        options=options,
        inputs=inputs,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )
