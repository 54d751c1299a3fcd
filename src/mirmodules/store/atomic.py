"""One output writer for every command: checked paths, atomic replacement, no foreign deletions.

Rules (the README's "Bad input and your files" states them as guarantees):

* ``--out`` is resolved first. It may not be the working folder or one of its parents, the home
  or root folder, a folder that holds an input file, an existing file, or a symbolic link.
* An existing non-empty folder is replaced only with ``overwrite=True`` *and* when mirmodules
  wrote it (its :data:`MARKER` file, or a run manifest of mirmodules 0.1); a user's own folder is
  never deleted.
* Writing goes to a hidden sibling ``.NAME.mirmodules-new-XXXX``; when it is complete the old
  folder is renamed aside (``.NAME.mirmodules-old-XXXX``), the new one renamed in, and the old one
  deleted. A kill at any moment leaves the complete old or the complete new result; the next
  run on the same ``--out`` restores or removes what a killed run left (and says so).
* Whether the parent folder can be written is checked before any computation.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mirmodules.exceptions import InputDataError

logger = logging.getLogger(__name__)

#: File that marks a folder as written by mirmodules (and so replaceable with --overwrite).
MARKER = ".mirmodules-output.json"
_NEW, _OLD = ".mirmodules-new-", ".mirmodules-old-"


def _written_by_mirmodules(folder: Path) -> bool:
    if any((folder / name).is_file() for name in (MARKER, "batch_summary.tsv", "task.json")):
        return True  # batch and task folders of mirmodules 0.1 had no marker
    manifest = folder / "manifest.json"  # run folders of mirmodules 0.1 had no marker
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and "mirmodules" in record.get("versions", {})


def check_output_path(
    out: str | Path, *, overwrite: bool = False, inputs: Iterable[str | Path] = (), flag: str = "--out"
) -> Path:
    """Validate an output folder before any work is done; return its resolved path.

    Raises :class:`InputDataError` (exit code 2) naming the path and the fix.
    """
    given = Path(out).expanduser()
    if given.is_symlink():
        msg = (f"{flag} {out} is a symbolic link; mirmodules does not write through links. "
               "Give the folder's real path or a new folder.")
        raise InputDataError(msg)
    path = given.resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if path == cwd or path in cwd.parents:
        msg = (f"{flag} {out} is the working folder or one of its parents ({path}); results go into "
               "a folder of their own. Give a new folder name, e.g. --out my_run.")
        raise InputDataError(msg)
    if path == home or path == Path(path.anchor):
        msg = f"{flag} {out} is the home or root folder ({path}); give a new folder for the results."
        raise InputDataError(msg)
    for item in inputs:
        source = Path(str(item).split("::", 1)[0]).expanduser().resolve()  # FILE.h5mu::modality
        if path == source or path in source.parents:
            msg = (f"{flag} {out} holds the input file {item}; replacing it would delete the input. "
                   "Give a folder outside the inputs' folders.")
            raise InputDataError(msg)
    if path.exists() and not path.is_dir():
        msg = f"{flag} {out} exists and is not a folder; give a new folder name."
        raise InputDataError(msg)
    if path.is_dir() and any(p for p in path.iterdir() if p.name != MARKER):
        if not overwrite:
            msg = (f"Output folder {out} exists and is not empty; choose a new folder or add "
                   "--overwrite (replaces only a folder that mirmodules wrote).")
            raise InputDataError(msg)
        if not _written_by_mirmodules(path):
            msg = (f"Output folder {out} was not written by mirmodules (no {MARKER} or run manifest "
                   "in it), so --overwrite will not delete it. Choose a new folder.")
            raise InputDataError(msg)
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        msg = (f"Cannot create {flag} {out}: the folder {ancestor} is not writable. Choose a folder "
               "you can write to.")
        raise InputDataError(msg)
    return path


def recover_leftovers(out: Path) -> None:
    """Restore or remove what a killed write to ``out`` left beside it (logged as warnings)."""
    if not out.parent.is_dir():
        return
    for leftover in sorted(out.parent.glob(f".{out.name}.mirmodules-*")):
        if _OLD in leftover.name and not out.exists():
            leftover.rename(out)
            logger.warning("restored %s from %s: a replacement was interrupted before the new "
                           "result was in place", out, leftover.name)
        elif leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
            kind = "previous result" if _OLD in leftover.name else "unfinished output"
            logger.warning("removed the %s of an interrupted run: %s", kind, leftover)


def _marker_text(command: str) -> str:
    from mirmodules._versions import mirmodules_version

    return json.dumps({"written_by": "mirmodules", "version": mirmodules_version(), "command": command},
                      indent=2) + "\n"


@contextmanager
def atomic_output(out: str | Path, *, command: str, overwrite: bool = False) -> Iterator[Path]:
    """Yield a hidden folder to write into; on success it replaces ``out`` (see module docstring).

    ``out`` is checked with :func:`check_output_path` again (the caller should have checked it
    before the computation, with the inputs).
    """
    path = check_output_path(out, overwrite=overwrite)
    recover_leftovers(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}{_NEW}{uuid.uuid4().hex[:8]}"
    tmp.mkdir()  # mode from the umask, like any folder the user makes (mkdtemp would give 0700)
    try:
        yield tmp
        (tmp / MARKER).write_text(_marker_text(command), encoding="utf-8")
        if path.exists():
            old = path.parent / f".{path.name}{_OLD}{uuid.uuid4().hex[:8]}"
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file through a temporary sibling and ``os.replace``: never a truncated file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mark_output_folder(folder: str | Path, *, command: str) -> None:
    """Create ``folder`` (if needed) and mark it as written by mirmodules (for folders filled in
    place over several runs, such as a batch that resumes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / MARKER).exists():
        write_text_atomic(folder / MARKER, _marker_text(command))
