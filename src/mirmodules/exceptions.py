"""Exceptions and warnings raised by mirmodules.

Every error caused by the user's input is an :class:`InputDataError`; its message names the
file (or table), the column or identifier at fault, what was expected and how to fix it. The
command-line tool turns it into one line on stderr and exit code 2.
"""

from __future__ import annotations


class MirmodulesError(Exception):
    """Base class of every error raised on purpose by mirmodules."""


class InputDataError(MirmodulesError, ValueError):
    """The input (a file, a table or a parameter) is not what the method needs."""


class NotFittedError(MirmodulesError, ValueError, AttributeError):
    """An estimator was used before ``fit``."""


class MirmodulesWarning(UserWarning):
    """Base class of mirmodules' warnings."""


class NoElbowWarning(MirmodulesWarning):
    """The elbow rule found no candidate K; a fallback rule chose K."""


class DataQualityWarning(MirmodulesWarning):
    """Something in the input is suspicious but the run can go on (it is also in the manifest)."""
