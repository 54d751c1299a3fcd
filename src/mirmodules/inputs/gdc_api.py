"""The GDC API client behind ``mirmodules data tcga PROJECT``: query, download, assemble.

1. ``POST /files`` lists the project's open-access STAR gene counts (data type ``Gene Expression
   Quantification``, workflow ``STAR - Counts``) and miRNA isoform files (``Isoform Expression
   Quantification``) with their MD5, size, case and sample; ``POST /cases`` gives the clinical
   fields ``demographic.vital_status``, ``demographic.days_to_death`` and
   ``diagnoses.days_to_last_follow_up``; ``GET /status`` the data release. Sources:
   https://docs.gdc.cancer.gov/API/Users_Guide/Search_and_Retrieval/ (filters, fields, paging),
   https://docs.gdc.cancer.gov/API/Users_Guide/Appendix_A_Available_Fields/ and
   https://docs.gdc.cancer.gov/API/Users_Guide/Downloading_Files/ (``GET /data/{file_id}``).
2. The rules of :mod:`mirmodules.inputs.gdc` choose one sample per patient from this metadata
   alone, so only the files that will be used are downloaded (``--max-files N``: whole patients,
   in barcode order, up to N files). A file that turns out unreadable is dropped and the next
   candidate downloaded.
3. Downloads go into the data cache (``--cache``, else ``MIRMODULES_DATA_DIR``, else the
   platform's cache folder) under ``gdc/files/FILE_ID/FILE_NAME``: written to a hidden ``.part``
   file, resumed with an HTTP ``Range`` request when a transfer is cut (within a run and by the
   next run), checked against the GDC's MD5 and size, and only then moved into place. A file whose
   MD5 differs is deleted and named in the error. The metadata is kept next to them
   (``gdc/metadata/PROJECT.json``), so ``--offline`` (or ``MIRMODULES_OFFLINE=1``) assembles from
   a filled cache without the network; offline with an empty cache is one message and exit 2.
4. ``MIRMODULES_GDC_API`` replaces the API's address (a mirror; the tests' loopback server).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mirmodules.exceptions import InputDataError
from mirmodules.inputs.gdc import DEFAULT_SAMPLE_TYPES, GdcCohort

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_API", "GdcProject", "api_url", "download_file", "fetch_project", "tcga_cohort"]

DEFAULT_API = "https://api.gdc.cancer.gov"
#: Environment variable that replaces :data:`DEFAULT_API`.
API_ENV = "MIRMODULES_GDC_API"
FILE_FIELDS = ("file_id", "file_name", "md5sum", "file_size", "data_type", "data_category",
               "analysis.workflow_type", "cases.submitter_id", "cases.project.project_id",
               "cases.samples.submitter_id", "cases.samples.sample_type")
CASE_FIELDS = ("submitter_id", "demographic.vital_status", "demographic.days_to_death",
               "diagnoses.days_to_last_follow_up")
PAGE_SIZE = 1000
TIMEOUT = (15, 120)  # seconds: connect, read
ATTEMPTS = 3
_PROJECT = re.compile(r"[A-Z0-9][A-Z0-9_.]*-[A-Z0-9_.-]{1,60}")  # PROGRAM-PROJECT


def api_url() -> str:
    """The GDC API's address: ``MIRMODULES_GDC_API``, else :data:`DEFAULT_API`."""
    return (os.environ.get(API_ENV) or DEFAULT_API).rstrip("/")


def _in(field: str, values: Sequence[str]) -> dict[str, Any]:
    return {"op": "in", "content": {"field": field, "value": list(values)}}


def files_filter(project: str) -> dict[str, Any]:
    """The ``/files`` filter: the project's open STAR counts and miRNA isoform files."""
    return {"op": "and", "content": [
        _in("cases.project.project_id", [project]),
        _in("access", ["open"]),
        {"op": "or", "content": [
            {"op": "and", "content": [_in("data_type", ["Gene Expression Quantification"]),
                                      _in("analysis.workflow_type", ["STAR - Counts"])]},
            _in("data_type", ["Isoform Expression Quantification"]),
        ]},
    ]}


def cases_filter(project: str) -> dict[str, Any]:
    """The ``/cases`` filter: the project's cases."""
    return _in("project.project_id", [project])


def _session() -> Any:
    import requests

    from mirmodules._versions import mirmodules_version

    session = requests.Session()
    session.headers["User-Agent"] = f"mirmodules/{mirmodules_version()}"
    return session


def _search(session: Any, url: str, filters: dict[str, Any], fields: Sequence[str]) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    while True:
        body = {"filters": filters, "fields": ",".join(fields), "format": "JSON", "size": PAGE_SIZE,
                "from": len(hits)}
        response = session.post(url, json=body, timeout=TIMEOUT)
        if response.status_code != 200:
            msg = (f"The GDC API answered {response.status_code} to {url}: {response.text[:200]!r}. Check "
                   "the project id, or try again later.")
            raise InputDataError(msg)
        try:
            data = response.json()["data"]
            page = list(data["hits"])
        except (ValueError, KeyError, TypeError) as exc:
            msg = f"{url} did not answer like the GDC API (no data.hits in its JSON: {exc})."
            raise InputDataError(msg) from exc
        hits.extend(page)
        total = int((data.get("pagination") or {}).get("total", len(hits)))
        if not page or len(hits) >= total:
            return hits


def hits_to_sample_sheet(hits: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """``/files`` hits -> a sample sheet with the portal's columns, plus ``md5sum`` and ``File Size``."""
    rows = []
    for hit in hits:
        cases = hit.get("cases") or [{}]
        samples = [s for c in cases for s in (c.get("samples") or [])]
        rows.append({
            "File ID": hit.get("file_id", ""), "File Name": hit.get("file_name", ""),
            "Data Category": hit.get("data_category", ""), "Data Type": hit.get("data_type", ""),
            "Project ID": ", ".join(sorted({(c.get("project") or {}).get("project_id", "") for c in cases})),
            "Case ID": ", ".join(sorted({c.get("submitter_id", "") for c in cases})),
            "Sample ID": ", ".join(s.get("submitter_id", "") for s in samples),
            "Sample Type": ", ".join(s.get("sample_type", "") for s in samples),
            "md5sum": hit.get("md5sum", ""), "File Size": hit.get("file_size", ""),
        })
    columns = ["File ID", "File Name", "Data Category", "Data Type", "Project ID", "Case ID", "Sample ID",
               "Sample Type", "md5sum", "File Size"]
    return pd.DataFrame(rows, columns=columns).sort_values("File ID").reset_index(drop=True)


@dataclass(frozen=True)
class GdcProject:
    """A project's file and case metadata (as the API gave it, or from the cache)."""

    project: str
    api: str
    files: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    data_release: str
    fetched: str
    from_cache: bool


def _cache_root(cache: str | Path | None) -> Path:
    from mirmodules.inputs.reference import cache_dir

    return cache_dir(cache) / "gdc"


def _write_json(path: Path, record: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _check_project(project: str) -> str:
    if not _PROJECT.fullmatch(project):
        hint = f" (did you mean TCGA-{project.upper()}?)" if re.fullmatch(r"[A-Za-z]{2,5}", project) else ""
        msg = (f"{project!r} is not a GDC project id{hint}: a program and a project in upper case, e.g. "
               "TCGA-BRCA; the list: https://portal.gdc.cancer.gov/projects.")
        raise InputDataError(msg)
    return project


def fetch_project(project: str, *, cache: str | Path | None = None, offline: bool = False,
                  session: Any = None) -> GdcProject:
    """The metadata of ``project``: from the API (and then cached), or from the cache when
    ``offline`` or when the API cannot be reached (with a warning).

    Raises
    ------
    InputDataError
        Offline (or no network) without cached metadata; the API refuses the query; the project
        has no open STAR-counts or isoform files.
    """
    import requests

    _check_project(project)
    path = _cache_root(cache) / "metadata" / f"{project}.json"
    base = api_url()
    if not offline:
        session = session or _session()
        try:
            files = _search(session, f"{base}/files", files_filter(project), FILE_FIELDS)
            cases = _search(session, f"{base}/cases", cases_filter(project), CASE_FIELDS)
            release = ""
            try:
                status = session.get(f"{base}/status", timeout=TIMEOUT)
                release = str(status.json().get("data_release", "")) if status.status_code == 200 else ""
            except (requests.RequestException, ValueError):
                pass
        except requests.RequestException as exc:
            if not path.is_file():
                msg = (f"Cannot reach the GDC API at {base} ({network_reason(exc)}) and nothing for "
                       f"{project} is cached in {path.parent.parent}. Check the network and run again, or "
                       "download the files elsewhere (GDC Data Portal or gdc-client, with the sample "
                       "sheet) and build the cohort with: mirmodules data assemble --sample-sheet SHEET "
                       "--files DIR --out DIR")
                raise InputDataError(msg) from exc
            logger.warning("cannot reach the GDC API at %s (%s); using the metadata of %s cached in %s",
                           base, network_reason(exc), project, path)
        else:
            if not files:
                msg = (f"The GDC has no open STAR-Counts or miRNA isoform files for project {project} "
                       f"({base}); check the project id (e.g. TCGA-BRCA).")
                raise InputDataError(msg)
            record: dict[str, Any] = {
                "project": project, "api": base, "fetched": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "data_release": release, "files": files, "cases": cases}
            _write_json(path, record)
            logger.info("GDC %s: %d files, %d cases (%s)", project, len(files), len(cases), release or base)
            return GdcProject(project, base, files, cases, release, record["fetched"], from_cache=False)
    if not path.is_file():
        msg = (f"No GDC metadata for {project} in the cache {path.parent.parent} and offline mode is on; "
               f"run once with network access: mirmodules data tcga {project} --out DIR"
               + (f" --cache {cache}" if cache is not None else ""))
        raise InputDataError(msg)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return GdcProject(project, str(record["api"]), list(record["files"]), list(record["cases"]),
                          str(record.get("data_release", "")), str(record["fetched"]), from_cache=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = (f"{path}: the cached GDC metadata is damaged ({exc}); delete it and run again with network "
               "access.")
        raise InputDataError(msg) from exc


def network_reason(exc: BaseException) -> str:
    """A short reason for a failed request, without the HTTP library's retry and pool details.

    >>> network_reason(OSError("HTTPSConnectionPool(host='x', port=443): Max retries exceeded (Caused "
    ...                        "by NameResolutionError: Failed to resolve 'x')"))
    'the host name could not be resolved: no network or no DNS'
    >>> network_reason(TimeoutError("read timed out"))
    'the connection timed out'
    """
    text = str(exc).lower()
    no_name = "the host name could not be resolved: no network or no DNS"
    for needle, reason in (("resolve", no_name), ("name or service not known", no_name),
                           ("refused", "the connection was refused"),
                           ("timed out", "the connection timed out"),
                           ("unreachable", "the network is unreachable"),
                           ("ssl", "a secure connection could not be made (SSL)")):
        if needle in text:
            return reason
    return type(exc).__name__


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(session: Any, url: str, dest: Path, *, md5: str, size: int | None = None,
                  name: str = "", attempts: int = ATTEMPTS) -> Path:
    """Download ``url`` to ``dest`` through ``.dest.part``, resuming a cut transfer with HTTP
    ``Range`` (up to ``attempts`` tries; a ``.part`` left by an earlier run is resumed too), then
    check ``size`` and ``md5`` and move it into place.

    Raises
    ------
    InputDataError
        The transfer fails ``attempts`` times (the ``.part`` file is kept for the next run), the
        server refuses the file, or the MD5 differs (the download is deleted).
    """
    import requests
    import urllib3

    name = name or dest.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.part")
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        have = part.stat().st_size if part.exists() else 0
        if size is not None and have > size:
            part.unlink()
            have = 0
        if size is not None and have == size and have > 0:
            break
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with session.get(url, headers=headers, stream=True, timeout=TIMEOUT) as response:
                if response.status_code == 416 and have:  # nothing after `have`: start again
                    part.unlink()
                    continue
                if response.status_code not in (200, 206):
                    msg = (f"The GDC answered {response.status_code} for {name} ({url}): "
                           f"{response.text[:200]!r}.")
                    raise InputDataError(msg)
                mode = "ab" if response.status_code == 206 and have else "wb"
                with part.open(mode) as handle:
                    # read1: one read at a time, so what arrived before a cut is kept for the resume
                    # (iter_content drops a partial block)
                    for block in iter(lambda: response.raw.read1(1 << 20), b""):
                        handle.write(block)
        except (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError,
                TimeoutError) as exc:  # the network's errors; a full disk is not retried
            last = exc
            got = part.stat().st_size if part.exists() else 0
            logger.warning("download of %s cut after %d bytes (%s, try %d of %d); resuming", name, got,
                           type(exc).__name__, attempt, attempts)
            continue
        got = part.stat().st_size
        if size is None or got >= size:
            break
        last = OSError(f"{got} of {size} bytes")
        logger.warning("download of %s ended after %d of %d bytes (try %d of %d); resuming", name, got, size,
                       attempt, attempts)
    else:
        msg = (f"Download of {name} from {url} failed {attempts} times ({type(last).__name__}: {last}); the "
               f"part already downloaded ({part}) is kept and the next run resumes it. Check the network and "
               "run again.")
        raise InputDataError(msg)
    actual = _md5(part)
    if actual != md5.lower() or (size is not None and part.stat().st_size != size):
        part.unlink(missing_ok=True)
        msg = (f"Download of {name} from {url} has MD5 {actual}, but the GDC lists {md5}; the download was "
               "deleted. Run the command again; if it fails again, the GDC changed the file (re-run without "
               "--offline to refresh the metadata).")
        raise InputDataError(msg)
    os.replace(part, dest)
    return dest


def tcga_cohort(
    project: str,
    *,
    cache: str | Path | None = None,
    offline: bool | None = None,
    max_files: int | None = None,
    gene_types: str = "protein_coding",
    sample_types: Sequence[str] = DEFAULT_SAMPLE_TYPES,
    progress: bool = False,
) -> tuple[GdcCohort, dict[str, Any]]:
    """Query the GDC for ``project``, download what the rules choose, and assemble the cohort.

    Returns the cohort and its source record (API, project, data release, cache, downloads) for
    ``manifest.json``.
    """
    from mirmodules._progress import Progress
    from mirmodules.inputs.gdc import _plan, assemble_cohort, clinical_from_cases, normalise_sample_sheet
    from mirmodules.inputs.reference import _offline_default

    offline = _offline_default() if offline is None else offline
    if max_files is not None and max_files < 2:
        msg = f"--max-files must be at least 2 (one mRNA and one miRNA file); got {max_files}."
        raise InputDataError(msg)
    session = None if offline else _session()
    meta = fetch_project(project, cache=cache, offline=offline, session=session)
    sheet = normalise_sample_sheet(hits_to_sample_sheet(meta.files), source=f"GDC files of {project}")
    types = tuple(str(t).zfill(2) for t in sample_types)
    plan = _plan(sheet, types)
    root = _cache_root(cache) / "files"
    sizes = {h.get("file_id"): h.get("file_size") for h in meta.files}
    downloaded = 0

    def ensure(file_id: str, file_name: str) -> Path:
        nonlocal downloaded
        dest = root / file_id / file_name
        if dest.is_file():
            return dest
        if offline or session is None:
            msg = (f"{file_name} (file id {file_id}) of {project} is not in the cache {root} and offline "
                   "mode is on; run once with network access (without --offline).")
            raise InputDataError(msg)
        row = sheet.index[sheet["file_id"] == file_id][0]
        size = sizes.get(file_id)
        download_file(session, f"{api_url()}/data/{file_id}", dest, md5=str(sheet.at[row, "md5"]),
                      size=int(size) if isinstance(size, int | float | str) and str(size).isdigit() else None,
                      name=f"{file_name} ({file_id})")
        downloaded += 1
        return dest

    first: list[tuple[str, str]] = []
    for patient in plan.patients:
        if max_files is not None and len(first) + 2 > max_files:
            break
        for row in (patient.samples[0].mrna[0], patient.samples[0].mirna[0]):
            first.append((sheet.at[row, "file_id"], sheet.at[row, "file_name"]))
    missing = [(i, n) for i, n in first if not (root / i / n).is_file()]
    if missing and offline:
        msg = (f"{len(missing)} of the {len(first)} files needed for {project} are not in the cache {root} "
               "and offline mode is on; run once with network access (the same --max-files, or none).")
        raise InputDataError(msg)
    if missing:
        bar = Progress(f"downloading {project}", len(missing), "files", enabled=progress, logger=logger)
        try:
            for file_id, file_name in missing:
                ensure(file_id, file_name)
                bar.update()
        finally:
            bar.close()
    clinical = clinical_from_cases(meta.cases, source=f"GDC cases of {project}") if meta.cases else None
    locate: Callable[[str, str], Path] = ensure
    cohort = assemble_cohort(sheet, locate, gene_types=gene_types, sample_types=types, clinical=clinical,
                             max_files=max_files, progress=progress)
    source = {"api": meta.api, "project": project, "data_release": meta.data_release,
              "metadata_fetched": meta.fetched, "metadata_from_cache": meta.from_cache,
              "cache": str(root.parent), "files_found": len(meta.files), "files_downloaded": downloaded}
    return cohort, source
