"""Reference data by name: ``mirmodules data fetch mirtarbase``, then ``--interactions mirtarbase``.

Each entry of :data:`REFERENCES` names one public file at a fixed release (the URL holds the
version), the role it plays in a run and how it is turned into a table the readers of
:mod:`mirmodules.inputs` understand. Downloads go through pooch into a user cache folder
(``MIRMODULES_DATA_DIR``, else the platform's cache folder, e.g. ``~/.cache/mirmodules``):

* ``raw/`` holds the downloads exactly as served, ``tables/`` the converted tables; both are
  written to a temporary name and moved into place only when complete, so an interrupted or
  truncated download leaves nothing behind that a later run could take for the real file. A
  converted table is read once with the reader a run will use for its role (interactions,
  miRBase, families, gene map, gene sets, predicted targets); a download that does not convert
  or that the reader refuses is deleted, and its checksum is not recorded.
* **Checksums.** An entry whose SHA-256 is pinned in :data:`REFERENCES` is checked against it on
  every use. An entry without a pinned SHA-256 (the release could not be downloaded when this
  version of mirmodules was made) has its SHA-256 recorded on the first download in
  ``sha256.json`` of the cache ("trust on first use") and checked against that afterwards; ``data
  list`` says which is which. A mismatch is an error that names the file, both checksums and the
  fix; it never silently re-downloads.
* **Offline.** ``offline=True`` (``--offline``, or ``MIRMODULES_OFFLINE=1``) never touches the
  network: a cached, verified table is used, anything else is an error that says how to fetch it.
* ``MIRMODULES_DATA_REGISTRY`` may name a JSON file of extra or replacement entries (same fields
  as :class:`ReferenceFile`): a local mirror, an institute's pinned copies, or a test server.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from mirmodules.exceptions import InputDataError

logger = logging.getLogger(__name__)

#: Roles a reference can play, and the option that takes it.
ROLES = {
    "interactions": "--interactions",
    "mirbase": "--mirbase",
    "families": "--families",
    "gene_map": "--gene-map",
    "gene_sets": "--gene-sets",
    "predicted": "--predicted",
}

#: The roles each option accepts (TargetScan's family table also names miRNAs, so ``--mirbase`` takes it).
ACCEPTS = {
    "interactions": {"interactions"},
    "mirbase": {"mirbase", "families"},
    "families": {"families"},
    "gene_map": {"gene_map"},
    "gene_sets": {"gene_sets"},
    "predicted": {"predicted"},
}


@dataclass(frozen=True)
class ReferenceFile:
    """One downloadable reference file.

    ``convert`` names a converter of :data:`CONVERTERS` (raw download -> table); ``sha256`` is the
    pinned checksum of the raw download, or ``None`` when it is recorded on first download.
    """

    name: str
    title: str
    version: str
    role: str
    url: str
    convert: str
    table_name: str
    sha256: str | None = None
    license: str = ""

    @property
    def raw_name(self) -> str:
        """File name of the raw download in the cache (version in the name, so releases coexist)."""
        tail = re.sub(r"[^A-Za-z0-9._-]+", "_", self.url.rstrip("/").rsplit("/", 1)[-1])[-80:]
        return f"{self.name}-{self.version}-{tail}"


REFERENCES: dict[str, ReferenceFile] = {
    ref.name: ref
    for ref in (
        ReferenceFile(
            "mirtarbase", "miRTarBase human miRNA-target interactions", "9.0", "interactions",
            "https://mirtarbase.cuhk.edu.cn/~miRTarBase/miRTarBase_2022/cache/download/9.0/hsa_MTI.xlsx",
            "xlsx_to_tsv", "mirtarbase_hsa_MTI_9.0.tsv.gz",
            license="miRTarBase terms of use (free for academic and non-commercial use)",
        ),
        ReferenceFile(
            "mirbase_mature", "miRBase mature miRNA names and accessions", "22.1", "mirbase",
            "https://www.mirbase.org/download/mature.fa", "mirbase_fasta_to_table",
            "mirbase_mature_22.1.tsv.gz", license="miRBase: public domain (CC0)",
        ),
        ReferenceFile(
            "mirbase_aliases", "miRBase previous names of mature miRNAs", "22.1", "mirbase",
            "https://www.mirbase.org/download/aliases.txt", "mirbase_aliases_to_table",
            "mirbase_aliases_22.1.tsv.gz", license="miRBase: public domain (CC0)",
        ),
        ReferenceFile(
            "targetscan_families", "TargetScan miRNA seed families (miR_Family_Info)", "8.0", "families",
            "https://www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip",
            "unzip_table", "targetscan_miR_Family_Info_8.0.tsv.gz",
            license="TargetScan: free for academic use",
        ),
        # TargetScanHuman 7.2 "Summary Counts, default predictions": conserved sites of conserved
        # miRNA families, one row per (transcript, miRNA family, species). Columns as read by public
        # code (code search, "TargetScan Summary_Counts default_predictions columns Cumulative
        # weighted context++ score Representative miRNA"): an R script typing all 17 columns of the
        # 7.1 Summary_Counts (Transcript ID, Gene Symbol, miRNA family, Species ID, Total num conserved
        # sites, the 8mer/7mer-m8/7mer-1a/6mer counts, Total num nonconserved sites, Representative
        # miRNA, Total context++ score, Cumulative weighted context++ score, Aggregate PCT) with
        # na="NULL"; an R helper that downloads this very vert_72 file and reads Species ID, Total num
        # conserved sites, Gene Symbol and Cumulative weighted context++ score, mapping "NULL" scores;
        # a test fixture of the 8.0 file with the same first 17 columns. Meaning of Representative miRNA
        # and CWCS: targetscan.org/vert_70/docs/context_score_totals.html (the family member with the
        # greatest predicted repression; CWCS = log2(1 - Cn), negative, lower = stronger).
        ReferenceFile(
            "targetscan_predicted", "TargetScan conserved predicted targets (Summary Counts, default "
            "predictions; human)", "7.2", "predicted",
            "https://www.targetscan.org/vert_72/vert_72_data_download/Summary_Counts.default_predictions.txt.zip",
            "targetscan_summary_counts", "targetscan_Summary_Counts_default_predictions_7.2.tsv.gz",
            license="TargetScan: free for academic use",
        ),
        ReferenceFile(
            "hgnc", "HGNC complete set (symbols, Ensembl, Entrez, previous symbols)", "2024-10-01",
            "gene_map",
            "https://storage.googleapis.com/public-download-files/hgnc/archive/archive/monthly/tsv/"
            "hgnc_complete_set_2024-10-01.txt",
            "table", "hgnc_complete_set_2024-10-01.tsv.gz", license="HGNC: CC0",
        ),
        ReferenceFile(
            "go_bp", "GO Biological Process gene sets (Enrichr library)", "2023", "gene_sets",
            "https://maayanlab.cloud/Enrichr/geneSetLibrary?mode=text&libraryName=GO_Biological_Process_2023",
            "gmt", "GO_Biological_Process_2023.gmt.gz", license="GO: CC BY 4.0",
        ),
        ReferenceFile(
            "kegg", "KEGG pathway gene sets (Enrichr library)", "2021", "gene_sets",
            "https://maayanlab.cloud/Enrichr/geneSetLibrary?mode=text&libraryName=KEGG_2021_Human",
            "gmt", "KEGG_2021_Human.gmt.gz",
            license="KEGG: free for academic use (see kegg.jp/kegg/legal.html)",
        ),
    )
}


def _check_with_reader(path: Path, role: str) -> None:
    """Read a converted table with the reader a run will use for ``role`` (its errors name the file)."""
    from mirmodules.inputs.annotations import read_families, read_gene_sets
    from mirmodules.inputs.identifiers import load_mirbase_tables
    from mirmodules.inputs.io import read_interactions, read_predicted, read_table

    readers: dict[str, Callable[[Path], object]] = {
        "interactions": read_interactions,
        "mirbase": lambda p: load_mirbase_tables([p]),
        "families": read_families,
        "gene_map": lambda p: read_table(p, what="Gene map", dtype=str),
        "gene_sets": read_gene_sets,
        "predicted": read_predicted,
    }
    readers[role](path)


def _write_checked(converted: str | pd.DataFrame, target: Path, role: str) -> None:
    """Write ``converted`` gzipped under a temporary name, check it with the role's reader, then
    move it into place; a table the reader refuses is removed."""
    tmp = target.with_name(f".part-{target.name}")  # keeps the .gz suffix the readers go by
    try:
        if isinstance(converted, pd.DataFrame):
            converted.to_csv(tmp, sep="\t", index=False, compression="gzip")
        else:
            with gzip.open(tmp, "wt", encoding="utf-8") as handle:
                handle.write(converted)
        _check_with_reader(tmp, role)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)


def _read_text(raw: Path) -> str:
    data = raw.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def mirbase_fasta_to_table(raw: Path) -> pd.DataFrame:
    """miRBase ``mature.fa`` (``>hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p``) -> ``mature_id``,
    ``mature_acc``."""
    rows = [line[1:].split()[:2] for line in _read_text(raw).splitlines() if line.startswith(">")]
    table = pd.DataFrame([r for r in rows if len(r) == 2], columns=["mature_id", "mature_acc"])
    if table.empty or not table["mature_acc"].str.startswith("MIMAT").all():
        msg = f"{raw}: not a miRBase mature FASTA (headers '>NAME MIMAT...' expected)."
        raise InputDataError(msg)
    return table


def mirbase_aliases_to_table(raw: Path) -> pd.DataFrame:
    """miRBase ``aliases.txt`` (``MIMAT0000062<TAB>hsa-let-7a;hsa-let-7a-5p;``, current name last) ->
    ``mirna`` (current), ``mature_acc``, ``mirna_v18`` (one row per older name)."""
    rows: list[tuple[str, str, str]] = []
    for line in _read_text(raw).splitlines():
        acc, _, names = line.partition("\t")
        if not acc.startswith("MIMAT"):
            continue
        parts = [n for n in names.strip().split(";") if n]
        if parts:
            rows.extend((parts[-1], acc, old) for old in (parts[:-1] or parts[-1:]))
    if not rows:
        msg = f"{raw}: not a miRBase aliases.txt (lines 'MIMAT...<TAB>name;name;' expected)."
        raise InputDataError(msg)
    return pd.DataFrame(rows, columns=["mirna", "mature_acc", "mirna_v18"])


def unzip_table(raw: Path, *, columns: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """The one table inside a zip archive (TargetScan ships ``miR_Family_Info.txt.zip``); ``columns``
    picks the columns to read by name (all by default)."""
    try:
        with zipfile.ZipFile(raw) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                msg = f"{raw}: expected one file in the archive, found {members}."
                raise InputDataError(msg)
            with archive.open(members[0]) as handle:
                return pd.read_csv(handle, sep="\t", dtype=str, usecols=columns)
    except zipfile.BadZipFile as exc:
        msg = f"{raw}: not a zip archive ({exc}); delete it from the cache and fetch again."
        raise InputDataError(msg) from exc



#: The columns of TargetScan's Summary_Counts that :func:`targetscan_summary_counts` uses.
_SUMMARY_COUNTS = {
    "species": "Species ID",
    "conserved": "Total num conserved sites",
    "mirna": "Representative miRNA",
    "target": "Gene Symbol",
    "score": "Cumulative weighted context++ score",
}


def targetscan_summary_counts(raw: Path, *, species: str = "9606") -> pd.DataFrame:
    """TargetScan's ``Summary_Counts.*.txt.zip`` -> predicted targets ``mirna``, ``target``, ``score``.

    Keeps the rows of ``species`` (``Species ID``; human by default) with at least one conserved
    site (``Total num conserved sites`` > 0); ``mirna`` is the ``Representative miRNA`` (as written,
    isomiR suffixes such as ``.1`` included), ``target`` the ``Gene Symbol`` and ``score`` the
    ``Cumulative weighted context++ score`` (negative, lower = stronger). Rows whose score is
    missing, ``NULL`` or not finite are dropped, and so are any positive ones (they predict no
    repression, and a table of both signs has no score direction for the reader to tell). A gene
    with several transcripts keeps, per (mirna, target), the most negative score.
    """
    wanted = set(_SUMMARY_COUNTS.values())
    # only the columns used: the release has 17 columns and millions of rows
    frame = unzip_table(raw, columns=lambda name: str(name).strip() in wanted)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in _SUMMARY_COUNTS.values() if c not in frame.columns]
    if missing:
        msg = (f"{raw}: not a TargetScan Summary_Counts table (Summary_Counts.*.txt.zip of TargetScan 7 "
               f"or 8): column(s) {missing} missing.")
        raise InputDataError(msg)
    cols = {key: frame[name].fillna("").str.strip() for key, name in _SUMMARY_COUNTS.items()}
    n_read = len(frame)
    own_species = cols["species"] == species
    conserved = pd.to_numeric(cols["conserved"], errors="coerce").fillna(0) > 0
    score = pd.to_numeric(cols["score"].where(cols["score"].str.upper() != "NULL", ""), errors="coerce")
    score = score.where(score.abs() < float("inf"))
    named = (cols["mirna"] != "") & (cols["target"] != "")
    keep = own_species & conserved & named
    no_score = keep & score.isna()
    positive = keep & (score > 0)
    keep &= ~no_score & ~positive
    table = pd.DataFrame({"mirna": cols["mirna"][keep], "target": cols["target"][keep], "score": score[keep]})
    n_rows = len(table)
    table = (table.sort_values(["mirna", "target", "score"], kind="mergesort")
             .drop_duplicates(["mirna", "target"]).reset_index(drop=True))
    if table.empty:
        msg = (f"{raw}: no usable row of species {species} with a conserved site and a score "
               f"(read {n_read} rows).")
        raise InputDataError(msg)
    logger.info("TargetScan Summary_Counts %s: %d rows read, %d of species %s with a conserved site, %d "
                "without a score and %d with a positive score dropped; %d transcripts merged into %d pairs",
                raw.name, n_read, int((own_species & conserved).sum()), species, int(no_score.sum()),
                int(positive.sum()), n_rows - len(table), len(table))
    return table


def xlsx_to_tsv(raw: Path) -> pd.DataFrame:
    """miRTarBase's Excel release -> TSV with its own columns (needs ``openpyxl``)."""
    from mirmodules.inputs.io import read_excel_sheet

    return read_excel_sheet(raw, what="miRTarBase release")


def gmt(raw: Path) -> str:
    """A GMT file (Enrichr's libraries leave the description column empty), kept as it is; the
    GMT reader checks it after conversion."""
    return _read_text(raw)


def table(raw: Path) -> pd.DataFrame:
    """A tab-separated table, kept as it is."""
    return pd.read_csv(raw, sep="\t", dtype=str)


CONVERTERS: dict[str, Callable[[Path], pd.DataFrame | str]] = {
    "xlsx_to_tsv": xlsx_to_tsv,
    "mirbase_fasta_to_table": mirbase_fasta_to_table,
    "mirbase_aliases_to_table": mirbase_aliases_to_table,
    "unzip_table": unzip_table,
    "targetscan_summary_counts": targetscan_summary_counts,
    "table": table,
    "gmt": gmt,
}


def registry() -> dict[str, ReferenceFile]:
    """:data:`REFERENCES` with the entries of ``MIRMODULES_DATA_REGISTRY`` (a JSON file) added."""
    entries = dict(REFERENCES)
    extra = os.environ.get("MIRMODULES_DATA_REGISTRY")
    if extra:
        try:
            records = json.loads(Path(extra).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"MIRMODULES_DATA_REGISTRY={extra}: cannot read it as JSON ({exc})."
            raise InputDataError(msg) from exc
        if not isinstance(records, list):
            msg = (f"MIRMODULES_DATA_REGISTRY={extra}: expected a JSON list of entries, got "
                   f"{type(records).__name__}.")
            raise InputDataError(msg)
        for number, record in enumerate(records, start=1):
            ref = _registry_entry(record, f"MIRMODULES_DATA_REGISTRY={extra}, entry {number}")
            entries[ref.name] = ref
    return entries


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _registry_entry(record: Any, where: str) -> ReferenceFile:
    """A registry record checked field by field: names and file names that stay inside the cache."""
    if not isinstance(record, dict):
        msg = f"{where}: expected a JSON object with the fields of a reference, got {record!r:.80}."
        raise InputDataError(msg)
    known = {f.name: f for f in fields(ReferenceFile)}
    unknown = sorted(set(record) - set(known))
    if unknown:
        msg = f"{where}: unknown field(s) {unknown}; the fields are {sorted(known)}."
        raise InputDataError(msg)
    required = sorted(n for n in ("name", "title", "version", "role", "url", "convert", "table_name")
                      if n not in record)
    if required:
        msg = f"{where}: missing field(s) {required}."
        raise InputDataError(msg)
    for key, value in record.items():
        if not (isinstance(value, str) or (key == "sha256" and value is None)):
            msg = f"{where}: field {key!r} must be a string, got {value!r:.80}."
            raise InputDataError(msg)
    for key in ("name", "version", "table_name"):
        if not _SAFE_NAME.fullmatch(record[key]) or ".." in record[key]:
            msg = (f"{where}: {key} {record[key]!r} is not a plain file name (letters, digits, '.', '_', "
                   "'-'; no folders, no '..'), so it could leave the cache.")
            raise InputDataError(msg)
    if record["role"] not in ROLES:
        msg = f"{where}: role {record['role']!r} is not one of {sorted(ROLES)}."
        raise InputDataError(msg)
    if record["convert"] not in CONVERTERS:
        msg = f"{where}: convert {record['convert']!r} is not one of {sorted(CONVERTERS)}."
        raise InputDataError(msg)
    if not re.match(r"(https?|file)://", record["url"]):
        msg = f"{where}: url {record['url']!r} must start with https://, http:// or file://."
        raise InputDataError(msg)
    sha = record.get("sha256")
    if sha is not None and not re.fullmatch(r"[0-9a-f]{64}", sha):
        msg = f"{where}: sha256 {sha!r} is not 64 lower-case hex digits."
        raise InputDataError(msg)
    return ReferenceFile(**record)


def cache_dir(cache: str | Path | None = None) -> Path:
    """The cache folder: ``cache``, else ``MIRMODULES_DATA_DIR``, else the platform's user cache."""
    if cache is not None:
        return Path(cache)
    if os.environ.get("MIRMODULES_DATA_DIR"):
        return Path(os.environ["MIRMODULES_DATA_DIR"])
    import pooch

    return Path(pooch.os_cache("mirmodules"))


def _offline_default() -> bool:
    return os.environ.get("MIRMODULES_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def _lock(folder: Path) -> dict[str, str]:
    path = folder / "sha256.json"
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        msg = f"{path}: the cache's checksum record is damaged ({exc}); delete it and fetch again."
        raise InputDataError(msg) from exc


def _record(folder: Path, key: str, sha256: str) -> None:
    lock = _lock(folder)
    lock[key] = sha256
    tmp = folder / ".sha256.json.part"
    tmp.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, folder / "sha256.json")


def _get(name: str, entries: Mapping[str, ReferenceFile]) -> ReferenceFile:
    if name not in entries:
        msg = (f"Unknown reference {name!r}; the references are: {', '.join(sorted(entries))} "
               "(mirmodules data list).")
        raise InputDataError(msg)
    return entries[name]


def expected_sha256(ref: ReferenceFile, cache: str | Path | None = None) -> tuple[str | None, str]:
    """The checksum a download must have and where it comes from (``pinned``, ``recorded``, ``none``)."""
    if ref.sha256:
        return ref.sha256, "pinned"
    recorded = _lock(cache_dir(cache)).get(f"{ref.name}@{ref.version}")
    return (recorded, "recorded") if recorded else (None, "none")


def fetch(
    name: str,
    *,
    cache: str | Path | None = None,
    offline: bool | None = None,
    progress: bool = False,
) -> Path:
    """The path of reference ``name``'s table, downloading and converting it when needed.

    Raises
    ------
    InputDataError
        Unknown name; offline and not cached; a download that fails, is truncated or does not
        match its checksum (the message gives both checksums and the fix).
    """
    import pooch

    entries = registry()
    ref = _get(name, entries)
    offline = _offline_default() if offline is None else offline
    folder = cache_dir(cache)
    raw_dir, table_dir = folder / "raw", folder / "tables"
    raw, target = raw_dir / ref.raw_name, table_dir / ref.table_name
    expected, source = expected_sha256(ref, folder)
    if raw.exists() and target.exists():
        actual = pooch.file_hash(str(raw))
        if expected is not None and actual != expected:
            msg = (f"Cached download of {name} ({raw}) has SHA-256 {actual}, but {expected} is {source}. "
                   f"The file changed after it was fetched; delete it and run: mirmodules data fetch {name}")
            raise InputDataError(msg)
        logger.info("%s %s: cached at %s (SHA-256 %s, %s)", name, ref.version, target, actual[:12], source)
        return target
    if offline:
        msg = (f"Reference {name} ({ref.title} {ref.version}) is not in the cache {folder} and offline mode "
               f"is on; fetch it once with network access: mirmodules data fetch {name}"
               + (f" --cache {cache}" if cache is not None else ""))
        raise InputDataError(msg)
    raw_dir.mkdir(parents=True, exist_ok=True)
    table_dir.mkdir(parents=True, exist_ok=True)
    logger.info("%s %s: downloading %s", name, ref.version, ref.url)
    try:
        path = Path(pooch.retrieve(ref.url, known_hash=f"sha256:{expected}" if expected else None,
                                   fname=raw.name, path=raw_dir, progressbar=progress))
    except ValueError as exc:  # pooch: hash mismatch (the bad download is removed)
        msg = (f"Download of {name} from {ref.url} does not match its {source} SHA-256 {expected} ({exc}). "
               "The server sent another file (a new release or a broken transfer); nothing was kept. "
               "Try again later, or update mirmodules for a newer pinned release.")
        raise InputDataError(msg) from exc
    except Exception as exc:  # network errors, truncated transfers (requests/urllib3)
        msg = (f"Download of {name} from {ref.url} failed: {type(exc).__name__}: {exc}. Nothing was kept; "
               "check the network and run the command again (where a cache is filled, "
               "MIRMODULES_OFFLINE=1 or `mirmodules data fetch --offline` uses it without the network).")
        raise InputDataError(msg) from exc
    try:  # a download that does not convert, or that the reader refuses, is not kept or trusted
        _write_checked(CONVERTERS[ref.convert](path), target, ref.role)
    except InputDataError:
        path.unlink(missing_ok=True)
        raise
    if expected is None:
        actual = pooch.file_hash(str(path))
        _record(folder, f"{ref.name}@{ref.version}", actual)
        logger.warning("%s %s has no pinned SHA-256 in this version of mirmodules; recorded %s on this first "
                       "download (%s) and later uses are checked against it.", name, ref.version, actual,
                       folder / "sha256.json")
    logger.info("%s %s: table %s", name, ref.version, target)
    return target


def resolve(value: str, role: str, *, cache: str | Path | None = None, offline: bool | None = None) -> str:
    """``value`` as given when it is an existing path; the fetched table when it names a reference.

    ``role`` is the option's (a key of :data:`ROLES`); a reference of another kind is refused.
    """
    if Path(value.partition("::")[0]).exists():
        return value
    entries = registry()
    if value not in entries:
        return value  # the readers report the missing file with their own message
    ref = entries[value]
    if ref.role not in ACCEPTS[role]:
        msg = (f"{ROLES[role]} {value}: the reference {value!r} is {ref.role.replace('_', ' ')} "
               f"({ROLES[ref.role]}), not {role.replace('_', ' ')}.")
        raise InputDataError(msg)
    return str(fetch(value, cache=cache, offline=offline))


def list_references(cache: str | Path | None = None) -> pd.DataFrame:
    """One row per reference: ``name``, ``version``, ``role``, ``option``, ``cached``,
    ``checksum`` (pinned / recorded / none), ``sha256``, ``title``, ``license``, ``url``, ``path``."""
    folder = cache_dir(cache)
    rows: list[dict[str, Any]] = []
    for ref in registry().values():
        sha, source = expected_sha256(ref, folder)
        target = folder / "tables" / ref.table_name
        rows.append({
            "name": ref.name, "version": ref.version, "role": ref.role, "option": ROLES[ref.role],
            "cached": target.exists(), "checksum": source, "sha256": sha or "",
            "title": ref.title, "license": ref.license, "url": ref.url, "path": str(target),
        })
    return pd.DataFrame(rows)
