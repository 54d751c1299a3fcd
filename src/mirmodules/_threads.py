"""How many threads torch, BLAS/OpenMP and K-means use, set in one place.

On a busy 2-core machine two torch threads ran the mRNA autoencoder 25x slower than one (OpenMP
threads spin while waiting for a core that another process holds). The default, ``threads=None``,
takes half of the cores this process may run on (at least 1, at most 8), which keeps a 2-core
machine at one thread; an explicit number is used as given.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from mirmodules._validation import check_in_range

logger = logging.getLogger(__name__)

#: More threads than any machine this runs on has cores (threadpoolctl fails on absurd numbers).
MAX_THREADS = 1024


def available_cores() -> int:
    """Cores this process may run on (CPU affinity where the platform has it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def resolve_threads(threads: int | None) -> int:
    """``None`` -> half the available cores (1..8); an integer >= 1 as given.

    >>> resolve_threads(3)
    3
    """
    if threads is None:
        return max(1, min(8, available_cores() // 2))
    check_in_range(threads, "threads", low=1, high=MAX_THREADS, integer=True)
    return int(threads)


@contextmanager
def thread_limits(threads: int | None) -> Iterator[int]:
    """Limit torch, BLAS and OpenMP pools (threadpoolctl) to ``resolve_threads(threads)`` inside
    the block, restoring the previous settings afterwards; yields the number used."""
    import torch
    from threadpoolctl import threadpool_limits

    n = resolve_threads(threads)
    torch_before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            logger.debug("thread limit %d (torch, BLAS, OpenMP)", n)
            yield n
    finally:
        torch.set_num_threads(torch_before)
