"""Topology, family and GO/KEGG enrichment: oracles, hand-computed cases, file formats."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from _shared import shared_file
from scipy import stats

from mirmodules import InputDataError, load_mirbase_tables, module_set_from_members
from mirmodules._stats import benjamini_hochberg
from mirmodules.evaluation.enrichment import (
    family_enrichment,
    hypergeometric_upper_tail,
    term_enrichment,
)
from mirmodules.evaluation.topology import module_topology
from mirmodules.inputs.annotations import (
    FamilyAnnotation,
    GeneSetCollection,
    read_families,
    read_gene_sets,
)


def _modules(spec: dict[str, tuple[list[str], list[str]]], edges=None):
    rows = [(m, f, "mirna") for m, (mirs, _) in spec.items() for f in mirs]
    rows += [(m, f, "mrna") for m, (_, genes) in spec.items() for f in genes]
    members = pd.DataFrame(rows, columns=["module_id", "feature", "kind"])
    return module_set_from_members(members, edges)


@pytest.mark.parametrize(
    ("k", "population", "successes", "draws"),
    [(2, 10, 3, 4), (1, 50, 5, 10), (5, 100, 5, 5), (3, 20, 10, 3), (4, 30, 6, 12)],
)
def test_hypergeometric_matches_one_sided_fisher(k, population, successes, draws):
    # 2x2 table: in module / not, in family / not
    table = [[k, draws - k], [successes - k, population - successes - draws + k]]
    _, fisher_p = stats.fisher_exact(table, alternative="greater")
    assert hypergeometric_upper_tail(k, population, successes, draws) == pytest.approx(fisher_p, rel=1e-9)


def test_hypergeometric_hand_computed():
    # N=6, K=3, n=2, k=2: C(3,2)/C(6,2) = 3/15
    assert hypergeometric_upper_tail(2, 6, 3, 2) == pytest.approx(0.2)
    # k=0 is certain
    assert hypergeometric_upper_tail(0, 6, 3, 2) == pytest.approx(1.0)


def test_benjamini_hochberg_matches_statsmodels():
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    rng = np.random.default_rng(4)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 0.01, size=10)])
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12)
    assert benjamini_hochberg([]).size == 0


def test_topology_density_and_correlation_hand_case():
    edges = pd.DataFrame(
        {"module_id": ["M1", "M1", "M1"], "mirna": ["a", "a", "b"], "target": ["x", "y", "x"]}
    )
    mods = _modules({"M1": (["a", "b"], ["x", "y"])}, edges)
    samples = [f"s{i}" for i in range(6)]
    base = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    mirna = pd.DataFrame([base, base**2], index=["a", "b"], columns=samples)
    mrna = pd.DataFrame([-base, np.sin(base)], index=["x", "y"], columns=samples)
    topo = module_topology(mods, mirna_expression=mirna, mrna_expression=mrna)
    row = topo.iloc[0]
    assert row["density"] == pytest.approx(3 / 4)
    r = {(m, g): np.corrcoef(mirna.loc[m], mrna.loc[g])[0, 1] for m in "ab" for g in "xy"}
    assert row["mean_correlation"] == pytest.approx(np.mean(list(r.values())))
    assert row["mean_edge_correlation"] == pytest.approx(np.mean([r["a", "x"], r["a", "y"], r["b", "x"]]))
    assert np.isnan(module_topology(mods)["mean_correlation"].iloc[0])


def test_family_enrichment_background_and_bh_over_all_tests():
    fam = FamilyAnnotation(
        pd.DataFrame(
            {
                "mirna": ["a", "b", "c", "d", "e", "f", "g", "h"],
                "family_id": ["F1", "F1", "F1", "F2", "F2", "F3", "F4", "F4"],
                "family_name": ["one", "one", "one", "two", "two", "three", "four", "four"],
            }
        ),
        "toy",
    )
    mods = _modules({"M1": (["a", "b", "c", "z"], ["g1", "g2"]), "M2": (["d", "f"], ["g3", "g4"])})
    # 'z' has no family and 'h' is not analysed: background = a..g (7 miRNAs)
    table = family_enrichment(mods, fam, ["a", "b", "c", "d", "e", "f", "g", "z"])
    assert set(table["background_size"]) == {7}
    # F3 has one member: not tested; M2 tests F2 only
    assert table[["module_id", "family_id"]].values.tolist() == [["M1", "F1"], ["M2", "F2"]]
    m1 = table.iloc[0]
    assert (m1["n_in_module"], m1["n_module_annotated"], m1["family_size"]) == (3, 3, 3)
    assert m1["p_value"] == pytest.approx(1 / 35)  # C(3,3) / C(7,3)
    assert m1["members"] == "a;b;c"
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    np.testing.assert_allclose(table["q_value"], multipletests(table["p_value"], method="fdr_bh")[1])


def test_one_family_member_in_a_module_is_never_enriched():
    # 40 analysed miRNAs: F1 = {a, b} (two arms, as miFam lists them), the rest in one-member
    # families (not tested). A module of four miRNAs holding 'a' alone: P(X >= 1), X ~
    # Hypergeom(40, 2, 4) = 1 - C(38,4)/C(40,4) = 1 - 73815/91390 = 0.1923; with b as well,
    # P(X >= 2) = C(38,2)/C(40,4) = 703/91390.
    others = [f"m{i:02d}" for i in range(38)]
    fam = FamilyAnnotation(pd.DataFrame({"mirna": ["a", "b", *others],
                                         "family_id": ["F1", "F1", *others],
                                         "family_name": ["F1", "F1", *others]}), "toy")
    analysed = ["a", "b", *others]
    one = _modules({"M1": (["a", *others[:3]], ["g1", "g2"])})
    table = family_enrichment(one, fam, analysed, q_threshold=0.5)
    row = table.iloc[0]
    assert row["n_in_module"] == 1 and row["p_value"] == pytest.approx(1 - 73815 / 91390)
    assert row["q_value"] < 0.5 and not row["enriched"]  # passes q, but one member is no enrichment
    assert bool(family_enrichment(one, fam, analysed, q_threshold=0.5, min_overlap=1)["enriched"].iloc[0])
    both = _modules({"M1": (["a", "b", *others[:2]], ["g1", "g2"])})
    row = family_enrichment(both, fam, analysed).iloc[0]
    assert row["n_in_module"] == 2 and row["p_value"] == pytest.approx(703 / 91390) and row["enriched"]
    with pytest.raises(InputDataError, match=r"^The 'min_overlap' parameter must be"):
        family_enrichment(one, fam, analysed, min_overlap=0)


def test_term_enrichment_background_size_limits_and_hand_p(caplog):
    import logging

    coll = GeneSetCollection(
        "toy",
        {
            "T1": frozenset({"g1", "g2", "g3", "x1"}),  # x1 not analysed -> size 3
            "T2": frozenset({"g1", "g4", "g5", "g6", "g7", "g8"}),  # size 6 > max 5: not tested
            "T3": frozenset({"g9"}),  # size 1 < min 2: not tested
        },
        {"T1": "first", "T2": "second", "T3": "third"},
    )
    mods = _modules({"M1": (["a", "b"], ["g1", "g2", "g10", "u1"])})
    analysed = [f"g{i}" for i in range(1, 11)] + ["u1"]  # u1 is in no term: outside the background
    with caplog.at_level(logging.INFO, logger="mirmodules.evaluation.enrichment"):
        table = term_enrichment(mods, coll, analysed, min_term_size=2, max_term_size=5, p_threshold=0.05)
    assert table["term_id"].tolist() == ["T1"]
    assert ("toy: 1 terms tested (size 2-5 in a background of 9 mRNAs), 1 tests, 0 at q < 0.05 with >= 3 "
            "genes (0 at raw p < 0.05)") in caplog.messages
    row = table.iloc[0]
    assert row["background_size"] == 9  # g1..g9 (g10 and u1 are in no term)
    assert (row["n_in_module"], row["n_module_annotated"], row["term_size"]) == (2, 2, 3)
    assert row["p_value"] == pytest.approx(3 / 36)  # C(3,2)/C(9,2)
    assert row["genes"] == "g1;g2"
    assert row["term_name"] == "first"
    assert not row["significant"]
    # a module gene that is the background's last gene and in no tested term (g9: only in T3)
    both = _modules({"M1": (["a", "b"], ["g1", "g2", "g10", "u1"]), "M2": (["a"], ["g4", "g9"])})
    pd.testing.assert_frame_equal(term_enrichment(both, coll, analysed, min_term_size=2, max_term_size=5,
                                                  p_threshold=0.05), table)


def test_strict_terms_need_q_and_three_genes_lenient_terms_only_raw_p():
    # a 2-gene module inside a 2-gene term of a 200-gene background: raw p = 1 / C(200, 2)
    background = [f"g{i}" for i in range(200)]
    coll = GeneSetCollection("toy", {"SMALL": frozenset({"g0", "g1"}),
                                     "BIG": frozenset(background[:10]),
                                     "ALL": frozenset(background)}, {})  # ALL: the background
    two = term_enrichment(_modules({"M1": (["a", "b"], ["g0", "g1"])}), coll, background, min_term_size=2)
    small = two.set_index("term_id").loc["SMALL"]
    assert small["p_value"] == pytest.approx(1 / (200 * 199 / 2))
    assert small["q_value"] < 0.05 and small["n_in_module"] == 2
    assert small["significant_lenient"] and not small["significant"]      # overlap of 2 < 3
    three = term_enrichment(_modules({"M1": (["a", "b"], background[:3])}), coll, background,
                            min_term_size=2)
    big = three.set_index("term_id").loc["BIG"]
    assert big["n_in_module"] == 3 and big["q_value"] < 0.05 and big["significant"]


def test_invalid_thresholds_are_clear_errors():
    mods = _modules({"M1": (["a", "b"], ["g1", "g2"])})
    coll = GeneSetCollection("toy", {"T1": frozenset({"g1"})}, {})
    with pytest.raises(InputDataError, match="max_term_size"):
        term_enrichment(mods, coll, ["g1"], min_term_size=10, max_term_size=5)
    for name, value in [("q_threshold", 1.5), ("p_threshold", -0.1), ("min_overlap", 0)]:
        with pytest.raises(InputDataError, match=rf"^The '{name}' parameter must be"):
            term_enrichment(mods, coll, ["g1"], min_term_size=1, **{name: value})
    fam = FamilyAnnotation(pd.DataFrame(columns=["mirna", "family_id", "family_name"]), "empty")
    with pytest.raises(InputDataError, match="q_threshold"):
        family_enrichment(mods, fam, ["a"], q_threshold=2.0)
    with pytest.raises(InputDataError, match=r"^The 'min_family_size' parameter must be a number in"):
        family_enrichment(mods, fam, ["a"], min_family_size=0)


def test_read_families_plain_and_targetscan_and_errors(tmp_path):
    plain = tmp_path / "fam.tsv"
    plain.write_text("mirna\tfamily\nhsa-miR-1-3p\tmir-1\nhsa-miR-206\tmir-1\n")
    table = read_families(plain).table
    assert table.values.tolist() == [["hsa-miR-1-3p", "mir-1", "mir-1"], ["hsa-miR-206", "mir-1", "mir-1"]]
    ts = tmp_path / "ts.tsv"
    ts.write_text(
        "miR family\tSeed+m8\tSpecies ID\tMiRBase ID\tMature sequence\tFamily Conservation?\t"
        "MiRBase Accession\nmiR-1ab/206\tGGAAUGU\t9606\thsa-miR-206\tUGG\t2\tMIMAT0000462\n"
        "miR-1ab/206\tGGAAUGU\t10090\tmmu-miR-206-3p\tUGG\t2\tMIMAT0000239\n"
    )
    table = read_families(ts).table
    assert table["mirna"].tolist() == ["hsa-miR-206"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("name\tgroup\nx\ty\n")
    with pytest.raises(InputDataError, match="match no family format"):
        read_families(bad)
    precursor = tmp_path / "prec.tsv"
    precursor.write_text(
        "mirna\tprecursor_acc\tfamily_id\tfamily_name\nhsa-mir-1-1\tMI0000651\tMIPF1\tmir-1\n"
    )
    with pytest.raises(InputDataError, match="precursor-to-mature table"):
        read_families(precursor)


def test_read_gene_sets_gz_and_errors(tmp_path):
    path = tmp_path / "sets.gmt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("GO:1\tsome process\tA\tB\n\nGO:2\tother\tC\n")
    coll = read_gene_sets(path)
    assert coll.name == "sets" and set(coll.sets) == {"GO:1", "GO:2"} and coll.genes == {"A", "B", "C"}
    dup = tmp_path / "dup.gmt"
    dup.write_text("T\td\tA\nT\td\tB\n")
    with pytest.raises(InputDataError, match="appears twice"):
        read_gene_sets(dup)
    short = tmp_path / "short.gmt"
    short.write_text("T A B\n")
    with pytest.raises(InputDataError, match="GMT"):
        read_gene_sets(short)


def test_planted_families_and_gene_sets_are_found_and_shuffled_labels_are_not():
    from mirmodules import simulate_cohort

    cohort = simulate_cohort(seed=2)
    fam = FamilyAnnotation(
        cohort.families.rename(columns={"family": "family_id"}).assign(family_name=lambda d: d["family_id"]),
        "sim",
    )
    analysed_mirnas = cohort.mirna.index
    found = family_enrichment(cohort.truth, fam, analysed_mirnas)
    enriched = set(found.loc[found["enriched"], "module_id"])
    assert set(cohort.notes["family_modules"]) <= enriched
    rng = np.random.default_rng(0)
    shuffled = FamilyAnnotation(
        fam.table.assign(family_id=rng.permutation(fam.table["family_id"].to_numpy())), "shuffled"
    )
    null = family_enrichment(cohort.truth, shuffled, analysed_mirnas)
    assert null["enriched"].sum() <= 1

    coll = GeneSetCollection("sim", {k: frozenset(v) for k, v in cohort.gene_sets.items()}, {})
    terms = term_enrichment(cohort.truth, coll, cohort.mrna.index)
    hit = terms[terms["significant"]]
    for module in cohort.notes["geneset_modules"]:
        assert f"SIM_PATHWAY_MODULE_{module}" in set(hit.loc[hit["module_id"] == module, "term_id"])
    genes = sorted(coll.genes)
    relabel = dict(zip(genes, rng.permutation(genes), strict=True))
    shuffled_coll = GeneSetCollection(
        "shuffled", {k: frozenset(relabel[g] for g in v) for k, v in coll.sets.items()}, {}
    )
    null_terms = term_enrichment(cohort.truth, shuffled_coll, cohort.mrna.index)
    assert null_terms["significant"].sum() <= 1


@pytest.mark.realdata
def test_gbm_accessions_get_mirbase_families():
    mirbase = shared_file("mirbase", "mature_family_hsa.tsv.gz")
    mature = shared_file("mirbase", "mature_v22_hsa.tsv.gz")
    expression = shared_file("cancersubtypes_gbm", "GBM_mirna_expression.tsv.gz")
    from mirmodules import harmonise_mirna_ids, read_expression

    name_map = load_mirbase_tables([mature, mirbase])
    ids = read_expression(expression).index
    names = harmonise_mirna_ids(ids, name_map)
    analysed = set(names.loc[names["mirna"] != "", "mirna"])
    families = read_families(mirbase, name_map=name_map)
    covered = analysed & set(families.table["mirna"])
    # measured: 453 of the 457 GBM miRNAs named through their MIMAT accessions have a miFam v18 family
    assert len(covered) > 400, len(covered)
    assert families.table["family_id"].str.startswith("MIPF").all()
    let7 = families.table.loc[families.table["mirna"] == "hsa-let-7a-5p", "family_name"]
    assert let7.tolist() == ["let-7"]
    targetscan = read_families(
        shared_file("targetscan_families", "miR_Family_Info.tsv.gz"), name_map=name_map
    )
    # measured: 415 have a TargetScan seed family (joined by accession)
    assert len(analysed & set(targetscan.table["mirna"])) > 350
