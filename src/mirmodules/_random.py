"""Seeds: one user seed, independent derived seeds per random step, no global state touched."""

from __future__ import annotations

import zlib

import numpy as np


def derive_seed(seed: int, step: str) -> int:
    """Return a 31-bit seed for ``step`` derived from the user's ``seed``.

    The same (seed, step) always gives the same value, different steps give independent streams
    (NumPy ``SeedSequence`` keyed by a CRC of the step name).
    """
    key = zlib.crc32(step.encode("utf-8"))
    return int(np.random.SeedSequence([int(seed), key]).generate_state(1)[0] & 0x7FFFFFFF)
