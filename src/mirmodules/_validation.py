"""Small argument checks with one message style (scikit-learn wording plus a hint)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mirmodules.exceptions import InputDataError


def check_in_range(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> None:
    """Raise :class:`InputDataError` unless ``low <= value <= high`` (bounds optional)."""
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        msg = f"The {name!r} parameter must be {kind}; got {value!r} instead."
        raise InputDataError(msg)
    lo_ok = low is None or (value >= low if low_inclusive else value > low)
    hi_ok = high is None or (value <= high if high_inclusive else value < high)
    if not (lo_ok and hi_ok):
        lo = "-inf" if low is None else repr(low)
        hi = "inf" if high is None else repr(high)
        brackets = ("[" if low_inclusive else "(", "]" if high_inclusive else ")")
        msg = (
            f"The {name!r} parameter must be {kind} in {brackets[0]}{lo}, {hi}{brackets[1]}; "
            f"got {value!r} instead."
        )
        raise InputDataError(msg)


def check_one_of(value: Any, name: str, options: Iterable[Any]) -> None:
    """Raise :class:`InputDataError` unless ``value`` is one of ``options``."""
    options = list(options)
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        msg = f"The {name!r} parameter must be one of {shown}; got {value!r} instead."
        raise InputDataError(msg)
