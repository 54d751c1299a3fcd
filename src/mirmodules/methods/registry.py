"""One registry, one signature: every method takes the same prepared inputs and returns a ModuleSet.

``run_method(name, prepared, seed=..., **parameters)`` runs a registered method on
:class:`~mirmodules.datatypes.PreparedInputs` (same ids, same interaction universe, same
preprocessing for all), applies the uniform >= 2 miRNAs / >= 2 mRNAs filter and numbers the
modules the same way. Methods:

========================  ==============================================================
``mica``                  MICA (autoencoder codes, elbow K-means, cluster pairs)
``kmeans_raw``            MICA without the autoencoder: K-means on the scaled profiles
``kmeans_pca``            MICA with PCA codes of the autoencoder's code length
``mirsynergy``            Mirsynergy, faithful port (LASSO W from the interaction prior)
``dicore``                DICORE-like (reconstructed)
``demine``                DeMine-like (reconstructed)
========================  ==============================================================
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import pandas as pd

from mirmodules._random import derive_seed
from mirmodules._threads import thread_limits
from mirmodules.config import MicaConfig
from mirmodules.datatypes import ModuleSet, PreparedInputs, module_set_from_groups
from mirmodules.exceptions import InputDataError
from mirmodules.methods.mirsynergy import MirsynergyParameters, lasso_target_weights, mirsynergy
from mirmodules.methods.reconstructed import (
    DemineParameters,
    DicoreParameters,
    demine_like,
    dicore_like,
)

__all__ = ["METHODS", "MethodRun", "MethodSpec", "method_spec", "run_method"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MethodSpec:
    """A registered method."""

    name: str
    label: str
    description: str
    runner: Callable[..., list[tuple[list[str], list[str]]] | ModuleSet]
    stochastic: bool
    #: the settings dataclass the method's parameters are fields of (MicaConfig for MICA and its ablations)
    parameter_class: type
    #: keyword inputs that are not settings (Mirsynergy's own W and gene network)
    extra_parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class MethodRun:
    """The modules of one method on one dataset, with what produced them."""

    name: str
    label: str
    modules: ModuleSet
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


def _run_mica(prepared: PreparedInputs, *, seed: int, settings: MicaConfig) -> ModuleSet:
    from mirmodules.methods.mica.pipeline import run_mica

    return run_mica(prepared, config=settings).modules


def _kmeans_modules(
    prepared: PreparedInputs, features: dict[str, pd.DataFrame], config: MicaConfig, seed: int
) -> ModuleSet:
    """Stages 2 and 3 of MICA on other features: the same K rule, join and repression filter as
    MICA's run with ``config``, so that an ablation differs from MICA in its features alone."""
    from mirmodules.methods.mica.pipeline import cluster_and_join

    return cluster_and_join(prepared, features, config, seed).modules


def _run_kmeans_raw(prepared: PreparedInputs, *, seed: int, settings: MicaConfig) -> ModuleSet:
    return _kmeans_modules(prepared, {"mirna": prepared.mirna, "mrna": prepared.mrna}, settings, seed)


def _run_kmeans_pca(prepared: PreparedInputs, *, seed: int, settings: MicaConfig) -> ModuleSet:
    from sklearn.decomposition import PCA

    length = settings.resolved_code_length(len(prepared.samples))
    codes = {}
    for kind, table in (("mirna", prepared.mirna), ("mrna", prepared.mrna)):
        k = min(length, *table.shape)
        pca = PCA(n_components=k, random_state=derive_seed(seed, f"pca_{kind}"))
        codes[kind] = pd.DataFrame(pca.fit_transform(table.to_numpy()), index=table.index)
    return _kmeans_modules(prepared, codes, settings, seed)


def _run_mirsynergy(
    prepared: PreparedInputs,
    *,
    seed: int,
    settings: MirsynergyParameters,
    gene_network: pd.DataFrame | None = None,
    weights: pd.DataFrame | None = None,
) -> list[tuple[list[str], list[str]]]:
    del seed  # deterministic
    if weights is None:
        weights = lasso_target_weights(prepared.mirna, prepared.mrna, prepared.interactions)
    modules = mirsynergy(weights, gene_network, parameters=settings)
    return [(list(m.mirnas), list(m.mrnas)) for m in modules]


def _run_dicore(
    prepared: PreparedInputs, *, seed: int, settings: DicoreParameters
) -> list[tuple[list[str], list[str]]]:
    return dicore_like(
        prepared.mirna,
        prepared.mrna,
        prepared.interactions,
        parameters=settings,
        seed=derive_seed(seed, "dicore_permutations"),
    )


def _run_demine(
    prepared: PreparedInputs, *, seed: int, settings: DemineParameters
) -> list[tuple[list[str], list[str]]]:
    del seed  # deterministic
    return demine_like(prepared.mirna, prepared.mrna, prepared.interactions, parameters=settings)


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec(
            "mica",
            "MICA",
            "autoencoder codes + elbow K-means + cluster pairs",
            _run_mica,
            stochastic=True,
            parameter_class=MicaConfig,
        ),
        MethodSpec(
            "kmeans_raw",
            "K-means (no autoencoder)",
            "ablation: K-means on the scaled profiles",
            _run_kmeans_raw,
            stochastic=True,
            parameter_class=MicaConfig,
        ),
        MethodSpec(
            "kmeans_pca",
            "K-means on PCA codes",
            "ablation: PCA codes of the autoencoder's length",
            _run_kmeans_pca,
            stochastic=True,
            parameter_class=MicaConfig,
        ),
        MethodSpec(
            "mirsynergy",
            "Mirsynergy",
            "faithful port: LASSO W, two-stage synergy clustering",
            _run_mirsynergy,
            stochastic=False,
            parameter_class=MirsynergyParameters,
            extra_parameters=("gene_network", "weights"),
        ),
        MethodSpec(
            "dicore",
            "DICORE-like",
            "reconstruction: collaboration groups + regularised CCA",
            _run_dicore,
            stochastic=True,
            parameter_class=DicoreParameters,
        ),
        MethodSpec(
            "demine",
            "DeMine-like",
            "reconstruction: synergy network + graph-entropy clusters",
            _run_demine,
            stochastic=False,
            parameter_class=DemineParameters,
        ),
    )
}


def method_spec(name: str) -> MethodSpec:
    """The registered method called ``name``; a clear error for an unknown name."""
    if name not in METHODS:
        msg = f"Unknown method {name!r}; choose from {sorted(METHODS)}."
        raise InputDataError(msg)
    return METHODS[name]


def run_method(
    name: str,
    prepared: PreparedInputs,
    *,
    seed: int = 0,
    config: MicaConfig | None = None,
    min_mirnas: int = 2,
    min_mrnas: int = 2,
    **parameters: Any,
) -> MethodRun:
    """Run a registered method on prepared inputs and return its uniformly filtered modules.

    ``parameters`` are fields of the method's ``parameter_class`` (for MICA and its ablations,
    :class:`~mirmodules.config.MicaConfig` fields that override ``config``) or its
    ``extra_parameters`` (``gene_network`` / ``weights`` for Mirsynergy). ``config`` is used by
    MICA and its ablations and ignored by the other methods; ``seed`` is the seed of every method.
    """
    spec = method_spec(name)
    allowed = ({f.name for f in fields(spec.parameter_class)} - {"seed"}) | set(spec.extra_parameters)
    unknown = sorted(set(parameters) - allowed)
    if unknown:
        msg = f"Method {name!r} has no parameter(s) {unknown}; it takes {sorted(allowed)}."
        raise InputDataError(msg)
    extra = {k: parameters.pop(k) for k in spec.extra_parameters if k in parameters}
    if spec.parameter_class is MicaConfig:
        base = config or MicaConfig()
        if "preset" in parameters:  # a new preset re-derives its fields; other settings carry over
            from mirmodules.config import PRESETS

            carried = {f.name: getattr(base, f.name) for f in fields(MicaConfig)
                       if f.name not in PRESETS[base.preset] and f.name != "preset"}
            base = MicaConfig(**{**carried, "preset": parameters.pop("preset")})
        settings = replace(base, **parameters, seed=seed)
    else:
        settings = spec.parameter_class(**parameters)
    settings.validate()
    start = time.perf_counter()
    threads = settings.threads if isinstance(settings, MicaConfig) else (config.threads if config else None)
    with thread_limits(threads):
        output = spec.runner(prepared, seed=seed, settings=settings, **extra)
    groups = list(output.groups().values()) if isinstance(output, ModuleSet) else output
    confidence = (output.confidence_of().reindex(list(output.groups())).tolist()
                  if isinstance(output, ModuleSet) and output.confidence is not None else None)
    modules = module_set_from_groups(
        groups, prepared.interactions, min_mirnas=min_mirnas, min_mrnas=min_mrnas, confidence=confidence
    )
    seconds = time.perf_counter() - start
    logger.info("%s: %d modules in %.1f s", spec.label, modules.n_modules, seconds)
    shown = {
        k: (v if isinstance(v, int | float | str | bool) or v is None else type(v).__name__)
        for k, v in {**parameters, **extra}.items()
    }
    return MethodRun(
        name=name,
        label=spec.label,
        modules=modules,
        seconds=seconds,
        parameters=shown,
        seed=seed if spec.stochastic else None,
    )
