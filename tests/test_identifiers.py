from __future__ import annotations

import pandas as pd
import pytest
from _shared import shared_file

from mirmodules import InputDataError, harmonise_mirna_ids, load_mirbase_tables
from mirmodules.inputs.identifiers import describe_id_style, summarise_harmonisation


@pytest.fixture
def tables(tmp_path):
    mature = pd.DataFrame({
        "mature_id": ["hsa-miR-21-5p", "hsa-miR-21-3p", "hsa-let-7a-5p", "hsa-let-7a-3p",
                      "hsa-miR-9-5p", "hsa-miR-155-5p", "hsa-miR-155-3p"],
        "mature_acc": ["MIMAT0000076", "MIMAT0004494", "MIMAT0000062", "MIMAT0004481",
                       "MIMAT0000441", "MIMAT0000646", "MIMAT0004658"],
    })
    precursor = pd.DataFrame({
        "precursor_id": ["hsa-mir-21", "hsa-mir-21", "hsa-let-7a-1", "hsa-let-7a-1", "hsa-mir-9-1"],
        "precursor_acc": ["MI0000077", "MI0000077", "MI0000060", "MI0000060", "MI0000466"],
        "mature_id": ["hsa-miR-21", "hsa-miR-21*", "hsa-let-7a", "hsa-let-7a*", "hsa-miR-9"],
        "mature_acc": ["MIMAT0000076", "MIMAT0004494", "MIMAT0000062", "MIMAT0004481",
                       "MIMAT0000441"],
    })
    m, p = tmp_path / "mature.tsv", tmp_path / "precursor.tsv"
    mature.to_csv(m, sep="\t", index=False)
    precursor.to_csv(p, sep="\t", index=False)
    return load_mirbase_tables([p, m])  # order of files does not matter


@pytest.mark.parametrize(
    ("raw", "status", "mapped"),
    [
        ("hsa-miR-21-5p", "exact", ["hsa-miR-21-5p"]),
        ("MIMAT0004494", "accession", ["hsa-miR-21-3p"]),
        ("hsa-miR-21", "alias", ["hsa-miR-21-5p"]),          # old name from the v18-style table
        ("hsa-miR-21*", "alias", ["hsa-miR-21-3p"]),
        ("miR-21-5p", "exact", ["hsa-miR-21-5p"]),           # species prefix added
        ("hsa-mir-21", "precursor", ["hsa-miR-21-3p", "hsa-miR-21-5p"]),
        ("MI0000466", "precursor", ["hsa-miR-9-5p"]),
        # both arms exist and no table has the old name: the older accession (the product the
        # arm-less name meant before miRBase added arm suffixes), and its star the other arm
        ("hsa-miR-155", "arm_dominant", ["hsa-miR-155-5p"]),   # MIMAT0000646 < MIMAT0004658
        ("hsa-miR-155*", "arm_star", ["hsa-miR-155-3p"]),
        ("hsa-MIR-9-5P", "case_insensitive", ["hsa-miR-9-5p"]),
        ("hsa-miR-99999", "unmatched", [""]),
        ("MIMAT9999999", "unmatched", [""]),
    ],
)
def test_each_rule(tables, raw, status, mapped):
    report = harmonise_mirna_ids([raw], tables)
    assert report["status"].unique().tolist() == [status]
    assert sorted(report["mirna"]) == sorted(mapped)


def test_arm_inferred_when_only_one_arm_exists(tmp_path):
    path = tmp_path / "m.tsv"
    pd.DataFrame({"mature_id": ["hsa-miR-7-5p"], "mature_acc": ["MIMAT0000252"]}).to_csv(
        path, sep="\t", index=False)
    report = harmonise_mirna_ids(["hsa-miR-7"], load_mirbase_tables([path]))
    assert report.iloc[0].tolist()[2:4] == ["hsa-miR-7-5p", "arm_inferred"]


def test_dominant_arm_is_the_older_accession_whatever_the_arm(tmp_path):
    path = tmp_path / "m.tsv"
    # miR-221: the 3p arm was named first (MIMAT0000278), the 5p arm later (MIMAT0004568)
    pd.DataFrame({"mature_id": ["hsa-miR-221-5p", "hsa-miR-221-3p"],
                  "mature_acc": ["MIMAT0004568", "MIMAT0000278"]}).to_csv(path, sep="\t", index=False)
    report = harmonise_mirna_ids(["hsa-miR-221", "hsa-miR-221*"], load_mirbase_tables([path]))
    assert report[["input_id", "mirna", "status"]].values.tolist() == [
        ["hsa-miR-221", "hsa-miR-221-3p", "arm_dominant"], ["hsa-miR-221*", "hsa-miR-221-5p", "arm_star"]]


def test_letter_suffix_variants_map_only_when_unique(tmp_path):
    path = tmp_path / "m.tsv"
    pd.DataFrame({"mature_id": ["hsa-miR-103a-3p", "hsa-miR-124-3p", "hsa-miR-320a-3p", "hsa-miR-320b"],
                  "mature_acc": ["MIMAT0000101", "MIMAT0000422", "MIMAT0000510", "MIMAT0005792"]}
                 ).to_csv(path, sep="\t", index=False)
    report = harmonise_mirna_ids(["hsa-miR-103", "hsa-miR-124a", "hsa-miR-320", "hsa-miR-999a"],
                                 load_mirbase_tables([path]))
    assert report[["mirna", "status"]].values.tolist() == [
        ["hsa-miR-103a-3p", "suffix_variant"], ["hsa-miR-124-3p", "suffix_variant"],
        ["hsa-miR-320a-3p", "suffix_variant"], ["", "unmatched"]]


def test_many_dropped_ids_are_warned_about_with_examples(caplog):
    from mirmodules.inputs.prepared import warn_dropped_ids

    report = pd.DataFrame({"input_id": ["a", "b", "c", "d"], "mirna": ["x", "", "", "y"],
                           "status": ["exact", "unmatched", "ambiguous", "exact"]})
    with caplog.at_level("WARNING"):
        warn_dropped_ids(report, what="miRNA ids")
    assert "2 of 4 miRNA ids (50%)" in caplog.text and "e.g. b, c" in caplog.text
    caplog.clear()
    warn_dropped_ids(report.iloc[[0, 3]], what="miRNA ids")
    assert caplog.text == ""


@pytest.mark.realdata
def test_array_era_names_of_the_stategra_gbm_set_are_kept():
    tables = [shared_file("mirbase", "mature_v22_hsa.tsv.gz"),
              shared_file("mirbase", "precursor_to_mature_v18_hsa_with_family.tsv.gz")]
    ids = pd.read_csv(shared_file("stategra_gbm_verhaak", "GBM_mirna_expression.tsv.gz"), sep="\t",
                      usecols=[0]).iloc[:, 0]
    report = harmonise_mirna_ids(ids, load_mirbase_tables(tables)).drop_duplicates("input_id")
    kept = report[~report["status"].isin(["ambiguous", "unmatched"])]
    assert len(ids) == 443 and len(kept) >= 400, report["status"].value_counts()
    mapped = dict(zip(kept["input_id"], kept["mirna"], strict=True))
    assert mapped["hsa-miR-21"] == "hsa-miR-21-5p" and mapped["hsa-let-7a"] == "hsa-let-7a-5p"
    assert mapped["hsa-miR-221"] == "hsa-miR-221-3p" and mapped["hsa-miR-10b"] == "hsa-miR-10b-5p"


def test_without_tables_ids_pass_unchecked():
    from mirmodules import MirnaNameMap

    report = harmonise_mirna_ids(["a", "b"], MirnaNameMap({}, {}, {}))
    assert report["status"].tolist() == ["unchecked", "unchecked"]
    assert report["mirna"].tolist() == ["a", "b"]


def test_summary_counts_ids_once(tables):
    report = harmonise_mirna_ids(["hsa-mir-21", "hsa-miR-155", "MIMAT0000062"], tables, source="x")
    table = summarise_harmonisation(report)
    assert table.columns.tolist() == ["source", "status", "n_ids"] and table.index.tolist() == [0, 1, 2]
    summary = table.set_index("status")["n_ids"].to_dict()
    assert summary == {"accession": 1, "arm_dominant": 1, "precursor": 1}


def test_unknown_table_format_is_rejected(tmp_path):
    path = tmp_path / "weird.tsv"
    path.write_text("x\ty\n1\t2\n")
    with pytest.raises(InputDataError, match="match no known format"):
        load_mirbase_tables([path])


def test_describe_id_style():
    text = describe_id_style(["MIMAT0000062", "MIMAT0000063", "hsa-miR-1-3p"])
    assert text.startswith("MIMAT accessions (2")
    assert "mature names with arm (1" in text


def test_describe_id_style_names_every_style_by_hand():
    ids = ["hsa-miR-21", "MI0000077", "hsa-mir-21", "hsa-let-7a-1", "hsa-miR-21-5p", "hsa-let-7b",
           "MIMAT0000076", "ENSG00000141510", " hsa-miR-9 ", "TP53"]
    assert describe_id_style(ids) == (
        "mature names without arm (3, e.g. 'hsa-miR-21'); precursor names (2, e.g. 'hsa-mir-21'); "
        "other ids (2, e.g. 'ENSG00000141510'); MI (precursor) accessions (1, e.g. 'MI0000077'); "
        "mature names with arm (1, e.g. 'hsa-miR-21-5p'); MIMAT accessions (1, e.g. 'MIMAT0000076')"
    )
    assert describe_id_style([]) == "no ids"


def _write(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, sep="\t", index=False)
    return path


def test_every_mirbase_table_layout_is_read_by_its_columns(tmp_path, caplog):
    import logging

    mature = _write(tmp_path, "mature.tsv", pd.DataFrame({
        "mature_id": ["hsa-miR-21-5p", " hsa-miR-21-3p ", "mmu-miR-21a-5p", "hsa-miR-x"],
        "mature_acc": ["MIMAT0000076", "MIMAT0004494", "MIMAT0000530", "not-an-accession"]}))
    family = _write(tmp_path, "family.tsv", pd.DataFrame({
        "mirna": ["hsa-miR-21-5p", "hsa-miR-9-5p"], "mature_acc": ["MIMAT0000076", "MIMAT0000441"],
        "mirna_v18": ["hsa-miR-21", "hsa-miR-9"], "family": ["mir-21", "mir-9"]}))
    only_family = _write(tmp_path, "only_family.tsv", pd.DataFrame({
        "mirna": ["hsa-miR-155-5p"], "mature_acc": ["MIMAT0000646"]}))
    precursor = _write(tmp_path, "precursor.tsv", pd.DataFrame({
        "precursor_id": ["hsa-mir-21", "hsa-mir-21"], "precursor_acc": ["MI0000077", "MI0000077"],
        "mature_id": ["hsa-miR-21", "hsa-miR-21*"], "mature_acc": ["MIMAT0000076", "MIMAT0004494"]}))
    targetscan = _write(tmp_path, "targetscan.tsv", pd.DataFrame({
        "miR family": ["miR-17-5p"], "MiRBase ID": ["hsa-miR-17-5p"],
        "MiRBase Accession": ["MIMAT0000070"], "Species ID": ["9606"]}))
    precursor_family = _write(tmp_path, "precursor_family.tsv", pd.DataFrame({
        "mirna": ["hsa-mir-1"], "precursor_acc": ["MI0000651"]}))
    with caplog.at_level(logging.INFO, logger="mirmodules.inputs.identifiers"):
        name_map = load_mirbase_tables([targetscan, precursor, only_family, family, mature,
                                        precursor_family])
    # the canonical name of an accession comes from the highest-ranked table: mature, then the
    # family tables, then precursor-to-mature, then TargetScan (whatever the order of the files)
    assert name_map.canonical == {
        "MIMAT0000076": "hsa-miR-21-5p", "MIMAT0004494": "hsa-miR-21-3p", "MIMAT0000441": "hsa-miR-9-5p",
        "MIMAT0000646": "hsa-miR-155-5p", "MIMAT0000070": "hsa-miR-17-5p"}  # no mouse, no bad accession
    assert name_map.sources == tuple(map(str, (mature, only_family, family, precursor, targetscan,
                                               precursor_family)))
    assert name_map.name_to_accessions == {
        "hsa-miR-21-5p": frozenset({"MIMAT0000076"}), "hsa-miR-21-3p": frozenset({"MIMAT0004494"}),
        "hsa-miR-9-5p": frozenset({"MIMAT0000441"}), "hsa-miR-21": frozenset({"MIMAT0000076"}),
        "hsa-miR-9": frozenset({"MIMAT0000441"}), "hsa-miR-155-5p": frozenset({"MIMAT0000646"}),
        "hsa-miR-21*": frozenset({"MIMAT0004494"}), "hsa-miR-17-5p": frozenset({"MIMAT0000070"})}
    both_arms = frozenset({"MIMAT0000076", "MIMAT0004494"})
    assert name_map.precursor_to_accessions == {"hsa-mir-21": both_arms, "MI0000077": both_arms}
    assert ("miRBase tables: 5 mature accessions, 8 names, 2 precursor keys"
            in [r.getMessage() for r in caplog.records])
    # another species keeps its own names only
    mouse = load_mirbase_tables([mature], species="mmu")
    assert mouse.canonical == {"MIMAT0000530": "mmu-miR-21a-5p"}
    # TargetScan's two columns alone are enough
    bare = _write(tmp_path, "bare.tsv", pd.DataFrame({"MiRBase ID": ["hsa-miR-17-5p"],
                                                      "MiRBase Accession": ["MIMAT0000070"]}))
    assert load_mirbase_tables([bare]).canonical == {"MIMAT0000070": "hsa-miR-17-5p"}


@pytest.mark.realdata
def test_real_mirbase_tables_map_gbm_accessions():
    mature = shared_file("mirbase", "mature_v22_hsa.tsv.gz")
    precursor = shared_file("mirbase", "precursor_to_mature_v18_hsa_with_family.tsv.gz")
    family = shared_file("mirbase", "mature_family_hsa.tsv.gz")
    expr = shared_file("cancersubtypes_gbm", "GBM_mirna_expression.tsv.gz")
    name_map = load_mirbase_tables([mature, precursor, family])
    ids = pd.read_csv(expr, sep="\t", usecols=[0]).iloc[:, 0]
    report = harmonise_mirna_ids(ids, name_map)
    per_id = report.drop_duplicates("input_id")
    assert len(per_id) == len(ids) == 470
    # let-7a-5p is MIMAT0000062 in miRBase 22
    assert report.loc[report.input_id == "MIMAT0000062", "mirna"].tolist() == ["hsa-let-7a-5p"]
    matched = per_id["status"].isin(["accession", "precursor"]).sum()
    assert matched >= 460, per_id["status"].value_counts()
    # the old v18 name of MIMAT0000064 resolves to its v22 name
    assert harmonise_mirna_ids(["hsa-let-7c"], name_map)["mirna"].tolist() == ["hsa-let-7c-5p"]


def test_gene_ids_map_through_the_best_matching_column():
    from mirmodules.inputs.identifiers import detect_gene_id_style, map_gene_ids

    table = pd.DataFrame({
        "hgnc_id": ["HGNC:11998", "HGNC:1100", "HGNC:1"],
        "symbol": ["TP53", "BRCA1", "A1BG"],
        "entrez_id": ["7157", "672", "1"],
        "ensembl_gene_id": ["ENSG00000141510", "ENSG00000012048", "ENSG00000121410"],
        "prev_symbol": ["", "RNF53|BRCC1", ""],
    })
    ids = ["ENSG00000141510.17", "ENSG00000012048", "ENSG00000999999", "A1BG"]
    assert detect_gene_id_style(ids[:1]) == "ensembl_versioned"
    assert detect_gene_id_style(ids[1:3]) == "ensembl"
    report = map_gene_ids(ids, table)
    assert report[["gene", "status"]].values.tolist() == [
        ["TP53", "mapped"], ["BRCA1", "mapped"], ["", "unmatched"], ["A1BG", "symbol"]]
    assert report["id_column"].iloc[0] == "ensembl_gene_id"
    assert map_gene_ids(["672", "7157"], table)["gene"].tolist() == ["BRCA1", "TP53"]
    assert map_gene_ids(["BRCC1"], table)["gene"].tolist() == ["BRCA1"]     # a previous symbol
    # a map whose Ensembl ids carry versions matches ids with other versions
    versioned = table.assign(ensembl_gene_id=table["ensembl_gene_id"] + ".5")
    assert map_gene_ids(["ENSG00000141510.17"], versioned)["gene"].tolist() == ["TP53"]
    with pytest.raises(InputDataError, match="no symbol column"):
        map_gene_ids(ids, table.drop(columns="symbol"))
    # a previous symbol of two genes is ambiguous; the first column wins a tie of hits
    shared = table.assign(prev_symbol=["OLD1", "OLD1|RNF53", ""])
    report = map_gene_ids(["OLD1", "RNF53", "OLD2"], shared)
    assert report.columns.tolist() == ["input_id", "gene", "status", "id_column"]
    assert report.values.tolist() == [["OLD1", "", "ambiguous", "prev_symbol"],
                                      ["RNF53", "BRCA1", "mapped", "prev_symbol"],
                                      ["OLD2", "", "unmatched", "prev_symbol"]]
    tie = pd.DataFrame({"symbol": ["TP53"], "a": ["X1"], "b": ["X1"]})
    assert map_gene_ids(["X1"], tie)["id_column"].tolist() == ["a"]
    none = map_gene_ids(["Q"], tie)
    assert none.values.tolist() == [["Q", "", "unmatched", "a"]]


def test_unknown_precursor_ids_and_case_only_clashes_are_not_mapped(tmp_path):
    mature = pd.DataFrame({"mature_id": ["hsa-miR-10a-5p", "hsa-miR-10A-5p", "hsa-miR-21-5p"],
                           "mature_acc": ["MIMAT0000253", "MIMAT9000253", "MIMAT0000076"]})
    precursor = pd.DataFrame({"precursor_id": ["hsa-mir-21"], "precursor_acc": ["MI0000077"],
                              "mature_id": ["hsa-miR-21-5p"], "mature_acc": ["MIMAT0000076"]})
    name_map = load_mirbase_tables([_write(tmp_path, "mature.tsv", mature),
                                    _write(tmp_path, "precursor.tsv", precursor)])
    table = harmonise_mirna_ids(["MI9999999", "MI0000077", "hsa-mir-99", "hsa-MIR-10A-5P"], name_map)
    assert table["status"].tolist() == ["unmatched", "precursor", "unmatched", "ambiguous"]
    assert table["mirna"].tolist() == ["", "hsa-miR-21-5p", "", ""]


def test_an_ambiguous_name_is_dropped_not_mapped_to_its_first_accession():
    from mirmodules.inputs.identifiers import MirnaNameMap, harmonise_mirna_ids

    # an old name shared by two current mature miRNAs: nothing decides between them
    name_map = MirnaNameMap(
        canonical={"MIMAT0000001": "hsa-miR-9-5p", "MIMAT0000002": "hsa-miR-9-3p"},
        name_to_accessions={"hsa-miR-9-5p": frozenset({"MIMAT0000001"}),
                            "hsa-miR-9-3p": frozenset({"MIMAT0000002"}),
                            "hsa-miR-9x": frozenset({"MIMAT0000001", "MIMAT0000002"})},
        precursor_to_accessions={},
    )
    report = harmonise_mirna_ids(["hsa-miR-9x", "hsa-miR-9-5p"], name_map)
    rows = report[report["input_id"] == "hsa-miR-9x"]
    assert len(rows) == 1
    assert rows.iloc[0]["status"] == "ambiguous" and rows.iloc[0]["mirna"] == ""
    assert rows.iloc[0]["n_candidates"] == 2
    exact = report[report["input_id"] == "hsa-miR-9-5p"].iloc[0]
    assert (exact["status"], exact["mirna"]) == ("exact", "hsa-miR-9-5p")


@pytest.mark.parametrize(("ids", "expected"), [
    # the majority decides, each id counting once
    (["ENSG00000141510", "ENSG00000012048", "TP53"], "ensembl"),
    (["ENSG00000141510.16", "ENSG00000012048.2", "ENSG00000141510", "7157", "672"], "ensembl_versioned"),
    (["7157", "672", "ENSG00000141510", "TP53"], "entrez"),
    (["HGNC:11998", "HGNC:1100", "7157", "TP53"], "hgnc"),
    (["TP53", "BRCA1", "HGNC:11998", "ENSG00000141510"], "symbol"),
    (["ENSG00000141510", "ENSG00000012048", "7157", "672", "672"], "entrez"),
    (["HGNC:11998", "HGNC:1", "TP53", "MYC", "KRAS"], "symbol"),
    ([], "symbol"),
])
def test_detect_gene_id_style_counts_every_id_once(ids, expected):
    from mirmodules.inputs.identifiers import detect_gene_id_style

    assert detect_gene_id_style(ids) == expected


def test_split_symbol_entrez_by_hand():
    import warnings

    from mirmodules.exceptions import DataQualityWarning
    from mirmodules.inputs.identifiers import split_symbol_entrez

    # half the ids in the Firehose form is not most of them: nothing changes, nothing is said
    half = pd.DataFrame({"s1": [1.0, 2.0]}, index=["TP53|7157", "MYC"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same, counts = split_symbol_entrez(half)
    assert same is half and counts == {}
    one = pd.DataFrame({"s1": [1.0]}, index=["TP53|7157"])
    with pytest.warns(DataQualityWarning, match="1 of 1 row ids"):
        assert split_symbol_entrez(one)[0].index.tolist() == ["TP53"]
    assert split_symbol_entrez(one.iloc[:0])[1] == {}
    frame = pd.DataFrame({"s1": [1.0, 2.0, 3.5, 4.5, 5.0], "s2": [1.5, 1.5, 1.5, 1.5, 1.5]},
                         index=["?|100130426", " TP53 |7157", "SLC35E2|728661", "SLC35E2|9906", "KRAS"])
    with pytest.warns(DataQualityWarning) as caught:
        out, counts = split_symbol_entrez(frame, what="tumour.tsv")
    assert out.index.tolist() == ["TP53", "SLC35E2", "KRAS"]    # an id of another form is kept as it is
    assert out.loc["SLC35E2"].tolist() == [4.0, 1.5]            # averaged (not counts)
    assert counts == {"mrna_ids_symbol_entrez": 4, "mrna_ids_without_symbol": 1,
                      "mrna_rows_merged_by_symbol": 1}
    assert str(caught[0].message) == (
        "tumour.tsv: 4 of 5 row ids are SYMBOL|ENTREZ (Firehose style, e.g. '?|100130426'); they are keyed "
        "by their symbol. 1 id(s) without a symbol ('?|...') were dropped and 1 row(s) sharing a symbol "
        "merged. To key by Entrez instead, rewrite the ids and give --gene-map.")
    blank = pd.DataFrame({"s1": [1.0, 2.0, 3.0]}, index=["|1", "A|2", "B|3"])
    with pytest.warns(DataQualityWarning, match="^mRNA expression: 3 of 3 row ids"):
        assert split_symbol_entrez(blank)[0].index.tolist() == ["A", "B"]  # an empty symbol is none


def test_every_resolution_status_by_hand(tmp_path):
    mature = pd.DataFrame({
        "mature_id": ["hsa-miR-1-5p", "hsa-miR-1-3p", "hsa-miR-7-5p", "hsa-miR-9-5p", "hsa-miR-9-5p",
                      "hsa-miR-10a-5p", "hsa-miR-11", "hsa-miR-12c", "hsa-miR-12C"],
        # miR-1's 5p arm is the older accession only when the number is read from its 7 digits
        "mature_acc": ["MIMAT1000005", "MIMAT0000020", "MIMAT0000030", "MIMAT0000040", "MIMAT0000041",
                       "MIMAT0000050", "MIMAT0000060", "MIMAT0000070", "MIMAT0000071"]})
    precursor = pd.DataFrame({"precursor_id": ["hsa-mir-7-1", "hsa-mir-7-1"],
                              "precursor_acc": ["MI0000010", "MI0000010"],
                              "mature_id": ["hsa-miR-7", "hsa-miR-7*"],
                              "mature_acc": ["MIMAT0000030", "MIMAT0000031"]})
    name_map = load_mirbase_tables([_write(tmp_path, "mature.tsv", mature),
                                    _write(tmp_path, "precursor.tsv", precursor)])
    cases = {
        "hsa-miR-7-5p": ("exact", ["hsa-miR-7-5p"], 1),
        "hsa-miR-7": ("alias", ["hsa-miR-7-5p"], 1),
        "miR-7-5p": ("exact", ["hsa-miR-7-5p"], 1),                      # species prefix added
        "MIMAT0000030": ("accession", ["hsa-miR-7-5p"], 1),
        "MIMAT0000099": ("unmatched", [""], 0),
        "MI0000010": ("precursor", ["hsa-miR-7-5p", "hsa-miR-7*"], 2),      # in accession order
        "hsa-mir-7-1": ("precursor", ["hsa-miR-7-5p", "hsa-miR-7*"], 2),
        "hsa-miR-9-5p": ("ambiguous", [""], 2),
        "hsa-miR-10a": ("arm_inferred", ["hsa-miR-10a-5p"], 1),
        "hsa-miR-1": ("arm_dominant", ["hsa-miR-1-3p"], 1),             # MIMAT0000020 is the older
        "hsa-miR-1*": ("arm_star", ["hsa-miR-1-5p"], 1),
        "hsa-miR-10A-5P": ("case_insensitive", ["hsa-miR-10a-5p"], 1),
        "hsa-mir-12c": ("ambiguous", [""], 2),                          # 12c and 12C ignoring case
        "hsa-miR-10": ("suffix_variant", ["hsa-miR-10a-5p"], 1),
        "hsa-miR-11a": ("suffix_variant", ["hsa-miR-11"], 1),
        "hsa-miR-13": ("unmatched", [""], 0),
    }
    table = harmonise_mirna_ids(list(cases), name_map, source="mirna_expression")
    assert table.columns.tolist() == ["source", "input_id", "mirna", "status", "n_candidates"]
    assert (table["source"] == "mirna_expression").all()
    got = {i: (g["status"].iloc[0], g["mirna"].tolist(), int(g["n_candidates"].iloc[0]))
           for i, g in table.groupby("input_id", sort=False)}
    assert got == cases
    # an empty map checks nothing and keeps every id once, stripped, with the default source
    empty = harmonise_mirna_ids([" hsa-miR-1 ", "x", "x"], load_mirbase_tables([]))
    assert empty.values.tolist() == [["input", " hsa-miR-1 ", "hsa-miR-1", "unchecked", 1],
                                     ["input", "x", "x", "unchecked", 1]]


def test_mirbase_rows_with_missing_cells_are_skipped_and_an_unknown_layout_is_named(tmp_path):
    mature = tmp_path / "mature.tsv"
    mature.write_text("mature_id\tmature_acc\n\tMIMAT0000001\nhsa-miR-2\t\nhsa-miR-3\tMIMAT0000003\n")
    precursor = tmp_path / "precursor.tsv"
    precursor.write_text("precursor_id\tprecursor_acc\tmature_id\tmature_acc\n"
                         "hsa-mir-4\tMI0000004\thsa-miR-4\t\n"          # no mature accession
                         "\tMI0000005\thsa-miR-5\tMIMAT0000005\n"       # no precursor name
                         "hsa-mir-6\t\thsa-miR-6\tMIMAT0000006\n")      # no precursor accession
    name_map = load_mirbase_tables([mature, precursor])
    assert name_map.canonical == {"MIMAT0000003": "hsa-miR-3", "MIMAT0000005": "hsa-miR-5",
                                  "MIMAT0000006": "hsa-miR-6"}
    assert name_map.precursor_to_accessions == {"MI0000005": frozenset({"MIMAT0000005"}),
                                                "hsa-mir-6": frozenset({"MIMAT0000006"})}
    odd = tmp_path / "odd.tsv"
    odd.write_text("a\tb\tc\td\te\tf\tg\th\ti\n" + "\t".join("x" * 9) + "\n")
    with pytest.raises(InputDataError) as raised:
        load_mirbase_tables([odd])
    assert str(raised.value) == (
        f"miRBase table {odd}: columns ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] match no known format. "
        "Expected mature_id+mature_acc, mirna+mature_acc(+mirna_v18), "
        "precursor_id+precursor_acc+mature_id+mature_acc, or TargetScan's 'MiRBase ID'+'MiRBase Accession'.")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputDataError, match="miRBase table"):
        load_mirbase_tables([empty])
