"""Stability, consensus, significance, and the Dask batch runner."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError, MicaConfig, recovery_scores, simulate_cohort
from mirmodules.datatypes import module_set_from_groups
from mirmodules.evaluation.perturbation import bootstrap_prepared, module_significance, rewire_bipartite
from mirmodules.exceptions import MirmodulesError
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.consensus import co_membership, consensus_modules
from mirmodules.workflows.stability import stability

pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")


@pytest.fixture(scope="module")
def planted():
    cohort = simulate_cohort(
        n_samples=80, n_mirnas=50, n_mrnas=500, n_modules=4, signal=1.5, false_positive_rate=0.2, seed=11
    )
    return cohort, prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())


def test_rewiring_keeps_every_degree_and_changes_the_edges():
    rng = np.random.default_rng(0)
    edges = pd.DataFrame(
        {
            "mirna": rng.choice([f"m{i}" for i in range(30)], 400),
            "target": rng.choice([f"g{i}" for i in range(200)], 400),
        }
    ).drop_duplicates()
    rewired = rewire_bipartite(edges, np.random.default_rng(1))
    pd.testing.assert_series_equal(
        edges["mirna"].value_counts().sort_index(), rewired["mirna"].value_counts().sort_index()
    )
    pd.testing.assert_series_equal(
        edges["target"].value_counts().sort_index(), rewired["target"].value_counts().sort_index()
    )
    assert not rewired.duplicated().any()
    kept = len(edges.merge(rewired, on=["mirna", "target"]))
    assert kept < 0.2 * len(edges)
    # one edge cannot be swapped: it comes back as it is, with the two columns only
    one = pd.DataFrame({"mirna": ["m1"], "target": ["g1"], "evidence": ["strong"]})
    pd.testing.assert_frame_equal(rewire_bipartite(one, np.random.default_rng(1)), one[["mirna", "target"]])


def test_deterministic_method_over_seeds_has_stability_one(planted):
    _, prepared = planted
    result = stability(prepared, "demine", n_seeds=3, n_bootstraps=0)
    assert result.score == 1.0
    assert (result.per_module["reappearance"] == 1.0).all()
    assert list(result.per_run["kind"]) == ["seed"] * 3


def test_stability_gives_the_pipelines_advice_once_not_per_rerun(planted, caplog, monkeypatch):
    from mirmodules.methods.mica import pipeline

    def advise(modules, config):  # stands in for a warning about the run's modules
        pipeline.logger.warning("advice about %d modules", modules.n_modules)

    monkeypatch.setattr(pipeline, "_warn_low_confidence", advise)
    _, prepared = planted
    config = MicaConfig(max_steps=40, threads=1, kmeans_runs=1)
    with caplog.at_level(logging.WARNING, logger="mirmodules.methods.mica.pipeline"):
        result = stability(prepared, "mica", n_seeds=2, n_bootstraps=1, config=config)
    assert len(result.per_run) == 3
    assert caplog.text.count("advice about") == 1  # the reference run's
    assert logging.getLogger("mirmodules.methods.mica.pipeline").level == logging.NOTSET  # restored


def test_planted_modules_are_stable_and_significant_permuted_ones_are_not(planted, caplog):
    cohort, prepared = planted
    result = stability(prepared, "mirsynergy", n_seeds=1, n_bootstraps=4)
    assert result.score > 0.6, result.per_run
    assert result.per_module["reappearance"].mean() > 0.6
    sets = [result.reference] + [m for _, m in result.runs]
    consensus = consensus_modules(sets, prepared.interactions)
    assert recovery_scores(cohort.truth, consensus)["recovery"] > 0.5
    freq = co_membership(sets)
    assert freq["frequency"].between(0, 1).all() and freq["frequency"].max() == 1.0

    with caplog.at_level(logging.INFO, logger="mirmodules.evaluation.perturbation"):
        significance = module_significance(cohort.truth, prepared, n_null=99, seed=0)
    assert (significance["q_rewired"] < 0.05).all() and (significance["q_shuffled"] < 0.05).all()
    n = len(significance)
    assert f"significance: {n} of {n} modules at q < 0.05 against rewiring, {n} against shuffling" in (
        caplog.messages)
    # one null mean per module, not one for all (these modules differ in members and degrees)
    assert significance["rewired_mean_network_edges"].nunique() == n
    with pytest.raises(InputDataError, match="'n_null' parameter must be an integer"):
        module_significance(cohort.truth, prepared, n_null=9.5)
    # modules of random members: neither denser in interactions nor anti-correlated
    rng = np.random.default_rng(3)
    random_groups = [
        (
            list(rng.choice(prepared.mirna.index, 4, replace=False)),
            list(rng.choice(prepared.mrna.index, 20, replace=False)),
        )
        for _ in range(6)
    ]
    random_modules = module_set_from_groups(random_groups, prepared.interactions, min_mirnas=2, min_mrnas=2)
    null = module_significance(random_modules, prepared, n_null=99, seed=0)
    assert ((null["q_rewired"] < 0.05) & (null["q_shuffled"] < 0.05)).sum() == 0


def test_bootstrap_keeps_shapes_and_makes_names_unique(planted):
    _, prepared = planted
    boot = bootstrap_prepared(prepared, np.random.default_rng(0))
    assert boot.mirna.shape == prepared.mirna.shape and boot.mrna.shape == prepared.mrna.shape
    assert boot.mirna.columns.is_unique and list(boot.mirna.columns) == list(boot.mrna.columns)
    assert len({c.split("#")[0] for c in boot.mirna.columns}) < len(prepared.samples)


def test_stability_rejects_bad_arguments(planted):
    _, prepared = planted
    with pytest.raises(InputDataError, match="match_threshold"):
        stability(prepared, "demine", match_threshold=1.5)


def _plan(folder, cohorts, methods='["demine", "mirsynergy"]', extra=""):
    lines = [f"methods = {methods}", "seeds = [0, 1]", "bootstraps = 1", ""]
    for name, paths in cohorts.items():
        lines += [
            "[[cohorts]]",
            f'name = "{name}"',
            f'mirna = "{paths["mirna"]}"',
            f'mrna = "{paths["mrna"]}"',
            f'interactions = "{paths["interactions"]}"',
            "",
        ]
    (folder / "plan.toml").write_text("\n".join(lines) + extra)
    return folder / "plan.toml"


@pytest.fixture(scope="module")
def three_cohorts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    cohorts = {}
    for s in (1, 2, 3):
        cohort = simulate_cohort(n_samples=40, n_mirnas=30, n_mrnas=240, n_modules=3, seed=s)
        cohorts[f"c{s}"] = cohort.write(folder / f"c{s}")
    return folder, cohorts


def test_batch_on_a_local_cluster_survives_failures_and_resumes(three_cohorts):
    pytest.importorskip("distributed")
    from distributed import Client

    from mirmodules.workflows.batch import load_plan, local_cluster, run_batch

    folder, cohorts = three_cohorts
    plan_path = _plan(folder, cohorts, extra="\n[method_parameters.demine]\nmin_density = 2.0\n")
    with pytest.raises(InputDataError, match="min_density"):  # a plan file is validated at load...
        load_plan(plan_path)
    # ...but a plan built in Python can still fail per task: failures are recorded, others go on
    plan = replace(load_plan(_plan(folder, cohorts)), method_parameters={"demine": {"min_density": 2.0}})
    assert len(plan.tasks()) == 3 * 2 * 2 * 2
    out = folder / "out"
    with (
        local_cluster(2) as cluster,
        Client(cluster) as client,
    ):
        first = run_batch(plan, out, client=client)
        assert (first.loc[first["method"] == "demine", "status"] == "failed").all()
        assert first.loc[first["method"] == "demine", "error"].str.contains("min_density").all()
        assert (first.loc[first["method"] == "mirsynergy", "status"] == "ok").all()
        stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/mirsynergy/*/task.json")}
        assert len(stamps) == 12
        # an interrupted batch: one finished task lost its output; the plan's error is fixed
        lost = out / "c2" / "mirsynergy" / "seed-1_boot-1"
        for f in lost.iterdir():
            f.unlink()
        lost.rmdir()
        fixed = load_plan(_plan(folder, cohorts))
        second = run_batch(fixed, out, client=client)
    status = second.set_index("task")["status"]
    assert status["c2/mirsynergy/seed-1_boot-1"] == "ok"
    assert (
        status[[k for k in status.index if "mirsynergy" in k and k != "c2/mirsynergy/seed-1_boot-1"]]
        == "skipped"
    ).all()
    assert (status[[k for k in status.index if "demine" in k]] == "ok").all()
    for path, stamp in stamps.items():
        if path.parent != lost:
            assert path.stat().st_mtime_ns == stamp  # not recomputed
    record = json.loads((out / "c1" / "demine" / "seed-0_boot-0" / "task.json").read_text())
    assert record["status"] == "ok" and record["n_modules"] >= 1
    stab = pd.read_csv(out / "stability.tsv", sep="\t")
    assert set(stab["method"]) == {"demine", "mirsynergy"} and stab["stability"].between(0, 1).all()


def test_plan_errors_and_missing_dask_message(three_cohorts, monkeypatch, tmp_path):
    from mirmodules.workflows.batch import load_plan, run_batch

    _, cohorts = three_cohorts
    bad = _plan(tmp_path, cohorts, methods='["snmnmf"]')
    with pytest.raises(InputDataError, match="unknown method"):
        load_plan(bad)
    (tmp_path / "empty.toml").write_text('methods = ["mica"]\n')
    with pytest.raises(InputDataError, match="no cohorts"):
        load_plan(tmp_path / "empty.toml")
    plan = load_plan(_plan(tmp_path, cohorts))
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MirmodulesError, match=r"mirmodules\[dask\]"):
        run_batch(plan, tmp_path / "out")


def test_stability_command_writes_consensus(three_cohorts, tmp_path, capsys):
    from mirmodules.cli import main

    _, cohorts = three_cohorts
    paths = cohorts["c1"]
    files = ["--mirna", paths["mirna"], "--mrna", paths["mrna"], "--interactions", paths["interactions"]]
    options = ["--method", "mirsynergy", "--n-seeds", "1", "--n-bootstraps", "2", "--out", tmp_path / "st"]
    code = main([str(a) for a in ("-q", "stability", *files, *options)])
    assert code == 0
    assert "stability score" in capsys.readouterr().out
    for name in (
        "stability_modules.tsv",
        "stability_runs.tsv",
        "co_membership.tsv",
        "stability.json",
        "consensus/modules.tsv",
    ):
        assert (tmp_path / "st" / name).exists(), name
    info = json.loads((tmp_path / "st" / "stability.json").read_text())
    assert 0 <= info["score"] <= 1 and info["n_orders"] == 0
    assert info["consensus_rule"] == "matched" and info["consensus_frequency"] == 0.5
    # the consensus modules are scored like any run
    assert (
        main(
            [
                "-q",
                "evaluate",
                str(tmp_path / "st" / "consensus"),
                "--families",
                str(paths["families"]),
                "--out",
                str(tmp_path / "st_eval"),
            ]
        )
        == 0
    )
    assert (tmp_path / "st_eval" / "family_enrichment.tsv").exists()


def test_significance_option_of_evaluate(planted):
    from mirmodules.config import EvaluationOptions
    from mirmodules.evaluation.evaluate import evaluate_modules

    cohort, prepared = planted
    evaluation = evaluate_modules(cohort.truth, prepared, options=EvaluationOptions(significance_nulls=49))
    assert evaluation.summary()["n_significant"].iloc[0] == cohort.truth.n_modules
    off = evaluate_modules(cohort.truth, replace(prepared), options=EvaluationOptions())
    assert off.significance is None and np.isnan(off.summary()["n_significant"].iloc[0])


def test_permutation_p_values_count_the_observed_statistic_once(small_cohort):
    """p = (1 + #null at least as extreme) / (1 + n_null): a planted module stronger than every
    null draw gets exactly 1 / (n_null + 1), never 0."""
    from mirmodules import prepare_inputs
    from mirmodules.evaluation.perturbation import module_significance

    prepared = prepare_inputs(small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    table = module_significance(small_cohort.truth, prepared, n_null=9, seed=0)
    assert (table["p_shuffled"] >= 0.1 - 1e-12).all() and (table["p_rewired"] >= 0.1 - 1e-12).all()
    assert table["p_shuffled"].min() == pytest.approx(0.1)
    grid = set(np.round(table["p_shuffled"] * 10, 9)) | set(np.round(table["p_rewired"] * 10, 9))
    assert grid <= {float(k) for k in range(1, 11)}
