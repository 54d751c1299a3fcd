"""Versions of mirmodules, Python and the libraries that shape results (for every manifest)."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version


def mirmodules_version() -> str:
    """The installed version of mirmodules (``0+unknown`` in a source tree that was not installed)."""
    try:
        return version("mirmodules")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


def package_versions() -> dict[str, str]:
    """Versions of mirmodules, Python and the libraries that shape the results."""
    out = {"python": platform.python_version()}
    for name in ("mirmodules", "numpy", "pandas", "scipy", "scikit-learn", "torch", "kneed", "networkx"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
