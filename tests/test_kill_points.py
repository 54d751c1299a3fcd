"""Kills injected at fixed points of the writer (README, "Bad input and your files").

A first child process records every file-system step a command takes while it writes its
``--out`` folder (renames, replacements, marker writes, removals, folder creation); then, for each
step, a child is killed with SIGKILL just before it and just after it. Whatever the point, the
folder must afterwards hold the old result or the new one, complete, or be missing with the old
result waiting beside it; the next call must restore or clean up, refuse to replace a restored
result without ``--overwrite``, and end with exactly one folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from mirmodules.cli import main
from mirmodules.store.atomic import MARKER, read_marker

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32",
                                reason="kill points need fork and SIGKILL (POSIX)")

SIMULATE = ["-q", "simulate", "--n-mrnas", "120", "--n-mirnas", "20", "--n-samples", "20",
            "--n-modules", "2", "--mrnas-per-module", "5", "8", "--mirnas-per-module", "2", "3"]
#: (object, attribute) of the steps that are counted; each is wrapped in the child only
STEPS = [(Path, "rename"), (Path, "write_text"), (Path, "unlink"), (Path, "rmdir"), (Path, "mkdir"),
         (os, "replace"), (os, "rmdir"), (shutil, "rmtree")]


def _in_child(args: list[str], kill_at: int | None, when: str, trace: Path | None, root: Path) -> None:
    """Run ``mirmodules ARGS`` in this (forked) process, counting the steps below ``root``; SIGKILL
    itself at step ``kill_at`` (``when``: before or after it), or write the steps to ``trace``."""
    count = 0
    names: list[str] = []
    inside = False  # a step that calls another (Path.rmdir calls os.rmdir) is one step

    def wrap(owner, attribute):
        real = getattr(owner, attribute)

        def step(*a, **k):
            nonlocal count, inside
            target = str(a[0]) if a else ""
            if inside or not target.startswith(str(root)):
                return real(*a, **k)
            count += 1
            here = count
            names.append(f"{attribute} {Path(target).name}")
            if here == kill_at and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            inside = True
            try:
                return real(*a, **k)
            finally:  # a step that failed (rmdir of a folder not yet empty) was taken too
                inside = False
                if here == kill_at and when == "after":
                    os.kill(os.getpid(), signal.SIGKILL)

        setattr(owner, attribute, step)

    for owner, attribute in STEPS:
        wrap(owner, attribute)
    code = main(args)
    if trace is not None:
        trace.write_text("\n".join(names))
    os._exit(code)


def _fork(args: list[str], root: Path, *, kill_at: int | None = None, when: str = "before",
          trace: Path | None = None) -> int:
    """Exit code of the child (negative: the signal that ended it)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:
            _in_child(args, kill_at, when, trace, root)
        finally:
            os._exit(70)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _state(out: Path, old: bytes, new: bytes) -> str:
    """old / new (complete), or aside (missing, the old result renamed beside it)."""
    if not out.exists():
        aside = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.mirmodules-old-")]
        assert aside, f"{out} is gone and no old result waits beside it: {sorted(out.parent.iterdir())}"
        return "aside"
    record = read_marker(out)
    assert record is not None and record.get("complete", True), "a half-written folder took --out's place"
    names = {p.name for p in out.iterdir()}
    assert set(record["files"]) <= names | {p.relative_to(out).as_posix() for p in out.rglob("*")}
    content = (out / "mrna.tsv").read_bytes()
    assert content in (old, new), "mrna.tsv is neither the old nor the new result"
    return "old" if content == old else "new"


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    """The steps of one `simulate --overwrite` over an earlier result, and both results' mrna.tsv."""
    root = tmp_path_factory.mktemp("trace")
    out = root / "sim"
    assert main([*SIMULATE, "--out", str(out)]) == 0
    old = (out / "mrna.tsv").read_bytes()
    trace = root.parent / f"{root.name}-steps.txt"
    assert _fork([*SIMULATE, "--seed", "3", "--overwrite", "--out", str(out)], root, trace=trace) == 0
    new = (out / "mrna.tsv").read_bytes()
    assert new != old
    names = trace.read_text().splitlines()
    # the steps the replacement must survive are all there: the in-progress marker, the complete
    # marker, the old result renamed aside, the new one renamed in, the old one's files removed
    assert any(n.startswith("rename sim") for n in names) and any(n.startswith("rename .sim.") for n in names)
    assert sum(n == f"write_text {MARKER}" for n in names) >= 2
    return names, old, new


def test_every_step_of_a_replacement_was_counted(steps):
    names, _, _ = steps
    assert 10 <= len(names) <= 200, names


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_at_any_step_leaves_old_or_new_and_the_next_call_recovers(tmp_path, steps, when):
    names, old, new = steps
    seen = set()
    for kill_at in range(1, len(names) + 1):
        root = tmp_path / f"{when}{kill_at}"
        root.mkdir()
        out = root / "sim"
        assert main([*SIMULATE, "--out", str(out)]) == 0
        replace = [*SIMULATE, "--seed", "3", "--overwrite", "--out", str(out)]
        code = _fork(replace, root, kill_at=kill_at, when=when)
        assert code == -signal.SIGKILL, f"step {kill_at} ({names[kill_at - 1]}) was not reached"
        state = _state(out, old, new)
        seen.add(state)
        # without --overwrite the next call restores what it can and refuses to replace a result
        assert main([*SIMULATE, "--seed", "4", "--out", str(out)]) == 2
        assert _state(out, old, new) in ("old", "new"), f"step {kill_at}: nothing restored"
        assert (out / "mrna.tsv").read_bytes() == (new if state == "new" else old)
        # with it, one complete folder and nothing else beside it
        assert main([*SIMULATE, "--seed", "4", "--overwrite", "--out", str(out)]) == 0
        assert sorted(p.name for p in root.iterdir()) == ["sim"], f"step {kill_at} ({names[kill_at - 1]})"
        assert read_marker(out)["complete"] is not False
    # the kills landed on both sides of the switch
    assert {"old", "new"} <= seen
