from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from mirmodules import __version__
from mirmodules.cli import build_parser, main
from mirmodules.config import MicaConfig

# small cohorts often have no elbow by the rule; the fallback warning is expected there
pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_every_config_field_is_a_flag_with_the_same_name():
    import dataclasses

    run = build_parser()._subparsers._group_actions[0].choices["run"]
    flags = {a.dest for a in run._actions}
    assert {f.name for f in dataclasses.fields(MicaConfig)} <= flags


def test_simulate_then_run_writes_modules(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["-q", "simulate", "--out", str(data), "--seed", "4", "--n-samples", "32",
                 "--n-mirnas", "30", "--n-mrnas", "200", "--n-modules", "2"]) == 0
    out = tmp_path / "run"
    code = main(["-q", "run", "--mirna", str(data / "mirna.tsv"), "--mrna", str(data / "mrna.tsv"),
                 "--interactions", str(data / "interactions.tsv"), "--out", str(out),
                 "--max-epochs", "3", "--k-max", "8", "--seed", "4"])
    assert code == 0
    stdout = capsys.readouterr().out
    assert "modules written to" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["max_epochs"] == 3 and manifest["seeds"]["seed"] == 4
    modules = pd.read_csv(out / "modules.tsv", sep="\t")
    assert list(modules.columns) == ["module_id", "feature", "kind"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: (d / "mirna.tsv").unlink(), "not found"),
        (lambda d: (d / "interactions.tsv").write_text("a\tb\nx\ty\n"), "lacks column"),
        (lambda d: (d / "mrna.tsv").write_text("gene\tS1\tS2\nG1\t1\tfoo\n"), "is not a number"),
    ],
)
def test_bad_input_exit_code_2_one_message_nothing_written(tmp_path, capsys, mutate, message):
    data = tmp_path / "data"
    main(["-q", "simulate", "--out", str(data), "--n-samples", "20", "--n-mirnas", "20",
          "--n-mrnas", "100", "--n-modules", "2"])
    capsys.readouterr()
    mutate(data)
    out = tmp_path / "run"
    code = main(["-q", "run", "--mirna", str(data / "mirna.tsv"), "--mrna", str(data / "mrna.tsv"),
                 "--interactions", str(data / "interactions.tsv"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]


@pytest.mark.parametrize(("flag", "value", "name"), [("--dropout", "2", "dropout"),
                                                    ("--refine-alpha", "0.7", "refine_alpha"),
                                                    ("--refine-weak-fdr", "1.5", "refine_weak_fdr")])
def test_invalid_parameter_exit_code_2(tmp_path, capsys, flag, value, name):
    code = main(["-q", "run", "--mirna", "a", "--mrna", "b", "--interactions", "c",
                 "--out", str(tmp_path / "o"), flag, value])
    assert code == 2
    assert f"'{name}' parameter ({flag}) must be" in capsys.readouterr().err  # the flag the user typed


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--single-mirna-cores", "maybe"], "argument --single-mirna-cores: invalid choice: 'maybe'"),
    (["run", "--refine-weak-fdr", "abc"], "argument --refine-weak-fdr: invalid float value: 'abc'"),
    (["nosuch"], "argument command: invalid choice: 'nosuch'"),
])
def test_argument_errors_are_one_line_with_exit_code_2(args, message, capsys):
    with pytest.raises(SystemExit) as raised:
        main(args)
    err = capsys.readouterr().err
    assert raised.value.code == 2
    assert err.count("\n") == 1 and message in err and "usage:" not in err
    assert err.rstrip().endswith("--help')")


def test_existing_output_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    code = main(["-q", "run", "--mirna", "a", "--mrna", "b", "--interactions", "c", "--out", str(out)])
    assert code == 2 and "--overwrite" in capsys.readouterr().err
    assert (out / "keep.txt").exists()


def test_cli_module_imports_nothing_heavy():
    # `mirmodules --help` must answer fast: the command line loads heavy libraries only in the
    # subcommand that needs them
    code = ("import sys, mirmodules.cli; heavy = [m for m in ('torch', 'matplotlib', 'lifelines', "
            "'pandas', 'scipy', 'sklearn') if m in sys.modules]; print(','.join(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_python_dash_m_works_like_the_console_script():
    proc = subprocess.run([sys.executable, "-m", "mirmodules", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("mirmodules ")


def test_evaluate_and_compare_share_the_fold_seed_flag():
    parser = build_parser()
    ev = parser.parse_args(["evaluate", "run_dir", "--out", "x", "--cv-seed", "3"])
    cmp_ = parser.parse_args(["compare", "--mirna", "a", "--mrna", "b", "--interactions", "c",
                              "--out", "x", "--seed", "5", "--cv-seed", "3"])
    assert ev.cv_seed == cmp_.cv_seed == 3
    assert cmp_.seed == 5  # the methods' seed, independent of the folds


def test_run_with_ensembl_ids_and_a_gene_map(small_cohort, tmp_path):
    # the interactions name genes by symbol, the expression file by versioned Ensembl id
    paths = small_cohort.write(tmp_path / "data")
    mrna = pd.read_csv(paths["mrna"], sep="\t", index_col=0)
    ensembl = {g: f"ENSG{i:011d}.{i % 7 + 1}" for i, g in enumerate(mrna.index)}
    mrna.rename(index=ensembl).rename_axis("gene").to_csv(tmp_path / "mrna_ensembl.tsv", sep="\t")
    gene_map = pd.DataFrame({"ensembl_gene_id": [e.split(".")[0] for e in ensembl.values()],
                             "symbol": list(ensembl)})
    gene_map.to_csv(tmp_path / "hgnc.tsv", sep="\t", index=False)
    args = ["-q", "run", "--mirna", str(paths["mirna"]), "--mrna", str(tmp_path / "mrna_ensembl.tsv"),
            "--interactions", str(paths["interactions"]), "--max-epochs", "3", "--n-init", "2"]
    assert main([*args, "--out", str(tmp_path / "no_map")]) == 2      # no shared gene id
    assert main([*args, "--gene-map", str(tmp_path / "hgnc.tsv"), "--out", str(tmp_path / "run")]) == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["counts"]["mrna_id_style"] == "ensembl_versioned"
    assert manifest["counts"]["mrna_ids_mapped_by_gene_map"] == len(mrna)
    assert manifest["inputs"]["gene_map"]["sha256"]
    members = pd.read_csv(tmp_path / "run" / "modules.tsv", sep="\t")
    assert len(members) and set(members.loc[members["kind"] == "mrna", "feature"]) <= set(mrna.index)


def test_compare_reuses_finished_runs_and_checks_their_inputs(small_cohort, tmp_path, capsys):
    paths = small_cohort.write(tmp_path / "data")
    files = ["--mirna", str(paths["mirna"]), "--mrna", str(paths["mrna"]),
             "--interactions", str(paths["interactions"])]
    fast = ["--max-epochs", "3", "--n-init", "2"]
    assert main(["-q", "run", *files, *fast, "--out", str(tmp_path / "run1")]) == 0
    assert main(["-q", "compare", *files, "--methods", "kmeans_raw", "--runs", str(tmp_path / "run1"),
                 *fast, "--out", str(tmp_path / "cmp")]) == 0
    table = pd.read_csv(tmp_path / "cmp" / "comparison.tsv", sep="\t")
    assert table["method"].tolist() == ["K-means (no autoencoder)", "MICA (run1)"]
    run_modules = pd.read_csv(tmp_path / "run1" / "modules.tsv", sep="\t")
    assert table["n_modules"].iloc[1] == run_modules["module_id"].nunique()
    assert (tmp_path / "cmp" / "methods" / "run_run1" / "modules.tsv").exists()
    # an input edited after the run: refused, then allowed and recorded
    with open(paths["interactions"], "a") as handle:
        handle.write("hsa-miR-extra\tGENE_X\n")
    capsys.readouterr()
    code = main(["-q", "compare", *files, "--methods", "none", "--runs", str(tmp_path / "run1"),
                 "--out", str(tmp_path / "cmp2")])
    assert code == 2 and "cannot be matched with the one the run" in capsys.readouterr().err
    assert not (tmp_path / "cmp2").exists()
    assert main(["-q", "compare", *files, "--methods", "none", "--runs", str(tmp_path / "run1"),
                 "--allow-changed-inputs", "--out", str(tmp_path / "cmp2")]) == 0
    manifest = json.loads((tmp_path / "cmp2" / "manifest.json").read_text())
    assert manifest["methods"][0]["parameters"]["changed_inputs"][0]["role"] == "interactions"
