"""The two presets: the paper's configuration reproduces mirmodules 0.1, the defaults differ where
docs/method_choices.md says, and explicit settings win over a preset."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from mirmodules import InputDataError, MicaConfig, identify_modules, simulate_cohort
from mirmodules.cli import main
from mirmodules.config import PRESETS

# small cohorts often have no elbow by the paper's rule; the fallback warning is expected there
pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")

GOLDEN = Path(__file__).parent / "data" / "paper_preset_modules_seed5.tsv"


def test_preset_values_and_explicit_settings_win():
    paper = MicaConfig(preset="paper")
    assert (paper.pools, paper.k_rule, paper.k_max, paper.max_steps, paper.repression,
            paper.mirna_clustering) == ((4, 2), "elbow", 30, None, "any", "kmeans")
    default = MicaConfig()
    assert (default.pools, default.k_rule, default.k_max, default.repression, default.mirna_clustering) == (
        (1, 1), "sqrt", None, "edges", "none")
    assert MicaConfig(preset="paper", k_rule="silhouette").k_rule == "silhouette"
    assert MicaConfig.paper(seed=3).seed == 3 and MicaConfig.paper().preset == "paper"
    # every preset sets the same fields
    assert set(PRESETS["paper"]) == set(PRESETS["default"])


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(InputDataError, match="'preset' parameter must be one of"):
        MicaConfig(preset="fast")


def test_paper_preset_reproduces_version_0_1_modules():
    cohort = simulate_cohort(n_samples=48, n_mirnas=40, n_mrnas=300, n_modules=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = identify_modules(cohort.mirna, cohort.mrna, cohort.interactions,
                                  config=MicaConfig.paper(max_epochs=8, k_max=10, n_init=3, seed=5))
    golden = pd.read_csv(GOLDEN, sep="\t")
    pd.testing.assert_frame_equal(result.modules.members.reset_index(drop=True), golden)
    assert result.manifest["preset"] == "paper"
    assert result.manifest["choices"]["repression_filter"] == "any"
    assert result.manifest["choices"]["decoder_upsampling"].startswith("nearest")  # pools 4 x 2


def test_cli_preset_is_recorded(small_cohort, tmp_path):
    paths = small_cohort.write(tmp_path / "data")
    out = tmp_path / "run"
    code = main(["-q", "run", "--mirna", str(paths["mirna"]), "--mrna", str(paths["mrna"]),
                 "--interactions", str(paths["interactions"]), "--out", str(out),
                 "--preset", "paper", "--max-epochs", "3", "--k-max", "8", "--n-init", "2"])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["preset"] == "paper"
    assert manifest["parameters"]["pools"] == [4, 2]
    assert manifest["parameters"]["max_epochs"] == 3            # the explicit flag won
    assert manifest["clustering"]["mirna"]["rule"] in {"elbow", "kneedle", "max_second_difference"}
    assert manifest["training"]["mrna"]["stop_reason"] in {"max_epochs", "early_stopping"}
    assert manifest["parameters"]["batch_size"] == 64 == manifest["training"]["mrna"]["batch_size"]


@pytest.mark.parametrize(("n_samples", "limit", "pools", "expected"), [
    (424, 1024, (1, 1), (1, 1)),      # short profiles: no pooling
    (1024, 1024, (1, 1), (1, 1)),     # exactly at the limit
    (1025, 1024, (1, 1), (2, 2)),     # P = 2 -> two equal widths ceil(sqrt(2)) = 2
    (3100, 1024, (1, 1), (2, 2)),     # 3100 // 3 = 1033 > 1024, so P = 4
    (9000, 1024, (1, 1), (3, 3)),     # the pan-cancer cohort: 1,000 positions after pooling
    (11000, 1024, (1, 1), (4, 4)),    # P = 11 -> 4 x 4
    (9000, 1024, (4, 4), (4, 4)),     # given pools already short enough: kept
    (9000, 1024, (5, 1), (5, 3)),     # each width at least the given one
    (9000, None, (1, 1), (1, 1)),     # no limit: the pools as given
])
def test_pools_widen_on_long_profiles(n_samples, limit, pools, expected):
    config = MicaConfig(pools=pools, max_pooled_length=limit)
    resolved = config.resolved_pools(n_samples)
    assert resolved == expected
    if limit is not None:
        assert n_samples // (resolved[0] * resolved[1]) <= limit


def test_long_profiles_are_pooled_and_recorded():
    # 60 samples with a limit of 16 -> P = 4 -> (2, 2); the run trains and records the widths
    cohort = simulate_cohort(n_samples=60, n_mirnas=20, n_mrnas=120, n_modules=2, seed=1)
    result = identify_modules(cohort.mirna, cohort.mrna, cohort.interactions,
                              config=MicaConfig(max_pooled_length=16, max_steps=20, eval_every=10))
    assert result.manifest["training"]["mrna"]["pools"] == [2, 2]
    assert tuple(result.manifest["parameters"]["pools"]) == (1, 1)
    assert result.manifest["choices"]["decoder_upsampling"].startswith("nearest")
    unpooled = identify_modules(cohort.mirna, cohort.mrna, cohort.interactions,
                                config=MicaConfig(max_steps=20, eval_every=10))
    assert unpooled.manifest["training"]["mrna"]["pools"] == [1, 1]
    assert unpooled.manifest["choices"]["decoder_upsampling"] == "none (no pooling)"
    assert MicaConfig().max_pooled_length is None is MicaConfig.paper().max_pooled_length
