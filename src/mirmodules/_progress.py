"""Progress of long stages: a bar in a terminal, periodic INFO lines with an ETA elsewhere.

A terminal (stderr is a TTY) gets a tqdm bar; a log file, a pipe or a notebook's captured output
gets one INFO line from the stage's logger every ``interval`` seconds ("12/40 K done, 31 s, ETA
73 s") and one when the stage ends, so that a long run written to a log shows where it is.
With ``enabled=False`` nothing is shown or logged (the library default).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any


class Progress:
    """Count ``total`` units of a stage; see the module docstring."""

    def __init__(
        self,
        label: str,
        total: int,
        unit: str,
        *,
        enabled: bool,
        logger: logging.Logger,
        interval: float = 10.0,
    ) -> None:
        self.label, self.total, self.unit = label, max(1, int(total)), unit
        self.enabled, self.logger, self.interval = enabled, logger, interval
        self.done = 0
        self.start = self.last_log = time.perf_counter()
        self.postfix: dict[str, Any] = {}
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=label, unit=unit, leave=False)

    def update(self, n: int = 1, **postfix: Any) -> None:
        """Advance by ``n`` units; ``postfix`` values (e.g. loss) are shown with the count."""
        self.done += n
        self.postfix.update(postfix)
        if self.bar is not None:
            self.bar.update(n)
            if postfix:
                self.bar.set_postfix(**{k: _short(v) for k, v in postfix.items()})
            return
        now = time.perf_counter()
        if self.enabled and now - self.last_log >= self.interval:
            self.last_log = now
            self.logger.info("%s: %s", self.label, self._status(now))

    def _status(self, now: float) -> str:
        elapsed = now - self.start
        share = min(1.0, self.done / self.total)
        eta = elapsed * (1 - share) / share if share > 0 else float("nan")
        extra = "".join(f", {k} {_short(v)}" for k, v in self.postfix.items())
        return (f"{self.done}/{self.total} {self.unit} ({100 * share:.0f}%), {elapsed:.0f} s, "
                f"ETA {eta:.0f} s{extra}")

    def close(self) -> None:
        """End the stage (the bar disappears; a final line is logged when not a terminal)."""
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            self.logger.info("%s: done, %d %s in %.1f s", self.label, self.done, self.unit,
                             time.perf_counter() - self.start)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
