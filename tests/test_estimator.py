"""The estimator API: MICA(**params).fit(mirna, mrna, interactions).modules_."""

from __future__ import annotations

import pandas as pd
import pytest

from mirmodules import MICA, InputDataError, MicaConfig, NotFittedError, identify_modules, simulate_cohort
from mirmodules.cli import build_parser
from mirmodules.inputs.prepared import prepare_inputs


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(n_samples=40, n_mirnas=30, n_mrnas=200, n_modules=3, seed=3)


def run_flags() -> set[str]:
    parser = build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]  # argparse has no public accessor
    return {a.dest for a in run._actions if a.option_strings}


def test_parameters_are_the_run_commands_flags():
    params = MICA().get_params()
    assert set(params) <= run_flags()
    assert params == MicaConfig().to_dict()


def test_presets_resolve_and_explicit_values_win():
    assert MICA(preset="paper").get_params()["pools"] == (4, 2)
    assert MICA(preset="paper", pools=(2, 2)).get_params()["pools"] == (2, 2)
    mica = MICA(max_steps=40)
    assert mica.set_params(preset="paper") is mica
    params = mica.get_params()
    assert params["max_steps"] == 40 and params["k_rule"] == "elbow"  # set explicitly / from the new preset
    assert repr(mica) == "MICA(max_steps=40, preset='paper')"


def test_bad_parameters_are_refused_when_given():
    with pytest.raises(InputDataError, match=r"unknown parameter.*max_step"):
        MICA(max_step=10)
    with pytest.raises(InputDataError, match="k_rule"):
        MICA(k_rule="gap")
    mica = MICA(seed=2)
    with pytest.raises(InputDataError, match="batch_size"):
        mica.set_params(batch_size=0)
    assert mica.get_params()["batch_size"] == 64  # a refused change leaves the estimator as it was


def test_fit_is_identify_modules_with_the_same_settings(cohort):
    mica = MICA(max_steps=60, seed=5, threads=1)
    with pytest.raises(NotFittedError):
        _ = mica.modules_
    found = mica.fit(cohort.mirna, cohort.mrna, cohort.interactions).modules_
    expected = identify_modules(cohort.mirna, cohort.mrna, cohort.interactions,
                                config=MicaConfig(max_steps=60, seed=5, threads=1)).modules
    pd.testing.assert_frame_equal(found.members, expected.members)
    assert mica.config_.max_steps == 60
    assert mica.result_.manifest["parameters"]["seed"] == 5


def test_fit_on_prepared_inputs_and_argument_errors(cohort):
    prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions)
    mica = MICA(max_steps=60, seed=5, threads=1)
    from_prepared = mica.fit_modules(prepared)
    from_tables = MICA(max_steps=60, seed=5, threads=1).fit_modules(
        cohort.mirna, cohort.mrna, cohort.interactions
    )
    pd.testing.assert_frame_equal(from_prepared.members, from_tables.members)
    with pytest.raises(InputDataError, match="either PreparedInputs alone"):
        mica.fit(prepared, cohort.mrna)
    with pytest.raises(InputDataError, match="needs the miRNA expression"):
        mica.fit(cohort.mirna, cohort.mrna)


def test_config_groups_by_stage():
    stages = MicaConfig().by_stage()
    assert list(stages) == ["run", "inputs", "preprocessing", "autoencoder", "clustering", "modules"]
    assert stages["autoencoder"]["pools"] == (1, 1)
    assert sum(len(v) for v in stages.values()) == len(MicaConfig().to_dict())
