"""The compare command: same inputs, same evaluator, comparison.tsv and the report section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _shared import input_args

from mirmodules.cli import main
from mirmodules.workflows.compare import COMPARISON_COLUMNS

pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")


def _compare_args(paths, methods, out, *extra):
    files = ["--mirna", paths["mirna"], "--mrna", paths["mrna"], "--interactions", paths["interactions"]]
    return [str(a) for a in ("-q", "compare", *files, "--methods", methods, *extra, "--out", out)]


def test_compare_writes_table_modules_and_report(small_cohort, tmp_path, capsys):
    paths = small_cohort.write(tmp_path / "data")
    out = tmp_path / "cmp"
    annotations = [
        "--families",
        paths["families"],
        "--gene-sets",
        paths["gene_sets"],
        "--clinical",
        paths["clinical"],
        "--truth",
        paths["truth"],
    ]
    code = main(
        _compare_args(
            paths, "kmeans_pca,mirsynergy,demine", out, *annotations, "--cv-folds", "3", "--k-max", "8"
        )
    )
    assert code == 0
    table = pd.read_csv(out / "comparison.tsv", sep="\t")
    assert list(table.columns) == COMPARISON_COLUMNS
    assert table["method"].tolist() == ["K-means on PCA codes", "Mirsynergy", "DeMine-like"]
    assert table["recovery"].between(0, 1).all() and (table["seconds"] >= 0).all()
    from mirmodules import read_modules, recovery_scores

    for name, recovery in zip(("kmeans_pca", "mirsynergy", "demine"), table["recovery"], strict=True):
        # each method's recovery equals the planted-module recovery recomputed from its written modules
        assert recovery == pytest.approx(
            recovery_scores(small_cohort.truth, read_modules(out / "methods" / name))["recovery"]
        )
        modules = pd.read_csv(out / "methods" / name / "modules.tsv", sep="\t")
        counts = modules.groupby(["module_id", "kind"]).size().unstack(fill_value=0)
        assert (counts >= 2).all().all()  # the uniform >= 2 / >= 2 filter
        assert (out / "methods" / name / "evaluation" / "survival.tsv").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Method comparison" in html and "DeMine-like" in html
    # the headline has one card per method, not the first method's numbers only
    summary = html[html.index('<div class="cards">') : html.index('<p class="note">')]
    cards = summary.split('<div class="card">')[1:]
    assert len(cards) == 3
    for card, method in zip(cards, table["method"], strict=True):
        assert f"{method}: modules" in card
    assert "Mirsynergy" in capsys.readouterr().out
    assert main(_compare_args(paths, "mica,snmnmf", tmp_path / "bad")) == 2
    assert "snmnmf" in capsys.readouterr().err


def test_run_evaluate_compare_and_significance_agree_on_every_module(tmp_path, small_cohort):
    """One computation of module statistics: the same modules give the same ids, sizes, edges,
    density and correlation in run, evaluate, compare and significance, and compare writes
    every method the exports a run writes."""
    from mirmodules.cli import main

    paths = small_cohort.write(tmp_path / "cohort")
    files = input_args(paths)
    settings = ["--seed", "4", "--max-epochs", "4", "--threads", "1"]
    assert main(["-q", "run", *files, *settings, "--significance", "20", "--out", str(tmp_path / "run")]) == 0
    assert (
        main(
            [
                "-q",
                "evaluate",
                str(tmp_path / "run"),
                "--out",
                str(tmp_path / "ev"),
                "--families",
                str(paths["families"]),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "-q",
                "compare",
                *files,
                *settings,
                "--methods",
                "mica,mirsynergy",
                "--out",
                str(tmp_path / "cmp"),
            ]
        )
        == 0
    )
    read = lambda path: pd.read_csv(path, sep="\t")  # noqa: E731
    run = read(tmp_path / "run" / "module_summary.tsv")
    assert len(run) >= 2
    columns = ["module_id", "n_mirnas", "n_mrnas", "n_edges", "density", "mean_correlation"]
    for other in (
        tmp_path / "ev" / "topology.tsv",
        tmp_path / "cmp" / "methods" / "mica" / "module_summary.tsv",
        tmp_path / "cmp" / "methods" / "mica" / "evaluation" / "topology.tsv",
    ):
        pd.testing.assert_frame_equal(read(other)[columns], run[columns], check_exact=False, rtol=1e-5)
    significance = read(tmp_path / "run" / "significance.tsv")
    assert significance["module_id"].tolist() == run["module_id"].tolist()
    assert significance["n_edges"].tolist() == run["n_edges"].tolist()
    assert (significance["n_network_edges"] >= significance["n_edges"]).all()
    assert np.allclose(significance["mean_correlation"], run["mean_correlation"], atol=1e-5)
    exports = {
        "modules.gmt",
        "network.tsv",
        "cytoscape_nodes.tsv",
        "cytoscape_edges.tsv",
        "modules.graphml",
        "module_activity.tsv",
        "modules.tsv",
        "module_edges.tsv",
        "module_summary.tsv",
    }
    for method in ("mica", "mirsynergy"):
        written = {p.name for p in (tmp_path / "cmp" / "methods" / method).iterdir()}
        assert exports <= written, (method, exports - written)
        assert (tmp_path / "cmp" / "methods" / method / "evaluation" / "follow_up.tsv").exists()
