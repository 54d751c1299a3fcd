"""Survival: TCGA barcode matching, risk-score model against direct lifelines calls, planted signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _shared import shared_file
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test

from mirmodules import InputDataError, module_set_from_members, simulate_cohort
from mirmodules.evaluation.survival import (
    match_clinical,
    module_survival,
    read_clinical,
    risk_group_comparison,
)


def _module(mirnas, genes=("g1", "g2"), module_id="M1"):
    rows = [(module_id, m, "mirna") for m in mirnas] + [(module_id, g, "mrna") for g in genes]
    return module_set_from_members(pd.DataFrame(rows, columns=["module_id", "feature", "kind"]))


def test_tcga_matching_rules_and_counts(caplog):
    import logging

    clinical = pd.DataFrame(
        {
            "sample": ["TCGA-AA-0001", "TCGA-AA-0002", "TCGA-AA-0004"],
            "os_time_days": [100, 200, 300],
            "os_event": [1, 0, 1],
        }
    )
    samples = [
        "TCGA-AA-0001-01A-11R-A00Z-07",  # primary tumour
        "TCGA-AA-0001-01B-11R-A00Z-07",  # second primary aliquot of the same patient
        "TCGA-AA-0002-11A-01R-A00Z-07",  # solid normal: excluded by default
        "TCGA-AA-0003-01A",  # no clinical row
        "tcga-aa-0004-01a",
    ]  # lower case still matches
    with caplog.at_level(logging.INFO, logger="mirmodules.evaluation.survival"):
        match = match_clinical(samples, clinical)
    assert match.table["patient"].tolist() == ["TCGA-AA-0001", "TCGA-AA-0004"]
    assert f"clinical matching: {match.counts}" in caplog.messages
    assert match.counts == {
        "samples": 5,
        "matched": 2,
        "excluded_sample_type": 1,
        "duplicate_patient": 1,
        "without_clinical": 1,
        "clinical_without_expression": 1,
    }
    every_type = match_clinical(samples, clinical, sample_types=None)
    assert "TCGA-AA-0002" in set(every_type.table["patient"])
    with pytest.raises(InputDataError, match="No expression sample matched"):
        match_clinical(["X1", "X2"], clinical)


def test_read_clinical_options_and_errors(tmp_path):
    path = tmp_path / "clin.tsv"
    path.write_text("id\ttime\tvital\nP1\t10\tDead\nP2\t\tAlive\nP3\t30\talive\n")
    table = read_clinical(path, sample_column="id", time_column="time", event_column="vital")
    assert table.values.tolist() == [["P1", 10.0, 1], ["P3", 30.0, 0]]
    with pytest.raises(InputDataError, match="lacks column"):
        read_clinical(path)
    bad = tmp_path / "bad.tsv"
    bad.write_text("sample\tos_time_days\tos_event\nP1\t10\tmaybe\n")
    with pytest.raises(InputDataError, match="maybe"):
        read_clinical(bad)


def test_read_clinical_event_codes_line_numbers_and_short_times(tmp_path, caplog):
    import logging

    path = tmp_path / "clin.tsv"
    path.write_text("sample\tos_time_days\tos_event\n" + "".join(
        f"P{i}\t{t}\t{e}\n" for i, (t, e) in enumerate(
            [(10, "1.0"), (20, "0.0"), (30, "TRUE"), (40, "false"), (50, "deceased"), (60, "Living"),
             (70, "  "), (80, "1"), (90, "0"), (100, "dead"), (110, "alive")])))
    with caplog.at_level(logging.INFO, logger="mirmodules.evaluation.survival"):
        table = read_clinical(path)
    assert table["os_event"].tolist() == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]  # P6's blank event: not used
    assert "P6" not in table["sample"].tolist()
    assert "clinical: 1 of 11 rows lack a time or an event and are not used" in caplog.messages
    assert (f"Clinical file {path}: the longest time in 'os_time_days' is 110, short for days (TCGA "
            "follow-up runs to thousands of days); if the times are months, name the column with 'months' "
            "(e.g. os_time_months, --clinical-time-column os_time_months) and they are converted to "
            "days.") in caplog.messages
    infinite = tmp_path / "inf.tsv"
    infinite.write_text("sample\tos_time_days\tos_event\nP1\t10\t1\nP2\tinf\t0\n")
    with pytest.raises(InputDataError) as raised:
        read_clinical(infinite)
    assert str(raised.value) == f"Clinical file {infinite}: time column 'os_time_days' is infinite on line 3."


def test_median_groups_put_a_tie_at_the_median_low():
    from mirmodules.evaluation.survival import _median_groups

    assert _median_groups(np.array([1.0, 2.0, 2.0, 3.0])).tolist() == ["low", "low", "low", "high"]
    assert _median_groups(np.array([1.0, np.nan])).tolist() == ["", ""]


def test_risk_group_comparison_matches_lifelines():
    rng = np.random.default_rng(1)
    time = rng.exponential(100, size=80)
    event = (rng.random(80) < 0.7).astype(float)
    high = rng.random(80) < 0.5
    time[high] *= 0.6
    got = risk_group_comparison(time, event, high)
    lr = logrank_test(time[high], time[~high], event[high], event[~high])
    cph = CoxPHFitter().fit(pd.DataFrame({"g": high.astype(float), "T": time, "E": event}), "T", "E")
    assert got["logrank_p"] == pytest.approx(lr.p_value, rel=1e-10)
    assert got["hr"] == pytest.approx(cph.hazard_ratios_["g"], rel=1e-8)
    assert got["hr_ci_lower"] == pytest.approx(np.exp(cph.confidence_intervals_.loc["g"].iloc[0]), rel=1e-8)
    assert got["converged"]


def test_module_risk_score_matches_a_direct_lifelines_pipeline():
    rng = np.random.default_rng(2)
    n = 90
    samples = [f"P{i:03d}" for i in range(n)]
    expr = pd.DataFrame(rng.standard_normal((3, n)), index=["a", "b", "c"], columns=samples)
    hazard = np.exp(0.8 * expr.loc["a"].to_numpy() - 0.5 * expr.loc["b"].to_numpy())
    time = rng.exponential(200 / hazard)
    event = (rng.random(n) < 0.8).astype(int)
    clinical = pd.DataFrame({"sample": samples, "os_time_days": time, "os_event": event})
    result = module_survival(_module(["a", "b"]), expr, match_clinical(samples, clinical), cv_folds=5, seed=0)
    row = result.summary.iloc[0]
    # direct: multivariate Cox on a and b, linear predictor, median split, log-rank
    frame = pd.DataFrame({"x0": expr.loc["a"], "x1": expr.loc["b"]}).reset_index(drop=True)
    cph = CoxPHFitter().fit(frame.assign(T=time, E=event), "T", "E")
    score = cph.predict_log_partial_hazard(frame).to_numpy()
    high = score > np.median(score)
    expected_p = logrank_test(time[high], time[~high], event[high], event[~high]).p_value
    assert row["logrank_p"] == pytest.approx(expected_p, rel=1e-8)
    np.testing.assert_allclose(result.risk_scores["risk_score"], score, rtol=1e-8)
    assert row["converged"] and row["prognostic_in_sample"] and row["hr"] > 1
    assert row["cv_converged"] and row["cv_logrank_p"] < 0.05
    assert (result.risk_scores["risk_group"] == "high").sum() == n // 2
    assert row["n_events"] == int(event.sum()) and row["n_patients"] == n and row["n_covariates"] == 2


def test_module_survival_columns_log_line_and_penalizer(caplog):
    import logging

    from mirmodules.evaluation.survival import SURVIVAL_COLUMNS

    rng = np.random.default_rng(4)
    n = 60
    samples = [f"P{i:03d}" for i in range(n)]
    expr = pd.DataFrame(rng.standard_normal((2, n)), index=["a", "b"], columns=samples)
    time = rng.exponential(200 / np.exp(0.9 * expr.loc["a"].to_numpy()))
    clinical = pd.DataFrame({"sample": samples, "os_time_days": time, "os_event": np.ones(n, dtype=int)})
    match = match_clinical(samples, clinical)
    with caplog.at_level(logging.INFO, logger="mirmodules.evaluation.survival"):
        result = module_survival(_module(["a", "b"]), expr, match, cv_folds=3, seed=0)
    assert result.summary.columns.tolist() == list(SURVIVAL_COLUMNS)
    row = result.summary.iloc[0]
    expected = (f"survival: 1 modules, {int(row['prognostic_in_sample'])} prognostic (log-rank p < 0.05), "
                f"{int(row['cv_prognostic'])} cross-validated")
    assert expected in caplog.messages
    with pytest.raises(InputDataError, match="'penalizer'"):
        module_survival(_module(["a", "b"]), expr, match, penalizer=-0.1)


@pytest.mark.parametrize(("n_events", "splitter"), [(12, "stratified"), (37, "stratified"), (38, "plain")])
def test_cross_validated_scores_match_a_direct_sklearn_and_lifelines_pipeline(n_events, splitter):
    from sklearn.model_selection import KFold, StratifiedKFold

    rng = np.random.default_rng(7)
    n = 40
    samples = [f"P{i:03d}" for i in range(n)]
    expr = pd.DataFrame(rng.standard_normal((2, n)), index=["a", "b"], columns=samples)
    time = rng.exponential(200 / np.exp(0.7 * expr.loc["a"].to_numpy()))
    event = np.zeros(n, dtype=int)
    event[rng.choice(n, n_events, replace=False)] = 1
    clinical = pd.DataFrame({"sample": samples, "os_time_days": time, "os_event": event})
    result = module_survival(_module(["a", "b"]), expr, match_clinical(samples, clinical), cv_folds=3, seed=5,
                             events_per_covariate=None)
    # direct: folds stratified by event when every fold can hold events and non-events (3 censored
    # patients in 3 folds is the edge that still stratifies; 2 is not), a Cox fit per training part,
    # the held-out part scored by it, then the median split and the log-rank test
    folds = (StratifiedKFold if splitter == "stratified" else KFold)(3, shuffle=True, random_state=5)
    frame = pd.DataFrame({"x0": expr.loc["a"], "x1": expr.loc["b"]}).reset_index(drop=True)
    expected = np.empty(n)
    for train, test in folds.split(np.zeros(n), event):
        train_frame = frame.iloc[train].reset_index(drop=True).assign(T=time[train], E=event[train])
        cph = CoxPHFitter().fit(train_frame, "T", "E")
        expected[test] = cph.predict_log_partial_hazard(frame.iloc[test]).to_numpy()
    np.testing.assert_allclose(result.risk_scores["cv_risk_score"], expected, rtol=1e-6)
    high = expected > np.median(expected)
    p = logrank_test(time[high], time[~high], event[high], event[~high]).p_value
    assert result.summary.iloc[0]["cv_logrank_p"] == pytest.approx(p, rel=1e-6)


def test_non_convergence_is_recorded_not_raised():
    n = 30
    samples = [f"P{i}" for i in range(n)]
    time = np.arange(1, n + 1, dtype=float)
    event = np.ones(n, dtype=int)
    # covariate perfectly ordered with time: the partial likelihood has no finite maximum
    expr = pd.DataFrame([-time, -time * 2 + 0.001 * np.arange(n)], index=["a", "b"], columns=samples)
    clinical = pd.DataFrame({"sample": samples, "os_time_days": time, "os_event": event})
    result = module_survival(_module(["a", "b"]), expr, match_clinical(samples, clinical), cv_folds=3)
    row = result.summary.iloc[0]
    assert not row["converged"]
    assert row["note"]
    assert not row["prognostic_in_sample"] and not row["cv_prognostic"]


def test_a_fit_that_did_not_converge_is_never_prognostic():
    n = 40
    rng = np.random.default_rng(1)
    samples = [f"P{i}" for i in range(n)]
    time = np.arange(1, n + 1, dtype=float)
    # a covariate almost ordered with time: lifelines fits, warns that it may not converge, and
    # the median split separates the groups (log-rank p about 1e-11)
    expr = pd.DataFrame([-time + rng.normal(0, 0.5, n), rng.standard_normal(n)], index=["a", "b"],
                        columns=samples)
    clinical = pd.DataFrame({"sample": samples, "os_time_days": time, "os_event": np.ones(n, dtype=int)})
    result = module_survival(_module(["a", "b"]), expr, match_clinical(samples, clinical), cv_folds=0)
    row = result.summary.iloc[0]
    assert row["logrank_p"] < 1e-6 and not row["converged"] and row["note"]
    assert not row["prognostic_in_sample"]


def test_a_module_with_more_mirnas_than_one_per_ten_events_is_scored_on_their_mean_profile():
    rng = np.random.default_rng(4)
    n = 60
    samples = [f"P{i:03d}" for i in range(n)]
    expr = pd.DataFrame(rng.standard_normal((3, n)), index=["a", "b", "c"], columns=samples)
    time = rng.exponential(300 / np.exp(0.7 * expr.mean().to_numpy()))
    event = np.zeros(n, dtype=int)
    event[rng.choice(n, 19, replace=False)] = 1          # 19 events: one covariate at most
    clinical = pd.DataFrame({"sample": samples, "os_time_days": time, "os_event": event})
    result = module_survival(_module(["a", "b", "c"]), expr, match_clinical(samples, clinical), cv_folds=0)
    row = result.summary.iloc[0]
    assert row["n_covariates"] == 1 and "scored on their mean profile" in row["note"]
    # oracle: a Cox model on the mean of the three profiles, median split, log-rank
    frame = pd.DataFrame({"x0": expr.mean().to_numpy()})
    cph = CoxPHFitter().fit(frame.assign(T=time, E=event), "T", "E")
    score = cph.predict_log_partial_hazard(frame).to_numpy()
    high = score > np.median(score)
    expected_p = logrank_test(time[high], time[~high], event[high], event[~high]).p_value
    assert row["logrank_p"] == pytest.approx(expected_p, rel=1e-8)
    # with 30 events the two-miRNA model of the same data keeps one covariate per miRNA
    event30 = np.zeros(n, dtype=int)
    event30[rng.choice(n, 30, replace=False)] = 1
    clinical30 = clinical.assign(os_event=event30)
    full = module_survival(_module(["a", "b"]), expr, match_clinical(samples, clinical30), cv_folds=0)
    assert full.summary.iloc[0]["n_covariates"] == 2


def test_invalid_folds_is_a_clear_error():
    samples = ["P1", "P2"]
    clinical = pd.DataFrame({"sample": samples, "os_time_days": [1.0, 2.0], "os_event": [1, 0]})
    expr = pd.DataFrame([[0.0, 1.0], [1.0, 0.0]], index=["a", "b"], columns=samples)
    with pytest.raises(InputDataError, match="cv_folds"):
        module_survival(_module(["a", "b"]), expr, match_clinical(samples, clinical), cv_folds=1)


def test_planted_prognostic_modules_are_found_and_shuffled_survival_is_not():
    from mirmodules import MicaConfig
    from mirmodules.inputs.prepared import prepare_inputs

    cohort = simulate_cohort(seed=2)
    prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())
    match = match_clinical(prepared.samples, cohort.clinical)
    result = module_survival(cohort.truth, prepared.mirna, match, seed=0).summary.set_index("module_id")
    for module in cohort.notes["prognostic_modules"]:
        assert result.at[module, "cv_logrank_p"] < 0.05, result
    rng = np.random.default_rng(0)
    order = rng.permutation(len(cohort.clinical))
    shuffled = cohort.clinical.assign(
        os_time_days=cohort.clinical["os_time_days"].to_numpy()[order],
        os_event=cohort.clinical["os_event"].to_numpy()[order],
    )
    null = module_survival(cohort.truth, prepared.mirna, match_clinical(prepared.samples, shuffled), seed=0)
    assert null.summary["cv_prognostic"].sum() <= 1, null.summary


@pytest.mark.realdata
def test_gbm_survival_matches_patients_and_fits():
    from mirmodules import read_expression

    clinical = read_clinical(shared_file("cancersubtypes_gbm", "GBM_clinical.tsv.gz"))
    expr = read_expression(shared_file("cancersubtypes_gbm", "GBM_mirna_expression.tsv.gz"))
    match = match_clinical(list(expr.columns), clinical)
    assert match.counts["matched"] == 100 and match.table["os_event"].sum() == 96
    scaled = expr.sub(expr.mean(axis=1), axis=0).div(expr.std(axis=1), axis=0)
    module = _module(list(expr.index[:4]))
    result = module_survival(module, scaled, match, seed=0)
    row = result.summary.iloc[0]
    assert row["n_patients"] == 100 and row["n_events"] == 96 and row["n_covariates"] == 4
    assert row["converged"] and 0 < row["logrank_p"] <= 1 and row["hr"] > 0
