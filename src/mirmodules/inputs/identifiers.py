"""miRNA identifier harmonisation onto one mature-name space.

Expression files and interaction tables name miRNAs in different ways: current mature names
(``hsa-miR-200a-3p``), old names without arm (``hsa-miR-21``), star names (``hsa-miR-21*``),
precursor names (``hsa-mir-21``) and miRBase accessions (``MIMAT0000076`` for a mature miRNA,
``MI0000077`` for a precursor). This module maps all of them onto the *canonical mature names* of
the miRBase tables the user points to, and reports what happened to every id.

Rules, tried in this order for each id (after trimming and adding the species prefix when the id
has none):

1. ``MIMAT...`` accession: its canonical name (status ``accession``).
2. A canonical mature name (``exact``) or an older name of exactly one mature miRNA (``alias``).
3. A precursor name or ``MI...`` accession: every mature product of the precursor
   (``precursor``; a precursor with two arms maps to both).
4. An arm-less name ``X`` for which exactly one of ``X-5p`` / ``X-3p`` exists (``arm_inferred``).
5. An arm-less name ``X`` for which both arms exist: the arm with the **older accession** (the
   lower MIMAT number; ``arm_dominant``), and ``X*`` the other one (``arm_star``). Before miRBase
   17-18 gave every mature miRNA an arm suffix, ``X`` named the dominant product and ``X*`` the
   minor one, and an accession stays with its sequence when the name changes, so the dominant
   product of ``hsa-mir-21`` is ``hsa-miR-21-5p`` (MIMAT0000076; its ``*`` is ``-3p``,
   MIMAT0004494). Array-era files (TCGA level 3 microarrays, many published tables) use these names.
6. A mature name or older name, ignoring letter case (``case_insensitive``).
7. A letter-suffix variant, when rules 2-5 give exactly one miRNA for it (``suffix_variant``):
   ``X`` -> ``Xa`` (``hsa-miR-103`` became ``hsa-miR-103a``) and ``Xa`` -> ``X``
   (``hsa-miR-124a`` became ``hsa-miR-124``). miRBase's alias table records these renamings; the
   rule stands in for it when that table is not given, and every id it maps is reported as such.
8. Otherwise ``ambiguous`` (several mature miRNAs fit and nothing decides) or ``unmatched``.

Ambiguous and unmatched ids are dropped from the analysis and counted in the report; nothing is
dropped silently.

Tables understood (the formats of ``shared/data/mirbase`` and ``shared/data/targetscan_families``):

* mature table: ``mature_id``, ``mature_acc`` (e.g. ``mature_v22_hsa.tsv.gz``);
* mature + family table: ``mirna``, ``mature_acc`` and optionally ``mirna_v18`` (older names);
* precursor-to-mature table: ``precursor_id``, ``precursor_acc``, ``mature_id``, ``mature_acc``;
* TargetScan ``miR_Family_Info``: ``MiRBase ID``, ``MiRBase Accession``, ``Species ID``.

When several tables name the same accession differently, the first table in the order above that
names it gives the canonical name; the other names become aliases.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mirmodules.exceptions import DataQualityWarning, InputDataError
from mirmodules.inputs.io import read_table
from mirmodules.inputs.preprocessing import merge_renamed_rows

logger = logging.getLogger(__name__)

_MIMAT = re.compile(r"^MIMAT\d+$")
_MI = re.compile(r"^MI\d+$")

#: Report statuses that keep an id in the analysis.
MATCHED_STATUSES = ("exact", "alias", "accession", "precursor", "arm_inferred", "arm_dominant",
                    "arm_star", "case_insensitive", "suffix_variant")
#: Report statuses that drop an id.
DROPPED_STATUSES = ("ambiguous", "unmatched")


@dataclass(frozen=True)
class MirnaNameMap:
    """Lookup tables built from miRBase-style files (see :func:`load_mirbase_tables`).

    Attributes
    ----------
    canonical
        Mature accession (MIMAT) -> canonical mature name.
    name_to_accessions
        Every known mature name (canonical and older) -> the accessions it names.
    precursor_to_accessions
        Precursor name and MI accession -> accessions of its mature products.
    sources
        The files the tables came from, in order.
    """

    canonical: dict[str, str]
    name_to_accessions: dict[str, frozenset[str]]
    precursor_to_accessions: dict[str, frozenset[str]]
    sources: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        lower: dict[str, set[str]] = defaultdict(set)
        for name, accs in self.name_to_accessions.items():
            lower[name.lower()].update(accs)
        object.__setattr__(self, "_lower", {k: frozenset(v) for k, v in lower.items()})

    @property
    def is_empty(self) -> bool:
        """True when no table was loaded (ids are then compared as they are)."""
        return not self.canonical

    def lookup_lower(self, name: str) -> frozenset[str]:
        """Accessions whose names equal ``name`` ignoring case."""
        return self._lower.get(name.lower(), frozenset())  # type: ignore[attr-defined]


def _table_kind(frame: pd.DataFrame) -> str:
    cols = set(frame.columns)
    if {"precursor_id", "precursor_acc", "mature_id", "mature_acc"} <= cols:
        return "precursor_to_mature"
    if {"mature_id", "mature_acc"} <= cols:
        return "mature"
    if {"mirna", "mature_acc"} <= cols:
        return "mature_family"
    if {"MiRBase ID", "MiRBase Accession"} <= cols:
        return "targetscan"
    if {"mirna", "precursor_acc"} <= cols:
        return "precursor_family"
    return "unknown"


_KIND_RANK = {"mature": 0, "mature_family": 1, "precursor_to_mature": 2, "targetscan": 3}


def load_mirbase_tables(paths: Sequence[str | Path], *, species: str = "hsa") -> MirnaNameMap:
    """Build a :class:`MirnaNameMap` from one or more miRBase / TargetScan tables.

    Parameters
    ----------
    paths
        Files in the formats listed in the module docstring (TSV/CSV, gz too). The kind of each
        file is recognised from its columns.
    species
        miRBase species prefix kept from multi-species tables (TargetScan's ``Species ID`` is
        matched through the prefix of its names).

    Raises
    ------
    InputDataError
        A file whose columns match none of the known formats.
    """
    loaded: list[tuple[int, str, pd.DataFrame, str]] = []
    for path in paths:
        frame = read_table(path, what="miRBase table", dtype=str)
        kind = _table_kind(frame)
        if kind == "unknown":
            msg = (
                f"miRBase table {path}: columns {list(frame.columns)[:8]} match no known format. "
                "Expected mature_id+mature_acc, mirna+mature_acc(+mirna_v18), "
                "precursor_id+precursor_acc+mature_id+mature_acc, or TargetScan's "
                "'MiRBase ID'+'MiRBase Accession'."
            )
            raise InputDataError(msg)
        loaded.append((_KIND_RANK.get(kind, 9), kind, frame, str(path)))
    loaded.sort(key=lambda item: item[0])
    canonical: dict[str, str] = {}
    names: dict[str, set[str]] = defaultdict(set)
    precursors: dict[str, set[str]] = defaultdict(set)
    prefix = f"{species}-"

    def add(name: object, acc: object) -> None:
        if not isinstance(name, str) or not isinstance(acc, str) or not _MIMAT.match(acc.strip()):
            return
        name, acc = name.strip(), acc.strip()
        if not name.startswith(prefix):
            return
        canonical.setdefault(acc, name)
        names[name].add(acc)

    for _, kind, frame, _path in loaded:
        if kind == "mature":
            for n, a in zip(frame["mature_id"], frame["mature_acc"], strict=True):
                add(n, a)
        elif kind == "mature_family":
            for n, a in zip(frame["mirna"], frame["mature_acc"], strict=True):
                add(n, a)
            if "mirna_v18" in frame:
                for n, a in zip(frame["mirna_v18"], frame["mature_acc"], strict=True):
                    add(n, a)
        elif kind == "precursor_to_mature":
            for p, pa, n, a in zip(
                frame["precursor_id"], frame["precursor_acc"], frame["mature_id"],
                frame["mature_acc"], strict=True,
            ):
                add(n, a)
                if isinstance(a, str) and _MIMAT.match(a.strip()):
                    for key in (p, pa):
                        if isinstance(key, str) and key.strip():
                            precursors[key.strip()].add(a.strip())
        elif kind == "targetscan":
            for n, a in zip(frame["MiRBase ID"], frame["MiRBase Accession"], strict=True):
                add(n, a)
    name_map = MirnaNameMap(
        canonical=canonical,
        name_to_accessions={k: frozenset(v) for k, v in names.items()},
        precursor_to_accessions={k: frozenset(v) for k, v in precursors.items()},
        sources=tuple(p for *_, p in loaded),
    )
    logger.info(
        "miRBase tables: %d mature accessions, %d names, %d precursor keys",
        len(canonical), len(names), len(precursors),
    )
    return name_map


def describe_id_style(ids: Iterable[str]) -> str:
    """Summarise the id styles in ``ids`` (for error messages), e.g. ``'MIMAT accessions (464)'``."""
    counts: dict[str, int] = defaultdict(int)
    examples: dict[str, str] = {}
    for raw in ids:
        s = str(raw).strip()
        if _MIMAT.match(s):
            style = "MIMAT accessions"
        elif _MI.match(s):
            style = "MI (precursor) accessions"
        elif re.search(r"-mir-|^[a-z]{3}-let-\d+[a-z]*-\d+$", s):
            style = "precursor names"
        elif re.search(r"-(5p|3p)$", s):
            style = "mature names with arm"
        elif re.search(r"(miR|let)-", s):
            style = "mature names without arm"
        else:
            style = "other ids"
        counts[style] += 1
        examples.setdefault(style, s)
    parts = [
        f"{style} ({n}, e.g. {examples[style]!r})"
        for style, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
    return "; ".join(parts) if parts else "no ids"


def harmonise_mirna_ids(
    ids: Iterable[str],
    name_map: MirnaNameMap,
    *,
    species: str = "hsa",
    source: str = "input",
) -> pd.DataFrame:
    """Map miRNA ids onto canonical mature names.

    Parameters
    ----------
    ids
        The ids as they appear in a file.
    name_map
        Lookup tables from :func:`load_mirbase_tables`. An empty map keeps every id as it is
        (status ``unchecked``).
    species
        Prefix added to ids that have none (``miR-21-5p`` -> ``hsa-miR-21-5p``).
    source
        Label written in the ``source`` column (e.g. ``"mirna_expression"``).

    Returns
    -------
    pandas.DataFrame
        One row per (input id, mapped name) with columns ``source``, ``input_id``, ``mirna``
        (canonical name, empty when dropped), ``status`` and ``n_candidates``. A precursor with two
        mature products gives two rows.
    """
    rows: list[tuple[str, str, str, str, int]] = []
    for raw in dict.fromkeys(str(i) for i in ids):
        if name_map.is_empty:
            rows.append((source, raw, raw.strip(), "unchecked", 1))
            continue
        status, accs = _resolve(raw.strip(), name_map, species)
        if status in DROPPED_STATUSES:
            rows.append((source, raw, "", status, len(accs)))
            continue
        for acc in sorted(accs):
            rows.append((source, raw, name_map.canonical[acc], status, len(accs)))
    return pd.DataFrame(rows, columns=["source", "input_id", "mirna", "status", "n_candidates"])


def _resolve(s: str, nm: MirnaNameMap, species: str, *, variant: bool = False) -> tuple[str, frozenset[str]]:
    if _MIMAT.match(s):
        return ("accession", frozenset([s])) if s in nm.canonical else ("unmatched", frozenset())
    if _MI.match(s):
        accs = nm.precursor_to_accessions.get(s, frozenset())
        return ("precursor", accs) if accs else ("unmatched", frozenset())
    if not re.match(r"^[a-z]{3}-", s):
        s = f"{species}-{s}"
    accs = nm.name_to_accessions.get(s, frozenset())
    if len(accs) == 1:
        (acc,) = accs
        return ("exact" if nm.canonical[acc] == s else "alias"), accs
    if len(accs) > 1:
        return "ambiguous", accs
    accs = nm.precursor_to_accessions.get(s, frozenset())
    if accs:
        return "precursor", accs
    star = s.endswith("*")
    stem = s[:-1] if star else s
    if not re.search(r"-(5p|3p)$", stem):
        arms = frozenset().union(
            *(nm.name_to_accessions.get(f"{stem}-{arm}", frozenset()) for arm in ("5p", "3p"))
        )
        if len(arms) == 1 and not star:
            return "arm_inferred", arms
        if len(arms) == 2:  # (at most two arms: 5p and 3p)
            by_age = sorted(arms, key=_accession_number)
            return ("arm_star", frozenset(by_age[1:])) if star else ("arm_dominant", frozenset(by_age[:1]))
    accs = nm.lookup_lower(s)
    if len(accs) == 1:
        return "case_insensitive", accs
    if len(accs) > 1:
        return "ambiguous", accs
    if not variant and not star and not re.search(r"-(5p|3p)$", s):
        match = re.match(r"^(.*-(?:miR|let)-\d+)(a?)$", s)
        if match:
            other = match.group(1) if match.group(2) else f"{match.group(1)}a"
            status, found = _resolve(other, nm, species, variant=True)
            if status in MATCHED_STATUSES and len(found) == 1:
                return "suffix_variant", found
    return "unmatched", frozenset()


def _accession_number(acc: str) -> int:
    """``MIMAT0000076`` -> 76 (accessions are numbered in the order miRBase created them)."""
    return int(acc[5:])


def summarise_harmonisation(report: pd.DataFrame) -> pd.DataFrame:
    """Count input ids per source and status (one id counted once, whatever it expanded to)."""
    ids = report.drop_duplicates(["source", "input_id"])
    table = ids.groupby(["source", "status"]).size().rename("n_ids").reset_index()
    return table.sort_values(["source", "status"]).reset_index(drop=True)


# --- gene ids ---------------------------------------------------------------------------------

_ENSG = re.compile(r"^ENSG\d{11}(\.\d+)?$")
_ENTREZ = re.compile(r"^\d+$")
_HGNC = re.compile(r"^HGNC:\d+$")
#: Column names taken as the symbol column of a gene map (first found, case-insensitive).
SYMBOL_COLUMNS = ("symbol", "hgnc_symbol", "gene_symbol", "approved symbol", "gene_name",
                  "external_gene_name")


def detect_gene_id_style(ids: Iterable[str]) -> str:
    """The dominant style of gene ids: ``ensembl``, ``ensembl_versioned``, ``entrez``, ``hgnc`` or
    ``symbol`` (the majority of the ids).

    >>> detect_gene_id_style(["ENSG00000141510.16", "ENSG00000012048.20"])
    'ensembl_versioned'
    >>> detect_gene_id_style(["TP53", "BRCA1", "7157"])
    'symbol'
    """
    counts: dict[str, int] = defaultdict(int)
    for raw in ids:
        s = str(raw).strip()
        if _ENSG.match(s):
            counts["ensembl_versioned" if "." in s else "ensembl"] += 1
        elif _ENTREZ.match(s):
            counts["entrez"] += 1
        elif _HGNC.match(s):
            counts["hgnc"] += 1
        else:
            counts["symbol"] += 1
    return max(counts, key=lambda k: counts[k]) if counts else "symbol"


_SYMBOL_ENTREZ = re.compile(r"^([^|]*)\|(\d+)$")


def split_symbol_entrez(
    frame: pd.DataFrame, *, what: str = "mRNA expression"
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows keyed ``SYMBOL|ENTREZ`` (Broad Firehose / TCGA legacy RNA-seq) re-keyed by the symbol.

    Nothing changes unless most row ids have that form. Ids without a symbol (``?|100130426``) are
    dropped; two ids with one symbol (``SLC35E2|728661``, ``SLC35E2|9906``) are merged (summed for
    counts, averaged otherwise). Both are counted and warned about. Returns the frame and the
    counts (empty when nothing changed).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"s1": [1.0, 2.0, 3.0]}, index=["TP53|7157", "?|100130426", "MYC|4609"])
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out, counts = split_symbol_entrez(frame)
    >>> list(out.index), counts["mrna_ids_without_symbol"]
    (['TP53', 'MYC'], 1)
    """
    ids = frame.index.astype(str)
    parts = ids.str.extract(_SYMBOL_ENTREZ)
    matched = parts[0].notna().to_numpy()
    if len(ids) == 0 or matched.mean() <= 0.5:
        return frame, {}
    symbols = parts[0].where(matched, pd.Series(ids, index=parts.index)).str.strip()
    no_symbol = matched & symbols.isin(["", "?"]).to_numpy()
    kept = frame.loc[~no_symbol]
    kept = kept.set_axis(symbols[~no_symbol].to_numpy(), axis=0)
    kept, n_merged, _ = merge_renamed_rows(kept)
    counts = {"mrna_ids_symbol_entrez": int(matched.sum()), "mrna_ids_without_symbol": int(no_symbol.sum()),
              "mrna_rows_merged_by_symbol": n_merged}
    warnings.warn(
        f"{what}: {int(matched.sum())} of {len(ids)} row ids are SYMBOL|ENTREZ (Firehose style, e.g. "
        f"{ids[matched][0]!r}); they are keyed by their symbol. {int(no_symbol.sum())} id(s) without a "
        f"symbol ('?|...') were dropped and {n_merged} row(s) sharing a symbol merged. To key by Entrez "
        "instead, rewrite the ids and give --gene-map.", DataQualityWarning, stacklevel=2)
    return kept, counts


def map_gene_ids(ids: Iterable[str], gene_map: pd.DataFrame, *, what: str = "gene map") -> pd.DataFrame:
    """Map gene ids (Ensembl, versioned or not; Entrez; HGNC accessions; older symbols) to symbols.

    ``gene_map`` is a table with a symbol column (one of :data:`SYMBOL_COLUMNS`) and any number of
    id columns (e.g. an HGNC download: ``hgnc_id``, ``symbol``, ``entrez_id``, ``ensembl_gene_id``,
    ``prev_symbol``); the id column that matches most of ``ids`` is used. Ensembl versions are
    ignored. Ids that already are symbols of the map are kept.

    Returns one row per input id: ``input_id``, ``gene`` (empty when dropped), ``status``
    (``mapped``, ``symbol``, ``ambiguous`` or ``unmatched``) and ``id_column``.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"ensembl_gene_id": ["ENSG00000141510", "ENSG00000012048"],
    ...                       "symbol": ["TP53", "BRCA1"]})
    >>> report = map_gene_ids(["ENSG00000141510.16", "TP53", "ENSG00000000001"], table)
    >>> report[["gene", "status"]].values.tolist()
    [['TP53', 'mapped'], ['TP53', 'symbol'], ['', 'unmatched']]
    """
    lower = {c.lower(): c for c in gene_map.columns}
    symbol_col = next((lower[c] for c in SYMBOL_COLUMNS if c in lower), None)
    if symbol_col is None:
        msg = (f"The {what} has no symbol column; expected one of {list(SYMBOL_COLUMNS)} next to the "
               f"id columns (got {list(gene_map.columns)[:8]}).")
        raise InputDataError(msg)
    ids = [str(i).strip() for i in dict.fromkeys(str(i) for i in ids)]
    keys = [re.sub(r"^(ENSG\d{11})\.\d+$", r"\1", i) for i in ids]
    symbols = set(gene_map[symbol_col].dropna().astype(str).str.strip())
    best_col, best_lookup, best_hits = None, {}, -1
    for col in gene_map.columns:
        if col == symbol_col:
            continue
        pairs = gene_map[[col, symbol_col]].dropna().astype(str)
        lookup: dict[str, set[str]] = defaultdict(set)
        for value, symbol in zip(pairs[col], pairs[symbol_col], strict=True):
            for part in str(value).split("|"):  # HGNC lists several previous symbols with "|"
                part = re.sub(r"^(ENSG\d{11})\.\d+$", r"\1", part.strip())
                if part:
                    lookup[part].add(symbol.strip())
        hits = sum(k in lookup for k in keys)
        if hits > best_hits:
            best_col, best_lookup, best_hits = col, lookup, hits
    rows = []
    for raw, key in zip(ids, keys, strict=True):
        found = best_lookup.get(key, set())
        if raw in symbols:  # a current symbol stays itself (even if another gene once had it)
            rows.append((raw, raw, "symbol", symbol_col))
        elif len(found) == 1:
            rows.append((raw, next(iter(found)), "mapped", best_col))
        elif len(found) > 1:
            rows.append((raw, "", "ambiguous", best_col))
        else:
            rows.append((raw, "", "unmatched", best_col))
    return pd.DataFrame(rows, columns=["input_id", "gene", "status", "id_column"])
