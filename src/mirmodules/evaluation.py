"""Score any module set the way the MICA paper does: topology, families, GO/KEGG, survival.

:func:`evaluate_modules` works on tables in memory (a :class:`~mirmodules.modules.ModuleSet`
and the :class:`~mirmodules.pipeline.PreparedInputs` it was found on), so MICA's modules, a
baseline's and a user's own ``modules.tsv`` are scored by the same code.
:func:`load_run_for_evaluation` rebuilds the prepared inputs of a run directory from its manifest.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .annotations import FamilyAnnotation, GeneSetCollection
from .config import EvaluationOptions, MicaConfig
from .enrichment import family_enrichment, module_topology, term_enrichment
from .exceptions import InputDataError
from .identifiers import MirnaNameMap
from .modules import ModuleSet
from .pipeline import PreparedInputs, prepare_from_files
from .results import read_modules
from .survival import SurvivalAnalysis, match_clinical, module_survival

__all__ = [
    "SUMMARY_COLUMNS",
    "Evaluation",
    "EvaluationOptions",
    "evaluate_modules",
    "evaluate_run",
    "load_run_for_evaluation",
    "save_evaluation",
]

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
    "n_prognostic",
    "n_cv_prognostic",
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
        (:func:`~mirmodules.stability.module_significance`; ``None`` when off).
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
            "n_prognostic": int(surv["prognostic"].sum()) if surv is not None else np.nan,
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
        miRNA families (:func:`~mirmodules.annotations.read_families`); family enrichment is
        skipped without them.
    gene_sets
        GMT collections (:func:`~mirmodules.annotations.read_gene_sets`), tested one by one.
    clinical
        Columns ``sample``, ``os_time_days``, ``os_event`` (:func:`~mirmodules.survival.read_clinical`).
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
        from .stability import module_significance

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


def _changed_inputs(
    recorded: dict[str, Any], paths: dict[str, str], mirbase_paths: Sequence[str]
) -> list[dict[str, str]]:
    """Inputs whose SHA-256 differs from the run's record (role, path, both hashes)."""
    from .io import sha256_of

    pairs: list[tuple[str, Any, str]] = [
        (role, recorded.get(role), paths[role])
        for role in ("mirna", "mrna", "interactions", "gene_map") if role in paths]
    recorded_mirbase = recorded.get("mirbase", [])
    if len(recorded_mirbase) == len(mirbase_paths):
        pairs += [("mirbase", r, p) for r, p in zip(recorded_mirbase, mirbase_paths, strict=True)]
    out = []
    for role, record, path in pairs:
        if not record or not record.get("sha256"):
            continue
        now = sha256_of(path)
        if now != record["sha256"]:
            out.append({"role": role, "path": str(path), "sha256_now": now,
                        "sha256_recorded": record["sha256"]})
    return out


def verify_recorded_inputs(
    recorded: dict[str, Any],
    paths: dict[str, str],
    mirbase_paths: Sequence[str],
    *,
    run_dir: str | Path,
    allow_changed_inputs: bool,
    consequence: str,
) -> list[dict[str, str]]:
    """Compare the inputs' SHA-256 with a run's record (what ``evaluate`` and ``compare --runs``
    share): a changed file is an :class:`InputDataError` naming it and both hashes, unless
    ``allow_changed_inputs`` (then one warning per file). Returns the changed inputs."""
    changed = _changed_inputs(recorded, paths, mirbase_paths)
    if changed and not allow_changed_inputs:
        first = changed[0]
        msg = (
            f"The {first['role']} file {first['path']} differs from the one the run in {run_dir} used "
            f"(SHA-256 now {first['sha256_now']}, recorded {first['sha256_recorded']}); "
            f"{len(changed)} changed input(s) in total. {consequence}: rerun `mirmodules run`, or "
            "pass --allow-changed-inputs (recorded in the output's manifest)."
        )
        raise InputDataError(msg)
    for item in changed:
        logger.warning("%s: input changed since the run: %s %s (SHA-256 %s, recorded %s)", run_dir,
                       item["role"], item["path"], item["sha256_now"], item["sha256_recorded"])
    return changed


def _existing(record: dict[str, str], what: str, flag: str) -> str:
    for key in ("resolved", "path"):
        candidate = record.get(key)
        if candidate and Path(candidate.split("::", 1)[0]).exists():
            return candidate
    msg = (
        f"The run's {what} file {record.get('path')!r} is no longer at its recorded place; "
        f"point to it with {flag}."
    )
    raise InputDataError(msg)


def load_run_for_evaluation(
    run_dir: str | Path,
    *,
    mirna: str | Path | None = None,
    mrna: str | Path | None = None,
    interactions: str | Path | None = None,
    mirbase: Sequence[str | Path] | None = None,
    allow_changed_inputs: bool = False,
) -> tuple[ModuleSet, PreparedInputs, MirnaNameMap | None, dict[str, Any]]:
    """Modules, prepared inputs, name map and manifest of a run directory.

    The inputs are read again from the paths in ``manifest.json`` (or the ones given here) and
    prepared with the run's recorded settings. Every input's SHA-256 is compared with the one the
    run recorded: a changed file is an :class:`InputDataError` naming it and both hashes, unless
    ``allow_changed_inputs`` (then a warning, and the returned manifest lists the changed files
    under ``changed_inputs``).
    """
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        msg = f"{run_dir} is not a run directory (no manifest.json); give the folder `mirmodules run` wrote."
        raise InputDataError(msg)
    manifest = json.loads(manifest_path.read_text())
    modules = read_modules(run_dir)
    recorded = manifest.get("inputs", {})
    if not recorded and not (mirna and mrna and interactions):
        msg = f"The manifest of {run_dir} records no input files; give --mirna, --mrna and --interactions."
        raise InputDataError(msg)
    paths = {
        "mirna": str(mirna) if mirna else _existing(recorded["mirna"], "miRNA expression", "--mirna"),
        "mrna": str(mrna) if mrna else _existing(recorded["mrna"], "mRNA expression", "--mrna"),
        "interactions": (
            str(interactions)
            if interactions
            else _existing(recorded["interactions"], "interaction", "--interactions")
        ),
    }
    mirbase_paths = (
        [str(p) for p in mirbase]
        if mirbase is not None
        else [_existing(r, "miRBase", "--mirbase") for r in recorded.get("mirbase", [])]
    )
    gene_map_path = (
        _existing(recorded["gene_map"], "gene map", "a copy at that place (or rerun `mirmodules run`)")
        if recorded.get("gene_map") else None
    )
    if gene_map_path is not None:
        paths["gene_map"] = gene_map_path
    changed = verify_recorded_inputs(
        recorded, paths, mirbase_paths, run_dir=run_dir, allow_changed_inputs=allow_changed_inputs,
        consequence="Evaluating other data than the modules came from gives wrong results",
    )
    manifest = {**manifest, "changed_inputs": changed}
    known = {f.name for f in fields(MicaConfig)}
    params = {k: v for k, v in manifest.get("parameters", {}).items() if k in known}
    config = MicaConfig(**params)
    prepared, name_map, _ = prepare_from_files(
        paths["mirna"], paths["mrna"], paths["interactions"], mirbase_paths=mirbase_paths,
        gene_map_path=gene_map_path, config=config,
    )
    return modules, prepared, name_map, manifest


def _tsv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep="\t", index=False, float_format="%.6g")


def save_evaluation(evaluation: Evaluation, out_dir: str | Path) -> dict[str, Path]:
    """Write ``topology.tsv``, ``family_enrichment.tsv``, ``term_enrichment.tsv``,
    ``survival.tsv``, ``risk_scores.tsv``, ``summary.tsv`` and ``evaluation.json``.

    Tables of parts that were not run are not written. Returns the written paths by name.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"topology": out / "topology.tsv", "summary": out / "summary.tsv"}
    _tsv(evaluation.topology, written["topology"])
    _tsv(evaluation.summary(), written["summary"])
    if evaluation.family_enrichment is not None:
        written["family_enrichment"] = out / "family_enrichment.tsv"
        _tsv(evaluation.family_enrichment, written["family_enrichment"])
    if evaluation.term_enrichment is not None:
        written["term_enrichment"] = out / "term_enrichment.tsv"
        _tsv(evaluation.term_enrichment, written["term_enrichment"])
    if evaluation.survival is not None:
        written["survival"] = out / "survival.tsv"
        _tsv(evaluation.survival.summary, written["survival"])
        written["risk_scores"] = out / "risk_scores.tsv"
        _tsv(evaluation.survival.risk_scores, written["risk_scores"])
    if evaluation.significance is not None:
        written["significance"] = out / "significance.tsv"
        _tsv(evaluation.significance, written["significance"])
    written["evaluation"] = out / "evaluation.json"
    written["evaluation"].write_text(
        json.dumps(
            {
                "method": evaluation.method,
                "options": asdict(evaluation.options),
                "inputs": evaluation.inputs,
                "seconds": evaluation.seconds,
            },
            indent=2,
            default=str,
        )
    )
    return written


def evaluate_run(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    families: str | Path | None = None,
    gene_sets: Sequence[str | Path] = (),
    clinical: str | Path | None = None,
    clinical_columns: tuple[str, str, str] = ("sample", "os_time_days", "os_event"),
    mirna: str | Path | None = None,
    mrna: str | Path | None = None,
    interactions: str | Path | None = None,
    mirbase: Sequence[str | Path] | None = None,
    options: EvaluationOptions | None = None,
    max_module_sections: int = 20,
    progress: bool = False,
    overwrite: bool = False,
    allow_changed_inputs: bool = False,
) -> tuple[Evaluation, Path]:
    """Evaluate a run directory from files and write its tables and ``report.html`` to ``out_dir``.

    Returns the evaluation and the report's path. The report embeds the run's SSE curves, training
    history and manifest. ``out_dir`` is written atomically and replaced only with ``overwrite``
    when mirmodules wrote it (:mod:`mirmodules._output`).
    """
    from tqdm.auto import tqdm

    from ._output import atomic_output, check_output_path
    from .annotations import read_families, read_gene_sets
    from .report import build_report
    from .survival import read_clinical

    check_output_path(out_dir, overwrite=overwrite,
                      inputs=[p for p in (Path(run_dir) / "modules.tsv", families, clinical, mirna, mrna,
                                          interactions, *gene_sets, *(mirbase or ())) if p])

    options = options or EvaluationOptions()
    options.validate()
    steps = ["inputs", "annotations", "scores", "report"]
    bar = tqdm(total=len(steps), desc="evaluate", disable=not progress, unit="step")
    start = time.perf_counter()
    modules, prepared, name_map, manifest = load_run_for_evaluation(
        run_dir, mirna=mirna, mrna=mrna, interactions=interactions, mirbase=mirbase,
        allow_changed_inputs=allow_changed_inputs,
    )
    bar.update()
    species = manifest.get("parameters", {}).get("species", "hsa")
    fam = read_families(families, name_map=name_map, species=species) if families else None
    collections = [read_gene_sets(p) for p in gene_sets]
    clin = (
        read_clinical(
            clinical,
            sample_column=clinical_columns[0],
            time_column=clinical_columns[1],
            event_column=clinical_columns[2],
        )
        if clinical
        else None
    )
    bar.update()
    evaluation = evaluate_modules(
        modules,
        prepared,
        method=str(manifest.get("method", "modules")),
        families=fam,
        gene_sets=collections,
        clinical=clin,
        options=options,
    )
    evaluation.inputs["run_input_checksums"] = (
        {"status": "changed, allowed by the user", "changed": manifest["changed_inputs"]}
        if manifest["changed_inputs"] else {"status": "all match the run's manifest"}
    )
    bar.update()
    run_tables = {}
    for name in ("sse_curve", "training_history"):
        path = Path(run_dir) / f"{name}.tsv"
        if path.exists():
            run_tables[name] = pd.read_csv(path, sep="\t")
    with atomic_output(out_dir, command="evaluate", overwrite=overwrite) as tmp:
        save_evaluation(evaluation, tmp)
        build_report(
            [evaluation],
            tmp / "report.html",
            mirna_expression=prepared.mirna,
            run_tables=run_tables,
            manifest=manifest,
            title=f"mirmodules: {evaluation.method} modules of {Path(run_dir).name}",
            max_module_sections=max_module_sections,
        )
    report = Path(out_dir) / "report.html"
    bar.update()
    bar.close()
    logger.info("evaluation of %s done in %.1f s", run_dir, time.perf_counter() - start)
    return evaluation, report
