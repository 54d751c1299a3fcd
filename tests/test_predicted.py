"""Predicted targets as graded evidence (``--predicted``): reading, id mapping, the admission rule
by hand, outputs with evidence, and nothing changed without predictions."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _shared import input_args

from mirmodules import InputDataError, MicaConfig, identify_modules, simulate_cohort
from mirmodules.cli import main
from mirmodules.datatypes import ModuleSet
from mirmodules.exceptions import DataQualityWarning
from mirmodules.inputs.identifiers import MirnaNameMap
from mirmodules.inputs.io import read_predicted
from mirmodules.inputs.prepared import combine_predicted
from mirmodules.methods.join import standardised_profiles
from mirmodules.methods.predicted import expression_support_only, extend_with_predictions

DATA = Path(__file__).parent / "data"


def _profiles(seed: int = 0, n: int = 60):
    """miRNAs a, b share a programme p; genes x, y, z (members) and g_fit follow -p; g_random
    does not; g_control follows -p with no predicted pair."""
    rng = np.random.default_rng(seed)
    p = rng.normal(size=n)
    mirna = pd.DataFrame([p + 0.4 * rng.normal(size=n) for _ in range(2)], index=["a", "b"])
    genes = {name: -p + 0.5 * rng.normal(size=n) for name in ("x", "y", "z", "g_fit", "g_control")}
    genes["g_random"] = rng.normal(size=n)
    return standardised_profiles(mirna, pd.DataFrame(genes).T)


MODULE = ModuleSet(
    pd.DataFrame(
        {
            "module_id": "M001",
            "feature": ["a", "b", "x", "y", "z"],
            "kind": ["mirna", "mirna", "mrna", "mrna", "mrna"],
        }
    ),
    pd.DataFrame({"module_id": "M001", "mirna": ["a", "a", "b"], "target": ["x", "y", "z"]}),
)


def _predicted(rows):
    frame = pd.DataFrame(rows, columns=["mirna", "target", "score"])
    return frame.assign(strength=(-frame["score"]).rank(pct=True, method="max"))


def test_a_member_without_validated_interaction_but_predicted_and_fitting_is_admitted():
    z_mirna, z_mrna = _profiles()
    predicted = _predicted(
        [("a", "g_fit", -0.6), ("a", "g_random", -0.7), ("a", "x", -0.5), ("b", "z", -0.1)]
    )
    # the one gene without a prediction (g_control) fits as well: admitting one of two predicted
    # candidates is no better than expression alone, and the run says so
    with pytest.warns(DataQualityWarning, match=r"hardly more often .* \(50.0% of 2 against 100.0% of 1\)"):
        result = extend_with_predictions(MODULE, predicted, z_mirna, z_mrna, min_strength=0.0)
    assert (result.admission_rate, result.control_rate) == (0.5, 1.0)
    members = result.modules.members
    assert set(members.loc[members["kind"] == "mrna", "feature"]) == {"x", "y", "z", "g_fit"}
    edges = result.modules.edges.set_index(["mirna", "target"])
    assert edges.loc[("a", "g_fit"), "evidence"] == "predicted"
    assert edges.loc[("a", "x"), "evidence"] == "both" and edges.loc[("a", "x"), "predicted_score"] == -0.5
    assert edges.loc[("a", "y"), "evidence"] == "validated" and np.isnan(
        edges.loc[("a", "y"), "predicted_score"]
    )
    # the chance pair's gene does not fit the module: considered, not admitted
    candidates = result.candidates.set_index("gene")
    assert not candidates.loc["g_random", "admitted"] and candidates.loc["g_fit", "admitted"]
    assert candidates.loc["g_random", "reason"] == "profile does not fit the module"
    assert candidates.loc["g_fit", "reason"] == "admitted"
    assert candidates.loc["g_fit", "repression_r"] < candidates.loc["g_fit", "repression_level"] < 0
    # the control: expression support without any predicted pair finds the other fitting gene
    control = expression_support_only(MODULE, predicted, z_mirna, z_mrna)
    assert control["gene"].tolist() == ["g_control"]


def test_weak_pairs_and_too_few_predicting_mirnas_admit_nothing():
    z_mirna, z_mrna = _profiles()
    predicted = _predicted([("a", "g_fit", -0.01), ("a", "x", -0.9), ("b", "y", -0.8)])
    weak = extend_with_predictions(MODULE, predicted, z_mirna, z_mrna, min_strength=0.5)
    assert "g_fit" not in set(weak.modules.members["feature"])
    two = extend_with_predictions(MODULE, predicted, z_mirna, z_mrna, min_strength=0.0, min_mirnas=2)
    assert "g_fit" not in set(two.modules.members["feature"])
    assert two.candidates.empty  # one predicting miRNA of the two needed: not even considered


def test_read_predicted_strips_isomir_suffixes_and_detects_the_direction(tmp_path):
    path = tmp_path / "ts.tsv"
    path.write_text(
        "mirna\ttarget\tscore\nhsa-miR-101-3p.1\tEZH2\t-0.4\nhsa-miR-101-3p.2\tEZH2\t-0.9\n"
        "hsa-let-7a-5p\tKRAS\t-0.3\n"
    )
    table = read_predicted(path)
    assert table.direction == "lower" and table.n_isomir_suffixes == 2
    rows = table.table.set_index(["mirna", "target"])
    assert rows.loc[("hsa-miR-101-3p", "EZH2"), "score"] == -0.9  # the strongest of the two kept
    assert rows.loc[("hsa-miR-101-3p", "EZH2"), "strength"] == 0.9
    higher = tmp_path / "mirdb.tsv"
    higher.write_text("mirna\ttarget\tscore\nhsa-miR-21-5p\tPTEN\t95\nhsa-miR-21-5p\tPDCD4\t60\n")
    assert read_predicted(higher).direction == "higher"
    stated = read_predicted(higher, direction="lower").table.set_index("target")["strength"]
    assert stated.to_dict() == {"PDCD4": -60.0, "PTEN": -95.0}  # as stated: lower is stronger


@pytest.mark.parametrize(
    "text, message",
    [
        ("mirna\ttarget\nhsa-miR-1\tG\n", r"lacks column\(s\) \['score'\]"),
        ("mirna\ttarget\tscore\nhsa-miR-1\tG\t-0.2\nhsa-miR-2\tH\tstrong\n", r"'strong' on line 3"),
        ("mirna\ttarget\tscore\nhsa-miR-1\tG\t-0.2\nhsa-miR-2\tH\t0.5\n", "scores of both signs"),
    ],
)
def test_bad_predicted_tables_are_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad_predicted.tsv"
    path.write_text(text)
    with pytest.raises(InputDataError, match=message) as info:
        read_predicted(path)
    assert "bad_predicted.tsv" in str(info.value)


def test_mimat_accessions_are_mapped_and_sources_graded_by_percentile():
    name_map = MirnaNameMap(
        canonical={"MIMAT0000076": "hsa-miR-21-5p", "MIMAT0000062": "hsa-let-7a-5p"},
        name_to_accessions={
            "hsa-miR-21-5p": frozenset({"MIMAT0000076"}),
            "hsa-let-7a-5p": frozenset({"MIMAT0000062"}),
        },
        precursor_to_accessions={},
    )
    sites = pd.DataFrame(
        {
            "mirna": ["MIMAT0000076", "MIMAT0000062", "MIMAT9999999"],
            "target": ["PTEN", "KRAS", "PTEN"],
            "score": [3.0, 1.0, 2.0],
        }
    )
    sites["strength"] = sites["score"]
    context = pd.DataFrame(
        {"mirna": ["hsa-miR-21-5p"], "target": ["PTEN"], "score": [-0.2], "strength": [0.2]}
    )
    pairs, report, counts = combine_predicted(
        [sites, context],
        name_map,
        "hsa",
        pd.Index(["hsa-miR-21-5p", "hsa-let-7a-5p"]),
        pd.Index(["PTEN", "KRAS"]),
    )
    rows = pairs.set_index(["mirna", "target"])
    assert rows.loc[("hsa-miR-21-5p", "PTEN"), "n_sources"] == 2
    assert rows.loc[("hsa-miR-21-5p", "PTEN"), "strength"] == 1.0  # strongest of its first source
    assert rows.loc[("hsa-let-7a-5p", "KRAS"), "strength"] == pytest.approx(0.5)
    assert set(report.loc[report["source"] == "predicted", "status"]) >= {"unmatched"}  # MIMAT9999999
    assert counts["predicted_pairs_used"] == 2


def test_without_predictions_the_modules_are_those_of_before_the_option():
    """Golden tables of commit 88d8e88 (tests/data/README.md): no --predicted, no change (the
    weak-target route, on by default since, is switched off: it is not part of what is compared)."""
    cohort = simulate_cohort(n_samples=48, n_mirnas=40, n_mrnas=300, n_modules=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_modules(
            cohort.mirna,
            cohort.mrna,
            cohort.interactions,
            config=MicaConfig(max_epochs=8, n_init=3, seed=5, threads=1, refine_weak_fdr=0),
        )
    golden_members = pd.read_csv(DATA / "default_modules_seed5.tsv", sep="\t")
    golden_edges = pd.read_csv(DATA / "default_module_edges_seed5.tsv", sep="\t")
    pd.testing.assert_frame_equal(result.modules.members.reset_index(drop=True), golden_members)
    pd.testing.assert_frame_equal(result.modules.edges.reset_index(drop=True), golden_edges)
    assert "predicted" not in result.manifest and result.predicted_candidates is None


def test_cli_run_with_predicted_writes_evidence_everywhere(tmp_path, small_cohort):
    paths = small_cohort.write(tmp_path / "cohort")
    truth = small_cohort.truth
    rng = np.random.default_rng(0)
    rows = [(m, g, -0.5) for mid, (mirs, genes) in truth.groups().items() for m in mirs[:2] for g in genes]
    rows += [
        (rng.choice(small_cohort.mirna.index), rng.choice(small_cohort.mrna.index), -0.05) for _ in range(200)
    ]
    predicted = tmp_path / "predicted.tsv"
    pd.DataFrame(rows, columns=["mirna", "target", "score"]).drop_duplicates(["mirna", "target"]).to_csv(
        predicted, sep="\t", index=False
    )
    # the weak-target route off: on this cohort it admits the planted members the predictions
    # would, and this test is about what a run with predicted members writes
    args = ["-q", "run", *input_args(paths), "--max-epochs", "4", "--seed", "2", "--threads", "1",
            "--refine-weak-fdr", "0"]
    assert main([*args, "--predicted", str(predicted), "--out", str(tmp_path / "with")]) == 0
    out = tmp_path / "with"
    edges = pd.read_csv(out / "module_edges.tsv", sep="\t")
    assert list(edges.columns) == ["module_id", "mirna", "target", "evidence", "predicted_score"]
    assert set(edges["evidence"]) <= {"validated", "predicted", "both"}
    summary = pd.read_csv(out / "module_summary.tsv", sep="\t")
    # the counts by evidence, recomputed from module_edges.tsv by hand
    for _, row in summary.iterrows():
        own = edges[edges["module_id"] == row["module_id"]]
        validated = set(own.loc[own["evidence"] != "predicted", "target"])
        assert row["n_mrnas_validated"] == len(validated)
        assert row["n_mrnas_predicted_only"] == len(set(own["target"]) - validated)
    candidates = pd.read_csv(out / "predicted_candidates.tsv", sep="\t")
    assert summary["n_mrnas_predicted_only"].sum() == candidates["admitted"].sum() > 0
    assert "evidence" in pd.read_csv(out / "network.tsv", sep="\t").columns
    assert "evidence" in pd.read_csv(out / "cytoscape_edges.tsv", sep="\t").columns
    assert "evidence" in (out / "modules.graphml").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["predicted"][0]["sha256"] and "genes_admitted" in manifest["predicted"]
    assert manifest["parameters"]["predicted_min_mirnas"] == 1
    # a predicted table without a score column: exit 2, the file named, nothing written
    bad = tmp_path / "no_score.tsv"
    bad.write_text("mirna\ttarget\nhsa-miR-1\tG1\n")
    assert main([*args, "--predicted", str(bad), "--out", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()
