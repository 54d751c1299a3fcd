"""Reading expression and interaction tables, with errors that name the file and the fix.

All readers return tidy pandas objects:

* expression: a float DataFrame, features x samples (index = feature ids, columns = sample ids);
* interactions: a DataFrame with columns ``mirna``, ``target`` (plus ``support_type`` when the
  file carries evidence), one row per unique pair.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from mirmodules._validation import check_one_of
from mirmodules.exceptions import InputDataError

logger = logging.getLogger(__name__)

Orientation = Literal["features_x_samples", "samples_x_features"]
Evidence = Literal["all", "functional", "strong"]

#: Column names accepted for interaction tables, mapped onto ours.
_INTERACTION_ALIASES = {
    "mirna": "mirna",
    "miRNA": "mirna",
    "target": "target",
    "Target Gene": "target",
    "target_gene": "target",
    "support_type": "support_type",
    "Support Type": "support_type",
    "support_types": "support_types",
    "any_functional_strong": "any_functional_strong",
}


def sha256_of(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes (as stored, compressed or not); for an
    AnnData spec ``FILE.h5mu::options`` the file's."""
    path = str(path).split("::", 1)[0]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_file(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        msg = f"{what} file not found: {path}. Check the path (relative paths start at {Path.cwd()})."
        raise InputDataError(msg)
    if path.is_dir():
        msg = f"{what} path {path} is a folder; give the table file inside it."
        raise InputDataError(msg)
    if not path.is_file():
        msg = (f"{what} path {path} is not a regular file (a pipe, socket or device, e.g. a process "
               "substitution <(...)), which cannot be read twice; save it to a file first.")
        raise InputDataError(msg)
    return path


def _first_line(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
            return handle.readline()
    except (OSError, EOFError) as err:
        msg = f"Cannot read {path}: {err}. Is it a (gzipped) text table?"
        raise InputDataError(msg) from err


def _first_non_utf8(path: Path) -> tuple[int | str, bytes]:
    """Line (1-based) and byte of the first invalid UTF-8 sequence of a (gzipped) text file."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as err:
                    return number, line[err.start:err.start + 1]
    except OSError:
        pass
    return "?", b""


def _separator(path: Path) -> str:
    """Tab for .tsv/.txt, comma for .csv; otherwise whichever occurs in the header line."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] == ".csv":
        return ","
    if suffixes and suffixes[-1] in {".tsv", ".txt", ".tab"}:
        return "\t"
    header = _first_line(path)
    return "\t" if header.count("\t") >= header.count(",") else ","


def _as_clean_strings(values: pd.Series) -> pd.Series:
    """Strip ids to plain ``str``; missing cells become ``""`` (same result on pandas 2 and 3)."""
    cleaned = values.astype(object).where(values.notna(), "")
    return cleaned.map(lambda v: str(v).strip()).astype(object)


def _sniff(path: Path, what: str) -> None:
    """Clear errors for the usual wrong files: unreadable, gzip under another name, binary formats."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as err:
        msg = f"{what} file {path} cannot be read: {err.strerror}. Check its permissions."
        raise InputDataError(msg) from err
    if head[:2] == b"\x1f\x8b" and path.suffix != ".gz":
        msg = (f"{what} file {path} is gzip-compressed but its name does not end in .gz; rename it "
               f"to {path.name}.gz (or decompress it).")
        raise InputDataError(msg)
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        msg = (f"{what} file {path} is an HDF5 file (AnnData / MuData?), not a text table; name it "
               "*.h5ad or *.h5mu to read it as such, or export the matrix as TSV/CSV.")
        raise InputDataError(msg)
    if head[:4] == b"PK\x03\x04":
        msg = f"{what} file {path} is a ZIP archive (an Excel .xlsx?); save the sheet as TSV or CSV."
        raise InputDataError(msg)


def read_table(
    path: str | Path, *, what: str = "Table", dtype: object = None, literal: bool = False
) -> pd.DataFrame:
    """Read a TSV/CSV (optionally gzipped) into a DataFrame, with a clear error on failure.

    ``literal=True`` keeps every cell's text as written (a gene named ``NA`` stays ``"NA"``; only
    empty cells are missing), for tables of ids."""
    path = _check_file(path, what)
    _sniff(path, what)
    sep = _separator(path)
    na = {"keep_default_na": False, "na_values": [""]} if literal else {}
    try:
        frame = pd.read_csv(path, sep=sep, dtype=dtype, encoding="utf-8-sig", low_memory=False, **na)
    except pd.errors.EmptyDataError as err:
        msg = f"{what} file {path} is empty."
        raise InputDataError(msg) from err
    except UnicodeDecodeError as err:
        line, byte = _first_non_utf8(path)
        msg = (f"{what} file {path} is not UTF-8 text: byte {byte!r} on line {line}. Save it as "
               "UTF-8 (e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8).")
        raise InputDataError(msg) from err
    except (pd.errors.ParserError, OSError, EOFError) as err:
        msg = f"{what} file {path} could not be parsed as a {'TSV' if sep == chr(9) else 'CSV'}: {err}"
        raise InputDataError(msg) from err
    return frame


def is_excel_workbook(path: str | Path) -> bool:
    """Whether ``path`` is an Excel workbook (.xlsx: a ZIP archive under that name)."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return False
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def read_excel_sheet(path: str | Path, *, what: str = "Table") -> pd.DataFrame:
    """The first sheet of an Excel workbook as text cells (miRTarBase releases are .xlsx); needs
    ``openpyxl`` (the ``data`` extra), with a message saying so when it is missing."""
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        msg = (f"{what} file {path} is an Excel workbook; reading it needs openpyxl: pip install "
               "'mirmodules[data]' (or pip install openpyxl), or save the sheet as TSV.")
        raise InputDataError(msg) from exc
    try:
        frame = pd.read_excel(path, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, KeyError) as err:
        msg = f"{what} file {path} could not be read as an Excel workbook: {err}"
        raise InputDataError(msg) from err
    if frame.empty:
        msg = f"{what} file {path}: its first sheet is empty."
        raise InputDataError(msg)
    return frame


_NA_TOKENS = ["", "NA", "NaN", "nan", "null", "NULL"]


def _read_numeric_fast(path: str | Path, what: str) -> pd.DataFrame | None:
    """Ids as text and values parsed as float64 by pandas' C parser, or ``None`` when that fails.

    Parsing numbers directly avoids one Python string per cell (3-4x quicker at 17,000 x 424);
    any problem (a cell that is not a number, ragged rows, bad bytes) returns ``None`` so that the
    text path can say exactly what and where.
    """
    path = _check_file(path, what)
    _sniff(path, what)
    sep = _separator(path)
    try:
        n_cols = len(_first_line(path).rstrip("\r\n").split(sep))
        if n_cols < 2:
            return None
        # one pass: column 0 (the ids) as text without NA tokens, the others as float64
        frame = pd.read_csv(
            path, sep=sep, header=None, skiprows=1, encoding="utf-8-sig", engine="c",
            dtype={0: str, **dict.fromkeys(range(1, n_cols), np.float64)}, keep_default_na=False,
            na_values=dict.fromkeys(range(1, n_cols), _NA_TOKENS),
        )
    except (ValueError, TypeError, OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError):
        return None
    if frame.shape[1] != n_cols or frame.empty:
        return None
    return frame


#: Largest absolute expression value accepted (counts and intensities stay far below it).
MAX_ABS_EXPRESSION = 1e15
_BOOLEAN = re.compile(r"(?:^|[\t,])\"?(?:TRUE|FALSE|True|False|true|false)\"?(?=[\t,\r\n]|$)")


def _check_lines(path: Path, what: str) -> None:
    """One pass over the text: every line has the header's number of fields (a file cut mid-row,
    a row with another separator) and no cell is a boolean (pandas would read TRUE as 1.0).

    Works through blocks of lines with one separator count and one search per block; a block that
    does not add up is checked line by line to name the line."""
    sep = _separator(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as handle:
            header = handle.readline()
            expected = header.count(sep) + 1
            number = 1
            while True:
                block = list(itertools.islice(handle, 4096))
                if not block:
                    break
                text = "".join(block)
                lines = len(block) - sum(1 for line in block if not line.strip())
                last = block[-1]
                cut = not last.endswith("\n") and last.rstrip("\r").endswith(sep)
                # the substring test first: the regular expression alone took 0.7 s at TCGA size
                maybe_boolean = any(part in text for part in ("rue", "RUE", "alse", "ALSE"))
                if (text.count(sep) != lines * (expected - 1) or cut
                        or (maybe_boolean and _BOOLEAN.search(text))):
                    for offset, line in enumerate(block, start=1):
                        _check_line(path, what, line, number + offset, expected, sep)
                number += len(block)
    except (OSError, EOFError) as err:
        msg = (f"{what} file {path} cannot be read to its end ({err}); is it truncated? Download or copy "
               "it again.")
        raise InputDataError(msg) from err


def _check_line(path: Path, what: str, line: str, number: int, expected: int, sep: str) -> None:
    if not line.strip():
        return  # blank line: pandas skips it
    fields = line.count(sep) + 1
    cut = not line.endswith("\n") and line.rstrip("\r").endswith(sep)
    if (fields != expected and '"' not in line) or cut:
        raise InputDataError(_ragged_message(path, what, line, number, fields, expected, sep))
    boolean = _BOOLEAN.search(line)
    if boolean:
        cell = boolean.group(0).strip("\t,\"")
        msg = (f"{what} file {path}: line {number} holds the boolean {cell!r}; expression "
               "files need numbers only (write NA for a missing value).")
        raise InputDataError(msg)


def _ragged_message(path: Path, what: str, line: str, number: int, fields: int, expected: int,
                    sep: str) -> str:
    other = "," if sep == "\t" else "\t"
    if number == 2 and fields == expected + 1:
        return (f"{what} file {path}: the header has one name fewer than the rows ({expected} against "
                f"{fields}): R's write.table writes no name for the row names. Add a name for the id "
                "column (e.g. 'gene') at the start of the header, or write it with "
                "write.table(..., col.names = NA).")
    if not line.endswith("\n"):
        hint = "; the last line has no line end: the file was cut mid-row (an interrupted download or copy?)"
    elif line.count(other) >= expected - 1:
        hint = f"; it is separated by {'commas' if other == ',' else 'tabs'} unlike the rest"
    else:
        hint = ""
    return (f"{what} file {path}: line {number} has {fields} field(s), the header {expected}{hint}. "
            "Every row needs an id and one value per column.")


def _refuse_cells(bad: np.ndarray, values: pd.DataFrame, what: str, path: str | Path, problem: str,
                  fix: str) -> None:
    """An :class:`InputDataError` naming the first cell of ``bad`` (row id, column, text) and how
    many there are, when there is any."""
    if not bad.any():
        return
    r, c = np.argwhere(bad)[0]
    msg = (f"{what} file {path}: value {values.iat[r, c]!r} in row {values.index[r]!r}, column "
           f"{values.columns[c]!r} {problem} ({int(bad.sum())} such cell(s) in total). {fix}")
    raise InputDataError(msg)


def _drop_empty_columns(numeric: pd.DataFrame, path: str | Path, what: str) -> pd.DataFrame:
    """Columns without a single value (a trailing tab on every line, an all-missing sample) are
    dropped with a :class:`~mirmodules.exceptions.DataQualityWarning`; a column with values but no
    name is an error."""
    import warnings

    from mirmodules.exceptions import DataQualityWarning

    names = pd.Index([str(c) for c in numeric.columns])
    empty = numeric.isna().all(axis=0).to_numpy()
    unnamed = (names == "") | names.str.match(r"^Unnamed: \d+$")
    if (unnamed & ~empty).any():
        position = int(np.flatnonzero(unnamed & ~empty)[0]) + 2
        msg = (f"{what} file {path}: column {position} has values but no name in the header; give "
               "every sample column a name.")
        raise InputDataError(msg)
    if not empty.any():
        return numeric
    dropped = [n if n else "(no name)" for n in names[empty]]
    trailing = " (a trailing separator on every line?)" if unnamed[empty].all() else ""
    warnings.warn(
        f"{what} file {path}: {len(dropped)} column(s) hold no value at all and are left out{trailing}: "
        f"{', '.join(map(repr, dropped[:5]))}.", DataQualityWarning, stacklevel=3,
    )
    return numeric.loc[:, ~empty]


def _to_float(values: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Strings to float64 and whether every cell parsed (missing cells are already NaN).

    Fast path: Python's float() on every cell (``astype`` of the object array), ~10x quicker
    than per-column ``pd.to_numeric``; when some cell cannot be parsed, the slow path marks the
    bad cells as NaN so that the caller can name the first one.
    """
    if all(dtype == np.float64 for dtype in values.dtypes):
        return values, True
    try:
        parsed = values.to_numpy(dtype=object).astype(np.float64)
    except (ValueError, TypeError):
        return values.apply(pd.to_numeric, errors="coerce"), False
    return pd.DataFrame(parsed, index=values.index, columns=values.columns), True


def read_expression(
    path: str | Path,
    *,
    orientation: Orientation = "features_x_samples",
    what: str = "Expression",
) -> pd.DataFrame:
    """Read an expression matrix and return it as features x samples floats.

    Parameters
    ----------
    path
        TSV or CSV file, gzipped or not. The first column holds the ids of the rows.
    orientation
        ``"features_x_samples"`` (TCGA style, the default: one row per miRNA or gene, one column per
        sample) or ``"samples_x_features"`` (one row per sample).
    what
        How the file is called in error messages (e.g. ``"miRNA expression"``).

    Returns
    -------
    pandas.DataFrame
        Index: feature ids (``str``); columns: sample ids (``str``); values: float64, NaN for missing.

    Raises
    ------
    InputDataError
        Missing file, fewer than two columns, duplicated feature or sample ids, or a value that is not
        a number (the message gives its row id, column and text).
    """
    check_one_of(orientation, "orientation", ["features_x_samples", "samples_x_features"])
    from mirmodules.inputs.anndata_io import is_anndata_spec, read_anndata_expression

    if is_anndata_spec(path):
        return read_anndata_expression(path, what=what)
    _check_lines(_check_file(path, what), what)
    frame = _read_numeric_fast(path, what)
    if frame is None:  # something to report: read everything as text to name the bad cell
        frame = read_table(path, what=what, dtype=str, literal=True)
    path = Path(path)
    header = [h.strip().strip("\"") for h in _first_line(path).rstrip("\r\n").split(_separator(path))]
    if len(header) == frame.shape[1]:
        frame.columns = header  # pandas renames duplicated names ('S1' -> 'S1.1'); keep the file's
    if frame.shape[1] < 2:
        msg = (
            f"{what} file {path} has {frame.shape[1]} column(s); expected an id column followed by "
            "one column per sample (or per feature with --orientation samples_x_features). "
            "Is the separator right (tab for .tsv, comma for .csv)?"
        )
        raise InputDataError(msg)
    if frame.shape[0] == 0:
        msg = f"{what} file {path} has a header but no data rows."
        raise InputDataError(msg)
    id_col = frame.columns[0]
    ids = _as_clean_strings(frame[id_col])
    if (ids == "").any():
        row = int(np.flatnonzero(ids == "")[0]) + 2
        msg = f"{what} file {path}: the id column {id_col!r} is empty on line {row}; every row needs an id."
        raise InputDataError(msg)
    values = frame  # ours: dropping the id column in place keeps the value block as it is (drop()
    del values[id_col]  # copies the whole matrix: 1.4 GB at the pan-cancer shape)
    values.index = pd.Index(ids.to_numpy(), name=None)
    values.columns = pd.Index([str(c).strip() for c in values.columns])
    numeric, all_parsed = _to_float(values)
    bad = None if all_parsed else numeric.isna() & values.notna() & ~values.isin(_NA_TOKENS)
    if bad is not None and bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        msg = (
            f"{what} file {path}: value {values.iat[r, c]!r} in row {values.index[r]!r}, column "
            f"{values.columns[c]!r} is not a number. Expression files need numbers only (use NA for "
            f"missing values); {int(bad.to_numpy().sum())} such cell(s) in total."
        )
        raise InputDataError(msg)
    numeric = numeric.astype(np.float64, copy=False)
    _refuse_cells(np.isinf(numeric.to_numpy()), values, what, path, "is infinite",
                  "Expression must be finite numbers; write NA for a missing value (a log of 0 gives "
                  "-inf: give the unlogged values, or add a pseudocount before taking the log).")
    _refuse_cells(np.abs(np.nan_to_num(numeric.to_numpy(), nan=0.0)) > MAX_ABS_EXPRESSION, values, what,
                  path, f"is beyond +-{MAX_ABS_EXPRESSION:g}", "No count or intensity is that large; "
                  "check the file for a corrupted or mis-scaled value.")
    numeric = _drop_empty_columns(numeric, path, what)
    if orientation == "samples_x_features":
        numeric = numeric.T
    label_rows, label_cols = (
        ("feature", "sample") if orientation == "features_x_samples" else ("sample", "feature")
    )
    for axis_name, index in ((label_rows, values.index), (label_cols, values.columns)):
        dup = index[index.duplicated()].unique()
        if len(dup):
            shown = ", ".join(map(repr, dup[:5]))
            msg = (
                f"{what} file {path}: {len(dup)} duplicated {axis_name} id(s), e.g. {shown}. "
                f"Each {axis_name} must appear once; aggregate or rename the duplicates."
            )
            raise InputDataError(msg)
    logger.info("read %s %s: %d features x %d samples", what, path, *numeric.shape)
    return numeric


@dataclass(frozen=True)
class InteractionTable:
    """Validated miRNA-target interactions and what reading them removed.

    Attributes
    ----------
    table
        One row per unique pair; columns ``mirna``, ``target`` and, when known, ``support_type``.
    n_rows_read, n_evidence_filtered, n_empty_ids, n_duplicates
        Rows in the file; rows removed by the evidence filter; rows with an empty id; duplicate
        pairs merged.
    evidence
        The evidence level kept (``all``, ``functional`` or ``strong``).
    """

    table: pd.DataFrame
    n_rows_read: int
    n_evidence_filtered: int
    n_empty_ids: int
    n_duplicates: int
    evidence: str

    def counts(self) -> dict[str, int | str]:
        """Return the bookkeeping as a plain dict (for the manifest)."""
        return {
            "rows_read": self.n_rows_read,
            "evidence": self.evidence,
            "removed_by_evidence_filter": self.n_evidence_filtered,
            "removed_empty_ids": self.n_empty_ids,
            "duplicate_pairs_merged": self.n_duplicates,
            "pairs_kept": len(self.table),
        }


def _strength(frame: pd.DataFrame, path: str) -> pd.Series:
    """Per row: 'strong', 'weak' (functional, weak evidence) or 'non_functional'."""
    if "support_type" in frame:
        labels = frame["support_type"].fillna("").astype(str).str.strip()
        non_functional = labels.str.startswith("Non-Functional")
        weak = labels.str.contains("Weak", regex=False)
    elif "support_types" in frame:
        parts = frame["support_types"].fillna("").astype(str).str.split(";")
        has_strong = parts.map(lambda xs: any(x.strip() == "Functional MTI" for x in xs))
        has_functional = parts.map(lambda xs: any(x.strip().startswith("Functional") for x in xs))
        non_functional = ~has_functional
        weak = has_functional & ~has_strong
    elif "any_functional_strong" in frame:
        strong = frame["any_functional_strong"].astype(str).str.lower().isin(["true", "1"])
        non_functional = pd.Series(data=False, index=frame.index)
        weak = ~strong
    else:
        msg = (
            f"Interaction file {path} has no evidence column, so evidence filtering is impossible. "
            "Expected 'Support Type' (miRTarBase), 'support_type', 'support_types' or "
            "'any_functional_strong'; or use evidence='all' (--evidence all)."
        )
        raise InputDataError(msg)
    out = pd.Series("strong", index=frame.index)
    out[weak] = "weak"
    out[non_functional] = "non_functional"
    return out


def read_interactions(path: str | Path, *, evidence: Evidence = "all") -> InteractionTable:
    """Read validated miRNA-target interactions (ours or miRTarBase's own export).

    Parameters
    ----------
    path
        TSV/CSV (gz too) with columns ``mirna`` and ``target``, or miRTarBase's ``miRNA`` and
        ``Target Gene`` (``Support Type`` is read when present).
    evidence
        ``"all"`` keeps every row; ``"functional"`` drops "Non-Functional MTI" records;
        ``"strong"`` keeps only "Functional MTI" (reporter assay, western blot, qPCR ...),
        dropping the "(Weak)" high-throughput records.

    Returns
    -------
    InteractionTable
    """
    check_one_of(evidence, "evidence", ["all", "functional", "strong"])
    if is_excel_workbook(path):  # miRTarBase's own release (hsa_MTI.xlsx)
        frame = read_excel_sheet(path, what="Interaction")
    else:
        frame = read_table(path, what="Interaction", dtype=str, literal=True)
    rename = {c: _INTERACTION_ALIASES[c] for c in frame.columns if c in _INTERACTION_ALIASES}
    frame = frame.rename(columns=rename)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    missing = [c for c in ("mirna", "target") if c not in frame]
    if missing:
        msg = (
            f"Interaction file {path} lacks column(s) {missing}; found {list(frame.columns)[:10]}. "
            "Expected 'mirna' and 'target' (or miRTarBase's 'miRNA' and 'Target Gene'); rename the "
            "columns, e.g. df.rename(columns={'your_mirna_col': 'mirna', 'your_gene_col': 'target'})."
        )
        raise InputDataError(msg)
    n_read = len(frame)
    n_filtered = 0
    if evidence != "all":
        strength = _strength(frame, str(path))
        keep = strength == "strong" if evidence == "strong" else strength != "non_functional"
        n_filtered = int((~keep).sum())
        frame = frame[keep.to_numpy()]
    for col in ("mirna", "target"):
        frame[col] = _as_clean_strings(frame[col])
    empty = (frame["mirna"] == "") | (frame["target"] == "")
    n_empty = int(empty.sum())
    frame = frame[~empty.to_numpy()]
    cols = ["mirna", "target"] + (["support_type"] if "support_type" in frame else [])
    before = len(frame)
    if "support_type" in frame:
        # one row per pair; keep the strongest label seen for it
        order = {"Functional MTI": 0, "Functional MTI (Weak)": 1}
        rank = frame["support_type"].map(order).fillna(2)
        frame = frame.assign(_rank=rank.to_numpy()).sort_values(["mirna", "target", "_rank"])
    frame = frame.drop_duplicates(["mirna", "target"])[cols].reset_index(drop=True)
    n_dup = before - len(frame)
    if frame.empty:
        msg = (
            f"Interaction file {path} has no usable rows after filtering "
            f"(read {n_read}, evidence filter '{evidence}' removed {n_filtered}, empty ids {n_empty})."
        )
        raise InputDataError(msg)
    logger.info(
        "read interactions %s: %d rows, %d unique pairs kept (evidence=%s removed %d)",
        path, n_read, len(frame), evidence, n_filtered,
    )
    return InteractionTable(frame, n_read, n_filtered, n_empty, n_dup, evidence)


ScoreDirection = Literal["auto", "lower", "higher"]

#: Columns of a predicted-target table (``score``'s direction: see :func:`read_predicted`).
PREDICTED_COLUMNS = ("mirna", "target", "score")

#: Column names accepted for predicted-target tables, mapped onto ours.
_PREDICTED_ALIASES = {
    **{k: v for k, v in _INTERACTION_ALIASES.items() if v in ("mirna", "target")},
    "Gene Symbol": "target",
    "Representative miRNA": "mirna",
    "score": "score",
    "Cumulative weighted context++ score": "score",
    "context++ score": "score",
    "weighted context++ score": "score",
}

#: TargetScan's isomiR suffix on mature names (``hsa-miR-101-3p.1``).
_ISOMIR_SUFFIX = re.compile(r"^(.+-(?:miR|let|mir)-[^.]+)\.\d+$")


@dataclass(frozen=True)
class PredictedTable:
    """Predicted miRNA-target pairs with a strength (sequence-based evidence, weaker than validated).

    Attributes
    ----------
    table
        One row per unique pair: ``mirna``, ``target``, ``score`` (as in the file; the strongest
        score of a pair listed more than once, isomiR suffixes merged) and ``strength`` (higher =
        stronger: ``-score`` for lower-is-stronger scores such as TargetScan's context++).
    direction
        ``lower`` (lower scores are stronger) or ``higher``.
    n_rows_read, n_isomir_suffixes, n_duplicates, n_empty_ids
        Rows in the file; rows whose miRNA carried an isomiR suffix (``.1``/``.2``); rows merged
        into a pair listed before; rows without a miRNA or target id (left out).
    """

    table: pd.DataFrame
    direction: str
    n_rows_read: int
    n_isomir_suffixes: int
    n_duplicates: int
    n_empty_ids: int = 0

    def counts(self) -> dict[str, int | str]:
        """The bookkeeping as a plain dict (for the manifest)."""
        return {"rows_read": self.n_rows_read, "score_direction": self.direction,
                "isomir_suffixes_stripped": self.n_isomir_suffixes, "removed_empty_ids": self.n_empty_ids,
                "duplicate_pairs_merged": self.n_duplicates, "pairs_kept": len(self.table)}


def read_predicted(path: str | Path, *, direction: ScoreDirection = "auto") -> PredictedTable:
    """Read predicted miRNA-target pairs (TargetScan, miRDB, ...) with their scores.

    Parameters
    ----------
    path
        TSV/CSV (gz too) with ``mirna``, ``target`` and ``score`` columns (TargetScan's ``Gene
        Symbol``, ``Representative miRNA`` and ``Cumulative weighted context++ score`` too).
    direction
        ``lower``: lower scores are stronger (TargetScan's context++, always negative);
        ``higher``: higher are stronger (miRDB's target score, site counts); ``auto``: ``lower``
        when every score is <= 0, ``higher`` when every score is >= 0, an error when the signs
        are mixed.

    Raises
    ------
    InputDataError
        Missing columns, non-numeric or infinite scores (naming the line), mixed signs with
        ``auto``, or no usable row.
    """
    check_one_of(direction, "direction", ["auto", "lower", "higher"])
    frame = read_table(path, what="Predicted-target", dtype=str, literal=True)
    rename = {c: _PREDICTED_ALIASES[c] for c in frame.columns if c in _PREDICTED_ALIASES}
    frame = frame.rename(columns=rename)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    missing = [c for c in PREDICTED_COLUMNS if c not in frame]
    if missing:
        msg = (f"Predicted-target file {path} lacks column(s) {missing}; found {list(frame.columns)[:10]}. "
               "Expected 'mirna', 'target' and 'score' (TargetScan's context++ score, miRDB's target "
               "score, ...); rename the columns, e.g. df.rename(columns={'Target Score': 'score'}).")
        raise InputDataError(msg)
    n_read = len(frame)
    for col in ("mirna", "target"):
        frame[col] = _as_clean_strings(frame[col])
    scores = pd.to_numeric(frame["score"], errors="coerce")
    bad = scores.isna() | ~np.isfinite(scores)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        msg = (f"Predicted-target file {path}: score {frame['score'].iloc[row]!r} on line {row + 2} (pair "
               f"{frame['mirna'].iloc[row]!r} - {frame['target'].iloc[row]!r}) is not a finite number; "
               f"{int(bad.sum())} such row(s). Give every pair a numeric score (or drop the pair).")
        raise InputDataError(msg)
    if direction == "auto":
        if (scores <= 0).all():
            direction = "lower"
        elif (scores >= 0).all():
            direction = "higher"
        else:
            msg = (f"Predicted-target file {path}: scores of both signs ({scores.min():g} to "
                   f"{scores.max():g}), so their direction cannot be told; say it with --predicted-score "
                   "lower (lower is stronger, as TargetScan's context++) or higher (miRDB's target score).")
            raise InputDataError(msg)
    frame = frame.assign(score=scores.to_numpy())
    suffixed = frame["mirna"].str.match(_ISOMIR_SUFFIX)
    frame.loc[suffixed, "mirna"] = frame.loc[suffixed, "mirna"].str.replace(_ISOMIR_SUFFIX, r"\1", regex=True)
    empty = (frame["mirna"] == "") | (frame["target"] == "")
    frame = frame[~empty.to_numpy()]
    frame["strength"] = -frame["score"] if direction == "lower" else frame["score"]
    before = len(frame)
    order = ["mirna", "target", "strength"]
    frame = (frame.sort_values(order, ascending=[True, True, False], kind="mergesort")
             .drop_duplicates(["mirna", "target"])[["mirna", "target", "score", "strength"]]
             .reset_index(drop=True))
    if frame.empty:
        msg = f"Predicted-target file {path} has no usable row (read {n_read})."
        raise InputDataError(msg)
    logger.info("read predicted targets %s: %d rows, %d unique pairs (scores: %s is stronger; %d isomiR "
                "suffixes stripped)", path, n_read, len(frame), direction, int(suffixed.sum()))
    return PredictedTable(frame, direction, n_read, int(suffixed.sum()), before - len(frame),
                          int(empty.sum()))
