"""MICA end to end: inputs -> preprocessing -> autoencoder -> K-means -> modules.

Two layers:

* :func:`prepare_inputs` aligns samples, harmonises miRNA ids, preprocesses both matrices and
  restricts the interactions to analysed features; everything it removes is counted;
* :func:`run_mica` runs the three stages on prepared inputs and returns a :class:`MicaResult`.

:func:`identify_modules` does both from in-memory tables, :func:`run_from_files` from files (and
records the inputs' SHA-256). Writing is separate (:mod:`mirmodules.results`).
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ._random import derive_seed
from .clustering import Clustering, cluster_features, single_cluster
from .config import MicaConfig
from .exceptions import InputDataError
from .identifiers import (
    DROPPED_STATUSES,
    MirnaNameMap,
    describe_id_style,
    detect_gene_id_style,
    harmonise_mirna_ids,
    load_mirbase_tables,
    map_gene_ids,
    summarise_harmonisation,
)
from .io import InteractionTable, read_expression, read_interactions, read_table, sha256_of
from .modules import ModuleSet, modules_from_clusters
from .preprocessing import (
    PreprocessingOptions,
    detect_scale,
    order_samples,
    preprocess_expression,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedInputs:
    """Inputs ready for any module-finding method (MICA or a baseline).

    Attributes
    ----------
    mirna, mrna
        Scaled profiles, features x samples, columns in the analysis sample order.
    interactions
        Columns ``mirna``, ``target``: pairs whose both ends are analysed features.
    harmonisation
        One row per (input miRNA id, mapped name); see :func:`~mirmodules.identifiers.harmonise_mirna_ids`.
    preprocessing
        The preprocessing step report of both modalities.
    counts
        What was kept and removed at each step (samples, ids, interactions).
    """

    mirna: pd.DataFrame
    mrna: pd.DataFrame
    interactions: pd.DataFrame
    harmonisation: pd.DataFrame
    preprocessing: pd.DataFrame
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def samples(self) -> list[str]:
        """The analysis sample order."""
        return list(self.mirna.columns)


def _align_samples(
    mirna: pd.DataFrame, mrna: pd.DataFrame, names: tuple[str, str]
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
            f"{list(mrna.columns[:3])}). Sample ids must match exactly; if one file is "
            "samples x features, pass orientation='samples_x_features' (--orientation)."
        )
        raise InputDataError(msg)
    if only_mir or only_mrna:
        logger.warning(
            "samples: %d matched; %d only in miRNA data, %d only in mRNA data (dropped)",
            len(common),
            len(only_mir),
            len(only_mrna),
        )
    return mirna[common], mrna[common], counts


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
        return
    shown = ", ".join(dropped["input_id"].head(8).astype(str))
    logger.warning(
        "%d of %d %s (%.0f%%) could not be mapped and are left out (%d ambiguous, %d unmatched), "
        "e.g. %s. %s", len(dropped), len(ids), what, 100 * len(dropped) / len(ids),
        int((dropped["status"] == "ambiguous").sum()), int((dropped["status"] == "unmatched").sum()),
        shown, fix,
    )


def _merge_renamed_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    """Rows that mapping gave the same id, merged (summed for counts, averaged otherwise)."""
    n_merged = int(frame.index.duplicated().sum())
    if not n_merged:
        return frame, 0, ""
    how = "sum" if detect_scale(frame.to_numpy()) == "counts" else "mean"
    return frame.groupby(level=0, sort=False).agg(how), n_merged, how


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
    frame, n_collisions, how = _merge_renamed_rows(frame)
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
    table: pd.DataFrame, name_map: MirnaNameMap, species: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    report = harmonise_mirna_ids(table["mirna"].unique(), name_map, species=species, source="interactions")
    kept = report[~report["status"].isin(DROPPED_STATUSES)][["input_id", "mirna"]]
    mapped = table.rename(columns={"mirna": "input_id"}).merge(kept, on="input_id", how="inner")
    mapped = mapped[["mirna", "target"]].drop_duplicates().reset_index(drop=True)
    return mapped, report


def prepare_inputs(
    mirna: pd.DataFrame,
    mrna: pd.DataFrame,
    interactions: pd.DataFrame | InteractionTable,
    *,
    name_map: MirnaNameMap | None = None,
    config: MicaConfig | None = None,
    names: tuple[str, str, str] = ("miRNA expression", "mRNA expression", "interactions"),
) -> PreparedInputs:
    """Align, harmonise, preprocess and restrict the inputs (see module docstring).

    Parameters
    ----------
    mirna, mrna
        Features x samples expression (raw: counts or logged values).
    interactions
        Table with ``mirna`` and ``target`` columns, or an :class:`~mirmodules.io.InteractionTable`.
    name_map
        miRBase tables for id harmonisation; ``None`` compares miRNA ids as they are.
    config
        :class:`~mirmodules.config.MicaConfig` (only its input and preprocessing settings are used).
    names
        How the three inputs are called in messages (file paths when read from files).
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

    mirna, mrna, sample_counts = _align_samples(mirna, mrna, names[:2])
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
    mirna_scaled, steps_mir = preprocess_expression(mirna, modality="mirna", options=options)
    mrna_scaled, steps_mrna = preprocess_expression(mrna, modality="mrna", options=options)

    inter, report_inter = _harmonise_interactions(interactions, name_map, config.species)
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

    sample_order = order_samples([mirna_scaled, mrna_scaled], method=config.sample_order)  # type: ignore[arg-type]
    harmonisation = pd.concat([report_expr, report_inter], ignore_index=True)
    preprocessing = pd.concat([steps_mir, steps_mrna], ignore_index=True)
    return PreparedInputs(
        mirna=mirna_scaled[sample_order],
        mrna=mrna_scaled[sample_order],
        interactions=restricted,
        harmonisation=harmonisation,
        preprocessing=preprocessing,
        counts=counts,
    )


@dataclass(frozen=True)
class MicaResult:
    """Everything a MICA run produced (written to a run directory by :mod:`mirmodules.results`).

    Attributes
    ----------
    modules
        The :class:`~mirmodules.modules.ModuleSet`.
    clusterings
        ``{"mirna": Clustering, "mrna": Clustering}``.
    codes
        ``{"mirna": DataFrame, "mrna": DataFrame}``: features x code dimensions.
    histories
        ``{"mirna": DataFrame, "mrna": DataFrame}``: training loss per epoch.
    prepared
        The :class:`PreparedInputs` the stages ran on.
    config
        The settings.
    manifest
        Parameters, seeds, versions, input checksums, sample order and time per stage.
    """

    modules: ModuleSet
    clusterings: dict[str, Clustering]
    codes: dict[str, pd.DataFrame]
    histories: dict[str, pd.DataFrame]
    prepared: PreparedInputs
    config: MicaConfig
    manifest: dict[str, Any]


def package_versions() -> dict[str, str]:
    """Versions of mirmodules, Python and the libraries that shape the results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("mirmodules", "numpy", "pandas", "scipy", "scikit-learn", "torch", "kneed", "networkx"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass(frozen=True)
class JoinedClusters:
    """Stage 2 and 3 output: the clustering of each modality, the modules and the K-means seeds."""

    clusterings: dict[str, Clustering]
    modules: ModuleSet
    seeds: dict[str, int]


def cluster_and_join(
    prepared: PreparedInputs,
    features: dict[str, pd.DataFrame],
    config: MicaConfig,
    seed: int,
    *,
    progress: bool = False,
    timings: dict[str, float] | None = None,
) -> JoinedClusters:
    """MICA's stages 2 and 3 on any per-feature representation (codes, raw profiles, PCA).

    One K rule, one join and one repression filter for MICA and every K-means ablation, so that
    they differ in their features alone. K-means seeds are derived from ``seed`` per modality.
    """
    timings = timings if timings is not None else {}
    seeds = {f"kmeans_{kind}": derive_seed(seed, f"kmeans_{kind}") for kind in ("mirna", "mrna")}
    clusterings: dict[str, Clustering] = {}
    for kind in ("mirna", "mrna"):
        start = time.perf_counter()
        if kind == "mirna" and config.mirna_clustering == "none":
            clusterings[kind] = single_cluster(prepared.mirna.index,
                                               reason="not clustered (mirna_clustering=none)")
            timings[f"stage2_kmeans_{kind}"] = time.perf_counter() - start
            continue
        clusterings[kind] = cluster_features(
            features[kind],
            k_min=config.k_min,
            k_max=config.k_max,
            n_init=config.n_init,
            d=config.elbow_d,
            k_rule=config.k_rule,
            silhouette_sample=config.silhouette_sample,
            silhouette_tolerance=config.silhouette_tolerance,
            sweep_n_init=config.sweep_n_init,
            random_state=seeds[f"kmeans_{kind}"],
            progress=progress,
            progress_label=f"stage 2 k-means ({kind})",
        )
        timings[f"stage2_kmeans_{kind}"] = time.perf_counter() - start
    start = time.perf_counter()
    modules = modules_from_clusters(
        clusterings["mirna"].labels,
        clusterings["mrna"].labels,
        prepared.interactions,
        combine=config.combine,  # type: ignore[arg-type]
        min_mirnas=config.min_mirnas,
        min_mrnas=config.min_mrnas,
        repression=config.repression,  # type: ignore[arg-type]
        repression_alpha=config.repression_alpha,
        mirna_profiles=prepared.mirna,
        mrna_profiles=prepared.mrna,
    )
    timings["stage3_modules"] = time.perf_counter() - start
    return JoinedClusters(clusterings, modules, seeds)


def run_mica(
    prepared: PreparedInputs,
    *,
    config: MicaConfig | None = None,
    progress: bool = False,
    timings: dict[str, float] | None = None,
) -> MicaResult:
    """Run the three MICA stages on prepared inputs.

    Parameters
    ----------
    prepared
        From :func:`prepare_inputs`.
    config
        Settings; stage seeds are derived from ``config.seed``.
    progress
        Show tqdm bars (epochs, K values).
    timings
        Seconds of earlier stages to carry into the manifest (e.g. reading, preprocessing).
    """
    from ._threads import thread_limits

    config = config or MicaConfig()
    config.validate()
    with thread_limits(config.threads):
        return _run_mica_stages(prepared, config=config, progress=progress, timings=timings)


def _run_mica_stages(
    prepared: PreparedInputs,
    *,
    config: MicaConfig,
    progress: bool,
    timings: dict[str, float] | None,
) -> MicaResult:
    import torch

    from .autoencoder import ConvAutoencoderEmbedder

    timings = dict(timings or {})
    seeds = {f"autoencoder_{kind}": derive_seed(config.seed, f"autoencoder_{kind}")
             for kind in ("mirna", "mrna")}
    codes: dict[str, pd.DataFrame] = {}
    histories: dict[str, pd.DataFrame] = {}
    epochs: dict[str, dict[str, Any]] = {}
    device_used = "cpu"
    modalities = [("mirna", prepared.mirna), ("mrna", prepared.mrna)]
    if config.mirna_clustering == "none":  # miRNA codes would not be used
        modalities = modalities[1:]
    for kind, frame in modalities:
        start = time.perf_counter()
        embedder = ConvAutoencoderEmbedder(
            code_length=config.code_length,
            dropout=config.dropout,
            learning_rate=config.learning_rate,
            batch_size=config.batch_size,
            max_epochs=config.max_epochs,
            max_steps=config.max_steps,
            eval_every=config.eval_every,
            channels=config.channels,
            kernels=config.kernels,
            pools=config.pools,
            patience=config.patience,
            tol=config.tol,
            validation_fraction=config.validation_fraction,
            device=config.device,  # type: ignore[arg-type]
            random_state=seeds[f"autoencoder_{kind}"],
            progress=progress,
            progress_label=f"stage 1 autoencoder ({kind})",
        )
        z = embedder.fit_transform(frame.to_numpy())
        device_used = embedder.device_
        codes[kind] = pd.DataFrame(z, index=frame.index, columns=[f"code_{i + 1}" for i in range(z.shape[1])])
        histories[kind] = embedder.history_.assign(modality=kind)
        epochs[kind] = {
            "epochs_run": embedder.n_epochs_,
            "steps_run": embedder.n_steps_,
            "best_epoch": embedder.best_epoch_,
            "stop_reason": embedder.stop_reason_,
            "converged": embedder.converged_,
            "final_train_loss": float(embedder.history_["train_loss"].iloc[-1]),
            "best_val_loss": float(embedder.history_["val_loss"].min()),
        }
        timings[f"stage1_autoencoder_{kind}"] = time.perf_counter() - start
    joined = cluster_and_join(prepared, codes, config, config.seed, progress=progress, timings=timings)
    modules, clusterings = joined.modules, joined.clusterings
    seeds.update(joined.seeds)
    summary = modules.summary()
    manifest = {
        "method": "MICA",
        "preset": config.preset,
        "parameters": config.to_dict(),
        "seeds": {"seed": config.seed, **seeds},
        "versions": package_versions(),
        "platform": {
            "system": platform.platform(),
            "machine": platform.machine(),
            "torch_threads": torch.get_num_threads(),
            "threads_requested": config.threads,
            "device": device_used,
        },
        "choices": {
            "k_rule": {
                "sqrt": "K = round(sqrt(n_features)), one K-means fit",
                "silhouette": "silhouette (sampled) on a K grid; the largest K within the tolerance "
                "of the best",
                "elbow": "elbow: candidate K: SSE(K-1)-SSE(K) > SSE(K)-SSE(K+d); choose max difference; "
                "fallback Kneedle, then max second difference",
            }[config.k_rule],
            "mirna_clustering": "none: one miRNA cluster; each mRNA cluster's largest component of "
            "repressed interactions picks its miRNAs" if config.mirna_clustering == "none"
            else "kmeans on the miRNA codes",
            "repression_filter": config.repression,
            "module_combination": config.combine,
            "decoder_upsampling": "nearest, to the encoder's exact stage lengths"
            if config.pools != (1, 1) else "none (no pooling)",
            "imputation_order": "after the log transform",
            "precursor_ids": "mapped to every mature product; direct mature measurements win",
        },
        "samples": {"n": len(prepared.samples), "order": prepared.samples, "order_rule": config.sample_order},
        "counts": prepared.counts,
        "harmonisation": summarise_harmonisation(prepared.harmonisation).to_dict("records"),
        "training": epochs,
        "clustering": {
            kind: {
                "k": c.selection.k,
                "rule": c.selection.rule,
                "candidates": [k for k, _ in c.selection.candidates],
            }
            for kind, c in clusterings.items()
        },
        "result": {
            "n_modules": modules.n_modules,
            "mean_mirnas": float(summary["n_mirnas"].mean()) if len(summary) else 0.0,
            "mean_mrnas": float(summary["n_mrnas"].mean()) if len(summary) else 0.0,
            "mean_density": float(summary["density"].mean()) if len(summary) else 0.0,
        },
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "inputs": {},
    }
    return MicaResult(modules, clusterings, codes, histories, prepared, config, manifest)


def identify_modules(
    mirna: pd.DataFrame,
    mrna: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    name_map: MirnaNameMap | None = None,
    config: MicaConfig | None = None,
    progress: bool = False,
) -> MicaResult:
    """Find MICA modules from in-memory tables (features x samples expression).

    Examples
    --------
    >>> from mirmodules import simulate_cohort, identify_modules, MicaConfig
    >>> cohort = simulate_cohort(n_samples=48, n_mirnas=40, n_mrnas=300, n_modules=3, seed=0)
    >>> import warnings
    >>> with warnings.catch_warnings():  # small data: the elbow rule may fall back to Kneedle
    ...     warnings.simplefilter("ignore")
    ...     result = identify_modules(cohort.mirna, cohort.mrna, cohort.interactions,
    ...                               config=MicaConfig(max_epochs=5, k_max=8))
    >>> sorted(result.modules.members.columns)
    ['feature', 'kind', 'module_id']
    """
    start = time.perf_counter()
    prepared = prepare_inputs(mirna, mrna, interactions, name_map=name_map, config=config)
    return run_mica(
        prepared, config=config, progress=progress, timings={"prepare_inputs": time.perf_counter() - start}
    )


def prepare_from_files(
    mirna_path: str | Path,
    mrna_path: str | Path,
    interactions_path: str | Path,
    *,
    mirbase_paths: Sequence[str | Path] = (),
    gene_map_path: str | Path | None = None,
    config: MicaConfig | None = None,
) -> tuple[PreparedInputs, MirnaNameMap | None, dict[str, float]]:
    """Read the input files and prepare them (what :func:`run_from_files` and ``evaluate`` share).

    ``gene_map_path``: a table mapping the mRNA file's ids (Ensembl, Entrez, HGNC, older symbols)
    to the symbols of the interaction table (see :func:`~mirmodules.identifiers.map_gene_ids`).
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
    name_map = load_mirbase_tables(mirbase_paths, species=config.species) if mirbase_paths else None
    style = detect_gene_id_style(mrna.index)
    gene_counts: dict[str, Any] = {"mrna_id_style": style}
    if gene_map_path is not None:
        mrna, gene_counts = _map_mrna_ids(mrna, gene_map_path, style)
    timings = {"read_inputs": time.perf_counter() - start}
    start = time.perf_counter()
    prepared = prepare_inputs(
        mirna,
        mrna,
        interactions,
        name_map=name_map,
        config=config,
        names=(str(mirna_path), str(mrna_path), str(interactions_path)),
    )
    prepared = replace(prepared, counts={**prepared.counts, **gene_counts})
    timings["prepare_inputs"] = time.perf_counter() - start
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
    frame, n_merged, _ = _merge_renamed_rows(frame)
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
) -> dict[str, Any]:
    """The ``inputs`` block of a manifest: :func:`input_record` of every input file, by role
    (what :func:`~mirmodules.evaluation.load_run_for_evaluation` reads back)."""
    records: dict[str, Any] = {
        "mirna": input_record(mirna_path),
        "mrna": input_record(mrna_path),
        "interactions": input_record(interactions_path),
        "mirbase": [input_record(p) for p in mirbase_paths],
    }
    if gene_map_path is not None:
        records["gene_map"] = input_record(gene_map_path)
    return records


def run_from_files(
    mirna_path: str | Path,
    mrna_path: str | Path,
    interactions_path: str | Path,
    *,
    mirbase_paths: Sequence[str | Path] = (),
    gene_map_path: str | Path | None = None,
    config: MicaConfig | None = None,
    progress: bool = False,
) -> MicaResult:
    """Read the input files, run MICA and record the inputs' SHA-256 in the manifest."""
    config = config or MicaConfig()
    prepared, _, timings = prepare_from_files(
        mirna_path, mrna_path, interactions_path, mirbase_paths=mirbase_paths,
        gene_map_path=gene_map_path, config=config,
    )
    result = run_mica(prepared, config=config, progress=progress, timings=timings)
    manifest = {
        **result.manifest,
        "inputs": input_records(mirna_path, mrna_path, interactions_path, mirbase_paths, gene_map_path),
    }
    return replace(result, manifest=manifest)
