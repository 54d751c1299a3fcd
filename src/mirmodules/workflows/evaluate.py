"""``mirmodules evaluate``: rebuild a run's inputs from its manifest (checking their SHA-256), score its
modules with :func:`~mirmodules.evaluation.evaluate.evaluate_modules` and write tables and the report."""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import pandas as pd

from mirmodules._warnings_log import collected
from mirmodules.config import EvaluationOptions, MicaConfig
from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.evaluation.evaluate import Evaluation, evaluate_modules
from mirmodules.evaluation.follow_up import follow_up_table
from mirmodules.exceptions import DataQualityWarning, InputDataError
from mirmodules.inputs.identifiers import MirnaNameMap
from mirmodules.inputs.prepared import prepare_from_files
from mirmodules.store.run_folder import read_modules

logger = logging.getLogger(__name__)


def _changed_inputs(
    recorded: dict[str, Any], paths: dict[str, str], mirbase_paths: Sequence[str]
) -> list[dict[str, str]]:
    """Inputs that cannot be shown to be the run's own (role, path, both hashes): a SHA-256 that
    differs, a role or hash the run did not record, another number of miRBase tables. Only when
    this is empty was every input hashed and matched."""
    from mirmodules.inputs.io import sha256_of

    if not isinstance(recorded, dict):
        recorded = {}
    pairs: list[tuple[str, Any, str]] = [
        (role, recorded.get(role), paths[role])
        for role in ("mirna", "mrna", "interactions", "gene_map") if role in paths]
    recorded_mirbase = recorded.get("mirbase", [])
    recorded_mirbase = recorded_mirbase if isinstance(recorded_mirbase, list) else []
    out = []
    if len(recorded_mirbase) == len(mirbase_paths):
        pairs += [("mirbase", r, p) for r, p in zip(recorded_mirbase, mirbase_paths, strict=True)]
    else:
        out.append({"role": "mirbase", "path": ", ".join(map(str, mirbase_paths)) or "(none)",
                    "sha256_now": f"{len(mirbase_paths)} file(s)",
                    "sha256_recorded": f"{len(recorded_mirbase)} file(s)"})
    for role, record, path in pairs:
        expected = record.get("sha256") if isinstance(record, dict) else None
        now = sha256_of(path)
        if not isinstance(expected, str) or not expected:
            out.append({"role": role, "path": str(path), "sha256_now": now,
                        "sha256_recorded": "(none recorded)"})
        elif now != expected:
            out.append({"role": role, "path": str(path), "sha256_now": now, "sha256_recorded": expected})
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
            f"The {first['role']} input {first['path']} cannot be matched with the one the run in "
            f"{run_dir} used (now {first['sha256_now']}, recorded {first['sha256_recorded']}); "
            f"{len(changed)} changed input(s) in total. {consequence}: rerun `mirmodules run`, or "
            "pass --allow-changed-inputs (recorded in the output's manifest)."
        )
        raise InputDataError(msg)
    for item in changed:
        logger.warning("%s: input changed since the run: %s %s (SHA-256 %s, recorded %s)", run_dir,
                       item["role"], item["path"], item["sha256_now"], item["sha256_recorded"])
    return changed


def _existing(record: Any, what: str, flag: str) -> str:
    if not isinstance(record, dict):
        msg = (f"The run's manifest records its {what} file as {record!r:.60}, not as a file record; "
               f"give {flag}.")
        raise InputDataError(msg)
    for key in ("resolved", "path"):
        candidate = record.get(key)
        if isinstance(candidate, str) and candidate and Path(candidate.split("::", 1)[0]).exists():
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
    manifest = read_run_manifest(run_dir)
    modules = read_modules(run_dir)
    recorded = manifest.get("inputs", {})
    lacking = [role for role, given in (("mirna", mirna), ("mrna", mrna), ("interactions", interactions))
               if not given and not isinstance(recorded.get(role), dict)]
    if lacking:
        flags = ", ".join(f"--{r}" for r in lacking)
        msg = (f"The manifest of {run_dir} records no {', '.join(lacking)} input; give {flags} (the files "
               "the run read).")
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
        else [_existing(r, "miRBase", "--mirbase") for r in _as_list(recorded.get("mirbase", []))]
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
    _warn_unknown_members(modules, prepared, run_dir)
    return modules, prepared, name_map, manifest


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


#: Tables of a run folder the report draws (name -> columns it needs); optional.
_RUN_TABLES = {
    "sse_curve": ["kind", "k", "sse"],
    "training_history": ["kind", "step", "train_loss"],
}


def _optional_run_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """The run's SSE curve and training history for the report's figures; a damaged one is left
    out with a warning (the modules do not depend on it)."""
    from mirmodules.inputs.io import read_table

    tables = {}
    for name, needed in _RUN_TABLES.items():
        path = run_dir / f"{name}.tsv"
        if not path.exists():
            continue
        try:
            table = read_table(path, what=f"Run table {name}")
        except InputDataError as err:
            warnings.warn(f"{err} The report leaves its figure out.", DataQualityWarning, stacklevel=2)
            continue
        missing = [c for c in needed if c not in table]
        if missing:
            warnings.warn(f"{path} lacks column(s) {missing}; the report leaves its figure out.",
                          DataQualityWarning, stacklevel=2)
            continue
        tables[name] = table
    return tables


def read_run_manifest(run_dir: str | Path) -> dict[str, Any]:
    """A run folder's ``manifest.json`` as a dict, checked: present, JSON, an object whose
    ``inputs`` (when present) is an object. Errors name the file and the fix."""
    path = Path(run_dir) / "manifest.json"
    if not Path(run_dir).is_dir():
        msg = f"{run_dir} is not a folder; give the run folder that `mirmodules run` wrote."
        raise InputDataError(msg)
    if not path.is_file():
        msg = f"{run_dir} is not a run directory (no manifest.json); give the folder `mirmodules run` wrote."
        raise InputDataError(msg)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        msg = (f"{path} is not valid JSON ({err}); the run folder is damaged. Run `mirmodules run` "
               "again, or restore the file.")
        raise InputDataError(msg) from err
    if not isinstance(manifest, dict):
        msg = (f"{path} holds a JSON {type(manifest).__name__}, not the object a run writes; the run "
               "folder is damaged.")
        raise InputDataError(msg)
    if not isinstance(manifest.get("inputs", {}), dict):
        msg = f"{path}: 'inputs' is not an object of input records; the run folder is damaged."
        raise InputDataError(msg)
    return manifest


def _warn_unknown_members(modules: ModuleSet, prepared: PreparedInputs, run_dir: Path) -> None:
    """Warn when module members are not features of the run's data (an edited modules.tsv)."""
    members = modules.members
    known = ((members["kind"] == "mirna") & members["feature"].isin(prepared.mirna.index)) | (
        (members["kind"] == "mrna") & members["feature"].isin(prepared.mrna.index))
    unknown = members.loc[~known.to_numpy(), "feature"].unique()
    if len(unknown):
        warnings.warn(
            f"{run_dir}/modules.tsv: {len(unknown)} member(s) are not analysed features of the run's "
            f"data (e.g. {', '.join(map(str, unknown[:5]))}); they count in module sizes but have no "
            "expression. Was modules.tsv edited by hand?", DataQualityWarning, stacklevel=3,
        )


def _tsv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep="\t", index=False, float_format="%.6g")


def save_evaluation(evaluation: Evaluation, out_dir: str | Path) -> dict[str, Path]:
    """Write ``topology.tsv``, ``family_enrichment.tsv``, ``term_enrichment.tsv``,
    ``survival.tsv``, ``risk_scores.tsv``, ``summary.tsv``, ``follow_up.tsv`` (the modules ranked
    for follow-up, :func:`~mirmodules.evaluation.follow_up.follow_up_table`) and ``evaluation.json``.

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
    written["follow_up"] = out / "follow_up.tsv"
    _tsv(follow_up_table(evaluation), written["follow_up"])
    written["evaluation"] = out / "evaluation.json"
    written["evaluation"].write_text(
        json.dumps(
            {
                "method": evaluation.method,
                "options": asdict(evaluation.options),
                "inputs": evaluation.inputs,
                "seconds": evaluation.seconds,
                "warnings": collected(),
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
    when mirmodules wrote it (:mod:`mirmodules.store.atomic`).
    """
    from mirmodules._progress import Progress
    from mirmodules.evaluation.survival import read_clinical
    from mirmodules.inputs.annotations import read_families, read_gene_sets
    from mirmodules.report.html import build_report
    from mirmodules.store.atomic import atomic_output, check_output_path, recorded_input_paths

    recorded = [Path(p) for p in recorded_input_paths(run_dir)]
    check_output_path(out_dir, overwrite=overwrite,
                      inputs=[p for p in (Path(run_dir) / "modules.tsv", families, clinical, mirna, mrna,
                                          interactions, *gene_sets, *(mirbase or ()), *recorded) if p])

    options = options or EvaluationOptions()
    options.validate()
    steps = ["inputs", "annotations", "scores", "report"]
    bar = Progress("evaluate", len(steps), "steps", enabled=progress, logger=logger)
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
    run_tables = _optional_run_tables(Path(run_dir))
    with atomic_output(out_dir, command="evaluate", overwrite=overwrite) as tmp:
        save_evaluation(evaluation, tmp)
        build_report(
            [evaluation],
            tmp / "report.html",
            mirna_expression=prepared.mirna,
            mrna_expression=prepared.mrna,
            run_tables=run_tables,
            manifest=manifest,
            title=(f"mirmodules report: {evaluation.method} modules "
                   f"(run folder {Path(run_dir).resolve().name})"),
            max_module_sections=max_module_sections,
        )
    report = Path(out_dir) / "report.html"
    bar.update()
    bar.close()
    logger.info("evaluation of %s done in %.1f s", run_dir, time.perf_counter() - start)
    return evaluation, report
