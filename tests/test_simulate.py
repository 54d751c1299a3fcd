from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError, simulate_cohort


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
        "gene_sets.gmt", "clinical.tsv", "simulation.json"}
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
