"""Prognostic value of modules: the paper's risk-score model, and a cross-validated variant.

For one module, a multivariate Cox model on the expression of the module's miRNAs gives every
patient a risk score (the linear predictor); patients are split at the median score into a high-
and a low-risk group; the groups are compared with Kaplan-Meier curves, the log-rank test and the
hazard ratio of a Cox model on the group indicator (high vs low, 95% CI).

Fitting and splitting on the same patients is optimistic, so the cross-validated variant scores
every patient with a model fitted without them (k folds, stratified on the event when possible)
and splits those held-out scores at their median.

Sample ids are matched to the clinical table with the TCGA barcode rules: an aliquot or sample
barcode ``TCGA-XX-XXXX-01A-...`` belongs to the 12-character patient ``TCGA-XX-XXXX``; characters
14-15 are the sample type and only primary tumours (``01``) are kept by default. Ids that are
not TCGA barcodes are matched as they are.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirmodules._validation import check_in_range
from mirmodules.datatypes import ModuleSet
from mirmodules.exceptions import InputDataError
from mirmodules.inputs.io import read_table

__all__ = [
    "SURVIVAL_COLUMNS",
    "ClinicalMatch",
    "SurvivalAnalysis",
    "match_clinical",
    "module_survival",
    "read_clinical",
    "risk_group_comparison",
    "tcga_patient_and_type",
]

logger = logging.getLogger(__name__)

_TCGA = re.compile(r"^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4})(?:-(\d{2})[A-Z]?)?", re.IGNORECASE)

#: Events per covariate below which a module is scored on its miRNAs' mean profile instead of a
#: Cox model with one covariate per miRNA (the usual rule of thumb: about ten events per covariate).
EVENTS_PER_COVARIATE = 10

SURVIVAL_COLUMNS = [
    "module_id",
    "n_patients",
    "n_events",
    "n_covariates",
    "converged",
    "note",
    "hr",
    "hr_ci_lower",
    "hr_ci_upper",
    "logrank_p",
    "prognostic_in_sample",
    "cv_converged",
    "cv_hr",
    "cv_hr_ci_lower",
    "cv_hr_ci_upper",
    "cv_logrank_p",
    "cv_prognostic",
]
RISK_SCORE_COLUMNS = [
    "module_id",
    "sample",
    "patient",
    "os_time_days",
    "os_event",
    "risk_score",
    "risk_group",
    "cv_risk_score",
    "cv_risk_group",
]


def tcga_patient_and_type(sample_id: str) -> tuple[str, str | None]:
    """Patient key and sample type of an id (TCGA barcode rules; other ids are their own key).

    >>> tcga_patient_and_type("TCGA-02-0001-01C-01T-0179-07")
    ('TCGA-02-0001', '01')
    >>> tcga_patient_and_type("tcga-02-0001")
    ('TCGA-02-0001', None)
    >>> tcga_patient_and_type("patient_7")
    ('patient_7', None)
    """
    hit = _TCGA.match(sample_id.strip())
    if not hit:
        return sample_id.strip(), None
    return hit.group(1).upper(), hit.group(2)


def read_clinical(
    path: str | Path,
    *,
    sample_column: str = "sample",
    time_column: str = "os_time_days",
    event_column: str = "os_event",
) -> pd.DataFrame:
    """Read a clinical table and return columns ``sample``, ``os_time_days``, ``os_event``.

    Rows with a missing time or event are dropped and counted in the log; an event must be 0/1
    (or true/false, dead/alive), a time a non-negative number.
    """
    frame = read_table(path, what="Clinical", dtype=str)
    missing = [c for c in (sample_column, time_column, event_column) if c not in frame]
    if missing:
        msg = (
            f"Clinical file {path} lacks column(s) {missing}; found {list(frame.columns)[:10]}. "
            "Name them with --clinical-sample-column / --clinical-time-column / --clinical-event-column."
        )
        raise InputDataError(msg)
    events = (
        frame[event_column]
        .str.strip()
        .str.lower()
        .map(
            {
                "1": 1,
                "0": 0,
                "1.0": 1,
                "0.0": 0,
                "true": 1,
                "false": 0,
                "dead": 1,
                "alive": 0,
                "deceased": 1,
                "living": 0,
            }
        )
    )
    times = pd.to_numeric(frame[time_column], errors="coerce")
    raw_time = frame[time_column].astype(object)
    blank = raw_time.isna() | raw_time.astype(str).str.strip().isin(["", "NA", "NaN", "nan", "null", "NULL"])
    bad_time = times.isna() & ~blank
    if bad_time.any():
        row = int(np.flatnonzero(bad_time.to_numpy())[0])
        msg = (
            f"Clinical file {path}: time column {time_column!r} has {raw_time.iloc[row]!r} on line "
            f"{row + 2} (sample {frame[sample_column].iloc[row]!r}); expected a number of days, or NA "
            f"when unknown. {int(bad_time.sum())} such row(s) in total."
        )
        raise InputDataError(msg)
    if np.isinf(times).any():
        row = int(np.flatnonzero(np.isinf(times.to_numpy()))[0])
        msg = f"Clinical file {path}: time column {time_column!r} is infinite on line {row + 2}."
        raise InputDataError(msg)
    bad_event = events.isna() & frame[event_column].notna() & (frame[event_column].str.strip() != "")
    if bad_event.any():
        value = frame.loc[bad_event, event_column].iloc[0]
        msg = (
            f"Clinical file {path}: event column {event_column!r} has value {value!r}; "
            "expected 1/0 (dead/alive)."
        )
        raise InputDataError(msg)
    if (times < 0).any():
        msg = f"Clinical file {path}: time column {time_column!r} has negative values."
        raise InputDataError(msg)
    out = pd.DataFrame(
        {"sample": frame[sample_column].astype(str).str.strip(), "os_time_days": times, "os_event": events}
    )
    usable = out["os_time_days"].notna() & out["os_event"].notna()
    if (~usable).any():  # counted here; what it costs the analysis is warned about when matching
        logger.info(
            "clinical: %d of %d rows lack a time or an event and are not used", int((~usable).sum()), len(out)
        )
    out = out[usable].astype({"os_event": int})
    out["os_time_days"] = _times_in_days(out["os_time_days"], time_column, path)
    dup = out["sample"].duplicated()
    if dup.any():
        msg = (
            f"Clinical file {path}: sample {out.loc[dup, 'sample'].iloc[0]!r} appears twice; "
            "keep one row per patient."
        )
        raise InputDataError(msg)
    return out.reset_index(drop=True)


#: Days per month and per year, for time columns named in those units.
DAYS_PER_UNIT = {"month": 365.25 / 12, "year": 365.25}
#: A days column whose longest time is at most this looks like months (20 years in months).
MONTHS_LIKE_MAX = 240.0


def _times_in_days(times: pd.Series, column: str, path: str | Path) -> pd.Series:
    """Times converted to days when the column's name says months or years (``os_time_months``,
    ``OS.time.years``); a column in days whose longest follow-up is at most 240 is warned about,
    since TCGA follow-up in days runs to thousands.

    >>> _times_in_days(pd.Series([12.0, 24.0]), "os_months", "c.tsv").round(1).tolist()
    [365.2, 730.5]
    """
    name = column.lower()
    for unit, days in DAYS_PER_UNIT.items():
        if unit in name:
            logger.info("clinical: column %r read as %ss and converted to days (x %.4g)", column, unit, days)
            return times * days
    if len(times) >= 10 and 0 < times.max() <= MONTHS_LIKE_MAX:
        logger.warning(
            "Clinical file %s: the longest time in %r is %g, short for days (TCGA follow-up runs to "
            "thousands of days); if the times are months, name the column with 'months' (e.g. "
            "os_time_months, --clinical-time-column os_time_months) and they are converted to days.",
            path, column, float(times.max()))
    return times


@dataclass(frozen=True)
class ClinicalMatch:
    """Expression samples matched to survival data.

    Attributes
    ----------
    table
        Columns ``sample`` (expression id), ``patient``, ``os_time_days``, ``os_event``.
    counts
        Samples seen, excluded by sample type, duplicates of a patient, without clinical data;
        clinical rows without expression.
    """

    table: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def match_clinical(
    samples: Sequence[str], clinical: pd.DataFrame, *, sample_types: Sequence[str] | None = ("01",)
) -> ClinicalMatch:
    """Match expression sample ids to clinical rows by the TCGA barcode rules.

    Parameters
    ----------
    samples
        Expression sample ids (aliquot barcodes, patient barcodes or any other ids).
    clinical
        Columns ``sample``, ``os_time_days``, ``os_event`` (:func:`read_clinical`).
    sample_types
        TCGA sample types kept (``01`` primary solid tumour, ``03`` primary blood cancer, ...);
        ``None`` keeps all. Ids without a type (patient barcodes, non-TCGA ids) are always kept.

    Examples
    --------
    >>> clin = pd.DataFrame({"sample": ["TCGA-AA-0001", "TCGA-AA-0002"], "os_time_days": [10, 20],
    ...                      "os_event": [1, 0]})
    >>> m = match_clinical(["TCGA-AA-0001-01A", "TCGA-AA-0001-11A", "TCGA-AA-0003-01A"], clin)
    >>> m.table["sample"].tolist(), m.counts["excluded_sample_type"], m.counts["without_clinical"]
    (['TCGA-AA-0001-01A'], 1, 1)
    """
    clin = clinical.assign(patient=[tcga_patient_and_type(str(s))[0] for s in clinical["sample"]])
    clin = clin.drop_duplicates("patient").set_index("patient")
    kept, excluded, duplicates, unmatched = [], 0, 0, 0
    seen: set[str] = set()
    for s in sorted(samples):
        patient, stype = tcga_patient_and_type(s)
        if sample_types is not None and stype is not None and stype not in sample_types:
            excluded += 1
            continue
        if patient not in clin.index:
            unmatched += 1
            continue
        if patient in seen:
            duplicates += 1
            continue
        seen.add(patient)
        kept.append((s, patient, clin.at[patient, "os_time_days"], int(clin.at[patient, "os_event"])))
    table = pd.DataFrame(kept, columns=["sample", "patient", "os_time_days", "os_event"])
    counts = {
        "samples": len(samples),
        "matched": len(table),
        "excluded_sample_type": excluded,
        "duplicate_patient": duplicates,
        "without_clinical": unmatched,
        "clinical_without_expression": int(len(clin) - len(seen)),
    }
    logger.info("clinical matching: %s", counts)
    if unmatched > 0.1 * len(samples) and len(table):
        logger.warning("survival: %d of %d samples have no survival data in the clinical table and are "
                       "left out of the survival analysis, which uses %d patients.", unmatched, len(samples),
                       len(table))
    if table.empty:
        example = sorted(samples)[:2]
        msg = (
            f"No expression sample matched the clinical table (expression ids like {example}, "
            f"clinical ids like {clinical['sample'].head(2).tolist()}; sample types kept: {sample_types}). "
            "TCGA barcodes are matched on their first 12 characters."
        )
        raise InputDataError(msg)
    return ClinicalMatch(table=table, counts=counts)


def risk_group_comparison(time: np.ndarray, event: np.ndarray, high: np.ndarray) -> dict[str, Any]:
    """Log-rank test and Cox hazard ratio (high vs low) of two risk groups.

    Returns ``hr``, ``hr_ci_lower``, ``hr_ci_upper``, ``logrank_p`` and ``converged``.
    """
    from lifelines.statistics import logrank_test

    high = np.asarray(high, dtype=bool)
    out: dict[str, Any] = {
        "hr": np.nan,
        "hr_ci_lower": np.nan,
        "hr_ci_upper": np.nan,
        "logrank_p": np.nan,
        "converged": False,
        "note": "",
    }
    if high.all() or not high.any():
        out["note"] = "one risk group is empty"
        return out
    with warnings.catch_warnings():  # lifelines' statistical warnings are not ours to print
        warnings.simplefilter("ignore")
        out["logrank_p"] = float(logrank_test(time[high], time[~high], event[high], event[~high]).p_value)
    cph, note = _fit_cox(pd.DataFrame({"high_risk": high.astype(float)}), time, event, 0.0)
    if cph is None:
        out["note"] = f"group {note}"
        return out
    summary = cph.summary.loc["high_risk"]
    out.update(
        hr=float(summary["exp(coef)"]),
        hr_ci_lower=float(summary["exp(coef) lower 95%"]),
        hr_ci_upper=float(summary["exp(coef) upper 95%"]),
        converged=not note,
        note=note,
    )
    return out


def _fit_cox(x: pd.DataFrame, time: np.ndarray, event: np.ndarray, penalizer: float) -> tuple[Any, str]:
    """A Cox fit on covariates ``x``; returns (model or None, note). Failures and convergence
    warnings become the note, never an exception."""
    from lifelines import CoxPHFitter

    frame = x.assign(T=time, E=event)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cph = CoxPHFitter(penalizer=penalizer).fit(frame, duration_col="T", event_col="E")
        except Exception as err:  # ConvergenceError, LinAlgError: recorded, never raised
            return None, f"Cox fit failed: {type(err).__name__}: {_first_sentence(str(err))}"
    notes = sorted(
        {_first_sentence(str(w.message)) for w in caught if "Convergence" in type(w.message).__name__}
    )
    return cph, "; ".join(notes)


def _first_sentence(text: str) -> str:
    """The first sentence of a library message, whole (never cut inside a word or an address).

    >>> _first_sentence("Column x0 has high correlation. See https://lifelines.readthedocs.io/x")
    'Column x0 has high correlation.'
    """
    line = text.strip().splitlines()[0] if text.strip() else ""
    end = line.find(". ")
    return line[: end + 1] if end >= 0 else line


def _median_groups(scores: np.ndarray) -> np.ndarray:
    """'high' above the median score, 'low' at or below it, '' where no score exists."""
    if np.isnan(scores).any():
        return np.full(len(scores), "", dtype=object)
    return np.where(scores > np.median(scores), "high", "low").astype(object)


def _split_and_compare(
    scores: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    *,
    prefix: str,
    fitted: bool,
    notes: list[str] | None,
) -> dict[str, Any]:
    """``{prefix}hr`` ... ``{prefix}converged`` of a median split of ``scores`` (NaN without scores)."""
    out: dict[str, Any] = {f"{prefix}{k}": np.nan for k in ("hr", "hr_ci_lower", "hr_ci_upper", "logrank_p")}
    out[f"{prefix}converged"] = False
    if np.isnan(scores).any():
        return out
    comparison = risk_group_comparison(time, event, _median_groups(scores) == "high")
    out.update({f"{prefix}{k}": comparison[k] for k in ("hr", "hr_ci_lower", "hr_ci_upper", "logrank_p")})
    out[f"{prefix}converged"] = fitted and comparison["converged"]
    if notes is not None:
        notes.append(comparison["note"])
    return out


@dataclass(frozen=True)
class SurvivalAnalysis:
    """Risk-score survival analysis of every module.

    Attributes
    ----------
    summary
        Columns :data:`SURVIVAL_COLUMNS`, one row per module.
    risk_scores
        Tidy per (module, patient) scores and groups (in-sample and cross-validated).
    clinical
        The matching of expression samples to clinical rows.
    parameters
        Folds, seed, penalizer, p threshold.
    """

    summary: pd.DataFrame
    risk_scores: pd.DataFrame
    clinical: ClinicalMatch
    parameters: dict[str, Any]


def module_survival(
    modules: ModuleSet,
    mirna_expression: pd.DataFrame,
    clinical: ClinicalMatch,
    *,
    cv_folds: int = 5,
    penalizer: float = 0.0,
    p_threshold: float = 0.05,
    seed: int = 0,
    events_per_covariate: int | None = EVENTS_PER_COVARIATE,
) -> SurvivalAnalysis:
    """Risk-score model of every module (in-sample and ``cv_folds``-fold cross-validated).

    Parameters
    ----------
    modules
        The module set.
    mirna_expression
        miRNAs x samples (the analysed, scaled profiles); columns must include
        ``clinical.table["sample"]``.
    clinical
        From :func:`match_clinical`.
    cv_folds
        Folds of the cross-validated variant (0 turns it off).
    penalizer
        Ridge penalty of the multivariate Cox model (lifelines' ``penalizer``); 0 is the paper's
        plain model. A module with more miRNAs than the data support may not converge: that is
        recorded in ``converged``/``note``.
    p_threshold
        ``prognostic_in_sample`` (the paper's criterion) is ``logrank_p < p_threshold`` for a fit
        that converged (a fit that did not is never prognostic; ``cv_prognostic`` likewise). A
        module with more miRNAs than one per :data:`EVENTS_PER_COVARIATE` events is scored on the
        mean of its miRNAs' profiles (one covariate; ``n_covariates`` 1 and a ``note``).
    seed
        Fold assignment.
    events_per_covariate
        A module with more miRNAs than one per this many events is scored on their mean profile;
        ``None`` fits every miRNA as a covariate whatever the events (to measure what the rule does:
        ``benchmarks/survival_covariates.py``).
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    check_in_range(cv_folds, "cv_folds", low=0, integer=True)
    if cv_folds == 1:
        msg = "The 'cv_folds' parameter must be 0 (off) or at least 2; got 1 instead."
        raise InputDataError(msg)
    check_in_range(penalizer, "penalizer", low=0.0)
    patients = clinical.table
    missing = [s for s in patients["sample"] if s not in mirna_expression.columns]
    if missing:
        msg = f"{len(missing)} matched samples are missing from the miRNA expression, e.g. {missing[:3]}."
        raise InputDataError(msg)
    time = patients["os_time_days"].to_numpy(dtype=float)
    event = patients["os_event"].to_numpy(dtype=float)
    expr = mirna_expression[patients["sample"].tolist()]
    n_events = int(event.sum())
    if cv_folds:
        stratify = min(int(event.sum()), int(len(event) - event.sum())) >= cv_folds
        splitter = (
            StratifiedKFold(cv_folds, shuffle=True, random_state=seed)
            if stratify
            else KFold(cv_folds, shuffle=True, random_state=seed)
        )
        folds = list(splitter.split(np.zeros(len(event)), event.astype(int)))
    rows, score_tables = [], []
    for mid, (module_mirnas, _) in modules.groups().items():
        mirs = [m for m in module_mirnas if m in expr.index]
        row: dict[str, Any] = {
            "module_id": mid,
            "n_patients": len(patients),
            "n_events": n_events,
            "n_covariates": len(mirs),
        }
        x = pd.DataFrame(expr.loc[mirs].to_numpy().T, columns=[f"x{i}" for i in range(len(mirs))])
        notes = []
        if events_per_covariate is not None and len(mirs) > max(1, n_events // events_per_covariate):
            # more covariates than about one per ten events overfit: the module is scored on one
            # summary, the mean of its miRNAs' (scaled) profiles
            notes.append(f"{len(mirs)} miRNAs for {n_events} events: scored on their mean profile")
            x = pd.DataFrame({"x0": x.to_numpy().mean(axis=1)})
            row["n_covariates"] = 1
        cph, note = _fit_cox(x, time, event, penalizer) if mirs else (None, "no miRNA in the expression")
        notes.append(note)
        scores = np.full(len(patients), np.nan)
        if cph is not None:
            scores = cph.predict_log_partial_hazard(x).to_numpy(dtype=float)
        row.update(
            _split_and_compare(
                scores, time, event, prefix="", fitted=cph is not None and not note, notes=notes
            )
        )
        cv_scores = np.full(len(patients), np.nan)
        cv_fitted = bool(cv_folds) and cph is not None
        if cv_fitted:
            for train, test in folds:
                model, fold_note = _fit_cox(
                    x.iloc[train].reset_index(drop=True), time[train], event[train], penalizer
                )
                if model is None:
                    cv_fitted = False
                    notes.append(f"cross-validation: {fold_note}")
                    break
                cv_fitted = cv_fitted and not fold_note
                cv_scores[test] = model.predict_log_partial_hazard(x.iloc[test]).to_numpy(dtype=float)
        row.update(_split_and_compare(cv_scores, time, event, prefix="cv_", fitted=cv_fitted, notes=None))
        row["note"] = "; ".join(dict.fromkeys(n for n in notes if n))
        rows.append(row)
        score_tables.append(
            pd.DataFrame(
                {
                    "module_id": mid,
                    "sample": patients["sample"].to_numpy(),
                    "patient": patients["patient"].to_numpy(),
                    "os_time_days": time,
                    "os_event": event.astype(int),
                    "risk_score": scores,
                    "risk_group": _median_groups(scores),
                    "cv_risk_score": cv_scores,
                    "cv_risk_group": _median_groups(cv_scores),
                }
            )
        )
    summary = pd.DataFrame(
        rows, columns=[c for c in SURVIVAL_COLUMNS if c not in ("prognostic_in_sample", "cv_prognostic")]
    )
    # a fit that did not converge (or failed) is never prognostic, whatever its p-value
    summary["prognostic_in_sample"] = (summary["logrank_p"] < p_threshold) & summary["converged"].astype(bool)
    summary["cv_prognostic"] = (summary["cv_logrank_p"] < p_threshold) & summary["cv_converged"].astype(bool)
    unconverged = int((~summary["converged"].astype(bool)).sum())
    if unconverged:
        logger.warning("survival: the Cox fits of %d of %d modules did not converge or failed; they are "
                       "not counted prognostic (survival.tsv, column note)", unconverged, len(summary))
    summary = summary[SURVIVAL_COLUMNS]
    risk = (
        pd.concat(score_tables, ignore_index=True)
        if score_tables
        else pd.DataFrame(columns=RISK_SCORE_COLUMNS)
    )
    logger.info(
        "survival: %d modules, %d prognostic (log-rank p < %g), %d cross-validated",
        len(summary),
        int(summary["prognostic_in_sample"].sum()),
        p_threshold,
        int(summary["cv_prognostic"].sum()),
    )
    return SurvivalAnalysis(
        summary=summary,
        risk_scores=risk[RISK_SCORE_COLUMNS],
        clinical=clinical,
        parameters={"cv_folds": cv_folds, "penalizer": penalizer, "p_threshold": p_threshold, "seed": seed},
    )
