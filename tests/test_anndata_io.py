"""AnnData / MuData in and out: a .h5mu built from a simulated cohort runs, and the module activity
is written back into a copy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirmodules.cli import main
from mirmodules.inputs.io import read_expression

anndata = pytest.importorskip("anndata", reason="optional extra: pip install 'mirmodules[anndata]'")
mudata = pytest.importorskip("mudata", reason="optional extra: pip install 'mirmodules[anndata]'")
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning:mudata")


def _adata(frame: pd.DataFrame, **layers: pd.DataFrame):
    adata = anndata.AnnData(X=frame.T.to_numpy(), obs=pd.DataFrame(index=frame.columns.astype(str)),
                            var=pd.DataFrame(index=frame.index.astype(str)))
    for name, layer in layers.items():
        adata.layers[name] = layer.T.to_numpy()
    return adata


@pytest.fixture(scope="module")
def h5mu_cohort(tmp_path_factory):
    from mirmodules import simulate_cohort

    cohort = simulate_cohort(n_samples=40, n_mirnas=30, n_mrnas=240, n_modules=3, seed=3,
                             mirnas_per_module=(3, 5), mrnas_per_module=(12, 20),
                             false_positive_rate=0.0, missing_rate=0.0)
    folder = tmp_path_factory.mktemp("h5mu")
    paths = cohort.write(folder / "data")
    mrna = cohort.mrna.copy()
    mrna_adata = _adata(mrna, doubled=2 * mrna)
    mrna_adata.var["symbol"] = [f"S_{g}" for g in mrna.index]
    mdata = mudata.MuData({"mirna": _adata(cohort.mirna), "rna": mrna_adata})
    mdata.write(folder / "cohort.h5mu")
    return folder, paths, cohort


def test_read_modalities_layers_and_var_columns(h5mu_cohort):
    folder, _, cohort = h5mu_cohort
    spec = folder / "cohort.h5mu"
    mirna = read_expression(spec, what="miRNA expression")          # modality picked by role
    pd.testing.assert_frame_equal(mirna, cohort.mirna.astype(float), check_names=False)
    mrna = read_expression(f"{spec}::rna/layer=doubled", what="mRNA expression")
    assert np.allclose(mrna.to_numpy(), 2 * cohort.mrna.to_numpy(), equal_nan=True)
    by_symbol = read_expression(f"{spec}::rna/var=symbol")
    assert by_symbol.index[0] == f"S_{cohort.mrna.index[0]}"
    from mirmodules import InputDataError

    with pytest.raises(InputDataError, match="no layer 'raw'"):
        read_expression(f"{spec}::rna/layer=raw")
    with pytest.raises(InputDataError, match="no modality 'atac'"):
        read_expression(f"{spec}::atac")


def test_run_from_h5mu_and_write_module_activity_back(h5mu_cohort, tmp_path):
    folder, paths, _ = h5mu_cohort
    spec = folder / "cohort.h5mu"
    args = ["-q", "run", "--mirna", f"{spec}::mirna", "--mrna", f"{spec}::rna",
            "--interactions", str(paths["interactions"]), "--max-epochs", "3", "--n-init", "2",
            "--out", str(tmp_path / "run")]
    assert main(args) == 0
    before = spec.read_bytes()
    assert main(["-q", "annotate", str(tmp_path / "run"), "--out", str(tmp_path / "annotated.h5mu")]) == 0
    assert spec.read_bytes() == before                              # the input is untouched
    out = mudata.read_h5mu(tmp_path / "annotated.h5mu")
    activity = pd.read_csv(tmp_path / "run" / "module_activity.tsv", sep="\t")
    n_modules = activity["module_id"].nunique()
    assert n_modules >= 1
    assert out.mod["rna"].obsm["mirmodules_activity"].shape == (40, n_modules)
    members = pd.read_csv(tmp_path / "run" / "modules.tsv", sep="\t")
    gene = members.loc[members["kind"] == "mrna", "feature"].iloc[0]
    assert members.loc[members["feature"] == gene, "module_id"].iloc[0] in \
        out.mod["rna"].var.loc[gene, "mirmodules_modules"]
    assert main(["-q", "annotate", str(tmp_path / "run"), "--out", str(tmp_path / "annotated.h5mu")]) == 2


@pytest.mark.realdata
# strong evidence on GBM passes the repression test 1.45x as often as random pairs: warned, as it should
@pytest.mark.filterwarnings("ignore:The interactions pass the repression test only:"
                            "mirmodules.exceptions.DataQualityWarning")
def test_a_shared_cohort_as_h5mu_runs_and_is_annotated(tmp_path):
    from _shared import shared_file

    folder = ("cancersubtypes_gbm",)
    mirna = pd.read_csv(shared_file(*folder, "GBM_mirna_expression.tsv.gz"), sep="\t", index_col=0)
    mrna = pd.read_csv(shared_file(*folder, "GBM_mrna_expression.tsv.gz"), sep="\t", index_col=0)
    mudata.MuData({"mirna": _adata(mirna), "rna": _adata(mrna)}).write(tmp_path / "gbm.h5mu")
    tables = [shared_file("mirbase", "mature_v22_hsa.tsv.gz"),
              shared_file("mirbase", "precursor_to_mature_v18_hsa_with_family.tsv.gz")]
    args = ["-q", "run", "--mirna", str(tmp_path / "gbm.h5mu"), "--mrna", str(tmp_path / "gbm.h5mu"),
            "--interactions", str(shared_file("mirtarbase_hsa", "hsa_MTI_full.tsv.gz")),
            "--mirbase", *map(str, tables), "--evidence", "strong", "--kmeans-runs", "1",
            "--out", str(tmp_path / "run")]
    assert main(args) == 0
    assert main(["-q", "annotate", str(tmp_path / "run"), "--out", str(tmp_path / "gbm_annotated.h5mu")]) == 0
    out = mudata.read_h5mu(tmp_path / "gbm_annotated.h5mu")
    n_modules = pd.read_csv(tmp_path / "run" / "modules.tsv", sep="\t")["module_id"].nunique()
    assert n_modules >= 1
    assert out.obsm["mirmodules_activity"].shape == (mrna.shape[1], n_modules)
    assert (out.mod["rna"].var["mirmodules_modules"] != "").sum() > 0
    # miRNAs were renamed from MIMAT accessions to names in the run; the copy keeps the file's ids
    assert out.mod["mirna"].var_names[0].startswith("MIMAT")
    assert (out.mod["mirna"].var["mirmodules_modules"] != "").sum() > 0
