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


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", ["dot", "dotdot", "parent_via_dotdot", "cwd_absolute", "root",
                                  "home", "holds_input", "is_file", "symlink", "dangling_symlink",
                                  "foreign_folder_overwrite", "nonempty_no_overwrite"])
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
    if case == "holds_input" and command in {"simulate", "demo"}:
        pytest.skip("simulate and demo read no input files")
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


def test_read_only_parent_is_refused_up_front(cohort_dir, tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; permission errors cannot be made as root")
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
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


@pytest.mark.parametrize("delay", [0.5, 1.2, 2.0])
def test_kill_at_any_moment_leaves_old_or_new_complete(tmp_path, delay):
    out = tmp_path / "sim"
    base = [sys.executable, "-m", "mirmodules.cli", "-q", "simulate", "--out", str(out),
            "--n-mrnas", "8000", "--n-samples", "60", "--n-mirnas", "50"]
    subprocess.run(base, check=True, capture_output=True)
    old = (out / "mrna.tsv").read_bytes()
    proc = subprocess.Popen([*base, "--seed", "3", "--overwrite"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if out.exists():
        assert _complete(out)
        state = "old" if (out / "mrna.tsv").read_bytes() == old else "new"
    else:  # killed between the two renames: the old result waits beside it
        assert any(".sim.mirmodules-old-" in p.name for p in tmp_path.iterdir())
        state = "aside"
    # the next run cleans up (restores the old result if needed) and ends with one folder
    subprocess.run([*base, "--seed", "4", "--overwrite"], check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"], state
    assert _complete(out)


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
