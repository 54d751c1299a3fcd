"""Annotation inputs of the evaluation: miRNA families and gene-set collections.

miRNA families come in four shapes, recognised from their columns:

* miRBase miFam per mature miRNA (``mirna``, ``mature_acc``, ``family_id``, ``family_name``), as
  ``../shared/data/mirbase/mature_family_hsa.tsv.gz``;
* miRBase precursor-to-mature with families (``precursor_id``, ``precursor_acc``, ``mature_id``,
  ``mature_acc``, ``family_id``, ``family_name``);
* miRBase miFam per precursor (``mirna`` = precursor name, ``precursor_acc``, ``family_id``,
  ``family_name``): needs a precursor-to-mature table among the miRBase tables to reach mature names;
* TargetScan seed families (``miR family``, ``Species ID``, ``MiRBase ID``, ``MiRBase Accession``);
* a plain table ``mirna``, ``family`` (optionally ``family_name``), as the simulator writes.

Family ids are mapped onto the analysis' canonical mature names through the same
:class:`~mirmodules.inputs.identifiers.MirnaNameMap` the run used (by accession where the table has one),
so that families join the modules however the expression file named its miRNAs.

Gene sets come from GMT files (``id<TAB>description<TAB>gene ...``, gz too).
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mirmodules.exceptions import InputDataError
from mirmodules.inputs.identifiers import (
    DROPPED_STATUSES,
    MirnaNameMap,
    _table_kind,
    harmonise_mirna_ids,
)
from mirmodules.inputs.io import _check_file, _first_line, read_table

__all__ = ["FamilyAnnotation", "GeneSetCollection", "read_families", "read_gene_sets"]

logger = logging.getLogger(__name__)

#: TargetScan's species id for each miRBase prefix we know.
_TARGETSCAN_SPECIES = {"hsa": "9606", "mmu": "10090", "rno": "10116"}

FAMILY_COLUMNS = ["mirna", "family_id", "family_name"]


@dataclass(frozen=True)
class FamilyAnnotation:
    """miRNA families on canonical mature names.

    Attributes
    ----------
    table
        Columns ``mirna``, ``family_id``, ``family_name``; one row per miRNA.
    source
        File and recognised format, for reports.
    counts
        Rows read, ids mapped / dropped, miRNAs with conflicting families (the first family id in
        sort order is kept for those).
    """

    table: pd.DataFrame
    source: str
    counts: dict[str, Any] = field(default_factory=dict)

    def family_of(self) -> dict[str, str]:
        """miRNA -> family id."""
        return dict(zip(self.table["mirna"], self.table["family_id"], strict=True))


def _family_rows(
    frame: pd.DataFrame, kind: str, path: str, *, use_accessions: bool, species: str
) -> pd.DataFrame:
    """Rows (id, family_id, family_name) of a family file in one of the known formats."""
    if kind == "mature_family":
        ids = frame["mature_acc"] if use_accessions else frame["mirna"]
        out = pd.DataFrame(
            {"id": ids, "family_id": frame.get("family_id"), "family_name": frame.get("family_name")}
        )
    elif kind == "precursor_to_mature":
        if "family_id" not in frame:
            msg = f"Family file {path} is a precursor-to-mature table without a 'family_id' column."
            raise InputDataError(msg)
        ids = frame["mature_acc"] if use_accessions else frame["mature_id"]
        out = pd.DataFrame(
            {
                "id": ids,
                "family_id": frame["family_id"],
                "family_name": frame.get("family_name", frame["family_id"]),
            }
        )
    elif kind == "precursor_family":
        out = pd.DataFrame(
            {
                "id": frame["mirna"],
                "family_id": frame["family_id"],
                "family_name": frame.get("family_name", frame["family_id"]),
            }
        )
    elif kind == "targetscan":
        taxon = _TARGETSCAN_SPECIES.get(species)
        rows = (
            frame[frame["Species ID"].astype(str) == taxon]
            if taxon
            else frame[frame["MiRBase ID"].astype(str).str.startswith(f"{species}-")]
        )
        ids = rows["MiRBase Accession"] if use_accessions else rows["MiRBase ID"]
        out = pd.DataFrame({"id": ids, "family_id": rows["miR family"], "family_name": rows["miR family"]})
    else:  # plain
        out = pd.DataFrame(
            {
                "id": frame["mirna"],
                "family_id": frame["family"],
                "family_name": frame.get("family_name", frame["family"]),
            }
        )
    out = out.dropna(subset=["id", "family_id"]).astype(str)
    return out[(out["id"].str.strip() != "") & (out["family_id"].str.strip() != "")]


def _refuse_gmt(path: str | Path) -> None:
    """A GMT gene-set file given where a miRNA family table belongs (``--families``): an error
    that names the right option, before the table reader reports ragged rows."""
    path = Path(path)
    if not path.is_file():
        return  # the table reader gives its own message
    name = path.name.lower().removesuffix(".gz")
    fields = _first_line(path).rstrip("\r\n").split("\t")
    described = len(fields) >= 3 and (
        fields[1].startswith(("http://", "https://", ">")) or fields[1] in ("", "na", "NA"))
    if name.endswith(".gmt") or described:
        msg = (f"miRNA family file {path} looks like a GMT gene-set file (term, description, genes); "
               "gene sets go to --gene-sets, and --families takes a miRNA family table (miRBase "
               "miFam, TargetScan's miR_Family_Info, or columns 'mirna' and 'family').")
        raise InputDataError(msg)


def read_families(
    path: str | Path,
    *,
    name_map: MirnaNameMap | None = None,
    species: str = "hsa",
) -> FamilyAnnotation:
    """Read a miRNA family table and map its ids onto canonical mature names.

    Parameters
    ----------
    path
        A family file in one of the formats of the module docstring.
    name_map
        The run's miRBase lookup tables. With it, ids are harmonised exactly like the expression
        ids (accessions first, where the file has them); without it, names are compared as they are.
    species
        miRBase species prefix (TargetScan rows of other species are skipped).

    Raises
    ------
    InputDataError
        Unknown columns, or a per-precursor miFam file without a precursor-to-mature table.
    """
    _refuse_gmt(path)
    frame = read_table(path, what="miRNA family", dtype=str)
    kind = _table_kind(frame)
    if kind == "unknown" and {"mirna", "family"} <= set(frame.columns):
        kind = "plain"
    if kind in ("unknown", "mature"):
        msg = (
            f"miRNA family file {path}: columns {list(frame.columns)[:8]} match no family format. "
            "Expected 'mirna, family' or miRBase miFam (mirna/mature_acc/family_id/family_name, "
            "precursor_id/.../family_id) or TargetScan's miR_Family_Info ('miR family', 'MiRBase ID')."
        )
        raise InputDataError(msg)
    name_map = name_map or MirnaNameMap({}, {}, {})
    if kind == "precursor_family" and not name_map.precursor_to_accessions:
        msg = (
            f"miRNA family file {path} assigns families to precursors (hsa-mir-...); mapping them to "
            "mature miRNAs needs a precursor-to-mature table, e.g. --mirbase "
            "precursor_to_mature_v18_hsa_with_family.tsv.gz, or use mature_family_hsa.tsv.gz instead."
        )
        raise InputDataError(msg)
    rows = _family_rows(frame, kind, str(path), use_accessions=not name_map.is_empty, species=species)
    if name_map.is_empty:
        mapped = rows.rename(columns={"id": "mirna"})
        n_dropped = 0
    else:
        report = harmonise_mirna_ids(rows["id"], name_map, species=species, source="families")
        kept = report[~report["status"].isin(DROPPED_STATUSES)]
        n_dropped = int(report.loc[report["status"].isin(DROPPED_STATUSES), "input_id"].nunique())
        mapped = rows.merge(kept[["input_id", "mirna"]], left_on="id", right_on="input_id")
    mapped = mapped[FAMILY_COLUMNS].drop_duplicates()
    n_families = mapped.groupby("mirna")["family_id"].nunique()
    conflicting = int((n_families > 1).sum())
    mapped = mapped.sort_values(["mirna", "family_id"]).drop_duplicates("mirna").reset_index(drop=True)
    counts = {
        "rows_read": len(frame),
        "ids_unmapped": n_dropped,
        "mirnas": len(mapped),
        "families": int(mapped["family_id"].nunique()),
        "mirnas_with_conflicting_families": conflicting,
    }
    if conflicting:
        logger.warning(
            "%s: %d miRNAs belong to several families; kept the first family id of each", path, conflicting
        )
    logger.info("families from %s (%s): %s", path, kind, counts)
    return FamilyAnnotation(table=mapped, source=f"{path} ({kind})", counts=counts)


@dataclass(frozen=True)
class GeneSetCollection:
    """Gene sets of one collection (a GMT file).

    Attributes
    ----------
    name
        Collection label used in tables (the file name without ``.gmt``/``.gz``).
    sets
        Term id -> its genes.
    descriptions
        Term id -> description (GMT column 2).
    """

    name: str
    sets: dict[str, frozenset[str]]
    descriptions: dict[str, str]

    @property
    def genes(self) -> frozenset[str]:
        """Every gene annotated to at least one term."""
        return frozenset().union(*self.sets.values()) if self.sets else frozenset()


def read_gene_sets(path: str | Path, *, name: str | None = None) -> GeneSetCollection:
    """Read a GMT file (``id<TAB>description<TAB>gene<TAB>gene ...``; gzipped or not).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "toy.gmt").write_text("T1\\tfirst\\tA\\tB\\nT2\\tsecond\\tB\\tC\\tD\\n")
    >>> coll = read_gene_sets(folder / "toy.gmt")
    >>> coll.name, sorted(coll.sets["T2"]), coll.descriptions["T1"]
    ('toy', ['B', 'C', 'D'], 'first')
    """
    path = _check_file(path, "Gene-set")
    opener = gzip.open if path.suffix == ".gz" else open
    sets: dict[str, frozenset[str]] = {}
    descriptions: dict[str, str] = {}
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                parts = line.rstrip("\n\r").split("\t")
                if not parts[0].strip():
                    continue
                if len(parts) < 3:
                    msg = (
                        f"Gene-set file {path}, line {line_no}: expected 'id<TAB>description<TAB>genes...' "
                        f"(GMT), found {len(parts)} field(s). Is it tab-separated?"
                    )
                    raise InputDataError(msg)
                term = parts[0].strip()
                if term in sets:
                    msg = f"Gene-set file {path}, line {line_no}: term id {term!r} appears twice."
                    raise InputDataError(msg)
                sets[term] = frozenset(g.strip() for g in parts[2:] if g.strip())
                descriptions[term] = parts[1].strip()
    except (UnicodeDecodeError, OSError, EOFError) as err:
        msg = f"Gene-set file {path} could not be read as text GMT: {err}"
        raise InputDataError(msg) from err
    if not sets:
        msg = f"Gene-set file {path} holds no gene sets."
        raise InputDataError(msg)
    label = name or path.name.removesuffix(".gz").removesuffix(".gmt")
    logger.info("gene sets from %s: %d terms", path, len(sets))
    return GeneSetCollection(name=label, sets=sets, descriptions=descriptions)
