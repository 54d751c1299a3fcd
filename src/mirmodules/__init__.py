"""mirmodules: microRNA regulatory modules from matched miRNA/mRNA expression.

The main entry points are :func:`identify_modules` (tables in memory), :func:`run_from_files`
and the ``mirmodules`` command. torch is imported only when the autoencoder runs.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from .config import EvaluationOptions, MicaConfig, SimulationParameters
from .exceptions import DataQualityWarning, InputDataError, NoElbowWarning, NotFittedError

#: Public name -> the submodule that defines it, imported on first use (PEP 562), so that
#: ``import mirmodules`` and the command line start without loading pandas, torch or matplotlib.
_LAZY = {
    "Clustering": "clustering",
    "KSelection": "clustering",
    "cluster_features": "clustering",
    "select_k": "clustering",
    "MirnaNameMap": "identifiers",
    "harmonise_mirna_ids": "identifiers",
    "load_mirbase_tables": "identifiers",
    "InteractionTable": "io",
    "read_expression": "io",
    "read_interactions": "io",
    "ModuleSet": "modules",
    "best_match_jaccard": "modules",
    "module_set_from_members": "modules",
    "modules_from_clusters": "modules",
    "recovery_scores": "modules",
    "MicaResult": "pipeline",
    "PreparedInputs": "pipeline",
    "identify_modules": "pipeline",
    "prepare_inputs": "pipeline",
    "run_from_files": "pipeline",
    "run_mica": "pipeline",
    "PreprocessingOptions": "preprocessing",
    "preprocess_expression": "preprocessing",
    "read_modules": "results",
    "save_result": "results",
    "SimulatedCohort": "simulate",
    "simulate_cohort": "simulate",
    "evaluate_modules": "evaluation",
    "evaluate_run": "evaluation",
    "compare_methods": "comparison",
    "stability": "stability",
    "module_significance": "stability",
    "run_method": "baselines.registry",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .baselines.registry import run_method
    from .clustering import Clustering, KSelection, cluster_features, select_k
    from .comparison import compare_methods
    from .evaluation import evaluate_modules, evaluate_run
    from .identifiers import MirnaNameMap, harmonise_mirna_ids, load_mirbase_tables
    from .io import InteractionTable, read_expression, read_interactions
    from .modules import (
        ModuleSet,
        best_match_jaccard,
        module_set_from_members,
        modules_from_clusters,
        recovery_scores,
    )
    from .pipeline import (
        MicaResult,
        PreparedInputs,
        identify_modules,
        prepare_inputs,
        run_from_files,
        run_mica,
    )
    from .preprocessing import PreprocessingOptions, preprocess_expression
    from .results import read_modules, save_result
    from .simulate import SimulatedCohort, simulate_cohort
    from .stability import module_significance, stability


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


try:
    __version__ = version("mirmodules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Clustering",
    "DataQualityWarning",
    "EvaluationOptions",
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
    "compare_methods",
    "evaluate_modules",
    "evaluate_run",
    "harmonise_mirna_ids",
    "identify_modules",
    "load_mirbase_tables",
    "module_set_from_members",
    "module_significance",
    "modules_from_clusters",
    "prepare_inputs",
    "preprocess_expression",
    "read_expression",
    "read_interactions",
    "read_modules",
    "recovery_scores",
    "run_from_files",
    "run_method",
    "run_mica",
    "save_result",
    "select_k",
    "simulate_cohort",
    "stability",
]
