"""mirmodules: microRNA regulatory modules from matched miRNA/mRNA expression.

The main entry points are :func:`identify_modules` (tables in memory), :func:`run_from_files`
and the ``mirmodules`` command. torch is imported only when the autoencoder runs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mirmodules._versions import mirmodules_version
from mirmodules.config import EvaluationOptions, MicaConfig, SimulationParameters
from mirmodules.exceptions import DataQualityWarning, InputDataError, NoElbowWarning, NotFittedError

#: Public name -> the submodule that defines it, imported on first use (PEP 562), so that
#: ``import mirmodules`` and the command line start without loading pandas, torch or matplotlib.
_LAZY = {
    "MICA": "methods.mica.estimator",
    "evaluate_modules": "evaluation.evaluate",
    "module_significance": "evaluation.perturbation",
    "best_match_jaccard": "evaluation.recovery",
    "reachable_members": "evaluation.recovery",
    "recovery_scores": "evaluation.recovery",
    "MirnaNameMap": "inputs.identifiers",
    "harmonise_mirna_ids": "inputs.identifiers",
    "load_mirbase_tables": "inputs.identifiers",
    "InteractionTable": "inputs.io",
    "read_expression": "inputs.io",
    "read_interactions": "inputs.io",
    "prepare_inputs": "inputs.prepared",
    "PreprocessingOptions": "inputs.preprocessing",
    "preprocess_expression": "inputs.preprocessing",
    "SimulatedCohort": "inputs.simulate",
    "simulate_cohort": "inputs.simulate",
    "modules_from_clusters": "methods.join",
    "Clustering": "methods.mica.clustering",
    "KSelection": "methods.mica.clustering",
    "cluster_features": "methods.mica.clustering",
    "select_k": "methods.mica.clustering",
    "MicaResult": "methods.mica.pipeline",
    "identify_modules": "methods.mica.pipeline",
    "run_mica": "methods.mica.pipeline",
    "run_method": "methods.registry",
    "read_modules": "store.run_folder",
    "save_result": "store.run_folder",
    "ModuleSet": "datatypes",
    "PreparedInputs": "datatypes",
    "module_set_from_members": "datatypes",
    "compare_methods": "workflows.compare",
    "evaluate_run": "workflows.evaluate",
    "run_from_files": "workflows.run",
    "stability": "workflows.stability",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from mirmodules.datatypes import ModuleSet, PreparedInputs, module_set_from_members
    from mirmodules.evaluation.evaluate import evaluate_modules
    from mirmodules.evaluation.perturbation import module_significance
    from mirmodules.evaluation.recovery import best_match_jaccard, reachable_members, recovery_scores
    from mirmodules.inputs.identifiers import MirnaNameMap, harmonise_mirna_ids, load_mirbase_tables
    from mirmodules.inputs.io import InteractionTable, read_expression, read_interactions
    from mirmodules.inputs.prepared import prepare_inputs
    from mirmodules.inputs.preprocessing import PreprocessingOptions, preprocess_expression
    from mirmodules.inputs.simulate import SimulatedCohort, simulate_cohort
    from mirmodules.methods.join import modules_from_clusters
    from mirmodules.methods.mica.clustering import Clustering, KSelection, cluster_features, select_k
    from mirmodules.methods.mica.estimator import MICA
    from mirmodules.methods.mica.pipeline import MicaResult, identify_modules, run_mica
    from mirmodules.methods.registry import run_method
    from mirmodules.store.run_folder import read_modules, save_result
    from mirmodules.workflows.compare import compare_methods
    from mirmodules.workflows.evaluate import evaluate_run
    from mirmodules.workflows.run import run_from_files
    from mirmodules.workflows.stability import stability


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


__version__ = mirmodules_version()

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "MICA",
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
    "reachable_members",
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
