"""Settings as frozen dataclasses: MICA (with two presets), the evaluation, the simulator.

This module imports nothing heavy, so that the command line can build its options quickly.

Field names are the Python parameter names *and* the command-line flags (``max_epochs`` <->
``--max-epochs``); each field's metadata carries its help text and group for the CLI.

Presets (``preset=``, ``--preset``): ``"default"`` is what recovers planted modules best in our
measurements (docs/method_choices.md); ``"paper"`` is Yang (2020) as specified in METHOD.md (two
max-poolings, epoch-based training, elbow rule on K = 2..30, no repression filter) and gives the
same modules as mirmodules 0.1 for the same seed. A field given explicitly wins over its preset.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mirmodules._threads import MAX_THREADS
from mirmodules._validation import check_in_range, check_one_of
from mirmodules.exceptions import InputDataError


class _PresetDefault:
    """Marks a field whose default comes from the preset."""

    def __repr__(self) -> str:
        return "<from preset>"


FROM_PRESET: Any = _PresetDefault()

#: Values of the preset-dependent fields. "default" is measured best (docs/method_choices.md);
#: "paper" is METHOD.md's reading of Yang (2020) and mirmodules 0.1's behaviour.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {
        "pools": (1, 1),
        "max_epochs": 1000,
        "max_steps": 600,
        "eval_every": 50,
        "k_rule": "sqrt",
        "k_max": None,
        "sweep_n_init": 3,
        "mirna_clustering": "none",
        "n_init": None,
        "repression": "edges",
        "refine": "partial",
        "max_code_length": 256,
        "max_encoder_samples": 2000,
        "kmeans_runs": None,
        "merge": "pieces",
    },
    "paper": {
        "pools": (4, 2),
        "max_epochs": 100,
        "max_steps": None,
        "eval_every": None,
        "k_rule": "elbow",
        "k_max": 30,
        "sweep_n_init": None,
        "mirna_clustering": "kmeans",
        "n_init": 10,
        "repression": "any",
        "refine": "none",
        "max_code_length": None,
        "max_encoder_samples": None,
        "kmeans_runs": 1,
        "merge": "none",
    },
}


#: The default preset's K-means runs (``kmeans_runs=None``): this many up to ...
AUTO_KMEANS_RUNS_SMALL = 10
#: ... this many clustered features (mRNAs); 3 above.
AUTO_KMEANS_RUNS_MAX_FEATURES = 2500


def _opt(default: Any, help_text: str, group: str, choices: tuple | None = None) -> Any:
    return field(default=default, metadata={"help": help_text, "group": group, "choices": choices})


@dataclass(frozen=True)
class MicaConfig:
    """Every setting of a MICA run.

    Fields marked "from preset" take their value from ``PRESETS[preset]`` unless given.

    >>> MicaConfig().pools, MicaConfig(preset="paper").pools, MicaConfig(preset="paper", pools=(2, 2)).pools
    ((1, 1), (4, 2), (2, 2))
    """

    preset: str = _opt("default", "default: measured best settings; paper: Yang (2020) as specified "
                       "(pooling 4 x 2, epochs, elbow rule, K <= 30); explicit flags win", "run",
                       tuple(PRESETS))

    # inputs
    orientation: str = _opt("features_x_samples", "layout of the expression files", "inputs",
                            ("features_x_samples", "samples_x_features"))
    evidence: str = _opt("all", "interaction evidence kept: all, functional (drop Non-Functional "
                         "MTI) or strong (Functional MTI only, no '(Weak)')", "inputs",
                         ("all", "functional", "strong"))
    species: str = _opt("hsa", "miRBase species prefix added to miRNA ids without one", "inputs")
    predicted_score: str = _opt("auto", "direction of the --predicted tables' scores: lower (lower is "
                                "stronger, TargetScan's context++), higher (miRDB, site counts) or auto "
                                "(by their sign)", "inputs", ("auto", "lower", "higher"))
    # preprocessing
    max_missing: float = _opt(0.1, "drop features missing in more than this share of samples",
                              "preprocessing")
    imputation: str = _opt("knn", "imputation of remaining missing values", "preprocessing",
                           ("knn", "mean"))
    n_neighbors: int = _opt(10, "neighbours (features) of KNN imputation", "preprocessing")
    transform: str = _opt("auto", "auto: counts -> log2(CPM+1), linear -> log2(x+1), logged as is",
                          "preprocessing", ("auto", "log2cpm", "log2", "none"))
    min_variance: float | None = _opt(None, "optional variance filter after transform (off)",
                                      "preprocessing")
    scaling: str = _opt("zscore", "per-feature scaling before the autoencoder", "preprocessing",
                        ("zscore", "minmax", "none"))
    sample_order: str = _opt("input", "order of samples along the convolution", "preprocessing",
                             ("input", "sorted", "seriation"))
    # stage 1
    code_length: int | None = _opt(None, "code length (default: n_samples // 4, capped at "
                                   "max_code_length)", "autoencoder")
    max_code_length: int | None = _opt(FROM_PRESET, "cap of the default code length (default preset: "
                                       "256, reached above 1,027 samples; paper: none, so n_samples // 4 "
                                       "whatever the cohort size)", "autoencoder")
    channels: int = _opt(16, "convolution channels", "autoencoder")
    kernels: tuple[int, int] = _opt((4, 2), "kernel sizes of the two convolutions", "autoencoder")
    pools: tuple[int, int] = _opt(FROM_PRESET, "max-pooling widths after the two convolutions, 1 = "
                                  "none (default preset: 1 1; paper: 4 2)", "autoencoder")
    max_pooled_length: int | None = _opt(None, "a speed option for long profiles: on profiles longer "
                                         "than this the poolings widen (two equal widths) until "
                                         "n_samples // (first x second) is at most this, e.g. 1024: "
                                         "9,000 samples 3 x 3 (off; it halved training time at 2,000 "
                                         "and 9,000 samples but lost recovery with 17,000-20,000 "
                                         "mRNAs, docs/method_choices.md)", "autoencoder")
    max_encoder_samples: int | None = _opt(FROM_PRESET, "a cohort with more samples than this is "
                                           "encoded from a seeded random subset of this many samples "
                                           "(in their order); the repression test, refinement and "
                                           "module activity use every sample (default preset: 2000; "
                                           "at 9,000 samples the autoencoder took 148 s instead of "
                                           "1,012 s and recovered more, docs/method_choices.md; "
                                           "paper: none; 0 = every sample)", "autoencoder")
    dropout: float = _opt(0.3, "dropout rate before the encoder's dense layer", "autoencoder")
    learning_rate: float = _opt(1e-3, "Adam learning rate", "autoencoder")
    batch_size: int = _opt(64, "profiles per mini-batch", "autoencoder")
    max_epochs: int = _opt(FROM_PRESET, "maximum training epochs (default preset: 1000; paper: 100)",
                           "autoencoder")
    max_steps: int | None = _opt(FROM_PRESET, "budget of optimiser steps (default preset: 600; paper: "
                                 "none)", "autoencoder")
    eval_every: int | None = _opt(FROM_PRESET, "validation check every N steps (default preset: 50; "
                                  "paper: once per epoch)", "autoencoder")
    patience: int = _opt(5, "early stopping: validation checks without improvement", "autoencoder")
    tol: float = _opt(1e-3, "early stopping: smallest relative validation-loss decrease that counts",
                      "autoencoder")
    validation_fraction: float = _opt(0.1, "share of features held out for early stopping",
                                      "autoencoder")
    device: str = _opt("cpu", "torch device", "autoencoder", ("cpu", "cuda", "auto"))
    # stage 2
    k_rule: str = _opt(FROM_PRESET, "rule that picks K: sqrt (K = sqrt(n_features), one fit; default "
                       "preset), silhouette (largest K within the tolerance of the best score on a "
                       "sweep) or elbow (paper)", "clustering", ("sqrt", "silhouette", "elbow"))
    mirna_clustering: str = _opt(FROM_PRESET, "none: miRNAs are not clustered and each mRNA cluster's "
                                 "largest repressed-interaction component picks its miRNAs (default "
                                 "preset); kmeans: autoencoder + K-means on miRNAs too (paper)",
                                 "clustering", ("none", "kmeans"))
    k_min: int = _opt(2, "smallest K tried", "clustering")
    k_max: int | None = _opt(FROM_PRESET, "largest K tried, above --k-min, capped at n_features - 1 "
                             "(default preset: auto = max(30, n_features // 150) up to 150; paper: "
                             "30)", "clustering")
    n_init: int | None = _opt(FROM_PRESET, "K-means restarts for the chosen K in each K-means run "
                              "(default preset: auto = 10 up to 5,000 features; above, 3 in all "
                              "spread over the kmeans_runs, 1 each with 3; paper: 10)", "clustering")
    sweep_n_init: int | None = _opt(FROM_PRESET, "K-means restarts per K while sweeping (default "
                                    "preset: 3, chosen K refitted with n_init; paper: n_init)",
                                    "clustering")
    silhouette_sample: int = _opt(3000, "features sampled for each silhouette score", "clustering")
    silhouette_tolerance: float = _opt(0.1, "silhouette scores of at least (1 - this) x the best are "
                                       "tied; the largest tied K wins", "clustering")
    kmeans_runs: int | None = _opt(FROM_PRESET, "K-means runs on the same codes (the first with the "
                                   "run's K-means seed, the others with seeds derived from it), each "
                                   "joined into modules; with more than one, the modules are their "
                                   "consensus: modules matched across runs (member Jaccard >= 0.5, or "
                                   "that of the modules before refinement) in at least half of them, "
                                   "with the members in at least half, and each module's confidence is "
                                   "the share of runs it came back in (clusters written are the first "
                                   "run's; default preset: None = 10 runs up to 2,500 mRNAs, 3 above; "
                                   "paper: 1)", "clustering")
    kmeans_consensus: str = _opt("modules", "modules: kmeans_runs K-means runs, each joined, and the "
                                 "consensus of their modules (default); coassociation: "
                                 "coassociation_runs K-means runs at the chosen K, pairs counted "
                                 "when they share a cluster, one average-linkage cut of those counts "
                                 "joined once (steadier across seeds on real data, slower; at most "
                                 "25,000 features)", "clustering", ("modules", "coassociation"))
    coassociation_runs: int = _opt(100, "K-means runs (one restart each) that kmeans_consensus="
                                   "coassociation counts", "clustering")
    elbow_d: int = _opt(3, "look-ahead d of the elbow rule", "clustering")
    # stage 3
    combine: str = _opt("maxedge", "maxedge: largest component per cluster pair; components: every "
                        "component big enough; all_edges: every node with an interaction", "modules",
                        ("maxedge", "components", "all_edges"))
    min_mirnas: int = _opt(2, "smallest number of miRNAs in a module", "modules")
    min_mrnas: int = _opt(2, "smallest number of mRNAs in a module", "modules")
    repression: str = _opt(FROM_PRESET, "edges: join only interactions whose miRNA and target are "
                           "negatively correlated here and keep modules with anti-correlated "
                           "centroids; centroid: the centroid test alone; any: no test (paper)",
                           "modules", ("edges", "centroid", "any"))
    repression_alpha: float = _opt(0.05, "one-sided level of the per-interaction repression test of "
                                   "repression=edges (Fisher z; 0.5 keeps every negative r)", "modules")
    refine: str = _opt(FROM_PRESET, "partial: complete each module with the features the clustering "
                       "put elsewhere that have an interaction with it, are as close to its mean "
                       "profile as half its median member, and fit it: closer to it than to their own "
                       "cluster's mean profile, or as close once their own cluster's profile is "
                       "partialled out (default preset; see refine_own_cluster); centroid: the "
                       "first fit test only (the previous default); none: the paper's join", "modules",
                       ("partial", "centroid", "none"))
    refine_fraction: float = _opt(0.5, "refinement admits a feature whose correlation with the "
                                  "module's mean profile is at least this fraction of the members' "
                                  "median", "modules")
    refine_alpha: float = _opt(0.5, "one-sided level of the repression test for the interactions "
                               "through which refinement admits a feature (repression=edges; 0.5: any "
                               "negative correlation, since the feature must also follow the module's "
                               "mean profile; a level at or below repression_alpha: the join's "
                               "interactions, as before this option)", "modules")
    refine_own_cluster: str = _opt("admit", "admit: a feature of the module's own cluster (left out "
                                   "by the join's per-interaction test) needs no fit test, only "
                                   "closeness and a negative interaction; test: it takes the fit test "
                                   "like any other feature (the earlier behaviour; tighter real modules, "
                                   "lower planted recovery)", "modules", ("admit", "test"))
    refine_weak_fraction: float | None = _opt(0.25, "the weak-target route of the refinement: it "
                                              "also admits an mRNA this close (a fraction of the "
                                              "members' median correlation) when an interaction that "
                                              "passes the join's repression test links it to the "
                                              "module and the module passes the gate of "
                                              "--refine-weak-fdr (turn the route off with "
                                              "--refine-weak-fdr 0)", "modules")
    refine_weak_fdr: float = _opt(0.2, "gate of the weak-target route: a module takes the route only "
                                  "when rate(genes without an interaction to its miRNAs that pass the "
                                  "route's expression support) / rate(genes with one that pass) is at "
                                  "most this, an estimate of the share of chance admissions (not a "
                                  "multiple-testing FDR); 0: route off, 1: no gate", "modules")
    single_mirna_cores: str = _opt("grow", "a cluster pair whose module candidate has one miRNA (and two "
                                   "mRNAs or more): grow: refine it like a module and keep it when "
                                   "co-expressed miRNAs with interactions to two or more of its close "
                                   "mRNAs bring it to --min-mirnas miRNAs (ignored with --refine none); "
                                   "drop: no module (mirmodules 0.1 and the paper)", "modules",
                                   ("grow", "drop"))
    merge: str = _opt(FROM_PRESET, "pieces: merge modules that are pieces of one programme (mean "
                      "mRNA profiles correlated at merge_correlation or more, miRNA sets overlapping "
                      "at merge_overlap of the smaller), so that a module larger than a K-means "
                      "cluster comes back whole (default preset); none: keep every cluster pair's "
                      "module (paper)", "modules", ("pieces", "none"))
    merge_correlation: float = _opt(0.8, "merge=pieces: least Pearson r between two modules' mean "
                                    "mRNA profiles", "modules")
    merge_overlap: float = _opt(0.5, "merge=pieces: least share of the smaller miRNA set that two "
                                "modules share", "modules")
    merge_linkage: str = _opt("complete", "merge=pieces: complete: every two pieces of a merged module "
                              "must be related (default); single: modules joined by a chain of related "
                              "pairs are one (which joined whole programmes on SPONGE's BRCA set)",
                              "modules", ("single", "complete"))
    predicted_min_mirnas: int = _opt(1, "with --predicted: a gene joins a module through predictions "
                                     "only when at least this many of the module's miRNAs are predicted "
                                     "to target it (all of them when the module has fewer)", "modules")
    predicted_min_strength: float = _opt(0.5, "with --predicted: least percentile of a predicted pair "
                                         "within its source (1 = the strongest pair) to count", "modules")
    predicted_alpha: float = _opt(0.05, "with --predicted: one-sided level of the candidate's negative "
                                  "correlation with the module's mean miRNA profile", "modules")
    predicted_fit_fraction: float = _opt(0.5, "with --predicted: the candidate's correlation with the "
                                         "module's mean mRNA profile must reach this fraction of the "
                                         "members' median", "modules")
    min_confidence: float = _opt(0.0, "drop the modules whose confidence (the share of the run's "
                                 "internal reruns in which the module reappears) is below this; "
                                 "the manifest counts them", "modules")
    consensus_seeds: int = _opt(1, "train MICA with this many seeds (seed, then seeds derived from it) and "
                        "return consensus modules: modules matched across runs (member Jaccard >= "
                        "0.5) in at least half of them, with the members in at least half; codes and "
                        "clusters written are the first seed's", "modules")
    # randomness and resources
    seed: int = _opt(0, "seed of every random step (derived per step)", "run")
    threads: int | None = _opt(None, "threads of torch, BLAS and K-means (default: half the available "
                               "cores, 1 to 8; a busy 2-core machine gets 1)", "run")

    def __post_init__(self) -> None:
        check_one_of(self.preset, "preset", tuple(PRESETS))
        for name, value in PRESETS[self.preset].items():
            if isinstance(getattr(self, name), _PresetDefault):
                object.__setattr__(self, name, value)
        for name in ("pools", "kernels"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))

    @classmethod
    def paper(cls, **overrides: Any) -> MicaConfig:
        """The paper's configuration (``preset="paper"``), with ``overrides``."""
        return cls(preset="paper", **overrides)

    def validate(self) -> None:
        """Raise :class:`~mirmodules.exceptions.InputDataError` for any invalid setting."""
        for f in fields(self):
            choices = f.metadata.get("choices")
            if choices:
                check_one_of(getattr(self, f.name), f.name, choices)
        check_in_range(self.max_missing, "max_missing", low=0.0, high=1.0)
        check_in_range(self.n_neighbors, "n_neighbors", low=1, integer=True)
        if self.min_variance is not None:
            check_in_range(self.min_variance, "min_variance", low=0.0)
        if self.code_length is not None:
            check_in_range(self.code_length, "code_length", low=1, integer=True)
        for name in ("max_code_length", "max_pooled_length"):
            if getattr(self, name) is not None:
                check_in_range(getattr(self, name), name, low=1, integer=True)
        if self.max_encoder_samples is not None:
            check_in_range(self.max_encoder_samples, "max_encoder_samples", low=0, integer=True)
        check_in_range(self.dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        check_in_range(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_in_range(self.batch_size, "batch_size", low=1, integer=True)
        check_in_range(self.max_epochs, "max_epochs", low=1, integer=True)
        if self.max_steps is not None:
            check_in_range(self.max_steps, "max_steps", low=1, integer=True)
        if self.eval_every is not None:
            check_in_range(self.eval_every, "eval_every", low=1, integer=True)
        check_in_range(self.channels, "channels", low=1, integer=True)
        for name in ("kernels", "pools"):
            pair = getattr(self, name)
            if not isinstance(pair, tuple) or len(pair) != 2:
                msg = f"The {name!r} parameter must be two integers; got {pair!r} instead."
                raise InputDataError(msg)
            for v in pair:
                check_in_range(v, name, low=1, integer=True)
        check_in_range(self.patience, "patience", low=1, integer=True)
        check_in_range(self.tol, "tol", low=0.0)
        check_in_range(self.validation_fraction, "validation_fraction", low=0.0, high=0.5,
                       low_inclusive=False)
        check_in_range(self.k_min, "k_min", low=1, integer=True)
        if self.k_max is not None:
            check_in_range(self.k_max, "k_max", low=self.k_min + 1, integer=True)
        if self.n_init is not None:
            check_in_range(self.n_init, "n_init", low=1, integer=True)
        if self.sweep_n_init is not None:
            check_in_range(self.sweep_n_init, "sweep_n_init", low=1, integer=True)
        check_in_range(self.repression_alpha, "repression_alpha", low=0.0, high=0.5, low_inclusive=False)
        check_in_range(self.silhouette_sample, "silhouette_sample", low=10, integer=True)
        check_in_range(self.silhouette_tolerance, "silhouette_tolerance", low=0.0, high=1.0)
        check_in_range(self.elbow_d, "elbow_d", low=1, integer=True)
        check_in_range(self.refine_fraction, "refine_fraction", low=0.0, high=1.0)
        check_in_range(self.refine_alpha, "refine_alpha", low=0.0, high=0.5, low_inclusive=False)
        if self.refine_weak_fraction is not None:
            check_in_range(self.refine_weak_fraction, "refine_weak_fraction", low=0.0, high=1.0)
        check_in_range(self.refine_weak_fdr, "refine_weak_fdr", low=0.0, high=1.0)
        check_in_range(self.merge_correlation, "merge_correlation", low=-1.0, high=1.0)
        check_in_range(self.merge_overlap, "merge_overlap", low=0.0, high=1.0)
        check_in_range(self.min_confidence, "min_confidence", low=0.0, high=1.0)
        check_in_range(self.predicted_min_mirnas, "predicted_min_mirnas", low=1, integer=True)
        check_in_range(self.predicted_min_strength, "predicted_min_strength", low=0.0, high=1.0)
        check_in_range(self.predicted_alpha, "predicted_alpha", low=0.0, high=0.5, low_inclusive=False)
        check_in_range(self.predicted_fit_fraction, "predicted_fit_fraction", low=0.0, high=1.0)
        check_in_range(self.min_mirnas, "min_mirnas", low=1, integer=True)
        check_in_range(self.min_mrnas, "min_mrnas", low=1, integer=True)
        check_in_range(self.seed, "seed", low=0, integer=True)
        check_in_range(self.consensus_seeds, "consensus_seeds", low=1, integer=True)
        if self.kmeans_runs is not None:
            check_in_range(self.kmeans_runs, "kmeans_runs", low=1, integer=True)
        check_in_range(self.coassociation_runs, "coassociation_runs", low=1, integer=True)
        if self.threads is not None:
            check_in_range(self.threads, "threads", low=1, high=MAX_THREADS, integer=True)

    def resolved_kmeans_runs(self, n_features: int) -> int:
        """The K-means runs a run on ``n_features`` clustered features makes: ``kmeans_runs`` when
        given, else 10 up to 2,500 features and 3 above (more runs steady the modules of small,
        weakly structured data, and cost little there).

        Examples
        --------
        >>> MicaConfig().resolved_kmeans_runs(1500), MicaConfig().resolved_kmeans_runs(17000)
        (10, 3)
        >>> MicaConfig(preset="paper").resolved_kmeans_runs(1500)
        1
        >>> MicaConfig(kmeans_runs=5).resolved_kmeans_runs(1500)
        5
        """
        if self.kmeans_runs is not None:
            return self.kmeans_runs
        return AUTO_KMEANS_RUNS_SMALL if n_features <= AUTO_KMEANS_RUNS_MAX_FEATURES else 3

    def resolved_code_length(self, n_samples: int) -> int:
        """The code length a run on ``n_samples`` samples uses: ``code_length`` when given, else
        ``n_samples // 4`` capped at ``max_code_length`` (at least 1).

        Examples
        --------
        >>> MicaConfig().resolved_code_length(424), MicaConfig().resolved_code_length(9000)
        (106, 256)
        >>> MicaConfig(preset="paper").resolved_code_length(9000)
        2250
        """
        if self.code_length is not None:
            if self.code_length > n_samples:
                msg = (f"code_length {self.code_length} is longer than the {n_samples} samples each profile "
                       "has; a code compresses a profile, so give at most the number of samples "
                       "(default: a quarter of them).")
                raise InputDataError(msg)
            return self.code_length
        length = max(1, n_samples // 4)
        return min(length, self.max_code_length) if self.max_code_length is not None else length

    def resolved_encoder_samples(self, n_samples: int) -> int:
        """How many of ``n_samples`` samples the autoencoder sees: all of them unless
        ``max_encoder_samples`` (not ``None`` or 0) is smaller.

        Examples
        --------
        >>> MicaConfig().resolved_encoder_samples(424), MicaConfig().resolved_encoder_samples(9000)
        (424, 2000)
        >>> MicaConfig(preset="paper").resolved_encoder_samples(9000)
        9000
        >>> MicaConfig(max_encoder_samples=0).resolved_encoder_samples(9000)
        9000
        """
        limit = self.max_encoder_samples
        return n_samples if not limit else min(n_samples, limit)

    def resolved_pools(self, n_samples: int) -> tuple[int, int]:
        """The pooling widths a run on ``n_samples`` samples uses.

        ``pools`` as given while ``n_samples // (first x second) <= max_pooled_length`` (or when
        that is ``None``); otherwise two equal widths ceil(sqrt(P)), each at least the given one,
        where P is the smallest total width that brings the pooled length down to
        ``max_pooled_length``. Off by default: on long profiles pooling shrinks the dense layers
        (channels x pooled length x code length weights) and halved training time, but with
        17,000-20,000 mRNAs it recovered fewer planted modules (docs/method_choices.md).

        Examples
        --------
        >>> MicaConfig().resolved_pools(9000), MicaConfig(preset="paper").resolved_pools(9000)
        ((1, 1), (4, 2))
        >>> config = MicaConfig(max_pooled_length=1024)
        >>> config.resolved_pools(424), config.resolved_pools(2000), config.resolved_pools(9000)
        ((1, 1), (2, 2), (3, 3))
        """
        first, second = self.pools
        limit = self.max_pooled_length
        if limit is None or n_samples // (first * second) <= limit:
            return first, second
        total = n_samples // (limit + 1) + 1  # smallest P with n_samples // P <= limit
        width = math.isqrt(total - 1) + 1  # ceil(sqrt(P)): two equal poolings
        return max(first, width), max(second, width)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings (for the manifest)."""
        return asdict(self)

    def by_stage(self) -> dict[str, dict[str, Any]]:
        """The settings grouped by the stage they act on (``inputs``, ``preprocessing``,
        ``autoencoder``, ``clustering``, ``modules``, ``run``), in the order of the run.

        The fields stay one flat namespace on purpose: they are the estimator's parameters
        (:class:`~mirmodules.MICA`) and the command-line flags, where a name must be unique.

        Examples
        --------
        >>> sorted(MicaConfig().by_stage()["clustering"])[:3]
        ['coassociation_runs', 'elbow_d', 'k_max']
        """
        grouped: dict[str, dict[str, Any]] = {}
        for f in fields(self):
            grouped.setdefault(f.metadata["group"], {})[f.name] = getattr(self, f.name)
        return grouped


@dataclass(frozen=True)
class EvaluationOptions:
    """Thresholds and settings of the evaluation (field names = CLI flags)."""

    family_q: float = _opt(0.05, "a module is family-enriched when a family has BH q below this", "families")
    min_family_size: int = _opt(2, "families with fewer analysed members are not tested", "families")
    min_family_overlap: int = _opt(2, "a family is enriched in a module only with at least this many "
                                   "of the module's miRNAs in it (one member is no "
                                   "over-representation)", "families")
    term_q: float = _opt(0.05, "a GO/KEGG term counts (headline) at BH q below this ...", "gene sets")
    min_term_overlap: int = _opt(3, "... and with at least this many module genes in it", "gene sets")
    term_p: float = _opt(0.005, "the lenient count beside it: raw p below this, any overlap (the "
                         "paper's cut)", "gene sets")
    min_term_size: int = _opt(5, "smallest term tested (genes in the background)", "gene sets")
    max_term_size: int = _opt(500, "largest term tested (genes in the background)", "gene sets")
    survival_p: float = _opt(0.05, "a module is prognostic when the log-rank p is below this", "survival")
    cv_folds: int = _opt(5, "folds of the cross-validated risk score (0: off)", "survival")
    cox_penalizer: float = _opt(
        0.0, "ridge penalty of the multivariate Cox model (0: the paper's)", "survival"
    )
    sample_types: str = _opt(
        "01", "TCGA sample types kept, comma-separated ('all' keeps every type)", "survival"
    )
    cv_seed: int = _opt(0, "seed of the cross-validation folds and the significance nulls; the same "
                        "in evaluate and compare, whatever seed the methods ran with", "survival")
    significance_nulls: int = _opt(
        0, "null draws of the module significance tests (0: off; e.g. 200)", "significance"
    )
    significance_q: float = _opt(
        0.05, "a module is significant when both BH q-values are below this", "significance"
    )

    def validate(self) -> None:
        """Raise :class:`~mirmodules.exceptions.InputDataError` for an invalid setting."""
        check_in_range(self.family_q, "family_q", low=0.0, high=1.0)
        check_in_range(self.min_family_size, "min_family_size", low=1, integer=True)
        check_in_range(self.min_family_overlap, "min_family_overlap", low=1, integer=True)
        check_in_range(self.term_p, "term_p", low=0.0, high=1.0)
        check_in_range(self.term_q, "term_q", low=0.0, high=1.0)
        check_in_range(self.min_term_overlap, "min_term_overlap", low=1, integer=True)
        check_in_range(self.min_term_size, "min_term_size", low=1, integer=True)
        check_in_range(self.max_term_size, "max_term_size", low=self.min_term_size, integer=True)
        check_in_range(self.survival_p, "survival_p", low=0.0, high=1.0)
        check_in_range(self.cv_folds, "cv_folds", low=0, integer=True)
        check_in_range(self.cox_penalizer, "cox_penalizer", low=0.0)
        check_in_range(self.cv_seed, "cv_seed", low=0, integer=True)
        check_in_range(self.significance_nulls, "significance_nulls", low=0, integer=True)
        check_in_range(self.significance_q, "significance_q", low=0.0, high=1.0)

    def sample_type_list(self) -> tuple[str, ...] | None:
        """The kept TCGA sample types, or ``None`` for all."""
        if self.sample_types.strip().lower() == "all":
            return None
        return tuple(t.strip() for t in self.sample_types.split(",") if t.strip())


#: Noise models of :func:`mirmodules.inputs.simulate.simulate_cohort`.
NOISE_MODELS = ("gaussian", "negbin", "programmes")


@dataclass(frozen=True)
class SimulationParameters:
    """Settings of :func:`simulate_cohort` (see the module docstring for the model)."""

    n_samples: int = 120
    n_mirnas: int = 100
    n_mrnas: int = 2000
    n_modules: int = 6
    mirnas_per_module: tuple[int, int] = (3, 6)
    mrnas_per_module: tuple[int, int] = (15, 40)
    signal: float = 1.0
    n_background_factors: int = 8
    interaction_density: float = 0.5
    false_positive_rate: float = 0.2
    missing_rate: float = 0.1
    n_family_modules: int = 3
    n_geneset_modules: int = 3
    n_random_gene_sets: int = 40
    n_prognostic_modules: int = 2
    survival_effect: float = 0.8
    noise_model: str = "gaussian"
    seed: int = 0
    #: Probability that a (miRNA, mRNA) pair inside a planted module is in the predicted-target
    #: table, the planted pairs missing from the interaction table included
    predicted_coverage: float = 0.6
    #: Probability that a planted mRNA has at least one predicted pair to its module's miRNAs
    predicted_member_coverage: float = 0.9
    #: Chance pairs (random miRNA x mRNA outside the modules); None: three times the module pairs
    predicted_chance_pairs: int | None = None

    def validate(self) -> None:
        """Raise :class:`~mirmodules.exceptions.InputDataError` for impossible settings."""
        check_in_range(self.n_samples, "n_samples", low=4, integer=True)
        check_in_range(self.n_modules, "n_modules", low=1, integer=True)
        lo_m, hi_m = self.mirnas_per_module
        lo_t, hi_t = self.mrnas_per_module
        check_in_range(lo_m, "mirnas_per_module[0]", low=1, integer=True)
        check_in_range(hi_m, "mirnas_per_module[1]", low=lo_m, integer=True)
        check_in_range(lo_t, "mrnas_per_module[0]", low=1, integer=True)
        check_in_range(hi_t, "mrnas_per_module[1]", low=lo_t, integer=True)
        check_in_range(self.n_mirnas, "n_mirnas", low=self.n_modules * hi_m, integer=True)
        check_in_range(self.n_mrnas, "n_mrnas", low=self.n_modules * hi_t, integer=True)
        check_in_range(self.signal, "signal", low=0.0)
        check_in_range(self.n_background_factors, "n_background_factors", low=0, integer=True)
        check_in_range(self.interaction_density, "interaction_density", low=0.0, high=1.0,
                       low_inclusive=False)
        check_in_range(self.false_positive_rate, "false_positive_rate", low=0.0, high=1.0,
                       high_inclusive=False)
        check_in_range(self.missing_rate, "missing_rate", low=0.0, high=1.0, high_inclusive=False)
        for name in ("n_family_modules", "n_geneset_modules", "n_prognostic_modules"):
            check_in_range(getattr(self, name), name, low=0, integer=True)  # capped at n_modules
        check_in_range(self.n_random_gene_sets, "n_random_gene_sets", low=0, integer=True)
        check_in_range(self.seed, "seed", low=0, integer=True)
        check_one_of(self.noise_model, "noise_model", NOISE_MODELS)
        check_in_range(self.predicted_coverage, "predicted_coverage", low=0.0, high=1.0)
        check_in_range(self.predicted_member_coverage, "predicted_member_coverage", low=0.0, high=1.0)
        if self.predicted_chance_pairs is not None:
            check_in_range(self.predicted_chance_pairs, "predicted_chance_pairs", low=0, integer=True)
