"""GDC downloads to mirmodules inputs: ``data assemble`` and ``data tcga`` (loopback GDC API).

The fixture files follow the GDC's formats (see the docstring of mirmodules.inputs.gdc for the
sources): STAR "augmented gene counts" with the '# gene-model' line and the four N_* rows, isoform
quantification with every miRNA_region type, the portal's sample sheet and clinical.tsv ('--).
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError
from mirmodules.cli import main
from mirmodules.evaluation.survival import read_clinical
from mirmodules.exceptions import DataQualityWarning
from mirmodules.inputs import gdc_api
from mirmodules.inputs.gdc import assemble_from_folder, read_isoform_counts, read_star_counts
from mirmodules.inputs.io import read_expression
from mirmodules.store.cohort_folder import write_count_matrix

STAR_HEADER = ("gene_id\tgene_name\tgene_type\tunstranded\tstranded_first\tstranded_second\t"
               "tpm_unstranded\tfpkm_unstranded\tfpkm_uq_unstranded")
GENES = [("ENSG00000000001.5", "AAA1", "protein_coding"), ("ENSG00000000002.3", "BBB2", "protein_coding"),
         ("ENSG00000000003.1", "CCC3", "lncRNA"), ("ENSG00000000004.2", "DDD4", "protein_coding"),
         ("ENSG00000000004.2_PAR_Y", "DDD4", "protein_coding")]
ISOFORM_HEADER = ("miRNA_ID\tisoform_coords\tread_count\treads_per_million_miRNA_mapped\tcross-mapped\t"
                  "miRNA_region")
PRECURSOR_HEADER = "miRNA_ID\tread_count\treads_per_million_miRNA_mapped\tcross-mapped"


def star_text(counts: list[int], *, genes=GENES, model: str = "GENCODE v36") -> str:
    lines = [f"# gene-model: {model}", STAR_HEADER]
    for name, value in zip(("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous"), (900, 80, 70, 60),
                           strict=True):
        lines.append(f"{name}\t\t\t{value}\t{value + 1}\t{value + 2}\t\t\t")
    for (gid, name, gtype), c in zip(genes, counts, strict=True):
        lines.append(f"{gid}\t{name}\t{gtype}\t{c}\t{c // 2}\t{c - c // 2}\t{c * 1.5:.4f}\t{c * 0.5:.4f}\t"
                     f"{c * 0.7:.4f}")
    return "\n".join(lines) + "\n"


def isoform_text(rows: list[tuple[str, str, int, str]]) -> str:
    lines = [ISOFORM_HEADER]
    for k, (mirna, region, count, cross) in enumerate(rows):
        coords = f"hg38:chr9:{94175961 + k}-{94175982 + k}:+"
        lines.append(f"{mirna}\t{coords}\t{count}\t{count * 1.7:.6f}\t{cross}\t{region}")
    return "\n".join(lines) + "\n"


# one isoform file with every region type: two isoforms of let-7a-5p on let-7a-1, one (cross-mapped)
# on let-7a-2, miR-21-5p, and star/precursor/stemloop/unannotated reads of mir-21 that are not mature
ISO_P1 = isoform_text([
    ("hsa-let-7a-1", "mature,MIMAT0000062", 4, "N"), ("hsa-let-7a-1", "mature,MIMAT0000062", 6, "N"),
    ("hsa-let-7a-2", "mature,MIMAT0000062", 5, "Y"), ("hsa-mir-21", "mature,MIMAT0000076", 20, "N"),
    ("hsa-mir-21", "star", 3, "N"), ("hsa-mir-21", "precursor", 2, "N"), ("hsa-mir-21", "stemloop", 1, "N"),
    ("hsa-mir-21", "unannotated", 9, "N"),
])
ISO_P3 = isoform_text([("hsa-mir-21", "mature,MIMAT0000076", 7, "N"),
                       ("hsa-mir-21", "mature,MIMAT0004494", 2, "N")])
ISO_OTHER = isoform_text([("hsa-mir-21", "mature,MIMAT0000076", 99, "N")])
ISO_P5 = isoform_text([("hsa-let-7a-3", "mature,MIMAT0000062", 8, "N"),
                       ("hsa-let-7a-3", "precursor", 4, "N")])
PRECURSOR_P5 = PRECURSOR_HEADER + "\nhsa-let-7a-3\t12\t100.0\tN\nhsa-mir-21\t0\t0\tN\n"

GEQ, IEQ, MEQ = ("Gene Expression Quantification", "Isoform Expression Quantification",
                 "miRNA Expression Quantification")
SUFFIX = {GEQ: "rna_seq.augmented_star_gene_counts.tsv", IEQ: "mirbase21.isoforms.quantification.txt",
          MEQ: "mirbase21.mirnas.quantification.txt"}
TYPE_NAMES = {"01": "Primary Tumor", "06": "Metastatic", "11": "Solid Tissue Normal"}


def gdc_file(file_id: str, data_type: str, sample: str, content: str, layout: str = "flat") -> tuple:
    """(file id, file name, data type, case, sample, sample type, content, layout) of one file."""
    name = f"{file_id}.{SUFFIX.get(data_type, 'wxs.aliquot_ensemble_masked.maf.gz')}"
    return (file_id, name, data_type, sample[:12], sample, TYPE_NAMES[sample[13:15]], content, layout)


P1, P2, P3, P4, P5 = (f"TCGA-AA-000{i}" for i in range(1, 6))
FILES = [
    gdc_file("f1m", GEQ, f"{P1}-01A", star_text([10, 0, 5, 7, 3]), "subfolder"),
    gdc_file("f1i", IEQ, f"{P1}-01A", ISO_P1),
    gdc_file("f1n", GEQ, f"{P1}-11A", star_text([1, 1, 1, 1, 1])),  # a normal sample
    gdc_file("f1o", IEQ, f"{P1}-11A", ISO_OTHER),
    gdc_file("f1x", "Masked Somatic Mutation", f"{P1}-01A", "maf", "none"),  # another data type
    gdc_file("f2m", GEQ, f"{P2}-06A", star_text([2, 2, 2, 2, 2])),  # a metastasis
    gdc_file("f2i", IEQ, f"{P2}-06A", ISO_OTHER),
    # patient 3: two mRNA aliquots of 01A (f3a kept: lowest file id), and a second vial 01B
    gdc_file("f3b", GEQ, f"{P3}-01A", star_text([50, 50, 50, 50, 50]), "gzip"),
    gdc_file("f3a", GEQ, f"{P3}-01A", star_text([1, 2, 3, 4, 0]), "gzip"),
    gdc_file("f3c", IEQ, f"{P3}-01A", ISO_P3, "subfolder"),
    gdc_file("f3d", GEQ, f"{P3}-01B", star_text([9, 9, 9, 9, 9])),
    gdc_file("f3e", IEQ, f"{P3}-01B", ISO_OTHER),
    gdc_file("f4m", GEQ, f"{P4}-01A", star_text([4, 4, 4, 4, 4])),  # patient 4: mRNA only
    # patient 5: isoform and precursor-level files; the isoform file is used
    gdc_file("f5m", GEQ, f"{P5}-01A", star_text([0, 8, 1, 0, 0])),
    gdc_file("f5i", IEQ, f"{P5}-01A", ISO_P5),
    gdc_file("f5p", MEQ, f"{P5}-01A", PRECURSOR_P5),
]
SAMPLES = ["TCGA-AA-0001-01A", "TCGA-AA-0003-01A", "TCGA-AA-0005-01A"]
# hand-computed: protein-coding genes, DDD4 = ENSG..04 + its PAR_Y copy
MRNA = pd.DataFrame({"TCGA-AA-0001-01A": [10, 0, 10], "TCGA-AA-0003-01A": [1, 2, 4],
                     "TCGA-AA-0005-01A": [0, 8, 0]}, index=pd.Index(["AAA1", "BBB2", "DDD4"], name="gene"))
# mature reads only: let-7a-5p 4 + 6 + 5 in P1, 8 in P5; miR-21-5p 20 in P1, 7 in P3; miR-21-3p 2 in P3
MIRNA = pd.DataFrame({"TCGA-AA-0001-01A": [15, 20, 0], "TCGA-AA-0003-01A": [0, 7, 2],
                      "TCGA-AA-0005-01A": [8, 0, 0]},
                     index=pd.Index(["MIMAT0000062", "MIMAT0000076", "MIMAT0004494"], name="mirna"))
REASONS = {"f1m": ("kept", ""), "f1i": ("kept", ""), "f1n": ("dropped", "sample_type"),
           "f1o": ("dropped", "sample_type"), "f1x": ("dropped", "data_type"),
           "f2m": ("dropped", "sample_type"), "f2i": ("dropped", "sample_type"), "f3a": ("kept", ""),
           "f3b": ("dropped", "duplicate_aliquot"),
           "f3c": ("kept", ""), "f3d": ("dropped", "other_sample"), "f3e": ("dropped", "other_sample"),
           "f4m": ("dropped", "missing_modality"), "f5m": ("kept", ""), "f5i": ("kept", ""),
           "f5p": ("dropped", "precursor_level")}
CLINICAL_TSV = (
    "case_id\tcase_submitter_id\tproject_id\tvital_status\tdays_to_death\tdays_to_last_follow_up\ttreatment_type\n"
    "u1\tTCGA-AA-0001\tTCGA-XX\tDead\t400\t'--\tRadiation\n"
    "u1\tTCGA-AA-0001\tTCGA-XX\tDead\t400\t'--\tPharmaceutical\n"
    "u3\tTCGA-AA-0003\tTCGA-XX\tAlive\t'--\t120\tRadiation\n"
    "u3\tTCGA-AA-0003\tTCGA-XX\tAlive\t'--\t365\tPharmaceutical\n"
    "u5\tTCGA-AA-0005\tTCGA-XX\tNot Reported\t'--\t'--\t'--\n"
)
CLINICAL = pd.DataFrame({"sample": SAMPLES, "os_time_days": [400, 365, None], "os_event": [1, 0, None]})


def write_download(root: Path, files=FILES, *, sheet_name: str = "gdc_sample_sheet.tsv") -> tuple[Path, Path]:
    """The files as gdc-client or a portal download leaves them, and the portal's sample sheet."""
    folder = root / "download"
    folder.mkdir(parents=True, exist_ok=True)
    for file_id, name, *_, text, layout in files:
        if layout == "subfolder":
            (folder / file_id).mkdir(exist_ok=True)
            (folder / file_id / name).write_text(text)
        elif layout == "gzip":
            (folder / f"{name}.gz").write_bytes(gzip.compress(text.encode()))
        elif layout == "flat":
            (folder / name).write_text(text)
    sheet = pd.DataFrame([(f[0], f[1], "Transcriptome Profiling", f[2], "TCGA-XX", f[3], f[4], f[5])
                          for f in files],
                         columns=["File ID", "File Name", "Data Category", "Data Type", "Project ID",
                                  "Case ID", "Sample ID", "Sample Type"])
    sheet_path = root / sheet_name
    sheet.to_csv(sheet_path, sep="\t", index=False)
    return sheet_path, folder


def read_matrix(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", index_col=0)


def assemble(tmp_path: Path, *extra: str, files=FILES) -> Path:
    sheet, folder = write_download(tmp_path, files)
    out = tmp_path / "cohort"
    assert main(["-q", "data", "assemble", "--sample-sheet", str(sheet), "--files", str(folder),
                 "--out", str(out), *extra]) == 0
    return out


def test_assemble_gives_the_hand_computed_matrices_and_says_why_each_file_went(tmp_path, capsys):
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text(CLINICAL_TSV)
    out = assemble(tmp_path, "--clinical", str(clinical))
    pd.testing.assert_frame_equal(read_matrix(out / "mrna.tsv.gz"), MRNA, check_dtype=False)
    pd.testing.assert_frame_equal(read_matrix(out / "mirna.tsv.gz"), MIRNA, check_dtype=False)
    samples = pd.read_csv(out / "samples.tsv", sep="\t", keep_default_na=False).set_index("file_id")
    assert {f: (samples.at[f, "status"], samples.at[f, "reason"]) for f in samples.index} == REASONS
    assert "TCGA-AA-0003-01A has 2 mRNA files; f3a was kept" in samples.at["f3b", "detail"]
    assert "sample type 11 (Solid Tissue Normal)" in samples.at["f1n", "detail"]
    assert "sample type 06 (Metastatic)" in samples.at["f2m", "detail"]
    assert "sample TCGA-AA-0003-01A was kept" in samples.at["f3d", "detail"]
    assert samples.at["f4m", "detail"] == "sample TCGA-AA-0004-01A has no miRNA isoform file"
    manifest = json.loads((out / "manifest.json").read_text())
    md5 = {f["file_id"]: f["md5"] for f in manifest["files"]}
    assert md5["f1m"] == hashlib.md5(star_text([10, 0, 5, 7, 3]).encode()).hexdigest()
    assert md5["f1n"] is None  # not read: a normal sample
    assert manifest["gene_model"] == "GENCODE v36" and manifest["mirna_level"] == "mature"
    assert manifest["counts"]["mrna_rows_merged_by_symbol"] == 1
    assert manifest["counts"]["mirna_reads_by_region"] == {
        "mature": 35 + 9 + 8, "star": 3, "precursor": 2 + 4, "stemloop": 1, "unannotated": 9, "other": 0}
    assert manifest["command"].startswith("mirmodules data assemble --sample-sheet")
    assert manifest["inputs"]["sample_sheet"]["resolved"].endswith("gdc_sample_sheet.tsv")
    gene_map = pd.read_csv(out / "gene_map.tsv", sep="\t").set_index("gene_id")
    par_y = gene_map.loc["ENSG00000000004.2_PAR_Y", ["symbol", "kept", "ids_in_row"]]
    assert par_y.tolist() == ["DDD4", "yes", 2]
    assert gene_map.loc["ENSG00000000003.1", "kept"] == "no"
    pd.testing.assert_frame_equal(pd.read_csv(out / "clinical.tsv", sep="\t"), CLINICAL, check_dtype=False)
    usable = read_clinical(out / "clinical.tsv")  # the reader `evaluate --clinical` uses
    assert usable["sample"].tolist() == SAMPLES[:2]
    assert "3 samples (one per patient): 3 genes" in capsys.readouterr().out


def test_gene_types_all_keeps_every_type_and_sums_duplicate_symbols(tmp_path):
    out = assemble(tmp_path, "--gene-types", "all")
    mrna = read_matrix(out / "mrna.tsv.gz")
    assert mrna.index.tolist() == ["AAA1", "BBB2", "CCC3", "DDD4"]
    assert mrna.loc["CCC3"].tolist() == [5, 3, 1] and mrna.loc["DDD4"].tolist() == [10, 4, 0]


def test_sample_types_can_take_metastases(tmp_path):
    out = assemble(tmp_path, "--sample-types", "01,06")
    columns = read_matrix(out / "mrna.tsv.gz").columns.tolist()
    assert columns == [*SAMPLES[:1], "TCGA-AA-0002-06A", *SAMPLES[1:]]


def test_the_output_is_read_as_it_is_and_the_writer_round_trips(tmp_path):
    out = assemble(tmp_path)
    for name, expected in (("mrna.tsv.gz", MRNA), ("mirna.tsv.gz", MIRNA)):
        frame = read_expression(out / name)
        np.testing.assert_array_equal(frame.to_numpy(), expected.to_numpy())
        assert frame.columns.tolist() == SAMPLES
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.integers(0, 10**9, (40, 7)), np.zeros((3, 7), int), np.full((1, 7), 10**9)])
    matrix = pd.DataFrame(values, index=pd.Index([f"g{i}" for i in range(44)], name="gene"),
                          columns=[f"s{j}" for j in range(7)])
    write_count_matrix(tmp_path / "m.tsv.gz", matrix)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "m.tsv.gz", sep="\t", index_col=0), matrix)
    first = (tmp_path / "m.tsv.gz").read_bytes()
    write_count_matrix(tmp_path / "m.tsv.gz", matrix)
    assert (tmp_path / "m.tsv.gz").read_bytes() == first  # no time stamp: reproducible bytes
    assert first[4:8] == bytes(4)  # the gzip header's time field, even when the clock moves on
    with pytest.raises(ValueError, match=r"^write_count_matrix takes non-negative counts only\.$"):
        write_count_matrix(tmp_path / "neg.tsv.gz", -matrix)


def test_readers_on_the_spec_examples():
    star = read_star_counts(star_text([10, 0, 5, 7, 3]).encode())
    assert star.gene_model == "GENCODE v36"
    assert star.summary == {"N_unmapped": 900, "N_multimapping": 80, "N_noFeature": 70, "N_ambiguous": 60}
    assert star.genes["unstranded"].tolist() == [10, 0, 5, 7, 3]
    reads, regions = read_isoform_counts(gzip.compress(ISO_P1.encode()))
    assert reads.to_dict() == {"MIMAT0000062": 15, "MIMAT0000076": 20}
    assert regions == {"mature": 35, "precursor": 2, "star": 3, "stemloop": 1, "unannotated": 9}


def test_the_fast_readers_agree_with_the_line_by_line_ones():
    from mirmodules.inputs.gdc import _fast_star, _layout, _read_isoforms, _read_star

    rng = np.random.default_rng(7)
    first = star_text([1, 2, 3, 4, 5]).encode()
    star = _read_star(first, "first")
    layout = _layout(first, star, np.array([0, 1, 3, 4]))
    assert layout.fast
    for _ in range(5):
        counts = rng.integers(0, 10**int(rng.integers(1, 12)), len(GENES)).tolist()
        data = star_text(counts).encode()
        np.testing.assert_array_equal(_fast_star(data, layout), np.array(counts)[[0, 1, 3, 4]])
    renamed = star_text([1, 2, 3, 4, 5]).replace("BBB2", "BBX2").encode()  # same length, other bytes
    assert _fast_star(renamed, layout) is None
    not_a_number = star_text([1, 2, 3, 4, 5]).replace("\t4\t2\t2\t", "\t4x\t2\t2\t").encode()
    assert _fast_star(not_a_number, layout) is None
    windows = ISO_P1.replace("\n", "\r\n").encode()  # line by line
    assert _read_isoforms(windows, "crlf")[0].equals(_read_isoforms(ISO_P1.encode(), "lf")[0])


# the CLI shows Python warnings as log lines (stderr, manifest.json) when they are not errors
@pytest.mark.filterwarnings("always::mirmodules.exceptions.DataQualityWarning")
def test_an_unreadable_aliquot_is_dropped_and_the_next_one_used(tmp_path, capsys):
    files = [list(f) for f in FILES]
    for f in files:
        if f[0] == "f3a":  # cut in the middle of a line, gzipped
            f[6] = f[6][: len(f[6]) - 40]
    out = assemble(tmp_path, files=[tuple(f) for f in files])
    assert "DataQualityWarning: 1 file(s) could not be read" in capsys.readouterr().err
    assert "f3a" in json.loads((out / "manifest.json").read_text())["warnings"][0]
    samples = pd.read_csv(out / "samples.tsv", sep="\t", keep_default_na=False).set_index("file_id")
    assert samples.at["f3a", "reason"] == "unreadable" and samples.at["f3b", "status"] == "kept"
    assert read_matrix(out / "mrna.tsv.gz")["TCGA-AA-0003-01A"].tolist() == [50, 50, 100]


def test_star_files_in_another_gene_order_are_aligned(tmp_path):
    files = [list(f) for f in FILES]
    order = [3, 4, 0, 2, 1]
    for f in files:
        if f[0] == "f5m":  # same genes, another order: read by gene id
            f[6] = star_text([[0, 8, 1, 0, 0][i] for i in order], genes=[GENES[i] for i in order])
    out = assemble(tmp_path, files=[tuple(f) for f in files])
    pd.testing.assert_frame_equal(read_matrix(out / "mrna.tsv.gz"), MRNA, check_dtype=False)


@pytest.mark.filterwarnings("always::mirmodules.exceptions.DataQualityWarning")
def test_precursor_level_only_when_no_sample_has_an_isoform_file(tmp_path, capsys):
    files = [f for f in FILES if f[2] != IEQ]
    files += [gdc_file("f1p", MEQ, f"{P1}-01A", PRECURSOR_HEADER + "\nhsa-let-7a-1\t30\t1.0\tN\n"
                                                                  "hsa-mir-21\t5\t1.0\tY\n")]
    out = assemble(tmp_path, files=files)
    assert "miRNA counts are per precursor" in capsys.readouterr().err
    mirna = read_matrix(out / "mirna.tsv.gz")
    assert mirna.index.name == "precursor"
    assert mirna.to_dict() == {"TCGA-AA-0001-01A": {"hsa-let-7a-1": 30, "hsa-let-7a-3": 0, "hsa-mir-21": 5},
                               "TCGA-AA-0005-01A": {"hsa-let-7a-1": 0, "hsa-let-7a-3": 12, "hsa-mir-21": 0}}


@pytest.mark.filterwarnings("always::mirmodules.exceptions.DataQualityWarning")
def test_a_precursor_only_sample_in_a_mature_cohort_is_dropped_with_a_warning(tmp_path):
    files = [f for f in FILES if f[0] != "f5i"]
    sheet, folder = write_download(tmp_path, files)
    with pytest.warns(DataQualityWarning, match="1 sample.* only a precursor-level miRNA file"):
        cohort = assemble_from_folder(sheet, folder)
    assert cohort.mirna.columns.tolist() == SAMPLES[:2]
    out = assemble(tmp_path, files=files)
    samples = pd.read_csv(out / "samples.tsv", sep="\t", keep_default_na=False).set_index("file_id")
    assert samples.at["f5m", "reason"] == "missing_modality"
    assert "precursor-level" in samples.at["f5m", "detail"]
    assert read_matrix(out / "mirna.tsv.gz").columns.tolist() == SAMPLES[:2]


def test_clinical_from_the_cases_json(tmp_path):
    cases = [{"submitter_id": "TCGA-AA-0001", "demographic": {"vital_status": "Dead", "days_to_death": 400}},
             {"submitter_id": "TCGA-AA-0003", "demographic": {"vital_status": "Alive", "days_to_death": None},
              "diagnoses": [{"days_to_last_follow_up": 120}, {"days_to_last_follow_up": 365}]},
             {"submitter_id": "TCGA-AA-0005", "demographic": {"vital_status": "Alive"},
              "diagnoses": [{"days_to_last_follow_up": -3}]}]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"data": {"hits": cases}}))
    out = assemble(tmp_path, "--clinical", str(path))
    clinical = pd.read_csv(out / "clinical.tsv", sep="\t")
    expected = CLINICAL.assign(os_event=[1, 0, 0])  # alive, but a negative follow-up time is NA
    pd.testing.assert_frame_equal(clinical, expected, check_dtype=False)
    assert json.loads((out / "manifest.json").read_text())["counts"]["clinical"]["negative_time"] == 1


BAD_STAR = "gene_id\tgene_name\tcount\nENSG00000000001.5\tAAA1\t3\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("sheet_columns", r"not a GDC sample sheet: column\(s\) \['Case ID', 'Sample ID'\] missing"),
        ("manifest", r"looks like a gdc-client manifest"),
        ("missing_file", r"1 of the 11 files .* are not in .*f5m.rna_seq.augmented_star_gene_counts.tsv "
                         r"\(f5m\)"),
        ("star_header", r"f1m.rna_seq.augmented_star_gene_counts.tsv \(file id f1m\): not a GDC STAR "
                        r"gene-count file"),
        ("isoform_is_precursor", r"f1i.* not a miRNA isoform quantification file: it is a precursor-level"),
        ("gene_model", r"f5m.*gene model 'GENCODE v22', while the first STAR file .* one GDC data release"),
        ("gene_list", r"f5m.*differ from those of the first STAR file .* one GDC data release"),
        ("gene_types", r"--gene-types protein_codng: \['protein_codng'\] is not a gene type"),
    ],
)
def test_bad_input_exits_2_naming_the_file_and_writes_nothing(tmp_path, capsys, change, message):
    sheet, folder = write_download(tmp_path)
    extra: list[str] = []
    if change == "sheet_columns":
        table = pd.read_csv(sheet, sep="\t").drop(columns=["Case ID", "Sample ID"])
        table.to_csv(sheet, sep="\t", index=False)
    elif change == "manifest":
        sheet.write_text("id\tfilename\tmd5\tsize\tstate\nf1m\tf1m.tsv\tabc\t10\treleased\n")
    elif change == "missing_file":
        (folder / "f5m.rna_seq.augmented_star_gene_counts.tsv").unlink()
    elif change == "star_header":
        (folder / "f1m" / "f1m.rna_seq.augmented_star_gene_counts.tsv").write_text(BAD_STAR)
    elif change == "isoform_is_precursor":
        (folder / "f1i.mirbase21.isoforms.quantification.txt").write_text(PRECURSOR_P5)
    elif change == "gene_model":  # the same genes under another release's label
        (folder / "f5m.rna_seq.augmented_star_gene_counts.tsv").write_text(
            star_text([1, 2, 3, 4, 5], model="GENCODE v22"))
    elif change == "gene_list":
        genes = [(g.replace(".", "9."), n, t) for g, n, t in GENES]
        star = star_text([1, 2, 3, 4, 5], genes=genes)
        (folder / "f5m.rna_seq.augmented_star_gene_counts.tsv").write_text(star)
    elif change == "gene_types":
        extra = ["--gene-types", "protein_codng"]
    out = tmp_path / "cohort"
    code = main(["-q", "data", "assemble", "--sample-sheet", str(sheet), "--files", str(folder),
                 "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("mirmodules data: error: ") and err.count("\n") == 1
    assert __import__("re").search(message, err), err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cohort")]  # no half-written folder


def test_an_existing_folder_is_replaced_only_with_overwrite(tmp_path, capsys):
    out = assemble(tmp_path)
    sheet, folder = tmp_path / "gdc_sample_sheet.tsv", tmp_path / "download"
    args = ["-q", "data", "assemble", "--sample-sheet", str(sheet), "--files", str(folder), "--out", str(out)]
    assert main(args) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0


# --- the GDC API on loopback ------------------------------------------------------------------------


def _hit(f) -> dict:
    file_id, name, data_type, case, sample, sample_type, text, _ = f
    body = text.encode()
    return {"file_id": file_id, "file_name": name, "md5sum": hashlib.md5(body).hexdigest(),
            "file_size": len(body),
            "data_type": data_type, "data_category": "Transcriptome Profiling",
            "analysis": {"workflow_type": "STAR - Counts" if data_type == GEQ else "BCGSC miRNA Profiling"},
            "cases": [{"submitter_id": case, "project": {"project_id": "TCGA-XX"},
                       "samples": [{"submitter_id": sample, "sample_type": sample_type}]}]}


API_FILES = [f for f in FILES if f[2] in (GEQ, IEQ)]
NAMES = {f[0]: f[1] for f in FILES}
CASES = [{"submitter_id": "TCGA-AA-0001", "demographic": {"vital_status": "Dead", "days_to_death": 400}},
         {"submitter_id": "TCGA-AA-0003", "demographic": {"vital_status": "Alive"},
          "diagnoses": [{"days_to_last_follow_up": 365}]}]


class _Api(http.server.BaseHTTPRequestHandler):
    log: list[tuple[str, str, str]] = []  # noqa: RUF012 (method, path, Range header)
    hits: list[dict] = []  # noqa: RUF012
    bodies: dict[str, bytes] = {}  # noqa: RUF012
    cut: set[str] = set()  # noqa: RUF012 (file ids whose first transfer breaks off)

    def _json(self, record: dict) -> None:
        body = json.dumps(record).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).log.append(("POST", self.path, ""))
        if self.path == "/files":
            filters = json.dumps(request["filters"])
            assert "TCGA-XX" in filters and "STAR - Counts" in filters
            hits = [h for h in type(self).hits if h["cases"][0]["project"]["project_id"] in filters]
        elif self.path == "/cases":
            hits = CASES
        else:
            self.send_error(404)
            return
        start, size = int(request["from"]), int(request["size"])
        page = {"total": len(hits), "from": start, "size": size}
        self._json({"data": {"hits": hits[start:start + size], "pagination": page}, "warnings": {}})

    def do_GET(self) -> None:
        type(self).log.append(("GET", self.path, self.headers.get("Range", "")))
        if self.path == "/status":
            self._json({"data_release": "Data Release 99.0 (loopback)", "status": "OK"})
            return
        file_id = self.path.removeprefix("/data/")
        body = type(self).bodies.get(file_id)
        if body is None:
            self.send_error(404)
            return
        offset = int(self.headers.get("Range", "bytes=0-")[6:].split("-")[0])
        if file_id in type(self).cut:  # announce the whole file, send half, hang up
            type(self).cut.discard(file_id)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_response(206 if offset else 200)
        if offset:
            self.send_header("Content-Range", f"bytes {offset}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - offset))
        self.end_headers()
        self.wfile.write(body[offset:])

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gdc(tmp_path, monkeypatch):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Api.log, _Api.cut = [], set()
    _Api.hits = [_hit(f) for f in API_FILES]
    _Api.bodies = {f[0]: f[6].encode() for f in API_FILES}
    monkeypatch.setenv("MIRMODULES_GDC_API", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("MIRMODULES_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MIRMODULES_OFFLINE", raising=False)
    monkeypatch.setattr(gdc_api, "PAGE_SIZE", 4)  # several pages
    yield _Api
    httpd.shutdown()
    httpd.server_close()


def tcga(tmp_path: Path, name: str, *extra: str) -> tuple[int, Path]:
    out = tmp_path / name
    return main(["-q", "data", "tcga", "TCGA-XX", "--out", str(out), *extra]), out


def downloads(api) -> list[str]:
    return [path.removeprefix("/data/") for method, path, _ in api.log if path.startswith("/data/")]


def test_data_tcga_gives_the_same_matrices_and_downloads_only_what_is_used(gdc, tmp_path):
    code, out = tcga(tmp_path, "cohort")
    assert code == 0
    pd.testing.assert_frame_equal(read_matrix(out / "mrna.tsv.gz"), MRNA, check_dtype=False)
    pd.testing.assert_frame_equal(read_matrix(out / "mirna.tsv.gz"), MIRNA, check_dtype=False)
    assert sorted(downloads(gdc)) == ["f1i", "f1m", "f3a", "f3c", "f5i", "f5m"]  # no normals, no duplicates
    assert [p for m, p, _ in gdc.log if m == "POST"].count("/files") == 4  # 13 hits, pages of 4
    clinical = pd.read_csv(out / "clinical.tsv", sep="\t")
    assert clinical.values.tolist()[:2] == [["TCGA-AA-0001-01A", 400, 1], ["TCGA-AA-0003-01A", 365, 0]]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["data_release"] == "Data Release 99.0 (loopback)"
    assert manifest["source"]["files_downloaded"] == 6
    assert {f["file_id"]: f["md5"] for f in manifest["files"]}["f1m"] == gdc.hits[0]["md5sum"]
    assert (tmp_path / "cache" / "gdc" / "files" / "f1m" / NAMES["f1m"]).is_file()


def test_a_download_cut_mid_file_resumes_with_a_range_request(gdc, tmp_path, caplog):
    gdc.cut = {"f1m"}
    code, out = tcga(tmp_path, "cohort")
    assert code == 0
    ranges = [r for _, path, r in gdc.log if path == "/data/f1m"]
    size = len(gdc.bodies["f1m"])
    assert ranges == ["", f"bytes={size // 2}-"]
    pd.testing.assert_frame_equal(read_matrix(out / "mrna.tsv.gz"), MRNA, check_dtype=False)
    assert "download of f1m.rna_seq.augmented_star_gene_counts.tsv (f1m) cut" in caplog.text
    # a part left by an earlier run is resumed too
    cached = tmp_path / "cache" / "gdc" / "files" / "f1i" / NAMES["f1i"]
    cached.unlink()
    cached.with_name(f".{cached.name}.part").write_bytes(gdc.bodies["f1i"][:100])
    assert tcga(tmp_path, "again")[0] == 0
    assert [r for _, path, r in gdc.log if path == "/data/f1i"][-1] == "bytes=100-"
    assert cached.read_bytes() == gdc.bodies["f1i"]


def test_a_wrong_md5_is_refused_naming_the_file(gdc, tmp_path, capsys):
    gdc.hits[1]["md5sum"] = "0" * 32  # f1i
    code, out = tcga(tmp_path, "cohort")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "f1i.mirbase21.isoforms.quantification.txt (f1i)" in err and "the GDC lists 000" in err
    assert not out.exists()
    assert not list((tmp_path / "cache" / "gdc" / "files" / "f1i").iterdir())  # the bad download is gone


def test_offline_with_a_filled_cache_needs_no_network(gdc, tmp_path, capsys):
    assert tcga(tmp_path, "first")[0] == 0
    served = len(gdc.log)
    code, out = tcga(tmp_path, "second", "--offline")
    assert code == 0 and len(gdc.log) == served
    pd.testing.assert_frame_equal(read_matrix(out / "mirna.tsv.gz"), MIRNA, check_dtype=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["metadata_from_cache"] is True and manifest["source"]["files_downloaded"] == 0
    cached = tmp_path / "cache" / "gdc" / "files" / "f3c" / NAMES["f3c"]
    cached.write_bytes(cached.read_bytes().replace(b"\t7\t", b"\t8\t"))  # changed after the download
    assert tcga(tmp_path, "third", "--offline")[0] == 2
    err = capsys.readouterr().err
    assert f"{NAMES['f3c']} (file id f3c)" in err and "differs from the GDC's" in err


def test_offline_or_no_network_with_an_empty_cache_is_one_clear_message(gdc, tmp_path, capsys, monkeypatch):
    code, out = tcga(tmp_path, "cohort", "--offline")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and gdc.log == []
    assert "No GDC metadata for TCGA-XX in the cache" in err and "run once with network access" in err
    monkeypatch.setenv("MIRMODULES_GDC_API", "http://127.0.0.1:9")  # nothing listens there
    code, out = tcga(tmp_path, "cohort")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "Cannot reach the GDC API at http://127.0.0.1:9 (the connection was refused)" in err
    assert "mirmodules data assemble --sample-sheet" in err and "Pool" not in err and not out.exists()


def test_max_files_takes_whole_patients_in_barcode_order(gdc, tmp_path):
    code, out = tcga(tmp_path, "cohort", "--max-files", "4")
    assert code == 0
    assert read_matrix(out / "mrna.tsv.gz").columns.tolist() == SAMPLES[:2]
    assert sorted(downloads(gdc)) == ["f1i", "f1m", "f3a", "f3c"]
    samples = pd.read_csv(out / "samples.tsv", sep="\t", keep_default_na=False).set_index("file_id")
    assert samples.at["f5m", "reason"] == "max_files"


# --- the output runs as it is -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")
@pytest.mark.filterwarnings("ignore::mirmodules.exceptions.DataQualityWarning")  # random counts
def test_mirmodules_run_takes_the_output_as_it_is(tmp_path, capsys):
    rng = np.random.default_rng(3)
    genes = [(f"ENSG{i:011d}.1", f"G{i}", "protein_coding") for i in range(40)]
    mirnas = [f"MIMAT{i:07d}" for i in range(1, 13)]
    files = []
    for p in range(16):
        case = f"TCGA-BB-{p:04d}"
        counts = rng.negative_binomial(5, 0.05, len(genes)).tolist()
        iso = isoform_text([(f"hsa-mir-{k}", f"mature,{m}", int(rng.integers(1, 500)), "N")
                            for k, m in enumerate(mirnas)])
        files += [(f"m{p:02d}", f"m{p:02d}.rna_seq.augmented_star_gene_counts.tsv", GEQ, case, f"{case}-01A",
                   "Primary Tumor", star_text(counts, genes=genes), "subfolder"),
                  (f"i{p:02d}", f"i{p:02d}.mirbase21.isoforms.quantification.txt", IEQ, case, f"{case}-01A",
                   "Primary Tumor", iso, "subfolder")]
    out = assemble(tmp_path, files=files)
    mirbase = tmp_path / "mature.tsv"
    pd.DataFrame({"mature_id": [f"hsa-miR-{k}-5p" for k in range(12)], "mature_acc": mirnas}).to_csv(
        mirbase, sep="\t", index=False)
    interactions = tmp_path / "interactions.tsv"
    pd.DataFrame({"mirna": [f"hsa-miR-{k % 12}-5p" for k in range(60)],
                  "target": [f"G{(k * 7) % 40}" for k in range(60)]}).drop_duplicates().to_csv(
        interactions, sep="\t", index=False)
    run = tmp_path / "run"
    code = main(["-q", "run", "--mirna", str(out / "mirna.tsv.gz"), "--mrna", str(out / "mrna.tsv.gz"),
                 "--interactions", str(interactions), "--mirbase", str(mirbase), "--out", str(run),
                 "--max-epochs", "2", "--max-steps", "5", "--k-max", "4", "--kmeans-runs", "1",
                 "--coassociation-runs", "5", "--seed", "0"])  # cheap settings: the data are the point
    assert code == 0, capsys.readouterr().err
    assert (run / "modules.tsv").is_file()


def test_assemble_from_folder_api_and_missing_folder(tmp_path):
    sheet, folder = write_download(tmp_path)
    cohort = assemble_from_folder(sheet, folder)
    pd.testing.assert_frame_equal(cohort.mirna, MIRNA, check_dtype=False)
    with pytest.raises(InputDataError, match="not a folder"):
        assemble_from_folder(sheet, tmp_path / "nope")


def test_save_cohort_records_what_it_wrote_in_the_manifest(tmp_path, caplog):
    import logging

    from mirmodules.store.cohort_folder import save_cohort

    sheet, folder = write_download(tmp_path)
    cohort = assemble_from_folder(sheet, folder)
    with caplog.at_level(logging.INFO, logger="mirmodules.store.cohort_folder"):
        out = save_cohort(cohort, tmp_path / "cohort", command="mirmodules data assemble x",
                          inputs={"sample_sheet": sheet, "clinical": None}, source={"api": "loopback"})
    assert f"wrote {out}" in caplog.messages
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "mirmodules data assemble x"  # a string is kept as it is
    assert manifest["inputs"] == {"sample_sheet": {"path": str(sheet), "resolved": str(sheet.resolve())}}
    assert manifest["source"] == {"api": "loopback"}
    assert manifest["parameters"] == json.loads(json.dumps(cohort.parameters)) and manifest["parameters"]
    assert manifest["rules"] == cohort.rules and manifest["warnings"] == list(cohort.warnings)
    assert manifest["outputs"] == {
        "mrna.tsv.gz": {"rows": MRNA.shape[0], "samples": MRNA.shape[1], "ids": "gene symbols"},
        "mirna.tsv.gz": {"rows": MIRNA.shape[0], "samples": MIRNA.shape[1],
                         "ids": "miRBase accessions (MIMAT)"},
        "clinical.tsv": None}
    assert not (out / "clinical.tsv").exists()
    assert [f["file_id"] for f in manifest["files"]] == cohort.samples["file_id"].tolist()
    listed = save_cohort(cohort, tmp_path / "again", command=["mirmodules", "data", "assemble", "a b"])
    assert json.loads((listed / "manifest.json").read_text())["command"] == "mirmodules data assemble 'a b'"


def test_the_gdc_page_uses_existing_commands_and_flags():
    import re

    from test_readme import _check_flags  # the README's rule for shell blocks

    page = Path(__file__).resolve().parents[1] / "docs" / "gdc.md"
    blocks = re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert _check_flags("docs/gdc.md", blocks) >= 6


@pytest.mark.parametrize("cut", ["last_field", "no_mature"])
def test_an_isoform_file_cut_in_its_last_field_or_without_mature_reads_is_not_a_zero_column(cut):
    """A file cut inside its last field leaves a row whose region reads 'm' (not a GDC value);
    read as it stands, the sample would be an all-zero miRNA column."""
    from mirmodules.inputs.gdc import _read_isoforms, _Unreadable

    text = ISO_P1.rstrip("\n")
    if cut == "last_field":
        text = text[: text.rindex("\t") + 2]  # '...\tm'
        match = "does not write"
    else:
        text = "\n".join(line for line in text.split("\n") if "mature," not in line)
        match = "no read on a mature miRNA"
    with pytest.raises(_Unreadable, match=match):
        _read_isoforms((text + "\n").encode(), "cut")
