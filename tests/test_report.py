"""Evaluation of run directories, the HTML report (browser-free) and the evaluate command."""

from __future__ import annotations

import base64
import io
import json
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from PIL import Image

from mirmodules import run_from_files, save_result
from mirmodules.cli import main
from mirmodules.config import EvaluationOptions
from mirmodules.evaluation.evaluate import SUMMARY_COLUMNS
from mirmodules.workflows.evaluate import evaluate_run

pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.tables = 0
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "table":
            self.tables += 1
        if tag not in ("img", "meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> after {self.stack[-3:]}"
        self.stack.pop()


@pytest.fixture(scope="module")
def evaluated_run(tmp_path_factory, small_cohort):
    from mirmodules import MicaConfig

    folder = tmp_path_factory.mktemp("evaluated")
    paths = small_cohort.write(folder / "data")
    config = MicaConfig(max_epochs=4, patience=2, k_max=10, n_init=3, batch_size=32)
    result = run_from_files(paths["mirna"], paths["mrna"], paths["interactions"], config=config)
    save_result(result, folder / "run")
    evaluation, report = evaluate_run(
        folder / "run",
        folder / "eval",
        families=paths["families"],
        gene_sets=[paths["gene_sets"]],
        clinical=paths["clinical"],
        options=EvaluationOptions(cv_folds=3),
    )
    return folder, paths, evaluation, report


def test_report_is_complete_and_its_images_decode(evaluated_run):
    _, _, evaluation, report = evaluated_run
    html = report.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    assert parser.stack == ["html"] or parser.stack == []  # only the document itself may stay open
    assert {"summary", "figures", "modules", "thresholds", "inputs", "manifest"} <= parser.ids
    assert parser.tables >= 4
    n_modules = evaluation.modules.n_modules
    # run figures (an SSE curve per modality with a K sweep, a loss curve per trained autoencoder)
    # + density + enrichment + terms CDF, and per module 4 figures
    folder = evaluated_run[0]
    sse = pd.read_csv(folder / "run" / "sse_curve.tsv", sep="\t")
    history = pd.read_csv(folder / "run" / "training_history.tsv", sep="\t")
    n_run_figures = int((sse.groupby("kind").size() >= 2).sum()) + history["kind"].nunique()
    assert n_run_figures == 1  # defaults: one K (sqrt rule), miRNAs not clustered, one autoencoder
    assert len(parser.images) == n_run_figures + 3 + 4 * min(n_modules, 20)
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        image.verify()
        assert image.size[0] > 100 and image.size[1] > 100
    assert "http://" not in html and "https://" not in html  # self-contained
    assert f"q &lt; {evaluation.options.family_q}" in html  # thresholds stated
    assert "manifest.json" in html


def test_evaluation_tables_on_disk(evaluated_run):
    _, _, evaluation, report = evaluated_run
    out = report.parent
    for name in (
        "topology.tsv",
        "family_enrichment.tsv",
        "term_enrichment.tsv",
        "survival.tsv",
        "risk_scores.tsv",
        "summary.tsv",
        "evaluation.json",
    ):
        assert (out / name).exists(), name
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary["n_modules"].iloc[0] == evaluation.modules.n_modules
    survival = pd.read_csv(out / "survival.tsv", sep="\t")
    assert len(survival) == evaluation.modules.n_modules
    info = json.loads((out / "evaluation.json").read_text())
    assert info["options"]["cv_folds"] == 3 and info["inputs"]["clinical"]["matched"] == 40
    assert info["inputs"]["families"]["source"] == f"{evaluated_run[1]['families']} (plain)"
    gene_sets = info["inputs"]["gene_sets"][0]
    n_mrnas = len(pd.read_csv(evaluated_run[1]["mrna"], sep="\t", index_col=0))  # none filtered here
    assert gene_sets["terms"] > 0 and gene_sets["analysed_mrnas"] == n_mrnas


def test_evaluate_command_and_its_errors(evaluated_run, tmp_path, capsys):
    folder, paths, _, _ = evaluated_run
    code = main(
        [
            "-q",
            "evaluate",
            str(folder / "run"),
            "--families",
            str(paths["families"]),
            "--clinical",
            str(paths["clinical"]),
            "--cv-folds",
            "0",
            "--out",
            str(tmp_path / "ev"),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "family-enriched modules" in printed and "report:" in printed
    assert (tmp_path / "ev" / "report.html").exists()
    assert not (tmp_path / "ev" / "term_enrichment.tsv").exists()  # no gene sets given
    code = main(
        [
            "-q",
            "evaluate",
            str(folder / "run"),
            "--families",
            str(tmp_path / "missing.tsv"),
            "--out",
            str(tmp_path / "ev2"),
        ]
    )
    assert code == 2
    assert "missing.tsv" in capsys.readouterr().err
    # a run whose inputs moved: the message names the flag to use
    moved = tmp_path / "moved_run"
    shutil.copytree(folder / "run", moved)
    manifest = json.loads((moved / "manifest.json").read_text())
    manifest["inputs"]["mirna"] = {**manifest["inputs"]["mirna"], "path": "gone/mirna.tsv",
                                   "resolved": "/nonexistent/mirna.tsv"}
    (moved / "manifest.json").write_text(json.dumps(manifest))
    assert main(["-q", "evaluate", str(moved), "--out", str(tmp_path / "ev3")]) == 2
    assert "--mirna" in capsys.readouterr().err
    assert (
        main(["-q", "evaluate", str(moved), "--mirna", str(paths["mirna"]), "--out", str(tmp_path / "ev4")])
        == 0
    )


def test_report_warns_about_what_to_check_before_trusting_it(evaluated_run):
    from mirmodules.report.html import report_warnings

    evaluation = evaluated_run[2]
    manifest = {
        "counts": {"mirna_ids_in_expression": 200, "mirna_ids_dropped_ambiguous": 4,
                   "mirna_ids_dropped_unmatched": 16},
        "training": {"mrna": {"stop_reason": "max_steps"}, "mirna": {"stop_reason": "early_stopping"}},
        "clustering": {"mirna": {"rule": "max_second_difference", "k": 4}, "mrna": {"rule": "sqrt"}},
    }
    warnings = report_warnings([evaluation], manifest)
    assert any("20 of 200 miRNA ids" in w for w in warnings)
    # a budget stop alone is not a warning (the defaults' budget ends most runs); the run warns
    # itself, in its manifest's warnings, when the validation loss was still falling
    assert not any("autoencoder" in w for w in warnings)
    own = "stage 1 autoencoder (mrna): training stopped by max_steps before early stopping"
    ran = report_warnings([evaluation], {**manifest, "warnings": [own]})
    assert any("stopped by max_steps" in w for w in ran)
    assert any("max_second_difference fallback" in w for w in warnings)
    assert report_warnings([], {"counts": {"mirna_ids_in_expression": 200,
                                           "mirna_ids_dropped_unmatched": 10}}) == []  # 5%: no warning
    # the panel is in the report when there is something to say
    html = evaluated_run[3].read_text(encoding="utf-8")
    run_manifest = json.loads((evaluated_run[0] / "run" / "manifest.json").read_text())
    expected = report_warnings([evaluation], run_manifest)
    assert ('class="warnings"' in html) == bool(expected)
    for w in expected:
        assert w.split(";")[0][:40] in html.replace("&#39;", "'")


def test_summary_counts_equal_counts_recomputed_from_the_written_tables(evaluated_run):
    """summary.tsv against its own tables, by the documented criteria (strict: q < term_q and at
    least min_term_overlap genes; lenient: raw p < term_p; family: q < family_q)."""
    folder, _, evaluation, _ = evaluated_run
    opts = evaluation.options
    summary = pd.read_csv(folder / "eval" / "summary.tsv", sep="\t").iloc[0]
    terms = pd.read_csv(folder / "eval" / "term_enrichment.tsv", sep="\t")
    strict = terms[(terms["q_value"] < opts.term_q) & (terms["n_in_module"] >= opts.min_term_overlap)]
    lenient = terms[terms["p_value"] < opts.term_p]
    assert summary["n_term_enriched"] == strict["module_id"].nunique()
    assert summary["n_term_enriched_lenient"] == lenient["module_id"].nunique()
    family = pd.read_csv(folder / "eval" / "family_enrichment.tsv", sep="\t")
    enriched_families = family.loc[family["q_value"] < opts.family_q, "module_id"]
    assert summary["n_family_enriched"] == enriched_families.nunique()
    topology = pd.read_csv(folder / "eval" / "topology.tsv", sep="\t")
    assert summary["n_modules"] == len(topology)
    assert summary["mean_mrnas"] == pytest.approx(topology["n_mrnas"].mean(), rel=1e-5)  # 6 digits written


def test_strict_and_lenient_term_counts_are_not_interchangeable(small_cohort):
    """A term holding two genes of one module (raw p below the lenient cut, but fewer than three
    genes) counts as lenient only; one holding five of another module's counts as both."""
    from mirmodules import EvaluationOptions, evaluate_modules, prepare_inputs
    from mirmodules.inputs.annotations import GeneSetCollection

    prepared = prepare_inputs(small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    modules = list(small_cohort.truth.groups().values())
    first, second = (sorted(g for g in genes if g in prepared.mrna.index) for _, genes in modules[:2])
    sets = {"TWO": frozenset(first[:2]), "FIVE": frozenset(second[:5]),
            "ALL": frozenset(prepared.mrna.index)}                 # every analysed gene: the background
    collection = GeneSetCollection("handmade", sets, {k: k for k in sets})
    options = EvaluationOptions(min_term_size=2, term_p=0.05)
    row = evaluate_modules(small_cohort.truth, prepared, gene_sets=[collection], options=options)
    summary = row.summary().iloc[0]
    assert (summary["n_term_enriched"], summary["n_term_enriched_lenient"]) == (1, 2)
    # what the evaluation records of its gene sets (manifest.json's inputs)
    assert row.inputs["gene_sets"] == [{"collection": "handmade", "terms": 3,
                                        "analysed_mrnas_annotated": len(prepared.mrna.index),
                                        "analysed_mrnas": len(prepared.mrna.index)}]
