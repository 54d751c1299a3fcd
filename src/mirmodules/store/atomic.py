"""One output writer for every command: checked paths, atomic replacement, no foreign deletions.

Rules (the README's "Bad input and your files" states them as guarantees):

* ``--out`` is resolved first. It may not be the working folder or one of its parents, the home
  or root folder, a folder that holds an input file (of this command, or recorded in the manifest
  of the folder it would replace), an existing file, or a symbolic link.
* Ownership is proved, not guessed: every folder mirmodules writes carries :data:`MARKER`, a JSON
  record with the command, a random token and the list of files it wrote. An existing non-empty
  folder is replaced only with ``overwrite=True``, only when its marker is valid, and only when
  every file in it is one the marker lists (or lies in a sub-folder that proves the same with a
  marker of its own). A folder holding one file mirmodules did not write is never deleted; the
  error names that file.
* Deleting removes only the files the markers list, then the folders left empty.
* One command writes an output folder at a time: :func:`output_lock` holds an exclusive lock
  (``fcntl.flock`` on a hidden file beside the folder, removed afterwards) while a command writes;
  a second command on the same folder stops at once with a message.
* Writing goes to a hidden sibling ``.NAME.mirmodules-new-TOKEN``; when it is complete the old
  folder is renamed aside (``.NAME.mirmodules-old-TOKEN``), the new one renamed in, and the old
  one deleted. A kill at any moment leaves the complete old or the complete new result; the next
  run on the same ``--out`` restores or removes what a killed run left (and says so). Leftovers
  are found by their exact names, never by a pattern, and a restored result is replaced only with
  ``overwrite=True``.
* Whether the parent folder can be written is checked before any computation.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mirmodules.exceptions import InputDataError

logger = logging.getLogger(__name__)

#: File that marks a folder as written by mirmodules (and so replaceable with --overwrite).
MARKER = ".mirmodules-output.json"
_NEW, _OLD, _LOCK = ".mirmodules-new-", ".mirmodules-old-", ".mirmodules-lock"
_TOKEN = re.compile(r"[0-9a-f]{32}")
_SHOWN = 5  # foreign files named in a message


# --- ownership -------------------------------------------------------------------------------------


def read_marker(folder: str | Path) -> dict[str, Any] | None:
    """The ownership record of ``folder``, or ``None`` when it has no valid one.

    Valid: a JSON object with ``written_by`` ``"mirmodules"``, a 32-hex-digit ``token`` and a
    ``files`` list of relative paths (``complete`` false while the folder is being written)."""
    path = Path(folder) / MARKER
    try:
        if not path.is_file() or path.is_symlink():
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("written_by") != "mirmodules":
        return None
    files = record.get("files")
    if not isinstance(record.get("token"), str) or not _TOKEN.fullmatch(record["token"]):
        return None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return record


def _listed(record: dict[str, Any]) -> set[str]:
    return {f for f in record["files"] if f and not f.startswith("/") and ".." not in f.split("/")}


def foreign_files(folder: str | Path) -> list[str]:
    """Paths (relative to ``folder``) that mirmodules cannot prove it wrote; empty when it may
    delete the whole folder. A folder without a valid marker is foreign as a whole (``["."]``).

    A file is proved by the marker's list; a sub-folder by that list or by a valid marker of its
    own (folders filled in place, such as a demo or a batch, hold such parts, possibly inside plain
    folders). Empty folders are not files and count as nobody's. An in-progress
    marker (``complete`` false, on a hidden ``.NAME.mirmodules-new-TOKEN`` folder) owns all it holds.
    """
    folder = Path(folder)
    record = read_marker(folder)
    if record is None:
        return ["."] if folder.exists() and any(folder.iterdir()) else []
    if record.get("complete") is False:
        return []
    listed = _listed(record)
    prefixes = {"/".join(f.split("/")[:i]) for f in listed for i in range(1, f.count("/") + 1)}
    foreign: list[str] = []

    def walk(current: Path, rel: str) -> None:
        for entry in sorted(current.iterdir()):
            name = f"{rel}{entry.name}"
            if name == MARKER:
                continue
            if entry.is_dir() and not entry.is_symlink():
                if name not in prefixes and read_marker(entry) is not None:
                    foreign.extend(f"{name}/{f}" for f in foreign_files(entry))
                else:  # listed files below, or a plain folder holding marked parts (batch cohorts)
                    walk(entry, f"{name}/")
            elif name not in listed:
                foreign.append(name)

    walk(folder, "")
    return foreign


def remove_owned(folder: str | Path) -> list[str]:
    """Delete what mirmodules wrote in ``folder`` (every file :func:`foreign_files` does not name,
    markers included) and the folders that become empty; return what it kept (relative paths). A
    folder without a valid marker is left as it is."""
    folder = Path(folder)
    if not folder.exists():
        return []
    foreign = set(foreign_files(folder))
    if foreign == {"."}:
        return ["."]
    # markers last, the deepest first: a kill in the middle leaves a marker that still proves
    # the rest, so the next run can finish the removal (without it, the folder would be foreign)
    for rel in sorted(_files_below(folder, markers=True),
                      key=lambda rel: (Path(rel).name == MARKER, -rel.count("/"))):
        if rel not in foreign:
            (folder / rel).unlink(missing_ok=True)
    for root, _dirs, _files in sorted(os.walk(folder, followlinks=False), key=lambda w: -len(w[0])):
        try:
            Path(root).rmdir()
        except OSError:
            pass
    return sorted(foreign) if folder.exists() else []


def _marker_text(command: str, files: Iterable[str], *, token: str, complete: bool = True) -> str:
    from mirmodules._versions import mirmodules_version

    record = {"written_by": "mirmodules", "version": mirmodules_version(), "command": command,
              "token": token, "complete": complete, "files": sorted(set(files))}
    return json.dumps(record, indent=2) + "\n"


def _files_below(folder: Path, *, markers: bool = False) -> list[str]:
    """Relative paths of every file and link below ``folder`` (links to folders are not followed);
    the folder's own marker only with ``markers``."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        here = Path(root).relative_to(folder)
        for name in files + [d for d in dirs if (Path(root) / d).is_symlink()]:
            rel = (here / name).as_posix()
            if markers or rel != MARKER:
                found.append(rel)
    return found


# --- checking a path ---------------------------------------------------------------------------------


def is_within(path: Path, folder: Path) -> bool:
    """Whether resolved ``path`` is ``folder`` or lies below it."""
    return path == folder or folder in path.parents


def recorded_input_paths(folder: str | Path) -> list[Path]:
    """Resolved input paths recorded in ``folder``'s manifest.json (any shape; unreadable = none)."""
    try:
        record = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    inputs = record.get("inputs") if isinstance(record, dict) else None
    values = inputs.values() if isinstance(inputs, dict) else inputs if isinstance(inputs, list) else []
    paths = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("resolved"), str):
                paths.append(Path(item["resolved"].split("::", 1)[0]))
    return paths


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
        if is_within(source, path):
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
        foreign = foreign_files(path)
        if foreign == ["."]:
            msg = (f"Output folder {out} was not written by mirmodules (no valid {MARKER} in it), so "
                   "--overwrite will not delete it. Choose a new folder.")
            raise InputDataError(msg)
        if foreign:
            more = f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
            shown = ", ".join(foreign[:_SHOWN]) + more
            msg = (f"Output folder {out} holds {len(foreign)} file(s) that mirmodules did not write "
                   f"({shown}), so --overwrite will not replace it. Move them out or choose a new "
                   "folder.")
            raise InputDataError(msg)
        for source in recorded_input_paths(path):
            if is_within(source, path):
                msg = (f"Output folder {out} holds {source}, an input recorded in its manifest.json; "
                       "replacing it would delete that input. Choose a new folder.")
                raise InputDataError(msg)
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        msg = (f"Cannot create {flag} {out}: the folder {ancestor} is not writable. Choose a folder "
               "you can write to.")
        raise InputDataError(msg)
    return path


# --- one writer at a time ----------------------------------------------------------------------------

_held: dict[Path, int] = {}
_held_guard = threading.Lock()


def lock_path(out: str | Path) -> Path:
    """The hidden lock file beside output folder ``out``."""
    path = Path(out).expanduser().resolve()
    return path.parent / f".{path.name}{_LOCK}"


@contextmanager
def output_lock(out: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on output folder ``out`` (re-entrant within one process).

    A second process that asks for the same folder gets :class:`InputDataError` at once. The lock
    file lives beside ``out`` only while the lock is held (where its parent folder does not exist
    yet, nothing is locked: no other command can be writing there)."""
    path = lock_path(out)
    with _held_guard:
        if _held.get(path):
            _held[path] += 1
            held_here = True
        else:
            held_here = False
    if held_here:
        try:
            yield
        finally:
            with _held_guard:
                _held[path] -= 1
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks; single writers assumed
        yield
        return
    if not path.parent.is_dir():
        yield
        return
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            msg = (f"Another mirmodules command is writing {path.parent / path.name[1:-len(_LOCK)]} now "
                   f"(lock {path}); wait for it to finish or choose another --out.")
            raise InputDataError(msg) from exc
        try:  # the file may have been removed by the holder that just released it: lock anew
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    with _held_guard:
        _held[path] = 1
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with _held_guard:
            del _held[path]
        path.unlink(missing_ok=True)
        os.close(fd)


# --- writing -----------------------------------------------------------------------------------------


def _leftovers(out: Path) -> list[Path]:
    """Exact-name leftovers of interrupted writes to ``out`` (``.NAME.mirmodules-new|old-TOKEN``)."""
    if not out.parent.is_dir():
        return []
    exact = re.compile(re.escape(f".{out.name}") + r"\.mirmodules-(?:new|old)-[0-9a-f]{6,32}")
    return sorted(p for p in out.parent.iterdir() if exact.fullmatch(p.name) and p.is_dir()
                  and not p.is_symlink())


def recover_leftovers(out: Path) -> None:
    """Restore or remove what a killed write to ``out`` left beside it (logged as warnings)."""
    for leftover in _leftovers(out):
        if _OLD in leftover.name and not out.exists():
            leftover.rename(out)
            logger.warning("restored %s from %s: a replacement was interrupted before the new "
                           "result was in place", out, leftover.name)
            continue
        kind = "previous result" if _OLD in leftover.name else "unfinished output"
        kept = remove_owned(leftover)
        if kept:
            logger.warning("kept %s (the %s of an interrupted run): it holds files mirmodules did not "
                           "write (%s)", leftover, kind, ", ".join(kept[:_SHOWN]))
        else:
            logger.warning("removed the %s of an interrupted run: %s", kind, leftover)


@contextmanager
def atomic_output(out: str | Path, *, command: str, overwrite: bool = False) -> Iterator[Path]:
    """Yield a hidden folder to write into; on success it replaces ``out`` (see module docstring).

    ``out`` is checked with :func:`check_output_path` again (the caller should have checked it
    before the computation, with the inputs), under :func:`output_lock`.
    """
    path = check_output_path(out, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(path):
        recover_leftovers(path)
        path = check_output_path(out, overwrite=overwrite)  # a restored result is a result too
        token = secrets.token_hex(16)
        tmp = path.parent / f".{path.name}{_NEW}{token[:8]}"
        tmp.mkdir()  # mode from the umask, like any folder the user makes (mkdtemp would give 0700)
        try:
            marker = tmp / MARKER
            marker.write_text(_marker_text(command, [], token=token, complete=False), encoding="utf-8")
            yield tmp
            marker.write_text(_marker_text(command, _files_below(tmp), token=token), encoding="utf-8")
            if path.exists():
                old = path.parent / f".{path.name}{_OLD}{token[:8]}"
                path.rename(old)
                tmp.rename(path)
                kept = remove_owned(old)
                if kept:
                    logger.warning("kept %s: files appeared in the replaced folder that mirmodules did "
                                   "not write (%s)", old, ", ".join(kept[:_SHOWN]))
            else:
                tmp.rename(path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # ours: made above, under the lock
            raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file through a temporary sibling and ``os.replace``: never a truncated file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def mark_output_folder(folder: str | Path, *, command: str, files: Iterable[str] = ()) -> None:
    """Create ``folder`` (if needed) and mark it as written by mirmodules, for folders filled in
    place over several runs (a demo, a batch that resumes): its sub-folders carry markers of their
    own; ``files`` are top-level files it writes itself (added to the marker's list *before*
    they are written, so a kill in between never leaves an unlisted file)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = read_marker(folder)
    known = set(record["files"]) if record else set()
    wanted = known | set(files)
    if record is None or wanted != known:
        token = record["token"] if record else secrets.token_hex(16)
        write_text_atomic(folder / MARKER, _marker_text(command, wanted, token=token))
