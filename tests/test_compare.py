"""The compare command: same inputs, same evaluator, comparison.tsv and the report section."""

from __future__ import annotations

import pandas as pd
import pytest

from mirmodules.cli import main
from mirmodules.workflows.compare import COMPARISON_COLUMNS

pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")


def _compare_args(paths, methods, out, *extra):
    files = ["--mirna", paths["mirna"], "--mrna", paths["mrna"], "--interactions", paths["interactions"]]
    return [str(a) for a in ("-q", "compare", *files, "--methods", methods, *extra, "--out", out)]


def test_compare_writes_table_modules_and_report(small_cohort, tmp_path, capsys):
    paths = small_cohort.write(tmp_path / "data")
    out = tmp_path / "cmp"
    annotations = ["--families", paths["families"], "--gene-sets", paths["gene_sets"],
                   "--clinical", paths["clinical"], "--truth", paths["truth"]]
    code = main(_compare_args(paths, "kmeans_pca,mirsynergy,demine", out, *annotations,
                              "--cv-folds", "3", "--k-max", "8"))
    assert code == 0
    table = pd.read_csv(out / "comparison.tsv", sep="\t")
    assert list(table.columns) == COMPARISON_COLUMNS
    assert table["method"].tolist() == ["K-means on PCA codes", "Mirsynergy", "DeMine-like"]
    assert table["recovery"].between(0, 1).all() and (table["seconds"] >= 0).all()
    from mirmodules import read_modules, recovery_scores

    for name, recovery in zip(("kmeans_pca", "mirsynergy", "demine"), table["recovery"], strict=True):
        # each method's recovery equals the planted-module recovery recomputed from its written modules
        assert recovery == pytest.approx(recovery_scores(small_cohort.truth,
                                                         read_modules(out / "methods" / name))["recovery"])
        modules = pd.read_csv(out / "methods" / name / "modules.tsv", sep="\t")
        counts = modules.groupby(["module_id", "kind"]).size().unstack(fill_value=0)
        assert (counts >= 2).all().all()  # the uniform >= 2 / >= 2 filter
        assert (out / "methods" / name / "evaluation" / "survival.tsv").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Method comparison" in html and "DeMine-like" in html
    # the headline has one card per method, not the first method's numbers only
    summary = html[html.index('<div class="cards">'):html.index('<p class="note">')]
    cards = summary.split('<div class="card">')[1:]
    assert len(cards) == 3
    for card, method in zip(cards, table["method"], strict=True):
        assert f"{method}: modules" in card
    assert "Mirsynergy" in capsys.readouterr().out
    assert main(_compare_args(paths, "mica,snmnmf", tmp_path / "bad")) == 2
    assert "snmnmf" in capsys.readouterr().err
