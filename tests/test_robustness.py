"""A catalogue of hostile uses of the command line: each case asserts the exit code, the message
and the state of the file system afterwards (README, "Bad input and your files")."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mirmodules import simulate_cohort
from mirmodules.cli import main
from mirmodules.store.atomic import MARKER

pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")

FAST = ["--max-epochs", "2", "--max-steps", "20", "--k-max", "6", "--n-init", "2", "--sweep-n-init", "1"]


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cohort")
    cohort = simulate_cohort(n_samples=40, n_mirnas=30, n_mrnas=200, n_modules=3, seed=4,
                             mirnas_per_module=(3, 4), mrnas_per_module=(10, 15))
    cohort.write(folder)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _run_args(cohort: Path, out: str, *extra: str) -> list[str]:
    return ["-q", "run", "--mirna", str(cohort / "mirna.tsv"), "--mrna", str(cohort / "mrna.tsv"),
            "--interactions", str(cohort / "interactions.tsv"), "--out", out, *FAST, *extra]


def _command_args(command: str, cohort: Path, out: str) -> list[str]:
    """The smallest call of each command that writes to --out."""
    files = ["--mirna", str(cohort / "mirna.tsv"), "--mrna", str(cohort / "mrna.tsv"),
             "--interactions", str(cohort / "interactions.tsv")]
    if command == "run":
        return _run_args(cohort, out)
    if command == "simulate":
        return ["-q", "simulate", "--out", out, "--n-mrnas", "120", "--n-mirnas", "20", "--n-samples", "20",
                "--n-modules", "2", "--mrnas-per-module", "5", "8", "--mirnas-per-module", "2", "3"]
    if command == "compare":
        return ["-q", "compare", *files, "--methods", "kmeans_raw", "--out", out, *FAST]
    if command == "stability":
        return ["-q", "stability", *files, "--method", "kmeans_raw", "--n-seeds", "1", "--n-bootstraps", "0",
                "--out", out, *FAST]
    if command == "demo":
        return ["-q", "demo", "--out", out]
    raise AssertionError(command)


COMMANDS = ["run", "simulate", "compare", "stability", "demo"]


# --- 1. --out that must be refused, for every command (exit 2, nothing touched) --------------------


OUT_CASES = ["dot", "dotdot", "parent_via_dotdot", "cwd_absolute", "root", "home", "holds_input", "is_file",
             "symlink", "dangling_symlink", "foreign_folder_overwrite", "nonempty_no_overwrite"]


# simulate and demo read no input files, so they have no "holds_input" case
@pytest.mark.parametrize(("command", "case"), [(c, k) for c in COMMANDS for k in OUT_CASES
                                               if not (k == "holds_input" and c in {"simulate", "demo"})])
def test_out_refused(command, case, cohort_dir, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "precious.txt").write_text("keep me")
    monkeypatch.chdir(work / "sub")
    monkeypatch.setenv("HOME", str(work / "sub" / "home"))
    (work / "sub" / "home").mkdir()
    inputs_copy = work / "sub" / "inputs"
    inputs_copy.mkdir()
    for name in ("mirna.tsv", "mrna.tsv", "interactions.tsv"):
        (inputs_copy / name).write_bytes((cohort_dir / name).read_bytes())
    foreign = work / "sub" / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("user data")
    (work / "sub" / "afile").write_text("x")
    (work / "sub" / "link").symlink_to(foreign)
    (work / "sub" / "dangling").symlink_to(work / "nowhere")
    out, extra, expect = {
        "dot": (".", ["--overwrite"], "working folder"),
        "dotdot": ("..", ["--overwrite"], "working folder"),
        "parent_via_dotdot": ("mine/../..", ["--overwrite"], "working folder"),
        "cwd_absolute": (str(work / "sub"), ["--overwrite"], "working folder"),
        "root": ("/", ["--overwrite"], "working folder"),
        "home": (str(work / "sub" / "home"), ["--overwrite"], "home"),
        "holds_input": ("inputs", ["--overwrite"], "input"),
        "is_file": ("afile", [], "not a folder"),
        "symlink": ("link", ["--overwrite"], "symbolic link"),
        "dangling_symlink": ("dangling", [], "symbolic link"),
        "foreign_folder_overwrite": ("mine", ["--overwrite"], "not written by mirmodules"),
        "nonempty_no_overwrite": ("mine", [], "not empty"),
    }[case]
    if case == "home":
        monkeypatch.chdir(work)  # home is not an ancestor of the working folder here
    src = inputs_copy if case == "holds_input" else cohort_dir
    before = _snapshot(work)
    args = _command_args(command, src, out)
    if "--overwrite" in extra:
        args = [*args, "--overwrite"]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert expect in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _snapshot(work) == before
    assert not any(p.name.startswith(".") and "mirmodules-" in p.name for p in work.rglob("*"))


def test_read_only_parent_is_refused_up_front(cohort_dir, tmp_path, capsys, monkeypatch):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    if os.geteuid() == 0:  # root may write anywhere: the permission the check asks for is denied here
        import mirmodules.store.atomic as atomic

        real_access = os.access
        monkeypatch.setattr(atomic.os, "access",
                            lambda p, mode: False if Path(p) == parent else real_access(p, mode))
    try:
        code = main(_run_args(cohort_dir, str(parent / "run")))
    finally:
        parent.chmod(0o700)
    assert code == 2 and "not writable" in capsys.readouterr().err


def test_parent_that_is_a_file_is_refused(cohort_dir, tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    code = main(_run_args(cohort_dir, str(tmp_path / "plain" / "run")))
    assert code == 2 and "not writable" in capsys.readouterr().err


# --- 2. replacing what mirmodules wrote, atomically --------------------------------------------------


def test_overwrite_replaces_only_marked_folders_and_leaves_no_temporaries(tmp_path, capsys):
    out = tmp_path / "sim"
    args = _command_args("simulate", tmp_path, str(out))
    assert main(args) == 0
    first = _snapshot(out)
    assert ".mirmodules-output.json" in first
    assert main([*args, "--seed", "9", "--overwrite"]) == 0
    second = _snapshot(out)
    assert second["mrna.tsv"] != first["mrna.tsv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]
    assert (out.stat().st_mode & 0o777) != 0o700          # readable by the group like any folder


def test_leftovers_of_a_killed_replacement_are_restored_or_removed(tmp_path, caplog):
    out = tmp_path / "sim"
    args = _command_args("simulate", tmp_path, str(out))
    assert main(args) == 0
    # a kill between "old renamed aside" and "new renamed in": out missing, old and new beside it
    old = tmp_path / ".sim.mirmodules-old-deadbeef"
    out.rename(old)
    stale_new = tmp_path / ".sim.mirmodules-new-abc12345"
    stale_new.mkdir()  # as a kill mid-write leaves it: the in-progress marker, a half-written file
    (stale_new / MARKER).write_text(json.dumps({"written_by": "mirmodules", "token": "ab" * 16,
                                                "complete": False, "files": []}))
    (stale_new / "half.tsv").write_text("partial")
    assert main([*args, "--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "restored" in messages and "unfinished output" in messages


def _complete(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    return {".mirmodules-output.json", "simulation.json", "mrna.tsv", "truth.tsv"} <= names


def _limit_file_size() -> None:
    """In the child: no file may grow past 20 kB (a write then fails like on a full disk)."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.skipif(sys.platform != "linux", reason="uses RLIMIT_FSIZE and SIGXFSZ (Linux)")
def test_a_write_that_fails_midway_is_one_line_exit_1_and_leaves_the_old_result(tmp_path):
    out = tmp_path / "sim"
    base = [sys.executable, "-m", "mirmodules.cli", "-q", "simulate", "--out", str(out),
            "--n-mrnas", "400", "--n-samples", "60", "--n-mirnas", "50"]
    # a first run into a new folder: refused cleanly, nothing left behind
    proc = subprocess.run(base, capture_output=True, text=True, preexec_fn=_limit_file_size, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "File too large" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
    # an --overwrite that fails half-way keeps the complete old result
    subprocess.run([*base, "--n-samples", "8"], check=True, capture_output=True)
    old = _snapshot(out)
    proc = subprocess.run([*base, "--overwrite"], capture_output=True, text=True,
                          preexec_fn=_limit_file_size, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert _snapshot(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]


# --- 3. bad input files: one line, exit 2, nothing written --------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


MATRIX = b"gene\tS1\tS2\tS3\nA\t1\t2\t3\nB\t4\t5\t6\n"


@pytest.mark.parametrize(("case", "expect"), [
    ("inf", "infinite"),
    ("minus_inf", "infinite"),
    ("gzip_under_tsv", "gzip-compressed"),
    ("hdf5", "HDF5"),
    ("zip", "ZIP"),
    ("latin1", "not UTF-8 text: byte b'\\xe9' on line 3"),
    ("missing", "not found"),
    ("folder", "is a folder"),
    ("empty", "empty"),
    ("header_only", "no data rows"),
    ("one_column", "column(s)"),
    ("duplicate_ids", "duplicated feature"),
    ("text_value", "is not a number"),
    ("empty_id", "id column"),
])
def test_bad_expression_file(case, expect, cohort_dir, tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    if case == "inf":
        _write(bad, MATRIX.replace(b"\t5\t", b"\tinf\t"))
    elif case == "minus_inf":
        _write(bad, MATRIX.replace(b"\t5\t", b"\t-inf\t"))
    elif case == "gzip_under_tsv":
        _write(bad, gzip.compress(MATRIX))
    elif case == "hdf5":
        _write(bad, b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    elif case == "zip":
        _write(bad, b"PK\x03\x04" + b"\0" * 64)
    elif case == "latin1":
        _write(bad, b"gene\tS1\tS2\tS3\nA\t1\t2\t3\nB\xe9\t4\t5\t6\n")
    elif case == "missing":
        bad = tmp_path / "nothing.tsv"
    elif case == "folder":
        bad = tmp_path / "dir.tsv"
        bad.mkdir()
    elif case == "empty":
        _write(bad, b"")
    elif case == "header_only":
        _write(bad, b"gene\tS1\tS2\n")
    elif case == "one_column":
        _write(bad, b"gene\nA\nB\n")
    elif case == "duplicate_ids":
        _write(bad, MATRIX + b"A\t1\t1\t1\n")
    elif case == "text_value":
        _write(bad, MATRIX.replace(b"\t5\t", b"\tfive\t"))
    elif case == "empty_id":
        _write(bad, MATRIX + b"\t1\t1\t1\n")
    out = tmp_path / "run"
    args = ["-q", "run", "--mirna", str(bad), "--mrna", str(cohort_dir / "mrna.tsv"),
            "--interactions", str(cohort_dir / "interactions.tsv"), "--out", str(out), *FAST]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert expect in err, err
    assert err.count("\n") == 1
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if "mirmodules-" in p.name] == []


def test_negative_value_in_a_count_matrix_names_the_cell(cohort_dir, tmp_path, capsys):
    import pandas as pd

    mirna = pd.read_csv(cohort_dir / "mirna.tsv", sep="\t", index_col=0)
    mirna.iloc[2, 5] = -7
    mirna.to_csv(tmp_path / "mirna.tsv", sep="\t")
    code = main(["-q", "run", "--mirna", str(tmp_path / "mirna.tsv"), "--mrna", str(cohort_dir / "mrna.tsv"),
                 "--interactions", str(cohort_dir / "interactions.tsv"), "--out", str(tmp_path / "r"), *FAST])
    err = capsys.readouterr().err
    assert code == 2
    assert "negative value(s), e.g. -7" in err and mirna.index[2] in err and "--transform none" in err


@pytest.mark.parametrize(("value", "expect"), [("abc", "'abc' on line"), ("inf", "infinite")])
def test_bad_clinical_time_is_an_error_not_a_dropped_patient(tmp_path, value, expect):
    from mirmodules import InputDataError
    from mirmodules.evaluation.survival import read_clinical

    path = tmp_path / "clinical.tsv"
    path.write_text(f"sample\tos_time_days\tos_event\nP1\t100\t1\nP2\t{value}\t0\nP3\tNA\t1\n")
    with pytest.raises(InputDataError, match=expect):
        read_clinical(path)


# --- 4. provenance --------------------------------------------------------------------------------------


def test_evaluate_refuses_a_changed_input_unless_allowed(cohort_dir, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("mirna.tsv", "mrna.tsv", "interactions.tsv"):
        (data / name).write_bytes((cohort_dir / name).read_bytes())
    assert main(_run_args(data, str(tmp_path / "run"))) == 0
    with open(data / "interactions.tsv", "a", encoding="utf-8") as handle:
        handle.write("hsa-miR-1-5p\tEXTRA_GENE\n")
    code = main(["-q", "evaluate", str(tmp_path / "run"), "--out", str(tmp_path / "ev")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot be matched with the one the run" in err and "recorded" in err
    assert not (tmp_path / "ev").exists()
    code = main(["-q", "evaluate", str(tmp_path / "run"), "--out", str(tmp_path / "ev"),
                 "--allow-changed-inputs"])
    assert code == 0
    record = json.loads((tmp_path / "ev" / "evaluation.json").read_text())
    assert record["inputs"]["run_input_checksums"]["status"].startswith("changed")


def test_same_seed_gives_byte_identical_result_files(cohort_dir, tmp_path):
    for name in ("a", "b"):
        assert main(_run_args(cohort_dir, str(tmp_path / name))) == 0
    a, b = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    timed = {"manifest.json", "training_history.tsv", ".mirmodules-output.json"}
    assert set(a) == set(b)
    different = [name for name in a if name not in timed and a[name] != b[name]]
    assert different == []
    assert "codes_mrna.tsv.gz" in a


# --- 5. batch plans are validated at load ----------------------------------------------------------------


@pytest.mark.parametrize(("snippet", "expect"), [
    ('name = "../../victim"', "not a safe folder name"),
    ('name = "/abs/path"', "not a safe folder name"),
    ('name = "a/b"', "not a safe folder name"),
    ('name = ".."', "not a safe folder name"),
    ('name = "ok"\nsettings = { k_max = 1 }', "k_max"),
    ('name = "ok"\nsettings = { preset = "fast" }', "preset"),
])
def test_batch_plan_cohort_errors(snippet, expect, tmp_path):
    from mirmodules import InputDataError
    from mirmodules.workflows.batch import load_plan

    plan = tmp_path / "plan.toml"
    plan.write_text(f'methods = ["mica"]\n\n[[cohorts]]\n{snippet}\nmirna = "m.tsv"\nmrna = "g.tsv"\n'
                    'interactions = "i.tsv"\n')
    with pytest.raises(InputDataError, match=expect):
        load_plan(plan)


@pytest.mark.parametrize(("head", "expect"), [
    ("seeds = 0", "'seeds' must be a non-empty list"),
    ("seeds = []", "'seeds' must be a non-empty list"),
    ('seeds = ["a"]', "'seeds' must be a non-empty list"),
    ("bootstraps = -1", "'bootstraps' an integer"),
    ('[method_parameters.mica]\nmax_epochs = 0', "max_epochs"),
    ('[method_parameters.mica]\nnot_a_setting = 1', "no parameter"),
    ('[method_parameters.dicore]\nx = 1', "does not run"),
])
def test_batch_plan_global_errors(head, expect, tmp_path):
    from mirmodules import InputDataError
    from mirmodules.workflows.batch import load_plan

    cohort = '[[cohorts]]\nname = "ok"\nmirna = "m.tsv"\nmrna = "g.tsv"\ninteractions = "i.tsv"\n'
    if head.startswith("["):
        text = f'methods = ["mica"]\n{cohort}\n{head}\n'
    else:
        text = f'methods = ["mica"]\n{head}\n{cohort}'
    plan = tmp_path / "plan.toml"
    plan.write_text(text)
    with pytest.raises(InputDataError, match=expect):
        load_plan(plan)


def test_debug_flag_shows_the_traceback(cohort_dir, tmp_path):
    from mirmodules import InputDataError

    with pytest.raises(InputDataError):
        main(["--debug", *_run_args(cohort_dir, ".")])


def test_errors_never_leave_a_temporary_folder(cohort_dir, tmp_path, capsys):
    # the inputs are fine but a setting is impossible: refused before anything is created
    code = main(_run_args(cohort_dir, str(tmp_path / "r"), "--k-min", "5", "--k-max", "3"))
    assert code == 2 and "k_max" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- 6. ownership: --overwrite deletes only what mirmodules proves it wrote -----------------------------


def _sim_args(out: Path, *extra: str) -> list[str]:
    return _command_args("simulate", Path("."), str(out)) + list(extra)


def _forge(folder: Path, case: str) -> None:
    """Make ``folder`` look like an output by each trick the old ownership rule fell for."""
    folder.mkdir(exist_ok=True)
    (folder / "thesis.tex").write_text("years of work")
    record = {"written_by": "mirmodules", "token": "ab" * 16, "complete": True, "files": []}
    if case == "task_json":
        (folder / "task.json").write_text("{}")
    elif case == "batch_summary":
        (folder / "batch_summary.tsv").write_text("task\tstatus\n")
    elif case == "old_manifest":
        (folder / "manifest.json").write_text(json.dumps({"versions": {"mirmodules": "0.1.0"}}))
    elif case == "empty_marker":
        (folder / MARKER).write_text("{}")
    elif case == "marker_not_json":
        (folder / MARKER).write_text("{written_by")
    elif case == "marker_wrong_writer":
        (folder / MARKER).write_text(json.dumps({**record, "written_by": "someone"}))
    elif case == "marker_bad_token":
        (folder / MARKER).write_text(json.dumps({**record, "token": "x"}))
    elif case == "marker_files_not_list":
        (folder / MARKER).write_text(json.dumps({**record, "files": "thesis.tex"}))
    elif case == "marker_is_symlink":
        real = folder.parent / "elsewhere.json"
        real.write_text(json.dumps({**record, "files": ["thesis.tex"]}))
        (folder / MARKER).symlink_to(real)
    elif case == "marker_array":
        (folder / MARKER).write_text("[]")
    elif case == "valid_marker_unlisted_file":
        (folder / MARKER).write_text(json.dumps(record))
    elif case == "valid_marker_traversal":
        (folder / MARKER).write_text(json.dumps({**record, "files": ["../outside.txt", "/etc/passwd"]}))
    else:
        raise AssertionError(case)


FORGERIES = ["task_json", "batch_summary", "old_manifest", "empty_marker", "marker_not_json",
             "marker_wrong_writer", "marker_bad_token", "marker_files_not_list", "marker_is_symlink",
             "marker_array", "valid_marker_unlisted_file", "valid_marker_traversal"]


@pytest.mark.parametrize("case", FORGERIES)
@pytest.mark.parametrize("command", ["simulate", "run"])
def test_overwrite_never_deletes_a_folder_mirmodules_cannot_prove_it_wrote(case, command, cohort_dir,
                                                                          tmp_path, capsys):
    out = tmp_path / "myproj"
    (tmp_path / "outside.txt").write_text("neighbour")
    _forge(out, case)
    before = _snapshot(tmp_path)
    code = main([*_command_args(command, cohort_dir, str(out)), "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "not written by mirmodules" in err or "did not write (thesis.tex)" in err, err
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("where", ["top", "nested", "symlink", "in_demo_part"])
def test_a_file_added_to_an_output_folder_blocks_its_replacement(where, tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(_sim_args(out)) == 0
    if where == "top":
        added = out / "notes.txt"
    elif where == "nested":
        (out / "analysis").mkdir()
        added = out / "analysis" / "figure.py"
    elif where == "symlink":
        added = out / "link"
        added.symlink_to(tmp_path)
    else:
        (out / "sub").mkdir()
        assert main(_sim_args(out / "sub")) == 0
        added = out / "sub" / "mine.txt"
    if not added.is_symlink():
        added.write_text("mine")
    capsys.readouterr()
    assert main(_sim_args(out, "--overwrite", "--seed", "5")) == 2
    err = capsys.readouterr().err
    assert "did not write" in err and added.name in err, err
    assert added.is_symlink() or added.read_text() == "mine"


def test_the_marker_lists_every_file_and_a_second_overwrite_works(tmp_path):
    from mirmodules.store.atomic import foreign_files, read_marker

    out = tmp_path / "sim"
    assert main(_sim_args(out)) == 0
    record = read_marker(out)
    assert record is not None and record["complete"] is True and record["command"] == "simulate"
    assert sorted(record["files"]) == sorted(p.name for p in out.iterdir() if p.name != MARKER)
    assert len(record["token"]) == 32 and foreign_files(out) == []
    assert main(_sim_args(out, "--overwrite", "--seed", "2")) == 0
    assert read_marker(out)["token"] != record["token"]          # every write has its own token
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]


def test_remove_owned_keeps_what_it_did_not_write(tmp_path):
    from mirmodules.store.atomic import mark_output_folder, remove_owned

    folder = tmp_path / "f"
    mark_output_folder(folder, command="test", files=["a.tsv", "sub/b.tsv"])
    (folder / "sub").mkdir()
    for name in ("a.tsv", "sub/b.tsv", "sub/user.txt", "user.txt"):
        (folder / name).write_text(name)
    (tmp_path / "outside.txt").write_text("x")
    kept = remove_owned(folder)
    assert kept == ["sub/user.txt", "user.txt"]
    assert not (folder / "a.tsv").exists() and not (folder / "sub" / "b.tsv").exists()
    assert (tmp_path / "outside.txt").exists()


def test_marking_an_existing_folder_again_keeps_its_token_and_adds_files(tmp_path):
    from mirmodules.store.atomic import mark_output_folder

    folder = tmp_path / "f"
    mark_output_folder(folder, command="test", files=["a.tsv"])
    token = json.loads((folder / MARKER).read_text())["token"]
    mark_output_folder(folder, command="test", files=["c.tsv"])   # a resumed batch
    record = json.loads((folder / MARKER).read_text())
    assert record["token"] == token and sorted(record["files"]) == ["a.tsv", "c.tsv"]


def test_evaluate_will_not_replace_a_folder_that_holds_the_run_s_recorded_inputs(tmp_path, capsys):
    sim = tmp_path / "sim"
    assert main(_sim_args(sim)) == 0
    assert main(_run_args(sim, str(tmp_path / "run"))) == 0
    before = _snapshot(sim)
    code = main(["-q", "evaluate", str(tmp_path / "run"), "--out", str(sim), "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2 and "holds the input file" in err, err
    assert _snapshot(sim) == before


def test_run_will_not_replace_a_folder_whose_manifest_records_inputs_inside_it(tmp_path, cohort_dir,
                                                                               capsys):
    from mirmodules.exceptions import InputDataError
    from mirmodules.store.atomic import check_output_path

    folder = tmp_path / "old"
    assert main(_sim_args(folder)) == 0
    # a manifest (listed, so owned) that says the run read a file inside the folder
    (folder / "manifest.json").write_text(json.dumps(
        {"inputs": {"mirna": {"resolved": str(folder / "mirna.tsv")}}}))
    marker = json.loads((folder / MARKER).read_text())
    marker["files"].append("manifest.json")
    (folder / MARKER).write_text(json.dumps(marker))
    with pytest.raises(InputDataError, match="an input recorded in its manifest"):
        check_output_path(folder, overwrite=True)


# --- 7. leftovers: exact names, restored results need --overwrite, one writer at a time -----------------


def test_leftovers_are_found_by_exact_name_not_by_pattern(tmp_path, capsys):
    glob_like = tmp_path / "run[1]"
    other = tmp_path / "run1"
    assert main(_sim_args(other)) == 0
    # what a killed write to 'run1' leaves beside it: 'run[1]' as a glob would match it
    other.rename(tmp_path / ".run1.mirmodules-old-0123abcd")
    before = _snapshot(tmp_path)
    assert main(_sim_args(glob_like)) == 0
    after = {k: v for k, v in _snapshot(tmp_path).items() if not k.startswith("run[1]")}
    assert after == before           # the other run's leftover is untouched
    assert (tmp_path / ".run1.mirmodules-old-0123abcd").is_dir()


def test_a_restored_result_is_not_replaced_without_overwrite(tmp_path, capsys, caplog):
    out = tmp_path / "sim"
    assert main(_sim_args(out)) == 0
    first = _snapshot(out)
    out.rename(tmp_path / ".sim.mirmodules-old-0123abcd")
    code = main(_sim_args(out, "--seed", "7"))
    err = capsys.readouterr().err
    assert code == 2 and "not empty" in err
    assert "restored" in " ".join(r.getMessage() for r in caplog.records)
    assert _snapshot(out) == first


def test_an_unmarked_leftover_with_user_files_is_kept(tmp_path, caplog):
    out = tmp_path / "sim"
    stale = tmp_path / ".sim.mirmodules-new-0123abcd"
    stale.mkdir()
    (stale / "user.txt").write_text("not ours")
    assert main(_sim_args(out)) == 0
    assert (stale / "user.txt").read_text() == "not ours"
    assert "kept" in " ".join(r.getMessage() for r in caplog.records)


def _hold_lock(out: Path) -> subprocess.Popen:
    code = ("import sys, time\nfrom mirmodules.store.atomic import output_lock\n"
            "with output_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize("command", ["simulate", "run"])
def test_a_second_writer_to_the_same_out_stops_at_once(command, cohort_dir, tmp_path, capsys):
    out = tmp_path / "shared"
    holder = _hold_lock(out)
    try:
        start = time.perf_counter()
        code = main(_command_args(command, cohort_dir, str(out)))
        err = capsys.readouterr().err
        assert code == 2 and "Another mirmodules command is writing" in err, err
        assert time.perf_counter() - start < 10
        assert not out.exists()
    finally:
        holder.kill()
        holder.communicate()
    assert main(_command_args(command, cohort_dir, str(out))) == 0   # the lock dies with its holder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared"]


def test_concurrent_commands_leave_one_complete_result_and_clear_messages(tmp_path):
    out = tmp_path / "conc"
    base = [sys.executable, "-m", "mirmodules.cli", "-q", "simulate", "--out", str(out),
            "--n-mrnas", "4000", "--n-samples", "60", "--n-mirnas", "50"]
    procs = [subprocess.Popen([*base, "--seed", str(i)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for i in range(3)]
    results = [(p.returncode, p.communicate()[1]) for p in procs]
    results = [(p.returncode, err) for p, (_, err) in zip(procs, results, strict=True)]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and set(codes) <= {0, 2}, results
    for code, err in results:
        if code == 2:
            assert "Another mirmodules command is writing" in err or "not empty" in err, err
        assert "free space" not in err
    assert _complete(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conc"]


# --- 8. --log-file never damages a file ------------------------------------------------------------------


@pytest.mark.parametrize(("case", "expect"), [
    ("input", "which the command reads"),
    ("input_empty_log_name", "reads or replaces"),
    ("foreign_text", "is not a mirmodules log"),
    ("folder", "is a folder"),
    ("missing_folder", "does not exist"),
    ("inside_out", "lies inside --out"),
    ("inside_existing_out", "lies inside --out"),
    ("fifo", "not a regular file"),
])
def test_log_file_refused(case, expect, cohort_dir, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("mirna.tsv", "mrna.tsv", "interactions.tsv"):
        (data / name).write_bytes((cohort_dir / name).read_bytes())
    out = tmp_path / "run"
    log = {
        "input": data / "mirna.tsv",
        "input_empty_log_name": data / "interactions.tsv",
        "foreign_text": tmp_path / "notes.txt",
        "folder": tmp_path,
        "missing_folder": tmp_path / "nowhere" / "x.log",
        "inside_out": out / "run.log",
        "inside_existing_out": out / "run.log",
        "fifo": tmp_path / "pipe",
    }[case]
    if case == "foreign_text":
        log.write_text("my notes\n")
    if case == "input_empty_log_name":
        log.write_text("")             # even an empty input is not a log
    if case == "inside_out":
        (tmp_path / "run").mkdir()
    if case == "inside_existing_out":
        out.mkdir()
        (out / "run.log").write_text("")
    if case == "fifo":
        os.mkfifo(log)
    before = _snapshot(tmp_path)
    code = main(["--log-file", str(log), *_run_args(data, str(out))])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expect in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _snapshot(tmp_path) == before


@pytest.mark.filterwarnings("always::mirmodules.exceptions.DataQualityWarning")
def test_log_file_appends_to_its_own_log_and_carries_warnings(cohort_dir, tmp_path, capsys):
    log = tmp_path / "mm.log"
    assert main(["--log-file", str(log), *_sim_args(tmp_path / "a")]) == 0
    first = log.read_text()
    assert main(["--log-file", str(log), *_sim_args(tmp_path / "b")]) == 0
    assert log.read_text().startswith(first) and len(log.read_text()) > len(first)
    # a Python warning (here: a column without values) reaches the log file and stderr
    mirna = (cohort_dir / "mirna.tsv").read_text().splitlines()
    (tmp_path / "mirna.tsv").write_text("".join(line + "\t\n" for line in mirna))
    capsys.readouterr()
    code = main(["--log-file", str(log), "run", "--mirna", str(tmp_path / "mirna.tsv"), "--mrna",
                 str(cohort_dir / "mrna.tsv"), "--interactions", str(cohort_dir / "interactions.tsv"),
                 "--out", str(tmp_path / "r"), *FAST])
    assert code == 0
    assert "hold no value at all" in capsys.readouterr().err
    assert "hold no value at all" in log.read_text()
    # ... and the run's manifest, and the warnings panel of the report built from the run
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert any("hold no value at all" in w for w in manifest["warnings"])
    assert main(["-q", "evaluate", str(tmp_path / "r"), "--out", str(tmp_path / "ev")]) == 0
    assert "hold no value at all" in (tmp_path / "ev" / "report.html").read_text()


# --- 9. the data registry stays inside the cache --------------------------------------------------------


@pytest.mark.parametrize(("entry", "expect"), [
    ({"table_name": "../../outside/x.tsv.gz"}, "not a plain file name"),
    ({"table_name": "/tmp/x.tsv.gz"}, "not a plain file name"),
    ({"table_name": "sub/x.tsv.gz"}, "not a plain file name"),
    ({"name": "../evil"}, "not a plain file name"),
    ({"version": "1/../../x"}, "not a plain file name"),
    ({"role": "everything"}, "role"),
    ({"convert": "exec"}, "convert"),
    ({"url": "ftp://example.org/x"}, "url"),
    ({"sha256": "xyz"}, "sha256"),
    ({"title": 3}, "must be a string"),
    ({"extra_field": 1}, "unknown field"),
    ({"url": None}, "must be a string"),
])
def test_registry_entries_are_checked(entry, expect, tmp_path, monkeypatch, capsys):
    record = {"name": "mine", "title": "t", "version": "1", "role": "interactions",
              "url": "file:///nonexistent/x.tsv", "convert": "table", "table_name": "mine.tsv.gz", **entry}
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([record]))
    monkeypatch.setenv("MIRMODULES_DATA_REGISTRY", str(registry))
    cache = tmp_path / "cache"
    code = main(["data", "fetch", "mine", "--cache", str(cache), "--offline"])
    err = capsys.readouterr().err
    assert code == 2 and expect in err, err
    assert not cache.exists() and not (tmp_path / "outside").exists()


@pytest.mark.parametrize(("text", "expect"), [
    ("{}", "expected a JSON list"),
    ("[1]", "expected a JSON object"),
    ('[{"name": "x"}]', "missing field"),
    ("[{", "cannot read it as JSON"),
])
def test_registry_file_shape_errors(text, expect, tmp_path, monkeypatch, capsys):
    registry = tmp_path / "registry.json"
    registry.write_text(text)
    monkeypatch.setenv("MIRMODULES_DATA_REGISTRY", str(registry))
    code = main(["data", "list", "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and expect in err, err


# --- 10. inputs read strictly: nothing silently wrong -----------------------------------------------------


@pytest.mark.parametrize(("case", "expect"), [
    ("cut_mid_row", "cut mid-row"),
    ("cut_after_separator", "cut mid-row"),
    ("comma_row_in_tsv", "separated by commas"),
    ("short_row", "line 3 has 3 field(s), the header 4"),
    ("long_row", "line 3 has 5 field(s), the header 4"),
    ("boolean", "boolean 'TRUE'"),
    ("boolean_lower", "boolean 'false'"),
    ("absurd", "beyond"),
    ("absurd_negative", "beyond"),
    ("unnamed_column_with_values", "has values but no name"),
    ("fifo", "not a regular file"),
])
def test_expression_read_strictly(case, expect, cohort_dir, tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    text = {
        "cut_mid_row": MATRIX + b"C\t1\t2",
        "cut_after_separator": MATRIX + b"C\t1\t2\t",
        "comma_row_in_tsv": MATRIX + b"C,1,2,3\n",
        "short_row": MATRIX.replace(b"B\t4\t5\t6", b"B\t4\t5"),
        "long_row": MATRIX.replace(b"B\t4\t5\t6", b"B\t4\t5\t6\t7"),
        "boolean": MATRIX.replace(b"\t5\t", b"\tTRUE\t"),
        "boolean_lower": MATRIX.replace(b"\t6\n", b"\tfalse\n"),
        "absurd": MATRIX.replace(b"\t5\t", b"\t1e300\t"),
        "absurd_negative": MATRIX.replace(b"\t5\t", b"\t-2e16\t"),
        "unnamed_column_with_values": b"gene\tS1\t\tS3\nA\t1\t2\t3\nB\t4\t5\t6\n",
        "fifo": None,
    }[case]
    if text is None:
        os.mkfifo(bad)
    else:
        bad.write_bytes(text)
    out = tmp_path / "run"
    code = main(["-q", "run", "--mirna", str(bad), "--mrna", str(cohort_dir / "mrna.tsv"),
                 "--interactions", str(cohort_dir / "interactions.tsv"), "--out", str(out), *FAST])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expect in err, err
    assert err.count("\n") == 1 and str(bad) in err
    assert not out.exists()


@pytest.mark.parametrize("case", ["trailing_tab", "all_missing_sample"])
def test_an_empty_column_is_dropped_with_a_warning_that_names_the_file(case, tmp_path):
    from mirmodules.exceptions import DataQualityWarning
    from mirmodules.inputs.io import read_expression

    path = tmp_path / "x.tsv"
    if case == "trailing_tab":
        path.write_bytes(b"".join(line + b"\t\n" for line in MATRIX.splitlines()))
    else:
        path.write_bytes(b"gene\tS1\tS2\tS3\tS4\nA\t1\t2\t3\tNA\nB\t4\t5\t6\t\n")
    with pytest.warns(DataQualityWarning, match=r"x\.tsv: 1 column\(s\) hold no value") as record:
        frame = read_expression(path)
    assert list(frame.columns) == ["S1", "S2", "S3"]
    assert frame.loc["B", "S3"] == 6.0
    assert ("trailing" in str(record[0].message)) == (case == "trailing_tab")


def test_literal_na_ids_are_ids_in_every_table(tmp_path):
    from mirmodules.inputs.io import read_expression, read_interactions

    expr = tmp_path / "e.tsv"
    expr.write_text("gene\tS1\tS2\nNA\t1\tNA\nTP53\t3\t4\n")
    frame = read_expression(expr)
    assert list(frame.index) == ["NA", "TP53"] and np.isnan(frame.loc["NA", "S2"])
    inter = tmp_path / "i.tsv"
    inter.write_text("mirna\ttarget\nhsa-miR-1\tNA\nhsa-miR-1\tTP53\n")
    table = read_interactions(inter).table
    assert sorted(table["target"]) == ["NA", "TP53"]


def test_case_only_mismatches_are_repaired_with_a_warning(cohort_dir):
    import pandas as pd

    from mirmodules import prepare_inputs
    from mirmodules.exceptions import DataQualityWarning
    from mirmodules.inputs.io import read_expression

    mirna = read_expression(cohort_dir / "mirna.tsv")
    mrna = read_expression(cohort_dir / "mrna.tsv")
    inter = pd.read_csv(cohort_dir / "interactions.tsv", sep="\t")
    exact = prepare_inputs(mirna, mrna, inter)
    lowered = inter.copy()
    half = lowered.index[::2]
    lowered.loc[half, "mirna"] = lowered.loc[half, "mirna"].str.lower()
    with pytest.warns(DataQualityWarning, match="only when letter case is ignored"):
        repaired = prepare_inputs(mirna, mrna, lowered)
    assert len(repaired.interactions) == len(exact.interactions)
    assert repaired.counts["interaction_mirna_ids_case_repaired"] > 0


# --- 11. provenance cannot say "all match" unless every input was hashed and matched -----------------------


@pytest.mark.parametrize("case", ["extra_mirbase", "no_sha", "inputs_not_object", "manifest_truncated",
                                  "manifest_array", "no_mirna_record", "mirna_record_string"])
def test_evaluate_provenance_and_damaged_manifests(case, cohort_dir, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("mirna.tsv", "mrna.tsv", "interactions.tsv"):
        (data / name).write_bytes((cohort_dir / name).read_bytes())
    run = tmp_path / "run"
    assert main(_run_args(data, str(run))) == 0
    manifest_path = run / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    extra: list[str] = []
    expect = {"extra_mirbase": "mirbase input", "no_sha": "(none recorded)",
              "inputs_not_object": "'inputs' is not an object", "manifest_truncated": "not valid JSON",
              "manifest_array": "holds a JSON list", "no_mirna_record": "records no mirna input",
              "mirna_record_string": "records no mirna input"}[case]
    if case == "extra_mirbase":
        mirbase = tmp_path / "mature.tsv"
        mirbase.write_text("mirna\tmature_acc\nhsa-miR-1\tMIMAT0000416\n")
        extra = ["--mirbase", str(mirbase)]
    elif case == "no_sha":
        del manifest["inputs"]["mrna"]["sha256"]
    elif case == "inputs_not_object":
        manifest["inputs"] = ["x"]
    elif case == "no_mirna_record":
        del manifest["inputs"]["mirna"]
    elif case == "mirna_record_string":
        manifest["inputs"]["mirna"] = "mirna.tsv"
    text = json.dumps(manifest)
    if case == "manifest_truncated":
        text = text[: len(text) // 2]
    elif case == "manifest_array":
        text = "[]"
    manifest_path.write_text(text)
    code = main(["-q", "evaluate", str(run), "--out", str(tmp_path / "ev"), *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expect in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "ev").exists()


@pytest.mark.filterwarnings("always::mirmodules.exceptions.DataQualityWarning")
def test_modules_edited_by_hand_with_unknown_features_are_warned_about(cohort_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_run_args(cohort_dir, str(run))) == 0
    with open(run / "modules.tsv", "a", encoding="utf-8") as handle:
        handle.write("M001\tNOT_A_GENE\tmrna\n")
    code = main(["evaluate", str(run), "--out", str(tmp_path / "ev")])
    assert code == 0
    assert "not analysed features" in capsys.readouterr().err


@pytest.mark.parametrize(("table", "damage", "expect"), [
    ("modules.tsv", "missing_column", "lacks column"),
    ("modules.tsv", "random_bytes", "not UTF-8"),
    ("modules.tsv", "unterminated_quote", "could not be parsed"),
    ("module_edges.tsv", "missing_column", "lack column"),
    ("module_edges.tsv", "random_bytes", "not UTF-8"),
    ("module_edges.tsv", "unterminated_quote", "could not be parsed"),
    ("module_summary.tsv", "random_bytes", "Module summary"),
])
def test_damaged_run_tables_are_one_line_errors(table, damage, expect, cohort_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_run_args(cohort_dir, str(run))) == 0
    path = run / table
    if damage == "missing_column":
        lines = path.read_text().splitlines()
        path.write_text("\n".join("\t".join(line.split("\t")[:-1]) for line in lines) + "\n")
    elif damage == "random_bytes":
        path.write_bytes(bytes(range(128, 256)) * 4)
    else:
        path.write_text(path.read_text().replace("\t", '\t"', 1))
    capsys.readouterr()
    code = main(["-q", "evaluate", str(run), "--out", str(tmp_path / "ev")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expect in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("table", ["sse_curve.tsv", "training_history.tsv"])
@pytest.mark.filterwarnings("always::mirmodules.exceptions.DataQualityWarning")
def test_a_damaged_figure_table_leaves_its_figure_out_with_a_warning(table, cohort_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_run_args(cohort_dir, str(run))) == 0
    (run / table).write_bytes(b"\xff\xfe garbage")
    capsys.readouterr()
    assert main(["-q", "evaluate", str(run), "--out", str(tmp_path / "ev")]) == 0
    assert "leaves its figure out" in capsys.readouterr().err


# --- 12. limits and plans: no hang, no silent misreading ---------------------------------------------------


@pytest.mark.parametrize(("text", "expect"), [
    ('methods = ["mica"]\nseed = [7]\n', "unknown key(s) 'seed' (did you mean 'seeds'?)"),
    ('methods = ["mica"]\n', None),
    ('methods = "mica"\n', "must be a non-empty list of method names"),
    ('methods = ["mica", "mica"]\n', "more than once"),
    ('methods = ["mica"]\nseeds = [1, 1]\n', "more than once"),
    ('methods = ["mica"]\nbootstraps = 100000000\n', "at most 1000 bootstraps"),
    (f'methods = ["mica"]\nseeds = {list(range(100))}\nbootstraps = 1000\n', "tasks per plan"),
    ('methods = [1]\n', "must be a non-empty list of method names"),
    ('method_parameters = 3\n', "must be a table"),
    ('cohorts = 3\n', "'cohorts' must be a list of tables"),
])
def test_batch_plan_shapes(text, expect, tmp_path):
    from mirmodules import InputDataError
    from mirmodules.workflows.batch import load_plan

    cohort = '\n[[cohorts]]\nname = "ok"\nmirna = "m.tsv"\nmrna = "g.tsv"\ninteractions = "i.tsv"\n'
    plan = tmp_path / "plan.toml"
    plan.write_text(text + ("" if text.startswith("cohorts") else cohort))
    if expect is None:
        assert load_plan(plan).methods == ("mica",)
        return
    with pytest.raises(InputDataError) as info:
        load_plan(plan)
    assert expect in str(info.value)


@pytest.mark.parametrize(("snippet", "expect"), [
    ('mirbas = ["x.tsv"]', "unknown key(s) 'mirbas' (did you mean 'mirbase'?)"),
    ('mirbase = "x.tsv"', "mirbase must be a list of file paths"),
    ("mirbase = [1]", "mirbase must be a list of file paths"),
    ('settings = "strong"', "settings must be a table"),
])
def test_batch_plan_cohort_shapes(snippet, expect, tmp_path):
    from mirmodules import InputDataError
    from mirmodules.workflows.batch import load_plan

    plan = tmp_path / "plan.toml"
    plan.write_text('methods = ["mica"]\n[[cohorts]]\nname = "ok"\nmirna = "m.tsv"\nmrna = "g.tsv"\n'
                    f'interactions = "i.tsv"\n{snippet}\n')
    with pytest.raises(InputDataError) as info:
        load_plan(plan)
    assert expect in str(info.value)


@pytest.mark.parametrize(("args", "expect"), [
    (["--threads", "100000"], "'threads' parameter"),
    (["--code-length", "100000"], "longer than the 40 samples"),
])
def test_absurd_settings_are_refused(args, expect, cohort_dir, tmp_path, capsys):
    code = main(_run_args(cohort_dir, str(tmp_path / "r"), *args))
    err = capsys.readouterr().err
    assert code == 2 and expect in err, err
    assert list(tmp_path.iterdir()) == []


def test_batch_workers_must_be_positive(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text('[[cohorts]]\nname = "ok"\nmirna = "m.tsv"\nmrna = "g.tsv"\ninteractions = "i.tsv"\n')
    code = main(["batch", str(plan), "--out", str(tmp_path / "b"), "--workers", "-1"])
    assert code == 2 and "--workers" in capsys.readouterr().err


def test_stability_with_zero_reruns_is_refused(cohort_dir, tmp_path, capsys):
    args = _command_args("stability", cohort_dir, str(tmp_path / "s"))
    args[args.index("--n-seeds") + 1] = "0"
    code = main([*args, "--n-orders", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "at least one rerun" in err, err


def test_a_process_substitution_is_refused_not_read_twice(cohort_dir, tmp_path, capsys):
    read_end, write_end = os.pipe()
    try:
        path = f"/dev/fd/{read_end}"
        code = main(["-q", "run", "--mirna", path, "--mrna", str(cohort_dir / "mrna.tsv"),
                     "--interactions", str(cohort_dir / "interactions.tsv"), "--out", str(tmp_path / "r")])
    finally:
        os.close(read_end)
        os.close(write_end)
    err = capsys.readouterr().err
    assert code == 2 and "process substitution" in err, err


def test_ids_that_look_like_tex_do_not_break_the_report(tmp_path):
    import pandas as pd

    from mirmodules.datatypes import ModuleSet
    from mirmodules.report.plots import plot_module_network

    members = pd.DataFrame({"module_id": ["M1"] * 3, "feature": ["$\\foo{$", "G$1", "G_{2}$"],
                            "kind": ["mirna", "mrna", "mrna"]})
    edges = pd.DataFrame({"module_id": ["M1", "M1"], "mirna": ["$\\foo{$"] * 2, "target": ["G$1", "G_{2}$"]})
    ax = plot_module_network(ModuleSet(members=members, edges=edges), "M1")
    ax.figure.savefig(tmp_path / "net.png")
    assert (tmp_path / "net.png").stat().st_size > 0


def test_an_r_write_table_file_gets_the_fix_not_a_duplicate_id_message(cohort_dir, tmp_path, capsys):
    bad = tmp_path / "r.tsv"
    bad.write_bytes(b"S1\tS2\tS3\nA\t1\t2\t3\nB\t4\t5\t6\n")
    code = main(["-q", "run", "--mirna", str(bad), "--mrna", str(cohort_dir / "mrna.tsv"),
                 "--interactions", str(cohort_dir / "interactions.tsv"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "write.table" in err and "duplicated" not in err, err


def test_too_few_features_names_the_file_and_each_step(cohort_dir, tmp_path, capsys):
    header = (cohort_dir / "mirna.tsv").read_text().splitlines()[0]
    n = header.count("\t")
    flat = tmp_path / "flat.tsv"
    flat.write_text(f"{header}\nA" + "\t5" * n + "\nB" + "\t7" * n + "\nC" +
                    "".join(f"\t{i}" for i in range(n)) + "\n")
    code = main(["-q", "run", "--mirna", str(flat), "--mrna", str(cohort_dir / "mrna.tsv"),
                 "--interactions", str(cohort_dir / "interactions.tsv"), "--out", str(tmp_path / "o"),
                 "--transform", "none"])
    err = capsys.readouterr().err
    assert code == 2 and str(flat) in err and "variance_filter: 3 -> 1" in err, err


def test_log_file_is_accepted_after_the_subcommand_too(tmp_path):
    log = tmp_path / "after.log"
    assert main([*_sim_args(tmp_path / "s"), "--log-file", str(log)]) == 0
    assert "simulated" in log.read_text()
    before = (tmp_path / "s" / "mirna.tsv").read_bytes()
    assert main([*_sim_args(tmp_path / "s2"), "--log-file", str(tmp_path / "s" / "mirna.tsv")]) == 2
    assert (tmp_path / "s" / "mirna.tsv").read_bytes() == before


def test_a_table_given_as_gene_sets_is_an_error_not_an_empty_background(cohort_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_run_args(cohort_dir, str(run))) == 0
    table = tmp_path / "not_a_gmt.tsv"
    table.write_text("sample\tos_time_days\tos_event\nP1\t100\t1\nP2\t200\t0\n")   # a clinical table
    capsys.readouterr()
    code = main(["-q", "evaluate", str(run), "--gene-sets", str(table), "--out", str(tmp_path / "ev")])
    err = capsys.readouterr().err
    assert code == 2 and "none of its" in err and "GMT" in err, err
    assert not (tmp_path / "ev").exists()
