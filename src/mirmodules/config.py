"""Run settings of MICA as one frozen dataclass.

Field names are the Python parameter names *and* the command-line flags (``max_epochs`` <->
``--max-epochs``); each field's metadata carries its help text and group for the CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ._validation import check_in_range, check_one_of


def _opt(default: Any, help_text: str, group: str, choices: tuple | None = None) -> Any:
    return field(default=default, metadata={"help": help_text, "group": group, "choices": choices})


@dataclass(frozen=True)
class MicaConfig:
    """Every setting of a MICA run; defaults follow METHOD.md."""

    # inputs
    orientation: str = _opt("features_x_samples", "layout of the expression files", "inputs",
                            ("features_x_samples", "samples_x_features"))
    evidence: str = _opt("all", "interaction evidence kept: all, functional (drop Non-Functional "
                         "MTI) or strong (Functional MTI only, no '(Weak)')", "inputs",
                         ("all", "functional", "strong"))
    species: str = _opt("hsa", "miRBase species prefix added to miRNA ids without one", "inputs")
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
    code_length: int | None = _opt(None, "code length (default n_samples // 4)", "autoencoder")
    dropout: float = _opt(0.3, "dropout rate before the encoder's dense layer", "autoencoder")
    learning_rate: float = _opt(1e-3, "Adam learning rate", "autoencoder")
    batch_size: int = _opt(64, "profiles per mini-batch", "autoencoder")
    max_epochs: int = _opt(100, "maximum training epochs", "autoencoder")
    patience: int = _opt(5, "early stopping: epochs without validation improvement", "autoencoder")
    tol: float = _opt(1e-3, "early stopping: smallest relative validation-loss decrease that counts",
                      "autoencoder")
    validation_fraction: float = _opt(0.1, "share of features held out for early stopping",
                                      "autoencoder")
    device: str = _opt("cpu", "torch device", "autoencoder", ("cpu", "cuda", "auto"))
    # stage 2
    k_min: int = _opt(2, "smallest K tried", "clustering")
    k_max: int = _opt(30, "largest K tried (capped at n_features - 1)", "clustering")
    n_init: int = _opt(10, "K-means restarts per K", "clustering")
    elbow_d: int = _opt(3, "look-ahead d of the elbow rule", "clustering")
    # stage 3
    combine: str = _opt("maxedge", "maxedge: largest component per cluster pair; all_edges: every "
                        "node with an interaction", "modules", ("maxedge", "all_edges"))
    min_mirnas: int = _opt(2, "smallest number of miRNAs in a module", "modules")
    min_mrnas: int = _opt(2, "smallest number of mRNAs in a module", "modules")
    # randomness
    seed: int = _opt(0, "seed of every random step (derived per step)", "run")

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
        check_in_range(self.dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        check_in_range(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_in_range(self.batch_size, "batch_size", low=1, integer=True)
        check_in_range(self.max_epochs, "max_epochs", low=1, integer=True)
        check_in_range(self.patience, "patience", low=1, integer=True)
        check_in_range(self.tol, "tol", low=0.0)
        check_in_range(self.validation_fraction, "validation_fraction", low=0.0, high=0.5,
                       low_inclusive=False)
        check_in_range(self.k_min, "k_min", low=1, integer=True)
        check_in_range(self.k_max, "k_max", low=self.k_min + 1, integer=True)
        check_in_range(self.n_init, "n_init", low=1, integer=True)
        check_in_range(self.elbow_d, "elbow_d", low=1, integer=True)
        check_in_range(self.min_mirnas, "min_mirnas", low=1, integer=True)
        check_in_range(self.min_mrnas, "min_mrnas", low=1, integer=True)
        check_in_range(self.seed, "seed", low=0, integer=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings (for the manifest)."""
        return asdict(self)
