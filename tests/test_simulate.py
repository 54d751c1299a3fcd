from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError, simulate_cohort
from mirmodules.cli import main


def test_shapes_truth_and_planted_structure():
    c = simulate_cohort(n_samples=50, n_mirnas=40, n_mrnas=300, n_modules=3, seed=2,
                        false_positive_rate=0.0, missing_rate=0.0)
    assert c.mirna.shape == (40, 50) and c.mrna.shape == (300, 50)
    assert c.mirna.to_numpy().dtype.kind == "i" and (c.mirna.to_numpy() >= 0).all()
    truth = c.truth.members
    assert list(truth.columns) == ["module_id", "feature", "kind"]
    assert truth.module_id.nunique() == 3
    # with no false positives every interaction lies inside a planted module
    inside = set(map(tuple, c.truth.edges[["mirna", "target"]].to_numpy()))
    assert set(map(tuple, c.interactions.to_numpy())) == inside
    # module miRNAs correlate positively with each other, negatively with their targets
    m = truth[truth.module_id == truth.module_id.iloc[0]]
    mir = np.log2(c.mirna.loc[m[m.kind == "mirna"].feature] + 1)
    tgt = c.mrna.loc[m[m.kind == "mrna"].feature]
    corr = pd.concat([mir, tgt]).T.corr().to_numpy()     # pairwise: a few mRNAs have NaNs
    k = len(mir)
    assert corr[:k, :k][np.triu_indices(k, 1)].mean() > 0.3
    assert corr[:k, k:].mean() < -0.3


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_false_positive_share(rate):
    c = simulate_cohort(n_samples=30, n_mirnas=60, n_mrnas=400, n_modules=4, seed=1,
                        false_positive_rate=rate)
    true_pairs = set(map(tuple, c.truth.edges[["mirna", "target"]].to_numpy()))
    pairs = list(map(tuple, c.interactions.to_numpy()))
    share = np.mean([p not in true_pairs for p in pairs])
    assert share == pytest.approx(rate, abs=0.01)


def test_same_seed_same_cohort_and_files(tmp_path):
    a = simulate_cohort(n_samples=30, n_mirnas=30, n_mrnas=200, n_modules=2, seed=5)
    b = simulate_cohort(n_samples=30, n_mirnas=30, n_mrnas=200, n_modules=2, seed=5)
    pd.testing.assert_frame_equal(a.mrna, b.mrna)
    pd.testing.assert_frame_equal(a.interactions, b.interactions)
    paths = a.write(tmp_path)
    assert {p.name for p in paths.values()} == {
        "mirna.tsv", "mrna.tsv", "interactions.tsv", "truth.tsv", "families.tsv",
        "gene_sets.gmt", "clinical.tsv", "predicted.tsv", "simulation.json"}
    clinical = pd.read_csv(paths["clinical"], sep="\t")
    assert list(clinical.columns) == ["sample", "os_time_days", "os_event"]
    assert set(clinical.os_event) <= {0, 1}
    gmt = paths["gene_sets"].read_text().splitlines()
    assert gmt[0].startswith("SIM_PATHWAY_MODULE_T01\t")
    fam = pd.read_csv(paths["families"], sep="\t")
    assert list(fam.columns) == ["mirna", "family"] and len(fam) == 30


def test_family_modules_share_a_family():
    c = simulate_cohort(n_samples=30, n_mirnas=80, n_mrnas=300, n_modules=3, n_family_modules=2,
                        seed=4)
    fam = c.families.set_index("mirna")["family"]
    truth = c.truth.members
    for mid in ("T01", "T02"):
        mirs = truth[(truth.module_id == mid) & (truth.kind == "mirna")].feature
        assert fam.loc[mirs].value_counts().max() >= 2


def test_invalid_parameters():
    with pytest.raises(InputDataError, match="false_positive_rate"):
        simulate_cohort(false_positive_rate=1.0)
    with pytest.raises(InputDataError, match="n_mirnas"):
        simulate_cohort(n_mirnas=5, n_modules=3)


# --- predicted targets (issue 27) -------------------------------------------------------------

SMALL = {"n_samples": 20, "n_mirnas": 30, "n_mrnas": 200, "n_modules": 2, "seed": 7}

# SHA-256 (first 16 hex digits) of the files `write` gave for SMALL at commit 88d8e88, before the
# simulators wrote predicted targets; the predictions must leave every one of them as it was.
_PARTS = ("mirna", "mrna", "interactions", "truth", "families", "gene_sets", "clinical")
BEFORE_PREDICTED = {
    "gaussian": ("8e6533d73ea1f1dd", "830c3d9039b70724", "f142647c23ebd7a8", "0709e707c23395b2",
                 "4802a1b1461ec1b7", "035c16dffc8174e0", "3a414559e57eece3"),
    "negbin": ("9b370ec8852c4507", "805e8d469d22f7d2", "2ef6c4a48daa0ef1", "ba4b40d2528f6527",
               "4802a1b1461ec1b7", "cbe89f83373deb3e", "a67ac0bdd96e2353"),
    "programmes": ("9b5e2efa40c0ad75", "c60157e1fe85302c", "7fb72831f88abdc3", "ba4b40d2528f6527",
                   "4802a1b1461ec1b7", "fb2b2ec03e867617", "cc2ad82db891d378"),
}
NOTES_BEFORE_PREDICTED = {"gaussian": (146, 135, 34), "negbin": (96, 88, 22), "programmes": (105, 95, 24)}


def _module_blocks(cohort) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """All (miRNA, mRNA) pairs inside planted modules, and each planted mRNA's module."""
    truth = cohort.truth.members
    blocks: set[tuple[str, str]] = set()
    for _, members in truth.groupby("module_id"):
        mirs = members.loc[members.kind == "mirna", "feature"]
        genes = members.loc[members.kind == "mrna", "feature"]
        blocks.update((m, g) for m in mirs for g in genes)
    mrnas = truth[truth.kind == "mrna"]
    module_of = dict(zip(mrnas["feature"], mrnas["module_id"], strict=True))
    return blocks, module_of


@pytest.mark.parametrize("model", ["gaussian", "negbin", "programmes"])
def test_predictions_leave_every_other_output_as_before(model, tmp_path):
    cohort = simulate_cohort(noise_model=model, **SMALL)
    paths = cohort.write(tmp_path)
    digests = {name: hashlib.sha256(paths[name].read_bytes()).hexdigest()[:16] for name in _PARTS}
    assert digests == dict(zip(_PARTS, BEFORE_PREDICTED[model], strict=True))
    notes = cohort.notes
    counts = (notes["n_true_pairs"], notes["n_true_pairs_kept"], notes["n_false_pairs"])
    assert counts == NOTES_BEFORE_PREDICTED[model]
    # the prediction settings change the predictions only
    other = simulate_cohort(noise_model=model, predicted_coverage=0.2, predicted_member_coverage=0.5,
                            predicted_chance_pairs=10, **SMALL)
    for part in ("mirna", "mrna", "interactions", "families", "clinical"):
        pd.testing.assert_frame_equal(getattr(other, part), getattr(cohort, part))
    pd.testing.assert_frame_equal(other.truth.members, cohort.truth.members)
    assert other.gene_sets == cohort.gene_sets
    assert other.notes["predicted_chance_pairs"] == 10 and len(other.predicted) < len(cohort.predicted)


@pytest.mark.parametrize("model", ["gaussian", "negbin", "programmes"])
def test_predicted_table_direction_strength_and_reach(model):
    # a high missing rate, so that many planted mRNAs lack a validated interaction
    cohort = simulate_cohort(n_samples=30, n_mirnas=60, n_mrnas=600, n_modules=5, missing_rate=0.5,
                             noise_model=model, seed=3)
    predicted = cohort.predicted
    assert list(predicted.columns) == ["mirna", "target", "score"]
    assert (predicted["score"] < 0).all()                      # TargetScan's direction
    assert not predicted.duplicated(["mirna", "target"]).any()
    assert set(predicted["mirna"]) <= set(cohort.mirna.index)
    assert set(predicted["target"]) <= set(cohort.mrna.index)
    blocks, module_of = _module_blocks(cohort)
    is_true = np.array([p in blocks for p in zip(predicted["mirna"], predicted["target"], strict=True)])
    notes = cohort.notes
    assert is_true.sum() == notes["predicted_true_pairs"]
    assert (~is_true).sum() == notes["predicted_chance_pairs"]
    assert notes["predicted_chance_pairs"] == 3 * notes["predicted_true_pairs"]      # the default
    # true pairs are stronger on average, but the two distributions overlap
    true_scores, chance_scores = predicted["score"][is_true], predicted["score"][~is_true]
    assert true_scores.mean() < chance_scores.mean()
    assert (chance_scores < true_scores.median()).mean() > 0.05
    # most chance pairs fall on mRNAs in no module
    assert (~predicted["target"][~is_true].isin(module_of)).mean() > 0.7
    # planted mRNAs without a validated interaction to their module: most are reached by a prediction
    validated = set(zip(cohort.interactions["mirna"], cohort.interactions["target"], strict=True))
    predicted_true = {p for p, t in zip(zip(predicted["mirna"], predicted["target"], strict=True), is_true,
                                        strict=True) if t}
    unvalidated = {g for g in module_of if not any((m, g) in validated for m, h in blocks if h == g)}
    reached = {g for g in unvalidated if any((m, g) in predicted_true for m, h in blocks if h == g)}
    assert len(unvalidated) >= 20
    assert len(reached) / len(unvalidated) >= 0.75
    assert notes["planted_mrnas_without_validated_interaction"] == len(unvalidated)
    assert notes["planted_mrnas_without_validated_interaction_predicted"] == len(reached)
    # predicted_member_coverage (0.9) of all planted mRNAs have a predicted pair to their module
    assert notes["planted_mrnas"] == len(module_of)
    assert notes["planted_mrnas_predicted"] == len({g for _, g in predicted_true})
    assert notes["planted_mrnas_predicted"] / len(module_of) == pytest.approx(0.9, abs=0.08)


def test_predicted_same_seed_same_table_and_written(tmp_path):
    a = simulate_cohort(**SMALL)
    b = simulate_cohort(**SMALL)
    pd.testing.assert_frame_equal(a.predicted, b.predicted)
    assert not a.predicted.equals(simulate_cohort(**{**SMALL, "seed": 8}).predicted)
    path = a.write(tmp_path)["predicted"]
    assert path.name == "predicted.tsv"
    back = pd.read_csv(path, sep="\t")
    assert list(back.columns) == ["mirna", "target", "score"]
    pd.testing.assert_frame_equal(back, a.predicted)
    recorded = json.loads((tmp_path / "simulation.json").read_text())
    assert {k: recorded["parameters"][k] for k in ("predicted_coverage", "predicted_member_coverage",
                                                   "predicted_chance_pairs")} == {
        "predicted_coverage": 0.6, "predicted_member_coverage": 0.9, "predicted_chance_pairs": None}
    assert recorded["notes"]["predicted_pairs"] == len(a.predicted)


def test_cli_simulate_writes_the_predicted_table(tmp_path, capsys):
    out = tmp_path / "cohort"
    assert main(["simulate", "--out", str(out), "--n-samples", "20", "--n-mirnas", "30", "--n-mrnas", "200",
                 "--n-modules", "2", "--seed", "7"]) == 0
    assert "predicted.tsv" in capsys.readouterr().out
    written = pd.read_csv(out / "predicted.tsv", sep="\t")
    pd.testing.assert_frame_equal(written, simulate_cohort(**SMALL).predicted)


def test_invalid_prediction_parameters():
    with pytest.raises(InputDataError, match="predicted_coverage"):
        simulate_cohort(predicted_coverage=1.5, **SMALL)
    with pytest.raises(InputDataError, match="predicted_chance_pairs"):
        simulate_cohort(predicted_chance_pairs=-1, **SMALL)
