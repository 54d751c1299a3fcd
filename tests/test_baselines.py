"""Baselines: the Mirsynergy golden from the R package, hand-sized graphs, planted recovery, registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _shared import shared_file

from mirmodules import InputDataError, MicaConfig, recovery_scores, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.mirsynergy import MirsynergyParameters, lasso_target_weights, mirsynergy
from mirmodules.methods.reconstructed import (
    DicoreParameters,
    entropy_clusters,
    first_canonical_correlation,
)
from mirmodules.methods.registry import METHODS, run_method

pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")


@pytest.mark.realdata
def test_mirsynergy_reproduces_the_r_package_on_brca():
    folder = ("mirsynergy_brca_testdata",)
    weights = pd.read_csv(
        shared_file(*folder, "reference_R", "W_vignette_lasso.tsv.gz"), sep="\t", index_col=0
    )
    network = pd.read_csv(shared_file(*folder, "gene_gene_H_edges.tsv.gz"), sep="\t")
    reference = pd.read_csv(shared_file(*folder, "reference_R", "modules_long.tsv"), sep="\t")
    stats = pd.read_csv(shared_file(*folder, "reference_R", "module_stats.tsv"), sep="\t").set_index(
        "module_id"
    )
    modules = mirsynergy(weights, network)
    found = {(frozenset(m.mirnas), frozenset(m.mrnas)): m for m in modules}
    assert len(modules) == 22
    for module_id, group in reference.groupby("module_id"):
        key = (
            frozenset(group.loc[group["node_type"] == "miRNA", "node_id"]),
            frozenset(group.loc[group["node_type"] != "miRNA", "node_id"]),
        )
        assert key in found, module_id
        mine = found[key]
        assert mine.synergy == pytest.approx(stats.at[module_id, "synergy"], abs=1e-6)
        assert mine.density == pytest.approx(stats.at[module_id, "pkg_density"], abs=1e-6)
        assert mine.w_bd == pytest.approx(stats.at[module_id, "w_bound"], abs=1e-6)
    # deterministic
    again = mirsynergy(weights, network)
    assert [(m.mirnas, m.mrnas) for m in again] == [(m.mirnas, m.mrnas) for m in modules]


def test_mirsynergy_hand_sized_two_blocks():
    # miRNAs a, b repress x, y, z together; c, d repress u, v, w together; no gene-gene edges
    genes, mirs = ["x", "y", "z", "u", "v", "w"], ["a", "b", "c", "d"]
    w = pd.DataFrame(0.0, index=genes, columns=mirs)
    w.loc[["x", "y", "z"], ["a", "b"]] = 0.8
    w.loc[["u", "v", "w"], ["c", "d"]] = 0.6
    modules = mirsynergy(w)
    got = sorted((m.mirnas, m.mrnas) for m in modules)
    assert got == [(("a", "b"), ("x", "y", "z")), (("c", "d"), ("u", "v", "w"))]
    first = next(m for m in modules if m.mirnas == ("a", "b"))
    # w_in = 6 W edges x 0.8; legacy density2 denominator m*(m+t) + (m+t)(m+t-1) = 2*5 + 5*4
    assert first.w_in == pytest.approx(4.8)
    assert first.density == pytest.approx(4.8 / 30)
    # w_bd = sum of strengths (2 x 2.4 + 3 x 1.6) - 2 x internal (4.8) = 0; penalty 2 x 5
    assert first.synergy == pytest.approx(4.8 / (4.8 + 0.0 + 10.0))
    intended = mirsynergy(w, parameters=MirsynergyParameters(legacy=False))
    assert sorted((m.mirnas, m.mrnas) for m in intended) == got
    assert next(m for m in intended if m.mirnas == ("a", "b")).density == pytest.approx(4.8 / (2 * 3 + 3 * 2))


def test_mirsynergy_rejects_weights_outside_unit_interval_and_bad_parameters():
    w = pd.DataFrame([[1.5, 0.2], [0.1, 0.3]], index=["x", "y"], columns=["a", "b"])
    with pytest.raises(InputDataError, match=r"\[0, 1\]"):
        mirsynergy(w)
    with pytest.raises(InputDataError, match="merge_tol"):
        mirsynergy(w.clip(upper=1), parameters=MirsynergyParameters(merge_tol=2.0))


def test_lasso_weights_follow_glmnet_semantics_on_an_orthogonal_design():
    # orthogonal, standardised predictors: the LASSO solution is soft-thresholding of x_j'y / n
    n = 8
    basis = np.linalg.qr(np.random.default_rng(0).standard_normal((n, 3)) - 0.5)[0]
    basis -= basis.mean(axis=0)
    basis, _ = np.linalg.qr(basis)
    standard = basis * np.sqrt(n)  # unit population SD, mean 0
    scales = np.array([2.0, 0.5, 1.0])
    raw = standard * scales + 3.0
    y = standard @ np.array([-0.9, -0.3, 0.6])
    samples = [f"s{i}" for i in range(n)]
    mirna = pd.DataFrame(raw.T, index=["m1", "m2", "m3"], columns=samples)
    mrna = pd.DataFrame([y], index=["g"], columns=samples)
    prior = pd.DataFrame({"mirna": ["m1", "m2", "m3"], "target": "g"})
    weights = lasso_target_weights(mirna, mrna, prior, lam=0.1, interpolate_path=False)
    soft = np.sign([-0.9, -0.3, 0.6]) * np.maximum(np.abs([-0.9, -0.3, 0.6]) - 0.1, 0) / scales
    expected = np.where(soft < 0, np.minimum(1, -soft), 0)
    np.testing.assert_allclose(weights.loc["g"].to_numpy(), expected, atol=1e-6)
    # along glmnet's path the solution is linear in lambda between knots: interpolation is exact here
    on_path = lasso_target_weights(mirna, mrna, prior, lam=0.1, interpolate_path=True)
    np.testing.assert_allclose(on_path.loc["g"].to_numpy(), expected, atol=1e-6)


def test_entropy_clustering_and_canonical_correlation_hand_cases():
    two_triangles = [{1, 2}, {0, 2}, {0, 1, 3}, {2, 4, 5}, {3, 5}, {3, 4}]
    assert sorted(sorted(c) for c in entropy_clusters(two_triangles)) == [[0, 1, 2], [3, 4, 5]]
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((300, 2)), rng.standard_normal((300, 3))
    assert first_canonical_correlation(x, y, ridge=0.0) < 0.25  # independent blocks
    y[:, 1] = x[:, 0] * 2 + 0.01 * rng.standard_normal(300)
    assert first_canonical_correlation(x, y, ridge=0.0) > 0.99


@pytest.fixture(scope="module")
def strong_cohort():
    cohort = simulate_cohort(
        n_samples=100,
        n_mirnas=60,
        n_mrnas=600,
        n_modules=4,
        signal=1.5,
        false_positive_rate=0.0,
        missing_rate=0.0,
        seed=5,
    )
    return cohort, prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())


@pytest.mark.parametrize("method", ["mirsynergy", "dicore", "demine", "kmeans_raw", "kmeans_pca"])
def test_each_method_recovers_strong_planted_modules(strong_cohort, method):
    cohort, prepared = strong_cohort
    run = run_method(method, prepared, seed=0)
    summary = run.modules.summary()
    assert (summary["n_mirnas"] >= 2).all() and (summary["n_mrnas"] >= 2).all()
    scores = recovery_scores(cohort.truth, run.modules)
    assert scores["recovery"] >= 0.5, scores
    rng = np.random.default_rng(0)
    shuffled = prepared.interactions.assign(
        target=rng.permutation(prepared.interactions["target"].to_numpy())
    )
    from dataclasses import replace

    control = run_method(method, replace(prepared, interactions=shuffled), seed=0)
    assert recovery_scores(cohort.truth, control.modules)["recovery"] < scores["recovery"] - 0.2


def test_stochastic_methods_repeat_with_the_same_seed(strong_cohort):
    _, prepared = strong_cohort
    for method in ("dicore", "kmeans_pca"):
        a = run_method(method, prepared, seed=3)
        b = run_method(method, prepared, seed=3)
        pd.testing.assert_frame_equal(a.modules.members, b.modules.members)
        assert a.seed == 3
    assert run_method("demine", prepared, seed=3).seed is None  # deterministic method


def test_registry_errors_are_clear(strong_cohort):
    _, prepared = strong_cohort
    with pytest.raises(InputDataError, match="Unknown method 'snmnmf'"):
        run_method("snmnmf", prepared)
    with pytest.raises(InputDataError, match="no parameter"):
        run_method("dicore", prepared, theta=3)
    with pytest.raises(InputDataError, match="rho"):
        run_method("dicore", prepared, rho=1.5)
    assert (
        DicoreParameters().theta_m == 3 and DicoreParameters().theta_g == 5 and DicoreParameters().rho == 0.5
    )
    assert set(METHODS) == {"mica", "kmeans_raw", "kmeans_pca", "mirsynergy", "dicore", "demine"}
