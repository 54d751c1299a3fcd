"""Hints that fit the user's mistake: orientation, TCGA barcodes, Firehose ids, months read as
days, a GMT given as --families, miRTarBase's own .xlsx, and no hint naming a flag that does
not exist (issue: "hints that mislead")."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from _shared import input_args

from mirmodules import InputDataError
from mirmodules.cli import main
from mirmodules.config import MicaConfig
from mirmodules.evaluation.survival import read_clinical
from mirmodules.exceptions import DataQualityWarning
from mirmodules.inputs.identifiers import split_symbol_entrez
from mirmodules.inputs.io import read_interactions
from mirmodules.inputs.prepared import prepare_inputs

SAMPLES = [f"S{i}" for i in range(8)]


def _tables(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    mirna = pd.DataFrame(rng.normal(size=(4, 8)), index=[f"hsa-miR-{i}" for i in range(4)], columns=SAMPLES)
    mrna = pd.DataFrame(rng.normal(size=(6, 8)), index=[f"G{i}" for i in range(6)], columns=SAMPLES)
    pairs = pd.DataFrame({"mirna": ["hsa-miR-0", "hsa-miR-1"], "target": ["G0", "G1"]})
    return mirna, mrna, pairs


def _message(mirna, mrna, pairs, orientation="features_x_samples") -> str:
    with pytest.raises(InputDataError) as info:
        prepare_inputs(
            mirna,
            mrna,
            pairs,
            config=MicaConfig(orientation=orientation),
            names=("mir.tsv", "mrna.tsv", "pairs.tsv"),
        )
    return str(info.value)


def test_one_transposed_file_is_named_and_the_flag_is_not_suggested():
    mirna, mrna, pairs = _tables(np.random.default_rng(0))
    text = _message(mirna, mrna.T, pairs)
    assert "row ids of mrna.tsv" in text and "transpose that file alone" in text
    assert "pass --orientation" not in text


def test_both_transposed_suggests_the_flag():
    mirna, mrna, pairs = _tables(np.random.default_rng(1))
    text = _message(mirna.T, mrna.T, pairs)
    assert "pass --orientation samples_x_features" in text


def test_flag_given_but_only_one_file_transposed_says_drop_the_flag():
    mirna, mrna, pairs = _tables(np.random.default_rng(2))
    # as read with the flag: both transposed, so the right miRNA file now looks transposed
    text = _message(mirna.T, mrna, pairs, orientation="samples_x_features")
    assert "drop the flag and transpose mrna.tsv alone" in text
    text = _message(mirna.T, mrna.T, pairs, orientation="samples_x_features")
    assert "drop the flag" in text and "pass --orientation" not in text


def test_tcga_barcodes_that_differ_after_the_sample_are_explained():
    mirna, mrna, pairs = _tables(np.random.default_rng(3))
    barcodes = [f"TCGA-02-{i:04d}-01A" for i in range(8)]
    mirna.columns = [b + "-01R-0177-13" for b in barcodes]
    mrna.columns = [b + "-11R-1850-01" for b in barcodes]
    text = _message(mirna, mrna, pairs)
    assert "first 16 characters" in text and "TCGA-02-0000-01A" in text
    assert "--orientation" not in text


def test_firehose_symbol_entrez_ids_are_keyed_by_symbol():
    frame = pd.DataFrame(
        {"s1": [5.0, 1.0, 2.0, 3.0], "s2": [6.0, 1.0, 2.0, 4.0]},
        index=["TP53|7157", "?|100130426", "SLC35E2|728661", "SLC35E2|9906"],
    )
    with pytest.warns(DataQualityWarning, match=r"4 of 4 row ids are SYMBOL\|ENTREZ") as record:
        out, counts = split_symbol_entrez(frame, what="mrna.tsv")
    assert "1 id(s) without a symbol" in str(record[0].message)
    assert list(out.index) == ["TP53", "SLC35E2"]
    assert out.loc["SLC35E2"].tolist() == [5.0, 6.0]  # counts: summed
    assert counts == {
        "mrna_ids_symbol_entrez": 4,
        "mrna_ids_without_symbol": 1,
        "mrna_rows_merged_by_symbol": 1,
    }
    symbols = pd.DataFrame({"s1": [1.0]}, index=["TP53"])
    assert split_symbol_entrez(symbols)[0] is symbols  # plain symbols: untouched, no warning


def test_firehose_ids_reach_the_interactions_through_prepare_inputs():
    mirna, mrna, pairs = _tables(np.random.default_rng(4))
    mrna.index = [f"{g}|{100 + i}" for i, g in enumerate(mrna.index)]
    with pytest.warns(DataQualityWarning, match="SYMBOL"):
        prepared = prepare_inputs(mirna, mrna, pairs)
    assert set(prepared.interactions["target"]) == {"G0", "G1"}
    assert prepared.counts["mrna_ids_symbol_entrez"] == 6


def test_months_in_the_column_name_are_converted_and_short_days_warned(tmp_path, caplog):
    rows = "".join(f"P{i}\t{12 * (i + 1)}\t{i % 2}\n" for i in range(12))
    months = tmp_path / "clin_months.tsv"
    months.write_text("sample\tos_time_months\tos_event\n" + rows)
    table = read_clinical(months, time_column="os_time_months")
    assert table["os_time_days"].iloc[0] == pytest.approx(12 * 365.25 / 12)
    days = tmp_path / "clin_days.tsv"
    days.write_text("sample\tos_time_days\tos_event\n" + rows)
    with caplog.at_level(logging.WARNING, logger="mirmodules"):
        table = read_clinical(days)
    assert table["os_time_days"].iloc[0] == 12  # not changed
    assert "longest time in 'os_time_days' is 144, short for days" in caplog.text
    caplog.clear()
    days.write_text("sample\tos_time_days\tos_event\n" + rows.replace("\t12\t", "\t3000\t"))
    with caplog.at_level(logging.WARNING, logger="mirmodules"):
        read_clinical(days)
    assert "short for days" not in caplog.text


def test_a_gmt_given_as_families_names_gene_sets(tmp_path):
    from mirmodules.inputs.annotations import read_families

    gmt = tmp_path / "pathways.txt"
    gmt.write_text("GO_A\thttp://go/A\tTP53\tMYC\tEGFR\nGO_B\thttp://go/B\tKRAS\n")
    with pytest.raises(InputDataError, match=r"looks like a GMT gene-set file.*--gene-sets"):
        read_families(gmt)
    named = tmp_path / "fam.gmt"
    named.write_text("F1\tx\thsa-miR-1\n")
    with pytest.raises(InputDataError, match="GMT"):
        read_families(named)


def test_mirtarbase_xlsx_is_read_as_interactions(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "hsa_MTI.xlsx"
    pd.DataFrame(
        {
            "miRTarBase ID": ["MIRT1", "MIRT2", "MIRT3"],
            "miRNA": ["hsa-miR-21-5p", "hsa-let-7a-5p", "hsa-miR-21-5p"],
            "Target Gene": ["PTEN", "NA", "PTEN"],
            "Support Type": ["Functional MTI", "Functional MTI (Weak)", "Functional MTI (Weak)"],
        }
    ).to_excel(path, index=False)
    table = read_interactions(path)
    assert table.table[["mirna", "target"]].values.tolist() == [
        ["hsa-let-7a-5p", "NA"],
        ["hsa-miR-21-5p", "PTEN"],
    ]
    assert read_interactions(path, evidence="strong").table["target"].tolist() == ["PTEN"]


def test_a_tsv_named_xlsx_is_read_as_a_tsv(tmp_path):
    path = tmp_path / "pairs.xlsx"
    path.write_text("mirna\ttarget\nhsa-miR-1\tG1\n")  # a TSV under the wrong name reads as a TSV
    assert read_interactions(path).table["target"].tolist() == ["G1"]


def test_cli_families_gmt_exits_2(tmp_path, capsys, small_cohort):
    paths = small_cohort.write(tmp_path / "cohort")
    run = tmp_path / "run"
    assert main(["-q", "run", *input_args(paths), "--out", str(run), "--max-epochs", "2"]) == 0
    gmt = tmp_path / "sets.gmt"
    gmt.write_text("T1\tna\tG1\tG2\n")
    code = main(["-q", "evaluate", str(run), "--families", str(gmt), "--out", str(tmp_path / "ev")])
    assert code == 2
    assert "--gene-sets" in capsys.readouterr().err
    assert not (tmp_path / "ev").exists()
