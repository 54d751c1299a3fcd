"""Reference data fetch, tested against an HTTP server on loopback (no internet needed).

The server serves small fixtures; the registry points at it through MIRMODULES_DATA_REGISTRY.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from mirmodules import InputDataError, load_mirbase_tables
from mirmodules.cli import main
from mirmodules.inputs import io as inputs_io
from mirmodules.inputs import reference
from mirmodules.inputs.annotations import read_gene_sets
from mirmodules.inputs.io import read_interactions
from mirmodules.inputs.reference import REFERENCES, fetch, list_references, resolve

MATURE_FA = (">hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p\nUGAGGUAGUAGGUUGUAUAGUU\n"
             ">hsa-miR-21-5p MIMAT0000076 Homo sapiens miR-21-5p\nUAGCUUAUCAGACUGAUGUUGA\n"
             ">hsa-miR-21-3p MIMAT0004494 Homo sapiens miR-21-3p\nCAACACCAGUCGAUGGGCUGU\n")
ALIASES = "MIMAT0000062\thsa-let-7a;hsa-let-7a-5p;\nMIMAT0000076\thsa-miR-21;hsa-miR-21-5p;\n"
INTERACTIONS = "mirna\ttarget\nhsa-miR-21-5p\tPTEN\nhsa-let-7a-5p\tKRAS\n"
GMT = "apoptosis\t\tBAX\tBCL2\tCASP3\ncell cycle\t\tCDK1\tCCNB1\tTP53\n"
# TargetScan 7.x Summary_Counts (default predictions): its 17 columns, one row per transcript,
# miRNA family and species
SUMMARY_COUNTS_HEADER = [
    "Transcript ID", "Gene Symbol", "miRNA family", "Species ID", "Total num conserved sites",
    "Number of conserved 8mer sites", "Number of conserved 7mer-m8 sites",
    "Number of conserved 7mer-1a sites", "Total num nonconserved sites",
    "Number of nonconserved 8mer sites", "Number of nonconserved 7mer-m8 sites",
    "Number of nonconserved 7mer-1a sites", "Number of 6mer sites", "Representative miRNA",
    "Total context++ score", "Cumulative weighted context++ score", "Aggregate PCT",
]
SUMMARY_COUNTS = "\t".join(SUMMARY_COUNTS_HEADER) + "\n" + "".join(
    "\t".join(row) + "\n" for row in [
        # two transcripts of PTEN for one family: the more negative score (-0.52) is kept
        ["ENST00000371953.3", "PTEN", "AGCUUAU", "9606", "2", "1", "1", "0", "0", "0", "0", "0", "1",
         "hsa-miR-21-5p", "-0.41", "-0.35", "0.81"],
        ["ENST00000688308.1", "PTEN", "AGCUUAU", "9606", "1", "1", "0", "0", "1", "0", "1", "0", "0",
         "hsa-miR-21-5p", "-0.60", "-0.52", "0.77"],
        ["ENST00000371953.3", "PTEN", "AGCACCA", "9606", "1", "0", "1", "0", "0", "0", "0", "0", "0",
         "hsa-miR-29a-3p", "-0.12", "-0.1", "0.42"],
        # mouse: dropped
        ["ENSMUST00000013807.8", "Pten", "AGCUUAU", "10090", "2", "2", "0", "0", "0", "0", "0", "0", "0",
         "mmu-miR-21a-5p", "-0.70", "-0.66", "0.90"],
        # no score: dropped
        ["ENST00000256078.4", "KRAS", "GAGGUAG", "9606", "3", "1", "2", "0", "0", "0", "0", "0", "0",
         "hsa-let-7a-5p", "NULL", "NULL", "0.95"],
        # no conserved site: dropped
        ["ENST00000333681.4", "BCL2", "AGCAGCA", "9606", "0", "0", "0", "0", "2", "0", "1", "1", "1",
         "hsa-miR-15a-5p", "-0.25", "-0.2", "NULL"],
        ["ENST00000398117.1", "BCL2", "AGCAGCA", "9606", "1", "1", "0", "0", "0", "0", "0", "0", "0",
         "hsa-miR-16-5p", "-0.66", "-0.61", "0.88"],
        # an isomiR name is kept as written (the run's reader merges the suffix)
        ["ENST00000377970.2", "MYC", "ACAGUAC", "9606", "1", "0", "0", "1", "0", "0", "0", "0", "0",
         "hsa-miR-101-3p.1", "-0.30", "-0.28", "0.61"],
        # a positive score (no predicted repression): dropped
        ["ENST00000265734.4", "CDK6", "GGCAGUG", "9606", "1", "0", "0", "1", "0", "0", "0", "0", "0",
         "hsa-miR-34a-5p", "0.02", "0.012", "0.30"],
    ])
SUMMARY_COUNTS_EXPECTED = pd.DataFrame({
    "mirna": ["hsa-miR-101-3p.1", "hsa-miR-16-5p", "hsa-miR-21-5p", "hsa-miR-29a-3p"],
    "target": ["MYC", "BCL2", "PTEN", "PTEN"],
    "score": [-0.28, -0.61, -0.52, -0.1],
})


def _zip(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


FILES = {
    "/mature.fa": MATURE_FA.encode(),
    "/aliases.txt.gz": gzip.compress(ALIASES.encode()),
    "/interactions.tsv": INTERACTIONS.encode(),
    "/family.zip": _zip("miR_Family_Info.txt", "miR family\tMiRBase ID\tMiRBase Accession\tSpecies ID\n"
                        "let-7-5p\thsa-let-7a-5p\tMIMAT0000062\t9606\n"),
    "/sets.gmt": GMT.encode(),
    "/summary_counts.zip": _zip("Summary_Counts.default_predictions.txt", SUMMARY_COUNTS),
    "/predicted_no_score.tsv": b"mirna\ttarget\nhsa-miR-21-5p\tPTEN\n",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 (shared log of the test server)

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path == "/truncated.tsv":  # announces 1000 bytes, sends 10, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"mirna\ttarg")
            self.wfile.flush()
            self.close_connection = True
            return
        body = FILES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def sha(path: str) -> str:
    return hashlib.sha256(FILES[path]).hexdigest()


@pytest.fixture
def registry(tmp_path, monkeypatch, server):
    """Write a registry of loopback entries and point mirmodules at it and at an empty cache."""

    def write(*entries: dict) -> Path:
        path = tmp_path / "registry.json"
        path.write_text(json.dumps(list(entries)), encoding="utf-8")
        monkeypatch.setenv("MIRMODULES_DATA_REGISTRY", str(path))
        return path

    monkeypatch.setenv("MIRMODULES_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MIRMODULES_OFFLINE", raising=False)
    return write


def entry(server: str, name: str, path: str, convert: str, role: str, *, pinned: str | None = "auto") -> dict:
    return {"name": name, "title": name, "version": "1", "role": role, "url": server + path,
            "convert": convert, "table_name": f"{name}.tsv.gz",
            "sha256": (sha(path) if path in FILES else None) if pinned == "auto" else pinned}


def test_pinned_download_converts_then_offline_cache_hit(server, registry, tmp_path):
    registry(entry(server, "ints", "/interactions.tsv", "table", "interactions"))
    table = fetch("ints")
    assert table == tmp_path / "cache" / "tables" / "ints.tsv.gz"
    frame = read_interactions(table).table
    assert set(zip(frame["mirna"], frame["target"], strict=True)) == {("hsa-miR-21-5p", "PTEN"),
                                                                         ("hsa-let-7a-5p", "KRAS")}
    assert _Handler.requests == ["/interactions.tsv"]
    assert fetch("ints", offline=True) == table  # cache hit: no request, checksum verified
    assert fetch("ints") == table
    assert _Handler.requests == ["/interactions.tsv"]


def test_a_bad_checksum_is_refused_and_nothing_is_kept(server, registry, tmp_path):
    registry(entry(server, "ints", "/interactions.tsv", "table", "interactions", pinned="0" * 64))
    with pytest.raises(InputDataError, match="does not match its pinned SHA-256 0000"):
        fetch("ints")
    cache = tmp_path / "cache"
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_a_truncated_download_fails_and_leaves_nothing(server, registry, tmp_path):
    registry(entry(server, "cut", "/truncated.tsv", "table", "interactions", pinned=None))
    with pytest.raises(InputDataError, match=r"Download of cut .* failed") as info:
        fetch("cut")
    # `run` has no --offline flag: the hint names what works from every command
    assert "use --offline" not in str(info.value) and "MIRMODULES_OFFLINE=1" in str(info.value)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_offline_without_cache_says_how_to_fetch(registry, server):
    registry(entry(server, "ints", "/interactions.tsv", "table", "interactions"))
    with pytest.raises(InputDataError, match=r"not in the cache .* mirmodules data fetch ints"):
        fetch("ints", offline=True)
    assert _Handler.requests == []


def test_unpinned_checksum_is_recorded_and_checked_afterwards(server, registry, tmp_path):
    registry(entry(server, "ints", "/interactions.tsv", "table", "interactions", pinned=None))
    table = fetch("ints")
    lock = json.loads((tmp_path / "cache" / "sha256.json").read_text())
    assert lock == {"ints@1": sha("/interactions.tsv")}
    assert list_references().set_index("name").loc["ints", "checksum"] == "recorded"
    raw = next((tmp_path / "cache" / "raw").iterdir())
    raw.write_bytes(raw.read_bytes() + b"hsa-miR-1\tX\n")  # the cached download changes afterwards
    with pytest.raises(InputDataError, match="changed after it was fetched"):
        fetch("ints")
    assert table.exists()


def test_converters_give_tables_the_readers_understand(server, registry):
    registry(
        entry(server, "mature", "/mature.fa", "mirbase_fasta_to_table", "mirbase"),
        entry(server, "aliases", "/aliases.txt.gz", "mirbase_aliases_to_table", "mirbase"),
        entry(server, "fam", "/family.zip", "unzip_table", "families"),
        entry(server, "sets", "/sets.gmt", "gmt", "gene_sets"),
    )
    name_map = load_mirbase_tables([fetch("mature"), fetch("aliases"), fetch("fam")])
    assert name_map.canonical["MIMAT0000076"] == "hsa-miR-21-5p"
    assert name_map.name_to_accessions["hsa-miR-21"] == frozenset({"MIMAT0000076"})  # from aliases.txt
    sets = read_gene_sets(fetch("sets"))
    assert sorted(sets.sets) == ["apoptosis", "cell cycle"]
    assert sets.sets["apoptosis"] == frozenset({"BAX", "BCL2", "CASP3"})


def test_a_wrong_format_is_named_and_not_kept_or_trusted(server, registry, tmp_path):
    registry(entry(server, "notfasta", "/interactions.tsv", "mirbase_fasta_to_table", "mirbase", pinned=None),
             entry(server, "notgmt", "/interactions.tsv", "gmt", "gene_sets", pinned=None))
    with pytest.raises(InputDataError, match="not a miRBase mature FASTA"):
        fetch("notfasta")
    with pytest.raises(InputDataError, match=r"expected 'id<TAB>description<TAB>genes\.\.\.'"):
        fetch("notgmt")  # converted as text, then refused by the GMT reader a run would use
    # no table, no download, no recorded checksum
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_resolve_prefers_paths_and_checks_the_role(server, registry, tmp_path):
    registry(entry(server, "ints", "/interactions.tsv", "table", "interactions"))
    local = tmp_path / "ints"
    assert resolve("not-a-reference.tsv", "interactions") == "not-a-reference.tsv"
    local.write_text(INTERACTIONS)
    assert resolve(str(local), "interactions") == str(local)  # an existing file wins over a name
    with pytest.raises(InputDataError, match=r"is interactions .*--interactions.*, not gene map"):
        resolve("ints", "gene_map")
    assert resolve("ints", "interactions").endswith("ints.tsv.gz")


def test_cli_data_list_fetch_and_names_in_place_of_paths(server, registry, tmp_path, capsys):
    registry(entry(server, "ints", "/interactions.tsv", "table", "interactions"))
    assert main(["data", "list"]) == 0
    listing = capsys.readouterr().out
    assert "mirtarbase" in listing and "ints" in listing and "pinned" in listing
    assert main(["data", "fetch", "ints"]) == 0
    assert capsys.readouterr().out.strip().endswith("ints.tsv.gz")
    assert main(["data", "fetch", "nosuch"]) == 2
    assert "Unknown reference 'nosuch'" in capsys.readouterr().err
    code = main(["run", "--mirna", "m.tsv", "--mrna", "g.tsv", "--interactions", "x", "--gene-map", "ints",
                 "--out", str(tmp_path / "run")])
    assert code == 2
    assert "--gene-map ints: the reference 'ints' is interactions" in capsys.readouterr().err


def test_the_builtin_registry_is_complete():
    table = pd.DataFrame([vars(r) for r in REFERENCES.values()])
    assert {"mirtarbase", "mirbase_mature", "mirbase_aliases", "targetscan_families", "hgnc", "go_bp",
            "kegg", "targetscan_predicted"} == set(table["name"])
    assert table["url"].str.startswith("https://").all()
    assert table["version"].str.len().gt(0).all() and table["license"].str.len().gt(0).all()
    roles = {"interactions", "mirbase", "families", "gene_map", "gene_sets", "predicted"}
    assert set(reference.ROLES) == set(reference.ACCEPTS) == roles
    assert reference.ROLES["predicted"] == "--predicted"
    assert set(table["role"]) == roles  # every role has a reference
    assert set(table["convert"]) <= set(reference.CONVERTERS)
    assert table["table_name"].is_unique
    ts = REFERENCES["targetscan_predicted"]
    assert (ts.version, ts.role, ts.convert) == ("7.2", "predicted", "targetscan_summary_counts")
    assert ts.sha256 is None  # recorded on the first download
    assert "/vert_72/" in ts.url and ts.url.endswith("Summary_Counts.default_predictions.txt.zip")


def test_targetscan_summary_counts_becomes_a_predicted_table(server, registry, tmp_path):
    registry(entry(server, "ts", "/summary_counts.zip", "targetscan_summary_counts", "predicted",
                   pinned=None))
    table = fetch("ts")
    pd.testing.assert_frame_equal(pd.read_csv(table, sep="\t"), SUMMARY_COUNTS_EXPECTED)
    # unpinned: the checksum is recorded on the first download
    lock = json.loads((tmp_path / "cache" / "sha256.json").read_text())
    assert lock == {"ts@1": sha("/summary_counts.zip")}
    # the names a run gives: --predicted ts, and no other option
    assert resolve("ts", "predicted") == str(table)
    with pytest.raises(InputDataError, match=r"--interactions ts: the reference 'ts' is predicted \("):
        resolve("ts", "interactions")
    read = inputs_io.read_predicted(table)  # the run's reader takes it: lower scores are stronger
    assert read.direction == "lower" and len(read.table) == len(SUMMARY_COUNTS_EXPECTED)


def test_a_predicted_table_without_its_columns_is_refused(server, registry, tmp_path):
    registry(entry(server, "notts", "/family.zip", "targetscan_summary_counts", "predicted", pinned=None),
             entry(server, "noscore", "/predicted_no_score.tsv", "table", "predicted", pinned=None))
    with pytest.raises(InputDataError, match=r"not a TargetScan Summary_Counts table .*'Gene Symbol'"):
        fetch("notts")
    with pytest.raises(InputDataError, match=r"lacks column\(s\) \['score'\]"):
        fetch("noscore")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
