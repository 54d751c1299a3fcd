from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError, read_expression, read_interactions
from mirmodules.inputs.io import sha256_of


def _write(path, text):
    path.write_text(text)
    return path


def test_read_expression_tsv_features_by_samples(tmp_path):
    path = _write(tmp_path / "e.tsv", "id\tS1\tS2\nA\t1\t2.5\nB\tNA\t4\n")
    frame = read_expression(path)
    assert list(frame.index) == ["A", "B"]
    assert list(frame.columns) == ["S1", "S2"]
    assert frame.loc["A", "S2"] == 2.5
    assert np.isnan(frame.loc["B", "S1"])


def test_read_expression_csv_gz_and_transposed_orientation_agree(tmp_path):
    tsv = _write(tmp_path / "e.tsv", "id\tS1\tS2\tS3\nA\t1\t2\t3\nB\t4\t5\t6\n")
    gz = tmp_path / "t.csv.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write("sample,A,B\nS1,1,4\nS2,2,5\nS3,3,6\n")
    pd.testing.assert_frame_equal(read_expression(tsv),
                                  read_expression(gz, orientation="samples_x_features"))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(InputDataError, match=r"not found: .*nope\.tsv"):
        read_expression(tmp_path / "nope.tsv", what="miRNA expression")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("e.tsv", "id\tS1\tS2\nA\t1\t2\nA\t3\t4\n", r"duplicated feature id\(s\), e.g. 'A'"),
        ("e.csv", "id,S1,S1\nA,1,2\n", "duplicated sample id"),
        ("e.tsv", "id\tS1\tS2\nA\t1\t2\nB\t3\tabc\n", r"'abc' in row 'B', column 'S2' is not a number"),
        ("e.tsv", "id;S1;S2\nA;1;2\n", "separator"),
        ("e.tsv", "id\tS1\n", "no data rows"),
    ],
    ids=["duplicated_features", "duplicated_samples", "non_numeric", "wrong_separator", "no_rows"],
)
def test_bad_expression_files_name_the_problem(tmp_path, name, text, message):
    path = _write(tmp_path / name, text)
    with pytest.raises(InputDataError, match=message) as err:
        read_expression(path)
    assert str(path) in str(err.value)


def test_interactions_our_columns_deduplicated(tmp_path):
    path = _write(tmp_path / "i.tsv", "mirna\ttarget\nm1\tg1\nm1\tg1\nm2\tg2\n\tg3\n")
    table = read_interactions(path)
    assert table.table[["mirna", "target"]].values.tolist() == [["m1", "g1"], ["m2", "g2"]]
    assert table.n_duplicates == 1
    assert table.n_empty_ids == 1
    assert table.n_rows_read == 4


MIRTARBASE = (
    "miRTarBase ID,miRNA,Species (miRNA),Target Gene,Target Gene (Entrez Gene ID),"
    "Species (Target Gene),Experiments,Support Type,References (PMID)\n"
    "MIRT1,hsa-miR-1-3p,Homo sapiens,G1,1,Homo sapiens,Luciferase,Functional MTI,1\n"
    "MIRT1,hsa-miR-1-3p,Homo sapiens,G1,1,Homo sapiens,CLIP,Functional MTI (Weak),2\n"
    "MIRT2,hsa-miR-2-5p,Homo sapiens,G2,2,Homo sapiens,CLIP,Functional MTI (Weak),3\n"
    "MIRT3,hsa-miR-3-5p,Homo sapiens,G3,3,Homo sapiens,Luciferase,Non-Functional MTI,4\n"
)


@pytest.mark.parametrize(
    ("evidence", "pairs", "n_filtered"),
    [("all", 3, 0), ("functional", 2, 1), ("strong", 1, 3)],
)
def test_mirtarbase_columns_and_evidence_levels(tmp_path, evidence, pairs, n_filtered):
    path = _write(tmp_path / "hsa_MTI.csv", MIRTARBASE)
    table = read_interactions(path, evidence=evidence)
    assert len(table.table) == pairs
    assert table.n_evidence_filtered == n_filtered
    if evidence == "all":
        # the duplicated pair keeps its strongest label
        row = table.table[table.table.mirna == "hsa-miR-1-3p"].iloc[0]
        assert row.support_type == "Functional MTI"


def test_interactions_without_columns_show_rename_hint(tmp_path):
    path = _write(tmp_path / "i.tsv", "a\tb\nm1\tg1\n")
    with pytest.raises(InputDataError, match="rename"):
        read_interactions(path)


def test_evidence_filter_needs_an_evidence_column(tmp_path):
    path = _write(tmp_path / "i.tsv", "mirna\ttarget\nm1\tg1\n")
    with pytest.raises(InputDataError, match="no evidence column"):
        read_interactions(path, evidence="strong")


def test_sha256_matches_hashlib(tmp_path):
    import hashlib

    path = _write(tmp_path / "x.txt", "hello\n")
    assert sha256_of(path) == hashlib.sha256(b"hello\n").hexdigest()
