"""MICA's three stages on prepared inputs: autoencoder codes -> K-means -> cluster pairs joined into modules.

:func:`run_mica` takes :class:`~mirmodules.datatypes.PreparedInputs` (see
:func:`~mirmodules.inputs.prepared.prepare_inputs`) and returns a :class:`MicaResult`;
:func:`identify_modules` prepares and runs from in-memory tables. Writing is separate
(:mod:`mirmodules.store.run_folder`)."""

from __future__ import annotations

import logging
import platform
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mirmodules import _memory
from mirmodules._random import derive_seed
from mirmodules._versions import package_versions
from mirmodules._warnings_log import held_back
from mirmodules.config import MicaConfig
from mirmodules.datatypes import ModuleGroups, ModuleSet, PreparedInputs
from mirmodules.inputs.identifiers import (
    MirnaNameMap,
    summarise_harmonisation,
)
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.consensus import RULE_DESCRIPTIONS, consensus_modules, edges_of
from mirmodules.methods.join import (
    JoinedModules,
    join_modules,
    repression_background,
    standardised_profiles,
)
from mirmodules.methods.mica.clustering import (
    Clustering,
    auto_n_init,
    cluster_features,
    coassociation_labels,
    single_cluster,
)

if TYPE_CHECKING:
    from mirmodules.methods.mica.autoencoder import ConvAutoencoderEmbedder

logger = logging.getLogger(__name__)

#: Share of the runs (autoencoder seeds or K-means runs) that must hold a matched module, and each
#: of its members, for a consensus module.
CONSENSUS_FREQUENCY = 0.5


@dataclass(frozen=True)
class MicaResult:
    """Everything a MICA run produced (written to a run directory by :mod:`mirmodules.store.run_folder`).

    Attributes
    ----------
    modules
        The :class:`~mirmodules.datatypes.ModuleSet`.
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
    #: With predicted targets: every (module, gene) the predictions proposed and whether the
    #: expression support admitted it (:class:`~mirmodules.methods.predicted.PredictedExtension`)
    predicted_candidates: pd.DataFrame | None = None


@dataclass(frozen=True)
class JoinedClusters:
    """Stage 2 and 3 output: the clustering of each modality, the modules and the K-means seeds.

    With ``kmeans_runs`` > 1, ``clusterings`` and ``seeds`` are the first run's, ``modules`` the
    consensus of all runs and ``modules_per_run`` each run's module count.
    """

    clusterings: dict[str, Clustering]
    modules: ModuleSet
    seeds: dict[str, int]
    modules_per_run: tuple[int, ...] = ()
    #: Module id -> (miRNAs, mRNAs) before refinement (one run; the consensus has none)
    cores: ModuleGroups | None = None
    #: (interactions tested, passed) by the repression test (the same in every run); None when off
    repression_counts: tuple[int, int] | None = None
    #: The refinement's counts (:attr:`~mirmodules.methods.join.JoinedModules.refinement_counts`),
    #: summed over the K-means runs; None without a refinement
    refinement_counts: dict[str, int] | None = None
    #: Each K-means run's own modules (with ``kmeans_runs`` > 1; what ``modules.confidence`` counts)
    runs: tuple[ModuleSet, ...] = ()


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
    With ``config.kmeans_runs`` > 1 the two stages run that many times (the first with the seeds
    of a single run, the others with seeds derived from ``seed``) and the modules are the
    consensus of the runs (:func:`~mirmodules.methods.consensus.consensus_modules`: modules
    matched across runs by their members or by their cores, the modules before refinement;
    members in at least half of them; edges: the interactions the runs' modules used). On five
    negbin cohorts three runs on one set of codes took seed stability across reruns (autoencoder
    seeds included) from 0.882 to 0.981 and recovery from 0.827 to 0.831 (docs/method_choices.md).
    With ``config.kmeans_consensus="coassociation"`` the stages run once: the K rule's K, then
    :func:`~mirmodules.methods.mica.clustering.coassociation_labels` of ``coassociation_runs``
    K-means runs at that K (the K rule's own fit only gives K), joined once. Seconds of all runs
    are added up in ``timings``.
    """
    timings = timings if timings is not None else {}
    # co-association builds one clustering from its own K-means runs and joins it once
    n_runs = config.resolved_kmeans_runs(len(features["mrna"])) if config.kmeans_consensus == "modules" else 1
    standardised, standardising = None, 0.0
    if n_runs > 1 and (config.repression == "edges" or config.refine != "none"):
        start = time.perf_counter()  # the same for every run: standardised once
        standardised = standardised_profiles(prepared.mirna, prepared.mrna)
        standardising = time.perf_counter() - start
    runs = []
    for i in range(n_runs):
        run_seed = seed if i == 0 else derive_seed(seed, f"kmeans_run_{i}")
        run_timings: dict[str, float] = {}
        with _first_run_logs_only(quiet=i > 0):  # the log shows the first run's stages, not ten copies
            runs.append(_cluster_and_join_once(prepared, features, config, run_seed, standardised,
                                               progress=progress and i == 0, timings=run_timings))
        for stage, value in run_timings.items():
            timings[stage] = timings.get(stage, 0.0) + value
    timings["stage3_modules"] += standardising
    first = runs[0]
    if len(runs) == 1:
        return first
    start = time.perf_counter()
    cores = [run.cores for run in runs if run.cores is not None]  # every single run has them
    modules = _consensus([run.modules for run in runs], config,
                         cores=cores if len(cores) == len(runs) else None)
    timings["stage3_modules"] += time.perf_counter() - start
    per_run = tuple(run.modules.n_modules for run in runs)
    logger.info("stage 3: consensus of %d K-means runs: %d modules (per run: %s)", len(runs),
                modules.n_modules, ", ".join(map(str, per_run)))
    refinement_counts = None
    if first.refinement_counts is not None:  # every run has the same settings, so the same keys
        refinement_counts = {key: sum((run.refinement_counts or {}).get(key, 0) for run in runs)
                             for key in first.refinement_counts}
        logger.info("stage 3: over the %d K-means runs the weak-target route was taken by %d of the %d "
                    "modules asked, and %d of %d one-miRNA candidates were kept (the lines above are "
                    "the first run's)", len(runs), refinement_counts.get("weak_route_modules_taken", 0),
                    refinement_counts.get("weak_route_modules_asked", 0),
                    refinement_counts.get("single_mirna_kept", 0),
                    refinement_counts.get("single_mirna_candidates", 0))
    return JoinedClusters(first.clusterings, modules, first.seeds, per_run,
                          repression_counts=first.repression_counts, refinement_counts=refinement_counts,
                          runs=tuple(run.modules for run in runs))


def _first_run_logs_only(*, quiet: bool) -> AbstractContextManager[None]:
    """Within the block, INFO lines of the clustering and join loggers are held back (``quiet``)."""
    if not quiet:
        return nullcontext()
    return held_back(("mirmodules.methods.join", "mirmodules.methods.mica.clustering"), logging.WARNING)


def resolved_n_init(config: MicaConfig, n_features: int) -> int:
    """K-means restarts in each run: ``config.n_init``, or :func:`auto_n_init` for ``kmeans_runs`` runs."""
    return config.n_init if config.n_init is not None else auto_n_init(
        n_features, config.resolved_kmeans_runs(n_features))


def _consensus(module_sets: list[ModuleSet], config: MicaConfig, *,
               cores: list[ModuleGroups] | None = None) -> ModuleSet:
    """The consensus of several MICA runs' modules (K-means runs or autoencoder seeds): matched
    modules (by members or, with ``cores``, by the modules before refinement) in at least
    ``CONSENSUS_FREQUENCY`` of the runs, with the edges the runs used."""
    return consensus_modules(module_sets, edges_of(module_sets), min_frequency=CONSENSUS_FREQUENCY,
                             min_mirnas=config.min_mirnas, min_mrnas=config.min_mrnas, cores=cores)


def _cluster_and_join_once(
    prepared: PreparedInputs,
    features: dict[str, pd.DataFrame],
    config: MicaConfig,
    seed: int,
    standardised: tuple[pd.DataFrame, pd.DataFrame] | None,
    *,
    progress: bool,
    timings: dict[str, float],
) -> JoinedClusters:
    """One K-means run per modality with seeds derived from ``seed``, joined into modules."""
    seeds = {f"kmeans_{kind}": derive_seed(seed, f"kmeans_{kind}") for kind in ("mirna", "mrna")}
    clusterings: dict[str, Clustering] = {}
    for kind in ("mirna", "mrna"):
        start = time.perf_counter()
        if kind == "mirna" and config.mirna_clustering == "none":
            clusterings[kind] = single_cluster(prepared.mirna.index,
                                               reason="not clustered (mirna_clustering=none)")
            timings[f"stage2_kmeans_{kind}"] = time.perf_counter() - start
            _memory.mark(f"stage2_kmeans_{kind}")
            continue
        clusterings[kind] = cluster_features(
            features[kind],
            k_min=config.k_min,
            k_max=config.k_max,
            n_init=resolved_n_init(config, len(features[kind])),
            d=config.elbow_d,
            k_rule=config.k_rule,
            silhouette_sample=config.silhouette_sample,
            silhouette_tolerance=config.silhouette_tolerance,
            sweep_n_init=config.sweep_n_init,
            random_state=seeds[f"kmeans_{kind}"],
            progress=progress,
            progress_label=f"stage 2 k-means ({kind})",
        )
        if config.kmeans_consensus == "coassociation":
            seeds[f"coassociation_{kind}"] = derive_seed(seed, f"coassociation_{kind}")
            labels = coassociation_labels(features[kind], clusterings[kind].selection.k,
                                          runs=config.coassociation_runs,
                                          random_state=seeds[f"coassociation_{kind}"])
            clusterings[kind] = replace(clusterings[kind], labels=labels)
            logger.info("stage 2 k-means (%s): co-association of %d K-means runs at K=%d: %d clusters",
                        kind, config.coassociation_runs, clusterings[kind].selection.k, labels.nunique())
        timings[f"stage2_kmeans_{kind}"] = time.perf_counter() - start
        _memory.mark(f"stage2_kmeans_{kind}")
    start = time.perf_counter()
    joined = join_clusters(prepared, clusterings["mirna"].labels, clusterings["mrna"].labels, config,
                           standardised=standardised)
    timings["stage3_modules"] = time.perf_counter() - start
    _memory.mark("stage3_modules")
    return JoinedClusters(clusterings, joined.modules, seeds, (joined.modules.n_modules,), joined.cores,
                          joined.repression_counts, joined.refinement_counts)


def join_clusters(
    prepared: PreparedInputs,
    mirna_labels: pd.Series,
    mrna_labels: pd.Series,
    config: MicaConfig,
    *,
    standardised: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> JoinedModules:
    """MICA's stage 3 with ``config``'s join settings on given cluster labels (one per feature).

    The join of every K-means run; also what a benchmark calls on clusters from elsewhere (a
    consensus partition, the planted modules).
    """
    return join_modules(
        mirna_labels,
        mrna_labels,
        prepared.interactions,
        combine=config.combine,  # type: ignore[arg-type]
        min_mirnas=config.min_mirnas,
        min_mrnas=config.min_mrnas,
        repression=config.repression,  # type: ignore[arg-type]
        repression_alpha=config.repression_alpha,
        mirna_profiles=prepared.mirna,
        mrna_profiles=prepared.mrna,
        refine=config.refine,  # type: ignore[arg-type]
        refine_fraction=config.refine_fraction,
        refine_alpha=config.refine_alpha,
        refine_own_cluster=config.refine_own_cluster,  # type: ignore[arg-type]
        standardised=standardised,
        refine_weak_fraction=config.refine_weak_fraction,
        refine_weak_fdr=config.refine_weak_fdr,
        single_mirna_cores=config.single_mirna_cores,  # type: ignore[arg-type]
        merge=config.merge,  # type: ignore[arg-type]
        merge_correlation=config.merge_correlation,
        merge_overlap=config.merge_overlap,
        merge_linkage=config.merge_linkage,
    )


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
        Show progress (a bar in a terminal, INFO lines with an ETA elsewhere).
    timings
        Seconds of earlier stages to carry into the manifest (e.g. reading, preprocessing).
    """
    from mirmodules._threads import thread_limits

    config = config or MicaConfig()
    config.validate()
    with thread_limits(config.threads):
        if config.consensus_seeds == 1:
            result = _run_mica_stages(prepared, config=config, progress=progress, timings=timings)
        else:
            result = _run_mica_consensus(prepared, config=config, progress=progress, timings=timings)
    result = apply_min_confidence(result, config.min_confidence)
    _warn_large_merged(result.modules, config)
    _warn_low_confidence(result.modules, config)
    return apply_predicted(result, config)


#: A merged module with more mRNAs than this is warned about (a merge may have joined programmes).
LARGE_MERGED_MRNAS = 150


def _warn_large_merged(modules: ModuleSet, config: MicaConfig) -> None:
    """A warning when merging pieces left modules larger than :data:`LARGE_MERGED_MRNAS` mRNAs: on
    real data dominated by a few programmes (SPONGE's BRCA set) merging can join programmes, not
    pieces of one (docs/method_choices.md, "Merging by complete linkage")."""
    if config.merge == "none" or not modules.n_modules:
        return
    sizes = modules.summary().set_index("module_id")["n_mrnas"]
    large = sizes[sizes > LARGE_MERGED_MRNAS]
    if len(large):
        logger.warning("%d of %d modules have more than %d mRNAs (largest %s: %d) after merging pieces "
                       "(--merge pieces); where the data hold a few broad programmes, merging may join "
                       "different ones: compare with --merge none.", len(large), len(sizes),
                       LARGE_MERGED_MRNAS, large.idxmax(), int(large.max()))


#: A run warns when at least this share of its modules (and two or more) have confidence below 1.
LOW_CONFIDENCE_SHARE = 0.25


def _warn_low_confidence(modules: ModuleSet, config: MicaConfig) -> None:
    """A warning when many modules were not found by every internal rerun (confidence < 1).

    On 24 planted runs (three generators, two shapes, cohort seeds 90-91, run seeds 1-2) at most
    one module of six or seven had confidence below 1; on real GBM and BRCA sets 25-65% of the
    modules had, and there such modules came back in other seeds' runs at a best-match Jaccard of
    0.41-0.48 against 0.60-0.71 for those of confidence 1 (docs/method_choices.md, "Real tumours
    and confidence").
    """
    scores = modules.confidence_of().dropna()
    low = scores[scores < 1.0 - 1e-9]
    if len(low) >= 2 and len(low) >= LOW_CONFIDENCE_SHARE * len(scores):
        pool = ("" if config.consensus_seeds > 1 else
                ", or pool autoencoder seeds with --consensus-seeds 5 (five times the time)")
        reruns = "autoencoder seeds" if config.consensus_seeds > 1 else "internal K-means runs"
        logger.warning("%d of %d modules were not found by every one of the run's %s (confidence "
                       "below 1; lowest %.2f): on real tumours such modules often change with the seed. Read "
                       "the confidence column of module_summary.tsv, keep the modules found every "
                       "time with --min-confidence 1%s.", len(low), len(scores), reruns, float(low.min()),
                       pool)


def apply_predicted(result: MicaResult, config: MicaConfig) -> MicaResult:
    """``result`` with the members that predicted targets and expression support admit
    (:func:`~mirmodules.methods.predicted.extend_with_predictions`); unchanged without predictions
    (``prepared.predicted`` is None). The manifest's ``predicted`` record counts them."""
    from mirmodules.methods.join import standardised_profiles
    from mirmodules.methods.predicted import extend_with_predictions

    prepared = result.prepared
    if prepared.predicted is None:
        return result
    z_mirna, z_mrna = standardised_profiles(prepared.mirna, prepared.mrna)
    extension = extend_with_predictions(
        result.modules, prepared.predicted, z_mirna, z_mrna, min_mirnas=config.predicted_min_mirnas,
        min_strength=config.predicted_min_strength, alpha=config.predicted_alpha,
        fit_fraction=config.predicted_fit_fraction, seed=derive_seed(config.seed, "predicted"))
    candidates = extension.candidates
    record = {"pairs_used": len(prepared.predicted), "genes_considered": len(candidates),
              "genes_admitted": int(candidates["admitted"].sum()),
              "modules_extended": int(candidates.loc[candidates["admitted"], "module_id"].nunique()),
              "admission_rate": extension.admission_rate,
              "control_rate_without_prediction": extension.control_rate}
    manifest = {**result.manifest, "predicted": record, "result": _result_summary(extension.modules)}
    return replace(result, modules=extension.modules, manifest=manifest, predicted_candidates=candidates)


def apply_min_confidence(result: MicaResult, min_confidence: float) -> MicaResult:
    """``result`` without the modules whose confidence is below ``min_confidence`` (ids kept); the
    manifest's ``min_confidence`` record counts what was dropped."""
    before = result.modules
    kept = before.with_min_confidence(min_confidence) if min_confidence > 0 else before
    dropped = sorted(set(before.members["module_id"]) - set(kept.members["module_id"]))
    record = {"threshold": min_confidence, "modules_before": before.n_modules,
              "modules_dropped": len(dropped), "dropped": dropped,
              "measured": before.confidence is not None}
    if min_confidence > 0 and before.confidence is None:
        logger.warning("min_confidence %.2f: these modules have no confidence (one K-means run, no "
                       "reruns to count), so none was dropped", min_confidence)
    elif dropped:
        logger.info("min_confidence %.2f: %d of %d modules dropped (%s)", min_confidence, len(dropped),
                    before.n_modules, ", ".join(dropped))
    manifest = {**result.manifest, "min_confidence": record,
                "result": _result_summary(kept) if dropped else result.manifest.get("result")}
    return replace(result, modules=kept, manifest=manifest)


def _result_summary(modules: ModuleSet) -> dict[str, float]:
    """The manifest's ``result`` entry: number of modules and their mean sizes and density."""
    summary = modules.summary()
    mean = {column: float(summary[column].mean()) if len(summary) else 0.0
            for column in ("n_mirnas", "n_mrnas", "density")}
    return {"n_modules": modules.n_modules, "mean_mirnas": mean["n_mirnas"],
            "mean_mrnas": mean["n_mrnas"], "mean_density": mean["density"]}


def encoder_sample_positions(config: MicaConfig, n_samples: int, seed: int) -> np.ndarray:
    """Positions (ascending) of the samples whose values the autoencoder encodes.

    Every sample while ``n_samples <= config.max_encoder_samples`` (or no limit); otherwise a
    random subset of that many drawn with ``seed`` and kept in the cohort's order, so the
    convolution still runs along the samples as given. The dense layers of an unpooled
    autoencoder grow with the samples (channels x samples x code length weights): at the
    pan-cancer shape (9,000 samples) training took 17 minutes, and 2,000 samples estimate each
    profile's correlations to about +-0.02 (docs/method_choices.md).

    >>> encoder_sample_positions(MicaConfig(), 5, seed=0)
    array([0, 1, 2, 3, 4])
    >>> len(encoder_sample_positions(MicaConfig(max_encoder_samples=3), 5, seed=0))
    3
    """
    n_encoded = config.resolved_encoder_samples(n_samples)
    if n_encoded >= n_samples:
        return np.arange(n_samples)
    chosen = np.random.default_rng(seed).choice(n_samples, size=n_encoded, replace=False)
    return np.sort(chosen)


def autoencoder_for(
    config: MicaConfig, n_samples: int, *, random_state: int, progress: bool = False,
    progress_label: str = "autoencoder",
) -> ConvAutoencoderEmbedder:
    """The (unfitted) autoencoder a MICA run with ``config`` trains on ``n_samples``-long profiles."""
    from mirmodules.methods.mica.autoencoder import ConvAutoencoderEmbedder

    return ConvAutoencoderEmbedder(
        code_length=config.resolved_code_length(n_samples),
        dropout=config.dropout,
        learning_rate=config.learning_rate,
        batch_size=config.batch_size,
        max_epochs=config.max_epochs,
        max_steps=config.max_steps,
        eval_every=config.eval_every,
        channels=config.channels,
        kernels=config.kernels,
        pools=config.resolved_pools(n_samples),
        patience=config.patience,
        tol=config.tol,
        validation_fraction=config.validation_fraction,
        device=config.device,  # type: ignore[arg-type]
        random_state=random_state,
        progress=progress,
        progress_label=progress_label,
    )


def _run_mica_consensus(
    prepared: PreparedInputs,
    *,
    config: MicaConfig,
    progress: bool,
    timings: dict[str, float] | None,
) -> MicaResult:
    """MICA over ``config.consensus_seeds`` seeds; the consensus of their modules, the rest of the first run.

    On negbin cohorts three seeds raised stability across reruns from 0.84-0.98 to 0.91-0.99 at
    the same recovery (docs/method_choices.md), for consensus_seeds times the cost.
    """
    seeds = [config.seed,
             *(derive_seed(config.seed, f"consensus_{i}") for i in range(1, config.consensus_seeds))]
    runs = []
    for i, seed in enumerate(seeds, start=1):
        logger.info("MICA consensus: run %d of %d (seed %d)", i, len(seeds), seed)
        runs.append(_run_mica_stages(prepared, config=replace(config, seed=seed), progress=progress,
                                     timings=timings))
    modules = _consensus([run.modules for run in runs], config)
    manifest = dict(runs[0].manifest)
    seconds: dict[str, float] = {}
    for run in runs:  # stages of every run added up; earlier stages (reading ...) counted once
        for stage, value in run.manifest["seconds"].items():
            seconds[stage] = value if stage in (timings or {}) else seconds.get(stage, 0.0) + value
    manifest.update({
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "consensus": {
            "n_seeds": len(seeds),
            "seeds": seeds,
            "min_frequency": CONSENSUS_FREQUENCY,
            "modules_per_seed": [run.modules.n_modules for run in runs],
            "rule": RULE_DESCRIPTIONS["matched"],
            "codes_and_clusters": f"of the first run (seed {seeds[0]})",
        },
        "result": _result_summary(modules),
    })
    logger.info("MICA consensus of %d seeds: %d modules (per seed: %s)", len(seeds), modules.n_modules,
                manifest["consensus"]["modules_per_seed"])
    return replace(runs[0], modules=modules, manifest=manifest)


def _run_mica_stages(
    prepared: PreparedInputs,
    *,
    config: MicaConfig,
    progress: bool,
    timings: dict[str, float] | None,
) -> MicaResult:
    import torch

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
    n_samples = len(prepared.samples)
    encoder_seed = derive_seed(config.seed, "encoder_samples")
    encoded = encoder_sample_positions(config, n_samples, encoder_seed)
    subset = len(encoded) < n_samples
    if subset:
        seeds["encoder_samples"] = encoder_seed
        logger.info("stage 1: the autoencoder sees %d of %d samples (a seeded random subset, "
                    "max_encoder_samples=%d); the later stages use every sample", len(encoded),
                    n_samples, config.max_encoder_samples)
    for kind, frame in modalities:
        start = time.perf_counter()
        embedder = autoencoder_for(config, len(encoded), random_state=seeds[f"autoencoder_{kind}"],
                                   progress=progress, progress_label=f"stage 1 autoencoder ({kind})")
        values = frame.to_numpy()
        z = embedder.fit_transform(values[:, encoded] if subset else values)
        device_used = embedder.device_
        codes[kind] = pd.DataFrame(z, index=frame.index, columns=[f"code_{i + 1}" for i in range(z.shape[1])])
        histories[kind] = embedder.history_.assign(modality=kind)
        epochs[kind] = {
            "epochs_run": embedder.n_epochs_,
            "steps_run": embedder.n_steps_,
            "batch_size": embedder.batch_size,
            "pools": list(embedder.pools),
            "code_length": int(z.shape[1]),
            "best_epoch": embedder.best_epoch_,
            "stop_reason": embedder.stop_reason_,
            "converged": embedder.converged_,
            "final_train_loss": float(embedder.history_["train_loss"].iloc[-1]),
            "best_val_loss": float(embedder.history_["val_loss"].min()),
        }
        timings[f"stage1_autoencoder_{kind}"] = time.perf_counter() - start
        _memory.mark(f"stage1_autoencoder_{kind}")
    joined = cluster_and_join(prepared, codes, config, config.seed, progress=progress, timings=timings)
    modules, clusterings = joined.modules, joined.clusterings
    seeds.update(joined.seeds)
    repression_record = None
    if joined.repression_counts is not None:
        start = time.perf_counter()
        seeds["repression_background"] = derive_seed(config.seed, "repression_background")
        repression_record = repression_background(joined.repression_counts, prepared.mirna, prepared.mrna,
                                                  config.repression_alpha,
                                                  seed=seeds["repression_background"])
        timings["stage3_modules"] += time.perf_counter() - start
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
            if any(record["pools"] != [1, 1] for record in epochs.values()) else "none (no pooling)",
            "imputation_order": "after the log transform",
            "precursor_ids": "mapped to every mature product; direct mature measurements win",
        },
        "samples": {"n": len(prepared.samples), "order": prepared.samples, "order_rule": config.sample_order,
                    "encoded": {"n": len(encoded),
                                "rule": f"a random subset of {len(encoded)} (seed encoder_samples), "
                                "in order" if subset else "every sample",
                                "ids": [prepared.samples[i] for i in encoded] if subset else None}},
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
        "kmeans_consensus": {
            "runs": config.resolved_kmeans_runs(len(codes["mrna"])),
            "restarts_per_run": {kind: resolved_n_init(config, len(frame)) for kind, frame in codes.items()},
            "modules_per_run": list(joined.modules_per_run),
            "min_frequency": CONSENSUS_FREQUENCY,
            "rule": "one run: its modules; more: " + RULE_DESCRIPTIONS["matched"] + ", or whose "
            "modules before refinement match; clusters written are the first run's",
        } if config.kmeans_consensus == "modules" else {
            "runs": config.coassociation_runs,
            "restarts_per_run": 1,
            "modules_per_run": list(joined.modules_per_run),
            "rule": "co-association: the share of K-means runs (at the chosen K) in which two features "
            "share a cluster, cut into at most K clusters by average linkage; joined once",
        },
        "repression": repression_record,
        "refinement": joined.refinement_counts,
        "result": _result_summary(modules),
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
