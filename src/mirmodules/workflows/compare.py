"""Run several methods on one dataset and score them with the same evaluator (paper Table 1)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mirmodules._warnings_log import collected
from mirmodules.config import EvaluationOptions, MicaConfig
from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.evaluation.evaluate import SUMMARY_COLUMNS, Evaluation, evaluate_modules
from mirmodules.evaluation.recovery import recovery_scores
from mirmodules.exceptions import InputDataError
from mirmodules.inputs.annotations import FamilyAnnotation, GeneSetCollection
from mirmodules.methods.registry import METHODS, MethodRun, run_method
from mirmodules.store.run_folder import read_modules, write_module_exports, write_module_tables
from mirmodules.workflows.evaluate import save_evaluation

__all__ = ["COMPARISON_COLUMNS", "Comparison", "compare_methods", "parse_methods", "save_comparison"]

logger = logging.getLogger(__name__)

COMPARISON_COLUMNS = ["method", *SUMMARY_COLUMNS[1:], "seconds", "recovery", "relevance"]


def parse_methods(text: str) -> list[str]:
    """``"mica,mirsynergy"`` -> ``["mica", "mirsynergy"]``; ``"all"`` -> every registered method;
    ``"none"`` -> no method (only finished runs are compared)."""
    if text.strip() == "none":
        return []
    names = list(METHODS) if text.strip() == "all" else [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in METHODS]
    if unknown or not names:
        msg = (
            f"Unknown method(s) {unknown or text!r}; choose from {', '.join(METHODS)} "
            "(comma-separated), 'all', or 'none' with --runs."
        )
        raise InputDataError(msg)
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Comparison:
    """Runs, evaluations and the Table-1 comparison of several methods on one dataset."""

    runs: list[MethodRun]
    evaluations: list[Evaluation]
    table: pd.DataFrame
    truth: ModuleSet | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: The prepared inputs every method ran on (expression for the exports and the report).
    prepared: PreparedInputs | None = None


def compare_methods(
    prepared: PreparedInputs,
    methods: Sequence[str],
    *,
    seed: int = 0,
    config: MicaConfig | None = None,
    families: FamilyAnnotation | None = None,
    gene_sets: Sequence[GeneSetCollection] = (),
    clinical: pd.DataFrame | None = None,
    truth: ModuleSet | None = None,
    options: EvaluationOptions | None = None,
    method_parameters: Mapping[str, Mapping[str, Any]] | None = None,
    runs: Sequence[MethodRun] = (),
    progress: bool = False,
) -> Comparison:
    """Run ``methods`` on the same prepared inputs and evaluate each the same way.

    ``config`` is MICA's (and its ablations') settings; ``method_parameters`` maps a method name
    to its own parameters (see :func:`~mirmodules.methods.registry.run_method`).
    ``truth`` (e.g. a simulator's planted modules) adds recovery (mean best-match Jaccard of the
    planted modules) and relevance (of the found modules) to the table. ``runs`` are finished
    runs (e.g. :func:`load_finished_run`) evaluated next to the methods run here.
    """
    from mirmodules._progress import Progress

    method_parameters = method_parameters or {}
    todo: list[str | MethodRun] = [*methods, *runs]
    done: list[MethodRun] = []
    evaluations, rows = [], []
    bar = Progress("methods", len(todo), "methods", enabled=progress, logger=logger)
    for item in todo:
        run = item if isinstance(item, MethodRun) else run_method(
            item, prepared, seed=seed, config=config, **dict(method_parameters.get(item, {})))
        evaluation = evaluate_modules(
            run.modules,
            prepared,
            method=run.label,
            families=families,
            gene_sets=gene_sets,
            clinical=clinical,
            options=options,
        )
        row = evaluation.summary().iloc[0].to_dict()
        row["seconds"] = round(run.seconds, 3)
        if truth is not None:
            scores = recovery_scores(truth, run.modules)
            row["recovery"], row["relevance"] = scores["recovery"], scores["relevance"]
        else:
            row["recovery"] = row["relevance"] = float("nan")
        done.append(run)
        evaluations.append(evaluation)
        rows.append(row)
        bar.update(1, last=run.label)
    bar.close()
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    return Comparison(runs=done, evaluations=evaluations, table=table, truth=truth, prepared=prepared)


def save_comparison(
    comparison: Comparison,
    out_dir: str | Path,
    *,
    manifest: Mapping[str, Any] | None = None,
    mirna_expression: pd.DataFrame | None = None,
    max_module_sections: int = 10,
    overwrite: bool = False,
) -> Path:
    """Write ``comparison.tsv``, per-method modules and evaluation tables, and ``report.html``.

    Layout: ``comparison.tsv``, ``manifest.json``, ``report.html`` and ``methods/<name>/`` with
    the module tables and exports a run writes (``modules.tsv``, ``module_edges.tsv``,
    ``module_summary.tsv``, ``modules.gmt``, ``network.tsv``, ``cytoscape_*.tsv``,
    ``modules.graphml``, ``module_activity.tsv``) and ``evaluation/``.
    Returns the report's path. The folder is written atomically and replaced only with
    ``overwrite`` when mirmodules wrote it (:mod:`mirmodules.store.atomic`).
    """
    from mirmodules.store.atomic import atomic_output

    with atomic_output(out_dir, command="compare", overwrite=overwrite) as tmp:
        _write_comparison(comparison, tmp, manifest, mirna_expression, max_module_sections)
    return Path(out_dir) / "report.html"


def _write_comparison(
    comparison: Comparison,
    out: Path,
    manifest: Mapping[str, Any] | None,
    mirna_expression: pd.DataFrame | None,
    max_module_sections: int,
) -> Path:
    from mirmodules.report.html import build_report

    comparison.table.to_csv(out / "comparison.tsv", sep="\t", index=False, float_format="%.6g")
    prepared = comparison.prepared
    mirna_expression = prepared.mirna if prepared is not None else mirna_expression
    for run, evaluation in zip(comparison.runs, comparison.evaluations, strict=True):
        folder = out / "methods" / run.name
        if prepared is None:
            write_module_tables(run.modules, folder)
        else:  # the same tables and exports as `mirmodules run` writes
            write_module_tables(run.modules, folder, mirna_expression=prepared.mirna,
                                mrna_expression=prepared.mrna)
            write_module_exports(run.modules, folder, prepared)
        save_evaluation(evaluation, folder / "evaluation")
    record = {
        **(manifest or {}),
        "warnings": collected(),
        "methods": [
            {
                "name": r.name,
                "label": r.label,
                "seed": r.seed,
                "parameters": r.parameters,
                "seconds": round(r.seconds, 3),
            }
            for r in comparison.runs
        ],
    }
    (out / "manifest.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return build_report(
        comparison.evaluations,
        out / "report.html",
        mirna_expression=mirna_expression,
        mrna_expression=prepared.mrna if prepared is not None else None,
        manifest=record,
        comparison=comparison.table,
        title="mirmodules: method comparison",
        max_module_sections=max_module_sections,
    )


def load_finished_run(
    run_dir: str | Path,
    inputs: Mapping[str, str | Path | None],
    *,
    mirbase_paths: Sequence[str | Path] = (),
    allow_changed_inputs: bool = False,
) -> MethodRun:
    """A finished run folder (``modules.tsv`` + ``manifest.json``) as a :class:`MethodRun`.

    ``inputs`` (``mirna``, ``mrna``, ``interactions``, optionally ``gene_map``) are the files the
    comparison reads; their SHA-256 must equal the ones the run recorded, or the run's modules come
    from other data: :class:`~mirmodules.exceptions.InputDataError` names the first changed file
    and both hashes, unless ``allow_changed_inputs`` (then a warning).
    """
    import re

    from mirmodules.workflows.evaluate import read_run_manifest, verify_recorded_inputs

    folder = Path(run_dir)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists() or not (folder / "modules.tsv").exists():
        msg = (f"{folder} is not a finished run (it needs modules.tsv and manifest.json); give folders "
               "that `mirmodules run` wrote.")
        raise InputDataError(msg)
    manifest = read_run_manifest(folder)
    paths = {role: str(p) for role, p in inputs.items() if p is not None}
    changed = verify_recorded_inputs(
        manifest.get("inputs", {}), paths, [str(p) for p in mirbase_paths], run_dir=folder,
        allow_changed_inputs=allow_changed_inputs,
        consequence="Comparing modules with other data than they came from gives wrong results",
    )
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", folder.resolve().name) or "run"
    seconds = manifest.get("seconds", {})
    return MethodRun(
        name=f"run_{safe}",
        label=f"{manifest.get('method', 'run')} ({folder.name})",
        modules=read_modules(folder),
        seconds=float(sum(v for v in seconds.values() if isinstance(v, int | float))),
        parameters={"run_dir": str(folder), "preset": manifest.get("preset"),
                    "changed_inputs": changed},
        seed=manifest.get("seeds", {}).get("seed"),
    )
