"""MICA as an estimator: ``MICA(**params).fit(mirna, mrna, interactions).modules_``.

The parameter names are :class:`~mirmodules.config.MicaConfig`'s fields, which are also the
command-line flags (``max_steps`` <-> ``--max-steps``), so a run moves between the shell and
Python without translation. ``get_params`` / ``set_params`` follow scikit-learn's conventions;
after ``fit`` the attributes ending in ``_`` hold the result, and
``mirmodules.save_result(mica.result_, "my_run")`` writes the files of ``mirmodules run``.

>>> from mirmodules import MICA, simulate_cohort
>>> cohort = simulate_cohort(n_samples=48, n_mirnas=40, n_mrnas=300, n_modules=3, seed=0)
>>> mica = MICA(max_steps=50, seed=1)
>>> mica.get_params()["max_steps"], mica.get_params()["k_rule"]
(50, 'sqrt')
>>> modules = mica.fit(cohort.mirna, cohort.mrna, cohort.interactions).modules_
>>> list(modules.members.columns)
['module_id', 'feature', 'kind']
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pandas as pd

from mirmodules.config import MicaConfig
from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.exceptions import InputDataError, NotFittedError
from mirmodules.inputs.identifiers import MirnaNameMap
from mirmodules.methods.mica.pipeline import identify_modules, run_mica

#: The estimator's parameters, in MicaConfig's order (= the run command's flags).
PARAMETER_NAMES = tuple(f.name for f in fields(MicaConfig))


class MICA:
    """MICA (Yang 2020) with mirmodules' measured defaults, or the paper's with ``preset="paper"``.

    Parameters
    ----------
    **params
        Any :class:`~mirmodules.config.MicaConfig` field (``preset``, ``max_steps``, ``k_rule``,
        ``seed``, ``threads``, ...). Fields left out take the preset's value.

    Attributes
    ----------
    modules_ : ModuleSet
        The modules found by :meth:`fit`.
    result_ : MicaResult
        Everything the run produced: clusterings, codes, training histories, prepared inputs and
        the manifest (parameters, seeds, versions, seconds per stage).
    config_ : MicaConfig
        The resolved settings the fit used.
    """

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(PARAMETER_NAMES))
        if unknown:
            msg = (f"MICA got unknown parameter(s) {unknown}; the parameters are MicaConfig's fields "
                   f"(the run command's flags): {', '.join(PARAMETER_NAMES)}.")
            raise InputDataError(msg)
        self._params = dict(params)
        self._config()  # settings are checked when given, not at fit time

    def _config(self) -> MicaConfig:
        config = MicaConfig(**self._params)
        config.validate()
        return config

    def get_params(self, deep: bool = True) -> dict[str, Any]:  # noqa: FBT001, FBT002 (scikit-learn's signature)
        """Every parameter with the value the next :meth:`fit` uses (preset values resolved)."""
        del deep  # no nested estimators; kept for scikit-learn's signature
        return self._config().to_dict()

    def set_params(self, **params: Any) -> MICA:
        """Change parameters (checked at once); returns the estimator.

        Changing ``preset`` re-resolves the fields that were not set explicitly.
        """
        unknown = sorted(set(params) - set(PARAMETER_NAMES))
        if unknown:
            msg = f"MICA.set_params got unknown parameter(s) {unknown}; see MICA.get_params()."
            raise InputDataError(msg)
        previous = dict(self._params)
        self._params.update(params)
        try:
            self._config()
        except Exception:
            self._params = previous
            raise
        return self

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"MICA({given})"

    def fit(
        self,
        mirna: pd.DataFrame | PreparedInputs,
        mrna: pd.DataFrame | None = None,
        interactions: pd.DataFrame | None = None,
        *,
        name_map: MirnaNameMap | None = None,
        progress: bool = False,
    ) -> MICA:
        """Find modules in miRNA and mRNA expression (features x samples) and interactions
        (``mirna``, ``target`` columns), or in already :class:`~mirmodules.datatypes.PreparedInputs`.

        Returns the estimator; the modules are in :attr:`modules_`.
        """
        config = self._config()
        if isinstance(mirna, PreparedInputs):
            if mrna is not None or interactions is not None:
                msg = "MICA.fit takes either PreparedInputs alone or mirna, mrna and interactions tables."
                raise InputDataError(msg)
            result = run_mica(mirna, config=config, progress=progress)
        else:
            if mrna is None or interactions is None:
                msg = ("MICA.fit needs the miRNA expression, the mRNA expression and the interactions "
                       "(or one PreparedInputs).")
                raise InputDataError(msg)
            result = identify_modules(mirna, mrna, interactions, name_map=name_map, config=config,
                                      progress=progress)
        self.result_ = result
        self.modules_ = result.modules
        self.config_ = config
        return self

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes: a fitted attribute asked for before fit.
        if name.endswith("_") and not name.startswith("_"):
            msg = f"This MICA estimator is not fitted yet ({name} is set by fit); call fit(...) first."
            raise NotFittedError(msg)
        raise AttributeError(name)

    def fit_modules(self, *args: Any, **kwargs: Any) -> ModuleSet:
        """:meth:`fit` and return the modules."""
        return self.fit(*args, **kwargs).modules_
