"""Where the real public datasets are (outside the repository), and skipping when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: ``MIRMODULES_SHARED_DATA`` overrides the default ``../shared/data`` beside the repository.
SHARED_DATA = Path(os.environ.get("MIRMODULES_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_file(*parts: str) -> Path:
    """Path of a file under the shared data folder, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (set MIRMODULES_SHARED_DATA)")
    return path


def input_args(paths: dict[str, Path]) -> list[str]:
    """``--mirna``, ``--mrna`` and ``--interactions`` of a written cohort (``SimulatedCohort.write``)."""
    return ["--mirna", str(paths["mirna"]), "--mrna", str(paths["mrna"]),
            "--interactions", str(paths["interactions"])]
