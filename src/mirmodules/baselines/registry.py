"""One registry, one signature: every method takes the same prepared inputs and returns a ModuleSet.

``run_method(name, prepared, seed=..., **parameters)`` runs a registered method on
:class:`~mirmodules.pipeline.PreparedInputs` (same ids, same interaction universe, same
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

from .._random import derive_seed
from ..config import MicaConfig
from ..exceptions import InputDataError
from ..modules import ModuleSet, module_set_from_groups, modules_from_clusters
from ..pipeline import PreparedInputs

__all__ = ["METHODS", "MethodRun", "MethodSpec", "run_method"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MethodSpec:
    """A registered method."""

    name: str
    label: str
    description: str
    runner: Callable[..., list[tuple[list[str], list[str]]] | ModuleSet]
    stochastic: bool
    parameter_class: type | None = None


@dataclass(frozen=True)
class MethodRun:
    """The modules of one method on one dataset, with what produced them."""

    name: str
    label: str
    modules: ModuleSet
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


def _mica_config(config: MicaConfig | None, seed: int) -> MicaConfig:
    return replace(config or MicaConfig(), seed=seed)


def _run_mica(prepared: PreparedInputs, *, seed: int, config: MicaConfig | None = None) -> ModuleSet:
    from ..pipeline import run_mica

    return run_mica(prepared, config=_mica_config(config, seed)).modules


def _kmeans_modules(
    prepared: PreparedInputs, features: dict[str, pd.DataFrame], config: MicaConfig, seed: int
) -> ModuleSet:
    from ..clustering import cluster_features

    labels = {}
    for kind, table in features.items():
        labels[kind] = cluster_features(
            table,
            k_min=config.k_min,
            k_max=config.k_max,
            n_init=config.n_init,
            d=config.elbow_d,
            random_state=derive_seed(seed, f"kmeans_{kind}"),
        ).labels
    return modules_from_clusters(
        labels["mirna"],
        labels["mrna"],
        prepared.interactions,
        combine=config.combine,  # type: ignore[arg-type]
        min_mirnas=config.min_mirnas,
        min_mrnas=config.min_mrnas,
    )


def _run_kmeans_raw(prepared: PreparedInputs, *, seed: int, config: MicaConfig | None = None) -> ModuleSet:
    config = _mica_config(config, seed)
    return _kmeans_modules(prepared, {"mirna": prepared.mirna, "mrna": prepared.mrna}, config, seed)


def _run_kmeans_pca(prepared: PreparedInputs, *, seed: int, config: MicaConfig | None = None) -> ModuleSet:
    from sklearn.decomposition import PCA

    config = _mica_config(config, seed)
    length = config.code_length or max(1, len(prepared.samples) // 4)
    codes = {}
    for kind, table in (("mirna", prepared.mirna), ("mrna", prepared.mrna)):
        k = min(length, *table.shape)
        pca = PCA(n_components=k, random_state=derive_seed(seed, f"pca_{kind}"))
        codes[kind] = pd.DataFrame(pca.fit_transform(table.to_numpy()), index=table.index)
    return _kmeans_modules(prepared, codes, config, seed)


def _run_mirsynergy(
    prepared: PreparedInputs,
    *,
    seed: int,
    gene_network: pd.DataFrame | None = None,
    weights: pd.DataFrame | None = None,
    **parameters: Any,
) -> list[tuple[list[str], list[str]]]:
    from .mirsynergy import MirsynergyParameters, lasso_target_weights, mirsynergy

    del seed  # deterministic
    if weights is None:
        weights = lasso_target_weights(prepared.mirna, prepared.mrna, prepared.interactions)
    modules = mirsynergy(weights, gene_network, parameters=MirsynergyParameters(**parameters))
    return [(list(m.mirnas), list(m.mrnas)) for m in modules]


def _run_dicore(
    prepared: PreparedInputs, *, seed: int, **parameters: Any
) -> list[tuple[list[str], list[str]]]:
    from .reconstructed import DicoreParameters, dicore_like

    return dicore_like(
        prepared.mirna,
        prepared.mrna,
        prepared.interactions,
        parameters=DicoreParameters(**parameters),
        seed=derive_seed(seed, "dicore_permutations"),
    )


def _run_demine(
    prepared: PreparedInputs, *, seed: int, **parameters: Any
) -> list[tuple[list[str], list[str]]]:
    from .reconstructed import DemineParameters, demine_like

    del seed  # deterministic
    return demine_like(
        prepared.mirna, prepared.mrna, prepared.interactions, parameters=DemineParameters(**parameters)
    )


def _parameter_classes() -> dict[str, type]:
    from .mirsynergy import MirsynergyParameters
    from .reconstructed import DemineParameters, DicoreParameters

    return {"mirsynergy": MirsynergyParameters, "dicore": DicoreParameters, "demine": DemineParameters}


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec(
            "mica", "MICA", "autoencoder codes + elbow K-means + cluster pairs", _run_mica, stochastic=True
        ),
        MethodSpec(
            "kmeans_raw",
            "K-means (no autoencoder)",
            "ablation: K-means on the scaled profiles",
            _run_kmeans_raw,
            stochastic=True,
        ),
        MethodSpec(
            "kmeans_pca",
            "K-means on PCA codes",
            "ablation: PCA codes of the autoencoder's length",
            _run_kmeans_pca,
            stochastic=True,
        ),
        MethodSpec(
            "mirsynergy",
            "Mirsynergy",
            "faithful port: LASSO W, two-stage synergy clustering",
            _run_mirsynergy,
            stochastic=False,
        ),
        MethodSpec(
            "dicore",
            "DICORE-like",
            "reconstruction: collaboration groups + regularised CCA",
            _run_dicore,
            stochastic=True,
        ),
        MethodSpec(
            "demine",
            "DeMine-like",
            "reconstruction: synergy network + graph-entropy clusters",
            _run_demine,
            stochastic=False,
        ),
    )
}


def run_method(
    name: str,
    prepared: PreparedInputs,
    *,
    seed: int = 0,
    min_mirnas: int = 2,
    min_mrnas: int = 2,
    **parameters: Any,
) -> MethodRun:
    """Run a registered method on prepared inputs and return its uniformly filtered modules.

    ``parameters`` go to the method (``config=MicaConfig(...)`` for MICA and its ablations; the
    fields of the method's parameter class otherwise; ``gene_network`` / ``weights`` for Mirsynergy).
    """
    if name not in METHODS:
        msg = f"Unknown method {name!r}; choose from {sorted(METHODS)}."
        raise InputDataError(msg)
    spec = METHODS[name]
    known = _parameter_classes().get(name)
    if known is not None:
        allowed = {f.name for f in fields(known)} | {"gene_network", "weights"}
        unknown = sorted(set(parameters) - allowed)
        if unknown:
            msg = f"Method {name!r} has no parameter(s) {unknown}; it takes {sorted(allowed)}."
            raise InputDataError(msg)
    start = time.perf_counter()
    output = spec.runner(prepared, seed=seed, **parameters)
    if isinstance(output, ModuleSet):
        groups = [
            (list(g.loc[g["kind"] == "mirna", "feature"]), list(g.loc[g["kind"] == "mrna", "feature"]))
            for _, g in output.members.groupby("module_id", sort=True)
        ]
    else:
        groups = output
    modules = module_set_from_groups(
        groups, prepared.interactions, min_mirnas=min_mirnas, min_mrnas=min_mrnas
    )
    seconds = time.perf_counter() - start
    logger.info("%s: %d modules in %.1f s", spec.label, modules.n_modules, seconds)
    shown = {
        k: (v if isinstance(v, int | float | str | bool) or v is None else type(v).__name__)
        for k, v in parameters.items()
    }
    return MethodRun(
        name=name,
        label=spec.label,
        modules=modules,
        seconds=seconds,
        parameters=shown,
        seed=seed if spec.stochastic else None,
    )
