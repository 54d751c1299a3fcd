"""Expression preprocessing (paper section 3.1, METHOD.md "Preprocessing").

Each step returns the new matrix and appends one row to a step report, so that what was filtered,
imputed or transformed is counted (and written to ``preprocessing.tsv`` of a run).

Order of steps for one modality (features x samples):

1. drop features with more than ``max_missing`` missing values (default 10% of samples);
2. detect the scale: integer counts -> ``log2(CPM + 1)``; non-negative, non-integer data with a
   maximum above 100 -> ``log2(x + 1)``; anything else is taken as already logged (the report says
   which);
3. impute the remaining missing values (KNN over features, k = 10, by default; ``mean`` as an
   option). Imputation runs *after* the log transform so that neighbours are found on the log
   scale and counts stay detectable;
4. optional variance filter (off by default); constant features are always removed (they have no
   profile to scale);
5. scale each profile (z-score by default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from mirmodules._validation import check_in_range, check_one_of
from mirmodules.exceptions import InputDataError

logger = logging.getLogger(__name__)

Transform = Literal["auto", "log2cpm", "log2", "none"]
Imputation = Literal["knn", "mean"]
Scaling = Literal["zscore", "minmax", "none"]

STEP_COLUMNS = ["modality", "step", "n_features_before", "n_features_after", "n_values_changed", "detail"]


@dataclass(frozen=True)
class PreprocessingOptions:
    """Settings of :func:`preprocess_expression` (see the module docstring for the steps)."""

    max_missing: float = 0.1
    imputation: Imputation = "knn"
    n_neighbors: int = 10
    transform: Transform = "auto"
    min_variance: float | None = None
    scaling: Scaling = "zscore"

    def validate(self) -> None:
        """Raise :class:`InputDataError` for out-of-range settings."""
        check_in_range(self.max_missing, "max_missing", low=0.0, high=1.0)
        check_one_of(self.imputation, "imputation", ["knn", "mean"])
        check_in_range(self.n_neighbors, "n_neighbors", low=1, integer=True)
        check_one_of(self.transform, "transform", ["auto", "log2cpm", "log2", "none"])
        if self.min_variance is not None:
            check_in_range(self.min_variance, "min_variance", low=0.0)
        check_one_of(self.scaling, "scaling", ["zscore", "minmax", "none"])



#: Rows per block of the row-wise statistics: about 2**22 values (32 MiB) at a time, so that a
#: statistic of a 1.4 GB matrix (pan-cancer mRNA) needs 32 MiB of temporaries, not 1.4 GB.
_BLOCK_VALUES = 2**22


def row_blocks(n_rows: int, n_columns: int) -> list[slice]:
    """Slices of about 2**22 values (whole rows) that cover ``n_rows`` rows of ``n_columns`` values.

    >>> row_blocks(5, 2**21)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 6, None)]
    """
    rows = max(1, _BLOCK_VALUES // max(1, n_columns))
    return [slice(lo, lo + rows) for lo in range(0, n_rows, rows)]


def _observed_summary(values: np.ndarray) -> tuple[int, int, float, float, bool]:
    """Finite values' count, count below 0, minimum, maximum and whether all are whole numbers,
    block by block (no full-size copy of a large matrix)."""
    n_observed, n_negative, lowest, highest, integers = 0, 0, np.inf, -np.inf, True
    for block in row_blocks(*values.shape):
        observed = values[block][np.isfinite(values[block])]
        if observed.size == 0:
            continue
        n_observed += observed.size
        n_negative += int((observed < 0).sum())
        lowest, highest = min(lowest, observed.min()), max(highest, observed.max())
        integers = integers and bool(np.all(observed == np.round(observed)))
    return n_observed, n_negative, lowest, highest, integers


def standardise_rows(values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """Rows centred and divided by their population SD, so that ``z @ z.T / n_columns`` is Pearson's r.

    A constant row has no co-variation with anything and becomes all zeros. Works through blocks
    of rows (each row's numbers are those of the whole-matrix computation); ``in_place=True``
    overwrites ``values`` (a float64 array) instead of allocating the result.

    >>> standardise_rows(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])).round(3).tolist()
    [[-1.225, 0.0, 1.225], [0.0, 0.0, 0.0]]
    """
    values = np.asarray(values, dtype=float)
    out = values if in_place else np.empty_like(values)
    for block in row_blocks(*values.shape):
        centred = values[block] - values[block].mean(axis=1, keepdims=True)
        sd = centred.std(axis=1, keepdims=True)
        sd[sd == 0] = np.inf
        centred /= sd
        out[block] = centred
    return out


def _row_variance_and_abs_mean(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values.var(axis=1)`` and ``np.abs(values).mean(axis=1)`` without full-size temporaries."""
    var = np.empty(values.shape[0])
    abs_mean = np.empty(values.shape[0])
    for block in row_blocks(*values.shape):
        var[block] = values[block].var(axis=1)
        abs_mean[block] = np.abs(values[block]).mean(axis=1)
    return var, abs_mean


def detect_scale(values: np.ndarray) -> Literal["counts", "linear", "log"]:
    """Guess the scale of an expression matrix from its observed (non-NaN) values.

    ``counts``: all values are non-negative integers. ``linear``: non-negative, not all integers,
    maximum above 100 (RPM, FPKM, ...). ``log``: everything else (negative values, or a small range).
    """
    n_observed, _, lowest, highest, integers = _observed_summary(values)
    if n_observed == 0:
        return "log"
    if lowest >= 0 and integers and highest > 1:
        return "counts"
    if lowest >= 0 and highest > 100:
        return "linear"
    return "log"


def merge_renamed_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    """Rows that renaming gave the same id, merged (summed for counts, averaged otherwise); returns
    the frame, the number of rows merged into another and how (``sum``, ``mean`` or ``""``)."""
    n_merged = int(frame.index.duplicated().sum())
    if not n_merged:
        return frame, 0, ""
    how = "sum" if detect_scale(frame.to_numpy()) == "counts" else "mean"
    return frame.groupby(level=0, sort=False).agg(how), n_merged, how


def _column_nansum(values: np.ndarray) -> np.ndarray:
    """``np.nansum(values, axis=0)`` to the last bit, without its full-size NaN-free copy.

    numpy adds the rows of a C-ordered matrix one after the other into the column totals; the
    blocks continue that same sequence from the running totals (0.0 + first row is exact).
    """
    totals = np.zeros(values.shape[1])
    for block in row_blocks(*values.shape):
        rows = np.where(np.isnan(values[block]), 0.0, values[block])
        totals = np.add.reduce(np.concatenate([totals[None, :], rows]), axis=0)
    return totals


def _refuse_counts_with_negatives(x: np.ndarray, index: pd.Index, columns: pd.Index, modality: str) -> None:
    """A matrix of whole numbers in the hundreds with a few negatives is a count matrix with an
    error, not logged data: say which cell, instead of silently skipping the log transform."""
    n_observed, n_negative, _, highest, integers = _observed_summary(x)
    if not n_negative or highest <= 100 or n_negative / n_observed > 0.01 or not integers:
        return
    r, c = np.argwhere(np.isfinite(x) & (x < 0))[0]
    msg = (
        f"{modality} expression looks like read counts (whole numbers up to {highest:.0f}) but has "
        f"{n_negative} negative value(s), e.g. {x[r, c]:g} in row {index[r]!r}, column "
        f"{columns[c]!r}. Counts cannot be negative: fix the file, or, if the values really are "
        "logged, say so with transform='none' (--transform none)."
    )
    raise InputDataError(msg)


def _step(report: list[dict], modality: str, step: str, before: int, after: int, changed: int,
          detail: str) -> None:
    report.append(dict(zip(STEP_COLUMNS, [modality, step, before, after, changed, detail], strict=True)))
    logger.info("%s: %s: %d -> %d features (%s)", modality, step, before, after, detail)


def preprocess_expression(
    frame: pd.DataFrame,
    *,
    modality: str,
    options: PreprocessingOptions | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the preprocessing steps on one features x samples matrix.

    Parameters
    ----------
    frame
        Features x samples, float, NaN for missing.
    modality
        ``"mirna"`` or ``"mrna"``; used in the report and in messages.
    options
        :class:`PreprocessingOptions`; defaults when ``None``.

    Returns
    -------
    (matrix, report)
        The scaled matrix (features x samples) and the step report with columns
        ``modality``, ``step``, ``n_features_before``, ``n_features_after``, ``n_values_changed``,
        ``detail``.
    """
    options = options or PreprocessingOptions()
    options.validate()
    report: list[dict] = []
    x = frame.to_numpy(dtype=np.float64, copy=True)
    index = frame.index
    n_samples = x.shape[1]

    # 1. missing-value filter
    missing_frac = np.isnan(x).mean(axis=1)
    keep = missing_frac <= options.max_missing
    n0 = len(index)
    if not keep.all():  # a boolean index copies the whole matrix even when it keeps every row
        x, index = x[keep], index[keep]
    _step(report, modality, "missing_filter", n0, len(index), int((~keep).sum()),
          f"dropped features missing in more than {options.max_missing:.0%} of {n_samples} samples")
    if len(index) == 0:
        msg = (
            f"All {n0} {modality} features have more than {options.max_missing:.0%} missing values. "
            "Check the file's missing-value coding, or raise max_missing (--max-missing)."
        )
        raise InputDataError(msg)

    # 2. scale detection and transform
    scale = detect_scale(x)
    transform: str = options.transform
    if transform == "auto" and scale == "log":
        _refuse_counts_with_negatives(x, index, frame.columns, modality)
    if transform == "auto":
        transform = {"counts": "log2cpm", "linear": "log2", "log": "none"}[scale]
    if transform in ("log2cpm", "log2") and np.nanmin(x) < 0:
        msg = (
            f"{modality} expression has negative values, so transform={transform!r} is impossible; "
            "the data look already logged: use transform='none' (--transform none)."
        )
        raise InputDataError(msg)
    if transform == "log2cpm":
        libsize = _column_nansum(x)
        libsize[libsize == 0] = 1.0
        np.divide(x, libsize, out=x)  # in place, same operations in the same order as
        x *= 1e6                      # log2(x / libsize * 1e6 + 1), so the same values
        x += 1.0
        np.log2(x, out=x)
    elif transform == "log2":
        x += 1.0
        np.log2(x, out=x)
    detail = {
        "log2cpm": "log2(CPM + 1), CPM over the features kept",
        "log2": "log2(x + 1)",
        "none": "left as is",
    }[transform]
    _step(report, modality, "transform", len(index), len(index),
          int(np.isfinite(x).sum()) if transform != "none" else 0,
          f"values look like {scale} data; {detail}")

    # 3. imputation
    n_missing = int(np.isnan(x).sum())
    if n_missing:
        if options.imputation == "knn" and len(index) > 1:
            from sklearn.impute import KNNImputer

            imputer = KNNImputer(n_neighbors=min(options.n_neighbors, len(index) - 1),
                                 keep_empty_features=True)
            x = imputer.fit_transform(x)
        else:
            row_mean = np.nanmean(x, axis=1, keepdims=True)
            x = np.where(np.isnan(x), row_mean, x)
    _step(report, modality, "imputation", len(index), len(index), n_missing,
          f"{options.imputation} imputation of {n_missing} missing values"
          + (f" (k={options.n_neighbors} nearest features)" if options.imputation == "knn" else ""))

    # 4. variance filter (optional) and constant features (always)
    var, abs_mean = _row_variance_and_abs_mean(x)
    n0 = len(index)
    keep = var > 1e-12 * np.maximum(1.0, abs_mean) ** 2
    n_constant = int((~keep).sum())
    if options.min_variance is not None:
        keep &= var >= options.min_variance
    if not keep.all():  # a boolean index copies the whole matrix even when it keeps every row
        x, index = x[keep], index[keep]
    _step(report, modality, "variance_filter", n0, len(index), n0 - len(index),
          f"{n_constant} constant feature(s) removed"
          + (f"; min_variance={options.min_variance}" if options.min_variance is not None else
             "; no variance threshold (min_variance off)"))
    if len(index) < 2:
        removed = "; ".join(
            f"{r['step']}: {r['n_features_before']} -> {r['n_features_after']} ({r['detail']})"
            for r in report if r["n_features_before"] != r["n_features_after"])
        msg = (f"Fewer than 2 {modality} features are left after preprocessing ({len(index)} of "
               f"{len(frame)} read). {removed or 'No step removed any'}. Check that the {modality} "
               "file holds expression values that vary across samples (and --max-missing).")
        raise InputDataError(msg)

    # 5. scaling
    if options.scaling == "zscore":
        x = standardise_rows(x, in_place=True)  # x is ours; constant features were removed above
    elif options.scaling == "minmax":
        lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
        x = (x - lo) / (hi - lo)
    _step(report, modality, "scaling", len(index), len(index),
          x.size if options.scaling != "none" else 0, f"{options.scaling} per feature")
    out = pd.DataFrame(x, index=index, columns=frame.columns)
    return out, pd.DataFrame(report, columns=STEP_COLUMNS)


SampleOrder = Literal["input", "sorted", "seriation"]


def order_samples(
    matrices: list[pd.DataFrame],
    *,
    method: SampleOrder = "input",
) -> list[str]:
    """Return the sample order used by the convolution.

    ``input`` keeps the column order of the (aligned) input; ``sorted`` sorts sample ids;
    ``seriation`` orders samples by their score on the leading principal component of the stacked,
    scaled matrices, so that neighbouring columns are similar (sign fixed so that the largest
    absolute score is positive; ties broken by sample id).
    """
    check_one_of(method, "sample_order", ["input", "sorted", "seriation"])
    samples = list(matrices[0].columns)
    if method == "input":
        return samples
    if method == "sorted":
        return sorted(samples)
    stacked = np.vstack([m.loc[:, samples].to_numpy() for m in matrices])  # features x samples
    centred = stacked - stacked.mean(axis=1, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    score = vt[0]
    if score[np.argmax(np.abs(score))] < 0:
        score = -score
    return [s for _, s in sorted(zip(score.round(12), samples, strict=True))]
