"""mirmodules: microRNA regulatory modules from matched miRNA/mRNA expression.

The main entry points are :func:`identify_modules` (tables in memory), :func:`run_from_files`
and the ``mirmodules`` command. torch is imported only when the autoencoder runs.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from .clustering import Clustering, KSelection, cluster_features, select_k
from .config import MicaConfig
from .exceptions import DataQualityWarning, InputDataError, NoElbowWarning, NotFittedError
from .identifiers import MirnaNameMap, harmonise_mirna_ids, load_mirbase_tables
from .io import InteractionTable, read_expression, read_interactions
from .modules import (
    ModuleSet,
    best_match_jaccard,
    module_set_from_members,
    modules_from_clusters,
    recovery_scores,
)
from .pipeline import MicaResult, PreparedInputs, identify_modules, prepare_inputs, run_from_files, run_mica
from .preprocessing import PreprocessingOptions, preprocess_expression
from .results import read_modules, save_result
from .simulate import SimulatedCohort, SimulationParameters, simulate_cohort

try:
    __version__ = version("mirmodules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Clustering",
    "DataQualityWarning",
    "InputDataError",
    "InteractionTable",
    "KSelection",
    "MicaConfig",
    "MicaResult",
    "MirnaNameMap",
    "ModuleSet",
    "NoElbowWarning",
    "NotFittedError",
    "PreparedInputs",
    "PreprocessingOptions",
    "SimulatedCohort",
    "SimulationParameters",
    "__version__",
    "best_match_jaccard",
    "cluster_features",
    "harmonise_mirna_ids",
    "identify_modules",
    "load_mirbase_tables",
    "module_set_from_members",
    "modules_from_clusters",
    "prepare_inputs",
    "preprocess_expression",
    "read_expression",
    "read_interactions",
    "read_modules",
    "recovery_scores",
    "run_from_files",
    "run_mica",
    "save_result",
    "select_k",
    "simulate_cohort",
]
