"""One place that collects a command's warnings: Python warnings and the package's WARNING log
records, so that they reach stderr, ``--log-file``, ``manifest.json`` (``warnings``) and the
report's warnings panel alike.

:func:`collecting` is active for the length of a command (the CLI wraps every command in it);
:func:`collected` gives what was collected so far (empty outside a command); :func:`held_back`
quiets chosen loggers for a block (repeated work). Python warnings are
shown through the ``mirmodules.warnings`` logger inside the block; the warning filters are left as
they are (``-W error`` still raises).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_active: list[list[str]] = []


class _Collector(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.sink:  # the same warning from a loop is kept once
            self.sink.append(message)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect every WARNING of the ``mirmodules`` loggers (Python warnings included) in the block."""
    sink: list[str] = []
    root = logging.getLogger("mirmodules")
    handler = _Collector(sink)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        previous_level = root.level
        root.setLevel(logging.WARNING)
    else:
        previous_level = None
    target = logging.getLogger("mirmodules.warnings")

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        target.warning("%s: %s", category.__name__, message)

    _active.append(sink)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            yield sink
    finally:
        _active.pop()
        root.removeHandler(handler)
        if previous_level is not None:
            root.setLevel(previous_level)


@contextmanager
def held_back(names: tuple[str, ...], level: int) -> Iterator[None]:
    """Within the block, records of the loggers ``names`` below ``level`` are held back (neither
    shown nor collected); a logger already at a higher level keeps it. For repeated work whose
    lines (or advice) the first pass gave already."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(max(log.getEffectiveLevel(), level))
    try:
        yield
    finally:
        for log, previous in zip(loggers, levels, strict=True):
            log.setLevel(previous)


def collected() -> list[str]:
    """The warnings collected so far by the innermost :func:`collecting` block (a copy)."""
    return list(_active[-1]) if _active else []
