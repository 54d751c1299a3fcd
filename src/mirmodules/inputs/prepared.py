"""Inputs ready for any method: samples aligned, miRNA and gene ids harmonised, both matrices preprocessed,
interactions restricted to analysed features; everything removed is counted and warned about.

:func:`prepare_inputs` works on tables in memory, :func:`prepare_from_files` reads the files first;
:func:`input_records` gives the SHA-256 block of a manifest."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from mirmodules import _memory
from mirmodules.config import MicaConfig
from mirmodules.datatypes import PreparedInputs
from mirmodules.exceptions import InputDataError
from mirmodules.inputs.identifiers import (
    DROPPED_STATUSES,
    MirnaNameMap,
    describe_id_style,
    detect_gene_id_style,
    harmonise_mirna_ids,
    load_mirbase_tables,
    map_gene_ids,
    split_symbol_entrez,
)
from mirmodules.inputs.io import (
    InteractionTable,
    PredictedTable,
    read_expression,
    read_interactions,
    read_predicted,
    read_table,
    sha256_of,
)
from mirmodules.inputs.preprocessing import (
    PreprocessingOptions,
    merge_renamed_rows,
    order_samples,
    preprocess_expression,
)

logger = logging.getLogger(__name__)


def _shared(a: Any, b: Any) -> int:
    return len(set(map(str, a)) & set(map(str, b)))


def no_shared_sample_hint(mirna: pd.DataFrame, mrna: pd.DataFrame, names: tuple[str, str],
                          orientation: str = "features_x_samples") -> str:
    """What to do when two expression tables share no sample id: the fix that fits the tables.

    ``--orientation`` applies to both files, so it is suggested only when both look transposed
    and it was not given already; one transposed file, or ids that differ only after the TCGA
    sample barcode, get their own advice."""
    given = orientation != "features_x_samples"
    if _shared(mirna.index, mrna.index) and not _shared(mirna.columns, mrna.columns):
        if given:
            return ("The two files share row ids instead: with --orientation samples_x_features given, "
                    "rows must be samples; drop the flag if both files have one row per feature.")
        return ("Both files share their row ids instead: they look samples x features; pass "
                "--orientation samples_x_features (it applies to both files).")
    for first, second, which, other in ((mirna, mrna, names[1], names[0]), (mrna, mirna, names[0], names[1])):
        if _shared(first.columns, second.index) > _shared(first.columns, second.columns):
            if given:  # the flag transposed both files: the one that now looks transposed was right
                return (f"--orientation samples_x_features transposed both files, but only {other} is "
                        f"samples x features: drop the flag and transpose {other} alone (in pandas: "
                        "table.T).")
            return (f"The row ids of {which} are the other file's column ids: that one file looks "
                    "transposed. --orientation applies to both files, so transpose that file alone "
                    "(in pandas: table.T) and keep the other as it is.")
    for length in (16, 15, 12):
        cut_a = {str(c)[:length] for c in mirna.columns if str(c).startswith("TCGA-")}
        cut_b = {str(c)[:length] for c in mrna.columns if str(c).startswith("TCGA-")}
        if cut_a & cut_b:
            unit = {16: "sample and vial", 15: "sample", 12: "patient"}[length]
            return (f"Their TCGA barcodes agree on the first {length} characters ({unit}, e.g. "
                    f"{sorted(cut_a & cut_b)[0]!r}) and differ after it (aliquot, plate, centre): cut "
                    f"the column names of both files to {length} characters (keeping one column per "
                    "sample) so that they match.")
    if given:
        return "Sample ids must match exactly (--orientation samples_x_features was given)."
    return ("Sample ids must match exactly; if both files are samples x features, pass --orientation "
            "samples_x_features (it applies to both files).")


def _align_samples(
    mirna: pd.DataFrame, mrna: pd.DataFrame, names: tuple[str, str], orientation: str = "features_x_samples"
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    common = [s for s in mirna.columns if s in set(mrna.columns)]
    only_mir = [s for s in mirna.columns if s not in set(mrna.columns)]
    only_mrna = [s for s in mrna.columns if s not in set(mirna.columns)]
    counts = {
        "samples_mirna": int(mirna.shape[1]),
        "samples_mrna": int(mrna.shape[1]),
        "samples_matched": len(common),
        "samples_only_mirna": len(only_mir),
        "samples_only_mrna": len(only_mrna),
        "samples_only_mirna_examples": only_mir[:5],
        "samples_only_mrna_examples": only_mrna[:5],
    }
    if not common:
        msg = (
            f"No sample id is shared by {names[0]} ({mirna.shape[1]} samples, e.g. "
            f"{list(mirna.columns[:3])}) and {names[1]} ({mrna.shape[1]} samples, e.g. "
            f"{list(mrna.columns[:3])}). {no_shared_sample_hint(mirna, mrna, names, orientation)}"
        )
        raise InputDataError(msg)
    if only_mir or only_mrna:
        logger.warning(
            "samples: %d matched; %d only in miRNA data, %d only in mRNA data (dropped)",
            len(common),
            len(only_mir),
            len(only_mrna),
        )
    return _select_columns(mirna, common), _select_columns(mrna, common), counts


def _select_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame[columns]``, or ``frame`` itself when that is what it already holds: a column
    selection copies the whole matrix even when it keeps every column in order (1.4 GB for the
    pan-cancer mRNA matrix)."""
    return frame if list(frame.columns) == columns else frame[columns]


#: Fewer miRNAs with an interaction than this (or this share of the analysed miRNAs) are warned about.
MIN_LINKED_MIRNAS = 5
MIN_LINKED_MIRNA_SHARE = 0.05

#: Share of dropped ids above which the harmonisation is warned about (not only logged).
DROPPED_ID_WARNING_SHARE = 0.05


def warn_dropped_ids(
    report: pd.DataFrame,
    *,
    what: str,
    fix: str = "Give more id tables with --mirbase (TargetScan's miR_Family_Info knows many older "
    "names; miRBase's aliases); id_harmonisation.tsv lists every id and its status.",
) -> None:
    """WARNING when more than 5% of the ids of a mapping report (columns ``input_id``, ``status``)
    were dropped, naming the first eight in file order and saying how to keep them (``fix``)."""
    ids = report.drop_duplicates("input_id")
    dropped = ids[ids["status"].isin(DROPPED_STATUSES)]
    if ids.empty or len(dropped) <= DROPPED_ID_WARNING_SHARE * len(ids):
        if len(dropped):  # few: said in the log, every id's fate in id_harmonisation.tsv
            logger.info("%d of %d %s could not be mapped and are left out, e.g. %s (id_harmonisation.tsv)",
                        len(dropped), len(ids), what, ", ".join(dropped["input_id"].head(5).astype(str)))
        return
    shown = ", ".join(dropped["input_id"].head(8).astype(str))
    logger.warning(
        "%d of %d %s (%.0f%%) could not be mapped and are left out (%d ambiguous, %d unmatched), "
        "e.g. %s. %s", len(dropped), len(ids), what, 100 * len(dropped) / len(ids),
        int((dropped["status"] == "ambiguous").sum()), int((dropped["status"] == "unmatched").sum()),
        shown, fix,
    )


def _harmonise_expression(
    mirna: pd.DataFrame, name_map: MirnaNameMap, species: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    report = harmonise_mirna_ids(mirna.index, name_map, species=species, source="mirna_expression")
    kept = report[~report["status"].isin(DROPPED_STATUSES)]
    rows = mirna.loc[kept["input_id"]].to_numpy()
    frame = pd.DataFrame(rows, index=kept["mirna"].to_numpy(), columns=mirna.columns)
    # direct measurements of a mature miRNA win over values derived from a precursor
    priority = (kept["status"] == "precursor").to_numpy().astype(int)
    frame = frame.assign(_priority=priority)
    best = frame.groupby(level=0)["_priority"].transform("min")
    frame = frame[frame["_priority"] == best].drop(columns="_priority")
    frame, n_collisions, how = merge_renamed_rows(frame)
    if n_collisions:
        logger.info("miRNA ids: %d rows merged into an id already present (%s)", n_collisions, how)
    counts = {
        "mirna_ids_in_expression": int(report["input_id"].nunique()),
        "mirna_ids_dropped_ambiguous": int(report.loc[report.status == "ambiguous", "input_id"].nunique()),
        "mirna_ids_dropped_unmatched": int(report.loc[report.status == "unmatched", "input_id"].nunique()),
        "mirna_rows_merged_after_mapping": n_collisions,
        "mirna_rows_superseded_by_mature_measurement": int(len(kept) - len(frame) - n_collisions),
        "mirna_features_after_mapping": len(frame),
    }
    warn_dropped_ids(report, what="miRNA ids of the expression file")
    if frame.empty:
        msg = (
            "No miRNA id of the expression file could be mapped with the miRBase tables given "
            f"({describe_id_style(mirna.index)}). Pass tables that cover these ids (--mirbase)."
        )
        raise InputDataError(msg)
    return frame, report, counts


def _harmonise_interactions(
    table: pd.DataFrame, name_map: MirnaNameMap, species: str, *, source: str = "interactions",
    columns: Sequence[str] = ("mirna", "target"),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    report = harmonise_mirna_ids(table["mirna"].unique(), name_map, species=species, source=source)
    kept = report[~report["status"].isin(DROPPED_STATUSES)][["input_id", "mirna"]]
    mapped = table.rename(columns={"mirna": "input_id"}).merge(kept, on="input_id", how="inner")
    mapped = mapped[list(columns)].drop_duplicates().reset_index(drop=True)
    return mapped, report


def combine_predicted(
    tables: Sequence[PredictedTable | pd.DataFrame],
    name_map: MirnaNameMap,
    species: str,
    mirnas: pd.Index,
    genes: pd.Index,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Predicted pairs of one or more sources, on the analysed features, graded comparably.

    Each source's ``strength`` becomes its percentile within that source (scores of different
    resources are not on one scale); a pair keeps its highest percentile over sources (and that
    source's raw ``score``) and counts its sources (``n_sources``). miRNA ids are harmonised like
    the interactions' (report rows with ``source`` ``predicted``). Returns the pairs, the id
    report and counts for the manifest.
    """
    frames, reports = [], []
    counts: dict[str, Any] = {}
    for number, item in enumerate(tables, start=1):
        table = item.table if isinstance(item, PredictedTable) else item
        if isinstance(item, PredictedTable):
            counts[f"predicted_file_{number}"] = item.counts()
        if "strength" not in table:
            msg = ("predicted tables need a 'strength' column (higher = stronger); read them with "
                   "read_predicted.")
            raise InputDataError(msg)
        mapped, report = _harmonise_interactions(table, name_map, species, source="predicted",
                                                 columns=("mirna", "target", "score", "strength"))
        mapped = (mapped.sort_values("strength", ascending=False, kind="mergesort")
                  .drop_duplicates(["mirna", "target"]))
        mapped["strength"] = mapped["strength"].rank(pct=True, method="max")
        frames.append(mapped)
        reports.append(report)
    pairs = pd.concat(frames, ignore_index=True)
    n_sources = pairs.groupby(["mirna", "target"]).size().rename("n_sources")
    order = ["mirna", "target", "strength"]
    pairs = (pairs.sort_values(order, ascending=[True, True, False], kind="mergesort")
             .drop_duplicates(["mirna", "target"]).join(n_sources, on=["mirna", "target"]))
    analysed = pairs["mirna"].isin(mirnas) & pairs["target"].isin(genes)
    counts.update({"predicted_pairs_after_mapping": len(pairs), "predicted_pairs_used": int(analysed.sum()),
                   "predicted_mirnas_used": int(pairs.loc[analysed, "mirna"].nunique())})
    if not analysed.any():
        msg = ("No predicted pair links an analysed miRNA to an analysed mRNA: check the predicted "
               "tables' miRNA ids (mature names or MIMAT accessions; give --mirbase tables) and gene ids.")
        raise InputDataError(msg)
    used = pairs[analysed][["mirna", "target", "score", "strength", "n_sources"]].reset_index(drop=True)
    return used, pd.concat(reports, ignore_index=True), counts


def _preprocess_named(
    frame: pd.DataFrame, modality: str, options: PreprocessingOptions, name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`preprocess_expression` whose errors start with the input's name (its file)."""
    try:
        return preprocess_expression(frame, modality=modality, options=options)
    except InputDataError as err:
        if str(err).startswith(name):
            raise
        msg = f"{name}: {err}"
        raise InputDataError(msg) from err


def repair_case(
    table: pd.DataFrame, column: str, known: pd.Index, *, what: str
) -> tuple[pd.DataFrame, int]:
    """Map ids of ``table[column]`` that differ from one id of ``known`` only in letter case onto
    it (``hsa-mir-21-5p`` -> ``hsa-miR-21-5p``), with a
    :class:`~mirmodules.exceptions.DataQualityWarning` that counts them and shows examples; an id
    whose lower case fits several known ids is left as it is. Returns the table and the number of
    distinct ids repaired.

    >>> t = pd.DataFrame({"mirna": ["hsa-miR-1", "HSA-MIR-2"], "target": ["A", "B"]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fixed, n = repair_case(t, "mirna", pd.Index(["hsa-miR-1", "hsa-miR-2"]), what="t")
    >>> list(fixed["mirna"]), n
    (['hsa-miR-1', 'hsa-miR-2'], 1)
    """
    import warnings

    from mirmodules.exceptions import DataQualityWarning

    if table.empty:
        return table, 0
    ids = pd.Series(table[column].unique())
    absent = ids[~ids.isin(known)]
    if absent.empty:
        return table, 0
    lower = pd.Series(known, index=known.str.lower())
    unique = lower[~lower.index.duplicated(keep=False)]
    candidates = absent[absent.str.lower().isin(unique.index)]
    if candidates.empty:
        return table, 0
    mapping = dict(zip(candidates, unique.loc[candidates.str.lower()].to_numpy(), strict=True))
    shown = ", ".join(f"{k} -> {v}" for k, v in list(mapping.items())[:3])
    warnings.warn(
        f"{what}: {len(mapping)} id(s) match the expression ids only when letter case is ignored "
        f"(e.g. {shown}); they were mapped onto the expression's spelling. Check the files' naming "
        "(miRBase names are case-sensitive: 'mir' is a precursor, 'miR' a mature miRNA).",
        DataQualityWarning, stacklevel=3,
    )
    out = table.assign(**{column: table[column].replace(mapping)})
    return out.drop_duplicates(["mirna", "target"]).reset_index(drop=True), len(mapping)


def prepare_inputs(
    mirna: pd.DataFrame,
    mrna: pd.DataFrame,
    interactions: pd.DataFrame | InteractionTable,
    *,
    name_map: MirnaNameMap | None = None,
    config: MicaConfig | None = None,
    names: tuple[str, str, str] = ("miRNA expression", "mRNA expression", "interactions"),
    predicted: Sequence[PredictedTable | pd.DataFrame] = (),
) -> PreparedInputs:
    """Align, harmonise, preprocess and restrict the inputs (see module docstring).

    Parameters
    ----------
    mirna, mrna
        Features x samples expression (raw: counts or logged values).
    interactions
        Table with ``mirna`` and ``target`` columns, or an :class:`~mirmodules.inputs.io.InteractionTable`.
    name_map
        miRBase tables for id harmonisation; ``None`` compares miRNA ids as they are.
    config
        :class:`~mirmodules.config.MicaConfig` (only its input and preprocessing settings are used).
    names
        How the three inputs are called in messages (file paths when read from files).
    predicted
        Predicted-target tables (:func:`~mirmodules.inputs.io.read_predicted`; or frames with
        ``mirna``, ``target``, ``score``, ``strength``), kept on the analysed features as
        :attr:`PreparedInputs.predicted` (:func:`combine_predicted`).
    """
    config = config or MicaConfig()
    config.validate()
    name_map = name_map or MirnaNameMap({}, {}, {})
    counts: dict[str, Any] = {}
    if isinstance(interactions, InteractionTable):
        counts["interactions_file"] = interactions.counts()
        interactions = interactions.table
    missing = [c for c in ("mirna", "target") if c not in interactions]
    if missing:
        msg = f"{names[2]}: interaction table lacks column(s) {missing}; expected 'mirna' and 'target'."
        raise InputDataError(msg)

    mrna, firehose_counts = split_symbol_entrez(mrna, what=names[1])
    counts.update(firehose_counts)
    mirna, mrna, sample_counts = _align_samples(mirna, mrna, names[:2], config.orientation)
    counts.update(sample_counts)
    mirna, report_expr, id_counts = _harmonise_expression(mirna, name_map, config.species)
    counts.update(id_counts)

    options = PreprocessingOptions(
        max_missing=config.max_missing,
        imputation=config.imputation,  # type: ignore[arg-type]
        n_neighbors=config.n_neighbors,
        transform=config.transform,  # type: ignore[arg-type]
        min_variance=config.min_variance,
        scaling=config.scaling,  # type: ignore[arg-type]
    )
    mirna_scaled, steps_mir = _preprocess_named(mirna, "mirna", options, names[0])
    mrna_scaled, steps_mrna = _preprocess_named(mrna, "mrna", options, names[1])

    inter, report_inter = _harmonise_interactions(interactions, name_map, config.species)
    # miRNA names differ by case only through a mistake; gene symbols are left as they are (in
    # miRTarBase's human file 'Fas' or 'Vegfa' are mouse genes, not FAS or VEGFA)
    inter, n_case_mirna = repair_case(inter, "mirna", mirna_scaled.index, what=f"{names[2]} (miRNA ids)")
    counts["interaction_mirna_ids_case_repaired"] = n_case_mirna
    n_pairs = len(inter)
    has_mir = inter["mirna"].isin(mirna_scaled.index)
    has_tgt = inter["target"].isin(mrna_scaled.index)
    restricted = inter[has_mir & has_tgt].reset_index(drop=True)
    counts.update(
        {
            "interaction_mirna_ids": int(report_inter["input_id"].nunique()),
            "interaction_mirna_ids_dropped_ambiguous": int(
                report_inter.loc[report_inter.status == "ambiguous", "input_id"].nunique()
            ),
            "interaction_mirna_ids_dropped_unmatched": int(
                report_inter.loc[report_inter.status == "unmatched", "input_id"].nunique()
            ),
            "interaction_pairs_after_mapping": int(n_pairs),
            "interaction_pairs_mirna_not_analysed": int((~has_mir).sum()),
            "interaction_pairs_target_not_analysed": int((has_mir & ~has_tgt).sum()),
            "interaction_pairs_used": len(restricted),
            "mirnas_with_interactions": int(restricted["mirna"].nunique()),
            "mrnas_with_interactions": int(restricted["target"].nunique()),
        }
    )
    if not has_mir.any():
        msg = (
            f"No miRNA of {names[2]} is among the analysed miRNAs of {names[0]}. Expression ids: "
            f"{describe_id_style(mirna_scaled.index)}. Interaction ids: "
            f"{describe_id_style(inter['mirna'].unique() if n_pairs else interactions['mirna'].unique())}. "
            "Map both onto one naming with miRBase tables (--mirbase FILE ...)."
        )
        raise InputDataError(msg)
    if restricted.empty:
        msg = (
            f"No target of {names[2]} is among the analysed genes of {names[1]}. Expression ids: "
            f"{detect_gene_id_style(mrna_scaled.index)} (e.g. {list(mrna_scaled.index[:3])}); targets "
            f"{detect_gene_id_style(inter['target'].unique())} (e.g. {list(inter['target'].unique()[:3])}). "
            "Both must be the same gene ids: map the expression ids to symbols with --gene-map FILE "
            "(a table with a 'symbol' column and an id column, e.g. HGNC's complete set)."
        )
        raise InputDataError(msg)

    n_linked = counts["mirnas_with_interactions"]
    if n_linked < max(MIN_LINKED_MIRNAS, MIN_LINKED_MIRNA_SHARE * len(mirna_scaled)):
        logger.warning(
            "Only %d of %d analysed miRNAs have a validated interaction with an analysed mRNA: modules "
            "can only form around these. Check the miRNA ids (id_harmonisation.tsv; --mirbase) and the "
            "interaction evidence (--evidence).", n_linked, len(mirna_scaled))
    sample_order = order_samples([mirna_scaled, mrna_scaled], method=config.sample_order)  # type: ignore[arg-type]
    harmonisation = pd.concat([report_expr, report_inter], ignore_index=True)
    predicted_pairs = None
    if predicted:
        predicted_pairs, report_pred, pred_counts = combine_predicted(
            predicted, name_map, config.species, mirna_scaled.index, mrna_scaled.index)
        harmonisation = pd.concat([harmonisation, report_pred], ignore_index=True)
        counts.update(pred_counts)
    preprocessing = pd.concat([steps_mir, steps_mrna], ignore_index=True)
    return PreparedInputs(
        mirna=_select_columns(mirna_scaled, sample_order),
        mrna=_select_columns(mrna_scaled, sample_order),
        interactions=restricted,
        harmonisation=harmonisation,
        preprocessing=preprocessing,
        counts=counts,
        predicted=predicted_pairs,
    )


def prepare_from_files(
    mirna_path: str | Path,
    mrna_path: str | Path,
    interactions_path: str | Path,
    *,
    mirbase_paths: Sequence[str | Path] = (),
    gene_map_path: str | Path | None = None,
    config: MicaConfig | None = None,
    predicted_paths: Sequence[str | Path] = (),
) -> tuple[PreparedInputs, MirnaNameMap | None, dict[str, float]]:
    """Read the input files and prepare them (what :func:`run_from_files` and ``evaluate`` share).

    ``gene_map_path``: a table mapping the mRNA file's ids (Ensembl, Entrez, HGNC, older symbols)
    to the symbols of the interaction table (see :func:`~mirmodules.inputs.identifiers.map_gene_ids`).
    ``predicted_paths``: predicted-target tables (:func:`~mirmodules.inputs.io.read_predicted`,
    with ``config.predicted_score`` as the score direction).
    Returns the prepared inputs, the miRBase name map (``None`` without tables) and the seconds
    spent reading and preparing.
    """
    config = config or MicaConfig()
    config.validate()
    start = time.perf_counter()
    mirna = read_expression(
        mirna_path,
        orientation=config.orientation,  # type: ignore[arg-type]
        what="miRNA expression",
    )
    mrna = read_expression(
        mrna_path,
        orientation=config.orientation,  # type: ignore[arg-type]
        what="mRNA expression",
    )
    interactions = read_interactions(interactions_path, evidence=config.evidence)  # type: ignore[arg-type]
    predicted = [read_predicted(p, direction=config.predicted_score) for p in predicted_paths]  # type: ignore[arg-type]
    name_map = load_mirbase_tables(mirbase_paths, species=config.species) if mirbase_paths else None
    mrna, firehose_counts = split_symbol_entrez(mrna, what=f"mRNA expression {mrna_path}")
    style = detect_gene_id_style(mrna.index)
    gene_counts: dict[str, Any] = {"mrna_id_style": style, **firehose_counts}
    if gene_map_path is not None:
        mrna, gene_counts = _map_mrna_ids(mrna, gene_map_path, style)
    timings = {"read_inputs": time.perf_counter() - start}
    _memory.mark("read_inputs")
    start = time.perf_counter()
    prepared = prepare_inputs(
        mirna,
        mrna,
        interactions,
        name_map=name_map,
        config=config,
        names=(str(mirna_path), str(mrna_path), str(interactions_path)),
        predicted=predicted,
    )
    prepared = replace(prepared, counts={**prepared.counts, **gene_counts})
    timings["prepare_inputs"] = time.perf_counter() - start
    _memory.mark("prepare_inputs")
    return prepared, name_map, timings


def _map_mrna_ids(
    mrna: pd.DataFrame, gene_map_path: str | Path, style: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """mRNA rows renamed to symbols through a gene map; ids mapped to one symbol are merged."""
    table = read_table(gene_map_path, what="Gene map", dtype=str)
    report = map_gene_ids(mrna.index, table, what=f"gene map {gene_map_path}")
    kept = report[report["gene"] != ""]
    frame = pd.DataFrame(mrna.loc[kept["input_id"]].to_numpy(), index=kept["gene"].to_numpy(),
                         columns=mrna.columns)
    frame, n_merged, _ = merge_renamed_rows(frame)
    dropped = report[report["gene"] == ""]
    counts = {
        "mrna_id_style": style,
        "mrna_ids_in_expression": len(report),
        "mrna_ids_mapped_by_gene_map": int((report["status"] == "mapped").sum()),
        "mrna_ids_already_symbols": int((report["status"] == "symbol").sum()),
        "mrna_ids_dropped_unmatched": int((dropped["status"] == "unmatched").sum()),
        "mrna_ids_dropped_ambiguous": int((dropped["status"] == "ambiguous").sum()),
        "mrna_rows_merged_after_mapping": n_merged,
        "gene_map_id_column": str(report["id_column"].iloc[0]) if len(report) else "",
    }
    logger.info("mRNA ids (%s) mapped with %s through column %r: %d mapped, %d already symbols, "
                "%d dropped, %d merged", style, gene_map_path, counts["gene_map_id_column"],
                counts["mrna_ids_mapped_by_gene_map"], counts["mrna_ids_already_symbols"],
                len(dropped), n_merged)
    warn_dropped_ids(report, what=f"mRNA ids of the expression file ({style})",
                     fix=f"Use a gene map whose id column holds these ids (now {gene_map_path}).")
    if frame.empty:
        msg = (f"No mRNA id of the expression file ({style} ids, e.g. {mrna.index[0]!r}) is in the "
               f"gene map {gene_map_path}; give a map whose id column holds these ids.")
        raise InputDataError(msg)
    return frame, counts


def input_record(path: str | Path) -> dict[str, str]:
    """Path as given, absolute path and SHA-256 of an input file (for manifests); an AnnData spec
    ``FILE.h5mu::options`` keeps its options on the resolved path."""
    file_part, sep, options = str(path).partition("::")
    return {"path": str(path), "resolved": str(Path(file_part).resolve()) + sep + options,
            "sha256": sha256_of(file_part)}


def input_records(
    mirna_path: str | Path,
    mrna_path: str | Path,
    interactions_path: str | Path,
    mirbase_paths: Sequence[str | Path] = (),
    gene_map_path: str | Path | None = None,
    predicted_paths: Sequence[str | Path] = (),
) -> dict[str, Any]:
    """The ``inputs`` block of a manifest: :func:`input_record` of every input file, by role
    (what :func:`~mirmodules.workflows.evaluate.load_run_for_evaluation` reads back)."""
    records: dict[str, Any] = {
        "mirna": input_record(mirna_path),
        "mrna": input_record(mrna_path),
        "interactions": input_record(interactions_path),
        "mirbase": [input_record(p) for p in mirbase_paths],
    }
    if gene_map_path is not None:
        records["gene_map"] = input_record(gene_map_path)
    if predicted_paths:  # only then: a run without predictions writes the manifest it always wrote
        records["predicted"] = [input_record(p) for p in predicted_paths]
    return records
