"""Each module's confidence: the share of the run's internal reruns in which it came back."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mirmodules import MicaConfig, prepare_inputs, read_modules, save_result, simulate_cohort
from mirmodules.cli import main
from mirmodules.datatypes import module_set_from_groups
from mirmodules.methods.consensus import consensus_modules

pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")

FAST = {"max_epochs": 4, "max_steps": 40, "patience": 2, "n_init": 1, "batch_size": 32}


def test_consensus_confidence_by_hand():
    inter = pd.DataFrame({"mirna": list("aabbaaccdd"), "target": list("xyxyuvuvst")})
    first, second, third = (["a", "b"], ["x", "y"]), (["a", "c"], ["u", "v"]), (["d", "c"], ["s", "t"])
    runs = [module_set_from_groups(g, inter) for g in
            ([first, second], [first, second, third], [first], [first, third])]
    modules = consensus_modules(runs, inter, min_frequency=0.5)
    by_members = {tuple(mirs + mrnas): modules.confidence_of()[mid]
                  for mid, (mirs, mrnas) in modules.groups().items()}
    # first: 4 of 4 runs; second: 2 of 4; third: 2 of 4
    assert by_members == {("a", "b", "x", "y"): 1.0, ("a", "c", "u", "v"): 0.5, ("c", "d", "s", "t"): 0.5}
    assert list(modules.summary()["confidence"]) == [modules.confidence_of()[m] for m in modules.groups()]


def test_pairs_rule_confidence_is_the_median_pair_frequency():
    inter = pd.DataFrame({"mirna": list("aabb"), "target": list("xyxy")})
    g = (["a", "b"], ["x", "y"])
    runs = [module_set_from_groups(x, inter, min_mrnas=1) for x in ([g], [g], [(["a", "b"], ["x"])], [])]
    modules = consensus_modules(runs, inter, rule="pairs", min_frequency=0.5, min_mrnas=1)
    # pairs (a,x), (b,x) in 3 of 4 runs; (a,y), (b,y) in 2 of 4: median of [.5, .5, .75, .75]
    assert modules.confidence_of().tolist() == [0.625]


@pytest.fixture(scope="module")
def noisy():
    # weak modules on few samples: some come back in only part of the K-means runs
    return simulate_cohort(n_samples=40, n_mirnas=40, n_mrnas=400, n_modules=4, seed=12, signal=0.6,
                           noise_model="negbin", false_positive_rate=0.3, missing_rate=0.3)


def _matches(a, b) -> bool:
    return len(a & b) >= 0.5 * len(a | b)


def test_run_confidence_equals_an_oracle_from_the_kmeans_runs(noisy):
    from mirmodules.methods.registry import run_method

    config = MicaConfig(seed=4, kmeans_runs=5, **FAST)
    prepared = prepare_inputs(noisy.mirna, noisy.mrna, noisy.interactions, config=config)
    from mirmodules.methods.mica.pipeline import run_mica

    result = run_mica(prepared, config=config)
    again = run_mica(prepared, config=config)
    pd.testing.assert_series_equal(result.modules.confidence_of(), again.modules.confidence_of())
    # the oracle: the share of the five runs holding a module whose members match (Jaccard >= 0.5)
    # those of the consensus module, recomputed from the runs the pipeline recorded
    from mirmodules.methods.mica import pipeline

    codes = {"mirna": prepared.mirna, "mrna": result.codes["mrna"]}
    joined = pipeline.cluster_and_join(prepared, codes, config, config.seed)
    assert len(joined.runs) == 5
    oracle = {}
    for mid, members in joined.modules.as_sets().items():
        found_in = [any(_matches(members, m) for m in run.as_sets().values()) for run in joined.runs]
        oracle[mid] = sum(found_in) / 5
    assert joined.modules.confidence_of().to_dict() == pytest.approx(oracle)
    assert min(oracle.values()) < 1.0                                  # not every module in every run
    assert run_method("mica", prepared, seed=4, config=config).modules.summary()["confidence"].notna().all()


def test_min_confidence_drops_exactly_the_modules_below_it(noisy, tmp_path):
    from mirmodules.methods.mica.pipeline import run_mica

    prepared = prepare_inputs(noisy.mirna, noisy.mrna, noisy.interactions)
    full = run_mica(prepared, config=MicaConfig(seed=4, kmeans_runs=5, **FAST))
    scores = full.modules.confidence_of()
    assert scores.min() < scores.max()
    threshold = float(scores.max())           # drops every module below the most confident
    cut = run_mica(prepared, config=MicaConfig(seed=4, kmeans_runs=5, min_confidence=threshold, **FAST))
    expected = sorted(scores.index[scores >= threshold])
    assert 0 < len(expected) < len(scores)                                # the cut drops some, not all
    assert sorted(cut.modules.groups()) == expected
    assert cut.modules.groups() == {m: full.modules.groups()[m] for m in expected}
    record = cut.manifest["min_confidence"]
    assert record["modules_dropped"] == len(scores) - len(expected) and record["threshold"] == threshold
    out = save_result(cut, tmp_path / "run")
    written = pd.read_csv(out / "module_summary.tsv", sep="\t")
    assert (written["confidence"] >= threshold).all() and len(written) == len(expected)
    assert read_modules(out).confidence_of().tolist() == pytest.approx(written["confidence"].tolist())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["min_confidence"]["modules_dropped"] == len(scores) - len(expected)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "high"])
def test_bad_min_confidence_exits_2(value, tmp_path, capsys):
    cohort = simulate_cohort(n_samples=20, n_mirnas=20, n_mrnas=120, n_modules=2, seed=1,
                             mirnas_per_module=(2, 3), mrnas_per_module=(5, 8))
    paths = cohort.write(tmp_path / "data")
    try:
        code = main(["-q", "run", "--mirna", str(paths["mirna"]), "--mrna", str(paths["mrna"]),
                     "--interactions", str(paths["interactions"]), "--out", str(tmp_path / "r"),
                     "--min-confidence", value])
    except SystemExit as exit_:  # argparse refuses a non-number itself, also with exit code 2
        code = exit_.code
    assert code == 2
    assert "min_confidence" in capsys.readouterr().err or value == "high"
    assert not (tmp_path / "r").exists()
