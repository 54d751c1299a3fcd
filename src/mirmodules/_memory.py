"""Peak memory of this process after each stage, for the manifest (``peak_rss_mib``).

The operating system keeps one number, the largest resident set size so far, so the value after a
stage is the process's peak up to the end of that stage: the stage whose value jumps is the one
that raised the peak. ``nan`` where the platform does not report it (Windows).
"""

from __future__ import annotations

import math
import sys

_MARKS: dict[str, float] = {}


def peak_rss_mib() -> float:
    """The process's peak resident set size so far, in MiB."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return math.nan
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def mark(stage: str) -> None:
    """Record the peak so far as the value after ``stage``."""
    _MARKS[stage] = round(peak_rss_mib(), 1)


def marks() -> dict[str, float]:
    """Stage -> peak RSS (MiB) after it, in the order the stages ended."""
    return dict(_MARKS)


def reset() -> None:
    """Forget earlier stages (a new run in the same process)."""
    _MARKS.clear()
