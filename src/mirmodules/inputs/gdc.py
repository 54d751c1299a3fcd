"""GDC downloads to mirmodules inputs: ``mirmodules data assemble`` (and ``data tcga``).

A GDC sample sheet (the portal's cart: "Sample Sheet") and the files it lists become matrices that
``mirmodules run`` reads as they are. :func:`assemble_cohort` computes them;
:func:`mirmodules.store.cohort_folder.save_cohort` writes the folder (all files or none):

* ``mrna.tsv.gz``: gene x sample read counts from STAR "augmented gene counts" files.
* ``mirna.tsv.gz``: mature miRNA x sample read counts from miRNA isoform quantification files,
  keyed by miRBase accession (``MIMAT...``; ``--mirbase`` maps accessions to names).
* ``gene_map.tsv``: every Ensembl gene id read, with its symbol, type and how many ids were
  summed into the symbol's row (a ``--gene-map`` table: a ``symbol`` column plus id columns).
* ``clinical.tsv``: ``sample``, ``os_time_days``, ``os_event`` (with ``--clinical``), as
  ``mirmodules evaluate --clinical`` reads it.
* ``samples.tsv``: every file of the sample sheet and its fate: ``kept``, or ``dropped`` with a
  ``reason`` code and a sentence (``detail``).
* ``manifest.json``: command, version, inputs, rules, counts, and each file's id and MD5.

File formats (checked against the GDC's documentation):

* STAR counts (``*.rna_seq.augmented_star_gene_counts.tsv``): a comment line
  ``# gene-model: GENCODE v36``, the header ``gene_id gene_name gene_type unstranded
  stranded_first stranded_second tpm_unstranded fpkm_unstranded fpkm_uq_unstranded``, four STAR
  summary rows ``N_unmapped``, ``N_multimapping``, ``N_noFeature``, ``N_ambiguous`` (empty name and
  type), then one row per gene. The GDC treats every library as unstranded, so the ``unstranded``
  column holds the counts. Source: https://docs.gdc.cancer.gov/Data/Bioinformatics_Pipelines/Expression_mRNA_Pipeline/
* Isoform quantification (``*.isoforms.quantification.txt``): ``miRNA_ID`` (the precursor,
  ``hsa-let-7a-1``), ``isoform_coords`` (``hg38:chr9:94175961-94175982:+``), ``read_count``,
  ``reads_per_million_miRNA_mapped``, ``cross-mapped`` (Y/N) and ``miRNA_region``: ``mature,MIMAT...``
  for reads on an annotated mature strand, else ``star``, ``precursor``, ``stemloop`` or
  ``unannotated``. Sources: https://docs.gdc.cancer.gov/Data/Bioinformatics_Pipelines/miRNA_Pipeline/,
  the BCGSC pipeline's description (https://api.gdc.cancer.gov/data/f4d38bfc-b6ce-485c-a820-42c51b52c111:bcgsc.ca_LAML.IlluminaGA_miRNASeq.Level_3.1.2.0/DESCRIPTION.txt)
  and https://github.com/bcgsc/mirna (feature types mature, star, precursor, loop, unannotated).
* miRNA quantification (``*.mirnas.quantification.txt``): ``miRNA_ID`` (precursor), ``read_count``,
  ``reads_per_million_miRNA_mapped``, ``cross-mapped``: reads anywhere on the hairpin.
* Sample type codes, the two digits after the patient in a barcode (``TCGA-XX-XXXX-01A``: ``01``,
  vial ``A``): https://gdc.cancer.gov/resources-tcga-users/tcga-code-tables/sample-type-codes.

Rules (also written into ``manifest.json``):

* **Samples.** Only files of the ``sample_types`` are used (default ``01`` primary solid tumour,
  ``03`` and ``09`` primary blood-derived cancer). One sample per patient: among the patient's
  samples that have both an mRNA and a miRNA file, the first by the order of ``sample_types``, then
  the lowest vial letter (``01A`` before ``01B``), then the sample barcode. Both matrices take the
  same sample, so every column is one tissue sample with both measurements.
* **Aliquots.** A sample with several files of one kind (re-sequenced aliquots) keeps the file with
  the lowest GDC file id: arbitrary but stable, and the same in ``data assemble`` and ``data tcga``.
  A file that cannot be read (damaged, truncated) is dropped and the next one is tried.
* **Genes.** Rows are gene symbols (``gene_name``). Rows of one symbol (PAR_Y copies, loci of one
  small-RNA family) are **summed**, since the counts are reads; ``gene_map.tsv`` lists the Ensembl
  ids behind each symbol and the manifest counts the merged rows. ``gene_types`` keeps
  ``protein_coding`` by default (``all`` keeps every type).
* **miRNAs.** Reads of isoform rows whose region is ``mature,MIMAT...`` are summed per accession
  (over isoforms and over precursors that give the same mature miRNA; cross-mapped reads are
  included, as the GDC's own mature-level summaries do). ``star``, ``precursor``, ``stemloop`` and
  ``unannotated`` reads are not mature miRNAs and are only counted in the manifest. A precursor-level
  file is used only when no sample has an isoform file: the matrix is then keyed by precursor
  names (``hsa-mir-21``) and a :class:`~mirmodules.exceptions.DataQualityWarning` says so. When
  other samples have isoform files, a sample with only a precursor-level file is dropped (its
  counts cannot be split into mature miRNAs), with a warning.
* **Survival.** ``os_event`` is 1 for ``Dead``, 0 for ``Alive``; ``os_time_days`` is
  ``days_to_death`` when dead, else the largest ``days_to_last_follow_up``; unknown or negative
  values are ``NA`` (``mirmodules evaluate`` leaves those rows out).

Files are read one at a time. STAR files that share the first file's layout (every file of one
GDC release does) take a vectorised path that still checks every kept line's gene id, name and
type byte for byte; any other file is read line by line (``benchmarks/gdc_assembly.py``: a
TCGA-size download of 2,200 files in under a minute on a shared 2-core machine).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import re
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirmodules.exceptions import DataQualityWarning, InputDataError

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SAMPLE_TYPES",
    "SAMPLE_TYPE_CODES",
    "GdcCohort",
    "StarCounts",
    "assemble_cohort",
    "assemble_from_folder",
    "clinical_from_cases",
    "locate_in_folder",
    "normalise_sample_sheet",
    "read_gdc_clinical",
    "read_isoform_counts",
    "read_precursor_counts",
    "read_sample_sheet",
    "read_star_counts",
    "sample_type_code",
    "survival_table",
]

STAR_COLUMNS = ("gene_id", "gene_name", "gene_type", "unstranded", "stranded_first", "stranded_second",
                "tpm_unstranded", "fpkm_unstranded", "fpkm_uq_unstranded")
STAR_SUMMARY_ROWS = ("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous")
ISOFORM_COLUMNS = ("miRNA_ID", "isoform_coords", "read_count", "reads_per_million_miRNA_mapped",
                   "cross-mapped", "miRNA_region")
PRECURSOR_COLUMNS = ("miRNA_ID", "read_count", "reads_per_million_miRNA_mapped", "cross-mapped")
#: miRNA_region values of isoform files (``mature`` carries ``,MIMAT...``).
MIRNA_REGIONS = ("mature", "star", "precursor", "stemloop", "unannotated")

#: GDC data types used, and what they are.
DATA_TYPES = {
    "Gene Expression Quantification": "mrna",
    "Isoform Expression Quantification": "mirna_isoform",
    "miRNA Expression Quantification": "mirna_precursor",
}

#: GDC sample type codes (https://gdc.cancer.gov/resources-tcga-users/tcga-code-tables/sample-type-codes).
SAMPLE_TYPE_CODES = {
    "01": "Primary Solid Tumor", "02": "Recurrent Solid Tumor",
    "03": "Primary Blood Derived Cancer - Peripheral Blood",
    "04": "Recurrent Blood Derived Cancer - Bone Marrow", "05": "Additional - New Primary",
    "06": "Metastatic", "07": "Additional Metastatic", "08": "Human Tumor Original Cells",
    "09": "Primary Blood Derived Cancer - Bone Marrow", "10": "Blood Derived Normal",
    "11": "Solid Tissue Normal", "12": "Buccal Cell Normal", "13": "EBV Immortalized Normal",
    "14": "Bone Marrow Normal", "15": "Fibroblasts from Bone Marrow Normal",
    "16": "Mononuclear Cells from Bone Marrow Normal", "20": "Control Analyte",
    "40": "Recurrent Blood Derived Cancer - Peripheral Blood", "50": "Cell Lines",
    "60": "Primary Xenograft Tissue", "61": "Cell Line Derived Xenograft Tissue",
}
# the portal writes some types under other words than the code table ("Primary Tumor")
_TYPE_WORDS = {v.lower(): k for k, v in SAMPLE_TYPE_CODES.items()} | {
    "primary tumor": "01", "recurrent tumor": "02", "metastatic tumor": "06",
}
#: Sample types used by default, in the order a patient's samples are preferred.
DEFAULT_SAMPLE_TYPES = ("01", "03", "09")

#: Sample sheet columns as the GDC portal writes them -> names used here.
SHEET_COLUMNS = {
    "File ID": "file_id", "File Name": "file_name", "Data Category": "data_category",
    "Data Type": "data_type", "Project ID": "project_id", "Case ID": "case_id",
    "Sample ID": "sample_id", "Sample Type": "sample_type",
}
REQUIRED_SHEET_COLUMNS = ("File ID", "File Name", "Data Type", "Case ID", "Sample ID")

_BARCODE = re.compile(r"^(?P<patient>[^-\s]+-[^-\s]+-[^-\s]+)-(?P<code>\d{2})(?P<vial>[A-Z]?)(?:-|$)")
_MIMAT = re.compile(r"^MIMAT\d+$")
_MISSING = {"", "'--", "--", "na", "nan", "null", "none", "not reported", "unknown", "not applicable"}
_INT32_MAX = np.iinfo(np.int32).max


class _Unreadable(Exception):
    """A file that cannot be read (damaged, truncated, empty): dropped, the next one is tried."""


# --- the sample sheet ---------------------------------------------------------------------------


def read_sample_sheet(path: str | Path) -> pd.DataFrame:
    """Read a GDC sample sheet (TSV from the portal's cart) and normalise it.

    Returns the table of :func:`normalise_sample_sheet`.

    Raises
    ------
    InputDataError
        The file is missing, not a table, or lacks the columns ``File ID``, ``File Name``,
        ``Data Type``, ``Case ID``, ``Sample ID`` (the message names the file and the fix).
    """
    from mirmodules.inputs.io import read_table

    frame = read_table(path, what="GDC sample sheet", dtype=str)
    return normalise_sample_sheet(frame, source=str(path))


def normalise_sample_sheet(frame: pd.DataFrame, *, source: str = "sample sheet") -> pd.DataFrame:
    """Columns of the GDC sample sheet renamed (``file_id``, ``file_name``, ``data_type``,
    ``case_id``, ``sample_id``, ``sample_type``, ``project_id``, ``data_category``, ``md5`` when
    known) plus ``modality`` (``mrna``, ``mirna_isoform``, ``mirna_precursor`` or empty),
    ``type_code`` and ``vial`` (from the barcode, else from ``Sample Type``).

    >>> sheet = pd.DataFrame({"File ID": ["f1"], "File Name": ["a.tsv"],
    ...     "Data Type": ["Gene Expression Quantification"], "Case ID": ["TCGA-AA-0001"],
    ...     "Sample ID": ["TCGA-AA-0001-11A"], "Sample Type": ["Solid Tissue Normal"]})
    >>> normalise_sample_sheet(sheet)[["modality", "type_code", "vial"]].values.tolist()
    [['mrna', '11', 'A']]
    """
    columns = {str(c).strip(): c for c in frame.columns}
    missing = [c for c in REQUIRED_SHEET_COLUMNS if c not in columns]
    if missing:
        lower = {c.lower() for c in columns}
        hint = ("it looks like a gdc-client manifest (id, filename, md5): give the portal's *sample "
                "sheet* instead (cart -> Sample Sheet)" if {"id", "filename", "md5"} <= lower else
                "download the sample sheet from the GDC portal's cart (Sample Sheet button) for the same "
                "files")
        msg = (f"{source}: not a GDC sample sheet: column(s) {missing} missing (found "
               f"{list(columns)[:8]}); {hint}. Needed: {list(REQUIRED_SHEET_COLUMNS)}.")
        raise InputDataError(msg)
    out = pd.DataFrame({new: frame[columns[old]] if old in columns else "" for old, new in
                        SHEET_COLUMNS.items()})
    for name in ("md5sum", "md5", "MD5"):
        if name in columns:
            out["md5"] = frame[columns[name]]
            break
    out = out.fillna("").astype(str).apply(lambda s: s.str.strip())
    if out.empty:
        msg = f"{source}: the sample sheet lists no files."
        raise InputDataError(msg)
    empty = out["file_id"].eq("") | out["file_name"].eq("")
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0]) + 2
        msg = f"{source}: line {row} has no File ID or File Name; every row names one downloaded file."
        raise InputDataError(msg)
    dup = out["file_id"].duplicated()
    if dup.any():
        msg = (f"{source}: File ID {out.loc[dup, 'file_id'].iloc[0]!r} is listed twice; give each file "
               "once (merge the sample sheets without repeating rows).")
        raise InputDataError(msg)
    out["modality"] = out["data_type"].map(DATA_TYPES).fillna("")
    codes = [sample_type_code(s, t) for s, t in zip(out["sample_id"], out["sample_type"], strict=True)]
    out["type_code"] = [c for c, _ in codes]
    out["vial"] = [v for _, v in codes]
    return out.reset_index(drop=True)


def sample_type_code(sample_id: str, sample_type: str = "") -> tuple[str, str]:
    """``(type code, vial letter)`` of a sample: from the barcode (``TCGA-XX-XXXX-01A``), else from
    the GDC's sample type words (vial empty); ``("", "")`` when neither tells.

    >>> sample_type_code("TCGA-02-0001-01C")
    ('01', 'C')
    >>> sample_type_code("CPT0001", "Solid Tissue Normal")
    ('11', '')
    """
    hit = _BARCODE.match(sample_id.strip())
    if hit:
        return hit.group("code"), hit.group("vial")
    return _TYPE_WORDS.get(sample_type.strip().lower(), ""), ""


# --- planning: which file of which sample of which patient --------------------------------------


@dataclass(frozen=True)
class _SamplePlan:
    sample_id: str
    mrna: tuple[int, ...]   # row positions in the sheet, in the order they are tried
    mirna: tuple[int, ...]


@dataclass(frozen=True)
class _PatientPlan:
    case_id: str
    samples: tuple[_SamplePlan, ...]  # samples with both kinds of file, best first


@dataclass(frozen=True)
class _Plan:
    patients: tuple[_PatientPlan, ...]
    level: str  # "mature" (isoform files) or "precursor" (mirnas.quantification files)
    fates: dict[int, tuple[str, str]]  # row -> (reason, detail) for rows decided before reading
    precursor_only_samples: int


def _plan(sheet: pd.DataFrame, sample_types: Sequence[str]) -> _Plan:
    order = {code: i for i, code in enumerate(sample_types)}
    fates: dict[int, tuple[str, str]] = {}
    candidates: list[int] = []
    wanted = ",".join(sample_types)
    for i, row in enumerate(sheet.itertuples(index=False)):  # rows numbered 0..n-1 (assemble_cohort)
        if not row.modality:
            fates[i] = ("data_type", f"data type {row.data_type!r} is not used (mirmodules reads STAR gene "
                        "counts and miRNA isoform or precursor quantification files)")
        elif "," in row.sample_id or "," in row.case_id:
            fates[i] = ("several_samples", f"the file belongs to several samples ({row.sample_id})")
        elif not row.type_code:
            fates[i] = ("unknown_sample_type", f"the sample type of {row.sample_id!r} ({row.sample_type!r}) "
                        "is not known: not a GDC sample barcode or sample type")
        elif row.type_code not in order:
            name = SAMPLE_TYPE_CODES.get(row.type_code, row.sample_type or "unknown")
            fates[i] = ("sample_type", f"sample type {row.type_code} ({name}) is not among the sample types "
                        f"used ({wanted}; primary tumour by default, see --sample-types)")
        else:
            candidates.append(i)
    modality = sheet["modality"].tolist()
    level = "mature" if any(modality[i] == "mirna_isoform" for i in candidates) else "precursor"
    mirna_kind = "mirna_isoform" if level == "mature" else "mirna_precursor"
    case_of, sample_of, file_of = (sheet[c].tolist() for c in ("case_id", "sample_id", "file_id"))
    type_of, vial_of = sheet["type_code"].tolist(), sheet["vial"].tolist()
    by_case: dict[str, dict[str, list[int]]] = {}
    for i in sorted(candidates, key=lambda i: (case_of[i], sample_of[i], file_of[i])):
        by_case.setdefault(case_of[i], {}).setdefault(sample_of[i], []).append(i)
    patients: list[_PatientPlan] = []
    precursor_only = 0
    for case_id, samples in by_case.items():
        complete: list[tuple[tuple[int, str, str], _SamplePlan]] = []
        for sample_id, rows in samples.items():
            mrna = tuple(i for i in rows if modality[i] == "mrna")
            mirna = tuple(i for i in rows if modality[i] == mirna_kind)
            precursor = [i for i in rows if modality[i] == "mirna_precursor"]
            if level == "mature":
                for i in precursor:
                    fates[i] = ("precursor_level", "precursor-level miRNA file (mirnas.quantification.txt); "
                                "the cohort uses isoform files (mature miRNAs)"
                                + (" and this sample has one" if mirna else ""))
            if mrna and mirna:
                vial = vial_of[rows[0]] or "~"  # an unknown vial sorts after the lettered ones
                rank = (order[type_of[rows[0]]], vial, sample_id)
                complete.append((rank, _SamplePlan(sample_id, mrna, mirna)))
                continue
            only_precursor = level == "mature" and not mirna and bool(precursor)
            precursor_only += bool(mrna and only_precursor)
            for i in (*mrna, *mirna):
                other = "miRNA isoform" if i in mrna else "mRNA (STAR counts)"
                extra = (" (only a precursor-level miRNA file, which cannot be split into mature "
                         "miRNAs)" if only_precursor and i in mrna else "")
                fates[i] = ("missing_modality", f"sample {sample_id} has no {other} file{extra}")
        complete.sort(key=lambda kv: kv[0])
        patients.append(_PatientPlan(case_id, tuple(s for _, s in complete)))
    return _Plan(tuple(p for p in patients if p.samples), level, fates, precursor_only)


# --- reading one file ---------------------------------------------------------------------------


def _decompress(raw: bytes, name: str) -> bytes:
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise _Unreadable(f"damaged gzip file ({exc})") from exc


def _lines_head(data: bytes, n: int) -> list[str]:
    lines = data[:65536].split(b"\n", n)[:n]
    return [line.decode("utf-8", "replace").rstrip("\r") for line in lines]


@dataclass(frozen=True)
class StarCounts:
    """One STAR gene-count file: ``genes`` (``gene_id``, ``gene_name``, ``gene_type``,
    ``unstranded``; summary rows removed), ``summary`` (the ``N_*`` rows' unstranded counts) and
    ``gene_model`` (the comment line, e.g. ``GENCODE v36``; empty without one)."""

    genes: pd.DataFrame
    summary: dict[str, int]
    gene_model: str


def read_star_counts(data: bytes, *, name: str = "STAR counts") -> StarCounts:
    """Parse a GDC STAR "augmented gene counts" file (bytes, gzipped or not).

    Raises
    ------
    InputDataError
        The header is not the STAR header (another kind of file under this name).
    """
    try:
        return _read_star(_decompress(data, name), name)
    except _Unreadable as exc:
        msg = f"{name}: {exc}"
        raise InputDataError(msg) from exc


def _read_star(data: bytes, name: str) -> StarCounts:
    if not data.strip():
        raise _Unreadable("empty file")
    first, second = [*_lines_head(data, 2), "", ""][:2]
    comment = first.startswith("#")
    header = (second if comment else first).split("\t")
    gene_model = first.lstrip("#").strip().removeprefix("gene-model:").strip() if comment else ""
    if tuple(h.strip() for h in header) != STAR_COLUMNS:
        msg = (f"{name}: not a GDC STAR gene-count file: its header is {header[:5]}..., expected "
               f"{list(STAR_COLUMNS)} (after a '# gene-model: ...' line). The sample sheet lists it as "
               "'Gene Expression Quantification'; check that the sample sheet and the files belong "
               "together (workflow 'STAR - Counts').")
        raise InputDataError(msg)
    try:
        frame = pd.read_csv(io.BytesIO(data), sep="\t", skiprows=1 if comment else 0, usecols=[0, 1, 2, 3],
                            dtype=str, keep_default_na=False, engine="c")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise _Unreadable(f"cannot be parsed ({str(exc).strip()[:120]})") from exc
    counts = pd.to_numeric(frame["unstranded"], errors="coerce")
    bad = counts.isna() | (counts < 0) | (counts % 1 != 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise _Unreadable(f"unstranded count {frame['unstranded'].iloc[row]!r} of "
                          f"{frame['gene_id'].iloc[row]!r} is not a whole number (truncated or damaged "
                          "file?)")
    summary_mask = frame["gene_id"].isin(STAR_SUMMARY_ROWS)
    summary = {g: int(c) for g, c in zip(frame.loc[summary_mask, "gene_id"], counts[summary_mask],
                                         strict=True)}
    genes = frame.loc[~summary_mask].assign(unstranded=counts[~summary_mask].astype(np.int64))
    if genes.empty:
        raise _Unreadable("no gene rows")
    return StarCounts(genes.reset_index(drop=True), summary, gene_model)


@dataclass
class _StarLayout:
    """The first STAR file's genes and byte layout, for reading the next files fast.

    Every line of a STAR file starts with ``gene_id<TAB>gene_name<TAB>gene_type<TAB>`` (its
    prefix), which files of one GDC release share byte for byte; only the counts after it differ.
    The fast path finds the lines, checks every kept line's whole prefix and reads the count.
    """

    head: bytes            # comment and header lines, byte for byte
    gene_model: str
    genes: pd.DataFrame    # gene_id, gene_name, gene_type of every gene row
    keep: np.ndarray       # positions (in genes) of the genes kept
    n_lines: int           # body lines (summary rows included)
    body_offset: int       # body line of the first gene row
    fast: bool = False
    prefixes: list[bytes] = field(default_factory=list)  # per kept line
    pre_len: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _layout(data: bytes, star: StarCounts, keep: np.ndarray) -> _StarLayout:
    lines = data.split(b"\n", 2)
    comment = data.startswith(b"#")
    head = b"\n".join(lines[:2 if comment else 1]) + b"\n"
    n_summary = len(star.summary)
    genes = star.genes
    layout = _StarLayout(head, star.gene_model, genes[["gene_id", "gene_name", "gene_type"]], keep,
                         n_summary + len(genes), n_summary)
    if not data.endswith(b"\n") or b"\r" in data[:4096] or not len(keep):
        return layout
    layout.prefixes = [f"{i}\t{n}\t{t}\t".encode() for i, n, t in
                       zip(genes["gene_id"].to_numpy()[keep], genes["gene_name"].to_numpy()[keep],
                           genes["gene_type"].to_numpy()[keep], strict=True)]
    layout.pre_len = np.fromiter(map(len, layout.prefixes), np.int64, len(keep))
    layout.fast = True
    values = _fast_star(data, layout)
    layout.fast = values is not None and np.array_equal(values, genes["unstranded"].to_numpy()[keep])
    return layout


def _fast_star(data: bytes, layout: _StarLayout) -> np.ndarray | None:
    """The kept genes' unstranded counts when ``data`` has ``layout`` (the same head, the same
    number of lines, every kept line's prefix byte for byte), else ``None``."""
    if not layout.fast or not data.startswith(layout.head) or not data.endswith(b"\n"):
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    head_lines = layout.head.count(b"\n")
    if newlines.size != head_lines + layout.n_lines:
        return None
    start = (newlines[head_lines - 1:-1] + 1)[layout.keep + layout.body_offset]
    # bytes.startswith in C, once per kept line: gene id, name, type and the three tabs
    if not all(map(data.startswith, layout.prefixes, start.tolist())):
        return None
    field = start + layout.pre_len
    value = np.zeros(field.size, np.int64)
    width = np.zeros(field.size, np.int32)
    active = np.ones(field.size, bool)
    last = buf.size - 1
    for k in range(19):  # the count: up to 18 digits (int64), then a tab
        digit = buf[np.minimum(field + k, last)].astype(np.int64) - 48
        active &= (digit >= 0) & (digit <= 9)
        if not active.any():
            break
        value = np.where(active, value * 10 + digit, value)
        width += active
    if (width == 0).any() or active.any() or (buf[np.minimum(field + width, last)] != 9).any():
        return None
    return value


def read_isoform_counts(data: bytes, *, name: str = "isoform file") -> tuple[pd.Series, dict[str, int]]:
    """Mature miRNA read counts of a GDC isoform quantification file (bytes, gzipped or not).

    Returns the reads summed per ``MIMAT`` accession over the ``mature,MIMAT...`` rows, and the
    reads per region type (``mature``, ``star``, ``precursor``, ``stemloop``, ``unannotated``,
    ``other``).

    Raises
    ------
    InputDataError
        The header is not an isoform quantification header.
    """
    return _read_or_refuse(_read_isoforms, data, name)


def _table_header_check(data: bytes, name: str, expected: tuple[str, ...], kind: str, data_type: str) -> None:
    if not data.strip():
        raise _Unreadable("empty file")
    header = tuple(h.strip() for h in _lines_head(data, 1)[0].split("\t"))
    if header == expected:
        return
    other = {ISOFORM_COLUMNS: "an isoform quantification file", PRECURSOR_COLUMNS:
             "a precursor-level miRNA quantification file", STAR_COLUMNS[:1]: "a STAR gene-count file"}
    what = next((w for cols, w in other.items() if header[:len(cols)] == cols), None)
    seen = f"it is {what}" if what else f"its header is {list(header[:6])}"
    msg = (f"{name}: not {kind}: {seen}; expected the columns {list(expected)}. The sample sheet lists it "
           f"as {data_type!r}; check that the sample sheet and the files belong together.")
    raise InputDataError(msg)


def _rows(data: bytes, n_columns: int) -> list[list[bytes]]:
    """The data lines of a small tab-separated file (header skipped), each split into its fields."""
    lines = data.split(b"\n")[1:]
    rows = [line.rstrip(b"\r").split(b"\t") for line in lines if line.strip()]
    for number, row in enumerate(rows):
        if len(row) != n_columns:
            raise _Unreadable(f"data line {number + 1} has {len(row)} fields, not {n_columns} (truncated or "
                              "damaged file?)")
    return rows


def _count(value: bytes, number: int) -> int:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise _Unreadable(f"read_count {value.decode(errors='replace')!r} on data line {number + 1} is not a "
                          "whole number (truncated or damaged file?)")
    return count


def _uint_fields(buf: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray | None:
    """The whole numbers in ``buf[start:end]`` (each 1-18 digits), or ``None`` if one is not."""
    width = end - start
    if not width.size or width.min() < 1 or width.max() > 18:
        return None if width.size else np.zeros(0, np.int64)
    value = np.zeros(width.size, np.int64)
    for k in range(int(width.max())):
        inside = k < width
        digit = buf[np.where(inside, start + k, 0)].astype(np.int64) - 48
        if ((digit < 0) | (digit > 9))[inside].any():
            return None
        value = np.where(inside, value * 10 + digit, value)
    return value


def _fast_isoforms(data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct miRNA_region values (bytes) and their reads of a well-formed isoform file (every
    line six fields, whole read counts), vectorised; ``None`` for anything else (the line-by-line
    reader then says what is wrong)."""
    if not data.endswith(b"\n") or b"\r" in data:
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    n = newlines.size - 1
    if n < 1:
        return (np.zeros(0, "S1"), np.zeros(0, np.int64)) if n == 0 else None
    tabs = np.flatnonzero(buf[newlines[0]:] == 9) + newlines[0]
    if tabs.size != 5 * n:
        return None
    tabs = tabs.reshape(n, 5)
    if (tabs[:, 0] <= newlines[:-1]).any() or (tabs[:, 4] >= newlines[1:]).any():
        return None  # a line with more or fewer fields than six
    counts = _uint_fields(buf, tabs[:, 1] + 1, tabs[:, 2])
    start, width = tabs[:, 4] + 1, newlines[1:] - tabs[:, 4] - 1
    if counts is None or width.max() > 64:
        return None
    wide = int(max(width.max(), 1))
    columns = np.arange(wide)
    cells = np.where(columns < width[:, None], buf[np.minimum(start[:, None] + columns, buf.size - 1)], 0)
    regions, where = np.unique(np.ascontiguousarray(cells, dtype=np.uint8).view(f"S{wide}").ravel(),
                               return_inverse=True)
    sums = np.bincount(where.ravel(), weights=counts, minlength=regions.size)
    if sums.max(initial=0) >= 2**53:
        return None
    return regions, sums.astype(np.int64)


def _read_isoforms(data: bytes, name: str) -> tuple[pd.Series, dict[str, int]]:
    _table_header_check(data, name, ISOFORM_COLUMNS, "a miRNA isoform quantification file",
                        "Isoform Expression Quantification")
    fast = _fast_isoforms(data)
    if fast is None:
        by_region: dict[bytes, int] = {}
        for number, row in enumerate(_rows(data, len(ISOFORM_COLUMNS))):
            by_region[row[5]] = by_region.get(row[5], 0) + _count(row[2], number)
        fast = (np.array(list(by_region), dtype=bytes), np.array(list(by_region.values()), dtype=np.int64))
    regions, sums = fast
    regions = np.strings.strip(regions) if regions.size else regions
    accession = np.strings.slice(regions, 7, None)
    mature = (np.strings.startswith(regions, b"mature,MIMAT")
              & np.strings.isdigit(np.strings.slice(accession, 5, None)))
    totals = {"mature": int(sums[mature].sum())} if mature.any() else {}
    unknown = []
    for region, total in zip(regions[~mature].tolist(), sums[~mature].tolist(), strict=True):
        text = region.decode("utf-8", "replace")
        kind = text.partition(",")[0].strip()  # the few other kinds
        if kind not in MIRNA_REGIONS or kind == "mature":
            unknown.append(text)
            kind = "other"
        totals[kind] = totals.get(kind, 0) + total
    if unknown:  # a file cut inside its last field, or not the GDC's format: its counts are not trusted
        raise _Unreadable(f"miRNA_region value(s) the GDC does not write: {sorted(unknown)[:3]} (a file cut "
                          "short, or another format)")
    if not mature.any() or int(sums[mature].sum()) == 0:
        raise _Unreadable("no read on a mature miRNA (mature,MIMAT... rows)")
    reads = pd.Series(sums[mature], index=accession[mature].astype(str))
    return (reads.groupby(level=0).sum() if reads.index.has_duplicates else reads.sort_index()), totals


def _read_or_refuse(reader: Callable[[bytes, str], Any], data: bytes, name: str) -> Any:
    """``reader`` on the (decompressed) file; a file it cannot read is an :class:`InputDataError`."""
    try:
        return reader(_decompress(data, name), name)
    except _Unreadable as exc:
        msg = f"{name}: {exc}"
        raise InputDataError(msg) from exc


def read_precursor_counts(data: bytes, *, name: str = "miRNA file") -> pd.Series:
    """Read counts per precursor (``miRNA_ID``) of a GDC ``mirnas.quantification.txt`` file.

    Raises
    ------
    InputDataError
        The header is not a miRNA quantification header.
    """
    return _read_or_refuse(_read_precursors, data, name)


def _read_precursors(data: bytes, name: str) -> pd.Series:
    _table_header_check(data, name, PRECURSOR_COLUMNS, "a miRNA (precursor-level) quantification file",
                        "miRNA Expression Quantification")
    reads: dict[str, int] = {}
    for number, row in enumerate(_rows(data, len(PRECURSOR_COLUMNS))):
        key = row[0].decode("utf-8", "replace").strip()
        reads[key] = reads.get(key, 0) + _count(row[1], number)
    keys = sorted(reads)
    return pd.Series([reads[k] for k in keys], index=keys, dtype=np.int64)


# --- clinical data ------------------------------------------------------------------------------


def _number(value: Any) -> float:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    text = str(value).strip()
    if text.lower() in _MISSING:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return np.nan


def _vital(values: Iterable[Any]) -> str:
    seen = {str(v).strip().lower() for v in values if v is not None}
    return "Dead" if "dead" in seen else "Alive" if "alive" in seen else ""


def _case_table(records: Iterable[tuple[str, Any, Any, Any]], source: str) -> pd.DataFrame:
    """(case, vital status, days to death, days to last follow-up) records -> one row per case."""
    rows: dict[str, dict[str, Any]] = {}
    for case, vital, death, follow in records:
        case = str(case).strip()
        if not case or case.lower() in _MISSING:
            continue
        entry = rows.setdefault(case, {"vital": [], "death": [], "follow": []})
        entry["vital"].append(vital)
        entry["death"].append(_number(death))
        entry["follow"].append(_number(follow))
    if not rows:
        msg = (f"{source}: no case with a submitter id; expected the GDC's clinical table "
               "(case_submitter_id, vital_status, days_to_death, days_to_last_follow_up) or the cases "
               "endpoint's JSON.")
        raise InputDataError(msg)

    def largest(values: list[float]) -> float:
        finite = [v for v in values if not np.isnan(v)]
        return max(finite) if finite else np.nan

    return pd.DataFrame(
        [(case, _vital(e["vital"]), largest(e["death"]), largest(e["follow"])) for case, e in rows.items()],
        columns=["case_id", "vital_status", "days_to_death", "days_to_last_follow_up"],
    ).sort_values("case_id").reset_index(drop=True)


def clinical_from_cases(cases: Iterable[Mapping[str, Any]], *, source: str = "GDC cases") -> pd.DataFrame:
    """Case records of the GDC ``/cases`` endpoint (``submitter_id``, ``demographic.vital_status``,
    ``demographic.days_to_death``, ``diagnoses[].days_to_last_follow_up``) -> one row per case:
    ``case_id``, ``vital_status``, ``days_to_death``, ``days_to_last_follow_up``.

    >>> table = clinical_from_cases([{"submitter_id": "TCGA-AA-0001", "demographic": {
    ...     "vital_status": "Dead", "days_to_death": 120}, "diagnoses": [{"days_to_last_follow_up": None}]}])
    >>> row = table.iloc[0]
    >>> row["case_id"], row["vital_status"], float(row["days_to_death"]), bool(table.isna().any().any())
    ('TCGA-AA-0001', 'Dead', 120.0, True)
    """
    records: list[tuple[str, Any, Any, Any]] = []
    for case in cases:
        if not isinstance(case, Mapping):
            continue
        demo = case.get("demographic") or {}
        if isinstance(demo, list):  # older API versions gave a list
            demo = demo[0] if demo else {}
        follow = [d.get("days_to_last_follow_up") for d in case.get("diagnoses") or []
                  if isinstance(d, Mapping)]
        follow += [d.get("days_to_follow_up") for d in case.get("follow_ups") or []
                   if isinstance(d, Mapping)]
        case_id = case.get("submitter_id") or case.get("case_submitter_id") or ""
        for value in follow or [None]:
            records.append((case_id, demo.get("vital_status"), demo.get("days_to_death"), value))
    return _case_table(records, source)


def read_gdc_clinical(path: str | Path) -> pd.DataFrame:
    """Read GDC clinical data: the portal's ``clinical.tsv`` (``case_submitter_id``, ``vital_status``,
    ``days_to_death``, ``days_to_last_follow_up``, ``'--`` for missing; newer downloads prefix them:
    ``cases.submitter_id``, ``demographic.vital_status``...) or a JSON list of cases (the portal's
    JSON export or a ``/cases`` response). One row per case, as :func:`clinical_from_cases`.

    Raises
    ------
    InputDataError
        Not readable, or without the needed columns (the message lists them).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"Clinical file {path} not found; give the GDC clinical.tsv (or its JSON) with --clinical."
        raise InputDataError(msg)
    raw = path.read_bytes()
    try:
        raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as exc:
        msg = f"Clinical file {path}: damaged gzip file ({exc})."
        raise InputDataError(msg) from exc
    text = raw.decode("utf-8-sig", "replace")
    if text.lstrip().startswith(("[", "{")):
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"Clinical file {path}: not valid JSON ({exc})."
            raise InputDataError(msg) from exc
        if isinstance(record, dict):
            record = (record.get("data") or {}).get("hits", []) if "data" in record else [record]
        return clinical_from_cases(record, source=str(path))
    try:
        frame = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"Clinical file {path}: not a tab-separated table ({str(exc).strip()[:120]})."
        raise InputDataError(msg) from exc
    cols = {c.strip(): c for c in frame.columns}

    def pick(*names: str) -> str | None:
        return next((cols[n] for n in names if n in cols), None)

    wanted = {"case_submitter_id": ("case_submitter_id", "cases.submitter_id", "submitter_id"),
              "vital_status": ("vital_status", "demographic.vital_status"),
              "days_to_death": ("days_to_death", "demographic.days_to_death"),
              "days_to_last_follow_up": ("days_to_last_follow_up", "diagnoses.days_to_last_follow_up")}
    found = {key: pick(*names) for key, names in wanted.items()}
    missing = [key for key, column in found.items() if column is None]
    if missing:
        msg = (f"Clinical file {path} lacks {missing} (found {list(cols)[:8]}); give the clinical.tsv of the "
               "GDC portal's clinical download (or the cases endpoint's JSON).")
        raise InputDataError(msg)
    case, vital, death, follow = (frame[str(found[key])] for key in wanted)
    records = list(zip(case, vital, death, follow, strict=True))
    extra = pick("follow_ups.days_to_follow_up")
    if extra:
        records += list(zip(case, vital, death, frame[extra], strict=True))
    return _case_table(records, str(path))


def survival_table(clinical: pd.DataFrame, samples: Mapping[str, str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """``sample``, ``os_time_days``, ``os_event`` for each ``sample -> case`` of ``samples`` (rule in
    the module docstring), and counts of what was unknown.

    >>> clin = pd.DataFrame({"case_id": ["P1", "P2"], "vital_status": ["Dead", "Alive"],
    ...                      "days_to_death": [100.0, np.nan], "days_to_last_follow_up": [50.0, 300.0]})
    >>> table, _ = survival_table(clin, {"P1-01A": "P1", "P2-01A": "P2"})
    >>> table.values.tolist()
    [['P1-01A', 100, 1], ['P2-01A', 300, 0]]
    """
    by_case = clinical.set_index("case_id")
    rows = []
    counts = {"samples": len(samples), "without_clinical": 0, "unknown_vital_status": 0,
              "dead_without_days_to_death": 0, "alive_without_follow_up": 0, "negative_time": 0}
    for sample, case in sorted(samples.items()):
        if case not in by_case.index:
            counts["without_clinical"] += 1
            rows.append((sample, np.nan, np.nan))
            continue
        entry = by_case.loc[case]
        if entry["vital_status"] == "Dead":
            time_, event = entry["days_to_death"], 1.0
            counts["dead_without_days_to_death"] += bool(np.isnan(time_))
        elif entry["vital_status"] == "Alive":
            time_, event = entry["days_to_last_follow_up"], 0.0
            counts["alive_without_follow_up"] += bool(np.isnan(time_))
        else:
            time_, event = np.nan, np.nan
            counts["unknown_vital_status"] += 1
        if time_ < 0:
            counts["negative_time"] += 1
            time_ = np.nan
        rows.append((sample, time_, event))
    table = pd.DataFrame(rows, columns=["sample", "os_time_days", "os_event"])
    times = table["os_time_days"]
    whole = times.dropna().mod(1).eq(0).all()
    table["os_time_days"] = times.round().astype("Int64") if whole else times
    table["os_event"] = table["os_event"].astype("Int64")
    return table, counts


# --- assembly -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GdcCohort:
    """A cohort assembled from GDC files (see the module docstring for the rules).

    Attributes
    ----------
    mrna
        Gene symbol x sample read counts (int32).
    mirna
        Mature miRNA accession (or, at precursor level, precursor name) x sample read counts.
    gene_map
        ``gene_id`` (Ensembl, versioned), ``symbol``, ``gene_type``, ``kept`` (type kept),
        ``ids_in_row`` (Ensembl ids summed into the symbol's row).
    clinical
        ``sample``, ``os_time_days``, ``os_event``, or ``None`` without clinical data.
    samples
        One row per sample sheet file: ``file_id``, ``file_name``, ``data_type``, ``case_id``,
        ``sample_id``, ``sample_type_code``, ``sample_type``, ``status`` (``kept``/``dropped``),
        ``reason`` (a code), ``detail``, ``md5`` (of the file read; empty when not read).
    mirna_level
        ``mature`` (isoform files) or ``precursor``.
    gene_model
        The STAR files' gene model (``GENCODE v36``).
    counts, rules, parameters, warnings
        What went into ``manifest.json``.
    """

    mrna: pd.DataFrame
    mirna: pd.DataFrame
    gene_map: pd.DataFrame
    clinical: pd.DataFrame | None
    samples: pd.DataFrame
    mirna_level: str
    gene_model: str
    counts: dict[str, Any]
    rules: dict[str, str]
    parameters: dict[str, Any]
    warnings: tuple[str, ...] = ()


RULES = {
    "sample_types": "only files of the sample types given (default 01 primary solid tumour, 03 and 09 "
                    "primary blood-derived cancer) are used",
    "sample_choice": "one sample per patient: among the samples with both an mRNA and a miRNA file, the "
                     "first by the order of the sample types, then the lowest vial letter, then the sample "
                     "barcode",
    "aliquot_choice": "several files of one kind for one sample: the lowest GDC file id is kept; an "
                      "unreadable file is dropped and the next one tried",
    "duplicate_symbols": "rows sharing a gene symbol are summed (read counts); gene_map.tsv lists the "
                         "Ensembl ids of each symbol",
    "mirna": "isoform rows with miRNA_region 'mature,MIMAT...' are summed per accession (cross-mapped reads "
             "included); star, precursor, stemloop and unannotated reads are left out; precursor-level files "
             "are used only when no sample has an isoform file",
    "survival": "os_event 1 if vital_status is Dead, 0 if Alive; os_time_days is days_to_death when dead, "
                "else the largest days_to_last_follow_up; unknown or negative values are NA",
}


def _gene_type_filter(gene_types: str, present: Iterable[str]) -> set[str] | None:
    wanted = [t.strip() for t in gene_types.split(",") if t.strip()]
    if not wanted:
        msg = "--gene-types is empty; give 'protein_coding' (the default), 'all', or a comma-separated list."
        raise InputDataError(msg)
    if wanted == ["all"]:
        return None
    known = set(present)
    unknown = [t for t in wanted if t not in known]
    if unknown:
        msg = (f"--gene-types {gene_types}: {unknown} is not a gene type of the STAR files; they have "
               f"{sorted(known)[:12]}{' ...' if len(known) > 12 else ''} (or give 'all').")
        raise InputDataError(msg)
    return set(wanted)


def assemble_cohort(
    sheet: pd.DataFrame,
    locate: Callable[[str, str], Path],
    *,
    gene_types: str = "protein_coding",
    sample_types: Sequence[str] = DEFAULT_SAMPLE_TYPES,
    clinical: pd.DataFrame | None = None,
    max_files: int | None = None,
    progress: bool = False,
) -> GdcCohort:
    """Assemble matched miRNA/mRNA count matrices from GDC files (rules: module docstring).

    Parameters
    ----------
    sheet
        A sample sheet from :func:`read_sample_sheet` / :func:`normalise_sample_sheet`; an ``md5``
        column, when present, is checked against every file read.
    locate
        ``(file_id, file_name) -> path`` of a file (:func:`locate_in_folder`, or a downloader).
    gene_types
        ``protein_coding`` (default), ``all``, or a comma-separated list of GENCODE gene types.
    sample_types
        Sample type codes used, in the order a patient's samples are preferred.
    clinical
        Per-case clinical table (:func:`read_gdc_clinical`, :func:`clinical_from_cases`).
    max_files
        Read at most this many files (whole patients, in the order of their barcodes).
    progress
        Show progress (a bar in a terminal, log lines elsewhere).

    Raises
    ------
    InputDataError
        A file that is of another kind than the sheet says, STAR files of different gene models, a
        checksum mismatch, or no patient with both kinds of file.
    """
    from mirmodules._progress import Progress

    start_time = time.perf_counter()
    types = tuple(str(t).strip().zfill(2) for t in sample_types if str(t).strip())
    if not types or not all(t.isdigit() and len(t) == 2 for t in types):
        msg = (f"--sample-types {','.join(map(str, sample_types))}: give two-digit GDC sample type codes, "
               "e.g. 01,06.")
        raise InputDataError(msg)
    if max_files is not None and max_files < 2:
        msg = f"--max-files must be at least 2 (one mRNA and one miRNA file); got {max_files}."
        raise InputDataError(msg)
    sheet = sheet.reset_index(drop=True)
    plan = _plan(sheet, types)
    fates: dict[int, tuple[str, str, str]] = {r: ("dropped", *f) for r, f in plan.fates.items()}
    if not plan.patients:
        reasons = pd.Series([f[1] for f in fates.values()]).value_counts().to_dict()
        kind = "isoform" if plan.level == "mature" else "precursor"
        msg = (f"No patient has both an mRNA (STAR counts) and a miRNA ({kind}) file among the {len(sheet)} "
               f"files of the sample sheet (files set aside by reason: {reasons}); add the missing data type "
               "to the cart or check --sample-types.")
        raise InputDataError(msg)
    md5s: dict[int, str] = {}
    has_md5 = "md5" in sheet.columns
    unreadable: list[str] = []
    layout: _StarLayout | None = None
    keep_types: set[str] | None = None
    mrna_columns: np.ndarray | None = None
    mirna_codes: dict[str, int] = {}
    mirna_values: list[tuple[np.ndarray, np.ndarray]] = []
    regions: dict[str, int] = dict.fromkeys((*MIRNA_REGIONS, "other"), 0)
    kept: list[tuple[str, str]] = []  # (sample, case)
    files_read = 0
    bar = Progress("assembling", len(plan.patients), "patients", enabled=progress, logger=logger)

    file_ids, file_names = sheet["file_id"].tolist(), sheet["file_name"].tolist()
    expected_md5 = sheet["md5"].str.lower().tolist() if has_md5 else [""] * len(sheet)

    def name_of(row: int) -> str:
        return f"{file_names[row]} (file id {file_ids[row]})"

    def load(row: int) -> bytes:
        nonlocal files_read
        files_read += 1
        path = locate(file_ids[row], file_names[row])
        raw = path.read_bytes()  # one file at a time; a thread reading ahead was slower on a busy machine
        md5 = md5s[row] = hashlib.md5(raw).hexdigest()
        expected = expected_md5[row]
        same_form = path.name.endswith(".gz") == file_names[row].endswith(".gz")
        if expected and same_form and md5 != expected:
            msg = (f"{path}: MD5 {md5} differs from the GDC's {expected} for {name_of(row)}; the file "
                   "changed after download or is damaged. Delete it and download it again.")
            raise InputDataError(msg)
        return _decompress(raw, name_of(row))

    first_star = ""

    def read_mrna(row: int) -> np.ndarray:
        nonlocal layout, keep_types, first_star
        data = load(row)
        if layout is not None:
            values = _fast_star(data, layout)
            if values is not None:
                return values
        star = _read_star(data, name_of(row))
        if layout is None:
            keep_types = _gene_type_filter(gene_types, star.genes["gene_type"].unique())
            gtypes = star.genes["gene_type"]
            keep = np.flatnonzero(gtypes.isin(keep_types).to_numpy() if keep_types is not None
                                  else np.ones(len(gtypes), bool))
            layout = _layout(data, star, keep)
            first_star = name_of(row)
            return star.genes["unstranded"].to_numpy()[keep]
        if star.gene_model and layout.gene_model and star.gene_model != layout.gene_model:
            msg = (f"{name_of(row)}: gene model {star.gene_model!r}, while the first STAR file "
                   f"({first_star}) has {layout.gene_model!r}; all files must come from one GDC data "
                   "release. Download them again together.")
            raise InputDataError(msg)
        ours, first = star.genes["gene_id"].to_numpy(), layout.genes["gene_id"].to_numpy()
        if np.array_equal(ours, first):  # same genes, other bytes (names, line ends): careful read
            return star.genes["unstranded"].to_numpy()[layout.keep]
        if len(ours) == len(first) and set(ours) == set(first):  # same genes in another order
            return star.genes.set_index("gene_id")["unstranded"].reindex(first).to_numpy()[layout.keep]
        if len(ours) < len(first) and np.array_equal(ours, first[:len(ours)]):
            raise _Unreadable(f"truncated: {len(ours)} of {len(first)} genes")
        culprit = (f" (or the first one, {first_star}, is truncated)"
                   if len(ours) > len(first) and np.array_equal(ours[:len(first)], first) else "")
        models = (star.gene_model or "not given", layout.gene_model or "not given")
        msg = (f"{name_of(row)}: its genes ({len(ours)}, gene model {models[0]!r}) differ from those of the "
               f"first STAR file ({len(first)}, {models[1]!r}){culprit}; all files must come from one GDC "
               "data release. Download them again together.")
        raise InputDataError(msg)

    def read_mirna(row: int) -> pd.Series:
        data = load(row)
        if plan.level == "precursor":
            return _read_precursors(data, name_of(row))
        reads, per_region = _read_isoforms(data, name_of(row))
        for key, value in per_region.items():
            regions[key] = regions.get(key, 0) + value
        return reads

    def first_readable(rows: Sequence[int], reader: Callable[[int], Any]) -> tuple[int, Any] | None:
        for row in rows:
            if max_files is not None and files_read >= max_files:
                return None
            try:
                return row, reader(row)
            except _Unreadable as exc:
                fates[row] = ("dropped", "unreadable", f"cannot be read: {exc}")
                unreadable.append(f"{name_of(row)}: {exc}")
        return None

    try:
        for patient in plan.patients:
            rows_of = [r for s in patient.samples for r in (*s.mrna, *s.mirna)]
            if max_files is not None and files_read + 2 > max_files:
                for row in rows_of:
                    fates[row] = ("dropped", "max_files", f"not read: --max-files {max_files} reached")
                bar.update()
                continue
            chosen: _SamplePlan | None = None
            mrna_row = mirna_row = -1
            for sample in patient.samples:
                got_mrna = first_readable(sample.mrna, read_mrna)
                if got_mrna is None:
                    continue
                got_mirna = first_readable(sample.mirna, read_mirna)
                if got_mirna is None:
                    fates[got_mrna[0]] = ("dropped", "pair_unreadable", f"no readable miRNA file for sample "
                                          f"{sample.sample_id}")
                    continue
                chosen, (mrna_row, mrna_values), (mirna_row, mirna_reads) = sample, got_mrna, got_mirna
                break
            if chosen is not None:
                column = len(kept)
                kept.append((chosen.sample_id, patient.case_id))
                if mrna_columns is None:  # one column per patient at most, filled in place
                    mrna_columns = np.zeros((mrna_values.size, len(plan.patients)), dtype=np.int32, order="F")
                if mrna_values.size and int(mrna_values.max()) > _INT32_MAX:
                    msg = f"{name_of(mrna_row)}: a count above {_INT32_MAX}; not a read count."
                    raise InputDataError(msg)
                mrna_columns[:, column] = mrna_values
                codes = np.fromiter((mirna_codes.setdefault(k, len(mirna_codes)) for k in mirna_reads.index),
                                    np.int64, len(mirna_reads))
                mirna_values.append((codes, mirna_reads.to_numpy(dtype=np.int64)))
                fates[mrna_row] = ("kept", "", f"column {chosen.sample_id}")
                fates[mirna_row] = ("kept", "", f"column {chosen.sample_id}")
            for sample in patient.samples:
                for kind, rows, used in (("mRNA", sample.mrna, mrna_row), ("miRNA", sample.mirna, mirna_row)):
                    for row in rows:
                        if row in fates:
                            continue
                        if chosen is None and max_files is not None and files_read >= max_files:
                            fates[row] = ("dropped", "max_files",
                                          f"not read: --max-files {max_files} reached")
                        elif chosen is None:
                            fates[row] = ("dropped", "pair_unreadable", f"patient {patient.case_id}: no "
                                          "sample with readable files of both kinds")
                        elif sample is chosen:
                            fates[row] = ("dropped", "duplicate_aliquot", f"sample {sample.sample_id} has "
                                          f"{len(rows)} {kind} files; {file_ids[used]} was kept "
                                          "(the lowest readable file id)")
                        else:
                            fates[row] = ("dropped", "other_sample", f"patient {patient.case_id}: sample "
                                          f"{chosen.sample_id} was kept (sample type order "
                                          f"{','.join(types)}, then vial letter, then barcode)")
            bar.update()
    finally:
        bar.close()
    if not kept or layout is None or mrna_columns is None:
        msg = ("No patient has readable files of both kinds; see the log for the files that could not be "
               f"read ({len(unreadable)}).")
        raise InputDataError(msg)
    # --- matrices
    samples_order = np.argsort([s for s, _ in kept], kind="stable")
    sample_ids = [kept[i][0] for i in samples_order]
    in_order = bool((samples_order == np.arange(len(kept))).all())  # TCGA: barcodes follow the cases
    columns = mrna_columns[:, :len(kept)] if in_order else mrna_columns[:, samples_order]
    mrna, gene_map, n_merged = _mrna_matrix(layout, columns, sample_ids, keep_types)
    del mrna_columns, columns
    mirna = _mirna_matrix(mirna_codes, [mirna_values[i] for i in samples_order], sample_ids, plan.level)
    # --- tables
    status = [fates.get(i, ("dropped", "unused", "not needed")) for i in range(len(sheet))]
    samples = pd.DataFrame({
        "file_id": sheet["file_id"], "file_name": sheet["file_name"], "data_type": sheet["data_type"],
        "case_id": sheet["case_id"], "sample_id": sheet["sample_id"], "sample_type_code": sheet["type_code"],
        "sample_type": sheet["sample_type"], "status": [s[0] for s in status],
        "reason": [s[1] for s in status], "detail": [s[2] for s in status],
        "md5": [md5s.get(i, "") for i in range(len(sheet))],
    }).sort_values(["case_id", "sample_id", "data_type", "file_id"], kind="stable").reset_index(drop=True)
    survival, survival_counts = (survival_table(clinical, dict(kept)) if clinical is not None else (None, {}))
    found: list[str] = []
    if unreadable:
        found.append(f"{len(unreadable)} file(s) could not be read and were dropped (samples.tsv, reason "
                     f"'unreadable'); the first: {unreadable[0]}. Download them again to use them.")
    if plan.level == "precursor":
        found.append("no sample has a miRNA isoform file: miRNA counts are per precursor "
                     "(mirnas.quantification.txt, e.g. hsa-mir-21), not per mature miRNA; --mirbase maps "
                     "precursor names to their mature products. Add 'Isoform Expression Quantification' "
                     "files for mature-level counts.")
    if plan.precursor_only_samples:
        found.append(f"{plan.precursor_only_samples} sample(s) have only a precursor-level miRNA file and "
                     "were dropped (samples.tsv, reason 'missing_modality'): the cohort is at mature level, "
                     "from isoform files, and precursor counts cannot be split into mature miRNAs.")
    for text in found:
        warnings.warn(text, DataQualityWarning, stacklevel=2)
    reasons = samples.loc[samples["status"] == "dropped", "reason"].value_counts().sort_index()
    counts: dict[str, Any] = {
        "files_listed": len(sheet), "files_read": files_read,
        "files_kept": int((samples["status"] == "kept").sum()),
        "files_dropped_by_reason": {str(k): int(v) for k, v in reasons.items()},
        "patients_with_candidates": len(plan.patients), "samples": len(sample_ids),
        "mrna_genes": int(mrna.shape[0]), "mrna_rows_merged_by_symbol": n_merged,
        "mirnas": int(mirna.shape[0]), "mirna_reads_by_region": regions if plan.level == "mature" else {},
        "seconds": round(time.perf_counter() - start_time, 2),
    }
    if survival_counts:
        counts["clinical"] = survival_counts
    logger.info("assembled %d samples: %d genes, %d miRNAs (%d files read, %.1f s)", len(sample_ids),
                mrna.shape[0], mirna.shape[0], files_read, counts["seconds"])
    parameters = {"gene_types": gene_types, "sample_types": list(types), "max_files": max_files}
    return GdcCohort(mrna, mirna, gene_map, survival, samples, plan.level, layout.gene_model, counts,
                     dict(RULES), parameters, tuple(found))


def _mrna_matrix(layout: _StarLayout, values: np.ndarray, samples: list[str],
                 keep_types: set[str] | None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    genes = layout.genes
    names = genes["gene_name"].where(genes["gene_name"].str.strip() != "", genes["gene_id"]).to_numpy()
    kept_names = names[layout.keep].astype(str)
    symbols, first, group = np.unique(kept_names, return_index=True, return_inverse=True)
    matrix = np.ascontiguousarray(values[first], dtype=np.int32)  # the one copy of the matrix
    extra = np.setdiff1d(np.arange(len(group)), first)
    if extra.size:  # rows sharing a symbol: summed, in int64 for the few rows concerned
        rows, where = np.unique(group[extra], return_inverse=True)
        summed = matrix[rows].astype(np.int64)
        np.add.at(summed, where, values[extra].astype(np.int64))
        if summed.max(initial=0) > _INT32_MAX:
            msg = "A gene symbol's summed count exceeds the int32 range; not read counts."
            raise InputDataError(msg)
        matrix[rows] = summed
    ids_in_row = np.bincount(group, minlength=len(symbols))
    kept_mask = np.zeros(len(genes), bool)
    kept_mask[layout.keep] = True
    per_symbol = dict(zip(symbols, ids_in_row, strict=True))
    gene_map = pd.DataFrame({
        "gene_id": genes["gene_id"].to_numpy(), "symbol": names, "gene_type": genes["gene_type"].to_numpy(),
        "kept": np.where(kept_mask, "yes", "no"),
        "ids_in_row": [int(per_symbol.get(n, 0)) if k else 0 for n, k in zip(names, kept_mask, strict=True)],
    })
    frame = pd.DataFrame(matrix, index=pd.Index(symbols, name="gene"), columns=samples)
    return frame, gene_map, int(len(group) - len(symbols))


def _mirna_matrix(codes: dict[str, int], columns: list[tuple[np.ndarray, np.ndarray]], samples: list[str],
                  level: str) -> pd.DataFrame:
    matrix = np.zeros((len(codes), len(samples)), dtype=np.int64)
    for j, (rows, values) in enumerate(columns):
        matrix[rows, j] = values
    names = np.array(list(codes), dtype=object)
    order = np.argsort(names, kind="stable")
    return pd.DataFrame(matrix[order], index=pd.Index(names[order], name="mirna" if level == "mature"
                                                       else "precursor"), columns=samples)


# --- files in a folder --------------------------------------------------------------------------


def locate_in_folder(folder: str | Path) -> Callable[[str, str], Path]:
    """``(file_id, file_name) -> path`` for files downloaded into ``folder``: flat
    (``folder/NAME``) or one sub-folder per file id as gdc-client writes (``folder/ID/NAME``),
    gzipped (``NAME.gz``) or not. Raises :class:`InputDataError` for a missing file."""
    root = Path(folder)

    def locate(file_id: str, file_name: str) -> Path:
        for path in _candidates(root, file_id, file_name):
            if path.is_file():
                return path
        msg = (f"{file_name} (file id {file_id}) is listed in the sample sheet but not in {root} (looked for "
               f"{root / file_id / file_name} and {root / file_name}, gzipped or not).")
        raise InputDataError(msg)

    return locate


def _candidates(root: Path, file_id: str, file_name: str) -> list[Path]:
    names = [file_name, f"{file_name}.gz"]
    if file_name.endswith(".gz"):
        names.append(file_name[:-3])
    return [base / n for base in (root / file_id, root) for n in names]


def assemble_from_folder(
    sample_sheet: str | Path,
    files: str | Path,
    *,
    gene_types: str = "protein_coding",
    sample_types: Sequence[str] = DEFAULT_SAMPLE_TYPES,
    clinical: str | Path | None = None,
    progress: bool = False,
) -> GdcCohort:
    """:func:`assemble_cohort` on a sample sheet and the folder its files were downloaded into.

    Every file that could be used (a data type read here, of the sample types used) must be in
    ``files``; the error lists the missing ones and how to download them.
    """
    folder = Path(files)
    if not folder.is_dir():
        msg = f"--files {files}: not a folder; give the folder the GDC files were downloaded into."
        raise InputDataError(msg)
    sheet = read_sample_sheet(sample_sheet)
    types = tuple(sample_types)
    wanted = sheet[(sheet["modality"] != "") & sheet["type_code"].isin([str(t).zfill(2) for t in types])]
    missing = [(fid, name) for fid, name in zip(wanted["file_id"], wanted["file_name"], strict=True)
               if not any(p.is_file() for p in _candidates(folder, fid, name))]
    if missing:
        shown = ", ".join(f"{n} ({i})" for i, n in missing[:3])
        msg = (f"{len(missing)} of the {len(wanted)} files the sample sheet {sample_sheet} lists for these "
               f"sample types are not in {folder}, e.g. {shown}. Download them (gdc-client download -m "
               "MANIFEST -d FOLDER, with the manifest of the same cart) or remove their rows from the "
               "sample sheet.")
        raise InputDataError(msg)
    table = read_gdc_clinical(clinical) if clinical is not None else None
    return assemble_cohort(sheet, locate_in_folder(folder), gene_types=gene_types, sample_types=types,
                           clinical=table, progress=progress)


# --- for the terminal ---------------------------------------------------------------------------


def summary_lines(cohort: GdcCohort, out: str | Path) -> list[str]:
    """A few lines for the terminal: what was written and what was left out."""
    dropped = cohort.counts["files_dropped_by_reason"]
    lines = [
        f"{cohort.mrna.shape[1]} samples (one per patient): {cohort.mrna.shape[0]} genes "
        f"({cohort.parameters['gene_types']}), {cohort.mirna.shape[0]} "
        f"{'mature miRNAs' if cohort.mirna_level == 'mature' else 'miRNA precursors'}; gene model "
        f"{cohort.gene_model or 'not given'}.",
        f"files: {cohort.counts['files_listed']} listed, {cohort.counts['files_read']} read, "
        f"{cohort.counts['files_kept']} kept"
        + (f"; dropped: {', '.join(f'{k} {v}' for k, v in dropped.items())}" if dropped else "")
        + " (samples.tsv says why).",
    ]
    if cohort.clinical is not None:
        usable = int((cohort.clinical["os_time_days"].notna() & cohort.clinical["os_event"].notna()).sum())
        lines.append(f"clinical: {usable} of {len(cohort.clinical)} samples with survival time and event.")
    out = Path(out)
    lines.append(f"written to {out}; next: mirmodules run --mirna {out / 'mirna.tsv.gz'} --mrna "
                 f"{out / 'mrna.tsv.gz'} --interactions mirtarbase --mirbase mirbase_mature --out RUN")
    return lines
